//! A delay is a delay wherever the program keeps it: a core whose synapses
//! all wait `d` steps behaves exactly like the same core with no synaptic
//! delays (its table then stores none) and `d` steps on every route into
//! it.

mod common;

use spikefab_chip::Route;
use spikefab_emulator::{run, workload::poisson_input, RunConfig};

#[test]
fn a_uniform_synaptic_delay_equals_the_same_delay_on_the_routes() {
    const STEPS: u32 = 80;
    for seed in [3, 4] {
        let base = common::program(seed, 4, 3, "loihi");
        let delayed_core = 1u32;
        let mut in_table = base.clone();
        let mut on_routes = base.clone();
        let n = base.cores[delayed_core as usize].synapses.len();
        in_table.cores[delayed_core as usize].synapses.delay = vec![2; n];
        on_routes.cores[delayed_core as usize].synapses.delay = Vec::new();
        let mut moved = 0;
        let mut delay = |mut r: Route| {
            if r.core == delayed_core {
                assert_eq!(r.delay, 0);
                r.delay = 2;
                moved += 1;
            }
            r
        };
        for c in &mut on_routes.cores {
            c.routes.map(&mut delay);
        }
        on_routes.inputs.map(delay);
        assert!(moved > 0, "some route feeds core {delayed_core}");
        in_table.validate().unwrap();
        on_routes.validate().unwrap();
        let input = poisson_input(6, STEPS, 0.4, base.dt, seed);
        let spikes = |p| {
            run(p, &input, &RunConfig::new(STEPS, 2), &|_| {})
                .unwrap()
                .spikes
        };
        let (a, b) = (spikes(&in_table), spikes(&on_routes));
        assert!(a.len() > 50, "{} spikes", a.len());
        assert_eq!(a, b, "seed {seed}");
        // and the delay matters: without it the spikes differ
        let mut undelayed = on_routes.clone();
        undelayed.cores[delayed_core as usize].synapses.delay = Vec::new();
        let undelay = |mut r: Route| {
            if r.core == delayed_core {
                r.delay = 0;
            }
            r
        };
        undelayed
            .cores
            .iter_mut()
            .for_each(|c| c.routes.map(undelay));
        undelayed.inputs.map(undelay);
        assert_ne!(spikes(&undelayed), a, "seed {seed}");
    }
}
