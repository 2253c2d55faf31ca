//! The counter app's state machine: screens, and what each key does on each.
//!
//! No terminal here: [`App::key`] takes a [`Key`], calls till-core and the
//! journal (see `ops.rs`), and leaves the result in plain fields that the
//! renderer (`ui.rs`) draws and tests read. Devices are reached only through
//! [`Devices`], so a missing printer never stops a sale.

use super::devices::{Devices, Job, Report};
use super::keys::Key;
use super::store::{FoundSale, ParkedStore};
use crate::app::ops::Op;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::time::Instant;
use till_core::auth::{approve, needs_pepper, verify_pin_peppered, User};
use till_core::records::{ApprovalRecord, CashDirection, Event, Session};
use till_core::{ApprovalRequired, Basket, BasketConfig, Catalog, Currency, Money, ShopInfo};
use till_devices::escpos::receipt::Layout;
use till_journal::Journal;

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
    /// Search by name: query in `App::input`, matching catalog indexes.
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
    /// A late approval ([`super::payment::TerminalState::late`]): keep it
    /// or pay it back on the terminal.
    LateApproval,
}

/// The menu's entries, in order (digit = position, 0 = the tenth).
pub const MENU: &[&str] = &[
    "Remboursement avec ticket",
    "Remboursement sans ticket",
    "Annuler une vente",
    "Réimprimer un ticket (DUPLICATA)",
    "Ouvrir le tiroir (sans vente)",
    "Entrée d'espèces",
    "Sortie d'espèces",
    "Rapport X (journée en cours)",
    "Clôture Z (comptage de caisse)",
    "Déconnexion",
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

/// A drawer open longer than this is flagged on the status line (the
/// `left_open_after_s` default of till.toml).
pub const DRAWER_LEFT_OPEN_S: u64 = 60;

/// The status line.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Printer state in plain words.
    pub printer: String,
    /// Whether it can print now.
    pub printer_ready: bool,
    /// Drawer sensor, if known.
    pub drawer_open: Option<bool>,
    /// Since when the drawer has been open (for the left-open warning).
    pub drawer_open_since: Option<Instant>,
    /// Scanner state in plain words.
    pub scanner: String,
    /// Journal head seq.
    pub head: u64,
    /// What head office acknowledged.
    pub acked: u64,
    /// When the acknowledged cursor last moved (this run).
    pub acked_moved: Option<Instant>,
    /// Receipts that did not print (receipt numbers), to print later.
    pub unprinted: Vec<String>,
    /// Those of `unprinted` that may have partly reached paper: printed again
    /// as DUPLICATA. The others were never printed: their original is due.
    pub partly_printed: Vec<String>,
    /// Seconds since the sync daemon's last successful pass (None: never,
    /// or no daemon status file).
    pub sync_age_s: Option<i64>,
    /// Failed sync passes since the last success (from the daemon's file).
    pub sync_failures: Option<u32>,
}

impl Status {
    /// Seconds the drawer has been open beyond [`DRAWER_LEFT_OPEN_S`].
    pub fn drawer_left_open(&self, now: Instant) -> Option<u64> {
        let open = now.duration_since(self.drawer_open_since?).as_secs();
        (open >= DRAWER_LEFT_OPEN_S).then_some(open)
    }

    /// Events not yet acknowledged by head office.
    pub fn waiting(&self) -> u64 {
        self.head.saturating_sub(self.acked)
    }
    /// Offline: events wait and the cursor has not moved for five minutes
    /// (the sync daemon pushes every few seconds when the link is up).
    pub fn offline(&self, now: Instant) -> bool {
        if let Some(f) = self.sync_failures {
            // The daemon says how its last passes went: trust it.
            return f > 0 || (self.waiting() > 0 && self.sync_age_s.is_none_or(|a| a > 300));
        }
        self.waiting() > 0
            && self
                .acked_moved
                .is_none_or(|t| now.duration_since(t).as_secs() > 300)
    }
}

