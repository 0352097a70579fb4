//! The specification of the class fold.

/// Folds class row `k` into the running maxima: `s > best` takes over (score and class,
/// so the lowest class keeps a tie); a NaN score sticks (`best` becomes NaN and no later
/// score is greater). Branch-free so it vectorizes.
#[inline(always)]
pub(super) fn fold_row(row: &[f32], k: u32, best: &mut [f32], class: &mut [u32]) {
    for ((b, cl), &s) in best.iter_mut().zip(class.iter_mut()).zip(row) {
        let better = s > *b;
        // A mask, not `if`: the compiler turns a select that may keep the old value into a
        // conditional store, which does not vectorize.
        let m = 0u32.wrapping_sub(better as u32);
        *cl = (*cl & !m) | (k & m);
        *b = if better || s.is_nan() { s } else { *b };
    }
}
