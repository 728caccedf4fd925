//! Data sets for classification: the bundled handwritten digits, MNIST's IDX files, a gzip CSV
//! reader, a seeded stratified split, standardisation and seeded minibatch orders.
//!
//! | item | what |
//! |---|---|
//! | [`Dataset`] | n examples: features (row-major, `f32`), labels (`u8`), the number of classes, the feature shape |
//! | [`Dataset::digits`] | 1,797 handwritten digits, 8×8 pixels with values 0–16, labels 0–9; embedded, no file needed |
//! | [`Dataset::from_csv`] | a CSV file (gzip or plain) of integers, the features then the label on each row ([`CsvLayout`]) |
//! | [`Dataset::mnist`], [`Dataset::from_idx`] | MNIST's IDX files (gzip or plain) from a directory or a pair of paths |
//! | [`Dataset::split`] | a seeded stratified train/test split |
//! | [`Standardizer`] | per-feature mean and standard deviation fitted on the training set, applied to both sets |
//! | [`epoch_order`], [`fill_epoch_order`] | the seeded permutation of one epoch, recreated from (seed, epoch) alone |
//!
//! # Design
//! - **Storage.** Features are stored once, as `f32`, row-major: the pixel values of both data
//!   sets (integers 0–16 and 0–255) are exact in `f32`, MNIST's 47 million pixels take 188 MB
//!   rather than 376 MB, and training in `f64` converts a minibatch at a time
//!   ([`Dataset::gather`], generic over [`Real`]) or the whole set once ([`Dataset::features_f64`]).
//!   Values are kept as read (no scaling to [0, 1]); [`Standardizer`] is the one normalisation.
//! - **Malformed files are errors, never panics.** Every error names the file and where in the
//!   (decompressed) contents the problem is: [`Error::Malformed`] with the byte offset for IDX,
//!   [`Error::MalformedRow`] with the line and its byte offset for CSV.
//! - **Sizes from a header are capped before anything is allocated** ([`MAX_ITEMS`],
//!   [`MAX_ITEM_SIZE`]), and the buffers grow only as data actually arrives, so a header that
//!   claims 10¹² images in a 100-byte file costs nothing.
//! - **Gzip or plain** is decided by the gzip magic bytes (1f 8b), not by the file name.
//! - **Randomness is seeded** (ChaCha8): the same seed gives the same split and the same epoch
//!   orders on every platform.
//!
//! # Example
//! ```
//! use descent_nn::data::{Dataset, Standardizer};
//!
//! let digits = Dataset::digits();
//! assert_eq!((digits.len(), digits.dim(), digits.classes()), (1797, 64, 10));
//! let (mut train, mut test) = digits.split(0.2, 0)?;
//! let scaler = Standardizer::fit(&train);
//! scaler.apply(&mut train)?;
//! scaler.apply(&mut test)?;
//! assert_eq!(train.len() + test.len(), 1797);
//! # Ok::<(), descent_nn::Error>(())
//! ```

mod csv;
mod idx;
mod prep;
mod source;

use std::path::{Path, PathBuf};

use descent::first_order::Real;

pub use csv::CsvLayout;
pub use idx::{MAX_ITEM_SIZE, MAX_ITEMS};
pub use prep::{Standardizer, epoch_order, fill_epoch_order};

use crate::{Error, Result};

/// The digits data set, gzip CSV, embedded at compile time (see `crates/descent-nn/data/README.md`
/// for its source and licence).
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// A classification data set: `len()` examples, each `dim()` features and one label.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major, `len() × dim()`.
    features: Vec<f32>,
    labels: Vec<u8>,
    classes: usize,
    shape: Vec<usize>,
}

