//! The bounded cache of recent comments in which a reply finds its parent: id, text
//! (cut at [`MAX_CACHED_TEXT`]), final stance and reasons, packed in one allocation each.

use std::collections::{HashMap, VecDeque};

use crate::head::Reason;

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
pub(super) struct Entry {
    pub(super) text: String,
    pub(super) stance: Option<Vec<f32>>,
    pub(super) reasons: Vec<Reason>,
}

/// A cached comment packed into one allocation: four `u32` lengths (id, text, stance
/// values, reasons), the id and text bytes, the stance as `f32`s, then each reason as
/// its weight, its n-gram's length and the n-gram's bytes (all little-endian).
pub(super) struct Record(Box<[u8]>);

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

    pub(super) fn id(&self) -> &str {
        self.str_at(16, self.u32_at(0))
    }

    pub(super) fn text(&self) -> &str {
        self.str_at(16 + self.u32_at(0), self.u32_at(4))
    }

    pub(super) fn unpack(&self) -> Entry {
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
pub(super) fn id_key(id: &str) -> u64 {
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
    pub(super) fn find(&self, id: &str) -> Option<&Record> {
        let id = canonical_id(id);
        let seq = *self.index.get(&id_key(id))?;
        let rec = &self.ring[(seq - self.first) as usize];
        (rec.id() == id).then_some(rec)
    }

    pub(super) fn get(&self, id: &str) -> Option<Entry> {
        self.find(id).map(Record::unpack)
    }

    pub(super) fn insert(
        &mut self,
        id: &str,
        text: &str,
        stance: Option<&[f32]>,
        reasons: &[Reason],
    ) {
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
pub(super) fn cached_text(text: &str) -> &str {
    let mut end = text.len().min(MAX_CACHED_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reddit_prefixes_are_understood() {
        for (id, want) in [
            ("t1_abc", "abc"),
            ("t3_xyz", "xyz"),
            ("t9_x", "t9_x"),
            ("r1", "r1"),
        ] {
            assert_eq!(canonical_id(id), want);
        }
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
