//! Threshold analysis of a binary flag: precision, recall, F1 and the share of rows
//! flagged at 0.5, at the best-F1 threshold and at the lowest threshold reaching a
//! precision, and the sweep behind the plots.

use serde::Serialize;

use super::ScoredSet;
use crate::metrics::positive_label;

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
