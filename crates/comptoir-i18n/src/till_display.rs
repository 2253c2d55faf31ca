//! What the customer display says: 2 lines of 20 characters facing the
//! customer, so every text here fits in 20 with its amount beside it.

crate::catalog! {
    /// The customer display (pole display) of the counter.
    pub enum TillDisplay {
        /// Nobody at the counter yet.
        Welcome => { fr: "Bienvenue", en: "Welcome" },
        /// Beside the basket's total.
        Total => { fr: "Total", en: "Total" },
        /// Beside what is still to pay.
        Remaining => { fr: "Reste à payer", en: "To pay" },
        /// Beside what the customer handed over.
        Paid => { fr: "Payé", en: "Paid" },
        /// Beside the change given back.
        Change => { fr: "Rendu", en: "Change" },
        /// The sale is over.
        Thanks => { fr: "Merci, à bientôt", en: "Thank you, goodbye" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Template;

    #[test]
    fn every_message_has_both_languages_and_fits_the_display() {
        assert!(crate::check_templates(TillDisplay::ALL).is_empty());
        assert!(crate::check_templates(TillScale::ALL).is_empty());
        for m in TillDisplay::ALL {
            for lang in [crate::Lang::Fr, crate::Lang::En] {
                // Room is left for an amount on the same line of 20.
                assert!(m.text(lang).chars().count() <= 20, "{m:?}");
            }
        }
    }
}

crate::catalog! {
    /// The counter scale, as the cashier reads it on the sale screen.
    pub enum TillScale {
        /// A weighed item was scanned: the scale is asked.
        Weighing => { fr: "Pesée : {item}", en: "Weighing: {item}" },
        /// The load moves.
        Motion => {
            fr: "Balance : la charge bouge, attendre puis rescanner",
            en: "Scale: the load is moving, wait and scan again"
        },
        /// Nothing on the plate.
        Zero => {
            fr: "Balance : rien sur le plateau, poser l'article puis rescanner",
            en: "Scale: nothing on the plate, put the item on and scan again"
        },
        /// Below zero.
        Underload => {
            fr: "Balance sous zéro : vider le plateau et faire le zéro",
            en: "Scale below zero: empty the plate and zero it"
        },
        /// Over capacity.
        Overload => {
            fr: "Balance en surcharge : retirer l'article",
            en: "Scale overloaded: take the item off"
        },
        /// Dialog 06: the same load as the last weighing.
        NotRemoved => {
            fr: "Balance : soulever l'article, le reposer, puis rescanner",
            en: "Scale: lift the item, put it back, then scan again"
        },
        /// No answer, a lost link, a garbled answer.
        Unreachable => {
            fr: "Balance injoignable : {why}",
            en: "Scale unreachable: {why}"
        },
        /// Anything else the scale refused.
        Refused => {
            fr: "Pesée refusée par la balance : {why}",
            en: "Weighing refused by the scale: {why}"
        },
        /// A weighing came back when no sale could take it.
        Dropped => {
            fr: "Pesée de {item} ignorée : aucune vente en cours",
            en: "Weighing of {item} dropped: no sale in progress"
        },
    }
}
