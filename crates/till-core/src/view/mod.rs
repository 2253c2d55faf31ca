//! The one decoding of sale and stock movement payloads for everything that
//! sums them: the journal's projections (append and rebuild), the verifier's
//! recomputation and head office's ingest. A view borrows the payload and
//! exposes only what the totals and stock need ([`crate::totals`] says what
//! they add up to).
//!
//! A view is exactly serde's decoding of the record ([`SaleRecord`],
//! [`StockMovement`]): it decodes when, and only when, `Event::decode` does,
//! with the same values. The payload scanner (`scan.rs`) is an accelerator
//! behind it: it reads what the till writes several times faster than serde,
//! and declines anything it is unsure of, which serde then decides.

mod keys;
mod lexer;
mod scan;
#[doc(hidden)]
pub mod test_support;
#[cfg(test)]
mod tests;

use crate::records::{SaleKind, SaleRecord, StockMovement, StockReason, TenderKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use scan::{LineScan, MovementLineScan, MovementScan, SaleScan};

/// `-?digits(.digits)?` with at most 18 digits, read exactly as
/// `Decimal::from_str` reads it (same mantissa and scale); `None` for
/// anything else (then parse with `Decimal::from_str`).
pub fn plain_decimal(text: &[u8]) -> Option<Decimal> {
    scan::decimal(text)
}

/// What a [`SaleView`] borrows besides the payload, kept between decodings
/// so that a loop over many sales does not allocate.
#[derive(Debug, Default)]
pub struct SaleBuf {
    scan: SaleScan,
    /// Item ids of a sale decoded by serde.
    items: String,
}

/// The scalar fields of a sale, read by either decoder.
#[derive(Debug, Clone, Copy)]
struct SaleHead {
    kind: SaleKind,
    business_day: NaiveDate,
    total: Decimal,
    change: Decimal,
    training: bool,
    reverses: Option<u64>,
}

/// A sale, cancellation or refund payload, as the totals and stock read it.
#[derive(Debug, Clone, Copy)]
pub struct SaleView<'a> {
    /// Sale, cancellation or refund.
    pub kind: SaleKind,
    /// The business day it counts in.
    pub business_day: NaiveDate,
    /// Sum of line totals, tax-inclusive.
    pub total: Decimal,
    /// Cash handed back.
    pub change: Decimal,
    /// Training mode: in no fiscal total, moves no stock.
    pub training: bool,
    /// The seq of the sale it reverses (`reverses.seq`), if any.
    pub reverses: Option<u64>,
    /// Whether the payload scanner read it (false: serde did, or it was
    /// built from a record).
    pub scanned: bool,
    /// Where the item ids lie: the payload, or the buffer's copy.
    text: &'a [u8],
    lines: &'a [LineScan],
    vat: &'a [[Decimal; 4]],
    tenders: &'a [(TenderKind, Decimal)],
}

/// One line of a [`SaleView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineView<'a> {
    /// The article.
    pub item_id: &'a str,
    /// Pieces or kilograms (negative on refunds).
    pub quantity: Decimal,
    /// Whether the line moves stock.
    pub stock_tracked: bool,
}

/// One row of a sale's VAT table, the rate as written (not rounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatAmounts {
    /// Rate in percent.
    pub rate: Decimal,
    /// Taxable base.
    pub base: Decimal,
    /// VAT amount.
    pub tax: Decimal,
    /// Tax-inclusive total.
    pub total: Decimal,
}

/// The text between `at` in `text`: the scanner only records ranges of
/// valid UTF-8 strings without escapes, and the buffer only whole `str`s.
fn text_at(text: &[u8], at: (usize, usize)) -> &str {
    text.get(at.0..at.1)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or_default()
}

impl SaleScan {
    fn head(&self) -> Option<SaleHead> {
        Some(SaleHead {
            kind: self.kind?,
            business_day: self.business_day?,
            total: self.total?,
            change: self.change?,
            training: self.training?,
            reverses: self.reverses,
        })
    }
}

impl<'a> SaleView<'a> {
    /// Decodes a sale, cancellation or refund payload: through the scanner
    /// when it can, else through serde, whose error this is.
    pub fn decode(payload: &'a [u8], buf: &'a mut SaleBuf) -> Result<Self, serde_json::Error> {
        let head = scan::scan_sale(payload, &mut buf.scan).and_then(|_| buf.scan.head());
        match head {
            Some(h) => Ok(Self::with(h, true, payload, &buf.scan)),
            None => {
                let record: SaleRecord = serde_json::from_slice(payload)?;
                Ok(Self::of_record(&record, buf))
            }
        }
    }

    /// The scanner alone: `None` when it declines (tests, fuzzing).
    pub fn scan_only(payload: &'a [u8], buf: &'a mut SaleBuf) -> Option<Self> {
        scan::scan_sale(payload, &mut buf.scan)?;
        let h = buf.scan.head()?;
        Some(Self::with(h, true, payload, &buf.scan))
    }

