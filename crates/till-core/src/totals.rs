//! What a record adds to the day totals and the stock: the one rule the
//! till's projections, its verifier and head office's `sales_totals` all
//! apply, so that a till's totals and head office's agree to the cent.
//!
//! Day totals, per business day, training records excluded:
//! `records` (count), `sales` (sum of records with total >= 0), `refunds`
//! (sum of records with total < 0), `net`, `tender:<kind>` (net per tender;
//! cash net of the change given), `vat_base:<rate>`, `vat_tax:<rate>`,
//! `vat_total:<rate>` (rate in percent with two decimals, e.g. `20.00`: "5.5"
//! and "5.50" are one rate), `cash_in`, `cash_out`.
//!
//! Stock: each stock-tracked line of a non-training sale, cancellation or
//! refund moves `-quantity` (a refund's negative quantity puts stock back).

use crate::money::round_to;
use crate::records::PeriodTotals;
use crate::records::{CashDirection, SaleKind, TenderKind};
use crate::vat::{VatLine, VatRate};
use crate::view::SaleView;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The stored names of the keys without a parameter.
pub mod names {
    /// [`super::DayKey::Records`].
    pub const RECORDS: &str = "records";
    /// [`super::DayKey::Sales`].
    pub const SALES: &str = "sales";
    /// [`super::DayKey::Refunds`].
    pub const REFUNDS: &str = "refunds";
    /// [`super::DayKey::Net`].
    pub const NET: &str = "net";
    /// [`super::DayKey::CashIn`].
    pub const CASH_IN: &str = "cash_in";
    /// [`super::DayKey::CashOut`].
    pub const CASH_OUT: &str = "cash_out";
}

/// A day-totals key, typed so that summing does not allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayKey {
    /// Number of sale records.
    Records,
    /// Sum of the records with total >= 0.
    Sales,
    /// Sum of the records with total < 0.
    Refunds,
    /// Sum of all records.
    Net,
    /// Net per tender (cash net of change).
    Tender(TenderKind),
    /// VAT base per rate (percent, scale 2).
    VatBase(Decimal),
    /// VAT amount per rate.
    VatTax(Decimal),
    /// Tax-inclusive total per rate.
    VatTotal(Decimal),
    /// Cash put in the drawer outside sales.
    CashIn,
    /// Cash taken out of the drawer outside sales.
    CashOut,
}

impl DayKey {
    /// The key as stored (`day_totals.key` at the till, `sales_totals.key`
    /// at head office).
    pub fn as_key(&self) -> String {
        match self {
            DayKey::Records => names::RECORDS.into(),
            DayKey::Sales => names::SALES.into(),
            DayKey::Refunds => names::REFUNDS.into(),
            DayKey::Net => names::NET.into(),
            DayKey::Tender(t) => format!("tender:{}", t.as_str()),
            DayKey::VatBase(r) => format!("vat_base:{r}"),
            DayKey::VatTax(r) => format!("vat_tax:{r}"),
            DayKey::VatTotal(r) => format!("vat_total:{r}"),
            DayKey::CashIn => names::CASH_IN.into(),
            DayKey::CashOut => names::CASH_OUT.into(),
        }
    }

    /// The key a cash movement adds its amount to.
    pub fn cash(direction: CashDirection) -> DayKey {
        match direction {
            CashDirection::In => DayKey::CashIn,
            CashDirection::Out => DayKey::CashOut,
        }
    }
}

/// The stock ledger's reason for a sale record's lines.
pub fn stock_reason(kind: SaleKind) -> &'static str {
    match kind {
        SaleKind::Sale => "sale",
        SaleKind::Cancellation => "cancellation",
        SaleKind::Refund => "return",
    }
}

impl<'a> SaleView<'a> {
    /// The record's day-total amounts, given to `add` one by one (a key may
    /// come twice: the caller sums); nothing for a training record.
    pub fn day_amounts(&self, mut add: impl FnMut(DayKey, Decimal)) {
        if self.training {
            return;
        }
        add(DayKey::Records, Decimal::ONE);
        if self.total >= Decimal::ZERO {
            add(DayKey::Sales, self.total);
        } else {
            add(DayKey::Refunds, self.total);
        }
        add(DayKey::Net, self.total);
        for (kind, amount) in self.tenders() {
            add(DayKey::Tender(kind), amount);
        }
        if !self.change.is_zero() {
            add(DayKey::Tender(TenderKind::Cash), -self.change);
        }
        for v in self.vat() {
            let r = round_to(v.rate, 2);
            add(DayKey::VatBase(r), v.base);
            add(DayKey::VatTax(r), v.tax);
            add(DayKey::VatTotal(r), v.total);
        }
    }

    /// The record's stock moves (item, delta), in line order; none for a
    /// training record. Their reason is [`SaleView::stock_reason`].
    pub fn stock_deltas(&self) -> impl Iterator<Item = (&'a str, Decimal)> + 'a {
        let training = self.training;
        self.lines()
            .filter(move |l| l.stock_tracked && !training)
            .map(|l| (l.item_id, -l.quantity))
    }

    /// The stock ledger's reason for this record's moves.
    pub fn stock_reason(&self) -> &'static str {
        stock_reason(self.kind)
    }
}

/// A period's totals (what an X or Z report and a closing carry) from its
/// day-total keys summed over its business days ([`DayKey::as_key`] names).
/// The till's closings and the archive verifier (`comptoir-verify`) both
/// build them here, so a recomputed closing compares field by field.
pub fn period_totals(sums: &std::collections::BTreeMap<String, Decimal>) -> PeriodTotals {
    let get = |k: &str| sums.get(k).copied().unwrap_or_default();
    let mut t = PeriodTotals {
        records: get(names::RECORDS).to_u64().unwrap_or(0),
        net_total: get(names::NET),
        sales_total: get(names::SALES),
        refunds_total: get(names::REFUNDS),
        cash_in: get(names::CASH_IN),
        cash_out: get(names::CASH_OUT),
        ..PeriodTotals::default()
    };
    let mut vat: std::collections::BTreeMap<VatRate, VatLine> = std::collections::BTreeMap::new();
    for (k, v) in sums {
        if let Some(tender) = k.strip_prefix("tender:") {
            t.by_tender.insert(tender.to_string(), *v);
        } else if let Some((what, rate)) = k.split_once(':') {
            let Some(rate) = rate.parse().ok().and_then(|r| VatRate::percent(r).ok()) else {
                continue;
            };
            let line = vat.entry(rate).or_insert(VatLine {
                rate,
                base: Decimal::ZERO,
                tax: Decimal::ZERO,
                total: Decimal::ZERO,
            });
            match what {
                "vat_base" => line.base += *v,
                "vat_tax" => line.tax += *v,
                "vat_total" => line.total += *v,
                _ => {}
            }
        }
    }
    t.by_vat = vat.into_values().collect();
    t
}
