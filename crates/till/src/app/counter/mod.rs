//! The counter: a pure state machine. [`Counter::on`] takes an [`Input`]
//! (a key, a device report, the answer to an earlier effect) and the time,
//! changes the screen, and returns the [`Effect`]s for the shell to carry
//! out: append to the journal, print, open the drawer, pay on the
//! terminal, save the basket. No journal, no file, no clock, no thread here:
//! tests drive it with inputs and read its effects and screens.
//!
//! One module per screen: [`login`] (PIN, log out), [`approval`] (the
//! supervisor's PIN), [`sale`] (sale and search screens, scans),
//! [`pay`] (tenders), [`receipts`] (refund, cancel and reprint by receipt
//! number, refund without receipt), [`menu`] (functions menu, cash moves,
//! park and resume), [`closing`] (X report, cash count and Z); the card
//! terminal's screens are in [`crate::app::payment`]. [`ops`] runs the
//! operations that may need an approval, [`records`] what follows a record
//! being durable (receipt, drawer, the next screen).

pub mod approval;
pub mod closing;
pub mod customer;
pub mod io;
pub mod login;
pub mod menu;
pub mod ops;
pub mod pay;
pub mod receipts;
pub mod records;
pub mod rules;
pub mod sale;
pub mod scale;
pub mod status;
pub mod tenders;

pub use io::{Effect, Input, Now, PinFor, ReversalFrom, Then};
pub use status::{Status, DRAWER_LEFT_OPEN_S};

use crate::app::keys::Key;
use crate::app::payment::TerminalState;
use crate::app::pin_guard::PinGuard;
use crate::app::store::{FoundSale, Parked};
use chrono::NaiveDate;
use comptoir_i18n::till::Till;
use comptoir_i18n::{Fmt, Lang, Template};
use ops::Op;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::auth::User;
use till_core::records::{ApprovalRecord, CashDirection};
use till_core::{ApprovalRequired, Basket, BasketConfig, Catalog, Currency, Money, ShopInfo};
use till_devices::escpos::receipt::Layout;

/// Shop-level settings the counter needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Printed at the top of receipts.
    pub shop: ShopInfo,
    /// The sale rules' settings.
    pub basket: BasketConfig,
    /// Receipt layout of the printer.
    pub layout: Layout,
    /// The shop's logo, printed above its name (loaded once at start).
    pub logo: Option<till_devices::escpos::receipt::Logo>,
    /// Where the demo's printed receipts can be read (shown on screen).
    pub receipts_hint: Option<String>,
    /// The rules beyond the basket's (drawer, anomaly window, their source).
    pub rules: crate::app::rules::CounterRules,
    /// The language of the screens and the printed reports (`lang` in
    /// till.toml's `[till]`; French by default).
    pub lang: Lang,
}

/// Why a receipt number is being asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Refund some or all of its lines.
    Refund,
    /// Cancel it whole.
    Cancel,
    /// Print it again (DUPLICATA).
    Reprint,
}

/// The refund screen: the original sale and the quantities picked per line.
#[derive(Debug, Clone)]
pub struct RefundState {
    /// The sale being refunded.
    pub found: FoundSale,
    /// Original line number -> quantity to give back.
    pub picks: BTreeMap<u32, Decimal>,
    /// Refundable lines (line number, quantity left).
    pub left: Vec<(u32, Decimal)>,
    /// Selected row of `left`.
    pub sel: usize,
}

/// One row of the Z cash count.
#[derive(Debug, Clone)]
pub struct CountRow {
    /// Tender kind name ("cash", "card"...).
    pub tender: String,
    /// What the journal says should be there.
    pub expected: Money,
    /// What the cashier counted (None: not counted yet).
    pub counted: Option<Money>,
}

