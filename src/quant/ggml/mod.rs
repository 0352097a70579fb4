//! GGML block quantization (the formats of llama.cpp and GGUF files): quantize f32 to
//! Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1, and dequantize those plus Q4_K, Q5_K, Q6_K, F32, F16
//! and BF16, bit-exact with `gguf.quants` of the `gguf` Python package 0.19.0 (which
//! mirrors ggml's reference C quantizers).
//!
//! # Block layouts and rules (32 values per block; `d` and `m` stored as f16)
//!
//! | type | bytes | layout | scale | code | value |
//! |------|-------|--------|-------|------|-------|
//! | Q8_0 | 34 | d, 32 x i8 | `d = max|x| / 127` | `round_half_away(x * id)` | `q * d` |
//! | Q4_0 | 18 | d, 16 nibble bytes | `d = xmax / -8` | `min(15, trunc(x * id + 8.5))` | `d * (q - 8)` |
//! | Q4_1 | 20 | d, m, 16 nibble bytes | `d = (max - min) / 15`, `m = min` | `min(15, trunc((x - min) * id + 0.5))` | `d * q + m` |
//! | Q5_0 | 22 | d, u32 qh, 16 nibble bytes | `d = xmax / -16` | `min(31, trunc(x * id + 16.5))` | `d * (q - 16)` |
//! | Q5_1 | 24 | d, m, u32 qh, 16 nibble bytes | `d = (max - min) / 31`, `m = min` | `min(31, trunc((x - min) * id + 0.5))` | `d * q + m` |
//!
//! `xmax` is the block's value of largest magnitude with its sign (the first one on
//! ties), `id = d == 0 ? 0 : 1 / d`, and everything is f32 arithmetic rounded after each
//! operation (no fused multiply-add), with `d` and `id` taken from the f32 `d` before
//! it is rounded to f16 (round to nearest even). Nibble byte j holds value j in its low
//! and value j + 16 in its high nibble; bit j of the little-endian `qh` is bit 4 of
//! value j. Q4_K (144 bytes), Q5_K (176) and Q6_K (210) hold 256 values with 6-bit or
//! 8-bit sub-block scales; see the scalar kernels for their exact formulas.
//!
//! # Input rules
//! Quantizing needs `row_len` to be a positive multiple of 32 and the input a whole
//! number of rows; every value finite; every block's f16 scale (and minimum) finite,
//! i.e. below 65520 in magnitude after rounding. Violations are `InvalidArgument` and
//! nothing is written. A block whose scale underflows f16 is stored with `d = 0` and
//! dequantizes to zeros, as in ggml. Dequantizing accepts any bytes: non-finite stored
//! scales give the IEEE results (inf, NaN), as numpy does.
//!
//! Known difference: for Q4_1 and Q5_1, when a block's minimum or maximum is zero and the
//! block holds both +0.0 and -0.0, numpy's vectorized reduction decides which zero it
//! returns depending on positions; scipix returns the first. Only the sign bit of the
//! stored f16 `m` (or of a zero `d`) can differ; dequantized values compare equal.
//!
//! Q8_0 and Q4_0 have SSE4.1, AVX2, AVX-512 and NEON kernels (bit-identical to the scalar
//! specification); inputs of at least [`PARALLEL_CUTOFF`] values are split over scipix's
//! thread pool by whole blocks, with results independent of the thread count.

mod kernels;
mod types;

pub use types::{GgmlType, QK_K};

use crate::cpu::{self, Isa};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;
use kernels::{scalar, Fmt};
use rayon::prelude::*;

/// Values at or above which quantize and dequantize split across scipix's pool.
pub const PARALLEL_CUTOFF: usize = 1 << 18;

/// Blocks per parallel chunk (64 Ki values).
const CHUNK_BLOCKS: usize = 2048;

/// Bytes of `n` values of `ty`: `InvalidArgument` if `n` is not a multiple of the block
/// size, `SizeOverflow` if the size overflows.
pub fn quantized_size(ty: GgmlType, n: usize) -> Result<usize> {
    let bs = ty.block_size();
    if !n.is_multiple_of(bs) {
        return Err(Error::invalid(format!(
            "{n} values are not a multiple of the {ty} block size {bs}"
        )));
    }
    (n / bs)
        .checked_mul(ty.type_size())
        .ok_or_else(|| Error::overflow(format!("{n} values of {ty}: byte size overflows")))
}

/// Largest magnitude below which no block of `ty` can have an f16 scale or minimum out
/// of range (the exact per-block check runs only above it).
fn safe_magnitude(ty: GgmlType) -> f32 {
    match ty {
        GgmlType::Q8_0 => 8.0e6,  // 8e6 / 127 < 65504
        GgmlType::Q4_0 => 5.2e5,  // / 8
        GgmlType::Q5_0 => 1.04e6, // / 16
        _ => 6.5e4,               // Q4_1, Q5_1: |min| and 2 * 65000 / 15
    }
}

