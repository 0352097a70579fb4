//! A strict, zero-copy safetensors reader and an atomic writer.
//!
//! ```
//! use scipix::model::safetensors::{InvalidReason, Safetensors};
//!
//! // 8-byte little-endian header length, the JSON header, then the data.
//! let header = br#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#;
//! let mut file = (header.len() as u64).to_le_bytes().to_vec();
//! file.extend_from_slice(header);
//! file.extend_from_slice(&[7, 9]);
//! let st = Safetensors::new(file.as_slice())?;
//! assert_eq!(st.get("x")?.data, [7, 9]);
//! // A lying file is rejected with the rule it breaks.
//! file.pop();
//! assert!(Safetensors::new(file.as_slice()).is_err());
//! # let _ = InvalidReason::EmptyHeader;
//! # Ok::<(), scipix::Error>(())
//! ```
//!
//! A safetensors file is: 8 bytes little-endian header length N, N bytes of UTF-8 JSON
//! header, then the data region. The header maps tensor names to
//! `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data
//! region) plus an optional `"__metadata__"` object of strings.
//!
//! [`Safetensors::new`] validates the whole header against the file (see
//! [`parse_header`] for the rules and [`InvalidReason`] for the distinct failures) and
//! never reads tensor bytes, so opening is O(header). Every accessor afterwards returns
//! views into the source bytes without copying.
//!
//! **File order**: tensors are numbered by ascending data offset, i.e. the order their
//! bytes appear in the file (the reference implementation orders them the same way).
//! Zero-byte tensors sharing an offset keep the order in which the header lists them.
//! Writers usually emit the header in the same order, but readers must not rely on that.

mod dtype;
mod header;
mod json;
mod reason;
mod writer;

pub use dtype::Dtype;
pub use header::{parse_header, Header, TensorEntry};
pub use reason::{InvalidReason, MAX_HEADER_LEN, METADATA_KEY};
pub use writer::SafetensorsWriter;

use crate::error::{Error, ErrorKind, Result};
use crate::model::mmap::{MappedModel, OpenOptions};
use std::path::Path;
use std::sync::Arc;

/// Something that holds the bytes of a whole safetensors file.
pub trait ByteSource {
    /// The file's bytes.
    fn bytes(&self) -> &[u8];
}

impl ByteSource for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl ByteSource for &[u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// A validated safetensors file over a byte source (a mapped file, a `Vec<u8>`, a slice).
pub struct Safetensors<S: ByteSource> {
    source: S,
    header: Header,
}

/// A tensor inside a [`Safetensors`] file: a borrowed, zero-copy descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorView<'a> {
    /// The tensor's name.
    pub name: &'a str,
    /// Element type.
    pub dtype: Dtype,
    /// Dimensions, outermost first (row-major); empty for a scalar.
    pub shape: &'a [usize],
    /// The tensor's bytes, little-endian, row-major (a slice of the source).
    pub data: &'a [u8],
    /// Offset of the first byte in the file.
    pub file_offset: usize,
}

/// Largest alignment [`TensorView::alignment`] reports (the usual page size).
pub const MAX_REPORTED_ALIGNMENT: usize = 4096;

impl TensorView<'_> {
    /// Number of elements (1 for a scalar, 0 if a dimension is 0).
    pub fn num_elements(&self) -> usize {
        // Cannot overflow: validated at parse time.
        self.shape.iter().product()
    }

    /// Number of bytes.
    pub fn nbytes(&self) -> usize {
        self.data.len()
    }

    /// Largest power of two, up to [`MAX_REPORTED_ALIGNMENT`], that divides the address
    /// of the data. For a mapped file the base is page-aligned, so this is also the
    /// alignment of `file_offset`. Cast the data to a wider type only if this is at least
    /// the type's alignment; otherwise copy it out.
    pub fn alignment(&self) -> usize {
        let addr = self.data.as_ptr() as usize;
        if addr == 0 {
            return MAX_REPORTED_ALIGNMENT;
        }
        (1usize << addr.trailing_zeros()).min(MAX_REPORTED_ALIGNMENT)
    }

    /// Copies the tensor out as f32: F32 is copied, F16 and BF16 are converted exactly.
    /// Other dtypes give `UnsupportedFormat`.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        let n = self.num_elements();
        let mut out = vec![0f32; n];
        match self.dtype {
            Dtype::F32 => {
                for (o, c) in out.iter_mut().zip(self.data.chunks_exact(4)) {
                    *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                }
            }
            Dtype::F16 => crate::model::convert::f16_bytes_to_f32(self.data, &mut out)?,
            Dtype::BF16 => crate::model::convert::bf16_bytes_to_f32(self.data, &mut out)?,
            other => {
                return Err(Error::new(
                    ErrorKind::UnsupportedFormat,
                    format!(
                        "tensor {:?} is {}; only F32, F16 and BF16 convert to f32",
                        self.name,
                        other.name()
                    ),
                ))
            }
        }
        Ok(out)
    }
}

impl<S: ByteSource> Safetensors<S> {
    /// Validates `source` as a safetensors file. Fails with `InvalidFile` and a message
    /// naming the violated rule (see [`InvalidReason`]); use [`parse_header`] to get the
    /// reason as a value.
    pub fn new(source: S) -> Result<Self> {
        let header = parse_header(source.bytes())?;
        Ok(Safetensors { source, header })
    }

    /// The validated header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The byte source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.header.tensors.len()
    }

    /// True for a file without tensors.
    pub fn is_empty(&self) -> bool {
        self.header.tensors.is_empty()
    }

    fn view(&self, i: usize) -> TensorView<'_> {
        let t = &self.header.tensors[i];
        let start = self.header.data_start();
        TensorView {
            name: &t.name,
            dtype: t.dtype,
            shape: &t.shape,
            data: &self.source.bytes()[start + t.begin..start + t.end],
            file_offset: start + t.begin,
        }
    }

    /// The tensor at `index` in file order, or `None` past the end.
    pub fn tensor(&self, index: usize) -> Option<TensorView<'_>> {
        (index < self.len()).then(|| self.view(index))
    }

    /// Index (file order) of the tensor called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.header.index.get(name).copied()
    }

    /// The tensor called `name`; `NotFound` if there is none.
    pub fn get(&self, name: &str) -> Result<TensorView<'_>> {
        self.index_of(name).map(|i| self.view(i)).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no tensor named {name:?} in the file"),
            )
        })
    }

    /// All tensors in file order.
    pub fn iter(&self) -> impl Iterator<Item = TensorView<'_>> + '_ {
        (0..self.len()).map(|i| self.view(i))
    }

    /// `__metadata__` entries in header order.
    pub fn metadata(&self) -> &[(String, String)] {
        &self.header.metadata
    }

    /// The metadata value for `key`, if present.
    pub fn metadata_get(&self, key: &str) -> Option<&str> {
        self.header
            .metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Safetensors<Arc<MappedModel>> {
    /// Maps `path` (see [`MappedModel::open`]) and validates it.
    pub fn open(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        Safetensors::new(Arc::new(MappedModel::open(path, options)?))
    }

    /// The mapped file.
    pub fn model(&self) -> &Arc<MappedModel> {
        &self.source
    }
}

#[cfg(test)]
mod tests;
