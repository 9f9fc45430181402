//! Synthetic workloads: seeded random multi-core programs and Poisson inputs,
//! for benchmarks, property tests and the demo.
//!
//! The neurons are CUBA LIF neurons configured as integrate-and-fire with a
//! per-neuron bias that alone would fire them every 12–28 steps (≈5 % of
//! neurons per step on average), perturbed by zero-mean recurrent weights so
//! that the activity is irregular but its mean rate stays put.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use spikefab_chip::model::cuba_lif;
use spikefab_chip::neuron::SHIFT_NO_DECAY;
use spikefab_chip::{
    Arch, CoreConfig, CoreProgram, DecayRule, NeuronGroup, Neurons, OutputPort, Provenance, Reset,
    Route, RouteTable, Spike, SpikeStream, SynapseTable, PROGRAM_FORMAT_VERSION,
};

/// A seeded random recurrent network spread over many cores.
#[derive(Clone, Debug)]
pub struct Synthetic {
    /// Formats and costs come from here; core capacities are raised where the
    /// network needs more (a benchmark is about the emulator, not about fitting).
    pub arch: Arch,
    pub cores: usize,
    pub neurons_per_core: usize,
    /// Outgoing synapses per neuron.
    pub fanout: usize,
    /// Cores each neuron projects to (its own core first); one message per core.
    pub dest_cores: usize,
    /// External input channels, each feeding `input_fanout` neurons of one core.
    pub inputs: usize,
    pub input_fanout: usize,
    /// Synaptic delays are drawn from `0..=max_delay`.
    pub max_delay: u8,
    /// The first `outputs` neurons (in core order) become output ports.
    pub outputs: usize,
    /// Place one core per tile (spreading traffic over the mesh) instead of filling tiles.
    pub one_core_per_tile: bool,
    pub seed: u64,
}

impl Synthetic {
    /// The emulator benchmark's network: 64 cores × 1024 neurons, fan-out 256
    /// to 4 cores, ≈5 % activity, on Loihi formats and costs.
    pub fn benchmark(cores: usize) -> Self {
        Synthetic {
            arch: Arch::preset("loihi").expect("the loihi preset is built in"),
            cores,
            neurons_per_core: 1024,
            fanout: 256,
            dest_cores: 4,
            inputs: 0,
            input_fanout: 0,
            max_delay: 0,
            outputs: 0,
            one_core_per_tile: false,
            seed: 1,
        }
    }

