//! Card and e-wallet tenders through the payment terminal, the app's side.
//!
//! Rules this module keeps (see docs/counter-app.md):
//! - a payment is recorded only from an approval the terminal sent, and
//!   goes into the saved basket at once (fsync), before anything else: a
//!   crash after it shows the sale paid and does not charge again;
//! - no answer is not a payment: the tender stays unpaid, the cashier
//!   retries or takes another tender, and the worker listens for a late
//!   answer;
//! - a late approval goes into the sale when it still fits (it was for this
//!   basket and no more than what remains); otherwise it is journaled at
//!   once as a `terminal_payment` and the cashier is asked to refund it on
//!   the terminal. It is never dropped;
//! - card refunds of a refund or cancellation go through the terminal
//!   before the record is committed.

mod late;
mod refund;

use super::counter::{Counter, Effect, ReversalFrom, Screen};
use super::devices::{Job, PayOutcome};
use super::shell::App;
use super::terminal::LATE_LISTEN;
use anyhow::{anyhow, bail, Result};
use comptoir_i18n::till_devices::TillDevices as Dm;
use comptoir_i18n::Template as _;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;
use till_core::records::{CardOutcome, SaleRecord, TenderKind, TenderRecord, TerminalPayment};
use till_core::{Currency, Money};
use till_devices::payment::{mask_pan, PaymentAnswer, PaymentKind, PaymentRequest};

/// What an attempt is for.
#[derive(Debug, Clone)]
pub enum PayPurpose {
    /// A tender of the basket in progress.
    Tender,
    /// The next card tender of the refund or cancellation in
    /// [`TerminalState::reversal`].
    Reversal,
    /// Paying back a debit that is not (or no longer) part of a sale.
    LateRefund(Box<TerminalPayment>),
    /// A tender of a sale that is gone (committed, abandoned, parked) or
    /// of an attempt the app no longer knows: a late approval of it must
    /// not go into the next customer's basket, it is journaled apart.
    GoneSale,
}

/// One exchange with the terminal.
#[derive(Debug, Clone)]
pub struct PayAttempt {
    /// Numbers it for the worker's reports.
    pub id: u64,
    /// Sent to the terminal; kept with the tender.
    pub reference: String,
    /// Card or e-wallet.
    pub kind: TenderKind,
    /// Always positive.
    pub amount: Money,
    /// Money back to the card.
    pub refund: bool,
    /// What to do with the answer.
    pub purpose: PayPurpose,
}

/// A refund or cancellation waiting for its card refunds.
#[derive(Debug, Clone)]
pub struct PendingReversal {
    /// The record to commit; its card tenders get their outcome one by one.
    pub record: SaleRecord,
    /// Cancellation rather than refund.
    pub cancelled: bool,
}

/// The terminal side of the app's state.
#[derive(Debug, Default)]
pub struct TerminalState {
    /// The attempt under way.
    pub paying: Option<PayAttempt>,
    /// The last attempt that got no answer: a late one may still come.
    pub lost: Option<PayAttempt>,
    /// When `lost` gave up (the worker listens for [`LATE_LISTEN`] after).
    pub lost_at: Option<std::time::Instant>,
    /// The lost attempt before `lost`, when the retry that replaced it got
    /// no answer either (the terminal may still be busy with this one, and
    /// the worker credits its late answer to it by reference).
    pub earlier_lost: Option<PayAttempt>,
    /// A refund or cancellation paying back cards.
    pub reversal: Option<PendingReversal>,
    /// A late approval shown on [`Screen::LateApproval`].
    pub late: Option<TerminalPayment>,
    /// An attempt that was under way when the till stopped (from the file).
    pub interrupted: Option<PendingFile>,
    next_id: u64,
}

/// What is written next to the journal while the terminal works, so a
/// restart knows a payment may have happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingFile {
    /// The attempt's reference.
    pub reference: String,
    /// Amount asked for (positive).
    pub amount: Money,
    /// Refund rather than payment.
    pub refund: bool,
}