impl Dataset {
    /// A data set from its parts: `features` row-major with `shape.iter().product()` values per
    /// example, one label per example, each below `classes`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `features.len()` is not `labels.len()` times the product
    /// of `shape`; [`Error::InvalidHyperparameter`] when `classes` is 0 or above 256, `shape` is
    /// empty or has a zero, or a label is not below `classes`.
    pub fn new(
        features: Vec<f32>,
        labels: Vec<u8>,
        classes: usize,
        shape: Vec<usize>,
    ) -> Result<Self> {
        if classes == 0 || classes > 256 {
            return Err(Error::InvalidHyperparameter {
                name: "classes",
                value: classes as f64,
                valid: "in 1..=256 (labels are u8)",
            });
        }
        if shape.is_empty() || shape.contains(&0) {
            return Err(Error::InvalidHyperparameter {
                name: "feature shape",
                value: shape.iter().product::<usize>() as f64,
                valid: "non-empty, with no zero dimension",
            });
        }
        let dim: usize = shape.iter().product();
        let expected = labels.len().checked_mul(dim).ok_or(Error::DimensionMismatch {
            what: "features",
            expected: usize::MAX,
            got: features.len(),
        })?;
        if features.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "features",
                expected,
                got: features.len(),
            });
        }
        if let Some(&bad) = labels.iter().find(|&&y| usize::from(y) >= classes) {
            return Err(Error::InvalidHyperparameter {
                name: "label",
                value: f64::from(bad),
                valid: "below the number of classes",
            });
        }
        Ok(Self { features, labels, classes, shape })
    }

    /// The handwritten digits: 1,797 images of 8×8 pixels with integer values 0–16, labels 0–9
    /// (the UCI optical recognition of handwritten digits test set, as bundled by scikit-learn;
    /// attribution in `crates/descent-nn/data/README.md`). Embedded in the library: no file is
    /// read.
    ///
    /// # Panics
    /// Never: the embedded file is fixed at compile time and checked by this crate's tests.
    #[must_use]
    pub fn digits() -> Self {
        csv::read_csv(DIGITS_CSV_GZ, Path::new("digits.csv.gz (embedded)"), &CsvLayout::digits())
            .expect("the embedded digits file is well-formed (checked by the tests)")
    }

    /// Reads a CSV file (gzip or plain, detected by the gzip magic bytes) laid out as `layout`
    /// says: no header, one example a line, `layout.features` integers then the label.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened or read; [`Error::MalformedRow`] naming the
    /// line for a wrong field count, a field that is not an integer or a label out of range;
    /// [`Error::Malformed`] for an empty file or a corrupt gzip stream.
    pub fn from_csv(path: impl AsRef<Path>, layout: &CsvLayout) -> Result<Self> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|source| Error::Io { file: path.to_path_buf(), source })?;
        csv::read_csv(&bytes, path, layout)
    }

    /// [`Dataset::from_csv`] on bytes already in memory (gzip or plain); `name` only names them
    /// in errors.
    ///
    /// # Errors
    /// As [`Dataset::from_csv`], without [`Error::Io`].
    pub fn from_csv_bytes(bytes: &[u8], name: &Path, layout: &CsvLayout) -> Result<Self> {
        csv::read_csv(bytes, name, layout)
    }

    /// Reads an IDX pair: `images` (magic 2051: n × rows × cols unsigned bytes) and `labels`
    /// (magic 2049: n unsigned bytes, each below 10), each gzip or plain. Pixel values are kept
    /// as read (0–255); the feature shape is `[rows, cols]`.
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be opened or read; [`Error::Malformed`] with the byte
    /// offset for a wrong magic number, a header beyond [`MAX_ITEMS`] or [`MAX_ITEM_SIZE`],
    /// truncated data, trailing bytes, a label of 10 or more, or a corrupt gzip stream;
    /// [`Error::CountMismatch`] when the two headers declare different counts.
    pub fn from_idx(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<Self> {
        idx::read_pair(images.as_ref(), labels.as_ref())
    }

    /// [`Dataset::from_idx`] on bytes already in memory (each gzip or plain); the names only
    /// name the two in errors. Sizes read from the headers are checked as by
    /// [`Dataset::from_idx`] before any buffer is reserved.
    ///
    /// # Errors
    /// As [`Dataset::from_idx`], without [`Error::Io`].
    pub fn from_idx_bytes(
        images: &[u8],
        images_name: &Path,
        labels: &[u8],
        labels_name: &Path,
    ) -> Result<Self> {
        idx::decode_pair(images, images_name, labels, labels_name)
    }

    /// Reads MNIST (or any data set in its layout, such as Fashion-MNIST) from a directory:
    /// `(train, test)` from `train-images` / `train-labels` and `t10k-images` / `t10k-labels`.
    /// Each file may be named `train-images-idx3-ubyte` or `train-images.idx3-ubyte`, with or
    /// without `.gz`.
    ///
    /// # Errors
    /// [`Error::Io`] (kind `NotFound`, naming the first name tried) when a file is missing;
    /// otherwise as [`Dataset::from_idx`].
    pub fn mnist(dir: impl AsRef<Path>) -> Result<(Self, Self)> {
        let dir = dir.as_ref();
        let train = Self::from_idx(
            find_idx(dir, "train-images", "idx3-ubyte")?,
            find_idx(dir, "train-labels", "idx1-ubyte")?,
        )?;
        let test = Self::from_idx(
            find_idx(dir, "t10k-images", "idx3-ubyte")?,
            find_idx(dir, "t10k-labels", "idx1-ubyte")?,
        )?;
        Ok((train, test))
    }

    /// The number of examples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of features of one example (the product of [`Dataset::shape`]).
    #[must_use]
    pub fn dim(&self) -> usize {
        self.shape.iter().product()
    }

    /// The shape of one example's features, e.g. `[8, 8]` for the digits, `[28, 28]` for MNIST.
    #[must_use]
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of classes; every label is below it.
    #[must_use]
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// All features, row-major (`len() × dim()`).
    #[must_use]
    pub fn features(&self) -> &[f32] {
        &self.features
    }

    /// All features converted to `f64` (exact), row-major.
    #[must_use]
    pub fn features_f64(&self) -> Vec<f64> {
        self.features.iter().map(|&x| f64::from(x)).collect()
    }

    /// The features of example `i`.
    ///
    /// # Panics
    /// When `i >= len()`.
    #[must_use]
    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.dim();
        &self.features[i * d..(i + 1) * d]
    }

    /// All labels, one per example.
    #[must_use]
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// How many examples each class has (`classes()` entries).
    #[must_use]
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &y in &self.labels {
            counts[usize::from(y)] += 1;
        }
        counts
    }

    /// Copies the examples `indices` (a minibatch) into caller-owned buffers, converting to `T`:
    /// `features` gets `indices.len() × dim()` values row-major, `labels` one label each. No
    /// allocation, so a training loop can call it for every minibatch.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when a buffer has the wrong length;
    /// [`Error::InvalidHyperparameter`] when an index is not below `len()`.
    pub fn gather<T: Real>(
        &self,
        indices: &[usize],
        features: &mut [T],
        labels: &mut [usize],
    ) -> Result<()> {
        let d = self.dim();
        if features.len() != indices.len() * d {
            return Err(Error::DimensionMismatch {
                what: "minibatch features",
                expected: indices.len() * d,
                got: features.len(),
            });
        }
        if labels.len() != indices.len() {
            return Err(Error::DimensionMismatch {
                what: "minibatch labels",
                expected: indices.len(),
                got: labels.len(),
            });
        }
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::InvalidHyperparameter {
                name: "example index",
                value: bad as f64,
                valid: "below the number of examples",
            });
        }
        for ((&i, out), y) in
            indices.iter().zip(features.chunks_exact_mut(d)).zip(labels.iter_mut())
        {
            for (o, &x) in out.iter_mut().zip(self.row(i)) {
                *o = T::of(f64::from(x));
            }
            *y = usize::from(self.labels[i]);
        }
        Ok(())
    }

    /// The examples `indices`, in that order, as a new data set.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when an index is not below `len()`.
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::InvalidHyperparameter {
                name: "example index",
                value: bad as f64,
                valid: "below the number of examples",
            });
        }
        let mut features = Vec::with_capacity(indices.len() * self.dim());
        for &i in indices {
            features.extend_from_slice(self.row(i));
        }
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Ok(Self { features, labels, classes: self.classes, shape: self.shape.clone() })
    }

    /// Multiplies every feature by `factor`: `1/255` puts MNIST's 8-bit pixels in [0, 1], the
    /// scaling its usual recipes (and PyTorch's `ToTensor`) train on. (Per-feature
    /// standardisation hurts there: the border pixels, almost always 0, get a tiny σ and their
    /// rare ink becomes a huge input; see `bench/peers/README.md`.)
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless `factor` is finite and positive.
    pub fn scale(&mut self, factor: f32) -> Result<()> {
        if !(factor > 0.0 && factor.is_finite()) {
            return Err(Error::InvalidHyperparameter {
                name: "feature scale",
                value: f64::from(factor),
                valid: "finite and > 0",
            });
        }
        self.features_mut().iter_mut().for_each(|x| *x *= factor);
        Ok(())
    }

    /// Mutable access to the features, for transformations such as [`Standardizer::apply`].
    pub(crate) fn features_mut(&mut self) -> &mut [f32] {
        &mut self.features
    }
}

/// The first of `stem-ext`, `stem-ext.gz`, `stem.ext`, `stem.ext.gz` that exists in `dir`.
fn find_idx(dir: &Path, stem: &str, ext: &str) -> Result<PathBuf> {
    let names = [
        format!("{stem}-{ext}"),
        format!("{stem}-{ext}.gz"),
        format!("{stem}.{ext}"),
        format!("{stem}.{ext}.gz"),
    ];
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file()).ok_or_else(|| Error::Io {
        file: dir.join(&names[0]),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no file named {} in {}", names.join(", "), dir.display()),
        ),
    })
}
