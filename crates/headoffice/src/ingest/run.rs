//! One batch's ingest, written once over the transaction primitives of
//! [`IngestTx`]: both backends run exactly this, and differ only in their
//! SQL and their locking.
//!
//! Order inside the transaction: the terminal's head (locked), the plan
//! (dedupe, gap, chain links), the trust checks ([`vet`], closing
//! signatures), the insert while other threads finish hashing and reading
//! the payloads ([`Shared`]), then the projections, low-stock alerts, the
//! tail marker and the new head. A refusal rolls everything back and writes
//! only its alert; the ack is sent after the commit.
//!
//! Architecture Invariant: no backend decides anything about a batch.

use super::{
    check_signatures, check_tail, low_stock_changes, plan_links, vet, Deltas, LowStock, Plan,
    Refusal, Shared,
};
use crate::store::{
    now_rfc3339, IngestOutcome, IngestTx, NewAlert, Result, Store, StoreError, TerminalAuth,
};
use std::collections::BTreeMap;
use till_journal::StoredEvent;

/// Events per chunk of hash checking and projection reading.
pub const CHUNK: usize = 250;

/// Tries of a batch whose transaction the database aborted (a deadlock, a
/// serialisation failure): the work is redone from the head.
const ATTEMPTS: u32 = 5;

/// Ingests `batch` of `terminal` ([`run`]), with one helper thread reading it.
pub fn ingest<S: Store + ?Sized>(
    store: &S,
    terminal: &TerminalAuth,
    batch: &[StoredEvent],
) -> Result<IngestOutcome> {
    let work = Shared::new(batch, CHUNK);
    std::thread::scope(|scope| {
        scope.spawn(|| work.help());
        let r = run(store, terminal, &work);
        work.cancel();
        r
    })
}

/// Ingests `work.events()` of `terminal` in one transaction of `store`.
pub fn run<S: Store + ?Sized>(
    store: &S,
    terminal: &TerminalAuth,
    work: &Shared<'_>,
) -> Result<IngestOutcome> {
    let mut read = Reading { work, done: None };
    let mut attempt = 1;
    loop {
        let tx = store.begin_ingest(terminal)?;
        match run_tx(tx, terminal, &mut read) {
            Err(StoreError::Conflict(e)) if attempt < ATTEMPTS => {
                tracing::debug!(terminal = %terminal.terminal_id, attempt, %e, "ingest retried");
                attempt += 1;
            }
            r => {
                work.cancel();
                return r;
            }
        }
    }
}

/// The hash check and deltas of the new part of a batch, computed once
/// across retries.
struct Reading<'w, 'a> {
    work: &'w Shared<'a>,
    /// (skip, first bad hash, deltas of `batch[skip..]`)
    done: Option<(usize, Option<Plan>, Deltas)>,
}

impl Reading<'_, '_> {
    /// Inserts `batch[skip..]` while the reading finishes on other threads.
    fn insert(&mut self, tx: &mut dyn IngestTx, skip: usize) -> Result<(Option<Plan>, &Deltas)> {
        let new = &self.work.events()[skip..];
        if self.done.as_ref().is_some_and(|d| d.0 == skip) {
            tx.insert_events(new)?;
        } else if skip == 0 {
            tx.insert_events(new)?;
            let (bad, d) = self
                .work
                .finish()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            self.done = Some((0, bad, d));
        } else {
            // A resend overlapping what is held (rare): the work under way
            // covers the whole batch, redo it on the new part.
            self.work.cancel();
            let part = Shared::new(new, CHUNK);
            let (bad, d) = std::thread::scope(|scope| {
                scope.spawn(|| part.help());
                let inserted = tx.insert_events(new);
                let read = part.finish();
                part.cancel();
                inserted?;
                read.map_err(|e| StoreError::Invalid(e.to_string()))
            })?;
            self.done = Some((skip, bad, d));
        }
        match &self.done {
            Some((_, bad, d)) => Ok((bad.clone(), d)),
            None => Err(StoreError::Invalid("batch read lost".into())),
        }
    }
}

