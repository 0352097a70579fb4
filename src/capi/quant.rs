//! C API: int8/uint8 linear quantization (ONNX QuantizeLinear / DequantizeLinear, bit-exact
//! with ONNX Runtime), quantization parameters, quantized tensors, calibrators and metrics.
//!
//! ```
//! use scipix::capi::quant::*;
//! use scipix::capi::ScipixStatus;
//!
//! let x = [0.0f32, 0.5, -1.0, 2.0];
//! let mut q = [0i8; 4];
//! let st = scipix_quantize_linear(
//!     x.as_ptr(), x.len(), 0.5, 0, SCIPIX_QDTYPE_INT8, q.as_mut_ptr().cast(), q.len(),
//! );
//! assert_eq!(st, ScipixStatus::SCIPIX_OK);
//! assert_eq!(q, [0, 1, -2, 4]); // round(x / 0.5), ties to even
//! ```

use super::guard::{guard, guard_or};
use super::handle::{
    disjoint, free_box, to_boxed_ptr, try_handle, try_handle_mut, try_out, try_out_pair, try_slice,
    try_slice_mut, try_slice_mut_pair, Castable, OwnershipBox,
};
use super::status::ScipixStatus;
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::quant::{self, Granularity, QDtype, QMode, QParams, QuantizedTensor};
use std::ffi::c_void;

/// Integer type of quantized data (one of `SCIPIX_QDTYPE_*`).
pub type ScipixQDtype = u32;
/// Signed 8-bit, range [-128, 127]; stored as two's-complement bytes.
pub const SCIPIX_QDTYPE_INT8: ScipixQDtype = 0;
/// Unsigned 8-bit, range [0, 255].
pub const SCIPIX_QDTYPE_UINT8: ScipixQDtype = 1;

/// How a real range maps to integers (one of `SCIPIX_QMODE_*`).
pub type ScipixQMode = u32;
/// [min(rmin,0), max(rmax,0)] maps onto the full integer range; the zero point is
/// `round_half_even(qmin - rmin / scale)`.
pub const SCIPIX_QMODE_ASYMMETRIC: ScipixQMode = 0;
/// [-absmax, absmax] maps symmetrically: int8 onto [-127, 127] with zero point 0 (so
/// q and -q are both representable and -128 is never produced from in-range data), uint8
/// onto [0, 255] with zero point 128.
pub const SCIPIX_QMODE_SYMMETRIC: ScipixQMode = 1;

/// How a quantized tensor shares scales and zero points (one of `SCIPIX_QGRAN_*`).
pub type ScipixQGranularity = u32;
/// One scale and zero point for the whole tensor.
pub const SCIPIX_QGRAN_PER_TENSOR: ScipixQGranularity = 0;
/// One scale and zero point per index along an axis (ONNX `axis`).
pub const SCIPIX_QGRAN_PER_AXIS: ScipixQGranularity = 1;
/// One scale and zero point per block of `block_size` elements along the last axis.
pub const SCIPIX_QGRAN_BLOCKED: ScipixQGranularity = 2;

/// Opaque quantized tensor: bytes, shape, dtype, granularity, scales and zero points.
/// Created by `scipix_qtensor_quantize`, released with `scipix_qtensor_free`. Immutable
/// after creation, so one handle may be read from several threads at once.
pub struct ScipixQTensor {
    _private: [u8; 0],
}

impl Castable for ScipixQTensor {
    type Rust = QuantizedTensor;
    type Ownership = OwnershipBox;
}

pub(crate) fn qdtype(v: ScipixQDtype) -> Result<QDtype> {
    match v {
        SCIPIX_QDTYPE_INT8 => Ok(QDtype::I8),
        SCIPIX_QDTYPE_UINT8 => Ok(QDtype::U8),
        _ => Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!("unknown quantized dtype {v}"),
        )),
    }
}

pub(crate) fn qdtype_c(d: QDtype) -> ScipixQDtype {
    match d {
        QDtype::I8 => SCIPIX_QDTYPE_INT8,
        QDtype::U8 => SCIPIX_QDTYPE_UINT8,
    }
}

pub(crate) fn qmode(v: ScipixQMode) -> Result<QMode> {
    match v {
        SCIPIX_QMODE_ASYMMETRIC => Ok(QMode::Asymmetric),
        SCIPIX_QMODE_SYMMETRIC => Ok(QMode::Symmetric),
        _ => Err(Error::invalid(format!("unknown quantization mode {v}"))),
    }
}

/// Element count that can be borrowed as a slice of `T` (bytes fit in isize).
pub(crate) fn check_elems<T>(n: usize, what: &str) -> Result<usize> {
    if n.checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Error::overflow(format!(
            "{what}: {n} elements are too many"
        )));
    }
    Ok(n)
}

