//! A concurrency limiter for async tasks (runtime-agnostic) and a minimal `block_on`.
//!
//! ```
//! use scipix::parallel::limiter::{block_on, ConcurrencyLimiter};
//!
//! let limiter = ConcurrencyLimiter::new(2);
//! let permit = block_on(limiter.acquire());
//! assert_eq!(limiter.available(), 1);
//! drop(permit);
//! assert_eq!(limiter.available(), 2);
//! ```

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

struct LimiterState {
    available: usize,
    /// Waiting acquirers in arrival order: (id, waker).
    waiters: VecDeque<(u64, Waker)>,
    next_id: u64,
}

struct LimiterInner {
    state: Mutex<LimiterState>,
    cv: Condvar,
    limit: usize,
}

/// Lets at most `limit` tasks run at once. Works with any executor (it only uses
/// `std::task::Waker`), and from plain threads with [`acquire_blocking`](Self::acquire_blocking).
/// Waiters are served in arrival order. Cloning gives another handle to the same limiter.
#[derive(Clone)]
pub struct ConcurrencyLimiter {
    inner: Arc<LimiterInner>,
}

/// A slot; released when dropped.
pub struct Permit {
    inner: Arc<LimiterInner>,
}

impl ConcurrencyLimiter {
    /// A limiter with `limit` slots (at least 1).
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        ConcurrencyLimiter {
            inner: Arc::new(LimiterInner {
                state: Mutex::new(LimiterState {
                    available: limit,
                    waiters: VecDeque::new(),
                    next_id: 0,
                }),
                cv: Condvar::new(),
                limit,
            }),
        }
    }

    /// Slots in total.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Free slots now.
    pub fn available(&self) -> usize {
        self.inner.lock().available
    }

    /// Takes a slot if one is free and nobody is queued.
    pub fn try_acquire(&self) -> Option<Permit> {
        let mut st = self.inner.lock();
        if st.available > 0 && st.waiters.is_empty() {
            st.available -= 1;
            Some(Permit {
                inner: Arc::clone(&self.inner),
            })
        } else {
            None
        }
    }

    /// A future that resolves to a slot.
    pub fn acquire(&self) -> Acquire {
        Acquire {
            inner: Arc::clone(&self.inner),
            id: None,
            done: false,
        }
    }

    /// Blocks the thread until a slot is free.
    pub fn acquire_blocking(&self) -> Permit {
        block_on(self.acquire())
    }

    /// Runs `fut` while holding a slot.
    pub async fn run<F: Future>(&self, fut: F) -> F::Output {
        let _permit = self.acquire().await;
        fut.await
    }
}

impl LimiterInner {
    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns a slot and wakes the first waiter.
    fn release(&self) {
        let waker = {
            let mut st = self.lock();
            st.available += 1;
            st.waiters.front().map(|(_, w)| w.clone())
        };
        self.cv.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.inner.release();
    }
}

/// Future returned by [`ConcurrencyLimiter::acquire`]. Dropping it before it completes
/// gives up its place in the queue.
pub struct Acquire {
    inner: Arc<LimiterInner>,
    id: Option<u64>,
    done: bool,
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let this = self.get_mut();
        let mut st = this.inner.lock();
        let first = match this.id {
            None => st.waiters.is_empty(),
            Some(id) => st.waiters.front().is_some_and(|(w, _)| *w == id),
        };
        if first && st.available > 0 {
            st.available -= 1;
            if let Some(id) = this.id {
                st.waiters.retain(|(w, _)| *w != id);
            }
            // The next waiter may be able to go too.
            let next = if st.available > 0 {
                st.waiters.front().map(|(_, w)| w.clone())
            } else {
                None
            };
            this.done = true;
            drop(st);
            if let Some(w) = next {
                w.wake();
            }
            return Poll::Ready(Permit {
                inner: Arc::clone(&this.inner),
            });
        }
        match this.id {
            None => {
                let id = st.next_id;
                st.next_id += 1;
                st.waiters.push_back((id, cx.waker().clone()));
                this.id = Some(id);
            }
            Some(id) => {
                if let Some(entry) = st.waiters.iter_mut().find(|(w, _)| *w == id) {
                    entry.1 = cx.waker().clone();
                }
            }
        }
        Poll::Pending
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Some(id) = self.id {
            let next = {
                let mut st = self.inner.lock();
                let was_first = st.waiters.front().is_some_and(|(w, _)| *w == id);
                st.waiters.retain(|(w, _)| *w != id);
                if was_first && st.available > 0 {
                    st.waiters.front().map(|(_, w)| w.clone())
                } else {
                    None
                }
            };
            if let Some(w) = next {
                w.wake();
            }
        }
    }
}

struct ThreadWaker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        *self.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_one();
    }
}

/// Runs a future to completion on the calling thread (a minimal executor for tests,
/// examples and callers without an async runtime).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let tw = Arc::new(ThreadWaker {
        woken: Mutex::new(false),
        cv: Condvar::new(),
    });
    let waker = Waker::from(Arc::clone(&tw));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        let mut woken = tw.woken.lock().unwrap_or_else(|e| e.into_inner());
        while !*woken {
            woken = tw.cv.wait(woken).unwrap_or_else(|e| e.into_inner());
        }
        *woken = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_limit_run_at_once() {
        let lim = ConcurrencyLimiter::new(3);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (lim, running, peak) = (lim.clone(), running.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        block_on(lim.run(async {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            std::thread::yield_now();
                            running.fetch_sub(1, Ordering::SeqCst);
                        }));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert_eq!(lim.available(), 3);
    }

    #[test]
    fn try_acquire_and_dropped_waiters() {
        let lim = ConcurrencyLimiter::new(1);
        let p = lim.try_acquire().unwrap();
        assert!(lim.try_acquire().is_none());
        // A waiter that gives up must not keep the next one from running.
        let waker = Waker::from(Arc::new(ThreadWaker {
            woken: Mutex::new(false),
            cv: Condvar::new(),
        }));
        let mut cx = Context::from_waker(&waker);
        let mut a = Box::pin(lim.acquire());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        drop(a);
        drop(p);
        let _p2 = lim.acquire_blocking();
        assert_eq!(lim.available(), 0);
    }
}
