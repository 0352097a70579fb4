//! C API: memory-mapped model files, the safetensors reader and writer, f16/bf16 <-> f32.
//!
//! ```
//! use scipix::capi::model::*;
//! use scipix::capi::ScipixStatus;
//!
//! let mut model = std::ptr::null();
//! let status = scipix_model_open(c"/nonexistent.safetensors".as_ptr(), 0, &mut model);
//! assert_eq!(status, ScipixStatus::SCIPIX_ERR_NOT_FOUND);
//! assert!(model.is_null()); // nothing is written on failure
//! ```
//!
//! Ownership model:
//! - `ScipixModel` is reference counted (Arc). `scipix_model_free` drops the caller's
//!   reference; a `ScipixSafetensors` made from a model holds its own reference, so the
//!   model may be freed first and the mapping lives until the last user is gone.
//! - `ScipixSafetensors` is owned by the caller (one owner, freed with
//!   `scipix_safetensors_free`). Every pointer it hands out (names, shapes, data,
//!   metadata strings) points into memory it owns or keeps alive, and stays valid until
//!   that handle is freed.
//! - `ScipixSafetensorsWriter` is owned by the caller; it copies or borrows tensor data
//!   as each function states.

use super::guard::{guard, guard_or};
use super::handle::{
    disjoint, free_arc, free_box, to_arc_ptr, to_boxed_ptr, try_clone_arc, try_cstr, try_handle,
    try_handle_mut, try_out, try_slice, try_slice_mut, Castable, OwnershipArc, OwnershipBox,
};
use super::status::ScipixStatus;
use crate::error::{Error, ErrorKind, Result};
use crate::model::convert;
use crate::model::safetensors::{Dtype, Safetensors, SafetensorsWriter};
use crate::model::{Access, MappedModel, OpenOptions};
use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::sync::Arc;

/// A read-only memory-mapped file (opaque, reference counted). Thread-safe: any number
/// of threads may use one handle at once; free it exactly once.
pub struct ScipixModel {
    _private: [u8; 0],
}

impl Castable for ScipixModel {
    type Rust = MappedModel;
    type Ownership = OwnershipArc;
}

/// A validated safetensors file (opaque). Thread-safe for concurrent reads: every
/// function taking a `const ScipixSafetensors *` may run on many threads at once.
pub struct ScipixSafetensors {
    _private: [u8; 0],
}

/// Rust side of `ScipixSafetensors`: the parsed file plus NUL-terminated copies of its
/// strings for C.
pub(crate) struct SafetensorsHandle {
    st: Safetensors<Arc<MappedModel>>,
    names: Vec<CString>,
    meta: Vec<(CString, CString)>,
}

impl Castable for ScipixSafetensors {
    type Rust = SafetensorsHandle;
    type Ownership = OwnershipBox;
}

/// Collects tensors and metadata and writes a safetensors file (opaque). Not
/// thread-safe: use one writer from one thread at a time.
pub struct ScipixSafetensorsWriter {
    _private: [u8; 0],
}

impl Castable for ScipixSafetensorsWriter {
    type Rust = SafetensorsWriter<'static>;
    type Ownership = OwnershipBox;
}

/// Flags for `scipix_model_open` / `scipix_safetensors_open` (bitwise OR of
/// `SCIPIX_MODEL_*`).
pub type ScipixModelFlags = u32;
/// No hint: default kernel read-ahead, pages fault in on first touch.
pub const SCIPIX_MODEL_DEFAULT: ScipixModelFlags = 0;
/// Pages will be read in order (`MADV_SEQUENTIAL`). Exclusive with RANDOM.
pub const SCIPIX_MODEL_SEQUENTIAL: ScipixModelFlags = 1;
/// Pages will be read in random order (`MADV_RANDOM`). Exclusive with SEQUENTIAL.
pub const SCIPIX_MODEL_RANDOM: ScipixModelFlags = 2;
/// Start reading the whole file into the page cache now (`MADV_WILLNEED`;
/// `PrefetchVirtualMemory` on Windows).
pub const SCIPIX_MODEL_WILLNEED: ScipixModelFlags = 4;
/// Lock the pages in RAM (`mlock`; `VirtualLock` on Windows); the open fails with
/// SCIPIX_ERR_IO if the lock limit (`RLIMIT_MEMLOCK`; the minimum working set on Windows)
/// is too small, and always on WebAssembly (no paging to lock against).
pub const SCIPIX_MODEL_LOCK: ScipixModelFlags = 8;
/// Fault every page in while opening (`MAP_POPULATE` on Linux, a read of each page
/// elsewhere): opening becomes O(file size), later reads never wait for the disk.
pub const SCIPIX_MODEL_POPULATE: ScipixModelFlags = 16;

