//! AVX-512 (F + BW) convolution passes: the AVX2 arithmetic ([`super::avx2`]) on 512-bit
//! vectors: four rows at once in the horizontal pass (one per 128-bit lane, sharing each
//! coefficient broadcast), 64 bytes per step in the vertical pass. With AVX-512 VNNI the
//! vertical pass accumulates with `vpdpwssd` ([`v_row_vnni`]). With VNNI and VBMI, a
//! horizontal window whose coefficients split into three signed bytes and whose taps fill
//! at least 3/4 of their 16-tap groups runs [`h_rows_vnni8`] instead (or, for 16 taps or
//! more filling 3/4 of 8-tap groups, [`h_rows_vnni8x2`]): three `vpdpbusd` per 16 taps
//! of a row where the pair kernel spends 16 `vpmaddwd` and 16 adds per 16 taps of 4 rows
//! (hi and lo halves, 2 taps per product), 8 per row; the horizontal pass is bound by
//! those multiply-adds, not by the loads and shuffles.

use super::blocks::{HBlocks, BLOCK, QUARTERS};
use super::coeffs::{K8_SHIFT, PRECISION_BITS, ROUND, SPLIT};
use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn pair_mask(bpp: usize) -> __m512i {
    let lane: [i8; 16] = if bpp == 4 {
        [0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1]
    } else {
        [0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1]
    };
    // SAFETY: 16 readable bytes.
    _mm512_broadcast_i32x4(unsafe { _mm_loadu_si128(lane.as_ptr().cast()) })
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn finish(hi: __m512i, lo: __m512i) -> __m512i {
    let t = _mm512_add_epi32(_mm512_slli_epi32::<{ SPLIT }>(hi), lo);
    _mm512_srai_epi32::<{ PRECISION_BITS }>(_mm512_add_epi32(t, _mm512_set1_epi32(ROUND)))
}

/// Horizontal outputs `0..n` of four rows (a missing row repeats row 0; its `dst` is None).
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw")]
fn h_four<const BPP: usize>(
    r: [&[u8]; 4],
    base: usize,
    start: &[u32],
    hp: &[i32],
    lp: &[i32],
    npairs: usize,
    n: usize,
    d: &mut [Option<&mut [u8]>; 4],
) {
    let mask = pair_mask(BPP);
    let len = r.iter().map(|s| s.len()).min().unwrap_or(0);
    for x in 0..n {
        let s = (start[x] as usize - base) * BPP;
        assert!(s + (2 * npairs - 2) * BPP + 8 <= len);
        let (hx, lx) = (&hp[x * npairs..][..npairs], &lp[x * npairs..][..npairs]);
        let (mut ah, mut al) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        for p in 0..npairs {
            let off = s + 2 * p * BPP;
            // SAFETY: off + 8 <= len for every row (asserted above for the largest off).
            let v = unsafe {
                let l0 = _mm_loadl_epi64(r[0].as_ptr().add(off).cast());
                let l1 = _mm_loadl_epi64(r[1].as_ptr().add(off).cast());
                let l2 = _mm_loadl_epi64(r[2].as_ptr().add(off).cast());
                let l3 = _mm_loadl_epi64(r[3].as_ptr().add(off).cast());
                let lo = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(l0), l1);
                let hi = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(l2), l3);
                _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi)
            };
            let px = _mm512_shuffle_epi8(v, mask);
            ah = _mm512_add_epi32(ah, _mm512_madd_epi16(px, _mm512_set1_epi32(hx[p])));
            al = _mm512_add_epi32(al, _mm512_madd_epi16(px, _mm512_set1_epi32(lx[p])));
        }
        let t = finish(ah, al);
        let w = _mm512_packs_epi32(t, t);
        let q = _mm512_packus_epi16(w, w);
        let mut lanes = [0i32; 16];
        // SAFETY: 64 writable bytes.
        unsafe { _mm512_storeu_si512(lanes.as_mut_ptr().cast(), q) };
        let o = x * BPP;
        for (j, dj) in d.iter_mut().enumerate() {
            if let Some(dj) = dj.as_deref_mut() {
                dj[o..o + BPP].copy_from_slice(&lanes[4 * j].to_le_bytes()[..BPP]);
            }
        }
    }
}

