//! A bounded memo from token text to a fixed-width row of numbers.
//!
//! Owns [`TokenMemo`]: scoring keeps one per (head, target) and thread, holding each
//! token's term in the char part of the linear score ([`crate::head`]), so a word seen
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
    // Per token at most: two cells (a key and a row of up to four values), its text.
    let per_token = 2 * (16 + 4 * 4) + BYTES_PER_TOKEN;
    let fit = MEMO_BUDGET_BYTES / (heads.max(1) * per_token);
    let pow2 = if fit.is_power_of_two() {
        fit
    } else {
        fit.next_power_of_two() / 2
    };
    pow2.clamp(1 << 12, 1 << 17)
}

/// One thread's memos, per (model id, target code), all of one capacity.
#[derive(Debug)]
pub struct TokenMemos {
    /// Capacity of each memo in tokens.
    tokens: usize,
    list: Vec<((u64, Option<u64>), TokenMemo)>,
}

impl Default for TokenMemos {
    fn default() -> Self {
        TokenMemos {
            tokens: MEMO_TOKENS,
            list: Vec::new(),
        }
    }
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
                self.list
                    .push((key, TokenMemo::with_capacity(width, self.tokens)));
                self.list.len() - 1
            }
        };
        &mut self.list[m].1
    }
}

/// Tokens up to this many bytes are held in their cell's key; longer ones in a shared
/// buffer.
const INLINE_BYTES: usize = 12;

/// A cell's key: the token's length + 1 (0: a free cell), then its text zero-padded (so
/// that two short tokens are equal exactly when their keys are) or, for a longer token,
/// its offset in the shared buffer and its first 8 bytes.
type Key = [u32; 4];

/// The key of `tok` (whose text starts at `offset` in the shared buffer when it is
/// longer than [`INLINE_BYTES`]).
fn key_of(tok: &[u8], offset: usize) -> Key {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&(tok.len() as u32 + 1).to_le_bytes());
    if tok.len() <= INLINE_BYTES {
        bytes[4..4 + tok.len()].copy_from_slice(tok);
    } else {
        bytes[4..8].copy_from_slice(&(offset as u32).to_le_bytes());
        bytes[8..].copy_from_slice(&tok[..8]);
    }
    std::array::from_fn(|i| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4")))
}

/// Most values a row held in its cell has ([`Cell`]); wider rows are held apart.
const CELL_VALUES: usize = 4;

/// A key and, for rows up to [`CELL_VALUES`] wide (every head with up to three
/// labels), its row: aligned so that a look-up reads half a cache line, not a line for
/// the key and another for the row.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Cell {
    key: Key,
    row: [f32; CELL_VALUES],
}

