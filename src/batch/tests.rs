//! Batching policy, ticket lifecycle, shutdown and worker tests. Timing uses generous
//! bounds: "not ready" checks use a 10 s max_wait, "ready by age" checks only assert a
//! lower bound on the elapsed time.

use super::*;
use crate::error::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);
const FOREVER: Option<Duration> = None;
const NOW: Option<Duration> = Some(Duration::ZERO);

fn cfg(max: usize, pref: usize, wait: Duration) -> BatcherConfig {
    BatcherConfig {
        max_batch_size: max,
        preferred_batch_size: pref,
        max_wait: wait,
        ..BatcherConfig::default()
    }
}

fn ids<T, R>(b: &Batch<T, R>) -> Vec<u64> {
    b.items().iter().map(|i| i.ticket).collect()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    crate::parallel::block_on(f)
}

#[test]
fn config_is_validated() {
    let bad = [
        (cfg(0, 0, LONG), "max_batch_size"),
        (cfg(4, 5, LONG), "preferred_batch_size"),
        (
            BatcherConfig {
                max_queue_size: 0,
                ..BatcherConfig::default()
            },
            "max_queue_size",
        ),
        (
            BatcherConfig {
                priority_levels: 0,
                ..BatcherConfig::default()
            },
            "priority_levels",
        ),
    ];
    for (c, field) in bad {
        let e = DynamicBatcher::<u32, u32>::new(c).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains(field), "{}", e.message());
    }
    let d = BatcherConfig::default();
    assert_eq!(
        (
            d.max_batch_size,
            d.max_wait,
            d.max_queue_size,
            d.preferred_batch_size
        ),
        (32, Duration::from_millis(50), 1000, 16)
    );
}

#[test]
fn batch_released_at_max_size_in_fifo_order() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(4, 0, LONG)).unwrap();
    let t: Vec<u64> = (0..3)
        .map(|i| b.submit_id(i, SubmitOptions::default()).unwrap())
        .collect();
    assert!(b.next_batch(NOW).unwrap().is_none(), "3 < max and young");
    let t4 = b.submit_id(3, SubmitOptions::default()).unwrap();
    let batch = b.next_batch(NOW).unwrap().expect("4 waiting");
    assert_eq!(ids(&batch), vec![t[0], t[1], t[2], t4]);
    assert_eq!(
        batch.inputs().copied().collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
}

#[test]
fn batch_released_at_preferred_size_and_capped_at_max() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(3, 2, LONG)).unwrap();
    b.submit_id(0, SubmitOptions::default()).unwrap();
    assert!(b.next_batch(NOW).unwrap().is_none());
    for i in 1..5 {
        b.submit_id(i, SubmitOptions::default()).unwrap();
    }
    assert_eq!(
        b.next_batch(NOW).unwrap().unwrap().len(),
        3,
        "capped at max"
    );
    assert_eq!(b.next_batch(NOW).unwrap().unwrap().len(), 2, "preferred");
}

#[test]
fn batch_released_when_oldest_waited_max_wait() {
    let wait = Duration::from_millis(30);
    let b = DynamicBatcher::<u32, u32>::new(cfg(8, 4, wait)).unwrap();
    let start = Instant::now();
    b.submit_id(7, SubmitOptions::default()).unwrap();
    let batch = b.next_batch(Some(LONG)).unwrap().expect("released by age");
    assert!(start.elapsed() >= wait, "{:?}", start.elapsed());
    assert_eq!(batch.len(), 1);
    // A consumer that waits less than the age rule gets nothing.
    b.submit_id(8, SubmitOptions::default()).unwrap();
    let b2 = DynamicBatcher::<u32, u32>::new(cfg(8, 4, LONG)).unwrap();
    b2.submit_id(1, SubmitOptions::default()).unwrap();
    assert!(b2
        .next_batch(Some(Duration::from_millis(5)))
        .unwrap()
        .is_none());
}

