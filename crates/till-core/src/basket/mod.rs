//! The sale in progress. It is plain serialisable data: the till saves it after
//! every change so that a crash or power cut puts it back on screen.
//!
//! Operations that need a supervisor return `SaleError::ApprovalRequired`; the
//! caller gets an `ApprovalRecord` from `auth::approve`, hands it to
//! [`Basket::add_approval`] and repeats the same call. An approval is bound to
//! its action and its exact detail text, so it cannot be reused for another
//! price, discount or line.

pub mod pricing;
mod rules;
pub mod tender;

pub use pricing::Discount;
pub use tender::PaymentStatus;

use crate::auth::{Action, Role, User};
use crate::catalog::{Catalog, Item, PurchaseRules};
use crate::error::SaleError;
use crate::money::{round_to, Currency, Money};
use crate::records::{
    ApprovalRecord, ItemId, SaleKind, SaleLine, SaleRecord, TenderKind, TenderRecord, Unit, UserId,
};
use crate::vat::{self, VatRate};
use chrono::NaiveDate;
use pricing::spread;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hard ceilings whatever the configuration says, so that quantity x price and
/// the sums of lines stay far inside `Decimal`'s range (no overflow panic).
const HARD_MAX_QUANTITY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
const HARD_MAX_PRICE: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

/// Most lines one basket holds (voided ones included): with the ceilings above
/// this bounds every sum far below `Decimal::MAX`.
pub const MAX_LINES: usize = 10_000;

/// The flag recorded on a basket far above the shop's average.
pub const FLAG_ABOVE_AVERAGE: &str = "basket_above_average";

/// Shop-level settings of the sale rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasketConfig {
    /// The till's currency.
    pub currency: Currency,
    /// Cash rounding step (e.g. 0.05), applied when a sale is paid in cash only.
    pub cash_rounding_step: Option<Money>,
    /// Discounts above this percentage of the amount need approval.
    pub discount_approval_threshold_percent: Decimal,
    /// A basket above this many times the rolling average needs approval.
    pub anomaly_factor: Option<Decimal>,
    /// The most one order may total without approval.
    pub max_order_amount: Option<Money>,
    /// Sanity limit on a line's quantity (typing 1000000 instead of 1).
    pub max_quantity: Decimal,
    /// Maximum order amount per customer group (B2B terms); a group listed here
    /// replaces `max_order_amount` for its customers.
    pub max_order_amount_by_group: BTreeMap<String, Money>,
    /// Sanity limit on a unit price.
    pub max_unit_price: Money,
    /// The shop's changes to the permission table (empty: built-in).
    pub permissions: crate::permissions::Permissions,
    /// The tenders the shop defines, with their rules (`crate::tenders`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tenders: Vec<crate::tenders::ShopTender>,
    /// The most one sale takes in meal-voucher tenders together.
    pub meal_voucher_cap: Money,
}

impl Default for BasketConfig {
    fn default() -> Self {
        BasketConfig {
            currency: Currency::eur(),
            cash_rounding_step: None,
            discount_approval_threshold_percent: Decimal::from(20),
            anomaly_factor: Some(Decimal::from(5)),
            max_order_amount: None,
            max_quantity: Decimal::from(10_000),
            max_unit_price: Decimal::from(1_000_000),
            max_order_amount_by_group: BTreeMap::new(),
            permissions: Default::default(),
            tenders: Vec::new(),
            meal_voucher_cap: crate::tenders::DEFAULT_MEAL_VOUCHER_CAP,
        }
    }
}

/// A line of the basket, with the item's data copied at the time of the scan so
/// a restored basket does not need the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketLine {
    /// Stable number within the basket (voided lines keep theirs).
    pub line_no: u32,
    /// The article.
    pub item_id: ItemId,
    /// The code scanned, if any.
    pub barcode: Option<String>,
    /// Name for the receipt.
    pub name: String,
    /// Pieces or kilograms.
    pub unit: Unit,
    /// VAT rate of the article.
    pub vat_rate: VatRate,
    /// Whether it moves stock.
    pub stock_tracked: bool,
    /// The article's purchase rules.
    pub rules: PurchaseRules,
    /// A titre-restaurant may pay for it (eligible food).
    #[serde(default)]
    pub meal_voucher: bool,
    /// Pieces, or kilograms with up to three decimals.
    pub quantity: Decimal,
    /// The catalog (or label) price per unit.
    pub catalog_price: Money,
    /// The price charged per unit.
    pub unit_price: Money,
    /// Whether a supervisor set `unit_price`.
    pub overridden: bool,
    /// A scale label's printed price: the line's gross, whatever the weight.
    pub label_price: Option<Money>,
    /// Money off this line.
    pub discount: Option<Discount>,
    /// Removed from the sale.
    pub voided: bool,
}

