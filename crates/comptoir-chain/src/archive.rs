//! The fiscal archive of a closed period (format `comptoir-archive-1`): one
//! folder, one CSV file per table, a manifest of their SHA-256 signed with the
//! terminal's key. `docs/archive.md` documents it for auditors; this module
//! is the one definition the till, head office and the verifier share.
//!
//! Everything in an archive comes from the journal's rows (nothing from a
//! clock, nothing random; Ed25519 signatures are deterministic), sorted by
//! seq, so exporting a period twice gives the same bytes, and head office,
//! which holds the same rows, writes the same tables. Only `archive.csv` (who
//! exported, with which version) and the manifest's signature (head office
//! does not hold the terminal's key: its copy has no `manifest.sig`) differ.
//!
//! Which rows: a closed month or year's archive ends with its signed closing
//! record and starts at the closing's `first_seq` (the previous closing of
//! the same kind, so consecutive archives share that one row and link), or
//! earlier if a sale or cash movement of the period was recorded before that
//! previous closing (a month closed the morning after), from the first such
//! row on ([`start_seq`]).

use crate::csv::{push_row, CsvError};
use chrono::{Datelike, NaiveDate};
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use till_core::records::{CashMovement, Closing, ClosingKind, TECHNICAL_KINDS};
use till_core::view::{SaleBuf, SaleView};

/// The format's name, first value of `archive.csv`.
pub const FORMAT: &str = "comptoir-archive-1";
/// Domain separation of the manifest's signature.
pub const MANIFEST_DOMAIN: &[u8] = b"comptoir-archive-manifest-v1";

pub const ARCHIVE: &str = "archive.csv";
pub const CLOSINGS: &str = "closings.csv";
pub const EVENTS: &str = "events.csv";
pub const TECHNICAL: &str = "technical.csv";
pub const TERMINAL: &str = "terminal.csv";
pub const MANIFEST: &str = "manifest.csv";
pub const MANIFEST_SIG: &str = "manifest.sig";

/// The files the manifest lists, in its (sorted) order.
pub const LISTED: [&str; 5] = [ARCHIVE, CLOSINGS, EVENTS, TECHNICAL, TERMINAL];

pub const ARCHIVE_HEADER: [&str; 2] = ["key", "value"];
pub const EVENTS_HEADER: [&str; 7] = [
    "seq",
    "ts",
    "kind",
    "payload",
    "prev_hash",
    "hash",
    "signature",
];
pub const CLOSINGS_HEADER: [&str; 15] = [
    "seq",
    "kind",
    "period",
    "first_seq",
    "last_seq",
    "records",
    "net_total",
    "sales_total",
    "refunds_total",
    "cash_in",
    "cash_out",
    "grand_total",
    "grand_total_abs",
    "operator",
    "signature",
];
pub const TECHNICAL_HEADER: [&str; 4] = ["seq", "ts", "kind", "detail"];
pub const TERMINAL_HEADER: [&str; 4] = ["terminal_id", "shop_id", "public_key", "software_version"];
pub const MANIFEST_HEADER: [&str; 3] = ["file", "bytes", "sha256"];

/// The keys of `archive.csv`, in order.
pub const ARCHIVE_KEYS: [&str; 9] = [
    "format",
    "terminal_id",
    "period_kind",
    "period",
    "first_seq",
    "last_seq",
    "events",
    "exported_by",
    "exporter_version",
];

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("seq {seq}: {field} cannot be written as CSV: {source}")]
    Csv {
        seq: u64,
        field: &'static str,
        #[source]
        source: CsvError,
    },
    #[error("seq {seq}: the payload is not UTF-8 text")]
    NotUtf8 { seq: u64 },
    #[error("rows out of order: seq {got} where {expected} was expected")]
    Order { expected: u64, got: u64 },
    #[error("seq {seq}: the closing record does not decode: {detail}")]
    ClosingPayload { seq: u64, detail: String },
    #[error("terminal id {0:?} cannot name a folder (letters, digits, '-' and '_' only)")]
    BadName(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One journal row, as both the till and head office hold it.
#[derive(Debug, Clone, Copy)]
pub struct EventRow<'a> {
    pub seq: u64,
    pub ts: &'a str,
    pub kind: &'a str,
    pub payload: &'a [u8],
    pub prev_hash: &'a [u8; 32],
    pub hash: &'a [u8; 32],
    pub signature: Option<&'a [u8]>,
}

