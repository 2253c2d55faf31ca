//! The sync wire format between a till's `till-sync` daemon and `headoffice`.
//!
//! Every body is JSON and carries a `version` (currently [`PROTOCOL_VERSION`]);
//! a server refuses versions it does not know with
//! [`ErrorCode::UnsupportedVersion`] rather than guessing.
//!
//! # Events (`POST /v1/events`, body [`EventBatch`], answer [`Ack`] or [`ErrorBody`])
//!
//! A batch is a run of consecutive journal rows of one terminal, exactly as the
//! till stored them. Encodings are chosen so the bytes the hash covers survive
//! the trip untouched:
//!
//! - `payload`: the exact payload bytes, **standard base64** (with padding).
//!   Not re-serialised JSON: a JSON round trip could reorder or reformat it, and
//!   head office recomputes the hash over these bytes.
//! - `prev_hash`, `hash`: 32 bytes, lowercase hex (64 characters).
//! - `signature`: Ed25519 signature of `hash` for closings, lowercase hex, else absent/null.
//! - `ts`, `kind`: the journal's text columns, verbatim.
//!
//! The [`Ack`] names the highest contiguous seq head office holds for the
//! terminal: the daemon moves its cursor there. Pushing a batch again is
//! harmless (idempotent on (terminal_id, seq)).
//!
//! # Errors
//!
//! Every refusal is a 4xx/5xx with an [`ErrorBody`]; `code` is machine-readable
//! (snake_case, stable), `message` is for people, `expected_seq` says where to
//! resume after a gap (409).
//!
//! # Catalog (`GET /v1/catalog?since=V`, answer [`CatalogDelta`])
//!
//! Items changed after catalog version `V`, with the terminal's store prices
//! already applied; the daemon stores them and remembers `catalog_version`.
//!
//! # Rules (`GET /v1/rules?since=V`, answer [`RulesetReply`])
//!
//! Head office's versioned counter rules; the daemon stores a newer version
//! in catalog.db, the till applies it at its next start and journals it.
//!
//! # The daemon's status file ([`status::SyncStatus`])
//!
//! Not on the wire: the JSON file `till-sync` keeps beside the journal and
//! the till reads for its status line. Its type lives here so both sides
//! share it.

pub mod status;

use base64::Engine as _;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use till_core::Item;
use till_journal::chain::{self, RecordFields};
use till_journal::StoredEvent;

/// The wire format version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// HTTP header a server uses for its protocol version (informative).
pub const VERSION_HEADER: &str = "x-comptoir-sync-version";

/// A run of consecutive journal events of one terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBatch {
    /// Wire format version ([`PROTOCOL_VERSION`]).
    pub version: u32,
    /// The terminal whose journal these rows come from (must be the
    /// authenticated terminal).
    pub terminal_id: String,
    /// Consecutive seqs, ascending.
    pub events: Vec<WireEvent>,
    /// The till's signed tail marker as it stood when the batch was read
    /// (optional: older daemons do not send it, older servers ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<TailMarker>,
}

/// The journal's signed tail marker: the terminal's newest (seq, hash),
/// signed with its Ed25519 key over `till_journal::chain::tail_message`, so
/// head office can tell the newest events are the terminal's own and notice
/// when the till's journal lost its newest rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailMarker {
    pub seq: u64,
    /// Lowercase hex, 32 bytes.
    pub hash: String,
    /// Lowercase hex, 64 bytes.
    pub signature: String,
}

impl TailMarker {
    pub fn new(seq: u64, hash: &[u8; 32], signature: &[u8]) -> TailMarker {
        TailMarker {
            seq,
            hash: hex::encode(hash),
            signature: hex::encode(signature),
        }
    }

    /// (seq, hash, signature) decoded.
    pub fn decode(&self) -> Result<(u64, [u8; 32], [u8; 64]), WireError> {
        let hash = hex32(self.seq, "tail.hash", &self.hash)?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut sig).map_err(|_| WireError::BadField {
            seq: self.seq,
            field: "tail.signature",
            expected: "hex of 64 bytes",
        })?;
        Ok((self.seq, hash, sig))
    }
}

