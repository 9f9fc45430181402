//! `Arch`: the hardware description of a spiking chip.
//!
//! A chip is data, never constants in code: the mesh, each core's capacity,
//! the number formats of its neuron arithmetic and the cost of every event in
//! its pipeline (`axon_in → synapse → neuron → spike_out → axon_out`, NoC hops,
//! the per-timestep barrier). Presets ship as RON files in `examples/arch/`
//! and are embedded here so that `Arch::preset("loihi")` works anywhere.

use serde::{Deserialize, Serialize};

use crate::model::ModelSet;

/// The largest `core.max_spikes_per_step`: a 5-bit count, Xylo's limit.
pub const MAX_SPIKES_PER_STEP: u8 = 31;
use std::path::Path;

use crate::error::{ChipError, Result};
use crate::limits::MAX_CORES;

/// A whole chip (or a board of tiled chips).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    pub name: String,
    pub description: String,
    pub topology: Topology,
    pub core: CoreLimits,
    pub format: NumberFormat,
    pub timing: Timing,
    pub costs: EventCosts,
    /// How far this arch's estimates are known to lie from silicon, where a
    /// published comparison supports a figure; printed with every estimate.
    #[serde(default)]
    pub accuracy: Option<Accuracy>,
}

/// Published error bars of a cost model against measured silicon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accuracy {
    /// Largest relative energy error reported, in percent.
    pub energy_pct: f64,
    /// Largest relative latency error reported, in percent.
    pub latency_pct: f64,
    /// Where the figures come from.
    pub source: String,
}

/// A 2-D mesh of tiles, each holding `cores_per_tile` cores; a board tiles
/// `chips_x × chips_y` identical chips into one larger mesh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    pub tiles_x: u32,
    pub tiles_y: u32,
    pub cores_per_tile: u32,
    #[serde(default = "one")]
    pub chips_x: u32,
    #[serde(default = "one")]
    pub chips_y: u32,
}

fn one() -> u32 {
    1
}

/// Where a core sits: global tile coordinates on the (possibly multi-chip) mesh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TileCoord {
    pub x: u32,
    pub y: u32,
}

impl Topology {
    /// Tiles along x and y of the whole board.
    pub fn mesh_size(&self) -> (u32, u32) {
        (self.tiles_x * self.chips_x, self.tiles_y * self.chips_y)
    }

    pub fn num_tiles(&self) -> usize {
        let (w, h) = self.mesh_size();
        w as usize * h as usize
    }

    pub fn num_cores(&self) -> usize {
        self.num_tiles() * self.cores_per_tile as usize
    }

    /// Physical core `id` → its tile. Cores are numbered tile-major, tiles row-major.
    pub fn tile_of(&self, core: usize) -> TileCoord {
        let tile = core / self.cores_per_tile as usize;
        let (w, _) = self.mesh_size();
        TileCoord {
            x: (tile % w as usize) as u32,
            y: (tile / w as usize) as u32,
        }
    }

    pub fn tile_index(&self, t: TileCoord) -> usize {
        let (w, _) = self.mesh_size();
        t.y as usize * w as usize + t.x as usize
    }

    /// Which chip of the board a tile belongs to.
    pub fn chip_of(&self, t: TileCoord) -> (u32, u32) {
        (t.x / self.tiles_x, t.y / self.tiles_y)
    }
}

