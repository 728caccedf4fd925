//! FITS images: the primary HDU of a 2-D image, read and written.
//!
//! FITS (Flexible Image Transport System; Pence et al. 2010, *A&A* 524, A42, the FITS 4.0
//! standard) stores a header of 80-character ASCII cards (`KEYWORD = value / comment`) in
//! 2880-byte blocks ending with an `END` card, then the pixels as big-endian numbers, padded to
//! a multiple of 2880 bytes. A stored value `raw` means the physical value
//! `BZERO + BSCALE·raw` (defaults 0 and 1).
//!
//! | `BITPIX` | stored as | [`Bitpix`] |
//! |---|---|---|
//! | 8 | `u8` | [`Bitpix::U8`] |
//! | 16 | `i16` (unsigned 16-bit: `BZERO = 32768`) | [`Bitpix::I16`] |
//! | 32 | `i32` | [`Bitpix::I32`] |
//! | −32 | IEEE `f32` | [`Bitpix::F32`] |
//! | −64 | IEEE `f64` | [`Bitpix::F64`] |
//!
//! **Rows.** FITS's first stored row is the *bottom* of the picture (axis 2 counts up); the
//! reader flips the rows so that row 0 of the [`Image`] is the top, as in PNG, and the writer
//! flips them back: a file read and written keeps its orientation.
//!
//! **Why by hand.** The pure-Rust readers (`fitsrs` from CDS) do not write FITS, and their errors
//! carry no byte offset; `fitsio` wraps the C library cfitsio. The subset needed here — one
//! primary HDU, `NAXIS = 2`, five pixel types — is a few hundred lines, so this module reads and
//! writes it itself and reports every defect as [`Error::Malformed`] with the byte offset.
//!
//! **What is refused**, each as [`Error::Malformed`]: a file not starting with `SIMPLE = T`, a
//! header without `END`, a missing or unparsable `BITPIX`/`NAXIS`/`NAXISn`, an unsupported
//! `BITPIX`, `NAXIS ≠ 2` (a 3-D cube, a header-only file), a data unit shorter than the header
//! promises (checked before anything is allocated), more than [`MAX_PIXELS`] pixels, and blank
//! pixels (NaN in float data, the `BLANK` value in integer data), which have no value to
//! deconvolve, and pixels whose scaled value `BZERO + BSCALE·raw` overflows to ±∞. Extensions after
//! the primary HDU are ignored; a missing final padding is accepted when the pixels themselves are
//! complete.
//!
//! **Checked against astropy.** Files written here for every [`Bitpix`] (scaled reals and
//! unsigned 16-bit integers) pass astropy 8.0.2's `HDUList.verify('exception')` and read back
//! with the same orientation and values within the quantisation stated at [`write_fits`].

use std::path::Path;

use crate::{Error, Image, Result};

/// The largest image [`read_fits`] accepts: 2²⁸ pixels (2 GiB of `f64`).
pub const MAX_PIXELS: usize = 1 << 28;

const BLOCK: usize = 2880;
const CARD: usize = 80;

/// The pixel type of a FITS file (its `BITPIX`); see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bitpix {
    /// `BITPIX = 8`: unsigned bytes.
    U8,
    /// `BITPIX = 16`: signed 16-bit integers.
    I16,
    /// `BITPIX = 32`: signed 32-bit integers.
    I32,
    /// `BITPIX = −32`: IEEE single precision.
    F32,
    /// `BITPIX = −64`: IEEE double precision.
    F64,
}

impl Bitpix {
    /// The `BITPIX` keyword's value.
    #[must_use]
    pub fn code(self) -> i64 {
        match self {
            Bitpix::U8 => 8,
            Bitpix::I16 => 16,
            Bitpix::I32 => 32,
            Bitpix::F32 => -32,
            Bitpix::F64 => -64,
        }
    }

