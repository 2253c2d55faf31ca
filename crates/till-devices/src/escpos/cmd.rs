//! ESC/POS commands as exact bytes.
//!
//! Every byte here is taken from the Epson "ESC/POS Application Programming
//! Guide" and the TM-T20/TM-T88 command references; each command has a golden
//! test below. Commands are free functions returning fixed arrays where the
//! length is fixed, so a wrong length is a compile error, not a jammed printer.

use crate::DeviceError;

/// ESC @: initialize printer (clears styles, keeps the code page on most models
/// but not all, so the code page is always set again after it).
pub const INIT: [u8; 2] = [0x1B, 0x40];

/// Code page number of PC858 (Euro) for `ESC t n`.
pub const CODE_PAGE_PC858: u8 = 19;

/// ESC t n: select character code table.
pub fn code_page(n: u8) -> [u8; 3] {
    [0x1B, 0x74, n]
}

/// Text alignment for `ESC a n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// n = 0
    Left = 0,
    /// n = 1
    Center = 1,
    /// n = 2
    Right = 2,
}

/// ESC a n: justification.
pub fn align(a: Align) -> [u8; 3] {
    [0x1B, 0x61, a as u8]
}

/// ESC E n: emphasized (bold) on/off.
pub fn bold(on: bool) -> [u8; 3] {
    [0x1B, 0x45, on as u8]
}

/// GS ! n: character size, width and height multipliers 1..=8 (clamped).
/// Bits 4-6 hold width-1, bits 0-2 height-1.
pub fn size(width: u8, height: u8) -> [u8; 3] {
    let w = width.clamp(1, 8) - 1;
    let h = height.clamp(1, 8) - 1;
    [0x1D, 0x21, (w << 4) | h]
}

/// ESC d n: print and feed n lines.
pub fn feed(lines: u8) -> [u8; 3] {
    [0x1B, 0x64, lines]
}

/// How to cut the paper (`GS V`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// GS V 0: full cut at the current position.
    Full,
    /// GS V 1: partial cut (one point left uncut) at the current position.
    Partial,
    /// GS V 65 n: feed n motion units past the cutter, then full cut.
    FeedFull(u8),
    /// GS V 66 n: feed n motion units past the cutter, then partial cut. What
    /// receipts use: the header clears the cutter and the slip stays hinged.
    FeedPartial(u8),
}

/// As the rendered paper shows it ("partial cut, feed 3"), not the Rust name.
impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cut::Full => write!(f, "full cut"),
            Cut::Partial => write!(f, "partial cut"),
            Cut::FeedFull(n) => write!(f, "full cut, feed {n}"),
            Cut::FeedPartial(n) => write!(f, "partial cut, feed {n}"),
        }
    }
}

/// GS V: cut. Returns a 3- or 4-byte command.
///
/// Note: models with a partial-cut-only cutter (TM-T20 family) perform a
/// partial cut for every m; the bytes are still the ones the manual gives.
pub fn cut(c: Cut) -> Vec<u8> {
    match c {
        Cut::Full => vec![0x1D, 0x56, 0x00],
        Cut::Partial => vec![0x1D, 0x56, 0x01],
        Cut::FeedFull(n) => vec![0x1D, 0x56, 0x41, n],
        Cut::FeedPartial(n) => vec![0x1D, 0x56, 0x42, n],
    }
}

/// Which drawer kick-out connector pin fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
pub enum DrawerPin {
    /// Connector pin 2 (m = 0): the usual first drawer.
    #[default]
    #[serde(rename = "2")]
    Pin2,
    /// Connector pin 5 (m = 1): a second drawer, or drawers wired to 5.
    #[serde(rename = "5")]
    Pin5,
}

