//! The back office's Rules form (head office, `web::rules_form`) and the
//! words the audit log page reads stored details with (`web::audit_words`):
//! field names, what a refused value says, role names.

crate::catalog! {
    /// Messages of the Rules form and of the audit log's details.
    pub enum RulesMsg {
        FormTitle => { fr: "Publier une nouvelle version", en: "Publish a new version" },
        FormNote => {
            fr: "Un champ vide laisse chaque caisse appliquer sa propre règle (till.toml) ou la règle par défaut. Les caisses reçoivent la nouvelle version à leur synchronisation suivante et l'appliquent à leur prochain démarrage.",
            en: "An empty field lets each till apply its own rule (till.toml) or the default. Tills receive the new version at their next sync and apply it at their next start."
        },
        ReadOnlyNote => {
            fr: "Seul le propriétaire peut modifier les règles.",
            en: "Only the owner may change the rules."
        },
        Publish => { fr: "Publier", en: "Publish" },
        Published => {
            fr: "Version {version} publiée : les caisses la reçoivent à leur synchronisation suivante.",
            en: "Version {version} published: tills receive it at their next sync."
        },
        Refused => {
            fr: "Règles refusées : corrigez les champs signalés. Rien n'a été enregistré.",
            en: "Rules refused: correct the fields marked. Nothing was saved."
        },
        SectionLimits => { fr: "Montants et contrôles", en: "Amounts and checks" },
        SectionPermissions => { fr: "Qui peut faire quoi", en: "Who may do what" },
        PermissionsNote => {
            fr: "Le rôle qui peut faire l'opération seul et l'autoriser pour les autres.",
            en: "The role that may do the action alone and approve it for the others."
        },
        KeptNote => {
            fr: "Les groupes de clients et les formats d'étiquettes de la version en vigueur sont conservés.",
            en: "The customer groups and label patterns of the version in force are kept."
        },
        BuiltIn => { fr: "Par défaut", en: "Default" },
        MaxOrderAmount => { fr: "Montant maximal d'une commande sans responsable (€)", en: "Largest order without a supervisor (€)" },
        AnomalyFactor => { fr: "Panier anormal : au-delà de combien de fois le panier moyen", en: "Unusual basket: above how many times the average basket" },
        AnomalyMinSales => { fr: "Ventes nécessaires avant le contrôle des paniers anormaux", en: "Sales needed before unusual baskets are checked" },
        AnomalyDays => { fr: "Jours du panier moyen", en: "Days of the average basket" },
        CashRounding => { fr: "Arrondi des paiements en espèces (€)", en: "Cash payments rounded to (€)" },
        DiscountThreshold => { fr: "Remise au-delà de laquelle un responsable valide (%)", en: "Discount above which a supervisor approves (%)" },
        DrawerOpenSeconds => { fr: "Tiroir signalé ouvert après (secondes)", en: "Drawer flagged open after (seconds)" },
        Permissions => { fr: "Qui peut faire quoi", en: "Who may do what" },
        CustomerGroups => { fr: "Groupes de clients", en: "Customer groups" },
        LabelPatterns => { fr: "Formats d'étiquettes", en: "Label patterns" },
        NotANumber => { fr: "« {value} » n'est pas un nombre.", en: "\"{value}\" is not a number." },
        OutOfRange => {
            fr: "Entre {lo} et {hi}, au plus {decimals} décimales.",
            en: "Between {lo} and {hi}, at most {decimals} decimals."
        },
        OutOfRangeWhole => { fr: "Un nombre entier entre {lo} et {hi}.", en: "A whole number between {lo} and {hi}." },
        BadPermission => { fr: "Ce rôle ne convient pas à cette opération.", en: "This role does not suit this action." },
        InvalidOther => { fr: "Règle refusée : {why}", en: "Rule refused: {why}" },
        AuditRulesSet => { fr: "Règles publiées", en: "Rules published" },

        // The audit log's details, read back in the reader's language.
        RoleOwner => { fr: "propriétaire", en: "owner" },
        RoleAccountant => { fr: "comptable", en: "accountant" },
        RoleManagerOf => { fr: "responsable du magasin {store}", en: "manager of store {store}" },
        DetailUser => { fr: "{email} : {role}", en: "{email}: {role}" },
        DetailAlert => { fr: "n° {id} : {what}, terminal {terminal}", en: "no. {id}: {what}, terminal {terminal}" },
        KeyItem => { fr: "article", en: "item" },
        KeyName => { fr: "désignation", en: "name" },
        KeyPrice => { fr: "prix", en: "price" },
        KeyVat => { fr: "TVA", en: "VAT" },
        KeyUnit => { fr: "unité", en: "unit" },
        KeyBarcodes => { fr: "codes-barres", en: "barcodes" },
        KeyMinQty => { fr: "quantité minimale", en: "minimum quantity" },
        KeyMaxQty => { fr: "quantité maximale", en: "maximum quantity" },
        KeyVersion => { fr: "version", en: "version" },
        KeyStore => { fr: "magasin", en: "store" },
        KeyStores => { fr: "magasins", en: "stores" },
        KeySupplier => { fr: "fournisseur", en: "supplier" },
        KeyReference => { fr: "référence", en: "reference" },
        KeyLines => { fr: "lignes", en: "lines" },
        KeyOp => { fr: "opération", en: "operation" },
        KeyRows => { fr: "lignes", en: "rows" },
        KeyBytes => { fr: "octets", en: "bytes" },
        UnitPiece => { fr: "pièce", en: "piece" },
        UnitKg => { fr: "kg", en: "kg" },
        NoValue => { fr: "aucun", en: "none" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, Template};

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        assert_eq!(crate::check_templates(RulesMsg::ALL), Vec::<String>::new());
        // Same in both languages only where it is a symbol or a word both share.
        let same: &[RulesMsg] = &[RulesMsg::KeyVersion, RulesMsg::UnitKg];
        for &m in RulesMsg::ALL {
            if !same.contains(&m) {
                assert_ne!(m.template(Lang::Fr), m.template(Lang::En), "{}", m.key());
            }
        }
    }
}
