//! The sparse multinomial logistic regression (our own solver on linfa's traits).
//!
//! linfa's models fit dense matrices only, and a text matrix with a million hashed
//! columns does not fit in memory densely. This module owns the sparse training core:
//! a CSR matrix that implements linfa's `Records`, validated hyperparameters behind
//! linfa's `ParamGuard`, and `Fit` / `FitWith` (warm start) implementations that
//! minimise the L2-regularised, sample-weighted softmax cross-entropy, with one of two
//! [`Solver`]s: argmin's L-BFGS to convergence (gradients computed in parallel in a
//! fixed order; the small dense problems of calibration and stacking), or the dual
//! coordinate descent of [`super::dual_cd`] (sequential; the text heads). `exp`/`ln`
//! come from the pure-Rust `libm` (not glibc, whose variant depends on the CPU), so a
//! fit is bit-for-bit the same whatever the number of threads or the machine.

use std::sync::Mutex;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use linfa::dataset::Records;
use linfa::traits::{Fit, FitWith};
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::features::bucket_table::{BucketTable, RowAt};

/// Compressed sparse rows over hash-bucket columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsrMatrix {
    /// Row start offsets into `indices`/`values` (`nrows + 1` entries).
    pub indptr: Vec<usize>,
    /// Column of each stored value.
    pub indices: Vec<u32>,
    /// Stored values.
    pub values: Vec<f32>,
    /// Number of columns.
    pub ncols: usize,
}

impl CsrMatrix {
    /// An empty matrix with `ncols` columns.
    pub fn new(ncols: usize) -> Self {
        CsrMatrix {
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        }
    }

    /// Appends a row.
    pub fn push_row(&mut self, idx: &[u32], val: &[f32]) {
        self.indices.extend_from_slice(idx);
        self.values.extend_from_slice(val);
        self.indptr.push(self.indices.len());
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Row `i` as (indices, values).
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }
}

impl Records for CsrMatrix {
    type Elem = f32;
    fn nsamples(&self) -> usize {
        self.nrows()
    }
    fn nfeatures(&self) -> usize {
        self.ncols
    }
}

/// How a [`SoftmaxParams`] fit is minimised (both reach the same optimum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Solver {
    /// argmin's L-BFGS on the primal, parallel gradients (small dense problems:
    /// calibration, stacking).
    #[default]
    Lbfgs,
    /// Dual coordinate descent ([`super::dual_cd`]), sequential: far fewer passes over a
    /// sparse text matrix. Its bias is a constant feature under the same L2 penalty
    /// (LIBLINEAR's `-B 1`), the objective of L-BFGS with `penalize_bias(true)`.
    DualCd,
}

/// Checked hyperparameters of [`SoftmaxParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxValidParams {
    c: f64,
    n_classes: usize,
    max_iterations: u64,
    tolerance: f64,
    memory: usize,
    solver: Solver,
    dual_tolerance: f64,
    penalize_bias: bool,
}

impl SoftmaxValidParams {
    /// Inverse regularisation strength (larger = less regularisation).
    pub fn c(&self) -> f64 {
        self.c
    }
}

/// Hyperparameters of the sparse softmax regression.
///
/// | name | default | purpose | range |
/// |---|---|---|---|
/// | `c` | 1.0 | inverse L2 strength, as scikit-learn's `C` | > 0, finite |
/// | `n_classes` | 2 | number of labels | >= 2 |
/// | `max_iterations` | 500 | L-BFGS iterations | >= 1 |
/// | `tolerance` | 1e-5 | stop when the gradient norm falls below | > 0 |
/// | `memory` | 7 | L-BFGS history length | >= 1 |
/// | `solver` | `Lbfgs` | minimiser | [`Solver`] |
/// | `dual_tolerance` | 0.1 | dual CD: largest sub-problem violation (log units) | > 0 |
/// | `penalize_bias` | false | L-BFGS: L2 penalty on the bias too | bool |
///
/// With [`Solver::DualCd`], `max_iterations` caps epochs and `dual_tolerance` is the
/// stopping rule ([`super::dual_cd::Settings`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxParams(SoftmaxValidParams);

