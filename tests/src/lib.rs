//! Whole-system tests of comptoir: the programs as a user runs them,
//! several at once, with simulated devices in place of hardware.
//!
//! - [`doc`]: the shell commands of a Markdown file (README.md), with the
//!   blocks a `<!-- doc-test: skip REASON -->` marker sets aside;
//! - [`shell`]: runs them as a reader would, in a scratch copy of the
//!   checkout, simulators in the background included;
//! - [`system`]: the till's journal, the `till-sync` daemon and head office
//!   together (on SQLite and PostgreSQL), with faults injected between
//!   them: the end-to-end delivery tests (`e2e`, `no_resend`,
//!   `journal_damage`, `catalog_stock_tail`).
//!
//! - [`browser`]: a real headless Chromium over WebDriver, for the back
//!   office's pages (`backoffice_browser`, `browser_harness`).
//!
//! The tests themselves are in `tests/` (`cargo test --release -p comptoir-e2e`).

pub mod browser;
pub mod doc;
pub mod shell;
pub mod system;
