//! # spikefab-hdl
//!
//! Turns a [`CoreProgram`] into what an FPGA flow consumes: memory tables
//! (`$readmemh` `.mem`, Xilinx `.coe`, Intel `.mif`), a parameter header and
//! package, spikefab's RTL (`snn_ram.v`, `snn_core.v`, a
//! generated `snn_top.v`) and a testbench with the emulator's expected spikes.
//! One field-layout table ([`layout`]) drives the packing, the README's
//! bit-field tables and the header constants.
//!
//! It does not run the emulator (the caller passes the expected spikes) and
//! does not synthesize; [`cosim`] runs Icarus Verilog, Verilator or Yosys
//! when they are installed.
//!
//! ```
//! use spikefab_hdl::layout::{Field, Layout};
//!
//! let word = Layout {
//!     memory: "synapses",
//!     fields: vec![
//!         Field { name: "post", width: 8, signed: false, doc: "target neuron" },
//!         Field { name: "weight", width: 9, signed: true, doc: "weight" },
//!     ],
//! };
//! assert_eq!(word.lsb("weight"), 8);
//! assert_eq!(word.pack(&[3, -1], &|| "synapse 0".into()).unwrap(), (0x1ff << 8) | 3);
//! assert!(word.pack(&[256, 0], &|| "synapse 1".into()).is_err()); // 256 needs 9 bits
//! ```

pub mod cosim;
pub mod formats;
pub mod layout;
pub mod models;
mod readme;
pub mod rtl;
pub mod tables;

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use spikefab_chip::{CoreProgram, SpikeStream};

use crate::layout::Layouts;

/// Version of the export folder layout.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{place}: {value} does not fit the {width}-bit {} field '{field}' of the {memory} memory", if *signed { "signed" } else { "unsigned" })]
    FieldRange {
        place: String,
        memory: &'static str,
        field: &'static str,
        value: i64,
        width: u32,
        signed: bool,
    },
    #[error("stimulus: {0}")]
    Input(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: spikefab_chip::ChipError,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("co-simulation: {0}")]
    Cosim(String),
    #[error(transparent)]
    Program(#[from] spikefab_chip::ChipError),
}

/// Which memory formats to write besides the `.mem` files the RTL reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    pub coe: bool,
    pub mif: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            coe: true,
            mif: true,
        }
    }
}

/// One inference the testbench replays: its input spikes and the emulator's
/// output spikes on them.
#[derive(Clone, Copy)]
pub struct TbRun<'a> {
    pub input: &'a SpikeStream,
    pub expected: &'a SpikeStream,
}

/// What the testbench replays: inferences of `steps` steps each, one after
/// another on the same bitstream (the second after `start`, the third after
/// a reset, and so on), each compared with the emulator.
pub struct Testbench<'a> {
    pub steps: u32,
    pub runs: Vec<TbRun<'a>>,
}

/// One memory of the export, for the summary and README.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryInfo {
    pub name: String,
    pub depth: usize,
    pub width: u32,
    pub ramb18: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: usize,
    pub sha256: String,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportSummary {
    pub format_version: u32,
    pub arch: String,
    pub source: String,
    pub cores: usize,
    pub memories: Vec<MemoryInfo>,
    pub ramb18_total: usize,
    /// Logic estimate for Lattice ECP5 (Yosys `synth_ecp5`): LUT4s and
    /// 18x18 multipliers; see [`logic_estimate`].
    pub ecp5_lut4_estimate: usize,
    pub ecp5_mult18_estimate: usize,
    /// Features of the program that the reference RTL does not simulate.
    pub unsupported_by_rtl: Vec<String>,
    pub files: Vec<FileEntry>,
}

