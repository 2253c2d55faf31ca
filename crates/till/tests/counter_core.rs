//! The counter's pure core driven alone: inputs in, effects and screens
//! out, no journal, no device, no clock. The shell's part (carrying the
//! effects out) is what app_flow.rs and the tmux tests prove.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use std::time::Instant;
use till::app::counter::{Counter, Effect, Input, Now, PinFor, Setup, Then};
use till::app::devices::Job;
use till::app::{Key, Level, Screen, Settings};
use till_core::auth::{Role, User};
use till_core::records::Event;
use till_core::{BasketConfig, Catalog};

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
        // PINs are checked by the shell: the core never reads this.
        pin_hash: String::new(),
    }
}

struct Drive {
    c: Counter,
    now: Now,
}

impl Drive {
    fn new(has_terminal: bool) -> Drive {
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
                basket: BasketConfig::default(),
                layout: Default::default(),
                logo: None,
                receipts_hint: None,
                rules: Default::default(),
                lang: Default::default(),
            },
            has_terminal,
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
        let fx = d.on(Input::Start { pending: None });
        assert!(matches!(fx[..], [Effect::RefreshStatus]), "{fx:?}");
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

    /// Answers an append as the journal would.
    fn journaled(&mut self, seq: u64, then: Then) -> Vec<Effect> {
        self.on(Input::Journaled {
            seq,
            hash: [7; 32],
            ts: self.now.wall,
            next_sale_no: Ok(1),
            then,
        })
    }

    fn login(&mut self) {
        let fx = self.typed("1111\n");
        assert!(
            matches!(&fx[..], [Effect::CheckPin { pin, purpose: PinFor::Login, .. }] if pin == "1111"),
            "{fx:?}"
        );
        let fx = self.on(Input::PinChecked {
            user: Some(cashier()),
            locked: false,
            purpose: PinFor::Login,
        });
        let [Effect::Append {
            event: Event::Login(_),
            then,
            ..
        }] = &fx[..]
        else {
            panic!("{fx:?}")
        };
        // Not logged in until the journal has it.
        assert!(self.c.user().is_none());
        let fx = self.journaled(2, then.clone());
        assert!(matches!(fx[..], [Effect::RefreshStatus]), "{fx:?}");
        assert!(matches!(self.c.screen(), Screen::Sale));
        assert_eq!(self.c.user().map(|u| u.id.as_str()), Some("c1"));
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

fn devices(fx: &[Effect]) -> Vec<&Job> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Device(j) => Some(j),
            _ => None,
        })
        .collect()
}

#[test]
fn a_sale_prints_and_opens_the_drawer_only_once_the_journal_has_it() {
    let mut d = Drive::new(false);
    d.login();
    let fx = d.typed("10001\n3*10002\n");
    assert!(fx.iter().all(|e| matches!(e, Effect::SaveBasket)), "{fx:?}");
    assert_eq!(fx.len(), 2);
    assert_eq!(d.c.live_lines().len(), 2);
    assert!(d.key(Key::F(8)).is_empty());
    assert!(matches!(d.c.screen(), Screen::Payment));
    let fx = d.key(Key::F(1));
    let (event, clear_basket, then) = append_of(&fx);
    let Event::SaleCompleted(sale) = event else {
        panic!("{event:?}")
    };
    assert_eq!(sale.sale_no, "T1-000001");
    assert!(clear_basket, "the basket slot is cleared with the sale");
    assert!(devices(&fx).is_empty(), "nothing before the record: {fx:?}");

    // The journal refuses: no receipt, no drawer, the sale stays on screen.
    let fx = d.on(Input::JournalFailed {
        why: "disk I/O error".into(),
        full: "disk I/O error".into(),
        then,
    });
    assert!(fx.is_empty(), "{fx:?}");
    let (level, msg) = d.c.message().unwrap();
    assert_eq!(*level, Level::Error);
    assert!(msg.contains("Vente NON enregistrée"), "{msg}");
    assert!(d.c.basket().is_some());
    assert!(matches!(d.c.screen(), Screen::Payment));

    // Enter on a paid basket records it again; this time it is durable.
    let fx = d.key(Key::Enter);
    let (_, _, then) = append_of(&fx);
    let fx = d.journaled(5, then);
    let jobs = devices(&fx);
    assert!(
        matches!(jobs[..], [Job::OpenDrawer, Job::Print { .. }]),
        "{jobs:?}"
    );
    let Job::Print { what, bytes } = jobs[1] else {
        unreachable!()
    };
    assert_eq!(what, "T1-000001");
    assert!(!bytes.is_empty());
    assert!(matches!(d.c.screen(), Screen::Done { .. }));
    assert!(d.c.basket().is_none());
    assert_eq!(d.c.last_sale(), Some(&(5, "T1-000001".to_string())));
}

