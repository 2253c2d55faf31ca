//! Mettler Toledo "Checkout-Dialog 06": the till sends the unit price (and
//! tare), the scale weighs and answers weight, unit price and total, the
//! price a scale approved for trade vouches for. The bytes, with no I/O.
//!
//! Layout followed, checked against Coop IT Easy's Odoo hardware driver
//! "Mettler-Toledo Weighing Scale (Checkout-Dialog 06 Protocol) Hardware
//! Driver" (Robin Keunen, Vincent Van Rossem, 2019, AGPL-3; the PosBox side
//! of their `pos_toledo_product` module), `controllers/main.py`:
//! `Dialog06Protocol`, the `send_record_*` functions, `_get_raw_response`
//! (EOT after every answer), `_parse_weighing_result`,
//! `_parse_status_information`, `log_status`, `_handle_weighing_answer`:
//!
//! ```text
//! till  -> scale  EOT STX "01" ESC price(6) ESC ETX             unit price
//!                 EOT STX "03" ESC price(6) ESC tare(4) ETX      unit price and tare
//!                 EOT ENQ                                        "the result, please"
//!                 EOT STX "08" ETX                               "why the NAK?"
//!                 EOT                                            after every answer
//! scale -> till   ACK | NAK                                      to a price record
//!                 STX "02" ESC d ESC weight(5) ESC price(6) ESC total(6) ETX
//!                 STX "09" ESC status(2) ETX
//!                 STX "11" ESC d0 [z(2)] ETX                     checksum request
//! ```
//!
//! Prices in cents (Coop IT Easy sends "000000" to probe), tare in grams,
//! `d` the number of decimals of the weight (3: grams). Line settings:
//! 9600 baud, 7 data bits, odd parity, 1 stop bit. Record 03 is "unit price
//! and tare" as Coop IT Easy's `send_record_03` writes it (its dispatcher
//! calls it for a text instead: the record definitions are followed here).
//!
//! Status codes of record 09 (`log_status`): 00 no error, 01 general error,
//! 02 parity or buffer overflow, 10 invalid record number, 11 invalid unit
//! price, 12 invalid tare, 13 invalid text, 20 still in motion, 21 not in
//! motion since the last operation, 22 measurement not finished, 30 below
//! the minimum weight, 31 below zero, 32 overload.
//!
//! Record 11 (the scale asks the till for checksums, at power-up, after an
//! error and every 50 weighings) needs Mettler Toledo's generator
//! polynomial, which is not public (Coop IT Easy imports it from a module
//! kept out of its repository): it is recognised and reported, not answered.

/// End of transmission: starts every till record, answers every scale one.
pub const EOT: u8 = 0x04;
/// Start of text.
pub const STX: u8 = 0x02;
/// End of text.
pub const ETX: u8 = 0x03;
/// Field separator.
pub const ESC: u8 = 0x1B;
/// Enquiry: the till asks for the weighing result.
pub const ENQ: u8 = 0x05;
/// The scale took the record.
pub const ACK: u8 = 0x06;
/// The scale refused it (or has no result): ask record 08 why.
pub const NAK: u8 = 0x15;

/// Largest unit price, cents (6 digits).
pub const MAX_PRICE_CENTS: u32 = 999_999;
/// Largest tare, grams (4 digits).
pub const MAX_TARE_G: u32 = 9_999;
/// The longest record accepted; longer noise is dropped.
pub const MAX_RECORD: usize = 64;

/// What the till sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TillRecord {
    /// Record 01: unit price, cents.
    Price {
        /// Unit price per kg, cents.
        unit_cents: u32,
    },
    /// Record 03: unit price and tare.
    PriceTare {
        /// Unit price per kg, cents.
        unit_cents: u32,
        /// Tare, grams.
        tare_g: u32,
    },
    /// EOT ENQ: the weighing result.
    Result,
    /// Record 08: the status after a NAK.
    StatusRequest,
    /// EOT alone: end of an exchange.
    Eot,
}

