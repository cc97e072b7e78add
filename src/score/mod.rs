//! Scoring a comment stream with one or more heads, and writing the rows.
//!
//! Owns the streaming loop (read a batch, score it on all cores with rayon while
//! keeping input order, write it, repeat: memory holds one batch, never the file), the
//! policy's decision per row, and the output forms: CSV columns `<task>`,
//! `<task>_confidence`, `<task>_p_<label>` per head after `id`; JSONL with the same
//! nested under the task name; and a readable terminal table.
//!
//! Files: `sink` (CSV and JSONL), `table` (the terminal table). Imports from the crate:
//! `error`, `io`, `metrics`, `head`, `policy`, `thread`.

mod sink;
mod table;

use rayon::prelude::*;

use crate::error::Result;
use crate::head::{with_thread_scratch, Basis, Head, HeadScratch, Reason};
use crate::io::{BadRows, Output, Progress, Row, RowReader};
use crate::metrics::argmax;
use crate::policy::{Action, HeadView, Policy, Trigger};
use crate::thread::{PairVerdict, ThreadCache};

pub use sink::{write_jsonl_line, Sink};
pub use table::render_table;

/// Output form of `stance-score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum OutFormat {
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A readable table for the terminal.
    Table,
}

/// Scoring options.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Target for every row (overrides the target column).
    pub target: Option<String>,
    /// Number of explaining n-grams per head (0 = none).
    pub explain: usize,
    /// Rows per parallel batch.
    pub batch_size: usize,
    /// Output form.
    pub format: OutFormat,
    /// Decision policy (adds `action` and `reasons`).
    pub policy: Policy,
    /// Comments remembered for parent lookup (0 = do not read threads).
    pub thread_cache: usize,
    /// Memory budget of the parent cache, in MB (the oldest comments go first).
    pub thread_cache_mb: usize,
}

/// Default rows per parallel batch: enough work per batch for every core, while the
/// (up to three) batches in flight stay a few MB.
pub const DEFAULT_BATCH: usize = 1024;

/// Rows per parallel task at most. Rayon otherwise splits a batch into a few large
/// tasks (a quarter of it on two cores), and a batch ends when its last task does:
/// the other cores waited up to that task's length at every batch (about 5% of a
/// two-core run's time, measured as CPUs utilized 1.86 against 1.92 with this cap).
const MAX_ROWS_PER_TASK: usize = 8;

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            target: None,
            explain: 0,
            batch_size: DEFAULT_BATCH,
            format: OutFormat::Csv,
            policy: Policy::default_policy(),
            thread_cache: crate::thread::DEFAULT_CACHE,
            thread_cache_mb: crate::thread::DEFAULT_CACHE_MB,
        }
    }
}

/// One head's verdict on one comment.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadResult {
    /// Index of the predicted label.
    pub label: usize,
    /// Calibrated probabilities, in the model's label order.
    pub probs: Vec<f32>,
    /// Explaining n-grams toward the predicted label.
    pub reasons: Vec<Reason>,
    /// The head does not apply to this row (a reply-relation head on a top-level comment).
    pub skipped: bool,
    /// For heads that cross targets (stance): whether the answer came from the target's
    /// own weights (`trained`, `adapted`) or the target-general ones (`generic`).
    pub basis: Option<Basis>,
}

/// A scored comment.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredRow {
    /// The input row.
    pub row: Row,
    /// One result per model, in `--model` order.
    pub heads: Vec<HeadResult>,
    /// Where the stance came from (`text`, `thread:<parent>`, ...), when threads are read.
    pub stance_source: Option<String>,
    /// The parent's stance probabilities, when the stance was inherited from it.
    pub parent_stance: Option<Vec<f32>>,
    /// The policy's decision.
    pub action: Action,
    /// Why (most severe first), with the n-grams behind each flag.
    pub reasons: Vec<String>,
}

