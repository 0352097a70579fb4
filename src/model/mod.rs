//! Model plumbing: zero-copy memory-mapped model files ([`mmap`]), a strict safetensors
//! reader and atomic writer ([`safetensors`]), and exact f16/bf16 -> f32 conversion
//! ([`convert`]).

pub mod convert;
pub mod mmap;
pub mod safetensors;

pub use mmap::{Access, MappedModel, OpenOptions};
pub use safetensors::{Dtype, Safetensors, SafetensorsWriter, TensorView};
