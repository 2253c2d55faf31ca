//! What the back office's dashboard pages show, computed from the rows of
//! [`crate::store::dash`] without I/O or clock (the caller passes "now"):
//! [`today`] (takings per store and terminal, basket average, payment
//! split, hours, 30 days, silent terminals), [`sales`] (a period by day,
//! week or month, per store, tender and VAT rate) and [`export`] (CSV and
//! the accountant's FEC).

pub mod export;
pub mod sales;
pub mod today;

use chrono::NaiveDate;
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Lang, Template};
use rust_decimal::Decimal;

/// A `YYYY-MM-DD` day.
pub fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The name a person reads for a tender kind (`tender:<kind>` keys).
pub fn tender_name(kind: &str, lang: Lang) -> String {
    let m = match kind {
        "cash" => Dash::TenderCash,
        "card" => Dash::TenderCard,
        "e_wallet" => Dash::TenderEWallet,
        "cheque" => Dash::TenderCheque,
        "bank_transfer" => Dash::TenderBankTransfer,
        "voucher" => Dash::TenderVoucher,
        "customer_account" => Dash::TenderCustomerAccount,
        other => return other.to_string(),
    };
    m.text(lang)
}

/// Totals by VAT rate: (rate, base, tax, total).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VatLine {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

/// The sums of one set of day-total keys (a day, a store, a period).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sums {
    pub records: Decimal,
    pub sales: Decimal,
    pub refunds: Decimal,
    pub net: Decimal,
    /// (tender kind, net amount), in the keys' order.
    pub tenders: Vec<(String, Decimal)>,
    /// By rate, ascending.
    pub vat: Vec<VatLine>,
}

impl Sums {
    /// Adds one `sales_totals` key's amount.
    pub fn add(&mut self, key: &str, v: Decimal) {
        use till_core::totals::names;
        match key {
            names::RECORDS => self.records += v,
            names::SALES => self.sales += v,
            names::REFUNDS => self.refunds += v,
            names::NET => self.net += v,
            _ => {
                if let Some(kind) = key.strip_prefix("tender:") {
                    match self.tenders.iter_mut().find(|t| t.0 == kind) {
                        Some(t) => t.1 += v,
                        None => self.tenders.push((kind.to_string(), v)),
                    }
                    return;
                }
                let Some((what, rate)) = key.split_once(':') else {
                    return;
                };
                let Ok(rate) = rate.parse::<Decimal>() else {
                    return;
                };
                let i = match self.vat.iter().position(|l| l.rate >= rate) {
                    Some(i) if self.vat[i].rate == rate => i,
                    Some(i) => {
                        self.vat.insert(
                            i,
                            VatLine {
                                rate,
                                ..VatLine::default()
                            },
                        );
                        i
                    }
                    None => {
                        self.vat.push(VatLine {
                            rate,
                            ..VatLine::default()
                        });
                        self.vat.len() - 1
                    }
                };
                match what {
                    "vat_base" => self.vat[i].base += v,
                    "vat_tax" => self.vat[i].tax += v,
                    "vat_total" => self.vat[i].total += v,
                    _ => {}
                }
            }
        }
    }

    /// The number of sale records, as a count.
    pub fn count(&self) -> u64 {
        use rust_decimal::prelude::ToPrimitive;
        self.records.to_u64().unwrap_or(0)
    }

    /// Net takings per sale record (None: no record).
    pub fn basket_average(&self) -> Option<Decimal> {
        (!self.records.is_zero()).then(|| (self.net / self.records).round_dp(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn sums_read_every_kind_of_key() {
        let mut s = Sums::default();
        for (k, v) in [
            ("records", dec!(3)),
            ("sales", dec!(30.00)),
            ("refunds", dec!(-4.50)),
            ("net", dec!(25.50)),
            ("tender:cash", dec!(10.50)),
            ("tender:card", dec!(15.00)),
            ("vat_base:20.00", dec!(10.00)),
            ("vat_tax:20.00", dec!(2.00)),
            ("vat_total:20.00", dec!(12.00)),
            ("vat_base:5.50", dec!(12.80)),
            ("vat_total:5.50", dec!(13.50)),
            ("cash_in", dec!(100)),
            ("tender:cash", dec!(1)),
        ] {
            s.add(k, v);
        }
        assert_eq!(s.count(), 3);
        assert_eq!(s.basket_average(), Some(dec!(8.50)));
        assert_eq!(
            s.tenders,
            vec![("cash".into(), dec!(11.50)), ("card".into(), dec!(15.00))]
        );
        assert_eq!(s.vat.len(), 2);
        assert_eq!((s.vat[0].rate, s.vat[0].total), (dec!(5.50), dec!(13.50)));
        assert_eq!((s.vat[1].base, s.vat[1].tax), (dec!(10.00), dec!(2.00)));
        assert_eq!(Sums::default().basket_average(), None);
    }
}
