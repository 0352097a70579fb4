//! u8 images (gray, RGB, BGR, RGBA, BGRA; strided views) to f32 tensors in NCHW or NHWC.
//!
//! ```
//! use scipix::image::{ImageView, PixelFormat};
//! use scipix::tensor::{images_to_tensor, tensor_len, Layout, TensorParams};
//!
//! // Two 2x2 BGR images to one NHWC batch, channels swapped to RGB.
//! let a = [10u8; 12];
//! let b = [20u8; 12];
//! let imgs = [
//!     ImageView::packed(&a, 2, 2, PixelFormat::Bgr8)?,
//!     ImageView::packed(&b, 2, 2, PixelFormat::Bgr8)?,
//! ];
//! let p = TensorParams { swap_rb: true, layout: Layout::Nhwc, ..TensorParams::default() };
//! let mut out = vec![0f32; 2 * tensor_len(2, 2, PixelFormat::Bgr8)?];
//! images_to_tensor(&imgs, &p, &mut out)?;
//! assert_eq!((out[0], out[12]), (10.0, 20.0));
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! # Channels
//! Gray gives one output channel; the colour formats give three, alpha is dropped. Output
//! channel `c` is, by default, the `c`-th colour byte in memory order (R,G,B for RGB/RGBA,
//! B,G,R for BGR/BGRA); `swap_rb` reverses it (first and third swap), as OpenCV's
//! `swapRB` does. `mean[c]` and `std[c]` apply to OUTPUT channel `c`.
//!
//! # Float rule
//! Every element is computed in f32, in this order, with no fused operations:
//! `out = ((x as f32 / divisor - mean[c]) * scale) / std[c]`.
//! Kernels may skip a step whose operand is exactly 1 (`divisor`, `scale`, or every used
//! `std`), because IEEE division and multiplication by 1 are exact; results are identical.
//!
//! # Layout
//! For image `n` of a batch with `C` channels, `H` rows and `W` columns, element
//! `(n, c, y, x)` is at `((n * C + c) * H + y) * W + x` in NCHW and at
//! `((n * H + y) * W + x) * C + c` in NHWC.

/// Step flags of the SIMD kernels (const generic `F`): bit 0 divide by divisor, bit 1
/// multiply by scale, bit 2 divide by std. A cleared bit means the operand is exactly 1,
/// so skipping the step is exact.
#[allow(dead_code)]
const DIV: u8 = 1;
#[allow(dead_code)]
const MUL: u8 = 2;
#[allow(dead_code)]
const STD: u8 = 4;
/// Divide through the reciprocal with an FMA correction (only when `Plan::fast`).
#[allow(dead_code)]
const FAST: u8 = 8;

#[allow(dead_code)]
fn flags(p: &Plan) -> u8 {
    let bit = |on: bool, b: u8| if on { b } else { 0 };
    bit(!p.skip_div, DIV) | bit(!p.skip_mul, MUL) | bit(!p.skip_std, STD) | bit(p.fast, FAST)
}

/// Calls `$f::<F>(args)` with the plan's step flags as a constant.
#[allow(unused_macros)]
macro_rules! dispatch_flags {
    ($flags:expr, $f:ident, $($arg:expr),*) => {
        match $flags {
            0 => $f::<0>($($arg),*),
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            9 => $f::<9>($($arg),*),
            11 => $f::<11>($($arg),*),
            12 => $f::<12>($($arg),*),
            13 => $f::<13>($($arg),*),
            14 => $f::<14>($($arg),*),
            _ => $f::<15>($($arg),*),
        }
    };
}

pub(crate) mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "x86_64")]
mod sse41;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;

use super::lut::TensorLut;
use crate::cpu::{self, Isa};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::{ImageView, PixelFormat};
use crate::parallel;
use rayon::prelude::*;

/// Memory order of the tensor dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Batch, channel, row, column: one plane per channel.
    Nchw,
    /// Batch, row, column, channel: channels interleaved per pixel.
    Nhwc,
}

/// The per-channel affine rule and the output layout; see the module docs for the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TensorParams {
    /// First step divides by this (255 for torchvision's `ToTensor`); finite, non-zero.
    pub divisor: f32,
    /// Subtracted per output channel after the division; finite.
    pub mean: [f32; 4],
    /// Multiplies after the subtraction (OpenCV's `scalefactor`); finite.
    pub scale: f32,
    /// Last step divides by this per output channel; finite, non-zero for used channels.
    pub std: [f32; 4],
    /// Reverse the colour channel order (R<->B); ignored for gray.
    pub swap_rb: bool,
    /// Output layout.
    pub layout: Layout,
}