impl TillRecord {
    /// The bytes; `None` if a number does not fit its field.
    pub fn encode(&self) -> Option<Vec<u8>> {
        let record = |no: &str, fields: &[String], trailing_esc: bool| {
            let mut out = vec![EOT, STX];
            out.extend_from_slice(no.as_bytes());
            for f in fields {
                out.push(ESC);
                out.extend_from_slice(f.as_bytes());
            }
            if trailing_esc {
                out.push(ESC);
            }
            out.push(ETX);
            out
        };
        Some(match self {
            TillRecord::Price { unit_cents } if *unit_cents <= MAX_PRICE_CENTS => {
                record("01", &[format!("{unit_cents:06}")], true)
            }
            TillRecord::PriceTare { unit_cents, tare_g }
                if *unit_cents <= MAX_PRICE_CENTS && *tare_g <= MAX_TARE_G =>
            {
                record(
                    "03",
                    &[format!("{unit_cents:06}"), format!("{tare_g:04}")],
                    false,
                )
            }
            TillRecord::Result => vec![EOT, ENQ],
            TillRecord::StatusRequest => record("08", &[], false),
            TillRecord::Eot => vec![EOT],
            _ => return None,
        })
    }
}

/// What the scale sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleRecord {
    /// Record taken.
    Ack,
    /// Refused, or no result: ask why with record 08.
    Nak,
    /// Record 02: the weighing result.
    Result {
        /// Decimals of `weight` (3: grams).
        decimals: u8,
        /// Net weight, digits as sent (5).
        weight: u32,
        /// Unit price the scale used, cents.
        unit_cents: u32,
        /// Total price the scale computed, cents.
        total_cents: u32,
    },
    /// Record 09: status code (two digits, as a number: 20 = motion).
    Status(u8),
    /// Record 11: the scale asks for checksums (`d0`, random `z`).
    ChecksumRequest {
        /// '0' checksums invalid, '1' valid, '2' a request with z.
        d0: u8,
        /// The random number, two hex characters.
        z: Option<[u8; 2]>,
    },
}

impl ScaleRecord {
    /// The bytes; `None` if a number does not fit its field.
    pub fn encode(&self) -> Option<Vec<u8>> {
        let record = |no: &str, fields: &[Vec<u8>]| {
            let mut out = vec![STX];
            out.extend_from_slice(no.as_bytes());
            for f in fields {
                out.push(ESC);
                out.extend_from_slice(f);
            }
            out.push(ETX);
            out
        };
        Some(match self {
            ScaleRecord::Ack => vec![ACK],
            ScaleRecord::Nak => vec![NAK],
            ScaleRecord::Result {
                decimals,
                weight,
                unit_cents,
                total_cents,
            } => {
                if *decimals > 9
                    || *weight > 99_999
                    || *unit_cents > MAX_PRICE_CENTS
                    || *total_cents > MAX_PRICE_CENTS
                {
                    return None;
                }
                record(
                    "02",
                    &[
                        vec![b'0' + decimals],
                        format!("{weight:05}").into_bytes(),
                        format!("{unit_cents:06}").into_bytes(),
                        format!("{total_cents:06}").into_bytes(),
                    ],
                )
            }
            ScaleRecord::Status(code) if *code <= 99 => {
                record("09", &[format!("{code:02}").into_bytes()])
            }
            ScaleRecord::ChecksumRequest { d0, z } => {
                let mut f = vec![*d0];
                if let Some(z) = z {
                    f.extend_from_slice(z);
                }
                record("11", &[f])
            }
            ScaleRecord::Status(_) => return None,
        })
    }