    /// The view of a record already decoded (the item ids are copied into
    /// `buf`).
    pub fn of_record(r: &SaleRecord, buf: &'a mut SaleBuf) -> Self {
        let s = &mut buf.scan;
        s.lines.clear();
        s.vat.clear();
        s.tenders.clear();
        buf.items.clear();
        for l in &r.lines {
            let from = buf.items.len();
            buf.items.push_str(&l.item_id);
            s.lines.push(LineScan {
                item: (from, buf.items.len()),
                quantity: l.quantity,
                stock_tracked: l.stock_tracked,
            });
        }
        s.vat.extend(
            r.vat
                .iter()
                .map(|v| [v.rate.as_percent(), v.base, v.tax, v.total]),
        );
        s.tenders
            .extend(r.tenders.iter().map(|t| (t.kind, t.amount)));
        let head = SaleHead {
            kind: r.kind,
            business_day: r.business_day,
            total: r.total,
            change: r.change,
            training: r.training,
            reverses: r.reverses.as_ref().map(|x| x.seq),
        };
        let buf: &'a SaleBuf = buf;
        Self::with(head, false, buf.items.as_bytes(), &buf.scan)
    }

    fn with(h: SaleHead, scanned: bool, text: &'a [u8], s: &'a SaleScan) -> Self {
        SaleView {
            kind: h.kind,
            business_day: h.business_day,
            total: h.total,
            change: h.change,
            training: h.training,
            reverses: h.reverses,
            scanned,
            text,
            lines: &s.lines,
            vat: &s.vat,
            tenders: &s.tenders,
        }
    }

    /// The lines, in order.
    pub fn lines(&self) -> impl Iterator<Item = LineView<'a>> + 'a {
        let text = self.text;
        self.lines.iter().map(move |l| LineView {
            item_id: text_at(text, l.item),
            quantity: l.quantity,
            stock_tracked: l.stock_tracked,
        })
    }

    /// The VAT table, in order.
    pub fn vat(&self) -> impl Iterator<Item = VatAmounts> + 'a {
        self.vat.iter().map(|v| VatAmounts {
            rate: v[0],
            base: v[1],
            tax: v[2],
            total: v[3],
        })
    }

    /// The tenders (kind, amount), in order.
    pub fn tenders(&self) -> impl Iterator<Item = (TenderKind, Decimal)> + 'a {
        self.tenders.iter().copied()
    }
}

/// What a [`MovementView`] borrows besides the payload (see [`SaleBuf`]).
#[derive(Debug, Default)]
pub struct MovementBuf {
    scan: MovementScan,
    items: String,
}

/// A stock movement payload, as the stock reads it.
#[derive(Debug, Clone, Copy)]
pub struct MovementView<'a> {
    /// Why stock moved.
    pub reason: StockReason,
    /// Whether the payload scanner read it.
    pub scanned: bool,
    text: &'a [u8],
    lines: &'a [MovementLineScan],
}

/// One line of a [`MovementView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovementLineView<'a> {
    /// The article.
    pub item_id: &'a str,
    /// Signed change of the level.
    pub delta: Decimal,
    /// For inventory counts: what was counted.
    pub counted: Option<Decimal>,
}

impl<'a> MovementView<'a> {
    /// Decodes a stock movement payload, as [`SaleView::decode`] a sale.
    pub fn decode(payload: &'a [u8], buf: &'a mut MovementBuf) -> Result<Self, serde_json::Error> {
        let reason = scan::scan_movement(payload, &mut buf.scan).and_then(|_| buf.scan.reason);
        match reason {
            Some(reason) => Ok(MovementView {
                reason,
                scanned: true,
                text: payload,
                lines: &buf.scan.lines,
            }),
            None => {
                let m: StockMovement = serde_json::from_slice(payload)?;
                Ok(Self::of_record(&m, buf))
            }
        }
    }

    /// The scanner alone: `None` when it declines.
    pub fn scan_only(payload: &'a [u8], buf: &'a mut MovementBuf) -> Option<Self> {
        scan::scan_movement(payload, &mut buf.scan)?;
        Some(MovementView {
            reason: buf.scan.reason?,
            scanned: true,
            text: payload,
            lines: &buf.scan.lines,
        })
    }

    /// The view of a movement already decoded.
    pub fn of_record(m: &StockMovement, buf: &'a mut MovementBuf) -> Self {
        buf.scan.lines.clear();
        buf.items.clear();
        for l in &m.lines {
            let from = buf.items.len();
            buf.items.push_str(&l.item_id);
            buf.scan.lines.push(MovementLineScan {
                item: (from, buf.items.len()),
                delta: l.delta,
                counted: l.counted,
            });
        }
        let buf: &'a MovementBuf = buf;
        MovementView {
            reason: m.reason,
            scanned: false,
            text: buf.items.as_bytes(),
            lines: &buf.scan.lines,
        }
    }

    /// The lines, in order.
    pub fn lines(&self) -> impl Iterator<Item = MovementLineView<'a>> + 'a {
        let text = self.text;
        self.lines.iter().map(move |l| MovementLineView {
            item_id: text_at(text, l.item),
            delta: l.delta,
            counted: l.counted,
        })
    }
}
