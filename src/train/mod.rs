//! Training orchestration: labelled files in, a calibrated [`Head`] out.
//!
//! Owns reading and checking the labelled data, the seeded split when no validation
//! file is given, model selection (C and class weighting, warm-started along the C
//! path, chosen by validation F_avg for stance-like labels and macro-F1 otherwise),
//! calibration on the held-out rows, and the model card. Every step is deterministic
//! for a given seed, so the same data gives the same model file byte for byte.
//!
//! Files: `data` (labelled files, labels, the held-out split, the feature matrix),
//! `select` (the C × class-weighting grid), [`retrain`] (a model retrained on its
//! recorded data plus new labels) with `merge` (merging those labels in),
//! [`thread_stacker`] (fitting a reply-relation head's thread combination). Imports
//! from the crate: every stage below it (`error`, `metrics`, `io`, `text`, `features`,
//! `model`, `head`, `thread` for the combination's inputs).

mod data;
mod merge;
pub mod retrain;
mod select;
pub mod thread_stacker;

use std::collections::BTreeMap;

use crate::error::Result;
use crate::features::FeatureParams;
use crate::head::{ClassWeighting, Head, ModelCard};
use crate::io::{Columns, FileRecord, Progress, LABEL_COLUMN};
use crate::metrics;
use crate::model::linear::SparseSoftmax;
use crate::text::{TextParams, TextPipeline};
use data::{collect_targets, held_out, label_index, label_set, RowFeatures};
use select::{calibrate_held_out, fit_chosen, select_model, Chosen, HeldOutCalibration};

pub use data::{read_labelled, stratified_split, Labelled};
pub use select::calibrated;

/// How training rows are weighted by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ClassWeight {
    /// Every row weighs 1.
    None,
    /// Rows weigh n / (k · n_class), as scikit-learn's "balanced".
    Balanced,
    /// Try both and keep the better on validation.
    Auto,
}

impl From<ClassWeighting> for ClassWeight {
    fn from(w: ClassWeighting) -> Self {
        match w {
            ClassWeighting::None => ClassWeight::None,
            ClassWeighting::Balanced => ClassWeight::Balanced,
        }
    }
}

/// Everything `stance-train` can be asked to do.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Task (head) name.
    pub task: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// Training files.
    pub data: Vec<String>,
    /// Validation files for model selection and calibration (none: hold out a share).
    pub valid: Vec<String>,
    /// Column mapping (the label column must be set).
    pub columns: Columns,
    /// Text-stage settings.
    pub text: TextParams,
    /// Feature-stage settings.
    pub features: FeatureParams,
    /// Values of C to try (ascending).
    pub c_grid: Vec<f64>,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Iteration cap of each fit.
    pub max_iterations: u64,
    /// Share of training rows held out when no validation file is given.
    pub holdout: f64,
    /// Skip malformed rows (reported to the caller's [`Progress`]) instead of failing.
    pub skip_bad_rows: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            task: "stance".into(),
            data: Vec::new(),
            valid: Vec::new(),
            columns: Columns {
                label: Some(LABEL_COLUMN.into()),
                ..Columns::default()
            },
            seed: 42,
            text: TextParams::default(),
            features: FeatureParams::default(),
            c_grid: vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
            class_weight: ClassWeight::Auto,
            max_iterations: 500,
            holdout: 0.15,
            skip_bad_rows: false,
        }
    }
}

/// Trains a model as configured.
pub fn train(cfg: &TrainConfig, progress: &dyn Progress) -> Result<Head> {
    let data = read_labelled(&cfg.data, &cfg.columns, cfg.skip_bad_rows, progress)?;
    train_on(cfg, data, None, progress)
}

