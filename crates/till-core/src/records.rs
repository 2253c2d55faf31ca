//! What the journal records: one `Event` per thing that happened at the till.
//!
//! These types are the contract between the sale rules (which build them), the
//! journal (which chains and stores them) and head office (which ingests them).
//! Their JSON form is hashed into the chain, so changing a field's name, order or
//! encoding changes every hash: add new kinds or optional fields at the end, and
//! never reinterpret an old one.

use crate::money::Money;
use crate::vat::{VatLine, VatRate};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A user's identifier (e.g. "u1"), as in the users table.
pub type UserId = String;
/// A catalog item's identifier (the shop's article code).
pub type ItemId = String;

/// Sold by the piece or by weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Counted in pieces.
    Piece,
    /// Weighed, in kilograms.
    Kg,
}

/// How a sale (or refund) was paid. The built-in kinds are written by
/// their snake_case name; a tender the shop defines (`[[tenders]]` in
/// till.toml or head office's ruleset) by its own code, which may not be a
/// built-in name. So a titre-restaurant is journaled as
/// `"kind":"titre_restaurant"`, summed apart in the day totals
/// (`tender:titre_restaurant`) and the Z, and records written before shop
/// tenders existed read and hash as they always did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenderKind {
    /// Notes and coins; the only tender that gives change.
    Cash,
    /// Bank card through the payment terminal.
    Card,
    /// Mobile wallet through the payment terminal.
    EWallet,
    /// Cheque.
    Cheque,
    /// Bank transfer (with its reference).
    BankTransfer,
    /// Voucher or gift card.
    Voucher,
    /// On the customer's account, paid later (B2B).
    CustomerAccount,
    /// A tender the shop defines, by its code (its rules are the shop's:
    /// `crate::tenders::ShopTender`).
    Shop(TenderCode),
}

impl TenderKind {
    /// Every built-in tender kind, in a stable order.
    pub const ALL: [TenderKind; 7] = [
        TenderKind::Cash,
        TenderKind::Card,
        TenderKind::EWallet,
        TenderKind::Cheque,
        TenderKind::BankTransfer,
        TenderKind::Voucher,
        TenderKind::CustomerAccount,
    ];

    /// The stable name used in the journal and in projections: the
    /// snake_case name of a built-in kind, the code of a shop's tender.
    pub fn as_str(&self) -> &str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::Card => "card",
            TenderKind::EWallet => "e_wallet",
            TenderKind::Cheque => "cheque",
            TenderKind::BankTransfer => "bank_transfer",
            TenderKind::Voucher => "voucher",
            TenderKind::CustomerAccount => "customer_account",
            TenderKind::Shop(c) => c.as_str(),
        }
    }

    /// The kind a stored name stands for: a built-in name, else a valid
    /// shop code.
    pub fn parse(name: &str) -> Option<TenderKind> {
        TenderKind::ALL
            .iter()
            .find(|k| k.as_str() == name)
            .copied()
            .or_else(|| TenderCode::new(name).ok().map(TenderKind::Shop))
    }

    /// The French label printed on receipts (a shop tender's label is the
    /// shop's: the till puts it in; here its code stands in).
    pub fn label_fr(&self) -> &str {
        match self {
            TenderKind::Cash => "Espèces",
            TenderKind::Card => "Carte bancaire",
            TenderKind::EWallet => "Paiement mobile",
            TenderKind::Cheque => "Chèque",
            TenderKind::BankTransfer => "Virement",
            TenderKind::Voucher => "Bon d'achat",
            TenderKind::CustomerAccount => "Compte client",
            TenderKind::Shop(c) => c.as_str(),
        }
    }
}

impl Serialize for TenderKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TenderKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TenderKind, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TenderKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tender kind (cash, card... or a shop tender's code)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TenderKind, E> {
                TenderKind::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

/// A shop tender's stable code: 1 to 31 of `a-z`, `0-9`, `_`, starting
/// with a letter, and not a built-in kind's name. Kept inline so that a
/// [`TenderKind`] stays `Copy` (the day-totals keys are).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenderCode {
    len: u8,
    bytes: [u8; TenderCode::MAX],
}

