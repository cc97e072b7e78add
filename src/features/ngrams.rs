//! Walking the n-grams of a row: word n-grams built from token hashes, and each token's
//! character n-grams (padded with a space on each side), as hits of a bucket.

use super::bucket_table::RowAt;
use super::hashing::{hash_bytes, mix, CHAR_SEED, FNV_PRIME, WORD_SEED};
use super::{FeatureParams, MAX_CHAR_NGRAM_TOKEN, MAX_TOKENS};
use crate::text::{NUMBER_TOKEN, URL_TOKEN, USER_TOKEN};

/// Which group an n-gram belongs to; each group is L2-normalized on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Word n-gram.
    Word,
    /// Character n-gram.
    Char,
}

/// One n-gram occurrence: its bucket, its group and the tokens it spans.
#[derive(Debug, Clone, Copy)]
pub struct NgramHit {
    /// Hash bucket.
    pub bucket: u32,
    /// Word or char group.
    pub group: Group,
    /// First token index.
    pub start: u32,
    /// One past the last token index.
    pub end: u32,
}

/// Packs a hit's group and bucket into one key.
#[inline]
pub(super) fn hit_key(group: Group, bucket: u32) -> u32 {
    ((group as u32) << 30) | bucket
}

/// The bucket bits of a key.
pub(super) const BUCKET_MASK: u32 = (1 << 30) - 1;

/// Buffers of [`for_each_ngram`].
#[derive(Debug, Default)]
pub(super) struct NgramBuffers {
    pub(super) token_hashes: Vec<u64>,
    /// Where the IDF row of each of one token's char n-grams is (its table's order).
    pub(super) char_rows: Vec<Option<RowAt>>,
    pub(super) padded: Vec<u8>,
    pub(super) char_starts: Vec<usize>,
}

impl NgramBuffers {
    pub(super) fn walk(
        &mut self,
        params: &FeatureParams,
        tokens: &[impl AsRef<str>],
        emit: impl FnMut(NgramHit),
    ) {
        for_each_ngram(
            params,
            tokens,
            &mut self.token_hashes,
            &mut self.padded,
            &mut self.char_starts,
            emit,
        );
    }
}

/// Walks every n-gram of `tokens` and calls `emit` with it: all word n-grams (in order
/// of start, then length), then each token's char n-grams (padded with a space on each side).
pub fn for_each_ngram(
    params: &FeatureParams,
    tokens: &[impl AsRef<str>],
    scratch_hashes: &mut Vec<u64>,
    padded: &mut Vec<u8>,
    char_starts: &mut Vec<usize>,
    mut emit: impl FnMut(NgramHit),
) {
    let tokens = &tokens[..tokens.len().min(MAX_TOKENS)];
    word_ngrams(params, tokens, scratch_hashes, &mut emit);
    for (ti, tok) in tokens.iter().enumerate() {
        token_char_ngrams(
            params,
            tok.as_ref(),
            ti as u32,
            padded,
            char_starts,
            &mut emit,
        );
    }
}

/// Hashes every token into `token_hashes` and walks the word n-grams of `tokens`
/// (already capped at [`MAX_TOKENS`]), in order of start, then length.
pub(super) fn word_ngrams(
    params: &FeatureParams,
    tokens: &[impl AsRef<str>],
    token_hashes: &mut Vec<u64>,
    emit: impl FnMut(NgramHit),
) {
    token_hashes.clear();
    token_hashes.extend(
        tokens
            .iter()
            .map(|t| hash_bytes(WORD_SEED, t.as_ref().as_bytes())),
    );
    word_ngrams_of_hashes(params, token_hashes, emit);
}