    /// Decode an answer: ACK, NAK, or STX .. ETX.
    pub fn decode(bytes: &[u8]) -> Result<ScaleRecord, String> {
        match bytes {
            [ACK] => return Ok(ScaleRecord::Ack),
            [NAK] => return Ok(ScaleRecord::Nak),
            _ => {}
        }
        let body = bytes
            .strip_prefix(&[STX])
            .and_then(|b| b.strip_suffix(&[ETX]))
            .ok_or("a record starts with STX and ends with ETX")?;
        let mut fields = body.split(|b| *b == ESC);
        let no = fields.next().unwrap_or_default();
        let rest: Vec<&[u8]> = fields.collect();
        match (no, rest.as_slice()) {
            (b"02", [d, w, p, t]) => {
                let decimals = match d {
                    [c @ b'0'..=b'9'] => c - b'0',
                    _ => return Err("record 02: the decimals field is one digit".into()),
                };
                Ok(ScaleRecord::Result {
                    decimals,
                    weight: digits(w, 5, "weight")?,
                    unit_cents: digits(p, 6, "unit price")?,
                    total_cents: digits(t, 6, "total price")?,
                })
            }
            (b"09", [s]) => Ok(ScaleRecord::Status(digits(s, 2, "status")? as u8)),
            (b"11", [f]) => match f {
                [d0] => Ok(ScaleRecord::ChecksumRequest { d0: *d0, z: None }),
                [d0, z1, z2] if z1.is_ascii_hexdigit() && z2.is_ascii_hexdigit() => {
                    Ok(ScaleRecord::ChecksumRequest {
                        d0: *d0,
                        z: Some([*z1, *z2]),
                    })
                }
                _ => Err("record 11: d0 and two hex digits".into()),
            },
            _ => Err(format!(
                "record {:?} with {} fields is not one a scale sends",
                String::from_utf8_lossy(no),
                rest.len()
            )),
        }
    }
}

