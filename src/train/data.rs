//! The training data: labelled files read with their records, the labels checked, the
//! seeded held-out split, and rows turned into the feature matrix (in parallel, in order).

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::TrainConfig;
use crate::error::{Error, Result};
use crate::features::{
    target_hash, CharNgrams, FeatureParams, FeatureScratch, Featurizer, SparseVec,
};
use crate::head::Selection;
use crate::io::{label_indices, read_all, Columns, FileRecord, Progress, Row, LABEL_COLUMN};
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

/// Each row's label as its index in the training labels (an unknown one is an error).
pub(super) fn label_index(
    labels: &[String],
    rows: &[Row],
    file: &str,
    column: Option<u64>,
) -> Result<Vec<usize>> {
    label_indices(labels, rows, (file, column), "one of the training labels")
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

/// Tokenizes rows in parallel, in order, as the head reads them
/// ([`TextPipeline::row_tokens`]: parents of replies, masked targets).
fn tokenize(text: &TextPipeline, rows: &[Row]) -> Vec<Vec<String>> {
    rows.par_iter()
        .map(|r| text.row_tokens(&r.text, r.parent_text.as_deref(), r.target.as_deref()))
        .collect()
}

/// Featurizes tokenized rows into a CSR matrix, in parallel, in order.
fn featurize(f: &Featurizer, docs: &[Vec<String>], targets: &[Option<u64>]) -> CsrMatrix {
    let rows: Vec<SparseVec> = docs
        .par_iter()
        .zip(targets.par_iter())
        .map_init(FeatureScratch::default, |s, (d, t)| {
            let mut v = SparseVec::default();
            f.transform(d, *t, CharNgrams::Entries, s, &mut v);
            v
        })
        .collect();
    let mut m = CsrMatrix::new(f.params().buckets());
    for r in &rows {
        m.push_row(&r.idx, &r.val);
    }
    m
}

/// The labels of the training rows, sorted; an error when there are no rows or a
/// single label.
pub(super) fn label_set(cfg: &TrainConfig, rows: &[Row]) -> Result<Vec<String>> {
    if rows.is_empty() {
        return Err(Error::Train(format!(
            "no training rows in {}",
            cfg.data.join(", ")
        )));
    }
    let labels: Vec<String> = rows
        .iter()
        .filter_map(|r| r.label.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if labels.len() < 2 {
        let label_col = cfg.columns.label.as_deref().unwrap_or(LABEL_COLUMN);
        return Err(Error::Train(format!(
            "the label column '{label_col}' of {} has a single class ({}); a classifier needs at least two",
            cfg.data.join(", "),
            labels.join(", ")
        )));
    }
    Ok(labels)
}

/// The rows model selection works on: `pool`, the rows the selection fits (and under
/// cross-validation splits into folds) and the final model is fitted on, and `held`,
/// rows outside them (the validation files; under `--select valid` without them, a
/// seeded stratified share of the training rows).
pub(super) struct SelectionRows {
    /// Rows the selection and the final fit use.
    pub pool: Vec<Row>,
    /// Their label indices.
    pub pool_y: Vec<usize>,
    /// Held-out rows (validation).
    pub held: Vec<Row>,
    /// Their label indices.
    pub held_y: Vec<usize>,
    /// The validation files' records.
    pub files: Vec<FileRecord>,
    /// Whether `held` is a share of the training rows, to be refitted on afterwards.
    pub holdout: bool,
}

/// Reads the validation files and sorts the rows into pool and held-out rows for
/// `cfg.select` (`y_all`: the training rows' label indices).
pub(super) fn selection_rows(
    cfg: &TrainConfig,
    train: &Labelled,
    y_all: &[usize],
    labels: &[String],
    progress: &dyn Progress,
) -> Result<SelectionRows> {
    let mut valid = Vec::new();
    let mut valid_y = Vec::new();
    let mut files = Vec::new();
    for v in &cfg.valid {
        let vl = read_labelled(
            std::slice::from_ref(v),
            &cfg.columns,
            cfg.skip_bad_rows,
            progress,
        )?;
        valid_y.extend(label_index(labels, &vl.rows, v, vl.label_column)?);
        valid.extend(vl.rows);
        files.extend(vl.files);
    }
    let holdout = cfg.select == Selection::Valid && valid.is_empty();
    let (pool, pool_y, held, held_y) = if holdout {
        let (fit, held) = stratified_split(y_all, labels.len(), cfg.holdout, cfg.seed);
        (
            fit.iter().map(|&i| train.rows[i].clone()).collect(),
            fit.iter().map(|&i| y_all[i]).collect(),
            held.iter().map(|&i| train.rows[i].clone()).collect(),
            held.iter().map(|&i| y_all[i]).collect(),
        )
    } else if cfg.select == Selection::Cv && cfg.cv_include_valid {
        let mut pool = train.rows.clone();
        pool.extend(valid);
        let mut pool_y = y_all.to_vec();
        pool_y.extend(valid_y);
        (pool, pool_y, Vec::new(), Vec::new())
    } else {
        (train.rows.clone(), y_all.to_vec(), valid, valid_y)
    };
    Ok(SelectionRows {
        pool,
        pool_y,
        held,
        held_y,
        files,
        holdout,
    })
}

/// Each row's cross-validation stratum: its (label, case-insensitive target), numbered
/// in sorted order.
pub(super) fn strata(rows: &[Row], y: &[usize]) -> Vec<usize> {
    let keys: Vec<(usize, String)> = rows
        .iter()
        .zip(y)
        .map(|(r, &l)| {
            let t = r.target.as_deref().map_or("", str::trim).to_lowercase();
            (l, t)
        })
        .collect();
    let index: BTreeMap<&(usize, String), usize> = keys
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, key)| (key, i))
        .collect();
    keys.iter().map(|key| index[key]).collect()
}

/// How training rows become feature rows: the text stage, then the feature stage
/// (crossing each row with its target when `params.cross_target` says so).
pub(super) struct RowFeatures {
    /// The text stage.
    pub text: TextPipeline,
    /// The feature parameters.
    pub params: FeatureParams,
}

impl RowFeatures {
    /// Fits the IDF on `rows` and gives their matrix.
    pub fn fit(&self, rows: &[Row]) -> Result<(Featurizer, CsrMatrix)> {
        let tokens = tokenize(&self.text, rows);
        let featurizer = Featurizer::fit(&self.params, &tokens)?;
        let x = featurize(&featurizer, &tokens, &self.target_codes(rows));
        Ok((featurizer, x))
    }

    /// The matrix of `rows` with a fitted featurizer.
    pub fn matrix(&self, featurizer: &Featurizer, rows: &[Row]) -> CsrMatrix {
        featurize(
            featurizer,
            &tokenize(&self.text, rows),
            &self.target_codes(rows),
        )
    }

    /// Which rows are crossed with a target (`None` when targets are not crossed).
    pub fn crossed(&self, rows: &[Row]) -> Option<Vec<bool>> {
        self.params.cross_target.then(|| {
            self.target_codes(rows)
                .iter()
                .map(Option::is_some)
                .collect()
        })
    }

    /// Each row's target hash, when targets are crossed and the row has one.
    fn target_codes(&self, rows: &[Row]) -> Vec<Option<u64>> {
        let code = |r: &Row| -> Option<u64> {
            if !self.params.cross_target {
                return None;
            }
            let t = r.target.as_deref()?.trim();
            (!t.is_empty()).then(|| target_hash(t))
        };
        rows.iter().map(code).collect()
    }
}
