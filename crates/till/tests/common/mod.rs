//! Shared by the card-terminal tests: the app on a temp journal with a
//! payment terminal behind the real worker thread, and what to read back.

#![allow(dead_code)]

use chrono::{DateTime, FixedOffset, TimeZone};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};
use till::app::terminal::TerminalOpener;
use till::app::{App, FakeDevices, Key, Screen, Settings, TerminalWorker, WithTerminal};
use till_core::records::{Event, TenderKind};
use till_core::{BasketConfig, Catalog};
use till_journal::{verify, Journal, OpenOptions, VerifyOptions};

pub fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

/// The app with `open` as its terminal; a late answer is listened for
/// during `late_listen`.
pub fn app_with(dir: &Path, open: TerminalOpener, late_listen: Duration) -> App {
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
    let worker = TerminalWorker::start(open, late_listen, 1);
    let fake = Rc::new(RefCell::new(FakeDevices::default()));
    let settings = Settings {
        shop: till::app::demo_shop(),
        basket: BasketConfig::default(),
        layout: Default::default(),
        logo: None,
        receipts_hint: None,
        rules: Default::default(),
        lang: Default::default(),
    };
    App::new(
        journal,
        catalog,
        users,
        settings,
        Box::new(WithTerminal::new(fake, worker)),
        Box::new(now),
    )
    .unwrap()
}

/// Ticks until `done` holds (the terminal answers from its thread).
pub fn wait_for(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(app) {
        assert!(
            Instant::now() < deadline,
            "waited for {what}: {:?} {:?}",
            app.screen(),
            app.message()
        );
        std::thread::sleep(Duration::from_millis(5));
        app.tick();
    }
}

/// Waits for the terminal's answer to the attempt on screen.
pub fn paid(app: &mut App) {
    wait_for(app, "the terminal", |a| {
        !matches!(a.screen(), Screen::Paying { .. })
    });
}

pub fn press(app: &mut App, keys: &[Key]) {
    for k in keys {
        app.key(*k);
        app.tick();
        while matches!(app.screen(), Screen::Searching { .. }) {
            std::thread::sleep(Duration::from_millis(2));
            app.tick();
        }
    }
}

pub fn typed(app: &mut App, s: &str) {
    press(app, &Key::typed(s));
}

/// Logs in (if needed), rings up a baguette and three croissants (4.90),
/// goes to the payment screen.
pub fn sell(app: &mut App) {
    if app.user().is_none() {
        typed(app, "1111\n");
    }
    press(app, &[Key::Esc]);
    typed(app, "10001\n3*10002\n");
    assert_eq!(app.live_lines().len(), 2, "{:?}", app.message());
    press(app, &[Key::F(8)]);
    assert!(matches!(app.screen(), Screen::Payment));
}

pub fn done(app: &App) {
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?} {:?}",
        app.screen(),
        app.message()
    );
}

pub fn events(j: &Journal) -> Vec<Event> {
    j.events_after(0, 10_000)
        .unwrap()
        .iter()
        .map(|e| e.decode().unwrap())
        .collect()
}

/// Card amounts in sale records (every one must carry an approved
/// terminal outcome), and terminal payments outside sales.
pub fn card_money(j: &Journal) -> (Vec<String>, Vec<String>) {
    let mut tenders = Vec::new();
    let mut outside = Vec::new();
    for e in events(j) {
        if let Some(s) = e.sale() {
            for t in &s.tenders {
                if t.kind == TenderKind::Card {
                    let c = t.card.as_ref().expect("terminal outcome kept");
                    assert!(c.approved);
                    tenders.push(t.amount.to_string());
                }
            }
        }
        if let Event::TerminalPayment(tp) = e {
            outside.push(tp.amount.to_string());
        }
    }
    (tenders, outside)
}

/// The journal verifies, and no file of the data folder holds `pan`.
pub fn check_journal(app: &App, pan: &str) {
    let report = verify(app.journal().path(), VerifyOptions::default()).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
    let dir = app.journal().path().parent().unwrap();
    for f in std::fs::read_dir(dir).unwrap() {
        let path = f.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(pan.len()).any(|w| w == pan.as_bytes()),
            "a full card number reached {}",
            path.display()
        );
    }
}
