//! Fitting a reply-relation head's thread stacker: the learned combination of a
//! reply's own stance with the relation head's verdict and its parent's stance, which
//! [`crate::thread`] applies at run time. It is a [`Stacker`] over the reply's own stance,
//! the mixture `p(agree)·p_parent + p(disagree)·flip(p_parent) + p(other)·p_own`, the
//! relation probabilities and the reply's length, fitted on labelled threads with
//! cross-fitted relation predictions, and stored in the relation head's file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::head::{Head, HeadScratch};
use crate::io::{Columns, FileRecord, Progress, Silent, LABEL_COLUMN};
use crate::metrics::argmax;
use crate::model::stack::{StackCard, Stacker};
use crate::thread::{canonical_id, combine, reply_inputs, stacker_inputs, ReplyEvidence};

use super::retrain::config_from_model;
use super::{read_labelled, train_on, Labelled, TrainConfig};

/// Default cross-fitting folds ([`StackOptions::folds`]).
pub const DEFAULT_FOLDS: usize = 5;
/// Default inverse L2 strength of the stacker ([`StackOptions::c`]).
pub const DEFAULT_C: f64 = 1.0;

/// How to fit a reply-relation head's thread stacker.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The stance head whose probabilities feed it.
    pub stance_model: PathBuf,
    /// Labelled threads: `id`, `parent_id`, `text`, stance `label`, optional `target`.
    pub threads: Vec<String>,
    /// Cross-fitting folds (threads are split by their root comment).
    pub folds: usize,
    /// Inverse L2 strength of the stacker.
    pub c: f64,
}

/// One labelled thread comment, resolved.
struct ThreadRow {
    text: String,
    target: Option<String>,
    parent: Option<usize>,
    gold: usize,
    fold: usize,
}

fn read_threads(opts: &StackOptions, stance: &Head) -> Result<(Vec<ThreadRow>, Vec<FileRecord>)> {
    let columns = Columns {
        label: Some(LABEL_COLUMN.into()),
        ..Columns::default()
    };
    let data = read_labelled(&opts.threads, &columns, false, &Silent)?;
    let folds = opts.folds.max(1);
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<ThreadRow> = Vec::new();
    let mut n_roots = 0;
    for r in data.rows {
        let label = r.label.clone().unwrap_or_default();
        let gold = stance
            .labels
            .iter()
            .position(|l| *l == label)
            .ok_or_else(|| {
                Error::Train(format!(
                "thread row {} (line {}): label '{label}' is not one of the stance model's ({})",
                r.id,
                r.line,
                stance.labels.join(", ")
            ))
            })?;
        let parent = match r
            .parent_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(p) => Some(*index.get(canonical_id(p)).ok_or_else(|| {
                Error::Train(format!(
                    "thread row {} (line {}): parent {p} does not come before it",
                    r.id, r.line
                ))
            })?),
        };
        // A thread's fold is its root's order among the roots, modulo the fold count.
        let fold = match parent {
            Some(p) => rows[p].fold,
            None => {
                n_roots += 1;
                (n_roots - 1) % folds
            }
        };
        index.insert(canonical_id(&r.id).to_string(), rows.len());
        rows.push(ThreadRow {
            text: r.text,
            target: r.target,
            parent,
            gold,
            fold,
        });
    }
    Ok((rows, data.files))
}

/// Fits the learned combination for `relation` (trained by `cfg` on `data`), from
/// labelled threads. The relation probabilities of thread replies whose (reply, parent)
/// pair is also in `data` come from a relation head refitted without their fold (same
/// C and class weighting), so the stacker sees out-of-sample relation verdicts.
pub fn fit_thread_stacker(
    cfg: &TrainConfig,
    data: &Labelled,
    relation: &Head,
    opts: &StackOptions,
    progress: &dyn Progress,
) -> Result<Stacker> {
    let stance_bytes =
        std::fs::read(&opts.stance_model).map_err(|e| Error::io(&opts.stance_model, e))?;
    let stance = Head::from_bytes(&stance_bytes, &opts.stance_model.display().to_string())?;
    let (rows, files) = read_threads(opts, &stance)?;
    let folds = opts.folds.max(1);
    let mut s = HeadScratch::default();
    let rel_p = cross_fitted_relations(cfg, data, relation, (&rows, folds), progress, &mut s)?;
    let own: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| stance.predict(&r.text, r.target.as_deref(), &mut s))
        .collect();
    let card = StackCard {
        models: vec![FileRecord::new(
            &opts.stance_model.display().to_string(),
            &stance_bytes,
            0,
        )],
        data: files,
        folds,
        c: opts.c,
        rows: 0,
        fit_accuracy: 0.0,
        base_accuracy: 0.0,
    };
    let labels = (relation.labels.as_slice(), stance.labels.as_slice());
    // Pass 1: parents' stances by the mixture; pass 2: by the first stacker.
    let mut stacker: Option<Stacker> = None;
    let mut acc = (0.0, 0.0);
    for _pass in 0..2 {
        let pass = StackRows::build(&rows, &own, &rel_p, stacker.as_ref(), labels);
        if pass.x.is_empty() {
            return Err(Error::Train(format!(
                "no replies in {} to fit the thread stacker on",
                opts.threads.join(", ")
            )));
        }
        let card = StackCard {
            rows: pass.x.len(),
            ..card.clone()
        };
        let inputs = stacker_inputs(&stance.labels);
        let stk = Stacker::fit(
            inputs,
            stance.labels.clone(),
            &pass.x,
            &pass.y,
            opts.c,
            card,
        )?;
        acc = pass.accuracies(&stk);
        stacker = Some(stk);
    }
    let mut stk = stacker.expect("two passes ran");
    stk.card.fit_accuracy = acc.0;
    stk.card.base_accuracy = acc.1;
    progress.step(
        &cfg.task,
        &format!(
            "thread stacker: {} replies, accuracy {:.3} (own text alone {:.3}); weights {:?}",
            stk.card.rows,
            acc.0,
            acc.1,
            weights_by_input(&stk),
        ),
    );
    Ok(stk)
}

