//! A customer attached to the sale (F11: by name, number or loyalty card)
//! and the customer-account tender (F12 on the payment screen), through
//! the counter's pure core: refused in collection, a manager's approval
//! past the credit (which counts this till's unsynced account sales) or on
//! hold, the customer group's purchase rules, and the sale record carrying
//! the customer.

use chrono::{DateTime, FixedOffset, TimeZone};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::time::Instant;
use till::app::counter::{Counter, Effect, Input, Now, PinFor, Setup, Then};
use till::app::rules::{CounterRules, RulesSource};
use till::app::{Key, Level, Screen, Settings};
use till_core::auth::{Action, Role, User};
use till_core::customer::{AccountStatus, CustomerBook, CustomerKind, TillCustomer};
use till_core::records::{Event, SaleRecord, TenderKind};
use till_core::ruleset::{Ruleset, SalesHistory};
use till_core::{BasketConfig, Catalog};

fn t0() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .unwrap()
}

fn user(id: &str, name: &str, role: Role) -> User {
    User {
        id: id.into(),
        name: name.into(),
        role,
        pin_hash: String::new(),
    }
}

fn customer(number: &str, name: &str, status: AccountStatus, credit: i64) -> TillCustomer {
    TillCustomer {
        number: number.into(),
        name: name.into(),
        kind: CustomerKind::Business,
        group: None,
        status,
        available_credit: Decimal::from(credit),
        loyalty_card: None,
    }
}

struct Drive {
    c: Counter,
    now: Now,
}

