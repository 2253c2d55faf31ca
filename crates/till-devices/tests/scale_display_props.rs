//! Property tests: no byte a scale or a display link carries makes a
//! decoder, a reader, the screen interpreter or the scale driver panic;
//! what the encoders write the decoders read back unchanged.

use std::collections::VecDeque;
use std::time::Duration;

use proptest::prelude::*;
use rust_decimal::Decimal;
use till_devices::display::{layout, Charset, Screen, COLUMNS};
use till_devices::scale::continuous::{self, Frame};
use till_devices::scale::dialog06::{self, ScaleRecord, TillRecord};
use till_devices::scale::toledo8217::{self, Answer, Status};
use till_devices::scale::{Scale, ScaleProtocol, WeighRequest};
use till_devices::{DeviceError, Transport};

/// A scale that answers whatever it is asked with `chunks`, one per read.
struct Noise(VecDeque<Vec<u8>>);

impl Transport for Noise {
    fn write_all(&mut self, _: &[u8]) -> Result<(), DeviceError> {
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        match self.0.pop_front() {
            Some(c) if !c.is_empty() => {
                let n = c.len().min(buf.len());
                buf[..n].copy_from_slice(&c[..n]);
                Ok(n)
            }
            _ => Err(DeviceError::Timeout {
                what: "noise".into(),
                after: timeout,
            }),
        }
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn describe(&self) -> String {
        "noise".into()
    }
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..200)
}

/// Bytes rich in the protocols' own control characters.
fn protocol_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            Just(0x02u8),
            Just(0x03),
            Just(0x04),
            Just(0x05),
            Just(0x06),
            Just(0x0D),
            Just(0x15),
            Just(0x1B),
            Just(0x1F),
            Just(b'?'),
            Just(b'0'),
            Just(b'.'),
            any::<u8>()
        ],
        0..200,
    )
}

proptest! {
    #[test]
    fn no_bytes_make_a_decoder_or_reader_panic(a in bytes(), b in protocol_bytes()) {
        for input in [&a, &b] {
            let _ = toledo8217::decode(input);
            let _ = Frame::decode(input);
            let _ = ScaleRecord::decode(input);
            let _ = dialog06::decode_till(input);
            let mut r1 = toledo8217::Reader::new();
            let mut r2 = continuous::Reader::new();
            let mut r3 = dialog06::Reader::scale_side();
            let mut r4 = dialog06::Reader::till_side();
            for &x in input.iter() {
                if let Some(f) = r1.push(x) { let _ = toledo8217::decode(&f); }
                let _ = r2.push(x);
                if let Some(f) = r3.push(x) { let _ = ScaleRecord::decode(&f); }
                if let Some(f) = r4.push(x) { let _ = dialog06::decode_till(&f); }
            }
            for cs in [Charset::Pc858, Charset::Pc437] {
                let mut s = Screen::new(cs);
                s.feed(input);
                for line in s.lines() {
                    prop_assert_eq!(line.chars().count(), COLUMNS);
                }
            }
        }
    }

    #[test]
    fn the_scale_driver_never_panics_on_any_answer(
        chunks in prop::collection::vec(protocol_bytes(), 0..6),
        price in 0u32..2_000_000,
        tare in 0u32..20_000,
    ) {
        for p in [ScaleProtocol::Toledo8217, ScaleProtocol::Continuous, ScaleProtocol::Dialog06] {
            let mut scale = Scale::new(Noise(chunks.clone().into()), p, Duration::from_millis(5));
            let req = WeighRequest {
                unit_price: Some(Decimal::new(i64::from(price), 2)),
                tare_kg: Some(Decimal::new(i64::from(tare), 3)),
            };
            if let Ok(w) = scale.weigh(&req) {
                // A weight is only ever positive.
                prop_assert!(w.net_kg > Decimal::ZERO);
            }
            let _ = scale.state();
        }
    }

    #[test]
    fn toledo_weights_and_statuses_round_trip(grams in 0u32..=99_999, net: bool, bits in 0u8..0x40) {
        let kg = Decimal::new(i64::from(grams), 3);
        let w = toledo8217::encode_weight(kg, net).unwrap();
        prop_assert_eq!(toledo8217::decode(&w).unwrap(), Answer::Weight { kg, net });
        let s = toledo8217::encode_status(Status(bits));
        prop_assert_eq!(toledo8217::decode(&s).unwrap(), Answer::Status(Status(bits)));
        let mut r = toledo8217::Reader::new();
        let framed: Vec<_> = s.iter().filter_map(|b| r.push(*b)).collect();
        prop_assert_eq!(framed, vec![s.clone()]);
    }

    #[test]
    fn continuous_frames_round_trip(
        weight in 0u32..=999_999, tare in 0u32..=999_999, point in 0u8..8,
        net: bool, negative: bool, out_of_range: bool, motion: bool, kg: bool, checksum: bool,
    ) {
        let f = Frame { weight, tare, point, net, negative, out_of_range, motion, kg };
        let mut bytes = f.encode(checksum).unwrap();
        prop_assert_eq!(Frame::decode(&bytes[..continuous::FRAME_LEN]).unwrap(), f.clone());
        // Followed by the next frame's STX, with or without a checksum.
        bytes.push(continuous::STX);
        let mut r = continuous::Reader::new();
        let events: Vec<_> = bytes.iter().filter_map(|b| r.push(*b)).collect();
        prop_assert_eq!(events, vec![continuous::Event::Frame(f)]);
    }

    #[test]
    fn dialog06_records_round_trip(
        unit_cents in 0u32..=999_999, tare_g in 0u32..=9_999, decimals in 0u8..=9,
        weight in 0u32..=99_999, total in 0u32..=999_999, code in 0u8..=99,
    ) {
        for t in [TillRecord::Price { unit_cents }, TillRecord::PriceTare { unit_cents, tare_g },
                  TillRecord::Result, TillRecord::StatusRequest] {
            let bytes = t.encode().unwrap();
            prop_assert_eq!(dialog06::decode_till(&bytes).unwrap(), t);
        }
        for s in [ScaleRecord::Result { decimals, weight, unit_cents, total_cents: total },
                  ScaleRecord::Status(code), ScaleRecord::Ack, ScaleRecord::Nak] {
            let bytes = s.encode().unwrap();
            prop_assert_eq!(ScaleRecord::decode(&bytes).unwrap(), s);
        }
    }

    #[test]
    fn any_text_lays_out_to_twenty_columns_that_read_back(left in "\\PC{0,40}", right in "[0-9 ,€]{0,12}") {
        for cs in [Charset::Pc858, Charset::Pc437] {
            let line = layout(cs, &left, &right);
            let mut s = Screen::new(cs);
            s.feed(&till_devices::display::cmd::lines(
                till_devices::display::DisplayProtocol::Cd5220, &line, &[b' '; COLUMNS]));
            let shown: String = line.iter().map(|b| cs.decode_byte(*b)).collect();
            prop_assert_eq!(&s.lines()[0], &shown);
        }
    }
}
