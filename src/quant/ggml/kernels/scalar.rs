//! Reference GGML block kernels: the specification every SIMD kernel equals bit for bit,
//! written to reproduce `gguf.quants` of the `gguf` Python package 0.19.0 (numpy, every
//! step in f32, no fused multiply-add) bit for bit. Inputs are whole blocks; callers
//! have checked that every input value is finite and every scale fits f16.
//!
//! Shared rules: a block's scale `d` is computed in f32, its reciprocal is
//! `id = if d == 0 { 0 } else { 1 / d }` (f32), the codes are computed from the f32 `d`
//! and `id`, and `d` (and the minimum `m` where there is one) is stored as IEEE f16
//! rounded to nearest even (`numpy.astype(float16)`). Dequantization converts the stored
//! f16 values exactly to f32 and evaluates each formula with one f32 rounding per
//! operation, in the order written.

use half::f16;

/// Stores `v` as f16 (round to nearest even), little-endian.
#[inline(always)]
pub fn put_f16(out: &mut [u8], v: f32) {
    out[..2].copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
}

/// The f16 at `b[0..2]`, little-endian, as f32 (exact).
#[inline(always)]
pub fn get_f16(b: &[u8]) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32()
}

/// `1 / d`, or 0 when `d` is 0 (`np.where(d == 0, 0, 1 / d)`).
#[inline(always)]
pub fn recip(d: f32) -> f32 {
    if d == 0.0 {
        0.0
    } else {
        1.0 / d
    }
}

/// Round half away from zero (C `roundf`, `gguf.quants.np_roundf`) of `y`, then numpy's
/// float-to-int cast: `floor(|y|) + (frac(|y|) >= 0.5)` with the sign of `y` (`|y| -
/// floor(|y|)` is exact, so this equals `floor(a) + floor(2 * (a - floor(a)))`); a
/// non-finite `y` gives 0, as numpy's cast on x86-64 and aarch64 (it only occurs when
/// `1 / d` overflows for a block of subnormal values, whose f16 scale is 0 anyway).
#[inline(always)]
pub fn round_away(y: f32) -> i32 {
    if !y.is_finite() {
        return 0;
    }
    let a = y.abs();
    let t = a as i32; // floor for 0 <= a < 2^31 (|y| <= 128 here)
    let r = t + ((a - t as f32) >= 0.5) as i32;
    if y < 0.0 {
        -r
    } else {
        r
    }
}

/// `trunc(y)` cast to u8 as numpy's `astype(uint8)` on the values that occur here
/// (`0 <= y < 32` or non-finite, which gives 0), then `min(max_code)`.
#[inline(always)]
pub fn trunc_code(y: f32, max_code: u8) -> u8 {
    if y.is_finite() {
        (y as i32 as u8).min(max_code)
    } else {
        0
    }
}

/// The block's value of largest magnitude, the first one on ties (numpy `argmax` of
/// `abs(block)`); +0.0 or -0.0 is `block[0]` when the block is all zeros.
#[inline(always)]
pub fn signed_absmax(block: &[f32]) -> f32 {
    let mut best = 0usize;
    let mut best_bits = block[0].to_bits() & 0x7fff_ffff;
    for (j, v) in block.iter().enumerate().skip(1) {
        let b = v.to_bits() & 0x7fff_ffff;
        if b > best_bits {
            best_bits = b;
            best = j;
        }
    }
    block[best]
}

/// `max |x|` of a block (finite values: the bit patterns order like the magnitudes).
#[inline(always)]
pub fn absmax(block: &[f32]) -> f32 {
    f32::from_bits(
        block
            .iter()
            .map(|v| v.to_bits() & 0x7fff_ffff)
            .max()
            .unwrap_or(0),
    )
}

/// `(min, max)` of a block: the first of equal values (only the sign of a zero can tell).
#[inline(always)]
pub fn minmax(block: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = (block[0], block[0]);
    for &v in &block[1..] {
        if v < lo {
            lo = v;
        }
        if v > hi {
            hi = v;
        }
    }
    (lo, hi)
}

