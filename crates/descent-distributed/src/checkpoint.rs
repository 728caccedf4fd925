//! Step checkpoints of a data-parallel run: written by rank 0 every N optimizer steps, read
//! back by rank 0 and broadcast, so that a restarted job continues bit for bit.
//!
//! A checkpoint holds everything [`train_data_parallel`](crate::train::train_data_parallel)
//! carries from one step to the next: θ, the optimizer's state (moments, step count, schedule
//! position), the [`Progress`] (the next epoch and minibatch of the seeded data order, the
//! step, the statistics of the finished epochs) and the run's [`DataParallelConfig`]. The data
//! order needs no storing: epoch e's permutation is
//! [`fill_epoch_order`](descent_nn::data::fill_epoch_order)`(seed, e)`, recreated from the
//! seed. Timings are not stored, so two runs that reach the same step write the same bytes.
//!
//! descent-nn's own [`checkpoint`](descent_nn::checkpoint) is saved between epochs and
//! describes an [`Mlp`](descent_nn::Mlp); this one is saved between steps, for any
//! [`Model`](descent_nn::Model), and keeps the caller's description of the model in `meta`.
//!
//! # File format
//! As descent-nn's, [`descent_io::frame`]'s container: the 8 bytes `DDPCKPT\0`, a format version
//! (u32, little-endian; this is version 1), the length of the rest of the file (u64) and its CRC-32
//! (u32, IEEE), then four sections in postcard's serde encoding:
//!
//! | section | contents |
//! |---|---|
//! | header | the rule's type name, the precision, the parameter count, the ranks that wrote it, [`DataParallelConfig`], `meta` |
//! | progress | [`Progress`] |
//! | model | θ, `Vec<T>` (floats as their little-endian bytes: the exact bits) |
//! | optimizer | [`OptimizerState`] |
//!
//! Written atomically ([`descent_io::write_atomic`]: a temporary file beside the target,
//! flushed, renamed over it): a job
//! killed mid-write leaves the previous checkpoint whole.

use std::any::type_name;
use std::path::Path;

use descent::first_order::columns::Columns;
use descent::first_order::{Optimizer, OptimizerState, Rule};
use descent_io::frame::{self, Format};
use descent_nn::checkpoint::Precision;
use serde::{Deserialize, Serialize};

use crate::comm::Communicator;
use crate::train::{DataParallelConfig, Element, Progress};
use crate::{Error, Result};

/// The container ([`descent_io::frame`]), version 1.
const FORMAT: Format = Format::new(b"DDPCKPT\0", 1, "data-parallel checkpoint");

/// What a checkpoint's numbers mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The optimizer rule's type name (`std::any::type_name`): a run resumes with the same rule.
    pub rule: String,
    /// The type of θ and of the optimizer state.
    pub precision: Precision,
    /// The number of parameters.
    pub params: usize,
    /// The number of ranks of the job that wrote it (another count resumes correctly but sums
    /// the gradients in another order, so not bit for bit).
    pub ranks: usize,
    /// The run's configuration.
    pub config: DataParallelConfig,
    /// The caller's own description of the run (the model, the data), free-form.
    pub meta: String,
}

/// A checkpoint read back ([`load`]).
#[derive(Debug, Clone)]
pub struct Saved<R: Rule, T: Element> {
    /// What the numbers mean.
    pub header: Header,
    /// Where the run stands.
    pub progress: Progress,
    /// θ after the saved step.
    pub params: Vec<T>,
    /// The optimizer's state: pass it to [`Optimizer::resume`] with the same rule.
    pub optimizer: OptimizerState<R, T>,
}

/// Writes the run's state to `path`, atomically. Rank 0 alone calls it.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written (the previous file, if any, is kept).
#[allow(clippy::too_many_arguments)] // The run's parts; a struct would only rename them.
pub fn save<R: Rule, T: Element>(
    path: &Path,
    meta: &str,
    ranks: usize,
    config: &DataParallelConfig,
    progress: &Progress,
    params: &[T],
    optimizer: &Optimizer<R, T>,
) -> Result<()> {
    let header = Header {
        rule: type_name::<R>().to_owned(),
        precision: Precision::of::<T>(),
        params: params.len(),
        ranks,
        config: config.clone(),
        meta: meta.to_owned(),
    };
    let mut writer = frame::Writer::with_capacity(&FORMAT, 12 * params.len());
    writer
        .section("header", &header)
        .and_then(|()| writer.section("progress", progress))
        .and_then(|()| writer.section("model parameters", params))
        .and_then(|()| writer.section("optimizer state", optimizer.state()))
        .map_err(|e| Error::Io {
            file: path.to_owned(),
            source: std::io::Error::other(format!("encoding: {e}")),
        })?;
    Ok(descent_io::write_atomic(path, &writer.finish())?)
}

