//! Pillow's filter kernels and coefficient tables (`precompute_coeffs` and
//! `normalize_coeffs_8bpc` of `libImaging/Resample.c`), reproduced in the same `f64`
//! operations in the same order, so every fixed-point coefficient is the same integer.

use std::f64::consts::PI;

/// Fractional bits of the fixed-point coefficients: `32 - 8 - 2`.
pub const PRECISION_BITS: u32 = 22;
/// Initial value of every accumulator: one half, so the final `>> PRECISION_BITS` rounds.
pub const ROUND: i32 = 1 << (PRECISION_BITS - 1);

/// The continuous kernels of the convolution filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// 1 on (-0.5, 0.5], support 0.5.
    Box,
    /// Triangle `1 - |x|`, support 1.
    Bilinear,
    /// Keys cubic with a = -0.5, support 2.
    Bicubic,
    /// `sinc(x) * sinc(x / 3)` on [-3, 3), support 3.
    Lanczos,
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    let x = x * PI;
    x.sin() / x
}

impl Kernel {
    /// Half-width of the kernel at scale 1.
    pub fn support(self) -> f64 {
        match self {
            Kernel::Box => 0.5,
            Kernel::Bilinear => 1.0,
            Kernel::Bicubic => 2.0,
            Kernel::Lanczos => 3.0,
        }
    }

    /// The kernel value, with Pillow's operations and comparisons.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Kernel::Box => {
                if x > -0.5 && x <= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            Kernel::Bilinear => {
                let x = x.abs();
                if x < 1.0 {
                    1.0 - x
                } else {
                    0.0
                }
            }
            Kernel::Bicubic => {
                const A: f64 = -0.5;
                let x = if x < 0.0 { -x } else { x };
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
            Kernel::Lanczos => {
                if (-3.0..3.0).contains(&x) {
                    sinc(x) * sinc(x / 3.0)
                } else {
                    0.0
                }
            }
        }
    }
}

/// The taps of one axis: output `i` is `sum(k[i * taps + t] * src[start[i] + t])`, for
/// `t < taps`, in fixed point with [`PRECISION_BITS`] fractional bits.
///
/// Pillow's windows vary in length; here each is trimmed of its zero coefficients at both
/// ends, then all are widened with zero coefficients to one length (`taps`, even when the
/// source allows) and moved left where they would pass the source's end. Zero terms add
/// nothing, so every sum is Pillow's.
#[derive(Debug, Clone)]
pub struct Axis {
    /// First source index of each output.
    pub start: Vec<u32>,
    /// Coefficients per output.
    pub taps: usize,
    /// `taps` coefficients per output.
    pub k: Vec<i32>,
    /// Coefficient pairs per output for the SIMD kernels: `taps.div_ceil(2)`.
    pub npairs: usize,
    /// High parts `k >> SPLIT` of taps `2p` and `2p + 1` as two `i16` in one word (low half
    /// first), `npairs` words per output; a missing odd tap counts as 0.
    pub hp: Vec<i32>,
    /// Low parts `k & (2^SPLIT - 1)`, same layout.
    pub lp: Vec<i32>,
    /// `taps` rounded up to a multiple of 16: the length of each byte plane in `k8`.
    pub n16: usize,
    /// Each coefficient as `k = a 2^16 + b 2^8 + c` (`K8_SHIFT` = 8) with `a`, `b`, `c`
    /// signed bytes, `b`, `c` in -128..128: per output the planes `a`, `b`, `c`, `n16` bytes
    /// each, zero past `taps`. Every `k` in `-0x808080..=0x7f7f7f` (so every `|k| <=
    /// 0x7f7f7f`, just under 2^23 - 2^15: weights below 1.99 in magnitude, all of Pillow's,
    /// upscales and negative lobes included) splits so; the table is empty when some
    /// coefficient does not (then the kernels that need it are not used).
    pub k8: Vec<i8>,
    /// `taps` rounded up to a multiple of 8.
    pub n8: usize,
    /// `k8` regrouped for two outputs per vector: per pair of outputs (0, 1), (2, 3), ...
    /// (an odd count pads the last pair with zeros), the planes `a`, `b`, `c`, each as
    /// `n8 / 8` blocks of 16 bytes: 8 taps of the first output, the same 8 of the second.
    /// Empty when `k8` is.
    pub k82: Vec<i8>,
    /// Whether every high part fits in `i16` (always, for Pillow's weights, which stay far
    /// below 2^8 in magnitude); the SIMD kernels are used only then.
    pub simd: bool,
}

