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
//! - [`browser`]: a real headless Chromium over WebDriver (`browser_harness`);
//! - [`backoffice`]: the real `headoffice serve` and `headoffice user add`,
//!   tills made by `till simulate` and synced by `till-sync once`, for the
//!   back office's browser tests and screenshots (`backoffice_browser`).
//!
//! The tests themselves are in `tests/` (`cargo test --release -p comptoir-e2e`).

pub mod backoffice;
pub mod browser;
pub mod doc;
pub mod shell;
pub mod system;
