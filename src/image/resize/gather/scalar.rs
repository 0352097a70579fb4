//! The specification of the one-byte gather, which is also the scalar kernel.

/// `out[i] = src[xs[i]]` for `i < min(xs.len(), out.len())`; an index outside `src`
/// (including the Pillow tables' `u32::MAX` marker for "no source pixel") gives 0.
pub fn gray(src: &[u8], xs: &[u32], out: &mut [u8]) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = src.get(x as usize).copied().unwrap_or(0);
    }
}