impl Default for TensorParams {
    /// `out = x as f32`, channels in memory order, NCHW.
    fn default() -> Self {
        TensorParams {
            divisor: 1.0,
            mean: [0.0; 4],
            scale: 1.0,
            std: [1.0; 4],
            swap_rb: false,
            layout: Layout::Nchw,
        }
    }
}

impl TensorParams {
    /// Checks the parameters for images with `channels` output channels (1 or 3).
    pub fn validate(&self, channels: usize) -> Result<()> {
        if !self.divisor.is_finite() || self.divisor == 0.0 {
            return Err(Error::invalid(format!(
                "divisor {} must be finite and non-zero",
                self.divisor
            )));
        }
        if !self.scale.is_finite() {
            return Err(Error::invalid(format!(
                "scale {} must be finite",
                self.scale
            )));
        }
        for c in 0..channels {
            if !self.mean[c].is_finite() {
                return Err(Error::invalid(format!(
                    "mean[{c}] = {} must be finite",
                    self.mean[c]
                )));
            }
            if !self.std[c].is_finite() || self.std[c] == 0.0 {
                return Err(Error::invalid(format!(
                    "std[{c}] = {} must be finite and non-zero",
                    self.std[c]
                )));
            }
        }
        Ok(())
    }
}

/// Output channels for a pixel format: 1 for gray, 3 otherwise (alpha dropped).
pub fn tensor_channels(format: PixelFormat) -> usize {
    match format {
        PixelFormat::Gray8 => 1,
        _ => 3,
    }
}

/// Elements of the tensor of one `width` x `height` image: `channels * height * width`.
pub fn tensor_len(width: usize, height: usize, format: PixelFormat) -> Result<usize> {
    checked_product(
        &[tensor_channels(format), height, width],
        "tensor elements (channels x height x width)",
    )
}

/// Everything a row kernel needs, prepared once per call (no allocation).
#[allow(dead_code)] // some fields are only read by SIMD kernels
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub bpp: usize,
    pub channels: usize,
    /// Source byte offset, within a pixel, of output channel c.
    pub offs: [usize; 3],
    pub div: f32,
    pub scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub skip_div: bool,
    pub skip_mul: bool,
    pub skip_std: bool,
    pub interleaved: bool,
    /// SIMD tables for a group of 8 pixels. Two 16-byte loads are made per group: `A` at
    /// the group's first byte and `B` at `b_off` (so A and B cover the group's bytes).
    /// Output block k (k < channels) holds 8 bytes: planar -> channel k of the 8 pixels,
    /// interleaved -> group outputs 8k..8k+8. `shuf_a[k]`/`shuf_b[k]` select them from A/B
    /// (0x80 = zero, for pshufb), `tbl[k]` from the 32-byte table A|B (for NEON tbl).
    pub b_off: usize,
    pub shuf_a: [[u8; 16]; 3],
    pub shuf_b: [[u8; 16]; 3],
    pub tbl: [[u8; 16]; 3],
    /// Mean and std of each of the 8 outputs of block k.
    pub mean_v: [[f32; 8]; 3],
    pub std_v: [[f32; 8]; 3],
    /// True when [`fused_value`] equals the scalar rule for every byte and channel and the
    /// CPU has FMA: kernels may then divide through the reciprocal with one FMA correction.
    pub fast: bool,
    /// `1 / divisor` and `1 / std` (per output of block k), for the fused division.
    pub rdiv: f32,
    pub rstd: [f32; 3],
    pub rstd_v: [[f32; 8]; 3],
    /// The same tables for a group of 16 pixels (one 64-byte load from the group's first
    /// byte): `perm16[k][l]` is the byte index of output `l` of block `k` (for vpermb),
    /// with the mean, std and `1 / std` of each output.
    pub perm16: [[u8; 64]; 3],
    pub mean16: [[f32; 16]; 3],
    pub std16: [[f32; 16]; 3],
    pub rstd16: [[f32; 16]; 3],
    /// Lookup tables of the rule, set by [`Plan::with_lut`] when the table kernel is chosen.
    pub lut: Option<TensorLut>,
}

/// Division of `t` by `d` through `r = 1 / d` with one FMA correction step:
/// `q = t * r; e = fma(-q, d, t); fma(e, r, q)`. Usually but not always the correctly
/// rounded quotient, so it is only used after [`fast_path_exact`] proved it for the plan.
#[inline(always)]
pub(crate) fn fused_div(t: f32, d: f32, r: f32) -> f32 {
    let q = t * r;
    let e = (-q).mul_add(d, t);
    e.mul_add(r, q)
}

