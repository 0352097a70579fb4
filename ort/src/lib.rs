//! scipix preprocessing as ONNX Runtime custom operators (domain `scipix`, version 1).
//!
//! ONNX Runtime loads this library with `SessionOptions.register_custom_ops_library(path)`
//! (Python) or `RegisterCustomOpsLibrary_V2` (C) and calls [`RegisterCustomOps`], which adds
//! the operators of `ops` to the session options. The library does not link ONNX Runtime:
//! every call goes through the `OrtApi` table ONNX Runtime passes in. The declarations are
//! ort-sys's (ONNX Runtime's `onnxruntime_c_api.h`, API version 17 selected); API 17 is what
//! this library requests and what its `OrtCustomOp`s declare, so ONNX Runtime 1.17 and later
//! load it. All unsafe code is in this file; the operators themselves are safe Rust.
//!
//! Every callback that can fail runs under `catch_unwind`: an error becomes an
//! `ORT_INVALID_ARGUMENT` status carrying the operator name and the message, a panic an
//! `ORT_FAIL` status; nothing unwinds into ONNX Runtime.

mod ops;

use ops::{Attrs, BatchedNms, ClassifyToTensor, DecodeImage, DecodeLetterboxToTensor};
use ops::{DequantizeGgml, DequantizeInt4, ImageToTensor, Io, Letterbox, LetterboxToTensor};
use ops::{Nms, Op, OpResult, Resize, FLOAT, INT64, UINT8};
use ort_sys::{
    ONNXTensorElementDataType, OrtApi, OrtApiBase, OrtCustomOp, OrtCustomOpDomain,
    OrtCustomOpInputOutputCharacteristic, OrtErrorCode, OrtKernelContext, OrtKernelInfo,
    OrtMemType, OrtSessionOptions, OrtStatusPtr, OrtTensorTypeAndShapeInfo, OrtValue,
};
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{null, null_mut};

/// The OrtApi version requested and declared by every operator (ort-sys's `api-17` set).
const API_VERSION: u32 = ort_sys::ORT_API_VERSION;

/// The custom-op domain name used in ONNX graphs (`opset_import` domain "scipix", version 1).
const DOMAIN: &CStr = c"scipix";

static LETTERBOX_TO_TENSOR: OrtCustomOp = custom_op::<LetterboxToTensor>();
static CLASSIFY_TO_TENSOR: OrtCustomOp = custom_op::<ClassifyToTensor>();
static DECODE_IMAGE: OrtCustomOp = custom_op::<DecodeImage>();
static DECODE_LETTERBOX_TO_TENSOR: OrtCustomOp = custom_op::<DecodeLetterboxToTensor>();
static RESIZE: OrtCustomOp = custom_op::<Resize>();
static LETTERBOX: OrtCustomOp = custom_op::<Letterbox>();
static IMAGE_TO_TENSOR: OrtCustomOp = custom_op::<ImageToTensor>();
static NMS: OrtCustomOp = custom_op::<Nms>();
static BATCHED_NMS: OrtCustomOp = custom_op::<BatchedNms>();
static DEQUANTIZE_GGML: OrtCustomOp = custom_op::<DequantizeGgml>();
static DEQUANTIZE_INT4: OrtCustomOp = custom_op::<DequantizeInt4>();

