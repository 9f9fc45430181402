//! # spikefab-cochlea
//!
//! A neuromorphic cochlea front end: audio → spikes.

pub mod audio;
pub mod error;
pub mod fixed;
pub mod gammatone;
pub mod place;
pub mod spiketrum;

pub use audio::Audio;
pub use error::{CochleaError, Result};
