//! C API: image-to-tensor conversion and f32 normalization.
//!
//! ```
//! use scipix::capi::tensor::*;
//! use scipix::capi::ScipixStatus;
//!
//! let mut params = std::mem::MaybeUninit::<ScipixTensorParams>::uninit();
//! assert_eq!(scipix_tensor_params_default(params.as_mut_ptr()), ScipixStatus::SCIPIX_OK);
//! let params = unsafe { params.assume_init() };
//! assert_eq!((params.divisor, params.scale), (1.0, 1.0));
//! ```

use super::guard::guard;
use super::handle::{spans_overlap, try_out, try_out_pair, try_ref_from_ptr, try_slice};
use super::image_desc::ScipixImage;
use super::status::ScipixStatus;
use crate::error::{checked_product, Error, ErrorKind, Result};
use crate::image::ImageView;
use crate::tensor::{self, Layout, TensorParams};

/// Memory order of a tensor (one of `SCIPIX_LAYOUT_*`).
pub type ScipixTensorLayout = u32;
/// Batch, channel, row, column: element (n,c,y,x) at `((n*C + c)*H + y)*W + x`.
pub const SCIPIX_LAYOUT_NCHW: ScipixTensorLayout = 0;
/// Batch, row, column, channel: element (n,c,y,x) at `((n*H + y)*W + x)*C + c`.
pub const SCIPIX_LAYOUT_NHWC: ScipixTensorLayout = 1;

/// Parameters of the image-to-tensor rule. Every output element equals, bit for bit,
/// `out = ((x / divisor - mean[c]) * scale) / std[c]` evaluated in float in exactly this
/// order, each step rounded to nearest, no fused multiply-add (kernels compute it another
/// way only where that is proven to give the same bits), where `x` is the input byte as float
/// and `c` the OUTPUT channel. Output channels: 1 for gray, 3 for colour formats (alpha is
/// dropped), in memory order (R,G,B for RGB/RGBA, B,G,R for BGR/BGRA) unless `swap_rb`
/// reverses them. Entries of `mean`/`std` beyond the channel count are ignored.
/// torchvision `ToTensor()+Normalize(m, s)`: divisor 255, mean m, scale 1, std s.
/// OpenCV `blobFromImage(img, f, size, m, swapRB)`: divisor 1, mean m, scale f, std 1.
/// Fill with `scipix_tensor_params_default` first, then set fields by name.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScipixTensorParams {
    /// Multiplier applied after the mean is subtracted (OpenCV's scalefactor); finite.
    pub scale: f32,
    /// Subtracted per output channel after the division; finite.
    pub mean: [f32; 4],
    /// Final divisor per output channel; finite and non-zero for used channels.
    pub std: [f32; 4],
    /// Reverse the colour channel order (R<->B), like OpenCV's swapRB; ignored for gray.
    pub swap_rb: bool,
    /// `SCIPIX_LAYOUT_NCHW` or `SCIPIX_LAYOUT_NHWC`.
    pub layout: ScipixTensorLayout,
    /// First step divides the byte value by this (255 for torchvision); finite, non-zero.
    pub divisor: f32,
}

/// The Rust layout of a `SCIPIX_LAYOUT_*` value.
pub(crate) fn layout_arg(v: ScipixTensorLayout) -> Result<Layout> {
    match v {
        SCIPIX_LAYOUT_NCHW => Ok(Layout::Nchw),
        SCIPIX_LAYOUT_NHWC => Ok(Layout::Nhwc),
        other => Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!("unknown tensor layout {other}"),
        )),
    }
}

impl ScipixTensorParams {
    pub(crate) fn to_rust(self) -> Result<TensorParams> {
        let layout = layout_arg(self.layout)?;
        Ok(TensorParams {
            divisor: self.divisor,
            mean: self.mean,
            scale: self.scale,
            std: self.std,
            swap_rb: self.swap_rb,
            layout,
        })
    }
}

