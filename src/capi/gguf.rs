//! C API: GGML block quantization and GGUF files (reader and writer).
//!
//! Ownership model (as the safetensors API): a `ScipixGguf` is owned by the caller and
//! keeps its own reference to the mapped file, so every pointer it hands out (names,
//! shapes, tensor data, metadata strings and arrays) stays valid until it is freed. A
//! `ScipixGgufWriter` is owned by the caller; it copies or borrows tensor data as each
//! function states.

use super::guard::{guard, guard_or};
use super::handle::{
    disjoint, free_box, to_boxed_ptr, try_clone_arc, try_cstr, try_handle, try_handle_mut, try_out,
    try_slice, try_slice_mut, Castable, OwnershipBox,
};
use super::model::{indexed, options_from_flags, path_arg, ScipixModel, ScipixModelFlags};
use super::status::ScipixStatus;
use crate::error::{Error, ErrorKind, Result};
use crate::model::gguf::{Gguf, GgufWriter, MetaValue, Value, ValueType};
use crate::model::MappedModel;
use crate::quant::ggml::{self, GgmlType};
use std::ffi::{c_char, CString};
use std::sync::Arc;

/// A GGML tensor type id, as stored in GGUF files (one of `SCIPIX_GGML_*`).
pub type ScipixGgmlType = u32;
/// 32-bit float.
pub const SCIPIX_GGML_F32: ScipixGgmlType = 0;
/// 16-bit float.
pub const SCIPIX_GGML_F16: ScipixGgmlType = 1;
/// Q4_0: 32 values in 18 bytes (f16 scale, 4-bit codes).
pub const SCIPIX_GGML_Q4_0: ScipixGgmlType = 2;
/// Q4_1: 32 values in 20 bytes (f16 scale and minimum, 4-bit codes).
pub const SCIPIX_GGML_Q4_1: ScipixGgmlType = 3;
/// Q5_0: 32 values in 22 bytes (f16 scale, 5-bit codes).
pub const SCIPIX_GGML_Q5_0: ScipixGgmlType = 6;
/// Q5_1: 32 values in 24 bytes (f16 scale and minimum, 5-bit codes).
pub const SCIPIX_GGML_Q5_1: ScipixGgmlType = 7;
/// Q8_0: 32 values in 34 bytes (f16 scale, 8-bit codes).
pub const SCIPIX_GGML_Q8_0: ScipixGgmlType = 8;
/// Q4_K: 256 values in 144 bytes (dequantize only).
pub const SCIPIX_GGML_Q4_K: ScipixGgmlType = 12;
/// Q5_K: 256 values in 176 bytes (dequantize only).
pub const SCIPIX_GGML_Q5_K: ScipixGgmlType = 13;
/// Q6_K: 256 values in 210 bytes (dequantize only).
pub const SCIPIX_GGML_Q6_K: ScipixGgmlType = 14;
/// bfloat16.
pub const SCIPIX_GGML_BF16: ScipixGgmlType = 30;

/// A GGUF metadata value type (one of `SCIPIX_GGUF_TYPE_*`), as stored in the file.
pub type ScipixGgufType = u32;
/// uint8.
pub const SCIPIX_GGUF_TYPE_UINT8: ScipixGgufType = 0;
/// int8.
pub const SCIPIX_GGUF_TYPE_INT8: ScipixGgufType = 1;
/// uint16.
pub const SCIPIX_GGUF_TYPE_UINT16: ScipixGgufType = 2;
/// int16.
pub const SCIPIX_GGUF_TYPE_INT16: ScipixGgufType = 3;
/// uint32.
pub const SCIPIX_GGUF_TYPE_UINT32: ScipixGgufType = 4;
/// int32.
pub const SCIPIX_GGUF_TYPE_INT32: ScipixGgufType = 5;
/// float32.
pub const SCIPIX_GGUF_TYPE_FLOAT32: ScipixGgufType = 6;
/// bool.
pub const SCIPIX_GGUF_TYPE_BOOL: ScipixGgufType = 7;
/// UTF-8 string.
pub const SCIPIX_GGUF_TYPE_STRING: ScipixGgufType = 8;
/// array.
pub const SCIPIX_GGUF_TYPE_ARRAY: ScipixGgufType = 9;
/// uint64.
pub const SCIPIX_GGUF_TYPE_UINT64: ScipixGgufType = 10;
/// int64.
pub const SCIPIX_GGUF_TYPE_INT64: ScipixGgufType = 11;
/// float64.
pub const SCIPIX_GGUF_TYPE_FLOAT64: ScipixGgufType = 12;

