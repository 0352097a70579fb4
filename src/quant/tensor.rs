//! Parameters from data, and [`QuantizedTensor`]: quantized bytes with their shape, dtype
//! and scales / zero points (per tensor, per axis or per block).
//!
//! ```
//! use scipix::quant::{Granularity, QDtype, QMode, QuantizedTensor};
//!
//! let x = [0.0f32, 1.0, 2.0, 4.0, -8.0, 8.0];
//! let q = QuantizedTensor::quantize(&x, &[2, 3], QDtype::I8, QMode::Symmetric, false,
//!     Granularity::PerAxis { axis: 0 })?;
//! assert_eq!(q.scales().len(), 2); // one per row
//! assert_eq!(q.nbytes(), 6);
//! assert_eq!(q.dequantize()?[5], 8.0);
//! # Ok::<(), scipix::Error>(())
//! ```

use super::linear::{
    axis_layout, block_layout, dequantize_linear, dequantize_linear_axis,
    dequantize_linear_blocked, quantize_linear, quantize_linear_axis, quantize_linear_blocked,
    PARALLEL_CUTOFF,
};
use super::minmax::{minmax_accumulate_with, minmax_with};
use super::params::{params_from_range, QDtype, QMode, QParams};
use crate::cpu;
use crate::error::{try_filled_vec, Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;

const EMPTY: (f32, f32) = (f32::INFINITY, f32::NEG_INFINITY);

/// `(min, max)` of the non-NaN values of `x`, or `None` when there are none. A zero
/// extreme is +0.0.
pub fn minmax(x: &[f32]) -> Option<(f32, f32)> {
    let isa = cpu::kernel_isa();
    let (mn, mx) = if parallel::should_split(x.len(), PARALLEL_CUTOFF) {
        parallel::install(|| {
            x.par_chunks(1 << 16)
                .map(|c| minmax_with(isa, c, EMPTY))
                .reduce(|| EMPTY, |a, b| minmax_with(isa, &[b.0, b.1], a))
        })
    } else {
        minmax_with(isa, x, EMPTY)
    };
    (mn <= mx).then_some((mn, mx))
}

/// Parameters for an observed range (`None`: no finite data seen, treated as [0, 0]).
fn params_for(
    r: Option<(f32, f32)>,
    dtype: QDtype,
    mode: QMode,
    reduce_range: bool,
) -> Result<QParams> {
    let (mn, mx) = r.unwrap_or((0.0, 0.0));
    if !mn.is_finite() || !mx.is_finite() {
        return Err(Error::invalid(format!(
            "data range [{mn}, {mx}] is not finite: infinite inputs have no finite scale"
        )));
    }
    params_from_range(mn, mx, dtype, mode, reduce_range)
}

/// Scale and zero point from the data's min and max (NaNs ignored; all-NaN or empty data
/// counts as [0, 0], giving scale 1 and zero point 0). Errors when the data holds ±inf.
pub fn params_from_data(
    x: &[f32],
    dtype: QDtype,
    mode: QMode,
    reduce_range: bool,
) -> Result<QParams> {
    params_for(minmax(x), dtype, mode, reduce_range)
}

/// Per-channel `(min, max)` along `axis` (`None` for a channel with no non-NaN value).
pub fn minmax_axis(x: &[f32], shape: &[usize], axis: usize) -> Result<Vec<Option<(f32, f32)>>> {
    let (outer, ch, inner, total) = axis_layout(shape, axis)?;
    if x.len() != total {
        return Err(Error::invalid(format!(
            "input has {} elements, shape {shape:?} needs {total}",
            x.len()
        )));
    }
    let isa = cpu::kernel_isa();
    let mut acc = try_filled_vec(EMPTY, ch, "per-channel statistics")?;
    if inner >= 32 {
        for (r, run) in x.chunks(inner).enumerate() {
            let c = r % ch;
            acc[c] = minmax_with(isa, run, acc[c]);
        }
    } else if total > 0 {
        let slab = ch * inner;
        let mut mins = vec![f32::INFINITY; slab];
        let mut maxs = vec![f32::NEG_INFINITY; slab];
        for s in x.chunks(slab).take(outer) {
            minmax_accumulate_with(isa, s, &mut mins, &mut maxs);
        }
        for (c, a) in acc.iter_mut().enumerate() {
            let r = c * inner..(c + 1) * inner;
            let lo = minmax_with(isa, &mins[r.clone()], EMPTY).0;
            let hi = minmax_with(isa, &maxs[r], EMPTY).1;
            *a = (lo, hi);
        }
    }
    Ok(acc
        .into_iter()
        .map(|(mn, mx)| (mn <= mx).then_some((mn + 0.0, mx + 0.0)))
        .collect())
}

/// Per-channel parameters along `axis` from each channel's min and max.
pub fn params_axis(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    dtype: QDtype,
    mode: QMode,
    reduce_range: bool,
) -> Result<(Vec<f32>, Vec<i32>)> {
    let ranges = minmax_axis(x, shape, axis)?;
    let mut scales = Vec::with_capacity(ranges.len());
    let mut zps = Vec::with_capacity(ranges.len());
    for (c, r) in ranges.into_iter().enumerate() {
        let p = params_for(r, dtype, mode, reduce_range)
            .map_err(|e| Error::invalid(format!("channel {c}: {}", e.message())))?;
        scales.push(p.scale);
        zps.push(p.zero_point);
    }
    Ok((scales, zps))
}

/// Per-block parameters (blocks of `block_size` along the last axis).
pub fn params_blocked(
    x: &[f32],
    shape: &[usize],
    block_size: usize,
    dtype: QDtype,
    mode: QMode,
    reduce_range: bool,
) -> Result<(Vec<f32>, Vec<i32>)> {
    let (rows, k, nb, total) = block_layout(shape, block_size)?;
    if x.len() != total {
        return Err(Error::invalid(format!(
            "input has {} elements, shape {shape:?} needs {total}",
            x.len()
        )));
    }
    let isa = cpu::kernel_isa();
    let mut scales = Vec::with_capacity(rows * nb);
    let mut zps = Vec::with_capacity(rows * nb);
    if k > 0 {
        for row in x.chunks(k) {
            for blk in row.chunks(block_size) {
                let (mn, mx) = minmax_with(isa, blk, EMPTY);
                let p = params_for((mn <= mx).then_some((mn, mx)), dtype, mode, reduce_range)
                    .map_err(|e| {
                        Error::invalid(format!("block {}: {}", scales.len(), e.message()))
                    })?;
                scales.push(p.scale);
                zps.push(p.zero_point);
            }
        }
    }
    Ok((scales, zps))
}

/// How a tensor's elements share scales and zero points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// One scale and zero point.
    PerTensor,
    /// One per index along `axis`.
    PerAxis {
        /// The quantized axis.
        axis: usize,
    },
    /// One per block of `block_size` consecutive elements along the last axis (the last
    /// block of a row may be shorter).
    Blocked {
        /// Elements per block.
        block_size: usize,
    },
}

