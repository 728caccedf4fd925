//! PNG images in and out, JPEG in.
//!
//! **Reading** ([`read_png`], [`read_jpeg`]) gives one brightness per pixel scaled to [0, 1]:
//! a stored value v of a b-bit sample becomes v / (2ᵇ − 1). Colour becomes luminance with the
//! ITU-R BT.601 weights
//!
//! Y = 0.299·R + 0.587·G + 0.114·B,
//!
//! the weights JPEG's own Y channel uses, so a grey JPEG and the same picture in colour read
//! alike. The weights are applied to the stored (gamma-encoded) values: the result is a display
//! brightness, not a linear intensity. Alpha is ignored. Palette and sub-byte grey PNGs are
//! expanded to 8 bits first.
//!
//! **Writing** ([`write_png`]) stores grey at 8 or 16 bits: a display range (lo, hi) — by
//! default the image's min–max — maps lo to black and hi to white, values outside clipped,
//! v ↦ round((v − lo)/(hi − lo)·(2ᵇ − 1)). Files are written atomically (a temporary file
//! renamed into place, mode 0644).

use std::io::Cursor;
use std::path::Path;

use crate::{Error, Image, Result};

/// The largest expansion of deflate, the PNG compression: a 258-byte match coded in as little
/// as 2 bits is 1032:1.
const MAX_DEFLATE_RATIO: usize = 1032;

/// BT.601 luma weights for (R, G, B); see the [module docs](self).
pub const LUMA_WEIGHTS: [f64; 3] = [0.299, 0.587, 0.114];

/// The sample depth [`write_png`] stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngDepth {
    /// 8 bits: 256 grey levels.
    Eight,
    /// 16 bits: 65 536 grey levels.
    Sixteen,
}

fn malformed(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Malformed { file: path.to_owned(), offset: 0, reason: reason.to_string() }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io { file: path.to_owned(), source })
}

/// Reads a PNG as brightness in [0, 1]: grey as stored, colour as BT.601 luminance.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Malformed`] (offset 0: the decoder does
/// not say where) when it is not a PNG the `png` crate decodes, is larger than 2²⁸ pixels, or
/// declares more pixel bytes than its size can decompress to (checked before allocating).
pub fn read_png(path: &Path) -> Result<Image> {
    decode_png(&read_bytes(path)?, path)
}

/// [`read_png`] on bytes already in memory; `path` only names them in errors.
///
/// # Errors
/// As [`read_png`], without [`Error::Io`].
pub fn decode_png(bytes: &[u8], path: &Path) -> Result<Image> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette → RGB, grey below 8 bits → 8 bits; 16 bits stay 16.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| malformed(path, e))?;
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    if width.checked_mul(height).is_none_or(|n| n > crate::fits::MAX_PIXELS) {
        return Err(malformed(path, format!("{width}×{height} pixels is too large")));
    }
    let size = reader.output_buffer_size().ok_or_else(|| malformed(path, "image too large"))?;
    // Deflate expands at most 1032:1 (RFC 1951: a 258-byte match in as little as 2 bits), so
    // a file of b bytes cannot hold more than ~1032·b bytes of pixels; refuse before
    // allocating, or a 100-byte file declaring 16384×16384 16-bit RGBA asks for 2 GiB.
    if size > bytes.len().saturating_mul(MAX_DEFLATE_RATIO) {
        return Err(malformed(
            path,
            format!(
                "{width}×{height} pixels need {size} bytes, more than the {} bytes of the file \
                 can decompress to",
                bytes.len()
            ),
        ));
    }
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(|e| malformed(path, e))?;
    let channels = frame.color_type.samples();
    let sixteen = frame.bit_depth == png::BitDepth::Sixteen;
    let bytes_per_sample = if sixteen { 2 } else { 1 };
    let full = if sixteen { 65535.0 } else { 255.0 };
    let sample = |row: &[u8], i: usize| -> f64 {
        if sixteen {
            f64::from(u16::from_be_bytes([row[2 * i], row[2 * i + 1]])) / full
        } else {
            f64::from(row[i]) / full
        }
    };
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        let start = y * frame.line_size;
        let row = &buffer[start..start + width * channels * bytes_per_sample];
        for x in 0..width {
            let i = x * channels;
            out.push(match channels {
                1 | 2 => sample(row, i),
                _ => {
                    LUMA_WEIGHTS[0] * sample(row, i)
                        + LUMA_WEIGHTS[1] * sample(row, i + 1)
                        + LUMA_WEIGHTS[2] * sample(row, i + 2)
                }
            });
        }
    }
    Image::new(width, height, out)
}

/// Reads a JPEG (baseline or progressive, grey or colour) as BT.601 luminance in [0, 1].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Malformed`] (offset 0) when `zune-jpeg`
/// cannot decode it, or panics on it (the panic hook still prints its message), and when its
/// header declares more pixels than its bytes can hold (512 per byte).
pub fn read_jpeg(path: &Path) -> Result<Image> {
    decode_jpeg(&read_bytes(path)?, path)
}

