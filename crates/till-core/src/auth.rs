//! Users, roles, PINs and the permission table: who may do what alone, and who
//! must approve it on the spot.
//!
//! Roles are deliberately not a ladder: the technician installs and diagnoses
//! the till but has no authority over sales, so every action lists the roles
//! allowed explicitly instead of comparing ranks.

use crate::records::{ApprovalRecord, UserId};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

/// What a user is at the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sells and takes payment.
    Cashier,
    /// Approves the cashier's exceptions on the spot.
    Supervisor,
    /// Runs the shop: everything a supervisor does, plus users and risky refunds.
    Manager,
    /// Installs and diagnoses the till; no authority over sales or cash.
    Technician,
}

impl Role {
    /// Stable snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
            Role::Technician => "technician",
        }
    }
}

/// A till user. The PIN is only ever stored as an argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identifier recorded in the journal.
    pub id: UserId,
    /// Name printed on receipts.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// argon2 PHC string of the PIN, from [`hash_pin`].
    pub pin_hash: String,
}

/// Everything that is permission-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Ring up a sale.
    Sell,
    /// Refund a sale with its receipt.
    Refund,
    /// Refund goods brought back without a receipt.
    RefundWithoutReceipt,
    /// Remove a line once payment has started.
    VoidAfterTotal,
    /// Cancel a completed sale.
    CancelSale,
    /// Charge another price than the catalog's.
    PriceOverride,
    /// Give a discount above the configured threshold.
    DiscountOverThreshold,
    /// Open the drawer outside a sale.
    NoSaleDrawer,
    /// Put cash into the drawer (float).
    CashIn,
    /// Take cash out of the drawer (bank deposit).
    CashOut,
    /// Close the business day (Z).
    CloseDay,
    /// Break a purchase rule (min/max quantity, max order amount).
    ExceedPurchaseRule,
    /// Sell a basket far above the usual one.
    AnomalyBasket,
    /// Reprint a receipt (DUPLICATA).
    ReprintReceipt,
    /// Change the till's configuration.
    ConfigChange,
    /// Talk to peripherals directly (`till diag`).
    DeviceDiagnostics,
    /// Create, change or disable users.
    ManageUsers,
    /// Abandon a basket with lines (F10): journaled with its lines either way.
    AbandonBasket,
    /// Sell on the account of a customer on hold, or past their available
    /// credit.
    AccountOverride,
}

impl Action {
    /// Every action, in a stable order.
    pub const ALL: [Action; 19] = [
        Action::Sell,
        Action::Refund,
        Action::RefundWithoutReceipt,
        Action::VoidAfterTotal,
        Action::CancelSale,
        Action::PriceOverride,
        Action::DiscountOverThreshold,
        Action::NoSaleDrawer,
        Action::CashIn,
        Action::CashOut,
        Action::CloseDay,
        Action::ExceedPurchaseRule,
        Action::AnomalyBasket,
        Action::ReprintReceipt,
        Action::ConfigChange,
        Action::DeviceDiagnostics,
        Action::ManageUsers,
        Action::AbandonBasket,
        Action::AccountOverride,
    ];

