#!/usr/bin/env python3
"""snn_host.py — the host side of a spikefab board (rtl/snn_host.v).

Loads an export's tables (mem/*.mem) through the board's programming port,
then runs inferences: per step it sends the step's input events and reads back
the output spikes and the step's clock cycles.

  # a ULX3S on /dev/ttyUSB0 (needs pyserial):
  python3 host/snn_host.py EXPORT_DIR --port /dev/ttyUSB0
  # the board's Verilator model behind a model of the link (board/build_link_sim.sh):
  python3 host/snn_host.py EXPORT_DIR --sim EXPORT_DIR/board/obj_dir/link_sim

Without --stimulus it replays the export's testbench stimulus (tb/stimulus.mem)
and prints "SPIKE run=.. t=.. out=.." and "CYCLES run=.. t=.. n=.." lines, the
format of tb/expected_spikes.txt. Standard library only, but for --port.
"""

import argparse
import re
import struct
import subprocess
import sys
from pathlib import Path

# Table numbers of the programming port (prog_addr = core << 24 | table << 20 | word).
CORE_TABLES = {
    "neurons": 0, "synapses": 1, "axon_ptr": 2, "route_ptr": 3, "routes": 4, "outmap": 5,
    "schedule": 6, "schedule_dir": 7, "learn_rules": 8, "learn_traces": 9, "learn_synapses": 10,
}
INPUT_TABLES = {"input_ptr": 0, "input_routes": 1}
INPUT_CORE = 0xFF
MAX_WORD_INDEX = 1 << 20


class LinkError(Exception):
    pass


class SimLink:
    """The board's Verilator model: bytes over its stdin and stdout."""

    def __init__(self, path):
        # The model reads its tables' initial images (mem/*.mem) relative to
        # the folder it was built in: EXPORT/board/obj_dir/link_sim.
        path = Path(path).resolve()
        self.proc = subprocess.Popen(
            [str(path)], cwd=path.parents[2], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.proc.stdout.read(n - len(out))
            if not chunk:
                raise LinkError("the simulation closed the link")
            out += chunk
        return out

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


class SerialLink:
    """A serial port (pyserial), 8N1."""

    def __init__(self, port, baud):
        import serial  # only a real board needs it

        self.port = serial.Serial(port, baud, timeout=5)

    def write(self, data):
        self.port.write(data)

    def read(self, n):
        data = self.port.read(n)
        if len(data) != n:
            raise LinkError(f"timed out waiting for the board ({len(data)} of {n} bytes)")
        return data

    def close(self):
        self.port.close()


def header_constant(export, name):
    text = (Path(export) / "rtl" / "snn_params.vh").read_text()
    m = re.search(rf"^`define SNN_{name} (\d+)$", text, re.M)
    if not m:
        raise LinkError(f"rtl/snn_params.vh has no SNN_{name}")
    return int(m.group(1))


def read_mem(path):
    words = []
    for n, line in enumerate(Path(path).read_text().split(), 1):
        if not re.fullmatch(r"[0-9a-fA-F]+", line):
            raise LinkError(f"{path}:{n}: not a hex word")
        words.append(int(line, 16))
    return words


class Board:
    def __init__(self, link, prog_bits):
        self.link = link
        self.prog_bytes = (prog_bits + 7) // 8

    def expect(self, byte):
        got = self.link.read(1)
        if got != byte:
            raise LinkError(f"expected {byte!r} from the board, got {got!r}")

    def write(self, core, table, index, word):
        if not 0 <= index < MAX_WORD_INDEX:
            raise LinkError(f"word {index} is beyond the programming port's 20-bit index")
        if word >> (8 * self.prog_bytes):
            raise LinkError(f"a {word.bit_length()}-bit word does not fit the {8 * self.prog_bytes}-bit programming port")
        addr = core << 24 | table << 20 | index
        self.link.write(b"W" + struct.pack("<I", addr) + word.to_bytes(self.prog_bytes, "little"))
        self.expect(b"k")

    def load(self, export):
        """Writes every table of the export; returns the number of words."""
        count = 0
        for path in sorted((Path(export) / "mem").glob("*.mem")):
            m = re.fullmatch(r"core_(\d+)_([a-z_]+)", path.stem)
            if m and m.group(2) in CORE_TABLES:
                core, table = int(m.group(1)), CORE_TABLES[m.group(2)]
                if core >= INPUT_CORE:
                    raise LinkError(f"{path.name}: core {core} is beyond the port's 8-bit core field")
            elif path.stem in INPUT_TABLES:
                core, table = INPUT_CORE, INPUT_TABLES[path.stem]
            else:
                raise LinkError(f"{path.name}: not a table of the programming port")
            for i, w in enumerate(read_mem(path)):
                self.write(core, table, i, w)
                count += 1
        return count

    def start(self):
        self.link.write(b"S")
        self.expect(b"k")

    def step(self, channels):
        """One timestep: returns (output channels, clock cycles)."""
        if len(channels) > 0xFFFF:
            raise LinkError(f"{len(channels)} input events in one step; the link carries at most 65535")
        if any(not 0 <= c <= 0xFFFFFFFF for c in channels):
            raise LinkError("an input channel outside 0..2^32-1")
        self.link.write(b"T" + struct.pack("<H", len(channels)) + b"".join(struct.pack("<I", c) for c in channels))
        spikes = []
        while True:
            kind = self.link.read(1)
            value = struct.unpack("<I", self.link.read(4))[0]
            if kind == b"s":
                spikes.append(value)
            elif kind == b"d":
                return spikes, value
            else:
                raise LinkError(f"unexpected reply {kind!r} during a step")


def stimulus_steps(export):
    """The testbench's input beats as a list of steps, each a list of channels."""
    steps, current = [], []
    for word in read_mem(Path(export) / "tb" / "stimulus.mem"):
        channel, keep, last = word & 0xFFFFFFFF, (word >> 32) & 1, (word >> 33) & 1
        if keep:
            current.append(channel)
        if last:
            steps.append(current)
            current = []
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="an export-hdl folder")
    link = ap.add_mutually_exclusive_group(required=True)
    link.add_argument("--port", help="serial port of the board")
    link.add_argument("--sim", help="the board's Verilator model (board/build_link_sim.sh)")
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--runs", type=int, default=1, help="inferences to split the stimulus into")
    ap.add_argument("--no-load", action="store_true", help="keep the tables the bitstream holds")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    prog_bits = header_constant(args.export, "PROG_W")
    steps = stimulus_steps(args.export)
    if len(steps) % args.runs:
        ap.error(f"the stimulus has {len(steps)} steps, not a multiple of --runs {args.runs}")
    per_run = len(steps) // args.runs
    chan = SimLink(args.sim) if args.sim else SerialLink(args.port, args.baud)
    board = Board(chan, prog_bits)
    try:
        if not args.no_load:
            print(f"LOADED words={board.load(args.export)}", flush=True)
        for r in range(args.runs):
            board.start()
            for t in range(per_run):
                spikes, cycles = board.step(steps[r * per_run + t])
                for ch in spikes:
                    print(f"SPIKE run={r} t={t} out={ch}")
                print(f"CYCLES run={r} t={t} n={cycles}")
        print("DONE")
    finally:
        chan.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (LinkError, OSError) as e:
        print(f"snn_host: {e}", file=sys.stderr)
        sys.exit(1)
