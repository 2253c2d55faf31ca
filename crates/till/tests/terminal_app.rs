//! Card tenders through the payment terminal, in the app's state machine,
//! against a scripted terminal (the real worker thread, a fake device):
//! approved, declined, no answer then retry, late approvals (attached to
//! the sale, or journaled and refunded), refunds, a restart after an
//! approval, and never a full card number in the journal.

mod common;

use common::{card_money, events, paid, press, typed, wait_for};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use till::app::{App, Key, Screen};
use till_core::records::{Event, TenderKind};
use till_devices::payment::{
    PaymentAnswer, PaymentError, PaymentKind, PaymentRequest, PaymentTerminal,
};

const FULL_PAN: &str = "4970101234567890";

#[derive(Debug, Clone)]
enum Step {
    Approve,
    /// Approves after this many ms (the customer takes their time).
    Slow(u64),
    Decline,
    /// Times out; approves `late` ms later if given.
    NoAnswer {
        late: Option<u64>,
    },
    /// Still busy with the earlier attempt: ignores this one (a timeout),
    /// and that earlier attempt's late answer still comes.
    Busy,
}

#[derive(Default)]
struct Script {
    steps: VecDeque<Step>,
    requests: Vec<PaymentRequest>,
}

/// A terminal that does what the script says, and sends a full PAN as its
/// "masked" one to prove the till masks it anyway.
struct Scripted {
    script: Arc<Mutex<Script>>,
    late: Option<(Instant, PaymentAnswer)>,
}

fn answer(req: &PaymentRequest, approved: bool) -> PaymentAnswer {
    PaymentAnswer {
        approved,
        amount_cents: req.amount_cents,
        masked_pan: Some(FULL_PAN.into()),
        auth_code: approved.then(|| "A1B2C3".into()),
        scheme: Some("CB".into()),
        read_mode: Some("contactless".into()),
        reason: (!approved).then(|| "refusée par la banque".into()),
        reference: Some(req.reference.clone()),
        terminal_reference: None,
    }
}

impl PaymentTerminal for Scripted {
    fn ping(&mut self) -> Result<(), PaymentError> {
        Ok(())
    }
    fn pay(&mut self, req: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        let step = {
            let mut s = self.script.lock().unwrap();
            s.requests.push(req.clone());
            s.steps.pop_front().unwrap_or(Step::Approve)
        };
        match step {
            Step::Approve => Ok(answer(req, true)),
            Step::Slow(ms) => {
                std::thread::sleep(Duration::from_millis(ms));
                Ok(answer(req, true))
            }
            Step::Decline => Ok(answer(req, false)),
            Step::Busy => Err(PaymentError::Timeout {
                step: "ENQ".into(),
                after: Duration::from_millis(50),
            }),
            Step::NoAnswer { late } => {
                if let Some(ms) = late {
                    self.late = Some((
                        Instant::now() + Duration::from_millis(ms),
                        answer(req, true),
                    ));
                }
                Err(PaymentError::Timeout {
                    step: "answer".into(),
                    after: Duration::from_millis(50),
                })
            }
        }
    }
    fn late_answer(&mut self, wait: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        let until = Instant::now() + wait;
        match &self.late {
            Some((due, _)) if *due <= until => {
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                Ok(self.late.take().map(|(_, a)| a))
            }
            _ => {
                std::thread::sleep(wait);
                Ok(None)
            }
        }
    }
    fn describe(&self) -> String {
        "scripted".into()
    }
}

fn app(dir: &Path, steps: Vec<Step>) -> (App, Arc<Mutex<Script>>) {
    let script = Arc::new(Mutex::new(Script {
        steps: steps.into(),
        requests: Vec::new(),
    }));
    let s2 = script.clone();
    let open = Box::new(move || {
        Ok::<_, String>(Box::new(Scripted {
            script: s2.clone(),
            late: None,
        }) as Box<dyn PaymentTerminal>)
    });
    (common::app_with(dir, open, Duration::from_secs(10)), script)
}

