//! Head office's ingest decoding (crates/headoffice/src/ingest/): the
//! events of a batch, chained as a till would, planned against a fresh
//! head, their signatures checked, and their projection deltas computed
//! through the sale view (`till_core::view`: its scanner, serde for what it
//! declines) and by the full decoding, which must agree event by event and
//! for the whole run.

use std::convert::Infallible;

use headoffice::ingest::{check_signatures, check_tail, plan, ChainHead, Deltas, Plan, TailSeen};
use till_journal::chain::{record_hash, RecordFields, GENESIS_PREV_HASH};
use till_journal::StoredEvent;

use super::{parts, Sig};
use crate::Target;

/// Every kind a journal holds, indexed by an input's kind byte.
pub(crate) const KINDS: &[&str] = &[
    "sale_completed",
    "sale_cancelled",
    "refund",
    "stock_movement",
    "cash_movement",
    "closing",
    "terminal_initialised",
    "drawer_opened",
    "login",
    "logout",
    "approval_granted",
    "receipt_reprinted",
    "config_changed",
    "software_updated",
    "offline_started",
    "offline_ended",
    "terminal_payment",
];

pub(crate) const PAYLOAD_DICT: &[&[u8]] = &[
    b"\"kind\":\"sale\"",
    b"\"kind\":\"refund\"",
    b"\"kind\":\"cancellation\"",
    b"\"business_day\":\"2026-11-23\"",
    b"\"2026-02-29\"",
    b"\"lines\":[",
    b"\"item_id\":\"10001\"",
    b"\"quantity\":\"",
    b"\"stock_tracked\":true",
    b"\"total\":\"",
    b"\"change\":\"",
    b"\"vat\":[",
    b"\"rate\":\"20.00\"",
    b"\"tenders\":[",
    b"\"kind\":\"cash\"",
    b"\"kind\":\"card\"",
    b"\"amount\":\"",
    b"\"training\":true",
    b"\"reverses\":{\"seq\":",
    b"\"direction\":\"in\"",
    b"\"public_key\":\"",
    b"\"reason\":\"",
    b"\"9999999999999999999999999999\"",
    b"\"-9999999999999999999999999999\"",
    b"\"79228162514264337593543950335\"",
    b"\\u00e9",
];

pub const INGEST: Target = Target {
    name: "ingest",
    about: "head office ingest: chain plan, closing signatures, Deltas::of (sale view) == Deltas::of_full",
    max_len: 16 * 1024,
    seeds: ingest_seeds,
    dict: PAYLOAD_DICT,
    run: ingest,
};

/// One event per real payload, then runs of several (NUL separates them).
pub(crate) fn ingest_seeds() -> Vec<Vec<u8>> {
    let payloads = payload_seeds();
    let mut out: Vec<Vec<u8>> = payloads.clone();
    for w in payloads.windows(3).step_by(3) {
        out.push(w.join(&0u8));
    }
    out
}

/// `seeds/payloads/KIND-N.json` as inputs: the kind's index, then the payload.
pub(crate) fn payload_seeds() -> Vec<Vec<u8>> {
    crate::files_in(&crate::crate_dir().join("seeds/payloads"))
        .into_iter()
        .filter_map(|(p, b)| {
            let name = p.file_name()?.to_str()?;
            let kind = name.rsplit_once('-')?.0;
            let i = KINDS.iter().position(|k| *k == kind)?;
            let mut v = vec![i as u8];
            v.extend(b);
            Some(v)
        })
        .collect()
}

/// The input's events, chained from the genesis hash as terminal T01.
fn events(input: &[u8]) -> Vec<StoredEvent> {
    let mut prev = GENESIS_PREV_HASH;
    let mut out = Vec::new();
    for (i, part) in parts(input, 0, 8).into_iter().enumerate() {
        let (kind, payload) = match part.split_first() {
            Some((k, p)) => (KINDS[*k as usize % KINDS.len()], p),
            None => (KINDS[0], part),
        };
        let seq = i as u64 + 1;
        let ts = "2026-11-23T10:00:00.000+01:00".to_string();
        let Ok(hash) = record_hash(
            &prev,
            &RecordFields {
                terminal_id: "T01",
                seq,
                ts: &ts,
                kind,
                payload,
            },
        ) else {
            break;
        };
        out.push(StoredEvent {
            terminal_id: "T01".into(),
            seq,
            ts,
            kind: kind.into(),
            payload: payload.to_vec(),
            prev_hash: prev,
            hash,
            signature: (kind == "closing").then(|| vec![0u8; 64]),
        });
        prev = hash;
    }
    out
}

fn ingest(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let events = events(input);
    let fresh = ChainHead {
        last_seq: 0,
        last_hash: GENESIS_PREV_HASH,
    };
    let p = plan(fresh, &events, |_| Ok::<_, Infallible>(None));
    assert_eq!(
        p,
        Ok(Plan::Store { skip: 0 }),
        "a well-chained run must be stored"
    );
    if let Some((seq, why)) = check_signatures(None, &events) {
        sig.add(seq).err(&why);
    }
    for e in &events {
        let one = std::slice::from_ref(e);
        let fast = Deltas::of(one);
        let full = Deltas::of_full(one);
        if fast.refused.is_some() && full.refused.is_some() {
            // Both refuse the batch; which check speaks first (amounts or
            // decoding) may differ, and the till gets a refusal either way.
            sig.add(98);
            continue;
        }
        assert_eq!(
            fast, full,
            "fast and full decoding disagree on a {} payload",
            e.kind
        );
        sig.add(full.undecodable.len() as u64)
            .add(full.totals.len().min(8) as u64)
            .add(full.levels.len().min(4) as u64)
            .add(full.closings.len() as u64);
        if let Some(pk) = &full.public_key {
            // A marker of this run checked against the key it carries:
            // refused (the signature is zeros), never a panic.
            let tail = TailSeen {
                seq: e.seq,
                hash: e.hash,
                signature: [0; 64],
            };
            sig.add(check_tail("T01", Some(pk), &tail, Some(e.hash)).is_ok() as u64);
        }
    }
    if events.len() > 1 {
        let fast = Deltas::of(&events);
        let full = Deltas::of_full(&events);
        let both_refuse = fast.refused.is_some() && full.refused.is_some();
        if !both_refuse {
            assert_eq!(fast, full, "fast and full decoding disagree on a run");
        }
    }
    sig.get()
}
