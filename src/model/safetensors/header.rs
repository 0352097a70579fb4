//! Parsing and validating a safetensors header against the bytes that follow it.

use super::dtype::Dtype;
use super::json::{self, RawItem, RawTensor};
use super::reason::{InvalidReason, MAX_HEADER_LEN};
use std::collections::HashMap;

/// One tensor's header entry, validated. Offsets are relative to the data region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorEntry {
    /// Tensor name (never contains NUL).
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
    /// Dimensions, outermost first (row-major).
    pub shape: Vec<usize>,
    /// Byte offset of the first byte in the data region.
    pub begin: usize,
    /// Byte offset one past the last byte in the data region.
    pub end: usize,
}

/// A validated header: tensors in file order, a name index, and the metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Length of the JSON header in bytes (the file's first 8 bytes).
    pub header_len: usize,
    /// Tensors in file order: ascending data offset (ties, only possible between
    /// zero-byte tensors, keep the header's order).
    pub tensors: Vec<TensorEntry>,
    /// Tensor name -> index in `tensors`.
    pub index: HashMap<String, usize>,
    /// `__metadata__` entries in header order (empty when absent or null).
    pub metadata: Vec<(String, String)>,
    /// Size of the data region (file length - 8 - header length).
    pub data_len: usize,
}

impl Header {
    /// File offset of the data region.
    pub fn data_start(&self) -> usize {
        8 + self.header_len
    }
}

fn no_nul(s: &str, what: impl FnOnce() -> String) -> Result<(), InvalidReason> {
    if s.contains('\0') {
        Err(InvalidReason::NulInString { what: what() })
    } else {
        Ok(())
    }
}

fn check_metadata(entries: &[(String, String)]) -> Result<(), InvalidReason> {
    for (k, v) in entries {
        no_nul(k, || "metadata key".to_string())?;
        no_nul(v, || format!("metadata value for key {k:?}"))?;
    }
    Ok(())
}

/// Validates one entry (dtype known, sizes consistent); offsets are checked against the
/// data region by the caller.
fn check_tensor(raw: RawTensor) -> Result<(TensorEntry, u64, u64), InvalidReason> {
    let RawTensor {
        name,
        dtype,
        shape,
        begin,
        end,
    } = raw;
    no_nul(&name, || "tensor name".to_string())?;
    let dtype = Dtype::from_name(&dtype).ok_or_else(|| InvalidReason::UnknownDtype {
        tensor: name.clone(),
        dtype,
    })?;
    let overflow = || InvalidReason::ShapeOverflow {
        tensor: name.clone(),
    };
    let shape: Vec<usize> = shape
        .into_iter()
        .map(|d| usize::try_from(d).map_err(|_| overflow()))
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(overflow)?;
    let bits = count.checked_mul(dtype.bits()).ok_or_else(overflow)?;
    if bits % 8 != 0 {
        return Err(InvalidReason::SubByteMisaligned { tensor: name, bits });
    }
    let expected = bits / 8;
    if begin > end {
        return Err(InvalidReason::OffsetsReversed {
            tensor: name,
            begin,
            end,
        });
    }
    if end - begin != expected as u64 {
        return Err(InvalidReason::ByteLengthMismatch {
            tensor: name,
            expected,
            actual: end - begin,
        });
    }
    // begin/end are bounded by the data region below; until then keep them as u64.
    Ok((
        TensorEntry {
            name,
            dtype,
            shape,
            begin: 0,
            end: 0,
        },
        begin,
        end,
    ))
}

/// Parses and validates a whole safetensors file held in `bytes`.
///
/// Rules, in the order they are checked: at least 8 bytes; header length (u64 LE)
/// non-zero, at most [`MAX_HEADER_LEN`] and inside the file (checked before anything is
/// allocated); header is UTF-8 and one JSON object with no duplicate keys at any level;
/// `__metadata__` is null or an object of strings; each tensor entry has exactly `dtype`
/// (a known name), `shape` (non-negative integers) and `data_offsets` (two non-negative
/// integers); element count x dtype bits does not overflow and fills whole bytes;
/// begin <= end; end - begin equals the byte size; end is inside the data region; sorted
/// by offset, the tensors cover the data region exactly, without overlap or hole.
pub fn parse_header(bytes: &[u8]) -> Result<Header, InvalidReason> {
    if bytes.len() < 8 {
        return Err(InvalidReason::FileTooSmall { len: bytes.len() });
    }
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&bytes[..8]);
    let n = u64::from_le_bytes(len8);
    if n == 0 {
        return Err(InvalidReason::EmptyHeader);
    }
    if n > MAX_HEADER_LEN {
        return Err(InvalidReason::HeaderTooLarge { len: n });
    }
    let available = (bytes.len() - 8) as u64;
    if n > available {
        return Err(InvalidReason::HeaderOutOfBounds {
            header_len: n,
            file_len: bytes.len(),
        });
    }
    let header_len = n as usize; // <= MAX_HEADER_LEN and <= bytes.len()
    let text = std::str::from_utf8(&bytes[8..8 + header_len]).map_err(|e| {
        InvalidReason::HeaderNotUtf8 {
            valid_up_to: e.valid_up_to(),
        }
    })?;
    let data_len = bytes.len() - 8 - header_len;

    let items = json::parse(text)?;
    let mut metadata = Vec::new();
    let mut tensors = Vec::with_capacity(items.len());
    for item in items {
        let raw = match item {
            RawItem::Metadata(entries) => {
                check_metadata(&entries)?;
                metadata = entries;
                continue;
            }
            RawItem::Tensor(raw) => raw,
        };
        let (mut entry, begin, end) = check_tensor(raw)?;
        if end > data_len as u64 {
            return Err(InvalidReason::OffsetOutOfBounds {
                tensor: entry.name,
                end,
                data_len,
            });
        }
        entry.begin = begin as usize;
        entry.end = end as usize;
        tensors.push(entry);
    }

    // File order: by offset; the stable sort keeps header order among equal offsets.
    tensors.sort_by_key(|t| (t.begin, t.end));
    let mut cursor = 0usize;
    for i in 0..tensors.len() {
        let t = &tensors[i];
        if t.begin < cursor {
            // The tensor whose range contains t.begin: the last one that ended past it.
            let first = tensors[..i]
                .iter()
                .rev()
                .find(|p| p.end > t.begin)
                .map_or_else(String::new, |p| p.name.clone());
            return Err(InvalidReason::Overlap {
                first,
                second: t.name.clone(),
            });
        }
        if t.begin > cursor {
            return Err(InvalidReason::Hole {
                after: i.checked_sub(1).map(|p| tensors[p].name.clone()),
                start: cursor,
                len: t.begin - cursor,
            });
        }
        cursor = t.end;
    }
    if cursor != data_len {
        return Err(InvalidReason::TrailingBytes {
            start: cursor,
            len: data_len - cursor,
        });
    }

    let index = tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    Ok(Header {
        header_len,
        tensors,
        index,
        metadata,
        data_len,
    })
}
