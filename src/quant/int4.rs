//! int4 / uint4 QuantizeLinear / DequantizeLinear as ONNX opset 21 defines them and ONNX
//! Runtime computes them, bit for bit: per tensor, per axis and block-wise along the last
//! axis. Values are packed two per byte in row-major element order, element `2i` in the
//! low nibble of byte `i` and `2i + 1` in the high nibble; an odd count leaves the last
//! high nibble zero.
//!
//! The arithmetic is the int8 path's (`x / scale` in f32, round half to even, plus the zero
//! point, saturated), reused as is: its int8/uint8 result saturated again to [-8, 7] /
//! [0, 15] is the 4-bit result, because clamping to a range inside another range after
//! clamping to the outer one is clamping to the inner one. So NaN gives -8 / 0 and ±inf
//! saturate, as in ONNX Runtime.

use super::dequantize::{dequantize_nibbles_with, dequantize_with};
pub use super::float8::Layout;
use super::linear::{
    dequantize_linear_axis, dequantize_linear_blocked, quantize_linear_axis,
    quantize_linear_blocked,
};
use super::nibble::{pack_with, unpack_with};
use super::params::{check_scale, QDtype, QParams};
use super::quantize::quantize_with;
use crate::cpu::{self, Store};
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;
use rayon::prelude::*;

/// The 4-bit integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Q4Dtype {
    /// Signed 4-bit, [-8, 7], two's complement in a nibble.
    I4,
    /// Unsigned 4-bit, [0, 15].
    U4,
}

impl Q4Dtype {
    /// Representable range `(min, max)`.
    pub fn range(self) -> (i32, i32) {
        match self {
            Q4Dtype::I4 => (-8, 7),
            Q4Dtype::U4 => (0, 15),
        }
    }

    /// The 8-bit type whose kernels compute the codes.
    fn wide(self) -> QDtype {
        match self {
            Q4Dtype::I4 => QDtype::I8,
            Q4Dtype::U4 => QDtype::U8,
        }
    }

    fn check_zero_point(self, i: Option<usize>, zp: i32) -> Result<()> {
        let (lo, hi) = self.range();
        if zp < lo || zp > hi {
            let at = i.map(|i| format!("zero_point[{i}] ")).unwrap_or_default();
            let name = if self == Q4Dtype::I4 { "int4" } else { "uint4" };
            return Err(Error::invalid(format!(
                "{at}{zp} is outside the {name} range [{lo}, {hi}]"
            )));
        }
        Ok(())
    }
}

/// Bytes that hold `n` packed 4-bit values: `ceil(n / 2)`.
pub fn packed_len(n: usize) -> usize {
    n.div_ceil(2)
}

/// Elements per parallel task (even, so tasks own whole bytes).
const CHUNK: usize = 1 << 16;
/// Elements converted through one stack buffer of 8-bit codes.
const STRIP: usize = 2048;
/// Per-tensor calls split over scipix's pool from this many elements (the int8 cut-off).
pub const PARALLEL_CUTOFF: usize = 1 << 21;

fn pack(codes: &[u8], out: &mut [u8], dtype: Q4Dtype) {
    pack_with(cpu::kernel_isa(), codes, out, dtype == Q4Dtype::I4);
}

fn unpack(packed: &[u8], codes: &mut [u8], dtype: Q4Dtype) {
    unpack_with(cpu::kernel_isa(), packed, codes, dtype == Q4Dtype::I4);
}

fn check_packed(got: usize, n: usize, what: &str) -> Result<()> {
    let want = packed_len(n);
    if got < want {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("{what} holds {got} bytes, {want} are needed for {n} packed 4-bit values"),
        ));
    }
    Ok(())
}

fn check_params(scales: &[f32], zps: &[i32], want: usize, dtype: Q4Dtype) -> Result<()> {
    for (what, len) in [("scale", scales.len()), ("zero-point", zps.len())] {
        if len != want {
            return Err(Error::invalid(format!(
                "{what} array has {len} elements, expected {want}"
            )));
        }
    }
    for (i, (&s, &z)) in scales.iter().zip(zps).enumerate() {
        check_scale(s).map_err(|e| Error::invalid(format!("scale[{i}]: {}", e.message())))?;
        dtype.check_zero_point(Some(i), z)?;
    }
    Ok(())
}