fn ggml_type(t: ScipixGgmlType) -> Result<GgmlType> {
    GgmlType::from_id(t).ok_or_else(|| {
        Error::new(
            ErrorKind::UnsupportedFormat,
            format!("unknown GGML type id {t}"),
        )
    })
}

/// The NUL-terminated name of GGML type `type` ("Q4_0", "F32", ...), or NULL for an
/// unknown id. Static storage: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_ggml_type_name(r#type: ScipixGgmlType) -> *const c_char {
    guard_or(std::ptr::null(), || {
        static NAMES: std::sync::OnceLock<Vec<(u32, CString)>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            GgmlType::ALL
                .iter()
                .map(|t| (t.id(), CString::new(t.name()).expect("no NUL")))
                .collect()
        });
        names
            .iter()
            .find(|(id, _)| *id == r#type)
            .map_or(std::ptr::null(), |(_, n)| n.as_ptr())
    })
}

/// Stores in `*size` the bytes that `n` values of GGML type `type` take
/// (`n / block_size * type_size`). Errors: NULL `size` -> SCIPIX_ERR_NULL_POINTER;
/// unknown type -> SCIPIX_ERR_UNSUPPORTED_FORMAT; `n` not a multiple of the block size
/// (32 for Q4_0..Q8_0, 256 for the K-quants) -> SCIPIX_ERR_INVALID_ARGUMENT; overflow ->
/// SCIPIX_ERR_SIZE_OVERFLOW. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_ggml_row_size(
    r#type: ScipixGgmlType,
    n: usize,
    size: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = ggml_type(r#type)?;
        let size = try_out!(size);
        *size = ggml::quantized_size(t, n)?;
        Ok(())
    })
}

/// Quantizes `n` floats at `x` (a row-major tensor with rows of `row_len` values) to GGML
/// blocks of `type` (SCIPIX_GGML_Q8_0, Q4_0, Q4_1, Q5_0 or Q5_1), bit-exact with
/// `gguf.quants.quantize` of the `gguf` Python package 0.19.0 (ggml's reference
/// quantizers). Per 32-value block, in f32 arithmetic with one rounding per operation:
/// Q8_0 `d = max|x| / 127`, `q = round_half_away(x / d)`; Q4_0 / Q5_0 `d = xmax / -8`
/// (`/ -16`) with `xmax` the signed value of largest magnitude (first on ties),
/// `q = min(15, trunc(x * id + 8.5))` (`min(31, trunc(x * id + 16.5))`); Q4_1 / Q5_1
/// `d = (max - min) / 15` (`/ 31`), `q = min(15 or 31, trunc((x - min) * id + 0.5))`;
/// `id = d == 0 ? 0 : 1 / d`; `d` and `min` are stored as f16 (round to nearest even).
/// Writes `row_size(type, n)` bytes to `out` (capacity `out_len` bytes) and stores that
/// count in `*written` (may be NULL).
///
/// Errors (nothing written): NULL `x`/`out` with `n > 0` -> SCIPIX_ERR_NULL_POINTER;
/// another type -> SCIPIX_ERR_UNSUPPORTED_FORMAT; `row_len` 0 or not a multiple of 32, `n`
/// not a multiple of `row_len`, a NaN or infinite value, a block whose f16 scale or
/// minimum would overflow (magnitudes beyond about 65504 x the code range), overlapping
/// buffers -> SCIPIX_ERR_INVALID_ARGUMENT; `out_len` too small ->
/// SCIPIX_ERR_BUFFER_TOO_SMALL. Thread-safe; large inputs use scipix's thread pool with
/// results independent of the thread count and ISA.
#[no_mangle]
pub extern "C" fn scipix_ggml_quantize(
    r#type: ScipixGgmlType,
    x: *const f32,
    n: usize,
    row_len: usize,
    out: *mut u8,
    out_len: usize,
    written: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = ggml_type(r#type)?;
        let n = super::quant::check_elems::<f32>(n, "n")?;
        disjoint(
            x.cast(),
            n.saturating_mul(4),
            out.cast_const().cast(),
            out_len,
        )?;
        let x = try_slice!(x, n);
        let out = try_slice_mut!(out, out_len);
        let size = ggml::quantize(t, x, row_len, out)?;
        // SAFETY: NULL or a valid writable pointer (documented contract).
        if let Some(w) = unsafe { written.as_mut() } {
            *w = size;
        }
        Ok(())
    })
}