/// Text from the program (its source, its arch's name) as it may appear in a
/// generated Verilog `//` comment or README line: printable ASCII only, every
/// other character shown as `?`. Programs are validated before export (no
/// control characters), so this is a second line of defence: nothing a file
/// says can end the comment and become code.
pub fn comment_text(s: &str) -> String {
    s.chars()
        .take(spikefab_chip::text::MAX_TEXT_CHARS)
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// ECP5 logic of an export: `(LUT4, MULT18X18D)`. Fitted to Yosys 0.23
/// `synth_ecp5` on spikefab exports, logic flattened as a board build does
/// (docs/hdl.md): the top level (input port, bus, sequencing) takes about
/// 200 LUT4; each core about 965 with `Mul12` decays (two 32x13
/// multipliers, 4 MULT18X18D) or 1,380 with `Shift` decays (barrel shifters
/// instead), plus its neuron-model blocks ([`models::lut4`]), a selector
/// of about 20 LUT4 per model beyond the first, and ALIF's adaptation
/// register, the schedule tables, the noise stream, the dendritic
/// branch walk and the learning engine where a program uses them. The tables
/// are block RAM (`ramb18_total`, the same count of DP16KD on ECP5) but
/// for the schedules', small and in LUT RAM. CI checks the
/// estimate within 20 % (hdl_export/tests/cosim.rs).
pub fn logic_estimate(p: &CoreProgram) -> (usize, usize) {
    let cores = p.cores.len();
    let kinds = models::used(p);
    let somas: usize = models::lut4(&kinds) + 20 * kinds.len().saturating_sub(1);
    // The adaptation register (ALIF) adds a third decay (a multiplier under
    // Mul12, a shifter under Shift) and the send phase's adapted threshold.
    let a = models::state_a(&kinds);
    let somas = somas
        + if layout::uses_schedules(p) {
            SCHEDULE_LUT4
        } else {
            0
        }
        + if layout::uses_noise(p) { NOISE_LUT4 } else { 0 }
        + if layout::uses_dendrites(p) {
            DENDRITES_LUT4
        } else {
            0
        };
    // The learning engine, in the cores that learn: five multipliers (the
    // trace decay and impulses, x·y, the rate, the component's decay — two
    // for a component past 18 bits, weights past 10 bits).
    let learning = p
        .cores
        .iter()
        .filter(|c| c.synapses.rule.iter().any(|&r| r != 0))
        .count();
    let learn_mult18 = 5 + (p.arch.format.weight_bits > 10) as usize;
    let (lut4, mult18) = match p.arch.format.decay {
        spikefab_chip::DecayRule::Mul12 { .. } => (
            200 + (965 + somas + if a { STATE_A_MUL12_LUT4 } else { 0 }) * cores,
            (4 + if a { 2 } else { 0 }) * cores,
        ),
        spikefab_chip::DecayRule::Shift => (
            200 + (1380 + somas + if a { STATE_A_SHIFT_LUT4 } else { 0 }) * cores,
            0,
        ),
    };
    (
        lut4 + LEARNING_LUT4 * learning,
        mult18 + learn_mult18 * learning,
    )
}

/// ECP5 LUT4 a learning core spends on its engine: the rule table in LUT
/// RAM read at four places (trace stage, weight stages, next due rule), the
/// due-rule search, the roundings and clamps and the RAM-port muxes.
/// Fitted to Yosys 0.23 on the 2-core ALIF + CUBA LIF export with two rules
/// a core that CI synthesizes (hdl_export/tests/cosim.rs: 1,372 per core).
const LEARNING_LUT4: usize = 1372;

/// ECP5 LUT4 a core spends on the adaptation register beyond its model
/// block, fitted to Yosys 0.23 on the every-model exports of
/// hdl_export/tests/cosim.rs: under `Mul12` its decay is a multiplier
/// (two MULT18X18D) and the adds go to carry chains (CCU2C), so no LUT4 to
/// speak of; under `Shift` it is a barrel shifter (290 puts both a 2-core
/// ALIF + CUBA LIF export and a 4-core every-model one within 10 %).
const STATE_A_MUL12_LUT4: usize = 0;

/// ECP5 LUT4 a core spends on schedules: the directory and entry tables in
/// LUT RAM, their positions, and the adders into the threshold and the
/// weight exponent (Yosys 0.23 on a 2-core ALIF + CUBA LIF export with two
/// tables per core, hdl_export/tests/cosim.rs: 194 per core).
const SCHEDULE_LUT4: usize = 194;

/// ECP5 LUT4 a core spends on its noise stream: the xorshift32 and the
/// shifter that scales a draw by its group's exponent, most of it. Fitted
/// to Yosys 0.23 on the 2-core ALIF + CUBA LIF export with noise and
/// schedules that CI synthesizes (hdl_export/tests/cosim.rs), leaving room
/// for an export with noise alone, where synthesis cannot share the input
/// adder with the schedule's and the count is higher.
const NOISE_LUT4: usize = 480;

/// ECP5 LUT4 a core spends on dendrites: the branch walk (slot counter,
/// branch index, the next-issue choice), the branch's clamp and the sum.
/// Fitted to Yosys 0.23 on the 2-core ALIF + CUBA LIF export with
/// schedules, noise and 3-branch neurons that CI synthesizes
/// (hdl_export/tests/cosim.rs: 177 per core).
const DENDRITES_LUT4: usize = 177;
const STATE_A_SHIFT_LUT4: usize = 290;

/// Features the reference RTL implements; anything else is listed as unsupported.
fn rtl_gaps(p: &CoreProgram) -> Vec<String> {
    let mut gaps = Vec::new();
    if p.arch.format.state_bits > 31 {
        gaps.push(format!(
            "state wider than 31 bits ({})",
            p.arch.format.state_bits
        ));
    }
    gaps
}

/// The RAMs a core's learning engine fills itself, `(name, depth, width)`
/// as snn_core.v sizes them: plastic components (a word per synapse word,
/// 8 bits below the weight's LSB), the pre and post traces per rule, and
/// the spike counts of axons and neurons; one word each in a core that does
/// not learn.
fn learning_rams(p: &CoreProgram, t: &tables::CoreTables) -> Vec<(&'static str, usize, u32)> {
    let Some(l) = &t.learning else {
        return Vec::new();
    };
    let on = |depth: usize| if l.active() { depth } else { 1 };
    let axons = t.axon_ptr.depth().next_power_of_two();
    let neurons = t.neurons.depth().next_power_of_two();
    let rules = l.rules.depth();
    vec![
        (
            "plastic",
            on(t.synapses.depth()),
            p.arch.format.weight_bits as u32 + 8,
        ),
        ("pre_traces", on(rules * axons.max(2)), 8),
        ("post_traces", on(rules * neurons.max(2)), 8),
        ("axon_spikes", on(axons.max(2)), 8),
        ("neuron_spikes", on(neurons.max(2)), 8),
    ]
}

/// Writes the export folder for `p` into `dir`.
pub fn export(
    p: &CoreProgram,
    dir: &Path,
    formats: Formats,
    tb: &Testbench,
) -> Result<ExportSummary, ExportError> {
    // Everything below trusts the program's sizes and strings: check them first.
    p.validate()?;
    if let Some(k) = models::used(p)
        .into_iter()
        .find(|&k| models::block(k).is_none())
    {
        return Err(ExportError::Unsupported(format!(
            "the reference RTL has no block for the {k} neuron model yet; the emulator runs it (docs/hdl.md)"
        )));
    }
    let l = Layouts::for_program(p);
    let tables = tables::core_tables(p, &l)?;
    if tb.runs.is_empty() {
        return Err(ExportError::Input(
            "the testbench needs at least one run".into(),
        ));
    }
    let io = tables::io_tables(p, &l)?;
    let inputs: Vec<&SpikeStream> = tb.runs.iter().map(|r| r.input).collect();
    let stim = tables::stimulus(p, &l, &inputs, tb.steps)?;
    let consts = rtl::constants(p, &l);

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut memories = Vec::new();
    let io_memories = io.memories();
    let memory_sets = tables
        .iter()
        .map(|t| t.memories().to_vec())
        .chain(std::iter::once(io_memories.to_vec()));
    for set in memory_sets {
        for m in set {
            files.push((format!("mem/{}.mem", m.name), formats::mem(m).into_bytes()));
            if formats.coe {
                files.push((
                    format!("vivado/{}.coe", m.name),
                    formats::coe(m).into_bytes(),
                ));
            }
            if formats.mif {
                files.push((
                    format!("quartus/{}.mif", m.name),
                    formats::mif(m).into_bytes(),
                ));
            }
            // Schedule and learning-rule tables are read asynchronously: LUT
            // RAM, in the logic estimate.
            let lut_ram = m.name.ends_with("_schedule")
                || m.name.ends_with("_schedule_dir")
                || m.name.ends_with("_learn_rules");
            memories.push(MemoryInfo {
                name: m.name.clone(),
                depth: m.depth(),
                width: m.width,
                ramb18: if lut_ram {
                    0
                } else {
                    formats::ramb18(m.depth(), m.width as usize)
                },
            });
        }
    }
    // The RAMs the cores fill themselves (one word per neuron rounded up to a
    // power of two, as snn_core.v addresses them).
    // ALIF's adaptation adds a state word, and its decayed value rides in
    // the spike list (snn_core.v: SW, KW).
    let a_bits = if models::state_a(&models::used(p)) {
        p.arch.format.state_bits as u32
    } else {
        0
    };
    for (k, t) in tables.iter().enumerate() {
        let n = t.neurons.depth().next_power_of_two();
        let state_w = 32 + p.arch.format.state_bits as u32 + a_bits;
        let spike_w = (n.trailing_zeros()).max(1) + a_bits;
        let inbox_w = l.route.width() - l.route.fields[0].width;
        for (name, depth, width) in [
            ("state", n, state_w),
            (
                "accumulators",
                t.input_slots.next_power_of_two() * t.slots as usize,
                32,
            ),
            ("spikes", n, spike_w),
            ("inbox", t.inbox_depth, inbox_w),
        ]
        .into_iter()
        .chain(learning_rams(p, t))
        {
            memories.push(MemoryInfo {
                name: format!("core_{k}_{name}"),
                depth,
                width,
                ramb18: formats::ramb18(depth, width as usize),
            });
        }
    }
    files.push(("tb/stimulus.mem".into(), formats::mem(&stim).into_bytes()));
    let expected: Vec<&SpikeStream> = tb.runs.iter().map(|r| r.expected).collect();
    files.push((
        "tb/expected_spikes.txt".into(),
        tables::expected_spikes(&expected).into_bytes(),
    ));
    // Generous bound on the RTL's cycles: every step updates every neuron,
    // sends every route and delivers every synapse word, a few cycles each.
    let per_step: u64 = p
        .cores
        .iter()
        .map(|c| (c.num_compartments() + c.synapses.len() + 2 * c.routes.len()) as u64 + 16)
        .sum::<u64>()
        + 4 * p.inputs.len() as u64
        + 3 * p.num_input_channels() as u64;
    let clear: u64 = tables
        .iter()
        .map(|t| {
            learning_rams(p, t)
                .into_iter()
                .map(|(_, depth, _)| depth)
                .fold(
                    t.input_slots.next_power_of_two() * t.slots as usize,
                    usize::max,
                ) as u64
        })
        .max()
        .unwrap_or(0);
    let runs = tb.runs.len() as u64;
    let cycle_limit = runs * ((per_step * 4 + 100) * (tb.steps as u64 + 1) + 4 * clear) + 1000;
    files.push((
        "tb/tb_snn_top.sv".into(),
        rtl::testbench(tb.runs.len(), tb.steps, stim.depth(), cycle_limit).into_bytes(),
    ));
    files.push((
        "tb/run_iverilog.sh".into(),
        cosim::IVERILOG_SCRIPT.as_bytes().to_vec(),
    ));
    files.push((
        "tb/run_verilator.sh".into(),
        cosim::VERILATOR_SCRIPT.as_bytes().to_vec(),
    ));
    files.push((
        "tb/synth_yosys.sh".into(),
        cosim::YOSYS_SCRIPT.as_bytes().to_vec(),
    ));
    files.push((
        "rtl/snn_params.vh".into(),
        rtl::header_vh(&consts).into_bytes(),
    ));
    files.push((
        "rtl/snn_params_pkg.sv".into(),
        rtl::package_sv(&consts).into_bytes(),
    ));
    files.push(("rtl/snn_ram.v".into(), rtl::SNN_RAM_V.as_bytes().to_vec()));
    files.push(("rtl/snn_core.v".into(), rtl::SNN_CORE_V.as_bytes().to_vec()));
    let kinds = models::used(p);
    files.push(("rtl/snn_soma.v".into(), models::soma_v(&kinds).into_bytes()));
    for (path, text) in models::files(&kinds) {
        files.push((path.into(), text.as_bytes().to_vec()));
    }
    files.push((
        "rtl/snn_top.v".into(),
        rtl::top_v(p, &tables, &io).into_bytes(),
    ));
    for (path, text) in rtl::BOARD_FILES {
        files.push((path.to_string(), text.as_bytes().to_vec()));
    }

    let ramb18_total = memories.iter().map(|m| m.ramb18).sum();
    let (ecp5_lut4_estimate, ecp5_mult18_estimate) = logic_estimate(p);
    let mut summary = ExportSummary {
        format_version: EXPORT_FORMAT_VERSION,
        arch: p.arch.name.clone(),
        source: p.provenance.source.clone(),
        cores: p.cores.len(),
        memories,
        ramb18_total,
        ecp5_lut4_estimate,
        ecp5_mult18_estimate,
        unsupported_by_rtl: rtl_gaps(p),
        files: Vec::new(),
    };
    files.push((
        "README.md".into(),
        readme::readme(p, &l, &summary).into_bytes(),
    ));
    for (path, bytes) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ExportError::Write {
                path: parent.to_path_buf(),
                source: spikefab_chip::ChipError::Io {
                    path: parent.to_path_buf(),
                    source: e,
                },
            })?;
        }
        spikefab_chip::write_atomic(&full, bytes).map_err(|source| ExportError::Write {
            path: full.clone(),
            source,
        })?;
        summary.files.push(FileEntry {
            path: path.clone(),
            bytes: bytes.len(),
            sha256: format!("{:x}", Sha256::digest(bytes)),
        });
    }
    let manifest = serde_json::json!({
        "format_version": EXPORT_FORMAT_VERSION,
        "arch": summary.arch,
        "source": summary.source,
        "cores": summary.cores,
        "fixed_point": {
            "weight_bits": p.arch.format.weight_bits,
            "state_bits": p.arch.format.state_bits,
            "threshold_bits": p.arch.format.threshold_bits,
            "bias_bits": p.arch.format.bias_bits,
            "decay": format!("{:?}", p.arch.format.decay),
            "activation_shift": p.arch.format.activation_shift,
            "threshold_shift": p.arch.format.threshold_shift,
            "current_overflow": format!("{:?}", p.arch.format.current_overflow),
        },
        "memories": summary.memories,
        "ramb18_estimate": summary.ramb18_total,
        "ecp5_lut4_estimate": summary.ecp5_lut4_estimate,
        "ecp5_mult18_estimate": summary.ecp5_mult18_estimate,
        "unsupported_by_rtl": summary.unsupported_by_rtl,
        "files": summary.files,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    let path = dir.join("manifest.json");
    spikefab_chip::write_atomic(&path, text.as_bytes())
        .map_err(|source| ExportError::Write { path, source })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::comment_text;

    #[test]
    fn comment_text_cannot_end_a_comment_line() {
        let evil = "net\n$display(\"DONE\"); $finish;\r\u{2028}//\u{1b}[2J é";
        let c = comment_text(evil);
        assert!(!c.contains(['\n', '\r', '\u{2028}', '\u{1b}']), "{c:?}");
        assert!(c.chars().all(|ch| ch == ' ' || ch.is_ascii_graphic()));
        assert_eq!(comment_text("kws on fpga-small"), "kws on fpga-small");
    }
}