/// Fills `*params` with the identity rule: divisor 1, mean 0, scale 1, std 1, no swap,
/// NCHW (so `out = x`). Thread-safe.
/// Errors: `SCIPIX_ERR_NULL_POINTER` when `params` is NULL.
#[no_mangle]
pub extern "C" fn scipix_tensor_params_default(params: *mut ScipixTensorParams) -> ScipixStatus {
    guard(|| {
        let p = try_out!(params);
        *p = ScipixTensorParams {
            scale: 1.0,
            mean: [0.0; 4],
            std: [1.0; 4],
            swap_rb: false,
            layout: SCIPIX_LAYOUT_NCHW,
            divisor: 1.0,
        };
        Ok(())
    })
}

/// Writes to `*out_len` the number of floats the tensor of `src` needs:
/// `C * height * width` with C = 1 for gray, 3 for the colour formats.
/// Errors: `SCIPIX_ERR_NULL_POINTER`, invalid descriptor statuses as for every image call,
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_image_tensor_len(
    src: *const ScipixImage,
    out_len: *mut usize,
) -> ScipixStatus {
    guard(|| {
        let desc = try_ref_from_ptr!(src);
        let out_len = try_out!(out_len);
        // SAFETY: the caller promises the descriptor describes readable memory.
        let img = unsafe { desc.view() }?;
        *out_len = tensor::tensor_len(img.width(), img.height(), img.format())?;
        Ok(())
    })
}

/// Fails when the float output `[out, out + need)` overlaps the image bytes.
pub(crate) fn ensure_out_disjoint(desc: &ScipixImage, out: *mut f32, need: usize) -> Result<()> {
    if spans_overlap(desc.byte_span()?, out_byte_span(out, need)?) {
        return Err(Error::invalid(
            "the output tensor overlaps the source image bytes",
        ));
    }
    Ok(())
}

/// The bytes `[start, end)` that `floats` floats at `out` cover.
pub(crate) fn out_byte_span(out: *mut f32, floats: usize) -> Result<(usize, usize)> {
    let start = out as usize;
    let end = floats
        .checked_mul(4)
        .and_then(|n| start.checked_add(n))
        .ok_or_else(|| Error::overflow("output size in bytes overflows"))?;
    Ok((start, end))
}

/// Slot `index` of a batch tensor at `out` (capacity `out_len` floats) whose slots hold
/// `per` floats each. In order: the slot's end must not overflow; `check` gets the byte
/// span the call may write (up to the slot's end, at most `out_len` floats) to refuse
/// overlaps with its inputs, and its value is returned with the slot; `out_len` must reach
/// the slot's end (`BufferTooSmall`, naming the `what` of index `index`).
pub(crate) fn batch_slot<'a, T>(
    out: *mut f32,
    out_len: usize,
    per: usize,
    index: usize,
    what: &str,
    check: impl FnOnce((usize, usize)) -> Result<T>,
) -> Result<(T, &'a mut [f32])> {
    let end = checked_product(&[index.saturating_add(1), per], "batch_index x tensor")?;
    let checked = check(out_byte_span(out, end.min(out_len))?)?;
    if out_len < end {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("out_len is {out_len} floats; {what} {index} of {per} floats ends at {end}"),
        ));
    }
    let all = out_slice(out, out_len, end)?;
    Ok((checked, &mut all[end - per..end]))
}

/// Borrows `need` floats at `out` after checking `out_len >= need`.
pub(crate) fn out_slice<'a>(out: *mut f32, out_len: usize, need: usize) -> Result<&'a mut [f32]> {
    if out_len < need {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!("out_len is {out_len} floats, the tensor needs {need}"),
        ));
    }
    if need == 0 {
        return Ok(&mut []);
    }
    if out.is_null() {
        return Err(Error::new(ErrorKind::NullPointer, "argument `out` is NULL"));
    }
    if !(out as usize).is_multiple_of(std::mem::align_of::<f32>()) {
        return Err(Error::invalid("`out` is not aligned to 4 bytes"));
    }
    // SAFETY: the caller promises `out_len >= need` writable floats at `out`.
    Ok(unsafe { std::slice::from_raw_parts_mut(out, need) })
}