#[test]
fn higher_priority_served_first() {
    let c = BatcherConfig {
        priority_levels: 3,
        ..cfg(2, 0, LONG)
    };
    let b = DynamicBatcher::<u32, u32>::new(c).unwrap();
    let sub = |v, p| {
        b.submit_id(
            v,
            SubmitOptions {
                priority: p,
                deadline: None,
            },
        )
        .unwrap()
    };
    let low = sub(0, 0);
    let high1 = sub(1, 2);
    let mid = sub(2, 1);
    let high2 = sub(3, 2);
    assert_eq!(
        ids(&b.next_batch(NOW).unwrap().unwrap()),
        vec![high1, high2]
    );
    assert_eq!(ids(&b.next_batch(NOW).unwrap().unwrap()), vec![mid, low]);
    let e = b
        .submit_with(
            9,
            SubmitOptions {
                priority: 3,
                deadline: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn expired_requests_time_out_instead_of_being_batched() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(4, 0, LONG)).unwrap();
    let dead = b
        .submit_id(
            0,
            SubmitOptions {
                deadline: Some(Duration::ZERO),
                priority: 0,
            },
        )
        .unwrap();
    let alive: Vec<u64> = (1..5)
        .map(|i| {
            b.submit_id(
                i,
                SubmitOptions {
                    deadline: Some(LONG * 100),
                    priority: 0,
                },
            )
            .unwrap()
        })
        .collect();
    let mut batch = b.next_batch(NOW).unwrap().unwrap();
    assert_eq!(ids(&batch), alive);
    let e = b.poll(dead, NOW).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    batch.complete(vec![1, 2, 3, 4]).unwrap();
    let s = b.stats();
    assert_eq!((s.timed_out, s.completed, s.batches), (1, 4, 1));
}

#[test]
fn a_waiting_consumer_resolves_deadlines_without_a_full_batch() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(4, 0, LONG)).unwrap();
    let t = b
        .submit_id(
            0,
            SubmitOptions {
                deadline: Some(Duration::from_millis(20)),
                priority: 0,
            },
        )
        .unwrap();
    // The consumer wakes at the deadline, times the request out and waits on.
    assert!(b
        .next_batch(Some(Duration::from_millis(200)))
        .unwrap()
        .is_none());
    assert_eq!(b.poll(t, NOW).unwrap_err().kind(), ErrorKind::Timeout);
}

#[test]
fn deadlines_are_enforced_for_pollers_even_without_a_consumer() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(4, 0, LONG)).unwrap();
    let opts = SubmitOptions {
        deadline: Some(Duration::from_millis(10)),
        priority: 0,
    };
    let t = b.submit_with(0, opts).unwrap();
    let id = b.submit_id(1, opts).unwrap();
    // The blocked wait ends at the deadline, not at the (forever) wait limit.
    assert_eq!(t.wait().unwrap_err().kind(), ErrorKind::Timeout);
    assert_eq!(b.next_completed(FOREVER).unwrap(), Some(id));
    assert_eq!(b.poll(id, NOW).unwrap_err().kind(), ErrorKind::Timeout);
    assert_eq!(b.stats().timed_out, 2);
}