/// Access hint for `scipix_model_advise` / `scipix_model_advise_range` (one of
/// `SCIPIX_ADVICE_*`).
pub type ScipixAdvice = u32;
/// Default behaviour (`MADV_NORMAL`).
pub const SCIPIX_ADVICE_NORMAL: ScipixAdvice = 0;
/// Sequential reads expected (`MADV_SEQUENTIAL`).
pub const SCIPIX_ADVICE_SEQUENTIAL: ScipixAdvice = 1;
/// Random reads expected (`MADV_RANDOM`).
pub const SCIPIX_ADVICE_RANDOM: ScipixAdvice = 2;
/// The range will be needed soon: prefetch it (`MADV_WILLNEED`).
pub const SCIPIX_ADVICE_WILLNEED: ScipixAdvice = 3;

/// A safetensors element type (one of `SCIPIX_ST_*`). 0 is never a valid dtype.
pub type ScipixStDtype = u32;
/// 64-bit IEEE float ("F64").
pub const SCIPIX_ST_F64: ScipixStDtype = 1;
/// 32-bit IEEE float ("F32").
pub const SCIPIX_ST_F32: ScipixStDtype = 2;
/// 16-bit IEEE float ("F16").
pub const SCIPIX_ST_F16: ScipixStDtype = 3;
/// bfloat16 ("BF16").
pub const SCIPIX_ST_BF16: ScipixStDtype = 4;
/// Signed 64-bit integer ("I64").
pub const SCIPIX_ST_I64: ScipixStDtype = 5;
/// Signed 32-bit integer ("I32").
pub const SCIPIX_ST_I32: ScipixStDtype = 6;
/// Signed 16-bit integer ("I16").
pub const SCIPIX_ST_I16: ScipixStDtype = 7;
/// Signed 8-bit integer ("I8").
pub const SCIPIX_ST_I8: ScipixStDtype = 8;
/// Unsigned 8-bit integer ("U8").
pub const SCIPIX_ST_U8: ScipixStDtype = 9;
/// Boolean, one byte each ("BOOL").
pub const SCIPIX_ST_BOOL: ScipixStDtype = 10;
/// 8-bit float E4M3 ("F8_E4M3").
pub const SCIPIX_ST_F8_E4M3: ScipixStDtype = 11;
/// 8-bit float E5M2 ("F8_E5M2").
pub const SCIPIX_ST_F8_E5M2: ScipixStDtype = 12;
/// Unsigned 16-bit integer ("U16").
pub const SCIPIX_ST_U16: ScipixStDtype = 13;
/// Unsigned 32-bit integer ("U32").
pub const SCIPIX_ST_U32: ScipixStDtype = 14;
/// Unsigned 64-bit integer ("U64").
pub const SCIPIX_ST_U64: ScipixStDtype = 15;
/// 8-bit exponent-only scale E8M0 ("F8_E8M0").
pub const SCIPIX_ST_F8_E8M0: ScipixStDtype = 16;
/// 4-bit float E2M1, packed two per byte ("F4").
pub const SCIPIX_ST_F4: ScipixStDtype = 17;
/// 6-bit float E2M3, packed bit stream ("F6_E2M3").
pub const SCIPIX_ST_F6_E2M3: ScipixStDtype = 18;
/// 6-bit float E3M2, packed bit stream ("F6_E3M2").
pub const SCIPIX_ST_F6_E3M2: ScipixStDtype = 19;
/// Complex of two 32-bit floats ("C64").
pub const SCIPIX_ST_C64: ScipixStDtype = 20;

const DTYPE_CODES: [(ScipixStDtype, Dtype); 20] = [
    (SCIPIX_ST_F64, Dtype::F64),
    (SCIPIX_ST_F32, Dtype::F32),
    (SCIPIX_ST_F16, Dtype::F16),
    (SCIPIX_ST_BF16, Dtype::BF16),
    (SCIPIX_ST_I64, Dtype::I64),
    (SCIPIX_ST_I32, Dtype::I32),
    (SCIPIX_ST_I16, Dtype::I16),
    (SCIPIX_ST_I8, Dtype::I8),
    (SCIPIX_ST_U8, Dtype::U8),
    (SCIPIX_ST_BOOL, Dtype::Bool),
    (SCIPIX_ST_F8_E4M3, Dtype::F8E4M3),
    (SCIPIX_ST_F8_E5M2, Dtype::F8E5M2),
    (SCIPIX_ST_U16, Dtype::U16),
    (SCIPIX_ST_U32, Dtype::U32),
    (SCIPIX_ST_U64, Dtype::U64),
    (SCIPIX_ST_F8_E8M0, Dtype::F8E8M0),
    (SCIPIX_ST_F4, Dtype::F4),
    (SCIPIX_ST_F6_E2M3, Dtype::F6E2M3),
    (SCIPIX_ST_F6_E3M2, Dtype::F6E3M2),
    (SCIPIX_ST_C64, Dtype::C64),
];

