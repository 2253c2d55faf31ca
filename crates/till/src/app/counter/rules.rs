//! The shop's rules at the counter beyond the basket's own checks: the
//! rolling average the anomaly check compares with, the confirmed and
//! journaled abandon of a basket (F10), and the notice that a sale after
//! the day's Z counts on the next business day.

use super::ops::Op;
use super::{Counter, Effect, Screen, Then};
use crate::app::keys::Key;
use comptoir_i18n::format::Fmt;
use comptoir_i18n::till_rules::TillRules;
use comptoir_i18n::{Lang, Template};
use till_core::records::SaleRecord;
use till_core::{Basket, User};

impl Counter {
    /// A new basket for `user`, with the rolling average when there are
    /// enough sales in the window for it to mean something.
    pub(crate) fn new_basket(&mut self, user: &User) -> Basket {
        let mut b = Basket::new(self.settings.basket.clone(), user);
        b.rolling_average = self.history.average(self.settings.rules.anomaly_min_sales);
        let today = self.now().date_naive();
        let day = self.business_day();
        if day != today {
            let f = Fmt::plain(Lang::Fr);
            self.info(TillRules::NextBusinessDay.fill(
                Lang::Fr,
                &[("today", &f.date(today)), ("day", &f.date(day))],
            ));
        }
        b
    }

    /// A sale is recorded: it counts in the average from now on.
    pub(crate) fn count_sale(&mut self, record: &SaleRecord) {
        if !record.training {
            self.history.add(record.total);
        }
    }

    /// F10 on the sale screen: a basket with lines asks first; an empty
    /// one (nothing rung up) just goes.
    pub(crate) fn abandon_key(&mut self) {
        let Some(b) = &self.basket else {
            return;
        };
        if b.lines().is_empty() {
            self.exec(Op::Abandon);
            return;
        }
        let total = Fmt::plain(Lang::Fr).money(b.totals().total);
        self.confirm_abandon = true;
        self.error(TillRules::AbandonConfirm.fill(Lang::Fr, &[("total", &total)]));
    }

    /// The key after F10's question.
    pub(crate) fn abandon_answer(&mut self, k: Key) {
        if matches!(k, Key::F(10) | Key::Enter)
            && matches!(self.screen, Screen::Sale | Screen::Payment)
        {
            self.exec(Op::Abandon);
        } else {
            self.info(TillRules::AbandonKept.text(Lang::Fr));
        }
    }

    /// Journals the abandoned basket (clearing the saved one with it); the
    /// counter forgets it once the journal has it.
    pub(crate) fn journal_abandon(&mut self, b: &Basket) {
        let record = b.abandoned(self.business_day());
        let ts = self.now();
        self.emit(Effect::Append {
            ts,
            event: till_core::records::Event::BasketAbandoned(record.clone()),
            clear_basket: true,
            then: Then::Abandoned(Box::new(record)),
        });
    }

    /// The abandoned basket is durable.
    pub(crate) fn abandon_recorded(&mut self, r: &till_core::records::BasketAbandoned) {
        self.forget_basket();
        let total = Fmt::plain(Lang::Fr).money(r.total);
        self.info(
            TillRules::AbandonDone.fill(Lang::Fr, &[("lines", &r.lines.len()), ("total", &total)]),
        );
    }

    /// The journal refused it: the basket stays on screen.
    pub(crate) fn abandon_failed(&mut self, why: &str) {
        self.error(TillRules::AbandonNotRecorded.fill(Lang::Fr, &[("why", &why)]));
    }

    /// Drops the basket in progress.
    pub(crate) fn forget_basket(&mut self) {
        self.basket = None;
        // A late approval for it must not land in the next sale.
        self.terminal.sale_gone();
        self.selected = 0;
        self.pending_qty = None;
        self.persist();
        self.screen = Screen::Sale;
    }
}
