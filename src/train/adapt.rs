//! Adapting a stance head to new targets on top of its frozen weights
//! (`stance-train --base OLD.model --data NEW.csv` when every target of NEW is new to OLD).
//!
//! A target the parent never saw is answered by its shared (target-general) weights
//! alone. A newsroom that labels a few dozen comments under a new article wants that
//! answer corrected for its target without touching anyone else's. Here every weight
//! of the parent stays as it is and only the new target's crossed weights are fitted:
//! the parent's calibrated logits for each labelled row are fixed offsets, and a
//! softmax regression without a bias learns `W` on the row's crossed copy
//! ([`crate::model::linear::fit_on_offsets`]) so that `softmax(o + W x)` fits the
//! labels. `W` goes into a table of its own, which only the adapted targets' crossed
//! copies read (half of a stance head's buckets hold some weight, so sharing the main
//! table would add noise to the new target and could move the others); every other
//! target's answer is bit for bit the parent's. The L2
//! strength is chosen per target by seeded stratified cross-validation on its labels
//! (log loss, the smaller C on a tie); a very small C leaves the generic answer, so a
//! handful of noisy labels cannot do much harm. The parent's training files are not
//! needed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::select::stratified_folds;
use crate::error::{Error, Result};
use crate::features::bucket_table::BucketTable;
use crate::features::{target_hash, CharNgrams, FeatureScratch, SparseVec};
use crate::head::{Basis, FrozenFit, Head, Lineage};
use crate::io::{sha256_hex, Progress, Row};
use crate::model::calibrate::Calibration;
use crate::model::linear::{fit_on_offsets, CsrMatrix, SoftmaxParams, SparseSoftmax};
use crate::train::{self, retrain::config_from_model, Labelled};
use linfa::ParamGuard;

/// The C values tried for a new target's crossed weights.
pub const ADAPT_C_GRID: &[f64] = &[0.03, 0.1, 0.3, 1.0, 3.0, 10.0];

/// Cross-validation folds (fewer when a label has fewer rows; none below two rows).
pub const ADAPT_FOLDS: usize = 5;

/// What to adapt and on what.
#[derive(Debug, Clone)]
pub struct AdaptOptions {
    /// The parent model file.
    pub base: PathBuf,
    /// Labelled files of the new targets.
    pub data: Vec<String>,
    /// Skip malformed rows instead of failing.
    pub skip_bad_rows: bool,
}

/// How `stance-train --base` learns from added labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum AdaptMode {
    /// `frozen` when the base crosses targets and every added row names a target it
    /// does not know, else `retrain`.
    Auto,
    /// Fit only the new targets' crossed weights on the frozen base (this module).
    Frozen,
    /// Retrain on the base's recorded training files plus the added ones
    /// ([`super::retrain`]).
    Retrain,
}

/// The parent model and the added labels, each read once: whether a frozen
/// adaptation applies ([`Adaptation::only_new_targets`]) and the adaptation itself
/// ([`Adaptation::run`]) both work from them.
#[derive(Debug)]
pub struct Adaptation {
    base: Head,
    base_bytes: Vec<u8>,
    files: Vec<String>,
    data: Labelled,
}

impl Adaptation {
    /// Reads the parent model and the added files (with the parent's columns).
    pub fn read(opts: &AdaptOptions, progress: &dyn Progress) -> Result<Self> {
        let base_bytes = std::fs::read(&opts.base).map_err(|e| Error::io(&opts.base, e))?;
        let base = Head::from_bytes(&base_bytes, &opts.base.display().to_string())?;
        let cfg = config_from_model(&base, false);
        let data = train::read_labelled(&opts.data, &cfg.columns, opts.skip_bad_rows, progress)?;
        Ok(Adaptation {
            base,
            base_bytes,
            files: opts.data.clone(),
            data,
        })
    }

    /// Whether `auto` means a frozen adaptation: the parent crosses targets and every
    /// added row names a target it does not know.
    pub fn only_new_targets(&self) -> bool {
        let base = &self.base;
        base.featurizer().params().cross_target
            && !self.data.rows.is_empty()
            && self.data.rows.iter().all(|r| {
                r.target
                    .as_deref()
                    .is_some_and(|t| !t.trim().is_empty() && !base.knows_target(t))
            })
    }