/// What the archive says about itself and its terminal.
#[derive(Debug, Clone)]
pub struct ArchiveMeta {
    pub terminal_id: String,
    pub shop_id: String,
    /// Ed25519 public key, hex (the one of the journal's seq 1).
    pub public_key: String,
    /// The till's software version when the period closed (the last
    /// `terminal_initialised` or `software_updated` record before it).
    pub software_version: String,
    pub period_kind: ClosingKind,
    pub period: String,
    /// "till" or "headoffice".
    pub exported_by: String,
    pub exporter_version: String,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub dir: PathBuf,
    pub first_seq: u64,
    pub last_seq: u64,
    pub events: u64,
    /// SHA-256 (hex) of `manifest.csv`.
    pub manifest_sha256: String,
}

/// The folder name of a period's archive: `<terminal>-<period>`.
pub fn archive_name(terminal_id: &str, period: &str) -> Result<String, ArchiveError> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !ok(terminal_id) || !ok(period) {
        return Err(ArchiveError::BadName(terminal_id.to_string()));
    }
    Ok(format!("{terminal_id}-{period}"))
}

/// Whether business day `day` lies in the period.
pub fn period_contains(kind: ClosingKind, period: &str, day: NaiveDate) -> bool {
    match kind {
        ClosingKind::Day => day.to_string() == period,
        ClosingKind::Month => format!("{:04}-{:02}", day.year(), day.month()) == period,
        ClosingKind::Year => format!("{:04}", day.year()) == period,
    }
}

/// Whether period `inner` (of kind `ik`) lies inside `outer` (of kind `ok`).
pub fn period_within(ik: ClosingKind, inner: &str, ok: ClosingKind, outer: &str) -> bool {
    if ik > ok {
        return false;
    }
    let len = match ok {
        ClosingKind::Day => 10,
        ClosingKind::Month => 7,
        ClosingKind::Year => 4,
    };
    inner.len() >= len && inner.get(..len) == Some(outer)
}

/// The business day a record counts in: sales, cancellations, refunds and
/// cash movements have one; other kinds, or a payload that does not decode,
/// none.
pub fn business_day(kind: &str, payload: &[u8], buf: &mut SaleBuf) -> Option<NaiveDate> {
    match kind {
        "sale_completed" | "sale_cancelled" | "refund" => {
            SaleView::decode(payload, buf).ok().map(|v| v.business_day)
        }
        "cash_movement" => serde_json::from_slice::<CashMovement>(payload)
            .ok()
            .map(|c| c.business_day),
        _ => None,
    }
}

/// The first seq of the archive of `closing`: its `first_seq`, or the first
/// row of `before` (the rows from the previous closing's own `first_seq` up
/// to this closing's `first_seq`, in seq order) whose business day lies in
/// the period.
pub fn start_seq<'a>(
    closing: &Closing,
    before: impl IntoIterator<Item = (u64, &'a str, &'a [u8])>,
) -> u64 {
    let mut buf = SaleBuf::default();
    before
        .into_iter()
        .filter(|(seq, _, _)| *seq < closing.first_seq)
        .find(|(_, kind, payload)| {
            business_day(kind, payload, &mut buf)
                .is_some_and(|d| period_contains(closing.kind, &closing.period, d))
        })
        .map_or(closing.first_seq, |(seq, _, _)| seq)
}

/// The kinds that say which software version the till runs.
pub const VERSION_KINDS: [&str; 3] = [
    "terminal_initialised",
    "software_updated",
    "software_started",
];

/// The version a [`VERSION_KINDS`] record names (`terminal.csv` gives the
/// one of the last such record before the period's closing).
pub fn version_of(kind: &str, payload: &[u8]) -> Option<String> {
    use till_core::records::Event;
    match Event::decode(kind, payload).ok()? {
        Event::TerminalInitialised(t) => Some(t.software_version),
        Event::SoftwareUpdated(u) => Some(u.to_version),
        Event::SoftwareStarted(s) => Some(s.version),
        _ => None,
    }
}

