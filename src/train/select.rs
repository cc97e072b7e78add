//! Model selection: the C, class weighting and shared-copy weight a head is trained
//! with, the final fit, and the calibration.
//!
//! A setting is scored on one or more splits of labelled rows into fitting rows and
//! held-out rows: the folds of a seeded k-fold cross-validation stratified by label and
//! target ([`stratified_folds`], `--select cv`), or the one validation split
//! (`--select valid`). Each (shared weight, class weighting) pair is a path over the C
//! values in ascending order, each fit warm-started from the same path and split at
//! the previous C; under cross-validation a path stops once its score has not improved
//! for [`CV_PATIENCE`] values in a row, and the grid is extended beyond an end while
//! the best setting sits there. At each C the fits of every path and split are
//! independent sequential dual coordinate descent fits ([`crate::model::dual_cd`]) run
//! in parallel and gathered in a fixed order, so the outcome does not depend on the
//! number of threads. Features are computed once: a split is a list of row numbers in
//! one [`Design`], and each shared-copy weight is the same matrix with the shared
//! entries rescaled ([`scale_shared`]).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::head::{CalibrationReport, ClassWeighting, ScoredSetting};
use crate::metrics::{self, Summary};
use crate::model::calibrate::Calibration;
use crate::model::dual_cd::{self, Design, Settings, Solution, Start, Subproblem};
use crate::model::linear::{CsrMatrix, SparseSoftmax};

/// Stopping tolerance of the final fit and of `--select valid`'s fits (the largest
/// dual sub-problem violation, in log units; LIBLINEAR's default for its dual logistic
/// regression).
pub const DUAL_TOLERANCE: f64 = 0.1;

/// Tolerance of the cross-validation fits: their scores only need to be accurate well
/// within the folds' spread (about 0.01). On the stance and offensive training sets
/// every setting's 5-fold score was within 0.002 of its score at 0.1, for 0.8x the
/// CPU time; at 0.6 too, but the offensive head's choice moved within the noise.
pub const CV_TOLERANCE: f64 = 0.3;

/// Cross-validation stops a (shared weight, class weighting) path over C after this
/// many values in a row without a better score. (With 2, the stance head's balanced
/// path stopped at C=4 on a dip of 0.002, within the folds' spread of 0.01, and missed
/// its best at C=8.)
pub const CV_PATIENCE: usize = 3;

/// Cross-validation extends the C grid by a factor of 2 beyond an end, at most this
/// many times each way, while the best setting is at that end.
pub const CV_EXTEND: usize = 3;

/// Seeded assignment of rows to `n_folds` folds, stratified by `keys` (e.g. label and
/// target): the rows of each key, in a seeded random order, are dealt to the folds in
/// turn, continuing from where the previous key stopped, so every key's rows and all
/// rows are spread over the folds as evenly as they can be (counts differ by at most
/// one).
pub fn stratified_folds(keys: &[usize], n_folds: usize, seed: u64) -> Vec<usize> {
    let n_keys = keys.iter().max().map_or(0, |&m| m + 1);
    let mut by_key: Vec<Vec<usize>> = vec![Vec::new(); n_keys];
    for (i, &key) in keys.iter().enumerate() {
        by_key[key].push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; keys.len()];
    let mut next = 0;
    for mut idx in by_key {
        idx.shuffle(&mut rng);
        for i in idx {
            fold[i] = next % n_folds;
            next += 1;
        }
    }
    fold
}

/// The matrix featurized with shared-copy weight `sw` from the one featurized with 1:
/// a crossed row's first half (its shared copy) is multiplied by `sw`, and so is all of
/// a row without a target (only shared entries): the same f32 products the featurizer
/// makes, so the result is bit for bit what featurizing with `sw` gives.
pub fn scale_shared(x: &CsrMatrix, crossed: &[bool], sw: f32) -> CsrMatrix {
    let mut out = x.clone();
    if sw == 1.0 {
        return out;
    }
    for (i, &cr) in crossed.iter().enumerate() {
        let (a, b) = (out.indptr[i], out.indptr[i + 1]);
        let end = if cr { a + (b - a) / 2 } else { b };
        for v in &mut out.values[a..end] {
            *v *= sw;
        }
    }
    out
}

