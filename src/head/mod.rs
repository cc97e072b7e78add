//! The fitted head: text stage + features + linear model + calibration, and its file.
//!
//! Owns [`Head`] (one task, e.g. `stance` or `offensive`): prediction of calibrated
//! probabilities for a comment toward a target, explanations in readable n-grams, and
//! the self-contained model file (magic, format version, SHA-256 of the payload, a JSON
//! header with every parameter and the model card, then the sparse IDF and weight
//! tables). Loading checks every size field against the bytes actually present before
//! allocating, so a damaged file is a clear error, never a crash or a huge allocation.

pub mod token_memo;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::features::bucket_table::{BucketTable, RowAt};
use crate::features::{self, FeatureParams, Featurizer, SparseVec};
use crate::head::token_memo::TokenMemos;
use crate::io::FileRecord;
use crate::model::calibrate::Calibration;
use crate::model::linear::{softmax, SparseSoftmax};
use crate::model::stack::Stacker;
use crate::text::{TextParams, TextPipeline};

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"CMSTANCE";
/// Model file format version this build reads and writes. Version 2: char n-grams are
/// read word by word (see [`Featurizer::transform`]); version 1 files weighted them over
/// the whole row, so their weights do not fit this build's features.
pub const FORMAT_VERSION: u32 = 2;
const PREAMBLE: usize = 8 + 4 + 8 + 32;
/// Most labels a model file may have.
const MAX_LABELS: usize = 256;

/// Calibration quality on the rows it was fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// ECE (15 bins) of the raw softmax.
    pub ece_before: f64,
    /// ECE after calibration.
    pub ece_after: f64,
    /// Brier score of the raw softmax.
    pub brier_before: f64,
    /// Brier score after calibration.
    pub brier_after: f64,
}

/// Where a model came from (for retraining on new labels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// SHA-256 of the parent model file.
    pub parent_sha256: String,
    /// Files added on top of the parent's data.
    pub added: Vec<FileRecord>,
    /// Added rows dropped as exact duplicates (same text, target and label).
    #[serde(default)]
    pub duplicates: usize,
    /// Texts (with target) whose labels conflicted, resolved by the files' merge rule.
    #[serde(default)]
    pub conflicts: usize,
}

/// Everything needed to say what a model is and to reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// comment-stance version that trained it.
    pub tool_version: String,
    /// Seed of every random choice in training.
    pub seed: u64,
    /// Training files.
    pub data: Vec<FileRecord>,
    /// Validation files (empty: a seeded share of the training rows was held out).
    pub valid: Vec<FileRecord>,
    /// Column names used in training.
    pub columns: BTreeMap<String, String>,
    /// Chosen inverse regularisation strength.
    pub c: f64,
    /// Class weighting of the chosen fit.
    pub class_weight: ClassWeighting,
    /// Model-selection trace: (C, class weighting, validation score).
    pub selection: Vec<(f64, ClassWeighting, f64)>,
    /// Name of the selection metric.
    pub selection_metric: String,
    /// Training rows per label.
    pub label_counts: BTreeMap<String, usize>,
    /// Validation metrics of the chosen model (the `stance-eval --json` summary).
    pub validation: Option<serde_json::Value>,
    /// Calibration quality.
    pub calibration: Option<CalibrationReport>,
    /// Whether the solver met its tolerance, and its iterations.
    pub converged: bool,
    /// L-BFGS iterations of the final fit.
    pub iterations: u64,
    /// Iteration cap of each fit (absent in older files; see [`ModelCard::iteration_cap`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u64>,
    /// Parent model and added data, for retrained models.
    pub lineage: Option<Lineage>,
}

/// How a fit weighted its training rows by class (written `none` / `balanced` in the card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeighting {
    /// Every row weighs 1.
    None,
    /// Rows weigh n / (k · n_class), as scikit-learn's "balanced".
    Balanced,
}

impl ClassWeighting {
    /// `Balanced` when `balanced`, else `None`.
    pub fn from_balanced(balanced: bool) -> Self {
        if balanced {
            ClassWeighting::Balanced
        } else {
            ClassWeighting::None
        }
    }

    /// The name the card and the progress messages use.
    pub fn name(self) -> &'static str {
        match self {
            ClassWeighting::None => "none",
            ClassWeighting::Balanced => "balanced",
        }
    }
}

