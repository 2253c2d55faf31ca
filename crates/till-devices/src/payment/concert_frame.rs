//! Concert frames: the bytes, with no I/O.
//!
//! Layout followed (protocol "E+", Concert V2 fixed fields with the V3-style
//! `A`/`B` options), checked against akretion/pypostelium
//! pypostelium/pypostelium.py (`send_message`, `parse_terminal_answer`) and
//! Ousret/pyTeliumManager telium/payment.py + telium/constant.py
//! (`TeliumAsk.encode`, `TeliumResponse.decode`, answer sizes 28 and 83):
//!
//! ```text
//! frame    = STX body ETX LRC         LRC = XOR of body and ETX
//! request  = pos(2) amount(8) answer-flag(1) mode(1) type(1)
//!            currency(3) private(10) "A01"delay(1) "B01"forced-auth(1)   34 chars
//! answer   = pos(2) status(1) amount(8) mode(1) [report(55)]
//!            currency(3) private(10)                          25 or 80 chars
//! ```
//!
//! answer-flag '1' asks for the long answer with the 55-character report
//! (the card number, as ISO 2 track data); type '0' debit, '1' credit
//! (money back to the card); delay '0' answers at the end of the
//! transaction; status '0' approved, '7' refused or abandoned.

use super::link::{mask_all, masked_pan_in, scheme_for_code};
use super::{PaymentAnswer, PaymentKind};

/// Start of text.
pub const STX: u8 = 0x02;
/// End of text.
pub const ETX: u8 = 0x03;
/// End of transmission.
pub const EOT: u8 = 0x04;
/// Enquiry: "may I send?".
pub const ENQ: u8 = 0x05;
/// Acknowledge.
pub const ACK: u8 = 0x06;
/// Negative acknowledge: "bad frame, send it again".
pub const NAK: u8 = 0x15;

/// Length of a request body.
pub const REQUEST_LEN: usize = 34;
/// Length of a short answer body.
pub const SHORT_ANSWER_LEN: usize = 25;
/// Length of a long answer body (with the 55-character report).
pub const LONG_ANSWER_LEN: usize = 80;
/// Length of the report in a long answer.
pub const REPORT_LEN: usize = 55;
/// Length of the private field.
pub const PRIVATE_LEN: usize = 10;
/// Largest amount the 8-digit field holds, in cents.
pub const MAX_AMOUNT: u64 = 99_999_999;

/// XOR of `bytes`: Concert's LRC over everything after STX up to and
/// including ETX. Every field is ASCII, so the LRC stays below 0x80 too and
/// whole frames pass a 7-bit (7E1) line.
pub fn lrc(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

/// STX + body + ETX + LRC.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(body.len() + 3);
    f.push(STX);
    f.extend_from_slice(body);
    f.push(ETX);
    f.push(lrc(&f[1..]));
    f
}

/// A payment request as Concert carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcertRequest {
    /// Till number, 0..=99.
    pub pos_number: u8,
    /// Amount in cents, at most [`MAX_AMOUNT`].
    pub amount_cents: u64,
    /// Ask for the long answer (with the card report).
    pub long_answer: bool,
    /// Payment mode: '1' card, 'C' cheque.
    pub mode: u8,
    /// Debit or credit.
    pub kind: PaymentKind,
    /// ISO 4217 numeric.
    pub currency: u16,
    /// Private field, up to 10 printable characters (space padded).
    pub private: String,
    /// Delay option: false = answer at the end of the transaction ("A010").
    pub immediate: bool,
    /// Forced authorisation option ("B011" when true, "B010" otherwise).
    pub forced_auth: bool,
}

impl ConcertRequest {
    /// The 34-character body.
    pub fn body(&self) -> Vec<u8> {
        let s = format!(
            "{:02}{:08}{}{}{}{:03}{:<10.10}A01{}B01{}",
            self.pos_number % 100,
            self.amount_cents.min(MAX_AMOUNT),
            if self.long_answer { '1' } else { '0' },
            self.mode as char,
            match self.kind {
                PaymentKind::Debit => '0',
                PaymentKind::Refund => '1',
            },
            self.currency % 1000,
            self.private,
            if self.immediate { '1' } else { '0' },
            if self.forced_auth { '1' } else { '0' },
        );
        s.into_bytes()
    }

    /// The whole frame.
    pub fn encode(&self) -> Vec<u8> {
        frame(&self.body())
    }

    /// Read a request body (what a terminal, or the simulator, does).
    pub fn decode_body(body: &[u8]) -> Result<Self, String> {
        if body.len() != REQUEST_LEN {
            return Err(format!(
                "request is {} characters, Concert E+ has {REQUEST_LEN}",
                body.len()
            ));
        }
        if &body[26..29] != b"A01" || &body[30..33] != b"B01" {
            return Err("request options are not A01x B01x".into());
        }
        Ok(Self {
            pos_number: digits(&body[0..2], "POS number")? as u8,
            amount_cents: digits(&body[2..10], "amount")?,
            long_answer: flag(body[10], "answer flag")?,
            mode: body[11],
            kind: match body[12] {
                b'0' => PaymentKind::Debit,
                b'1' => PaymentKind::Refund,
                b => return Err(format!("transaction type {:?} unknown", b as char)),
            },
            currency: digits(&body[13..16], "currency")? as u16,
            private: text(&body[16..26])?.trim_end().to_string(),
            immediate: flag(body[29], "delay")?,
            forced_auth: flag(body[33], "authorisation")?,
        })
    }
}

