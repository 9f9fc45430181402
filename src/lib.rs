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

pub mod accuracy;
pub mod cochlea;
pub mod compile;
pub mod convert;
pub mod demo;
pub mod hdl;
pub mod inspect;
pub mod kws;
pub mod modularity;
pub mod mpi;
pub mod output;
pub mod p16k;
pub mod plots;
pub mod probes;
pub mod progress;
pub mod readers;
pub mod run;
pub mod spike_stats;
pub mod summary;
pub mod sweep;

/// Text from files (names, sources) made safe for a terminal: control
/// characters other than newline and tab, and bidirectional overrides, are
/// shown as `\u{..}` instead of being sent (an escape sequence in a network's
/// name must not drive the user's terminal).
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c != '\n' && c != '\t' && spikefab_chip::text::is_forbidden(c);
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if bad(c) {
            s.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            s.push(c);
        }
    }
    std::borrow::Cow::Owned(s)
}

/// Writes text atomically, with the path in any error.
pub fn write_text(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    spikefab_chip::write_atomic(path, text.as_bytes())?;
    Ok(())
}
