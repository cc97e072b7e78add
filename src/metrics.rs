//! Classification metrics, written out and tested against hand-computed values (linfa
//! 0.8.1's `precision()` and `recall()` are swapped, so they are not used), and which
//! labels of a head mean what: the favor / against pair of a stance head, the flag of a
//! binary head. Every stage above `io` may use it; it imports nothing from the crate.
//!
//! Owns: confusion matrix, per-label precision / recall / F1 / support, accuracy,
//! macro-F1, macro-recall, SemEval's F_avg, expected calibration error and Brier score.
//! Undefined ratios (no predictions of a label, no gold rows) count as 0, as in
//! scikit-learn's `zero_division=0` and SemEval's `eval.pl`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Labels that count as "favor" for F_avg (any case).
pub const FAVOR_LIKE: &[&str] = &["favor", "favour", "pro", "support"];
/// Labels that count as "against" for F_avg (any case).
pub const AGAINST_LIKE: &[&str] = &["against", "con", "deny"];

/// Per-label scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScores {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Gold rows with this label.
    pub support: usize,
}

/// A confusion matrix: `counts[gold][pred]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// Label names, in index order.
    pub labels: Vec<String>,
    /// `counts[gold][pred]`.
    pub counts: Vec<Vec<usize>>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Confusion {
    /// Counts gold/predicted label-index pairs.
    pub fn new(labels: &[String], gold: &[usize], pred: &[usize]) -> Self {
        let k = labels.len();
        let mut counts = vec![vec![0; k]; k];
        for (&g, &p) in gold.iter().zip(pred) {
            counts[g][p] += 1;
        }
        Confusion {
            labels: labels.to_vec(),
            counts,
        }
    }

    /// Number of rows.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Accuracy.
    pub fn accuracy(&self) -> f64 {
        ratio(
            (0..self.labels.len()).map(|i| self.counts[i][i]).sum(),
            self.total(),
        )
    }

    /// Scores of label `i`.
    pub fn label(&self, i: usize) -> LabelScores {
        let tp = self.counts[i][i];
        let predicted: usize = self.counts.iter().map(|r| r[i]).sum();
        let support: usize = self.counts[i].iter().sum();
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        LabelScores {
            precision,
            recall,
            f1,
            support,
        }
    }

    /// Macro-averaged F1 over all labels.
    pub fn macro_f1(&self) -> f64 {
        let k = self.labels.len();
        (0..k).map(|i| self.label(i).f1).sum::<f64>() / k as f64
    }

    /// Macro-averaged recall (TweetEval's sentiment metric).
    pub fn macro_recall(&self) -> f64 {
        let k = self.labels.len();
        (0..k).map(|i| self.label(i).recall).sum::<f64>() / k as f64
    }

    /// F_avg = (F1(favor) + F1(against)) / 2, when both kinds of label exist.
    pub fn f_avg(&self) -> Option<f64> {
        let (f, a) = stance_pair(&self.labels)?;
        Some((self.label(f).f1 + self.label(a).f1) / 2.0)
    }
}

/// Indices of the favor-like and against-like labels, when a label set has both.
pub fn stance_pair(labels: &[String]) -> Option<(usize, usize)> {
    let find = |set: &[&str]| {
        labels
            .iter()
            .position(|l| set.contains(&l.to_lowercase().as_str()))
    };
    Some((find(FAVOR_LIKE)?, find(AGAINST_LIKE)?))
}

/// Index of the positive label of a binary head (`offensive` of offensive/not-offensive).
pub fn positive_label(labels: &[String]) -> Option<usize> {
    if labels.len() != 2 {
        return None;
    }
    // Scoring asks this for every row: bytes compared ignoring ASCII case, with no
    // lowercased copy. That is the Unicode-lowercase comparison, because the only
    // non-ASCII characters whose lowercase is ASCII (`K` Kelvin to `k`, `İ` to `i` and
    // a mark) lowercase to none of the patterns' letters.
    let negative = |l: &str| {
        let b = l.as_bytes();
        let starts =
            |p: &str| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes());
        let is = |p: &str| l.eq_ignore_ascii_case(p);
        starts("not") || starts("non") || is("no") || is("none") || is("0") || is("false")
    };
    match (negative(&labels[0]), negative(&labels[1])) {
        (true, false) => Some(1),
        (false, true) => Some(0),
        _ => Some(1),
    }
}

