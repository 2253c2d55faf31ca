//! A real journal (SQLite file, real key) with two closed months, exported
//! by the journal's own code, for the verifier's tests.
#![allow(dead_code)]

#[path = "../../../till-journal/tests/common/mod.rs"]
pub mod common;

use chrono::{DateTime, FixedOffset, TimeZone};
use common::*;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use till_core::records::*;
use till_journal::Journal;

pub fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .and_then(|o| o.with_ymd_and_hms(y, mo, d, h, 0, 0).single())
        .expect("valid date")
}

fn cash(day_s: &str, dir: CashDirection, amount: rust_decimal::Decimal) -> Event {
    Event::CashMovement(CashMovement {
        direction: dir,
        amount,
        reason: "fond de caisse".into(),
        operator: "m1".into(),
        approved_by: None,
        business_day: day(day_s),
    })
}

/// Trades `days` of month `mo` (2026): sales, a refund, a cash movement, a
/// Z each day, then the monthly closing.
fn trade_month(j: &Journal, mo: u32, days: u32, no: &mut u64) {
    for d in 1..=days {
        let ds = format!("2026-{mo:02}-{d:02}");
        let mut evs = Vec::new();
        for _ in 0..3 {
            *no += 1;
            evs.push((at(2026, mo, d, 10), five_line_sale(*no, &ds)));
        }
        *no += 1;
        evs.push((at(2026, mo, d, 11), refund_of_a1(*no, &ds)));
        evs.push((at(2026, mo, d, 12), cash(&ds, CashDirection::In, dec!(50))));
        evs.push((at(2026, mo, d, 12), login("c1")));
        j.append_batch(&evs).expect("append");
        j.close(
            at(2026, mo, d, 20),
            ClosingKind::Day,
            &ds,
            "m1",
            BTreeMap::new(),
        )
        .expect("Z");
    }
    j.close(
        at(2026, mo, days, 21),
        ClosingKind::Month,
        &format!("2026-{mo:02}"),
        "m1",
        BTreeMap::new(),
    )
    .expect("month closing");
}

/// A journal with November and December 2026 closed (and a start-up
/// journaled in each), and January 2027 open.
pub fn journal(dir: &Path) -> Journal {
    let j = Journal::open_at(db_path(dir), opts(dir), at(2026, 10, 30, 9)).expect("open");
    let mut no = 0;
    j.record_start(at(2026, 11, 1, 8), "0.1.0-test")
        .expect("start");
    trade_month(&j, 11, 4, &mut no);
    j.record_start(at(2026, 12, 1, 8), "0.2.0-test")
        .expect("start");
    trade_month(&j, 12, 3, &mut no);
    j.append(at(2027, 1, 2, 10), &five_line_sale(no + 1, "2027-01-02"))
        .expect("january");
    j
}

/// Exports `period` ("2026-11", "2026") into `out`, returning the folder.
pub fn export(j: &Journal, period: &str, out: &Path) -> PathBuf {
    let kind = if period.len() == 4 {
        ClosingKind::Year
    } else {
        ClosingKind::Month
    };
    j.export_archive(at(2027, 1, 3, 9), kind, period, out, "test")
        .expect("export")
        .dir
}

/// Every file of an archive folder, by name.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("archive folder")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

/// Copies an archive folder.
pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for (name, bytes) in files(from) {
        std::fs::write(to.join(name), bytes).expect("write");
    }
}