/// Bits of the low part of a split coefficient: `k = (k >> SPLIT) * 2^SPLIT + (k & mask)`,
/// both parts fit in `i16`, so `pmaddwd` forms `p * k` exactly as two products.
pub const SPLIT: u32 = 15;

/// Bits per low digit of the byte split of [`Axis::k8`]: full signed bytes. `vpdpbusd`
/// (the non-saturating form) adds four products `u8 * i8` (each at most 255 * 128 in
/// magnitude) to its `i32` lane modulo 2^32, so no digit range needs a reserve; a split
/// with 7-bit low digits (`a 2^14 + b 2^7 + c`) would cap `|k|` near 2^21 (weights about
/// 0.5) and leave upscales and mild shrinks out.
pub const K8_SHIFT: u32 = 8;

/// [`Axis::k82`] and `n8` from the byte planes `k8` (`n16` bytes each per output).
fn pairs8(k8: &[i8], n16: usize, taps: usize) -> (Vec<i8>, usize) {
    let n8 = taps.div_ceil(8) * 8;
    if k8.is_empty() {
        return (Vec::new(), n8);
    }
    let outs = k8.len() / (3 * n16);
    let stride = 3 * 2 * n8;
    let mut out = vec![0i8; outs.div_ceil(2) * stride];
    for o in 0..outs {
        let (pair, half) = (o / 2, o % 2);
        for j in 0..3 {
            let plane = &k8[o * 3 * n16 + j * n16..][..n16];
            for g in 0..n8 / 8 {
                let d = pair * stride + j * 2 * n8 + 16 * g + 8 * half;
                out[d..d + 8].copy_from_slice(&plane[8 * g..8 * g + 8]);
            }
        }
    }
    (out, n8)
}

/// The byte planes of [`Axis::k8`] and their length `n16`, or an empty table when some
/// coefficient needs a top digit outside `i8` (`k` outside `-0x808080..=0x7f7f7f`: weights
/// of about 2 or more, which Pillow's normalized filters do not produce). The split is
/// checked to give back every `k` exactly.
fn bytes3(k: &[i32], taps: usize) -> (Vec<i8>, usize) {
    let n16 = taps.div_ceil(16) * 16;
    let mut out = vec![0i8; k.len() / taps * 3 * n16];
    let half = 1 << (K8_SHIFT - 1);
    let low = (1 << K8_SHIFT) - 1;
    for (o, kk) in out.chunks_exact_mut(3 * n16).zip(k.chunks_exact(taps)) {
        for (t, &v) in kk.iter().enumerate() {
            let c = ((v + half) & low) - half;
            let r = (v - c) >> K8_SHIFT;
            let b = ((r + half) & low) - half;
            let a = (r - b) >> K8_SHIFT;
            let Ok(a8) = i8::try_from(a) else {
                return (Vec::new(), n16);
            };
            debug_assert!(i8::try_from(b).is_ok() && i8::try_from(c).is_ok());
            debug_assert_eq!((a << (2 * K8_SHIFT)) + (b << K8_SHIFT) + c, v);
            o[t] = a8;
            o[n16 + t] = b as i8;
            o[2 * n16 + t] = c as i8;
        }
    }
    (out, n16)
}

/// Pairs table of `k` (`taps` per output); see [`Axis::hp`].
fn pairs(k: &[i32], taps: usize) -> (Vec<i32>, Vec<i32>, bool) {
    let npairs = taps.div_ceil(2);
    let outs = k.len() / taps;
    let (mut hp, mut lp) = (
        Vec::with_capacity(outs * npairs),
        Vec::with_capacity(outs * npairs),
    );
    let mut fits = true;
    for o in k.chunks_exact(taps) {
        for p in 0..npairs {
            let a = o[2 * p];
            let b = o.get(2 * p + 1).copied().unwrap_or(0);
            let (ha, hb) = (a >> SPLIT, b >> SPLIT);
            fits &= i16::try_from(ha).is_ok() && i16::try_from(hb).is_ok();
            let mask = (1 << SPLIT) - 1;
            hp.push((ha as u16 as u32 | ((hb as u16 as u32) << 16)) as i32);
            lp.push(((a & mask) as u32 | (((b & mask) as u32) << 16)) as i32);
        }
    }
    (hp, lp, fits)
}

