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

use linfa::traits::FitWith;
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array1;

use crate::error::{Error, Result};
use crate::features::{self, FeatureParams, Featurizer};
use crate::head::{CalibrationReport, ClassWeighting, Head, ModelCard};
use crate::io::{Columns, FileRecord, Progress, Row, LABEL_COLUMN};
use crate::metrics::{self, Summary};
use crate::model::calibrate::Calibration;
use crate::model::linear::{SoftmaxParams, SparseSoftmax};
use crate::text::{TextParams, TextPipeline};
use data::{collect_targets, featurize, label_index, tokenize};
use select::{all_logits, sample_weights};

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
    /// Training files.
    pub data: Vec<String>,
    /// Validation files for model selection and calibration (none: hold out a share).
    pub valid: Vec<String>,
    /// Column mapping (the label column must be set).
    pub columns: Columns,
    /// Seed of every random choice.
    pub seed: u64,
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
    let label_col = cfg
        .columns
        .label
        .clone()
        .unwrap_or_else(|| LABEL_COLUMN.into());
    if train.rows.is_empty() {
        return Err(Error::Train(format!(
            "no training rows in {}",
            cfg.data.join(", ")
        )));
    }
    let labels: Vec<String> = train
        .rows
        .iter()
        .filter_map(|r| r.label.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if labels.len() < 2 {
        return Err(Error::Train(format!(
            "the label column '{label_col}' of {} has a single class ({}); a classifier needs at least two",
            cfg.data.join(", "),
            labels.join(", ")
        )));
    }
    let k = labels.len();
    let targets = collect_targets(&train.rows);
    let cross = cfg.features.cross_target && !targets.is_empty();
    let features = FeatureParams {
        cross_target: cross,
        ..cfg.features.clone()
    };
    let code = |r: &Row| -> Option<u64> {
        if !cross {
            return None;
        }
        let t = r.target.as_deref()?.trim();
        (!t.is_empty()).then(|| features::target_hash(t))
    };
    let y_all = label_index(
        &labels,
        &train.rows,
        train.files.first().map_or("", |f| f.path.as_str()),
        None,
    )?;
    progress.step(
        &cfg.task,
        &format!(
            "{} training rows, labels: {}",
            train.rows.len(),
            labels.join(", ")
        ),
    );

    // Held-out rows for selection and calibration.
    let (fit_rows, held_rows, held_y, valid_files): (
        Vec<Row>,
        Vec<Row>,
        Vec<usize>,
        Vec<FileRecord>,
    ) = if cfg.valid.is_empty() {
        let (fit, held) = stratified_split(&y_all, k, cfg.holdout, cfg.seed);
        (
            fit.iter().map(|&i| train.rows[i].clone()).collect(),
            held.iter().map(|&i| train.rows[i].clone()).collect(),
            held.iter().map(|&i| y_all[i]).collect(),
            Vec::new(),
        )
    } else {
        let mut rows = Vec::new();
        let mut ys = Vec::new();
        let mut files = Vec::new();
        for v in &cfg.valid {
            let vl = read_labelled(
                std::slice::from_ref(v),
                &cfg.columns,
                cfg.skip_bad_rows,
                progress,
            )?;
            ys.extend(label_index(&labels, &vl.rows, v, vl.label_column)?);
            rows.extend(vl.rows);
            files.extend(vl.files);
        }
        (train.rows.clone(), rows, ys, files)
    };
    let fit_y = label_index(&labels, &fit_rows, "", None)?;

    let text = TextPipeline::new(&cfg.text);
    let fit_tokens = tokenize(&text, &fit_rows);
    let held_tokens = tokenize(&text, &held_rows);
    let featurizer = Featurizer::fit(&features, &fit_tokens)?;
    let x_fit = featurize(
        &featurizer,
        &fit_tokens,
        &fit_rows.iter().map(code).collect::<Vec<_>>(),
    );
    let x_held = featurize(
        &featurizer,
        &held_tokens,
        &held_rows.iter().map(code).collect::<Vec<_>>(),
    );
    progress.step(
        &cfg.task,
        &format!(
            "features: {} stored values for {} rows",
            x_fit.values.len(),
            x_fit.nrows()
        ),
    );

    let weightings: Vec<bool> = match cfg.class_weight {
        ClassWeight::None => vec![false],
        ClassWeight::Balanced => vec![true],
        ClassWeight::Auto => vec![false, true],
    };
    let mut selection = Vec::new();
    let mut best: Option<(f64, f64, bool, SparseSoftmax)> = None;
    let y_fit = Array1::from(fit_y.clone());
    for &balanced in &weightings {
        let ds = DatasetBase::new(x_fit.clone(), y_fit.clone())
            .with_weights(sample_weights(&fit_y, k, balanced));
        let mut prev: Option<SparseSoftmax> = None;
        for &c in &cfg.c_grid {
            let params = SoftmaxParams::new(k)
                .c(c)
                .max_iterations(cfg.max_iterations)
                .check()?;
            let m = params.fit_with(prev.as_ref(), &ds)?;
            let logits = all_logits(&m, &x_held);
            let pred: Vec<usize> = logits.iter().map(|z| metrics::argmax(z)).collect();
            let score = Summary::new(&labels, &held_y, &pred).primary();
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
    let (_, c, balanced, mut linear) = best.expect("the C grid is not empty");
    // Calibrate on the held-out rows with the selected model.
    let held_logits = all_logits(&linear, &x_held);
    let calibration = Calibration::fit(&held_logits, &held_y)?;
    let raw = calibrated(&held_logits, &Calibration::None);
    let cal = calibrated(&held_logits, &calibration);
    let report = CalibrationReport {
        ece_before: metrics::ece(&raw, &held_y, 15),
        ece_after: metrics::ece(&cal, &held_y, 15),
        brier_before: metrics::brier(&raw, &held_y),
        brier_after: metrics::brier(&cal, &held_y),
    };
    let pred: Vec<usize> = cal.iter().map(|p| metrics::argmax(p)).collect();
    let summary = Summary::new(&labels, &held_y, &pred);
    let mut featurizer = featurizer;
    if cfg.valid.is_empty() {
        // Refit on every training row with the chosen settings.
        let all_tokens = tokenize(&text, &train.rows);
        featurizer = Featurizer::fit(&features, &all_tokens)?;
        let x = featurize(
            &featurizer,
            &all_tokens,
            &train.rows.iter().map(code).collect::<Vec<_>>(),
        );
        let ds = DatasetBase::new(x, Array1::from(y_all.clone()))
            .with_weights(sample_weights(&y_all, k, balanced));
        linear = SoftmaxParams::new(k)
            .c(c)
            .max_iterations(cfg.max_iterations)
            .check()?
            .fit_with(None, &ds)?;
    }
    let mut label_counts = BTreeMap::new();
    for &yv in &y_all {
        *label_counts.entry(labels[yv].clone()).or_insert(0) += 1;
    }
    let mut columns = BTreeMap::new();
    columns.insert("text".to_string(), cfg.columns.text.clone());
    columns.insert("label".to_string(), label_col);
    columns.insert("target".to_string(), cfg.columns.target.clone());
    let card = ModelCard {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: cfg.seed,
        data: train.files.clone(),
        valid: valid_files,
        columns,
        c,
        class_weight: ClassWeighting::from_balanced(balanced),
        selection,
        selection_metric: if metrics::stance_pair(&labels).is_some() {
            "f_avg"
        } else {
            "macro_f1"
        }
        .into(),
        label_counts,
        validation: Some(serde_json::to_value(&summary).expect("summary serializes")),
        calibration: Some(report),
        converged: linear.converged,
        iterations: linear.iterations,
        max_iterations: Some(cfg.max_iterations),
        lineage,
    };
    progress.step(
        &cfg.task,
        &format!(
            "chosen C={c}, class_weight={}; held-out {} = {:.4}",
            card.class_weight,
            card.selection_metric,
            summary.primary()
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
        calibration,
        card,
    ))
}