/// What one core can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreLimits {
    /// Neurons (compartments acting as somas) per core.
    pub max_neurons: u32,
    /// Synapse words in the core's synapse memory.
    pub max_synapses: u32,
    /// Input axons (rows of the synapse table).
    pub max_axons: u32,
    /// Output routing-table entries.
    pub max_routes: u32,
    /// Largest synaptic + axonal delay in timesteps (delay 0 = next step).
    pub max_delay: u32,
    /// Dendritic branches a neuron may have besides its soma (0: point
    /// neurons only; model/dendrites.rs). Each branch is a compartment:
    /// `max_neurons` bounds a core's somas and branches together.
    pub compartments_per_neuron: u32,
    /// The neuron models the core implements; a program using another is
    /// refused. A file that does not list them supports CUBA LIF, IF and LI.
    #[serde(default = "ModelSet::legacy")]
    pub models: ModelSet,
    /// Whether a neuron can reset by subtracting its threshold (`Reset::Subtract`)
    /// besides resetting to zero.
    #[serde(default)]
    pub subtract_reset: bool,
    /// Most spikes one neuron may emit in one step (1..=31; Xylo: 31).
    #[serde(default = "one_spike")]
    pub max_spikes_per_step: u8,
    /// Entries of the core's schedule memory: the per-step threshold offsets
    /// and input shifts of its groups (CE-LIF, STDI; model/schedule.rs).
    /// 0 (the default): the core has no schedules.
    #[serde(default)]
    pub schedule_entries: u32,
    /// Whether each core has a noise generator (a seeded PRNG adding noise
    /// to its neurons' input, model/noise.rs).
    #[serde(default)]
    pub noise: bool,
    /// Whether cores have a learning engine: plastic synapses with pre/post
    /// traces and a weight update every learning epoch (model/plasticity.rs).
    #[serde(default)]
    pub plasticity: bool,
}

fn one_spike() -> u8 {
    1
}

/// The number formats of the core's arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberFormat {
    /// Signed weight width in bits (sign included).
    pub weight_bits: u8,
    /// Range of the per-population weight exponent: a_in = (Σ w) · 2^exp.
    pub weight_exp_min: i8,
    pub weight_exp_max: i8,
    /// Width of the synaptic current `u` and membrane `v` (sign included).
    pub state_bits: u8,
    /// Unsigned threshold mantissa width.
    pub threshold_bits: u8,
    /// Signed bias mantissa width; the bias exponent is a signed 4-bit field.
    pub bias_bits: u8,
    /// How state decays each step.
    pub decay: DecayRule,
    /// Left shift that aligns the summed synaptic input with `u` (Loihi: 6).
    pub activation_shift: u8,
    /// Left shift that aligns the threshold mantissa with `v` (Loihi: 6).
    pub threshold_shift: u8,
    /// What happens when the synaptic current leaves its range.
    pub current_overflow: Overflow,
    /// Mixed-sign weight matrices keep only even weights (Lava gives one
    /// mantissa bit to the sign); the compiler quantizes accordingly.
    #[serde(default)]
    pub mixed_sign_weights_even: bool,
    /// Each projection (synapse group) may have its own weight exponent:
    /// a synapse word carries a left shift into the accumulator (Loihi's
    /// synapse formats); without it a neuron group's projections share one.
    #[serde(default)]
    pub projection_exponents: bool,
}

/// How neuron state decays per timestep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecayRule {
    /// Loihi style: `x ← rtz(x · (4096 − (d + offset)) / 4096)` with a 12-bit
    /// unsigned `d`; the offsets are Loihi-1's 1-bit registers (Lava's
    /// `ds_offset = 1` for the current, `dm_offset = 0` for the membrane).
    Mul12 {
        current_offset: u8,
        voltage_offset: u8,
    },
    /// Xylo style: `x ← x − (x >> d)` with a small unsigned shift `d`.
    Shift,
}

/// Overflow behaviour of the synaptic current `u`. The membrane `v` always saturates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Overflow {
    /// Loihi/Lava: one correction by ±2^state_bits when `u` leaves
    /// `(−2^(bits−1), 2^(bits−1)]`, on 32-bit registers that wrap.
    Wrap,
    /// Clamp to `[−2^(bits−1)+1, 2^(bits−1)−1]` and count a saturation.
    Saturate,
}

/// Clock and synchronisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    /// Core clock for synchronous designs (FPGA, Xylo); `None` for asynchronous chips.
    pub clock_hz: Option<f64>,
    /// Barrier latency by number of active tiles, as `(tiles, ns)` points,
    /// linearly interpolated and held constant beyond the last point.
    pub barrier_ns: Vec<(u32, f64)>,
    /// How `barrier_ns` is read between its points.
    #[serde(default)]
    pub barrier_lookup: BarrierLookup,
    /// Static (leakage) power of one core in mW, charged for every core the
    /// program uses for the whole modelled run time.
    pub static_power_mw_per_core: f64,
    /// How a core's work within a step turns into time.
    #[serde(default)]
    pub core_timing: CoreTiming,
}

