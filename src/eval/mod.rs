//! Evaluation: a model and a labelled set in, the numbers a reviewer asks for out.
//!
//! Owns scoring a labelled set, the metric summary (`stance-eval --json` keys `n`,
//! `accuracy`, `macro_f1`, `macro_recall`, `f_avg`, `per_label`, `confusion`,
//! `per_target`, `ece`, `brier`), per-flag threshold analysis for binary heads, and
//! the readable terminal table.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::head::{with_thread_scratch, Head};
use crate::io::Row;
use crate::metrics::{self, argmax, positive_label, Summary};

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

/// Precision / recall at one threshold of a binary flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdPoint {
    /// Threshold on p(flag).
    pub threshold: f64,
    /// Precision of rows at or above it.
    pub precision: f64,
    /// Recall of flagged rows.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Share of all rows at or above it (the review workload).
    pub flagged_share: f64,
}

/// Threshold analysis of a binary flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagReport {
    /// The positive label.
    pub flag: String,
    /// At threshold 0.5 (the argmax decision).
    pub at_default: ThresholdPoint,
    /// Best F1 over all thresholds.
    pub best_f1: ThresholdPoint,
    /// The lowest threshold reaching the requested precision, if any does.
    pub at_min_precision: Option<ThresholdPoint>,
    /// The requested precision.
    pub min_precision: f64,
    /// The full sweep (101 thresholds 0.00..1.00), for plots.
    pub sweep: Vec<ThresholdPoint>,
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
    rows.iter()
        .map(|r| {
            let l = r.label.as_deref().unwrap_or("");
            model.labels.iter().position(|x| x == l).ok_or_else(|| {
                Error::input(
                    file,
                    Some(r.line),
                    column,
                    format!(
                        "label '{l}' is not one the model predicts ({})",
                        model.labels.join(", ")
                    ),
                )
            })
        })
        .collect()
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