/// The f32 scale and minimum of one block, as the specification computes them.
fn block_scale(ty: GgmlType, b: &[f32]) -> (f32, Option<f32>) {
    match ty {
        GgmlType::Q8_0 => (scalar::absmax(b) / 127.0, None),
        GgmlType::Q4_0 => (scalar::signed_absmax(b) / -8.0, None),
        GgmlType::Q5_0 => (scalar::signed_absmax(b) / -16.0, None),
        GgmlType::Q4_1 | GgmlType::Q5_1 => {
            let (lo, hi) = scalar::minmax(b);
            let levels = if ty == GgmlType::Q4_1 { 15.0 } else { 31.0 };
            ((hi - lo) / levels, Some(lo))
        }
        _ => (0.0, None),
    }
}

/// Checks `x` for non-finite values and blocks whose f16 scale would overflow.
fn check_input(isa: Isa, ty: GgmlType, x: &[f32]) -> Result<()> {
    let bits = kernels::max_abs_bits(isa, x);
    if bits >= 0x7f80_0000 {
        let (i, v) = x
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
            .map(|(i, v)| (i, *v))
            .unwrap_or((0, f32::NAN));
        return Err(Error::invalid(format!(
            "x[{i}] is {v}: {ty} quantization needs finite values (a block's scale would be \
             NaN or infinite)"
        )));
    }
    if f32::from_bits(bits) <= safe_magnitude(ty) {
        return Ok(());
    }
    let fits = |v: f32| !half::f16::from_f32(v).is_infinite();
    for (k, b) in x.chunks_exact(32).enumerate() {
        let (d, m) = block_scale(ty, b);
        if !fits(d) {
            return Err(Error::invalid(format!(
                "block {k} (values {}..{}): {ty} scale {d:e} overflows f16 (largest 65504); \
                 the values are too large for this format",
                32 * k,
                32 * k + 32
            )));
        }
        if let Some(m) = m.filter(|&m| !fits(m)) {
            return Err(Error::invalid(format!(
                "block {k} (values {}..{}): {ty} minimum {m:e} overflows f16 (largest 65504)",
                32 * k,
                32 * k + 32
            )));
        }
    }
    Ok(())
}

fn fmt_of(ty: GgmlType) -> Option<Fmt> {
    match ty {
        GgmlType::Q8_0 => Some(Fmt::Q8_0),
        GgmlType::Q4_0 => Some(Fmt::Q4_0),
        _ => None,
    }
}

fn quantize_blocks(isa: Isa, ty: GgmlType, x: &[f32], q: &mut [u8]) {
    match (fmt_of(ty), ty) {
        (Some(f), _) => kernels::quantize(isa, f, x, q),
        (None, GgmlType::Q4_1) => scalar::quantize_q4_1(x, q),
        (None, GgmlType::Q5_0) => scalar::quantize_q5_0(x, q),
        (None, GgmlType::Q5_1) => scalar::quantize_q5_1(x, q),
        _ => unreachable!("checked by quantize"),
    }
}

fn dequantize_blocks(isa: Isa, ty: GgmlType, q: &[u8], x: &mut [f32]) {
    match (fmt_of(ty), ty) {
        (Some(f), _) => kernels::dequantize(isa, f, q, x),
        (None, GgmlType::Q4_1) => scalar::dequantize_q4_1(q, x),
        (None, GgmlType::Q5_0) => scalar::dequantize_q5_0(q, x),
        (None, GgmlType::Q5_1) => scalar::dequantize_q5_1(q, x),
        (None, GgmlType::Q4_K) => scalar::dequantize_q4_k(q, x),
        (None, GgmlType::Q5_K) => scalar::dequantize_q5_k(q, x),
        (None, GgmlType::Q6_K) => scalar::dequantize_q6_k(q, x),
        (None, GgmlType::F32) => scalar::dequantize_f32(q, x),
        (None, GgmlType::F16) => scalar::dequantize_f16(q, x),
        (None, GgmlType::BF16) => scalar::dequantize_bf16(q, x),
        _ => unreachable!("checked by dequantize"),
    }
}