/// Horizontal outputs `0..n` of every row (`bpp` 3 or 4), four rows at a time.
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn h_rows(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    start: &[u32],
    hp: &[i32],
    lp: &[i32],
    npairs: usize,
    bpp: usize,
    n: usize,
) {
    for (s, d) in src.chunks(4).zip(dst.chunks_mut(4)) {
        let r: [&[u8]; 4] = std::array::from_fn(|j| s.get(j).copied().unwrap_or(s[0]));
        let mut it = d.iter_mut();
        let mut outs: [Option<&mut [u8]>; 4] = std::array::from_fn(|_| it.next().map(|x| &mut **x));
        if bpp == 4 {
            h_four::<4>(r, base, start, hp, lp, npairs, n, &mut outs);
        } else {
            h_four::<3>(r, base, start, hp, lp, npairs, n, &mut outs);
        }
    }
}

/// `acc + pmaddwd(a, b)`: two instructions on AVX-512 BW.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn madd_add(acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
    _mm512_add_epi32(acc, _mm512_madd_epi16(a, b))
}

/// `acc + pmaddwd(a, b)` in one `vpdpwssd` (the non-saturating form): both give
/// `acc + a0 b0 + a1 b1` modulo 2^32 in every `i32` lane, so the sums are the same.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn madd_add_vnni(acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
    _mm512_dpwssd_epi32(acc, a, b)
}

/// The body of [`v_row`] and [`v_row_vnni`], with `$acc` the multiply-accumulate.
macro_rules! v_row_body {
    ($acc:ident, $src:ident, $stride:ident, $first:ident, $taps:ident, $hp:ident, $lp:ident, $dst:ident) => {{
        let (src, stride, first, taps, hp, lp, dst) =
            ($src, $stride, $first, $taps, $hp, $lp, $dst);
        let len = dst.len();
        assert!(taps >= 1 && first + (taps - 1) * stride + len <= src.len());
        assert!(hp.len() == taps.div_ceil(2) && lp.len() == hp.len());
        let z = _mm512_setzero_si512();
        // One step of 64 bytes from `i`, or (`Some(m)`) of the bytes mask `m` selects.
        macro_rules! step {
            ($i:expr, $mask:expr) => {{
                let (i, mask): (usize, Option<__mmask64>) = ($i, $mask);
                let mut h = [z; 4];
                let mut l = [z; 4];
                for (p, (&hw, &lw)) in hp.iter().zip(lp).enumerate() {
                    let ta = 2 * p;
                    let tb = (ta + 1).min(taps - 1);
                    // SAFETY: rows ta, tb < taps; bytes i..i + 64 <= len (asserted above),
                    // or under a mask only the bytes it selects, below len.
                    let (a, b) = unsafe {
                        let pa = src.as_ptr().add(first + ta * stride + i);
                        let pb = src.as_ptr().add(first + tb * stride + i);
                        match mask {
                            None => (_mm512_loadu_si512(pa.cast()), _mm512_loadu_si512(pb.cast())),
                            Some(m) => (
                                _mm512_maskz_loadu_epi8(m, pa.cast()),
                                _mm512_maskz_loadu_epi8(m, pb.cast()),
                            ),
                        }
                    };
                    let u = _mm512_unpacklo_epi8(a, b);
                    let w = _mm512_unpackhi_epi8(a, b);
                    let px = [
                        _mm512_unpacklo_epi8(u, z),
                        _mm512_unpackhi_epi8(u, z),
                        _mm512_unpacklo_epi8(w, z),
                        _mm512_unpackhi_epi8(w, z),
                    ];
                    let (hv, lv) = (_mm512_set1_epi32(hw), _mm512_set1_epi32(lw));
                    for j in 0..4 {
                        h[j] = $acc(h[j], px[j], hv);
                        l[j] = $acc(l[j], px[j], lv);
                    }
                }
                let t: [__m512i; 4] = std::array::from_fn(|j| finish(h[j], l[j]));
                let q = _mm512_packus_epi16(
                    _mm512_packs_epi32(t[0], t[1]),
                    _mm512_packs_epi32(t[2], t[3]),
                );
                // SAFETY: as for the loads.
                unsafe {
                    let d = dst.as_mut_ptr().add(i);
                    match mask {
                        None => _mm512_storeu_si512(d.cast(), q),
                        Some(m) => _mm512_mask_storeu_epi8(d.cast(), m, q),
                    }
                }
            }};
        }
        let mut i = 0;
        while i + 64 <= len {
            step!(i, None);
            i += 64;
        }
        if i < len {
            step!(i, Some((1u64 << (len - i)) - 1));
        }
        len
    }};
}

