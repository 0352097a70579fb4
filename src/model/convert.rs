//! Conversion between f32 and IEEE half precision (f16) or bfloat16 (bf16).
//!
//! f32 -> f16 / bf16 ([`f32_to_f16`], [`f32_to_bf16`]) rounds to nearest, ties to even,
//! bit-identical to numpy's `astype(np.float16)` and `ml_dtypes.bfloat16` on every ISA.
//!
//! f16 / bf16 -> f32:
//!
//! ```
//! use scipix::model::convert::{bf16_to_f32, f16_to_f32};
//!
//! let mut out = [0f32; 2];
//! f16_to_f32(&[0x3c00, 0xc000], &mut out)?; // 1.0 and -2.0 in IEEE half
//! assert_eq!(out, [1.0, -2.0]);
//! bf16_to_f32(&[0x3f80, 0x4049], &mut out)?; // bfloat16: the top half of an f32
//! assert_eq!(out, [1.0, 3.140625]);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! Both conversions are exact (every f16 and bf16 value is representable as f32):
//! infinities and signed zeros are preserved and NaN stays NaN. bf16 -> f32 is the bit
//! pattern shifted into the upper half, so even signalling-NaN payloads are kept; f16 NaNs
//! come out as quiet NaNs with the payload in the top mantissa bits. The `*_bytes_*` variants read little-endian values from byte
//! buffers of any alignment, as stored in safetensors files.

use super::narrow::{narrow_with, Half, STREAM_MIN_BYTES};
use super::widen::{widen_with, Halves, LeBytes};
use crate::cpu::{self, Store};
use crate::error::{Error, Result};
use crate::parallel;
use rayon::prelude::*;

/// Elements per parallel task of the narrowing conversions.
const CHUNK: usize = 1 << 16;
/// Narrowing conversions split over scipix's pool from this many elements: they move 6
/// bytes per element at memory speed, like quantize, whose measured cut-off this is.
pub const NARROW_PARALLEL_CUTOFF: usize = 1 << 21;

fn narrow(half: Half, src: &[f32], dst: &mut [u16], what: &str) -> Result<()> {
    check_lengths(src.len(), dst.len(), what)?;
    let isa = cpu::kernel_isa();
    let store = Store::for_output(dst.len().saturating_mul(2), STREAM_MIN_BYTES);
    if parallel::should_split(src.len(), NARROW_PARALLEL_CUTOFF) {
        parallel::install(|| {
            dst.par_chunks_mut(CHUNK)
                .zip(src.par_chunks(CHUNK))
                .for_each(|(o, i)| narrow_with(isa, half, i, o, store));
        });
    } else {
        narrow_with(isa, half, src, dst, store);
    }
    Ok(())
}

/// Converts f32 values to f16 bit patterns, as numpy's `astype(np.float16)`: round to
/// nearest, ties to even; magnitudes of 65520 and above (and infinities) give ±inf; results
/// below the smallest subnormal round to ±0 (the sign is kept); NaN stays NaN, keeping the
/// sign and the top 10 mantissa bits (the lowest set if those are all zero, so a signalling
/// NaN stays signalling; the F16C/AVX-512 instructions would quiet it, so the kernels
/// redo a vector holding a NaN exactly). `src` and `dst` must have the same length;
/// nothing is written on error.
pub fn f32_to_f16(src: &[f32], dst: &mut [u16]) -> Result<()> {
    narrow(Half::F16, src, dst, "f32_to_f16")
}

/// Converts f32 values to bf16 bit patterns, as `ml_dtypes.bfloat16` (torch's rounding):
/// the upper 16 bits rounded to nearest, ties to even, on the bit pattern
/// (`(b + 0x7fff + ((b >> 16) & 1)) >> 16`), so f32 subnormals round like every value (no
/// flush to zero) and values past the largest bf16 become ±inf; NaN gives `0x7fc0` with
/// the sign (payload dropped). `src` and `dst` must have the same length; nothing is
/// written on error.
pub fn f32_to_bf16(src: &[f32], dst: &mut [u16]) -> Result<()> {
    narrow(Half::Bf16, src, dst, "f32_to_bf16")
}

/// [`f32_to_f16`] (`bf16` false) or [`f32_to_bf16`] on one thread with the store kind
/// forced instead of chosen by size: for the benchmark that sets the streaming cut-off.
/// Not part of the supported API. Panics if the lengths differ.
#[doc(hidden)]
pub fn f32_to_half_with_store(bf16: bool, src: &[f32], dst: &mut [u16], store: Store) {
    assert_eq!(
        src.len(),
        dst.len(),
        "f32_to_half_with_store: lengths differ"
    );
    let half = if bf16 { Half::Bf16 } else { Half::F16 };
    narrow_with(cpu::kernel_isa(), half, src, dst, store);
}

fn check_lengths(src_len: usize, dst_len: usize, what: &str) -> Result<()> {
    if src_len != dst_len {
        return Err(Error::invalid(format!(
            "{what}: source has {src_len} values but destination has room for {dst_len}"
        )));
    }
    Ok(())
}

