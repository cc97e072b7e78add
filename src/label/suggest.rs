//! Active learning: which unlabelled comments are most worth labelling next.
//!
//! Every comment is scored by the model's calibrated probabilities; the most uncertain
//! come first (`margin`: smallest gap between the two most likely labels; `entropy`:
//! highest entropy; `random`: a seeded shuffle as the baseline). A diversity guard keeps
//! near-duplicates out of one batch: a candidate whose set of normalized tokens has
//! Jaccard similarity above [`MAX_JACCARD`] with an already chosen one is skipped.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::head::{with_thread_scratch, Head};
use crate::io::Row;

/// Candidates more similar than this (Jaccard of token sets) to a chosen one are skipped.
pub const MAX_JACCARD: f64 = 0.8;

/// How candidates are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Strategy {
    /// Smallest gap between the top two probabilities first.
    Margin,
    /// Highest entropy of the probabilities first.
    Entropy,
    /// Seeded random order (baseline).
    Random,
}

/// One comment chosen for labelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Index of the row in the input.
    pub index: usize,
    /// Predicted label.
    pub predicted: String,
    /// Probability of the predicted label.
    pub confidence: f32,
    /// Uncertainty score (higher = more uncertain; 0 for `random`).
    pub uncertainty: f64,
}

/// Jaccard similarity of two token sets (two empty sets are identical).
pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

fn uncertainty(p: &[f32], strategy: Strategy) -> f64 {
    match strategy {
        Strategy::Margin => {
            let mut s: Vec<f32> = p.to_vec();
            s.sort_by(|a, b| b.total_cmp(a));
            1.0 - (s[0] - s.get(1).copied().unwrap_or(0.0)) as f64
        }
        Strategy::Entropy => p
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| -(x as f64) * (x as f64).ln())
            .sum(),
        Strategy::Random => 0.0,
    }
}

/// The `n` rows most worth labelling. `target` overrides the rows' targets.
pub fn suggest(
    model: &Head,
    rows: &[Row],
    n: usize,
    strategy: Strategy,
    seed: u64,
    target: Option<&str>,
) -> Vec<Suggestion> {
    let scored: Vec<(Vec<f32>, HashSet<String>)> = rows
        .par_iter()
        .map(|r| {
            let t = target.or(r.target.as_deref());
            let p = with_thread_scratch(|s| model.predict(&r.text, t, s));
            let toks: HashSet<String> = model.text().tokens(&r.text).into_iter().collect();
            (p, toks)
        })
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let unc: Vec<f64> = scored
        .iter()
        .map(|(p, _)| uncertainty(p, strategy))
        .collect();
    if strategy == Strategy::Random {
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    } else {
        order.sort_by(|&a, &b| unc[b].total_cmp(&unc[a]).then(a.cmp(&b)));
    }
    let mut chosen: Vec<usize> = Vec::new();
    for i in order {
        if chosen.len() >= n {
            break;
        }
        if chosen
            .iter()
            .any(|&j| jaccard(&scored[i].1, &scored[j].1) > MAX_JACCARD)
        {
            continue;
        }
        chosen.push(i);
    }
    chosen
        .into_iter()
        .map(|i| {
            let p = &scored[i].0;
            let best = crate::metrics::argmax(p);
            Suggestion {
                index: i,
                predicted: model.labels[best].clone(),
                confidence: p[best],
                uncertainty: unc[i],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> HashSet<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn jaccard_of_sets() {
        assert_eq!(jaccard(&set("a b"), &set("a b")), 1.0);
        assert_eq!(jaccard(&set("a b"), &set("c d")), 0.0);
        assert!((jaccard(&set("a b c"), &set("a b d")) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn margin_and_entropy_rank_the_even_split_first() {
        for s in [Strategy::Margin, Strategy::Entropy] {
            assert!(uncertainty(&[0.5, 0.5], s) > uncertainty(&[0.9, 0.1], s));
        }
    }
}
