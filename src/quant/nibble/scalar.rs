//! Reference nibble packing: the specification every SIMD kernel equals bit for bit.
//!
//! Pack: each 8-bit code (int8 or uint8 from the int8 quantize kernels) saturated to
//! [-8, 7] (signed) or [0, 15] (unsigned); element `2i` goes to the low nibble of byte `i`,
//! `2i + 1` to the high nibble; an odd count leaves the last high nibble 0.
//! Unpack: the inverse, sign-extending signed nibbles to int8 bytes.

#[inline(always)]
fn nib(c: u8, signed: bool) -> u8 {
    if signed {
        (c as i8).clamp(-8, 7) as u8 & 0x0f
    } else {
        c.min(15)
    }
}

#[inline(always)]
fn wide(n: u8, signed: bool) -> u8 {
    if signed {
        (n ^ 8).wrapping_sub(8)
    } else {
        n
    }
}

/// Packs `codes` into `out[..ceil(codes.len() / 2)]`.
pub fn pack(codes: &[u8], out: &mut [u8], signed: bool) {
    let pairs = codes.chunks_exact(2);
    let odd = pairs.remainder().first().copied();
    for (o, p) in out.iter_mut().zip(pairs) {
        *o = nib(p[0], signed) | nib(p[1], signed) << 4;
    }
    if let Some(c) = odd {
        out[codes.len() / 2] = nib(c, signed);
    }
}

/// Unpacks `codes.len()` values from `packed` (at least `ceil(codes.len() / 2)` bytes).
pub fn unpack(packed: &[u8], codes: &mut [u8], signed: bool) {
    let n = codes.len();
    for (c, &b) in codes.chunks_exact_mut(2).zip(packed) {
        c[0] = wide(b & 0x0f, signed);
        c[1] = wide(b >> 4, signed);
    }
    if n % 2 == 1 {
        codes[n - 1] = wide(packed[n / 2] & 0x0f, signed);
    }
}
