//! FP8 (E4M3FN, E5M2) QuantizeLinear / DequantizeLinear as ONNX opset 19+ (with the
//! `saturate` attribute) and ONNX Runtime's CPU provider define them, bit for bit: per
//! tensor, per axis and block-wise along the last axis. The exact conversion rules are in
//! the kernel specification (`fp8/scalar.rs`) and on [`quantize_fp8`].

use super::fp8::scalar::{decode_table, dequantize as dequant_run};
pub use super::fp8::Fp8Format;
use super::fp8::{dequantize_scaled_with, quantize_with};
use super::linear::{axis_layout, block_layout};
use super::params::check_scale;
use crate::cpu::{self, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 1 << 16;
/// Per-tensor calls split over scipix's pool from this many elements (the int8 quantize
/// cut-off; FP8 quantize does more arithmetic per byte, so splitting pays at least as soon).
pub const PARALLEL_CUTOFF: usize = 1 << 21;

/// How scales map onto a tensor's elements (row-major).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout<'a> {
    /// One scale for every element.
    PerTensor,
    /// ONNX `axis`: element with index `c` along `axis` uses scale `c`.
    Axis {
        /// Tensor shape.
        shape: &'a [usize],
        /// Quantization axis (< rank).
        axis: usize,
    },
    /// ONNX opset 21 `block_size` on the last axis: block `b` of row `r` (leading indices
    /// flattened) covers `[b * block_size, min(k, (b + 1) * block_size))` of the row and uses
    /// scale `r * ceil(k / block_size) + b`.
    Blocked {
        /// Tensor shape (rank >= 1).
        shape: &'a [usize],
        /// Elements per block along the last axis (>= 1; the last block may be shorter).
        block_size: usize,
    },
}

impl Layout<'_> {
    /// `(elements, scales)` the layout implies, with `n` the element count of a per-tensor
    /// call. Errors: bad axis, zero block size, rank 0 for blocks, shape overflow.
    pub fn counts(&self, n: usize) -> Result<(usize, usize)> {
        match *self {
            Layout::PerTensor => Ok((n, 1)),
            Layout::Axis { shape, axis } => {
                let (_, ch, _, total) = axis_layout(shape, axis)?;
                Ok((total, ch))
            }
            Layout::Blocked { shape, block_size } => {
                let (rows, _, nb, total) = block_layout(shape, block_size)?;
                let params = rows
                    .checked_mul(nb)
                    .ok_or_else(|| Error::overflow("block count overflows".to_string()))?;
                Ok((total, params))
            }
        }
    }

    /// Calls `f(start, len, param)` for consecutive runs of elements sharing a parameter,
    /// covering `0..total` in order.
    pub fn for_each_run(&self, total: usize, mut f: impl FnMut(usize, usize, usize)) {
        match *self {
            Layout::PerTensor => f(0, total, 0),
            Layout::Axis { shape, axis } => {
                let Ok((_, ch, inner, _)) = axis_layout(shape, axis) else {
                    return;
                };
                if inner == 0 || ch == 0 {
                    return;
                }
                for (r, start) in (0..total).step_by(inner).enumerate() {
                    f(start, inner.min(total - start), r % ch);
                }
            }
            Layout::Blocked { shape, block_size } => {
                let Ok((rows, k, nb, _)) = block_layout(shape, block_size) else {
                    return;
                };
                for r in 0..rows {
                    for b in 0..nb {
                        let s = b * block_size;
                        f(r * k + s, block_size.min(k - s), r * nb + b);
                    }
                }
            }
        }
    }
}

/// Checks every scale (finite, > 0) and the count.
fn check_scales(scales: &[f32], want: usize) -> Result<()> {
    if scales.len() != want {
        return Err(Error::invalid(format!(
            "scale array has {} elements, expected {want}",
            scales.len()
        )));
    }
    for (i, &s) in scales.iter().enumerate() {
        check_scale(s).map_err(|e| Error::invalid(format!("scale[{i}]: {}", e.message())))?;
    }
    Ok(())
}

