//! Refunds and cancellations pay card tenders back through the terminal,
//! one by one, before the record is committed.

use super::{needs_terminal, terminal_approved, PayPurpose, PendingReversal};
use crate::app::counter::{Counter, ReversalFrom, Screen};
use anyhow::Result;
use till_core::records::{SaleRecord, TenderKind};

impl Counter {
    /// A refund or cancellation whose card tenders go back through the
    /// terminal first; committed once every one is approved.
    pub(crate) fn refund_through_terminal(&mut self, record: SaleRecord, cancelled: bool) -> bool {
        if !self.has_terminal || !record.tenders.iter().any(needs_terminal) {
            return false;
        }
        self.terminal.reversal = Some(PendingReversal { record, cancelled });
        if let Err(e) = self.continue_reversal(ReversalFrom::Op) {
            self.screen = Screen::CardRefund {
                why: format!("{e:#}"),
            };
            self.error(format!("{e:#}"));
        }
        true
    }

    /// The next card refund, or the commit when none is left.
    pub(crate) fn continue_reversal(&mut self, from: ReversalFrom) -> Result<()> {
        let next = self.terminal.reversal.as_ref().and_then(|r| {
            r.record
                .tenders
                .iter()
                .find(|t| needs_terminal(t))
                .map(|t| (t.kind, -t.amount))
        });
        match next {
            Some((kind, amount)) => self.start_attempt(kind, amount, true, PayPurpose::Reversal),
            None => match self.terminal.reversal.take() {
                Some(p) => {
                    self.commit_reversal_now(p.record, p.cancelled, from);
                    Ok(())
                }
                None => Ok(()),
            },
        }
    }

    /// Keys on [`Screen::CardRefund`]: retry, cash instead, or give up.
    pub(crate) fn card_refund_key(&mut self, k: crate::app::keys::Key) {
        use crate::app::keys::Key;
        match k {
            Key::Enter => {
                if let Err(e) = self.continue_reversal(ReversalFrom::CardRefundKey) {
                    self.error(format!("{e:#}"));
                }
            }
            Key::F(1) => {
                if let Some(t) = self
                    .terminal
                    .reversal
                    .as_mut()
                    .and_then(|r| r.record.tenders.iter_mut().find(|t| needs_terminal(t)))
                {
                    t.kind = TenderKind::Cash;
                    t.reference = None;
                }
                if let Err(e) = self.continue_reversal(ReversalFrom::CardRefundKey) {
                    self.error(format!("{e:#}"));
                }
            }
            Key::Esc => {
                let started = self
                    .terminal
                    .reversal
                    .as_ref()
                    .is_some_and(|r| r.record.tenders.iter().any(terminal_approved));
                if started {
                    self.error(
                        "Une partie est déjà rendue sur la carte : réessayez (Entrée) \
                         ou rendez le reste en espèces (F1)",
                    );
                } else {
                    self.terminal.reversal = None;
                    self.screen = Screen::Sale;
                    self.info("Remboursement abandonné : rien n'a été enregistré");
                }
            }
            _ => {}
        }
    }
}