impl Default for SoftmaxParams {
    fn default() -> Self {
        SoftmaxParams(SoftmaxValidParams {
            c: 1.0,
            n_classes: 2,
            max_iterations: 500,
            tolerance: 1e-5,
            memory: 7,
            solver: Solver::Lbfgs,
            dual_tolerance: 0.1,
            penalize_bias: false,
        })
    }
}

impl SoftmaxParams {
    /// Parameters for `n_classes` labels; other settings at their defaults.
    pub fn new(n_classes: usize) -> Self {
        let mut p = Self::default();
        p.0.n_classes = n_classes;
        p
    }
    /// Sets `C` (defaults to `1.0`).
    pub fn c(mut self, c: f64) -> Self {
        self.0.c = c;
        self
    }
    /// Sets the iteration cap (defaults to `500`).
    pub fn max_iterations(mut self, n: u64) -> Self {
        self.0.max_iterations = n;
        self
    }
    /// Sets the gradient-norm tolerance (defaults to `1e-5`).
    pub fn tolerance(mut self, t: f64) -> Self {
        self.0.tolerance = t;
        self
    }
    /// Sets the minimiser (defaults to [`Solver::Lbfgs`]).
    pub fn solver(mut self, s: Solver) -> Self {
        self.0.solver = s;
        self
    }
    /// L-BFGS: puts the bias under the L2 penalty too, as a constant feature of value
    /// [`super::dual_cd::BIAS_FEATURE`] (defaults to `false`; the dual coordinate descent
    /// always does, see [`Solver::DualCd`]).
    pub fn penalize_bias(mut self, yes: bool) -> Self {
        self.0.penalize_bias = yes;
        self
    }
    /// Sets the dual coordinate descent's tolerance (defaults to `0.1`).
    pub fn dual_tolerance(mut self, t: f64) -> Self {
        self.0.dual_tolerance = t;
        self
    }
}

impl ParamGuard for SoftmaxParams {
    type Checked = SoftmaxValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&SoftmaxValidParams> {
        let p = &self.0;
        if !(p.c.is_finite() && p.c > 0.0) {
            return Err(Error::Params(format!(
                "C must be a positive, finite number, got {}",
                p.c
            )));
        }
        if p.n_classes < 2 {
            return Err(Error::Params(format!(
                "need at least 2 classes, got {}",
                p.n_classes
            )));
        }
        if p.max_iterations == 0 {
            return Err(Error::Params("max_iterations must be at least 1".into()));
        }
        if !(p.tolerance.is_finite() && p.tolerance > 0.0) {
            return Err(Error::Params(
                "tolerance must be a positive, finite number".into(),
            ));
        }
        if !(p.dual_tolerance.is_finite() && p.dual_tolerance > 0.0) {
            return Err(Error::Params(
                "dual tolerance must be a positive, finite number".into(),
            ));
        }
        if p.memory == 0 {
            return Err(Error::Params("L-BFGS memory must be at least 1".into()));
        }
        Ok(p)
    }

    fn check(self) -> Result<SoftmaxValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// A fitted sparse softmax regression over hash-bucket columns.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseSoftmax {
    /// One row of `n_classes` weights per column (the label dimension contiguous);
    /// only the columns seen in training are stored.
    pub weights: BucketTable,
    /// One intercept per class.
    pub bias: Vec<f32>,
    /// Number of classes.
    pub n_classes: usize,
    /// Whether L-BFGS met its tolerance before the iteration cap.
    pub converged: bool,
    /// L-BFGS iterations used.
    pub iterations: u64,
}

impl SparseSoftmax {
    /// Raw scores (logits) of one sparse row into `out` (`n_classes` long).
    #[inline]
    pub fn logits(&self, idx: &[u32], val: &[f32], out: &mut [f32]) {
        self.logits_located(&[], idx, val, out);
    }

    /// [`SparseSoftmax::logits`] where the first `rows.len()` columns' rows are already
    /// located in the weights' store ([`BucketTable::locate`] on a table sharing it):
    /// the same sum, without ranking those columns again.
    pub fn logits_located(&self, rows: &[RowAt], idx: &[u32], val: &[f32], out: &mut [f32]) {
        // A fixed width keeps the sums in registers (same additions, same order).
        match self.n_classes {
            2 => self.sum_of_width::<2>(rows, idx, val, out),
            3 => self.sum_of_width::<3>(rows, idx, val, out),
            _ => {
                out.copy_from_slice(&self.bias);
                self.for_each_entry(rows, idx, val, |w, v| {
                    for (o, &wj) in out.iter_mut().zip(w) {
                        *o += v * wj;
                    }
                });
            }
        }
    }