impl BasketLine {
    /// quantity x unit price (or the label's price), rounded.
    pub fn gross(&self, dp: u32) -> Money {
        match self.label_price {
            Some(p) => round_to(p, dp),
            None => round_to(self.quantity * self.unit_price, dp),
        }
    }
}

/// The priced view of a basket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Live lines, priced, numbered as in the basket.
    pub lines: Vec<SaleLine>,
    /// Basket discount granted (already spread over `lines`).
    pub basket_discount: Money,
    /// Sum of the lines.
    pub total: Money,
}

/// A sale in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// Settings in force for this sale.
    pub config: BasketConfig,
    /// The cashier.
    pub operator: UserId,
    /// The cashier's role, which decides what needs approval.
    pub operator_role: Role,
    /// The customer, for sales on account or B2B rules.
    pub customer: Option<String>,
    /// Training mode: not real trade.
    pub training: bool,
    /// The shop's rolling average basket, for the anomaly check.
    pub rolling_average: Option<Money>,
    lines: Vec<BasketLine>,
    basket_discount: Option<Discount>,
    tenders: Vec<TenderRecord>,
    approvals: Vec<ApprovalRecord>,
    next_line_no: u32,
    /// The customer's group, which may carry its own order limit.
    #[serde(default)]
    pub customer_group: Option<String>,
}

impl Basket {
    /// An empty basket for `operator`.
    pub fn new(config: BasketConfig, operator: &User) -> Basket {
        Basket {
            config,
            operator: operator.id.clone(),
            operator_role: operator.role,
            customer: None,
            training: false,
            rolling_average: None,
            lines: Vec::new(),
            basket_discount: None,
            tenders: Vec::new(),
            approvals: Vec::new(),
            next_line_no: 1,
            customer_group: None,
        }
    }

    /// All lines, voided ones included.
    pub fn lines(&self) -> &[BasketLine] {
        &self.lines
    }

    /// Tenders taken so far.
    pub fn tenders(&self) -> &[TenderRecord] {
        &self.tenders
    }

    /// Approvals granted so far.
    pub fn approvals(&self) -> &[ApprovalRecord] {
        &self.approvals
    }

    /// The basket discount set, if any.
    pub fn basket_discount(&self) -> Option<Discount> {
        self.basket_discount
    }

    /// Checks a basket read back from disk: every line and tender within the
    /// limits the operations enforce, so arithmetic on it cannot overflow. Call
    /// it after deserialising; a basket built through the methods always passes.
    pub fn validate(&self) -> Result<(), SaleError> {
        if self.lines.len() > MAX_LINES || self.tenders.len() > MAX_LINES {
            return Err(SaleError::TooManyLines(MAX_LINES));
        }
        let bad = |what: String| Err(SaleError::Inconsistent(what));
        let in_range = |p: Money| p >= Decimal::ZERO && p <= HARD_MAX_PRICE;
        for l in &self.lines {
            if l.quantity <= Decimal::ZERO || l.quantity > HARD_MAX_QUANTITY {
                return bad(format!("line {}: quantity {}", l.line_no, l.quantity));
            }
            let prices = [Some(l.unit_price), Some(l.catalog_price), l.label_price];
            if !prices.into_iter().flatten().all(in_range) {
                return bad(format!("line {}: price out of range", l.line_no));
            }
            let discount_ok = match l.discount {
                None => true,
                Some(Discount::Percent(p)) => (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&p),
                Some(Discount::Amount(a)) => in_range(a),
            };
            if !discount_ok {
                return bad(format!("line {}: discount out of range", l.line_no));
            }
        }
        let basket_ok = match self.basket_discount {
            None => true,
            Some(Discount::Percent(p)) => (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&p),
            Some(Discount::Amount(a)) => in_range(a),
        };
        if !basket_ok {
            return bad("basket discount out of range".into());
        }
        let tender_cap = HARD_MAX_PRICE * Decimal::from(1000);
        if self.tenders.iter().any(|t| t.amount.abs() > tender_cap) {
            return bad("tender out of range".into());
        }
        let ceilings = [
            self.config.anomaly_factor.unwrap_or_default(),
            self.rolling_average.unwrap_or_default(),
            self.config.cash_rounding_step.unwrap_or_default(),
        ];
        if ceilings.iter().any(|d| d.abs() > HARD_MAX_PRICE) {
            return bad("configuration out of range".into());
        }
        Ok(())
    }

