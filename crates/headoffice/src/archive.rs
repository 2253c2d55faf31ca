//! `headoffice archive`: the fiscal archive of a till's closed month or
//! year, built from the events head office received, in the till's own
//! format (`comptoir_chain::archive`, documented in docs/archive.md). The
//! tables that come from the events (`events.csv`, `closings.csv`,
//! `technical.csv`, `terminal.csv`) are byte for byte the till's; its
//! `archive.csv` says head office exported it, and it carries no
//! `manifest.sig`: head office does not hold the terminal's key (every
//! row's hash and every closing's signature still verify).

use crate::store::Store;
use comptoir_chain::archive::{
    archive_name, start_seq, version_of, ArchiveError, ArchiveMeta, ArchiveWriter, EventRow,
    Written, VERSION_KINDS,
};
use std::path::Path;
use till_core::records::{Closing, ClosingKind, Event};
use till_journal::StoredEvent;

/// Why head office could not write the archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveFail {
    #[error("terminal {0} is not known here")]
    UnknownTerminal(String),
    #[error("le {kind} {period} du terminal {terminal} n'est pas clôturé (aucune clôture signée reçue) : seule une période clôturée peut être archivée")]
    PeriodOpen {
        terminal: String,
        kind: &'static str,
        period: String,
    },
    #[error("seq {seq} of terminal {terminal}: {detail}")]
    BadEvent {
        terminal: String,
        seq: u64,
        detail: String,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Write(#[from] ArchiveError),
}

fn closing_at(store: &dyn Store, terminal: &str, seq: u64) -> Result<Closing, ArchiveFail> {
    let bad = |detail: String| ArchiveFail::BadEvent {
        terminal: terminal.to_string(),
        seq,
        detail,
    };
    let e = store
        .archive_events(terminal, seq, seq)?
        .into_iter()
        .next()
        .ok_or_else(|| bad("missing (the closing's record has not been received)".into()))?;
    match e.decode() {
        Ok(Event::Closing(c)) => Ok(c),
        Ok(_) => Err(bad(format!(
            "a {} record where a closing was expected",
            e.kind
        ))),
        Err(err) => Err(bad(err.to_string())),
    }
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

/// Writes the archive of `terminal`'s closed `period` into `out`.
pub fn write(
    store: &dyn Store,
    terminal: &str,
    kind: ClosingKind,
    period: &str,
    out: &Path,
    exporter_version: &str,
) -> Result<Written, ArchiveFail> {
    let (shop_id, public_key) = store
        .archive_terminal(terminal)?
        .ok_or_else(|| ArchiveFail::UnknownTerminal(terminal.to_string()))?;
    let closing_seq = store
        .archive_closing_seq(terminal, kind.as_str(), period)?
        .ok_or_else(|| ArchiveFail::PeriodOpen {
            terminal: terminal.to_string(),
            kind: match kind {
                ClosingKind::Year => "l'année",
                _ => "mois",
            },
            period: period.to_string(),
        })?;
    let closing = closing_at(store, terminal, closing_seq)?;
    let mut first = closing.first_seq;
    if closing.first_seq > 1 {
        let prev = closing_at(store, terminal, closing.first_seq)?;
        let before = store.archive_events(terminal, prev.first_seq, closing.first_seq - 1)?;
        first = start_seq(
            &closing,
            before
                .iter()
                .map(|e| (e.seq, e.kind.as_str(), e.payload.as_slice())),
        );
    }
    let mut w = ArchiveWriter::create(out, &archive_name(terminal, period)?)?;
    let mut from = first;
    while from <= closing_seq {
        let to = closing_seq.min(from + 4095);
        for e in store.archive_events(terminal, from, to)? {
            w.event(&row(&e))?;
        }
        from = to + 1;
    }
    let software_version = store
        .archive_last_of(terminal, closing_seq, &VERSION_KINDS)?
        .and_then(|e| version_of(&e.kind, &e.payload))
        .unwrap_or_default();
    let meta = ArchiveMeta {
        terminal_id: terminal.to_string(),
        shop_id,
        public_key: public_key.unwrap_or_default(),
        software_version,
        period_kind: kind,
        period: period.to_string(),
        exported_by: "headoffice".into(),
        exporter_version: exporter_version.to_string(),
    };
    Ok(w.finish(&meta, None)?)
}
