//! The functions menu (F9), cash in and out, and parked sales (F7).

use super::ops::Op;
use super::{parse_money, Counter, Effect, Purpose, Screen, MENU};
use crate::app::keys::Key;
use crate::app::store::Parked;
use comptoir_i18n::till::Till;
use rust_decimal::Decimal;
use till_core::records::CashDirection;

impl Counter {
    pub(crate) fn menu_key(&mut self, k: Key, sel: usize) {
        let choice = match k {
            Key::Char(c @ '1'..='9') => Some(c as usize - '1' as usize),
            Key::Char('0') => Some(9),
            Key::Enter => Some(sel),
            Key::Up | Key::Down => {
                self.screen = Screen::Menu {
                    sel: Self::move_sel(sel, MENU.len(), k),
                };
                None
            }
            Key::Esc | Key::F(9) => {
                self.screen = Screen::Sale;
                None
            }
            _ => None,
        };
        let Some(choice) = choice else { return };
        self.input.clear();
        let busy = self.basket_has_lines();
        let needs_empty = matches!(choice, 0..=2 | 8);
        if busy && needs_empty {
            self.error(self.tr(Till::FinishSaleFirst));
            self.screen = Screen::Sale;
            return;
        }
        self.screen = Screen::Sale;
        match choice {
            0 => {
                self.screen = Screen::ReceiptNo {
                    purpose: Purpose::Refund,
                }
            }
            1 => self.screen = Screen::RefundNoReceipt { items: Vec::new() },
            2 => {
                self.screen = Screen::ReceiptNo {
                    purpose: Purpose::Cancel,
                }
            }
            3 => {
                self.screen = Screen::ReceiptNo {
                    purpose: Purpose::Reprint,
                }
            }
            4 => self.exec(Op::NoSale),
            5 => {
                self.screen = Screen::CashMove {
                    direction: CashDirection::In,
                }
            }
            6 => {
                self.screen = Screen::CashMove {
                    direction: CashDirection::Out,
                }
            }
            7 => self.x_report(),
            8 if !self.parked.is_empty() => self.error(self.tr(Till::ParkedBeforeZ)),
            8 => self.start_cash_count(),
            _ => self.logout(),
        }
    }

    pub(crate) fn resume_key(&mut self, k: Key, sel: usize) {
        match k {
            Key::Up | Key::Down => {
                self.screen = Screen::Resume {
                    sel: Self::move_sel(sel, self.parked.len(), k),
                }
            }
            Key::Enter => self.resume(sel),
            Key::Esc => self.screen = Screen::Sale,
            _ => {}
        }
    }

    pub(crate) fn cash_move_key(&mut self, k: Key, direction: CashDirection) {
        if self.edit(k) {
            return;
        }
        match k {
            Key::Enter => match parse_money(&self.input) {
                Some(amount) if amount > Decimal::ZERO => {
                    self.input.clear();
                    self.exec(Op::CashMove { direction, amount });
                }
                _ => self.error(self.tr(Till::AmountUnreadable)),
            },
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            _ => {}
        }
    }

    /// Sets the sale aside (F7) and starts an empty one.
    pub(crate) fn park(&mut self) {
        let Some(b) = self.basket.clone() else { return };
        if !b.tenders().is_empty() {
            self.error(self.tr(Till::PaymentStartedPark));
            return;
        }
        let at = self.now().format("%H:%M").to_string();
        self.parked.push(Parked { at, basket: b });
        // Written before the basket slot is cleared: a crash in between
        // leaves the sale twice, never nowhere.
        self.emit(Effect::SaveParked {
            list: self.parked.clone(),
            parking: true,
        });
    }

    /// The parked list is written (or not): a parked sale leaves the
    /// counter only once it is safe in the file.
    pub(crate) fn parked_saved(&mut self, parking: bool, result: Result<(), String>) {
        match (parking, result) {
            (true, Ok(())) => {
                self.basket = None;
                // A late approval for it must not land in the next sale.
                self.terminal.sale_gone();
                self.selected = 0;
                self.persist();
                self.info(self.trf(Till::Parked, &[("n", &self.parked.len())]));
            }
            (true, Err(e)) => {
                self.parked.pop();
                self.error(self.trf(Till::ParkFailed, &[("why", &e)]));
            }
            // Resumed: the sale is on screen and saved in the journal's
            // slot; the list is written again at the next change.
            (false, _) => {}
        }
    }

    /// Brings a parked sale back (only onto an empty basket).
    pub(crate) fn resume(&mut self, idx: usize) {
        if self.basket_has_lines() {
            self.error(self.tr(Till::SaleInProgressParkFirst));
            self.screen = Screen::Sale;
            return;
        }
        if idx >= self.parked.len() {
            return;
        }
        let p = self.parked.remove(idx);
        let mut b = p.basket.clone();
        if let Some(u) = &self.user {
            b.set_operator(u);
        }
        self.basket = Some(b);
        // Saved in the journal slot first, then removed from the file.
        self.persist();
        self.emit(Effect::SaveParked {
            list: self.parked.clone(),
            parking: false,
        });
        self.selected = self.live_lines().len().saturating_sub(1);
        self.screen = Screen::Sale;
        self.info(self.tr(Till::Resumed));
    }
}