/// Entry point ONNX Runtime calls after loading the library: creates the "scipix" domain,
/// adds the operators and registers the domain with `options`.
///
/// # Safety
/// `options` and `api_base` must be the valid pointers ONNX Runtime passes.
#[no_mangle]
pub unsafe extern "system" fn RegisterCustomOps(
    options: *mut OrtSessionOptions,
    api_base: *const OrtApiBase,
) -> OrtStatusPtr {
    if api_base.is_null() {
        return OrtStatusPtr(null_mut());
    }
    // SAFETY: ONNX Runtime passes a valid OrtApiBase that lives as long as the process.
    let api = unsafe { ((*api_base).GetApi)(API_VERSION) };
    if api.is_null() {
        // No table means no way to make a status; the runtime is older than API 17, and a
        // session using the operators then fails on the unknown domain.
        eprintln!("scipix-ort: ONNX Runtime does not offer OrtApi version {API_VERSION}");
        return OrtStatusPtr(null_mut());
    }
    // SAFETY: non-null table from GetApi, valid for the process lifetime.
    let api: &'static OrtApi = unsafe { &*api };
    guarded(api, "RegisterCustomOps", || {
        let mut domain: *mut OrtCustomOpDomain = null_mut();
        // SAFETY: DOMAIN is NUL-terminated; `domain` is a valid out-pointer.
        check(api, unsafe {
            (api.CreateCustomOpDomain)(DOMAIN.as_ptr(), &mut domain)
        })?;
        for op in [
            &LETTERBOX_TO_TENSOR,
            &CLASSIFY_TO_TENSOR,
            &DECODE_IMAGE,
            &DECODE_LETTERBOX_TO_TENSOR,
            &RESIZE,
            &LETTERBOX,
            &IMAGE_TO_TENSOR,
            &NMS,
            &BATCHED_NMS,
            &DEQUANTIZE_GGML,
            &DEQUANTIZE_INT4,
        ] {
            // SAFETY: `domain` was just created; the ops are statics that outlive it.
            check(api, unsafe { (api.CustomOpDomain_Add)(domain, op) })?;
        }
        // The domain is never released: sessions created from `options` keep pointing at it
        // (one small allocation per registration).
        // SAFETY: `options` is ONNX Runtime's valid session options; `domain` is ours.
        check(api, unsafe { (api.AddCustomOpDomain)(options, domain) })
    })
}

/// An `ORT_INVALID_ARGUMENT` status (or `code`) with `msg` (interior NULs dropped).
fn status(api: &OrtApi, code: OrtErrorCode, msg: &str) -> OrtStatusPtr {
    let msg = CString::new(msg.replace('\0', "")).unwrap_or_default();
    // SAFETY: `msg` is a valid NUL-terminated string; CreateStatus copies it.
    unsafe { (api.CreateStatus)(code, msg.as_ptr()) }
}

/// Turns a status returned by ONNX Runtime into `Err(message)`, releasing it.
fn check(api: &OrtApi, st: OrtStatusPtr) -> OpResult<()> {
    if st.0.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null status from ONNX Runtime; its message is valid until released.
    let msg = unsafe { CStr::from_ptr((api.GetErrorMessage)(st.0)) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: the status is ours to release, once.
    unsafe { (api.ReleaseStatus)(st.0) };
    Err(msg)
}

/// Runs `f` with panics caught: `Ok` is a null status, `Err(m)` an `ORT_INVALID_ARGUMENT`
/// status "`what`: m", a panic an `ORT_FAIL` status.
fn guarded(api: &OrtApi, what: &str, f: impl FnOnce() -> OpResult<()>) -> OrtStatusPtr {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => OrtStatusPtr(null_mut()),
        Ok(Err(m)) => status(
            api,
            OrtErrorCode::ORT_INVALID_ARGUMENT,
            &format!("{what}: {m}"),
        ),
        Err(p) => {
            let m = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            status(
                api,
                OrtErrorCode::ORT_FAIL,
                &format!("{what}: internal error (panic): {m}"),
            )
        }
    }
}

fn element_type(t: i32) -> ONNXTensorElementDataType {
    match t {
        FLOAT => ONNXTensorElementDataType::ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT,
        UINT8 => ONNXTensorElementDataType::ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8,
        INT64 => ONNXTensorElementDataType::ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64,
        _ => ONNXTensorElementDataType::ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED,
    }
}

/// The `OrtCustomOp` of `K`, in the API-17 layout (`version` says which fields ONNX Runtime
/// reads). The V2 kernel functions (API 16+) are used so kernel creation and compute return
/// statuses. The callbacks without `guarded` only return constants and cannot panic.
const fn custom_op<K: Op>() -> OrtCustomOp {
    OrtCustomOp {
        version: API_VERSION,
        CreateKernel: None,
        GetName: Some(op_name::<K>),
        GetExecutionProviderType: Some(op_ep),
        GetInputType: Some(op_input_type::<K>),
        GetInputTypeCount: Some(op_input_count::<K>),
        GetOutputType: Some(op_output_type::<K>),
        GetOutputTypeCount: Some(op_output_count::<K>),
        KernelCompute: None,
        KernelDestroy: Some(kernel_destroy::<K>),
        GetInputCharacteristic: Some(op_input_characteristic::<K>),
        GetOutputCharacteristic: Some(op_required),
        GetInputMemoryType: Some(op_input_memory),
        GetVariadicInputMinArity: Some(op_one),
        GetVariadicInputHomogeneity: Some(op_one),
        GetVariadicOutputMinArity: Some(op_one),
        GetVariadicOutputHomogeneity: Some(op_one),
        CreateKernelV2: Some(kernel_create::<K>),
        KernelComputeV2: Some(kernel_compute::<K>),
        InferOutputShapeFn: None,
        GetStartVersion: Some(op_start_version),
        GetEndVersion: Some(op_end_version),
    }
}

