//! The dynamic batcher: a queue of requests, consumers that take batches, producers that
//! poll tickets. One `Mutex` guards all state; two `Condvar`s wake consumers (new work,
//! shutdown) and pollers (resolutions). Waits are skipped when nobody waits, so the
//! uncontended path makes no system call.

use super::adaptive::AdaptiveController;
use super::config::{BatcherConfig, SubmitOptions};
use super::stats::{percentiles_of, BatcherStats, Samples};
use super::ticket::{Ticket, TicketHost};
use crate::error::{Error, ErrorKind, Result};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Ticket numbers are sequential; a multiplicative hash spreads them over the table.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type SlotMap<R> = HashMap<u64, Slot<R>, BuildHasherDefault<IdHasher>>;

/// How [`DynamicBatcher::shutdown`] treats queued requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// Stop accepting; consumers still get every queued request (batches are released at
    /// once, without waiting for the size or time rules); then `next_batch` says `ShutDown`.
    Drain,
    /// Stop accepting and resolve every queued request as `Cancelled` now. Batches already
    /// handed out can still be completed.
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Running,
    Draining,
    Cancelled,
}

struct Slot<R> {
    outcome: Option<Result<R>>,
    waker: Option<Waker>,
    abandoned: bool,
}

struct Pending<T> {
    id: u64,
    input: T,
    enqueued: Instant,
    deadline: Option<Instant>,
}

#[derive(Default)]
struct Counters {
    submitted: u64,
    completed: u64,
    rejected: u64,
    timed_out: u64,
    failed: u64,
    cancelled: u64,
    batches: u64,
    batched_items: u64,
}

struct State<T, R> {
    mode: Mode,
    next_id: u64,
    /// One FIFO per priority level; the last one is served first.
    queues: Vec<VecDeque<Pending<T>>>,
    queued: usize,
    /// A lower bound of the earliest deadline among queued requests.
    earliest_deadline: Option<Instant>,
    slots: SlotMap<R>,
    completions: VecDeque<u64>,
    consumers_waiting: usize,
    pollers_waiting: usize,
    in_flight: usize,
    counters: Counters,
    histogram: Vec<u64>,
    queue_wait: Samples,
    processing: Samples,
    adaptive: Option<AdaptiveController>,
    workers: usize,
}

impl<T, R> State<T, R> {
    fn effective_max(&self, cfg: &BatcherConfig) -> usize {
        self.adaptive
            .as_ref()
            .map_or(cfg.max_batch_size, |a| a.size())
    }

    fn ready_threshold(&self, cfg: &BatcherConfig) -> usize {
        let eff = self.effective_max(cfg);
        if cfg.preferred_batch_size > 0 {
            cfg.preferred_batch_size.min(eff)
        } else {
            eff
        }
    }

    fn oldest(&self) -> Option<Instant> {
        self.queues
            .iter()
            .filter_map(|q| q.front().map(|p| p.enqueued))
            .min()
    }

    /// Stores an outcome (or drops it if the ticket was abandoned) and queues its waker.
    fn resolve(&mut self, id: u64, outcome: Result<R>, wakers: &mut Vec<Waker>) {
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        if slot.abandoned {
            self.slots.remove(&id);
            return;
        }
        if let Some(w) = slot.waker.take() {
            wakers.push(w);
        }
        slot.outcome = Some(outcome);
        self.completions.push_back(id);
    }

    /// Drops completion-queue entries whose outcome was already taken, once they are the
    /// majority (amortized O(1) per resolution).
    fn trim_completions(&mut self) {
        if self.completions.len() > 1024 && self.completions.len() > 2 * self.slots.len() {
            let slots = &self.slots;
            self.completions
                .retain(|id| slots.get(id).is_some_and(|s| s.outcome.is_some()));
        }
    }

    /// Resolves queued requests whose deadline passed as `Timeout`; returns how many.
    fn expire(&mut self, now: Instant, wakers: &mut Vec<Waker>) -> usize {
        match self.earliest_deadline {
            Some(d) if d <= now => {}
            _ => return 0,
        }
        let mut expired = Vec::new();
        let mut earliest: Option<Instant> = None;
        for q in &mut self.queues {
            q.retain(|p| match p.deadline {
                Some(d) if d <= now => {
                    expired.push(p.id);
                    false
                }
                Some(d) => {
                    earliest = Some(earliest.map_or(d, |e| e.min(d)));
                    true
                }
                None => true,
            });
        }
        self.earliest_deadline = earliest;
        self.queued -= expired.len();
        self.counters.timed_out += expired.len() as u64;
        for &id in &expired {
            self.resolve(
                id,
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("request {id}: deadline passed while queued"),
                )),
                wakers,
            );
        }
        self.trim_completions();
        expired.len()
    }
}

