//! Parsing and validating a GGUF header (magic, version, metadata, tensor infos) and the
//! tensor data layout against the file's bytes.

use super::reason::*;
use super::value::ValueType;
use crate::quant::ggml::GgmlType;
use std::collections::HashMap;

/// One metadata entry: key, type and the byte range of its encoded value in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaEntry {
    /// The key (UTF-8, no NUL).
    pub key: String,
    /// The value's type.
    pub value_type: ValueType,
    /// File offset of the encoded value.
    pub offset: usize,
    /// Encoded length in bytes.
    pub len: usize,
}

/// One tensor info, validated against the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorEntry {
    /// Tensor name (UTF-8, no NUL, at most [`MAX_NAME_LEN`] bytes).
    pub name: String,
    /// GGML type.
    pub ggml_type: GgmlType,
    /// Dimensions as stored in the file: innermost (contiguous) first, ggml's `ne`.
    pub ne: Vec<usize>,
    /// Dimensions row-major, outermost first (`ne` reversed), as numpy shapes.
    pub shape: Vec<usize>,
    /// Data offset relative to the data section.
    pub offset: usize,
    /// Byte size the type and shape imply.
    pub nbytes: usize,
}

/// A validated GGUF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Format version (2 or 3).
    pub version: u32,
    /// Data alignment (`general.alignment` or 32).
    pub alignment: usize,
    /// Metadata in file order.
    pub metadata: Vec<MetaEntry>,
    /// Key -> index in `metadata`.
    pub meta_index: HashMap<String, usize>,
    /// Tensors in file order (which is also data order).
    pub tensors: Vec<TensorEntry>,
    /// Name -> index in `tensors`.
    pub index: HashMap<String, usize>,
    /// File offset of the data section (end of the tensor infos, aligned up).
    pub data_start: usize,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, InvalidReason>;

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: impl FnOnce() -> String) -> R<&'a [u8]> {
        match self.pos.checked_add(n).filter(|&e| e <= self.b.len()) {
            Some(end) => {
                let s = &self.b[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(InvalidReason::Truncated {
                what: what(),
                offset: self.b.len(),
            }),
        }
    }
    fn u8(&mut self, what: impl FnOnce() -> String) -> R<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: impl FnOnce() -> String) -> R<u32> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self, what: impl FnOnce() -> String) -> R<u64> {
        let s = self.take(8, what)?;
        Ok(u64::from_le_bytes(s.try_into().expect("8 bytes")))
    }
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    /// A u64 length followed by that many bytes of UTF-8.
    fn string(&mut self, what: &dyn Fn() -> String) -> R<&'a str> {
        let len = self.u64(|| format!("the length of {}", what()))?;
        if len > self.remaining() as u64 {
            return Err(InvalidReason::LengthOutOfBounds { what: what(), len });
        }
        let bytes = self.take(len as usize, what)?;
        std::str::from_utf8(bytes).map_err(|_| InvalidReason::NotUtf8 { what: what() })
    }
}

/// Skips over one value of type `t`, checking every length, UTF-8 string, bool and
/// nested array type; `depth` counts enclosing arrays.
fn check_value(c: &mut Cursor<'_>, t: ValueType, key: &str, depth: usize) -> R<()> {
    let what = || format!("the value of metadata {key:?}");
    if t == ValueType::Bool {
        let v = c.u8(what)?;
        if v > 1 {
            return Err(InvalidReason::BadBool {
                key: key.to_string(),
                value: v,
            });
        }
        return Ok(());
    }
    if let Some(sz) = t.fixed_size() {
        c.take(sz, what)?;
        return Ok(());
    }
    if t == ValueType::String {
        c.string(&|| format!("a string in metadata {key:?}"))?;
        return Ok(());
    }
    if depth >= MAX_ARRAY_DEPTH {
        return Err(InvalidReason::ArrayTooDeep {
            key: key.to_string(),
        });
    }
    let type_id = c.u32(|| format!("the element type of metadata {key:?}"))?;
    let elem = ValueType::from_id(type_id).ok_or_else(|| InvalidReason::UnknownValueType {
        key: key.to_string(),
        type_id,
    })?;
    let count = c.u64(|| format!("the element count of metadata {key:?}"))?;
    // Every element takes at least one byte (strings 8, arrays 12): a count the rest of
    // the file cannot hold is rejected before looping.
    let min = elem
        .fixed_size()
        .unwrap_or(if elem == ValueType::String { 8 } else { 12 }) as u64;
    if count
        .checked_mul(min)
        .is_none_or(|n| n > c.remaining() as u64)
    {
        return Err(InvalidReason::LengthOutOfBounds {
            what: format!("array metadata {key:?}"),
            len: count,
        });
    }
    if elem != ValueType::Bool {
        if let Some(sz) = elem.fixed_size() {
            c.take(count as usize * sz, what)?;
            return Ok(());
        }
    }
    for _ in 0..count {
        check_value(c, elem, key, depth + 1)?;
    }
    Ok(())
}

