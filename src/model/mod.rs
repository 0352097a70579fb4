//! Model plumbing: zero-copy memory-mapped model files ([`mmap`]), a strict safetensors
//! reader and atomic writer ([`safetensors`]), the same for GGUF ([`gguf`]), and f16/bf16
//! <-> f32 conversion ([`convert`]: exact widening, round-to-nearest-even narrowing).
//!
//! ```
//! use scipix::model::{Dtype, Safetensors, SafetensorsWriter};
//!
//! let mut w = SafetensorsWriter::new();
//! w.add_tensor("bias", Dtype::F32, &[2], [1f32, -1.0].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())?;
//! let file = w.to_bytes()?;
//! let st = Safetensors::new(file)?; // or Safetensors::open(path, options): mmap, zero-copy
//! assert_eq!(st.get("bias")?.to_f32_vec()?, [1.0, -1.0]);
//! # Ok::<(), scipix::Error>(())
//! ```

mod atomic;
pub mod convert;
pub mod gguf;
pub mod mmap;
mod narrow;
pub mod safetensors;
mod widen;

pub use gguf::{Gguf, GgufTensor, GgufWriter};
pub use mmap::{Access, MappedModel, OpenOptions};
pub use safetensors::{Dtype, Safetensors, SafetensorsWriter, TensorView};

/// A number that tells this process's temporary file names from other processes': the
/// process id, or on WASI (which has none) the clock's nanoseconds at first use.
pub(crate) fn process_tag() -> u64 {
    if cfg!(target_os = "wasi") {
        static TAG: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        *TAG.get_or_init(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        })
    } else {
        u64::from(std::process::id())
    }
}

/// Directory for the tests' scratch files: the system one, or on WASI (whose `std` has no
/// `temp_dir`) `$TMPDIR`, default `/tmp`, which the test runner preopens.
#[cfg(test)]
pub(crate) fn test_temp_dir() -> std::path::PathBuf {
    if cfg!(target_os = "wasi") {
        std::env::var_os("TMPDIR").map_or_else(|| "/tmp".into(), Into::into)
    } else {
        std::env::temp_dir()
    }
}
