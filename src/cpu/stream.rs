//! Streaming (non-temporal) output stores for kernels whose output is too large to stay in
//! cache: they skip the read-for-ownership of every destination line, so a kernel that
//! reads `a` bytes and writes `b` moves `a + b` bytes instead of `a + 2b`. Outputs are
//! bit-identical either way; only the cache state afterwards differs.

/// How a kernel writes its output.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Store {
    /// Ordinary stores: the output stays in cache for whoever reads it next.
    Cached,
    /// Non-temporal stores where the kernel has them (AVX2 and AVX-512 on x86_64).
    Streaming,
}

impl Store {
    /// `Streaming` for outputs of at least `min_bytes` bytes. Where the cut-off lies depends
    /// on the kernel: streamed lines go to memory, which pays when the output would not
    /// stay in cache anyway, or when the kernel writes far fewer bytes than it reads.
    pub fn for_output(bytes: usize, min_bytes: usize) -> Store {
        if bytes >= min_bytes {
            Store::Streaming
        } else {
            Store::Cached
        }
    }
}

/// [`Store::for_output`]'s cut-off for kernels that write f32 from narrower inputs
/// (int8, int4 and FP8 dequantize: four or eight output bytes per input byte; f16 and
/// bf16 widening: two): outputs of at least this many bytes are streamed. Measured on the
/// int8 dequantizer on the development machine (1 MiB L2 per core, 32 MiB L3): streamed
/// stores (~11 G elements/s to memory) are slower than cached ones (~20) while the output
/// fits in L3, and faster beyond it (8M elements: 11.1 against 10.5; 16M: 10.9 against
/// 8.8). The cut-off sits between those points.
pub(crate) const WIDENING_STREAM_MIN_BYTES: usize = 24 << 20;

/// Drives a kernel over `0..n` in steps of `len` elements. `step(i, aligned)` must process
/// elements `i..i + len`; `aligned` is true only for steps whose output starts on the
/// kernel's alignment, which `aligned_from` (the first such element index, `< len`) gives
/// when the kernel wants streaming stores. Returns how many leading elements were done.
///
/// Without `aligned_from`, or for calls shorter than [`STREAM_MIN_STEPS`] steps, it does the
/// largest multiple of `len` and leaves the tail to the caller. Otherwise every element is
/// done: one unaligned step at 0 covers the head and one ending at `n` the tail, both before
/// the aligned (streamed) steps, so no ordinary store ever follows a streamed one to the
/// same memory before the kernel's closing `sfence`. The head and tail steps overlap
/// aligned ones and write the same values again, so the output must not alias the input.
// Only x86_64 kernels stream; elsewhere this is used by its tests alone.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn for_each_step(
    n: usize,
    len: usize,
    aligned_from: Option<usize>,
    mut step: impl FnMut(usize, bool),
) -> usize {
    match aligned_from {
        Some(first) if n >= STREAM_MIN_STEPS * len && first < len => {
            if first != 0 {
                step(0, false);
            }
            if !(n - first).is_multiple_of(len) {
                step(n - len, false);
            }
            let mut i = first;
            while i + len <= n {
                step(i, true);
                i += len;
            }
            n
        }
        _ => {
            let done = n / len * len;
            for i in (0..done).step_by(len) {
                step(i, false);
            }
            done
        }
    }
}

/// Calls shorter than this many steps use ordinary stores even when streaming was asked
/// for: the unaligned head and tail would make up too much of them, and those lines would
/// see both kinds of store.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const STREAM_MIN_STEPS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts how often each element is visited and which steps were aligned.
    fn visits(n: usize, len: usize, first: Option<usize>) -> (usize, Vec<u32>, Vec<usize>) {
        let mut seen = vec![0u32; n];
        let mut aligned = Vec::new();
        let done = for_each_step(n, len, first, |i, a| {
            assert!(i + len <= n);
            for s in &mut seen[i..i + len] {
                *s += 1;
            }
            if a {
                aligned.push(i);
            }
        });
        (done, seen, aligned)
    }

    #[test]
    fn cached_steps_cover_whole_multiples_only() {
        let (done, seen, aligned) = visits(70, 32, None);
        assert_eq!(done, 64);
        assert!(seen[..64].iter().all(|&c| c == 1));
        assert!(seen[64..].iter().all(|&c| c == 0));
        assert!(aligned.is_empty());
    }

    #[test]
    fn streamed_steps_cover_everything_with_aligned_middle() {
        for n in [256, 257, 300, 319, 320, 1000] {
            for first in [0, 1, 17, 31] {
                let (done, seen, aligned) = visits(n, 32, Some(first));
                assert_eq!(done, n, "n={n} first={first}");
                assert!(
                    seen.iter().all(|&c| (1..=2).contains(&c)),
                    "n={n} first={first}"
                );
                assert!(aligned.iter().all(|&i| (i - first) % 32 == 0));
                assert_eq!(aligned.first(), Some(&first));
            }
        }
        // Too short for streaming: falls back to whole cached steps.
        let (done, _, aligned) = visits(255, 32, Some(5));
        assert_eq!((done, aligned.len()), (224, 0));
    }

    #[test]
    fn no_ordinary_store_follows_a_streamed_one() {
        for n in [256, 257, 300, 319, 320, 1000] {
            for first in [0, 1, 17, 31] {
                let mut streamed = vec![false; n];
                for_each_step(n, 32, Some(first), |i, aligned| {
                    for s in &mut streamed[i..i + 32] {
                        assert!(aligned || !*s, "n={n} first={first} step {i}");
                        *s |= aligned;
                    }
                });
            }
        }
    }
}