/// Why a text is not a [`TenderCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TenderCodeError {
    /// Empty or longer than [`TenderCode::MAX`].
    #[error("a tender code has 1 to 31 characters")]
    Length,
    /// A character outside `a-z`, `0-9`, `_`, or not starting with a letter.
    #[error("a tender code is made of a-z, 0-9 and _, starting with a letter")]
    Characters,
    /// The name of a built-in tender.
    #[error("a tender code may not be a built-in tender's name")]
    BuiltIn,
}

impl TenderCode {
    /// The longest code.
    pub const MAX: usize = 31;

    /// Checks and keeps `code`.
    pub fn new(code: &str) -> Result<TenderCode, TenderCodeError> {
        let b = code.as_bytes();
        if b.is_empty() || b.len() > Self::MAX {
            return Err(TenderCodeError::Length);
        }
        let ok = b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        if !ok {
            return Err(TenderCodeError::Characters);
        }
        if TenderKind::ALL.iter().any(|k| k.as_str() == code) {
            return Err(TenderCodeError::BuiltIn);
        }
        let mut bytes = [0u8; Self::MAX];
        bytes[..b.len()].copy_from_slice(b);
        Ok(TenderCode {
            len: b.len() as u8,
            bytes,
        })
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked by `new`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for TenderCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl std::fmt::Display for TenderCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TenderCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TenderCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TenderCode, D::Error> {
        let s = String::deserialize(d)?;
        TenderCode::new(&s).map_err(serde::de::Error::custom)
    }
}

/// What a card terminal returned. Never a full card number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardOutcome {
    /// Whether the terminal approved the payment.
    pub approved: bool,
    /// Masked PAN as the terminal gave it, e.g. "************1234".
    pub masked_pan: Option<String>,
    /// Authorisation code.
    pub auth_code: Option<String>,
    /// Card scheme (CB, VISA, MASTERCARD...).
    pub scheme: Option<String>,
    /// How the card was read (chip, contactless...).
    pub read_mode: Option<String>,
    /// What the terminal returned in place of the till's reference (its
    /// own transaction id, or "" when blank): the answer was then matched
    /// by till number, amount and currency. Absent when it echoed the
    /// till's, and in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_reference: Option<String>,
}

/// One payment within a sale. Refund tenders carry negative amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderRecord {
    /// How it was paid.
    pub kind: TenderKind,
    /// Amount tendered (negative on refunds).
    pub amount: Money,
    /// Cheque number, transfer reference, voucher code, customer id...
    pub reference: Option<String>,
    /// What the payment terminal returned, for card and e-wallet.
    pub card: Option<CardOutcome>,
}

/// One line of a completed sale. `total` is tax-inclusive, after all discounts.
/// Refund lines carry negative quantities and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    /// Line number on the receipt, from 1; refund lines keep the original's.
    pub line_no: u32,
    /// The article.
    pub item_id: ItemId,
    /// The code scanned, if any.
    pub barcode: Option<String>,
    /// Name printed on the receipt.
    pub name: String,
    /// Pieces or kilograms.
    pub unit: Unit,
    /// Pieces, or kilograms (three decimals) for weighed goods.
    pub quantity: Decimal,
    /// Tax-inclusive unit price actually charged.
    pub unit_price: Money,
    /// The catalog price when a supervisor overrode it.
    pub overridden_from: Option<Money>,
    /// VAT rate of the article.
    pub vat_rate: VatRate,
    /// quantity x unit_price, rounded.
    pub gross: Money,
    /// Discount given on this line alone (positive = money off).
    pub line_discount: Money,
    /// This line's share of the basket discount (positive = money off).
    pub basket_discount: Money,
    /// gross - line_discount - basket_discount.
    pub total: Money,
    /// Whether this line moves stock.
    pub stock_tracked: bool,
}

