//! Card terminal answers (crates/till-devices/src/payment/): Concert frames
//! and Caisse-AP fields, decoded on their own and through the drivers the
//! till runs. Whatever the terminal sends, nothing that comes out (answer,
//! error, garbled bytes kept for the technician) holds a full card number.

use std::time::Duration;

use till_devices::payment::caisse_ap_fields::{self as fields, CaisseApRequest, Parsed};
use till_devices::payment::concert_frame::{ConcertAnswer, FrameEvent, FrameReader};
use till_devices::payment::{
    CaisseApSettings, CaisseApTerminal, ConcertSettings, ConcertTerminal, PaymentAnswer,
    PaymentError, PaymentKind, PaymentRequest, PaymentTerminal,
};
use till_devices::DeviceError;

use super::{has_full_pan, parts, ScriptLink, Sig};
use crate::Target;

/// In a script, this byte is a quiet moment on the line (one read times out).
const PAUSE: u8 = 0xFE;

fn request(amount_cents: u64) -> PaymentRequest {
    PaymentRequest {
        amount_cents,
        kind: PaymentKind::Debit,
        currency: 978,
        pos_number: 1,
        reference: "S42-1".into(),
    }
}

/// The text fields of an answer (the amount is a number, not a card).
fn check_answer(a: &PaymentAnswer) {
    let texts = [
        &a.masked_pan,
        &a.auth_code,
        &a.scheme,
        &a.read_mode,
        &a.reason,
        &a.reference,
    ];
    for t in texts.into_iter().flatten() {
        assert!(!has_full_pan(t), "a full card number got through: {a:?}");
    }
}

/// What a garbled answer says and keeps for the technician (shown, logged)
/// is promised masked.
fn check_error(e: &PaymentError) {
    if let PaymentError::Garbled { bytes, detail } = e {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !has_full_pan(&text),
            "a full card number in garbled bytes: {text}"
        );
        assert!(
            !has_full_pan(detail),
            "a full card number in an error: {detail}"
        );
    }
}

pub const CONCERT: Target = Target {
    name: "concert",
    about: "Concert answers: STX/ETX/LRC frames, answer bodies, the driver's ENQ/ACK session",
    max_len: 4 * 1024,
    seeds: || {
        let answers = crate::hw_fixtures("terminal", "concert-answer");
        let mut v: Vec<Vec<u8>> = answers.iter().map(|a| [&[0u8][..], a].concat()).collect();
        // A whole session as the driver sees it: ACK to our ENQ, ACK to the
        // request, then the terminal's ENQ, its answer and EOT.
        for a in &answers {
            v.push([&[0x40u8, 0x06, 0x06, 0x05][..], a, &[0x04]].concat());
            v.push([&[0x41u8, PAUSE, 0x06, 0x06, PAUSE, 0x05][..], a, &[0x04]].concat());
        }
        v
    },
    dict: &[
        &[0x02],
        &[0x03],
        &[0x04],
        &[0x05],
        &[0x06],
        &[0x15],
        &[PAUSE],
        b"0100001250",
        b"978",
        b"S42-1     ",
        b"4970101234567890=2512",
        b"4970 1012 3456 7890",
        b"497010######7890",
    ],
    run: concert,
};

/// A payment of `amount` cents, then (if `late`) a wait for a late answer:
/// every answer and error checked, and its outcome added to `sig`.
fn pay_then_late(t: &mut impl PaymentTerminal, amount: u64, late: bool, sig: &mut Sig) {
    match t.pay(&request(amount)) {
        Ok(a) => {
            check_answer(&a);
            sig.add(10).add(a.approved as u64);
        }
        Err(e) => {
            check_error(&e);
            sig.err(&e);
        }
    }
    if !late {
        return;
    }
    match t.late_answer(Duration::from_secs(1)) {
        Ok(Some(a)) => {
            check_answer(&a);
            sig.add(11);
        }
        Ok(None) => {}
        Err(e) => {
            check_error(&e);
            sig.err(&e);
        }
    }
}

