//! Unit tests of the scanner, and a timing run on a bench journal.

mod unit {
    use super::super::*;

    #[test]
    fn decimals_match_from_str() {
        for s in [
            "0",
            "1",
            "-1",
            "171.47",
            "0.00",
            "-3.53",
            "007.50",
            "123456789012345678",
            "0.00000000000000001",
        ] {
            assert_eq!(decimal(s.as_bytes()), s.parse::<Decimal>().ok(), "{s}");
            let d = decimal(s.as_bytes()).map(|d| d.scale());
            assert_eq!(d, s.parse::<Decimal>().ok().map(|d| d.scale()), "{s}");
        }
        for s in [
            "",
            "-",
            ".5",
            "5.",
            "1.2.3",
            "-0",
            "-0.00",
            "1e5",
            "+1",
            "1_0",
            " 1",
            "1234567890123456789",
        ] {
            assert_eq!(decimal(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn key_codes_tell_keys_apart() {
        let keys: [&[u8]; 9] = [
            b"kind",
            b"kinds",
            b"business_day",
            b"business_dax",
            b"abusiness_day",
            b"stock_tracked",
            b"stock_trackeD",
            b"",
            b"a_key_longer_than_16",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(code(a) == code(b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn special_bytes_are_found_in_words() {
        assert_eq!(special(u64::from_le_bytes(*b"Article ")), 0);
        for b in [b'"', b'\\', 0x00, 0x1f, b'\n', 0x80, 0xc3, 0xff] {
            for at in 0..8 {
                let mut w = *b"abcdefgh";
                w[at] = b;
                let m = special(u64::from_le_bytes(w));
                assert_eq!(m.trailing_zeros() / 8, at as u32, "{b} at {at}");
            }
        }
        let mut w = *b"a\"\x01\\bcde";
        assert_eq!(special(u64::from_le_bytes(w)).trailing_zeros() / 8, 1);
        w[1] = b'x';
        assert_eq!(special(u64::from_le_bytes(w)).trailing_zeros() / 8, 2);
    }
}

mod timing {
    use super::super::*;
    use crate::projections::{scanned_sale_effects, FxSink};
    use std::time::Instant;

    /// `BENCH_DB=... cargo test --release -p till-journal --lib timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn scan_timing() {
        let Ok(path) = std::env::var("BENCH_DB") else {
            return;
        };
        let c = rusqlite::Connection::open(path).unwrap();
        let mut st = c
            .prepare("SELECT payload FROM events WHERE kind = 'sale_completed' LIMIT 100000")
            .unwrap();
        let ps: Vec<Vec<u8>> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let n = ps.len() as f64;
        let time = |label: &str, f: &mut dyn FnMut(&[u8])| {
            let best = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    ps.iter().for_each(|p| f(p));
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::MAX, f64::min);
            eprintln!("{label}: {:.3} us", best / n * 1e6);
        };
        let mut scan = SaleScan::default();
        time("utf8 check", &mut |p| {
            assert!(std::str::from_utf8(p).is_ok())
        });
        time("scan", &mut |p| scan_sale(p, &mut scan).unwrap());
        struct Null;
        impl FxSink for Null {
            fn stock(&mut self, _: usize, _: &str, _: Decimal, _: &'static str) {}
            fn day(&mut self, _: NaiveDate, _: crate::projections::DayKey, _: Decimal) {}
            fn perpetual(&mut self, _: &'static str, _: Decimal) {}
            fn closing(&mut self, _: till_core::records::ClosingKind, _: &str, _: u64) {}
            fn link(&mut self, _: u64) {}
        }
        time("scan+effects", &mut |p| {
            scan_sale(p, &mut scan).unwrap();
            scanned_sale_effects(&scan, p, &mut Null).unwrap();
        });
        let mut sums = crate::verify_sums::Sums::default();
        sums.digest_key = 12345;
        time("scan+sums+digest", &mut |p| {
            scan_sale(p, &mut scan).unwrap();
            scanned_sale_effects(&scan, p, &mut sums).unwrap();
            sums.take_ledger_digest();
        });
        let mut items: Vec<String> = Vec::new();
        for p in &ps {
            scan_sale(p, &mut scan).unwrap();
            for l in &scan.lines {
                items.push(String::from_utf8(p[l.item.0..l.item.1].to_vec()).unwrap());
            }
        }
        let mut map: std::collections::HashMap<Box<str>, Decimal> = Default::default();
        let t = Instant::now();
        for it in &items {
            match map.get_mut(it.as_str()) {
                Some(v) => *v += Decimal::ONE,
                None => {
                    map.insert(it.as_str().into(), Decimal::ONE);
                }
            }
        }
        eprintln!(
            "hashmap per row: {:.1} ns ({} rows, {} items)",
            t.elapsed().as_secs_f64() / items.len() as f64 * 1e9,
            items.len(),
            map.len()
        );
        let mut buf = Vec::new();
        let t = Instant::now();
        for it in &items {
            crate::ledger_check::encode_row(&mut buf, 5, 1, it.as_bytes(), -Decimal::ONE, b"sale");
            if buf.len() > 100_000 {
                std::hint::black_box(crate::ledger_check::digest(1234, &buf));
                buf.clear();
            }
        }
        eprintln!(
            "encode+digest per row: {:.1} ns",
            t.elapsed().as_secs_f64() / items.len() as f64 * 1e9
        );
        time("serde effects", &mut |p| {
            crate::projections::effects_from_payload("sale_completed", p).unwrap();
        });
    }
}
