//! The till's signed tail marker, sent with each batch (optional field
//! `tail`): (seq, hash) of the till's newest event when the batch was read,
//! signed with the terminal's Ed25519 key over
//! `till_journal::chain::tail_message`.
//!
//! The key is the one head office registered at the terminal's first push:
//! the public key of its `terminal_initialised` event (seq 1, the same key
//! closings are checked with). A marker that does not verify, or that names
//! for a seq head office holds a hash other than the one delivered, raises an
//! alert (`bad_tail_signature`, `tail_mismatch`) in the batch's transaction;
//! the batch itself is still stored, since its events passed the chain
//! checks. A marker ahead of what head office holds (the till has more to
//! send) is only checked for its signature; one behind it may just be stale
//! (a second daemon, a resend) and is compared with the held event.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use till_journal::chain::tail_message;

/// A decoded tail marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSeen {
    pub seq: u64,
    pub hash: [u8; 32],
    pub signature: [u8; 64],
}

/// Why a marker raises an alert: (alert code, detail).
pub type TailAlert = (&'static str, String);

/// Checks `tail` of `terminal_id` against its public key (hex; None: not
/// known yet, nothing to check against) and `held`, the hash head office
/// holds at `tail.seq` if it holds that seq.
pub fn check_tail(
    terminal_id: &str,
    public_key: Option<&str>,
    tail: &TailSeen,
    held: Option<[u8; 32]>,
) -> Result<(), TailAlert> {
    let Some(pk) = public_key.filter(|k| !k.is_empty()) else {
        return Ok(());
    };
    let bad = |detail: String| ("bad_tail_signature", detail);
    let mut kb = [0u8; 32];
    hex::decode_to_slice(pk, &mut kb)
        .map_err(|_| bad(format!("public key {pk:?} is not 32 bytes of hex")))?;
    let vk = VerifyingKey::from_bytes(&kb)
        .map_err(|_| bad("the terminal's public key is not a valid Ed25519 key".into()))?;
    let msg = tail_message(terminal_id, tail.seq, &tail.hash)
        .map_err(|e| bad(format!("{} too long to sign", e.0)))?;
    vk.verify(&msg, &Signature::from_bytes(&tail.signature))
        .map_err(|_| {
            bad(format!(
                "tail marker at seq {} does not verify with the terminal's key",
                tail.seq
            ))
        })?;
    match held {
        Some(h) if h != tail.hash => Err((
            "tail_mismatch",
            format!(
                "the till's signed tail says seq {} has hash {}, head office holds {}",
                tail.seq,
                hex::encode(tail.hash),
                hex::encode(h)
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn good_bad_and_mismatched_markers() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let pk = hex::encode(key.verifying_key().to_bytes());
        let hash = [1u8; 32];
        let sig = key
            .sign(&tail_message("T01", 5, &hash).unwrap_or_default())
            .to_bytes();
        let t = TailSeen {
            seq: 5,
            hash,
            signature: sig,
        };
        assert_eq!(check_tail("T01", Some(&pk), &t, Some(hash)), Ok(()));
        assert_eq!(check_tail("T01", Some(&pk), &t, None), Ok(()));
        assert_eq!(check_tail("T01", None, &t, None), Ok(()));
        let other = check_tail("T01", Some(&pk), &t, Some([2u8; 32]));
        assert!(matches!(other, Err(("tail_mismatch", _))), "{other:?}");
        let forged = check_tail("T02", Some(&pk), &t, None);
        assert!(
            matches!(forged, Err(("bad_tail_signature", _))),
            "{forged:?}"
        );
        let other_key = SigningKey::from_bytes(&[8u8; 32]);
        let pk2 = hex::encode(other_key.verifying_key().to_bytes());
        let wrong = check_tail("T01", Some(&pk2), &t, None);
        assert!(matches!(wrong, Err(("bad_tail_signature", _))), "{wrong:?}");
    }
}
