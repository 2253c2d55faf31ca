//! Whole-system tests of comptoir: the programs as a user runs them,
//! several at once, with simulated devices in place of hardware.
//!
//! - [`doc`]: the shell commands of a Markdown file (README.md), with the
//!   blocks a `<!-- doc-test: skip REASON -->` marker sets aside;
//! - [`shell`]: runs them as a reader would, in a scratch copy of the
//!   checkout, simulators in the background included.
//!
//! The tests themselves are in `tests/` (`cargo test --release -p comptoir-e2e`).

pub mod doc;
pub mod shell;
