//! The shell around the [`Counter`]: it owns the journal, the devices, the
//! clock and the files beside the journal, feeds the counter its inputs,
//! carries out the effects it returns, and feeds back their results. What
//! the cashier sees is decided in the counter; here is only I/O.

use super::counter::{Counter, Effect, Input, Now, PinFor, Settings, Setup};
use super::devices::{Devices, Job, Report};
use super::keys::Key;
use super::store::{FoundSale, ParkedStore};
use chrono::{DateTime, FixedOffset, NaiveDate};
use std::collections::BTreeMap;
use std::time::Instant;
use till_core::auth::{needs_pepper, verify_pin_peppered, User};
use till_core::records::ClosingKind;
use till_core::Catalog;
use till_journal::Journal;

/// What the shell last read of the sync daemon's status file.
#[derive(Debug, Default)]
struct SyncSeen {
    sync_failures: Option<u32>,
    sync_age_s: Option<i64>,
}

/// The counter app: the [`Counter`] and what it needs from the outside.
/// Derefs to the counter, read-only, for the screen and for tests.
pub struct App {
    counter: Counter,
    pub(crate) journal: Journal,
    devices: Box<dyn Devices>,
    clock: Box<dyn FnMut() -> DateTime<FixedOffset>>,
    parked: ParkedStore,
    /// A receipt look-up under way.
    lookup: Option<std::sync::mpsc::Receiver<anyhow::Result<Option<FoundSale>>>>,
    last_status: Option<Instant>,
    status: SyncSeen,
    /// Save the basket on [`App::flush`] instead of at once.
    defer_persist: bool,
    basket_dirty: bool,
    /// What the customer display shows, followed input by input.
    customer: super::customer_display::CustomerDisplay,
    /// Head office's new rulesets, picked up between sales.
    rules_watch: Option<super::rules::RulesWatch>,
}