    /// Records a supervisor's approval; the refused call can then be repeated.
    pub fn add_approval(&mut self, approval: ApprovalRecord) {
        if !self.approvals.contains(&approval) {
            self.approvals.push(approval);
        }
    }

    /// Hands the basket to another cashier (e.g. at a shift change).
    pub fn set_operator(&mut self, operator: &User) {
        self.operator = operator.id.clone();
        self.operator_role = operator.role;
    }

    fn dp(&self) -> u32 {
        self.config.currency.minor_units
    }

    /// Ok if the operator may do `action` alone or holds a matching approval.
    pub(crate) fn need(&self, action: Action, detail: String) -> Result<(), SaleError> {
        self.config
            .permissions
            .authorize(self.operator_role, &self.approvals, action, detail)
            .map_err(Into::into)
    }

    fn ensure_no_payment(&self) -> Result<(), SaleError> {
        if self.tenders.is_empty() {
            Ok(())
        } else {
            Err(SaleError::PaymentStarted)
        }
    }

    fn valid_quantity(&self, unit: Unit, q: Decimal) -> Result<Decimal, SaleError> {
        let bad = q <= Decimal::ZERO
            || q > self.config.max_quantity.min(HARD_MAX_QUANTITY)
            || match unit {
                Unit::Piece => !q.fract().is_zero(),
                Unit::Kg => q.normalize().scale() > 3,
            };
        if bad {
            return Err(SaleError::InvalidQuantity(q));
        }
        Ok(round_to(q, if unit == Unit::Kg { 3 } else { 0 }))
    }

    fn valid_price(&self, p: Money) -> Result<Money, SaleError> {
        if p < Decimal::ZERO || p > self.max_price() || p.normalize().scale() > 4 {
            return Err(SaleError::InvalidPrice(p));
        }
        Ok(p)
    }

    pub(crate) fn max_price(&self) -> Money {
        self.config.max_unit_price.min(HARD_MAX_PRICE)
    }

    fn valid_discount(&self, d: Discount) -> Result<Discount, SaleError> {
        match d {
            Discount::Percent(p) if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED => Err(
                SaleError::InvalidDiscount(format!("{p} % is not between 0 and 100")),
            ),
            Discount::Amount(a) if a < Decimal::ZERO || a > self.max_price() => Err(
                SaleError::InvalidDiscount(format!("amount {a} is out of range")),
            ),
            Discount::Amount(a) if a.normalize().scale() > self.dp() => Err(
                SaleError::InvalidDiscount(format!("amount {a} is finer than a cent")),
            ),
            ok => Ok(ok),
        }
    }

    fn line_index(&self, line_no: u32) -> Result<usize, SaleError> {
        let i = self
            .lines
            .iter()
            .position(|l| l.line_no == line_no)
            .ok_or(SaleError::NoSuchLine(line_no))?;
        if self.lines[i].voided {
            return Err(SaleError::LineVoided(line_no));
        }
        Ok(i)
    }

    /// Applies a change to a copy, checks the rules that apply while scanning,
    /// and keeps the copy only if they pass: a refused call changes nothing.
    fn commit(&mut self, candidate: Basket) -> Result<(), SaleError> {
        candidate.scanning_checks()?;
        *self = candidate;
        Ok(())
    }