#[test]
fn wrong_pins_lock_the_counter_for_the_time_passed_in() {
    let mut d = Drive::new(false);
    let nobody = |d: &mut Drive| {
        let fx = d.typed("9999\n");
        assert!(matches!(fx[..], [Effect::CheckPin { .. }]), "{fx:?}");
        d.on(Input::PinChecked {
            user: None,
            locked: false,
            purpose: PinFor::Login,
        })
    };
    for _ in 1..till_core::auth::MAX_PIN_FAILURES {
        assert!(nobody(&mut d).is_empty());
        assert_eq!(d.c.message().unwrap().1, "Code inconnu");
    }
    let fx = nobody(&mut d);
    let (event, _, then) = append_of(&fx);
    assert!(matches!(event, Event::ConfigChanged(c) if c.key == "till:pin_lockout"));
    d.journaled(3, then);
    assert!(d.c.message().unwrap().1.contains("verrouillée 60 s"));
    // Locked: the PIN is not even checked.
    d.now.wall = t0() + Duration::seconds(30);
    assert!(d.typed("1111\n").is_empty());
    assert!(d.c.message().unwrap().1.contains("réessayez dans 30 s"));
    // The time is up: checked again.
    d.now.wall = t0() + Duration::seconds(61);
    let fx = d.typed("1111\n");
    assert!(matches!(fx[..], [Effect::CheckPin { .. }]), "{fx:?}");
}

#[test]
fn a_card_payment_not_started_leaves_the_basket_unpaid() {
    let mut d = Drive::new(true);
    d.login();
    d.typed("10001\n");
    d.key(Key::F(8));
    let fx = d.key(Key::F(2));
    let [Effect::Pay { attempt, job }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert!(matches!(job, Job::Pay { attempt: a, .. } if *a == attempt.id));
    assert!(matches!(d.c.screen(), Screen::Paying { .. }));
    // The shell could not write the pending file: nothing was sent.
    let fx = d.on(Input::PayNotStarted {
        attempt: attempt.id,
        why: "paiement non lancé : fichier de suivi impossible à écrire (disque plein)".into(),
    });
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(d.c.screen(), Screen::Payment));
    assert!(d.c.terminal().paying.is_none());
    assert!(d.c.basket().unwrap().tenders().is_empty());
    assert!(d.c.message().unwrap().1.contains("paiement non lancé"));
}

#[test]
fn a_parked_sale_leaves_the_counter_only_once_written() {
    let mut d = Drive::new(false);
    d.login();
    d.typed("10001\n");
    let fx = d.key(Key::F(7));
    let [Effect::SaveParked {
        list,
        parking: true,
    }] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(list.len(), 1);
    // Refused by the disk: the sale stays on the counter.
    let fx = d.on(Input::ParkedSaved {
        parking: true,
        result: Err("disque plein".into()),
    });
    assert!(fx.is_empty());
    assert!(d.c.basket().is_some());
    assert!(d.c.parked().is_empty());
    // Written: the counter is free, the basket slot cleared.
    d.key(Key::F(7));
    let fx = d.on(Input::ParkedSaved {
        parking: true,
        result: Ok(()),
    });
    assert!(matches!(fx[..], [Effect::SaveBasket]), "{fx:?}");
    assert!(d.c.basket().is_none());
    assert_eq!(d.c.parked().len(), 1);
}
