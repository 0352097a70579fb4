//! The specifications of the one-byte and whole-pixel gathers ([`gray`], [`pixels`]), and
//! the portable kernel of the pixel gather ([`pixels_words`]).

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

/// Same bytes as [`pixels`], with the moves specialised by pixel size: 4 output pixels of 3
/// bytes are four 4-byte loads written as three 4-byte words, and 1, 2 and 4 bytes per
/// pixel copy fixed-size values. A group of 4 RGB pixels that touches an index outside
/// `src`, or whose 4-byte loads would pass its end, runs [`pixels`].
pub fn pixels_words(src: &[u8], xs: &[u32], cn: usize, out: &mut [u8]) {
    let n = xs.len().min(out.len() / cn.max(1));
    let (xs, out) = (&xs[..n], &mut out[..n * cn]);
    match cn {
        1 => fixed::<1>(src, xs, out),
        2 => fixed::<2>(src, xs, out),
        4 => fixed::<4>(src, xs, out),
        3 => {
            let n4 = n / 4 * 4;
            for (o, x) in out[..n4 * 3]
                .chunks_exact_mut(12)
                .zip(xs[..n4].chunks_exact(4))
            {
                match (
                    px3(src, x[0]),
                    px3(src, x[1]),
                    px3(src, x[2]),
                    px3(src, x[3]),
                ) {
                    (Some(a), Some(b), Some(e), Some(f)) => {
                        let w0 = (a & 0x00ff_ffff) | (b << 24);
                        let w1 = ((b >> 8) & 0xffff) | (e << 16);
                        let w2 = ((e >> 16) & 0xff) | (f << 8);
                        o[0..4].copy_from_slice(&w0.to_le_bytes());
                        o[4..8].copy_from_slice(&w1.to_le_bytes());
                        o[8..12].copy_from_slice(&w2.to_le_bytes());
                    }
                    _ => pixels(src, x, 3, o),
                }
            }
            pixels(src, &xs[n4..], 3, &mut out[n4 * 3..]);
        }
        _ => pixels(src, xs, cn, out),
    }
}

/// Source pixel `x` of a 3-byte-per-pixel row read as 4 little-endian bytes (the fourth is
/// the next pixel's first byte, dropped by the caller), when those 4 bytes lie in `src`.
#[inline(always)]
fn px3(src: &[u8], x: u32) -> Option<u32> {
    let s = (x as usize).checked_mul(3)?;
    let b: [u8; 4] = src.get(s..s.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// [`pixels`] for `N`-byte pixels, one fixed-size copy per pixel.
#[inline(always)]
fn fixed<const N: usize>(src: &[u8], xs: &[u32], out: &mut [u8]) {
    for (o, &x) in out.chunks_exact_mut(N).zip(xs) {
        let p: [u8; N] = (x as usize)
            .checked_mul(N)
            .and_then(|s| src.get(s..s.checked_add(N)?))
            .map_or([0; N], |b| b.try_into().expect("N bytes"));
        o.copy_from_slice(&p);
    }
}