/// Largest `|x|` bit pattern (sign cleared) of `x`: above `0x7f80_0000 - 1` means a
/// non-finite value is present. 0 for an empty slice.
pub fn max_abs_bits(x: &[f32]) -> u32 {
    x.iter()
        .map(|v| v.to_bits() & 0x7fff_ffff)
        .max()
        .unwrap_or(0)
}

// ---------------------------------------------------------------- Q8_0 (34-byte blocks)

/// Q8_0: `d = amax / 127`, `q = round_away(x * id)` as i8; block = f16 d, 32 x i8.
pub fn quantize_q8_0(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(34)) {
        let d = absmax(xb) / 127.0;
        let id = recip(d);
        put_f16(ob, d);
        for (o, &v) in ob[2..].iter_mut().zip(xb) {
            *o = round_away(v * id) as i8 as u8;
        }
    }
}

/// Q8_0 dequantize: `x = q * d`.
pub fn dequantize_q8_0(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(34).zip(out.chunks_exact_mut(32)) {
        let d = get_f16(qb);
        for (o, &c) in ob.iter_mut().zip(&qb[2..]) {
            *o = c as i8 as f32 * d;
        }
    }
}

// ---------------------------------------------------------------- Q4_0 (18-byte blocks)

/// Q4_0: `max` = the signed value of largest magnitude, `d = max / -8`,
/// `q = min(15, trunc(x * id + 8.5))`; block = f16 d, 16 bytes with element j in the low
/// nibble and element j + 16 in the high nibble of byte j.
pub fn quantize_q4_0(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(18)) {
        let d = signed_absmax(xb) / -8.0;
        let id = recip(d);
        put_f16(ob, d);
        let code = |v: f32| trunc_code(v * id + 8.5, 15);
        for j in 0..16 {
            ob[2 + j] = code(xb[j]) | (code(xb[j + 16]) << 4);
        }
    }
}

/// Q4_0 dequantize: `x = d * (q - 8)`.
pub fn dequantize_q4_0(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(18).zip(out.chunks_exact_mut(32)) {
        let d = get_f16(qb);
        for j in 0..16 {
            let b = qb[2 + j];
            ob[j] = d * ((b & 0x0f) as i32 - 8) as f32;
            ob[j + 16] = d * ((b >> 4) as i32 - 8) as f32;
        }
    }
}

// ---------------------------------------------------------------- Q4_1 (20-byte blocks)

/// Q4_1: `d = (max - min) / 15`, `q = min(15, trunc((x - min) * id + 0.5))`; block =
/// f16 d, f16 min, 16 nibble bytes as Q4_0.
pub fn quantize_q4_1(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(20)) {
        let (lo, hi) = minmax(xb);
        let d = (hi - lo) / 15.0;
        let id = recip(d);
        put_f16(ob, d);
        put_f16(&mut ob[2..], lo);
        let code = |v: f32| trunc_code((v - lo) * id + 0.5, 15);
        for j in 0..16 {
            ob[4 + j] = code(xb[j]) | (code(xb[j + 16]) << 4);
        }
    }
}

/// Q4_1 dequantize: `x = d * q + m`.
pub fn dequantize_q4_1(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(20).zip(out.chunks_exact_mut(32)) {
        let (d, m) = (get_f16(qb), get_f16(&qb[2..]));
        for j in 0..16 {
            let b = qb[4 + j];
            ob[j] = d * (b & 0x0f) as f32 + m;
            ob[j + 16] = d * (b >> 4) as f32 + m;
        }
    }
}

// ---------------------------------------------------------------- Q5_0 (22-byte blocks)

