//! The payment screen's tenders as data: which function key takes which
//! tender ([`Counter::pay_keys`]: the built-in ones, then the shop's own
//! from `[[tenders]]`), their names on screen, paper and the Z, the
//! refusals of the shop tenders' rules in words, and the confirmation a
//! paper titre-restaurant worth more than it may pay needs ("le client
//! perd 2,00 €"): no change is given on it.
//!
//! A new tender is a row of [`BUILT_IN_KEYS`] or an entry of the rules,
//! not a new arm of a `match`.

use super::Counter;
use crate::app::keys::Key;
use comptoir_i18n::till_tenders::TillTenders as T;
use comptoir_i18n::Template;
use rust_decimal::Decimal;
use till_core::records::{TenderKind, TenderRecord};
use till_core::tenders::{Limit, ShopTender};
use till_core::{Money, SaleError};

/// The built-in tenders' keys on the payment screen (F6 removes a
/// payment, F10 abandons the sale).
pub const BUILT_IN_KEYS: &[(u8, TenderKind)] = &[
    (1, TenderKind::Cash),
    (2, TenderKind::Card),
    (3, TenderKind::Cheque),
    (4, TenderKind::Voucher),
    (5, TenderKind::EWallet),
    (7, TenderKind::BankTransfer),
];

/// The keys the shop's own tenders take, in the order of `[[tenders]]`.
/// F12 is the customer account's (`pay.rs`: it needs the attached
/// customer, so it is not a plain row of [`BUILT_IN_KEYS`]).
pub const SHOP_KEYS: &[u8] = &[8, 9, 11];

/// One key of the payment screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayKey {
    /// The function key's number.
    pub key: u8,
    /// The tender it takes.
    pub kind: TenderKind,
}

/// A paper titre worth more than it may pay, waiting for the cashier's
/// Enter (the customer's loss) or Esc (handed back).
#[derive(Debug, Clone)]
pub struct PendingLoss {
    /// The titre as typed (its face value).
    pub tender: TenderRecord,
}

impl Counter {
    /// The payment screen's keys, built-in then the shop's.
    pub fn pay_keys(&self) -> Vec<PayKey> {
        let shop = self
            .settings
            .basket
            .tenders
            .iter()
            .zip(SHOP_KEYS)
            .map(|(t, k)| PayKey {
                key: *k,
                kind: t.kind(),
            });
        BUILT_IN_KEYS
            .iter()
            .map(|(key, kind)| PayKey {
                key: *key,
                kind: *kind,
            })
            .chain(shop)
            .collect()
    }

    /// The tender a key takes on the payment screen.
    pub(crate) fn pay_key(&self, k: Key) -> Option<TenderKind> {
        let Key::F(n) = k else { return None };
        self.pay_keys()
            .into_iter()
            .find(|p| p.key == n)
            .map(|p| p.kind)
    }

    /// The shop's definition of a tender.
    pub fn shop_tender(&self, kind: TenderKind) -> Option<&ShopTender> {
        self.settings
            .basket
            .tenders
            .iter()
            .find(|t| t.kind() == kind)
    }

    /// A tender's name on screen and paper ("Espèces", "Titres-restaurant").
    pub fn tender_label(&self, kind: TenderKind) -> String {
        match self.shop_tender(kind) {
            Some(t) => t.label.clone(),
            None => crate::app::words::tender(self.lang(), kind),
        }
    }

    /// A tender by its stored name (the day totals' key), as the X, Z and
    /// cash count show it.
    pub fn tender_named(&self, name: &str) -> String {
        crate::app::words::tender_named_with(self.lang(), name, &self.settings.basket.tenders)
    }

    /// A key's name on the keys' line, long or short.
    fn key_name(&self, kind: TenderKind, short: bool) -> String {
        if let Some(t) = self.shop_tender(kind) {
            return match (&t.short_label, short) {
                (Some(s), true) => s.clone(),
                _ => t.label.clone(),
            };
        }
        let l = self.lang();
        match (kind, short) {
            (TenderKind::Cash, false) => T::KeyCash.text(l),
            (TenderKind::Cash, true) => T::KeyCashShort.text(l),
            (TenderKind::Card, _) => T::KeyCard.text(l),
            (TenderKind::Cheque, _) => T::KeyCheque.text(l),
            (TenderKind::Voucher, _) => T::KeyVoucher.text(l),
            (TenderKind::EWallet, _) => T::KeyEWallet.text(l),
            (TenderKind::BankTransfer, false) => T::KeyTransfer.text(l),
            (TenderKind::BankTransfer, true) => T::KeyTransferShort.text(l),
            (TenderKind::CustomerAccount, _) => T::KeyAccount.text(l),
            (TenderKind::Shop(_), _) => crate::app::words::tender(l, kind),
        }
    }

    /// The payment screen's keys' line, long or short (80 columns).
    pub fn payment_keys_line(&self, short: bool) -> String {
        let l = self.lang();
        let keys: Vec<String> = self
            .pay_keys()
            .iter()
            .map(|p| format!("F{} {}", p.key, self.key_name(p.kind, short)))
            .collect();
        if short {
            format!(
                "{} {} {}",
                T::KeysIntroShort.text(l),
                keys.join(" "),
                T::KeysOutroShort.text(l)
            )
        } else {
            format!(
                "{} {} {}",
                T::KeysIntro.text(l),
                keys.join(" "),
                T::KeysOutro.text(l)
            )
        }
    }

