//! The container of descent's binary files: a checked preamble, then serde sections.
//!
//! descent-nn checkpoints (`DNNCKPT\0`), descent-meta models (`DMETAML\0`) and
//! descent-distributed checkpoints (`DDPCKPT\0`) are laid out alike:
//!
//! | bytes | contents |
//! |---|---|
//! | 0–7 | the format's magic bytes |
//! | 8–11 | its version, u32 little-endian |
//! | 12–19 | L, the number of bytes after the preamble, u64 little-endian |
//! | 20–23 | the CRC-32 (IEEE) of those L bytes, u32 little-endian |
//! | 24… | the body: sections in [postcard](https://postcard.jamesmunns.com/wire-format)'s serde encoding, one after another |
//!
//! The length catches a file cut short (or with bytes appended) before any section is decoded,
//! also by a reader that needs only the first sections; the CRC-32 catches damage anywhere.
//! [`Writer`] builds such a file, [`Reader::open`] checks its preamble and then decodes its
//! sections one by one with the byte offset of each. The errors ([`Malformed`]) carry the byte
//! offset and a reason but no file name: the format's crate adds the file (its own
//! `Error::Malformed { file, offset, reason }`).
//!
//! # Example
//! ```
//! use descent_io::frame::{Format, Reader, Writer};
//!
//! const FORMAT: Format = Format::new(b"EXAMPLE\0", 1, "example file");
//! let mut writer = Writer::new(&FORMAT);
//! writer.section("header", "a header")?;
//! writer.section("numbers", &vec![1.5_f64, -2.0])?;
//! let bytes = writer.finish();
//!
//! let mut reader = Reader::open(&bytes, &FORMAT)?;
//! assert_eq!(reader.offset(), 24);
//! let header: String = reader.section("header")?;
//! let numbers: Vec<f64> = reader.section("numbers")?;
//! reader.finish()?;
//! assert_eq!((header.as_str(), numbers), ("a header", vec![1.5, -2.0]));
//!
//! let e = Reader::open(&bytes[..bytes.len() - 1], &FORMAT).unwrap_err();
//! assert_eq!(e.to_string(), "byte 49: cut short: the preamble declares 26 bytes after it, the file has 25");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes before the first section: magic (8), version (4), length (8), checksum (4).
pub const PREAMBLE: usize = 8 + 4 + 8 + 4;

/// Where the length and the checksum sit in the preamble.
const LENGTH_AT: usize = 12;
const CHECKSUM_AT: usize = 20;

/// A file format: what its preamble must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// The first 8 bytes of every file of the format.
    pub magic: &'static [u8; 8],
    /// The version this build writes and reads.
    pub version: u32,
    /// What errors call a file of the format when its magic is wrong ("descent-nn
    /// checkpoint": "not a descent-nn checkpoint (no DNNCKPT magic)").
    pub name: &'static str,
    /// Older versions this build knows of but no longer reads, each with the whole message to
    /// give for it (what changed and what to do); other versions get "format version V; this
    /// build reads version W".
    pub retired: &'static [(u32, &'static str)],
}

impl Format {
    /// A format with no retired versions.
    #[must_use]
    pub const fn new(magic: &'static [u8; 8], version: u32, name: &'static str) -> Self {
        Self { magic, version, name, retired: &[] }
    }

    /// The magic bytes as text, without the trailing NUL (`DNNCKPT`).
    fn magic_text(&self) -> String {
        String::from_utf8_lossy(self.magic).trim_end_matches('\0').to_owned()
    }
}

/// What is wrong with a file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {reason}")]
pub struct Malformed {
    /// The byte offset of the fault: 0 for the magic, 8 for the version, the end of the bytes
    /// for a file cut short, [`PREAMBLE`] for a checksum mismatch, the start of a section that
    /// does not decode.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

impl Malformed {
    /// A fault at byte `offset`.
    #[must_use]
    pub fn new(offset: usize, reason: impl Into<String>) -> Self {
        Self { offset: offset as u64, reason: reason.into() }
    }
}

/// A section that could not be encoded (a serde `Serialize` implementation that fails; never
/// the case for plain data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} section does not encode: {message}")]
pub struct EncodeError {
    /// The section.
    pub what: String,
    /// The encoder's message.
    pub message: String,
}

/// Builds a file of a [`Format`]: the preamble, then sections; [`finish`](Self::finish) fills
/// in the length and the checksum.
#[derive(Debug)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// A file of `format` with no sections yet.
    #[must_use]
    pub fn new(format: &Format) -> Self {
        Self::with_capacity(format, 0)
    }

    /// As [`new`](Self::new), with room for `capacity` bytes of sections.
    #[must_use]
    pub fn with_capacity(format: &Format, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(PREAMBLE + capacity);
        bytes.extend_from_slice(format.magic);
        bytes.extend_from_slice(&format.version.to_le_bytes());
        bytes.resize(PREAMBLE, 0); // length and checksum, filled in by `finish`
        Self { bytes }
    }

