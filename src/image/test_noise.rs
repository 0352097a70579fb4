//! Deterministic test pixels shared by the image and tensor modules' tests.

use crate::test_rng::{Rng, Rng32};

/// `n` bytes of xorshift64 noise (shifts 13, 7, 17; bits 24..32 of each state) from a
/// state seeded with `seed * 0x9E37_79B9_7F4A_7C15 | 1`, so every seed, 0 included, gives
/// its own nonzero stream and failures reproduce.
pub(crate) fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| (r.next_u64() >> 24) as u8).collect()
}

/// `n` bytes of 32-bit xorshift noise (shifts 13, 17, 5; bits 7..15 of each state) from a
/// state seeded with `seed * 2654435761 + 12345`: the resize and tensor tests' generator.
pub(crate) fn bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut r = Rng32(seed.wrapping_mul(2654435761).wrapping_add(12345));
    (0..n).map(|_| (r.next_u32() >> 7) as u8).collect()
}
