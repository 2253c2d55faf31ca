//! Test helpers: sale records built by hand (no dependency on the basket).
#![allow(dead_code)]

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::path::{Path, PathBuf};
use till_core::money::round_to;
use till_core::records::*;
use till_core::vat::{breakdown, VatRate};
use till_journal::{Journal, OpenOptions};

pub fn opts(dir: &Path) -> OpenOptions {
    OpenOptions {
        terminal_id: "T01".into(),
        shop_id: "S001".into(),
        key_path: dir.join("terminal.key"),
        software_version: "0.1.0-test".into(),
    }
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("journal.db")
}

pub fn open_new(dir: &Path) -> Journal {
    Journal::open(db_path(dir), opts(dir)).expect("open journal")
}

/// 2026-11-23 + offset +01:00, at h:m:s.ms.
pub fn ts(h: u32, m: u32, s: u32, ms: u32) -> DateTime<FixedOffset> {
    let off = FixedOffset::east_opt(3600).expect("offset");
    off.with_ymd_and_hms(2026, 11, 23, h, m, s)
        .single()
        .expect("valid")
        + chrono::Duration::milliseconds(ms as i64)
}

pub fn day(d: &str) -> NaiveDate {
    d.parse().expect("date")
}

pub fn rate(p: Decimal) -> VatRate {
    VatRate::percent(p).expect("rate")
}

/// A sale (or refund, with negative quantities) of `lines` = (item, qty, unit price, VAT %),
/// paid `card` by card and the rest in cash with `change` given back.
pub fn sale_record(
    kind: SaleKind,
    no: u64,
    business_day: &str,
    lines: &[(&str, Decimal, Decimal, Decimal)],
    card: Decimal,
    change: Decimal,
) -> SaleRecord {
    let lines: Vec<SaleLine> = lines
        .iter()
        .enumerate()
        .map(|(i, (item, q, p, r))| {
            let gross = round_to(*q * *p, 2);
            SaleLine {
                line_no: i as u32 + 1,
                item_id: item.to_string(),
                barcode: None,
                name: format!("Article {item}"),
                unit: Unit::Piece,
                quantity: *q,
                unit_price: *p,
                overridden_from: None,
                vat_rate: rate(*r),
                gross,
                line_discount: dec!(0.00),
                basket_discount: dec!(0.00),
                total: gross,
                stock_tracked: true,
            }
        })
        .collect();
    let total: Decimal = lines.iter().map(|l| l.total).sum();
    let vat = breakdown(lines.iter().map(|l| (l.vat_rate, l.total)), 2);
    let mut tenders = Vec::new();
    if !card.is_zero() {
        tenders.push(TenderRecord {
            kind: TenderKind::Card,
            amount: card,
            reference: None,
            card: Some(CardOutcome {
                approved: true,
                masked_pan: Some("************1234".into()),
                auth_code: Some("A1B2C3".into()),
                scheme: Some("CB".into()),
                read_mode: Some("contactless".into()),
                terminal_reference: None,
            }),
        });
    }
    let cash = total - card + change;
    if !cash.is_zero() {
        tenders.push(TenderRecord {
            kind: TenderKind::Cash,
            amount: cash,
            reference: None,
            card: None,
        });
    }
    SaleRecord {
        kind,
        sale_no: format!("T01-{no:06}"),
        business_day: day(business_day),
        operator: "u1".into(),
        customer: None,
        lines,
        basket_discount: dec!(0.00),
        total,
        rounding: dec!(0.00),
        vat,
        tenders,
        change,
        reverses: None,
        without_receipt: false,
        approvals: vec![],
        flags: vec![],
        training: false,
    }
}