/// Shape product, checked for overflow and slice limits of f32.
pub(crate) fn shape_total(shape: &[usize]) -> Result<usize> {
    let n = checked_product(shape, "tensor shape")?;
    check_elems::<f32>(n, "tensor shape")
}

fn too_small(got: usize, want: usize) -> Result<()> {
    if got < want {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {got} elements, {want} are needed"),
        ));
    }
    Ok(())
}

/// Borrows the f32 input and the byte output of a quantize over `n` elements, in this
/// order of checks: `out_len >= n`, no overlap, then each pointer.
///
/// # Safety
/// C callers pass `n` readable floats at `x` and `out_len` writable bytes at `out`.
unsafe fn quant_io<'a>(
    x: *const f32,
    out: *mut c_void,
    out_len: usize,
    n: usize,
) -> Result<(&'a [f32], &'a mut [u8])> {
    too_small(out_len, n)?;
    disjoint(x.cast(), n.saturating_mul(4), out.cast_const(), n)?;
    Ok((try_slice!(x, n), try_slice_mut!(out.cast::<u8>(), n)))
}

/// Borrows the byte input and the f32 output of a dequantize over `n` elements; checks as
/// [`quant_io`].
///
/// # Safety
/// C callers pass `n` readable bytes at `q` and `out_len` writable floats at `out`.
unsafe fn dequant_io<'a>(
    q: *const c_void,
    out: *mut f32,
    out_len: usize,
    n: usize,
) -> Result<(&'a [u8], &'a mut [f32])> {
    too_small(out_len, n)?;
    disjoint(q, n, out.cast_const().cast(), n.saturating_mul(4))?;
    Ok((try_slice!(q.cast::<u8>(), n), try_slice_mut!(out, n)))
}

/// A shaped (de)quantize call's shape, element count and parameter arrays, checked in this
/// order: the shape array, its product, `layout` (the axis or block rule), then the
/// `params_len`-long scale and zero-point arrays.
type Shaped<'a> = (&'a [usize], usize, &'a [f32], &'a [i32]);

/// # Safety
/// C callers pass `rank` readable sizes at `shape` and `params_len` readable values at
/// `scales` and `zero_points`.
unsafe fn shaped_params<'a, T>(
    shape: *const usize,
    rank: usize,
    layout: impl FnOnce(&[usize]) -> Result<T>,
    scales: *const f32,
    zero_points: *const i32,
    params_len: usize,
) -> Result<Shaped<'a>> {
    let shape = try_slice!(shape, rank);
    let total = shape_total(shape)?;
    layout(shape)?;
    let s = try_slice!(scales, check_elems::<f32>(params_len, "params_len")?);
    let z = try_slice!(zero_points, params_len);
    Ok((shape, total, s, z))
}

/// Computes a scale and zero point for the real range [`rmin`, `rmax`], as ONNX Runtime's
/// `compute_scale_zp`: the range is first widened to include 0 (so 0.0 quantizes exactly
/// to the zero point); symmetric mode uses [-absmax, absmax]; integer range: uint8
/// [0, 255], int8 [-128, 127], symmetric int8 [-127, 127], and with `reduce_range` (7-bit,
/// for pre-VNNI u8 x s8 kernels) uint8 [0, 127] / int8 [-64, 64];
/// `scale = (rmax - rmin) / (qmax - qmin)` computed in double and stored as float;
/// `zero_point = round_half_even(qmin - rmin / scale)` (asymmetric) or
/// `round_half_even((qmin + qmax) / 2)` (symmetric: 0 for int8, 128 for uint8). When the
/// scale would be below FLT_MIN (constant or all-zero data, denormal-sized ranges) the
/// result is scale 1.0, zero point 0.
/// Errors: NULL outputs (`SCIPIX_ERR_NULL_POINTER`); non-finite bound or `rmin > rmax`, or
/// unknown mode (`SCIPIX_ERR_INVALID_ARGUMENT`); unknown dtype
/// (`SCIPIX_ERR_UNSUPPORTED_FORMAT`). Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantize_params_from_range(
    rmin: f32,
    rmax: f32,
    dtype: ScipixQDtype,
    mode: ScipixQMode,
    reduce_range: bool,
    scale: *mut f32,
    zero_point: *mut i32,
) -> ScipixStatus {
    guard(|| {
        let (d, m) = (qdtype(dtype)?, qmode(mode)?);
        let (s, z) = try_out_pair!(scale, zero_point);
        let p = quant::params_from_range(rmin, rmax, d, m, reduce_range)?;
        *s = p.scale;
        *z = p.zero_point;
        Ok(())
    })
}

