//! Appending: one transaction per call (record, projections, signed tail
//! marker), the head, the tail marker and the receipt counter.

use super::{format_ts, to_i64, to_u64, Appended, Journal};
use crate::chain::{self, RecordFields, GENESIS_PREV_HASH};
use crate::error::{JournalError, Result};
use crate::projections;
use chrono::{DateTime, FixedOffset};
use ed25519_dalek::Signer;
use rusqlite::{params, Connection, OptionalExtension};
use till_core::records::Event;

impl Journal {
    /// Appends `event` at time `ts` in one transaction (record, projections,
    /// signed tail marker) and returns its seq and hash once it is durable.
    ///
    /// Refused: `terminal_initialised` (written by `open`), `closing` (use
    /// [`Journal::close`], which computes the totals), and sale records whose
    /// arithmetic does not add up (`SaleRecord::check`).
    pub fn append(&self, ts: DateTime<FixedOffset>, event: &Event) -> Result<Appended> {
        self.append_opt(ts, event, false)
    }

    /// Like [`Journal::append`], and clears the basket in progress in the same
    /// transaction: after a crash either the sale is recorded and the basket
    /// gone, or the basket is still there and nothing was recorded.
    pub fn append_and_clear_basket(
        &self,
        ts: DateTime<FixedOffset>,
        event: &Event,
    ) -> Result<Appended> {
        self.append_opt(ts, event, true)
    }

    /// Checks what a caller may append (see [`Journal::append`]).
    fn check_event(event: &Event) -> Result<()> {
        match event {
            Event::TerminalInitialised(_) => {
                return Err(JournalError::InvalidEvent(
                    "terminal_initialised is written once, by Journal::open".into(),
                ))
            }
            Event::Closing(_) => {
                return Err(JournalError::InvalidEvent(
                    "closings are recorded with Journal::close, which computes their totals".into(),
                ))
            }
            _ => {}
        }
        if let Some(s) = event.sale() {
            s.check()
                .map_err(|e| JournalError::InvalidEvent(format!("sale {}: {e}", s.sale_no)))?;
        }
        Ok(())
    }

