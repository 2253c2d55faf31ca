//! Mettler Toledo "standard continuous output": the scale streams its state
//! many times a second, the till only listens. The bytes, with no I/O.
//!
//! Layout followed: the "Standard Continuous Output" tables of Mettler
//! Toledo's terminal manuals (IND310, IND560 Technical Manual, appendix
//! "Continuous output format"), as recalled, not checked against a peer
//! implementation (none was at hand): every bit used here is listed below,
//! so a capture from a real terminal settles any doubt.
//!
//! ```text
//! STX SWA SWB SWC W W W W W W T T T T T T CR [CHK]
//! SWA  bits 0-2 decimal point: 0 = XX00, 1 = XXX0, 2 = XXXXXX,
//!      3 = XXXXX.X, 4 = XXXX.XX, 5 = XXX.XXX, 6 = XX.XXXX, 7 = X.XXXXX;
//!      bits 3-4 count-by (1 = x1, 2 = x2, 3 = x5); bit 5 always 1
//! SWB  bit 0 net; bit 1 negative; bit 2 out of range (over or under
//!      capacity); bit 3 in motion; bit 4 kg (0 = lb); bit 5 always 1;
//!      bit 6 not zeroed since power-up
//! SWC  bit 5 always 1 (the other bits: units, print request, hand tare)
//! W    displayed weight, 6 digits, no point, no sign
//! T    tare weight, 6 digits, same point
//! CHK  optional: two's complement of the 7-bit sum of STX..CR
//! ```

use rust_decimal::Decimal;

/// Start of a frame.
pub const STX: u8 = 0x02;
/// End of the frame's fields.
pub const CR: u8 = 0x0D;
/// STX .. CR inclusive.
pub const FRAME_LEN: usize = 17;

/// One frame, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The displayed weight, digits as sent.
    pub weight: u32,
    /// The tare, digits as sent.
    pub tare: u32,
    /// SWA's decimal point code, 0 to 7.
    pub point: u8,
    /// Net weight.
    pub net: bool,
    /// Below zero.
    pub negative: bool,
    /// Over (or with `negative`, under) the scale's range.
    pub out_of_range: bool,
    /// Still moving.
    pub motion: bool,
    /// Kilograms (pounds otherwise).
    pub kg: bool,
}

/// `digits` read with SWA's decimal point `code`.
fn scaled(digits: u32, code: u8) -> Decimal {
    match code {
        0 => Decimal::from(digits) * Decimal::from(100),
        1 => Decimal::from(digits) * Decimal::from(10),
        c => Decimal::new(i64::from(digits), u32::from(c.min(7) - 2)),
    }
}

impl Frame {
    /// The weight in the frame's unit (sign included).
    pub fn weight_value(&self) -> Decimal {
        let w = scaled(self.weight, self.point);
        if self.negative {
            -w
        } else {
            w
        }
    }

    /// The tare in the frame's unit.
    pub fn tare_value(&self) -> Decimal {
        scaled(self.tare, self.point)
    }

    /// The frame's bytes, with the checksum if `checksum`. `None` when a
    /// field does not fit (more than 6 digits, a point code above 7).
    pub fn encode(&self, checksum: bool) -> Option<Vec<u8>> {
        if self.weight > 999_999 || self.tare > 999_999 || self.point > 7 {
            return None;
        }
        // Count by 1 (bits 3-4 = 01); bit 5 set in all three.
        let swa = 0x20 | 0x08 | self.point;
        let swb = 0x20
            | u8::from(self.net)
            | u8::from(self.negative) << 1
            | u8::from(self.out_of_range) << 2
            | u8::from(self.motion) << 3
            | u8::from(self.kg) << 4;
        let swc = 0x20;
        let mut out = vec![STX, swa, swb, swc];
        out.extend_from_slice(format!("{:06}{:06}", self.weight, self.tare).as_bytes());
        out.push(CR);
        if checksum {
            out.push(checksum_of(&out));
        }
        Some(out)
    }