#[test]
fn complete_fail_and_poll_resolve_each_ticket_once() {
    let b = DynamicBatcher::<u32, String>::new(cfg(2, 0, LONG)).unwrap();
    let t1 = b.submit_id(1, SubmitOptions::default()).unwrap();
    let t2 = b.submit_id(2, SubmitOptions::default()).unwrap();
    assert_eq!(b.try_poll(t1).unwrap(), None, "pending");
    let mut batch = b.next_batch(NOW).unwrap().unwrap();
    let e = batch.complete(vec!["x".into()]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(!batch.is_done(), "wrong count leaves the batch open");
    let out: Vec<String> = batch.inputs().map(|v| format!("r{v}")).collect();
    batch.complete(out).unwrap();
    assert_eq!(
        batch
            .complete(vec!["a".into(), "b".into()])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidState
    );
    assert_eq!(
        batch.fail("late").unwrap_err().kind(),
        ErrorKind::InvalidState
    );
    assert_eq!(b.poll(t2, NOW).unwrap().as_deref(), Some("r2"));
    assert_eq!(b.poll(t1, FOREVER).unwrap().as_deref(), Some("r1"));
    assert_eq!(b.poll(t1, NOW).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(b.poll(999, NOW).unwrap_err().kind(), ErrorKind::NotFound);

    let t3 = b.submit_id(3, SubmitOptions::default()).unwrap();
    let t4 = b.submit_id(4, SubmitOptions::default()).unwrap();
    b.next_batch(NOW)
        .unwrap()
        .unwrap()
        .fail("model exploded")
        .unwrap();
    for t in [t3, t4] {
        let e = b.poll(t, NOW).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ProcessingFailed);
        assert_eq!(e.message(), "model exploded");
    }
    let t5 = b.submit_id(5, SubmitOptions::default()).unwrap();
    let t6 = b.submit_id(6, SubmitOptions::default()).unwrap();
    drop(b.next_batch(NOW).unwrap().unwrap());
    assert_eq!(
        b.poll(t5, NOW).unwrap_err().kind(),
        ErrorKind::ProcessingFailed
    );
    assert_eq!(
        b.poll(t6, NOW).unwrap_err().kind(),
        ErrorKind::ProcessingFailed
    );
    assert_eq!(b.live_tickets(), 0, "every taken outcome is released");
    let s = b.stats();
    assert_eq!((s.submitted, s.completed, s.failed), (6, 2, 4));
    assert_eq!(s.batch_size_histogram, vec![0, 0, 3]);
    assert_eq!(s.mean_batch_size, 2.0);
}

#[test]
fn queue_full_is_immediate_and_counted() {
    let c = BatcherConfig {
        max_queue_size: 3,
        ..cfg(8, 0, LONG)
    };
    let b = DynamicBatcher::<u32, u32>::new(c).unwrap();
    for i in 0..3 {
        b.submit(i).unwrap().into_id();
    }
    let e = b.submit(3).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueueFull);
    assert_eq!(b.stats().rejected, 1);
    assert_eq!(b.queue_size(), 3);
}

#[test]
#[cfg_attr(threadless, ignore = "needs threads")]
fn tickets_wait_await_and_release_on_drop() {
    let b = Arc::new(DynamicBatcher::<u32, u32>::new(cfg(4, 0, Duration::from_millis(1))).unwrap());
    let consumer = {
        let b = Arc::clone(&b);
        std::thread::spawn(move || {
            while let Ok(batch) = b.next_batch(FOREVER) {
                let mut batch = batch.unwrap();
                let r = batch.inputs().map(|v| v * 10).collect();
                batch.complete(r).unwrap();
            }
        })
    };
    let t1 = b.submit(1).unwrap();
    let t2 = b.submit(2).unwrap();
    let mut t3 = b.submit(3).unwrap();
    let dropped = b.submit(4).unwrap();
    drop(dropped);
    assert_eq!(t1.wait().unwrap(), 10);
    assert_eq!(block_on(t2).unwrap(), 20);
    let r = t3.wait_timeout(LONG).expect("resolved in time");
    assert_eq!(r.unwrap(), 30);
    assert_eq!(
        t3.try_take().unwrap().unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Wait until the dropped ticket's batch is done, then nothing is left.
    let t5 = b.submit(5).unwrap();
    assert_eq!(t5.wait().unwrap(), 50);
    b.shutdown(ShutdownMode::Drain);
    consumer.join().unwrap();
    assert_eq!(b.live_tickets(), 0);
}

#[test]
fn completion_queue_reports_each_ready_ticket_once() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(3, 0, LONG)).unwrap();
    let t: Vec<u64> = (0..3)
        .map(|i| b.submit_id(i, SubmitOptions::default()).unwrap())
        .collect();
    assert_eq!(b.next_completed(NOW).unwrap(), None);
    b.next_batch(NOW)
        .unwrap()
        .unwrap()
        .complete(vec![0, 1, 2])
        .unwrap();
    assert_eq!(b.poll(t[1], NOW).unwrap(), Some(1), "taken before reported");
    assert_eq!(b.next_completed(NOW).unwrap(), Some(t[0]));
    assert_eq!(b.next_completed(NOW).unwrap(), Some(t[2]), "t1 skipped");
    assert_eq!(b.next_completed(NOW).unwrap(), None);
    b.shutdown(ShutdownMode::Drain);
    assert_eq!(
        b.next_completed(FOREVER).unwrap_err().kind(),
        ErrorKind::ShutDown
    );
}

