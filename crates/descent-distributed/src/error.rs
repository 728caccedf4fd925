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
    /// The ranks disagree: their parameters (or another replicated value) differ where they
    /// must be identical. Fix: a bug or a non-deterministic objective; the message says where.
    #[error("ranks diverged at step {step}: {what} differs between ranks")]
    RanksDiverged {
        /// The step at which the check ran.
        step: u64,
        /// What was compared.
        what: &'static str,
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
    /// The network or the data set refused its input (see the inner error).
    #[error(transparent)]
    Network(#[from] descent_nn::Error),
    /// The optimizer or solver refused a step or its configuration (see the inner error).
    #[error("optimizer: {0}")]
    Optimizer(#[from] descent::Error),
    /// A rank outside the job was asked for its shard. Fix: 0 ≤ rank < size (the job's ranks).
    #[error("no shard for rank {rank} in a job of {size} rank(s): need rank < size")]
    InvalidShard {
        /// The rank asked for.
        rank: usize,
        /// The number of ranks.
        size: usize,
    },
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
