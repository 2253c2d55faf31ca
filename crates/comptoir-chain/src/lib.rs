//! What a comptoir journal's bytes mean, without SQLite: the frozen record
//! encoding and hash chain ([`record`], re-exported at the root, and by the
//! journal as `till_journal::chain`), and the fiscal archive's file format
//! ([`archive`]: its CSV tables, manifest and signature), written by the till
//! (`till journal export`) and by head office (`headoffice archive`), read by
//! the auditor's verifier (`comptoir-verify`). One definition of each, so the
//! three cannot drift apart.

pub mod archive;
pub mod csv;
pub mod record;

pub use record::*;
