//! The customer display as the counter drives it: "Bienvenue", each line
//! as it is added with the total, the total and the change while paying,
//! "Merci, à bientôt"; first through the fake devices (what the counter
//! asks), then through the real display thread and the byte-level display
//! simulator on a pty (what the customer reads).

use chrono::{DateTime, FixedOffset, TimeZone};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};
use till::app::customer_display::{CustomerLine, CustomerScreen};
use till::app::devices::DeviceThreads;
use till::app::{App, Devices, FakeDevices, Key, Screen, Settings};
use till_core::{BasketConfig, Catalog};
use till_devices::config::{DevicesConfig, DisplayConfig};
use till_devices::display::Charset;
use till_devices::sim::DisplaySim;
use till_journal::{Journal, OpenOptions};

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

fn app(dir: &Path, devices: Box<dyn Devices>) -> App {
    let journal = Journal::open(
        dir.join("journal.db"),
        OpenOptions {
            terminal_id: "T1".into(),
            shop_id: "S1".into(),
            key_path: dir.join("journal.db.key"),
            software_version: "test".into(),
        },
    )
    .unwrap();
    let users = till::users::ensure_demo_users(&journal).unwrap();
    let (items, patterns) = till::demo::catalog().unwrap();
    let catalog = Catalog::new(items, patterns).unwrap();
    let settings = Settings {
        shop: till::app::demo_shop(),
        basket: BasketConfig::default(),
        layout: Default::default(),
        logo: None,
        receipts_hint: None,
        rules: Default::default(),
        lang: Default::default(),
    };
    App::new(journal, catalog, users, settings, devices, Box::new(now)).unwrap()
}

fn typed(app: &mut App, s: &str) {
    for k in Key::typed(s) {
        app.key(k);
        app.tick();
    }
}

fn pair(a: &str, b: &str) -> CustomerLine {
    CustomerLine::Pair(a.into(), b.into())
}

/// Logs in, sells 10001 then 3 x 10002 (1.30 + 3 x 1.20), pays 10 in cash.
fn sell_and_pay_cash(app: &mut App) -> Vec<String> {
    typed(app, "1111\n");
    assert!(matches!(app.screen(), Screen::Sale), "{:?}", app.message());
    typed(app, "10001\n3*10002\n");
    let names = app
        .basket()
        .unwrap()
        .lines()
        .iter()
        .map(|l| l.name.clone())
        .collect();
    app.key(Key::F(8));
    assert!(matches!(app.screen(), Screen::Payment));
    typed(app, "10");
    app.key(Key::F(1));
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    names
}

#[test]
fn the_counter_shows_the_customer_each_line_the_total_and_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Rc::new(RefCell::new(FakeDevices::default()));
    let mut app = app(dir.path(), Box::new(fake.clone()));
    let names = sell_and_pay_cash(&mut app);
    let blank = pair("", "");
    let want = vec![
        CustomerScreen {
            upper: CustomerLine::Centred("Bienvenue".into()),
            lower: blank.clone(),
        },
        CustomerScreen {
            upper: pair(&names[0], "1,30 €"),
            lower: pair("Total", "1,30 €"),
        },
        CustomerScreen {
            upper: pair(&names[1], "3,60 €"),
            lower: pair("Total", "4,90 €"),
        },
        CustomerScreen {
            upper: pair("Total", "4,90 €"),
            lower: blank.clone(),
        },
        CustomerScreen {
            upper: CustomerLine::Centred("Merci, à bientôt".into()),
            lower: pair("Rendu", "5,10 €"),
        },
    ];
    assert_eq!(fake.borrow().customer, want);
    // The next customer's first line replaces the thanks; nothing in between.
    typed(&mut app, "\n10001\n");
    let shown = fake.borrow().customer.clone();
    assert_eq!(shown.len(), 6, "{shown:#?}");
    assert_eq!(shown[5].upper, pair(&names[0], "1,30 €"));
}

/// Waits until the simulated display has shown `lines`.
fn shown(sim: &DisplaySim, lines: [&str; 2]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let want = [lines[0].to_string(), lines[1].to_string()];
    while !sim.control.history().contains(&want) {
        assert!(
            Instant::now() < deadline,
            "never shown {want:?}; shown: {:#?}",
            sim.control.history()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_customer_reads_it_on_the_simulated_display_in_pc858() {
    let dir = tempfile::tempdir().unwrap();
    let sim = DisplaySim::spawn(Charset::Pc858).unwrap();
    let cfg = DisplayConfig::from_value(
        toml::from_str(&format!(
            "protocol = \"epson\"\npath = \"{}\"\n",
            sim.endpoint.address
        ))
        .unwrap(),
    )
    .unwrap();
    let devices = DeviceThreads::start(&DevicesConfig::default()).with_display(Some(cfg));
    let mut app = app(dir.path(), Box::new(devices));
    shown(&sim, ["     Bienvenue      ", "                    "]);
    sell_and_pay_cash(&mut app);
    shown(&sim, ["  Merci, à bientôt  ", "Rendu         5,10 €"]);
    assert_eq!(sim.control.code_page(), Some(19), "PC858 selected");
}

#[test]
fn a_display_that_takes_nothing_never_holds_up_the_counter() {
    // A pty whose other end nobody reads: once its buffer is full, every
    // write to the display waits for its timeout. The counter must not.
    let (_master, _slave, path) =
        till_devices::transport::SerialTransport::pty_pair(Duration::from_secs(1)).unwrap();
    let cfg = DisplayConfig::from_value(
        toml::from_str(&format!("protocol = \"cd5220\"\npath = \"{path}\"\n")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let devices = DeviceThreads::start(&DevicesConfig::default()).with_display(Some(cfg));
    let mut app = app(dir.path(), Box::new(devices));
    typed(&mut app, "1111\n");
    // 300 lines: about 15 kB of screens, several times what a pty holds.
    for _ in 0..300 {
        typed(&mut app, "10001\n");
    }
    assert_eq!(app.live_lines().len(), 300, "{:?}", app.message());
}
