//! What the counter does: each operation calls till-core and asks for the
//! record to be journaled; the drawer and the printer come only once the
//! record is durable (see `records`).
//!
//! An operation the rules refuse with `ApprovalRequired` is kept as an
//! [`Op`] in the approval dialog and run again, unchanged, once a supervisor
//! typed their PIN: till-core binds the approval to the exact detail text.

use super::{ApprovalDialog, CountRow, Counter, Effect, RefundState, Then};
use crate::app::payment::terminal_approved;
use crate::app::store::FoundSale;
use anyhow::{anyhow, Result};
use comptoir_i18n::till::Till;
use rust_decimal::Decimal;
use till_core::drawer::{cash_movement, no_sale};
use till_core::records::{CashDirection, Event, TenderKind, TenderRecord};
use till_core::{Basket, Discount, Money, SaleError};

/// An operation that may need a supervisor's approval, kept whole so it can
/// be repeated after the approval.
#[derive(Debug, Clone)]
pub enum Op {
    AddCode {
        code: String,
        qty: Option<Decimal>,
    },
    AddItem {
        id: String,
        qty: Option<Decimal>,
    },
    SetQty {
        line: u32,
        qty: Decimal,
    },
    LineDiscount {
        line: u32,
        d: Option<Discount>,
    },
    BasketDiscount(Option<Discount>),
    OverridePrice {
        line: u32,
        price: Money,
    },
    Void(u32),
    Tender {
        kind: TenderKind,
        amount: Money,
    },
    RemoveTender,
    Complete,
    Abandon,
    Refund(Box<RefundState>),
    Cancel(Box<FoundSale>),
    RefundNoReceipt {
        items: Vec<(String, Decimal)>,
        kind: TenderKind,
    },
    NoSale,
    CashMove {
        direction: CashDirection,
        amount: Money,
    },
    CloseDay(Vec<CountRow>),
    /// Attach customer (number) to the sale.
    AttachCustomer(String),
    /// On the sale customer's account.
    AccountTender(Money),
}

impl Op {
    /// Whether the approval goes into the basket (and so into the sale
    /// record) rather than the operation's own record.
    pub fn is_basket_op(&self) -> bool {
        matches!(
            self,
            Op::AddCode { .. }
                | Op::AddItem { .. }
                | Op::SetQty { .. }
                | Op::LineDiscount { .. }
                | Op::BasketDiscount(_)
                | Op::OverridePrice { .. }
                | Op::Void(_)
                | Op::Tender { .. }
                | Op::RemoveTender
                | Op::Complete
                | Op::Abandon
                | Op::AttachCustomer(_)
                | Op::AccountTender(_)
        )
    }
}

impl Counter {
    /// Runs `op`; asks for approval when the rules say so; shows any other
    /// refusal as a plain message (the state is unchanged then).
    pub(crate) fn exec(&mut self, op: Op) {
        match self.run_op(&op) {
            Ok(()) => {
                if !op.is_basket_op() {
                    self.op_approvals.clear();
                }
            }
            Err(e) => match e.downcast_ref::<SaleError>() {
                Some(SaleError::ApprovalRequired(req)) => {
                    self.approval = Some(ApprovalDialog {
                        req: req.clone(),
                        op,
                        pin: String::new(),
                        error: None,
                    });
                }
                _ => {
                    if !op.is_basket_op() {
                        self.op_approvals.clear();
                    }
                    let text = self.refusal(&e);
                    self.error(text);
                }
            },
        }
    }

    pub(crate) fn logged_user(&self) -> Result<till_core::User> {
        self.user
            .clone()
            .ok_or_else(|| anyhow!(self.tr(Till::ErrNotLoggedIn)))
    }

    /// The basket, created on the first article.
    fn basket_mut(&mut self) -> Result<&mut Basket> {
        if self.basket.is_none() {
            let user = self.logged_user()?;
            let b = self.new_basket(&user);
            self.basket = Some(b);
        }
        let no_sale = self.tr(Till::ErrNoSale);
        self.basket.as_mut().ok_or_else(|| anyhow!(no_sale))
    }

