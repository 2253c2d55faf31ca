//! comptoir's head office: receives every till's journal exactly once, keeps
//! projections (sales by store/day/tender/VAT, stock levels, Z closings, sync
//! state), publishes the catalog, and feeds reports and an ERP.
//!
//! # Exactly once
//!
//! Tills deliver at least once (the daemon resends from its cursor until it
//! gets an ack); ingest is idempotent on (terminal_id, seq), so a resend changes
//! nothing. A batch is one transaction: events, projections and the terminal's
//! chain head commit together, and the ack is sent only after the commit.
//! Each batch must continue the terminal's stored chain (prev_hash = the stored
//! head's hash, every hash recomputed with `till_journal::chain`), otherwise it
//! is refused (422) and an alert row is written.
//!
//! # Modules
//!
//! - [`ingest`]: the rules (plan a batch against the chain head, projection deltas), storage-free.
//! - [`store`]: the [`store::Store`] trait, [`store::sqlite`] and [`store::postgres`].
//! - [`http`]: the axum routes; [`feed`]: ERP feed entries; [`metrics`]: `/metrics`.
//! - [`load`]: catalog files (JSON, CSV); [`config`]: `headoffice.toml`.
//! - [`customers_file`]: the customers CSV file (`headoffice customers import`).
//! - [`catalog_ops`]: the back office's catalog changes (edit, store price, withdraw, import preview).
//! - [`web`]: the back office (HTML pages, logins, sessions, roles, audit log).
//! - `testpg` (feature `testpg`): a throwaway PostgreSQL cluster for tests and benchmarks.

pub mod access;
pub mod archive;
pub mod catalog_ops;
pub mod config;
pub mod conn;
pub mod customers_cmd;
pub mod customers_file;
pub mod dash;
pub mod feed;
pub mod http;
pub mod ingest;
pub mod load;
pub mod metrics;
pub mod store;
#[cfg(feature = "testpg")]
pub mod testpg;
pub mod web;

use sha2::{Digest, Sha256};
use std::future::Future;

/// A new terminal credential: 32 random bytes, hex. Printed once; head office
/// keeps only its SHA-256.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b)?;
    Ok(hex::encode(b))
}

/// The SHA-256 head office stores for a token.
pub fn token_sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

/// Serves the API on `listener` until `shutdown` completes, within the
/// connection limits of `state.limits` ([`conn`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: http::AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    conn::serve(listener, http::router(state), &limits, shutdown).await
}
