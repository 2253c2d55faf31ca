//! One till's sync loop: push pending events, pull catalog changes.

use crate::backoff::Backoff;
use crate::catalog::{CatalogError, LocalCatalog};
use crate::check;
use crate::client::{HeadOffice, PushOutcome};
use crate::config::{Config, ConfigError};
use crate::push::{self, Limits, Prepared};
use crate::state::{now, SyncStatus};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use till_core::records::{ConfigChanged, Event};
use till_journal::{Journal, JournalError, OpenOptions};

/// Why a pass did not deliver everything.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    #[error("head office unreachable or failing: {0}")]
    Transient(String),
    #[error("head office refuses this till's token (HTTP {status}: {message}): check the token in sync.toml (`token`, or the file `token_file` names), or register the terminal again (`headoffice register-terminal`) and install the new token")]
    Unauthorized { status: u16, message: String },
    #[error("head office refused the batch (HTTP {status}, {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the journal is damaged: {0}. Head office has not received these events: keep the file as it is and run `till journal verify`")]
    JournalDamaged(String),
    #[error("the sync cursor says head office acknowledged up to seq {cursor}, but the journal ends at seq {head}: the events the till records up to seq {cursor} would never be sent. The journal or its cursor was altered or replaced: run `till journal verify`")]
    CursorAhead { cursor: u64, head: u64 },
    #[error("head office holds seq {expected_minus_one} but this journal ends at {head}: was the journal restored from an old backup?")]
    HeadOfficeAhead { expected_minus_one: u64, head: u64 },
    #[error("{0}")]
    Catalog(String),
    #[error("{0}")]
    Client(String),
}

impl From<CatalogError> for SyncError {
    fn from(e: CatalogError) -> Self {
        SyncError::Catalog(e.to_string())
    }
}

impl SyncError {
    /// Whether retrying soon may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Transient(_))
    }

    /// A refusal or failure answered by head office (push or catalog).
    fn from_outcome(o: PushOutcome) -> SyncError {
        match o {
            PushOutcome::Refused { status: 401, body } => SyncError::Unauthorized {
                status: 401,
                message: body.message,
            },
            PushOutcome::Refused { status, body } => SyncError::Refused {
                status,
                code: body.code.as_str().to_string(),
                message: body.message,
            },
            PushOutcome::Transient(m) => SyncError::Transient(m),
            PushOutcome::Gap(e) => {
                SyncError::Transient(format!("head office expects seq {e} (unexpected here)"))
            }
            PushOutcome::Acked(a) => SyncError::Transient(format!(
                "unexpected acknowledgement up to seq {}",
                a.acked_seq
            )),
        }
    }
}

/// "1 event", "2 events".
pub fn events(n: u64) -> String {
    match n {
        1 => "1 event".to_string(),
        n => format!("{n} events"),
    }
}

/// Where a till stands (what `till-sync status` prints).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub terminal_id: String,
    /// The journal's last seq (read with and without its index: the higher).
    pub journal_head: u64,
    pub acked_seq: u64,
    /// Events not yet acknowledged by head office.
    pub waiting: u64,
    /// Why the journal cannot be delivered as it is (damaged index, cursor
    /// ahead of the journal), found without asking head office.
    pub problem: Option<String>,
    pub last_success: Option<String>,
    pub last_error_at: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub catalog_version: u64,
}

/// A pass's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Events acknowledged by head office in this pass.
    pub acked: u64,
    /// Of those, events head office said it already held (resent).
    pub duplicates: u64,
    /// Catalog (old, new) version when a delta was applied.
    pub catalog: Option<(u64, u64)>,
    /// The customers version applied, when a delta was.
    pub customers: Option<u64>,
}

/// The sync daemon for one journal.
pub struct Syncer {
    cfg: Config,
    journal: Journal,
    ho: HeadOffice,
    state: SyncStatus,
    backoff: Backoff,
    /// After a 409 naming a seq at or below the cursor (head office restored
    /// from a backup): resend from there. The cursor itself never moves back.
    resume_from: Option<u64>,
    /// Batch bounds: the configured ones, halved while head office answers 413.
    limits: Limits,
}

