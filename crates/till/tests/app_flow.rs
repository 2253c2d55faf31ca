//! The counter app's state machine driven by keys, without a terminal: whole
//! sales, refunds with approval, park/resume, printer failure and reprint,
//! the Z closing, and the basket surviving a restart.

use chrono::{DateTime, FixedOffset, TimeZone};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use till::app::{App, FakeDevices, Key, Screen, Settings};
use till_core::records::{ClosingKind, Event};
use till_core::{BasketConfig, Catalog};
use till_journal::{verify, Journal, OpenOptions, VerifyOptions};

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

fn open(dir: &Path) -> Journal {
    Journal::open(
        dir.join("journal.db"),
        OpenOptions {
            terminal_id: "T1".into(),
            shop_id: "S1".into(),
            key_path: dir.join("journal.db.key"),
            software_version: "test".into(),
        },
    )
    .unwrap()
}

fn app(dir: &Path) -> (App, Rc<RefCell<FakeDevices>>) {
    app_at(dir, now)
}

fn app_at(dir: &Path, clock: fn() -> DateTime<FixedOffset>) -> (App, Rc<RefCell<FakeDevices>>) {
    let journal = open(dir);
    let users = till::users::ensure_demo_users(&journal).unwrap();
    let (items, patterns) = till::demo::catalog().unwrap();
    let catalog = Catalog::new(items, patterns).unwrap();
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
    let app = App::new(
        journal,
        catalog,
        users,
        settings,
        Box::new(fake.clone()),
        Box::new(clock),
    )
    .unwrap();
    (app, fake)
}

fn press(app: &mut App, keys: &[Key]) {
    for k in keys {
        app.key(*k);
        app.tick();
        // A receipt look-up answers from its thread through tick().
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

fn events(j: &Journal) -> Vec<Event> {
    j.events_after(0, 10_000)
        .unwrap()
        .iter()
        .map(|e| e.decode().unwrap())
        .collect()
}

fn login_and_sell(app: &mut App) {
    typed(app, "1111\n");
    assert!(matches!(app.screen(), Screen::Sale), "{:?}", app.message());
    typed(app, "10001\n3*10002\n");
    assert_eq!(app.live_lines().len(), 2, "{:?}", app.message());
}

#[test]
fn whole_sale_part_cash_part_card() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, fake) = app(dir.path());
    login_and_sell(&mut app);
    // Line discount of 10 % on the croissants (selected: the last line).
    typed(&mut app, "10");
    press(&mut app, &[Key::F(4)]);
    assert!(app.approval().is_none());
    press(&mut app, &[Key::F(8)]);
    assert!(matches!(app.screen(), Screen::Payment));
    typed(&mut app, "2");
    press(&mut app, &[Key::F(1), Key::F(2)]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let ev = events(&app.journal());
    let sale = ev
        .iter()
        .find_map(|e| match e {
            Event::SaleCompleted(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    // 1.30 + 3 x 1.20 - 10 % of 3.60 = 4.54
    assert_eq!(sale.total.to_string(), "4.54");
    assert_eq!(sale.tenders.len(), 2);
    assert_eq!(app.journal().load_basket().unwrap(), None);
    assert_eq!(fake.borrow().printed(), vec!["T1-000001".to_string()]);
    assert_eq!(fake.borrow().drawer_kicks(), 1);
    let report = verify(app.journal().path(), VerifyOptions::default()).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
}

#[test]
fn refund_needs_a_supervisor_pin() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, fake) = app(dir.path());
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(8), Key::F(1)]);
    assert!(matches!(app.screen(), Screen::Done { .. }));
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "1");
    assert!(matches!(app.screen(), Screen::ReceiptNo { .. }));
    typed(&mut app, "1\n");
    assert!(
        matches!(app.screen(), Screen::Refund(_)),
        "{:?}",
        app.message()
    );
    press(&mut app, &[Key::Enter, Key::F(8)]);
    let dlg = app.approval().expect("approval asked");
    assert!(dlg.req.detail.contains("T1-000001"), "{}", dlg.req.detail);
    // A wrong PIN is refused and the dialog stays.
    typed(&mut app, "9999\n");
    assert!(app.approval().unwrap().error.is_some());
    typed(&mut app, "2222\n");
    assert!(app.approval().is_none(), "{:?}", app.message());
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let refund = events(&app.journal())
        .into_iter()
        .find_map(|e| match e {
            Event::Refund(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(refund.total.to_string(), "-1.30");
    assert_eq!(refund.approvals[0].approved_by, "s1");
    assert_eq!(refund.approvals[0].requested_by, "c1");
    assert_eq!(fake.borrow().printed().len(), 2);
}

#[test]
fn park_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(7)]);
    assert!(app.basket().is_none());
    assert_eq!(app.parked().len(), 1);
    // Another customer meanwhile.
    typed(&mut app, "10003\n");
    press(&mut app, &[Key::F(8), Key::F(2)]);
    assert!(matches!(app.screen(), Screen::Done { .. }));
    press(&mut app, &[Key::Esc, Key::F(7)]);
    assert!(matches!(app.screen(), Screen::Resume { .. }));
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.live_lines().len(), 2);
    assert!(app.parked().is_empty());
    // Parked baskets survive a restart too.
    press(&mut app, &[Key::F(7)]);
    drop(app);
    let (app2, _) = self::app(dir.path());
    assert_eq!(app2.parked().len(), 1);
}

