//! Unit tests of the scanner.

mod unit {
    use super::super::*;
    use crate::view::lexer::special;

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
