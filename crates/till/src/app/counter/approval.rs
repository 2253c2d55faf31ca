//! The supervisor approval dialog: the rules refused an operation with
//! `ApprovalRequired`; another user's PIN approves it, the approval is
//! journaled, and the operation runs again unchanged.

use super::{Counter, Effect, PinFor, Then};
use crate::app::keys::Key;
use comptoir_i18n::till::Till;
use till_core::auth::{AuthError, User};
use till_core::records::{ApprovalRecord, Event};

impl Counter {
    pub(crate) fn approval_key(&mut self, k: Key) {
        let Some(mut dlg) = self.approval.take() else {
            return;
        };
        match k {
            Key::Char(c) if c.is_ascii_digit() && dlg.pin.len() < 32 => {
                dlg.pin.push(c);
            }
            Key::Backspace => {
                dlg.pin.pop();
            }
            Key::Esc => {
                if !dlg.op.is_basket_op() {
                    // Approvals gathered for this operation go with it.
                    self.op_approvals.clear();
                }
                self.error(self.tr(Till::ApprovalRefused));
                return;
            }
            Key::Enter => {
                if self.user.is_none() {
                    return;
                }
                let pin = std::mem::take(&mut dlg.pin);
                let ts = self.now();
                if let Some(secs) = self.pin_guard.locked(ts) {
                    dlg.error = Some(self.trf(Till::TooManyPinsWait, &[("secs", &secs)]));
                    self.approval = Some(dlg);
                    return;
                }
                // The requester's own PIN is among them: typed here, it is
                // a PIN that may not approve, not an unknown one.
                let candidates = self.users.clone();
                self.approval = Some(dlg);
                self.emit(Effect::CheckPin {
                    pin,
                    candidates,
                    purpose: PinFor::Approval,
                });
                return;
            }
            _ => {}
        }
        self.approval = Some(dlg);
    }

    /// Whose PIN was typed in the dialog.
    pub(crate) fn approval_checked(&mut self, approver: Option<User>, locked: bool) {
        let Some(requester) = self.user.clone() else {
            return;
        };
        let Some(mut dlg) = self.approval.take() else {
            return;
        };
        let approver = approver.filter(|_| !locked);
        // The basket's table when the operation is on it (a restored basket
        // keeps the rules it was rung up under), else the shop's.
        let perms = match (&self.basket, dlg.op.is_basket_op()) {
            (Some(b), true) => b.config.permissions.clone(),
            _ => self.settings.basket.permissions.clone(),
        };
        let rec = match approver.map(|a| {
            perms.approve(&dlg.req, &a, &requester).map_err(|e| {
                // Too low a rank is said first, even for one's own PIN.
                if perms.policy(dlg.req.action).approvers.contains(&a.role) {
                    e
                } else {
                    AuthError::ApproverNotAllowed {
                        role: a.role,
                        action: dlg.req.action,
                    }
                }
            })
        }) {
            None => {
                // Counted like a wrong PIN at the login screen.
                self.approval = Some(dlg);
                self.wrong_pin(true);
                let msg = self.message.as_ref().map(|(_, m)| m.clone());
                if let Some(dlg) = &mut self.approval {
                    dlg.error = msg;
                }
                return;
            }
            Some(Err(e)) => {
                dlg.error = Some(crate::app::words::approver_error(
                    self.lang(),
                    &e,
                    dlg.req.min_role,
                ));
                self.approval = Some(dlg);
                return;
            }
            Some(Ok(rec)) => rec,
        };
        let ts = self.now();
        self.emit(Effect::Append {
            ts,
            event: Event::ApprovalGranted(rec.clone()),
            clear_basket: false,
            then: Then::Approved { op: dlg.op, rec },
        });
    }

    /// The approval is journaled: the operation runs again with it.
    pub(crate) fn approved_op(&mut self, op: super::ops::Op, rec: ApprovalRecord) {
        if op.is_basket_op() {
            if let Some(b) = &mut self.basket {
                b.add_approval(rec);
            }
        } else {
            self.op_approvals.push(rec);
        }
        self.exec(op);
    }
}