/// Vertical pass of one output row: 64 bytes per step, then the last `dst.len() % 64`
/// under a mask; returns the bytes written (all of them).
///
/// # Safety
/// The CPU must support AVX-512 F and BW.
#[target_feature(enable = "avx512f,avx512bw")]
pub unsafe fn v_row(
    src: &[u8],
    stride: usize,
    first: usize,
    taps: usize,
    hp: &[i32],
    lp: &[i32],
    dst: &mut [u8],
) -> usize {
    v_row_body!(madd_add, src, stride, first, taps, hp, lp, dst)
}

/// [`v_row`] accumulating with `vpdpwssd` (same sums, see [`madd_add_vnni`]).
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VNNI.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn v_row_vnni(
    src: &[u8],
    stride: usize,
    first: usize,
    taps: usize,
    hp: &[i32],
    lp: &[i32],
    dst: &mut [u8],
) -> usize {
    v_row_body!(madd_add_vnni, src, stride, first, taps, hp, lp, dst)
}

/// `vpermb` indices and zeroing mask that turn 16 source pixels (`BPP` bytes each, from
/// byte 0 of the register) into the layout of [`h_rows_vnni8`]: 128-bit block `c` holds
/// channel `c`, its `i32` lane `q` the bytes of that channel at pixels `4q..4q + 4`.
/// Blocks of channels the format lacks are zero.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn quad_index(bpp: usize) -> (__m512i, __mmask64) {
    let mut idx = [0u8; 64];
    let mut keep = 0u64;
    for c in 0..bpp.min(4) {
        for q in 0..4 {
            for b in 0..4 {
                let pos = c * 16 + q * 4 + b;
                idx[pos] = ((4 * q + b) * bpp + c) as u8;
                keep |= 1 << pos;
            }
        }
    }
    // SAFETY: 64 readable bytes.
    (unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }, keep)
}

/// `vpermb` indices that gather byte 0 of `i32` lane `o` of block `c` (output `o`, channel
/// `c`, after [`sum_four`]) into byte `o * bpp + c`: four packed output pixels.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn out_index(bpp: usize) -> __m512i {
    let mut idx = [0u8; 64];
    for (k, v) in idx.iter_mut().enumerate().take(4 * bpp) {
        *v = (16 * (k % bpp) + 4 * (k / bpp)) as u8;
    }
    // SAFETY: 64 readable bytes.
    unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }
}

/// Given four vectors whose block `c` holds four partial sums of channel `c` of outputs
/// 0..4, returns the vector whose block `c`, lane `o` is the full sum of output `o`
/// (wrapping `i32` additions, so the order does not change the result).
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn sum_four(t: [__m512i; 4]) -> __m512i {
    let s1 = _mm512_add_epi32(
        _mm512_unpacklo_epi32(t[0], t[1]),
        _mm512_unpackhi_epi32(t[0], t[1]),
    );
    let s2 = _mm512_add_epi32(
        _mm512_unpacklo_epi32(t[2], t[3]),
        _mm512_unpackhi_epi32(t[2], t[3]),
    );
    _mm512_add_epi32(_mm512_unpacklo_epi64(s1, s2), _mm512_unpackhi_epi64(s1, s2))
}

