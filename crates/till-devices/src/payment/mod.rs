//! Card payment terminals: one trait, two French protocols.
//!
//! The till asks for an amount; the terminal reads the card, talks to the
//! bank and answers. The till never sees a card number: it keeps only what
//! [`PaymentAnswer`] carries (masked PAN, authorisation code, scheme, read
//! mode), and drivers mask anything that looks like a full PAN before it
//! leaves them, whatever the terminal sent.
//!
//! Why the error cases are split so finely: for the cashier, "declined" (the
//! bank said no: take another tender), "no answer" (the customer may or may
//! not have been charged: ask the terminal, never record it as paid) and
//! "garbled" (the link is bad: call a technician) lead to different actions.
//! A payment that timed out is not a payment; [`PaymentTerminal::late_answer`]
//! lets the till notice an approval that arrives after it gave up, so the
//! customer is not charged twice.

use std::time::Duration;

use crate::DeviceError;

pub mod caisse_ap;
pub mod caisse_ap_fields;
pub mod concert;
pub mod concert_frame;
pub(crate) mod link;

pub use caisse_ap::{CaisseApSettings, CaisseApTerminal};
pub use concert::{ConcertSettings, ConcertTerminal};

/// Which protocol a terminal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum TerminalProtocol {
    /// Concert over a serial line: fixed fields in STX/ETX/LRC frames.
    #[serde(rename = "concert")]
    Concert,
    /// Caisse-AP over TCP: tag + length + value fields.
    #[serde(rename = "caisse-ap")]
    CaisseAp,
}

impl TerminalProtocol {
    /// The name used in `till.toml` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TerminalProtocol::Concert => "concert",
            TerminalProtocol::CaisseAp => "caisse-ap",
        }
    }
}

impl std::str::FromStr for TerminalProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "concert" => Ok(TerminalProtocol::Concert),
            "caisse-ap" | "caisse_ap" | "caisseap" => Ok(TerminalProtocol::CaisseAp),
            other => Err(format!(
                "{other:?} is not a terminal protocol: use \"concert\" (serial) or \"caisse-ap\" (TCP)"
            )),
        }
    }
}

impl std::fmt::Display for TerminalProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Debit (a sale) or credit (a refund) on the customer's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    /// Take money from the card.
    Debit,
    /// Give money back to the card.
    Refund,
}

/// What the till asks the terminal to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// Amount in the currency's minor unit (cents), always positive.
    pub amount_cents: u64,
    /// Debit or refund.
    pub kind: PaymentKind,
    /// ISO 4217 numeric currency code (978 = EUR).
    pub currency: u16,
    /// The till's number as the terminal knows it (Concert: 2 digits).
    pub pos_number: u8,
    /// A reference the till chooses for this attempt (receipt number and
    /// attempt counter); sent in the private field where the protocol has
    /// one, so a late answer can be matched to the attempt it belongs to.
    pub reference: String,
}

/// What the terminal answered. Never holds a full card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAnswer {
    /// The bank (or the terminal offline) approved the payment.
    pub approved: bool,
    /// The amount the terminal reports, in cents.
    pub amount_cents: u64,
    /// Masked PAN, e.g. "************1234", if the terminal gave one.
    pub masked_pan: Option<String>,
    /// Authorisation number.
    pub auth_code: Option<String>,
    /// Card application: CB, VISA, MASTERCARD, AMEX...
    pub scheme: Option<String>,
    /// How the card was read: chip, contactless, swipe, manual.
    pub read_mode: Option<String>,
    /// Why it was not approved, in plain words (declined, cancelled by the
    /// customer, card expired...); `None` when approved.
    pub reason: Option<String>,
    /// The till's reference of the attempt this answer was taken for, as
    /// it went out (cut to the protocol's field); `None` when it had none.
    pub reference: Option<String>,
    /// What the terminal returned in the reference field when it is not the
    /// till's reference: its own transaction id (`TX00012345`, Caisse-AP's
    /// `1010000000`), or `""` when it left the field blank or out. The
    /// answer was then taken by till number, amount and currency. `None`
    /// when the terminal echoed the till's reference.
    pub terminal_reference: Option<String>,
}