/// Converts one 8-bit image into a float tensor of shape 1xCxHxW (NCHW) or 1xHxWxC (NHWC)
/// with the rule in `ScipixTensorParams` (see there: exact float order, channel order,
/// torchvision and OpenCV settings). Writes exactly `C * height * width` floats to `out`
/// (query with `scipix_image_tensor_len`); `out_len` is the capacity of `out` in floats.
/// Every kernel family (scalar, SSE4.1, AVX2, NEON) gives the same bits; large images are
/// split into row bands on scipix's pool with identical results for any thread count.
/// `out` must be 4-byte aligned and must not overlap the image bytes.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, params, image data, out);
/// `SCIPIX_ERR_UNSUPPORTED_FORMAT` (pixel format or layout unknown);
/// `SCIPIX_ERR_INVALID_ARGUMENT` (bad geometry, divisor/std zero or non-finite,
/// non-finite mean/scale, overlap); `SCIPIX_ERR_SIZE_OVERFLOW`;
/// `SCIPIX_ERR_BUFFER_TOO_SMALL` (out_len short). Nothing is written on failure.
/// Thread-safe; `out` must not be used by another thread during the call.
#[no_mangle]
pub extern "C" fn scipix_image_to_tensor(
    src: *const ScipixImage,
    params: *const ScipixTensorParams,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        let desc = try_ref_from_ptr!(src);
        let p = try_ref_from_ptr!(params).to_rust()?;
        // SAFETY: the caller promises the descriptor describes readable memory.
        let img = unsafe { desc.view() }?;
        p.validate(tensor::tensor_channels(img.format()))?;
        let need = tensor::tensor_len(img.width(), img.height(), img.format())?;
        ensure_out_disjoint(desc, out, need.min(out_len))?;
        let out = out_slice(out, out_len, need)?;
        tensor::image_to_tensor(&img, &p, out)
    })
}

/// Converts `n` images of the same width, height and channel count (formats may differ,
/// e.g. RGB and BGRA both give 3 channels) into one batch tensor of shape NxCxHxW or
/// NxHxWxC: image `i` fills floats `[i*C*H*W, (i+1)*C*H*W)` of `out`, each exactly as
/// `scipix_image_to_tensor` would. `out_len` is the capacity of `out` in floats and must be
/// at least `n*C*H*W`. Images are converted in parallel on scipix's pool, one image per
/// task; the result does not depend on the thread count.
/// Errors: as `scipix_image_to_tensor`, plus `SCIPIX_ERR_NULL_POINTER` for `srcs` and
/// `SCIPIX_ERR_INVALID_ARGUMENT` for `n == 0` or mismatched images. Every descriptor is
/// validated before anything is written; nothing is written on failure. Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_images_to_tensor(
    srcs: *const ScipixImage,
    n: usize,
    params: *const ScipixTensorParams,
    out: *mut f32,
    out_len: usize,
) -> ScipixStatus {
    guard(|| {
        if n == 0 {
            return Err(Error::invalid("n is 0: the batch has no images"));
        }
        let descs: &[ScipixImage] = try_slice!(srcs, n);
        let p = try_ref_from_ptr!(params).to_rust()?;
        let mut imgs: Vec<ImageView> = Vec::with_capacity(n);
        for d in descs {
            // SAFETY: the caller promises each descriptor describes readable memory.
            imgs.push(unsafe { d.view() }?);
        }
        let first = &imgs[0];
        let per = tensor::tensor_len(first.width(), first.height(), first.format())?;
        let need = crate::error::checked_product(&[n, per], "batch tensor elements")?;
        for d in descs {
            ensure_out_disjoint(d, out, need.min(out_len))?;
        }
        // Geometry and parameter checks happen before the borrow of `out`.
        if out_len < need {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("out_len is {out_len} floats, the batch needs {need}"),
            ));
        }
        let out = out_slice(out, out_len, need)?;
        tensor::images_to_tensor(&imgs, &p, out)
    })
}