/// Horizontal outputs `0..n` of one row, `BPP` bytes per pixel, `G` groups of 16 taps
/// (0: not known at compile time).
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
fn h_row_vnni8<const BPP: usize, const G: usize>(
    row: &[u8],
    dst: &mut [u8],
    base: usize,
    start: &[u32],
    k8: &[i8],
    n16: usize,
    taps: usize,
    n: usize,
) {
    let groups = if G == 0 { n16 / 16 } else { G };
    assert!(groups >= 1 && groups * 16 == n16 && taps <= n16);
    assert!(n * 3 * n16 <= k8.len() && start.len() >= n && dst.len() >= n * BPP);
    let len = row.len();
    // Bytes a masked load of group g reads: the window's taps in it.
    let mask_of = |g: usize| -> __mmask64 {
        let t = (taps - (16 * g).min(taps)).min(16);
        ((1u128 << (t * BPP)) - 1) as u64
    };
    let (gidx, gkeep) = quad_index(BPP);
    let oidx = out_index(BPP);
    let z = _mm512_setzero_si512();
    let mut x0 = 0;
    while x0 < n {
        let cnt = (n - x0).min(4);
        // Four outputs side by side (a missing one repeats the last, not stored).
        let xs: [usize; 4] = std::array::from_fn(|o| x0 + o.min(cnt - 1));
        let ss: [usize; 4] = std::array::from_fn(|o| (start[xs[o]] as usize - base) * BPP);
        // Whole 64-byte loads when every last one stays inside the row; the pixels past a
        // window meet zero coefficients.
        let mut whole = true;
        for &s in &ss {
            assert!(s + taps * BPP <= len);
            whole &= s + 16 * (groups - 1) * BPP + 64 <= len;
        }
        let mut acc = [[z; 3]; 4];
        for g in 0..groups {
            for o in 0..4 {
                let off = ss[o] + 16 * g * BPP;
                // SAFETY: a whole load reads off..off + 64 <= len (`whole`); a masked one
                // only the group's taps, inside s..s + taps * BPP <= len.
                let v = unsafe {
                    let p = row.as_ptr().add(off);
                    if whole {
                        _mm512_loadu_si512(p.cast())
                    } else {
                        _mm512_maskz_loadu_epi8(mask_of(g), p.cast())
                    }
                };
                let px = _mm512_maskz_permutexvar_epi8(gkeep, gidx, v);
                let kp = xs[o] * 3 * n16 + 16 * g;
                for (j, a) in acc[o].iter_mut().enumerate() {
                    // SAFETY: kp + j * n16 + 16 <= (xs[o] + 1) * 3 * n16 <= k8.len().
                    let kv = unsafe {
                        _mm512_broadcast_i32x4(_mm_loadu_si128(
                            k8.as_ptr().add(kp + j * n16).cast(),
                        ))
                    };
                    *a = _mm512_dpbusd_epi32(*a, px, kv);
                }
            }
        }
        let t: [__m512i; 4] = std::array::from_fn(|o| {
            let [a, b, c] = acc[o];
            _mm512_add_epi32(
                _mm512_add_epi32(
                    _mm512_slli_epi32::<{ 2 * K8_SHIFT }>(a),
                    _mm512_slli_epi32::<{ K8_SHIFT }>(b),
                ),
                c,
            )
        });
        let v = _mm512_srai_epi32::<{ PRECISION_BITS }>(_mm512_add_epi32(
            sum_four(t),
            _mm512_set1_epi32(ROUND),
        ));
        let v = _mm512_min_epi32(_mm512_max_epi32(v, z), _mm512_set1_epi32(255));
        let b = _mm512_permutexvar_epi8(oidx, v);
        // SAFETY: writes bytes x0 * BPP..(x0 + cnt) * BPP <= n * BPP <= dst.len().
        unsafe {
            _mm512_mask_storeu_epi8(
                dst.as_mut_ptr().add(x0 * BPP).cast(),
                (1u64 << (cnt * BPP)) - 1,
                b,
            )
        };
        x0 += 4;
    }
}

