//! NEON Q8_0 / Q4_0 kernels: eight 4-lane vectors per 32-value block; the same
//! operations as the x86 kernels, equal to `scalar.rs` bit for bit. `fcvtzs` saturates
//! instead of returning a sentinel, so blocks whose `1 / d` overflowed (all codes 0 in
//! the specification) are written by a branch.

use super::{scalar, Fmt};
use std::arch::aarch64::*;

/// Largest sign-cleared bit pattern of `x`.
#[target_feature(enable = "neon")]
pub(super) unsafe fn max_abs_bits(x: &[f32]) -> u32 {
    let mask = vdupq_n_u32(0x7fff_ffff);
    let (mut m0, mut m1) = (vdupq_n_u32(0), vdupq_n_u32(0));
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        // SAFETY: `c` holds 8 floats.
        let a = vld1q_u32(c.as_ptr() as *const u32);
        let b = vld1q_u32(c.as_ptr().add(4) as *const u32);
        m0 = vmaxq_u32(m0, vandq_u32(a, mask));
        m1 = vmaxq_u32(m1, vandq_u32(b, mask));
    }
    vmaxvq_u32(vmaxq_u32(m0, m1)).max(scalar::max_abs_bits(chunks.remainder()))
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn load_block(p: *const f32) -> ([float32x4_t; 8], [uint32x4_t; 8], u32) {
    let mask = vdupq_n_u32(0x7fff_ffff);
    let mut v = [vdupq_n_f32(0.0); 8];
    let mut a = [vdupq_n_u32(0); 8];
    let mut m = vdupq_n_u32(0);
    for k in 0..8 {
        // SAFETY: the caller passes 32 readable floats.
        v[k] = vld1q_f32(p.add(4 * k));
        a[k] = vandq_u32(vreinterpretq_u32_f32(v[k]), mask);
        m = vmaxq_u32(m, a[k]);
    }
    (v, a, vmaxvq_u32(m))
}

#[target_feature(enable = "neon")]
unsafe fn quantize_q8_0(x: &[f32], q: &mut [u8]) {
    let sign = vdupq_n_u32(0x8000_0000);
    let (half, one) = (vdupq_n_f32(0.5), vreinterpretq_u32_f32(vdupq_n_f32(1.0)));
    for (xb, ob) in x.chunks_exact(32).zip(q.chunks_exact_mut(34)) {
        let (v, _, amax) = load_block(xb.as_ptr());
        let d = f32::from_bits(amax) / 127.0;
        let id = scalar::recip(d);
        scalar::put_f16(ob, d);
        if !id.is_finite() {
            ob[2..].fill(0);
            continue;
        }
        let idv = vdupq_n_f32(id);
        let codes = v.map(|v| {
            let y = vmulq_f32(v, idv);
            let ay = vabsq_f32(y);
            let fl = vrndmq_f32(ay);
            let up = vandq_u32(vcgeq_f32(vsubq_f32(ay, fl), half), one);
            let b = vaddq_f32(fl, vreinterpretq_f32_u32(up));
            let s = vandq_u32(vreinterpretq_u32_f32(y), sign);
            vcvtq_s32_f32(vreinterpretq_f32_u32(vorrq_u32(
                vreinterpretq_u32_f32(b),
                s,
            )))
        });
        let op = ob.as_mut_ptr().add(2) as *mut i8;
        for h in 0..2 {
            let w0 = vcombine_s16(vqmovn_s32(codes[4 * h]), vqmovn_s32(codes[4 * h + 1]));
            let w1 = vcombine_s16(vqmovn_s32(codes[4 * h + 2]), vqmovn_s32(codes[4 * h + 3]));
            // SAFETY: bytes 2 + 16h .. 18 + 16h of the 34-byte block.
            vst1q_s8(op.add(16 * h), vcombine_s8(vqmovn_s16(w0), vqmovn_s16(w1)));
        }
    }
}

#[target_feature(enable = "neon")]
unsafe fn dequantize_q8_0(q: &[u8], x: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(34).zip(x.chunks_exact_mut(32)) {
        let d = vdupq_n_f32(scalar::get_f16(qb));
        let (qp, op) = (qb.as_ptr().add(2) as *const i8, ob.as_mut_ptr());
        for k in 0..4 {
            // SAFETY: bytes 2 + 8k .. 10 + 8k of the block; floats 8k .. 8k + 8.
            let w = vmovl_s8(vld1_s8(qp.add(8 * k)));
            let f0 = vcvtq_f32_s32(vmovl_s16(vget_low_s16(w)));
            let f1 = vcvtq_f32_s32(vmovl_s16(vget_high_s16(w)));
            vst1q_f32(op.add(8 * k), vmulq_f32(f0, d));
            vst1q_f32(op.add(8 * k + 4), vmulq_f32(f1, d));
        }
    }
}