/// What is on screen.
#[derive(Debug, Clone)]
pub enum Screen {
    /// PIN entry.
    Login,
    /// The sale in progress.
    Sale,
    /// Search by name: query in `Counter::input`, matching catalog indexes.
    Search { results: Vec<usize>, sel: usize },
    /// Tender entry.
    Payment,
    /// A sale, refund or operation is done: what to tell the customer.
    Done {
        title: String,
        big: String,
        detail: String,
    },
    /// The functions menu (F9).
    Menu { sel: usize },
    /// Typing a receipt number.
    ReceiptNo { purpose: Purpose },
    /// Looking a receipt up (on a thread; Esc gives up).
    Searching { purpose: Purpose, sale_no: String },
    /// Picking lines to refund.
    Refund(Box<RefundState>),
    /// Goods brought back without a receipt: (item id, quantity).
    RefundNoReceipt { items: Vec<(String, Decimal)> },
    /// Choosing a parked basket.
    Resume { sel: usize },
    /// Typing a cash in/out amount.
    CashMove { direction: CashDirection },
    /// A report (X, Z) as text.
    Report { title: String, text: String },
    /// The Z cash count.
    CashCount { rows: Vec<CountRow>, sel: usize },
    /// Waiting for the payment terminal (keys wait too).
    Paying { title: String },
    /// A card refund of a refund or cancellation failed: retry, cash, or
    /// give up.
    CardRefund { why: String },
    /// A late approval ([`crate::app::payment::TerminalState::late`]): keep it
    /// or pay it back on the terminal.
    LateApproval,
    /// Customers found by name (F11): their numbers, the one selected.
    Customers { results: Vec<String>, sel: usize },
}

/// The menu's entries, in order (digit = position, 0 = the tenth).
pub const MENU: &[Till] = &[
    Till::MenuRefund,
    Till::MenuRefundNoReceipt,
    Till::MenuCancel,
    Till::MenuReprint,
    Till::MenuNoSale,
    Till::MenuCashIn,
    Till::MenuCashOut,
    Till::MenuX,
    Till::MenuZ,
    Till::MenuLogout,
];

/// How serious a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something done.
    Info,
    /// Something refused or failed; the cashier must read it.
    Error,
}

/// The supervisor approval dialog, over whatever screen is showing.
#[derive(Debug, Clone)]
pub struct ApprovalDialog {
    /// What needs approving, in the rules' words.
    pub req: ApprovalRequired,
    /// The operation to run again once approved.
    pub(crate) op: Op,
    /// The approver's PIN as typed (shown masked).
    pub pin: String,
    /// The last refusal ("wrong PIN").
    pub error: Option<String>,
}

/// What the counter starts from (the shell reads it from the journal and
/// the files beside it).
pub struct Setup {
    /// Printed on receipts and in receipt numbers.
    pub terminal_id: String,
    /// The articles.
    pub catalog: Catalog,
    /// Who may log in (PIN hashes are checked by the shell).
    pub users: Vec<User>,
    /// Shop settings.
    pub settings: Settings,
    /// Card and e-wallet tenders go through a payment terminal.
    pub has_terminal: bool,
    /// The basket in progress when the till stopped.
    pub basket: Option<Basket>,
    /// Baskets set aside.
    pub parked: Vec<Parked>,
    /// The last business day closed (Z).
    pub last_closed: Option<NaiveDate>,
    /// The next receipt number's counter (or why it does not read: then
    /// nothing that needs a receipt number can be done).
    pub next_sale_no: Result<u64, String>,
    /// Sales of the rolling window, for the average basket.
    pub history: till_core::ruleset::SalesHistory,
}

/// The counter's state.
pub struct Counter {
    pub(crate) terminal_id: String,
    pub(crate) catalog: Catalog,
    pub(crate) users: Vec<User>,
    pub(crate) settings: Settings,
    pub(crate) has_terminal: bool,
    pub(crate) user: Option<User>,
    pub(crate) basket: Option<Basket>,
    pub(crate) screen: Screen,
    pub(crate) input: String,
    /// A quantity typed before `*`, for the next article.
    pub(crate) pending_qty: Option<Decimal>,
    /// Selected basket line (index into the live lines).
    pub(crate) selected: usize,
    pub(crate) message: Option<(Level, String)>,
    pub(crate) approval: Option<ApprovalDialog>,
    pub(crate) parked: Vec<Parked>,
    pub(crate) status: Status,
    /// The last sale committed this session (seq, receipt number).
    pub(crate) last_sale: Option<(u64, String)>,
    /// Approvals for operations outside the basket (refunds, drawer, Z).
    pub(crate) op_approvals: Vec<ApprovalRecord>,
    pub(crate) last_closed: Option<NaiveDate>,
    pub(crate) next_sale_no: Result<u64, String>,
    /// Payments under way on the terminal, lost and late ones.
    pub(crate) terminal: TerminalState,
    /// Wrong PINs in a row at the counter, and the lock-out they started.
    pub(crate) pin_guard: PinGuard,
    /// Sales of the rolling window (the average basket), this run's included.
    pub(crate) history: till_core::ruleset::SalesHistory,
    /// F10 was pressed once: the next F10 or Enter abandons the basket.
    pub(crate) confirm_abandon: bool,
    /// A paper titre worth more than it may pay, waiting for Enter.
    pub(crate) pending_loss: Option<tenders::PendingLoss>,
    /// New rules waiting for the basket in progress to end.
    pub(crate) pending_rules: Option<(BasketConfig, crate::app::rules::CounterRules)>,
    /// The first line of the report on screen (Up/Down scroll it).
    pub(crate) report_scroll: u16,
    /// The customers head office synced down ([`customer`]).
    pub(crate) customers: till_core::customer::CustomerBook,
    /// This till's account sales head office had not received when it
    /// sent the credits: customer number -> amount.
    pub(crate) on_account_unsynced: BTreeMap<String, Money>,
    now: Now,
    fx: Vec<Effect>,
}

