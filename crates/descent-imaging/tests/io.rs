//! Images in and out: FITS round trips and malformed files, the shipped M13 field, PNG and JPEG.

use std::path::{Path, PathBuf};

use descent_imaging::fits::{self, MAX_PIXELS};
use descent_imaging::png_io::{LUMA_WEIGHTS, encode_png};
use descent_imaging::{
    Bitpix, Error, Image, PngDepth, decode_jpeg, m13, read_fits, read_jpeg, read_png, write_fits,
    write_png,
};
use proptest::prelude::*;

/// A hand-made FITS header: the cards given, then END, padded to 2880 bytes.
fn header(cards: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::new();
    for (k, v) in cards {
        s.push_str(&format!("{k:<8}= {v:>20}{:50}", ""));
    }
    s.push_str(&format!("{:<80}", "END"));
    let mut bytes = s.into_bytes();
    bytes.resize(bytes.len().div_ceil(2880) * 2880, b' ');
    bytes
}

fn image_2d(bitpix: &str, w: usize, h: usize, extra: &[(&str, &str)]) -> Vec<u8> {
    let (ws, hs) = (w.to_string(), h.to_string());
    let mut cards =
        vec![("SIMPLE", "T"), ("BITPIX", bitpix), ("NAXIS", "2"), ("NAXIS1", &ws), ("NAXIS2", &hs)];
    cards.extend_from_slice(extra);
    header(&cards)
}

fn pad(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.resize(bytes.len().div_ceil(2880) * 2880, 0);
    bytes
}

