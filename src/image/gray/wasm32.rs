//! WebAssembly SIMD128 grayscale: 16 pixels per step, the SSE4.1 scheme. Constant byte
//! shuffles gather three-byte pixels into 16-bit (p0, p1) and (p2, 1) pairs, four-byte
//! pixels are split into (p0, p2) and (p1, p3) pairs with a mask and a shift;
//! `i32x4.dot_i16x8_s` then forms the exact 32-bit weighted sums (all weights and bytes fit
//! in i16 without sign trouble: weights < 2^15, bytes < 2^8).

use super::scalar::{ROUND, SHIFT};
use crate::cpu::simd128::{load, store};
use std::arch::wasm32::*;

/// Weighted sums of the 4 three-byte pixels whose bytes start at byte 0 (`HIGH = false`) or
/// byte 4 (`HIGH = true`) of `v`. The second shuffle operand `one` (bytes 1, 0, 1, 0, ...)
/// supplies the zero high bytes (index 17) and the constant 1 (index 16) that picks up the
/// rounding term from `w2r = (w2, ROUND)`.
#[inline(always)]
fn sums3<const HIGH: bool>(v: v128, w01: v128, w2r: v128) -> v128 {
    let one = u16x8_splat(1);
    let (p01, p2) = if HIGH {
        (
            i8x16_shuffle::<4, 17, 5, 17, 7, 17, 8, 17, 10, 17, 11, 17, 13, 17, 14, 17>(v, one),
            i8x16_shuffle::<6, 17, 16, 17, 9, 17, 16, 17, 12, 17, 16, 17, 15, 17, 16, 17>(v, one),
        )
    } else {
        (
            i8x16_shuffle::<0, 17, 1, 17, 3, 17, 4, 17, 6, 17, 7, 17, 9, 17, 10, 17>(v, one),
            i8x16_shuffle::<2, 17, 16, 17, 5, 17, 16, 17, 8, 17, 16, 17, 11, 17, 16, 17>(v, one),
        )
    };
    let s = i32x4_add(i32x4_dot_i16x8(p01, w01), i32x4_dot_i16x8(p2, w2r));
    u32x4_shr(s, SHIFT)
}

/// Weighted sums of the 4 four-byte pixels in `v`.
#[inline(always)]
fn sums4(v: v128, w02: v128, w1: v128) -> v128 {
    let even = v128_and(v, u16x8_splat(0xff));
    let odd = u16x8_shr(v, 8);
    let s = i32x4_add(i32x4_dot_i16x8(even, w02), i32x4_dot_i16x8(odd, w1));
    u32x4_shr(i32x4_add(s, u32x4_splat(ROUND)), SHIFT)
}

/// Packs four vectors of 4 sums (each 0..=255) into 16 bytes in order.
#[inline(always)]
fn pack(r0: v128, r1: v128, r2: v128, r3: v128) -> v128 {
    u8x16_narrow_i16x8(i16x8_narrow_i32x4(r0, r1), i16x8_narrow_i32x4(r2, r3))
}

/// Converts as many leading pixels as whole 16-pixel steps allow without reading past
/// `src`; returns how many were written. The caller finishes the rest with the scalar kernel.
pub fn gray_row(src: &[u8], dst: &mut [u8], bpp: usize, w: [u32; 3]) -> usize {
    let (w0, w1, w2, r) = (w[0] as i16, w[1] as i16, w[2] as i16, ROUND as i16);
    let mut done = 0;
    if bpp == 3 {
        let w01 = i16x8(w0, w1, w0, w1, w0, w1, w0, w1);
        let w2r = i16x8(w2, r, w2, r, w2, r, w2, r);
        for (s, d) in src.chunks_exact(48).zip(dst.chunks_exact_mut(16)) {
            // The last 4 pixels (bytes 36..48) are taken from a load at byte 32, so a step
            // reads exactly its 48 bytes.
            let r0 = sums3::<false>(load(&s[..16]), w01, w2r);
            let r1 = sums3::<false>(load(&s[12..28]), w01, w2r);
            let r2 = sums3::<false>(load(&s[24..40]), w01, w2r);
            let r3 = sums3::<true>(load(&s[32..48]), w01, w2r);
            store(d, pack(r0, r1, r2, r3));
            done += 16;
        }
    } else {
        let w02 = i16x8(w0, w2, w0, w2, w0, w2, w0, w2);
        let w1 = i16x8(w1, 0, w1, 0, w1, 0, w1, 0);
        for (s, d) in src.chunks_exact(64).zip(dst.chunks_exact_mut(16)) {
            let r0 = sums4(load(&s[..16]), w02, w1);
            let r1 = sums4(load(&s[16..32]), w02, w1);
            let r2 = sums4(load(&s[32..48]), w02, w1);
            let r3 = sums4(load(&s[48..64]), w02, w1);
            store(d, pack(r0, r1, r2, r3));
            done += 16;
        }
    }
    done
}
