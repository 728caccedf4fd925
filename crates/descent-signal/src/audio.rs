//! WAV input and output, and the speech shipped with the crate.
//!
//! Signals are `f64` samples in [−1, 1] with a sample rate ([`Audio`]). Reading goes through
//! `hound` and accepts integer PCM of 8 to 32 bits (the usual case: 16-bit) and 32-bit float
//! PCM; an integer sample i of b bits becomes i / 2^(b−1), so 16-bit −32768 reads as exactly −1.
//! Only one channel is read: a multi-channel file needs a channel index (0-based; the CLI's
//! `--channel N`), and without one the error says how many channels there are.
//!
//! The whole file is read into memory first and its header checked against the file's size, so a
//! header that declares more samples than the file holds (a truncated file, or an absurd header)
//! is refused with [`Error::Wav`] before anything is allocated for the samples.
//!
//! Writing ([`write_wav`]) is atomic: the file is written to a temporary file in the same
//! directory and renamed into place (mode 0644), so a failed write leaves no half file.
//! **Clipping policy for [`WavFormat::Int16`]:** a sample x is written as round(32768·x)
//! saturated to [−32768, 32767], so values outside [−1, 1 − 2⁻¹⁵] are clipped, and a file read
//! with [`read_wav`] and written back is bit-identical. [`WavFormat::Float32`] stores x as `f32`
//! unclipped. A NaN or infinite sample is refused ([`Error::NonFinite`]) in both formats.
//!
//! A float file's NaN or infinite sample is refused on reading too ([`Error::Wav`], naming the
//! sample).
//!
//! Two files that are used together (a microphone and a far-end signal) are loaded with
//! [`read_wav_pair`], which refuses different sample rates ([`Error::SampleRateMismatch`]) and
//! different lengths ([`Error::LengthMismatch`]): it never truncates silently — cut the longer
//! file yourself if that is what you mean.

use std::io::Cursor;
use std::path::Path;

use crate::{Error, Result};

/// The speech shipped with the crate (data/speech_espeak_16k.wav: espeak-ng, 16 kHz, 16-bit mono).
const SPEECH_WAV: &[u8] = include_bytes!("../data/speech_espeak_16k.wav");

/// Sample rates above this are refused as an absurd header (the highest common rate is 768 kHz).
const MAX_RATE: u32 = 1_536_000;

/// A mono signal: samples in [−1, 1] (float files may exceed it) at `rate` samples per second.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Samples per second (Hz).
    pub rate: u32,
    /// The samples, nominally in [−1, 1].
    pub samples: Vec<f64>,
}

impl Audio {
    /// The duration in seconds, `samples.len() / rate`.
    #[must_use]
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate)
    }
}

/// How [`write_wav`] stores samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavFormat {
    /// 16-bit integer PCM; samples outside the representable range are clipped (see the
    /// [module docs](self)).
    Int16,
    /// 32-bit IEEE float PCM; samples stored as `f32`, unclipped.
    Float32,
}

/// Reads one channel of a WAV file (see the [module docs](self) for formats and scaling).
///
/// `channel` is a 0-based channel index; `None` is allowed only for a mono file.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Wav`], naming the file, when it is not a
/// WAV file, is truncated, has an unsupported sample format, has several channels and `channel`
/// is `None`, or `channel` is out of range.
pub fn read_wav(path: &Path, channel: Option<usize>) -> Result<Audio> {
    let bytes =
        std::fs::read(path).map_err(|source| Error::Io { file: path.to_owned(), source })?;
    decode_wav(&bytes, path, channel)
}

/// Reads two WAV files that are used together (e.g. a far-end signal and a microphone), one
/// channel each (`channel` applies to both, as in [`read_wav`]).
///
/// # Errors
/// As [`read_wav`]; [`Error::SampleRateMismatch`] when the rates differ;
/// [`Error::LengthMismatch`] when the lengths differ (`expected` is the first file's length):
/// the longer file is never truncated silently.
pub fn read_wav_pair(
    first: &Path,
    second: &Path,
    channel: Option<usize>,
) -> Result<(Audio, Audio)> {
    let a = read_wav(first, channel)?;
    let b = read_wav(second, channel)?;
    if a.rate != b.rate {
        return Err(Error::SampleRateMismatch {
            first: first.to_owned(),
            first_rate: a.rate,
            second: second.to_owned(),
            second_rate: b.rate,
        });
    }
    if a.samples.len() != b.samples.len() {
        return Err(Error::LengthMismatch {
            what: "second WAV file",
            expected: a.samples.len(),
            got: b.samples.len(),
        });
    }
    Ok((a, b))
}