/// Reading the barrier table between its points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarrierLookup {
    /// Linear interpolation between points, constant beyond the last.
    #[default]
    Linear,
    /// The value of the largest point at or below the tile count (SANA-FE's
    /// `latency_sync` table); the first point's value below it.
    Step,
}

/// How a core's work in one timestep becomes the step's latency.
///
/// A step's work on a core is: update every neuron and send the fired
/// neurons' messages (the *send* side), and process every message that
/// arrives (the *receive* side: axon lookup and synaptic operations).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoreTiming {
    /// Send and receive work run one after the other; a step lasts the
    /// slowest core's sum, plus the NoC drain time, plus the barrier.
    #[default]
    Serial,
    /// Send and receive overlap (separate units, as on Loihi); a step lasts
    /// the slowest core's larger side, plus the NoC drain, plus the barrier
    /// (SANA-FE's `simple` timing model without the drain).
    Overlapped,
    /// A message-level schedule: each message leaves its core when its
    /// neuron has been updated and its earlier messages sent, arrives after
    /// its hops, and is processed by the receiving core in send order as soon
    /// as that core is free. A step lasts until the last core finishes, plus
    /// the barrier (SANA-FE's `detailed` timing model without its congestion
    /// estimate; see docs/model.md).
    Scheduled,
    /// Phases with a chip-wide handshake between them, as in spikefab's own
    /// RTL (hdl_export): every core updates its neurons while the input port
    /// turns the step's events into messages; then the cores send one after
    /// another over one message bus; then every core processes the messages
    /// it received. A step lasts the slower of the slowest core's updates and
    /// the input port, plus every core's send side, plus the slowest core's
    /// receive side, plus the barrier (the phases' fixed handshake cycles).
    /// The bus has no hops: hop latencies are not charged.
    Phased,
}

/// Energy and latency of one event.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCost {
    pub energy_pj: f64,
    pub latency_ns: f64,
}

impl EventCost {
    /// Free: what an event the arch file does not price costs.
    pub const fn zero() -> Self {
        EventCost {
            energy_pj: 0.0,
            latency_ns: 0.0,
        }
    }
}

/// How a core's neuron updates are charged each step.
///
/// A neuron is *active* in a step when it received input, holds non-zero
/// state or has a non-zero bias (its state must be written back); otherwise
/// it is *idle*. Every neuron of a used core is visited every step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum NeuronCharging {
    /// Every neuron pays `access` every step and an active one pays `update`
    /// on top (SANA-FE's soma model: `energy_access_neuron` +
    /// `energy_update_neuron`).
    AccessPlusUpdate {
        access: EventCost,
        update: EventCost,
    },
    /// A neuron pays `active` or `idle`, never both (a reading of Davies et
    /// al. 2018's "52 pJ active / 21 pJ inactive update" figures).
    ActiveOrIdle { active: EventCost, idle: EventCost },
}

impl NeuronCharging {
    /// What one idle neuron and one active neuron cost in a step.
    pub fn idle_and_active(&self) -> (EventCost, EventCost) {
        match *self {
            NeuronCharging::AccessPlusUpdate { access, update } => (
                access,
                EventCost {
                    energy_pj: access.energy_pj + update.energy_pj,
                    latency_ns: access.latency_ns + update.latency_ns,
                },
            ),
            NeuronCharging::ActiveOrIdle { active, idle } => (idle, active),
        }
    }

