//! `CoreProgram`: a network compiled onto the cores of one [`Arch`].
//!
//! The compiler writes it, the emulator runs it, the HDL exporter turns it
//! into memory tables. Everything in it is already in the chip's fixed-point
//! formats; nothing here is a float except provenance and `dt`.
//!
//! Serialized as human-readable RON (`.ron`) or as compact binary (`.sfc`:
//! the magic `SFC\0`, a little-endian u32 format version, then the program in
//! `postcard` encoding). Both round-trip exactly.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::arch::Arch;
use crate::error::{ChipError, Result};
use crate::model::{Dendrites, LearningRule, ModelKind, Neurons, Noise, Reset, Schedule};
use crate::packed::{unzigzag, zigzag, Packed};

/// Version of the `CoreProgram` layout; bumped on any incompatible change.
pub const PROGRAM_FORMAT_VERSION: u32 = 9;
const SFC_MAGIC: &[u8; 4] = b"SFC\0";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreProgram {
    pub format_version: u32,
    /// The chip this program was compiled for.
    pub arch: Arch,
    /// Seconds of model time per timestep.
    pub dt: f64,
    /// The cores the program uses (a subset of the arch's cores).
    pub cores: Vec<CoreConfig>,
    /// External input channel `c` → the `(core, axon)` entries it feeds.
    pub inputs: RouteTable,
    /// The physical core each input channel's spikes are sent from when the
    /// arch charges inputs as on-core spike sources (`InputCost::OnCore`).
    /// Empty: each channel sends from the core of its first target.
    #[serde(default)]
    pub input_cores: Vec<u32>,
    /// The neurons read out, in output-channel order.
    pub outputs: Vec<OutputPort>,
    /// Seeds every core's noise stream (model/noise.rs); a program with a
    /// noisy group must have one.
    #[serde(default)]
    pub noise_seed: Option<u64>,
    pub provenance: Provenance,
}

/// One physical core's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// Physical core id in the arch (tile-major; see `Topology::tile_of`).
    pub core_id: u32,
    /// Neuron populations; neuron ids in the core run consecutively through the groups.
    pub groups: Vec<NeuronGroup>,
    pub synapses: SynapseTable,
    /// Neuron → the `(core, axon)` entries its spikes are sent to.
    pub routes: RouteTable,
    /// The learning rules of its plastic synapses (`SynapseTable::rule`
    /// k names rule k − 1; model/plasticity.rs).
    #[serde(default)]
    pub learning: Vec<LearningRule>,
}

/// Neurons of one model sharing a weight exponent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronGroup {
    /// The layer this slice came from (for reports).
    pub name: String,
    /// a_in = (Σ w) · 2^weight_exp for every neuron of the group.
    pub weight_exp: i8,
    /// The model and its per-neuron parameters.
    pub neurons: Neurons,
    /// How its neurons fire and reset (spiking models only).
    #[serde(default)]
    pub reset: Reset,
    /// A per-step threshold offset and input weighting (CE-LIF's contextual
    /// embedding, STDI coding), if the group has one.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Noise added to every neuron's input each step (model/noise.rs), if any.
    #[serde(default)]
    pub noise: Option<Noise>,
    /// Dendritic branches of every neuron (model/dendrites.rs), if any: the
    /// group then has `len · branches` input slots.
    #[serde(default)]
    pub dendrites: Option<Dendrites>,
}

impl NeuronGroup {
    pub fn len(&self) -> usize {
        self.neurons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    pub fn model(&self) -> ModelKind {
        self.neurons.kind()
    }

    /// Neurons `range` of this group as a group of their own, named `name`
    /// (how the compiler splits a layer across cores).
    pub fn slice(&self, range: std::ops::Range<usize>, name: String) -> NeuronGroup {
        NeuronGroup {
            name,
            weight_exp: self.weight_exp,
            neurons: self.neurons.slice(range),
            reset: self.reset,
            schedule: self.schedule.clone(),
            noise: self.noise,
            dendrites: self.dendrites,
        }
    }

    /// Input slots per neuron: its branches, or 1 for a point neuron.
    pub fn branches(&self) -> usize {
        self.dendrites.map_or(1, |d| d.branches as usize)
    }

    /// The group's input slots (what synapses target): `len · branches`.
    pub fn input_slots(&self) -> usize {
        self.len() * self.branches()
    }

    /// The core compartments the group takes: a soma per neuron and, for
    /// a dendritic group, one per branch.
    pub fn compartments(&self) -> usize {
        self.len() + self.dendrites.map_or(0, |_| self.input_slots())
    }
}

/// Sparse synapse memory in CSR form: input axon `a` owns words
/// [`SynapseTable::row`]`(a)`: word `k` is [`SynapseTable::word`]`(k)`, with
/// its delay [`SynapseTable::delay_of`]`(k)`. Target and weight share one
/// packed record so that a row is one sequential read; delays are a
/// separate array, read only by cores that use them, and stored only by
/// tables that have one.
///
/// Row pointers and words are stored at the bits their values need
/// ([`crate::packed`], decision 80); files hold them as plain lists
/// (`axon_ptr: [u32]`, `synapses: [Synapse]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "stored::SynapseTable", into = "stored::SynapseTable")]
pub struct SynapseTable {
    /// `[row start]` per axon, and one past the last.
    axon_ptr: Packed<1>,
    /// `[target, zigzag(weight)]` per word.
    words: Packed<2>,
    /// Per synapse word: its synaptic delay in steps. Empty: every delay
    /// is 0 (most tables: a byte a synapse saved).
    pub delay: Vec<u8>,
    /// Whether the table is stored as a dense crossbar (selects the dense synaptic-op cost).
    pub dense: bool,
    /// Per synapse word: 0 static, k plastic under the core's learning rule
    /// k − 1. Empty: every synapse is static.
    pub rule: Vec<u8>,
    /// Per synapse word: the left shift its weight takes into the
    /// accumulator — its projection's weight exponent less its group's
    /// (`format.projection_exponents`, Loihi's synapse formats). Empty:
    /// every shift is 0.
    pub shift: Vec<u8>,
}

/// One synapse word: the neuron it feeds and its weight mantissa.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synapse {
    pub target: u16,
    pub weight: i16,
}