/// Exactly `n` ASCII digits as a number.
fn digits(f: &[u8], n: usize, what: &str) -> Result<u32, String> {
    if f.len() != n || !f.iter().all(u8::is_ascii_digit) {
        return Err(format!("{what}: {n} digits expected"));
    }
    Ok(f.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
}

/// Decode what the till sends (the simulator's side).
pub fn decode_till(bytes: &[u8]) -> Result<TillRecord, String> {
    match bytes {
        [EOT] => return Ok(TillRecord::Eot),
        [EOT, ENQ] => return Ok(TillRecord::Result),
        _ => {}
    }
    let body = bytes
        .strip_prefix(&[EOT, STX])
        .and_then(|b| b.strip_suffix(&[ETX]))
        .ok_or("a till record is EOT STX .. ETX, EOT ENQ or EOT")?;
    let mut fields = body.split(|b| *b == ESC);
    let no = fields.next().unwrap_or_default();
    let rest: Vec<&[u8]> = fields.collect();
    match (no, rest.as_slice()) {
        (b"01", [p, []]) => Ok(TillRecord::Price {
            unit_cents: digits(p, 6, "unit price")?,
        }),
        (b"03", [p, t]) => Ok(TillRecord::PriceTare {
            unit_cents: digits(p, 6, "unit price")?,
            tare_g: digits(t, 4, "tare")?,
        }),
        (b"08", []) => Ok(TillRecord::StatusRequest),
        _ => Err(format!(
            "record {:?} is not one this till sends",
            String::from_utf8_lossy(no)
        )),
    }
}

/// Cuts a byte stream into records: ACK, NAK, STX..ETX from the scale;
/// EOT, EOT ENQ, EOT STX..ETX from the till (`from_till`).
#[derive(Debug, Default)]
pub struct Reader {
    buf: Vec<u8>,
    from_till: bool,
}

impl Reader {
    /// A reader of the scale's answers.
    pub fn scale_side() -> Self {
        Self::default()
    }

    /// A reader of the till's records (the simulator's).
    pub fn till_side() -> Self {
        Self {
            buf: Vec::new(),
            from_till: true,
        }
    }

    /// Feed one byte; a whole record when this byte ends one.
    pub fn push(&mut self, b: u8) -> Option<Vec<u8>> {
        if self.from_till {
            return self.push_till(b);
        }
        if self.buf.is_empty() {
            return match b {
                ACK | NAK => Some(vec![b]),
                STX => {
                    self.buf.push(b);
                    None
                }
                _ => None,
            };
        }
        self.buf.push(b);
        if b == ETX {
            return Some(std::mem::take(&mut self.buf));
        }
        if self.buf.len() > MAX_RECORD {
            self.buf.clear();
        }
        None
    }

    fn push_till(&mut self, b: u8) -> Option<Vec<u8>> {
        match (self.buf.as_slice(), b) {
            // An EOT ends whatever came before and may start a record.
            ([], EOT) | ([EOT], EOT) => {
                let had = !self.buf.is_empty();
                self.buf = vec![EOT];
                had.then(|| vec![EOT])
            }
            ([EOT], ENQ) => {
                self.buf.clear();
                Some(vec![EOT, ENQ])
            }
            ([EOT], STX) => {
                self.buf.push(STX);
                None
            }
            ([EOT], _) => {
                // A lone EOT followed by something else: the EOT was whole.
                self.buf.clear();
                Some(vec![EOT])
            }
            ([], _) => None,
            (_, ETX) => {
                self.buf.push(ETX);
                Some(std::mem::take(&mut self.buf))
            }
            _ => {
                self.buf.push(b);
                if self.buf.len() > MAX_RECORD {
                    self.buf.clear();
                }
                None
            }
        }
    }

    /// A lone EOT still held (the till sends nothing after its last EOT):
    /// the simulator calls this when the line goes quiet.
    pub fn flush_eot(&mut self) -> Option<Vec<u8>> {
        (self.buf.as_slice() == [EOT]).then(|| {
            self.buf.clear();
            vec![EOT]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_as_coop_it_easy_writes_and_reads_them() {
        assert_eq!(
            TillRecord::Price { unit_cents: 1290 }.encode().unwrap(),
            b"\x04\x0201\x1b001290\x1b\x03".to_vec()
        );
        assert_eq!(
            TillRecord::PriceTare {
                unit_cents: 1290,
                tare_g: 15
            }
            .encode()
            .unwrap(),
            b"\x04\x0203\x1b001290\x1b0015\x03".to_vec()
        );
        let r = ScaleRecord::decode(b"\x0202\x1b3\x1b01234\x1b001290\x1b001592\x03").unwrap();
        assert_eq!(
            r,
            ScaleRecord::Result {
                decimals: 3,
                weight: 1234,
                unit_cents: 1290,
                total_cents: 1592
            }
        );
        assert_eq!(
            ScaleRecord::decode(b"\x0209\x1b20\x03").unwrap(),
            ScaleRecord::Status(20)
        );
        assert!(ScaleRecord::decode(b"\x0202\x1b3\x1b1234\x1b001290\x1b001592\x03").is_err());
        assert!(TillRecord::Price {
            unit_cents: 1_000_000
        }
        .encode()
        .is_none());
    }

    #[test]
    fn the_till_side_reader_splits_eot_enq_and_records() {
        let mut r = Reader::till_side();
        let mut got = Vec::new();
        let stream = [
            TillRecord::Price { unit_cents: 5 }.encode().unwrap(),
            vec![EOT],
            vec![EOT, ENQ],
            vec![EOT],
            TillRecord::StatusRequest.encode().unwrap(),
        ]
        .concat();
        for b in stream {
            got.extend(r.push(b));
        }
        got.extend(r.flush_eot());
        let decoded: Vec<_> = got.iter().map(|g| decode_till(g).unwrap()).collect();
        assert_eq!(
            decoded,
            vec![
                TillRecord::Price { unit_cents: 5 },
                TillRecord::Eot,
                TillRecord::Result,
                TillRecord::Eot,
                TillRecord::StatusRequest
            ]
        );
    }
}
