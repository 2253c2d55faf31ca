//! What both terminal drivers need from a link: bytes against a deadline,
//! and the helpers that turn a till's request into protocol fields.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{PaymentError, PaymentRequest};
use crate::{DeviceError, Transport};

/// A transport with a small receive buffer, so a driver can take bytes one
/// at a time without one system call per byte, and every wait is measured
/// against a deadline rather than per read.
pub(crate) struct Rx<T> {
    pub(crate) link: T,
    buf: VecDeque<u8>,
}

impl<T: Transport> Rx<T> {
    pub(crate) fn new(link: T) -> Self {
        Self {
            link,
            buf: VecDeque::new(),
        }
    }

    /// The next byte, or `Timeout { step, after }` once `deadline` passes.
    pub(crate) fn byte(
        &mut self,
        deadline: Instant,
        step: &str,
        after: Duration,
    ) -> Result<u8, PaymentError> {
        loop {
            if let Some(b) = self.buf.pop_front() {
                return Ok(b);
            }
            self.fill(deadline, step, after)?;
        }
    }

    /// Read whatever arrives before `deadline` into the buffer (at least one
    /// byte), or time out.
    pub(crate) fn fill(
        &mut self,
        deadline: Instant,
        step: &str,
        after: Duration,
    ) -> Result<(), PaymentError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timeout(step, after));
        }
        let mut chunk = [0u8; 256];
        match self.link.read(&mut chunk, left) {
            Ok(n) => {
                self.buf.extend(&chunk[..n]);
                Ok(())
            }
            Err(DeviceError::Timeout { .. }) => Err(timeout(step, after)),
            Err(e) => Err(PaymentError::Device(e)),
        }
    }

    /// Throw away stale bytes (buffered and pending on the link).
    pub(crate) fn drain(&mut self) -> Result<(), PaymentError> {
        self.buf.clear();
        crate::transport::drain(&mut self.link)?;
        Ok(())
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), PaymentError> {
        self.link.write_all(bytes)?;
        self.link.flush()?;
        Ok(())
    }
}

pub(crate) fn timeout(step: &str, after: Duration) -> PaymentError {
    PaymentError::Timeout {
        step: step.to_string(),
        after,
    }
}

/// The private/reference field for a request: printable ASCII only, and at
/// most `max` characters. A longer reference keeps its last `max`
/// characters, where the till puts what changes between attempts (the
/// attempt counter), so two attempts still differ on the wire.
pub(crate) fn private_field(req: &PaymentRequest, max: usize) -> Result<String, PaymentError> {
    if let Some(c) = req
        .reference
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control())
    {
        return Err(PaymentError::InvalidRequest(format!(
            "reference {:?} holds {c:?}: terminals take printable ASCII only",
            req.reference
        )));
    }
    let r = req.reference.as_str();
    Ok(r[r.len().saturating_sub(max)..].to_string())
}

/// Checks common to both protocols, before any byte is sent.
pub(crate) fn check_request(
    req: &PaymentRequest,
    max_amount: u64,
    max_pos: u8,
) -> Result<(), PaymentError> {
    if req.amount_cents == 0 {
        return Err(PaymentError::InvalidRequest(
            "amount is zero: nothing to ask the terminal".into(),
        ));
    }
    if req.amount_cents > max_amount {
        return Err(PaymentError::InvalidRequest(format!(
            "amount {} cents is more than the terminal's field holds ({max_amount})",
            req.amount_cents
        )));
    }
    if req.pos_number > max_pos {
        return Err(PaymentError::InvalidRequest(format!(
            "till number {} does not fit the terminal's field (at most {max_pos})",
            req.pos_number
        )));
    }
    if req.currency > 999 {
        return Err(PaymentError::InvalidRequest(format!(
            "currency {} is not an ISO 4217 numeric code",
            req.currency
        )));
    }
    Ok(())
}

