//! The frozen record encoding and the hash chain: defined once in the
//! `comptoir-chain` crate (no SQLite, shared with the archive verifier) and
//! re-exported here. See [`comptoir_chain::record`] for the format.

pub use comptoir_chain::record::*;
