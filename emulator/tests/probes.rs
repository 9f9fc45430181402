//! Probes: state registers read after every step's update, the same for
//! any thread count, consistent with the spikes, and refused by name when
//! they ask for what the program does not have.

use std::sync::Mutex;

use spikefab_chip::CoreProgram;
use spikefab_emulator::probe::resolve;
use spikefab_emulator::workload::{poisson_input, Synthetic};
use spikefab_emulator::{Emulator, RunConfig};

fn program() -> CoreProgram {
    let mut net = Synthetic::benchmark(3);
    net.neurons_per_core = 32;
    net.fanout = 8;
    net.dest_cores = 2;
    net.inputs = 8;
    net.input_fanout = 8;
    net.outputs = 32; // every neuron of core 0 ("random0") is an output
    net.build()
}

/// Every probe row of a run, in the order the sink saw them.
fn probed(
    p: &CoreProgram,
    threads: usize,
    probes: &[spikefab_emulator::Probe],
) -> (Vec<(u32, Vec<i32>)>, spikefab_chip::SpikeStream) {
    let rows = Mutex::new(Vec::new());
    let cfg = RunConfig {
        probes: probes.to_vec(),
        ..RunConfig::new(60, threads)
    };
    let out = Emulator::new(p)
        .unwrap()
        .run_probed(
            &poisson_input(8, 60, 0.3, p.dt, 5),
            &cfg,
            &|_| {},
            &|t, v| rows.lock().unwrap().push((t, v.to_vec())),
        )
        .unwrap();
    (rows.into_inner().unwrap(), out.spikes)
}

#[test]
fn probes_stream_every_step_in_order_for_any_thread_count() {
    let p = program();
    let mut probes = resolve(&p, "random0", None, "v").unwrap();
    probes.extend(resolve(&p, "random2", Some(3..7), "u").unwrap());
    assert_eq!(probes.len(), 36);
    let (one, spikes) = probed(&p, 1, &probes);
    let (three, _) = probed(&p, 3, &probes);
    assert_eq!(one, three);
    assert_eq!(
        one.iter().map(|r| r.0).collect::<Vec<_>>(),
        (0..60).collect::<Vec<_>>()
    );
    // Zero reset: a neuron that fired at t shows v = 0 after t's update.
    let dense = spikes.to_dense();
    let mut fired = 0;
    for (t, row) in &one {
        for k in 0..32 {
            if dense[*t as usize * 32 + k] != 0 {
                fired += 1;
                assert_eq!(row[k], 0, "neuron {k} fired at {t}");
            }
        }
    }
    assert!(fired > 20, "the probed neurons must fire");
    assert!(
        one.iter().any(|(_, r)| r[..32].iter().any(|&v| v != 0)),
        "v must move"
    );
}

#[test]
fn probes_of_what_the_program_lacks_are_refused_by_name() {
    let p = program();
    let e = |r: Result<_, spikefab_emulator::EmulatorError>| r.unwrap_err().to_string();
    assert!(e(resolve(&p, "nope", None, "v")).contains("no layer 'nope'"));
    assert!(e(resolve(&p, "random1", Some(30..40), "v")).contains("0..32"));
    assert!(e(resolve(&p, "random1", Some(3..3), "v")).contains("non-empty"));
    let msg = e(resolve(&p, "random1", None, "a"));
    assert!(
        msg.contains("CUBA LIF") && msg.contains("u, v") && msg.contains("'a'"),
        "{msg}"
    );
    // A name with a terminal escape is printed escaped.
    assert!(!e(resolve(&p, "x\u{1b}[2J", None, "v")).contains('\u{1b}'));
    // Group names from a hostile program file cannot size anything.
    let mut q = p.clone();
    q.cores[1].groups[0].name = "random0[4000000000..4000000032]".into();
    assert!(e(resolve(&q, "random0", None, "v")).contains("do not tile"));
    // Hand-made probes are checked before the run.
    let cfg = RunConfig {
        probes: vec![spikefab_emulator::Probe {
            core: 9,
            neuron: 0,
            var: 0,
        }],
        ..RunConfig::new(5, 1)
    };
    let err = Emulator::new(&p)
        .unwrap()
        .run_probed(
            &poisson_input(8, 5, 0.3, p.dt, 5),
            &cfg,
            &|_| {},
            &|_, _| {},
        )
        .unwrap_err();
    assert!(err.to_string().contains("core 9"), "{err}");
}
