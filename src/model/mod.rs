//! Model plumbing: zero-copy memory-mapped model files ([`mmap`]), a strict safetensors
//! reader and atomic writer ([`safetensors`]), the same for GGUF ([`gguf`]), and exact f16/bf16 -> f32 conversion
//! ([`convert`]).
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
pub mod safetensors;

pub use gguf::{Gguf, GgufTensor, GgufWriter};
pub use mmap::{Access, MappedModel, OpenOptions};
pub use safetensors::{Dtype, Safetensors, SafetensorsWriter, TensorView};
