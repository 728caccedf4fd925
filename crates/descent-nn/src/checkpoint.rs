//! Checkpoints: a training run saved after an epoch, to predict with or to resume bit for bit.
//!
//! A checkpoint holds everything [`train_observed`](crate::train::train_observed) carries from
//! one epoch to the next — θ, the optimizer's state, the [`Progress`] — with the run's
//! [`TrainConfig`] and a [`Header`] that says what the numbers mean: the network
//! ([`MlpSpec`]), the precision, the standardisation fitted on the training set, and the
//! caller's own settings (`meta`; the `descent train` command keeps its command line there).
//!
//! # Resuming
//! ```no_run
//! use descent::first_order::{Adam, Optimizer};
//! use descent_nn::checkpoint::read_checkpoint;
//! use descent_nn::train::train_observed;
//! use descent_nn::{Dataset, Mlp};
//!
//! let rule = Adam::torch(1e-3).rule(); // the rule the run was saved with
//! let saved = read_checkpoint::<_, f32>("run.ckpt".as_ref())?;
//! let model = Mlp::from_spec(&saved.header.model)?;
//! let mut params = saved.params;
//! let mut optimizer = Optimizer::resume(rule, saved.optimizer)?;
//! // The same data as the saved run (here the digits' seeded split), prepared the same way.
//! let (mut train_set, mut test_set) = Dataset::digits().split(0.2, 0)?;
//! if let Some(s) = &saved.header.standardizer {
//!     s.apply(&mut train_set)?;
//!     s.apply(&mut test_set)?;
//! }
//! let report = train_observed(
//!     &model, &mut params, &mut optimizer, &train_set, &test_set,
//!     &saved.config, saved.progress, &mut |_: &_| {},
//! )?;
//! # Ok::<(), descent_nn::Error>(())
//! ```
//!
//! # File format
//! [`descent_io::frame`]'s container: the 8 bytes `DNNCKPT\0`, a format version (u32,
//! little-endian; this is version 2: version 1, before [`MlpSpec`] had its [`head`](MlpSpec::head),
//! is refused with a message saying so), the length of the rest of the file (u64) and its CRC-32
//! (u32, IEEE), then four sections in [postcard](https://postcard.jamesmunns.com/wire-format)'s
//! serde encoding:
//!
//! | section | contents |
//! |---|---|
//! | header | [`Header`] |
//! | model | θ, `Vec<T>` (floats as their little-endian bytes: the exact bits) |
//! | training | the rule's type name, [`TrainConfig`], [`Progress`] |
//! | optimizer | [`OptimizerState`] |
//!
//! A reader that wants only the model ([`read_model`]) stops after the second section. The rule
//! is written by type name (`std::any::type_name`), which names its generic composition
//! (e.g. the schedule and clipping wrapped around Adam): a checkpoint resumes with the same rule
//! type, built by the same version of `descent`. The rule's hyperparameters are not in the file
//! (the caller rebuilds the rule, as `descent train` does from `meta`).
//!
//! Files are written atomically ([`descent_io::write_atomic`]: a temporary file in the same
//! directory, flushed to disk, then renamed over the target): a reader finds the old checkpoint or
//! the new one, never half of one. The length and the checksum catch a file cut short or damaged
//! anywhere (also by a reader that needs only the first sections); malformed files give
//! [`Error::Malformed`] with the byte offset of the section at fault; lengths read from a file
//! never allocate more than the file can hold.

use std::any::type_name;
use std::path::Path;

use descent::first_order::columns::Columns;
use descent::first_order::{OptimizerState, Rule};
use descent_io::frame::{self, Format};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::data::Standardizer;
use crate::model::{Mlp, MlpSpec, Model as _, Scalar};
use crate::train::{Progress, Snapshot, TrainConfig};
use crate::{Error, Result};

/// The container ([`descent_io::frame`]). Version 2: [`MlpSpec`] gained `head` (regression
/// networks), which changed the header's encoding.
const FORMAT: Format = Format {
    magic: b"DNNCKPT\0",
    version: 2,
    name: "descent-nn checkpoint",
    retired: &[(
        1,
        "format version 1, written before networks had a head (classifier or regression); \
         this build reads version 2: train the model again",
    )],
};
/// Bytes before the first section: magic, version, length, checksum.
const PREAMBLE: usize = frame::PREAMBLE;

/// The floating-point type of a checkpoint's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl Precision {
    /// The precision of `T` (`f32` or `f64`, the two [`Scalar`]s).
    #[must_use]
    pub fn of<T: Scalar>() -> Self {
        if size_of::<T>() == 4 { Self::F32 } else { Self::F64 }
    }

    /// `"f32"` or `"f64"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }
}