    /// Appends `value`'s postcard encoding as the section `what` (the name is for errors).
    ///
    /// # Errors
    /// [`EncodeError`] when `value`'s `Serialize` fails.
    pub fn section<S: Serialize + ?Sized>(
        &mut self,
        what: &str,
        value: &S,
    ) -> Result<(), EncodeError> {
        let len = self.bytes.len();
        postcard::to_extend(value, Append(&mut self.bytes)).map(|_| ()).map_err(|e| {
            self.bytes.truncate(len); // no half section
            EncodeError { what: what.to_owned(), message: e.to_string() }
        })
    }

    /// The file's bytes, length and checksum filled in.
    #[must_use]
    pub fn finish(mut self) -> Vec<u8> {
        let length = (self.bytes.len() - PREAMBLE) as u64;
        let checksum = crc32fast::hash(&self.bytes[PREAMBLE..]);
        self.bytes[LENGTH_AT..CHECKSUM_AT].copy_from_slice(&length.to_le_bytes());
        self.bytes[CHECKSUM_AT..PREAMBLE].copy_from_slice(&checksum.to_le_bytes());
        self.bytes
    }
}

/// Appends to a borrowed buffer (postcard's `to_extend` takes its writer by value).
struct Append<'a>(&'a mut Vec<u8>);

impl Extend<u8> for Append<'_> {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, bytes: I) {
        self.0.extend(bytes);
    }
}