/// Scores one row with every model. A reply-relation (pair) head comes back skipped:
/// it reads the row with its parent, which [`score_batch`] finds.
pub fn score_row(
    models: &[Head],
    row: &Row,
    target: Option<&str>,
    explain: usize,
    s: &mut HeadScratch,
) -> Vec<HeadResult> {
    let target = target.or(row.target.as_deref());
    models
        .iter()
        .map(|m| {
            if m.is_pair() {
                return HeadResult {
                    skipped: true,
                    label: 0,
                    probs: vec![0.0; m.labels.len()],
                    reasons: Vec::new(),
                    basis: None,
                };
            }
            let probs = m.predict(&row.text, target, s);
            let label = argmax(&probs);
            let reasons = m.explain(&row.text, target, label, explain, s);
            HeadResult {
                skipped: false,
                label,
                probs,
                reasons,
                basis: m.basis(target),
            }
        })
        .collect()
}

/// Applies the policy to a row's head results; flags that fired are explained by
/// their top n-grams.
pub fn decide(
    models: &[Head],
    row: &Row,
    heads: &[HeadResult],
    policy: &Policy,
    target: Option<&str>,
    s: &mut HeadScratch,
) -> (Action, Vec<String>) {
    let views: Vec<HeadView> = models
        .iter()
        .zip(heads)
        .filter(|(_, h)| !h.skipped)
        .map(|(m, h)| HeadView {
            task: &m.task,
            label: &m.labels[h.label],
            confidence: h.probs[h.label],
            flag_p: crate::metrics::positive_label(&m.labels).map(|i| h.probs[i]),
        })
        .collect();
    let (action, triggers) = policy.decide(&views);
    let target = target.or(row.target.as_deref());
    let reasons = triggers
        .iter()
        .map(|t: &Trigger| {
            let Some((mi, m)) = models.iter().enumerate().find(|(_, m)| m.task == t.task) else {
                return t.condition.clone();
            };
            let label = crate::metrics::positive_label(&m.labels)
                .filter(|_| policy.flags.contains_key(&t.task))
                .unwrap_or(heads[mi].label);
            let why = m.explain(&row.text, target, label, 3, s);
            let ngrams: Vec<&str> = why.iter().map(|r| r.ngram.as_str()).collect();
            format!(
                "{}: {} [{}]",
                t.action.as_str(),
                t.condition,
                ngrams.join(", ")
            )
        })
        .collect();
    (action, reasons)
}

/// Runs `f` with this thread's scratch, its token memos sized for `models`.
fn with_scratch_for<R>(models: &[Head], f: impl FnOnce(&mut HeadScratch) -> R) -> R {
    with_thread_scratch(|s| {
        s.size_memos_for(models.len());
        f(s)
    })
}

/// Scores a batch: every head on every row in parallel (order kept), then the thread
/// pass in input order (a reply after its parent, even within the batch), then the
/// policy in parallel.
pub fn score_batch(
    models: &[Head],
    rows: Vec<Row>,
    opts: &ScoreOptions,
    cache: &mut ThreadCache,
) -> Vec<ScoredRow> {
    let Some(relation) = models.iter().position(|m| m.is_pair()) else {
        // Without a thread pass the heads are final after scoring: decide on the same
        // scratch, whose cache holds every head's features for the explanations.
        let no_guesses = vec![None; rows.len()];
        return score_in_parallel(models, rows, no_guesses, opts, None).0;
    };
    // Each reply's parent text as the thread pass will most likely find it, so that the
    // relation head (the costliest head: it reads the parent too) runs in parallel; the
    // thread pass checks the guess and recomputes on a miss.
    let guesses = crate::thread::guess_parent_texts(&rows, cache);
    let (mut scored, pre) = score_in_parallel(models, rows, guesses, opts, Some(relation));
    read_threads_in_order(models, &mut scored, pre, relation, opts, cache);
    scored
        .par_iter_mut()
        .with_max_len(MAX_ROWS_PER_TASK)
        .for_each(|row| {
            with_scratch_for(models, |s| {
                let target = opts.target.as_deref();
                let (action, reasons) =
                    decide(models, &row.row, &row.heads, &opts.policy, target, s);
                row.action = action;
                row.reasons = reasons;
            })
        });
    scored
}

