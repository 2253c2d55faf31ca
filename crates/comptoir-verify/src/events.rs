//! `events.csv`, checked in parallel: the reading thread cuts the file into
//! blocks of whole lines (no field holds a line break, see
//! `comptoir_chain::csv`) and hashes it for the manifest; workers parse each
//! block's rows, recompute each row's hash, check closing signatures, decode
//! every payload and sum what the closings are checked against; the blocks'
//! results are then joined in order (links and seqs across block edges).

use crate::report::Problem;
use comptoir_chain::archive::{EVENTS, EVENTS_HEADER};
use comptoir_chain::csv::Record;
use comptoir_chain::{record_hash, RecordFields};
use ed25519_dalek::{Signature, VerifyingKey};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use till_core::records::{CashMovement, Closing, DecodeError, Event};
use till_core::totals::DayKey;
use till_core::view::{SaleBuf, SaleView};

const BLOCK: usize = 4 << 20;

/// A closing row seen in the events.
#[derive(Debug, Clone)]
pub struct ClosingSeen {
    pub line: u64,
    pub seq: u64,
    pub hash: [u8; 32],
    pub closing: Closing,
    pub signature: Option<Vec<u8>>,
    /// Grand-total contributions of the archive's rows before this one.
    pub gt_before: (Decimal, Decimal),
}

/// A row of the technical event log, as the events give it.
#[derive(Debug, Clone)]
pub struct TechSeen {
    pub seq: u64,
    pub ts: String,
    pub kind: String,
    pub payload: String,
}

/// Everything the events say, once joined.
#[derive(Debug, Default)]
pub struct Events {
    pub rows: u64,
    pub sha256: [u8; 32],
    pub bytes: u64,
    /// (seq, prev_hash) of the first row, (seq, hash) of the last.
    pub first: Option<(u64, [u8; 32])>,
    pub last: Option<(u64, [u8; 32], String)>,
    pub closings: Vec<ClosingSeen>,
    pub technical: Vec<TechSeen>,
    /// Day-total amounts per business day, as `till_core::totals` adds them.
    pub days: HashMap<(chrono::NaiveDate, DayKey), Decimal>,
    /// The public key of a `terminal_initialised` row (seq 1), if any.
    pub genesis_key: Option<String>,
    pub problems: Vec<Problem>,
}

#[derive(Default)]
struct BlockOut {
    lines: u64,
    rows: u64,
    first: Option<(u64, u64, [u8; 32])>,
    last: Option<(u64, [u8; 32], String)>,
    closings: Vec<ClosingSeen>,
    technical: Vec<TechSeen>,
    gt: (Decimal, Decimal),
    days: HashMap<(chrono::NaiveDate, DayKey), Decimal>,
    genesis_key: Option<String>,
    problems: Vec<Problem>,
}

struct Ctx {
    terminal_id: String,
    key: Option<VerifyingKey>,
}

fn problem(line: u64, seq: Option<u64>, field: &str, detail: impl Into<String>) -> Problem {
    Problem {
        file: EVENTS.into(),
        line: Some(line),
        seq,
        field: Some(field.into()),
        detail: detail.into(),
    }
}

fn hex32(b: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(b, &mut out).ok().map(|_| out)
}

/// Checks one block; `header` is true for the first (it holds the header).
fn check_block(ctx: &Ctx, block: &[u8], header: bool) -> BlockOut {
    let mut out = BlockOut::default();
    let mut rec = Record::default();
    let mut sale = SaleBuf::default();
    let mut prev: Option<(u64, [u8; 32])> = None;
    let block = block.strip_suffix(b"\n").unwrap_or(block);
    for (i, line) in block.split(|&b| b == b'\n').enumerate() {
        if i as u64 == 0 && header {
            out.lines += 1;
            let mut expect = Vec::new();
            let _ = comptoir_chain::csv::push_row(&mut expect, &EVENTS_HEADER);
            if expect.strip_suffix(b"\n") != Some(line) {
                out.problems
                    .push(problem(1, None, "header", "the header is not the format's"));
            }
            continue;
        }
        out.lines += 1;
        let ln = out.lines;
        if let Err(e) = rec.parse(line) {
            out.problems
                .push(problem(ln, None, "row", format!("not a CSV row: {e}")));
            continue;
        }
        if rec.len() != EVENTS_HEADER.len() {
            out.problems.push(problem(
                ln,
                None,
                "row",
                format!(
                    "{} fields where {} were expected",
                    rec.len(),
                    EVENTS_HEADER.len()
                ),
            ));
            continue;
        }
        check_row(ctx, &rec, ln, &mut prev, &mut out, &mut sale);
    }
    out
}