    /// Adds the item a scanned or typed code resolves to. Labels carry their own
    /// weight, price or quantity; otherwise `quantity` (default 1 piece; weighed
    /// items need it).
    pub fn add_code(
        &mut self,
        catalog: &Catalog,
        code: &str,
        quantity: Option<Decimal>,
    ) -> Result<u32, SaleError> {
        let found = catalog.lookup(code)?;
        let item = found.item;
        let mut unit = item.unit;
        let mut unit_price = item.price;
        let mut label_price = None;
        let qty = if let Some(e) = &found.embedded {
            match (e.weight_kg, e.price, e.quantity) {
                (Some(w), p, _) => {
                    unit = Unit::Kg;
                    label_price = p;
                    w
                }
                (None, Some(p), Some(q)) => {
                    label_price = Some(p);
                    q
                }
                (None, Some(p), None) => {
                    unit_price = p;
                    quantity.unwrap_or(Decimal::ONE)
                }
                (None, None, Some(q)) => q,
                (None, None, None) => quantity.unwrap_or(Decimal::ONE),
            }
        } else if let (Some(w), Unit::Kg) =
            (found.gs1.as_ref().and_then(|g| g.net_weight_kg), item.unit)
        {
            w
        } else {
            match (quantity, item.unit) {
                (Some(q), _) => q,
                (None, Unit::Piece) => Decimal::ONE,
                (None, Unit::Kg) => return Err(SaleError::WeightRequired(item.id.clone())),
            }
        };
        let mut line = self.line_for(item, qty, Some(found.code.clone()))?;
        line.unit = unit;
        line.quantity = self.valid_quantity(unit, qty)?;
        line.catalog_price = self.valid_price(unit_price)?;
        line.unit_price = line.catalog_price;
        line.label_price = label_price.map(|p| self.valid_price(p)).transpose()?;
        self.push_line(line)
    }

    /// Adds a weighed item as the counter scale weighed it: `net_kg`, and
    /// for a scale approved for trade that prices the weighing itself
    /// (Dialog 06) its unit price and total, kept as the line's unit price
    /// and label price: the line's amount is the scale's, never recomputed.
    pub fn add_weighed(
        &mut self,
        catalog: &Catalog,
        code: &str,
        net_kg: Decimal,
        scale_price: Option<(Money, Money)>,
    ) -> Result<u32, SaleError> {
        let found = catalog.lookup(code)?;
        let mut line = self.line_for(found.item, net_kg, Some(found.code.clone()))?;
        line.unit = Unit::Kg;
        line.quantity = self.valid_quantity(Unit::Kg, net_kg)?;
        if let Some((unit_price, total)) = scale_price {
            line.unit_price = self.valid_price(unit_price)?;
            line.label_price = Some(self.valid_price(total)?);
        }
        self.push_line(line)
    }

    /// Adds `quantity` of `item` (chosen from a search, say).
    pub fn add_item(
        &mut self,
        item: &Item,
        quantity: Decimal,
        barcode: Option<String>,
    ) -> Result<u32, SaleError> {
        let line = self.line_for(item, quantity, barcode)?;
        self.push_line(line)
    }

    fn line_for(
        &self,
        item: &Item,
        quantity: Decimal,
        barcode: Option<String>,
    ) -> Result<BasketLine, SaleError> {
        self.ensure_no_payment()?;
        self.need(Action::Sell, format!("sell {}", item.id))?;
        let price = self.valid_price(item.price)?;
        Ok(BasketLine {
            line_no: self.next_line_no,
            item_id: item.id.clone(),
            barcode,
            name: item.name.clone(),
            unit: item.unit,
            vat_rate: item.vat_rate,
            stock_tracked: item.stock_tracked,
            meal_voucher: item.meal_voucher,
            rules: item.rules.clone(),
            quantity: self.valid_quantity(item.unit, quantity)?,
            catalog_price: price,
            unit_price: price,
            overridden: false,
            label_price: None,
            discount: None,
            voided: false,
        })
    }

    fn push_line(&mut self, line: BasketLine) -> Result<u32, SaleError> {
        if self.lines.len() >= MAX_LINES {
            return Err(SaleError::TooManyLines(MAX_LINES));
        }
        let no = line.line_no;
        let mut c = self.clone();
        c.lines.push(line);
        c.next_line_no = c.next_line_no.saturating_add(1);
        self.commit(c)?;
        Ok(no)
    }

