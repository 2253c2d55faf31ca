//! A customer added at head office buys on account at a till, end to end:
//! `headoffice` (a child process) has the customer, one run of the real
//! `till-sync once` puts them with their available credit in the till's
//! catalog.db, the till sells on account within that credit (till-core's
//! account rules, the journal), the next `till-sync once` delivers the sale,
//! and head office shows the balance and a lower available credit, which
//! the same pass brings back down to the till.

use comptoir_e2e::system::*;
use headoffice::store::customers::Write;
use rust_decimal::Decimal;
use till_core::customer::{AccountStatus, Customer, CustomerKind, PaymentTerms};
use till_core::records::{Event, TenderKind};
use till_journal::{Journal, OpenOptions};

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

#[test]
fn an_account_sale_at_the_till_lowers_the_credit_at_head_office_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = journal(dir.path(), "T01", "S1", 5, 21);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let store = headoffice::store::open(&db).expect("store");
    store
        .customers_write(
            &[Customer {
                number: "C001".into(),
                kind: CustomerKind::Business,
                name: "Boulangerie Dupré".into(),
                siren: Some("552081317".into()),
                siret: None,
                vat_number: Some("FR03552081317".into()),
                address: None,
                email: None,
                phone: None,
                terms: PaymentTerms::Net(30),
                credit_limit: Decimal::from(100),
                group: None,
                status: AccountStatus::Open,
                loyalty_card: None,
            }],
            Write::Add,
        )
        .expect("customer added");

    // Down: the customer and their credit reach the till.
    let cfg = sync_config(dir.path(), &ho.url(), &token, &journal_path, "");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let catalog = dir.path().join("catalog.db");
    let cat = till_catalog::CatalogStore::open(&catalog).expect("catalog.db");
    let c = cat
        .customers()
        .expect("customers")
        .into_iter()
        .next()
        .expect("C001");
    assert_eq!(
        (c.number.as_str(), c.available_credit),
        ("C001", Decimal::from(100))
    );
    let state = cat.customers_state().expect("state");
    assert_eq!(state.terminal_seq, journal_head(&journal_path));

    // The till sells on account: the credit it may use is head office's
    // less its own sales since (none yet).
    let j = Journal::open(
        &journal_path,
        OpenOptions {
            terminal_id: "T01".into(),
            shop_id: "S1".into(),
            key_path: key_of(&journal_path),
            software_version: "e2e".into(),
        },
    )
    .expect("journal");
    let unsynced = till::app::shell::unsynced_on_account(&j, state.terminal_seq).expect("read");
    assert!(unsynced.is_empty());
    let available = till_core::customer::available_offline(c.available_credit, Decimal::ZERO);
    let (items, patterns) = till::demo::catalog().expect("demo");
    let item = items
        .iter()
        .find(|i| i.price > Decimal::from(5) && i.price < Decimal::from(20))
        .expect("an article between 5 and 20 €")
        .clone();
    let _ = patterns;
    let cashier = till_core::User {
        id: "c1".into(),
        name: "Camille".into(),
        role: till_core::Role::Cashier,
        pin_hash: String::new(),
    };
    let mut b = till_core::Basket::new(till_core::BasketConfig::default(), &cashier);
    b.add_item(&item, Decimal::from(3), None).expect("line");
    b.attach_customer(&c).expect("attach");
    let total = b.totals().total;
    b.pay_on_customer_account(total, &c, available)
        .expect("within the credit");
    let now = chrono::Local::now().fixed_offset();
    let no = format!("T01-{:06}", j.next_sale_no().expect("sale no"));
    let record = b.complete(&no, now.date_naive(), "c1").expect("complete");
    assert_eq!(record.customer.as_deref(), Some("C001"));
    j.append(now, &Event::SaleCompleted(record))
        .expect("journaled");
    // Offline, the till counts that sale against the credit itself.
    let unsynced = till::app::shell::unsynced_on_account(&j, state.terminal_seq).expect("read");
    assert_eq!(unsynced.get("C001"), Some(&total));
    drop(j);

    // Up, then down again in the same pass.
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let row = store.customer("C001").expect("read").expect("C001");
    assert_eq!(row.balance, total);
    assert_eq!(row.available, Decimal::from(100) - total);
    assert_eq!(row.account_sales, 1);
    let c = cat
        .customers()
        .expect("customers")
        .into_iter()
        .next()
        .expect("C001");
    assert_eq!(c.available_credit, Decimal::from(100) - total);
    let state = cat.customers_state().expect("state");
    assert_eq!(state.terminal_seq, journal_head(&journal_path));
    let j = Journal::open_read_only(&journal_path).expect("journal");
    assert!(
        till::app::shell::unsynced_on_account(&j, state.terminal_seq)
            .expect("read")
            .is_empty()
    );
    // What head office holds is the till's sale, tender for tender.
    let held: Vec<_> = store
        .feed(0, 10_000)
        .expect("feed")
        .into_iter()
        .filter_map(|f| f.event.decode().ok())
        .filter_map(|e| match e {
            Event::SaleCompleted(s) if s.customer.is_some() => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(held.len(), 1);
    assert!(held[0]
        .tenders
        .iter()
        .any(|t| t.kind == TenderKind::CustomerAccount && t.amount == total));
}
