//! Test pictures shared by the resize benches.

/// A smooth picture with mild noise (like a photo), deterministic.
pub fn photo(w: usize, h: usize) -> Vec<u8> {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut v = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let n = (s % 7) as i32 - 3;
            for c in 0..3 {
                let base = ((x * (c + 1) + y * (3 - c)) / 9 + (x ^ y) % 23) as i32;
                v.push((base % 256 + n).clamp(0, 255) as u8);
            }
        }
    }
    v
}