/// What kind of sale record this is. Completed sales are never edited: a
/// cancellation or a refund is a new record that references the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    /// A sale.
    Sale,
    /// The whole cancellation of an earlier sale.
    Cancellation,
    /// A refund, whole or partial, or without receipt.
    Refund,
}

/// Points at an earlier sale in some till's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRef {
    /// The till that recorded the sale.
    pub terminal_id: String,
    /// Its sequence number in that till's journal.
    pub seq: u64,
    /// Its receipt number.
    pub sale_no: String,
}

/// Something a supervisor approved on the spot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// The action's stable name, see `auth::Action::as_str`.
    pub action: String,
    /// Who asked.
    pub requested_by: UserId,
    /// Who approved (with their own PIN).
    pub approved_by: UserId,
    /// Why it needed approval, in words (e.g. "discount 30 % over threshold 20 %").
    pub detail: String,
}

/// A sale, a cancellation or a refund, as completed at the till.
///
/// Invariants (checked by `SaleRecord::check`): sum(lines.total) == total;
/// sum(vat.total) == total; sum(tenders.amount) - change == total + rounding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecord {
    /// Sale, cancellation or refund.
    pub kind: SaleKind,
    /// The receipt number printed for the customer, e.g. "T01-000042".
    pub sale_no: String,
    /// The business day it belongs to (for closings).
    pub business_day: NaiveDate,
    /// The cashier.
    pub operator: UserId,
    /// The customer, for sales on account.
    pub customer: Option<String>,
    /// The lines, numbered from 1.
    pub lines: Vec<SaleLine>,
    /// Basket discount granted (positive = money off); already spread over lines.
    pub basket_discount: Money,
    /// Sum of line totals, tax-inclusive.
    pub total: Money,
    /// Cash rounding, its own line: what is due is total + rounding.
    pub rounding: Money,
    /// VAT table: one row per rate.
    pub vat: Vec<VatLine>,
    /// Payments (negative on refunds).
    pub tenders: Vec<TenderRecord>,
    /// Cash handed back. Only ever from cash.
    pub change: Money,
    /// For cancellations and refunds: the original sale.
    pub reverses: Option<SaleRef>,
    /// Refund without the original receipt.
    pub without_receipt: bool,
    /// Approvals granted during the sale.
    pub approvals: Vec<ApprovalRecord>,
    /// Anomalies raised (e.g. "basket_above_average"), reported to head office.
    pub flags: Vec<String>,
    /// Training/demo mode: not real trade, excluded from fiscal totals.
    pub training: bool,
}

impl SaleRecord {
    /// What the customer pays (or gets back, when negative).
    pub fn due(&self) -> Money {
        self.total + self.rounding
    }

    /// Checks the arithmetic invariants; returns what does not add up.
    pub fn check(&self) -> Result<(), String> {
        let lines: Money = self.lines.iter().map(|l| l.total).sum();
        if lines != self.total {
            return Err(format!("lines sum to {lines}, total is {}", self.total));
        }
        let vat: Money = self.vat.iter().map(|v| v.total).sum();
        if vat != self.total {
            return Err(format!("VAT table sums to {vat}, total is {}", self.total));
        }
        for v in &self.vat {
            if v.base + v.tax != v.total {
                return Err(format!("VAT {} base + tax != total", v.rate));
            }
        }
        let paid: Money = self.tenders.iter().map(|t| t.amount).sum();
        if paid - self.change != self.due() {
            return Err(format!(
                "tenders {paid} minus change {} != due {}",
                self.change,
                self.due()
            ));
        }
        Ok(())
    }
}

/// Why stock moved, besides a sale or refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockReason {
    /// Goods delivered by a supplier.
    GoodsReceived,
    /// Correction (breakage, theft, error).
    Adjustment,
    /// Stock count: the delta brings the level to what was counted.
    InventoryCount,
    /// Received from another shop.
    TransferIn,
    /// Sent to another shop.
    TransferOut,
}

