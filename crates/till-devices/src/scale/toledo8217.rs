//! The Toledo 8217 "weight only" request protocol: the bytes, with no I/O.
//!
//! Layout followed, checked against Odoo's hw_scale driver
//! (odoo/odoo 9.0-11.0 `addons/hw_scale/controllers/main.py`:
//! `Toledo8217Protocol`, `_toledo8217StatusParse`; the same frames in 12.0+
//! `addons/hw_drivers/iot_handlers/drivers/SerialScaleDriver.py`):
//!
//! ```text
//! till  -> scale   'W' weigh, 'Z' zero, 'T' tare, 'C' clear tare (no terminator)
//! scale -> till    STX [spaces] digits-with-point ['N'] CR     a stable weight, kg
//!                  STX [spaces] '?' status CR                  no weight: why
//! ```
//!
//! Odoo's regular expressions are `\x02\s*([0-9.]+)N?\r` and
//! `\x02\s*(\?.)\r`; its status bits (`_toledo8217StatusParse`): bit 0 in
//! motion, bit 1 over capacity, bit 2 negative (under zero), bit 3 outside
//! the zero capture range, bit 4 centre of zero, bit 5 net weight; a status
//! byte of 0 is "ok". Line settings there: 9600 baud, 7 data bits, even
//! parity, 1 stop bit.
//!
//! Bit 6 of the status byte is sent set here and ignored on reading (Odoo
//! reads only bits 0 to 5): it keeps the byte printable, and an over-capacity
//! status can never be 0x02, an STX. The reader takes the byte after `?` as
//! the status whatever its value, for scales that send it bare.

use rust_decimal::Decimal;

/// Start of text: every answer begins with it.
pub const STX: u8 = 0x02;
/// Carriage return: every answer ends with it.
pub const CR: u8 = 0x0D;
/// Ask for the weight.
pub const WEIGH: u8 = b'W';
/// Set the scale to zero (accepted only when stable and near zero).
pub const ZERO: u8 = b'Z';
/// Tare the load on the scale.
pub const TARE: u8 = b'T';
/// Clear the tare.
pub const CLEAR: u8 = b'C';

/// The longest answer accepted: a weight is 7 or 8 bytes; noise longer
/// than this is dropped instead of buffered.
pub const MAX_FRAME: usize = 24;

/// Largest weight the 6-character field written here holds ("99.999").
pub const MAX_KG: Decimal = Decimal::from_parts(99_999, 0, 0, false, 3);

/// The status byte that follows '?', bit by bit as Odoo reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u8);

