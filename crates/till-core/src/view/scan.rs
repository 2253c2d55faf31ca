//! The payload scanner behind [`super::SaleView`] and [`super::MovementView`]:
//! several times faster than serde on the payloads the till writes.
//!
//! The verifier and head office read every sale of a large journal or batch,
//! and serde spends most of its time building strings nobody reads (names,
//! barcodes, card outcomes). This scanner walks the JSON once, checks every
//! field of the record the way serde's decoding of [`crate::records`] would
//! (presence, type, duplicates), and keeps only what the totals and stock
//! need.
//!
//! It may only decline, never accept what serde refuses: when it returns
//! `Some`, `serde_json::from_slice::<SaleRecord>` (or `StockMovement`) also
//! succeeds and gives the same values (property tests mutate payloads to
//! check this). Anything it is unsure of (an escape in a field it reads, a
//! `\u` escape anywhere, invalid UTF-8, a number where a string is expected,
//! a decimal written as a JSON number or with more than 18 digits...) returns
//! `None`, and serde decides.

use crate::records::{SaleKind, StockReason, TenderKind, Unit};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One sale line: where its item id lies in the text, quantity, tracked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineScan {
    pub item: (usize, usize),
    pub quantity: Decimal,
    pub stock_tracked: bool,
}

/// The fields of a sale, cancellation or refund the totals and stock use.
/// Vectors are kept between calls so that scanning does not allocate.
#[derive(Debug, Default)]
pub(crate) struct SaleScan {
    pub kind: Option<SaleKind>,
    pub business_day: Option<NaiveDate>,
    pub total: Option<Decimal>,
    pub change: Option<Decimal>,
    pub training: Option<bool>,
    pub lines: Vec<LineScan>,
    /// (rate, base, tax, total)
    pub vat: Vec<[Decimal; 4]>,
    pub tenders: Vec<(TenderKind, Decimal)>,
    /// The seq of the sale reversed (`reverses.seq`), if any.
    pub reverses: Option<u64>,
}

use super::keys::*;
pub(crate) use super::lexer::decimal;
use super::lexer::{complete, first, P};

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;

