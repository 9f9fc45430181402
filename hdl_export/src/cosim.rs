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
iverilog -g2012 -I rtl -o tb/sim.vvp tb/tb_snn_top.sv rtl/snn_top.v rtl/snn_core.v rtl/snn_ram.v
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
verilator --binary -j 0 -Wall -Wno-DECLFILENAME -Irtl --top-module tb_snn_top tb/tb_snn_top.sv rtl/snn_top.v rtl/snn_core.v rtl/snn_ram.v -o sim
./obj_dir/sim > tb/sim.log
grep '^SPIKE' tb/sim.log | sort -t= -k2,2n -k3,3n -k4,4n > tb/rtl_spikes.txt || true
diff tb/expected_spikes.txt tb/rtl_spikes.txt && echo "PASS"
"#;

/// `tb/synth_yosys.sh`: a generic synthesis smoke test and a Xilinx block-RAM count.
pub const YOSYS_SCRIPT: &str = r#"#!/bin/sh
# Synthesis smoke test with Yosys: generic `synth`, then `synth_xilinx` for
# block-RAM counts to compare with README.md's estimate.
# Run from anywhere: sh tb/synth_yosys.sh
set -e
cd "$(dirname "$0")/.."
yosys -q -l tb/yosys_generic.log -p "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_top.v; hierarchy -top snn_top; synth -top snn_top; stat"
yosys -q -l tb/yosys_xilinx.log -p "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_top.v; hierarchy -top snn_top; synth_xilinx -top snn_top; stat"
grep -E "Number of cells|RAMB(18|36)E1 " tb/yosys_generic.log tb/yosys_xilinx.log | tail -n 6
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
        .args(["rtl/snn_top.v", "rtl/snn_core.v", "rtl/snn_ram.v"])
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

/// What Yosys made of the exported RTL.
#[derive(Clone, Debug, PartialEq)]
pub struct Synthesis {
    /// Cells of the whole design after `synth`.
    pub generic_cells: u64,
    /// Cells after `synth_xilinx`, and the block RAMs among them.
    pub xilinx_cells: u64,
    pub ramb18: u64,
    pub ramb36: u64,
}

/// Runs Yosys' generic and Xilinx synthesis on an export folder.
pub fn run_yosys(dir: &Path) -> Result<Synthesis, ExportError> {
    let fail = |m: String| ExportError::Cosim(m);
    let read = "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_top.v; hierarchy -top snn_top";
    let run = |script: String| -> Result<String, ExportError> {
        let out = Command::new("yosys")
            .current_dir(dir)
            .args(["-q", "-p", &script])
            .output()
            .map_err(|e| fail(format!("cannot run yosys: {e}")))?;
        if !out.status.success() {
            return Err(fail(format!(
                "yosys failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let generic = run(format!(
        "{read}; synth -top snn_top; tee -o /dev/stdout stat"
    ))?;
    let xilinx = run(format!(
        "{read}; synth_xilinx -top snn_top; tee -o /dev/stdout stat"
    ))?;
    // The last "Number of cells" is the design total (after the per-module ones).
    let cells = |log: &str| -> u64 {
        log.lines()
            .rev()
            .filter(|l| l.contains("Number of cells"))
            .find_map(|l| l.split_whitespace().next_back()?.parse().ok())
            .unwrap_or(0)
    };
    let count = |log: &str, cell: &str| -> u64 {
        log.lines()
            .filter(|l| l.split_whitespace().next() == Some(cell))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
    };
    Ok(Synthesis {
        generic_cells: cells(&generic),
        xilinx_cells: cells(&xilinx),
        ramb18: count(&xilinx, "RAMB18E1"),
        ramb36: count(&xilinx, "RAMB36E1"),
    })
}