/// One journal row on the wire (see the module documentation for encodings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    pub seq: u64,
    pub ts: String,
    pub kind: String,
    /// Standard base64 of the exact payload bytes.
    pub payload: String,
    /// Lowercase hex, 32 bytes.
    pub prev_hash: String,
    /// Lowercase hex, 32 bytes.
    pub hash: String,
    /// Lowercase hex Ed25519 signature (closings only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Head office stored (or already held) the events up to `acked_seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub version: u32,
    pub terminal_id: String,
    /// Highest contiguous seq stored for this terminal.
    pub acked_seq: u64,
    /// Events newly stored by this request.
    pub stored: u64,
    /// Events of this request that were already held (a resend).
    pub duplicates: u64,
}

/// Machine-readable reason of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON of the expected shape (400).
    Malformed,
    /// The body's `version` is not one this server speaks (400).
    UnsupportedVersion,
    /// Seqs in the batch are not consecutive and ascending (400).
    NotConsecutive,
    /// The body is larger than the server accepts (413).
    BatchTooLarge,
    /// No credential, or one the server does not know (401).
    Unauthorized,
    /// The credential is valid but names another terminal (403).
    ForbiddenTerminal,
    /// The read credential's role does not reach this resource (403).
    Forbidden,
    /// The batch starts after the next expected seq (409, see `expected_seq`).
    SeqGap,
    /// prev_hash does not continue the stored chain, or a seq already stored
    /// holds a different event (422, raised as an alert).
    ChainBroken,
    /// A hash does not match its record (422, raised as an alert).
    HashMismatch,
    /// A closing's Ed25519 signature does not verify with the terminal's
    /// public key (422, raised as an alert).
    BadSignature,
    /// A `terminal_initialised` after seq 1 would change the terminal's
    /// signing key (422, raised as an alert).
    KeyChange,
    /// A payload names another terminal or shop than the credential's (422,
    /// raised as an alert).
    IdentityMismatch,
    /// An amount or quantity outside the sane range (422, raised as an alert).
    AmountOutOfRange,
    /// An event of a known kind whose payload does not decode (422, raised
    /// as an alert).
    Undecodable,
    /// A query parameter is invalid (400).
    BadRequest,
    /// Not found (404).
    NotFound,
    /// The server failed; retry later (500/503).
    Internal,
}

impl ErrorCode {
    /// The code as it appears in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::NotConsecutive => "not_consecutive",
            ErrorCode::BatchTooLarge => "batch_too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::ForbiddenTerminal => "forbidden_terminal",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::SeqGap => "seq_gap",
            ErrorCode::ChainBroken => "chain_broken",
            ErrorCode::HashMismatch => "hash_mismatch",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::KeyChange => "key_change",
            ErrorCode::IdentityMismatch => "identity_mismatch",
            ErrorCode::AmountOutOfRange => "amount_out_of_range",
            ErrorCode::Undecodable => "undecodable",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Internal => "internal",
        }
    }

    /// Whether resending the same data later may succeed (the daemon backs
    /// off and retries); otherwise a person must look.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ErrorCode::Internal | ErrorCode::SeqGap)
    }
}

/// The body of every refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// After a gap: the seq head office expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
}

/// An item withdrawn from the asking terminal's store: the till drops it
/// from its catalog (sales already recorded keep their own copy of the line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRemoval {
    /// The catalog version at which it was withdrawn.
    pub version: u64,
    pub item_id: String,
}

/// One catalog entry as sent to a till: the item with its store's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The catalog version at which this item last changed.
    pub version: u64,
    pub item: Item,
}

/// Catalog changes after `since`, for the asking terminal's store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogDelta {
    pub version: u32,
    /// The `since` asked for.
    pub since: u64,
    /// The newest catalog version included: ask with `since` = this next time.
    pub catalog_version: u64,
    /// Items changed after `since` (at most one entry per item id).
    pub items: Vec<CatalogEntry>,
    /// Items withdrawn after `since` (never also in `items`). Absent from
    /// older servers' answers: nothing withdrawn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<CatalogRemoval>,
    /// Stock operations entered at head office for the terminal's store
    /// after `since` (goods received, inventory counts, transfers), one line
    /// per item. Absent from older servers' answers: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stock: Vec<StockUpdate>,
}

