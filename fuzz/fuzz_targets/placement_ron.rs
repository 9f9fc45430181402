//! Fuzz target: the `placement_ron` reader of `spikefab::readers` (see tools/fuzz.sh).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    (spikefab::readers::get("placement_ron").expect("a registered reader").read)(data)
});
