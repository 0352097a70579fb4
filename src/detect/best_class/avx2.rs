//! The class fold compiled for AVX2: the scalar loop, vectorized 8 lanes wide.

/// [`super::scalar::fold_row`] with AVX2 code generation.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
unsafe fn fold_row_avx2(row: &[f32], k: u32, best: &mut [f32], class: &mut [u32]) {
    super::scalar::fold_row(row, k, best, class)
}

/// Dispatch entry: only chosen when the ISA cap allows AVX2 (`cpu::kernel_isa`).
pub(super) fn fold_row(row: &[f32], k: u32, best: &mut [f32], class: &mut [u32]) {
    // SAFETY: `fold_kernel` picks this family only for the AVX2 and AVX-512 caps, which
    // `cpu` grants only on CPUs with AVX2.
    unsafe { fold_row_avx2(row, k, best, class) }
}