impl std::fmt::Display for ClassWeighting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The iteration cap of model files that do not record theirs (older files).
const ITERATION_CAP_BEFORE_RECORDED: u64 = 500;

impl ModelCard {
    /// The iteration cap each fit ran with.
    pub fn iteration_cap(&self) -> u64 {
        self.max_iterations.unwrap_or(ITERATION_CAP_BEFORE_RECORDED)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    task: String,
    labels: Vec<String>,
    targets: Vec<String>,
    text: TextParams,
    features: FeatureParams,
    calibration: Calibration,
    card: ModelCard,
    n_idf: u64,
    n_weight_rows: u64,
    /// Reply-relation heads: the learned combination of a reply's own stance with its
    /// parent's (absent: the fixed mixture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thread_stacker: Option<Stacker>,
}

/// One n-gram's share in a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The n-gram as normalized text.
    pub ngram: String,
    /// Its contribution to the log-probability of the label (positive = toward it).
    pub weight: f32,
}

/// Reusable per-thread buffers for prediction.
///
/// Also a one-row cache: the tokens of the last text (per text settings) and, for each
/// (model, target) scored on it, the features and logits, so that several heads with
/// the same text settings normalize a comment once, and explaining any prediction made
/// on the row (by `--explain` or by the policy) does not redo it.
#[derive(Debug, Default)]
pub struct HeadScratch {
    /// Parent text for pair heads (set by [`Head::predict_pair`]).
    parent: Option<String>,
    tokens: crate::text::Tokens,
    /// The text `tokens` were cut from, and the settings used.
    cached_text: String,
    cached_params: Option<TextParams>,
    /// One entry per (model, target) scored on the cached text (at most
    /// [`MAX_CACHED_HEADS`]; buffers are kept when the text changes).
    heads: Vec<HeadCache>,
    /// Per (model id, target code): each token's term in the char part of the logits.
    memos: TokenMemos,
}

thread_local! {
    static THREAD_SCRATCH: std::cell::RefCell<HeadScratch> = std::cell::RefCell::new(HeadScratch::default());
}

/// Runs `f` with this thread's scratch, kept for the thread's life, so its token memos
/// stay warm from batch to batch (a fresh scratch per parallel task would start them
/// cold every time). `f` must not call `with_thread_scratch` again.
pub fn with_thread_scratch<R>(f: impl FnOnce(&mut HeadScratch) -> R) -> R {
    THREAD_SCRATCH.with(|s| f(&mut s.borrow_mut()))
}

impl HeadScratch {
    /// Sizes the token memos for scoring `heads` heads with this scratch
    /// ([`crate::head::token_memo::memo_tokens_for`]); they start over when that changes.
    pub fn size_memos_for(&mut self, heads: usize) {
        self.memos
            .set_capacity(crate::head::token_memo::memo_tokens_for(heads));
    }
}

/// How many (model, target) results the one-row cache keeps.
const MAX_CACHED_HEADS: usize = 8;

/// Features and logits of one (model, target) on the cached text.
#[derive(Debug, Default)]
struct HeadCache {
    /// (model id, target code) the buffers belong to; `None` = free.
    key: Option<(u64, Option<u64>)>,
    features: features::FeatureScratch,
    vec: SparseVec,
    logits: Vec<f32>,
    /// Per distinct token with char n-grams, in order: `a_t`, then its term `s(t)`,
    /// `q(t)` ([`Head::for_each_char_term`]), for the explanation to read back.
    char_terms: Vec<f32>,
}

/// Source of [`Head`] ids (the scratch cache's key for a model).
static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A trained head.
#[derive(Debug)]
pub struct Head {
    /// Task name (output column prefix).
    pub task: String,
    /// Labels, in probability order.
    pub labels: Vec<String>,
    /// Targets seen in training (as first spelled there).
    pub targets: Vec<String>,
    target_hashes: Vec<(String, u64)>,
    text: TextPipeline,
    featurizer: Featurizer,
    linear: SparseSoftmax,
    /// Calibration map applied to the logits.
    pub calibration: Calibration,
    /// The model card.
    pub card: ModelCard,
    /// Reply-relation heads: the learned combination of a reply's own stance with the
    /// relation and the parent's stance (applied when a reply is read in its thread).
    pub thread_stacker: Option<Stacker>,
    /// Unique in the process (keys the [`HeadScratch`] cache).
    id: u64,
}

