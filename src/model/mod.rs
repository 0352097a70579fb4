//! Model plumbing: zero-copy memory-mapped model files ([`mmap`]), a strict safetensors
//! reader and atomic writer ([`safetensors`]), the same for GGUF ([`gguf`]), and exact f16/bf16 -> f32 conversion
//! ([`convert`]).

mod atomic;
pub mod convert;
pub mod gguf;
pub mod mmap;
pub mod safetensors;

pub use gguf::{Gguf, GgufTensor, GgufWriter};
pub use mmap::{Access, MappedModel, OpenOptions};
pub use safetensors::{Dtype, Safetensors, SafetensorsWriter, TensorView};
