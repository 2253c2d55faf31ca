//! What the till's peripherals and the payment terminal tell the cashier:
//! the device threads' and the terminal worker's reasons (`app/devices.rs`,
//! `app/terminal.rs`) and the card payment screens' messages
//! (`app/payment/`). A device's own error text (an operating-system or
//! protocol error, in English) never reaches the screen: `till diag`
//! shows it to the technician.

crate::catalog! {
    /// Printer, drawer, scanner and payment terminal messages.
    pub enum TillDevices {
        /// No printer in till.toml.
        NoPrinter => { fr: "aucune imprimante configurée", en: "no printer configured" },
        /// No drawer in till.toml.
        NoDrawer => { fr: "aucun tiroir configuré", en: "no drawer configured" },
        /// No payment terminal in till.toml.
        NoTerminal => { fr: "aucun terminal de paiement configuré", en: "no payment terminal configured" },
        /// The printer has no paper.
        PaperOut => { fr: "plus de papier", en: "out of paper" },
        /// The printer does not answer at `target`.
        PrinterUnreachable => { fr: "imprimante injoignable ({target})", en: "printer unreachable ({target})" },
        /// Printing stopped half-way: `what` is the printer's state.
        Interrupted => { fr: "interrompu : {what}", en: "interrupted: {what}" },
        /// The drawer does not answer.
        DrawerUnreachable => { fr: "tiroir injoignable", en: "drawer unreachable" },
        /// The printer (which drives the drawer) does not answer.
        PrinterAndDrawerUnreachable => { fr: "imprimante (et tiroir) injoignable", en: "printer (and drawer) unreachable" },
        /// Status line: the printer is ready.
        PrinterReady => { fr: "prête", en: "ready" },
        /// Status line: the scanner is ready.
        ScannerReady => { fr: "prêt", en: "ready" },
        /// Status line: the printer is unreachable.
        StatusUnreachable => { fr: "injoignable ({target})", en: "unreachable ({target})" },
        /// Status line: the printer does not answer its status request.
        StatusNoAnswer => { fr: "ne répond pas", en: "not answering" },
        /// Status line: the scanner is absent.
        ScannerAbsent => { fr: "absent", en: "absent" },
        /// Status line: the scanner was lost.
        ScannerLost => { fr: "perdu", en: "lost" },
        /// Status line: a scan was refused (bad framing).
        ScanRejected => { fr: "lecture rejetée", en: "scan rejected" },
        /// Printer problem: unrecoverable error.
        PrinterFatal => { fr: "erreur grave : éteindre et rallumer l'imprimante, puis appeler le SAV", en: "serious error: switch the printer off and on, then call service" },
        /// Printer problem: cutter jam.
        PrinterJam => { fr: "papier coincé dans le massicot : ouvrir le capot et dégager", en: "paper jammed in the cutter: open the cover and clear it" },
        /// Printer problem: cover open.
        PrinterCover => { fr: "capot ouvert : le fermer", en: "cover open: close it" },
        /// Printer problem: paper out.
        PrinterPaperOut => { fr: "plus de papier : mettre un rouleau", en: "out of paper: load a roll" },
        /// Printer problem: mechanism.
        PrinterMechanism => { fr: "erreur mécanique : vérifier le levier de la tête", en: "mechanism error: check the print head lever" },
        /// Printer problem: head too hot.
        PrinterHot => { fr: "tête trop chaude : attendre une minute", en: "print head too hot: wait a minute" },
        /// Printer problem: offline.
        PrinterOffline => { fr: "imprimante hors ligne", en: "printer offline" },
        /// Printer problem: paper nearly out.
        PrinterPaperLow => { fr: "fin de rouleau proche : préparer un rouleau", en: "paper nearly out: have a roll ready" },
        /// Printer problem the till has no words for.
        PrinterOther => { fr: "incident d'imprimante (till diag printer status)", en: "printer problem (till diag printer status)" },
        /// The terminal worker is gone.
        TerminalStopped => { fr: "terminal de paiement arrêté", en: "payment terminal stopped" },
        /// The terminal worker died mid-payment.
        TerminalCrashed => { fr: "terminal de paiement arrêté (erreur interne)", en: "payment terminal stopped (internal error)" },
        /// No answer from the terminal.
        TerminalTimeout => { fr: "pas de réponse du terminal de paiement", en: "no answer from the payment terminal" },
        /// The terminal's answer does not read.
        TerminalGarbled => { fr: "réponse illisible du terminal de paiement (liaison à vérifier)", en: "unreadable answer from the payment terminal (check the link)" },
        /// The terminal refuses the till's messages.
        TerminalRejected => { fr: "le terminal de paiement refuse nos messages (réglages de la liaison)", en: "the payment terminal refuses our messages (link settings)" },
        /// The request was refused before it left.
        TerminalInvalid => { fr: "demande refusée avant envoi (montant ou réglages)", en: "request refused before sending (amount or settings)" },
        /// The terminal is unreachable at `target`.
        TerminalUnreachable => { fr: "terminal de paiement injoignable ({target})", en: "payment terminal unreachable ({target})" },
        /// The terminal cannot be opened at all.
        TerminalNoLink => { fr: "terminal de paiement injoignable (till diag terminal)", en: "payment terminal unreachable (till diag terminal)" },
        /// The previous payment was approved meanwhile.
        TerminalPreviousApproved => { fr: "le paiement précédent vient d'être accepté par le terminal", en: "the previous payment has just been approved by the terminal" },
        /// The payment screen while the terminal works: `{what}` is a
        /// payment or a refund, `{tender}` the tender in lower case.
        PayingTitle => { fr: "{what} {tender} sur le terminal : {amount}", en: "{what} {tender} on the terminal: {amount}" },
        /// A payment, in `PayingTitle` and the refusals.
        WhatPayment => { fr: "Paiement", en: "Payment" },
        /// A refund, in `PayingTitle` and the refusals.
        WhatRefund => { fr: "Remboursement", en: "Refund" },
        /// The terminal declined without saying why.
        Declined => { fr: "refusé", en: "declined" },
        /// The terminal declined.
        DeclinedByTerminal => {
            fr: "{what} de {amount} refusé par le terminal ({why}). Réessayez ou prenez un autre moyen de paiement.",
            en: "{what} of {amount} declined by the terminal ({why}). Try again or take another tender."
        },
        /// No answer from the terminal: nothing recorded, a late answer is listened for.
        NoAnswer => {
            fr: "Pas de réponse du terminal de paiement ({why}) : {amount} NON enregistré. Si le terminal affiche « accepté », attendez : la caisse écoute encore. Sinon réessayez ou prenez un autre moyen de paiement.",
            en: "No answer from the payment terminal ({why}): {amount} NOT recorded. If the terminal shows \"approved\", wait: the till is still listening. Otherwise try again or take another tender."
        },
        /// The payment did not leave.
        NotStarted => {
            fr: "Paiement non lancé : {why}. Rien n'a été débité.",
            en: "Payment not started: {why}. Nothing was charged."
        },
        /// A late approval was added to the sale.
        LateAdded => {
            fr: "Le terminal a accepté EN RETARD {amount} (carte {card}) : ajouté à cette vente. Entrée : garder ; F6 : le rembourser sur le terminal (si le client a payé autrement).",
            en: "The terminal approved LATE {amount} (card {card}): added to this sale. Enter: keep; F6: refund it on the terminal (if the customer paid otherwise)."
        },
        /// The card was approved.
        CardApproved => { fr: "Carte acceptée : {amount} (carte {card})", en: "Card approved: {amount} (card {card})" },
        /// The terminal's section of till.toml is wrong.
        TerminalConfig => { fr: "réglage du terminal à corriger dans till.toml (till diag terminal)", en: "terminal setting to fix in till.toml (till diag terminal)" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        assert!(crate::check_templates(TillDevices::ALL).is_empty());
    }
}