/// State shared by the batcher, its batches, tickets and worker threads.
pub(crate) struct Shared<T, R> {
    cfg: BatcherConfig,
    state: Mutex<State<T, R>>,
    work_cv: Condvar,
    done_cv: Condvar,
}

fn wake_all(wakers: &mut Vec<Waker>) {
    for w in wakers.drain(..) {
        w.wake();
    }
}

fn deadline_after(now: Instant, wait: Option<Duration>) -> Option<Instant> {
    wait.and_then(|w| now.checked_add(w))
}

impl<T, R> Shared<T, R> {
    fn lock(&self) -> MutexGuard<'_, State<T, R>> {
        // State is consistent at every unlock; a panic elsewhere does not invalidate it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits on `cv` until `until` (or forever), keeping the waiter count.
    fn wait_on<'a>(
        &self,
        cv: &Condvar,
        mut st: MutexGuard<'a, State<T, R>>,
        now: Instant,
        until: Option<Instant>,
        consumer: bool,
    ) -> MutexGuard<'a, State<T, R>> {
        if consumer {
            st.consumers_waiting += 1;
        } else {
            st.pollers_waiting += 1;
        }
        let mut st = match until {
            Some(t) => {
                cv.wait_timeout(st, t.saturating_duration_since(now))
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => cv.wait(st).unwrap_or_else(|e| e.into_inner()),
        };
        if consumer {
            st.consumers_waiting -= 1;
        } else {
            st.pollers_waiting -= 1;
        }
        st
    }

    /// Times out expired queued requests and wakes their waiters; returns the (re-taken)
    /// guard and whether anything was resolved.
    fn expire_now<'a>(
        &'a self,
        mut st: MutexGuard<'a, State<T, R>>,
        now: Instant,
    ) -> (MutexGuard<'a, State<T, R>>, bool) {
        let mut wakers = Vec::new();
        if st.expire(now, &mut wakers) == 0 {
            return (st, false);
        }
        self.notify_pollers(&st);
        if !wakers.is_empty() {
            drop(st);
            wake_all(&mut wakers);
            st = self.lock();
        }
        (st, true)
    }

    /// Waits on `done_cv` until `poll` has an answer (`Some`) or `wait` (None = forever)
    /// runs out (`Ok(None)`). Expires queued deadlines before every poll and also wakes at
    /// the next one, so expired requests are reported promptly even when no consumer runs.
    fn wait_done<X>(
        &self,
        wait: Option<Duration>,
        mut poll: impl FnMut(&mut State<T, R>) -> Option<Result<X>>,
    ) -> Result<Option<X>> {
        let until = deadline_after(Instant::now(), wait);
        let forever = wait.is_none() || until.is_none();
        let mut st = self.lock();
        loop {
            if st.earliest_deadline.is_some() {
                st = self.expire_now(st, Instant::now()).0;
            }
            if let Some(answer) = poll(&mut st) {
                return answer.map(Some);
            }
            let now = Instant::now();
            if !forever && until.is_some_and(|u| now >= u) {
                return Ok(None);
            }
            let wake_at = Self::poller_wake_at(&st, if forever { None } else { until });
            st = self.wait_on(&self.done_cv, st, now, wake_at, false);
        }
    }

    /// The earlier of `until` (None = forever) and the next queued deadline.
    fn poller_wake_at(st: &State<T, R>, until: Option<Instant>) -> Option<Instant> {
        match (until, st.earliest_deadline) {
            (Some(u), Some(d)) => Some(u.min(d)),
            (u, d) => u.or(d),
        }
    }

    fn notify_pollers(&self, st: &State<T, R>) {
        if st.pollers_waiting > 0 {
            self.done_cv.notify_all();
        }
    }

    fn submit(&self, input: T, opts: SubmitOptions) -> Result<u64> {
        if opts.priority >= self.cfg.priority_levels {
            return Err(Error::invalid(format!(
                "priority {} is outside 0..{}",
                opts.priority, self.cfg.priority_levels
            )));
        }
        let now = Instant::now();
        let deadline = opts.deadline.and_then(|d| now.checked_add(d));
        let mut st = self.lock();
        if st.mode != Mode::Running {
            return Err(Error::new(
                ErrorKind::ShutDown,
                "the batcher is shut down and accepts no requests",
            ));
        }
        if st.queued >= self.cfg.max_queue_size {
            st.counters.rejected += 1;
            return Err(Error::new(
                ErrorKind::QueueFull,
                format!(
                    "queue is full ({} requests waiting)",
                    self.cfg.max_queue_size
                ),
            ));
        }
        let id = st.next_id;
        st.next_id += 1;
        st.slots.insert(
            id,
            Slot {
                outcome: None,
                waker: None,
                abandoned: false,
            },
        );
        st.queues[opts.priority].push_back(Pending {
            id,
            input,
            enqueued: now,
            deadline,
        });
        st.queued += 1;
        st.counters.submitted += 1;
        let mut new_earliest = false;
        if let Some(d) = deadline {
            if st.earliest_deadline.is_none_or(|e| d < e) {
                st.earliest_deadline = Some(d);
                new_earliest = true;
            }
        }
        let notify = st.consumers_waiting > 0
            && (st.queued == 1 || st.queued >= st.ready_threshold(&self.cfg) || new_earliest);
        drop(st);
        if notify {
            self.work_cv.notify_one();
        }
        Ok(id)
    }

    fn next_batch(self: &Arc<Self>, wait: Option<Duration>) -> Result<Option<Batch<T, R>>> {
        let until = deadline_after(Instant::now(), wait);
        let forever = wait.is_none() || until.is_none();
        let mut st = self.lock();
        loop {
            let now = Instant::now();
            let (guard, expired) = self.expire_now(st, now);
            st = guard;
            if expired {
                continue;
            }
            if st.mode == Mode::Cancelled {
                return Err(shut_down_error());
            }
            let oldest = st.oldest();
            if let Some(oldest) = oldest {
                let aged = oldest
                    .checked_add(self.cfg.max_wait)
                    .is_some_and(|t| t <= now);
                if st.mode == Mode::Draining || st.queued >= st.ready_threshold(&self.cfg) || aged {
                    return Ok(Some(self.form_batch(&mut st, now)));
                }
            } else if st.mode == Mode::Draining {
                return Err(shut_down_error());
            }
            if !forever && until.is_some_and(|u| now >= u) {
                return Ok(None);
            }
            let mut wake_at = if forever { None } else { until };
            let mut consider = |t: Option<Instant>| {
                if let Some(t) = t {
                    wake_at = Some(wake_at.map_or(t, |w| w.min(t)));
                }
            };
            consider(oldest.and_then(|o| o.checked_add(self.cfg.max_wait)));
            consider(st.earliest_deadline);
            st = self.wait_on(&self.work_cv, st, now, wake_at, true);
        }
    }

    fn form_batch(self: &Arc<Self>, st: &mut State<T, R>, now: Instant) -> Batch<T, R> {
        let limit = st.effective_max(&self.cfg);
        let mut items = Vec::with_capacity(limit.min(st.queued));
        for q in st.queues.iter_mut().rev() {
            while items.len() < limit {
                let Some(p) = q.pop_front() else { break };
                st.queue_wait
                    .push(now.saturating_duration_since(p.enqueued));
                items.push(BatchItem {
                    ticket: p.id,
                    input: p.input,
                });
            }
            if items.len() == limit {
                break;
            }
        }
        let n = items.len();
        st.queued -= n;
        if st.queued == 0 {
            st.earliest_deadline = None;
        }
        st.in_flight += n;
        st.counters.batches += 1;
        st.counters.batched_items += n as u64;
        st.histogram[n] += 1;
        Batch {
            shared: Arc::clone(self),
            items,
            started: Instant::now(),
            done: false,
        }
    }

    fn finish(
        &self,
        items: &mut [BatchItem<T>],
        outcomes: impl Iterator<Item = Result<R>>,
        started: Instant,
    ) {
        let elapsed = started.elapsed();
        let n = items.len();
        let mut wakers = Vec::new();
        let mut st = self.lock();
        let mut ok = 0u64;
        for (item, outcome) in items.iter().zip(outcomes) {
            ok += u64::from(outcome.is_ok());
            st.resolve(item.ticket, outcome, &mut wakers);
        }
        st.in_flight -= n;
        st.counters.completed += ok;
        st.counters.failed += n as u64 - ok;
        st.processing.push(elapsed);
        let before = st.ready_threshold(&self.cfg);
        if let Some(a) = st.adaptive.as_mut() {
            a.record(n, elapsed);
        }
        st.trim_completions();
        self.notify_pollers(&st);
        let wake_consumer = st.consumers_waiting > 0
            && (st.ready_threshold(&self.cfg) < before
                || (st.mode == Mode::Draining && st.queued == 0));
        drop(st);
        if wake_consumer {
            self.work_cv.notify_all();
        }
        wake_all(&mut wakers);
    }

    fn next_completed(&self, wait: Option<Duration>) -> Result<Option<u64>> {
        self.wait_done(wait, |st| {
            while let Some(id) = st.completions.pop_front() {
                if st.slots.get(&id).is_some_and(|s| s.outcome.is_some()) {
                    return Some(Ok(id));
                }
            }
            if st.mode != Mode::Running && st.queued == 0 && st.in_flight == 0 {
                return Some(Err(shut_down_error()));
            }
            None
        })
    }

    fn shutdown(&self, mode: ShutdownMode) {
        let mut wakers = Vec::new();
        let mut st = self.lock();
        match mode {
            ShutdownMode::Drain => {
                if st.mode == Mode::Running {
                    st.mode = Mode::Draining;
                }
            }
            ShutdownMode::Cancel => {
                st.mode = Mode::Cancelled;
                let mut ids = Vec::with_capacity(st.queued);
                for q in &mut st.queues {
                    ids.extend(q.drain(..).map(|p| p.id));
                }
                st.queued = 0;
                st.earliest_deadline = None;
                st.counters.cancelled += ids.len() as u64;
                for id in ids {
                    st.resolve(
                        id,
                        Err(Error::new(
                            ErrorKind::Cancelled,
                            format!("request {id} was cancelled by shutdown"),
                        )),
                        &mut wakers,
                    );
                }
                st.trim_completions();
            }
        }
        drop(st);
        self.work_cv.notify_all();
        self.done_cv.notify_all();
        wake_all(&mut wakers);
    }

    fn stats(&self) -> BatcherStats {
        let st = self.lock();
        let c = &st.counters;
        let (queue_wait, processing) = (st.queue_wait.snapshot(), st.processing.snapshot());
        let mut stats = BatcherStats {
            queue_depth: st.queued,
            in_flight: st.in_flight,
            submitted: c.submitted,
            completed: c.completed,
            rejected: c.rejected,
            timed_out: c.timed_out,
            failed: c.failed,
            cancelled: c.cancelled,
            batches: c.batches,
            batch_size_histogram: st.histogram.clone(),
            mean_batch_size: if c.batches == 0 {
                0.0
            } else {
                c.batched_items as f64 / c.batches as f64
            },
            effective_batch_size: st.effective_max(&self.cfg),
            ..BatcherStats::default()
        };
        drop(st);
        (stats.queue_wait_p50, stats.queue_wait_p99) = percentiles_of(queue_wait);
        (stats.processing_p50, stats.processing_p99) = percentiles_of(processing);
        stats
    }
}

