//! Memory tables of a program: per core, the neuron parameters, the CSR
//! synapse rows and their pointers, the routing entries and their pointers;
//! and the testbench stimulus.

use spikefab_chip::model::Visit;
use spikefab_chip::{CoreProgram, Model, NumberFormat, Reset, RouteTable, SpikeStream};

use crate::layout::{Layout, Layouts, Word};
use crate::ExportError;

/// One memory's words (one per line when written), at least one (zero) word.
#[derive(Clone, Debug, PartialEq)]
pub struct Memory {
    /// File stem, e.g. `core_0_neurons`.
    pub name: String,
    pub width: u32,
    pub words: Vec<Word>,
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
    /// Per neuron: whether it is an output port, and which output channel.
    pub outmap: Memory,
    /// Delay slots of the core's accumulator ring (a power of two).
    pub slots: u32,
    /// Input slots (accumulators per delay slot): one per neuron, one per
    /// dendritic branch.
    pub input_slots: usize,
    /// Most messages the core can receive in one step: every route entry
    /// that targets it times its neuron's most spikes a step (one, or its
    /// group's `max_spikes` under a subtractive reset), and every input-port
    /// entry (an input channel has at most one event a step).
    pub inbox_depth: usize,
    /// The schedule entries of the core's groups, one table after another,
    /// and per table its `{base, len}` (programs with schedules only).
    pub schedule: Option<(Memory, Memory)>,
    /// The learning engine's tables (programs with plastic synapses only).
    pub learning: Option<LearningTables>,
}

/// A core's learning-engine tables (layout::LearningLayouts); a core
/// without plastic synapses has none of their entries.
pub struct LearningTables {
    pub rules: Memory,
    pub traces: Memory,
    pub synapses: Memory,
}

impl LearningTables {
    /// Whether the core learns at all.
    pub fn active(&self) -> bool {
        !self.traces.words.is_empty()
    }
}

impl CoreTables {
    pub fn memories(&self) -> Vec<&Memory> {
        let mut v = vec![
            &self.neurons,
            &self.synapses,
            &self.axon_ptr,
            &self.route_ptr,
            &self.routes,
            &self.outmap,
        ];
        if let Some((entries, dir)) = &self.schedule {
            v.extend([entries, dir]);
        }
        if let Some(l) = &self.learning {
            v.extend([&l.rules, &l.traces, &l.synapses]);
        }
        v
    }
}

/// The input port's tables: per input channel a `{base, len}` pointer into
/// its route entries (the program's input ports).
pub struct IoTables {
    pub channels: usize,
    pub input_ptr: Memory,
    pub input_routes: Memory,
}

impl IoTables {
    pub fn memories(&self) -> [&Memory; 2] {
        [&self.input_ptr, &self.input_routes]
    }
}

/// One group's neuron words: the model code, the weight exponent and the
/// model's own fields at their places in the shared word.
struct NeuronWords<'a> {
    layout: &'a Layout,
    format: &'a NumberFormat,
    weight_exp: i8,
    reset: Reset,
    /// The group's schedule directory entry + 1, or 0 (programs with schedules only).
    sched: Option<i64>,
    noise: Option<spikefab_chip::model::Noise>,
    dendrites: Option<spikefab_chip::model::Dendrites>,
    place: &'a dyn Fn(usize) -> String,
}

impl Visit for NeuronWords<'_> {
    type Out = Result<Vec<Word>, ExportError>;

    fn visit<M: Model>(self, neurons: &[M::Stored]) -> Self::Out {
        let at: Vec<usize> = M::word_fields(self.format)
            .iter()
            .map(|f| self.layout.index(f.name))
            .collect();
        let mut values = vec![0i64; self.layout.fields.len()];
        values[self.layout.index("model")] = M::KIND.code() as i64;
        values[self.layout.index("weight_exp")] = self.weight_exp as i64;
        values[self.layout.index("reset")] = match self.reset {
            Reset::Zero => 0,
            Reset::Subtract { max_spikes } => max_spikes as i64,
        };
        if let Some(id) = self.sched {
            values[self.layout.index("sched")] = id;
        }
        if let Some(n) = self.noise {
            values[self.layout.index("noise_on")] = 1;
            values[self.layout.index("noise_mant")] = n.mant as i64;
            values[self.layout.index("noise_exp")] = n.exp as i64;
        }
        if let Some(d) = self.dendrites {
            values[self.layout.index("branches")] = d.branches as i64;
            values[self.layout.index("cap")] = d.cap as i64;
        }
        neurons
            .iter()
            .enumerate()
            .map(|(i, n)| {
                for (&k, v) in at.iter().zip(M::word(n)) {
                    values[k] = v;
                }
                self.layout.pack(&values, &|| (self.place)(i))
            })
            .collect()
    }
}

