//! Golden scale and customer-display bytes in hw-fixtures/scale/ and
//! hw-fixtures/display/: the encoders must produce exactly these bytes and
//! the decoders (the driver's, the simulator's screen) read them back.
//! Regenerate after an intended change with
//! `UPDATE_GOLDEN=1 cargo test --release -p till-devices --test fixtures_scale_display`,
//! then review the diff against the sources named in each file.

use std::path::PathBuf;

use rust_decimal::Decimal;
use till_devices::display::{cmd, layout, Charset, DisplayProtocol, Screen};
use till_devices::error::{hex, parse_hex};
use till_devices::scale::continuous::{self, Frame};
use till_devices::scale::dialog06::{self, ScaleRecord, TillRecord};
use till_devices::scale::toledo8217::{self, Answer, Status};

const ODOO: &str = "\
# Source: Odoo's hw_scale driver, odoo/odoo addons/hw_scale/controllers/main.py (9.0-11.0):
# Toledo8217Protocol (weightCommand 'W', zeroCommand 'Z', weightRegexp \\x02\\s*([0-9.]+)N?\\r,
# statusRegexp \\x02\\s*(\\?.)\\r) and _toledo8217StatusParse (bit 0 moving, 1 over capacity,
# 2 negative, 3 outside zero capture range, 4 centre of zero, 5 net). Checked against: those
# regular expressions and bit tests, byte by byte. Bit 6 of a status byte is set by comptoir
# (Odoo ignores it) so that it stays printable and never reads as STX.
";

const CONTINUOUS: &str = "\
# Source: Mettler Toledo 'standard continuous output' as tabled in its terminal manuals
# (IND310 / IND560 technical manuals, continuous output format): STX SWA SWB SWC, 6 weight
# digits, 6 tare digits, CR, checksum (two's complement of the 7-bit sum of STX..CR).
# Checked against: those tables as recalled; no peer implementation was at hand, so each
# bit used is named below (SWA bits 0-2 point, 3-4 count-by, 5 = 1; SWB bit 0 net, 1 negative,
# 2 out of range, 3 motion, 4 kg, 5 = 1; SWC bit 5 = 1).
";

const COOP: &str = "\
# Source: Coop IT Easy's Odoo driver 'Mettler-Toledo Weighing Scale (Checkout-Dialog 06
# Protocol) Hardware Driver' (2019, AGPL-3; the PosBox side of pos_toledo_product),
# controllers/main.py: Dialog06Protocol (EOT STX, ESC separators, ETX; 9600 7O1),
# send_record_01/03/08, send_eot_enq, _parse_weighing_result (record 02: ESC-separated
# decimals, weight 5, unit price 6, total 6), _parse_status_information (record 09),
# log_status (status codes), _parse_checksums_request (record 11). Checked against: those
# functions' format strings and slice offsets, field by field.
";

const DISPLAY: &str = "\
# Source: LCDproc serialPOS drivers, lcdproc/lcdproc server/drivers/serialPOS_epson.c
# (ESC @, US C n cursor, US $ x y position, US X n brightness) and serialPOS_cd5220.c
# (ESC @, ESC _ n cursor, ESC Q A / ESC Q B line + CR, ESC * n); node-escpos/driver
# packages/screen/src/commands.ts (CLR 0C, US MD1 1F 01 overwrite mode); Epson ESC t n
# (19 = PC858) as for the printer; PC858 and PC437 tables: Epson Character Code Tables
# pages 19 and 0. Checked against: those constants byte by byte; the text bytes against the
# tables (each French letter tested in display::charset).
";

fn dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../hw-fixtures")
        .join(sub)
}

/// Hex, 16 bytes a line, each line followed by its printable text.
fn annotated(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(16) {
        let text: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7F).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("{:<48}# {text}\n", hex(chunk)));
    }
    out
}

/// Compare `bytes` with the fixture (or write it with UPDATE_GOLDEN=1).
fn golden(sub: &str, name: &str, source: &str, what: &str, bytes: &[u8]) {
    let path = dir(sub).join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let text = format!("# {what}\n{source}{}", annotated(bytes));
        std::fs::write(&path, text).unwrap();
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(parse_hex(&text).unwrap(), bytes, "{name}");
    assert!(
        text.contains("Source:") && text.contains("Checked against:"),
        "{name} cites nothing"
    );
}