/// The `closings.csv` record of a closing row.
pub fn closing_fields(seq: u64, c: &Closing, signature: Option<&[u8]>) -> [String; 15] {
    let t = &c.totals;
    [
        seq.to_string(),
        c.kind.as_str().to_string(),
        c.period.clone(),
        c.first_seq.to_string(),
        c.last_seq.to_string(),
        t.records.to_string(),
        t.net_total.to_string(),
        t.sales_total.to_string(),
        t.refunds_total.to_string(),
        t.cash_in.to_string(),
        t.cash_out.to_string(),
        c.grand_total.to_string(),
        c.grand_total_abs.to_string(),
        c.operator.clone(),
        signature.map(hex::encode).unwrap_or_default(),
    ]
}

/// The message `manifest.sig` signs.
pub fn manifest_message(manifest: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(MANIFEST_DOMAIN.len() + manifest.len());
    m.extend_from_slice(MANIFEST_DOMAIN);
    m.extend_from_slice(manifest);
    m
}

/// Writes an archive row by row into a hidden folder beside its final name,
/// renamed into place once complete: a crash leaves no half archive under
/// the real name.
pub struct ArchiveWriter {
    out: PathBuf,
    name: String,
    tmp: PathBuf,
    events: std::io::BufWriter<File>,
    events_sha: Sha256,
    events_len: u64,
    closings: Vec<u8>,
    technical: Vec<u8>,
    line: Vec<u8>,
    first_seq: Option<u64>,
    last_seq: u64,
    count: u64,
}