fn check_row(
    ctx: &Ctx,
    rec: &Record,
    ln: u64,
    prev: &mut Option<(u64, [u8; 32])>,
    out: &mut BlockOut,
    sale: &mut SaleBuf,
) {
    let f = |i| rec.bytes(i).unwrap_or_default();
    let Some(seq) = std::str::from_utf8(f(0))
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        out.problems
            .push(problem(ln, None, "seq", "not a sequence number"));
        return;
    };
    let s = Some(seq);
    let (Ok(ts), Ok(kind), Ok(payload_text)) = (rec.text(1), rec.text(2), rec.text(3)) else {
        out.problems.push(problem(ln, s, "row", "not UTF-8 text"));
        return;
    };
    let (Some(prev_hash), Some(hash)) = (hex32(f(4)), hex32(f(5))) else {
        out.problems.push(problem(
            ln,
            s,
            "hash",
            "prev_hash or hash is not 64 hex digits",
        ));
        return;
    };
    let payload = payload_text.as_bytes();
    // Links inside the block; across blocks when they are joined.
    match *prev {
        Some((pseq, phash)) => {
            if seq != pseq + 1 {
                out.problems.push(problem(
                    ln,
                    s,
                    "seq",
                    format!("seq {seq} follows seq {pseq}: rows missing, added or out of order"),
                ));
            } else if prev_hash != phash {
                out.problems.push(problem(
                    ln,
                    s,
                    "prev_hash",
                    format!("does not link to the hash of seq {pseq}"),
                ));
            }
        }
        None => out.first = Some((ln, seq, prev_hash)),
    }
    if seq == 1 && prev_hash != comptoir_chain::GENESIS_PREV_HASH {
        out.problems.push(problem(
            ln,
            s,
            "prev_hash",
            "seq 1 must follow 32 zero bytes",
        ));
    }
    let fields = RecordFields {
        terminal_id: &ctx.terminal_id,
        seq,
        ts,
        kind,
        payload,
    };
    if record_hash(&prev_hash, &fields).ok() != Some(hash) {
        out.problems.push(problem(
            ln,
            s,
            "hash",
            "the row's seq, ts, kind or payload is not what its hash covers",
        ));
    }
    *prev = Some((seq, hash));
    out.last = Some((seq, hash, kind.to_string()));
    out.rows += 1;
    let signature = match f(6) {
        [] => None,
        sig => match hex::decode(sig) {
            Ok(b) => Some(b),
            Err(_) => {
                out.problems.push(problem(ln, s, "signature", "not hex"));
                None
            }
        },
    };
    check_signature(ctx, kind, &hash, signature.as_deref(), ln, s, out);
    // The payload: decoded as its kind, summed as the journal sums it.
    match kind {
        "sale_completed" | "sale_cancelled" | "refund" => match SaleView::decode(payload, sale) {
            Ok(v) => {
                let day = v.business_day;
                v.day_amounts(|k, a| *out.days.entry((day, k)).or_default() += a);
                if !v.training {
                    out.gt.0 += v.total;
                    out.gt.1 += v.total.abs();
                }
            }
            Err(e) => out.problems.push(problem(
                ln,
                s,
                "payload",
                format!("not a valid {kind}: {e}"),
            )),
        },
        "cash_movement" => match serde_json::from_slice::<CashMovement>(payload) {
            Ok(c) => {
                *out.days
                    .entry((c.business_day, DayKey::cash(c.direction)))
                    .or_default() += c.amount
            }
            Err(e) => out.problems.push(problem(
                ln,
                s,
                "payload",
                format!("not a valid {kind}: {e}"),
            )),
        },
        _ => match Event::decode(kind, payload) {
            Ok(Event::Closing(c)) => out.closings.push(ClosingSeen {
                line: ln,
                seq,
                hash,
                closing: c,
                signature,
                gt_before: out.gt,
            }),
            Ok(Event::TerminalInitialised(t)) if seq == 1 => out.genesis_key = Some(t.public_key),
            Ok(_) => {}
            // A newer till's kind: its hash is checked, its meaning is not known here.
            Err(DecodeError::UnknownKind(_)) => {}
            Err(e) => out.problems.push(problem(ln, s, "payload", e.to_string())),
        },
    }
    if till_core::records::TECHNICAL_KINDS.contains(&kind) {
        out.technical.push(TechSeen {
            seq,
            ts: ts.to_string(),
            kind: kind.to_string(),
            payload: payload_text.to_string(),
        });
    }
}