/// The source and destination float buffers of a normalization: the same buffer (in place)
/// or two disjoint ones.
pub(crate) enum Io<'a> {
    Copy(&'a [f32], &'a mut [f32]),
    InPlace(&'a mut [f32]),
}

/// Validates `(src, dst, n)`: non-NULL, 4-byte aligned, identical or disjoint, no overflow.
pub(crate) fn float_io<'a>(src: *const f32, dst: *mut f32, n: usize) -> Result<Io<'a>> {
    if n == 0 {
        return Err(Error::invalid("n is 0: the buffer is empty"));
    }
    if src.is_null() {
        return Err(Error::new(ErrorKind::NullPointer, "argument `src` is NULL"));
    }
    if dst.is_null() {
        return Err(Error::new(ErrorKind::NullPointer, "argument `dst` is NULL"));
    }
    let align = std::mem::align_of::<f32>();
    if !(src as usize).is_multiple_of(align) || !(dst as usize).is_multiple_of(align) {
        return Err(Error::invalid("`src` and `dst` must be 4-byte aligned"));
    }
    let bytes = n
        .checked_mul(4)
        .ok_or_else(|| Error::overflow(format!("{n} floats overflow the address space")))?;
    let (s0, d0) = (src as usize, dst as usize);
    let (s1, d1) = (
        s0.checked_add(bytes)
            .ok_or_else(|| Error::overflow("src range overflows"))?,
        d0.checked_add(bytes)
            .ok_or_else(|| Error::overflow("dst range overflows"))?,
    );
    if s0 == d0 {
        // SAFETY: the caller promises n readable and writable floats at dst (== src).
        return Ok(Io::InPlace(unsafe {
            std::slice::from_raw_parts_mut(dst, n)
        }));
    }
    if spans_overlap((s0, s1), (d0, d1)) {
        return Err(Error::invalid(
            "`src` and `dst` partially overlap; pass the same pointer for in place",
        ));
    }
    // SAFETY: the caller promises n readable floats at src and n writable at dst; they are
    // disjoint (checked above).
    Ok(Io::Copy(
        unsafe { std::slice::from_raw_parts(src, n) },
        unsafe { std::slice::from_raw_parts_mut(dst, n) },
    ))
}

/// Normalizes `n` floats to zero mean and unit variance: `dst[i] = (src[i] - m) * inv`
/// in float (subtract, then multiply), with `m = (float)mean` and
/// `inv = (float)(1.0 / sqrt(var + (double)eps))` computed once in double. The mean and
/// population variance are computed in double with a fixed lane-blocked reduction
/// (blocks of 4096, 16 partial sums, per-block two passes, blocks merged in order with
/// Chan's formula), so every kernel family and every thread count gives the same bits,
/// and long buffers with a large offset stay accurate. `eps` is typically 1e-8.
/// `dst == src` normalizes in place; partially overlapping buffers are rejected.
/// `out_mean` and `out_std` may be NULL; when not NULL they receive the mean and the
/// population standard deviation `sqrt(var)` (without eps) as float, only on success.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, dst); `SCIPIX_ERR_INVALID_ARGUMENT` (n == 0,
/// misaligned or partially overlapping buffers, eps negative or not finite, a non-finite
/// input value, or `var + eps` too small to divide by, e.g. a constant buffer with eps 0);
/// `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure. Thread-safe; large buffers
/// use scipix's pool.
#[no_mangle]
pub extern "C" fn scipix_normalize_f32(
    src: *const f32,
    dst: *mut f32,
    n: usize,
    eps: f32,
    out_mean: *mut f32,
    out_std: *mut f32,
) -> ScipixStatus {
    guard(|| {
        let io = float_io(src, dst, n)?;
        let s = match io {
            Io::Copy(s, d) => tensor::normalize(s, d, eps)?,
            Io::InPlace(b) => tensor::normalize_inplace(b, eps)?,
        };
        if !out_mean.is_null() {
            *try_out!(out_mean) = s.mean as f32;
        }
        if !out_std.is_null() {
            *try_out!(out_std) = s.var.sqrt() as f32;
        }
        Ok(())
    })
}

