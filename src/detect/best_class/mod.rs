//! The best class of every YOLO candidate: a running maximum over the class rows.
//!
//! Kernel families: [`scalar`] is the specification (written branch-free, so the compiler
//! vectorizes it for the baseline target); `avx2` compiles the same loop with AVX2 enabled
//! (8 lanes). The loop only compares and selects, so every family gives the same bits.
//! AVX-512 caps run the AVX2 kernel; SSE4.1 caps run the scalar one (already vectorized
//! with the baseline SSE2).

#[cfg(target_arch = "x86_64")]
mod avx2;
mod scalar;

#[cfg_attr(not(target_arch = "x86_64"), allow(unused_imports))]
use crate::cpu::{self, Isa};

/// Candidates per block (2 KiB of scores and 2 KiB of classes): the running maxima stay in
/// L1 while every class row of the block streams past.
const BLOCK: usize = 512;

/// Best class score and class of every candidate of a `[4 + c, n]` output:
/// `score[j] = max over k of output[(4 + k) * n + j]`; the class is the first (lowest) `k`
/// reaching it (a later class must be strictly greater to take over); a NaN class score
/// makes the candidate's score NaN (it sticks), as torch's `amax` would.
pub(crate) fn best_classes(output: &[f32], c: usize, n: usize) -> (Vec<f32>, Vec<u32>) {
    let mut best = output[4 * n..5 * n].to_vec();
    let mut class = vec![0u32; n];
    let fold = fold_kernel();
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let (b, cl) = (&mut best[start..end], &mut class[start..end]);
        for k in 1..c {
            let row = &output[(4 + k) * n + start..(4 + k) * n + end];
            fold(row, k as u32, b, cl);
        }
        start = end;
    }
    (best, class)
}

type Fold = fn(&[f32], u32, &mut [f32], &mut [u32]);

/// The fold of the kernel family chosen by one read of the ISA.
fn fold_kernel() -> Fold {
    match cpu::kernel_isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 | Isa::Avx512 => avx2::fold_row,
        _ => scalar::fold_row,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_equals_scalar() {
        let (c, n) = (7, 1100);
        let noise = crate::image::test_noise::noise((4 + c) * n, 5);
        let mut out: Vec<f32> = noise.iter().map(|&b| (b % 9) as f32 / 8.0).collect();
        out[5 * n + 3] = f32::NAN;
        out[4 * n + 700] = f32::NAN;
        let want = {
            let mut best = out[4 * n..5 * n].to_vec();
            let mut class = vec![0u32; n];
            for k in 1..c {
                scalar::fold_row(
                    &out[(4 + k) * n..(5 + k) * n],
                    k as u32,
                    &mut best,
                    &mut class,
                );
            }
            (best, class)
        };
        assert!(want.0[3].is_nan() && want.0[700].is_nan());
        let ties = (0..n).filter(|&j| out[4 * n + j] == want.0[j]).count();
        assert!(ties > 0 && want.1.iter().any(|&k| k as usize == c - 1));
        for isa in Isa::available() {
            cpu::with_isa(isa, |isa| {
                let got = best_classes(&out, c, n);
                assert_eq!(got.1, want.1, "{isa:?}");
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got.0), bits(&want.0), "{isa:?}");
            });
        }
    }

    /// No fold reads past the output: its last class row ends right before an inaccessible
    /// page, so a load past it faults, and every family gives the scalar bits.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    #[test]
    fn guard_page_no_fold_reads_past_the_output() {
        use crate::test_guard::{Guarded, LENS};
        for n in LENS.into_iter().chain([BLOCK + 1, 2 * BLOCK + 7]) {
            for c in [1usize, 2, 5] {
                let noise = crate::image::test_noise::noise((4 + c) * n, (n + c) as u64);
                let mut out: Vec<f32> = noise.iter().map(|&b| (b % 7) as f32 / 6.0).collect();
                out[(4 + c) * n - 1] = f32::NAN; // the last candidate's last class
                let out = Guarded::new(&out);
                let run = |isa| {
                    cpu::with_isa(isa, |_| {
                        let (best, class) = best_classes(out.as_slice(), c, n);
                        (best.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), class)
                    })
                };
                let want = run(Isa::Scalar);
                for isa in Isa::available() {
                    assert!(run(isa) == want, "{isa:?} c={c} n={n}");
                }
            }
        }
    }
}