impl Synapse {
    #[inline(always)]
    fn unpack([target, weight]: [u64; 2]) -> Synapse {
        Synapse {
            target: target as u16,
            weight: unzigzag(weight),
        }
    }

    #[inline(always)]
    fn pack(self) -> [u64; 2] {
        [self.target as u64, zigzag(self.weight)]
    }
}

impl SynapseTable {
    pub fn num_axons(&self) -> usize {
        self.axon_ptr.len().saturating_sub(1)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Word `k`'s synaptic delay.
    #[inline]
    pub fn delay_of(&self, k: usize) -> u8 {
        self.delay.get(k).copied().unwrap_or(0)
    }

    /// The words of input axon `a`.
    #[inline]
    pub fn row(&self, a: usize) -> std::ops::Range<usize> {
        self.axon_start(a)..self.axon_start(a + 1)
    }

    /// Where axon `a`'s row starts (`a` = [`SynapseTable::num_axons`]: one
    /// past the last word).
    #[inline(always)]
    pub fn axon_start(&self, a: usize) -> usize {
        self.axon_ptr.get(a)[0] as usize
    }

    /// Every row pointer: each axon's row start, then one past the last word.
    pub fn axon_pointers(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.axon_ptr.iter().map(|[p]| p as usize)
    }

    /// Synapse word `k`.
    #[inline(always)]
    pub fn word(&self, k: usize) -> Synapse {
        Synapse::unpack(self.words.get(k))
    }

    /// Words `range`, in order.
    #[inline(always)]
    pub fn words(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl ExactSizeIterator<Item = Synapse> + Clone + '_ {
        self.words.range(range).map(Synapse::unpack)
    }

    /// Every word, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Synapse> + Clone + '_ {
        self.words(0..self.len())
    }

    /// Replaces word `k` (its delay, rule and shift stay).
    pub fn set_word(&mut self, k: usize, w: Synapse) {
        self.words.set(k, w.pack());
    }

    /// Replaces every word `k` with `f(k, word)`.
    pub fn map_words(&mut self, mut f: impl FnMut(usize, Synapse) -> Synapse) {
        for k in 0..self.len() {
            let w = f(k, self.word(k));
            self.set_word(k, w);
        }
    }

    /// A cache hint for axon `a`'s row pointer; no effect on results.
    #[inline(always)]
    pub fn prefetch_pointer(&self, a: usize) {
        self.axon_ptr.prefetch(a);
    }

    /// A cache hint for axon `a`'s words; no effect on results.
    #[inline(always)]
    pub fn prefetch_row(&self, a: usize) {
        self.words.prefetch(self.axon_start(a));
    }

    /// Bytes the table takes in memory: packed pointers and words, delays,
    /// rules and shifts.
    pub fn heap_bytes(&self) -> usize {
        self.axon_ptr.heap_bytes()
            + self.words.heap_bytes()
            + self.delay.capacity()
            + self.rule.capacity()
            + self.shift.capacity()
    }

    /// Builds the CSR table from per-axon rows of `(target, weight, delay,
    /// rule)` (rule 0: static; the `rule` array is left empty when every
    /// synapse is).
    pub fn from_ruled_rows(rows: &[Vec<RowSynapse>]) -> Self {
        let plain: Vec<Vec<(u16, i16, u8)>> = rows
            .iter()
            .map(|r| r.iter().map(|x| (x.target, x.weight, x.delay)).collect())
            .collect();
        let mut t = Self::from_rows(&plain);
        if rows.iter().flatten().any(|x| x.rule != 0) {
            t.rule = rows.iter().flatten().map(|x| x.rule).collect();
        }
        if rows.iter().flatten().any(|x| x.shift != 0) {
            t.shift = rows.iter().flatten().map(|x| x.shift).collect();
        }
        t
    }

    /// Builds the CSR table from `(source, synapse)` pairs sorted by source:
    /// each distinct source becomes an axon, in order, and is returned with
    /// the table (as [`SynapseTable::from_ruled_rows`] of the same rows).
    pub fn from_sorted_sources(entries: &[(u32, RowSynapse)]) -> (Vec<u32>, Self) {
        let mut axons = Vec::new();
        let mut b = SynapseTableBuilder::with_capacity(entries.len());
        for &(g, x) in entries {
            if b.push(g, x).is_some() {
                axons.push(g);
            }
        }
        (axons, b.finish())
    }

    /// Builds the CSR table from per-axon rows of `(target, weight, delay)`.
    pub fn from_rows(rows: &[Vec<(u16, i16, u8)>]) -> Self {
        let words = rows.iter().map(Vec::len).sum();
        let mut t = SynapseTable {
            axon_ptr: Packed::with_capacity(rows.len() + 1),
            words: Packed::with_capacity(words),
            ..Default::default()
        };
        t.axon_ptr.push([0]);
        for row in rows {
            for &(target, weight, _) in row {
                t.words.push(Synapse { target, weight }.pack());
            }
            t.axon_ptr.push([t.words.len() as u64]);
        }
        if rows.iter().flatten().any(|x| x.2 != 0) {
            t.delay = rows.iter().flatten().map(|x| x.2).collect();
        }
        t
    }
}

/// A cache hint for `v[at]` — a synapse row's start, a row pointer, a
/// target's home — for loops whose next accesses into a table far larger
/// than the cache are known ahead; no effect on results.
#[inline(always)]
pub fn prefetch<T>(v: &[T], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = v.get(at) {
        // SAFETY: `_mm_prefetch` only hints the cache; the pointer is in bounds.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                x as *const T as *const i8,
                std::arch::x86_64::_MM_HINT_T0,
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, at);
}

/// Builds a [`SynapseTable`] synapse by synapse, sources in non-decreasing
/// order: each new source opens the next axon. What the compiler uses to
/// fill every core's table in one pass over the network's sources, without
/// holding the synapses twice.
#[derive(Debug)]
pub struct SynapseTableBuilder {
    table: SynapseTable,
    last: Option<u32>,
    /// Whether a delay, a rule, a shift, has been not 0 yet.
    delays: bool,
    rules: bool,
    shifts: bool,
}