fn dtype_from_code(code: ScipixStDtype) -> Result<Dtype> {
    DTYPE_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::UnsupportedFormat,
                format!("unknown safetensors dtype code {code}"),
            )
        })
}

fn dtype_code(d: Dtype) -> ScipixStDtype {
    DTYPE_CODES
        .iter()
        .find(|(_, x)| *x == d)
        .map(|(c, _)| *c)
        .unwrap_or(0)
}

/// Description of one tensor of a `ScipixSafetensors` file. Every pointer points into
/// memory owned or kept alive by the `ScipixSafetensors` handle it came from and stays
/// valid until that handle is freed; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixStTensorInfo {
    /// Tensor name, NUL-terminated.
    pub name: *const c_char,
    /// Element type (`SCIPIX_ST_*`).
    pub dtype: ScipixStDtype,
    /// Number of dimensions (0 for a scalar).
    pub rank: usize,
    /// `rank` dimensions, outermost first (row-major). Not dereferenceable when rank is 0.
    pub shape: *const usize,
    /// Number of elements (product of the shape; 1 for a scalar).
    pub num_elements: usize,
    /// Number of bytes of data.
    pub nbytes: usize,
    /// The tensor's bytes inside the mapped file (zero copy), little-endian, row-major.
    /// Read-only. When `nbytes` is 0 it must not be dereferenced.
    pub data: *const u8,
    /// Offset of the first data byte in the file.
    pub file_offset: u64,
    /// Largest power of two (at most 4096) dividing the address of `data`. Cast `data`
    /// to `float *` etc. only if this is at least the element type's alignment.
    pub alignment: usize,
    /// Bits per element (4, 6, 8, 16, 32 or 64).
    pub bits_per_element: u32,
}

#[cfg(unix)]
fn path_from_c(p: &CStr, _what: &str) -> Result<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(p.to_bytes())))
}

/// Windows and WASI paths are Unicode: the C string must be UTF-8 (std converts it to
/// UTF-16 for Windows).
#[cfg(not(unix))]
fn path_from_c(p: &CStr, what: &str) -> Result<PathBuf> {
    p.to_str().map(PathBuf::from).map_err(|_| {
        Error::invalid(format!(
            "argument `{what}` is not valid UTF-8 (paths are UTF-8 on this platform)"
        ))
    })
}

pub(crate) fn path_arg(p: *const c_char, what: &str) -> Result<PathBuf> {
    if p.is_null() {
        return Err(super::handle::null_error(what));
    }
    // SAFETY: the caller passes a valid NUL-terminated string (documented contract).
    let c = unsafe { CStr::from_ptr(p) };
    if c.to_bytes().is_empty() {
        return Err(Error::invalid(format!(
            "argument `{what}` is an empty path"
        )));
    }
    path_from_c(c, what)
}

pub(crate) fn options_from_flags(flags: ScipixModelFlags) -> Result<OpenOptions> {
    let known = SCIPIX_MODEL_SEQUENTIAL
        | SCIPIX_MODEL_RANDOM
        | SCIPIX_MODEL_WILLNEED
        | SCIPIX_MODEL_LOCK
        | SCIPIX_MODEL_POPULATE;
    if flags & !known != 0 {
        return Err(Error::invalid(format!(
            "unknown model flag bits 0x{:x}",
            flags & !known
        )));
    }
    let access = match (
        flags & SCIPIX_MODEL_SEQUENTIAL != 0,
        flags & SCIPIX_MODEL_RANDOM != 0,
    ) {
        (true, true) => {
            return Err(Error::invalid(
                "SCIPIX_MODEL_SEQUENTIAL and SCIPIX_MODEL_RANDOM are exclusive",
            ))
        }
        (true, false) => Access::Sequential,
        (false, true) => Access::Random,
        (false, false) => Access::Normal,
    };
    Ok(OpenOptions {
        access,
        will_need: flags & SCIPIX_MODEL_WILLNEED != 0,
        populate: flags & SCIPIX_MODEL_POPULATE != 0,
        lock: flags & SCIPIX_MODEL_LOCK != 0,
    })
}

fn access_from_advice(advice: ScipixAdvice) -> Result<Access> {
    match advice {
        SCIPIX_ADVICE_NORMAL => Ok(Access::Normal),
        SCIPIX_ADVICE_SEQUENTIAL => Ok(Access::Sequential),
        SCIPIX_ADVICE_RANDOM => Ok(Access::Random),
        SCIPIX_ADVICE_WILLNEED => Ok(Access::WillNeed),
        other => Err(Error::invalid(format!("unknown advice value {other}"))),
    }
}

