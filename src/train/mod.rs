//! Training orchestration: labelled files in, a calibrated [`Head`] out.
//!
//! Owns reading and checking the labelled data, model selection (C, class weighting
//! and, for heads crossed with targets, the shared-copy weight; by seeded k-fold
//! cross-validation stratified by label and target, or on the validation rows; F_avg
//! for stance-like labels, macro-F1 otherwise), the final fit (dual coordinate
//! descent), the calibration (on out-of-fold logits, or the validation rows), and the
//! model card. Every step is deterministic for a given seed whatever the number of
//! threads, so the same data gives the same model file byte for byte.
//!
//! Files: `data` (labelled files, labels, the rows selection works on, the feature
//! matrix), `select` (folds, the search over settings, the calibration), [`retrain`] (a model retrained on its
//! recorded data plus new labels) with `merge` (merging those labels in),
//! [`thread_stacker`] (fitting a reply-relation head's thread combination). Imports
//! from the crate: every stage below it (`error`, `metrics`, `io`, `text`, `features`,
//! `model`, `head`, `thread` for the combination's inputs).

pub mod adapt;
mod data;
mod merge;
pub mod retrain;
mod select;
pub mod thread_stacker;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::features::{FeatureParams, Featurizer};
use crate::head::{ClassWeighting, Head, ModelCard, ScoredSetting, Selection, SelectionReport};
use crate::io::{Columns, FileRecord, Progress, LABEL_COLUMN};
use crate::metrics;
use crate::model::dual_cd::{Design, Settings, Start};
use crate::model::linear::{CsrMatrix, SparseSoftmax};
use crate::text::{TextParams, TextPipeline};
use data::{
    collect_targets, label_index, label_set, selection_rows, strata, RowFeatures, SelectionRows,
};
use select::{FittedCalibration, Held, Outcome, Search, Split};

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
    /// Try both and keep the better by the selection score.
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

/// The shared-copy weights cross-validation chooses from by default (0.5 suited the
/// ceasefire mix, 1 TweetEval's stance set).
pub const DEFAULT_SHARED_WEIGHTS: [f32; 2] = [0.5, 1.0];

/// Folds of cross-validated selection by default.
pub const DEFAULT_FOLDS: usize = 5;

/// Everything `stance-train` can be asked to do.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Task (head) name.
    pub task: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// Training files.
    pub data: Vec<String>,
    /// Validation files: measured on (the card's validation numbers); under
    /// `Selection::Valid` also selected and calibrated on (none: hold out a share).
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
    /// Shared-copy weights to choose from when targets are crossed (empty: just
    /// `features.shared_weight`).
    pub shared_weights: Vec<f32>,
    /// How C, the class weighting and the shared-copy weight are chosen.
    pub select: Selection,
    /// Folds of `Selection::Cv`.
    pub folds: usize,
    /// `Selection::Cv`: pool the validation rows into the folds (and the final fit).
    pub cv_include_valid: bool,
    /// Epoch cap of each fit (dual coordinate descent).
    pub max_iterations: u64,
    /// Share of training rows held out by `Selection::Valid` when no validation file
    /// is given.
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
            shared_weights: DEFAULT_SHARED_WEIGHTS.to_vec(),
            select: Selection::Cv,
            folds: DEFAULT_FOLDS,
            cv_include_valid: false,
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
    let prep = Prepared::new(cfg, &train, progress)?;
    let grid = Grid::new(cfg, &prep)?;
    let search = grid.search(&prep);
    let outcome = search.run(|m| progress.step(&cfg.task, &m));
    let chosen = outcome.trace[outcome.best].clone();
    let chosen_sw = chosen.shared_weight.unwrap_or(prep.features.shared_weight);
    let chosen_features = FeatureParams {
        shared_weight: chosen_sw,
        ..prep.features.clone()
    };
    let (featurizer, linear) = final_fit(
        cfg,
        &train,
        &prep,
        &chosen,
        (chosen_sw, chosen_features),
        grid.settings,
    )?;
    let (calibrated, fitted_on, measured_on) =
        calibrate_final(&prep, &grid, &outcome, &linear, chosen_sw)?;
    let report = selection_report(cfg, &prep, &search, &outcome, (fitted_on, measured_on));
    let card = model_card(
        cfg,
        &train,
        prep.sel.files,
        (&prep.labels, &prep.sel.pool_y),
        &report,
        &calibrated,
        &linear,
        lineage,
    );
    progress.step(
        &cfg.task,
        &format!(
            "chosen by {}; {measured_on} {} = {:.4} (calibrated)",
            report.summary(&card.selection_metric),
            card.selection_metric,
            calibrated.summary.primary()
        ),
    );
    let targets = if prep.cross { prep.targets } else { Vec::new() };
    Ok(Head::new(
        cfg.task.clone(),
        prep.labels,
        targets,
        cfg.text.clone(),
        featurizer,
        linear,
        calibrated.calibration,
        card,
    ))
}

