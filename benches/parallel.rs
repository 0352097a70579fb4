//! Parallel map (parallel vs sequential at 100/1000/10000 items), buffer pool vs direct
//! allocation, arena vs Vec.
//!
//!   cargo bench --bench parallel -- --warm-up-time 1 --measurement-time 2
//!
//! No copy baseline: these measure scheduling and allocation overhead, not memory traffic.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use scipix::memory::{Arena, BufferPool, GlobalPools};
use scipix::parallel::{parallel_map_chunked, parallel_unbalanced};
use std::hint::black_box;

/// A few microseconds of arithmetic per item, like a small per-item preprocessing step.
fn work(x: &u64) -> u64 {
    let mut h = *x;
    for _ in 0..200 {
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0x1234;
    }
    h
}

fn parallel_map(c: &mut Criterion) {
    let mut g = c.benchmark_group("parallel_map");
    for n in [100usize, 1000, 10000] {
        let items: Vec<u64> = (0..n as u64).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("sequential", n), &items, |b, v| {
            b.iter(|| black_box(v.iter().map(work).collect::<Vec<_>>()))
        });
        g.bench_with_input(BenchmarkId::new("chunked", n), &items, |b, v| {
            b.iter(|| black_box(parallel_map_chunked(v, 0, 0, work)))
        });
        g.bench_with_input(BenchmarkId::new("unbalanced", n), &items, |b, v| {
            b.iter(|| black_box(parallel_unbalanced(v, work)))
        });
    }
    g.finish();
}

fn buffers(c: &mut Criterion) {
    let mut g = c.benchmark_group("buffer_alloc");
    for size in [1usize << 10, 64 << 10, 1 << 20] {
        let pool = BufferPool::new(size, 4);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(
            BenchmarkId::new("direct_vec_zeroed", size),
            &size,
            |b, &s| {
                b.iter(|| {
                    let mut v = vec![0u8; s];
                    v[s / 2] = 1;
                    black_box(&v);
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("buffer_pool", size), &size, |b, &s| {
            b.iter(|| {
                let mut v = pool.get(s);
                v[s / 2] = 1;
                black_box(&v[..]);
            })
        });
        g.bench_with_input(BenchmarkId::new("global_pools", size), &size, |b, &s| {
            b.iter(|| {
                let mut v = GlobalPools::get(s);
                v[s / 2] = 1;
                black_box(&v[..]);
            })
        });
    }
    g.finish();
}

fn arena(c: &mut Criterion) {
    let mut g = c.benchmark_group("small_allocs_x1000");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("vec", |b| {
        b.iter(|| {
            let v: Vec<Vec<u32>> = (0..1000).map(|i| vec![i as u32; 16]).collect();
            black_box(&v);
        })
    });
    let mut arena = Arena::with_capacity(1 << 20);
    g.bench_function("arena", |b| {
        b.iter(|| {
            {
                let v: Vec<&mut [u32]> =
                    (0..1000).map(|i| arena.alloc_slice(16, i as u32)).collect();
                black_box(&v);
            }
            arena.reset();
        })
    });
    g.finish();
}

criterion_group!(benches, parallel_map, buffers, arena);
criterion_main!(benches);
