//! Reference threshold kernels: one element at a time. The SIMD kernels must match them bit
//! for bit.

use super::{F32Op, ThresholdType, U8Op};

/// One u8 element. `op.t` is the integer threshold (0..=254 here), `op.m` the max value.
#[inline(always)]
pub fn px_u8(v: u8, op: U8Op) -> u8 {
    let above = v > op.t;
    match op.ty {
        ThresholdType::Binary => {
            if above {
                op.m
            } else {
                0
            }
        }
        ThresholdType::BinaryInv => {
            if above {
                0
            } else {
                op.m
            }
        }
        ThresholdType::Trunc => {
            if above {
                op.t
            } else {
                v
            }
        }
        ThresholdType::ToZero => {
            if above {
                v
            } else {
                0
            }
        }
        ThresholdType::ToZeroInv => {
            if above {
                0
            } else {
                v
            }
        }
    }
}

/// One f32 element: the same rules with the IEEE `>` (false for NaN).
#[inline(always)]
pub fn px_f32(v: f32, op: F32Op) -> f32 {
    let above = v > op.t;
    match op.ty {
        ThresholdType::Binary => {
            if above {
                op.m
            } else {
                0.0
            }
        }
        ThresholdType::BinaryInv => {
            if above {
                0.0
            } else {
                op.m
            }
        }
        ThresholdType::Trunc => {
            if above {
                op.t
            } else {
                v
            }
        }
        ThresholdType::ToZero => {
            if above {
                v
            } else {
                0.0
            }
        }
        ThresholdType::ToZeroInv => {
            if above {
                0.0
            } else {
                v
            }
        }
    }
}

/// `dst[i] = px_u8(src[i])` over `dst.len()` elements.
pub fn apply_u8(src: &[u8], dst: &mut [u8], op: U8Op) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = px_u8(s, op);
    }
}

/// In place.
pub fn apply_u8_inplace(buf: &mut [u8], op: U8Op) {
    for v in buf {
        *v = px_u8(*v, op);
    }
}

/// `dst[i] = px_f32(src[i])` over `dst.len()` elements.
pub fn apply_f32(src: &[f32], dst: &mut [f32], op: F32Op) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = px_f32(s, op);
    }
}

/// In place.
pub fn apply_f32_inplace(buf: &mut [f32], op: F32Op) {
    for v in buf {
        *v = px_f32(*v, op);
    }
}

/// Histogram of `row` added into `h`, using four sub-histograms so repeated values do not
/// serialize on one counter; the caller sums the four.
pub fn histogram_add(row: &[u8], h: &mut [[u32; 256]; 4]) {
    let mut chunks = row.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h[0][(v & 0xff) as usize] += 1;
        h[1][((v >> 8) & 0xff) as usize] += 1;
        h[2][((v >> 16) & 0xff) as usize] += 1;
        h[3][((v >> 24) & 0xff) as usize] += 1;
        h[0][((v >> 32) & 0xff) as usize] += 1;
        h[1][((v >> 40) & 0xff) as usize] += 1;
        h[2][((v >> 48) & 0xff) as usize] += 1;
        h[3][(v >> 56) as usize] += 1;
    }
    for &b in chunks.remainder() {
        h[0][b as usize] += 1;
    }
}
