//! The hashing trick: an n-gram's bucket is a fast non-cryptographic hash of it (FNV-1a
//! over bytes, mixed by splitmix64's finalizer), so there is no vocabulary.

pub(super) const WORD_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

pub(super) const CHAR_SEED: u64 = 0xc2b2_ae3d_27d4_eb4f;

pub(super) const TARGET_SEED: u64 = 0x1656_67b1_9e37_79f9;

pub(super) const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

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
