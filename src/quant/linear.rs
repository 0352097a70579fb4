//! QuantizeLinear / DequantizeLinear over whole tensors: per-tensor, per-axis (any axis)
//! and block-wise along the last axis, checked, and split over scipix's pool above a
//! measured size.
//!
//! ```
//! use scipix::quant::linear::quantize_linear_axis;
//! use scipix::quant::QDtype;
//!
//! // A 2x2 weight, one scale per row (axis 0).
//! let w = [1.0f32, -1.0, 10.0, -10.0];
//! let mut q = [0u8; 4];
//! quantize_linear_axis(&w, &[2, 2], 0, &[1.0 / 127.0, 10.0 / 127.0], &[0, 0], QDtype::I8, &mut q)?;
//! assert_eq!(q.map(|b| b as i8), [127, -127, 127, -127]);
//! # Ok::<(), scipix::Error>(())
//! ```

use super::dequantize::{dequantize_per_elem_with, dequantize_with};
use super::params::{check_scale, QDtype, QParams};
use super::quantize::{quantize_per_elem_with, quantize_with};
use crate::cpu::{self, Isa, Store};
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 1 << 16;
/// Below this many elements the work stays on the calling thread. Measured with
/// `cargo bench --bench quantize -- cutoff` on the 2-core development machine: splitting
/// loses below 1M elements (2.2 vs 3.1 Gelem/s at 256K), breaks even at 1M
/// and wins at 4M (2.8 vs 2.3 Gelem/s), so the split starts at 2M.
pub const PARALLEL_CUTOFF: usize = 1 << 21;
/// Per-axis runs shorter than this use per-element parameter vectors instead of one kernel
/// call per run.
const SHORT_RUN: usize = 32;

/// The direction of a linear (de)quantization: f32 -> bytes or bytes -> f32.
trait Direction: Sync {
    type In: Copy + Sync;
    type Out: Copy + Send;
    /// Whether `run_pe` can use reciprocals of the scales.
    const USES_INV: bool;
    /// Outputs of at least this many bytes are written with streaming stores.
    const STREAM_MIN_BYTES: usize;
    #[allow(clippy::too_many_arguments)]
    fn run(isa: Isa, x: &[Self::In], out: &mut [Self::Out], s: f32, z: i32, d: QDtype, st: Store);
    fn run_pe(
        isa: Isa,
        x: &[Self::In],
        out: &mut [Self::Out],
        s: &[f32],
        z: &[i32],
        inv: Option<&[f32]>,
        d: QDtype,
    );
}

struct Quant;
struct Dequant;

impl Direction for Quant {
    type In = f32;
    type Out = u8;
    const USES_INV: bool = true;
    /// One output byte per four input bytes, so streamed output never limits the kernel.
    /// `python3 benches/peers_quant.py` and a size sweep on the development machine (1 MiB
    /// L2 per core, 32 MiB L3): streaming is even at 512K elements and wins from 1M (18.6
    /// against 17.2 G elements/s) to 16M (9.1 against 7.7).
    const STREAM_MIN_BYTES: usize = 512 << 10;
    fn run(isa: Isa, x: &[f32], out: &mut [u8], s: f32, z: i32, d: QDtype, st: Store) {
        quantize_with(isa, x, out, s, z, d, st)
    }
    fn run_pe(
        isa: Isa,
        x: &[f32],
        out: &mut [u8],
        s: &[f32],
        z: &[i32],
        inv: Option<&[f32]>,
        d: QDtype,
    ) {
        quantize_per_elem_with(isa, x, out, s, z, inv, d)
    }
}

impl Direction for Dequant {
    type In = u8;
    type Out = f32;
    const USES_INV: bool = false;
    /// Four output bytes per input byte; this kernel is where the shared cut-off was measured.
    const STREAM_MIN_BYTES: usize = cpu::WIDENING_STREAM_MIN_BYTES;
    fn run(isa: Isa, x: &[u8], out: &mut [f32], s: f32, z: i32, d: QDtype, st: Store) {
        dequantize_with(isa, x, out, s, z, d, st)
    }
    fn run_pe(
        isa: Isa,
        x: &[u8],
        out: &mut [f32],
        s: &[f32],
        z: &[i32],
        _inv: Option<&[f32]>,
        d: QDtype,
    ) {
        dequantize_per_elem_with(isa, x, out, s, z, d)
    }
}