    pub fn build(&self) -> CoreProgram {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut arch = self.arch.clone();
        let f = arch.format;
        let n = self.neurons_per_core;
        let cores = self.cores.max(1);
        let dest_cores = self.dest_cores.clamp(1, cores);
        let per_dest = (self.fanout / dest_cores).max(1);

        // Threshold 1000 → 1000 << shift; a bias that reaches it in P steps.
        let vth = 1000u32.min((1 << f.threshold_bits) - 1);
        let vth_eff = (vth as i64) << f.threshold_shift;
        let bias_max = (1i64 << (f.bias_bits - 1)) - 1;
        // One input spike moves v by ≈1/20 of the threshold.
        let w_max =
            ((vth_eff >> f.activation_shift) / 20).clamp(1, (1 << (f.weight_bits - 1)) - 1) as i16;
        let (du, dv) = match f.decay {
            DecayRule::Mul12 { current_offset, .. } => (4096 - current_offset.max(1) as u16, 0),
            DecayRule::Shift => (0, SHIFT_NO_DECAY),
        };

        let stride = (1..)
            .map(|s| s + cores / dest_cores)
            .find(|&s| gcd(s, cores) == 1)
            .unwrap_or(1);
        let mut rows: Vec<Vec<Vec<(u16, i16, u8)>>> = vec![Vec::new(); cores];
        let mut routes: Vec<Vec<Vec<Route>>> = vec![vec![Vec::new(); n]; cores];
        for (c, core_routes) in routes.iter_mut().enumerate() {
            for neuron_routes in core_routes.iter_mut() {
                for k in 0..dest_cores {
                    let d = (c + k * stride) % cores;
                    let axon = rows[d].len() as u32;
                    let row = (0..per_dest)
                        .map(|_| {
                            let t = rng.random_range(0..n) as u16;
                            let w = rng.random_range(-w_max..=w_max);
                            let delay = if self.max_delay > 0 {
                                rng.random_range(0..=self.max_delay)
                            } else {
                                0
                            };
                            (t, w, delay)
                        })
                        .collect();
                    rows[d].push(row);
                    neuron_routes.push(Route {
                        core: d as u32,
                        axon,
                        delay: 0,
                    });
                }
            }
        }
        let mut input_routes = Vec::with_capacity(self.inputs);
        for j in 0..self.inputs {
            let d = j % cores;
            let axon = rows[d].len() as u32;
            let w_in = (w_max as i32 * 5).min((1 << (f.weight_bits - 1)) - 1) as i16;
            rows[d].push(
                (0..self.input_fanout)
                    .map(|_| (rng.random_range(0..n) as u16, w_in, 0))
                    .collect(),
            );
            input_routes.push(vec![Route {
                core: d as u32,
                axon,
                delay: 0,
            }]);
        }

        let per_tile = arch.topology.cores_per_tile as usize;
        let spread = self.one_core_per_tile && cores * per_tile <= arch.topology.num_cores();
        let mut core_cfgs = Vec::with_capacity(cores);
        for (c, (rows, routes)) in rows.into_iter().zip(routes).enumerate() {
            let mut bias_mant = Vec::with_capacity(n);
            let mut bias_exp = Vec::with_capacity(n);
            for _ in 0..n {
                let period = rng.random_range(12..=28) as i64;
                let bias = vth_eff / period;
                let exp = (0..8).find(|&e| (bias >> e) <= bias_max).unwrap_or(7);
                bias_mant.push((bias >> exp) as i32);
                bias_exp.push(exp as i8);
            }
            core_cfgs.push(CoreConfig {
                core_id: if spread {
                    (c * per_tile) as u32
                } else {
                    c as u32
                },
                groups: vec![NeuronGroup {
                    name: format!("random{c}"),
                    weight_exp: 0,
                    neurons: Neurons::CubaLif(
                        bias_mant
                            .iter()
                            .zip(&bias_exp)
                            .map(|(&bias_mant, &bias_exp)| cuba_lif::Stored {
                                du,
                                dv,
                                bias_mant,
                                bias_exp,
                                vth,
                            })
                            .collect(),
                    ),
                    reset: Reset::Zero,
                    schedule: None,
                    noise: None,
                    dendrites: None,
                }],
                synapses: SynapseTable::from_rows(&rows),
                routes: RouteTable::from_lists(&routes),
                learning: Vec::new(),
            });
        }

        // Lift capacities the network needs beyond the preset.
        let lim = &mut arch.core;
        lim.max_neurons = lim.max_neurons.max(n as u32);
        for c in &core_cfgs {
            lim.max_synapses = lim.max_synapses.max(c.synapses.len() as u32);
            lim.max_axons = lim.max_axons.max(c.synapses.num_axons() as u32);
            lim.max_routes = lim.max_routes.max(c.routes.len() as u32);
        }
        lim.max_delay = lim.max_delay.max(self.max_delay as u32);
        while arch.topology.num_cores() < cores {
            arch.topology.tiles_y += 1;
        }

        let outputs = (0..self.outputs.min(cores * n))
            .map(|k| OutputPort {
                core: (k / n) as u32,
                neuron: (k % n) as u32,
            })
            .collect();
        CoreProgram {
            format_version: PROGRAM_FORMAT_VERSION,
            arch,
            dt: 1e-3,
            cores: core_cfgs,
            inputs: RouteTable::from_lists(&input_routes),
            input_cores: Vec::new(),
            outputs,
            provenance: Provenance {
                source: format!(
                    "synthetic: {cores} cores x {n} neurons, fan-out {} to {dest_cores} cores, seed {}",
                    self.fanout, self.seed
                ),
                source_sha256: None,
                producer: concat!("spikefab-emulator ", env!("CARGO_PKG_VERSION")).to_string(),
                layers: Vec::new(),
                output_latency_steps: 0,
            },
            noise_seed: None,
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Independent Bernoulli spikes: each channel fires with probability `p` per step.
pub fn poisson_input(channels: u32, steps: u32, p: f64, dt: f64, seed: u64) -> SpikeStream {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut events = Vec::new();
    for timestep in 0..steps {
        for channel in 0..channels {
            if rng.random_bool(p.clamp(0.0, 1.0)) {
                events.push(Spike { timestep, channel });
            }
        }
    }
    SpikeStream::new(channels, steps, dt, events).expect("events are generated in range")
}