/// Computes a scale and zero point from data: the min and max of the `n` values at `x`
/// (NaNs ignored; all-NaN or empty data counts as [0, 0], giving scale 1, zero point 0),
/// then the rules of `scipix_quantize_params_from_range`.
/// Errors: NULL `x` with `n > 0` or NULL outputs; data containing +/-inf
/// (`SCIPIX_ERR_INVALID_ARGUMENT`); unknown dtype or mode. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantize_params_from_data(
    x: *const f32,
    n: usize,
    dtype: ScipixQDtype,
    mode: ScipixQMode,
    reduce_range: bool,
    scale: *mut f32,
    zero_point: *mut i32,
) -> ScipixStatus {
    guard(|| {
        let (d, m) = (qdtype(dtype)?, qmode(mode)?);
        let n = check_elems::<f32>(n, "n")?;
        let x = try_slice!(x, n);
        let (s, z) = try_out_pair!(scale, zero_point);
        let p = quant::params_from_data(x, d, m, reduce_range)?;
        *s = p.scale;
        *z = p.zero_point;
        Ok(())
    })
}

/// Computes one scale and zero point per index along `axis` of the row-major tensor `x`
/// of shape `shape[0..rank]`, from each channel's min and max (rules of
/// `scipix_quantize_params_from_data`). `scales` and `zero_points` must each have room for
/// exactly `params_len == shape[axis]` values. E.g. for a [out, in] weight matrix, axis 0
/// gives per-output-channel parameters.
/// Errors: NULL pointers; `axis >= rank`, `params_len != shape[axis]`, +/-inf in the data
/// (`SCIPIX_ERR_INVALID_ARGUMENT`); shape product overflow (`SCIPIX_ERR_SIZE_OVERFLOW`);
/// unknown dtype or mode. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantize_params_axis(
    x: *const f32,
    shape: *const usize,
    rank: usize,
    axis: usize,
    dtype: ScipixQDtype,
    mode: ScipixQMode,
    reduce_range: bool,
    scales: *mut f32,
    zero_points: *mut i32,
    params_len: usize,
) -> ScipixStatus {
    guard(|| {
        let (d, m) = (qdtype(dtype)?, qmode(mode)?);
        let shape = try_slice!(shape, rank);
        let total = shape_total(shape)?;
        let x = try_slice!(x, total);
        let (s, z) = quant::params_axis(x, shape, axis, d, m, reduce_range)?;
        if params_len != s.len() {
            return Err(Error::invalid(format!(
                "params_len is {params_len}, shape[axis] is {}",
                s.len()
            )));
        }
        let (so, zo) = try_slice_mut_pair!(scales, params_len, zero_points, params_len);
        so.copy_from_slice(&s);
        zo.copy_from_slice(&z);
        Ok(())
    })
}

/// ONNX QuantizeLinear, per tensor, bit-exact with ONNX Runtime (MLAS): for each of the
/// `n` floats at `x`, `y = x / scale` (float division), clamped to
/// [qmin - zero_point, qmax - zero_point], rounded half to even, plus `zero_point`; written
/// as one int8 or uint8 byte per element to `out` (capacity `out_len` elements). Exact .5
/// ties round to even, out-of-range values and +/-inf saturate, -0.0 gives `zero_point`,
/// NaN gives the dtype minimum (-128 for int8, 0 for uint8), as ONNX Runtime on x86-64 and
/// aarch64. Large inputs are split over scipix's thread pool; results do not depend on
/// thread count or ISA.
/// Errors: NULL `x`/`out` with `n > 0`; `scale` not finite or <= 0, `zero_point` outside
/// the dtype, overlapping buffers (`SCIPIX_ERR_INVALID_ARGUMENT`); `out_len < n`
/// (`SCIPIX_ERR_BUFFER_TOO_SMALL`); unknown dtype. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantize_linear(
    x: *const f32,
    n: usize,
    scale: f32,
    zero_point: i32,
    dtype: ScipixQDtype,
    out: *mut c_void,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let d = qdtype(dtype)?;
        let p = QParams::new(scale, zero_point, d)?;
        let n = check_elems::<f32>(n, "n")?;
        // SAFETY: the C contract of this function.
        let (x, o) = unsafe { quant_io(x, out, out_len, n)? };
        quant::quantize_linear(x, o, p, d)
    })
}