fn sell(app: &mut App) {
    common::sell(app)
}

fn check_journal(app: &App) {
    common::check_journal(app, FULL_PAN)
}

#[test]
fn approved_card_pays_the_sale_and_keeps_only_the_masked_number() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(dir.path(), vec![Step::Approve]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let sale = events(&app.journal())
        .into_iter()
        .find_map(|e| match e {
            Event::SaleCompleted(s) => Some(s),
            _ => None,
        })
        .unwrap();
    let t = &sale.tenders[0];
    let c = t.card.as_ref().unwrap();
    assert_eq!(c.masked_pan.as_deref(), Some("************7890"));
    assert_eq!(c.auth_code.as_deref(), Some("A1B2C3"));
    assert_eq!(c.scheme.as_deref(), Some("CB"));
    assert!(t.reference.as_deref().unwrap().starts_with("T1-000001/"));
    let req = script.lock().unwrap().requests[0].clone();
    assert_eq!(req.amount_cents, 490);
    assert_eq!(req.kind, PaymentKind::Debit);
    assert_eq!(req.currency, 978);
    assert_eq!(card_money(&app.journal()).0, vec!["4.90"]);
    check_journal(&app);
}

#[test]
fn declined_leaves_the_tender_unpaid() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path(), vec![Step::Decline]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(matches!(app.screen(), Screen::Payment));
    assert!(app.message().unwrap().1.contains("refusé"));
    assert!(app.basket().unwrap().tenders().is_empty());
    press(&mut app, &[Key::F(1)]);
    assert!(matches!(app.screen(), Screen::Done { .. }));
    assert!(card_money(&app.journal()).0.is_empty());
    check_journal(&app);
}

#[test]
fn no_answer_then_retry_records_one_payment() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(
        dir.path(),
        vec![Step::NoAnswer { late: None }, Step::Approve],
    );
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(matches!(app.screen(), Screen::Payment));
    let msg = &app.message().unwrap().1;
    assert!(
        msg.contains("Pas de réponse du terminal de paiement"),
        "{msg}"
    );
    assert!(app.basket().unwrap().tenders().is_empty());
    let text = screen_text(&app, 128, 48);
    assert!(text.contains("TPE : écoute une réponse tardive"), "{text}");
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let reqs = script.lock().unwrap().requests.clone();
    assert_eq!(reqs.len(), 2);
    // The terminal answered the retry: the worker no longer listens for the
    // first attempt, and the status line (and Ctrl-Q) must not say it does.
    assert!(!app.terminal().listening(std::time::Instant::now()));
    // Two attempts in the same second (the test clock never moves) still
    // differ on the wire, in the part Concert's 10-character field keeps:
    // a late answer to the first cannot pass for the second's.
    let tail = |r: &PaymentRequest| r.reference[r.reference.len().saturating_sub(10)..].to_string();
    assert_ne!(tail(&reqs[0]), tail(&reqs[1]));
    assert_eq!(card_money(&app.journal()), (vec!["4.90".into()], vec![]));
    check_journal(&app);
}

#[test]
fn late_approval_for_this_sale_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(dir.path(), vec![Step::NoAnswer { late: Some(300) }]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(matches!(app.screen(), Screen::Payment));
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    let msg = &app.message().unwrap().1;
    assert!(msg.contains("4,90"), "{msg}");
    // Already in the saved basket, before the cashier decides.
    let saved = app.journal().load_basket().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&saved).contains("A1B2C3"));
    press(&mut app, &[Key::Enter]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    assert_eq!(script.lock().unwrap().requests.len(), 1);
    assert_eq!(card_money(&app.journal()), (vec!["4.90".into()], vec![]));
    check_journal(&app);
}