fn point(scores: &[f32], positive: &[bool], t: f64) -> ThresholdPoint {
    let mut tp = 0usize;
    let mut flagged = 0usize;
    for (&s, &y) in scores.iter().zip(positive) {
        if s as f64 >= t {
            flagged += 1;
            tp += y as usize;
        }
    }
    let pos = positive.iter().filter(|&&y| y).count();
    let precision = if flagged == 0 {
        0.0
    } else {
        tp as f64 / flagged as f64
    };
    let recall = if pos == 0 {
        0.0
    } else {
        tp as f64 / pos as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    ThresholdPoint {
        threshold: t,
        precision,
        recall,
        f1,
        flagged_share: flagged as f64 / scores.len().max(1) as f64,
    }
}

/// Threshold analysis of a binary flag's probabilities.
pub fn flag_report(labels: &[String], s: &ScoredSet, min_precision: f64) -> Option<FlagReport> {
    let pos = positive_label(labels)?;
    let scores: Vec<f32> = s.probs.iter().map(|p| p[pos]).collect();
    let positive: Vec<bool> = s.gold.iter().map(|&g| g == pos).collect();
    let sweep: Vec<ThresholdPoint> = (0..=100)
        .map(|i| point(&scores, &positive, i as f64 / 100.0))
        .collect();
    // Candidate thresholds: every distinct score (exact), for best-F1 and min-precision.
    let mut cands: Vec<f64> = scores.iter().map(|&x| x as f64).collect();
    cands.sort_by(|a, b| a.total_cmp(b));
    cands.dedup();
    let points: Vec<ThresholdPoint> = cands
        .iter()
        .map(|&t| point(&scores, &positive, t))
        .collect();
    let best_f1 = points
        .iter()
        .cloned()
        .fold(None::<ThresholdPoint>, |b, p| match b {
            Some(b) if b.f1 >= p.f1 => Some(b),
            _ => Some(p),
        })
        .unwrap_or_else(|| point(&scores, &positive, 0.5));
    let at_min_precision = points
        .iter()
        .find(|p| p.precision >= min_precision && p.recall > 0.0)
        .cloned();
    Some(FlagReport {
        flag: labels[pos].clone(),
        at_default: point(&scores, &positive, 0.5),
        best_f1,
        at_min_precision,
        min_precision,
        sweep,
    })
}

/// Builds the report from scored rows.
pub fn report(model: &Head, rows: &[Row], s: &ScoredSet, min_precision: f64) -> EvalReport {
    let pred: Vec<usize> = s.probs.iter().map(|p| argmax(p)).collect();
    let summary = Summary::new(&model.labels, &s.gold, &pred);
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        groups
            .entry(r.target.clone().unwrap_or_default())
            .or_default()
            .push(i);
    }
    let per_target = groups
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
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// A readable multi-line summary for the terminal.
pub fn render_text(r: &EvalReport) -> String {
    let s = &r.summary;
    let mut out = format!("task: {}   rows: {}\n", r.task, s.n);
    out.push_str(&format!(
        "accuracy {}   macro-F1 {}   macro-recall {}",
        pct(s.accuracy),
        pct(s.macro_f1),
        pct(s.macro_recall)
    ));
    if let Some(f) = s.f_avg {
        out.push_str(&format!("   F_avg {}", pct(f)));
    }
    out.push_str(&format!(
        "\nECE {:.4} (raw {:.4})   Brier {:.4} (raw {:.4})\n\n",
        r.ece, r.ece_uncalibrated, r.brier, r.brier_uncalibrated
    ));
    let w = s
        .per_label
        .keys()
        .map(|k| k.len())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "{:w$}  precision  recall     F1  support\n",
        "label"
    ));
    for (l, v) in &s.per_label {
        out.push_str(&format!(
            "{l:w$}  {:>9}  {:>6}  {:>5}  {:>7}\n",
            pct(v.precision),
            pct(v.recall),
            pct(v.f1),
            v.support
        ));
    }
    out.push_str("\nconfusion (rows gold, columns predicted)\n");
    out.push_str(&format!("{:w$}", ""));
    for l in &s.confusion.labels {
        out.push_str(&format!("  {l:>w$}"));
    }
    out.push('\n');
    for (l, row) in s.confusion.labels.iter().zip(&s.confusion.counts) {
        out.push_str(&format!("{l:w$}"));
        for c in row {
            out.push_str(&format!("  {c:>w$}"));
        }
        out.push('\n');
    }
    if r.per_target.len() > 1 || r.per_target.keys().any(|k| !k.is_empty()) {
        out.push_str("\nper target\n");
        let tw = r
            .per_target
            .keys()
            .map(|k| k.len())
            .max()
            .unwrap_or(6)
            .max(6);
        for (t, v) in &r.per_target {
            let name = if t.is_empty() { "(none)" } else { t };
            out.push_str(&format!(
                "{name:tw$}  n {:>5}  acc {:>5}  macro-F1 {:>5}{}{}\n",
                v.n,
                pct(v.accuracy),
                pct(v.macro_f1),
                v.f_avg
                    .map(|f| format!("  F_avg {}", pct(f)))
                    .unwrap_or_default(),
                if v.known_to_model {
                    ""
                } else {
                    "  (target unseen in training)"
                }
            ));
        }
    }
    if let Some(f) = &r.flag {
        out.push_str(&format!("\nflag '{}'\n", f.flag));
        let line = |name: &str, p: &ThresholdPoint| {
            format!(
                "{name:<24} threshold {:.3}  precision {}  recall {}  F1 {}  flagged {}%\n",
                p.threshold,
                pct(p.precision),
                pct(p.recall),
                pct(p.f1),
                pct(p.flagged_share)
            )
        };
        out.push_str(&line("at 0.5", &f.at_default));
        out.push_str(&line("best F1", &f.best_f1));
        match &f.at_min_precision {
            Some(p) => out.push_str(&line(&format!("precision >= {}", f.min_precision), p)),
            None => out.push_str(&format!(
                "precision >= {}: no threshold reaches it\n",
                f.min_precision
            )),
        }
    }
    out
}