fn check_signature(
    ctx: &Ctx,
    kind: &str,
    hash: &[u8; 32],
    signature: Option<&[u8]>,
    ln: u64,
    s: Option<u64>,
    out: &mut BlockOut,
) {
    match (kind == "closing", signature) {
        (false, None) => {}
        (false, Some(_)) => out.problems.push(problem(
            ln,
            s,
            "signature",
            format!("a {kind} row carries a signature: only closings are signed"),
        )),
        (true, None) => out
            .problems
            .push(problem(ln, s, "signature", "the closing is not signed")),
        (true, Some(sig)) => {
            let ok = match (&ctx.key, Signature::from_slice(sig)) {
                (Some(k), Ok(sig)) => k.verify_strict(hash, &sig).is_ok(),
                _ => false,
            };
            if !ok {
                out.problems.push(problem(
                    ln,
                    s,
                    "signature",
                    "the closing's signature does not verify with the terminal's public key",
                ));
            }
        }
    }
}

/// Reads and checks `events.csv`.
pub fn check(path: &Path, terminal_id: &str, key: Option<VerifyingKey>) -> std::io::Result<Events> {
    let mut file = std::fs::File::open(path)?;
    let ctx = Arc::new(Ctx {
        terminal_id: terminal_id.to_string(),
        key,
    });
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(workers * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (res_tx, res_rx) = mpsc::channel::<(usize, BlockOut)>();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (ctx, job_rx, res_tx) = (ctx.clone(), job_rx.clone(), res_tx.clone());
        handles.push(std::thread::spawn(move || loop {
            let job = match job_rx.lock() {
                Ok(rx) => rx.recv(),
                Err(_) => return,
            };
            let Ok((idx, block)) = job else { return };
            let out = check_block(&ctx, &block, idx == 0);
            if res_tx.send((idx, out)).is_err() {
                return;
            }
        }));
    }
    drop(res_tx);
    let mut sha = Sha256::new();
    let mut bytes = 0u64;
    let mut carry: Vec<u8> = Vec::new();
    let mut idx = 0;
    let mut read_err = None;
    loop {
        let mut buf = std::mem::take(&mut carry);
        let start = buf.len();
        buf.resize(start + BLOCK, 0);
        let n = match file.read(&mut buf[start..]) {
            Ok(n) => n,
            Err(e) => {
                read_err = Some(e);
                break;
            }
        };
        buf.truncate(start + n);
        sha.update(&buf[start..]);
        bytes += n as u64;
        if n == 0 {
            if !buf.is_empty() {
                let _ = job_tx.send((idx, buf));
            }
            break;
        }
        // Whole lines go to a worker; the rest waits for the next read.
        if let Some(cut) = buf.iter().rposition(|&b| b == b'\n') {
            carry = buf.split_off(cut + 1);
            if job_tx.send((idx, buf)).is_err() {
                break;
            }
            idx += 1;
        } else {
            carry = buf;
        }
    }
    drop(job_tx);
    let mut blocks: Vec<(usize, BlockOut)> = res_rx.iter().collect();
    for h in handles {
        let _ = h.join();
    }
    if let Some(e) = read_err {
        return Err(e);
    }
    blocks.sort_by_key(|b| b.0);
    Ok(join(blocks, sha.finalize().into(), bytes))
}

/// Joins the blocks in order: line numbers, links across block edges, sums.
fn join(blocks: Vec<(usize, BlockOut)>, sha256: [u8; 32], bytes: u64) -> Events {
    let mut ev = Events {
        sha256,
        bytes,
        ..Events::default()
    };
    let mut line_base = 0u64;
    let mut gt = (Decimal::ZERO, Decimal::ZERO);
    for (_, b) in blocks {
        if let Some((rel, seq, prev_hash)) = b.first {
            let ln = line_base + rel;
            match &ev.last {
                None => ev.first = Some((seq, prev_hash)),
                Some((pseq, phash, _)) => {
                    if seq != pseq + 1 {
                        ev.problems.push(problem(
                            ln,
                            Some(seq),
                            "seq",
                            format!(
                                "seq {seq} follows seq {pseq}: rows missing, added or out of order"
                            ),
                        ));
                    } else if prev_hash != *phash {
                        ev.problems.push(problem(
                            ln,
                            Some(seq),
                            "prev_hash",
                            format!("does not link to the hash of seq {pseq}"),
                        ));
                    }
                }
            }
        }
        for mut p in b.problems {
            p.line = p.line.map(|l| line_base + l);
            ev.problems.push(p);
        }
        for mut c in b.closings {
            c.line += line_base;
            c.gt_before = (gt.0 + c.gt_before.0, gt.1 + c.gt_before.1);
            ev.closings.push(c);
        }
        ev.technical.extend(b.technical);
        for (k, v) in b.days {
            *ev.days.entry(k).or_default() += v;
        }
        if b.genesis_key.is_some() {
            ev.genesis_key = b.genesis_key;
        }
        gt = (gt.0 + b.gt.0, gt.1 + b.gt.1);
        if b.last.is_some() {
            ev.last = b.last;
        }
        ev.rows += b.rows;
        line_base += b.lines;
    }
    ev
}
