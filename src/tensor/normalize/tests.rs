use super::*;
use crate::error::ErrorKind;
use crate::test_rng::Rng;

fn floats(n: usize, seed: u64, offset: f32, spread: f32) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| offset + spread * (r.unit() - 0.5)).collect()
}

/// The documented reduction, written out directly (the spec the kernels must meet).
fn spec_stats(x: &[f32]) -> (f64, f64) {
    let mut total = Acc::default();
    for group in x.chunks(BLOCK * GROUP) {
        let mut g = Acc::default();
        for b in group.chunks(BLOCK) {
            let mut l = [0f64; LANES];
            for (i, &v) in b.iter().enumerate() {
                l[i % LANES] += v as f64;
            }
            let mean = reduce_lanes(&l) / b.len() as f64;
            let mut l = [0f64; LANES];
            for (i, &v) in b.iter().enumerate() {
                let d = v as f64 - mean;
                l[i % LANES] += d * d;
            }
            g = g.merge(Acc {
                n: b.len() as f64,
                mean,
                m2: reduce_lanes(&l),
            });
        }
        total = total.merge(g);
    }
    (total.mean, total.m2 / total.n)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}

fn check_all_isas(x: &[f32], eps: f32) {
    let (mean, var) = spec_stats(x);
    let m = mean as f32;
    let inv = (1.0 / (var + eps as f64).sqrt()) as f32;
    let want: Vec<u32> = x.iter().map(|&v| ((v - m) * inv).to_bits()).collect();
    for isa in Isa::available() {
        cpu::with_isa(isa, |_| {
            let s = stats(x).unwrap();
            assert_eq!(
                (s.mean.to_bits(), s.var.to_bits()),
                (mean.to_bits(), var.to_bits()),
                "{isa:?} n={}",
                x.len()
            );
            let mut out = vec![f32::NAN; x.len()];
            normalize(x, &mut out, eps).unwrap();
            assert_eq!(bits(&out), want, "{isa:?} n={}", x.len());
            let mut inplace = x.to_vec();
            normalize_inplace(&mut inplace, eps).unwrap();
            assert_eq!(bits(&inplace), want, "{isa:?} in place n={}", x.len());
        });
    }
}

#[test]
fn every_isa_matches_the_spec_on_small_and_unaligned_buffers() {
    let base = floats(67 + 3, 7, 3.0, 10.0);
    for n in 1..=67 {
        for start in 0..=3 {
            check_all_isas(&base[start..start + n.min(base.len() - start)], 1e-8);
        }
    }
}

#[test]
fn every_isa_matches_the_spec_on_large_buffers() {
    // Several groups, a partial last block, and the parallel path.
    let x = floats(BLOCK * GROUP * 3 + BLOCK * 5 + 77, 11, -40.0, 3.0);
    check_all_isas(&x[1..], 0.0);
}

