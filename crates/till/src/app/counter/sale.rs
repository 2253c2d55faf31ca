//! The sale screen (articles, quantities, discounts, voids; F-keys to the
//! other screens) and the search by name.

use super::ops::Op;
use super::{parse_discount, parse_money, parse_qty, Counter, Screen};
use crate::app::keys::Key;
use comptoir_i18n::till::Till;

impl Counter {
    pub(crate) fn sale_key(&mut self, k: Key) {
        if self.edit_sale_input(k) {
            return;
        }
        match k {
            Key::Enter => {
                let code = self.input.trim().to_string();
                if !code.is_empty() {
                    let qty = self.pending_qty.take();
                    self.exec(Op::AddCode { code, qty });
                }
            }
            Key::Esc => {
                self.input.clear();
                self.pending_qty = None;
            }
            Key::Up | Key::Down => {
                let n = self.live_lines().len();
                self.selected = Self::move_sel(self.selected, n, k);
            }
            Key::F(2) => {
                let results = self.search(&self.input.clone());
                self.screen = Screen::Search { results, sel: 0 };
            }
            Key::F(3) => match (self.selected_line_no(), parse_qty(&self.input)) {
                (Some(line), Some(qty)) => self.exec(Op::SetQty { line, qty }),
                (None, _) => self.error(self.tr(Till::NoLineChosen)),
                (_, None) => self.error(self.tr(Till::TypeQtyThenF3)),
            },
            Key::F(4) => match self.selected_line_no() {
                Some(line) => match parse_discount(&self.input) {
                    Ok(d) => self.exec(Op::LineDiscount { line, d }),
                    Err(()) => self.error(self.tr(Till::DiscountUnreadable)),
                },
                None => self.error(self.tr(Till::NoLineChosen)),
            },
            Key::F(5) => match parse_discount(&self.input) {
                Ok(d) => self.exec(Op::BasketDiscount(d)),
                Err(()) => self.error(self.tr(Till::DiscountUnreadable)),
            },
            Key::F(6) => match self.selected_line_no() {
                Some(line) => self.exec(Op::Void(line)),
                None => self.error(self.tr(Till::NoLineChosen)),
            },
            Key::F(7) => {
                if self.basket_has_lines() {
                    self.park();
                } else if self.parked.is_empty() {
                    self.error(self.tr(Till::NoParked));
                } else {
                    self.screen = Screen::Resume { sel: 0 };
                }
            }
            Key::F(8) => {
                if self.basket_has_lines() {
                    self.input.clear();
                    self.screen = Screen::Payment;
                } else {
                    self.error(self.tr(Till::EmptyBasket));
                }
            }
            Key::F(9) => self.screen = Screen::Menu { sel: 0 },
            Key::F(10) if self.basket.is_some() => self.abandon_key(),
            Key::F(11) => self.customer_key(),
            _ => {}
        }
    }

    /// Digits, letters, `*` (quantity) and `/` (price) on the sale screen.
    pub(crate) fn edit_sale_input(&mut self, k: Key) -> bool {
        if k == Key::Char('/') {
            // "12,50/" : the selected line's unit price becomes 12,50
            // (a supervisor approves; the catalog price stays on the receipt).
            match (self.selected_line_no(), parse_money(&self.input)) {
                (Some(line), Some(price)) => self.exec(Op::OverridePrice { line, price }),
                (None, _) => self.error(self.tr(Till::NoLineChosen)),
                (_, None) => self.error(self.tr(Till::PriceUnreadable)),
            }
            return true;
        }
        if k == Key::Char('*') {
            match parse_qty(&self.input) {
                Some(q) => {
                    self.pending_qty = Some(q);
                    self.input.clear();
                }
                None => self.error(self.tr(Till::QtyUnreadable)),
            }
            return true;
        }
        self.edit(k)
    }

    /// Catalog indexes whose name contains every word typed (case-insensitive).
    pub fn search(&self, query: &str) -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(|w| w.to_lowercase()).collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.catalog
            .items()
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                let name = it.name.to_lowercase();
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .map(|(i, _)| i)
            .take(50)
            .collect()
    }

    pub(crate) fn search_key(&mut self, k: Key, results: Vec<usize>, sel: usize) {
        if self.edit(k) {
            let results = self.search(&self.input.clone());
            self.screen = Screen::Search { results, sel: 0 };
            return;
        }
        match k {
            Key::Up | Key::Down => {
                let sel = Self::move_sel(sel, results.len(), k);
                self.screen = Screen::Search { results, sel };
            }
            Key::Enter => {
                if let Some(item) = results.get(sel).and_then(|i| self.catalog.items().get(*i)) {
                    let id = item.id.clone();
                    self.input.clear();
                    self.screen = Screen::Sale;
                    let qty = self.pending_qty.take();
                    self.exec(Op::AddItem { id, qty });
                }
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
            }
            _ => {}
        }
    }
}
