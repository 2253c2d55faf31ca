//! The frozen encoding, pinned here too (the same fixtures as
//! till-journal/tests/frozen_format.rs, computed independently with Python's
//! hashlib), so the crate that defines it fails first if it ever changes.

use comptoir_chain::{encode_record, record_hash, tail_message, RecordFields, GENESIS_PREV_HASH};

#[test]
fn encoding_hash_and_tail_message_are_frozen() {
    let r = RecordFields {
        terminal_id: "T01",
        seq: 2,
        ts: "2026-11-23T10:15:00.123+01:00",
        kind: "login",
        payload: br#"{"user":"u1"}"#,
    };
    assert_eq!(
        hex::encode(encode_record(&r).expect("encode")),
        concat!(
            "01",
            "00000003",
            "543031",
            "0000000000000002",
            "0000001d",
            "323032362d31312d32335431303a31353a30302e3132332b30313a3030",
            "00000005",
            "6c6f67696e",
            "0000000d",
            "7b2275736572223a227531227d",
        )
    );
    assert_eq!(
        hex::encode(record_hash(&[0x11u8; 32], &r).expect("hash")),
        "c5a7b21c182278c9491689fab5158a3415bffa4510fd8c3b990520c6ff2da7fe"
    );
    assert_eq!(
        hex::encode(record_hash(&GENESIS_PREV_HASH, &r).expect("hash")),
        "c9ca0d7c2e228a99b5d395d3875b939779ce45cb4fa6e7559e97ca3acc9139db"
    );
    assert_eq!(
        hex::encode(tail_message("T01", 120, &[0xabu8; 32]).expect("msg")),
        concat!(
            "636f6d70746f69722d7461696c2d7631",
            "00000003",
            "543031",
            "0000000000000078",
            "abababababababababababababababababababababababababababababababab"
        )
    );
}
