//! Taking payment: split tenders, change only from cash, no overpaying with
//! anything else, cash rounding, customer accounts within their credit.

use super::Basket;
use crate::error::SaleError;
use crate::money::{round_to, round_to_step, Money};
use crate::records::{TenderKind, TenderRecord};
use crate::tenders::{Excess, Limit, PaysFor, Room, ShopTender};
use rust_decimal::Decimal;

/// Where the payment of a basket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentStatus {
    /// Sum of the lines.
    pub total: Money,
    /// Cash rounding (due - total).
    pub rounding: Money,
    /// What the customer owes: total + rounding.
    pub due: Money,
    /// Sum of tenders.
    pub paid: Money,
    /// Still to pay (never negative).
    pub remaining: Money,
    /// Cash to hand back (never negative).
    pub change: Money,
}

impl Basket {
    /// Cash rounding applies when the sale is paid in cash only: a card pays
    /// the exact amount, so as soon as another tender joins, rounding is 0.
    fn rounding_with(&self, total: Money, tenders: &[TenderRecord]) -> Money {
        let dp = self.config.currency.minor_units;
        let zero = round_to(Decimal::ZERO, dp);
        match self.config.cash_rounding_step {
            Some(step)
                if step > Decimal::ZERO
                    && !tenders.is_empty()
                    && tenders.iter().all(|t| t.kind == TenderKind::Cash) =>
            {
                round_to(round_to_step(total, step), dp) - total + zero
            }
            _ => zero,
        }
    }

    /// What is due with the tenders taken so far.
    pub fn due(&self) -> Money {
        let total = self.totals().total;
        total + self.rounding_with(total, self.tenders())
    }

    /// What a cash-only payment would be due (for the customer display).
    pub fn due_in_cash(&self) -> Money {
        let total = self.totals().total;
        let cash = [TenderRecord {
            kind: TenderKind::Cash,
            amount: Decimal::ZERO,
            reference: None,
            card: None,
        }];
        total + self.rounding_with(total, &cash)
    }

    /// Sum of tenders taken.
    pub fn paid(&self) -> Money {
        self.tenders().iter().map(|t| t.amount).sum()
    }

    pub(crate) fn non_cash_paid(&self) -> Money {
        self.tenders()
            .iter()
            .filter(|t| t.kind != TenderKind::Cash)
            .map(|t| t.amount)
            .sum()
    }

    /// Total, rounding, due, paid, remaining and change.
    pub fn payment_status(&self) -> PaymentStatus {
        let total = self.totals().total;
        let rounding = self.rounding_with(total, self.tenders());
        let due = total + rounding;
        let paid = self.paid();
        let zero = round_to(Decimal::ZERO, self.config.currency.minor_units);
        PaymentStatus {
            total,
            rounding,
            due,
            paid,
            remaining: (due - paid).max(zero),
            change: (paid - due).max(zero),
        }
    }

    /// What is left to pay if the rest is paid in cash: with the cash
    /// rounding that paying so would bring (1,09 is 1,10 in cash at a
    /// 0,05 step, before any tender as after cash ones).
    pub fn remaining_in_cash(&self) -> Money {
        let total = self.totals().total;
        let mut tenders = self.tenders().to_vec();
        tenders.push(TenderRecord {
            kind: TenderKind::Cash,
            amount: Decimal::ZERO,
            reference: None,
            card: None,
        });
        let rounding = self.rounding_with(total, &tenders);
        let zero = round_to(Decimal::ZERO, self.config.currency.minor_units);
        (total + rounding - self.paid()).max(zero)
    }

    /// Takes a payment: cash, card, e-wallet, cheque, transfer or voucher
    /// (customer accounts go through [`Basket::pay_on_account`]). The purchase
    /// rules and the anomaly check run first. Only cash may exceed what remains.
    pub fn pay(&mut self, tender: TenderRecord) -> Result<PaymentStatus, SaleError> {
        if tender.kind == TenderKind::CustomerAccount {
            return Err(SaleError::CreditCheckRequired);
        }
        self.take(tender)
    }

    /// Cash handed over by the customer.
    pub fn pay_cash(&mut self, amount: Money) -> Result<PaymentStatus, SaleError> {
        self.pay(TenderRecord {
            kind: TenderKind::Cash,
            amount,
            reference: None,
            card: None,
        })
    }

    /// Puts `amount` on the customer's account, within `available_credit` (the
    /// credit limit minus what the customer owes, from head office).
    pub fn pay_on_account(
        &mut self,
        amount: Money,
        customer_id: &str,
        available_credit: Money,
    ) -> Result<PaymentStatus, SaleError> {
        if let Some(c) = &self.customer {
            if c != customer_id {
                return Err(SaleError::CustomerMismatch(c.clone()));
            }
        }
        let on_account: Money = self
            .tenders()
            .iter()
            .filter(|t| t.kind == TenderKind::CustomerAccount)
            .map(|t| t.amount)
            .sum();
        if amount > Decimal::ZERO && on_account + amount > available_credit {
            return Err(SaleError::CreditLimitExceeded {
                amount: on_account + amount,
                available: available_credit,
            });
        }
        let status = self.take(TenderRecord {
            kind: TenderKind::CustomerAccount,
            amount,
            reference: Some(customer_id.to_string()),
            card: None,
        })?;
        self.customer = Some(customer_id.to_string());
        Ok(status)
    }