/// [`scale_shared`] when targets are crossed (`crossed` given), else `x` as it is.
pub fn rescaled(x: &CsrMatrix, crossed: Option<&[bool]>, sw: f32) -> CsrMatrix {
    match crossed {
        Some(cr) => scale_shared(x, cr, sw),
        None => x.clone(),
    }
}

/// Row weights by class: 1, or n / (k · n_class) ("balanced", as scikit-learn), computed
/// in f32 as the model card has always recorded them.
pub fn class_weights(y: &[usize], k: usize, balanced: bool) -> Vec<f64> {
    let mut counts = vec![0usize; k];
    for &c in y {
        counts[c] += 1;
    }
    let n = y.len() as f32;
    y.iter()
        .map(|&c| {
            if balanced {
                (n / (k as f32 * counts[c] as f32)) as f64
            } else {
                1.0
            }
        })
        .collect()
}

/// One setting fitted on `rows` of `design` (labels `y` by design row), from `start`.
pub fn fit_rows(
    design: &Design,
    (y, k): (&[usize], usize),
    rows: &[usize],
    (c, balanced): (f64, bool),
    settings: Settings,
    start: Start,
) -> Solution {
    let ys: Vec<usize> = rows.iter().map(|&r| y[r]).collect();
    let cost: Vec<f64> = class_weights(&ys, k, balanced)
        .into_iter()
        .map(|s| c * s)
        .collect();
    let sub = Subproblem {
        rows,
        y: &ys,
        cost: &cost,
        k,
    };
    dual_cd::solve(design, &sub, settings, start)
}

/// Held-out rows of a split.
#[derive(Debug, Clone)]
pub enum Held {
    /// Rows of the same design (cross-validation).
    Rows(Vec<usize>),
    /// Rows of their own over the same columns (the validation rows), featurized with
    /// shared weight 1 and rescaled for each design ([`rescaled`]).
    Matrix {
        /// The rows.
        x: CsrMatrix,
        /// Which rows are crossed with a target (`None`: targets are not crossed).
        crossed: Option<Vec<bool>>,
    },
}

/// One split: fitting rows (of the design) and held-out rows with their labels.
#[derive(Debug, Clone)]
pub struct Split {
    /// Fitting rows.
    pub fit: Vec<usize>,
    /// Held-out rows.
    pub held: Held,
    /// Their labels.
    pub held_y: Vec<usize>,
}

/// The splits of a k-fold cross-validation: split `f` holds out the rows of fold `f`.
pub fn cv_splits(folds: &[usize], n_folds: usize, y: &[usize]) -> Vec<Split> {
    (0..n_folds)
        .map(|f| {
            let held: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] == f).collect();
            Split {
                fit: (0..folds.len()).filter(|&i| folds[i] != f).collect(),
                held_y: held.iter().map(|&i| y[i]).collect(),
                held: Held::Rows(held),
            }
        })
        .collect()
}

/// What to search.
#[derive(Debug)]
pub struct Search<'a> {
    /// One design per shared-copy weight, with that weight.
    pub designs: &'a [(f32, Design)],
    /// Whether targets are crossed (the shared-copy weight means something).
    pub crossed: bool,
    /// Label of each design row.
    pub y: &'a [usize],
    /// Label names (for the metric).
    pub labels: &'a [String],
    /// The splits.
    pub splits: &'a [Split],
    /// C values, ascending.
    pub c_grid: &'a [f64],
    /// Class weightings to try (false: none, true: balanced).
    pub weightings: &'a [bool],
    /// Solver settings of every fit.
    pub settings: Settings,
    /// Walk every other C value first, then refine around the best (see
    /// [`Search::run`]).
    pub coarse: bool,
    /// Stop a path after this many C values in a row without a better score.
    pub patience: Option<usize>,
    /// Extend the grid by factors of 2 beyond its ends, at most this many times each
    /// way, while the best setting is at an end (see [`Search::run`]).
    pub extend: usize,
    /// Walk the grid with the first design only, then score each other design at the
    /// best (C, class weighting) so far (see [`Search::run`]).
    pub first_design_first: bool,
}