#[test]
fn basket_is_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    login_and_sell(&mut app);
    drop(app); // as good as a crash: nothing is flushed on drop
    let (mut app, _) = self::app(dir.path());
    assert_eq!(app.live_lines().len(), 2);
    typed(&mut app, "1111\n");
    press(&mut app, &[Key::F(8), Key::F(2)]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
}

#[test]
fn printer_failure_keeps_the_sale_and_prints_the_original_later() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, fake) = app(dir.path());
    fake.borrow_mut().paper_out = true;
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(8), Key::F(2)]);
    assert!(matches!(app.screen(), Screen::Done { .. }));
    let msg = app.message().cloned().unwrap().1;
    assert!(msg.contains("non imprimé"), "{msg}");
    assert_eq!(app.status().unprinted, vec!["T1-000001".to_string()]);
    fake.borrow_mut().paper_out = false;
    // Nothing reached paper: printing it now gives the original, not a copy.
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "4\n");
    assert_eq!(fake.borrow().printed(), vec!["T1-000001".to_string()]);
    assert!(app.status().unprinted.is_empty());
    assert!(!events(&app.journal())
        .iter()
        .any(|e| matches!(e, Event::ReceiptReprinted(_))));
    // Asked again, it is a DUPLICATA, and journaled as such.
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "4\n");
    assert_eq!(fake.borrow().printed().len(), 2);
    assert!(events(&app.journal())
        .iter()
        .any(|e| matches!(e, Event::ReceiptReprinted(r) if r.reprint_count == 1)));
}

#[test]
fn receipt_cut_short_by_paper_out_is_reprinted_as_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, fake) = app(dir.path());
    fake.borrow_mut().paper_out = true;
    fake.borrow_mut().paper_out_mid_receipt = true;
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(8), Key::F(2)]);
    assert_eq!(app.status().partly_printed, vec!["T1-000001".to_string()]);
    fake.borrow_mut().paper_out = false;
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "4\n");
    assert_eq!(fake.borrow().printed(), vec!["T1-000001".to_string()]);
    assert!(app.status().unprinted.is_empty() && app.status().partly_printed.is_empty());
    assert!(events(&app.journal())
        .iter()
        .any(|e| matches!(e, Event::ReceiptReprinted(r) if r.reprint_count == 1)));
}