/// The counter app.
pub struct App {
    /// The journal (and the basket slot in it).
    pub journal: Journal,
    /// The articles.
    pub catalog: Catalog,
    pub(crate) users: Vec<User>,
    /// Shop settings.
    pub settings: Settings,
    /// Who is logged in.
    pub user: Option<User>,
    /// The sale in progress (None: nothing scanned yet).
    pub basket: Option<Basket>,
    /// What is on screen.
    pub screen: Screen,
    /// What the cashier is typing.
    pub input: String,
    /// A quantity typed before `*`, for the next article.
    pub pending_qty: Option<Decimal>,
    /// Selected basket line (index into `basket.lines()`).
    pub selected: usize,
    /// The last message.
    pub message: Option<(Level, String)>,
    /// A supervisor approval being asked for.
    pub approval: Option<ApprovalDialog>,
    /// Baskets set aside.
    pub parked: ParkedStore,
    pub(crate) devices: Box<dyn Devices>,
    /// The status line.
    pub status: Status,
    clock: Box<dyn FnMut() -> DateTime<FixedOffset>>,
    /// The last sale committed this session (seq, receipt number).
    pub last_sale: Option<(u64, String)>,
    /// Approvals for operations outside the basket (refunds, drawer, Z).
    pub(crate) op_approvals: Vec<ApprovalRecord>,
    /// The last business day closed (Z).
    pub last_closed: Option<NaiveDate>,
    /// Set when the cashier asked to leave (tests and the loop read it).
    pub quit: bool,
    last_status: Option<Instant>,
    /// A receipt look-up under way.
    lookup: Option<std::sync::mpsc::Receiver<anyhow::Result<Option<FoundSale>>>>,
    /// Save the basket on [`App::flush`] instead of at once (see `persist`).
    pub defer_persist: bool,
    pub(crate) basket_dirty: bool,
    /// Payments under way on the terminal, lost and late ones.
    pub terminal: super::payment::TerminalState,
    /// Wrong PINs in a row at the counter, and the lock-out they started.
    pub(crate) pin_guard: super::pin_guard::PinGuard,
}

impl App {
    /// Builds the app on an open journal: restores the basket in progress,
    /// reads parked baskets and the last closed day. Reads no event rows.
    pub fn new(
        journal: Journal,
        catalog: Catalog,
        users: Vec<User>,
        settings: Settings,
        devices: Box<dyn Devices>,
        clock: Box<dyn FnMut() -> DateTime<FixedOffset>>,
    ) -> anyhow::Result<App> {
        let basket = super::restore_basket(&journal)?;
        let parked = ParkedStore::open(journal.path())?;
        let last_closed = journal
            .closings()?
            .into_iter()
            .filter(|(k, _, _)| k == "day")
            .filter_map(|(_, p, _)| p.parse::<NaiveDate>().ok())
            .max();
        let mut app = App {
            journal,
            catalog,
            users,
            settings,
            user: None,
            basket,
            screen: Screen::Login,
            input: String::new(),
            pending_qty: None,
            selected: 0,
            message: None,
            approval: None,
            parked,
            devices,
            status: Status {
                printer: "?".into(),
                scanner: "?".into(),
                ..Status::default()
            },
            clock,
            last_sale: None,
            op_approvals: Vec::new(),
            last_closed,
            quit: false,
            last_status: None,
            lookup: None,
            defer_persist: false,
            basket_dirty: false,
            terminal: Default::default(),
            pin_guard: Default::default(),
        };
        app.read_pending();
        if app.catalog.is_empty() {
            app.error("Catalogue vide : la synchronisation ne l'a pas encore reçu (till-sync)");
        }
        if app.basket.is_some() {
            app.info("Vente en cours récupérée : identifiez-vous pour la reprendre");
        }
        app.refresh_status();
        Ok(app)
    }

    /// The time now (the caller's clock: tests pass a fixed one).
    pub(crate) fn now(&mut self) -> DateTime<FixedOffset> {
        (self.clock)()
    }