/// The rule as the fused kernels compute it (steps skipped exactly as the SIMD kernels
/// skip them).
fn fused_value(x: u8, p: &Plan, c: usize) -> f32 {
    let mut t = x as f32;
    if !p.skip_div {
        t = fused_div(t, p.div, p.rdiv);
    }
    t -= p.mean[c];
    if !p.skip_mul {
        t *= p.scale;
    }
    if !p.skip_std {
        t = fused_div(t, p.std[c], p.rstd[c]);
    }
    t
}

#[cfg(test)]
thread_local! {
    /// Test hook: forces the plain-division kernels for plans built on this thread (per
    /// thread, so a test asserting which path a plan takes is not raced by one forcing it).
    pub(crate) static DISABLE_FUSED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Pixels per image from which the table kernel replaces the scalar family's arithmetic.
const LUT_MIN_PIXELS_SCALAR: usize = 16 * 16;
/// Pixels per image from which the table kernel replaces SSE4.1's dividing kernels.
#[cfg(target_arch = "x86_64")]
const LUT_MIN_PIXELS_SSE41: usize = 64 * 64;

/// Test hook: forces the arithmetic kernels where the table kernel would be chosen.
#[cfg(test)]
pub(crate) static DISABLE_LUT: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

fn fma_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        cpu::detected().has(crate::cpu::Features::FMA)
    }
    #[cfg(target_arch = "aarch64")]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// Proves by exhaustion (every byte value, every output channel) that the fused form
/// gives the scalar rule's bits for this plan. The last answer is cached per thread.
fn fast_path_exact(p: &Plan) -> bool {
    if p.skip_div && p.skip_std {
        return false; // no division to speed up
    }
    // Unused channels' entries are zeroed so they do not split the cache.
    let mut key = [0u32; 9];
    key[0] = p.channels as u32;
    key[1] = p.div.to_bits();
    key[2] = p.scale.to_bits();
    for c in 0..p.channels {
        key[3 + c] = p.mean[c].to_bits();
        key[6 + c] = p.std[c].to_bits();
    }
    thread_local! {
        static LAST: std::cell::Cell<Option<([u32; 9], bool)>> =
            const { std::cell::Cell::new(None) };
    }
    if let Some((k, hit)) = LAST.with(|l| l.get()) {
        if k == key {
            return hit;
        }
    }
    let ok = (0..p.channels).all(|c| {
        (0..=255u8).all(|x| {
            let want = scalar::value(x, p.div, p.mean[c], p.scale, p.std[c]);
            fused_value(x, p, c).to_bits() == want.to_bits()
        })
    });
    LAST.with(|l| l.set(Some((key, ok))));
    ok
}

impl Plan {
    pub(crate) fn new(format: PixelFormat, p: &TensorParams) -> Plan {
        let bpp = format.bytes_per_pixel();
        let channels = tensor_channels(format);
        let mut offs = match format.rgb_offsets() {
            None => [0, 0, 0],
            Some(_) => [0, 1, 2],
        };
        if p.swap_rb && channels == 3 {
            offs.swap(0, 2);
        }
        let mean = [p.mean[0], p.mean[1], p.mean[2]];
        let std = [p.std[0], p.std[1], p.std[2]];
        let interleaved = p.layout == Layout::Nhwc && channels > 1;
        let b_off = match bpp {
            1 => 0,
            3 => 8,
            _ => 16,
        };
        let mut shuf_a = [[0x80u8; 16]; 3];
        let mut shuf_b = [[0x80u8; 16]; 3];
        let mut tbl = [[0xffu8; 16]; 3];
        let mut mean_v = [[0f32; 8]; 3];
        let mut std_v = [[1f32; 8]; 3];
        let mut rstd_v = [[1f32; 8]; 3];
        let rstd = [1.0 / std[0], 1.0 / std[1], 1.0 / std[2]];
        for k in 0..channels {
            for l in 0..8 {
                // (pixel, channel) of output l of block k
                let (px, c) = if interleaved {
                    ((8 * k + l) / channels, (8 * k + l) % channels)
                } else {
                    (l, k)
                };
                let s = px * bpp + offs[c];
                if bpp == 1 || s < 16 {
                    shuf_a[k][l] = s as u8;
                    tbl[k][l] = s as u8;
                } else {
                    shuf_b[k][l] = (s - b_off) as u8;
                    tbl[k][l] = (16 + s - b_off) as u8;
                }
                mean_v[k][l] = mean[c];
                std_v[k][l] = std[c];
                rstd_v[k][l] = rstd[c];
            }
        }
        let mut perm16 = [[0u8; 64]; 3];
        let mut mean16 = [[0f32; 16]; 3];
        let mut std16 = [[1f32; 16]; 3];
        let mut rstd16 = [[1f32; 16]; 3];
        for k in 0..channels {
            for l in 0..16 {
                let (px, c) = if interleaved {
                    ((16 * k + l) / channels, (16 * k + l) % channels)
                } else {
                    (l, k)
                };
                perm16[k][l] = (px * bpp + offs[c]) as u8;
                mean16[k][l] = mean[c];
                std16[k][l] = std[c];
                rstd16[k][l] = rstd[c];
            }
        }
        let mut plan = Plan {
            bpp,
            channels,
            offs,
            div: p.divisor,
            scale: p.scale,
            mean,
            std,
            skip_div: p.divisor == 1.0,
            skip_mul: p.scale == 1.0,
            skip_std: std[..channels].iter().all(|&s| s == 1.0),
            interleaved,
            b_off,
            shuf_a,
            shuf_b,
            tbl,
            mean_v,
            std_v,
            fast: false,
            rdiv: 1.0 / p.divisor,
            rstd,
            rstd_v,
            perm16,
            mean16,
            std16,
            rstd16,
            lut: None,
        };
        plan.fast = fma_hardware() && fast_path_exact(&plan);
        #[cfg(test)]
        if DISABLE_FUSED.get() {
            plan.fast = false;
        }
        plan
    }