    /// Calls `f(weights, value)` for each entry in order; the first `rows.len()` are
    /// read where `rows` says (as in [`SparseSoftmax::logits_located`]).
    #[inline]
    pub fn for_each_entry(
        &self,
        rows: &[RowAt],
        idx: &[u32],
        val: &[f32],
        mut f: impl FnMut(&[f32], f32),
    ) {
        let n = rows.len().min(idx.len());
        for (&at, &v) in rows[..n].iter().zip(val) {
            f(self.weights.row_at(at), v);
        }
        for (&j, &v) in idx[n..].iter().zip(&val[n..]) {
            f(self.weights.row(j), v);
        }
    }

    #[inline]
    fn sum_of_width<const K: usize>(
        &self,
        rows: &[RowAt],
        idx: &[u32],
        val: &[f32],
        out: &mut [f32],
    ) {
        let mut sum: [f32; K] = self.bias[..].try_into().expect("K bias terms");
        self.for_each_entry(rows, idx, val, |w, v| {
            let w: &[f32; K] = w.try_into().expect("rows are K wide");
            for c in 0..K {
                sum[c] += v * w[c];
            }
        });
        out.copy_from_slice(&sum);
    }
}

/// In-place softmax of logits.
pub fn softmax(z: &mut [f32]) {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in z.iter_mut() {
        *x = libm::expf(*x - m);
        s += *x;
    }
    for x in z.iter_mut() {
        *x /= s;
    }
}

/// Fixed chunk size for parallel loops: results do not depend on the thread count.
const CHUNK: usize = 256;

/// The training problem over the columns that occur in the data ("active" columns).
struct Problem<'a> {
    x: &'a CsrMatrix,
    /// Row-wise indices remapped to active columns.
    cols: Vec<u32>,
    /// CSC of the remapped matrix: column starts, row ids, values.
    csc_ptr: Vec<usize>,
    csc_rows: Vec<u32>,
    csc_vals: Vec<f32>,
    y: &'a [usize],
    w: Vec<f64>,
    k: usize,
    n_active: usize,
    inv_c: f64,
    /// Whether the bias is under the L2 penalty too (as a constant feature of value
    /// [`super::dual_cd::BIAS_FEATURE`]).
    penalize_bias: bool,
    /// Fixed logits added to each row's (row-major, `k` per row; [`fit_on_offsets`]).
    offsets: Option<&'a [f64]>,
    /// Whether the bias is fitted (else it stays at zero).
    fit_bias: bool,
    cache: Mutex<Option<Evaluation>>,
}

/// A cached (parameters, cost, gradient) triple.
type Evaluation = (Array1<f64>, f64, Array1<f64>);

impl<'a> Problem<'a> {
    fn new(
        x: &'a CsrMatrix,
        y: &'a [usize],
        weights: Vec<f64>,
        k: usize,
        c: f64,
        active: &[u32],
    ) -> Self {
        let mut remap = vec![u32::MAX; x.ncols];
        for (a, &col) in active.iter().enumerate() {
            remap[col as usize] = a as u32;
        }
        let cols: Vec<u32> = x.indices.iter().map(|&j| remap[j as usize]).collect();
        let n_active = active.len();
        let mut counts = vec![0usize; n_active + 1];
        for &j in &cols {
            counts[j as usize + 1] += 1;
        }
        for i in 0..n_active {
            counts[i + 1] += counts[i];
        }
        let csc_ptr = counts.clone();
        let mut fill = counts;
        let mut csc_rows = vec![0u32; cols.len()];
        let mut csc_vals = vec![0f32; cols.len()];
        for r in 0..x.nrows() {
            let span = x.indptr[r]..x.indptr[r + 1];
            for (&j, &v) in cols[span.clone()].iter().zip(&x.values[span]) {
                let j = j as usize;
                csc_rows[fill[j]] = r as u32;
                csc_vals[fill[j]] = v;
                fill[j] += 1;
            }
        }
        let total: f64 = weights.iter().sum();
        let w = weights.iter().map(|s| s / total).collect();
        Problem {
            x,
            cols,
            csc_ptr,
            csc_rows,
            csc_vals,
            y,
            w,
            k,
            n_active,
            inv_c: 1.0 / (c * total),
            penalize_bias: false,
            offsets: None,
            fit_bias: true,
            cache: Mutex::new(None),
        }
    }

