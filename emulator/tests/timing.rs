//! The emulator's timing semantics, checked on a hand-built program against
//! times worked out by hand: a spike fired (or input) at step t is integrated
//! at t + 1 + axonal delay + synaptic delay, across cores too; LI never fires.

use spikefab_chip::model::{alif, cuba_lif, if_, li};
use spikefab_chip::{
    Arch, CoreConfig, CoreProgram, ModelKind, NeuronGroup, Neurons, OutputPort, Provenance, Reset,
    Route, RouteTable, Spike, SpikeStream, SynapseTable, PROGRAM_FORMAT_VERSION,
};
use spikefab_emulator::{run, RunConfig};

/// `n` neurons of `model` with u holding just this step's input (du 4095),
/// no leak, and threshold 10 << 6 = 640 < 20 << 6: one spike of weight 20 fires.
fn group(name: &str, model: ModelKind, n: usize) -> NeuronGroup {
    let neurons = match model {
        ModelKind::CubaLif => Neurons::CubaLif(vec![
            cuba_lif::Stored {
                du: 4095,
                vth: 10,
                ..Default::default()
            };
            n
        ]),
        ModelKind::Li => Neurons::Li(vec![
            li::Stored {
                du: 4095,
                ..Default::default()
            };
            n
        ]),
        ModelKind::If => Neurons::If(vec![
            if_::Stored {
                vth: 10,
                ..Default::default()
            };
            n
        ]),
        // no adaptation: its timing is the CUBA LIF's
        ModelKind::Alif => Neurons::Alif(vec![
            alif::Stored {
                du: 4095,
                vth: 10,
                ..Default::default()
            };
            n
        ]),
    };
    NeuronGroup {
        name: name.into(),
        weight_exp: 0,
        neurons,
        reset: Reset::Zero,
        schedule: None,
        noise: None,
        dendrites: None,
    }
}

fn route(core: u32, axon: u32, delay: u8) -> Route {
    Route { core, axon, delay }
}

#[test]
fn delays_routes_and_models_fire_exactly_when_expected() {
    // core 0: n0..n2 CUBA LIF, n3 LI, n4 IF. core 1: n0 CUBA LIF.
    let core0 = CoreConfig {
        core_id: 0,
        groups: vec![
            group("lif", ModelKind::CubaLif, 3),
            group("li", ModelKind::Li, 1),
            group("if", ModelKind::If, 1),
        ],
        synapses: SynapseTable::from_rows(&[
            vec![(0, 20, 0), (1, 20, 3), (3, 20, 0), (4, 20, 0)], // axon 0
            vec![(2, 20, 1)],                                     // axon 1
        ]),
        routes: RouteTable::from_lists(&[vec![route(1, 0, 0)], vec![], vec![], vec![], vec![]]),
        learning: Vec::new(),
    };
    let core1 = CoreConfig {
        core_id: 31 * 4, // the far corner tile of the loihi mesh
        groups: vec![group("far", ModelKind::CubaLif, 1)],
        synapses: SynapseTable::from_rows(&[vec![(0, 20, 0)]]),
        routes: RouteTable::from_lists(&[vec![]]),
        learning: Vec::new(),
    };
    let program = CoreProgram {
        format_version: PROGRAM_FORMAT_VERSION,
        arch: Arch::preset("loihi").unwrap(),
        dt: 1e-3,
        cores: vec![core0, core1],
        inputs: RouteTable::from_lists(&[vec![route(0, 0, 0)], vec![route(0, 1, 2)]]),
        input_cores: Vec::new(),
        outputs: (0..5)
            .map(|n| OutputPort { core: 0, neuron: n })
            .chain([OutputPort { core: 1, neuron: 0 }])
            .collect(),
        provenance: Provenance::default(),
        noise_seed: None,
    };
    let input = SpikeStream::new(
        2,
        20,
        1e-3,
        vec![
            Spike {
                timestep: 5,
                channel: 0,
            },
            Spike {
                timestep: 10,
                channel: 1,
            },
        ],
    )
    .unwrap();
    for threads in [1, 2] {
        let out = run(&program, &input, &RunConfig::new(20, threads), &|_| {}).unwrap();
        let fired: Vec<(u32, u32)> = out
            .spikes
            .events()
            .iter()
            .map(|e| (e.timestep, e.channel))
            .collect();
        assert_eq!(
            fired,
            vec![
                (6, 0),  // input at 5, delay 0
                (6, 4),  // IF, same input
                (7, 5),  // n0's spike at 6 crosses the mesh to core 1
                (9, 1),  // synaptic delay 3
                (14, 2), // input at 10, axonal delay 2 + synaptic delay 1
            ],
            "threads = {threads}"
        );
        // One message from n0 to the far tile: (7, 3) away on the 8x4 mesh.
        let t = &out.report.totals;
        assert_eq!(
            (t.messages_out, t.hops_east_west, t.hops_north_south),
            (1, 7, 3)
        );
        assert_eq!(t.messages_in, 3);
        assert_eq!(t.synaptic_ops, 4 + 1 + 1);
    }
}

/// A subtractive reset with several spikes a step, worked by hand: an IF
/// neuron with threshold 10 << 6 = 640 gets an input of 35 << 6 = 2240 once.
/// It fires while v > k·640: 3 spikes (2240 > 1920, not > 2560), keeps
/// 2240 − 1920 = 320, and each spike is its own message: the target IF
/// neuron (threshold 640) receives 3 × 20 << 6 = 3840, fires at most
/// max_spikes = 2 times (capped) and keeps 3840 − 1280 = 2560, so it fires
/// twice more in the next step and keeps 1280.
#[test]
fn a_subtractive_reset_sends_one_message_per_spike() {
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.subtract_reset = true;
    arch.core.max_spikes_per_step = 3;
    let neuron = |max_spikes| NeuronGroup {
        reset: Reset::Subtract { max_spikes },
        ..group("if", ModelKind::If, 1)
    };
    let core0 = CoreConfig {
        core_id: 0,
        groups: vec![neuron(3), neuron(2)],
        synapses: SynapseTable::from_rows(&[vec![(0, 35, 0)], vec![(1, 20, 0)]]),
        routes: RouteTable::from_lists(&[vec![route(0, 1, 0)], vec![]]),
        learning: Vec::new(),
    };
    let program = CoreProgram {
        format_version: PROGRAM_FORMAT_VERSION,
        arch,
        dt: 1e-3,
        cores: vec![core0],
        inputs: RouteTable::from_lists(&[vec![route(0, 0, 0)]]),
        input_cores: Vec::new(),
        outputs: vec![
            OutputPort { core: 0, neuron: 0 },
            OutputPort { core: 0, neuron: 1 },
        ],
        provenance: Provenance::default(),
        noise_seed: None,
    };
    let input = SpikeStream::new(
        1,
        4,
        1e-3,
        vec![Spike {
            timestep: 0,
            channel: 0,
        }],
    )
    .unwrap();
    for threads in [1, 2] {
        let out = run(&program, &input, &RunConfig::new(4, threads), &|_| {}).unwrap();
        let fired: Vec<(u32, u32)> = out
            .spikes
            .events()
            .iter()
            .map(|e| (e.timestep, e.channel))
            .collect();
        // An output channel carries one event a step, however many spikes.
        assert_eq!(fired, vec![(1, 0), (2, 1), (3, 1)], "threads = {threads}");
        let t = &out.report.totals;
        assert_eq!(t.spikes, 3 + 2 + 2);
        assert_eq!(t.messages_out, 3, "one message per spike of neuron 0");
        assert_eq!(t.synaptic_ops, 1 + 3);
    }
}