fn alert<'a>(code: &'a str, seq: u64, detail: &'a str, at: &'a str) -> NewAlert<'a> {
    NewAlert {
        code,
        seq,
        detail,
        at,
    }
}

/// Rolls back and raises `r`.
fn refused(tx: Box<dyn IngestTx + '_>, r: Refusal, now: &str) -> Result<IngestOutcome> {
    tx.refuse(&alert(r.code.as_str(), r.seq, &r.detail, now))?;
    Ok(IngestOutcome::Refused(r))
}

fn run_tx(
    mut tx: Box<dyn IngestTx + '_>,
    t: &TerminalAuth,
    read: &mut Reading<'_, '_>,
) -> Result<IngestOutcome> {
    let work = read.work;
    let batch = work.events();
    let head = tx.head()?;
    let held = match (batch.first(), batch.last()) {
        (Some(f), Some(l)) if f.seq <= head.chain.last_seq => {
            tx.held_hashes(f.seq, l.seq.min(head.chain.last_seq))?
        }
        _ => BTreeMap::new(),
    };
    let plan = plan_links(head.chain, batch, |seq| {
        Ok::<_, StoreError>(held.get(&seq).copied())
    })?;
    let now = now_rfc3339();
    let skip = match plan {
        Plan::Store { skip } => skip,
        Plan::Gap { expected } => return Ok(IngestOutcome::Gap { expected }),
        Plan::Broken { seq, detail } => {
            tx.refuse(&alert("chain_broken", seq, &detail, &now))?;
            return Ok(IngestOutcome::Broken { seq, detail });
        }
        Plan::HashMismatch { seq, detail } => {
            tx.refuse(&alert("hash_mismatch", seq, &detail, &now))?;
            return Ok(IngestOutcome::HashMismatch { seq, detail });
        }
    };
    let new = &batch[skip..];
    let pinned = head.public_key.as_deref();
    if let Some(r) = vet(&t.terminal_id, &t.store_id, pinned, new) {
        return refused(tx, r, &now);
    }
    if let Some((seq, detail)) = check_signatures(pinned, new) {
        tx.refuse(&alert("bad_signature", seq, &detail, &now))?;
        return Ok(IngestOutcome::BadSignature { seq, detail });
    }
    let Some(last) = new.last() else {
        work.cancel();
        tail(&mut *tx, t, work, pinned, head.chain.last_seq, &now)?;
        tx.touch(&now)?;
        tx.commit()?;
        return Ok(IngestOutcome::Acked {
            acked_seq: head.chain.last_seq,
            stored: 0,
            duplicates: skip as u64,
        });
    };
    let (bad_hash, deltas) = read.insert(&mut *tx, skip)?;
    if let Some(Plan::HashMismatch { seq, detail }) = bad_hash {
        tx.refuse(&alert("hash_mismatch", seq, &detail, &now))?;
        return Ok(IngestOutcome::HashMismatch { seq, detail });
    }
    if let Some(r) = &deltas.refused {
        return refused(tx, r.clone(), &now);
    }
    for (seq, detail) in &deltas.undecodable {
        tracing::warn!(terminal = %t.terminal_id, seq, %detail, "ALERT: event kept but not projected");
        tx.upsert_alert(&alert("unknown_kind", *seq, detail, &now))?;
    }
    for (seq, code, detail) in &deltas.flags {
        tracing::warn!(terminal = %t.terminal_id, seq, %code, %detail, "ALERT: flagged by the till");
        tx.upsert_alert(&alert(code, *seq, detail, &now))?;
    }
    tx.apply_deltas(deltas)?;
    if let Some(pk) = &deltas.public_key {
        tx.set_public_key(pk)?;
    }
    low_stock(&mut *tx, t, deltas, last.seq, &now)?;
    overspent(&mut *tx, deltas, last.seq, &now)?;
    let key = deltas.public_key.as_deref().or(pinned);
    tail(&mut *tx, t, work, key, last.seq, &now)?;
    tx.set_head(last, &now)?;
    tx.commit()?;
    Ok(IngestOutcome::Acked {
        acked_seq: last.seq,
        stored: new.len() as u64,
        duplicates: skip as u64,
    })
}

