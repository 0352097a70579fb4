//! Why a safetensors file was rejected: one variant per validation rule.

use std::fmt;

/// The reserved header key holding the string-to-string metadata map.
pub const METADATA_KEY: &str = "__metadata__";

/// Largest accepted JSON header, in bytes (the reference implementation's limit).
pub const MAX_HEADER_LEN: u64 = 100_000_000;

/// The rule a safetensors file violates. Every variant maps to the C status
/// `SCIPIX_ERR_INVALID_FILE`; its [`Display`](fmt::Display) text is the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidReason {
    /// Fewer than the 8 bytes of the header length.
    FileTooSmall {
        /// Size of the file in bytes.
        len: usize,
    },
    /// Header length is 0.
    EmptyHeader,
    /// Header length is above [`MAX_HEADER_LEN`] (checked before anything is allocated).
    HeaderTooLarge {
        /// The header length the file declares.
        len: u64,
    },
    /// The header extends past the end of the file.
    HeaderOutOfBounds {
        /// The header length the file declares.
        header_len: u64,
        /// Size of the file in bytes.
        file_len: usize,
    },
    /// The header bytes are not UTF-8.
    HeaderNotUtf8 {
        /// Bytes of the header that are valid UTF-8.
        valid_up_to: usize,
    },
    /// The header is not well-formed JSON (syntax, trailing garbage, nesting too deep).
    InvalidJson(String),
    /// The header is JSON but not an object.
    HeaderNotObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// Two tensors have the same name.
    DuplicateTensorName(String),
    /// `__metadata__` appears twice.
    DuplicateMetadataBlock,
    /// A key appears twice inside `__metadata__`.
    DuplicateMetadataKey(String),
    /// A field appears twice in a tensor entry.
    DuplicateField {
        /// The tensor name.
        tensor: String,
        /// The repeated field.
        field: String,
    },
    /// `__metadata__` is neither an object nor null.
    MetadataNotObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A `__metadata__` value is not a string.
    MetadataValueNotString {
        /// The metadata key.
        key: String,
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A tensor name, metadata key or value contains U+0000 (not representable in C).
    NulInString {
        /// Which string holds the NUL, as the message names it.
        what: String,
    },
    /// A tensor entry is not an object.
    TensorNotObject {
        /// The tensor name.
        tensor: String,
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    MissingField {
        /// The tensor name.
        tensor: String,
        /// The missing field.
        field: &'static str,
    },
    /// A tensor entry has a field other than `dtype`, `shape`, `data_offsets`.
    UnknownField {
        /// The tensor name.
        tensor: String,
        /// The unexpected field.
        field: String,
    },
    /// `dtype` is not a string.
    DtypeNotString {
        /// The tensor name.
        tensor: String,
    },
    /// `dtype` is not a dtype of the format.
    UnknownDtype {
        /// The tensor name.
        tensor: String,
        /// The dtype string found.
        dtype: String,
    },
    /// `shape` is not an array of non-negative integers.
    BadShape {
        /// The tensor name.
        tensor: String,
    },
    /// `data_offsets` is not an array of exactly two non-negative integers.
    BadDataOffsets {
        /// The tensor name.
        tensor: String,
    },
    /// The element count (or its size in bits) overflows.
    ShapeOverflow {
        /// The tensor name.
        tensor: String,
    },
    /// A sub-byte dtype tensor does not fill a whole number of bytes.
    SubByteMisaligned {
        /// The tensor name.
        tensor: String,
        /// The tensor size in bits.
        bits: usize,
    },
    /// `data_offsets` begin is after end.
    OffsetsReversed {
        /// The tensor name.
        tensor: String,
        /// `data_offsets[0]`.
        begin: u64,
        /// `data_offsets[1]`.
        end: u64,
    },
    /// `end - begin` differs from the shape's element count times the dtype size.
    ByteLengthMismatch {
        /// The tensor name.
        tensor: String,
        /// Bytes the shape and dtype need.
        expected: usize,
        /// Bytes `data_offsets` span.
        actual: u64,
    },
    /// The tensor's data ends past the end of the file.
    OffsetOutOfBounds {
        /// The tensor name.
        tensor: String,
        /// Offset in the data section where its data ends.
        end: u64,
        /// Size of the data section in bytes.
        data_len: usize,
    },
    /// Two tensors' byte ranges overlap.
    Overlap {
        /// The tensor whose range starts first.
        first: String,
        /// The tensor overlapping it.
        second: String,
    },
    /// Bytes between two tensors (or before the first) belong to no tensor.
    Hole {
        /// The tensor the hole follows (None: before the first tensor).
        after: Option<String>,
        /// Offset of the hole in the data section.
        start: usize,
        /// Size of the hole in bytes.
        len: usize,
    },
    /// Bytes after the last tensor belong to no tensor.
    TrailingBytes {
        /// Offset of the first unused byte in the data section.
        start: usize,
        /// Number of unused bytes.
        len: usize,
    },
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use InvalidReason::*;
        match self {
            FileTooSmall { len } => write!(
                f,
                "file is {len} bytes, too small for the 8-byte header length"
            ),
            EmptyHeader => write!(f, "header length is 0"),
            HeaderTooLarge { len } => write!(
                f,
                "header length {len} exceeds the {MAX_HEADER_LEN}-byte limit"
            ),
            HeaderOutOfBounds {
                header_len,
                file_len,
            } => write!(
                f,
                "header length {header_len} runs past the end of the {file_len}-byte file"
            ),
            HeaderNotUtf8 { valid_up_to } => write!(
                f,
                "header is not valid UTF-8 (invalid byte at header offset {valid_up_to})"
            ),
            InvalidJson(e) => write!(f, "header is not valid JSON: {e}"),
            HeaderNotObject { found } => write!(f, "header is {found}, expected a JSON object"),
            DuplicateTensorName(n) => write!(f, "duplicate tensor name {n:?}"),
            DuplicateMetadataBlock => write!(f, "duplicate \"{METADATA_KEY}\" entry"),
            DuplicateMetadataKey(k) => write!(f, "duplicate metadata key {k:?}"),
            DuplicateField { tensor, field } => {
                write!(f, "tensor {tensor:?} has field {field:?} twice")
            }
            MetadataNotObject { found } => write!(
                f,
                "\"{METADATA_KEY}\" is {found}, expected an object of strings"
            ),
            MetadataValueNotString { key, found } => {
                write!(f, "metadata value for key {key:?} is {found}, expected a string")
            }
            NulInString { what } => write!(f, "{what} contains a NUL character"),
            TensorNotObject { tensor, found } => {
                write!(f, "tensor {tensor:?} entry is {found}, expected an object")
            }
            MissingField { tensor, field } => {
                write!(f, "tensor {tensor:?} lacks the {field:?} field")
            }
            UnknownField { tensor, field } => write!(
                f,
                "tensor {tensor:?} has unknown field {field:?} (allowed: dtype, shape, data_offsets)"
            ),
            DtypeNotString { tensor } => write!(f, "tensor {tensor:?} dtype is not a string"),
            UnknownDtype { tensor, dtype } => {
                write!(f, "tensor {tensor:?} has unknown dtype {dtype:?}")
            }
            BadShape { tensor } => write!(
                f,
                "tensor {tensor:?} shape is not an array of non-negative integers"
            ),
            BadDataOffsets { tensor } => write!(
                f,
                "tensor {tensor:?} data_offsets is not an array of two non-negative integers"
            ),
            ShapeOverflow { tensor } => write!(
                f,
                "tensor {tensor:?} element count or byte size overflows"
            ),
            SubByteMisaligned { tensor, bits } => write!(
                f,
                "tensor {tensor:?} holds {bits} bits, not a whole number of bytes"
            ),
            OffsetsReversed { tensor, begin, end } => write!(
                f,
                "tensor {tensor:?} data_offsets begin {begin} is after end {end}"
            ),
            ByteLengthMismatch {
                tensor,
                expected,
                actual,
            } => write!(
                f,
                "tensor {tensor:?} spans {actual} bytes but its shape and dtype need {expected}"
            ),
            OffsetOutOfBounds {
                tensor,
                end,
                data_len,
            } => write!(
                f,
                "tensor {tensor:?} ends at data offset {end}, past the {data_len}-byte data region"
            ),
            Overlap { first, second } => {
                write!(f, "tensors {first:?} and {second:?} overlap")
            }
            Hole {
                after: Some(t),
                start,
                len,
            } => write!(
                f,
                "{len} bytes at data offset {start}, after tensor {t:?}, belong to no tensor"
            ),
            Hole {
                after: None,
                start,
                len,
            } => write!(
                f,
                "{len} bytes at data offset {start}, before the first tensor, belong to no tensor"
            ),
            TrailingBytes { start, len } => write!(
                f,
                "{len} bytes at data offset {start}, after the last tensor, belong to no tensor"
            ),
        }
    }
}

impl From<InvalidReason> for crate::error::Error {
    fn from(r: InvalidReason) -> Self {
        crate::error::Error::new(
            crate::error::ErrorKind::InvalidFile,
            format!("invalid safetensors file: {r}"),
        )
    }
}