    /// Changes a line's quantity.
    pub fn set_quantity(&mut self, line_no: u32, quantity: Decimal) -> Result<(), SaleError> {
        self.ensure_no_payment()?;
        let i = self.line_index(line_no)?;
        if self.lines[i].label_price.is_some() {
            return Err(SaleError::LabelPriced(line_no));
        }
        let q = self.valid_quantity(self.lines[i].unit, quantity)?;
        let mut c = self.clone();
        c.lines[i].quantity = q;
        self.commit(c)
    }

    /// Sets (or with `None` removes) a line's discount. Above the threshold it
    /// needs approval.
    pub fn set_line_discount(
        &mut self,
        line_no: u32,
        discount: Option<Discount>,
    ) -> Result<(), SaleError> {
        self.ensure_no_payment()?;
        let i = self.line_index(line_no)?;
        let d = discount.map(|d| self.valid_discount(d)).transpose()?;
        if let Some(Discount::Amount(a)) = d {
            let gross = self.lines[i].gross(self.dp());
            if a > gross {
                return Err(SaleError::InvalidDiscount(format!(
                    "{a} off a line of {gross}"
                )));
            }
        }
        let mut c = self.clone();
        c.lines[i].discount = d;
        self.commit(c)
    }

    /// Sets (or removes) the discount on the whole basket, spread over the lines
    /// pro rata. Above the threshold it needs approval.
    pub fn set_basket_discount(&mut self, discount: Option<Discount>) -> Result<(), SaleError> {
        self.ensure_no_payment()?;
        let d = discount.map(|d| self.valid_discount(d)).transpose()?;
        if let Some(Discount::Amount(a)) = d {
            let net: Money = self
                .totals()
                .lines
                .iter()
                .map(|l| l.gross - l.line_discount)
                .sum();
            if a > net {
                return Err(SaleError::InvalidDiscount(format!(
                    "{a} off a basket of {net}"
                )));
            }
        }
        let mut c = self.clone();
        c.basket_discount = d;
        self.commit(c)
    }

    /// Charges another unit price than the catalog's; needs approval.
    pub fn override_price(&mut self, line_no: u32, price: Money) -> Result<(), SaleError> {
        self.ensure_no_payment()?;
        let i = self.line_index(line_no)?;
        let p = self.valid_price(price)?;
        let mut c = self.clone();
        let line = &mut c.lines[i];
        line.unit_price = p;
        line.overridden = p != line.catalog_price;
        // An overridden price replaces the label's too: the line is then priced
        // by its weight like any weighed article.
        line.label_price = None;
        self.commit(c)
    }

    /// Removes a line. Once payment has started this is a "void after total"
    /// and needs approval.
    pub fn void_line(&mut self, line_no: u32) -> Result<(), SaleError> {
        let i = self.line_index(line_no)?;
        let mut c = self.clone();
        c.lines[i].voided = true;
        if !self.tenders.is_empty() {
            let line = &self.lines[i];
            self.need(
                Action::VoidAfterTotal,
                format!(
                    "line {} {} {} after payment started",
                    line.line_no,
                    line.item_id,
                    self.config.currency.format(line.gross(self.dp()))
                ),
            )?;
            if c.non_cash_paid() > c.due() {
                return Err(SaleError::NonCashAboveTotal);
            }
            if c.paid_restricted(crate::tenders::PaysFor::MealVoucher)
                > c.eligible_total(crate::tenders::PaysFor::MealVoucher)
            {
                return Err(SaleError::EligibleBelowPaid);
            }
        }
        self.commit(c)
    }

    /// Checks that the sale in progress may be abandoned: free before payment,
    /// a supervisor's call once tenders were taken (they must be handed back).
    pub fn check_abandon(&self) -> Result<(), SaleError> {
        let live = self.lines.iter().filter(|l| !l.voided).count();
        if live > 0 {
            // Allowed alone by default; a shop may want a supervisor to see
            // every basket rung up and then dropped.
            self.need(
                Action::AbandonBasket,
                format!(
                    "abandon basket of {} ({live} lines)",
                    self.config.currency.format(self.totals().total)
                ),
            )?;
        }
        if self.tenders.is_empty() {
            return Ok(());
        }
        self.need(
            Action::CancelSale,
            format!(
                "abandon sale of {} with {} paid",
                self.config.currency.format(self.totals().total),
                self.config.currency.format(self.paid())
            ),
        )
    }

