//! Tickets: the producer's handle on one submitted request.

use crate::error::{Error, ErrorKind, Result};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// What a ticket needs from its batcher (implemented by the batcher's shared state).
pub(crate) trait TicketHost<R>: Send + Sync {
    /// Takes the outcome of `id`, waiting up to `wait` (`None` = until resolved).
    /// `Ok(None)` = still pending when the wait ran out.
    fn take(&self, id: u64, wait: Option<Duration>) -> Result<Option<R>>;
    /// Takes the outcome if resolved, else registers `waker` to be woken on resolution.
    fn take_or_register(&self, id: u64, waker: &Waker) -> Option<Result<R>>;
    /// The ticket's owner will never take the outcome: release it now or when resolved.
    fn abandon(&self, id: u64);
}

/// A submitted request. Resolve it with [`wait`](Self::wait),
/// [`wait_timeout`](Self::wait_timeout), [`try_take`](Self::try_take), or `.await` it
/// (it implements `Future` without depending on any async runtime). The outcome is
/// `Ok(result)`, or an error of kind `Timeout` (deadline passed while queued),
/// `ProcessingFailed` (its batch was failed) or `Cancelled` (shutdown in cancel mode).
///
/// Dropping a ticket whose outcome was not taken releases the outcome (now, or when it
/// arrives). A ticket stays valid after its batcher is dropped.
pub struct Ticket<R> {
    host: Arc<dyn TicketHost<R>>,
    id: u64,
    taken: bool,
}

impl<R> Ticket<R> {
    pub(crate) fn new(host: Arc<dyn TicketHost<R>>, id: u64) -> Self {
        Ticket {
            host,
            id,
            taken: false,
        }
    }

    /// The ticket number (unique per batcher, starting at 1), as used by
    /// `DynamicBatcher::poll` and the completion queue.
    pub fn id(&self) -> u64 {
        self.id
    }

    fn taken_error(&self) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!("ticket {} was already taken", self.id),
        )
    }

    /// Blocks until the request is resolved and returns its outcome.
    pub fn wait(mut self) -> Result<R> {
        self.taken = true;
        self.host.take(self.id, None)?.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidState,
                "unbounded wait returned no outcome",
            )
        })
    }

    /// Waits up to `timeout`; `None` if still pending. Once it returned `Some`, later calls
    /// return `Some(Err(NotFound))`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<R>> {
        if self.taken {
            return Some(Err(self.taken_error()));
        }
        match self.host.take(self.id, Some(timeout)) {
            Ok(None) => None,
            other => {
                self.taken = true;
                Some(other.map(|r| r.expect("Some checked above")))
            }
        }
    }

    /// Non-blocking [`wait_timeout`](Self::wait_timeout).
    pub fn try_take(&mut self) -> Option<Result<R>> {
        self.wait_timeout(Duration::ZERO)
    }

    /// Gives up the ticket object but keeps the request: its outcome stays in the batcher
    /// until taken with `DynamicBatcher::poll(id)` (or until the batcher is freed).
    pub fn into_id(mut self) -> u64 {
        self.taken = true;
        self.id
    }
}

impl<R> Future for Ticket<R> {
    type Output = Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let this = self.get_mut();
        if this.taken {
            return Poll::Ready(Err(this.taken_error()));
        }
        match this.host.take_or_register(this.id, cx.waker()) {
            Some(outcome) => {
                this.taken = true;
                Poll::Ready(outcome)
            }
            None => Poll::Pending,
        }
    }
}

impl<R> Drop for Ticket<R> {
    fn drop(&mut self) {
        if !self.taken {
            self.host.abandon(self.id);
        }
    }
}

impl<R> std::fmt::Debug for Ticket<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("id", &self.id)
            .field("taken", &self.taken)
            .finish()
    }
}