    /// The customer the sale is for (their group's purchase rules apply
    /// from now on). A basket with account tenders of another customer
    /// keeps its customer.
    pub fn attach_customer(
        &mut self,
        customer: &crate::customer::TillCustomer,
    ) -> Result<(), SaleError> {
        if let Some(c) = &self.customer {
            let on_account = self
                .tenders()
                .iter()
                .any(|t| t.kind == TenderKind::CustomerAccount);
            if c != &customer.number && on_account {
                return Err(SaleError::CustomerMismatch(c.clone()));
            }
        }
        self.customer = Some(customer.number.clone());
        self.customer_group = customer.group.clone();
        Ok(())
    }

    /// Puts `amount` on `customer`'s account as the account rules say
    /// ([`crate::customer::account_check`]): `available` is the credit the
    /// till may still use (head office's figure less the till's own
    /// unsynced account sales), from which this basket's earlier account
    /// tenders are taken here. In collection: refused. On hold, or past
    /// the credit: [`Action::AccountOverride`], a manager's approval
    /// (bound to the detail text), then taken.
    pub fn pay_on_customer_account(
        &mut self,
        amount: Money,
        customer: &crate::customer::TillCustomer,
        available: Money,
    ) -> Result<PaymentStatus, SaleError> {
        use crate::customer::{account_check, AccountDecision, AccountIssue};
        if let Some(c) = &self.customer {
            if c != &customer.number
                && self
                    .tenders()
                    .iter()
                    .any(|t| t.kind == TenderKind::CustomerAccount)
            {
                return Err(SaleError::CustomerMismatch(c.clone()));
            }
        }
        let so_far: Money = self
            .tenders()
            .iter()
            .filter(|t| t.kind == TenderKind::CustomerAccount)
            .map(|t| t.amount)
            .sum();
        let left = (available - so_far).max(Decimal::ZERO);
        let cur = &self.config.currency;
        match account_check(customer.status, left, amount) {
            AccountDecision::RefuseInCollection => {
                return Err(SaleError::AccountInCollection(customer.number.clone()))
            }
            AccountDecision::NeedsApproval(AccountIssue::OnHold) => self.need(
                crate::auth::Action::AccountOverride,
                format!("customer {} account on hold", customer.number),
            )?,
            AccountDecision::NeedsApproval(AccountIssue::OverLimit { .. }) => self.need(
                crate::auth::Action::AccountOverride,
                format!(
                    "customer {} on account {} above available credit {}",
                    customer.number,
                    cur.format(so_far + amount),
                    cur.format(available)
                ),
            )?,
            AccountDecision::Accept => {}
        }
        self.customer_group = customer.group.clone();
        // Approved or within the credit: the limit is not checked again.
        self.pay_on_account(amount, &customer.number, so_far + amount)
    }

    fn take(&mut self, tender: TenderRecord) -> Result<PaymentStatus, SaleError> {
        let dp = self.config.currency.minor_units;
        let a = tender.amount;
        if a <= Decimal::ZERO || a > self.max_price() * Decimal::from(1000) {
            return Err(SaleError::InvalidAmount(a));
        }
        if a.normalize().scale() > dp {
            return Err(SaleError::InvalidAmount(a));
        }
        if self.totals().lines.is_empty() {
            return Err(SaleError::EmptyBasket);
        }
        if let Some(card) = &tender.card {
            if !card.approved {
                return Err(SaleError::CardDeclined);
            }
        }
        self.payment_checks()?;
        if self.payment_status().remaining <= Decimal::ZERO && !self.tenders().is_empty() {
            return Err(SaleError::AlreadyPaid);
        }
        let kind = tender.kind;
        let shop = match kind {
            TenderKind::Shop(code) => Some(
                self.shop_tender(kind)
                    .cloned()
                    .ok_or(SaleError::UnknownTender(code))?,
            ),
            _ => None,
        };
        if let Some(t) = &shop {
            let room = self.room(t);
            if room.limit == Limit::Eligible && self.eligible_total(t.pays_for) <= Decimal::ZERO {
                return Err(SaleError::NothingEligible(kind));
            }
            if round_to(a, dp) > room.amount {
                return Err(SaleError::AboveRoom {
                    kind,
                    amount: a,
                    room: room.amount,
                    limit: room.limit,
                    loss_allowed: t.excess == Excess::Lost,
                });
            }
        }
        let mut c = self.clone();
        c.tenders.push(TenderRecord {
            amount: round_to(a, dp),
            ..tender
        });
        let after = c.payment_status();
        // What was left to pay under the tender set this payment creates (cash
        // rounding depends on it).
        let remaining = after.due - (after.paid - round_to(a, dp));
        let gives_change =
            kind == TenderKind::Cash || shop.as_ref().is_some_and(|t| t.gives_change);
        if !gives_change && a > remaining {
            return Err(SaleError::Overpay {
                kind,
                amount: a,
                remaining: remaining.max(Decimal::ZERO),
            });
        }
        *self = c;
        Ok(after)
    }

