//! Dynamic batching for inference serving.
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
