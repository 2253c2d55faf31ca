//! The pure sale rules of comptoir: money, VAT, catalog items, barcodes, the
//! basket, tenders, roles and approvals, purchase rules, receipts, and the
//! records the journal keeps.
//!
//! Nothing here does I/O, reads a clock or draws random numbers: time, salts and
//! the catalog are passed in. That keeps every rule testable by the thousand.
//!
//! A sale, from scan to record, with a supervisor's approval on the way:
//!
//! ```
//! use rust_decimal_macros::dec;
//! use till_core::auth::{approve, Role, User};
//! use till_core::basket::{Basket, BasketConfig, Discount};
//! use till_core::catalog::{Catalog, Item, PurchaseRules};
//! use till_core::records::Unit;
//! use till_core::{SaleError, VatRate};
//!
//! let nutella = Item {
//!     id: "NUT400".into(),
//!     barcodes: vec!["3017620422003".into()],
//!     name: "Nutella 400 g".into(),
//!     price: dec!(3.99),
//!     vat_rate: VatRate::percent(dec!(5.5))?,
//!     unit: Unit::Piece,
//!     stock_tracked: true,
//!     meal_voucher: false,
//!     rules: PurchaseRules::default(),
//! };
//! let catalog = Catalog::new(vec![nutella], vec![])?;
//! let user = |id: &str, role| User { id: id.into(), name: id.into(), role, pin_hash: String::new() };
//! let (alice, bob) = (user("alice", Role::Cashier), user("bob", Role::Supervisor));
//!
//! let mut basket = Basket::new(BasketConfig::default(), &alice);
//! let line = basket.add_code(&catalog, "3017620422003", Some(dec!(3)))?;
//! // 30 % is over the default 20 % threshold: a supervisor must approve.
//! let discount = Some(Discount::Percent(dec!(30)));
//! match basket.set_line_discount(line, discount) {
//!     Err(SaleError::ApprovalRequired(req)) => {
//!         // The till checks bob's PIN with auth::verify_pin first.
//!         basket.add_approval(approve(&req, &bob, &alice)?);
//!         basket.set_line_discount(line, discount)?;
//!     }
//!     other => other?,
//! }
//! basket.pay_cash(dec!(10))?;
//! let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let record = basket.complete("T01-000001", day, "alice")?;
//! assert_eq!(record.total, dec!(8.38)); // 11.97 - 3.59
//! assert_eq!(record.change, dec!(1.62));
//! assert!(record.check().is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod auth;
pub mod barcode;
pub mod basket;
pub mod catalog;
pub mod customer;
pub mod drawer;
pub mod error;
pub mod money;
pub mod permissions;
pub mod receipt;
pub mod records;
pub mod refund;
pub mod ruleset;
pub mod tenders;
pub mod totals;
pub mod vat;
pub mod view;

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