/// `(outer, channels, inner)` for quantizing `shape` along `axis`, with the element count.
pub fn axis_layout(shape: &[usize], axis: usize) -> Result<(usize, usize, usize, usize)> {
    let total = checked_product(shape, "tensor shape")?;
    if axis >= shape.len() {
        return Err(Error::invalid(format!(
            "axis {axis} is out of range for a rank-{} tensor",
            shape.len()
        )));
    }
    let outer = checked_product(&shape[..axis], "dimensions before the axis")?;
    let inner = checked_product(&shape[axis + 1..], "dimensions after the axis")?;
    Ok((outer, shape[axis], inner, total))
}

/// `(rows, k, blocks_per_row, total)` for block-wise quantization along the last axis.
pub fn block_layout(shape: &[usize], block_size: usize) -> Result<(usize, usize, usize, usize)> {
    let total = checked_product(shape, "tensor shape")?;
    if block_size == 0 {
        return Err(Error::invalid("block size must be > 0"));
    }
    let Some((&k, rest)) = shape.split_last() else {
        return Err(Error::invalid(
            "block-wise quantization needs a tensor of rank >= 1",
        ));
    };
    let rows = checked_product(rest, "dimensions before the last axis")?;
    Ok((rows, k, k.div_ceil(block_size), total))
}

fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::invalid(format!(
            "{what} has {got} elements, expected {want}"
        )));
    }
    Ok(())
}

fn check_out(got: usize, want: usize) -> Result<()> {
    if got < want {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {got} elements, {want} are needed"),
        ));
    }
    Ok(())
}

/// Checks per-axis/per-block parameter arrays: equal lengths `want`, every scale finite and
/// > 0, every zero point inside the dtype.
pub fn check_params(scales: &[f32], zps: &[i32], want: usize, dtype: QDtype) -> Result<()> {
    check_len("scale array", scales.len(), want)?;
    check_len("zero-point array", zps.len(), want)?;
    for (i, (&s, &z)) in scales.iter().zip(zps).enumerate() {
        check_scale(s).map_err(|e| Error::invalid(format!("scale[{i}]: {}", e.message())))?;
        dtype
            .check_zero_point(z)
            .map_err(|e| Error::invalid(format!("zero_point[{i}]: {}", e.message())))?;
    }
    Ok(())
}

/// The checks of a shaped call, in order: input of exactly `total` elements, `want`
/// valid parameters, output of at least `total`.
fn check_shaped(
    input: usize,
    output: usize,
    total: usize,
    scales: &[f32],
    zps: &[i32],
    want: usize,
    dtype: QDtype,
) -> Result<()> {
    check_len("input", input, total)?;
    check_params(scales, zps, want, dtype)?;
    check_out(output, total)
}

/// How to write an output of `n` elements (see `Direction::STREAM_MIN_BYTES`).
fn output_store<D: Direction>(n: usize) -> Store {
    Store::for_output(
        n.saturating_mul(std::mem::size_of::<D::Out>()),
        D::STREAM_MIN_BYTES,
    )
}

fn per_tensor<D: Direction>(x: &[D::In], out: &mut [D::Out], p: QParams, dtype: QDtype) {
    let isa = cpu::kernel_isa();
    let out = &mut out[..x.len()];
    let st = output_store::<D>(x.len());
    if parallel::should_split(x.len(), PARALLEL_CUTOFF) {
        parallel::install(|| {
            out.par_chunks_mut(CHUNK)
                .zip(x.par_chunks(CHUNK))
                .for_each(|(o, i)| D::run(isa, i, o, p.scale, p.zero_point, dtype, st));
        });
    } else {
        D::run(isa, x, out, p.scale, p.zero_point, dtype, st);
    }
}

