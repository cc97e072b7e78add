//! Retraining on new labels (`stance-train --base OLD.model --data NEW.csv`).
//!
//! The old model's card says how it was trained: text and feature settings, seed,
//! columns, validation files, the C / class-weight selection trace, and every training
//! file with its SHA-256. [`retrain`] reads those files back (checking the hashes),
//! merges the new labels into them and trains again with the same settings.
//!
//! Merging is sequential and recorded per file, so it can be replayed: files from the
//! card without a `merge` rule are used as they are (duplicates inside the original
//! data stay, so retraining without new files reproduces the old model byte for byte);
//! each row of an added file is compared with every row before it by (trimmed text,
//! case-folded target). The same label: an exact duplicate, dropped. A different
//! label: a [`Conflict`], resolved by the [`ConflictRule`] (`newest`: the added row
//! replaces the earlier ones; `drop`: all rows of that text and target go).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::thread_stacker::{fit_thread_stacker, StackOptions};
use crate::error::{Error, Result};
use crate::head::{ClassWeighting, Head, Lineage, Selection};
use crate::io::{sha256_hex, Columns, FileRecord, Progress, Row, LABEL_COLUMN};
use crate::model::stack::Stacker;
use crate::train::{self, ClassWeight, Labelled, TrainConfig, DEFAULT_FOLDS};

pub use super::merge::{Conflict, ConflictRule, Merger};

/// What to retrain from and on.
#[derive(Debug, Clone)]
pub struct RetrainOptions {
    /// The parent model file.
    pub base: PathBuf,
    /// Newly labelled files (none: reproduce the parent from its recorded data).
    pub data: Vec<String>,
    /// Use recorded files whose contents changed (and skip missing ones) instead of failing.
    pub allow_changed_data: bool,
    /// Rule for conflicting labels.
    pub conflict_rule: ConflictRule,
    /// Re-run the parent's whole C / class-weight grid even with new data (without new
    /// data the whole grid is always re-run, which reproduces the parent exactly).
    pub reselect: bool,
    /// Skip malformed rows instead of failing.
    pub skip_bad_rows: bool,
}

/// The outcome of a retrain.
#[derive(Debug)]
pub struct Retrained {
    /// The new model.
    pub model: Head,
    /// Conflicts found while merging (in file order).
    pub conflicts: Vec<Conflict>,
}

/// The training settings recorded in a model: everything but the data. With `full_grid`
/// the parent's whole selection grid is re-run, otherwise only its chosen C and class
/// weighting.
pub fn config_from_model(model: &Head, full_grid: bool) -> TrainConfig {
    let card = &model.card;
    let col = |k: &str, d: String| card.columns.get(k).cloned().unwrap_or(d);
    let default = Columns::default();
    let report = card.selection_report.as_ref();
    let (c_grid, class_weight, shared_weights) = match report {
        // The whole search as recorded: the grid asked for, the weightings and the
        // shared-copy weights.
        Some(r) if full_grid => {
            let cw = match r.class_weights.as_slice() {
                [w] => ClassWeight::from(*w),
                _ => ClassWeight::Auto,
            };
            (r.c_grid.clone(), cw, r.shared_weights.clone())
        }
        // Older files: the grid read back from the selection trace.
        None if full_grid && !card.selection.is_empty() => {
            let mut cs: Vec<f64> = Vec::new();
            for (c, _, _) in &card.selection {
                if !cs.contains(c) {
                    cs.push(*c);
                }
            }
            let ws: BTreeSet<ClassWeighting> = card.selection.iter().map(|s| s.1).collect();
            let cw = match ws.iter().next() {
                Some(&w) if ws.len() == 1 => ClassWeight::from(w),
                _ => ClassWeight::Auto,
            };
            (cs, cw, Vec::new())
        }
        // The chosen setting (the featurizer keeps the chosen shared-copy weight).
        _ => (
            vec![card.c],
            ClassWeight::from(card.class_weight),
            Vec::new(),
        ),
    };
    // How the model was selected (older files: on the validation split).
    let (select, folds, cv_include_valid) = report
        .map_or((Selection::Valid, DEFAULT_FOLDS, false), |r| {
            (r.select, r.folds.max(2), r.include_valid)
        });
    TrainConfig {
        task: model.task.clone(),
        data: card.data.iter().map(|f| f.path.clone()).collect(),
        valid: card.valid.iter().map(|f| f.path.clone()).collect(),
        columns: Columns {
            text: col("text", default.text.clone()),
            label: Some(col("label", LABEL_COLUMN.into())),
            target: col("target", default.target.clone()),
            ..default
        },
        seed: card.seed,
        text: model.text().params().clone(),
        features: model.featurizer().params().clone(),
        c_grid,
        class_weight,
        shared_weights,
        select,
        folds,
        cv_include_valid,
        max_iterations: card.iteration_cap(),
        ..TrainConfig::default()
    }
}

