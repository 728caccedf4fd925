//! The IDX reader (MNIST's format).
//!
//! An IDX file is a big-endian header, then the data as unsigned bytes (LeCun et al., "The
//! MNIST database of handwritten digits", file formats section):
//!
//! | offset | type | images file | labels file |
//! |---|---|---|---|
//! | 0 | u32 | magic 2051 (0x0803: unsigned bytes, 3 dimensions) | magic 2049 (0x0801: 1 dimension) |
//! | 4 | u32 | n images | n labels |
//! | 8 | u32 | rows | — |
//! | 12 | u32 | columns | — |
//! | 16 / 8 | u8 × … | n × rows × columns pixels, row-major | n labels 0–9 |
//!
//! The sizes in the header are checked against [`MAX_ITEMS`] and [`MAX_ITEM_SIZE`] before any
//! buffer is reserved, and the buffers then grow only as data arrives (at most
//! [`CHUNK`] bytes ahead), so a lying header fails at the truncation, not in the allocator.

use std::io::Read;
use std::path::Path;

use super::{Dataset, source};
use crate::{Error, Result};

/// The most items (images or labels) an IDX header may declare: 2²⁸ ≈ 268 million, over 4,000
/// times MNIST's 60,000.
pub const MAX_ITEMS: u64 = 1 << 28;

/// The most values one image may have (rows × columns): 2²⁴ (a 4096 × 4096 image).
pub const MAX_ITEM_SIZE: u64 = 1 << 24;

/// Magic number of an images file: unsigned bytes (0x08), 3 dimensions.
const IMAGES_MAGIC: u32 = 0x0803;
/// Magic number of a labels file: unsigned bytes (0x08), 1 dimension.
const LABELS_MAGIC: u32 = 0x0801;
/// The number of classes of MNIST-layout data sets (digits 0–9; Fashion-MNIST's 10 classes).
const CLASSES: u8 = 10;
/// Bytes read (and reserved) at a time.
const CHUNK: usize = 1 << 16;

/// A decompressed stream with the count of bytes consumed, for error offsets.
struct Stream<'a> {
    reader: Box<dyn Read + 'a>,
    file: &'a Path,
    offset: u64,
}

impl Stream<'_> {
    fn malformed(&self, offset: u64, reason: String) -> Error {
        Error::Malformed { file: self.file.to_path_buf(), offset, reason }
    }

    /// Fills `buf` completely, or names what was being read when the data ran out.
    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        let got = source::read_full(&mut *self.reader, buf, self.file, self.offset)?;
        self.offset += got as u64;
        if got < buf.len() {
            return Err(
                self.malformed(self.offset, format!("truncated: the file ends inside {what}"))
            );
        }
        Ok(())
    }

    fn read_u32(&mut self, what: &str) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_exact(&mut b, what)?;
        Ok(u32::from_be_bytes(b))
    }

    /// Reads the magic number and checks it.
    fn magic(&mut self, expected: u32, kind: &str) -> Result<()> {
        let magic = self.read_u32("the magic number")?;
        if magic != expected {
            let hint = match magic {
                IMAGES_MAGIC => " (this is an images file)",
                LABELS_MAGIC => " (this is a labels file)",
                _ => "",
            };
            return Err(self.malformed(
                0,
                format!("magic number {magic}, expected {expected} for {kind}{hint}"),
            ));
        }
        Ok(())
    }

    /// Reads one dimension of the header and checks it against `max`.
    fn dimension(&mut self, what: &str, max: u64) -> Result<u64> {
        let at = self.offset;
        let n = u64::from(self.read_u32(what)?);
        if n == 0 || n > max {
            return Err(self.malformed(at, format!("{what} is {n}, must be in 1..={max}")));
        }
        Ok(n)
    }

    /// Reads `len` bytes, handing each chunk to `sink` (which may fail with a typed error);
    /// reserves no more than one chunk beyond the data seen.
    fn read_body(
        &mut self,
        len: u64,
        what: &str,
        mut sink: impl FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut chunk = vec![0u8; CHUNK];
        let mut done = 0u64;
        while done < len {
            let want = (len - done).min(CHUNK as u64) as usize;
            let got =
                source::read_full(&mut *self.reader, &mut chunk[..want], self.file, self.offset)?;
            sink(self.offset, &chunk[..got])?;
            self.offset += got as u64;
            done += got as u64;
            if got < want {
                return Err(self.malformed(
                    self.offset,
                    format!("truncated: {what} end after {done} of {len} bytes"),
                ));
            }
        }
        let mut extra = [0u8; 1];
        if source::read_full(&mut *self.reader, &mut extra, self.file, self.offset)? > 0 {
            return Err(self.malformed(
                self.offset,
                format!("trailing bytes after the {len} bytes of {what}"),
            ));
        }
        Ok(())
    }
}

