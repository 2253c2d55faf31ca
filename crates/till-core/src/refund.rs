//! Cancellations and refunds: a completed sale is never edited; it is reversed
//! by a new record with negative quantities and amounts that references it.
//!
//! Refund lines keep the original's line numbers, so earlier refunds of a sale
//! can be summed per line ([`AlreadyRefunded::from_refunds`]). Amounts of a
//! partial refund are the difference of cumulative shares, so refunding a line
//! in several goes gives back exactly its total, to the cent.

use crate::auth::{Action, Role, User};
use crate::catalog::Item;
use crate::error::SaleError;
use crate::money::{round_to, Currency, Money};
use crate::records::{
    ApprovalRecord, SaleKind, SaleLine, SaleRecord, SaleRef, TenderKind, TenderRecord, Unit, UserId,
};
use crate::vat;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The flag recorded on a refund without receipt.
pub const FLAG_WITHOUT_RECEIPT: &str = "refund_without_receipt";

/// Who reverses a sale, under which number, with which approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversal {
    /// The new record's receipt number.
    pub sale_no: String,
    /// The business day of the reversal.
    pub business_day: NaiveDate,
    /// Who does it.
    pub operator: UserId,
    /// Their role, which decides what needs approval.
    pub operator_role: Role,
    /// Approvals obtained (see `auth::approve`).
    pub approvals: Vec<ApprovalRecord>,
    /// The till's currency (its minor units round the shares).
    pub currency: Currency,
    /// The shop's permission table.
    pub permissions: crate::permissions::Permissions,
}

impl Reversal {
    /// A reversal by `operator`, in euros, without approvals yet.
    pub fn new(sale_no: &str, business_day: NaiveDate, operator: &User) -> Reversal {
        Reversal {
            sale_no: sale_no.to_string(),
            business_day,
            operator: operator.id.clone(),
            operator_role: operator.role,
            approvals: Vec::new(),
            currency: Currency::eur(),
            permissions: Default::default(),
        }
    }

    fn need(&self, action: Action, detail: String) -> Result<(), SaleError> {
        self.permissions
            .authorize(self.operator_role, &self.approvals, action, detail)
            .map_err(Into::into)
    }
}

/// What earlier refunds of a sale gave back, as positive numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlreadyRefunded {
    /// Quantity refunded per original line number.
    pub quantities: BTreeMap<u32, Decimal>,
    /// Amount refunded per tender kind.
    pub tenders: BTreeMap<TenderKind, Money>,
    /// Whether the original's cash rounding was given back.
    pub rounding: bool,
}

impl AlreadyRefunded {
    /// Sums earlier refund (or cancellation) records of one sale.
    pub fn from_refunds<'a>(refunds: impl IntoIterator<Item = &'a SaleRecord>) -> Self {
        let mut out = AlreadyRefunded::default();
        for r in refunds {
            for l in &r.lines {
                *out.quantities.entry(l.line_no).or_default() -= l.quantity;
            }
            for t in &r.tenders {
                *out.tenders.entry(t.kind).or_default() -= t.amount;
            }
            out.rounding |= !r.rounding.is_zero();
        }
        out
    }

    /// What is still refundable per original line (line number, quantity),
    /// for the screen that lets the cashier pick lines. Lines fully refunded
    /// are left out.
    pub fn refundable(&self, original: &SaleRecord) -> Vec<(u32, Decimal)> {
        original
            .lines
            .iter()
            .map(|l| {
                let done = self.quantities.get(&l.line_no).copied().unwrap_or_default();
                (l.line_no, l.quantity - done)
            })
            .filter(|(_, q)| *q > Decimal::ZERO)
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.quantities.values().all(|q| q.is_zero()) && !self.rounding
    }
}

/// Cancels a completed sale whole (e.g. the customer changed their mind at the
/// counter): an exact mirror, tenders included. Needs `cancel_sale` approval.
pub fn cancel(
    original: &SaleRecord,
    original_ref: SaleRef,
    ctx: &Reversal,
    already: &AlreadyRefunded,
) -> Result<SaleRecord, SaleError> {
    if original.kind != SaleKind::Sale {
        return Err(SaleError::NotASale);
    }
    if !already.is_empty() {
        return Err(SaleError::AlreadyRefunded);
    }
    ctx.need(
        Action::CancelSale,
        format!("cancel sale {}", original.sale_no),
    )?;
    let picks = original
        .lines
        .iter()
        .map(|l| (l.line_no, l.quantity))
        .collect();
    build(
        original,
        original_ref,
        ctx,
        already,
        picks,
        SaleKind::Cancellation,
    )
}