    fn eval(&self, theta: &Array1<f64>) -> (f64, Array1<f64>) {
        if let Some((p, c, g)) = self.cache.lock().expect("cache lock").as_ref() {
            if p == theta {
                return (*c, g.clone());
            }
        }
        let k = self.k;
        let nw = self.n_active * k;
        let t = theta.as_slice().expect("contiguous parameters");
        let (wt, bias) = t.split_at(nw);
        // The forward pass reads weights at hashed (random) positions: an f32 copy halves
        // the cache footprint; sums stay in f64.
        let wt32: Vec<f32> = wt.iter().map(|&w| w as f32).collect();
        let n = self.x.nrows();
        // Residuals r_i = w_i (p_i - e_{y_i}), and the weighted loss, per fixed chunk.
        let parts: Vec<(f64, Vec<f64>)> = (0..n)
            .collect::<Vec<_>>()
            .par_chunks(CHUNK)
            .map(|rows| {
                let mut loss = 0.0;
                let mut res = Vec::with_capacity(rows.len() * k);
                let mut z = vec![0f64; k];
                for &i in rows {
                    z.copy_from_slice(bias);
                    if let Some(o) = self.offsets {
                        for (zc, &oc) in z.iter_mut().zip(&o[i * k..i * k + k]) {
                            *zc += oc;
                        }
                    }
                    for p in self.x.indptr[i]..self.x.indptr[i + 1] {
                        let j = self.cols[p] as usize;
                        let v = self.x.values[p] as f64;
                        for (zc, &w) in z.iter_mut().zip(&wt32[j * k..j * k + k]) {
                            *zc += v * w as f64;
                        }
                    }
                    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = z.iter().map(|a| libm::exp(a - m)).sum();
                    let lse = m + libm::log(s);
                    loss += self.w[i] * (lse - z[self.y[i]]);
                    for (c, &zc) in z.iter().enumerate() {
                        let p = libm::exp(zc - lse);
                        let e = if c == self.y[i] { 1.0 } else { 0.0 };
                        res.push(self.w[i] * (p - e));
                    }
                }
                (loss, res)
            })
            .collect();
        let mut loss = 0.0;
        let mut r = Vec::with_capacity(n * k);
        for (l, part) in parts {
            loss += l;
            r.extend(part);
        }
        let mut reg: f64 = wt.iter().map(|a| a * a).sum::<f64>() * 0.5 * self.inv_c;
        let bias_penalty = if self.penalize_bias {
            let bf = super::dual_cd::BIAS_FEATURE;
            self.inv_c / (bf * bf)
        } else {
            0.0
        };
        reg += bias.iter().map(|a| a * a).sum::<f64>() * 0.5 * bias_penalty;
        let mut grad = vec![0f64; nw + k];
        let (gw, gb) = grad.split_at_mut(nw);
        gw.par_chunks_mut(k * CHUNK)
            .enumerate()
            .for_each(|(chunk, g)| {
                for (jj, gj) in g.chunks_mut(k).enumerate() {
                    let j = chunk * CHUNK + jj;
                    for p in self.csc_ptr[j]..self.csc_ptr[j + 1] {
                        let row = self.csc_rows[p] as usize;
                        let v = self.csc_vals[p] as f64;
                        for c in 0..k {
                            gj[c] += v * r[row * k + c];
                        }
                    }
                    for c in 0..k {
                        gj[c] += self.inv_c * wt[j * k + c];
                    }
                }
            });
        if self.fit_bias {
            for row in r.chunks(k) {
                for c in 0..k {
                    gb[c] += row[c];
                }
            }
            for c in 0..k {
                gb[c] += bias_penalty * bias[c];
            }
        }
        let cost = loss + reg;
        let g = Array1::from(grad);
        *self.cache.lock().expect("cache lock") = Some((theta.clone(), cost, g.clone()));
        (cost, g)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.eval(p).0)
    }
}

