//! A strict, zero-copy GGUF reader and an atomic writer (the llama.cpp / ggml model
//! format).
//!
//! A GGUF file is: magic `GGUF`, u32 version, u64 tensor count, u64 metadata count, the
//! metadata entries (u64-length UTF-8 key, u32 value type, value), the tensor infos
//! (name, u32 dimension count, u64 dimensions innermost first, u32 GGML type, u64 data
//! offset), padding to the alignment, then the tensor data, each tensor padded to the
//! alignment. All integers are little-endian.
//!
//! Accepted: versions 2 and 3 (the same layout; version 1, with 32-bit counts, and
//! big-endian files are rejected). [`Gguf::new`] validates the whole header against the
//! file (see [`InvalidReason`] for every rule: bounds, counts, UTF-8 strings, bools,
//! array nesting up to 8 levels, unique keys and names, `general.alignment` a UINT32
//! power of two, at most 4 dimensions, known GGML type ids, row lengths that are whole
//! blocks, no size overflow, offsets aligned and contiguous in info order as ggml's
//! loader requires, data inside the file, nothing after the last tensor but its padding)
//! and never reads tensor bytes, so opening is O(header). Accessors return views into
//! the source bytes without copying.

mod header;
mod reason;
mod value;
mod writer;

pub use header::{parse_header, Header, MetaEntry, TensorEntry};
pub use reason::{
    InvalidReason, ALIGNMENT_KEY, DEFAULT_ALIGNMENT, GGUF_MAGIC, MAX_ARRAY_DEPTH, MAX_DIMS,
    MAX_METADATA, MAX_NAME_LEN, MAX_TENSORS,
};
pub use value::{Array, Value, ValueType};
pub use writer::{GgufWriter, MetaValue};

use crate::error::{Error, ErrorKind, Result};
use crate::model::mmap::{MappedModel, OpenOptions};
use crate::model::safetensors::ByteSource;
use crate::quant::ggml::{self, GgmlType};
use std::path::Path;
use std::sync::Arc;

/// A validated GGUF file over a byte source (a mapped file, a `Vec<u8>`, a slice).
pub struct Gguf<S: ByteSource> {
    source: S,
    header: Header,
}

/// A tensor inside a [`Gguf`] file: a borrowed, zero-copy descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GgufTensor<'a> {
    /// The tensor's name.
    pub name: &'a str,
    /// GGML type.
    pub ggml_type: GgmlType,
    /// Dimensions row-major, outermost first (the file's `ne` reversed).
    pub shape: &'a [usize],
    /// Dimensions as stored: innermost first (ggml's `ne`).
    pub ne: &'a [usize],
    /// The tensor's bytes (a slice of the source).
    pub data: &'a [u8],
    /// Offset of the first byte in the file.
    pub file_offset: usize,
}

impl GgufTensor<'_> {
    /// Number of values.
    pub fn num_elements(&self) -> usize {
        self.ne.iter().product()
    }

    /// Number of bytes.
    pub fn nbytes(&self) -> usize {
        self.data.len()
    }

    /// Dequantizes (or converts) the tensor to f32: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K,
    /// Q5_K, Q6_K, F32, F16 and BF16; `UnsupportedFormat` for other types.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        ggml::dequantize_to_vec(self.ggml_type, self.data)
    }
}

impl<S: ByteSource> Gguf<S> {
    /// Validates `source` as a GGUF file. Fails with `InvalidFile` and a message naming
    /// the violated rule; use [`parse_header`] to get the reason as a value.
    pub fn new(source: S) -> Result<Self> {
        let header = parse_header(source.bytes())?;
        Ok(Gguf { source, header })
    }

    /// The validated header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The byte source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.header.version
    }

    /// Data alignment in bytes.
    pub fn alignment(&self) -> usize {
        self.header.alignment
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.header.tensors.len()
    }

    /// True for a file without tensors.
    pub fn is_empty(&self) -> bool {
        self.header.tensors.is_empty()
    }

    fn view(&self, i: usize) -> GgufTensor<'_> {
        let t = &self.header.tensors[i];
        let start = self.header.data_start + t.offset;
        GgufTensor {
            name: &t.name,
            ggml_type: t.ggml_type,
            shape: &t.shape,
            ne: &t.ne,
            data: &self.source.bytes()[start..start + t.nbytes],
            file_offset: start,
        }
    }

    /// The tensor at `index` (file order), or `None` past the end.
    pub fn tensor(&self, index: usize) -> Option<GgufTensor<'_>> {
        (index < self.len()).then(|| self.view(index))
    }

    /// Index of the tensor called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.header.index.get(name).copied()
    }

    /// The tensor called `name`; `NotFound` if there is none.
    pub fn get(&self, name: &str) -> Result<GgufTensor<'_>> {
        self.index_of(name).map(|i| self.view(i)).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no tensor named {name:?} in the file"),
            )
        })
    }

    /// All tensors in file order.
    pub fn iter(&self) -> impl Iterator<Item = GgufTensor<'_>> + '_ {
        (0..self.len()).map(|i| self.view(i))
    }

    /// Number of metadata entries.
    pub fn metadata_len(&self) -> usize {
        self.header.metadata.len()
    }

    fn meta_value(&self, e: &MetaEntry) -> Value<'_> {
        let b = &self.source.bytes()[e.offset..e.offset + e.len];
        // Validated at open: decoding cannot fail.
        value::decode(e.value_type, b)
            .map(|(v, _)| v)
            .unwrap_or(Value::U8(0))
    }

    /// Metadata entry `index` (file order) as key and value.
    pub fn metadata(&self, index: usize) -> Option<(&str, Value<'_>)> {
        let e = self.header.metadata.get(index)?;
        Some((&e.key, self.meta_value(e)))
    }

    /// The value of metadata `key`.
    pub fn metadata_get(&self, key: &str) -> Option<Value<'_>> {
        let i = *self.header.meta_index.get(key)?;
        Some(self.meta_value(&self.header.metadata[i]))
    }

    /// Index (file order) of metadata `key`.
    pub fn metadata_index_of(&self, key: &str) -> Option<usize> {
        self.header.meta_index.get(key).copied()
    }

    /// All metadata entries in file order.
    pub fn metadata_iter(&self) -> impl Iterator<Item = (&str, Value<'_>)> + '_ {
        self.header
            .metadata
            .iter()
            .map(|e| (e.key.as_str(), self.meta_value(e)))
    }
}

impl Gguf<Arc<MappedModel>> {
    /// Maps `path` (see [`MappedModel::open`]) and validates it.
    pub fn open(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        Gguf::new(Arc::new(MappedModel::open(path, options)?))
    }

    /// The mapped file.
    pub fn model(&self) -> &Arc<MappedModel> {
        &self.source
    }
}

#[cfg(test)]
mod tests;
