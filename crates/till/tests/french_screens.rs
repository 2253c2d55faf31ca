//! The counter in French from end to end: a sale, the cashier's mistakes,
//! the approval dialogs (with a PIN of too low a rank), a refund, X and Z,
//! each screen drawn at 80x25 and 120x40. The test fails if any drawn text,
//! message or dialog holds an English sentence, a code name (a snake_case
//! key such as `price_override`, a Rust Debug name such as `PriceOverride`),
//! an ISO date or an amount with a decimal point.

use chrono::{DateTime, FixedOffset, TimeZone};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use till::app::{App, FakeDevices, Key, Screen, Settings};
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
        lang: comptoir_i18n::Lang::Fr,
        rules: Default::default(),
    };
    App::new(
        journal,
        Catalog::new(items, patterns).unwrap(),
        users,
        settings,
        Box::new(Rc::new(RefCell::new(FakeDevices::default()))),
        Box::new(now),
    )
    .unwrap()
}

/// Words of English sentences (none is a French word) and the till's code
/// names spelled as words.
const ENGLISH: &[&str] = &[
    "the",
    "is",
    "with",
    "above",
    "below",
    "invalid",
    "cashier",
    "supervisor",
    "manager",
    "technician",
    "refund",
    "discount",
    "quantity",
    "basket",
    "item",
    "payment",
    "approval",
    "needs",
    "not",
    "of",
    "and",
    "wrong",
    "unknown",
    "paid",
    "error",
    "failed",
    "cannot",
    "may",
    "cash",
    "card",
    "order",
    "average",
    "price",
    "override",
    "drawer",
    "sell",
    "no",
    "line",
    "receipt",
    "amount",
    "left",
    "voided",
    "above",
];

/// What is wrong with a text shown to a French cashier.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if word.is_empty() {
            continue;
        }
        if word.contains('_') && word.chars().any(|c| c.is_ascii_lowercase()) {
            found.push(format!("code name {word:?}"));
        }
        let inner_capital = word.chars().skip(1).any(|c| c.is_ascii_uppercase())
            && word.chars().any(|c| c.is_ascii_lowercase());
        if inner_capital {
            found.push(format!("Debug name {word:?}"));
        }
        if ENGLISH.contains(&word.to_lowercase().as_str()) {
            found.push(format!("English word {word:?}"));
        }
    }
    let b = text.as_bytes();
    for i in 0..b.len() {
        let digit = |j: usize| b.get(j).is_some_and(|c| c.is_ascii_digit());
        // 2026-11-23
        if (0..4).all(|k| digit(i + k))
            && b.get(i + 4) == Some(&b'-')
            && digit(i + 5)
            && digit(i + 6)
            && b.get(i + 7) == Some(&b'-')
            && (i == 0 || !digit(i - 1))
        {
            found.push(format!("ISO date at byte {i}"));
        }
    }
    // 12.50, 5.5% (numbers written the English way; "0.1.0" is a version).
    for chunk in text.split_whitespace() {
        let t = chunk.trim_matches(|c: char| !(c.is_ascii_digit() || c == '.'));
        if let Some((int, frac)) = t.split_once('.') {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if digits(int) && digits(frac) {
                found.push(format!("decimal point in {chunk:?}"));
            }
        }
    }
    found
}

/// Draws the app at both sizes and checks every drawn text and message.
fn check(app: &App, step: &str, seen: &mut Vec<String>) {
    for (w, h) in [(80u16, 25u16), (120, 40)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| till::app::ui::draw(f, app)).unwrap();
        let buf = t.backend().buffer().clone();
        let mut screen = String::new();
        for y in 0..h {
            for x in 0..w {
                screen.push_str(buf[(x, y)].symbol());
            }
            screen.push('\n');
        }
        // The header names the software and its version: not a sentence.
        let body: String = screen.lines().skip(1).collect::<Vec<_>>().join("\n");
        let problems = leaks(&body);
        assert!(
            problems.is_empty(),
            "{step} at {w}x{h}: {problems:?}\n{screen}"
        );
        if std::env::var_os("SHOW_SCREENS").is_some() {
            eprintln!("== {step} ({w}x{h})\n{screen}");
        }
        seen.push(screen);
    }
    if let Some((_, m)) = app.message() {
        assert!(leaks(m).is_empty(), "{step}: message {m:?}: {:?}", leaks(m));
    }
    if let Some(dlg) = app.approval() {
        if let Some(e) = &dlg.error {
            assert!(leaks(e).is_empty(), "{step}: dialog error {e:?}");
        }
    }
}

fn press(app: &mut App, keys: &[Key]) {
    for k in keys {
        app.key(*k);
        app.tick();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while matches!(app.screen(), Screen::Searching { .. }) {
            assert!(std::time::Instant::now() < deadline, "receipt look-up hung");
            std::thread::sleep(std::time::Duration::from_millis(2));
            app.tick();
        }
    }
}