/// Pillow's floating-point weights for resizing `in_size` samples to `out_size`: for each
/// output, its first source index and its weights (`precompute_coeffs` with box `0..in_size`).
pub fn pillow_weights(kernel: Kernel, in_size: usize, out_size: usize) -> Vec<(usize, Vec<f64>)> {
    // Pillow passes the box as `float` and subtracts in `float`; integers up to 2^24 are exact.
    let (in0, in1) = (0.0f32, in_size as f32);
    let scale = (in1 - in0) as f64 / out_size as f64;
    let filterscale = if scale < 1.0 { 1.0 } else { scale };
    let support = kernel.support() * filterscale;
    let inv_filterscale = 1.0 / filterscale;
    (0..out_size)
        .map(|xx| {
            let center = in0 as f64 + (xx as f64 + 0.5) * scale;
            // C's (int) cast truncates toward zero; negatives are clamped to 0 just after.
            let xmin = ((center - support + 0.5) as i64).max(0);
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64);
            let n = (xmax - xmin).max(0) as usize;
            let mut w: Vec<f64> = (0..n)
                .map(|x| kernel.eval(((x as i64 + xmin) as f64 - center + 0.5) * inv_filterscale))
                .collect();
            let ww: f64 = w.iter().fold(0.0, |s, &v| s + v);
            if ww != 0.0 {
                for v in &mut w {
                    *v /= ww;
                }
            }
            (xmin as usize, w)
        })
        .collect()
}

/// `normalize_coeffs_8bpc`: round half away from zero to [`PRECISION_BITS`] bits.
pub fn to_fixed(w: f64) -> i32 {
    let s = (1u32 << PRECISION_BITS) as f64;
    if w < 0.0 {
        (-0.5 + w * s) as i32
    } else {
        (0.5 + w * s) as i32
    }
}

impl Axis {
    /// The fixed-point table for one axis.
    pub fn new(kernel: Kernel, in_size: usize, out_size: usize) -> Axis {
        let raw: Vec<(usize, Vec<i32>)> = pillow_weights(kernel, in_size, out_size)
            .into_iter()
            .map(|(s, w)| {
                let k: Vec<i32> = w.into_iter().map(to_fixed).collect();
                let first = k.iter().position(|&v| v != 0);
                match first {
                    None => (s, Vec::new()),
                    Some(f) => {
                        let last = k.iter().rposition(|&v| v != 0).unwrap_or(f);
                        (s + f, k[f..=last].to_vec())
                    }
                }
            })
            .collect();
        let longest = raw.iter().map(|(_, k)| k.len()).max().unwrap_or(0).max(1);
        let mut taps = longest.min(in_size);
        if taps % 2 == 1 && taps < in_size {
            taps += 1;
        }
        let mut start = Vec::with_capacity(out_size);
        let mut k = vec![0i32; out_size * taps];
        for (i, (s, c)) in raw.into_iter().enumerate() {
            // Move the window left so that it ends inside the source; the coefficients keep
            // their source positions.
            let st = s.min(in_size - taps);
            let off = s - st;
            k[i * taps + off..i * taps + off + c.len()].copy_from_slice(&c);
            start.push(st as u32);
        }
        let (hp, lp, simd) = pairs(&k, taps);
        let (k8, n16) = bytes3(&k, taps);
        let (k82, n8) = pairs8(&k8, n16, taps);
        Axis {
            start,
            taps,
            npairs: taps.div_ceil(2),
            k,
            hp,
            lp,
            n16,
            k8,
            n8,
            k82,
            simd,
        }
    }

