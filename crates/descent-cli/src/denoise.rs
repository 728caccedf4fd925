//! `descent denoise`: an adaptive filter cancels the noise or the echo in a WAV recording.
//!
//! The filter takes the reference file (the noise microphone, or the far-end signal played by
//! the loudspeaker) as its input x and the primary file (the microphone) as its desired signal
//! d; what it cannot predict from x, e = d − y, is the cleaned signal written to `--out`.
//! `--demo` builds both signals from the shipped speech ([`NoiseScenario`] / [`EchoScenario`]
//! with their documented seeded defaults), so that the clean speech and the true path are known
//! and the SNR improvement and the misalignment can be reported too.
//!
//! Metrics: ERLE over time, 10·log10(Σd²/Σe²) in frames of 100 ms (the figure); the
//! steady-state ERLE over the last 3 s (the whole signal if shorter); the time at which ERLE
//! first reaches 20 dB (in 20 ms frames, as the tests measure it); in the demo the SNR
//! improvement (noise mode: the clean speech against the noise left; echo mode: the echo left)
//! and the normalised misalignment of the weights against the true path.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use descent_signal::metrics::{
    erle_db_over_time, misalignment_db, snr_improvement_db, steady_state_erle_db, time_to_erle_db,
};
use descent_signal::{
    AdaptiveFilter, AffineProjection, Audio, EchoScenario, Geigel, LeakyLms, Lms, Nlms,
    NoiseScenario, Pbfdaf, Rls, SignKind, SignLms, WavFormat, cancel_echo, read_wav, write_wav,
};
use serde::Serialize;

use crate::args::{DenoiseArgs, DenoiseMode, FilterName};
use crate::output::{number, print_fields, print_json};
use crate::plots;

/// The frame of the ERLE-over-time figure, in seconds.
const FIGURE_FRAME_S: f64 = 0.1;
/// The frame in which "time to 20 dB ERLE" is measured, in seconds.
const THRESHOLD_FRAME_S: f64 = 0.02;
/// The tail over which the steady-state ERLE is measured, in seconds.
const TAIL_S: f64 = 3.0;

/// The echo demo's double-talk segment: start and length in seconds.
const DEMO_DOUBLE_TALK: (f64, f64) = (2.0, 1.0);

/// The `--json` object.
#[derive(Serialize)]
struct DenoiseJson<'a> {
    mode: &'a str,
    filter: &'a str,
    taps: usize,
    mu: f64,
    rate: u32,
    samples: usize,
    duration_s: f64,
    /// Steady-state ERLE over the last 3 s, dB.
    erle_db: f64,
    /// When ERLE first reached 20 dB (20 ms frames), seconds; `null` if never.
    time_to_20db_s: Option<f64>,
    /// ERLE in frames of `frame_s`.
    erle_over_time: ErleOverTime<'a>,
    /// Demo only: output SNR − input SNR, dB.
    snr_improvement_db: Option<f64>,
    /// Demo only: ‖w − h‖²/‖h‖² in dB against the true path.
    misalignment_db: Option<f64>,
    /// Echo mode with the detector: the fraction of samples processed with adaptation frozen.
    double_talk_fraction: Option<f64>,
    elapsed_s: f64,
    /// Seconds of audio processed per second of computation.
    realtime_factor: f64,
    out: Option<&'a Path>,
    figure: &'a Path,
}

#[derive(Serialize)]
struct ErleOverTime<'a> {
    frame_s: f64,
    db: &'a [f64],
}

/// The signals of one run, and what is known about them in the demo.
struct Signals {
    reference: Vec<f64>,
    primary: Vec<f64>,
    rate: u32,
    /// Demo: the clean signal the output should be (speech, or the near-end talker).
    clean: Option<Vec<f64>>,
    /// Demo: the true path the weights should match.
    path: Option<Vec<f64>>,
}