    /// The stable name recorded in `ApprovalRecord::action`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Sell => "sell",
            Action::Refund => "refund",
            Action::RefundWithoutReceipt => "refund_without_receipt",
            Action::VoidAfterTotal => "void_after_total",
            Action::CancelSale => "cancel_sale",
            Action::PriceOverride => "price_override",
            Action::DiscountOverThreshold => "discount_over_threshold",
            Action::NoSaleDrawer => "no_sale_drawer",
            Action::CashIn => "cash_in",
            Action::CashOut => "cash_out",
            Action::CloseDay => "close_day",
            Action::ExceedPurchaseRule => "exceed_purchase_rule",
            Action::AnomalyBasket => "anomaly_basket",
            Action::ReprintReceipt => "reprint_receipt",
            Action::ConfigChange => "config_change",
            Action::DeviceDiagnostics => "device_diagnostics",
            Action::ManageUsers => "manage_users",
            Action::AbandonBasket => "abandon_basket",
            Action::AccountOverride => "account_override",
        }
    }

    /// The action with this stable name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The permission table: roles that may do this alone, and roles that may
    /// approve it for someone else. The lowest approver is listed first.
    pub fn policy(&self) -> Policy {
        use Role::*;
        const SELLERS: &[Role] = &[Cashier, Supervisor, Manager];
        const SUP: &[Role] = &[Supervisor, Manager];
        const MGR: &[Role] = &[Manager];
        let (alone, approvers): (&'static [Role], &'static [Role]) = match self {
            Action::Sell | Action::ReprintReceipt | Action::AbandonBasket => (SELLERS, &[]),
            Action::Refund
            | Action::VoidAfterTotal
            | Action::CancelSale
            | Action::PriceOverride
            | Action::DiscountOverThreshold
            | Action::NoSaleDrawer
            | Action::CashIn
            | Action::CashOut
            | Action::CloseDay
            | Action::ExceedPurchaseRule
            | Action::AnomalyBasket => (SUP, SUP),
            // Refunds without a receipt are the classic till fraud: a manager's call.
            Action::RefundWithoutReceipt => (MGR, MGR),
            // Credit is head office's risk: a manager's call, as the
            // receivables rules say.
            Action::AccountOverride => (MGR, MGR),
            Action::ConfigChange | Action::DeviceDiagnostics => (&[Manager, Technician], &[]),
            Action::ManageUsers => (MGR, &[]),
        };
        Policy { alone, approvers }
    }
}

/// One row of the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Roles that may do the action without anyone's approval.
    pub alone: &'static [Role],
    /// Roles that may approve it for a user who may not do it alone.
    pub approvers: &'static [Role],
}

/// What a role may do about an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Go ahead.
    Allowed,
    /// Someone with at least `min_role` must approve.
    NeedsApproval {
        /// The lowest role that can approve.
        min_role: Role,
    },
    /// Nobody can approve this for this role.
    Forbidden,
}

/// What `role` may do about `action` (the built-in table; a shop's own is
/// [`crate::permissions::Permissions::permission`]).
pub fn permission(role: Role, action: Action) -> Permission {
    crate::permissions::Permissions::default().permission(role, action)
}

/// An action needs someone's approval before it goes ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{} needs approval by a {} or above: {detail}", action.as_str(), min_role.as_str())]
pub struct ApprovalRequired {
    /// What is being attempted.
    pub action: Action,
    /// The lowest role that can approve it.
    pub min_role: Role,
    /// Why, in words; the approval is bound to this exact text.
    pub detail: String,
}

/// Errors about users, PINs and permissions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// See [`ApprovalRequired`].
    #[error(transparent)]
    ApprovalRequired(#[from] ApprovalRequired),
    /// The role may not do this, even with approval.
    #[error("a {} may not {}", role.as_str(), action.as_str())]
    Forbidden {
        /// The user's role.
        role: Role,
        /// The action.
        action: Action,
    },
    /// The approver's role cannot approve this action.
    #[error("a {} cannot approve {}", role.as_str(), action.as_str())]
    ApproverNotAllowed {
        /// The approver's role.
        role: Role,
        /// The action.
        action: Action,
    },
    /// Nobody approves their own request.
    #[error("{0} cannot approve their own request")]
    SelfApproval(UserId),
    /// The PIN given does not match.
    #[error("wrong PIN")]
    WrongPin,
    /// The PIN is too short, too long, or not all digits.
    #[error("a PIN is 4 to 32 digits")]
    BadPin,
    /// The salt must have 8 to 48 bytes.
    #[error("a PIN salt has 8 to 48 bytes, got {0}")]
    BadSalt(usize),
    /// The salt or the hash could not be used.
    #[error("PIN hashing failed: {0}")]
    Hash(String),
}

/// How many wrong PINs in a row lock a user out (see the journal's
/// `record_pin_failure`); a manager lifts the lock by setting a new PIN.
pub const MAX_PIN_FAILURES: u32 = 5;