impl DrawerPin {
    /// The `m` parameter of `ESC p` and `DLE DC4`.
    pub fn m(self) -> u8 {
        match self {
            DrawerPin::Pin2 => 0,
            DrawerPin::Pin5 => 1,
        }
    }
    /// From the pin number, 2 or 5.
    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            2 => Some(DrawerPin::Pin2),
            5 => Some(DrawerPin::Pin5),
            _ => None,
        }
    }
    /// The pin number as till.toml and `--pin` write it: 2 or 5.
    pub fn number(self) -> u8 {
        match self {
            DrawerPin::Pin2 => 2,
            DrawerPin::Pin5 => 5,
        }
    }
    /// The other connector pin: what to try when a drawer does not open.
    pub fn other(self) -> Self {
        match self {
            DrawerPin::Pin2 => DrawerPin::Pin5,
            DrawerPin::Pin5 => DrawerPin::Pin2,
        }
    }
}

/// "pin 2": as a technician reads it, never the Rust name.
impl std::fmt::Display for DrawerPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pin {}", self.number())
    }
}

/// ESC p m t1 t2: drawer kick pulse, ON for t1 x 2 ms then OFF for t2 x 2 ms.
/// Always 5 bytes: printers that get `ESC p m` without t1 t2 wait for them
/// and swallow the next two bytes of the receipt (or never fire).
/// `on_ms`/`off_ms` are rounded up to 2 ms units and clamped to 2..=510 ms;
/// off is at least on, as the manual requires.
pub fn drawer_pulse(pin: DrawerPin, on_ms: u16, off_ms: u16) -> [u8; 5] {
    let t1 = on_ms.div_ceil(2).clamp(1, 255) as u8;
    let t2 = (off_ms.div_ceil(2).clamp(1, 255) as u8).max(t1);
    [0x1B, 0x70, pin.m(), t1, t2]
}

/// DLE DC4 1 m t: real-time drawer pulse, ON for t x 100 ms (t clamped 1..=8).
/// Executed even when the printer is offline (cover open, paper out), which
/// `ESC p` is not, since that one waits in the print buffer.
pub fn realtime_pulse(pin: DrawerPin, on_100ms: u8) -> [u8; 5] {
    [0x10, 0x14, 0x01, pin.m(), on_100ms.clamp(1, 8)]
}

/// DLE EOT n: real-time status transmission, n = 1..=4. Exactly 3 bytes
/// (no trailing NUL: a printer would print it or take it as the next command).
pub fn status_request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// GS ( H fn 48, "transmit process ID response": `1D 28 48 06 00 30 30
/// d1 d2 d3 d4`, each d in '0'..='9' (Epson ESC/POS Command Reference,
/// GS ( H). Unlike DLE EOT, which the printer answers the moment the bytes
/// arrive (before buffered print data has printed), this one is processed in
/// sequence with the print data: the printer answers [`PROCESS_ID_HEADER`]
/// d1..d4 NUL only once everything sent before it has been printed. An
/// offline printer (paper out mid-receipt) never answers it.
pub fn process_id_request(id: [u8; 4]) -> [u8; 11] {
    let d = id.map(|b| if b.is_ascii_digit() { b } else { b'0' });
    [
        0x1D, 0x28, 0x48, 0x06, 0x00, 0x30, 0x30, d[0], d[1], d[2], d[3],
    ]
}

/// First two bytes of the answer to [`process_id_request`] (then d1..d4, NUL).
/// 0x37 cannot be a DLE EOT reply (bit 0 set) nor an ASB first byte (bits
/// 0-1 set), so the answer is never confused with status bytes.
pub const PROCESS_ID_HEADER: [u8; 2] = [0x37, 0x22];

/// GS a n: enable (n = bit mask) or disable (0) automatic status back.
pub fn auto_status_back(mask: u8) -> [u8; 3] {
    [0x1D, 0x61, mask]
}

/// GS h n: bar code height in dots.
pub fn barcode_height(dots: u8) -> [u8; 3] {
    [0x1D, 0x68, dots.max(1)]
}

/// GS w n: bar code module width (2..=6).
pub fn barcode_width(n: u8) -> [u8; 3] {
    [0x1D, 0x77, n.clamp(2, 6)]
}

/// GS H n: human-readable text position (0 none, 1 above, 2 below, 3 both).
pub fn barcode_hri(n: u8) -> [u8; 3] {
    [0x1D, 0x48, n.min(3)]
}

