//! Reference FP8 kernels: the specification every SIMD kernel equals bit for bit.
//!
//! Quantize is ONNX Runtime's `QuantizeLinear` to float8 (CPU provider): `y = x / scale`
//! (one f32 division; the zero point is not used), then ONNX Runtime's float -> float8
//! conversion ([`e4m3fn_ort`], [`e5m2_ort`], ports of `Float8E4M3FN(float, saturate)` and
//! `Float8E5M2(float, saturate)`): round to nearest, ties to even, with these edges:
//!
//! * E4M3FN (max 448, no infinities, NaN = S.1111.111): NaN -> NaN with the sign kept;
//!   saturate on: everything of magnitude above 448, and ±inf, gives ±448; saturate off:
//!   ±inf gives NaN, magnitudes in [512, inf) give NaN, and in [448, 512) the result is
//!   ±448 unless rounding would go up, which gives NaN (ONNX Runtime's rule: so (464, 480)
//!   and [496, 512) give NaN while [448, 464] and [480, 496) give 448).
//! * E5M2 (max 57344, infinities, NaN = S.11111.xx): NaN -> S.11111.11; saturate on:
//!   magnitudes above 57344 and ±inf give ±57344; saturate off: [65536, inf] gives ±inf,
//!   values that round up from 57344 ((61440, 65536), and the tie 61440) give NaN.
//! * f32 subnormals give ±0; values below half the smallest subnormal (2^-10 for E4M3FN,
//!   2^-17 for E5M2) give ±0, exact halves round to even (0).
//!
//! Dequantize is `float(fp8) * scale` (f32 multiply), with ONNX Runtime's decoding (NaN
//! codes decode to the quiet NaN 0x7fc00000 with the code's sign).

/// The float8 formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fp8Format {
    /// 1 sign, 4 exponent (bias 7), 3 mantissa bits; finite only (max ±448) and NaN.
    E4M3FN,
    /// 1 sign, 5 exponent (bias 15), 2 mantissa bits; IEEE-like with ±inf (max ±57344).
    E5M2,
}

/// ONNX Runtime's `Float8E4M3FN(v, saturate)`, step for step.
pub fn e4m3fn_ort(v: f32, saturate: bool) -> u8 {
    let b = v.to_bits();
    let mut val = ((b & 0x8000_0000) >> 24) as u8;
    if b & 0x7fff_ffff == 0x7f80_0000 {
        val |= if saturate { 126 } else { 0x7f };
    } else if b & 0x7f80_0000 == 0x7f80_0000 {
        val |= 0x7f;
    } else {
        let e = (b & 0x7f80_0000) >> 23;
        let m = b & 0x007f_ffff;
        if e != 0 {
            if e < 117 {
            } else if e < 121 {
                let d = 120 - e;
                if d < 3 {
                    val |= (1u32 << (2 - d)) as u8;
                    val |= (m >> (21 + d)) as u8;
                } else if m > 0 {
                    val |= 1;
                }
                let mask = 1u32 << (20 + d);
                if m & mask != 0
                    && (val & 1 != 0
                        || m & (mask - 1) > 0
                        || (m & (mask << 1) != 0 && m & (mask - 1) == 0))
                {
                    val += 1;
                }
            } else if e < 136 {
                let ex = e - 120;
                if ex == 0 {
                    val |= 0x4;
                    val |= (m >> 21) as u8;
                } else {
                    val |= (ex << 3) as u8;
                    val |= (m >> 20) as u8;
                    if val & 0x7f == 0x7f {
                        val &= 0xfe;
                    }
                }
                if m & 0x80000 != 0 && (m & 0x10_0000 != 0 || m & 0x7ffff != 0) {
                    if val & 0x7f < 0x7e {
                        val += 1;
                    } else if !saturate {
                        val |= 0x7f;
                    }
                }
            } else if saturate {
                val |= 126;
            } else {
                val |= 0x7f;
            }
        }
    }
    val
}

/// ONNX Runtime's `Float8E5M2(v, saturate)`, step for step.
pub fn e5m2_ort(v: f32, saturate: bool) -> u8 {
    let b = v.to_bits();
    let mut val = ((b & 0x8000_0000) >> 24) as u8;
    if b & 0x7fff_ffff == 0x7f80_0000 {
        val |= if saturate { 0x7b } else { 0x7c };
    } else if b & 0x7f80_0000 == 0x7f80_0000 {
        val |= 0x7f;
    } else {
        let e = (b & 0x7f80_0000) >> 23;
        let m = b & 0x007f_ffff;
        if e != 0 {
            if e < 110 {
            } else if e < 113 {
                let d = 112 - e;
                if d < 2 {
                    val |= (1u32 << (1 - d)) as u8;
                    val |= (m >> (22 + d)) as u8;
                } else if m > 0 {
                    val |= 1;
                }
                let mask = 1u32 << (21 + d);
                if m & mask != 0
                    && (val & 1 != 0
                        || m & (mask - 1) > 0
                        || (m & (mask << 1) != 0 && m & (mask - 1) == 0))
                {
                    val += 1;
                }
            } else if e < 143 {
                let ex = e - 112;
                val |= (ex << 2) as u8;
                val |= (m >> 21) as u8;
                if m & 0x10_0000 != 0 && (m & 0xf_ffff != 0 || m & 0x20_0000 != 0) {
                    if val & 0x7f < 0x7b {
                        val += 1;
                    } else if saturate {
                        val |= 0x7b;
                    } else {
                        val |= 0x7c;
                    }
                }
            } else if saturate {
                val |= 0x7b;
            } else {
                val |= 0x7c;
            }
        }
    }
    val
}

