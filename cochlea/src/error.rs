//! The cochlea crate's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CochleaError {
    #[error("{path}: not a readable WAV file: {message}")]
    Wav { path: PathBuf, message: String },
    #[error("{path}: the WAV file holds no samples")]
    EmptyWav { path: PathBuf },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("invalid cochlea setting: {0}")]
    Config(String),
}

pub type Result<T, E = CochleaError> = std::result::Result<T, E>;
