//! Saved meta-models: θ with its network, settings and kind, in one checksummed file.
//!
//! # File format
//! The layout of `descent-nn`'s checkpoints: the 8 bytes `DMETAML\0`, a format version (u32,
//! little-endian; this is version 1), the length of the rest of the file (u64) and its CRC-32
//! (u32, IEEE), then two sections in postcard's serde encoding:
//!
//! | section | contents |
//! |---|---|
//! | header | the precision (`f32`/`f64`), the network ([`MlpSpec`]), [`MetaConfig`], [`ModelKind`] |
//! | model | θ, `Vec<T>` (floats as their little-endian bytes: the exact bits) |
//!
//! Files are written atomically (a temporary file in the same directory, flushed, renamed over
//! the target) and read by [`load`]; [`from_bytes`] decodes the same bytes from memory (a model
//! embedded with `include_bytes!`) with the same checks. A file cut short, damaged anywhere, of another version or precision, or with a
//! θ that does not fit its network gives [`Error::Malformed`] with the offending byte offset.

use std::io::Write as _;
use std::path::Path;

use descent_nn::checkpoint::Precision;
use descent_nn::model::{Mlp, MlpSpec, Model as _, Scalar};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{MetaConfig, MetaModel, ModelKind};
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"DMETAML\0";
const VERSION: u32 = 1;
/// Bytes before the first section: magic, version, length, checksum.
const PREAMBLE: usize = MAGIC.len() + 4 + 8 + 4;

#[derive(Serialize, Deserialize)]
struct Header {
    precision: Precision,
    spec: MlpSpec,
    config: MetaConfig,
    kind: ModelKind,
}

/// Writes `model` to `path`, atomically; see the [module docs](self).
///
/// # Errors
/// [`Error::DimensionMismatch`] when θ does not fit the model's network; [`Error::Network`]
/// when the spec is invalid; [`Error::Io`] when the file cannot be written (the old file, if
/// any, is kept).
pub fn save<T: Scalar>(path: &Path, model: &MetaModel<T>) -> Result<()> {
    let expected = Mlp::from_spec(&model.spec)?.num_params();
    if model.params.len() != expected {
        return Err(Error::DimensionMismatch {
            what: "meta-model parameters",
            expected,
            got: model.params.len(),
        });
    }
    let header = Header {
        precision: Precision::of::<T>(),
        spec: model.spec.clone(),
        config: model.config.clone(),
        kind: model.kind,
    };
    let mut bytes = Vec::with_capacity(PREAMBLE + 256 + 8 * model.params.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.resize(PREAMBLE, 0); // length and checksum, filled in below
    let mut bytes = postcard::to_extend(&header, bytes)
        .and_then(|b| postcard::to_extend(&model.params, b))
        .map_err(|e| Error::Io {
            file: path.to_owned(),
            source: std::io::Error::other(format!("encoding the model: {e}")),
        })?;
    let length = (bytes.len() - PREAMBLE) as u64;
    let checksum = crc32fast::hash(&bytes[PREAMBLE..]);
    bytes[MAGIC.len() + 4..MAGIC.len() + 12].copy_from_slice(&length.to_le_bytes());
    bytes[MAGIC.len() + 12..PREAMBLE].copy_from_slice(&checksum.to_le_bytes());
    write_atomically(path, &bytes)
}

/// Reads the model saved at `path` as `T`; the checks of [`from_bytes`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Malformed`] when it is not a
/// meta-model of this version, is cut short or damaged, holds another precision than `T`, or
/// a θ that does not fit its network.
pub fn load<T: Scalar>(path: &Path) -> Result<MetaModel<T>> {
    let bytes =
        std::fs::read(path).map_err(|source| Error::Io { file: path.to_owned(), source })?;
    from_bytes(&bytes, path)
}

/// Decodes a model from the bytes of a saved file (one embedded with `include_bytes!`, say),
/// with every check [`load`] makes. `name` is what errors call the bytes: the file they came
/// from, or a label.
///
/// # Errors
/// [`Error::Malformed`] (naming `name`) when the bytes are not a meta-model of this version,
/// are cut short or damaged, hold another precision than `T`, or a θ that does not fit its
/// network.
pub fn from_bytes<T: Scalar>(bytes: &[u8], name: &Path) -> Result<MetaModel<T>> {
    let malformed = |offset: usize, reason: String| Error::Malformed {
        file: name.to_owned(),
        offset: offset as u64,
        reason,
    };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(malformed(0, "not a descent-meta model (no DMETAML magic)".into()));
    }
    if bytes.len() < PREAMBLE {
        return Err(malformed(
            bytes.len(),
            format!("cut short: {} bytes, less than the {PREAMBLE}-byte preamble", bytes.len()),
        ));
    }
    let field = |at: usize, len: usize| {
        bytes[at..at + len].iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b))
    };
    let version = field(MAGIC.len(), 4);
    if version != u64::from(VERSION) {
        return Err(malformed(
            MAGIC.len(),
            format!("format version {version}; this build reads version {VERSION}"),
        ));
    }
    let (declared, found) = (field(MAGIC.len() + 4, 8), (bytes.len() - PREAMBLE) as u64);
    if declared != found {
        let how = if found < declared { "cut short" } else { "too long" };
        return Err(malformed(
            bytes
                .len()
                .min(PREAMBLE.saturating_add(usize::try_from(declared).unwrap_or(usize::MAX))),
            format!("{how}: the preamble declares {declared} bytes after it, the file has {found}"),
        ));
    }
    if u64::from(crc32fast::hash(&bytes[PREAMBLE..])) != field(MAGIC.len() + 12, 4) {
        return Err(malformed(
            PREAMBLE,
            "damaged: the CRC-32 of its contents does not match the preamble's".into(),
        ));
    }
    let rest = &bytes[PREAMBLE..];
    let (header, rest): (Header, _) = section(rest, PREAMBLE, "header", &malformed)?;
    let at = bytes.len() - rest.len();
    if header.precision != Precision::of::<T>() {
        return Err(malformed(
            at,
            format!(
                "the numbers are {}, {} was asked for",
                header.precision.name(),
                Precision::of::<T>().name()
            ),
        ));
    }
    let expected = Mlp::from_spec(&header.spec)
        .map_err(|e| malformed(PREAMBLE, format!("its network is invalid: {e}")))?
        .num_params();
    let (params, rest): (Vec<T>, _) = section(rest, at, "model parameters", &malformed)?;
    if params.len() != expected {
        return Err(malformed(
            at,
            format!("{} parameters for a network of {expected}", params.len()),
        ));
    }
    if !rest.is_empty() {
        return Err(malformed(
            bytes.len() - rest.len(),
            format!("{} unexpected bytes after the last section", rest.len()),
        ));
    }
    Ok(MetaModel { spec: header.spec, params, config: header.config, kind: header.kind })
}

