//! The fiscal archive of a closed month or year (`till journal export`), in
//! the format of [`comptoir_chain::archive`] (documented for auditors in
//! `docs/archive.md`), and the technical event log's start-up records.
//!
//! The archive is read from the events only (the projections are not
//! trusted for it), so head office, which holds the same rows, writes the
//! same tables. Its creation is journaled (`archive_created`), after the
//! period's closing, so it never changes the archive itself: a second export
//! of the period gives the same bytes.

use crate::error::{JournalError, Result};
use crate::journal::{format_ts, to_i64, Appended, Journal};
use crate::outbox::StoredEvent;
use chrono::{DateTime, FixedOffset};
use comptoir_chain::archive::{
    archive_name, start_seq, version_of, ArchiveMeta, ArchiveWriter, EventRow, Written,
};
use rusqlite::OptionalExtension;
use std::path::Path;
use till_core::records::{
    ArchiveCreated, ClockJump, Closing, ClosingKind, Event, SoftwareStarted, SoftwareStopped,
    SoftwareUpdated,
};

/// Rows read per query while exporting.
const CHUNK: usize = 4096;

/// A clock this far ahead of the last record, at start, is journaled as a
/// jump (a shop closed for a few weeks is not one).
pub const CLOCK_AHEAD_LIMIT_SECS: i64 = 62 * 24 * 3600;

/// What start-up journaled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartRecords {
    /// `(from, to)` when the version differs from the last one journaled.
    pub updated: Option<(String, String)>,
    /// now - last record, in seconds, when the clock jumped.
    pub clock_jump: Option<i64>,
}

fn row(e: &StoredEvent) -> EventRow<'_> {
    EventRow {
        seq: e.seq,
        ts: &e.ts,
        kind: &e.kind,
        payload: &e.payload,
        prev_hash: &e.prev_hash,
        hash: &e.hash,
        signature: e.signature.as_deref(),
    }
}

impl Journal {
    fn closing_at(&self, seq: u64) -> Result<Closing> {
        let bad = |detail: String| JournalError::BadStoredEvent { seq, detail };
        let e = self
            .event(seq)?
            .ok_or_else(|| bad("the closing record is missing".into()))?;
        match e.decode() {
            Ok(Event::Closing(c)) => Ok(c),
            Ok(_) => Err(bad(format!(
                "a {} record where a closing was expected",
                e.kind
            ))),
            Err(err) => Err(bad(err.to_string())),
        }
    }