impl SynapseTableBuilder {
    /// Room for `synapses` synapse words.
    pub fn with_capacity(synapses: usize) -> Self {
        let mut axon_ptr = Packed::default();
        axon_ptr.push([0]);
        SynapseTableBuilder {
            table: SynapseTable {
                axon_ptr,
                words: Packed::with_capacity(synapses),
                ..Default::default()
            },
            last: None,
            delays: false,
            rules: false,
            shifts: false,
        }
    }

    /// Appends `x` to source `source`'s row; returns the axon `source`
    /// opened, if it is new. Sources must not decrease.
    #[inline]
    pub fn push(&mut self, source: u32, x: RowSynapse) -> Option<u32> {
        debug_assert!(
            self.last.is_none_or(|l| l <= source),
            "sources out of order"
        );
        let t = &mut self.table;
        let opened = (self.last != Some(source)).then(|| {
            if self.last.is_some() {
                t.axon_ptr.push([t.words.len() as u64]);
            }
            self.last = Some(source);
            t.axon_ptr.len() as u32 - 1
        });
        let k = t.words.len();
        t.words.push(
            Synapse {
                target: x.target,
                weight: x.weight,
            }
            .pack(),
        );
        // delays, rules and shifts are stored only once one is not 0
        for (field, v, on) in [
            (&mut t.delay, x.delay, &mut self.delays),
            (&mut t.rule, x.rule, &mut self.rules),
            (&mut t.shift, x.shift, &mut self.shifts),
        ] {
            if v != 0 && !*on {
                *on = true;
                field.resize(k, 0);
            }
            if *on {
                field.push(v);
            }
        }
        opened
    }

    pub fn finish(mut self) -> SynapseTable {
        let t = &mut self.table;
        if self.last.is_some() {
            t.axon_ptr.push([t.words.len() as u64]);
        }
        t.axon_ptr.shrink_to_fit();
        t.words.shrink_to_fit();
        self.table
    }
}

/// One synapse of a row before packing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowSynapse {
    pub target: u16,
    pub weight: i16,
    pub delay: u8,
    /// 0 static, k the core's learning rule k − 1.
    pub rule: u8,
    /// Left shift into the accumulator (its projection's exponent less its group's).
    pub shift: u8,
}

/// A CSR list of routes: source `i` owns routes [`RouteTable::of`]`(i)`.
///
/// Stored at the bits the cores and axons need ([`crate::packed`],
/// decision 80); files hold it as plain lists (`ptr: [u32]`, `entries:
/// [Route]`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "stored::RouteTable", into = "stored::RouteTable")]
pub struct RouteTable {
    ptr: Vec<u32>,
    /// `[core, axon]` per route.
    entries: Packed<2>,
    /// Per route, its axonal delay. Empty: every delay is 0.
    delays: Vec<u8>,
}

/// Where a spike goes: an input axon of a core, after an extra axonal delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Index into `CoreProgram::cores` (not the physical id).
    pub core: u32,
    pub axon: u32,
    /// Axonal delay in timesteps, added to the synaptic delay.
    pub delay: u8,
}

impl RouteTable {
    /// Room for `sources` sources and `routes` routes.
    pub fn with_capacity(sources: usize, routes: usize) -> Self {
        let mut ptr = Vec::with_capacity(sources + 1);
        ptr.push(0);
        RouteTable {
            ptr,
            entries: Packed::with_capacity(routes),
            delays: Vec::new(),
        }
    }

    pub fn num_sources(&self) -> usize {
        self.ptr.len().saturating_sub(1)
    }

    /// Routes of every source.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Route `i` (of every source's, in order).
    #[inline(always)]
    pub fn get(&self, i: usize) -> Route {
        let [core, axon] = self.entries.get(i);
        Route {
            core: core as u32,
            axon: axon as u32,
            delay: self.delays.get(i).copied().unwrap_or(0),
        }
    }

    /// The largest axonal delay of any route.
    pub fn max_delay(&self) -> u8 {
        self.delays.iter().copied().max().unwrap_or(0)
    }

    /// Route `i`'s core and axon.
    #[inline(always)]
    pub fn destination(&self, i: usize) -> (u32, u32) {
        let [core, axon] = self.entries.get(i);
        (core as u32, axon as u32)
    }

    /// The indices of `source`'s routes.
    #[inline]
    pub fn range_of(&self, source: usize) -> std::ops::Range<usize> {
        self.ptr[source] as usize..self.ptr[source + 1] as usize
    }

    /// `source`'s routes.
    #[inline(always)]
    pub fn of(&self, source: usize) -> Routes<'_> {
        self.routes(self.range_of(source))
    }

    /// Every route, in order.
    pub fn iter(&self) -> Routes<'_> {
        self.routes(0..self.len())
    }

    #[inline(always)]
    fn routes(&self, range: std::ops::Range<usize>) -> Routes<'_> {
        Routes {
            delays: self.delays.get(range.clone()).unwrap_or_default(),
            entries: self.entries.range(range),
        }
    }

    /// Appends a route to the last source opened.
    pub fn push(&mut self, r: Route) {
        let i = self.entries.len();
        self.entries.push([r.core as u64, r.axon as u64]);
        if r.delay != 0 && self.delays.is_empty() {
            self.delays.resize(i, 0);
        }
        if !self.delays.is_empty() {
            self.delays.push(r.delay);
        }
    }

    /// Closes the current source (its routes are those pushed since the
    /// last close) and opens the next.
    pub fn end_source(&mut self) {
        self.ptr.push(self.entries.len() as u32);
    }

    /// Replaces route `i`.
    pub fn set(&mut self, i: usize, r: Route) {
        self.entries.set(i, [r.core as u64, r.axon as u64]);
        if r.delay != 0 && self.delays.is_empty() {
            self.delays.resize(self.len(), 0);
        }
        if let Some(d) = self.delays.get_mut(i) {
            *d = r.delay;
        }
    }

    /// Replaces every route with `f(route)`.
    pub fn map(&mut self, mut f: impl FnMut(Route) -> Route) {
        for i in 0..self.len() {
            let r = f(self.get(i));
            self.set(i, r);
        }
    }

    /// Bytes the table takes in memory.
    pub fn heap_bytes(&self) -> usize {
        self.ptr.capacity() * 4 + self.entries.heap_bytes() + self.delays.capacity()
    }

    /// Builds the table from per-source lists.
    pub fn from_lists(lists: &[Vec<Route>]) -> Self {
        let mut t = RouteTable::with_capacity(lists.len(), lists.iter().map(Vec::len).sum());
        for l in lists {
            for &r in l {
                t.push(r);
            }
            t.end_source();
        }
        t
    }
}