    /// The business day sales are recorded on: today, or the day after the
    /// last Z if today is closed already.
    pub fn business_day(&mut self) -> NaiveDate {
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

    /// Formats money for the screen ("12,50 €").
    pub fn money(&self, m: Money) -> String {
        format!("{} €", self.currency().format(m))
    }

    /// Reads device reports and refreshes the sync state; call about every
    /// 100 ms. Returns true if something changed on screen.
    pub fn tick(&mut self) -> bool {
        let mut changed = false;
        for r in self.devices.poll() {
            changed = true;
            match r {
                Report::Printed { what } => {
                    self.status.unprinted.retain(|w| *w != what);
                    self.status.partly_printed.retain(|w| *w != what);
                }
                Report::NotPrinted { what, why, partly } => {
                    if partly && !self.status.partly_printed.contains(&what) {
                        self.status.partly_printed.push(what.clone());
                    }
                    self.error(format!(
                        "Ticket {what} non imprimé ({why}). La vente est enregistrée ; \
                         réimpression : F9 puis 4."
                    ));
                    if !self.status.unprinted.contains(&what) {
                        self.status.unprinted.push(what);
                    }
                }
                Report::DrawerFailed(why) => {
                    self.error(format!("Tiroir non ouvert : {why}"));
                }
                Report::Status {
                    printer,
                    ready,
                    drawer_open,
                } => {
                    self.status.printer = printer;
                    self.status.printer_ready = ready;
                    self.status.drawer_open = drawer_open;
                    match drawer_open {
                        Some(true) => {
                            self.status
                                .drawer_open_since
                                .get_or_insert_with(Instant::now);
                        }
                        _ => self.status.drawer_open_since = None,
                    }
                }
                Report::Scanned(code) => self.scanned(&code),
                Report::Scanner(s) => self.status.scanner = s,
                Report::Payment { attempt, outcome } => self.on_payment(attempt, outcome),
                Report::LateAnswer { attempt, answer } => self.on_late(attempt, answer),
            }
        }
        if let Some(rx) = &self.lookup {
            match rx.try_recv() {
                Ok(res) => {
                    self.lookup = None;
                    if let Screen::Searching { purpose, sale_no } = self.screen.clone() {
                        self.found_receipt(purpose, sale_no, res);
                    }
                    changed = true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.lookup = None;
                    self.screen = Screen::Sale;
                    self.error("Recherche du ticket interrompue");
                    changed = true;
                }
            }
        }
        let due = self
            .last_status
            .is_none_or(|t| t.elapsed().as_millis() >= 1000);
        if due {
            self.refresh_status();
            changed = true;
        }
        changed
    }

    fn refresh_status(&mut self) {
        self.last_status = Some(Instant::now());
        self.devices.submit(Job::Status);
        if let Ok((head, _)) = self.journal.head() {
            self.status.head = head;
        }
        if let Ok(acked) = self.journal.acked_seq() {
            if acked != self.status.acked {
                self.status.acked_moved = Some(Instant::now());
            }
            self.status.acked = acked;
        }
        self.read_sync_state();
    }

    /// The sync daemon's status file (`journal.db.sync-state.json`, written
    /// atomically by till-sync): when it last delivered everything, and how
    /// many passes failed since. Absent or unreadable: unknown.
    fn read_sync_state(&mut self) {
        use sync_proto::status::SyncStatus;
        let path = SyncStatus::default_path(self.journal.path());
        let Some(state) = SyncStatus::read(&path) else {
            self.status.sync_failures = None;
            self.status.sync_age_s = None;
            return;
        };
        self.status.sync_failures = Some(state.consecutive_failures);
        let now = self.now();
        self.status.sync_age_s = state
            .last_success
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| (now - t).num_seconds().max(0));
    }

    /// Lets queued device jobs finish before the app exits (at most 3 s:
    /// a printer that is gone must not hold up a restart).
    pub fn finish_devices(&mut self) {
        self.devices.finish(std::time::Duration::from_secs(3));
    }

    /// A code from the scanner: on the sale screen it is added at once;
    /// elsewhere it is typed into the input, so nothing scanned is lost.
    pub fn scanned(&mut self, code: &str) {
        let selling = matches!(self.screen, Screen::Sale | Screen::Done { .. })
            && self.user.is_some()
            && self.approval.is_none();
        if selling {
            self.screen = Screen::Sale;
            let qty = self.pending_qty.take();
            self.exec(Op::AddCode {
                code: code.to_string(),
                qty,
            });
        } else if matches!(self.screen, Screen::RefundNoReceipt { .. }) {
            self.input = code.to_string();
            self.key(Key::Enter);
        } else if matches!(self.screen, Screen::ReceiptNo { .. }) {
            // A receipt's barcode or QR scanned as its number.
            self.input = code.split('|').next().unwrap_or(code).to_string();
        } else if self.user.is_none() {
            self.error(format!(
                "Article {code} non ajouté : identifiez-vous d'abord"
            ));
        } else {
            // Payment, menus, dialogs: a code is not an amount or a PIN.
            self.error(format!(
                "Article {code} non ajouté : revenez à l'écran de vente (Échap) et scannez-le à nouveau"
            ));
        }
    }

    /// One key press.
    pub fn key(&mut self, k: Key) {
        self.key_inner(k);
        // Keep "events waiting" exact after every action (an indexed read),
        // not only at the once-a-second refresh.
        if let Ok((head, _)) = self.journal.head() {
            self.status.head = head;
        }
    }

