//! Candidate 256-bin histogram kernels for Otsu on 1M GRAY8 pixels (noise, photo-like, flat
//! runs), next to the shipped `threshold::scalar::histogram_add`: four or eight byte-indexed
//! sub-histograms, and AVX-512 conflict detection (`vpconflictd` + gather/scatter).
//! `cargo bench --bench otsu_histogram -- --warm-up-time 1 --measurement-time 2`
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::image::threshold::scalar::histogram_add;
use std::hint::black_box;

fn bytes4(row: &[u8], h: &mut [[u32; 256]; 4]) {
    let mut chunks = row.chunks_exact(4);
    for c in &mut chunks {
        h[0][c[0] as usize] += 1;
        h[1][c[1] as usize] += 1;
        h[2][c[2] as usize] += 1;
        h[3][c[3] as usize] += 1;
    }
    for &b in chunks.remainder() {
        h[0][b as usize] += 1;
    }
}

fn bytes8(row: &[u8], h: &mut [[u32; 256]; 8]) {
    let mut chunks = row.chunks_exact(8);
    for c in &mut chunks {
        for (k, sub) in h.iter_mut().enumerate() {
            sub[c[k] as usize] += 1;
        }
    }
    for &b in chunks.remainder() {
        h[0][b as usize] += 1;
    }
}

/// 16 bytes per step: conflict detection counts equal indices within the vector, so one
/// gather, add and scatter update the single histogram.
///
/// # Safety
/// The CPU must support AVX-512 F, CD and VPOPCNTDQ.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512cd,avx512vpopcntdq")]
unsafe fn conflict(row: &[u8], h: &mut [u32; 256]) {
    use std::arch::x86_64::*;
    let base = h.as_mut_ptr();
    let ones = _mm512_set1_epi32(1);
    let mut i = 0;
    while i + 16 <= row.len() {
        // SAFETY: 16 bytes at row[i..]; indices < 256 address inside `h`.
        unsafe {
            let idx = _mm512_cvtepu8_epi32(_mm_loadu_si128(row.as_ptr().add(i).cast()));
            // Lanes with the same index: each sees the earlier ones; the last one of a group
            // holds the whole count and, scattered last, wins.
            let cnt = _mm512_add_epi32(_mm512_popcnt_epi32(_mm512_conflict_epi32(idx)), ones);
            let old = _mm512_i32gather_epi32::<4>(idx, base.cast());
            _mm512_i32scatter_epi32::<4>(base.cast(), idx, _mm512_add_epi32(old, cnt));
        }
        i += 16;
    }
    for &b in &row[i..] {
        h[b as usize] += 1;
    }
}

fn inputs(n: usize) -> Vec<(&'static str, Vec<u8>)> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let noise = (0..n).map(|_| (next() >> 24) as u8).collect();
    let photo = (0..n)
        .map(|i| {
            let (x, y) = (i % 1024, i / 1024);
            let base = if (x / 40 + y / 30) % 3 == 0 { 60 } else { 180 };
            (base + x / 64 + (next() >> 63) as usize) as u8
        })
        .collect();
    let flat = (0..n).map(|i| (100 + (i % 1024) / 128) as u8).collect();
    vec![("noise", noise), ("photo", photo), ("flat", flat)]
}

fn bench(c: &mut Criterion) {
    let n = 1usize << 20;
    let mut g = c.benchmark_group("otsu_histogram_1M");
    g.throughput(Throughput::Elements(n as u64));
    for (kind, data) in inputs(n) {
        g.bench_with_input(BenchmarkId::new("shipped", kind), &data, |b, d| {
            b.iter(|| {
                let mut h = [[0u32; 256]; 4];
                for r in black_box(d).chunks(2048) {
                    histogram_add(r, &mut h);
                }
                h[0][100]
            })
        });
        g.bench_with_input(BenchmarkId::new("bytes4", kind), &data, |b, d| {
            b.iter(|| {
                let mut h = [[0u32; 256]; 4];
                for r in black_box(d).chunks(2048) {
                    bytes4(r, &mut h);
                }
                h[0][100]
            })
        });
        g.bench_with_input(BenchmarkId::new("bytes8", kind), &data, |b, d| {
            b.iter(|| {
                let mut h = [[0u32; 256]; 8];
                for r in black_box(d).chunks(2048) {
                    bytes8(r, &mut h);
                }
                h[0][100]
            })
        });
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512cd") && is_x86_feature_detected!("avx512vpopcntdq") {
            g.bench_with_input(BenchmarkId::new("avx512_conflict", kind), &data, |b, d| {
                b.iter(|| {
                    let mut h = [0u32; 256];
                    for r in black_box(d).chunks(2048) {
                        // SAFETY: the features were detected above.
                        unsafe { conflict(r, &mut h) };
                    }
                    h[100]
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