    /// The record of this basket abandoned on `business_day` (call after
    /// [`Self::check_abandon`]): its live lines as priced, and who approved.
    pub fn abandoned(&self, business_day: NaiveDate) -> crate::records::BasketAbandoned {
        let t = self.totals();
        crate::records::BasketAbandoned {
            operator: self.operator.clone(),
            business_day,
            lines: t.lines,
            total: t.total,
            approved_by: self
                .approvals
                .iter()
                .rev()
                .find(|a| a.action == Action::AbandonBasket.as_str())
                .map(|a| a.approved_by.clone()),
            training: self.training,
        }
    }

    /// Prices the basket: line discounts, then the basket discount spread over
    /// lines pro rata (largest remainder), so sum(lines) == total exactly.
    pub fn totals(&self) -> Totals {
        let dp = self.dp();
        let zero = round_to(Decimal::ZERO, dp);
        let live: Vec<&BasketLine> = self.lines.iter().filter(|l| !l.voided).collect();
        let mut lines: Vec<SaleLine> = live
            .iter()
            .map(|l| {
                let gross = l.gross(dp);
                let line_discount = l.discount.map(|d| d.amount_on(gross, dp)).unwrap_or(zero);
                SaleLine {
                    line_no: l.line_no,
                    item_id: l.item_id.clone(),
                    barcode: l.barcode.clone(),
                    name: l.name.clone(),
                    unit: l.unit,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    overridden_from: l.overridden.then_some(l.catalog_price),
                    vat_rate: l.vat_rate,
                    gross,
                    line_discount,
                    basket_discount: zero,
                    total: gross - line_discount,
                    stock_tracked: l.stock_tracked,
                }
            })
            .collect();
        let nets: Vec<Money> = lines.iter().map(|l| l.total).collect();
        let net: Money = nets.iter().sum();
        let basket_discount = self
            .basket_discount
            .map(|d| d.amount_on(net, dp))
            .unwrap_or(zero);
        for (line, share) in lines.iter_mut().zip(spread(basket_discount, &nets, dp)) {
            line.basket_discount = share;
            line.total -= share;
        }
        let total = lines.iter().map(|l| l.total).sum::<Money>() + zero;
        Totals {
            lines,
            basket_discount,
            total,
        }
    }

    /// Builds the completed sale. Only when fully paid and every rule holds;
    /// the basket itself is left untouched so the caller can drop it once the
    /// record is safely in the journal.
    pub fn complete(
        &self,
        sale_no: &str,
        business_day: NaiveDate,
        operator: &str,
    ) -> Result<SaleRecord, SaleError> {
        let t = self.totals();
        if t.lines.is_empty() {
            return Err(SaleError::EmptyBasket);
        }
        self.payment_checks()?;
        let status = self.payment_status();
        if status.remaining > Decimal::ZERO {
            return Err(SaleError::NotFullyPaid {
                due: status.due,
                paid: status.paid,
            });
        }
        let cash: Money = self
            .tenders
            .iter()
            .filter(|t| t.kind == TenderKind::Cash)
            .map(|t| t.amount)
            .sum();
        if status.change > cash {
            return Err(SaleError::Overpay {
                kind: TenderKind::Cash,
                amount: status.paid,
                remaining: status.due,
            });
        }
        let mut flags = Vec::new();
        if self.is_anomalous(t.total) {
            flags.push(FLAG_ABOVE_AVERAGE.to_string());
        }
        let dp = self.dp();
        let vat = vat::breakdown(t.lines.iter().map(|l| (l.vat_rate, l.total)), dp);
        let mut lines = t.lines;
        // Voided lines leave gaps in the basket's numbering; the receipt and
        // refunds use 1..n.
        for (n, l) in lines.iter_mut().enumerate() {
            l.line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        }
        let record = SaleRecord {
            kind: SaleKind::Sale,
            sale_no: sale_no.to_string(),
            business_day,
            operator: operator.to_string(),
            customer: self.customer.clone(),
            lines,
            basket_discount: t.basket_discount,
            total: t.total,
            rounding: status.rounding,
            vat,
            tenders: self.tenders.clone(),
            change: status.change,
            reverses: None,
            without_receipt: false,
            approvals: self.approvals.clone(),
            flags,
            training: self.training,
        };
        record.check().map_err(SaleError::Inconsistent)?;
        Ok(record)
    }
}

#[cfg(test)]
pub(crate) mod tests;
