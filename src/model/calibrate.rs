//! Calibration, so that a probability of 0.8 is right about 80% of the time.
//!
//! Owns the map from raw logits to reported probabilities, fitted on held-out rows
//! (the validation split). Binary heads get Platt scaling of the logit margin, fitted
//! by the project's own softmax regression (`linear`) on a one-column matrix; multi-class
//! heads get temperature scaling, one parameter found with argmin's Brent minimiser on
//! the negative log-likelihood. Every `exp`/`ln` here is the pure-Rust `libm` one, so the
//! fitted map is the same bits on every CPU (glibc picks FMA or SSE2 code at run time).

use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentOpt;
use linfa::traits::Fit;
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::linear::{softmax, CsrMatrix, SoftmaxParams};

/// A fitted calibration map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Calibration {
    /// Plain softmax of the logits.
    None,
    /// softmax(z / t).
    Temperature {
        /// Temperature (> 0).
        t: f32,
    },
    /// Binary: p(label 1) = sigmoid(a · (z1 − z0) + b).
    Platt {
        /// Slope.
        a: f32,
        /// Intercept.
        b: f32,
    },
}

impl Calibration {
    /// Turns logits into calibrated probabilities, in place.
    pub fn apply(&self, z: &mut [f32]) {
        match *self {
            Calibration::None => softmax(z),
            Calibration::Temperature { t } => {
                for v in z.iter_mut() {
                    *v /= t;
                }
                softmax(z)
            }
            Calibration::Platt { a, b } => {
                let m = z[1] - z[0];
                let p1 = 1.0 / (1.0 + libm::expf(-(a * m + b)));
                z[0] = 1.0 - p1;
                z[1] = p1;
            }
        }
    }

    /// Fits the calibration map for `logits` of held-out rows with gold labels.
    /// Binary heads with both classes present get Platt scaling; others temperature.
    pub fn fit(logits: &[Vec<f32>], gold: &[usize]) -> Result<Calibration> {
        if logits.is_empty() {
            return Ok(Calibration::None);
        }
        let k = logits[0].len();
        let both = gold.contains(&0) && gold.contains(&1);
        if k == 2 && both {
            fit_platt(logits, gold)
        } else {
            fit_temperature(logits, gold)
        }
    }
}

fn fit_platt(logits: &[Vec<f32>], gold: &[usize]) -> Result<Calibration> {
    // Platt scaling is a two-class logistic regression on one feature, the margin
    // z1 - z0: the softmax over (w0 m + b0, w1 m + b1) is sigmoid((w1-w0) m + (b1-b0)).
    let mut x = CsrMatrix::new(1);
    for z in logits {
        x.push_row(&[0], &[z[1] - z[0]]);
    }
    let y = Array1::from_iter(gold.iter().copied());
    let m = SoftmaxParams::new(2)
        .c(1e4)
        .check()?
        .fit(&DatasetBase::new(x, y))?;
    Ok(Calibration::Platt {
        a: m.weights.row(0)[1] - m.weights.row(0)[0],
        b: m.bias[1] - m.bias[0],
    })
}

struct TemperatureNll<'a> {
    logits: &'a [Vec<f32>],
    gold: &'a [usize],
}

impl CostFunction for TemperatureNll<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, log_t: &f64) -> std::result::Result<f64, argmin::core::Error> {
        Ok(nll(
            self.logits,
            self.gold,
            &Calibration::Temperature {
                t: libm::exp(*log_t) as f32,
            },
        ))
    }
}

fn fit_temperature(logits: &[Vec<f32>], gold: &[usize]) -> Result<Calibration> {
    let res = Executor::new(TemperatureNll { logits, gold }, BrentOpt::new(-4.0, 4.0))
        .configure(|s| s.param(0.0).max_iters(100))
        .run()
        .map_err(|e| Error::Train(format!("temperature scaling: {e}")))?;
    let log_t = res.state().best_param.unwrap_or(0.0);
    Ok(Calibration::Temperature {
        t: libm::exp(log_t) as f32,
    })
}

/// Mean negative log-likelihood of gold labels under a calibration.
pub fn nll(logits: &[Vec<f32>], gold: &[usize], cal: &Calibration) -> f64 {
    let mut buf = Vec::new();
    let total: f64 = logits
        .iter()
        .zip(gold)
        .map(|(z, &g)| {
            buf.clear();
            buf.extend_from_slice(z);
            cal.apply(&mut buf);
            -libm::log(buf[g].max(1e-12) as f64)
        })
        .sum();
    total / logits.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over-confident logits: the model says 0.99 but is right 75% of the time.
    fn overconfident(k: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut logits = Vec::new();
        let mut gold = Vec::new();
        for i in 0..400 {
            let pred = i % k;
            let mut z = vec![0.0; k];
            z[pred] = 6.0;
            logits.push(z);
            gold.push(if (i / k).is_multiple_of(4) {
                (pred + 1) % k
            } else {
                pred
            });
        }
        (logits, gold)
    }

    #[test]
    fn temperature_fixes_overconfidence() {
        let (z, g) = overconfident(3);
        let cal = Calibration::fit(&z, &g).unwrap();
        assert!(
            matches!(cal, Calibration::Temperature { t } if t > 1.5),
            "{cal:?}"
        );
        assert!(nll(&z, &g, &cal) < nll(&z, &g, &Calibration::None));
        let mut p = z[0].clone();
        cal.apply(&mut p);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!((p[0] - 0.75).abs() < 0.05, "calibrated top prob {}", p[0]);
    }

    #[test]
    fn platt_does_not_depend_on_row_order() {
        // Same data, rows reversed: the map must not change (beyond solver tolerance).
        let (z, g) = overconfident(2);
        let a = Calibration::fit(&z, &g).unwrap();
        let (zr, gr): (Vec<_>, Vec<_>) = z.into_iter().zip(g).rev().unzip();
        let b = Calibration::fit(&zr, &gr).unwrap();
        let (Calibration::Platt { a: a1, b: b1 }, Calibration::Platt { a: a2, b: b2 }) = (a, b)
        else {
            panic!("binary heads get Platt scaling")
        };
        assert!(
            a1 > 0.0 && a2 > 0.0,
            "slope toward label 1 is positive: {a1} {a2}"
        );
        assert!((a1 - a2).abs() < 1e-3 && (b1 - b2).abs() < 1e-3);
    }

    #[test]
    fn platt_fixes_binary_overconfidence() {
        let (z, g) = overconfident(2);
        let cal = Calibration::fit(&z, &g).unwrap();
        assert!(matches!(cal, Calibration::Platt { .. }), "{cal:?}");
        let mut p = z[1].clone(); // predicted class 1
        cal.apply(&mut p);
        assert!((p[1] - 0.75).abs() < 0.05, "calibrated p(1) {}", p[1]);
        assert!(nll(&z, &g, &cal) < nll(&z, &g, &Calibration::None));
    }
}