/// Reads a file of a [`Format`]: the preamble checked by [`open`](Self::open), then the
/// sections in order, each error with the byte offset of the section at fault.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    all: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Checks the magic bytes, the version, the declared length against the actual one, and
    /// the checksum, in that order.
    ///
    /// # Errors
    /// [`Malformed`], at byte 0 for other magic bytes, at byte 8 for another version, at the
    /// end of the bytes for a file cut short inside the preamble or shorter than declared (at
    /// the declared end for one longer), at byte [`PREAMBLE`] for a checksum mismatch.
    pub fn open(bytes: &'a [u8], format: &Format) -> Result<Self, Malformed> {
        let magic = format.magic.len();
        if bytes.len() < magic || &bytes[..magic] != format.magic {
            return Err(Malformed::new(
                0,
                format!("not a {} (no {} magic)", format.name, format.magic_text()),
            ));
        }
        if bytes.len() < PREAMBLE {
            return Err(Malformed::new(
                bytes.len(),
                format!("cut short: {} bytes, less than the {PREAMBLE}-byte preamble", bytes.len()),
            ));
        }
        let field = |at: usize, len: usize| {
            bytes[at..at + len].iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b))
        };
        let version = field(magic, 4);
        if version != u64::from(format.version) {
            let retired = format.retired.iter().find(|(v, _)| u64::from(*v) == version);
            let reason = match retired {
                Some((_, message)) => (*message).to_owned(),
                None => {
                    format!("format version {version}; this build reads version {}", format.version)
                }
            };
            return Err(Malformed::new(magic, reason));
        }
        let (declared, found) = (field(LENGTH_AT, 8), (bytes.len() - PREAMBLE) as u64);
        if declared != found {
            let how = if found < declared { "cut short" } else { "too long" };
            return Err(Malformed::new(
                bytes
                    .len()
                    .min(PREAMBLE.saturating_add(usize::try_from(declared).unwrap_or(usize::MAX))),
                format!(
                    "{how}: the preamble declares {declared} bytes after it, the file has {found}"
                ),
            ));
        }
        if u64::from(crc32fast::hash(&bytes[PREAMBLE..])) != field(CHECKSUM_AT, 4) {
            return Err(Malformed::new(
                PREAMBLE,
                "damaged: the CRC-32 of its contents does not match the preamble's",
            ));
        }
        Ok(Self { all: bytes, rest: &bytes[PREAMBLE..] })
    }

    /// The byte offset of the next section in the file.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.all.len() - self.rest.len()
    }

    /// The bytes not yet decoded (the whole body right after [`open`](Self::open)).
    #[must_use]
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Decodes the next section, `what` (the name is for errors).
    ///
    /// # Errors
    /// [`Malformed`] at the section's offset: "the {what} section does not decode: …".
    pub fn section<D: DeserializeOwned>(&mut self, what: &str) -> Result<D, Malformed> {
        let at = self.offset();
        match postcard::take_from_bytes::<D>(self.rest) {
            Ok((value, rest)) => {
                self.rest = rest;
                Ok(value)
            }
            Err(e) => Err(Malformed::new(at, format!("the {what} section does not decode: {e}"))),
        }
    }

    /// Checks that no bytes follow the last section.
    ///
    /// # Errors
    /// [`Malformed`] at the first byte after the last section.
    pub fn finish(&self) -> Result<(), Malformed> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Malformed::new(
                self.offset(),
                format!("{} unexpected bytes after the last section", self.rest.len()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMAT: Format = Format {
        magic: b"TESTFMT\0",
        version: 3,
        name: "test file",
        retired: &[(2, "format version 2, from before the change; write it again")],
    };

    /// A file of two sections: a string and three floats.
    fn file() -> Vec<u8> {
        let mut writer = Writer::with_capacity(&FORMAT, 64);
        writer.section("name", "abc").unwrap();
        writer.section("numbers", &vec![1.0_f32, -0.5, 3.25]).unwrap();
        writer.finish()
    }

    #[test]
    fn the_preamble_has_the_documented_layout() {
        let bytes = file();
        // postcard: a string is its length (varint) then its bytes; a slice of f32 its length
        // then 4 little-endian bytes each.
        let mut body = vec![3, b'a', b'b', b'c', 3];
        for x in [1.0_f32, -0.5, 3.25] {
            body.extend_from_slice(&x.to_le_bytes());
        }
        assert_eq!(&bytes[..8], b"TESTFMT\0");
        assert_eq!(bytes[8..12], 3u32.to_le_bytes());
        assert_eq!(bytes[12..20], (body.len() as u64).to_le_bytes());
        assert_eq!(bytes[20..24], crc32fast::hash(&body).to_le_bytes());
        assert_eq!(&bytes[24..], body);
        // The standard check value of CRC-32 (IEEE): "123456789" → 0xCBF43926.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn sections_read_back_with_their_offsets() {
        let bytes = file();
        let mut reader = Reader::open(&bytes, &FORMAT).unwrap();
        assert_eq!((reader.offset(), reader.rest().len()), (PREAMBLE, bytes.len() - PREAMBLE));
        let name: String = reader.section("name").unwrap();
        assert_eq!((name.as_str(), reader.offset()), ("abc", PREAMBLE + 4));
        let numbers: Vec<f32> = reader.section("numbers").unwrap();
        assert_eq!(numbers, [1.0, -0.5, 3.25]);
        reader.finish().unwrap();
        // A section that is not there: the offset of where it should start.
        let e = reader.section::<u32>("extra").unwrap_err();
        assert_eq!(e.offset, bytes.len() as u64);
        assert!(e.reason.starts_with("the extra section does not decode: "), "{e}");
    }

    #[test]
    fn each_fault_has_its_offset_and_message() {
        let bytes = file();
        let open = |b: &[u8]| Reader::open(b, &FORMAT).unwrap_err();
        assert_eq!(open(b"DNNCKPT\0rest"), Malformed::new(0, "not a test file (no TESTFMT magic)"));
        assert_eq!(open(b"TEST").offset, 0);
        assert_eq!(
            open(&bytes[..10]),
            Malformed::new(10, "cut short: 10 bytes, less than the 24-byte preamble")
        );
        let mut other = bytes.clone();
        other[8] = 9;
        assert_eq!(open(&other), Malformed::new(8, "format version 9; this build reads version 3"));
        other[8] = 2;
        assert_eq!(
            open(&other),
            Malformed::new(8, "format version 2, from before the change; write it again")
        );
        let n = bytes.len() - PREAMBLE;
        assert_eq!(
            open(&bytes[..bytes.len() - 2]),
            Malformed::new(
                bytes.len() - 2,
                format!(
                    "cut short: the preamble declares {n} bytes after it, the file has {}",
                    n - 2
                )
            )
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            open(&longer),
            Malformed::new(
                bytes.len(),
                format!(
                    "too long: the preamble declares {n} bytes after it, the file has {}",
                    n + 1
                )
            )
        );
        // A huge declared length does not overflow the offset.
        let mut huge = bytes.clone();
        huge[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(open(&huge).offset, bytes.len() as u64);
        for at in PREAMBLE..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert_eq!(
                open(&flipped),
                Malformed::new(
                    PREAMBLE,
                    "damaged: the CRC-32 of its contents does not match the preamble's"
                ),
                "bit flipped at {at}"
            );
        }
        // Bytes after the last section (a consistent preamble, one extra section).
        let mut writer = Writer::new(&FORMAT);
        writer.section("name", "abc").unwrap();
        writer.section("extra", &7u8).unwrap();
        let bytes = writer.finish();
        let mut reader = Reader::open(&bytes, &FORMAT).unwrap();
        let _: String = reader.section("name").unwrap();
        assert_eq!(
            reader.finish().unwrap_err(),
            Malformed::new(PREAMBLE + 4, "1 unexpected bytes after the last section")
        );
    }

    #[test]
    fn a_failing_serialize_is_an_encode_error() {
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let mut writer = Writer::new(&FORMAT);
        writer.section("name", "abc").unwrap();
        let e = writer.section("odd", &Refuses).unwrap_err();
        assert!(e.to_string().starts_with("the odd section does not encode: "), "{e}");
        // Nothing of the failed section stays: the file reads as one section.
        let bytes = writer.finish();
        let mut reader = Reader::open(&bytes, &FORMAT).unwrap();
        let _: String = reader.section("name").unwrap();
        reader.finish().unwrap();
    }
}
