//! A run spread over ranks (here as threads: `cluster::InProcess`, the same
//! exchange code MPI runs) gives exactly one process's spikes, report, step
//! records and probe values, for any rank and thread count; ranks that
//! disagree on what they run are refused before running.

mod common;

use common::program;
use proptest::prelude::*;
use spikefab_chip::{CoreProgram, SpikeStream};
use spikefab_emulator::cluster::InProcess;
use spikefab_emulator::workload::poisson_input;
use spikefab_emulator::{run, Emulator, Probe, RunConfig, RunOutput};

/// A rank's output and the probe rows its sink saw, or its error.
type RankRun = Result<(RunOutput, Vec<Vec<i32>>), String>;

/// Every rank's output and probe rows, each rank on its own thread.
fn on_ranks(p: &CoreProgram, input: &SpikeStream, cfgs: &[RunConfig]) -> Vec<RankRun> {
    let emulator = Emulator::new(p).unwrap();
    let ranks = InProcess::ranks(cfgs.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = ranks
            .iter()
            .zip(cfgs)
            .map(|(rank, cfg)| {
                let emulator = &emulator;
                s.spawn(move || {
                    let rows = std::sync::Mutex::new(Vec::new());
                    let sink = |_: u32, v: &[i32]| rows.lock().unwrap().push(v.to_vec());
                    emulator
                        .run_on(input, cfg, &|_| {}, &sink, rank)
                        .map(|out| (out, rows.into_inner().unwrap()))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn probes(p: &CoreProgram) -> Vec<Probe> {
    // The first and last neuron of every core, both state registers.
    p.cores
        .iter()
        .enumerate()
        .flat_map(|(core, c)| {
            let last = c.num_neurons() as u32 - 1;
            [(0, 0), (0, 1), (last, 0)].map(|(neuron, var)| Probe { core, neuron, var })
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn ranks_give_one_process_bit_for_bit(
        seed in 0u64..1000, cores in 1usize..8, delay in 0u8..4,
        ranks in 2usize..5, threads in 1usize..3,
        arch in prop::sample::select(vec!["loihi", "xylo", "fpga-small", "truenorth"]),
    ) {
        let p = program(seed, cores, delay, arch);
        let input = poisson_input(6, 50, 0.2, p.dt, seed + 1);
        let cfg = RunConfig {
            record_steps: true,
            probes: probes(&p),
            ..RunConfig::new(50, threads)
        };
        let rows = std::sync::Mutex::new(Vec::new());
        let one = Emulator::new(&p).unwrap().run_probed(&input, &cfg, &|_| {}, &|_, v| {
            rows.lock().unwrap().push(v.to_vec())
        }).unwrap();
        let rows = rows.into_inner().unwrap();
        prop_assert!(one.report.totals.spikes > 0);
        let all = on_ranks(&p, &input, &vec![cfg.clone(); ranks]);
        for (rank, r) in all.into_iter().enumerate() {
            let (out, probe_rows) = r.unwrap();
            // Every rank returns the whole run; only rank 0 sees the probes.
            prop_assert_eq!(&out.spikes, &one.spikes);
            prop_assert_eq!(out.report.to_json(), one.report.to_json());
            prop_assert_eq!(&out.report.per_step, &one.report.per_step);
            prop_assert_eq!(out.report.per_step.len(), 50);
            if rank == 0 {
                prop_assert_eq!(&probe_rows, &rows);
            } else {
                prop_assert!(probe_rows.is_empty());
            }
        }
    }
}

/// More ranks than cores: the ranks without cores still take part.
#[test]
fn ranks_without_cores_take_part() {
    let p = program(5, 2, 2, "loihi");
    let input = poisson_input(6, 40, 0.3, p.dt, 9);
    let one = run(&p, &input, &RunConfig::new(40, 1), &|_| {}).unwrap();
    for r in on_ranks(&p, &input, &vec![RunConfig::new(40, 2); 5]) {
        let (out, _) = r.unwrap();
        assert_eq!(out.spikes, one.spikes);
        assert_eq!(out.report.to_json(), one.report.to_json());
    }
}

/// Ranks that would partition differently, or run a different length, are
/// refused by every rank, naming the disagreement.
#[test]
fn ranks_that_disagree_are_refused() {
    let p = program(1, 4, 1, "loihi");
    let input = poisson_input(6, 40, 0.3, p.dt, 2);
    for other in [RunConfig::new(41, 1), RunConfig::new(40, 2)] {
        for r in on_ranks(&p, &input, &[RunConfig::new(40, 1), other]) {
            let err = r.expect_err("refused");
            assert!(err.contains("ranks disagree"), "{err}");
            assert!(err.contains("thread count"), "{err}");
        }
    }
}