extern "system" fn op_name<K: Op>(_: *const OrtCustomOp) -> *const c_char {
    K::NAME.as_ptr()
}
extern "system" fn op_ep(_: *const OrtCustomOp) -> *const c_char {
    c"CPUExecutionProvider".as_ptr()
}
extern "system" fn op_input_type<K: Op>(
    _: *const OrtCustomOp,
    i: usize,
) -> ONNXTensorElementDataType {
    element_type(K::INPUTS.get(i).copied().unwrap_or(0))
}
extern "system" fn op_input_count<K: Op>(_: *const OrtCustomOp) -> usize {
    K::INPUTS.len()
}
extern "system" fn op_output_type<K: Op>(
    _: *const OrtCustomOp,
    i: usize,
) -> ONNXTensorElementDataType {
    element_type(K::OUTPUTS.get(i).copied().unwrap_or(0))
}
extern "system" fn op_output_count<K: Op>(_: *const OrtCustomOp) -> usize {
    K::OUTPUTS.len()
}
extern "system" fn op_required(
    _: *const OrtCustomOp,
    _: usize,
) -> OrtCustomOpInputOutputCharacteristic {
    OrtCustomOpInputOutputCharacteristic::INPUT_OUTPUT_REQUIRED
}
extern "system" fn op_input_characteristic<K: Op>(
    _: *const OrtCustomOp,
    i: usize,
) -> OrtCustomOpInputOutputCharacteristic {
    if i < K::REQUIRED_INPUTS {
        OrtCustomOpInputOutputCharacteristic::INPUT_OUTPUT_REQUIRED
    } else {
        OrtCustomOpInputOutputCharacteristic::INPUT_OUTPUT_OPTIONAL
    }
}
extern "system" fn op_input_memory(_: *const OrtCustomOp, _: usize) -> OrtMemType {
    OrtMemType::OrtMemTypeDefault
}
extern "system" fn op_one(_: *const OrtCustomOp) -> c_int {
    1
}
extern "system" fn op_start_version(_: *const OrtCustomOp) -> c_int {
    1
}
extern "system" fn op_end_version(_: *const OrtCustomOp) -> c_int {
    c_int::MAX
}

/// One kernel (one node of a session): the API table and the parsed operator.
struct Kernel<K> {
    api: &'static OrtApi,
    op: K,
}

extern "system" fn kernel_create<K: Op>(
    _: *const OrtCustomOp,
    api: *const OrtApi,
    info: *const OrtKernelInfo,
    kernel: *mut *mut c_void,
) -> OrtStatusPtr {
    if api.is_null() {
        return OrtStatusPtr(null_mut());
    }
    // SAFETY: ONNX Runtime passes its API table, valid for the process lifetime.
    let api: &'static OrtApi = unsafe { &*api };
    guarded(api, K::NAME.to_str().unwrap_or("scipix op"), || {
        if info.is_null() || kernel.is_null() {
            return Err("kernel info or output pointer is null".into());
        }
        let op = K::new(&KernelAttrs { api, info })?;
        let k = Box::into_raw(Box::new(Kernel { api, op }));
        // SAFETY: `kernel` is ONNX Runtime's non-null out-pointer; it hands the value back to
        // kernel_compute and kernel_destroy.
        unsafe { *kernel = k.cast() };
        Ok(())
    })
}