impl std::ops::Deref for App {
    type Target = Counter;
    fn deref(&self) -> &Counter {
        &self.counter
    }
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
        mut clock: Box<dyn FnMut() -> DateTime<FixedOffset>>,
    ) -> anyhow::Result<App> {
        let basket = super::restore_basket(&journal)?;
        let parked = ParkedStore::open(journal.path())?;
        let last_closed = journal
            .closings()?
            .into_iter()
            .filter(|(k, _, _)| k == "day")
            .filter_map(|(_, p, _)| p.parse::<NaiveDate>().ok())
            .max();
        let today = clock().date_naive();
        let history = super::rules::history(&journal, today, settings.rules.anomaly_days)?;
        let setup = Setup {
            history,
            terminal_id: journal.terminal_id().to_string(),
            catalog,
            users,
            settings,
            has_terminal: devices.has_terminal(),
            basket,
            parked: parked.list.clone(),
            last_closed,
            next_sale_no: journal
                .next_sale_no()
                .map_err(|e| format!("{:#}", anyhow::Error::from(e))),
        };
        let now = Now {
            wall: clock(),
            mono: Instant::now(),
        };
        let mut app = App {
            counter: Counter::new(setup, now),
            journal,
            devices,
            clock,
            parked,
            lookup: None,
            last_status: None,
            status: SyncSeen::default(),
            defer_persist: false,
            basket_dirty: false,
            customer: Default::default(),
            rules_watch: None,
        };
        let has_scale = app.devices.has_scale();
        app.counter.set_scale(has_scale);
        let pending = app.read_pending_file();
        app.feed(Input::Start { pending });
        Ok(app)
    }

    /// Picks up head office's new rulesets from catalog.db between sales
    /// (see [`super::rules::RulesWatch`]).
    pub fn watch_rules(&mut self, watch: super::rules::RulesWatch) {
        self.rules_watch = Some(watch);
    }

    /// Gives the counter the customers head office synced into `catalog`
    /// (catalog.db) and this till's account sales since the seq the
    /// credits were computed at (read from the journal: the sales head
    /// office had not received then).
    pub fn load_customers(&mut self, catalog: &std::path::Path) -> anyhow::Result<()> {
        use anyhow::Context;
        let store = till_catalog::CatalogStore::open(catalog)
            .with_context(|| format!("opening {}", catalog.display()))?;
        let book = till_core::customer::CustomerBook::new(store.customers()?);
        let state = store.customers_state()?;
        let unsynced = unsynced_on_account(&self.journal, state.terminal_seq)?;
        self.counter.set_customers(book, unsynced);
        Ok(())
    }

    /// The counter.
    pub fn counter(&self) -> &Counter {
        &self.counter
    }

    /// The journal (read it; the counter writes through effects).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The time now (the caller's clock: tests pass a fixed one).
    pub(crate) fn now(&mut self) -> DateTime<FixedOffset> {
        (self.clock)()
    }

    /// Feeds one input to the counter and carries out what it asks,
    /// feeding back each result before the next effect.
    pub fn feed(&mut self, input: Input) {
        let now = Now {
            wall: self.now(),
            mono: Instant::now(),
        };
        for effect in self.counter.on(input, now) {
            if let Some(back) = self.carry_out(effect) {
                self.feed(back);
            }
        }
        // A changed screen goes to the display thread: a channel send, the
        // counter never waits for the display.
        if let Some(screen) = self.customer.next(&self.counter) {
            self.devices.show_customer(&screen);
        }
    }

    /// One key press.
    pub fn key(&mut self, k: Key) {
        self.feed(Input::Key(k));
        // Keep "events waiting" exact after every action (an indexed read),
        // not only at the once-a-second refresh.
        if let Ok((head, _)) = self.journal.head() {
            self.feed(Input::Head(head));
        }
    }

    /// A code from the scanner (as the scanner thread reports it).
    pub fn scanned(&mut self, code: &str) {
        self.feed(Input::Device(Report::Scanned(code.to_string())));
    }

    /// A warning from the terminal loop (the counter shows it).
    pub fn warn(&mut self, text: &str) {
        self.feed(Input::Warn(text.to_string()));
    }

    /// Ends the session (journal `logout`); the basket in progress stays saved.
    pub fn logout(&mut self) {
        self.feed(Input::Logout);
    }

    /// Draw first, then save: with this set (the terminal loop), a changed
    /// basket is saved by [`App::flush`] rather than at once, so the fsync
    /// is not between the scan and the screen, and nothing typed after it
    /// is read before it is saved.
    pub fn set_defer_persist(&mut self, defer: bool) {
        self.defer_persist = defer;
    }

    /// Saves a basket marked dirty while saving was deferred.
    pub fn flush(&mut self) {
        if std::mem::take(&mut self.basket_dirty) {
            if let Err(why) = self.save_now() {
                self.feed(Input::BasketNotSaved { why, quiet: false });
            }
        }
    }

    /// Reads device reports and refreshes the sync state; call about every
    /// 100 ms. Returns true if something changed on screen.
    pub fn tick(&mut self) -> bool {
        let mut changed = false;
        for r in self.devices.poll() {
            changed = true;
            self.feed(Input::Device(r));
        }
        if let Some(rx) = &self.lookup {
            match rx.try_recv() {
                Ok(res) => {
                    self.lookup = None;
                    let result = res.map_err(|e| format!("{e:#}"));
                    self.feed(Input::Found { result });
                    changed = true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.lookup = None;
                    self.feed(Input::LookupLost);
                    changed = true;
                }
            }
        }
        if self.counter.basket().is_none() {
            let now = self.now();
            if let Some(input) = self
                .rules_watch
                .as_mut()
                .and_then(|w| w.check(&self.journal, now))
            {
                self.feed(input);
                changed = true;
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

    /// Lets queued device jobs finish before the app exits (at most 3 s:
    /// a printer that is gone must not hold up a restart).
    pub fn finish_devices(&mut self) {
        self.devices.finish(std::time::Duration::from_secs(3));
    }

    fn refresh_status(&mut self) {
        self.last_status = Some(Instant::now());
        self.devices.submit(Job::Status);
        if let Ok((head, _)) = self.journal.head() {
            self.feed(Input::Head(head));
        }
        if let Ok(acked) = self.journal.acked_seq() {
            self.feed(Input::Acked(acked));
        }
        self.read_sync_state();
        self.feed(Input::Sync {
            failures: self.status.sync_failures,
            age_s: self.status.sync_age_s,
        });
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

    /// The basket as it is now into the journal's slot; the error (with
    /// causes) when not saved.
    fn save_now(&mut self) -> Result<(), String> {
        let res = match self.counter.basket() {
            Some(b) if !b.lines().is_empty() || !b.tenders().is_empty() => serde_json::to_vec(b)
                .map_err(anyhow::Error::from)
                .and_then(|bytes| Ok(self.journal.save_basket(&bytes)?)),
            _ => self.journal.clear_basket().map_err(anyhow::Error::from),
        };
        res.map_err(|e| format!("{e:#}"))
    }

    /// Carries out one effect; the result the counter waits for, if any.
    fn carry_out(&mut self, effect: Effect) -> Option<Input> {
        if let Effect::Append {
            event: till_core::records::Event::SaleCompleted(r),
            ..
        } = &effect
        {
            // The change is the record's: the basket is gone once it is done.
            let paid = r.tenders.iter().map(|t| t.amount).sum();
            self.customer.sale_recorded(paid, r.change);
        }
        match effect {
            Effect::Append {
                ts,
                event,
                clear_basket,
                then,
            } => {
                let res = if clear_basket {
                    self.journal.append_and_clear_basket(ts, &event)
                } else {
                    self.journal.append(ts, &event)
                };
                Some(match res {
                    Ok(a) => Input::Journaled {
                        seq: a.seq,
                        hash: a.hash,
                        ts,
                        next_sale_no: self
                            .journal
                            .next_sale_no()
                            .map_err(|e| format!("{:#}", anyhow::Error::from(e))),
                        then,
                    },
                    Err(e) => Input::JournalFailed {
                        why: e.to_string(),
                        full: format!("{:#}", anyhow::Error::from(e)),
                        then,
                    },
                })
            }
            Effect::Device(job) => {
                self.devices.submit(job);
                None
            }
            Effect::Pay { attempt, job } => {
                if let Err(e) = self.write_pending(&attempt) {
                    // Without it a crash during the payment would go
                    // unnoticed: better not to start.
                    return Some(Input::PayNotStarted {
                        attempt: attempt.id,
                        why: format!(
                            "paiement non lancé : fichier de suivi impossible à écrire ({e})"
                        ),
                    });
                }
                self.devices.submit(job);
                None
            }
            Effect::ClearPending => {
                self.clear_pending();
                None
            }
            Effect::SaveBasket => {
                if self.defer_persist {
                    self.basket_dirty = true;
                    return None;
                }
                self.save_now()
                    .err()
                    .map(|why| Input::BasketNotSaved { why, quiet: false })
            }
            Effect::SaveBasketNow {
                clear_pending,
                quiet,
            } => match self.save_now() {
                Ok(()) => {
                    if clear_pending {
                        self.clear_pending();
                    }
                    None
                }
                // Not saved: the approval lives only in memory, so the
                // pending file stays (a crash is flagged at the next start).
                Err(why) => Some(Input::BasketNotSaved { why, quiet }),
            },
            Effect::SaveParked { list, parking } => {
                self.parked.list = list;
                let result = self.parked.save().map_err(|e| format!("{e:#}"));
                Some(Input::ParkedSaved { parking, result })
            }
            Effect::CheckPin {
                pin,
                candidates,
                purpose,
            } => Some(self.check_pin(&pin, &candidates, purpose)),
            Effect::Lookup { sale_no } => self.start_lookup(sale_no),
            Effect::DropLookup => {
                self.lookup = None;
                None
            }
            Effect::XReport { day } => {
                let result = self.report(&day);
                Some(Input::XReport { day, result })
            }
            Effect::ReadTotals { day } => Some(Input::Totals(
                self.journal
                    .period_totals(ClosingKind::Day, &day)
                    .map_err(|e| format!("{e:#}")),
            )),
            Effect::CloseDay {
                ts,
                day,
                operator,
                counted,
                rows,
            } => Some(self.close_day(ts, day, &operator, counted, rows)),
            Effect::RefreshStatus => {
                self.refresh_status();
                None
            }
        }
    }

    /// Whose PIN it is among `candidates`, and whether they are locked out.
    /// At login a PIN hash older than the pepper is upgraded.
    fn check_pin(&mut self, pin: &str, candidates: &[User], purpose: PinFor) -> Input {
        let pepper = self.journal.pin_pepper();
        let found = candidates
            .iter()
            .find(|u| verify_pin_peppered(u, pin, pepper))
            .cloned();
        let locked = found.as_ref().is_some_and(|u| {
            let f = self.journal.pin_failures(&u.id);
            match purpose {
                // Unreadable state counts as locked: refuse rather than guess.
                PinFor::Login => f.map_or(true, |f| f.is_some_and(|f| f.locked)),
                PinFor::Approval => !f.is_ok_and(|f| f.is_some_and(|f| !f.locked)),
            }
        });
        let user = match found {
            Some(u) if purpose == PinFor::Login && !locked => Some(self.pepper_pin(u, pin)),
            other => other,
        };
        Input::PinChecked {
            user,
            locked,
            purpose,
        }
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
        upgraded
    }

    /// Looks the receipt up on a thread with its own read-only connection:
    /// an old receipt means reading everything since (refunds, reprints that
    /// reference it), which must not freeze the screen. The answer comes
    /// back through [`App::tick`].
    fn start_lookup(&mut self, sale_no: String) -> Option<Input> {
        let path = self.journal.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("till-receipt-lookup".into())
            .spawn(move || {
                let res = Journal::open_read_only(&path)
                    .map_err(anyhow::Error::from)
                    .and_then(|j| super::store::find_sale(&j, &sale_no));
                // The cashier may have gone back (Esc): nobody listens then.
                let _ = tx.send(res);
            });
        match spawned {
            Ok(_) => {
                self.lookup = Some(rx);
                None
            }
            Err(e) => Some(Input::Found {
                result: Err(e.to_string()),
            }),
        }
    }

    /// Signs the Z, closes any month or year due, and reads the report.
    fn close_day(
        &mut self,
        ts: DateTime<FixedOffset>,
        day: NaiveDate,
        operator: &str,
        counted: BTreeMap<String, till_core::Money>,
        rows: Vec<super::counter::CountRow>,
    ) -> Input {
        let period = day.to_string();
        let closed = self
            .journal
            .close(ts, ClosingKind::Day, &period, operator, counted);
        if let Err(e) = closed {
            return Input::DayClosed {
                day,
                rows,
                closed: Err(format!("{:#}", anyhow::Error::from(e))),
                report: Err(String::new()),
                auto: Vec::new(),
            };
        }
        let auto = self.close_due_periods(day, ts, operator);
        let report = self.report(&period);
        Input::DayClosed {
            day,
            rows,
            closed: Ok(()),
            report,
            auto,
        }
    }

    /// The day's X or Z for the screen and the printer: the shop's header,
    /// the cashier, the paper's width, the till's language.
    fn report(&mut self, day: &str) -> Result<String, String> {
        let printed_at = self.now().naive_local();
        let c = &self.counter;
        let paper = crate::report::Paper {
            shop: Some(&c.settings.shop),
            width: c.settings.layout.width,
            lang: c.settings.lang,
            cashier: c.user().map(|u| u.name.as_str()),
            printed_at: Some(printed_at),
            tenders: &c.settings.basket.tenders,
        };
        crate::report::period_report_on(&self.journal, ClosingKind::Day, day, &paper)
            .map_err(|e| format!("{e:#}"))
    }

    /// Monthly and yearly closings happen on their own after a Z: those
    /// [`due_periods`](super::counter::closing::due_periods) names.
    fn close_due_periods(
        &mut self,
        day: chrono::NaiveDate,
        ts: DateTime<FixedOffset>,
        operator: &str,
    ) -> Vec<String> {
        let mut done = Vec::new();
        let Ok(closings) = self.journal.closings() else {
            return done;
        };
        let (months, years) = super::counter::closing::due_periods(day, &closings);
        for m in months {
            if self
                .journal
                .close(ts, ClosingKind::Month, &m, operator, BTreeMap::new())
                .is_ok()
            {
                done.push(m);
            }
        }
        for y in years {
            if self
                .journal
                .close(ts, ClosingKind::Year, &y, operator, BTreeMap::new())
                .is_ok()
            {
                done.push(y);
            }
        }
        done
    }
}

/// The account tenders of the journal's sales after `seq`, per customer
/// number (training sales excluded).
pub fn unsynced_on_account(
    journal: &Journal,
    seq: u64,
) -> anyhow::Result<std::collections::BTreeMap<String, till_core::Money>> {
    use till_core::records::TenderKind;
    let mut out = std::collections::BTreeMap::new();
    let mut after = seq;
    loop {
        let events = journal.events_after(after, 500)?;
        let Some(last) = events.last() else {
            return Ok(out);
        };
        after = last.seq;
        for e in &events {
            if !matches!(
                e.kind.as_str(),
                "sale_completed" | "sale_cancelled" | "refund"
            ) {
                continue;
            }
            let ev = e.decode()?;
            let Some(s) = ev.sale() else { continue };
            if s.training {
                continue;
            }
            for t in &s.tenders {
                if t.kind != TenderKind::CustomerAccount {
                    continue;
                }
                if let Some(who) = t.reference.as_ref().or(s.customer.as_ref()) {
                    *out.entry(who.clone()).or_default() += t.amount;
                }
            }
        }
    }
}