fn typed(app: &mut App, s: &str) {
    press(app, &Key::typed(s));
}

fn message(app: &App) -> String {
    app.message().map(|(_, m)| m.clone()).unwrap_or_default()
}

#[test]
fn the_counter_speaks_french_on_every_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    let mut seen = Vec::new();
    check(&app, "start", &mut seen);
    typed(&mut app, "9999\n");
    assert_eq!(message(&app), "Code inconnu");
    check(&app, "wrong PIN", &mut seen);
    typed(&mut app, "1111\n");
    check(&app, "logged in", &mut seen);
    assert!(seen.last().unwrap().contains("Camille (caissier)"));

    // Mistakes, in the cashier's words.
    typed(&mut app, "99999\n");
    assert_eq!(message(&app), "Aucun article avec le code « 99999 »");
    check(&app, "unknown code", &mut seen);
    press(&mut app, &[Key::Esc]);
    typed(&mut app, "1,5*10001\n");
    assert!(
        message(&app).starts_with("Quantité impossible : 1,5"),
        "{}",
        message(&app)
    );
    check(&app, "fractional pieces", &mut seen);
    press(&mut app, &[Key::Esc]);
    typed(&mut app, "abc");
    press(&mut app, &[Key::F(5)]);
    assert!(
        message(&app).starts_with("Remise illisible"),
        "{}",
        message(&app)
    );
    press(&mut app, &[Key::Esc]);

    // A sale, with the VAT and the total in French.
    typed(&mut app, "10001\n3*10002\n10011\n");
    check(&app, "basket", &mut seen);
    let screen = seen.last().unwrap();
    assert!(screen.contains("TVA 5,5 %"), "{screen}");

    // A basket discount above the threshold: the dialog says so in French,
    // and the cashier's own PIN may not approve it.
    typed(&mut app, "30");
    press(&mut app, &[Key::F(5)]);
    assert!(app.approval().is_some(), "{}", message(&app));
    check(&app, "discount dialog", &mut seen);
    let dialog = seen.last().unwrap();
    assert!(dialog.contains("Remise au-delà du seuil"), "{dialog}");
    assert!(dialog.contains("superviseur ou plus"), "{dialog}");
    assert!(dialog.contains("au-delà du seuil de 20 %"), "{dialog}");
    typed(&mut app, "1111\n");
    assert_eq!(
        app.approval().unwrap().error.as_deref(),
        Some("Ce code n'a pas le droit de valider (superviseur requis)")
    );
    check(&app, "rank too low", &mut seen);
    press(&mut app, &[Key::Esc]);
    check(&app, "refused", &mut seen);
    press(&mut app, &[Key::Esc]);

    // A price override, approved by the supervisor.
    typed(&mut app, "0,50/");
    assert!(app.approval().is_some());
    check(&app, "price dialog", &mut seen);
    assert!(seen.last().unwrap().contains("Changement de prix"));
    typed(&mut app, "2222\n");
    assert!(app.approval().is_none(), "{}", message(&app));

    // Payment: part cash, the rest by card typed in (no terminal here).
    press(&mut app, &[Key::F(8)]);
    typed(&mut app, "2");
    press(&mut app, &[Key::F(1)]);
    check(&app, "part paid", &mut seen);
    assert!(seen.last().unwrap().contains("Reste"));
    press(&mut app, &[Key::F(2)]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{}",
        message(&app)
    );
    check(&app, "sale done", &mut seen);

    // The drawer without a sale needs a supervisor: French dialog.
    press(&mut app, &[Key::Esc, Key::F(9)]);
    check(&app, "menu", &mut seen);
    typed(&mut app, "5");
    assert!(app.approval().is_some());
    check(&app, "no-sale dialog", &mut seen);
    assert!(seen
        .last()
        .unwrap()
        .contains("Ouverture du tiroir sans vente"));
    press(&mut app, &[Key::Esc]);

    // A refund with its receipt.
    press(&mut app, &[Key::F(9)]);
    typed(&mut app, "1");
    check(&app, "receipt number", &mut seen);
    typed(&mut app, "1\n");
    assert!(
        matches!(app.screen(), Screen::Refund(_)),
        "{}",
        message(&app)
    );
    check(&app, "refund lines", &mut seen);
    assert!(seen.last().unwrap().contains("du 23/11/2026"));
    press(&mut app, &[Key::Enter, Key::F(8)]);
    assert!(app.approval().is_some());
    check(&app, "refund dialog", &mut seen);
    assert!(seen
        .last()
        .unwrap()
        .contains("Remboursement du ticket T1-000001"));
    typed(&mut app, "2222\n");
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{}",
        message(&app)
    );
    check(&app, "refund done", &mut seen);

    // X, then Z with its cash count and the supervisor's approval.
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "8");
    assert!(
        matches!(app.screen(), Screen::Report { .. }),
        "{}",
        message(&app)
    );
    check(&app, "X report", &mut seen);
    assert!(seen.last().unwrap().contains("Rapport X du 23/11/2026"));
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "9");
    check(&app, "cash count", &mut seen);
    let Screen::CashCount { rows, .. } = app.screen() else {
        panic!("{:?}", app.screen())
    };
    let n = rows.len();
    for _ in 0..n {
        typed(&mut app, "1\n");
    }
    press(&mut app, &[Key::F(8)]);
    assert!(app.approval().is_some());
    check(&app, "Z dialog", &mut seen);
    typed(&mut app, "2222\n");
    let Screen::Report { title, text } = app.screen() else {
        panic!("{:?} {}", app.screen(), message(&app))
    };
    assert_eq!(title, "Clôture Z du 23/11/2026 enregistrée");
    assert!(text.contains("ÉCART"), "{text}");
    check(&app, "Z report", &mut seen);
}

