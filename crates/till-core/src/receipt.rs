//! The receipt as plain data (everything a French receipt must show), and its
//! plain-text rendering. The ESC/POS renderer works from the same [`Receipt`].

use crate::money::{Currency, Money};
use crate::records::{SaleKind, SaleRecord, Unit};
use crate::vat::VatLine;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The mark printed on every receipt in training mode.
pub const TRAINING_MARK: &str = "MODE FORMATION";

/// Who the shop is, from the till's configuration (`[till.shop]`, where an
/// unknown key is a typo to refuse).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopInfo {
    /// Trading name.
    pub name: String,
    /// Street, postcode and town, one per line.
    pub address_lines: Vec<String>,
    /// The shop's SIRET (14 digits).
    pub siret: String,
    /// Intra-community VAT number, if printed.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// Closing words ("Merci de votre visite").
    #[serde(default)]
    pub footer_lines: Vec<String>,
}

/// What the record alone does not say: where, when, by whom, its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptExtras {
    /// The terminal's id.
    pub terminal_id: String,
    /// The record's sequence number in the terminal's journal.
    pub seq: u64,
    /// Local date and time of the sale (passed in: no clock here).
    pub date_time: NaiveDateTime,
    /// The operator's name as printed.
    pub operator_name: String,
    /// A short extract of the record's signature or chained hash.
    pub signature_extract: String,
    /// The till software's version.
    pub software_version: String,
    /// 0 for the original; n for the n-th reprint (DUPLICATA).
    pub reprint_count: u32,
}

/// One article line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    /// Article name.
    pub name: String,
    /// "3 x 3,99 €" or "1,250 kg x 19,90 €/kg"; None for a single piece.
    pub detail: Option<String>,
    /// Before discounts.
    pub gross: Money,
    /// Line discount (positive = money off), if any.
    pub discount: Option<Money>,
    /// The catalog price when a supervisor overrode it.
    pub overridden_from: Option<Money>,
    /// VAT rate, as printed ("5,5%").
    pub vat_rate: String,
}

/// One payment line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptTender {
    /// "Carte bancaire", "Espèces"...
    pub label: String,
    /// The amount (negative on refunds).
    pub amount: Money,
    /// Masked PAN, scheme and authorisation code; cheque or voucher reference.
    pub detail: Option<String>,
}

/// Everything printed on a receipt, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Shop name.
    pub shop_name: String,
    /// Shop address lines.
    pub address_lines: Vec<String>,
    /// SIRET.
    pub siret: String,
    /// VAT number, if printed.
    pub vat_number: Option<String>,
    /// "TICKET", "ANNULATION", "REMBOURSEMENT"...
    pub title: String,
    /// Terminal id.
    pub terminal_id: String,
    /// Journal sequence number.
    pub seq: u64,
    /// Receipt number.
    pub sale_no: String,
    /// "23/11/2026 14:05:09".
    pub date_time: String,
    /// The business day ("24/11/2026") when it is not the date printed:
    /// a sale after the day's Z counts on the next one.
    #[serde(default)]
    pub business_day: Option<String>,
    /// Operator's name.
    pub operator_name: String,
    /// Customer id for sales on account.
    pub customer: Option<String>,
    /// For reversals: the receipt number of the original.
    pub reverses: Option<String>,
    /// Article lines.
    pub lines: Vec<ReceiptLine>,
    /// Number of articles (pieces, and one per weighed line).
    pub item_count: Decimal,
    /// Basket discount, if any.
    pub basket_discount: Option<Money>,
    /// VAT table.
    pub vat: Vec<VatLine>,
    /// Total TTC.
    pub total: Money,
    /// Cash rounding, if any.
    pub rounding: Option<Money>,
    /// What was due: total + rounding.
    pub due: Money,
    /// Payments.
    pub tenders: Vec<ReceiptTender>,
    /// Change given, if any.
    pub change: Option<Money>,
    /// Short extract of the signature/hash.
    pub signature_extract: String,
    /// Software version.
    pub software_version: String,
    /// Some(n) on the n-th reprint: prints DUPLICATA.
    pub duplicate: Option<u32>,
    /// Training mode: prints [`TRAINING_MARK`].
    pub training: bool,
    /// Flags raised on the sale.
    pub flags: Vec<String>,
    /// Closing words.
    pub footer_lines: Vec<String>,
    /// Currency, for formatting.
    pub currency: Currency,
}