/// Routes in order ([`RouteTable::of`], [`RouteTable::iter`]).
#[derive(Clone)]
pub struct Routes<'a> {
    entries: crate::packed::Records<'a, 2>,
    /// Their delays; empty when every delay is 0.
    delays: &'a [u8],
}

impl Iterator for Routes<'_> {
    type Item = Route;

    #[inline(always)]
    fn next(&mut self) -> Option<Route> {
        let [core, axon] = self.entries.next()?;
        let delay = match self.delays.split_first() {
            Some((&d, rest)) => {
                self.delays = rest;
                d
            }
            None => 0,
        };
        Some(Route {
            core: core as u32,
            axon: axon as u32,
            delay,
        })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl ExactSizeIterator for Routes<'_> {}

/// Equal when they send the same sources to the same places.
impl PartialEq for RouteTable {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr && self.iter().eq(other.iter())
    }
}

/// The tables as files hold them: plain lists, whatever widths the values
/// take in memory (so `.ron` stays readable and `.sfc` keeps its format).
mod stored {
    use super::{Packed, Route, Synapse};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename = "SynapseTable")]
    pub struct SynapseTable {
        axon_ptr: Vec<u32>,
        synapses: Vec<Synapse>,
        #[serde(default)]
        delay: Vec<u8>,
        #[serde(default)]
        dense: bool,
        #[serde(default)]
        rule: Vec<u8>,
        #[serde(default)]
        shift: Vec<u8>,
    }

    impl From<SynapseTable> for super::SynapseTable {
        fn from(s: SynapseTable) -> Self {
            let mut axon_ptr = Packed::with_capacity(s.axon_ptr.len());
            for &p in &s.axon_ptr {
                axon_ptr.push([p as u64]);
            }
            let mut words = Packed::with_capacity(s.synapses.len());
            for w in s.synapses {
                words.push(w.pack());
            }
            super::SynapseTable {
                axon_ptr,
                words,
                delay: s.delay,
                dense: s.dense,
                rule: s.rule,
                shift: s.shift,
            }
        }
    }

    impl From<super::SynapseTable> for SynapseTable {
        fn from(s: super::SynapseTable) -> Self {
            SynapseTable {
                axon_ptr: s.axon_ptr.iter().map(|[p]| p as u32).collect(),
                synapses: s.iter().collect(),
                delay: s.delay,
                dense: s.dense,
                rule: s.rule,
                shift: s.shift,
            }
        }
    }

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields, rename = "RouteTable")]
    pub struct RouteTable {
        ptr: Vec<u32>,
        entries: Vec<Route>,
    }

    impl From<RouteTable> for super::RouteTable {
        fn from(t: RouteTable) -> Self {
            let mut r = super::RouteTable {
                ptr: t.ptr,
                entries: Packed::with_capacity(t.entries.len()),
                delays: Vec::new(),
            };
            for e in t.entries {
                r.push(e);
            }
            r
        }
    }

    impl From<super::RouteTable> for RouteTable {
        fn from(t: super::RouteTable) -> Self {
            RouteTable {
                entries: t.iter().collect(),
                ptr: t.ptr,
            }
        }
    }
}

/// A neuron whose spikes are the program's output channel (its index in `outputs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputPort {
    /// Index into `CoreProgram::cores`.
    pub core: u32,
    pub neuron: u32,
}

/// Where the program came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The source model (file name or generator description).
    pub source: String,
    /// SHA-256 (hex) of the source model file, if any.
    pub source_sha256: Option<String>,
    /// The tool and version that produced the program.
    pub producer: String,
    /// Per-layer quantization: real weight = stored weight · scale.
    pub layers: Vec<LayerScale>,
    /// Steps between an input spike and its effect on the output layer: on the
    /// chip every layer hop costs one step, so output step t answers input step
    /// t − output_latency_steps of the source network.
    #[serde(default)]
    pub output_latency_steps: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerScale {
    pub name: String,
    pub weight_scale: f64,
    pub weight_exp: i8,
}

impl CoreConfig {
    pub fn num_neurons(&self) -> usize {
        self.groups.iter().map(NeuronGroup::len).sum()
    }

    /// Input slots, in neuron order (what a synapse's `target` indexes):
    /// one per point neuron, one per branch of a dendritic neuron.
    pub fn num_input_slots(&self) -> usize {
        self.groups.iter().map(NeuronGroup::input_slots).sum()
    }

    /// The neuron of every input slot (a dendritic neuron's branches share one).
    pub fn neuron_of_slot(&self) -> Vec<u32> {
        let mut slots = Vec::with_capacity(self.num_input_slots());
        let mut first = 0u32;
        for g in &self.groups {
            for i in 0..g.len() as u32 {
                slots.extend(std::iter::repeat_n(first + i, g.branches()));
            }
            first += g.len() as u32;
        }
        slots
    }

    /// Compartments: somas and dendritic branches (`core.max_neurons` bounds them).
    pub fn num_compartments(&self) -> usize {
        self.groups.iter().map(NeuronGroup::compartments).sum()
    }

    /// The largest total delay (synaptic) used by this core's table.
    pub fn max_synaptic_delay(&self) -> u8 {
        self.synapses.delay.iter().copied().max().unwrap_or(0)
    }
}