/// Horizontal outputs `0..n` of every row (`bpp` 3 or 4), 16 taps per step with
/// `vpdpbusd`: each coefficient is `k = a 2^16 + b 2^8 + c` with `a`, `b`, `c` signed bytes
/// ([`super::coeffs::Axis::k8`], built only when every coefficient splits so), one load
/// of 16 source pixels and one `vpermb` put 4 consecutive bytes of one channel in each
/// `i32` lane (block `c` = channel `c`), and three `vpdpbusd` add the products of the
/// pixels with the three byte planes, exactly (each lane adds 4 products of at most
/// 255 * 128 in magnitude, modulo 2^32 like the scalar `i32` sum). Four outputs' sums
/// `(a << 16) + (b << 8) + c` are then added across lanes together ([`sum_four`]) and
/// stored as 4 packed pixels. Pixels past a window meet zero coefficients; where a whole
/// 64-byte load would pass the row's end the group is loaded masked to the window's taps
/// instead.
///
/// # Safety
/// The CPU must support AVX-512 F, BW, VBMI and VNNI.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
pub unsafe fn h_rows_vnni8(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    start: &[u32],
    k8: &[i8],
    n16: usize,
    taps: usize,
    bpp: usize,
    n: usize,
) {
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        macro_rules! go {
            ($b:literal, $g:literal) => {
                h_row_vnni8::<$b, $g>(s, d, base, start, k8, n16, taps, n)
            };
        }
        match (bpp, n16 / 16) {
            (4, 1) => go!(4, 1),
            (4, 2) => go!(4, 2),
            (4, 3) => go!(4, 3),
            (4, 4) => go!(4, 4),
            (4, _) => go!(4, 0),
            (_, 1) => go!(3, 1),
            (_, 2) => go!(3, 2),
            (_, 3) => go!(3, 3),
            (_, 4) => go!(3, 4),
            _ => go!(3, 0),
        }
    }
}

/// `vpermt2b` indices and zeroing mask that turn 8 pixels of output A (first table) and 8
/// of output B (second table) into the layout of [`h_rows_vnni8x2`]: 128-bit block `c`
/// holds channel `c`, its `i32` lanes the bytes of that channel at pixels 0..4 and 4..8 of
/// A, then of B.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn pair_quad_index(bpp: usize) -> (__m512i, __mmask64) {
    let mut idx = [0u8; 64];
    let mut keep = 0u64;
    for c in 0..bpp.min(4) {
        for l in 0..4 {
            for b in 0..4 {
                let pos = c * 16 + l * 4 + b;
                let table = if l >= 2 { 64 } else { 0 };
                idx[pos] = (table + ((l % 2) * 4 + b) * bpp + c) as u8;
                keep |= 1 << pos;
            }
        }
    }
    // SAFETY: 64 readable bytes.
    (unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }, keep)
}

