//! Thread reading, at scoring time: a reply takes its stance from the comment it answers.
//!
//! Owns the bounded cache of recent comments (id → text and final stance), the
//! resolution of a reply's parent (by `parent_id`, Reddit-style `t1_`/`t3_` prefixes
//! understood, or an explicit parent text), and the combination of a reply's own stance
//! with the reply-relation head's verdict: the relation head's learned stacker when its
//! file has one (fitted by `crate::train::thread_stacker`), else the mixture
//! `p(agree)·p_parent + p(disagree)·flip(p_parent) + p(other)·p_own` (flip swaps favor
//! and against). Rows are processed in input order, so a parent earlier in the same
//! batch is found.

use std::collections::{HashMap, VecDeque};

use crate::head::{Head, HeadScratch, Reason};
use crate::io::Row;
use crate::metrics::{argmax, stance_pair};

/// Default number of comments remembered for parent lookup.
pub const DEFAULT_CACHE: usize = 200_000;
/// Default memory budget of the cache (MB): whichever of the two limits is hit first
/// evicts the oldest comments. Each comment costs its id, text (up to
/// [`MAX_CACHED_TEXT`]), final stance and reasons, plus [`ENTRY_OVERHEAD`].
pub const DEFAULT_CACHE_MB: usize = 16;
/// Longest parent text kept in the cache (bytes); longer texts are cut at a char boundary.
pub const MAX_CACHED_TEXT: usize = 2_000;
/// Bytes charged per cached comment beside its record: the ring slot, the allocator's
/// header and the index entry.
pub const ENTRY_OVERHEAD: usize = 64;

/// Strips Reddit-style kind prefixes (`t1_abc` → `abc`).
pub fn canonical_id(id: &str) -> &str {
    let id = id.trim();
    match id.as_bytes() {
        [b't', b'1'..=b'6', b'_', ..] => &id[3..],
        _ => id,
    }
}

/// One cached comment, decoded from its record.
#[derive(Debug, Clone)]
struct Entry {
    text: String,
    stance: Option<Vec<f32>>,
    reasons: Vec<Reason>,
}

/// A cached comment packed into one allocation: four `u32` lengths (id, text, stance
/// values, reasons), the id and text bytes, the stance as `f32`s, then each reason as
/// its weight, its n-gram's length and the n-gram's bytes (all little-endian).
struct Record(Box<[u8]>);

impl Record {
    fn pack(id: &str, text: &str, stance: Option<&[f32]>, reasons: &[Reason]) -> Record {
        let stance = stance.unwrap_or(&[]);
        let mut b = Vec::with_capacity(
            16 + id.len()
                + text.len()
                + 4 * stance.len()
                + reasons.iter().map(|r| 8 + r.ngram.len()).sum::<usize>(),
        );
        for n in [id.len(), text.len(), stance.len(), reasons.len()] {
            b.extend_from_slice(&(n as u32).to_le_bytes());
        }
        b.extend_from_slice(id.as_bytes());
        b.extend_from_slice(text.as_bytes());
        for x in stance {
            b.extend_from_slice(&x.to_le_bytes());
        }
        for r in reasons {
            b.extend_from_slice(&r.weight.to_le_bytes());
            b.extend_from_slice(&(r.ngram.len() as u32).to_le_bytes());
            b.extend_from_slice(r.ngram.as_bytes());
        }
        Record(b.into_boxed_slice())
    }

    fn u32_at(&self, at: usize) -> usize {
        u32::from_le_bytes(self.0[at..at + 4].try_into().expect("4 bytes")) as usize
    }

    fn str_at(&self, at: usize, len: usize) -> &str {
        std::str::from_utf8(&self.0[at..at + len]).expect("packed from a str")
    }

    fn id(&self) -> &str {
        self.str_at(16, self.u32_at(0))
    }

    fn text(&self) -> &str {
        self.str_at(16 + self.u32_at(0), self.u32_at(4))
    }

