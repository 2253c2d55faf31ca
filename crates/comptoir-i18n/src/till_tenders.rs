//! The till's messages about tenders: the payment screen's keys, the
//! tenders the shop defines (`[[tenders]]`: titres-restaurant first) and
//! their refusals, the customer's loss on a paper titre, the checks of
//! `[[tenders]]` in till.toml, and the rules picked up between sales.

crate::catalog! {
    /// Payment keys, shop tenders, titres-restaurant.
    pub enum TillTenders {
        /// Payment keys' line: before the tender keys.
        KeysIntro => { fr: " Montant puis", en: " Amount then" },
        /// Payment keys' line: after the tender keys.
        KeysOutro => { fr: "(vide = reste)  F6 Retirer paiement  Échap Retour", en: "(empty = rest)  F6 Remove payment  Esc Back" },
        /// Payment keys' line on a narrow screen: before the tender keys.
        KeysIntroShort => { fr: "Montant+", en: "Amount+" },
        /// Payment keys' line on a narrow screen: after the tender keys.
        KeysOutroShort => { fr: "F6 Retirer", en: "F6 Remove" },
        /// Key name of cash.
        KeyCash => { fr: "Espèces", en: "Cash" },
        /// Key name of cash, short.
        KeyCashShort => { fr: "Esp", en: "Cash" },
        /// Key name of the bank card.
        KeyCard => { fr: "Carte", en: "Card" },
        /// Key name of the cheque.
        KeyCheque => { fr: "Chèque", en: "Cheque" },
        /// Key name of the voucher.
        KeyVoucher => { fr: "Bon", en: "Voucher" },
        /// Key name of the mobile wallet.
        KeyEWallet => { fr: "Mobile", en: "Mobile" },
        /// Key name of the bank transfer.
        KeyTransfer => { fr: "Virement", en: "Transfer" },
        /// Key name of the bank transfer, short.
        KeyTransferShort => { fr: "Vir", en: "Transf" },
        /// Key name of the customer account.
        KeyAccount => { fr: "Compte", en: "Account" },
        /// The basket holds nothing this tender may pay for.
        NothingEligible => {
            fr: "{tender} : aucun article de cette vente n'est payable ainsi",
            en: "{tender}: no article of this sale may be paid this way"
        },
        /// Refused: above what remains to pay (no change on this tender).
        AboveRemaining => {
            fr: "{tender} : au plus {room} (reste à payer), pas de rendu de monnaie",
            en: "{tender}: at most {room} (left to pay), no change given"
        },
        /// Refused: above the eligible articles still to pay.
        AboveEligible => {
            fr: "{tender} : au plus {room} (articles éligibles restant à payer) ; le reste se paie autrement",
            en: "{tender}: at most {room} (eligible articles left to pay); pay the rest otherwise"
        },
        /// Refused: above the meal-voucher cap of a sale.
        AboveCap => {
            fr: "{tender} : au plus {room} (plafond de {cap} par vente)",
            en: "{tender}: at most {room} (cap of {cap} per sale)"
        },
        /// Refused: above the tender's own maximum per sale.
        AboveMax => {
            fr: "{tender} : au plus {room} par vente",
            en: "{tender}: at most {room} per sale"
        },
        /// Nothing more this tender may pay.
        NoRoom => {
            fr: "{tender} : plus rien à payer ainsi sur cette vente ({why}) ; payez le reste autrement",
            en: "{tender}: nothing more to pay this way on this sale ({why}); pay the rest otherwise"
        },
        /// Why: the eligible articles are paid.
        WhyEligible => { fr: "articles éligibles payés", en: "eligible articles paid" },
        /// Why: the cap is reached.
        WhyCap => { fr: "plafond de {cap} atteint", en: "cap of {cap} reached" },
        /// Why: the tender's maximum is reached.
        WhyMax => { fr: "maximum par vente atteint", en: "maximum per sale reached" },
        /// Why: nothing left to pay.
        WhyRemaining => { fr: "tout est payé", en: "all paid" },
        /// A paper titre worth more than it may pay: confirm the loss.
        ConfirmLoss => {
            fr: "Le client perd {lost} : {tender} de {face} pour {room} payables ({why}), pas de rendu de monnaie. Entrée : accepter ; Échap : annuler",
            en: "The customer loses {lost}: {tender} of {face} for {room} payable ({why}), no change given. Enter: accept; Esc: cancel"
        },
        /// The loss was accepted.
        LossAccepted => {
            fr: "{tender} : {room} payés, {lost} perdus par le client",
            en: "{tender}: {room} paid, {lost} lost by the customer"
        },
        /// The loss was refused: the titre is not taken.
        LossRefused => { fr: "Titre non pris : rendez-le au client", en: "Voucher not taken: hand it back" },
        /// A shop tender the rules no longer define.
        UnknownTender => {
            fr: "Ce moyen de paiement n'est pas (plus) dans les règles du magasin",
            en: "This tender is not (any more) in the shop's rules"
        },
        /// A void would leave meal vouchers above the eligible articles.
        EligibleBelowPaid => {
            fr: "Les titres-restaurant dépasseraient les articles éligibles : retirez d'abord un paiement (F6)",
            en: "Meal vouchers would exceed the eligible articles: remove a payment first (F6)"
        },
        /// Receipt: a paper titre's face value and the customer's loss.
        ReceiptFaceValue => { fr: "Valeur {face}, non rendu {lost}", en: "Value {face}, not given back {lost}" },
        /// The rules changed between sales (head office's new ruleset).
        RulesApplied => { fr: "Nouvelles règles appliquées : {label}", en: "New rules applied: {label}" },
        /// till.toml: a `[[tenders]]` entry does not read.
        ConfigEntry => {
            fr: "{path} : [[tenders]] n° {n} : {why}",
            en: "{path}: [[tenders]] no. {n}: {why}"
        },
        /// till.toml: a key of a `[[tenders]]` entry is wrong.
        ConfigKey => {
            fr: "{path} : [[tenders]] {code}, clé {key} : {why}",
            en: "{path}: [[tenders]] {code}, key {key}: {why}"
        },
        /// The code is missing or not a string.
        CodeMissing => { fr: "la clé code (texte) manque", en: "the code key (text) is missing" },
        /// The code is not a valid one.
        CodeInvalid => {
            fr: "« {code} » n'est pas un code : de 1 à 31 caractères parmi a-z, 0-9 et _, commençant par une lettre, autre qu'un moyen intégré (cash, card, cheque...)",
            en: "\"{code}\" is not a code: 1 to 31 of a-z, 0-9 and _, starting with a letter, not a built-in tender (cash, card, cheque...)"
        },
        /// The label's length.
        BadLabel => { fr: "de 1 à 32 caractères", en: "1 to 32 characters" },
        /// The short label's length.
        BadShortLabel => { fr: "de 1 à 12 caractères", en: "1 to 12 characters" },
        /// max_per_sale out of bounds.
        BadMax => {
            fr: "{value} hors de 0,01 à 1 000 000 (2 décimales au plus)",
            en: "{value} outside 0.01 to 1,000,000 (at most 2 decimals)"
        },
        /// excess = "lost" with gives_change = true.
        LostWithChange => {
            fr: "\"lost\" (l'excédent est perdu par le client) demande gives_change = false",
            en: "\"lost\" (the excess is the customer's loss) needs gives_change = false"
        },
        /// A code defined twice.
        Duplicate => { fr: "ce code est défini deux fois", en: "this code is defined twice" },
        /// Too many tenders.
        TooMany => { fr: "au plus {max} moyens de paiement", en: "at most {max} tenders" },
        /// `[rules]` holds `tenders`: they go at the top level.
        TendersInRules => {
            fr: "{path} : écrivez les moyens de paiement en [[tenders]], hors de [rules]",
            en: "{path}: write the tenders as [[tenders]], outside [rules]"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        assert!(crate::check_templates(TillTenders::ALL).is_empty());
    }
}