/// Quantizes an even-aligned strip range: 8-bit codes through a stack buffer, then packs.
fn quantize_strips(x: &[f32], out: &mut [u8], p: QParams, dtype: Q4Dtype) {
    let isa = cpu::kernel_isa();
    let mut buf = [0u8; STRIP];
    for (i, o) in x.chunks(STRIP).zip(out.chunks_mut(STRIP / 2)) {
        let codes = &mut buf[..i.len()];
        quantize_with(
            isa,
            i,
            codes,
            p.scale,
            p.zero_point,
            dtype.wide(),
            Store::Cached,
        );
        pack_with(isa, codes, o, dtype == Q4Dtype::I4);
    }
}

/// Dequantizes an even-aligned range: the fused nibble kernel where the ISA has one, then
/// strips unpacked into a stack buffer of 8-bit codes and dequantized from there. Both
/// compute `(code - zp) * scale`; `store` says whether the output may be streamed.
fn dequantize_strips(
    q: &[u8],
    n: usize,
    out: &mut [f32],
    p: QParams,
    dtype: Q4Dtype,
    store: Store,
) {
    let isa = cpu::kernel_isa();
    let signed = dtype == Q4Dtype::I4;
    let out = &mut out[..n];
    let done = dequantize_nibbles_with(isa, q, out, p.scale, p.zero_point, signed, store);
    let (q, out) = (&q[done / 2..], &mut out[done..]);
    let mut buf = [0u8; STRIP];
    for (o, i) in out.chunks_mut(STRIP).zip(q.chunks(STRIP / 2)) {
        let codes = &mut buf[..o.len()];
        unpack_with(isa, i, codes, signed);
        dequantize_with(
            isa,
            codes,
            o,
            p.scale,
            p.zero_point,
            dtype.wide(),
            Store::Cached,
        );
    }
}

/// ONNX QuantizeLinear to int4/uint4 with scales and zero points laid out by `layout`
/// (one pair for [`Layout::PerTensor`]), bit-exact with ONNX Runtime:
/// `q = saturate(round_half_even(x / scale) + zero_point)` to [-8, 7] or [0, 15] (f32
/// division; NaN gives -8 / 0, ±inf saturate), packed two per byte, low nibble first, an
/// odd count padding the last high nibble with 0. `out` must hold `ceil(n / 2)` bytes;
/// zero points must lie in the type's range, scales be finite and > 0. Nothing is written
/// on error.
pub fn quantize_int4(
    x: &[f32],
    layout: Layout<'_>,
    scales: &[f32],
    zero_points: &[i32],
    dtype: Q4Dtype,
    out: &mut [u8],
) -> Result<()> {
    let (total, params) = layout.counts(x.len())?;
    check_params(scales, zero_points, params, dtype)?;
    if x.len() != total {
        return Err(Error::invalid(format!(
            "input has {} elements, expected {total}",
            x.len()
        )));
    }
    check_packed(out.len(), total, "output")?;
    let out = &mut out[..packed_len(total)];
    match layout {
        Layout::PerTensor => {
            let p = QParams {
                scale: scales[0],
                zero_point: zero_points[0],
            };
            if parallel::should_split(total, PARALLEL_CUTOFF) {
                parallel::install(|| {
                    out.par_chunks_mut(CHUNK / 2)
                        .zip(x.par_chunks(CHUNK))
                        .for_each(|(o, i)| quantize_strips(i, o, p, dtype));
                });
            } else {
                quantize_strips(x, out, p, dtype);
            }
        }
        // Shaped layouts: the int8 path's codes for the whole tensor, then one packing pass.
        Layout::Axis { shape, axis } => {
            let mut codes = vec![0u8; total];
            quantize_linear_axis(
                x,
                shape,
                axis,
                scales,
                zero_points,
                dtype.wide(),
                &mut codes,
            )?;
            pack(&codes, out, dtype);
        }
        Layout::Blocked { shape, block_size } => {
            let mut codes = vec![0u8; total];
            quantize_linear_blocked(
                x,
                shape,
                block_size,
                scales,
                zero_points,
                dtype.wide(),
                &mut codes,
            )?;
            pack(&codes, out, dtype);
        }
    }
    Ok(())
}

