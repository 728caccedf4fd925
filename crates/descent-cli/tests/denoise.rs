//! `descent denoise` end to end: the demo's figures, files in and out, and bad input as one line
//! on stderr, exit code 2 and no file written.

use std::path::Path;

use assert_cmd::Command;
use descent_signal::{Audio, NoiseScenario, WavFormat, read_wav, write_wav};
use serde_json::Value;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

/// Runs `descent` in `dir` with `args` and `--json`, expecting one JSON object on stdout.
fn json(dir: &Path, args: &[&str]) -> Value {
    let out = descent().current_dir(dir).args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

/// Runs `descent` in `dir` expecting failure: one line on stderr, exit code 2.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = descent().current_dir(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The demo's echo canceller reaches the steady-state ERLE the library's tests require of NLMS,
/// and writes the cleaned signal and the ERLE figure.
#[test]
fn echo_demo_cancels_the_echo_and_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(
        dir.path(),
        &["denoise", "--demo", "--mode", "echo", "--taps", "256", "--out", "clean.wav"],
    );
    for field in [
        "mode",
        "filter",
        "taps",
        "mu",
        "rate",
        "samples",
        "erle_db",
        "time_to_20db_s",
        "erle_over_time",
        "snr_improvement_db",
        "misalignment_db",
        "double_talk_fraction",
        "realtime_factor",
    ] {
        assert!(v.get(field).is_some(), "missing {field}: {v}");
    }
    assert_eq!((v["mode"].as_str(), v["filter"].as_str()), (Some("echo"), Some("nlms")));
    let erle = v["erle_db"].as_f64().unwrap();
    assert!(erle >= 28.0, "steady-state ERLE {erle} dB");
    assert!(v["time_to_20db_s"].as_f64().unwrap() < 1.0);
    // The double-talk second (2–3 s of 7.1 s) is frozen, and little else.
    let frozen = v["double_talk_fraction"].as_f64().unwrap();
    assert!((0.1..0.5).contains(&frozen), "frozen fraction {frozen}");
    let frames = v["erle_over_time"]["db"].as_array().unwrap().len();
    assert_eq!(frames, v["samples"].as_u64().unwrap() as usize / 1600, "100 ms frames");
    assert_eq!(listing(dir.path()), ["clean-erle.png", "clean-erle.svg", "clean.wav"]);
    let svg = std::fs::read_to_string(dir.path().join("clean-erle.svg")).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    let out = read_wav(&dir.path().join("clean.wav"), None).unwrap();
    assert_eq!((out.rate, out.samples.len() as u64), (16_000, v["samples"].as_u64().unwrap()));
}

/// Two microphones written as WAV files: the noise canceller's output has a far better SNR than
/// the primary microphone, measured here against the known clean speech.
#[test]
fn noise_cancellation_from_files_improves_the_snr() {
    let dir = tempfile::tempdir().unwrap();
    let s = NoiseScenario::builder().build().unwrap();
    let wav = |name: &str, samples: &[f64]| {
        // Float WAV: the files hold the scenario's samples (to f32 precision).
        let audio = Audio { rate: s.rate, samples: samples.to_vec() };
        write_wav(&dir.path().join(name), &audio, WavFormat::Float32).unwrap();
    };
    // The primary at 0 dB SNR peaks above 1: scale both microphones alike.
    let peak = s.primary.iter().chain(&s.reference).fold(0.0_f64, |m, x| m.max(x.abs()));
    let scale = |v: &[f64]| v.iter().map(|x| x / peak).collect::<Vec<f64>>();
    wav("mic.wav", &scale(&s.primary));
    wav("ref.wav", &scale(&s.reference));
    let v = json(
        dir.path(),
        &[
            "denoise",
            "--primary",
            "mic.wav",
            "--reference",
            "ref.wav",
            "--out",
            "out.wav",
            "--float-out",
            "--taps",
            "64",
            "--mu",
            "0.05",
            "--eps",
            "1",
        ],
    );
    assert!(v["snr_improvement_db"].is_null(), "no clean signal to compare with: {v}");
    let out = read_wav(&dir.path().join("out.wav"), None).unwrap();
    let clean = scale(&s.speech);
    let snr = |x: &[f64]| {
        let noise: f64 = x.iter().zip(&clean).map(|(x, c)| (x - c).powi(2)).sum();
        10.0 * (clean.iter().map(|c| c * c).sum::<f64>() / noise).log10()
    };
    let (before, after) = (snr(&scale(&s.primary)), snr(&out.samples));
    assert!(after - before >= 15.0, "SNR {before:.2} dB → {after:.2} dB");
}

#[test]
fn bad_input_is_one_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tone = |rate: u32, n: usize| Audio {
        rate,
        samples: (0..n).map(|i| (i as f64 * 0.01).sin() * 0.5).collect(),
    };
    write_wav(&d.join("a.wav"), &tone(16_000, 4000), WavFormat::Int16).unwrap();
    write_wav(&d.join("b8k.wav"), &tone(8_000, 4000), WavFormat::Int16).unwrap();
    write_wav(&d.join("short.wav"), &tone(16_000, 3000), WavFormat::Int16).unwrap();
    let bytes = std::fs::read(d.join("a.wav")).unwrap();
    std::fs::write(d.join("cut.wav"), &bytes[..bytes.len() / 2 + 1]).unwrap();
    std::fs::write(d.join("text.wav"), b"not a wav file at all").unwrap();
    let before = listing(d);
    let cases: [(&[&str], &str); 8] = [
        (&["--primary", "a.wav", "--reference", "b8k.wav"], "Hz"),
        (&["--primary", "a.wav", "--reference", "short.wav"], "samples"),
        (&["--primary", "a.wav", "--reference", "nope.wav"], "nope.wav"),
        (&["--primary", "a.wav", "--reference", "text.wav"], "text.wav"),
        (&["--primary", "cut.wav", "--reference", "a.wav"], "cut.wav"),
        (&["--primary", "a.wav", "--reference", "a.wav", "--taps", "0"], "taps"),
        (&["--primary", "a.wav", "--reference", "a.wav", "--mu", "3"], "mu"),
        (
            &["--primary", "a.wav", "--reference", "a.wav", "--filter", "fdaf", "--taps", "100"],
            "block",
        ),
    ];
    for (args, says) in cases {
        let mut all = vec!["denoise", "--out", "o.wav"];
        all.extend_from_slice(args);
        let stderr = fails(d, &all);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let stderr = fails(d, &["denoise", "--primary", "a.wav", "--reference", "a.wav"]);
    assert!(stderr.contains("--out"), "{stderr}");
    let stderr = fails(d, &["denoise", "--demo", "--primary", "a.wav"]);
    assert!(stderr.contains("--demo"), "{stderr}");
    assert_eq!(listing(d), before, "no output left behind");
}