fn target_key(t: &str) -> String {
    t.trim().to_lowercase()
}

impl Head {
    /// Assembles a model from fitted parts.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        task: String,
        labels: Vec<String>,
        targets: Vec<String>,
        text: TextParams,
        featurizer: Featurizer,
        linear: SparseSoftmax,
        calibration: Calibration,
        card: ModelCard,
    ) -> Self {
        let target_hashes = targets
            .iter()
            .map(|t| (target_key(t), features::target_hash(t)))
            .collect();
        // A bucket's IDF beside its weights: scoring reads both for every n-gram.
        let (featurizer, linear) = match BucketTable::interleave(featurizer.idf(), &linear.weights)
        {
            Some((idf, weights)) => (
                Featurizer::from_parts(featurizer.params().clone(), idf)
                    .expect("the interleaved idf table reads as the original"),
                SparseSoftmax { weights, ..linear },
            ),
            None => (featurizer, linear),
        };
        Head {
            task,
            labels,
            targets,
            target_hashes,
            text: TextPipeline::new(&text),
            featurizer,
            linear,
            calibration,
            card,
            thread_stacker: None,
            id: NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Whether the IDF and weight tables share one store (then a bucket located in
    /// one is read in the other without ranking it again).
    fn shared_store(&self) -> bool {
        self.featurizer.idf().shares_store(&self.linear.weights)
    }

    /// Where the word entries' rows are in the weights' store, when scoring found them
    /// with their IDF (one store); the rest are looked up ([`SparseSoftmax::logits_located`]).
    fn located_word_rows<'a>(&self, features: &'a features::FeatureScratch) -> &'a [RowAt] {
        if self.shared_store() {
            self.featurizer.word_rows(features)
        } else {
            &[]
        }
    }

    /// The text pipeline.
    pub fn text(&self) -> &TextPipeline {
        &self.text
    }

    /// The fitted feature stage.
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// The linear model.
    pub fn linear(&self) -> &SparseSoftmax {
        &self.linear
    }

    /// The crossing hash for `target` when the model knows it (and crosses targets).
    pub fn target_code(&self, target: Option<&str>) -> Option<u64> {
        if !self.featurizer.params().cross_target {
            return None;
        }
        let key = target_key(target?);
        self.target_hashes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, h)| *h)
    }

    /// Whether `target` was seen in training.
    pub fn knows_target(&self, target: &str) -> bool {
        let key = target_key(target);
        self.target_hashes.iter().any(|(k, _)| *k == key)
    }

    /// Featurizes a tokenized comment (used by training, which tokenizes once).
    pub fn vectorize(
        &self,
        tokens: &[String],
        target: Option<&str>,
        s: &mut features::FeatureScratch,
        out: &mut SparseVec,
    ) {
        self.featurizer
            .transform(tokens, self.target_code(target), s, out);
    }

    /// Whether this head reads a reply with its parent (a reply-relation head).
    pub fn is_pair(&self) -> bool {
        self.text.params().pair
    }

    /// Tokens of a row as this head reads it (pair heads read the parent too).
    pub fn row_tokens(&self, text: &str, parent: Option<&str>) -> Vec<String> {
        if self.is_pair() {
            self.text.pair_tokens(text, parent.unwrap_or(""))
        } else {
            self.text.tokens(text)
        }
    }

    /// Calibrated probabilities for a reply given its parent's text (pair heads).
    pub fn predict_pair(&self, text: &str, parent: &str, s: &mut HeadScratch) -> Vec<f32> {
        s.parent = Some(parent.to_string());
        let p = self.predict(text, None, s);
        s.parent = None;
        p
    }

    /// [`Head::explain`] for a pair head reading a reply with its parent.
    pub fn explain_pair(
        &self,
        text: &str,
        parent: &str,
        label: usize,
        k: usize,
        s: &mut HeadScratch,
    ) -> Vec<Reason> {
        s.parent = Some(parent.to_string());
        let r = self.explain(text, None, label, k, s);
        s.parent = None;
        r
    }

    /// Raw logits of a comment toward `target`, into the scratch; returns the index of
    /// the head cache entry that holds them.
    fn logits_into(&self, text: &str, target: Option<&str>, s: &mut HeadScratch) -> usize {
        let params = self.text.params();
        // Pair heads read the parent too: never served from the one-row cache.
        if self.is_pair() || s.cached_params.as_ref() != Some(params) || s.cached_text != text {
            for h in &mut s.heads {
                h.key = None;
            }
            s.cached_params = None;
            if self.is_pair() {
                s.tokens.set(
                    self.text
                        .pair_tokens(text, s.parent.as_deref().unwrap_or("")),
                );
            } else {
                let norm = self.text.normalize(text);
                self.text.tokenize_into(&norm, &mut s.tokens);
                s.cached_text.clear();
                s.cached_text.push_str(text);
                s.cached_params = Some(params.clone());
            }
        }
        let key = Some((self.id, self.target_code(target)));
        if let Some(i) = s.heads.iter().position(|h| h.key == key) {
            return i;
        }
        let i = match s.heads.iter().position(|h| h.key.is_none()) {
            Some(i) => i,
            None if s.heads.len() < MAX_CACHED_HEADS => {
                s.heads.push(HeadCache::default());
                s.heads.len() - 1
            }
            None => 0,
        };
        let target = key.and_then(|k| k.1);
        let HeadScratch {
            tokens,
            heads,
            memos,
            ..
        } = s;
        let tokens = tokens.as_slice();
        let h = &mut heads[i];
        self.featurizer
            .transform_words(tokens, target, &mut h.features, &mut h.vec);
        h.logits.clear();
        h.logits.resize(self.labels.len(), 0.0);
        let rows = self.located_word_rows(&h.features);
        self.linear
            .logits_located(rows, &h.vec.idx, &h.vec.val, &mut h.logits);
        self.add_char_part(tokens, target, h, memos);
        h.key = key;
        i
    }

    /// Adds the char part of the logits, `Σ_t a_t s(t) / sqrt(Σ_t a_t² q(t))` over the
    /// row's distinct tokens `t` ([`Head::for_each_char_term`]).
    fn add_char_part(
        &self,
        tokens: &[String],
        target: Option<u64>,
        h: &mut HeadCache,
        memos: &mut TokenMemos,
    ) {
        let k = self.labels.len();
        let mut sums = [0.0f32; MAX_LABELS];
        let sums = &mut sums[..k];
        let mut norm = 0.0f32;
        let terms = &mut h.char_terms;
        terms.clear();
        self.for_each_char_term(tokens, target, &mut h.features, memos, |a, term| {
            for c in 0..k {
                sums[c] += a * term[c];
            }
            norm += a * a * term[k];
            terms.push(a);
            terms.extend_from_slice(term);
        });
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            for (l, s) in h.logits.iter_mut().zip(sums.iter()) {
                *l += s * inv;
            }
        }
    }

    /// Calls `f(a_t, term)` for each distinct token `t` with char n-grams of the row last
    /// featurized into `features` by [`Featurizer::transform_words`], in order, where
    /// `a_t = 1 + ln n_t` (`n_t`: its occurrences) and `term` is the token's term in the
    /// char part of the logits:
    /// `s(t)_c = Σ_f φ(t)_f (σ w_f,c + w_cross(f),c)` for each label `c` (`σ`: the shared
    /// copy's scale; the crossed copy only toward a known target), then `q(t) = |φ(t)|²`
    /// ([`Featurizer::transform`] defines `φ`). The char part of the logits is
    /// `Σ_t a_t s(t) / sqrt(Σ_t a_t² q(t))`, the same sum as the char entries of
    /// [`Featurizer::transform`] give, grouped by token. Terms come from the memo of
    /// this (model, target), or are computed and memoized.
    fn for_each_char_term(
        &self,
        tokens: &[String],
        target: Option<u64>,
        features: &mut features::FeatureScratch,
        memos: &mut TokenMemos,
        mut f: impl FnMut(f32, &[f32]),
    ) {
        let k = self.labels.len();
        let memo = memos.get((self.id, target), k + 1);
        let shared = self.featurizer.shared_scale();
        let w = &self.linear.weights;
        // Look-ups in a memo of several MB miss the cache: start them all first.
        let mut j = 0;
        while let Some((_, _, hash)) = self.featurizer.char_token(features, j) {
            memo.prefetch(hash);
            j += 1;
        }
        let mut j = 0;
        while let Some((ti, n, hash)) = self.featurizer.char_token(features, j) {
            let tok = tokens[ti].as_str();
            let term = memo.get_or_insert_with(hash, tok, |term| {
                term[k] = self.featurizer.token_char_part(tok, features, |b, at, v| {
                    let shared_row = if self.shared_store() {
                        w.row_at(at)
                    } else {
                        w.row(b)
                    };
                    let scaled = v * shared;
                    for (t, &x) in term[..k].iter_mut().zip(shared_row) {
                        *t += scaled * x;
                    }
                    if let Some(t) = target {
                        let crossed = w.row(self.featurizer.cross(b, t));
                        for (t, &x) in term[..k].iter_mut().zip(crossed) {
                            *t += v * x;
                        }
                    }
                });
            });
            f(features::sublinear(n), term);
            j += 1;
        }
    }

    /// Raw (uncalibrated) logits of a comment.
    pub fn logits(&self, text: &str, target: Option<&str>, s: &mut HeadScratch) -> Vec<f32> {
        let i = self.logits_into(text, target, s);
        s.heads[i].logits.clone()
    }

    /// Calibrated probabilities of every label for a comment toward `target`.
    pub fn predict(&self, text: &str, target: Option<&str>, s: &mut HeadScratch) -> Vec<f32> {
        let i = self.logits_into(text, target, s);
        let mut p = s.heads[i].logits.clone();
        self.calibration.apply(&mut p);
        p
    }

    /// The `k` n-grams that pushed hardest toward `label` for this comment, with their
    /// contribution to log p(label) (`x_j · (w_j,label − Σ_c p_c w_j,c)`); character
    /// n-grams are credited to the word they are part of.
    pub fn explain(
        &self,
        text: &str,
        target: Option<&str>,
        label: usize,
        k: usize,
        s: &mut HeadScratch,
    ) -> Vec<Reason> {
        if k == 0 {
            return Vec::new();
        }
        let hi = self.logits_into(text, target, s);
        let code = self.target_code(target);
        let HeadScratch { tokens, heads, .. } = s;
        let tokens = tokens.as_slice();
        let head = &mut heads[hi];
        let mut p = head.logits.clone();
        softmax(&mut p);
        // An entry's (or a token's) push toward `label`: linear in its weight row.
        let delta = |row: &[f32]| -> f32 {
            row[label] - row.iter().zip(&p).map(|(a, q)| a * q).sum::<f32>()
        };
        // `vec` holds each kept word n-gram's shared entry, then (for a crossed target)
        // its per-target copy at the same offset in the second half.
        let vec = &head.vec;
        let n_base = if code.is_some() {
            vec.idx.len() / 2
        } else {
            vec.idx.len()
        };
        // Each entry's push, its weights read as scoring read them.
        let mut pushes = Vec::with_capacity(vec.idx.len());
        let rows = self.located_word_rows(&head.features);
        self.linear
            .for_each_entry(rows, &vec.idx, &vec.val, |row, v| {
                pushes.push(v * delta(row))
            });
        let contrib: Vec<f32> = (0..n_base)
            .map(|e| {
                let mut c = pushes[e];
                if n_base < pushes.len() {
                    c += pushes[n_base + e];
                }
                c
            })
            .collect();
        // Each word entry's contribution is shared evenly by its occurrences, and each
        // occurrence credits its span of tokens.
        let mut by_span = SpanScores::new(tokens.len(), self.featurizer.params().word_ngrams.1);
        self.featurizer
            .for_each_kept_word_hit(tokens, &mut head.features, |h, e, n| {
                by_span.add(h.start, h.end, contrib[e] / n as f32)
            });
        // A token's char n-grams push by `a_t delta(s(t)) / norm`, shared evenly by the
        // token's occurrences.
        let n_labels = self.labels.len();
        let mut by_token = Vec::with_capacity(head.char_terms.len() / (n_labels + 2));
        let mut norm = 0.0f32;
        for t in head.char_terms.chunks_exact(n_labels + 2) {
            let (a, term) = (t[0], &t[1..]);
            by_token.push(a * delta(&term[..n_labels]));
            norm += a * a * term[n_labels];
        }
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            for i in 0..tokens.len() {
                if let Some(j) = self.featurizer.char_token_of(&head.features, i) {
                    let (_, n, _) = self
                        .featurizer
                        .char_token(&head.features, j)
                        .expect("a distinct token of the row");
                    by_span.add(i as u32, i as u32 + 1, by_token[j] * inv / n as f32);
                }
            }
        }
        phrase_reasons(tokens, &by_span, k)
    }

    /// Serializes the model to bytes (deterministic: same model, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let nc = self.labels.len();
        // Rows that are all zeros are not written (nor stored once loaded).
        let nonzero = |(_, r): &(u32, &[f32])| r.iter().any(|&x| x != 0.0);
        let idf: Vec<(u32, &[f32])> = self.featurizer.idf().iter().filter(nonzero).collect();
        let w: Vec<(u32, &[f32])> = self.linear.weights.iter().filter(nonzero).collect();
        let header = Header {
            task: self.task.clone(),
            labels: self.labels.clone(),
            targets: self.targets.clone(),
            text: self.text.params().clone(),
            features: self.featurizer.params().clone(),
            calibration: self.calibration,
            card: self.card.clone(),
            n_idf: idf.len() as u64,
            n_weight_rows: w.len() as u64,
            thread_stacker: self.thread_stacker.clone(),
        };
        let json = serde_json::to_vec(&header).expect("header serializes");
        let mut payload = Vec::with_capacity(json.len() + idf.len() * 8 + w.len() * (4 + 4 * nc));
        payload.extend_from_slice(&(json.len() as u64).to_le_bytes());
        payload.extend_from_slice(&json);
        for table in [&idf, &w] {
            for (b, _) in table {
                payload.extend_from_slice(&b.to_le_bytes());
            }
            for x in table.iter().flat_map(|(_, r)| *r) {
                payload.extend_from_slice(&x.to_le_bytes());
            }
        }
        for x in &self.linear.bias {
            payload.extend_from_slice(&x.to_le_bytes());
        }
        let mut out = Vec::with_capacity(PREAMBLE + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        out
    }

    /// Writes the model file atomically, as it is (a `.gz` name does not compress it).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, &self.to_bytes())
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Head> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Head::from_bytes(&bytes, &path.display().to_string())
    }

    /// Parses a model from bytes; `name` is used in error messages.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Head> {
        let bad = |m: String| Error::model(name, m);
        if let Some(kind) = compressed_kind(bytes) {
            return Err(bad(format!(
                "a {kind}-compressed file: model files are read as written; decompress it first"
            )));
        }
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(bad(
                "not a comment-stance model file (wrong magic bytes)".into()
            ));
        }
        if bytes.len() < PREAMBLE {
            return Err(bad(format!(
                "truncated: {} bytes, the header alone is {PREAMBLE}",
                bytes.len()
            )));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version}, but this build of comment-stance reads version {FORMAT_VERSION}{}",
                if version > FORMAT_VERSION {
                    " (the file is from a newer release; upgrade comment-stance)"
                } else {
                    " (the file is from an older release, whose features differ; retrain it with stance-train)"
                }
            )));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let payload = &bytes[PREAMBLE..];
        if len != payload.len() as u64 {
            return Err(bad(format!(
                "truncated or padded: header says {len} payload bytes, file has {}",
                payload.len()
            )));
        }
        if Sha256::digest(payload).as_slice() != &bytes[20..52] {
            return Err(bad("checksum mismatch: the file is corrupt".into()));
        }
        let mut cur = Cursor {
            b: payload,
            pos: 0,
            name,
        };
        let json_len = cur.u64()?;
        let json = cur.take(json_len)?;
        let h: Header =
            serde_json::from_slice(json).map_err(|e| bad(format!("bad header: {e}")))?;
        h.features.check().map_err(|e| bad(e.to_string()))?;
        if let Some(st) = &h.thread_stacker {
            st.check().map_err(|e| bad(e.to_string()))?;
        }
        let nc = h.labels.len();
        if nc < 2 {
            return Err(bad("fewer than two labels".into()));
        }
        let buckets = h.features.buckets();
        if nc > MAX_LABELS {
            return Err(bad(format!("too many labels: {nc} (at most {MAX_LABELS})")));
        }
        let need = h
            .n_idf
            .checked_mul(8)
            .and_then(|a| {
                h.n_weight_rows
                    .checked_mul(4 + 4 * nc as u64)
                    .and_then(|b| a.checked_add(b))
            })
            .and_then(|a| a.checked_add(4 * nc as u64));
        if need != Some(cur.remaining() as u64)
            || h.n_idf > buckets as u64
            || h.n_weight_rows > buckets as u64
        {
            return Err(bad("table sizes do not match the file length".into()));
        }
        // Each table is its bucket ids, then their rows, in ascending bucket order.
        let mut table = |n: u64, width: usize, what: &str| -> Result<BucketTable> {
            let ids = cur.take(n * 4)?;
            let vals: Vec<f32> = cur
                .take(n * 4 * width as u64)?
                .chunks_exact(4)
                .map(|v| f32::from_le_bytes(v.try_into().expect("4")))
                .collect();
            let ids = ids
                .chunks_exact(4)
                .map(|i| u32::from_le_bytes(i.try_into().expect("4")));
            BucketTable::from_rows(buckets, width, ids.zip(vals.chunks_exact(width)))
                .map_err(|e| bad(format!("{what} table: {e}")))
        };
        let idf = table(h.n_idf, 1, "idf")?;
        let weights = table(h.n_weight_rows, nc, "weight")?;
        let bias = cur
            .take(4 * nc as u64)?
            .chunks_exact(4)
            .map(|v| f32::from_le_bytes(v.try_into().expect("4")))
            .collect();
        let featurizer = Featurizer::from_parts(h.features, idf).map_err(|e| bad(e.to_string()))?;
        let linear = SparseSoftmax {
            weights,
            bias,
            n_classes: nc,
            converged: h.card.converged,
            iterations: h.card.iterations,
        };
        let mut model = Head::new(
            h.task,
            h.labels,
            h.targets,
            h.text,
            featurizer,
            linear,
            h.calibration,
            h.card,
        );
        model.thread_stacker = h.thread_stacker;
        Ok(model)
    }
}

