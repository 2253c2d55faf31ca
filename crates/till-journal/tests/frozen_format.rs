//! The canonical record encoding is frozen: these bytes and hashes must never change.

use till_journal::chain::{
    encode_record, record_hash, tail_message, RecordFields, GENESIS_PREV_HASH,
};

#[test]
fn canonical_encoding_and_hash_are_frozen() {
    let payload = br#"{"user":"u1"}"#;
    let r = RecordFields {
        terminal_id: "T01",
        seq: 2,
        ts: "2026-11-23T10:15:00.123+01:00",
        kind: "login",
        payload,
    };
    let enc = encode_record(&r).expect("encode");
    let expected = concat!(
        "01", // format version
        "00000003",
        "543031",           // "T01"
        "0000000000000002", // seq 2
        "0000001d",
        "323032362d31312d32335431303a31353a30302e3132332b30313a3030", // ts
        "00000005",
        "6c6f67696e", // "login"
        "0000000d",
        "7b2275736572223a227531227d", // {"user":"u1"}
    );
    assert_eq!(hex::encode(&enc), expected);

    let prev = [0x11u8; 32];
    let h = record_hash(&prev, &r).expect("hash");
    // SHA-256(prev_hash || encoding), pinned.
    use sha2::Digest;
    let mut manual = sha2::Sha256::new();
    manual.update(prev);
    manual.update(&enc);
    assert_eq!(h, <[u8; 32]>::from(manual.finalize()));
    assert_eq!(hex::encode(h), FROZEN_HASH);

    let g = record_hash(&GENESIS_PREV_HASH, &r).expect("hash");
    assert_eq!(hex::encode(g), FROZEN_GENESIS_HASH);
}

#[test]
fn tail_message_is_frozen() {
    let m = tail_message("T01", 120, &[0xabu8; 32]).expect("msg");
    assert_eq!(
        hex::encode(m),
        concat!(
            "636f6d70746f69722d7461696c2d7631", // "comptoir-tail-v1"
            "00000003",
            "543031",
            "0000000000000078",
            "abababababababababababababababababababababababababababababababab"
        )
    );
}

// Computed independently (Python hashlib) from the expected bytes above.
const FROZEN_HASH: &str = "c5a7b21c182278c9491689fab5158a3415bffa4510fd8c3b990520c6ff2da7fe";
const FROZEN_GENESIS_HASH: &str =
    "c9ca0d7c2e228a99b5d395d3875b939779ce45cb4fa6e7559e97ca3acc9139db";