    /// Adapts as described in the module docs; returns the new model.
    pub fn run(self, progress: &dyn Progress) -> Result<Head> {
        let Adaptation {
            base,
            base_bytes,
            files,
            data,
        } = self;
        check_rows(&base, &files, &data.rows)?;
        let mut by_target: BTreeMap<String, (String, Vec<&Row>)> = BTreeMap::new();
        for r in &data.rows {
            let t = r.target.as_deref().expect("checked").trim();
            by_target
                .entry(t.to_lowercase())
                .or_insert_with(|| (t.to_string(), Vec::new()))
                .1
                .push(r);
        }
        let scale = logit_scale(&base.calibration)?;
        let mut delta: BTreeMap<u32, Vec<f32>> = BTreeMap::new();
        let mut fits = Vec::new();
        for (target, rows) in by_target.values() {
            let tr = target_rows(&base, target, rows);
            let (fit, w) = fit_target(&tr, &base.labels, base.card.seed)?;
            let mut columns = 0;
            for (b, row) in w.iter().flat_map(|w| w.weights.iter()) {
                if row.iter().any(|&v| v != 0.0) {
                    let d = delta.entry(b).or_insert_with(|| vec![0.0; row.len()]);
                    d.iter_mut().zip(row).for_each(|(a, &v)| *a += v * scale);
                    columns += 1;
                }
            }
            let fit = FrozenFit {
                target: target.clone(),
                columns,
                ..fit
            };
            progress.step(&base.task, &fit_message(&fit, folds_for(tr.y.len())));
            fits.push(fit);
        }
        Ok(assemble(&base, &base_bytes, data.files, fits, delta))
    }
}

/// One new target's labelled rows as the fit reads them.
struct TargetRows {
    /// Free crossed entries of each row.
    x: CsrMatrix,
    /// Label index of each row.
    y: Vec<usize>,
    /// The parent's calibrated logits, `k` per row.
    offsets: Vec<f64>,
}

/// What a fit did, for the progress line.
fn fit_message(fit: &FrozenFit, folds: usize) -> String {
    let cv = |c: f64| {
        fit.cv_log_loss
            .iter()
            .find(|p| p.0 == c)
            .map_or(f64::NAN, |p| p.1)
    };
    if fit.c > 0.0 {
        format!(
            "adapted '{}' on {} labels: C={}, {folds}-fold cross-validated log loss {:.4} against {:.4} for the generic answer; {} crossed weight rows",
            fit.target, fit.rows, fit.c, cv(fit.c), fit.parent_log_loss, fit.columns
        )
    } else {
        format!(
            "'{}' stays generic: on its {} labels no C beat the generic answer's log loss {:.4} in {folds}-fold cross-validation (best {:.4})",
            fit.target,
            fit.rows,
            fit.parent_log_loss,
            fit.cv_log_loss.iter().map(|p| p.1).fold(f64::NAN, f64::min)
        )
    }
}

/// Every row has a target new to `base` and one of its labels; else an error naming
/// the file and line.
fn check_rows(base: &Head, files: &[String], rows: &[Row]) -> Result<()> {
    if !base.featurizer().params().cross_target {
        return Err(Error::Train(format!(
            "the base model's head ({}) has no per-target weights to adapt",
            base.task
        )));
    }
    if rows.is_empty() {
        return Err(Error::Train(format!(
            "no labelled rows in {}",
            files.join(", ")
        )));
    }
    let at = |r: &Row| format!("{} line {}", files.join(", "), r.line);
    for r in rows {
        match r.target.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(Error::Train(format!(
                    "{}: no target (adapting learns a new target's weights)",
                    at(r)
                )))
            }
            Some(t) if base.basis(Some(t)) == Some(Basis::Adapted) => {
                return Err(Error::Train(format!(
                    "{}: target '{t}' was adapted already; adapt the model it was adapted from (parent SHA-256 in its card) with all of its labels",
                    at(r)
                )))
            }
            Some(t) if base.knows_target(t) => {
                return Err(Error::Train(format!(
                    "{}: target '{t}' is one the base model was trained on; only new targets are adapted on frozen weights (retrain with --adapt retrain)",
                    at(r)
                )))
            }
            _ => {}
        }
        let label = r.label.as_deref().unwrap_or("");
        if !base.labels.iter().any(|l| l == label) {
            return Err(Error::Train(format!(
                "{}: label '{label}' is not one of the base model's ({})",
                at(r),
                base.labels.join(", ")
            )));
        }
    }
    Ok(())
}

