//! Co-simulation: run the exported testbench in Icarus Verilog and compare
//! the RTL's output-neuron spikes with the emulator's, line for line.

use std::path::Path;
use std::process::Command;

use crate::ExportError;

/// `tb/run_iverilog.sh`: compile, run, keep the output neurons' spikes, diff.
pub const IVERILOG_SCRIPT: &str = r#"#!/bin/sh
# Runs the exported network in Icarus Verilog (11 or newer) and compares its
# output spikes with the emulator's. Run from anywhere: sh tb/run_iverilog.sh
set -e
cd "$(dirname "$0")/.."
iverilog -g2012 -I rtl -o tb/sim.vvp tb/tb_snn_top.sv rtl/snn_top.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_ram.v
vvp -n tb/sim.vvp > tb/sim.log
grep '^SPIKE' tb/sim.log | sort -t= -k2,2n -k3,3n -k4,4n > tb/rtl_spikes.txt || true
if diff -q tb/expected_spikes.txt tb/rtl_spikes.txt > /dev/null; then
  echo "PASS: $(wc -l < tb/rtl_spikes.txt) output spikes equal the emulator's"
else
  echo "FAIL: RTL spikes differ from tb/expected_spikes.txt"; diff tb/expected_spikes.txt tb/rtl_spikes.txt | head; exit 1
fi
"#;

/// `tb/run_verilator.sh`: the same with Verilator 5 (`--binary`, timing support).
pub const VERILATOR_SCRIPT: &str = r#"#!/bin/sh
# Runs the exported network in Verilator 5 and compares its output spikes with
# the emulator's. Run from anywhere: sh tb/run_verilator.sh
set -e
cd "$(dirname "$0")/.."
verilator --binary -j 0 -Wall -Wno-DECLFILENAME -Irtl --top-module tb_snn_top tb/tb_snn_top.sv rtl/snn_top.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_ram.v -o sim
./obj_dir/sim > tb/sim.log
grep '^SPIKE' tb/sim.log | sort -t= -k2,2n -k3,3n -k4,4n > tb/rtl_spikes.txt || true
diff tb/expected_spikes.txt tb/rtl_spikes.txt && echo "PASS"
"#;

/// `tb/synth_yosys.sh`: ECP5 and Xilinx 7-series synthesis, resources to
/// compare with README.md's estimates.
pub const YOSYS_SCRIPT: &str = r#"#!/bin/sh
# Synthesis with Yosys for Lattice ECP5 (`synth_ecp5`) and Xilinx 7-series
# (`synth_xilinx`): LUTs, flip-flops, block RAMs and multipliers, to compare
# with README.md's estimates. Run from anywhere: sh tb/synth_yosys.sh
set -e
cd "$(dirname "$0")/.."
read="read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_top.v; hierarchy -top snn_top"
yosys -q -l tb/yosys_ecp5.log -p "$read; synth_ecp5 -top snn_top; stat"
yosys -q -l tb/yosys_xilinx.log -p "$read; synth_xilinx -top snn_top; stat"
grep -E "^ +(LUT4|CCU2C|TRELLIS_FF|DP16KD|MULT18X18D) " tb/yosys_ecp5.log | tail -n 5
grep -E "^ +(LUT[1-6]|FDRE|RAMB18E1|RAMB36E1|DSP48E1) " tb/yosys_xilinx.log | tail -n 9
"#;

/// What a co-simulation found.
#[derive(Clone, Debug, PartialEq)]
pub struct Cosim {
    /// The RTL's output-stream spikes, as `SPIKE run=.. t=.. out=..` lines, sorted.
    pub rtl: Vec<String>,
    pub expected: Vec<String>,
    /// Clock cycles of every step (tick to done), per run.
    pub cycles: Vec<Vec<u64>>,
    /// The input port flagged an event for a channel the program does not have.
    pub bad_channel: bool,
}

impl Cosim {
    pub fn equal(&self) -> bool {
        self.rtl == self.expected
    }

    /// The first line where the two disagree, for messages.
    pub fn first_difference(&self) -> Option<String> {
        let n = self.rtl.len().max(self.expected.len());
        (0..n)
            .find(|&i| self.rtl.get(i) != self.expected.get(i))
            .map(|i| {
                format!(
                    "line {}: RTL {:?}, emulator {:?}",
                    i + 1,
                    self.rtl.get(i).map(String::as_str).unwrap_or("(none)"),
                    self.expected.get(i).map(String::as_str).unwrap_or("(none)")
                )
            })
    }
}

