use super::*;
use till_journal::chain::GENESIS_PREV_HASH;

/// A small valid chain of `n` events of terminal T01.
fn chain_of(n: u64) -> Vec<StoredEvent> {
    let mut prev = GENESIS_PREV_HASH;
    let mut out = Vec::new();
    for seq in 1..=n {
        let ts = format!("2026-11-23T10:00:{:02}.000+01:00", seq % 60);
        let payload = format!("{{\"user\":\"u{seq}\"}}").into_bytes();
        let hash = chain::record_hash(
            &prev,
            &RecordFields {
                terminal_id: "T01",
                seq,
                ts: &ts,
                kind: "login",
                payload: &payload,
            },
        )
        .expect("short fields");
        out.push(StoredEvent {
            terminal_id: "T01".into(),
            seq,
            ts,
            kind: "login".into(),
            payload,
            prev_hash: prev,
            hash,
            signature: (seq == 2).then(|| vec![7u8; 64]),
        });
        prev = hash;
    }
    out
}

#[test]
fn wire_round_trip_keeps_exact_bytes() {
    let events = chain_of(3);
    let batch = EventBatch::from_stored("T01", &events);
    let json = serde_json::to_string(&batch).expect("serialise");
    let back: EventBatch = serde_json::from_str(&json).expect("parse");
    let stored: Vec<StoredEvent> = back
        .events
        .iter()
        .map(|w| w.to_stored(&back.terminal_id))
        .collect::<Result<_, _>>()
        .expect("decode");
    assert_eq!(stored, events);
    assert!(back.is_consecutive());
    let borrowed: EventBatchRef<'_> = serde_json::from_str(&json).expect("parse borrowed");
    let stored2: Vec<StoredEvent> = borrowed
        .events
        .iter()
        .map(|w| w.to_stored(&borrowed.terminal_id))
        .collect::<Result<_, _>>()
        .expect("decode");
    assert_eq!(stored2, events);
    assert_eq!(check_chain(&GENESIS_PREV_HASH, &stored), Ok(events[2].hash));
}

#[test]
fn json_shape_is_pinned() {
    let events = chain_of(1);
    let w = WireEvent::from_stored(&events[0]);
    let v = serde_json::to_value(&w).expect("serialise");
    assert_eq!(v["payload"], "eyJ1c2VyIjoidTEifQ==");
    assert_eq!(v["prev_hash"], "0".repeat(64));
    assert!(v.get("signature").is_none(), "absent when None");
    let e = ErrorBody {
        code: ErrorCode::SeqGap,
        message: "gap".into(),
        expected_seq: Some(5),
    };
    assert_eq!(
        serde_json::to_string(&e).expect("serialise"),
        r#"{"code":"seq_gap","message":"gap","expected_seq":5}"#
    );
}

#[test]
fn tampering_is_detected() {
    let mut events = chain_of(4);
    events[2].payload = b"{\"user\":\"evil\"}".to_vec();
    assert!(matches!(
        check_chain(&GENESIS_PREV_HASH, &events),
        Err(ChainError::HashMismatch { seq: 3, .. })
    ));
    let events = chain_of(4);
    assert!(matches!(
        check_chain(&GENESIS_PREV_HASH, &events[1..]),
        Err(ChainError::Broken { seq: 2, .. })
    ));
    assert_eq!(
        check_chain(&events[0].hash, &events[1..]),
        Ok(events[3].hash)
    );
}

#[test]
fn bad_encodings_are_refused() {
    let mut w = WireEvent::from_stored(&chain_of(1)[0]);
    w.payload = "not base64!".into();
    assert!(w.to_stored("T01").is_err());
    let mut w = WireEvent::from_stored(&chain_of(1)[0]);
    w.hash = "abcd".into();
    assert_eq!(
        w.to_stored("T01"),
        Err(WireError::BadField {
            seq: 1,
            field: "hash",
            expected: "hex of 32 bytes"
        })
    );
}

#[test]
fn gaps_inside_a_batch_are_seen() {
    let events = chain_of(3);
    let mut batch = EventBatch::from_stored("T01", &events);
    assert!(batch.is_consecutive());
    batch.events.remove(1);
    assert!(!batch.is_consecutive());
}

#[test]
fn encode_stored_is_serde_json_byte_for_byte() {
    let mut events = chain_of(5);
    events[1].ts = "2026-11-23T10:00:00\"\\\u{1}é".into();
    events[2].kind = "odd \n kind".into();
    events[3].payload = Vec::new();
    events[4].payload = (0..=255u8).collect();
    for n in [0, 1, 5] {
        let want = serde_json::to_vec(&EventBatch::from_stored("T\"01", &events[..n])).unwrap();
        assert_eq!(
            String::from_utf8(EventBatch::encode_stored("T\"01", &events[..n])).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }
    let tail = TailMarker::new(7, &[3u8; 32], &[4u8; 64]);
    let mut b = EventBatch::from_stored("T01", &events[..2]);
    b.tail = Some(tail.clone());
    let body = EventBatch::encode_stored_with_tail("T01", &events[..2], Some(&tail));
    assert_eq!(body, serde_json::to_vec(&b).unwrap());
    let back: EventBatchRef<'_> = serde_json::from_slice(&body).unwrap();
    assert_eq!(back.tail.as_ref().map(|t| t.decode().unwrap().0), Some(7));
    let plain = EventBatch::encode_stored("T01", &events[..2]);
    let old: EventBatchRef<'_> = serde_json::from_slice(&plain).unwrap();
    assert!(old.tail.is_none(), "a batch without a tail still reads");
}