/// Decodes the section `what` at byte `at` from `bytes`.
fn section<'a, D: DeserializeOwned>(
    bytes: &'a [u8],
    at: usize,
    what: &str,
    malformed: &impl Fn(usize, String) -> Error,
) -> Result<(D, &'a [u8])> {
    postcard::take_from_bytes::<D>(bytes)
        .map_err(|e| malformed(at, format!("the {what} section does not decode: {e}")))
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io { file: path.to_owned(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".meta-model-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    // A temporary file is created readable by its owner alone; a model is an ordinary output.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    file.as_file().sync_all().map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maml::{Algorithm, MetaConfig, meta_train};
    use crate::tasks::Sinusoid;

    #[test]
    fn a_preamble_declaring_2_to_the_64_bytes_is_cut_short_at_the_end_of_the_file() {
        // The `maml` fuzz target's input fuzz/regressions/maml/preamble-length-overflows: the
        // error offset, PREAMBLE + declared, overflowed (a panic in a build with overflow
        // checks, a wrong offset without).
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(b"abcd");
        match from_bytes::<f32>(&bytes, Path::new("x.dmeta")) {
            Err(Error::Malformed { offset, reason, .. }) => {
                assert_eq!(offset, bytes.len() as u64);
                assert!(reason.contains("cut short"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// `from_bytes` gives what `load` gives, bit for bit, and refuses what `load` refuses,
    /// naming the label it was given.
    #[test]
    fn from_bytes_decodes_a_saved_file_with_load_s_checks() {
        let mut config = MetaConfig::paper(Algorithm::FirstOrderMaml, 5);
        config.iterations = 2;
        config.hidden = vec![8, 8];
        let model = meta_train::<_, f64>(&Sinusoid::default(), &config, |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.dmeta");
        save(&path, &model).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let label = Path::new("<embedded m.dmeta>");
        let decoded: MetaModel<f64> = from_bytes(&bytes, label).unwrap();
        let loaded: MetaModel<f64> = load(&path).unwrap();
        assert_eq!(decoded, loaded);
        assert!(decoded.params.iter().zip(&model.params).all(|(a, b)| a.to_bits() == b.to_bits()));
        for bad in [&bytes[..bytes.len() - 1], &bytes[..10], &b"DMETAML"[..]] {
            match from_bytes::<f64>(bad, label) {
                Err(Error::Malformed { file, .. }) => assert_eq!(file, label),
                other => panic!("{} bytes: {other:?}", bad.len()),
            }
        }
        let mut flipped = bytes.clone();
        flipped[PREAMBLE + 3] ^= 1;
        assert!(matches!(
            from_bytes::<f64>(&flipped, label),
            Err(Error::Malformed { offset, .. }) if offset == PREAMBLE as u64
        ));
        assert!(matches!(from_bytes::<f32>(&bytes, label), Err(Error::Malformed { .. })));
    }
}
