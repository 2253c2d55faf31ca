//! What `till journal export` says to the owner or the accountant: the
//! fiscal archive of a closed month or year (docs/archive.md).

crate::catalog! {
    /// Messages of `till journal export`.
    pub enum TillArchive {
        PeriodMonth => { fr: "le mois {period}", en: "the month {period}" },
        PeriodYear => { fr: "l'année {period}", en: "the year {period}" },
        OfMonth => { fr: "du mois {period}", en: "of the month {period}" },
        OfYear => { fr: "de l'année {period}", en: "of the year {period}" },
        ClosingMonth => { fr: "mensuelle", en: "monthly" },
        ClosingYear => { fr: "annuelle", en: "yearly" },
        OpenPeriod => {
            fr: "Export refusé : la période ({what}) n'est pas clôturée (aucune clôture {closing} signée dans le journal). Seule une période clôturée peut être archivée : faites d'abord sa clôture {closing}, puis relancez l'export.",
            en: "Export refused: {what} is not closed (no signed {closing} closing in the journal). Only a closed period can be archived: close it first, then export again."
        },
        NeedPeriod => {
            fr: "Indiquez la période à archiver : --period AAAA-MM (un mois) ou --year AAAA (une année).",
            en: "Say which period to archive: --period YYYY-MM (a month) or --year YYYY (a year)."
        },
        BadPeriod => {
            fr: "Période « {period} » non reconnue : attendu AAAA-MM pour un mois, AAAA pour une année.",
            en: "Period \"{period}\" not understood: expected YYYY-MM for a month, YYYY for a year."
        },
        Written => {
            fr: "Archive fiscale {of} écrite dans {dir} : {events} événements (seq {first} à {last}), manifeste signé par la caisse (SHA-256 {sha}). Son écriture est inscrite au journal. Vérification, sur n'importe quel poste : comptoir-verify {dir}",
            en: "Fiscal archive {of} written to {dir}: {events} events (seq {first} to {last}), manifest signed by the till (SHA-256 {sha}). Its creation is journaled. Check it on any computer with: comptoir-verify {dir}"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_complete() {
        assert!(crate::check_templates(TillArchive::ALL).is_empty());
    }
}
