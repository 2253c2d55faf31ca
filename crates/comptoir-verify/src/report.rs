//! What the verifier found, for people and (`--json`) for tools.

use serde::Serialize;

/// One thing found altered, named as precisely as the archive allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, e.g. `events.csv`.
    pub file: String,
    /// The line in that file (1 is the header).
    pub line: Option<u64>,
    /// The journal seq of the row, when the row has one.
    pub seq: Option<u64>,
    /// The column (or, inside a closing, the total) concerned.
    pub field: Option<String>,
    /// What is wrong, in words.
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, " line {l}")?;
        }
        if let Some(s) = self.seq {
            write!(f, " (seq {s})")?;
        }
        if let Some(c) = &self.field {
            write!(f, " [{c}]")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The verdict on one archive.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// No problem found.
    pub ok: bool,
    pub archive: String,
    pub terminal_id: String,
    pub period_kind: String,
    pub period: String,
    pub first_seq: u64,
    pub last_seq: u64,
    /// The hash of the last row (hex): the next archive links to it.
    pub last_hash: String,
    pub events: u64,
    /// Closings whose signature was checked.
    pub closings_checked: u64,
    /// Closings whose totals were recomputed from the events.
    pub totals_recomputed: u64,
    /// Closings whose grand totals were recomputed.
    pub grand_totals_checked: u64,
    /// Whether the manifest carried the terminal's signature (head office's
    /// copies carry none: their files are checked by content only).
    pub manifest_signed: bool,
    /// Whether continuity with a previous archive was checked.
    pub previous_checked: bool,
    /// Everything found altered (capped at [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Things worth saying that are not alterations.
    pub notes: Vec<String>,
}

/// At most this many problems are listed: an archive altered everywhere
/// says so in the first few.
pub const MAX_PROBLEMS: usize = 1000;

impl Report {
    pub(crate) fn problem(
        &mut self,
        file: &str,
        line: Option<u64>,
        seq: Option<u64>,
        field: Option<&str>,
        detail: impl Into<String>,
    ) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                file: file.to_string(),
                line,
                seq,
                field: field.map(str::to_string),
                detail: detail.into(),
            });
        }
    }
}