/// [`read_jpeg`] on bytes already in memory; `path` only names them in errors.
///
/// # Errors
/// As [`read_jpeg`], without [`Error::Io`].
pub fn decode_jpeg(bytes: &[u8], path: &Path) -> Result<Image> {
    use zune_jpeg::zune_core::{
        bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions,
    };
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    // zune-jpeg 0.5.15 can panic on a malformed file (an IDCT slice index out of range: the
    // `jpeg` fuzz target's fuzz/regressions/jpeg/idct-index-out-of-range); its panic is this
    // file's error. AssertUnwindSafe: the decoder is dropped with the unwind, the bytes only
    // read.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder.decode_headers().map_err(|e| format!("{e:?}"))?;
        let info = decoder.info().ok_or("no JPEG header")?;
        // Every 8×8 block of a JPEG codes at least its luminance DC coefficient, in one bit at
        // the least, so a file of n bytes holds at most 512·n pixels. zune-jpeg decodes a file
        // cut short by filling in the missing blocks: a few hundred bytes declaring 10⁸ pixels
        // would be decoded in full (the `jpeg` fuzz target's
        // fuzz/regressions/jpeg/tiny-file-declaring-121-megapixels).
        let pixels = usize::from(info.width) * usize::from(info.height);
        if pixels > 512 * bytes.len() {
            return Err(format!(
                "its header declares {}×{} pixels, more than a JPEG of {} bytes can hold \
                 (512 per byte: one bit per 8×8 block at least)",
                info.width,
                info.height,
                bytes.len()
            ));
        }
        let pixels = decoder.decode().map_err(|e| format!("{e:?}"))?;
        Ok::<_, String>((pixels, info))
    }));
    let (pixels, info) = match decoded {
        Ok(result) => result.map_err(|reason| malformed(path, reason))?,
        Err(_) => return Err(malformed(path, "the JPEG decoder (zune-jpeg) failed on it")),
    };
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    if pixels.len() != width * height * 3 {
        return Err(malformed(path, "decoded pixel count does not match the header"));
    }
    let out = pixels
        .chunks_exact(3)
        .map(|p| {
            (LUMA_WEIGHTS[0] * f64::from(p[0])
                + LUMA_WEIGHTS[1] * f64::from(p[1])
                + LUMA_WEIGHTS[2] * f64::from(p[2]))
                / 255.0
        })
        .collect();
    Image::new(width, height, out)
}

/// The bytes of a grey PNG of `image`; see [`write_png`].
///
/// # Errors
/// As [`write_png`], without [`Error::Io`].
pub fn encode_png(image: &Image, depth: PngDepth, range: Option<(f64, f64)>) -> Result<Vec<u8>> {
    image.check_finite("PNG image")?;
    let (lo, hi) = range.unwrap_or_else(|| {
        image
            .data()
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)))
    });
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(Error::InvalidParameter {
            name: "PNG display range low end",
            value: lo,
            valid: "finite and at most the high end",
        });
    }
    let (width, height) = image.shape();
    let too_wide = |side: usize| Error::InvalidParameter {
        name: "PNG image side",
        value: side as f64,
        valid: "at most 2³¹ − 1 pixels",
    };
    let w = u32::try_from(width).ok().filter(|&w| w < 1 << 31).ok_or_else(|| too_wide(width))?;
    let h = u32::try_from(height).ok().filter(|&h| h < 1 << 31).ok_or_else(|| too_wide(height))?;
    let full = match depth {
        PngDepth::Eight => 255.0,
        PngDepth::Sixteen => 65535.0,
    };
    // A flat image (lo = hi) is drawn black.
    let span = if hi > lo { hi - lo } else { 1.0 };
    let level = |v: f64| (((v - lo) / span).clamp(0.0, 1.0) * full).round();
    let data: Vec<u8> = match depth {
        PngDepth::Eight => image.data().iter().map(|&v| level(v) as u8).collect(),
        PngDepth::Sixteen => {
            image.data().iter().flat_map(|&v| (level(v) as u16).to_be_bytes()).collect()
        }
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(match depth {
        PngDepth::Eight => png::BitDepth::Eight,
        PngDepth::Sixteen => png::BitDepth::Sixteen,
    });
    let encode_error = |e: png::EncodingError| Error::Io {
        file: "PNG encoder".into(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer.write_image_data(&data).map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(out)
}

/// Writes `image` as a grey PNG, `range` (lo, hi) mapped to black–white (default: the image's
/// min–max), atomically with mode 0644.
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite pixel; [`Error::InvalidParameter`] for a range
/// with lo > hi or a non-finite end, or a side of 2³¹ pixels or more; [`Error::Io`] when the
/// file cannot be written.
pub fn write_png(
    path: &Path,
    image: &Image,
    depth: PngDepth,
    range: Option<(f64, f64)>,
) -> Result<()> {
    let bytes = encode_png(image, depth, range)?;
    Ok(descent_io::write_atomic(path, &bytes)?)
}
