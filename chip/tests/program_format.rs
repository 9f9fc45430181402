//! CoreProgram files: RON and .sfc round-trip exactly; damaged files and
//! programs that exceed their arch are rejected with errors that say where.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use spikefab_chip::model::{alif, cuba_lif, if_, li, Dendrites, Schedule, ScheduleStep};
use spikefab_chip::*;
use std::path::Path;

fn group() -> impl Strategy<Value = NeuronGroup> {
    (1usize..6, prop::sample::select(ModelKind::ALL), -8i8..8).prop_flat_map(
        |(n, model, weight_exp)| {
            (
                prop::collection::vec(0u16..4096, n),
                prop::collection::vec(0u16..4096, n),
                prop::collection::vec(-4096i32..4096, n),
                prop::collection::vec(-8i8..8, n),
                prop::collection::vec(0u32..131072, n),
            )
                .prop_map(move |(du, dv, bias_mant, bias_exp, vth)| {
                    let at = |i: usize| (du[i], dv[i], bias_mant[i], bias_exp[i], vth[i]);
                    let neurons = match model {
                        ModelKind::CubaLif => Neurons::CubaLif(
                            (0..n)
                                .map(at)
                                .map(|(du, dv, bias_mant, bias_exp, vth)| cuba_lif::Stored {
                                    du,
                                    dv,
                                    bias_mant,
                                    bias_exp,
                                    vth,
                                })
                                .collect(),
                        ),
                        ModelKind::If => Neurons::If(
                            (0..n)
                                .map(at)
                                .map(|(_, _, bias_mant, bias_exp, vth)| if_::Stored {
                                    bias_mant,
                                    bias_exp,
                                    vth,
                                })
                                .collect(),
                        ),
                        ModelKind::Alif => Neurons::Alif(
                            (0..n)
                                .map(at)
                                .map(|(du, dv, bias_mant, bias_exp, vth)| alif::Stored {
                                    du,
                                    dv,
                                    da: dv / 2,
                                    bias_mant,
                                    bias_exp,
                                    vth,
                                    step: vth / 4,
                                })
                                .collect(),
                        ),
                        ModelKind::Li => Neurons::Li(
                            (0..n)
                                .map(at)
                                .map(|(du, dv, bias_mant, bias_exp, _)| li::Stored {
                                    du,
                                    dv,
                                    bias_mant,
                                    bias_exp,
                                })
                                .collect(),
                        ),
                    };
                    NeuronGroup {
                        name: format!("layer{n}"),
                        weight_exp,
                        neurons,
                        reset: Reset::Zero,
                        // Some groups carry a table: entries that move no
                        // threshold below 0 and keep the exponent in range.
                        schedule: (n % 2 == 0).then(|| Schedule {
                            steps: (0..n % 5 + 1)
                                .map(|k| ScheduleStep {
                                    threshold: (k != 2).then_some(k as i32),
                                    input_shift: 0,
                                })
                                .collect(),
                        }),
                        noise: None,
                        // every other group dendritic: its synapses target slots
                        dendrites: (weight_exp % 2 == 0).then_some(Dendrites {
                            branches: (n % 4 + 1) as u8,
                            cap: 100,
                        }),
                    }
                })
        },
    )
}

