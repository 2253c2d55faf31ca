//! Each shop rule through the counter's pure core, as the app applies it:
//! a `[rules]` table read as till.toml writes it, key presses in, the
//! approval dialog and the journal records out. One test per rule, plus
//! the abandoned basket (F10) and the sale after the day's Z.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use rust_decimal::Decimal;
use std::time::Instant;
use till::app::counter::{Counter, Effect, Input, Now, PinFor, Setup, Then};
use till::app::devices::{Job, Report};
use till::app::rules::{CounterRules, RulesSource};
use till::app::{Key, Level, Screen, Settings};
use till_core::auth::{Action, Role, User};
use till_core::barcode::with_check_digit;
use till_core::records::Event;
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

fn cashier() -> User {
    user("c1", "Camille", Role::Cashier)
}
fn supervisor() -> User {
    user("s1", "Sacha", Role::Supervisor)
}
fn manager() -> User {
    user("m1", "Morgane", Role::Manager)
}

/// The `[rules]` table of a till.toml, read as `till run` reads it.
fn rules(toml_text: &str) -> Ruleset {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("till.toml");
    std::fs::write(
        &p,
        format!("[till]\nterminal_id = \"T1\"\n\n[rules]\n{toml_text}"),
    )
    .unwrap();
    till::app::rules::load_local(&p).unwrap().unwrap()
}

struct Drive {
    c: Counter,
    now: Now,
}

