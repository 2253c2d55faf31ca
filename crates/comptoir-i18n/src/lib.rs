//! Everything a cashier, an owner, a technician or a customer reads goes through here:
//! one catalog of messages, French by default and English available, and one way to
//! write money, numbers and dates (`1 234,50 €`, `5,5 %`, `03/12/2026` in French).
//!
//! Why a typed catalog and not Fluent files: a message is an enum variant, so a key that
//! does not exist is a compile error, and a test can walk `ALL` to prove that every
//! message has both languages with the same placeholders. Each area keeps its messages in
//! its own module (`till`, `backoffice`, ...) declared with [`catalog!`], so two areas
//! never edit the same list.
//!
//! Placeholders are `{name}` in the text, filled by [`Template::fill`]; `{{` and `}}` write
//! a brace. Pure code: no I/O, no clock.

pub mod backoffice;
pub mod backoffice_customers;
pub mod backoffice_dash;
pub mod backoffice_rules;
pub mod backoffice_stock;
mod catalog;
pub mod format;
pub mod till;
pub mod till_archive;
pub mod till_devices;
pub mod till_display;
pub mod till_rules;
pub mod till_tenders;
pub mod till_words;

pub use catalog::{check_templates, placeholders, Template};
pub use format::Fmt;

/// The language a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// French, the default everywhere.
    #[default]
    Fr,
    /// English.
    En,
}

/// A language code that is neither `fr` nor `en`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown language {0:?}: use \"fr\" (French) or \"en\" (English)")]
pub struct UnknownLang(pub String);

impl Lang {
    /// Every language, French first.
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// Reads `fr`, `fr-FR`, `en`, `en-GB`... (case-insensitive; the region is ignored).
    pub fn parse(code: &str) -> Result<Lang, UnknownLang> {
        let primary = code
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(code.chars().take(40).collect())),
        }
    }

    /// The code written in configuration files and `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// Declares an area's messages: an enum whose variants are the keys, with the French and
/// English text of each.
///
/// ```
/// comptoir_i18n::catalog! {
///     /// Messages of an example screen.
///     pub enum Demo {
///         Welcome => { fr: "Bienvenue", en: "Welcome" },
///         Total => { fr: "Total : {amount}", en: "Total: {amount}" },
///     }
/// }
/// use comptoir_i18n::{Lang, Template};
/// assert_eq!(Demo::Welcome.text(Lang::Fr), "Bienvenue");
/// assert_eq!(Demo::Total.fill(Lang::En, &[("amount", &"€2.50")]), "Total: €2.50");
/// assert!(comptoir_i18n::check_templates(Demo::ALL).is_empty());
/// ```
#[macro_export]
macro_rules! catalog {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $key:ident => { fr: $fr:literal, en: $en:literal } ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $key ),*
        }

        impl $name {
            /// Every message of this area, for the catalog's tests.
            pub const ALL: &'static [$name] = &[ $( $name::$key ),* ];
        }

        impl $crate::Template for $name {
            fn template(self, lang: $crate::Lang) -> &'static str {
                match (self, lang) {
                    $(
                        ($name::$key, $crate::Lang::Fr) => $fr,
                        ($name::$key, $crate::Lang::En) => $en,
                    )*
                }
            }

            fn key(self) -> &'static str {
                match self {
                    $( $name::$key => stringify!($key) ),*
                }
            }
        }
    };
}