/// Writes a mono WAV file atomically (through [`descent_io::write_atomic`]: a temporary file in the
/// same directory, renamed into place, mode 0644). See the [module docs](self) for the clipping
/// policy of [`WavFormat::Int16`].
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite sample (nothing is written);
/// [`Error::InvalidParameter`] for a zero sample rate or more than 2³²−1 samples;
/// [`Error::Io`] when the file cannot be written.
pub fn write_wav(path: &Path, audio: &Audio, format: WavFormat) -> Result<()> {
    if audio.rate == 0 || audio.rate > MAX_RATE {
        return Err(Error::InvalidParameter {
            name: "sample rate",
            value: f64::from(audio.rate),
            valid: "in 1..=1536000 Hz",
        });
    }
    if u32::try_from(audio.samples.len()).is_err() {
        return Err(Error::InvalidParameter {
            name: "number of samples",
            value: audio.samples.len() as f64,
            valid: "at most 2^32 − 1 in a WAV file",
        });
    }
    if let Some((index, &value)) = audio.samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite { what: "audio sample", index, value });
    }
    let spec = match format {
        WavFormat::Int16 => hound::WavSpec {
            channels: 1,
            sample_rate: audio.rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        },
        WavFormat::Float32 => hound::WavSpec {
            channels: 1,
            sample_rate: audio.rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        },
    };
    let wav_error = |e: hound::Error| wav_error(path, e);
    let mut buffer = Cursor::new(Vec::with_capacity(44 + 4 * audio.samples.len()));
    {
        let mut writer = hound::WavWriter::new(&mut buffer, spec).map_err(wav_error)?;
        for &x in &audio.samples {
            match format {
                WavFormat::Int16 => writer.write_sample(to_i16(x)),
                WavFormat::Float32 => writer.write_sample(x as f32),
            }
            .map_err(wav_error)?;
        }
        writer.finalize().map_err(wav_error)?;
    }
    Ok(descent_io::write_atomic(path, buffer.get_ref())?)
}

/// The speech shipped with the crate: 7.1 s of synthetic English speech (espeak-ng), 16 kHz,
/// from `data/speech_espeak_16k.wav` (see `data/README.md` for its origin).
///
/// # Panics
/// Never: the embedded file is decoded by a test.
#[must_use]
pub fn speech() -> Audio {
    decode_wav(SPEECH_WAV, Path::new("speech_espeak_16k.wav"), None)
        .expect("the embedded speech file is a valid mono WAV file")
}

/// The 16-bit code of a sample: round(32768·x) saturated to the i16 range (NaN excluded before).
fn to_i16(x: f64) -> i16 {
    // `as` saturates, which is the clipping policy.
    (x * 32768.0).round() as i16
}

fn wav_error(path: &Path, e: hound::Error) -> Error {
    Error::Wav { file: path.to_owned(), reason: e.to_string() }
}

fn wav_reason(path: &Path, reason: String) -> Error {
    Error::Wav { file: path.to_owned(), reason }
}