    fn named(&self) -> [(&'static str, EventCost); 2] {
        match *self {
            NeuronCharging::AccessPlusUpdate { access, update } => [
                ("neuron.AccessPlusUpdate.access", access),
                ("neuron.AccessPlusUpdate.update", update),
            ],
            NeuronCharging::ActiveOrIdle { active, idle } => [
                ("neuron.ActiveOrIdle.active", active),
                ("neuron.ActiveOrIdle.idle", idle),
            ],
        }
    }
}

/// What an external input spike costs before it reaches its target cores'
/// axon tables (where it pays `axon_in` like any message).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum InputCost {
    /// Nothing: an idealised host writes input spikes straight into the
    /// cores' axon tables.
    #[default]
    Free,
    /// Each input port is a spike source on a core of the mesh (placed by the
    /// compiler, or by a placement file): its spikes are sent like a neuron's,
    /// paying `axon_out` per message, its hops and its time on the sending
    /// core (SANA-FE's input neurons).
    OnCore,
    /// Input spikes arrive over an off-chip link, each message paying `link`
    /// and no mesh hops.
    OffChip { link: EventCost },
    /// Input events arrive at one input port on the chip's message bus (the
    /// RTL's stream interface): each event pays `event` (taking it and
    /// reading its routing pointer), each of its messages `axon_out`, one
    /// after another; no mesh hops.
    Port { event: EventCost },
}

/// Per-event costs of the core pipeline and the network-on-chip.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCosts {
    /// A spike message arriving at a core (axon lookup).
    pub axon_in: EventCost,
    /// One synaptic operation read from a dense (crossbar-like) table.
    pub synapse_dense: EventCost,
    /// One synaptic operation read from a sparse (CSR) table.
    pub synapse_sparse: EventCost,
    /// Neuron updates, every neuron of a used core every step.
    pub neuron: NeuronCharging,
    /// A neuron firing (spike generation).
    pub spike_out: EventCost,
    /// One message leaving a core (one per routing-table entry of a spiking neuron).
    pub axon_out: EventCost,
    /// One NoC hop east or west.
    pub hop_east_west: EventCost,
    /// One NoC hop north or south.
    pub hop_north_south: EventCost,
    /// One hop that crosses a chip boundary on a multi-chip board.
    pub hop_chip: EventCost,
    /// One plastic-synapse weight update.
    pub learning_update: EventCost,
    /// One adaptive-threshold update of an active neuron (ALIF), on top of
    /// its neuron update; free where the file does not say.
    #[serde(default = "EventCost::zero")]
    pub threshold_update: EventCost,
    /// One schedule-table read of an active neuron in a group with a
    /// schedule (its step's threshold offset and input shift); free where
    /// the file does not say.
    #[serde(default = "EventCost::zero")]
    pub schedule_lookup: EventCost,
    /// One random draw of a noisy group's neuron (every neuron, every step);
    /// free where the file does not say.
    #[serde(default = "EventCost::zero")]
    pub noise_draw: EventCost,
    /// One trace update: an input axon's or a neuron's, every step, on cores
    /// with plastic synapses (traces of axons and neurons that take part in
    /// learning); free where the file does not say.
    #[serde(default = "EventCost::zero")]
    pub trace_update: EventCost,
    /// One dendritic branch of a neuron (read its accumulator, the
    /// nonlinearity, add into the soma): every branch, every step; free
    /// where the file does not say.
    #[serde(default = "EventCost::zero")]
    pub branch_op: EventCost,
    /// What external input spikes cost on their way in.
    #[serde(default)]
    pub inputs: InputCost,
}

impl EventCosts {
    /// Every event cost with its field name (for validation and reports).
    pub fn named(&self) -> Vec<(&'static str, EventCost)> {
        let mut v = vec![
            ("axon_in", self.axon_in),
            ("synapse_dense", self.synapse_dense),
            ("synapse_sparse", self.synapse_sparse),
        ];
        v.extend(self.neuron.named());
        v.extend([
            ("spike_out", self.spike_out),
            ("axon_out", self.axon_out),
            ("hop_east_west", self.hop_east_west),
            ("hop_north_south", self.hop_north_south),
            ("hop_chip", self.hop_chip),
            ("learning_update", self.learning_update),
            ("threshold_update", self.threshold_update),
            ("schedule_lookup", self.schedule_lookup),
            ("noise_draw", self.noise_draw),
            ("branch_op", self.branch_op),
            ("trace_update", self.trace_update),
        ]);
        match self.inputs {
            InputCost::OffChip { link } => v.push(("inputs.OffChip.link", link)),
            InputCost::Port { event } => v.push(("inputs.Port.event", event)),
            InputCost::Free | InputCost::OnCore => {}
        }
        v
    }
}

