//! Tokens to a TF-IDF vector ([`Featurizer::transform`]), and the pieces scoring and
//! explanations read instead: word entries, a token's character part, the word n-gram
//! hits that were kept.

use super::bucket_table::RowAt;
use super::counts::{CountTable, DistinctTokens, NO_SLOT, ROW_TABLE, TOKEN_TABLE};
use super::ngrams::{
    hit_key, token_char_ngrams, word_ngrams, word_ngrams_of_hashes, Group, NgramBuffers, NgramHit,
    BUCKET_MASK,
};
use super::{Featurizer, SparseVec, MAX_TOKENS};

/// Per-thread reusable buffers, so featurizing a row allocates nothing once warm.
#[derive(Debug, Default)]
pub struct FeatureScratch {
    pub(super) ngrams: NgramBuffers,
    pub(super) counts: CountTable,
    /// The bucket of each word n-gram occurrence, in walk order.
    pub(super) occurrence_buckets: Vec<u32>,
    /// Where each distinct word n-gram's IDF row is (`counts.live`).
    pub(super) idf_rows: Vec<RowAt>,
    /// Where the IDF row of each word entry of the row's vector is (entry order).
    pub(super) word_rows: Vec<RowAt>,
    /// The count-table slot of each word n-gram occurrence, in walk order, so that an
    /// explanation walks them without hashing again; valid while `counts.mask` is
    /// `hits_mask` (the table has not grown since).
    pub(super) hit_slots: Vec<u32>,
    pub(super) hits_mask: usize,
    /// The char n-grams of one token.
    pub(super) token_counts: CountTable,
    /// The row's distinct tokens with char n-grams.
    pub(super) distinct: DistinctTokens,
}

/// Sublinear term frequency: 1 + ln(count).
#[inline]
pub fn sublinear(count: u32) -> f32 {
    match count {
        1 => 1.0,
        c => 1.0 + libm::logf(c as f32),
    }
}

/// L2-normalizes `out.val[begin..]` given its squared norm (a no-op for 0).
pub(super) fn normalize_from(out: &mut SparseVec, begin: usize, norm: f32) {
    if norm > 0.0 {
        let inv = 1.0 / norm.sqrt();
        for v in &mut out.val[begin..] {
            *v *= inv;
        }
    }
}

/// How [`Featurizer::transform`] gives a row's character n-grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharNgrams {
    /// As entries of the vector.
    Entries,
    /// By distinct token, for the caller to add up each token's (memoized) term.
    ByToken,
}

impl Featurizer {
    /// Turns tokens into a TF-IDF vector, plus a crossed copy of every feature for
    /// `target_hash` when given.
    ///
    /// - Word n-grams: sublinear tf (1 + ln count) × IDF over the row, L2-normalized.
    /// - Char n-grams are read word by word, as subword vectors: each distinct token `t`
    ///   has a vector `φ(t)` over its own char n-grams (sublinear tf within the token ×
    ///   IDF); the row's char part is `Σ_t (1 + ln n_t) φ(t)` (`n_t`: occurrences of `t`),
    ///   divided by `sqrt(Σ_t (1 + ln n_t)² |φ(t)|²)` (the L2 norm when no two distinct
    ///   tokens share an n-gram). So the char part of a linear score is a sum of
    ///   per-token terms, which scoring memoizes ([`Featurizer::token_char_part`]).
    ///
    /// Entries come word n-grams first, then char n-grams, each in order of first
    /// occurrence (a deterministic order, whatever the thread count); the crossed copies
    /// follow in the same order. With [`CharNgrams::ByToken`] the char n-grams get no
    /// entries: the row's distinct tokens with char n-grams are noted instead, for
    /// [`Featurizer::char_token`], and the caller adds up their terms itself (scoring).
    pub fn transform(
        &self,
        tokens: &[impl AsRef<str>],
        target: Option<u64>,
        chars: CharNgrams,
        scratch: &mut FeatureScratch,
        out: &mut SparseVec,
    ) {
        let tokens = &tokens[..tokens.len().min(MAX_TOKENS)];
        self.word_entries(tokens, scratch, out);
        match chars {
            CharNgrams::Entries => self.char_entries(tokens, scratch, out),
            CharNgrams::ByToken if self.params.char_ngrams.0 > 0 => {
                scratch.distinct.find(tokens, &scratch.ngrams.token_hashes)
            }
            CharNgrams::ByToken => scratch.distinct.tokens.clear(),
        }
        self.cross_and_scale(target, out);
    }

    /// Distinct token `j` with char n-grams of the row last given to
    /// [`Featurizer::transform`] with [`CharNgrams::ByToken`] (in order of first occurrence): (token index,
    /// occurrences, hash of the token); `None` past the last.
    pub fn char_token(&self, scratch: &FeatureScratch, j: usize) -> Option<(usize, u32, u64)> {
        let &(ti, n) = scratch.distinct.tokens.get(j)?;
        Some((ti as usize, n, scratch.ngrams.token_hashes[ti as usize]))
    }

