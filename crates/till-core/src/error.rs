//! Errors of a sale in progress and of building refunds and cancellations.

use crate::auth::{Action, ApprovalRequired, AuthError, Role};
use crate::catalog::LookupError;
use crate::money::Money;
use crate::records::TenderKind;
use rust_decimal::Decimal;

/// Why an operation on a sale did not happen. Nothing changed when one is
/// returned: retry after fixing the cause (e.g. after adding the approval).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    /// A supervisor (or manager) must approve: get an `ApprovalRecord` with
    /// `auth::approve`, add it to the basket, and call again.
    #[error(transparent)]
    ApprovalRequired(#[from] ApprovalRequired),
    /// This role may not do this at all.
    #[error("a {} may not {}", role.as_str(), action.as_str())]
    Forbidden {
        /// The operator's role.
        role: Role,
        /// The action.
        action: Action,
    },
    /// The code did not resolve to an item.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// Zero, negative, too large, or fractional pieces.
    #[error("invalid quantity {0}")]
    InvalidQuantity(Decimal),
    /// A weighed item needs its weight.
    #[error("item {0} is sold by weight: give the weight")]
    WeightRequired(String),
    /// Negative, too large or finer than the currency's minor unit.
    #[error("invalid price {0}")]
    InvalidPrice(Money),
    /// A discount that is negative, above 100 % or above the amount.
    #[error("invalid discount: {0}")]
    InvalidDiscount(String),
    /// No line with this number.
    #[error("no line {0}")]
    NoSuchLine(u32),
    /// The line was voided already.
    #[error("line {0} is voided")]
    LineVoided(u32),
    /// The line's price comes from a scale label and cannot be re-quantified.
    #[error("line {0} is priced by its label; void it and scan again")]
    LabelPriced(u32),
    /// Lines cannot change once payment has started (void needs approval).
    #[error("payment has started: remove the tenders first")]
    PaymentStarted,
    /// Tender amounts are positive and in the currency's minor units.
    #[error("invalid tender amount {0}")]
    InvalidAmount(Money),
    /// A non-cash tender above what remains to pay.
    #[error("{} of {amount} is more than the {remaining} left to pay; only cash gives change", kind.as_str())]
    Overpay {
        /// The tender kind.
        kind: TenderKind,
        /// The amount offered.
        amount: Money,
        /// What was left to pay.
        remaining: Money,
    },
    /// A tender code the shop's rules do not define (any more).
    #[error("no tender {0} in the shop's rules")]
    UnknownTender(crate::records::TenderCode),
    /// The basket holds no article this tender may pay for.
    #[error("{} pays for none of these articles", .0.as_str())]
    NothingEligible(TenderKind),
    /// A shop tender above what it may pay on this sale (its eligible
    /// articles, its cap, what remains): refused, or, when `loss_allowed`,
    /// taken at `room` once the cashier confirms the customer's loss
    /// (`Basket::pay_keeping_excess`).
    #[error("{} of {amount}: at most {room} on this sale ({limit:?})", kind.as_str())]
    AboveRoom {
        /// The tender.
        kind: TenderKind,
        /// The amount offered.
        amount: Money,
        /// The most it may pay now.
        room: Money,
        /// What bounds it.
        limit: crate::tenders::Limit,
        /// Whether the excess may be left as the customer's loss.
        loss_allowed: bool,
    },
    /// Voiding would leave restricted tenders above the eligible articles.
    #[error("meal vouchers would exceed the eligible articles: remove one first")]
    EligibleBelowPaid,
    /// Nothing is left to pay.
    #[error("the sale is already paid")]
    AlreadyPaid,
    /// The payment terminal declined.
    #[error("card payment declined")]
    CardDeclined,
    /// A customer-account tender must go through `pay_on_account`.
    #[error("payments on account need the customer's available credit")]
    CreditCheckRequired,
    /// Above the customer's available credit.
    #[error("{amount} on account exceeds the available credit {available}")]
    CreditLimitExceeded {
        /// The amount asked for.
        amount: Money,
        /// What the customer may still owe.
        available: Money,
    },
    /// The customer's account is in collection: no sale on account.
    #[error("customer {0}'s account is in collection: no sale on account")]
    AccountInCollection(String),
    /// The basket belongs to another customer already.
    #[error("the sale is for customer {0}")]
    CustomerMismatch(String),
    /// No tender with this index.
    #[error("no tender {0}")]
    NoSuchTender(usize),
    /// Voiding would leave non-cash tenders above the new total.
    #[error("non-cash tenders would exceed the total: remove one first")]
    NonCashAboveTotal,
    /// A basket holds at most this many lines.
    #[error("a sale holds at most {0} lines")]
    TooManyLines(usize),
    /// Nothing to sell.
    #[error("the basket is empty")]
    EmptyBasket,
    /// Completion before full payment.
    #[error("{paid} paid of {due} due")]
    NotFullyPaid {
        /// What is due.
        due: Money,
        /// What was paid.
        paid: Money,
    },
    /// Only sales are cancelled or refunded.
    #[error("only a sale can be cancelled or refunded")]
    NotASale,
    /// The original was already partly refunded, so it cannot be cancelled whole.
    #[error("sale already partly refunded")]
    AlreadyRefunded,
    /// More than sold minus already refunded.
    #[error("line {line_no}: {requested} asked, {remaining} left to refund")]
    RefundExceedsSold {
        /// The original line.
        line_no: u32,
        /// Quantity asked for.
        requested: Decimal,
        /// Quantity still refundable.
        remaining: Decimal,
    },
    /// An empty refund.
    #[error("nothing to refund")]
    NothingToRefund,
    /// The record did not pass `SaleRecord::check` (a bug, never expected).
    #[error("inconsistent record: {0}")]
    Inconsistent(String),
}

impl From<AuthError> for SaleError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::ApprovalRequired(r) => SaleError::ApprovalRequired(r),
            AuthError::Forbidden { role, action } => SaleError::Forbidden { role, action },
            other => SaleError::Inconsistent(other.to_string()),
        }
    }
}