#[test]
fn drain_flushes_the_queue_then_reports_shut_down() {
    let b = DynamicBatcher::<u32, u32>::new(cfg(2, 0, LONG)).unwrap();
    let t: Vec<u64> = (0..3)
        .map(|i| b.submit_id(i, SubmitOptions::default()).unwrap())
        .collect();
    let mut first = b.next_batch(NOW).unwrap().unwrap();
    b.shutdown(ShutdownMode::Drain);
    assert_eq!(b.submit(9).unwrap_err().kind(), ErrorKind::ShutDown);
    let mut rest = b
        .next_batch(NOW)
        .unwrap()
        .expect("released at once when draining");
    assert_eq!(ids(&rest), vec![t[2]]);
    assert_eq!(
        b.next_batch(FOREVER).unwrap_err().kind(),
        ErrorKind::ShutDown
    );
    first.complete(vec![0, 1]).unwrap();
    rest.complete(vec![2]).unwrap();
    for (i, id) in t.iter().enumerate() {
        assert_eq!(b.poll(*id, NOW).unwrap(), Some(i as u32));
    }
}

#[test]
#[cfg_attr(threadless, ignore = "needs threads")]
fn cancel_resolves_queued_and_wakes_blocked_consumers_and_pollers() {
    let b = Arc::new(DynamicBatcher::<u32, u32>::new(cfg(4, 0, LONG)).unwrap());
    let queued = b.submit_id(1, SubmitOptions::default()).unwrap();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let b = Arc::clone(&b);
            std::thread::spawn(move || b.next_batch(FOREVER).map(|o| o.is_some()))
        })
        .collect();
    let poller = {
        let b = Arc::clone(&b);
        std::thread::spawn(move || b.poll(queued, FOREVER))
    };
    std::thread::sleep(Duration::from_millis(20)); // let them block (not required for correctness)
    b.shutdown(ShutdownMode::Cancel);
    for c in consumers {
        assert_eq!(c.join().unwrap().unwrap_err().kind(), ErrorKind::ShutDown);
    }
    assert_eq!(
        poller.join().unwrap().unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    let s = b.stats();
    assert_eq!((s.submitted, s.cancelled, s.queue_depth), (1, 1, 0));
}

#[test]
fn dropping_the_batcher_with_work_in_flight_is_safe() {
    let b = DynamicBatcher::<Vec<u8>, Vec<u8>>::new(cfg(2, 0, LONG)).unwrap();
    let t1 = b.submit(vec![1]).unwrap();
    let t2 = b.submit(vec![2]).unwrap();
    let t3 = b.submit(vec![3]).unwrap();
    let mut batch = b.next_batch(NOW).unwrap().unwrap();
    drop(b);
    assert_eq!(t3.wait().unwrap_err().kind(), ErrorKind::Cancelled);
    batch.complete(vec![vec![10], vec![20]]).unwrap();
    assert_eq!(t1.wait().unwrap(), vec![10]);
    assert_eq!(t2.wait().unwrap(), vec![20]);
}

#[test]
#[cfg_attr(
    any(threadless, not(panic = "unwind")),
    ignore = "needs threads and unwinding"
)]
fn workers_run_the_handler_and_contain_its_failures() {
    let b = DynamicBatcher::<i32, i32>::new(cfg(1, 0, LONG)).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    b.start_workers(2, move |batch| {
        c2.fetch_add(1, Ordering::SeqCst);
        let v = batch.items()[0].input;
        match v {
            -1 => panic!("boom"),
            -2 => Err(crate::Error::invalid("bad input")),
            -3 => Ok(()),
            _ => batch.complete(vec![v + 1]),
        }
    })
    .unwrap();
    assert_eq!(b.submit(41).unwrap().wait().unwrap(), 42);
    let e = b.submit(-1).unwrap().wait().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProcessingFailed);
    assert!(e.message().contains("panicked: boom"), "{}", e.message());
    let e = b.submit(-2).unwrap().wait().unwrap_err();
    assert_eq!(e.message(), "bad input");
    let e = b.submit(-3).unwrap().wait().unwrap_err();
    assert!(e.message().contains("without completing"));
    assert_eq!(b.submit(1).unwrap().wait().unwrap(), 2, "workers survive");
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    assert_eq!(
        b.start_workers(0, |_| Ok(())).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    b.shutdown(ShutdownMode::Drain);
    b.join_workers();
    assert_eq!(
        b.start_workers(1, |_| Ok(())).unwrap_err().kind(),
        ErrorKind::ShutDown
    );
}

