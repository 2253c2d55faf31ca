//! The app's boundary with till-core's words: roles, actions, tenders, the
//! refusals of the sale rules and the detail of an approval, each said in
//! the cashier's language through the catalog (`comptoir_i18n::till`).
//! till-core's own texts (`Display` of its errors, `Action::as_str`, the
//! approval's `detail`) are stable English for the journal and logs: they
//! never reach the screen.

use comptoir_i18n::till::Till;
use comptoir_i18n::till_tenders::TillTenders;
pub use comptoir_i18n::till_words::qty;
use comptoir_i18n::till_words::{action_label, approval_detail_words};
use comptoir_i18n::{Fmt, Lang, Template};
use rust_decimal::Decimal;
use till_core::auth::{Action, ApprovalRequired, AuthError, Role};
use till_core::catalog::LookupError;
use till_core::records::TenderKind;
use till_core::SaleError;

/// A role's name ("superviseur").
pub fn role(lang: Lang, r: Role) -> String {
    match r {
        Role::Cashier => Till::RoleCashier,
        Role::Supervisor => Till::RoleSupervisor,
        Role::Manager => Till::RoleManager,
        Role::Technician => Till::RoleTechnician,
    }
    .text(lang)
}

/// What an action is, for the approval dialog ("Remise au-delà du seuil").
pub fn action(lang: Lang, a: Action) -> String {
    match action_label(a.as_str()) {
        Some(m) => m.text(lang),
        // Every action has a label (test: every_action_has_a_french_label).
        None => a.as_str().replace('_', " "),
    }
}

/// A tender kind's name ("Espèces").
pub fn tender(lang: Lang, k: TenderKind) -> String {
    match k {
        TenderKind::Cash => Till::TenderCash,
        TenderKind::Card => Till::TenderCard,
        TenderKind::EWallet => Till::TenderEWallet,
        TenderKind::Cheque => Till::TenderCheque,
        TenderKind::BankTransfer => Till::TenderBankTransfer,
        TenderKind::Voucher => Till::TenderVoucher,
        TenderKind::CustomerAccount => Till::TenderCustomerAccount,
        // The shop's label is the counter's to give (`Counter::tender_label`).
        TenderKind::Shop(c) => return Till::TenderOther.fill(lang, &[("name", &c)]),
    }
    .text(lang)
}

/// A tender by its stored name, the shop's own tenders by their label.
pub fn tender_named_with(
    lang: Lang,
    name: &str,
    shop: &[till_core::tenders::ShopTender],
) -> String {
    match shop.iter().find(|t| t.code.as_str() == name) {
        Some(t) => t.label.clone(),
        None => tender_named(lang, name),
    }
}

/// A tender by its stored name ("cash"), as the day totals key it; a name
/// the till does not know is shown as such, said to be another tender.
pub fn tender_named(lang: Lang, name: &str) -> String {
    match TenderKind::ALL.iter().find(|k| k.as_str() == name) {
        Some(k) => tender(lang, *k),
        None => Till::TenderOther.fill(lang, &[("name", &name)]),
    }
}