#[test]
fn retry_finds_the_late_approval_instead_of_charging_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(dir.path(), vec![Step::NoAnswer { late: Some(150) }]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    // At once, before the worker heard anything: the retry must find it.
    press(&mut app, &[Key::F(2)]);
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    assert_eq!(script.lock().unwrap().requests.len(), 1);
    press(&mut app, &[Key::Enter]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    assert_eq!(card_money(&app.journal()), (vec!["4.90".into()], vec![]));
}

#[test]
fn late_approval_after_cash_is_journaled_and_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(
        dir.path(),
        vec![Step::NoAnswer { late: Some(400) }, Step::Approve],
    );
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::F(1)]);
    assert!(matches!(app.screen(), Screen::Done { .. }));
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    // Journaled before the cashier does anything.
    assert_eq!(card_money(&app.journal()).1, vec!["4.90"]);
    press(&mut app, &[Key::Enter]);
    paid(&mut app);
    let reqs = script.lock().unwrap().requests.clone();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].kind, PaymentKind::Refund);
    assert_eq!(reqs[1].amount_cents, 490);
    assert_eq!(
        card_money(&app.journal()),
        (vec![], vec!["4.90".into(), "-4.90".into()])
    );
    check_journal(&app);
}

#[test]
fn late_approval_taken_back_by_the_cashier_is_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(
        dir.path(),
        vec![Step::NoAnswer { late: Some(200) }, Step::Approve],
    );
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    press(&mut app, &[Key::F(6)]);
    paid(&mut app);
    assert!(app.basket().unwrap().tenders().is_empty());
    press(&mut app, &[Key::F(1)]);
    assert!(matches!(app.screen(), Screen::Done { .. }));
    assert_eq!(
        card_money(&app.journal()),
        (vec![], vec!["4.90".into(), "-4.90".into()])
    );
    check_journal(&app);
}

#[test]
fn approved_part_payment_survives_a_restart_and_is_not_charged_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(dir.path(), vec![Step::Approve]);
    sell(&mut app);
    typed(&mut app, "2");
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert_eq!(app.basket().unwrap().tenders().len(), 1);
    // A terminal-approved card cannot be removed or abandoned.
    press(&mut app, &[Key::F(6)]);
    assert_eq!(app.basket().unwrap().tenders().len(), 1);
    drop(app); // the power goes
    let (mut app, script2) = self::app(dir.path(), vec![]);
    typed(&mut app, "1111\n");
    assert!(matches!(app.screen(), Screen::Payment));
    press(&mut app, &[Key::F(1)]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    assert_eq!(script.lock().unwrap().requests.len(), 1);
    assert!(script2.lock().unwrap().requests.is_empty());
    assert_eq!(card_money(&app.journal()).0, vec!["2.00"]);
    check_journal(&app);
}

#[test]
fn a_crash_during_the_payment_is_flagged_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path(), vec![Step::NoAnswer { late: None }]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    drop(app);
    let (mut app, _) = self::app(dir.path(), vec![]);
    typed(&mut app, "1111\n");
    let msg = &app.message().unwrap().1;
    assert!(msg.contains("vérifiez le ticket du terminal"), "{msg}");
}

