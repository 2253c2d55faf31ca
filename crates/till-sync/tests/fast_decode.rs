//! Head office's fast sale reading gives exactly the projections of the full
//! decoding, event by event and per batch, over a simulated journal (sales,
//! refunds, cancellations, stock and cash movements, closings).

mod common;

use headoffice::ingest::Deltas;
use till_journal::Journal;

#[test]
fn headoffice_child() {
    common::maybe_serve_child();
}

#[test]
fn fast_path_equals_full_decoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::journal(dir.path(), "T01", "S1", 1500, 21);
    let events = Journal::open_read_only(&db)
        .expect("journal")
        .events_after(0, usize::MAX)
        .expect("events");
    let kinds: std::collections::BTreeSet<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for k in ["sale_completed", "refund", "closing", "cash_movement"] {
        assert!(kinds.contains(k), "the journal has {k} events: {kinds:?}");
    }
    for e in &events {
        let one = std::slice::from_ref(e);
        assert_eq!(
            Deltas::of(one),
            Deltas::of_full(one),
            "seq {} ({})",
            e.seq,
            e.kind
        );
    }
    for chunk in events.chunks(333) {
        assert_eq!(Deltas::of(chunk), Deltas::of_full(chunk));
    }
    let d = Deltas::of(&events);
    assert!(d.undecodable.is_empty());
    assert!(!d.levels.is_empty() && !d.totals.is_empty() && !d.closings.is_empty());
    // Split in chunks taken by two threads, summed back: the same deltas.
    let work = headoffice::ingest::Shared::new(&events, 250);
    let (bad, shared) = std::thread::scope(|s| {
        s.spawn(|| work.help());
        work.finish().expect("no chunk panicked")
    });
    assert!(bad.is_none());
    assert_eq!(shared, d);
}