/// [`read_wav`] on bytes already in memory; `path` only names them in errors.
///
/// The header's sample count is checked against `bytes.len()` before anything is allocated for
/// the samples.
///
/// # Errors
/// As [`read_wav`], without [`Error::Io`].
pub fn decode_wav(bytes: &[u8], path: &Path, channel: Option<usize>) -> Result<Audio> {
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| wav_error(path, e))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 {
        return Err(wav_reason(path, "the header declares 0 channels".into()));
    }
    if spec.sample_rate == 0 || spec.sample_rate > MAX_RATE {
        return Err(wav_reason(
            path,
            format!("absurd sample rate {} Hz in the header", spec.sample_rate),
        ));
    }
    let channel = match channel {
        None if channels == 1 => 0,
        None => {
            return Err(wav_reason(
                path,
                format!(
                    "has {channels} channels; pick one with a channel index 0..={} (--channel N)",
                    channels - 1
                ),
            ));
        }
        Some(c) if c >= channels => {
            return Err(wav_reason(
                path,
                format!(
                    "channel {c} is out of range: the file has {channels} channels (0..={})",
                    channels - 1
                ),
            ));
        }
        Some(c) => c,
    };
    let bytes_per_sample = usize::from(spec.bits_per_sample).div_ceil(8);
    // Refuse before allocating: the declared samples must fit in the bytes the file holds.
    let declared = reader.len() as usize;
    if declared.saturating_mul(bytes_per_sample) > bytes.len() {
        return Err(wav_reason(
            path,
            format!(
                "truncated or damaged: the header declares {declared} samples of {bytes_per_sample} \
                 bytes but the file holds {} bytes",
                bytes.len()
            ),
        ));
    }
    if !declared.is_multiple_of(channels) {
        return Err(wav_reason(
            path,
            format!(
                "truncated: {declared} samples do not make whole frames of {channels} channels"
            ),
        ));
    }
    let frames = declared / channels;
    let mut samples = Vec::with_capacity(frames);
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for (i, s) in reader.into_samples::<f32>().enumerate() {
                let s = s.map_err(|e| {
                    wav_reason(path, format!("truncated or damaged at sample {i}: {e}"))
                })?;
                if i % channels == channel {
                    // Float PCM can hold NaN and ±∞, which no filter can use (and `write_wav`
                    // refuses to write).
                    if !s.is_finite() {
                        return Err(wav_reason(
                            path,
                            format!(
                                "sample {} of channel {channel} is {s}, not a number",
                                i / channels
                            ),
                        ));
                    }
                    samples.push(f64::from(s));
                }
            }
        }
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let scale = 0.5_f64.powi(i32::from(bits) - 1);
            for (i, s) in reader.into_samples::<i32>().enumerate() {
                let s = s.map_err(|e| {
                    wav_reason(path, format!("truncated or damaged at sample {i}: {e}"))
                })?;
                if i % channels == channel {
                    samples.push(f64::from(s) * scale);
                }
            }
        }
        (format, bits) => {
            return Err(wav_reason(
                path,
                format!(
                    "unsupported sample format: {bits}-bit {}; use 16-bit integer or 32-bit float PCM",
                    if format == hound::SampleFormat::Float { "float" } else { "integer" }
                ),
            ));
        }
    }
    if samples.len() != frames {
        return Err(wav_reason(
            path,
            format!("truncated: {} of {frames} samples of channel {channel} read", samples.len()),
        ));
    }
    Ok(Audio { rate: spec.sample_rate, samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int16_codes_round_trip_and_clip() {
        for i in [-32768_i16, -1, 0, 1, 12345, 32767] {
            assert_eq!(to_i16(f64::from(i) / 32768.0), i);
        }
        assert_eq!(to_i16(1.0), 32767);
        assert_eq!(to_i16(7.5), 32767);
        assert_eq!(to_i16(-1.5), -32768);
    }

    /// A mono 32-bit float WAV file of `samples` at 8 kHz, by hand (`write_wav` refuses NaN).
    fn float_wav(samples: &[f32]) -> Vec<u8> {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        // Format 3 (IEEE float), 1 channel, 8000 Hz, 32000 bytes/s, block 4, 32 bits.
        for v in [3u16, 1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&8000u32.to_le_bytes());
        b.extend_from_slice(&32000u32.to_le_bytes());
        for v in [4u16, 32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&data);
        b
    }

    #[test]
    fn a_float_wav_sample_that_is_nan_or_infinite_is_refused() {
        // Breaks the `wav` fuzz target's contract (fuzz/regressions/wav/float-sample-is-nan).
        let name = Path::new("x.wav");
        let fine = decode_wav(&float_wav(&[0.5, -0.25]), name, None).unwrap();
        assert_eq!((fine.rate, fine.samples), (8000, vec![0.5, -0.25]));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let e = decode_wav(&float_wav(&[0.5, bad]), name, None).unwrap_err();
            assert!(e.to_string().contains("sample 1 of channel 0"), "{e}");
        }
    }

    #[test]
    fn shipped_speech_decodes() {
        let s = speech();
        assert_eq!(s.rate, 16_000);
        assert!((7.0..7.3).contains(&s.duration_s()), "{}", s.duration_s());
        let peak = s.samples.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        assert!(peak > 0.1 && peak <= 1.0, "peak {peak}");
    }
}
