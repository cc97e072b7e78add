//! Dual coordinate descent for the sparse multinomial logistic regression.
//!
//! Minimises, over weights `W` (a row of `k` per feature) and a bias `b`,
//!
//! ```text
//! P(W, b) = ½ Σ_c (|w_c|² + b_c²) + Σ_i C_i ℓ_i(Wᵀx_i + b),   C_i = C · s_i,
//! ```
//!
//! `ℓ_i` the softmax cross-entropy of row `i` and `s_i` its sample weight: the L-BFGS
//! objective of [`super::linear`] times `C Σ s_i`, except that the bias is a constant
//! feature of value [`BIAS_FEATURE`] under the same L2 penalty, as in LIBLINEAR (`-B 1`).
//! Against `C Σ s_i` (thousands for a text head) the bias penalty is negligible; it is
//! what lets the bias move with every coordinate step instead of in an outer loop, whose
//! steps W's features that occur in most rows cancel. The dual (Yu, Huang & Lin 2011,
//! "Dual coordinate descent methods for logistic regression and maximum entropy models",
//! the maximum-entropy case) has `k` variables per row, `α_i ≥ 0`, `Σ_c α_ic = C_i`,
//! with `w_c = Σ_i (C_i [c = y_i] − α_ic) x_i` (the bias likewise, `x_i`'s constant
//! feature), and at the optimum `α_ic = C_i p_c(x_i)`. One epoch visits the rows in a
//! seeded random order and solves each row's sub-problem (strictly convex on a scaled
//! simplex) by moving mass between its most and least violating labels, each move a
//! one-dimensional Newton iteration on the smaller of the two variables as in
//! LIBLINEAR's `solve_l2r_lr_dual` (with two labels that one move is the sub-problem),
//! then updates `W` by the change (one sparse pass). A fit stops when no row's
//! sub-problem violation at the start of an epoch (the largest log-ratio between
//! `α_i / C_i` and the softmax of its logits) reaches the tolerance.
//!
//! Everything is sequential and in `f64` with the pure-Rust `libm` logarithm, and the
//! visiting order comes from a seeded ChaCha8, so a fit is the same bits on every
//! machine; parallelism belongs to the caller (independent fits, e.g. folds).

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::linear::{CsrMatrix, SparseSoftmax};
use crate::error::Result;
use crate::features::bucket_table::BucketTable;

/// Largest number of Newton iterations of one pair move (LIBLINEAR's `max_inner_iter`).
const MAX_INNER: usize = 100;
/// Seed of the visiting order.
const ORDER_SEED: u64 = 0x5eed_d0a1_cd00_0001;
/// Value of the constant feature that carries the bias (LIBLINEAR's `-B 1`).
pub const BIAS_FEATURE: f64 = 1.0;

/// A CSR matrix prepared for coordinate descent: the columns that occur renumbered
/// `0..n_active`, most frequent first (so that the weights the most rows read share
/// cache lines), each row's entries sorted by column with repeated columns merged, and
/// each row's squared norm.
#[derive(Debug, Clone)]
pub struct Design {
    indptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
    sqnorm: Vec<f64>,
    /// Compact column → original column.
    active: Vec<u32>,
    /// Original column → compact column (`u32::MAX`: does not occur).
    remap: Vec<u32>,
    ncols: usize,
}