/// Horizontal outputs `0..n` of one row with 8-tap groups, two outputs per vector: `BPP`
/// bytes per pixel, `G` groups (0: not known at compile time).
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
fn h_row_vnni8x2<const BPP: usize, const G: usize>(
    row: &[u8],
    dst: &mut [u8],
    base: usize,
    start: &[u32],
    k82: &[i8],
    n8: usize,
    taps: usize,
    n: usize,
) {
    let groups = if G == 0 { n8 / 8 } else { G };
    assert!(groups >= 1 && groups * 8 == n8 && taps <= n8);
    // Per pair of outputs: 3 planes of `groups` 16-byte (A, B) blocks.
    let stride = 3 * 2 * n8;
    assert!(n.div_ceil(2) * stride <= k82.len() && start.len() >= n && dst.len() >= n * BPP);
    let len = row.len();
    let mask_of = |g: usize| -> __mmask64 {
        let t = (taps - (8 * g).min(taps)).min(8);
        ((1u128 << (t * BPP)) - 1) as u64
    };
    let (gidx, gkeep) = pair_quad_index(BPP);
    let oidx = out_index(BPP);
    let z = _mm512_setzero_si512();
    let mut x0 = 0;
    while x0 < n {
        let cnt = (n - x0).min(4);
        // A missing output loads the last one's pixels (its coefficients are the table's,
        // or zero padding; its result is not stored).
        let xs: [usize; 4] = std::array::from_fn(|o| x0 + o.min(cnt - 1));
        let ss: [usize; 4] = std::array::from_fn(|o| (start[xs[o]] as usize - base) * BPP);
        let mut whole = true;
        for &s in &ss {
            assert!(s + taps * BPP <= len);
            whole &= s + 8 * (groups - 1) * BPP + 32 <= len;
        }
        let mut acc = [[z; 3]; 2];
        for g in 0..groups {
            for (q, aq) in acc.iter_mut().enumerate() {
                let ld = |o: usize| {
                    let off = ss[o] + 8 * g * BPP;
                    // SAFETY: a whole load reads off..off + 32 <= len (`whole`); a masked one
                    // only the group's taps, inside s..s + taps * BPP <= len.
                    unsafe {
                        let p = row.as_ptr().add(off);
                        if whole {
                            _mm512_castsi256_si512(_mm256_loadu_si256(p.cast()))
                        } else {
                            _mm512_maskz_loadu_epi8(mask_of(g), p.cast())
                        }
                    }
                };
                let (a, b) = (ld(2 * q), ld(2 * q + 1));
                let px = _mm512_maskz_permutex2var_epi8(gkeep, a, gidx, b);
                // A pair past the last one (q = 1, cnt <= 2) reuses the last (not stored).
                let kp = (x0 / 2 + q).min(n.div_ceil(2) - 1) * stride + 16 * g;
                for (j, acc) in aq.iter_mut().enumerate() {
                    // SAFETY: kp + j * 2 * n8 + 16 <= n.div_ceil(2) * stride <= k82.len().
                    let kv = unsafe {
                        _mm512_broadcast_i32x4(_mm_loadu_si128(
                            k82.as_ptr().add(kp + j * 2 * n8).cast(),
                        ))
                    };
                    *acc = _mm512_dpbusd_epi32(*acc, px, kv);
                }
            }
        }
        let t: [__m512i; 2] = std::array::from_fn(|q| {
            let [a, b, c] = acc[q];
            let t = _mm512_add_epi32(
                _mm512_add_epi32(
                    _mm512_slli_epi32::<{ 2 * K8_SHIFT }>(a),
                    _mm512_slli_epi32::<{ K8_SHIFT }>(b),
                ),
                c,
            );
            // Lanes (A lo, A hi, B lo, B hi) -> (A, A, B, B).
            _mm512_add_epi32(t, _mm512_shuffle_epi32::<0xB1>(t))
        });
        // (A, A, B, B), (C, C, D, D) -> (A, B, C, D) in every block.
        let sum = _mm512_castps_si512(_mm512_shuffle_ps::<0x88>(
            _mm512_castsi512_ps(t[0]),
            _mm512_castsi512_ps(t[1]),
        ));
        let v = _mm512_srai_epi32::<{ PRECISION_BITS }>(_mm512_add_epi32(
            sum,
            _mm512_set1_epi32(ROUND),
        ));
        let v = _mm512_min_epi32(_mm512_max_epi32(v, z), _mm512_set1_epi32(255));
        let b = _mm512_permutexvar_epi8(oidx, v);
        // SAFETY: writes bytes x0 * BPP..(x0 + cnt) * BPP <= n * BPP <= dst.len().
        unsafe {
            _mm512_mask_storeu_epi8(
                dst.as_mut_ptr().add(x0 * BPP).cast(),
                (1u64 << (cnt * BPP)) - 1,
                b,
            )
        };
        x0 += 4;
    }
}