/// Whole cents of `amount`; refuses anything finer or not positive.
pub fn to_cents(amount: Money, currency: &Currency) -> Result<u64> {
    // Typed by a technician or read from a config: checked, never a panic.
    let minor = 10u64
        .checked_pow(currency.minor_units)
        .and_then(|s| amount.checked_mul(Decimal::from(s)))
        .ok_or_else(|| anyhow!("montant {amount} trop grand pour le terminal"))?;
    if amount <= Decimal::ZERO || minor.fract() != Decimal::ZERO {
        bail!(
            "montant {amount} : il faut un montant positif en {} entiers",
            if currency.minor_units == 2 {
                "centimes"
            } else {
                "unités"
            }
        );
    }
    minor
        .to_u64()
        .ok_or_else(|| anyhow!("montant {amount} trop grand pour le terminal"))
}

/// Money from a count of minor units.
pub fn from_cents(cents: u64, currency: &Currency) -> Money {
    let mut m = Decimal::from(cents);
    // Decimal keeps up to 28 places: more would fail, and no currency has them.
    let _ = m.set_scale(currency.minor_units.min(28));
    m
}

/// What the journal keeps of an answer: never a full card number, whatever
/// the driver let through.
pub fn outcome_of(a: &PaymentAnswer) -> CardOutcome {
    CardOutcome {
        approved: a.approved,
        masked_pan: a.masked_pan.as_deref().map(mask_pan),
        auth_code: a.auth_code.clone(),
        scheme: a.scheme.clone(),
        read_mode: a.read_mode.clone(),
        terminal_reference: a.terminal_reference.clone(),
    }
}

fn needs_terminal(t: &TenderRecord) -> bool {
    matches!(t.kind, TenderKind::Card | TenderKind::EWallet) && t.card.is_none()
}

/// A tender the terminal approved: it cannot be taken back without paying
/// it back on the terminal.
pub fn terminal_approved(t: &TenderRecord) -> bool {
    t.card.as_ref().is_some_and(|c| c.approved)
}

impl TerminalState {
    /// The basket on screen went away (sale committed, abandoned, parked):
    /// a late answer to its lost attempt now belongs to no basket. Without
    /// this, a late approval for customer A was added to customer B's sale.
    pub(crate) fn sale_gone(&mut self) {
        for l in [&mut self.lost, &mut self.earlier_lost]
            .into_iter()
            .flatten()
        {
            if matches!(l.purpose, PayPurpose::Tender) {
                l.purpose = PayPurpose::GoneSale;
            }
        }
    }

    /// Whether the worker may still be listening for a late answer.
    pub fn listening(&self, now: Instant) -> bool {
        self.lost.is_some()
            && self
                .lost_at
                .is_some_and(|t| now.saturating_duration_since(t) < LATE_LISTEN)
    }
}

/// The pending file is the shell's: written before the request leaves,
/// removed once the terminal is done.
impl App {
    fn pending_path(&self) -> PathBuf {
        self.journal.path().with_file_name("terminal-pending.json")
    }

    /// Written (and synced) before the request leaves, so a crash while the
    /// terminal works is noticed at the next start.
    pub(crate) fn write_pending(&self, a: &PayAttempt) -> Result<()> {
        let p = PendingFile {
            reference: a.reference.clone(),
            amount: a.amount,
            refund: a.refund,
        };
        let path = self.pending_path();
        let bytes = serde_json::to_vec(&p)?;
        till_journal::files::atomic_write(&path, &bytes)?;
        Ok(())
    }

    pub(crate) fn clear_pending(&self) {
        // Absent is fine: nothing was under way.
        let _ = std::fs::remove_file(self.pending_path());
    }