#[test]
fn z_closing_with_cash_count() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, fake) = app(dir.path());
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(8)]);
    typed(&mut app, "10");
    press(&mut app, &[Key::F(1)]); // 4.90 due, 10 given: 5.10 change
    assert!(matches!(app.screen(), Screen::Done { .. }));
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "9");
    let Screen::CashCount { rows, .. } = app.screen() else {
        panic!("{:?}", app.screen())
    };
    assert_eq!(rows[0].tender, "cash");
    assert_eq!(rows[0].expected.to_string(), "4.90");
    typed(&mut app, "4,80\n");
    press(&mut app, &[Key::F(8)]);
    assert!(app.approval().is_some(), "a cashier's Z needs a supervisor");
    typed(&mut app, "2222\n");
    let Screen::Report { title, text } = app.screen() else {
        panic!("{:?} {:?}", app.screen(), app.message())
    };
    assert!(title.contains("23/11/2026"), "{title}");
    assert!(text.contains("4,80"), "{text}");
    let closings = app.journal().closings().unwrap();
    assert!(closings
        .iter()
        .any(|(k, p, _)| k == ClosingKind::Day.as_str() && p == "2026-11-23"));
    assert!(printed_z(&fake));
    // The next sale goes to the next business day.
    assert_eq!(app.business_day().to_string(), "2026-11-24");
}

#[test]
fn status_line_reads_the_sync_daemon_state() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(8), Key::F(2)]);
    std::fs::write(
        dir.path().join("journal.db.sync-state.json"),
        r#"{"last_success":"2026-11-23T08:58:00.000Z","consecutive_failures":2}"#,
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    app.tick();
    assert!(app.status().waiting() > 0);
    assert_eq!(app.status().sync_failures, Some(2));
    // 10:00 +01:00 is 09:00Z: two minutes after the last success.
    assert_eq!(app.status().sync_age_s, Some(120));
    assert!(app.status().has_head_office());
    // Two failed passes two minutes after a success: a blip, not offline.
    assert!(!app.status().offline(std::time::Instant::now()));
    // Out of reach for more than the five minutes stated: offline.
    std::fs::write(
        dir.path().join("journal.db.sync-state.json"),
        r#"{"last_success":"2026-11-23T08:50:00.000Z","consecutive_failures":9}"#,
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    app.tick();
    assert_eq!(app.status().sync_age_s, Some(600));
    assert!(app.status().offline(std::time::Instant::now()));
}

#[test]
fn without_head_office_the_till_is_never_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    login_and_sell(&mut app);
    press(&mut app, &[Key::F(8), Key::F(2)]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    app.tick();
    // Events wait, nothing acknowledges them, and no daemon status file:
    // no head office is configured, so nothing is out of reach.
    assert!(app.status().waiting() > 0);
    assert!(!app.status().has_head_office());
    let mut s = app.status().clone();
    s.acked_moved = None;
    assert!(!s.offline(std::time::Instant::now()));
}

fn printed_z(fake: &Rc<RefCell<FakeDevices>>) -> bool {
    fake.borrow().printed().iter().any(|w| w == "Z 2026-11-23")
}

#[test]
fn drawer_left_open_is_flagged_after_a_minute() {
    let now = std::time::Instant::now();
    let mut s = till::app::counter::Status::default();
    assert_eq!(s.drawer_left_open(now), None);
    s.drawer_open_since = now.checked_sub(std::time::Duration::from_secs(30));
    assert_eq!(s.drawer_left_open(now), None);
    s.drawer_open_since = now.checked_sub(std::time::Duration::from_secs(75));
    if s.drawer_open_since.is_some() {
        assert_eq!(s.drawer_left_open(now), Some(75));
    }
}

#[test]
fn search_weight_void_and_a_discount_over_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    typed(&mut app, "1111\n");
    // Search by name, pick the first match.
    press(&mut app, &[Key::F(2)]);
    typed(&mut app, "croissant");
    let Screen::Search { results, .. } = app.screen() else {
        panic!("{:?}", app.screen())
    };
    assert_eq!(results.len(), 1);
    press(&mut app, &[Key::Enter]);
    assert_eq!(app.live_lines().len(), 1);
    // A weighed article: weight, `*`, its code.
    typed(&mut app, "0,750*40001\n");
    assert_eq!(app.live_lines().len(), 2, "{:?}", app.message());
    let b = app.basket().unwrap();
    assert_eq!(b.lines()[1].quantity.to_string(), "0.750");
    // Void the croissant (select it first).
    press(&mut app, &[Key::Up, Key::F(6)]);
    assert_eq!(app.live_lines().len(), 1);
    // 30 % off the basket is over the 20 % threshold: a supervisor approves.
    typed(&mut app, "30");
    press(&mut app, &[Key::F(5)]);
    assert!(app.approval().is_some());
    typed(&mut app, "2222\n");
    assert!(app.approval().is_none(), "{:?}", app.message());
    let t = app.basket().unwrap().totals();
    // 0.750 kg x 2.49 = 1.87 (half-up), 30 % off = 0.56 -> 1.31
    assert_eq!(t.total.to_string(), "1.31");
    assert!(events(&app.journal())
        .iter()
        .any(|e| matches!(e, Event::ApprovalGranted(a) if a.approved_by == "s1")));
}

