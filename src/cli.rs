//! What the binaries share: column flags, error reporting and exit codes.
//!
//! Every failure prints one line `<binary>: error: <message>` (file, line and column
//! included where they exist) and exits with code 2; a closed output pipe exits 0.

use std::process::ExitCode;

use crate::error::Error;
use crate::io::Columns;

/// Column-name flags shared by the binaries.
#[derive(Debug, Clone, clap::Args)]
pub struct ColumnArgs {
    /// Column (CSV) or field (JSONL) holding the comment text.
    #[arg(long, default_value = "text")]
    pub text_col: String,
    /// Column holding the stance target (optional in the data).
    #[arg(long)]
    pub target_col: Option<String>,
    /// Column holding the row id (the 1-based row number when absent).
    #[arg(long, default_value = "id")]
    pub id_col: String,
    /// Skip malformed rows (each reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

impl ColumnArgs {
    /// The column mapping, with `label` as the label column when given.
    pub fn columns(&self, label: Option<&str>) -> Columns {
        Columns {
            text: self.text_col.clone(),
            label: label.map(String::from),
            target: self.target_col.clone().unwrap_or_else(|| "target".into()),
            target_required: self.target_col.is_some(),
            id: self.id_col.clone(),
            ..Columns::default()
        }
    }
}

/// Maps a run's result to the process exit code, printing the error once.
pub fn finish(bin: &str, result: crate::Result<()>) -> ExitCode {
    match result {
        Ok(()) | Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{bin}: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Parses a "lo,hi" n-gram range.
pub fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("expected LO,HI, got '{s}'"))?;
    let p = |x: &str| x.trim().parse::<usize>().map_err(|e| format!("'{x}': {e}"));
    Ok((p(a)?, p(b)?))
}

/// Whether stderr is a terminal (progress bars go there only then).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