/// Contribution credited to each span of tokens `[start, start + len)` with
/// `1 <= len <= max_len` (the n-grams' spans: word n-grams, and the word a char n-gram is in).
struct SpanScores {
    max_len: usize,
    n_tokens: usize,
    /// `start * max_len + (len - 1)` → contribution.
    score: Vec<f32>,
}

impl SpanScores {
    fn new(n_tokens: usize, max_word_ngram: usize) -> Self {
        let max_len = max_word_ngram.max(1);
        let n_tokens = n_tokens.min(features::MAX_TOKENS);
        SpanScores {
            max_len,
            n_tokens,
            score: vec![0.0; n_tokens * max_len],
        }
    }

    fn add(&mut self, start: u32, end: u32, v: f32) {
        let (a, len) = (start as usize, (end - start) as usize);
        if a < self.n_tokens && (1..=self.max_len).contains(&len) {
            self.score[a * self.max_len + len - 1] += v;
        }
    }

    /// Sum over the spans inside `[i, j)`, in order of start, then length (from `-0.0`,
    /// as `Iterator::sum` adds).
    fn within(&self, i: usize, j: usize) -> f32 {
        (i..j).fold(-0.0, |sum, a| self.add_row(sum, a, j - a))
    }

    /// `[within(i, i + 1), within(i, i + 2), within(i, i + 3)]` (the last ones only
    /// while inside the row; 0 past it), each added up in [`SpanScores::within`]'s
    /// order, without its loops.
    fn within_from(&self, i: usize) -> [f32; 3] {
        let n = self.n_tokens;
        let one = self.add_row(-0.0, i, 1);
        let two = if i + 2 <= n {
            self.add_row(self.add_row(-0.0, i, 2), i + 1, 1)
        } else {
            0.0
        };
        let three = if i + 3 <= n {
            let head = self.add_row(self.add_row(-0.0, i, 3), i + 1, 2);
            self.add_row(head, i + 2, 1)
        } else {
            0.0
        };
        [one, two, three]
    }