impl Gradient for Problem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.eval(p).1)
    }
}

impl<'a> FitWith<'a, CsrMatrix, Array1<usize>, Error> for SoftmaxValidParams {
    type ObjectIn = Option<&'a SparseSoftmax>;
    type ObjectOut = SparseSoftmax;

    /// Fits, starting from `init`'s weights when given (warm start along a C path).
    fn fit_with(
        &self,
        init: Self::ObjectIn,
        ds: &DatasetBase<CsrMatrix, Array1<usize>>,
    ) -> Result<SparseSoftmax> {
        let x = ds.records();
        let y = ds.targets().as_slice().expect("contiguous targets");
        let k = self.n_classes;
        if x.nrows() != y.len() {
            return Err(Error::Train(format!(
                "{} rows but {} labels",
                x.nrows(),
                y.len()
            )));
        }
        if x.nrows() == 0 {
            return Err(Error::Train("no training rows".into()));
        }
        if let Some(bad) = y.iter().find(|&&c| c >= k) {
            return Err(Error::Train(format!(
                "label index {bad} out of range for {k} classes"
            )));
        }
        let weights: Vec<f64> = match ds.weights() {
            Some(w) if w.len() == y.len() => w.iter().map(|&v| v as f64).collect(),
            _ => vec![1.0; y.len()],
        };
        if self.solver == Solver::DualCd {
            return self.fit_dual(init, x, y, &weights);
        }
        let active = active_columns(x);
        let mut problem = Problem::new(x, y, weights, k, self.c, &active);
        problem.penalize_bias = self.penalize_bias;
        let mut theta = vec![0f64; active.len() * k + k];
        if let Some(m) = init {
            for (a, &col) in active.iter().enumerate() {
                for c in 0..k {
                    theta[a * k + c] = m.weights.row(col)[c] as f64;
                }
            }
            for c in 0..k {
                theta[active.len() * k + c] = m.bias[c] as f64;
            }
        }
        self.fit_lbfgs(problem, &active, theta)
    }
}

/// The columns that occur in `x`, ascending.
fn active_columns(x: &CsrMatrix) -> Vec<u32> {
    let mut seen = vec![false; x.ncols];
    for &j in &x.indices {
        seen[j as usize] = true;
    }
    (0..x.ncols as u32).filter(|&j| seen[j as usize]).collect()
}

/// Fits the weights `W` (no bias) of `softmax(o_i + W x_i)` by L-BFGS under `params`'
/// L2 penalty, where `offsets` holds each row's fixed logits `o_i` (`k` per row,
/// row-major): new weights learned on top of a frozen model's answer (a stance head
/// adapted to a new target, `crate::train::adapt`). `weights` are the rows' weights.
pub fn fit_on_offsets(
    params: &SoftmaxValidParams,
    x: &CsrMatrix,
    y: &[usize],
    weights: &[f64],
    offsets: &[f64],
) -> Result<SparseSoftmax> {
    let k = params.n_classes;
    if x.nrows() == 0 || x.nrows() != y.len() || weights.len() != y.len() {
        return Err(Error::Train(format!(
            "{} rows, {} labels and {} row weights",
            x.nrows(),
            y.len(),
            weights.len()
        )));
    }
    if offsets.len() != y.len() * k || y.iter().any(|&c| c >= k) {
        return Err(Error::Train(format!(
            "{} offsets or a label out of range for {} rows of {k} classes",
            offsets.len(),
            y.len()
        )));
    }
    let active = active_columns(x);
    let mut problem = Problem::new(x, y, weights.to_vec(), k, params.c, &active);
    problem.offsets = Some(offsets);
    problem.fit_bias = false;
    let theta = vec![0f64; active.len() * k + k];
    params.fit_lbfgs(problem, &active, theta)
}