/// Whether `pin` has the shape of a PIN: 4 to 32 ASCII digits.
pub fn pin_is_valid(pin: &str) -> bool {
    (4..=32).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// A secret mixed into PIN hashes (argon2's secret input). It lives in a file
/// beside the terminal's signing key, never in the journal: a 4-digit PIN has
/// 10,000 candidates, so a hash alone falls to brute force in minutes, while
/// with the pepper unknown no candidate can even be tried.
#[derive(Clone, PartialEq, Eq)]
pub struct Pepper([u8; 32]);

impl Pepper {
    /// The pepper from its 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Pepper {
        Pepper(bytes)
    }
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(..)")
    }
}

/// The tag before the PHC string of a peppered hash. Hashes without it were
/// made before peppering and still verify (the app re-hashes them at the
/// user's next login).
pub const PEPPERED_TAG: &str = "pepper1:";

fn argon2(pepper: Option<&Pepper>) -> Result<Argon2<'_>, AuthError> {
    match pepper {
        None => Ok(Argon2::default()),
        Some(p) => {
            Argon2::new_with_secret(&p.0, Algorithm::Argon2id, Version::V0x13, Params::default())
                .map_err(|e| AuthError::Hash(e.to_string()))
        }
    }
}

/// Hashes a PIN with argon2id (default parameters) into a PHC string. The caller
/// draws the salt (at least 8 bytes) so this stays deterministic and testable.
/// Without a pepper: the form of hashes made before peppering, for tests and
/// tools; the till uses [`hash_pin_peppered`].
pub fn hash_pin(pin: &str, salt: &[u8]) -> Result<String, AuthError> {
    hash_with(pin, salt, None)
}

/// [`hash_pin`] with the till's pepper: `pepper1:` and the PHC string.
pub fn hash_pin_peppered(pin: &str, salt: &[u8], pepper: &Pepper) -> Result<String, AuthError> {
    Ok(format!(
        "{PEPPERED_TAG}{}",
        hash_with(pin, salt, Some(pepper))?
    ))
}