/// Every head on every row, in parallel, in order. Without a relation head the policy
/// decides right away; with one (its index `relation`), the rows come back undecided,
/// each with the relation head's verdict on its guessed parent text.
fn score_in_parallel(
    models: &[Head],
    rows: Vec<Row>,
    guesses: Vec<Option<String>>,
    opts: &ScoreOptions,
    relation: Option<usize>,
) -> (Vec<ScoredRow>, Vec<Option<PairVerdict>>) {
    let target = opts.target.as_deref();
    rows.into_par_iter()
        .zip(guesses)
        .with_max_len(MAX_ROWS_PER_TASK)
        .map(|(row, guess)| {
            with_scratch_for(models, |s| {
                let heads = score_row(models, &row, target, opts.explain, s);
                let (action, reasons) = if relation.is_none() {
                    decide(models, &row, &heads, &opts.policy, target, s)
                } else {
                    (Action::Approve, Vec::new())
                };
                let pair = match (relation, guess) {
                    (Some(r), Some(parent)) => Some(PairVerdict::new(
                        &models[r],
                        &row.text,
                        parent,
                        opts.explain,
                        s,
                    )),
                    _ => None,
                };
                let scored = ScoredRow {
                    row,
                    heads,
                    stance_source: None,
                    parent_stance: None,
                    action,
                    reasons,
                };
                (scored, pair)
            })
        })
        .unzip()
}

/// The thread pass, in input order: each row read in its thread (the relation head at
/// index `relation`, with the verdicts `pre` computed on the guessed parent texts), its
/// relation and stance replaced by what thread reading found.
fn read_threads_in_order(
    models: &[Head],
    scored: &mut [ScoredRow],
    mut pre: Vec<Option<PairVerdict>>,
    relation: usize,
    opts: &ScoreOptions,
    cache: &mut ThreadCache,
) {
    let stance = models
        .iter()
        .position(|m| m.task == "stance" && !m.is_pair());
    with_scratch_for(models, |s| {
        for (row, pre) in scored.iter_mut().zip(&mut pre) {
            let own = stance.map(|i| row.heads[i].probs.clone());
            let own_reasons = stance
                .map(|i| row.heads[i].reasons.clone())
                .unwrap_or_default();
            let t = opts.target.as_deref().or(row.row.target.as_deref());
            let v = crate::thread::read_row(
                cache,
                stance.map(|i| &models[i]),
                Some(&models[relation]),
                &row.row.id,
                &row.row.text,
                row.row.parent_id.as_deref(),
                row.row.parent_text.as_deref(),
                t,
                own.as_deref(),
                &own_reasons,
                opts.explain,
                pre.take(),
                s,
            );
            match v.relation {
                Some(r) => {
                    let head = &mut row.heads[relation];
                    head.label = argmax(&r);
                    head.probs = r;
                    head.reasons = v.relation_reasons;
                    head.skipped = false;
                }
                None => row.heads[relation].skipped = true,
            }
            if let (Some(i), Some(p)) = (stance, v.stance) {
                row.heads[i].label = argmax(&p);
                row.heads[i].probs = p;
                if let Some(r) = v.reasons {
                    row.heads[i].reasons = r;
                }
            }
            row.stance_source = Some(v.source);
            row.parent_stance = v.parent_stance;
        }
    });
}