    /// Source indices `[lo, hi)` that outputs `range` read (trimming can make the starts
    /// non-monotonic near the edges, so all of them are looked at).
    pub fn span(&self, range: std::ops::Range<usize>) -> (usize, usize) {
        let s = &self.start[range];
        let lo = s.iter().min().copied().unwrap_or(0) as usize;
        let hi = s.iter().max().copied().unwrap_or(0) as usize + self.taps;
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_planes_give_back_every_coefficient() {
        let mut large = 0;
        for kernel in [
            Kernel::Box,
            Kernel::Bilinear,
            Kernel::Bicubic,
            Kernel::Lanczos,
        ] {
            for (i, o) in [
                (1920, 224),
                (1920, 640),
                (1080, 224),
                (37, 5),
                (300, 97),
                (5, 17),
                (64, 63),
                // Mild shrinks, upscales (weights near 1, negative lobes), tiny sources.
                (1001, 500),
                (1920, 960),
                (640, 320),
                (500, 640),
                (333, 666),
                (251, 224),
                (2, 1),
                (1, 7),
                (2, 9),
                (3, 1000),
            ] {
                let a = Axis::new(kernel, i, o);
                // Every table of Pillow's filters splits (weights stay below 2).
                assert!(!a.k8.is_empty(), "{kernel:?} {i}->{o}");
                assert_eq!(a.n16 % 16, 0);
                large += a.k.iter().any(|&k| k.abs() >= 1 << 21) as usize;
                for (x, kk) in a.k.chunks_exact(a.taps).enumerate() {
                    let p = &a.k8[x * 3 * a.n16..(x + 1) * 3 * a.n16];
                    for t in 0..a.n16 {
                        let (h, m, l) = (p[t] as i32, p[a.n16 + t] as i32, p[2 * a.n16 + t] as i32);
                        let want = kk.get(t).copied().unwrap_or(0);
                        assert_eq!(
                            (h << 16) + (m << 8) + l,
                            want,
                            "{kernel:?} {i}->{o} x {x} t {t}"
                        );
                    }
                }
                // The two-output regrouping holds the same bytes.
                for x in 0..a.start.len() {
                    for j in 0..3 {
                        for t in 0..a.n8 {
                            let got = a.k82[(x / 2) * 6 * a.n8
                                + j * 2 * a.n8
                                + 16 * (t / 8)
                                + 8 * (x % 2)
                                + t % 8];
                            let want = if t < a.n16 {
                                a.k8[x * 3 * a.n16 + j * a.n16 + t]
                            } else {
                                0
                            };
                            assert_eq!(got, want, "{kernel:?} {i}->{o} x {x} plane {j} t {t}");
                        }
                    }
                }
            }
        }
        // Weights of 0.5 and more (what a 7-bit split could not hold) are covered.
        assert!(large >= 20, "{large}");
    }

    #[test]
    fn kernels_match_their_definitions() {
        assert_eq!(Kernel::Box.eval(0.5), 1.0);
        assert_eq!(Kernel::Box.eval(-0.5), 0.0);
        assert_eq!(Kernel::Bilinear.eval(-0.25), 0.75);
        assert_eq!(Kernel::Bicubic.eval(0.0), 1.0);
        assert_eq!(Kernel::Bicubic.eval(1.5), -0.0625);
        assert_eq!(Kernel::Lanczos.eval(0.0), 1.0);
        assert_eq!(Kernel::Lanczos.eval(3.0), 0.0);
        assert!(Kernel::Lanczos.eval(-3.0).abs() < 1e-15);
    }

    #[test]
    fn bilinear_third_has_pillows_windows() {
        // 1920 -> 640: center 3i + 1.5, support 3; window [3i - 1, 3i + 5) of which the
        // last weight is 0 and is trimmed.
        let a = Axis::new(Kernel::Bilinear, 1920, 640);
        assert_eq!(a.taps, 6);
        assert_eq!(a.start[0], 0);
        assert_eq!(a.start[10], 29);
        let k = &a.k[10 * 6..11 * 6];
        // Rounding each weight may leave the sum a unit or two off 2^22.
        assert!((k.iter().sum::<i32>() - (1 << 22)).abs() <= 2);
        // weights 1/9, 2/9, 3/9, 2/9, 1/9.
        assert_eq!(k[0], to_fixed(1.0 / 9.0));
        assert_eq!(k[2], to_fixed(3.0 / 9.0));
        assert_eq!(k[5], 0);
        // The last window is moved left to end at the source's end.
        assert_eq!(a.start[639] as usize + 6, 1920);
    }

    #[test]
    fn fixed_point_rounds_half_away_from_zero() {
        assert_eq!(to_fixed(1.0), 1 << 22);
        assert_eq!(to_fixed(-0.5 / 4194304.0), -1);
        assert_eq!(to_fixed(0.49 / 4194304.0), 0);
    }
}