/// Dequantizes `nbytes` bytes of GGML blocks of `type` at `q` (SCIPIX_GGML_Q8_0, Q4_0,
/// Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, F32, F16 or BF16) into floats at `out` (capacity
/// `out_len` floats), bit-exact with `gguf.quants.dequantize` 0.19.0: Q8_0 `q * d`, Q4_0
/// `d * (q - 8)`, Q5_0 `d * (q - 16)`, Q4_1 / Q5_1 `d * q + m`, the K-quants
/// `(d * scale) * q - dmin * min` per sub-block, f32 arithmetic from the exact f16 values.
/// Stores the value count in `*written` (may be NULL). Any bytes are accepted: NaN or
/// infinite stored scales give NaN or infinite values.
/// Errors (nothing written): NULL pointers with `nbytes > 0` -> SCIPIX_ERR_NULL_POINTER;
/// another type -> SCIPIX_ERR_UNSUPPORTED_FORMAT; `nbytes` not a whole number of blocks,
/// overlapping buffers -> SCIPIX_ERR_INVALID_ARGUMENT; `out_len` too small ->
/// SCIPIX_ERR_BUFFER_TOO_SMALL. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_ggml_dequantize(
    r#type: ScipixGgmlType,
    q: *const u8,
    nbytes: usize,
    out: *mut f32,
    out_len: usize,
    written: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let t = ggml_type(r#type)?;
        let out_len = super::quant::check_elems::<f32>(out_len, "out_len")?;
        disjoint(
            q.cast(),
            nbytes,
            out.cast_const().cast(),
            out_len.saturating_mul(4),
        )?;
        let q = try_slice!(q, nbytes);
        let out = try_slice_mut!(out, out_len);
        let n = ggml::dequantize(t, q, out)?;
        // SAFETY: NULL or a valid writable pointer (documented contract).
        if let Some(w) = unsafe { written.as_mut() } {
            *w = n;
        }
        Ok(())
    })
}

/// A validated GGUF file (opaque). Thread-safe for concurrent reads.
pub struct ScipixGguf {
    _private: [u8; 0],
}

/// Rust side of `ScipixGguf`: the parsed file plus NUL-terminated copies of its names.
pub(crate) struct GgufHandle {
    g: Gguf<Arc<MappedModel>>,
    names: Vec<CString>,
    keys: Vec<CString>,
}

impl Castable for ScipixGguf {
    type Rust = GgufHandle;
    type Ownership = OwnershipBox;
}

/// Collects metadata and tensors and writes a GGUF file (opaque). Not thread-safe: use
/// one writer from one thread at a time.
pub struct ScipixGgufWriter {
    _private: [u8; 0],
}

impl Castable for ScipixGgufWriter {
    type Rust = GgufWriter<'static>;
    type Ownership = OwnershipBox;
}

/// One tensor of a GGUF file, filled by `scipix_gguf_tensor_info`. Pointers stay valid
/// until the `ScipixGguf` is freed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixGgufTensorInfo {
    /// Tensor name, NUL-terminated UTF-8.
    pub name: *const c_char,
    /// GGML type id (`SCIPIX_GGML_*` or any other id ggml defines).
    pub r#type: ScipixGgmlType,
    /// Number of dimensions (0 to 4).
    pub rank: usize,
    /// `rank` dimensions row-major, outermost first (the file stores them reversed).
    pub shape: *const usize,
    /// Number of values.
    pub num_elements: usize,
    /// Bytes of data (what the type and shape imply).
    pub nbytes: usize,
    /// The tensor's bytes inside the mapped file (zero copy, read-only).
    pub data: *const u8,
    /// Offset of the first data byte in the file (a multiple of the file's alignment).
    pub file_offset: u64,
}