/// Why a payment exchange did not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// No answer at some step within its timeout. The customer may still be
    /// at the terminal: the payment is not recorded, and a late answer may
    /// follow.
    #[error("payment terminal: no {step} within {} ms", after.as_millis())]
    Timeout {
        /// What did not come: "acknowledgement of ENQ", "answer"... (the
        /// message reads "no {step} within N ms").
        step: String,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The terminal kept refusing our frame (NAK) or we kept refusing its.
    #[error(
        "payment terminal: {what} refused {tries} times; check the link settings (baud, parity)"
    )]
    Rejected {
        /// What was refused.
        what: String,
        /// How many tries were made.
        tries: u32,
    },
    /// The terminal answered bytes that do not fit the protocol.
    #[error(
        "payment terminal answered something unreadable: {detail} (bytes {})",
        crate::error::hex(bytes)
    )]
    Garbled {
        /// Why it was rejected.
        detail: String,
        /// The offending bytes (never a card number: answers are masked
        /// before they can land here).
        bytes: Vec<u8>,
    },
    /// The request cannot be sent as asked (amount too large for the field...).
    #[error("payment request invalid: {0}")]
    InvalidRequest(String),
    /// The link failed: port vanished, socket reset, connection refused.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// A card payment terminal, whatever its protocol and link.
pub trait PaymentTerminal: Send {
    /// Check the terminal is there and speaks our protocol (Concert: ENQ
    /// answered by ACK; Caisse-AP: a connection is accepted).
    fn ping(&mut self) -> Result<(), PaymentError>;

    /// Run one payment or refund and wait for its outcome. A declined or
    /// cancelled payment is `Ok` with `approved == false`; only a failed
    /// exchange is an `Err`.
    fn pay(&mut self, req: &PaymentRequest) -> Result<PaymentAnswer, PaymentError>;

    /// After `pay` gave up (timeout or lost link): wait up to `wait` for an
    /// answer that may still arrive for that attempt. `Ok(None)` when none
    /// came.
    fn late_answer(&mut self, wait: Duration) -> Result<Option<PaymentAnswer>, PaymentError>;

    /// Device path or address, for messages.
    fn describe(&self) -> String;
}

impl<T: PaymentTerminal + ?Sized> PaymentTerminal for Box<T> {
    fn ping(&mut self) -> Result<(), PaymentError> {
        (**self).ping()
    }
    fn pay(&mut self, req: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        (**self).pay(req)
    }
    fn late_answer(&mut self, wait: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        (**self).late_answer(wait)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Keeps only the last four digits of anything that looks like a card
/// number (13 to 19 digits, spaces allowed), so a terminal that sends a full
/// PAN cannot make the till store one.
pub fn mask_pan(s: &str) -> String {
    let digits: Vec<char> = s.chars().filter(|c| c.is_ascii_digit()).collect();
    // A masked PAN keeps at most 10 digits (6 BIN + 4 last), so 13 or more
    // digits means the terminal sent too much.
    if digits.len() < 13 {
        return s.to_string();
    }
    let keep: String = digits[digits.len() - 4..].iter().collect();
    format!("{}{}", "*".repeat(digits.len() - 4), keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pans_lose_all_but_four_digits() {
        assert_eq!(mask_pan("4970101234567890"), "************7890");
        assert_eq!(mask_pan("4970 1012 3456 7890"), "************7890");
        assert_eq!(mask_pan("************7890"), "************7890");
        assert_eq!(mask_pan("497010XXXXXX7890"), "497010XXXXXX7890");
        assert_eq!(mask_pan("1234"), "1234");
        assert_eq!(mask_pan("X4970101234567890"), "************7890");
    }
}
