//! The back office's Customers page (head office, `web::customers`): the
//! list, a customer's account, the form to add or change one, and what a
//! refused form says, field by field.

crate::catalog! {
    /// Messages of the Customers page.
    pub enum CustMsg {
        Title => { fr: "Clients", en: "Customers" },
        Search => { fr: "Rechercher (numéro, nom, carte de fidélité)", en: "Search (number, name, loyalty card)" },
        SearchButton => { fr: "Rechercher", en: "Search" },
        NoCustomers => { fr: "Aucun client trouvé.", en: "No customer found." },
        Number => { fr: "Numéro", en: "Number" },
        Name => { fr: "Nom ou raison sociale", en: "Name or company name" },
        Kind => { fr: "Type", en: "Type" },
        KindB2b => { fr: "Entreprise", en: "Business" },
        KindB2c => { fr: "Particulier", en: "Consumer" },
        Status => { fr: "Statut du compte", en: "Account status" },
        StatusOpen => { fr: "Ouvert", en: "Open" },
        StatusOnHold => { fr: "Suspendu", en: "On hold" },
        StatusInCollection => { fr: "En recouvrement", en: "In collection" },
        CreditLimit => { fr: "Plafond de crédit", en: "Credit limit" },
        Balance => { fr: "Encours", en: "Balance owed" },
        Available => { fr: "Crédit disponible", en: "Available credit" },
        AccountSales => { fr: "Ventes en compte reçues", en: "Account sales received" },
        Terms => { fr: "Conditions de paiement", en: "Payment terms" },
        TermsCash => { fr: "Comptant", en: "Cash" },
        TermsNet => { fr: "{days} jours net", en: "{days} days net" },
        TermsEom45 => { fr: "45 jours fin de mois", en: "45 days end of month" },
        TermsHelp => {
            fr: "cash, net30, eom45 ou netN (N jusqu’à 60 : le plafond légal, art. L441-10 du Code de commerce)",
            en: "cash, net30, eom45 or netN (N up to 60: the legal ceiling, Code de commerce L441-10)"
        },
        Group => { fr: "Groupe de clients", en: "Customer group" },
        Siren => { fr: "SIREN", en: "SIREN" },
        Siret => { fr: "SIRET", en: "SIRET" },
        Vat => { fr: "N° de TVA intracommunautaire", en: "Intra-EU VAT number" },
        Address => { fr: "Adresse de facturation", en: "Billing address" },
        Email => { fr: "E-mail", en: "E-mail" },
        Phone => { fr: "Téléphone", en: "Telephone" },
        LoyaltyCard => { fr: "Carte de fidélité (code-barres)", en: "Loyalty card (barcode)" },
        Version => { fr: "Version {version}, modifié le {at}", en: "Version {version}, changed {at}" },
        AddTitle => { fr: "Nouveau client", en: "New customer" },
        EditTitle => { fr: "Modifier le client", en: "Change the customer" },
        Save => { fr: "Enregistrer", en: "Save" },
        Saved => {
            fr: "Client {number} enregistré : les caisses le recevront à leur prochaine synchronisation.",
            en: "Customer {number} saved: the tills receive it at their next sync."
        },
        ReadOnly => {
            fr: "Consultation seule : seul le propriétaire modifie les clients.",
            en: "Read only: only the owner changes customers."
        },
        NotFound => { fr: "Aucun client {number}.", en: "No customer {number}." },
        AuditAdded => { fr: "Client ajouté", en: "Customer added" },
        AuditEdited => { fr: "Client modifié", en: "Customer changed" },
        Exists => { fr: "Le client {number} existe déjà.", en: "Customer {number} exists already." },
        CardTaken => {
            fr: "Cette carte de fidélité est déjà celle d’un autre client.",
            en: "This loyalty card is another customer's already."
        },
        BadNumber => { fr: "Numéro : 1 à 20 lettres, chiffres, « - » ou « _ », sans espace.", en: "Number: 1 to 20 letters, digits, '-' or '_', no spaces." },
        BadName => { fr: "Le nom est obligatoire (120 caractères au plus).", en: "The name is required (at most 120 characters)." },
        BadKind => { fr: "Un particulier n’a ni SIREN, ni SIRET, ni numéro de TVA.", en: "A consumer has no SIREN, SIRET or VAT number." },
        BadSiren => { fr: "SIREN invalide : 9 chiffres, le dernier étant la clé de Luhn.", en: "Invalid SIREN: 9 digits, the last a Luhn key." },
        BadSiret => { fr: "SIRET invalide : 14 chiffres commençant par le SIREN, clé de Luhn comprise.", en: "Invalid SIRET: 14 digits beginning with the SIREN, Luhn key included." },
        BadVat => { fr: "N° de TVA invalide : la clé française ne correspond pas au SIREN, ou ce n’est pas un numéro européen.", en: "Invalid VAT number: the French key does not match the SIREN, or it is not an EU number." },
        BadAddress => { fr: "Adresse trop longue (400 caractères au plus).", en: "Address too long (at most 400 characters)." },
        BadEmail => { fr: "Adresse e-mail invalide.", en: "Invalid e-mail address." },
        BadPhone => { fr: "Numéro de téléphone invalide.", en: "Invalid telephone number." },
        BadTerms => {
            fr: "Conditions de paiement refusées : au plus 60 jours à compter de la facture, ou 45 jours fin de mois (art. L441-10 du Code de commerce).",
            en: "Payment terms refused: at most 60 days from the invoice, or 45 days end of month (Code de commerce L441-10)."
        },
        BadCreditLimit => { fr: "Plafond de crédit : un montant entre 0 et 10 000 000 €, au centime.", en: "Credit limit: an amount between 0 and €10,000,000, to the cent." },
        BadGroup => { fr: "Groupe : 64 caractères au plus.", en: "Group: at most 64 characters." },
        BadCard => { fr: "Carte de fidélité : 4 à 32 lettres ou chiffres.", en: "Loyalty card: 4 to 32 letters or digits." },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_and_the_same_placeholders() {
        assert_eq!(crate::check_templates(CustMsg::ALL), Vec::<String>::new());
    }
}