    /// What a shop tender takes when no amount is typed: what it may pay.
    pub(crate) fn shop_default_amount(&self, kind: TenderKind) -> Option<Money> {
        let t = self.shop_tender(kind)?;
        let b = self.basket.as_ref()?;
        Some(b.room(t).amount.min(b.payment_status().remaining))
    }

    /// Why a shop tender's payment is refused, in words (None: not one of
    /// the shop tenders' refusals).
    pub(crate) fn tender_refusal(&self, e: &SaleError) -> Option<String> {
        let l = self.lang();
        let m = |d: &Decimal| self.money(*d);
        Some(match e {
            SaleError::NothingEligible(kind) => {
                T::NothingEligible.fill(l, &[("tender", &self.tender_label(*kind))])
            }
            SaleError::AboveRoom {
                kind, room, limit, ..
            } => {
                let tender = self.tender_label(*kind);
                if room.is_zero() {
                    return Some(T::NoRoom.fill(
                        l,
                        &[("tender", &tender), ("why", &self.limit_words(*limit))],
                    ));
                }
                let cap = m(&self.settings.basket.meal_voucher_cap);
                let args: &[(&str, &dyn std::fmt::Display)] =
                    &[("tender", &tender), ("room", &m(room)), ("cap", &cap)];
                match limit {
                    Limit::Remaining | Limit::None => T::AboveRemaining.fill(l, args),
                    Limit::Eligible => T::AboveEligible.fill(l, args),
                    Limit::Cap => T::AboveCap.fill(l, args),
                    Limit::MaxPerSale => T::AboveMax.fill(l, args),
                }
            }
            SaleError::UnknownTender(_) => T::UnknownTender.text(l),
            SaleError::EligibleBelowPaid => T::EligibleBelowPaid.text(l),
            SaleError::Overpay {
                kind: kind @ TenderKind::Shop(_),
                remaining,
                ..
            } => T::AboveRemaining.fill(
                l,
                &[
                    ("tender", &self.tender_label(*kind)),
                    ("room", &m(remaining)),
                ],
            ),
            _ => return None,
        })
    }

    /// What bounds a shop tender, in words.
    fn limit_words(&self, limit: Limit) -> String {
        let l = self.lang();
        match limit {
            Limit::Eligible => T::WhyEligible.text(l),
            Limit::Cap => T::WhyCap.fill(
                l,
                &[("cap", &self.money(self.settings.basket.meal_voucher_cap))],
            ),
            Limit::MaxPerSale => T::WhyMax.text(l),
            Limit::Remaining | Limit::None => T::WhyRemaining.text(l),
        }
    }

    /// A shop tender above what it may pay, whose excess may be the
    /// customer's loss: ask before taking it.
    pub(crate) fn ask_loss(&mut self, tender: TenderRecord, room: Money, limit: Limit) {
        let lost = tender.amount - room;
        let text = T::ConfirmLoss.fill(
            self.lang(),
            &[
                ("lost", &self.money(lost)),
                ("tender", &self.tender_label(tender.kind)),
                ("face", &self.money(tender.amount)),
                ("room", &self.money(room)),
                ("why", &self.limit_words(limit)),
            ],
        );
        self.pending_loss = Some(PendingLoss { tender });
        self.error(text);
    }

    /// The key after the loss was shown: Enter takes the titre, anything
    /// else hands it back.
    pub(crate) fn loss_answer(&mut self, k: Key, p: PendingLoss) {
        if k != Key::Enter {
            self.info(T::LossRefused.text(self.lang()));
            return;
        }
        let kind = p.tender.kind;
        let result = match self.basket.as_mut() {
            Some(b) => b.pay_keeping_excess(p.tender),
            None => return,
        };
        match result {
            Ok((status, lost)) => {
                self.persist();
                let room = self
                    .basket
                    .as_ref()
                    .and_then(|b| b.tenders().last())
                    .map(|t| t.amount)
                    .unwrap_or_default();
                self.info(T::LossAccepted.fill(
                    self.lang(),
                    &[
                        ("tender", &self.tender_label(kind)),
                        ("room", &self.money(room)),
                        ("lost", &self.money(lost)),
                    ],
                ));
                if status.remaining <= Decimal::ZERO {
                    self.exec(super::ops::Op::Complete);
                }
            }
            Err(e) => {
                let text = self.refusal(&anyhow::Error::from(e));
                self.error(text);
            }
        }
    }

    /// Whether a sale's tenders open the drawer: cash does, and a shop
    /// tender whose rules say so (paper goes in the drawer).
    pub(crate) fn opens_drawer(&self, tenders: &[TenderRecord]) -> bool {
        tenders.iter().any(|t| {
            t.kind == TenderKind::Cash || self.shop_tender(t.kind).is_some_and(|s| s.opens_drawer)
        })
    }

    /// A receipt's tender rows in the shop's words: a shop tender's label,
    /// and a paper titre's face value and what the customer lost.
    pub(crate) fn receipt_tenders(&self, r: &mut till_core::Receipt, tenders: &[TenderRecord]) {
        for (row, t) in r.tenders.iter_mut().zip(tenders) {
            if let Some(s) = self.shop_tender(t.kind) {
                row.label = s.label.clone();
            }
            let face = t
                .reference
                .as_deref()
                .and_then(|r| r.strip_prefix("face_value="))
                .and_then(|v| v.parse::<Decimal>().ok());
            if let (Some(face), TenderKind::Shop(_)) = (face, t.kind) {
                row.detail = Some(T::ReceiptFaceValue.fill(
                    self.lang(),
                    &[
                        ("face", &self.money(face)),
                        ("lost", &self.money(face - t.amount)),
                    ],
                ));
            }
        }
    }
}