/// A refusal of the sale rules, in words.
pub fn sale_error(fmt: &Fmt, e: &SaleError, max_qty: Decimal) -> String {
    let l = fmt.lang;
    let m = |d: &Decimal| fmt.money(*d);
    match e {
        SaleError::ApprovalRequired(r) => approval_detail(fmt, r),
        SaleError::Forbidden { role: r, action: a } => {
            Till::ErrForbidden.fill(l, &[("role", &role(l, *r)), ("action", &action(l, *a))])
        }
        SaleError::Lookup(e) => lookup_error(l, e),
        SaleError::InvalidQuantity(q) => {
            Till::ErrInvalidQuantity.fill(l, &[("qty", &qty(fmt, *q)), ("max", &qty(fmt, max_qty))])
        }
        SaleError::WeightRequired(_) => Till::ErrWeightRequired.text(l),
        SaleError::InvalidPrice(p) => Till::ErrInvalidPrice.fill(l, &[("price", &m(p))]),
        SaleError::InvalidDiscount(_) => Till::ErrInvalidDiscount.text(l),
        SaleError::NoSuchLine(n) => Till::ErrNoSuchLine.fill(l, &[("line", n)]),
        SaleError::LineVoided(n) => Till::ErrLineVoided.fill(l, &[("line", n)]),
        SaleError::LabelPriced(n) => Till::ErrLabelPriced.fill(l, &[("line", n)]),
        SaleError::PaymentStarted => Till::ErrPaymentStarted.text(l),
        SaleError::InvalidAmount(a) => Till::ErrInvalidAmount.fill(l, &[("amount", &m(a))]),
        SaleError::Overpay {
            kind,
            amount,
            remaining,
        } => Till::ErrOverpay.fill(
            l,
            &[
                ("tender", &tender(l, *kind)),
                ("amount", &m(amount)),
                ("remaining", &m(remaining)),
            ],
        ),
        SaleError::AlreadyPaid => Till::ErrAlreadyPaid.text(l),
        SaleError::CardDeclined => Till::ErrCardDeclined.text(l),
        SaleError::CreditCheckRequired => Till::ErrCreditCheck.text(l),
        SaleError::CreditLimitExceeded { amount, available } => {
            Till::ErrCreditLimit.fill(l, &[("amount", &m(amount)), ("available", &m(available))])
        }
        SaleError::AccountInCollection(c) => {
            Till::ErrAccountInCollection.fill(l, &[("customer", c)])
        }
        SaleError::CustomerMismatch(c) => Till::ErrCustomerMismatch.fill(l, &[("customer", c)]),
        SaleError::UnknownTender(_) => TillTenders::UnknownTender.text(l),
        SaleError::NothingEligible(k) => {
            TillTenders::NothingEligible.fill(l, &[("tender", &tender(l, *k))])
        }
        SaleError::AboveRoom { kind, room, .. } => TillTenders::AboveRemaining
            .fill(l, &[("tender", &tender(l, *kind)), ("room", &m(room))]),
        SaleError::EligibleBelowPaid => TillTenders::EligibleBelowPaid.text(l),
        SaleError::NoSuchTender(n) => Till::ErrNoSuchTender.fill(l, &[("n", &(n + 1))]),
        SaleError::NonCashAboveTotal => Till::ErrNonCashAboveTotal.text(l),
        SaleError::TooManyLines(n) => Till::ErrTooManyLines.fill(l, &[("max", n)]),
        SaleError::EmptyBasket => Till::ErrEmptyBasket.text(l),
        SaleError::NotFullyPaid { due, paid } => {
            Till::ErrNotFullyPaid.fill(l, &[("paid", &m(paid)), ("due", &m(due))])
        }
        SaleError::NotASale => Till::ErrNotASale.text(l),
        SaleError::AlreadyRefunded => Till::ErrAlreadyRefunded.text(l),
        SaleError::RefundExceedsSold {
            line_no,
            requested,
            remaining,
        } => Till::ErrRefundExceeds.fill(
            l,
            &[
                ("line", line_no),
                ("qty", &qty(fmt, *requested)),
                ("left", &qty(fmt, *remaining)),
            ],
        ),
        SaleError::NothingToRefund => Till::ErrNothingToRefund.text(l),
        SaleError::Inconsistent(_) => Till::ErrInconsistent.text(l),
    }
}

/// A code that did not find an article.
pub fn lookup_error(l: Lang, e: &LookupError) -> String {
    match e {
        LookupError::Empty => Till::ErrEmptyCode.text(l),
        LookupError::Barcode(_) | LookupError::Gs1(_) | LookupError::Gs1WithoutGtin => {
            Till::ErrBadBarcode.text(l)
        }
        LookupError::NotFound(code) => Till::ErrNoItem.fill(l, &[("code", code)]),
        LookupError::EmbeddedItemNotFound { code, item_code } => {
            Till::ErrLabelItemMissing.fill(l, &[("code", code), ("item", item_code)])
        }
    }
}