impl StockReason {
    /// The stable snake_case name used in the journal.
    pub fn as_str(&self) -> &'static str {
        match self {
            StockReason::GoodsReceived => "goods_received",
            StockReason::Adjustment => "adjustment",
            StockReason::InventoryCount => "inventory_count",
            StockReason::TransferIn => "transfer_in",
            StockReason::TransferOut => "transfer_out",
        }
    }
}

/// One item's movement. Stock is a ledger of deltas, never an overwritten level,
/// so movements from many tills commute at head office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// The article.
    pub item_id: ItemId,
    /// Signed change of the level.
    pub delta: Decimal,
    /// For inventory counts: what was counted (delta = counted - level then).
    pub counted: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// Stock moved for another reason than a sale.
pub struct StockMovement {
    /// Why it moved.
    pub reason: StockReason,
    /// Delivery note, transfer number, count sheet...
    pub reference: Option<String>,
    /// The other shop of a transfer.
    pub other_shop: Option<String>,
    /// Who recorded it.
    pub operator: UserId,
    /// One delta per article.
    pub lines: Vec<StockLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// Into or out of the drawer.
pub enum CashDirection {
    /// Cash put in.
    In,
    /// Cash taken out.
    Out,
}

/// Cash put into or taken out of the drawer outside a sale (float, bank deposit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashMovement {
    /// In or out.
    pub direction: CashDirection,
    /// Positive amount moved.
    pub amount: Money,
    /// Why (float, bank deposit...).
    pub reason: String,
    /// Who did it.
    pub operator: UserId,
    /// Who approved, when a cashier did it.
    pub approved_by: Option<UserId>,
    /// The business day it belongs to.
    pub business_day: NaiveDate,
}

/// The drawer opened outside a sale ("no sale").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerOpened {
    /// Who opened it.
    pub operator: UserId,
    /// Who approved, when a cashier did it.
    pub approved_by: Option<UserId>,
    /// Why it was opened.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A user logged in or out.
pub struct Session {
    /// The user.
    pub user: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A receipt was printed again.
pub struct ReceiptReprinted {
    /// The sale whose receipt was reprinted.
    pub sale: SaleRef,
    /// How many times it has now been reprinted (DUPLICATA n).
    pub reprint_count: u32,
    /// Who asked for the reprint.
    pub operator: UserId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// Which period a closing covers.
pub enum ClosingKind {
    /// Daily (Z) closing.
    Day,
    /// Monthly closing.
    Month,
    /// Yearly closing.
    Year,
}

impl ClosingKind {
    /// The stable snake_case name used in the journal.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClosingKind::Day => "day",
            ClosingKind::Month => "month",
            ClosingKind::Year => "year",
        }
    }
}

/// Totals over a period. Training sales are excluded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodTotals {
    /// Number of sale, cancellation and refund records.
    pub records: u64,
    /// Net: sales minus cancellations and refunds.
    pub net_total: Money,
    /// Sum of positive records (sales).
    pub sales_total: Money,
    /// Sum of negative records (refunds, cancellations), as a negative amount.
    pub refunds_total: Money,
    /// Net per tender, keyed by `TenderKind::as_str`.
    pub by_tender: BTreeMap<String, Money>,
    /// Net per VAT rate.
    pub by_vat: Vec<VatLine>,
    /// Cash put into the drawer outside sales.
    pub cash_in: Money,
    /// Cash taken out of the drawer outside sales.
    pub cash_out: Money,
}

/// A daily (Z), monthly or yearly closing. Its row in the journal is signed with
/// the terminal's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    /// Day, month or year.
    pub kind: ClosingKind,
    /// "2026-11-23", "2026-11" or "2026".
    pub period: String,
    /// Journal seqs covered by this closing: the events after the previous
    /// closing of the same kind, up to and including `last_seq`.
    pub first_seq: u64,
    /// Last journal seq covered.
    pub last_seq: u64,
    /// The period's totals.
    pub totals: PeriodTotals,
    /// Perpetual grand total: the net of every sale ever made on this terminal.
    pub grand_total: Money,
    /// Perpetual sum of absolute values of every sale record ever.
    pub grand_total_abs: Money,
    /// Who closed.
    pub operator: UserId,
    /// For a daily closing with a cash count: counted per tender.
    pub counted: BTreeMap<String, Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A configuration value changed.