/// How a weight fitted on calibrated logits maps back to raw logits: the temperature,
/// or for Platt scaling one over its slope.
fn logit_scale(cal: &Calibration) -> Result<f32> {
    Ok(match *cal {
        Calibration::None => 1.0,
        Calibration::Temperature { t } => t,
        Calibration::Platt { a, .. } if a != 0.0 => 1.0 / a,
        Calibration::Platt { .. } => {
            return Err(Error::Train(
                "the base model's calibration has slope 0".into(),
            ))
        }
    })
}

/// The parent's calibrated logits (before the softmax) from raw logits `z`.
fn calibrated_logits(cal: &Calibration, z: &[f32]) -> Vec<f64> {
    match *cal {
        Calibration::None => z.iter().map(|&v| v as f64).collect(),
        Calibration::Temperature { t } => z.iter().map(|&v| (v / t) as f64).collect(),
        Calibration::Platt { a, b } => vec![0.0, (a * (z[1] - z[0]) + b) as f64],
    }
}

/// Featurizes a new target's rows: the parent's generic answer (calibrated logits of
/// the shared copy alone) and the row's crossed copy toward `target`.
fn target_rows(base: &Head, target: &str, rows: &[&Row]) -> TargetRows {
    let feat = base.featurizer();
    let code = target_hash(target);
    let k = base.labels.len();
    let mut x = CsrMatrix::new(feat.params().buckets());
    let (mut y, mut offsets) = (Vec::new(), Vec::new());
    let (mut scratch, mut out) = (FeatureScratch::default(), SparseVec::default());
    let mut z = vec![0f32; k];
    for r in rows {
        let tokens = base.row_tokens(&r.text, None, Some(target));
        feat.transform(
            &tokens,
            Some(code),
            CharNgrams::Entries,
            &mut scratch,
            &mut out,
        );
        let half = out.idx.len() / 2;
        base.linear()
            .logits(&out.idx[..half], &out.val[..half], &mut z);
        offsets.extend(calibrated_logits(&base.calibration, &z));
        x.push_row(&out.idx[half..], &out.val[half..]);
        let label = r.label.as_deref().unwrap_or("");
        y.push(
            base.labels
                .iter()
                .position(|l| l == label)
                .expect("checked"),
        );
    }
    TargetRows { x, y, offsets }
}

/// Folds for `n` rows: [`ADAPT_FOLDS`], fewer so that each holds at least two rows;
/// 0 (no cross-validation) below four rows.
fn folds_for(n: usize) -> usize {
    if n < 4 {
        0
    } else {
        ADAPT_FOLDS.min(n / 2)
    }
}

/// The rows `keep` of `tr`.
fn subset(tr: &TargetRows, keep: &[usize], k: usize) -> TargetRows {
    let mut x = CsrMatrix::new(tr.x.ncols);
    let (mut y, mut offsets) = (Vec::new(), Vec::new());
    for &i in keep {
        let (idx, val) = tr.x.row(i);
        x.push_row(idx, val);
        y.push(tr.y[i]);
        offsets.extend_from_slice(&tr.offsets[i * k..i * k + k]);
    }
    TargetRows { x, y, offsets }
}

/// The logits `o + W x` of each of `tr`'s rows (`w`: `None` for the offsets alone).
fn row_logits(tr: &TargetRows, w: Option<&SparseSoftmax>, k: usize) -> Vec<Vec<f64>> {
    let mut z = vec![0f32; k];
    (0..tr.y.len())
        .map(|i| {
            z.iter_mut().for_each(|v| *v = 0.0);
            if let Some(w) = w {
                let (idx, val) = tr.x.row(i);
                w.logits(idx, val, &mut z);
            }
            (0..k)
                .map(|c| tr.offsets[i * k + c] + z[c] as f64)
                .collect()
        })
        .collect()
}

/// Mean log loss of the softmax of `logits` against `y`.
fn log_loss(logits: &[Vec<f64>], y: &[usize]) -> f64 {
    let total: f64 = logits
        .iter()
        .zip(y)
        .map(|(u, &yi)| {
            let m = u.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            m + libm::log(u.iter().map(|a| libm::exp(a - m)).sum::<f64>()) - u[yi]
        })
        .sum();
    total / y.len().max(1) as f64
}

