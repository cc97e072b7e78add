//! Stage 2: tokens → a sparse feature vector.
//!
//! Owns the n-gram extraction (word n-grams and character n-grams within word
//! boundaries, one pass per token), the hashing trick (no vocabulary: an n-gram's
//! bucket is a fast non-cryptographic hash of it), TF-IDF weighting fitted on the
//! training rows only, and the target crossing that gives every stance target its
//! own copy of each feature beside the shared one ("frustratingly easy domain
//! adaptation"). Explanations re-walk the same n-grams, so they are readable text,
//! never hash ids.

pub mod bucket_table;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::bucket_table::{BucketTable, RowAt};
use crate::text::{NUMBER_TOKEN, URL_TOKEN, USER_TOKEN};

/// Longest token (in chars) that character n-grams are taken from.
pub const MAX_CHAR_NGRAM_TOKEN: usize = 40;
/// Most tokens of one comment that are turned into features (a 10 MB comment must
/// not need gigabytes); the rest of the comment is ignored.
pub const MAX_TOKENS: usize = 20_000;

/// Feature-stage hyperparameters.
///
/// | name | default | purpose |
/// |---|---|---|
/// | `buckets_log2` | 20 | hash space is `2^buckets_log2` buckets |
/// | `word_ngrams` | (1, 3) | word n-gram lengths, inclusive |
/// | `char_ngrams` | (2, 5) | character n-gram lengths within words, inclusive |
/// | `min_df` | 2 | n-grams in fewer training rows than this are dropped |
/// | `cross_target` | true | add a per-target copy of every feature |
/// | `shared_weight` | 0.5 | scale of the shared copy beside the per-target one |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureParams {
    /// log2 of the number of hash buckets (10..=24).
    pub buckets_log2: u32,
    /// Smallest and largest word n-gram length; (0, 0) turns word n-grams off.
    pub word_ngrams: (usize, usize),
    /// Smallest and largest character n-gram length; (0, 0) turns them off.
    pub char_ngrams: (usize, usize),
    /// Minimum document frequency in the training rows.
    pub min_df: u32,
    /// Cross every feature with the row's target (when the task has targets).
    pub cross_target: bool,
    /// Scale of the shared copy when a row's target is crossed (1 = equal to the
    /// per-target copy; smaller makes per-target weights cheaper to use).
    pub shared_weight: f32,
}

impl Default for FeatureParams {
    fn default() -> Self {
        FeatureParams {
            buckets_log2: 20,
            word_ngrams: (1, 3),
            char_ngrams: (2, 5),
            min_df: 2,
            cross_target: true,
            shared_weight: 0.5,
        }
    }
}

impl FeatureParams {
    /// Validates the parameters (ParamGuard-style: every rule in one place).
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Params(m));
        if !(10..=24).contains(&self.buckets_log2) {
            return bad(format!(
                "buckets_log2 must be in 10..=24, got {}",
                self.buckets_log2
            ));
        }
        for (name, (lo, hi)) in [("word", self.word_ngrams), ("char", self.char_ngrams)] {
            if (lo, hi) != (0, 0) && (lo == 0 || lo > hi || hi > 8) {
                return bad(format!(
                    "{name} n-gram range must be 1 <= min <= max <= 8 (or 0,0 for off), got {lo},{hi}"
                ));
            }
        }
        if !(self.shared_weight.is_finite() && (0.0..=4.0).contains(&self.shared_weight)) {
            return bad(format!(
                "shared_weight must be in [0, 4], got {}",
                self.shared_weight
            ));
        }
        if self.word_ngrams == (0, 0) && self.char_ngrams == (0, 0) {
            return bad("at least one of word and char n-grams must be on".into());
        }
        Ok(())
    }

    /// Number of hash buckets.
    pub fn buckets(&self) -> usize {
        1 << self.buckets_log2
    }
}

/// A sparse row: parallel bucket indices and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Bucket indices (may repeat: repeated entries add up).
    pub idx: Vec<u32>,
    /// Values.
    pub val: Vec<f32>,
}