/// Runs `descent denoise`.
pub fn run(args: &DenoiseArgs) -> anyhow::Result<()> {
    let signals = load(args)?;
    let mut filter = build_filter(args)?;
    let figure = figure_path(args);
    let start = Instant::now();
    let n = signals.primary.len();
    let (output, error, frozen) = match (args.mode, args.no_dtd) {
        (DenoiseMode::Echo, false) => {
            let mut dtd = Geigel::default();
            let mut counting = CountingDetector { dtd: &mut dtd, frozen: 0 };
            let (y, e) = counting.run(&mut *filter, &signals.reference, &signals.primary)?;
            (y, e, Some(counting.frozen as f64 / n.max(1) as f64))
        }
        _ => {
            let (y, e) = cancel_echo(&mut *filter, &signals.reference, &signals.primary, None)?;
            (y, e, None)
        }
    };
    let elapsed_s = start.elapsed().as_secs_f64();
    let rate = signals.rate;
    let frame = ((FIGURE_FRAME_S * f64::from(rate)).round() as usize).max(1);
    let erle_curve = erle_db_over_time(&signals.primary, &error, frame);
    let threshold_frame = ((THRESHOLD_FRAME_S * f64::from(rate)).round() as usize).max(1);
    let time_to_20db = time_to_erle_db(
        &erle_db_over_time(&signals.primary, &error, threshold_frame),
        threshold_frame,
        rate,
        20.0,
    );
    let erle = steady_state_erle_db(&signals.primary, &error, rate, TAIL_S);
    let snr_improvement =
        signals.clean.as_ref().map(|clean| snr_improvement_db(clean, &signals.primary, &error));
    let misalignment = signals.path.as_ref().map(|h| {
        let w = filter.weights();
        let len = w.len().max(h.len());
        let pad = |v: &[f64]| {
            let mut p = v.to_vec();
            p.resize(len, 0.0);
            p
        };
        misalignment_db(&pad(&w), &pad(h))
    });
    drop(output);

    if let Some(out) = &args.out {
        let format = if args.float_out { WavFormat::Float32 } else { WavFormat::Int16 };
        write_wav(out, &Audio { rate, samples: error }, format)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let duration_s = n as f64 / f64::from(rate);
    let times: Vec<(f64, f64)> = erle_curve
        .iter()
        .enumerate()
        .map(|(i, &db)| ((i + 1) as f64 * frame as f64 / f64::from(rate), db))
        .collect();
    write_figure(&figure, args, &times)?;
    let realtime_factor = if elapsed_s > 0.0 { duration_s / elapsed_s } else { f64::INFINITY };
    let filter_name = args.filter.name();
    let mu = mu(args);
    let mode = match args.mode {
        DenoiseMode::Noise => "noise",
        DenoiseMode::Echo => "echo",
    };
    if args.json {
        return print_json(&DenoiseJson {
            mode,
            filter: filter_name,
            taps: args.taps,
            mu,
            rate,
            samples: n,
            duration_s,
            erle_db: erle,
            time_to_20db_s: time_to_20db,
            erle_over_time: ErleOverTime {
                frame_s: frame as f64 / f64::from(rate),
                db: &erle_curve,
            },
            snr_improvement_db: snr_improvement,
            misalignment_db: misalignment,
            double_talk_fraction: frozen,
            elapsed_s,
            realtime_factor,
            out: args.out.as_deref(),
            figure: &figure,
        });
    }
    let db = |x: f64| format!("{} dB", number((x * 100.0).round() / 100.0));
    let mut rows = vec![
        ("mode", mode.to_owned()),
        ("filter", format!("{filter_name}, {} taps, μ {}", args.taps, number(mu))),
        ("signal", format!("{} samples at {rate} Hz ({:.2} s)", n, duration_s)),
        ("ERLE, last 3 s", db(erle)),
        (
            "20 dB ERLE reached",
            time_to_20db.map_or_else(|| "never".to_owned(), |t| format!("after {t:.2} s")),
        ),
    ];
    if let Some(s) = snr_improvement {
        rows.push(("SNR improvement", db(s)));
    }
    if let Some(m) = misalignment {
        rows.push(("misalignment", db(m)));
    }
    if let Some(f) = frozen {
        rows.push(("adaptation frozen (double talk)", format!("{:.1}% of samples", 100.0 * f)));
    }
    rows.push(("speed", format!("{realtime_factor:.0}× real time ({elapsed_s:.3} s)")));
    if let Some(out) = &args.out {
        rows.push(("cleaned signal", out.display().to_string()));
    }
    rows.push(("ERLE figure", figure.with_extension("svg").display().to_string()));
    print_fields(&rows);
    Ok(())
}

/// [`cancel_echo`] with the Geigel detector, counting the samples processed while frozen.
struct CountingDetector<'a> {
    dtd: &'a mut Geigel,
    frozen: usize,
}

impl CountingDetector<'_> {
    fn run(
        &mut self,
        filter: &mut dyn AdaptiveFilter,
        far_end: &[f64],
        microphone: &[f64],
    ) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
        // The detector's verdicts, replayed on a copy, count the frozen blocks exactly as
        // `cancel_echo` freezes them (whole blocks of CANCEL_BLOCK samples).
        let mut replay = self.dtd.clone();
        let block = descent_signal::scenario::CANCEL_BLOCK;
        for (far, mic) in far_end.chunks(block).zip(microphone.chunks(block)) {
            let mut double_talk = false;
            for (&x, &d) in far.iter().zip(mic) {
                double_talk |= replay.detect(x, d);
            }
            if double_talk {
                self.frozen += far.len();
            }
        }
        Ok(cancel_echo(filter, far_end, microphone, Some(self.dtd))?)
    }
}