    /// Saves the basket after a change so a crash puts it back on screen
    /// (the terminal loop saves it once the new line is drawn).
    pub(crate) fn persist(&mut self) {
        self.emit(Effect::SaveBasket);
    }

    pub(crate) fn run_op(&mut self, op: &Op) -> Result<()> {
        match op {
            Op::AddCode { code, qty } => {
                if self.basket.is_none() {
                    let user = self.user.clone().ok_or_else(|| anyhow!("non identifié"))?;
                    let b = self.new_basket(&user);
                    self.basket = Some(b);
                }
                let catalog = &self.catalog;
                let basket = self
                    .basket
                    .as_mut()
                    .ok_or_else(|| anyhow!("pas de vente en cours"))?;
                if let Err(e) = basket.add_code(catalog, code, *qty) {
                    if basket.lines().is_empty() && basket.tenders().is_empty() {
                        self.basket = None;
                    }
                    // A weighed item without a weight: the scale weighs it.
                    if matches!(e, SaleError::WeightRequired(_)) && self.ask_scale(code) {
                        return Ok(());
                    }
                    return Err(e.into());
                }
                self.after_line_added();
            }
            Op::AddItem { id, qty } => {
                let item = self
                    .catalog
                    .get(id)
                    .cloned()
                    .ok_or_else(|| anyhow!(self.trf(Till::ErrUnknownItem, &[("item", id)])))?;
                let q = match (qty, item.unit) {
                    (Some(q), _) => *q,
                    (None, till_core::records::Unit::Piece) => Decimal::ONE,
                    (None, till_core::records::Unit::Kg) => {
                        return Err(anyhow!(self.tr(Till::ByWeightTypeKg)))
                    }
                };
                let barcode = item.barcodes.first().cloned();
                self.basket_mut()?.add_item(&item, q, barcode)?;
                self.after_line_added();
            }
            Op::SetQty { line, qty } => {
                self.basket_mut()?.set_quantity(*line, *qty)?;
                self.input.clear();
                self.persist();
            }
            Op::LineDiscount { line, d } => {
                self.basket_mut()?.set_line_discount(*line, *d)?;
                self.input.clear();
                self.persist();
            }
            Op::BasketDiscount(d) => {
                self.basket_mut()?.set_basket_discount(*d)?;
                self.input.clear();
                self.persist();
            }
            Op::OverridePrice { line, price } => {
                self.basket_mut()?.override_price(*line, *price)?;
                self.input.clear();
                self.persist();
            }
            Op::Void(line) => {
                self.basket_mut()?.void_line(*line)?;
                let n = self.live_lines().len();
                self.selected = self.selected.min(n.saturating_sub(1));
                self.persist();
            }
            Op::Tender { kind, amount }
                if matches!(kind, TenderKind::Card | TenderKind::EWallet) && self.has_terminal =>
            {
                self.terminal_tender(*kind, *amount)?;
            }
            Op::Tender { kind, amount } => {
                let tender = TenderRecord {
                    kind: *kind,
                    amount: *amount,
                    reference: None,
                    card: None,
                };
                let status = match self.basket_mut()?.pay(tender.clone()) {
                    Err(SaleError::AboveRoom {
                        room,
                        limit,
                        loss_allowed: true,
                        ..
                    }) if room > Decimal::ZERO => {
                        // A paper titre worth more than it may pay: no
                        // change, so the cashier confirms the loss first.
                        self.input.clear();
                        self.ask_loss(tender, room, limit);
                        return Ok(());
                    }
                    r => r?,
                };
                self.persist();
                if matches!(kind, TenderKind::Card | TenderKind::EWallet) {
                    // Typed in from a standalone terminal: the till has no
                    // proof of it, and says so.
                    let tender = self.tender_label(*kind);
                    self.info(self.trf(
                        Till::TypedWithoutTerminal,
                        &[("tender", &tender), ("amount", &self.money(*amount))],
                    ));
                }
                if status.remaining <= Decimal::ZERO {
                    self.exec(Op::Complete);
                }
            }
            Op::RemoveTender => {
                let b = self.basket_mut()?;
                let n = b.tenders().len();
                if n == 0 {
                    return Err(anyhow!(self.tr(Till::ErrNoTenderToRemove)));
                }
                if b.tenders().get(n - 1).is_some_and(terminal_approved) {
                    return Err(anyhow!(self.tr(Till::ErrCardTenderKept)));
                }
                b.remove_tender(n - 1)?;
                self.persist();
            }
            Op::Complete => self.commit_sale()?,
            Op::AttachCustomer(n) => self.attach_customer(n)?,
            Op::AccountTender(a) => self.account_tender(*a)?,
            Op::Abandon => {
                if let Some(b) = self.basket.clone() {
                    if b.tenders().iter().any(terminal_approved) {
                        return Err(anyhow!(self.tr(Till::ErrAbandonCardPaid)));
                    }
                    b.check_abandon()?;
                    if !b.lines().is_empty() {
                        // Rung up, then dropped: journaled with its lines
                        // before the counter forgets it.
                        self.journal_abandon(&b);
                        return Ok(());
                    }
                }
                self.forget_basket();
                self.info(self.tr(Till::SaleAbandoned));
            }
            Op::Refund(st) => self.refund(st)?,
            Op::Cancel(found) => self.cancel(found)?,
            Op::RefundNoReceipt { items, kind } => self.refund_no_receipt(items, *kind)?,
            Op::NoSale => {
                let user = self.logged_user()?;
                let rec = no_sale(
                    "ouverture sans vente",
                    &user,
                    &self.op_approvals,
                    &self.settings.basket.permissions,
                )?;
                let ts = self.now();
                self.emit(Effect::Append {
                    ts,
                    event: Event::DrawerOpened(rec),
                    clear_basket: false,
                    then: Then::NoSale,
                });
            }
            Op::CashMove { direction, amount } => {
                let user = self.logged_user()?;
                let day = self.business_day();
                let reason = match direction {
                    CashDirection::In => "apport",
                    CashDirection::Out => "retrait",
                };
                let rec = cash_movement(
                    *direction,
                    *amount,
                    reason,
                    &user,
                    &self.op_approvals,
                    day,
                    self.currency(),
                    &self.settings.basket.permissions,
                )?;
                let ts = self.now();
                self.emit(Effect::Append {
                    ts,
                    event: Event::CashMovement(rec),
                    clear_basket: false,
                    then: Then::CashMove {
                        direction: *direction,
                        amount: *amount,
                    },
                });
            }
            Op::CloseDay(rows) => self.close_day(rows)?,
        }
        Ok(())
    }

    /// A refusal in the cashier's words: till-core's errors are mapped
    /// through the catalog; the app's own are written with it already.
    pub(crate) fn refusal(&self, e: &anyhow::Error) -> String {
        let fmt = self.fmt();
        if let Some(se) = e.downcast_ref::<SaleError>() {
            if let Some(text) = self.tender_refusal(se) {
                return text;
            }
            return crate::app::words::sale_error(&fmt, se, self.settings.basket.max_quantity);
        }
        if let Some(le) = e.downcast_ref::<till_core::catalog::LookupError>() {
            return crate::app::words::lookup_error(self.lang(), le);
        }
        if let Some(ae) = e.downcast_ref::<till_core::auth::AuthError>() {
            if let till_core::auth::AuthError::ApprovalRequired(r) = ae {
                return crate::app::words::approval_detail(&fmt, r);
            }
            return crate::app::words::sale_error(
                &fmt,
                &SaleError::from(ae.clone()),
                self.settings.basket.max_quantity,
            );
        }
        format!("{e:#}")
    }

    fn after_line_added(&mut self) {
        self.input.clear();
        let n = self.live_lines().len();
        self.selected = n.saturating_sub(1);
        self.persist();
    }
}
