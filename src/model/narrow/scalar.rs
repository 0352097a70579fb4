//! Reference f32 -> f16 / bf16 kernels: the specification every SIMD kernel equals bit for
//! bit.
//!
//! f16 (as numpy's `astype(np.float16)`): round to nearest, ties to even; magnitudes from
//! 65520 up (and infinities) give ±inf; f32 values below half the smallest f16 subnormal
//! (2^-25) give ±0 (the sign is always kept); NaN gives the sign, an all-ones exponent and
//! the top 10 mantissa bits, with the lowest bit set when those are all zero (so NaN stays
//! NaN and a signalling NaN stays signalling).
//!
//! bf16 (as `ml_dtypes.bfloat16`): the upper 16 bits of the f32 rounded to nearest, ties to
//! even, on the bit pattern (`(b + 0x7fff + ((b >> 16) & 1)) >> 16`): f32 subnormals round
//! like every other value (no flush to zero), values past the largest bf16 give ±inf; NaN
//! gives the sign and `0x7fc0` (quiet NaN, payload dropped).

/// `|x|` bits at and above which f16 is ±inf (65536.0; values in [65520, 65536) reach inf by
/// the carry of the rounding).
const F16_INF_FROM: u32 = 0x4780_0000;
/// `|x|` bits below which f16 is subnormal or zero (2^-14).
const F16_NORMAL_FROM: u32 = 0x3880_0000;
/// 0.5: adding it to `|x| < 2^-14` rounds `|x|` to a multiple of 2^-24 (the f16 subnormal
/// step) by the f32 addition's own round-to-nearest-even; the bits above the magic are the
/// f16 code. Denormal-as-zero or flush-to-zero modes cannot change the result: f32
/// subnormals are far below 2^-25 and round to 0 either way, and the sum is normal.
pub const F16_SUB_MAGIC: u32 = 0x3f00_0000;
/// The f32 exponent bias minus the f16 one, in the exponent field: `(127 - 15) << 23`.
pub const F16_REBIAS: u32 = 0x3800_0000;

/// One f32 to f16 bits.
#[inline(always)]
pub fn f16_one(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let a = b & 0x7fff_ffff;
    let h = if a > 0x7f80_0000 {
        let m = ((a & 0x007f_ffff) >> 13) as u16;
        0x7c00 | m | u16::from(m == 0)
    } else if a >= F16_INF_FROM {
        0x7c00
    } else if a < F16_NORMAL_FROM {
        let f = f32::from_bits(a) + f32::from_bits(F16_SUB_MAGIC);
        (f.to_bits() - F16_SUB_MAGIC) as u16
    } else {
        // Rebias the exponent, add just under half an f16 ulp plus the ulp's parity (ties
        // to even); a carry out of the mantissa moves into the exponent (up to inf).
        let odd = (a >> 13) & 1;
        ((a - F16_REBIAS + 0x0fff + odd) >> 13) as u16
    };
    sign | h
}

/// One f32 to bf16 bits.
#[inline(always)]
pub fn bf16_one(x: f32) -> u16 {
    let b = x.to_bits();
    if b & 0x7fff_ffff > 0x7f80_0000 {
        return ((b >> 16) as u16 & 0x8000) | 0x7fc0;
    }
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

/// Converts `x` to f16 bits into `out` (same length).
pub fn f16(x: &[f32], out: &mut [u16]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f16_one(v);
    }
}

/// Converts `x` to bf16 bits into `out` (same length).
pub fn bf16(x: &[f32], out: &mut [u16]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = bf16_one(v);
    }
}