/// Walks the word n-grams of a row whose tokens hash to `token_hashes`, in order of
/// start, then length.
pub(super) fn word_ngrams_of_hashes(
    params: &FeatureParams,
    token_hashes: &[u64],
    mut emit: impl FnMut(NgramHit),
) {
    let shift = 64 - params.buckets_log2;
    let (wlo, whi) = params.word_ngrams;
    if wlo == 0 {
        return;
    }
    let n_tokens = token_hashes.len();
    for i in 0..n_tokens {
        let mut h = WORD_SEED;
        for n in 1..=whi.min(n_tokens - i) {
            h = mix(h ^ token_hashes[i + n - 1]).wrapping_add(n as u64);
            if n >= wlo {
                emit(NgramHit {
                    bucket: (mix(h) >> shift) as u32,
                    group: Group::Word,
                    start: i as u32,
                    end: (i + n) as u32,
                });
            }
        }
    }
}

pub(super) fn is_placeholder(tok: &str) -> bool {
    matches!(tok, URL_TOKEN | USER_TOKEN | NUMBER_TOKEN)
}

/// Whether a token has char n-grams: placeholders and tokens without a letter or digit
/// have none.
#[inline]
pub(super) fn has_char_ngrams(tok: &str) -> bool {
    match tok.as_bytes().first() {
        // Most tokens: a word starting with an ASCII letter or digit (placeholders start
        // with `x`).
        Some(&c) if c.is_ascii_alphanumeric() => c != b'x' || !is_placeholder(tok),
        _ => !is_placeholder(tok) && tok.chars().any(|c| c.is_alphanumeric()),
    }
}

/// Walks the char n-grams of token `tok` (number `ti` in its row): the token padded
/// with a space on each side, its first [`MAX_CHAR_NGRAM_TOKEN`] chars, every n-gram in
/// the configured length range in order of start, then length.
pub(super) fn token_char_ngrams(
    params: &FeatureParams,
    tok: &str,
    ti: u32,
    padded: &mut Vec<u8>,
    char_starts: &mut Vec<usize>,
    mut emit: impl FnMut(NgramHit),
) {
    let (clo, chi) = params.char_ngrams;
    if clo == 0 || !has_char_ngrams(tok) {
        return;
    }
    let shift = 64 - params.buckets_log2;
    padded.clear();
    padded.push(b' ');
    padded.extend_from_slice(tok.as_bytes());
    padded.push(b' ');
    let hit = |h: u64| NgramHit {
        bucket: (mix(h) >> shift) as u32,
        group: Group::Char,
        start: ti,
        end: ti + 1,
    };
    if padded.is_ascii() && padded.len() <= MAX_CHAR_NGRAM_TOKEN + 2 {
        // Every char is one byte and the whole token is used: char k is byte k,
        // so no boundaries need finding.
        let step = |h: u64, k: usize| (h ^ padded[k] as u64).wrapping_mul(FNV_PRIME);
        char_ngram_hashes(padded.len(), step, (clo, chi), |h| emit(hit(h)));
        return;
    }
    char_starts.clear();
    let s = std::str::from_utf8(padded).expect("token is valid UTF-8");
    char_starts.extend(
        s.char_indices()
            .map(|(i, _)| i)
            .take(MAX_CHAR_NGRAM_TOKEN + 2),
    );
    let nchars = char_starts.len();
    char_starts.push(if nchars < s.chars().count() {
        char_starts[nchars - 1]
    } else {
        padded.len()
    });
    // char_starts[k] is the byte offset of char k; the sentinel ends the last char.
    let limit = char_starts.len() - 1;
    let step = |h: u64, k: usize| hash_bytes(h, &padded[char_starts[k]..char_starts[k + 1]]);
    char_ngram_hashes(limit, step, (clo, chi), |h| emit(hit(h)));
}

/// Hashes every char n-gram over `n_chars` chars (lengths `lo..=hi`, in order of start
/// then length); `step(h, k)` folds char `k` into hash `h`.
#[inline]
pub(super) fn char_ngram_hashes(
    n_chars: usize,
    step: impl Fn(u64, usize) -> u64,
    (lo, hi): (usize, usize),
    mut emit: impl FnMut(u64),
) {
    for a in 0..n_chars {
        let mut h = CHAR_SEED;
        for n in 1..=hi.min(n_chars - a) {
            h = step(h, a + n - 1);
            if n >= lo {
                emit(h);
            }
        }
    }
}