    /// True when the table kernel ([`LutK`]) beats kernel family `isa` for this plan: the
    /// scalar family (one load per element instead of two divisions), and SSE4.1 when the
    /// rule divides (its kernels divide with `divps`, never through the FMA reciprocal).
    /// Measured single-threaded on a 224^2 and a 640^2 BGR image (one process, calls
    /// alternated, best of 40): scalar 0.31 -> 0.066 ms and 2.5 -> 0.70 ms; SSE4.1 with the
    /// torchvision rule 0.081 -> 0.048 ms and 0.66 -> 0.61 ms. The AVX2 and AVX-512 kernels
    /// divide through the FMA reciprocal and stay ahead of lookups (0.031-0.038 ms at 224^2).
    /// Building the tables costs about 1 us, so small images (`pixels` per table build)
    /// keep the arithmetic: the crossover measured about 16^2 pixels for the scalar family
    /// (12^2: 4.1 vs 4.0 us, 20^2: 4.6 vs 5.8 us) and about 64^2 for SSE4.1 (96^2: 12.3 vs
    /// 18.2 us).
    fn lut_wins(&self, isa: Isa, pixels: usize) -> bool {
        match isa {
            Isa::Scalar => pixels >= LUT_MIN_PIXELS_SCALAR,
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => (!self.skip_div || !self.skip_std) && pixels >= LUT_MIN_PIXELS_SSE41,
            _ => false,
        }
    }

    /// [`Plan::lut_wins`], unless a test turned the table kernel off.
    fn use_lut(&self, isa: Isa, pixels: usize) -> bool {
        #[cfg(test)]
        if DISABLE_LUT.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        self.lut_wins(isa, pixels)
    }

    /// Attaches the rule's lookup tables (built for `format` under `p`).
    fn with_lut(mut self, format: PixelFormat, p: &TensorParams) -> Plan {
        self.lut = Some(TensorLut::new(format, p));
        self
    }
}

/// One kernel family's row functions. `*_body` convert the leading whole groups of pixels
/// (8, or 16 for AVX-512) and return how many they did; [`planar_row`]/[`interleaved_row`]
/// finish with the scalar tail.
trait RowKernel {
    /// Output alignment, in bytes, that the body's stores want (0: none). The row wrappers
    /// convert one unaligned group first and continue from the first aligned output, so
    /// the body's full-width stores never split a cache line (measured on a 224^2 blob
    /// rule: AVX-512 0.040 ms with the output 16 bytes off a 64-byte line, 0.021 ms
    /// aligned; AVX2 0.037 vs 0.028 ms off/on a 32-byte boundary; SSE4.1 the same).
    const ALIGN: usize = 0;
    /// Pixels per body step when the body may convert a group that overlaps pixels already
    /// converted (the same bits are written again): the wrappers then cover a ragged start
    /// and end of a row with one extra group instead of the (dividing) scalar rule. 0: the
    /// scalar rule does the tail.
    const GROUP: usize = 0;
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize;
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize;
}

