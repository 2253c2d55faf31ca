//! Golden card-terminal frames in hw-fixtures/terminal/: the encoders must
//! produce exactly these bytes, and the decoders must read them back.
//! Regenerate after an intended change with
//! `UPDATE_GOLDEN=1 cargo test -p till-devices --test fixtures_terminal`,
//! then review the diff against the sources named in each file.

use std::path::PathBuf;

use till_devices::error::{hex, parse_hex};
use till_devices::payment::caisse_ap_fields::{self as cap, CaisseApRequest, Parsed};
use till_devices::payment::concert_frame::{
    frame, ConcertAnswer, ConcertRequest, FrameEvent, FrameReader,
};
use till_devices::payment::PaymentKind;

const CONCERT_SRC: &str = "\
# Layout: Concert protocol E+ (Concert V2 fixed fields + A/B options), as implemented by
# akretion/pypostelium pypostelium/pypostelium.py (send_message, parse_terminal_answer) and
# Ousret/pyTeliumManager telium/payment.py + telium/constant.py (TeliumAsk.encode,
# TeliumResponse.decode; frame sizes 37, 28 and 83 bytes).
# Frame: STX body ETX LRC, LRC = XOR of every byte after STX up to and including ETX.
";

const CAISSE_AP_SRC: &str = "\
# Layout: Caisse-AP 3.x (Association du Paiement) over TCP: fields TAG(2) LENGTH(3 digits)
# VALUE, CZ first, no header, terminator or checksum. Tags and values as used by
# akretion/caisse-ap-ip caisse_ap_ip_client.py / caisse_ap_ip_server.py and
# OCA/l10n-france l10n_fr_pos_caisse_ap_ip/models/pos_payment_method.py.
";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../hw-fixtures/terminal")
}

fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (0x20..0x7F).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// Hex with one line per field: (length, what).
fn annotate(bytes: &[u8], fields: &[(usize, &str)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (len, what) in fields {
        let end = (at + len).min(bytes.len());
        let chunk = &bytes[at..end];
        // Text only for printable fields; quoted, so padding stays visible.
        let shown = if chunk.iter().all(|b| (0x20..0x7F).contains(b)) {
            format!(": \"{}\"", printable(chunk))
        } else {
            String::new()
        };
        out.push_str(&format!("{:<40} # {what}{shown}\n", hex(chunk)));
        at = end;
    }
    if at < bytes.len() {
        out.push_str(&format!("{}\n", hex(&bytes[at..])));
    }
    out
}

/// Compare `bytes` with the golden file, (re)writing it first under
/// UPDATE_GOLDEN.
fn golden(name: &str, header: &str, bytes: &[u8], fields: &[(usize, &str)]) {
    let path = dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        std::fs::write(&path, format!("{header}{}", annotate(bytes, fields))).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let want = parse_hex(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        hex(bytes),
        hex(&want),
        "{name}: rerun with UPDATE_GOLDEN=1 if intended"
    );
}

fn load(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    parse_hex(&text).unwrap()
}

const REQUEST_FIELDS: &[(usize, &str)] = &[
    (1, "STX"),
    (2, "POS number"),
    (8, "amount in cents"),
    (1, "answer flag (1 = long answer with card report)"),
    (1, "mode (1 = card)"),
    (1, "type (0 = debit, 1 = credit/refund)"),
    (3, "currency (978 = EUR)"),
    (10, "private field, space padded"),
    (4, "A01 + delay (0 = answer at the end of the transaction)"),
    (4, "B01 + forced authorisation (0 = no)"),
    (1, "ETX"),
    (1, "LRC"),
];

fn concert_request(kind: PaymentKind, private: &str) -> ConcertRequest {
    ConcertRequest {
        pos_number: 1,
        amount_cents: 1250,
        long_answer: true,
        mode: b'1',
        kind,
        currency: 978,
        private: private.into(),
        immediate: false,
        forced_auth: false,
    }
}

#[test]
fn concert_requests() {
    let debit = concert_request(PaymentKind::Debit, "S42-1").encode();
    let h = format!("# Concert request: debit 12.50 EUR from till 01, long answer, private \"S42-1\".\n{CONCERT_SRC}");
    golden("concert-request-debit.hex", &h, &debit, REQUEST_FIELDS);
    let refund = concert_request(PaymentKind::Refund, "R42-1").encode();
    let h = format!("# Concert request: refund (credit) 12.50 EUR to the card, till 01, private \"R42-1\".\n{CONCERT_SRC}");
    golden("concert-request-refund.hex", &h, &refund, REQUEST_FIELDS);
    assert_eq!(debit.len(), 37);
}

fn concert_answer(status: u8, report: Option<&str>) -> ConcertAnswer {
    concert_answer_with(status, report, "S42-1")
}

fn concert_answer_with(status: u8, report: Option<&str>, private: &str) -> ConcertAnswer {
    ConcertAnswer {
        pos_number: 1,
        status,
        amount_cents: 1250,
        mode: b'1',
        report: report.map(str::to_string),
        currency: 978,
        private: private.into(),
    }
}

fn read_frame(bytes: &[u8]) -> ConcertAnswer {
    let mut r = FrameReader::new();
    for &b in bytes {
        if let FrameEvent::Frame(body) = r.push(b) {
            return ConcertAnswer::decode_body(&body).unwrap();
        }
    }
    panic!("no good frame in {}", hex(bytes));
}

#[test]
fn concert_answers() {
    let short = |what| {
        vec![
            (1, "STX"),
            (2, "POS number"),
            (1, what),
            (8, "amount in cents"),
            (1, "mode / card application (1 = CB)"),
            (3, "currency"),
            (10, "private field echoed"),
            (1, "ETX"),
            (1, "LRC"),
        ]
    };
    let ok = concert_answer(b'0', None).encode();
    let h = format!(
        "# Concert short answer: approved (status '0'), 12.50 EUR, 28 bytes.\n{CONCERT_SRC}"
    );
    golden(
        "concert-answer-approved-short.hex",
        &h,
        &ok,
        &short("status (0 = approved)"),
    );
    let no = concert_answer(b'7', None).encode();
    let h = format!("# Concert short answer: refused or abandoned (status '7').\n{CONCERT_SRC}");
    golden(
        "concert-answer-declined-short.hex",
        &h,
        &no,
        &short("status (7 = refused/abandoned)"),
    );
    let long = concert_answer(b'0', Some("497010######0010")).encode();
    let h = format!(
        "# Concert long answer (answer flag 1): approved, with the 55-character report holding the\n\
         # card number as the terminal sends it (here already masked), 83 bytes.\n{CONCERT_SRC}"
    );
    let fields = [
        (1, "STX"),
        (2, "POS number"),
        (1, "status (0 = approved)"),
        (8, "amount in cents"),
        (1, "mode / card application (1 = CB)"),
        (55, "report: card number (ISO 2 track data), space padded"),
        (3, "currency"),
        (10, "private field echoed"),
        (1, "ETX"),
        (1, "LRC"),
    ];
    golden("concert-answer-approved-long.hex", &h, &long, &fields);
    assert_eq!((ok.len(), long.len()), (28, 83));

    // And the fixtures decode to what the till keeps.
    let a = read_frame(&load("concert-answer-approved-long.hex")).to_answer();
    assert!(a.approved);
    assert_eq!(a.masked_pan.as_deref(), Some("497010######0010"));
    assert_eq!(a.reference.as_deref(), Some("S42-1"));
    let d = read_frame(&load("concert-answer-declined-short.hex")).to_answer();
    assert!(!d.approved && d.reason.is_some());
    // A flipped bit anywhere makes the LRC fail.
    let mut bad = load("concert-answer-approved-short.hex");
    bad[5] ^= 0x01;
    let mut r = FrameReader::new();
    assert!(bad
        .iter()
        .map(|&b| r.push(b))
        .any(|e| matches!(e, FrameEvent::Bad(_))));
    assert_eq!(frame(b"0").len(), 4);
}

fn cap_fields(bytes: &[u8]) -> Vec<(usize, String)> {
    match cap::parse(bytes) {
        Parsed::Complete(f) => f
            .into_iter()
            .map(|(t, v)| {
                let what = match (t.as_str(), v.as_str()) {
                    ("CF", "1010000000") => "private data: the terminal's own, not the till's",
                    _ => tag_name(&t),
                };
                (5 + v.len(), format!("{t} ({what})"))
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

fn tag_name(tag: &str) -> &'static str {
    match tag {
        "CZ" => "protocol version",
        "CJ" => "Concert protocol id",
        "CA" => "till number",
        "CB" => "amount in cents",
        "CD" => "action: 0 debit, 1 credit",
        "CE" => "currency",
        "BA" => "0 = answer at the end of the transaction",
        "CF" => "private data, echoed",
        "AE" => "action status: 10 done, 01 not done",
        "AF" => "reason: 04 refused, 11 cancelled",
        "AA" => "card number, masked by the terminal",
        "AC" => "authorisation number",
        "CC" => "card application: 001 CB, 00B CB contactless",
        "CI" => "read mode: 1 chip, 2 contactless",
        "AI" => "AID of the card application",
        "AB" => "card expiry date, YYMM",
        "CG" => "seller contract number",
        _ => "?",
    }
}

fn cap_golden(name: &str, what: &str, bytes: &[u8]) {
    let f = cap_fields(bytes);
    let fields: Vec<(usize, &str)> = f.iter().map(|(n, s)| (*n, s.as_str())).collect();
    golden(name, &format!("# {what}\n{CAISSE_AP_SRC}"), bytes, &fields);
}

fn cap_request(kind: PaymentKind, private: &str) -> CaisseApRequest {
    CaisseApRequest {
        pos_number: 1,
        amount_cents: 1250,
        kind,
        currency: 978,
        private: private.into(),
    }
}

fn answer(req: &CaisseApRequest, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut f = req.fields();
    f.retain(|(t, _)| t != "BA");
    f.extend(extra.iter().map(|(t, v)| (t.to_string(), v.to_string())));
    cap::encode(&f).unwrap()
}

#[test]
fn caisse_ap_messages() {
    let debit = cap_request(PaymentKind::Debit, "S42-1");
    cap_golden(
        "caisse-ap-request-debit.hex",
        "Caisse-AP request: debit 12.50 EUR, till 01, private \"S42-1\".",
        &debit.encode().unwrap(),
    );
    let refund = cap_request(PaymentKind::Refund, "R42-1");
    cap_golden(
        "caisse-ap-request-refund.hex",
        "Caisse-AP request: credit (refund) 12.50 EUR, till 01.",
        &refund.encode().unwrap(),
    );
    let ok = answer(
        &debit,
        &[
            ("AE", "10"),
            ("AA", "497010######0010"),
            ("AC", "123456"),
            ("CC", "001"),
            ("CI", "1"),
        ],
    );
    cap_golden(
        "caisse-ap-answer-success.hex",
        "Caisse-AP answer: done (AE 10), CB chip, masked card number, authorisation 123456.",
        &ok,
    );
    let no = answer(&debit, &[("AE", "01"), ("AF", "04")]);
    cap_golden(
        "caisse-ap-answer-declined.hex",
        "Caisse-AP answer: not done (AE 01), refused (AF 04).",
        &no,
    );
    let cancel = answer(&debit, &[("AE", "01"), ("AF", "11")]);
    cap_golden(
        "caisse-ap-answer-cancelled.hex",
        "Caisse-AP answer: not done (AE 01), cancelled at the terminal (AF 11).",
        &cancel,
    );

    let read = |name: &str| match cap::parse(&load(name)) {
        Parsed::Complete(f) => cap::to_answer(&f, &debit).unwrap(),
        other => panic!("{name}: {other:?}"),
    };
    let a = read("caisse-ap-answer-success.hex");
    assert!(a.approved);
    assert_eq!(a.auth_code.as_deref(), Some("123456"));
    assert_eq!(a.masked_pan.as_deref(), Some("497010######0010"));
    assert_eq!(a.scheme.as_deref(), Some("CB"));
    assert_eq!(
        read("caisse-ap-answer-declined.hex").reason.as_deref(),
        Some("declined by the bank")
    );
    assert!(read("caisse-ap-answer-cancelled.hex")
        .reason
        .unwrap()
        .contains("cancelled"));
}

/// Answers that do not echo the till's private field: the terminal's own
/// transaction id, or ten spaces. The driver takes them for the pending
/// attempt by till number, amount and currency (payment_concert.rs runs
/// them through the simulator).
#[test]
fn concert_answers_with_another_private_field() {
    let fields = |what| {
        vec![
            (1, "STX"),
            (2, "POS number"),
            (1, "status (0 = approved)"),
            (8, "amount in cents"),
            (1, "mode / card application (1 = CB)"),
            (3, "currency"),
            (10, what),
            (1, "ETX"),
            (1, "LRC"),
        ]
    };
    let own = concert_answer_with(b'0', None, "TX00012345").encode();
    let h = format!(
        "# Concert short answer: approved, 12.50 EUR, private field holding the terminal's own\n\
         # transaction id instead of the till's \"S42-1\". Ousret/pyTeliumManager telium/payment.py\n\
         # (TeliumResponse.transaction_id: \"transaction id generated by device\", an alias of\n\
         # private); akretion/pypostelium pypostelium.py (compare_data_vs_answer) only logs a\n\
         # warning when the private field differs from the request's.\n{CONCERT_SRC}"
    );
    golden(
        "concert-answer-approved-own-reference.hex",
        &h,
        &own,
        &fields("private field: the terminal's transaction id"),
    );
    let blank = concert_answer_with(b'0', None, "").encode();
    let h = format!(
        "# Concert short answer: approved, 12.50 EUR, private field blank (ten spaces), as a\n\
         # terminal answers a request whose private field it does not keep. akretion/pypostelium\n\
         # pypostelium.py sends ten spaces itself (prepare_data_to_send: 'private': ' ' * 10) and\n\
         # only logs a warning on a mismatch (compare_data_vs_answer).\n{CONCERT_SRC}"
    );
    golden(
        "concert-answer-approved-blank-reference.hex",
        &h,
        &blank,
        &fields("private field: blank"),
    );
    let a = read_frame(&load("concert-answer-approved-own-reference.hex"));
    assert_eq!(a.reference(), "TX00012345");
    assert!(a.to_answer().approved);
    let b = read_frame(&load("concert-answer-approved-blank-reference.hex"));
    assert_eq!(b.reference(), "");
    assert_eq!((b.pos_number, b.amount_cents, b.currency), (1, 1250, 978));
}

/// What akretion/caisse-ap-ip's reference server answers (CF replaced by
/// 1010000000), and a Caisse-AP exchange without CF (OCA's module sends
/// none): both are approvals the till takes.
#[test]
fn caisse_ap_answers_with_another_cf_or_none() {
    let debit = cap_request(PaymentKind::Debit, "S42-1");
    // caisse_ap_ip_server.py copies the request (BA included, CZ moved
    // first), sets AE, then adds CC, CI, AC, AA, AI, AB, CF, CG on success:
    // CF keeps the request's place, with the server's own value.
    let mut f = debit.fields();
    for (t, v) in f.iter_mut() {
        if t == "CF" {
            *v = "1010000000".into();
        }
    }
    for (t, v) in [
        ("AE", "10"),
        ("CC", "001"),
        ("CI", "1"),
        ("AC", "123456"),
        ("AA", "497010######0010"),
        ("AI", "A0000000421010"),
        ("AB", "2712"),
        ("CG", "424242"),
    ] {
        f.push((t.into(), v.into()));
    }
    let own = cap::encode(&f).unwrap();
    cap_golden(
        "caisse-ap-answer-success-own-cf.hex",
        "Caisse-AP answer: done (AE 10), CF replaced by the terminal's own 1010000000, as every\n\
         # version of akretion/caisse-ap-ip caisse_ap_ip_server.py answers a successful payment\n\
         # (answer_dict['CF'] = '1010000000'), with its AI, AB and CG tags. Request: \"S42-1\".",
        &own,
    );
    // OCA/l10n-france l10n_fr_pos_caisse_ap_ip (_fr_caisse_ap_ip_prepare_message)
    // sends CJ CA CE CD CB after CZ, no BA and no CF; `send_cf = false`
    // makes the till do the same.
    let no_cf = cap_request(PaymentKind::Debit, "");
    cap_golden(
        "caisse-ap-request-debit-no-cf.hex",
        "Caisse-AP request without CF (send_cf = false): debit 12.50 EUR, till 01, as\n\
         # OCA/l10n-france l10n_fr_pos_caisse_ap_ip sends it (no private data).",
        &no_cf.encode().unwrap(),
    );
    let answer_no_cf = answer(
        &no_cf,
        &[
            ("AE", "10"),
            ("AA", "497010######0010"),
            ("AC", "123456"),
            ("CC", "001"),
            ("CI", "1"),
        ],
    );
    cap_golden(
        "caisse-ap-answer-success-no-cf.hex",
        "Caisse-AP answer without CF: done (AE 10), to a request that carried none. The OCA\n\
         # module checks only CA, CB, CD and CE in an answer (_fr_caisse_ap_ip_check_answer).",
        &answer_no_cf,
    );

    let parsed = |name: &str| match cap::parse(&load(name)) {
        Parsed::Complete(f) => f,
        other => panic!("{name}: {other:?}"),
    };
    let f = parsed("caisse-ap-answer-success-own-cf.hex");
    let a = cap::to_answer(&f, &debit).unwrap();
    assert!(a.approved && a.auth_code.as_deref() == Some("123456"));
    assert_eq!(a.reference.as_deref(), Some("S42-1"));
    assert_eq!(a.terminal_reference.as_deref(), Some("1010000000"));
    assert!(cap::same_payment(&f, &debit));
    // The same answer to a request that sent CF: blank is noted too.
    let f = parsed("caisse-ap-answer-success-no-cf.hex");
    let a = cap::to_answer(&f, &debit).unwrap();
    assert!(a.approved);
    assert_eq!(a.terminal_reference.as_deref(), Some(""));
    let a = cap::to_answer(&f, &no_cf).unwrap();
    assert_eq!((a.reference, a.terminal_reference), (None, None));
    assert!(
        !String::from_utf8(load("caisse-ap-request-debit-no-cf.hex"))
            .unwrap()
            .contains("CF")
    );
}