    fn unpack(&self) -> Entry {
        let (id_len, text_len, n_stance, n_reasons) = (
            self.u32_at(0),
            self.u32_at(4),
            self.u32_at(8),
            self.u32_at(12),
        );
        let text = self.text().to_string();
        let mut at = 16 + id_len + text_len;
        let f32_at = |at: usize| f32::from_bits(self.u32_at(at) as u32);
        let stance = (0..n_stance)
            .map(|k| f32_at(at + 4 * k))
            .collect::<Vec<_>>();
        at += 4 * n_stance;
        let mut reasons = Vec::with_capacity(n_reasons);
        for _ in 0..n_reasons {
            let (weight, len) = (f32_at(at), self.u32_at(at + 4));
            reasons.push(Reason {
                ngram: self.str_at(at + 8, len).to_string(),
                weight,
            });
            at += 8 + len;
        }
        Entry {
            text,
            stance: (n_stance > 0).then_some(stance),
            reasons,
        }
    }

    fn cost(&self) -> usize {
        self.0.len() + ENTRY_OVERHEAD
    }
}

/// Index key of a (canonical) comment id.
fn id_key(id: &str) -> u64 {
    crate::features::mix(crate::features::hash_bytes(0x7468_7265_6164, id.as_bytes()))
}

/// A bounded first-in-first-out cache of recent comments: at most `cap` comments and
/// about `budget` bytes, whichever is reached first.
///
/// Comments are packed records in a ring, indexed by a 64-bit hash of their id; a
/// look-up checks the record's id, so a hash collision can only make the older of two
/// comments unfindable, never return the wrong parent. A repeated id points at its
/// newest record.
pub struct ThreadCache {
    cap: usize,
    budget: usize,
    bytes: usize,
    index: HashMap<u64, u64>,
    ring: VecDeque<Record>,
    /// Sequence number of `ring[0]`.
    first: u64,
}

impl std::fmt::Debug for ThreadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadCache")
            .field("cap", &self.cap)
            .field("budget", &self.budget)
            .field("bytes", &self.bytes)
            .field("len", &self.ring.len())
            .finish()
    }
}

impl ThreadCache {
    /// A cache holding at most `cap` comments, within the default memory budget.
    pub fn new(cap: usize) -> Self {
        Self::with_budget(cap, DEFAULT_CACHE_MB << 20)
    }

    /// A cache holding at most `cap` comments and about `budget` bytes.
    pub fn with_budget(cap: usize, budget: usize) -> Self {
        ThreadCache {
            cap,
            budget,
            bytes: 0,
            index: HashMap::new(),
            ring: VecDeque::new(),
            first: 0,
        }
    }

    /// Number of comments held (a repeated id counts each time until evicted).
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Bytes charged for the comments held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The record of the newest comment with this id.
    fn find(&self, id: &str) -> Option<&Record> {
        let id = canonical_id(id);
        let seq = *self.index.get(&id_key(id))?;
        let rec = &self.ring[(seq - self.first) as usize];
        (rec.id() == id).then_some(rec)
    }

    fn get(&self, id: &str) -> Option<Entry> {
        self.find(id).map(Record::unpack)
    }

    fn insert(&mut self, id: &str, text: &str, stance: Option<&[f32]>, reasons: &[Reason]) {
        if self.cap == 0 {
            return;
        }
        let id = canonical_id(id);
        let rec = Record::pack(id, cached_text(text), stance, reasons);
        self.bytes += rec.cost();
        self.index
            .insert(id_key(id), self.first + self.ring.len() as u64);
        self.ring.push_back(rec);
        while self.ring.len() > self.cap || (self.bytes > self.budget && self.ring.len() > 1) {
            let old = self.ring.pop_front().expect("the ring is not empty");
            self.bytes -= old.cost();
            let key = id_key(old.id());
            if self.index.get(&key) == Some(&self.first) {
                self.index.remove(&key);
            }
            self.first += 1;
        }
    }
}