/// [`h_rows_vnni8`] with 8-tap groups and two outputs per vector (`vpermt2b` of the two
/// outputs' 8 pixels: lanes A taps 0..4, A 4..8, B 0..4, B 4..8 of each channel block), for
/// windows whose taps fill 16-tap groups poorly. `k82` holds, per pair of outputs (0, 1),
/// (2, 3), ... from output 0 of the window, the 3 byte planes of
/// [`super::coeffs::Axis::k82`]; `n8` is `taps` rounded up to a multiple of 8.
///
/// # Safety
/// The CPU must support AVX-512 F, BW, VBMI and VNNI.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
pub unsafe fn h_rows_vnni8x2(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    start: &[u32],
    k82: &[i8],
    n8: usize,
    taps: usize,
    bpp: usize,
    n: usize,
) {
    for (s, d) in src.iter().zip(dst.iter_mut()) {
        macro_rules! go {
            ($b:literal, $g:literal) => {
                h_row_vnni8x2::<$b, $g>(s, d, base, start, k82, n8, taps, n)
            };
        }
        match (bpp, n8 / 8) {
            (4, 1) => go!(4, 1),
            (4, 2) => go!(4, 2),
            (4, 3) => go!(4, 3),
            (4, 4) => go!(4, 4),
            (4, _) => go!(4, 0),
            (_, 1) => go!(3, 1),
            (_, 2) => go!(3, 2),
            (_, 3) => go!(3, 3),
            (_, 4) => go!(3, 4),
            _ => go!(3, 0),
        }
    }
}

/// Horizontal pass over the element blocks `b0..b1` ([`HBlocks`]) of the rows `src` (up to
/// four, each starting at byte `base` of a full source row), writing elements
/// `BLOCK * b0 - e0..BLOCK * b1 - e0` of each `dst` row (whose element 0 is element `e0`
/// of the full destination row): per block and group of 4 taps, one permute per window
/// and row (`vpermb` of one 64-byte load, or `vpermt2b` of two for 128-byte windows)
/// puts each element's 4 tap bytes in its lane, and three `vpdpbusd` add their products
/// with the coefficient byte planes (shared by the rows); then
/// `((a << 16) + (b << 8) + c + ROUND) >> 22`, clamped to 0..=255, 16 bytes per row.
///
/// # Safety
/// The CPU must support AVX-512 F, BW, VBMI and VNNI; `1 <= src.len() == dst.len() <= 4`,
/// `(b0, b1)` comes from [`HBlocks::range`] for elements inside `e0..e0 + dst[r].len()`,
/// `base` and every row's length (at least the `row_len` given there).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vnni")]
pub unsafe fn h_rows_blocks(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    hb: &HBlocks,
    b0: usize,
    b1: usize,
    e0: usize,
) {
    macro_rules! go {
        ($p:literal, $w:literal) => {
            match src.len() {
                4 => blocks_rows::<4, $p, $w>(src, dst, base, hb, b0, b1, e0),
                3 => blocks_rows::<3, $p, $w>(src, dst, base, hb, b0, b1, e0),
                2 => blocks_rows::<2, $p, $w>(src, dst, base, hb, b0, b1, e0),
                _ => blocks_rows::<1, $p, $w>(src, dst, base, hb, b0, b1, e0),
            }
        };
    }
    // SAFETY: the caller's promise.
    unsafe {
        match (hb.parts, hb.wide) {
            (1, false) => go!(1, false),
            (1, true) => go!(1, true),
            (QUARTERS, false) => go!(4, false),
            _ => unreachable!("HBlocks builds no other layout"),
        }
    }
}

