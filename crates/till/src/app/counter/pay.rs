//! The payment screen: tenders typed or sent to the card terminal.

use super::ops::Op;
use super::{parse_money, Counter, Screen};
use crate::app::keys::Key;
use comptoir_i18n::till::Till;
use rust_decimal::Decimal;
use till_core::records::TenderKind;

impl Counter {
    pub(crate) fn payment_key(&mut self, k: Key) {
        if self.edit(k) {
            return;
        }
        let Some(remaining) = self.basket.as_ref().map(|b| b.payment_status().remaining) else {
            self.screen = Screen::Sale;
            return;
        };
        let kind = self.pay_key(k);
        if remaining <= Decimal::ZERO && (k == Key::Enter || k == Key::F(12) || kind.is_some()) {
            // Fully paid but not recorded (the journal refused, or the till
            // restarted in between): record it now.
            self.exec(Op::Complete);
            return;
        }
        let amount = if self.input.trim().is_empty() {
            // Cash with nothing typed: what is due in cash, rounded by the
            // shop's `cash_rounding` (the exact rest would leave a cent to pay).
            match (kind, &self.basket) {
                (Some(TenderKind::Cash), Some(b)) => Some(b.remaining_in_cash()),
                // A shop tender: what it may pay (a titre: the eligible
                // articles left, within the cap).
                (Some(k @ TenderKind::Shop(_)), _) => self.shop_default_amount(k),
                _ => Some(remaining),
            }
        } else {
            parse_money(&self.input)
        };
        if let Some(kind) = kind {
            match amount {
                Some(a) if a > Decimal::ZERO => {
                    self.input.clear();
                    self.exec(Op::Tender { kind, amount: a });
                }
                // A shop tender with nothing left it may pay: its rules
                // say why (no eligible article, the cap reached...).
                Some(_) if matches!(kind, TenderKind::Shop(_)) => {
                    let cent = Decimal::new(1, 2);
                    self.exec(Op::Tender { kind, amount: cent });
                }
                _ => self.error(self.tr(Till::AmountUnreadable)),
            }
            return;
        }
        if k == Key::F(12) {
            match amount {
                Some(a) if a > Decimal::ZERO => {
                    self.input.clear();
                    self.exec(Op::AccountTender(a));
                }
                _ => self.error(self.tr(Till::AmountUnreadable)),
            }
            return;
        }
        match k {
            Key::F(6) => self.exec(Op::RemoveTender),
            Key::F(10) => self.abandon_key(),
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            _ => {}
        }
    }
}
