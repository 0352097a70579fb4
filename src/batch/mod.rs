//! Dynamic batching for inference serving.
//!
//! ```
//! use scipix::batch::{BatcherConfig, DynamicBatcher};
//! use std::time::Duration;
//!
//! let batcher: DynamicBatcher<u32, u32> = DynamicBatcher::new(BatcherConfig::default())?;
//! let ticket = batcher.submit(21)?;
//! // A consumer: take a batch (released after `max_wait`), run the "model", complete it.
//! let mut batch = batcher.next_batch(Some(Duration::from_secs(1)))?.expect("one request");
//! let results = batch.inputs().map(|x| x * 2).collect();
//! batch.complete(results)?;
//! assert_eq!(ticket.wait()?, 42);
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! Producers on any thread submit single requests and get tickets; consumer threads (the
//! runtime's own, or scipix worker threads running a handler) take batches that are worth
//! running, run the model and complete or fail them; producers poll or await their
//! tickets, or drain a completion queue. See `docs/batch.md` for the model, the ticket
//! state diagram, the adaptive rule and the ownership rules of the C API.

pub mod adaptive;
mod batcher;
pub mod config;
pub mod stats;
mod ticket;

pub use adaptive::AdaptiveController;
pub use batcher::{Batch, BatchItem, DynamicBatcher, ShutdownMode, MAX_WORKERS};
pub use config::{BatcherConfig, SubmitOptions};
pub use stats::BatcherStats;
pub use ticket::Ticket;

#[cfg(test)]
mod tests;
