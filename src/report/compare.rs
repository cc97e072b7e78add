//! Two models side by side on the same rows: metric deltas with paired-bootstrap
//! intervals, McNemar's test, the rows they label differently, and a verdict.

use serde::Serialize;

use super::stats::{self, Interval, McNemar};
use super::{headline, render, Evaluation, Metrics, Options};
use crate::error::{Error, Result};

/// One metric's change from the old to the new model.
#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    /// Metric name (`accuracy`, `macro_f1`, `f_avg`).
    pub metric: String,
    /// Old model's value.
    pub old: f64,
    /// New model's value.
    pub new: f64,
    /// `new − old`.
    pub delta: f64,
    /// Paired-bootstrap 95% interval of the delta.
    pub ci: Interval,
}

/// A row the two models label differently.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    /// Row id.
    pub id: String,
    /// Comment text.
    pub text: String,
    /// Gold label.
    pub gold: String,
    /// Old model's label.
    pub old: String,
    /// Old model's confidence in it.
    pub old_confidence: f64,
    /// New model's label.
    pub new: String,
    /// New model's confidence in it.
    pub new_confidence: f64,
}

/// Two models side by side on the same rows.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Rows.
    pub n: usize,
    /// Metric deltas.
    pub deltas: Vec<Delta>,
    /// McNemar's test on right/wrong.
    pub mcnemar: McNemar,
    /// Rows the models label differently (all of them).
    pub disagreements_total: usize,
    /// The first 50 of them.
    pub disagreements: Vec<Disagreement>,
    /// The decision metric (`f_avg` when present, else `macro_f1`).
    pub decision_metric: String,
    /// One line for a human.
    pub verdict: String,
}

/// The JSON object of a comparison (`--json`, `metrics.json`).
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonJson<'a> {
    /// Old model's metrics.
    pub old: &'a Metrics,
    /// New model's metrics.
    pub new: &'a Metrics,
    /// Deltas, test and verdict.
    pub comparison: &'a Comparison,
}

fn display_metric(m: &str) -> &str {
    match m {
        "macro_f1" => "macro-F1",
        "f_avg" => "F_avg",
        other => other,
    }
}

/// Compares two evaluations of the same rows (same label set).
pub fn compare(
    labels: &[String],
    old: &Evaluation,
    new: &Evaluation,
    o: &Options,
) -> Result<Comparison> {
    if old.rows.len() != new.rows.len() {
        return Err(Error::Params(
            "the two models were evaluated on different rows".into(),
        ));
    }
    let gold = &old.scored.gold;
    let n = gold.len();
    let samples = stats::bootstrap(n, o.resamples, o.seed, |idx| {
        let a = headline(labels, gold, &old.pred, idx);
        let b = headline(labels, gold, &new.pred, idx);
        a.iter().zip(&b).map(|(x, y)| y - x).collect()
    });
    let iv = stats::intervals(&samples);
    let all: Vec<usize> = (0..n).collect();
    let a = headline(labels, gold, &old.pred, &all);
    let b = headline(labels, gold, &new.pred, &all);
    let names = ["accuracy", "macro_f1", "f_avg"];
    let deltas: Vec<Delta> = (0..3)
        .filter(|&j| !a[j].is_nan())
        .map(|j| Delta {
            metric: names[j].into(),
            old: a[j],
            new: b[j],
            delta: b[j] - a[j],
            ci: iv[j],
        })
        .collect();
    let (mut only_old, mut only_new) = (0, 0);
    for ((&po, &pn), &g) in old.pred.iter().zip(&new.pred).zip(gold.iter()).take(n) {
        let ro = po == g;
        let rn = pn == g;
        only_old += (ro && !rn) as usize;
        only_new += (rn && !ro) as usize;
    }
    let mcnemar = stats::mcnemar(only_old, only_new);
    let differ: Vec<usize> = (0..n).filter(|&i| old.pred[i] != new.pred[i]).collect();
    let disagreements = differ
        .iter()
        .take(50)
        .map(|&i| Disagreement {
            id: old.rows[i].id.clone(),
            text: old.rows[i].text.clone(),
            gold: labels[gold[i]].clone(),
            old: labels[old.pred[i]].clone(),
            old_confidence: old.scored.probs[i][old.pred[i]] as f64,
            new: labels[new.pred[i]].clone(),
            new_confidence: new.scored.probs[i][new.pred[i]] as f64,
        })
        .collect();
    let decision = deltas.last().expect("accuracy and macro-F1 exist").clone();
    let verdict = verdict(&decision, &mcnemar);
    Ok(Comparison {
        n,
        deltas,
        mcnemar,
        disagreements_total: differ.len(),
        disagreements,
        decision_metric: decision.metric,
        verdict,
    })
}

/// The verdict line: better / worse when the paired interval excludes zero.
pub fn verdict(d: &Delta, m: &McNemar) -> String {
    let pts = |x: f64| format!("{:+.1}", 100.0 * x);
    let what = if d.ci.lo > 0.0 {
        "NEW is better"
    } else if d.ci.hi < 0.0 {
        "NEW is worse"
    } else {
        "No clear difference"
    };
    format!(
        "{what} on {}: {} points, 95% CI [{}, {}], McNemar p={}",
        display_metric(&d.metric),
        pts(d.delta),
        pts(d.ci.lo),
        pts(d.ci.hi),
        render::p_value(m.p_value)
    )
}
