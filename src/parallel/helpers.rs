//! Data-parallel helpers on scipix's own pool: chunked map and a work-stealing map for
//! items of very different cost.
//!
//! ```
//! use scipix::parallel::helpers::{parallel_map_chunked, parallel_unbalanced};
//!
//! let items: Vec<u32> = (0..100).collect();
//! let doubled = parallel_map_chunked(&items, 16, 32, |x| x * 2);
//! assert_eq!(doubled[99], 198);
//! let lens = parallel_unbalanced(&["a", "bbb"], |s| s.len());
//! assert_eq!(lens, [1, 3]); // results keep the input order
//! ```

use super::pool::{install, should_split};
use rayon::prelude::*;

/// Maps `f` over `items` in chunks of `chunk` items (0 picks about 4 chunks per thread),
/// in parallel on scipix's pool when there are at least `cutoff_items` items and
/// parallelism is enabled; sequentially otherwise. The output order equals the input
/// order and the values do not depend on the thread count.
pub fn parallel_map_chunked<T, U, F>(items: &[T], chunk: usize, cutoff_items: usize, f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    if !should_split(items.len(), cutoff_items.max(2)) {
        return items.iter().map(f).collect();
    }
    let threads = super::num_threads();
    let chunk = if chunk == 0 {
        items.len().div_ceil(threads * 4).max(1)
    } else {
        chunk
    };
    install(|| {
        items
            .par_chunks(chunk)
            .flat_map_iter(|c| c.iter().map(&f))
            .collect()
    })
}

/// Maps `f` over items whose costs differ widely: each item is its own task, and idle
/// threads steal pending tasks from busy ones (rayon's work-stealing deques), so one slow
/// item does not hold a whole chunk back. Order is preserved. Runs sequentially when
/// parallelism is disabled or there is a single item.
pub fn parallel_unbalanced<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    if !should_split(items.len(), 2) {
        return items.iter().map(f).collect();
    }
    install(|| items.par_iter().with_max_len(1).map(&f).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_map_equals_sequential_for_every_chunk_size() {
        let v: Vec<u64> = (0..1001).collect();
        let want: Vec<u64> = v.iter().map(|x| x * x + 1).collect();
        for chunk in [0, 1, 7, 64, 5000] {
            assert_eq!(parallel_map_chunked(&v, chunk, 0, |x| x * x + 1), want);
        }
        assert_eq!(parallel_map_chunked(&v, 0, usize::MAX, |x| x * x + 1), want);
        assert!(parallel_map_chunked(&[] as &[u8], 0, 0, |x| *x).is_empty());
    }

    #[test]
    fn unbalanced_map_keeps_order() {
        let v: Vec<u32> = (0..64).collect();
        let out = parallel_unbalanced(&v, |&x| {
            if x % 16 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            x * 2
        });
        assert_eq!(out, v.iter().map(|x| x * 2).collect::<Vec<_>>());
    }
}