/// The card application behind a one-character emitter code, shared by
/// Concert's mode field and Caisse-AP's CC tag (the same table: Caisse-AP
/// grew out of Concert). Codes as listed in Ousret/pyTeliumManager
/// telium/constant.py and OCA/l10n-france l10n_fr_pos_caisse_ap_ip
/// models/pos_payment_method.py.
pub(crate) fn scheme_for_code(code: char) -> Option<&'static str> {
    Some(match code {
        '1' | 'B' => "CB",
        '2' | 'D' => "AMEX",
        '3' => "CB ENSEIGNE",
        '5' => "COFINOGA",
        '6' => "DINERS",
        '7' => "CB-PASS",
        '8' => "FRANFINANCE",
        '9' => "JCB",
        'A' => "BANQUE ACCORD",
        'C' => "CHEQUE",
        'U' => "CUP",
        'O' => "MONEO",
        'F' => "FINTRAX EMV",
        '0' => "OTHER",
        _ => return None,
    })
}

/// The emitter code the simulators send for a scheme name.
pub(crate) fn code_for_scheme(scheme: &str, contactless: bool) -> char {
    match (scheme.to_ascii_uppercase().as_str(), contactless) {
        ("CB", true) => 'B',
        ("CB", false) => '1',
        ("AMEX", true) => 'D',
        ("AMEX", false) => '2',
        ("JCB", _) => '9',
        ("DINERS", _) => '6',
        ("CUP", _) => 'U',
        _ => '0',
    }
}

/// The first run of characters that could be a card number (digits and
/// masking characters), masked. Track-2 style data ("PAN=YYMM...") stops
/// at the separator.
pub(crate) fn masked_pan_in(text: &str) -> Option<String> {
    let token = text
        .split(|c: char| c.is_whitespace() || c == '=' || c == 'D' || c == '^')
        .find(|t| !t.is_empty())?;
    let pan_like = token
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'X' | 'x'));
    let digits = token.chars().filter(|c| c.is_ascii_digit()).count();
    if !pan_like || digits < 4 {
        return None;
    }
    Some(super::mask_pan(token))
}

/// Make free text from a terminal safe to keep: every run of digits (and
/// masking characters) long enough to be a card number is masked, and the
/// separators between runs (track 2's '=', spaces) are kept, so a card
/// number followed by an expiry date still shows the right last four.
pub(crate) fn mask_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || matches!(c, '*' | '#') || (c == ' ' && !run.is_empty()) {
            run.push(c);
        } else {
            flush_run(&mut run, &mut out);
            out.push(c);
        }
    }
    flush_run(&mut run, &mut out);
    out
}

/// Mask one run, keeping trailing spaces where they were (fixed-width
/// fields stay fixed-width).
fn flush_run(run: &mut String, out: &mut String) {
    let trimmed = run.trim_end();
    let masked = super::mask_pan(trimmed);
    out.push_str(&masked);
    out.push_str(&" ".repeat(run.len() - trimmed.len()));
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::PaymentKind;

    fn req(reference: &str) -> PaymentRequest {
        PaymentRequest {
            amount_cents: 1,
            kind: PaymentKind::Debit,
            currency: 978,
            pos_number: 1,
            reference: reference.into(),
        }
    }

    #[test]
    fn private_field_keeps_the_end_and_refuses_controls() {
        assert_eq!(private_field(&req("R12345-A1"), 10).unwrap(), "R12345-A1");
        assert_eq!(
            private_field(&req("T01-000123-2"), 10).unwrap(),
            "1-000123-2"
        );
        assert!(private_field(&req("a\u{3}b"), 10).is_err());
        assert!(private_field(&req("café"), 10).is_err());
    }

    #[test]
    fn pans_found_in_reports_are_masked() {
        assert_eq!(
            masked_pan_in("4970101234567890=2512 101").as_deref(),
            Some("************7890")
        );
        assert_eq!(
            masked_pan_in("497010######7890 ").as_deref(),
            Some("497010######7890")
        );
        assert_eq!(masked_pan_in("   "), None);
        assert_eq!(masked_pan_in("hello"), None);
        assert_eq!(mask_all("x 4970101234567890 y"), "x ************7890 y");
        assert_eq!(
            mask_all("4970101234567890=2512101  "),
            "************7890=2512101  "
        );
        assert_eq!(mask_all("4970 1012 3456 7890"), "************7890");
    }
}