/// The labels, the rows selection works on, and their features: the pool featurized
/// once and a [`Design`] per candidate shared-copy weight.
struct Prepared {
    labels: Vec<String>,
    /// Label indices of every training row.
    y_all: Vec<usize>,
    sel: SelectionRows,
    targets: Vec<String>,
    /// Whether rows are crossed with their targets.
    cross: bool,
    features: FeatureParams,
    /// The candidate shared-copy weights.
    shared_weights: Vec<f32>,
    /// Featurizer fitted on the pool with shared weight 1.
    unit_featurizer: Featurizer,
    /// The held-out rows' features (shared weight 1) and which entries are crossed.
    x_held: CsrMatrix,
    held_crossed: Option<Vec<bool>>,
    designs: Vec<(f32, Design)>,
}

impl Prepared {
    fn new(cfg: &TrainConfig, train: &Labelled, progress: &dyn Progress) -> Result<Self> {
        cfg.features.check()?;
        let labels = label_set(cfg, &train.rows)?;
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
        let sel = selection_rows(cfg, train, &y_all, &labels, progress)?;
        let targets = collect_targets(&sel.pool);
        let cross = cfg.features.cross_target && !targets.is_empty();
        let features = FeatureParams {
            cross_target: cross,
            ..cfg.features.clone()
        };
        let shared_weights: Vec<f32> = if cross && !cfg.shared_weights.is_empty() {
            cfg.shared_weights.clone()
        } else {
            vec![features.shared_weight]
        };
        for &sw in &shared_weights {
            FeatureParams {
                shared_weight: sw,
                ..features.clone()
            }
            .check()?;
        }
        // Featurized once with shared weight 1; each candidate weight rescales the shared
        // copies (`select::scale_shared`: the same bits as featurizing with it).
        let unit = RowFeatures {
            text: TextPipeline::new(&cfg.text),
            params: FeatureParams {
                shared_weight: 1.0,
                ..features.clone()
            },
        };
        let (unit_featurizer, x_pool) = unit.fit(&sel.pool)?;
        let x_held = unit.matrix(&unit_featurizer, &sel.held);
        let pool_crossed = unit.crossed(&sel.pool);
        let held_crossed = unit.crossed(&sel.held);
        progress.step(
            &cfg.task,
            &format!(
                "features: {} stored values for {} rows",
                x_pool.values.len(),
                x_pool.nrows()
            ),
        );
        let designs: Vec<(f32, Design)> = shared_weights
            .par_iter()
            .map(|&sw| {
                let x = select::rescaled(&x_pool, pool_crossed.as_deref(), sw);
                (sw, Design::new(&x))
            })
            .collect();
        drop(x_pool);
        Ok(Prepared {
            labels,
            y_all,
            sel,
            targets,
            cross,
            features,
            shared_weights,
            unit_featurizer,
            x_held,
            held_crossed,
            designs,
        })
    }
}

/// What model selection searches over: class weightings, the C grid (sorted, without
/// repeats), and the splits (cross-validation folds, or the one validation split).
struct Grid {
    cv: bool,
    weightings: Vec<bool>,
    c_grid: Vec<f64>,
    splits: Vec<Split>,
    /// The final fit's settings.
    settings: Settings,
}