fn fit_c(tr: &TargetRows, k: usize, c: f64) -> Result<SparseSoftmax> {
    let params = SoftmaxParams::new(k).c(c).check()?;
    let w = super::select::class_weights(&tr.y, k, true);
    fit_on_offsets(&params, &tr.x, &tr.y, &w, &tr.offsets)
}

/// Chooses C by cross-validation and fits on all rows (see the module docs); the
/// [`FrozenFit`] has its target and column count left to fill.
fn fit_target(
    tr: &TargetRows,
    labels: &[String],
    seed: u64,
) -> Result<(FrozenFit, Option<SparseSoftmax>)> {
    let k = labels.len();
    let n = tr.y.len();
    let n_folds = folds_for(n);
    let base_score = log_loss(&row_logits(tr, None, k), &tr.y);
    let mut cv = Vec::with_capacity(ADAPT_C_GRID.len());
    if n_folds >= 2 {
        let fold = stratified_folds(&tr.y, n_folds, seed);
        for &c in ADAPT_C_GRID {
            let mut oof = vec![Vec::new(); n];
            for f in 0..n_folds {
                let (fit_rows, held): (Vec<usize>, Vec<usize>) =
                    (0..n).partition(|&i| fold[i] != f);
                let w = fit_c(&subset(tr, &fit_rows, k), k, c)?;
                for (i, u) in held
                    .iter()
                    .zip(row_logits(&subset(tr, &held, k), Some(&w), k))
                {
                    oof[*i] = u;
                }
            }
            cv.push((c, log_loss(&oof, &tr.y)));
        }
    }
    // The smallest log loss, the parent's own answer (C = 0) first and then the
    // smaller C on a tie; too few rows to cross-validate: the parent's answer.
    let c = cv
        .iter()
        .fold(
            (0.0, base_score),
            |best, &(c, l)| if l < best.1 { (c, l) } else { best },
        )
        .0;
    let w = if c > 0.0 {
        Some(fit_c(tr, k, c)?)
    } else {
        None
    };
    let fit = FrozenFit {
        target: String::new(),
        rows: n,
        c,
        cv_log_loss: cv,
        parent_log_loss: base_score,
        columns: 0,
    };
    Ok((fit, w))
}

/// The adapted model: the parent with the new targets named, their crossed weights
/// added to its table of adapted weights, and the lineage recording the fits.
fn assemble(
    base: &Head,
    base_bytes: &[u8],
    added: Vec<crate::io::FileRecord>,
    fits: Vec<FrozenFit>,
    delta: BTreeMap<u32, Vec<f32>>,
) -> Head {
    let k = base.labels.len();
    let mut rows: BTreeMap<u32, Vec<f32>> = base
        .adapted_weights()
        .map(|t| t.iter().map(|(b, r)| (b, r.to_vec())).collect())
        .unwrap_or_default();
    for (b, r) in delta {
        let row = rows.entry(b).or_insert_with(|| vec![0.0; k]);
        row.iter_mut().zip(r).for_each(|(a, d)| *a += d);
    }
    let adapted_table = BucketTable::from_rows(
        base.linear().weights.buckets(),
        k,
        rows.iter().map(|(&b, r)| (b, r.as_slice())),
    )
    .expect("ascending buckets of the parent's width");
    let mut targets = base.targets.clone();
    let lineage = base.card.lineage.as_ref();
    let mut adapted: Vec<String> = lineage
        .map(|l| l.adapted_targets.clone())
        .unwrap_or_default();
    let mut frozen_fits: Vec<FrozenFit> =
        lineage.map(|l| l.frozen_fits.clone()).unwrap_or_default();
    for f in fits.iter().filter(|f| f.c > 0.0) {
        targets.push(f.target.clone());
        adapted.push(f.target.clone());
    }
    adapted.sort();
    frozen_fits.extend(fits);
    let mut card = base.card.clone();
    card.lineage = Some(Lineage {
        parent_sha256: sha256_hex(base_bytes),
        added,
        duplicates: 0,
        conflicts: 0,
        adapted_targets: adapted,
        frozen_fits,
    });
    let mut head = Head::new(
        base.task.clone(),
        base.labels.clone(),
        targets,
        base.text().params().clone(),
        base.featurizer().clone(),
        base.linear().clone(),
        base.calibration,
        card,
    );
    head.thread_stacker = base.thread_stacker.clone();
    head.set_adapted_weights(adapted_table);
    head
}
