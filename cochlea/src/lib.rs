//! # spikefab-cochlea
//!
//! A neuromorphic cochlea front end: audio → spikes.

pub mod audio;
pub mod error;
pub mod gammatone;

pub use audio::Audio;
pub use error::{CochleaError, Result};