/// ONNX DequantizeLinear from packed int4/uint4 (layout as [`quantize_int4`]), bit-exact
/// with ONNX Runtime: `x = (q - zero_point) * scale` (exact integer difference, one f32
/// multiply). `n` is the element count (for per-tensor; shaped layouts take it from the
/// shape and `n` must equal it); `q` must hold `ceil(n / 2)` bytes (the pad nibble of an
/// odd count is ignored), `out` at least `n` floats. Nothing is written on error.
pub fn dequantize_int4(
    q: &[u8],
    n: usize,
    layout: Layout<'_>,
    scales: &[f32],
    zero_points: &[i32],
    dtype: Q4Dtype,
    out: &mut [f32],
) -> Result<()> {
    let (total, params) = layout.counts(n)?;
    check_params(scales, zero_points, params, dtype)?;
    if n != total {
        return Err(Error::invalid(format!(
            "element count {n} does not match the shape's {total}"
        )));
    }
    check_packed(q.len(), total, "input")?;
    if out.len() < total {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("output holds {} elements, {total} are needed", out.len()),
        ));
    }
    let q = &q[..packed_len(total)];
    match layout {
        Layout::PerTensor => {
            let p = QParams {
                scale: scales[0],
                zero_point: zero_points[0],
            };
            let store = Store::for_output(total.saturating_mul(4), cpu::WIDENING_STREAM_MIN_BYTES);
            if parallel::should_split(total, PARALLEL_CUTOFF) {
                parallel::install(|| {
                    out[..total]
                        .par_chunks_mut(CHUNK)
                        .zip(q.par_chunks(CHUNK / 2))
                        .for_each(|(o, i)| {
                            let len = o.len();
                            dequantize_strips(i, len, o, p, dtype, store)
                        });
                });
            } else {
                dequantize_strips(q, total, out, p, dtype, store);
            }
        }
        Layout::Axis { shape, axis } => {
            let mut codes = vec![0u8; total];
            unpack(q, &mut codes, dtype);
            dequantize_linear_axis(&codes, shape, axis, scales, zero_points, dtype.wide(), out)?;
        }
        Layout::Blocked { shape, block_size } => {
            let mut codes = vec![0u8; total];
            unpack(q, &mut codes, dtype);
            dequantize_linear_blocked(
                &codes,
                shape,
                block_size,
                scales,
                zero_points,
                dtype.wide(),
                out,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::Isa;

    #[test]
    fn onnx_runtime_example_and_packing() {
        let x = [0.5f32, 1.5, 2.5, 7.5, 8.5, -8.5, 100.0];
        let mut q = [0xffu8; 4];
        quantize_int4(&x, Layout::PerTensor, &[1.0], &[0], Q4Dtype::I4, &mut q).unwrap();
        // codes [0, 2, 2, 7, 7, -8, 7]: low nibble first, last high nibble 0.
        assert_eq!(q, [0x20, 0x72, 0x87, 0x07]);
        let mut y = [0f32; 7];
        dequantize_int4(&q, 7, Layout::PerTensor, &[1.0], &[0], Q4Dtype::I4, &mut y).unwrap();
        assert_eq!(y, [0.0, 2.0, 2.0, 7.0, 7.0, -8.0, 7.0]);
        let x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 15.5, -0.5];
        let mut q = [0u8; 3];
        quantize_int4(&x, Layout::PerTensor, &[1.0], &[3], Q4Dtype::U4, &mut q).unwrap();
        assert_eq!(q, [0xf0, 0xf0, 0x03]);
        quantize_int4(&x, Layout::PerTensor, &[1.0], &[3], Q4Dtype::I4, &mut q).unwrap();
        assert_eq!(q, [0x78, 0x78, 0x03]);
    }

    #[test]
    fn bad_input_writes_nothing() {
        let x = [1.0f32; 5];
        let mut q = [0xeeu8; 3];
        let t = Q4Dtype::I4;
        for (s, z) in [
            (0.0f32, 0),
            (f32::NAN, 0),
            (f32::INFINITY, 0),
            (-1.0, 0),
            (1.0, 8),
            (1.0, -9),
        ] {
            assert!(quantize_int4(&x, Layout::PerTensor, &[s], &[z], t, &mut q).is_err());
        }
        assert!(quantize_int4(&x, Layout::PerTensor, &[1.0], &[16], Q4Dtype::U4, &mut q).is_err());
        assert!(quantize_int4(&x, Layout::PerTensor, &[1.0], &[0], t, &mut q[..2]).is_err());
        let shape = [5usize];
        let blocked = Layout::Blocked {
            shape: &shape,
            block_size: 0,
        };
        assert!(quantize_int4(&x, blocked, &[], &[], t, &mut q).is_err());
        let blocked = Layout::Blocked {
            shape: &shape,
            block_size: 2,
        };
        assert!(quantize_int4(&x, blocked, &[1.0; 2], &[0; 2], t, &mut q).is_err());
        let huge = [usize::MAX, 3];
        let axis = Layout::Axis {
            shape: &huge,
            axis: 0,
        };
        assert!(quantize_int4(&x, axis, &[1.0], &[0], t, &mut q).is_err());
        assert_eq!(q, [0xee; 3]);
    }

    #[test]
    fn shaped_layouts_equal_per_element_rule_on_every_isa() {
        let shape = [3usize, 37];
        let n = 3 * 37;
        let x: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 97) as f32 * 0.37 - 18.0)
            .collect();
        let nb = 37usize.div_ceil(8);
        let scales: Vec<f32> = (0..3 * nb).map(|i| 0.5 + i as f32 * 0.125).collect();
        let zps: Vec<i32> = (0..3 * nb).map(|i| (i % 5) as i32 - 2).collect();
        let want: Vec<u8> = (0..n)
            .map(|i| {
                let p = (i / 37) * nb + (i % 37) / 8;
                let y = (x[i] / scales[p]).round_ties_even() + zps[p] as f32;
                (y.clamp(-8.0, 7.0) as i8) as u8 & 0x0f
            })
            .collect();
        for isa in Isa::available() {
            crate::cpu::with_isa(isa, |_| {
                let mut q = vec![0u8; packed_len(n)];
                let lay = Layout::Blocked {
                    shape: &shape,
                    block_size: 8,
                };
                quantize_int4(&x, lay, &scales, &zps, Q4Dtype::I4, &mut q).unwrap();
                let mut codes = vec![0u8; n];
                unpack(&q, &mut codes, Q4Dtype::U4);
                assert_eq!(codes, want, "{isa:?}");
                assert_eq!(q[n / 2] >> 4, 0, "pad nibble");
                let mut y = vec![0f32; n];
                dequantize_int4(&q, n, lay, &scales, &zps, Q4Dtype::I4, &mut y).unwrap();
                for i in 0..n {
                    let p = (i / 37) * nb + (i % 37) / 8;
                    let c = (((codes[i] << 4) as i8) >> 4) as i32;
                    assert_eq!(y[i], (c - zps[p]) as f32 * scales[p]);
                }
                // Per tensor, long enough for every kernel and the strip buffer, odd count.
                let big: Vec<f32> = (0..5001).map(|i| (i as f32 * 0.731).sin() * 9.0).collect();
                let mut q = vec![0u8; packed_len(big.len())];
                quantize_int4(&big, Layout::PerTensor, &[0.9], &[1], Q4Dtype::U4, &mut q).unwrap();
                for (i, &v) in big.iter().enumerate() {
                    let c = ((v / 0.9).round_ties_even() + 1.0).clamp(0.0, 15.0) as u8;
                    assert_eq!((q[i / 2] >> (4 * (i % 2))) & 0x0f, c, "{isa:?} {i}");
                }
            });
        }
    }

    #[test]
    fn per_tensor_dequantize_equals_the_rule_on_every_isa_store_and_offset() {
        let packed: Vec<u8> = (0..3000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        for (dtype, zp) in [(Q4Dtype::I4, -3), (Q4Dtype::U4, 5)] {
            let p = QParams {
                scale: 0.37,
                zero_point: zp,
            };
            let code = |i: usize| {
                let c = (packed[i / 2] >> (4 * (i % 2))) & 0x0f;
                match dtype {
                    Q4Dtype::I4 => (((c << 4) as i8) >> 4) as i32,
                    Q4Dtype::U4 => c as i32,
                }
            };
            for isa in Isa::available() {
                crate::cpu::with_isa(isa, |_| {
                    for n in [0usize, 1, 2, 31, 32, 33, 63, 255, 256, 257, 999, 5999] {
                        // Output starting at every float offset within a 32-byte line, so
                        // the fused kernel's streamed head, middle and tail all run, and
                        // odd offsets (which it must not stream) too.
                        let mut buf = vec![f32::NAN; n + 16];
                        let line = buf.as_ptr().align_offset(32);
                        for skew in 0..8 {
                            for store in [Store::Cached, Store::Streaming] {
                                let at = line + skew;
                                let out = &mut buf[at..at + n + 1];
                                out.fill(-1.0);
                                dequantize_strips(&packed, n, out, p, dtype, store);
                                for (i, &y) in out[..n].iter().enumerate() {
                                    let want = (code(i) - zp) as f32 * 0.37;
                                    assert_eq!(y, want, "{isa:?} {dtype:?} {n} {skew} {i}");
                                }
                                assert_eq!(out[n], -1.0, "past the end");
                            }
                        }
                    }
                });
            }
        }
    }
}