/// Scans a sale, cancellation or refund payload (a whole `SaleRecord`) into
/// `out`. `None`: decode with serde instead.
pub(crate) fn scan_sale(payload: &[u8], out: &mut SaleScan) -> Option<()> {
    out.kind = None;
    out.business_day = None;
    out.total = None;
    out.change = None;
    out.training = None;
    out.lines.clear();
    out.vat.clear();
    out.tenders.clear();
    out.reverses = None;
    let mut p = P {
        b: payload,
        i: 0,
        depth: 1,
    };
    let mut seen = 0u32;
    p.object(&SALE_KEYS, |p, key| {
        match key {
            KIND => {
                first(&mut seen, 0)?;
                out.kind = Some(p.variant()?);
            }
            SALE_NO => {
                first(&mut seen, 1)?;
                p.skip_str()?;
            }
            BUSINESS_DAY => {
                first(&mut seen, 2)?;
                out.business_day = Some(p.date()?);
            }
            OPERATOR => {
                first(&mut seen, 3)?;
                p.skip_str()?;
            }
            CUSTOMER => {
                first(&mut seen, 4)?;
                p.opt(|p| p.skip_str())?;
            }
            LINES => {
                first(&mut seen, 5)?;
                p.array(|p| {
                    let l = sale_line(p)?;
                    out.lines.push(l);
                    Some(())
                })?;
            }
            BASKET_DISCOUNT => {
                first(&mut seen, 6)?;
                p.decimal()?;
            }
            TOTAL => {
                first(&mut seen, 7)?;
                out.total = Some(p.decimal()?);
            }
            ROUNDING => {
                first(&mut seen, 8)?;
                p.decimal()?;
            }
            VAT => {
                first(&mut seen, 9)?;
                p.array(|p| {
                    let v = vat_line(p)?;
                    out.vat.push(v);
                    Some(())
                })?;
            }
            TENDERS => {
                first(&mut seen, 10)?;
                p.array(|p| {
                    let t = tender(p)?;
                    out.tenders.push(t);
                    Some(())
                })?;
            }
            CHANGE => {
                first(&mut seen, 11)?;
                out.change = Some(p.decimal()?);
            }
            REVERSES => {
                first(&mut seen, 12)?;
                out.reverses = p.opt(sale_ref)?;
            }
            WITHOUT_RECEIPT => {
                first(&mut seen, 13)?;
                p.boolean()?;
            }
            APPROVALS => {
                first(&mut seen, 14)?;
                p.array(approval)?;
            }
            FLAGS => {
                first(&mut seen, 15)?;
                p.strings()?;
            }
            TRAINING => {
                first(&mut seen, 16)?;
                out.training = Some(p.boolean()?);
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    p.ws();
    // customer (4) and reverses (12) are options.
    complete(seen, (1 << 17) - 1, 1 << 4 | 1 << 12)?;
    (p.i == payload.len()).then_some(())
}

/// A `SaleLine`.
fn sale_line(p: &mut P<'_>) -> Option<LineScan> {
    let (mut item, mut qty, mut tracked) = (None, None, None);
    let mut seen = 0u32;
    p.object(&LINE_KEYS, |p, key| {
        match key {
            LINE_NO => {
                first(&mut seen, 0)?;
                p.u32()?;
            }
            ITEM_ID => {
                first(&mut seen, 1)?;
                item = Some(p.plain_str()?);
            }
            BARCODE => {
                first(&mut seen, 2)?;
                p.opt(|p| p.skip_str())?;
            }
            NAME => {
                first(&mut seen, 3)?;
                p.skip_str()?;
            }
            UNIT => {
                first(&mut seen, 4)?;
                p.variant::<Unit>()?;
            }
            QUANTITY => {
                first(&mut seen, 5)?;
                qty = Some(p.decimal()?);
            }
            UNIT_PRICE => {
                first(&mut seen, 6)?;
                p.decimal()?;
            }
            OVERRIDDEN_FROM => {
                first(&mut seen, 7)?;
                p.opt(|p| p.decimal())?;
            }
            VAT_RATE => {
                first(&mut seen, 8)?;
                p.decimal()?;
            }
            GROSS => {
                first(&mut seen, 9)?;
                p.decimal()?;
            }
            LINE_DISCOUNT => {
                first(&mut seen, 10)?;
                p.decimal()?;
            }
            BASKET_DISCOUNT => {
                first(&mut seen, 11)?;
                p.decimal()?;
            }
            TOTAL => {
                first(&mut seen, 12)?;
                p.decimal()?;
            }
            STOCK_TRACKED => {
                first(&mut seen, 13)?;
                tracked = Some(p.boolean()?);
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    // barcode (2) and overridden_from (7) are options.
    complete(seen, (1 << 14) - 1, 1 << 2 | 1 << 7)?;
    Some(LineScan {
        item: item?,
        quantity: qty?,
        stock_tracked: tracked?,
    })
}

/// A `VatLine`: (rate, base, tax, total).
fn vat_line(p: &mut P<'_>) -> Option<[Decimal; 4]> {
    let mut v = [None; 4];
    p.object(&VAT_KEYS, |p, key| {
        let at = match key {
            RATE => 0,
            BASE => 1,
            TAX => 2,
            TOTAL => 3,
            _ => return Some(false),
        };
        if v[at].is_some() {
            return None;
        }
        v[at] = Some(p.decimal()?);
        Some(true)
    })?;
    Some([v[0]?, v[1]?, v[2]?, v[3]?])
}

/// A `TenderRecord`: (kind, amount).
fn tender(p: &mut P<'_>) -> Option<(TenderKind, Decimal)> {
    let (mut kind, mut amount) = (None, None);
    let mut seen = 0u32;
    p.object(&TENDER_KEYS, |p, key| {
        match key {
            KIND => {
                first(&mut seen, 0)?;
                kind = Some(p.variant()?);
            }
            AMOUNT => {
                first(&mut seen, 1)?;
                amount = Some(p.decimal()?);
            }
            REFERENCE => {
                first(&mut seen, 2)?;
                p.opt(|p| p.skip_str())?;
            }
            CARD => {
                first(&mut seen, 3)?;
                p.opt(card)?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    Some((kind?, amount?))
}

/// A `CardOutcome`: only checked.
fn card(p: &mut P<'_>) -> Option<()> {
    let mut seen = 0u32;
    p.object(&CARD_KEYS, |p, key| {
        let bit = match key {
            APPROVED => {
                first(&mut seen, 0)?;
                p.boolean()?;
                return Some(true);
            }
            MASKED_PAN => 1,
            AUTH_CODE => 2,
            SCHEME => 3,
            READ_MODE => 4,
            // The only key over 16 bytes: see `Code`. Another key of that
            // length is taken for it, which can only make the scanner
            // decline (a duplicate, a value that is not a string).
            TERMINAL_REFERENCE => 5,
            _ => return Some(false),
        };
        first(&mut seen, bit)?;
        p.opt(|p| p.skip_str())?;
        Some(true)
    })?;
    complete(seen, 1, 0)
}

/// A `SaleRef`: its seq.
fn sale_ref(p: &mut P<'_>) -> Option<u64> {
    let mut seq = None;
    let mut seen = 0u32;
    p.object(&REF_KEYS, |p, key| {
        match key {
            TERMINAL_ID => {
                first(&mut seen, 0)?;
                p.skip_str()?;
            }
            SEQ => {
                first(&mut seen, 1)?;
                seq = Some(p.unsigned()?);
            }
            SALE_NO => {
                first(&mut seen, 2)?;
                p.skip_str()?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    complete(seen, 0b111, 0)?;
    seq
}

/// An `ApprovalRecord`: only checked (four strings).
fn approval(p: &mut P<'_>) -> Option<()> {
    let mut seen = 0u32;
    p.object(&APPROVAL_KEYS, |p, key| {
        let bit = match key {
            ACTION => 0,
            REQUESTED_BY => 1,
            APPROVED_BY => 2,
            DETAIL => 3,
            _ => return Some(false),
        };
        first(&mut seen, bit)?;
        p.skip_str()?;
        Some(true)
    })?;
    complete(seen, 0b1111, 0)
}

/// One stock movement line: where its item id lies, delta, counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MovementLineScan {
    pub item: (usize, usize),
    pub delta: Decimal,
    pub counted: Option<Decimal>,
}

/// The fields of a stock movement the stock uses.
#[derive(Debug, Default)]
pub(crate) struct MovementScan {
    pub reason: Option<StockReason>,
    pub lines: Vec<MovementLineScan>,
}

/// Scans a stock movement payload (a whole `StockMovement`) into `out`, as
/// [`scan_sale`] does a sale.
pub(crate) fn scan_movement(payload: &[u8], out: &mut MovementScan) -> Option<()> {
    out.reason = None;
    out.lines.clear();
    let mut p = P {
        b: payload,
        i: 0,
        depth: 1,
    };
    let mut seen = 0u32;
    p.object(&MOVEMENT_KEYS, |p, key| {
        match key {
            REASON => {
                first(&mut seen, 0)?;
                out.reason = Some(p.variant()?);
            }
            REFERENCE => {
                first(&mut seen, 1)?;
                p.opt(|p| p.skip_str())?;
            }
            OTHER_SHOP => {
                first(&mut seen, 2)?;
                p.opt(|p| p.skip_str())?;
            }
            OPERATOR => {
                first(&mut seen, 3)?;
                p.skip_str()?;
            }
            LINES => {
                first(&mut seen, 4)?;
                p.array(|p| {
                    let l = movement_line(p)?;
                    out.lines.push(l);
                    Some(())
                })?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    p.ws();
    complete(seen, 0b11111, 0b110)?;
    (p.i == payload.len()).then_some(())
}

fn movement_line(p: &mut P<'_>) -> Option<MovementLineScan> {
    let (mut item, mut delta, mut counted) = (None, None, None);
    let mut seen = 0u32;
    p.object(&MOVEMENT_LINE_KEYS, |p, key| {
        match key {
            ITEM_ID => {
                first(&mut seen, 0)?;
                item = Some(p.plain_str()?);
            }
            DELTA => {
                first(&mut seen, 1)?;
                delta = Some(p.decimal()?);
            }
            COUNTED => {
                first(&mut seen, 2)?;
                counted = p.opt(|p| p.decimal())?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    Some(MovementLineScan {
        item: item?,
        delta: delta?,
        counted,
    })
}