extern "system" fn kernel_compute<K: Op>(
    kernel: *mut c_void,
    ctx: *mut OrtKernelContext,
) -> OrtStatusPtr {
    // SAFETY: `kernel` is the Box<Kernel<K>> made by kernel_create::<K> (ONNX Runtime pairs
    // each op's callbacks), alive until kernel_destroy; compute only reads it, so concurrent
    // runs of one session share it safely (K: Sync).
    let k: &Kernel<K> = unsafe { &*(kernel as *const Kernel<K>) };
    guarded(k.api, K::NAME.to_str().unwrap_or("scipix op"), || {
        let io = KernelIo {
            api: k.api,
            ctx,
            taken: Cell::new(0),
            _run: PhantomData,
        };
        k.op.compute(&io)
    })
}

extern "system" fn kernel_destroy<K: Op>(kernel: *mut c_void) {
    if kernel.is_null() {
        return;
    }
    // Dropping a parsed operator cannot panic, but keep the boundary closed regardless.
    let _ = catch_unwind(|| {
        // SAFETY: `kernel` came from Box::into_raw in kernel_create::<K>; ONNX Runtime
        // destroys each kernel once.
        drop(unsafe { Box::from_raw(kernel as *mut Kernel<K>) });
    });
}

/// Attributes of a node through `KernelInfoGetAttribute*`.
struct KernelAttrs {
    api: &'static OrtApi,
    info: *const OrtKernelInfo,
}

impl KernelAttrs {
    /// `Ok(true)`: read; `Ok(false)`: absent; `Err`: present but unreadable (wrong type).
    fn read(&self, name: &str, st: OrtStatusPtr) -> OpResult<bool> {
        match check(self.api, st) {
            Ok(()) => Ok(true),
            // ONNX Runtime's wording for a missing attribute: "No attribute with name:..." (scalars)
            // and "No attribute with this name is defined." (arrays).
            Err(m) if m.contains("No attribute with") => Ok(false),
            Err(m) => Err(format!("attribute {name}: {m}")),
        }
    }

    fn cname(name: &str) -> CString {
        CString::new(name).unwrap_or_default()
    }

    /// An array attribute: ask for the length, then fill.
    fn array<T: Copy + Default>(
        &self,
        name: &str,
        get: unsafe extern "system" fn(
            *const OrtKernelInfo,
            *const c_char,
            *mut T,
            *mut usize,
        ) -> OrtStatusPtr,
    ) -> OpResult<Option<Vec<T>>> {
        let c = Self::cname(name);
        let mut n = 0usize;
        // SAFETY: a null `out` asks ONNX Runtime for the length only (documented behaviour).
        if !self.read(name, unsafe {
            get(self.info, c.as_ptr(), null_mut(), &mut n)
        })? {
            return Ok(None);
        }
        let mut v = vec![T::default(); n];
        if n > 0 {
            // SAFETY: `v` holds `n` elements, the size passed.
            self.read(name, unsafe {
                get(self.info, c.as_ptr(), v.as_mut_ptr(), &mut n)
            })?;
            v.truncate(n);
        }
        Ok(Some(v))
    }
}

impl Attrs for KernelAttrs {
    fn int(&self, name: &str) -> OpResult<Option<i64>> {
        let c = Self::cname(name);
        let mut v = 0i64;
        // SAFETY: valid kernel info, NUL-terminated name, valid out-pointer.
        let st = unsafe { (self.api.KernelInfoGetAttribute_int64)(self.info, c.as_ptr(), &mut v) };
        Ok(self.read(name, st)?.then_some(v))
    }

    fn float(&self, name: &str) -> OpResult<Option<f32>> {
        let c = Self::cname(name);
        let mut v = 0f32;
        // SAFETY: valid kernel info, NUL-terminated name, valid out-pointer.
        let st = unsafe { (self.api.KernelInfoGetAttribute_float)(self.info, c.as_ptr(), &mut v) };
        Ok(self.read(name, st)?.then_some(v))
    }

    fn ints(&self, name: &str) -> OpResult<Option<Vec<i64>>> {
        self.array(name, self.api.KernelInfoGetAttributeArray_int64)
    }

    fn floats(&self, name: &str) -> OpResult<Option<Vec<f32>>> {
        self.array(name, self.api.KernelInfoGetAttributeArray_float)
    }