/// Expected calibration error of the top-label confidence, in `bins` equal-width bins:
/// the row-weighted mean gap between confidence and accuracy over [`reliability_bins`].
pub fn ece(probs: &[Vec<f32>], gold: &[usize], bins: usize) -> f64 {
    let total = probs.len().max(1) as f64;
    reliability_bins(probs, gold, bins)
        .iter()
        .map(|&(conf, acc, n)| (acc - conf).abs() * n as f64 / total)
        .sum()
}

/// Reliability-diagram bins: (mean confidence, accuracy, count) per non-empty bin.
pub fn reliability_bins(probs: &[Vec<f32>], gold: &[usize], bins: usize) -> Vec<(f64, f64, usize)> {
    let mut conf = vec![0f64; bins];
    let mut acc = vec![0f64; bins];
    let mut n = vec![0usize; bins];
    for (p, &g) in probs.iter().zip(gold) {
        let (top, &c) = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("at least one class");
        let b = ((c as f64 * bins as f64) as usize).min(bins - 1);
        conf[b] += c as f64;
        acc[b] += (top == g) as u8 as f64;
        n[b] += 1;
    }
    (0..bins)
        .filter(|&b| n[b] > 0)
        .map(|b| (conf[b] / n[b] as f64, acc[b] / n[b] as f64, n[b]))
        .collect()
}

/// Multi-class Brier score: mean over rows of the squared distance to the one-hot gold.
pub fn brier(probs: &[Vec<f32>], gold: &[usize]) -> f64 {
    let total: f64 = probs
        .iter()
        .zip(gold)
        .map(|(p, &g)| {
            p.iter()
                .enumerate()
                .map(|(k, &q)| {
                    let y = (k == g) as u8 as f64;
                    (q as f64 - y).powi(2)
                })
                .sum::<f64>()
        })
        .sum();
    total / probs.len().max(1) as f64
}

/// Index of the largest probability (first on ties).
pub fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best
}

/// The headline numbers of one labelled set, as serialized in `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Rows.
    pub n: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1.
    pub macro_f1: f64,
    /// Macro-recall.
    pub macro_recall: f64,
    /// F_avg when favor/against labels exist.
    pub f_avg: Option<f64>,
    /// Per-label scores.
    pub per_label: BTreeMap<String, LabelScores>,
    /// Confusion matrix.
    pub confusion: Confusion,
}