/// A structurally valid random program on the loihi preset.
fn program() -> impl Strategy<Value = CoreProgram> {
    (
        prop::collection::vec(prop::collection::vec(group(), 1..3), 1..4),
        any::<f64>(),
        1usize..4,
    )
        .prop_flat_map(|(cores, dt, inputs)| {
            let sizes: Vec<usize> = cores
                .iter()
                .map(|g| g.iter().map(|g| g.len()).sum())
                .collect();
            let n_cores = cores.len();
            let axons = 3usize;
            let rows = sizes
                .iter()
                .map(|&n| {
                    prop::collection::vec(
                        prop::collection::vec((0..n as u16, -256i16..256, 0u8..8), 0..6),
                        axons,
                    )
                })
                .collect::<Vec<_>>();
            let routes = sizes
                .iter()
                .map(|&n| {
                    prop::collection::vec(
                        prop::collection::vec((0..n_cores as u32, 0..axons as u32, 0u8..4), 0..3),
                        n,
                    )
                })
                .collect::<Vec<_>>();
            let ins = prop::collection::vec(
                prop::collection::vec((0..n_cores as u32, 0..axons as u32, 0u8..4), 0..3),
                inputs,
            );
            (Just(cores), Just(dt), rows, routes, ins)
        })
        .prop_map(|(cores, dt, rows, routes, ins)| {
            let mk = |l: &Vec<Vec<(u32, u32, u8)>>| {
                RouteTable::from_lists(
                    &l.iter()
                        .map(|v| {
                            v.iter()
                                .map(|&(core, axon, delay)| Route { core, axon, delay })
                                .collect()
                        })
                        .collect::<Vec<_>>(),
                )
            };
            let cfgs: Vec<CoreConfig> = cores
                .into_iter()
                .zip(rows)
                .zip(&routes)
                .enumerate()
                .map(|(i, ((groups, rows), routes))| CoreConfig {
                    core_id: i as u32 * 5,
                    groups,
                    synapses: SynapseTable::from_rows(&rows),
                    routes: mk(routes),
                    learning: Vec::new(),
                })
                .collect();
            CoreProgram {
                format_version: PROGRAM_FORMAT_VERSION,
                arch: Arch::preset("loihi").unwrap(),
                dt: if dt.is_finite() && dt > 0.0 { dt } else { 1e-3 },
                outputs: vec![OutputPort { core: 0, neuron: 0 }],
                cores: cfgs,
                inputs: mk(&ins),
                input_cores: Vec::new(),
                provenance: Provenance {
                    source: "proptest \"quoted\" ✓".into(),
                    source_sha256: Some("ab".repeat(32)),
                    producer: "test".into(),
                    layers: vec![LayerScale {
                        name: "l".into(),
                        weight_scale: dt.abs().min(1e300),
                        weight_exp: -3,
                    }],
                    output_latency_steps: 0,
                },
                noise_seed: None,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn ron_round_trips_exactly(p in program()) {
        prop_assert!(p.validate().is_ok(), "{:?}", p.validate());
        let back = CoreProgram::from_ron(&p.to_ron(), Path::new("p.ron")).unwrap();
        prop_assert_eq!(back, p);
    }

    #[test]
    fn sfc_round_trips_exactly(p in program()) {
        let back = CoreProgram::from_sfc(&p.to_sfc(), Path::new("p.sfc")).unwrap();
        prop_assert_eq!(back, p);
    }

    /// Any truncation of an .sfc file is an error, never a panic.
    #[test]
    fn truncated_sfc_is_an_error(p in program(), frac in 0.0f64..1.0) {
        let b = p.to_sfc();
        let cut = (b.len() as f64 * frac) as usize;
        prop_assert!(CoreProgram::from_sfc(&b[..cut], Path::new("p.sfc")).is_err());
    }
}

#[test]
fn files_round_trip_through_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let p = program().new_tree(&mut runner).unwrap().current();
    for name in ["p.sfc", "p.ron"] {
        let path = dir.path().join(name);
        p.save(&path).unwrap();
        assert_eq!(CoreProgram::load(&path).unwrap(), p);
    }
    let e = p.save(&dir.path().join("p.txt")).unwrap_err().to_string();
    assert!(e.contains(".sfc or .ron"), "{e}");
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn oversized_core_names_the_core_and_resource() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut p = program().new_tree(&mut runner).unwrap().current();
    let last = p.cores.len() - 1;
    let g = &mut p.cores[last].groups[0];
    let n = 1100 - g.len();
    g.neurons = Neurons::If(vec![if_::Stored::default(); g.len() + n]);
    // keep route pointers consistent with the new neuron count
    let neurons = p.cores[last].num_neurons();
    let r = &mut p.cores[last].routes;
    while r.num_sources() < neurons {
        r.end_source();
    }
    let e = p.validate().unwrap_err().to_string();
    assert!(
        e.contains(&format!("core {last}")) && e.contains("compartments") && e.contains("1024"),
        "{e}"
    );
}

#[test]
fn bad_dendrites_and_slot_targets_name_the_group_and_field() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let p = program().new_tree(&mut runner).unwrap().current();
    let with = |k: u8, cap: u32, compartments: u32| {
        let mut p = p.clone();
        p.arch.core.compartments_per_neuron = compartments;
        p.cores[0].groups[0].dendrites = Some(Dendrites { branches: k, cap });
        let name = p.cores[0].groups[0].name.clone();
        (p.validate().err().map(|e| e.to_string()), name)
    };
    assert_eq!(with(2, 100, 4).0, None);
    for (k, cap, compartments, field) in [
        (0, 100, 4, "branches 0"),
        (5, 100, 4, "branches 5 is outside 1..=4"),
        (2, 0, 4, "cap 0"),
        (2, 1 << 23, 4, "cap 8388608"),
        (2, 100, 0, "compartments_per_neuron: 0"),
    ] {
        let (e, name) = with(k, cap, compartments);
        let e = e.expect(field);
        assert!(e.contains(&name) && e.contains(field), "{e}");
    }
    // a synapse beyond the core's input slots
    let mut bad = p.clone();
    let slots = bad.cores[0].num_input_slots() as u16;
    let w = bad.cores[0].synapses.word(0);
    bad.cores[0]
        .synapses
        .set_word(0, spikefab_chip::program::Synapse { target: slots, ..w });
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains(&format!("input slot {slots}")), "{e}");
}

#[test]
fn wrong_magic_and_version_are_explained() {
    let e = CoreProgram::from_sfc(b"PK\x03\x04zipfile", Path::new("x.sfc"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.sfc") && e.contains("magic"), "{e}");
    let next = PROGRAM_FORMAT_VERSION + 1;
    let mut bytes = b"SFC\0".to_vec();
    bytes.extend_from_slice(&next.to_le_bytes());
    let e = CoreProgram::from_sfc(&bytes, Path::new("x.sfc"))
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("version {next}")), "{e}");
}

/// A route into an axon a core does not have is reported as such, not a
/// panic of the plasticity check that looks at routes into plastic axons.
#[test]
fn a_route_past_a_learning_cores_axons_is_an_error() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut p = program().new_tree(&mut runner).unwrap().current();
    p.arch.core.plasticity = true;
    p.cores[0].learning = vec![spikefab_chip::model::LearningRule {
        epoch: 1,
        phase: 0,
        trace_decay: 4096,
        impulse: 16,
        rate: -8,
        rate_shift: 4,
        plastic_decay: 400,
    }];
    let n = p.cores[0].synapses.len();
    p.cores[0].synapses.rule = vec![1; n];
    p.cores[0].synapses.delay = vec![0; n];
    let undelay = |r: Route| Route {
        delay: if r.core == 0 { 0 } else { r.delay },
        ..r
    };
    p.inputs.map(undelay);
    for c in &mut p.cores {
        c.routes.map(undelay);
    }
    p.validate().unwrap();
    let axons = p.cores[0].synapses.num_axons() as u32;
    // checked after the cores' own tables: the plasticity check meets it first
    p.inputs = RouteTable::from_lists(&[vec![Route {
        core: 0,
        axon: axons + 7,
        delay: 1,
    }]]);
    p.input_cores.clear();
    let e = p.validate().unwrap_err().to_string();
    assert!(e.contains("axon"), "{e}");
}
