//! What the counter keeps besides the journal: parked baskets (a small file
//! next to the journal, replaced atomically) and look-ups of past receipts.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use till_core::records::{Event, SaleRecord};
use till_core::Basket;
use till_journal::Journal;

/// Creates (or truncates) a file next to the journal readable by its owner
/// only: baskets and card payment references are the shop's business, like
/// the journal (0600). The mode is given to open(2), so the file is never
/// wider, even for a moment; an older file left wider is narrowed.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    till_journal::files::create_private(path)
}

/// A basket set aside while another customer is served.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parked {
    /// When it was parked (local time, for the list).
    pub at: String,
    /// The basket as it was.
    pub basket: Basket,
}

/// Parked baskets in `parked.json`. The journal's basket slot holds only the
/// sale on screen, and committing a sale clears it, so parked ones live in
/// their own file, written to a temporary name, fsynced and renamed: a crash
/// leaves either the old list or the new one.
#[derive(Debug)]
pub struct ParkedStore {
    path: PathBuf,
    /// The baskets, oldest first.
    pub list: Vec<Parked>,
}

impl ParkedStore {
    /// Reads the list next to `journal_path` (none yet: empty).
    pub fn open(journal_path: &Path) -> Result<ParkedStore> {
        let path = journal_path.with_file_name("parked.json");
        let list = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Vec<Parked>>(&bytes) {
                Ok(list) => list
                    .into_iter()
                    .filter(|p| p.basket.validate().is_ok())
                    .collect(),
                // Never a reason not to start selling: set the file aside
                // for the technician and start with no parked baskets.
                Err(_) => {
                    let keep = path.with_file_name("parked-unreadable.json");
                    std::fs::rename(&path, &keep)
                        .with_context(|| format!("setting aside {}", path.display()))?;
                    Vec::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(e).with_context(|| format!("reading {}", path.display()));
            }
        };
        Ok(ParkedStore { path, list })
    }

    /// Writes the list durably.
    pub fn save(&self) -> Result<()> {
        let bytes = serde_json::to_vec(&self.list)?;
        till_journal::files::atomic_write(&self.path, &bytes)
            .with_context(|| format!("replacing {}", self.path.display()))
    }
}