/// Maps the file at `path` read-only and stores a new handle in `*out`.
///
/// `path` is a NUL-terminated file path: any bytes on Unix; UTF-8 on Windows (converted
/// to UTF-16) and WebAssembly, where invalid UTF-8 is SCIPIX_ERR_INVALID_ARGUMENT. `flags`
/// is a bitwise OR of `SCIPIX_MODEL_*`. Opening does not read the file (O(1) in its size)
/// unless SCIPIX_MODEL_POPULATE is given. Platforms: on Windows the advice flags other
/// than WILLNEED (`PrefetchVirtualMemory`) are ignored and LOCK is `VirtualLock`; on
/// WebAssembly the whole file is read into a 4096-aligned buffer at open (O(file size)),
/// advice is ignored and LOCK fails with SCIPIX_ERR_IO.
///
/// Errors: NULL `path`/`out` -> SCIPIX_ERR_NULL_POINTER; empty path, unknown flag bits,
/// SEQUENTIAL together with RANDOM, a directory or another non-regular file ->
/// SCIPIX_ERR_INVALID_ARGUMENT; missing file -> SCIPIX_ERR_NOT_FOUND; unreadable file
/// (permissions), mapping, madvise or mlock failure -> SCIPIX_ERR_IO; a 0-byte file ->
/// SCIPIX_ERR_INVALID_FILE. On failure `*out` is not written.
///
/// Truncation: if the file is truncated while mapped, reading the lost pages raises
/// SIGBUS in the reading thread (this cannot be reported as a status). Never truncate or
/// rewrite a mapped model in place: write a new file and rename it over the old one
/// (as `scipix_safetensors_writer_write` does); existing mappings keep the old contents.
///
/// The handle is owned by the caller: release it with `scipix_model_free`. Thread-safe;
/// the handle may be read from many threads at once.
#[no_mangle]
pub extern "C" fn scipix_model_open(
    path: *const c_char,
    flags: ScipixModelFlags,
    out: *mut *const ScipixModel,
) -> ScipixStatus {
    guard(|| {
        let path = path_arg(path, "path")?;
        let out = try_out!(out);
        let options = options_from_flags(flags)?;
        let model = MappedModel::open(&path, options)?;
        *out = to_arc_ptr::<ScipixModel>(Arc::new(model));
        Ok(())
    })
}

/// Releases the caller's reference to `model` (NULL is ignored). The mapping is removed
/// when the last reference goes: safetensors handles made from this model keep their
/// own reference, so their pointers stay valid. Call exactly once per
/// `scipix_model_open`; the handle must not be used afterwards by this caller.
///
/// # Safety
/// `model` must be NULL or a live handle from `scipix_model_open`.
#[no_mangle]
pub unsafe extern "C" fn scipix_model_free(model: *const ScipixModel) {
    guard_or((), || {
        // SAFETY: per the documented contract.
        unsafe { free_arc(model) }
    })
}

/// Stores the address and length of the mapped file in `*data` and `*len`.
///
/// The bytes are read-only and stay valid while any reference to the model exists
/// (this handle, or a safetensors handle made from it). Never write through or free the
/// pointer. `len` is always > 0. Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER (nothing
/// written). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_model_bytes(
    model: *const ScipixModel,
    data: *mut *const u8,
    len: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let m = try_handle!(model);
        let data = try_out!(data);
        let len = try_out!(len);
        *data = m.bytes().as_ptr();
        *len = m.len();
        Ok(())
    })
}

/// Gives the kernel an access hint (`SCIPIX_ADVICE_*`) for the whole mapped file.
/// Errors: NULL model -> SCIPIX_ERR_NULL_POINTER; unknown advice ->
/// SCIPIX_ERR_INVALID_ARGUMENT; madvise failure -> SCIPIX_ERR_IO. Thread-safe.
/// Windows honours only WILLNEED (`PrefetchVirtualMemory`) and WebAssembly none; the
/// other hints are accepted and ignored there.
#[no_mangle]
pub extern "C" fn scipix_model_advise(
    model: *const ScipixModel,
    advice: ScipixAdvice,
) -> ScipixStatus {
    guard(|| {
        let m = try_handle!(model);
        m.advise(access_from_advice(advice)?)
    })
}

/// Gives the kernel an access hint for bytes `offset .. offset + len` of the file, e.g.
/// SCIPIX_ADVICE_WILLNEED with a tensor's `file_offset` and `nbytes` to prefetch it. The
/// range is widened to whole pages; `len == 0` does nothing.
/// Errors: NULL model -> SCIPIX_ERR_NULL_POINTER; offset + len overflowing ->
/// SCIPIX_ERR_SIZE_OVERFLOW; a range outside the file or unknown advice ->
/// SCIPIX_ERR_INVALID_ARGUMENT; madvise failure -> SCIPIX_ERR_IO. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_model_advise_range(
    model: *const ScipixModel,
    advice: ScipixAdvice,
    offset: usize,
    len: usize,
) -> ScipixStatus {
    guard(|| {
        let m = try_handle!(model);
        m.advise_range(access_from_advice(advice)?, offset, len)
    })
}

