//! The technical event log at start and stop: version changes and clock
//! jumps are journaled, the time passed in (no clock in the journal).

mod common;

use chrono::{DateTime, FixedOffset, TimeZone};
use common::*;
use till_journal::{verify, Journal, VerifyOptions};

fn at(d: u32, h: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 11, d, h, 0, 0).single())
        .expect("date")
}

fn kinds_after(j: &Journal, seq: u64) -> Vec<String> {
    j.events_after(seq, 100)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn start_stop_version_change_and_clock_jumps_are_journaled() {
    let tmp = tempfile::tempdir().unwrap();
    let j = Journal::open_at(db_path(tmp.path()), opts(tmp.path()), at(2, 9)).unwrap();
    // Same version as the genesis, clock after it: just the start.
    let r = j.record_start(at(2, 10), "0.1.0-test").unwrap();
    assert_eq!(r, Default::default());
    assert_eq!(kinds_after(&j, 1), ["software_started"]);
    j.record_stop(at(2, 18), "0.1.0-test").unwrap();
    // A new version, and a clock an hour behind the last record.
    let (head, _) = j.head().unwrap();
    let r = j.record_start(at(2, 17), "0.2.0").unwrap();
    assert_eq!(r.updated, Some(("0.1.0-test".into(), "0.2.0".into())));
    assert_eq!(r.clock_jump, Some(-3600));
    assert_eq!(
        kinds_after(&j, head),
        ["clock_jump", "software_updated", "software_started"]
    );
    assert_eq!(
        j.software_version_at(head + 3).unwrap().as_deref(),
        Some("0.2.0")
    );
    // A clock 100 days ahead is a jump; 20 days ahead (a holiday) is not.
    let (head, _) = j.head().unwrap();
    let later = at(2, 17) + chrono::Duration::days(20);
    assert_eq!(j.record_start(later, "0.2.0").unwrap().clock_jump, None);
    let far = later + chrono::Duration::days(100);
    assert_eq!(
        j.record_start(far, "0.2.0").unwrap().clock_jump,
        Some(100 * 24 * 3600)
    );
    assert_eq!(
        kinds_after(&j, head),
        ["software_started", "clock_jump", "software_started"]
    );
    let report = verify(db_path(tmp.path()), VerifyOptions::default()).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
}