/// ONNX Runtime's `Float8E4M3FN::ToFloat`: exact, NaN codes give a quiet NaN with the sign.
pub fn e4m3fn_to_f32(v: u8) -> f32 {
    let sign = ((v & 0x80) as u32) << 24;
    let (e, m) = (((v >> 3) & 0xf) as u32, (v & 7) as u32);
    let bits = if v & 0x7f == 0x7f {
        sign | 0x7fc0_0000
    } else if e == 0 {
        // m * 2^-9, exact in f32.
        sign | (m as f32 / 512.0).to_bits()
    } else {
        sign | ((e + 120) << 23) | (m << 20)
    };
    f32::from_bits(bits)
}

/// ONNX Runtime's `Float8E5M2::ToFloat`: exact; ±inf kept, NaN codes give a quiet NaN with
/// the sign.
pub fn e5m2_to_f32(v: u8) -> f32 {
    let sign = ((v & 0x80) as u32) << 24;
    let (e, m) = (((v >> 2) & 0x1f) as u32, (v & 3) as u32);
    let bits = if e == 31 {
        if m == 0 {
            sign | 0x7f80_0000
        } else {
            sign | 0x7fc0_0000
        }
    } else if e == 0 {
        sign | (m as f32 / 65536.0).to_bits()
    } else {
        sign | ((e + 112) << 23) | (m << 21)
    };
    f32::from_bits(bits)
}

/// The 256 decoded values of a format.
pub fn decode_table(fmt: Fp8Format) -> [f32; 256] {
    let mut t = [0f32; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = match fmt {
            Fp8Format::E4M3FN => e4m3fn_to_f32(i as u8),
            Fp8Format::E5M2 => e5m2_to_f32(i as u8),
        };
    }
    t
}

/// The same function as [`e4m3fn_ort`] written without branches (selects on integer and
/// float lanes only), so the compiler vectorizes it inside the SIMD kernels:
/// subnormal results by adding 2^14 (f32 ulp 2^-9, the E4M3FN subnormal step: the f32
/// addition rounds to nearest even), normal ones by rounding the bit pattern at bit 20,
/// then the saturation rules of the module doc.
// Used by the SIMD kernels (x86_64, aarch64) and the tests.
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
#[inline(always)]
pub fn e4m3fn_lane(y: f32, saturate: bool) -> u8 {
    const MAGIC: u32 = 141 << 23; // 2^14
    let b = y.to_bits();
    let sign = (b >> 24) & 0x80;
    let a = b & 0x7fff_ffff;
    let sub = (f32::from_bits(a) + f32::from_bits(MAGIC)).to_bits() - MAGIC;
    let pre = (a >> 20).wrapping_sub(120 << 3);
    let rne = ((a + 0x7ffff + ((a >> 20) & 1)) >> 20).wrapping_sub(120 << 3);
    let big = a >= 136 << 23; // |y| >= 512, or inf, or NaN
    let normal = if saturate {
        // Normal-range `rne` never wraps, and is large for big values and inf.
        rne.min(0x7e)
    } else if big {
        0x7f
    } else if pre >= 0x7e {
        if rne > pre {
            0x7f
        } else {
            0x7e
        }
    } else {
        rne
    };
    let code = if a < 121 << 23 { sub } else { normal };
    let code = if a > 0x7f80_0000 { 0x7f } else { code };
    (sign | code) as u8
}

/// The same function as [`e5m2_ort`] without branches (see [`e4m3fn_lane`]; subnormal
/// step 2^-16 by adding 2^7, normal rounding at bit 21).
// Used by the SIMD kernels (x86_64, aarch64) and the tests.
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
#[inline(always)]
pub fn e5m2_lane(y: f32, saturate: bool) -> u8 {
    const MAGIC: u32 = 134 << 23; // 2^7
    let b = y.to_bits();
    let sign = (b >> 24) & 0x80;
    let a = b & 0x7fff_ffff;
    let sub = (f32::from_bits(a) + f32::from_bits(MAGIC)).to_bits() - MAGIC;
    let pre = (a >> 21).wrapping_sub(112 << 2);
    let rne = ((a + 0xf_ffff + ((a >> 21) & 1)) >> 21).wrapping_sub(112 << 2);
    let big = a >= 143 << 23; // |y| >= 65536, or inf, or NaN
    let normal = if saturate {
        rne.min(0x7b)
    } else if big {
        0x7c
    } else if pre == 0x7b && rne > pre {
        0x7f
    } else {
        rne
    };
    let code = if a < 113 << 23 { sub } else { normal };
    let code = if a > 0x7f80_0000 { 0x7f } else { code };
    (sign | code) as u8
}

/// Quantizes `x` into `out` (same length): `convert(x / scale)`.
pub fn quantize(x: &[f32], out: &mut [u8], scale: f32, fmt: Fp8Format, saturate: bool) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = match fmt {
            Fp8Format::E4M3FN => e4m3fn_ort(v / scale, saturate),
            Fp8Format::E5M2 => e5m2_ort(v / scale, saturate),
        };
    }
}

/// Dequantizes `q` into `out` (same length): `table[q] * scale`.
pub fn dequantize(q: &[u8], out: &mut [f32], scale: f32, table: &[f32; 256]) {
    for (o, &v) in out.iter_mut().zip(q) {
        *o = table[v as usize] * scale;
    }
}
