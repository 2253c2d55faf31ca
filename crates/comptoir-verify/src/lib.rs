//! The auditor's verifier of a comptoir fiscal archive (`docs/archive.md`),
//! offline, without the till: no SQLite, no device code; the record encoding
//! and the archive format come from `comptoir-chain`, the totals rules from
//! `till-core` (both without I/O), as the till uses them.
//!
//! Checks, each problem named by file, line, seq and field:
//! 1. the manifest: `manifest.sig` verifies with the public key of
//!    `terminal.csv` (absent only from head office's copies, which say so in
//!    `archive.csv`); it lists exactly the archive's files, each with its
//!    size and SHA-256; no other file lies in the folder;
//! 2. `archive.csv` and `terminal.csv`: the format, one terminal, the period,
//!    the first and last seq and the count, as the events give them; the key
//!    is the one given (`--public-key`), the previous archive's, and seq 1's
//!    when the archive starts the journal;
//! 3. `events.csv`: every row's hash recomputed (frozen encoding), every
//!    link to the row before, seqs without gaps, every closing's Ed25519
//!    signature (and no other row signed), every payload decoding as its kind;
//! 4. the closings: `closings.csv` is what the closing rows say, field by
//!    field; the archive ends with the signed closing of its period; each
//!    closing of a day, month or year inside the period has the totals its
//!    events add up to (`till_core::totals`); each closing's perpetual grand
//!    totals are the previous closing's plus the sales between (from seq 1
//!    when the archive starts there);
//! 5. `technical.csv` is the technical rows of the events, in order;
//! 6. with `--previous`: that archive verifies, is the same terminal and key,
//!    and its last row (its closing) is in this one, same hash: no row of
//!    the journal falls between the two.

mod events;
mod report;

pub use report::{Problem, Report, MAX_PROBLEMS};

use comptoir_chain::archive::{
    closing_fields, manifest_message, period_within, ARCHIVE, ARCHIVE_HEADER, ARCHIVE_KEYS,
    CLOSINGS, CLOSINGS_HEADER, EVENTS, FORMAT, LISTED, MANIFEST, MANIFEST_HEADER, MANIFEST_SIG,
    TECHNICAL, TECHNICAL_HEADER, TERMINAL, TERMINAL_HEADER,
};
use comptoir_chain::csv::{push_row, Record};
use ed25519_dalek::{Signature, VerifyingKey};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use till_core::records::{ClosingKind, PeriodTotals};

/// The archive could not be read at all (exit 2): not a folder, no
/// manifest, not a comptoir archive.
#[derive(Debug)]
pub struct Unreadable {
    pub path: PathBuf,
    pub detail: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.detail)
    }
}

/// What the caller knows beside the archive.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// The previous period's archive, for continuity.
    pub previous: Option<PathBuf>,
    /// The terminal's public key (hex) as the auditor got it elsewhere.
    pub public_key: Option<String>,
}

/// A small file's lines, parsed.
fn read_table(
    dir: &Path,
    name: &str,
    header: &[&str],
    r: &mut Report,
) -> Option<(Vec<u8>, Vec<Vec<String>>)> {
    let bytes = match std::fs::read(dir.join(name)) {
        Ok(b) => b,
        Err(e) => {
            r.problem(name, None, None, None, format!("cannot be read: {e}"));
            return None;
        }
    };
    let mut rows = Vec::new();
    let mut rec = Record::default();
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let ln = i as u64 + 1;
        if let Err(e) = rec.parse(line) {
            r.problem(name, Some(ln), None, None, format!("not a CSV row: {e}"));
            continue;
        }
        let fields: Vec<String> = (0..rec.len())
            .map(|j| rec.text(j).unwrap_or("\u{fffd}").to_string())
            .collect();
        if i == 0 {
            if fields != header {
                r.problem(
                    name,
                    Some(1),
                    None,
                    Some("header"),
                    "the header is not the format's",
                );
            }
            continue;
        }
        if fields.len() != header.len() {
            r.problem(
                name,
                Some(ln),
                None,
                None,
                format!(
                    "{} fields where {} were expected",
                    fields.len(),
                    header.len()
                ),
            );
        }
        rows.push(fields);
    }
    Some((bytes, rows))
}