pub struct ConfigChanged {
    /// The setting's key.
    pub key: String,
    /// Its value before.
    pub old_value: Option<String>,
    /// Its value after.
    pub new_value: Option<String>,
    /// Who changed it.
    pub by: UserId,
}

/// The first event of every journal: who this terminal is and the public key that
/// verifies its signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalInitialised {
    /// This terminal's id.
    pub terminal_id: String,
    /// The shop it belongs to.
    pub shop_id: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Software version at initialisation.
    pub software_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// The till software was updated.
pub struct SoftwareUpdated {
    /// Version before.
    pub from_version: String,
    /// Version after.
    pub to_version: String,
}

/// The till lost (or regained) its link to head office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connectivity {
    /// What happened, in words.
    pub detail: String,
}

/// Money the payment terminal moved outside any sale record: an approval that
/// arrived after the till had given up and could not be attached to the sale
/// in progress, or the refund of one. A sale's own card payments are in its
/// tenders; this record exists so a debit the customer saw is never lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalPayment {
    /// Card or e-wallet.
    pub kind: TenderKind,
    /// Positive: the card was debited; negative: it was refunded.
    pub amount: Money,
    /// The till's reference for the exchange with the terminal.
    pub reference: String,
    /// What the terminal returned.
    pub outcome: CardOutcome,
    /// Why it is not part of a sale, in words.
    pub reason: String,
    /// Who was logged in.
    pub operator: UserId,
    /// For a refund: the reference of the debit it pays back.
    pub refunds: Option<String>,
}

/// A basket rung up and then abandoned (F10) before any sale was recorded:
/// nothing sold, nothing paid, but its lines are kept so that "rung up,
/// then cancelled" shows in the journal and at head office. No totals,
/// no stock: nothing left the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketAbandoned {
    /// Who had rung it up.
    pub operator: UserId,
    /// The business day it was abandoned on.
    pub business_day: NaiveDate,
    /// The live lines, priced as they stood.
    pub lines: Vec<SaleLine>,
    /// What the basket came to.
    pub total: Money,
    /// The supervisor who approved the abandon, when the rules asked for one.
    pub approved_by: Option<UserId>,
    /// Training mode: not real trade.
    pub training: bool,
}

/// The till program started (technical event log, NF525).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareStarted {
    /// The version that started.
    pub version: String,
}

/// The till program stopped in an orderly way (technical event log). A start
/// without a stop before it means the previous run ended abruptly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareStopped {
    /// The version that stopped.
    pub version: String,
}

/// The system clock, seen at start, is earlier than the journal's last
/// record or far ahead of it (technical event log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockJump {
    /// The timestamp of the last record before (RFC 3339, as journaled).
    pub last_ts: String,
    /// The time the system clock gave (RFC 3339).
    pub now_ts: String,
    /// now - last, in seconds: negative when the clock went back.
    pub seconds: i64,
}

/// A fiscal archive of a closed period was written (technical event log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveCreated {
    /// Month or year.
    pub period_kind: ClosingKind,
    /// "2026-11" or "2026".
    pub period: String,
    /// The first journal seq the archive holds.
    pub first_seq: u64,
    /// The last journal seq the archive holds (the period's closing).
    pub last_seq: u64,
    /// SHA-256 (hex) of the archive's signed manifest.
    pub manifest_sha256: String,
}

/// The journal's verifier ran (technical event log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRun {
    /// Whether the journal was intact.
    pub ok: bool,
    /// Events checked.
    pub events: u64,
    /// The first problem found, if any.
    pub detail: Option<String>,
}