impl Counter {
    /// The counter on the login screen; feed it [`Input::Start`] first.
    pub fn new(s: Setup, now: Now) -> Counter {
        let drawer_limit_s = s.settings.rules.drawer_left_open_s;
        Counter {
            terminal_id: s.terminal_id,
            catalog: s.catalog,
            users: s.users,
            settings: s.settings,
            has_terminal: s.has_terminal,
            user: None,
            basket: s.basket,
            screen: Screen::Login,
            input: String::new(),
            pending_qty: None,
            selected: 0,
            message: None,
            approval: None,
            parked: s.parked,
            status: Status {
                printer: "?".into(),
                scanner: "?".into(),
                drawer_limit_s,
                ..Status::default()
            },
            last_sale: None,
            op_approvals: Vec::new(),
            last_closed: s.last_closed,
            next_sale_no: s.next_sale_no,
            terminal: Default::default(),
            pin_guard: Default::default(),
            history: s.history,
            confirm_abandon: false,
            pending_loss: None,
            pending_rules: None,
            report_scroll: 0,
            customers: Default::default(),
            on_account_unsynced: BTreeMap::new(),
            now,
            fx: Vec::new(),
        }
    }

    /// One input at time `now`: the state changes, the effects come back.
    pub fn on(&mut self, input: Input, now: Now) -> Vec<Effect> {
        self.now = now;
        match input {
            Input::Start { pending } => self.start(pending),
            Input::Key(k) => self.key(k),
            Input::Logout => self.logout(),
            Input::Warn(text) => self.error(text),
            Input::Device(r) => self.device(r),
            Input::Journaled {
                seq,
                hash,
                ts,
                next_sale_no,
                then,
            } => {
                self.next_sale_no = next_sale_no;
                self.journaled(then, seq, &hash, ts);
            }
            Input::JournalFailed { why, full, then } => self.journal_failed(then, &why, &full),
            Input::PinChecked {
                user,
                locked,
                purpose: PinFor::Login,
            } => self.login_checked(user, locked),
            Input::PinChecked {
                user,
                locked,
                purpose: PinFor::Approval,
            } => self.approval_checked(user, locked),
            Input::UserUpdated(u) => {
                if let Some(x) = self.users.iter_mut().find(|x| x.id == u.id) {
                    *x = u;
                }
            }
            Input::Found { result } => {
                if let Screen::Searching { purpose, sale_no } = self.screen.clone() {
                    self.found_receipt(purpose, sale_no, result);
                }
            }
            Input::LookupLost => {
                self.screen = Screen::Sale;
                self.error(self.tr(Till::LookupLost));
            }
            Input::XReport { day, result } => self.x_report_ready(day, result),
            Input::Totals(result) => self.totals_ready(result),
            Input::DayClosed {
                day,
                rows,
                closed,
                report,
                auto,
            } => self.day_closed(day, &rows, closed, report, auto),
            Input::BasketNotSaved { why, quiet } => {
                if !quiet {
                    self.error(self.trf(Till::BasketNotSaved, &[("why", &why)]));
                }
            }
            Input::ParkedSaved { parking, result } => self.parked_saved(parking, result),
            Input::PayNotStarted { attempt, why } => self.pay_not_started(attempt, why),
            Input::Head(head) => self.status.head = head,
            Input::Acked(acked) => {
                if acked != self.status.acked {
                    self.status.acked_moved = Some(now.mono);
                }
                self.status.acked = acked;
            }
            Input::Sync { failures, age_s } => {
                self.status.sync_failures = failures;
                self.status.sync_age_s = age_s;
            }
            Input::RulesChanged { basket, rules } => self.pending_rules = Some((*basket, rules)),
        }
        self.apply_pending_rules();
        std::mem::take(&mut self.fx)
    }

    fn start(&mut self, pending: Option<crate::app::payment::PendingFile>) {
        self.read_pending(pending);
        if self.catalog.is_empty() {
            self.error(self.tr(Till::EmptyCatalog));
        }
        if self.basket.is_some() {
            self.info(self.tr(Till::BasketRecovered));
        }
        self.fx.push(Effect::RefreshStatus);
    }