/// Computes the mean and population variance of `n` floats in double, with the same
/// reduction as `scipix_normalize_f32` (identical bits on every kernel family and thread
/// count). Both outputs are required and written only on success.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, out_mean, out_var); `SCIPIX_ERR_INVALID_ARGUMENT`
/// (n == 0, misaligned src); `SCIPIX_ERR_SIZE_OVERFLOW`. Non-finite inputs give non-finite
/// statistics (no error). Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_tensor_stats_f32(
    src: *const f32,
    n: usize,
    out_mean: *mut f64,
    out_var: *mut f64,
) -> ScipixStatus {
    guard(|| {
        if n == 0 {
            return Err(Error::invalid("n is 0: the buffer is empty"));
        }
        if !(src as usize).is_multiple_of(std::mem::align_of::<f32>()) {
            return Err(Error::invalid("`src` must be 4-byte aligned"));
        }
        if n.checked_mul(4).is_none() {
            return Err(Error::overflow(format!(
                "{n} floats overflow the address space"
            )));
        }
        let x: &[f32] = try_slice!(src, n);
        let (out_mean, out_var) = try_out_pair!(out_mean, out_var);
        let s = tensor::stats(x)?;
        *out_mean = s.mean;
        *out_var = s.var;
        Ok(())
    })
}

