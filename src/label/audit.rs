//! Label auditing: find rows whose given label the data itself disagrees with.
//!
//! K-fold cross-validation (seeded, stratified by label) gives every row calibrated
//! out-of-fold probabilities from a model that never saw it; [`out_of_fold_repeated`]
//! averages them over several fold assignments (`stance-audit --repeats`, default 3). A
//! row is suspect when another label is more probable than the given one, and rows are
//! ranked by one of ([`Rank`]):
//!
//! - self-confidence (the default): the out-of-fold probability of the given label,
//!   lowest first;
//! - margin: `p_given − max_j≠given p_j`;
//! - normalized: the threshold-normalized margin `(p_given − t_given) − max_j≠given (p_j −
//!   t_j)`, where each label's threshold `t` is its mean self-confidence;
//! - confident: confident learning (Northcutt, Jiang and Chuang 2021, as cleanlab's
//!   `find_label_issues` with `filter_by="prune_by_noise_rate"`): each row's confident
//!   label is its likeliest label among those reaching their threshold; the confident
//!   joint counts rows by given and confident label and is calibrated to the label
//!   counts; for each pair of given label `i` and other label `j`, the calibrated
//!   count of rows given `i` with the largest `p_j − p_i` are flagged, less those whose
//!   given label is the likeliest. The flagged rows come first (by self-confidence),
//!   then every other row by self-confidence, so `--all` stays a full ranking.
//!
//! Over 10 seeds x 3 TweetEval sets with 5% of the labels flipped
//! (`scripts/audit-seeds.sh`), confident learning's top k rows (k = flips) held exactly
//! as many flips as self-confidence's in every run: it flags 3-6 times more rows than
//! were flipped, and inside that set it ranks by self-confidence. Its use is the size of the flagged set
//! (an estimate of the number of errors), which self-confidence does not give. Averaging
//! three fold assignments found more flips than one on average (docs/results.md,
//! "Retraining, active learning, label audits").

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::head::with_thread_scratch;
use crate::head::Selection;
use crate::io::{Progress, Row, Silent};
use crate::train::{self, Labelled, TrainConfig};

/// How suspects are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Rank {
    /// Threshold-normalized margin (see the module docs).
    Normalized,
    /// p_given − max other p.
    Margin,
    /// p_given alone (self-confidence).
    SelfConfidence,
    /// Confident learning (Northcutt et al. 2021, cleanlab's `find_label_issues` with
    /// `prune_by_noise_rate`): the rows the calibrated confident joint counts as
    /// mislabelled first, by self-confidence; then every other row, by self-confidence.
    Confident,
}

/// One row whose label looks wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    /// Row index in the input.
    pub index: usize,
    /// The most likely other label.
    pub suggested: String,
    /// Out-of-fold probability of the given label.
    pub p_given: f32,
    /// Out-of-fold probability of the suggested label.
    pub p_suggested: f32,
    /// Ranking score (lower = more suspicious).
    pub score: f64,
}

/// Out-of-fold results.
#[derive(Debug, Clone)]
pub struct OutOfFold {
    /// Labels, sorted.
    pub labels: Vec<String>,
    /// Given label of each row (index into `labels`).
    pub given: Vec<usize>,
    /// Out-of-fold probabilities of each row, in `labels` order.
    pub probs: Vec<Vec<f32>>,
}

