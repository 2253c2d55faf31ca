//! Property tests: no byte a terminal sends makes a decoder or a driver
//! panic, and what the encoders write the decoders read back unchanged.

use std::collections::VecDeque;
use std::time::Duration;

use proptest::prelude::*;
use till_devices::payment::caisse_ap_fields::{self as cap, CaisseApRequest, Parsed};
use till_devices::payment::concert_frame::{
    ConcertAnswer, ConcertRequest, FrameEvent, FrameReader, MAX_AMOUNT,
};
use till_devices::payment::{
    CaisseApSettings, CaisseApTerminal, ConcertSettings, ConcertTerminal, PaymentKind,
    PaymentRequest, PaymentTerminal,
};
use till_devices::{DeviceError, Transport};

/// A terminal that says nothing until the till writes, then pours out
/// `chunks`, one per read.
struct Noise {
    chunks: VecDeque<Vec<u8>>,
    armed: bool,
}

impl Transport for Noise {
    fn write_all(&mut self, _bytes: &[u8]) -> Result<(), DeviceError> {
        self.armed = true;
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        let timed_out = DeviceError::Timeout {
            what: "noise".into(),
            after: timeout,
        };
        if !self.armed {
            return Err(timed_out);
        }
        match self.chunks.pop_front() {
            Some(c) if !c.is_empty() && !buf.is_empty() => {
                let n = c.len().min(buf.len());
                buf[..n].copy_from_slice(&c[..n]);
                Ok(n)
            }
            Some(_) => Err(timed_out),
            None => Err(timed_out),
        }
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn describe(&self) -> String {
        "noise".into()
    }
}

fn kind() -> impl Strategy<Value = PaymentKind> {
    prop_oneof![Just(PaymentKind::Debit), Just(PaymentKind::Refund)]
}

/// Printable ASCII without trailing spaces (fixed fields are space padded).
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("([!-~][ -~]{{0,{}}})?", max.saturating_sub(1)))
        .unwrap()
        .prop_map(|s| s.trim_end().to_string())
}

fn request() -> PaymentRequest {
    PaymentRequest {
        amount_cents: 1250,
        kind: PaymentKind::Debit,
        currency: 978,
        pos_number: 1,
        reference: "S1-1".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn concert_decoders_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = ConcertAnswer::decode_body(&bytes);
        let _ = ConcertRequest::decode_body(&bytes);
        let mut r = FrameReader::new();
        for &b in &bytes {
            if let FrameEvent::Frame(body) = r.push(b) {
                if let Ok(a) = ConcertAnswer::decode_body(&body) {
                    let _ = a.to_answer();
                }
            }
        }
    }

    #[test]
    fn concert_request_round_trips(
        pos in 0u8..100, amount in 0..=MAX_AMOUNT, long in any::<bool>(), k in kind(),
        currency in 0u16..1000, private in text(10), immediate in any::<bool>(),
        forced in any::<bool>(),
    ) {
        let r = ConcertRequest {
            pos_number: pos, amount_cents: amount, long_answer: long, mode: b'1', kind: k,
            currency, private, immediate, forced_auth: forced,
        };
        prop_assert_eq!(ConcertRequest::decode_body(&r.body()), Ok(r));
    }

    #[test]
    fn concert_answer_round_trips(
        pos in 0u8..100, status in prop_oneof![Just(b'0'), Just(b'7'), Just(b'9')],
        amount in 0..=MAX_AMOUNT, report in proptest::option::of("[A-Z#*=]{1,55}"),
        currency in 0u16..1000, private in text(10),
    ) {
        let a = ConcertAnswer {
            pos_number: pos, status, amount_cents: amount, mode: b'1', report, currency, private,
        };
        let mut back = ConcertAnswer::decode_body(&a.body()).unwrap();
        back.report = back.report.map(|r| r.trim_end().to_string());
        prop_assert_eq!(back, a);
    }

    #[test]
    fn caisse_ap_parser_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Parsed::Complete(f) = cap::parse(&bytes) {
            let req = CaisseApRequest {
                pos_number: 1, amount_cents: 1, kind: PaymentKind::Debit, currency: 978,
                private: String::new(),
            };
            let _ = cap::to_answer(&f, &req);
            let _ = CaisseApRequest::from_fields(&f);
        }
    }

    #[test]
    fn caisse_ap_fields_round_trip(
        fields in proptest::collection::vec(("[A-Z0-9]{2}", "[ -~]{1,40}"), 1..12),
        cut in any::<proptest::sample::Index>(),
    ) {
        let bytes = cap::encode(&fields).unwrap();
        prop_assert_eq!(cap::parse(&bytes), Parsed::Complete(fields));
        // Cut anywhere: never malformed, only partial or a shorter whole.
        let at = cut.index(bytes.len());
        prop_assert!(!matches!(cap::parse(&bytes[..at]), Parsed::Malformed(_)));
    }

    #[test]
    fn caisse_ap_request_round_trips(
        pos in 0u8..100, amount in 0u64..=999_999_999_999, k in kind(),
        currency in 0u16..1000, private in text(99),
    ) {
        let r = CaisseApRequest { pos_number: pos, amount_cents: amount, kind: k, currency, private };
        let Parsed::Complete(f) = cap::parse(&r.encode().unwrap()) else {
            return Err(TestCaseError::fail("not complete"));
        };
        prop_assert_eq!(CaisseApRequest::from_fields(&f), Ok(r));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn drivers_survive_any_terminal_bytes(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
    ) {
        let settings = ConcertSettings {
            step_timeout: Duration::from_millis(2),
            answer_timeout: Duration::from_millis(5),
            long_answer: true,
        };
        let noise = Noise { chunks: chunks.clone().into(), armed: false };
        let mut t = ConcertTerminal::new(noise, settings);
        let _ = t.pay(&request());
        let _ = t.late_answer(Duration::from_millis(2));

        let mut once = Some(chunks);
        let settings = CaisseApSettings {
            step_timeout: Duration::from_millis(2),
            answer_timeout: Duration::from_millis(5),
            drain: Duration::from_millis(1),
            send_cf: true,
        };
        let mut t = CaisseApTerminal::with_connector(
            "noise",
            Box::new(move || Ok(Noise { chunks: once.take().unwrap_or_default().into(), armed: false })),
            settings,
        );
        let _ = t.pay(&request());
        let _ = t.late_answer(Duration::from_millis(2));
    }
}
