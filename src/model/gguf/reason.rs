//! Why a GGUF file was rejected: one variant per validation rule.

use std::fmt;

/// `"GGUF"` as the little-endian u32 at offset 0.
pub const GGUF_MAGIC: u32 = 0x4655_4747;
/// Alignment of tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: usize = 32;
/// The metadata key that sets the alignment (a UINT32, non-zero power of two).
pub const ALIGNMENT_KEY: &str = "general.alignment";
/// Most tensors a file may declare (checked before anything is allocated).
pub const MAX_TENSORS: u64 = 1 << 20;
/// Most metadata entries a file may declare.
pub const MAX_METADATA: u64 = 1 << 20;
/// Most dimensions of a tensor (ggml's `GGML_MAX_DIMS`).
pub const MAX_DIMS: u32 = 4;
/// Longest tensor name in bytes (ggml's `GGML_MAX_NAME` is 64 including the NUL).
pub const MAX_NAME_LEN: usize = 63;
/// Deepest nesting of arrays inside metadata values.
pub const MAX_ARRAY_DEPTH: usize = 8;

/// The rule a GGUF file violates. Every variant maps to `SCIPIX_ERR_INVALID_FILE`; its
/// [`Display`](fmt::Display) text is the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidReason {
    /// The file ends before a field that must be there.
    Truncated {
        /// What was being read or checked.
        what: String,
        /// The offset involved (the file length for a truncation; a data offset for tensors).
        offset: usize,
    },
    /// The first four bytes are not `GGUF`.
    BadMagic {
        /// The value found.
        found: u32,
    },
    /// A version other than 2 or 3 (1, or a big-endian file).
    UnsupportedVersion {
        /// The version field as read (little-endian).
        version: u32,
    },
    /// The tensor or metadata count exceeds its cap or what the file can hold.
    CountTooLarge {
        /// What was being read or checked.
        what: &'static str,
        /// The declared count.
        count: u64,
    },
    /// A metadata value type id above 12.
    UnknownValueType {
        /// The metadata key.
        key: String,
        /// The type id found.
        type_id: u32,
    },
    /// A string is not UTF-8.
    NotUtf8 {
        /// What was being read or checked.
        what: String,
    },
    /// A key or tensor name contains U+0000.
    NulInString {
        /// What was being read or checked.
        what: String,
    },
    /// A bool is neither 0 nor 1.
    BadBool {
        /// The metadata key.
        key: String,
        /// The byte found.
        value: u8,
    },
    /// Arrays nested deeper than [`MAX_ARRAY_DEPTH`].
    ArrayTooDeep {
        /// The metadata key.
        key: String,
    },
    /// A length or count runs past the end of the file.
    LengthOutOfBounds {
        /// What was being read or checked.
        what: String,
        /// The length involved in bytes (or the declared count).
        len: u64,
    },
    /// A metadata key appears twice.
    DuplicateKey(String),
    /// `general.alignment` is not a UINT32 non-zero power of two.
    BadAlignment {
        /// What is wrong.
        detail: String,
    },
    /// Two tensors have the same name.
    DuplicateTensorName(String),
    /// A tensor name longer than [`MAX_NAME_LEN`].
    NameTooLong {
        /// The tensor name.
        name: String,
        /// The length involved in bytes (or the declared count).
        len: usize,
    },
    /// More than [`MAX_DIMS`] dimensions.
    TooManyDims {
        /// The tensor's name.
        tensor: String,
        /// The declared dimension count.
        n_dims: u32,
    },
    /// A dimension above `i64::MAX`, or the element count or byte size overflows.
    ShapeOverflow {
        /// The tensor's name.
        tensor: String,
    },
    /// A GGML type id that ggml does not define (or has retired).
    UnknownGgmlType {
        /// The tensor's name.
        tensor: String,
        /// The type id found.
        type_id: u32,
    },
    /// The innermost dimension is not a multiple of the type's block size.
    RowNotBlockMultiple {
        /// The tensor's name.
        tensor: String,
        /// The innermost dimension.
        row: u64,
        /// The type's block size.
        block: usize,
    },
    /// A tensor's offset is not a multiple of the alignment.
    MisalignedOffset {
        /// The tensor's name.
        tensor: String,
        /// The offset involved (the file length for a truncation; a data offset for tensors).
        offset: u64,
        /// The file's alignment.
        alignment: usize,
    },
    /// A tensor starts before the (padded) end of the previous one.
    Overlap {
        /// The tensor's name.
        tensor: String,
        /// The offset involved (the file length for a truncation; a data offset for tensors).
        offset: u64,
        /// Where the tensor must start: the padded end of the previous one.
        expected: u64,
    },
    /// A tensor starts after the padded end of the previous one (a hole).
    Hole {
        /// The tensor's name.
        tensor: String,
        /// The offset involved (the file length for a truncation; a data offset for tensors).
        offset: u64,
        /// Where the tensor must start: the padded end of the previous one.
        expected: u64,
    },
    /// A tensor's data ends past the end of the file.
    DataOutOfBounds {
        /// The tensor's name.
        tensor: String,
        /// Where the data ends (file offset).
        end: u64,
        /// File length in bytes.
        file_len: usize,
    },
    /// Bytes after the padded end of the last tensor.
    TrailingBytes {
        /// File offset of the first such byte.
        start: usize,
        /// The length involved in bytes (or the declared count).
        len: usize,
    },
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use InvalidReason::*;
        match self {
            Truncated { what, offset } => {
                write!(f, "file ends at byte {offset}, inside {what}")
            }
            BadMagic { found } => write!(
                f,
                "magic is {:?}, expected \"GGUF\"",
                String::from_utf8_lossy(&found.to_le_bytes())
            ),
            UnsupportedVersion { version } if version.swap_bytes() <= 3 => write!(
                f,
                "version field {version:#x} is a big-endian GGUF file; only little-endian \
                 files are supported"
            ),
            UnsupportedVersion { version } => write!(
                f,
                "version {version} is not supported (versions 2 and 3 are)"
            ),
            CountTooLarge { what, count } => write!(
                f,
                "{what} count {count} exceeds the limit or what the file can hold"
            ),
            UnknownValueType { key, type_id } => {
                write!(f, "metadata {key:?} has unknown value type {type_id}")
            }
            NotUtf8 { what } => write!(f, "{what} is not valid UTF-8"),
            NulInString { what } => write!(f, "{what} contains a NUL character"),
            BadBool { key, value } => {
                write!(f, "metadata {key:?} has bool byte {value}, expected 0 or 1")
            }
            ArrayTooDeep { key } => write!(
                f,
                "metadata {key:?} nests arrays deeper than {MAX_ARRAY_DEPTH} levels"
            ),
            LengthOutOfBounds { what, len } => {
                write!(f, "{what} length {len} runs past the end of the file")
            }
            DuplicateKey(k) => write!(f, "duplicate metadata key {k:?}"),
            BadAlignment { detail } => write!(f, "{ALIGNMENT_KEY} {detail}"),
            DuplicateTensorName(n) => write!(f, "duplicate tensor name {n:?}"),
            NameTooLong { name, len } => write!(
                f,
                "tensor name {name:?} is {len} bytes, above ggml's {MAX_NAME_LEN}"
            ),
            TooManyDims { tensor, n_dims } => write!(
                f,
                "tensor {tensor:?} has {n_dims} dimensions, at most {MAX_DIMS} allowed"
            ),
            ShapeOverflow { tensor } => write!(
                f,
                "tensor {tensor:?} dimensions, element count or byte size overflow"
            ),
            UnknownGgmlType { tensor, type_id } => {
                write!(f, "tensor {tensor:?} has unknown GGML type id {type_id}")
            }
            RowNotBlockMultiple { tensor, row, block } => write!(
                f,
                "tensor {tensor:?} row length {row} is not a multiple of its type's block size {block}"
            ),
            MisalignedOffset {
                tensor,
                offset,
                alignment,
            } => write!(
                f,
                "tensor {tensor:?} data offset {offset} is not a multiple of the alignment {alignment}"
            ),
            Overlap {
                tensor,
                offset,
                expected,
            } => write!(
                f,
                "tensor {tensor:?} at data offset {offset} overlaps the previous tensor (which ends, padded, at {expected})"
            ),
            Hole {
                tensor,
                offset,
                expected,
            } => write!(
                f,
                "tensor {tensor:?} at data offset {offset} leaves a hole after the previous tensor (expected {expected})"
            ),
            DataOutOfBounds {
                tensor,
                end,
                file_len,
            } => write!(
                f,
                "tensor {tensor:?} data ends at file offset {end}, past the {file_len}-byte file"
            ),
            TrailingBytes { start, len } => write!(
                f,
                "{len} bytes at file offset {start}, after the last tensor, belong to no tensor"
            ),
        }
    }
}

impl From<InvalidReason> for crate::error::Error {
    fn from(r: InvalidReason) -> Self {
        crate::error::Error::new(
            crate::error::ErrorKind::InvalidFile,
            format!("invalid GGUF file: {r}"),
        )
    }
}
