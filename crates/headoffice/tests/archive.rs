//! `headoffice archive`: a real till journal (SQLite file, real key) is
//! sent to head office over loopback HTTP (the real ingest), then both
//! export the same closed months: the tables that come from the events are
//! byte for byte the same, and head office's copy verifies.

mod common;
#[path = "../../comptoir-verify/tests/support/mod.rs"]
mod support;

use common::{bearer, http, on_both_backends, register, Server};
use std::path::Path;
use sync_proto::{EventBatch, TailMarker};
use till_core::records::ClosingKind;

fn sync_all(j: &till_journal::Journal, srv: &Server, token: &str) {
    let mut after = 0;
    loop {
        let evs = j.events_after(after, 200).expect("events");
        let Some(last) = evs.last().map(|e| e.seq) else {
            break;
        };
        let mut b = EventBatch::from_stored(j.terminal_id(), &evs);
        let (tseq, thash, tsig) = j.tail_marker().expect("tail").expect("a tail marker");
        if tseq == last {
            b.tail = Some(TailMarker::new(tseq, &thash, &tsig));
        }
        let body = serde_json::to_vec(&b).expect("json");
        let (status, answer) = http(srv.addr, "POST", "/v1/events", Some(&bearer(token)), &body);
        assert_eq!(status, 200, "batch after seq {after} refused: {answer}");
        after = last;
    }
}

fn file(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).expect(name)
}

#[test]
fn head_office_writes_the_same_archive_as_the_till() {
    on_both_backends(|db| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let j = support::journal(tmp.path());
        // The till exports November before it syncs: head office receives
        // the `archive_created` record with the rest, and accepts it.
        let till_nov = support::export(&j, "2026-11", &tmp.path().join("till"));
        let till_dec = support::export(&j, "2026-12", &tmp.path().join("till"));
        let store = db.store();
        let token = register(store.as_ref(), "S001", "T01");
        let srv = Server::public(store.clone());
        sync_all(&j, &srv, &token);
        for (period, till_dir) in [("2026-11", &till_nov), ("2026-12", &till_dec)] {
            let w = headoffice::archive::write(
                store.as_ref(),
                "T01",
                ClosingKind::Month,
                period,
                &tmp.path().join("ho"),
                "test",
            )
            .expect("head office archive");
            for name in [
                "events.csv",
                "closings.csv",
                "technical.csv",
                "terminal.csv",
            ] {
                assert!(
                    file(&w.dir, name) == file(till_dir, name),
                    "{period}: {name} differs between the till and head office"
                );
            }
            assert!(!w.dir.join("manifest.sig").exists());
            let r = comptoir_verify::verify(&w.dir, &Default::default()).expect("readable");
            assert!(r.ok, "{:#?}", r.problems);
            assert!(!r.manifest_signed);
        }
        // An open month is refused, in words.
        let err = headoffice::archive::write(
            store.as_ref(),
            "T01",
            ClosingKind::Month,
            "2027-01",
            &tmp.path().join("ho"),
            "test",
        )
        .unwrap_err();
        assert!(err.to_string().contains("n'est pas clôturé"), "{err}");
    });
}