/// ONNX DequantizeLinear, per tensor, bit-exact with ONNX Runtime: for each of the `n`
/// int8/uint8 bytes at `q`, `out = (float)((int)q - zero_point) * scale` (the integer
/// difference is exact, then one float multiply).
/// Errors: NULL pointers with `n > 0`; `scale` not finite or <= 0, `zero_point` outside
/// the dtype, overlapping buffers (`SCIPIX_ERR_INVALID_ARGUMENT`); `out_len < n`
/// (`SCIPIX_ERR_BUFFER_TOO_SMALL`); unknown dtype. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_dequantize_linear(
    q: *const c_void,
    n: usize,
    scale: f32,
    zero_point: i32,
    dtype: ScipixQDtype,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let d = qdtype(dtype)?;
        let p = QParams::new(scale, zero_point, d)?;
        let n = check_elems::<f32>(n, "n")?;
        // SAFETY: the C contract of this function.
        let (q, o) = unsafe { dequant_io(q, out, out_len, n)? };
        quant::dequantize_linear(q, o, p, d)
    })
}

/// ONNX QuantizeLinear per axis (the `axis` attribute): `x` is a row-major tensor of shape
/// `shape[0..rank]`; element with index `c` along `axis` uses `scales[c]` and
/// `zero_points[c]`, each array holding exactly `params_len == shape[axis]` values; other
/// rules as `scipix_quantize_linear`. Output: one byte per element, `out_len` >= the shape
/// product. For a [out, in] weight matrix, axis 0 quantizes per output channel.
/// Errors: NULL pointers; `axis >= rank`, `params_len != shape[axis]`, a scale not finite
/// or <= 0, a zero point outside the dtype, overlapping buffers
/// (`SCIPIX_ERR_INVALID_ARGUMENT`); shape product overflow (`SCIPIX_ERR_SIZE_OVERFLOW`);
/// `out_len` too small (`SCIPIX_ERR_BUFFER_TOO_SMALL`); unknown dtype. Nothing is written
/// on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantize_linear_axis(
    x: *const f32,
    shape: *const usize,
    rank: usize,
    axis: usize,
    scales: *const f32,
    zero_points: *const i32,
    params_len: usize,
    dtype: ScipixQDtype,
    out: *mut c_void,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let d = qdtype(dtype)?;
        let layout = |sh: &[usize]| quant::linear::axis_layout(sh, axis);
        // SAFETY: the C contract of this function.
        let (shape, total, s, z) =
            unsafe { shaped_params(shape, rank, layout, scales, zero_points, params_len)? };
        // SAFETY: as above.
        let (x, o) = unsafe { quant_io(x, out, out_len, total)? };
        quant::quantize_linear_axis(x, shape, axis, s, z, d, o)
    })
}

/// ONNX DequantizeLinear per axis; layout and parameter rules as
/// `scipix_quantize_linear_axis`, arithmetic as `scipix_dequantize_linear`.
/// Errors: as `scipix_quantize_linear_axis`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_dequantize_linear_axis(
    q: *const c_void,
    shape: *const usize,
    rank: usize,
    axis: usize,
    scales: *const f32,
    zero_points: *const i32,
    params_len: usize,
    dtype: ScipixQDtype,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let d = qdtype(dtype)?;
        let layout = |sh: &[usize]| quant::linear::axis_layout(sh, axis);
        // SAFETY: the C contract of this function.
        let (shape, total, s, z) =
            unsafe { shaped_params(shape, rank, layout, scales, zero_points, params_len)? };
        // SAFETY: as above.
        let (q, o) = unsafe { dequant_io(q, out, out_len, total)? };
        quant::dequantize_linear_axis(q, shape, axis, s, z, d, o)
    })
}

/// Block-wise QuantizeLinear along the last axis (as ONNX opset 21 `block_size` on the
/// last axis, and ggml Q8_0-style blocks): with `k = shape[rank-1]`, `nb = ceil(k /
/// block_size)` and `rows` = product of the other dimensions, block `b` of row `r` covers
/// elements `[b*block_size, min(k, (b+1)*block_size))` of that row and uses `scales[r*nb+b]`,
/// `zero_points[r*nb+b]`; `params_len` must be `rows * nb`. Arithmetic as
/// `scipix_quantize_linear`.
/// Errors: NULL pointers; `rank == 0`, `block_size == 0`, wrong `params_len`, bad scale or
/// zero point, overlapping buffers (`SCIPIX_ERR_INVALID_ARGUMENT`); shape overflow
/// (`SCIPIX_ERR_SIZE_OVERFLOW`); `out_len` too small (`SCIPIX_ERR_BUFFER_TOO_SMALL`);
/// unknown dtype. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantize_linear_blocked(
    x: *const f32,
    shape: *const usize,
    rank: usize,
    block_size: usize,
    scales: *const f32,
    zero_points: *const i32,
    params_len: usize,
    dtype: ScipixQDtype,
    out: *mut c_void,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let d = qdtype(dtype)?;
        let layout = |sh: &[usize]| quant::linear::block_layout(sh, block_size);
        // SAFETY: the C contract of this function.
        let (shape, total, s, z) =
            unsafe { shaped_params(shape, rank, layout, scales, zero_points, params_len)? };
        // SAFETY: as above.
        let (x, o) = unsafe { quant_io(x, out, out_len, total)? };
        quant::quantize_linear_blocked(x, shape, block_size, s, z, d, o)
    })
}