#[test]
fn refund_goes_back_to_the_card_through_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(dir.path(), vec![Step::Approve, Step::Approve]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "1");
    typed(&mut app, "1\n");
    assert!(
        matches!(app.screen(), Screen::Refund(_)),
        "{:?}",
        app.message()
    );
    press(&mut app, &[Key::Enter, Key::F(8)]);
    typed(&mut app, "2222\n");
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let reqs = script.lock().unwrap().requests.clone();
    assert_eq!(reqs[1].kind, PaymentKind::Refund);
    assert_eq!(reqs[1].amount_cents, 130);
    let refund = events(&app.journal())
        .into_iter()
        .find_map(|e| match e {
            Event::Refund(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(refund.tenders[0].kind, TenderKind::Card);
    assert!(refund.tenders[0].card.as_ref().unwrap().approved);
    assert_eq!(card_money(&app.journal()).0, vec!["4.90", "-1.30"]);
    check_journal(&app);
}

#[test]
fn declined_card_refund_can_be_paid_in_cash() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path(), vec![Step::Approve, Step::Decline]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "3");
    typed(&mut app, "1\n");
    typed(&mut app, "2222\n");
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::CardRefund { .. }),
        "{:?}",
        app.message()
    );
    press(&mut app, &[Key::F(1)]);
    assert!(
        matches!(app.screen(), Screen::Done { .. }),
        "{:?}",
        app.message()
    );
    let cancel = events(&app.journal())
        .into_iter()
        .find_map(|e| match e {
            Event::SaleCancelled(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(cancel.tenders[0].kind, TenderKind::Cash);
    check_journal(&app);
}

fn screen_text(app: &App, w: u16, h: u16) -> String {
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| till::app::ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    buf.content().iter().map(|c| c.symbol()).collect()
}

fn draws(app: &App) -> String {
    for (w, h) in [(8, 4), (40, 12), (128, 48)] {
        screen_text(app, w, h);
    }
    screen_text(app, 80, 25)
}

#[test]
fn terminal_screens_draw_and_show_the_amount() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(
        dir.path(),
        vec![
            Step::Slow(300),
            Step::NoAnswer { late: Some(100) },
            Step::Approve,
            Step::Decline,
        ],
    );
    sell(&mut app);
    typed(&mut app, "1");
    press(&mut app, &[Key::F(2)]);
    assert!(matches!(app.screen(), Screen::Paying { .. }));
    assert!(draws(&app).contains("1,00"));
    // Keys wait while the terminal works.
    press(&mut app, &[Key::F(1)]);
    assert!(matches!(app.screen(), Screen::Paying { .. }));
    paid(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    let text = draws(&app);
    assert!(text.contains("3,90"), "{text}");
    assert!(text.contains("7890"), "{text}");
    press(&mut app, &[Key::Enter]);
    common::done(&app);
    // A cancellation whose card refund is declined.
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "3");
    typed(&mut app, "1\n");
    typed(&mut app, "2222\n");
    paid(&mut app);
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::CardRefund { .. }),
        "{:?}",
        app.message()
    );
    draws(&app);
    // One card was refunded already: giving up is refused, cash is not.
    press(&mut app, &[Key::Esc]);
    assert!(matches!(app.screen(), Screen::CardRefund { .. }));
    press(&mut app, &[Key::F(1)]);
    common::done(&app);
    check_journal(&app);
}

#[test]
fn late_approval_of_a_card_refund_completes_the_refund_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, script) = app(
        dir.path(),
        vec![Step::Approve, Step::NoAnswer { late: Some(300) }],
    );
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "3");
    typed(&mut app, "1\n");
    typed(&mut app, "2222\n");
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::CardRefund { .. }),
        "{:?}",
        app.message()
    );
    wait_for(&mut app, "the late refund approval", |a| {
        matches!(a.screen(), Screen::Done { .. })
    });
    assert_eq!(script.lock().unwrap().requests.len(), 2);
    assert_eq!(
        card_money(&app.journal()),
        (vec!["4.90".into(), "-4.90".into()], vec![])
    );
    check_journal(&app);
}

#[test]
fn late_approval_for_a_finished_sale_is_not_added_to_the_next_customer() {
    let dir = tempfile::tempdir().unwrap();
    // The late approval of sale A comes while sale B is on the payment
    // screen: B's customer must not get A's card payment as theirs.
    let (mut app, _) = app(dir.path(), vec![Step::NoAnswer { late: Some(1500) }]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::F(1)]);
    common::done(&app);
    sell(&mut app);
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    assert!(
        app.basket().unwrap().tenders().is_empty(),
        "sale A's card payment went into sale B"
    );
    // On record all the same, as money no sale holds.
    assert_eq!(card_money(&app.journal()), (vec![], vec!["4.90".into()]));
    check_journal(&app);
}