/// Trains on already-read rows (`cfg.data` only names them in the card).
pub fn train_on(
    cfg: &TrainConfig,
    train: Labelled,
    lineage: Option<crate::head::Lineage>,
    progress: &dyn Progress,
) -> Result<Head> {
    cfg.features.check()?;
    let labels = label_set(cfg, &train.rows)?;
    let targets = collect_targets(&train.rows);
    let cross = cfg.features.cross_target && !targets.is_empty();
    let rows_to_features = RowFeatures {
        text: TextPipeline::new(&cfg.text),
        params: FeatureParams {
            cross_target: cross,
            ..cfg.features.clone()
        },
    };
    let first_file = train.files.first().map_or("", |f| f.path.as_str());
    let y_all = label_index(&labels, &train.rows, first_file, None)?;
    progress.step(
        &cfg.task,
        &format!(
            "{} training rows, labels: {}",
            train.rows.len(),
            labels.join(", ")
        ),
    );
    let held = held_out(cfg, &train, &y_all, &labels, progress)?;
    let (featurizer, x_fit) = rows_to_features.fit(&held.fit_rows)?;
    let x_held = rows_to_features.matrix(&featurizer, &held.rows);
    progress.step(
        &cfg.task,
        &format!(
            "features: {} stored values for {} rows",
            x_fit.values.len(),
            x_fit.nrows()
        ),
    );
    let fit = (&x_fit, held.fit_y.as_slice());
    let (chosen, linear) = select_model(cfg, &labels, fit, (&x_held, &held.y), progress)?;
    let calibrated = calibrate_held_out(&linear, &x_held, &held.y, &labels)?;
    let (featurizer, linear) = if cfg.valid.is_empty() {
        // Refit on every training row with the chosen settings.
        let (featurizer, x) = rows_to_features.fit(&train.rows)?;
        let linear = fit_chosen(cfg, &chosen, x, &y_all, labels.len())?;
        (featurizer, linear)
    } else {
        (featurizer, linear)
    };
    let card = model_card(
        cfg,
        &train,
        held.files,
        (&labels, &y_all),
        &chosen,
        &calibrated,
        &linear,
        lineage,
    );
    progress.step(
        &cfg.task,
        &format!(
            "chosen C={}, class_weight={}; held-out {} = {:.4}",
            chosen.c,
            card.class_weight,
            card.selection_metric,
            calibrated.summary.primary()
        ),
    );
    let targets = if cross { targets } else { Vec::new() };
    Ok(Head::new(
        cfg.task.clone(),
        labels,
        targets,
        cfg.text.clone(),
        featurizer,
        linear,
        calibrated.calibration,
        card,
    ))
}

/// The model card of a head trained by `cfg` on `train` (labels and their indices in
/// `labels`), with the selection, calibration and final fit it ended with.
#[allow(clippy::too_many_arguments)]
fn model_card(
    cfg: &TrainConfig,
    train: &Labelled,
    valid: Vec<FileRecord>,
    (labels, y_all): (&[String], &[usize]),
    chosen: &Chosen,
    calibrated: &HeldOutCalibration,
    linear: &SparseSoftmax,
    lineage: Option<crate::head::Lineage>,
) -> ModelCard {
    let mut label_counts = BTreeMap::new();
    for &yv in y_all {
        *label_counts.entry(labels[yv].clone()).or_insert(0) += 1;
    }
    let label_col = cfg
        .columns
        .label
        .clone()
        .unwrap_or_else(|| LABEL_COLUMN.into());
    let mut columns = BTreeMap::new();
    columns.insert("text".to_string(), cfg.columns.text.clone());
    columns.insert("label".to_string(), label_col);
    columns.insert("target".to_string(), cfg.columns.target.clone());
    ModelCard {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: cfg.seed,
        data: train.files.clone(),
        valid,
        columns,
        c: chosen.c,
        class_weight: ClassWeighting::from_balanced(chosen.balanced),
        selection: chosen.trace.clone(),
        selection_metric: if metrics::stance_pair(labels).is_some() {
            "f_avg"
        } else {
            "macro_f1"
        }
        .into(),
        label_counts,
        validation: Some(serde_json::to_value(&calibrated.summary).expect("summary serializes")),
        calibration: Some(calibrated.report.clone()),
        converged: linear.converged,
        iterations: linear.iterations,
        max_iterations: Some(cfg.max_iterations),
        lineage,
    }
}
