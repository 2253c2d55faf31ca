//! The till's messages about the shop's rules (`[rules]` of till.toml and
//! head office's ruleset), the abandoned basket and sales booked on the
//! next business day.

crate::catalog! {
    /// Counter rules, abandoned baskets, business day after the Z.
    pub enum TillRules {
        /// Header: the ruleset in force is head office's, version `{version}`.
        RulesVersion => { fr: "Règles v{version}", en: "Rules v{version}" },
        /// Header: the ruleset in force is the till's own `[rules]`.
        RulesLocal => { fr: "Règles locales", en: "Local rules" },
        /// Header: no ruleset, built-in rules.
        RulesBuiltIn => { fr: "Règles par défaut", en: "Default rules" },
        /// F10 pressed once on a basket with lines.
        AbandonConfirm => {
            fr: "Abandonner la vente de {total} ? F10 ou Entrée : oui (enregistré au journal) ; Échap : non",
            en: "Abandon the {total} sale? F10 or Enter: yes (recorded in the journal); Esc: no"
        },
        /// The abandoned basket is journaled.
        AbandonDone => {
            fr: "Vente abandonnée ({lines} lignes, {total}) : enregistrée au journal",
            en: "Sale abandoned ({lines} lines, {total}): recorded in the journal"
        },
        /// Abandon kept: the cashier pressed another key.
        AbandonKept => { fr: "Vente conservée", en: "Sale kept" },
        /// The journal refused the abandoned basket: the basket stays.
        AbandonNotRecorded => {
            fr: "Abandon NON enregistré (journal) : la vente reste à l'écran. {why}",
            en: "Abandon NOT recorded (journal): the sale stays on screen. {why}"
        },
        /// A sale started after the day's Z.
        NextBusinessDay => {
            fr: "Journée du {today} clôturée (Z) : cette vente est comptée le {day}",
            en: "Day {today} closed (Z): this sale counts on {day}"
        },
        /// Printed on the receipt when the business day is not the date printed.
        ReceiptBusinessDay => { fr: "Journée comptable : {day}", en: "Business day: {day}" },
        /// Approval dialog: what the approval is for (abandoning a basket).
        /// `till run`: the `[rules]` of till.toml do not read.
        RulesUnreadable => {
            fr: "Règles de {path} illisibles : {why}",
            en: "Rules of {path} unreadable: {why}"
        },
        /// `till run`: head office's ruleset does not read; the till's own rules apply.
        HeadOfficeRulesUnreadable => {
            fr: "Règles du siège (v{version}) illisibles, règles locales appliquées : {why}",
            en: "Head office rules (v{version}) unreadable, local rules applied: {why}"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        assert!(crate::check_templates(TillRules::ALL).is_empty());
    }
}
