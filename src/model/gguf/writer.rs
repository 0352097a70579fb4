//! Writing GGUF files, atomically.

use super::reason::{
    ALIGNMENT_KEY, DEFAULT_ALIGNMENT, GGUF_MAGIC, MAX_ARRAY_DEPTH, MAX_DIMS, MAX_NAME_LEN,
};
use super::value::ValueType;
use crate::error::{Error, Result};
use crate::quant::ggml::{self, GgmlType};
use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// An owned metadata value for [`GgufWriter::add_metadata`].
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// u8.
    U8(u8),
    /// i8.
    I8(i8),
    /// u16.
    U16(u16),
    /// i16.
    I16(i16),
    /// u32.
    U32(u32),
    /// i32.
    I32(i32),
    /// f32.
    F32(f32),
    /// bool.
    Bool(bool),
    /// UTF-8 string.
    String(String),
    /// Array of values of `elem` type (all items must have that type; arrays may nest).
    Array {
        /// Element type.
        elem: ValueType,
        /// The elements.
        items: Vec<MetaValue>,
    },
    /// u64.
    U64(u64),
    /// i64.
    I64(i64),
    /// f64.
    F64(f64),
}

impl MetaValue {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            MetaValue::U8(_) => ValueType::U8,
            MetaValue::I8(_) => ValueType::I8,
            MetaValue::U16(_) => ValueType::U16,
            MetaValue::I16(_) => ValueType::I16,
            MetaValue::U32(_) => ValueType::U32,
            MetaValue::I32(_) => ValueType::I32,
            MetaValue::F32(_) => ValueType::F32,
            MetaValue::Bool(_) => ValueType::Bool,
            MetaValue::String(_) => ValueType::String,
            MetaValue::Array { .. } => ValueType::Array,
            MetaValue::U64(_) => ValueType::U64,
            MetaValue::I64(_) => ValueType::I64,
            MetaValue::F64(_) => ValueType::F64,
        }
    }

    fn check(&self, key: &str, depth: usize) -> Result<()> {
        if let MetaValue::Array { elem, items } = self {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(Error::invalid(format!(
                    "metadata {key:?} nests arrays deeper than {MAX_ARRAY_DEPTH} levels"
                )));
            }
            for (i, it) in items.iter().enumerate() {
                if it.value_type() != *elem {
                    return Err(Error::invalid(format!(
                        "metadata {key:?} is an array of {}, but item {i} is {}",
                        elem.name(),
                        it.value_type().name()
                    )));
                }
                it.check(key, depth + 1)?;
            }
        }
        Ok(())
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            MetaValue::U8(v) => out.push(*v),
            MetaValue::I8(v) => out.push(*v as u8),
            MetaValue::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::I16(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::F32(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::Bool(v) => out.push(*v as u8),
            MetaValue::String(s) => put_str(out, s),
            MetaValue::Array { elem, items } => {
                out.extend_from_slice(&(*elem as u32).to_le_bytes());
                out.extend_from_slice(&(items.len() as u64).to_le_bytes());
                for it in items {
                    it.encode(out);
                }
            }
            MetaValue::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
            MetaValue::F64(v) => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Pending<'a> {
    name: String,
    ggml_type: GgmlType,
    shape: Vec<usize>,
    data: Cow<'a, [u8]>,
}

/// Collects metadata and tensors, then writes one GGUF file (version 3, little-endian).
///
/// Layout, as `gguf.GGUFWriter` and ggml write it: header, metadata in insertion order,
/// tensor infos in insertion order, zero padding to the alignment, then each tensor's
/// bytes followed by zero padding to the alignment. The alignment is 32 unless
/// `general.alignment` (a `U32` power of two) is added. Data may be borrowed or owned;
/// borrowed data is copied only when the file is written.
pub struct GgufWriter<'a> {
    alignment: usize,
    metadata: Vec<(String, MetaValue)>,
    keys: HashSet<String>,
    tensors: Vec<Pending<'a>>,
    names: HashSet<String>,
}