impl CoreProgram {
    pub fn num_neurons(&self) -> usize {
        self.cores.iter().map(CoreConfig::num_neurons).sum()
    }

    pub fn num_synapses(&self) -> usize {
        self.cores.iter().map(|c| c.synapses.len()).sum()
    }

    pub fn num_input_channels(&self) -> usize {
        self.inputs.num_sources()
    }

    /// The physical core input channel `channel` sends from: `input_cores`
    /// if given, else the core of the channel's first target (core 0 of the
    /// program for a channel that feeds nothing).
    pub fn input_core(&self, channel: usize) -> u32 {
        if let Some(&c) = self.input_cores.get(channel) {
            return c;
        }
        let first = self.inputs.of(channel).next().map_or(0, |r| r.core);
        self.cores[first as usize].core_id
    }

    /// Checks structure (CSR consistency, indices in range, parameter field ranges)
    /// and every capacity of the arch. Errors name the core and the resource.
    pub fn validate(&self) -> Result<()> {
        let arch = &self.arch;
        arch.validate()?;
        let invalid = |m: String| Err(ChipError::InvalidProgram(m));
        if self.format_version != PROGRAM_FORMAT_VERSION {
            return invalid(format!(
                "format version {} is not supported (this spikefab reads version {PROGRAM_FORMAT_VERSION}); recompile the model",
                self.format_version
            ));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return invalid(format!(
                "dt must be a positive number of seconds, found {}",
                self.dt
            ));
        }
        let pv = &self.provenance;
        let text = |field: &str, v: &str| {
            crate::text::check(field, v, crate::text::MAX_TEXT_CHARS)
                .map_err(ChipError::InvalidProgram)
        };
        text("provenance.source", &pv.source)?;
        text("provenance.producer", &pv.producer)?;
        if let Some(h) = &pv.source_sha256 {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return invalid(format!(
                    "provenance.source_sha256 \"{}\" is not 64 hex digits",
                    crate::text::escape(h)
                ));
            }
        }
        for (k, l) in pv.layers.iter().enumerate() {
            crate::text::check_name(&format!("provenance.layers[{k}].name"), &l.name)
                .map_err(ChipError::InvalidProgram)?;
        }
        if self.cores.is_empty() {
            return invalid("the program uses no cores (an empty network?)".into());
        }
        let n_phys = arch.topology.num_cores();
        let mut seen = vec![false; n_phys];
        let f = &arch.format;
        let max_w = (1i32 << (f.weight_bits - 1)) - 1;
        let min_w = -(1i32 << (f.weight_bits - 1));
        for (ci, core) in self.cores.iter().enumerate() {
            let id = core.core_id as usize;
            if id >= n_phys {
                return invalid(format!(
                    "core {ci} has physical id {id}, but '{}' has only {n_phys} cores",
                    arch.name
                ));
            }
            if std::mem::replace(&mut seen[id], true) {
                return invalid(format!(
                    "physical core {id} is used by two core configurations"
                ));
            }
            let cap = |resource: &'static str, used: usize, capacity: u32| {
                if used as u64 > capacity as u64 {
                    Err(ChipError::Capacity {
                        arch: arch.name.clone(),
                        core: ci,
                        resource,
                        used: used as u64,
                        capacity: capacity as u64,
                    })
                } else {
                    Ok(())
                }
            };
            let n = core.num_neurons();
            let slots = core.num_input_slots();
            cap(
                "compartments (somas and dendritic branches)",
                core.num_compartments(),
                arch.core.max_neurons,
            )?;
            cap("synapse words", core.synapses.len(), arch.core.max_synapses)?;
            cap(
                "input axons",
                core.synapses.num_axons(),
                arch.core.max_axons,
            )?;
            cap("output routes", core.routes.len(), arch.core.max_routes)?;
            let max_delay = core
                .synapses
                .delay
                .iter()
                .map(|&d| d as usize)
                .max()
                .unwrap_or(0)
                + core.routes.max_delay() as usize;
            cap(
                "delay (synaptic + axonal, steps)",
                max_delay,
                arch.core.max_delay,
            )?;

            for g in &core.groups {
                crate::text::check_name(&format!("core {ci} group name"), &g.name)
                    .map_err(ChipError::InvalidProgram)?;
                if g.weight_exp < f.weight_exp_min || g.weight_exp > f.weight_exp_max {
                    return invalid(format!(
                        "core {ci} group '{}': weight_exp {} outside the arch's range {}..={}",
                        g.name, g.weight_exp, f.weight_exp_min, f.weight_exp_max
                    ));
                }
                if !arch.core.models.contains(g.model()) {
                    return Err(ChipError::UnsupportedModel {
                        arch: arch.name.clone(),
                        place: format!("core {ci} group '{}'", g.name),
                        model: g.model(),
                    });
                }
                if let Reset::Subtract { max_spikes } = g.reset {
                    if !arch.core.subtract_reset
                        || max_spikes == 0
                        || max_spikes > arch.core.max_spikes_per_step
                    {
                        return invalid(format!(
                            "core {ci} group '{}': reset Subtract(max_spikes: {max_spikes}) needs a chip with subtract_reset and 1..={} spikes per step; '{}' has subtract_reset: {}, max_spikes_per_step: {}",
                            g.name,
                            max_spikes.max(1),
                            arch.name,
                            arch.core.subtract_reset,
                            arch.core.max_spikes_per_step
                        ));
                    }
                }
                if let Err((i, e)) = g.neurons.check(f) {
                    return invalid(format!("core {ci} group '{}' neuron {i}: {e}", g.name));
                }
                if let Some(n) = &g.noise {
                    if !arch.core.noise {
                        return invalid(format!(
                            "core {ci} group '{}' is noisy, and chip '{}' has no noise generator (core.noise: false)",
                            g.name, arch.name
                        ));
                    }
                    if self.noise_seed.is_none() {
                        return invalid(format!(
                            "core {ci} group '{}' is noisy, and the program has no noise_seed",
                            g.name
                        ));
                    }
                    n.check(f).map_err(|e| {
                        ChipError::InvalidProgram(format!("core {ci} group '{}': {e}", g.name))
                    })?;
                }
                if let Some(d) = &g.dendrites {
                    d.check(arch.core.compartments_per_neuron, f).map_err(|e| {
                        ChipError::InvalidProgram(format!(
                            "core {ci} group '{}' on chip '{}': {e}",
                            g.name, arch.name
                        ))
                    })?;
                }
                if let Some(s) = &g.schedule {
                    s.check(g.weight_exp, f).map_err(|e| {
                        ChipError::InvalidProgram(format!("core {ci} group '{}': {e}", g.name))
                    })?;
                    // A threshold moved below 0 has no meaning (and the RTL
                    // compares against it unclamped).
                    let lowest_offset = s.steps.iter().filter_map(|e| e.threshold).min();
                    if let (Some(off), Some((i, vth))) =
                        (lowest_offset, g.neurons.lowest_threshold())
                    {
                        if (vth as i64) + (off as i64) < 0 {
                            return invalid(format!(
                                "core {ci} group '{}': schedule offset {off} takes neuron {i}'s threshold {vth} below 0",
                                g.name
                            ));
                        }
                    }
                }
            }
            let entries: usize = core
                .groups
                .iter()
                .filter_map(|g| g.schedule.as_ref().map(Schedule::len))
                .sum();
            if entries > arch.core.schedule_entries as usize {
                return invalid(format!(
                    "core {ci}: its groups' schedules hold {entries} entries; chip '{}' has room for {} per core (core.schedule_entries{})",
                    arch.name,
                    arch.core.schedule_entries,
                    if arch.core.schedule_entries == 0 { ": it has no threshold schedules" } else { "" }
                ));
            }