/// The part of a comment's text the cache keeps: the first [`MAX_CACHED_TEXT`] bytes,
/// cut at a char boundary.
fn cached_text(text: &str) -> &str {
    let mut end = text.len().min(MAX_CACHED_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// For each row of a batch, the parent text that [`read_row`] will most likely use:
/// its explicit parent text, else the text of the latest earlier row of the batch or
/// comment in the cache with its parent's id (empty when neither has it); `None` for a
/// top-level comment. Only a guess, made before the batch is read in order (a small
/// cache can drop an in-batch parent before its reply comes); [`read_row`] checks it.
pub fn guess_parent_texts(rows: &[Row], cache: &ThreadCache) -> Vec<Option<String>> {
    let mut in_batch: HashMap<&str, usize> = HashMap::new();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let explicit = r.parent_text.as_deref().filter(|t| !t.is_empty());
            let parent_id = r
                .parent_id
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty());
            let guess = match (explicit, parent_id) {
                (Some(t), _) => Some(t.to_string()),
                (None, Some(p)) => Some(match in_batch.get(canonical_id(p)) {
                    Some(&j) => cached_text(&rows[j].text).to_string(),
                    None => cache
                        .find(p)
                        .map(|r| r.text().to_string())
                        .unwrap_or_default(),
                }),
                (None, None) => None,
            };
            in_batch.insert(canonical_id(&r.id), i);
            guess
        })
        .collect()
}

/// The reply-relation head's verdict on a reply read with one parent text.
#[derive(Debug, Clone)]
pub struct PairVerdict {
    parent: String,
    probs: Vec<f32>,
    reasons: Vec<Reason>,
}

impl PairVerdict {
    /// Runs the relation head on `text` with `parent` (and explains its label).
    pub fn new(
        rel: &Head,
        text: &str,
        parent: String,
        explain: usize,
        s: &mut HeadScratch,
    ) -> Self {
        let probs = rel.predict_pair(text, &parent, s);
        let reasons = rel.explain_pair(text, &parent, argmax(&probs), explain, s);
        PairVerdict {
            parent,
            probs,
            reasons,
        }
    }
}

/// What thread reading did for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadVerdict {
    /// `text`, `thread:<parent id>`, or `text (parent <id> not found)`.
    pub source: String,
    /// Reply-relation probabilities (in the relation head's label order), when computed.
    pub relation: Option<Vec<f32>>,
    /// The n-grams behind the relation head's label (with `explain` > 0).
    pub relation_reasons: Vec<Reason>,
    /// Final stance probabilities (in the stance head's label order).
    pub stance: Option<Vec<f32>>,
    /// Stance reasons replacing the reply's own-text ones: its parent's when it takes
    /// its parent's label from the thread, else its own n-grams toward the final label
    /// when the thread changed the label.
    pub reasons: Option<Vec<Reason>>,
    /// The parent's stance probabilities, when the stance was inherited.
    pub parent_stance: Option<Vec<f32>>,
}

fn flip(p: &[f32], labels: &[String]) -> Vec<f32> {
    let mut q = p.to_vec();
    if let Some((f, a)) = stance_pair(labels) {
        q.swap(f, a);
    }
    q
}

/// The relation head's probability of `name` (0 when it has no such label).
fn relation_p(relation: &[f32], rel_labels: &[String], name: &str) -> f32 {
    rel_labels
        .iter()
        .position(|l| l == name)
        .map_or(0.0, |i| relation[i])
}

/// Combines a reply's own stance with the relation to its parent's stance.
pub fn combine(
    own: &[f32],
    parent: &[f32],
    relation: &[f32],
    rel_labels: &[String],
    labels: &[String],
) -> Vec<f32> {
    let agree = relation_p(relation, rel_labels, "agree");
    let disagree = relation_p(relation, rel_labels, "disagree");
    let other = (1.0 - agree - disagree).max(0.0);
    let flipped = flip(parent, labels);
    (0..own.len())
        .map(|k| agree * parent[k] + disagree * flipped[k] + other * own[k])
        .collect()
}

/// Replies of at most this many words count as short (they carry little stance of
/// their own: "This.", "Spot on.", "I agree.").
const SHORT_REPLY_WORDS: usize = 4;
/// Floor under probabilities before taking logs.
const P_FLOOR: f32 = 1e-4;

/// Names of the stacker's inputs for a stance head with these labels.
pub fn stacker_inputs(labels: &[String]) -> Vec<String> {
    let mut v: Vec<String> = labels.iter().map(|l| format!("ln_own_{l}")).collect();
    v.extend(labels.iter().map(|l| format!("ln_mixture_{l}")));
    v.extend(["p_agree", "p_disagree", "short_reply"].map(String::from));
    v
}