/// Refunds everything of `original` not refunded yet. Needs `refund` approval.
pub fn refund_all(
    original: &SaleRecord,
    original_ref: SaleRef,
    ctx: &Reversal,
    already: &AlreadyRefunded,
) -> Result<SaleRecord, SaleError> {
    let picks: BTreeMap<u32, Decimal> = already.refundable(original).into_iter().collect();
    refund(original, original_ref, ctx, already, picks)
}

/// Refunds the given quantities of the given original lines (line number,
/// quantity, both as on the receipt). Never more than sold minus already
/// refunded. Needs `refund` approval.
pub fn refund_lines(
    original: &SaleRecord,
    original_ref: SaleRef,
    selection: &[(u32, Decimal)],
    ctx: &Reversal,
    already: &AlreadyRefunded,
) -> Result<SaleRecord, SaleError> {
    let mut picks: BTreeMap<u32, Decimal> = BTreeMap::new();
    for &(line_no, q) in selection {
        if q <= Decimal::ZERO || q > Decimal::from(1_000_000) {
            return Err(SaleError::InvalidQuantity(q));
        }
        *picks.entry(line_no).or_default() += q;
    }
    refund(original, original_ref, ctx, already, picks)
}

fn refund(
    original: &SaleRecord,
    original_ref: SaleRef,
    ctx: &Reversal,
    already: &AlreadyRefunded,
    picks: BTreeMap<u32, Decimal>,
) -> Result<SaleRecord, SaleError> {
    if original.kind != SaleKind::Sale {
        return Err(SaleError::NotASale);
    }
    if picks.is_empty() {
        return Err(SaleError::NothingToRefund);
    }
    ctx.need(
        Action::Refund,
        format!("refund of sale {}", original.sale_no),
    )?;
    build(
        original,
        original_ref,
        ctx,
        already,
        picks,
        SaleKind::Refund,
    )
}

/// The share of `x` for quantities `from..to` of `of`: the difference of
/// cumulative rounded shares, so that shares over all refunds sum to `x`.
fn share(x: Money, from: Decimal, to: Decimal, of: Decimal, dp: u32) -> Money {
    round_to(x * to / of, dp) - round_to(x * from / of, dp)
}

fn build(
    original: &SaleRecord,
    original_ref: SaleRef,
    ctx: &Reversal,
    already: &AlreadyRefunded,
    picks: BTreeMap<u32, Decimal>,
    kind: SaleKind,
) -> Result<SaleRecord, SaleError> {
    let dp = ctx.currency.minor_units;
    let mut lines = Vec::with_capacity(picks.len());
    for (&line_no, &q) in &picks {
        let l = original
            .lines
            .iter()
            .find(|l| l.line_no == line_no)
            .ok_or(SaleError::NoSuchLine(line_no))?;
        let done = already
            .quantities
            .get(&line_no)
            .copied()
            .unwrap_or_default();
        let remaining = (l.quantity - done).max(Decimal::ZERO);
        if q <= Decimal::ZERO || q > remaining {
            return Err(SaleError::RefundExceedsSold {
                line_no,
                requested: q,
                remaining,
            });
        }
        let to = done + q;
        let gross = share(l.gross, done, to, l.quantity, dp);
        let line_discount = share(l.line_discount, done, to, l.quantity, dp);
        let basket_discount = share(l.basket_discount, done, to, l.quantity, dp);
        lines.push(SaleLine {
            quantity: -q,
            gross: -gross,
            line_discount: -line_discount,
            basket_discount: -basket_discount,
            total: -(gross - line_discount - basket_discount),
            ..l.clone()
        });
    }
    let total: Money = lines.iter().map(|l| l.total).sum::<Money>() + round_to(Decimal::ZERO, dp);
    // The original's cash rounding goes back with the refund that empties it.
    let completes = original.lines.iter().all(|l| {
        let done = already
            .quantities
            .get(&l.line_no)
            .copied()
            .unwrap_or_default();
        done + picks.get(&l.line_no).copied().unwrap_or_default() >= l.quantity
    });
    let rounding = if completes && !already.rounding {
        -original.rounding
    } else {
        round_to(Decimal::ZERO, dp)
    };
    let tenders = allocate(
        original,
        already,
        -(total + rounding),
        kind == SaleKind::Refund,
        dp,
    );
    let record = SaleRecord {
        kind,
        sale_no: ctx.sale_no.clone(),
        business_day: ctx.business_day,
        operator: ctx.operator.clone(),
        customer: original.customer.clone(),
        vat: vat::breakdown(lines.iter().map(|l| (l.vat_rate, l.total)), dp),
        basket_discount: lines.iter().map(|l| l.basket_discount).sum(),
        lines,
        total,
        rounding,
        tenders,
        change: round_to(Decimal::ZERO, dp),
        reverses: Some(original_ref),
        without_receipt: false,
        approvals: ctx.approvals.clone(),
        flags: Vec::new(),
        training: original.training,
    };
    record.check().map_err(SaleError::Inconsistent)?;
    Ok(record)
}