fn concert(input: &[u8]) -> u64 {
    let Some((&mode, script)) = input.split_first() else {
        return 0;
    };
    let mut sig = Sig::default();
    // Frames and bodies on their own.
    let mut reader = FrameReader::new();
    for &b in script {
        match reader.push(b) {
            FrameEvent::Frame(body) => match ConcertAnswer::decode_body(&body) {
                Ok(a) => {
                    let pa = a.to_answer();
                    check_answer(&pa);
                    if let Some(r) = &a.report {
                        assert!(!has_full_pan(r), "unmasked report {r:?}");
                    }
                    sig.add(1).add(pa.approved as u64);
                }
                Err(e) => {
                    sig.err(&e);
                }
            },
            FrameEvent::Bad(b) => {
                assert!(
                    b.len() <= 161,
                    "a bad frame of {} bytes was buffered",
                    b.len()
                );
                sig.add(2);
            }
            FrameEvent::More | FrameEvent::Noise(_) => {}
        }
    }
    // The driver, with the script as the terminal's side of the line.
    let settings = ConcertSettings {
        step_timeout: Duration::from_secs(5),
        answer_timeout: Duration::from_secs(30),
        long_answer: mode & 1 == 1,
    };
    let link = ScriptLink::with_pause(script, 1 + (mode as usize >> 1 & 3) * 40, 0, Some(PAUSE));
    let mut t = ConcertTerminal::new(link, settings);
    let amount = if mode & 0x20 == 0 { 1250 } else { 99_999_999 };
    pay_then_late(&mut t, amount, true, &mut sig);
    sig.get()
}

pub const CAISSE_AP: Target = Target {
    name: "caisse-ap",
    about: "Caisse-AP answers: tag/length/value fields, answer mapping, the TCP driver's read loop",
    max_len: 8 * 1024,
    seeds: || {
        let mut v: Vec<Vec<u8>> = Vec::new();
        for a in crate::hw_fixtures("terminal", "caisse-ap") {
            v.push([&[0u8][..], &a].concat());
            v.push([&[1u8][..], &a[..a.len() / 2], &[PAUSE], &a[a.len() / 2..]].concat());
        }
        v
    },
    dict: &[
        b"CZ0040300",
        b"AE00210",
        b"AE00201",
        b"AE00211",
        b"AF00204",
        b"CA00201",
        b"CB0041250",
        b"CD0010",
        b"CE003978",
        b"CF005S42-1",
        b"AA0164970101234567890",
        b"AC0164970101234567890",
        b"AF0164970101234567890",
        b"AC006123456",
        b"CC00300B",
        b"CI0012",
        b"999",
        &[PAUSE],
        &[0xFD],
    ],
    run: caisse_ap,
};

fn caisse_ap(input: &[u8]) -> u64 {
    let Some((&mode, script)) = input.split_first() else {
        return 0;
    };
    let mut sig = Sig::default();
    let req = CaisseApRequest {
        pos_number: 1,
        amount_cents: 1250,
        kind: PaymentKind::Debit,
        currency: 978,
        private: "S42-1".into(),
    };
    // The field parser over the whole answer, and over every prefix the
    // driver may see: Partial until whole, never Malformed before a bad byte.
    let whole: Vec<u8> = script.iter().copied().filter(|&b| b < 0xFD).collect();
    match fields::parse(&whole) {
        Parsed::Complete(f) => {
            match fields::to_answer(&f, &req) {
                Ok(a) => {
                    check_answer(&a);
                    sig.add(1).add(a.approved as u64);
                }
                Err(e) => {
                    // Raw: the driver masks it on the way out (checked below).
                    sig.err(&e);
                }
            }
            if let Ok(r) = CaisseApRequest::from_fields(&f) {
                sig.add(r.amount_cents.min(2));
            }
            let again = fields::encode(&f);
            if let Ok(bytes) = &again {
                assert_eq!(
                    fields::parse(bytes),
                    Parsed::Complete(f),
                    "re-encoded fields differ"
                );
            }
        }
        Parsed::Malformed(e) => {
            sig.err(&e);
        }
        p => {
            sig.str(&format!("{p:?}"));
        }
    }
    // The driver: each connection plays one part of the script (0xFD
    // separates them), a pause byte is a quiet line.
    let conns: Vec<Vec<u8>> = parts(script, 0xFD, 4)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let chunk = 1 + (mode as usize & 3) * 300;
    let mut next = 0;
    let connect = Box::new(move || {
        let c = conns.get(next).cloned();
        next += 1;
        match c {
            Some(bytes) => Ok(ScriptLink::with_pause(&bytes, chunk, 0, Some(PAUSE))),
            None => Err(DeviceError::Disconnected {
                detail: "no more connections".into(),
            }),
        }
    });
    let settings = CaisseApSettings {
        step_timeout: Duration::from_secs(5),
        answer_timeout: Duration::from_secs(30),
        drain: Duration::from_secs(1),
        send_cf: true,
    };
    let mut t = CaisseApTerminal::with_connector("script", connect, settings);
    pay_then_late(&mut t, 1250, mode & 4 != 0, &mut sig);
    sig.get()
}