            let s = &core.synapses;
            let mut pointers = s.axon_pointers();
            let mut last = pointers.next();
            if last != Some(0)
                || pointers.any(|p| {
                    let fell = last > Some(p);
                    last = Some(p);
                    fell
                })
            {
                return invalid(format!(
                    "core {ci}: synapse axon pointers must start at 0 and never decrease"
                ));
            }
            if last != Some(s.len()) || !(s.delay.is_empty() || s.delay.len() == s.len()) {
                return invalid(format!(
                    "core {ci}: synapse arrays and the last axon pointer disagree in length"
                ));
            }
            // (one pass over the words: each is unpacked once)
            if let Some(w) = s.iter().find(|w| {
                w.target as usize >= slots || (w.weight as i32) > max_w || (w.weight as i32) < min_w
            }) {
                return invalid(if w.target as usize >= slots {
                    format!(
                        "core {ci}: a synapse targets input slot {}, but the core has {slots} (one per neuron, one per dendritic branch)",
                        w.target
                    )
                } else {
                    format!(
                        "core {ci}: weight {} does not fit {} signed bits",
                        w.weight, f.weight_bits
                    )
                });
            }
            if !s.shift.is_empty() {
                if !f.projection_exponents {
                    return invalid(format!(
                        "core {ci}: its synapses shift their weights (per-projection exponents), and chip '{}' has one weight exponent per neuron group (format.projection_exponents: false)",
                        arch.name
                    ));
                }
                if s.shift.len() != s.len() {
                    return invalid(format!(
                        "core {ci}: {} synapse shifts for {} synapse words",
                        s.shift.len(),
                        s.len()
                    ));
                }
                let most = (f.weight_exp_max as i32 - f.weight_exp_min as i32) as u8;
                if let Some(&x) = s.shift.iter().find(|&&x| x > most) {
                    return invalid(format!(
                        "core {ci}: a synapse shift of {x}; the weight exponents span {most} ({}..={})",
                        f.weight_exp_min, f.weight_exp_max
                    ));
                }
            }
            check_routes(&core.routes, n, &format!("core {ci} routing table"), self)?;
            self.check_learning(ci, arch)?;
        }
        check_routes(&self.inputs, self.inputs.num_sources(), "input ports", self)?;
        if !self.input_cores.is_empty() && self.input_cores.len() != self.inputs.num_sources() {
            return invalid(format!(
                "input_cores names {} cores for {} input channels",
                self.input_cores.len(),
                self.inputs.num_sources()
            ));
        }
        if let Some((k, &c)) = self
            .input_cores
            .iter()
            .enumerate()
            .find(|(_, &c)| c as usize >= n_phys)
        {
            return invalid(format!(
                "input channel {k} is sent from physical core {c}, but '{}' has only {n_phys} cores",
                arch.name
            ));
        }
        for (k, o) in self.outputs.iter().enumerate() {
            let ok = self
                .cores
                .get(o.core as usize)
                .is_some_and(|c| (o.neuron as usize) < c.num_neurons());
            if !ok {
                return invalid(format!(
                    "output {k} names core {} neuron {}, which does not exist",
                    o.core, o.neuron
                ));
            }
        }
        self.check_accumulator_range()
    }

    /// Core `ci`'s learning rules and plastic synapses: a chip with a
    /// learning engine, rules in range, every rule id naming one, no delay
    /// on a plastic synapse or on a route into its axon (the trace counts
    /// the spike the step's update integrates).
    fn check_learning(&self, ci: usize, arch: &Arch) -> Result<()> {
        let core = &self.cores[ci];
        let s = &core.synapses;
        let invalid = |m: String| Err(ChipError::InvalidProgram(format!("core {ci}: {m}")));
        if s.rule.is_empty() && core.learning.is_empty() {
            return Ok(());
        }
        if !arch.core.plasticity {
            return invalid(format!(
                "it has plastic synapses, and chip '{}' has no learning engine (core.plasticity: false)",
                arch.name
            ));
        }
        if core.learning.len() > crate::model::plasticity::MAX_RULES {
            return invalid(format!(
                "{} learning rules; a core holds at most {}",
                core.learning.len(),
                crate::model::plasticity::MAX_RULES
            ));
        }
        for (i, r) in core.learning.iter().enumerate() {
            if let Err(e) = r.check() {
                return invalid(format!("learning rule {i}: {e}"));
            }
        }
        if s.rule.is_empty() {
            return Ok(());
        }
        if s.rule.len() != s.len() {
            return invalid(format!(
                "{} synapse rule ids for {} synapse words",
                s.rule.len(),
                s.len()
            ));
        }
        let mut plastic_axon = vec![false; s.num_axons()];
        for (a, plastic) in plastic_axon.iter_mut().enumerate() {
            for k in s.row(a) {
                let r = s.rule[k] as usize;
                if r > core.learning.len() {
                    return invalid(format!(
                        "synapse {k} names learning rule {r}, the core has {}",
                        core.learning.len()
                    ));
                }
                if r > 0 {
                    *plastic = true;
                    if s.delay_of(k) != 0 {
                        return invalid(format!(
                            "plastic synapse {k} has a delay of {} steps; plastic synapses have none",
                            s.delay_of(k)
                        ));
                    }
                }
            }
        }
        let routes = self
            .cores
            .iter()
            .flat_map(|c| c.routes.iter())
            .chain(self.inputs.iter());
        for r in routes {
            // routes of later cores and the input ports are checked after
            // this core: an axon out of range is theirs to report
            let plastic = plastic_axon.get(r.axon as usize) == Some(&true);
            if r.core as usize == ci && plastic && r.delay != 0 {
                return invalid(format!(
                    "a route into axon {} has an axonal delay of {} steps; the axon has plastic synapses",
                    r.axon, r.delay
                ));
            }
        }
        Ok(())
    }

    /// The dendritic accumulators are 32-bit: prove no step's input sum can
    /// overflow them. At scale this is a random increment per route (2 × 10⁸
    /// at 1 M neurons), so large programs are checked on every core the
    /// machine has, each thread a range of destination cores; the verdict
    /// (the first overflowing core in order) does not depend on the split.
    fn check_accumulator_range(&self) -> Result<()> {
        // below this many routes a thread costs more than it saves
        const PER_THREAD: usize = 1 << 22;
        let routes = self.inputs.len() + self.cores.iter().map(|c| c.routes.len()).sum::<usize>();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.check_accumulator_range_split(threads.min(routes / PER_THREAD))
    }

    /// [`Self::check_accumulator_range`] on `parts` threads.
    fn check_accumulator_range_split(&self, parts: usize) -> Result<()> {
        let parts = parts.clamp(1, self.cores.len().max(1));
        let bounds = |i: usize| self.cores.len() * i / parts;
        if parts == 1 {
            return self.check_accumulator_range_of(0..self.cores.len());
        }
        std::thread::scope(|s| {
            let helpers: Vec<_> = (1..parts)
                .map(|i| s.spawn(move || self.check_accumulator_range_of(bounds(i)..bounds(i + 1))))
                .collect();
            let first = self.check_accumulator_range_of(0..bounds(1));
            let rest = helpers
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            std::iter::once(first).chain(rest).collect()
        })
    }

    /// [`Self::check_accumulator_range`] for the cores `range`.
    fn check_accumulator_range_of(&self, range: std::ops::Range<usize>) -> Result<()> {
        // How many sources can hit each (core, axon) in one step: a byte
        // each, the rare axon that 255 or more routes share counted on in
        // a map. (A compiled program gives each axon one route; at 1 M
        // neurons there are 2 × 10⁸ axons, and 4-byte counts were 0.9 GB
        // incremented at random.)
        let mut hits: Vec<Vec<u8>> = self.cores[range.clone()]
            .iter()
            .map(|c| vec![0; c.synapses.num_axons()])
            .collect();
        let mut more: std::collections::HashMap<(u32, u32), u64> = Default::default();
        let tables = self.cores.iter().map(|c| &c.routes);
        for t in tables.chain(std::iter::once(&self.inputs)) {
            for i in 0..t.len() {
                let (core, axon) = t.destination(i);
                // (a compiled source's routes are in core order: the routes
                // into this range come in runs, and the branch is predicted)
                let Some(local) = (core as usize).checked_sub(range.start) else {
                    continue;
                };
                let Some(core_hits) = hits.get_mut(local) else {
                    continue;
                };
                let h = &mut core_hits[axon as usize];
                match h.checked_add(1) {
                    Some(n) => *h = n,
                    None => *more.entry((core, axon)).or_default() += 1,
                }
            }
        }
        for (ci, (core, hits)) in range.clone().zip(self.cores[range].iter().zip(&hits)) {
            let mut bound = vec![0u64; core.num_input_slots()];
            let s = &core.synapses;
            // rows lie end to end: one pass over the words and the pointers
            let mut words = s.iter();
            let mut starts = s.axon_pointers();
            let mut start = starts.next().unwrap_or(0);
            for ((a, &h), end) in hits.iter().enumerate().zip(starts) {
                let hits = match h {
                    u8::MAX => 255 + more.get(&(ci as u32, a as u32)).copied().unwrap_or(0),
                    h => h as u64,
                };
                for w in words.by_ref().take(end - start) {
                    bound[w.target as usize] += hits * (w.weight as i64).unsigned_abs();
                }
                start = end;
            }
            if let Some((n, b)) = bound.iter().enumerate().find(|(_, &b)| b > i32::MAX as u64) {
                return Err(ChipError::InvalidProgram(format!(
                    "core {ci} input slot {n}: the input sum can reach {b}, beyond the 32-bit accumulator; split its fan-in"
                )));
            }
        }
        Ok(())
    }

    // ---- serialization ----

    pub fn to_ron(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new()
            .depth_limit(3)
            .compact_arrays(true);
        ron::ser::to_string_pretty(self, cfg).expect("a CoreProgram always serializes to RON")
    }

    pub fn from_ron(text: &str, origin: &Path) -> Result<Self> {
        ron::from_str(text).map_err(|e| ChipError::Ron {
            path: origin.to_path_buf(),
            what: "core program",
            message: e.to_string(),
        })
    }

    pub fn to_sfc(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.num_synapses() * 4);
        out.extend_from_slice(SFC_MAGIC);
        out.extend_from_slice(&PROGRAM_FORMAT_VERSION.to_le_bytes());
        postcard::to_io(self, &mut out).expect("writing to a Vec cannot fail");
        out
    }

    pub fn from_sfc(bytes: &[u8], origin: &Path) -> Result<Self> {
        let err = |message: String| ChipError::Sfc {
            path: origin.to_path_buf(),
            message,
        };
        if bytes.len() < 8 || &bytes[..4] != SFC_MAGIC {
            return Err(err(
                "missing the 'SFC\\0' magic; is this a spikefab .sfc file?".into(),
            ));
        }
        let version = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
        if version != PROGRAM_FORMAT_VERSION {
            return Err(err(format!(
                "format version {version}, this spikefab reads version {PROGRAM_FORMAT_VERSION}; recompile the model"
            )));
        }
        let (prog, rest): (CoreProgram, &[u8]) = postcard::take_from_bytes(&bytes[8..])
            .map_err(|e| err(format!("corrupt or truncated payload: {e}")))?;
        if !rest.is_empty() {
            return Err(err(format!(
                "{} trailing bytes after the program",
                rest.len()
            )));
        }
        Ok(prog)
    }

    /// Reads `.sfc` or `.ron` by extension, then validates.
    pub fn load(path: &Path) -> Result<Self> {
        let prog = match ext(path).as_deref() {
            Some("sfc") => {
                let bytes = std::fs::read(path).map_err(|e| ChipError::io(path, e))?;
                Self::from_sfc(&bytes, path)?
            }
            Some("ron") => {
                let text = std::fs::read_to_string(path).map_err(|e| ChipError::io(path, e))?;
                Self::from_ron(&text, path)?
            }
            _ => {
                return Err(ChipError::Extension {
                    path: path.to_path_buf(),
                    expected: ".sfc or .ron",
                })
            }
        };
        prog.validate()?;
        Ok(prog)
    }

    /// Writes `.sfc` or `.ron` by extension, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = match ext(path).as_deref() {
            Some("sfc") => self.to_sfc(),
            Some("ron") => self.to_ron().into_bytes(),
            _ => {
                return Err(ChipError::Extension {
                    path: path.to_path_buf(),
                    expected: ".sfc or .ron",
                })
            }
        };
        crate::write_atomic(path, &bytes)
    }
}

