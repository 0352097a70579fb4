//! Pipeline executors: each stage runs on its own thread, connected by bounded queues,
//! so a fast stage blocks (instead of buffering without limit) when the next one is slow.
//!
//! ```
//! use scipix::parallel::pipeline::pipeline2;
//!
//! // Stage 1 (decode) and stage 2 (process) run on their own threads, 4 items in between.
//! let out = pipeline2(1..=5, 4, |x: u32| x * 10, |y: u32| y + 1)?;
//! assert_eq!(out, [11, 21, 31, 41, 51]);
//! # Ok::<(), scipix::Error>(())
//! ```

use crate::error::{Error, Result};
use std::sync::mpsc::sync_channel;

fn check_capacity(capacity: usize) -> Result<()> {
    if capacity == 0 {
        return Err(Error::invalid("pipeline queue capacity must be >= 1"));
    }
    Ok(())
}

fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Runs `stage1` then `stage2` over `inputs`, the stages on two threads with at most
/// `capacity` items queued between them. Output order equals input order. A panic in a
/// stage is re-raised on the caller. Errors: `InvalidArgument` for `capacity == 0`.
pub fn pipeline2<I, A, B, C, F1, F2>(
    inputs: I,
    capacity: usize,
    stage1: F1,
    stage2: F2,
) -> Result<Vec<C>>
where
    I: IntoIterator<Item = A> + Send,
    A: Send,
    B: Send,
    C: Send,
    F1: FnMut(A) -> B + Send,
    F2: FnMut(B) -> C + Send,
{
    check_capacity(capacity)?;
    let (tx, rx) = sync_channel::<B>(capacity);
    let mut stage1 = stage1;
    let mut stage2 = stage2;
    // `move`: a panicking last stage drops the receiver while unwinding, which ends the
    // earlier stages (their sends fail) before the scope joins them.
    Ok(std::thread::scope(move |s| {
        let producer = s.spawn(move || {
            for a in inputs {
                if tx.send(stage1(a)).is_err() {
                    break;
                }
            }
        });
        let out: Vec<C> = rx.iter().map(&mut stage2).collect();
        join(producer);
        out
    }))
}

/// Three stages on three threads with bounded queues of `capacity` between them; as
/// [`pipeline2`].
pub fn pipeline3<I, A, B, C, D, F1, F2, F3>(
    inputs: I,
    capacity: usize,
    stage1: F1,
    stage2: F2,
    stage3: F3,
) -> Result<Vec<D>>
where
    I: IntoIterator<Item = A> + Send,
    A: Send,
    B: Send,
    C: Send,
    D: Send,
    F1: FnMut(A) -> B + Send,
    F2: FnMut(B) -> C + Send,
    F3: FnMut(C) -> D + Send,
{
    check_capacity(capacity)?;
    let (tx1, rx1) = sync_channel::<B>(capacity);
    let (tx2, rx2) = sync_channel::<C>(capacity);
    let (mut stage1, mut stage2, mut stage3) = (stage1, stage2, stage3);
    // `move`: a panicking last stage drops the receiver while unwinding, which ends the
    // earlier stages (their sends fail) before the scope joins them.
    Ok(std::thread::scope(move |s| {
        let first = s.spawn(move || {
            for a in inputs {
                if tx1.send(stage1(a)).is_err() {
                    break;
                }
            }
        });
        let second = s.spawn(move || {
            for b in rx1 {
                if tx2.send(stage2(b)).is_err() {
                    break;
                }
            }
        });
        let out: Vec<D> = rx2.iter().map(&mut stage3).collect();
        join(first);
        join(second);
        out
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn stages_preserve_order_and_queues_are_bounded() {
        let out = pipeline2(0..100u32, 2, |x| x + 1, |x| x * 2).unwrap();
        assert_eq!(out, (0..100).map(|x| (x + 1) * 2).collect::<Vec<_>>());
        // Stage 1 can run at most `capacity` (+1 in hand, +1 being received) ahead.
        let produced = AtomicUsize::new(0);
        let max_ahead = AtomicUsize::new(0);
        let consumed = AtomicUsize::new(0);
        pipeline2(
            0..200u32,
            3,
            |x| {
                produced.fetch_add(1, Ordering::SeqCst);
                x
            },
            |x| {
                let ahead = produced.load(Ordering::SeqCst) - consumed.load(Ordering::SeqCst);
                max_ahead.fetch_max(ahead, Ordering::SeqCst);
                consumed.fetch_add(1, Ordering::SeqCst);
                x
            },
        )
        .unwrap();
        assert!(max_ahead.load(Ordering::SeqCst) <= 3 + 2);
        let out = pipeline3(
            vec!["a", "bb", "ccc"],
            1,
            |s| s.len(),
            |n| n * 10,
            |n| format!("{n}"),
        )
        .unwrap();
        assert_eq!(out, vec!["10", "20", "30"]);
        assert!(pipeline2(0..1, 0, |x| x, |x| x).is_err());
    }

    #[test]
    fn a_panicking_stage_propagates_without_hanging() {
        for last in [false, true] {
            let r = std::panic::catch_unwind(|| {
                pipeline3(
                    0..10_000u32,
                    1,
                    |x| x,
                    |x| {
                        assert!(last || x < 50, "stage 2 fails");
                        x
                    },
                    |x| {
                        assert!(!last || x < 50, "stage 3 fails");
                        x
                    },
                )
            });
            assert!(r.is_err());
        }
    }
}
