//! Scoring one comment: its logits and calibrated probabilities, with the one-row cache
//! of [`HeadScratch`] and the memo of each token's character term.

use super::scratch::{HeadCache, HeadScratch, MAX_CACHED_HEADS};
use super::token_memo::TokenMemos;
use super::{Head, MAX_LABELS};
use crate::features::{self, CharNgrams::ByToken};
use crate::text::target_words::TargetWords;

impl Head {
    /// Calibrated probabilities for a reply given its parent's text (pair heads).
    pub fn predict_pair(&self, text: &str, parent: &str, s: &mut HeadScratch) -> Vec<f32> {
        s.parent = Some(parent.to_string());
        let p = self.predict(text, None, s);
        s.parent = None;
        p
    }

    /// Raw logits of a comment toward `target`, into the scratch; returns the index of
    /// the head cache entry that holds them.
    pub(super) fn logits_into(
        &self,
        text: &str,
        target: Option<&str>,
        s: &mut HeadScratch,
    ) -> usize {
        let params = self.text.params();
        // Pair heads read the parent too: never served from the one-row cache.
        if self.is_pair()
            || !s
                .cached_params
                .as_ref()
                .is_some_and(|c| c.same_tokens(params))
            || s.cached_text != text
        {
            for h in &mut s.heads {
                h.key = None;
            }
            s.cached_params = None;
            s.masked_for = 0;
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
        let masked = self.mask_tokens(target, s);
        let key = Some((self.id, self.target_code(target), masked));
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
            masked: masked_tokens,
            heads,
            memos,
            ..
        } = s;
        let tokens = if masked != 0 {
            masked_tokens.as_slice()
        } else {
            tokens.as_slice()
        };
        let h = &mut heads[i];
        self.featurizer
            .transform(tokens, target, ByToken, &mut h.features, &mut h.vec);
        h.logits.clear();
        h.logits.resize(self.labels.len(), 0.0);
        let rows = self.located_word_rows(&h.features);
        match self.adapted_table(target) {
            // A target adapted on frozen weights: its crossed copies (the second half)
            // read its own table.
            Some(own) => {
                let half = h.vec.idx.len() / 2;
                let (idx, val) = (&h.vec.idx, &h.vec.val);
                self.linear
                    .logits_located(rows, &idx[..half], &val[..half], &mut h.logits);
                for (&b, &v) in idx[half..].iter().zip(&val[half..]) {
                    for (l, &x) in h.logits.iter_mut().zip(own.row(b)) {
                        *l += v * x;
                    }
                }
            }
            None => self
                .linear
                .logits_located(rows, &h.vec.idx, &h.vec.val, &mut h.logits),
        }
        self.add_char_part(tokens, target, h, memos);
        h.key = key;
        i
    }

    /// For a head that reads comments with the target masked (not a pair head, as in
    /// [`TextPipeline::row_tokens`]), and a target with content words: the cached tokens
    /// masked into the scratch's `masked` (once per text and target) and the target's
    /// hash (part of the cache key); else 0.
    ///
    /// [`TextPipeline::row_tokens`]: crate::text::TextPipeline::row_tokens
    fn mask_tokens(&self, target: Option<&str>, s: &mut HeadScratch) -> u64 {
        let masks = self.text.params().mask_target && !self.is_pair();
        let Some(target) = target.filter(|_| masks) else {
            return 0;
        };
        // Kept for the next row, which is usually toward the same target.
        if s.mask.as_ref().is_none_or(|(t, _, _)| t != target) {
            s.mask = Some((
                target.to_string(),
                features::target_hash(target),
                TargetWords::new(target),
            ));
        }
        let (_, hash, words) = s.mask.as_ref().expect("set above");
        if words.is_empty() {
            return 0;
        }
        if s.masked_for != *hash {
            words.mask_into(s.tokens.as_slice(), &mut s.masked);
            s.masked_for = *hash;
        }
        *hash
    }

    /// Adds the char part of the logits, `Σ_t a_t s(t) / sqrt(Σ_t a_t² q(t))` over the
    /// row's distinct tokens `t` ([`Head::for_each_char_term`]).
    pub(super) fn add_char_part(
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
    /// featurized into `features` by [`Featurizer::transform`] (by token), in order, where
    /// `a_t = 1 + ln n_t` (`n_t`: its occurrences) and `term` is the token's term in the
    /// char part of the logits:
    /// `s(t)_c = Σ_f φ(t)_f (σ w_f,c + w_cross(f),c)` for each label `c` (`σ`: the shared
    /// copy's scale; the crossed copy only toward a known target), then `q(t) = |φ(t)|²`
    /// ([`Featurizer::transform`] defines `φ`). The char part of the logits is
    /// `Σ_t a_t s(t) / sqrt(Σ_t a_t² q(t))`, the same sum as the char entries of
    /// [`Featurizer::transform`] give, grouped by token. Terms come from the memo of
    /// this (model, target), or are computed and memoized.
    pub(super) fn for_each_char_term(
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
        let crossed_w = self.adapted_table(target).unwrap_or(w);
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
                        let crossed = crossed_w.row(self.featurizer.cross(b, t));
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
}
