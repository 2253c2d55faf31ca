//! Ingest, storage-free: deciding what a batch means against the stored
//! chain head, and what it changes in the projections. [`run`] applies these
//! rules once over the transaction primitives of [`crate::store::IngestTx`];
//! the backends only carry out its SQL, so SQLite and PostgreSQL cannot
//! disagree on the rules.

mod deltas;
mod low_stock;
mod run;
mod shared;
mod tail;
mod vet;

pub use low_stock::{low_stock_changes, LowStock, LowStockRow};
pub use run::{ingest, run, CHUNK};
pub use shared::{Shared, SharedError};
pub use tail::{check_tail, TailAlert, TailSeen};
pub use vet::{vet, Refusal, RefusalCode, MAX_AMOUNT, MAX_QUANTITY, MAX_SCALE};

pub(crate) use deltas::Builder;
pub use deltas::{ClosingRow, Deltas, HourSum};

use till_core::records::Event;
use till_journal::StoredEvent;

/// Where a terminal's stored chain ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// 0 when nothing is stored yet.
    pub last_seq: u64,
    /// The genesis prev_hash (zeros) when nothing is stored yet.
    pub last_hash: [u8; 32],
}

/// What to do with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Store `batch[skip..]` (the first `skip` are already held and identical).
    Store { skip: usize },
    /// The batch starts after the next expected seq.
    Gap { expected: u64 },
    /// The batch does not continue the stored chain (or rewrites a stored
    /// event): a tampered till or one restored from an old backup.
    Broken { seq: u64, detail: String },
    /// A hash does not recompute.
    HashMismatch { seq: u64, detail: String },
}

/// Decides what `batch` (consecutive seqs, checked by the caller) means after
/// `head`. `stored_hash(seq)` gives the stored hash of an already-held seq, so
/// a resend that differs from what is held is caught, not silently re-acked.
pub fn plan<E>(
    head: ChainHead,
    batch: &[StoredEvent],
    stored_hash: impl FnMut(u64) -> Result<Option<[u8; 32]>, E>,
) -> Result<Plan, E> {
    Ok(match plan_links(head, batch, stored_hash)? {
        Plan::Store { skip } => verify_hashes(&batch[skip..]).unwrap_or(Plan::Store { skip }),
        other => other,
    })
}

/// Recomputes every hash of `new`; the first that does not match, as a plan.
pub fn verify_hashes(new: &[StoredEvent]) -> Option<Plan> {
    for e in new {
        let ok = e.recompute_hash().is_some_and(|h| h == e.hash);
        if !ok {
            return Some(Plan::HashMismatch {
                seq: e.seq,
                detail: format!(
                    "event seq {}: hash does not match the record (claimed {})",
                    e.seq,
                    hex::encode(e.hash)
                ),
            });
        }
    }
    None
}

/// [`plan`] without recomputing hashes: dedupe, gap and the prev_hash links
/// only. The caller must run [`verify_hashes`] on the new events before it
/// commits (the SQLite backend does it on a second thread while inserting).
pub fn plan_links<E>(
    head: ChainHead,
    batch: &[StoredEvent],
    mut stored_hash: impl FnMut(u64) -> Result<Option<[u8; 32]>, E>,
) -> Result<Plan, E> {
    let Some(first) = batch.first() else {
        return Ok(Plan::Store { skip: 0 });
    };
    let expected = head.last_seq + 1;
    if first.seq > expected {
        return Ok(Plan::Gap { expected });
    }
    let skip = batch.iter().take_while(|e| e.seq <= head.last_seq).count();
    for e in &batch[..skip] {
        match stored_hash(e.seq)? {
            Some(h) if h == e.hash => {}
            Some(h) => {
                return Ok(Plan::Broken {
                    seq: e.seq,
                    detail: format!(
                        "seq {} is already stored with hash {}, the till now sends {}",
                        e.seq,
                        hex::encode(h),
                        hex::encode(e.hash)
                    ),
                })
            }
            // Held seqs are gap-free; a missing one is a storage fault.
            None => {
                return Ok(Plan::Broken {
                    seq: e.seq,
                    detail: format!("seq {} is below the stored head but missing", e.seq),
                })
            }
        }
    }
    let mut running = head.last_hash;
    for e in &batch[skip..] {
        if e.prev_hash != running {
            return Ok(Plan::Broken {
                seq: e.seq,
                detail: format!(
                    "event seq {}: prev_hash {} does not continue the chain (expected {})",
                    e.seq,
                    hex::encode(e.prev_hash),
                    hex::encode(running)
                ),
            });
        }
        running = e.hash;
    }
    Ok(Plan::Store { skip })
}