impl SoftmaxValidParams {
    /// Minimises `problem` by L-BFGS from `theta` (weights of the `active` columns, then
    /// the bias).
    fn fit_lbfgs(
        &self,
        problem: Problem<'_>,
        active: &[u32],
        theta: Vec<f64>,
    ) -> Result<SparseSoftmax> {
        let (k, ncols) = (self.n_classes, problem.x.ncols);
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), self.memory)
            .with_tolerance_grad(self.tolerance)
            .and_then(|s| s.with_tolerance_cost(1e-12))
            .map_err(|e| Error::Train(e.to_string()))?;
        let res = Executor::new(problem, solver)
            .configure(|s| s.param(Array1::from(theta)).max_iters(self.max_iterations))
            .run()
            .map_err(|e| Error::Train(format!("L-BFGS failed: {e}")))?;
        let state = res.state();
        let iterations = state.get_iter();
        let converged = iterations < self.max_iterations;
        let best = state
            .get_best_param()
            .ok_or_else(|| Error::Train("L-BFGS returned no parameters".into()))?;
        let rows: Vec<f32> = best
            .iter()
            .take(active.len() * k)
            .map(|&w| w as f32)
            .collect();
        let weights =
            BucketTable::from_rows(ncols, k, active.iter().copied().zip(rows.chunks_exact(k)))?;
        let bias = (0..k).map(|c| best[active.len() * k + c] as f32).collect();
        Ok(SparseSoftmax {
            weights,
            bias,
            n_classes: k,
            converged,
            iterations,
        })
    }
}

impl SoftmaxValidParams {
    /// [`FitWith::fit_with`] by dual coordinate descent; a warm start begins from the
    /// initial model's probabilities and bias.
    fn fit_dual(
        &self,
        init: Option<&SparseSoftmax>,
        x: &CsrMatrix,
        y: &[usize],
        weights: &[f64],
    ) -> Result<SparseSoftmax> {
        let k = self.n_classes;
        let design = super::dual_cd::Design::new(x);
        let rows: Vec<usize> = (0..x.nrows()).collect();
        let cost: Vec<f64> = weights.iter().map(|&s| self.c * s).collect();
        let sub = super::dual_cd::Subproblem {
            rows: &rows,
            y,
            cost: &cost,
            k,
        };
        let settings = super::dual_cd::Settings {
            tolerance: self.dual_tolerance,
            max_epochs: self.max_iterations,
        };
        let warm = init.map(|m| {
            let mut z = vec![0f32; k];
            let mut q = Vec::with_capacity(x.nrows() * k);
            for i in 0..x.nrows() {
                let (idx, val) = x.row(i);
                m.logits(idx, val, &mut z);
                softmax(&mut z);
                q.extend(z.iter().map(|&p| p as f64));
            }
            q
        });
        let start = match &warm {
            Some(q) => super::dual_cd::Start::Warm { q },
            None => super::dual_cd::Start::Cold,
        };
        let fit = super::dual_cd::solve(&design, &sub, settings, start);
        design.to_softmax(&fit, k)
    }
}