/// The benchmark-shaped sale: 5 lines, card + cash with change.
pub fn five_line_sale(no: u64, business_day: &str) -> Event {
    Event::SaleCompleted(sale_record(
        SaleKind::Sale,
        no,
        business_day,
        &[
            ("A1", dec!(2), dec!(1.99), dec!(5.5)),
            ("B2", dec!(1), dec!(12.50), dec!(20)),
            ("C3", dec!(3), dec!(0.85), dec!(5.5)),
            ("D4", dec!(1), dec!(7.00), dec!(10)),
            ("E5", dec!(1), dec!(3.20), dec!(20)),
        ],
        dec!(20.00),
        dec!(1.27),
    ))
}

pub fn refund_of_a1(no: u64, business_day: &str) -> Event {
    Event::Refund(sale_record(
        SaleKind::Refund,
        no,
        business_day,
        &[("A1", dec!(-1), dec!(1.99), dec!(5.5))],
        dec!(0),
        dec!(0),
    ))
}

pub fn goods_received(item: &str, qty: Decimal) -> Event {
    Event::StockMovement(StockMovement {
        reason: StockReason::GoodsReceived,
        reference: Some("BL-1".into()),
        other_shop: None,
        operator: "u1".into(),
        lines: vec![StockLine {
            item_id: item.into(),
            delta: qty,
            counted: None,
        }],
    })
}

pub fn login(user: &str) -> Event {
    Event::Login(Session { user: user.into() })
}

/// Raw connection to the journal file, as an attacker (or a test) would use it.
pub fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db_path(dir)).expect("raw open")
}

/// Fills a journal with a mix of events over two days; returns the last seq.
pub fn fill(j: &Journal, n: u64) -> u64 {
    fill_days(j, n, "2026-11-22", "2026-11-23")
}

/// Like [`fill`], the first half of the sales on `first`, the rest on `second`.
pub fn fill_days(j: &Journal, n: u64, first: &str, second: &str) -> u64 {
    let mut last = 0;
    for i in 0..n {
        let d = if i < n / 2 { first } else { second };
        let ev = match i % 5 {
            0 => goods_received("A1", dec!(10)),
            1 | 2 => five_line_sale(j.next_sale_no().expect("no"), d),
            3 => refund_of_a1(j.next_sale_no().expect("no"), d),
            _ => login("u1"),
        };
        last = j
            .append(ts(10, 0, (i % 60) as u32, 123), &ev)
            .expect("append")
            .seq;
    }
    last
}

/// A user record; the name is the id in capitals.
pub fn user_with_hash(
    id: &str,
    role: till_core::auth::Role,
    pin_hash: String,
) -> till_core::auth::User {
    till_core::auth::User {
        id: id.into(),
        name: id.to_uppercase(),
        role,
        pin_hash,
    }
}

/// Records manager m1 (PIN 3333, unpeppered), created by the setup step.
pub fn put_manager_m1(j: &Journal) {
    let hash = till_core::auth::hash_pin("3333", b"salt-of-m1").unwrap();
    let m1 = user_with_hash("m1", till_core::auth::Role::Manager, hash);
    j.put_user(ts(8, 0, 0, 0), "setup", "m1", &m1).unwrap();
}

/// Gives a closed journal the schema 2 layout of the stock ledger: keyed by
/// (seq, idx), with a by-item index beside it, as a till of that version
/// left it (same rows).
pub fn to_schema_2(dir: &std::path::Path) {
    raw(dir)
        .execute_batch(
            "BEGIN;
             CREATE TABLE ledger_v2 (
                 seq INTEGER NOT NULL, idx INTEGER NOT NULL, item_id TEXT NOT NULL,
                 delta TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (seq, idx)
             ) WITHOUT ROWID;
             INSERT INTO ledger_v2 SELECT seq, idx, item_id, delta, reason FROM stock_ledger;
             DROP TABLE stock_ledger;
             ALTER TABLE ledger_v2 RENAME TO stock_ledger;
             CREATE INDEX stock_ledger_item ON stock_ledger (item_id);
             PRAGMA user_version = 2;
             COMMIT;
             VACUUM;",
        )
        .unwrap();
}