    fn string(&self, name: &str) -> OpResult<Option<String>> {
        let c = Self::cname(name);
        let mut n = 0usize;
        let get = self.api.KernelInfoGetAttribute_string;
        // SAFETY: a null `out` asks for the size (with the NUL) only.
        if !self.read(name, unsafe {
            get(self.info, c.as_ptr(), null_mut(), &mut n)
        })? {
            return Ok(None);
        }
        let mut buf = vec![0u8; n.max(1)];
        // SAFETY: `buf` holds `n` bytes, the size passed.
        self.read(name, unsafe {
            get(self.info, c.as_ptr(), buf.as_mut_ptr().cast(), &mut n)
        })?;
        let s =
            CStr::from_bytes_until_nul(&buf).map_err(|_| format!("attribute {name}: no NUL"))?;
        Ok(Some(s.to_string_lossy().into_owned()))
    }
}

/// The tensors of one compute call; `'a` is that call.
struct KernelIo<'a> {
    api: &'static OrtApi,
    ctx: *mut OrtKernelContext,
    /// Bit `i`: output `i` was handed out (each may be taken once, so slices never alias).
    taken: Cell<u64>,
    _run: PhantomData<&'a mut OrtKernelContext>,
}

/// Releases a type-and-shape info on drop.
struct ShapeInfo<'a>(&'a OrtApi, *mut OrtTensorTypeAndShapeInfo);

impl Drop for ShapeInfo<'_> {
    fn drop(&mut self) {
        // SAFETY: created by GetTensorTypeAndShape, released once.
        unsafe { (self.0.ReleaseTensorTypeAndShapeInfo)(self.1) }
    }
}

impl<'a> KernelIo<'a> {
    /// Element type (TensorProto number), shape and element count of `v`.
    fn describe(&self, v: *const OrtValue) -> OpResult<(i32, Vec<i64>, usize)> {
        let api = self.api;
        let mut info = null_mut();
        // SAFETY: `v` is a valid tensor value of this run; `info` a valid out-pointer.
        check(api, unsafe { (api.GetTensorTypeAndShape)(v, &mut info) })?;
        let info = ShapeInfo(api, info);
        let mut ty = ONNXTensorElementDataType::ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
        let mut rank = 0usize;
        // SAFETY: `info.1` is live until `info` drops; out-pointers are valid.
        check(api, unsafe { (api.GetTensorElementType)(info.1, &mut ty) })?;
        // SAFETY: as above.
        check(api, unsafe { (api.GetDimensionsCount)(info.1, &mut rank) })?;
        let mut dims = vec![0i64; rank];
        // SAFETY: `dims` holds `rank` values, the length passed.
        check(api, unsafe {
            (api.GetDimensions)(info.1, dims.as_mut_ptr(), rank)
        })?;
        let count = dims.iter().try_fold(1usize, |acc, &d| {
            usize::try_from(d).ok().and_then(|d| acc.checked_mul(d))
        });
        let count = count.ok_or_else(|| format!("tensor shape {dims:?} has no element count"))?;
        Ok((ty as i32, dims, count))
    }

    fn data(&self, v: *mut OrtValue) -> OpResult<*mut c_void> {
        let mut p = null_mut();
        // SAFETY: `v` is a valid tensor value of this run; `p` a valid out-pointer.
        check(self.api, unsafe {
            (self.api.GetTensorMutableData)(v, &mut p)
        })?;
        if p.is_null() {
            return Err("tensor without data".into());
        }
        Ok(p)
    }

    fn output(&self, index: usize, shape: &[usize], want: i32) -> OpResult<(*mut c_void, usize)> {
        let bit = 1u64.checked_shl(index as u32).unwrap_or(0);
        if bit == 0 || self.taken.get() & bit != 0 {
            return Err(format!("output {index} requested twice"));
        }
        self.taken.set(self.taken.get() | bit);
        let dims = shape
            .iter()
            .map(|&d| i64::try_from(d).map_err(|_| format!("output dimension {d} too large")))
            .collect::<OpResult<Vec<i64>>>()?;
        let mut v = null_mut();
        // SAFETY: valid context of this run; `dims` holds `dims.len()` values.
        check(self.api, unsafe {
            (self.api.KernelContext_GetOutput)(self.ctx, index, dims.as_ptr(), dims.len(), &mut v)
        })?;
        if v.is_null() {
            return Err(format!("output {index} could not be allocated"));
        }
        let (ty, _, count) = self.describe(v)?;
        if ty != want {
            return Err(format!(
                "output {index} has element type {ty}, expected {want}"
            ));
        }
        if count == 0 {
            return Ok((null_mut(), 0));
        }
        Ok((self.data(v)?, count))
    }
}

