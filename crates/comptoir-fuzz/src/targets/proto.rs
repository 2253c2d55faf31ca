//! The sync wire format (crates/sync-proto): the batch JSON head office
//! reads from a till, wire events, and the answers a till reads back.

use super::{parts, Sig};
use crate::Target;
use sync_proto::{check_chain, Ack, CatalogDelta, ErrorBody, EventBatch, EventBatchRef, WireEvent};
use till_journal::chain::GENESIS_PREV_HASH;
use till_journal::StoredEvent;

const JSON_DICT: &[&[u8]] = &[
    b"\"version\":1",
    b"\"terminal_id\":\"T01\"",
    b"\"events\":[",
    b"\"seq\":",
    b"\"ts\":",
    b"\"kind\":\"sale_completed\"",
    b"\"payload\":\"",
    b"\"prev_hash\":\"",
    b"\"hash\":\"",
    b"\"signature\":",
    b"\"tail\":{\"seq\":1,\"hash\":\"",
    b"0000000000000000000000000000000000000000000000000000000000000000",
    b"AAAA",
    b"====",
    b"\\\"",
    b"\"code\":\"seq_gap\"",
    b"\"expected_seq\":",
    b"\"acked_seq\":",
    b"\"items\":[",
    b"\"removed\":[",
];

/// `POST /v1/events` bodies: the owned and the borrowed parse agree, wire
/// events decode the same both ways, a decoded batch re-encodes to what
/// serde writes for it, and the chain check never panics.
pub const SYNC_BATCH: Target = Target {
    name: "sync-batch",
    about: "sync-proto EventBatch / EventBatchRef JSON (head office's POST /v1/events body)",
    max_len: 64 * 1024,
    seeds: || crate::seed_files("sync-batch"),
    dict: JSON_DICT,
    run: sync_batch,
};

fn sync_batch(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let owned = serde_json::from_slice::<EventBatch>(input);
    let borrowed = serde_json::from_slice::<EventBatchRef<'_>>(input);
    let (owned, borrowed) = match (owned, borrowed) {
        (Ok(o), Ok(b)) => (o, b),
        (Err(e), Err(_)) => return sig.add(1).err(&e).get(),
        (o, b) => panic!(
            "owned and borrowed batch parses disagree: owned {:?}, borrowed {:?}",
            o.err(),
            b.err()
        ),
    };
    assert_eq!(owned.version, borrowed.version);
    assert_eq!(owned.terminal_id, borrowed.terminal_id.as_ref());
    assert_eq!(owned.events.len(), borrowed.events.len());
    assert_eq!(owned.is_consecutive(), borrowed.is_consecutive());
    assert_eq!(owned.tail, borrowed.tail);
    sig.add(2)
        .add(owned.events.len().min(4) as u64)
        .add(owned.is_consecutive() as u64);
    let mut stored = Vec::with_capacity(owned.events.len());
    for (o, b) in owned.events.iter().zip(&borrowed.events) {
        let a = o.to_stored(&owned.terminal_id);
        let c = b.to_stored(&borrowed.terminal_id);
        assert_eq!(a, c, "owned and borrowed wire events decode differently");
        match a {
            Ok(e) => stored.push(e),
            Err(e) => {
                sig.err(&e);
                break;
            }
        }
    }
    let tail = owned.tail.as_ref().map(|t| t.decode());
    if let Some(t) = &tail {
        sig.add(t.is_ok() as u64 + 10);
    }
    if stored.len() == owned.events.len() {
        // Every event decoded: the one-pass encoder must give serde's bytes,
        // and those must read back to the same rows.
        let tail_ok = owned
            .tail
            .as_ref()
            .filter(|_| tail.as_ref().is_some_and(|t| t.is_ok()));
        let fast = EventBatch::encode_stored_with_tail(&owned.terminal_id, &stored, tail_ok);
        let mut b = EventBatch::from_stored(&owned.terminal_id, &stored);
        b.tail = tail_ok.cloned();
        let slow = serde_json::to_vec(&b).expect("a batch serialises");
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&slow),
            "encode_stored differs from serde"
        );
        let back: EventBatch = serde_json::from_slice(&fast).expect("re-encoded batch parses");
        let again: Vec<StoredEvent> = back
            .events
            .iter()
            .map(|w| w.to_stored(&back.terminal_id))
            .collect::<Result<_, _>>()
            .expect("re-encoded events decode");
        assert_eq!(again, stored, "round trip changed the rows");
        match check_chain(&GENESIS_PREV_HASH, &stored) {
            Ok(_) => sig.add(20),
            Err(e) => sig.err(&e),
        };
    }
    sig.get()
}