#[test]
fn streaming_stores_give_the_same_bits() {
    // Above the streaming cut-off, with a misaligned start so the unaligned head and tail
    // steps are exercised.
    let x = floats(STREAM_MIN_BYTES / 4 + 8 * 3 + 5, 17, 9.0, 4.0);
    check_all_isas(&x[3..], 1e-8);
    // Output starts at chosen offsets from a 64-byte boundary (the allocator decides them
    // above): the streamed steps, the head and the tail move with them.
    let x = &x[3..];
    let mut want = vec![0f32; x.len()];
    cpu::with_isa(Isa::Scalar, |_| normalize(x, &mut want, 1e-8).unwrap());
    for isa in Isa::available() {
        for o in [0, 1, 7, 15] {
            let mut buf = vec![f32::NAN; x.len() + 32];
            let start = buf.as_ptr().align_offset(64) + o;
            let out = &mut buf[start..start + x.len()];
            cpu::with_isa(isa, |_| normalize(x, out, 1e-8).unwrap());
            assert_eq!(bits(out), bits(&want), "{isa:?} o={o}");
            assert!(buf[..start]
                .iter()
                .chain(&buf[start + x.len()..])
                .all(|v| v.is_nan()));
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let x = floats(BLOCK * GROUP * 5 + 999, 3, 1.0, 2.0);
    let mut runs = Vec::new();
    for threads in [1, 2, 3] {
        crate::parallel::set_num_threads(threads).unwrap();
        let mut out = vec![0f32; x.len()];
        let s = normalize(&x, &mut out, 1e-8).unwrap();
        runs.push((s.mean.to_bits(), s.var.to_bits(), bits(&out)));
    }
    crate::parallel::set_num_threads(0).unwrap();
    assert!(runs.windows(2).all(|w| w[0] == w[1]));
}

/// Neumaier-compensated sum (reference accuracy well beyond plain f64 summation).
fn neumaier(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0f64, 0f64);
    for v in values {
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    s + c
}

#[test]
fn statistics_stay_accurate_on_16m_values_with_a_large_offset() {
    let n = 1 << 24;
    let x = floats(n, 42, 1.0e4, 2.0);
    let mean_ref = neumaier(x.iter().map(|&v| v as f64)) / n as f64;
    let var_ref = neumaier(x.iter().map(|&v| {
        let d = v as f64 - mean_ref;
        d * d
    })) / n as f64;
    let s = stats(&x).unwrap();
    let rel_mean = ((s.mean - mean_ref) / mean_ref).abs();
    let rel_var = ((s.var - var_ref) / var_ref).abs();
    eprintln!("16M around 1e4: relative error mean {rel_mean:e}, variance {rel_var:e}");
    assert!(
        rel_mean < 1e-15,
        "mean {} vs {mean_ref}: {rel_mean:e}",
        s.mean
    );
    assert!(rel_var < 1e-13, "var {} vs {var_ref}: {rel_var:e}", s.var);
    // Uniform on [-1, 1): variance 1/3.
    assert!((s.var - 1.0 / 3.0).abs() < 1e-3);
}

#[test]
fn normalized_output_has_zero_mean_unit_variance() {
    let x = floats(10_000, 5, 250.0, 8.0);
    let mut out = vec![0f32; x.len()];
    normalize(&x, &mut out, 0.0).unwrap();
    let s = stats(&out).unwrap();
    assert!(s.mean.abs() < 1e-5, "{}", s.mean);
    assert!((s.var - 1.0).abs() < 1e-5, "{}", s.var);
}

#[allow(clippy::needless_range_loop)]
fn chan_reference(x: &[f32], layout: Layout, mean: &[f32], std: &[f32]) -> Vec<u32> {
    let c = mean.len();
    let plane = x.len() / c;
    (0..x.len())
        .map(|i| {
            let ch = match layout {
                Layout::Nchw => i / plane,
                Layout::Nhwc => i % c,
            };
            ((x[i] - mean[ch]) / std[ch]).to_bits()
        })
        .collect()
}

#[test]
fn channels_every_isa_matches_reference() {
    let base = floats(5 * 70 + 3, 9, 100.0, 50.0);
    let mean = [0.5f32, 120.0, -3.0, 7.25, 99.0];
    let std = [0.229f32, 58.0, 1.0, 0.3, 2.5];
    for c in 1..=5 {
        for pixels in 1..=67 {
            let start = pixels % 4;
            let x = &base[start..start + c * pixels];
            for layout in [Layout::Nchw, Layout::Nhwc] {
                let want = chan_reference(x, layout, &mean[..c], &std[..c]);
                for isa in Isa::available() {
                    cpu::with_isa(isa, |_| {
                        let mut out = vec![f32::NAN; x.len()];
                        normalize_channels(x, &mut out, layout, &mean[..c], &std[..c]).unwrap();
                        assert_eq!(bits(&out), want, "{isa:?} c={c} px={pixels} {layout:?}");
                        let mut b = x.to_vec();
                        normalize_channels_inplace(&mut b, layout, &mean[..c], &std[..c]).unwrap();
                        assert_eq!(bits(&b), want, "{isa:?} in place");
                    });
                }
            }
        }
    }
}

#[test]
fn bad_inputs_write_nothing() {
    let x = floats(10, 1, 0.0, 1.0);
    let mut out = vec![7f32; 10];
    let kind = |r: Result<Stats>| r.unwrap_err().kind();
    assert_eq!(
        kind(normalize(&x, &mut out, -1.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(normalize(&x, &mut out, f32::NAN)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(normalize(&x, &mut out[..9], 0.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(normalize(&[], &mut [], 0.0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(normalize(&[3.0; 10], &mut out, 0.0)),
        ErrorKind::InvalidArgument
    );
    let mut with_nan = x.clone();
    with_nan[4] = f32::NAN;
    assert_eq!(
        kind(normalize(&with_nan, &mut out, 0.0)),
        ErrorKind::InvalidArgument
    );
    let mut inf = x.clone();
    inf[0] = f32::INFINITY;
    assert_eq!(
        kind(normalize_inplace(&mut inf, 1e-8)),
        ErrorKind::InvalidArgument
    );
    assert!(inf[1..] == x[1..]);
    assert!(out.iter().all(|&v| v == 7.0));
    // A constant buffer is fine once eps > 0: every output is 0.
    normalize(&[3.0; 10], &mut out, 1e-8).unwrap();
    assert!(out.iter().all(|&v| v == 0.0));
    out.fill(7.0);
    let e = |r: Result<()>| r.unwrap_err().kind();
    let l = Layout::Nchw;
    assert_eq!(
        e(normalize_channels(&x, &mut out, l, &[0.0; 3], &[1.0; 3])),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        e(normalize_channels(&x, &mut out, l, &[0.0; 2], &[1.0, 0.0])),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        e(normalize_channels(&x, &mut out, l, &[0.0; 2], &[1.0])),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        e(normalize_channels(
            &x,
            &mut out,
            l,
            &[f32::NAN; 2],
            &[1.0; 2]
        )),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        e(normalize_channels(&x, &mut out, l, &[], &[])),
        ErrorKind::InvalidArgument
    );
    assert!(out.iter().all(|&v| v == 7.0));
}

/// No kernel reads past its buffer: sources, in-place buffers and per-channel parameters end
/// right before an inaccessible page, so a load past them faults, and every ISA gives the
/// scalar family's bits. The lengths take every vector tail, a pair of blocks ending at the
/// buffer's end (the pair bodies), pairs followed by a short block, and (for the copying
/// normalize) the streamed output path.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[test]
fn guard_page_no_kernel_reads_past_the_buffer() {
    use crate::test_guard::{Guarded, LENS};
    let lens = LENS
        .into_iter()
        .chain([2 * BLOCK, 4 * BLOCK + 33, 6 * BLOCK + 2 * BLOCK - 1]);
    let stream = STREAM_MIN_BYTES / 4 + 8 * 3 + 5;
    for n in lens.chain([stream]) {
        let x = Guarded::new(&floats(n, n as u64, 2.0, 5.0));
        let run = |isa| {
            cpu::with_isa(isa, |_| {
                let s = stats(x.as_slice()).unwrap();
                let mut out = vec![0f32; n];
                normalize(x.as_slice(), &mut out, 1e-6).unwrap();
                let moments = (s.mean.to_bits(), s.var.to_bits());
                let mut res = vec![bits(&out)];
                if n != stream {
                    let mut buf = Guarded::new(x.as_slice());
                    normalize_inplace(buf.as_mut_slice(), 1e-6).unwrap();
                    res.push(bits(buf.as_slice()));
                }
                (moments, res)
            })
        };
        let want = run(Isa::Scalar);
        for isa in Isa::available() {
            assert!(run(isa) == want, "{isa:?} n={n}");
        }
    }
    for n in LENS {
        let x = Guarded::new(&floats(3 * n, n as u64 + 1, 100.0, 80.0));
        let (mean, std) = (
            Guarded::new(&[120.5f32, 99.0, 3.25]),
            Guarded::new(&[58.0f32, 0.75, 7.0]),
        );
        let run = |isa| {
            cpu::with_isa(isa, |_| {
                let (m, s) = (mean.as_slice(), std.as_slice());
                let mut res = Vec::new();
                for layout in [Layout::Nchw, Layout::Nhwc] {
                    let mut out = vec![0f32; 3 * n];
                    normalize_channels(x.as_slice(), &mut out, layout, m, s).unwrap();
                    res.push(bits(&out));
                    let mut buf = Guarded::new(x.as_slice());
                    normalize_channels_inplace(buf.as_mut_slice(), layout, m, s).unwrap();
                    res.push(bits(buf.as_slice()));
                }
                res
            })
        };
        let want = run(Isa::Scalar);
        for isa in Isa::available() {
            assert!(run(isa) == want, "channels {isa:?} n={n}");
        }
    }
}