/// Widens `src` into `dst` (same count, checked by the caller) on the chosen ISA, split
/// over scipix's pool like the narrowing conversions.
fn widen<S: Halves + Sync + ?Sized>(half: Half, src: &S, dst: &mut [f32]) {
    let isa = cpu::kernel_isa();
    let store = Store::for_output(dst.len().saturating_mul(4), cpu::WIDENING_STREAM_MIN_BYTES);
    if parallel::should_split(dst.len(), NARROW_PARALLEL_CUTOFF) {
        parallel::install(|| {
            dst.par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(k, o)| widen_with(isa, half, &Part(src, k * CHUNK), o, store));
        });
    } else {
        widen_with(isa, half, src, dst, store);
    }
}

/// The values of a [`Halves`] source from an offset on (a parallel task's share).
struct Part<'a, S: ?Sized>(&'a S, usize);

impl<S: Halves + ?Sized> Halves for Part<'_, S> {
    fn count(&self) -> usize {
        self.0.count() - self.1
    }
    fn at(&self, i: usize) -> u16 {
        self.0.at(self.1 + i)
    }
    fn bytes(&self) -> *const u8 {
        self.0.bytes().wrapping_add(2 * self.1)
    }
}

/// Converts f16 bit patterns to f32 (exact; NaN stays NaN, quieted). `src` and `dst` must
/// have the same length.
pub fn f16_to_f32(src: &[u16], dst: &mut [f32]) -> Result<()> {
    check_lengths(src.len(), dst.len(), "f16_to_f32")?;
    widen(Half::F16, src, dst);
    Ok(())
}

/// Converts bf16 bit patterns to f32 (exact: the pattern shifted into the upper half).
/// `src` and `dst` must have the same length.
pub fn bf16_to_f32(src: &[u16], dst: &mut [f32]) -> Result<()> {
    check_lengths(src.len(), dst.len(), "bf16_to_f32")?;
    widen(Half::Bf16, src, dst);
    Ok(())
}

fn check_bytes(src_len: usize, dst_len: usize, what: &str) -> Result<()> {
    if !src_len.is_multiple_of(2) {
        return Err(Error::invalid(format!(
            "{what}: byte length {src_len} is not a multiple of 2"
        )));
    }
    check_lengths(src_len / 2, dst_len, what)
}

/// Converts little-endian f16 values stored in `src` (2 bytes each, any alignment) to f32.
pub fn f16_bytes_to_f32(src: &[u8], dst: &mut [f32]) -> Result<()> {
    check_bytes(src.len(), dst.len(), "f16_bytes_to_f32")?;
    widen(Half::F16, &LeBytes(src), dst);
    Ok(())
}

/// Converts little-endian bf16 values stored in `src` (2 bytes each, any alignment) to f32.
pub fn bf16_bytes_to_f32(src: &[u8], dst: &mut [f32]) -> Result<()> {
    check_bytes(src.len(), dst.len(), "bf16_bytes_to_f32")?;
    widen(Half::Bf16, &LeBytes(src), dst);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    #[test]
    fn f16_known_values() {
        // 1.0, -2.0, 65504 (max), smallest subnormal, +inf, -0.0
        let src = [0x3c00u16, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000];
        let mut dst = [0f32; 6];
        f16_to_f32(&src, &mut dst).unwrap();
        assert_eq!(dst[0], 1.0);
        assert_eq!(dst[1], -2.0);
        assert_eq!(dst[2], 65504.0);
        assert_eq!(dst[3], 2f32.powi(-24));
        assert_eq!(dst[4], f32::INFINITY);
        assert_eq!(dst[5].to_bits(), 0x8000_0000);
        let mut nan = [0f32];
        f16_to_f32(&[0x7e00], &mut nan).unwrap();
        assert!(nan[0].is_nan());
    }

    #[test]
    fn bf16_is_upper_half_of_f32() {
        for bits in [
            0u16, 0x3f80, 0xbf80, 0x7f80, 0x0001, 0x8000, 0x4049, 0x7f81, 0xffbf,
        ] {
            let mut d = [0f32];
            bf16_to_f32(&[bits], &mut d).unwrap();
            assert_eq!(d[0].to_bits(), (bits as u32) << 16);
        }
    }

    #[test]
    fn every_f16_roundtrips_through_f32() {
        let src: Vec<u16> = (0..=u16::MAX).collect();
        let mut dst = vec![0f32; src.len()];
        f16_to_f32(&src, &mut dst).unwrap();
        for (&s, &d) in src.iter().zip(&dst) {
            if d.is_nan() {
                assert_eq!(s & 0x7c00, 0x7c00);
                assert_ne!(s & 0x03ff, 0);
            } else {
                assert_eq!(f16::from_f32(d).to_bits(), s);
            }
        }
    }

    #[test]
    fn byte_variants_are_little_endian_and_unaligned() {
        let bytes = [0xffu8, 0x00, 0x3c, 0x00, 0xc0];
        let mut d = [0f32; 2];
        f16_bytes_to_f32(&bytes[1..], &mut d).unwrap();
        assert_eq!(d, [1.0, -2.0]);
        bf16_bytes_to_f32(&[0x80, 0x3f, 0x80, 0xbf], &mut d).unwrap();
        assert_eq!(d, [1.0, -1.0]);
        assert!(f16_bytes_to_f32(&bytes[..3], &mut d).is_err());
        assert!(f16_to_f32(&[0, 0, 0], &mut d).is_err());
    }
}