fn shut_down_error() -> Error {
    Error::new(
        ErrorKind::ShutDown,
        "the batcher is shut down and no queued request is left",
    )
}

impl<T: Send, R: Send> TicketHost<R> for Shared<T, R> {
    fn take(&self, id: u64, wait: Option<Duration>) -> Result<Option<R>> {
        self.wait_done(wait, |st| match st.slots.get(&id) {
            None => Some(Err(Error::new(
                ErrorKind::NotFound,
                format!("ticket {id} is unknown or its outcome was already taken"),
            ))),
            Some(slot) if slot.outcome.is_some() => st.slots.remove(&id).expect("present").outcome,
            Some(_) => None,
        })
    }

    fn take_or_register(&self, id: u64, waker: &Waker) -> Option<Result<R>> {
        let mut st = self.lock();
        match st.slots.get_mut(&id) {
            None => Some(Err(Error::new(
                ErrorKind::NotFound,
                format!("ticket {id} is unknown or its outcome was already taken"),
            ))),
            Some(slot) if slot.outcome.is_some() => {
                let slot = st.slots.remove(&id).expect("present");
                slot.outcome
            }
            Some(slot) => {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    slot.waker = Some(waker.clone());
                }
                None
            }
        }
    }

    fn abandon(&self, id: u64) {
        let mut st = self.lock();
        if let Some(slot) = st.slots.get_mut(&id) {
            if slot.outcome.is_some() {
                st.slots.remove(&id);
            } else {
                slot.abandoned = true;
                slot.waker = None;
            }
        }
    }
}