/// A metadata value, filled by `scipix_gguf_metadata_value`. Exactly one group of fields
/// is meaningful, by `type`: integers in `u` (unsigned types, bool as 0/1) or `i` (signed),
/// floats in `f`, strings as `str`/`str_len` (UTF-8, not NUL-terminated, may contain NUL),
/// arrays as `elem_type`/`count` plus `data`/`data_len`, the encoded elements as stored
/// (little-endian; for fixed-size element types `count` packed values, for strings and
/// nested arrays the file's encoding; use `scipix_gguf_metadata_array_string` for strings).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixGgufValue {
    /// Value type (`SCIPIX_GGUF_TYPE_*`).
    pub r#type: ScipixGgufType,
    /// Element type of an array.
    pub elem_type: ScipixGgufType,
    /// Element count of an array.
    pub count: u64,
    /// Unsigned integers and bools.
    pub u: u64,
    /// Signed integers.
    pub i: i64,
    /// float32 and float64.
    pub f: f64,
    /// String bytes.
    pub str: *const c_char,
    /// String length in bytes.
    pub str_len: usize,
    /// Encoded array elements.
    pub data: *const u8,
    /// Bytes at `data`.
    pub data_len: usize,
}

fn make_handle(g: Gguf<Arc<MappedModel>>) -> Result<*mut ScipixGguf> {
    // The parser rejects NUL characters in names and keys, so these cannot fail.
    let c = |s: &str| CString::new(s).map_err(|_| Error::new(ErrorKind::InvalidFile, "NUL"));
    let names = g.iter().map(|t| c(t.name)).collect::<Result<Vec<_>>>()?;
    let keys = g
        .metadata_iter()
        .map(|(k, _)| c(k))
        .collect::<Result<Vec<_>>>()?;
    Ok(to_boxed_ptr::<ScipixGguf>(GgufHandle { g, names, keys }))
}

/// Maps `path` (as `scipix_model_open` with `flags`) and validates it as a GGUF file,
/// storing a new handle in `*out`. Opening reads only the header: O(header size).
///
/// Accepted: versions 2 and 3, little-endian. Validation rules (each violation is
/// SCIPIX_ERR_INVALID_FILE with a message naming the rule, the key or the tensor): magic
/// "GGUF"; tensor and metadata counts at most 2^20 and within the file; every length
/// inside the file; keys, names and string values UTF-8, no NUL in keys and names;
/// known value types, bools 0 or 1, arrays nested at most 8 deep; unique keys and tensor
/// names; `general.alignment` a uint32 non-zero power of two; names at most 63 bytes; at
/// most 4 dimensions, each below 2^63, without overflow; known GGML type ids; the
/// innermost dimension a whole number of blocks; data offsets aligned and contiguous in
/// info order (ggml's loader rule: no overlap, no hole); data inside the file; nothing
/// after the last tensor but its padding. Other errors as `scipix_model_open`.
///
/// The handle is owned by the caller: release it with `scipix_gguf_free`. On failure
/// `*out` is not written. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_open(
    path: *const c_char,
    flags: ScipixModelFlags,
    out: *mut *mut ScipixGguf,
) -> ScipixStatus {
    guard(|| {
        let path = path_arg(path, "path")?;
        let out = try_out!(out);
        let options = options_from_flags(flags)?;
        *out = make_handle(Gguf::open(&path, options)?)?;
        Ok(())
    })
}

/// Validates an already mapped model as a GGUF file (rules as `scipix_gguf_open`) and
/// stores a new handle in `*out`; the handle takes its own reference to `model`.
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; invalid contents ->
/// SCIPIX_ERR_INVALID_FILE. On failure `*out` is not written. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_from_model(
    model: *const ScipixModel,
    out: *mut *mut ScipixGguf,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: C callers pass NULL or a live model handle (documented contract).
        let model = unsafe { try_clone_arc::<ScipixModel>(model, "model") }?;
        let out = try_out!(out);
        *out = make_handle(Gguf::new(model)?)?;
        Ok(())
    })
}

/// Releases a GGUF handle (NULL is ignored) and every pointer obtained from it.
///
/// # Safety
/// `g` must be NULL or a live handle from `scipix_gguf_open`/`_from_model`, not used
/// afterwards and not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn scipix_gguf_free(g: *mut ScipixGguf) {
    guard_or((), || {
        // SAFETY: per the documented contract.
        unsafe { free_box(g) }
    })
}