#[test]
#[cfg_attr(threadless, ignore = "needs threads")]
fn many_threads_every_ticket_resolved_once_and_stats_add_up() {
    let c = BatcherConfig {
        max_queue_size: 64,
        ..cfg(8, 4, Duration::from_millis(1))
    };
    let b = Arc::new(DynamicBatcher::<u64, u64>::new(c).unwrap());
    b.start_workers(2, |batch| {
        if batch.items()[0].input % 7 == 0 {
            return batch.fail("every 7th");
        }
        let r = batch.inputs().map(|v| v * 3).collect();
        batch.complete(r)
    })
    .unwrap();
    let producers: Vec<_> = (0..4u64)
        .map(|p| {
            let b = Arc::clone(&b);
            std::thread::spawn(move || {
                let (mut ok, mut failed, mut rejected) = (0u64, 0u64, 0u64);
                let mut tickets = Vec::new();
                for i in 0..500u64 {
                    let v = p * 1000 + i;
                    match b.submit(v) {
                        Ok(t) => tickets.push((v, t)),
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::QueueFull);
                            rejected += 1;
                        }
                    }
                    if tickets.len() >= 16 {
                        for (v, t) in tickets.drain(..) {
                            match t.wait() {
                                Ok(r) => {
                                    assert_eq!(r, v * 3);
                                    ok += 1;
                                }
                                Err(e) => {
                                    assert_eq!(e.kind(), ErrorKind::ProcessingFailed);
                                    failed += 1;
                                }
                            }
                        }
                    }
                }
                for (v, t) in tickets {
                    match t.wait() {
                        Ok(r) => {
                            assert_eq!(r, v * 3);
                            ok += 1
                        }
                        Err(_) => failed += 1,
                    }
                }
                (ok, failed, rejected)
            })
        })
        .collect();
    let (mut ok, mut failed, mut rejected) = (0, 0, 0);
    for p in producers {
        let (o, f, r) = p.join().unwrap();
        ok += o;
        failed += f;
        rejected += r;
    }
    let s = b.stats();
    assert_eq!(ok + failed + rejected, 2000);
    assert_eq!((s.completed, s.failed, s.rejected), (ok, failed, rejected));
    assert_eq!(
        s.submitted,
        s.completed
            + s.failed
            + s.timed_out
            + s.cancelled
            + s.queue_depth as u64
            + s.in_flight as u64
    );
    assert_eq!(s.batch_size_histogram.iter().sum::<u64>(), s.batches);
    assert!(s.processing_p99 >= s.processing_p50);
    assert_eq!(b.live_tickets(), 0);
}

#[test]
fn adaptive_size_shrinks_under_slow_model_and_grows_under_fast() {
    // Measured time, generous bounds: a loaded machine only makes batches slower, which
    // can only shrink the size further, so "slow" checks an upper bound and "fast" uses a
    // target far above a no-op batch.
    let run = |per_item: Duration, target: Duration| {
        let c = BatcherConfig {
            adaptive_target: Some(target),
            max_queue_size: 4096,
            ..cfg(32, 16, Duration::from_millis(1))
        };
        let b = DynamicBatcher::<u32, u32>::new(c).unwrap();
        for _ in 0..30 {
            let tickets: Vec<_> = (0..32).map(|i| b.submit(i).unwrap()).collect();
            while let Some(mut batch) = b.next_batch(NOW).unwrap() {
                std::thread::sleep(per_item * batch.len() as u32);
                let r = batch.inputs().copied().collect();
                batch.complete(r).unwrap();
            }
            // Leftovers younger than max_wait: flush by age.
            while b.queue_size() > 0 {
                let mut batch = b.next_batch(Some(LONG)).unwrap().unwrap();
                let r = batch.inputs().copied().collect();
                batch.complete(r).unwrap();
            }
            drop(tickets);
        }
        b.stats().effective_batch_size
    };
    let slow = run(Duration::from_millis(1), Duration::from_millis(4));
    assert!(slow <= 6, "slow model: effective size {slow}");
    let fast = run(Duration::ZERO, Duration::from_millis(200));
    assert_eq!(fast, 32, "fast model");
}