/// One request inside a batch.
#[derive(Debug)]
pub struct BatchItem<T> {
    /// The request's ticket number.
    pub ticket: u64,
    /// The request's input, as submitted.
    pub input: T,
}

/// A batch handed to a consumer. Resolve it exactly once with [`complete`](Self::complete)
/// or [`fail`](Self::fail); dropping it unresolved fails its requests with
/// `ProcessingFailed`, so no ticket is ever left unresolved.
pub struct Batch<T, R> {
    shared: Arc<Shared<T, R>>,
    items: Vec<BatchItem<T>>,
    started: Instant,
    done: bool,
}

impl<T, R> Batch<T, R> {
    /// Number of requests (>= 1).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Always false: batches are never empty. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The requests, highest priority first, FIFO within a priority.
    pub fn items(&self) -> &[BatchItem<T>] {
        &self.items
    }

    /// The inputs in batch order.
    pub fn inputs(&self) -> impl Iterator<Item = &T> {
        self.items.iter().map(|i| &i.input)
    }

    /// True once completed or failed.
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn check_open(&self) -> Result<()> {
        if self.done {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "this batch was already completed or failed",
            ));
        }
        Ok(())
    }

    /// Delivers one result per request, in batch order.
    /// Errors: `InvalidState` if already resolved, `InvalidArgument` if `results.len()`
    /// differs from [`len`](Self::len) (the batch stays open).
    pub fn complete(&mut self, results: Vec<R>) -> Result<()> {
        self.check_open()?;
        if results.len() != self.items.len() {
            return Err(Error::invalid(format!(
                "batch has {} requests but {} results were given",
                self.items.len(),
                results.len()
            )));
        }
        self.done = true;
        self.shared
            .finish(&mut self.items, results.into_iter().map(Ok), self.started);
        Ok(())
    }

    /// Resolves every request of the batch as `ProcessingFailed` with `message`.
    /// Errors: `InvalidState` if already resolved.
    pub fn fail(&mut self, message: &str) -> Result<()> {
        self.check_open()?;
        self.done = true;
        let n = self.items.len();
        let outcomes =
            (0..n).map(|_| Err(Error::new(ErrorKind::ProcessingFailed, message.to_string())));
        self.shared.finish(&mut self.items, outcomes, self.started);
        Ok(())
    }
}

