//! The payment screen's tenders through the counter's pure core: the bank
//! transfer's key, and the tenders a shop defines in till.toml's
//! `[[tenders]]` (titres-restaurant, paper and card), read as `till run`
//! reads them; key presses in, messages, journal records, drawer and
//! receipt out. And the French refusals of a wrong `[[tenders]]` entry.

use chrono::{DateTime, FixedOffset, TimeZone};
use rust_decimal::Decimal;
use std::time::Instant;
use till::app::counter::{Counter, Effect, Input, Now, PinFor, Setup, Then};
use till::app::devices::Job;
use till::app::rules::{CounterRules, RulesSource};
use till::app::{Key, Level, Screen, Settings};
use till_core::auth::{Role, User};
use till_core::records::{Event, SaleRecord, TenderKind};
use till_core::ruleset::Ruleset;
use till_core::{BasketConfig, Catalog};

const TITRES: &str = r#"
[[tenders]]
code = "titre_restaurant"
label = "Titres-restaurant"
short_label = "TR papier"
opens_drawer = true
pays_for = "meal_voucher"
excess = "lost"

[[tenders]]
code = "titre_restaurant_carte"
label = "Titres-restaurant carte"
short_label = "TR carte"
pays_for = "meal_voucher"
"#;

fn t0() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

fn cashier() -> User {
    User {
        id: "c1".into(),
        name: "Camille".into(),
        role: Role::Cashier,
        pin_hash: String::new(),
    }
}

/// A till.toml's text read as `till run` reads it: Ok(None) without
/// `[rules]` nor `[[tenders]]`, the refusal as printed (`{:#}`).
fn load(text: &str) -> Result<Option<Ruleset>, String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("till.toml");
    std::fs::write(&p, format!("[till]\nterminal_id = \"T1\"\n{text}")).unwrap();
    till::app::load_till_config(&p).map_err(|e| format!("{e:#}"))?;
    till::app::rules::load_local(&p).map_err(|e| format!("{e:#}"))
}

struct Drive {
    c: Counter,
    now: Now,
}

impl Drive {
    fn new(toml_text: &str) -> Drive {
        let r = load(toml_text).unwrap().unwrap_or_default();
        let (items, patterns) = till::demo::catalog().unwrap();
        let now = Now {
            wall: t0(),
            mono: Instant::now(),
        };
        let setup = Setup {
            terminal_id: "T1".into(),
            catalog: Catalog::new(items, patterns).unwrap(),
            users: vec![cashier()],
            settings: Settings {
                shop: till::app::demo_shop(),
                basket: r.basket_config(BasketConfig::default()),
                layout: Default::default(),
                logo: None,
                receipts_hint: None,
                rules: CounterRules::from_ruleset(&r, RulesSource::Local),
                lang: Default::default(),
            },
            has_terminal: false,
            basket: None,
            parked: Vec::new(),
            last_closed: None,
            next_sale_no: Ok(1),
            history: Default::default(),
        };
        let mut d = Drive {
            c: Counter::new(setup, now),
            now,
        };
        d.on(Input::Start { pending: None });
        d.typed("1111\n");
        let fx = d.on(Input::PinChecked {
            user: Some(cashier()),
            locked: false,
            purpose: PinFor::Login,
        });
        let (_, then) = append_of(&fx);
        d.journaled(then);
        d
    }

    fn on(&mut self, input: Input) -> Vec<Effect> {
        self.c.on(input, self.now)
    }

    fn typed(&mut self, s: &str) -> Vec<Effect> {
        Key::typed(s)
            .into_iter()
            .flat_map(|k| self.on(Input::Key(k)))
            .collect()
    }

    fn key(&mut self, k: Key) -> Vec<Effect> {
        self.on(Input::Key(k))
    }

    fn journaled(&mut self, then: Then) -> Vec<Effect> {
        self.on(Input::Journaled {
            seq: 9,
            hash: [7; 32],
            ts: self.now.wall,
            next_sale_no: Ok(2),
            then,
        })
    }

    /// `n` of the demo article named `name`.
    fn ring(&mut self, n: u32, name: &str) {
        let id = self
            .c
            .catalog()
            .items()
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.id.clone())
            .unwrap_or_else(|| panic!("no demo article {name}"));
        self.typed(&format!("{n}*{id}\n"));
        assert!(
            self.c.message().is_none_or(|m| m.0 == Level::Info),
            "{:?}",
            self.c.message()
        );
    }

    fn to_payment(&mut self) {
        self.key(Key::F(8));
        assert!(matches!(self.c.screen(), Screen::Payment));
    }

    fn message(&self) -> String {
        self.c.message().map(|m| m.1.clone()).unwrap_or_default()
    }

    fn remaining(&self) -> Decimal {
        self.c.basket().unwrap().payment_status().remaining
    }
}

