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

/// Drives a kernel over `0..n` in steps of `len` elements. `step(i, aligned)` must process
/// elements `i..i + len`; `aligned` is true only for steps whose output starts on the
/// kernel's alignment, which `aligned_from` (the first such element index, `< len`) gives
/// when the kernel wants streaming stores. Returns how many leading elements were done.
///
/// Without `aligned_from` (or with `n < 2 * len`) it does the largest multiple of `len`
/// and leaves the tail to the caller. With it, every element is done: one unaligned step
/// at 0 covers the head, aligned steps follow, and one unaligned step ending at `n`
/// covers the tail. Those overlap aligned steps and write the same values again, so the
/// kernel's output must not alias its input.
pub(crate) fn for_each_step(
    n: usize,
    len: usize,
    aligned_from: Option<usize>,
    mut step: impl FnMut(usize, bool),
) -> usize {
    match aligned_from {
        Some(first) if n >= 2 * len && first < len => {
            if first != 0 {
                step(0, false);
            }
            let mut i = first;
            while i + len <= n {
                step(i, true);
                i += len;
            }
            if i < n {
                step(n - len, false);
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
        for n in [64, 65, 100, 127, 128, 1000] {
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
        // Too short to have an aligned step after the head: falls back to cached steps.
        assert_eq!(visits(63, 32, Some(5)).0, 32);
    }
}