fn check_io(input: usize, output: usize, total: usize) -> Result<()> {
    if input != total {
        return Err(Error::invalid(format!(
            "input has {input} elements, expected {total}"
        )));
    }
    if output < total {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {output} elements, {total} are needed"),
        ));
    }
    Ok(())
}

/// FP8 QuantizeLinear with scales laid out by `layout` (one scale for
/// [`Layout::PerTensor`]), bit-exact with ONNX Runtime: `y = x / scale` (f32 division),
/// then ONNX Runtime's float -> float8 conversion: round to nearest, ties to even;
/// NaN -> NaN (sign kept); f32 subnormals and magnitudes below half the smallest float8
/// subnormal -> ±0. With `saturate` (the ONNX default) magnitudes beyond the largest
/// finite value, and ±inf, give ±448 (E4M3FN) or ±57344 (E5M2). Without it, E4M3FN gives
/// NaN for ±inf and for magnitudes >= 512, and in [448, 512) gives NaN where rounding goes
/// up ((464, 480) and [496, 512)) and ±448 elsewhere; E5M2 gives ±inf from 65536 on (and
/// for ±inf) and NaN for magnitudes that round up from 57344 ([61440, 65536)). One byte per
/// element in `out` (at least the element count); nothing is written on error.
pub fn quantize_fp8(
    x: &[f32],
    layout: Layout<'_>,
    scales: &[f32],
    fmt: Fp8Format,
    saturate: bool,
    out: &mut [u8],
) -> Result<()> {
    let (total, params) = layout.counts(x.len())?;
    check_scales(scales, params)?;
    check_io(x.len(), out.len(), total)?;
    let isa = cpu::kernel_isa();
    let out = &mut out[..total];
    if let Layout::PerTensor = layout {
        let s = scales[0];
        if parallel::should_split(total, PARALLEL_CUTOFF) {
            parallel::install(|| {
                out.par_chunks_mut(CHUNK)
                    .zip(x.par_chunks(CHUNK))
                    .for_each(|(o, i)| quantize_with(isa, i, o, s, fmt, saturate));
            });
        } else {
            quantize_with(isa, x, out, s, fmt, saturate);
        }
        return Ok(());
    }
    layout.for_each_run(total, |start, len, p| {
        let r = start..start + len;
        quantize_with(isa, &x[r.clone()], &mut out[r], scales[p], fmt, saturate);
    });
    Ok(())
}

/// FP8 DequantizeLinear with scales laid out by `layout`, bit-exact with ONNX Runtime:
/// `out = float(q) * scale` (exact decoding, one f32 multiply; NaN codes give NaN, E5M2
/// ±inf codes give ±inf times the scale). `out` must hold at least the element count;
/// nothing is written on error.
pub fn dequantize_fp8(
    q: &[u8],
    layout: Layout<'_>,
    scales: &[f32],
    fmt: Fp8Format,
    out: &mut [f32],
) -> Result<()> {
    let (total, params) = layout.counts(q.len())?;
    check_scales(scales, params)?;
    check_io(q.len(), out.len(), total)?;
    let table = decode_table(fmt);
    let out = &mut out[..total];
    if let Layout::PerTensor = layout {
        // Each code's product computed once by the scalar rule, then looked up.
        let scaled = table.map(|v| v * scales[0]);
        let store = Store::for_output(total.saturating_mul(4), cpu::WIDENING_STREAM_MIN_BYTES);
        let isa = cpu::kernel_isa();
        let run = |i: &[u8], o: &mut [f32]| dequantize_scaled_with(isa, i, o, &scaled, store);
        if parallel::should_split(total, PARALLEL_CUTOFF) {
            parallel::install(|| {
                out.par_chunks_mut(CHUNK)
                    .zip(q.par_chunks(CHUNK))
                    .for_each(|(o, i)| run(i, o));
            });
        } else {
            run(q, out);
        }
        return Ok(());
    }
    layout.for_each_run(total, |start, len, p| {
        let r = start..start + len;
        dequant_run(&q[r.clone()], &mut out[r], scales[p], &table);
    });
    Ok(())
}