fn append_of(fx: &[Effect]) -> (&Event, Then) {
    let appends: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Append { event, then, .. } => Some((event, then.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(appends.len(), 1, "{fx:?}");
    appends.into_iter().next().unwrap()
}

/// The sale the effects ask to journal, and what follows once it is.
fn sale_of(d: &mut Drive, fx: &[Effect]) -> (SaleRecord, Vec<Effect>) {
    let (event, then) = append_of(fx);
    let Event::SaleCompleted(rec) = event.clone() else {
        panic!("{event:?}")
    };
    assert!(rec.check().is_ok(), "{:?}", rec.check());
    let after = d.journaled(then);
    (rec, after)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn shop(code: &str) -> TenderKind {
    TenderKind::parse(code).unwrap()
}

#[test]
fn a_bank_transfer_has_its_key_is_journaled_and_opens_no_drawer() {
    let mut d = Drive::new("");
    d.ring(2, "Baguette tradition");
    d.to_payment();
    assert!(
        d.c.payment_keys_line(false).contains("F7 Virement"),
        "{}",
        d.c.payment_keys_line(false)
    );
    let fx = d.key(Key::F(7));
    let (rec, after) = sale_of(&mut d, &fx);
    assert_eq!(rec.tenders.len(), 1);
    assert_eq!(rec.tenders[0].kind, TenderKind::BankTransfer);
    assert_eq!(rec.tenders[0].amount, dec("2.60"));
    assert!(
        !after
            .iter()
            .any(|e| matches!(e, Effect::Device(Job::OpenDrawer))),
        "{after:?}"
    );
    assert!(after
        .iter()
        .any(|e| matches!(e, Effect::Device(Job::Print { .. }))));
}

#[test]
fn a_paper_titre_pays_the_food_its_excess_is_confirmed_as_lost_and_cash_pays_the_rest() {
    let mut d = Drive::new(TITRES);
    // 2 x 1,30 of bread (eligible) and 6,90 of wine (not): 9,50.
    d.ring(2, "Baguette tradition");
    d.ring(1, "Vin rouge Côtes-du-Rhône");
    d.to_payment();
    let line = d.c.payment_keys_line(false);
    assert!(
        line.contains("F8 Titres-restaurant") && line.contains("F9 Titres-restaurant carte"),
        "{line}"
    );
    assert!(d.c.payment_keys_line(true).contains("F8 TR papier"));
    // A 10,00 € titre for 2,60 € of bread: the cashier is told first.
    let fx = d.typed("10");
    assert!(fx.is_empty());
    let fx = d.key(Key::F(8));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Append { .. })),
        "{fx:?}"
    );
    let m = d.message();
    assert!(m.starts_with("Le client perd 7,40 €"), "{m}");
    assert!(m.contains("Entrée : accepter"), "{m}");
    assert!(d.c.confirming_loss());
    assert!(d.c.basket().unwrap().tenders().is_empty());
    // Enter: taken for 2,60, the rest stays to pay.
    d.key(Key::Enter);
    assert!(!d.c.confirming_loss());
    assert!(
        d.message().contains("2,60 € payés, 7,40 € perdus"),
        "{}",
        d.message()
    );
    assert_eq!(d.remaining(), dec("6.90"));
    // Nothing eligible is left: F8 again says so and takes nothing.
    d.key(Key::F(8));
    assert!(
        d.message().contains("plus rien à payer ainsi"),
        "{}",
        d.message()
    );
    assert_eq!(d.c.basket().unwrap().tenders().len(), 1);
    // Cash pays the rest.
    let fx = d.typed("10");
    assert!(fx.is_empty());
    let fx = d.key(Key::F(1));
    let (rec, after) = sale_of(&mut d, &fx);
    assert_eq!(rec.tenders[0].kind, shop("titre_restaurant"));
    assert_eq!(rec.tenders[0].amount, dec("2.60"));
    assert_eq!(
        rec.tenders[0].reference.as_deref(),
        Some("face_value=10.00")
    );
    assert_eq!(rec.tenders[1].kind, TenderKind::Cash);
    assert_eq!(rec.change, dec("3.10"));
    // The journal keeps the code.
    let json = String::from_utf8(Event::SaleCompleted(rec.clone()).payload()).unwrap();
    assert!(json.contains(r#""kind":"titre_restaurant""#), "{json}");
    assert!(after
        .iter()
        .any(|e| matches!(e, Effect::Device(Job::OpenDrawer))));
}

#[test]
fn a_titre_handed_back_is_not_taken() {
    let mut d = Drive::new(TITRES);
    d.ring(1, "Baguette tradition");
    d.to_payment();
    d.typed("5");
    d.key(Key::F(8));
    assert!(d.c.confirming_loss());
    d.key(Key::Esc);
    assert!(d.message().contains("Titre non pris"), "{}", d.message());
    assert!(d.c.basket().unwrap().tenders().is_empty());
    assert!(matches!(d.c.screen(), Screen::Payment));
}

#[test]
fn the_cap_is_shared_by_paper_and_card_and_a_card_titre_is_never_above_its_room() {
    let mut d = Drive::new(TITRES);
    // 4 x 7,90 of olive oil: 31,60 of food, above the 25,00 cap.
    d.ring(4, "Huile d'olive 75 cl");
    d.to_payment();
    d.typed("15");
    let fx = d.key(Key::F(8));
    assert!(fx.iter().all(|e| matches!(e, Effect::SaveBasket)), "{fx:?}");
    // The card titre: 12,00 is above the 10,00 left under the cap.
    d.typed("12");
    d.key(Key::F(9));
    let m = d.message();
    assert!(
        m.contains("au plus 10,00 €") && m.contains("plafond de 25,00 €"),
        "{m}"
    );
    assert!(!d.c.confirming_loss(), "a card titre is never a loss");
    assert_eq!(d.c.basket().unwrap().tenders().len(), 1);
    // Nothing typed: what it may pay.
    d.key(Key::F(9));
    assert_eq!(d.c.basket().unwrap().tenders()[1].amount, dec("10.00"));
    assert_eq!(d.remaining(), dec("6.60"));
    d.key(Key::F(8));
    assert!(
        d.message().contains("plafond de 25,00 € atteint"),
        "{}",
        d.message()
    );
    let fx = d.key(Key::F(2));
    let (rec, after) = sale_of(&mut d, &fx);
    assert_eq!(rec.tenders.len(), 3);
    assert_eq!(rec.change, Decimal::ZERO);
    // Paper titres went in: the drawer opens.
    assert!(after
        .iter()
        .any(|e| matches!(e, Effect::Device(Job::OpenDrawer))));
}

#[test]
fn a_basket_without_food_takes_no_titre_and_the_cap_is_configurable() {
    let mut d = Drive::new(TITRES);
    d.ring(1, "Liquide vaisselle");
    d.to_payment();
    d.typed("5");
    d.key(Key::F(8));
    assert!(
        d.message().contains("aucun article de cette vente"),
        "{}",
        d.message()
    );
    let mut d = Drive::new(&format!("[rules]\nmeal_voucher_cap = 19\n{TITRES}"));
    d.ring(4, "Huile d'olive 75 cl");
    d.to_payment();
    d.key(Key::F(9));
    assert_eq!(d.c.basket().unwrap().tenders()[0].amount, dec("19.00"));
}

#[test]
fn a_wrong_tenders_entry_is_refused_in_french_naming_the_key() {
    let e = load("[[tenders]]\ncode = \"cash\"\nlabel = \"Espèces bis\"\n").unwrap_err();
    assert!(e.contains("[[tenders]] cash, clé code"), "{e}");
    assert!(e.contains("n'est pas un code"), "{e}");
    let e = load("[[tenders]]\ncode = \"tr\"\nlabel = \"\"\n").unwrap_err();
    assert!(
        e.contains("[[tenders]] tr, clé label : de 1 à 32 caractères"),
        "{e}"
    );
    let e = load("[[tenders]]\ncode = \"tr\"\nlabel = \"TR\"\nmax_per_sale = 0\n").unwrap_err();
    assert!(e.contains("clé max_per_sale : 0,00 hors de 0,01"), "{e}");
    let e = load(
        "[[tenders]]\ncode = \"tr\"\nlabel = \"TR\"\ngives_change = true\nexcess = \"lost\"\n",
    )
    .unwrap_err();
    assert!(e.contains("clé excess"), "{e}");
    let e = load("[[tenders]]\ncode = \"tr\"\nlabel = \"TR\"\ngives_chnage = true\n").unwrap_err();
    assert!(
        e.contains("[[tenders]] n° 1") && e.contains("gives_chnage"),
        "{e}"
    );
    let e = load("[[tenders]]\nlabel = \"TR\"\n").unwrap_err();
    assert!(e.contains("la clé code (texte) manque"), "{e}");
    let e = load(&format!(
        "{TITRES}\n[[tenders]]\ncode = \"titre_restaurant\"\nlabel = \"x\"\n"
    ))
    .unwrap_err();
    assert!(e.contains("défini deux fois"), "{e}");
    let e = load("[rules]\n[[rules.tenders]]\ncode = \"tr\"\nlabel = \"TR\"\n").unwrap_err();
    assert!(e.contains("hors de [rules]"), "{e}");
    // The shipped example's entries load once uncommented.
    assert_eq!(load(TITRES).unwrap().unwrap().tenders.len(), 2);
}