    fn key_inner(&mut self, k: Key) {
        if self.approval.is_some() {
            self.approval_key(k);
            return;
        }
        if !matches!(k, Key::Up | Key::Down) {
            self.message = None;
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
                    self.lookup = None;
                    self.screen = Screen::Sale;
                }
            }
            Screen::Refund(st) => self.refund_key(k, *st),
            Screen::RefundNoReceipt { items } => self.refund_no_receipt_key(k, items),
            Screen::Resume { sel } => self.resume_key(k, sel),
            Screen::CashMove { direction } => self.cash_move_key(k, direction),
            Screen::Report { title, text } => match k {
                Key::Esc | Key::Enter => self.screen = Screen::Sale,
                Key::F(8) => {
                    self.print_report(&title, &text);
                    self.info("Rapport envoyé à l'imprimante");
                }
                _ => {}
            },
            Screen::CashCount { rows, sel } => self.cash_count_key(k, rows, sel),
            Screen::Paying { .. } => {
                self.info("Paiement en cours : suivez le terminal, la caisse attend sa réponse");
            }
            Screen::CardRefund { .. } => self.card_refund_key(k),
            Screen::LateApproval => self.late_key(k),
        }
    }

    /// Typing into the input: true if the key was consumed.
    fn edit(&mut self, k: Key) -> bool {
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

    fn login_key(&mut self, k: Key) {
        match k {
            Key::Enter => {
                let pin = std::mem::take(&mut self.input);
                let ts = self.now();
                if let Some(secs) = self.pin_guard.locked(ts) {
                    self.error(format!("Trop de codes erronés : réessayez dans {secs} s"));
                    return;
                }
                let pepper = self.journal.pin_pepper();
                let found = self
                    .users
                    .iter()
                    .find(|u| verify_pin_peppered(u, &pin, pepper))
                    .cloned();
                let locked = found.as_ref().is_some_and(|u| {
                    // Unreadable state counts as locked: refuse rather than guess.
                    self.journal
                        .pin_failures(&u.id)
                        .map_or(true, |f| f.is_some_and(|f| f.locked))
                });
                match found {
                    None => self.wrong_pin(ts),
                    Some(_) if locked => self.error(
                        "Code bloqué après trop d'erreurs : un responsable doit vous donner un nouveau code",
                    ),
                    Some(user) => {
                        self.pin_guard.hit();
                        let user = self.pepper_pin(user, &pin);
                        let ts = self.now();
                        let ev = Event::Login(Session {
                            user: user.id.clone(),
                        });
                        if let Err(e) = self.journal.append(ts, &ev) {
                            self.error(format!("Journal indisponible : {e}"));
                            return;
                        }
                        if let Some(b) = &mut self.basket {
                            // The sale goes on under whoever serves now.
                            b.set_operator(&user);
                        }
                        self.info(format!("Bonjour {}", user.name));
                        self.user = Some(user);
                        self.screen = if self
                            .basket
                            .as_ref()
                            .is_some_and(|b| !b.tenders().is_empty())
                        {
                            Screen::Payment
                        } else {
                            Screen::Sale
                        };
                        self.refresh_status();
                        self.warn_interrupted();
                    }
                }
            }
            Key::Esc => self.input.clear(),
            Key::Char(c) if c.is_ascii_digit() => {
                self.edit(k);
            }
            Key::Backspace => {
                self.edit(k);
            }
            _ => {}
        }
    }

    /// A PIN that is nobody's at the login screen: counted, and the fifth in
    /// a row stops PIN entry for a while (journaled; see `pin_guard`).
    fn wrong_pin(&mut self, ts: DateTime<FixedOffset>) {
        let Some(secs) = self.pin_guard.miss(ts) else {
            self.error("Code inconnu");
            return;
        };
        let ev = Event::ConfigChanged(till_core::records::ConfigChanged {
            key: "till:pin_lockout".into(),
            old_value: None,
            new_value: Some(format!(
                "{} wrong PINs in a row at the counter: PIN entry refused for {secs} s",
                till_core::auth::MAX_PIN_FAILURES
            )),
            by: till_journal::PIN_CHECK.into(),
        });
        if let Err(e) = self.journal.append(ts, &ev) {
            self.error(format!("Journal indisponible : {e}"));
            return;
        }
        self.error(format!(
            "Trop de codes erronés : caisse verrouillée {secs} s (c'est noté au journal)"
        ));
    }

    /// A user whose PIN hash predates the pepper, now that their PIN is known
    /// to be right: re-hashed with it and saved (journaled), so that a copy of
    /// the journal alone no longer reveals it. A failure only leaves the old
    /// hash, which still works.
    fn pepper_pin(&mut self, user: User, pin: &str) -> User {
        let Some(pepper) = self.journal.pin_pepper().filter(|_| needs_pepper(&user)) else {
            return user;
        };
        let mut salt = [0u8; 16];
        if getrandom::getrandom(&mut salt).is_err() {
            return user;
        }
        let Ok(hash) = till_core::auth::hash_pin_peppered(pin, &salt, pepper) else {
            return user;
        };
        let upgraded = User {
            pin_hash: hash,
            ..user.clone()
        };
        let ts = self.now();
        if self
            .journal
            .put_user(ts, &user.id, &user.id, &upgraded)
            .is_err()
        {
            return user;
        }
        if let Some(u) = self.users.iter_mut().find(|u| u.id == user.id) {
            *u = upgraded.clone();
        }
        upgraded
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

    fn move_sel(sel: usize, len: usize, k: Key) -> usize {
        match k {
            Key::Up => sel.saturating_sub(1),
            Key::Down if sel + 1 < len => sel + 1,
            _ => sel.min(len.saturating_sub(1)),
        }
    }

    fn sale_key(&mut self, k: Key) {
        if self.edit_sale_input(k) {
            return;
        }
        match k {
            Key::Enter => {
                let code = self.input.trim().to_string();
                if !code.is_empty() {
                    let qty = self.pending_qty.take();
                    self.exec(Op::AddCode { code, qty });
                }
            }
            Key::Esc => {
                self.input.clear();
                self.pending_qty = None;
            }
            Key::Up | Key::Down => {
                let n = self.live_lines().len();
                self.selected = Self::move_sel(self.selected, n, k);
            }
            Key::F(2) => {
                let results = self.search(&self.input.clone());
                self.screen = Screen::Search { results, sel: 0 };
            }
            Key::F(3) => match (self.selected_line_no(), parse_qty(&self.input)) {
                (Some(line), Some(qty)) => self.exec(Op::SetQty { line, qty }),
                (None, _) => self.error("Aucune ligne choisie"),
                (_, None) => self.error("Tapez la quantité puis F3"),
            },
            Key::F(4) => match self.selected_line_no() {
                Some(line) => match parse_discount(&self.input) {
                    Ok(d) => self.exec(Op::LineDiscount { line, d }),
                    Err(e) => self.error(e),
                },
                None => self.error("Aucune ligne choisie"),
            },
            Key::F(5) => match parse_discount(&self.input) {
                Ok(d) => self.exec(Op::BasketDiscount(d)),
                Err(e) => self.error(e),
            },
            Key::F(6) => match self.selected_line_no() {
                Some(line) => self.exec(Op::Void(line)),
                None => self.error("Aucune ligne choisie"),
            },
            Key::F(7) => {
                if self.basket_has_lines() {
                    self.park();
                } else if self.parked.list.is_empty() {
                    self.error("Aucune vente en attente");
                } else {
                    self.screen = Screen::Resume { sel: 0 };
                }
            }
            Key::F(8) => {
                if self.basket_has_lines() {
                    self.input.clear();
                    self.screen = Screen::Payment;
                } else {
                    self.error("Panier vide");
                }
            }
            Key::F(9) => self.screen = Screen::Menu { sel: 0 },
            Key::F(10) if self.basket.is_some() => {
                self.exec(Op::Abandon);
            }
            _ => {}
        }
    }

    /// Digits, letters, `*` (quantity) and `/` (price) on the sale screen.
    fn edit_sale_input(&mut self, k: Key) -> bool {
        if k == Key::Char('/') {
            // "12,50/" : the selected line's unit price becomes 12,50
            // (a supervisor approves; the catalog price stays on the receipt).
            match (self.selected_line_no(), parse_money(&self.input)) {
                (Some(line), Some(price)) => self.exec(Op::OverridePrice { line, price }),
                (None, _) => self.error("Aucune ligne choisie"),
                (_, None) => self.error("Prix illisible : tapez par exemple 12,50 puis /"),
            }
            return true;
        }
        if k == Key::Char('*') {
            match parse_qty(&self.input) {
                Some(q) => {
                    self.pending_qty = Some(q);
                    self.input.clear();
                }
                None => self.error("Quantité illisible : tapez par exemple 3 * puis l'article"),
            }
            return true;
        }
        self.edit(k)
    }

    pub(crate) fn basket_has_lines(&self) -> bool {
        self.basket
            .as_ref()
            .is_some_and(|b| b.lines().iter().any(|l| !l.voided))
    }

    /// Catalog indexes whose name contains every word typed (case-insensitive).
    pub fn search(&self, query: &str) -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(|w| w.to_lowercase()).collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.catalog
            .items()
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                let name = it.name.to_lowercase();
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .map(|(i, _)| i)
            .take(50)
            .collect()
    }

    fn search_key(&mut self, k: Key, results: Vec<usize>, sel: usize) {
        if self.edit(k) {
            let results = self.search(&self.input.clone());
            self.screen = Screen::Search { results, sel: 0 };
            return;
        }
        match k {
            Key::Up | Key::Down => {
                let sel = Self::move_sel(sel, results.len(), k);
                self.screen = Screen::Search { results, sel };
            }
            Key::Enter => {
                if let Some(item) = results.get(sel).and_then(|i| self.catalog.items().get(*i)) {
                    let id = item.id.clone();
                    self.input.clear();
                    self.screen = Screen::Sale;
                    let qty = self.pending_qty.take();
                    self.exec(Op::AddItem { id, qty });
                }
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            _ => {}
        }
    }

    fn payment_key(&mut self, k: Key) {
        if self.edit(k) {
            return;
        }
        let Some(remaining) = self.basket.as_ref().map(|b| b.payment_status().remaining) else {
            self.screen = Screen::Sale;
            return;
        };
        if remaining <= Decimal::ZERO && matches!(k, Key::Enter | Key::F(1..=5)) {
            // Fully paid but not recorded (the journal refused, or the till
            // restarted in between): record it now.
            self.exec(Op::Complete);
            return;
        }
        let amount = if self.input.trim().is_empty() {
            Some(remaining)
        } else {
            parse_money(&self.input)
        };
        let kind = match k {
            Key::F(1) => Some(till_core::records::TenderKind::Cash),
            Key::F(2) => Some(till_core::records::TenderKind::Card),
            Key::F(3) => Some(till_core::records::TenderKind::Cheque),
            Key::F(4) => Some(till_core::records::TenderKind::Voucher),
            Key::F(5) => Some(till_core::records::TenderKind::EWallet),
            _ => None,
        };
        if let Some(kind) = kind {
            match amount {
                Some(a) if a > Decimal::ZERO => {
                    self.input.clear();
                    self.exec(Op::Tender { kind, amount: a });
                }
                _ => self.error("Montant illisible"),
            }
            return;
        }
        match k {
            Key::F(6) => self.exec(Op::RemoveTender),
            Key::F(10) => self.exec(Op::Abandon),
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            _ => {}
        }
    }

    fn menu_key(&mut self, k: Key, sel: usize) {
        let choice = match k {
            Key::Char(c @ '1'..='9') => Some(c as usize - '1' as usize),
            Key::Char('0') => Some(9),
            Key::Enter => Some(sel),
            Key::Up | Key::Down => {
                self.screen = Screen::Menu {
                    sel: Self::move_sel(sel, MENU.len(), k),
                };
                None
            }
            Key::Esc | Key::F(9) => {
                self.screen = Screen::Sale;
                None
            }
            _ => None,
        };
        let Some(choice) = choice else { return };
        self.input.clear();
        let busy = self.basket_has_lines();
        let needs_empty = matches!(choice, 0..=2 | 8);
        if busy && needs_empty {
            self.error("Terminez ou mettez en attente la vente en cours (F7) d'abord");
            self.screen = Screen::Sale;
            return;
        }
        self.screen = Screen::Sale;
        match choice {
            0 => {
                self.screen = Screen::ReceiptNo {
                    purpose: Purpose::Refund,
                }
            }
            1 => self.screen = Screen::RefundNoReceipt { items: Vec::new() },
            2 => {
                self.screen = Screen::ReceiptNo {
                    purpose: Purpose::Cancel,
                }
            }
            3 => {
                self.screen = Screen::ReceiptNo {
                    purpose: Purpose::Reprint,
                }
            }
            4 => self.exec(Op::NoSale),
            5 => {
                self.screen = Screen::CashMove {
                    direction: CashDirection::In,
                }
            }
            6 => {
                self.screen = Screen::CashMove {
                    direction: CashDirection::Out,
                }
            }
            7 => self.x_report(),
            8 if !self.parked.list.is_empty() => self.error(
                "Des ventes sont en attente (F7) : reprenez-les ou abandonnez-les avant la clôture",
            ),
            8 => self.start_cash_count(),
            _ => self.logout(),
        }
    }

    fn receipt_no_key(&mut self, k: Key, purpose: Purpose) {
        if self.edit(k) {
            return;
        }
        match k {
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            Key::Enter => {
                let typed = std::mem::take(&mut self.input);
                let sale_no = match (typed.trim(), purpose, &self.last_sale) {
                    ("", Purpose::Reprint, Some((_, no))) => no.clone(),
                    ("", _, _) => {
                        self.error("Tapez le numéro du ticket");
                        return;
                    }
                    (t, _, _) => self.normalize_sale_no(t),
                };
                self.start_lookup(purpose, sale_no);
            }
            _ => {}
        }
    }

    /// Looks the receipt up on a thread with its own read-only connection:
    /// an old receipt means reading everything since (refunds, reprints that
    /// reference it), which must not freeze the screen. The answer comes
    /// back through [`App::tick`].
    fn start_lookup(&mut self, purpose: Purpose, sale_no: String) {
        let path = self.journal.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let no = sale_no.clone();
        let spawned = std::thread::Builder::new()
            .name("till-receipt-lookup".into())
            .spawn(move || {
                let res = Journal::open_read_only(&path)
                    .map_err(anyhow::Error::from)
                    .and_then(|j| super::store::find_sale(&j, &no));
                // The cashier may have gone back (Esc): nobody listens then.
                let _ = tx.send(res);
            });
        match spawned {
            Ok(_) => {
                self.lookup = Some(rx);
                self.screen = Screen::Searching { purpose, sale_no };
            }
            Err(e) => self.error(format!("Recherche impossible : {e}")),
        }
    }

    /// What the receipt look-up found.
    fn found_receipt(
        &mut self,
        purpose: Purpose,
        sale_no: String,
        res: anyhow::Result<Option<FoundSale>>,
    ) {
        self.screen = Screen::ReceiptNo { purpose };
        let found = match res {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.error(format!("Ticket {sale_no} introuvable"));
                return;
            }
            Err(e) => {
                self.error(format!("Recherche impossible : {e:#}"));
                return;
            }
        };
        match purpose {
            Purpose::Refund => {
                let already = till_core::AlreadyRefunded::from_refunds(found.reversals.iter());
                let left = already.refundable(&found.record);
                if left.is_empty() {
                    self.error(format!("Ticket {sale_no} déjà entièrement remboursé"));
                    self.screen = Screen::Sale;
                    return;
                }
                self.screen = Screen::Refund(Box::new(RefundState {
                    found,
                    picks: BTreeMap::new(),
                    left,
                    sel: 0,
                }));
            }
            Purpose::Cancel => {
                self.screen = Screen::Sale;
                self.exec(Op::Cancel(Box::new(found)));
            }
            Purpose::Reprint => {
                self.screen = Screen::Sale;
                self.reprint(&found);
            }
        }
    }

    /// "12" -> "T1-000012"; a full number is kept as typed.
    pub fn normalize_sale_no(&self, typed: &str) -> String {
        if !typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit()) {
            match typed.parse::<u64>() {
                Ok(n) => format!("{}-{:06}", self.journal.terminal_id(), n),
                Err(_) => typed.to_string(),
            }
        } else {
            typed.to_uppercase()
        }
    }

    fn refund_key(&mut self, k: Key, mut st: RefundState) {
        if self.edit(k) {
            self.screen = Screen::Refund(Box::new(st));
            return;
        }
        match k {
            Key::Up | Key::Down => {
                st.sel = Self::move_sel(st.sel, st.left.len(), k);
            }
            Key::Enter => {
                if let Some(&(line, left)) = st.left.get(st.sel) {
                    if st.picks.contains_key(&line) && self.input.is_empty() {
                        st.picks.remove(&line);
                    } else {
                        let q = if self.input.trim().is_empty() {
                            Some(left)
                        } else {
                            parse_qty(&self.input)
                        };
                        match q {
                            Some(q) if q > Decimal::ZERO && q <= left => {
                                st.picks.insert(line, q);
                            }
                            _ => self.error(format!("Quantité entre 0 et {left}")),
                        }
                    }
                    self.input.clear();
                    if st.sel + 1 < st.left.len() {
                        st.sel += 1;
                    }
                }
            }
            Key::F(8) => {
                if st.picks.is_empty() {
                    self.error("Choisissez les lignes à rembourser (Entrée)");
                } else {
                    self.screen = Screen::Refund(Box::new(st.clone()));
                    self.exec(Op::Refund(Box::new(st)));
                    return;
                }
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
                return;
            }
            _ => {}
        }
        self.screen = Screen::Refund(Box::new(st));
    }

    fn refund_no_receipt_key(&mut self, k: Key, mut items: Vec<(String, Decimal)>) {
        if k == Key::Char('*') {
            self.edit_sale_input(k);
            return;
        }
        if self.edit(k) {
            return;
        }
        match k {
            Key::Enter => {
                let code = std::mem::take(&mut self.input);
                match self.catalog.lookup(code.trim()) {
                    Ok(l) => {
                        let q = self.pending_qty.take().unwrap_or(Decimal::ONE);
                        items.push((l.item.id.clone(), q));
                    }
                    Err(e) => self.error(format!("{e}")),
                }
            }
            Key::F(1) | Key::F(2) => {
                if items.is_empty() {
                    self.error("Scannez les articles rapportés");
                } else {
                    let kind = if k == Key::F(1) {
                        till_core::records::TenderKind::Cash
                    } else {
                        till_core::records::TenderKind::Card
                    };
                    self.exec(Op::RefundNoReceipt { items, kind });
                    return;
                }
            }
            Key::F(6) => {
                items.pop();
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
                return;
            }
            _ => {}
        }
        if matches!(self.screen, Screen::RefundNoReceipt { .. }) {
            self.screen = Screen::RefundNoReceipt { items };
        }
    }

    fn resume_key(&mut self, k: Key, sel: usize) {
        match k {
            Key::Up | Key::Down => {
                self.screen = Screen::Resume {
                    sel: Self::move_sel(sel, self.parked.list.len(), k),
                }
            }
            Key::Enter => self.resume(sel),
            Key::Esc => self.screen = Screen::Sale,
            _ => {}
        }
    }

    fn cash_move_key(&mut self, k: Key, direction: CashDirection) {
        if self.edit(k) {
            return;
        }
        match k {
            Key::Enter => match parse_money(&self.input) {
                Some(amount) if amount > Decimal::ZERO => {
                    self.input.clear();
                    self.exec(Op::CashMove { direction, amount });
                }
                _ => self.error("Montant illisible"),
            },
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            _ => {}
        }
    }

    fn cash_count_key(&mut self, k: Key, mut rows: Vec<CountRow>, mut sel: usize) {
        if self.edit(k) {
            return;
        }
        match k {
            Key::Up | Key::Down => sel = Self::move_sel(sel, rows.len(), k),
            Key::Enter => match parse_money(&self.input) {
                Some(m) if m >= Decimal::ZERO => {
                    if let Some(r) = rows.get_mut(sel) {
                        r.counted = Some(m);
                    }
                    self.input.clear();
                    if sel + 1 < rows.len() {
                        sel += 1;
                    }
                }
                _ => self.error("Montant compté illisible"),
            },
            Key::F(8) => {
                if rows.iter().any(|r| r.counted.is_none()) {
                    self.error("Comptez chaque moyen de paiement (Entrée après chaque montant)");
                } else {
                    self.screen = Screen::CashCount {
                        rows: rows.clone(),
                        sel,
                    };
                    self.exec(Op::CloseDay(rows));
                    return;
                }
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
                return;
            }
            _ => {}
        }
        self.screen = Screen::CashCount { rows, sel };
    }

    fn approval_key(&mut self, k: Key) {
        let Some(mut dlg) = self.approval.take() else {
            return;
        };
        match k {
            Key::Char(c) if c.is_ascii_digit() && dlg.pin.len() < 32 => {
                dlg.pin.push(c);
            }
            Key::Backspace => {
                dlg.pin.pop();
            }
            Key::Esc => {
                if !dlg.op.is_basket_op() {
                    // Approvals gathered for this operation go with it.
                    self.op_approvals.clear();
                }
                self.error("Opération non autorisée : annulée");
                return;
            }
            Key::Enter => {
                let Some(requester) = self.user.clone() else {
                    return;
                };
                let pin = std::mem::take(&mut dlg.pin);
                let ts = self.now();
                if let Some(secs) = self.pin_guard.locked(ts) {
                    dlg.error = Some(format!("Trop de codes erronés : réessayez dans {secs} s"));
                    self.approval = Some(dlg);
                    return;
                }
                let pepper = self.journal.pin_pepper();
                let approver = self
                    .users
                    .iter()
                    .filter(|u| u.id != requester.id)
                    .find(|u| verify_pin_peppered(u, &pin, pepper))
                    .filter(|u| {
                        self.journal
                            .pin_failures(&u.id)
                            .is_ok_and(|f| f.is_some_and(|f| !f.locked))
                    })
                    .cloned();
                let rec = match approver.map(|a| approve(&dlg.req, &a, &requester)) {
                    None => {
                        // Counted like a wrong PIN at the login screen.
                        self.wrong_pin(ts);
                        dlg.error = self.message.as_ref().map(|(_, m)| m.clone());
                        self.approval = Some(dlg);
                        return;
                    }
                    Some(Err(e)) => {
                        dlg.error = Some(e.to_string());
                        self.approval = Some(dlg);
                        return;
                    }
                    Some(Ok(rec)) => rec,
                };
                let ts = self.now();
                if let Err(e) = self
                    .journal
                    .append(ts, &Event::ApprovalGranted(rec.clone()))
                {
                    self.error(format!("Journal indisponible : {e}"));
                    return;
                }
                if dlg.op.is_basket_op() {
                    if let Some(b) = &mut self.basket {
                        b.add_approval(rec);
                    }
                } else {
                    self.op_approvals.push(rec);
                }
                self.exec(dlg.op);
                return;
            }
            _ => {}
        }
        self.approval = Some(dlg);
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
/// amount, nothing removes the discount.
pub fn parse_discount(s: &str) -> Result<Option<till_core::Discount>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t = t.trim_end_matches('%');
    if t.contains([',', '.']) {
        parse_money(t)
            .map(|m| Some(till_core::Discount::Amount(m)))
            .ok_or_else(|| "Remise illisible".to_string())
    } else {
        t.parse::<Decimal>()
            .ok()
            .map(|p| Some(till_core::Discount::Percent(p)))
            .ok_or_else(|| "Remise illisible".to_string())
    }
}
