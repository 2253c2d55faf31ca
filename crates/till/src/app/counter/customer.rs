//! The customer of the sale and the customer-account tender ("compte
//! client"). F11 on the sale screen looks up what was typed or scanned
//! (a customer number, a loyalty card, words of the name) among the
//! customers head office synced down (`catalog.db`), and attaches the one
//! chosen: the header shows them, the receipt prints them, the sale record
//! carries their number (`SaleRecord::customer`), and their group's
//! purchase rules apply. F12 on the payment screen puts the amount on
//! their account, as till-core's account rules say: refused in
//! collection, a manager's approval when on hold or past the credit.
//!
//! The credit used is what head office last sent less this till's own
//! account sales it had not received then (`on_account_unsynced`, filled
//! by the shell from the journal at start and by each sale recorded
//! here). Offline, each till only knows its own sales: with N tills
//! offline, a customer can be taken up to N times their available credit
//! (N - 1 times too much) until the tills sync; head office raises
//! `credit_overspent` when it sees it.

use super::ops::Op;
use super::{Counter, Screen};
use crate::app::keys::Key;
use anyhow::{anyhow, Result};
use comptoir_i18n::till::Till;
use std::collections::BTreeMap;
use till_core::customer::{available_offline, CustomerBook, TillCustomer};
use till_core::records::{SaleRecord, TenderKind};
use till_core::Money;

impl Counter {
    /// The customers head office sent, and this till's account sales they
    /// do not count yet (customer number -> amount).
    pub fn set_customers(&mut self, book: CustomerBook, unsynced: BTreeMap<String, Money>) {
        self.customers = book;
        self.on_account_unsynced = unsynced;
    }

    /// The customers known.
    pub fn customers(&self) -> &CustomerBook {
        &self.customers
    }

    /// The customer of the sale in progress, if known here.
    pub fn sale_customer(&self) -> Option<&TillCustomer> {
        let n = self.basket.as_ref()?.customer.as_ref()?;
        self.customers.get(n)
    }

    /// What may still go on `c`'s account from this till.
    pub fn available_for(&self, c: &TillCustomer) -> Money {
        let own = self
            .on_account_unsynced
            .get(&c.number)
            .copied()
            .unwrap_or_default();
        available_offline(c.available_credit, own)
    }

    /// F11 on the sale screen: the customer of what was typed.
    pub(crate) fn customer_key(&mut self) {
        let q = self.input.trim().to_string();
        if q.is_empty() {
            self.error(self.tr(Till::CustomerTypeFirst));
            return;
        }
        let found: Vec<String> = self
            .customers
            .find(&q)
            .into_iter()
            .map(|c| c.number.clone())
            .collect();
        match found.as_slice() {
            [] => self.error(self.trf(Till::CustomerNotFound, &[("query", &q)])),
            [one] => {
                self.input.clear();
                self.exec(Op::AttachCustomer(one.clone()));
            }
            _ => {
                self.input.clear();
                self.screen = Screen::Customers {
                    results: found,
                    sel: 0,
                };
            }
        }
    }

    /// The list of customers found: arrows, Enter to attach, Esc.
    pub(crate) fn customers_key(&mut self, k: Key, results: Vec<String>, sel: usize) {
        match k {
            Key::Up | Key::Down => {
                let sel = Self::move_sel(sel, results.len(), k);
                self.screen = Screen::Customers { results, sel };
            }
            Key::Enter => {
                self.screen = Screen::Sale;
                if let Some(n) = results.get(sel) {
                    self.exec(Op::AttachCustomer(n.clone()));
                }
            }
            Key::Esc => self.screen = Screen::Sale,
            _ => {}
        }
    }

    /// Attaches customer `number` to the sale (started if need be).
    pub(crate) fn attach_customer(&mut self, number: &str) -> Result<()> {
        let c = self
            .customers
            .get(number)
            .cloned()
            .ok_or_else(|| anyhow!(self.trf(Till::CustomerNotFound, &[("query", &number)])))?;
        if self.basket.is_none() {
            let user = self.logged_user()?;
            let b = self.new_basket(&user);
            self.basket = Some(b);
        }
        let b = self.basket.as_mut().ok_or_else(|| anyhow!("no basket"))?;
        b.attach_customer(&c)?;
        self.persist();
        let available = self.money(self.available_for(&c));
        self.info(self.trf(
            Till::CustomerAttached,
            &[("customer", &c.name), ("available", &available)],
        ));
        Ok(())
    }

    /// F12 on the payment screen: `amount` on the sale customer's account.
    pub(crate) fn account_tender(&mut self, amount: Money) -> Result<()> {
        let c = self
            .sale_customer()
            .cloned()
            .ok_or_else(|| anyhow!(self.tr(Till::CustomerNeeded)))?;
        let available = self.available_for(&c);
        let b = self.basket.as_mut().ok_or_else(|| anyhow!("no basket"))?;
        let status = b.pay_on_customer_account(amount, &c, available)?;
        self.persist();
        if status.remaining <= rust_decimal::Decimal::ZERO {
            self.exec(Op::Complete);
        }
        Ok(())
    }

    /// A sale is recorded: its account tenders count against the credit
    /// until head office has them.
    pub(crate) fn count_on_account(&mut self, record: &SaleRecord) {
        if record.training {
            return;
        }
        for t in &record.tenders {
            if t.kind != TenderKind::CustomerAccount {
                continue;
            }
            if let Some(who) = t.reference.as_ref().or(record.customer.as_ref()) {
                *self.on_account_unsynced.entry(who.clone()).or_default() += t.amount;
            }
        }
    }
}
