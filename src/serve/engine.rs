//! The service's one door into the scoring library: loading and checking heads and
//! the policy, scoring rows through the same batch path as `stance-score` (heads,
//! thread reading, policy), and reading single heads for the Perspective endpoint.
//! Every call from `serve` into the rest of the crate is in this file.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::head::built_in::{built_in_heads, BUILT_IN};
use crate::head::{with_thread_scratch, Head, HeadScratch};
use crate::io::{Columns, Format, Row, RowReader};
use crate::metrics::{argmax, positive_label};
use crate::policy::Policy;
use crate::score::{score_batch, write_jsonl_line, OutFormat, ScoreOptions, DEFAULT_BATCH};
use crate::thread::ThreadCache;

/// Default size of the parent cache, in comments and in MB (as `stance-score`).
pub use crate::thread::{DEFAULT_CACHE, DEFAULT_CACHE_MB};

/// A comment to score, as the service's endpoints read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputRow {
    /// Id (the 1-based position in the request when absent, as `stance-score` does).
    pub id: Option<String>,
    /// Comment text.
    pub text: String,
    /// Stance target.
    pub target: Option<String>,
    /// Parent comment id (replies).
    pub parent_id: Option<String>,
    /// Parent comment text (replies given as pairs).
    pub parent_text: Option<String>,
}

/// Reads JSONL rows the way `stance-score --input-format jsonl` reads them (fields
/// `id`, `text`, `target`, `parent_id`, `parent_text`; numbers as ids; a `null` text is
/// empty); an error names the line and column.
pub fn read_jsonl_rows(bytes: Vec<u8>) -> Result<Vec<InputRow>, String> {
    let reader = RowReader::from_reader(
        "<request>",
        Box::new(std::io::Cursor::new(bytes)),
        Format::Jsonl,
        &Columns::default(),
        false,
    )
    .map_err(|e| e.to_string())?;
    reader
        .map(|r| {
            r.map(|r| InputRow {
                id: Some(r.id),
                text: r.text,
                target: r.target,
                parent_id: r.parent_id,
                parent_text: r.parent_text,
            })
            .map_err(|e| e.to_string())
        })
        .collect()
}

/// What the policy and the heads said about one comment (for the Coral answer, the
/// log and the metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `approve`, `review` or `reject`.
    pub action: &'static str,
    /// The policy's reasons, most severe first.
    pub reasons: Vec<String>,
    /// Whether a moderation flag (a probability threshold, e.g. `p(offensive)`) fired,
    /// as opposed to only a rule on a label (e.g. confident `against`).
    pub flagged: bool,
    /// Each head that applied: task, predicted label, its probability.
    pub heads: Vec<(String, String, f32)>,
    /// Where the stance came from (`text`, `thread:<parent id>`, ...).
    pub stance_source: Option<String>,
}

impl Verdict {
    /// The predicted label and probability of the head with this task.
    pub fn head(&self, task: &str) -> Option<(&str, f32)> {
        self.heads
            .iter()
            .find(|(t, _, _)| t == task)
            .map(|(_, l, p)| (l.as_str(), *p))
    }
}

/// The thread memory shared by all requests: the bounded parent cache of `stance-score`
/// (`--thread-cache`, `--thread-cache-mb`). It outlives model reloads.
#[derive(Debug)]
pub struct ThreadMemory(Mutex<ThreadCache>);

impl ThreadMemory {
    /// A memory of at most `comments` comments and `mb` megabytes.
    pub fn new(comments: usize, mb: usize) -> Self {
        ThreadMemory(Mutex::new(ThreadCache::with_budget(comments, mb << 20)))
    }

    /// Comments held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no comment is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ThreadCache> {
        // A panic while holding it leaves a consistent cache (insertions are whole).
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Loaded heads and policy, checked; immutable once built (a reload builds a new one).
#[derive(Debug)]
pub struct Engine {
    /// Unique in the process: which engine a thread's scratch was last used with.
    id: u64,
    models: Vec<Head>,
    opts: ScoreOptions,
    /// Where each head came from (file path or built-in name).
    pub sources: Vec<String>,
}

static NEXT_ENGINE: AtomicU64 = AtomicU64::new(1);
/// The engine the scoring pool's threads last started over for.
static POOL_ENGINE: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static THREAD_ENGINE: Cell<u64> = const { Cell::new(0) };
}

/// A comment every head must be able to score (the load check).
const PROBE: &str = "Thirty days without artillery would save lives. Sign it.";

impl Engine {
    /// Loads the heads (`models` empty: the built-in ones) and the policy, then checks
    /// that every head scores a probe comment to finite probabilities summing to 1.
    /// Any failure is an error naming the file; nothing is half-loaded.
    pub fn load(models: &[PathBuf], policy: Option<&Path>) -> Result<Engine, String> {
        let (models, sources) = if models.is_empty() {
            let m = built_in_heads().map_err(|e| e.to_string())?;
            (m, BUILT_IN.iter().map(|(n, _)| n.to_string()).collect())
        } else {
            let m = models
                .iter()
                .map(|p| Head::load(p))
                .collect::<crate::Result<Vec<_>>>()
                .map_err(|e| e.to_string())?;
            (m, models.iter().map(|p| p.display().to_string()).collect())
        };
        let policy = match policy {
            Some(p) => Policy::load(&p.to_string_lossy()).map_err(|e| e.to_string())?,
            None => Policy::default_policy(),
        };
        let engine = Engine {
            id: NEXT_ENGINE.fetch_add(1, Ordering::Relaxed),
            models,
            opts: ScoreOptions {
                policy,
                format: OutFormat::Jsonl,
                ..ScoreOptions::default()
            },
            sources,
        };
        engine.check()?;
        Ok(engine)
    }