/// Gives `amount` (positive, what goes back to the customer) back to the
/// original tenders: card to card, e-wallet, voucher, account and transfer to
/// themselves, up to what each paid minus what earlier refunds gave back; the
/// rest in cash. A refund pays cheques back in cash (the till cannot write a
/// cheque); a cancellation hands the cheque back.
fn allocate(
    original: &SaleRecord,
    already: &AlreadyRefunded,
    amount: Money,
    cheque_to_cash: bool,
    dp: u32,
) -> Vec<TenderRecord> {
    let mut left = amount;
    let mut used = already.tenders.clone();
    let mut out: Vec<TenderRecord> = Vec::new();
    for t in &original.tenders {
        if t.kind == TenderKind::Cash || (cheque_to_cash && t.kind == TenderKind::Cheque) {
            continue;
        }
        if left <= Decimal::ZERO {
            break;
        }
        let spent = used.entry(t.kind).or_default();
        // Earlier refunds of this kind use up the first tenders of that kind.
        let from_earlier = (*spent).min(t.amount).max(Decimal::ZERO);
        *spent -= from_earlier;
        let take = (t.amount - from_earlier).min(left);
        if take > Decimal::ZERO {
            out.push(TenderRecord {
                kind: t.kind,
                amount: -round_to(take, dp),
                reference: t.reference.clone(),
                card: None,
            });
            left -= take;
        }
    }
    if left > Decimal::ZERO || out.is_empty() {
        out.push(TenderRecord {
            kind: TenderKind::Cash,
            amount: -round_to(left, dp),
            reference: None,
            card: None,
        });
    }
    out
}

/// Refunds goods brought back without a receipt: no original to reference,
/// priced at today's catalog price, paid back with `tender`. Needs a manager's
/// approval and is flagged for head office.
pub fn refund_without_receipt(
    returned: &[(&Item, Decimal)],
    tender: TenderKind,
    ctx: &Reversal,
) -> Result<SaleRecord, SaleError> {
    let dp = ctx.currency.minor_units;
    if returned.is_empty() {
        return Err(SaleError::NothingToRefund);
    }
    let mut lines = Vec::with_capacity(returned.len());
    for (n, (item, q)) in returned.iter().enumerate() {
        let q = *q;
        let bad = q <= Decimal::ZERO
            || q > Decimal::from(10_000)
            || (item.unit == Unit::Piece && !q.fract().is_zero())
            || item.price < Decimal::ZERO
            || item.price > Decimal::from(1_000_000);
        if bad {
            return Err(SaleError::InvalidQuantity(q));
        }
        let gross = round_to(q * item.price, dp);
        let zero = round_to(Decimal::ZERO, dp);
        lines.push(SaleLine {
            line_no: u32::try_from(n + 1).unwrap_or(u32::MAX),
            item_id: item.id.clone(),
            barcode: None,
            name: item.name.clone(),
            unit: item.unit,
            quantity: -q,
            unit_price: item.price,
            overridden_from: None,
            vat_rate: item.vat_rate,
            gross: -gross,
            line_discount: zero,
            basket_discount: zero,
            total: -gross,
            stock_tracked: item.stock_tracked,
        });
    }
    let total: Money = lines.iter().map(|l| l.total).sum::<Money>() + round_to(Decimal::ZERO, dp);
    ctx.need(
        Action::RefundWithoutReceipt,
        format!("refund without receipt of {}", ctx.currency.format(-total)),
    )?;
    let zero = round_to(Decimal::ZERO, dp);
    let record = SaleRecord {
        kind: SaleKind::Refund,
        sale_no: ctx.sale_no.clone(),
        business_day: ctx.business_day,
        operator: ctx.operator.clone(),
        customer: None,
        vat: vat::breakdown(lines.iter().map(|l| (l.vat_rate, l.total)), dp),
        lines,
        basket_discount: zero,
        total,
        rounding: zero,
        tenders: vec![TenderRecord {
            kind: tender,
            amount: total,
            reference: None,
            card: None,
        }],
        change: zero,
        reverses: None,
        without_receipt: true,
        approvals: ctx.approvals.clone(),
        flags: vec![FLAG_WITHOUT_RECEIPT.to_string()],
        training: false,
    };
    record.check().map_err(SaleError::Inconsistent)?;
    Ok(record)
}

#[cfg(test)]
mod tests;