/// A terminal whose link has nothing to wait on after a lost attempt (the
/// driver dropped its pending attempt): `late_answer` returns at once.
struct Instant0 {
    calls: Arc<Mutex<u32>>,
}

impl PaymentTerminal for Instant0 {
    fn ping(&mut self) -> Result<(), PaymentError> {
        Ok(())
    }
    fn pay(&mut self, _: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        Err(PaymentError::Timeout {
            step: "answer".into(),
            after: Duration::from_millis(1),
        })
    }
    fn late_answer(&mut self, _: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        *self.calls.lock().unwrap() += 1;
        Ok(None)
    }
    fn describe(&self) -> String {
        "instant".into()
    }
}

#[test]
fn listening_for_a_late_answer_does_not_spin_when_the_link_returns_at_once() {
    use till::app::{Job, Report};
    let calls = Arc::new(Mutex::new(0));
    let c2 = calls.clone();
    let open = Box::new(move || {
        Ok::<_, String>(Box::new(Instant0 { calls: c2.clone() }) as Box<dyn PaymentTerminal>)
    });
    let mut w = till::app::TerminalWorker::start(open, Duration::from_secs(60), 1);
    w.submit(Job::Pay {
        attempt: 1,
        request: PaymentRequest {
            amount_cents: 100,
            kind: PaymentKind::Debit,
            currency: 978,
            pos_number: 1,
            reference: "T1-000001/1".into(),
        },
        unresolved: None,
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !w
        .poll()
        .iter()
        .any(|r| matches!(r, Report::Payment { attempt: 1, .. }))
    {
        assert!(Instant::now() < deadline, "no report");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(1500));
    // Listening goes in slices of about a second: a couple of calls, not
    // one per millisecond (1500 here, a core busy for three minutes).
    let n = *calls.lock().unwrap();
    assert!(n <= 10, "late_answer called {n} times in 1.5 s");
    w.finish(Duration::from_secs(1));
}

#[test]
fn a_long_reference_keeps_its_end_and_never_panics_the_worker() {
    use till::app::{Job, PayOutcome, Report};
    let script = Arc::new(Mutex::new(Script::default()));
    let s2 = script.clone();
    let open = Box::new(move || {
        Ok::<_, String>(Box::new(Scripted {
            script: s2.clone(),
            late: None,
        }) as Box<dyn PaymentTerminal>)
    });
    let mut w = till::app::TerminalWorker::start(open, Duration::from_secs(1), 1);
    // A terminal id with an accent (from till.toml) makes a long reference
    // whose 32nd byte falls inside a character.
    let reference = format!("x{}-000012/100000-7", "é".repeat(20));
    for attempt in 1..=2 {
        w.submit(Job::Pay {
            attempt,
            request: PaymentRequest {
                amount_cents: 100,
                kind: PaymentKind::Debit,
                currency: 978,
                pos_number: 1,
                reference: reference.clone(),
            },
            unresolved: None,
        });
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answered = 0;
    while answered < 2 {
        assert!(Instant::now() < deadline, "the worker stopped answering");
        for r in w.poll() {
            if let Report::Payment { outcome, .. } = r {
                assert!(matches!(outcome, PayOutcome::Answered(_)), "{outcome:?}");
                answered += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = script.lock().unwrap().requests[0].reference.clone();
    // The end, where the attempt number is, goes to the terminal.
    assert!(sent.ends_with("-000012/100000-7"), "{sent}");
    assert!(sent.chars().count() <= 32, "{sent}");
    w.finish(Duration::from_secs(1));
}

#[test]
fn a_stop_while_a_lost_payment_may_still_be_approved_is_flagged_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    // No answer, the customer pays cash, the till stops before the late
    // answer could come: the card may have been charged all the same.
    let (mut app, _) = app(dir.path(), vec![Step::NoAnswer { late: None }]);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::F(1)]);
    common::done(&app);
    assert!(app.terminal().listening(std::time::Instant::now()));
    drop(app);
    let (mut app, _) = self::app(dir.path(), vec![]);
    typed(&mut app, "1111\n");
    let msg = &app.message().unwrap().1;
    assert!(msg.contains("vérifiez le ticket du terminal"), "{msg}");
}

#[test]
fn a_late_approval_is_credited_to_the_attempt_it_answers_not_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    // Sale A's attempt gets no answer, A is paid in cash; sale B's attempt
    // finds the terminal still busy with A's; then A's approval comes. It
    // names A's attempt: it is A's money, not B's payment.
    let (mut app, script) = app(
        dir.path(),
        vec![Step::NoAnswer { late: Some(2500) }, Step::Busy],
    );
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::F(1)]);
    common::done(&app);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert_eq!(script.lock().unwrap().requests.len(), 2);
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    assert!(
        app.basket().unwrap().tenders().is_empty(),
        "sale A's card payment went into sale B"
    );
    assert_eq!(card_money(&app.journal()), (vec![], vec!["4.90".into()]));
    check_journal(&app);
}