/// Stores the format version (2 or 3) in `*version` and the data alignment in
/// `*alignment` (either may be NULL). Errors: NULL `g` -> SCIPIX_ERR_NULL_POINTER.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_info(
    g: *const ScipixGguf,
    version: *mut u32,
    alignment: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        // SAFETY: NULL or valid writable pointers (documented contract).
        unsafe {
            if let Some(v) = version.as_mut() {
                *v = h.g.version();
            }
            if let Some(a) = alignment.as_mut() {
                *a = h.g.alignment();
            }
        }
        Ok(())
    })
}

/// Stores the number of tensors in `*count`. Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_tensor_count(
    g: *const ScipixGguf,
    count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        *try_out!(count) = h.g.len();
        Ok(())
    })
}

/// Describes tensor `index` (file order, 0-based) in `*info` (zero copy). Errors: NULL
/// argument -> SCIPIX_ERR_NULL_POINTER; `index >= count` -> SCIPIX_ERR_INVALID_ARGUMENT.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_tensor_info(
    g: *const ScipixGguf,
    index: usize,
    info: *mut ScipixGgufTensorInfo,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        let info = try_out!(info);
        let name = indexed(&h.names, index, "tensor")?;
        let t = h.g.tensor(index).expect("index checked");
        *info = ScipixGgufTensorInfo {
            name: name.as_ptr(),
            r#type: t.ggml_type.id(),
            rank: t.shape.len(),
            shape: t.shape.as_ptr(),
            num_elements: t.num_elements(),
            nbytes: t.nbytes(),
            data: t.data.as_ptr(),
            file_offset: t.file_offset as u64,
        };
        Ok(())
    })
}

/// Stores the index of the tensor called `name` (NUL-terminated UTF-8) in `*index`.
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; non-UTF-8 name ->
/// SCIPIX_ERR_INVALID_ARGUMENT; no such tensor -> SCIPIX_ERR_NOT_FOUND (`*index`
/// unchanged). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_find(
    g: *const ScipixGguf,
    name: *const c_char,
    index: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        let name = try_cstr!(name);
        let index = try_out!(index);
        *index = h
            .g
            .index_of(name)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no tensor named {name:?}")))?;
        Ok(())
    })
}

/// Stores the number of metadata entries in `*count`. Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_metadata_count(
    g: *const ScipixGguf,
    count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        *try_out!(count) = h.g.metadata_len();
        Ok(())
    })
}

/// Stores the NUL-terminated key of metadata entry `index` (file order) in `*key`
/// (owned by `g`). Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; `index >= count`
/// -> SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_metadata_key(
    g: *const ScipixGguf,
    index: usize,
    key: *mut *const c_char,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        let key = try_out!(key);
        *key = indexed(&h.keys, index, "metadata")?.as_ptr();
        Ok(())
    })
}

/// Stores the index of metadata `key` in `*index`. Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER; non-UTF-8 key -> SCIPIX_ERR_INVALID_ARGUMENT; absent ->
/// SCIPIX_ERR_NOT_FOUND. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_metadata_find(
    g: *const ScipixGguf,
    key: *const c_char,
    index: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        let key = try_cstr!(key);
        let index = try_out!(index);
        *index = h
            .g
            .metadata_index_of(key)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no metadata key {key:?}")))?;
        Ok(())
    })
}

fn fill_value(v: Value<'_>) -> ScipixGgufValue {
    let mut out = ScipixGgufValue {
        r#type: v.value_type() as u32,
        elem_type: 0,
        count: 0,
        u: 0,
        i: 0,
        f: 0.0,
        str: std::ptr::null(),
        str_len: 0,
        data: std::ptr::null(),
        data_len: 0,
    };
    match v {
        Value::U8(x) => out.u = x as u64,
        Value::U16(x) => out.u = x as u64,
        Value::U32(x) => out.u = x as u64,
        Value::U64(x) => out.u = x,
        Value::Bool(x) => out.u = x as u64,
        Value::I8(x) => out.i = x as i64,
        Value::I16(x) => out.i = x as i64,
        Value::I32(x) => out.i = x as i64,
        Value::I64(x) => out.i = x,
        Value::F32(x) => out.f = x as f64,
        Value::F64(x) => out.f = x,
        Value::String(s) => {
            out.str = s.as_ptr().cast();
            out.str_len = s.len();
        }
        Value::Array(a) => {
            out.elem_type = a.elem_type() as u32;
            out.count = a.len() as u64;
            out.data = a.raw().as_ptr();
            out.data_len = a.raw().len();
        }
    }
    out
}