/// Block-wise DequantizeLinear along the last axis; layout rules as
/// `scipix_quantize_linear_blocked`, arithmetic as `scipix_dequantize_linear`.
/// Errors: as `scipix_quantize_linear_blocked`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_dequantize_linear_blocked(
    q: *const c_void,
    shape: *const usize,
    rank: usize,
    block_size: usize,
    scales: *const f32,
    zero_points: *const i32,
    params_len: usize,
    dtype: ScipixQDtype,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let d = qdtype(dtype)?;
        let layout = |sh: &[usize]| quant::linear::block_layout(sh, block_size);
        // SAFETY: the C contract of this function.
        let (shape, total, s, z) =
            unsafe { shaped_params(shape, rank, layout, scales, zero_points, params_len)? };
        // SAFETY: as above.
        let (q, o) = unsafe { dequant_io(q, out, out_len, total)? };
        quant::dequantize_linear_blocked(q, shape, block_size, s, z, d, o)
    })
}

/// Quantizes the row-major f32 tensor `x` of shape `shape[0..rank]` into a new
/// `ScipixQTensor`, computing parameters from the data's min/max (NaN ignored) with the
/// rules of `scipix_quantize_params_from_range`: `granularity` PER_TENSOR (one pair),
/// PER_AXIS (one pair per index along `axis`; e.g. axis 0 of a [out, in] weight gives
/// per-output-channel int8 weights) or BLOCKED (one pair per `block_size` elements along
/// the last axis). `axis` is read only for PER_AXIS, `block_size` only for BLOCKED.
/// On success `*out` receives a handle the caller owns (free with `scipix_qtensor_free`).
/// Errors: NULL pointers; bad axis/block size, +/-inf in the data, unknown mode or
/// granularity (`SCIPIX_ERR_INVALID_ARGUMENT`); shape overflow; unknown dtype; allocation
/// failure (`SCIPIX_ERR_OUT_OF_MEMORY`). `*out` is not written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_quantize(
    x: *const f32,
    shape: *const usize,
    rank: usize,
    dtype: ScipixQDtype,
    mode: ScipixQMode,
    reduce_range: bool,
    granularity: ScipixQGranularity,
    axis: usize,
    block_size: usize,
    out: *mut *mut ScipixQTensor,
) -> ScipixStatus {
    guard(|| {
        let (d, m) = (qdtype(dtype)?, qmode(mode)?);
        let g = match granularity {
            SCIPIX_QGRAN_PER_TENSOR => Granularity::PerTensor,
            SCIPIX_QGRAN_PER_AXIS => Granularity::PerAxis { axis },
            SCIPIX_QGRAN_BLOCKED => Granularity::Blocked { block_size },
            v => return Err(Error::invalid(format!("unknown granularity {v}"))),
        };
        let o = try_out!(out);
        let shape = try_slice!(shape, rank);
        let total = shape_total(shape)?;
        let x = try_slice!(x, total);
        let t = QuantizedTensor::quantize(x, shape, d, m, reduce_range, g)?;
        *o = to_boxed_ptr::<ScipixQTensor>(t);
        Ok(())
    })
}

/// Releases a quantized tensor; NULL is ignored. Pointers obtained from its accessors
/// become invalid. Not thread-safe with respect to other calls on the same handle.
#[no_mangle]
pub extern "C" fn scipix_qtensor_free(tensor: *mut ScipixQTensor) {
    guard_or((), || {
        // SAFETY: NULL or a live handle from scipix_qtensor_quantize (documented contract).
        unsafe { free_box(tensor) }
    })
}

/// Writes the tensor's dtype (`SCIPIX_QDTYPE_*`) to `*dtype`.
/// Errors: NULL arguments (`SCIPIX_ERR_NULL_POINTER`). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_dtype(
    tensor: *const ScipixQTensor,
    dtype: *mut ScipixQDtype,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        *try_out!(dtype) = qdtype_c(t.dtype());
        Ok(())
    })
}