impl Syncer {
    /// Opens the journal (read-write: the cursor lives there) and the client.
    /// Never creates a journal: a missing one is an error.
    pub fn open(cfg: Config) -> Result<Syncer, SyncError> {
        cfg.validate()?;
        let ro = Journal::open_read_only(&cfg.journal)?;
        let opts = OpenOptions {
            terminal_id: ro.terminal_id().to_string(),
            shop_id: ro.shop_id().to_string(),
            key_path: cfg.key_path(),
            software_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        drop(ro);
        let journal = Journal::open_without_pins(&cfg.journal, opts)?;
        let token = cfg.token()?;
        let ho = HeadOffice::new(&cfg.head_office, &token, cfg.request_timeout())
            .map_err(|e| SyncError::Client(e.to_string()))?;
        let state = SyncStatus::load(&cfg.state_path());
        let backoff = Backoff::new(cfg.backoff_base(), cfg.backoff_cap());
        let limits = Limits {
            events: cfg.batch_events.max(1),
            bytes: cfg.batch_bytes.max(1),
        };
        Ok(Syncer {
            limits,
            cfg,
            journal,
            ho,
            state,
            backoff,
            resume_from: None,
        })
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Pushes everything after the cursor. Returns how many events head office
    /// acknowledged; stops at the first failure.
    ///
    /// Up to two batches are in flight ([`push::run`]) and the next one is
    /// read and encoded meanwhile; an answer other than an ack throws away
    /// what was sent or prepared after it, and is handled here.
    pub fn push_pending(&mut self) -> Result<u64, SyncError> {
        self.push_pending_counted().map(|(acked, _)| acked)
    }

    /// [`Self::push_pending`], also returning how many of the events
    /// acknowledged head office already held (a resend).
    ///
    /// Ends with a check that nothing is left that the journal's index does
    /// not show ([`check`]): a pass that found nothing to send in a damaged
    /// journal, or behind a cursor past the journal's end, is an error, not
    /// "delivered".
    pub fn push_pending_counted(&mut self) -> Result<(u64, u64), SyncError> {
        let mut acked_total = 0u64;
        let mut duplicates = 0u64;
        let mut prepared: Option<Prepared> = None;
        loop {
            let cursor = self.journal.acked_seq()?;
            let from = match self.resume_from {
                Some(r) if r <= cursor => r,
                _ => cursor + 1,
            };
            let batch = match prepared.take() {
                Some(p) if p.first == from => p,
                _ => push::prepare(&self.journal, self.limits, from)?,
            };
            if batch.count == 0 {
                self.resume_from = None;
                let ends = check::ends(self.journal.path(), self.journal.terminal_id())?;
                if let Some(problem) = ends.problem() {
                    return Err(problem);
                }
                return Ok((acked_total, duplicates));
            }
            let run = push::run(&self.ho, &self.journal, self.limits, batch)?;
            acked_total += run.acked;
            duplicates += run.duplicates;
            self.state.events_pushed += run.acked;
            if run.acked > 0 {
                self.resume_from = None;
            }
            prepared = run.prepared;
            let Some(stop) = run.stop else { continue };
            let (first, count, behind) = (stop.first, stop.count, stop.behind);
            match stop.outcome {
                PushOutcome::Acked(ack) => {
                    return Err(SyncError::Transient(format!(
                        "head office acknowledged up to {} for a batch ending at {}",
                        ack.acked_seq, stop.last
                    )));
                }
                PushOutcome::Gap(expected) => {
                    // Read again: acks of earlier batches of the run moved it.
                    let cursor = self.journal.acked_seq()?;
                    let holds = expected.saturating_sub(1);
                    let head = self.journal.head()?.0;
                    if holds > head {
                        return Err(SyncError::HeadOfficeAhead {
                            expected_minus_one: holds,
                            head,
                        });
                    }
                    if holds > cursor {
                        // Head office already has these (an ack we never read, or
                        // another daemon): catch the cursor up.
                        push::advance(&self.journal, holds)?;
                        self.resume_from = None;
                    } else if expected >= behind && expected < first {
                        // This batch overtook the one before it, which head
                        // office has acknowledged since: the answer is stale.
                        // Resend this batch only, not from the seq named,
                        // which head office now holds.
                        self.resume_from = Some(first);
                    } else if expected >= 1 && expected < first {
                        // Behind what head office had acknowledged (it was
                        // restored from a backup): resend from there.
                        self.resume_from = Some(expected);
                    } else {
                        return Err(SyncError::Transient(format!(
                            "head office expects seq {expected}, the batch started at {first}"
                        )));
                    }
                }
                PushOutcome::Refused { body, .. }
                    if body.code == sync_proto::ErrorCode::BatchTooLarge && count > 1 =>
                {
                    // Head office takes smaller batches than configured: halve
                    // and go on (kept for this daemon's lifetime).
                    self.limits.events = (count as usize / 2).max(1);
                    self.limits.bytes = (stop.bytes / 2).max(1);
                }
                outcome @ (PushOutcome::Refused { .. } | PushOutcome::Transient(_)) => {
                    return Err(SyncError::from_outcome(outcome))
                }
            }
        }
    }

    /// Pulls catalog changes, applies them in one transaction, and journals
    /// the version applied (`config_changed`, key `catalog_version`).
    pub fn pull_catalog(&mut self) -> Result<Option<(u64, u64)>, SyncError> {
        let mut cat = LocalCatalog::open(&self.cfg.catalog_path())?;
        let since = cat.version()?;
        let delta = self.ho.catalog(since).map_err(SyncError::from_outcome)?;
        let applied = if delta.catalog_version > since
            || !delta.items.is_empty()
            || !delta.removed.is_empty()
        {
            Some(cat.apply(&delta)?)
        } else {
            None
        };
        let v = cat.version()?;
        // Noted in the status file: a crash between applying and journaling
        // is caught up on the next pull (at worst one note twice).
        let noted = self.state.journaled_catalog_version;
        if v != noted {
            let ts = chrono::Local::now().fixed_offset();
            self.journal.append(
                ts,
                &Event::ConfigChanged(ConfigChanged {
                    key: "catalog_version".into(),
                    old_value: Some(noted.to_string()),
                    new_value: Some(v.to_string()),
                    by: "till-sync".into(),
                }),
            )?;
            self.state.journaled_catalog_version = v;
            self.save_state();
        }
        self.state.catalog_version = v;
        Ok(applied)
    }

    /// Pulls head office's ruleset if newer than the one held and stores it
    /// in catalog.db; the till applies it at its next start and journals it
    /// then (`config_changed`, key `rules`). Returns the version stored.
    pub fn pull_rules(&mut self) -> Result<Option<u64>, SyncError> {
        let mut cat = LocalCatalog::open(&self.cfg.catalog_path())?;
        let since = cat.ruleset_version()?;
        let Some(reply) = self.ho.rules(since).map_err(SyncError::from_outcome)? else {
            return Ok(None);
        };
        match reply.rules {
            Some(rules) if reply.ruleset_version > since => {
                // Checked here too: a ruleset the till would refuse is not
                // stored over the one it applies.
                rules.validate().map_err(|e| {
                    SyncError::Catalog(format!(
                        "head office's ruleset v{}: {e}",
                        reply.ruleset_version
                    ))
                })?;
                cat.set_ruleset(reply.ruleset_version, &rules)?;
                Ok(Some(reply.ruleset_version))
            }
            _ => Ok(None),
        }
    }

    /// Pulls the customers changed since the version held, with their
    /// available credit, and applies them to catalog.db in one
    /// transaction. Asked after the push, so the balances head office
    /// sends count this till's account sales just delivered. Returns the
    /// version applied, if any.
    pub fn pull_customers(&mut self) -> Result<Option<u64>, SyncError> {
        let mut cat = LocalCatalog::open(&self.cfg.catalog_path())?;
        let since = cat.customers_version()?;
        let Some(delta) = self.ho.customers(since).map_err(SyncError::from_outcome)? else {
            return Ok(None);
        };
        Ok(cat
            .apply_customers(&delta)?
            .then_some(delta.customers_version))
    }

    fn record(&mut self, r: &Result<PassReport, SyncError>) {
        match r {
            Ok(_) => {
                self.state.last_success = Some(now());
                self.state.consecutive_failures = 0;
            }
            Err(e) => {
                self.state.last_error_at = Some(now());
                self.state.last_error = Some(e.to_string());
                self.state.consecutive_failures = self.state.consecutive_failures.saturating_add(1);
            }
        }
        self.save_state();
    }

    fn save_state(&self) {
        // The status file is informative: failing to write it must not stop delivery.
        if let Err(e) = self.state.save(&self.cfg.state_path()) {
            eprintln!(
                "till-sync: cannot write {}: {e}",
                self.cfg.state_path().display()
            );
        }
    }

    /// One pass: catalog first (so its journal note is delivered in the same
    /// pass), then every pending event.
    ///
    /// A failed catalog pull does not hold sales back: events are pushed
    /// anyway, then the pass reports the catalog error.
    fn pass(&mut self, pull_catalog: bool) -> Result<PassReport, SyncError> {
        let mut report = PassReport::default();
        let catalog = if pull_catalog && self.cfg.pull_catalog {
            Some(self.pull_catalog())
        } else {
            None
        };
        // The rules travel with the catalog (same switch, same pass).
        let rules = if pull_catalog && self.cfg.pull_catalog {
            Some(self.pull_rules())
        } else {
            None
        };
        (report.acked, report.duplicates) = self.push_pending_counted()?;
        if pull_catalog && self.cfg.pull_catalog {
            report.customers = self.pull_customers()?;
        }
        if let Some(c) = catalog {
            report.catalog = c?;
        }
        if let Some(r) = rules {
            r?;
        }
        Ok(report)
    }

    /// `till-sync once`: a pass, retried with backoff on transient failures
    /// up to `once_attempts` times. Ok means everything was delivered.
    pub fn once(&mut self) -> Result<PassReport, SyncError> {
        let mut attempts = 0u32;
        let mut total = PassReport::default();
        loop {
            let r = self.pass(true);
            match r {
                Ok(p) => {
                    total.acked += p.acked;
                    total.duplicates += p.duplicates;
                    total.catalog = p.catalog.or(total.catalog);
                    total.customers = p.customers.or(total.customers);
                    self.backoff.reset();
                    let ok = Ok(total);
                    self.record(&ok);
                    return ok;
                }
                Err(e) if e.is_transient() && attempts + 1 < self.cfg.once_attempts.max(1) => {
                    attempts += 1;
                    let wait = self.backoff.next_delay();
                    eprintln!("till-sync: {e}; retrying in {:.1} s", wait.as_secs_f64());
                    self.record(&Err(SyncError::Transient(e.to_string())));
                    std::thread::sleep(wait);
                }
                Err(e) => {
                    let err = Err(e);
                    self.record(&err);
                    return err;
                }
            }
        }
    }

    /// `till-sync run`: passes forever (until `stop`), idle `poll` between
    /// passes, backoff after failures. Safe to kill at any instant.
    pub fn run(&mut self, stop: &AtomicBool, mut log: impl FnMut(&str)) {
        // Catalog changes are rarer than sales: ask every catalog_seconds, and
        // again after a failed pass.
        let mut next_catalog = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let pull = Instant::now() >= next_catalog;
            let r = self.pass(pull);
            if pull && r.is_ok() {
                next_catalog = Instant::now() + self.cfg.catalog_every();
            }
            let wait = match &r {
                Ok(p) => {
                    self.backoff.reset();
                    if p.acked > 0 {
                        log(&format!("delivered {}", events(p.acked)));
                    }
                    if let Some((o, n)) = p.catalog {
                        log(&format!("catalog {o} -> {n}"));
                    }
                    self.cfg.poll()
                }
                Err(e) => {
                    let w = self.backoff.next_delay();
                    log(&format!("{e}; next try in {:.1} s", w.as_secs_f64()));
                    w
                }
            };
            self.record(&r);
            sleep_unless(stop, wait);
        }
    }
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// Where the till stands, without opening the journal for writing.
pub fn status(cfg: &Config) -> Result<Status, SyncError> {
    let j = Journal::open_read_only(&cfg.journal)?;
    let ends = check::ends(&cfg.journal, j.terminal_id())?;
    let st = SyncStatus::load(&cfg.state_path());
    Ok(Status {
        terminal_id: j.terminal_id().to_string(),
        journal_head: ends.true_head(),
        acked_seq: ends.cursor,
        waiting: ends.waiting(),
        problem: ends.problem().map(|p| p.to_string()),
        last_success: st.last_success,
        last_error_at: st.last_error_at,
        last_error: st.last_error,
        consecutive_failures: st.consecutive_failures,
        catalog_version: st.catalog_version,
    })
}
