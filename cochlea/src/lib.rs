//! # spikefab-cochlea
//!
//! A neuromorphic cochlea front end: audio (WAV) → spike streams.
//!
//! - **Spiketrum** ([`spiketrum`], [`place`]): matching pursuit over a
//!   dictionary of Slaney gammatone kernels ([`gammatone`]) with an exact spike
//!   budget, each code mapped to one spike on the channel of its kernel, sign
//!   and amplitude level; the audio can be rebuilt from the spikes alone.
//!   [`fixed`] is the same encoder in the integer arithmetic of a hardware
//!   implementation.
//! - **Filterbank** ([`filterbank`]): the classic cochleagram, a gammatone
//!   filterbank with rectification and one spike generator per channel.
//!
//! [`Cochlea`] ties them together; it depends on `spikefab-chip` only for the
//! [`SpikeStream`](spikefab_chip::SpikeStream) type.
//!
//! ```
//! use spikefab_cochlea::{Audio, Cochlea, CochleaConfig};
//!
//! let audio = Audio { samples: (0..8000).map(|i| (i as f64 * 0.2).sin() * 0.3).collect(), rate: 16000 };
//! let cochlea = Cochlea::new(CochleaConfig { kernels: 16, ..CochleaConfig::default() }).unwrap();
//! let enc = cochlea.encode(&audio).unwrap();
//! assert_eq!(enc.codes.len(), 500); // 1000 codes/s × 0.5 s, exactly
//! assert!(enc.spikes.len() <= 500); // one spike per code; an atom picked twice is one spike
//! ```

pub mod audio;
pub mod error;
pub mod filterbank;
pub mod fixed;
pub mod gammatone;
pub mod pipeline;
pub mod place;
pub mod spiketrum;

pub use audio::Audio;
pub use error::{CochleaError, Result};
pub use pipeline::{Cochlea, CochleaConfig, Encoded, Mode};
pub use place::Levels;
