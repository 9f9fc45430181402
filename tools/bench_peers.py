#!/usr/bin/env python3
"""P16k side by side: spikefab against Brian2's C++ standalone mode and NEST
3.10, on the same draws, interleaved, several rounds; prints each round's
times and the ratios (min / median / max) of synaptic events per second.

    python3 -m venv .venv-peers
    .venv-peers/bin/pip install brian2==2.9.0 "numpy<2"     # Brian2 2.9 predates NumPy 2
    .venv-peers/bin/pip install nest-simulator==3.10.0       # optional: the NEST column
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
import time
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


def nest_round(draws, threads):
    """NEST 3.10: iaf_psc_delta (delta synapses: a spike adds its weight to
    v one 1 ms step later, as in spikefab), rebuilt each round; its time is
    `Simulate` alone. Input spikes are sent at step + 1 ms (NEST's times
    must be positive): the same spikes one step later."""
    import nest

    targets, weights, input_targets, spikes = draws
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": 1.0, "local_num_threads": threads, "rng_seed": 1})
    tau = -1.0 / np.log(0.9)  # v decays by 0.9 a step
    g = nest.Create("iaf_psc_delta", N, params={
        "E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1.0, "C_m": 1.0, "tau_m": tau, "t_ref": 0.0,
    })
    ids = np.array(g.tolist())
    nest.Connect(np.repeat(ids, FAN), ids[targets.ravel()], "one_to_one",
                 syn_spec={"weight": weights.ravel(), "delay": np.ones(N * FAN)})
    gens = nest.Create("spike_generator", INPUTS)
    for k, gen in enumerate(gens):
        times = np.nonzero(spikes[:, k])[0] + 1.0
        gen.set(spike_times=times.tolist())
    gen_ids = np.array(gens.tolist())
    nest.Connect(np.repeat(gen_ids, IN_FAN), ids[input_targets.ravel()], "one_to_one",
                 syn_spec={"weight": np.full(INPUTS * IN_FAN, 0.2), "delay": np.ones(INPUTS * IN_FAN)})
    rec = nest.Create("spike_recorder")
    nest.Connect(g, rec)
    started = time.perf_counter()
    nest.Simulate(float(STEPS))
    loop_s = time.perf_counter() - started
    return {"loop_s": loop_s, "spikes": int(rec.n_events)}


def spikefab_round(folder, threads):
    out = subprocess.run([str(P16K), "draws", str(folder), str(threads)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-nest", action="store_true", help="leave NEST out (also left out when it is not installed)")
    args = ap.parse_args()
    try:
        import nest  # noqa: F401
        with_nest = not args.no_nest
    except ImportError:
        with_nest = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        draws = write_draws(folder)
        b2, counter = brian2_build(folder, draws, args.threads)
        ratios, nest_ratios = [], []
        for r in range(args.rounds):
            sf = spikefab_round(folder, args.threads)
            br = brian2_round(b2, counter)
            sf_rate = sf["events"] / sf["loop_s"]
            br_rate = br["spikes"] * FAN / br["loop_s"]
            ratios.append(sf_rate / br_rate)
            line = (f"round {r + 1}: spikefab {sf['spikes']} spikes in {sf['loop_s']:.2f} s = {sf_rate:.3e} events/s; "
                    f"Brian2 {br['spikes']} spikes in {br['loop_s']:.2f} s = {br_rate:.3e} events/s; "
                    f"ratio {ratios[-1]:.2f}")
            if with_nest:
                ne = nest_round(draws, args.threads)
                ne_rate = ne["spikes"] * FAN / ne["loop_s"]
                nest_ratios.append(sf_rate / ne_rate)
                line += (f"; NEST {ne['spikes']} spikes in {ne['loop_s']:.2f} s = {ne_rate:.3e} events/s; "
                         f"ratio {nest_ratios[-1]:.2f}")
            print(line, flush=True)
        zero = sf["float_synapses"] - sf["stored_synapses"]
        print(f"threads {args.threads}: spikefab / Brian2 events per second, min {min(ratios):.2f}, "
              f"median {statistics.median(ratios):.2f}, max {max(ratios):.2f} ({args.rounds} interleaved rounds); "
              f"spikefab stores {sf['stored_synapses']} of {sf['float_synapses']} synapses "
              f"({zero} weights round to zero at 8 bits)")
        if nest_ratios:
            print(f"threads {args.threads}: spikefab / NEST events per second, min {min(nest_ratios):.2f}, "
                  f"median {statistics.median(nest_ratios):.2f}, max {max(nest_ratios):.2f}")


if __name__ == "__main__":
    main()
