//! Model selection: the C × class-weighting grid, each fit warm-started along the C
//! path and scored on the held-out rows.

use ndarray::Array1;
use rayon::prelude::*;

use crate::model::calibrate::Calibration;
use crate::model::linear::{CsrMatrix, SparseSoftmax};

pub(super) fn sample_weights(y: &[usize], k: usize, balanced: bool) -> Array1<f32> {
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