/// The outcome of a search.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every scored setting, ordered by shared weight, class weighting, then C.
    pub trace: Vec<ScoredSetting>,
    /// Index of the chosen setting in `trace` (the best mean; the first of equals).
    pub best: usize,
    /// Held-out logits of the chosen setting, split by split.
    pub held_logits: Vec<Vec<Vec<f32>>>,
}

/// One (shared weight, class weighting) path over C while it is searched.
struct Path {
    design: usize,
    balanced: bool,
    best: f64,
    since_best: usize,
    done: bool,
    /// Every C scored, ascending, with each split's dual state there (α_i / C_i): the
    /// warm starts of the next fits on this path.
    states: Vec<(f64, Vec<Vec<f64>>)>,
}

impl Path {
    /// The dual states of the scored C nearest to `c` from below, else from above.
    fn start_for(&self, c: f64) -> Option<&Vec<Vec<f64>>> {
        let below = self.states.iter().rev().find(|s| s.0 < c);
        below
            .or_else(|| self.states.iter().find(|s| s.0 > c))
            .map(|s| &s.1)
    }

    fn scored(&self, c: f64) -> bool {
        self.states.iter().any(|s| s.0 == c)
    }
}

/// The design of path `pi` (paths are ordered by design, then class weighting).
fn paths_design(pi: usize, search: &Search<'_>) -> usize {
    pi / search.weightings.len()
}

/// A scored setting: its path, its score, and its held-out logits split by split.
type PathPoint = (usize, ScoredSetting, Vec<Vec<Vec<f32>>>);

