//! End to end through the emulator: each Lava case (tools/lava_lif_reference.py)
//! compiled by hand into a one-core program on the `loihi` preset, its input
//! spikes fed through input ports; the output spikes must equal Lava's.

use spikefab_chip::model::cuba_lif;
use spikefab_chip::{
    Arch, CoreConfig, CoreProgram, NeuronGroup, Neurons, OutputPort, Provenance, Reset, Route,
    RouteTable, Spike, SpikeStream, SynapseTable, PROGRAM_FORMAT_VERSION,
};
use spikefab_emulator::{run, RunConfig};

#[path = "../../chip/tests/common/lava_fixture.rs"]
mod lava_fixture;
use lava_fixture::{fixture, Case};

fn program(c: &Case) -> CoreProgram {
    // Axon i carries input channel i; its row holds column i of the weight matrix.
    let rows: Vec<Vec<(u16, i16, u8)>> = (0..c.n_in)
        .map(|i| {
            (0..c.n_out)
                .filter(|&n| c.effective_weights[n][i] != 0)
                .map(|n| (n as u16, c.effective_weights[n][i] as i16, 0))
                .collect()
        })
        .collect();
    let inputs: Vec<Vec<Route>> = (0..c.n_in)
        .map(|i| {
            vec![Route {
                core: 0,
                axon: i as u32,
                delay: 0,
            }]
        })
        .collect();
    CoreProgram {
        format_version: PROGRAM_FORMAT_VERSION,
        arch: Arch::preset("loihi").unwrap(),
        dt: 1e-3,
        cores: vec![CoreConfig {
            core_id: 0,
            groups: vec![NeuronGroup {
                name: c.name.clone(),
                weight_exp: c.weight_exp,
                neurons: Neurons::CubaLif(
                    (0..c.n_out)
                        .map(|n| cuba_lif::Stored {
                            du: c.du,
                            dv: c.dv,
                            bias_mant: c.bias_mant[n],
                            bias_exp: c.bias_exp[n],
                            vth: c.vth,
                        })
                        .collect(),
                ),
                reset: Reset::Zero,
                schedule: None,
                noise: None,
                dendrites: None,
            }],
            synapses: SynapseTable::from_rows(&rows),
            routes: RouteTable::from_lists(&vec![Vec::new(); c.n_out]),
            learning: Vec::new(),
        }],
        inputs: RouteTable::from_lists(&inputs),
        input_cores: Vec::new(),
        outputs: (0..c.n_out)
            .map(|n| OutputPort {
                core: 0,
                neuron: n as u32,
            })
            .collect(),
        provenance: Provenance::default(),
        noise_seed: None,
    }
}

#[test]
fn emulator_reproduces_lava_spikes() {
    let f = fixture();
    for c in &f.cases {
        let p = program(c);
        let events = (0..c.steps)
            .flat_map(|t| {
                (0..c.n_in)
                    .filter(move |&i| c.input_spikes[t][i] != 0)
                    .map(move |i| Spike {
                        timestep: t as u32,
                        channel: i as u32,
                    })
            })
            .collect();
        let input = SpikeStream::new(c.n_in as u32, c.steps as u32, p.dt, events).unwrap();
        let out = run(&p, &input, &RunConfig::new(c.steps as u32, 1), &|_| {}).unwrap();
        let dense = out.spikes.to_dense();
        let expected: Vec<u8> = c.spikes.iter().flatten().copied().collect();
        assert_eq!(dense, expected, "case {}", c.name);
    }
}