impl Receipt {
    /// Builds the receipt of a sale, cancellation or refund.
    pub fn from_record(
        record: &SaleRecord,
        shop: &ShopInfo,
        extras: &ReceiptExtras,
        currency: &Currency,
    ) -> Receipt {
        let sym = symbol(currency);
        let money = |m: Money| format!("{} {sym}", currency.format(m));
        let lines = record
            .lines
            .iter()
            .map(|l| {
                let detail = match l.unit {
                    Unit::Kg => Some(format!(
                        "{} kg x {}/kg",
                        format_decimal(l.quantity, 3),
                        money(l.unit_price)
                    )),
                    Unit::Piece if l.quantity == Decimal::ONE => None,
                    Unit::Piece => Some(format!(
                        "{} x {}",
                        l.quantity.normalize(),
                        money(l.unit_price)
                    )),
                };
                ReceiptLine {
                    name: l.name.clone(),
                    detail,
                    gross: l.gross,
                    discount: (!l.line_discount.is_zero()).then_some(l.line_discount),
                    overridden_from: l.overridden_from,
                    vat_rate: rate_text(&l.vat_rate.as_percent()),
                }
            })
            .collect();
        let item_count = record
            .lines
            .iter()
            .map(|l| match l.unit {
                Unit::Piece => l.quantity,
                // A weighed line counts as one article (minus one on a refund).
                Unit::Kg if l.quantity < Decimal::ZERO => -Decimal::ONE,
                Unit::Kg => Decimal::ONE,
            })
            .sum();
        let tenders = record
            .tenders
            .iter()
            .map(|t| {
                let detail = match &t.card {
                    Some(c) => {
                        let parts: Vec<&str> = [&c.masked_pan, &c.scheme, &c.auth_code]
                            .iter()
                            .filter_map(|p| p.as_deref())
                            .collect();
                        (!parts.is_empty()).then(|| parts.join(" "))
                    }
                    None => t.reference.clone(),
                };
                ReceiptTender {
                    label: t.kind.label_fr().to_string(),
                    amount: t.amount,
                    detail,
                }
            })
            .collect();
        let title = match (record.kind, record.without_receipt) {
            (SaleKind::Sale, _) => "TICKET",
            (SaleKind::Cancellation, _) => "ANNULATION",
            (SaleKind::Refund, false) => "REMBOURSEMENT",
            (SaleKind::Refund, true) => "REMBOURSEMENT SANS TICKET",
        };
        Receipt {
            shop_name: shop.name.clone(),
            address_lines: shop.address_lines.clone(),
            siret: shop.siret.clone(),
            vat_number: shop.vat_number.clone(),
            title: title.to_string(),
            terminal_id: extras.terminal_id.clone(),
            seq: extras.seq,
            sale_no: record.sale_no.clone(),
            date_time: extras.date_time.format("%d/%m/%Y %H:%M:%S").to_string(),
            business_day: (record.business_day != extras.date_time.date())
                .then(|| record.business_day.format("%d/%m/%Y").to_string()),
            operator_name: extras.operator_name.clone(),
            customer: record.customer.clone(),
            reverses: record.reverses.as_ref().map(|r| r.sale_no.clone()),
            lines,
            item_count,
            basket_discount: (!record.basket_discount.is_zero()).then_some(record.basket_discount),
            vat: record.vat.clone(),
            total: record.total,
            rounding: (!record.rounding.is_zero()).then_some(record.rounding),
            due: record.due(),
            tenders,
            change: (!record.change.is_zero()).then_some(record.change),
            signature_extract: extras.signature_extract.clone(),
            software_version: extras.software_version.clone(),
            duplicate: (extras.reprint_count > 0).then_some(extras.reprint_count),
            training: record.training,
            flags: record.flags.clone(),
            footer_lines: shop.footer_lines.clone(),
            currency: currency.clone(),
        }
    }
}

fn symbol(c: &Currency) -> String {
    match c.code.as_str() {
        "EUR" => "€".to_string(),
        other => other.to_string(),
    }
}

fn format_decimal(d: Decimal, dp: u32) -> String {
    crate::money::round_to(d, dp).to_string().replace('.', ",")
}

fn rate_text(p: &Decimal) -> String {
    format!("{}%", p.normalize()).replace('.', ",")
}