impl Design {
    /// Prepares `x`.
    pub fn new(x: &CsrMatrix) -> Self {
        let mut count = vec![0u32; x.ncols];
        for &j in &x.indices {
            count[j as usize] += 1;
        }
        let mut active: Vec<u32> = (0..x.ncols as u32)
            .filter(|&j| count[j as usize] > 0)
            .collect();
        active.sort_by_key(|&j| (std::cmp::Reverse(count[j as usize]), j));
        let mut remap = vec![u32::MAX; x.ncols];
        for (a, &col) in active.iter().enumerate() {
            remap[col as usize] = a as u32;
        }
        let mut indptr = Vec::with_capacity(x.nrows() + 1);
        indptr.push(0);
        let mut cols = Vec::with_capacity(x.indices.len());
        let mut vals = Vec::with_capacity(x.values.len());
        let mut sqnorm = Vec::with_capacity(x.nrows());
        let mut entries: Vec<(u32, u32)> = Vec::new();
        for i in 0..x.nrows() {
            let (idx, val) = x.row(i);
            entries.clear();
            entries.extend(
                idx.iter()
                    .enumerate()
                    .map(|(e, &j)| (remap[j as usize], e as u32)),
            );
            // Sorted by column, then by place in the row: repeated columns are added
            // in row order.
            entries.sort_unstable();
            let mut norm = 0.0;
            let mut e = 0;
            while e < entries.len() {
                let (j, at) = entries[e];
                let mut v = val[at as usize] as f64;
                e += 1;
                while e < entries.len() && entries[e].0 == j {
                    v += val[entries[e].1 as usize] as f64;
                    e += 1;
                }
                let v = v as f32;
                if v != 0.0 {
                    cols.push(j);
                    vals.push(v);
                    norm += v as f64 * v as f64;
                }
            }
            indptr.push(cols.len());
            sqnorm.push(norm);
        }
        Design {
            indptr,
            cols,
            vals,
            sqnorm,
            active,
            remap,
            ncols: x.ncols,
        }
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of columns that occur (a [`Solution`]'s weights are this times `k`).
    pub fn n_active(&self) -> usize {
        self.active.len()
    }

    /// Row `i` as (compact columns, values).
    #[inline]
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.cols[a..b], &self.vals[a..b])
    }

    /// Logits `b + Wᵀx_i` of row `i` into `z` (`k` long) for compact weights `w`.
    #[inline]
    pub fn logits(&self, i: usize, w: &[f64], b: &[f64], z: &mut [f64]) {
        let k = b.len();
        z.copy_from_slice(b);
        let (cols, vals) = self.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            let v = v as f64;
            let wj = &w[j as usize * k..j as usize * k + k];
            for (zc, &wc) in z.iter_mut().zip(wj) {
                *zc += v * wc;
            }
        }
    }

    /// Logits `b + Wᵀx` of a row given over the original columns (e.g. a validation
    /// row); columns that do not occur in the design have no weight.
    pub fn logits_of(&self, idx: &[u32], val: &[f32], w: &[f64], b: &[f64], z: &mut [f64]) {
        let k = b.len();
        z.copy_from_slice(b);
        for (&j, &v) in idx.iter().zip(val) {
            let a = self.remap[j as usize];
            if a != u32::MAX {
                let v = v as f64;
                let wj = &w[a as usize * k..a as usize * k + k];
                for (zc, &wc) in z.iter_mut().zip(wj) {
                    *zc += v * wc;
                }
            }
        }
    }

    /// The fitted model over the original columns (every active column stored).
    pub fn to_softmax(&self, fit: &Solution, k: usize) -> Result<SparseSoftmax> {
        let mut order: Vec<(u32, usize)> = self
            .active
            .iter()
            .enumerate()
            .map(|(a, &col)| (col, a))
            .collect();
        order.sort_unstable();
        let rows: Vec<f32> = order
            .iter()
            .flat_map(|&(_, a)| fit.weights[a * k..a * k + k].iter().map(|&w| w as f32))
            .collect();
        let weights = BucketTable::from_rows(
            self.ncols,
            k,
            order.iter().map(|o| o.0).zip(rows.chunks_exact(k)),
        )?;
        Ok(SparseSoftmax {
            weights,
            bias: fit.bias.iter().map(|&b| b as f32).collect(),
            n_classes: k,
            converged: fit.converged,
            iterations: fit.epochs,
        })
    }

    /// The primal objective `P(W, b)` over `p`'s rows (see the module documentation).
    pub fn primal_objective(&self, p: &Subproblem, w: &[f64], b: &[f64]) -> f64 {
        let k = b.len();
        let mut z = vec![0f64; k];
        let mut loss = 0.0;
        for (pos, &i) in p.rows.iter().enumerate() {
            self.logits(i, w, b, &mut z);
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = z.iter().map(|a| libm::exp(a - m)).sum();
            loss += p.cost[pos] * (m + libm::log(s) - z[p.y[pos]]);
        }
        let bias_sq: f64 = b.iter().map(|a| a * a).sum::<f64>() / (BIAS_FEATURE * BIAS_FEATURE);
        0.5 * (w.iter().map(|a| a * a).sum::<f64>() + bias_sq) + loss
    }
}