impl Default for GgufWriter<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> GgufWriter<'a> {
    /// An empty writer.
    pub fn new() -> Self {
        GgufWriter {
            alignment: DEFAULT_ALIGNMENT,
            metadata: Vec::new(),
            keys: HashSet::new(),
            tensors: Vec::new(),
            names: HashSet::new(),
        }
    }

    /// Number of tensors added.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// True when no tensor was added.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// The data alignment the file will use.
    pub fn alignment(&self) -> usize {
        self.alignment
    }

    /// Adds a metadata entry. Errors (`InvalidArgument`): a NUL in the key, a key added
    /// twice, an array whose items do not all have its element type or that nests deeper
    /// than 8 levels, `general.alignment` that is not a `U32` non-zero power of two.
    pub fn add_metadata(&mut self, key: &str, value: MetaValue) -> Result<()> {
        if key.contains('\0') {
            return Err(Error::invalid(format!(
                "metadata key {key:?} contains a NUL character"
            )));
        }
        if self.keys.contains(key) {
            return Err(Error::invalid(format!("duplicate metadata key {key:?}")));
        }
        value.check(key, 0)?;
        if key == ALIGNMENT_KEY {
            match value {
                MetaValue::U32(a) if a != 0 && a.is_power_of_two() => self.alignment = a as usize,
                _ => {
                    return Err(Error::invalid(format!(
                        "{ALIGNMENT_KEY} must be a U32 non-zero power of two, got {value:?}"
                    )))
                }
            }
        }
        self.keys.insert(key.to_string());
        self.metadata.push((key.to_string(), value));
        Ok(())
    }

    /// Adds a tensor of `ggml_type` with row-major `shape` (outermost first; stored
    /// reversed, as ggml's `ne`). `data` must hold exactly the bytes the type and shape
    /// imply: the innermost dimension a multiple of the type's block size.
    ///
    /// Errors (`InvalidArgument`): a name that is empty, longer than 63 bytes, has a NUL
    /// or was already added; more than 4 dimensions; an innermost dimension that is not a
    /// whole number of blocks; a byte length that does not match. `SizeOverflow` if the
    /// size overflows.
    pub fn add_tensor(
        &mut self,
        name: &str,
        ggml_type: GgmlType,
        shape: &[usize],
        data: impl Into<Cow<'a, [u8]>>,
    ) -> Result<()> {
        let data = data.into();
        let nbytes = self.check_tensor(name, ggml_type, shape)?;
        if data.len() != nbytes {
            return Err(Error::invalid(format!(
                "tensor {name:?}: shape {shape:?} of {ggml_type} needs {nbytes} bytes, got {}",
                data.len()
            )));
        }
        self.names.insert(name.to_string());
        self.tensors.push(Pending {
            name: name.to_string(),
            ggml_type,
            shape: shape.to_vec(),
            data,
        });
        Ok(())
    }

    /// Quantizes `values` (row-major, `shape`) to `ggml_type` (Q8_0, Q4_0, Q4_1, Q5_0 or
    /// Q5_1, see [`ggml::quantize`]; F32 stores them as they are) and adds the tensor.
    /// Errors as [`add_tensor`](Self::add_tensor) and [`ggml::quantize`]; the writer is
    /// unchanged on error.
    pub fn add_tensor_f32(
        &mut self,
        name: &str,
        ggml_type: GgmlType,
        shape: &[usize],
        values: &[f32],
    ) -> Result<()> {
        let nbytes = self.check_tensor(name, ggml_type, shape)?;
        let count = crate::error::checked_product(shape, "tensor shape")?;
        if values.len() != count {
            return Err(Error::invalid(format!(
                "tensor {name:?}: shape {shape:?} holds {count} values, got {}",
                values.len()
            )));
        }
        let bytes = if ggml_type == GgmlType::F32 {
            values.iter().flat_map(|v| v.to_le_bytes()).collect()
        } else {
            let row = shape.last().copied().unwrap_or(1);
            if count == 0 {
                Vec::new()
            } else {
                ggml::quantize_to_vec(ggml_type, values, row)?
            }
        };
        debug_assert_eq!(bytes.len(), nbytes);
        self.add_tensor(name, ggml_type, shape, bytes)
    }

    /// Validates a tensor's name, type and shape; returns its byte size.
    fn check_tensor(&self, name: &str, ggml_type: GgmlType, shape: &[usize]) -> Result<usize> {
        if name.is_empty() {
            return Err(Error::invalid("tensor name is empty"));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(Error::invalid(format!(
                "tensor name {name:?} is {} bytes, above ggml's limit of {MAX_NAME_LEN}",
                name.len()
            )));
        }
        if name.contains('\0') {
            return Err(Error::invalid(format!(
                "tensor name {name:?} contains a NUL character"
            )));
        }
        if self.names.contains(name) {
            return Err(Error::invalid(format!("duplicate tensor name {name:?}")));
        }
        if shape.len() > MAX_DIMS as usize {
            return Err(Error::invalid(format!(
                "tensor {name:?} has {} dimensions, GGUF allows {MAX_DIMS}",
                shape.len()
            )));
        }
        let count = crate::error::checked_product(shape, "tensor shape")?;
        if count > i64::MAX as usize {
            return Err(Error::overflow(format!(
                "tensor {name:?}: {count} values overflow i64"
            )));
        }
        let row = shape.last().copied().unwrap_or(1);
        let bs = ggml_type.block_size();
        if row % bs != 0 {
            return Err(Error::invalid(format!(
                "tensor {name:?}: row length {row} is not a multiple of the {ggml_type} block size {bs}"
            )));
        }
        ggml::quantized_size(ggml_type, count)
    }

    fn pad(&self, n: usize) -> usize {
        n.next_multiple_of(self.alignment) - n
    }

    /// Header, metadata, tensor infos and the padding up to the data section.
    fn header(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&GGUF_MAGIC.to_le_bytes());
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            put_str(&mut out, k);
            out.extend_from_slice(&(v.value_type() as u32).to_le_bytes());
            v.encode(&mut out);
        }
        let mut offset = 0usize;
        for t in &self.tensors {
            put_str(&mut out, &t.name);
            out.extend_from_slice(&(t.shape.len() as u32).to_le_bytes());
            for &d in t.shape.iter().rev() {
                out.extend_from_slice(&(d as u64).to_le_bytes());
            }
            out.extend_from_slice(&t.ggml_type.id().to_le_bytes());
            out.extend_from_slice(&(offset as u64).to_le_bytes());
            offset += t.data.len() + self.pad(t.data.len());
        }
        out.resize(out.len() + self.pad(out.len()), 0);
        out
    }

    /// Writes the whole file to `w`.
    pub fn write_to(&self, w: &mut impl Write) -> Result<()> {
        w.write_all(&self.header())?;
        let zeros = vec![0u8; self.alignment.min(1 << 16)];
        for t in &self.tensors {
            w.write_all(&t.data)?;
            let mut pad = self.pad(t.data.len());
            while pad > 0 {
                let n = pad.min(zeros.len());
                w.write_all(&zeros[..n])?;
                pad -= n;
            }
        }
        Ok(())
    }

    /// The whole file as bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// Writes the file to `path` atomically (temporary file in the same directory,
    /// fsync, rename over `path`, directory sync); on error the temporary file is removed
    /// and `path` is untouched. The writer stays usable.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::model::atomic::write_atomic(path.as_ref(), |w| {
            let mut w = w;
            self.write_to(&mut w)
        })
    }
}
