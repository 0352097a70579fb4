//! CPU feature detection and the runtime dispatch controls every kernel obeys.
//!
//! ```
//! use scipix::cpu::{self, Isa};
//!
//! println!("{} -> {}", cpu::detected().names(), cpu::kernel_isa().name());
//! // Run a block with the scalar kernels, as the tests do for every ISA.
//! cpu::with_isa(Isa::Scalar, |isa| assert_eq!(cpu::kernel_isa(), isa));
//! ```
//!
//! Kernels call [`kernel_isa`] once per operation and `match` on it; tests call
//! [`set_max_isa`] (or use [`with_isa`]) to force each path.

mod config;
#[cfg(target_arch = "x86_64")]
pub(crate) mod f32_steps;
mod features;
pub(crate) mod prefetch;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod simd128;
mod stream;

pub use config::{
    kernel_isa, max_isa, memory_opt_enabled, opt_level, parallel_enabled, set_max_isa,
    set_opt_level, simd_enabled, Isa, OptLevel,
};
pub use features::{detected, Features};
#[cfg(target_arch = "x86_64")]
pub(crate) use stream::for_each_step;
pub use stream::Store;
pub(crate) use stream::WIDENING_STREAM_MIN_BYTES;

use std::sync::Mutex;

/// Serializes callers of [`with_isa`] so concurrent tests do not fight over the cap.
static FORCE_LOCK: Mutex<()> = Mutex::new(());

/// Runs `f` with SIMD enabled and the cap set to `isa` (clamped), then restores the previous
/// settings. Meant for tests and benchmarks that compare kernel families in one process;
/// calls are serialized with each other, not with unrelated kernel calls.
pub fn with_isa<R>(isa: Isa, f: impl FnOnce(Isa) -> R) -> R {
    let _guard = FORCE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let (old_level, old_cap) = (opt_level(), max_isa());
    set_opt_level(OptLevel::Simd);
    let effective = set_max_isa(isa);
    struct Restore(OptLevel, Isa);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_opt_level(self.0);
            set_max_isa(self.1);
        }
    }
    let _restore = Restore(old_level, old_cap);
    f(effective)
}
