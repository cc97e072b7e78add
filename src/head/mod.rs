//! The fitted head: text stage + features + linear model + calibration, and its file.
//!
//! Owns [`Head`] (one task, e.g. `stance` or `offensive`): prediction of calibrated
//! probabilities for a comment toward a target, explanations in readable n-grams, and
//! the self-contained model file (magic, format version, SHA-256 of the payload, a JSON
//! header with every parameter and the model card, then the sparse IDF and weight
//! tables). Loading checks every size field against the bytes actually present before
//! allocating, so a damaged file is a clear error, never a crash or a huge allocation.
//!
//! Files: [`built_in`] (the compiled-in default heads), `card` (the model card),
//! `file` (the model file), `scratch` (per-thread
//! buffers and the one-row cache), `predict` (the scoring hot path), `explain`,
//! [`token_memo`] (each thread's memo of a token's character term), [`target_match`]
//! (which trained target a free-text target or an article names). Imports from the
//! crate: `error`, `io` (file records), `text`, `features`, `model`.

pub mod built_in;
mod card;
mod explain;
mod file;
mod predict;
mod scratch;
pub mod target_match;
pub mod token_memo;

use crate::features::bucket_table::{BucketTable, RowAt};
use crate::features::{self, CharNgrams::Entries, Featurizer, SparseVec};
use crate::model::calibrate::Calibration;
use crate::model::linear::SparseSoftmax;
use crate::model::stack::Stacker;
use crate::text::{TextParams, TextPipeline};

pub use card::{
    CalibrationReport, ClassWeighting, FrozenFit, Lineage, ModelCard, ScoredSetting, Selection,
    SelectionReport,
};
pub use explain::Reason;
pub use file::{FORMAT_VERSION, MAGIC};
pub use scratch::{with_thread_scratch, HeadScratch};

/// Most labels a model file may have.
const MAX_LABELS: usize = 256;

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
    /// The crossed weights of targets adapted on frozen weights
    /// (`crate::train::adapt`), read instead of the main table for those targets'
    /// crossed copies: their target hashes and the table.
    adapted: Option<(Vec<u64>, BucketTable)>,
    /// Unique in the process (keys the [`HeadScratch`] cache).
    id: u64,
}

/// Where a stance head's answer toward a target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The target's own (crossed) weights, learned from its training data.
    Trained,
    /// The target's crossed weights, learned from labels added by a retraining
    /// (`stance-train --base`): a new target adapted with a few labels.
    Adapted,
    /// No weights of its own (a target never seen in training, or none given): the
    /// target-general (shared) weights alone.
    Generic,
}

impl Basis {
    /// The name printed in outputs (`stance_basis`).
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Trained => "trained",
            Basis::Adapted => "adapted",
            Basis::Generic => "generic",
        }
    }
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
            adapted: None,
            id: NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Whether the IDF and weight tables share one store (then a bucket located in
    /// one is read in the other without ranking it again).
    pub(super) fn shared_store(&self) -> bool {
        self.featurizer.idf().shares_store(&self.linear.weights)
    }

    /// Where the word entries' rows are in the weights' store, when scoring found them
    /// with their IDF (one store); the rest are looked up ([`SparseSoftmax::logits_located`]).
    pub(super) fn located_word_rows<'a>(
        &self,
        features: &'a features::FeatureScratch,
    ) -> &'a [RowAt] {
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

    /// Attaches the crossed weights of the targets adapted on frozen weights (the
    /// card's `lineage.frozen_fits`); the table has one row per crossed bucket.
    pub fn set_adapted_weights(&mut self, weights: BucketTable) {
        let codes = self
            .card
            .lineage
            .as_ref()
            .map(|l| {
                l.frozen_fits
                    .iter()
                    .filter(|f| f.c > 0.0)
                    .map(|f| features::target_hash(&f.target))
                    .collect()
            })
            .unwrap_or_default();
        self.adapted = Some((codes, weights));
    }

    /// The crossed weights of the targets adapted on frozen weights, if any.
    pub fn adapted_weights(&self) -> Option<&BucketTable> {
        self.adapted.as_ref().map(|(_, t)| t)
    }

    /// The table of its own that the crossed copy toward the target of hash `code`
    /// reads when that target was adapted on frozen weights; `None` for every other
    /// target (their crossed copies read the main weights).
    pub(super) fn adapted_table(&self, code: Option<u64>) -> Option<&BucketTable> {
        match (&self.adapted, code) {
            (Some((codes, t)), Some(c)) if codes.contains(&c) => Some(t),
            _ => None,
        }
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

    /// The trained target that `given` (a free-text target) or `article` (headline, then
    /// body) names, when it is not `given` itself ([`target_match::named_target`]); only
    /// for heads that cross targets.
    pub fn named_target(&self, given: Option<&str>, article: Option<&str>) -> Option<&str> {
        if !self.featurizer.params().cross_target || given.is_some_and(|t| self.knows_target(t)) {
            return None;
        }
        target_match::named_target(&self.targets, given, article).map(|i| self.targets[i].as_str())
    }

    /// Where this head's answer toward `target` comes from, for heads that cross
    /// targets (stance); `None` for the others.
    pub fn basis(&self, target: Option<&str>) -> Option<Basis> {
        if !self.featurizer.params().cross_target {
            return None;
        }
        let Some(t) = target.filter(|t| self.knows_target(t)) else {
            return Some(Basis::Generic);
        };
        let key = target_key(t);
        let adapted = self
            .card
            .lineage
            .as_ref()
            .is_some_and(|l| l.adapted_targets.iter().any(|a| target_key(a) == key));
        Some(if adapted {
            Basis::Adapted
        } else {
            Basis::Trained
        })
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
            .transform(tokens, self.target_code(target), Entries, s, out);
    }

    /// Whether this head reads a reply with its parent (a reply-relation head).
    pub fn is_pair(&self) -> bool {
        self.text.params().pair
    }

    /// Tokens of a row toward `target` as this head reads it (pair heads read the parent
    /// too; heads that mask the target read its words as one placeholder).
    pub fn row_tokens(
        &self,
        text: &str,
        parent: Option<&str>,
        target: Option<&str>,
    ) -> Vec<String> {
        self.text.row_tokens(text, parent, target)
    }
}