    fn append_opt(
        &self,
        ts: DateTime<FixedOffset>,
        event: &Event,
        clear_basket: bool,
    ) -> Result<Appended> {
        self.signing_key("append")?;
        Self::check_event(event)?;
        let tx = self.begin()?;
        let a = self.append_in(&tx, &format_ts(&ts), event, false)?;
        self.write_tail(&tx, a.seq, &a.hash)?;
        if clear_basket {
            tx.prepare_cached("DELETE FROM basket")
                .and_then(|mut s| s.execute([]))
                .map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))?;
        Ok(a)
    }

    /// Appends several events in ONE transaction (all or none), e.g. a sale and
    /// the stock movement it triggers, or an import. The tail marker is signed
    /// once, for the last one.
    pub fn append_batch(&self, events: &[(DateTime<FixedOffset>, Event)]) -> Result<Vec<Appended>> {
        self.signing_key("append")?;
        for (_, e) in events {
            Self::check_event(e)?;
        }
        let tx = self.begin()?;
        let mut out = Vec::with_capacity(events.len());
        for (ts, e) in events {
            out.push(self.append_in(&tx, &format_ts(ts), e, false)?);
        }
        if let Some(last) = out.last() {
            self.write_tail(&tx, last.seq, &last.hash)?;
        }
        tx.commit().map_err(|e| self.db(e))?;
        Ok(out)
    }

    /// The head as stored in `events` (not the tail marker): (seq, hash), or
    /// (0, zeros) for an empty journal.
    pub(crate) fn head_in(&self, conn: &Connection) -> Result<(u64, [u8; 32])> {
        let row: Option<(i64, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT seq, hash FROM events WHERE terminal_id = ?1 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row([&self.terminal_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.db(e))?;
        match row {
            None => Ok((0, GENESIS_PREV_HASH)),
            Some((seq, hash)) => {
                let seq = to_u64(seq);
                let hash = chain::hash32(&hash).ok_or_else(|| JournalError::BadStoredEvent {
                    seq,
                    detail: format!("hash is {} bytes, not 32", hash.len()),
                })?;
                Ok((seq, hash))
            }
        }
    }

    /// The last recorded (seq, hash); (0, 32 zero bytes) if empty.
    pub fn head(&self) -> Result<(u64, [u8; 32])> {
        self.head_in(&self.conn)
    }

    /// Inserts the record and its projections inside `tx` (the caller then
    /// moves the tail marker with `write_tail`).
    /// `sign_record`: sign this row's hash into its `signature` column (closings).
    /// A signed closing is final: nothing may be added to the day (or month,
    /// or year) it covers, or the signed totals would no longer match.
    fn refuse_if_closed(&self, tx: &Connection, day: chrono::NaiveDate) -> Result<()> {
        use chrono::Datelike;
        let periods = [
            ("day", day.to_string()),
            ("month", format!("{:04}-{:02}", day.year(), day.month())),
            ("year", format!("{:04}", day.year())),
        ];
        let mut st = tx
            .prepare_cached("SELECT seq FROM closings WHERE kind = ?1 AND period = ?2")
            .map_err(|e| self.db(e))?;
        for (kind, period) in periods {
            let found: Option<i64> = st
                .query_row(params![kind, period], |r| r.get(0))
                .optional()
                .map_err(|e| self.db(e))?;
            if let Some(seq) = found {
                return Err(JournalError::AlreadyClosed {
                    kind,
                    period,
                    seq: to_u64(seq),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn append_in(
        &self,
        tx: &Connection,
        ts: &str,
        event: &Event,
        sign_record: bool,
    ) -> Result<Appended> {
        let key = self.signing_key("append")?;
        let (head_seq, prev_hash) = self.head_in(tx)?;
        let seq = head_seq + 1;
        let kind = event.kind();
        let payload = event.payload();
        let fields = RecordFields {
            terminal_id: &self.terminal_id,
            seq,
            ts,
            kind,
            payload: &payload,
        };
        let hash = chain::record_hash(&prev_hash, &fields)
            .map_err(|e| JournalError::InvalidEvent(format!("{} is longer than 4 GiB", e.0)))?;
        let signature = sign_record.then(|| key.sign(&hash).to_bytes().to_vec());
        let db = |e| self.db(e);
        let fx = projections::effects(event);
        if let Some((day, _)) = &fx.day {
            self.refuse_if_closed(tx, *day)?;
        }
        tx.prepare_cached(
            "INSERT INTO events (terminal_id, seq, ts, kind, payload, prev_hash, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                self.terminal_id,
                to_i64(seq),
                ts,
                kind,
                payload,
                &prev_hash[..],
                &hash[..],
                signature
            ])
        })
        .map_err(db)?;
        projections::apply(tx, to_i64(seq), &fx).map_err(db)?;
        Ok(Appended {
            seq,
            hash,
            signature,
        })
    }

    /// Moves the signed tail marker to (seq, hash), inside the caller's transaction.
    pub(crate) fn write_tail(&self, tx: &Connection, seq: u64, hash: &[u8; 32]) -> Result<()> {
        let key = self.signing_key("append")?;
        let msg = chain::tail_message(&self.terminal_id, seq, hash)
            .map_err(|e| JournalError::InvalidEvent(format!("{} is longer than 4 GiB", e.0)))?;
        let tail_sig = key.sign(&msg).to_bytes();
        tx.prepare_cached(
            "INSERT INTO tail (terminal_id, seq, hash, signature) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (terminal_id) DO UPDATE SET
                 seq = excluded.seq, hash = excluded.hash, signature = excluded.signature",
        )
        .and_then(|mut s| {
            s.execute(params![
                self.terminal_id,
                to_i64(seq),
                &hash[..],
                &tail_sig[..]
            ])
        })
        .map(|_| ())
        .map_err(|e| self.db(e))
    }

    /// The signed tail marker as of the last commit: (seq, hash, Ed25519
    /// signature over [`chain::tail_message`]); `None` for an empty journal.
    /// The sync daemon sends it with each batch so head office can tell
    /// that the newest events it holds were signed by this terminal.
    pub fn tail_marker(&self) -> Result<Option<(u64, [u8; 32], Vec<u8>)>> {
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT seq, hash, signature FROM tail WHERE terminal_id = ?1")
            .and_then(|mut s| {
                s.query_row([&self.terminal_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(|e| self.db(e))?;
        let Some((seq, hash, sig)) = row else {
            return Ok(None);
        };
        let seq = to_u64(seq);
        let hash = chain::hash32(&hash).ok_or_else(|| JournalError::BadStoredEvent {
            seq,
            detail: format!("tail marker hash is {} bytes, not 32", hash.len()),
        })?;
        Ok(Some((seq, hash, sig)))
    }

    /// The next receipt number: sale, cancellation and refund records so far + 1
    /// (training included), read from a counter, O(1).
    pub fn next_sale_no(&self) -> Result<u64> {
        let n: Option<String> = self
            .conn
            .prepare_cached("SELECT amount FROM perpetual WHERE key = ?1")
            .and_then(|mut s| {
                s.query_row([projections::P_SALE_RECORDS], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.db(e))?;
        let n: u64 = match n {
            None => 0,
            Some(s) => s.parse().map_err(|_| JournalError::Corrupt {
                path: self.path.clone(),
                detail: format!("sale record counter holds {s:?}"),
            })?,
        };
        Ok(n + 1)
    }
}
