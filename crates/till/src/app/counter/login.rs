//! The login screen: a PIN names the cashier. Wrong PINs are counted (see
//! `pin_guard`); leaving ends the session in the journal.

use super::{Counter, Effect, PinFor, Screen, Then};
use crate::app::keys::Key;
use comptoir_i18n::till::Till;
use till_core::auth::User;
use till_core::records::{Event, Session};

impl Counter {
    pub(crate) fn login_key(&mut self, k: Key) {
        match k {
            Key::Enter => {
                let pin = std::mem::take(&mut self.input);
                let ts = self.now();
                if let Some(secs) = self.pin_guard.locked(ts) {
                    self.error(self.trf(Till::TooManyPinsWait, &[("secs", &secs)]));
                    return;
                }
                self.emit(Effect::CheckPin {
                    pin,
                    candidates: self.users.clone(),
                    purpose: PinFor::Login,
                });
            }
            Key::Esc => self.input.clear(),
            Key::Char(c) if c.is_ascii_digit() => {
                self.edit(k);
            }
            Key::Backspace => {
                self.edit(k);
            }
            _ => {}
        }
    }

    /// Whose PIN it was at the login screen.
    pub(crate) fn login_checked(&mut self, found: Option<User>, locked: bool) {
        let ts = self.now();
        match found {
            None => self.wrong_pin(false),
            Some(_) if locked => self.error(self.tr(Till::PinLocked)),
            Some(user) => {
                self.pin_guard.hit();
                // The shell may have upgraded the PIN hash: keep the new one.
                if let Some(u) = self.users.iter_mut().find(|u| u.id == user.id) {
                    *u = user.clone();
                }
                let ev = Event::Login(Session {
                    user: user.id.clone(),
                });
                self.emit(Effect::Append {
                    ts,
                    event: ev,
                    clear_basket: false,
                    then: Then::LoggedIn(user),
                });
            }
        }
    }

    /// The login is recorded.
    pub(crate) fn logged_in(&mut self, user: User) {
        if let Some(b) = &mut self.basket {
            // The sale goes on under whoever serves now.
            b.set_operator(&user);
        }
        self.info(self.trf(Till::Hello, &[("name", &user.name)]));
        self.user = Some(user);
        self.screen = if self
            .basket
            .as_ref()
            .is_some_and(|b| !b.tenders().is_empty())
        {
            Screen::Payment
        } else {
            Screen::Sale
        };
        self.emit(Effect::RefreshStatus);
        self.warn_interrupted();
    }

    /// A PIN that is nobody's: counted, and the fifth in a row stops PIN
    /// entry for a while (journaled; see `pin_guard`).
    pub(crate) fn wrong_pin(&mut self, in_dialog: bool) {
        let ts = self.now();
        let Some(secs) = self.pin_guard.miss(ts) else {
            self.error(self.tr(Till::UnknownPin));
            return;
        };
        let ev = Event::ConfigChanged(till_core::records::ConfigChanged {
            key: "till:pin_lockout".into(),
            old_value: None,
            new_value: Some(format!(
                "{} wrong PINs in a row at the counter: PIN entry refused for {secs} s",
                till_core::auth::MAX_PIN_FAILURES
            )),
            by: till_journal::PIN_CHECK.into(),
        });
        self.emit(Effect::Append {
            ts,
            event: ev,
            clear_basket: false,
            then: Then::Lockout { secs, in_dialog },
        });
    }

    /// The lock-out is journaled (or not: `failed`).
    pub(crate) fn locked_out(&mut self, secs: i64, in_dialog: bool, failed: Option<&str>) {
        match failed {
            None => self.error(self.trf(Till::TooManyPinsLocked, &[("secs", &secs)])),
            Some(e) => self.error(self.trf(Till::JournalDown, &[("why", &e)])),
        }
        if in_dialog {
            let msg = self.message.as_ref().map(|(_, m)| m.clone());
            if let Some(dlg) = &mut self.approval {
                dlg.error = msg;
            }
        }
    }

    /// Ends the session (journal `logout`); the basket in progress stays saved.
    pub(crate) fn logout(&mut self) {
        if let Some(u) = self.user.take() {
            let ts = self.now();
            self.emit(Effect::Append {
                ts,
                event: Event::Logout(Session { user: u.id }),
                clear_basket: false,
                then: Then::Nothing,
            });
        }
        self.input.clear();
        self.screen = Screen::Login;
    }
}
