//! Reading a catalog file for `headoffice load-catalog`: the format and its
//! parser live in `till_catalog::file`, shared with `till catalog import`
//! (a shop without head office reads the same files).

pub use till_catalog::file::{parse_csv, parse_json, LoadError};
