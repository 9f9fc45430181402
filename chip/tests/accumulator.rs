//! `CoreProgram::validate` proves no step's input sum can leave a 32-bit
//! accumulator: each axon's synapses count once for every route into it.
//! The counts are kept a byte an axon, with the axons that 255 or more
//! routes share counted on elsewhere — so the check must still see every
//! one of 65,539 routes into one axon.

use spikefab_chip::model::if_;
use spikefab_chip::{
    Arch, CoreConfig, CoreProgram, NeuronGroup, Neurons, Provenance, Reset, Route, RouteTable,
    SynapseTable, PROGRAM_FORMAT_VERSION,
};

/// One neuron fed by one axon of weight 32,767, which `routes` input
/// channels all send to.
fn shared_axon(routes: usize) -> CoreProgram {
    let mut arch = Arch::preset("loihi").unwrap();
    arch.format.weight_bits = 16;
    let core = CoreConfig {
        core_id: 0,
        groups: vec![NeuronGroup {
            name: "n".into(),
            weight_exp: 0,
            neurons: Neurons::If(vec![if_::Stored {
                bias_mant: 0,
                bias_exp: 0,
                vth: 10,
            }]),
            reset: Reset::Zero,
            schedule: None,
            noise: None,
            dendrites: None,
        }],
        synapses: SynapseTable::from_rows(&[vec![(0, i16::MAX, 0)]]),
        routes: RouteTable::from_lists(&[vec![]]),
        learning: Vec::new(),
    };
    let to_axon = Route {
        core: 0,
        axon: 0,
        delay: 0,
    };
    CoreProgram {
        format_version: PROGRAM_FORMAT_VERSION,
        arch,
        dt: 1e-3,
        cores: vec![core],
        inputs: RouteTable::from_lists(&vec![vec![to_axon]; routes]),
        input_cores: Vec::new(),
        outputs: Vec::new(),
        provenance: Provenance::default(),
        noise_seed: None,
    }
}

#[test]
fn every_route_into_a_shared_axon_counts() {
    // 65,538 × 32,767 = 2,147,483,646 fits; one route more does not.
    assert!(shared_axon(65_538).validate().is_ok());
    let err = shared_axon(65_539).validate().unwrap_err().to_string();
    assert!(
        err.contains("input slot 0") && err.contains("beyond the 32-bit accumulator"),
        "{err}"
    );
    assert!(shared_axon(300).validate().is_ok());
}
