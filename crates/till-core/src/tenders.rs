//! Tenders the shop defines beyond the built-in ones (`[[tenders]]` in
//! till.toml, or in head office's ruleset), each with its own rules:
//! whether it gives change, whether it opens the drawer, a maximum per
//! sale, and the articles it may pay for. The first of them is the
//! titre-restaurant (paper or card), which French food shops take:
//!
//! - it pays only for eligible food articles (`meal_voucher` on the item);
//! - the law caps what one customer pays in titres per day (25 € by
//!   default, [`DEFAULT_MEAL_VOUCHER_CAP`], `meal_voucher_cap` in the
//!   rules). The till cannot know a customer's other purchases of the day,
//!   so it applies the cap per sale, shared by every meal-voucher tender;
//! - it gives no change: a paper titre worth more than it may pay is the
//!   customer's loss, which the cashier must confirm
//!   ([`crate::Basket::pay_keeping_excess`]); a card titre is debited the
//!   exact amount, so an excess is refused;
//! - the rest of the basket is paid by another tender.
//!
//! The basket enforces these rules itself ([`crate::Basket::pay`] with a
//! [`TenderKind::Shop`] tender), from the definitions in its
//! [`crate::BasketConfig`]; the journal keeps the tender's code, so the
//! day totals and the Z sum each shop tender apart.

use crate::money::Money;
use crate::records::{TenderCode, TenderKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The legal daily cap of titres-restaurant per customer, in euros
/// (Code du travail R3262-10, 25 € since October 2022).
pub const DEFAULT_MEAL_VOUCHER_CAP: Decimal = Decimal::from_parts(25, 0, 0, false, 0);

/// Most tenders a shop may define.
pub const MAX_SHOP_TENDERS: usize = 8;

/// Which articles a tender may pay for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaysFor {
    /// Any article.
    #[default]
    All,
    /// Only the articles marked `meal_voucher` (food a titre-restaurant
    /// may pay for); these tenders share the meal-voucher cap.
    MealVoucher,
}

/// What happens to an amount above what the tender may pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Excess {
    /// Refused: the cashier types what it may pay (a card is debited the
    /// exact amount).
    #[default]
    Refused,
    /// Taken, the excess lost by the customer once the cashier confirms
    /// (paper titres: no change is given).
    Lost,
}

/// A tender the shop defines, as written in `[[tenders]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopTender {
    /// The stable code journaled with each payment (`titre_restaurant`).
    pub code: TenderCode,
    /// Its name on the screen, the receipt and the Z ("Titres-restaurant").
    pub label: String,
    /// Its name on the keys' line of an 80-column screen ("TR papier");
    /// absent: the label.
    #[serde(default)]
    pub short_label: Option<String>,
    /// Whether an amount above what remains is given back in cash.
    #[serde(default)]
    pub gives_change: bool,
    /// Whether a sale it pays opens the drawer (paper goes in the drawer).
    #[serde(default)]
    pub opens_drawer: bool,
    /// The most it may pay on one sale.
    #[serde(default)]
    pub max_per_sale: Option<Money>,
    /// The articles it may pay for.
    #[serde(default)]
    pub pays_for: PaysFor,
    /// An amount above what it may pay: refused, or the customer's loss.
    #[serde(default)]
    pub excess: Excess,
}

/// Why a `[[tenders]]` entry is refused; the key is its field's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderProblem {
    /// The label is empty or longer than 32 characters.
    #[error("label: 1 to 32 characters")]
    Label,
    /// The short label is empty or longer than 12 characters.
    #[error("short_label: 1 to 12 characters")]
    ShortLabel,
    /// `max_per_sale` not between 0.01 and 1 000 000 with 2 decimals.
    #[error("max_per_sale: {0} is outside 0.01 to 1000000 (at most 2 decimals)")]
    MaxPerSale(Money),
    /// Giving change and losing the excess contradict each other.
    #[error("excess: \"lost\" needs gives_change = false")]
    LostWithChange,
    /// Two entries with one code.
    #[error("code: {0} is defined twice")]
    Duplicate(TenderCode),
    /// More than [`MAX_SHOP_TENDERS`].
    #[error("at most {MAX_SHOP_TENDERS} tenders")]
    TooMany,
}

impl TenderProblem {
    /// The field at fault, as written in till.toml.
    pub fn field(&self) -> &'static str {
        match self {
            TenderProblem::Label => "label",
            TenderProblem::ShortLabel => "short_label",
            TenderProblem::MaxPerSale(_) => "max_per_sale",
            TenderProblem::LostWithChange => "excess",
            TenderProblem::Duplicate(_) => "code",
            TenderProblem::TooMany => "tenders",
        }
    }
}

