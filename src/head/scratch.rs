//! The per-thread buffers a head predicts with, which are also a one-row cache: the
//! tokens of the last text and, per (head, target) scored on it, the features and
//! logits, so several heads with the same text settings normalize a comment once and an
//! explanation does not redo the prediction it explains.

use super::token_memo::{memo_tokens_for, TokenMemos};
use crate::features::{FeatureScratch, SparseVec};
use crate::text::target_words::TargetWords;
use crate::text::{TextParams, Tokens};

/// Reusable per-thread buffers for prediction.
///
/// Also a one-row cache: the tokens of the last text (per text settings) and, for each
/// (model, target) scored on it, the features and logits, so that several heads with
/// the same text settings normalize a comment once, and explaining any prediction made
/// on the row (by `--explain` or by the policy) does not redo it.
#[derive(Debug, Default)]
pub struct HeadScratch {
    /// Parent text for pair heads (set by [`Head::predict_pair`]).
    pub(super) parent: Option<String>,
    pub(super) tokens: Tokens,
    /// The text `tokens` were cut from, and the settings used.
    pub(super) cached_text: String,
    pub(super) cached_params: Option<TextParams>,
    /// Heads that read comments with the target masked: the cached tokens with the
    /// words of the target of hash `masked_for` masked (0: none yet for this text).
    pub(super) masked: Tokens,
    pub(super) masked_for: u64,
    /// The target whose words were last looked up (its string, its hash, its words).
    pub(super) mask: Option<(String, u64, TargetWords)>,
    /// One entry per (model, target) scored on the cached text (at most
    /// [`MAX_CACHED_HEADS`]; buffers are kept when the text changes).
    pub(super) heads: Vec<HeadCache>,
    /// Per (model id, target code): each token's term in the char part of the logits.
    pub(super) memos: TokenMemos,
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
    /// ([`memo_tokens_for`]); they start over when that changes.
    pub fn size_memos_for(&mut self, heads: usize) {
        self.memos.set_capacity(memo_tokens_for(heads));
    }
}

/// How many (model, target) results the one-row cache keeps.
pub(super) const MAX_CACHED_HEADS: usize = 8;

/// Features and logits of one (model, target) on the cached text.
#[derive(Debug, Default)]
pub(super) struct HeadCache {
    /// (model id, target code, hash of the masked target or 0) the buffers belong to;
    /// `None` = free.
    pub(super) key: Option<(u64, Option<u64>, u64)>,
    pub(super) features: FeatureScratch,
    pub(super) vec: SparseVec,
    pub(super) logits: Vec<f32>,
    /// Per distinct token with char n-grams, in order: `a_t`, then its term `s(t)`,
    /// `q(t)` ([`Head::for_each_char_term`]), for the explanation to read back.
    pub(super) char_terms: Vec<f32>,
}