/// A past sale found by its receipt number, with what happened to it since.
#[derive(Debug, Clone)]
pub struct FoundSale {
    /// Its journal seq.
    pub seq: u64,
    /// The record.
    pub record: SaleRecord,
    /// Refunds and cancellations that reference it.
    pub reversals: Vec<SaleRecord>,
    /// How many times its receipt was reprinted.
    pub reprints: u32,
    /// Its hash (a reprint shows the same signature extract).
    pub hash: [u8; 32],
    /// When it was recorded (None: the stored time does not read).
    pub ts: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// How far back a receipt number that does not parse is looked for (events).
const SEARCH_BACK: u64 = 500_000;
const CHUNK: usize = 4096;

/// The kinds of record that carry a receipt number.
const NUMBERED: [&str; 3] = ["sale_completed", "refund", "sale_cancelled"];

/// The receipt number's counter part: "T1-000012" -> 12.
fn number_of(sale_no: &str) -> Option<u64> {
    sale_no.rsplit('-').next()?.parse().ok()
}

/// The first numbered record at or after `seq`: (its seq, its number).
fn probe(journal: &Journal, seq: u64, head: u64) -> Result<Option<(u64, u64)>> {
    #[derive(serde::Deserialize)]
    struct No {
        sale_no: String,
    }
    let mut after = seq.saturating_sub(1);
    while after < head {
        let rows = journal.events_after(after, 64)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in &rows {
            if !NUMBERED.contains(&row.kind.as_str()) {
                continue;
            }
            let no: No = serde_json::from_slice(&row.payload)
                .with_context(|| format!("reading the receipt number of record {}", row.seq))?;
            if let Some(n) = number_of(&no.sale_no) {
                return Ok(Some((row.seq, n)));
            }
        }
    }
    Ok(None)
}

/// The record numbered `sale_no`, found by bisection: receipt numbers come
/// from one counter (sales, refunds, cancellations) and grow with seq, so
/// about 20 small reads find any receipt in a million events.
fn bisect(journal: &Journal, sale_no: &str, head: u64) -> Result<Option<(u64, SaleRecord)>> {
    let Some(n) = number_of(sale_no) else {
        return Ok(None);
    };
    // Invariant: every numbered record before `lo` is below n; the first
    // numbered record at or after `hi` (if any) is n or above.
    let (mut lo, mut hi) = (1u64, head + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match probe(journal, mid, head)? {
            Some((s, num)) if num < n => lo = s + 1,
            _ => hi = mid,
        }
    }
    let Some((seq, num)) = probe(journal, lo, head)? else {
        return Ok(None);
    };
    if num != n {
        return Ok(None);
    }
    let Some(row) = journal.event(seq)? else {
        return Ok(None);
    };
    match row.decode() {
        Ok(Event::SaleCompleted(r)) | Ok(Event::Refund(r)) | Ok(Event::SaleCancelled(r))
            if r.sale_no == sale_no =>
        {
            Ok(Some((seq, r)))
        }
        _ => Ok(None),
    }
}

/// Finds the sale, cancellation or refund numbered `sale_no` (bisecting on
/// the receipt counter; if the number does not parse, walking back from the
/// head), then collects the refunds, cancellations and reprints that
/// reference it. Runs only when the cashier asks for a receipt, never at
/// start-up.
pub fn find_sale(journal: &Journal, sale_no: &str) -> Result<Option<FoundSale>> {
    let (head, _) = journal.head()?;
    let needle = format!("\"{sale_no}\"");
    let mut found = bisect(journal, sale_no, head)?;
    let floor = head.saturating_sub(SEARCH_BACK);
    let mut hi = if found.is_some() || number_of(sale_no).is_some() {
        floor
    } else {
        head
    };
    'outer: while hi > floor {
        let lo = hi.saturating_sub(CHUNK as u64).max(floor);
        let rows = journal.events_after(lo, (hi - lo) as usize)?;
        for row in rows.iter().rev() {
            if !NUMBERED.contains(&row.kind.as_str()) || !contains(&row.payload, needle.as_bytes())
            {
                continue;
            }
            if let Ok(Event::SaleCompleted(r) | Event::Refund(r) | Event::SaleCancelled(r)) =
                row.decode()
            {
                if r.sale_no == sale_no {
                    found = Some((row.seq, r));
                    break 'outer;
                }
            }
        }
        hi = lo;
    }
    let Some((seq, record)) = found else {
        return Ok(None);
    };
    // Its hash and time, for a reprint.
    let stored = journal
        .event(seq)?
        .with_context(|| format!("record {seq} is missing"))?;
    let mut out = FoundSale {
        seq,
        record,
        reversals: Vec::new(),
        reprints: 0,
        hash: stored.hash,
        ts: stored.ts_parsed(),
    };
    // The records that reference the sale, from the journal's sale_links
    // projection (a few rows); a journal too old to have it is scanned.
    let rows = match journal.sale_links(seq)? {
        Some(seqs) => {
            let mut rows = Vec::with_capacity(seqs.len());
            for s in seqs {
                rows.extend(journal.events_after(s.saturating_sub(1), 1)?);
            }
            rows
        }
        None => scan_after(journal, seq)?,
    };
    for row in &rows {
        let relevant = matches!(
            row.kind.as_str(),
            "refund" | "sale_cancelled" | "receipt_reprinted"
        );
        if !relevant || !contains(&row.payload, needle.as_bytes()) {
            continue;
        }
        match row.decode() {
            Ok(Event::Refund(r)) | Ok(Event::SaleCancelled(r))
                if r.reverses.as_ref().map(|x| x.seq) == Some(seq) =>
            {
                out.reversals.push(r)
            }
            Ok(Event::ReceiptReprinted(r)) if r.sale.seq == seq => {
                out.reprints = out.reprints.max(r.reprint_count)
            }
            _ => {}
        }
    }
    Ok(Some(out))
}

/// Every event after `seq` that could reference it (journals without
/// `sale_links`).
fn scan_after(journal: &Journal, seq: u64) -> Result<Vec<till_journal::StoredEvent>> {
    let mut out = Vec::new();
    let mut after = seq;
    loop {
        let rows = journal.events_after(after, CHUNK)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let full = rows.len() == CHUNK;
        out.extend(rows.into_iter().filter(|r| {
            matches!(
                r.kind.as_str(),
                "refund" | "sale_cancelled" | "receipt_reprinted"
            )
        }));
        if !full {
            break;
        }
    }
    Ok(out)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}