/// Reads the checkpoint at `path` on rank 0 and hands it to every rank (one broadcast), so
/// that the file need exist only where rank 0 runs. Collective: every rank calls it, and every
/// rank gets the same result, error included (no rank is left waiting).
///
/// # Errors
/// [`Error::Io`] when rank 0 cannot read the file; [`Error::Malformed`] when it is not a
/// checkpoint of this version, is damaged, was written with another rule type or precision,
/// or its parts disagree in size.
pub fn load<C: Communicator + ?Sized, R: Rule, T: Element>(
    comm: &C,
    path: &Path,
) -> Result<Saved<R, T>> {
    // The first byte says whether rank 0 could read the file (0) or not (1, then the message).
    let mut bytes = Vec::new();
    if comm.is_root() {
        match std::fs::read(path) {
            Ok(contents) => {
                bytes.reserve_exact(contents.len() + 1);
                bytes.push(0);
                bytes.extend_from_slice(&contents);
            }
            Err(e) => {
                bytes.push(1);
                bytes.extend_from_slice(e.to_string().as_bytes());
            }
        }
    }
    comm.broadcast_bytes(0, &mut bytes);
    match bytes.split_first() {
        Some((0, contents)) => decode(path, contents),
        Some((_, message)) => Err(Error::Io {
            file: path.to_owned(),
            source: std::io::Error::other(format!(
                "rank 0 cannot read it: {}",
                String::from_utf8_lossy(message)
            )),
        }),
        None => Err(malformed(path, 0, "nothing was broadcast".into())),
    }
}

/// Decodes a checkpoint's bytes (`path` names it in errors).
///
/// # Errors
/// As [`load`], less the I/O.
pub fn decode<R: Rule, T: Element>(path: &Path, bytes: &[u8]) -> Result<Saved<R, T>> {
    let framed = |e: frame::Malformed| malformed(path, e.offset as usize, e.reason);
    let mut reader = frame::Reader::open(bytes, &FORMAT).map_err(framed)?;
    let at = reader.offset();
    let header: Header = reader.section("header").map_err(framed)?;
    if header.rule != type_name::<R>() {
        return Err(malformed(
            path,
            at,
            format!("saved with the rule {}, not {}", header.rule, type_name::<R>()),
        ));
    }
    if header.precision != Precision::of::<T>() {
        return Err(malformed(
            path,
            at,
            format!(
                "holds {} numbers, not {}",
                header.precision.name(),
                Precision::of::<T>().name()
            ),
        ));
    }
    let progress: Progress = reader.section("progress").map_err(framed)?;
    let at = reader.offset();
    let params: Vec<T> = reader.section("model parameters").map_err(framed)?;
    if params.len() != header.params {
        return Err(malformed(
            path,
            at,
            format!("{} parameters, the header says {}", params.len(), header.params),
        ));
    }
    let at = reader.offset();
    let optimizer: OptimizerState<R, T> = reader.section("optimizer state").map_err(framed)?;
    let cells = <R::Slot<T> as Columns<T>>::WIDTH * params.len();
    if optimizer.len != params.len() || optimizer.cells.len() != cells {
        return Err(malformed(
            path,
            at,
            format!("the optimizer state does not fit {} parameters", params.len()),
        ));
    }
    reader.finish().map_err(framed)?;
    Ok(Saved { header, progress, params, optimizer })
}

fn malformed(path: &Path, offset: usize, reason: String) -> Error {
    Error::Malformed { file: path.to_owned(), offset: offset as u64, reason }
}

#[cfg(test)]
mod tests {
    use descent::first_order::{Adam, Sgd};

    use super::*;
    use crate::Local;
    use crate::train::tests::ThreadComm;

    fn config() -> DataParallelConfig {
        DataParallelConfig { epochs: 2, batch: 8, seed: 1, check_every: None, stop_after: None }
    }

    /// A checkpoint of 3 parameters after two Adam steps, and its bytes.
    fn written(dir: &Path) -> (std::path::PathBuf, Vec<f32>, Optimizer<impl Rule, f32>) {
        let path = dir.join("c.ddp");
        let mut params = vec![1.0_f32, -2.0, 0.5];
        let mut opt = Optimizer::new(Adam::torch(0.1).rule(), 3).unwrap();
        opt.step(&mut params, &[0.3, -0.1, 2.0]).unwrap();
        opt.step(&mut params, &[0.2, 0.4, -1.0]).unwrap();
        let progress = Progress { epoch: 1, batch: 4, step: 2, epochs: Vec::new() };
        save(&path, "meta", 2, &config(), &progress, &params, &opt).unwrap();
        (path, params, opt)
    }

