//! Delivering plain cores' rows from the workers' fan-in tables (one pass
//! per spike, `fanin.rs`) gives exactly what every message through its
//! core's inbox gives: spikes, report, step records, probes — on programs
//! where all, some or none of the cores are plain, for any thread count.

mod common;

use proptest::prelude::*;
use spikefab_chip::CoreProgram;
use spikefab_emulator::workload::poisson_input;
use spikefab_emulator::{Emulator, Probe, RunConfig};

/// A synthetic program with delays up to `max_delay`, the synaptic delays
/// of the cores in `undelayed` (a bit mask) set to zero — plain cores, if
/// no route into them is delayed either.
fn program(seed: u64, cores: usize, max_delay: u8, undelayed: u32, arch: &str) -> CoreProgram {
    let mut p = common::program(seed, cores, max_delay, arch);
    for (k, c) in p.cores.iter_mut().enumerate() {
        if undelayed >> k & 1 == 1 {
            c.synapses.delay.iter_mut().for_each(|d| *d = 0);
        }
    }
    p
}

fn probes(p: &CoreProgram) -> Vec<Probe> {
    (0..p.cores.len())
        .flat_map(|core| {
            [0, 1].map(|var| Probe {
                core,
                neuron: 3,
                var,
            })
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn fan_in_tables_give_the_inboxes_results(
        seed in 0u64..1000, cores in 1usize..9, delay in 0u8..3, undelayed in 0u32..512,
        threads in 1usize..4,
        arch in prop::sample::select(vec!["loihi", "xylo", "fpga-small", "truenorth"]),
    ) {
        let p = program(seed, cores, delay, undelayed, arch);
        let input = poisson_input(6, 50, 0.2, p.dt, seed + 1);
        let emulator = Emulator::new(&p).unwrap();
        let run = |fan_in: bool, threads: usize| {
            let cfg = RunConfig {
                record_steps: true,
                probes: probes(&p),
                fan_in,
                ..RunConfig::new(50, threads)
            };
            let rows = std::sync::Mutex::new(Vec::new());
            let out = emulator
                .run_probed(&input, &cfg, &|_| {}, &|_, v| rows.lock().unwrap().push(v.to_vec()))
                .unwrap();
            (out, rows.into_inner().unwrap())
        };
        let (inboxes, rows) = run(false, 1);
        prop_assert!(inboxes.report.totals.spikes > 0);
        let (tables, table_rows) = run(true, threads);
        prop_assert_eq!(&tables.spikes, &inboxes.spikes);
        prop_assert_eq!(tables.report.to_json(), inboxes.report.to_json());
        prop_assert_eq!(&tables.report.per_step, &inboxes.report.per_step);
        prop_assert_eq!(table_rows, rows);
    }
}
