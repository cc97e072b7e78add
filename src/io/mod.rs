//! Input and output: labelled or unlabelled comments in, scored rows out.
//!
//! Owns the CSV and JSONL readers (by extension, `-` = stdin), the column mapping
//! (`--text-col`, `--label-col`, ...), error positions (file, line, column), the
//! opt-in skipping of malformed rows with a report, and atomic output files: results
//! go to a temporary file in the destination folder that is renamed into place only
//! when complete, so a failed run never leaves a partial file or clobbers a good one.
//! Also the two things every later stage hands back to its caller: the [`FileRecord`]
//! of a file a model was made from, and the [`Progress`] observer through which the
//! library reports what it is doing (it never prints).
//!
//! Files: `read` (RowReader over CSV and JSONL, read_all), `csv_records` (CSV records
//! with their raw bytes, to catch unbalanced quotes), `output` (Output, write_atomic,
//! write_csv), [`compress`], `file_record`, `progress`. Imports from the crate: `error`.

use crate::error::Error;

pub mod compress;
mod csv_records;
mod file_record;
mod output;
mod progress;
mod read;

pub use csv_records::LineCount;
pub use file_record::{sha256_hex, FileRecord};
pub use output::{check_writable, write_atomic, write_csv, Output};
pub use progress::{Progress, Silent};
pub use read::{open_input, read_all, ReadRows, RowReader};

/// Input / output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// Guesses the format from a file name (`.jsonl`, `.ndjson`, `.json` → JSONL).
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_lowercase();
        let stem = lower
            .strip_suffix(".gz")
            .or_else(|| lower.strip_suffix(".zst"))
            .unwrap_or(&lower);
        if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") || stem.ends_with(".json") {
            Format::Jsonl
        } else {
            Format::Csv
        }
    }
}

/// The gold label's column when none is named (`--label-col`).
pub const LABEL_COLUMN: &str = "label";

/// Which columns (CSV) or fields (JSONL) hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Comment text.
    pub text: String,
    /// Gold label; required when `Some`.
    pub label: Option<String>,
    /// Stance target column.
    pub target: String,
    /// Whether a missing target column is an error (the user named it explicitly).
    pub target_required: bool,
    /// Row id column (optional in the data; the 1-based row number otherwise).
    pub id: String,
    /// Parent comment id column (optional).
    pub parent: String,
    /// Parent text column (optional).
    pub parent_text: String,
    /// Pass other columns through to the output.
    pub keep_others: bool,
    /// Slice column for evaluation reports (`--group-col`); required when `Some`.
    pub group: Option<String>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            text: "text".into(),
            label: None,
            target: "target".into(),
            target_required: false,
            id: "id".into(),
            parent: "parent_id".into(),
            parent_text: "parent_text".into(),
            keep_others: false,
            group: None,
        }
    }
}

/// One input comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based line where the row starts.
    pub line: u64,
    /// The id column, or the 1-based row number.
    pub id: String,
    /// Comment text.
    pub text: String,
    /// Gold label (lowercased, trimmed), when the label column was asked for.
    pub label: Option<String>,
    /// Stance target, when the data has a target column.
    pub target: Option<String>,
    /// Parent comment id (empty = top level), when present.
    pub parent_id: Option<String>,
    /// Parent comment text, when present.
    pub parent_text: Option<String>,
    /// Other columns, when passing them through.
    pub extra: Vec<(String, String)>,
    /// Value of the slice column, when one was asked for.
    pub group: Option<String>,
}

/// Rows that were skipped under `--skip-bad-rows`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadRows {
    /// How many rows were skipped.
    pub count: u64,
    /// The first few messages.
    pub first: Vec<String>,
}

impl BadRows {
    /// Records one skipped row.
    pub fn add(&mut self, e: &Error) {
        self.count += 1;
        if self.first.len() < 5 {
            self.first.push(e.to_string());
        }
    }

    /// The report of what was skipped from `what`, one line each (none when nothing was):
    /// a count, the first few messages, and how many more there were.
    pub fn report_lines(&self, what: &str) -> Vec<String> {
        if self.count == 0 {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "warning: skipped {} bad row(s) of {what}:",
            self.count
        )];
        lines.extend(self.first.iter().map(|m| format!("  {m}")));
        if self.count as usize > self.first.len() {
            lines.push(format!(
                "  ... and {} more",
                self.count as usize - self.first.len()
            ));
        }
        lines
    }
}

/// Each row's gold label as its index in `labels`; a label not there is an error at the
/// row's line (and `column`, the label column's field number when known), saying that
/// the label is not one `of_what` (`the model predicts`, `of the training labels`).
pub fn label_indices(
    labels: &[String],
    rows: &[Row],
    (file, column): (&str, Option<u64>),
    of_what: &str,
) -> crate::error::Result<Vec<usize>> {
    rows.iter()
        .map(|r| {
            let l = r.label.as_deref().unwrap_or("");
            labels.iter().position(|x| x == l).ok_or_else(|| {
                Error::input(
                    file,
                    Some(r.line),
                    column,
                    format!("label '{l}' is not {of_what} ({})", labels.join(", ")),
                )
            })
        })
        .collect()
}