/// Verifies the archive in `dir`.
pub fn verify(dir: &Path, opts: &Options) -> Result<Report, Unreadable> {
    let unreadable = |detail: String| Unreadable {
        path: dir.to_path_buf(),
        detail,
    };
    let mut r = Report {
        archive: dir.display().to_string(),
        ..Report::default()
    };
    let manifest = std::fs::read(dir.join(MANIFEST))
        .map_err(|e| unreadable(format!("{MANIFEST} cannot be read: {e}")))?;
    let archive_text = std::fs::read(dir.join(ARCHIVE))
        .map_err(|e| unreadable(format!("{ARCHIVE} cannot be read: {e}")))?;
    if !archive_text.starts_with(format!("key,value\nformat,{FORMAT}\n").as_bytes()) {
        return Err(unreadable(format!("not a {FORMAT} archive")));
    }

    // archive.csv and terminal.csv.
    let mut meta = BTreeMap::new();
    if let Some((_, rows)) = read_table(dir, ARCHIVE, &ARCHIVE_HEADER, &mut r) {
        let keys: Vec<&str> = rows
            .iter()
            .map(|f| f.first().map_or("", String::as_str))
            .collect();
        if keys != ARCHIVE_KEYS {
            r.problem(
                ARCHIVE,
                None,
                None,
                Some("key"),
                format!("the keys are not {ARCHIVE_KEYS:?}"),
            );
        }
        for f in rows {
            if let [k, v] = f.as_slice() {
                meta.insert(k.clone(), v.clone());
            }
        }
    }
    let get = |k: &str| meta.get(k).cloned().unwrap_or_default();
    let num = |k: &str| get(k).parse::<u64>().ok();
    r.terminal_id = get("terminal_id");
    r.period_kind = get("period_kind");
    r.period = get("period");
    let period_kind = match r.period_kind.as_str() {
        "month" => Some(ClosingKind::Month),
        "year" => Some(ClosingKind::Year),
        _ => {
            r.problem(
                ARCHIVE,
                None,
                None,
                Some("period_kind"),
                "neither month nor year",
            );
            None
        }
    };
    let mut key: Option<VerifyingKey> = None;
    let mut key_hex = String::new();
    if let Some((_, rows)) = read_table(dir, TERMINAL, &TERMINAL_HEADER, &mut r) {
        match rows.as_slice() {
            [row] if row.len() == 4 => {
                if row[0] != r.terminal_id {
                    r.problem(
                        TERMINAL,
                        Some(2),
                        None,
                        Some("terminal_id"),
                        format!("{:?} where archive.csv says {:?}", row[0], r.terminal_id),
                    );
                }
                key_hex = row[2].clone();
                let mut kb = [0u8; 32];
                key = hex::decode_to_slice(&row[2], &mut kb)
                    .ok()
                    .and_then(|_| VerifyingKey::from_bytes(&kb).ok());
                if key.is_none() {
                    r.problem(
                        TERMINAL,
                        Some(2),
                        None,
                        Some("public_key"),
                        "not an Ed25519 public key",
                    );
                }
            }
            _ => r.problem(TERMINAL, None, None, None, "one terminal row is expected"),
        }
    }
    if let Some(expected) = &opts.public_key {
        if !expected.eq_ignore_ascii_case(&key_hex) {
            r.problem(
                TERMINAL,
                Some(2),
                None,
                Some("public_key"),
                "not the terminal's key given to the verifier",
            );
        }
    }

    // 1. The manifest and its signature.
    check_manifest(dir, &manifest, &get("exported_by"), key.as_ref(), &mut r);
    let listed = manifest_entries(&manifest, &mut r);

    // 3. The events, in parallel.
    let ev = events::check(&dir.join(EVENTS), &r.terminal_id, key)
        .map_err(|e| unreadable(format!("{EVENTS} cannot be read: {e}")))?;
    match listed.get(EVENTS) {
        Some((len, sha)) if *len == ev.bytes && *sha == hex::encode(ev.sha256) => {}
        Some(_) => r.problem(
            EVENTS,
            None,
            None,
            None,
            "its size or SHA-256 is not the one the manifest lists",
        ),
        None => {}
    }
    r.events = ev.rows;
    r.problems.extend(ev.problems.iter().cloned());
    r.problems.truncate(MAX_PROBLEMS);
    if let Some(g) = &ev.genesis_key {
        if !g.eq_ignore_ascii_case(&key_hex) {
            r.problem(
                TERMINAL,
                Some(2),
                None,
                Some("public_key"),
                "not the key of the journal's first record (seq 1)",
            );
        }
    }

    // 2. archive.csv against the events.
    let first = ev.first.map(|f| f.0).unwrap_or(0);
    let last = ev.last.as_ref().map(|l| l.0).unwrap_or(0);
    r.first_seq = first;
    r.last_seq = last;
    r.last_hash = ev
        .last
        .as_ref()
        .map(|l| hex::encode(l.1))
        .unwrap_or_default();
    for (k, have) in [
        ("first_seq", first),
        ("last_seq", last),
        ("events", ev.rows),
    ] {
        if num(k) != Some(have) {
            r.problem(
                ARCHIVE,
                None,
                None,
                Some(k),
                format!("{:?} where the events give {have}", get(k)),
            );
        }
    }

    // 4. Closings.
    check_closings_table(dir, &ev, &mut r);
    if let Some(kind) = period_kind {
        check_closings(&ev, kind, &r.period.clone(), first, &mut r);
    }
    // 5. Technical event log.
    check_technical(dir, &ev, &mut r);
    // 6. The previous archive.
    if let Some(prev) = &opts.previous {
        check_previous(prev, &ev, &key_hex, &mut r)?;
    }
    r.ok = r.problems.is_empty();
    Ok(r)
}