/// A device failure stopped a receipt or a sale (technical event log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFailure {
    /// Which device ("printer", "drawer", "scanner", "payment_terminal").
    pub device: String,
    /// What failed, as the driver said it.
    pub detail: String,
    /// Who was logged in.
    pub operator: Option<UserId>,
}

/// Every kind of event the journal records. The journal stores `kind()` in its
/// own column and the inner value's JSON as the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The first event: who this terminal is.
    TerminalInitialised(TerminalInitialised),
    /// A completed sale.
    SaleCompleted(SaleRecord),
    /// A cancelled sale.
    SaleCancelled(SaleRecord),
    /// A refund.
    Refund(SaleRecord),
    /// Stock moved outside sales.
    StockMovement(StockMovement),
    /// Cash in or out of the drawer.
    CashMovement(CashMovement),
    /// The drawer opened outside a sale.
    DrawerOpened(DrawerOpened),
    /// A user logged in.
    Login(Session),
    /// A user logged out.
    Logout(Session),
    /// A supervisor approved something.
    ApprovalGranted(ApprovalRecord),
    /// A receipt was reprinted.
    ReceiptReprinted(ReceiptReprinted),
    /// A daily, monthly or yearly closing.
    Closing(Closing),
    /// A configuration value changed.
    ConfigChanged(ConfigChanged),
    /// The software was updated.
    SoftwareUpdated(SoftwareUpdated),
    /// The link to head office was lost.
    OfflineStarted(Connectivity),
    /// The link to head office came back.
    OfflineEnded(Connectivity),
    /// The payment terminal moved money outside a sale.
    TerminalPayment(TerminalPayment),
    /// A basket was abandoned before payment.
    BasketAbandoned(BasketAbandoned),
    /// The till program started.
    SoftwareStarted(SoftwareStarted),
    /// The till program stopped.
    SoftwareStopped(SoftwareStopped),
    /// The system clock jumped.
    ClockJump(ClockJump),
    /// A fiscal archive was written.
    ArchiveCreated(ArchiveCreated),
    /// The verifier ran.
    VerifyRun(VerifyRun),
    /// A device failure stopped a receipt.
    DeviceFailure(DeviceFailure),
}

/// A payload could not be read back as the event its kind names.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event kind {0:?}")]
    /// A kind name this version does not know.
    UnknownKind(String),
    /// The payload does not decode as its kind.
    #[error("payload of a {kind} event is not valid: {source}")]
    Payload {
        /// The kind named.
        kind: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

macro_rules! event_kinds {
    ($( $variant:ident => $name:literal ),* $(,)?) => {
        impl Event {
            /// Every kind name, in a stable order.
            pub const KINDS: &'static [&'static str] = &[$($name),*];

            /// The stable kind name stored in the journal's `kind` column.
            pub fn kind(&self) -> &'static str {
                match self { $( Event::$variant(_) => $name, )* }
            }

            /// The canonical JSON payload: compact, fields in declaration order,
            /// maps sorted (BTreeMap), decimals as strings. This is what is hashed.
            pub fn payload(&self) -> Vec<u8> {
                // Serialising these plain structs to a Vec cannot fail: no maps with
                // non-string keys, no custom Serialize that errors.
                let r = match self { $( Event::$variant(v) => serde_json::to_vec(v), )* };
                r.unwrap_or_default()
            }

            /// Reads an event back from its kind and payload.
            pub fn decode(kind: &str, payload: &[u8]) -> Result<Event, DecodeError> {
                let err = |source| DecodeError::Payload { kind: kind.to_string(), source };
                match kind {
                    $( $name => serde_json::from_slice(payload).map(Event::$variant).map_err(err), )*
                    other => Err(DecodeError::UnknownKind(other.to_string())),
                }
            }
        }
    };
}

