//! The energy and latency model's choices (`neuron`, `inputs`, `core_timing`),
//! checked step by step against figures worked out by hand on a three-neuron
//! program, and the law that a run's totals are the sum of its steps, so
//! they do not depend on where a run stops.
//!
//! The program: core A (physical 0, tile (0,0)) holds IF neurons a0, a1;
//! core B (physical 4, tile (1,0)) holds b0. Input channel 0 feeds a0 and is
//! sent from physical core 8, tile (2,0). a0 feeds b0. One input spike at
//! step 0 makes a0 fire at step 1 and b0 at step 2.

use spikefab_chip::model::if_;
use spikefab_chip::{
    Arch, BarrierLookup, CoreConfig, CoreProgram, CoreTiming, EventCost, InputCost, NeuronCharging,
    NeuronGroup, Neurons, OutputPort, Provenance, Reset, Route, RouteTable, Spike, SpikeStream,
    SynapseTable, PROGRAM_FORMAT_VERSION,
};
use spikefab_emulator::workload::{poisson_input, Synthetic};
use spikefab_emulator::{run, Report, RunConfig};

fn cost(energy_pj: f64, latency_ns: f64) -> EventCost {
    EventCost {
        energy_pj,
        latency_ns,
    }
}

/// Loihi's formats with round costs that are easy to add up by hand.
fn arch(neuron: NeuronCharging, inputs: InputCost, core_timing: CoreTiming) -> Arch {
    let mut a = Arch::preset("loihi").unwrap();
    let c = &mut a.costs;
    c.axon_in = cost(1.0, 10.0);
    c.synapse_sparse = cost(2.0, 3.0);
    c.synapse_dense = cost(2.0, 3.0);
    c.neuron = neuron;
    c.spike_out = cost(11.0, 4.0);
    c.axon_out = cost(13.0, 5.0);
    c.hop_east_west = cost(17.0, 6.0);
    c.hop_north_south = cost(19.0, 8.0);
    c.inputs = inputs;
    a.timing.barrier_ns = vec![(1, 100.0)];
    a.timing.barrier_lookup = BarrierLookup::Step;
    a.timing.core_timing = core_timing;
    a
}

const ACCESS_PLUS_UPDATE: NeuronCharging = NeuronCharging::AccessPlusUpdate {
    access: EventCost {
        energy_pj: 5.0,
        latency_ns: 1.0,
    },
    update: EventCost {
        energy_pj: 7.0,
        latency_ns: 2.0,
    },
};

fn if_group(name: &str, n: usize) -> NeuronGroup {
    NeuronGroup {
        name: name.into(),
        weight_exp: 0,
        // 640 < 20 << 6: one spike of weight 20 fires
        neurons: Neurons::If(vec![
            if_::Stored {
                bias_mant: 0,
                bias_exp: 0,
                vth: 10,
            };
            n
        ]),
        reset: Reset::Zero,
        schedule: None,
        noise: None,
        dendrites: None,
    }
}

fn route(core: u32, axon: u32) -> Route {
    Route {
        core,
        axon,
        delay: 0,
    }
}

fn program(arch: Arch) -> CoreProgram {
    let a = CoreConfig {
        core_id: 0,
        groups: vec![if_group("a", 2)],
        synapses: SynapseTable::from_rows(&[vec![(0, 20, 0)]]),
        routes: RouteTable::from_lists(&[vec![route(1, 0)], vec![]]),
        learning: Vec::new(),
    };
    let b = CoreConfig {
        core_id: 4,
        groups: vec![if_group("b", 1)],
        synapses: SynapseTable::from_rows(&[vec![(0, 20, 0)]]),
        routes: RouteTable::from_lists(&[vec![]]),
        learning: Vec::new(),
    };
    CoreProgram {
        format_version: PROGRAM_FORMAT_VERSION,
        arch,
        dt: 1e-3,
        cores: vec![a, b],
        inputs: RouteTable::from_lists(&[vec![route(0, 0)]]),
        input_cores: vec![8],
        outputs: vec![
            OutputPort { core: 0, neuron: 0 },
            OutputPort { core: 1, neuron: 0 },
        ],
        provenance: Provenance::default(),
        noise_seed: None,
    }
}