/// A wire event's text fields, straight (not through JSON): base64 and hex
/// decoding, and the round trip back to the wire form.
pub const WIRE_EVENT: Target = Target {
    name: "wire-event",
    about: "sync-proto WireEvent fields: base64 payload, hex hashes and signature",
    max_len: 16 * 1024,
    seeds: wire_seeds,
    dict: &[
        b"=",
        b"==",
        b"+/",
        b"-_",
        b"\n",
        b"0123456789abcdef",
        b"ABCDEF",
    ],
    run: wire_event,
};

fn wire_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for batch in crate::seed_files("sync-batch") {
        let Ok(b) = serde_json::from_slice::<EventBatch>(&batch) else {
            continue;
        };
        for w in b.events.iter().take(8) {
            let sig = w.signature.clone().unwrap_or_default();
            let fields: [&[u8]; 6] = [
                w.ts.as_bytes(),
                w.kind.as_bytes(),
                w.payload.as_bytes(),
                w.prev_hash.as_bytes(),
                w.hash.as_bytes(),
                sig.as_bytes(),
            ];
            let mut v = w.seq.to_le_bytes().to_vec();
            v.extend(fields.join(&0xFFu8));
            out.push(v);
        }
    }
    out
}

fn wire_event(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let seq = input
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
        .unwrap_or(1);
    let rest = input.get(8..).unwrap_or_default();
    let f: Vec<String> = parts(rest, 0xFF, 6)
        .into_iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let get = |i: usize| f.get(i).cloned().unwrap_or_default();
    let w = WireEvent {
        seq,
        ts: get(0),
        kind: get(1),
        payload: get(2),
        prev_hash: get(3),
        hash: get(4),
        signature: f.get(5).cloned(),
    };
    match w.to_stored("T01") {
        Ok(e) => {
            // What decodes must come back as the canonical wire form:
            // base64 is canonical (STANDARD refuses stray bits), hex lower case.
            let back = WireEvent::from_stored(&e);
            assert_eq!(back.payload, w.payload, "payload base64 is not canonical");
            assert_eq!(back.prev_hash, w.prev_hash.to_ascii_lowercase());
            assert_eq!(back.hash, w.hash.to_ascii_lowercase());
            assert_eq!(back.signature, w.signature.map(|s| s.to_ascii_lowercase()));
            assert_eq!(back.to_stored("T01").as_ref(), Ok(&e));
            sig.add(1).add(e.recompute_hash().is_some() as u64);
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    sig.get()
}

/// What a till reads back from head office: acks, refusals, catalog deltas.
pub const SYNC_ANSWERS: Target = Target {
    name: "sync-answers",
    about: "sync-proto Ack, ErrorBody and CatalogDelta JSON (what till-sync reads back)",
    max_len: 64 * 1024,
    seeds: || crate::seed_files("sync-answers"),
    dict: JSON_DICT,
    run: sync_answers,
};

fn sync_answers(input: &[u8]) -> u64 {
    let mut sig = Sig::default();
    let Ok(text) = std::str::from_utf8(input) else {
        return 0;
    };
    match serde_json::from_str::<Ack>(text) {
        Ok(a) => {
            let again: Ack = serde_json::from_str(&serde_json::to_string(&a).expect("ack"))
                .expect("ack round trip");
            assert_eq!(again, a);
            sig.add(1);
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(b) => {
            sig.add(2)
                .str(b.code.as_str())
                .add(b.code.is_retryable() as u64);
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    match serde_json::from_str::<CatalogDelta>(text) {
        Ok(d) => {
            let json = serde_json::to_string(&d).expect("delta");
            let again: CatalogDelta = serde_json::from_str(&json).expect("delta round trip");
            assert_eq!(again, d);
            sig.add(3).add(d.items.len().min(4) as u64);
        }
        Err(e) => {
            sig.err(&e);
        }
    }
    sig.get()
}
