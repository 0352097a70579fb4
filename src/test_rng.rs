//! Deterministic generators for test data, shared by every module's tests: no dependency,
//! and a failure reproduces from its seed.

/// xorshift64 (shifts 13, 7, 17).
pub(crate) struct Rng(u64);

impl Rng {
    /// The stream of `seed`: the state `seed * 0x9E37_79B9_7F4A_7C15 | 1`, so every seed,
    /// 0 included, starts from its own nonzero state.
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1): the top 24 bits of the next state over 2^24.
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [lo, hi).
    pub(crate) fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
}

/// 32-bit xorshift (shifts 13, 17, 5) from the nonzero state it is given.
pub(crate) struct Rng32(pub(crate) u32);

impl Rng32 {
    pub(crate) fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}