/// The presets shipped in `examples/arch/`, embedded at build time.
const PRESETS: &[(&str, &str)] = &[
    ("loihi", include_str!("../../examples/arch/loihi.ron")),
    (
        "truenorth",
        include_str!("../../examples/arch/truenorth.ron"),
    ),
    ("xylo", include_str!("../../examples/arch/xylo.ron")),
    (
        "fpga-small",
        include_str!("../../examples/arch/fpga-small.ron"),
    ),
];

impl Arch {
    /// Names of the built-in presets.
    pub fn preset_names() -> Vec<&'static str> {
        PRESETS.iter().map(|(n, _)| *n).collect()
    }

    /// A built-in preset by name.
    pub fn preset(name: &str) -> Result<Arch> {
        let (_, text) =
            PRESETS
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| ChipError::UnknownArch {
                    name: name.to_string(),
                    known: Self::preset_names().join(", "),
                })?;
        Self::from_ron_str(text, Path::new(&format!("<preset {name}>")))
    }

    /// The RON source text of a preset (what `spikefab arch show` prints).
    pub fn preset_source(name: &str) -> Option<&'static str> {
        PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// A preset name, or a path to an architecture RON file.
    pub fn resolve(name_or_path: &str) -> Result<Arch> {
        if Self::preset_source(name_or_path).is_some() {
            return Self::preset(name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.extension().is_some_and(|e| e == "ron") || path.exists() {
            return Self::load(path);
        }
        Err(ChipError::UnknownArch {
            name: name_or_path.to_string(),
            known: Self::preset_names().join(", "),
        })
    }

    pub fn load(path: &Path) -> Result<Arch> {
        let text = std::fs::read_to_string(path).map_err(|e| ChipError::io(path, e))?;
        Self::from_ron_str(&text, path)
    }

    pub fn from_ron_str(text: &str, origin: &Path) -> Result<Arch> {
        let arch: Arch = ron::from_str(text).map_err(|e| ChipError::Ron {
            path: origin.to_path_buf(),
            what: "architecture",
            message: e.to_string(),
        })?;
        arch.validate()?;
        Ok(arch)
    }

    /// Checks that the description is self-consistent.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| {
            Err(ChipError::InvalidArch {
                arch: crate::text::escape(&self.name),
                message,
            })
        };
        crate::text::check_name("name", &self.name).or_else(bad)?;
        crate::text::check(
            "description",
            &self.description,
            crate::text::MAX_TEXT_CHARS,
        )
        .or_else(bad)?;
        let t = &self.topology;
        if t.tiles_x == 0
            || t.tiles_y == 0
            || t.cores_per_tile == 0
            || t.chips_x == 0
            || t.chips_y == 0
        {
            return bad("every topology dimension must be at least 1".into());
        }
        let cores = [t.tiles_x, t.tiles_y, t.cores_per_tile, t.chips_x, t.chips_y]
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
        if cores.is_none_or(|n| n > MAX_CORES as u64) {
            return bad(format!(
                "topology: tiles_x × tiles_y × chips_x × chips_y × cores_per_tile is {}, more than the {MAX_CORES} cores spikefab emulates",
                cores.map_or("beyond 2^64".into(), |n| n.to_string())
            ));
        }
        let f = &self.format;
        if !(2..=16).contains(&f.weight_bits) {
            return bad(format!(
                "weight_bits must be 2..=16, found {}",
                f.weight_bits
            ));
        }
        if !(4..=31).contains(&f.state_bits) {
            return bad(format!("state_bits must be 4..=31, found {}", f.state_bits));
        }
        if !(1..=31).contains(&(f.threshold_bits as u32 + f.threshold_shift as u32))
            || f.threshold_bits == 0
        {
            return bad("threshold_bits + threshold_shift must be 1..=31".into());
        }
        // a_in << activation_shift is computed in 64 bits from a 32-bit sum.
        if f.activation_shift > 31 {
            return bad(format!(
                "activation_shift must be 0..=31, found {}",
                f.activation_shift
            ));
        }
        if !(2..=16).contains(&f.bias_bits) {
            return bad(format!("bias_bits must be 2..=16, found {}", f.bias_bits));
        }
        if f.weight_exp_min > f.weight_exp_max || f.weight_exp_min < -16 || f.weight_exp_max > 16 {
            return bad("weight exponent range must lie within -16..=16 and min <= max".into());
        }
        if self.core.max_neurons == 0 || self.core.max_neurons > 1 << 16 {
            return bad("max_neurons must be 1..=65536 (neuron ids in a core are 16-bit)".into());
        }
        if self.core.models.iter().next().is_none() {
            return bad("core.models lists no neuron model: list the models the cores implement, e.g. [CubaLif, If, Li]".into());
        }
        if !(1..=MAX_SPIKES_PER_STEP).contains(&self.core.max_spikes_per_step) {
            return bad(format!(
                "core.max_spikes_per_step must be 1..={MAX_SPIKES_PER_STEP}, found {}",
                self.core.max_spikes_per_step
            ));
        }
        if self.core.max_spikes_per_step > 1 && !self.core.subtract_reset {
            return bad("core.max_spikes_per_step above 1 needs core.subtract_reset: true (a reset to zero fires once)".into());
        }
        if self.core.schedule_entries as usize > crate::model::schedule::MAX_SCHEDULE_LEN * 16 {
            return bad(format!(
                "core.schedule_entries must be at most {}, found {}",
                crate::model::schedule::MAX_SCHEDULE_LEN * 16,
                self.core.schedule_entries
            ));
        }
        if self.core.compartments_per_neuron > crate::model::dendrites::MAX_BRANCHES as u32 {
            return bad(format!(
                "core.compartments_per_neuron must be at most {}, found {}",
                crate::model::dendrites::MAX_BRANCHES,
                self.core.compartments_per_neuron
            ));
        }
        if self.core.max_delay > 255 {
            return bad("max_delay must be at most 255".into());
        }
        let finite_non_negative = |field: String, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                bad(format!("{field} is {x}; it must be a finite number ≥ 0"))
            }
        };
        for (event, c) in self.costs.named() {
            finite_non_negative(format!("costs.{event}.energy_pj"), c.energy_pj)?;
            finite_non_negative(format!("costs.{event}.latency_ns"), c.latency_ns)?;
        }
        if let Some(a) = &self.accuracy {
            finite_non_negative("accuracy.energy_pct".into(), a.energy_pct)?;
            finite_non_negative("accuracy.latency_pct".into(), a.latency_pct)?;
            crate::text::check("accuracy.source", &a.source, crate::text::MAX_TEXT_CHARS)
                .or_else(bad)?;
        }
        finite_non_negative(
            "timing.static_power_mw_per_core".into(),
            self.timing.static_power_mw_per_core,
        )?;
        for (k, &(_, ns)) in self.timing.barrier_ns.iter().enumerate() {
            finite_non_negative(format!("timing.barrier_ns[{k}]"), ns)?;
        }
        if let Some(hz) = self.timing.clock_hz {
            if !(hz.is_finite() && hz > 0.0) {
                return bad(format!(
                    "timing.clock_hz is {hz}; it must be a positive number of Hz"
                ));
            }
        }
        if self.timing.barrier_ns.is_empty() {
            return bad("timing.barrier_ns needs at least one (tiles, ns) point".into());
        }
        if self.timing.barrier_ns.windows(2).any(|w| w[0].0 >= w[1].0) {
            return bad(
                "timing.barrier_ns points must be sorted by strictly increasing tile count".into(),
            );
        }
        Ok(())
    }

    /// Barrier latency for a number of active tiles, read from the table as
    /// `timing.barrier_lookup` says.
    pub fn barrier_ns(&self, active_tiles: usize) -> f64 {
        let pts = &self.timing.barrier_ns;
        let x = active_tiles as f64;
        if x <= pts[0].0 as f64 {
            return pts[0].1;
        }
        if self.timing.barrier_lookup == BarrierLookup::Step {
            return pts
                .iter()
                .rev()
                .find(|p| p.0 as f64 <= x)
                .map_or(pts[0].1, |p| p.1);
        }
        for w in pts.windows(2) {
            let (x0, y0) = (w[0].0 as f64, w[0].1);
            let (x1, y1) = (w[1].0 as f64, w[1].1);
            if x <= x1 {
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
            }
        }
        pts[pts.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads_and_validates() {
        for name in Arch::preset_names() {
            let arch = Arch::preset(name).unwrap();
            assert_eq!(arch.name, name);
            assert!(arch.topology.num_cores() >= 1);
        }
    }

    #[test]
    fn loihi_preset_carries_the_published_figures() {
        let a = Arch::preset("loihi").unwrap();
        assert_eq!(a.topology.num_cores(), 128);
        assert_eq!(a.core.max_neurons, 1024);
        assert_eq!(a.costs.hop_east_west.energy_pj, 3.0);
        assert_eq!(a.costs.hop_north_south.latency_ns, 6.5);
        assert_eq!(a.costs.synapse_dense.energy_pj, 35.5);
        assert_eq!(a.costs.axon_out.energy_pj, 111.0);
        assert_eq!(a.barrier_ns(1), 600.0);
        assert_eq!(a.barrier_ns(29), 1800.0);
        // SANA-FE reads its table as a step function: 3 tiles cost what 2 do.
        assert_eq!(a.barrier_ns(3), 1000.0);
        assert_eq!(a.barrier_ns(28), 1400.0);
        assert_eq!(a.barrier_ns(32), 1800.0);
        let mut linear = a.clone();
        linear.timing.barrier_lookup = BarrierLookup::Linear;
        assert_eq!(linear.barrier_ns(3), 1200.0);
        assert_eq!(linear.barrier_ns(32), 1800.0);
    }

    #[test]
    fn unknown_preset_names_the_known_ones() {
        let e = Arch::resolve("loihi3").unwrap_err().to_string();
        assert!(e.contains("loihi") && e.contains("fpga-small"), "{e}");
    }

    #[test]
    fn unknown_fields_are_rejected_with_the_file_name() {
        let text = Arch::preset_source("xylo")
            .unwrap()
            .replace("max_neurons", "max_neuronz");
        let e = Arch::from_ron_str(&text, Path::new("my.ron"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("my.ron") && e.contains("max_neuronz"), "{e}");
    }

    #[test]
    fn non_finite_or_negative_costs_and_huge_meshes_are_refused_by_name() {
        let src = Arch::preset_source("loihi").unwrap();
        for (from, to, field) in [
            ("energy_pj: 35.5", "energy_pj: NaN", "energy_pj is NaN"),
            ("energy_pj: 35.5", "energy_pj: -1.0", "energy_pj is -1"),
            ("energy_pj: 35.5", "energy_pj: inf", "energy_pj is inf"),
            ("tiles_x: 8", "tiles_x: 4000000000", "topology"),
            // found by fuzzing: a shift of 64 overflowed the neuron step
            (
                "activation_shift: 6,",
                "activation_shift: 64,",
                "activation_shift must be 0..=31",
            ),
            ("name: \"loihi\"", "name: \"loihi\\n$finish;\"", "name"),
        ] {
            assert!(src.contains(from), "{from}");
            let e = Arch::from_ron_str(&src.replacen(from, to, 1), Path::new("a.ron"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn core_numbering_is_tile_major_then_row_major() {
        let t = Topology {
            tiles_x: 4,
            tiles_y: 2,
            cores_per_tile: 2,
            chips_x: 2,
            chips_y: 1,
        };
        assert_eq!(t.num_cores(), 32);
        assert_eq!(t.tile_of(0), TileCoord { x: 0, y: 0 });
        assert_eq!(t.tile_of(1), TileCoord { x: 0, y: 0 });
        assert_eq!(t.tile_of(2), TileCoord { x: 1, y: 0 });
        assert_eq!(t.tile_of(17), TileCoord { x: 0, y: 1 });
        assert_eq!(t.chip_of(TileCoord { x: 5, y: 1 }), (1, 0));
    }
}