fn make_handle(st: Safetensors<Arc<MappedModel>>) -> Result<*mut ScipixSafetensors> {
    // The parser rejects NUL characters in names and metadata, so these cannot fail.
    let cstring = |s: &str| {
        CString::new(s).map_err(|_| Error::new(ErrorKind::InvalidFile, "string contains NUL"))
    };
    let names = st
        .iter()
        .map(|t| cstring(t.name))
        .collect::<Result<Vec<_>>>()?;
    let meta = st
        .metadata()
        .iter()
        .map(|(k, v)| Ok((cstring(k)?, cstring(v)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(to_boxed_ptr::<ScipixSafetensors>(SafetensorsHandle {
        st,
        names,
        meta,
    }))
}

/// Maps `path` (as `scipix_model_open` with `flags`) and validates it as a safetensors
/// file, storing a new handle in `*out`. Opening reads only the header: O(header size).
///
/// Validation rules (each violation is SCIPIX_ERR_INVALID_FILE with a message naming the
/// rule and the tensor): at least 8 bytes; header length non-zero, <= 100,000,000 and
/// inside the file; header valid UTF-8 JSON object; no duplicate tensor names, metadata
/// keys or fields; `__metadata__` null or an object of strings; each tensor has exactly
/// `dtype` (a known name), `shape`, `data_offsets`; no NUL in names or metadata; element
/// count x dtype bits without overflow and whole bytes; begin <= end; end - begin equals
/// the byte size; data inside the file; the tensors cover the data region exactly (no
/// overlap, no hole, no trailing bytes). Other errors as `scipix_model_open`.
///
/// Tensors are numbered in file order: ascending data offset. The handle is owned by
/// the caller: release it with `scipix_safetensors_free`. On failure `*out` is not
/// written. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_open(
    path: *const c_char,
    flags: ScipixModelFlags,
    out: *mut *mut ScipixSafetensors,
) -> ScipixStatus {
    guard(|| {
        let path = path_arg(path, "path")?;
        let out = try_out!(out);
        let options = options_from_flags(flags)?;
        let st = Safetensors::open(&path, options)?;
        *out = make_handle(st)?;
        Ok(())
    })
}

/// Validates an already mapped model as a safetensors file (rules as
/// `scipix_safetensors_open`) and stores a new handle in `*out`. The new handle takes
/// its own reference to `model`: the caller may free `model` at any time afterwards.
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; invalid contents ->
/// SCIPIX_ERR_INVALID_FILE. On failure `*out` is not written. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_from_model(
    model: *const ScipixModel,
    out: *mut *mut ScipixSafetensors,
) -> ScipixStatus {
    guard(|| {
        // SAFETY: C callers pass NULL or a live model handle (documented contract).
        let model = unsafe { try_clone_arc::<ScipixModel>(model, "model") }?;
        let out = try_out!(out);
        *out = make_handle(Safetensors::new(model)?)?;
        Ok(())
    })
}

/// Releases a safetensors handle (NULL is ignored), its reference to the mapped model,
/// and every name, shape and metadata pointer obtained from it. Data pointers stay valid
/// only if the caller still holds the `ScipixModel` they came from.
///
/// # Safety
/// `st` must be NULL or a live handle from `scipix_safetensors_open`/`_from_model`,
/// not used afterwards and not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn scipix_safetensors_free(st: *mut ScipixSafetensors) {
    guard_or((), || {
        // SAFETY: per the documented contract.
        unsafe { free_box(st) }
    })
}

/// Stores a new reference to the mapped file behind `st` in `*out` (for
/// `scipix_model_advise_range` or `scipix_model_bytes`); release it with
/// `scipix_model_free`. Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_model(
    st: *const ScipixSafetensors,
    out: *mut *const ScipixModel,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let out = try_out!(out);
        *out = to_arc_ptr::<ScipixModel>(Arc::clone(h.st.model()));
        Ok(())
    })
}

/// Stores the number of tensors in `*count`. Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_tensor_count(
    st: *const ScipixSafetensors,
    count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let count = try_out!(count);
        *count = h.st.len();
        Ok(())
    })
}

/// Stores the NUL-terminated name of tensor `index` (file order, 0-based) in `*name`.
/// The string is owned by `st` and valid until it is freed. Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER; `index >= count` -> SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_tensor_name(
    st: *const ScipixSafetensors,
    index: usize,
    name: *mut *const c_char,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let name = try_out!(name);
        *name = indexed(&h.names, index, "tensor")?.as_ptr();
        Ok(())
    })
}

/// `items[index]`, or `SCIPIX_ERR_INVALID_ARGUMENT` naming the `what` index and the count.
pub(crate) fn indexed<'a, T>(items: &'a [T], index: usize, what: &str) -> Result<&'a T> {
    items.get(index).ok_or_else(|| {
        Error::invalid(format!(
            "{what} index {index} out of range (count {})",
            items.len()
        ))
    })
}