/// A terminal's answer as Concert carries it. Built by [`Self::decode_body`]
/// it never holds a full card number: the report is masked on the way in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcertAnswer {
    /// Till number echoed.
    pub pos_number: u8,
    /// '0' approved, '7' refused or abandoned, others: not carried out.
    pub status: u8,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Emitter code of the card application used.
    pub mode: u8,
    /// The 55-character report of a long answer.
    pub report: Option<String>,
    /// ISO 4217 numeric.
    pub currency: u16,
    /// Private field echoed, without its space padding.
    pub private: String,
}

impl ConcertAnswer {
    /// The 25- or 80-character body.
    pub fn body(&self) -> Vec<u8> {
        let report = match &self.report {
            Some(r) => format!("{r:<55.55}"),
            None => String::new(),
        };
        format!(
            "{:02}{}{:08}{}{report}{:03}{:<10.10}",
            self.pos_number % 100,
            self.status as char,
            self.amount_cents.min(MAX_AMOUNT),
            self.mode as char,
            self.currency % 1000,
            self.private,
        )
        .into_bytes()
    }

    /// The whole frame.
    pub fn encode(&self) -> Vec<u8> {
        frame(&self.body())
    }

    /// Read an answer body (between STX and ETX, LRC already checked).
    pub fn decode_body(body: &[u8]) -> Result<Self, String> {
        let report = match body.len() {
            SHORT_ANSWER_LEN => None,
            LONG_ANSWER_LEN => Some(mask_all(&text(&body[12..12 + REPORT_LEN])?)),
            n => {
                return Err(format!(
                    "answer is {n} characters, Concert has {SHORT_ANSWER_LEN} or {LONG_ANSWER_LEN}"
                ))
            }
        };
        let tail = &body[body.len() - 13..];
        Ok(Self {
            pos_number: digits(&body[0..2], "POS number")? as u8,
            status: body[2],
            amount_cents: digits(&body[3..11], "amount")?,
            mode: body[11],
            report,
            currency: digits(&tail[0..3], "currency")? as u16,
            private: text(&tail[3..13])?.trim_end().to_string(),
        })
    }

    /// The private field without its padding.
    pub fn reference(&self) -> &str {
        self.private.trim_end()
    }

    /// What the till keeps.
    pub fn to_answer(&self) -> PaymentAnswer {
        let approved = self.status == b'0';
        let mode = self.mode as char;
        let reason = match self.status {
            b'0' => None,
            b'7' => Some("refused or abandoned at the terminal".to_string()),
            b'9' => Some("not carried out: the terminal could not complete it".to_string()),
            s => Some(format!("not carried out (terminal status {:?})", s as char)),
        };
        let reference = Some(self.reference().to_string()).filter(|r| !r.is_empty());
        PaymentAnswer {
            approved,
            amount_cents: self.amount_cents,
            masked_pan: self.report.as_deref().and_then(masked_pan_in),
            // Concert E+ answers carry no authorisation number.
            auth_code: None,
            scheme: scheme_for_code(mode).map(str::to_string),
            read_mode: match mode {
                'B' | 'D' => Some("contactless".to_string()),
                _ => None,
            },
            reason,
            reference,
            // Whether it is the till's is for the driver to say: it knows
            // what was sent.
            terminal_reference: None,
        }
    }
}

fn digits(field: &[u8], what: &str) -> Result<u64, String> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return Err(format!(
            "{what} field {:?} is not digits",
            String::from_utf8_lossy(field)
        ));
    }
    Ok(field
        .iter()
        .fold(0u64, |n, d| n.saturating_mul(10) + u64::from(d - b'0')))
}

fn flag(b: u8, what: &str) -> Result<bool, String> {
    match b {
        b'0' => Ok(false),
        b'1' => Ok(true),
        _ => Err(format!("{what} {:?} is neither '0' nor '1'", b as char)),
    }
}

fn text(field: &[u8]) -> Result<String, String> {
    if !field.iter().all(|b| (0x20..0x7F).contains(b)) {
        return Err("a text field holds non-printable bytes".into());
    }
    Ok(String::from_utf8_lossy(field).into_owned())
}

/// One step of reading frames byte by byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// Need more bytes.
    More,
    /// A byte outside any frame (ignored by callers, kept for transcripts).
    Noise(u8),
    /// A complete frame with a good LRC: its body.
    Frame(Vec<u8>),
    /// A complete frame whose LRC does not match, or one too long to be
    /// Concert: answer NAK.
    Bad(Vec<u8>),
}