impl Drive {
    fn new(r: &Ruleset, history: SalesHistory, last_closed: Option<chrono::NaiveDate>) -> Drive {
        let (items, demo_patterns) = till::demo::catalog().unwrap();
        let patterns = r.patterns().unwrap_or(demo_patterns);
        let now = Now {
            wall: t0(),
            mono: Instant::now(),
        };
        let setup = Setup {
            terminal_id: "T1".into(),
            catalog: Catalog::new(items, patterns).unwrap(),
            users: vec![cashier(), supervisor(), manager()],
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
            last_closed,
            next_sale_no: Ok(1),
            history,
        };
        let mut d = Drive {
            c: Counter::new(setup, now),
            now,
        };
        d.on(Input::Start { pending: None });
        d.login();
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

    fn login(&mut self) {
        self.typed("1111\n");
        let fx = self.on(Input::PinChecked {
            user: Some(cashier()),
            locked: false,
            purpose: PinFor::Login,
        });
        let (_, _, then) = append_of(&fx);
        self.journaled(then);
        assert!(matches!(self.c.screen(), Screen::Sale));
    }

    /// `n` of the demo article priced `price`.
    fn ring(&mut self, n: u32, price: &str) {
        let price: Decimal = price.parse().unwrap();
        let id = self
            .c
            .catalog()
            .items()
            .iter()
            .find(|i| i.price == price && i.unit == till_core::records::Unit::Piece)
            .map(|i| i.id.clone())
            .unwrap_or_else(|| panic!("no demo article at {price}"));
        let fx = self.typed(&format!("{n}*{id}\n"));
        assert!(
            self.c.message().is_none_or(|m| m.0 == Level::Info),
            "{:?}",
            self.c.message()
        );
        assert!(fx.iter().all(|e| matches!(e, Effect::SaveBasket)), "{fx:?}");
    }

    /// The supervisor's (or `who`'s) PIN in the approval dialog; the
    /// approval's journal record and what follows it once durable.
    fn approve_as(&mut self, who: User) -> (Event, Vec<Effect>) {
        let fx = self.typed("2222\n");
        assert!(
            matches!(
                &fx[..],
                [Effect::CheckPin {
                    purpose: PinFor::Approval,
                    ..
                }]
            ),
            "{fx:?}"
        );
        let fx = self.on(Input::PinChecked {
            user: Some(who),
            locked: false,
            purpose: PinFor::Approval,
        });
        let (event, _, then) = append_of(&fx);
        let event = event.clone();
        let after = self.journaled(then);
        (event, after)
    }

    /// Pays cash, exact: the sale record asked for (or the dialog).
    fn pay_cash(&mut self) -> Vec<Effect> {
        self.key(Key::F(8));
        assert!(matches!(self.c.screen(), Screen::Payment));
        self.key(Key::F(1))
    }
}

fn append_of(fx: &[Effect]) -> (&Event, bool, Then) {
    let appends: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Append {
                event,
                clear_basket,
                then,
                ..
            } => Some((event, *clear_basket, then.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(appends.len(), 1, "{fx:?}");
    appends.into_iter().next().unwrap()
}

fn no_append(fx: &[Effect]) -> bool {
    !fx.iter().any(|e| matches!(e, Effect::Append { .. }))
}

fn sale_of(fx: &[Effect]) -> till_core::records::SaleRecord {
    match append_of(fx).0 {
        Event::SaleCompleted(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

fn asked(d: &Drive) -> Action {
    d.c.approval()
        .map(|a| a.req.action)
        .expect("an approval dialog")
}

#[test]
fn max_order_amount_from_the_rules_needs_a_supervisor() {
    // Built-in rules: no maximum, 12,00 € sells at once.
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), None);
    d.ring(10, "1.20");
    sale_of(&d.pay_cash());

    let mut d = Drive::new(
        &rules("max_order_amount = 10"),
        SalesHistory::default(),
        None,
    );
    d.ring(10, "1.20");
    let fx = d.pay_cash();
    assert!(no_append(&fx), "{fx:?}");
    assert_eq!(asked(&d), Action::ExceedPurchaseRule);
    assert!(
        d.c.approval().unwrap().req.detail.contains("12,00"),
        "{:?}",
        d.c.approval()
    );
    let (granted, after) = d.approve_as(supervisor());
    assert!(matches!(&granted, Event::ApprovalGranted(a) if a.approved_by == "s1"));
    let sale = sale_of(&after);
    assert_eq!(sale.total, Decimal::new(1200, 2));
    assert!(sale
        .approvals
        .iter()
        .any(|a| a.action == "exceed_purchase_rule"));
}

#[test]
fn a_basket_three_times_the_average_is_approved_and_journaled_flagged() {
    let r = rules("anomaly_factor = 3\nanomaly_min_sales = 10");
    // 10 sales, 200 € together: an average basket of 20 €, so 60 € is the limit.
    let history = SalesHistory {
        count: 10,
        total: Decimal::from(200),
    };
    // 50 €: under the limit, sold at once, not flagged.
    let mut d = Drive::new(&r, history, None);
    d.ring(8, "1.30");
    d.ring(40, "0.99");
    assert_eq!(d.c.basket().unwrap().totals().total, Decimal::from(50));
    let sale = sale_of(&d.pay_cash());
    assert!(sale.flags.is_empty(), "{:?}", sale.flags);
    assert!(d.c.approval().is_none());

    // 70 €: a supervisor approves, and the sale is journaled flagged.
    let mut d = Drive::new(&r, history, None);
    d.ring(50, "1.40");
    assert_eq!(d.c.basket().unwrap().totals().total, Decimal::from(70));
    let fx = d.pay_cash();
    assert!(no_append(&fx), "{fx:?}");
    assert_eq!(asked(&d), Action::AnomalyBasket);
    let (_, after) = d.approve_as(supervisor());
    let sale = sale_of(&after);
    assert_eq!(
        sale.flags,
        vec![till_core::basket::FLAG_ABOVE_AVERAGE.to_string()]
    );
    assert!(sale
        .approvals
        .iter()
        .any(|a| a.action == "anomaly_basket" && a.approved_by == "s1"));
}

#[test]
fn below_anomaly_min_sales_there_is_no_anomaly_check() {
    let r = rules("anomaly_factor = 3\nanomaly_min_sales = 11");
    let history = SalesHistory {
        count: 10,
        total: Decimal::from(200),
    };
    let mut d = Drive::new(&r, history, None);
    d.ring(50, "1.40");
    let sale = sale_of(&d.pay_cash());
    assert!(sale.flags.is_empty());
}

#[test]
fn each_sale_recorded_moves_the_rolling_average() {
    let r = rules("anomaly_min_sales = 1");
    let mut d = Drive::new(&r, SalesHistory::default(), None);
    d.ring(10, "1.20");
    let fx = d.pay_cash();
    let (_, _, then) = append_of(&fx);
    assert_eq!(d.c.history().count, 0, "not before the journal has it");
    d.journaled(then);
    assert_eq!(
        *d.c.history(),
        SalesHistory {
            count: 1,
            total: Decimal::new(1200, 2)
        }
    );
    assert_eq!(d.c.history().average(1), Some(Decimal::new(1200, 2)));
}

#[test]
fn cash_rounding_from_the_rules() {
    let mut d = Drive::new(
        &rules("cash_rounding = 0.05"),
        SalesHistory::default(),
        None,
    );
    d.ring(1, "1.09");
    let sale = sale_of(&d.pay_cash());
    assert_eq!(sale.total, Decimal::new(109, 2));
    assert_eq!(sale.rounding, Decimal::new(1, 2), "1,09 paid 1,10 in cash");
    // Built-in: no rounding.
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), None);
    d.ring(1, "1.09");
    assert!(d.pay_cash().iter().any(|e| matches!(e, Effect::Append { event: Event::SaleCompleted(s), .. } if s.rounding.is_zero())));
}

#[test]
fn label_patterns_from_the_rules() {
    let r = rules("label_patterns = [\"23.....{WWWWW}\"]");
    let mut d = Drive::new(&r, SalesHistory::default(), None);
    // 1,250 kg of the article 40001 on this shop's own scale labels.
    let label = with_check_digit("234000101250").unwrap();
    d.on(Input::Device(Report::Scanned(label)));
    let b = d.c.basket().expect("the weighed line");
    assert_eq!(b.lines()[0].item_id, "40001");
    assert_eq!(b.lines()[0].quantity, Decimal::new(1250, 3));
    // The French 21 prefix is not this shop's any more.
    let old = with_check_digit("214000101250").unwrap();
    d.on(Input::Device(Report::Scanned(old)));
    assert_eq!(d.c.basket().unwrap().lines().len(), 1);
    assert_eq!(d.c.message().map(|m| m.0), Some(Level::Error));
}

#[test]
fn drawer_left_open_alert_after_the_configured_seconds() {
    let status = |drawer_open| {
        Input::Device(Report::Status {
            printer: "prête".into(),
            ready: true,
            drawer_open: Some(drawer_open),
        })
    };
    let mut d = Drive::new(
        &rules("drawer_left_open_seconds = 20"),
        SalesHistory::default(),
        None,
    );
    let opened = d.now.mono;
    d.on(status(true));
    let s = d.c.status();
    assert_eq!(
        s.drawer_left_open(opened + std::time::Duration::from_secs(19)),
        None
    );
    assert_eq!(
        s.drawer_left_open(opened + std::time::Duration::from_secs(20)),
        Some(20)
    );
    d.on(status(false));
    assert_eq!(
        d.c.status()
            .drawer_left_open(opened + std::time::Duration::from_secs(90)),
        None
    );
    // Built-in: 60 s.
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), None);
    let opened = d.now.mono;
    d.on(status(true));
    assert_eq!(
        d.c.status()
            .drawer_left_open(opened + std::time::Duration::from_secs(20)),
        None
    );
    assert!(d
        .c
        .status()
        .drawer_left_open(opened + std::time::Duration::from_secs(60))
        .is_some());
}