/// Packs 32 five-bit codes: `qh` (u32 little-endian) bit j = bit 4 of code j; the low
/// nibbles as Q4_0.
#[inline(always)]
fn pack5(codes: &[u8; 32], out: &mut [u8]) {
    let mut qh = 0u32;
    for (j, &c) in codes.iter().enumerate() {
        qh |= ((c >> 4) as u32 & 1) << j;
    }
    out[..4].copy_from_slice(&qh.to_le_bytes());
    for j in 0..16 {
        out[4 + j] = (codes[j] & 0x0f) | (codes[j + 16] << 4);
    }
}

#[inline(always)]
fn unpack5(b: &[u8]) -> [u8; 32] {
    let qh = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let mut c = [0u8; 32];
    for j in 0..16 {
        c[j] = (b[4 + j] & 0x0f) | ((((qh >> j) & 1) as u8) << 4);
        c[j + 16] = (b[4 + j] >> 4) | ((((qh >> (j + 16)) & 1) as u8) << 4);
    }
    c
}

/// Q5_0: `d = max / -16`, `q = min(31, trunc(x * id + 16.5))`; block = f16 d, u32 qh,
/// 16 nibble bytes.
pub fn quantize_q5_0(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(22)) {
        let d = signed_absmax(xb) / -16.0;
        let id = recip(d);
        put_f16(ob, d);
        let mut codes = [0u8; 32];
        for (c, &v) in codes.iter_mut().zip(xb) {
            *c = trunc_code(v * id + 16.5, 31);
        }
        pack5(&codes, &mut ob[2..]);
    }
}

/// Q5_0 dequantize: `x = d * (q - 16)`.
pub fn dequantize_q5_0(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(22).zip(out.chunks_exact_mut(32)) {
        let d = get_f16(qb);
        for (o, c) in ob.iter_mut().zip(unpack5(&qb[2..])) {
            *o = d * (c as i32 - 16) as f32;
        }
    }
}

// ---------------------------------------------------------------- Q5_1 (24-byte blocks)

/// Q5_1: `d = (max - min) / 31`, `q = min(31, trunc((x - min) * id + 0.5))`; block =
/// f16 d, f16 min, u32 qh, 16 nibble bytes.
pub fn quantize_q5_1(x: &[f32], out: &mut [u8]) {
    for (xb, ob) in x.chunks_exact(32).zip(out.chunks_exact_mut(24)) {
        let (lo, hi) = minmax(xb);
        let d = (hi - lo) / 31.0;
        let id = recip(d);
        put_f16(ob, d);
        put_f16(&mut ob[2..], lo);
        let mut codes = [0u8; 32];
        for (c, &v) in codes.iter_mut().zip(xb) {
            *c = trunc_code((v - lo) * id + 0.5, 31);
        }
        pack5(&codes, &mut ob[4..]);
    }
}

/// Q5_1 dequantize: `x = d * q + m`.
pub fn dequantize_q5_1(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(24).zip(out.chunks_exact_mut(32)) {
        let (d, m) = (get_f16(qb), get_f16(&qb[2..]));
        for (o, c) in ob.iter_mut().zip(unpack5(&qb[4..])) {
            *o = d * c as f32 + m;
        }
    }
}

// ---------------------------------------------------------------- K-quants (256 values)

/// The 6-bit scales and minimums of the 8 sub-blocks of Q4_K and Q5_K, from their 12
/// packed bytes (`get_scale_min_k4` in ggml).
#[inline(always)]
fn scale_min_k4(s: &[u8]) -> ([u8; 8], [u8; 8]) {
    let (mut sc, mut mn) = ([0u8; 8], [0u8; 8]);
    for j in 0..4 {
        sc[j] = s[j] & 0x3f;
        mn[j] = s[j + 4] & 0x3f;
        sc[j + 4] = (s[j + 8] & 0x0f) | ((s[j] >> 2) & 0x30);
        mn[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 2) & 0x30);
    }
    (sc, mn)
}