/// Normalizes `n` floats per channel with given statistics:
/// `dst[i] = (src[i] - mean[c]) / std[c]` in float (subtract, then divide), where
/// `c = i / (n / channels)` for `SCIPIX_LAYOUT_NCHW` (the buffer is `channels` planes;
/// call once per image for batches) and `c = i % channels` for `SCIPIX_LAYOUT_NHWC`.
/// `mean` and `std` hold `channels` floats each. `dst == src` works in place; partially
/// overlapping buffers are rejected. Identical bits on every kernel family.
/// Errors: `SCIPIX_ERR_NULL_POINTER` (src, dst, mean, std); `SCIPIX_ERR_INVALID_ARGUMENT`
/// (n == 0, channels == 0, n not a multiple of channels, std zero or not finite, mean not
/// finite, misaligned or partially overlapping buffers); `SCIPIX_ERR_UNSUPPORTED_FORMAT`
/// (unknown layout); `SCIPIX_ERR_SIZE_OVERFLOW`. Nothing is written on failure.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn scipix_normalize_channels_f32(
    src: *const f32,
    dst: *mut f32,
    n: usize,
    channels: usize,
    layout: ScipixTensorLayout,
    mean: *const f32,
    std: *const f32,
) -> ScipixStatus {
    guard(|| {
        let layout = layout_arg(layout)?;
        if channels == 0 {
            return Err(Error::invalid("channels is 0"));
        }
        let mean: &[f32] = try_slice!(mean, channels);
        let std: &[f32] = try_slice!(std, channels);
        match float_io(src, dst, n)? {
            Io::Copy(s, d) => tensor::normalize_channels(s, d, layout, mean, std),
            Io::InPlace(b) => tensor::normalize_channels_inplace(b, layout, mean, std),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::image_desc::{SCIPIX_FORMAT_BGR8, SCIPIX_FORMAT_GRAY8};
    use ScipixStatus::*;

    fn default_params() -> ScipixTensorParams {
        let mut p = std::mem::MaybeUninit::<ScipixTensorParams>::uninit();
        assert_eq!(scipix_tensor_params_default(p.as_mut_ptr()), SCIPIX_OK);
        // SAFETY: initialized by the call above.
        unsafe { p.assume_init() }
    }

    #[test]
    fn image_to_tensor_through_the_c_api() {
        let px = [10u8, 20, 30, 40, 50, 60];
        let img = ScipixImage {
            data: px.as_ptr(),
            width: 2,
            height: 1,
            stride: 6,
            format: SCIPIX_FORMAT_BGR8,
        };
        let mut p = default_params();
        p.swap_rb = true;
        p.layout = SCIPIX_LAYOUT_NHWC;
        let mut need = 0usize;
        assert_eq!(scipix_image_tensor_len(&img, &mut need), SCIPIX_OK);
        assert_eq!(need, 6);
        let mut out = [0f32; 6];
        assert_eq!(
            scipix_image_to_tensor(&img, &p, out.as_mut_ptr(), 6),
            SCIPIX_OK
        );
        assert_eq!(out, [30., 20., 10., 60., 50., 40.]);
        out = [9.0; 6];
        assert_eq!(
            scipix_image_to_tensor(&img, &p, out.as_mut_ptr(), 5),
            SCIPIX_ERR_BUFFER_TOO_SMALL
        );
        p.layout = 2;
        assert_eq!(
            scipix_image_to_tensor(&img, &p, out.as_mut_ptr(), 6),
            SCIPIX_ERR_UNSUPPORTED_FORMAT
        );
        assert_eq!(out, [9.0; 6]);
        // Batch of mismatched channel counts.
        let gray = ScipixImage {
            format: SCIPIX_FORMAT_GRAY8,
            ..img
        };
        let batch = [img, gray];
        let mut big = [9f32; 12];
        let p = default_params();
        assert_eq!(
            scipix_images_to_tensor(batch.as_ptr(), 2, &p, big.as_mut_ptr(), 12),
            SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(big, [9.0; 12]);
        let batch = [img, img];
        assert_eq!(
            scipix_images_to_tensor(batch.as_ptr(), 2, &p, big.as_mut_ptr(), 12),
            SCIPIX_OK
        );
        assert_eq!(big[6..], [10., 40., 20., 50., 30., 60.]);
    }

    #[test]
    fn normalize_in_place_copy_and_overlap() {
        let x: Vec<f32> = (0..100).map(|i| (i * i % 37) as f32).collect();
        let mut copy = vec![0f32; 100];
        let (mut m, mut s) = (0f32, 0f32);
        assert_eq!(
            scipix_normalize_f32(x.as_ptr(), copy.as_mut_ptr(), 100, 1e-8, &mut m, &mut s),
            SCIPIX_OK
        );
        let mut inplace = x.clone();
        let p = inplace.as_mut_ptr();
        let null = std::ptr::null_mut();
        assert_eq!(scipix_normalize_f32(p, p, 100, 1e-8, null, null), SCIPIX_OK);
        assert_eq!(inplace, copy);
        let st = crate::tensor::stats(&x).unwrap();
        assert_eq!((m, s), (st.mean as f32, st.var.sqrt() as f32));
        let mut buf = x.clone();
        let p = buf.as_mut_ptr();
        // SAFETY: p + 1 stays inside buf.
        let shifted = unsafe { p.add(1) };
        assert_eq!(
            scipix_normalize_f32(p, shifted, 99, 1e-8, null, null),
            SCIPIX_ERR_INVALID_ARGUMENT
        );
        assert_eq!(buf, x);
        let (mut dm, mut dv) = (0f64, 0f64);
        assert_eq!(
            scipix_tensor_stats_f32(x.as_ptr(), 100, &mut dm, &mut dv),
            SCIPIX_OK
        );
        assert_eq!((dm, dv), (st.mean, st.var));
        let mean = [1f32, 2.0];
        let std = [0.5f32, 4.0];
        let mut c = x.clone();
        let cp = c.as_mut_ptr();
        assert_eq!(
            scipix_normalize_channels_f32(
                cp,
                cp,
                100,
                2,
                SCIPIX_LAYOUT_NHWC,
                mean.as_ptr(),
                std.as_ptr()
            ),
            SCIPIX_OK
        );
        for i in 0..100 {
            assert_eq!(c[i], (x[i] - mean[i % 2]) / std[i % 2]);
        }
    }
}