/// Checks a recorded file against its SHA-256: `Ok(true)` when it can be used, `Ok(false)`
/// when it is missing and `allow` is set (skip it), an error naming it otherwise.
fn check_recorded(
    f: &FileRecord,
    what: &str,
    allow: bool,
    progress: &dyn Progress,
) -> Result<bool> {
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(e) if allow => {
            progress.warning(&format!(
                "{what} file {} recorded in the base model is unreadable ({e}); skipped",
                f.path
            ));
            return Ok(false);
        }
        Err(e) => {
            return Err(Error::Train(format!(
                "{what} file {} recorded in the base model cannot be read ({e}); restore it or pass --allow-changed-data to train without it",
                f.path
            )))
        }
    };
    let sha = sha256_hex(&bytes);
    if sha != f.sha256 {
        if allow {
            progress.warning(&format!(
                "{what} file {} changed since the base model was trained (SHA-256 {} now, {} recorded); using it as it is now",
                f.path, sha, f.sha256
            ));
        } else {
            return Err(Error::Train(format!(
                "{what} file {} changed since the base model was trained (SHA-256 {} now, {} recorded); restore it or pass --allow-changed-data",
                f.path, sha, f.sha256
            )));
        }
    }
    Ok(true)
}

/// Retrains as described in the module docs.
pub fn retrain(opts: &RetrainOptions, progress: &dyn Progress) -> Result<Retrained> {
    let base_bytes = std::fs::read(&opts.base).map_err(|e| Error::io(&opts.base, e))?;
    let base = Head::from_bytes(&base_bytes, &opts.base.display().to_string())?;
    let reproduce = opts.data.is_empty();
    let mut cfg = config_from_model(&base, reproduce || opts.reselect);
    cfg.skip_bad_rows = opts.skip_bad_rows;
    // Validation files: same checks; the config names them as recorded.
    let mut valid = Vec::new();
    for f in &base.card.valid {
        if check_recorded(f, "validation", opts.allow_changed_data, progress)? {
            valid.push(f.path.clone());
        }
    }
    cfg.valid = valid;

    let mut merger = Merger::default();
    let mut files = merge_recorded(&base, opts, &cfg, &mut merger, progress)?;
    let n_recorded = files.len();
    for p in &opts.data {
        let (rows, mut rec) = read_one(p, &cfg, progress)?;
        rec.merge = Some(opts.conflict_rule.name().to_string());
        merger.add(p, rows, Some(opts.conflict_rule));
        files.push(rec);
    }
    let (rows, dups, conflicts) = merger.rows();
    let lineage = if reproduce {
        base.card.lineage.clone()
    } else {
        progress.step(
            &cfg.task,
            &format!(
                "retraining on {} rows ({} recorded files + {} added); {} exact duplicates merged, {} conflicts ({} rule)",
                rows.len(),
                n_recorded,
                opts.data.len(),
                dups,
                conflicts.len(),
                opts.conflict_rule.name()
            ),
        );
        Some(Lineage {
            parent_sha256: sha256_hex(&base_bytes),
            added: files[n_recorded..].to_vec(),
            duplicates: dups,
            conflicts: conflicts.len(),
            adapted_targets: adapted_targets(&base, &rows),
            frozen_fits: Vec::new(),
        })
    };
    cfg.data = files.iter().map(|f| f.path.clone()).collect();
    let data = Labelled {
        rows,
        files,
        label_column: None,
    };
    let mut model = train::train_on(&cfg, data.clone(), lineage, progress)?;
    if let Some(stk) = &base.thread_stacker {
        model.thread_stacker = Some(refit_thread_stacker(stk, &cfg, &data, &model, progress)?);
    }
    Ok(Retrained { model, conflicts })
}

