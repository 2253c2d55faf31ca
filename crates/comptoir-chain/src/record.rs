//! The frozen record encoding and the hash chain (the one definition: the
//! journal re-exports it as `till_journal::chain`, the archive verifier uses
//! it directly).
//!
//! # Canonical record encoding (format version 1, FROZEN)
//!
//! Every event row is hashed over this byte string; changing it would change
//! every hash ever written, so it never changes. A new format gets a new
//! version byte.
//!
//! ```text
//! 0x01                                   format version (1 byte)
//! u32 big-endian byte length of terminal_id, then terminal_id as UTF-8
//! u64 big-endian seq
//! u32 big-endian byte length of ts, then ts as UTF-8
//!     (RFC 3339, milliseconds, local offset: "2026-11-23T10:15:00.123+01:00")
//! u32 big-endian byte length of kind, then kind as UTF-8 (e.g. "sale_completed")
//! u32 big-endian byte length of payload, then the payload bytes
//!     (the event's canonical JSON, `Event::payload()`)
//! ```
//!
//! `hash = SHA-256(prev_hash || encoding)` where `prev_hash` is the previous
//! record's hash (32 bytes) and, for seq 1, 32 zero bytes ([`GENESIS_PREV_HASH`]).
//! Because seq, ts and kind are inside the encoding, renumbering, re-dating or
//! re-labelling a record breaks its hash just like editing its payload.
//!
//! # Signatures (Ed25519, the terminal's key)
//!
//! - A closing row's `signature` column is the Ed25519 signature of its 32-byte hash.
//! - The tail marker's signature is over [`tail_message`]:
//!   `b"comptoir-tail-v1" || u32 BE len + terminal_id || u64 BE seq || hash (32 bytes)`.

use sha2::{Digest, Sha256};

/// Version byte opening every canonical record encoding.
pub const FORMAT_VERSION: u8 = 0x01;
/// The prev_hash of seq 1.
pub const GENESIS_PREV_HASH: [u8; 32] = [0u8; 32];
/// Domain separation prefix of the tail marker's signed message.
pub const TAIL_DOMAIN: &[u8] = b"comptoir-tail-v1";

/// A field longer than 4 GiB cannot be encoded (its length must fit a u32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldTooLong(pub &'static str);

/// The fields of one record that the hash covers.
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    pub terminal_id: &'a str,
    pub seq: u64,
    pub ts: &'a str,
    pub kind: &'a str,
    pub payload: &'a [u8],
}

fn len32(name: &'static str, n: usize) -> Result<[u8; 4], FieldTooLong> {
    u32::try_from(n)
        .map(u32::to_be_bytes)
        .map_err(|_| FieldTooLong(name))
}

/// Feeds the canonical encoding to `sink` piece by piece (no allocation), so the
/// same code serves both [`encode_record`] and [`record_hash`].
fn feed(r: &RecordFields<'_>, mut sink: impl FnMut(&[u8])) -> Result<(), FieldTooLong> {
    sink(&[FORMAT_VERSION]);
    sink(&len32("terminal_id", r.terminal_id.len())?);
    sink(r.terminal_id.as_bytes());
    sink(&r.seq.to_be_bytes());
    sink(&len32("ts", r.ts.len())?);
    sink(r.ts.as_bytes());
    sink(&len32("kind", r.kind.len())?);
    sink(r.kind.as_bytes());
    sink(&len32("payload", r.payload.len())?);
    sink(r.payload);
    Ok(())
}

/// The canonical encoding of a record (see the module documentation).
pub fn encode_record(r: &RecordFields<'_>) -> Result<Vec<u8>, FieldTooLong> {
    let mut out = Vec::with_capacity(
        1 + 4 * 4 + 8 + r.terminal_id.len() + r.ts.len() + r.kind.len() + r.payload.len(),
    );
    feed(r, |b| out.extend_from_slice(b))?;
    Ok(out)
}

/// `SHA-256(prev_hash || encode_record(r))`, computed without building the encoding.
pub fn record_hash(prev_hash: &[u8; 32], r: &RecordFields<'_>) -> Result<[u8; 32], FieldTooLong> {
    let mut h = Sha256::new();
    h.update(prev_hash);
    feed(r, |b| h.update(b))?;
    Ok(h.finalize().into())
}

/// The message the tail marker's signature covers.
pub fn tail_message(terminal_id: &str, seq: u64, hash: &[u8; 32]) -> Result<Vec<u8>, FieldTooLong> {
    let mut m = Vec::with_capacity(TAIL_DOMAIN.len() + 4 + terminal_id.len() + 8 + 32);
    m.extend_from_slice(TAIL_DOMAIN);
    m.extend_from_slice(&len32("terminal_id", terminal_id.len())?);
    m.extend_from_slice(terminal_id.as_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    Ok(m)
}

/// Reads a 32-byte hash out of a BLOB, if it has the right length.
pub fn hash32(bytes: &[u8]) -> Option<[u8; 32]> {
    <[u8; 32]>::try_from(bytes).ok()
}