fn check_routes(t: &RouteTable, sources: usize, what: &str, p: &CoreProgram) -> Result<()> {
    let invalid = |m: String| Err(ChipError::InvalidProgram(m));
    if t.ptr.len() != sources + 1 || t.ptr[0] != 0 || t.ptr.windows(2).any(|w| w[0] > w[1]) {
        return invalid(format!(
            "{what}: needs {} pointers starting at 0, never decreasing",
            sources + 1
        ));
    }
    if *t.ptr.last().unwrap() as usize != t.len() {
        return invalid(format!(
            "{what}: last pointer disagrees with the number of entries"
        ));
    }
    for r in t.iter() {
        let Some(dest) = p.cores.get(r.core as usize) else {
            return invalid(format!(
                "{what}: a route targets core {}, the program has {}",
                r.core,
                p.cores.len()
            ));
        };
        if r.axon as usize >= dest.synapses.num_axons() {
            return invalid(format!(
                "{what}: a route targets axon {} of core {}, which has {} axons",
                r.axon,
                r.core,
                dest.synapses.num_axons()
            ));
        }
    }
    Ok(())
}

pub(crate) fn ext(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::if_;

    /// Three cores of one neuron fed by one axon of weight 32,767, with
    /// `routes[c]` input channels sending to core c's axon.
    fn shared_axons(routes: [usize; 3]) -> CoreProgram {
        let mut arch = Arch::preset("loihi").unwrap();
        arch.format.weight_bits = 16;
        let core = |id| CoreConfig {
            core_id: id,
            groups: vec![NeuronGroup {
                name: "n".into(),
                weight_exp: 0,
                neurons: Neurons::If(vec![if_::Stored {
                    bias_mant: 0,
                    bias_exp: 0,
                    vth: 10,
                }]),
                reset: Reset::Zero,
                schedule: None,
                noise: None,
                dendrites: None,
            }],
            synapses: SynapseTable::from_rows(&[vec![(0, i16::MAX, 0)]]),
            routes: RouteTable::from_lists(&[vec![]]),
            learning: Vec::new(),
        };
        let inputs: Vec<Vec<Route>> = (0..3u32)
            .flat_map(|c| {
                let to = Route {
                    core: c,
                    axon: 0,
                    delay: 0,
                };
                std::iter::repeat_n(vec![to], routes[c as usize])
            })
            .collect();
        CoreProgram {
            format_version: PROGRAM_FORMAT_VERSION,
            arch,
            dt: 1e-3,
            cores: vec![core(0), core(1), core(2)],
            inputs: RouteTable::from_lists(&inputs),
            input_cores: Vec::new(),
            outputs: Vec::new(),
            provenance: Provenance::default(),
            noise_seed: None,
        }
    }

    /// The check counts every route into an axon: a byte an axon, the axons
    /// that 255 or more routes share counted on elsewhere, so it must see
    /// each of 65,539 routes into one axon (65,538 × 32,767 fits a 32-bit
    /// accumulator; one route more does not). Split over destination cores,
    /// it names the first overflowing core, on any number of threads.
    #[test]
    fn every_route_into_a_shared_axon_counts_on_any_number_of_threads() {
        let (fits, over) = (65_538, 65_539);
        assert!(shared_axons([300, fits, 0]).validate().is_ok());
        let err = shared_axons([0, 0, over])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("core 2 input slot 0") && err.contains("beyond the 32-bit accumulator"),
            "{err}"
        );
        for parts in 1..=4 {
            let p = shared_axons([fits, fits, fits]);
            assert!(p.check_accumulator_range_split(parts).is_ok(), "{parts}");
            for (routes, core) in [([fits, over, over], 1), ([fits, fits, over], 2)] {
                let err = shared_axons(routes)
                    .check_accumulator_range_split(parts)
                    .unwrap_err()
                    .to_string();
                assert!(
                    err.contains(&format!("core {core} input slot 0")),
                    "{parts}: {err}"
                );
            }
        }
    }
}