#[test]
fn the_permission_table_changes_who_must_approve() {
    // Built-in: a cashier's "no sale" needs a supervisor.
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), None);
    d.key(Key::F(9));
    let fx = d.key(Key::Char('5'));
    assert!(no_append(&fx));
    assert_eq!(asked(&d), Action::NoSaleDrawer);

    // The shop lets cashiers open the drawer alone.
    let mut d = Drive::new(
        &rules("permissions = { no_sale_drawer = \"cashier\" }"),
        SalesHistory::default(),
        None,
    );
    d.key(Key::F(9));
    let fx = d.key(Key::Char('5'));
    assert!(matches!(append_of(&fx).0, Event::DrawerOpened(o) if o.approved_by.is_none()));
    assert!(d.c.approval().is_none());

    // A discount over the threshold is a manager's call: a supervisor's PIN is refused.
    let r = rules("[rules.permissions]\ndiscount_over_threshold = \"manager\"");
    let mut d = Drive::new(&r, SalesHistory::default(), None);
    d.ring(1, "4.95");
    d.typed("30");
    let fx = d.key(Key::F(5));
    assert!(no_append(&fx));
    assert_eq!(asked(&d), Action::DiscountOverThreshold);
    assert_eq!(d.c.approval().unwrap().req.min_role, Role::Manager);
    d.typed("2222\n");
    let fx = d.on(Input::PinChecked {
        user: Some(supervisor()),
        locked: false,
        purpose: PinFor::Approval,
    });
    assert!(no_append(&fx), "{fx:?}");
    assert!(d.c.approval().unwrap().error.is_some());
    let (granted, _) = d.approve_as(manager());
    assert!(matches!(granted, Event::ApprovalGranted(a) if a.approved_by == "m1"));
    assert!(d.c.approval().is_none());
    assert!(d.c.basket().unwrap().basket_discount().is_some());
}

#[test]
fn f10_asks_then_journals_the_abandoned_basket_with_its_lines() {
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), None);
    d.ring(2, "1.20");
    d.ring(1, "4.95");
    // Asked first: nothing recorded, nothing dropped.
    assert!(d.key(Key::F(10)).is_empty());
    assert!(d.c.confirming_abandon());
    assert_eq!(d.c.message().map(|m| m.0), Some(Level::Error));
    assert!(
        d.c.message().unwrap().1.contains("7,35"),
        "{:?}",
        d.c.message()
    );
    // Esc: kept.
    assert!(d.key(Key::Esc).is_empty());
    assert_eq!(d.c.live_lines().len(), 2);
    // F10 twice: journaled with its lines, the saved basket cleared with it.
    d.key(Key::F(10));
    let fx = d.key(Key::F(10));
    let (event, clear_basket, then) = append_of(&fx);
    let Event::BasketAbandoned(a) = event else {
        panic!("{event:?}")
    };
    assert!(clear_basket);
    assert_eq!(a.operator, "c1");
    assert_eq!(a.lines.len(), 2);
    assert_eq!(a.total, Decimal::new(735, 2));
    assert_eq!(a.approved_by, None);
    // The journal refuses: the basket stays on screen.
    d.on(Input::JournalFailed {
        why: "disque plein".into(),
        full: "disque plein".into(),
        then: then.clone(),
    });
    assert!(d.c.basket().is_some());
    assert!(d.c.message().unwrap().1.contains("NON enregistré"));
    // Durable: gone from the counter.
    d.journaled(then);
    assert!(d.c.basket().is_none());
    assert!(d.c.message().unwrap().1.contains("enregistrée au journal"));
}