fn fill_info(h: &SafetensorsHandle, index: usize) -> ScipixStTensorInfo {
    let t = h.st.tensor(index).expect("index checked by caller");
    ScipixStTensorInfo {
        name: h.names[index].as_ptr(),
        dtype: dtype_code(t.dtype),
        rank: t.shape.len(),
        shape: t.shape.as_ptr(),
        num_elements: t.num_elements(),
        nbytes: t.nbytes(),
        data: t.data.as_ptr(),
        file_offset: t.file_offset as u64,
        alignment: t.alignment(),
        bits_per_element: t.dtype.bits() as u32,
    }
}

/// Describes tensor `index` (file order, 0-based) in `*info` (zero copy: `info->data`
/// points into the mapped file). Pointers in `*info` are valid until `st` is freed.
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; `index >= count` ->
/// SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_tensor_info(
    st: *const ScipixSafetensors,
    index: usize,
    info: *mut ScipixStTensorInfo,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let info = try_out!(info);
        indexed(&h.names, index, "tensor")?;
        *info = fill_info(h, index);
        Ok(())
    })
}

/// Looks up the tensor called `name` (NUL-terminated UTF-8, exact match) and describes
/// it in `*info` as `scipix_safetensors_tensor_info` does. O(1) average.
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; `name` not UTF-8 ->
/// SCIPIX_ERR_INVALID_ARGUMENT; no such tensor -> SCIPIX_ERR_NOT_FOUND. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_find(
    st: *const ScipixSafetensors,
    name: *const c_char,
    info: *mut ScipixStTensorInfo,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let name = try_cstr!(name);
        let info = try_out!(info);
        let index = h.st.index_of(name).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no tensor named {name:?} in the file"),
            )
        })?;
        *info = fill_info(h, index);
        Ok(())
    })
}

/// Stores the number of `__metadata__` entries in `*count`. Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_metadata_count(
    st: *const ScipixSafetensors,
    count: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let count = try_out!(count);
        *count = h.meta.len();
        Ok(())
    })
}

/// Stores metadata entry `index` (header order) in `*key` and `*value`
/// (NUL-terminated, owned by `st`, valid until it is freed). Errors: NULL argument ->
/// SCIPIX_ERR_NULL_POINTER; `index >= count` -> SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_metadata_entry(
    st: *const ScipixSafetensors,
    index: usize,
    key: *mut *const c_char,
    value: *mut *const c_char,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let key = try_out!(key);
        let value = try_out!(value);
        let (k, v) = indexed(&h.meta, index, "metadata")?;
        *key = k.as_ptr();
        *value = v.as_ptr();
        Ok(())
    })
}

/// Stores the metadata value for `key` (NUL-terminated UTF-8) in `*value` (owned by
/// `st`, valid until it is freed). Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER;
/// `key` not UTF-8 -> SCIPIX_ERR_INVALID_ARGUMENT; no such key -> SCIPIX_ERR_NOT_FOUND.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_safetensors_metadata_get(
    st: *const ScipixSafetensors,
    key: *const c_char,
    value: *mut *const c_char,
) -> ScipixStatus {
    guard(|| {
        let h = try_handle!(st);
        let key = try_cstr!(key);
        let value = try_out!(value);
        let i = h
            .st
            .metadata()
            .iter()
            .position(|(k, _)| k == key)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no metadata key {key:?}")))?;
        *value = h.meta[i].1.as_ptr();
        Ok(())
    })
}

/// Returns the header name of `dtype` ("F32", "F8_E4M3", ...) as a static string, or
/// "unknown" for an invalid code. Never NULL; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_st_dtype_name(dtype: ScipixStDtype) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<CString>> = std::sync::OnceLock::new();
    guard_or(c"unknown".as_ptr(), || match dtype_from_code(dtype) {
        Ok(d) => {
            let names = NAMES.get_or_init(|| {
                Dtype::ALL
                    .iter()
                    .map(|d| CString::new(d.name()).expect("no NUL"))
                    .collect()
            });
            let i = Dtype::ALL.iter().position(|x| *x == d).expect("in ALL");
            names[i].as_ptr()
        }
        Err(_) => c"unknown".as_ptr(),
    })
}

/// Returns the size of one element of `dtype` in bits (4, 6, 8, 16, 32 or 64), or 0 for
/// an invalid code. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_st_dtype_bits(dtype: ScipixStDtype) -> u32 {
    guard_or(0, || dtype_from_code(dtype).map_or(0, |d| d.bits() as u32))
}

/// The checks and borrows of the 16-bit float conversions, then `convert`.
fn half_to_f32(
    src: *const u16,
    dst: *mut f32,
    n: usize,
    convert: fn(&[u16], &mut [f32]) -> Result<()>,
) -> ScipixStatus {
    guard(|| {
        disjoint(
            src.cast(),
            n.saturating_mul(2),
            dst.cast_const().cast(),
            n.saturating_mul(4),
        )?;
        let s = try_slice!(src, n);
        let d = try_slice_mut!(dst, n);
        convert(s, d)
    })
}