/// A quantized tensor: int8/uint8 bytes (row-major, same order as the f32 input), its
/// shape, dtype, granularity and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedTensor {
    data: Vec<u8>,
    shape: Vec<usize>,
    dtype: QDtype,
    granularity: Granularity,
    scales: Vec<f32>,
    zero_points: Vec<i32>,
}

fn try_alloc<T: Clone>(n: usize, v: T) -> Result<Vec<T>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| {
        Error::new(
            ErrorKind::OutOfMemory,
            format!("cannot allocate {n} elements"),
        )
    })?;
    out.resize(n, v);
    Ok(out)
}

impl QuantizedTensor {
    /// Quantizes `x` (row-major, `shape`) computing the parameters from the data's min/max
    /// per tensor, per channel along an axis, or per block along the last axis.
    pub fn quantize(
        x: &[f32],
        shape: &[usize],
        dtype: QDtype,
        mode: QMode,
        reduce_range: bool,
        granularity: Granularity,
    ) -> Result<Self> {
        let total = crate::error::checked_product(shape, "tensor shape")?;
        if x.len() != total {
            return Err(Error::invalid(format!(
                "input has {} elements, shape {shape:?} needs {total}",
                x.len()
            )));
        }
        let (scales, zps) = match granularity {
            Granularity::PerTensor => {
                let p = params_from_data(x, dtype, mode, reduce_range)?;
                (vec![p.scale], vec![p.zero_point])
            }
            Granularity::PerAxis { axis } => {
                params_axis(x, shape, axis, dtype, mode, reduce_range)?
            }
            Granularity::Blocked { block_size } => {
                params_blocked(x, shape, block_size, dtype, mode, reduce_range)?
            }
        };
        Self::quantize_with_params(x, shape, dtype, granularity, scales, zps)
    }

