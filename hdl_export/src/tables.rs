//! Memory tables of a program: per core, the neuron parameters, the CSR
//! synapse rows and their pointers, the routing entries and their pointers;
//! and the testbench stimulus.

use spikefab_chip::{CoreProgram, NeuronModel, SpikeStream};

use crate::layout::Layouts;
use crate::ExportError;

/// One memory's words (one per line when written), at least one (zero) word.
#[derive(Clone, Debug, PartialEq)]
pub struct Memory {
    /// File stem, e.g. `core_0_neurons`.
    pub name: String,
    pub width: u32,
    pub words: Vec<u128>,
}

impl Memory {
    /// Rows in the file: the entries, or one zero word for an empty table.
    pub fn depth(&self) -> usize {
        self.words.len().max(1)
    }
}

/// All tables of one core.
pub struct CoreTables {
    pub neurons: Memory,
    pub synapses: Memory,
    pub axon_ptr: Memory,
    pub route_ptr: Memory,
    pub routes: Memory,
    /// Delay slots of the core's accumulator ring (a power of two).
    pub slots: u32,
}

impl CoreTables {
    pub fn memories(&self) -> [&Memory; 5] {
        [
            &self.neurons,
            &self.synapses,
            &self.axon_ptr,
            &self.route_ptr,
            &self.routes,
        ]
    }
}

pub fn model_code(m: NeuronModel) -> i64 {
    match m {
        NeuronModel::CubaLif => 0,
        NeuronModel::If => 1,
        NeuronModel::Li => 2,
    }
}

pub fn core_tables(p: &CoreProgram, l: &Layouts) -> Result<Vec<CoreTables>, ExportError> {
    // Largest axonal delay arriving at each core (sizes its ring, as the emulator does).
    let mut route_delay = vec![0u32; p.cores.len()];
    for r in p
        .cores
        .iter()
        .flat_map(|c| c.routes.entries.iter())
        .chain(&p.inputs.entries)
    {
        route_delay[r.core as usize] = route_delay[r.core as usize].max(r.delay as u32);
    }
    p.cores
        .iter()
        .enumerate()
        .map(|(ci, core)| {
            let mut neurons = Vec::with_capacity(core.num_neurons());
            let mut n = 0;
            for g in &core.groups {
                for i in 0..g.len() {
                    let values = [
                        model_code(g.model),
                        g.weight_exp as i64,
                        g.du[i] as i64,
                        g.dv[i] as i64,
                        g.bias_mant[i] as i64,
                        g.bias_exp[i] as i64,
                        g.vth[i] as i64,
                    ];
                    neurons.push(l.neuron.pack(&values, &|| {
                        format!("core {ci} neuron {n} (group '{}')", g.name)
                    })?);
                    n += 1;
                }
            }
            let s = &core.synapses;
            let synapses = s
                .synapses
                .iter()
                .zip(&s.delay)
                .enumerate()
                .map(|(k, (w, &d))| {
                    l.synapse
                        .pack(&[w.target as i64, w.weight as i64, d as i64], &|| {
                            format!("core {ci} synapse word {k}")
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let axon_ptr = (0..s.num_axons())
                .map(|a| {
                    let row = s.row(a);
                    l.axon_ptr.pack(&[row.start as i64, row.len() as i64], &|| {
                        format!("core {ci} axon {a}")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let r = &core.routes;
            let route_ptr = (0..r.num_sources())
                .map(|n| {
                    let (a, b) = (r.ptr[n] as i64, r.ptr[n + 1] as i64);
                    l.route_ptr.pack(&[a, b - a], &|| {
                        format!("core {ci} neuron {n} route pointer")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let routes = r
                .entries
                .iter()
                .enumerate()
                .map(|(k, e)| {
                    l.route
                        .pack(&[e.core as i64, e.axon as i64, e.delay as i64], &|| {
                            format!("core {ci} route {k}")
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let max_delay = core.max_synaptic_delay() as u32 + route_delay[ci];
            let mem = |kind: &str, width, words| Memory {
                name: format!("core_{ci}_{kind}"),
                width,
                words,
            };
            Ok(CoreTables {
                neurons: mem("neurons", l.neuron.width(), neurons),
                synapses: mem("synapses", l.synapse.width(), synapses),
                axon_ptr: mem("axon_ptr", l.axon_ptr.width(), axon_ptr),
                route_ptr: mem("route_ptr", l.route_ptr.width(), route_ptr),
                routes: mem("routes", l.route.width(), routes),
                slots: (max_delay + 1).next_power_of_two(),
            })
        })
        .collect()
}

/// Input events expanded through the input ports: one word per
/// (step, destination core, axon, delay) message, in step order.
pub fn stimulus(p: &CoreProgram, l: &Layouts, input: &SpikeStream) -> Result<Memory, ExportError> {
    let mut words = Vec::new();
    for e in input.events() {
        if e.channel as usize >= p.num_input_channels() {
            return Err(ExportError::Input(format!(
                "input channel {} does not exist (the program has {})",
                e.channel,
                p.num_input_channels()
            )));
        }
        for r in p.inputs.of(e.channel as usize) {
            words.push(l.stimulus.pack(
                &[
                    e.timestep as i64,
                    r.core as i64,
                    r.axon as i64,
                    r.delay as i64,
                ],
                &|| format!("input event (t={}, channel={})", e.timestep, e.channel),
            )?);
        }
    }
    Ok(Memory {
        name: "stimulus".into(),
        width: l.stimulus.width(),
        words,
    })
}

/// The emulator's output-port spikes as `SPIKE t=.. core=.. n=..` lines, sorted.
pub fn expected_spikes(p: &CoreProgram, spikes: &SpikeStream) -> String {
    let mut lines: Vec<(u32, u32, u32)> = spikes
        .events()
        .iter()
        .filter_map(|e| {
            p.outputs
                .get(e.channel as usize)
                .map(|o| (e.timestep, o.core, o.neuron))
        })
        .collect();
    lines.sort_unstable();
    lines
        .iter()
        .map(|(t, c, n)| format!("SPIKE t={t} core={c} n={n}\n"))
        .collect()
}

/// The output-port neurons as `core=.. n=..` lines (what the run script keeps).
pub fn output_neurons(p: &CoreProgram) -> String {
    p.outputs
        .iter()
        .map(|o| format!("core={} n={}\n", o.core, o.neuron))
        .collect()
}