/// Converts `n` IEEE half-precision values (bit patterns in `src`) to f32 in `dst`.
/// Exact: every f16 value, including subnormals, infinities, signed zeros and NaN (stays
/// NaN), has an f32 equal. `src` and `dst` may be any alignment valid for their types and
/// must not overlap. `n == 0` does nothing (pointers may then be NULL).
/// Errors: NULL pointer with n > 0 -> SCIPIX_ERR_NULL_POINTER; misaligned pointers or
/// overlapping buffers -> SCIPIX_ERR_INVALID_ARGUMENT. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_f16_to_f32(src: *const u16, dst: *mut f32, n: usize) -> ScipixStatus {
    half_to_f32(src, dst, n, convert::f16_to_f32)
}

/// Converts `n` bfloat16 values (bit patterns in `src`) to f32 in `dst` (exact: the f32
/// whose upper 16 bits are the bf16 bits). Same rules as `scipix_f16_to_f32`.
#[no_mangle]
pub extern "C" fn scipix_bf16_to_f32(src: *const u16, dst: *mut f32, n: usize) -> ScipixStatus {
    half_to_f32(src, dst, n, convert::bf16_to_f32)
}

/// Creates an empty safetensors writer in `*out`; release it with
/// `scipix_safetensors_writer_free`. Errors: NULL `out` -> SCIPIX_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn scipix_safetensors_writer_new(
    out: *mut *mut ScipixSafetensorsWriter,
) -> ScipixStatus {
    guard(|| {
        let out = try_out!(out);
        *out = to_boxed_ptr::<ScipixSafetensorsWriter>(SafetensorsWriter::new());
        Ok(())
    })
}

fn shape_arg<'a>(shape: *const usize, rank: usize) -> Result<&'a [usize]> {
    Ok(try_slice!(shape, rank))
}

/// Adds a tensor, COPYING its `nbytes` bytes from `data` (the caller may reuse `data`
/// right after the call). `name` is NUL-terminated UTF-8; `dtype` is `SCIPIX_ST_*`;
/// `shape` holds `rank` dimensions (may be NULL when rank is 0: a scalar); `data` may be
/// NULL when `nbytes` is 0. `nbytes` must equal element count x dtype bits / 8.
/// Errors: NULL `writer`/`name`, or NULL shape/data with a non-zero count ->
/// SCIPIX_ERR_NULL_POINTER; unknown dtype -> SCIPIX_ERR_UNSUPPORTED_FORMAT; empty,
/// reserved (`__metadata__`) or duplicate name, non-UTF-8 name, wrong `nbytes`, sub-byte
/// tensor not filling whole bytes -> SCIPIX_ERR_INVALID_ARGUMENT; size overflow ->
/// SCIPIX_ERR_SIZE_OVERFLOW. On failure the writer is unchanged.
#[no_mangle]
pub extern "C" fn scipix_safetensors_writer_add_tensor(
    writer: *mut ScipixSafetensorsWriter,
    name: *const c_char,
    dtype: ScipixStDtype,
    shape: *const usize,
    rank: usize,
    data: *const u8,
    nbytes: usize,
) -> ScipixStatus {
    guard(|| {
        let w = try_handle_mut!(writer);
        let name = try_cstr!(name);
        let dtype = dtype_from_code(dtype)?;
        let shape = shape_arg(shape, rank)?;
        let data = try_slice!(data, nbytes);
        w.add_tensor(name, dtype, shape, data.to_vec())
    })
}

/// Adds a tensor WITHOUT copying its data: the writer keeps the pointer, and the
/// caller must keep the `nbytes` bytes at `data` valid and unchanged until
/// `scipix_safetensors_writer_free` (the bytes are read by
/// `scipix_safetensors_writer_write`). Use it for large tensors that live in a mapped
/// model (`ScipixStTensorInfo.data`) or in caller buffers. Arguments and errors as
/// `scipix_safetensors_writer_add_tensor`.
///
/// # Safety
/// `data` must stay valid for reads of `nbytes` bytes and unmodified until the writer is
/// freed.
#[no_mangle]
pub unsafe extern "C" fn scipix_safetensors_writer_add_tensor_borrowed(
    writer: *mut ScipixSafetensorsWriter,
    name: *const c_char,
    dtype: ScipixStDtype,
    shape: *const usize,
    rank: usize,
    data: *const u8,
    nbytes: usize,
) -> ScipixStatus {
    guard(|| {
        let w = try_handle_mut!(writer);
        let name = try_cstr!(name);
        let dtype = dtype_from_code(dtype)?;
        let shape = shape_arg(shape, rank)?;
        // The 'static lifetime is the caller's promise above (valid until the writer is freed).
        let data: &'static [u8] = try_slice!(data, nbytes);
        w.add_tensor(name, dtype, shape, data)
    })
}

