//! Results are identical for any thread count, and the op counters obey the
//! conservation laws an independent recount gives.

use proptest::prelude::*;
use spikefab_chip::{Arch, CoreTiming, EventCost, InputCost, SpikeStream};
use spikefab_emulator::workload::{poisson_input, Synthetic};
use spikefab_emulator::{run, RunConfig};

fn small(seed: u64, cores: usize, max_delay: u8, arch: &str) -> Synthetic {
    Synthetic {
        arch: Arch::preset(arch).unwrap(),
        cores,
        neurons_per_core: 48,
        fanout: 24,
        dest_cores: 3,
        inputs: 6,
        input_fanout: 10,
        max_delay,
        outputs: cores * 48,
        one_core_per_tile: seed % 2 == 0,
        seed,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn spikes_energy_and_latency_do_not_depend_on_threads(
        seed in 0u64..1000, cores in 1usize..9, delay in 0u8..5, threads in 2usize..6,
        arch in prop::sample::select(vec!["loihi", "xylo", "fpga-small", "truenorth"]),
    ) {
        let p = small(seed, cores, delay, arch).build();
        let input = poisson_input(6, 60, 0.2, p.dt, seed + 1);
        let one = run(&p, &input, &RunConfig::new(60, 1), &|_| {}).unwrap();
        let many = run(&p, &input, &RunConfig::new(60, threads), &|_| {}).unwrap();
        prop_assert_eq!(&one.spikes, &many.spikes);
        prop_assert_eq!(one.report.to_json(), many.report.to_json());
    }
}

/// Every worker sends a share of a step's input events, and an input port's
/// sending times are f64 sums in event order: with ~24 events a step
/// leaving one shared port (its time the step's longest), under each input
/// cost and core timing, more threads give the same report and step records.
#[test]
fn input_events_shared_by_workers_keep_one_port_s_timing() {
    let costs = [
        InputCost::OnCore,
        InputCost::OffChip {
            link: EventCost {
                energy_pj: 3.0,
                latency_ns: 9.3,
            },
        },
        InputCost::Port {
            event: EventCost {
                energy_pj: 2.0,
                latency_ns: 4.7,
            },
        },
        InputCost::Free,
    ];
    let timings = [
        CoreTiming::Scheduled,
        CoreTiming::Serial,
        CoreTiming::Overlapped,
        CoreTiming::Phased,
    ];
    let channels = 48;
    let mut workload = small(11, 5, 1, "loihi");
    workload.inputs = channels;
    workload.input_fanout = 6;
    for inputs in costs {
        for timing in timings {
            let mut p = workload.build();
            // 0.1 is not a binary fraction: sums depend on their order.
            p.arch.costs.axon_out.latency_ns = 40.1;
            p.arch.costs.inputs = inputs;
            p.arch.timing.core_timing = timing;
            p.input_cores = vec![p.cores[0].core_id; channels];
            let input = poisson_input(channels as u32, 30, 0.5, p.dt, 5);
            let cfg = |threads| RunConfig {
                record_steps: true,
                ..RunConfig::new(30, threads)
            };
            let one = run(&p, &input, &cfg(1), &|_| {}).unwrap();
            assert!(one.report.totals.input_messages > 600);
            for threads in [2, 3, 5] {
                let many = run(&p, &input, &cfg(threads), &|_| {}).unwrap();
                let what = format!("{inputs:?}, {timing:?}, {threads} threads");
                assert_eq!(one.spikes, many.spikes, "{what}");
                assert_eq!(one.report.per_step, many.report.per_step, "{what}");
                assert_eq!(one.report.to_json(), many.report.to_json(), "{what}");
            }
        }
    }
}

/// With every neuron an output, recount from the output spikes alone: each
/// spike sends one message per route and costs one synaptic op per word in the
/// target axon rows, in the step it is sent; each input event likewise, sent
/// from its input port's core; hops are Manhattan distances.
#[test]
fn counters_match_an_independent_recount() {
    let p = small(7, 6, 2, "loihi").build();
    let steps = 80;
    let input = poisson_input(6, steps, 0.3, p.dt, 3);
    let out = run(&p, &input, &RunConfig::new(steps, 3), &|_| {}).unwrap();
    let topo = &p.arch.topology;
    let row_len = |core: u32, axon: u32| {
        let s = &p.cores[core as usize].synapses;
        s.row(axon as usize).len() as u64
    };
    let (mut msgs, mut ops, mut hops) = (0u64, 0u64, 0u64);
    let mut messages_in = 0u64;
    for e in out.spikes.events() {
        let o = &p.outputs[e.channel as usize];
        for r in p.cores[o.core as usize].routes.of(o.neuron as usize) {
            msgs += 1;
            ops += row_len(r.core, r.axon);
            messages_in += 1;
            let a = topo.tile_of(p.cores[o.core as usize].core_id as usize);
            let b = topo.tile_of(p.cores[r.core as usize].core_id as usize);
            hops += (a.x.abs_diff(b.x) + a.y.abs_diff(b.y)) as u64;
        }
    }
    assert_eq!(p.arch.costs.inputs, spikefab_chip::InputCost::OnCore);
    let mut input_messages = 0u64;
    for e in input.events() {
        for r in p.inputs.of(e.channel as usize) {
            ops += row_len(r.core, r.axon);
            messages_in += 1;
            input_messages += 1;
            let a = topo.tile_of(p.input_core(e.channel as usize) as usize);
            let b = topo.tile_of(p.cores[r.core as usize].core_id as usize);
            hops += (a.x.abs_diff(b.x) + a.y.abs_diff(b.y)) as u64;
        }
    }
    let t = &out.report.totals;
    assert_eq!(t.spikes, out.spikes.len() as u64);
    assert!(t.spikes > 100, "the network must be active: {}", t.spikes);
    assert_eq!(t.messages_out, msgs);
    assert_eq!(t.synaptic_ops, ops);
    assert_eq!(t.messages_in, messages_in);
    assert_eq!(t.input_messages, input_messages);
    assert_eq!(t.hops_east_west + t.hops_north_south + t.hops_chip, hops);
    assert_eq!(t.neuron_updates, p.num_neurons() as u64 * steps as u64);
    // Energy is the dot product of counts and per-event costs.
    let c = &p.arch.costs;
    let expected_syn = t.synaptic_ops as f64 * c.synapse_sparse.energy_pj;
    assert!((out.report.energy.synaptic_pj - expected_syn).abs() < 1e-6 * expected_syn);
    // Latency is the sum of its three parts over the steps.
    let l = &out.report.latency;
    assert!((l.total_ns - (l.core_ns + l.noc_ns + l.barrier_ns)).abs() < 1e-6 * l.total_ns);
}

#[test]
fn runs_longer_or_shorter_than_the_input() {
    let p = small(3, 3, 1, "loihi").build();
    let input = poisson_input(6, 40, 0.3, p.dt, 9);
    let long = run(&p, &input, &RunConfig::new(120, 2), &|_| {}).unwrap();
    let short = run(&p, &input, &RunConfig::new(25, 2), &|_| {}).unwrap();
    let empty = SpikeStream::empty(0, 0, p.dt);
    let none = run(&p, &empty, &RunConfig::new(30, 1), &|_| {}).unwrap();
    assert_eq!(long.report.steps, 120);
    // The first 25 steps of the long run are the short run.
    let head: Vec<_> = long
        .spikes
        .events()
        .iter()
        .filter(|e| e.timestep < 25)
        .copied()
        .collect();
    assert_eq!(head, short.spikes.events());
    assert!(none.report.totals.messages_in <= none.report.totals.messages_out);
}

#[test]
fn benchmark_workload_fires_about_five_percent() {
    let p = Synthetic::benchmark(4).build();
    let out = run(
        &p,
        &SpikeStream::empty(0, 300, p.dt),
        &RunConfig::new(300, 2),
        &|_| {},
    )
    .unwrap();
    let rate = out.report.totals.spikes as f64 / (4.0 * 1024.0 * 300.0);
    assert!((0.035..0.07).contains(&rate), "{rate}");
}