/// Raises or clears `low_stock` alerts for the items whose level this batch
/// moved, after their upserts (which, on PostgreSQL, hold those rows: two
/// terminals of one store take turns per item). A store with no threshold
/// costs one query.
fn low_stock(
    tx: &mut dyn IngestTx,
    t: &TerminalAuth,
    d: &Deltas,
    seq: u64,
    now: &str,
) -> Result<()> {
    if d.levels.is_empty() || !tx.has_thresholds()? {
        return Ok(());
    }
    let items: Vec<&str> = d.levels.keys().map(String::as_str).collect();
    let rows = tx.low_stock_rows(&items)?;
    for change in low_stock_changes(&t.store_id, rows) {
        match change {
            LowStock::Raise { item_id, detail } => {
                let code = format!("low_stock:{item_id}");
                let id = tx.upsert_alert(&alert(&code, seq, &detail, now))?;
                tx.set_low_stock(&item_id, id)?;
            }
            LowStock::Clear { item_id, alert_id } => tx.clear_low_stock(&item_id, alert_id, now)?,
        }
    }
    Ok(())
}

/// Raises `credit_overspent:<customer>` when the account sales of this
/// batch took a customer's balance above their credit limit: a till sold
/// on account offline past what it knew, or a manager approved it. The
/// alert is counted again at each batch that adds to an overdrawn account.
fn overspent(tx: &mut dyn IngestTx, d: &Deltas, seq: u64, now: &str) -> Result<()> {
    for (number, (amount, _)) in &d.on_account {
        if *amount <= rust_decimal::Decimal::ZERO {
            continue;
        }
        if let Some((limit, balance)) = tx.customer_credit(number)? {
            if balance > limit {
                let code = format!("credit_overspent:{number}");
                let detail =
                    format!("customer {number}: owes {balance} on account, credit limit {limit}");
                tracing::warn!(%code, %detail, "ALERT: account over its credit limit");
                tx.upsert_alert(&alert(&code, seq, &detail, now))?;
            }
        }
    }
    Ok(())
}

/// Checks the tail marker the batch carried ([`check_tail`]) against the
/// hash held at its seq (up to `head_seq`, this batch included); an alert
/// commits with the batch, which is stored all the same.
fn tail(
    tx: &mut dyn IngestTx,
    t: &TerminalAuth,
    work: &Shared<'_>,
    public_key: Option<&str>,
    head_seq: u64,
    now: &str,
) -> Result<()> {
    let Some(tail) = work.tail() else {
        return Ok(());
    };
    let held = if tail.seq == 0 || tail.seq > head_seq {
        None
    } else {
        let batch = work.events();
        let in_batch = batch
            .first()
            .and_then(|f| tail.seq.checked_sub(f.seq))
            .and_then(|i| batch.get(usize::try_from(i).ok()?))
            .filter(|e| e.seq == tail.seq);
        match in_batch {
            Some(e) => Some(e.hash),
            None => tx.held_hashes(tail.seq, tail.seq)?.get(&tail.seq).copied(),
        }
    };
    let checked = check_tail(&t.terminal_id, public_key, tail, held);
    tx.note_tail(tail.seq, checked.is_ok(), now)?;
    if let Err((code, detail)) = checked {
        tracing::error!(terminal = %t.terminal_id, seq = tail.seq, %detail, "ALERT: {code}");
        tx.upsert_alert(&alert(code, tail.seq, &detail, now))?;
    }
    Ok(())
}