#[test]
fn receipt_lookup_finds_every_number() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    typed(&mut app, "1111\n");
    for n in 0..60 {
        // Logins, approvals and drawer events between sales: receipt
        // numbers and seqs do not move together.
        if n % 7 == 0 {
            press(&mut app, &[Key::F(9)]);
            typed(&mut app, "5");
            typed(&mut app, "2222\n");
        }
        typed(&mut app, "10001\n");
        press(&mut app, &[Key::F(8), Key::F(2), Key::Esc]);
    }
    // Refund sale 7 (with the supervisor), then look everything up.
    press(&mut app, &[Key::F(9)]);
    typed(&mut app, "1");
    typed(&mut app, "7\n");
    press(&mut app, &[Key::Enter, Key::F(8)]);
    typed(&mut app, "2222\n");
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let j = &app.journal();
    for n in [1u64, 2, 7, 30, 59, 60, 61] {
        let no = format!("T1-{n:06}");
        let found = till::app::store::find_sale(j, &no).unwrap();
        let found = found.unwrap_or_else(|| panic!("{no} not found"));
        assert_eq!(found.record.sale_no, no);
        assert_eq!(found.reversals.len(), usize::from(n == 7), "{no}");
    }
    assert!(till::app::store::find_sale(j, "T1-000062")
        .unwrap()
        .is_none());
    assert!(till::app::store::find_sale(j, "T1-000000")
        .unwrap()
        .is_none());
    assert!(till::app::store::find_sale(j, "X").unwrap().is_none());
}

#[test]
fn a_paid_basket_restored_after_a_crash_is_recorded_with_enter() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    typed(&mut app, "1111\n10001\n");
    // Paid in full, then the power goes before the sale is recorded.
    let mut b = app.basket().unwrap().clone();
    b.pay_cash(rust_decimal::Decimal::from(2)).unwrap();
    let bytes = serde_json::to_vec(&b).unwrap();
    app.journal().save_basket(&bytes).unwrap();
    drop(app);
    let (mut app, fake) = self::app(dir.path());
    typed(&mut app, "1111\n");
    assert!(matches!(app.screen(), Screen::Payment));
    press(&mut app, &[Key::Enter]);
    let Screen::Done { big, .. } = app.screen() else {
        panic!("{:?} {:?}", app.screen(), app.message())
    };
    assert!(big.contains("0,70"), "{big}");
    assert_eq!(fake.borrow().printed(), vec!["T1-000001".to_string()]);
}

