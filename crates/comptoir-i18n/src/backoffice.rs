//! The back office's frame: layout and navigation, login, roles, error pages and the
//! audit log page. The pages' own messages live in their areas' modules
//! (`backoffice_dash`, `backoffice_stock`, ...).

crate::catalog! {
    /// Messages of the back office's layout, login, errors and audit log.
    pub enum Bo {
        AppName => { fr: "Comptoir — gestion", en: "Comptoir — back office" },
        NavToday => { fr: "Aujourd'hui", en: "Today" },
        NavSales => { fr: "Ventes", en: "Sales" },
        NavStock => { fr: "Stocks", en: "Stock" },
        NavCatalog => { fr: "Catalogue et prix", en: "Catalog and prices" },
        NavRules => { fr: "Règles", en: "Rules" },
        NavAlerts => { fr: "Alertes", en: "Alerts" },
        NavClosings => { fr: "Clôtures", en: "Closings" },
        NavTerminals => { fr: "Terminaux", en: "Terminals" },
        NavAudit => { fr: "Journal d'audit", en: "Audit log" },
        NavCustomers => { fr: "Clients", en: "Customers" },
        NavLabel => { fr: "Navigation principale", en: "Main navigation" },
        SignedInAs => { fr: "Connecté : {email} ({role})", en: "Signed in: {email} ({role})" },
        LogOut => { fr: "Se déconnecter", en: "Log out" },
        /// The link to the other language, written in that language.
        OtherLanguage => { fr: "English", en: "Français" },
        RoleOwner => { fr: "propriétaire", en: "owner" },
        RoleAccountant => { fr: "comptable", en: "accountant" },
        RoleManager => { fr: "responsable du magasin {store}", en: "manager of store {store}" },

        LoginTitle => { fr: "Connexion", en: "Log in" },
        LoginEmail => { fr: "Adresse e-mail", en: "E-mail address" },
        LoginPassword => { fr: "Mot de passe", en: "Password" },
        LoginSubmit => { fr: "Se connecter", en: "Log in" },
        LoginFailed => {
            fr: "Adresse e-mail ou mot de passe incorrect.",
            en: "Wrong e-mail address or password."
        },
        LoginLocked => {
            fr: "Trop de tentatives échouées : réessayez dans {minutes} minutes.",
            en: "Too many failed attempts: try again in {minutes} minutes."
        },
        LoggedOut => { fr: "Vous êtes déconnecté.", en: "You are logged out." },
        SessionExpired => {
            fr: "Votre session a expiré : reconnectez-vous.",
            en: "Your session has expired: please log in again."
        },

        TodayPlaceholder => {
            fr: "Les chiffres du jour s'afficheront ici.",
            en: "Today's figures will show here."
        },

        ForbiddenTitle => { fr: "Accès refusé", en: "Access denied" },
        ForbiddenBody => {
            fr: "Votre rôle ne donne pas accès à cette page ou à cette opération.",
            en: "Your role does not give access to this page or operation."
        },
        CsrfRefused => {
            fr: "Ce formulaire a expiré ou ne vient pas de cette application : rechargez la page et recommencez.",
            en: "This form has expired or did not come from this application: reload the page and try again."
        },
        NotFoundTitle => { fr: "Page introuvable", en: "Page not found" },
        NotFoundBody => {
            fr: "Cette adresse ne correspond à aucune page.",
            en: "No page has this address."
        },
        BadRequestTitle => { fr: "Demande incorrecte", en: "Bad request" },
        ServerErrorTitle => { fr: "Service indisponible", en: "Service unavailable" },
        ServerErrorBody => {
            fr: "La base de données ne répond pas : réessayez dans un instant.",
            en: "The database does not answer: try again in a moment."
        },
        BackHome => { fr: "Retour à l'accueil", en: "Back to the start page" },

        AuditWhen => { fr: "Date", en: "When" },
        AuditWho => { fr: "Qui", en: "Who" },
        AuditWhat => { fr: "Opération", en: "Action" },
        AuditDetails => { fr: "Détails", en: "Details" },
        AuditEmpty => { fr: "Aucune opération enregistrée.", en: "Nothing recorded yet." },
        // The Rules page.
        RulesNone => { fr: "Aucun jeu de règles publié : chaque caisse applique les règles de son till.toml.", en: "No ruleset published: each till applies the rules of its till.toml." },
        RulesVersion => { fr: "Version {version}, publiée le {at} par {by}", en: "Version {version}, published on {at} by {by}" },
        RulesHowToChange => { fr: "Pour publier une nouvelle version : headoffice rules set FICHIER.toml (mêmes clés que [rules] de till.toml). Les caisses la reçoivent à la synchronisation suivante et l'appliquent à leur prochain démarrage.", en: "To publish a new version: headoffice rules set FILE.toml (the keys of till.toml's [rules]). Tills receive it at their next sync and apply it at their next start." },
        RulesAbandoned => { fr: "Ventes abandonnées par caissier (30 derniers jours)", en: "Abandoned sales per cashier (last 30 days)" },
        RulesAbandonedNone => { fr: "Aucune vente abandonnée.", en: "No abandoned sale." },
        ColDay => { fr: "Jour", en: "Day" },
        ColStore => { fr: "Magasin", en: "Store" },
        ColTill => { fr: "Caisse", en: "Till" },
        ColCashier => { fr: "Caissier", en: "Cashier" },
        ColBaskets => { fr: "Ventes abandonnées", en: "Abandoned sales" },
        ColTotal => { fr: "Montant", en: "Amount" },
        AuditOlder => { fr: "Plus anciennes", en: "Older" },
        AuditLogin => { fr: "Connexion", en: "Logged in" },
        AuditLogout => { fr: "Déconnexion", en: "Logged out" },
        AuditUserAdded => { fr: "Utilisateur ajouté", en: "User added" },
        AuditUserRemoved => { fr: "Utilisateur supprimé", en: "User removed" },
        AuditPasswordReset => { fr: "Mot de passe réinitialisé", en: "Password reset" },
        /// The actor of the `headoffice user` commands.
        AuditCli => { fr: "ligne de commande", en: "command line" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_templates, Lang, Template};

    #[test]
    fn every_message_has_both_languages_and_they_differ() {
        assert_eq!(check_templates(Bo::ALL), Vec::<String>::new());
        // Same in both languages only where it is a name or a number.
        let same_on_purpose: &[Bo] = &[];
        for &m in Bo::ALL {
            if same_on_purpose.contains(&m) {
                continue;
            }
            assert_ne!(
                m.template(Lang::Fr),
                m.template(Lang::En),
                "{}: French equals English",
                m.key()
            );
        }
    }
}