/// Writes a pointer to the tensor's shape (`*rank` dimensions) to `*shape`. The array is
/// owned by the tensor and valid until `scipix_qtensor_free`.
/// Errors: NULL arguments; nothing is written then. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_shape(
    tensor: *const ScipixQTensor,
    shape: *mut *const usize,
    rank: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        let (s, r) = try_out_pair!(shape, rank);
        *s = t.shape().as_ptr();
        *r = t.shape().len();
        Ok(())
    })
}

/// Writes the granularity (`SCIPIX_QGRAN_*`), the axis (PER_AXIS, else 0) and the block
/// size (BLOCKED, else 0). Any of the three outputs may be NULL to skip it.
/// Errors: NULL `tensor`. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_granularity(
    tensor: *const ScipixQTensor,
    granularity: *mut ScipixQGranularity,
    axis: *mut usize,
    block_size: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        let (g, a, b) = match t.granularity() {
            Granularity::PerTensor => (SCIPIX_QGRAN_PER_TENSOR, 0, 0),
            Granularity::PerAxis { axis } => (SCIPIX_QGRAN_PER_AXIS, axis, 0),
            Granularity::Blocked { block_size } => (SCIPIX_QGRAN_BLOCKED, 0, block_size),
        };
        // SAFETY (each): NULL or a valid writable pointer (documented contract).
        if let Some(p) = unsafe { granularity.as_mut() } {
            *p = g;
        }
        if let Some(p) = unsafe { axis.as_mut() } {
            *p = a;
        }
        if let Some(p) = unsafe { block_size.as_mut() } {
            *p = b;
        }
        Ok(())
    })
}

/// Writes a pointer to the quantized bytes (row-major, one int8/uint8 per element) to
/// `*data` and their count to `*nbytes`. Owned by the tensor; valid until
/// `scipix_qtensor_free`; never written through.
/// Errors: NULL arguments; nothing is written then. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_data(
    tensor: *const ScipixQTensor,
    data: *mut *const c_void,
    nbytes: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        let (d, n) = try_out_pair!(data, nbytes);
        *d = t.data().as_ptr().cast();
        *n = t.nbytes();
        Ok(())
    })
}

/// Returns the number of quantized data bytes (= elements); 0 for NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_nbytes(tensor: *const ScipixQTensor) -> usize {
    guard_or(0, || {
        // SAFETY: NULL or a live handle (documented contract).
        unsafe { tensor.cast::<QuantizedTensor>().as_ref() }.map_or(0, |t| t.nbytes())
    })
}

/// Writes a pointer to the scales and their count (1 per tensor, `shape[axis]` per axis,
/// rows x blocks when blocked). Owned by the tensor; valid until `scipix_qtensor_free`.
/// Errors: NULL arguments; nothing is written then. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_scales(
    tensor: *const ScipixQTensor,
    scales: *mut *const f32,
    count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        let (s, c) = try_out_pair!(scales, count);
        *s = t.scales().as_ptr();
        *c = t.scales().len();
        Ok(())
    })
}

/// Writes a pointer to the zero points (int32, within the dtype's range, one per scale) and
/// their count. Owned by the tensor; valid until `scipix_qtensor_free`.
/// Errors: NULL arguments; nothing is written then. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_zero_points(
    tensor: *const ScipixQTensor,
    zero_points: *mut *const i32,
    count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        let (z, c) = try_out_pair!(zero_points, count);
        *z = t.zero_points().as_ptr();
        *c = t.zero_points().len();
        Ok(())
    })
}

/// Returns f32 size over quantized size: `4n / (n + 5 * params)` for `n` elements and
/// `params` scale/zero-point pairs (4-byte scale + 1-byte zero point each). 0.0 for NULL or
/// an empty tensor. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_qtensor_compression_ratio(tensor: *const ScipixQTensor) -> f64 {
    guard_or(0.0, || {
        // SAFETY: NULL or a live handle (documented contract).
        unsafe { tensor.cast::<QuantizedTensor>().as_ref() }.map_or(0.0, |t| t.compression_ratio())
    })
}

/// Dequantizes the tensor into `out` (capacity `out_len` floats, at least the element
/// count) with ONNX DequantizeLinear arithmetic.
/// Errors: NULL arguments; `out_len` too small (`SCIPIX_ERR_BUFFER_TOO_SMALL`). Nothing is
/// written on failure. Thread-safe (the tensor is only read).
#[no_mangle]
pub extern "C" fn scipix_qtensor_dequantize(
    tensor: *const ScipixQTensor,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let t = try_handle!(tensor);
        too_small(out_len, t.nbytes())?;
        let o = try_slice_mut!(out, t.nbytes());
        t.dequantize_into(o)
    })
}

