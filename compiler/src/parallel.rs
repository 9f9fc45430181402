//! Work split over threads without changing a result: the work comes in
//! fixed chunks whose boundaries do not depend on the thread count, each
//! chunk's result is computed by one thread, and the results come back in
//! chunk order. So anything summed per chunk and then over chunks in order
//! is the same number on one thread or many.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads `requested` means: 0 is every core the machine has.
pub fn threads(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// `f(0) .. f(chunks)` on up to `threads` threads (taking chunks as they
/// free up, so uneven chunks still balance), in chunk order.
pub fn in_chunks<T: Send>(chunks: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, chunks.max(1));
    if threads == 1 {
        return (0..chunks).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks {
                return done;
            }
            done.push((c, f(c)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            // a panic in a chunk is a bug: let it surface here
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    });
    all.sort_unstable_by_key(|(c, _)| *c);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Hands memory freed in the allocator's heaps back to the system. A large
/// network's quantized rows are millions of small blocks (one a source,
/// 2 GiB at 1 M neurons); glibc keeps them once freed, so without this the
/// process holds them, resident, through placing and whatever runs next.
/// Nothing else changes: the same program.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of glibc's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_order_for_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let got = in_chunks(37, threads, |c| c * c);
            assert_eq!(got, (0..37).map(|c| c * c).collect::<Vec<_>>());
        }
        assert!(in_chunks(0, 4, |c| c).is_empty());
        assert!(threads(0) >= 1);
    }
}