/// What a checkpoint's numbers mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The network.
    pub model: MlpSpec,
    /// The type of θ and of the optimizer's state; [`save`] writes `T`'s whatever this says.
    pub precision: Precision,
    /// The standardisation fitted on the training set, to apply to new inputs.
    pub standardizer: Option<Standardizer>,
    /// The caller's own settings, free-form (the CLI writes JSON).
    pub meta: String,
}

/// The sections after the model, borrowed for writing.
#[derive(Serialize)]
struct TrainingRef<'a, T> {
    rule: &'a str,
    config: &'a TrainConfig,
    progress: &'a Progress<T>,
}

/// The sections after the model, owned when reading.
#[derive(Deserialize)]
struct Training<T> {
    rule: String,
    config: TrainConfig,
    progress: Progress<T>,
}

/// Everything to continue a run ([`read_checkpoint`]).
#[derive(Debug, Clone)]
pub struct Resume<R: Rule, T: Scalar> {
    /// What the numbers mean.
    pub header: Header,
    /// θ after the saved epoch.
    pub params: Vec<T>,
    /// The optimizer's state: pass it to [`Optimizer::resume`](descent::first_order::Optimizer::resume) with the same rule.
    pub optimizer: OptimizerState<R, T>,
    /// The run's progress: pass it to [`train_observed`](crate::train::train_observed).
    pub progress: Progress<T>,
    /// The run's configuration (raise `epochs` to train longer).
    pub config: TrainConfig,
}

/// Writes the run in `snapshot` to `path` with `header` (its precision set to `T`'s),
/// atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written (nothing is left at `path` then, or the old
/// file is kept); [`Error::DimensionMismatch`] when θ's length does not fit `header.model`.
pub fn save<R: Rule, T: Scalar>(
    path: &Path,
    header: &Header,
    snapshot: &Snapshot<'_, R, T>,
) -> Result<()> {
    let expected = Mlp::from_spec(&header.model)?.num_params();
    if snapshot.params.len() != expected {
        return Err(Error::DimensionMismatch {
            what: "checkpoint parameters",
            expected,
            got: snapshot.params.len(),
        });
    }
    let header = Header { precision: Precision::of::<T>(), ..header.clone() };
    let training = TrainingRef {
        rule: type_name::<R>(),
        config: snapshot.config,
        progress: snapshot.progress,
    };
    let mut writer = frame::Writer::with_capacity(&FORMAT, 12 * snapshot.params.len());
    writer
        .section("header", &header)
        .and_then(|()| writer.section("model parameters", snapshot.params))
        .and_then(|()| writer.section("training state", &training))
        .and_then(|()| writer.section("optimizer state", snapshot.optimizer.state()))
        .map_err(|e| Error::Io {
            file: path.to_owned(),
            source: std::io::Error::other(format!("encoding the checkpoint: {e}")),
        })?;
    Ok(descent_io::write_atomic(path, &writer.finish())?)
}

/// Reads the header of the checkpoint at `path`.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::Malformed`] when it is not a
/// checkpoint of this version.
pub fn read_header(path: &Path) -> Result<Header> {
    decode_header(&read(path)?, path)
}

/// [`read_header`] on bytes already in memory; `path` only names them in errors.
///
/// # Errors
/// As [`read_header`], without [`Error::Io`].
pub fn decode_header(bytes: &[u8], path: &Path) -> Result<Header> {
    Ok(Reader::new(path, bytes)?.header()?.0)
}

/// Reads the header and θ of the checkpoint at `path`, for prediction.
///
/// # Errors
/// As [`read_header`]; [`Error::Malformed`] also when the file holds another precision than
/// `T` or a θ that does not fit its network.
pub fn read_model<T: Scalar>(path: &Path) -> Result<(Header, Vec<T>)> {
    decode_model(&read(path)?, path)
}

/// [`read_model`] on bytes already in memory; `path` only names them in errors.
///
/// # Errors
/// As [`read_model`], without [`Error::Io`].
pub fn decode_model<T: Scalar>(bytes: &[u8], path: &Path) -> Result<(Header, Vec<T>)> {
    let mut reader = Reader::new(path, bytes)?;
    let (header, params) = reader.model::<T>()?;
    Ok((header, params))
}

/// Reads everything to resume the run saved at `path` with the rule type `R`.
///
/// # Errors
/// As [`read_model`]; [`Error::Malformed`] also when the file was written with another rule
/// type, or its optimizer state or progress does not fit θ, or bytes follow the last section.
pub fn read_checkpoint<R: Rule, T: Scalar>(path: &Path) -> Result<Resume<R, T>> {
    decode_checkpoint(&read(path)?, path)
}

