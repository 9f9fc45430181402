#!/usr/bin/env python3
"""P16k side by side: spikefab against Brian2's C++ standalone mode, on the
same draws, interleaved, several rounds; prints each round's times and the
ratios (min / median / max) of synaptic events per second.

    python3 -m venv .venv-peers
    .venv-peers/bin/pip install brian2==2.9.0 "numpy<2"     # Brian2 2.9 predates NumPy 2
    cargo build --release --example p16k
    .venv-peers/bin/python tools/bench_peers.py --rounds 5 --threads 1

The network (docs/performance.md): 16,384 LIF neurons, decay 0.9 a 1 ms
step, threshold 1, reset to 0, 256 outgoing synapses a neuron to targets
drawn with NumPy's default_rng(1) (repeats allowed), weights U[0,1) x
0.0045; 1,024 Bernoulli(0.1) inputs with 64 targets each of weight 0.2;
1,000 steps. The draws are written as .npy and both sides read them, so they
run the same synapses on the same input spikes. Events are counted the same
way on both sides: recurrent spikes x 256. spikefab's time is its step loop
(emulator set-up included; reading and compiling not); Brian2's is the run
time its standalone binary reports (its set-up and file loading excluded).
spikefab computes 8-bit weights: the synapses whose weights round to zero
are reported (they are not stored, so they cost no operation).
"""
import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
P16K = ROOT / "target" / "release" / "examples" / "p16k"
N, FAN, INPUTS, IN_FAN, STEPS = 16_384, 256, 1_024, 64, 1_000


def write_draws(folder):
    rng = np.random.default_rng(1)
    targets = rng.integers(0, N, size=(N, FAN), dtype=np.int64)
    weights = rng.random((N, FAN)) * 0.0045
    input_targets = rng.integers(0, N, size=(INPUTS, IN_FAN), dtype=np.int64)
    spikes = rng.random((STEPS, INPUTS)) < 0.1
    for name, a in [("targets", targets), ("weights", weights), ("input_targets", input_targets), ("input", spikes)]:
        np.save(folder / f"{name}.npy", a)
    return targets, weights, input_targets, spikes


def brian2_build(folder, draws, threads):
    """Builds the standalone project once; each round reruns its binary."""
    import brian2 as b2

    targets, weights, input_targets, spikes = draws
    b2.set_device("cpp_standalone", build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    b2.defaultclock.dt = 1 * b2.ms
    # decay, then the previous step's spikes arrive, then threshold: a spike
    # at step t adds its weight at t + 1, undecayed, as in spikefab (Brian2's
    # default order delivers after the threshold, so the weight decays once)
    b2.magic_network.schedule = ["start", "groups", "synapses", "thresholds", "resets", "end"]
    tau = -1 * b2.ms / np.log(0.9)  # exact integration: v decays by 0.9 a step
    g = b2.NeuronGroup(N, "dv/dt = -v / tau : 1", threshold="v > 1", reset="v = 0", method="exact",
                       namespace={"tau": tau})
    rec = b2.Synapses(g, g, "w : 1", on_pre="v += w")
    rec.connect(i=np.repeat(np.arange(N), FAN), j=targets.ravel())
    rec.w = weights.ravel()
    steps, idx = np.nonzero(spikes)
    inp = b2.SpikeGeneratorGroup(INPUTS, idx, steps * b2.ms)
    feed = b2.Synapses(inp, g, on_pre="v += 0.2")
    feed.connect(i=np.repeat(np.arange(INPUTS), IN_FAN), j=input_targets.ravel())
    counter = b2.SpikeMonitor(g, record=False)
    b2.run(STEPS * b2.ms)
    b2.device.build(directory=str(folder / "brian2"), run=False, compile=True)
    return b2, counter


def brian2_round(b2, counter):
    b2.device.run(with_output=False)
    return {"loop_s": b2.device._last_run_time, "spikes": int(counter.num_spikes)}


def spikefab_round(folder, threads):
    out = subprocess.run([str(P16K), "draws", str(folder), str(threads)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        draws = write_draws(folder)
        b2, counter = brian2_build(folder, draws, args.threads)
        ratios = []
        for r in range(args.rounds):
            sf = spikefab_round(folder, args.threads)
            br = brian2_round(b2, counter)
            sf_rate = sf["events"] / sf["loop_s"]
            br_rate = br["spikes"] * FAN / br["loop_s"]
            ratios.append(sf_rate / br_rate)
            print(f"round {r + 1}: spikefab {sf['spikes']} spikes in {sf['loop_s']:.2f} s = {sf_rate:.3e} events/s; "
                  f"Brian2 {br['spikes']} spikes in {br['loop_s']:.2f} s = {br_rate:.3e} events/s; "
                  f"ratio {ratios[-1]:.2f}", flush=True)
        zero = sf["float_synapses"] - sf["stored_synapses"]
        print(f"threads {args.threads}: spikefab / Brian2 events per second, min {min(ratios):.2f}, "
              f"median {statistics.median(ratios):.2f}, max {max(ratios):.2f} ({args.rounds} interleaved rounds); "
              f"spikefab stores {sf['stored_synapses']} of {sf['float_synapses']} synapses "
              f"({zero} weights round to zero at 8 bits)")


if __name__ == "__main__":
    main()