/// The stacker's inputs for one reply (see [`stacker_inputs`]).
pub fn reply_inputs(
    text: &str,
    own: &[f32],
    parent: &[f32],
    relation: &[f32],
    rel_labels: &[String],
    labels: &[String],
) -> Vec<f32> {
    let mixture = combine(own, parent, relation, rel_labels, labels);
    let rel = |name: &str| relation_p(relation, rel_labels, name);
    let short = text.split_whitespace().count() <= SHORT_REPLY_WORDS;
    own.iter()
        .chain(&mixture)
        .map(|p| p.max(P_FLOOR).ln())
        .chain([rel("agree"), rel("disagree"), f32::from(u8::from(short))])
        .collect()
}

/// A reply's stance from its own, its parent's and the relation: the relation head's
/// learned stacker when it has one, else the mixture.
fn reply_stance(
    rel: &Head,
    st: &Head,
    text: &str,
    own: &[f32],
    parent: &[f32],
    relation: &[f32],
) -> Vec<f32> {
    match &rel.thread_stacker {
        Some(stk) if stk.labels == st.labels => stk.predict(&reply_inputs(
            text,
            own,
            parent,
            relation,
            &rel.labels,
            &st.labels,
        )),
        _ => combine(own, parent, relation, &rel.labels, &st.labels),
    }
}

