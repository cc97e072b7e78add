//! Model selection by cross-validation: the same model file whatever the number of
//! threads, the card's record of the search, and the shared-copy weight chosen by the
//! folds unless a value is given.

mod common;

use comment_stance::head::{Head, Selection};
use comment_stance::io::Silent;
use comment_stance::train::{self, TrainConfig};
use common::*;

/// The committed ceasefire comments with targets (train and validation).
fn cfg() -> TrainConfig {
    TrainConfig {
        task: "stance".into(),
        data: vec![s(&repo("data/ceasefire/comments_train.csv")).to_string()],
        valid: vec![s(&repo("data/ceasefire/comments_val.csv")).to_string()],
        c_grid: vec![0.5, 2.0, 8.0],
        ..TrainConfig::default()
    }
}

fn train_with(cfg: &TrainConfig, threads: usize) -> Head {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| train::train(cfg, &Silent).unwrap())
}

#[test]
fn one_and_two_threads_give_the_same_model_file() {
    let cfg = cfg();
    let one = train_with(&cfg, 1).to_bytes();
    let two = train_with(&cfg, 2).to_bytes();
    assert!(one == two, "the model files differ between 1 and 2 threads");
    let four = train_with(&cfg, 4).to_bytes();
    assert!(
        one == four,
        "the model files differ between 1 and 4 threads"
    );
}

#[test]
fn the_card_records_the_cross_validation_and_its_choice() {
    let head = train_with(&cfg(), 2);
    let card = &head.card;
    let r = card.selection_report.as_ref().expect("a selection report");
    assert_eq!(r.select, Selection::Cv);
    assert_eq!(r.folds, 5);
    assert_eq!(r.stratified_by, "label, target");
    // The shared-copy weight is chosen from the defaults, like C and the weighting.
    assert_eq!(r.shared_weights, vec![0.5, 1.0]);
    let best = r
        .trace
        .iter()
        .map(|t| t.mean)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(
        r.chosen.mean, best,
        "the chosen setting has the best CV mean"
    );
    assert!(r.trace.contains(&r.chosen));
    assert_eq!(r.chosen.splits.len(), 5);
    assert!(r.chosen.spread > 0.0 && r.chosen.spread < 0.2);
    for t in &r.trace {
        let mean = t.splits.iter().sum::<f64>() / 5.0;
        assert!((mean - t.mean).abs() < 1e-12);
        assert!(t.shared_weight.is_some());
    }
    // The head scores with what was chosen.
    assert_eq!(card.c, r.chosen.c);
    assert_eq!(card.class_weight, r.chosen.class_weight);
    assert_eq!(
        Some(head.featurizer().params().shared_weight),
        r.chosen.shared_weight
    );
    // Calibrated on out-of-fold logits, measured on the validation file.
    assert_eq!(r.calibration_fitted_on, "out-of-fold");
    assert_eq!(r.measured_on, "validation");
    assert!(card.validation.is_some());
}

#[test]
fn a_given_shared_weight_is_used_as_it_is() {
    let mut cfg = cfg();
    cfg.shared_weights = vec![1.0];
    cfg.features.shared_weight = 1.0;
    let head = train_with(&cfg, 2);
    let r = head.card.selection_report.as_ref().unwrap();
    assert_eq!(r.shared_weights, vec![1.0]);
    assert!(r.trace.iter().all(|t| t.shared_weight == Some(1.0)));
    assert_eq!(head.featurizer().params().shared_weight, 1.0);
}

#[test]
fn selection_on_the_validation_split_still_works() {
    let mut cfg = cfg();
    cfg.select = Selection::Valid;
    let head = train_with(&cfg, 2);
    let r = head.card.selection_report.as_ref().unwrap();
    assert_eq!(r.select, Selection::Valid);
    assert_eq!(r.folds, 1);
    assert_eq!(r.chosen.spread, 0.0);
    assert_eq!(r.calibration_fitted_on, "validation");
    // Every setting of the grid is scored (no early stop, no extension).
    assert_eq!(r.trace.len(), 3 * 2 * 2);
}