    /// `sum` plus the spans starting at token `a` of lengths up to `len`, in order.
    #[inline]
    fn add_row(&self, sum: f32, a: usize, len: usize) -> f32 {
        let row = &self.score[a * self.max_len..(a + 1) * self.max_len];
        row[..self.max_len.min(len)]
            .iter()
            .fold(sum, |sum, &v| sum + v)
    }
}

/// A candidate phrase (start, end, score), ordered so that the greatest is the best:
/// highest score, then the earliest span.
struct Candidate((usize, usize, f32));

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let ((i, j, v), (p, q, w)) = (self.0, other.0);
        v.total_cmp(&w).then((p, q).cmp(&(i, j)))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Candidate {}

/// Turns per-n-gram contributions into at most `k` readable phrases: every span of
/// 1-3 word tokens (no punctuation) is scored by the contributions of the n-grams
/// inside it; the best non-overlapping spans are taken, then trimmed at the edges while
/// they keep 90% of their score, so a phrase is as short as its evidence.
fn phrase_reasons(tokens: &[String], spans: &SpanScores, k: usize) -> Vec<Reason> {
    let n = spans.n_tokens;
    let score = |i: usize, j: usize| spans.within(i, j);
    let wordy: Vec<bool> = tokens[..n]
        .iter()
        .map(|t| t.chars().any(|c| c.is_alphanumeric()))
        .collect();
    // Best first, ties broken by position (a total order); the walk stops after `k`
    // phrases, and only positive scores can be taken, so a heap of those (built in
    // linear time from all of them at once) hands out the few candidates the walk
    // reads instead of sorting them all.
    let mut candidates = Vec::with_capacity(3 * n);
    for i in (0..n).filter(|&i| wordy[i]) {
        let sums = spans.within_from(i);
        for j in (i + 1..=(i + 3).min(n)).take_while(|&j| wordy[j - 1]) {
            let v = sums[j - i - 1];
            if v > 0.0 {
                candidates.push(Candidate((i, j, v)));
            }
        }
    }
    let mut heap = std::collections::BinaryHeap::from(candidates);
    let mut chosen: Vec<(usize, usize, f32)> = Vec::with_capacity(k);
    while let Some(Candidate((mut i, mut j, mut v))) = heap.pop() {
        if chosen.len() >= k {
            break;
        }
        if chosen.iter().any(|&(c, d, _)| i < d && c < j) {
            continue;
        }
        while j - i > 1 {
            let (l, r) = (score(i + 1, j), score(i, j - 1));
            if l >= r && l >= 0.9 * v {
                i += 1;
                v = l;
            } else if r >= 0.9 * v {
                j -= 1;
                v = r;
            } else {
                break;
            }
        }
        chosen.push((i, j, v));
    }
    let mut reasons: Vec<Reason> = Vec::with_capacity(chosen.len());
    for (i, j, weight) in chosen {
        let ngram = tokens[i..j].join(" ");
        match reasons.iter_mut().find(|r| r.ngram == ngram) {
            Some(r) => r.weight += weight,
            None => reasons.push(Reason { ngram, weight }),
        }
    }
    reasons.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.ngram.cmp(&b.ngram))
    });
    reasons
}