/// Calibration method (one of `SCIPIX_CALIB_*`).
pub type ScipixCalibMethod = u32;
/// Running min and max (ONNX Runtime's MinMax calibrator without moving average).
pub const SCIPIX_CALIB_MINMAX: ScipixCalibMethod = 0;
/// Histogram percentile, replicating ONNX Runtime's percentile calibrator (2048 bins;
/// symmetric mode histograms |x| and clips both tails at `percentile`, asymmetric mode
/// cuts (100 - percentile)/2 percent from each tail); thresholds clamped to min/max.
pub const SCIPIX_CALIB_PERCENTILE: ScipixCalibMethod = 1;
/// Search over symmetric windows of the signed 2048-bin histogram for the clipping range
/// whose quantize/dequantize round trip of the bin centres has the least squared error.
pub const SCIPIX_CALIB_MSE: ScipixCalibMethod = 2;
/// ONNX Runtime's entropy (KL divergence) method, as its `HistogramCalibrater(method=
/// "entropy")` with `num_bins=2048`, `num_quantized_bins=128`, on the signed histogram.
pub const SCIPIX_CALIB_ENTROPY: ScipixCalibMethod = 3;

/// Opaque streaming calibrator. Created by `scipix_calibrator_new`, released with
/// `scipix_calibrator_free`. Not thread-safe: do not use one handle from two threads at once.
pub struct ScipixCalibrator {
    _private: [u8; 0],
}

impl Castable for ScipixCalibrator {
    type Rust = quant::Calibrator;
    type Ownership = OwnershipBox;
}

/// Creates a calibrator. `percentile` is used by `SCIPIX_CALIB_PERCENTILE` only and must be
/// in (0, 100]; pass 0 for ONNX Runtime's default 99.999. With `per_channel` the
/// calibrator yields one range per index along `axis` of the observed batches (the count
/// is fixed by the first batch); otherwise one range for the whole tensor and `axis` is
/// ignored. `dtype`, `mode` and `reduce_range` select the parameters `_compute` returns
/// (see `scipix_quantize_params_from_range`); `mode` also selects the symmetric or
/// asymmetric histogram as ONNX Runtime does.
/// On success `*out` receives a handle the caller owns.
/// Errors: NULL `out`; unknown method or mode, percentile out of range
/// (`SCIPIX_ERR_INVALID_ARGUMENT`); unknown dtype. `*out` is not written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_calibrator_new(
    method: ScipixCalibMethod,
    percentile: f64,
    dtype: ScipixQDtype,
    mode: ScipixQMode,
    reduce_range: bool,
    per_channel: bool,
    axis: usize,
    out: *mut *mut ScipixCalibrator,
) -> ScipixStatus {
    guard(|| {
        let method = match method {
            SCIPIX_CALIB_MINMAX => quant::CalibMethod::MinMax,
            SCIPIX_CALIB_PERCENTILE => quant::CalibMethod::Percentile,
            SCIPIX_CALIB_MSE => quant::CalibMethod::Mse,
            SCIPIX_CALIB_ENTROPY => quant::CalibMethod::Entropy,
            v => return Err(Error::invalid(format!("unknown calibration method {v}"))),
        };
        let mut cfg = quant::CalibConfig::new(method, qdtype(dtype)?, qmode(mode)?);
        if percentile != 0.0 {
            cfg.percentile = percentile;
        }
        cfg.reduce_range = reduce_range;
        cfg.axis = per_channel.then_some(axis);
        let o = try_out!(out);
        let c = quant::Calibrator::new(cfg)?;
        *o = to_boxed_ptr::<ScipixCalibrator>(c);
        Ok(())
    })
}

/// Releases a calibrator; NULL is ignored.
#[no_mangle]
pub extern "C" fn scipix_calibrator_free(calibrator: *mut ScipixCalibrator) {
    guard_or((), || {
        // SAFETY: NULL or a live handle from scipix_calibrator_new (documented contract).
        unsafe { free_box(calibrator) }
    })
}

/// Folds one batch into the calibrator's statistics without keeping the data: `x` is a
/// row-major f32 tensor of shape `shape[0..rank]`. Per-channel calibrators need
/// `axis < rank` and the same `shape[axis]` in every batch. NaN values are skipped.
/// Errors: NULL pointers; axis out of range or channel count changed
/// (`SCIPIX_ERR_INVALID_ARGUMENT`); shape overflow (`SCIPIX_ERR_SIZE_OVERFLOW`). The
/// statistics are unchanged on failure. Not thread-safe for one handle.
#[no_mangle]
pub extern "C" fn scipix_calibrator_observe(
    calibrator: *mut ScipixCalibrator,
    x: *const f32,
    shape: *const usize,
    rank: usize,
) -> ScipixStatus {
    guard(|| {
        let c = try_handle_mut!(calibrator);
        let shape = try_slice!(shape, rank);
        let total = shape_total(shape)?;
        let x = try_slice!(x, total);
        c.observe(x, shape)
    })
}

