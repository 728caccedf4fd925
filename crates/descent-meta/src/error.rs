//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is out of its valid range. Fix: choose a value in `valid`.
    #[error("invalid {name} = {value}: must be {valid}")]
    InvalidHyperparameter {
        /// The setting.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The valid range, in words.
        valid: &'static str,
    },
    /// A buffer has the wrong size. Fix: pass `expected` elements.
    #[error("{what}: expected {expected} elements, got {got}")]
    DimensionMismatch {
        /// What had the wrong size.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        got: usize,
    },
    /// A hypergradient step made the learning rate NaN or ±∞ although the gradient was finite
    /// (the parameters diverged, or gₜ·dₜ₋₁ overflowed); nothing was changed. Fix: lower β or
    /// α₀, or set the safeguard's floor.
    #[error("hypergradient step {step}: the learning rate became {value}")]
    NonFiniteLearningRate {
        /// The step that failed, counted from 1.
        step: u64,
        /// The learning rate it computed.
        value: f64,
    },
    /// A file is not what its format promises (wrong magic, version, length or checksum).
    #[error("{}: malformed at byte {offset}: {reason}", file.display())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// Where in the file the problem is.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The network refused its input (see the inner error).
    #[error(transparent)]
    Network(#[from] descent_nn::Error),
    /// The optimizer refused a step or its configuration (see the inner error).
    #[error("optimizer: {0}")]
    Optimizer(#[from] descent::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A file that descent-io could not write: [`Error::Io`], naming the file.
impl From<descent_io::Error> for Error {
    fn from(e: descent_io::Error) -> Self {
        let (file, source) = e.into_parts();
        Self::Io { file, source }
    }
}