impl Search<'_> {
    /// Runs the search; `progress` gets one line per scored setting.
    ///
    /// Phase 1 walks every path up the C grid (with `coarse`, every other value of it,
    /// from the first) and stops a path after `patience` values without a better
    /// score; with `first_design_first`, only the first design's paths are walked, and
    /// then every other design is scored at the best (C, class weighting) so far (the
    /// shared-copy weight moves the score less than C and the weighting do, and this
    /// halves the fits of a stance head's search). Phase 2 refines: while a grid value next to the best setting so far is
    /// unscored on its path, it is scored. Phase 3 (when `extend` > 0 and the grid has
    /// several values) looks beyond the grid: while the best setting so far is at the
    /// lowest or highest C of its path, that path is extended by a factor of 2 in that
    /// direction, at most `extend` times each way. Each fit is warm-started from the
    /// same path and split at the nearest C scored below it (else above it).
    pub fn run(&self, progress: impl Fn(String)) -> Outcome {
        let mut paths: Vec<Path> = (0..self.designs.len())
            .flat_map(|d| {
                self.weightings.iter().map(move |&balanced| Path {
                    design: d,
                    balanced,
                    best: f64::NEG_INFINITY,
                    since_best: 0,
                    done: false,
                    states: Vec::new(),
                })
            })
            .collect();
        let mut results: Vec<PathPoint> = Vec::new();
        let step = if self.coarse { 2 } else { 1 };
        let walked = |pi: usize| !self.first_design_first || paths_design(pi, self) == 0;
        for &c in self.c_grid.iter().step_by(step) {
            let batch: Vec<(usize, f64)> = (0..paths.len())
                .filter(|&pi| !paths[pi].done && walked(pi))
                .map(|pi| (pi, c))
                .collect();
            if batch.is_empty() {
                break;
            }
            self.step(&mut paths, &batch, &mut results, &progress);
        }
        if self.first_design_first && self.designs.len() > 1 {
            let best = best_point(&results);
            let (pi, c) = (results[best].0, results[best].1.c);
            let balanced = paths[pi].balanced;
            let batch: Vec<(usize, f64)> = (0..paths.len())
                .filter(|&p| !walked(p) && paths[p].balanced == balanced)
                .map(|p| (p, c))
                .collect();
            self.step(&mut paths, &batch, &mut results, &progress);
        }
        loop {
            let best = best_point(&results);
            let (pi, c) = (results[best].0, results[best].1.c);
            let Some(at) = self.c_grid.iter().position(|&g| g == c) else {
                break;
            };
            let next = [at.checked_sub(1), Some(at + 1)]
                .into_iter()
                .flatten()
                .filter_map(|i| self.c_grid.get(i).copied())
                .find(|&g| !paths[pi].scored(g));
            match next {
                Some(g) => self.step(&mut paths, &[(pi, g)], &mut results, &progress),
                None => break,
            }
        }
        let (mut up, mut down) = (0, 0);
        while self.c_grid.len() > 1 {
            let best = best_point(&results);
            let (pi, c) = (results[best].0, results[best].1.c);
            let states = &paths[pi].states;
            if states.last().is_some_and(|h| h.0 == c) && up < self.extend {
                up += 1;
                self.step(&mut paths, &[(pi, 2.0 * c)], &mut results, &progress);
            } else if states.first().is_some_and(|l| l.0 == c) && down < self.extend {
                down += 1;
                self.step(&mut paths, &[(pi, 0.5 * c)], &mut results, &progress);
            } else {
                break;
            }
        }
        // Ordered by path, then C; the first of equal means wins.
        results.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.c.total_cmp(&b.1.c)));
        let best = best_point(&results);
        let held_logits = results[best].2.clone();
        Outcome {
            trace: results.into_iter().map(|r| r.1).collect(),
            best,
            held_logits,
        }
    }

    /// Scores each `(path, C)` of `batch`: every split's fit warm-started from the
    /// path's nearest scored C, all fits in parallel, gathered in order.
    fn step(
        &self,
        paths: &mut [Path],
        batch: &[(usize, f64)],
        results: &mut Vec<PathPoint>,
        progress: &impl Fn(String),
    ) {
        let k = self.labels.len();
        let n_splits = self.splits.len();
        let jobs: Vec<(usize, usize)> = (0..batch.len())
            .flat_map(|b| (0..n_splits).map(move |s| (b, s)))
            .collect();
        let fits: Vec<(u64, Vec<Vec<f32>>, Vec<f64>)> = jobs
            .par_iter()
            .map(|&(b, si)| {
                let (pi, c) = batch[b];
                let path = &paths[pi];
                let (design_sw, design) = &self.designs[path.design];
                let split = &self.splits[si];
                let start = match path.start_for(c) {
                    Some(qs) => Start::Warm { q: &qs[si] },
                    None => Start::Cold,
                };
                let sol = fit_rows(
                    design,
                    (self.y, k),
                    &split.fit,
                    (c, path.balanced),
                    self.settings,
                    start,
                );
                let logits = held_logits(design, *design_sw, &sol, &split.held, k);
                (sol.epochs, logits, sol.q)
            })
            .collect();
        for (&(pi, c), chunk) in batch.iter().zip(fits.chunks(n_splits)) {
            let scores: Vec<f64> = chunk
                .iter()
                .zip(self.splits)
                .map(|((_, logits, _), split)| {
                    let pred: Vec<usize> = logits.iter().map(|z| metrics::argmax(z)).collect();
                    Summary::new(self.labels, &split.held_y, &pred).primary()
                })
                .collect();
            let (mean, spread) = mean_spread(&scores);
            let path = &mut paths[pi];
            let qs: Vec<Vec<f64>> = chunk.iter().map(|f| f.2.clone()).collect();
            let at = path.states.partition_point(|s| s.0 < c);
            path.states.insert(at, (c, qs));
            let scored = ScoredSetting {
                c,
                class_weight: ClassWeighting::from_balanced(path.balanced),
                shared_weight: self.crossed.then_some(self.designs[path.design].0),
                mean,
                spread,
                splits: scores,
                epochs: chunk.iter().map(|f| f.0).max().unwrap_or(0),
            };
            progress(format!(
                "C={c} class_weight={}{}: {} {mean:.4} ± {spread:.4} (at most {} epochs)",
                scored.class_weight,
                scored
                    .shared_weight
                    .map_or(String::new(), |sw| format!(" shared_weight={sw}")),
                if n_splits > 1 {
                    format!("{n_splits}-fold CV")
                } else {
                    "held-out score".to_string()
                },
                scored.epochs
            ));
            if mean > path.best {
                path.best = mean;
                path.since_best = 0;
            } else {
                path.since_best += 1;
                if self.patience.is_some_and(|p| path.since_best >= p) {
                    path.done = true;
                }
            }
            results.push((pi, scored, chunk.iter().map(|f| f.1.clone()).collect()));
        }
    }
}

