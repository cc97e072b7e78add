//! Offline evaluation reports a person would rather look at than read
//! (`stance-eval --out DIR`, `--model OLD --model NEW`, `--group-col COL`).
//!
//! Owns: loading and scoring a labelled set for a report (telling the caller's
//! [`Progress`] as it goes), bootstrap confidence intervals of the headline metrics, per-group
//! (bias-slice) metrics, the paired comparison of two models (metric deltas with
//! paired-bootstrap intervals, McNemar's test, the rows they disagree on, a verdict),
//! and writing `report.html` (self-contained: inline CSS and plotters-drawn SVG, no
//! scripts, no URLs), `metrics.json` and `report.md` atomically into a folder.
//! Statistics live in [`stats`], plots in [`plots`], HTML and Markdown in [`render`],
//! the comparison of two models in `compare`. Imports from the crate: `error`,
//! `metrics`, `io`, `head`, `eval`.

mod compare;
pub mod plots;
pub mod render;
pub mod stats;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::eval::{self, EvalReport, ScoredSet};
use crate::head::{Head, HeadScratch};
use crate::io::{Columns, Progress, ReadRows, Row};
use crate::metrics::{argmax, Confusion, Summary};
use stats::{BiasAucs, Interval};

pub use compare::{compare, verdict, Comparison, ComparisonJson, Delta, Disagreement};

/// How a report is computed.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// For binary flags: the precision the threshold analysis looks for.
    pub min_precision: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 42,
            resamples: 1000,
            min_precision: 0.9,
        }
    }
}

/// Bootstrap 95% confidence intervals of the headline metrics.
#[derive(Debug, Clone, Serialize)]
pub struct Cis {
    /// Accuracy.
    pub accuracy: Interval,
    /// Macro-F1.
    pub macro_f1: Interval,
    /// F_avg, when the labels have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f_avg: Option<Interval>,
    /// Confidence level (0.95).
    pub level: f64,
    /// Resamples.
    pub resamples: usize,
    /// Seed.
    pub seed: u64,
}

/// Metrics of one slice of the rows (`--group-col`).
#[derive(Debug, Clone, Serialize)]
pub struct GroupScores {
    /// Rows.
    pub n: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1.
    pub macro_f1: f64,
    /// F_avg when favor/against labels exist.
    pub f_avg: Option<f64>,
    /// Bias AUCs, for binary flags.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub aucs: Option<BiasAucs>,
}

/// Everything `stance-eval --json` prints (and `metrics.json` holds) for one model:
/// the [`EvalReport`] keys plus `ci`, `flag_auc` and `groups`.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// The classic evaluation (flattened: `n`, `accuracy`, ... `flag`).
    #[serde(flatten)]
    pub eval: EvalReport,
    /// Bootstrap intervals.
    pub ci: Cis,
    /// ROC AUC of the flag probability, for binary flags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_auc: Option<f64>,
    /// The slice column, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_col: Option<String>,
    /// Per-group metrics, when a slice column is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<BTreeMap<String, GroupScores>>,
}

/// One confidently wrong prediction.
#[derive(Debug, Clone, Serialize)]
pub struct Mistake {
    /// Row id.
    pub id: String,
    /// Comment text.
    pub text: String,
    /// Stance target, if any.
    pub target: Option<String>,
    /// Gold label.
    pub gold: String,
    /// Predicted label.
    pub predicted: String,
    /// Calibrated probability of the predicted label.
    pub confidence: f64,
    /// The n-grams that pushed hardest toward the prediction.
    pub ngrams: Vec<(String, f32)>,
}

/// A scored labelled set and its metrics.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The rows, in file order.
    pub rows: Vec<Row>,
    /// Gold and probabilities.
    pub scored: ScoredSet,
    /// Predicted label indices.
    pub pred: Vec<usize>,
    /// The numbers.
    pub metrics: Metrics,
}

/// Reads a labelled file to evaluate on (optionally forcing one target on every row);
/// the rows skipped as malformed come back for the caller to report.
pub fn load_rows(
    path: &str,
    columns: &Columns,
    target: Option<&str>,
    skip_bad: bool,
) -> Result<ReadRows> {
    let mut read = crate::io::read_all(path, columns, skip_bad)?;
    if read.rows.is_empty() {
        return Err(Error::input(path, None, None, "no rows to evaluate"));
    }
    if let Some(t) = target {
        for r in &mut read.rows {
            r.target = Some(t.to_string());
        }
    }
    Ok(read)
}