    /// The definition of a shop tender, from the basket's settings.
    pub fn shop_tender(&self, kind: TenderKind) -> Option<&ShopTender> {
        match kind {
            TenderKind::Shop(code) => self.config.tenders.iter().find(|t| t.code == code),
            _ => None,
        }
    }

    /// The total of the live lines `p` lets a tender pay for (after their
    /// discounts).
    pub fn eligible_total(&self, p: PaysFor) -> Money {
        let totals = self.totals();
        match p {
            PaysFor::All => totals.total,
            PaysFor::MealVoucher => totals
                .lines
                .iter()
                .filter(|l| {
                    self.lines()
                        .iter()
                        .any(|b| b.line_no == l.line_no && b.meal_voucher)
                })
                .map(|l| l.total)
                .sum(),
        }
    }

    /// What tenders restricted to `p`'s articles have paid so far.
    pub(crate) fn paid_restricted(&self, p: PaysFor) -> Money {
        self.tenders()
            .iter()
            .filter(|t| self.shop_tender(t.kind).is_some_and(|s| s.pays_for == p))
            .map(|t| t.amount)
            .sum()
    }

    /// The most shop tender `t` may pay now, and what bounds it: what
    /// remains (unless it gives change), the eligible articles less what
    /// meal vouchers paid, the meal-voucher cap, its own maximum per sale.
    pub fn room(&self, t: &ShopTender) -> Room {
        let zero = round_to(Decimal::ZERO, self.config.currency.minor_units);
        let mut room = Room {
            amount: Decimal::MAX,
            limit: Limit::None,
        };
        let mut bound = |amount: Money, limit: Limit| {
            if amount < room.amount {
                room = Room { amount, limit };
            }
        };
        if !t.gives_change {
            let total = self.totals().total;
            // A shop tender joining ends any cash rounding.
            bound(total - self.paid(), Limit::Remaining);
        }
        if t.pays_for == PaysFor::MealVoucher {
            let paid = self.paid_restricted(PaysFor::MealVoucher);
            bound(
                self.eligible_total(PaysFor::MealVoucher) - paid,
                Limit::Eligible,
            );
            bound(self.config.meal_voucher_cap - paid, Limit::Cap);
        }
        if let Some(m) = t.max_per_sale {
            let paid: Money = self
                .tenders()
                .iter()
                .filter(|x| x.kind == t.kind())
                .map(|x| x.amount)
                .sum();
            bound(m - paid, Limit::MaxPerSale);
        }
        room.amount = room.amount.max(zero);
        room
    }

    /// Takes a paper shop tender worth more than it may pay (its `excess`
    /// is `lost`): it pays what it may, the rest is the customer's loss
    /// (no change), and its face value is kept in the tender's reference
    /// (`face_value=10.00`). Call once the cashier has confirmed the loss.
    /// Returns the status and the amount lost.
    pub fn pay_keeping_excess(
        &mut self,
        tender: TenderRecord,
    ) -> Result<(PaymentStatus, Money), SaleError> {
        let t = self
            .shop_tender(tender.kind)
            .cloned()
            .ok_or(match tender.kind {
                TenderKind::Shop(code) => SaleError::UnknownTender(code),
                other => SaleError::Overpay {
                    kind: other,
                    amount: tender.amount,
                    remaining: self.payment_status().remaining,
                },
            })?;
        let face = round_to(tender.amount, self.config.currency.minor_units);
        let room = self.room(&t).amount;
        if t.excess != Excess::Lost || face <= room {
            // Nothing lost (or not allowed): the plain rules decide.
            return self.take(tender).map(|s| (s, Decimal::ZERO));
        }
        let status = self.take(TenderRecord {
            amount: room,
            reference: Some(format!("face_value={face}")),
            ..tender
        })?;
        Ok((status, face - room))
    }

    /// Removes a tender (e.g. the customer changes their mind before completion;
    /// reversing a card payment on the terminal is the caller's business).
    pub fn remove_tender(&mut self, index: usize) -> Result<TenderRecord, SaleError> {
        if index >= self.tenders.len() {
            return Err(SaleError::NoSuchTender(index));
        }
        Ok(self.tenders.remove(index))
    }
}