impl<'a> KernelIo<'a> {
    /// Input `index` as `count` elements of `T`, its element type checked to be `T::TYPE`;
    /// `None` when the input is absent (an omitted optional input).
    fn input<T: Element>(&self, index: usize, name: &str) -> OpResult<Option<(Vec<i64>, &'a [T])>> {
        let want = T::TYPE;
        let mut n = 0usize;
        // SAFETY: valid context of this run; `n` a valid out-pointer.
        check(self.api, unsafe {
            (self.api.KernelContext_GetInputCount)(self.ctx, &mut n)
        })?;
        if index >= n {
            return Ok(None);
        }
        let mut v: *const OrtValue = null();
        // SAFETY: valid context of this run, index below the input count; `v` a valid
        // out-pointer.
        check(self.api, unsafe {
            (self.api.KernelContext_GetInput)(self.ctx, index, &mut v)
        })?;
        if v.is_null() {
            return Ok(None);
        }
        let (ty, dims, count) = self.describe(v)?;
        if ty != want {
            return Err(format!(
                "input {index} ({name}) has element type {ty}, expected {} ({want})",
                type_name(want)
            ));
        }
        if count == 0 {
            return Ok(Some((dims, &[])));
        }
        // GetTensorMutableData is the C API's only data accessor; the data is only read.
        let p = self.data(v.cast_mut())?;
        if !(p as usize).is_multiple_of(std::mem::align_of::<T>()) {
            return Err(format!("input {index} ({name}) is not aligned"));
        }
        // SAFETY: ONNX Runtime's input tensor holds `count` elements of element type
        // T::TYPE, i.e. of T (checked above), aligned (checked), alive and unchanged for this
        // compute call ('a); no output aliases an input (no in-place declared).
        Ok(Some((dims, unsafe {
            std::slice::from_raw_parts(p as *const T, count)
        })))
    }

    /// Output `index`, allocated with `shape`, as elements of `T` (its element type checked).
    fn output_slice<T: Element>(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [T]> {
        let (p, count) = self.output(index, shape, T::TYPE)?;
        if count == 0 {
            return Ok(&mut []);
        }
        if !(p as usize).is_multiple_of(std::mem::align_of::<T>()) {
            return Err(format!("output {index} is not aligned"));
        }
        // SAFETY: a fresh tensor of `count` elements of element type T::TYPE, i.e. of T
        // (checked by `output`), aligned (checked), owned by this run and handed out once
        // (`taken`), so no other slice aliases it.
        Ok(unsafe { std::slice::from_raw_parts_mut(p as *mut T, count) })
    }

    fn required<T: Element>(&self, index: usize, name: &str) -> OpResult<(Vec<i64>, &'a [T])> {
        self.input(index, name)?
            .ok_or_else(|| format!("input {index} ({name}) is missing"))
    }
}

/// A tensor element type: the Rust type and its TensorProto number.
trait Element: Copy {
    const TYPE: i32;
}
impl Element for u8 {
    const TYPE: i32 = UINT8;
}
impl Element for f32 {
    const TYPE: i32 = FLOAT;
}
impl Element for i64 {
    const TYPE: i32 = INT64;
}

fn type_name(t: i32) -> &'static str {
    match t {
        FLOAT => "float32",
        UINT8 => "uint8",
        INT64 => "int64",
        _ => "?",
    }
}

impl<'a> Io<'a> for KernelIo<'a> {
    fn input_u8(&self, index: usize) -> OpResult<(Vec<i64>, &'a [u8])> {
        self.required(index, "image or bytes")
    }

    fn input_f32(&self, index: usize, name: &str) -> OpResult<(Vec<i64>, &'a [f32])> {
        self.required(index, name)
    }

    fn input_i64(&self, index: usize, name: &str) -> OpResult<Option<(Vec<i64>, &'a [i64])>> {
        self.input(index, name)
    }

    fn output_f32(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [f32]> {
        self.output_slice(index, shape)
    }

    fn output_u8(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [u8]> {
        self.output_slice(index, shape)
    }

    fn output_i64(&self, index: usize, shape: &[usize]) -> OpResult<&'a mut [i64]> {
        self.output_slice(index, shape)
    }
}