/// One line of a stock operation entered at head office, as sent to a till
/// of the store it changes. Its id and item make it unique: applying it twice
/// counts it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockUpdate {
    /// The catalog version the operation was recorded at.
    pub version: u64,
    /// The operation's id (a transfer's two stores share it).
    pub op_id: String,
    pub item_id: String,
    /// Added to the store's level of the item.
    pub delta: Decimal,
    /// `goods_received`, `adjustment` (an inventory count's difference),
    /// `transfer_in` or `transfer_out` (the journal's stock reasons).
    pub reason: String,
}

/// `GET /v1/rules?since=V`: head office's counter rules, if a version
/// newer than `V` exists (the same keys as a till.toml's `[rules]`).
/// A key this till does not know makes the answer unreadable, on purpose:
/// a till must not apply half of a ruleset; `till-sync status` says so
/// until the till is upgraded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesetReply {
    /// Wire format version ([`PROTOCOL_VERSION`]).
    pub version: u32,
    /// The `since` asked for.
    pub since: u64,
    /// The newest ruleset version (0: head office has none); ask with
    /// `since` = this next time.
    pub ruleset_version: u64,
    /// That version's rules, when it is newer than `since`.
    pub rules: Option<till_core::ruleset::Ruleset>,
}

/// One customer as a till keeps it: enough to find them (number, name,
/// loyalty card), print them, apply their group's purchase rules and decide
/// a sale on account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEntry {
    /// The customers version at which it last changed.
    pub version: u64,
    pub number: String,
    pub name: String,
    pub kind: till_core::customer::CustomerKind,
    pub group: Option<String>,
    pub status: till_core::customer::AccountStatus,
    /// The credit limit less what head office knows is owed, when it
    /// answered (never below zero).
    pub available_credit: Decimal,
    pub loyalty_card: Option<String>,
}

/// `GET /v1/customers?since=V`: the customers changed after `V`. A
/// customer's balance moving (an account sale received) is a change.
/// A status this till does not know makes the answer unreadable, on
/// purpose: a till must not guess whether it may sell on account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersDelta {
    /// Wire format version ([`PROTOCOL_VERSION`]).
    pub version: u32,
    /// The `since` asked for.
    pub since: u64,
    /// The newest customers version included: ask with `since` = this next time.
    pub customers_version: u64,
    /// The asking terminal's newest event head office had received before
    /// it read the balances: the till's account sales after this seq are
    /// not in `available_credit` yet, so it subtracts them itself.
    pub terminal_seq: u64,
    pub customers: Vec<CustomerEntry>,
}

/// A wire event could not be turned back into a journal row.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("event seq {seq}: {field} is not valid {expected}")]
    BadField {
        seq: u64,
        field: &'static str,
        expected: &'static str,
    },
}

/// Where a chain of events does not hold together.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    #[error(
        "event seq {seq}: prev_hash {found} does not continue the chain (expected {expected})"
    )]
    Broken {
        seq: u64,
        expected: String,
        found: String,
    },
    #[error("event seq {seq}: hash does not match the record (claimed {claimed}, recomputed {recomputed})")]
    HashMismatch {
        seq: u64,
        claimed: String,
        recomputed: String,
    },
    #[error("event seq {seq}: a field is too long to encode ({field})")]
    TooLong { seq: u64, field: &'static str },
}

fn hex32(seq: u64, field: &'static str, s: &str) -> Result<[u8; 32], WireError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| WireError::BadField {
        seq,
        field,
        expected: "hex of 32 bytes",
    })?;
    Ok(out)
}

/// [`EventBatch`] read without copying its strings (head office parses
/// hundreds of megabytes when a till catches up): same JSON, borrowed.
#[derive(Debug, Deserialize)]
pub struct EventBatchRef<'a> {
    pub version: u32,
    #[serde(borrow)]
    pub terminal_id: Cow<'a, str>,
    #[serde(borrow)]
    pub events: Vec<WireEventRef<'a>>,
    #[serde(default)]
    pub tail: Option<TailMarker>,
}