fn check_manifest(
    dir: &Path,
    manifest: &[u8],
    exported_by: &str,
    key: Option<&VerifyingKey>,
    r: &mut Report,
) {
    match std::fs::read(dir.join(MANIFEST_SIG)) {
        Ok(text) => {
            let sig = std::str::from_utf8(&text)
                .ok()
                .and_then(|t| hex::decode(t.trim()).ok())
                .and_then(|b| Signature::from_slice(&b).ok());
            let ok = match (sig, key) {
                (Some(sig), Some(k)) => k.verify_strict(&manifest_message(manifest), &sig).is_ok(),
                _ => false,
            };
            if ok {
                r.manifest_signed = true;
            } else {
                r.problem(MANIFEST_SIG, None, None, None, "the manifest's signature does not verify with the terminal's public key (terminal.csv)");
            }
        }
        Err(_) if exported_by == "headoffice" => r.notes.push(
            "head office's copy: the manifest is not signed (head office does not hold the terminal's key); every row's hash and every closing's signature are checked".into(),
        ),
        Err(_) => r.problem(MANIFEST_SIG, None, None, None, "missing: the till signs every manifest"),
    }
    // No file beside the listed ones.
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut extra: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !LISTED.contains(&n.as_str()) && n != MANIFEST && n != MANIFEST_SIG)
            .collect();
        extra.sort();
        for n in extra {
            r.problem(&n, None, None, None, "a file the manifest does not list");
        }
    }
}

/// The manifest's rows (file -> size, sha256), the small files checked.
fn manifest_entries(manifest: &[u8], r: &mut Report) -> BTreeMap<String, (u64, String)> {
    let mut out = BTreeMap::new();
    let mut rec = Record::default();
    let body = manifest.strip_suffix(b"\n").unwrap_or(manifest);
    let mut header = Vec::new();
    let _ = push_row(&mut header, &MANIFEST_HEADER);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let ln = i as u64 + 1;
        if i == 0 {
            if header.strip_suffix(b"\n") != Some(line) {
                r.problem(
                    MANIFEST,
                    Some(1),
                    None,
                    Some("header"),
                    "the header is not the format's",
                );
            }
            continue;
        }
        let parsed = rec.parse(line).ok().and_then(|_| {
            Some((
                rec.text(0).ok()?.to_string(),
                rec.text(1).ok()?.parse::<u64>().ok()?,
                rec.text(2).ok()?.to_string(),
            ))
        });
        match parsed {
            Some((f, len, sha)) if rec.len() == 3 => {
                out.insert(f, (len, sha));
            }
            _ => r.problem(
                MANIFEST,
                Some(ln),
                None,
                None,
                "not a file,bytes,sha256 row",
            ),
        }
    }
    for name in LISTED {
        match out.get(name) {
            None => r.problem(
                MANIFEST,
                None,
                None,
                Some("file"),
                format!("{name} is not listed"),
            ),
            Some(_) if name == EVENTS => {}
            Some((len, sha)) => match std::fs::read(r_dir(r).join(name)) {
                Ok(b) if b.len() as u64 == *len && hex::encode(Sha256::digest(&b)) == *sha => {}
                Ok(_) => r.problem(
                    name,
                    None,
                    None,
                    None,
                    "its size or SHA-256 is not the one the manifest lists",
                ),
                Err(e) => r.problem(name, None, None, None, format!("cannot be read: {e}")),
            },
        }
    }
    for f in out.keys() {
        if !LISTED.contains(&f.as_str()) {
            r.problem(
                MANIFEST,
                None,
                None,
                Some("file"),
                format!("lists {f}, which is not part of the format"),
            );
        }
    }
    out
}

