//! The frame of every page: head, header with the menu, who is logged in,
//! the language switch and the logout form.

use super::auth::User;
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Lang, Template};
use maud::{html, Markup, DOCTYPE};

/// The pages of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Today,
    Sales,
    Stock,
    Catalog,
    Rules,
    Alerts,
    Closings,
    Terminals,
    Audit,
    Customers,
}

impl Nav {
    pub const ALL: [Nav; 10] = [
        Nav::Today,
        Nav::Sales,
        Nav::Stock,
        Nav::Catalog,
        Nav::Rules,
        Nav::Alerts,
        Nav::Closings,
        Nav::Terminals,
        Nav::Audit,
        Nav::Customers,
    ];

    /// The page's path (see the table in [`super`]).
    pub fn path(self) -> &'static str {
        match self {
            Nav::Today => "/",
            Nav::Sales => "/ventes",
            Nav::Stock => "/stock",
            Nav::Catalog => "/catalogue",
            Nav::Rules => "/regles",
            Nav::Alerts => "/alertes",
            Nav::Closings => "/clotures",
            Nav::Terminals => "/terminaux",
            Nav::Audit => "/journal-audit",
            Nav::Customers => "/clients",
        }
    }

    pub fn label(self) -> Bo {
        match self {
            Nav::Today => Bo::NavToday,
            Nav::Sales => Bo::NavSales,
            Nav::Stock => Bo::NavStock,
            Nav::Catalog => Bo::NavCatalog,
            Nav::Rules => Bo::NavRules,
            Nav::Alerts => Bo::NavAlerts,
            Nav::Closings => Bo::NavClosings,
            Nav::Terminals => Bo::NavTerminals,
            Nav::Audit => Bo::NavAudit,
            Nav::Customers => Bo::NavCustomers,
        }
    }

    /// Whether the menu shows this page to `user` (the page itself checks
    /// again): a manager sees their store's pages only.
    pub fn shown_to(self, user: &User) -> bool {
        match self {
            Nav::Today | Nav::Sales | Nav::Stock | Nav::Catalog | Nav::Rules | Nav::Customers => {
                true
            }
            _ => user.may(super::Who::Readers),
        }
    }
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (Bo::AppName.text(lang)) }
            link rel="stylesheet" href="/static/app.css";
        }
    }
}

/// A whole page for a logged-in user, `current` highlighted in the menu.
pub fn page(user: &User, current: Nav, title: &str, body: Markup) -> Markup {
    let l = user.lang;
    let other = match l {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    };
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(l, title))
            body {
                header.top {
                    a.brand href="/" { (Bo::AppName.text(l)) }
                    nav aria-label=(Bo::NavLabel.text(l)) {
                        ul {
                            @for n in Nav::ALL.into_iter().filter(|n| n.shown_to(user)) {
                                li {
                                    a href=(n.path())
                                        aria-current=[(n == current).then_some("page")] {
                                        (n.label().text(l))
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        span.muted {
                            (Bo::SignedInAs.fill(l, &[("email", &user.email), ("role", &user.role_label())]))
                        }
                        a href={ "/langue?vers=" (other.code()) "&retour=" (current.path()) }
                            lang=(other.code()) { (Bo::OtherLanguage.text(l)) }
                        form.inline method="post" action="/logout" {
                            (user.csrf_field())
                            button.link type="submit" { (Bo::LogOut.text(l)) }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page without menu (login, errors), for anyone.
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    let other = match lang {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body {
                header.top {
                    a.brand href="/" { (Bo::AppName.text(lang)) }
                    div.who {
                        a href={ "/langue?vers=" (other.code()) "&retour=/login" }
                            lang=(other.code()) { (Bo::OtherLanguage.text(lang)) }
                    }
                }
                main.narrow { (body) }
            }
        }
    }
}
