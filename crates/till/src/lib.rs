//! The `till` program's library side: the simulator, the demo shop and the
//! reports, shared by the binary, the benchmarks and the end-to-end tests.

pub mod app;
pub mod demo;
pub mod report;
pub mod rng;
pub mod simulate;
pub mod users;

/// The software version recorded in the journal and printed on receipts.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
