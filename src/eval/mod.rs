//! Evaluation: a model and a labelled set in, the numbers a reviewer asks for out.
//!
//! Owns scoring a labelled set, the metric summary (`stance-eval --json` keys `n`,
//! `accuracy`, `macro_f1`, `macro_recall`, `f_avg`, `per_label`, `confusion`,
//! `per_target`, `ece`, `brier`), per-flag threshold analysis for binary heads, and
//! the readable terminal table.
//!
//! Files: `flag` (threshold analysis of a binary flag), `text` (the terminal summary).
//! Imports from the crate: `error`, `metrics`, `io`, `head`.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::head::{with_thread_scratch, Head, Selection};
use crate::io::{label_indices, Row};
use crate::metrics::{self, argmax, Summary};

mod flag;
mod text;

pub use flag::{flag_report, FlagReport, ThresholdPoint};
pub use text::{pct, render_text};

/// Scores of one target's rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetScores {
    /// Rows.
    pub n: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1.
    pub macro_f1: f64,
    /// F_avg when favor/against labels exist.
    pub f_avg: Option<f64>,
    /// Whether the model saw this target in training.
    pub known_to_model: bool,
}

/// Everything `stance-eval` reports for one model on one labelled set.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Task name of the model.
    pub task: String,
    /// Headline metrics (flattened into the JSON object).
    #[serde(flatten)]
    pub summary: Summary,
    /// Per-target breakdown (targets as written in the data; "" = none).
    pub per_target: BTreeMap<String, TargetScores>,
    /// Expected calibration error (15 bins) of the calibrated probabilities.
    pub ece: f64,
    /// Brier score of the calibrated probabilities.
    pub brier: f64,
    /// ECE of the raw softmax (before calibration).
    pub ece_uncalibrated: f64,
    /// Brier score of the raw softmax.
    pub brier_uncalibrated: f64,
    /// Threshold analysis when the head is a binary flag.
    pub flag: Option<FlagReport>,
    /// The model's own cross-validation score from training (its card), to read beside
    /// this set's (absent for models selected on a validation split).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CvScore>,
}

/// A head's cross-validated selection score, as its card records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvScore {
    /// Number of folds.
    pub folds: usize,
    /// The selection metric (`f_avg` or `macro_f1`).
    pub metric: String,
    /// Its mean over the folds at the chosen setting.
    pub mean: f64,
    /// Its sample standard deviation over the folds.
    pub spread: f64,
}

impl CvScore {
    /// The score in `model`'s card, when it was selected by cross-validation.
    pub fn of(model: &Head) -> Option<Self> {
        let r = model.card.selection_report.as_ref()?;
        (r.select == Selection::Cv).then(|| CvScore {
            folds: r.folds,
            metric: model.card.selection_metric.clone(),
            mean: r.chosen.mean,
            spread: r.chosen.spread,
        })
    }
}

/// Per-row results of scoring a labelled set (kept for reports and comparisons).
#[derive(Debug, Clone)]
pub struct ScoredSet {
    /// Gold label indices.
    pub gold: Vec<usize>,
    /// Calibrated probabilities.
    pub probs: Vec<Vec<f32>>,
    /// Raw softmax probabilities.
    pub raw: Vec<Vec<f32>>,
}

/// Maps rows' gold labels to the model's label indices; unknown labels are errors.
pub fn gold_indices(
    model: &Head,
    rows: &[Row],
    file: &str,
    column: Option<u64>,
) -> Result<Vec<usize>> {
    label_indices(
        &model.labels,
        rows,
        (file, column),
        "one the model predicts",
    )
}

/// Scores labelled rows (in parallel, in order).
pub fn score_rows(model: &Head, rows: &[Row], gold: Vec<usize>, target: Option<&str>) -> ScoredSet {
    let (probs, raw): (Vec<Vec<f32>>, Vec<Vec<f32>>) = rows
        .par_iter()
        .map(|r| {
            let t = target.or(r.target.as_deref());
            let z = with_thread_scratch(|s| model.logits(&r.text, t, s));
            let mut p = z.clone();
            model.calibration.apply(&mut p);
            let mut q = z;
            crate::model::linear::softmax(&mut q);
            (p, q)
        })
        .unzip();
    ScoredSet { gold, probs, raw }
}

/// The indices of `rows` grouped by `key` (rows without one under ""), in key order.
pub fn group_rows(
    rows: &[Row],
    key: impl Fn(&Row) -> Option<&str>,
) -> BTreeMap<String, Vec<usize>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let k = key(r).unwrap_or_default().to_string();
        groups.entry(k).or_default().push(i);
    }
    groups
}

/// Builds the report from scored rows.
pub fn report(model: &Head, rows: &[Row], s: &ScoredSet, min_precision: f64) -> EvalReport {
    let pred: Vec<usize> = s.probs.iter().map(|p| argmax(p)).collect();
    let summary = Summary::new(&model.labels, &s.gold, &pred);
    let per_target = group_rows(rows, |r| r.target.as_deref())
        .into_iter()
        .map(|(t, idx)| {
            let g: Vec<usize> = idx.iter().map(|&i| s.gold[i]).collect();
            let p: Vec<usize> = idx.iter().map(|&i| pred[i]).collect();
            let sm = Summary::new(&model.labels, &g, &p);
            let known = model.knows_target(&t);
            (
                t,
                TargetScores {
                    n: sm.n,
                    accuracy: sm.accuracy,
                    macro_f1: sm.macro_f1,
                    f_avg: sm.f_avg,
                    known_to_model: known,
                },
            )
        })
        .collect();
    EvalReport {
        task: model.task.clone(),
        summary,
        per_target,
        ece: metrics::ece(&s.probs, &s.gold, 15),
        brier: metrics::brier(&s.probs, &s.gold),
        ece_uncalibrated: metrics::ece(&s.raw, &s.gold, 15),
        brier_uncalibrated: metrics::brier(&s.raw, &s.gold),
        flag: flag_report(&model.labels, s, min_precision),
        cross_validation: CvScore::of(model),
    }
}