    /// Quantizes `x` with given parameters (validated like the linear functions).
    pub fn quantize_with_params(
        x: &[f32],
        shape: &[usize],
        dtype: QDtype,
        granularity: Granularity,
        scales: Vec<f32>,
        zero_points: Vec<i32>,
    ) -> Result<Self> {
        let mut data = try_alloc(x.len(), 0u8)?;
        match granularity {
            Granularity::PerTensor => {
                let total = crate::error::checked_product(shape, "tensor shape")?;
                if total != x.len() || scales.len() != 1 || zero_points.len() != 1 {
                    return Err(Error::invalid(
                        "per-tensor quantization needs one scale, one zero point and an input matching the shape",
                    ));
                }
                let p = QParams::new(scales[0], zero_points[0], dtype)?;
                quantize_linear(x, &mut data, p, dtype)?
            }
            Granularity::PerAxis { axis } => {
                quantize_linear_axis(x, shape, axis, &scales, &zero_points, dtype, &mut data)?
            }
            Granularity::Blocked { block_size } => quantize_linear_blocked(
                x,
                shape,
                block_size,
                &scales,
                &zero_points,
                dtype,
                &mut data,
            )?,
        }
        Ok(QuantizedTensor {
            data,
            shape: shape.to_vec(),
            dtype,
            granularity,
            scales,
            zero_points,
        })
    }

    /// The quantized bytes (int8 values as their two's-complement bytes).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Number of data bytes (= element count).
    pub fn nbytes(&self) -> usize {
        self.data.len()
    }
    /// The tensor's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The integer type.
    pub fn dtype(&self) -> QDtype {
        self.dtype
    }
    /// How parameters are shared.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }
    /// Scales: 1 (per tensor), `shape[axis]` (per axis) or rows x blocks (blocked).
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }
    /// Zero points, one per scale.
    pub fn zero_points(&self) -> &[i32] {
        &self.zero_points
    }

    /// Size of the f32 tensor over the size of its quantized form, counting the data
    /// bytes, 4 bytes per scale and 1 byte per zero point (stored in the dtype):
    /// `4n / (n + 5 * params)`. 0.0 for an empty tensor.
    pub fn compression_ratio(&self) -> f64 {
        let n = self.data.len() as f64;
        if n == 0.0 {
            return 0.0;
        }
        4.0 * n / (n + 5.0 * self.scales.len() as f64)
    }

    /// Dequantizes into `out` (at least `nbytes()` floats).
    pub fn dequantize_into(&self, out: &mut [f32]) -> Result<()> {
        match self.granularity {
            Granularity::PerTensor => dequantize_linear(
                &self.data,
                out,
                QParams::new(self.scales[0], self.zero_points[0], self.dtype)?,
                self.dtype,
            ),
            Granularity::PerAxis { axis } => dequantize_linear_axis(
                &self.data,
                &self.shape,
                axis,
                &self.scales,
                &self.zero_points,
                self.dtype,
                out,
            ),
            Granularity::Blocked { block_size } => dequantize_linear_blocked(
                &self.data,
                &self.shape,
                block_size,
                &self.scales,
                &self.zero_points,
                self.dtype,
                out,
            ),
        }
    }

    /// Dequantizes into a new vector.
    pub fn dequantize(&self) -> Result<Vec<f32>> {
        let mut out = try_alloc(self.data.len(), 0f32)?;
        self.dequantize_into(&mut out)?;
        Ok(out)
    }
}
