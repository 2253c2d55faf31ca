//! What the counter app keeps on disk beside the journal is readable by its
//! owner only, and its PIN checks use the pepper and the lock-out.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use till::app::{Key, Screen};
use till_core::auth::{hash_pin, needs_pepper, Role, User};
use till_devices::payment::{PaymentAnswer, PaymentError, PaymentRequest, PaymentTerminal};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A terminal that never answers in time: the attempt stays pending.
struct Silent;

impl PaymentTerminal for Silent {
    fn ping(&mut self) -> Result<(), PaymentError> {
        Ok(())
    }
    fn pay(&mut self, _: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        panic!("driver bug (expected by the test): the attempt stays pending")
    }
    fn late_answer(&mut self, _: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        Ok(None)
    }
    fn describe(&self) -> String {
        "silent".into()
    }
}

fn app(dir: &Path) -> till::app::App {
    let open = Box::new(|| Ok::<_, String>(Box::new(Silent) as Box<dyn PaymentTerminal>));
    app_with(dir, open, Duration::from_secs(10))
}

#[test]
fn journal_parked_and_pending_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    let pending = dir.path().join("terminal-pending.json");
    assert!(pending.exists());
    assert_eq!(mode(&pending), 0o600);
    press(&mut app, &[Key::F(1)]);
    done(&app);
    press(&mut app, &[Key::Esc]);
    typed(&mut app, "10001\n");
    press(&mut app, &[Key::F(7)]);
    assert_eq!(app.parked().len(), 1, "{:?}", app.message());
    let parked = dir.path().join("parked.json");
    assert_eq!(mode(&parked), 0o600);
    for f in [
        "journal.db",
        "journal.db-wal",
        "journal.db-shm",
        "journal.db.key",
        "journal.db.key.pepper",
    ] {
        assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
    }
}

#[test]
fn an_older_pin_hash_is_peppered_at_the_next_login() {
    let dir = tempfile::tempdir().unwrap();
    {
        // c1's hash as a till before the pepper wrote it.
        let j = till_journal::Journal::open(
            dir.path().join("journal.db"),
            till_journal::OpenOptions {
                terminal_id: "T1".into(),
                shop_id: "S1".into(),
                key_path: dir.path().join("journal.db.key"),
                software_version: "test".into(),
            },
        )
        .unwrap();
        let old = User {
            id: "c1".into(),
            name: "Camille".into(),
            role: Role::Cashier,
            pin_hash: hash_pin("1111", b"salt-from-before").unwrap(),
        };
        j.put_user(now(), "setup", "c1", &old).unwrap();
    }
    let mut app = app(dir.path());
    let before: User = app.journal().get_user("c1").unwrap().unwrap();
    assert!(needs_pepper(&before));
    typed(&mut app, "1111\n");
    assert!(matches!(app.screen(), Screen::Sale), "{:?}", app.message());
    let stored: User = app.journal().get_user("c1").unwrap().unwrap();
    assert!(!needs_pepper(&stored), "{}", stored.pin_hash);
    // And the new hash works at the next start.
    drop(app);
    let mut app = self::app(dir.path());
    typed(&mut app, "1111\n");
    assert!(matches!(app.screen(), Screen::Sale), "{:?}", app.message());
    assert!(
        till_journal::verify(dir.path().join("journal.db"), Default::default())
            .unwrap()
            .ok
    );
}

#[test]
fn a_locked_out_user_cannot_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    for _ in 0..till_core::auth::MAX_PIN_FAILURES {
        app.journal().record_pin_failure(now(), "c1").unwrap();
        app.journal().record_pin_failure(now(), "s1").unwrap();
    }
    typed(&mut app, "1111\n");
    assert!(app.user().is_none());
    let msg = &app.message().unwrap().1;
    assert!(msg.contains("bloqué"), "{msg}");
    // The others still log in.
    typed(&mut app, "3333\n");
    assert!(matches!(app.screen(), Screen::Sale), "{:?}", app.message());
}

#[test]
fn five_wrong_pins_at_the_counter_stop_pin_entry_for_a_while_journaled() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    let dir = tempfile::tempdir().unwrap();
    let journal = till_journal::Journal::open(
        dir.path().join("journal.db"),
        till_journal::OpenOptions {
            terminal_id: "T1".into(),
            shop_id: "S1".into(),
            key_path: dir.path().join("journal.db.key"),
            software_version: "test".into(),
        },
    )
    .unwrap();
    let users = till::users::ensure_demo_users(&journal).unwrap();
    let (items, patterns) = till::demo::catalog().unwrap();
    let catalog = till_core::Catalog::new(items, patterns).unwrap();
    let fake = Rc::new(RefCell::new(till::app::FakeDevices::default()));
    let settings = till::app::Settings {
        shop: till::app::demo_shop(),
        basket: till_core::BasketConfig::default(),
        layout: Default::default(),
        logo: None,
        receipts_hint: None,
        rules: Default::default(),
        lang: Default::default(),
    };
    let offset = Rc::new(Cell::new(0i64));
    let clock_offset = offset.clone();
    let mut app = till::app::App::new(
        journal,
        catalog,
        users,
        settings,
        Box::new(fake),
        Box::new(move || now() + chrono::Duration::seconds(clock_offset.get())),
    )
    .unwrap();
    for _ in 1..till_core::auth::MAX_PIN_FAILURES {
        typed(&mut app, "0000\n");
        assert_eq!(app.message().unwrap().1, "Code inconnu");
    }
    typed(&mut app, "0000\n");
    let msg = app.message().unwrap().1.clone();
    assert!(msg.contains("verrouillée 60 s"), "{msg}");
    // Even the right PIN waits.
    offset.set(30);
    typed(&mut app, "1111\n");
    assert!(app.user().is_none());
    assert!(app.message().unwrap().1.contains("réessayez dans 30 s"));
    let lockouts = app
        .journal()
        .events_after(0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.kind == "config_changed"
                && String::from_utf8_lossy(&e.payload).contains("till:pin_lockout")
        })
        .count();
    assert_eq!(lockouts, 1);
    // The time is up: PINs are taken again.
    offset.set(61);
    typed(&mut app, "1111\n");
    assert!(matches!(app.screen(), Screen::Sale), "{:?}", app.message());
    assert!(
        till_journal::verify(dir.path().join("journal.db"), Default::default())
            .unwrap()
            .ok
    );
}
