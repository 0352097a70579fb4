//! The specifications of the one-byte and whole-pixel gathers, which are also the scalar
//! kernels.

/// `out[i] = src[xs[i]]` for `i < min(xs.len(), out.len())`; an index outside `src`
/// (including the Pillow tables' `u32::MAX` marker for "no source pixel") gives 0.
pub fn gray(src: &[u8], xs: &[u32], out: &mut [u8]) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = src.get(x as usize).copied().unwrap_or(0);
    }
}

/// Pixel `i` of `out` (bytes `i * cn .. (i + 1) * cn`) is source pixel `xs[i]`, for
/// `i < min(xs.len(), out.len() / cn)`; an index whose pixel is not wholly inside `src`
/// (including the `u32::MAX` marker) gives a pixel of zeros. `cn` must not be 0.
pub fn pixels(src: &[u8], xs: &[u32], cn: usize, out: &mut [u8]) {
    for (o, &x) in out.chunks_exact_mut(cn).zip(xs) {
        let s = (x as usize).checked_mul(cn);
        match s.and_then(|s| src.get(s..s.checked_add(cn)?)) {
            Some(p) => o.copy_from_slice(p),
            None => o.fill(0),
        }
    }
}
