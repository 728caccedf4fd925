//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A buffer or a data set has the wrong size. Fix: pass `expected` elements.
    #[error("{what}: expected {expected} elements, got {got}")]
    DimensionMismatch {
        /// What had the wrong size.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size given.
        got: usize,
    },
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
    /// A data file is not what its format promises. Fix: check or re-download the file.
    #[error("{}: malformed at byte {offset}: {reason}", file.display())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// Where in the (decompressed) contents the problem is.
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
    /// A row of a text data file is wrong (field count, a non-integer, a label out of range).
    /// Fix: correct that line of the file.
    #[error("{}: line {line} (byte {offset}): {reason}", file.display())]
    MalformedRow {
        /// The file.
        file: PathBuf,
        /// The line, counted from 1.
        line: u64,
        /// The byte offset of the line's start in the (decompressed) contents.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// An images file and its labels file hold different numbers of items (the counts at byte
    /// 4 of each IDX header). Fix: pair the right files (e.g. `train-images` with
    /// `train-labels`).
    #[error(
        "{} declares {images} images (byte 4) but {} declares {labels} labels (byte 4)",
        images_file.display(),
        labels_file.display()
    )]
    CountMismatch {
        /// The images file.
        images_file: PathBuf,
        /// The number of images its header declares.
        images: u64,
        /// The labels file.
        labels_file: PathBuf,
        /// The number of labels its header declares.
        labels: u64,
    },
    /// A label names a class the model does not have. Fix: labels must be in 0..`classes`.
    #[error("label {label} at row {index} is out of range: there are {classes} classes")]
    LabelOutOfRange {
        /// The row of the batch.
        index: usize,
        /// The label given.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A batch is empty or larger than the workspace was sized for. Fix: pass 1..=`max` rows,
    /// or size the workspace for the largest batch.
    #[error("batch of {got} rows: must be 1..={max} (the workspace's size)")]
    BatchSize {
        /// Rows given.
        got: usize,
        /// The workspace's maximal batch.
        max: usize,
    },
    /// A method needs the other head: the classification methods ([`crate::Model::loss_grad`],
    /// `loss`, `predict`) need a classifier ([`crate::Mlp::new`]), the mean-squared-error ones
    /// ([`crate::Mlp::mse_grad`], …) a regression network ([`crate::Mlp::regression`]). Fix:
    /// build the network with the head the method scores.
    #[error("{operation} needs a network with a {needed} head; this one has a {head} head")]
    WrongHead {
        /// The method called.
        operation: &'static str,
        /// The head it needs.
        needed: crate::model::Head,
        /// The network's head.
        head: crate::model::Head,
    },
    /// The optimizer refused a step (a non-finite gradient, a buffer of the wrong length) or
    /// its configuration. Fix: as the inner error says (e.g. a smaller learning rate).
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
