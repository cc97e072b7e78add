//! Stages 5-6: scoring a comment stream with one or more heads, and writing the rows.
//!
//! Owns the streaming loop (read a batch, score it on all cores with rayon while
//! keeping input order, write it, repeat: memory holds one batch, never the file) and
//! the output forms: CSV columns `<task>`, `<task>_confidence`, `<task>_p_<label>`
//! per head after `id`; JSONL with the same nested under the task name; and a
//! readable terminal table.

use std::io::Write;

use rayon::prelude::*;
use serde_json::json;

use crate::error::{Error, Result};
use crate::head::{with_thread_scratch, Head, HeadScratch, Reason};
use crate::io::{BadRows, Output, Progress, Row, RowReader};
use crate::metrics::argmax;
use crate::policy::{Action, HeadView, Policy, Trigger};
use crate::thread::{PairVerdict, ThreadCache};

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
    let target = opts.target.as_deref();
    let stance = models
        .iter()
        .position(|m| m.task == "stance" && !m.is_pair());
    let relation = models.iter().position(|m| m.is_pair());
    // Without a thread pass the heads are final after scoring: decide on the same
    // scratch, whose cache holds every head's features for the explanations.
    let decide_now = relation.is_none();
    // Each reply's parent text as the thread pass will most likely find it, so that the
    // relation head (the costliest head: it reads the parent too) runs in parallel; the
    // thread pass checks the guess and recomputes on a miss.
    let guesses = match relation {
        Some(_) => crate::thread::guess_parent_texts(&rows, cache),
        None => vec![None; rows.len()],
    };
    let (mut scored, mut pre): (Vec<ScoredRow>, Vec<Option<PairVerdict>>) = rows
        .into_par_iter()
        .zip(guesses)
        .with_max_len(MAX_ROWS_PER_TASK)
        .map(|(row, guess)| {
            with_scratch_for(models, |s| {
                let heads = score_row(models, &row, target, opts.explain, s);
                let (action, reasons) = if decide_now {
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
        .unzip();
    let Some(relation) = relation else {
        return scored;
    };
    with_scratch_for(models, |s| {
        for (row, pre) in scored.iter_mut().zip(&mut pre) {
            let own = stance.map(|i| row.heads[i].probs.clone());
            let own_reasons = stance
                .map(|i| row.heads[i].reasons.clone())
                .unwrap_or_default();
            let t = target.or(row.row.target.as_deref());
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
    scored
        .par_iter_mut()
        .with_max_len(MAX_ROWS_PER_TASK)
        .for_each(|row| {
            with_scratch_for(models, |s| {
                let (action, reasons) =
                    decide(models, &row.row, &row.heads, &opts.policy, target, s);
                row.action = action;
                row.reasons = reasons;
            })
        });
    scored
}

/// Writes scored rows in one of the output forms.
pub struct Sink<'a> {
    out: &'a mut Output,
    format: OutFormat,
    csv_header_done: bool,
    table: Vec<ScoredRow>,
    explain: bool,
}

/// Appends `format!("{p:.4}")` to `out`, without the general float formatter for
/// probabilities (a twentieth of CSV scoring time went there) nor a string per field:
/// `p` times 10⁴ is exact in `f64` (24 + 14 bits), and Rust rounds the exact value half
/// to even, as `round_ties_even` does.
fn push_p(out: &mut String, p: f32) {
    if !(0.0..=1.0).contains(&p) || p.is_sign_negative() {
        use std::fmt::Write;
        write!(out, "{p:.4}").expect("formatting into a String");
        return;
    }
    let n = (f64::from(p) * 10_000.0).round_ties_even() as u32;
    let digit = |d: u32| char::from(b'0' + d as u8);
    out.push(digit(n / 10_000));
    out.push('.');
    for d in [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10] {
        out.push(digit(d));
    }
}

fn reasons_text(r: &[Reason]) -> String {
    r.iter()
        .map(|r| format!("{} ({:+.2})", r.ngram, r.weight))
        .collect::<Vec<_>>()
        .join("; ")
}

impl<'a> Sink<'a> {
    /// A sink writing `format` to `out`.
    pub fn new(out: &'a mut Output, format: OutFormat, explain: bool) -> Self {
        Sink {
            out,
            format,
            csv_header_done: false,
            table: Vec::new(),
            explain,
        }
    }

    fn io(e: std::io::Error) -> Error {
        Error::io("<output>", e)
    }

    /// Writes one batch.
    pub fn write(&mut self, models: &[Head], batch: Vec<ScoredRow>) -> Result<()> {
        match self.format {
            OutFormat::Table => {
                self.table.extend(batch);
                Ok(())
            }
            OutFormat::Jsonl => {
                let mut buf = Vec::with_capacity(batch.len() * 256);
                for s in &batch {
                    // Key collisions (an extra column named like a head, `action`...):
                    // the map's replace-in-place semantics decide the layout.
                    let obj = jsonl_row_map(models, s, self.explain);
                    serde_json::to_writer(&mut buf, &obj).expect("JSON to memory");
                    buf.push(b'\n');
                }
                self.out.write_all(&buf).map_err(Self::io)
            }
            OutFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::with_capacity(batch.len() * 128));
                let csv_err =
                    |e: csv::Error| Error::io("<output>", std::io::Error::other(e.to_string()));
                if !self.csv_header_done {
                    let mut header = vec!["id".to_string()];
                    if let Some(first) = batch.first() {
                        header.extend(first.row.extra.iter().map(|(k, _)| k.clone()));
                    }
                    for m in models {
                        header.push(m.task.clone());
                        header.push(format!("{}_confidence", m.task));
                        for l in &m.labels {
                            header.push(format!("{}_p_{l}", m.task));
                        }
                        if self.explain {
                            header.push(format!("{}_explain", m.task));
                        }
                    }
                    if models.iter().any(Head::is_pair) {
                        header.push("stance_source".into());
                    }
                    header.push("action".into());
                    header.push("reasons".into());
                    w.write_record(&header).map_err(csv_err)?;
                    self.csv_header_done = true;
                }
                // Field by field: the row's strings are written from where they are.
                let pair = models.iter().any(Head::is_pair);
                let mut num = String::with_capacity(8);
                let mut p_field = |w: &mut csv::Writer<Vec<u8>>, p: f32| {
                    num.clear();
                    push_p(&mut num, p);
                    w.write_field(&num).map_err(csv_err)
                };
                for s in &batch {
                    w.write_field(&s.row.id).map_err(csv_err)?;
                    for (_, v) in &s.row.extra {
                        w.write_field(v).map_err(csv_err)?;
                    }
                    for (m, h) in models.iter().zip(&s.heads) {
                        if h.skipped {
                            for _ in 0..2 + m.labels.len() + self.explain as usize {
                                w.write_field("").map_err(csv_err)?;
                            }
                            continue;
                        }
                        w.write_field(&m.labels[h.label]).map_err(csv_err)?;
                        p_field(&mut w, h.probs[h.label])?;
                        for &p in &h.probs {
                            p_field(&mut w, p)?;
                        }
                        if self.explain {
                            w.write_field(reasons_text(&h.reasons)).map_err(csv_err)?;
                        }
                    }
                    if pair {
                        w.write_field(s.stance_source.as_deref().unwrap_or_default())
                            .map_err(csv_err)?;
                    }
                    w.write_field(s.action.as_str()).map_err(csv_err)?;
                    w.write_field(s.reasons.join(" | ")).map_err(csv_err)?;
                    w.write_record(None::<&[u8]>).map_err(csv_err)?;
                }
                let bytes = w
                    .into_inner()
                    .map_err(|e| Error::io("<output>", std::io::Error::other(e.to_string())))?;
                self.out.write_all(&bytes).map_err(Self::io)
            }
        }
    }

    /// Finishes the output (the table is laid out here, once all rows are known).
    pub fn finish(self, models: &[Head]) -> Result<()> {
        if self.format == OutFormat::Table {
            let t = render_table(models, &self.table);
            self.out.write_all(t.as_bytes()).map_err(Self::io)?;
        }
        Ok(())
    }
}

/// One JSONL row as a JSON map (the reference layout; used when keys collide).
fn jsonl_row_map(
    models: &[Head],
    s: &ScoredRow,
    explain: bool,
) -> serde_json::Map<String, serde_json::Value> {
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), json!(s.row.id));
    for (k, v) in &s.row.extra {
        obj.insert(k.clone(), json!(v));
    }
    for (m, h) in models.iter().zip(&s.heads) {
        if h.skipped {
            obj.insert(m.task.clone(), serde_json::Value::Null);
            continue;
        }
        let mut head = serde_json::Map::new();
        head.insert("label".into(), json!(m.labels[h.label]));
        head.insert("confidence".into(), json!(round4(h.probs[h.label])));
        let p: serde_json::Map<String, serde_json::Value> = m
            .labels
            .iter()
            .zip(&h.probs)
            .map(|(l, &p)| (l.clone(), json!(round4(p))))
            .collect();
        head.insert("p".into(), p.into());
        if explain {
            head.insert(
                "explain".into(),
                h.reasons
                    .iter()
                    .map(|r| json!({"ngram": r.ngram, "weight": round4(r.weight)}))
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        obj.insert(m.task.clone(), head.into());
    }
    if let Some(src) = &s.stance_source {
        obj.insert("stance_source".into(), json!(src));
    }
    obj.insert("action".into(), json!(s.action.as_str()));
    obj.insert("reasons".into(), json!(s.reasons));
    obj
}

fn round4(x: f32) -> f64 {
    (x as f64 * 10_000.0).round() / 10_000.0
}

fn truncate_chars(s: &str, n: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= n {
        flat
    } else {
        let mut t: String = flat.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The table's "stance from" cell: `-` for the comment's own text, else how the reply
/// relates to which parent and that parent's stance (`agrees with r1 (against 0.76)`).
fn stance_from_cell(models: &[Head], s: &ScoredRow, src: &str) -> String {
    let Some(parent) = src.strip_prefix("thread:") else {
        let rest = src.strip_prefix("text").map_or(src, str::trim);
        return if rest.is_empty() {
            "-".into()
        } else {
            rest.to_string()
        };
    };
    let relation = models
        .iter()
        .zip(&s.heads)
        .find(|(m, h)| m.is_pair() && !h.skipped)
        .map(|(m, h)| m.labels[h.label].as_str());
    let verb = match relation {
        Some("agree") => "agrees with",
        Some("disagree") => "disagrees with",
        _ => "replies to",
    };
    let stance = models.iter().find(|m| m.task == "stance" && !m.is_pair());
    match (stance, &s.parent_stance) {
        (Some(m), Some(p)) => {
            let k = argmax(p);
            format!("{verb} {parent} ({} {:.2})", m.labels[k], p[k])
        }
        _ => format!("{verb} {parent}"),
    }
}

/// Renders scored rows as a plain-text table: id, comment, one column per head,
/// and the top reasons of the first head.
pub fn render_table(models: &[Head], rows: &[ScoredRow]) -> String {
    let mut header = vec!["id".to_string(), "comment".to_string()];
    header.extend(models.iter().map(|m| m.task.clone()));
    if models.iter().any(Head::is_pair) {
        header.push("stance from".to_string());
    }
    header.push("action".to_string());
    header.push("why".to_string());
    let mut table: Vec<Vec<String>> = vec![header];
    for s in rows {
        let mut line = vec![s.row.id.clone(), truncate_chars(&s.row.text, 44)];
        for (m, h) in models.iter().zip(&s.heads) {
            if h.skipped {
                line.push("-".into());
            } else {
                line.push(format!("{} {:.2}", m.labels[h.label], h.probs[h.label]));
            }
        }
        if let Some(src) = &s.stance_source {
            line.push(stance_from_cell(models, s, src));
        }
        let why = s
            .heads
            .first()
            .map(|h| {
                h.reasons
                    .iter()
                    .map(|r| r.ngram.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        line.push(s.action.as_str().to_string());
        let flagged = s
            .reasons
            .first()
            .map(|r| format!("; {}", r.split(" [").next().unwrap_or(r)))
            .unwrap_or_default();
        line.push(format!("{}{flagged}", truncate_chars(&why, 48)));
        table.push(line);
    }
    let ncols = table[0].len();
    let widths: Vec<usize> = (0..ncols)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in table.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if c + 1 == ncols {
                    cell.clone()
                } else {
                    format!("{cell}{}", " ".repeat(w - cell.chars().count()))
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_print_as_the_float_formatter_prints_them() {
        let mut ps: Vec<f32> = (0..=1_065_353_216u32)
            .step_by(977)
            .map(f32::from_bits)
            .collect();
        // Exact ties at the fourth decimal (k/32) and the ends.
        ps.extend((0..=32).map(|k| k as f32 / 32.0));
        ps.extend([0.0, 1.0, -0.0, 0.99995, 0.00005, 1.5, f32::NAN, -0.25]);
        for p in ps {
            let mut out = String::from("x");
            super::push_p(&mut out, p);
            assert_eq!(out, format!("x{p:.4}"), "{p:e}");
        }
    }

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