fn malformed(bytes: &[u8]) -> (u64, String) {
    match fits::decode(Path::new("test.fits"), bytes) {
        Err(Error::Malformed { offset, reason, .. }) => (offset, reason),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn ramp(w: usize, h: usize, f: impl Fn(usize, usize) -> f64) -> Image {
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            data.push(f(x, y));
        }
    }
    Image::new(w, h, data).unwrap()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn max_abs_diff(a: &Image, b: &Image) -> f64 {
    a.data().iter().zip(b.data()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn m13_matches_an_independent_reader() {
    // Numbers from python3 reading the bytes with `struct` (see data/README.md).
    let sky = m13();
    assert_eq!(sky.shape(), (300, 300));
    assert_eq!(sky.sum(), 13_293_397.0);
    assert_eq!(sky.max(), 3618.0);
    assert_eq!(sky.get(143, 195), 3618.0, "brightest pixel, rows flipped: FITS row 104");
    let min = sky.data().iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(min, 109.0);
    for (x, y, v) in
        [(0, 0, 111.0), (299, 0, 112.0), (0, 299, 112.0), (150, 150, 215.0), (10, 200, 115.0)]
    {
        assert_eq!(sky.get(x, y), v, "pixel ({x}, {y})");
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/m13.fits");
    assert_eq!(read_fits(&path).unwrap(), sky);
}

#[test]
fn m13_round_trips_exactly_through_16_bits_with_the_same_bytes_of_data() {
    let dir = tmp();
    let path = dir.path().join("m13.fits");
    write_fits(&path, &m13(), Bitpix::I16).unwrap();
    assert_eq!(read_fits(&path).unwrap(), m13());
    // Same orientation as the original file: the data units hold the same bytes.
    let ours = std::fs::read(&path).unwrap();
    let original =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/m13.fits")).unwrap();
    assert_eq!(ours[2880..2880 + 180_000], original[2880..2880 + 180_000]);
    assert_eq!(ours.len() % 2880, 0);
}

#[test]
fn every_bitpix_round_trips_integer_images_exactly() {
    let image = ramp(7, 5, |x, y| (x * 31 + y * 7) as f64); // 0..=214
    let dir = tmp();
    for bitpix in [Bitpix::U8, Bitpix::I16, Bitpix::I32, Bitpix::F32, Bitpix::F64] {
        let path = dir.path().join(format!("{bitpix:?}.fits"));
        write_fits(&path, &image, bitpix).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 2880 + (35 * bitpix.bytes()).div_ceil(2880) * 2880);
        let card = std::str::from_utf8(&bytes[80..160]).unwrap();
        assert!(card.starts_with("BITPIX  =") && card[10..30].trim() == bitpix.code().to_string());
        assert_eq!(read_fits(&path).unwrap(), image, "{bitpix:?}");
    }
}

#[test]
fn every_bitpix_round_trips_real_images_within_its_quantisation() {
    // Values in [−3, 5): range 8.
    let image = ramp(13, 11, |x, y| -3.0 + 8.0 * ((x * 17 + y * 29) % 143) as f64 / 143.0 + 1e-3);
    let (lo, hi) = image
        .data()
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let range = hi - lo;
    let dir = tmp();
    for (bitpix, tolerance) in [
        (Bitpix::U8, range / (2.0 * 255.0) * (1.0 + 1e-9)),
        (Bitpix::I16, range / (2.0 * 65535.0) * (1.0 + 1e-9)),
        (Bitpix::I32, range / (2.0 * 4_294_967_295.0) + 1e-14),
        (Bitpix::F32, 5.0 * f64::from(f32::EPSILON)),
        (Bitpix::F64, 0.0),
    ] {
        let path = dir.path().join(format!("{bitpix:?}.fits"));
        write_fits(&path, &image, bitpix).unwrap();
        let back = read_fits(&path).unwrap();
        let err = max_abs_diff(&image, &back);
        assert!(err <= tolerance, "{bitpix:?}: error {err:e} > {tolerance:e}");
        if bitpix == Bitpix::U8 || bitpix == Bitpix::I16 {
            assert!(err > tolerance / 10.0, "{bitpix:?} does quantise ({err:e})");
        }
    }
}

#[test]
fn unsigned_16_bit_uses_bzero_32768() {
    let image = ramp(4, 3, |x, y| (x * 20_000 + y) as f64); // up to 60 002: not an i16
    let bytes = fits::encode(&image, Bitpix::I16).unwrap();
    let text = std::str::from_utf8(&bytes[..2880]).unwrap();
    let bzero = text
        .as_bytes()
        .chunks(80)
        .map(|c| std::str::from_utf8(c).unwrap())
        .find(|c| c.starts_with("BZERO"))
        .unwrap();
    assert_eq!(bzero[10..30].trim().parse::<f64>().unwrap(), 32768.0);
    assert_eq!(fits::decode(Path::new("u16"), &bytes).unwrap(), image);
    // A hand-made unsigned file: stored −32768 and 32767 mean 0 and 65535.
    let mut f = image_2d("16", 2, 1, &[("BZERO", "32768"), ("BSCALE", "1.0")]);
    f.extend_from_slice(&i16::MIN.to_be_bytes());
    f.extend_from_slice(&i16::MAX.to_be_bytes());
    assert_eq!(fits::decode(Path::new("u16"), &pad(f)).unwrap().data(), &[0.0, 65535.0]);
}

#[test]
fn bscale_bzero_and_the_row_flip_in_a_hand_made_file() {
    // 2×2, BITPIX 16, physical = 10 + 0.5·stored; stored rows: bottom [1, 2], top [3, 4].
    let mut f = image_2d("16", 2, 2, &[("BSCALE", "5.0D-1"), ("BZERO", "10.")]);
    for v in [1i16, 2, 3, 4] {
        f.extend_from_slice(&v.to_be_bytes());
    }
    let image = fits::decode(Path::new("h"), &pad(f)).unwrap();
    assert_eq!(image.data(), &[11.5, 12.0, 10.5, 11.0], "row 0 is the top = FITS's last row");
    // Float data, BITPIX −64, no padding at the end (accepted: the pixels are complete).
    let mut f = image_2d("-64", 1, 2, &[]);
    f.extend_from_slice(&1.25f64.to_be_bytes());
    f.extend_from_slice(&(-2.5f64).to_be_bytes());
    assert_eq!(fits::decode(Path::new("h"), &f).unwrap().data(), &[-2.5, 1.25]);
}

#[test]
fn malformed_fits_gives_typed_errors_with_offsets() {
    let valid = fits::encode(&ramp(30, 20, |x, y| (x + y) as f64), Bitpix::I16).unwrap();
    // Truncated data: 1200 bytes of pixels promised, 1000 there.
    let (offset, reason) = malformed(&valid[..2880 + 1000]);
    assert_eq!(offset, 3880);
    assert!(reason.contains("truncated"), "{reason}");
    // Unsupported BITPIX, on the second card.
    let (offset, reason) = malformed(&pad(image_2d("64", 2, 2, &[])));
    assert_eq!(offset, 80);
    assert!(reason.contains("BITPIX = 64"), "{reason}");
    // A 3-D cube.
    let cube = header(&[
        ("SIMPLE", "T"),
        ("BITPIX", "8"),
        ("NAXIS", "3"),
        ("NAXIS1", "2"),
        ("NAXIS2", "2"),
        ("NAXIS3", "2"),
    ]);
    let (offset, reason) = malformed(&pad([cube, vec![0; 8]].concat()));
    assert_eq!(offset, 160);
    assert!(reason.contains("NAXIS = 3"), "{reason}");
    // Missing NAXIS2.
    let (offset, reason) =
        malformed(&header(&[("SIMPLE", "T"), ("BITPIX", "8"), ("NAXIS", "2"), ("NAXIS1", "2")]));
    assert!(reason.contains("missing keyword NAXIS2"), "{reason}");
    assert_eq!(offset, 320, "at the END card");
    // Absurd sizes are refused before allocating: 10⁹ × 10⁹ over the cap, and a header whose
    // data are missing.
    let (offset, reason) = malformed(&image_2d("-64", 1_000_000_000, 1_000_000_000, &[]));
    assert_eq!(offset, 160);
    assert!(reason.contains("more than"), "{reason}");
    // 2¹⁴ × 2¹³ pixels (under the cap: 1 GiB of f64) promised by a header alone.
    const { assert!((1usize << 14) * (1 << 13) <= MAX_PIXELS) };
    let (_, reason) = malformed(&image_2d("-64", 1 << 14, 1 << 13, &[]));
    assert!(reason.contains("truncated"), "{reason}");
    // Not FITS; no END; a non-integer NAXIS1; a zero side.
    assert_eq!(malformed(b"\x89PNG\r\n\x1a\n").0, 0);
    assert!(malformed(&valid[..400]).1.contains("END"));
    assert!(malformed(&image_2d("8", 0, 2, &[])).1.contains("NAXIS1 = 0"));
    let mut bad = valid.clone();
    bad[240 + 28] = b'x'; // inside NAXIS1's value
    assert_eq!(malformed(&bad).0, 240);
    // Blank pixels: NaN in float data, BLANK in integer data.
    let mut f = image_2d("-32", 2, 1, &[]);
    f.extend_from_slice(&1.0f32.to_be_bytes());
    f.extend_from_slice(&f32::NAN.to_be_bytes());
    let (offset, reason) = malformed(&pad(f));
    assert_eq!(offset, 2880 + 4);
    assert!(reason.contains("pixel (1, 0) is blank"), "{reason}");
    let mut f = image_2d("16", 2, 1, &[("BLANK", "-32768")]);
    f.extend_from_slice(&(-32768i16).to_be_bytes());
    f.extend_from_slice(&7i16.to_be_bytes());
    assert_eq!(malformed(&pad(f)).0, 2880);
    // A missing file is an I/O error.
    assert!(matches!(read_fits(Path::new("/nonexistent/x.fits")), Err(Error::Io { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any truncation or any corrupted byte of a valid file gives a result, never a panic.
    #[test]
    fn damaged_fits_never_panics(cut in 0usize..6000, at in 0usize..5760, byte in any::<u8>()) {
        let valid = fits::encode(&ramp(30, 20, |x, y| (x * y) as f64 * 0.5), Bitpix::F32).unwrap();
        let short = &valid[..cut.min(valid.len())];
        let r = fits::decode(Path::new("p"), short);
        prop_assert!(r.is_ok() == (short.len() >= 2880 + 2400));
        let mut bad = valid.clone();
        bad[at.min(valid.len() - 1)] = byte;
        let _ = fits::decode(Path::new("p"), &bad);
    }
}

#[test]
fn writes_are_atomic_files_with_mode_0644() {
    let dir = tmp();
    let fits_path = dir.path().join("a.fits");
    let png_path = dir.path().join("a.png");
    let image = ramp(5, 4, |x, y| (x + 2 * y) as f64);
    write_fits(&fits_path, &image, Bitpix::F64).unwrap();
    write_png(&png_path, &image, PngDepth::Eight, None).unwrap();
    let names: Vec<PathBuf> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(names.len(), 2, "no temporary left: {names:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&fits_path, &png_path] {
            assert_eq!(std::fs::metadata(p).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }
    // Non-finite pixels and unwritable places are typed errors.
    let mut nan = image.clone();
    nan.set(1, 1, f64::NAN);
    assert!(matches!(
        write_fits(&fits_path, &nan, Bitpix::I16),
        Err(Error::NonFinite { x: 1, y: 1, .. })
    ));
    assert!(matches!(
        write_png(&png_path, &nan, PngDepth::Eight, None),
        Err(Error::NonFinite { .. })
    ));
    let missing = dir.path().join("no/such/dir.fits");
    assert!(matches!(write_fits(&missing, &image, Bitpix::F64), Err(Error::Io { .. })));
    assert_eq!(read_fits(&fits_path).unwrap(), image, "the failed writes left the file alone");
}

#[test]
fn png_round_trips_through_the_display_range() {
    let image = ramp(9, 6, |x, y| 100.0 + 3.0 * x as f64 - 7.5 * y as f64);
    let (lo, hi) = (100.0 - 37.5, 124.0);
    let dir = tmp();
    for (depth, full) in [(PngDepth::Eight, 255.0), (PngDepth::Sixteen, 65535.0)] {
        let path = dir.path().join(format!("{depth:?}.png"));
        write_png(&path, &image, depth, None).unwrap();
        let back = read_png(&path).unwrap();
        assert_eq!(back.shape(), (9, 6));
        let expected = ramp(9, 6, |x, y| (image.get(x, y) - lo) / (hi - lo));
        let err = max_abs_diff(&back, &expected);
        assert!(err <= 0.5 / full + 1e-12, "{depth:?}: {err:e}");
        assert_eq!(back.get(0, 5), 0.0);
        assert_eq!(back.get(8, 0), 1.0);
    }
    // A given range clips: [110, 120] → values below are black, above white.
    let path = dir.path().join("clip.png");
    write_png(&path, &image, PngDepth::Sixteen, Some((110.0, 120.0))).unwrap();
    let back = read_png(&path).unwrap();
    assert_eq!(back.get(0, 0), 0.0); // 100
    assert_eq!(back.get(8, 0), 1.0); // 124
    assert!((back.get(4, 0) - 0.2).abs() < 1e-5); // 112
    // A flat image is black; a reversed range is an error.
    assert!(encode_png(&Image::zeros(2, 2), PngDepth::Eight, None).is_ok());
    assert!(matches!(
        encode_png(&image, PngDepth::Eight, Some((2.0, 1.0))),
        Err(Error::InvalidParameter { .. })
    ));
}

fn png_bytes(w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    let mut writer = enc.write_header().unwrap();
    writer.write_image_data(data).unwrap();
    writer.finish().unwrap();
    out
}

#[test]
fn colour_png_becomes_bt601_luminance() {
    let dir = tmp();
    let luma =
        |r: f64, g: f64, b: f64| LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b;
    assert_eq!(LUMA_WEIGHTS, [0.299, 0.587, 0.114]);
    // 8-bit RGB: pure red, green, blue, white.
    let path = dir.path().join("rgb.png");
    let rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    std::fs::write(&path, png_bytes(4, 1, png::ColorType::Rgb, png::BitDepth::Eight, &rgb))
        .unwrap();
    let im = read_png(&path).unwrap();
    for (got, want) in im.data().iter().zip([0.299, 0.587, 0.114, 1.0]) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    // 16-bit RGBA: alpha ignored.
    let path = dir.path().join("rgba16.png");
    let px: Vec<u8> = [10_000u16, 20_000, 40_000, 0].iter().flat_map(|v| v.to_be_bytes()).collect();
    std::fs::write(&path, png_bytes(1, 1, png::ColorType::Rgba, png::BitDepth::Sixteen, &px))
        .unwrap();
    let want = luma(10_000.0, 20_000.0, 40_000.0) / 65535.0;
    assert!((read_png(&path).unwrap().get(0, 0) - want).abs() < 1e-12);
    // 16-bit grey keeps all 16 bits; grey + alpha reads the grey.
    let path = dir.path().join("g16.png");
    std::fs::write(
        &path,
        png_bytes(2, 1, png::ColorType::Grayscale, png::BitDepth::Sixteen, &[0, 1, 255, 254]),
    )
    .unwrap();
    assert_eq!(read_png(&path).unwrap().data(), &[1.0 / 65535.0, 65534.0 / 65535.0]);
    let path = dir.path().join("ga.png");
    std::fs::write(
        &path,
        png_bytes(1, 1, png::ColorType::GrayscaleAlpha, png::BitDepth::Eight, &[51, 0]),
    )
    .unwrap();
    assert_eq!(read_png(&path).unwrap().data(), &[0.2]);
    // Not a PNG.
    std::fs::write(&path, b"GIF89a").unwrap();
    assert!(matches!(read_png(&path), Err(Error::Malformed { .. })));
}

/// The `jpeg` fuzz target's input fuzz/regressions/jpeg/idct-index-out-of-range: zune-jpeg
/// 0.5.15 panics on it (a slice index out of range in its scalar IDCT); the reader gives a
/// typed error instead.
#[test]
fn a_jpeg_that_panics_the_decoder_is_malformed() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/jpeg/idct-index-out-of-range"),
    )
    .unwrap();
    match decode_jpeg(&bytes, Path::new("bad.jpg")) {
        Err(Error::Malformed { file, offset: 0, reason }) => {
            assert_eq!(file, Path::new("bad.jpg"));
            assert!(reason.contains("zune-jpeg"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// The `jpeg` fuzz target's input fuzz/regressions/jpeg/tiny-file-declaring-121-megapixels: 829
/// bytes whose header declares 11520×10504 pixels; zune-jpeg fills in the missing blocks and
/// decoded all 121 megapixels (a timeout under the fuzzer).
#[test]
fn a_jpeg_declaring_more_pixels_than_its_bytes_can_hold_is_malformed() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/jpeg/tiny-file-declaring-121-megapixels"),
    )
    .unwrap();
    let e = decode_jpeg(&bytes, Path::new("bomb.jpg")).unwrap_err();
    assert!(e.to_string().contains("11520×10504 pixels, more than a JPEG of 829 bytes"), "{e}");
    // The most compressible honest JPEG stays inside the bound: a flat 1024×1024 grey image
    // at quality 1 (two Huffman codes per block, DC difference 0 and end-of-block).
    let mut flat = Vec::new();
    jpeg_encoder::Encoder::new(&mut flat, 1)
        .encode(&vec![128; 1024 * 1024], 1024, 1024, jpeg_encoder::ColorType::Luma)
        .unwrap();
    assert!(1024 * 1024 <= 512 * flat.len(), "{} bytes", flat.len());
    assert_eq!(decode_jpeg(&flat, Path::new("flat.jpg")).unwrap().shape(), (1024, 1024));
}

#[test]
fn jpeg_reads_as_luminance() {
    let dir = tmp();
    // A smooth grey ramp at quality 100 comes back within a couple of levels.
    let (w, h) = (32u16, 16u16);
    let grey: Vec<u8> = (0..h).flat_map(|y| (0..w).map(move |x| (x * 6 + y * 3) as u8)).collect();
    let path = dir.path().join("grey.jpg");
    jpeg_encoder::Encoder::new_file(&path, 100)
        .unwrap()
        .encode(&grey, w, h, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let im = read_jpeg(&path).unwrap();
    assert_eq!(im.shape(), (32, 16));
    let err = im
        .data()
        .iter()
        .zip(&grey)
        .map(|(a, &b)| (a - f64::from(b) / 255.0).abs())
        .fold(0.0, f64::max);
    assert!(err <= 3.0 / 255.0, "grey error {err}");
    // A flat colour: Y = 0.299·200 + 0.587·100 + 0.114·50 = 124.2 (of 255).
    let rgb: Vec<u8> = std::iter::repeat_n([200u8, 100, 50], 16 * 16).flatten().collect();
    let path = dir.path().join("rgb.jpg");
    jpeg_encoder::Encoder::new_file(&path, 100)
        .unwrap()
        .encode(&rgb, 16, 16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let im = read_jpeg(&path).unwrap();
    for &v in im.data() {
        assert!((v - 124.2 / 255.0).abs() < 2.0 / 255.0, "{v}");
    }
    // Garbage and truncation are typed errors.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let _ = read_jpeg(&path); // may decode partially; must not panic
    std::fs::write(&path, b"not a jpeg at all").unwrap();
    assert!(matches!(read_jpeg(&path), Err(Error::Malformed { .. })));
    assert!(matches!(read_jpeg(Path::new("/nonexistent.jpg")), Err(Error::Io { .. })));
}

/// CRC-32 (IEEE, reflected), bit by bit: the PNG chunk checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG of one IHDR declaring `width`×`height` 16-bit RGBA, an empty zlib stream and IEND.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let body = [&kind[..], data].concat();
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32(&body).to_be_bytes());
        c
    };
    let mut ihdr = [width.to_be_bytes(), height.to_be_bytes()].concat();
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]); // 16 bits, RGBA, deflate, no filter, no interlace
    let empty_zlib = [0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01];
    [
        b"\x89PNG\r\n\x1a\n".to_vec(),
        chunk(b"IHDR", &ihdr),
        chunk(b"IDAT", &empty_zlib),
        chunk(b"IEND", &[]),
    ]
    .concat()
}

#[test]
fn a_png_declaring_more_pixels_than_its_bytes_can_hold_is_refused_before_allocating() {
    // The `png` fuzz target's input fuzz/regressions/png/declares-2-gib-of-pixels: 68 bytes
    // declaring 16384×16384 16-bit RGBA had a 2 GiB buffer allocated before the data was read.
    let bytes = png_claiming(16384, 16384);
    let e = descent_imaging::decode_png(&bytes, Path::new("x.png")).unwrap_err();
    assert!(e.to_string().contains("can decompress to"), "{e}");
    // A 1×1 image of the same file passes the check (and fails on its empty data instead).
    let e = descent_imaging::decode_png(&png_claiming(1, 1), Path::new("x.png")).unwrap_err();
    assert!(!e.to_string().contains("can decompress to"), "{e}");
}