impl Grid {
    fn new(cfg: &TrainConfig, prep: &Prepared) -> Result<Self> {
        let sel = &prep.sel;
        let weightings: Vec<bool> = match cfg.class_weight {
            ClassWeight::None => vec![false],
            ClassWeight::Balanced => vec![true],
            ClassWeight::Auto => vec![false, true],
        };
        let mut c_grid = cfg.c_grid.clone();
        c_grid.sort_by(f64::total_cmp);
        c_grid.dedup();
        let cv = cfg.select == Selection::Cv;
        let folds = cfg.folds.min(sel.pool.len());
        if cv && folds < 2 {
            return Err(Error::Params(format!(
                "cross-validation needs at least 2 folds and 2 rows, got {} folds for {} rows",
                cfg.folds,
                sel.pool.len()
            )));
        }
        let splits = if cv {
            let fold_of =
                select::stratified_folds(&strata(&sel.pool, &sel.pool_y), folds, cfg.seed);
            select::cv_splits(&fold_of, folds, &sel.pool_y)
        } else {
            vec![Split {
                fit: (0..sel.pool.len()).collect(),
                held: Held::Matrix {
                    x: prep.x_held.clone(),
                    crossed: prep.held_crossed.clone(),
                },
                held_y: sel.held_y.clone(),
            }]
        };
        let settings = Settings {
            tolerance: select::DUAL_TOLERANCE,
            max_epochs: cfg.max_iterations,
        };
        Ok(Grid {
            cv,
            weightings,
            c_grid,
            splits,
            settings,
        })
    }

    /// The search over the grid (under cross-validation coarse, with a looser tolerance,
    /// patience and extension).
    fn search<'a>(&'a self, prep: &'a Prepared) -> Search<'a> {
        let cv = self.cv;
        Search {
            designs: &prep.designs,
            crossed: prep.cross,
            y: &prep.sel.pool_y,
            labels: &prep.labels,
            splits: &self.splits,
            c_grid: &self.c_grid,
            weightings: &self.weightings,
            settings: Settings {
                tolerance: if cv {
                    select::CV_TOLERANCE
                } else {
                    select::DUAL_TOLERANCE
                },
                ..self.settings
            },
            coarse: cv,
            patience: cv.then_some(select::CV_PATIENCE),
            extend: if cv { select::CV_EXTEND } else { 0 },
            first_design_first: cv,
        }
    }
}

/// The final model with the chosen setting: on every pool row (after a holdout, on every
/// training row, featurized afresh with the chosen shared-copy weight).
fn final_fit(
    cfg: &TrainConfig,
    train: &Labelled,
    prep: &Prepared,
    chosen: &ScoredSetting,
    (chosen_sw, chosen_features): (f32, FeatureParams),
    settings: Settings,
) -> Result<(Featurizer, SparseSoftmax)> {
    let labels = &prep.labels;
    let balanced = chosen.class_weight == ClassWeighting::Balanced;
    if prep.sel.holdout {
        let all = RowFeatures {
            text: TextPipeline::new(&cfg.text),
            params: chosen_features,
        };
        let (featurizer, x) = all.fit(&train.rows)?;
        let design = Design::new(&x);
        let rows: Vec<usize> = (0..train.rows.len()).collect();
        let fit = select::fit_rows(
            &design,
            (&prep.y_all, labels.len()),
            &rows,
            (chosen.c, balanced),
            settings,
            Start::Cold,
        );
        Ok((featurizer, design.to_softmax(&fit, labels.len())?))
    } else {
        let design = &prep
            .designs
            .iter()
            .find(|d| d.0 == chosen_sw)
            .expect("the chosen weight has a design")
            .1;
        let rows: Vec<usize> = (0..prep.sel.pool.len()).collect();
        let fit = select::fit_rows(
            design,
            (&prep.sel.pool_y, labels.len()),
            &rows,
            (chosen.c, balanced),
            settings,
            Start::Cold,
        );
        Ok((
            Featurizer::from_parts(chosen_features, prep.unit_featurizer.idf().clone())?,
            design.to_softmax(&fit, labels.len())?,
        ))
    }
}