    pub(crate) fn emit(&mut self, e: Effect) {
        self.fx.push(e);
    }

    /// The time now (passed in with the input).
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.now.wall
    }

    /// The monotonic time now (passed in with the input).
    pub(crate) fn mono(&self) -> std::time::Instant {
        self.now.mono
    }

    /// The business day sales are recorded on: today, or the day after the
    /// last Z if today is closed already.
    pub fn business_day(&self) -> NaiveDate {
        let today = self.now().date_naive();
        match self.last_closed {
            Some(d) if d >= today => d.succ_opt().unwrap_or(d),
            _ => today,
        }
    }

    pub(crate) fn info(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Info, text.into()));
    }

    pub(crate) fn error(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Error, text.into()));
    }

    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.settings.basket.currency
    }

    /// Formats money for the screen ("12,50 €", "1 234,50 €").
    pub fn money(&self, m: Money) -> String {
        self.fmt().money(m)
    }

    /// The language of the screens.
    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    /// How numbers, money and dates are written on the screen and paper.
    pub fn fmt(&self) -> Fmt {
        Fmt::plain(self.settings.lang)
    }

    /// A message of the catalog in the screen's language.
    pub fn tr(&self, m: Till) -> String {
        m.text(self.settings.lang)
    }

    /// A message with its placeholders filled.
    pub fn trf(&self, m: Till, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        m.fill(self.settings.lang, args)
    }

    /// A day as the cashier reads it ("23/11/2026").
    pub fn day_text(&self, day: NaiveDate) -> String {
        self.fmt().date(day)
    }

    /// The next receipt number ("T1-000012").
    pub(crate) fn receipt_no(&self) -> anyhow::Result<String> {
        match &self.next_sale_no {
            Ok(n) => Ok(format!("{}-{:06}", self.terminal_id, n)),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }

    /// What is on screen.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }
    /// The last message.
    pub fn message(&self) -> Option<&(Level, String)> {
        self.message.as_ref()
    }
    /// The sale in progress (None: nothing scanned yet).
    pub fn basket(&self) -> Option<&Basket> {
        self.basket.as_ref()
    }
    /// Who is logged in.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }
    /// What the cashier is typing.
    pub fn input(&self) -> &str {
        &self.input
    }
    /// The supervisor approval being asked for.
    pub fn approval(&self) -> Option<&ApprovalDialog> {
        self.approval.as_ref()
    }
    /// The status line.
    pub fn status(&self) -> &Status {
        &self.status
    }
    /// Baskets set aside, oldest first.
    pub fn parked(&self) -> &[Parked] {
        &self.parked
    }
    /// The last sale committed this session (seq, receipt number).
    pub fn last_sale(&self) -> Option<&(u64, String)> {
        self.last_sale.as_ref()
    }
    /// The articles.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
    /// The payment terminal's side.
    pub fn terminal(&self) -> &TerminalState {
        &self.terminal
    }
    /// This till's terminal id.
    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }
    /// Which rules are in force, for the header ("Règles v3").
    pub fn rules_label(&self) -> String {
        self.settings.rules.source.label(comptoir_i18n::Lang::Fr)
    }
    /// Sales of the rolling window (the average basket's).
    pub fn history(&self) -> &till_core::ruleset::SalesHistory {
        &self.history
    }
    /// New rules take over once no basket is in progress (a basket keeps
    /// the rules it was rung up under: it carries its own copy).
    fn apply_pending_rules(&mut self) {
        if self.basket.is_some() || self.pending_loss.is_some() {
            return;
        }
        let Some((basket, rules)) = self.pending_rules.take() else {
            return;
        };
        self.status.drawer_limit_s = rules.drawer_left_open_s;
        self.settings.basket = basket;
        self.settings.rules = rules;
        let label = self.rules_label();
        self.info(
            comptoir_i18n::till_tenders::TillTenders::RulesApplied
                .fill(self.lang(), &[("label", &label)]),
        );
    }

    /// Whether new rules wait for the basket in progress to end.
    pub fn rules_pending(&self) -> bool {
        self.pending_rules.is_some()
    }

    /// Whether a paper titre's loss is waiting for its confirmation.
    pub fn confirming_loss(&self) -> bool {
        self.pending_loss.is_some()
    }
    /// Whether F10 is waiting for its confirmation.
    pub fn confirming_abandon(&self) -> bool {
        self.confirm_abandon
    }

    /// One key press.
    pub(crate) fn key(&mut self, k: Key) {
        if self.approval.is_some() {
            self.approval_key(k);
            return;
        }
        if !matches!(k, Key::Up | Key::Down) {
            self.message = None;
        }
        if std::mem::take(&mut self.confirm_abandon) {
            self.abandon_answer(k);
            return;
        }
        if let Some(p) = self.pending_loss.take() {
            self.loss_answer(k, p);
            return;
        }
        match self.screen.clone() {
            Screen::Login => self.login_key(k),
            Screen::Sale => self.sale_key(k),
            Screen::Search { results, sel } => self.search_key(k, results, sel),
            Screen::Payment => self.payment_key(k),
            Screen::Done { .. } => {
                // Any key starts the next sale, and is not lost: a digit
                // typed here is the start of the next code. Enter and Esc
                // only leave this screen.
                self.screen = Screen::Sale;
                if matches!(k, Key::Char(_) | Key::F(_)) {
                    self.sale_key(k);
                }
            }
            Screen::Menu { sel } => self.menu_key(k, sel),
            Screen::ReceiptNo { purpose } => self.receipt_no_key(k, purpose),
            Screen::Searching { .. } => {
                if k == Key::Esc {
                    self.emit(Effect::DropLookup);
                    self.screen = Screen::Sale;
                }
            }
            Screen::Refund(st) => self.refund_key(k, *st),
            Screen::RefundNoReceipt { items } => self.refund_no_receipt_key(k, items),
            Screen::Resume { sel } => self.resume_key(k, sel),
            Screen::CashMove { direction } => self.cash_move_key(k, direction),
            Screen::Report { title, text } => self.report_key(k, &title, &text),
            Screen::CashCount { rows, sel } => self.cash_count_key(k, rows, sel),
            Screen::Paying { .. } => {
                self.info(self.tr(Till::PayingWait));
            }
            Screen::CardRefund { .. } => self.card_refund_key(k),
            Screen::LateApproval => self.late_key(k),
            Screen::Customers { results, sel } => self.customers_key(k, results, sel),
        }
    }

    /// Typing into the input: true if the key was consumed.
    pub(crate) fn edit(&mut self, k: Key) -> bool {
        match k {
            Key::Char(c) if !c.is_control() => {
                if self.input.chars().count() < 64 {
                    self.input.push(c);
                }
                true
            }
            Key::Backspace => {
                self.input.pop();
                true
            }
            _ => false,
        }
    }

    pub(crate) fn move_sel(sel: usize, len: usize, k: Key) -> usize {
        match k {
            Key::Up => sel.saturating_sub(1),
            Key::Down if sel + 1 < len => sel + 1,
            _ => sel.min(len.saturating_sub(1)),
        }
    }

    /// Lines of the basket still counted (not voided), with their index.
    pub fn live_lines(&self) -> Vec<usize> {
        self.basket
            .as_ref()
            .map(|b| {
                b.lines()
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| !l.voided)
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The line number of the selected line.
    pub fn selected_line_no(&self) -> Option<u32> {
        let b = self.basket.as_ref()?;
        let idx = *self.live_lines().get(self.selected)?;
        b.lines().get(idx).map(|l| l.line_no)
    }

    pub(crate) fn basket_has_lines(&self) -> bool {
        self.basket
            .as_ref()
            .is_some_and(|b| b.lines().iter().any(|l| !l.voided))
    }
}

/// "3", "1,250" or "0.5" as a quantity.
pub fn parse_qty(s: &str) -> Option<Decimal> {
    let d: Decimal = s.trim().replace(',', ".").parse().ok()?;
    (d > Decimal::ZERO).then_some(d)
}

/// "12,50", "12.5" or "12" as money (at most two decimals).
pub fn parse_money(s: &str) -> Option<Money> {
    let t = s.trim().trim_end_matches('€').trim().replace(',', ".");
    let d: Decimal = t.parse().ok()?;
    (d.scale() <= 2).then_some(d)
}

/// A discount as typed: "10" is 10 %, "1,50" (with a decimal separator) is an
/// amount, nothing removes the discount. `Err`: unreadable.
pub fn parse_discount(s: &str) -> Result<Option<till_core::Discount>, ()> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t = t.trim_end_matches('%');
    if t.contains([',', '.']) {
        parse_money(t)
            .map(|m| Some(till_core::Discount::Amount(m)))
            .ok_or(())
    } else {
        t.parse::<Decimal>()
            .ok()
            .map(|p| Some(till_core::Discount::Percent(p)))
            .ok_or(())
    }
}