/// Longest body accepted before a frame is declared bad: well above the
/// 80-character long answer, so a lost ETX cannot grow the buffer forever.
const MAX_BODY: usize = 160;

/// Reassembles STX ... ETX LRC frames from bytes in any chunking.
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
    in_frame: bool,
    have_etx: bool,
}

impl FrameReader {
    /// A reader waiting for STX.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one byte.
    pub fn push(&mut self, b: u8) -> FrameEvent {
        if !self.in_frame {
            if b == STX {
                self.in_frame = true;
                self.buf.clear();
                return FrameEvent::More;
            }
            return FrameEvent::Noise(b);
        }
        if self.have_etx {
            let mut raw = std::mem::take(&mut self.buf);
            self.in_frame = false;
            self.have_etx = false;
            let body_len = raw.len() - 1;
            let good = lrc(&raw) == b;
            raw.truncate(body_len);
            return if good {
                FrameEvent::Frame(raw)
            } else {
                FrameEvent::Bad(raw)
            };
        }
        self.buf.push(b);
        if b == ETX {
            self.have_etx = true;
        } else if self.buf.len() > MAX_BODY {
            self.in_frame = false;
            return FrameEvent::Bad(std::mem::take(&mut self.buf));
        }
        FrameEvent::More
    }

    /// Forget a half-read frame.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ConcertRequest {
        ConcertRequest {
            pos_number: 1,
            amount_cents: 1250,
            long_answer: true,
            mode: b'1',
            kind: PaymentKind::Debit,
            currency: 978,
            private: "R42-1".into(),
            immediate: false,
            forced_auth: false,
        }
    }

    #[test]
    fn lrc_is_the_xor_after_stx_through_etx() {
        assert_eq!(lrc(&[]), 0);
        assert_eq!(lrc(b"A\x03"), 0x41 ^ 0x03);
        let f = frame(b"01");
        assert_eq!(f, vec![STX, b'0', b'1', ETX, b'0' ^ b'1' ^ ETX]);
    }

    #[test]
    fn request_body_has_the_e_plus_layout() {
        let body = request().body();
        assert_eq!(body.len(), REQUEST_LEN);
        assert_eq!(&body[..], b"0100001250110978R42-1     A010B010");
        assert_eq!(ConcertRequest::decode_body(&body).unwrap(), request());
        let mut refund = request();
        refund.kind = PaymentKind::Refund;
        assert_eq!(refund.body()[12], b'1');
    }

    #[test]
    fn answers_decode_and_full_pans_are_masked() {
        let e = ConcertAnswer::decode_body(b"0100001250").unwrap_err();
        assert!(e.contains("characters"), "{e}");
        assert!(ConcertAnswer::decode_body(b"0100000X2501978R42-1     ").is_err());
        let ok = ConcertAnswer::decode_body(b"0100001250197800000R42-1").unwrap_err();
        assert!(ok.contains("characters"));
        let ans = ConcertAnswer {
            pos_number: 1,
            status: b'0',
            amount_cents: 1250,
            mode: b'1',
            report: Some("4970101234567890=2512".into()),
            currency: 978,
            private: "R42-1".into(),
        };
        let body = ans.body();
        assert_eq!(body.len(), LONG_ANSWER_LEN);
        let back = ConcertAnswer::decode_body(&body).unwrap();
        assert!(!back.report.as_deref().unwrap().contains("49701012"));
        let pa = back.to_answer();
        assert!(pa.approved);
        assert_eq!(pa.masked_pan.as_deref(), Some("************7890"));
        assert_eq!(pa.scheme.as_deref(), Some("CB"));
        assert_eq!(pa.reference.as_deref(), Some("R42-1"));
        let short = ConcertAnswer {
            report: None,
            status: b'7',
            ..ans
        };
        let pa = ConcertAnswer::decode_body(&short.body())
            .unwrap()
            .to_answer();
        assert!(!pa.approved && pa.reason.is_some() && pa.masked_pan.is_none());
    }

    #[test]
    fn frames_survive_any_chunking_and_bad_lrc_is_reported() {
        let f = frame(b"0123");
        let mut r = FrameReader::new();
        let events: Vec<_> = [0x15u8]
            .iter()
            .chain(&f)
            .map(|&b| r.push(b))
            .filter(|e| *e != FrameEvent::More)
            .collect();
        assert_eq!(
            events,
            vec![FrameEvent::Noise(0x15), FrameEvent::Frame(b"0123".to_vec())]
        );
        let mut bad = f.clone();
        *bad.last_mut().unwrap() ^= 1;
        let last = bad.iter().map(|&b| r.push(b)).last().unwrap();
        assert_eq!(last, FrameEvent::Bad(b"0123".to_vec()));
        let mut r = FrameReader::new();
        r.push(STX);
        let overflow = (0..200)
            .map(|_| r.push(b'x'))
            .find(|e| *e != FrameEvent::More);
        assert!(matches!(overflow, Some(FrameEvent::Bad(_))));
    }
}
