//! The CSV reader: no header, one example a line, the features then the label, all integers.

use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use super::{Dataset, source};
use crate::{Error, Result};

/// How a CSV data file is laid out: each line holds `features` integers, then the label
/// (an integer below `classes`); `shape` is the shape of one example's features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLayout {
    /// The number of feature fields before the label on each line.
    pub features: usize,
    /// The number of classes: labels are `0..classes`.
    pub classes: usize,
    /// The shape of one example's features (its product must be `features`); empty means
    /// `[features]`.
    pub shape: Vec<usize>,
}

impl CsvLayout {
    /// The digits' layout: 64 pixels (8×8, row-major) then a label 0–9.
    #[must_use]
    pub fn digits() -> Self {
        Self { features: 64, classes: 10, shape: vec![8, 8] }
    }
}

/// Largest magnitude accepted for a feature: every integer up to 2²⁴ is exact in `f32`.
const MAX_FEATURE: u64 = 1 << 24;

/// Parses `bytes` (gzip or plain CSV) named `file` for error messages.
pub(crate) fn read_csv(bytes: &[u8], file: &Path, layout: &CsvLayout) -> Result<Dataset> {
    if layout.classes == 0 || layout.classes > 256 {
        return Err(Error::InvalidHyperparameter {
            name: "classes",
            value: layout.classes as f64,
            valid: "in 1..=256 (labels are u8)",
        });
    }
    let shape = if layout.shape.is_empty() { vec![layout.features] } else { layout.shape.clone() };
    if shape.iter().product::<usize>() != layout.features {
        return Err(Error::DimensionMismatch {
            what: "CSV layout shape",
            expected: layout.features,
            got: shape.iter().product(),
        });
    }
    let mut reader = BufReader::new(source::decoded(bytes, file)?);
    let row_error = |line: u64, offset: u64, reason: String| Error::MalformedRow {
        file: file.to_path_buf(),
        line,
        offset,
        reason,
    };
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut buf = Vec::new();
    let mut offset = 0u64;
    let mut line = 0u64;
    let mut blank_at: Option<(u64, u64)> = None;
    loop {
        buf.clear();
        let k = loop {
            match reader.read_until(b'\n', &mut buf) {
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                r => {
                    break r.map_err(|e| source::read_error(file, offset + buf.len() as u64, e))?;
                }
            }
        };
        if k == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&buf)
            .map_err(|e| row_error(line, offset, format!("not UTF-8 text: {e}")))?
            .trim();
        if text.is_empty() {
            // Blank lines are allowed only at the end of the file (a trailing newline or two).
            blank_at.get_or_insert((line, offset));
            offset += k as u64;
            continue;
        }
        if let Some((l, o)) = blank_at {
            return Err(row_error(l, o, "blank line between rows".into()));
        }
        let mut count = 0usize;
        for (column, field) in text.split(',').enumerate() {
            count += 1;
            if column > layout.features {
                continue;
            }
            let value: i64 = field.trim().parse().map_err(|_| {
                row_error(
                    line,
                    offset,
                    format!("field {} is {:?}, not an integer", column + 1, field.trim()),
                )
            })?;
            if column < layout.features {
                if value.unsigned_abs() > MAX_FEATURE {
                    return Err(row_error(
                        line,
                        offset,
                        format!("field {} is {value}, beyond ±2^24 (not exact in f32)", column + 1),
                    ));
                }
                features.push(value as f32);
            } else if (0..layout.classes as i64).contains(&value) {
                labels.push(value as u8);
            } else {
                return Err(row_error(
                    line,
                    offset,
                    format!("label {value} (field {}) is not in 0..{}", column + 1, layout.classes),
                ));
            }
        }
        if count != layout.features + 1 {
            return Err(row_error(
                line,
                offset,
                format!(
                    "{count} fields, expected {} ({} features and the label)",
                    layout.features + 1,
                    layout.features
                ),
            ));
        }
        offset += k as u64;
    }
    if labels.is_empty() {
        return Err(Error::Malformed {
            file: file.to_path_buf(),
            offset: 0,
            reason: "empty file: no rows".into(),
        });
    }
    Dataset::new(features, labels, layout.classes, shape)
}