/// [`WireEvent`], borrowed.
#[derive(Debug, Deserialize)]
pub struct WireEventRef<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    #[serde(borrow)]
    pub payload: Cow<'a, str>,
    #[serde(borrow)]
    pub prev_hash: Cow<'a, str>,
    #[serde(borrow)]
    pub hash: Cow<'a, str>,
    #[serde(default, borrow)]
    pub signature: Option<Cow<'a, str>>,
}

impl EventBatchRef<'_> {
    /// Whether seqs are consecutive and ascending (an empty batch is).
    pub fn is_consecutive(&self) -> bool {
        self.events
            .windows(2)
            .all(|w| w[0].seq.checked_add(1) == Some(w[1].seq))
    }
}

impl WireEventRef<'_> {
    /// Back to a journal row of `terminal_id`, decoding base64 and hex.
    pub fn to_stored(&self, terminal_id: &str) -> Result<StoredEvent, WireError> {
        decode_wire(
            terminal_id,
            WireFields {
                seq: self.seq,
                ts: &self.ts,
                kind: &self.kind,
                payload: &self.payload,
                prev_hash: &self.prev_hash,
                hash: &self.hash,
                signature: self.signature.as_deref(),
            },
        )
    }
}

/// The text fields of a wire event, borrowed from either form.
struct WireFields<'a> {
    seq: u64,
    ts: &'a str,
    kind: &'a str,
    payload: &'a str,
    prev_hash: &'a str,
    hash: &'a str,
    signature: Option<&'a str>,
}

/// The one decoder of wire events (owned or borrowed): base64 payload, hex
/// hashes and signature, each error naming the seq and the field.
fn decode_wire(terminal_id: &str, w: WireFields<'_>) -> Result<StoredEvent, WireError> {
    let seq = w.seq;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(w.payload.as_bytes())
        .map_err(|_| WireError::BadField {
            seq,
            field: "payload",
            expected: "standard base64",
        })?;
    let signature = match w.signature {
        None => None,
        Some(s) => Some(hex::decode(s.as_bytes()).map_err(|_| WireError::BadField {
            seq,
            field: "signature",
            expected: "hex",
        })?),
    };
    Ok(StoredEvent {
        terminal_id: terminal_id.to_string(),
        seq,
        ts: w.ts.to_string(),
        kind: w.kind.to_string(),
        payload,
        prev_hash: hex32(seq, "prev_hash", w.prev_hash)?,
        hash: hex32(seq, "hash", w.hash)?,
        signature,
    })
}

impl WireEvent {
    /// The wire form of a journal row.
    pub fn from_stored(e: &StoredEvent) -> WireEvent {
        WireEvent {
            seq: e.seq,
            ts: e.ts.clone(),
            kind: e.kind.clone(),
            payload: base64::engine::general_purpose::STANDARD.encode(&e.payload),
            prev_hash: hex::encode(e.prev_hash),
            hash: hex::encode(e.hash),
            signature: e.signature.as_ref().map(hex::encode),
        }
    }

    /// Back to a journal row of `terminal_id`, decoding base64 and hex.
    pub fn to_stored(&self, terminal_id: &str) -> Result<StoredEvent, WireError> {
        decode_wire(
            terminal_id,
            WireFields {
                seq: self.seq,
                ts: &self.ts,
                kind: &self.kind,
                payload: &self.payload,
                prev_hash: &self.prev_hash,
                hash: &self.hash,
                signature: self.signature.as_deref(),
            },
        )
    }
}

impl EventBatch {
    /// A batch of journal rows (all of `terminal_id`).
    pub fn from_stored(terminal_id: &str, events: &[StoredEvent]) -> EventBatch {
        EventBatch {
            version: PROTOCOL_VERSION,
            terminal_id: terminal_id.to_string(),
            events: events.iter().map(WireEvent::from_stored).collect(),
            tail: None,
        }
    }

    /// Whether seqs are consecutive and ascending (an empty batch is).
    pub fn is_consecutive(&self) -> bool {
        self.events
            .windows(2)
            .all(|w| w[0].seq.checked_add(1) == Some(w[1].seq))
    }