    #[test]
    fn a_checkpoint_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let (path, params, opt) = written(dir.path());
        let saved = load_as(&path, &opt);
        assert_eq!(saved.params, params);
        assert_eq!(&saved.optimizer, opt.state());
        assert_eq!((saved.progress.epoch, saved.progress.batch, saved.progress.step), (1, 4, 2));
        assert_eq!((saved.header.ranks, saved.header.meta.as_str()), (2, "meta"));
        assert_eq!(saved.header.config, config());
    }

    /// The byte layout is the documented one (the preamble field by field, the four sections
    /// back to back), so files written before descent-io's container still load.
    #[test]
    fn a_checkpoint_keeps_the_documented_byte_layout() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _, opt) = written(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        let saved = load_as(&path, &opt);
        let mut body = encoded(&saved.header);
        body.extend(encoded(&saved.progress));
        body.extend(encoded(&saved.params));
        body.extend(encoded(&saved.optimizer));
        assert_eq!(&bytes[..8], b"DDPCKPT\0");
        assert_eq!(bytes[8..12], 1u32.to_le_bytes());
        assert_eq!(bytes[12..20], (body.len() as u64).to_le_bytes());
        assert_eq!(&bytes[24..], body);
        // The checksum, against the bitwise CRC-32 (IEEE, reflected polynomial 0xEDB88320).
        let mut crc = !0u32;
        for &b in &body {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        assert_eq!(bytes[20..24], (!crc).to_le_bytes());
    }

    /// `value`'s postcard encoding: the bytes it adds as a section (to a file of one section).
    fn encoded<S: Serialize>(value: &S) -> Vec<u8> {
        let mut writer = frame::Writer::new(&FORMAT);
        writer.section("one", value).unwrap();
        writer.finish()[frame::PREAMBLE..].to_vec()
    }

    /// [`load`] with `opt`'s rule type.
    fn load_as<R: Rule>(path: &Path, _opt: &Optimizer<R, f32>) -> Saved<R, f32> {
        load::<_, R, f32>(&Local, path).unwrap()
    }

    /// [`decode`] with `rule`'s type.
    fn decode_like<R: Rule, T: Element>(
        path: &Path,
        bytes: &[u8],
        _rule: &R,
    ) -> Result<Saved<R, T>> {
        decode::<R, T>(path, bytes)
    }

    #[test]
    fn damaged_foreign_and_missing_files_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _, _) = written(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        let adam = Adam::torch(0.1).rule();
        decode_like::<_, f32>(&path, &bytes, &adam).unwrap();
        // One flipped bit in the optimizer state: the checksum catches it.
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let e = decode_like::<_, f32>(&path, &flipped, &adam).unwrap_err();
        assert!(
            matches!(e, Error::Malformed { offset, .. } if offset == frame::PREAMBLE as u64),
            "{e}"
        );
        // Cut short.
        let e = decode_like::<_, f32>(&path, &bytes[..bytes.len() - 3], &adam).unwrap_err();
        assert!(e.to_string().contains("declares"), "{e}");
        // Another rule type, another precision, another format.
        let e = decode_like::<_, f32>(&path, &bytes, &Sgd::new(0.1).rule()).unwrap_err();
        assert!(e.to_string().contains("saved with the rule"), "{e}");
        let e = decode_like::<_, f64>(&path, &bytes, &adam).unwrap_err();
        assert!(e.to_string().contains("holds f32 numbers, not f64"), "{e}");
        let e = decode_like::<_, f32>(&path, b"DNNCKPT\0rest", &adam).unwrap_err();
        assert!(e.to_string().contains("no DDPCKPT magic"), "{e}");
        // Missing: an I/O error on every rank, none left waiting in the broadcast.
        let missing = dir.path().join("none.ddp");
        let errors: Vec<Error> = std::thread::scope(|s| {
            let handles: Vec<_> = ThreadComm::group(2)
                .into_iter()
                .map(|comm| {
                    let (missing, adam) = (&missing, &adam);
                    s.spawn(move || load_with(&comm, missing, adam).unwrap_err())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for e in errors {
            assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("rank 0"), "{e}");
        }
    }

    fn load_with<R: Rule>(comm: &ThreadComm, path: &Path, _rule: &R) -> Result<Saved<R, f32>> {
        load::<_, R, f32>(comm, path)
    }
}
