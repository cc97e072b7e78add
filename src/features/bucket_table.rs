//! The storage of per-bucket parameters (IDF, weight rows) over a hashed feature space.
//!
//! Owns [`BucketTable`]: a space of `2^b` hash buckets of which most are empty (dropped
//! by `min_df`, or never seen in training), stored as a presence bitmap with a running
//! rank per 64 buckets and the non-empty rows packed one after another. A look-up reads
//! one 16-byte block of the bitmap (128 KB for 2^19 buckets, so it stays in cache) and
//! then one packed row, so scoring touches a few MB per head instead of a dense
//! `buckets × width` array, and a process holding several heads stays small.
//! Two tables over the same buckets can share one store ([`BucketTable::interleave`]):
//! a bucket's IDF and its weights then sit side by side, and the look-up of one brings
//! the other into cache.

use std::sync::Arc;

use crate::error::{Error, Result};

/// 64 buckets: which are present, and how many present buckets come before them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Block {
    bits: u64,
    rank: u32,
}

/// The bitmap and the packed rows, `stride` values each, of one or more tables.
#[derive(Debug)]
struct Store {
    blocks: Vec<Block>,
    /// The present rows, in bucket order, then one row of zeros (what absent buckets read).
    rows: Vec<f32>,
    n_present: usize,
    stride: usize,
}

/// Where a bucket's row starts in a store ([`BucketTable::locate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowAt(u32);

/// A sparse `buckets × width` table of `f32` rows; absent rows read as zeros. Its rows
/// are values `offset..offset + width` of the rows of its store.
#[derive(Debug, Clone)]
pub struct BucketTable {
    width: usize,
    offset: usize,
    buckets: usize,
    store: Arc<Store>,
}

/// Tables are equal when they map every bucket to the same row, however they are stored.
impl PartialEq for BucketTable {
    fn eq(&self, other: &Self) -> bool {
        self.buckets == other.buckets
            && self.width == other.width
            && (0..self.buckets as u32).all(|b| self.row(b) == other.row(b))
    }
}

impl BucketTable {
    /// A table over `buckets` buckets whose rows are `width` wide,
    /// from `(bucket, row)` pairs in strictly ascending bucket order.
    pub fn from_rows<'a>(
        buckets: usize,
        width: usize,
        rows: impl IntoIterator<Item = (u32, &'a [f32])>,
    ) -> Result<Self> {
        if width == 0 {
            return Err(Error::Params(
                "bucket table rows must be at least 1 wide".into(),
            ));
        }
        let mut blocks = vec![Block::default(); buckets.div_ceil(64)];
        let mut packed = Vec::new();
        let mut n_present = 0usize;
        let mut last: Option<u32> = None;
        for (b, row) in rows {
            if b as usize >= buckets {
                return Err(Error::Params(format!(
                    "bucket {b} out of range (table has {buckets})"
                )));
            }
            if last.is_some_and(|l| b <= l) {
                return Err(Error::Params(format!(
                    "bucket {b} listed after bucket {}: buckets must be strictly ascending",
                    last.unwrap_or(0)
                )));
            }
            if row.len() != width {
                return Err(Error::Params(format!(
                    "bucket {b} has a row of {} values, expected {width}",
                    row.len()
                )));
            }
            last = Some(b);
            blocks[b as usize / 64].bits |= 1u64 << (b % 64);
            packed.extend_from_slice(row);
            n_present += 1;
        }
        let mut rank = 0u32;
        for blk in &mut blocks {
            blk.rank = rank;
            rank += blk.bits.count_ones();
        }
        packed.extend(std::iter::repeat_n(0.0, width));
        if packed.len() > u32::MAX as usize {
            return Err(Error::Params(format!(
                "a bucket table of {} values is too large ({} at most)",
                packed.len(),
                u32::MAX
            )));
        }
        Ok(BucketTable {
            width,
            offset: 0,
            buckets,
            store: Arc::new(Store {
                blocks,
                rows: packed,
                n_present,
                stride: width,
            }),
        })
    }

