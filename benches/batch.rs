//! Per-request overhead of the batcher: submit -> batch -> complete -> poll with a no-op
//! model (results = inputs), 1 and 8 producer threads, batch sizes 1, 16, 32; plus the
//! latency a lone request sees beyond `max_wait` (printed before the criterion groups).
//!
//!   cargo bench --bench batch -- --warm-up-time 1 --measurement-time 2
//!
//! No copy baseline: the batcher's cost is per request, not per byte moved.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use scipix::batch::{BatcherConfig, DynamicBatcher, SubmitOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQS: u64 = 8192;
const WINDOW: usize = 64;

fn batcher(max: usize) -> Arc<DynamicBatcher<u64, u64>> {
    let cfg = BatcherConfig {
        max_batch_size: max,
        preferred_batch_size: max,
        max_wait: Duration::from_millis(50),
        max_queue_size: 4096,
        ..BatcherConfig::default()
    };
    let b = Arc::new(DynamicBatcher::new(cfg).unwrap());
    // One consumer thread running the no-op model.
    b.start_workers(1, |batch| {
        let r = batch.inputs().copied().collect();
        batch.complete(r)
    })
    .unwrap();
    b
}

/// Sends `total` requests from `producers` threads (each keeps up to WINDOW in flight) and
/// returns the elapsed time.
fn run(b: &DynamicBatcher<u64, u64>, producers: u64, total: u64) -> Duration {
    let per = total / producers;
    let start = Instant::now();
    std::thread::scope(|s| {
        for p in 0..producers {
            s.spawn(move || {
                let mut window = Vec::with_capacity(WINDOW);
                for i in 0..per {
                    let v = p << 40 | i;
                    window.push((v, b.submit_id(v, SubmitOptions::default()).unwrap()));
                    if window.len() == WINDOW || i + 1 == per {
                        for (v, t) in window.drain(..) {
                            assert_eq!(b.poll(t, None).unwrap(), Some(v));
                        }
                    }
                }
            });
        }
    });
    start.elapsed()
}

fn throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch_roundtrip");
    g.throughput(Throughput::Elements(REQS));
    g.sample_size(20);
    for producers in [1u64, 8] {
        for max in [1usize, 16, 32] {
            let b = batcher(max);
            g.bench_with_input(
                BenchmarkId::new(format!("producers{producers}"), format!("batch{max}")),
                &max,
                |bench, _| {
                    bench.iter_custom(|iters| {
                        (0..iters)
                            .map(|_| run(&b, producers, REQS))
                            .sum::<Duration>()
                    })
                },
            );
            b.shutdown(scipix::batch::ShutdownMode::Drain);
        }
    }
    g.finish();
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort_unstable();
    let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// Latency of lone requests (the queue is otherwise empty, a consumer is blocked waiting):
/// with max_batch_size 1 the request is released at once, so the whole latency is
/// overhead; with a 2 ms max_wait the overhead is latency minus 2 ms.
fn lone_request_latency() {
    for (max, pref, wait_ms) in [(1usize, 0usize, 50u64), (32, 16, 2)] {
        let cfg = BatcherConfig {
            max_batch_size: max,
            preferred_batch_size: pref,
            max_wait: Duration::from_millis(wait_ms),
            ..BatcherConfig::default()
        };
        let b = DynamicBatcher::<u64, u64>::new(cfg).unwrap();
        b.start_workers(1, |batch| {
            let r = batch.inputs().copied().collect();
            batch.complete(r)
        })
        .unwrap();
        let expected_wait = if max == 1 {
            Duration::ZERO
        } else {
            Duration::from_millis(wait_ms)
        };
        let mut added = Vec::new();
        for i in 0..300u64 {
            let t0 = Instant::now();
            let t = b.submit(i).unwrap();
            assert_eq!(t.wait().unwrap(), i);
            added.push(t0.elapsed().saturating_sub(expected_wait));
        }
        let p50 = percentile(&mut added, 0.50);
        let p99 = percentile(&mut added, 0.99);
        println!(
            "lone request, max_batch {max:2}, max_wait {wait_ms:2} ms: added latency beyond the wait rule p50 {:.1} us, p99 {:.1} us",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }
    // Under load: 8 producers with 64 requests in flight each, batch 32.
    let b = batcher(32);
    let mut lat = Vec::new();
    let start = Instant::now();
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..8u64)
            .map(|p| {
                let b = &b;
                s.spawn(move || {
                    let mut lat = Vec::new();
                    let mut window = Vec::new();
                    for i in 0..4096u64 {
                        window.push((
                            Instant::now(),
                            b.submit_id(p << 40 | i, SubmitOptions::default()).unwrap(),
                        ));
                        if window.len() == WINDOW {
                            for (t0, t) in window.drain(..) {
                                b.poll(t, None).unwrap();
                                lat.push(t0.elapsed());
                            }
                        }
                    }
                    lat
                })
            })
            .collect();
        for h in hs {
            lat.extend(h.join().unwrap());
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let s = b.stats();
    let p50 = percentile(&mut lat, 0.50);
    let p99 = percentile(&mut lat, 0.99);
    println!(
        "loaded, 8 producers x 64 in flight, batch 32: {:.0} req/s, mean batch {:.1}, request latency p50 {:.1} us, p99 {:.1} us (includes queueing behind the window)",
        lat.len() as f64 / secs,
        s.mean_batch_size,
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}

criterion_group!(benches, throughput);

fn main() {
    lone_request_latency();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