/// Renders a receipt as plain text, `width` columns (42 or 48 on 80 mm paper),
/// amounts right-aligned with a decimal comma and the currency sign.
pub fn render_text(r: &Receipt, width: usize) -> String {
    let width = width.max(24);
    let sym = symbol(&r.currency);
    let money = |m: Money| format!("{} {sym}", r.currency.format(m));
    let mut out = Text {
        width,
        buf: String::new(),
    };
    let rule = "-".repeat(width);
    if r.training {
        out.center(&format!("*** {TRAINING_MARK} ***"));
    }
    out.center(&r.shop_name);
    for a in &r.address_lines {
        out.center(a);
    }
    out.center(&format!("SIRET {}", r.siret));
    if let Some(v) = &r.vat_number {
        out.center(&format!("TVA {v}"));
    }
    out.line(&rule);
    out.center(&r.title);
    if let Some(n) = r.duplicate {
        out.center(&format!("DUPLICATA n° {n}"));
    }
    out.lr(
        &format!("Ticket {}", r.sale_no),
        &format!("Caisse {}", r.terminal_id),
    );
    out.lr(&r.date_time, &format!("Seq {}", r.seq));
    if let Some(d) = &r.business_day {
        out.line(&format!("Journée comptable : {d}"));
    }
    out.line(&format!("Caissier : {}", r.operator_name));
    if let Some(c) = &r.customer {
        out.line(&format!("Client : {c}"));
    }
    if let Some(o) = &r.reverses {
        out.line(&format!("Ticket d'origine : {o}"));
    }
    out.line(&rule);
    for l in &r.lines {
        out.lr(&l.name, &money(l.gross));
        if let Some(d) = &l.detail {
            out.line(&format!("  {d}"));
        }
        if let Some(o) = l.overridden_from {
            out.line(&format!("  Prix modifié (était {})", money(o)));
        }
        if let Some(d) = l.discount {
            out.lr("  Remise", &money(-d));
        }
    }
    out.line(&rule);
    if let Some(d) = r.basket_discount {
        out.lr("Remise panier", &money(-d));
    }
    out.lr("TOTAL TTC", &money(r.total));
    if let Some(x) = r.rounding {
        out.lr("Arrondi", &money(x));
        out.lr("A PAYER", &money(r.due));
    }
    for t in &r.tenders {
        out.lr(&t.label, &money(t.amount));
        if let Some(d) = &t.detail {
            out.line(&format!("  {d}"));
        }
    }
    if let Some(c) = r.change {
        out.lr("Rendu", &money(c));
    }
    out.line(&rule);
    let col = (width - 8) / 3;
    let row = |a: &str, b: &str, c: &str, d: &str| {
        format!("{a:<8}{b:>col$}{c:>col$}{d:>col$}", col = col)
    };
    out.line(&row("Taux", "HT", "TVA", "TTC"));
    for v in &r.vat {
        out.line(&row(
            &rate_text(&v.rate.as_percent()),
            &r.currency.format(v.base),
            &r.currency.format(v.tax),
            &r.currency.format(v.total),
        ));
    }
    out.line(&rule);
    out.line(&format!("Nombre d'articles : {}", r.item_count.normalize()));
    out.line(&format!("Signature : {}", r.signature_extract));
    out.line(&format!("Logiciel comptoir {}", r.software_version));
    for f in &r.footer_lines {
        out.center(f);
    }
    if r.training {
        out.center(&format!("*** {TRAINING_MARK} ***"));
    }
    out.buf
}

/// Builds text lines of a fixed width, counting characters, not bytes (€, é).
struct Text {
    width: usize,
    buf: String,
}

impl Text {
    fn line(&mut self, s: &str) {
        let s: String = s.chars().take(self.width).collect();
        self.buf.push_str(s.trim_end());
        self.buf.push('\n');
    }

    fn center(&mut self, s: &str) {
        let n = s.chars().count().min(self.width);
        let pad = (self.width - n) / 2;
        self.line(&format!("{}{s}", " ".repeat(pad)));
    }

    /// `left` then `right` flush right; the left part is cut if both don't fit.
    fn lr(&mut self, left: &str, right: &str) {
        let rn = right.chars().count().min(self.width);
        let room = self.width.saturating_sub(rn + 1);
        let left: String = left.chars().take(room).collect();
        let ln = left.chars().count();
        let gap = self.width - rn - ln;
        self.line(&format!("{left}{}{right}", " ".repeat(gap)));
    }
}

#[cfg(test)]
mod tests;
