//! Fuzz target: the `samples_npy` reader of `spikefab::readers` (see tools/fuzz.sh).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    (spikefab::readers::get("samples_npy").expect("a registered reader").read)(data)
});