fn no_nul(s: &str, what: impl FnOnce() -> String) -> R<()> {
    if s.contains('\0') {
        Err(InvalidReason::NulInString { what: what() })
    } else {
        Ok(())
    }
}

/// Parses and validates the whole file `b` (see [`InvalidReason`] for every rule). Reads
/// only the header; tensor bytes are never touched.
pub fn parse_header(b: &[u8]) -> Result<Header, InvalidReason> {
    let mut c = Cursor { b, pos: 0 };
    let magic = c.u32(|| "the magic".into())?;
    if magic != GGUF_MAGIC {
        return Err(InvalidReason::BadMagic { found: magic });
    }
    let version = c.u32(|| "the version".into())?;
    if version != 2 && version != 3 {
        return Err(InvalidReason::UnsupportedVersion { version });
    }
    let n_tensors = c.u64(|| "the tensor count".into())?;
    let n_kv = c.u64(|| "the metadata count".into())?;
    // Each tensor info takes at least 24 bytes, each metadata entry at least 13.
    let rest = c.remaining() as u64;
    if n_tensors > MAX_TENSORS || n_tensors.saturating_mul(24) > rest {
        return Err(InvalidReason::CountTooLarge {
            what: "tensor",
            count: n_tensors,
        });
    }
    if n_kv > MAX_METADATA || n_kv.saturating_mul(13) > rest {
        return Err(InvalidReason::CountTooLarge {
            what: "metadata",
            count: n_kv,
        });
    }

    let mut metadata = Vec::with_capacity(n_kv as usize);
    let mut meta_index = HashMap::with_capacity(n_kv as usize);
    let mut alignment = DEFAULT_ALIGNMENT;
    for i in 0..n_kv {
        let key = c.string(&|| format!("metadata key #{i}"))?;
        no_nul(key, || format!("metadata key #{i}"))?;
        let type_id = c.u32(|| format!("the type of metadata {key:?}"))?;
        let t = ValueType::from_id(type_id).ok_or_else(|| InvalidReason::UnknownValueType {
            key: key.to_string(),
            type_id,
        })?;
        let offset = c.pos;
        check_value(&mut c, t, key, 0)?;
        if key == ALIGNMENT_KEY {
            if t != ValueType::U32 {
                return Err(InvalidReason::BadAlignment {
                    detail: format!("has type {}, expected uint32", t.name()),
                });
            }
            let v = u32::from_le_bytes(b[offset..offset + 4].try_into().expect("4 bytes"));
            if v == 0 || !v.is_power_of_two() {
                return Err(InvalidReason::BadAlignment {
                    detail: format!("is {v}, expected a non-zero power of two"),
                });
            }
            alignment = v as usize;
        }
        if meta_index.insert(key.to_string(), metadata.len()).is_some() {
            return Err(InvalidReason::DuplicateKey(key.to_string()));
        }
        metadata.push(MetaEntry {
            key: key.to_string(),
            value_type: t,
            offset,
            len: c.pos - offset,
        });
    }

    let mut tensors: Vec<TensorEntry> = Vec::with_capacity(n_tensors as usize);
    let mut index = HashMap::with_capacity(n_tensors as usize);
    for i in 0..n_tensors {
        let name = c.string(&|| format!("the name of tensor #{i}"))?;
        no_nul(name, || format!("tensor name #{i}"))?;
        if name.len() > MAX_NAME_LEN {
            return Err(InvalidReason::NameTooLong {
                name: name.to_string(),
                len: name.len(),
            });
        }
        let n_dims = c.u32(|| format!("the dimension count of tensor {name:?}"))?;
        if n_dims > MAX_DIMS {
            return Err(InvalidReason::TooManyDims {
                tensor: name.to_string(),
                n_dims,
            });
        }
        let overflow = || InvalidReason::ShapeOverflow {
            tensor: name.to_string(),
        };
        let mut ne = Vec::with_capacity(n_dims as usize);
        let mut count: i64 = 1;
        for _ in 0..n_dims {
            let d = c.u64(|| format!("the dimensions of tensor {name:?}"))?;
            let d = i64::try_from(d).map_err(|_| overflow())?;
            count = count.checked_mul(d).ok_or_else(overflow)?;
            ne.push(usize::try_from(d).map_err(|_| overflow())?);
        }
        let type_id = c.u32(|| format!("the type of tensor {name:?}"))?;
        let ggml_type =
            GgmlType::from_id(type_id).ok_or_else(|| InvalidReason::UnknownGgmlType {
                tensor: name.to_string(),
                type_id,
            })?;
        let offset = c.u64(|| format!("the data offset of tensor {name:?}"))?;
        let row = ne.first().copied().unwrap_or(1);
        let (bs, ts) = ggml_type.block();
        if row % bs != 0 {
            return Err(InvalidReason::RowNotBlockMultiple {
                tensor: name.to_string(),
                row: row as u64,
                block: bs,
            });
        }
        let count = usize::try_from(count).map_err(|_| overflow())?;
        let nbytes = (count / bs).checked_mul(ts).ok_or_else(overflow)?;
        if offset % alignment as u64 != 0 {
            return Err(InvalidReason::MisalignedOffset {
                tensor: name.to_string(),
                offset,
                alignment,
            });
        }
        if index.insert(name.to_string(), tensors.len()).is_some() {
            return Err(InvalidReason::DuplicateTensorName(name.to_string()));
        }
        let shape = ne.iter().rev().copied().collect();
        tensors.push(TensorEntry {
            name: name.to_string(),
            ggml_type,
            ne,
            shape,
            offset: usize::try_from(offset).map_err(|_| overflow())?,
            nbytes,
        });
    }

    // Data layout, as ggml's loader requires: tensors in info order, each at the padded
    // end of the previous one.
    let pad = |x: usize| x.checked_next_multiple_of(alignment);
    let data_start = pad(c.pos).ok_or(InvalidReason::CountTooLarge {
        what: "alignment padding",
        count: alignment as u64,
    })?;
    let mut expected = 0usize;
    let mut end_of_data = data_start;
    for t in &tensors {
        let (offset, exp) = (t.offset as u64, expected as u64);
        if t.offset < expected {
            return Err(InvalidReason::Overlap {
                tensor: t.name.clone(),
                offset,
                expected: exp,
            });
        }
        if t.offset > expected {
            return Err(InvalidReason::Hole {
                tensor: t.name.clone(),
                offset,
                expected: exp,
            });
        }
        let end = data_start
            .checked_add(t.offset)
            .and_then(|s| s.checked_add(t.nbytes));
        match end {
            Some(e) if e <= b.len() => end_of_data = e,
            _ => {
                return Err(InvalidReason::DataOutOfBounds {
                    tensor: t.name.clone(),
                    end: (data_start as u64)
                        .saturating_add(offset)
                        .saturating_add(t.nbytes as u64),
                    file_len: b.len(),
                })
            }
        }
        expected = t
            .offset
            .checked_add(t.nbytes)
            .and_then(pad)
            .ok_or_else(|| InvalidReason::ShapeOverflow {
                tensor: t.name.clone(),
            })?;
    }
    // Padding after the last tensor (or after the header) may be present or not; more is
    // rejected.
    let limit = pad(end_of_data).unwrap_or(usize::MAX).max(end_of_data);
    if b.len() > limit {
        return Err(InvalidReason::TrailingBytes {
            start: limit,
            len: b.len() - limit,
        });
    }
    Ok(Header {
        version,
        alignment,
        metadata,
        meta_index,
        tensors,
        index,
        data_start,
    })
}
