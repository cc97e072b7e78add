//! A bounded memo from token text to a fixed-width row of numbers.
//!
//! Owns [`TokenMemo`]: scoring keeps one per (head, target) and thread, holding each
//! token's term in the char part of the linear score ([`crate::model`]), so a word seen
//! before costs one look-up instead of hashing its char n-grams and reading their
//! weights. The memo only saves work: a value is the same whether it was memoized or
//! computed afresh, so outputs do not depend on what it holds. It keeps at most
//! [`MEMO_TOKENS`] tokens (and [`MEMO_BYTES`] bytes of token text) and starts empty again
//! when either is reached, so memory stays bounded whatever the input.

/// Most tokens a memo holds before it starts over.
pub const MEMO_TOKENS: usize = 1 << 15;
/// Most bytes of token text a memo holds before it starts over.
pub const MEMO_BYTES: usize = 1 << 20;
/// Longer tokens are not held (they are rare, and would crowd the others out).
pub const MAX_TOKEN_BYTES: usize = 256;

/// Token text → a row of `width` values.
#[derive(Debug, Clone)]
pub struct TokenMemo {
    width: usize,
    /// Open-addressing slots: entry index + 1 (0 = free); twice [`MEMO_TOKENS`] long.
    slots: Vec<u32>,
    /// Per entry: the token's hash and its text's span in `bytes`.
    entries: Vec<(u64, u32, u32)>,
    bytes: Vec<u8>,
    /// Per entry, `width` values.
    values: Vec<f32>,
}

impl TokenMemo {
    /// An empty memo of rows `width` wide.
    pub fn new(width: usize) -> Self {
        TokenMemo {
            width,
            slots: Vec::new(),
            entries: Vec::new(),
            bytes: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Number of tokens held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The slot of `tok` (`hash` is any fixed hash of its text): its own, or the free
    /// slot where it belongs.
    fn find(&self, hash: u64, tok: &str) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = crate::features::mix(hash) as usize & mask;
        loop {
            let e = self.slots[i];
            if e == 0 {
                return i;
            }
            let (h, at, len) = self.entries[e as usize - 1];
            if h == hash && &self.bytes[at as usize..(at + len) as usize] == tok.as_bytes() {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The row of `tok`, if held.
    #[inline]
    pub fn get(&self, hash: u64, tok: &str) -> Option<&[f32]> {
        if self.entries.is_empty() {
            return None;
        }
        let e = self.slots[self.find(hash, tok)] as usize;
        (e > 0).then(|| self.row(e - 1))
    }

    fn row(&self, entry: usize) -> &[f32] {
        &self.values[entry * self.width..(entry + 1) * self.width]
    }

    /// The row of `tok`, computed by `fill` (into a zeroed row) and held when it is not
    /// held yet. Tokens longer than [`MAX_TOKEN_BYTES`] are computed every time; a full
    /// memo starts over before holding a new token.
    #[inline]
    pub fn get_or_insert_with(
        &mut self,
        hash: u64,
        tok: &str,
        fill: impl FnOnce(&mut [f32]),
    ) -> &[f32] {
        if self.slots.is_empty() {
            self.slots = vec![0; 2 * MEMO_TOKENS];
        }
        let mut i = self.find(hash, tok);
        if self.slots[i] > 0 {
            return self.row(self.slots[i] as usize - 1);
        }
        // (Drops the row of a long token computed by the last call, if any.)
        let at = self.entries.len() * self.width;
        self.values.truncate(at);
        self.values.resize(at + self.width, 0.0);
        fill(&mut self.values[at..]);
        if tok.len() > MAX_TOKEN_BYTES {
            // Computed, not held: the row sits past the held ones until the next call.
            return &self.values[at..];
        }
        if self.entries.len() == MEMO_TOKENS || self.bytes.len() + tok.len() > MEMO_BYTES {
            let row = self.values.split_off(at);
            self.clear();
            self.values = row;
            i = self.find(hash, tok);
        }
        self.entries
            .push((hash, self.bytes.len() as u32, tok.len() as u32));
        self.bytes.extend_from_slice(tok.as_bytes());
        self.slots[i] = self.entries.len() as u32;
        self.row(self.entries.len() - 1)
    }

    /// Forgets every token (keeping the allocations).
    pub fn clear(&mut self) {
        self.slots.fill(0);
        self.entries.clear();
        self.bytes.clear();
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(m: &mut TokenMemo, hash: u64, tok: &str, v: f32) -> Vec<f32> {
        m.get_or_insert_with(hash, tok, |r| r.fill(v)).to_vec()
    }

    #[test]
    fn holds_rows_by_text_even_when_hashes_collide() {
        let mut m = TokenMemo::new(2);
        assert_eq!(m.get(7, "war"), None);
        assert_eq!(put(&mut m, 7, "war", 1.0), [1.0, 1.0]);
        // Same hash, other text: a different token.
        assert_eq!(m.get(7, "peace"), None);
        assert_eq!(put(&mut m, 7, "peace", 2.0), [2.0, 2.0]);
        // Held rows are returned without calling `fill`.
        assert_eq!(put(&mut m, 7, "war", 9.0), [1.0, 1.0]);
        assert_eq!(m.get(7, "peace"), Some(&[2.0, 2.0][..]));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn starts_over_when_full_and_stays_bounded() {
        let mut m = TokenMemo::new(1);
        for i in 0..MEMO_TOKENS + 10 {
            let t = format!("t{i}");
            assert_eq!(put(&mut m, i as u64, &t, i as f32), [i as f32]);
            assert_eq!(m.get(i as u64, &t), Some(&[i as f32][..]));
        }
        assert_eq!(m.len(), 10, "started over once the memo held MEMO_TOKENS");
        assert_eq!(m.get(0, "t0"), None);
        m.clear();
        let long = "x".repeat(MAX_TOKEN_BYTES);
        for i in 0..MEMO_BYTES / MAX_TOKEN_BYTES + 1 {
            put(
                &mut m,
                i as u64,
                &format!("{i}{long}")[..MAX_TOKEN_BYTES],
                1.0,
            );
        }
        assert_eq!(
            m.len(),
            1,
            "started over once the text would pass MEMO_BYTES"
        );
    }

    #[test]
    fn long_tokens_are_computed_every_time_and_not_held() {
        let mut m = TokenMemo::new(2);
        put(&mut m, 1, "a", 1.0);
        let long = "y".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(put(&mut m, 2, &long, 5.0), [5.0, 5.0]);
        assert_eq!(put(&mut m, 2, &long, 6.0), [6.0, 6.0]);
        assert_eq!((m.len(), m.get(2, &long)), (1, None));
        assert_eq!(put(&mut m, 3, "b", 3.0), [3.0, 3.0]);
        assert_eq!(m.get(1, "a"), Some(&[1.0, 1.0][..]));
        assert_eq!(m.values.len(), 4, "the long token's row was dropped");
    }
}
