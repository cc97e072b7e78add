//! A file as a model card records it: path, SHA-256 and row count.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A file a model was made from, as its card records it: a training or validation file,
/// or a model whose outputs feed a stacker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path as given on the command line.
    pub path: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Rows read from the file (0 for a model file).
    pub rows: usize,
    /// Set for files added by retraining (`stance-train --base`): their rows were
    /// merged into the rows before them by this conflict rule (`newest` or `drop`;
    /// exact duplicates dropped). Absent: the rows were used as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<String>,
}

impl FileRecord {
    /// The record of a file read whole into `bytes`, with `rows` rows.
    pub fn new(path: &str, bytes: &[u8], rows: usize) -> Self {
        FileRecord {
            path: path.to_string(),
            sha256: sha256_hex(bytes),
            rows,
            merge: None,
        }
    }
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