/// Stores metadata entry `index`'s value in `*value` (zero copy: strings and array data
/// point into the mapped file, valid until `g` is freed). Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER; `index >= count` -> SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_metadata_value(
    g: *const ScipixGguf,
    index: usize,
    value: *mut ScipixGgufValue,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        let value = try_out!(value);
        let (_, v) = h.g.metadata(index).ok_or_else(|| {
            Error::invalid(format!(
                "metadata index {index} out of range (count {})",
                h.g.metadata_len()
            ))
        })?;
        *value = fill_value(v);
        Ok(())
    })
}

/// Stores element `elem` of the string array in metadata entry `index` as `*str` (UTF-8,
/// not NUL-terminated, valid until `g` is freed) and `*len`. O(elem). Errors: NULL
/// argument -> SCIPIX_ERR_NULL_POINTER; `index` or `elem` out of range, or the entry not
/// an array of strings -> SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_gguf_metadata_array_string(
    g: *const ScipixGguf,
    index: usize,
    elem: usize,
    str: *mut *const c_char,
    len: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(g);
        let (str, len) = super::handle::try_out_pair!(str, len);
        let (key, v) =
            h.g.metadata(index)
                .ok_or_else(|| Error::invalid(format!("metadata index {index} out of range")))?;
        let a = v
            .as_array()
            .filter(|a| a.elem_type() == ValueType::String)
            .ok_or_else(|| {
                Error::invalid(format!("metadata {key:?} is not an array of strings"))
            })?;
        let s = a.get(elem).and_then(|v| v.as_str()).ok_or_else(|| {
            Error::invalid(format!(
                "element {elem} out of range (metadata {key:?} has {})",
                a.len()
            ))
        })?;
        *str = s.as_ptr().cast();
        *len = s.len();
        Ok(())
    })
}

/// Creates an empty GGUF writer in `*out` (version 3, alignment 32 unless
/// `general.alignment` is added); release it with `scipix_gguf_writer_free`.
/// Errors: NULL `out` -> SCIPIX_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_new(out: *mut *mut ScipixGgufWriter) -> ScipixStatus {
    guard(|| {
        *try_out!(out) = to_boxed_ptr::<ScipixGgufWriter>(GgufWriter::new());
        Ok(())
    })
}

/// Releases a writer and the tensor copies it holds (NULL is ignored).
///
/// # Safety
/// `w` must be NULL or a live handle from `scipix_gguf_writer_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn scipix_gguf_writer_free(w: *mut ScipixGgufWriter) {
    guard_or((), || {
        // SAFETY: per the documented contract.
        unsafe { free_box(w) }
    })
}