/// Calibration: under `--select valid` on the held-out rows (the selection fit's logits
/// after a holdout, the final model's otherwise); under cross-validation on the chosen
/// setting's out-of-fold logits. Measured on the validation rows when there are some
/// outside the folds, else where it was fitted. Returns the calibration and where it
/// was fitted and measured.
fn calibrate_final(
    prep: &Prepared,
    grid: &Grid,
    outcome: &Outcome,
    linear: &SparseSoftmax,
    chosen_sw: f32,
) -> Result<(FittedCalibration, &'static str, &'static str)> {
    let (sel, labels, cv) = (&prep.sel, &prep.labels, grid.cv);
    let held_final = || {
        let x = select::rescaled(&prep.x_held, prep.held_crossed.as_deref(), chosen_sw);
        select::all_logits(linear, &x)
    };
    let (cal_logits, cal_y, fitted_on) = if cv {
        let oof = select::out_of_fold(&grid.splits, &outcome.held_logits, sel.pool.len());
        (oof, sel.pool_y.clone(), "out-of-fold")
    } else if sel.holdout {
        (
            outcome.held_logits[0].clone(),
            sel.held_y.clone(),
            "validation",
        )
    } else {
        (held_final(), sel.held_y.clone(), "validation")
    };
    let (calibrated, measured_on) = if cv && !sel.held.is_empty() {
        let fitted =
            select::calibrate((&cal_logits, &cal_y), (&held_final(), &sel.held_y), labels)?;
        (fitted, "validation")
    } else {
        let fitted = select::calibrate((&cal_logits, &cal_y), (&cal_logits, &cal_y), labels)?;
        (fitted, fitted_on)
    };
    Ok((calibrated, fitted_on, measured_on))
}

/// The card's account of the selection: what `search` tried, what it chose, and where
/// the calibration was fitted and measured.
fn selection_report(
    cfg: &TrainConfig,
    prep: &Prepared,
    search: &Search,
    outcome: &Outcome,
    (fitted_on, measured_on): (&str, &str),
) -> SelectionReport {
    // The search is coarse exactly under cross-validation.
    let cv = search.coarse;
    let cross = prep.cross;
    SelectionReport {
        select: cfg.select,
        folds: search.splits.len(),
        stratified_by: if !cv {
            String::new()
        } else if cross {
            "label, target".into()
        } else {
            "label".into()
        },
        include_valid: cv && cfg.cv_include_valid,
        c_grid: search.c_grid.to_vec(),
        class_weights: search
            .weightings
            .iter()
            .map(|&b| ClassWeighting::from_balanced(b))
            .collect(),
        shared_weights: if cross {
            prep.shared_weights.clone()
        } else {
            Vec::new()
        },
        patience: search.patience,
        extend: search.extend,
        tolerance: search.settings.tolerance,
        chosen: outcome.trace[outcome.best].clone(),
        calibration_fitted_on: fitted_on.into(),
        measured_on: measured_on.into(),
        trace: outcome.trace.clone(),
    }
}

/// The model card of a head trained by `cfg` on `train` (the labels and the label
/// indices of the rows it was fitted on), with the selection, calibration and final
/// fit it ended with.
#[allow(clippy::too_many_arguments)]
fn model_card(
    cfg: &TrainConfig,
    train: &Labelled,
    valid: Vec<FileRecord>,
    (labels, y_fit): (&[String], &[usize]),
    report: &SelectionReport,
    calibrated: &FittedCalibration,
    linear: &SparseSoftmax,
    lineage: Option<crate::head::Lineage>,
) -> ModelCard {
    let mut label_counts = BTreeMap::new();
    for &yv in y_fit {
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
    let chosen_sw = report.chosen.shared_weight;
    ModelCard {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: cfg.seed,
        data: train.files.clone(),
        valid,
        columns,
        c: report.chosen.c,
        class_weight: report.chosen.class_weight,
        selection: report
            .trace
            .iter()
            .filter(|t| t.shared_weight == chosen_sw)
            .map(|t| (t.c, t.class_weight, t.mean))
            .collect(),
        selection_metric: if metrics::stance_pair(labels).is_some() {
            "f_avg"
        } else {
            "macro_f1"
        }
        .into(),
        label_counts,
        validation: (report.measured_on == "validation")
            .then(|| serde_json::to_value(&calibrated.summary).expect("summary serializes")),
        calibration: Some(calibrated.report.clone()),
        selection_report: Some(report.clone()),
        converged: linear.converged,
        iterations: linear.iterations,
        max_iterations: Some(cfg.max_iterations),
        lineage,
    }
}