#[test]
fn a_late_approval_of_the_first_attempt_after_a_retry_the_terminal_ignored_pays_this_sale() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(
        dir.path(),
        vec![Step::NoAnswer { late: Some(1500) }, Step::Busy],
    );
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    // Same sale: it goes into it, once.
    assert_eq!(app.basket().unwrap().tenders().len(), 1);
    press(&mut app, &[Key::Enter]);
    common::done(&app);
    assert_eq!(card_money(&app.journal()), (vec!["4.90".into()], vec![]));
    check_journal(&app);
}

/// A driver with a bug: panics in the middle of a payment.
struct Panics;

impl PaymentTerminal for Panics {
    fn ping(&mut self) -> Result<(), PaymentError> {
        Ok(())
    }
    fn pay(&mut self, _: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        panic!("driver bug (expected by the test)")
    }
    fn late_answer(&mut self, _: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        Ok(None)
    }
    fn describe(&self) -> String {
        "panics".into()
    }
}

#[test]
fn a_worker_that_dies_mid_payment_does_not_leave_the_till_waiting_forever() {
    let dir = tempfile::tempdir().unwrap();
    let open = Box::new(|| Ok::<_, String>(Box::new(Panics) as Box<dyn PaymentTerminal>));
    let mut app = common::app_with(dir.path(), open, Duration::from_secs(10));
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::Payment),
        "{:?}",
        app.message()
    );
    assert!(app.basket().unwrap().tenders().is_empty());
    // The request may have reached the terminal: not a payment, but the
    // cashier is told to check, and the next start still warns.
    let msg = &app.message().unwrap().1;
    assert!(msg.contains("NON"), "{msg}");
    assert!(dir.path().join("terminal-pending.json").exists());
    press(&mut app, &[Key::F(1)]);
    common::done(&app);
}

#[test]
fn an_approval_the_disk_refuses_to_save_stays_flagged_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app(dir.path(), vec![Step::Slow(300)]);
    sell(&mut app);
    typed(&mut app, "2");
    press(&mut app, &[Key::F(2)]);
    // Another writer holds the database while the approval comes: saving
    // the basket fails (after the busy timeout).
    let other = rusqlite::Connection::open(dir.path().join("journal.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    paid(&mut app);
    other.execute_batch("ROLLBACK").unwrap();
    let msg = &app.message().unwrap().1;
    assert!(msg.contains("non sauvegardée"), "{msg}");
    // The approval lives only in memory: a crash now must still be flagged
    // at the next start, so terminal-pending.json stays.
    assert!(dir.path().join("terminal-pending.json").exists());
}