/// Bar code systems of `GS k` function B (m = 65..).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarcodeKind {
    /// m = 65, 11 or 12 digits.
    UpcA,
    /// m = 67, 12 or 13 digits.
    Ean13,
    /// m = 68, 7 or 8 digits.
    Ean8,
    /// m = 73, code set B text (the `{B` prefix is added here).
    Code128,
}

/// GS k m n d1..dn (function B). Validates length and characters so a bad
/// code never turns into garbage on paper. A full-length EAN-13 (13 digits),
/// EAN-8 (8) or UPC-A (12) must carry the right check digit
/// (`till_core::barcode`, the same rule the scanner side applies), else
/// [`DeviceError::Barcode`]; the short forms (12, 7, 11 digits) leave the
/// check digit to the printer, which computes it.
pub fn barcode(kind: BarcodeKind, data: &str) -> Result<Vec<u8>, DeviceError> {
    let bad = |why: &str| DeviceError::InvalidCommand(format!("barcode {data:?}: {why}"));
    let digits_only = data.bytes().all(|b| b.is_ascii_digit());
    let check = |full_len: usize| -> Result<(), DeviceError> {
        if data.len() == full_len {
            till_core::barcode::verify_gs1_check_digit(data).map_err(|source| {
                DeviceError::Barcode {
                    data: data.to_string(),
                    source,
                }
            })?;
        }
        Ok(())
    };
    let (m, payload): (u8, Vec<u8>) = match kind {
        BarcodeKind::UpcA if digits_only && (11..=12).contains(&data.len()) => {
            check(12)?;
            (65, data.as_bytes().to_vec())
        }
        BarcodeKind::Ean13 if digits_only && (12..=13).contains(&data.len()) => {
            check(13)?;
            (67, data.as_bytes().to_vec())
        }
        BarcodeKind::Ean8 if digits_only && (7..=8).contains(&data.len()) => {
            check(8)?;
            (68, data.as_bytes().to_vec())
        }
        BarcodeKind::Code128 => {
            if !data.bytes().all(|b| (0x20..0x7F).contains(&b)) || data.is_empty() {
                return Err(bad("code 128 set B takes printable ASCII only"));
            }
            // A literal '{' must be sent as "{{" inside code 128 data.
            let mut p = b"{B".to_vec();
            for b in data.bytes() {
                p.push(b);
                if b == b'{' {
                    p.push(b'{');
                }
            }
            (73, p)
        }
        _ => return Err(bad("wrong length or non-digit characters")),
    };
    if payload.len() > 255 {
        return Err(bad("too long"));
    }
    let mut out = vec![0x1D, 0x6B, m, payload.len() as u8];
    out.extend_from_slice(&payload);
    Ok(out)
}

/// QR error correction level (`GS ( k` fn 169).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrEc {
    /// 7 %
    L = 48,
    /// 15 %
    M = 49,
    /// 25 %
    Q = 50,
    /// 30 %
    H = 51,
}

/// The five `GS ( k` commands that print a QR code: select model 2, module
/// size, error correction, store the data, print it.
pub fn qr(data: &[u8], module: u8, ec: QrEc) -> Result<Vec<u8>, DeviceError> {
    // Store: pL pH count the 3 bytes cn fn m plus the data; 7089 is the
    // manual's upper bound for the data.
    if data.is_empty() || data.len() > 7089 {
        return Err(DeviceError::InvalidCommand(format!(
            "QR data of {} bytes",
            data.len()
        )));
    }
    let store_len = data.len() + 3;
    let mut out = Vec::with_capacity(data.len() + 40);
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]); // model 2
    out.extend_from_slice(&[
        0x1D,
        0x28,
        0x6B,
        0x03,
        0x00,
        0x31,
        0x43,
        module.clamp(1, 16),
    ]);
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, ec as u8]);
    out.extend_from_slice(&[
        0x1D,
        0x28,
        0x6B,
        (store_len & 0xFF) as u8,
        (store_len >> 8) as u8,
        0x31,
        0x50,
        0x30,
    ]);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]); // print
    Ok(out)
}