impl SparseVec {
    /// Empties the vector, keeping its allocation.
    pub fn clear(&mut self) {
        self.idx.clear();
        self.val.clear();
    }
}

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

const WORD_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
const CHAR_SEED: u64 = 0xc2b2_ae3d_27d4_eb4f;
const TARGET_SEED: u64 = 0x1656_67b1_9e37_79f9;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// splitmix64's finalizer: a fast, well-mixing 64-bit permutation.
#[inline]
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a over bytes from a seed.
#[inline]
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Hash of a target name (trimmed, lowercased), for crossing.
pub fn target_hash(target: &str) -> u64 {
    hash_bytes(TARGET_SEED, target.trim().to_lowercase().as_bytes())
}

fn is_placeholder(tok: &str) -> bool {
    matches!(tok, URL_TOKEN | USER_TOKEN | NUMBER_TOKEN)
}

/// Per-thread reusable buffers, so featurizing a row allocates nothing once warm.
#[derive(Debug, Default)]
pub struct FeatureScratch {
    ngrams: NgramBuffers,
    counts: CountTable,
    /// The bucket of each word n-gram occurrence, in walk order.
    occurrence_buckets: Vec<u32>,
    /// Where each distinct word n-gram's IDF row is (`counts.live`).
    idf_rows: Vec<RowAt>,
    /// Where the IDF row of each word entry of the row's vector is (entry order).
    word_rows: Vec<RowAt>,
    /// The count-table slot of each word n-gram occurrence, in walk order, so that an
    /// explanation walks them without hashing again; valid while `counts.mask` is
    /// `hits_mask` (the table has not grown since).
    hit_slots: Vec<u32>,
    hits_mask: usize,
    /// The char n-grams of one token.
    token_counts: CountTable,
    /// The row's distinct tokens with char n-grams.
    distinct: DistinctTokens,
}

/// Buffers of [`for_each_ngram`].
#[derive(Debug, Default)]
struct NgramBuffers {
    token_hashes: Vec<u64>,
    /// Where the IDF row of each of one token's char n-grams is (its table's order).
    char_rows: Vec<Option<RowAt>>,
    padded: Vec<u8>,
    char_starts: Vec<usize>,
}

impl NgramBuffers {
    fn walk(
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

/// The distinct n-grams of one row: an open-addressing table (power-of-two size) whose
/// slots are live only when stamped with the row's `stamp`, so a new row need not clear it.
/// A row uses a prefix of the slots sized to it (`mask + 1`), so the table of a short row
/// stays in the fastest cache.
#[derive(Debug, Default)]
struct CountTable {
    slots: Vec<Slot>,
    /// Slots in use for this row, minus one.
    mask: usize,
    stamp: u32,
    /// Indices of the live slots, in insertion order.
    live: Vec<u32>,
}

/// One distinct n-gram of a row: its key (group << 30 | bucket), how often it occurs,
/// and where its entry went in the row's vector (`u32::MAX` when its bucket is dropped).
#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    stamp: u32,
    key: u32,
    count: u32,
    pos: u32,
}

/// A word n-gram occurrence's slot when its bucket has no IDF row (not counted).
const NO_SLOT: u32 = u32::MAX;

/// Smallest count table of a row's word n-grams (slots).
const ROW_TABLE: usize = 1 << 6;

/// Smallest count table of one token's char n-grams (a token has at most
/// `4 × (MAX_CHAR_NGRAM_TOKEN + 2)` of them with the widest range).
const TOKEN_TABLE: usize = 1 << 8;

impl CountTable {
    /// Starts a new row (or token): every slot becomes free; the table starts at
    /// `min_slots` (a power of two), and doubles whenever it gets half full.
    fn reset(&mut self, min_slots: usize) {
        if self.slots.len() < min_slots {
            self.slots = vec![Slot::default(); min_slots];
        }
        self.mask = min_slots - 1;
        self.next_stamp();
        self.live.clear();
    }