#[allow(clippy::too_many_arguments)] // the C signature plus the copy flag
fn add_tensor_common(
    w: *mut ScipixGgufWriter,
    name: *const c_char,
    r#type: ScipixGgmlType,
    shape: *const usize,
    rank: usize,
    data: *const u8,
    nbytes: usize,
    copy: bool,
) -> Result<()> {
    let w = try_handle_mut!(w);
    let name = try_cstr!(name);
    let t = ggml_type(r#type)?;
    let shape = try_slice!(shape, rank);
    // The 'static lifetime is the caller's promise (borrowed variant) or copied now.
    let data: &'static [u8] = try_slice!(data, nbytes);
    if copy {
        w.add_tensor(name, t, shape, data.to_vec())
    } else {
        w.add_tensor(name, t, shape, data)
    }
}

/// Adds a tensor of GGML type `type` with `rank` dimensions `shape` (row-major,
/// outermost first), COPYING its `nbytes` bytes from `data`. `nbytes` must equal the size
/// the type and shape imply (the innermost dimension a whole number of blocks).
/// Errors (writer unchanged): NULL `w`/`name`, or NULL shape/data with a non-zero count
/// -> SCIPIX_ERR_NULL_POINTER; unknown type -> SCIPIX_ERR_UNSUPPORTED_FORMAT; empty,
/// duplicate, non-UTF-8 or longer than 63 bytes name, more than 4 dimensions, innermost
/// dimension not a multiple of the block size, wrong `nbytes` ->
/// SCIPIX_ERR_INVALID_ARGUMENT; size overflow -> SCIPIX_ERR_SIZE_OVERFLOW.
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_tensor(
    w: *mut ScipixGgufWriter,
    name: *const c_char,
    r#type: ScipixGgmlType,
    shape: *const usize,
    rank: usize,
    data: *const u8,
    nbytes: usize,
) -> ScipixStatus {
    guard(|| add_tensor_common(w, name, r#type, shape, rank, data, nbytes, true))
}

/// As `scipix_gguf_writer_add_tensor` but WITHOUT copying: the caller keeps the bytes
/// valid and unchanged until `scipix_gguf_writer_free`.
///
/// # Safety
/// `data` must stay valid for reads of `nbytes` bytes until the writer is freed.
#[no_mangle]
pub unsafe extern "C" fn scipix_gguf_writer_add_tensor_borrowed(
    w: *mut ScipixGgufWriter,
    name: *const c_char,
    r#type: ScipixGgmlType,
    shape: *const usize,
    rank: usize,
    data: *const u8,
    nbytes: usize,
) -> ScipixStatus {
    guard(|| add_tensor_common(w, name, r#type, shape, rank, data, nbytes, false))
}

/// Quantizes `n` floats at `x` (row-major `shape`, `n` = its product) to `type`
/// (SCIPIX_GGML_Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 as `scipix_ggml_quantize`, or F32 stored
/// as is) and adds the result as a tensor (the writer owns it). Errors (writer
/// unchanged): as `scipix_gguf_writer_add_tensor` and `scipix_ggml_quantize`; `n` not
/// the shape's product -> SCIPIX_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_tensor_f32(
    w: *mut ScipixGgufWriter,
    name: *const c_char,
    r#type: ScipixGgmlType,
    shape: *const usize,
    rank: usize,
    x: *const f32,
    n: usize,
) -> ScipixStatus {
    guard(|| {
        let w = try_handle_mut!(w);
        let name = try_cstr!(name);
        let t = ggml_type(r#type)?;
        let shape = try_slice!(shape, rank);
        let n = super::quant::check_elems::<f32>(n, "n")?;
        let x = try_slice!(x, n);
        w.add_tensor_f32(name, t, shape, x)
    })
}

fn add_meta(w: *mut ScipixGgufWriter, key: *const c_char, v: MetaValue) -> Result<()> {
    let w = try_handle_mut!(w);
    let key = try_cstr!(key);
    w.add_metadata(key, v)
}

/// Adds a string metadata entry (`key` and `value` NUL-terminated UTF-8, copied).
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; non-UTF-8 text, a key added twice
/// -> SCIPIX_ERR_INVALID_ARGUMENT. The same rules hold for every
/// `scipix_gguf_writer_add_*` metadata function; `general.alignment` must be added with
/// `_add_u32` and be a non-zero power of two.
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_string(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: *const c_char,
) -> ScipixStatus {
    guard(|| {
        let value = try_cstr!(value);
        add_meta(w, key, MetaValue::String(value.to_string()))
    })
}

/// Adds a uint32 metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_u32(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: u32,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::U32(value)))
}

/// Adds an int32 metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_i32(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: i32,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::I32(value)))
}

/// Adds a uint64 metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_u64(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: u64,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::U64(value)))
}

/// Adds an int64 metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_i64(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: i64,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::I64(value)))
}

/// Adds a float32 metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_f32(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: f32,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::F32(value)))
}

/// Adds a float64 metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_f64(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: f64,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::F64(value)))
}

/// Adds a bool metadata entry (rules as `scipix_gguf_writer_add_string`).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_add_bool(
    w: *mut ScipixGgufWriter,
    key: *const c_char,
    value: bool,
) -> ScipixStatus {
    guard(|| add_meta(w, key, MetaValue::Bool(value)))
}

/// Writes the file to `path` atomically (temporary file in the same directory, fsync,
/// rename): `path` holds either its old contents or the complete new file. Layout as
/// `gguf.GGUFWriter`: header, metadata and tensor infos in insertion order, each
/// tensor's data padded with zeros to the alignment. The writer stays usable.
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; empty path ->
/// SCIPIX_ERR_INVALID_ARGUMENT; file-system failure -> SCIPIX_ERR_IO (the temporary
/// file is removed).
#[no_mangle]
pub extern "C" fn scipix_gguf_writer_write(
    w: *const ScipixGgufWriter,
    path: *const c_char,
) -> ScipixStatus {
    guard(|| {
        let w = try_handle!(w);
        let path = path_arg(path, "path")?;
        w.write(&path)
    })
}