/// The two signals: from the files, or the demo's.
fn load(args: &DenoiseArgs) -> anyhow::Result<Signals> {
    if args.demo {
        if args.primary.is_some() || args.reference.is_some() {
            bail!("--demo builds its own signals: drop --primary and --reference");
        }
        return Ok(match args.mode {
            DenoiseMode::Noise => {
                let s = NoiseScenario::builder().build()?;
                Signals {
                    reference: s.reference,
                    primary: s.primary,
                    rate: s.rate,
                    clean: Some(s.speech),
                    path: Some(s.path),
                }
            }
            DenoiseMode::Echo => {
                // Double talk early, so that the last 3 s (the steady-state ERLE) are far end only.
                let s = EchoScenario::builder()
                    .double_talk(DEMO_DOUBLE_TALK.0, DEMO_DOUBLE_TALK.1)
                    .build()?;
                Signals {
                    reference: s.far_end,
                    primary: s.microphone,
                    rate: s.rate,
                    clean: Some(s.near_end.iter().zip(&s.noise).map(|(v, u)| v + u).collect()),
                    path: Some(s.room),
                }
            }
        });
    }
    let (Some(primary), Some(reference)) = (&args.primary, &args.reference) else {
        bail!("give --primary FILE and --reference FILE (or --demo)");
    };
    if args.out.is_none() {
        bail!("give --out FILE for the cleaned signal");
    }
    let p = read_wav(primary, args.channel)?;
    let r = read_wav(reference, args.reference_channel.or(args.channel))?;
    if p.rate != r.rate {
        return Err(descent_signal::Error::SampleRateMismatch {
            first: primary.clone(),
            first_rate: p.rate,
            second: reference.clone(),
            second_rate: r.rate,
        }
        .into());
    }
    if p.samples.len() != r.samples.len() {
        bail!(
            "{} has {} samples but {} has {}: the two recordings must be aligned and of one \
             length",
            primary.display(),
            p.samples.len(),
            reference.display(),
            r.samples.len()
        );
    }
    Ok(Signals { reference: r.samples, primary: p.samples, rate: p.rate, clean: None, path: None })
}

/// The filter `--filter` names, with the flags that apply to it.
fn build_filter(args: &DenoiseArgs) -> anyhow::Result<Box<dyn AdaptiveFilter>> {
    let (taps, mu, eps) = (args.taps, mu(args), eps(args));
    Ok(match args.filter {
        FilterName::Lms => Box::new(Lms::new(taps, mu)?),
        FilterName::Nlms => Box::new(Nlms::new(taps, mu, eps)?),
        FilterName::LeakyLms => Box::new(LeakyLms::new(taps, mu, args.leak)?),
        FilterName::SignError => Box::new(SignLms::new(taps, mu, SignKind::SignError)?),
        FilterName::SignData => Box::new(SignLms::new(taps, mu, SignKind::SignData)?),
        FilterName::SignSign => Box::new(SignLms::new(taps, mu, SignKind::SignSign)?),
        FilterName::Apa => Box::new(AffineProjection::new(taps, args.order, mu, eps)?),
        FilterName::Rls => Box::new(Rls::new(taps, args.lambda, args.delta)?),
        FilterName::Fdaf => Box::new(Pbfdaf::new(taps, args.block, mu)?.with_epsilon(eps)?),
    })
}

/// μ: the flag, else 0.5 for echo and 0.1 for noise. In noise mode the speech, which the filter
/// cannot predict, is as loud as the noise and stirs the weights: NLMS's excess error is
/// μ/(2 − μ) of the speech power, so a large μ leaves noise of a third of it (μ = 0.5, a 5 dB
/// SNR gain on the demo) where μ = 0.1 gains 12 dB.
fn mu(args: &DenoiseArgs) -> f64 {
    args.mu.unwrap_or(match args.mode {
        DenoiseMode::Echo => 0.5,
        DenoiseMode::Noise => 0.1,
    })
}

/// ε: the flag, else a floor for signals in [−1, 1]: 0.1 on NLMS's xᵀx and APA's δ, 1 on the
/// frequency-domain filter's per-bin power (whose bins sum 2B samples). Speech has near-silent
/// stretches where a tiny ε turns the normalised step into a huge one.
fn eps(args: &DenoiseArgs) -> f64 {
    args.eps.unwrap_or(match args.filter {
        FilterName::Fdaf => 1.0,
        _ => 0.1,
    })
}

/// Where the ERLE figure goes (without extension): `--plot DIR`, else beside `--out`, else the
/// current directory.
fn figure_path(args: &DenoiseArgs) -> PathBuf {
    let stem = args
        .out
        .as_ref()
        .and_then(|o| o.file_stem())
        .map_or_else(|| "denoise".to_owned(), |s| s.to_string_lossy().into_owned());
    let dir = match (&args.plot, &args.out) {
        (Some(dir), _) => dir.clone(),
        (None, Some(out)) => out.parent().map(Path::to_path_buf).unwrap_or_default(),
        (None, None) => PathBuf::new(),
    };
    dir.join(format!("{stem}-erle"))
}

/// The ERLE-over-time figure, SVG and PNG.
fn write_figure(path: &Path, args: &DenoiseArgs, erle: &[(f64, f64)]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let series = [plots::Series {
        name: format!("{} ({} taps)", args.filter.name(), args.taps),
        points: erle.to_vec(),
    }];
    let title = format!(
        "ERLE over time: 10·log10(Σd² / Σe²) in {} ms frames",
        (FIGURE_FRAME_S * 1e3) as u32
    );
    for (format, extension) in [(plots::Format::Svg, "svg"), (plots::Format::Png, "png")] {
        let bytes = plots::lines(&title, "time (s)", "ERLE (dB)", &series, false, format)?;
        plots::write(&path.with_extension(extension), &bytes)?;
    }
    Ok(())
}