/// The rows a fit uses (a subset of a [`Design`]'s, e.g. a fold's training rows), with
/// their labels and costs `C_i = C · s_i`, position by position.
#[derive(Debug, Clone)]
pub struct Subproblem<'a> {
    /// Row numbers in the design.
    pub rows: &'a [usize],
    /// Label of each row.
    pub y: &'a [usize],
    /// `C_i` of each row (0 leaves a row out).
    pub cost: &'a [f64],
    /// Number of labels.
    pub k: usize,
}

/// Stopping rule and caps of a fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Stop when the largest sub-problem violation of an epoch (in log units: how far
    /// any row's `α_i / C_i` is from the softmax of its logits) is below this.
    pub tolerance: f64,
    /// Largest number of epochs.
    pub max_epochs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tolerance: 0.1,
            max_epochs: 500,
        }
    }
}

/// A fit: primal weights (compact columns × `k`), bias, and the dual state.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// `W`, `n_active × k`, the label dimension contiguous.
    pub weights: Vec<f64>,
    /// Bias per label.
    pub bias: Vec<f64>,
    /// Dual variables divided by each row's cost (`α_i / C_i`, a probability vector per
    /// row, position by position as in the [`Subproblem`]).
    pub q: Vec<f64>,
    /// Epochs run.
    pub epochs: u64,
    /// Whether the tolerance was met within the epoch cap.
    pub converged: bool,
    /// The largest sub-problem violation of the last epoch.
    pub violation: f64,
}

/// Where a fit starts.
#[derive(Debug, Clone, Copy)]
pub enum Start<'a> {
    /// Near `W = 0`, `b = 0` (LIBLINEAR's start).
    Cold,
    /// From per-row probability vectors (e.g. a fit with another `C`: its
    /// [`Solution::q`], or a model's softmax); `W` and the bias follow from them.
    Warm {
        /// `k` probabilities per row position, each row summing to 1.
        q: &'a [f64],
    },
}

/// Fits `p` on `d` from `start`.
pub fn solve(d: &Design, p: &Subproblem, settings: Settings, start: Start) -> Solution {
    match p.k {
        2 => solve_k::<2>(d, p, settings, start),
        3 => solve_k::<3>(d, p, settings, start),
        _ => solve_k::<0>(d, p, settings, start),
    }
}

/// [`solve`] with the label count fixed at compile time (`K = 0`: read from `p.k`).
///
/// Every feature's weights sum to zero over the labels (`Σ_c w_c = Σ_i (C_i − Σ_c α_ic)
/// x_i = 0`), so only the first `k − 1` are stored and updated; the last is minus
/// their sum.
fn solve_k<const K: usize>(
    d: &Design,
    p: &Subproblem,
    settings: Settings,
    start: Start,
) -> Solution {
    let k = if K == 0 { p.k } else { K };
    let mut dual = Dual::new(d, p, k, start);
    let mut order: Vec<usize> = (0..p.rows.len()).filter(|&pos| p.cost[pos] > 0.0).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(ORDER_SEED);
    let mut scratch = Scratch::new(k);
    let mut inner_eps = 1e-2f64;
    let inner_eps_min = settings.tolerance.min(1e-8);
    let mut epochs = 0;
    let mut converged = false;
    let mut violation = f64::INFINITY;
    while epochs < settings.max_epochs {
        epochs += 1;
        order.shuffle(&mut rng);
        let mut gmax = 0f64;
        let mut newton_iters = 0u64;
        for &pos in &order {
            let viol = visit_row::<K>(
                d,
                p,
                pos,
                &mut dual,
                &mut scratch,
                inner_eps,
                &mut newton_iters,
            );
            // NaN counts as a violation (and then shows as one).
            if viol > gmax || viol.is_nan() {
                gmax = viol;
            }
        }
        violation = gmax;
        if gmax < settings.tolerance {
            converged = true;
            break;
        }
        if newton_iters <= (order.len() / 10) as u64 {
            inner_eps = (0.1 * inner_eps).max(inner_eps_min);
        }
    }
    dual.into_solution(d, p, k, (epochs, converged, violation))
}