/// [`read_checkpoint`] on bytes already in memory; `path` only names them in errors.
///
/// # Errors
/// As [`read_checkpoint`], without [`Error::Io`].
pub fn decode_checkpoint<R: Rule, T: Scalar>(bytes: &[u8], path: &Path) -> Result<Resume<R, T>> {
    let mut reader = Reader::new(path, bytes)?;
    let (header, params) = reader.model::<T>()?;
    let training_at = reader.offset();
    let training: Training<T> = reader.section("training state")?;
    if training.rule != type_name::<R>() {
        return Err(reader.malformed(
            training_at,
            format!(
                "the run was saved with the optimizer rule {}, not {}",
                training.rule,
                type_name::<R>()
            ),
        ));
    }
    let n = params.len();
    if !(training.progress.best_params.is_empty() || training.progress.best_params.len() == n) {
        return Err(reader.malformed(
            training_at,
            format!(
                "the early-stopping copy holds {} parameters, the model {n}",
                training.progress.best_params.len()
            ),
        ));
    }
    let optimizer_at = reader.offset();
    let optimizer: OptimizerState<R, T> = reader.section("optimizer state")?;
    if optimizer.len != n {
        return Err(reader.malformed(
            optimizer_at,
            format!("the optimizer state is for {} parameters, the model has {n}", optimizer.len),
        ));
    }
    // The cell count is checked against the rule's state width here, where the file is known,
    // rather than later by `Optimizer::resume` (which cannot name the file).
    let cells = <R::Slot<T> as Columns<T>>::WIDTH * n;
    if optimizer.cells.len() != cells {
        return Err(reader.malformed(
            optimizer_at,
            format!("{} optimizer state values, the rule keeps {cells}", optimizer.cells.len()),
        ));
    }
    reader.finish()?;
    Ok(Resume { header, params, optimizer, progress: training.progress, config: training.config })
}

/// Reads a whole file, naming it in the error.
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io { file: path.to_owned(), source })
}

/// Walks a checkpoint's sections ([`frame::Reader`]), naming the file in errors.
struct Reader<'a> {
    path: &'a Path,
    frame: frame::Reader<'a>,
}

impl<'a> Reader<'a> {
    /// Checks the magic bytes, the version, the length and the checksum.
    fn new(path: &'a Path, bytes: &'a [u8]) -> Result<Self> {
        let frame = frame::Reader::open(bytes, &FORMAT).map_err(|e| malformed(path, e))?;
        Ok(Self { path, frame })
    }

    /// Where the next section starts.
    fn offset(&self) -> usize {
        self.frame.offset()
    }

    fn malformed(&self, offset: usize, reason: String) -> Error {
        malformed(self.path, frame::Malformed::new(offset, reason))
    }

    /// Decodes the next section, `what`.
    fn section<D: DeserializeOwned>(&mut self, what: &str) -> Result<D> {
        self.frame.section(what).map_err(|e| malformed(self.path, e))
    }

    /// The header, with the number of parameters of its network. The network must be valid,
    /// and a standardizer must have one finite mean and one finite, positive scale per input.
    fn header(&mut self) -> Result<(Header, usize)> {
        let header: Header = self.section("header")?;
        let params = Mlp::from_spec(&header.model)
            .map_err(|e| self.malformed(PREAMBLE, format!("its network is invalid: {e}")))?
            .num_params();
        if let Some(s) = &header.standardizer {
            let inputs = header.model.widths[0];
            if s.mean.len() != inputs || s.scale.len() != inputs {
                return Err(self.malformed(
                    PREAMBLE,
                    format!(
                        "its standardizer has {} means and {} scales for {inputs} inputs",
                        s.mean.len(),
                        s.scale.len()
                    ),
                ));
            }
            let valid = s.mean.iter().all(|m| m.is_finite())
                && s.scale.iter().all(|&v| v.is_finite() && v > 0.0);
            if !valid {
                return Err(self.malformed(
                    PREAMBLE,
                    "its standardizer has a mean that is not finite or a scale that is not \
                     finite and positive"
                        .into(),
                ));
            }
        }
        Ok((header, params))
    }

    /// The header and θ, checked against each other and `T`.
    fn model<T: Scalar>(&mut self) -> Result<(Header, Vec<T>)> {
        let (header, expected) = self.header()?;
        let at = self.offset();
        if header.precision != Precision::of::<T>() {
            return Err(self.malformed(
                at,
                format!(
                    "the numbers are {}, {} was asked for",
                    header.precision.name(),
                    Precision::of::<T>().name()
                ),
            ));
        }
        let params: Vec<T> = self.section("model parameters")?;
        if params.len() != expected {
            return Err(self.malformed(
                at,
                format!("{} parameters for a network of {expected}", params.len()),
            ));
        }
        Ok((header, params))
    }

    /// Fails if bytes follow the last section.
    fn finish(&self) -> Result<()> {
        self.frame.finish().map_err(|e| malformed(self.path, e))
    }
}

/// [`Error::Malformed`] for the file at `path`.
fn malformed(path: &Path, e: frame::Malformed) -> Error {
    Error::Malformed { file: path.to_owned(), offset: e.offset, reason: e.reason }
}