#[test]
fn the_leak_check_catches_what_it_is_for() {
    for bad in [
        "no item with code \"99999\"",
        "invalid quantity 1.5",
        "Camille (cashier)",
        "refund (supervisor ou plus)",
        "discount_over_threshold",
        "PriceOverride",
        "basket discount 30.09 % above 20 %",
        "TVA 5.5%  reste 0.75",
        "Ticket T1-000001 du 2026-11-23",
    ] {
        assert!(!leaks(bad).is_empty(), "{bad} passed");
    }
    assert!(
        leaks("Aucun article avec le code « 99999 » ; TVA 5,5 % 12,50 € le 23/11/2026").is_empty()
    );
}

/// The payment terminal's and the devices' reasons, as the worker threads
/// word them for the status line and the payment screen: through the
/// catalog, never a device's own (English) error text; and every message
/// of the tender and device catalogs in French.
#[test]
fn terminal_and_device_messages_speak_french() {
    use std::time::Duration;
    use till_devices::error::DeviceError;
    use till_devices::payment::PaymentError;
    let errors = [
        PaymentError::Timeout {
            step: "answer".into(),
            after: Duration::from_secs(120),
        },
        PaymentError::Rejected {
            what: "our request".into(),
            tries: 3,
        },
        PaymentError::Garbled {
            detail: "bad LRC".into(),
            bytes: vec![2, 3],
        },
        PaymentError::InvalidRequest("amount too large for the field".into()),
        PaymentError::Device(DeviceError::Timeout {
            what: "connection to the terminal".into(),
            after: Duration::from_secs(3),
        }),
    ];
    for e in &errors {
        let (why, _) = till::app::terminal::explain(e, "192.168.1.50:8888");
        assert!(
            leaks(&why).is_empty(),
            "{e:?} said {why:?}: {:?}",
            leaks(&why)
        );
    }
    // The printer's status in plain words, known or not.
    let problems = [
        "printer has an unrecoverable error: switch it off and on, then call service",
        "paper jammed in the cutter: open the cover and clear it",
        "printer cover is open: close it",
        "printer is out of paper: load a new roll",
        "printer mechanism error: check the print head lever",
        "print head overheated: wait a minute",
        "printer is offline",
        "paper roll nearly finished: have a new roll ready",
        "printer reports something new",
    ];
    let said = till::app::devices::french(&problems);
    assert!(leaks(&said).is_empty(), "{said:?}: {:?}", leaks(&said));
    use comptoir_i18n::Template;
    // The words around the placeholders (`{amount}` is filled in).
    let words = |t: String| -> String {
        let mut out = String::new();
        let mut inside = false;
        for c in t.chars() {
            match c {
                '{' => inside = true,
                '}' => inside = false,
                c if !inside => out.push(c),
                _ => {}
            }
        }
        out
    };
    for m in comptoir_i18n::till_devices::TillDevices::ALL {
        let t = words(m.text(comptoir_i18n::Lang::Fr));
        assert!(leaks(&t).is_empty(), "{m:?}: {t:?}: {:?}", leaks(&t));
    }
    // The checks of till.toml's [[tenders]] quote its keys and values as
    // written (gives_change, cash...): they are for the one who edits it,
    // on standard error, not for the cashier's screen.
    let config = [
        "ConfigEntry",
        "ConfigKey",
        "CodeMissing",
        "CodeInvalid",
        "LostWithChange",
        "TendersInRules",
    ];
    for m in comptoir_i18n::till_tenders::TillTenders::ALL {
        if config.contains(&format!("{m:?}").as_str()) {
            continue;
        }
        let t = words(m.text(comptoir_i18n::Lang::Fr));
        assert!(leaks(&t).is_empty(), "{m:?}: {t:?}: {:?}", leaks(&t));
    }
}
