//! Statistics behind the report: seeded percentile bootstrap (single and paired),
//! rank AUC with the bias-slice variants of Borkan et al. (2019) — Subgroup, BPSN and
//! BNSP AUC, as in the Perspective / Detoxify model cards — and McNemar's test.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// A two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies in the interval (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// The value at quantile `q` of sorted values (nearest rank on `(n-1)·q`).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Percentile 95% interval of the values (NaNs dropped).
pub fn percentile_95(values: &mut Vec<f64>) -> Interval {
    values.retain(|v| !v.is_nan());
    values.sort_by(|a, b| a.total_cmp(b));
    Interval {
        lo: quantile(values, 0.025),
        hi: quantile(values, 0.975),
    }
}

/// Draws `resamples` bootstrap samples of `0..n` (with replacement) from a ChaCha8
/// generator seeded with `seed`, and evaluates `stat` on each; returns one vector of
/// statistics per resample (`stat` may return several numbers at once).
pub fn bootstrap<F>(n: usize, resamples: usize, seed: u64, mut stat: F) -> Vec<Vec<f64>>
where
    F: FnMut(&[usize]) -> Vec<f64>,
{
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx = vec![0usize; n];
    (0..resamples)
        .map(|_| {
            for x in idx.iter_mut() {
                *x = rng.gen_range(0..n.max(1));
            }
            stat(&idx)
        })
        .collect()
}

/// 95% intervals of each statistic returned by [`bootstrap`].
pub fn intervals(samples: &[Vec<f64>]) -> Vec<Interval> {
    let k = samples.first().map_or(0, |s| s.len());
    (0..k)
        .map(|j| percentile_95(&mut samples.iter().map(|s| s[j]).collect()))
        .collect()
}

/// Area under the ROC curve of `scores` for the `positive` rows (Mann–Whitney U with
/// average ranks for ties); `None` when either class is empty.
pub fn auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let p = positive.iter().filter(|&&y| y).count();
    let n = positive.len() - p;
    if p == 0 || n == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1..=j share their average.
        let avg = (i + 1 + j) as f64 / 2.0;
        rank_sum += avg * order[i..j].iter().filter(|&&k| positive[k]).count() as f64;
        i = j;
    }
    Some((rank_sum - (p * (p + 1)) as f64 / 2.0) / (p as f64 * n as f64))
}

/// Subgroup, BPSN and BNSP AUC of one group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BiasAucs {
    /// AUC on the group's rows only.
    pub subgroup_auc: Option<f64>,
    /// Background positives and subgroup negatives (low = the group's harmless rows
    /// score high: false positives on the group).
    pub bpsn_auc: Option<f64>,
    /// Background negatives and subgroup positives (low = the group's positives
    /// score low: missed flags on the group).
    pub bnsp_auc: Option<f64>,
}

/// Bias AUCs of the rows with `in_group` against the rest.
pub fn bias_aucs(scores: &[f64], positive: &[bool], in_group: &[bool]) -> BiasAucs {
    let pick = |keep: &dyn Fn(usize) -> bool| {
        let idx: Vec<usize> = (0..scores.len()).filter(|&i| keep(i)).collect();
        let s: Vec<f64> = idx.iter().map(|&i| scores[i]).collect();
        let y: Vec<bool> = idx.iter().map(|&i| positive[i]).collect();
        auc(&s, &y)
    };
    BiasAucs {
        subgroup_auc: pick(&|i| in_group[i]),
        bpsn_auc: pick(&|i| (in_group[i] && !positive[i]) || (!in_group[i] && positive[i])),
        bnsp_auc: pick(&|i| (in_group[i] && positive[i]) || (!in_group[i] && !positive[i])),
    }
}

/// McNemar's test on paired right/wrong outcomes of two models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McNemar {
    /// Rows the old model got right and the new one wrong.
    pub old_only_right: usize,
    /// Rows the new model got right and the old one wrong.
    pub new_only_right: usize,
    /// Chi-square statistic with continuity correction, `(|b−c|−1)² / (b+c)`.
    pub chi2_corrected: f64,
    /// Exact two-sided binomial p-value (`2·P[X ≤ min(b,c)]`, X ~ Bin(b+c, ½), capped at 1).
    pub p_value: f64,
}

