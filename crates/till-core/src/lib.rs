//! The pure sale rules of comptoir: money, VAT, catalog items, barcodes, the
//! basket, tenders, roles and approvals, purchase rules, receipts, and the
//! records the journal keeps.
//!
//! Nothing here does I/O, reads a clock or draws random numbers: time, salts and
//! the catalog are passed in. That keeps every rule testable by the thousand.

#![warn(missing_docs)]

pub mod auth;
pub mod barcode;
pub mod basket;
pub mod catalog;
pub mod drawer;
pub mod error;
pub mod money;
pub mod receipt;
pub mod records;
pub mod refund;
pub mod vat;

pub use auth::{Action, ApprovalRequired, AuthError, Role, User};
pub use barcode::{parse_retail, Barcode, BarcodeError, Symbology};
pub use basket::{Basket, BasketConfig, Discount, PaymentStatus, Totals};
pub use catalog::{Catalog, Item, Lookup, LookupError, PurchaseRules};
pub use error::SaleError;
pub use money::{Currency, Money};
pub use receipt::{render_text, Receipt, ReceiptExtras, ShopInfo};
pub use refund::{AlreadyRefunded, Reversal};
pub use vat::{VatLine, VatRate};

/// Errors of the pure layer that are not about a sale in progress.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CoreError {
    #[error("VAT rate {0} % is not a valid rate (it must be at least 0 and below 100)")]
    /// The rate is negative or not below 100 %.
    InvalidVatRate(rust_decimal::Decimal),
}