/// What a scoring run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreSummary {
    /// Rows written.
    pub rows: u64,
    /// Rows skipped as malformed (reading with `skip_bad`), for the caller to report.
    pub bad: BadRows,
    /// How the input's lines were accounted for (CSV input).
    pub lines: Option<crate::io::LineCount>,
    /// Rows scored toward each target (`--target`, else the row's target column), so
    /// that the caller can say which targets a stance head was never trained on.
    pub targets: std::collections::BTreeMap<String, u64>,
}

/// Streams `reader` through the models into `out`, batch by batch.
pub fn score_stream(
    models: &[Head],
    mut reader: RowReader,
    out: &mut Output,
    opts: &ScoreOptions,
    progress: &dyn Progress,
) -> Result<ScoreSummary> {
    progress.rows_started(None);
    let mut sink = Sink::new(out, opts.format, opts.explain > 0);
    let mut summary = ScoreSummary::default();
    let mut cache = ThreadCache::with_budget(opts.thread_cache, opts.thread_cache_mb << 20);
    let size = opts.batch_size.max(1);
    let read_batch =
        |reader: &mut RowReader| -> Result<Vec<Row>> { reader.by_ref().take(size).collect() };
    // A pipeline of three stages on the pool: while batch i is scored, batch i + 1 is
    // read and batch i - 1 written. Output order and error order are those of the
    // plain loop: a read error is returned after every batch before it is written.
    let mut next = read_batch(&mut reader)?;
    let mut scored_prev: Option<Vec<ScoredRow>> = None;
    while !next.is_empty() {
        let n = next.len() as u64;
        let cur = std::mem::take(&mut next);
        count_targets(&cur, opts.target.as_deref(), &mut summary.targets);
        let (scored, (read, wrote)) = rayon::join(
            || score_batch(models, cur, opts, &mut cache),
            || {
                let wrote = match scored_prev.take() {
                    Some(prev) => sink.write(models, prev),
                    None => Ok(()),
                };
                (read_batch(&mut reader), wrote)
            },
        );
        wrote?;
        summary.rows += n;
        progress.rows_done(n);
        match read {
            Ok(batch) => {
                next = batch;
                scored_prev = Some(scored);
            }
            Err(e) => {
                sink.write(models, scored)?;
                return Err(e);
            }
        }
    }
    if let Some(prev) = scored_prev {
        sink.write(models, prev)?;
    }
    if summary.rows == 0 && opts.format == OutFormat::Csv {
        // Header-only output for an input with no rows.
        sink.write(models, Vec::new())?;
    }
    sink.finish(models)?;
    progress.rows_finished();
    summary.bad = reader.bad_rows().clone();
    summary.lines = reader.line_count();
    Ok(summary)
}

/// Adds each row's target (`target` when given, as scoring reads it) to `counts`.
fn count_targets(
    rows: &[Row],
    target: Option<&str>,
    counts: &mut std::collections::BTreeMap<String, u64>,
) {
    for t in rows.iter().filter_map(|r| target.or(r.target.as_deref())) {
        match counts.get_mut(t) {
            Some(c) => *c += 1,
            None => {
                counts.insert(t.to_string(), 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Vec<Head> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        ["stance", "offensive", "sentiment"]
            .iter()
            .map(|m| Head::load(&root.join(format!("models/{m}.model"))).unwrap())
            .collect()
    }

    #[test]
    fn shared_scratch_gives_the_same_results_as_fresh_ones() {
        let models = models();
        let mut shared = HeadScratch::default();
        for t in [
            "Take the deal.",
            "Take the deal.",
            "never!",
            "Take the deal.",
        ] {
            for target in [Some("ceasefire"), None, Some("atheism"), Some("ceasefire")] {
                for m in &models {
                    let a = m.predict(t, target, &mut shared);
                    assert_eq!(a, m.predict(t, target, &mut HeadScratch::default()));
                    let a = m.explain(t, target, 0, 3, &mut shared);
                    assert_eq!(a, m.explain(t, target, 0, 3, &mut HeadScratch::default()));
                }
            }
        }
    }
}