/// The dual variables `α` (`k` per row position) and the primal weights they give, of
/// the first `k − 1` labels only: `W` (`n_active × (k − 1)`) and the bias.
struct Dual {
    alpha: Vec<f64>,
    w: Vec<f64>,
    wb: Vec<f64>,
}

impl Dual {
    /// `α` at `start`, and `W = Σ_i (C_i e_{y_i} − α_i) x_iᵀ` (the bias, `x_i`'s
    /// constant feature, likewise).
    fn new(d: &Design, p: &Subproblem, k: usize, start: Start) -> Self {
        let alpha = initial_alpha(p, k, start);
        let m = k - 1;
        let mut w = vec![0f64; d.n_active() * m];
        let mut wb = vec![0f64; m];
        for (pos, &i) in p.rows.iter().enumerate() {
            let (cols, vals) = d.row(i);
            for c in 0..m {
                let coef = if c == p.y[pos] { p.cost[pos] } else { 0.0 } - alpha[pos * k + c];
                if coef != 0.0 {
                    for (&j, &v) in cols.iter().zip(vals) {
                        w[j as usize * m + c] += coef * v as f64;
                    }
                    wb[c] += coef * BIAS_FEATURE;
                }
            }
        }
        Dual { alpha, w, wb }
    }

    /// The [`Solution`]: `q = α_i / C_i`, the weights with their last label restored,
    /// and `(epochs, converged, violation)` as the fit ended.
    fn into_solution(
        self,
        d: &Design,
        p: &Subproblem,
        k: usize,
        end: (u64, bool, f64),
    ) -> Solution {
        let (epochs, converged, violation) = end;
        let m = k - 1;
        let q = self
            .alpha
            .chunks_exact(k)
            .zip(p.cost)
            .flat_map(|(a, &ci)| a.iter().map(move |&v| if ci > 0.0 { v / ci } else { 0.0 }))
            .collect();
        let mut weights = Vec::with_capacity(d.n_active() * k);
        for r in self.w.chunks_exact(m) {
            push_with_last(&mut weights, r);
        }
        let mut bias = Vec::with_capacity(k);
        push_with_last(&mut bias, &self.wb);
        for b in &mut bias {
            *b *= BIAS_FEATURE;
        }
        Solution {
            weights,
            bias,
            q,
            epochs,
            converged,
            violation,
        }
    }
}

/// The starting `α`, position by position: each row's sum exactly `C_i`.
fn initial_alpha(p: &Subproblem, k: usize, start: Start) -> Vec<f64> {
    let n = p.rows.len();
    let mut alpha = vec![0f64; n * k];
    for pos in 0..n {
        let ci = p.cost[pos];
        let a = &mut alpha[pos * k..pos * k + k];
        match start {
            Start::Cold => {
                let eps = (1e-3 * ci).min(1e-8);
                a.fill(eps);
                a[p.y[pos]] = ci - (k - 1) as f64 * eps;
            }
            Start::Warm { q } => {
                // Every α strictly inside its range (the logarithm needs it), and the
                // row's sum exactly C_i (f32 probabilities need not sum to 1).
                for c in 0..k {
                    a[c] = q[pos * k + c].clamp(1e-12, 1.0);
                }
                let sum: f64 = a.iter().sum();
                for v in a.iter_mut() {
                    *v *= ci / sum;
                }
            }
        }
    }
    alpha
}

