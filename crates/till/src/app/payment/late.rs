//! Late answers: an approval that arrives after the till gave up is added
//! to the sale when it still fits, else journaled at once as a
//! `terminal_payment`; either way the cashier sees the amount and may pay
//! it back on the terminal.

use super::{from_cents, PayAttempt, PayPurpose};
use crate::app::counter::{Counter, Effect, Screen, Then};
use rust_decimal::Decimal;
use till_core::records::{CardOutcome, Event, TenderKind, TerminalPayment};
use till_core::Money;
use till_devices::payment::PaymentAnswer;

impl Counter {
    /// The journal record of an exchange that no sale holds.
    pub(super) fn terminal_payment(
        &self,
        a: &PayAttempt,
        amount: Money,
        outcome: CardOutcome,
        reason: &str,
    ) -> TerminalPayment {
        TerminalPayment {
            kind: a.kind,
            amount: if a.refund { -amount } else { amount },
            reference: a.reference.clone(),
            outcome,
            reason: reason.to_string(),
            operator: self.user.as_ref().map(|u| u.id.clone()).unwrap_or_default(),
            refunds: match &a.purpose {
                PayPurpose::LateRefund(d) => Some(d.reference.clone()),
                _ => None,
            },
        }
    }

    /// Money the terminal moved that no sale takes: journaled now, then
    /// shown to the cashier with the amount.
    pub(super) fn unattached(
        &mut self,
        a: &PayAttempt,
        amount: Money,
        outcome: CardOutcome,
        why: &str,
    ) {
        let tp = self.terminal_payment(a, amount, outcome, &format!("not in a sale: {why}"));
        let ts = self.now();
        self.emit(Effect::Append {
            ts,
            event: Event::TerminalPayment(tp.clone()),
            clear_basket: false,
            then: Then::Unattached {
                attempt: Box::new(a.clone()),
                tp: Box::new(tp),
                amount,
            },
        });
    }

    /// [`Counter::unattached`] is journaled (or `failed`).
    pub(crate) fn unattached_recorded(
        &mut self,
        a: &PayAttempt,
        tp: TerminalPayment,
        amount: Money,
        failed: Option<&str>,
    ) {
        self.emit(Effect::ClearPending);
        let what = self.money(amount);
        if a.refund {
            self.screen = if self.user.is_some() {
                Screen::Sale
            } else {
                Screen::Login
            };
            self.error(format!(
                "Le terminal a remboursé {what} hors opération en cours (réf. {}) : noté au journal.",
                a.reference
            ));
            return;
        }
        self.terminal.late = Some(tp);
        self.screen = Screen::LateApproval;
        if self.user.is_none() {
            // A late answer while nobody is logged in: recorded all the
            // same, the cashier sees it after logging in.
            self.screen = Screen::Login;
        }
        match failed {
            None => self.error(format!(
                "Le terminal a débité {what} sans vente correspondante (noté au journal). \
                 Entrée : le rembourser sur le terminal maintenant ; Échap : plus tard."
            )),
            Some(e) => self.error(format!(
                "Le terminal a débité {what} sans vente correspondante, et le journal \
                 refuse de le noter ({e}) : notez la réf. {} et remboursez (Entrée).",
                a.reference
            )),
        }
    }

    /// A late approval was paid back: leave the trail, take it out of the
    /// basket if it was in it.
    pub(super) fn refunded_late(
        &mut self,
        a: &PayAttempt,
        debit: TerminalPayment,
        amount: Money,
        outcome: CardOutcome,
    ) {
        // Paid back: not to be offered again (a late refund answer may come
        // while the screen still shows the debit).
        if self
            .terminal
            .late
            .as_ref()
            .is_some_and(|l| l.reference == debit.reference)
        {
            self.terminal.late = None;
        }
        let ts = self.now();
        let mut events = Vec::new();
        if let Some(b) = &mut self.basket {
            let at = b
                .tenders()
                .iter()
                .position(|t| t.reference.as_deref() == Some(debit.reference.as_str()));
            if let Some(i) = at {
                // It was in the sale: out of it, and into the journal as
                // the debit it was, next to its refund.
                if b.remove_tender(i).is_ok() {
                    events.push(Event::TerminalPayment(TerminalPayment {
                        reason: "late approval taken out of the sale, refunded".into(),
                        ..debit.clone()
                    }));
                }
            }
        }
        self.emit(Effect::SaveBasketNow {
            clear_pending: false,
            quiet: true,
        });
        events.push(Event::TerminalPayment(self.terminal_payment(
            a,
            amount,
            outcome,
            "refund of a late approval",
        )));
        // The message below is the one the cashier needs: a journal
        // failure here does not replace it.
        for event in events {
            self.emit(Effect::Append {
                ts,
                event,
                clear_basket: false,
                then: Then::Silent,
            });
        }
        self.screen = if self.basket.is_some() {
            Screen::Payment
        } else {
            Screen::Sale
        };
        self.info(format!(
            "{} remboursé sur la carte (réf. {}).",
            self.money(amount),
            debit.reference
        ));
    }

    /// An answer to an attempt that had got none (from [`App::tick`]).
    pub(crate) fn on_late(&mut self, attempt: u64, ans: PaymentAnswer) {
        let a = self
            .terminal
            .lost
            .take_if(|l| l.id == attempt)
            .or_else(|| self.terminal.earlier_lost.take_if(|l| l.id == attempt))
            .unwrap_or_else(|| PayAttempt {
                id: attempt,
                reference: ans.reference.clone().unwrap_or_else(|| "?".into()),
                kind: TenderKind::Card,
                amount: from_cents(ans.amount_cents, self.currency()),
                refund: false,
                // Not known to be for the basket on screen: journaled apart.
                purpose: PayPurpose::GoneSale,
            });
        if !ans.approved {
            self.info(format!(
                "Le terminal a finalement refusé {} : rien n'a été débité.",
                self.money(a.amount)
            ));
            return;
        }
        self.approved(a, &ans, true);
        if self.user.is_none() {
            // Recorded all the same (in the saved basket or the journal);
            // the cashier sees it after logging in.
            self.screen = Screen::Login;
        }
    }

    /// Keys on [`Screen::LateApproval`].
    pub(crate) fn late_key(&mut self, k: crate::app::keys::Key) {
        use crate::app::keys::Key;
        let Some(tp) = self.terminal.late.clone() else {
            self.screen = Screen::Sale;
            return;
        };
        let in_basket = self.basket.as_ref().is_some_and(|b| {
            b.tenders()
                .iter()
                .any(|t| t.reference.as_deref() == Some(tp.reference.as_str()))
        });
        match (k, in_basket) {
            (Key::Enter, true) | (Key::Esc, _) => {
                self.terminal.late = None;
                self.screen = if self.basket.is_some() {
                    Screen::Payment
                } else {
                    Screen::Sale
                };
                if !in_basket {
                    self.error(format!(
                        "À rembourser plus tard : {} (réf. {}), noté au journal.",
                        self.money(tp.amount),
                        tp.reference
                    ));
                } else if self
                    .basket
                    .as_ref()
                    .is_some_and(|b| b.payment_status().remaining <= Decimal::ZERO)
                {
                    self.exec(crate::app::counter::ops::Op::Complete);
                }
            }
            (Key::Enter, false) | (Key::F(6), true) => {
                self.terminal.late = None;
                let purpose = PayPurpose::LateRefund(Box::new(tp.clone()));
                if let Err(e) = self.start_attempt(tp.kind, tp.amount, true, purpose) {
                    self.terminal.late = Some(tp);
                    self.error(format!("{e:#}"));
                }
            }
            _ => {}
        }
    }
}