    /// Runs `f` with this thread's scratch. A thread's scratch keeps token memos per
    /// model, and every reload brings new models: the first use of an engine on a
    /// thread starts the scratch over, so that the memos of replaced models do not
    /// pile up (memory stays flat however often the service reloads).
    fn scratch<R>(&self, f: impl FnOnce(&mut HeadScratch) -> R) -> R {
        with_thread_scratch(|s| {
            if THREAD_ENGINE.with(|e| e.replace(self.id)) != self.id {
                *s = HeadScratch::default();
            }
            s.size_memos_for(self.models.len());
            f(s)
        })
    }

    fn check(&self) -> Result<(), String> {
        if self.models.is_empty() {
            return Err("no model loaded".into());
        }
        for (m, src) in self.models.iter().zip(&self.sources) {
            let p = self.scratch(|s| {
                if m.is_pair() {
                    m.predict_pair(PROBE, PROBE, s)
                } else {
                    m.predict(PROBE, None, s)
                }
            });
            let sum: f32 = p.iter().sum();
            if p.len() != m.labels.len()
                || p.iter().any(|x| !x.is_finite())
                || (sum - 1.0).abs() > 1e-3
            {
                return Err(format!(
                    "{src}: head '{}' scored the check comment to {p:?}, not a probability distribution over {:?}",
                    m.task, m.labels
                ));
            }
        }
        Ok(())
    }

    /// Task names of the heads, in load order.
    pub fn tasks(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.task.as_str()).collect()
    }

    /// Index of the (single-text) head with this task.
    pub fn head(&self, task: &str) -> Option<usize> {
        self.models
            .iter()
            .position(|m| m.task == task && !m.is_pair())
    }

    /// The labels of head `i`.
    pub fn labels(&self, i: usize) -> &[String] {
        &self.models[i].labels
    }

    /// For a binary flag head, the index of its positive label (`offensive`, `hate`...).
    pub fn flag_label(&self, i: usize) -> Option<usize> {
        positive_label(&self.models[i].labels)
    }

    /// Head `i`'s calibrated probabilities for `text`.
    pub fn predict(&self, i: usize, text: &str, target: Option<&str>) -> Vec<f32> {
        self.scratch(|s| self.models[i].predict(text, target, s))
    }

    /// The `k` n-grams of `text` that pushed head `i` hardest toward `label`.
    pub fn explain(
        &self,
        i: usize,
        text: &str,
        target: Option<&str>,
        label: usize,
        k: usize,
    ) -> Vec<(String, f32)> {
        self.scratch(|s| {
            self.models[i]
                .explain(text, target, label, k, s)
                .into_iter()
                .map(|r| (r.ngram, r.weight))
                .collect()
        })
    }

    /// Scores `rows` in order exactly as `stance-score --format jsonl` does (every head,
    /// thread reading against `memory`, the policy), with `target` for every row when
    /// given and `explain` n-grams per head: the JSONL bytes and one verdict per row.
    /// Rows are scored in batches of `stance-score`'s size; `memory` is held for each
    /// batch, so that replies are read in order.
    pub fn score(
        &self,
        memory: &ThreadMemory,
        rows: Vec<InputRow>,
        target: Option<&str>,
        explain: usize,
    ) -> (Vec<u8>, Vec<Verdict>) {
        let explained;
        let opts = if target.is_some() || explain > 0 {
            explained = ScoreOptions {
                target: target.map(String::from),
                explain,
                ..self.opts.clone()
            };
            &explained
        } else {
            &self.opts
        };
        // score_batch scores on this thread and on the rayon pool's: start their
        // scratches over when the engine changed since they last scored.
        self.scratch(|_| ());
        if POOL_ENGINE.swap(self.id, Ordering::SeqCst) != self.id {
            rayon::broadcast(|_| self.scratch(|_| ()));
        }
        let mut out = Vec::with_capacity(rows.len() * 400);
        let mut verdicts = Vec::with_capacity(rows.len());
        let rows: Vec<Row> = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| Row {
                line: i as u64 + 1,
                id: r.id.unwrap_or_else(|| (i + 1).to_string()),
                text: r.text,
                target: r.target,
                parent_id: r.parent_id,
                parent_text: r.parent_text,
                ..Row::default()
            })
            .collect();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let batch: Vec<Row> = rows.by_ref().take(DEFAULT_BATCH).collect();
            let scored = {
                let mut cache = memory.lock();
                score_batch(&self.models, batch, opts, &mut cache)
            };
            for s in &scored {
                write_jsonl_line(&self.models, s, explain > 0, &mut out);
                let heads = self
                    .models
                    .iter()
                    .zip(&s.heads)
                    .filter(|(_, h)| !h.skipped)
                    .map(|(m, h)| {
                        let k = argmax(&h.probs);
                        (m.task.clone(), m.labels[k].clone(), h.probs[k])
                    })
                    .collect();
                verdicts.push(Verdict {
                    action: s.action.as_str(),
                    // A flag's condition reads `p(<task>)=...`; a label rule's `<task>=<label>`.
                    flagged: s
                        .reasons
                        .iter()
                        .any(|r| r.split_once(": ").is_some_and(|(_, c)| c.starts_with("p("))),
                    reasons: s.reasons.clone(),
                    heads,
                    stance_source: s.stance_source.clone(),
                });
            }
        }
        (out, verdicts)
    }
}
