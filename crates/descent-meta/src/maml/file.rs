//! Saved meta-models: θ with its network, settings and kind, in one checksummed file.
//!
//! # File format
//! The container of descent-nn's checkpoints ([`descent_io::frame`]) with its own magic: the 8
//! bytes `DMETAML\0`, a format version (u32, little-endian; this is version 1), the length of the
//! rest of the file (u64) and its CRC-32 (u32, IEEE), then two sections in postcard's serde
//! encoding:
//!
//! | section | contents |
//! |---|---|
//! | header | the precision (`f32`/`f64`), the network ([`MlpSpec`]), [`MetaConfig`], [`ModelKind`] |
//! | model | θ, `Vec<T>` (floats as their little-endian bytes: the exact bits) |
//!
//! Files are written atomically ([`descent_io::write_atomic`]: a temporary file in the same
//! directory, flushed, renamed over the target) and read by [`load`]; [`from_bytes`] decodes the
//! same bytes from memory (a model embedded with `include_bytes!`) with the same checks. A file cut
//! short, damaged anywhere, of another version or precision, or with a θ that does not fit its
//! network gives [`Error::Malformed`] with the offending byte offset.

use std::path::Path;

use descent_io::frame::{self, Format};
use descent_nn::checkpoint::Precision;
use descent_nn::model::{Mlp, MlpSpec, Model as _, Scalar};
use serde::{Deserialize, Serialize};

use super::{MetaConfig, MetaModel, ModelKind};
use crate::{Error, Result};

/// The container ([`descent_io::frame`]), version 1.
const FORMAT: Format = Format::new(b"DMETAML\0", 1, "descent-meta model");
/// Bytes before the first section: magic, version, length, checksum.
const PREAMBLE: usize = frame::PREAMBLE;

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
    let mut writer = frame::Writer::with_capacity(&FORMAT, 256 + 8 * model.params.len());
    writer
        .section("header", &header)
        .and_then(|()| writer.section("model parameters", &model.params))
        .map_err(|e| Error::Io {
            file: path.to_owned(),
            source: std::io::Error::other(format!("encoding the model: {e}")),
        })?;
    Ok(descent_io::write_atomic(path, &writer.finish())?)
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
    let malformed = |e: frame::Malformed| Error::Malformed {
        file: name.to_owned(),
        offset: e.offset,
        reason: e.reason,
    };
    let mut reader = frame::Reader::open(bytes, &FORMAT).map_err(malformed)?;
    let header: Header = reader.section("header").map_err(malformed)?;
    let at = reader.offset();
    if header.precision != Precision::of::<T>() {
        return Err(malformed(frame::Malformed::new(
            at,
            format!(
                "the numbers are {}, {} was asked for",
                header.precision.name(),
                Precision::of::<T>().name()
            ),
        )));
    }
    let expected = Mlp::from_spec(&header.spec)
        .map_err(|e| {
            malformed(frame::Malformed::new(PREAMBLE, format!("its network is invalid: {e}")))
        })?
        .num_params();
    let params: Vec<T> = reader.section("model parameters").map_err(malformed)?;
    if params.len() != expected {
        return Err(malformed(frame::Malformed::new(
            at,
            format!("{} parameters for a network of {expected}", params.len()),
        )));
    }
    reader.finish().map_err(malformed)?;
    Ok(MetaModel { spec: header.spec, params, config: header.config, kind: header.kind })
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
        let mut bytes = FORMAT.magic.to_vec();
        bytes.extend_from_slice(&FORMAT.version.to_le_bytes());
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

    /// The shipped files, written by the format's code before descent-io's container existed,
    /// load from disk, and saving what they hold gives the same bytes again: the layout did not
    /// change.
    #[test]
    fn the_shipped_files_load_and_save_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        for name in ["maml-sinusoid-10shot.dmeta", "pretrained-sinusoid-10shot.dmeta"] {
            let shipped = std::fs::read(data.join(name)).unwrap();
            assert_eq!(&shipped[..8], b"DMETAML\0");
            let model: MetaModel<f32> = load(&data.join(name)).unwrap();
            assert_eq!(model.params.len(), Mlp::from_spec(&model.spec).unwrap().num_params());
            let again = dir.path().join(name);
            save(&again, &model).unwrap();
            assert!(std::fs::read(&again).unwrap() == shipped, "{name} saved differently");
        }
    }
}