/// Scores labelled rows read from `path` with `model`, telling `progress` as it goes.
pub fn score(
    model: &Head,
    rows: &[Row],
    path: &str,
    label_column: Option<u64>,
    progress: &dyn Progress,
) -> Result<ScoredSet> {
    let gold = eval::gold_indices(model, rows, path, label_column)?;
    progress.rows_started(Some(rows.len() as u64));
    let mut all = ScoredSet {
        gold: Vec::with_capacity(rows.len()),
        probs: Vec::with_capacity(rows.len()),
        raw: Vec::with_capacity(rows.len()),
    };
    for (chunk, g) in rows.chunks(4096).zip(gold.chunks(4096)) {
        let s = eval::score_rows(model, chunk, g.to_vec(), None);
        all.gold.extend(s.gold);
        all.probs.extend(s.probs);
        all.raw.extend(s.raw);
        progress.rows_done(chunk.len() as u64);
    }
    progress.rows_finished();
    Ok(all)
}

/// Accuracy, macro-F1 and (when defined) F_avg of the rows `idx`.
fn headline(labels: &[String], gold: &[usize], pred: &[usize], idx: &[usize]) -> Vec<f64> {
    let g: Vec<usize> = idx.iter().map(|&i| gold[i]).collect();
    let p: Vec<usize> = idx.iter().map(|&i| pred[i]).collect();
    let c = Confusion::new(labels, &g, &p);
    vec![c.accuracy(), c.macro_f1(), c.f_avg().unwrap_or(f64::NAN)]
}

/// Bootstrap intervals of accuracy, macro-F1 and F_avg.
pub fn confidence_intervals(labels: &[String], gold: &[usize], pred: &[usize], o: &Options) -> Cis {
    let samples = stats::bootstrap(gold.len(), o.resamples, o.seed, |idx| {
        headline(labels, gold, pred, idx)
    });
    let iv = stats::intervals(&samples);
    let has_f_avg = crate::metrics::stance_pair(labels).is_some();
    Cis {
        accuracy: iv[0],
        macro_f1: iv[1],
        f_avg: has_f_avg.then_some(iv[2]),
        level: 0.95,
        resamples: o.resamples,
        seed: o.seed,
    }
}

/// The flag probability and gold of a binary head, if the model is one.
fn flag_scores(model: &Head, s: &ScoredSet) -> Option<(Vec<f64>, Vec<bool>)> {
    let pos = crate::metrics::positive_label(&model.labels)?;
    Some((
        s.probs.iter().map(|p| p[pos] as f64).collect(),
        s.gold.iter().map(|&g| g == pos).collect(),
    ))
}

/// Per-group metrics (and bias AUCs for binary flags).
pub fn group_scores(
    model: &Head,
    rows: &[Row],
    s: &ScoredSet,
    pred: &[usize],
) -> BTreeMap<String, GroupScores> {
    let flag = flag_scores(model, s);
    eval::group_rows(rows, |r| r.group.as_deref())
        .into_iter()
        .map(|(name, idx)| {
            let g: Vec<usize> = idx.iter().map(|&i| s.gold[i]).collect();
            let p: Vec<usize> = idx.iter().map(|&i| pred[i]).collect();
            let sm = Summary::new(&model.labels, &g, &p);
            let aucs = flag.as_ref().map(|(scores, positive)| {
                let mut in_group = vec![false; rows.len()];
                for &i in &idx {
                    in_group[i] = true;
                }
                stats::bias_aucs(scores, positive, &in_group)
            });
            (
                name,
                GroupScores {
                    n: sm.n,
                    accuracy: sm.accuracy,
                    macro_f1: sm.macro_f1,
                    f_avg: sm.f_avg,
                    aucs,
                },
            )
        })
        .collect()
}

