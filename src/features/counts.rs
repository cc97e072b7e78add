//! Counting a row's distinct n-grams and distinct tokens in open-addressing tables that
//! a new row reuses without clearing.

use super::hashing::mix;
use super::ngrams::has_char_ngrams;

/// The distinct n-grams of one row: an open-addressing table (power-of-two size) whose
/// slots are live only when stamped with the row's `stamp`, so a new row need not clear it.
/// A row uses a prefix of the slots sized to it (`mask + 1`), so the table of a short row
/// stays in the fastest cache.
#[derive(Debug, Default)]
pub(super) struct CountTable {
    pub(super) slots: Vec<Slot>,
    /// Slots in use for this row, minus one.
    pub(super) mask: usize,
    pub(super) stamp: u32,
    /// Indices of the live slots, in insertion order.
    pub(super) live: Vec<u32>,
}

/// One distinct n-gram of a row: its key (group << 30 | bucket), how often it occurs,
/// and where its entry went in the row's vector (`u32::MAX` when its bucket is dropped).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Slot {
    pub(super) stamp: u32,
    pub(super) key: u32,
    pub(super) count: u32,
    pub(super) pos: u32,
}

/// A word n-gram occurrence's slot when its bucket has no IDF row (not counted).
pub(super) const NO_SLOT: u32 = u32::MAX;

/// Smallest count table of a row's word n-grams (slots).
pub(super) const ROW_TABLE: usize = 1 << 6;

/// Smallest count table of one token's char n-grams (a token has at most
/// `4 × (MAX_CHAR_NGRAM_TOKEN + 2)` of them with the widest range).
pub(super) const TOKEN_TABLE: usize = 1 << 8;

impl CountTable {
    /// Starts a new row (or token): every slot becomes free; the table starts at
    /// `min_slots` (a power of two), and doubles whenever it gets half full.
    pub(super) fn reset(&mut self, min_slots: usize) {
        if self.slots.len() < min_slots {
            self.slots = vec![Slot::default(); min_slots];
        }
        self.mask = min_slots - 1;
        self.next_stamp();
        self.live.clear();
    }

    /// A stamp no slot holds yet (so every slot is free).
    pub(super) fn next_stamp(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.slots.fill(Slot::default());
            self.stamp = 1;
        }
    }

    /// Slot index of `key` (its own, or the free slot where it belongs).
    #[inline]
    pub(super) fn find(&self, key: u32) -> usize {
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
    pub(super) fn get(&self, key: u32) -> Option<&Slot> {
        Some(&self.slots[self.find(key)]).filter(|s| s.stamp == self.stamp)
    }

    /// Counts one occurrence of `key`.
    #[inline]
    pub(super) fn add(&mut self, key: u32) {
        self.add_n(key, 1);
    }

    /// Counts `n` occurrences of `key`; returns its slot index and whether the key is
    /// new to the row.
    #[inline]
    pub(super) fn add_n(&mut self, key: u32, n: u32) -> (usize, bool) {
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
    pub(super) fn grow(&mut self) {
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
pub(super) struct DistinctTokens {
    /// Slots: index into `tokens`, or `u32::MAX` when free.
    pub(super) table: Vec<u32>,
    /// (first token index, occurrences).
    pub(super) tokens: Vec<(u32, u32)>,
    /// Per token of the row: its index in `tokens` (`u32::MAX`: no char n-grams).
    pub(super) of_token: Vec<u32>,
}

impl DistinctTokens {
    pub(super) fn find(&mut self, tokens: &[impl AsRef<str>], hashes: &[u64]) {
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