/// The best setting of `results`: the highest mean, the first of equals in (path, C)
/// order.
fn best_point(results: &[PathPoint]) -> usize {
    let mut best = 0;
    for i in 1..results.len() {
        let (a, b) = (&results[i], &results[best]);
        let earlier = a.0.cmp(&b.0).then(a.1.c.total_cmp(&b.1.c)).is_lt();
        if a.1.mean > b.1.mean || (a.1.mean == b.1.mean && earlier) {
            best = i;
        }
    }
    best
}

/// Logits of the held-out rows under a fit.
fn held_logits(design: &Design, sw: f32, sol: &Solution, held: &Held, k: usize) -> Vec<Vec<f32>> {
    let mut z = vec![0f64; k];
    match held {
        Held::Rows(rows) => rows
            .iter()
            .map(|&i| {
                design.logits(i, &sol.weights, &sol.bias, &mut z);
                z.iter().map(|&v| v as f32).collect()
            })
            .collect(),
        Held::Matrix { x, crossed } => {
            let x = rescaled(x, crossed.as_deref(), sw);
            (0..x.nrows())
                .map(|i| {
                    let (idx, val) = x.row(i);
                    design.logits_of(idx, val, &sol.weights, &sol.bias, &mut z);
                    z.iter().map(|&v| v as f32).collect()
                })
                .collect()
        }
    }
}