/// Adds a `__metadata__` entry (`key` and `value` NUL-terminated UTF-8, copied).
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; non-UTF-8 text or a key added twice
/// -> SCIPIX_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn scipix_safetensors_writer_add_metadata(
    writer: *mut ScipixSafetensorsWriter,
    key: *const c_char,
    value: *const c_char,
) -> ScipixStatus {
    guard(|| {
        let w = try_handle_mut!(writer);
        let key = try_cstr!(key);
        let value = try_cstr!(value);
        w.add_metadata(key, value)
    })
}

/// Writes the collected tensors and metadata to `path` atomically: a temporary file in
/// the same directory is written, flushed to disk (fsync) and renamed over `path`, so
/// `path` holds either its old contents or the complete new file, never a partial one.
/// Windows refuses to replace a file that is mapped: there the old file is renamed aside
/// (`.<name>.old-*`, deleted once nothing maps it, at the latest by the next write to
/// `path`) and the new one renamed in, so an open of `path` at that instant may find no
/// file; handles that map the old file keep reading it. Paths as in `scipix_model_open`.
/// Layout: the JSON header (8-byte aligned, padded with spaces) lists `__metadata__`
/// then the tensors; tensors are stored by decreasing element size, in insertion order
/// within a size. The writer stays usable (it can write again).
/// Errors: NULL argument -> SCIPIX_ERR_NULL_POINTER; empty path or a header above the
/// reader's limit -> SCIPIX_ERR_INVALID_ARGUMENT; any file-system failure ->
/// SCIPIX_ERR_IO (the temporary file is removed).
#[no_mangle]
pub extern "C" fn scipix_safetensors_writer_write(
    writer: *const ScipixSafetensorsWriter,
    path: *const c_char,
) -> ScipixStatus {
    guard(|| {
        let w = try_handle!(writer);
        let path = path_arg(path, "path")?;
        w.write(&path)
    })
}

/// Releases a writer and every tensor copy it holds (NULL is ignored). Borrowed tensor
/// data may be released by the caller after this call.
///
/// # Safety
/// `writer` must be NULL or a live handle from `scipix_safetensors_writer_new`, not used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn scipix_safetensors_writer_free(writer: *mut ScipixSafetensorsWriter) {
    guard_or((), || {
        // SAFETY: per the documented contract.
        unsafe { free_box(writer) }
    })
}

#[cfg(test)]
mod tests;

/// The checks and borrows of the f32 -> 16-bit float conversions, then `convert`.
fn f32_to_half(
    src: *const f32,
    dst: *mut u16,
    n: usize,
    convert: fn(&[f32], &mut [u16]) -> Result<()>,
) -> ScipixStatus {
    guard(|| {
        disjoint(
            src.cast(),
            n.saturating_mul(4),
            dst.cast_const().cast(),
            n.saturating_mul(2),
        )?;
        let s = try_slice!(src, n);
        let d = try_slice_mut!(dst, n);
        convert(s, d)
    })
}

/// Converts `n` f32 values in `src` to IEEE half-precision bit patterns in `dst`, exactly as
/// numpy's `astype(np.float16)`: round to nearest, ties to even; magnitudes >= 65520 and
/// +/-inf give +/-inf; results below the smallest subnormal (2^-24) round to +/-0 (ties to
/// even, sign kept); NaN stays NaN with its sign and top 10 mantissa bits (lowest bit set
/// if those are all zero, so signalling NaNs stay signalling). Identical on every ISA
/// (F16C, AVX-512, SSE4.1, NEON, scalar). `src` and `dst` must not overlap. `n == 0` does
/// nothing (pointers may then be NULL). Large inputs are split over scipix's pool.
/// Errors: NULL pointer with n > 0 -> SCIPIX_ERR_NULL_POINTER; misaligned pointers or
/// overlapping buffers -> SCIPIX_ERR_INVALID_ARGUMENT. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_f32_to_f16(src: *const f32, dst: *mut u16, n: usize) -> ScipixStatus {
    f32_to_half(src, dst, n, convert::f32_to_f16)
}

/// Converts `n` f32 values to bfloat16 bit patterns, exactly as `ml_dtypes.bfloat16` (and
/// torch): the upper 16 bits of the f32 rounded to nearest, ties to even, on the bit
/// pattern, so f32 subnormals round normally (no flush to zero) and values beyond the
/// largest bf16 become +/-inf; NaN gives 0x7fc0 with the sign (payload dropped). Same
/// buffer rules and errors as `scipix_f32_to_f16`. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_f32_to_bf16(src: *const f32, dst: *mut u16, n: usize) -> ScipixStatus {
    f32_to_half(src, dst, n, convert::f32_to_bf16)
}