event_kinds! {
    TerminalInitialised => "terminal_initialised",
    SaleCompleted => "sale_completed",
    SaleCancelled => "sale_cancelled",
    Refund => "refund",
    StockMovement => "stock_movement",
    CashMovement => "cash_movement",
    DrawerOpened => "drawer_opened",
    Login => "login",
    Logout => "logout",
    ApprovalGranted => "approval_granted",
    ReceiptReprinted => "receipt_reprinted",
    Closing => "closing",
    ConfigChanged => "config_changed",
    SoftwareUpdated => "software_updated",
    OfflineStarted => "offline_started",
    OfflineEnded => "offline_ended",
    TerminalPayment => "terminal_payment",
    BasketAbandoned => "basket_abandoned",
    SoftwareStarted => "software_started",
    SoftwareStopped => "software_stopped",
    ClockJump => "clock_jump",
    ArchiveCreated => "archive_created",
    VerifyRun => "verify_run",
    DeviceFailure => "device_failure",
}

/// The kinds of the technical event log (journal des événements techniques,
/// NF525): software start, stop and update, clock jumps, archives, verifier
/// runs, device failures, configuration changes and the link to head office.
/// A fiscal archive lists them in their own table.
pub const TECHNICAL_KINDS: &[&str] = &[
    "software_started",
    "software_stopped",
    "software_updated",
    "clock_jump",
    "archive_created",
    "verify_run",
    "device_failure",
    "config_changed",
    "offline_started",
    "offline_ended",
];

impl Event {
    /// The sale record inside a sale, cancellation or refund event.
    pub fn sale(&self) -> Option<&SaleRecord> {
        match self {
            Event::SaleCompleted(s) | Event::SaleCancelled(s) | Event::Refund(s) => Some(s),
            _ => None,
        }
    }

    /// Stock deltas this event implies: a sale's tracked lines move stock out,
    /// a refund's back in; stock movement events carry theirs explicitly.
    pub fn stock_deltas(&self) -> Vec<(ItemId, Decimal, &'static str)> {
        match self {
            Event::SaleCompleted(s) | Event::SaleCancelled(s) | Event::Refund(s) => {
                let reason = crate::totals::stock_reason(s.kind);
                s.lines
                    .iter()
                    .filter(|l| l.stock_tracked && !s.training)
                    .map(|l| (l.item_id.clone(), -l.quantity, reason))
                    .collect()
            }
            Event::StockMovement(m) => m
                .lines
                .iter()
                .map(|l| (l.item_id.clone(), l.delta, m.reason.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_payment_round_trips_under_its_own_kind() {
        let ev = Event::TerminalPayment(TerminalPayment {
            kind: TenderKind::Card,
            amount: Decimal::new(1234, 2),
            reference: "T1-000003/2".into(),
            outcome: CardOutcome {
                approved: true,
                masked_pan: Some("************1234".into()),
                auth_code: Some("A1B2C3".into()),
                scheme: Some("CB".into()),
                read_mode: Some("contactless".into()),
                terminal_reference: None,
            },
            reason: "late approval".into(),
            operator: "u1".into(),
            refunds: None,
        });
        assert_eq!(ev.kind(), "terminal_payment");
        assert!(Event::KINDS.contains(&"terminal_payment"));
        let back = Event::decode(ev.kind(), &ev.payload()).unwrap();
        assert_eq!(back, ev);
    }

    #[test]
    fn the_terminals_own_reference_is_kept_and_absent_when_it_echoed() {
        let mut card = CardOutcome {
            approved: true,
            masked_pan: None,
            auth_code: None,
            scheme: None,
            read_mode: None,
            terminal_reference: None,
        };
        // Absent: the bytes of records written before the field existed.
        let json = serde_json::to_string(&card).unwrap();
        assert!(!json.contains("terminal_reference"), "{json}");
        assert_eq!(serde_json::from_str::<CardOutcome>(&json).unwrap(), card);
        card.terminal_reference = Some("TX00012345".into());
        let json = serde_json::to_string(&card).unwrap();
        assert!(
            json.contains("\"terminal_reference\":\"TX00012345\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<CardOutcome>(&json).unwrap(), card);
    }
}
