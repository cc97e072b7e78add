//! The training data: labelled files read with their records, the labels checked, the
//! seeded held-out split, and rows turned into the feature matrix (in parallel, in order).

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::features::{FeatureScratch, Featurizer, SparseVec};
use crate::io::{read_all, Columns, FileRecord, Progress, Row};
use crate::model::linear::CsrMatrix;
use crate::text::TextPipeline;

/// Labelled rows read from files, with their card records.
#[derive(Debug, Clone, Default)]
pub struct Labelled {
    /// Rows.
    pub rows: Vec<Row>,
    /// One record per file.
    pub files: Vec<FileRecord>,
    /// Field number of the label column in the last file read (for error messages).
    pub label_column: Option<u64>,
}

/// Reads labelled files, recording each file's SHA-256 and row count; the rows skipped
/// under `skip_bad` go to `progress`, file by file.
pub fn read_labelled(
    paths: &[String],
    columns: &Columns,
    skip_bad: bool,
    progress: &dyn Progress,
) -> Result<Labelled> {
    let mut out = Labelled::default();
    for p in paths {
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        let read = read_all(p, columns, skip_bad)?;
        out.label_column = read.label_column;
        progress.skipped_rows(p, &read.bad);
        out.files.push(FileRecord::new(p, &bytes, read.rows.len()));
        out.rows.extend(read.rows);
    }
    Ok(out)
}

/// Target spellings seen in rows: one per case-insensitive key, sorted by key.
pub(super) fn collect_targets(rows: &[Row]) -> Vec<String> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            m.entry(t.to_lowercase()).or_insert_with(|| t.to_string());
        }
    }
    m.into_values().collect()
}

pub(super) fn label_index(
    labels: &[String],
    rows: &[Row],
    file: &str,
    column: Option<u64>,
) -> Result<Vec<usize>> {
    rows.iter()
        .map(|r| {
            let l = r.label.as_deref().unwrap_or("");
            labels.iter().position(|x| x == l).ok_or_else(|| {
                Error::input(
                    file,
                    Some(r.line),
                    column,
                    format!(
                        "label '{l}' is not one of the training labels ({})",
                        labels.join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// Seeded stratified split of row indices into (fit, held out).
pub fn stratified_split(y: &[usize], k: usize, share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fit = Vec::new();
    let mut held = Vec::new();
    for c in 0..k {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        idx.shuffle(&mut rng);
        let n_held = ((idx.len() as f64 * share).round() as usize).min(idx.len().saturating_sub(1));
        held.extend_from_slice(&idx[..n_held]);
        fit.extend_from_slice(&idx[n_held..]);
    }
    fit.sort_unstable();
    held.sort_unstable();
    (fit, held)
}

/// Tokenizes rows in parallel, in order (pair heads read each row's parent text too).
pub(super) fn tokenize(text: &TextPipeline, rows: &[Row]) -> Vec<Vec<String>> {
    rows.par_iter()
        .map(|r| {
            if text.params().pair {
                text.pair_tokens(&r.text, r.parent_text.as_deref().unwrap_or(""))
            } else {
                text.tokens(&r.text)
            }
        })
        .collect()
}

/// Featurizes tokenized rows into a CSR matrix, in parallel, in order.
pub(super) fn featurize(
    f: &Featurizer,
    docs: &[Vec<String>],
    targets: &[Option<u64>],
) -> CsrMatrix {
    let rows: Vec<SparseVec> = docs
        .par_iter()
        .zip(targets.par_iter())
        .map_init(FeatureScratch::default, |s, (d, t)| {
            let mut v = SparseVec::default();
            f.transform(d, *t, s, &mut v);
            v
        })
        .collect();
    let mut m = CsrMatrix::new(f.params().buckets());
    for r in &rows {
        m.push_row(&r.idx, &r.val);
    }
    m
}