/// Q4_K dequantize (144-byte blocks: f16 d, f16 dmin, 12 scale bytes, 128 nibble bytes):
/// sub-block j (32 values) has `dl = d * sc[j]`, `ml = dmin * m[j]` and `x = dl * q - ml`;
/// sub-blocks 2i and 2i+1 are the low and high nibbles of bytes 32i..32i+32.
pub fn dequantize_q4_k(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(144).zip(out.chunks_exact_mut(256)) {
        let (d, dmin) = (get_f16(qb), get_f16(&qb[2..]));
        let (sc, mn) = scale_min_k4(&qb[4..16]);
        let qs = &qb[16..];
        for j in 0..8 {
            let dl = d * sc[j] as f32;
            let ml = dmin * mn[j] as f32;
            let (bytes, shift) = (&qs[32 * (j / 2)..32 * (j / 2) + 32], 4 * (j % 2));
            for (o, &b) in ob[32 * j..32 * j + 32].iter_mut().zip(bytes) {
                *o = dl * ((b >> shift) & 0x0f) as f32 - ml;
            }
        }
    }
}

/// Q5_K dequantize (176-byte blocks: f16 d, f16 dmin, 12 scale bytes, 32 qh bytes, 128
/// nibble bytes): as Q4_K with a fifth bit, bit j of `qh[i]` for value i of sub-block j.
pub fn dequantize_q5_k(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(176).zip(out.chunks_exact_mut(256)) {
        let (d, dmin) = (get_f16(qb), get_f16(&qb[2..]));
        let (sc, mn) = scale_min_k4(&qb[4..16]);
        let (qh, qs) = (&qb[16..48], &qb[48..]);
        for j in 0..8 {
            let dl = d * sc[j] as f32;
            let ml = dmin * mn[j] as f32;
            let (bytes, shift) = (&qs[32 * (j / 2)..32 * (j / 2) + 32], 4 * (j % 2));
            for i in 0..32 {
                let c = ((bytes[i] >> shift) & 0x0f) | (((qh[i] >> j) & 1) << 4);
                ob[32 * j + i] = dl * c as f32 - ml;
            }
        }
    }
}

/// Q6_K dequantize (210-byte blocks: 128 low-nibble bytes, 64 high-bit bytes, 16 i8
/// scales, f16 d): value e of half h = e / 128 has the nibble of `ql[64h + e % 64]`
/// (low nibble for e % 128 < 64, else high), two high bits from `qh[32h + e % 32]`
/// shifted by `2 * (e % 128 / 32)`, code `q - 32`, and `x = (d * scale[e / 16]) * q`.
pub fn dequantize_q6_k(q: &[u8], out: &mut [f32]) {
    for (qb, ob) in q.chunks_exact(210).zip(out.chunks_exact_mut(256)) {
        let (ql, qh, scales) = (&qb[..128], &qb[128..192], &qb[192..208]);
        let d = get_f16(&qb[208..]);
        for (e, o) in ob.iter_mut().enumerate() {
            let (h, r) = (e / 128, e % 128);
            let lo = (ql[64 * h + r % 64] >> (4 * (r / 64))) & 0x0f;
            let hi = (qh[32 * h + r % 32] >> (2 * (r / 32))) & 0x03;
            let c = (lo | (hi << 4)) as i32 - 32;
            *o = (d * scales[e / 16] as i8 as f32) * c as f32;
        }
    }
}

// ---------------------------------------------------------------- plain types

/// F32 bytes (little-endian) to f32.
pub fn dequantize_f32(q: &[u8], out: &mut [f32]) {
    for (o, c) in out.iter_mut().zip(q.chunks_exact(4)) {
        *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
}

/// F16 bytes to f32 (exact).
pub fn dequantize_f16(q: &[u8], out: &mut [f32]) {
    for (o, c) in out.iter_mut().zip(q.chunks_exact(2)) {
        *o = get_f16(c);
    }
}

/// BF16 bytes to f32 (exact: the upper half of the f32).
pub fn dequantize_bf16(q: &[u8], out: &mut [f32]) {
    for (o, c) in out.iter_mut().zip(q.chunks_exact(2)) {
        *o = f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16);
    }
}
