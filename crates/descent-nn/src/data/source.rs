//! Opening a data file that may be gzip-compressed, and turning read failures into typed errors.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::path::Path;

use flate2::bufread::GzDecoder;

use crate::{Error, Result};

/// The first two bytes of every gzip stream (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A reader of the decompressed contents of `inner`: gzip when it starts with the gzip magic,
/// plain otherwise.
pub(crate) fn decoded<'a, R: BufRead + 'a>(
    mut inner: R,
    file: &Path,
) -> Result<Box<dyn Read + 'a>> {
    let head = inner.fill_buf().map_err(|source| Error::Io { file: file.to_path_buf(), source })?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(GzDecoder::new(inner)))
    } else {
        Ok(Box::new(inner))
    }
}

/// Opens `path` and returns a reader of its decompressed contents.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path).map_err(|source| Error::Io { file: path.to_path_buf(), source })?;
    decoded(BufReader::with_capacity(1 << 16, file), path)
}

/// A failed read at decompressed byte `offset`: a corrupt or truncated gzip stream is
/// [`Error::Malformed`]; anything else (the disk, permissions) is [`Error::Io`].
pub(crate) fn read_error(file: &Path, offset: u64, source: std::io::Error) -> Error {
    match source.kind() {
        ErrorKind::InvalidData | ErrorKind::InvalidInput | ErrorKind::UnexpectedEof => {
            Error::Malformed {
                file: file.to_path_buf(),
                offset,
                reason: format!("corrupt or truncated gzip stream: {source}"),
            }
        }
        _ => Error::Io { file: file.to_path_buf(), source },
    }
}

/// Reads until `buf` is full or the end of the data; returns how many bytes were read.
pub(crate) fn read_full(
    reader: &mut dyn Read,
    buf: &mut [u8],
    file: &Path,
    offset: u64,
) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(file, offset + filled as u64, e)),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_stream_is_malformed_and_a_disk_failure_is_io() {
        let file = Path::new("f");
        for kind in [ErrorKind::InvalidData, ErrorKind::InvalidInput, ErrorKind::UnexpectedEof] {
            let e = read_error(file, 7, std::io::Error::new(kind, "x"));
            assert!(matches!(e, Error::Malformed { offset: 7, .. }), "{kind:?}: {e:?}");
        }
        let e = read_error(file, 7, std::io::Error::new(ErrorKind::PermissionDenied, "x"));
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
    }

    #[test]
    fn gzip_is_detected_by_its_magic_bytes_not_the_name() {
        let mut plain = String::new();
        decoded(&b"1,2\n"[..], Path::new("x.gz")).unwrap().read_to_string(&mut plain).unwrap();
        assert_eq!(plain, "1,2\n");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, b"3,4\n").unwrap();
        let gz = enc.finish().unwrap();
        let mut text = String::new();
        decoded(&gz[..], Path::new("x.csv")).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "3,4\n");
    }
}
