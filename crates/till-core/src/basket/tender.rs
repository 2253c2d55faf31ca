//! Taking payment: split tenders, change only from cash, no overpaying with
//! anything else, cash rounding, customer accounts within their credit.

use super::Basket;
use crate::error::SaleError;
use crate::money::{round_to, round_to_step, Money};
use crate::records::{TenderKind, TenderRecord};
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
        let mut c = self.clone();
        c.tenders.push(TenderRecord {
            amount: round_to(a, dp),
            ..tender
        });
        let after = c.payment_status();
        // What was left to pay under the tender set this payment creates (cash
        // rounding depends on it).
        let remaining = after.due - (after.paid - round_to(a, dp));
        if kind != TenderKind::Cash && a > remaining {
            return Err(SaleError::Overpay {
                kind,
                amount: a,
                remaining: remaining.max(Decimal::ZERO),
            });
        }
        *self = c;
        Ok(after)
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