    /// The pending file left by the last run, if any (absent or unreadable:
    /// none).
    pub(crate) fn read_pending_file(&self) -> Option<PendingFile> {
        std::fs::read(self.pending_path())
            .ok()
            .and_then(|b| serde_json::from_slice::<PendingFile>(&b).ok())
    }
}

impl Counter {
    /// At start-up: an attempt that was under way when the till stopped.
    /// Resolved if its tender is in the restored basket.
    pub(crate) fn read_pending(&mut self, pending: Option<PendingFile>) {
        let Some(p) = pending else {
            return;
        };
        let in_basket = self.basket.as_ref().is_some_and(|b| {
            b.tenders()
                .iter()
                .any(|t| t.reference.as_deref() == Some(p.reference.as_str()))
        });
        if in_basket {
            self.emit(Effect::ClearPending);
        } else {
            self.terminal.interrupted = Some(p);
        }
    }

    /// After login: say that a payment may have happened before a restart.
    pub(crate) fn warn_interrupted(&mut self) {
        if let Some(p) = self.terminal.interrupted.take() {
            self.error(format!(
                "Un {} carte de {} était en cours sur le terminal à l'arrêt de la caisse \
                 (réf. {}) : vérifiez le ticket du terminal avant d'encaisser à nouveau.",
                if p.refund {
                    "remboursement"
                } else {
                    "paiement"
                },
                self.money(p.amount),
                p.reference
            ));
        }
    }

    pub(super) fn start_attempt(
        &mut self,
        kind: TenderKind,
        amount: Money,
        refund: bool,
        purpose: PayPurpose,
    ) -> Result<()> {
        if self.terminal.paying.is_some() {
            bail!("un paiement est déjà en cours sur le terminal");
        }
        let amount_cents = to_cents(amount, self.currency())?;
        self.terminal.next_id += 1;
        let id = self.terminal.next_id;
        let base = self.receipt_no()?;
        // The attempt number last: drivers keep the end of a reference that
        // is too long (Concert: 10 characters), and two attempts within the
        // same second must still differ there, so that a late answer to one
        // is never taken for the other's.
        let reference = format!("{base}/{}-{id}", self.now().format("%H%M%S"));
        let a = PayAttempt {
            id,
            reference: reference.clone(),
            kind,
            amount,
            refund,
            purpose,
        };
        let request = PaymentRequest {
            amount_cents,
            kind: if refund {
                PaymentKind::Refund
            } else {
                PaymentKind::Debit
            },
            currency: self.currency().numeric,
            // A placeholder: the terminal worker puts the configured
            // `[devices.terminal] pos_number` in every request it sends.
            pos_number: 1,
            reference,
        };
        // The shell writes the pending file before the job leaves (without
        // it a crash during the payment would go unnoticed: better not to
        // start, see `pay_not_started`).
        let job = Job::Pay {
            attempt: id,
            request,
            unresolved: self.terminal.lost.as_ref().map(|l| l.id),
        };
        self.emit(Effect::Pay {
            attempt: a.clone(),
            job,
        });
        self.screen = Screen::Paying {
            title: Dm::PayingTitle.fill(
                self.lang(),
                &[
                    (
                        "what",
                        &if refund {
                            Dm::WhatRefund
                        } else {
                            Dm::WhatPayment
                        }
                        .text(self.lang()),
                    ),
                    ("tender", &self.tender_label(kind).to_lowercase()),
                    ("amount", &self.money(amount)),
                ],
            ),
        };
        self.terminal.paying = Some(a);
        Ok(())
    }

    /// F2/F5 with a terminal: checks the tender would be taken (approval,
    /// overpaying) before the customer is charged, then starts it.
    pub(crate) fn terminal_tender(&mut self, kind: TenderKind, amount: Money) -> Result<()> {
        let b = self
            .basket
            .as_ref()
            .ok_or_else(|| anyhow!("pas de vente en cours"))?;
        let mut trial = b.clone();
        trial.pay(TenderRecord {
            kind,
            amount,
            reference: None,
            card: Some(CardOutcome {
                approved: true,
                masked_pan: None,
                auth_code: None,
                scheme: None,
                read_mode: None,
                terminal_reference: None,
            }),
        })?;
        self.start_attempt(kind, amount, false, PayPurpose::Tender)
    }

