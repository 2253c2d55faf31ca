//! Every fuzz target, briefly, in the normal test suite; and every input
//! that once broke a parser, replayed forever.
//!
//! The long campaign is `cargo run --release -p comptoir-fuzz -- --target
//! all --inputs 10000000` (README.md); a failure here prints the command
//! that replays it.

use comptoir_fuzz::engine::{self, Options};
use comptoir_fuzz::targets::ALL;

/// Inputs per target here: about a second for the slowest target in a
/// release build, so the suite stays fast.
const INPUTS: u64 = 10_000;

fn fuzz_briefly(name: &str) {
    let t = comptoir_fuzz::find(name).unwrap_or_else(|| panic!("no target {name}"));
    let opts = Options {
        inputs: INPUTS,
        ..Options::default()
    };
    let r = engine::fuzz(t, &opts);
    assert_eq!(r.inputs, INPUTS);
    if r.panics > 0 {
        for c in &r.crashes {
            eprintln!(
                "PANIC x{} {}\n  input: {:?}",
                c.count,
                c.message,
                String::from_utf8_lossy(&c.input)
            );
        }
        panic!(
            "{name}: {} inputs panicked; replay and save them with: \
             cargo run --release -p comptoir-fuzz -- --target {name} --inputs {INPUTS} --seed {}",
            r.panics, opts.seed
        );
    }
}

macro_rules! brief {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                fuzz_briefly($name);
            }
        )*

        #[test]
        fn every_target_has_a_brief_run() {
            let here = [$($name),*];
            for t in ALL {
                assert!(here.contains(&t.name), "add a brief run for {}", t.name);
            }
        }
    };
}

brief! {
    sync_batch => "sync-batch",
    wire_event => "wire-event",
    sync_answers => "sync-answers",
    ingest => "ingest",
    fastpay => "fastpay",
    escpos_render => "escpos-render",
    printer_status => "printer-status",
    scanner_serial => "scanner-serial",
    scanner_evdev => "scanner-evdev",
    concert => "concert",
    caisse_ap => "caisse-ap",
    catalog_csv => "catalog-csv",
    catalog_json => "catalog-json",
    config_till => "config-till",
    config_sync => "config-sync",
    config_headoffice => "config-headoffice",
}

#[test]
fn every_saved_regression_replays_clean() {
    let dir = comptoir_fuzz::regressions_dir();
    let mut n = 0;
    for (folder, _) in comptoir_fuzz::files_in(&dir) {
        panic!(
            "{} is a file; regressions live in TARGET/ folders",
            folder.display()
        );
    }
    for entry in std::fs::read_dir(&dir).expect("regressions/") {
        let folder = entry.expect("entry").path();
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .expect("folder name")
            .to_string();
        let t = comptoir_fuzz::find(&name)
            .unwrap_or_else(|| panic!("regressions/{name}: no such target"));
        for (path, input) in comptoir_fuzz::files_in(&folder) {
            if let Err(msg) = engine::run_one(t, &input) {
                panic!("{} panics again: {msg}", path.display());
            }
            n += 1;
        }
    }
    assert!(n > 0, "the saved regressions are found");
}

#[test]
fn every_target_has_seeds_from_the_repository() {
    for t in ALL {
        let seeds = (t.seeds)();
        assert!(!seeds.is_empty(), "{}: no seed found", t.name);
        assert!(
            seeds.iter().all(|s| s.len() <= t.max_len),
            "{}: a seed is over max_len",
            t.name
        );
    }
}

/// What the fast path projects is what the full decoding projects, for
/// every payload a till could send: head office reads sales through the one
/// sale view (till_core::view), whose scanner only declines, never accepts,
/// what serde refuses. A sale missing `name` was once counted in the totals
/// while the full decoding called it undecodable (issue 9).
#[test]
fn ingest_fast_path_refuses_what_full_decoding_refuses() {
    use headoffice::ingest::Deltas;
    let seeds = comptoir_fuzz::seed_files("payloads");
    assert!(!seeds.is_empty());
    let sale =
        std::fs::read(comptoir_fuzz::crate_dir().join("seeds/payloads/sale_completed-0.json"))
            .expect("a sale seed");
    let text = String::from_utf8(sale).expect("utf-8");
    // Every line's `name` removed: not a sale record any more.
    let broken = text.replace("\"name\":", "\"nom\":");
    let e = till_journal::StoredEvent {
        terminal_id: "T01".into(),
        seq: 1,
        ts: "2026-11-23T10:00:00.000+01:00".into(),
        kind: "sale_completed".into(),
        payload: broken.into_bytes(),
        prev_hash: [0; 32],
        hash: [0; 32],
        signature: None,
    };
    let full = Deltas::of_full(std::slice::from_ref(&e));
    assert_eq!(
        full.refused.as_ref().map(|r| r.code),
        Some(headoffice::ingest::RefusalCode::Undecodable),
        "the full decoding refuses it"
    );
    assert_eq!(Deltas::of(std::slice::from_ref(&e)), full);
}