    /// The version the till ran at `seq`: the last `terminal_initialised`,
    /// `software_updated` or `software_started` record at or before it.
    pub fn software_version_at(&self, seq: u64) -> Result<Option<String>> {
        let found: Option<(String, Vec<u8>)> = self
            .conn
            .prepare_cached(
                "SELECT kind, payload FROM events WHERE terminal_id = ?1 AND seq <= ?2
                 AND kind IN ('terminal_initialised', 'software_updated', 'software_started')
                 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(rusqlite::params![self.terminal_id, to_i64(seq)], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(|e| self.db(e))?;
        Ok(found.and_then(|(kind, payload)| version_of(&kind, &payload)))
    }

    /// The seq of the signed closing of a month or year, refusing an open one.
    pub fn closing_seq(&self, kind: ClosingKind, period: &str) -> Result<u64> {
        if kind == ClosingKind::Day {
            return Err(JournalError::ArchivePeriodKind(kind.as_str()));
        }
        self.closings()?
            .into_iter()
            .find(|(k, p, _)| k == kind.as_str() && p == period)
            .map(|(_, _, seq)| seq)
            .ok_or_else(|| JournalError::PeriodOpen {
                kind: kind.as_str(),
                period: period.to_string(),
            })
    }

    /// Writes the archive of a closed month or year into `out` (folder
    /// `<terminal>-<period>`), its manifest signed with the terminal's key,
    /// and journals `archive_created` at `now`. An open period is refused
    /// ([`JournalError::PeriodOpen`]) before anything is written.
    pub fn export_archive(
        &self,
        now: DateTime<FixedOffset>,
        kind: ClosingKind,
        period: &str,
        out: &Path,
        exporter_version: &str,
    ) -> Result<Written> {
        let key = self.signing_key("export an archive")?.clone();
        let closing_seq = self.closing_seq(kind, period)?;
        let closing = self.closing_at(closing_seq)?;
        // Rows of the period recorded before the previous closing (a month
        // closed the morning after) belong to this archive too.
        let mut first = closing.first_seq;
        if closing.first_seq > 1 {
            let prev = self.closing_at(closing.first_seq)?;
            let before = self.events_between(prev.first_seq, closing.first_seq - 1)?;
            first = start_seq(
                &closing,
                before
                    .iter()
                    .map(|e| (e.seq, e.kind.as_str(), e.payload.as_slice())),
            );
        }
        let name = archive_name(&self.terminal_id, period)?;
        let mut w = ArchiveWriter::create(out, &name)?;
        let mut after = first.saturating_sub(1);
        while after < closing_seq {
            let rows = self.events_after(after, CHUNK)?;
            if rows.is_empty() {
                break;
            }
            for e in rows.iter().take_while(|e| e.seq <= closing_seq) {
                w.event(&row(e))?;
                after = e.seq;
            }
        }
        let meta = ArchiveMeta {
            terminal_id: self.terminal_id.clone(),
            shop_id: self.shop_id.clone(),
            public_key: self.public_key_hex().to_string(),
            software_version: self.software_version_at(closing_seq)?.unwrap_or_default(),
            period_kind: kind,
            period: period.to_string(),
            exported_by: "till".into(),
            exporter_version: exporter_version.to_string(),
        };
        let written = w.finish(&meta, Some(&key))?;
        self.append(
            now,
            &Event::ArchiveCreated(ArchiveCreated {
                period_kind: kind,
                period: period.to_string(),
                first_seq: written.first_seq,
                last_seq: written.last_seq,
                manifest_sha256: written.manifest_sha256.clone(),
            }),
        )?;
        Ok(written)
    }

    /// The events with seq in [from, to].
    fn events_between(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>> {
        let mut out = Vec::new();
        let mut after = from.saturating_sub(1);
        while after < to {
            let rows = self.events_after(after, CHUNK)?;
            let Some(last) = rows.last().map(|e| e.seq) else {
                break;
            };
            out.extend(rows.into_iter().filter(|e| e.seq <= to));
            after = last;
        }
        Ok(out)
    }

    /// The technical event log at start-up: a version different from the
    /// last one journaled (`software_updated`), a clock earlier than the last
    /// record or more than [`CLOCK_AHEAD_LIMIT_SECS`] ahead (`clock_jump`),
    /// then `software_started`, in one transaction.
    pub fn record_start(&self, now: DateTime<FixedOffset>, version: &str) -> Result<StartRecords> {
        let (head, _) = self.head()?;
        let mut events = Vec::new();
        let mut out = StartRecords::default();
        if let Some(last) = self.event(head)? {
            if let Some(last_ts) = last.ts_parsed() {
                let secs = (now - last_ts).num_seconds();
                // The stored ts has milliseconds: a clock a few ms behind is
                // not a jump, one a second or more behind is.
                if !(0..=CLOCK_AHEAD_LIMIT_SECS).contains(&secs) {
                    out.clock_jump = Some(secs);
                    events.push((
                        now,
                        Event::ClockJump(ClockJump {
                            last_ts: last.ts.clone(),
                            now_ts: format_ts(&now),
                            seconds: secs,
                        }),
                    ));
                }
            }
        }
        if let Some(previous) = self.software_version_at(head)? {
            if previous != version {
                out.updated = Some((previous.clone(), version.to_string()));
                events.push((
                    now,
                    Event::SoftwareUpdated(SoftwareUpdated {
                        from_version: previous,
                        to_version: version.to_string(),
                    }),
                ));
            }
        }
        events.push((
            now,
            Event::SoftwareStarted(SoftwareStarted {
                version: version.to_string(),
            }),
        ));
        self.append_batch(&events)?;
        Ok(out)
    }

    /// The technical event log at an orderly stop.
    pub fn record_stop(&self, now: DateTime<FixedOffset>, version: &str) -> Result<Appended> {
        self.append(
            now,
            &Event::SoftwareStopped(SoftwareStopped {
                version: version.to_string(),
            }),
        )
    }
}