    /// Which distinct token (`j` of [`Featurizer::char_token`]) token `i` of the row is;
    /// `None` for a token without char n-grams (or past the [`MAX_TOKENS`] cap).
    pub fn char_token_of(&self, scratch: &FeatureScratch, i: usize) -> Option<usize> {
        match scratch.distinct.of_token.get(i) {
            Some(&j) if j != u32::MAX => Some(j as usize),
            _ => None,
        }
    }

    /// The row's word entries into `out` (cleared first), L2-normalized; leaves the
    /// row's count table holding the word n-grams and the token hashes in `scratch`.
    pub(super) fn word_entries(
        &self,
        tokens: &[impl AsRef<str>],
        scratch: &mut FeatureScratch,
        out: &mut SparseVec,
    ) {
        out.clear();
        let FeatureScratch {
            ngrams,
            counts,
            occurrence_buckets,
            idf_rows,
            word_rows,
            hit_slots,
            hits_mask,
            ..
        } = scratch;
        // Room for every word n-gram of the row at most half full: no growing.
        let (lo, hi) = self.params.word_ngrams;
        let hits = tokens.len() * (hi + 1).saturating_sub(lo.max(1));
        counts.reset((2 * hits).next_power_of_two().max(ROW_TABLE));
        hit_slots.clear();
        idf_rows.clear();
        // Only n-grams with a stored IDF row can have an entry: the others (most word
        // trigrams, dropped by `min_df` or never seen) are not counted at all, which
        // leaves the kept ones' counts and order as they were.
        // The look-ups miss the cache more often than not: every occurrence's bitmap
        // block is asked for while hashing, every kept n-gram's row while counting, so
        // that the misses overlap instead of each stalling the loop that needs it.
        occurrence_buckets.clear();
        word_ngrams(&self.params, tokens, &mut ngrams.token_hashes, |h| {
            self.idf.prefetch_block(h.bucket);
            occurrence_buckets.push(h.bucket);
        });
        for &bucket in occurrence_buckets.iter() {
            let Some(at) = self.idf.locate_present(bucket) else {
                hit_slots.push(NO_SLOT);
                continue;
            };
            let (slot, new) = counts.add_n(hit_key(Group::Word, bucket), 1);
            if new {
                // Where its IDF (and a shared store's weights) is, in `counts.live` order.
                self.idf.prefetch_row(at);
                idf_rows.push(at);
            }
            hit_slots.push(slot as u32);
        }
        *hits_mask = counts.mask;
        word_rows.clear();
        let mut norm = 0.0f32;
        for (&i, &at) in counts.live.iter().zip(idf_rows.iter()) {
            let idf = self.idf.row_at(at)[0];
            if idf <= 0.0 {
                continue;
            }
            let slot = &mut counts.slots[i as usize];
            let v = sublinear(slot.count) * idf;
            norm += v * v;
            slot.pos = out.idx.len() as u32;
            out.idx.push(slot.key & BUCKET_MASK);
            out.val.push(v);
            word_rows.push(at);
        }
        normalize_from(out, 0, norm);
    }

    /// Appends the row's char entries (after [`Featurizer::word_entries`]); the row's
    /// count table merges an n-gram that several tokens share into one entry.
    pub(super) fn char_entries(
        &self,
        tokens: &[impl AsRef<str>],
        scratch: &mut FeatureScratch,
        out: &mut SparseVec,
    ) {
        if self.params.char_ngrams.0 == 0 {
            return;
        }
        let FeatureScratch {
            ngrams,
            counts,
            token_counts,
            distinct,
            ..
        } = scratch;
        let begin = out.idx.len();
        let mut norm = 0.0f32;
        distinct.find(tokens, &ngrams.token_hashes);
        for &(ti, n) in &distinct.tokens {
            let a = sublinear(n);
            let q = self.token_char_entries(
                tokens[ti as usize].as_ref(),
                ngrams,
                token_counts,
                |b, _, c, v| {
                    let (i, new) = counts.add_n(hit_key(Group::Char, b), c * n);
                    let slot = &mut counts.slots[i];
                    if new {
                        slot.pos = out.idx.len() as u32;
                        out.idx.push(b);
                        out.val.push(a * v);
                    } else {
                        out.val[slot.pos as usize] += a * v;
                    }
                },
            );
            norm += a * a * q;
        }
        normalize_from(out, begin, norm);
    }

    /// Adds the crossed copy of every entry for `target`, and scales the shared copy.
    pub(super) fn cross_and_scale(&self, target: Option<u64>, out: &mut SparseVec) {
        if let Some(t) = target {
            let n = out.idx.len();
            for k in 0..n {
                out.idx.push(self.cross(out.idx[k], t));
                out.val.push(out.val[k]);
            }
        }
        if self.params.cross_target && self.params.shared_weight != 1.0 {
            let n = if target.is_some() {
                out.idx.len() / 2
            } else {
                out.idx.len()
            };
            for v in &mut out.val[..n] {
                *v *= self.params.shared_weight;
            }
        }
    }

