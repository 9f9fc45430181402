//! # spikefab
//!
//! The command-line tool's library part: it orchestrates the crates (load a
//! program, run the emulator, write outputs and pictures) and formats what a
//! person reads. Domain logic lives in the crates:
//!
//! - `spikefab-chip`: architectures, core programs, fixed-point arithmetic, spike files;
//! - `spikefab-emulator`: the multi-core emulator and its energy/latency model;
//! - `spikefab-cochlea`: audio to spikes (spiketrum and filterbank);
//! - `spikefab-compiler`: networks to core programs;
//! - `spikefab-hdl`: core programs to FPGA memory tables and reference RTL.

pub mod cochlea;
pub mod compile;
pub mod demo;
pub mod hdl;
pub mod inspect;
pub mod kws;
pub mod p16k;
pub mod plots;
pub mod run;
pub mod summary;
pub mod sweep;

/// Writes text atomically, with the path in any error.
pub fn write_text(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    spikefab_chip::write_atomic(path, text.as_bytes())?;
    Ok(())
}