/// Reads an images file whose header must declare `n_labels` images (the count of the labels
/// file `labels`): `(pixels, rows, cols)`.
fn read_images<'a>(
    reader: Box<dyn Read + 'a>,
    path: &'a Path,
    labels: &Path,
    n_labels: u64,
) -> Result<(Vec<f32>, usize, usize)> {
    let mut s = Stream { reader, file: path, offset: 0 };
    s.magic(IMAGES_MAGIC, "an IDX images file")?;
    let n = s.dimension("the number of images", MAX_ITEMS)?;
    if n != n_labels {
        return Err(Error::CountMismatch {
            images_file: path.to_path_buf(),
            images: n,
            labels_file: labels.to_path_buf(),
            labels: n_labels,
        });
    }
    let rows = s.dimension("the number of rows", MAX_ITEM_SIZE)?;
    let cols = s.dimension("the number of columns", MAX_ITEM_SIZE)?;
    if rows * cols > MAX_ITEM_SIZE {
        return Err(
            s.malformed(8, format!("{rows} × {cols} pixels an image, at most {MAX_ITEM_SIZE}"))
        );
    }
    let mut pixels: Vec<f32> = Vec::new();
    s.read_body(n * rows * cols, "the pixels", |_, bytes| {
        pixels.reserve(bytes.len());
        pixels.extend(bytes.iter().map(|&b| f32::from(b)));
        Ok(())
    })?;
    Ok((pixels, rows as usize, cols as usize))
}

/// Reads a labels file, each label checked to be below [`CLASSES`].
fn read_labels<'a>(reader: Box<dyn Read + 'a>, path: &'a Path) -> Result<(Vec<u8>, u64)> {
    let mut s = Stream { reader, file: path, offset: 0 };
    s.magic(LABELS_MAGIC, "an IDX labels file")?;
    let n = s.dimension("the number of labels", MAX_ITEMS)?;
    let mut labels: Vec<u8> = Vec::new();
    s.read_body(n, "the labels", |at, bytes| {
        if let Some(i) = bytes.iter().position(|&y| y >= CLASSES) {
            return Err(Error::Malformed {
                file: path.to_path_buf(),
                offset: at + i as u64,
                reason: format!("label {} is not in 0..{CLASSES}", bytes[i]),
            });
        }
        labels.extend_from_slice(bytes);
        Ok(())
    })?;
    Ok((labels, n))
}

/// Reads an images file and its labels file into one data set.
pub(crate) fn read_pair(images: &Path, labels: &Path) -> Result<Dataset> {
    // Labels first: the small file's count is checked against the images header before the
    // large body is read.
    let (ys, n_labels) = read_labels(source::open(labels)?, labels)?;
    let (pixels, rows, cols) = read_images(source::open(images)?, images, labels, n_labels)?;
    Dataset::new(pixels, ys, usize::from(CLASSES), vec![rows, cols])
}

/// [`read_pair`] on bytes in memory (each gzip or plain); the paths only name them in errors.
pub(crate) fn decode_pair(
    images: &[u8],
    images_name: &Path,
    labels: &[u8],
    labels_name: &Path,
) -> Result<Dataset> {
    let (ys, n_labels) = read_labels(source::decoded(labels, labels_name)?, labels_name)?;
    let (pixels, rows, cols) =
        read_images(source::decoded(images, images_name)?, images_name, labels_name, n_labels)?;
    Dataset::new(pixels, ys, usize::from(CLASSES), vec![rows, cols])
}