    /// `a` and `b` (over the same buckets) as two tables sharing one store, each
    /// bucket's row of `a` followed by its row of `b`; `None` when the bucket counts
    /// differ (or the store would be past what [`RowAt`] addresses). Every bucket reads
    /// the same rows as before.
    pub fn interleave(a: &BucketTable, b: &BucketTable) -> Option<(BucketTable, BucketTable)> {
        if a.buckets != b.buckets {
            return None;
        }
        let (sa, sb) = (&*a.store, &*b.store);
        let stride = a.width + b.width;
        let mut blocks = Vec::with_capacity(sa.blocks.len());
        let n_union: usize = (sa.blocks.iter().zip(&sb.blocks))
            .map(|(x, y)| (x.bits | y.bits).count_ones() as usize)
            .sum();
        // Exactly the rows stored (the model's largest allocation; no doubling slack).
        let mut rows = Vec::with_capacity((n_union + 1) * stride);
        let mut rank = 0u32;
        for (ba, bb) in sa.blocks.iter().zip(&sb.blocks) {
            let bits = ba.bits | bb.bits;
            blocks.push(Block { bits, rank });
            rank += bits.count_ones();
            // Each present bucket's rows, by walking the set bits of the union in order.
            let (mut ra, mut rb) = (ba.rank as usize, bb.rank as usize);
            let mut rest = bits;
            while rest != 0 {
                let bit = rest & rest.wrapping_neg();
                rest ^= bit;
                for (table, store, have, r) in
                    [(a, sa, ba.bits, &mut ra), (b, sb, bb.bits, &mut rb)]
                {
                    if have & bit != 0 {
                        let at = *r * store.stride + table.offset;
                        rows.extend_from_slice(&store.rows[at..at + table.width]);
                        *r += 1;
                    } else {
                        rows.extend(std::iter::repeat_n(0.0, table.width));
                    }
                }
            }
        }
        let n_present = rank as usize;
        rows.extend(std::iter::repeat_n(0.0, stride));
        if rows.len() > u32::MAX as usize {
            return None; // Past what a `RowAt` addresses: keep the tables apart.
        }
        let both = BucketTable {
            width: stride,
            offset: 0,
            buckets: a.buckets,
            store: Arc::new(Store {
                blocks,
                rows,
                n_present,
                stride,
            }),
        };
        let view = |width, offset| BucketTable {
            width,
            offset,
            buckets: a.buckets,
            store: Arc::clone(&both.store),
        };
        Some((view(a.width, 0), view(b.width, a.width)))
    }

    /// The table of a dense `buckets × width` array, keeping the rows that are not all zero.
    pub fn from_dense(dense: &[f32], width: usize) -> Result<Self> {
        let buckets = dense.len() / width.max(1);
        let rows = dense
            .chunks_exact(width.max(1))
            .enumerate()
            .filter(|(_, r)| r.iter().any(|&x| x != 0.0))
            .map(|(b, r)| (b as u32, r));
        Self::from_rows(buckets, width, rows)
    }

    /// Number of buckets.
    pub fn buckets(&self) -> usize {
        self.buckets
    }

    /// Width of a row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of stored rows (in a shared store, rows of zeros too, stored for the
    /// other table).
    pub fn len(&self) -> usize {
        self.store.n_present
    }

    /// Whether no row is stored.
    pub fn is_empty(&self) -> bool {
        self.store.n_present == 0
    }

    /// The row of `bucket` (zeros when absent). Panics if `bucket` is past the last block.
    #[inline]
    pub fn row(&self, bucket: u32) -> &[f32] {
        self.row_at(self.locate(bucket))
    }

    /// Where `bucket`'s row sits in the store (the row of zeros when absent): the rank
    /// computation of a look-up, for [`BucketTable::row_at`] on this table or on any
    /// table sharing its store ([`BucketTable::shares_store`]), so that reading a
    /// bucket's IDF and then its weights ranks it once.
    #[inline]
    pub fn locate(&self, bucket: u32) -> RowAt {
        self.locate_present(bucket)
            .unwrap_or(RowAt((self.store.n_present * self.store.stride) as u32))
    }

    /// [`BucketTable::locate`] of a bucket with a stored row; `None` for an absent one
    /// (which reads zeros), found from the bitmap alone.
    #[inline]
    pub fn locate_present(&self, bucket: u32) -> Option<RowAt> {
        let store = &*self.store;
        let blk = store.blocks[(bucket / 64) as usize];
        let bit = 1u64 << (bucket % 64);
        (blk.bits & bit != 0).then(|| {
            let r = blk.rank as usize + (blk.bits & (bit - 1)).count_ones() as usize;
            RowAt((r * store.stride) as u32)
        })
    }

    /// Starts loading the bitmap block of `bucket` into the cache, for a
    /// [`BucketTable::locate_present`] soon after (a hint: it reads nothing).
    #[inline]
    pub fn prefetch_block(&self, bucket: u32) {
        if let Some(blk) = self.store.blocks.get((bucket / 64) as usize) {
            prefetch(blk);
        }
    }

    /// Starts loading the row at `at` into the cache, for a [`BucketTable::row_at`]
    /// soon after (a hint: it reads nothing).
    #[inline]
    pub fn prefetch_row(&self, at: RowAt) {
        if let Some(v) = self.store.rows.get(at.0 as usize + self.offset) {
            prefetch(v);
        }
    }

    /// The row at a place [`BucketTable::locate`] found in this table's store.
    #[inline]
    pub fn row_at(&self, at: RowAt) -> &[f32] {
        let at = at.0 as usize + self.offset;
        &self.store.rows[at..at + self.width]
    }