/// The relation head's verdict on each thread reply with its parent (`None` for a
/// top-level comment): for the replies of fold `f`, from `relation` refitted without
/// the training pairs that fold's threads hold (the relation itself when it holds none).
fn cross_fitted_relations(
    cfg: &TrainConfig,
    data: &Labelled,
    relation: &Head,
    (rows, folds): (&[ThreadRow], usize),
    progress: &dyn Progress,
    s: &mut HeadScratch,
) -> Result<Vec<Option<Vec<f32>>>> {
    let mut rel_p: Vec<Option<Vec<f32>>> = vec![None; rows.len()];
    for f in 0..folds {
        let pairs: HashSet<(&str, &str)> = rows
            .iter()
            .filter(|r| r.fold == f)
            .filter_map(|r| r.parent.map(|p| (r.text.as_str(), rows[p].text.as_str())))
            .collect();
        let kept: Vec<_> = data
            .rows
            .iter()
            .filter(|r| !pairs.contains(&(r.text.as_str(), r.parent_text.as_deref().unwrap_or(""))))
            .cloned()
            .collect();
        let refit;
        let model = if kept.len() == data.rows.len() {
            relation
        } else {
            progress.step(
                &cfg.task,
                &format!(
                    "thread stacker: fold {}/{folds}, relation head refitted without {} pairs",
                    f + 1,
                    data.rows.len() - kept.len()
                ),
            );
            // The chosen C, class weighting and shared-copy weight; the rest (columns
            // included) as trained.
            let fixed = config_from_model(relation, false);
            let fold_cfg = TrainConfig {
                c_grid: fixed.c_grid,
                class_weight: fixed.class_weight,
                shared_weights: fixed.shared_weights,
                features: fixed.features,
                ..cfg.clone()
            };
            let rows = Labelled {
                rows: kept,
                files: data.files.clone(),
                label_column: data.label_column,
            };
            refit = train_on(&fold_cfg, rows, None, &Silent)?;
            &refit
        };
        for (i, r) in rows.iter().enumerate() {
            if let (true, Some(p)) = (r.fold == f, r.parent) {
                rel_p[i] = Some(model.predict_pair(&r.text, &rows[p].text, s));
            }
        }
    }
    Ok(rel_p)
}

/// One pass's stacker rows: each reply's inputs with its parent's final stance of this
/// pass, its gold label, and its own-text prediction.
struct StackRows {
    x: Vec<Vec<f32>>,
    y: Vec<usize>,
    own_pred: Vec<usize>,
}

impl StackRows {
    /// Walks the threads in order, giving each comment its final stance: a reply's by
    /// `stacker` (the mixture when there is none yet), anything else its own.
    /// `labels`: the relation head's, then the stance head's.
    fn build(
        rows: &[ThreadRow],
        own: &[Vec<f32>],
        rel_p: &[Option<Vec<f32>>],
        stacker: Option<&Stacker>,
        (rel_labels, labels): (&[String], &[String]),
    ) -> StackRows {
        let mut finals: Vec<Vec<f32>> = Vec::with_capacity(rows.len());
        let mut pass = StackRows {
            x: Vec::new(),
            y: Vec::new(),
            own_pred: Vec::new(),
        };
        for (i, r) in rows.iter().enumerate() {
            let fin = match (r.parent, &rel_p[i]) {
                (Some(p), Some(rp)) => {
                    let evidence = ReplyEvidence {
                        own: &own[i],
                        parent: &finals[p],
                        relation: rp,
                    };
                    let inputs = reply_inputs(&r.text, evidence, rel_labels, labels);
                    let fin = match stacker {
                        Some(stk) => stk.predict(&inputs),
                        None => combine(evidence, rel_labels, labels),
                    };
                    pass.x.push(inputs);
                    pass.y.push(r.gold);
                    pass.own_pred.push(argmax(&own[i]));
                    fin
                }
                _ => own[i].clone(),
            };
            finals.push(fin);
        }
        pass
    }

    /// Accuracy of `stk` on these rows, and of the replies' own text alone.
    fn accuracies(&self, stk: &Stacker) -> (f64, f64) {
        let y = &self.y;
        let hits = |pred: &mut dyn Iterator<Item = usize>| {
            pred.zip(y).filter(|(p, g)| p == *g).count() as f64 / y.len() as f64
        };
        (
            hits(&mut self.x.iter().map(|v| argmax(&stk.predict(v)))),
            hits(&mut self.own_pred.iter().copied()),
        )
    }
}

/// The stacker's weights by input name (for the progress message).
fn weights_by_input(stk: &Stacker) -> BTreeMap<&str, &[f32]> {
    let k = stk.labels.len();
    stk.inputs
        .iter()
        .enumerate()
        .map(|(j, n)| (n.as_str(), &stk.weights[j * k..(j + 1) * k]))
        .collect()
}
