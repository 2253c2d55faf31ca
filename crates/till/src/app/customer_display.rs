//! What the customer display shows, worked out from the counter's state:
//! "Bienvenue" while nothing is sold, each line as it is added (name and
//! price) above the total, the total and what is paid or still due while
//! paying, "Merci, à bientôt" and the change at the end. Pure: the shell
//! asks after each input and hands a changed screen to the devices, whose
//! display thread writes it; the counter never waits for the display.

use comptoir_i18n::till_display::TillDisplay;
use comptoir_i18n::Template;
use till_core::basket::PaymentStatus;

use super::counter::{Counter, Screen};

/// One line of the display, before the display's table lays it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerLine {
    /// Text from the left edge, an amount against the right edge.
    Pair(String, String),
    /// A text centred.
    Centred(String),
}

/// The two lines the customer should read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerScreen {
    /// Upper line.
    pub upper: CustomerLine,
    /// Lower line.
    pub lower: CustomerLine,
}

/// Follows the counter from one input to the next: remembers the payment
/// of the sale in progress, whose change is shown once it is recorded
/// (the basket is gone by then).
#[derive(Debug, Default)]
pub struct CustomerDisplay {
    last_payment: Option<PaymentStatus>,
    shown: Option<CustomerScreen>,
}

impl CustomerDisplay {
    /// The sale being recorded: what was paid and the change, from the
    /// record itself, for the "Merci" screen.
    pub fn sale_recorded(&mut self, paid: till_core::Money, change: till_core::Money) {
        let zero = till_core::Money::ZERO;
        self.last_payment = Some(PaymentStatus {
            total: zero,
            rounding: zero,
            due: zero,
            paid,
            remaining: zero,
            change,
        });
    }
}

fn blank() -> CustomerLine {
    CustomerLine::Pair(String::new(), String::new())
}

impl CustomerDisplay {
    /// The screen the counter's state calls for, if it differs from the
    /// one last returned; `None` when nothing changes (or on screens the
    /// customer has no business with: menus, reports, keep the last one).
    pub fn next(&mut self, counter: &Counter) -> Option<CustomerScreen> {
        let screen = self.wanted(counter)?;
        if self.shown.as_ref() == Some(&screen) {
            return None;
        }
        self.shown = Some(screen.clone());
        Some(screen)
    }

    fn wanted(&mut self, counter: &Counter) -> Option<CustomerScreen> {
        let lang = counter.lang();
        let words = |m: TillDisplay| m.text(lang);
        let money = |m| counter.money(m);
        let welcome = CustomerScreen {
            upper: CustomerLine::Centred(words(TillDisplay::Welcome)),
            lower: blank(),
        };
        let basket = counter.basket().filter(|b| !b.lines().is_empty());
        match (counter.screen(), basket) {
            (Screen::Login, _) => {
                self.last_payment = None;
                Some(welcome)
            }
            (Screen::Done { .. }, _) => {
                let lower = match self.last_payment.take() {
                    Some(p) if !p.change.is_zero() => {
                        CustomerLine::Pair(words(TillDisplay::Change), money(p.change))
                    }
                    Some(p) if !p.paid.is_zero() => {
                        CustomerLine::Pair(words(TillDisplay::Paid), money(p.paid))
                    }
                    _ => blank(),
                };
                // Once shown, the thanks stay until the next sale starts.
                if lower == blank() {
                    if let Some(s) = &self.shown {
                        if s.upper == CustomerLine::Centred(words(TillDisplay::Thanks)) {
                            return None;
                        }
                    }
                }
                Some(CustomerScreen {
                    upper: CustomerLine::Centred(words(TillDisplay::Thanks)),
                    lower,
                })
            }
            (Screen::Payment | Screen::Paying { .. }, Some(b)) => {
                let p = b.payment_status();
                let upper = CustomerLine::Pair(words(TillDisplay::Total), money(p.due));
                let lower = if !p.change.is_zero() {
                    CustomerLine::Pair(words(TillDisplay::Change), money(p.change))
                } else if !p.paid.is_zero() {
                    CustomerLine::Pair(words(TillDisplay::Remaining), money(p.remaining))
                } else {
                    blank()
                };
                self.last_payment = Some(p);
                Some(CustomerScreen { upper, lower })
            }
            (Screen::Sale, Some(b)) => {
                let dp = b.config.currency.minor_units;
                let line = b.lines().iter().rev().find(|l| !l.voided)?;
                self.last_payment = Some(b.payment_status());
                Some(CustomerScreen {
                    upper: CustomerLine::Pair(line.name.clone(), money(line.gross(dp))),
                    lower: CustomerLine::Pair(words(TillDisplay::Total), money(b.totals().total)),
                })
            }
            (Screen::Sale, None) => {
                // A sale was kept after Done: the thanks stay up until the
                // first line of the next one.
                match &self.shown {
                    Some(s) if s.upper == CustomerLine::Centred(words(TillDisplay::Thanks)) => None,
                    _ => Some(welcome),
                }
            }
            _ => None,
        }
    }
}
