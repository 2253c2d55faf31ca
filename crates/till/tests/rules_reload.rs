//! Head office's new ruleset, written into catalog.db by till-sync while
//! the till runs, is picked up between sales: never by the basket in
//! progress, journaled as `config_changed` (key `rules`) like at start,
//! its version in the header, its tenders on the payment screen. Through
//! the shell (real journal, real catalog.db), and through the pure core.

use chrono::{DateTime, FixedOffset, TimeZone};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use till::app::rules::{CounterRules, RulesSource, RulesWatch};
use till::app::{App, FakeDevices, Key, Screen, Settings};
use till_core::records::{Event, TenderKind};
use till_core::ruleset::Ruleset;
use till_core::{BasketConfig, Catalog};
use till_journal::{Journal, OpenOptions};

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

fn app(dir: &Path) -> App {
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
    let settings = Settings {
        shop: till::app::demo_shop(),
        basket: BasketConfig::default(),
        layout: Default::default(),
        logo: None,
        receipts_hint: None,
        rules: Default::default(),
        lang: Default::default(),
    };
    let fake = Rc::new(RefCell::new(FakeDevices::default()));
    let mut app = App::new(
        journal,
        Catalog::new(items, patterns).unwrap(),
        users,
        settings,
        Box::new(fake),
        Box::new(now),
    )
    .unwrap();
    // Looked at on every tick: the test needs no clock.
    app.watch_rules(
        RulesWatch::new(None, dir.join("catalog.db"), 0, None).every(std::time::Duration::ZERO),
    );
    app
}

fn typed(app: &mut App, s: &str) {
    for k in Key::typed(s) {
        app.key(k);
        app.tick();
    }
}

fn press(app: &mut App, k: Key) {
    app.key(k);
    app.tick();
}

fn rules_changes(app: &App) -> Vec<String> {
    app.journal()
        .events_after(0, 10_000)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.decode().unwrap() {
            Event::ConfigChanged(c) if c.key == "rules" => c.new_value,
            _ => None,
        })
        .collect()
}

fn head_office_rules() -> Ruleset {
    let text = r#"
max_order_amount = 300
[[tenders]]
code = "titre_restaurant"
label = "Titres-restaurant"
pays_for = "meal_voucher"
excess = "lost"
opens_drawer = true
"#;
    let r: Ruleset = toml::from_str(text).unwrap();
    r.validate().unwrap();
    r
}

#[test]
fn a_new_ruleset_waits_for_the_sale_in_progress_then_is_journaled_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    assert_eq!(app.rules_label(), "Règles par défaut");
    typed(&mut app, "1111\n");
    assert!(matches!(app.screen(), Screen::Sale));
    typed(&mut app, "10001\n");
    assert!(app.basket().is_some());
    // till-sync receives version 1 mid-basket.
    let mut store = till_catalog::CatalogStore::open(&dir.path().join("catalog.db")).unwrap();
    assert!(store.set_ruleset(1, &head_office_rules()).unwrap());
    for _ in 0..3 {
        app.tick();
    }
    assert_eq!(app.rules_label(), "Règles par défaut", "not mid-basket");
    assert!(rules_changes(&app).is_empty());
    // The basket keeps the rules it was rung up under: no F8 titre yet.
    press(&mut app, Key::F(8));
    press(&mut app, Key::F(1));
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    app.tick();
    // Between sales: taken, journaled once, in the header.
    assert_eq!(app.rules_label(), "Règles v1");
    let changes = rules_changes(&app);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].contains("\"head_office\"") && changes[0].contains("titre_restaurant"));
    assert!(
        app.message()
            .is_some_and(|m| m.1.contains("Nouvelles règles appliquées : Règles v1")),
        "{:?}",
        app.message()
    );
    app.tick();
    assert_eq!(rules_changes(&app).len(), 1, "journaled once");
    // The next sale has the new tender on F8.
    typed(&mut app, "10001\n");
    press(&mut app, Key::F(8));
    assert!(app
        .payment_keys_line(false)
        .contains("F8 Titres-restaurant"));
    press(&mut app, Key::F(8));
    let last = app
        .journal()
        .events_after(0, 10_000)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.decode().unwrap() {
            Event::SaleCompleted(s) => Some(s),
            _ => None,
        })
        .last()
        .unwrap();
    assert_eq!(
        last.tenders[0].kind,
        TenderKind::parse("titre_restaurant").unwrap()
    );
}

#[test]
fn the_core_applies_new_rules_only_once_no_basket_is_in_progress() {
    use till::app::counter::Input;
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    typed(&mut app, "1111\n");
    typed(&mut app, "10001\n");
    let r = head_office_rules();
    let input = Input::RulesChanged {
        basket: Box::new(r.basket_config(BasketConfig::default())),
        rules: CounterRules::from_ruleset(&r, RulesSource::HeadOffice(4)),
    };
    app.feed(input);
    assert!(app.rules_pending());
    assert_eq!(app.rules_label(), "Règles par défaut");
    press(&mut app, Key::F(10));
    press(&mut app, Key::F(10));
    assert!(app.basket().is_none(), "{:?}", app.message());
    app.tick();
    assert!(!app.rules_pending());
    assert_eq!(app.rules_label(), "Règles v4");
}