/// Table kernel: every element is one load from `Plan::lut` (built with the scalar rule,
/// so equal to it bit for bit). Converts whole rows; does nothing without tables.
struct LutK;
impl RowKernel for LutK {
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
        match &p.lut {
            Some(l) => {
                l.row_planar(src, w, planes);
                w
            }
            None => 0,
        }
    }
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
        match &p.lut {
            Some(l) => {
                l.row_interleaved(src, w, dst);
                w
            }
            None => 0,
        }
    }
}

struct ScalarK;
impl RowKernel for ScalarK {
    fn planar_body(_: &[u8], _: usize, _: &Plan, _: &mut [&mut [f32]; 3]) -> usize {
        0
    }
    fn interleaved_body(_: &[u8], _: usize, _: &Plan, _: &mut [f32]) -> usize {
        0
    }
}

#[cfg(target_arch = "x86_64")]
struct Sse41K;
#[cfg(target_arch = "x86_64")]
impl RowKernel for Sse41K {
    const GROUP: usize = 8;
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
        // SAFETY: only instantiated after dispatch saw SSE4.1 on this CPU.
        unsafe { sse41::planar_body(src, w, p, planes) }
    }
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
        // SAFETY: as above.
        unsafe { sse41::interleaved_body(src, w, p, dst) }
    }
}

#[cfg(target_arch = "x86_64")]
struct Avx2K;
#[cfg(target_arch = "x86_64")]
impl RowKernel for Avx2K {
    const ALIGN: usize = 32;
    const GROUP: usize = 8;
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
        // SAFETY: only instantiated after dispatch saw AVX2 and FMA on this CPU.
        unsafe { avx2::planar_body(src, w, p, planes) }
    }
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
        // SAFETY: as above.
        unsafe { avx2::interleaved_body(src, w, p, dst) }
    }
}

#[cfg(target_arch = "x86_64")]
struct Avx512K;
#[cfg(target_arch = "x86_64")]
impl RowKernel for Avx512K {
    const ALIGN: usize = 64;
    const GROUP: usize = 16;
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
        // SAFETY: only instantiated after dispatch saw AVX-512 F/BW and VBMI on this CPU.
        unsafe { avx512::planar_body(src, w, p, planes) }
    }
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
        // SAFETY: as above.
        unsafe { avx512::interleaved_body(src, w, p, dst) }
    }
}

/// The AVX-512 kernels also need VBMI (byte permutes), which some AVX-512 CPUs lack.
#[cfg(target_arch = "x86_64")]
fn vbmi_hardware() -> bool {
    cpu::detected().has(crate::cpu::Features::AVX512VBMI)
}

#[cfg(target_arch = "aarch64")]
struct NeonK;
#[cfg(target_arch = "aarch64")]
impl RowKernel for NeonK {
    fn planar_body(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) -> usize {
        // SAFETY: only instantiated after dispatch saw NEON on this CPU.
        unsafe { neon::planar_body(src, w, p, planes) }
    }
    fn interleaved_body(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) -> usize {
        // SAFETY: as above.
        unsafe { neon::interleaved_body(src, w, p, dst) }
    }
}

fn tail(s: &mut [f32], from: usize) -> &mut [f32] {
    if s.is_empty() {
        s
    } else {
        &mut s[from..]
    }
}

/// The generic tail wrapper: SIMD body on whole groups of pixels, scalar on the rest.
/// Pixels (at most `w`) to convert before `out` reaches an `align`-byte boundary when each
/// pixel writes `ch` floats; 0 when `align` is 0 or no pixel count below `align / 4`
/// reaches one.
fn lead_pixels(out: &[f32], ch: usize, align: usize, w: usize) -> usize {
    if align == 0 || out.is_empty() {
        return 0;
    }
    let a = out.as_ptr() as usize;
    (0..align / 4)
        .find(|&i| (a + i * ch * 4).is_multiple_of(align))
        .unwrap_or(0)
        .min(w)
}

/// Pixels to skip so the body starts at an aligned output: nonzero only when one whole
/// unaligned group (converted first) covers them and a group is left after them.
fn lead_for<K: RowKernel>(out: &[f32], ch: usize, w: usize) -> usize {
    let lead = lead_pixels(out, ch, K::ALIGN, w);
    if K::GROUP > 0 && lead > 0 && lead <= K::GROUP && lead + K::GROUP <= w {
        lead
    } else {
        0
    }
}