/// Reads one row in its thread: resolves the parent, runs the relation head, combines.
/// `own` is the stance head's probabilities for the row's own text.
#[allow(clippy::too_many_arguments)]
pub fn read_row(
    cache: &mut ThreadCache,
    stance: Option<&Head>,
    relation: Option<&Head>,
    id: &str,
    text: &str,
    parent_id: Option<&str>,
    parent_text: Option<&str>,
    target: Option<&str>,
    own: Option<&[f32]>,
    own_reasons: &[Reason],
    explain: usize,
    guessed: Option<PairVerdict>,
    s: &mut HeadScratch,
) -> ThreadVerdict {
    let parent_id = parent_id.map(str::trim).filter(|p| !p.is_empty());
    let found = parent_id.and_then(|p| cache.get(p));
    let parent_text = parent_text
        .filter(|t| !t.is_empty())
        .or_else(|| found.as_ref().map(|e| e.text.as_str()));
    let mut verdict = ThreadVerdict {
        source: "text".into(),
        relation: None,
        relation_reasons: Vec::new(),
        stance: own.map(<[f32]>::to_vec),
        reasons: None,
        parent_stance: None,
    };
    let is_reply = parent_id.is_some() || parent_text.is_some();
    if let Some(rel) = relation {
        if is_reply {
            // The verdict computed in parallel, when it read the same parent text.
            let ptext = parent_text.unwrap_or("");
            let pair = match guessed {
                Some(g) if g.parent == ptext => g,
                _ => PairVerdict::new(rel, text, ptext.to_string(), explain, s),
            };
            verdict.relation = Some(pair.probs);
            verdict.relation_reasons = pair.reasons;
        }
    }
    match (&parent_text, parent_id) {
        (None, Some(p)) => verdict.source = format!("text (parent {p} not found)"),
        (Some(ptext), _) => {
            if let (Some(st), Some(rel), Some(own), Some(r)) =
                (stance, relation, own, &verdict.relation)
            {
                let (parent_stance, parent_reasons) =
                    match found.as_ref().and_then(|e| e.stance.clone()) {
                        Some(ps) => (
                            ps,
                            found
                                .as_ref()
                                .map(|e| e.reasons.clone())
                                .unwrap_or_default(),
                        ),
                        None => {
                            let ps = st.predict(ptext, target, s);
                            let label = argmax(&ps);
                            (ps, st.explain(ptext, target, label, explain, s))
                        }
                    };
                let combined = reply_stance(rel, st, text, own, &parent_stance, r);
                // Inherited when agree or disagree outweighs "other".
                let other = relation_p(r, &rel.labels, "other");
                let label = argmax(&combined);
                if other < 0.5 {
                    verdict.source = format!("thread:{}", parent_id.unwrap_or("parent_text"));
                    if label == argmax(&parent_stance) {
                        verdict.reasons = Some(parent_reasons);
                    }
                    verdict.parent_stance = Some(parent_stance);
                }
                if verdict.reasons.is_none() && label != argmax(own) {
                    verdict.reasons = Some(st.explain(text, target, label, explain, s));
                }
                verdict.stance = Some(combined);
            }
        }
        (None, None) => {}
    }
    let reasons = verdict
        .reasons
        .clone()
        .unwrap_or_else(|| own_reasons.to_vec());
    cache.insert(id, text, verdict.stance.as_deref(), &reasons);
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["against", "favor", "none"].map(String::from).to_vec()
    }
    fn rel() -> Vec<String> {
        ["agree", "disagree", "other"].map(String::from).to_vec()
    }

    #[test]
    fn agreement_inherits_and_disagreement_flips() {
        let parent = [0.9, 0.05, 0.05];
        let own = [0.2, 0.2, 0.6];
        let agree = combine(&own, &parent, &[1.0, 0.0, 0.0], &rel(), &labels());
        assert_eq!(argmax(&agree), 0, "agree with against = against");
        let disagree = combine(&own, &parent, &[0.0, 1.0, 0.0], &rel(), &labels());
        assert_eq!(argmax(&disagree), 1, "disagree with against = favor");
        let other = combine(&own, &parent, &[0.0, 0.0, 1.0], &rel(), &labels());
        assert_eq!(other, own.to_vec());
        assert!((agree.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn reddit_prefixes_are_understood() {
        assert_eq!(canonical_id("t1_abc"), "abc");
        assert_eq!(canonical_id("t3_xyz"), "xyz");
        assert_eq!(canonical_id("t9_x"), "t9_x");
        assert_eq!(canonical_id("r1"), "r1");
    }

    #[test]
    fn cache_is_bounded_by_count_and_by_bytes() {
        let reason = |w: &str| Reason {
            ngram: w.into(),
            weight: 0.5,
        };
        let mut c = ThreadCache::new(100);
        for i in 0..10_000 {
            c.insert(
                &i.to_string(),
                "some text",
                Some(&[0.3, 0.3, 0.4]),
                &[reason("some"), reason("text")],
            );
        }
        assert_eq!(c.len(), 100);
        assert_eq!(c.index.len(), 100);
        assert!(c.get("0").is_none());
        let last = c.get("t1_9999").expect("the newest comment is held");
        assert_eq!(last.text, "some text");
        assert_eq!(last.stance, Some(vec![0.3, 0.3, 0.4]));
        assert_eq!(last.reasons, vec![reason("some"), reason("text")]);
        let long = "é".repeat(10 * MAX_CACHED_TEXT);
        c.insert("long", &long, None, &[]);
        let got = c.get("long").unwrap();
        assert_eq!(got.text.len(), MAX_CACHED_TEXT);
        assert_eq!(got.stance, None);

        let mut small = ThreadCache::with_budget(1_000_000, 10_000);
        for i in 0..10_000 {
            small.insert(&format!("c{i}"), &"x".repeat(i % 300), None, &[]);
            assert!(small.bytes() <= 10_000, "{} bytes after {i}", small.bytes());
        }
        assert!(small.get("c9999").is_some() && small.get("c0").is_none());
        assert!(small.len() > 20, "{} comments", small.len());
    }

    #[test]
    fn a_repeated_id_finds_its_newest_comment_and_survives_the_old_ones_eviction() {
        let mut c = ThreadCache::new(3);
        c.insert("a", "first", None, &[]);
        c.insert("a", "second", None, &[]);
        assert_eq!(c.get("a").unwrap().text, "second");
        c.insert("b", "b", None, &[]);
        c.insert("c", "c", None, &[]);
        // The first "a" record is evicted; the index still points at the second.
        assert_eq!(c.get("a").unwrap().text, "second");
        c.insert("d", "d", None, &[]);
        assert!(c.get("a").is_none());
        assert_eq!(c.index.len(), 3);
    }
}