/// Quantizes `x`, a row-major tensor whose rows hold `row_len` values, to `ty` (Q8_0,
/// Q4_0, Q4_1, Q5_0 or Q5_1), writing `quantized_size(ty, x.len())` bytes to the front
/// of `out`; returns that count. Rules: see the module documentation.
///
/// Errors: `UnsupportedFormat` for another type; `InvalidArgument` if `row_len` is 0 or
/// not a multiple of 32, `x.len()` not a multiple of `row_len`, a value is not finite,
/// or a block's f16 scale or minimum would overflow; `BufferTooSmall` if `out` is
/// shorter than needed. Nothing is written on error.
pub fn quantize(ty: GgmlType, x: &[f32], row_len: usize, out: &mut [u8]) -> Result<usize> {
    if !ty.can_quantize() {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!("scipix quantizes to Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1, not {ty}"),
        ));
    }
    check_rows(ty, x.len(), row_len)?;
    let size = quantized_size(ty, x.len())?;
    if out.len() < size {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!(
                "{} values of {ty} need {size} bytes, the output holds {}",
                x.len(),
                out.len()
            ),
        ));
    }
    let isa = cpu::kernel_isa();
    check_input(isa, ty, x)?;
    let out = &mut out[..size];
    let ts = ty.type_size();
    if parallel::should_split(x.len(), PARALLEL_CUTOFF) {
        parallel::install(|| {
            x.par_chunks(32 * CHUNK_BLOCKS)
                .zip(out.par_chunks_mut(ts * CHUNK_BLOCKS))
                .for_each(|(x, q)| quantize_blocks(isa, ty, x, q));
        });
    } else {
        quantize_blocks(isa, ty, x, out);
    }
    Ok(size)
}

fn check_rows(ty: GgmlType, n: usize, row_len: usize) -> Result<()> {
    let bs = ty.block_size();
    if row_len == 0 || !row_len.is_multiple_of(bs) {
        return Err(Error::invalid(format!(
            "row length {row_len} is not a positive multiple of the {ty} block size {bs}"
        )));
    }
    if !n.is_multiple_of(row_len) {
        return Err(Error::invalid(format!(
            "{n} values are not a whole number of {row_len}-value rows"
        )));
    }
    Ok(())
}

/// Dequantizes `q`, a whole number of `ty` blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K,
/// Q5_K, Q6_K, F32, F16 or BF16), into the front of `out`; returns the number of values.
///
/// Errors: `UnsupportedFormat` for another type; `InvalidArgument` if `q.len()` is not
/// a multiple of the block's byte size; `BufferTooSmall` if `out` holds fewer values.
/// Nothing is written on error.
pub fn dequantize(ty: GgmlType, q: &[u8], out: &mut [f32]) -> Result<usize> {
    if !ty.can_dequantize() {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!(
                "scipix dequantizes Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, F32, F16 \
                 and BF16, not {ty}"
            ),
        ));
    }
    let (bs, ts) = ty.block();
    if !q.len().is_multiple_of(ts) {
        return Err(Error::invalid(format!(
            "{} bytes are not a whole number of {ts}-byte {ty} blocks",
            q.len()
        )));
    }
    let n = q.len() / ts * bs;
    if out.len() < n {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!(
                "{} bytes of {ty} hold {n} values, the output holds {}",
                q.len(),
                out.len()
            ),
        ));
    }
    let isa = cpu::kernel_isa();
    let out = &mut out[..n];
    // Chunks of whole blocks: 64 Ki values for 32-value blocks, 8 x 256 for K-quants.
    let chunk = (CHUNK_BLOCKS * 32 / bs).max(1);
    if parallel::should_split(n, PARALLEL_CUTOFF) {
        parallel::install(|| {
            q.par_chunks(ts * chunk)
                .zip(out.par_chunks_mut(bs * chunk))
                .for_each(|(q, x)| dequantize_blocks(isa, ty, q, x));
        });
    } else {
        dequantize_blocks(isa, ty, q, out);
    }
    Ok(n)
}

/// Quantizes into a new vector (see [`quantize`]).
pub fn quantize_to_vec(ty: GgmlType, x: &[f32], row_len: usize) -> Result<Vec<u8>> {
    if !ty.can_quantize() {
        return quantize(ty, x, row_len, &mut []).map(|_| Vec::new());
    }
    check_rows(ty, x.len(), row_len)?;
    let mut out = crate::error::try_filled_vec(0u8, quantized_size(ty, x.len())?, "GGML blocks")?;
    quantize(ty, x, row_len, &mut out)?;
    Ok(out)
}

/// Dequantizes into a new vector (see [`dequantize`]).
pub fn dequantize_to_vec(ty: GgmlType, q: &[u8]) -> Result<Vec<f32>> {
    let (bs, ts) = ty.block();
    let n = (q.len() / ts).saturating_mul(bs);
    let mut out = crate::error::try_filled_vec(0f32, n, "dequantized values")?;
    dequantize(ty, q, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