    /// The pixel type of a `BITPIX` value, if this module supports it.
    #[must_use]
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            8 => Some(Bitpix::U8),
            16 => Some(Bitpix::I16),
            32 => Some(Bitpix::I32),
            -32 => Some(Bitpix::F32),
            -64 => Some(Bitpix::F64),
            _ => None,
        }
    }

    /// Bytes per pixel.
    #[must_use]
    pub fn bytes(self) -> usize {
        match self {
            Bitpix::U8 => 1,
            Bitpix::I16 => 2,
            Bitpix::I32 | Bitpix::F32 => 4,
            Bitpix::F64 => 8,
        }
    }

    /// The stored integers' range, for the integer types.
    fn integer_range(self) -> Option<(f64, f64)> {
        match self {
            Bitpix::U8 => Some((0.0, 255.0)),
            Bitpix::I16 => Some((f64::from(i16::MIN), f64::from(i16::MAX))),
            Bitpix::I32 => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
            Bitpix::F32 | Bitpix::F64 => None,
        }
    }
}

/// One header value, as written after `= `.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Other(String),
}

/// A parsed header: (keyword, value, byte offset of the card) and where the data begin.
struct Header {
    cards: Vec<(String, Value, u64)>,
    end_card: u64,
    data_start: usize,
}

impl Header {
    fn find(&self, key: &str) -> Option<&(String, Value, u64)> {
        self.cards.iter().find(|(k, _, _)| k == key)
    }
}

fn malformed(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
    Error::Malformed { file: path.to_owned(), offset, reason: reason.into() }
}

/// Splits a card's value field (columns 11–80) into the value, without its comment.
fn parse_value(field: &str) -> Value {
    let field = field.trim_start();
    if let Some(rest) = field.strip_prefix('\'') {
        // A string: '' inside is a quote; it ends at the first lone quote.
        let mut text = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    text.push('\'');
                } else {
                    break;
                }
            } else {
                text.push(c);
            }
        }
        Value::Text(text.trim_end().to_owned())
    } else {
        let value = field.split('/').next().unwrap_or("");
        Value::Other(value.trim().to_owned())
    }
}

fn parse_header(path: &Path, bytes: &[u8]) -> Result<Header> {
    let mut cards = Vec::new();
    let mut offset = 0;
    loop {
        if offset + CARD > bytes.len() {
            return Err(malformed(
                path,
                offset as u64,
                "the header ends without an END card (file truncated?)",
            ));
        }
        let card = &bytes[offset..offset + CARD];
        if !card.iter().all(|b| (0x20..=0x7e).contains(b)) {
            return Err(malformed(path, offset as u64, "a header card holds non-ASCII bytes"));
        }
        // ASCII checked above, so this cannot fail.
        let card = std::str::from_utf8(card).unwrap_or_default();
        let key = card[..8].trim_end();
        if offset == 0 && key != "SIMPLE" {
            return Err(malformed(path, 0, "not a FITS file: it must begin with SIMPLE = T"));
        }
        if key == "END" {
            let data_start = (offset + CARD).div_ceil(BLOCK) * BLOCK;
            return Ok(Header { cards, end_card: offset as u64, data_start });
        }
        if &card[8..10] == "= " {
            cards.push((key.to_owned(), parse_value(&card[10..]), offset as u64));
        }
        offset += CARD;
    }
}

fn integer(path: &Path, header: &Header, key: &str) -> Result<(i64, u64)> {
    let Some((_, value, at)) = header.find(key) else {
        return Err(malformed(path, header.end_card, format!("missing keyword {key}")));
    };
    match value {
        Value::Other(s) => s
            .parse::<i64>()
            .map(|v| (v, *at))
            .map_err(|_| malformed(path, *at, format!("{key} = {s} is not an integer"))),
        Value::Text(s) => Err(malformed(path, *at, format!("{key} = '{s}' is not an integer"))),
    }
}