/// Runs of `run` elements; run `r` uses parameter `r % period`.
fn runs<D: Direction>(
    x: &[D::In],
    out: &mut [D::Out],
    run: usize,
    period: usize,
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) {
    let isa = cpu::kernel_isa();
    let total = x.len();
    if run == 0 || total == 0 {
        return;
    }
    let out = &mut out[..total];
    if run >= SHORT_RUN {
        let st = output_store::<D>(total);
        let runs_per_task = (CHUNK / run).max(1);
        let task = runs_per_task * run;
        let body = |t: usize, o: &mut [D::Out], i: &[D::In]| {
            for (k, (oc, ic)) in o.chunks_mut(run).zip(i.chunks(run)).enumerate() {
                let c = (t * runs_per_task + k) % period;
                D::run(isa, ic, oc, scales[c], zps[c], dtype, st);
            }
        };
        if parallel::should_split(total, PARALLEL_CUTOFF) {
            parallel::install(|| {
                out.par_chunks_mut(task)
                    .zip(x.par_chunks(task))
                    .enumerate()
                    .for_each(|(t, (o, i))| body(t, o, i));
            });
        } else {
            for (t, (o, i)) in out.chunks_mut(task).zip(x.chunks(task)).enumerate() {
                body(t, o, i);
            }
        }
        return;
    }
    // Short runs: expand the parameters over one period (period * run elements) and use
    // the per-element kernels; element j uses expanded parameter j % slab.
    let slab = period * run;
    // Runs of one element use the caller's arrays as they are.
    let expand = |v: &[f32]| -> Vec<f32> {
        v.iter()
            .flat_map(|&s| std::iter::repeat_n(s, run))
            .collect()
    };
    let (es_own, ez_own);
    let (es, ez): (&[f32], &[i32]) = if run == 1 {
        (scales, zps)
    } else {
        es_own = expand(scales);
        ez_own = zps
            .iter()
            .flat_map(|&z| std::iter::repeat_n(z, run))
            .collect::<Vec<i32>>();
        (&es_own, &ez_own)
    };
    // Reciprocals for the exact fast path of the quantize kernels, when every scale allows it.
    let inv: Option<Vec<f32>> = (D::USES_INV
        && es
            .iter()
            .all(|&s| super::quantize::scalar::fast_path_allowed(s)))
    .then(|| es.iter().map(|&s| 1.0 / s).collect());
    let inv = inv.as_deref();
    let body = |start: usize, o: &mut [D::Out], i: &[D::In]| {
        let mut done = 0;
        while done < i.len() {
            let off = (start + done) % slab;
            let len = (slab - off).min(i.len() - done);
            D::run_pe(
                isa,
                &i[done..done + len],
                &mut o[done..done + len],
                &es[off..off + len],
                &ez[off..off + len],
                inv.map(|v| &v[off..off + len]),
                dtype,
            );
            done += len;
        }
    };
    if parallel::should_split(total, PARALLEL_CUTOFF) {
        parallel::install(|| {
            out.par_chunks_mut(CHUNK)
                .zip(x.par_chunks(CHUNK))
                .enumerate()
                .for_each(|(t, (o, i))| body(t * CHUNK, o, i));
        });
    } else {
        body(0, out, x);
    }
}

fn blocked<D: Direction>(
    x: &[D::In],
    out: &mut [D::Out],
    k: usize,
    block: usize,
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
) {
    let isa = cpu::kernel_isa();
    let total = x.len();
    if k == 0 || total == 0 {
        return;
    }
    let nb = k.div_ceil(block);
    let out = &mut out[..total];
    let st = output_store::<D>(total);
    let rows_per_task = (CHUNK / k).max(1);
    let task = rows_per_task * k;
    let body = |t: usize, o: &mut [D::Out], i: &[D::In]| {
        for (r, (orow, irow)) in o.chunks_mut(k).zip(i.chunks(k)).enumerate() {
            let base = (t * rows_per_task + r) * nb;
            for (b, (ob, ib)) in orow.chunks_mut(block).zip(irow.chunks(block)).enumerate() {
                D::run(isa, ib, ob, scales[base + b], zps[base + b], dtype, st);
            }
        }
    };
    if parallel::should_split(total, PARALLEL_CUTOFF) {
        parallel::install(|| {
            out.par_chunks_mut(task)
                .zip(x.par_chunks(task))
                .enumerate()
                .for_each(|(t, (o, i))| body(t, o, i));
        });
    } else {
        for (t, (o, i)) in out.chunks_mut(task).zip(x.chunks(task)).enumerate() {
            body(t, o, i);
        }
    }
}