impl ArchiveWriter {
    /// Starts the archive `name` in folder `out` (created if absent).
    pub fn create(out: &Path, name: &str) -> Result<ArchiveWriter, ArchiveError> {
        std::fs::create_dir_all(out).map_err(io(out))?;
        let tmp = out.join(format!(".{name}.partial"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        std::fs::create_dir(&tmp).map_err(io(&tmp))?;
        let path = tmp.join(EVENTS);
        let file = File::create(&path).map_err(io(&path))?;
        let mut w = ArchiveWriter {
            out: out.to_path_buf(),
            name: name.to_string(),
            tmp,
            events: std::io::BufWriter::with_capacity(1 << 20, file),
            events_sha: Sha256::new(),
            events_len: 0,
            closings: Vec::new(),
            technical: Vec::new(),
            line: Vec::new(),
            first_seq: None,
            last_seq: 0,
            count: 0,
        };
        let csv = |source| ArchiveError::Csv {
            seq: 0,
            field: "header",
            source,
        };
        push_row(&mut w.line, &EVENTS_HEADER).map_err(csv)?;
        push_row(&mut w.closings, &CLOSINGS_HEADER).map_err(csv)?;
        push_row(&mut w.technical, &TECHNICAL_HEADER).map_err(csv)?;
        w.flush_line()?;
        Ok(w)
    }

    fn flush_line(&mut self) -> Result<(), ArchiveError> {
        self.events_sha.update(&self.line);
        self.events_len += self.line.len() as u64;
        let path = self.tmp.join(EVENTS);
        self.events.write_all(&self.line).map_err(io(&path))?;
        self.line.clear();
        Ok(())
    }

    /// Adds the next row (rows come in seq order, without gaps).
    pub fn event(&mut self, r: &EventRow<'_>) -> Result<(), ArchiveError> {
        if let Some(first) = self.first_seq {
            let expected = first + self.count;
            if r.seq != expected {
                return Err(ArchiveError::Order {
                    expected,
                    got: r.seq,
                });
            }
        } else {
            self.first_seq = Some(r.seq);
        }
        let payload =
            std::str::from_utf8(r.payload).map_err(|_| ArchiveError::NotUtf8 { seq: r.seq })?;
        let csv = |field| {
            move |source| ArchiveError::Csv {
                seq: r.seq,
                field,
                source,
            }
        };
        let seq = r.seq.to_string();
        let sig = r.signature.map(hex::encode).unwrap_or_default();
        push_row(
            &mut self.line,
            &[
                seq.as_bytes(),
                r.ts.as_bytes(),
                r.kind.as_bytes(),
                payload.as_bytes(),
                hex::encode(r.prev_hash).as_bytes(),
                hex::encode(r.hash).as_bytes(),
                sig.as_bytes(),
            ],
        )
        .map_err(csv("event"))?;
        self.flush_line()?;
        if r.kind == "closing" {
            let c: Closing =
                serde_json::from_slice(r.payload).map_err(|e| ArchiveError::ClosingPayload {
                    seq: r.seq,
                    detail: e.to_string(),
                })?;
            push_row(&mut self.closings, &closing_fields(r.seq, &c, r.signature))
                .map_err(csv("closing"))?;
        }
        if TECHNICAL_KINDS.contains(&r.kind) {
            push_row(&mut self.technical, &[seq.as_str(), r.ts, r.kind, payload])
                .map_err(csv("technical"))?;
        }
        self.last_seq = r.seq;
        self.count += 1;
        Ok(())
    }

    /// Writes the small tables and the manifest (signed when `key` is
    /// given), then moves the folder into place, replacing an older export
    /// of the same period.
    pub fn finish(
        mut self,
        meta: &ArchiveMeta,
        key: Option<&SigningKey>,
    ) -> Result<Written, ArchiveError> {
        let events_path = self.tmp.join(EVENTS);
        self.events.flush().map_err(io(&events_path))?;
        self.events.get_ref().sync_all().map_err(io(&events_path))?;
        let csv = |source| ArchiveError::Csv {
            seq: 0,
            field: "metadata",
            source,
        };
        let first = self.first_seq.unwrap_or(0);
        let values = [
            FORMAT.to_string(),
            meta.terminal_id.clone(),
            meta.period_kind.as_str().to_string(),
            meta.period.clone(),
            first.to_string(),
            self.last_seq.to_string(),
            self.count.to_string(),
            meta.exported_by.clone(),
            meta.exporter_version.clone(),
        ];
        let mut archive = Vec::new();
        push_row(&mut archive, &ARCHIVE_HEADER).map_err(csv)?;
        for (k, v) in ARCHIVE_KEYS.iter().zip(&values) {
            push_row(&mut archive, &[k, v.as_str()]).map_err(csv)?;
        }
        let mut terminal = Vec::new();
        push_row(&mut terminal, &TERMINAL_HEADER).map_err(csv)?;
        push_row(
            &mut terminal,
            &[
                &meta.terminal_id,
                &meta.shop_id,
                &meta.public_key,
                &meta.software_version,
            ],
        )
        .map_err(csv)?;
        let small = [
            (ARCHIVE, archive),
            (CLOSINGS, std::mem::take(&mut self.closings)),
            (TECHNICAL, std::mem::take(&mut self.technical)),
            (TERMINAL, terminal),
        ];
        let mut listed: Vec<(&str, u64, String)> = vec![(
            EVENTS,
            self.events_len,
            hex::encode(self.events_sha.clone().finalize()),
        )];
        for (name, bytes) in &small {
            write_file(&self.tmp.join(name), bytes)?;
            listed.push((name, bytes.len() as u64, hex::encode(Sha256::digest(bytes))));
        }
        listed.sort();
        let mut manifest = Vec::new();
        push_row(&mut manifest, &MANIFEST_HEADER).map_err(csv)?;
        for (name, len, sha) in &listed {
            push_row(
                &mut manifest,
                &[*name, len.to_string().as_str(), sha.as_str()],
            )
            .map_err(csv)?;
        }
        write_file(&self.tmp.join(MANIFEST), &manifest)?;
        if let Some(key) = key {
            let sig = key.sign(&manifest_message(&manifest));
            let text = format!("{}\n", hex::encode(sig.to_bytes()));
            write_file(&self.tmp.join(MANIFEST_SIG), text.as_bytes())?;
        }
        let dir = self.out.join(&self.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        std::fs::rename(&self.tmp, &dir).map_err(io(&dir))?;
        if let Ok(d) = File::open(&self.out) {
            d.sync_all().map_err(io(&self.out))?;
        }
        Ok(Written {
            dir,
            first_seq: first,
            last_seq: self.last_seq,
            events: self.count,
            manifest_sha256: hex::encode(Sha256::digest(&manifest)),
        })
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut f = File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}
