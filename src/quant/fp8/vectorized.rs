//! The SIMD FP8 quantize kernels: `scalar.rs`'s branch-free formulation (`e4m3fn_lane`,
//! `e5m2_lane`: integer and float selects only) compiled once per ISA with that ISA's target
//! features, which the compiler vectorizes. The division `x / scale` is the same IEEE
//! operation in every lane, so the bytes equal the scalar spec's (tested on every ISA). One
//! body serves every ISA because only the enabled features differ.

/// Defines module `$name` with `quantize` compiled for `$feature`.
macro_rules! fp8_kernel {
    ($(#[$attr:meta])* $name:ident, $feature:literal) => {
        $(#[$attr])*
        pub(super) mod $name {
            use super::super::scalar::{e4m3fn_lane, e5m2_lane, Fp8Format};
            use crate::cpu::prefetch;

            #[inline]
            #[target_feature(enable = $feature)]
            fn run<const E5: bool, const SAT: bool>(x: &[f32], out: &mut [u8], scale: f32) {
                let lane = |v: f32| {
                    let y = v / scale;
                    if E5 {
                        e5m2_lane(y, SAT)
                    } else {
                        e4m3fn_lane(y, SAT)
                    }
                };
                // One cache line of input per step, prefetched ahead; the fixed-length
                // inner loop vectorizes.
                let (xs, xt) = x.as_chunks::<16>();
                let (os, ot) = out.as_chunks_mut::<16>();
                for (o, i) in os.iter_mut().zip(xs) {
                    prefetch::ahead(i.as_ptr());
                    for (o, &v) in o.iter_mut().zip(i) {
                        *o = lane(v);
                    }
                }
                for (o, &v) in ot.iter_mut().zip(xt) {
                    *o = lane(v);
                }
            }

            /// Quantizes all of `x` into `out[..x.len()]`; returns how many elements were
            /// done.
            ///
            /// # Safety
            /// The CPU must support the module's target features.
            #[target_feature(enable = $feature)]
            pub unsafe fn quantize(
                x: &[f32],
                out: &mut [u8],
                scale: f32,
                fmt: Fp8Format,
                saturate: bool,
            ) -> usize {
                let out = &mut out[..x.len()];
                match (fmt, saturate) {
                    (Fp8Format::E4M3FN, true) => run::<false, true>(x, out, scale),
                    (Fp8Format::E4M3FN, false) => run::<false, false>(x, out, scale),
                    (Fp8Format::E5M2, true) => run::<true, true>(x, out, scale),
                    (Fp8Format::E5M2, false) => run::<true, false>(x, out, scale),
                }
                x.len()
            }
        }
    };
}

fp8_kernel!(
    #[cfg(target_arch = "x86_64")]
    sse41,
    "sse4.1"
);
fp8_kernel!(
    #[cfg(target_arch = "x86_64")]
    avx2,
    "avx2"
);
fp8_kernel!(
    #[cfg(target_arch = "x86_64")]
    avx512,
    "avx512f,avx512bw"
);
fp8_kernel!(
    #[cfg(target_arch = "aarch64")]
    neon,
    "neon"
);
