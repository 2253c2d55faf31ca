//! A weighed article at the counter: scanned or typed without a weight, it
//! asks the scale; motion and the like add nothing and say why; a stable
//! weighing adds the line with the scale's weight, and a pricing scale's
//! (Dialog 06) unit price and total are recorded as it gave them. First
//! through the fake devices, then through the scale thread and the
//! byte-level Dialog 06 simulator on a pty.

use chrono::{DateTime, FixedOffset, TimeZone};
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};
use till::app::devices::DeviceThreads;
use till::app::{App, Devices, FakeDevices, Key, Screen, Settings};
use till_core::records::{Event, SaleRecord, Unit};
use till_core::{BasketConfig, Catalog};
use till_devices::config::{DevicesConfig, ScaleConfig};
use till_devices::scale::{ScalePrice, ScaleProtocol, Weighing};
use till_devices::sim::ScaleSim;
use till_journal::{Journal, OpenOptions};

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
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

fn lines(app: &App) -> Vec<(String, Unit, Decimal, Decimal, Option<Decimal>)> {
    app.basket()
        .map(|b| {
            b.lines()
                .iter()
                .map(|l| {
                    (
                        l.item_id.to_string(),
                        l.unit,
                        l.quantity,
                        l.unit_price,
                        l.label_price,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn sale(app: &App) -> SaleRecord {
    app.journal()
        .events_after(0, 10_000)
        .unwrap()
        .iter()
        .find_map(|e| match e.decode().unwrap() {
            Event::SaleCompleted(r) => Some(r),
            _ => None,
        })
        .expect("a sale recorded")
}

fn pay_cash(app: &mut App) {
    app.key(Key::F(8));
    typed(app, "20");
    app.key(Key::F(1));
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
}

#[test]
fn a_weighed_article_asks_the_scale_and_records_its_weight_and_price() {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = FakeDevices::default();
    fake.weighings = Some(
        vec![
            Err(("motion".to_string(), "moving".to_string())),
            Err(("overload".to_string(), "over".to_string())),
            // The scale's own unit price and total (its PLU says 2.50,
            // the catalog 2.49): recorded as the scale gave them.
            Ok(Weighing {
                net_kg: d("0.455"),
                tare_kg: Decimal::ZERO,
                price: Some(ScalePrice {
                    unit_price: d("2.50"),
                    total: d("1.14"),
                }),
            }),
        ]
        .into(),
    );
    let fake = Rc::new(RefCell::new(fake));
    let mut app = app(dir.path(), Box::new(fake.clone()));
    typed(&mut app, "1111\n");
    typed(&mut app, "40001\n");
    assert!(lines(&app).is_empty(), "motion adds nothing");
    let msg = format!("{:?}", app.message());
    assert!(msg.contains("la charge bouge"), "{msg}");
    typed(&mut app, "40001\n");
    assert!(lines(&app).is_empty(), "overload adds nothing");
    assert!(format!("{:?}", app.message()).contains("surcharge"));
    typed(&mut app, "40001\n");
    assert_eq!(
        lines(&app),
        vec![(
            "40001".into(),
            Unit::Kg,
            d("0.455"),
            d("2.50"),
            Some(d("1.14"))
        )]
    );
    // What went to the scale: the catalog's unit price, three times.
    let asked: Vec<_> = fake
        .borrow()
        .jobs
        .iter()
        .filter_map(|j| match j {
            till::app::Job::Weigh { code, request } => Some((code.clone(), request.unit_price)),
            _ => None,
        })
        .collect();
    assert_eq!(asked, vec![("40001".to_string(), Some(d("2.49"))); 3]);
    pay_cash(&mut app);
    let line = &sale(&app).lines[0];
    assert_eq!(
        (line.quantity, line.unit_price, line.total),
        (d("0.455"), d("2.50"), d("1.14"))
    );
}

#[test]
fn without_a_scale_a_weighed_article_still_needs_a_typed_weight() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Rc::new(RefCell::new(FakeDevices::default()));
    let mut app = app(dir.path(), Box::new(fake.clone()));
    typed(&mut app, "1111\n40001\n");
    assert!(lines(&app).is_empty());
    assert!(fake
        .borrow()
        .jobs
        .iter()
        .all(|j| !matches!(j, till::app::Job::Weigh { .. })));
    // What was typed stays in the input after the refusal: cleared first.
    app.key(Key::Esc);
    typed(&mut app, "0,500*40001\n");
    let now = lines(&app);
    assert_eq!(now.len(), 1, "{:?} {:?}", app.message(), app.input());
    assert_eq!(now[0].2, d("0.5"));
}

#[test]
fn a_weighed_article_sold_through_the_dialog06_scale_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let sim = ScaleSim::spawn(ScaleProtocol::Dialog06, "motion,1.005".parse().unwrap()).unwrap();
    let cfg = ScaleConfig::from_value(
        toml::from_str(&format!(
            "protocol = \"dialog06\"\npath = \"{}\"\nsettle_ms = 3000\n",
            sim.endpoint.address
        ))
        .unwrap(),
    )
    .unwrap();
    let devices = DeviceThreads::start(&DevicesConfig::default()).with_scale(Some(cfg));
    let mut app = app(dir.path(), Box::new(devices));
    typed(&mut app, "1111\n40005\n");
    // The scale thread waits the motion out, then answers.
    let deadline = Instant::now() + Duration::from_secs(10);
    while lines(&app).is_empty() {
        assert!(Instant::now() < deadline, "no line; {:?}", app.message());
        std::thread::sleep(Duration::from_millis(20));
        app.tick();
    }
    // Jambon blanc at 18.50/kg: 1.005 kg, 18.59 as the scale computed it.
    assert_eq!(
        lines(&app),
        vec![(
            "40005".into(),
            Unit::Kg,
            d("1.005"),
            d("18.50"),
            Some(d("18.59"))
        )]
    );
    assert_eq!(sim.control.last_price(), Some((1850, 0)));
    pay_cash(&mut app);
    assert_eq!(sale(&app).lines[0].total, d("18.59"));
}