/// ONNX QuantizeLinear with one scale and zero point: `out[i] = saturate(round_half_even(
/// x[i] / scale) + zero_point)`, stored as int8 or uint8 bytes. NaN gives the dtype's
/// minimum (-128 or 0), +inf/-inf saturate. `out` must hold at least `x.len()` bytes;
/// nothing is written on error.
pub fn quantize_linear(x: &[f32], out: &mut [u8], p: QParams, dtype: QDtype) -> Result<()> {
    let p = QParams::new(p.scale, p.zero_point, dtype)?;
    check_out(out.len(), x.len())?;
    per_tensor::<Quant>(x, out, p, dtype);
    Ok(())
}

/// ONNX DequantizeLinear with one scale and zero point: `out[i] = (q[i] - zero_point) *
/// scale` (integer difference, one f32 multiply). `out` must hold `q.len()` floats.
pub fn dequantize_linear(q: &[u8], out: &mut [f32], p: QParams, dtype: QDtype) -> Result<()> {
    let p = QParams::new(p.scale, p.zero_point, dtype)?;
    check_out(out.len(), q.len())?;
    per_tensor::<Dequant>(q, out, p, dtype);
    Ok(())
}

/// Per-axis QuantizeLinear (ONNX `axis` attribute): element at index `c` along `axis` uses
/// `scales[c]` and `zps[c]`. `x.len()` must equal the shape's product, the parameter
/// arrays the length of `shape[axis]`.
pub fn quantize_linear_axis(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
    out: &mut [u8],
) -> Result<()> {
    let (_, ch, inner, total) = axis_layout(shape, axis)?;
    check_shaped(x.len(), out.len(), total, scales, zps, ch, dtype)?;
    runs::<Quant>(x, out, inner, ch, scales, zps, dtype);
    Ok(())
}

/// Per-axis DequantizeLinear; the same layout rules as [`quantize_linear_axis`].
pub fn dequantize_linear_axis(
    q: &[u8],
    shape: &[usize],
    axis: usize,
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
    out: &mut [f32],
) -> Result<()> {
    let (_, ch, inner, total) = axis_layout(shape, axis)?;
    check_shaped(q.len(), out.len(), total, scales, zps, ch, dtype)?;
    runs::<Dequant>(q, out, inner, ch, scales, zps, dtype);
    Ok(())
}

/// Block-wise QuantizeLinear along the last axis (ONNX opset 21 `block_size` on the last
/// axis): row `r` (all leading indices flattened), block `b` covers elements
/// `[b * block_size, min(k, (b + 1) * block_size))` of that row and uses parameter
/// `r * ceil(k / block_size) + b`.
pub fn quantize_linear_blocked(
    x: &[f32],
    shape: &[usize],
    block_size: usize,
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
    out: &mut [u8],
) -> Result<()> {
    let (rows, k, nb, total) = block_layout(shape, block_size)?;
    check_shaped(x.len(), out.len(), total, scales, zps, rows * nb, dtype)?;
    blocked::<Quant>(x, out, k, block_size, scales, zps, dtype);
    Ok(())
}

/// Block-wise DequantizeLinear; the same layout rules as [`quantize_linear_blocked`].
pub fn dequantize_linear_blocked(
    q: &[u8],
    shape: &[usize],
    block_size: usize,
    scales: &[f32],
    zps: &[i32],
    dtype: QDtype,
    out: &mut [f32],
) -> Result<()> {
    let (rows, k, nb, total) = block_layout(shape, block_size)?;
    check_shaped(q.len(), out.len(), total, scales, zps, rows * nb, dtype)?;
    blocked::<Dequant>(q, out, k, block_size, scales, zps, dtype);
    Ok(())
}