/// Token text → a row of `width` values.
///
/// An open-addressing table of cells, twice `capacity` long; a row wider than a
/// cell holds is at the same index in `values`, an address known before the key is
/// compared, so the two reads overlap.
#[derive(Debug, Clone)]
pub struct TokenMemo {
    width: usize,
    /// Most tokens held.
    capacity: usize,
    /// Per cell, its key and (when `width` <= [`CELL_VALUES`]) its row; allocated on
    /// first use.
    cells: Vec<Cell>,
    /// Per cell, `width` values, when rows are wider than a cell holds.
    values: Vec<f32>,
    /// Number of tokens held.
    held: usize,
    /// The text of tokens longer than [`INLINE_BYTES`].
    bytes: Vec<u8>,
    /// The row of the last token too long to hold.
    spill: Vec<f32>,
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
            cells: Vec::new(),
            values: Vec::new(),
            held: 0,
            bytes: Vec::new(),
            spill: Vec::new(),
        }
    }

    /// Number of tokens held.
    pub fn len(&self) -> usize {
        self.held
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    /// The cell of `tok` (`hash` is any fixed hash of its text; `key` its
    /// [`key_of`], whose offset is only read for long tokens): its own, or the free
    /// cell where it belongs.
    #[inline]
    fn find(&self, hash: u64, tok: &[u8], key: &Key) -> usize {
        let mask = self.cells.len() - 1;
        let mut i = self.home(hash);
        loop {
            let k = &self.cells[i].key;
            if k[0] == 0 {
                return i;
            }
            let same = if tok.len() <= INLINE_BYTES {
                k == key
            } else {
                k[0] == key[0] && k[2..] == key[2..] && {
                    let at = k[1] as usize;
                    &self.bytes[at..at + tok.len()] == tok
                }
            };
            if same {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Starts loading the cell where a look-up of the token hashing to `hash` begins
    /// (its key and row) into the cache, for a look-up soon after (a hint: it reads
    /// nothing).
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        if self.cells.is_empty() {
            return;
        }
        let i = self.home(hash);
        crate::features::bucket_table::prefetch(&self.cells[i]);
        if let Some(v) = self.values.get(i * self.width) {
            crate::features::bucket_table::prefetch(v);
        }
    }

    /// The cell where a look-up of the token hashing to `hash` begins (the table is
    /// allocated).
    #[inline]
    fn home(&self, hash: u64) -> usize {
        crate::features::mix(hash) as usize & (self.cells.len() - 1)
    }

    /// The row of `cell`: in the cell when it fits, else at the same index in `values`.
    fn row(&self, cell: usize) -> &[f32] {
        if self.width <= CELL_VALUES {
            &self.cells[cell].row[..self.width]
        } else {
            &self.values[cell * self.width..(cell + 1) * self.width]
        }
    }

    /// [`TokenMemo::row`], to fill.
    fn row_mut(&mut self, cell: usize) -> &mut [f32] {
        if self.width <= CELL_VALUES {
            &mut self.cells[cell].row[..self.width]
        } else {
            &mut self.values[cell * self.width..(cell + 1) * self.width]
        }
    }

    /// The row of `tok`, if held.
    #[inline]
    pub fn get(&self, hash: u64, tok: &str) -> Option<&[f32]> {
        if self.held == 0 {
            return None;
        }
        let tok = tok.as_bytes();
        let i = self.find(hash, tok, &key_of(tok, 0));
        (self.cells[i].key[0] != 0).then(|| self.row(i))
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
        if self.cells.is_empty() {
            self.cells = vec![Cell::default(); 2 * self.capacity];
            if self.width > CELL_VALUES {
                self.values = vec![0.0; 2 * self.capacity * self.width];
            }
        }
        let tok = tok.as_bytes();
        let mut key = key_of(tok, self.bytes.len());
        let mut i = self.find(hash, tok, &key);
        if self.cells[i].key[0] != 0 {
            return self.row(i);
        }
        if tok.len() > MAX_TOKEN_BYTES {
            // Computed, not held.
            self.spill.clear();
            self.spill.resize(self.width, 0.0);
            fill(&mut self.spill);
            return &self.spill;
        }
        let long = tok.len() > INLINE_BYTES;
        if self.held == self.capacity
            || (long && self.bytes.len() + tok.len() > self.capacity * BYTES_PER_TOKEN)
        {
            self.clear();
            key = key_of(tok, 0);
            i = self.find(hash, tok, &key);
        }
        if long {
            self.bytes.extend_from_slice(tok);
        }
        self.cells[i].key = key;
        self.held += 1;
        let row = self.row_mut(i);
        row.fill(0.0);
        fill(row);
        row
    }

    /// Forgets every token (keeping the allocations).
    pub fn clear(&mut self) {
        self.cells.fill(Cell::default());
        self.held = 0;
        self.bytes.clear();
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
        // Rows held in their cells, and wider rows held apart.
        for w in [2, CELL_VALUES, CELL_VALUES + 3] {
            let row = |v: f32| vec![v; w];
            let mut m = TokenMemo::new(w);
            assert_eq!(m.get(7, "war"), None);
            assert_eq!(put(&mut m, 7, "war", 1.0), row(1.0));
            // Same hash, other text: a different token.
            assert_eq!(m.get(7, "peace"), None);
            assert_eq!(put(&mut m, 7, "peace", 2.0), row(2.0));
            // Held rows are returned without calling `fill`.
            assert_eq!(put(&mut m, 7, "war", 9.0), row(1.0));
            assert_eq!(m.get(7, "peace"), Some(&row(2.0)[..]));
            assert_eq!(m.len(), 2);
            // Long tokens (held outside their entries), a prefix of one, and a short
            // token padded with what looks like the zeros of an inline key.
            let (a, b) = ("x".repeat(30), format!("{}y", "x".repeat(29)));
            assert_eq!(put(&mut m, 7, &a, 3.0), row(3.0));
            assert_eq!(m.get(7, &b), None);
            assert_eq!(put(&mut m, 7, &b, 4.0), row(4.0));
            assert_eq!(m.get(7, &a[..20]), None);
            assert_eq!(m.get(7, "war\0"), None);
            assert_eq!(put(&mut m, 7, &a, 9.0), row(3.0));
            assert_eq!(m.get(7, &b), Some(&row(4.0)[..]));
            assert_eq!(m.len(), 4);
            // Starting over forgets every row; a new one is filled from zeros.
            m.clear();
            assert_eq!(m.get(7, "war"), None);
            let filled = m.get_or_insert_with(7, "war", |r| r[w - 1] += 5.0).to_vec();
            let mut want = row(0.0);
            want[w - 1] = 5.0;
            assert_eq!(filled, want);
        }
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
                t == 1 << 12 || heads * t * 96 <= MEMO_BUDGET_BYTES,
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
    }
}
