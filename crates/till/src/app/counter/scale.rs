//! Weighed items on the counter scale: a weighed article scanned or typed
//! without a weight asks the scale (on its own device thread); the line is
//! added with the weight the scale returned, and with a scale that prices
//! (Dialog 06) with its unit price and total, never one the till computes.
//! Motion, an empty plate, underload, overload and a lost link add nothing
//! and say why.

use comptoir_i18n::till_display::TillScale;
use comptoir_i18n::Template;
use till_devices::scale::{WeighRequest, Weighing};

use super::{Counter, Effect, Screen};
use crate::app::devices::Job;

impl Counter {
    /// Whether weighed items go to the scale (the shell says so at start).
    pub fn set_scale(&mut self, present: bool) {
        self.status.scale = present;
    }

    /// Asks the scale to weigh `code`'s item; true if it was asked (a
    /// scale is there and the code is a catalog item).
    pub(crate) fn ask_scale(&mut self, code: &str) -> bool {
        if !self.status.scale {
            return false;
        }
        let Ok(found) = self.catalog.lookup(code) else {
            return false;
        };
        let (name, price) = (found.item.name.clone(), found.item.price);
        self.emit(Effect::Device(Job::Weigh {
            code: code.to_string(),
            request: WeighRequest {
                unit_price: Some(price),
                tare_kg: None,
            },
        }));
        self.input.clear();
        let text = TillScale::Weighing.fill(self.lang(), &[("item", &name)]);
        self.info(text);
        true
    }

    /// The scale's answer to [`Counter::ask_scale`].
    pub(crate) fn weighed(&mut self, code: String, result: Result<Weighing, (String, String)>) {
        let lang = self.lang();
        let w = match result {
            Ok(w) => w,
            Err((kind, why)) => {
                let text = match kind.as_str() {
                    "motion" => TillScale::Motion.text(lang),
                    "zero" => TillScale::Zero.text(lang),
                    "underload" => TillScale::Underload.text(lang),
                    "overload" => TillScale::Overload.text(lang),
                    "not_removed" => TillScale::NotRemoved.text(lang),
                    "no_answer" | "disconnected" | "garbled" | "link" | "no_scale" => {
                        TillScale::Unreachable.fill(lang, &[("why", &why)])
                    }
                    _ => TillScale::Refused.fill(lang, &[("why", &why)]),
                };
                self.error(text);
                return;
            }
        };
        let Some(user) = self
            .user
            .clone()
            .filter(|_| matches!(self.screen, Screen::Sale))
        else {
            let text = TillScale::Dropped.fill(lang, &[("item", &code)]);
            self.error(text);
            return;
        };
        if self.basket.is_none() {
            let b = self.new_basket(&user);
            self.basket = Some(b);
        }
        let price = w.price.as_ref().map(|p| (p.unit_price, p.total));
        let added = match self.basket.as_mut() {
            Some(b) => b.add_weighed(&self.catalog, &code, w.net_kg, price),
            None => return,
        };
        match added {
            Ok(_) => {
                self.input.clear();
                self.selected = self.live_lines().len().saturating_sub(1);
                self.persist();
            }
            Err(e) => {
                if self.basket.as_ref().is_some_and(|b| b.lines().is_empty()) {
                    self.basket = None;
                }
                let text = self.refusal(&anyhow::Error::from(e));
                self.error(text);
            }
        }
    }
}