    /// Where to go back to after an attempt, with `why` shown.
    pub(super) fn back_from(&mut self, a: &PayAttempt, why: String) {
        match &a.purpose {
            PayPurpose::Tender => self.screen = Screen::Payment,
            PayPurpose::GoneSale => self.screen = Screen::Sale,
            PayPurpose::Reversal => self.screen = Screen::CardRefund { why: why.clone() },
            PayPurpose::LateRefund(tp) => {
                self.terminal.late = Some((**tp).clone());
                self.screen = Screen::LateApproval;
            }
        }
        self.error(why);
    }

    /// The end of an attempt (from [`App::tick`]).
    pub(crate) fn on_payment(&mut self, attempt: u64, outcome: PayOutcome) {
        let Some(a) = self.terminal.paying.take_if(|p| p.id == attempt) else {
            return;
        };
        if matches!(outcome, PayOutcome::Answered(_)) {
            // The terminal took this attempt, so it is done with any earlier
            // lost one, and the worker stopped listening for it.
            self.terminal.lost = None;
            self.terminal.earlier_lost = None;
            self.terminal.lost_at = None;
        }
        match outcome {
            PayOutcome::Answered(ans) if ans.approved => self.approved(a, &ans, false),
            PayOutcome::Answered(ans) => {
                self.emit(Effect::ClearPending);
                let l = self.lang();
                let why = ans.reason.clone().unwrap_or_else(|| Dm::Declined.text(l));
                let what = if a.refund {
                    Dm::WhatRefund
                } else {
                    Dm::WhatPayment
                }
                .text(l);
                let text = Dm::DeclinedByTerminal.fill(
                    l,
                    &[
                        ("what", &what),
                        ("amount", &self.money(a.amount)),
                        ("why", &why),
                    ],
                );
                self.back_from(&a, text);
            }
            PayOutcome::NoAnswer { why, maybe_charged } => {
                let amount = self.money(a.amount);
                if maybe_charged {
                    self.terminal.earlier_lost = self.terminal.lost.replace(a.clone());
                    self.terminal.lost_at = Some(self.mono());
                } else {
                    self.emit(Effect::ClearPending);
                }
                let text = Dm::NoAnswer.fill(self.lang(), &[("why", &why), ("amount", &amount)]);
                self.back_from(&a, text);
            }
            PayOutcome::NotStarted(_) if matches!(self.screen, Screen::LateApproval) => {
                // Refused because the earlier attempt was approved late:
                // the screen already shows that one.
            }
            PayOutcome::NotStarted(why) => {
                self.emit(Effect::ClearPending);
                let text = Dm::NotStarted.fill(self.lang(), &[("why", &why)]);
                self.back_from(&a, text);
            }
        }
    }

    /// The pending file could not be written: the payment did not start.
    pub(crate) fn pay_not_started(&mut self, attempt: u64, why: String) {
        if let Some(a) = self.terminal.paying.take_if(|p| p.id == attempt) {
            self.back_from(&a, why);
        }
    }