/// The generic row wrapper: one unaligned group if the kernel wants aligned output (plane
/// 0's), the SIMD body on whole groups, then the rest: one last group ending at `w` when
/// the kernel allows overlap and the row holds a group, else the scalar rule.
fn planar_row<K: RowKernel>(src: &[u8], w: usize, p: &Plan, planes: &mut [&mut [f32]; 3]) {
    let lead = lead_for::<K>(planes[0], 1, w);
    if lead > 0 {
        K::planar_body(src, K::GROUP, p, planes);
    }
    let [a, b, c] = planes;
    let done = lead
        + K::planar_body(
            &src[lead * p.bpp..],
            w - lead,
            p,
            &mut [tail(a, lead), tail(b, lead), tail(c, lead)],
        );
    if done < w {
        let from = if K::GROUP > 0 && w >= K::GROUP {
            w - K::GROUP
        } else {
            done
        };
        let mut rest = [tail(a, from), tail(b, from), tail(c, from)];
        let src = &src[from * p.bpp..];
        if from < done {
            K::planar_body(src, K::GROUP, p, &mut rest);
        } else {
            scalar::row_planar(src, w - from, p, &mut rest);
        }
    }
}

fn interleaved_row<K: RowKernel>(src: &[u8], w: usize, p: &Plan, dst: &mut [f32]) {
    let ch = p.channels;
    let lead = lead_for::<K>(dst, ch, w);
    if lead > 0 {
        K::interleaved_body(src, K::GROUP, p, dst);
    }
    let done = lead + K::interleaved_body(&src[lead * p.bpp..], w - lead, p, &mut dst[lead * ch..]);
    if done < w {
        let from = if K::GROUP > 0 && w >= K::GROUP {
            w - K::GROUP
        } else {
            done
        };
        let (src, dst) = (&src[from * p.bpp..], &mut dst[from * ch..]);
        if from < done {
            K::interleaved_body(src, K::GROUP, p, dst);
        } else {
            scalar::row_interleaved(src, w - from, p, dst);
        }
    }
}

/// Destination of a band of rows: per-channel plane pieces (NCHW, unused planes empty) or
/// one interleaved piece (NHWC, and gray in either layout).
enum Band<'a> {
    Planar([&'a mut [f32]; 3]),
    Interleaved(&'a mut [f32]),
}

fn run_band<K: RowKernel>(img: &ImageView, y0: usize, rows: usize, p: &Plan, band: Band) {
    let w = img.width();
    match band {
        Band::Planar(mut planes) => {
            for y in 0..rows {
                let [a, b, c] = &mut planes;
                let mut row = [sub_row(a, y, w), sub_row(b, y, w), sub_row(c, y, w)];
                planar_row::<K>(img.row(y0 + y), w, p, &mut row);
            }
        }
        Band::Interleaved(dst) => {
            let n = w * p.channels;
            for (y, out) in dst.chunks_exact_mut(n).take(rows).enumerate() {
                interleaved_row::<K>(img.row(y0 + y), w, p, out);
            }
        }
    }
}

fn sub_row(s: &mut [f32], y: usize, w: usize) -> &mut [f32] {
    if s.is_empty() {
        s
    } else {
        &mut s[y * w..(y + 1) * w]
    }
}

/// One-row access to the conversion for callers that produce an image band by band (the
/// fused resize pipelines): the same plan and kernels as [`image_to_tensor`], so a row
/// converted here has exactly the bits the whole-image conversion gives it.
pub(crate) struct RowConverter {
    plan: Plan,
    isa: Isa,
}

impl RowConverter {
    /// A converter for `format` images with the (validated) rule `p`, on kernel family `isa`.
    pub(crate) fn new(format: PixelFormat, p: &TensorParams, isa: Isa) -> Self {
        RowConverter {
            plan: Plan::new(format, p),
            isa,
        }
    }

    /// Output channels (1 or 3).
    pub(crate) fn channels(&self) -> usize {
        self.plan.channels
    }

    /// True when rows go to separate channel planes (NCHW with 3 channels); false when one
    /// row is one contiguous run of `w * channels` floats (NHWC, or gray).
    pub(crate) fn planar(&self) -> bool {
        !self.plan.interleaved && self.plan.channels == 3
    }

    /// Converts `w` pixels of `src` into planes `planes[c][..w]` (NCHW with 3 channels).
    pub(crate) fn row_planar(&self, src: &[u8], w: usize, planes: &mut [&mut [f32]; 3]) {
        let p = &self.plan;
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => planar_row::<Sse41K>(src, w, p, planes),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 if vbmi_hardware() => planar_row::<Avx512K>(src, w, p, planes),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 if fma_hardware() => planar_row::<Avx2K>(src, w, p, planes),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => planar_row::<Sse41K>(src, w, p, planes),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => planar_row::<NeonK>(src, w, p, planes),
            _ => planar_row::<ScalarK>(src, w, p, planes),
        }
    }

    /// Converts `w` pixels of `src` into `dst[..w * channels]` (one NHWC row, or a gray row).
    pub(crate) fn row_interleaved(&self, src: &[u8], w: usize, dst: &mut [f32]) {
        let p = &self.plan;
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => interleaved_row::<Sse41K>(src, w, p, dst),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 if vbmi_hardware() => interleaved_row::<Avx512K>(src, w, p, dst),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 if fma_hardware() => interleaved_row::<Avx2K>(src, w, p, dst),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => interleaved_row::<Sse41K>(src, w, p, dst),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => interleaved_row::<NeonK>(src, w, p, dst),
            _ => interleaved_row::<ScalarK>(src, w, p, dst),
        }
    }

    /// The output value of each channel for one pixel of bytes `px` (e.g. the pad colour):
    /// the scalar rule, which every kernel equals bit for bit.
    pub(crate) fn pixel_values(&self, px: &[u8]) -> [f32; 3] {
        let p = &self.plan;
        let mut v = [0f32; 3];
        for (c, o) in v.iter_mut().enumerate().take(p.channels) {
            *o = scalar::value(px[p.offs[c]], p.div, p.mean[c], p.scale, p.std[c]);
        }
        v
    }
}