    /// The JSON body of [`EventBatch::from_stored`], byte for byte what
    /// `serde_json::to_vec` gives for it, written in one pass: base64 and hex
    /// go straight into the body (no string per field, and base64 needs no
    /// escaping, so it is not scanned for it).
    pub fn encode_stored(terminal_id: &str, events: &[StoredEvent]) -> Vec<u8> {
        Self::encode_stored_with_tail(terminal_id, events, None)
    }

    /// [`EventBatch::encode_stored`] carrying the till's tail marker: the
    /// bytes `serde_json::to_vec` gives for that batch with `tail` set.
    pub fn encode_stored_with_tail(
        terminal_id: &str,
        events: &[StoredEvent],
        tail: Option<&TailMarker>,
    ) -> Vec<u8> {
        let b64 = &base64::engine::general_purpose::STANDARD;
        let size: usize = events
            .iter()
            .map(|e| e.payload.len() * 4 / 3 + e.ts.len() + e.kind.len() + 400)
            .sum();
        let mut out = Vec::with_capacity(size + 64 + terminal_id.len());
        // Strings of arbitrary text go through serde_json for its escaping.
        fn text(out: &mut Vec<u8>, s: &str) {
            // Writing a &str into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        }
        fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
            let start = out.len();
            out.resize(start + bytes.len() * 2, 0);
            // The slice is exactly twice the input: cannot fail.
            let _ = hex::encode_to_slice(bytes, &mut out[start..]);
        }
        out.extend_from_slice(
            format!("{{\"version\":{PROTOCOL_VERSION},\"terminal_id\":").as_bytes(),
        );
        text(&mut out, terminal_id);
        out.extend_from_slice(b",\"events\":[");
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("{{\"seq\":{},\"ts\":", e.seq).as_bytes());
            text(&mut out, &e.ts);
            out.extend_from_slice(b",\"kind\":");
            text(&mut out, &e.kind);
            out.extend_from_slice(b",\"payload\":\"");
            let start = out.len();
            let len = base64::encoded_len(e.payload.len(), true).unwrap_or(0);
            out.resize(start + len, 0);
            let written = b64.encode_slice(&e.payload, &mut out[start..]).unwrap_or(0);
            out.truncate(start + written);
            out.extend_from_slice(b"\",\"prev_hash\":\"");
            hex_into(&mut out, &e.prev_hash);
            out.extend_from_slice(b"\",\"hash\":\"");
            hex_into(&mut out, &e.hash);
            out.push(b'"');
            if let Some(sig) = &e.signature {
                out.extend_from_slice(b",\"signature\":\"");
                hex_into(&mut out, sig);
                out.push(b'"');
            }
            out.push(b'}');
        }
        out.push(b']');
        if let Some(t) = tail {
            out.extend_from_slice(b",\"tail\":");
            // A small struct of numbers and hex: serialising it cannot fail.
            let _ = serde_json::to_writer(&mut out, t);
        }
        out.push(b'}');
        out
    }
}

/// Checks that `events` (consecutive) continue a chain whose last hash is
/// `prev` (the genesis prev_hash, 32 zero bytes, before seq 1), and that each
/// hash recomputes from its record with `till_journal::chain` (the frozen
/// encoding). Returns the last hash.
pub fn check_chain(prev: &[u8; 32], events: &[StoredEvent]) -> Result<[u8; 32], ChainError> {
    let mut running = *prev;
    for e in events {
        if e.prev_hash != running {
            return Err(ChainError::Broken {
                seq: e.seq,
                expected: hex::encode(running),
                found: hex::encode(e.prev_hash),
            });
        }
        let recomputed = chain::record_hash(
            &e.prev_hash,
            &RecordFields {
                terminal_id: &e.terminal_id,
                seq: e.seq,
                ts: &e.ts,
                kind: &e.kind,
                payload: &e.payload,
            },
        )
        .map_err(|f| ChainError::TooLong {
            seq: e.seq,
            field: f.0,
        })?;
        if recomputed != e.hash {
            return Err(ChainError::HashMismatch {
                seq: e.seq,
                claimed: hex::encode(e.hash),
                recomputed: hex::encode(recomputed),
            });
        }
        running = e.hash;
    }
    Ok(running)
}

#[cfg(test)]
mod tests;