#[target_feature(enable = "neon")]
unsafe fn quantize_q4_0(x: &[f32], q: &mut [u8]) {
    let (bias, fifteen) = (vdupq_n_f32(8.5), vdupq_n_s32(15));
    let lane = [0u32, 1, 2, 3];
    let lanes = vld1q_u32(lane.as_ptr());
    for (xb, ob) in x.chunks_exact(32).zip(q.chunks_exact_mut(18)) {
        let (v, a, amax) = load_block(xb.as_ptr());
        let mb = vdupq_n_u32(amax);
        // First lane holding the maximum: the minimum index over matching lanes.
        let mut first = vdupq_n_u32(u32::MAX);
        for (k, a) in a.iter().enumerate() {
            let idx = vaddq_u32(lanes, vdupq_n_u32(4 * k as u32));
            first = vminq_u32(
                first,
                vbslq_u32(vceqq_u32(*a, mb), idx, vdupq_n_u32(u32::MAX)),
            );
        }
        let d = xb[vminvq_u32(first) as usize] / -8.0;
        let id = scalar::recip(d);
        scalar::put_f16(ob, d);
        if !id.is_finite() {
            ob[2..].fill(0);
            continue;
        }
        let idv = vdupq_n_f32(id);
        let codes = v.map(|v| {
            let y = vaddq_f32(vmulq_f32(v, idv), bias);
            vminq_s32(vcvtq_s32_f32(y), fifteen)
        });
        let mut halves = [vdupq_n_u8(0); 2];
        for (h, out) in halves.iter_mut().enumerate() {
            let w0 = vcombine_u16(vqmovun_s32(codes[4 * h]), vqmovun_s32(codes[4 * h + 1]));
            let w1 = vcombine_u16(vqmovun_s32(codes[4 * h + 2]), vqmovun_s32(codes[4 * h + 3]));
            *out = vcombine_u8(vqmovn_u16(w0), vqmovn_u16(w1));
        }
        let packed = vorrq_u8(halves[0], vshlq_n_u8::<4>(halves[1]));
        // SAFETY: bytes 2..18 of the 18-byte block.
        vst1q_u8(ob.as_mut_ptr().add(2), packed);
    }
}

#[target_feature(enable = "neon")]
unsafe fn dequantize_q4_0(q: &[u8], x: &mut [f32]) {
    let (low, eight) = (vdupq_n_u8(0x0f), vdupq_n_s8(8));
    for (qb, ob) in q.chunks_exact(18).zip(x.chunks_exact_mut(32)) {
        let d = vdupq_n_f32(scalar::get_f16(qb));
        // SAFETY: bytes 2..18 of the 18-byte block.
        let b = vld1q_u8(qb.as_ptr().add(2));
        let lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b, low)), eight);
        let hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8::<4>(b)), eight);
        let op = ob.as_mut_ptr();
        for (k, h) in [lo, hi].into_iter().enumerate() {
            let w = [vmovl_s8(vget_low_s8(h)), vmovl_s8(vget_high_s8(h))];
            for (j, w) in w.into_iter().enumerate() {
                let f0 = vcvtq_f32_s32(vmovl_s16(vget_low_s16(w)));
                let f1 = vcvtq_f32_s32(vmovl_s16(vget_high_s16(w)));
                // SAFETY: floats 16k + 8j .. 16k + 8j + 8 of the 32-float block.
                vst1q_f32(op.add(16 * k + 8 * j), vmulq_f32(d, f0));
                vst1q_f32(op.add(16 * k + 8 * j + 4), vmulq_f32(d, f1));
            }
        }
    }
}

/// Quantizes whole blocks (see `super::quantize`).
#[target_feature(enable = "neon")]
pub(super) unsafe fn quantize(fmt: Fmt, x: &[f32], q: &mut [u8]) {
    match fmt {
        Fmt::Q8_0 => quantize_q8_0(x, q),
        Fmt::Q4_0 => quantize_q4_0(x, q),
    }
}

/// Dequantizes whole blocks (see `super::dequantize`).
#[target_feature(enable = "neon")]
pub(super) unsafe fn dequantize(fmt: Fmt, q: &[u8], x: &mut [f32]) {
    match fmt {
        Fmt::Q8_0 => dequantize_q8_0(q, x),
        Fmt::Q4_0 => dequantize_q4_0(q, x),
    }
}
