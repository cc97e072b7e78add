//! A bounded memo from token text to a fixed-width row of numbers.
//!
//! Owns [`TokenMemo`]: scoring keeps one per (head, target) and thread, holding each
//! token's term in the char part of the linear score ([`crate::model`]), so a word seen
//! before costs one look-up instead of hashing its char n-grams and reading their
//! weights. The memo only saves work: a value is the same whether it was memoized or
//! computed afresh, so outputs do not depend on what it holds. It keeps at most its
//! capacity in tokens (and [`BYTES_PER_TOKEN`] bytes of token text per token of
//! capacity) and starts empty again when either is reached, so memory stays bounded
//! whatever the input. [`TokenMemos`] holds a thread's memos, sized so that they share
//! one budget ([`memo_tokens_for`]).

/// Default capacity of a memo, in tokens.
pub const MEMO_TOKENS: usize = 1 << 15;
/// Bytes of token text a memo holds per token of capacity.
pub const BYTES_PER_TOKEN: usize = 32;
/// Most bytes of token text a memo of the default capacity holds.
pub const MEMO_BYTES: usize = MEMO_TOKENS * BYTES_PER_TOKEN;
/// Longer tokens are not held (they are rare, and would crowd the others out).
pub const MAX_TOKEN_BYTES: usize = 256;
/// Bytes of memo one thread may hold in all, whatever the number of heads.
pub const MEMO_BUDGET_BYTES: usize = 12 << 20;
/// How many (model, target) memos a thread keeps before it starts over.
const MAX_MEMOS: usize = 16;

/// Capacity (in tokens) of each memo when a thread scores `heads` heads: the budget
/// shared evenly, as a power of two between 2^12 and 2^17 tokens. Bigger memos miss
/// less often (a miss hashes a word's char n-grams and reads their weights afresh).
pub fn memo_tokens_for(heads: usize) -> usize {
    // Per token at most: two slots, an entry, a row of up to four values, its text.
    let per_token = 2 * 4 + 16 + 4 * 4 + BYTES_PER_TOKEN;
    let fit = MEMO_BUDGET_BYTES / (heads.max(1) * per_token);
    let pow2 = if fit.is_power_of_two() {
        fit
    } else {
        fit.next_power_of_two() / 2
    };
    pow2.clamp(1 << 12, 1 << 17)
}

/// One thread's memos, per (model id, target code), all of one capacity.
#[derive(Debug, Default)]
pub struct TokenMemos {
    /// Capacity of each memo in tokens (0: [`MEMO_TOKENS`]).
    tokens: usize,
    list: Vec<((u64, Option<u64>), TokenMemo)>,
}

impl TokenMemos {
    /// Sets the capacity of every memo (dropping the memos when it changes).
    pub fn set_capacity(&mut self, tokens: usize) {
        if tokens != self.tokens {
            self.list.clear();
            self.tokens = tokens;
        }
    }

    /// The memo of `key` (created empty, with rows `width` wide, when new).
    pub fn get(&mut self, key: (u64, Option<u64>), width: usize) -> &mut TokenMemo {
        let m = match self.list.iter().position(|(k, _)| *k == key) {
            Some(m) => m,
            None => {
                if self.list.len() == MAX_MEMOS {
                    self.list.clear();
                }
                let tokens = if self.tokens == 0 {
                    MEMO_TOKENS
                } else {
                    self.tokens
                };
                self.list
                    .push((key, TokenMemo::with_capacity(width, tokens)));
                self.list.len() - 1
            }
        };
        &mut self.list[m].1
    }
}

/// Token text → a row of `width` values.
#[derive(Debug, Clone)]
pub struct TokenMemo {
    width: usize,
    /// Most tokens held.
    capacity: usize,
    /// Open-addressing slots: entry index + 1 (0 = free); twice `capacity` long.
    slots: Vec<u32>,
    /// Per entry: the token's hash and its text's span in `bytes`.
    entries: Vec<(u64, u32, u32)>,
    bytes: Vec<u8>,
    /// Per entry, `width` values.
    values: Vec<f32>,
}

impl TokenMemo {
    /// An empty memo of rows `width` wide, of the default capacity.
    pub fn new(width: usize) -> Self {
        TokenMemo::with_capacity(width, MEMO_TOKENS)
    }

    /// An empty memo of rows `width` wide that holds at most `tokens` tokens (a power
    /// of two) and `tokens ×` [`BYTES_PER_TOKEN`] bytes of their text.
    pub fn with_capacity(width: usize, tokens: usize) -> Self {
        assert!(tokens.is_power_of_two(), "memo capacity is a power of two");
        TokenMemo {
            width,
            capacity: tokens,
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
            self.slots = vec![0; 2 * self.capacity];
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
        if self.entries.len() == self.capacity
            || self.bytes.len() + tok.len() > self.capacity * BYTES_PER_TOKEN
        {
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
    fn memos_share_one_budget_and_keep_their_capacity() {
        // One head gets the largest memo, four share the budget, many get the smallest.
        assert_eq!(memo_tokens_for(1), 1 << 17);
        assert_eq!(memo_tokens_for(4), 1 << 15);
        assert_eq!(memo_tokens_for(1000), 1 << 12);
        for heads in 1..40 {
            let t = memo_tokens_for(heads);
            assert!(t.is_power_of_two());
            assert!(
                t == 1 << 12 || heads * t * 72 <= MEMO_BUDGET_BYTES,
                "{heads}"
            );
        }
        let mut memos = TokenMemos::default();
        memos.set_capacity(1 << 12);
        let m = memos.get((1, None), 1);
        for i in 0..(1 << 12) + 3 {
            m.get_or_insert_with(i as u64, &format!("t{i}"), |r| r[0] = 1.0);
        }
        assert_eq!(m.len(), 3, "started over at its own capacity");
        // The same key finds the same memo; a new capacity starts them all over.
        assert_eq!(memos.get((1, None), 1).len(), 3);
        memos.set_capacity(1 << 13);
        assert!(memos.get((1, None), 1).is_empty());
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