/// Checks the Ed25519 signature of every closing in `new` (the signature of
/// its 32-byte hash) with the terminal's public key: the one stored from its
/// `terminal_initialised` event, or the one this run carries. Returns the
/// first closing that does not verify, and why.
pub fn check_signatures(
    stored_public_key: Option<&str>,
    new: &[StoredEvent],
) -> Option<(u64, String)> {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let mut key = stored_public_key
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    for e in new {
        match e.kind.as_str() {
            "terminal_initialised" => {
                if let Ok(Event::TerminalInitialised(t)) = e.decode() {
                    key = Some(t.public_key);
                }
            }
            "closing" => {
                let Some(k) = &key else {
                    return Some((e.seq, "no public key known for this terminal".into()));
                };
                let mut kb = [0u8; 32];
                if hex::decode_to_slice(k, &mut kb).is_err() {
                    return Some((e.seq, format!("public key {k:?} is not 32 bytes of hex")));
                }
                let Ok(vk) = VerifyingKey::from_bytes(&kb) else {
                    return Some((
                        e.seq,
                        "the terminal's public key is not a valid Ed25519 key".into(),
                    ));
                };
                let Some(sig) = e.signature.as_deref() else {
                    return Some((e.seq, format!("closing seq {} carries no signature", e.seq)));
                };
                let Ok(sig) = Signature::from_slice(sig) else {
                    return Some((
                        e.seq,
                        format!("closing seq {}: signature is not 64 bytes", e.seq),
                    ));
                };
                if vk.verify(&e.hash, &sig).is_err() {
                    return Some((
                        e.seq,
                        format!(
                            "closing seq {}: signature does not verify with the terminal's key",
                            e.seq
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_journal::chain::{record_hash, RecordFields, GENESIS_PREV_HASH};

    fn ev(seq: u64, prev: [u8; 32]) -> StoredEvent {
        let payload = br#"{"user":"u1"}"#.to_vec();
        let ts = "2026-11-23T10:00:00.000+01:00".to_string();
        let hash = record_hash(
            &prev,
            &RecordFields {
                terminal_id: "T01",
                seq,
                ts: &ts,
                kind: "login",
                payload: &payload,
            },
        )
        .unwrap_or_default();
        StoredEvent {
            terminal_id: "T01".into(),
            seq,
            ts,
            kind: "login".into(),
            payload,
            prev_hash: prev,
            hash,
            signature: None,
        }
    }

    fn chain(n: u64) -> Vec<StoredEvent> {
        let mut prev = GENESIS_PREV_HASH;
        (1..=n)
            .map(|s| {
                let e = ev(s, prev);
                prev = e.hash;
                e
            })
            .collect()
    }

    type NoErr = std::convert::Infallible;

    #[test]
    fn shared_chunks_match_the_whole_run() {
        let mut c = chain(50);
        for chunk in [1, 7, 50, 64] {
            let w = Shared::new(&c, chunk);
            let r = std::thread::scope(|s| {
                s.spawn(|| w.help());
                w.finish()
            });
            let (bad, d) = r.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(bad, verify_hashes(&c));
            assert_eq!(d, Deltas::of(&c));
        }
        c[30].payload = b"{}".to_vec();
        c[40].payload = b"{}".to_vec();
        let w = Shared::new(&c, 8);
        let r = std::thread::scope(|s| {
            s.spawn(|| w.help());
            w.finish()
        });
        let (bad, _) = r.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(bad, Some(Plan::HashMismatch { seq: 31, .. })));
        assert_eq!(bad, verify_hashes(&c));
        // Cancelled work is never waited for.
        let w = Shared::new(&c, 8);
        w.cancel();
        w.help();
    }

    #[test]
    fn resend_overlap_and_gap() {
        let c = chain(5);
        let head = ChainHead {
            last_seq: 3,
            last_hash: c[2].hash,
        };
        let lookup = |s: u64| Ok::<_, NoErr>(c.get(s as usize - 1).map(|e| e.hash));
        assert_eq!(plan(head, &c, lookup), Ok(Plan::Store { skip: 3 }));
        assert_eq!(plan(head, &c[..3], lookup), Ok(Plan::Store { skip: 3 }));
        assert_eq!(plan(head, &c[4..], lookup), Ok(Plan::Gap { expected: 4 }));
        let fresh = ChainHead {
            last_seq: 0,
            last_hash: GENESIS_PREV_HASH,
        };
        assert_eq!(plan(fresh, &c, lookup), Ok(Plan::Store { skip: 0 }));
    }

    #[test]
    fn rewritten_history_is_broken() {
        let c = chain(3);
        let head = ChainHead {
            last_seq: 3,
            last_hash: c[2].hash,
        };
        let other = [9u8; 32];
        let lookup = |_s: u64| Ok::<_, NoErr>(Some(other));
        assert!(matches!(
            plan(head, &c, lookup),
            Ok(Plan::Broken { seq: 1, .. })
        ));
        // A restored backup: continues from an older point.
        let head = ChainHead {
            last_seq: 1,
            last_hash: other,
        };
        assert!(matches!(
            plan(head, &c[1..], |_| Ok::<_, NoErr>(None)),
            Ok(Plan::Broken { seq: 2, .. })
        ));
        let mut t = chain(2);
        t[1].payload = b"{}".to_vec();
        let fresh = ChainHead {
            last_seq: 0,
            last_hash: GENESIS_PREV_HASH,
        };
        assert!(matches!(
            plan(fresh, &t, |_| Ok::<_, NoErr>(None)),
            Ok(Plan::HashMismatch { seq: 2, .. })
        ));
    }
}