/// Per-row work space, `k` long each: logits `z`, the row's new `α` (`t`), the
/// sub-problem's gradient `g`, and the change `t − α` (first `k − 1` labels).
struct Scratch {
    z: Vec<f64>,
    t: Vec<f64>,
    g: Vec<f64>,
    delta: Vec<f64>,
}

impl Scratch {
    fn new(k: usize) -> Self {
        Scratch {
            z: vec![0f64; k],
            t: vec![0f64; k],
            g: vec![0f64; k],
            delta: vec![0f64; k],
        }
    }
}

/// One coordinate step: solves the sub-problem of the row at position `pos` (unless its
/// violation is below `inner_eps`) and updates `α` and the weights. Returns the row's
/// violation at the start of the step.
#[inline]
fn visit_row<const K: usize>(
    d: &Design,
    p: &Subproblem,
    pos: usize,
    dual: &mut Dual,
    s: &mut Scratch,
    inner_eps: f64,
    newton_iters: &mut u64,
) -> f64 {
    let k = if K == 0 { p.k } else { K };
    let m = k - 1;
    let i = p.rows[pos];
    let (cols, vals) = d.row(i);
    let Dual { alpha, w, wb } = dual;
    // Logits.
    let z = &mut s.z[..k];
    for c in 0..m {
        z[c] = wb[c] * BIAS_FEATURE;
    }
    add_products(cols, vals, w, &mut z[..m]);
    z[m] = -z[..m].iter().sum::<f64>();
    let a_i = &alpha[pos * k..pos * k + k];
    let sq = d.sqnorm[i] + BIAS_FEATURE * BIAS_FEATURE;
    // The sub-problem's gradient at its start (up to a constant): ln α_c − z_c.
    let g = &mut s.g[..k];
    for c in 0..k {
        g[c] = libm::log(a_i[c]) - z[c];
    }
    let (lo, hi) = min_max(g);
    let viol = g[hi] - g[lo];
    if viol < inner_eps {
        return viol;
    }
    let t = &mut s.t[..k];
    t.copy_from_slice(a_i);
    pair_moves::<K>(sq, a_i, z, t, g, inner_eps, newton_iters);
    // W −= (t − α) x_iᵀ.
    let dl = &mut s.delta[..m];
    for c in 0..m {
        dl[c] = t[c] - a_i[c];
    }
    for (&j, &v) in cols.iter().zip(vals) {
        let v = v as f64;
        let wj = &mut w[j as usize * m..j as usize * m + m];
        for c in 0..m {
            wj[c] -= dl[c] * v;
        }
    }
    for c in 0..m {
        wb[c] -= dl[c] * BIAS_FEATURE;
    }
    alpha[pos * k..pos * k + k].copy_from_slice(t);
    viol
}

/// Solves one row's sub-problem from `t = α_i` (gradient `g` at that start) by pair
/// moves between its most and least violating labels, until their gap is below
/// `inner_eps` (with two labels, one move).
#[inline]
fn pair_moves<const K: usize>(
    sq: f64,
    a_i: &[f64],
    z: &[f64],
    t: &mut [f64],
    g: &mut [f64],
    inner_eps: f64,
    newton_iters: &mut u64,
) {
    let k = if K == 0 { t.len() } else { K };
    for round in 0..(20 * k) {
        if round > 0 {
            for c in 0..k {
                g[c] = sq * (t[c] - a_i[c]) - z[c] + libm::log(t[c]);
            }
        }
        let (lo, hi) = min_max(g);
        if g[hi] - g[lo] < inner_eps {
            break;
        }
        // Move mass from `hi` to `lo`: u = the new t_lo, s = t_lo + t_hi; the
        // root of g(u) = 2A u + c0 + ln(u / (s − u)) (A = |x_i|²).
        let s = t[lo] + t[hi];
        let c0 = -sq * a_i[lo] - z[lo] - sq * s + sq * a_i[hi] + z[hi];
        let two_a = 2.0 * sq;
        // Newton on whichever of the two ends below s/2, the other gets the rest.
        let (small, big, c) = if sq * s + c0 >= 0.0 {
            (lo, hi, c0)
        } else {
            (hi, lo, -2.0 * sq * s - c0)
        };
        let v = pair_newton(two_a, c, s, t[small], inner_eps, newton_iters);
        t[small] = v;
        t[big] = s - v;
        if k == 2 {
            break;
        }
    }
}

