//! How `descent` writes files: every output appears whole or not at all, and its binary
//! formats share one checksummed container.
//!
//! A file that a reader (a person, a plotting script, a resumed run) finds half-written is worse
//! than no file: it looks like a result. Every crate of the workspace therefore writes its
//! outputs — figures (SVG, PNG), the HTML report, JSON and CSV traces, WAV, FITS and PNG
//! images, checkpoints, saved models — through [`AtomicFile`] or [`write_atomic`] here: the
//! bytes go to a temporary file in the target's directory, are flushed to disk, and the file is
//! renamed over the target, so that a crash, a kill or a full disk leaves the old file (or
//! none), never a mixture. A test of this crate (`tests/no_other_writers.rs`) checks that no
//! other crate's source opens files for writing itself.
//!
//! The three binary formats (descent-nn checkpoints, descent-meta models, descent-distributed
//! checkpoints) share one framing, [`frame`]: magic bytes, a format version, the length and
//! CRC-32 of the rest, then serde sections. One reader checks it for all three, with the byte
//! offset of what is wrong.
//!
//! | item | what |
//! |---|---|
//! | [`AtomicFile`] | a file that appears at its path only when [`commit`](AtomicFile::commit)ted; `std::io::Write` for streaming |
//! | [`write_atomic`] | the common case: bytes in memory to a path |
//! | [`Error`] | "cannot write PATH: cause" |
//! | [`frame`] | the container: [`frame::Writer`], [`frame::Reader`], [`frame::Format`] |
//!
//! # Quick start
//! ```
//! use std::io::Write as _;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("trace.csv");
//! descent_io::write_atomic(&path, b"iteration,value\n")?;
//!
//! let mut file = descent_io::AtomicFile::create(&path)?; // fails now if the path is unwritable
//! writeln!(file, "iteration,value")?;
//! writeln!(file, "0,55")?;
//! assert_eq!(std::fs::read(&path)?, b"iteration,value\n"); // the old file until the commit
//! file.commit()?;
//! assert_eq!(std::fs::read(&path)?, b"iteration,value\n0,55\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod atomic;
pub mod frame;

pub use atomic::{AtomicFile, Error, Result, write_atomic};
