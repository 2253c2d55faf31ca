//! What a batch's events say, checked before anything is stored: the
//! terminal's signing key stays the one of its seq 1, payloads name the
//! terminal and shop the credential belongs to, amounts stay in a sane range,
//! and every event of a kind this build knows decodes. A refusal stores
//! nothing and raises an alert; the till keeps its events and retries, so a
//! person must look (a forged or corrupt journal, or a head office older than
//! its tills).
//!
//! Architecture Invariant: both backends call [`vet`] and read
//! [`super::Deltas::refused`]; neither has a rule of its own.

use rust_decimal::Decimal;
use till_core::records::Event;
use till_journal::StoredEvent;

/// Largest amount of one event, either sign (EUR): far above any real sale,
/// far below what makes a day's total overflow (`Decimal` holds about 7.9e28).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Largest quantity of one line or stock movement, either sign.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);
/// Most decimals an amount or quantity may carry: with the bounds above, sums
/// stay exact on SQLite (`rust_decimal`) and PostgreSQL (`NUMERIC`) alike.
pub const MAX_SCALE: u32 = 6;

/// Why a batch is refused for what its events say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    /// A `terminal_initialised` after seq 1: the key would change.
    KeyChange,
    /// A payload names another terminal or shop than the credential's.
    IdentityMismatch,
    /// An amount or quantity outside the sane range.
    AmountOutOfRange,
    /// An event of a known kind whose payload does not decode.
    Undecodable,
}

impl RefusalCode {
    /// The alert code (and the API error code).
    pub fn as_str(&self) -> &'static str {
        match self {
            RefusalCode::KeyChange => "key_change",
            RefusalCode::IdentityMismatch => "identity_mismatch",
            RefusalCode::AmountOutOfRange => "amount_out_of_range",
            RefusalCode::Undecodable => "undecodable",
        }
    }
}

/// A batch refused: the first offending event, in batch order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub seq: u64,
    pub code: RefusalCode,
    pub detail: String,
}

/// Checks the identity events of `new` (the part of a batch not held yet)
/// for a terminal registered as `terminal_id` of `store_id`, whose pinned key
/// is `stored_public_key`. Amounts and decoding are checked while the
/// projections are read ([`super::Deltas::refused`]).
pub fn vet(
    terminal_id: &str,
    store_id: &str,
    stored_public_key: Option<&str>,
    new: &[StoredEvent],
) -> Option<Refusal> {
    for e in new.iter().filter(|e| e.kind == "terminal_initialised") {
        let refuse = |code, detail| {
            Some(Refusal {
                seq: e.seq,
                code,
                detail,
            })
        };
        let t = match e.decode() {
            Ok(Event::TerminalInitialised(t)) => t,
            Ok(_) | Err(_) => {
                return refuse(
                    RefusalCode::Undecodable,
                    format!("terminal_initialised at seq {} does not decode", e.seq),
                )
            }
        };
        // The key is pinned by seq 1; a rotation would be its own event,
        // signed by the old key (not supported yet).
        if e.seq != 1 || stored_public_key.is_some_and(|k| !k.is_empty() && k != t.public_key) {
            return refuse(
                RefusalCode::KeyChange,
                format!(
                    "a terminal_initialised at seq {} would replace the terminal's signing key \
                     (pinned by its seq 1) with {}; key changes are refused",
                    e.seq, t.public_key
                ),
            );
        }
        if t.terminal_id != terminal_id || t.shop_id != store_id {
            return refuse(
                RefusalCode::IdentityMismatch,
                format!(
                    "seq {} names terminal {} of shop {}, but the credential is terminal {} of store {}",
                    e.seq, t.terminal_id, t.shop_id, terminal_id, store_id
                ),
            );
        }
    }
    None
}

/// Whether an amount is within [`MAX_AMOUNT`] and [`MAX_SCALE`].
pub(crate) fn amount_ok(v: Decimal) -> bool {
    v.abs() <= MAX_AMOUNT && v.scale() <= MAX_SCALE
}

/// Whether a quantity is within [`MAX_QUANTITY`] and [`MAX_SCALE`].
pub(crate) fn quantity_ok(v: Decimal) -> bool {
    v.abs() <= MAX_QUANTITY && v.scale() <= MAX_SCALE
}

/// The refusal of an amount (or quantity, `qty`) out of range.
pub(crate) fn out_of_range(seq: u64, what: &str, v: Decimal, qty: bool) -> Refusal {
    let (bound, unit) = if qty {
        (MAX_QUANTITY, "")
    } else {
        (MAX_AMOUNT, " EUR")
    };
    Refusal {
        seq,
        code: RefusalCode::AmountOutOfRange,
        detail: format!(
            "seq {seq}: {what} {v} is outside ±{bound}{unit} with at most {MAX_SCALE} decimals"
        ),
    }
}