fn r_dir(r: &Report) -> PathBuf {
    PathBuf::from(&r.archive)
}

/// `closings.csv` holds exactly the closing rows of the events.
fn check_closings_table(dir: &Path, ev: &events::Events, r: &mut Report) {
    let Some((_, rows)) = read_table(dir, CLOSINGS, &CLOSINGS_HEADER, r) else {
        return;
    };
    let expected: Vec<[String; 15]> = ev
        .closings
        .iter()
        .map(|c| closing_fields(c.seq, &c.closing, c.signature.as_deref()))
        .collect();
    compare_rows(
        CLOSINGS,
        &CLOSINGS_HEADER,
        &rows,
        expected.iter().map(|e| e.as_slice()),
        r,
    );
}

fn check_technical(dir: &Path, ev: &events::Events, r: &mut Report) {
    let Some((_, rows)) = read_table(dir, TECHNICAL, &TECHNICAL_HEADER, r) else {
        return;
    };
    let expected: Vec<[String; 4]> = ev
        .technical
        .iter()
        .map(|t| {
            [
                t.seq.to_string(),
                t.ts.clone(),
                t.kind.clone(),
                t.payload.clone(),
            ]
        })
        .collect();
    compare_rows(
        TECHNICAL,
        &TECHNICAL_HEADER,
        &rows,
        expected.iter().map(|e| e.as_slice()),
        r,
    );
}

/// Row by row, field by field: the first differing field of each row.
fn compare_rows<'a>(
    file: &str,
    header: &[&str],
    rows: &[Vec<String>],
    expected: impl Iterator<Item = &'a [String]>,
    r: &mut Report,
) {
    let expected: Vec<&[String]> = expected.collect();
    for (i, want) in expected.iter().enumerate() {
        let ln = i as u64 + 2;
        let seq = want.first().and_then(|s| s.parse().ok());
        match rows.get(i) {
            None => r.problem(
                file,
                Some(ln),
                seq,
                None,
                "missing: the events hold this row",
            ),
            Some(have) => {
                if let Some(j) = (0..header.len()).find(|&j| have.get(j) != want.get(j)) {
                    r.problem(
                        file,
                        Some(ln),
                        seq,
                        Some(header[j]),
                        format!(
                            "{:?} where the events say {:?}",
                            have.get(j).map_or("", String::as_str),
                            want[j]
                        ),
                    );
                }
            }
        }
    }
    for (i, _) in rows.iter().enumerate().skip(expected.len()) {
        r.problem(
            file,
            Some(i as u64 + 2),
            None,
            None,
            "a row the events do not hold",
        );
    }
}

/// The archived closing ends the archive; totals and grand totals recomputed.
fn check_closings(
    ev: &events::Events,
    kind: ClosingKind,
    period: &str,
    first: u64,
    r: &mut Report,
) {
    r.closings_checked = ev.closings.len() as u64;
    match (ev.closings.last(), &ev.last) {
        (Some(c), Some((last, _, _)))
            if c.seq == *last && c.closing.kind == kind && c.closing.period == period => {}
        _ => r.problem(
            EVENTS,
            None,
            ev.last.as_ref().map(|l| l.0),
            Some("kind"),
            format!(
                "the archive does not end with the signed {} closing of {period}",
                kind.as_str()
            ),
        ),
    }
    if let Some(c) = ev.closings.last() {
        if c.closing.first_seq < first {
            r.problem(
                EVENTS,
                Some(c.line),
                Some(c.seq),
                Some("first_seq"),
                format!(
                    "the closing covers from seq {}, the archive starts at seq {first}",
                    c.closing.first_seq
                ),
            );
        }
    }
    let mut prev: Option<&events::ClosingSeen> = None;
    for c in &ev.closings {
        let cl = &c.closing;
        // Grand totals: the previous closing's plus the sales between.
        let base = match prev {
            Some(p) => Some((
                p.closing.grand_total + c.gt_before.0 - p.gt_before.0,
                p.closing.grand_total_abs + c.gt_before.1 - p.gt_before.1,
            )),
            None if first == 1 => Some(c.gt_before),
            None => None,
        };
        if let Some((gt, gt_abs)) = base {
            r.grand_totals_checked += 1;
            if cl.grand_total != gt {
                r.problem(
                    EVENTS,
                    Some(c.line),
                    Some(c.seq),
                    Some("grand_total"),
                    format!("the closing says {}, the events give {gt}", cl.grand_total),
                );
            }
            if cl.grand_total_abs != gt_abs {
                r.problem(
                    EVENTS,
                    Some(c.line),
                    Some(c.seq),
                    Some("grand_total_abs"),
                    format!(
                        "the closing says {}, the events give {gt_abs}",
                        cl.grand_total_abs
                    ),
                );
            }
        }
        prev = Some(c);
        if !period_within(cl.kind, &cl.period, kind, period) {
            continue;
        }
        r.totals_recomputed += 1;
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for ((day, key), amount) in &ev.days {
            if comptoir_chain::archive::period_contains(cl.kind, &cl.period, *day) {
                *sums.entry(key.as_key()).or_default() += *amount;
            }
        }
        let got = till_core::totals::period_totals(&sums);
        if let Some((field, said, sum)) = first_total_difference(&cl.totals, &got) {
            r.problem(
                EVENTS,
                Some(c.line),
                Some(c.seq),
                Some(&format!("totals.{field}")),
                format!(
                    "the {} closing of {} says {said}, its events add up to {sum}",
                    cl.kind.as_str(),
                    cl.period
                ),
            );
        }
    }
}

