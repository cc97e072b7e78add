//! The feature stage: tokens → a sparse feature vector.
//!
//! Owns the n-gram extraction (word n-grams and character n-grams within word
//! boundaries, one pass per token), the hashing trick (no vocabulary: an n-gram's
//! bucket is a fast non-cryptographic hash of it), TF-IDF weighting fitted on the
//! training rows only, and the target crossing that gives every stance target its
//! own copy of each feature beside the shared one ("frustratingly easy domain
//! adaptation"). Explanations re-walk the same n-grams, so they are readable text,
//! never hash ids.
//!
//! Files: `hashing`, `ngrams` (walking a row's word and character n-grams), `counts`
//! (the per-row count tables), `transform` (tokens to a TF-IDF vector, and the pieces
//! scoring reads instead), [`bucket_table`] (the compact store of rows by bucket that
//! the IDF here and the model's weights share). Imports from the crate: `error` and
//! `text` (the placeholder tokens).

pub mod bucket_table;
mod counts;
mod hashing;
mod ngrams;
mod transform;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use bucket_table::BucketTable;
use hashing::WORD_SEED;
use ngrams::NgramBuffers;

pub use hashing::{hash_bytes, mix, target_hash};
pub use ngrams::{for_each_ngram, Group, NgramHit};
pub use transform::{sublinear, CharNgrams, FeatureScratch};

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

    /// The scale of an entry's shared copy (`shared_weight` when targets are crossed).
    pub fn shared_scale(&self) -> f32 {
        if self.params.cross_target {
            self.params.shared_weight
        } else {
            1.0
        }
    }

    /// Crossed bucket of `bucket` for a target hash (as used by `transform`).
    pub fn cross(&self, bucket: u32, target: u64) -> u32 {
        let shift = 64 - self.params.buckets_log2;
        (mix(target ^ (bucket as u64).wrapping_mul(WORD_SEED)) >> shift) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::hashing::CHAR_SEED;
    use super::ngrams::has_char_ngrams;
    use super::*;
    use crate::text::{NUMBER_TOKEN, URL_TOKEN, USER_TOKEN};
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
                f.transform(&tokens, None, CharNgrams::ByToken, &mut s, &mut v);
            } else {
                // The char n-grams grow the row's count table past the words' slots.
                f.transform(&tokens, None, CharNgrams::Entries, &mut s, &mut v);
            }
            // By token, the stored slots are taken; with char entries, they are found again.
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
        f.transform(&docs[3], None, CharNgrams::Entries, &mut s, &mut v);
        let norm: f32 = v.val.iter().map(|x| x * x).sum();
        assert!(
            (norm - 2.0).abs() < 1e-4,
            "two unit-norm groups, got {norm}"
        );
        // Crossing duplicates every entry.
        let n = v.idx.len();
        f.transform(
            &docs[3],
            Some(target_hash("Ceasefire")),
            CharNgrams::Entries,
            &mut s,
            &mut v,
        );
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
        f.transform(&docs[0], None, CharNgrams::Entries, &mut s, &mut v);
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
