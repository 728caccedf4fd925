//! WAV input and output: round trips, clipping, channels, damaged files, atomic writes.

use std::path::Path;

use descent_signal::{Audio, Error, WavFormat, read_wav, read_wav_pair, speech, write_wav};

fn write_raw<S: hound::Sample + Copy>(path: &Path, spec: hound::WavSpec, samples: &[S]) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

fn int_spec(channels: u16, rate: u32, bits: u16) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    }
}

fn wav_reason(e: Error) -> (std::path::PathBuf, String) {
    match e {
        Error::Wav { file, reason } => (file, reason),
        other => panic!("expected Error::Wav, got {other:?}"),
    }
}

#[test]
fn int16_round_trip_is_bit_exact_on_the_shipped_speech() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("speech.wav");
    let s = speech();
    write_wav(&path, &s, WavFormat::Int16).unwrap();
    let back = read_wav(&path, None).unwrap();
    assert_eq!(back, s, "i/32768 written as round(32768·x) gives i back");
    // The shipped file itself and ours hold the same PCM data.
    let shipped =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/speech_espeak_16k.wav")).unwrap();
    let ours = std::fs::read(&path).unwrap();
    assert_eq!(
        &shipped[shipped.len() - 2 * s.samples.len()..],
        &ours[ours.len() - 2 * s.samples.len()..]
    );
}

#[test]
fn float32_round_trip_and_int16_clipping() {
    let dir = tempfile::tempdir().unwrap();
    let samples = vec![0.0, 0.25, -0.5, 1.0, 1.5, -1.0, -2.0, 0.123_456_789, 3.0e-5];
    let audio = Audio { rate: 8000, samples: samples.clone() };
    let float = dir.path().join("f.wav");
    write_wav(&float, &audio, WavFormat::Float32).unwrap();
    let back = read_wav(&float, None).unwrap();
    assert_eq!(back.rate, 8000);
    let expected: Vec<f64> = samples.iter().map(|&x| f64::from(x as f32)).collect();
    assert_eq!(back.samples, expected, "float is stored as f32, unclipped");

    let int = dir.path().join("i.wav");
    write_wav(&int, &audio, WavFormat::Int16).unwrap();
    let codes: Vec<i16> =
        hound::WavReader::open(&int).unwrap().samples::<i16>().map(Result::unwrap).collect();
    // round(32768·x) saturated: 1.0 and 1.5 clip to 32767, −1.0 is exact, −2.0 clips to −32768.
    assert_eq!(codes, [0, 8192, -16384, 32767, 32767, -32768, -32768, 4045, 1]);
}

#[test]
fn non_finite_samples_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan.wav");
    let audio = Audio { rate: 16_000, samples: vec![0.0, f64::NAN] };
    for format in [WavFormat::Int16, WavFormat::Float32] {
        let e = write_wav(&path, &audio, format).unwrap_err();
        assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let zero_rate = Audio { rate: 0, samples: vec![0.0] };
    assert!(matches!(
        write_wav(&path, &zero_rate, WavFormat::Int16),
        Err(Error::InvalidParameter { .. })
    ));
}

#[cfg(unix)]
#[test]
fn writes_are_atomic_with_mode_0644() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    std::fs::write(&path, b"old").unwrap();
    write_wav(&path, &Audio { rate: 16_000, samples: vec![0.1; 10] }, WavFormat::Int16).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    assert_eq!(read_wav(&path, None).unwrap().samples.len(), 10);
    let missing = dir.path().join("no/such/dir/out.wav");
    let e = write_wav(&missing, &Audio { rate: 16_000, samples: vec![0.0] }, WavFormat::Int16)
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
}

