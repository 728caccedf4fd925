//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two images (or an image and a buffer) that must have one shape do not. Fix: pass the
    /// `expected` shape.
    #[error("{what}: expected {}×{}, got {}×{}", expected.0, expected.1, got.0, got.1)]
    ShapeMismatch {
        /// What had the wrong shape.
        what: &'static str,
        /// The shape required, (width, height).
        expected: (usize, usize),
        /// The shape given.
        got: (usize, usize),
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
    /// A pixel is NaN or infinite. Fix: clean the input.
    #[error("{what}: pixel ({x}, {y}) is not finite ({value})")]
    NonFinite {
        /// Which image.
        what: &'static str,
        /// Its column.
        x: usize,
        /// Its row.
        y: usize,
        /// Its value.
        value: f64,
    },
    /// An image file is not what its format promises, or is a kind this crate does not read.
    /// Fix: as `reason` says.
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