/// Seeded stratified assignment of rows to `k` folds.
pub fn folds(y: &[usize], n_labels: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; y.len()];
    let mut next = 0;
    for c in 0..n_labels {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        idx.shuffle(&mut rng);
        for i in idx {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

/// Trains `k` models, each without one fold, and predicts that fold.
pub fn out_of_fold(
    cfg: &TrainConfig,
    rows: &[Row],
    k: usize,
    progress: &dyn Progress,
) -> Result<OutOfFold> {
    if k < 2 {
        return Err(Error::Params(format!(
            "--folds must be at least 2, got {k}"
        )));
    }
    let labels: Vec<String> = rows
        .iter()
        .filter_map(|r| r.label.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let given: Vec<usize> = rows
        .iter()
        .map(|r| {
            labels
                .iter()
                .position(|l| Some(l) == r.label.as_ref())
                .unwrap_or(0)
        })
        .collect();
    let fold = folds(&given, labels.len(), k, cfg.seed);
    let mut probs = vec![Vec::new(); rows.len()];
    for f in 0..k {
        let fit: Vec<Row> = (0..rows.len())
            .filter(|&i| fold[i] != f)
            .map(|i| rows[i].clone())
            .collect();
        let held: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == f).collect();
        progress.step(
            "audit",
            &format!("fold {}/{k}: training on {} rows", f + 1, fit.len()),
        );
        let model = train::train_on(
            &TrainConfig {
                valid: Vec::new(),
                // Each fold's model is selected on a seeded holdout of its rows (nested
                // cross-validation would multiply the audit's cost by the folds).
                select: Selection::Valid,
                ..cfg.clone()
            },
            Labelled {
                rows: fit,
                ..Labelled::default()
            },
            None,
            &Silent,
        )?;
        let map: Vec<Option<usize>> = labels
            .iter()
            .map(|l| model.labels.iter().position(|m| m == l))
            .collect();
        let p: Vec<Vec<f32>> = held
            .par_iter()
            .map(|&i| {
                let q = with_thread_scratch(|s| {
                    model.predict(&rows[i].text, rows[i].target.as_deref(), s)
                });
                map.iter().map(|m| m.map_or(0.0, |j| q[j])).collect()
            })
            .collect();
        for (i, q) in held.into_iter().zip(p) {
            probs[i] = q;
        }
    }
    Ok(OutOfFold {
        labels,
        given,
        probs,
    })
}

/// Out-of-fold probabilities averaged over `repeats` fold assignments (seeds `cfg.seed`,
/// `cfg.seed + 1`, ...): each row's probabilities are the mean of `repeats` models that
/// never saw it. One repeat is [`out_of_fold`] itself.
pub fn out_of_fold_repeated(
    cfg: &TrainConfig,
    rows: &[Row],
    k: usize,
    repeats: u64,
    progress: &dyn Progress,
) -> Result<OutOfFold> {
    if repeats < 1 {
        return Err(Error::Params("--repeats must be at least 1, got 0".into()));
    }
    let mut sum = out_of_fold(cfg, rows, k, progress)?;
    for r in 1..repeats {
        progress.step("audit", &format!("repeat {}/{repeats}", r + 1));
        let more = out_of_fold(
            &TrainConfig {
                seed: cfg.seed.wrapping_add(r),
                ..cfg.clone()
            },
            rows,
            k,
            progress,
        )?;
        for (p, q) in sum.probs.iter_mut().zip(&more.probs) {
            for (a, b) in p.iter_mut().zip(q) {
                *a += b;
            }
        }
    }
    for p in &mut sum.probs {
        for a in p.iter_mut() {
            *a /= repeats as f32;
        }
    }
    Ok(sum)
}

/// Per-label thresholds: the mean out-of-fold probability of each label over its rows.
pub fn thresholds(oof: &OutOfFold) -> Vec<f64> {
    let k = oof.labels.len();
    let mut sum = vec![0f64; k];
    let mut n = vec![0usize; k];
    for (p, &g) in oof.probs.iter().zip(&oof.given) {
        sum[g] += p[g] as f64;
        n[g] += 1;
    }
    sum.iter()
        .zip(&n)
        .map(|(s, &c)| if c == 0 { 1.0 } else { s / c as f64 })
        .collect()
}

/// Each row's confident label (Northcutt et al. 2021): the likeliest of the labels whose
/// out-of-fold probability reaches that label's threshold `t`; `None` when none does.
/// As in cleanlab, a probability within 1e-6 below the threshold counts as reaching it.
pub fn confident_labels(oof: &OutOfFold, t: &[f64]) -> Vec<Option<usize>> {
    oof.probs
        .iter()
        .map(|p| {
            (0..p.len())
                .filter(|&j| p[j] as f64 >= t[j] - 1e-6)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
        })
        .collect()
}

/// The confident joint: `c[i][j]` counts the rows given label `i` whose confident label
/// is `j` (rows without a confident label are not counted). As in cleanlab, each
/// diagonal count is at least 1.
pub fn confident_joint(oof: &OutOfFold, confident: &[Option<usize>]) -> Vec<Vec<usize>> {
    let k = oof.labels.len();
    let mut c = vec![vec![0usize; k]; k];
    for (&g, j) in oof.given.iter().zip(confident) {
        if let Some(j) = *j {
            c[g][j] += 1;
        }
    }
    for (i, row) in c.iter_mut().enumerate() {
        row[i] = row[i].max(1);
    }
    c
}

/// The confident joint calibrated so that row `i` sums to the number of rows given label
/// `i` (cleanlab's `calibrate_confident_joint`), rounded to counts that keep each row's
/// total (largest remainders first, ties to the lower label). A label with no confident
/// rows keeps all its rows on the diagonal, and at least one row of each label stays on
/// the diagonal (cleanlab's `min_examples_per_class = 1`).
pub fn calibrated_joint(oof: &OutOfFold, joint: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let k = oof.labels.len();
    let mut n = vec![0usize; k];
    for &g in &oof.given {
        n[g] += 1;
    }
    (0..k)
        .map(|i| {
            let sum: usize = joint[i].iter().sum();
            let mut row = vec![0usize; k];
            if sum == 0 {
                row[i] = n[i];
                return row;
            }
            let exact: Vec<f64> = joint[i]
                .iter()
                .map(|&c| c as f64 * n[i] as f64 / sum as f64)
                .collect();
            for (r, e) in row.iter_mut().zip(&exact) {
                *r = e.floor() as usize;
            }
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| {
                let frac = |j: usize| exact[j] - exact[j].floor();
                frac(b).total_cmp(&frac(a)).then(a.cmp(&b))
            });
            let short = n[i] - row.iter().sum::<usize>();
            for &j in order.iter().take(short) {
                row[j] += 1;
            }
            if row[i] == 0 && n[i] > 0 {
                let most = (0..k).filter(|&j| j != i).max_by_key(|&j| (row[j], k - j));
                if let Some(j) = most {
                    row[j] -= 1;
                    row[i] += 1;
                }
            }
            row
        })
        .collect()
}

/// The rows cleanlab's `prune_by_noise_rate` flags: for each given label `i` and other
/// label `j`, the `calibrated[i][j]` rows given `i` with the largest `p_j − p_i` (ties to
/// the lower row index).
pub fn prune_by_noise_rate(oof: &OutOfFold, calibrated: &[Vec<usize>]) -> Vec<bool> {
    let mut flagged = vec![false; oof.given.len()];
    for (i, counts) in calibrated.iter().enumerate() {
        let rows: Vec<usize> = (0..oof.given.len())
            .filter(|&r| oof.given[r] == i)
            .collect();
        for (j, &m) in counts.iter().enumerate().filter(|&(j, &m)| j != i && m > 0) {
            let margin = |r: usize| oof.probs[r][j] as f64 - oof.probs[r][i] as f64;
            let mut by = rows.clone();
            by.sort_by(|&a, &b| margin(b).total_cmp(&margin(a)).then(a.cmp(&b)));
            for &r in by.iter().take(m) {
                flagged[r] = true;
            }
        }
    }
    flagged
}

/// The label-issue rows of confident learning with `prune_by_noise_rate`, as cleanlab's
/// `find_label_issues` finds them: the rows [`prune_by_noise_rate`] flags from the
/// calibrated confident joint, less those whose given label is (within 1e-6) the likeliest.
pub fn label_issues(oof: &OutOfFold) -> Vec<bool> {
    let confident = confident_labels(oof, &thresholds(oof));
    let joint = confident_joint(oof, &confident);
    let mut flagged = prune_by_noise_rate(oof, &calibrated_joint(oof, &joint));
    for ((f, p), &g) in flagged.iter_mut().zip(&oof.probs).zip(&oof.given) {
        let other = (0..p.len()).filter(|&j| j != g).map(|j| p[j]);
        if other.fold(f32::MIN, f32::max) <= p[g] + 1e-6 {
            *f = false;
        }
    }
    flagged
}

/// Rows ranked most suspicious first; with `all` every row, otherwise only the suspects:
/// rows where another label beats the given one (after the thresholds, for
/// `Normalized`), or for `Confident` the rows confident learning flags. For `Confident`
/// the score is `p_given − 1` for a flagged row and `p_given` for any other, so the
/// flagged rows come first.
pub fn rank(oof: &OutOfFold, how: Rank, all: bool) -> Vec<Suspect> {
    let t = thresholds(oof);
    let flagged = match how {
        Rank::Confident => label_issues(oof),
        _ => Vec::new(),
    };
    let mut out: Vec<Suspect> = Vec::new();
    for (i, (p, &g)) in oof.probs.iter().zip(&oof.given).enumerate() {
        let shift = |j: usize| match how {
            Rank::Normalized => p[j] as f64 - t[j],
            _ => p[j] as f64,
        };
        let Some(s) = (0..p.len())
            .filter(|&j| j != g)
            .max_by(|&a, &b| shift(a).total_cmp(&shift(b)).then(b.cmp(&a)))
        else {
            continue;
        };
        let margin = shift(g) - shift(s);
        let (score, suspect) = match how {
            Rank::SelfConfidence => (p[g] as f64, margin < 0.0),
            Rank::Confident if flagged[i] => (p[g] as f64 - 1.0, true),
            Rank::Confident => (p[g] as f64, false),
            _ => (margin, margin < 0.0),
        };
        if !all && !suspect {
            continue;
        }
        out.push(Suspect {
            index: i,
            suggested: oof.labels[s].clone(),
            p_given: p[g],
            p_suggested: p[s],
            score,
        });
    }
    out.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.index.cmp(&b.index)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_balanced() {
        let y: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect();
        let f = folds(&y, 2, 5, 1);
        for k in 0..5 {
            let n = f.iter().filter(|&&x| x == k).count();
            let pos = (0..100).filter(|&i| f[i] == k && y[i] == 1).count();
            assert_eq!(n, 20);
            assert_eq!(pos, 5);
        }
    }

    #[test]
    fn a_row_the_model_contradicts_ranks_first() {
        let oof = OutOfFold {
            labels: vec!["a".into(), "b".into()],
            given: vec![0, 0, 1, 1],
            probs: vec![
                vec![0.9, 0.1],
                vec![0.1, 0.9],
                vec![0.2, 0.8],
                vec![0.6, 0.4],
            ],
        };
        let r = rank(&oof, Rank::Normalized, false);
        assert_eq!(r[0].index, 1);
        assert_eq!(r[0].suggested, "b");
        assert_eq!(rank(&oof, Rank::Normalized, true).len(), 4);
    }

    /// Seven rows, two planted flips (rows 2 and 5), worked by hand: thresholds
    /// t_a = (0.9 + 0.8 + 0.3 + 0.45) / 4 = 0.6125 and t_b = (0.8 + 0.6 + 0.3) / 3 = 0.5667.
    fn seven_rows() -> OutOfFold {
        OutOfFold {
            labels: vec!["a".into(), "b".into()],
            given: vec![0, 0, 0, 1, 1, 1, 0],
            probs: vec![
                vec![0.9, 0.1],
                vec![0.8, 0.2],
                vec![0.3, 0.7],
                vec![0.2, 0.8],
                vec![0.4, 0.6],
                vec![0.7, 0.3],
                vec![0.45, 0.55],
            ],
        }
    }

    #[test]
    fn confident_joint_by_hand() {
        let oof = seven_rows();
        let t = thresholds(&oof);
        assert!((t[0] - 0.6125).abs() < 1e-6 && (t[1] - 1.7 / 3.0).abs() < 1e-6);
        let confident = confident_labels(&oof, &t);
        // Row 6 reaches neither threshold (0.45 < 0.6125, 0.55 < 0.5667).
        let expect = [Some(0), Some(0), Some(1), Some(1), Some(1), Some(0), None];
        assert_eq!(confident, expect);
        let joint = confident_joint(&oof, &confident);
        assert_eq!(joint, vec![vec![2, 1], vec![1, 2]]);
        // Label a's row is scaled from 3 counted rows to its 4 rows: 2.67, 1.33 -> 3, 1.
        assert_eq!(calibrated_joint(&oof, &joint), vec![vec![3, 1], vec![1, 2]]);
        // One row of each label pruned: the one with the largest p_other - p_given.
        let flagged = label_issues(&oof);
        assert_eq!(flagged, [false, false, true, false, false, true, false]);
    }

    #[test]
    fn confident_ranks_the_flagged_rows_first_then_every_row() {
        let oof = seven_rows();
        let flagged: Vec<usize> = rank(&oof, Rank::Confident, false)
            .iter()
            .map(|s| s.index)
            .collect();
        assert_eq!(flagged, [2, 5]);
        // Self-confidence also lists row 6 (p_given 0.45 < p_b), which the confident
        // joint does not count as an error of label a.
        let sc: Vec<usize> = rank(&oof, Rank::SelfConfidence, false)
            .iter()
            .map(|s| s.index)
            .collect();
        assert_eq!(sc, [2, 5, 6]);
        let all = rank(&oof, Rank::Confident, true);
        let order: Vec<usize> = all.iter().map(|s| s.index).collect();
        assert_eq!(order, [2, 5, 6, 4, 1, 3, 0]);
        assert_eq!(all[0].suggested, "b");
        assert!((all[0].score - (0.3 - 1.0)).abs() < 1e-6);
    }

    #[test]
    fn calibration_keeps_one_row_of_each_label_on_the_diagonal() {
        let oof = OutOfFold {
            labels: vec!["a".into(), "b".into()],
            given: vec![0, 0, 1],
            probs: vec![vec![0.1, 0.9], vec![0.1, 0.9], vec![0.1, 0.9]],
        };
        let joint = confident_joint(&oof, &confident_labels(&oof, &thresholds(&oof)));
        // No row of a is confidently a; the diagonal is clipped to 1 as in cleanlab.
        assert_eq!(joint[0], vec![1, 2]);
        let cal = calibrated_joint(&oof, &joint);
        assert_eq!(cal[0].iter().sum::<usize>(), 2);
        assert!(cal[0][0] >= 1);
        assert_eq!(label_issues(&oof).iter().filter(|&&f| f).count(), 1);
    }
}