    /// An approval, on time or `late`.
    pub(super) fn approved(&mut self, a: PayAttempt, ans: &PaymentAnswer, late: bool) {
        let amount = match ans.amount_cents {
            0 => a.amount,
            c => from_cents(c, self.currency()),
        };
        let outcome = outcome_of(ans);
        let tender = TenderRecord {
            kind: a.kind,
            amount: if a.refund { -amount } else { amount },
            reference: Some(a.reference.clone()),
            card: Some(outcome.clone()),
        };
        let card = outcome.masked_pan.clone().unwrap_or_default();
        match a.purpose.clone() {
            PayPurpose::Tender if !a.refund => {
                // A payment started meanwhile is refused by the worker
                // (`unresolved`), so this one can take its place.
                let taken = match &mut self.basket {
                    Some(b) => b.pay(tender).map_err(|e| e.to_string()),
                    None => Err("plus de vente en cours".into()),
                };
                match taken {
                    Ok(status) => {
                        // Saved now, whatever the loop defers: this is money.
                        // Not saved: the approval lives only in memory, so
                        // terminal-pending.json stays (a crash is flagged at
                        // the next start) and the warning stays on screen.
                        self.emit(Effect::SaveBasketNow {
                            clear_pending: true,
                            quiet: late,
                        });
                        if late {
                            self.terminal.late = Some(self.terminal_payment(
                                &a,
                                amount,
                                outcome,
                                "late approval added to the sale",
                            ));
                            self.screen = Screen::LateApproval;
                            self.error(Dm::LateAdded.fill(
                                self.lang(),
                                &[("amount", &self.money(amount)), ("card", &card)],
                            ));
                        } else if status.remaining <= Decimal::ZERO {
                            self.screen = Screen::Payment;
                            self.exec(crate::app::counter::ops::Op::Complete);
                        } else {
                            // A failed save replaces this with its warning.
                            self.screen = Screen::Payment;
                            self.info(Dm::CardApproved.fill(
                                self.lang(),
                                &[("amount", &self.money(amount)), ("card", &card)],
                            ));
                        }
                    }
                    Err(why) => self.unattached(&a, amount, outcome, &why),
                }
            }
            // Late or not: the record still waits for this very refund.
            PayPurpose::Reversal => {
                let slot = self
                    .terminal
                    .reversal
                    .as_mut()
                    .and_then(|r| r.record.tenders.iter_mut().find(|t| needs_terminal(t)));
                match slot {
                    Some(t) if -t.amount == amount && t.kind == a.kind => {
                        t.card = tender.card;
                        t.reference = tender.reference;
                        self.emit(Effect::ClearPending);
                        if let Err(e) = self.continue_reversal(ReversalFrom::Terminal) {
                            self.screen = Screen::CardRefund {
                                why: format!("{e:#}"),
                            };
                            self.error(format!("{e:#}"));
                        }
                    }
                    _ => self.unattached(&a, amount, outcome, "refund not matching the record"),
                }
            }
            PayPurpose::LateRefund(debit) => {
                self.emit(Effect::ClearPending);
                self.refunded_late(&a, *debit, amount, outcome);
            }
            _ => self.unattached(&a, amount, outcome, "late answer, nothing waits for it"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cents_are_exact_or_refused() {
        let eur = Currency::eur();
        assert_eq!(to_cents(dec!(12.34), &eur).unwrap(), 1234);
        assert_eq!(to_cents(dec!(12.3), &eur).unwrap(), 1230);
        assert_eq!(to_cents(dec!(12.340), &eur).unwrap(), 1234);
        assert!(to_cents(dec!(12.345), &eur).is_err());
        assert!(to_cents(dec!(0), &eur).is_err());
        assert!(to_cents(dec!(-1), &eur).is_err());
        assert!(to_cents(Decimal::MAX, &eur).is_err());
        assert_eq!(from_cents(1234, &eur), dec!(12.34));
    }

    #[test]
    fn outcomes_never_keep_a_full_card_number() {
        let a = PaymentAnswer {
            approved: true,
            amount_cents: 100,
            masked_pan: Some("4970101234567890".into()),
            auth_code: None,
            scheme: None,
            read_mode: None,
            reason: None,
            reference: None,
            terminal_reference: Some("TX00012345".into()),
        };
        assert_eq!(
            outcome_of(&a).masked_pan.as_deref(),
            Some("************7890")
        );
        // The terminal's own reference goes to the journal with the rest.
        assert_eq!(
            outcome_of(&a).terminal_reference.as_deref(),
            Some("TX00012345")
        );
    }
}