/// `z += Σ_e vals[e] · w[cols[e]]` (`z.len()` weights per column). For one and two
/// labels the sums run in four and two interleaved partial sums (entries `e mod 4`,
/// resp. `e mod 2`, added up in a fixed order at the end), so that the additions do not
/// wait on each other.
#[inline]
fn add_products(cols: &[u32], vals: &[f32], w: &[f64], z: &mut [f64]) {
    match z.len() {
        1 => {
            let mut acc = [0f64; 4];
            let mut cc = cols.chunks_exact(4);
            let mut vc = vals.chunks_exact(4);
            for (c4, v4) in (&mut cc).zip(&mut vc) {
                for e in 0..4 {
                    acc[e] += v4[e] as f64 * w[c4[e] as usize];
                }
            }
            for (&j, &v) in cc.remainder().iter().zip(vc.remainder()) {
                acc[0] += v as f64 * w[j as usize];
            }
            z[0] += (acc[0] + acc[1]) + (acc[2] + acc[3]);
        }
        2 => {
            let mut acc = [0f64; 4];
            let mut cc = cols.chunks_exact(2);
            let mut vc = vals.chunks_exact(2);
            for (c2, v2) in (&mut cc).zip(&mut vc) {
                for e in 0..2 {
                    let j = c2[e] as usize * 2;
                    let v = v2[e] as f64;
                    acc[2 * e] += v * w[j];
                    acc[2 * e + 1] += v * w[j + 1];
                }
            }
            for (&j, &v) in cc.remainder().iter().zip(vc.remainder()) {
                let j = j as usize * 2;
                acc[0] += v as f64 * w[j];
                acc[1] += v as f64 * w[j + 1];
            }
            z[0] += acc[0] + acc[2];
            z[1] += acc[1] + acc[3];
        }
        m => {
            for (&j, &v) in cols.iter().zip(vals) {
                let v = v as f64;
                let wj = &w[j as usize * m..j as usize * m + m];
                for (zc, &wc) in z.iter_mut().zip(wj) {
                    *zc += v * wc;
                }
            }
        }
    }
}

/// Appends the `k − 1` stored weights and minus their sum.
fn push_with_last(out: &mut Vec<f64>, r: &[f64]) {
    out.extend_from_slice(r);
    out.push(-r.iter().sum::<f64>());
}

/// Positions of the smallest and the largest value (first of equals).
#[inline]
fn min_max(g: &[f64]) -> (usize, usize) {
    let (mut lo, mut hi) = (0, 0);
    for c in 1..g.len() {
        if g[c] < g[lo] {
            lo = c;
        }
        if g[c] > g[hi] {
            hi = c;
        }
    }
    (lo, hi)
}

/// Root of `h(v) = two_a·v + c + ln(v / (s − v))` in `(0, s/2]` (where the root is known
/// to lie) by Newton's method from `v0`, kept positive by shrinking (LIBLINEAR's scheme:
/// `h` is concave and increasing there, so the iterates approach the root from below).
#[inline]
fn pair_newton(two_a: f64, c: f64, s: f64, v0: f64, eps: f64, iters: &mut u64) -> f64 {
    let mut v = if v0 > 0.5 * s { 0.1 * v0 } else { v0 };
    for _ in 0..MAX_INNER {
        let h = two_a * v + c + libm::log(v / (s - v));
        if h.abs() < eps {
            break;
        }
        let hp = two_a + s / (v * (s - v));
        let next = v - h / hp;
        v = if next <= 0.0 { 0.1 * v } else { next };
        *iters += 1;
    }
    v
}
