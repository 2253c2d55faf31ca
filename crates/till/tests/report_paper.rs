//! The X and Z printouts on 32-, 42- and 48-column paper: every line fits,
//! the shop's header, the till, the cashier and the period are printed, the
//! count's difference is printed with its amount; and the exact bytes sent to
//! the printer match the golden files in hw-fixtures/reports/ (regenerate
//! with `UPDATE_GOLDEN=1 cargo test --release -p till --test report_paper`,
//! then review the diff).

use chrono::NaiveDate;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::path::PathBuf;
use till::report::{render, report_bytes, Figures, Paper};
use till_core::records::{ClosingKind, PeriodTotals};
use till_core::vat::VatLine;
use till_core::VatRate;
use till_devices::error::{hex, parse_hex};
use till_devices::escpos::{pc858, Interpreter};

fn figures(closed: bool) -> Figures {
    let line = |rate, base, tax, total| VatLine {
        rate: VatRate::percent(rate).unwrap(),
        base,
        tax,
        total,
    };
    let totals = PeriodTotals {
        records: 1287,
        net_total: dec!(12345.67),
        sales_total: dec!(12400.17),
        refunds_total: dec!(-54.50),
        by_tender: BTreeMap::from([
            ("cash".to_string(), dec!(2345.60)),
            ("card".to_string(), dec!(9876.07)),
            ("cheque".to_string(), dec!(124.00)),
        ]),
        by_vat: vec![
            line(dec!(5.5), dec!(9478.67), dec!(521.33), dec!(10000.00)),
            line(dec!(10), dec!(1234.55), dec!(123.45), dec!(1358.00)),
            line(dec!(20), dec!(822.89), dec!(164.78), dec!(987.67)),
        ],
        cash_in: dec!(150.00),
        cash_out: dec!(1000.00),
    };
    Figures {
        kind: ClosingKind::Day,
        period: "2026-12-03".into(),
        closing_seq: closed.then_some(4711),
        totals,
        grand: dec!(1234567.89),
        grand_abs: dec!(1240000.12),
        counted: if closed {
            // Cash: 2 345,60 + 150 - 1 000 = 1 495,60 expected, 1 495,10 counted.
            BTreeMap::from([
                ("cash".to_string(), dec!(1495.10)),
                ("card".to_string(), dec!(9876.07)),
                ("cheque".to_string(), dec!(124.00)),
            ])
        } else {
            BTreeMap::new()
        },
    }
}

fn paper(width: usize, shop: &till_core::ShopInfo) -> Paper<'_> {
    Paper {
        shop: Some(shop),
        width,
        lang: comptoir_i18n::Lang::Fr,
        cashier: Some("Camille"),
        printed_at: NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|d| d.and_hms_opt(19, 42, 0)),
        tenders: &[],
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../hw-fixtures/reports")
}

/// Hex, one printed line per row with its text as a comment (as the receipt
/// fixtures are written).
fn annotate(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.split_inclusive(|&b| b == b'\n') {
        let text: String = chunk
            .iter()
            .map(|&b| {
                if b >= 0x20 && b != 0x7F {
                    pc858::decode_byte(b)
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "{}\n    # {}\n",
            hex(chunk),
            text.trim_end_matches('.')
        ));
    }
    out
}

fn golden(name: &str, width: usize, what: &str, bytes: &[u8]) {
    let path = dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        let header = format!(
            "\
# {what} on {width}-column paper (font A; {paper}), PC858, as the till prints it:
# till::report::render of the figures in crates/till/tests/report_paper.rs, in
# French, then till::report::report_bytes (regenerate with UPDATE_GOLDEN=1
# cargo test --release -p till --test report_paper, and review the diff).
# Layout: the shop's identification (name, address, SIRET, VAT number), the till,
# the cashier, the period and the time of printing, then the cumulated totals, as
# the French tax doctrine on cash registers asks of closing records
# (BOI-TVA-DECLA-30-10-30); amounts as French readers write them (1 234,50 EUR).
# Commands, all from [APG] (Epson ESC/POS Application Programming Guide):
#   1B 40 ESC @ init | 1B 74 13 ESC t 19 = PC858 [CCT] | 0A LF
#   1B 64 03 ESC d 3 feed 3 lines | 1D 56 42 03 GS V 66 3: feed and partial cut
# Text bytes are PC858: D5 = euro sign, 82 = e acute, 90 = E acute, 8A = e grave.
",
            paper = if width == 32 { "58 mm" } else { "80 mm" },
        );
        std::fs::write(&path, format!("{header}{}", annotate(bytes))).unwrap();
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    let expected = parse_hex(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        hex(bytes),
        hex(&expected),
        "{name}: rerun with UPDATE_GOLDEN=1 if the change is intended"
    );
}

#[test]
fn x_and_z_fit_32_42_and_48_columns_and_match_their_golden_bytes() {
    let shop = till::app::demo_shop();
    for width in [32, 42, 48] {
        for closed in [false, true] {
            let text = render("T1", &figures(closed), &paper(width, &shop));
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{width} columns: {line:?} is {} long\n{text}",
                    line.chars().count()
                );
            }
            for needle in [
                "Épicerie Comptoir (démo)",
                "12 rue des Halles",
                "SIRET 12345678900012",
                "TVA intracom. FR32123456789",
                "Caisse",
                "Camille",
                "03/12/2026",
                "19:42",
                "12 345,67 €",
                "1 234 567,89 €",
            ] {
                assert!(text.contains(needle), "{width}: {needle:?} missing\n{text}");
            }
            if closed {
                // The difference is printed, with its amount, within the paper.
                assert!(text.contains("ÉCART"), "{text}");
                assert!(text.contains("-0,50 €"), "{text}");
                assert!(text.contains("n° 4711"), "{text}");
            }
            let bytes = report_bytes(&text, 19);
            // What the printer makes of it: the same lines, none wrapped.
            let mut printer = Interpreter::new(width);
            printer.feed(&bytes);
            assert!(printer.text().contains("Grand total perpétuel"));
            let name = format!("{}-{width}.hex", if closed { "z" } else { "x" });
            let what = if closed {
                "Z report (daily closing, signed, with a cash count and a difference)"
            } else {
                "X report (a reading of the day, nothing closed)"
            };
            golden(&name, width, what, &bytes);
        }
    }
}

#[test]
fn a_report_without_header_still_fits_and_says_nothing_of_a_shop() {
    let text = render("T1", &figures(true), &Paper::default());
    assert!(text.lines().all(|l| l.chars().count() <= 42), "{text}");
    assert!(text.contains("TICKET Z"));
    assert!(!text.contains("SIRET"));
}