/// Mean and sample standard deviation (0 for fewer than two values).
pub fn mean_spread(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The out-of-fold logits of the chosen setting, row by row of the design.
pub(super) fn out_of_fold(
    splits: &[Split],
    held_logits: &[Vec<Vec<f32>>],
    n: usize,
) -> Vec<Vec<f32>> {
    let mut oof = vec![Vec::new(); n];
    for (split, logits) in splits.iter().zip(held_logits) {
        if let Held::Rows(rows) = &split.held {
            for (&r, z) in rows.iter().zip(logits) {
                oof[r] = z.clone();
            }
        }
    }
    oof
}

/// The calibration fitted on some rows' logits, how much it helped and the metrics of
/// the calibrated model, measured on (possibly other) rows.
pub(super) struct FittedCalibration {
    /// The calibration map.
    pub calibration: Calibration,
    /// ECE and Brier score before and after it, on the measured rows.
    pub report: CalibrationReport,
    /// Metrics after it, on the measured rows.
    pub summary: Summary,
}

/// Fits the calibration on `fit` (logits, labels) and measures it on `measure`.
pub(super) fn calibrate(
    fit: (&[Vec<f32>], &[usize]),
    measure: (&[Vec<f32>], &[usize]),
    labels: &[String],
) -> crate::error::Result<FittedCalibration> {
    let calibration = Calibration::fit(fit.0, fit.1)?;
    let (logits, y) = measure;
    let raw = calibrated(logits, &Calibration::None);
    let cal = calibrated(logits, &calibration);
    let report = CalibrationReport {
        ece_before: metrics::ece(&raw, y, 15),
        ece_after: metrics::ece(&cal, y, 15),
        brier_before: metrics::brier(&raw, y),
        brier_after: metrics::brier(&cal, y),
    };
    let pred: Vec<usize> = cal.iter().map(|p| metrics::argmax(p)).collect();
    let summary = Summary::new(labels, y, &pred);
    Ok(FittedCalibration {
        calibration,
        report,
        summary,
    })
}

/// Logits of every row of `x` under a fitted model, in parallel, in order.
pub(super) fn all_logits(m: &SparseSoftmax, x: &CsrMatrix) -> Vec<Vec<f32>> {
    (0..x.nrows())
        .into_par_iter()
        .map(|i| {
            let (idx, val) = x.row(i);
            let mut z = vec![0f32; m.n_classes];
            m.logits(idx, val, &mut z);
            z
        })
        .collect()
}

/// Probabilities after a calibration map.
pub fn calibrated(logits: &[Vec<f32>], cal: &Calibration) -> Vec<Vec<f32>> {
    logits
        .iter()
        .map(|z| {
            let mut p = z.clone();
            cal.apply(&mut p);
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{self, CharNgrams, FeatureParams, FeatureScratch, Featurizer, SparseVec};

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        // Three keys of uneven sizes (label × target).
        let keys: Vec<usize> = (0..103).map(|i| [0, 0, 0, 1, 1, 2][i % 6]).collect();
        let folds = stratified_folds(&keys, 5, 42);
        let mut sizes = [0usize; 5];
        for &f in &folds {
            sizes[f] += 1;
        }
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
        for key in 0..3 {
            let mut per = [0usize; 5];
            for (i, &f) in folds.iter().enumerate() {
                if keys[i] == key {
                    per[f] += 1;
                }
            }
            assert!(
                per.iter().max().unwrap() - per.iter().min().unwrap() <= 1,
                "key {key}: {per:?}"
            );
        }
        assert_eq!(folds, stratified_folds(&keys, 5, 42));
        assert_ne!(folds, stratified_folds(&keys, 5, 43));
        // Every fold is held out exactly once and fitted on the rest.
        let y: Vec<usize> = keys.clone();
        let splits = cv_splits(&folds, 5, &y);
        let mut seen = vec![0; keys.len()];
        for s in &splits {
            let Held::Rows(held) = &s.held else {
                panic!("cross-validation holds out rows of the design")
            };
            assert_eq!(s.fit.len() + held.len(), keys.len());
            for &i in held {
                seen[i] += 1;
                assert!(!s.fit.contains(&i));
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
    }

    #[test]
    fn rescaling_the_shared_copy_equals_featurizing_with_it() {
        let docs: Vec<Vec<String>> = [
            "the cat sat",
            "a dog ran fast",
            "the cat ran",
            "dogs and cats",
        ]
        .iter()
        .map(|s| s.split(' ').map(String::from).collect())
        .collect();
        let targets = [
            Some(features::target_hash("a")),
            None,
            Some(features::target_hash("b")),
            None,
        ];
        let params = |sw: f32| FeatureParams {
            buckets_log2: 12,
            min_df: 1,
            shared_weight: sw,
            ..FeatureParams::default()
        };
        let featurize = |sw: f32| {
            let f = Featurizer::fit(&params(sw), &docs).unwrap();
            let mut x = CsrMatrix::new(params(sw).buckets());
            let mut s = FeatureScratch::default();
            for (d, t) in docs.iter().zip(targets) {
                let mut v = SparseVec::default();
                f.transform(d, t, CharNgrams::Entries, &mut s, &mut v);
                x.push_row(&v.idx, &v.val);
            }
            x
        };
        let crossed: Vec<bool> = targets.iter().map(Option::is_some).collect();
        let one = featurize(1.0);
        for sw in [0.25f32, 0.5, 0.7, 2.0] {
            assert_eq!(
                scale_shared(&one, &crossed, sw),
                featurize(sw),
                "shared weight {sw}"
            );
        }
    }

    #[test]
    fn balanced_weights_even_out_the_classes() {
        let y = [0, 0, 0, 1];
        let w = class_weights(&y, 2, true);
        let third = (4f32 / 6f32) as f64;
        assert_eq!(w, vec![third, third, third, 2.0]);
        assert_eq!(class_weights(&y, 2, false), vec![1.0; 4]);
    }

    #[test]
    fn mean_and_spread() {
        let (m, s) = mean_spread(&[0.5, 0.7, 0.6]);
        assert!((m - 0.6).abs() < 1e-12);
        assert!((s - 0.1).abs() < 1e-12);
        assert_eq!(mean_spread(&[0.4]), (0.4, 0.0));
    }
}
