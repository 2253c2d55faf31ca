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

/// The payload side of the format: a sale's JSON as `till_core::records`
/// encodes it (field names, order, decimals as strings). A serde change that
/// alters these bytes would silently change every future hash; this pins them,
/// and a stored v1 payload must keep decoding to the same record.
#[test]
fn sale_payload_bytes_are_frozen() {
    use rust_decimal_macros::dec;
    use till_core::records::*;
    use till_core::{VatLine, VatRate};
    let r20 = VatRate::percent(dec!(20)).unwrap();
    let sale = SaleRecord {
        kind: SaleKind::Sale,
        sale_no: "T01-000007".into(),
        business_day: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        operator: "c1".into(),
        customer: None,
        lines: vec![SaleLine {
            line_no: 1,
            item_id: "10001".into(),
            barcode: Some("3760001000011".into()),
            name: "Café moulu".into(),
            unit: Unit::Piece,
            quantity: dec!(2),
            unit_price: dec!(3.00),
            overridden_from: None,
            vat_rate: r20,
            gross: dec!(6.00),
            line_discount: dec!(0.00),
            basket_discount: dec!(0.00),
            total: dec!(6.00),
            stock_tracked: true,
        }],
        basket_discount: dec!(0.00),
        total: dec!(6.00),
        rounding: dec!(0.00),
        vat: vec![VatLine {
            rate: r20,
            base: dec!(5.00),
            tax: dec!(1.00),
            total: dec!(6.00),
        }],
        tenders: vec![TenderRecord {
            kind: TenderKind::Cash,
            amount: dec!(10.00),
            reference: None,
            card: None,
        }],
        change: dec!(4.00),
        reverses: None,
        without_receipt: false,
        approvals: vec![],
        flags: vec![],
        training: false,
    };
    let ev = Event::SaleCompleted(sale);
    let payload = ev.payload();
    let expected = concat!(
        r#"{"kind":"sale","sale_no":"T01-000007","business_day":"2026-11-23","operator":"c1","#,
        r#""customer":null,"lines":[{"line_no":1,"item_id":"10001","barcode":"3760001000011","#,
        r#""name":"Café moulu","unit":"piece","quantity":"2","unit_price":"3.00","#,
        r#""overridden_from":null,"vat_rate":"20.00","gross":"6.00","line_discount":"0.00","#,
        r#""basket_discount":"0.00","total":"6.00","stock_tracked":true}],"#,
        r#""basket_discount":"0.00","total":"6.00","rounding":"0.00","#,
        r#""vat":[{"rate":"20.00","base":"5.00","tax":"1.00","total":"6.00"}],"#,
        r#""tenders":[{"kind":"cash","amount":"10.00","reference":null,"card":null}],"#,
        r#""change":"4.00","reverses":null,"without_receipt":false,"approvals":[],"flags":[],"#,
        r#""training":false}"#,
    );
    assert_eq!(String::from_utf8(payload.clone()).unwrap(), expected);
    assert_eq!(
        Event::decode("sale_completed", expected.as_bytes()).unwrap(),
        ev
    );
    let r = RecordFields {
        terminal_id: "T01",
        seq: 9,
        ts: "2026-11-23T10:15:00.123+01:00",
        kind: ev.kind(),
        payload: &payload,
    };
    let h = record_hash(&GENESIS_PREV_HASH, &r).expect("hash");
    assert_eq!(hex::encode(h), FROZEN_SALE_HASH);
}

// Computed independently (Python hashlib over the documented encoding).
const FROZEN_SALE_HASH: &str = "5cb297b3a73f46a8b8b834291ebaddd60aec4fba2ed19a80e059a63f40409544";

/// The journal's chain is `comptoir-chain`'s, the one definition the archive
/// verifier uses: the same types (this compiles only if they are), and the
/// same bytes on every fixture above.
#[test]
fn the_journal_and_the_verifier_share_one_encoding() {
    let payload = br#"{"user":"u1"}"#;
    let r: comptoir_chain::RecordFields = RecordFields {
        terminal_id: "T01",
        seq: 2,
        ts: "2026-11-23T10:15:00.123+01:00",
        kind: "login",
        payload,
    };
    assert_eq!(encode_record(&r), comptoir_chain::encode_record(&r));
    let h = comptoir_chain::record_hash(&[0x11u8; 32], &r).expect("hash");
    assert_eq!(hex::encode(h), FROZEN_HASH);
    assert_eq!(record_hash(&[0x11u8; 32], &r).expect("hash"), h);
    let g = comptoir_chain::record_hash(&comptoir_chain::GENESIS_PREV_HASH, &r).expect("hash");
    assert_eq!(hex::encode(g), FROZEN_GENESIS_HASH);
    assert_eq!(
        tail_message("T01", 120, &[0xabu8; 32]).expect("msg"),
        comptoir_chain::tail_message("T01", 120, &[0xabu8; 32]).expect("msg")
    );
}