fn run3(arch: Arch) -> Report {
    let p = program(arch);
    p.validate().unwrap();
    let input = SpikeStream::new(
        1,
        3,
        1e-3,
        vec![Spike {
            timestep: 0,
            channel: 0,
        }],
    )
    .unwrap();
    let mut cfg = RunConfig::new(3, 1);
    cfg.record_steps = true;
    let out = run(&p, &input, &cfg, &|_| {}).unwrap();
    let fired: Vec<_> = out
        .spikes
        .events()
        .iter()
        .map(|e| (e.timestep, e.channel))
        .collect();
    assert_eq!(fired, vec![(1, 0), (2, 1)]);
    out.report
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

fn latencies(r: &Report) -> Vec<f64> {
    r.per_step.iter().map(|s| s.latency_ns).collect()
}

#[test]
fn scheduled_on_core_access_plus_update_by_hand() {
    let r = run3(arch(
        ACCESS_PLUS_UPDATE,
        InputCost::OnCore,
        CoreTiming::Scheduled,
    ));
    // Step 0: the input leaves core 8 after its axon-out (5 ns), crosses two
    // E-W hops (12 ns), is processed by A (10 + 3 ns): A is busy until 30.
    // Step 1: a0 is active: done at 1 (access) + 2 (update) + 4 (spike) = 7,
    // its message leaves at 12, arrives at B at 18, processed by 31.
    // Step 2: b0 fires: 1 + 2 + 4 = 7. Barrier 100 ns every step.
    assert_eq!(latencies(&r), vec![130.0, 131.0, 107.0]);
    assert!(r.per_step.iter().all(|s| s.noc_ns == 0.0));
    let e = &r.energy;
    // Input: 13 pJ axon-out + 2 hops x 17 pJ.
    assert_eq!(e.input_pj, 13.0);
    assert_eq!(e.noc_pj, 2.0 * 17.0 + 17.0);
    // 9 neuron-steps x 5 pJ access + 2 active x 7 pJ update.
    assert_eq!(e.neuron_pj, 9.0 * 5.0 + 2.0 * 7.0);
    assert_eq!(e.spike_out_pj, 22.0);
    assert_eq!(e.axon_out_pj, 13.0);
    assert_eq!((e.axon_in_pj, e.synaptic_pj), (2.0, 4.0));
    assert_eq!(e.total_pj, 164.0);
    let t = &r.totals;
    assert_eq!(
        (
            t.input_messages,
            t.messages_in,
            t.messages_out,
            t.hops_east_west
        ),
        (1, 2, 1, 3)
    );
    assert_eq!((t.neuron_updates, t.active_neuron_updates), (9, 2));
}

#[test]
fn serial_and_overlapped_timing_by_hand() {
    // Serial: a core's send side, then its receive side; plus the NoC drain
    // (the slowest message's hops, no queueing here) and the barrier.
    // Step 0: A 2 + 13 = 15, drain 12. Step 1: B 1 + 13 = 14, drain 6. Step 2: 7.
    let serial = run3(arch(
        ACCESS_PLUS_UPDATE,
        InputCost::OnCore,
        CoreTiming::Serial,
    ));
    assert_eq!(latencies(&serial), vec![127.0, 120.0, 107.0]);
    // Overlapped: the larger side. Step 0: A max(2, 13). Step 1: A 13, B max(1, 13).
    let overlapped = run3(arch(
        ACCESS_PLUS_UPDATE,
        InputCost::OnCore,
        CoreTiming::Overlapped,
    ));
    assert_eq!(latencies(&overlapped), vec![125.0, 119.0, 107.0]);
    // Timing never changes energy.
    assert_eq!(serial.energy, overlapped.energy);
    assert_eq!(serial.energy.total_pj, 164.0);
}

#[test]
fn input_cost_choices_by_hand() {
    // Free: no axon-out, no hops, the message is at A at time 0.
    let free = run3(arch(
        ACCESS_PLUS_UPDATE,
        InputCost::Free,
        CoreTiming::Scheduled,
    ));
    assert_eq!(free.energy.total_pj, 164.0 - 13.0 - 34.0);
    assert_eq!(latencies(&free), vec![113.0, 131.0, 107.0]);
    assert_eq!(free.totals.input_messages, 1);
    // Off-chip link: 23 pJ, 9 ns per message, no mesh hops.
    let link = run3(arch(
        ACCESS_PLUS_UPDATE,
        InputCost::OffChip {
            link: cost(23.0, 9.0),
        },
        CoreTiming::Scheduled,
    ));
    assert_eq!(link.energy.input_pj, 23.0);
    assert_eq!(link.energy.total_pj, 164.0 - 13.0 - 34.0 + 23.0);
    assert_eq!(latencies(&link), vec![122.0, 131.0, 107.0]);
}

#[test]
fn neuron_charging_choices_by_hand() {
    // Active or idle, never both: 7 idle x 5 pJ + 2 active x 7 pJ.
    let r = run3(arch(
        NeuronCharging::ActiveOrIdle {
            active: cost(7.0, 2.0),
            idle: cost(5.0, 1.0),
        },
        InputCost::OnCore,
        CoreTiming::Scheduled,
    ));
    assert_eq!(r.energy.neuron_pj, 7.0 * 5.0 + 2.0 * 7.0);
    // a0 is done at 2 (active) + 4 (spike) = 6, its message leaves at 11,
    // arrives at 17 and is processed by 30; b0: 2 + 4 = 6.
    assert_eq!(latencies(&r), vec![130.0, 130.0, 106.0]);
}

#[test]
fn a_neuron_with_a_bias_is_active_every_step() {
    let mut p = program(arch(
        ACCESS_PLUS_UPDATE,
        InputCost::Free,
        CoreTiming::Serial,
    ));
    let Neurons::If(n) = &mut p.cores[0].groups[0].neurons else {
        unreachable!("if_group")
    };
    n[1].bias_mant = 1; // a1 integrates its bias, far below threshold
    let input = SpikeStream::new(1, 3, 1e-3, vec![]).unwrap();
    let out = run(&p, &input, &RunConfig::new(3, 1), &|_| {}).unwrap();
    assert_eq!(out.report.totals.active_neuron_updates, 3);
}

/// Every event is counted in the step the hardware spends its energy on it:
/// a run of n steps costs exactly what the first n steps of a longer run do.
#[test]
fn totals_do_not_depend_on_where_the_run_stops() {
    for preset in ["loihi", "fpga-small"] {
        let mut s = Synthetic::benchmark(3);
        s.arch = Arch::preset(preset).unwrap();
        s.neurons_per_core = 32;
        s.fanout = 12;
        s.inputs = 8;
        s.input_fanout = 8;
        let p = s.build();
        let input = poisson_input(8, 60, 0.3, p.dt, 5);
        let mut cfg = RunConfig::new(60, 2);
        cfg.record_steps = true;
        let long = run(&p, &input, &cfg, &|_| {}).unwrap().report;
        for stop in [1, 17, 59] {
            let short = run(&p, &input, &RunConfig::new(stop, 1), &|_| {})
                .unwrap()
                .report;
            let mut prefix = spikefab_emulator::Counters::default();
            let mut ns = 0.0;
            for r in &long.per_step[..stop as usize] {
                prefix += r.counters;
                ns += r.latency_ns;
            }
            assert_eq!(short.totals, prefix, "{preset}, {stop} steps");
            assert!(close(short.latency.total_ns, ns), "{preset}, {stop} steps");
        }
        assert!(long.totals.synaptic_ops > 0 && long.totals.input_messages > 0);
    }
}