/// Evaluates `model` on rows already read: the metrics with intervals and slices.
pub fn evaluate_rows(
    model: &Head,
    rows: Vec<Row>,
    scored: ScoredSet,
    group_col: Option<&str>,
    o: &Options,
) -> Evaluation {
    let pred: Vec<usize> = scored.probs.iter().map(|p| argmax(p)).collect();
    let eval = eval::report(model, &rows, &scored, o.min_precision);
    let ci = confidence_intervals(&model.labels, &scored.gold, &pred, o);
    let flag_auc = flag_scores(model, &scored).and_then(|(s, y)| stats::auc(&s, &y));
    let groups = group_col.map(|_| group_scores(model, &rows, &scored, &pred));
    Evaluation {
        metrics: Metrics {
            eval,
            ci,
            flag_auc,
            group_col: group_col.map(String::from),
            groups,
        },
        rows,
        scored,
        pred,
    }
}

/// Scores and evaluates `model` on the rows [`load_rows`] read from `path`.
pub fn evaluate(
    model: &Head,
    path: &str,
    read: ReadRows,
    group_col: Option<&str>,
    o: &Options,
    progress: &dyn Progress,
) -> Result<Evaluation> {
    let scored = score(model, &read.rows, path, read.label_column, progress)?;
    Ok(evaluate_rows(model, read.rows, scored, group_col, o))
}

/// The `k` most confident mistakes, with the n-grams behind each prediction.
pub fn confident_mistakes(model: &Head, e: &Evaluation, k: usize) -> Vec<Mistake> {
    let mut wrong: Vec<(usize, f32)> = (0..e.rows.len())
        .filter(|&i| e.pred[i] != e.scored.gold[i])
        .map(|i| (i, e.scored.probs[i][e.pred[i]]))
        .collect();
    wrong.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut scratch = HeadScratch::default();
    wrong
        .into_iter()
        .take(k)
        .map(|(i, conf)| {
            let r = &e.rows[i];
            let reasons = model.explain(&r.text, r.target.as_deref(), e.pred[i], 5, &mut scratch);
            Mistake {
                id: r.id.clone(),
                text: r.text.clone(),
                target: r.target.clone(),
                gold: model.labels[e.scored.gold[i]].clone(),
                predicted: model.labels[e.pred[i]].clone(),
                confidence: conf as f64,
                ngrams: reasons.into_iter().map(|r| (r.ngram, r.weight)).collect(),
            }
        })
        .collect()
}

/// Writes the report files into `dir` (created if missing), each atomically; all
/// contents are rendered before the first file is written.
pub fn write_files(dir: &Path, files: &[(&str, String)]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, body) in files {
        crate::io::write_atomic(&dir.join(name), body.as_bytes())?;
    }
    Ok(())
}

/// Renders and writes the single-model report (`report.html`, `metrics.json`, `report.md`).
pub fn write_report(dir: &Path, model: &Head, data: &str, e: &Evaluation) -> Result<()> {
    let mistakes = confident_mistakes(model, e, 20);
    let json = metrics_json(&e.metrics);
    let html = render::html(model, data, e, &mistakes)?;
    let md = render::markdown(model, data, e, &mistakes);
    write_files(
        dir,
        &[
            ("metrics.json", json),
            ("report.md", md),
            ("report.html", html),
        ],
    )
}

/// Renders and writes the comparison report.
pub fn write_comparison(
    dir: &Path,
    models: (&Head, &Head),
    data: &str,
    evals: (&Evaluation, &Evaluation),
    c: &Comparison,
) -> Result<()> {
    let json = comparison_json(&evals.0.metrics, &evals.1.metrics, c);
    let html = render::comparison_html(models, data, evals, c)?;
    let md = render::comparison_markdown(models, data, evals, c);
    write_files(
        dir,
        &[
            ("metrics.json", json),
            ("report.md", md),
            ("report.html", html),
        ],
    )
}

/// The pretty JSON of one model's metrics (what `--json` prints).
pub fn metrics_json(m: &Metrics) -> String {
    serde_json::to_string_pretty(m).expect("metrics serialize") + "\n"
}

/// The pretty JSON of a comparison.
pub fn comparison_json(old: &Metrics, new: &Metrics, c: &Comparison) -> String {
    serde_json::to_string_pretty(&ComparisonJson {
        old,
        new,
        comparison: c,
    })
    .expect("comparison serializes")
        + "\n"
}