/// Why an approver's PIN did not approve (`min_role`: the rank needed).
pub fn approver_error(l: Lang, e: &AuthError, min_role: Role) -> String {
    match e {
        AuthError::SelfApproval(_) => Till::ApprovalSelf.text(l),
        AuthError::Forbidden { role: r, .. } => {
            Till::ApprovalForbidden.fill(l, &[("role", &role(l, *r))])
        }
        // Too low a rank, and anything else: the PIN is someone's, so it is
        // never "unknown"; say whose rank is needed.
        _ => Till::ApprovalRankTooLow.fill(l, &[("role", &role(l, min_role))]),
    }
}

/// What is being approved, in words. The rules write the detail in stable
/// English (the approval is bound to that exact text in the journal); its
/// figures are read back from it here. A detail of a shape not known here
/// shows as its action alone, never as the raw text.
pub fn approval_detail(fmt: &Fmt, req: &ApprovalRequired) -> String {
    approval_detail_words(fmt, &req.detail).unwrap_or_else(|| action(fmt.lang, req.action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_french_label() {
        for a in Action::ALL {
            let label = action_label(a.as_str()).map(|m| m.text(Lang::Fr));
            assert!(label.is_some(), "{a:?} has no label");
        }
    }

    fn req(action: Action, detail: &str) -> ApprovalRequired {
        ApprovalRequired {
            action,
            min_role: Role::Supervisor,
            detail: detail.into(),
        }
    }

    #[test]
    fn every_detail_the_rules_write_reads_in_french() {
        let fr = Fmt::plain(Lang::Fr);
        let cases = [
            (
                "basket discount 30.09 % above 20 %",
                "Remise sur le total de 30,09 %, au-delà du seuil de 20 %",
            ),
            (
                "line 2 10001: discount 50 % above 20 %",
                "Ligne 2 (10001) : remise de 50 %, au-delà du seuil de 20 %",
            ),
            (
                "line 1 10001: price 3,00 -> 2,50",
                "Ligne 1 (10001) : prix 3,00 € remplacé par 2,50 €",
            ),
            (
                "item 10004: quantity 30 above maximum 24",
                "Article 10004 : quantité 30, au-delà du maximum de 24",
            ),
            (
                "item 10003: quantity 0.05 below minimum 0.1",
                "Article 10003 : quantité 0,05, en dessous du minimum de 0,1",
            ),
            (
                "order total 1250,00 above maximum 1000,00",
                "Total de la vente 1 250,00 €, au-delà du maximum de 1 000,00 €",
            ),
            (
                "basket 70,00 above 3 x average 20,00",
                "Panier de 70,00 € : plus de 3 fois le panier moyen (20,00 €)",
            ),
            (
                "line 3 10002 1,10 after payment started",
                "Ligne 3 (10002, 1,10 €) retirée après le début du paiement",
            ),
            (
                "abandon sale of 12,00 with 5,00 paid",
                "Abandon d'une vente de 12,00 € dont 5,00 € déjà payés",
            ),
            ("cancel sale T1-000004", "Annulation du ticket T1-000004"),
            (
                "refund of sale T1-000004",
                "Remboursement du ticket T1-000004",
            ),
            (
                "refund without receipt of 4,20",
                "Remboursement sans ticket de 4,20 €",
            ),
            ("cash_out 50,00: retrait", "Sortie d'espèces de 50,00 €"),
            (
                "no sale: ouverture sans vente",
                "Ouverture du tiroir sans vente",
            ),
            (
                "close day 2026-11-23",
                "Clôture de la journée du 23/11/2026",
            ),
        ];
        for (detail, french) in cases {
            assert_eq!(
                approval_detail(&fr, &req(Action::Refund, detail)),
                french,
                "{detail}"
            );
        }
        // A shape the app does not know: the action's name, not the raw text.
        assert_eq!(
            approval_detail(&fr, &req(Action::PriceOverride, "something new 12 %")),
            "Changement de prix"
        );
    }
}
