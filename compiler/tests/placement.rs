//! A placement file puts every population exactly where it says, and every
//! way it can be wrong is an error naming the population, block or core.

use std::path::Path;

use spikefab_chip::Arch;
use spikefab_compiler::{compile, compile_placed, Network, Placement};

fn mlp() -> Network {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    Network::load(&dir.join("../examples/networks/mlp.ron")).unwrap()
}

fn placement(text: &str) -> Placement {
    Placement::from_ron_str(text, Path::new("p.ron")).unwrap()
}

#[test]
fn the_shipped_placement_is_followed_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = Placement::load(&dir.join("../examples/placements/mlp.ron")).unwrap();
    let arch = Arch::preset("fpga-small").unwrap();
    let prog = compile_placed(&mlp(), &arch, &p).unwrap().program;
    let cores: Vec<(u32, Vec<String>)> = prog
        .cores
        .iter()
        .map(|c| (c.core_id, c.groups.iter().map(|g| g.name.clone()).collect()))
        .collect();
    assert_eq!(
        cores,
        vec![
            (0, vec!["hidden[0..32]".to_string()]),
            (1, vec!["hidden[32..64]".to_string()]),
            (3, vec!["out[0..10]".to_string()]),
        ]
    );
    assert_eq!(prog.input_cores, vec![2; 16]);
    assert_eq!(prog.input_core(5), 2);
    // The same network compiled freely gives the same spikes on any input: the
    // placement moves neurons, never changes what they compute.
    let free = compile(&mlp(), &arch, 1).unwrap().program;
    let input = spikefab_emulator::workload::poisson_input(16, 50, 0.3, prog.dt, 2);
    let run = |p| {
        spikefab_emulator::run(
            p,
            &input,
            &spikefab_emulator::RunConfig::new(50, 1),
            &|_| {},
        )
        .unwrap()
        .spikes
    };
    assert_eq!(run(&prog), run(&free));
}

#[test]
fn blocks_may_share_a_core_and_inputs_default_to_their_first_target() {
    let p = placement(
        r#"(populations: [
            (name: "hidden", cores: [(core: 2, neurons: 64)]),
            (name: "out", cores: [(core: 2, neurons: 10)]),
        ])"#,
    );
    let prog = compile_placed(&mlp(), &Arch::preset("fpga-small").unwrap(), &p)
        .unwrap()
        .program;
    assert_eq!(prog.cores.len(), 1);
    assert_eq!(prog.cores[0].core_id, 2);
    assert!(prog.input_cores.is_empty());
    assert_eq!(prog.input_core(0), 2);
}

#[test]
fn wrong_placements_are_errors_naming_what_is_wrong() {
    let arch = Arch::preset("fpga-small").unwrap();
    for (text, expect) in [
        (
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 64)])])"#,
            "population 'out' is not placed",
        ),
        (
            r#"(populations: [(name: "hiddn", cores: [(core: 0, neurons: 64)])])"#,
            "no population is named 'hiddn'",
        ),
        (
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 60)]), (name: "out", cores: [(core: 1, neurons: 10)])])"#,
            "'hidden' has 64 neurons, its blocks place 60",
        ),
        (
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 65)]), (name: "out", cores: [(core: 1, neurons: 10)])])"#,
            "its blocks place more",
        ),
        (
            r#"(populations: [(name: "hidden", cores: [(core: 9, neurons: 64)]), (name: "out", cores: [(core: 1, neurons: 10)])])"#,
            "core 9 does not exist (the arch has 4)",
        ),
        (
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 0), (core: 0, neurons: 64)]), (name: "out", cores: [(core: 1, neurons: 10)])])"#,
            "block 0 places no neurons",
        ),
        (
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 64)]), (name: "out", cores: [(core: 1, neurons: 10)]), (name: "out", cores: [(core: 1, neurons: 10)])])"#,
            "placed twice",
        ),
        (
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 64)]), (name: "out", cores: [(core: 1, neurons: 10)])], inputs: [(name: "inn", cores: [(core: 0, neurons: 16)])])"#,
            "no input is named 'inn'",
        ),
    ] {
        let e = compile_placed(&mlp(), &arch, &placement(text))
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"))
            .to_string();
        assert!(e.contains(expect), "{expect}: {e}");
    }
    // More neurons on one core than it holds.
    let mut small = arch.clone();
    small.core.max_neurons = 50;
    let e = compile_placed(
        &mlp(),
        &small,
        &placement(
            r#"(populations: [(name: "hidden", cores: [(core: 0, neurons: 64)]), (name: "out", cores: [(core: 1, neurons: 10)])])"#,
        ),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("puts 64 compartments (somas and dendritic branches) on core 0, which holds 50"),
        "{e}"
    );
    // A placement file that is not RON names the file.
    let e = Placement::from_ron_str("(populations: [", Path::new("bad.ron"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.ron"), "{e}");
}