impl Status {
    /// Bit 0: the load is still moving.
    pub fn motion(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit 1: more than the scale's capacity.
    pub fn over_capacity(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// Bit 2: below zero (a tare or zero taken with a load, since removed).
    pub fn negative(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Bit 3: outside the zero capture range.
    pub fn outside_zero_range(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// Bit 4: at the centre of zero (nothing on the scale).
    pub fn centre_of_zero(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// Bit 5: the weight would be a net weight.
    pub fn net(self) -> bool {
        self.0 & 0x20 != 0
    }
}

/// One answer from the scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A stable weight in kg; `net` when the scale marked it 'N'.
    Weight {
        /// The weight, kg.
        kg: Decimal,
        /// Net of a tare taken on the scale.
        net: bool,
    },
    /// No weight, and why.
    Status(Status),
}

/// The bytes of a weight answer: STX, the weight as "dd.ddd" (kg, three
/// decimals, as the Ariva-S and Viva send it), 'N' if net, CR. `None` if
/// the weight is negative or above [`MAX_KG`].
pub fn encode_weight(kg: Decimal, net: bool) -> Option<Vec<u8>> {
    if kg.is_sign_negative() || kg > MAX_KG {
        return None;
    }
    let grams = super::to_units(kg, 3)?;
    let mut out = vec![STX];
    out.extend_from_slice(format!("{:02}.{:03}", grams / 1000, grams % 1000).as_bytes());
    if net {
        out.push(b'N');
    }
    out.push(CR);
    Some(out)
}

/// The bytes of a status answer: STX '?' status CR (bit 6 set).
pub fn encode_status(status: Status) -> Vec<u8> {
    vec![STX, b'?', 0x40 | (status.0 & 0x3F), CR]
}

/// Decode one answer, STX to CR inclusive.
pub fn decode(frame: &[u8]) -> Result<Answer, String> {
    let body = frame
        .strip_prefix(&[STX])
        .and_then(|f| f.strip_suffix(&[CR]))
        .ok_or("an answer starts with STX and ends with CR")?;
    let body = trim_spaces(body);
    if let [b'?', status] = body {
        return Ok(Answer::Status(Status(*status & 0x3F)));
    }
    let (digits, net) = match body.strip_suffix(b"N") {
        Some(d) => (d, true),
        None => (body, false),
    };
    let well_formed = !digits.is_empty()
        && digits.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && digits.iter().filter(|b| **b == b'.').count() <= 1
        && digits.iter().any(u8::is_ascii_digit)
        && digits.len() <= 10;
    if !well_formed {
        return Err("neither a weight nor a '?' status".into());
    }
    // Only ASCII digits and one point: valid UTF-8 and a valid decimal.
    let text = std::str::from_utf8(digits).map_err(|e| e.to_string())?;
    let text = if text.starts_with('.') {
        format!("0{text}")
    } else {
        text.trim_end_matches('.').to_string()
    };
    let kg: Decimal = text.parse().map_err(|e| format!("weight {text:?}: {e}"))?;
    Ok(Answer::Weight { kg, net })
}

fn trim_spaces(mut b: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = b {
        b = rest;
    }
    b
}

/// Cuts the byte stream into answers: from STX to CR. Bytes outside a
/// frame are noise; a frame longer than [`MAX_FRAME`] is dropped.
#[derive(Debug, Default)]
pub struct Reader {
    buf: Vec<u8>,
    inside: bool,
}

impl Reader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one byte; a whole frame (STX..CR) when this byte ends one.
    pub fn push(&mut self, b: u8) -> Option<Vec<u8>> {
        // The byte after "STX [spaces] ?" is the status, whatever it is.
        let status_next = self.inside && self.buf.last() == Some(&b'?');
        if b == STX && !status_next {
            self.buf.clear();
            self.buf.push(b);
            self.inside = true;
            return None;
        }
        if !self.inside {
            return None;
        }
        self.buf.push(b);
        if b == CR {
            self.inside = false;
            return Some(std::mem::take(&mut self.buf));
        }
        if self.buf.len() > MAX_FRAME {
            self.inside = false;
            self.buf.clear();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn weights_and_statuses_as_odoo_reads_them() {
        assert_eq!(
            encode_weight(dec!(1.234), false).unwrap(),
            b"\x0201.234\r".to_vec()
        );
        assert_eq!(
            decode(b"\x02  0.455N\r").unwrap(),
            Answer::Weight {
                kg: dec!(0.455),
                net: true
            }
        );
        assert_eq!(decode(b"\x02?\x01\r").unwrap(), Answer::Status(Status(1)));
        assert_eq!(decode(b"\x02?A\r").unwrap(), Answer::Status(Status(1)));
        assert_eq!(encode_status(Status(2)), b"\x02?B\r".to_vec());
        assert!(Status(0x01).motion() && !Status(0x01).over_capacity());
        assert!(Status(0x02).over_capacity());
        assert!(Status(0x04).negative());
        assert!(Status(0x10).centre_of_zero());
        for bad in [
            &b"\x02\r"[..],
            b"\x021.2.3\r",
            b"\x02abc\r",
            b"1.0\r",
            b"\x02.",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        assert!(encode_weight(dec!(100), false).is_none());
        assert!(encode_weight(dec!(-1), false).is_none());
    }

    #[test]
    fn the_reader_finds_frames_in_noise() {
        let mut r = Reader::new();
        let mut got = Vec::new();
        for &b in b"xx\x0201.000\ryy\x02?\x04\r\x02?\x02\r" {
            if let Some(f) = r.push(b) {
                got.push(f);
            }
        }
        assert_eq!(
            got,
            vec![
                b"\x0201.000\r".to_vec(),
                b"\x02?\x04\r".to_vec(),
                b"\x02?\x02\r".to_vec()
            ]
        );
    }
}
