//! Payment terms and the French legal ceilings (Code de commerce L441-10):
//! between businesses, payment is due at most 60 days after the invoice
//! date, or 45 days end of month. Terms beyond either are refused.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days from the invoice date the law allows at most.
pub const MAX_NET_DAYS: u16 = 60;

/// When an invoice is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "days")]
pub enum PaymentTerms {
    /// Paid on the day (comptant).
    Cash,
    /// N days after the invoice date (30 days net is `Net(30)`).
    Net(u16),
    /// 45 days end of month: the invoice date plus 45 days, then the end
    /// of that month (the ceiling's own wording).
    EndOfMonth45,
}

impl PaymentTerms {
    /// The stable code: `cash`, `net30`, `eom45`, `netN` for N days.
    pub fn code(self) -> String {
        match self {
            PaymentTerms::Cash => "cash".into(),
            PaymentTerms::Net(n) => format!("net{n}"),
            PaymentTerms::EndOfMonth45 => "eom45".into(),
        }
    }

    /// From its code (`cash`, `net30`, `eom45`, `netN`); the days' bound is
    /// [`PaymentTerms::check`]'s.
    pub fn parse(s: &str) -> Option<PaymentTerms> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "cash" => Some(PaymentTerms::Cash),
            "eom45" => Some(PaymentTerms::EndOfMonth45),
            _ => {
                let n: u16 = s.strip_prefix("net")?.parse().ok()?;
                Some(PaymentTerms::Net(n))
            }
        }
    }

    /// Within the legal ceilings: 1 to 60 days net.
    pub fn check(self) -> Result<(), String> {
        match self {
            PaymentTerms::Net(0) => Err("0 days net: use cash".into()),
            PaymentTerms::Net(n) if n > MAX_NET_DAYS => Err(format!(
                "{n} days is beyond the legal ceiling of {MAX_NET_DAYS} days from the invoice \
                 (or 45 days end of month), Code de commerce L441-10"
            )),
            _ => Ok(()),
        }
    }

    /// The due date of an invoice dated `invoice`.
    pub fn due_date(self, invoice: NaiveDate) -> NaiveDate {
        match self {
            PaymentTerms::Cash => invoice,
            PaymentTerms::Net(n) => invoice
                .checked_add_days(Days::new(u64::from(n)))
                .unwrap_or(NaiveDate::MAX),
            PaymentTerms::EndOfMonth45 => {
                let d = invoice
                    .checked_add_days(Days::new(45))
                    .unwrap_or(NaiveDate::MAX);
                end_of_month(d)
            }
        }
    }
}

fn end_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(d)
}