/// Pixels per image (or per batch) from which work is split across the pool. Measured
/// single-threaded here: 512^2 = 262144 pixels take ~100 us with the torchvision rule
/// (~50 us with the blobFromImage rule), an order of magnitude above the pool's dispatch
/// cost of a few microseconds, so splitting can pay when a core is free; below it, the
/// whole image runs on the calling thread.
const SPLIT_PIXELS: usize = 1 << 18;

/// Converts one image into `out` (exactly `tensor_len` elements), on bands if large.
fn convert<K: RowKernel>(img: &ImageView, p: &Plan, out: &mut [f32], allow_split: bool) {
    let (w, h) = (img.width(), img.height());
    let threads = parallel::num_threads();
    let split = allow_split && h > 1 && parallel::should_split(w * h, SPLIT_PIXELS);
    let band_rows = if split {
        h.div_ceil(threads * 4).max(1)
    } else {
        h
    };
    let plane = w * h;
    if !p.interleaved && p.channels == 3 {
        let mut planes = out.chunks_exact_mut(plane);
        let (a, b, c) = (
            planes.next().unwrap(),
            planes.next().unwrap(),
            planes.next().unwrap(),
        );
        let tasks: Vec<(usize, [&mut [f32]; 3])> = a
            .chunks_mut(band_rows * w)
            .zip(b.chunks_mut(band_rows * w))
            .zip(c.chunks_mut(band_rows * w))
            .enumerate()
            .map(|(i, ((a, b), c))| (i * band_rows, [a, b, c]))
            .collect();
        let job = |(y0, planes): (usize, [&mut [f32]; 3])| {
            let rows = planes[0].len() / w;
            run_band::<K>(img, y0, rows, p, Band::Planar(planes));
        };
        if split {
            parallel::install(|| tasks.into_par_iter().for_each(job));
        } else {
            tasks.into_iter().for_each(job);
        }
    } else {
        let row_len = w * p.channels;
        let job = |(i, chunk): (usize, &mut [f32])| {
            let rows = chunk.len() / row_len;
            run_band::<K>(img, i * band_rows, rows, p, Band::Interleaved(chunk));
        };
        if split {
            parallel::install(|| {
                out.par_chunks_mut(band_rows * row_len)
                    .enumerate()
                    .for_each(job)
            });
        } else {
            out.chunks_mut(band_rows * row_len)
                .enumerate()
                .for_each(job);
        }
    }
}

fn check_out(out_len: usize, need: usize) -> Result<()> {
    if out_len < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {out_len} floats, the tensor needs {need}"),
        ));
    }
    Ok(())
}