/// The compression a file's first bytes announce (gzip or Zstandard), if any.
fn compressed_kind(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("Zstandard"),
        _ => None,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    name: &'a str,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(Error::model(
                self.name,
                "truncated: a table runs past the end of the file",
            ));
        }
        let s = &self.b[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The sum over the spans inside `[i, j)` written out: in order of start, then
    /// length, from `-0.0`.
    fn within_by_hand(s: &SpanScores, i: usize, j: usize) -> f32 {
        let mut sum = -0.0f32;
        for a in i..j {
            for len in 1..=s.max_len.min(j - a) {
                sum += s.score[a * s.max_len + len - 1];
            }
        }
        sum
    }

    proptest! {
        #[test]
        fn span_sums_add_up_in_the_same_order_bit_for_bit(
            scores in prop::collection::vec(prop_oneof![Just(-0.0f32), Just(0.0f32), -3.0f32..3.0], 0..60),
            max_len in 1usize..5,
        ) {
            let n = scores.len() / max_len;
            let spans = SpanScores { max_len, n_tokens: n, score: scores[..n * max_len].to_vec() };
            for i in 0..n {
                for j in i..=n.min(i + 4) {
                    prop_assert_eq!(spans.within(i, j).to_bits(), within_by_hand(&spans, i, j).to_bits());
                }
                for (d, got) in spans.within_from(i).into_iter().enumerate() {
                    let j = i + d + 1;
                    let want = if j <= n { within_by_hand(&spans, i, j) } else { 0.0 };
                    prop_assert_eq!(got.to_bits(), want.to_bits(), "i {} j {}", i, j);
                }
            }
        }
    }
}