pub fn core_tables(p: &CoreProgram, l: &Layouts) -> Result<Vec<CoreTables>, ExportError> {
    // Largest axonal delay arriving at each core (sizes its ring, as the emulator does).
    let mut route_delay = vec![0u32; p.cores.len()];
    let mut inbox = vec![0usize; p.cores.len()];
    // A neuron sends its routes once per spike: up to its group's max spikes a step.
    let mut sent = Vec::new();
    for c in &p.cores {
        let mut n = 0;
        for g in &c.groups {
            for _ in 0..g.len() {
                let k = g.reset.max_spikes() as usize;
                sent.extend(c.routes.of(n).map(|r| (r, k)));
                n += 1;
            }
        }
    }
    sent.extend(p.inputs.iter().map(|r| (r, 1)));
    for (r, k) in sent {
        route_delay[r.core as usize] = route_delay[r.core as usize].max(r.delay as u32);
        inbox[r.core as usize] += k;
    }
    let mut out_channel: Vec<Vec<Option<usize>>> = p
        .cores
        .iter()
        .map(|c| vec![None; c.num_neurons()])
        .collect();
    for (ch, o) in p.outputs.iter().enumerate() {
        out_channel[o.core as usize][o.neuron as usize] = Some(ch);
    }
    p.cores
        .iter()
        .enumerate()
        .map(|(ci, core)| {
            let mut neurons = Vec::with_capacity(core.num_neurons());
            let mut first = 0;
            // (entries, directory) of the core's scheduled groups, in order.
            let (mut entries, mut dir) = (Vec::new(), Vec::new());
            for g in &core.groups {
                let sched = l
                    .schedule
                    .as_ref()
                    .map(|(e, d)| -> Result<i64, ExportError> {
                        let Some(sc) = &g.schedule else { return Ok(0) };
                        let k = dir.len();
                        dir.push(d.pack(&[entries.len() as i64, sc.len() as i64], &|| {
                            format!("core {ci} schedule {k} (group '{}')", g.name)
                        })?);
                        for (j, st) in sc.steps.iter().enumerate() {
                            entries.push(e.pack(
                                &[
                                    st.threshold.unwrap_or(0) as i64,
                                    st.threshold.is_none() as i64,
                                    st.input_shift as i64,
                                ],
                                &|| format!("core {ci} group '{}' schedule step {j}", g.name),
                            )?);
                        }
                        Ok(dir.len() as i64)
                    });
                let sched = sched.transpose()?;
                let place =
                    |i: usize| format!("core {ci} neuron {} (group '{}')", first + i, g.name);
                neurons.extend(g.neurons.visit(NeuronWords {
                    layout: &l.neuron,
                    format: &p.arch.format,
                    weight_exp: g.weight_exp,
                    reset: g.reset,
                    sched,
                    noise: g.noise,
                    dendrites: g.dendrites,
                    place: &place,
                })?);
                first += g.len();
            }
            let s = &core.synapses;
            let synapses = s
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    let d = s.delay_of(k);
                    let mut v = vec![w.target as i64, w.weight as i64, d as i64];
                    if crate::layout::uses_weight_shifts(p) {
                        v.push(s.shift.get(k).copied().unwrap_or(0) as i64);
                    }
                    if l.learning.is_some() {
                        v.push(s.rule.get(k).copied().unwrap_or(0) as i64);
                    }
                    l.synapse
                        .pack(&v, &|| format!("core {ci} synapse word {k}"))
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
            let (route_ptr, routes) = pack_routes(
                &core.routes,
                &l.route_ptr,
                &l.route,
                &|n| format!("core {ci} neuron {n} route pointer"),
                &|k| format!("core {ci} route {k}"),
            )?;
            let outmap = out_channel[ci]
                .iter()
                .enumerate()
                .map(|(n, ch)| {
                    let (valid, ch) = ch.map_or((0, 0), |c| (1, c as i64));
                    l.outmap.pack(&[valid, ch], &|| {
                        format!("core {ci} neuron {n} output port")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let max_delay = core.max_synaptic_delay() as u32 + route_delay[ci];
            let mem = |kind: &str, width, words| Memory {
                name: format!("core_{ci}_{kind}"),
                width,
                words,
            };
            let learning = match &l.learning {
                None => None,
                Some(ll) => {
                    let (rules, traces, synapses) = learning_words(ci, core, ll)?;
                    Some(LearningTables {
                        rules: mem("learn_rules", ll.rules.width(), rules),
                        traces: mem("learn_traces", ll.traces.width(), traces),
                        synapses: mem("learn_synapses", ll.synapses.width(), synapses),
                    })
                }
            };
            Ok(CoreTables {
                neurons: mem("neurons", l.neuron.width(), neurons),
                synapses: mem("synapses", l.synapse.width(), synapses),
                axon_ptr: mem("axon_ptr", l.axon_ptr.width(), axon_ptr),
                route_ptr: mem("route_ptr", l.route_ptr.width(), route_ptr),
                routes: mem("routes", l.route.width(), routes),
                outmap: mem("outmap", l.outmap.width(), outmap),
                slots: (max_delay + 1).next_power_of_two(),
                input_slots: core.num_input_slots().max(1),
                inbox_depth: inbox[ci].max(1),
                schedule: l.schedule.as_ref().map(|(e, d)| {
                    (
                        mem("schedule", e.width(), entries),
                        mem("schedule_dir", d.width(), dir),
                    )
                }),
                learning,
            })
        })
        .collect()
}

/// The words of a core's learn_rules, learn_traces and learn_synapses.
type LearningWords = (Vec<Word>, Vec<Word>, Vec<Word>);

/// A core's learning tables: its rules, each with its range of the
/// plastic-synapse list; the traces to update every step, rule by rule
/// (axons, then neurons, as plasticity::joined lists them), the last entry
/// of an axon or neuron marked (it zeroes the spike count every rule's
/// entry read); and the plastic synapses, rule by rule, in CSR order.
fn learning_words(
    ci: usize,
    core: &spikefab_chip::CoreConfig,
    l: &crate::layout::LearningLayouts,
) -> Result<LearningWords, ExportError> {
    use spikefab_chip::model::plasticity;
    let s = &core.synapses;
    if s.rule.iter().all(|&r| r == 0) {
        return Ok(Default::default());
    }
    let slots = core.neuron_of_slot();
    let joined = plasticity::joined(core, &slots);
    let mut traces: Vec<(i64, i64, i64)> = Vec::new();
    for r in 0..core.learning.len() {
        traces.extend(joined.axons[r].iter().map(|&a| (a as i64, r as i64, 0)));
        traces.extend(joined.neurons[r].iter().map(|&n| (n as i64, r as i64, 1)));
    }
    let mut seen = std::collections::HashSet::new();
    let mut last = vec![false; traces.len()];
    for (i, &(index, _, neuron)) in traces.iter().enumerate().rev() {
        last[i] = seen.insert((index, neuron));
    }
    let trace_words = traces
        .iter()
        .zip(&last)
        .enumerate()
        .map(|(i, (&(index, rule, neuron), &last))| {
            l.traces.pack(&[index, rule, neuron, last as i64], &|| {
                format!("core {ci} learning trace {i}")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (mut rule_words, mut synapse_words) = (Vec::new(), Vec::new());
    for (r, rule) in core.learning.iter().enumerate() {
        let base = synapse_words.len();
        for a in 0..s.num_axons() {
            for k in s.row(a) {
                if s.rule[k] as usize == r + 1 {
                    let n = slots[s.word(k).target as usize];
                    synapse_words.push(
                        l.synapses.pack(&[k as i64, a as i64, n as i64], &|| {
                            format!("core {ci} plastic synapse {k}")
                        })?,
                    );
                }
            }
        }
        rule_words.push(l.rules.pack(
            &[
                rule.epoch as i64,
                rule.phase as i64,
                rule.trace_decay as i64,
                rule.impulse as i64,
                rule.rate as i64,
                rule.rate_shift as i64,
                rule.plastic_decay as i64,
                base as i64,
                (synapse_words.len() - base) as i64,
            ],
            &|| format!("core {ci} learning rule {r}"),
        )?);
    }
    Ok((rule_words, trace_words, synapse_words))
}

/// A CSR route table as its `{base, len}` pointer words and its route
/// words; `source` and `entry` name a word in errors.
fn pack_routes(
    t: &RouteTable,
    ptr: &Layout,
    route: &Layout,
    source: &dyn Fn(usize) -> String,
    entry: &dyn Fn(usize) -> String,
) -> Result<(Vec<Word>, Vec<Word>), ExportError> {
    let pointers = (0..t.num_sources())
        .map(|i| {
            let r = t.range_of(i);
            ptr.pack(&[r.start as i64, r.len() as i64], &|| source(i))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let entries = t
        .iter()
        .enumerate()
        .map(|(k, e)| {
            route.pack(&[e.core as i64, e.axon as i64, e.delay as i64], &|| {
                entry(k)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((pointers, entries))
}

/// The input port's pointer and route tables.
pub fn io_tables(p: &CoreProgram, l: &Layouts) -> Result<IoTables, ExportError> {
    let t = &p.inputs;
    let (input_ptr, input_routes) = pack_routes(
        t,
        &l.in_ptr,
        &l.route,
        &|ch| format!("input channel {ch} pointer"),
        &|k| format!("input route {k}"),
    )?;
    Ok(IoTables {
        channels: t.num_sources(),
        input_ptr: Memory {
            name: "input_ptr".into(),
            width: l.in_ptr.width(),
            words: input_ptr,
        },
        input_routes: Memory {
            name: "input_routes".into(),
            width: l.route.width(),
            words: input_routes,
        },
    })
}

/// The testbench's input stream: per run and step, the step's events as
/// AXI4-Stream beats `{last, keep, channel}`, the last beat of a step with
/// `last` set (a step without events is one beat with `keep` clear).
pub fn stimulus(
    p: &CoreProgram,
    l: &Layouts,
    inputs: &[&SpikeStream],
    steps: u32,
) -> Result<Memory, ExportError> {
    let mut words = Vec::new();
    for input in inputs {
        let mut cursor = 0;
        for t in 0..steps {
            let events = input.events_at(t, &mut cursor);
            for (i, e) in events.iter().enumerate() {
                if e.channel as usize >= p.num_input_channels() {
                    return Err(ExportError::Input(format!(
                        "input channel {} does not exist (the program has {})",
                        e.channel,
                        p.num_input_channels()
                    )));
                }
                let last = (i + 1 == events.len()) as i64;
                words.push(l.stimulus.pack(&[e.channel as i64, 1, last], &|| {
                    format!("input event (t={t}, channel={})", e.channel)
                })?);
            }
            if events.is_empty() {
                words.push(l.stimulus.pack(&[0, 0, 1], &|| format!("step {t}"))?);
            }
        }
    }
    Ok(Memory {
        name: "stimulus".into(),
        width: l.stimulus.width(),
        words,
    })
}

/// The emulator's output spikes of every run as `SPIKE run=.. t=.. out=..`
/// lines, sorted (what the testbench prints for each output-stream beat).
pub fn expected_spikes(runs: &[&SpikeStream]) -> String {
    let mut lines: Vec<(usize, u32, u32)> = runs
        .iter()
        .enumerate()
        .flat_map(|(r, s)| s.events().iter().map(move |e| (r, e.timestep, e.channel)))
        .collect();
    lines.sort_unstable();
    lines
        .iter()
        .map(|(r, t, ch)| format!("SPIKE run={r} t={t} out={ch}\n"))
        .collect()
}