/// [`h_rows_blocks`] for `R` rows, with `P` windows per block (1 or [`QUARTERS`]) of 128
/// bytes (`W`, one window only) or 64.
///
/// # Safety
/// As [`h_rows_blocks`], with `src.len() == dst.len() == R`, `P == hb.parts` and
/// `W == hb.wide`.
#[inline(always)]
unsafe fn blocks_rows<const R: usize, const P: usize, const W: bool>(
    src: &[&[u8]],
    dst: &mut [&mut [u8]],
    base: usize,
    hb: &HBlocks,
    b0: usize,
    b1: usize,
    e0: usize,
) {
    assert!(src.len() == R && dst.len() == R && hb.lo <= b0 && b0 < b1 && b1 <= hb.hi);
    assert!(BLOCK * b0 >= e0 && dst.iter().all(|d| d.len() >= BLOCK * b1 - e0));
    assert!(P == hb.parts && W == hb.wide);
    let (groups, bpp) = (hb.groups, hb.bpp);
    let sp: [*const u8; R] = std::array::from_fn(|r| src[r].as_ptr());
    let z = _mm512_setzero_si512();
    // Bytes of each quarter's lanes, hidden from the optimizer (constant masks become
    // blends).
    let qm: [__mmask64; 4] =
        std::hint::black_box([0xffff, 0xffff << 16, 0xffff << 32, 0xffff << 48]);
    for b in b0..b1 {
        let k = b - hb.lo;
        // SAFETY: `range` checked that every group's window (64 or 128 bytes) of block `b`
        // lies inside rows of `row_len` bytes from `base`; `ix` and `kc` hold the block's
        // index vector and `groups` x 3 planes; the stores write 16 bytes from element
        // `BLOCK * b - e0` of each row, inside `dst` (asserted).
        unsafe {
            let wq = hb.wb.as_ptr().add(QUARTERS * k);
            let w = [0, 1, 2, 3].map(|q| *wq.add(q) as usize - base);
            let ix = _mm512_loadu_si512(hb.ix.as_ptr().add(64 * k).cast());
            let kp = hb.kc.as_ptr().add(64 * 3 * groups * k);
            let mut acc = [[z; 3]; R];
            for g in 0..groups {
                let kq = kp.add(64 * 3 * g);
                let kv = [
                    _mm512_loadu_si512(kq.cast()),
                    _mm512_loadu_si512(kq.add(64).cast()),
                    _mm512_loadu_si512(kq.add(128).cast()),
                ];
                for r in 0..R {
                    let p = sp[r].add(4 * g * bpp);
                    let ld = |o: usize| _mm512_loadu_si512(p.add(o).cast());
                    let px = match (P, W) {
                        (1, false) => _mm512_permutexvar_epi8(ix, ld(w[0])),
                        (1, true) => _mm512_permutex2var_epi8(ld(w[0]), ix, ld(w[0] + 64)),
                        _ => {
                            let mut px = _mm512_maskz_permutexvar_epi8(qm[0], ix, ld(w[0]));
                            px = _mm512_mask_permutexvar_epi8(px, qm[1], ix, ld(w[1]));
                            px = _mm512_mask_permutexvar_epi8(px, qm[2], ix, ld(w[2]));
                            _mm512_mask_permutexvar_epi8(px, qm[3], ix, ld(w[3]))
                        }
                    };
                    for j in 0..3 {
                        acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], px, kv[j]);
                    }
                }
            }
            for r in 0..R {
                let [a, bb, c] = acc[r];
                let t = _mm512_add_epi32(
                    _mm512_add_epi32(
                        _mm512_slli_epi32::<{ 2 * K8_SHIFT }>(a),
                        _mm512_slli_epi32::<{ K8_SHIFT }>(bb),
                    ),
                    _mm512_add_epi32(c, _mm512_set1_epi32(ROUND)),
                );
                let v = _mm512_max_epi32(_mm512_srai_epi32::<{ PRECISION_BITS }>(t), z);
                _mm_storeu_si128(
                    dst[r].as_mut_ptr().add(BLOCK * b - e0).cast(),
                    _mm512_cvtusepi32_epi8(v),
                );
            }
        }
    }
}