fn hash_with(pin: &str, salt: &[u8], pepper: Option<&Pepper>) -> Result<String, AuthError> {
    if !pin_is_valid(pin) {
        return Err(AuthError::BadPin);
    }
    // password-hash panics on salts outside these bounds instead of erroring,
    // and argon2 wants at least 8 bytes; 48 bytes is 64 base64 characters.
    if !(8..=48).contains(&salt.len()) {
        return Err(AuthError::BadSalt(salt.len()));
    }
    let salt = SaltString::encode_b64(salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    argon2(pepper)?
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `pin` is the user's PIN, for a hash made without a pepper. A
/// malformed stored hash never verifies, nor does a peppered one.
pub fn verify_pin(user: &User, pin: &str) -> bool {
    verify_pin_peppered(user, pin, None)
}

/// Whether `pin` is the user's PIN: a peppered hash with `pepper`, one made
/// before peppering without it. Never true for a malformed hash, or a
/// peppered one when `pepper` is None.
pub fn verify_pin_peppered(user: &User, pin: &str, pepper: Option<&Pepper>) -> bool {
    let (phc, pepper) = match user.pin_hash.strip_prefix(PEPPERED_TAG) {
        Some(rest) => match pepper {
            Some(p) => (rest, Some(p)),
            None => return false,
        },
        None => (user.pin_hash.as_str(), None),
    };
    let (Ok(h), Ok(a)) = (PasswordHash::new(phc), argon2(pepper)) else {
        return false;
    };
    a.verify_password(pin.as_bytes(), &h).is_ok()
}

/// Whether the user's hash predates peppering (re-hash it with the pepper
/// once the PIN is known to be right).
pub fn needs_pepper(user: &User) -> bool {
    !user.pin_hash.starts_with(PEPPERED_TAG)
}

/// Checks that `user` may do `action`: Ok when allowed alone, the typed
/// `ApprovalRequired` (with `detail`) when a supervisor must approve, or Forbidden.
pub fn require(user_role: Role, action: Action, detail: &str) -> Result<(), AuthError> {
    match permission(user_role, action) {
        Permission::Allowed => Ok(()),
        Permission::NeedsApproval { min_role } => Err(ApprovalRequired {
            action,
            min_role,
            detail: detail.to_string(),
        }
        .into()),
        Permission::Forbidden => Err(AuthError::Forbidden {
            role: user_role,
            action,
        }),
    }
}

/// Grants `required` for `requester` on `approver`'s authority. The caller must
/// have checked the approver's PIN with [`verify_pin`] (or use
/// [`approve_with_pin`]); this checks the approver's role and that nobody
/// approves themselves.
pub fn approve(
    required: &ApprovalRequired,
    approver: &User,
    requester: &User,
) -> Result<ApprovalRecord, AuthError> {
    crate::permissions::Permissions::default().approve(required, approver, requester)
}

/// [`approve`], checking the approver's PIN first.
pub fn approve_with_pin(
    required: &ApprovalRequired,
    approver: &User,
    pin: &str,
    requester: &User,
) -> Result<ApprovalRecord, AuthError> {
    if !verify_pin(approver, pin) {
        return Err(AuthError::WrongPin);
    }
    approve(required, approver, requester)
}

/// Ok when `role` may do `action` alone or `approvals` hold a grant for this
/// exact action and detail; else the typed `ApprovalRequired` (or Forbidden).
pub fn authorize(
    role: Role,
    approvals: &[ApprovalRecord],
    action: Action,
    detail: String,
) -> Result<(), AuthError> {
    crate::permissions::Permissions::default().authorize(role, approvals, action, detail)
}

/// Whether `approvals` hold a grant for exactly this requirement.
pub fn is_approved(approvals: &[ApprovalRecord], required: &ApprovalRequired) -> bool {
    approvals
        .iter()
        .any(|a| a.action == required.action.as_str() && a.detail == required.detail)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A user with a placeholder hash: these tests do not exercise argon2.
    pub(crate) fn user(id: &str, role: Role) -> User {
        User {
            id: id.into(),
            name: id.to_uppercase(),
            role,
            pin_hash: String::new(),
        }
    }

    #[test]
    fn pin_round_trip_and_phc_format() {
        let h = hash_pin("1234", b"saltsalt-shop-1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        // The same salt gives the same hash: the caller owns the randomness.
        assert_eq!(h, hash_pin("1234", b"saltsalt-shop-1").unwrap());
        let mut u = user("u1", Role::Cashier);
        u.pin_hash = h;
        assert!(verify_pin(&u, "1234"));
        assert!(!verify_pin(&u, "1235"));
        assert!(!verify_pin(&user("u2", Role::Cashier), "1234"));
        assert_eq!(hash_pin("12", b"saltsalt"), Err(AuthError::BadPin));
        assert_eq!(hash_pin("1234", b"s"), Err(AuthError::BadSalt(1)));
        assert_eq!(hash_pin("1234", &[0; 49]), Err(AuthError::BadSalt(49)));
        assert!(hash_pin("1234", &[0; 48]).is_ok());
        assert_eq!(hash_pin("12a4", b"saltsalt"), Err(AuthError::BadPin));
        assert_eq!(AuthError::BadPin.to_string(), "a PIN is 4 to 32 digits");
    }

    #[test]
    fn peppered_hashes_need_the_pepper_and_old_ones_still_verify() {
        let pepper = Pepper::from_bytes([7; 32]);
        let mut u = user("u1", Role::Cashier);
        u.pin_hash = hash_pin_peppered("1234", b"saltsalt-shop-1", &pepper).unwrap();
        assert!(u.pin_hash.starts_with("pepper1:$argon2id$"));
        assert!(!needs_pepper(&u));
        assert!(verify_pin_peppered(&u, "1234", Some(&pepper)));
        assert!(!verify_pin_peppered(&u, "1235", Some(&pepper)));
        // The journal alone (no pepper, or another one) tells nothing.
        assert!(!verify_pin(&u, "1234"));
        assert!(!verify_pin_peppered(
            &u,
            "1234",
            Some(&Pepper::from_bytes([8; 32]))
        ));
        // The same PHC string without the pepper is another hash.
        let bare = u.pin_hash.trim_start_matches(PEPPERED_TAG).to_string();
        assert_ne!(bare, hash_pin("1234", b"saltsalt-shop-1").unwrap());
        // A hash from before peppering verifies with or without it.
        let mut old = user("u2", Role::Cashier);
        old.pin_hash = hash_pin("1234", b"saltsalt-shop-2").unwrap();
        assert!(needs_pepper(&old));
        assert!(verify_pin_peppered(&old, "1234", Some(&pepper)));
        assert!(verify_pin_peppered(&old, "1234", None));
        assert!(!verify_pin_peppered(&old, "4321", Some(&pepper)));
    }

    #[test]
    fn permission_table() {
        use Permission::*;
        assert_eq!(permission(Role::Cashier, Action::Sell), Allowed);
        assert_eq!(
            permission(Role::Cashier, Action::Refund),
            NeedsApproval {
                min_role: Role::Supervisor
            }
        );
        assert_eq!(permission(Role::Supervisor, Action::Refund), Allowed);
        assert_eq!(
            permission(Role::Supervisor, Action::RefundWithoutReceipt),
            NeedsApproval {
                min_role: Role::Manager
            }
        );
        // The technician is not above the manager for sales actions.
        assert_eq!(permission(Role::Technician, Action::Refund), Forbidden);
        assert_eq!(permission(Role::Technician, Action::Sell), Forbidden);
        assert_eq!(
            permission(Role::Technician, Action::NoSaleDrawer),
            Forbidden
        );
        assert_eq!(
            permission(Role::Technician, Action::DeviceDiagnostics),
            Allowed
        );
        assert_eq!(
            permission(Role::Cashier, Action::DeviceDiagnostics),
            Forbidden
        );
        assert_eq!(permission(Role::Manager, Action::ManageUsers), Allowed);
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.as_str()), Some(a));
            assert_ne!(permission(Role::Manager, a), Forbidden);
        }
    }

    #[test]
    fn approvals_check_the_approver() {
        let cashier = user("c1", Role::Cashier);
        let sup = user("s1", Role::Supervisor);
        let tech = user("t1", Role::Technician);
        let err = require(cashier.role, Action::PriceOverride, "line 1: 2.00 -> 1.00").unwrap_err();
        let AuthError::ApprovalRequired(req) = err else {
            panic!("expected approval required")
        };
        assert_eq!(req.min_role, Role::Supervisor);
        let rec = approve(&req, &sup, &cashier).unwrap();
        assert_eq!(rec.action, "price_override");
        assert_eq!(
            (rec.requested_by.as_str(), rec.approved_by.as_str()),
            ("c1", "s1")
        );
        assert!(is_approved(&[rec], &req));
        assert!(matches!(
            approve(&req, &tech, &cashier),
            Err(AuthError::ApproverNotAllowed { .. })
        ));
        assert!(matches!(
            approve(&req, &user("c2", Role::Cashier), &cashier),
            Err(AuthError::ApproverNotAllowed { .. })
        ));
        assert_eq!(
            approve(&req, &sup, &sup),
            Err(AuthError::SelfApproval("s1".into()))
        );
        let req = ApprovalRequired {
            action: Action::RefundWithoutReceipt,
            min_role: Role::Manager,
            detail: "x".into(),
        };
        assert!(approve(&req, &sup, &cashier).is_err());
        assert!(approve(&req, &user("m1", Role::Manager), &cashier).is_ok());
    }

    #[test]
    fn approve_with_pin_checks_the_pin() {
        let cashier = user("c1", Role::Cashier);
        let mut sup = user("s1", Role::Supervisor);
        sup.pin_hash = hash_pin("9876", b"another-salt").unwrap();
        let req = ApprovalRequired {
            action: Action::NoSaleDrawer,
            min_role: Role::Supervisor,
            detail: "change for the bakery".into(),
        };
        assert_eq!(
            approve_with_pin(&req, &sup, "0000", &cashier),
            Err(AuthError::WrongPin)
        );
        assert!(approve_with_pin(&req, &sup, "9876", &cashier).is_ok());
    }
}