/// McNemar's test with `b` = old-only-right and `c` = new-only-right counts.
pub fn mcnemar(b: usize, c: usize) -> McNemar {
    let n = b + c;
    let chi2 = if n == 0 {
        0.0
    } else {
        let d = (b as f64 - c as f64).abs() - 1.0;
        d.max(0.0).powi(2) / n as f64
    };
    let p = if n == 0 {
        1.0
    } else {
        // ln C(n, k) from running sums of logs; tail mass up to min(b, c).
        let ln_fact: Vec<f64> = std::iter::once(0.0)
            .chain((1..=n).scan(0.0, |acc, i| {
                *acc += (i as f64).ln();
                Some(*acc)
            }))
            .collect();
        let tail: f64 = (0..=b.min(c))
            .map(|k| (ln_fact[n] - ln_fact[k] - ln_fact[n - k] - n as f64 * 2f64.ln()).exp())
            .sum();
        (2.0 * tail).min(1.0)
    };
    McNemar {
        old_only_right: b,
        new_only_right: c,
        chi2_corrected: chi2,
        p_value: p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_hand_computed_with_ties() {
        // Positives 0.9, 0.5; negatives 0.5, 0.1. Pairs: (0.9>0.5) 1, (0.9>0.1) 1,
        // (0.5=0.5) ½, (0.5>0.1) 1 → 3.5 / 4.
        let s = [0.9, 0.5, 0.5, 0.1];
        let y = [true, true, false, false];
        assert_eq!(auc(&s, &y), Some(0.875));
        assert_eq!(auc(&s, &[true; 4]), None);
    }

    #[test]
    fn bias_aucs_hand_computed() {
        // rows: score, positive, in group
        // 0: 0.9 +  g     1: 0.4 +  g     2: 0.6 -  g
        // 3: 0.8 +  bg    4: 0.3 -  bg    5: 0.7 -  bg
        let s = [0.9, 0.4, 0.6, 0.8, 0.3, 0.7];
        let y = [true, true, false, true, false, false];
        let g = [true, true, true, false, false, false];
        let a = bias_aucs(&s, &y, &g);
        // Subgroup: pos {0.9, 0.4} vs neg {0.6}: 1 + 0 → 0.5
        assert_eq!(a.subgroup_auc, Some(0.5));
        // BPSN: bg pos {0.8} vs group neg {0.6}: 1 → 1.0
        assert_eq!(a.bpsn_auc, Some(1.0));
        // BNSP: group pos {0.9, 0.4} vs bg neg {0.3, 0.7}: 0.9 beats both (2),
        // 0.4 beats 0.3 only (1) → 3 / 4
        assert_eq!(a.bnsp_auc, Some(0.75));
    }

    #[test]
    fn mcnemar_hand_computed() {
        // b=0, c=5: p = 2 · 0.5^5 = 0.0625; chi2 = (5−1)²/5 = 3.2
        let m = mcnemar(0, 5);
        assert!((m.p_value - 0.0625).abs() < 1e-12);
        assert!((m.chi2_corrected - 3.2).abs() < 1e-12);
        // b=2, c=8: P[X ≤ 2] = (1 + 10 + 45) / 1024 → p = 112/1024
        let m = mcnemar(2, 8);
        assert!((m.p_value - 112.0 / 1024.0).abs() < 1e-12, "{}", m.p_value);
        assert_eq!(mcnemar(3, 3).p_value, 1.0);
        assert_eq!(mcnemar(0, 0).p_value, 1.0);
    }

    #[test]
    fn bootstrap_is_seeded() {
        let mean =
            |idx: &[usize]| vec![idx.iter().map(|&i| i as f64).sum::<f64>() / idx.len() as f64];
        let a = intervals(&bootstrap(50, 200, 7, mean));
        let b = intervals(&bootstrap(50, 200, 7, mean));
        let c = intervals(&bootstrap(50, 200, 8, mean));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a[0].contains(24.5));
    }
}
