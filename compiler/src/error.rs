//! The compiler's one error type: every message names the layer, node or edge.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: not a valid network RON file: {message}")]
    Ron { path: PathBuf, message: String },
    #[error("network '{network}': {message}")]
    Invalid { network: String, message: String },
    #[error("layer '{layer}' does not fit '{arch}': {message}")]
    DoesNotFit {
        layer: String,
        arch: String,
        message: String,
    },
    #[error("the network needs {needed} cores, but '{arch}' has {available}: {detail}")]
    TooManyCores {
        arch: String,
        needed: usize,
        available: usize,
        detail: String,
    },
    #[error("cannot quantize layer '{layer}' for '{arch}': {message}")]
    Quantize {
        layer: String,
        arch: String,
        message: String,
    },
    #[error(transparent)]
    Chip(#[from] spikefab_chip::ChipError),
}

pub type Result<T, E = CompileError> = std::result::Result<T, E>;
