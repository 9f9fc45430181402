//! Fuzz target: the `program_ron` reader of `spikefab::readers` (see tools/fuzz.sh).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    (spikefab::readers::get("program_ron").expect("a registered reader").read)(data)
});
