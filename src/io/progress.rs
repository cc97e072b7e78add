//! How the library tells its caller what it is doing while it works. The library never
//! prints: a long call takes a [`Progress`] observer, and the caller decides what to
//! show (the binaries write to stderr; a server logs or ignores it).

use super::BadRows;

/// Receives what a long-running call has to say. Every method does nothing unless the
/// observer overrides it.
pub trait Progress: Sync {
    /// A step of a long run, said by `who` (the task name of the head being trained, or
    /// `audit`).
    fn step(&self, who: &str, message: &str) {
        let _ = (who, message);
    }

    /// Something worth knowing that does not stop the run (e.g. a recorded training file
    /// changed since the model was trained).
    fn warning(&self, message: &str) {
        let _ = message;
    }

    /// Rows of `file` that were skipped as malformed (reading with `skip_bad_rows`).
    fn skipped_rows(&self, file: &str, bad: &BadRows) {
        let _ = (file, bad);
    }

    /// Scoring of `total` rows starts (`None`: a stream of unknown length).
    fn rows_started(&self, total: Option<u64>) {
        let _ = total;
    }

    /// `n` more rows were scored.
    fn rows_done(&self, n: u64) {
        let _ = n;
    }

    /// Scoring of rows ended.
    fn rows_finished(&self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