#[test]
fn cash_in_with_approval_counts_in_the_z() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, fake) = app(dir.path());
    typed(&mut app, "1111\n");
    press(&mut app, &[Key::F(9)]);
    typed(&mut app, "6");
    assert!(matches!(app.screen(), Screen::CashMove { .. }));
    typed(&mut app, "100\n");
    assert!(app.approval().is_some(), "{:?}", app.message());
    typed(&mut app, "2222\n");
    assert!(app.approval().is_none(), "{:?}", app.message());
    let t = app
        .journal()
        .period_totals(ClosingKind::Day, "2026-11-23")
        .unwrap();
    assert_eq!(t.cash_in.to_string(), "100.00");
    assert_eq!(fake.borrow().drawer_kicks(), 1);
}

#[test]
fn every_screen_draws_at_any_size() {
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    let draw_all = |app: &App| {
        for (w, h) in [(8, 4), (40, 12), (80, 25), (128, 48)] {
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| till::app::ui::draw(f, app)).unwrap();
        }
    };
    draw_all(&app);
    typed(&mut app, "1111\n");
    draw_all(&app);
    typed(&mut app, "10001\n");
    draw_all(&app);
    press(&mut app, &[Key::F(2)]);
    typed(&mut app, "lait");
    draw_all(&app);
    press(&mut app, &[Key::Esc, Key::F(8)]);
    draw_all(&app);
    press(&mut app, &[Key::F(1)]);
    draw_all(&app);
    press(&mut app, &[Key::Enter, Key::F(9)]);
    draw_all(&app);
    typed(&mut app, "5");
    assert!(app.approval().is_some());
    draw_all(&app);
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "1");
    typed(&mut app, "1\n");
    draw_all(&app);
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "9");
    draw_all(&app);
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "8");
    draw_all(&app);
}

#[test]
fn month_and_year_close_on_their_own_after_the_last_z() {
    fn new_year_eve() -> DateTime<FixedOffset> {
        FixedOffset::east_opt(3600)
            .unwrap()
            .with_ymd_and_hms(2026, 12, 31, 19, 0, 0)
            .unwrap()
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app_at(dir.path(), new_year_eve);
    typed(&mut app, "3333\n"); // the manager closes without approval
    typed(&mut app, "10001\n");
    press(&mut app, &[Key::F(8), Key::F(1), Key::Enter, Key::F(9)]);
    typed(&mut app, "9");
    typed(&mut app, "1,30\n");
    press(&mut app, &[Key::F(8)]);
    assert!(app.approval().is_none(), "{:?}", app.message());
    let Screen::Report { text, .. } = app.screen() else {
        panic!("{:?} {:?}", app.screen(), app.message())
    };
    assert!(text.contains("mois 12/2026"), "{text}");
    let closings: Vec<(String, String)> = app
        .journal()
        .closings()
        .unwrap()
        .into_iter()
        .map(|(k, p, _)| (k, p))
        .collect();
    for (k, p) in [
        ("day", "2026-12-31"),
        ("month", "2026-12"),
        ("year", "2026"),
    ] {
        assert!(
            closings.contains(&(k.to_string(), p.to_string())),
            "{k} {p} not in {closings:?}"
        );
    }
}

#[test]
fn price_override_needs_a_supervisor() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path());
    typed(&mut app, "1111\n10001\n");
    typed(&mut app, "0,99/");
    let dlg = app.approval().expect("approval asked");
    assert!(dlg.req.detail.contains("0,99"), "{}", dlg.req.detail);
    typed(&mut app, "2222\n");
    assert!(app.approval().is_none(), "{:?}", app.message());
    let b = app.basket().unwrap();
    assert_eq!(b.lines()[0].unit_price.to_string(), "0.99");
    assert!(b.lines()[0].overridden);
    press(&mut app, &[Key::F(8), Key::F(2)]);
    let sale = events(&app.journal())
        .into_iter()
        .find_map(|e| match e {
            Event::SaleCompleted(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        sale.lines[0].overridden_from.map(|p| p.to_string()),
        Some("1.30".into())
    );
}

#[test]
fn an_unreadable_parked_file_does_not_stop_the_till() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parked.json"), b"{not json").unwrap();
    let (app, _) = app(dir.path());
    assert!(app.parked().is_empty());
    assert!(dir.path().join("parked-unreadable.json").exists());
}
