//! The Lava fixture (tools/lava_lif_reference.py), shared by the chip and
//! emulator tests: `#[path = "..."] mod lava_fixture;`.
// Each test binary reads only the fields it checks.
#![allow(dead_code)]

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Fixture {
    pub cases: Vec<Case>,
}

/// One parameter set: Lava's inputs, parameters and per-step trace.
#[derive(Deserialize)]
pub struct Case {
    pub name: String,
    pub n_in: usize,
    pub n_out: usize,
    pub steps: usize,
    pub du: u16,
    pub dv: u16,
    pub vth: u32,
    pub weight_exp: i8,
    /// `[n_out][n_in]`, after Lava's 8-bit clipping.
    pub effective_weights: Vec<Vec<i64>>,
    pub bias_mant: Vec<i32>,
    pub bias_exp: Vec<i8>,
    /// `[steps][n_in]`
    pub input_spikes: Vec<Vec<u8>>,
    /// `[steps][n_out]`
    pub a_in: Vec<Vec<i64>>,
    pub u: Vec<Vec<i64>>,
    pub v: Vec<Vec<i64>>,
    pub spikes: Vec<Vec<u8>>,
}

pub fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../data/lava_lif_traces.json"))
        .expect("the committed Lava fixture parses")
}