#[test]
fn abandoning_needs_an_approval_when_the_rules_say_so() {
    let r = rules("permissions = { abandon_basket = \"supervisor\" }");
    let mut d = Drive::new(&r, SalesHistory::default(), None);
    d.ring(1, "4.95");
    d.key(Key::F(10));
    let fx = d.key(Key::Enter);
    assert!(no_append(&fx));
    assert_eq!(asked(&d), Action::AbandonBasket);
    let (_, after) = d.approve_as(supervisor());
    let (event, _, then) = append_of(&after);
    assert!(matches!(event, Event::BasketAbandoned(a) if a.approved_by.as_deref() == Some("s1")));
    d.journaled(then);
    assert!(d.c.basket().is_none());
}

#[test]
fn a_sale_after_the_z_counts_on_the_next_business_day_on_screen_and_receipt() {
    let today = t0().date_naive();
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), Some(today));
    d.ring(1, "1.20");
    let (level, msg) = d.c.message().unwrap().clone();
    assert_eq!(level, Level::Info);
    assert!(
        msg.contains("23/11/2026") && msg.contains("24/11/2026"),
        "{msg}"
    );
    let fx = d.pay_cash();
    let sale = sale_of(&fx);
    assert_eq!(sale.business_day, today + Duration::days(1));
    let (_, _, then) = append_of(&fx);
    let fx = d.journaled(then);
    let printed = fx
        .iter()
        .find_map(|e| match e {
            Effect::Device(Job::Print { bytes, .. }) => Some(bytes.clone()),
            _ => None,
        })
        .expect("a receipt");
    let needle = b"comptable : 24/11/2026";
    assert!(
        printed.windows(needle.len()).any(|w| w == needle),
        "business day printed"
    );

    // A day still open: nothing said, nothing printed about it.
    let mut d = Drive::new(&Ruleset::default(), SalesHistory::default(), None);
    d.ring(1, "1.20");
    assert!(d.c.message().is_none());
    let fx = d.pay_cash();
    let (_, _, then) = append_of(&fx);
    let fx = d.journaled(then);
    let printed = fx
        .iter()
        .find_map(|e| match e {
            Effect::Device(Job::Print { bytes, .. }) => Some(bytes.clone()),
            _ => None,
        })
        .unwrap();
    assert!(!printed.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn the_header_says_whose_rules_apply() {
    use comptoir_i18n::Lang;
    assert_eq!(RulesSource::HeadOffice(3).label(Lang::Fr), "Règles v3");
    assert_eq!(RulesSource::Local.label(Lang::Fr), "Règles locales");
    assert_eq!(RulesSource::HeadOffice(3).label(Lang::En), "Rules v3");
    let d = Drive::new(
        &rules("cash_rounding = 0.05"),
        SalesHistory::default(),
        None,
    );
    assert_eq!(d.c.rules_label(), "Règles locales");
}

#[test]
fn rules_out_of_bounds_or_unknown_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("till.toml");
    let err = |text: &str| {
        std::fs::write(&p, format!("[rules]\n{text}")).unwrap();
        format!("{:#}", till::app::rules::load_local(&p).unwrap_err())
    };
    let e = err("cash_rounding = 5");
    assert!(
        e.contains("cash_rounding") && e.contains("0.01 to 1"),
        "{e}"
    );
    let e = err("anomaly_factor = 0.5");
    assert!(
        e.contains("anomaly_factor") && e.contains("1.1 to 100"),
        "{e}"
    );
    let e = err("max_order_amount = 0");
    assert!(e.contains("max_order_amount"), "{e}");
    let e = err("drawer_left_open_seconds = 100000");
    assert!(
        e.contains("drawer_left_open_seconds") && e.contains("5 to 3600"),
        "{e}"
    );
    let e = err("max_order = 10");
    assert!(e.contains("max_order"), "{e}");
    let e = err("permissions = { manage_users = \"cashier\" }");
    assert!(e.contains("manage_users"), "{e}");
    // And the whole file is still refused on a typo elsewhere.
    std::fs::write(&p, "[rule]\nmax_order_amount = 10\n").unwrap();
    assert!(till::app::load_till_config(&p).is_err());
}
