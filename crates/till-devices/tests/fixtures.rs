//! The golden byte streams in hw-fixtures/, checked against the drivers.

use std::path::PathBuf;
use std::time::Duration;

use till_devices::error::{hex, parse_hex};
use till_devices::escpos::core_receipt::{french_example, render_receipt};
use till_devices::escpos::receipt::Layout;
use till_devices::escpos::status::{ErrorCause, OfflineCause, PaperStatus, PrinterStatus};
use till_devices::escpos::{pc858, FullStatus, Interpreter, Printer};
use till_devices::scanner::{Code, FrameConfig, Framer, ScanError, WedgeDecoder};
use till_devices::transport::MemoryTransport;
use till_devices::DeviceError;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../hw-fixtures")
}

fn load(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_hex(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Hex dump, one printed line per row, with the text as a comment.
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

#[test]
fn french_receipt_matches_its_golden_bytes() {
    let bytes = render_receipt(&french_example(), Layout::default()).unwrap();
    let path = dir().join("receipts/french-receipt.hex");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let header = "\
# A full French receipt (DUPLICATA, two VAT rates, split tender, QR), 80 mm paper,
# 48 columns: the till_core::receipt::Receipt of
# till_devices::escpos::core_receipt::french_example(), rendered by core_receipt::render_receipt
# (the one receipt renderer; regenerate with UPDATE_GOLDEN=1 cargo test -p till-devices --test fixtures).
# Commands, all from [APG] (Epson ESC/POS Application Programming Guide):
#   1B 40 ESC @ init | 1B 74 13 ESC t 19 = PC858 [CCT] | 1B 61 n ESC a align
#   1B 45 n ESC E bold | 1D 21 n GS ! size (11 = double width+height) | 0A LF
#   1D 28 6B ... GS ( k QR: 31 41 model 2, 31 43 module size, 31 45 EC level M,
#   31 50 30 store, 31 51 30 print | 1D 56 42 03 GS V 66 3: feed and partial cut
# Text bytes are PC858: D5 = euro sign, 82 = e acute, 8A = e grave, 88 = e circumflex.
# The oe ligature (not in PC858) is printed as \"oe\".
";
        std::fs::write(&path, format!("{header}{}", annotate(&bytes))).unwrap();
    }
    let golden = load("receipts/french-receipt.hex");
    assert_eq!(
        hex(&bytes),
        hex(&golden),
        "rerun with UPDATE_GOLDEN=1 if the change is intended"
    );
    // And it reads back as the receipt it is.
    let mut paper = Interpreter::new(48);
    paper.feed(&golden);
    let text = paper.text();
    for needle in [
        "DUPLICATA",
        "Côtes-du-Rhône rouge",
        "Boeuf haché",
        "22,15 €",
        "Rendu",
        "[QR T1-000042|Xq3f9LkA]",
    ] {
        let spaced: String = needle.chars().flat_map(|c| [c, ' ']).collect();
        assert!(
            text.contains(needle) || text.contains(spaced.trim_end()),
            "{needle} missing in\n{text}"
        );
    }
}

#[test]
fn domain_receipt_matches_its_golden_bytes() {
    use till_devices::escpos::core_receipt::sample_receipt;
    let mut r = sample_receipt(6);
    r.duplicate = Some(1);
    r.training = true;
    let bytes = render_receipt(&r, Layout::default()).unwrap();
    let path = dir().join("receipts/domain-receipt-training-duplicata.hex");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let header = "\
# till_core::receipt::Receipt rendered by till_devices::escpos::core_receipt::render_receipt
# (sample_receipt(6), reprint 1, training mode), 80 mm paper, 48 columns.
# Same commands as french-receipt.hex [APG]; the QR (GS ( k) carries \"sale_no|signature\".
# Training mode: FORMATION in double size (1D 21 11) at the top and the bottom.
";
        std::fs::write(&path, format!("{header}{}", annotate(&bytes))).unwrap();
    }
    let golden = load("receipts/domain-receipt-training-duplicata.hex");
    assert_eq!(
        hex(&bytes),
        hex(&golden),
        "rerun with UPDATE_GOLDEN=1 if the change is intended"
    );
}