impl ShopTender {
    /// Checks one entry.
    pub fn check(&self) -> Result<(), TenderProblem> {
        let n = self.label.trim().chars().count();
        if n == 0 || n > 32 {
            return Err(TenderProblem::Label);
        }
        if let Some(s) = &self.short_label {
            let n = s.trim().chars().count();
            if n == 0 || n > 12 {
                return Err(TenderProblem::ShortLabel);
            }
        }
        if let Some(m) = self.max_per_sale {
            if m < Decimal::new(1, 2) || m > Decimal::from(1_000_000) || m.normalize().scale() > 2 {
                return Err(TenderProblem::MaxPerSale(m));
            }
        }
        if self.gives_change && self.excess == Excess::Lost {
            return Err(TenderProblem::LostWithChange);
        }
        Ok(())
    }

    /// Its kind in tender records.
    pub fn kind(&self) -> TenderKind {
        TenderKind::Shop(self.code)
    }
}

/// Checks a list: each entry, no code twice, at most [`MAX_SHOP_TENDERS`].
/// The error names the entry's code (None: the list as a whole).
pub fn check_all(tenders: &[ShopTender]) -> Result<(), (Option<TenderCode>, TenderProblem)> {
    if tenders.len() > MAX_SHOP_TENDERS {
        return Err((None, TenderProblem::TooMany));
    }
    for (i, t) in tenders.iter().enumerate() {
        t.check().map_err(|p| (Some(t.code), p))?;
        if tenders[..i].iter().any(|o| o.code == t.code) {
            return Err((Some(t.code), TenderProblem::Duplicate(t.code)));
        }
    }
    Ok(())
}

/// What a shop tender may still pay on a basket, and what limits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// The most it may pay now (never negative).
    pub amount: Money,
    /// What bounds `amount`.
    pub limit: Limit,
}

/// What bounds a shop tender's room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// What remains to pay.
    Remaining,
    /// The eligible articles' total, less what meal vouchers paid already.
    Eligible,
    /// The meal-voucher cap of the sale.
    Cap,
    /// The tender's own `max_per_sale`.
    MaxPerSale,
    /// Nothing (a tender that gives change, on any article, uncapped).
    None,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(code: &str) -> ShopTender {
        ShopTender {
            code: TenderCode::new(code).unwrap(),
            label: "Titres-restaurant".into(),
            short_label: None,
            gives_change: false,
            opens_drawer: true,
            max_per_sale: None,
            pays_for: PaysFor::MealVoucher,
            excess: Excess::Lost,
        }
    }

    #[test]
    fn codes_are_short_plain_and_not_built_in() {
        assert!(TenderCode::new("titre_restaurant").is_ok());
        assert_eq!(
            TenderCode::new("cash"),
            Err(crate::records::TenderCodeError::BuiltIn)
        );
        assert_eq!(
            TenderCode::new("Titre"),
            Err(crate::records::TenderCodeError::Characters)
        );
        assert_eq!(
            TenderCode::new("_x"),
            Err(crate::records::TenderCodeError::Characters)
        );
        assert_eq!(
            TenderCode::new(""),
            Err(crate::records::TenderCodeError::Length)
        );
        assert_eq!(
            TenderCode::new(&"a".repeat(32)),
            Err(crate::records::TenderCodeError::Length)
        );
    }

    #[test]
    fn a_shop_kind_round_trips_by_its_code_and_built_ins_keep_their_bytes() {
        let k = TenderKind::Shop(TenderCode::new("titre_restaurant").unwrap());
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, "\"titre_restaurant\"");
        assert_eq!(serde_json::from_str::<TenderKind>(&json).unwrap(), k);
        for b in TenderKind::ALL {
            let json = serde_json::to_string(&b).unwrap();
            assert_eq!(json, format!("\"{}\"", b.as_str()));
            assert_eq!(serde_json::from_str::<TenderKind>(&json).unwrap(), b);
        }
        assert!(serde_json::from_str::<TenderKind>("\"Titre\"").is_err());
    }

    #[test]
    fn a_list_is_checked_entry_by_entry() {
        assert!(check_all(&[tr("titre_restaurant"), tr("titre_carte")]).is_ok());
        let e = check_all(&[tr("a"), tr("a")]).unwrap_err();
        assert_eq!(e.1.field(), "code");
        let mut bad = tr("a");
        bad.gives_change = true;
        assert_eq!(bad.check(), Err(TenderProblem::LostWithChange));
        bad = tr("a");
        bad.max_per_sale = Some(Decimal::new(1, 3));
        assert_eq!(bad.check().unwrap_err().field(), "max_per_sale");
        bad = tr("a");
        bad.label = " ".into();
        assert_eq!(bad.check(), Err(TenderProblem::Label));
    }
}
