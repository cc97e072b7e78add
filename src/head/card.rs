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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Targets adapted on top of the parent's frozen weights (`stance-train --base`
    /// with only new targets): how each one's crossed weights were fitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frozen_fits: Vec<FrozenFit>,
}

/// One new target's crossed weights, fitted on its added labels with every weight of
/// the parent model frozen (`crate::train::adapt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrozenFit {
    /// The target, as first spelled in the added files.
    pub target: String,
    /// Labelled rows of the target.
    pub rows: usize,
    /// The chosen inverse L2 strength; 0 when no C beat the generic answer (the
    /// target then stays generic and gets no weights).
    pub c: f64,
    /// Cross-validated log loss at each C of the grid, in grid order.
    pub cv_log_loss: Vec<(f64, f64)>,
    /// The log loss of the parent's own (generic) answer on the same rows.
    pub parent_log_loss: f64,
    /// Weight rows added (crossed buckets no weight of the parent uses).
    pub columns: usize,
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
    /// How the setting was chosen: cross-validation mean ± spread and the whole search
    /// (absent in older files, which were selected on the validation split).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_report: Option<SelectionReport>,
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

/// How `stance-train` chooses C, the class weighting and the shared-copy weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// Seeded k-fold cross-validation on the training rows, stratified by label and
    /// target; the calibration is fitted on the chosen setting's out-of-fold logits.
    #[default]
    Cv,
    /// The validation rows (`--valid`, else a seeded share of the training rows), which
    /// also fit the calibration.
    Valid,
}

impl Selection {
    /// The name the card and the flags use.
    pub fn name(self) -> &'static str {
        match self {
            Selection::Cv => "cv",
            Selection::Valid => "valid",
        }
    }
}

/// One scored setting of a model selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredSetting {
    /// C.
    pub c: f64,
    /// Class weighting.
    pub class_weight: ClassWeighting,
    /// Weight of the shared feature copy (none when targets are not crossed).
    pub shared_weight: Option<f32>,
    /// Mean of the selection metric over the splits.
    pub mean: f64,
    /// Its sample standard deviation over the splits (0 for one split).
    pub spread: f64,
    /// The metric on each split (fold).
    pub splits: Vec<f64>,
    /// Epochs of the slowest fit.
    pub epochs: u64,
}

/// How a model's setting was chosen (the card's `selection_report`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionReport {
    /// Cross-validation or the validation split.
    pub select: Selection,
    /// Number of splits (folds; 1 for the validation split).
    pub folds: usize,
    /// What the folds are stratified by (empty for the validation split).
    pub stratified_by: String,
    /// Whether the validation rows were pooled into the folds.
    pub include_valid: bool,
    /// The C values asked for, ascending.
    pub c_grid: Vec<f64>,
    /// The class weightings asked for.
    pub class_weights: Vec<ClassWeighting>,
    /// The shared-copy weights asked for (none when targets are not crossed).
    pub shared_weights: Vec<f32>,
    /// A path over C stops after this many values in a row without a better score
    /// (none: the whole grid).
    pub patience: Option<usize>,
    /// How many times the grid may be extended by a factor of 2 beyond each end.
    pub extend: usize,
    /// Stopping tolerance of the selection fits (the dual sub-problem violation).
    pub tolerance: f64,
    /// The chosen setting with its scores.
    pub chosen: ScoredSetting,
    /// Rows the calibration map was fitted on: "out-of-fold" or "validation".
    pub calibration_fitted_on: String,
    /// Rows the card's validation and calibration numbers are measured on
    /// ("validation", or "out-of-fold" when there are no validation rows outside the
    /// folds).
    pub measured_on: String,
    /// Every scored setting, by shared weight, class weighting, then C.
    pub trace: Vec<ScoredSetting>,
}

impl SelectionReport {
    /// One line: how the setting was chosen and its score, mean ± spread over the splits.
    pub fn summary(&self, metric: &str) -> String {
        let c = &self.chosen;
        let how = match self.select {
            Selection::Cv => format!(
                "{}-fold cross-validation (stratified by {}{})",
                self.folds,
                self.stratified_by,
                if self.include_valid {
                    "; validation rows pooled"
                } else {
                    ""
                }
            ),
            Selection::Valid => "the validation split".into(),
        };
        let sw = c
            .shared_weight
            .map_or(String::new(), |sw| format!(" shared_weight={sw}"));
        format!(
            "{how}: {metric} {:.4} ± {:.4} at C={} class_weight={}{sw} ({} settings scored)",
            c.mean,
            c.spread,
            c.c,
            c.class_weight,
            self.trace.len()
        )
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
