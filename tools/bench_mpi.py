#!/usr/bin/env python3
"""One process against several: `spikefab run` vs `mpirun -np N spikefab run --mpi`.

Runs the configurations interleaved, ROUNDS times, on one program and input
(e.g. from `target/release/examples/p16k save N STEPS DIR`), checks that every
run's spikes and report are byte-identical to the first's, and prints each
configuration's emulation wall time (host.json; the loop only, not loading)
as min / median / max, its speed-up over 1 process × 1 thread within each
round, and the bytes rank 0 sent per step.

    cargo build --release --features mpi --example p16k --bin spikefab
    target/release/examples/p16k save 16384 1000 /tmp/p16k16
    python3 tools/bench_mpi.py /tmp/p16k16 --rounds 5

Needs only the standard library, mpirun (OpenMPI) and a spikefab built with
`--features mpi`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIGS = [(1, 1), (1, 2), (2, 1)]  # (processes, threads per process)


def run(bin_path, folder, ranks, threads, out):
    args = [str(bin_path), "--quiet", "run", str(folder / "program.sfc"),
            "--input", str(folder / "input.aer"), "--threads", str(threads), "--out", str(out)]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    if ranks > 1:
        args = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(ranks)] + args + ["--mpi"]
    subprocess.run(args, check=True, env=env)
    host = json.loads((out / "host.json").read_text())
    return host, (out / "report.json").read_bytes(), (out / "spikes.npy").read_bytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="holds program.sfc and input.aer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", type=Path, default=Path("target/release/spikefab"))
    a = ap.parse_args()
    walls = {c: [] for c in CONFIGS}
    ratios = {c: [] for c in CONFIGS}
    sent = {}
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            this_round = {}
            for c in CONFIGS:
                host, report, spikes = run(a.bin, a.folder, *c, Path(tmp) / f"r{r}p{c[0]}t{c[1]}")
                if reference is None:
                    reference = (report, spikes)
                elif (report, spikes) != reference:
                    sys.exit(f"{c[0]} process(es) × {c[1]} thread(s) differ from the first run")
                this_round[c] = host["wall_s"]
                walls[c].append(host["wall_s"])
                sent[c] = host.get("rank0_bytes_sent", 0) / host["steps"]
            for c in CONFIGS:
                ratios[c].append(this_round[(1, 1)] / this_round[c])
            print(f"round {r + 1}: " + ", ".join(f"{p}×{t}: {this_round[(p, t)]:.3f} s" for p, t in CONFIGS),
                  file=sys.stderr)
    print("| processes × threads | wall s (min / median / max) | speed-up vs 1 × 1 (min / median / max) | bytes sent by rank 0 per step |")
    print("|---|---|---|---|")
    for c in CONFIGS:
        w, q = walls[c], ratios[c]
        print(f"| {c[0]} × {c[1]} | {min(w):.3f} / {statistics.median(w):.3f} / {max(w):.3f} | "
              f"{min(q):.2f} / {statistics.median(q):.2f} / {max(q):.2f} | {sent[c]:,.0f} |")
    print(f"all {a.rounds * len(CONFIGS)} runs byte-identical (spikes.npy, report.json)")


if __name__ == "__main__":
    main()
