//! Stacking: a small dense softmax model whose inputs are other heads' outputs.
//!
//! Owns [`Stacker`]: named real-valued inputs (log-probabilities of one head, the
//! relation head's verdict, ...) → calibrated-by-construction probabilities over a
//! head's labels. It is fitted by the project's own softmax regression (`linear`, on a
//! dense matrix stored as CSR; every `exp`/`ln` on that path is `libm`, so the fit is the
//! same bits on every CPU) and stored inside the model file of the head that uses it.
//! The rows it is fitted on must carry out-of-fold (cross-fitted) predictions of the
//! heads that feed it, or it learns to trust their in-sample confidence.

use linfa::traits::Fit;
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::FileRecord;
use crate::model::linear::{softmax, CsrMatrix, SoftmaxParams};

/// How a stacker was fitted (kept in the model file to reproduce it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackCard {
    /// Model files whose outputs feed the stacker, with their SHA-256.
    pub models: Vec<FileRecord>,
    /// Files of labelled rows it was fitted on.
    pub data: Vec<FileRecord>,
    /// Cross-fitting folds used for the feeding head trained on overlapping rows.
    pub folds: usize,
    /// Inverse L2 strength.
    pub c: f64,
    /// Rows fitted on.
    pub rows: usize,
    /// Accuracy of the stacker on the rows it was fitted on (in-sample for the stacker,
    /// out-of-fold for the cross-fitted head that feeds it).
    pub fit_accuracy: f64,
    /// Accuracy of the feeding head alone on the same rows.
    pub base_accuracy: f64,
}

/// A fitted dense softmax over named inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stacker {
    /// Input names, in feature order.
    pub inputs: Vec<String>,
    /// Output labels, in probability order.
    pub labels: Vec<String>,
    /// `inputs × labels`, row-major (label dimension contiguous).
    pub weights: Vec<f32>,
    /// One intercept per label.
    pub bias: Vec<f32>,
    /// How it was fitted.
    pub card: StackCard,
}

impl Stacker {
    /// Fits on rows `x` (each `inputs.len()` long) with gold label indices `y`.
    pub fn fit(
        inputs: Vec<String>,
        labels: Vec<String>,
        x: &[Vec<f32>],
        y: &[usize],
        c: f64,
        card: StackCard,
    ) -> Result<Stacker> {
        let d = inputs.len();
        let mut m = CsrMatrix::new(d);
        let idx: Vec<u32> = (0..d as u32).collect();
        for row in x {
            if row.len() != d {
                return Err(Error::Train(format!(
                    "stacking row has {} inputs, expected {d}",
                    row.len()
                )));
            }
            m.push_row(&idx, row);
        }
        let fit = SoftmaxParams::new(labels.len())
            .c(c)
            .max_iterations(1000)
            .check()?
            .fit(&DatasetBase::new(m, Array1::from(y.to_vec())))?;
        Ok(Stacker {
            inputs,
            labels,
            weights: fit.weights.to_dense(),
            bias: fit.bias,
            card,
        })
    }

    /// Probabilities of every label for one row of inputs.
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let k = self.labels.len();
        let mut z = self.bias.clone();
        for (j, &v) in x.iter().enumerate().take(self.inputs.len()) {
            for (o, &w) in z.iter_mut().zip(&self.weights[j * k..j * k + k]) {
                *o += v * w;
            }
        }
        softmax(&mut z);
        z
    }

    /// Checks the shapes (a damaged or hand-edited model file).
    pub fn check(&self) -> Result<()> {
        let (d, k) = (self.inputs.len(), self.labels.len());
        if k < 2 || self.weights.len() != d * k || self.bias.len() != k {
            return Err(Error::Params(format!(
                "stacker shape mismatch: {d} inputs, {k} labels, {} weights, {} biases",
                self.weights.len(),
                self.bias.len()
            )));
        }
        if self
            .weights
            .iter()
            .chain(&self.bias)
            .any(|v| !v.is_finite())
        {
            return Err(Error::Params("stacker has non-finite weights".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> StackCard {
        StackCard {
            models: Vec::new(),
            data: Vec::new(),
            folds: 0,
            c: 1.0,
            rows: 0,
            fit_accuracy: 0.0,
            base_accuracy: 0.0,
        }
    }

    #[test]
    fn learns_which_input_to_trust() {
        // Label = sign of input 0; input 1 is noise.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..200 {
            let a = (i % 7) as f32 - 3.0 + 0.5;
            let b = ((i * 13) % 11) as f32 - 5.0;
            x.push(vec![a, b]);
            y.push(usize::from(a > 0.0));
        }
        let s = Stacker::fit(
            vec!["a".into(), "b".into()],
            vec!["neg".into(), "pos".into()],
            &x,
            &y,
            10.0,
            card(),
        )
        .unwrap();
        s.check().unwrap();
        let acc = x
            .iter()
            .zip(&y)
            .filter(|(r, &g)| crate::metrics::argmax(&s.predict(r)) == g)
            .count();
        assert_eq!(acc, 200);
        assert!(
            s.weights[2..4].iter().all(|w| w.abs() < 0.5),
            "noise input gets little weight"
        );
        let p = s.predict(&[2.5, 0.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_shapes() {
        let mut s = Stacker::fit(
            vec!["a".into()],
            vec!["x".into(), "y".into()],
            &[vec![1.0], vec![-1.0]],
            &[1, 0],
            1.0,
            card(),
        )
        .unwrap();
        s.weights.pop();
        assert!(s.check().is_err());
        assert!(Stacker::fit(
            vec!["a".into()],
            vec!["x".into(), "y".into()],
            &[vec![1.0, 2.0]],
            &[0],
            1.0,
            card()
        )
        .is_err());
    }
}