    /// Whether `other` keeps its rows in this table's store (then a place found by
    /// either table's [`BucketTable::locate`] reads the same bucket in both).
    pub fn shares_store(&self, other: &BucketTable) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }

    /// The first value of `bucket`'s row (for width-1 tables: the value).
    #[inline]
    pub fn value(&self, bucket: u32) -> f32 {
        self.row(bucket)[0]
    }

    /// The stored rows in bucket order (see [`BucketTable::len`]).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[f32])> + '_ {
        let store = &*self.store;
        store
            .blocks
            .iter()
            .enumerate()
            .flat_map(|(i, blk)| {
                (0..64u32)
                    .filter(move |j| blk.bits >> j & 1 == 1)
                    .map(move |j| i as u32 * 64 + j)
            })
            .zip(
                store
                    .rows
                    .chunks_exact(store.stride)
                    .map(|r| &r[self.offset..self.offset + self.width]),
            )
    }

    /// The dense `buckets × width` array.
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0; self.buckets() * self.width];
        for (b, row) in self.iter() {
            let at = b as usize * self.width;
            dense[at..at + self.width].copy_from_slice(row);
        }
        dense
    }
}

/// Hints the CPU to bring the cache line holding `value` into all cache levels.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults and neither reads nor writes
    // memory as the program sees it; SSE, which it needs, is part of every x86_64 CPU.
    #[allow(unsafe_code)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(value as *const T as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn absent_rows_read_zero_and_present_rows_read_back() {
        let t =
            BucketTable::from_rows(128, 2, [(3, &[1.0, 2.0][..]), (64, &[3.0, 4.0][..])]).unwrap();
        assert_eq!(t.row(3), &[1.0, 2.0]);
        assert_eq!(t.row(64), &[3.0, 4.0]);
        assert_eq!(t.row(4), &[0.0, 0.0]);
        assert_eq!(t.row(127), &[0.0, 0.0]);
        assert_eq!(t.len(), 2);
        let other = BucketTable::from_rows(256, 2, []).unwrap();
        assert!(
            BucketTable::interleave(&t, &other).is_none(),
            "bucket counts differ"
        );
    }

    #[test]
    fn rejects_unordered_out_of_range_and_ragged_rows() {
        let one = [1.0f32];
        for bad in [
            vec![(5u32, &one[..]), (5, &one[..])],
            vec![(6, &one[..]), (5, &one[..])],
            vec![(64, &one[..])],
            vec![(1, &[1.0, 2.0][..])],
        ] {
            assert!(BucketTable::from_rows(64, 1, bad).is_err());
        }
        assert!(BucketTable::from_rows(100, 0, []).is_err());
        let odd = BucketTable::from_rows(100, 1, [(99, &one[..])]).unwrap();
        assert_eq!(
            (odd.buckets(), odd.value(99), odd.value(98)),
            (100, 1.0, 0.0)
        );
    }

    proptest! {
        #[test]
        fn interleaved_tables_read_as_before(
            a in proptest::collection::vec(prop_oneof![2 => Just(0.0f32), 1 => 0.5f32..5.0], 200),
            b in proptest::collection::vec(prop_oneof![2 => Just(0.0f32), 1 => -5.0f32..5.0], 400),
        ) {
            let (ta, tb) = (BucketTable::from_dense(&a, 1).unwrap(), BucketTable::from_dense(&b, 2).unwrap());
            let (ia, ib) = BucketTable::interleave(&ta, &tb).unwrap();
            prop_assert!(Arc::ptr_eq(&ia.store, &ib.store));
            prop_assert_eq!(ia.to_dense(), a.clone());
            prop_assert_eq!(ib.to_dense(), b.clone());
            prop_assert!(ia == ta && ib == tb);
            prop_assert!(ia.shares_store(&ib) && !ta.shares_store(&tb));
            for bucket in 0..200u32 {
                prop_assert_eq!(ia.value(bucket), ta.value(bucket));
                prop_assert_eq!(ib.row(bucket), tb.row(bucket));
                // A bucket located in one table reads its row in the other.
                let at = ia.locate(bucket);
                prop_assert_eq!(ia.row_at(at), ta.row(bucket));
                prop_assert_eq!(ib.row_at(at), tb.row(bucket));
                // Present exactly when either table stores a non-zero row there.
                let stored = a[bucket as usize] != 0.0
                    || b[2 * bucket as usize..2 * bucket as usize + 2].iter().any(|&x| x != 0.0);
                prop_assert_eq!(ia.locate_present(bucket), stored.then_some(at));
            }
            // The non-zero rows, as a model file keeps them, are the same.
            let nonzero = |t: &BucketTable| t.iter().filter(|(_, r)| r.iter().any(|&x| x != 0.0))
                .map(|(k, r)| (k, r.to_vec())).collect::<Vec<_>>();
            prop_assert_eq!(nonzero(&ia), nonzero(&ta));
            prop_assert_eq!(nonzero(&ib), nonzero(&tb));
        }

        #[test]
        fn dense_round_trips(dense in proptest::collection::vec(
            prop_oneof![3 => Just(0.0f32), 1 => -5.0f32..5.0], 192 * 3)) {
            let t = BucketTable::from_dense(&dense, 3).unwrap();
            prop_assert_eq!(t.to_dense(), dense.clone());
            for b in 0..192u32 {
                prop_assert_eq!(t.row(b), &dense[b as usize * 3..b as usize * 3 + 3]);
            }
            let stored = dense.chunks(3).filter(|r| r.iter().any(|&x| x != 0.0)).count();
            prop_assert_eq!(t.len(), stored);
            prop_assert_eq!(t.iter().count(), stored);
        }
    }
}