/// Whether `iverilog` and `vvp` are on the PATH.
pub fn iverilog_available() -> bool {
    Command::new("iverilog")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("vvp").arg("-V").output().is_ok()
}

/// Compiles and runs the testbench of an export folder with Icarus Verilog.
pub fn run_iverilog(dir: &Path) -> Result<Cosim, ExportError> {
    let fail = |m: String| ExportError::Cosim(m);
    let out = Command::new("iverilog")
        .current_dir(dir)
        .args([
            "-g2012",
            "-I",
            "rtl",
            "-o",
            "tb/sim.vvp",
            "tb/tb_snn_top.sv",
            "rtl/snn_top.v",
            "rtl/snn_core.v",
            "rtl/snn_soma.v",
            "rtl/snn_ram.v",
        ])
        .output()
        .map_err(|e| fail(format!("cannot run iverilog: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "iverilog failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let run = Command::new("vvp")
        .current_dir(dir)
        .args(["-n", "tb/sim.vvp"])
        .output()
        .map_err(|e| fail(format!("cannot run vvp: {e}")))?;
    compare(dir, &run)
}

/// Whether `verilator` (5 or newer, for `--binary`) is on the PATH.
pub fn verilator_available() -> bool {
    Command::new("verilator")
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            let v = String::from_utf8_lossy(&o.stdout).into_owned();
            o.status.success()
                && v.split_whitespace()
                    .nth(1)
                    .and_then(|x| x.split('.').next()?.parse::<u32>().ok())
                    .is_some_and(|major| major >= 5)
        })
}

/// `verilator --lint-only -Wall` on the exported RTL (top `snn_top`): the
/// warnings, empty when clean.
pub fn lint_verilator(dir: &Path) -> Result<String, ExportError> {
    let out = Command::new("verilator")
        .current_dir(dir)
        .args(["--lint-only", "-Wall", "-Irtl", "--top-module", "snn_top"])
        .args([
            "rtl/snn_top.v",
            "rtl/snn_core.v",
            "rtl/snn_soma.v",
            "rtl/snn_ram.v",
        ])
        .output()
        .map_err(|e| ExportError::Cosim(format!("cannot run verilator: {e}")))?;
    Ok(String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Builds and runs the testbench of an export folder with Verilator 5.
pub fn run_verilator(dir: &Path) -> Result<Cosim, ExportError> {
    let fail = |m: String| ExportError::Cosim(m);
    let out = Command::new("verilator")
        .current_dir(dir)
        .args([
            "--binary",
            "-j",
            "0",
            "-Wall",
            "-Wno-DECLFILENAME",
            "-Irtl",
            "--top-module",
            "tb_snn_top",
        ])
        .args([
            "tb/tb_snn_top.sv",
            "rtl/snn_top.v",
            "rtl/snn_core.v",
            "rtl/snn_soma.v",
            "rtl/snn_ram.v",
            "-o",
            "sim",
        ])
        .output()
        .map_err(|e| fail(format!("cannot run verilator: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "verilator failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let run = Command::new(dir.join("obj_dir/sim"))
        .current_dir(dir)
        .output()
        .map_err(|e| fail(format!("cannot run the Verilator model: {e}")))?;
    compare(dir, &run)
}

/// The `SPIKE` and `CYCLES` lines of a finished simulation, paired with the
/// expected spikes.
fn compare(dir: &Path, run: &std::process::Output) -> Result<Cosim, ExportError> {
    let fail = |m: String| ExportError::Cosim(m);
    let stdout = String::from_utf8_lossy(&run.stdout);
    if let Some(l) = stdout.lines().find(|l| l.starts_with("PROTOCOL")) {
        return Err(fail(format!("the testbench saw a protocol error: {l}")));
    }
    if !run.status.success() || !stdout.contains("DONE") {
        return Err(fail(format!(
            "the simulation did not finish:\n{}{}",
            stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n"),
            String::from_utf8_lossy(&run.stderr)
        )));
    }
    let mut rtl: Vec<String> = stdout
        .lines()
        .filter(|l| l.starts_with("SPIKE "))
        .map(str::to_string)
        .collect();
    rtl.sort_by_key(|l| numbers(l));
    let mut cycles = Vec::new();
    for l in stdout.lines().filter(|l| l.starts_with("CYCLES ")) {
        match numbers(l)[..] {
            [run, t, n] => {
                let run = run as usize;
                if cycles.len() <= run {
                    cycles.resize(run + 1, Vec::new());
                }
                if cycles[run].len() != t as usize {
                    return Err(fail(format!("out-of-order cycle count: {l}")));
                }
                cycles[run].push(n);
            }
            _ => return Err(fail(format!("unreadable cycle count: {l}"))),
        }
    }
    let expected = std::fs::read_to_string(dir.join("tb/expected_spikes.txt"))
        .map_err(|e| fail(format!("tb/expected_spikes.txt: {e}")))?
        .lines()
        .map(str::to_string)
        .collect();
    Ok(Cosim {
        rtl,
        expected,
        cycles,
        bad_channel: stdout.contains("bad_channel=1"),
    })
}

/// The numbers of a `KEY a=1 b=2 ..` line, in order.
fn numbers(line: &str) -> Vec<u64> {
    line.split(' ')
        .filter_map(|p| p.split_once('=')?.1.parse().ok())
        .collect()
}

/// Whether `yosys` is on the PATH.
pub fn yosys_available() -> bool {
    Command::new("yosys")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What Yosys' `synth_ecp5` made of the exported RTL.
#[derive(Clone, Debug, PartialEq)]
pub struct Synthesis {
    /// Cells of the whole design (its hierarchy's totals).
    pub lut4: u64,
    pub carry: u64,
    pub flip_flops: u64,
    pub dp16kd: u64,
    pub mult18: u64,
    /// Table RAM modules (`snn_ram`, one per distinct shape) and the ones
    /// among them that are anything but block RAM: LUTs, flip-flops, LUT
    /// RAM or an unmapped memory. Empty when every table is in block RAM.
    pub ram_modules: usize,
    pub rams_not_in_bram: Vec<String>,
}

/// Runs Yosys' `synth_ecp5` on an export folder: the logic flattened, as a
/// board build does (so that a model block's unused output bits are
/// trimmed), the table RAMs kept as modules so that each can be checked on
/// its own.
pub fn run_yosys(dir: &Path) -> Result<Synthesis, ExportError> {
    let fail = |m: String| ExportError::Cosim(m);
    let script =
        "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_top.v; \
                  hierarchy -top snn_top; setattr -mod -set keep_hierarchy 1 *snn_ram*; \
                  synth_ecp5 -top snn_top; tee -o /dev/stdout stat";
    let out = Command::new("yosys")
        .current_dir(dir)
        .args(["-q", "-p", script])
        .output()
        .map_err(|e| fail(format!("cannot run yosys: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "yosys failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let log = String::from_utf8_lossy(&out.stdout);
    // Sections: "=== module ===" then its cell counts; the last one, "design
    // hierarchy", totals the instances.
    let mut sections: Vec<(String, Vec<(String, u64)>)> = Vec::new();
    for line in log.lines() {
        if let Some(name) = line
            .strip_prefix("=== ")
            .and_then(|l| l.strip_suffix(" ==="))
        {
            sections.push((name.to_string(), Vec::new()));
        } else if let Some((_, cells)) = sections.last_mut() {
            let mut words = line.split_whitespace();
            if let (Some(cell), Some(n), None) = (words.next(), words.next(), words.next()) {
                if let Ok(n) = n.parse::<u64>() {
                    cells.push((cell.to_string(), n));
                }
            }
            // a memory Yosys could not map to any cell
            if line.trim_start().starts_with("Number of memories:") {
                let n: u64 = line
                    .split(':')
                    .nth(1)
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                cells.push(("$memory".into(), n));
            }
        }
    }
    let count = |cells: &[(String, u64)], name: &str| {
        cells
            .iter()
            .filter(|(c, _)| c == name)
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    let totals = sections
        .iter()
        .find(|(n, _)| n == "design hierarchy")
        .map(|(_, c)| c.clone())
        .ok_or_else(|| fail("yosys printed no design totals".into()))?;
    let rams: Vec<&(String, Vec<(String, u64)>)> = sections
        .iter()
        .filter(|(n, _)| n.ends_with("\\snn_ram"))
        .collect();
    let rams_not_in_bram = rams
        .iter()
        .filter(|(_, cells)| {
            count(cells, "DP16KD") == 0
                || cells
                    .iter()
                    .any(|(c, n)| *n > 0 && c != "DP16KD" && !c.starts_with('$'))
                || count(cells, "$memory") > 0
        })
        .map(|(n, cells)| format!("{n}: {cells:?}"))
        .collect();
    Ok(Synthesis {
        lut4: count(&totals, "LUT4"),
        carry: count(&totals, "CCU2C"),
        flip_flops: count(&totals, "TRELLIS_FF"),
        dp16kd: count(&totals, "DP16KD"),
        mult18: count(&totals, "MULT18X18D"),
        ram_modules: rams.len(),
        rams_not_in_bram,
    })
}