    /// Decode STX..CR (17 bytes).
    pub fn decode(bytes: &[u8]) -> Result<Frame, String> {
        let [STX, swa, swb, swc, fields @ .., CR] = bytes else {
            return Err("a frame is STX, 3 status bytes, 12 digits, CR".into());
        };
        if fields.len() != 12 {
            return Err(format!(
                "{} weight and tare characters, not 12",
                fields.len()
            ));
        }
        if swa & 0x20 == 0 || swb & 0x20 == 0 || swc & 0x20 == 0 {
            return Err("status byte without its fixed bit 5".into());
        }
        let number = |f: &[u8]| -> Result<u32, String> {
            // Leading zeros may be blanked to spaces.
            f.iter().try_fold(0u32, |acc, &b| match b {
                b'0'..=b'9' => Ok(acc * 10 + u32::from(b - b'0')),
                b' ' => Ok(acc * 10),
                _ => Err(format!("{:?} in a numeric field", b as char)),
            })
        };
        Ok(Frame {
            weight: number(&fields[..6])?,
            tare: number(&fields[6..])?,
            point: swa & 0x07,
            net: swb & 0x01 != 0,
            negative: swb & 0x02 != 0,
            out_of_range: swb & 0x04 != 0,
            motion: swb & 0x08 != 0,
            kg: swb & 0x10 != 0,
        })
    }
}

/// Two's complement of the 7-bit sum of `bytes`.
pub fn checksum_of(bytes: &[u8]) -> u8 {
    let sum = bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    sum.wrapping_neg() & 0x7F
}

/// What the stream reader saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A frame (with a good checksum, or none).
    Frame(Frame),
    /// Bytes that do not make a frame, kept for the technician.
    Bad(String, Vec<u8>),
}

/// Cuts the stream into frames. A frame is decided when the byte after its
/// CR arrives: an STX (no checksum in use) or its checksum.
#[derive(Debug, Default)]
pub struct Reader {
    buf: Vec<u8>,
    inside: bool,
    /// A complete STX..CR waiting for its checksum or the next STX.
    done: Option<Vec<u8>>,
}

impl Reader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one byte.
    pub fn push(&mut self, b: u8) -> Option<Event> {
        if let Some(frame) = self.done.take() {
            if b != STX {
                // The checksum byte.
                return Some(if checksum_of(&frame) == b & 0x7F {
                    decoded(&frame)
                } else {
                    let mut all = frame;
                    all.push(b);
                    Event::Bad("checksum does not match".into(), all)
                });
            }
            self.start();
            return Some(decoded(&frame));
        }
        if b == STX {
            // Always a new frame: status bytes have bit 5 set and the
            // fields are digits, so 0x02 is never inside one.
            self.start();
            return None;
        }
        if !self.inside {
            return None;
        }
        self.buf.push(b);
        if self.buf.len() == FRAME_LEN {
            self.inside = false;
            let frame = std::mem::take(&mut self.buf);
            if frame.last() == Some(&CR) {
                self.done = Some(frame);
                return None;
            }
            return Some(Event::Bad("no CR at the end of the frame".into(), frame));
        }
        None
    }

    fn start(&mut self) {
        self.buf.clear();
        self.buf.push(STX);
        self.inside = true;
    }
}

fn decoded(frame: &[u8]) -> Event {
    match Frame::decode(frame) {
        Ok(f) => Event::Frame(f),
        Err(e) => Event::Bad(e, frame.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn kg(weight: u32) -> Frame {
        Frame {
            weight,
            tare: 0,
            point: 5,
            net: false,
            negative: false,
            out_of_range: false,
            motion: false,
            kg: true,
        }
    }

    #[test]
    fn a_frame_round_trips_and_reads_its_point() {
        let f = kg(1234);
        let bytes = f.encode(true).unwrap();
        assert_eq!(&bytes[..4], &[STX, 0x2D, 0x30, 0x20]);
        assert_eq!(&bytes[4..16], b"001234000000");
        assert_eq!(Frame::decode(&bytes[..17]).unwrap(), f);
        assert_eq!(f.weight_value(), dec!(1.234));
        let mut r = Reader::new();
        let events: Vec<_> = bytes.iter().filter_map(|b| r.push(*b)).collect();
        assert_eq!(events, vec![Event::Frame(f.clone())]);
        // Without checksums a frame is decided by the next STX.
        let plain = f.encode(false).unwrap();
        let mut r = Reader::new();
        let mut two = plain.clone();
        two.extend(&plain);
        two.push(STX);
        assert_eq!(two.iter().filter_map(|b| r.push(*b)).count(), 2);
        assert_eq!(scaled(12, 0), dec!(1200));
        assert_eq!(scaled(12, 7), dec!(0.00012));
    }

    #[test]
    fn a_bad_checksum_is_reported_not_read() {
        let mut bytes = kg(500).encode(true).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let mut r = Reader::new();
        let events: Vec<_> = bytes.iter().filter_map(|b| r.push(*b)).collect();
        assert!(matches!(events.as_slice(), [Event::Bad(..)]), "{events:?}");
    }
}
