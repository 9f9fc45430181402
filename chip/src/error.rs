//! The chip crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong when reading, writing or checking chip-level data.
#[derive(Debug, thiserror::Error)]
pub enum ChipError {
    #[error("cannot access {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid {what} RON file: {message}")]
    Ron {
        path: PathBuf,
        what: &'static str,
        message: String,
    },
    #[error("{place} uses the {model} neuron model, which chip '{arch}' does not support (its core.models)")]
    UnsupportedModel {
        arch: String,
        place: String,
        model: crate::model::ModelKind,
    },
    #[error("unknown architecture '{name}': use one of {known} or a path to an .ron file")]
    UnknownArch { name: String, known: String },
    #[error("{path}: not a spikefab core program (.sfc): {message}")]
    Sfc { path: PathBuf, message: String },
    #[error("{path}: malformed spike file: {message}")]
    SpikeFile { path: PathBuf, message: String },
    #[error("unsupported file extension for {path}: expected one of {expected}")]
    Extension {
        path: PathBuf,
        expected: &'static str,
    },
    #[error("architecture '{arch}' is inconsistent: {message}")]
    InvalidArch { arch: String, message: String },
    #[error("core program is invalid: {0}")]
    InvalidProgram(String),
    #[error("core {core} exceeds the '{arch}' capacity for {resource}: uses {used}, the core has {capacity}")]
    Capacity {
        arch: String,
        core: usize,
        resource: &'static str,
        used: u64,
        capacity: u64,
    },
}

impl ChipError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ChipError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = ChipError> = std::result::Result<T, E>;