fn first_total_difference(
    said: &PeriodTotals,
    got: &PeriodTotals,
) -> Option<(&'static str, String, String)> {
    let d = |a: &Decimal, b: &Decimal| a != b;
    if said.records != got.records {
        return Some(("records", said.records.to_string(), got.records.to_string()));
    }
    for (name, a, b) in [
        ("net_total", &said.net_total, &got.net_total),
        ("sales_total", &said.sales_total, &got.sales_total),
        ("refunds_total", &said.refunds_total, &got.refunds_total),
        ("cash_in", &said.cash_in, &got.cash_in),
        ("cash_out", &said.cash_out, &got.cash_out),
    ] {
        if d(a, b) {
            return Some((name, a.to_string(), b.to_string()));
        }
    }
    if said.by_tender != got.by_tender {
        return Some((
            "by_tender",
            format!("{:?}", said.by_tender),
            format!("{:?}", got.by_tender),
        ));
    }
    if said.by_vat != got.by_vat {
        return Some((
            "by_vat",
            format!("{:?}", said.by_vat),
            format!("{:?}", got.by_vat),
        ));
    }
    None
}

/// The previous archive verifies and ends where this one links.
fn check_previous(
    prev: &Path,
    ev: &events::Events,
    key_hex: &str,
    r: &mut Report,
) -> Result<(), Unreadable> {
    let p = verify(prev, &Options::default())?;
    r.previous_checked = true;
    const PREV: &str = "--previous";
    if let Some(first) = p.problems.first() {
        r.problem(
            PREV,
            None,
            None,
            None,
            format!("the previous archive is itself altered: {first}"),
        );
    }
    let prev_key = std::fs::read(prev.join(TERMINAL)).ok().and_then(|b| {
        let text = String::from_utf8(b).ok()?;
        let line = text.lines().nth(1)?.to_string();
        let mut rec = Record::default();
        rec.parse(line.as_bytes()).ok()?;
        Some(rec.text(2).ok()?.to_string())
    });
    if p.terminal_id != r.terminal_id {
        r.problem(
            PREV,
            None,
            None,
            Some("terminal_id"),
            format!("the previous archive is of terminal {:?}", p.terminal_id),
        );
    }
    if prev_key.as_deref() != Some(key_hex) {
        r.problem(
            PREV,
            None,
            None,
            Some("public_key"),
            "the previous archive names another public key",
        );
    }
    if p.period_kind != r.period_kind {
        r.problem(
            PREV,
            None,
            None,
            Some("period_kind"),
            format!("the previous archive is of a {}", p.period_kind),
        );
    }
    // Its last row is its closing, which this archive holds with the same hash.
    let prev_closing = hex32(&p.last_hash);
    match ev.closings.iter().find(|c| c.seq == p.last_seq) {
        Some(c) if Some(c.hash) == prev_closing => {}
        Some(c) => r.problem(EVENTS, Some(c.line), Some(c.seq), Some("hash"), "not the hash of the previous archive's closing: the two journals differ"),
        None => r.problem(PREV, None, Some(p.last_seq), None, format!("this archive (seq {} to {}) does not hold the previous archive's closing (seq {}): rows between them are in neither", r.first_seq, r.last_seq, p.last_seq)),
    }
    Ok(())
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok().map(|_| out)
}
