//! The payment screen: tenders typed or sent to the card terminal.

use super::ops::Op;
use super::{parse_money, Counter, Screen};
use crate::app::keys::Key;
use comptoir_i18n::till::Till;
use rust_decimal::Decimal;

impl Counter {
    pub(crate) fn payment_key(&mut self, k: Key) {
        if self.edit(k) {
            return;
        }
        let Some(remaining) = self.basket.as_ref().map(|b| b.payment_status().remaining) else {
            self.screen = Screen::Sale;
            return;
        };
        if remaining <= Decimal::ZERO && matches!(k, Key::Enter | Key::F(1..=5) | Key::F(12)) {
            // Fully paid but not recorded (the journal refused, or the till
            // restarted in between): record it now.
            self.exec(Op::Complete);
            return;
        }
        let amount = if self.input.trim().is_empty() {
            // Cash with nothing typed: what is due in cash, rounded by the
            // shop's `cash_rounding` (the exact rest would leave a cent to pay).
            match (k, &self.basket) {
                (Key::F(1), Some(b)) => Some(b.remaining_in_cash()),
                _ => Some(remaining),
            }
        } else {
            parse_money(&self.input)
        };
        let kind = match k {
            Key::F(1) => Some(till_core::records::TenderKind::Cash),
            Key::F(2) => Some(till_core::records::TenderKind::Card),
            Key::F(3) => Some(till_core::records::TenderKind::Cheque),
            Key::F(4) => Some(till_core::records::TenderKind::Voucher),
            Key::F(5) => Some(till_core::records::TenderKind::EWallet),
            _ => None,
        };
        if let Some(kind) = kind {
            match amount {
                Some(a) if a > Decimal::ZERO => {
                    self.input.clear();
                    self.exec(Op::Tender { kind, amount: a });
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
