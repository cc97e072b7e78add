//! The model card: everything needed to say what a head is and to reproduce it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::io::FileRecord;

/// Calibration quality on the rows it was fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// ECE (15 bins) of the raw softmax.
    pub ece_before: f64,
    /// ECE after calibration.
    pub ece_after: f64,
    /// Brier score of the raw softmax.
    pub brier_before: f64,
    /// Brier score after calibration.
    pub brier_after: f64,
}

/// Where a model came from (for retraining on new labels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// SHA-256 of the parent model file.
    pub parent_sha256: String,
    /// Files added on top of the parent's data.
    pub added: Vec<FileRecord>,
    /// Added rows dropped as exact duplicates (same text, target and label).
    #[serde(default)]
    pub duplicates: usize,
    /// Texts (with target) whose labels conflicted, resolved by the files' merge rule.
    #[serde(default)]
    pub conflicts: usize,
    /// Targets that first got labels in a retraining (here or in an ancestor): their
    /// stance comes from a few added labels, reported as basis `adapted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adapted_targets: Vec<String>,
}

/// Everything needed to say what a model is and to reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// comment-stance version that trained it.
    pub tool_version: String,
    /// Seed of every random choice in training.
    pub seed: u64,
    /// Training files.
    pub data: Vec<FileRecord>,
    /// Validation files (empty: a seeded share of the training rows was held out).
    pub valid: Vec<FileRecord>,
    /// Column names used in training.
    pub columns: BTreeMap<String, String>,
    /// Chosen inverse regularisation strength.
    pub c: f64,
    /// Class weighting of the chosen fit.
    pub class_weight: ClassWeighting,
    /// Model-selection trace: (C, class weighting, validation score).
    pub selection: Vec<(f64, ClassWeighting, f64)>,
    /// Name of the selection metric.
    pub selection_metric: String,
    /// Training rows per label.
    pub label_counts: BTreeMap<String, usize>,
    /// Validation metrics of the chosen model (the `stance-eval --json` summary).
    pub validation: Option<serde_json::Value>,
    /// Calibration quality.
    pub calibration: Option<CalibrationReport>,
    /// Whether the solver met its tolerance, and its iterations.
    pub converged: bool,
    /// L-BFGS iterations of the final fit.
    pub iterations: u64,
    /// Iteration cap of each fit (absent in older files; see [`ModelCard::iteration_cap`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u64>,
    /// Parent model and added data, for retrained models.
    pub lineage: Option<Lineage>,
}

/// The iteration cap of model files that do not record theirs (older files).
const ITERATION_CAP_BEFORE_RECORDED: u64 = 500;

impl ModelCard {
    /// The iteration cap each fit ran with.
    pub fn iteration_cap(&self) -> u64 {
        self.max_iterations.unwrap_or(ITERATION_CAP_BEFORE_RECORDED)
    }
}

/// How a fit weighted its training rows by class (written `none` / `balanced` in the card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeighting {
    /// Every row weighs 1.
    None,
    /// Rows weigh n / (k · n_class), as scikit-learn's "balanced".
    Balanced,
}

impl ClassWeighting {
    /// `Balanced` when `balanced`, else `None`.
    pub fn from_balanced(balanced: bool) -> Self {
        if balanced {
            ClassWeighting::Balanced
        } else {
            ClassWeighting::None
        }
    }

    /// The name the card and the progress messages use.
    pub fn name(self) -> &'static str {
        match self {
            ClassWeighting::None => "none",
            ClassWeighting::Balanced => "balanced",
        }
    }
}

impl std::fmt::Display for ClassWeighting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
