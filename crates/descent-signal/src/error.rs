//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two signals (or a signal and a buffer) that must have the same length do not. Fix: pass
    /// `expected` samples.
    #[error("{what}: expected {expected} samples, got {got}")]
    LengthMismatch {
        /// What had the wrong length.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A setting is out of its valid range. Fix: choose a value in `valid`.
    #[error("invalid {name} = {value}: must be {valid}")]
    InvalidParameter {
        /// The setting.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The valid range, in words.
        valid: &'static str,
    },
    /// A sample of an input signal is NaN or infinite. Fix: clean the input.
    #[error("{what}: sample {index} is not finite ({value})")]
    NonFinite {
        /// Which signal.
        what: &'static str,
        /// The sample's index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// An audio file is not a WAV file this crate reads, or is damaged. Fix: as `reason` says.
    #[error("{}: {reason}", file.display())]
    Wav {
        /// The file.
        file: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Two audio files that must share a sample rate do not. Fix: resample one of them.
    #[error(
        "{} is at {first_rate} Hz but {} is at {second_rate} Hz",
        first.display(),
        second.display()
    )]
    SampleRateMismatch {
        /// The first file.
        first: PathBuf,
        /// Its sample rate.
        first_rate: u32,
        /// The second file.
        second: PathBuf,
        /// Its sample rate.
        second_rate: u32,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
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
