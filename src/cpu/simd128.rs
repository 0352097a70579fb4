//! Bounds-checked loads and stores for the WebAssembly SIMD128 kernels.
//!
//! SIMD128 is a compile-time property on wasm32 (this module exists only in builds with
//! `-C target-feature=+simd128`), so the value intrinsics are safe to call everywhere in
//! such a build; only memory access needs care, and it goes through these helpers, which
//! check the slice length (the checks vanish where the loop already proves them).
//! WebAssembly loads and stores have no alignment requirement.

use std::arch::wasm32::*;

/// Element types any bit pattern is a valid value of, so 16 bytes may be stored over them.
pub(crate) trait Pod: Copy {}
impl Pod for u8 {}
impl Pod for i32 {}
impl Pod for f32 {}
impl Pod for f64 {}

/// The first 16 bytes of `s`. Panics if `s` is shorter.
#[inline(always)]
pub(crate) fn load<T: Pod>(s: &[T]) -> v128 {
    assert!(std::mem::size_of_val(s) >= 16, "16-byte load out of bounds");
    // SAFETY: 16 readable bytes at the start of `s`; no alignment is required.
    unsafe { v128_load(s.as_ptr().cast()) }
}

/// The first 8 bytes of `s` in the low half, zeros above. Panics if `s` is shorter.
#[inline(always)]
pub(crate) fn load8<T: Pod>(s: &[T]) -> v128 {
    assert!(std::mem::size_of_val(s) >= 8, "8-byte load out of bounds");
    // SAFETY: 8 readable bytes at the start of `s`; no alignment is required.
    unsafe { v128_load64_zero(s.as_ptr().cast()) }
}

/// Writes `v` over the first 16 bytes of `d`. Panics if `d` is shorter.
#[inline(always)]
pub(crate) fn store<T: Pod>(d: &mut [T], v: v128) {
    assert!(
        std::mem::size_of_val(d) >= 16,
        "16-byte store out of bounds"
    );
    // SAFETY: 16 writable bytes at the start of `d`, and every bit pattern is a valid `T`.
    unsafe { v128_store(d.as_mut_ptr().cast(), v) }
}