    /// One token's char n-grams as scoring needs them: calls `emit(bucket, at, v)` for
    /// each kept one (`at`: where its IDF row is, [`super::bucket_table::BucketTable::locate`];
    /// `v = (1 + ln count) × idf`, count within the token), and returns
    /// `|φ(t)|² = Σ v²`. The row's char part is `Σ_t (1 + ln n_t) φ(t)` over
    /// `sqrt(Σ_t (1 + ln n_t)² |φ(t)|²)` (see [`Featurizer::transform`]).
    pub fn token_char_part(
        &self,
        tok: &str,
        scratch: &mut FeatureScratch,
        mut emit: impl FnMut(u32, RowAt, f32),
    ) -> f32 {
        let FeatureScratch {
            ngrams,
            token_counts,
            ..
        } = scratch;
        self.token_char_entries(tok, ngrams, token_counts, |b, at, _, v| emit(b, at, v))
    }

    /// Where the IDF row of each word entry of the vector last made by
    /// [`Featurizer::transform`] with [`CharNgrams::ByToken`] with `scratch` is, in entry order (the shared
    /// copies; crossed ones have their own buckets).
    pub fn word_rows<'a>(&self, scratch: &'a FeatureScratch) -> &'a [RowAt] {
        &scratch.word_rows
    }

    /// The kept char n-grams of one token: calls `emit(bucket, at, count, v)` for each,
    /// in order of first occurrence, with `at` where its IDF row is and
    /// `v = (1 + ln count) × idf`; returns `Σ v²`.
    pub(super) fn token_char_entries(
        &self,
        tok: &str,
        ngrams: &mut NgramBuffers,
        table: &mut CountTable,
        mut emit: impl FnMut(u32, RowAt, u32, f32),
    ) -> f32 {
        table.reset(TOKEN_TABLE);
        token_char_ngrams(
            &self.params,
            tok,
            0, // the token index only labels hits, unused here
            &mut ngrams.padded,
            &mut ngrams.char_starts,
            |h| {
                self.idf.prefetch_block(h.bucket);
                table.add(h.bucket)
            },
        );
        // Every row is asked for before the first is read, so their cache misses overlap.
        let rows = &mut ngrams.char_rows;
        rows.clear();
        rows.extend(table.live.iter().map(|&i| {
            let at = self.idf.locate_present(table.slots[i as usize].key);
            if let Some(at) = at {
                self.idf.prefetch_row(at);
            }
            at
        }));
        let mut q = 0.0f32;
        for (&i, &at) in table.live.iter().zip(rows.iter()) {
            let Some(at) = at else { continue };
            let s = &table.slots[i as usize];
            let idf = self.idf.row_at(at)[0];
            if idf > 0.0 {
                let v = sublinear(s.count) * idf;
                q += v * v;
                emit(s.key, at, s.count, v);
            }
        }
        q
    }

    /// Walks the word n-gram occurrences of the row last given to
    /// [`Featurizer::transform`] or [`Featurizer::transform`] with [`CharNgrams::ByToken`] with this scratch
    /// (`tokens` must be the same) whose bucket was kept, calling
    /// `f(hit, entry, occurrences)`: `entry` is the position of the n-gram's entry in
    /// the vector (of its shared copy, when crossed), `occurrences` how many hits share it.
    pub fn for_each_kept_word_hit(
        &self,
        tokens: &[impl AsRef<str>],
        scratch: &mut FeatureScratch,
        mut f: impl FnMut(NgramHit, usize, u32),
    ) {
        let FeatureScratch {
            ngrams,
            counts,
            hit_slots,
            hits_mask,
            ..
        } = scratch;
        // The row's token hashes are still those of its last transform.
        debug_assert_eq!(ngrams.token_hashes.len(), tokens.len().min(MAX_TOKENS));
        let (lo, hi) = self.params.word_ngrams;
        if lo == 0 {
            return; // No word n-grams.
        }
        if counts.mask == *hits_mask {
            // The occurrences' slots, in the walk's order (start, then length).
            let n_tokens = ngrams.token_hashes.len();
            let mut slots = hit_slots.iter();
            for start in 0..n_tokens {
                for n in lo..=hi.min(n_tokens - start) {
                    let &i = slots.next().expect("one slot per occurrence");
                    if i == NO_SLOT {
                        continue; // No IDF row: never counted.
                    }
                    let s = &counts.slots[i as usize];
                    if s.pos != u32::MAX {
                        let hit = NgramHit {
                            bucket: s.key & BUCKET_MASK,
                            group: Group::Word,
                            start: start as u32,
                            end: (start + n) as u32,
                        };
                        f(hit, s.pos as usize, s.count);
                    }
                }
            }
            debug_assert!(slots.next().is_none());
            return;
        }
        // The table grew after the words (char n-grams of a full transform): find them.
        word_ngrams_of_hashes(&self.params, &ngrams.token_hashes, |h| {
            if let Some(s) = counts.get(hit_key(h.group, h.bucket)) {
                if s.pos != u32::MAX {
                    f(h, s.pos as usize, s.count);
                }
            }
        });
    }
}