fn kg(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn toledo_8217_frames() {
    golden(
        "scale",
        "toledo8217-request-weigh.hex",
        ODOO,
        "till -> scale: W, the weight please",
        b"W",
    );
    golden(
        "scale",
        "toledo8217-request-zero.hex",
        ODOO,
        "till -> scale: Z, set to zero",
        b"Z",
    );
    let cases: [(&str, &str, Vec<u8>, Answer); 5] = [
        (
            "toledo8217-answer-weight.hex",
            "scale -> till: stable 1.234 kg (STX \"01.234\" CR)",
            toledo8217::encode_weight(kg("1.234"), false).unwrap(),
            Answer::Weight {
                kg: kg("1.234"),
                net: false,
            },
        ),
        (
            "toledo8217-answer-net.hex",
            "scale -> till: stable net 0.455 kg (STX \"00.455\" N CR)",
            toledo8217::encode_weight(kg("0.455"), true).unwrap(),
            Answer::Weight {
                kg: kg("0.455"),
                net: true,
            },
        ),
        (
            "toledo8217-answer-motion.hex",
            "scale -> till: no weight, status bit 0 (moving): STX ? 0x41 CR",
            toledo8217::encode_status(Status(0x01)),
            Answer::Status(Status(0x01)),
        ),
        (
            "toledo8217-answer-overload.hex",
            "scale -> till: no weight, status bit 1 (over capacity): STX ? 0x42 CR",
            toledo8217::encode_status(Status(0x02)),
            Answer::Status(Status(0x02)),
        ),
        (
            "toledo8217-answer-underload.hex",
            "scale -> till: no weight, status bit 2 (negative): STX ? 0x44 CR",
            toledo8217::encode_status(Status(0x04)),
            Answer::Status(Status(0x04)),
        ),
    ];
    for (name, what, bytes, answer) in cases {
        golden("scale", name, ODOO, what, &bytes);
        assert_eq!(toledo8217::decode(&bytes).unwrap(), answer, "{name}");
    }
}

#[test]
fn continuous_frames() {
    let base = Frame {
        weight: 1234,
        tare: 0,
        point: 5,
        net: false,
        negative: false,
        out_of_range: false,
        motion: false,
        kg: true,
    };
    let cases = [
        (
            "continuous-stable.hex",
            "scale -> till: stable 1.234 kg, point code 5 (XXX.XXX), kg, checksum",
            base.clone(),
        ),
        (
            "continuous-motion.hex",
            "scale -> till: SWB bit 3, in motion",
            Frame {
                motion: true,
                ..base.clone()
            },
        ),
        (
            "continuous-overload.hex",
            "scale -> till: SWB bit 2, out of range (over)",
            Frame {
                out_of_range: true,
                weight: 0,
                ..base.clone()
            },
        ),
        (
            "continuous-underload.hex",
            "scale -> till: SWB bits 1 and 2, negative and out of range",
            Frame {
                out_of_range: true,
                negative: true,
                weight: 0,
                ..base.clone()
            },
        ),
    ];
    for (name, what, frame) in cases {
        let bytes = frame.encode(true).unwrap();
        golden("scale", name, CONTINUOUS, what, &bytes);
        let mut r = continuous::Reader::new();
        let events: Vec<_> = bytes.iter().filter_map(|b| r.push(*b)).collect();
        assert_eq!(events, vec![continuous::Event::Frame(frame)], "{name}");
    }
}

#[test]
fn dialog06_records() {
    let till = [
        (
            "dialog06-till-price.hex",
            "till -> scale: record 01, unit price 12.90 EUR/kg",
            TillRecord::Price { unit_cents: 1290 },
        ),
        (
            "dialog06-till-price-tare.hex",
            "till -> scale: record 03, unit price 12.90 EUR/kg, tare 15 g",
            TillRecord::PriceTare {
                unit_cents: 1290,
                tare_g: 15,
            },
        ),
        (
            "dialog06-till-result-request.hex",
            "till -> scale: EOT ENQ, the weighing result please",
            TillRecord::Result,
        ),
        (
            "dialog06-till-status-request.hex",
            "till -> scale: record 08, why the NAK",
            TillRecord::StatusRequest,
        ),
    ];
    for (name, what, record) in till {
        let bytes = record.encode().unwrap();
        golden("scale", name, COOP, what, &bytes);
        let mut r = dialog06::Reader::till_side();
        let mut got: Vec<_> = bytes.iter().filter_map(|b| r.push(*b)).collect();
        got.extend(r.flush_eot());
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(dialog06::decode_till(&got[0]).unwrap(), record, "{name}");
    }
    let scale = [
        ("dialog06-scale-result.hex", "scale -> till: record 02, 3 decimals, 0.455 kg, 12.90 EUR/kg, total 5.87 EUR (the scale's)", ScaleRecord::Result { decimals: 3, weight: 455, unit_cents: 1290, total_cents: 587 }),
        ("dialog06-scale-status-motion.hex", "scale -> till: record 09, status 20 (still in motion)", ScaleRecord::Status(20)),
        ("dialog06-scale-status-overload.hex", "scale -> till: record 09, status 32 (overload)", ScaleRecord::Status(32)),
        ("dialog06-scale-checksum-request.hex", "scale -> till: record 11, d0 '2' with random z 'A7' (checksums asked: reported, not answered)", ScaleRecord::ChecksumRequest { d0: b'2', z: Some(*b"A7") }),
    ];
    for (name, what, record) in scale {
        let bytes = record.encode().unwrap();
        golden("scale", name, COOP, what, &bytes);
        let mut r = dialog06::Reader::scale_side();
        let got: Vec<_> = bytes.iter().filter_map(|b| r.push(*b)).collect();
        assert_eq!(ScaleRecord::decode(&got[0]).unwrap(), record, "{name}");
    }
}

#[test]
fn display_screens() {
    let french = |p: DisplayProtocol| {
        let cs = p.default_charset();
        let mut b = cmd::init(
            p,
            (p == DisplayProtocol::Epson).then(|| cs.epson_code_page()),
        );
        b.extend(cmd::lines(
            p,
            &layout(cs, "Crème brûlée", "4,50 €"),
            &layout(cs, "Total à payer", "12,90 €"),
        ));
        b
    };
    let cases = [
        ("epson-init-pc858.hex", "till -> display: ESC @, ESC t 19 (PC858), US C 0 (cursor off), US MD1 (overwrite)", DisplayProtocol::Epson, cmd::init(DisplayProtocol::Epson, Some(19)), None),
        ("epson-clear.hex", "till -> display: CLR", DisplayProtocol::Epson, cmd::clear(), Some(["                    ", "                    "])),
        ("epson-line-french.hex", "till -> display: init, then both lines at US $ 1 1 and US $ 1 2, PC858 (e grave 8A, u circumflex 96, e acute 82, a grave 85, euro D5)", DisplayProtocol::Epson, french(DisplayProtocol::Epson), Some(["Crème brûlée  4,50 €", "Total à paye 12,90 €"])),
        ("cd5220-line-french.hex", "till -> display: ESC @, ESC _ 0, then ESC Q A / ESC Q B lines ended by CR, PC437 (no euro: EUR)", DisplayProtocol::Cd5220, french(DisplayProtocol::Cd5220), Some(["Crème brûlé 4,50 EUR", "Total à pa 12,90 EUR"])),
    ];
    for (name, what, p, bytes, shown) in cases {
        golden("display", name, DISPLAY, what, &bytes);
        let mut s = Screen::new(p.default_charset());
        s.feed(&bytes);
        assert_eq!(s.unknown, 0, "{name}");
        if let Some([a, b]) = shown {
            assert_eq!(s.lines(), [a.to_string(), b.to_string()], "{name}");
        }
    }
    // PC858's euro and accents are the printer's.
    assert_eq!(Charset::Pc858.encode("è€"), vec![0x8A, 0xD5]);
}