    /// A stamp no slot holds yet (so every slot is free).
    fn next_stamp(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.slots.fill(Slot::default());
            self.stamp = 1;
        }
    }

    /// Slot index of `key` (its own, or the free slot where it belongs).
    #[inline]
    fn find(&self, key: u32) -> usize {
        let mask = self.mask;
        // A key's bucket bits are already a well-mixed hash.
        let mut i = (key as usize) & mask;
        loop {
            let s = &self.slots[i];
            if s.stamp != self.stamp || s.key == key {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The live slot of `key`, if it occurred in the row.
    fn get(&self, key: u32) -> Option<&Slot> {
        Some(&self.slots[self.find(key)]).filter(|s| s.stamp == self.stamp)
    }

    /// Counts one occurrence of `key`.
    #[inline]
    fn add(&mut self, key: u32) {
        self.add_n(key, 1);
    }

    /// Counts `n` occurrences of `key`; returns its slot index and whether the key is
    /// new to the row.
    #[inline]
    fn add_n(&mut self, key: u32, n: u32) -> (usize, bool) {
        let i = self.find(key);
        let s = &mut self.slots[i];
        if s.stamp == self.stamp {
            s.count += n;
            return (i, false);
        }
        *s = Slot {
            stamp: self.stamp,
            key,
            count: n,
            pos: u32::MAX,
        };
        self.live.push(i as u32);
        if self.live.len() * 2 > self.mask + 1 {
            self.grow();
            return (*self.live.last().expect("just pushed") as usize, true);
        }
        (i, true)
    }

    /// Doubles the table, keeping the live slots (and their order).
    fn grow(&mut self) {
        let held: Vec<Slot> = self.live.iter().map(|&l| self.slots[l as usize]).collect();
        let slots = 2 * (self.mask + 1);
        if self.slots.len() < slots {
            self.slots = vec![Slot::default(); slots];
        }
        self.mask = slots - 1;
        self.next_stamp();
        for (k, s) in held.into_iter().enumerate() {
            let i = self.find(s.key);
            self.slots[i] = Slot {
                stamp: self.stamp,
                ..s
            };
            self.live[k] = i as u32;
        }
    }
}

/// The distinct tokens of a row that have char n-grams, in order of first occurrence,
/// each with how often it occurs (an open-addressing table over the token hashes).
#[derive(Debug, Default)]
struct DistinctTokens {
    /// Slots: index into `tokens`, or `u32::MAX` when free.
    table: Vec<u32>,
    /// (first token index, occurrences).
    tokens: Vec<(u32, u32)>,
    /// Per token of the row: its index in `tokens` (`u32::MAX`: no char n-grams).
    of_token: Vec<u32>,
}

impl DistinctTokens {
    fn find(&mut self, tokens: &[impl AsRef<str>], hashes: &[u64]) {
        self.tokens.clear();
        let size = (tokens.len() * 2).next_power_of_two().max(16);
        self.table.clear();
        self.table.resize(size, u32::MAX);
        let mask = size - 1;
        self.of_token.clear();
        for (ti, tok) in tokens.iter().enumerate() {
            let tok = tok.as_ref();
            if !has_char_ngrams(tok) {
                self.of_token.push(u32::MAX);
                continue;
            }
            let mut i = mix(hashes[ti]) as usize & mask;
            loop {
                let d = self.table[i];
                if d == u32::MAX {
                    self.table[i] = self.tokens.len() as u32;
                    self.of_token.push(self.tokens.len() as u32);
                    self.tokens.push((ti as u32, 1));
                    break;
                }
                let (first, n) = &mut self.tokens[d as usize];
                if hashes[*first as usize] == hashes[ti] && tokens[*first as usize].as_ref() == tok
                {
                    *n += 1;
                    self.of_token.push(d);
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }
}

/// Sublinear term frequency: 1 + ln(count).
#[inline]
pub fn sublinear(count: u32) -> f32 {
    match count {
        1 => 1.0,
        c => 1.0 + libm::logf(c as f32),
    }
}

/// Packs a hit's group and bucket into one key.
#[inline]
fn hit_key(group: Group, bucket: u32) -> u32 {
    ((group as u32) << 30) | bucket
}

/// The bucket bits of a key.
const BUCKET_MASK: u32 = (1 << 30) - 1;

/// Walks every n-gram of `tokens` and calls `emit` with it: all word n-grams (in order
/// of start, then length), then each token's char n-grams (see [`token_char_ngrams`]).
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
fn word_ngrams(
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
fn word_ngrams_of_hashes(
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

/// Whether a token has char n-grams: placeholders and tokens without a letter or digit
/// have none.
#[inline]
fn has_char_ngrams(tok: &str) -> bool {
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
fn token_char_ngrams(
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
fn char_ngram_hashes(
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

/// L2-normalizes `out.val[begin..]` given its squared norm (a no-op for 0).
fn normalize_from(out: &mut SparseVec, begin: usize, norm: f32) {
    if norm > 0.0 {
        let inv = 1.0 / norm.sqrt();
        for v in &mut out.val[begin..] {
            *v *= inv;
        }
    }
}

/// The fitted feature stage: parameters plus the IDF of every bucket (0 = dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Featurizer {
    params: FeatureParams,
    idf: BucketTable,
}

impl Featurizer {
    /// Fits IDF on tokenized training rows (document frequency per bucket).
    pub fn fit(params: &FeatureParams, docs: &[Vec<String>]) -> Result<Self> {
        params.check()?;
        let mut df = vec![0u32; params.buckets()];
        let mut ngrams = NgramBuffers::default();
        let mut seen: Vec<u32> = Vec::new();
        for doc in docs {
            seen.clear();
            ngrams.walk(params, doc, |h| seen.push(h.bucket));
            seen.sort_unstable();
            seen.dedup();
            for &b in &seen {
                df[b as usize] += 1;
            }
        }
        let n = docs.len() as f64;
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| {
                if d < params.min_df.max(1) {
                    0.0
                } else {
                    (libm::log((1.0 + n) / (1.0 + d as f64)) + 1.0) as f32
                }
            })
            .collect();
        Ok(Featurizer {
            params: params.clone(),
            idf: BucketTable::from_dense(&idf, 1)?,
        })
    }

    /// Rebuilds a fitted featurizer from its parts (model loading).
    pub fn from_parts(params: FeatureParams, idf: BucketTable) -> Result<Self> {
        params.check()?;
        if idf.buckets() != params.buckets() || idf.width() != 1 {
            return Err(Error::Params(format!(
                "idf table has {} buckets of width {}, expected {} of width 1",
                idf.buckets(),
                idf.width(),
                params.buckets()
            )));
        }
        Ok(Featurizer { params, idf })
    }

    /// The parameters.
    pub fn params(&self) -> &FeatureParams {
        &self.params
    }

    /// The IDF table (one value per bucket, 0 for dropped buckets).
    pub fn idf(&self) -> &BucketTable {
        &self.idf
    }

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
    /// follow in the same order.
    pub fn transform(
        &self,
        tokens: &[impl AsRef<str>],
        target: Option<u64>,
        scratch: &mut FeatureScratch,
        out: &mut SparseVec,
    ) {
        let tokens = &tokens[..tokens.len().min(MAX_TOKENS)];
        self.word_entries(tokens, scratch, out);
        self.char_entries(tokens, scratch, out);
        self.cross_and_scale(target, out);
    }

    /// [`Featurizer::transform`] without the char n-grams: the word entries (crossed
    /// and scaled the same way), and the row's distinct tokens with char n-grams for
    /// [`Featurizer::char_token`], whose terms the caller adds up itself.
    pub fn transform_words(
        &self,
        tokens: &[impl AsRef<str>],
        target: Option<u64>,
        scratch: &mut FeatureScratch,
        out: &mut SparseVec,
    ) {
        let tokens = &tokens[..tokens.len().min(MAX_TOKENS)];
        self.word_entries(tokens, scratch, out);
        if self.params.char_ngrams.0 > 0 {
            scratch.distinct.find(tokens, &scratch.ngrams.token_hashes);
        } else {
            scratch.distinct.tokens.clear();
        }
        self.cross_and_scale(target, out);
    }

    /// Distinct token `j` with char n-grams of the row last given to
    /// [`Featurizer::transform_words`] (in order of first occurrence): (token index,
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
    fn word_entries(
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
    fn char_entries(
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
    fn cross_and_scale(&self, target: Option<u64>, out: &mut SparseVec) {
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

    /// The scale of an entry's shared copy (`shared_weight` when targets are crossed).
    pub fn shared_scale(&self) -> f32 {
        if self.params.cross_target {
            self.params.shared_weight
        } else {
            1.0
        }
    }

    /// One token's char n-grams as scoring needs them: calls `emit(bucket, at, v)` for
    /// each kept one (`at`: where its IDF row is, [`BucketTable::locate`];
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
    /// [`Featurizer::transform_words`] with `scratch` is, in entry order (the shared
    /// copies; crossed ones have their own buckets).
    pub fn word_rows<'a>(&self, scratch: &'a FeatureScratch) -> &'a [RowAt] {
        &scratch.word_rows
    }

    /// The kept char n-grams of one token: calls `emit(bucket, at, count, v)` for each,
    /// in order of first occurrence, with `at` where its IDF row is and
    /// `v = (1 + ln count) × idf`; returns `Σ v²`.
    fn token_char_entries(
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
    /// [`Featurizer::transform`] or [`Featurizer::transform_words`] with this scratch
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

    /// Crossed bucket of `bucket` for a target hash (as used by `transform`).
    pub fn cross(&self, bucket: u32, target: u64) -> u32 {
        let shift = 64 - self.params.buckets_log2;
        (mix(target ^ (bucket as u64).wrapping_mul(WORD_SEED)) >> shift) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    fn hits(params: &FeatureParams, tokens: &[String]) -> Vec<NgramHit> {
        let mut out = Vec::new();
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for_each_ngram(params, tokens, &mut a, &mut b, &mut c, |h| out.push(h));
        out
    }

    #[test]
    fn placeholders_and_tokens_without_letters_or_digits_have_no_char_ngrams() {
        for (tok, want) in [
            ("hello", true),
            ("x", true),
            ("xx", true),
            ("xxurls", true),
            ("9", true),
            ("#tag", true),
            ("é", true),
            ("мир", true),
            ("'s", true),
            (URL_TOKEN, false),
            (USER_TOKEN, false),
            (NUMBER_TOKEN, false),
            ("!!", false),
            ("#", false),
            ("’", false),
            ("", false),
        ] {
            assert_eq!(has_char_ngrams(tok), want, "{tok:?}");
        }
    }

    #[test]
    fn kept_word_hits_are_the_same_after_either_transform() {
        let text = "you are a total idiot and you know it you idiot , you really do know";
        let tokens = toks(text);
        let docs = vec![tokens.clone(), toks("you know it"), toks("a total idiot")];
        let collect = |f: &Featurizer, words_only: bool| {
            let (mut s, mut v) = (FeatureScratch::default(), SparseVec::default());
            if words_only {
                f.transform_words(&tokens, None, &mut s, &mut v);
            } else {
                // The char n-grams grow the row's count table past the words' slots.
                f.transform(&tokens, None, &mut s, &mut v);
            }
            // transform_words takes the stored slots, transform finds them again.
            assert_eq!(s.counts.mask == s.hits_mask, words_only);
            let mut hits = Vec::new();
            f.for_each_kept_word_hit(&tokens, &mut s, |h, e, n| {
                hits.push((h.bucket, h.start, h.end, e, n))
            });
            hits
        };
        for word_ngrams in [(1, 3), (2, 2), (0, 0)] {
            let params = FeatureParams {
                word_ngrams,
                min_df: 1,
                ..Default::default()
            };
            let f = Featurizer::fit(&params, &docs).unwrap();
            let fast = collect(&f, true);
            assert_eq!(fast, collect(&f, false), "{word_ngrams:?}");
            let expected: usize = (word_ngrams.0.max(1)..=word_ngrams.1)
                .filter(|_| word_ngrams.0 > 0)
                .map(|n| tokens.len() + 1 - n)
                .sum();
            assert_eq!(
                fast.len(),
                expected,
                "{word_ngrams:?}: every occurrence is kept"
            );
        }
    }

    #[test]
    fn word_ngram_counts() {
        let p = FeatureParams {
            char_ngrams: (0, 0),
            ..Default::default()
        };
        // 4 tokens: 4 unigrams + 3 bigrams + 2 trigrams.
        let h = hits(&p, &toks("no ceasefire for them"));
        assert_eq!(h.len(), 9);
        assert_eq!(h.iter().filter(|h| h.end - h.start == 2).count(), 3);
    }

    #[test]
    fn char_ngram_counts() {
        let p = FeatureParams {
            word_ngrams: (0, 0),
            char_ngrams: (2, 3),
            ..Default::default()
        };
        // " war " has 5 chars: 4 bigrams + 3 trigrams.
        assert_eq!(hits(&p, &toks("war")).len(), 7);
        // Multi-byte chars count as one: " мир " also 5 chars.
        assert_eq!(hits(&p, &toks("мир")).len(), 7);
        // Punctuation and placeholders get no char n-grams.
        assert_eq!(hits(&p, &toks("! xxnum")).len(), 0);
    }

    #[test]
    fn same_ngram_same_bucket_and_order_matters() {
        let p = FeatureParams::default();
        let a = hits(&p, &toks("stop the war"));
        let b = hits(&p, &toks("stop the war"));
        assert_eq!(
            a.iter().map(|h| h.bucket).collect::<Vec<_>>(),
            b.iter().map(|h| h.bucket).collect::<Vec<_>>()
        );
        let p2 = FeatureParams {
            char_ngrams: (0, 0),
            word_ngrams: (2, 2),
            ..Default::default()
        };
        assert_ne!(
            hits(&p2, &toks("war stop"))[0].bucket,
            hits(&p2, &toks("stop war"))[0].bucket
        );
    }

    #[test]
    fn hashing_stays_in_range() {
        for log2 in [10u32, 12, 20] {
            let p = FeatureParams {
                buckets_log2: log2,
                ..Default::default()
            };
            for h in hits(&p, &toks("a quick brown fox jumps über the lazy dog")) {
                assert!((h.bucket as usize) < p.buckets());
            }
        }
    }

    #[test]
    fn tfidf_rows_are_unit_norm_per_group() {
        let p = FeatureParams {
            min_df: 1,
            cross_target: false,
            ..Default::default()
        };
        let docs = vec![
            toks("stop the war"),
            toks("no truce no peace"),
            toks("war war"),
            toks("ok truce"),
        ];
        let f = Featurizer::fit(&p, &docs).unwrap();
        let mut s = FeatureScratch::default();
        let mut v = SparseVec::default();
        // "ok" and "truce" share no char n-gram, so the char group is unit-norm too.
        f.transform(&docs[3], None, &mut s, &mut v);
        let norm: f32 = v.val.iter().map(|x| x * x).sum();
        assert!(
            (norm - 2.0).abs() < 1e-4,
            "two unit-norm groups, got {norm}"
        );
        // Crossing duplicates every entry.
        let n = v.idx.len();
        f.transform(&docs[3], Some(target_hash("Ceasefire")), &mut s, &mut v);
        assert_eq!(v.idx.len(), 2 * n);
        assert_eq!(v.val[..n], v.val[n..]);
    }

    #[test]
    fn char_part_is_the_sum_of_token_vectors_weighted_by_sublinear_token_counts() {
        let p = FeatureParams {
            min_df: 1,
            cross_target: false,
            word_ngrams: (0, 0),
            ..Default::default()
        };
        let docs = vec![toks("no truce no peace"), toks("truce")];
        let f = Featurizer::fit(&p, &docs).unwrap();
        let mut s = FeatureScratch::default();
        // φ(t) of each token alone (a one-token row is φ(t) / |φ(t)|).
        let phi = |t: &str, s: &mut FeatureScratch| {
            let mut q = 0.0;
            let mut entries = BTreeMap::new();
            q += f.token_char_part(t, s, |b, _, v| *entries.entry(b).or_insert(0.0) += v);
            (entries, q)
        };
        let (no, q_no) = phi("no", &mut s);
        let (truce, q_truce) = phi("truce", &mut s);
        let (peace, q_peace) = phi("peace", &mut s);
        let a = 1.0 + 2f32.ln();
        let norm = (a * a * q_no + q_truce + q_peace).sqrt();
        let mut want: BTreeMap<u32, f32> = BTreeMap::new();
        for (phi, w) in [(&no, a), (&truce, 1.0), (&peace, 1.0)] {
            for (&b, &v) in phi {
                *want.entry(b).or_insert(0.0) += w * v / norm;
            }
        }
        let mut v = SparseVec::default();
        f.transform(&docs[0], None, &mut s, &mut v);
        let got: BTreeMap<u32, f32> = v.idx.iter().copied().zip(v.val.iter().copied()).collect();
        assert_eq!(got.len(), v.idx.len(), "one entry per n-gram");
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (b, w) in &want {
            assert!((got[b] - w).abs() < 1e-6, "bucket {b}: {} vs {w}", got[b]);
        }
        // "truce" and "peace" share "ce" and "e ": merged into one entry each.
        assert!(want.len() < no.len() + truce.len() + peace.len());
    }

    #[test]
    fn idf_drops_rare_buckets_and_weights_common_ones_less() {
        let p = FeatureParams {
            min_df: 2,
            char_ngrams: (0, 0),
            word_ngrams: (1, 1),
            ..Default::default()
        };
        let docs = vec![toks("war peace"), toks("war truce"), toks("war peace")];
        let f = Featurizer::fit(&p, &docs).unwrap();
        let b = |w: &str| hits(&p, &toks(w))[0].bucket;
        assert_eq!(f.idf().value(b("truce")), 0.0, "df 1 < min_df 2");
        // idf = ln((1+n)/(1+df)) + 1
        assert!((f.idf().value(b("war")) - 1.0).abs() < 1e-6);
        assert!((f.idf().value(b("peace")) - ((4.0f32 / 3.0).ln() + 1.0)).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_params() {
        let bad = FeatureParams {
            word_ngrams: (3, 1),
            ..Default::default()
        };
        assert!(bad.check().is_err());
        let bad = FeatureParams {
            buckets_log2: 40,
            ..Default::default()
        };
        assert!(bad.check().is_err());
    }

    proptest::proptest! {
        /// Each char n-gram's bucket is the hash of the n-gram's text (the token within
        /// spaces), in order of start then length, whichever loop produced it.
        #[test]
        fn char_ngram_buckets_hash_their_text(tok in "[a-z][a-z']{0,39}|[a-zé€мир]{0,5}[мé][a-zé€мир]{0,5}") {
            let p = FeatureParams {
                word_ngrams: (0, 0),
                char_ngrams: (2, 4),
                ..Default::default()
            };
            let padded: Vec<char> = format!(" {tok} ").chars().collect();
            let mut want = Vec::new();
            for a in 0..padded.len() {
                for n in 2..=4.min(padded.len() - a) {
                    let text: String = padded[a..a + n].iter().collect();
                    let h = mix(hash_bytes(CHAR_SEED, text.as_bytes()));
                    want.push((h >> (64 - p.buckets_log2)) as u32);
                }
            }
            let got: Vec<u32> = hits(&p, &[tok]).iter().map(|h| h.bucket).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
