//! Model plumbing: zero-copy memory-mapped model files ([`mmap`]), a strict safetensors
//! reader and atomic writer ([`safetensors`]), and f16/bf16 <-> f32 conversion
//! ([`convert`]: exact widening, round-to-nearest-even narrowing).

pub mod convert;
pub mod mmap;
mod narrow;
pub mod safetensors;

pub use mmap::{Access, MappedModel, OpenOptions};
pub use safetensors::{Dtype, Safetensors, SafetensorsWriter, TensorView};