impl Summary {
    /// Computes the summary of predictions against gold labels.
    pub fn new(labels: &[String], gold: &[usize], pred: &[usize]) -> Self {
        let confusion = Confusion::new(labels, gold, pred);
        Summary {
            n: gold.len(),
            accuracy: confusion.accuracy(),
            macro_f1: confusion.macro_f1(),
            macro_recall: confusion.macro_recall(),
            f_avg: confusion.f_avg(),
            per_label: labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), confusion.label(i)))
                .collect(),
            confusion,
        }
    }

    /// The model-selection metric: F_avg for stance-like label sets, else macro-F1.
    pub fn primary(&self) -> f64 {
        self.f_avg.unwrap_or(self.macro_f1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["against", "favor", "none"].map(String::from).to_vec()
    }

    #[test]
    fn hand_computed_confusion() {
        // gold:  a a a f f n n n n
        // pred:  a a f f n n n a n
        let gold = [0, 0, 0, 1, 1, 2, 2, 2, 2];
        let pred = [0, 0, 1, 1, 2, 2, 2, 0, 2];
        let c = Confusion::new(&labels(), &gold, &pred);
        assert_eq!(c.counts, vec![vec![2, 1, 0], vec![0, 1, 1], vec![1, 0, 3]]);
        // against: tp 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
        let a = c.label(0);
        assert!((a.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.recall - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.support, 3);
        // favor: tp 1, predicted 2, support 2 → P 0.5 R 0.5 F1 0.5
        assert!((c.label(1).f1 - 0.5).abs() < 1e-12);
        // none: tp 3, predicted 4, support 4 → 0.75
        assert!((c.label(2).f1 - 0.75).abs() < 1e-12);
        assert!((c.accuracy() - 6.0 / 9.0).abs() < 1e-12);
        assert!((c.macro_f1() - (2.0 / 3.0 + 0.5 + 0.75) / 3.0).abs() < 1e-12);
        assert!((c.f_avg().unwrap() - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn precision_and_recall_are_not_swapped() {
        // One label predicted everywhere: recall 1, precision = its share.
        let l = ["pos", "neg"].map(String::from);
        let c = Confusion::new(&l, &[0, 0, 1, 1], &[0, 0, 0, 0]);
        assert_eq!(c.label(0).recall, 1.0);
        assert_eq!(c.label(0).precision, 0.5);
        assert_eq!(
            c.label(1).precision,
            0.0,
            "never predicted: 0 by convention"
        );
    }

    #[test]
    fn f_avg_needs_both_labels_and_any_case() {
        let l: Vec<String> = ["FAVOR", "AGAINST", "NONE"].map(String::from).to_vec();
        assert_eq!(stance_pair(&l), Some((0, 1)));
        let l: Vec<String> = ["offensive", "not-offensive"].map(String::from).to_vec();
        assert_eq!(stance_pair(&l), None);
        let l: Vec<String> = ["pro", "con", "neutral"].map(String::from).to_vec();
        assert_eq!(stance_pair(&l), Some((0, 1)));
    }

    #[test]
    fn ece_and_brier_hand_computed() {
        // Two rows at confidence 0.8 (one right, one wrong) and one at 0.6 (right).
        let probs = vec![vec![0.8, 0.2], vec![0.8, 0.2], vec![0.4, 0.6]];
        let gold = [0, 1, 1];
        // Bin of 0.8: acc 0.5, conf 0.8, n 2 → |0.5-0.8|*2/3 = 0.2
        // Bin of 0.6: acc 1, conf 0.6, n 1 → 0.4/3
        let e = ece(&probs, &gold, 15);
        assert!((e - (0.2 + 0.4 / 3.0)).abs() < 1e-6, "{e}");
        // Brier: (0.04+0.04) + (0.64+0.64) + (0.16+0.16) = 1.68 / 3
        assert!((brier(&probs, &gold) - 0.56).abs() < 1e-6);
    }

    #[test]
    fn macro_recall_hand_computed() {
        let c = Confusion::new(&["a", "b"].map(String::from), &[0, 0, 1, 1], &[0, 1, 1, 1]);
        assert!((c.macro_recall() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn the_positive_label_is_the_one_not_named_as_a_negative() {
        for (a, b, want) in [
            ("not-offensive", "offensive", Some(1)),
            ("Offensive", "NOT", Some(0)),
            ("hate", "Non-Hate", Some(0)),
            ("No", "yes", Some(1)),
            ("NONE", "toxic", Some(1)),
            ("1", "0", Some(0)),
            ("FALSE", "true", Some(1)),
            // Neither or both read as negative: the second label.
            ("nothing", "none", Some(1)),
            ("favor", "against", Some(1)),
            ("no", "nope", Some(1)),
            ("nó", "yes", Some(1)),
        ] {
            assert_eq!(
                positive_label(&[a.to_string(), b.to_string()]),
                want,
                "{a} / {b}"
            );
        }
        assert_eq!(positive_label(&["a".to_string()]), None);
    }
}