#[test]
fn channels_must_be_chosen_in_a_multichannel_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo.wav");
    // Left: 1000·k, right: −1000·k.
    let interleaved: Vec<i16> = (0..20).flat_map(|k| [1000 * k, -1000 * k]).collect();
    write_raw(&path, int_spec(2, 16_000, 16), &interleaved);
    let (file, reason) = wav_reason(read_wav(&path, None).unwrap_err());
    assert_eq!(file, path);
    assert!(reason.contains("2 channels") && reason.contains("--channel"), "{reason}");
    let right = read_wav(&path, Some(1)).unwrap();
    let expected: Vec<f64> = (0..20).map(|k| f64::from(-1000 * k) / 32768.0).collect();
    assert_eq!(right.samples, expected);
    let left = read_wav(&path, Some(0)).unwrap();
    assert_eq!(left.samples[3], 3000.0 / 32768.0);
    let (_, reason) = wav_reason(read_wav(&path, Some(2)).unwrap_err());
    assert!(reason.contains("out of range") && reason.contains("2 channels"), "{reason}");
}

#[test]
fn other_integer_widths_scale_to_unit_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("24.wav");
    write_raw(&path, int_spec(1, 48_000, 24), &[-8_388_608_i32, 4_194_304, 8_388_607]);
    let a = read_wav(&path, None).unwrap();
    assert_eq!(a.rate, 48_000);
    assert_eq!(a.samples, [-1.0, 0.5, 8_388_607.0 / 8_388_608.0]);
}

#[test]
fn damaged_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(&good, &Audio { rate: 16_000, samples: vec![0.25; 1000] }, WavFormat::Int16).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    // Cut in the middle of the data, and cut to a few bytes of data.
    for keep in [bytes.len() - 1, bytes.len() - 700, 50] {
        let cut = dir.path().join(format!("cut{keep}.wav"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let (file, reason) = wav_reason(read_wav(&cut, None).unwrap_err());
        assert_eq!(file, cut);
        assert!(reason.contains("truncated"), "{keep}: {reason}");
    }

    // An absurd data size in the header (2 GB of samples in a 2 kB file): refused up front.
    let absurd = dir.path().join("absurd.wav");
    let mut b = bytes.clone();
    let data = b.windows(4).position(|w| w == b"data").unwrap();
    b[data + 4..data + 8].copy_from_slice(&0x7fff_fff0_u32.to_le_bytes());
    std::fs::write(&absurd, &b).unwrap();
    let (_, reason) = wav_reason(read_wav(&absurd, None).unwrap_err());
    assert!(reason.contains("declares"), "{reason}");

    // Not a WAV file at all, an empty file, a missing file.
    let text = dir.path().join("text.wav");
    std::fs::write(&text, b"this is not a RIFF file at all, just text").unwrap();
    assert_eq!(wav_reason(read_wav(&text, None).unwrap_err()).0, text);
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(wav_reason(read_wav(&empty, None).unwrap_err()).0, empty);
    let e = read_wav(&dir.path().join("missing.wav"), None).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("missing.wav"));
}

#[test]
fn pairs_must_share_rate_and_length() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let b = dir.path().join("b.wav");
    let c = dir.path().join("c.wav");
    write_wav(&a, &Audio { rate: 16_000, samples: vec![0.1; 100] }, WavFormat::Int16).unwrap();
    write_wav(&b, &Audio { rate: 8_000, samples: vec![0.1; 100] }, WavFormat::Int16).unwrap();
    write_wav(&c, &Audio { rate: 16_000, samples: vec![0.1; 90] }, WavFormat::Float32).unwrap();
    let e = read_wav_pair(&a, &b, None).unwrap_err();
    assert!(
        matches!(e, Error::SampleRateMismatch { first_rate: 16_000, second_rate: 8_000, .. }),
        "{e:?}"
    );
    let e = read_wav_pair(&a, &c, None).unwrap_err();
    assert!(matches!(e, Error::LengthMismatch { expected: 100, got: 90, .. }), "{e:?}");
    let (x, y) = read_wav_pair(&a, &a, None).unwrap();
    assert_eq!(x, y);
}
