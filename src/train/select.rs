//! Model selection: the C × class-weighting grid, each fit warm-started along the C
//! path and scored on the held-out rows; then the calibration fitted on those rows.

use linfa::traits::FitWith;
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use rayon::prelude::*;

use super::{ClassWeight, TrainConfig};
use crate::error::Result;
use crate::head::{CalibrationReport, ClassWeighting};
use crate::io::Progress;
use crate::metrics::{self, Summary};
use crate::model::calibrate::Calibration;
use crate::model::linear::{CsrMatrix, SoftmaxParams, SparseSoftmax};

/// What model selection chose, and how every setting it tried did.
#[derive(Debug, Clone)]
pub(super) struct Chosen {
    /// Inverse L2 strength.
    pub c: f64,
    /// Whether rows were weighted by class.
    pub balanced: bool,
    /// (C, class weighting, held-out score) of every fit, in order.
    pub trace: Vec<(f64, ClassWeighting, f64)>,
}

/// Fits the C grid for each class weighting on `fit` (matrix, label indices), each fit
/// warm-started from the one before along the C path, and keeps the best by the
/// held-out score (F_avg for stance-like labels, macro-F1 otherwise; the first best on
/// a tie).
pub(super) fn select_model(
    cfg: &TrainConfig,
    labels: &[String],
    (x_fit, fit_y): (&CsrMatrix, &[usize]),
    (x_held, held_y): (&CsrMatrix, &[usize]),
    progress: &dyn Progress,
) -> Result<(Chosen, SparseSoftmax)> {
    let k = labels.len();
    let weightings: Vec<bool> = match cfg.class_weight {
        ClassWeight::None => vec![false],
        ClassWeight::Balanced => vec![true],
        ClassWeight::Auto => vec![false, true],
    };
    let mut selection = Vec::new();
    let mut best: Option<(f64, f64, bool, SparseSoftmax)> = None;
    let y_fit = Array1::from(fit_y.to_vec());
    for &balanced in &weightings {
        let ds = DatasetBase::new(x_fit.clone(), y_fit.clone())
            .with_weights(sample_weights(fit_y, k, balanced));
        let mut prev: Option<SparseSoftmax> = None;
        for &c in &cfg.c_grid {
            let params = SoftmaxParams::new(k)
                .c(c)
                .max_iterations(cfg.max_iterations)
                .check()?;
            let m = params.fit_with(prev.as_ref(), &ds)?;
            let logits = all_logits(&m, x_held);
            let pred: Vec<usize> = logits.iter().map(|z| metrics::argmax(z)).collect();
            let score = Summary::new(labels, held_y, &pred).primary();
            let cw = ClassWeighting::from_balanced(balanced);
            progress.step(
                &cfg.task,
                &format!(
                    "C={c} class_weight={cw}: held-out score {score:.4} ({} iterations)",
                    m.iterations
                ),
            );
            selection.push((c, cw, score));
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, c, balanced, m.clone()));
            }
            prev = Some(m);
        }
    }
    let (_, c, balanced, linear) = best.expect("the C grid is not empty");
    let chosen = Chosen {
        c,
        balanced,
        trace: selection,
    };
    Ok((chosen, linear))
}

/// Fits the chosen C and class weighting on the matrix `x` with label indices `y`.
pub(super) fn fit_chosen(
    cfg: &TrainConfig,
    chosen: &Chosen,
    x: CsrMatrix,
    y: &[usize],
    k: usize,
) -> Result<SparseSoftmax> {
    let ds = DatasetBase::new(x, Array1::from(y.to_vec())).with_weights(sample_weights(
        y,
        k,
        chosen.balanced,
    ));
    SoftmaxParams::new(k)
        .c(chosen.c)
        .max_iterations(cfg.max_iterations)
        .check()?
        .fit_with(None, &ds)
}

/// The calibration fitted on the held-out rows, how much it helped, and the held-out
/// metrics of the calibrated model.
pub(super) struct HeldOutCalibration {
    /// The calibration map.
    pub calibration: Calibration,
    /// ECE and Brier score before and after it.
    pub report: CalibrationReport,
    /// Held-out metrics after it.
    pub summary: Summary,
}

/// Fits the calibration of `linear` on the held-out rows.
pub(super) fn calibrate_held_out(
    linear: &SparseSoftmax,
    x_held: &CsrMatrix,
    held_y: &[usize],
    labels: &[String],
) -> Result<HeldOutCalibration> {
    let held_logits = all_logits(linear, x_held);
    let calibration = Calibration::fit(&held_logits, held_y)?;
    let raw = calibrated(&held_logits, &Calibration::None);
    let cal = calibrated(&held_logits, &calibration);
    let report = CalibrationReport {
        ece_before: metrics::ece(&raw, held_y, 15),
        ece_after: metrics::ece(&cal, held_y, 15),
        brier_before: metrics::brier(&raw, held_y),
        brier_after: metrics::brier(&cal, held_y),
    };
    let pred: Vec<usize> = cal.iter().map(|p| metrics::argmax(p)).collect();
    let summary = Summary::new(labels, held_y, &pred);
    Ok(HeldOutCalibration {
        calibration,
        report,
        summary,
    })
}

fn sample_weights(y: &[usize], k: usize, balanced: bool) -> Array1<f32> {
    let mut counts = vec![0usize; k];
    for &c in y {
        counts[c] += 1;
    }
    let n = y.len() as f32;
    y.iter()
        .map(|&c| {
            if balanced {
                n / (k as f32 * counts[c] as f32)
            } else {
                1.0
            }
        })
        .collect()
}

fn all_logits(m: &SparseSoftmax, x: &CsrMatrix) -> Vec<Vec<f32>> {
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