/// Reads one labelled file with `cfg`'s columns: its rows and its record.
fn read_one(
    path: &str,
    cfg: &TrainConfig,
    progress: &dyn Progress,
) -> Result<(Vec<Row>, FileRecord)> {
    let paths = [path.to_string()];
    let mut read = train::read_labelled(&paths, &cfg.columns, cfg.skip_bad_rows, progress)?;
    let rec = read.files.remove(0);
    Ok((read.rows, rec))
}

/// Reads the base model's recorded training files back (checked against their
/// SHA-256 and row counts) into `merger`, each by its recorded merge rule; returns the
/// records of those used.
fn merge_recorded(
    base: &Head,
    opts: &RetrainOptions,
    cfg: &TrainConfig,
    merger: &mut Merger,
    progress: &dyn Progress,
) -> Result<Vec<FileRecord>> {
    let mut files = Vec::new();
    for f in &base.card.data {
        if !check_recorded(f, "training", opts.allow_changed_data, progress)? {
            continue;
        }
        let (rows, mut rec) = read_one(&f.path, cfg, progress)?;
        if rec.rows != f.rows && rec.sha256 == f.sha256 {
            return Err(Error::Train(format!(
                "training file {} gives {} rows, but the base model used {} (was it trained with --skip-bad-rows?)",
                f.path, rec.rows, f.rows
            )));
        }
        let rule = match f.merge.as_deref() {
            None => None,
            Some(s) => Some(ConflictRule::parse(s).ok_or_else(|| {
                Error::model(
                    &opts.base,
                    format!("unknown merge rule '{s}' for {}", f.path),
                )
            })?),
        };
        rec.merge = f.merge.clone();
        merger.add(&f.path, rows, rule);
        files.push(rec);
    }
    Ok(files)
}

/// A relation head's learned thread combination, refitted as the base model's card
/// records it (same stance model and threads, which must still be where it says).
fn refit_thread_stacker(
    recorded: &Stacker,
    cfg: &TrainConfig,
    data: &Labelled,
    model: &Head,
    progress: &dyn Progress,
) -> Result<Stacker> {
    let stance_model = recorded.card.models.first().ok_or_else(|| {
        Error::Train("the base model's thread stacker names no stance model".into())
    })?;
    let opts = StackOptions {
        stance_model: stance_model.path.clone().into(),
        threads: recorded.card.data.iter().map(|f| f.path.clone()).collect(),
        folds: recorded.card.folds,
        c: recorded.card.c,
    };
    fit_thread_stacker(cfg, data, model, &opts, progress)
}

/// Writes conflicts as CSV (atomically, compressed by the path's extension).
pub fn write_conflicts(path: &Path, conflicts: &[Conflict]) -> Result<()> {
    let header = [
        "text",
        "target",
        "earlier_label",
        "earlier_source",
        "new_label",
        "new_source",
        "resolution",
    ];
    let records = conflicts.iter().map(|c| {
        [
            &c.text,
            &c.target,
            &c.earlier_label,
            &c.earlier_source,
            &c.new_label,
            &c.new_source,
            &c.resolution,
        ]
    });
    crate::io::write_csv(Some(path), &header, records)
}

/// The targets of `rows` the base model was not trained on, with those its own
/// retraining already adapted, in sorted order.
fn adapted_targets(base: &Head, rows: &[Row]) -> Vec<String> {
    let mut adapted: Vec<String> = base
        .card
        .lineage
        .as_ref()
        .map(|l| l.adapted_targets.clone())
        .unwrap_or_default();
    for t in rows.iter().filter_map(|r| r.target.as_deref()) {
        let key = t.trim().to_lowercase();
        if !base.knows_target(t) && !adapted.iter().any(|a| a.trim().to_lowercase() == key) {
            adapted.push(t.trim().to_string());
        }
    }
    adapted.sort();
    adapted
}
