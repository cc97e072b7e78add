//! The default heads, built by `scripts/build-default-models.sh` and compiled in, so that
//! `stance-score` and `stance-serve` work from any folder after `cargo install`.

use super::Head;
use crate::error::Result;

/// Each built-in head's name (as errors and the service's status name it) and file.
pub const BUILT_IN: &[(&str, &[u8])] = &[
    (
        "<built-in stance>",
        include_bytes!("../../models/stance.model"),
    ),
    (
        "<built-in offensive>",
        include_bytes!("../../models/offensive.model"),
    ),
    (
        "<built-in sentiment>",
        include_bytes!("../../models/sentiment.model"),
    ),
    (
        "<built-in reply_relation>",
        include_bytes!("../../models/reply_relation.model"),
    ),
];

/// The built-in heads, loaded (and checked) from their compiled-in files.
pub fn built_in_heads() -> Result<Vec<Head>> {
    BUILT_IN
        .iter()
        .map(|(name, bytes)| Head::from_bytes(bytes, name))
        .collect()
}