fn status_of(name: &str) -> FullStatus {
    let b = load(name);
    FullStatus {
        printer: PrinterStatus::decode(b[0]).unwrap(),
        offline: OfflineCause::decode(b[1]).unwrap(),
        error: ErrorCause::decode(b[2]).unwrap(),
        paper: PaperStatus::decode(b[3]).unwrap(),
    }
}

#[test]
fn status_fixtures_decode_to_their_condition() {
    assert!(status_of("status/ready.hex").ready());
    let s = status_of("status/paper-out.hex");
    assert!(s.paper.end && s.offline.paper_end_stop && s.printer.offline && !s.ready());
    let s = status_of("status/cover-open.hex");
    assert!(s.offline.cover_open && !s.paper.end);
    let s = status_of("status/paper-near-end.hex");
    assert!(s.paper.near_end && !s.paper.end && s.ready());
    let s = status_of("status/drawer-open.hex");
    assert!(s.printer.drawer_pin3_high && s.ready());
    let s = status_of("status/cutter-jam.hex");
    assert!(s.error.cutter && s.offline.error && !s.ready());
    for b in load("status/garbage.hex") {
        assert!(matches!(
            PrinterStatus::decode(b),
            Err(DeviceError::Garbage { .. })
        ));
    }
}

#[test]
fn asb_block_before_the_reply_on_the_wire() {
    let mut m = MemoryTransport::new();
    m.push_reply(&load("status/asb-then-reply.hex"));
    let mut p = Printer::new(m, Duration::from_millis(20));
    assert!(p.offline_cause().unwrap().cover_open);
    let asb = p.last_auto_status.unwrap();
    assert!(asb.cover_open && asb.offline);
}

fn frames(name: &str) -> Vec<Result<till_devices::scanner::Scan, ScanError>> {
    let mut f = Framer::new(FrameConfig::default());
    f.push(&load(name), std::time::Instant::now())
        .into_iter()
        .map(|r| r.and_then(till_devices::scanner::validate))
        .collect()
}

#[test]
fn serial_scanner_streams() {
    let plain = frames("scanner/serial-cr-plain.hex");
    let syms: Vec<String> = plain
        .iter()
        .map(|r| r.as_ref().unwrap().code.symbology())
        .collect();
    assert_eq!(syms, ["ean13", "ean8", "upc_a"]);

    let aim = frames("scanner/serial-crlf-aim.hex");
    assert_eq!(aim.len(), 4);
    assert_eq!(aim[0].as_ref().unwrap().aim.as_deref(), Some("]E0"));
    match &aim[2].as_ref().unwrap().code {
        Code::Gs1(g) => {
            assert_eq!(g.batch.as_deref(), Some("LOT42"));
            assert!(g.expiry.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(aim[3].as_ref().unwrap().code, Code::Other { .. }));

    let g = frames("scanner/serial-garbage.hex");
    assert!(matches!(g[0], Err(ScanError::Garbled { .. })), "{g:?}");
    assert!(g[1].is_ok());
    assert!(matches!(g[2], Err(ScanError::Invalid { .. })));
    assert!(g[3].is_ok());
    assert!(matches!(g[4], Err(ScanError::TooLong { .. })));
    assert!(g[5].is_ok());
    assert_eq!(g.len(), 6);
}

#[test]
fn wedge_stream_is_layout_independent() {
    let mut d = WedgeDecoder::new(64);
    let out = d.push_bytes(&load("scanner/wedge-ean13.hex"));
    assert_eq!(out.len(), 1);
    let frame = out.into_iter().next().unwrap().unwrap();
    assert_eq!(frame.data, "3017620422003");
    let scan = till_devices::scanner::validate(frame).unwrap();
    assert_eq!(scan.code.symbology(), "ean13");
}