impl Drive {
    fn new(r: &Ruleset) -> Drive {
        let (items, patterns) = till::demo::catalog().unwrap();
        let now = Now {
            wall: t0(),
            mono: Instant::now(),
        };
        let setup = Setup {
            terminal_id: "T1".into(),
            catalog: Catalog::new(items, patterns).unwrap(),
            users: vec![
                user("c1", "Camille", Role::Cashier),
                user("s1", "Sacha", Role::Supervisor),
                user("m1", "Morgane", Role::Manager),
            ],
            settings: Settings {
                shop: till::app::demo_shop(),
                basket: r.basket_config(BasketConfig::default()),
                layout: Default::default(),
                logo: None,
                receipts_hint: None,
                rules: CounterRules::from_ruleset(r, RulesSource::Local),
                lang: Default::default(),
            },
            has_terminal: false,
            basket: None,
            parked: Vec::new(),
            last_closed: None,
            next_sale_no: Ok(1),
            history: SalesHistory::default(),
        };
        let mut d = Drive {
            c: Counter::new(setup, now),
            now,
        };
        let mut card = customer("C2", "Garage Central", AccountStatus::OnHold, 500);
        card.loyalty_card = Some("2900000000017".into());
        let mut pro = customer("C5", "Hôtel du Port", AccountStatus::Open, 1000);
        pro.group = Some("pro".into());
        d.c.set_customers(
            CustomerBook::new(vec![
                customer("C1", "Boulangerie Dupré", AccountStatus::Open, 50),
                card,
                customer("C3", "Bar Tabac", AccountStatus::InCollection, 500),
                customer("C4", "Épicerie Fine", AccountStatus::Open, 100),
                pro,
            ]),
            // 20 € already put on C1's account here, not yet at head office.
            BTreeMap::from([("C1".to_string(), Decimal::from(20))]),
        );
        d.on(Input::Start { pending: None });
        d.typed("1111\n");
        let fx = d.on(Input::PinChecked {
            user: Some(user("c1", "Camille", Role::Cashier)),
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

    /// `n` of the demo article at 1,20 €.
    fn ring(&mut self, n: u32) {
        let id = self
            .c
            .catalog()
            .items()
            .iter()
            .find(|i| i.price == Decimal::new(120, 2))
            .map(|i| i.id.clone())
            .expect("a demo article at 1,20");
        self.typed(&format!("{n}*{id}\n"));
    }

    /// What was typed, then F11.
    fn attach(&mut self, query: &str) -> Vec<Effect> {
        self.typed(query);
        self.key(Key::F(11))
    }

    /// F8 then F12: what is left, on the customer's account.
    fn on_account(&mut self) -> Vec<Effect> {
        self.key(Key::F(8));
        assert!(matches!(self.c.screen(), Screen::Payment));
        self.key(Key::F(12))
    }

    fn approve_as(&mut self, who: User) -> Vec<Effect> {
        self.typed("3333\n");
        let fx = self.on(Input::PinChecked {
            user: Some(who),
            locked: false,
            purpose: PinFor::Approval,
        });
        if self.c.approval().is_some() {
            return fx;
        }
        let (event, then) = append_of(&fx);
        assert!(matches!(event, Event::ApprovalGranted(_)), "{event:?}");
        self.journaled(then)
    }
}

fn append_of(fx: &[Effect]) -> (Event, Then) {
    let appends: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Append { event, then, .. } => Some((event.clone(), then.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(appends.len(), 1, "{fx:?}");
    appends.into_iter().next().unwrap()
}

fn sale_of(fx: &[Effect]) -> SaleRecord {
    match append_of(fx).0 {
        Event::SaleCompleted(s) => s,
        other => panic!("{other:?}"),
    }
}

fn on_account(s: &SaleRecord) -> Decimal {
    s.tenders
        .iter()
        .filter(|t| t.kind == TenderKind::CustomerAccount)
        .map(|t| t.amount)
        .sum()
}

fn error(d: &Drive) -> String {
    match d.c.message() {
        Some((Level::Error, m)) => m.clone(),
        other => panic!("no error: {other:?}"),
    }
}

#[test]
fn past_the_credit_a_manager_approves_and_the_sale_carries_the_customer() {
    let mut d = Drive::new(&Ruleset::default());
    d.ring(30); // 36,00 €; C1 may take 50 - 20 = 30 € more from this till.
    d.attach("dupre");
    assert_eq!(d.c.sale_customer().map(|c| c.number.as_str()), Some("C1"));
    assert_eq!(
        d.c.available_for(d.c.sale_customer().unwrap()),
        Decimal::from(30)
    );
    let fx = d.on_account();
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Append { .. })),
        "{fx:?}"
    );
    let dlg = d.c.approval().expect("an approval dialog");
    assert_eq!(dlg.req.action, Action::AccountOverride);
    assert_eq!(dlg.req.min_role, Role::Manager);
    // A supervisor may not; a manager may.
    d.approve_as(user("s1", "Sacha", Role::Supervisor));
    assert!(d.c.approval().is_some_and(|a| a.error.is_some()));
    let sale = sale_of(&d.approve_as(user("m1", "Morgane", Role::Manager)));
    assert_eq!(sale.customer.as_deref(), Some("C1"));
    assert_eq!(on_account(&sale), Decimal::from(36));
    assert!(sale
        .approvals
        .iter()
        .any(|a| a.action == "account_override" && a.approved_by == "m1"));
    let fx = d.journaled(Then::Sale(Box::new(sale)));
    let printed = fx.iter().find_map(|e| match e {
        Effect::Device(till::app::devices::Job::Print { bytes, .. }) => Some(bytes.clone()),
        _ => None,
    });
    let printed = String::from_utf8_lossy(&printed.expect("a receipt")).into_owned();
    assert!(printed.contains("C1 Boulangerie Dupr"), "{printed}");

    // That sale counts against the credit until head office has it:
    // even 1,20 € more needs the manager now.
    d.key(Key::Enter);
    d.ring(1);
    d.attach("C1");
    d.on_account();
    assert_eq!(
        d.c.approval().map(|a| a.req.action),
        Some(Action::AccountOverride)
    );
}

#[test]
fn within_the_credit_it_sells_at_once_and_collection_is_refused() {
    let mut d = Drive::new(&Ruleset::default());
    d.ring(10); // 12,00 €
    d.attach("C3");
    let fx = d.on_account();
    assert!(!fx.iter().any(|e| matches!(e, Effect::Append { .. })));
    assert!(d.c.approval().is_none());
    assert!(error(&d).contains("recouvrement"), "{}", error(&d));
    // Another customer for the same basket: within their credit.
    d.key(Key::Esc);
    d.attach("epicerie");
    let sale = sale_of(&d.on_account());
    assert_eq!(
        (sale.customer.as_deref(), on_account(&sale)),
        (Some("C4"), Decimal::from(12))
    );
    assert!(sale.approvals.is_empty());

    // Unknown, or nothing typed: said, nothing attached.
    let mut d = Drive::new(&Ruleset::default());
    d.ring(1);
    d.attach("nobody");
    assert!(error(&d).contains("nobody"));
    d.key(Key::F(11));
    assert!(d.c.sale_customer().is_none());
    // No customer: the account tender says to choose one.
    d.on_account();
    assert!(error(&d).contains("F11"), "{}", error(&d));
}

#[test]
fn a_loyalty_card_finds_the_customer_on_hold_asks_a_manager() {
    let mut d = Drive::new(&Ruleset::default());
    d.ring(1);
    d.attach("2900000000017");
    assert_eq!(d.c.sale_customer().map(|c| c.number.as_str()), Some("C2"));
    d.on_account();
    let dlg = d.c.approval().expect("dialog");
    assert_eq!(dlg.req.action, Action::AccountOverride);
    assert!(dlg.req.detail.contains("on hold"), "{}", dlg.req.detail);
    // Several names match: a list to pick from.
    let mut d = Drive::new(&Ruleset::default());
    d.ring(1);
    d.attach("e");
    assert!(matches!(d.c.screen(), Screen::Customers { results, .. } if results.len() > 1));
    d.key(Key::Down);
    d.key(Key::Enter);
    assert!(matches!(d.c.screen(), Screen::Sale));
    assert!(d.c.sale_customer().is_some());
}

#[test]
fn the_customer_group_s_order_limit_applies() {
    let r: Ruleset = toml::from_str("[customer_groups.pro]\nmax_order_amount = 10\n").unwrap();
    let mut d = Drive::new(&r);
    d.ring(10); // 12,00 € > the group's 10 €
    d.attach("C5");
    d.on_account();
    assert_eq!(
        d.c.approval().map(|a| a.req.action),
        Some(Action::ExceedPurchaseRule)
    );
}
