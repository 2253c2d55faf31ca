//! The payload scanner behind the sale and stock movement views
//! (crates/till-core/src/view/scan.rs) against serde: whenever the scanner
//! takes a payload, serde's full decoding takes it too and gives the same
//! effects (`scanner_agrees`); it may decline anything.

use till_journal::projections::{scanner_agrees, scanner_takes};

use super::ingest::{payload_seeds, KINDS, PAYLOAD_DICT};
use super::Sig;
use crate::Target;

pub const FASTPAY: Target = Target {
    name: "fastpay",
    about:
        "till-core view scanner vs serde (differential: when it accepts, serde accepts and agrees)",
    max_len: 32 * 1024,
    seeds: payload_seeds,
    dict: PAYLOAD_DICT,
    run: fastpay,
};

fn fastpay(input: &[u8]) -> u64 {
    let Some((k, payload)) = input.split_first() else {
        return 0;
    };
    // The scanner reads sales, cancellations, refunds and stock movements.
    let kind = KINDS[*k as usize % 4];
    assert!(
        scanner_agrees(kind, payload),
        "fastpay takes a {kind} payload and disagrees with serde"
    );
    let mut sig = Sig::default();
    sig.str(kind).add(scanner_takes(kind, payload) as u64);
    if let Ok(e) = till_core::records::Event::decode(kind, payload) {
        sig.add(7)
            .add(e.sale().map_or(0, |s| s.lines.len().min(4) as u64));
    }
    sig.get()
}