fn real(path: &Path, header: &Header, key: &str, default: f64) -> Result<f64> {
    let Some((_, value, at)) = header.find(key) else { return Ok(default) };
    let parsed = match value {
        // FITS allows a D exponent (Fortran double precision).
        Value::Other(s) => s.replace(['D', 'd'], "E").parse::<f64>().ok(),
        Value::Text(_) => None,
    };
    match parsed {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(malformed(path, *at, format!("{key} is not a finite number: {value:?}"))),
    }
}

/// Reads the primary HDU of a 2-D FITS image, applying `BSCALE`/`BZERO`, with row 0 at the top.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Malformed`], with the byte offset, for
/// every defect listed in the [module docs](self) (truncated data, unsupported `BITPIX`,
/// `NAXIS ≠ 2`, missing keywords, absurd sizes, blank pixels).
pub fn read_fits(path: &Path) -> Result<Image> {
    let bytes =
        std::fs::read(path).map_err(|source| Error::Io { file: path.to_owned(), source })?;
    decode(path, &bytes)
}

/// [`read_fits`] on bytes already in memory; `path` only names them in errors.
///
/// # Errors
/// As [`read_fits`], without [`Error::Io`].
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Image> {
    let header = parse_header(path, bytes)?;
    match header.find("SIMPLE") {
        Some((_, Value::Other(v), _)) if v == "T" => {}
        _ => return Err(malformed(path, 0, "SIMPLE is not T: the file does not conform to FITS")),
    }
    let (code, bitpix_at) = integer(path, &header, "BITPIX")?;
    let bitpix = Bitpix::from_code(code).ok_or_else(|| {
        malformed(
            path,
            bitpix_at,
            format!("unsupported BITPIX = {code} (use 8, 16, 32, -32 or -64)"),
        )
    })?;
    let (naxis, naxis_at) = integer(path, &header, "NAXIS")?;
    if naxis != 2 {
        return Err(malformed(
            path,
            naxis_at,
            format!(
                "NAXIS = {naxis}: only 2-D images are read (a cube or a table is not an image)"
            ),
        ));
    }
    let mut sides = [0usize; 2];
    for (i, side) in sides.iter_mut().enumerate() {
        let key = format!("NAXIS{}", i + 1);
        let (n, at) = integer(path, &header, &key)?;
        *side = usize::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
            malformed(path, at, format!("{key} = {n}: a side must be at least 1"))
        })?;
    }
    let [width, height] = sides;
    let pixels = width.checked_mul(height).filter(|&p| p <= MAX_PIXELS).ok_or_else(|| {
        malformed(path, naxis_at, format!("{width}×{height} pixels is more than {MAX_PIXELS}"))
    })?;
    let needed = pixels * bitpix.bytes();
    let available = bytes.len().saturating_sub(header.data_start);
    if available < needed {
        return Err(malformed(
            path,
            bytes.len() as u64,
            format!(
                "truncated data: {width}×{height} pixels of BITPIX {code} need {needed} bytes \
                 from byte {}, the file has {available}",
                header.data_start
            ),
        ));
    }
    let bscale = real(path, &header, "BSCALE", 1.0)?;
    let bzero = real(path, &header, "BZERO", 0.0)?;
    let blank = match bitpix {
        Bitpix::F32 | Bitpix::F64 => None,
        _ => header.find("BLANK").map(|_| integer(path, &header, "BLANK")).transpose()?,
    };
    let data = &bytes[header.data_start..header.data_start + needed];
    let size = bitpix.bytes();
    let mut out = vec![0.0; pixels];
    for (i, chunk) in data.chunks_exact(size).enumerate() {
        let raw = match bitpix {
            Bitpix::U8 => f64::from(chunk[0]),
            Bitpix::I16 => f64::from(i16::from_be_bytes([chunk[0], chunk[1]])),
            Bitpix::I32 => f64::from(i32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            Bitpix::F32 => f64::from(f32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            Bitpix::F64 => f64::from_be_bytes(chunk.try_into().unwrap_or([0; 8])),
        };
        let is_blank = !raw.is_finite() || blank.is_some_and(|(b, _)| raw == b as f64);
        // FITS row 0 is the bottom: flip.
        let (x, y) = (i % width, height - 1 - i / width);
        let bad = |what: String| {
            Err(malformed(
                path,
                (header.data_start + i * size) as u64,
                format!("pixel ({x}, {y}) {what}"),
            ))
        };
        if is_blank {
            return bad("is blank (undefined); fill it before reading".into());
        }
        // A finite BSCALE and BZERO can still overflow: 1e308·2 is +inf.
        let value = bzero + bscale * raw;
        if !value.is_finite() {
            return bad(format!("is BZERO + BSCALE·{raw} = {value}, not a finite number"));
        }
        out[y * width + x] = value;
    }
    Image::new(width, height, out)
}

/// A header card: keyword in columns 1–8, `= ` in 9–10, the value right-justified to column 30.
fn card(key: &str, value: &str, comment: &str) -> String {
    let mut c = format!("{key:<8}= {value:>20} / {comment}");
    c.truncate(CARD);
    format!("{c:<80}")
}

/// A real in FITS's free format: always with a decimal point, exponent `E`.
fn fits_real(x: f64) -> String {
    let s = format!("{x:E}");
    let (mantissa, exponent) = s.split_once('E').unwrap_or((&s, "0"));
    let mantissa =
        if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

/// The bytes of a FITS file holding `image` as `bitpix`; see [`write_fits`].
///
/// # Errors
/// As [`write_fits`], without [`Error::Io`].
pub fn encode(image: &Image, bitpix: Bitpix) -> Result<Vec<u8>> {
    image.check_finite("FITS image")?;
    let (width, height) = image.shape();
    let data = image.data();
    let (min, max) =
        data.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    // (BSCALE, BZERO): exact for integers that fit, else min..max spread over the range.
    let (bscale, bzero) = match bitpix.integer_range() {
        None => (1.0, 0.0),
        Some((lo, hi)) => {
            let integral = data.iter().all(|v| v.fract() == 0.0);
            let unsigned_offset = match bitpix {
                Bitpix::I16 => 32768.0,
                Bitpix::I32 => 2_147_483_648.0,
                _ => 0.0,
            };
            if integral && min >= lo && max <= hi {
                (1.0, 0.0)
            } else if integral && min >= lo + unsigned_offset && max <= hi + unsigned_offset {
                (1.0, unsigned_offset)
            } else if max > min {
                let scale = (max - min) / (hi - lo);
                (scale, min - lo * scale)
            } else {
                (1.0, min)
            }
        }
    };

    let mut header = [
        card("SIMPLE", "T", "conforms to FITS 4.0"),
        card("BITPIX", &bitpix.code().to_string(), "bits per pixel"),
        card("NAXIS", "2", "a 2-D image"),
        card("NAXIS1", &width.to_string(), "columns"),
        card("NAXIS2", &height.to_string(), "rows (row 1 is the bottom)"),
        card("BSCALE", &fits_real(bscale), "physical = BZERO + BSCALE * stored"),
        card("BZERO", &fits_real(bzero), "physical = BZERO + BSCALE * stored"),
    ]
    .concat();
    header.push_str(&format!("{:<80}", "END"));
    let mut bytes = header.into_bytes();
    bytes.resize(bytes.len().div_ceil(BLOCK) * BLOCK, b' ');

    bytes.reserve(width * height * bitpix.bytes() + BLOCK);
    let range = bitpix.integer_range().unwrap_or((0.0, 0.0));
    // FITS's first row is the bottom: write the image's last row first.
    for row in data.chunks_exact(width).rev() {
        for &v in row {
            let stored = ((v - bzero) / bscale).round().clamp(range.0, range.1);
            match bitpix {
                Bitpix::U8 => bytes.push(stored as u8),
                Bitpix::I16 => bytes.extend_from_slice(&(stored as i16).to_be_bytes()),
                Bitpix::I32 => bytes.extend_from_slice(&(stored as i32).to_be_bytes()),
                Bitpix::F32 => bytes.extend_from_slice(&(v as f32).to_be_bytes()),
                Bitpix::F64 => bytes.extend_from_slice(&v.to_be_bytes()),
            }
        }
    }
    // The data unit is padded with zeros to a whole block.
    bytes.resize(bytes.len().div_ceil(BLOCK) * BLOCK, 0);
    Ok(bytes)
}

/// Writes `image` as a FITS primary HDU, atomically ([`descent_io::write_atomic`]: a temporary file
/// renamed into place, mode 0644).
///
/// Float types store the values as they are (−32 rounds to `f32`). Integer types store
/// integer-valued images exactly when they fit (16- and 32-bit also with the unsigned offset
/// `BZERO = 2ⁿ⁻¹`); otherwise the image's min–max is spread linearly over the type's range with
/// `BSCALE`/`BZERO`, so a pixel comes back within `BSCALE/2` = (max − min)/(2·(2ⁿ − 1)).
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite pixel; [`Error::Io`] when the file cannot be written.
pub fn write_fits(path: &Path, image: &Image, bitpix: Bitpix) -> Result<()> {
    let bytes = encode(image, bitpix)?;
    Ok(descent_io::write_atomic(path, &bytes)?)
}

/// The M13 field shipped in `data/m13.fits`: 300×300 pixels of a real star field around the
/// globular cluster M13 (NASA/GSFC SkyView via astropy's test data; see `data/README.md`), in
/// raw survey counts (109 to 3618), row 0 at the top.
///
/// # Panics
/// Never in practice: the file is compiled into the crate and a test decodes it.
#[must_use]
pub fn m13() -> Image {
    const BYTES: &[u8] = include_bytes!("../data/m13.fits");
    decode(Path::new("data/m13.fits"), BYTES).expect("the shipped m13.fits decodes")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FITS file of one 1×1 pixel: the cards given, padded to blocks, then `data`.
    fn one_pixel(cards: &[(&str, &str)], data: &[u8]) -> Vec<u8> {
        let mut header: String = cards.iter().map(|(k, v)| card(k, v, "")).collect();
        header.push_str(&format!("{:<80}", "END"));
        let mut bytes = header.into_bytes();
        bytes.resize(bytes.len().div_ceil(BLOCK) * BLOCK, b' ');
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn a_pixel_whose_bscale_overflows_to_infinity_is_refused() {
        // Breaks the `fits` fuzz target's contract (finite pixels; the input is
        // fuzz/regressions/fits/bscale-overflows-to-infinity): a finite BSCALE and raw value
        // whose product is +inf.
        let cards = [
            ("SIMPLE", "T"),
            ("BITPIX", "16"),
            ("NAXIS", "2"),
            ("NAXIS1", "1"),
            ("NAXIS2", "1"),
            ("BSCALE", "1.0E308"),
        ];
        let bytes = one_pixel(&cards, &2i16.to_be_bytes());
        let e = decode(Path::new("x.fits"), &bytes).unwrap_err();
        assert!(e.to_string().contains("not a finite number"), "{e}");
        // The same file with a raw value of 1 is a valid 1e308.
        let image = decode(Path::new("x.fits"), &one_pixel(&cards, &1i16.to_be_bytes())).unwrap();
        assert_eq!(image.data(), [1e308]);
    }

    #[test]
    fn cards_are_80_columns_with_values_right_justified() {
        let c = card("NAXIS1", "300", "columns");
        assert_eq!(c.len(), 80);
        assert_eq!(&c[..10], "NAXIS1  = ");
        assert_eq!(&c[27..30], "300");
        assert_eq!(parse_value(&c[10..]), Value::Other("300".into()));
        assert_eq!(parse_value(" 'it''s a / test'  / c"), Value::Text("it's a / test".into()));
        assert_eq!(fits_real(1.0), "1.0E0");
        assert_eq!(fits_real(32768.0).replace("E", "e").parse::<f64>().unwrap(), 32768.0);
    }
}