/// GS v 0 m xL xH yL yH d: print a raster bit image, normal density (m = 0).
/// `width_bytes` is bytes per row (8 dots each); `rows` is the dot height;
/// `bits` holds rows x width_bytes bytes, MSB = leftmost dot, 1 = black.
pub fn raster(width_bytes: u16, rows: u16, bits: &[u8]) -> Result<Vec<u8>, DeviceError> {
    let expected = width_bytes as usize * rows as usize;
    if bits.len() != expected || expected == 0 {
        return Err(DeviceError::InvalidCommand(format!(
            "raster image: {} bytes for {width_bytes}x{rows} (expected {expected})",
            bits.len()
        )));
    }
    let mut out = Vec::with_capacity(8 + bits.len());
    out.extend_from_slice(&[
        0x1D,
        0x76,
        0x30,
        0x00,
        (width_bytes & 0xFF) as u8,
        (width_bytes >> 8) as u8,
        (rows & 0xFF) as u8,
        (rows >> 8) as u8,
    ]);
    out.extend_from_slice(bits);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_id_request_bytes() {
        assert_eq!(
            process_id_request(*b"0042"),
            [0x1D, 0x28, 0x48, 0x06, 0x00, 0x30, 0x30, 0x30, 0x30, 0x34, 0x32]
        );
        // Non-digits would be ignored by the printer: never sent.
        assert_eq!(process_id_request(*b"x1y2")[7..], *b"0102");
    }

    #[test]
    fn init_and_code_page() {
        assert_eq!(INIT, [0x1B, 0x40]);
        assert_eq!(code_page(CODE_PAGE_PC858), [0x1B, 0x74, 0x13]);
    }

    #[test]
    fn align_bold_size_feed() {
        assert_eq!(align(Align::Left), [0x1B, 0x61, 0x00]);
        assert_eq!(align(Align::Center), [0x1B, 0x61, 0x01]);
        assert_eq!(align(Align::Right), [0x1B, 0x61, 0x02]);
        assert_eq!(bold(true), [0x1B, 0x45, 0x01]);
        assert_eq!(bold(false), [0x1B, 0x45, 0x00]);
        assert_eq!(size(1, 1), [0x1D, 0x21, 0x00]);
        assert_eq!(size(2, 2), [0x1D, 0x21, 0x11]);
        assert_eq!(size(2, 1), [0x1D, 0x21, 0x10]);
        assert_eq!(size(8, 8), [0x1D, 0x21, 0x77]);
        assert_eq!(size(0, 9), [0x1D, 0x21, 0x07]);
        assert_eq!(feed(3), [0x1B, 0x64, 0x03]);
    }

    #[test]
    fn cuts_are_what_they_say() {
        assert_eq!(cut(Cut::Full), vec![0x1D, 0x56, 0x00]);
        assert_eq!(cut(Cut::Partial), vec![0x1D, 0x56, 0x01]);
        assert_eq!(cut(Cut::FeedFull(3)), vec![0x1D, 0x56, 0x41, 0x03]);
        // The partial cut with feed is m = 66 (0x42), not 65: 65 is a full cut.
        assert_eq!(cut(Cut::FeedPartial(3)), vec![0x1D, 0x56, 0x42, 0x03]);
    }

    #[test]
    fn drawer_pulse_is_five_bytes_with_times() {
        assert_eq!(
            drawer_pulse(DrawerPin::Pin2, 100, 200),
            [0x1B, 0x70, 0x00, 0x32, 0x64]
        );
        assert_eq!(
            drawer_pulse(DrawerPin::Pin5, 120, 240),
            [0x1B, 0x70, 0x01, 0x3C, 0x78]
        );
        // off shorter than on is raised to on; out of range is clamped.
        assert_eq!(
            drawer_pulse(DrawerPin::Pin2, 100, 10),
            [0x1B, 0x70, 0x00, 0x32, 0x32]
        );
        assert_eq!(
            drawer_pulse(DrawerPin::Pin2, 0, 9999),
            [0x1B, 0x70, 0x00, 0x01, 0xFF]
        );
    }

    #[test]
    fn realtime_pulse_and_status_requests() {
        assert_eq!(
            realtime_pulse(DrawerPin::Pin2, 2),
            [0x10, 0x14, 0x01, 0x00, 0x02]
        );
        assert_eq!(
            realtime_pulse(DrawerPin::Pin5, 0),
            [0x10, 0x14, 0x01, 0x01, 0x01]
        );
        assert_eq!(
            realtime_pulse(DrawerPin::Pin5, 20),
            [0x10, 0x14, 0x01, 0x01, 0x08]
        );
        for n in 1..=4 {
            // Exactly three bytes: no NUL after n.
            assert_eq!(status_request(n), [0x10, 0x04, n]);
        }
        assert_eq!(auto_status_back(0xFF), [0x1D, 0x61, 0xFF]);
        assert_eq!(auto_status_back(0), [0x1D, 0x61, 0x00]);
    }

    #[test]
    fn barcodes() {
        assert_eq!(
            barcode(BarcodeKind::Ean13, "4006381333931").unwrap(),
            [&[0x1D, 0x6B, 67, 13][..], b"4006381333931"].concat()
        );
        assert_eq!(
            barcode(BarcodeKind::Ean8, "96385074").unwrap(),
            [&[0x1D, 0x6B, 68, 8][..], b"96385074"].concat()
        );
        assert_eq!(
            barcode(BarcodeKind::UpcA, "036000291452").unwrap(),
            [&[0x1D, 0x6B, 65, 12][..], b"036000291452"].concat()
        );
        assert_eq!(
            barcode(BarcodeKind::Code128, "T1-{42").unwrap(),
            [&[0x1D, 0x6B, 73, 9][..], b"{BT1-{{42"].concat()
        );
        assert!(barcode(BarcodeKind::Ean13, "40063813339").is_err());
        // Wrong check digits are refused with a typed error, nothing emitted.
        for (kind, data) in [
            (BarcodeKind::Ean13, "4006381333932"),
            (BarcodeKind::Ean8, "96385075"),
            (BarcodeKind::UpcA, "036000291453"),
        ] {
            assert!(
                matches!(
                    barcode(kind, data),
                    Err(DeviceError::Barcode {
                        source: till_core::barcode::BarcodeError::BadCheckDigit { .. },
                        ..
                    })
                ),
                "{data}"
            );
        }
        // Without the check digit the printer adds it: accepted as is.
        assert_eq!(
            barcode(BarcodeKind::Ean13, "400638133393").unwrap()[..4],
            [0x1D, 0x6B, 67, 12]
        );
        assert!(barcode(BarcodeKind::Ean8, "9638507A").is_err());
        assert!(barcode(BarcodeKind::Code128, "caf\u{e9}").is_err());
        assert_eq!(barcode_height(80), [0x1D, 0x68, 80]);
        assert_eq!(barcode_width(3), [0x1D, 0x77, 3]);
        assert_eq!(barcode_hri(2), [0x1D, 0x48, 2]);
    }

    #[test]
    fn qr_is_model_size_ec_store_print() {
        let q = qr(b"AB", 6, QrEc::M).unwrap();
        let expected: Vec<u8> = [
            &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00][..],
            &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06],
            &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31],
            &[0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, b'A', b'B'],
            &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30],
        ]
        .concat();
        assert_eq!(q, expected);
        // pL pH little-endian for long data
        let long = vec![b'x'; 300];
        let q = qr(&long, 4, QrEc::L).unwrap();
        assert_eq!(&q[28..31], &[0x2F, 0x01, 0x31]);
        assert!(qr(b"", 4, QrEc::L).is_err());
    }

    #[test]
    fn raster_header() {
        let r = raster(2, 2, &[0xFF, 0x00, 0x0F, 0xF0]).unwrap();
        assert_eq!(
            r,
            vec![0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0x00, 0x0F, 0xF0]
        );
        assert!(raster(2, 2, &[0xFF]).is_err());
    }
}