/// Returns the number of ranges the calibrator yields: 1 per tensor, or the channel count
/// seen by the first batch for per-channel calibrators (0 before any batch or for NULL).
#[no_mangle]
pub extern "C" fn scipix_calibrator_channels(calibrator: *const ScipixCalibrator) -> usize {
    guard_or(0, || {
        // SAFETY: NULL or a live handle (documented contract).
        unsafe { calibrator.cast::<quant::Calibrator>().as_ref() }.map_or(0, |c| c.channels())
    })
}

/// Writes the calibrated clipping range per channel to `rmin[i]`, `rmax[i]`; `len` must
/// equal `scipix_calibrator_channels`. A channel with no finite data gives [0, 0].
/// Errors: NULL pointers; wrong `len`, MinMax over infinite data
/// (`SCIPIX_ERR_INVALID_ARGUMENT`); nothing observed yet (`SCIPIX_ERR_INVALID_STATE`).
/// Nothing is written on failure.
#[no_mangle]
pub extern "C" fn scipix_calibrator_range(
    calibrator: *const ScipixCalibrator,
    rmin: *mut f32,
    rmax: *mut f32,
    len: usize,
) -> ScipixStatus {
    guard(|| {
        let c = try_handle!(calibrator);
        let r = c.ranges()?;
        if len != r.len() {
            return Err(Error::invalid(format!(
                "len is {len}, the calibrator has {} channel(s)",
                r.len()
            )));
        }
        let (lo, hi) = try_slice_mut_pair!(rmin, len, rmax, len);
        for (i, (a, b)) in r.into_iter().enumerate() {
            lo[i] = a;
            hi[i] = b;
        }
        Ok(())
    })
}

/// Writes quantization parameters per channel (from `scipix_calibrator_range` and the
/// rules of `scipix_quantize_params_from_range` with the calibrator's dtype, mode and
/// reduce-range) to `scales[i]`, `zero_points[i]`; `len` must equal
/// `scipix_calibrator_channels`. The calibrator can keep observing afterwards.
/// Errors: as `scipix_calibrator_range`. Nothing is written on failure.
#[no_mangle]
pub extern "C" fn scipix_calibrator_compute(
    calibrator: *const ScipixCalibrator,
    scales: *mut f32,
    zero_points: *mut i32,
    len: usize,
) -> ScipixStatus {
    guard(|| {
        let c = try_handle!(calibrator);
        let p = c.compute()?;
        if len != p.len() {
            return Err(Error::invalid(format!(
                "len is {len}, the calibrator has {} channel(s)",
                p.len()
            )));
        }
        let (s, z) = try_slice_mut_pair!(scales, len, zero_points, len);
        for (i, q) in p.into_iter().enumerate() {
            s[i] = q.scale;
            z[i] = q.zero_point;
        }
        Ok(())
    })
}

/// Writes the mean squared error `sum((x - y)^2) / n` (double precision sums) of the `n`
/// values at `x` and `y` to `*out`: 0 for `n == 0`, NaN if an input is NaN or infinite.
/// Errors: NULL pointers (`x`/`y` may be NULL when `n == 0`). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_quantization_mse(
    x: *const f32,
    y: *const f32,
    n: usize,
    out: *mut f64,
) -> ScipixStatus {
    guard(|| {
        let n = check_elems::<f32>(n, "n")?;
        let (a, b) = (try_slice!(x, n), try_slice!(y, n));
        let o = try_out!(out);
        *o = quant::quantization_mse(a, b)?;
        Ok(())
    })
}

/// Writes the signal-to-quantization-noise ratio `10 * log10(sum(x^2) / sum((x - y)^2))`
/// in dB to `*out`: +inf when the noise is zero (exact reconstruction, also for all-zero or
/// empty input), -inf when the signal is zero but the noise is not.
/// Errors: NULL pointers (`x`/`y` may be NULL when `n == 0`). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_sqnr_db(
    x: *const f32,
    y: *const f32,
    n: usize,
    out: *mut f64,
) -> ScipixStatus {
    guard(|| {
        let n = check_elems::<f32>(n, "n")?;
        let (a, b) = (try_slice!(x, n), try_slice!(y, n));
        let o = try_out!(out);
        *o = quant::sqnr_db(a, b)?;
        Ok(())
    })
}
