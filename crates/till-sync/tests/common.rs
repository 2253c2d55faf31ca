//! The whole-system harness (simulated journals, head office as a child
//! process, the daemon as a real process) lives in the top-level `tests/`
//! package, `comptoir_e2e::system`, with the end-to-end tests; this crate's
//! tests that need head office running use it from there.

#![allow(unused_imports)]

pub use comptoir_e2e::system::*;