/// Converts `img` into `out[..tensor_len]` with the rule and layout of `p`.
/// Fails (writing nothing) on invalid parameters or a short `out`.
pub fn image_to_tensor(img: &ImageView, p: &TensorParams, out: &mut [f32]) -> Result<()> {
    p.validate(tensor_channels(img.format()))?;
    let need = tensor_len(img.width(), img.height(), img.format())?;
    check_out(out.len(), need)?;
    let plan = Plan::new(img.format(), p);
    let out = &mut out[..need];
    let isa = cpu::kernel_isa();
    if plan.use_lut(isa, img.width() * img.height()) {
        let plan = plan.with_lut(img.format(), p);
        convert::<LutK>(img, &plan, out, true);
        return Ok(());
    }
    match isa {
        Isa::Scalar => convert::<ScalarK>(img, &plan, out, true),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => convert::<Sse41K>(img, &plan, out, true),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if vbmi_hardware() => convert::<Avx512K>(img, &plan, out, true),
        // The AVX2 kernels also use FMA; every AVX2 CPU we know has it, but check.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 if fma_hardware() => convert::<Avx2K>(img, &plan, out, true),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => convert::<Sse41K>(img, &plan, out, true),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => convert::<NeonK>(img, &plan, out, true),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => convert::<wasm32::Simd128K>(img, &plan, out, true),
        #[allow(unreachable_patterns)]
        _ => convert::<ScalarK>(img, &plan, out, true),
    }
    Ok(())
}

fn convert_batch<K: RowKernel>(imgs: &[ImageView], p: &TensorParams, out: &mut [f32], per: usize) {
    let isa = cpu::kernel_isa();
    let plan_for = |img: &ImageView| {
        let plan = Plan::new(img.format(), p);
        if plan.use_lut(isa, img.width() * img.height()) {
            plan.with_lut(img.format(), p)
        } else {
            plan
        }
    };
    let job = |(img, chunk): (&ImageView, &mut [f32])| {
        let plan = plan_for(img);
        if plan.lut.is_some() {
            convert::<LutK>(img, &plan, chunk, false);
        } else {
            convert::<K>(img, &plan, chunk, false);
        }
    };
    let pixels = imgs.len() * imgs[0].width() * imgs[0].height();
    if imgs.len() > 1 && parallel::should_split(pixels, SPLIT_PIXELS) {
        parallel::install(|| {
            imgs.par_iter()
                .zip(out.par_chunks_mut(per))
                .with_max_len(1)
                .for_each(job)
        });
    } else if imgs.len() == 1 {
        let plan = plan_for(&imgs[0]);
        if plan.lut.is_some() {
            convert::<LutK>(&imgs[0], &plan, out, true);
        } else {
            convert::<K>(&imgs[0], &plan, out, true);
        }
    } else {
        imgs.iter().zip(out.chunks_mut(per)).for_each(job);
    }
}

/// Converts `imgs` (same width, height and channel count; formats may differ) into one
/// batch tensor `out[..n * C * H * W]`, image `n` at offset `n * C * H * W` in either
/// layout. Images run in parallel on scipix's pool (one image per task); the result does
/// not depend on the thread count. Fails (writing nothing) on an empty batch, mismatched
/// images, invalid parameters or a short `out`.
pub fn images_to_tensor(imgs: &[ImageView], p: &TensorParams, out: &mut [f32]) -> Result<()> {
    let first = imgs
        .first()
        .ok_or_else(|| Error::invalid("the batch has no images"))?;
    let (w, h, ch) = (
        first.width(),
        first.height(),
        tensor_channels(first.format()),
    );
    for (i, img) in imgs.iter().enumerate() {
        if img.width() != w || img.height() != h || tensor_channels(img.format()) != ch {
            return Err(Error::invalid(format!(
                "image {i} is {}x{} with {} channel(s); image 0 is {w}x{h} with {ch}",
                img.width(),
                img.height(),
                tensor_channels(img.format())
            )));
        }
    }
    p.validate(ch)?;
    let per = tensor_len(w, h, first.format())?;
    let need = checked_product(&[imgs.len(), per], "batch tensor elements")?;
    check_out(out.len(), need)?;
    let out = &mut out[..need];
    match cpu::kernel_isa() {
        Isa::Scalar => convert_batch::<ScalarK>(imgs, p, out, per),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => convert_batch::<Sse41K>(imgs, p, out, per),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if vbmi_hardware() => convert_batch::<Avx512K>(imgs, p, out, per),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 if fma_hardware() => convert_batch::<Avx2K>(imgs, p, out, per),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => convert_batch::<Sse41K>(imgs, p, out, per),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => convert_batch::<NeonK>(imgs, p, out, per),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => convert_batch::<wasm32::Simd128K>(imgs, p, out, per),
        #[allow(unreachable_patterns)]
        _ => convert_batch::<ScalarK>(imgs, p, out, per),
    }
    Ok(())
}

#[cfg(test)]
mod tests;