impl<T, R> Drop for Batch<T, R> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.fail("the batch was dropped without being completed or failed");
        }
    }
}

impl<T, R> std::fmt::Debug for Batch<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.items.len())
            .field("done", &self.done)
            .finish()
    }
}

/// A dynamic batcher: any number of producer threads [`submit`](Self::submit) requests and
/// get [`Ticket`]s; consumer threads take batches with [`next_batch`](Self::next_batch),
/// run their model and [`complete`](Batch::complete) or [`fail`](Batch::fail) them (or
/// [`start_workers`](Self::start_workers) runs a handler on scipix-owned threads).
///
/// `next_batch` releases a batch when the effective maximum (`max_batch_size`, or the
/// adaptive size) is waiting, or `preferred_batch_size` is waiting, or the oldest request
/// has waited `max_wait`, or the batcher is draining; it takes up to the effective maximum,
/// highest priority first, FIFO within a priority. Requests whose deadline passed while
/// queued are resolved as `Timeout` instead.
///
/// All methods take `&self`; share it with `Arc`. Dropping it shuts down in cancel mode
/// (after letting worker threads drain if `shutdown(Drain)` was called) and joins the
/// worker threads; batches and tickets still out stay valid.
pub struct DynamicBatcher<T: Send + 'static, R: Send + 'static> {
    shared: Arc<Shared<T, R>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// Most worker threads one batcher may run.
pub const MAX_WORKERS: usize = 256;

impl<T: Send + 'static, R: Send + 'static> DynamicBatcher<T, R> {
    /// A batcher with `cfg` (validated; see [`BatcherConfig::validate`]).
    pub fn new(cfg: BatcherConfig) -> Result<Self> {
        cfg.validate()?;
        let adaptive = cfg.adaptive_target.map(|t| {
            let start = if cfg.preferred_batch_size > 0 {
                cfg.preferred_batch_size
            } else {
                cfg.max_batch_size
            };
            AdaptiveController::new(t, cfg.max_batch_size, start)
        });
        let state = State {
            mode: Mode::Running,
            next_id: 1,
            queues: (0..cfg.priority_levels).map(|_| VecDeque::new()).collect(),
            queued: 0,
            earliest_deadline: None,
            slots: SlotMap::default(),
            completions: VecDeque::new(),
            consumers_waiting: 0,
            pollers_waiting: 0,
            in_flight: 0,
            counters: Counters::default(),
            histogram: vec![0; cfg.max_batch_size + 1],
            queue_wait: Samples::new(),
            processing: Samples::new(),
            adaptive,
            workers: 0,
        };
        Ok(DynamicBatcher {
            shared: Arc::new(Shared {
                cfg,
                state: Mutex::new(state),
                work_cv: Condvar::new(),
                done_cv: Condvar::new(),
            }),
            workers: Mutex::new(Vec::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BatcherConfig {
        &self.shared.cfg
    }

    /// Queues `input` with default options (no deadline, priority 0). Never blocks.
    /// Errors: `QueueFull` at `max_queue_size` queued requests (counted as rejected),
    /// `ShutDown` after [`shutdown`](Self::shutdown).
    pub fn submit(&self, input: T) -> Result<Ticket<R>> {
        self.submit_with(input, SubmitOptions::default())
    }

    /// Queues `input` with `opts`; as [`submit`](Self::submit), plus `InvalidArgument` for a
    /// priority outside `0..priority_levels`.
    pub fn submit_with(&self, input: T, opts: SubmitOptions) -> Result<Ticket<R>> {
        let id = self.shared.submit(input, opts)?;
        let host: Arc<dyn TicketHost<R>> = self.shared.clone();
        Ok(Ticket::new(host, id))
    }

    /// As [`submit_with`](Self::submit_with) but returns the bare ticket number; take the
    /// outcome with [`poll`](Self::poll) (the outcome is kept until taken or the batcher
    /// is freed).
    pub fn submit_id(&self, input: T, opts: SubmitOptions) -> Result<u64> {
        self.shared.submit(input, opts)
    }

    /// Waits up to `wait` (`None` = no limit) for a batch worth running. `Ok(None)` when
    /// the wait ran out; `Err(ShutDown)` after a cancel shutdown, or after a drain shutdown
    /// once the queue is empty.
    pub fn next_batch(&self, wait: Option<Duration>) -> Result<Option<Batch<T, R>>> {
        self.shared.next_batch(wait)
    }

    /// Takes the outcome of ticket `id`, waiting up to `wait` (`None` = until resolved).
    /// `Ok(Some(result))`, `Ok(None)` if still pending, or the request's error
    /// (`Timeout`, `ProcessingFailed`, `Cancelled`); once an outcome is returned the ticket
    /// is released and later polls give `NotFound`, as do unknown numbers.
    pub fn poll(&self, id: u64, wait: Option<Duration>) -> Result<Option<R>> {
        self.shared.take(id, wait)
    }

    /// Non-blocking [`poll`](Self::poll).
    pub fn try_poll(&self, id: u64) -> Result<Option<R>> {
        self.shared.take(id, Some(Duration::ZERO))
    }

    /// The completion queue: the next ticket number whose outcome is ready and not yet
    /// taken, in resolution order, each at most once; waits up to `wait`. `Ok(None)` when
    /// the wait ran out; `Err(ShutDown)` once shut down with nothing queued, in flight or
    /// left to report. Take the outcome with [`poll`](Self::poll). Tickets taken by `poll`
    /// before they were reported are skipped. Only number-based tickets
    /// ([`submit_id`](Self::submit_id) or [`Ticket::into_id`]) and live `Ticket`s appear.
    pub fn next_completed(&self, wait: Option<Duration>) -> Result<Option<u64>> {
        self.shared.next_completed(wait)
    }

    /// Requests queued and not yet handed out.
    pub fn queue_size(&self) -> usize {
        self.shared.lock().queued
    }

    /// A snapshot of the counters and percentiles.
    pub fn stats(&self) -> BatcherStats {
        self.shared.stats()
    }

    /// Stops accepting requests (see [`ShutdownMode`]) and wakes every blocked consumer and
    /// poller. A later `Cancel` upgrades an earlier `Drain`; the reverse changes nothing.
    pub fn shutdown(&self, mode: ShutdownMode) {
        self.shared.shutdown(mode);
    }

    /// Starts `n` threads that take batches and call `handler` on each. The handler should
    /// complete or fail the batch; if it returns `Err`, panics, or returns without
    /// resolving the batch, the batch is failed (`ProcessingFailed` with the error or panic
    /// message) and the thread goes on. Threads stop at shutdown (after draining in drain
    /// mode). Errors: `InvalidArgument` for `n == 0` or more than [`MAX_WORKERS`] in total,
    /// `ShutDown` after shutdown, `OutOfMemory` if a thread cannot start.
    pub fn start_workers<F>(&self, n: usize, handler: F) -> Result<()>
    where
        F: Fn(&mut Batch<T, R>) -> Result<()> + Send + Sync + 'static,
    {
        let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut st = self.shared.lock();
            if n == 0 || st.workers + n > MAX_WORKERS {
                return Err(Error::invalid(format!(
                    "worker count {n} must be >= 1 and at most {MAX_WORKERS} in total ({} running)",
                    st.workers
                )));
            }
            if st.mode != Mode::Running {
                return Err(Error::new(ErrorKind::ShutDown, "the batcher is shut down"));
            }
            st.workers += n;
        }
        let handler = Arc::new(handler);
        for i in 0..n {
            let shared = Arc::clone(&self.shared);
            let handler = Arc::clone(&handler);
            let spawned = std::thread::Builder::new()
                .name(format!("scipix-batch-{}", workers.len()))
                .spawn(move || worker_loop(&shared, &*handler));
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => {
                    self.shared.lock().workers -= n - i;
                    return Err(Error::new(
                        ErrorKind::OutOfMemory,
                        format!("cannot start worker thread: {e}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Joins the worker threads (they exit at shutdown; call [`shutdown`](Self::shutdown)
    /// first). A worker thread calling this does not wait for itself.
    pub fn join_workers(&self) {
        let handles: Vec<_> =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        let me = std::thread::current().id();
        for h in handles {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
    }

    /// Ends the batcher's service: if a drain shutdown is under way, lets the worker
    /// threads finish the queue first; then cancels what is left, wakes every waiter and
    /// joins the workers. Outstanding batches and tickets stay valid. Idempotent.
    pub fn close(&self) {
        let draining = self.shared.lock().mode == Mode::Draining;
        if draining {
            self.join_workers();
        }
        self.shutdown(ShutdownMode::Cancel);
        self.join_workers();
    }

    #[cfg(test)]
    pub(crate) fn waiting_pollers(&self) -> usize {
        self.shared.lock().pollers_waiting
    }

    #[cfg(test)]
    pub(crate) fn live_tickets(&self) -> usize {
        self.shared.lock().slots.len()
    }
}

impl<T: Send + 'static, R: Send + 'static> Drop for DynamicBatcher<T, R> {
    fn drop(&mut self) {
        self.close();
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string())
}

fn worker_loop<T, R>(
    shared: &Arc<Shared<T, R>>,
    handler: &(dyn Fn(&mut Batch<T, R>) -> Result<()> + Send + Sync),
) {
    loop {
        match shared.next_batch(None) {
            Ok(Some(mut batch)) => {
                let outcome = catch_unwind(AssertUnwindSafe(|| handler(&mut batch)));
                if !batch.is_done() {
                    let msg = match outcome {
                        Ok(Ok(())) => {
                            "the batch handler returned without completing the batch".to_string()
                        }
                        Ok(Err(e)) => e.message().to_string(),
                        Err(p) => format!("the batch handler panicked: {}", panic_text(&*p)),
                    };
                    let _ = batch.fail(&msg);
                }
            }
            Ok(None) => {}
            Err(_) => break,
        }
    }
}