impl Fit<CsrMatrix, Array1<usize>, Error> for SoftmaxValidParams {
    type Object = SparseSoftmax;
    fn fit(&self, ds: &DatasetBase<CsrMatrix, Array1<usize>>) -> Result<SparseSoftmax> {
        self.fit_with(None, ds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn toy() -> DatasetBase<CsrMatrix, Array1<usize>> {
        // Three classes, each marked by its own column; column 3 is noise shared by all.
        let mut x = CsrMatrix::new(4);
        let mut y = Vec::new();
        for i in 0..30 {
            let c = i % 3;
            x.push_row(&[c as u32, 3], &[1.0, 0.5]);
            y.push(c);
        }
        DatasetBase::new(x, Array1::from(y))
    }

    #[test]
    fn learns_a_separable_set_perfectly() {
        let ds = toy();
        let m = SoftmaxParams::new(3).c(100.0).fit(&ds).unwrap();
        assert!(m.converged);
        let mut z = vec![0f32; 3];
        for i in 0..30 {
            let (idx, val) = ds.records().row(i);
            m.logits(idx, val, &mut z);
            softmax(&mut z);
            let pred = (0..3).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap();
            assert_eq!(pred, ds.targets()[i]);
            assert!(z[pred] > 0.9);
        }
    }

    #[test]
    fn located_rows_give_the_same_logits() {
        // Widths 2, 3 (fixed-width sums) and 4 (the general loop).
        for k in [2usize, 3, 4] {
            let mut x = CsrMatrix::new(6);
            let mut y = Vec::new();
            for i in 0..40 {
                x.push_row(&[(i % 5) as u32, 5], &[1.0, 0.25 + (i % 3) as f32]);
                y.push(i % k);
            }
            let m = SoftmaxParams::new(k)
                .fit(&DatasetBase::new(x, Array1::from(y)))
                .unwrap();
            let idf = BucketTable::from_dense(&[1.5, 0.0, 2.0, 1.0, 0.5, 3.0], 1).unwrap();
            let (idf, weights) = BucketTable::interleave(&idf, &m.weights).unwrap();
            let m = SparseSoftmax { weights, ..m };
            let idx = [4u32, 1, 0, 5, 2, 3];
            let val = [0.3f32, -1.0, 0.7, 2.0, 0.1, 0.9];
            let (mut plain, mut located) = (vec![0f32; k], vec![0f32; k]);
            m.logits(&idx, &val, &mut plain);
            for n in 0..=idx.len() {
                let rows: Vec<RowAt> = idx[..n].iter().map(|&j| idf.locate(j)).collect();
                m.logits_located(&rows, &idx, &val, &mut located);
                assert_eq!(located, plain, "width {k}, {n} located");
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let ds = toy();
        let y = ds.targets().as_slice().unwrap();
        let p = Problem::new(ds.records(), y, vec![1.0; 30], 3, 0.7, &[0, 1, 2, 3]);
        let theta = Array1::from(
            (0..15)
                .map(|i| (i as f64 * 0.37).sin() * 0.3)
                .collect::<Vec<_>>(),
        );
        let (_, g) = p.eval(&theta);
        for i in 0..15 {
            let mut a = theta.clone();
            // The forward pass reads f32 weights, so the step must be well above f32 rounding.
            a[i] += 1e-3;
            let mut b = theta.clone();
            b[i] -= 1e-3;
            let num = (p.eval(&a).0 - p.eval(&b).0) / 2e-3;
            assert!((num - g[i]).abs() < 1e-4, "param {i}: {num} vs {}", g[i]);
        }
    }

    #[test]
    fn stronger_regularisation_shrinks_weights() {
        let ds = toy();
        let strong = SoftmaxParams::new(3).c(0.01).fit(&ds).unwrap();
        let weak = SoftmaxParams::new(3).c(10.0).fit(&ds).unwrap();
        let norm = |m: &SparseSoftmax| {
            m.weights
                .iter()
                .flat_map(|(_, r)| r)
                .map(|w| w * w)
                .sum::<f32>()
        };
        assert!(norm(&strong) < norm(&weak));
    }

    #[test]
    fn rejects_bad_params() {
        assert!(SoftmaxParams::new(3).c(-1.0).check().is_err());
        assert!(SoftmaxParams::new(1).check().is_err());
        assert!(SoftmaxParams::new(2).c(f64::NAN).check().is_err());
    }

    /// A noisy sparse problem: `n` rows over `ncols` columns, 6 entries a row, labels
    /// from a planted linear rule with noise, uneven sample weights.
    fn random_problem(n: usize, ncols: usize, k: usize) -> DatasetBase<CsrMatrix, Array1<usize>> {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let planted: Vec<f64> = (0..ncols * k).map(|_| rng.gen_range(-2.0..2.0)).collect();
        let mut x = CsrMatrix::new(ncols);
        let mut y = Vec::new();
        let mut s = Vec::new();
        for _ in 0..n {
            let mut idx: Vec<u32> = (0..6).map(|_| rng.gen_range(0..ncols as u32)).collect();
            idx.sort_unstable();
            let val: Vec<f32> = idx.iter().map(|_| rng.gen_range(0.1..1.0)).collect();
            let mut z = vec![0f64; k];
            for (&j, &v) in idx.iter().zip(&val) {
                for c in 0..k {
                    z[c] += v as f64 * planted[j as usize * k + c];
                }
            }
            let noisy: Vec<f64> = z.iter().map(|a| a + rng.gen_range(-1.5..1.5)).collect();
            y.push(
                (0..k)
                    .max_by(|&a, &b| noisy[a].total_cmp(&noisy[b]))
                    .unwrap(),
            );
            s.push(rng.gen_range(0.5f32..2.0));
            x.push_row(&idx, &val);
        }
        DatasetBase::new(x, Array1::from(y)).with_weights(Array1::from(s))
    }

    /// The L-BFGS objective (and its gradient norm) of a fitted model.
    fn objective(
        ds: &DatasetBase<CsrMatrix, Array1<usize>>,
        m: &SparseSoftmax,
        c: f64,
        penalize_bias: bool,
    ) -> (f64, f64) {
        let x = ds.records();
        let k = m.n_classes;
        let active: Vec<u32> = (0..x.ncols as u32).collect();
        let w: Vec<f64> = ds.weights().unwrap().iter().map(|&v| v as f64).collect();
        let y = ds.targets().as_slice().unwrap();
        let mut p = Problem::new(x, y, w, k, c, &active);
        p.penalize_bias = penalize_bias;
        let mut theta = Vec::new();
        for j in 0..x.ncols as u32 {
            theta.extend(m.weights.row(j).iter().map(|&v| v as f64));
        }
        theta.extend(m.bias.iter().map(|&v| v as f64));
        let (cost, g) = p.eval(&Array1::from(theta));
        (cost, g.iter().map(|a| a * a).sum::<f64>().sqrt())
    }

    #[test]
    fn dual_cd_reaches_the_lbfgs_optimum() {
        for (k, c) in [(2usize, 0.5), (2, 8.0), (3, 1.0), (3, 16.0), (5, 2.0)] {
            let ds = random_problem(400, 60, k);
            let lbfgs = SoftmaxParams::new(k)
                .c(c)
                .penalize_bias(true)
                .tolerance(1e-9)
                .max_iterations(5000)
                .fit(&ds)
                .unwrap();
            let dual = SoftmaxParams::new(k)
                .c(c)
                .solver(Solver::DualCd)
                .dual_tolerance(1e-4)
                .max_iterations(5000)
                .fit(&ds)
                .unwrap();
            assert!(dual.converged, "k={k} C={c}: {} epochs", dual.iterations);
            let (f_l, g_l) = objective(&ds, &lbfgs, c, true);
            let (f_d, g_d) = objective(&ds, &dual, c, true);
            eprintln!("k={k} C={c}: L-BFGS {f_l:.9} |g| {g_l:.2e}; dual CD {f_d:.9} |g| {g_d:.2e} ({} epochs)", dual.iterations);
            assert!(
                (f_d - f_l).abs() <= 1e-6 * f_l.abs(),
                "k={k} C={c}: {f_d} vs {f_l}"
            );
            assert!(g_d < 1e-4, "k={k} C={c}: gradient norm {g_d}");
            // The same model, up to f32 rounding and the optimiser's tolerance.
            for j in 0..60u32 {
                for (a, b) in lbfgs.weights.row(j).iter().zip(dual.weights.row(j)) {
                    assert!((a - b).abs() < 2e-3, "k={k} C={c} column {j}: {a} vs {b}");
                }
            }
            for (a, b) in lbfgs.bias.iter().zip(&dual.bias) {
                assert!((a - b).abs() < 2e-3, "k={k} C={c} bias: {a} vs {b}");
            }
        }
    }

    #[test]
    fn dual_cd_warm_start_reaches_the_same_optimum() {
        let ds = random_problem(300, 40, 3);
        let params = |c: f64| {
            SoftmaxParams::new(3)
                .c(c)
                .solver(Solver::DualCd)
                .dual_tolerance(1e-5)
                .max_iterations(5000)
                .check()
                .unwrap()
        };
        let first = params(1.0).fit(&ds).unwrap();
        let cold = params(4.0).fit(&ds).unwrap();
        let warm = params(4.0).fit_with(Some(&first), &ds).unwrap();
        let (f_c, _) = objective(&ds, &cold, 4.0, true);
        let (f_w, _) = objective(&ds, &warm, 4.0, true);
        assert!((f_c - f_w).abs() <= 1e-7 * f_c, "{f_c} vs {f_w}");
        assert!(
            warm.iterations < cold.iterations,
            "{} vs {}",
            warm.iterations,
            cold.iterations
        );
    }

    #[test]
    fn fit_is_deterministic() {
        let ds = toy();
        let a = SoftmaxParams::new(3).fit(&ds).unwrap();
        let b = SoftmaxParams::new(3).fit(&ds).unwrap();
        assert_eq!(a, b);
    }
}
