//! The per-timestep hot path allocates nothing: a run of 400 steps makes
//! exactly as many heap allocations as a run of no steps of the same program
//! (so not even the first steps grow a buffer).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use spikefab_emulator::workload::{poisson_input, Synthetic};
use spikefab_emulator::{run, RunConfig};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(steps: u32, threads: usize) -> u64 {
    let mut s = Synthetic::benchmark(4);
    s.neurons_per_core = 128;
    s.fanout = 32;
    s.inputs = 8;
    s.input_fanout = 16;
    s.max_delay = 3;
    s.outputs = 0; // the output bitmap is sized by steps but is one allocation either way
    let p = s.build();
    // Inputs cover the longest run so both runs read the same stream.
    let input = poisson_input(8, 400, 0.2, p.dt, 1);
    let before = ALLOCS.load(Ordering::Relaxed);
    let out = run(&p, &input, &RunConfig::new(steps, threads), &|_| {}).unwrap();
    let after = ALLOCS.load(Ordering::Relaxed);
    assert!(steps == 0 || out.report.totals.spikes > 0);
    after - before
}

#[test]
fn step_loop_does_not_allocate() {
    for threads in [1, 2] {
        let none = allocations(0, threads);
        let long = allocations(400, threads);
        assert_eq!(
            none, long,
            "threads = {threads}: allocations grew with the number of steps"
        );
    }
}
