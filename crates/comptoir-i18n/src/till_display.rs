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
        for m in TillDisplay::ALL {
            for lang in [crate::Lang::Fr, crate::Lang::En] {
                // Room is left for an amount on the same line of 20.
                assert!(m.text(lang).chars().count() <= 20, "{m:?}");
            }
        }
    }
}
