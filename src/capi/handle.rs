//! Conversions between opaque C handles and the Rust values behind them.
//!
//! Each opaque C type implements [`Castable`], naming its Rust type and its ownership
//! (`OwnershipBox` for handles with one owner, `OwnershipArc` for shared ones). All pointer
//! casts of handles live here; `capi` modules call these helpers or the `try_*!` macros.

use crate::error::{Error, ErrorKind, Result};
use std::sync::Arc;

/// Marker: the handle owns a `Box<Rust>`.
pub(crate) struct OwnershipBox;
/// Marker: the handle owns one strong count of an `Arc<Rust>`.
pub(crate) struct OwnershipArc;

/// Ties an opaque C type to the Rust type it stands for and how it is owned.
pub(crate) trait Castable {
    type Rust;
    type Ownership;
}

pub(crate) fn null_error(what: &str) -> Error {
    Error::new(ErrorKind::NullPointer, format!("argument `{what}` is NULL"))
}

/// Checks what `slice::from_raw_parts` needs of a caller's `(ptr, len)` with `len > 0`:
/// non-NULL, aligned for `T`, and at most `isize::MAX` bytes in all.
pub(crate) fn check_slice<T>(ptr: *const T, len: usize, what: &str) -> Result<()> {
    if ptr.is_null() {
        return Err(null_error(what));
    }
    if !ptr.is_aligned() {
        return Err(Error::invalid(format!(
            "argument `{what}` is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    let fits = len
        .checked_mul(std::mem::size_of::<T>())
        .is_some_and(|bytes| bytes <= isize::MAX as usize);
    if !fits {
        return Err(Error::overflow(format!(
            "argument `{what}`: {len} elements exceed the address space"
        )));
    }
    Ok(())
}

/// True when the byte ranges `[a.0, a.1)` and `[b.0, b.1)` share at least one byte (an empty
/// range shares none). The one overlap test every capi module uses.
pub(crate) fn spans_overlap(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Fails with `SCIPIX_ERR_INVALID_ARGUMENT` when the byte ranges `[a, a + a_bytes)` and
/// `[b, b + b_bytes)` overlap. Call it on the raw pointers before borrowing either as a slice.
pub(crate) fn disjoint(
    a: *const std::ffi::c_void,
    a_bytes: usize,
    b: *const std::ffi::c_void,
    b_bytes: usize,
) -> Result<()> {
    let (a0, b0) = (a as usize, b as usize);
    // NULL is left to the slice checks, which report it as a null pointer.
    if a0 != 0
        && b0 != 0
        && spans_overlap(
            (a0, a0.saturating_add(a_bytes)),
            (b0, b0.saturating_add(b_bytes)),
        )
    {
        return Err(Error::invalid("input and output buffers overlap"));
    }
    Ok(())
}

/// Borrows two writable arrays `(a, a_len)` and `(b, b_len)` at once, with the checks of
/// `try_slice_mut!` plus one more: they must not overlap (two `&mut` to the same memory
/// would be undefined behaviour). Zero lengths give empty slices even for NULL.
///
/// # Safety
/// Each non-NULL pointer must address that many writable elements for `'a`.
pub(crate) unsafe fn slice_mut_pair<'a, A, B>(
    (a, a_len, a_name): (*mut A, usize, &str),
    (b, b_len, b_name): (*mut B, usize, &str),
) -> Result<(&'a mut [A], &'a mut [B])> {
    for (p, n, what) in [
        (a.cast::<u8>(), a_len, a_name),
        (b.cast::<u8>(), b_len, b_name),
    ] {
        if n > 0 && p.is_null() {
            return Err(null_error(what));
        }
    }
    if a_len > 0 {
        check_slice(a.cast_const(), a_len, a_name)?;
    }
    if b_len > 0 {
        check_slice(b.cast_const(), b_len, b_name)?;
    }
    let bytes = |n: usize, size: usize| n.saturating_mul(size);
    disjoint(
        a.cast_const().cast(),
        bytes(a_len, std::mem::size_of::<A>()),
        b.cast_const().cast(),
        bytes(b_len, std::mem::size_of::<B>()),
    )
    .map_err(|_| {
        Error::invalid(format!(
            "output arguments `{a_name}` and `{b_name}` overlap"
        ))
    })?;
    let borrow = |p: *mut u8, n: usize| n > 0 && !p.is_null();
    // SAFETY: checked non-null, aligned, in size and disjoint; the caller guarantees the
    // memory (function contract).
    unsafe {
        Ok((
            if borrow(a.cast(), a_len) {
                std::slice::from_raw_parts_mut(a, a_len)
            } else {
                &mut []
            },
            if borrow(b.cast(), b_len) {
                std::slice::from_raw_parts_mut(b, b_len)
            } else {
                &mut []
            },
        ))
    }
}

/// Borrows two out-parameters at once; as [`slice_mut_pair`] with one element each.
///
/// # Safety
/// Each pointer must be NULL or address one writable, aligned value for `'a`.
pub(crate) unsafe fn out_pair<'a, A, B>(
    a: (*mut A, &str),
    b: (*mut B, &str),
) -> Result<(&'a mut A, &'a mut B)> {
    // SAFETY: forwarded contract.
    let (x, y) = unsafe { slice_mut_pair((a.0, 1, a.1), (b.0, 1, b.1))? };
    Ok((&mut x[0], &mut y[0]))
}

/// Moves `value` to the heap and returns it as an owned handle.
pub(crate) fn to_boxed_ptr<C: Castable<Ownership = OwnershipBox>>(value: C::Rust) -> *mut C {
    Box::into_raw(Box::new(value)).cast()
}

/// Moves `value` into an `Arc` and returns it as an owned handle.
pub(crate) fn to_arc_ptr<C: Castable<Ownership = OwnershipArc>>(value: Arc<C::Rust>) -> *const C {
    Arc::into_raw(value).cast()
}

/// Borrows the value behind a handle of either ownership.
///
/// # Safety
/// `ptr` must be NULL or a live handle made by [`to_boxed_ptr`]/[`to_arc_ptr`] for `C`.
pub(crate) unsafe fn try_ref<'a, C: Castable>(ptr: *const C, what: &str) -> Result<&'a C::Rust> {
    // SAFETY: per the contract, a non-null ptr points to a live C::Rust.
    unsafe { ptr.cast::<C::Rust>().as_ref() }.ok_or_else(|| null_error(what))
}

/// Mutably borrows the value behind a boxed handle.
///
/// # Safety
/// As [`try_ref`], and no other reference to the value may be live.
pub(crate) unsafe fn try_mut<'a, C: Castable<Ownership = OwnershipBox>>(
    ptr: *mut C,
    what: &str,
) -> Result<&'a mut C::Rust> {
    // SAFETY: per the contract.
    unsafe { ptr.cast::<C::Rust>().as_mut() }.ok_or_else(|| null_error(what))
}

/// Takes one new strong reference to the value behind a shared handle.
///
/// # Safety
/// `ptr` must be NULL or a live handle made by [`to_arc_ptr`] for `C`.
pub(crate) unsafe fn try_clone_arc<C: Castable<Ownership = OwnershipArc>>(
    ptr: *const C,
    what: &str,
) -> Result<Arc<C::Rust>> {
    if ptr.is_null() {
        return Err(null_error(what));
    }
    let raw = ptr.cast::<C::Rust>();
    // SAFETY: raw came from Arc::into_raw and the handle holds a strong count.
    unsafe {
        Arc::increment_strong_count(raw);
        Ok(Arc::from_raw(raw))
    }
}

/// Releases a boxed handle; NULL is ignored.
///
/// # Safety
/// `ptr` must be NULL or a live handle from [`to_boxed_ptr`], not used afterwards.
pub(crate) unsafe fn free_box<C: Castable<Ownership = OwnershipBox>>(ptr: *mut C) {
    if !ptr.is_null() {
        // SAFETY: per the contract, ptr came from Box::into_raw of a C::Rust.
        drop(unsafe { Box::from_raw(ptr.cast::<C::Rust>()) });
    }
}

/// Releases a shared handle's strong count; NULL is ignored.
///
/// # Safety
/// `ptr` must be NULL or a live handle from [`to_arc_ptr`], not used afterwards.
pub(crate) unsafe fn free_arc<C: Castable<Ownership = OwnershipArc>>(ptr: *const C) {
    if !ptr.is_null() {
        // SAFETY: per the contract, ptr came from Arc::into_raw of a C::Rust.
        drop(unsafe { Arc::from_raw(ptr.cast::<C::Rust>()) });
    }
}

/// Borrows a handle argument or returns the null-pointer error from the enclosing closure.
macro_rules! try_handle {
    ($ptr:expr) => {
        // SAFETY: C callers pass NULL or a live handle of this type (documented contract).
        unsafe { $crate::capi::handle::try_ref($ptr, stringify!($ptr)) }?
    };
}

/// Mutably borrows a boxed handle argument or returns the null-pointer error.
macro_rules! try_handle_mut {
    ($ptr:expr) => {
        // SAFETY: C callers pass NULL or a live handle they do not use concurrently.
        unsafe { $crate::capi::handle::try_mut($ptr, stringify!($ptr)) }?
    };
}

/// Borrows a plain pointer argument (`*const T`) as `&T` or returns the null-pointer error.
macro_rules! try_ref_from_ptr {
    ($ptr:expr) => {
        // SAFETY: C callers pass NULL or a valid, aligned pointer (documented contract).
        unsafe { $ptr.as_ref() }
            .ok_or_else(|| $crate::capi::handle::null_error(stringify!($ptr)))?
    };
}

/// Borrows an out-parameter (`*mut T`) as `&mut T` or returns the null-pointer error.
/// Check outputs before doing work, assign them only on success.
macro_rules! try_out {
    ($ptr:expr) => {
        // SAFETY: C callers pass NULL or a valid, aligned, writable pointer.
        unsafe { $ptr.as_mut() }
            .ok_or_else(|| $crate::capi::handle::null_error(stringify!($ptr)))?
    };
}

/// Borrows `(ptr, len)` as `&[T]`; a zero length gives an empty slice even for NULL.
/// NULL, misaligned or oversized arguments return an error from the enclosing closure.
macro_rules! try_slice {
    ($ptr:expr, $len:expr) => {{
        let len: usize = $len;
        if len == 0 {
            &[]
        } else {
            $crate::capi::handle::check_slice($ptr as *const _, len, stringify!($ptr))?;
            // SAFETY: checked non-null, aligned and in size; C callers pass `len` readable
            // elements there (documented contract).
            unsafe { std::slice::from_raw_parts($ptr, len) }
        }
    }};
}

/// Borrows `(ptr, len)` as `&mut [T]`; a zero length gives an empty slice even for NULL.
macro_rules! try_slice_mut {
    ($ptr:expr, $len:expr) => {{
        let len: usize = $len;
        if len == 0 {
            &mut []
        } else {
            $crate::capi::handle::check_slice($ptr as *const _, len, stringify!($ptr))?;
            // SAFETY: checked non-null, aligned and in size; C callers pass `len` writable
            // elements there, not otherwise borrowed during the call (documented contract).
            unsafe { std::slice::from_raw_parts_mut($ptr, len) }
        }
    }};
}

/// Borrows a NUL-terminated C string argument as `&str`; NULL and invalid UTF-8 are errors.
macro_rules! try_cstr {
    ($ptr:expr) => {{
        if $ptr.is_null() {
            return Err($crate::capi::handle::null_error(stringify!($ptr)));
        }
        // SAFETY: C callers pass a valid NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr($ptr) }
            .to_str()
            .map_err(|_| {
                $crate::error::Error::invalid(format!(
                    "argument `{}` is not valid UTF-8",
                    stringify!($ptr)
                ))
            })?
    }};
}

/// Borrows two out-parameters, rejecting NULL and overlap: `let (a, b) = try_out_pair!(a, b);`
macro_rules! try_out_pair {
    ($a:expr, $b:expr) => {
        // SAFETY: C callers pass NULL or valid, aligned, writable pointers.
        unsafe { $crate::capi::handle::out_pair(($a, stringify!($a)), ($b, stringify!($b))) }?
    };
}

/// Borrows two writable arrays, rejecting NULL, misalignment and overlap:
/// `let (a, b) = try_slice_mut_pair!(a, a_len, b, b_len);`
macro_rules! try_slice_mut_pair {
    ($a:expr, $alen:expr, $b:expr, $blen:expr) => {
        // SAFETY: C callers pass that many writable elements at each non-NULL pointer.
        unsafe {
            $crate::capi::handle::slice_mut_pair(
                ($a, $alen, stringify!($a)),
                ($b, $blen, stringify!($b)),
            )
        }?
    };
}

pub(crate) use {
    try_cstr, try_handle, try_handle_mut, try_out, try_out_pair, try_ref_from_ptr, try_slice,
    try_slice_mut, try_slice_mut_pair,
};
