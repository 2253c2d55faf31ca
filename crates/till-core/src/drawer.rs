//! Cash operations outside a sale: float in, deposit out, "no sale" drawer
//! openings, and the permission to close the day. Each builds the journal
//! record only when the operator may do it (alone or with an approval).

use crate::auth::{Action, User};
use crate::error::SaleError;
use crate::money::{round_to, Currency, Money};
use crate::permissions::Permissions;
use crate::records::{ApprovalRecord, CashDirection, CashMovement, DrawerOpened};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The approver recorded for `action`, if one was needed and given.
fn approver(approvals: &[ApprovalRecord], action: Action, detail: &str) -> Option<String> {
    approvals
        .iter()
        .find(|a| a.action == action.as_str() && a.detail == detail)
        .map(|a| a.approved_by.clone())
}

/// Cash put into (float) or taken out of (bank deposit) the drawer. Needs a
/// supervisor for a cashier; the amount must be positive, in minor units.
pub fn cash_movement(
    direction: CashDirection,
    amount: Money,
    reason: &str,
    operator: &User,
    approvals: &[ApprovalRecord],
    business_day: NaiveDate,
    currency: &Currency,
    perms: &Permissions,
) -> Result<CashMovement, SaleError> {
    if amount <= Decimal::ZERO
        || amount.normalize().scale() > currency.minor_units
        || amount > Decimal::from(1_000_000_000u64)
    {
        return Err(SaleError::InvalidAmount(amount));
    }
    let action = match direction {
        CashDirection::In => Action::CashIn,
        CashDirection::Out => Action::CashOut,
    };
    let detail = format!("{} {}: {reason}", action.as_str(), currency.format(amount));
    perms.authorize(operator.role, approvals, action, detail.clone())?;
    Ok(CashMovement {
        direction,
        amount: round_to(amount, currency.minor_units),
        reason: reason.to_string(),
        operator: operator.id.clone(),
        approved_by: approver(approvals, action, &detail),
        business_day,
    })
}

/// Opening the drawer outside a sale ("no sale"). Needs a supervisor for a
/// cashier; a technician testing the drawer uses the diagnostics instead.
pub fn no_sale(
    reason: &str,
    operator: &User,
    approvals: &[ApprovalRecord],
    perms: &Permissions,
) -> Result<DrawerOpened, SaleError> {
    let detail = format!("no sale: {reason}");
    perms.authorize(
        operator.role,
        approvals,
        Action::NoSaleDrawer,
        detail.clone(),
    )?;
    Ok(DrawerOpened {
        operator: operator.id.clone(),
        approved_by: approver(approvals, Action::NoSaleDrawer, &detail),
        reason: reason.to_string(),
    })
}

/// Whether `operator` may close `business_day` (the Z closing itself is built
/// by the journal, which holds the totals).
pub fn authorize_close_day(
    operator: &User,
    approvals: &[ApprovalRecord],
    business_day: NaiveDate,
    perms: &Permissions,
) -> Result<(), SaleError> {
    perms
        .authorize(
            operator.role,
            approvals,
            Action::CloseDay,
            format!("close day {business_day}"),
        )
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tests::user;
    use crate::auth::{approve, Role};
    use rust_decimal_macros::dec;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn cash_out_needs_a_supervisor_for_a_cashier() {
        let cashier = user("c1", Role::Cashier);
        let eur = Currency::eur();
        let err = cash_movement(
            CashDirection::Out,
            dec!(200),
            "bank",
            &cashier,
            &[],
            day(),
            &eur,
            &Permissions::default(),
        )
        .unwrap_err();
        let SaleError::ApprovalRequired(req) = err else {
            panic!()
        };
        assert_eq!(req.detail, "cash_out 200,00: bank");
        let rec = approve(&req, &user("s1", Role::Supervisor), &cashier).unwrap();
        let m = cash_movement(
            CashDirection::Out,
            dec!(200),
            "bank",
            &cashier,
            &[rec],
            day(),
            &eur,
            &Permissions::default(),
        )
        .unwrap();
        assert_eq!(m.approved_by.as_deref(), Some("s1"));
        let sup = user("s1", Role::Supervisor);
        let m = cash_movement(
            CashDirection::In,
            dec!(150),
            "float",
            &sup,
            &[],
            day(),
            &eur,
            &Permissions::default(),
        )
        .unwrap();
        assert_eq!(m.approved_by, None);
        assert_eq!(
            cash_movement(
                CashDirection::In,
                dec!(-1),
                "x",
                &sup,
                &[],
                day(),
                &eur,
                &Permissions::default()
            ),
            Err(SaleError::InvalidAmount(dec!(-1)))
        );
    }

    #[test]
    fn no_sale_and_close_day_permissions() {
        let tech = user("t1", Role::Technician);
        assert!(matches!(
            no_sale("test", &tech, &[], &Permissions::default()),
            Err(SaleError::Forbidden { .. })
        ));
        assert!(no_sale(
            "change",
            &user("m1", Role::Manager),
            &[],
            &Permissions::default()
        )
        .is_ok());
        assert!(matches!(
            authorize_close_day(
                &user("c1", Role::Cashier),
                &[],
                day(),
                &Permissions::default()
            ),
            Err(SaleError::ApprovalRequired(_))
        ));
        assert!(authorize_close_day(
            &user("s1", Role::Supervisor),
            &[],
            day(),
            &Permissions::default()
        )
        .is_ok());
    }
}
