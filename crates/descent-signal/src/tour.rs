//! The numbers behind the tour's chapter on noise and echo cancellation (`descent tour`,
//! chapter 8): the experiments run here and return what the narrative quotes, so that every
//! claim the chapter makes is also a tested value. No I/O, as in `descent::tour`.
//!
//! | function | claim |
//! |---|---|
//! | [`nlms_step`] | one NLMS update on the shipped speech is a gradient step on ½e²: Δw = −μ/(ε + xᵀx)·∇_w(½e²), with ∇_w(½e²) = −e·x checked against central differences |
//! | [`noise_cancellation`] | NLMS on the default [`NoiseScenario`] (0 dB input SNR) improves the SNR by ≥ 15 dB; on the same path RLS reaches −20 dB misalignment several times sooner than LMS and NLMS |
//! | [`echo_cancellation`] | on an [`EchoScenario`] with a double-talk segment, NLMS and the frequency-domain filter keep their weights with the Geigel detector and lose them without |
//! | [`signals`] | all three together |
//!
//! # The chapter's equations
//! ```text
//! x(n) = [x(n), …, x(n−L+1)]ᵀ          the last L reference samples
//! e(n) = d(n) − w(n)ᵀ x(n)             error: what the filter cannot predict
//! ∇_w ½e(n)² = −e(n)·x(n)              the instantaneous gradient
//! w(n+1) = w(n) + μ·e(n)·x(n)/(ε + x(n)ᵀx(n))     NLMS: a normalised step against it
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | d | the primary microphone (noise) or the microphone (echo) |
//! | x | the reference microphone (noise) or the far end (echo) |
//! | L | taps |
//! | μ, ε | NLMS step size and regularisation |
//! | misalignment | 10·log10(‖w − h‖²/‖h‖²) against the true path h ([`misalignment_db`]) |
//!
//! # Example
//! ```
//! use descent_signal::tour::{SignalSettings, noise_cancellation};
//! let chapter = noise_cancellation(&SignalSettings::default())?;
//! assert!(chapter.snr_improvement_db >= 15.0);
//! # Ok::<(), descent_signal::Error>(())
//! ```

use crate::metrics::{erle_db_over_time, misalignment_db, snr_db, steady_state_erle_db};
use crate::scenario::CANCEL_BLOCK;
use crate::{
    AdaptiveFilter, EchoScenario, Error, Geigel, Lms, Nlms, NoiseScenario, Pbfdaf, Result, Rls,
    SampleFilter, cancel_echo,
};

/// The central-difference step h in the weights: the loss ½e² is quadratic in w, so the
/// difference quotient is exact up to rounding, ≈ ε·|e|·|x|/h.
pub const FD_STEP: f64 = 1e-6;

/// How the chapter's experiments are set up; [`Default`] is what the tour runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSettings {
    /// NLMS step μ of the noise canceller.
    pub noise_mu: f64,
    /// NLMS regularisation ε (both set-ups).
    pub eps: f64,
    /// The sample at which [`nlms_step`] looks at one update.
    pub step_sample: usize,
    /// Samples of the learning curves (from the start of the signal).
    pub curve_samples: usize,
    /// The misalignment is measured every this many samples.
    pub curve_every: usize,
    /// RLS's forgetting factor λ.
    pub rls_lambda: f64,
    /// RLS's initial regularisation δ, P(0) = δ⁻¹·I, relative to the reference's power.
    pub rls_delta_rel: f64,
    /// The waveform window of the figure: start and length in seconds.
    pub window_s: (f64, f64),
    /// NLMS step μ of the echo cancellers (also the frequency-domain filter's μ).
    pub echo_mu: f64,
    /// The frequency-domain filter's block B.
    pub block: usize,
    /// The frequency-domain filter's regularisation of the per-bin power.
    pub fdaf_eps: f64,
    /// The double-talk segment: start and length in seconds.
    pub double_talk_s: (f64, f64),
    /// The frame of the ERLE and misalignment traces, in seconds (a whole number of blocks of
    /// [`CANCEL_BLOCK`] samples).
    pub frame_s: f64,
    /// The tail over which the steady-state ERLE is measured, in seconds.
    pub tail_s: f64,
}

impl Default for SignalSettings {
    /// Noise: L = the path's 64 taps, μ = 0.02, ε = 0.1, one update looked at after 1 s, the
    /// learning curves over the first 2 s measured every 16 samples, RLS with λ = 1 and
    /// δ = 0.01·σ_x², the waveforms of 1.0–1.5 s. Echo: L = the room's 256 taps, μ = 0.5 for
    /// NLMS and the frequency-domain filter (B = 64, ε = 1 on its per-bin power), double talk
    /// in 2–3 s, frames of 0.1 s, the steady state over the last 3 s.
    fn default() -> Self {
        Self {
            noise_mu: 0.02,
            eps: 0.1,
            step_sample: 16_000,
            curve_samples: 32_000,
            curve_every: 16,
            rls_lambda: 1.0,
            rls_delta_rel: 0.01,
            window_s: (1.0, 0.5),
            echo_mu: 0.5,
            block: 64,
            fdaf_eps: 1.0,
            double_talk_s: (2.0, 1.0),
            frame_s: 0.1,
            tail_s: 3.0,
        }
    }
}

/// One NLMS update looked at closely.
#[derive(Debug, Clone, PartialEq)]
pub struct NlmsStep {
    /// The sample n.
    pub sample: usize,
    /// The error e(n) = d(n) − w(n)ᵀx(n).
    pub error: f64,
    /// x(n)ᵀx(n).
    pub energy: f64,
    /// The normalised step μ/(ε + xᵀx) the filter took along −∇.
    pub step: f64,
    /// ‖∇_w ½e²‖ = |e|·‖x‖.
    pub gradient_norm: f64,
    /// maxₖ |(−e·x)_k − (½e(w + h·e_k)² − ½e(w − h·e_k)²)/(2h)|, h = [`FD_STEP`].
    pub finite_difference_error: f64,
    /// maxₖ |Δw_k − (−step·∇_k)| for the filter's own update Δw, relative to max |Δw_k|.
    pub update_error: f64,
}

/// Runs NLMS (the settings' μ and ε, as many taps as the path) on the default noise scenario up
/// to `settings.step_sample` and compares its next update with a gradient step on ½e².
///
/// # Errors
/// As [`NoiseScenario::builder`] and [`Nlms::new`]; [`Error::InvalidParameter`] when the
/// sample is not inside the signal.
pub fn nlms_step(settings: &SignalSettings) -> Result<NlmsStep> {
    let s = NoiseScenario::builder().build()?;
    step_on(&s, settings)
}

fn step_on(s: &NoiseScenario, settings: &SignalSettings) -> Result<NlmsStep> {
    let n = settings.step_sample;
    if n >= s.primary.len() {
        return Err(Error::InvalidParameter {
            name: "step_sample",
            value: n as f64,
            valid: "a sample index inside the signal",
        });
    }
    let taps = s.path.len();
    let mut filter = Nlms::new(taps, settings.noise_mu, settings.eps)?;
    filter.process(&s.reference[..n], &s.primary[..n])?;
    let before = filter.weights();
    let (_, error) = filter.process_sample(s.reference[n], s.primary[n]);
    let after = filter.weights();
    let x: Vec<f64> = (0..taps).map(|k| if k <= n { s.reference[n - k] } else { 0.0 }).collect();
    let d = s.primary[n];
    let half_square = |w: &[f64]| {
        let e = d - w.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>();
        0.5 * e * e
    };
    let gradient: Vec<f64> = x.iter().map(|xk| -error * xk).collect();
    let mut w = before.clone();
    let mut finite_difference_error = 0.0f64;
    for k in 0..taps {
        w[k] = before[k] + FD_STEP;
        let up = half_square(&w);
        w[k] = before[k] - FD_STEP;
        let down = half_square(&w);
        w[k] = before[k];
        let central = (up - down) / (2.0 * FD_STEP);
        finite_difference_error = finite_difference_error.max((gradient[k] - central).abs());
    }
    let energy: f64 = x.iter().map(|v| v * v).sum();
    let step = settings.noise_mu / (settings.eps + energy);
    let largest = before.iter().zip(&after).map(|(b, a)| (a - b).abs()).fold(0.0, f64::max);
    let update_error = before
        .iter()
        .zip(&after)
        .zip(&gradient)
        .map(|((b, a), g)| ((a - b) + step * g).abs())
        .fold(0.0, f64::max)
        / largest;
    Ok(NlmsStep {
        sample: n,
        error,
        energy,
        step,
        gradient_norm: error.abs() * energy.sqrt(),
        finite_difference_error,
        update_error,
    })
}

/// A misalignment learning curve.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningCurve {
    /// `lms`, `nlms` or `rls`.
    pub method: &'static str,
    /// Its step (μ for LMS and NLMS) or forgetting factor (λ for RLS).
    pub parameter: f64,
    /// (samples processed, misalignment in dB) every `curve_every` samples.
    pub points: Vec<(usize, f64)>,
}

impl LearningCurve {
    /// The first number of samples after which the misalignment is at or below `db`.
    #[must_use]
    pub fn samples_to(&self, db: f64) -> Option<usize> {
        self.points.iter().find(|p| p.1 <= db).map(|p| p.0)
    }

    /// The lowest point (samples, dB), the first of equals; (0, 0 dB) for an empty curve.
    #[must_use]
    pub fn lowest(&self) -> (usize, f64) {
        self.points.iter().copied().fold((0, 0.0), |low, p| if p.1 < low.1 { p } else { low })
    }

    /// The misalignment at the end of the curve, dB.
    #[must_use]
    pub fn last_db(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.1)
    }
}

/// Noise cancellation on the shipped speech.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseChapter {
    /// The set-up (default [`NoiseScenario`]).
    pub scenario: NoiseScenario,
    /// The taps L (the path's length).
    pub taps: usize,
    /// The NLMS output e over the whole signal: the cleaned speech.
    pub cleaned: Vec<f64>,
    /// SNR of the primary microphone, dB.
    pub input_snr_db: f64,
    /// SNR of the cleaned signal, dB.
    pub output_snr_db: f64,
    /// The difference, dB.
    pub snr_improvement_db: f64,
    /// Misalignment of the NLMS weights at the end, dB.
    pub final_misalignment_db: f64,
    /// One update looked at closely.
    pub step: NlmsStep,
    /// LMS, NLMS, RLS on the same signals, in that order.
    pub curves: Vec<LearningCurve>,
    /// The reference's power σ_x² (mean square).
    pub reference_power: f64,
}

impl NoiseChapter {
    /// The curve of `method`.
    ///
    /// # Panics
    /// For a method other than `lms`, `nlms`, `rls`.
    #[must_use]
    pub fn curve(&self, method: &str) -> &LearningCurve {
        self.curves.iter().find(|c| c.method == method).expect("lms, nlms or rls")
    }
}

/// Runs `filter` over the first `n` samples, measuring the misalignment every `every`.
fn learning_curve(
    method: &'static str,
    parameter: f64,
    filter: &mut dyn AdaptiveFilter,
    s: &NoiseScenario,
    n: usize,
    every: usize,
) -> Result<LearningCurve> {
    let mut points = Vec::with_capacity(n / every + 1);
    let mut w = vec![0.0; filter.taps()];
    let mut start = 0;
    while start < n {
        let end = (start + every).min(n);
        filter.process(&s.reference[start..end], &s.primary[start..end])?;
        filter.weights_into(&mut w)?;
        points.push((end, misalignment_db(&w, &s.path)));
        start = end;
    }
    Ok(LearningCurve { method, parameter, points })
}

/// NLMS over the whole default noise scenario, and the learning curves of LMS, NLMS and RLS
/// over its first `settings.curve_samples`. LMS gets μ_LMS = μ/(L·σ_x²), the step at which its
/// misadjustment μ·tr R/2 matches NLMS's ≈ μ/2 on this white reference.
///
/// # Errors
/// As [`nlms_step`]; [`Error::InvalidParameter`] for a zero `curve_every`.
pub fn noise_cancellation(settings: &SignalSettings) -> Result<NoiseChapter> {
    if settings.curve_every == 0 {
        return Err(Error::InvalidParameter {
            name: "curve_every",
            value: 0.0,
            valid: "at least 1 sample",
        });
    }
    let scenario = NoiseScenario::builder().build()?;
    let s = &scenario;
    let taps = s.path.len();
    let mut nlms = Nlms::new(taps, settings.noise_mu, settings.eps)?;
    let (_, cleaned) = nlms.process(&s.reference, &s.primary)?;
    let input_snr_db = snr_db(&s.speech, &s.primary);
    let output_snr_db = snr_db(&s.speech, &cleaned);
    let final_misalignment_db = misalignment_db(&nlms.weights(), &s.path);
    let step = step_on(s, settings)?;
    let n = settings.curve_samples.min(s.primary.len());
    let reference_power = s.reference.iter().map(|v| v * v).sum::<f64>() / s.reference.len() as f64;
    let lms_mu = settings.noise_mu / (taps as f64 * reference_power);
    let every = settings.curve_every;
    let curves = vec![
        learning_curve("lms", lms_mu, &mut Lms::new(taps, lms_mu)?, s, n, every)?,
        learning_curve(
            "nlms",
            settings.noise_mu,
            &mut Nlms::new(taps, settings.noise_mu, settings.eps)?,
            s,
            n,
            every,
        )?,
        learning_curve(
            "rls",
            settings.rls_lambda,
            &mut Rls::new(taps, settings.rls_lambda, settings.rls_delta_rel * reference_power)?,
            s,
            n,
            every,
        )?,
    ];
    Ok(NoiseChapter {
        taps,
        cleaned,
        input_snr_db,
        output_snr_db,
        snr_improvement_db: output_snr_db - input_snr_db,
        final_misalignment_db,
        step,
        curves,
        reference_power,
        scenario,
    })
}

/// One echo canceller's run.
#[derive(Debug, Clone, PartialEq)]
pub struct EchoRun {
    /// `nlms` or `fdaf`.
    pub filter: &'static str,
    /// Whether the Geigel detector froze adaptation during double talk.
    pub detector: bool,
    /// ERLE in frames of `frame_s`, dB.
    pub erle_db: Vec<f64>,
    /// Misalignment at the end of each frame, dB.
    pub misalignment_db: Vec<f64>,
    /// Misalignment when double talk starts, dB.
    pub misalignment_before_db: f64,
    /// Misalignment when it ends, dB.
    pub misalignment_after_db: f64,
    /// ERLE over the last `tail_s`, dB.
    pub steady_state_erle_db: f64,
}

/// Echo cancellation with double talk.
#[derive(Debug, Clone, PartialEq)]
pub struct EchoChapter {
    /// The set-up.
    pub scenario: EchoScenario,
    /// The taps L (the room's length).
    pub taps: usize,
    /// Samples per frame of the traces.
    pub frame: usize,
    /// The double talk's first and one-past-last sample.
    pub double_talk: (usize, usize),
    /// NLMS without and with the detector, then the frequency-domain filter likewise.
    pub runs: Vec<EchoRun>,
}

impl EchoChapter {
    /// The run of `filter` (`nlms` or `fdaf`) with or without the detector.
    ///
    /// # Panics
    /// For another filter name.
    #[must_use]
    pub fn run(&self, filter: &str, detector: bool) -> &EchoRun {
        self.runs
            .iter()
            .find(|r| r.filter == filter && r.detector == detector)
            .expect("nlms or fdaf")
    }
}

fn echo_run(
    name: &'static str,
    filter: &mut dyn AdaptiveFilter,
    s: &EchoScenario,
    detector: bool,
    frame: usize,
    double_talk: (usize, usize),
    tail_s: f64,
) -> Result<EchoRun> {
    let mut dtd = Geigel::default();
    let n = s.far_end.len();
    let mut residual = Vec::with_capacity(n);
    let mut misalignment = Vec::with_capacity(n / frame);
    let mut w = vec![0.0; filter.taps()];
    let (mut before, mut after) = (0.0, 0.0);
    let mut start = 0;
    while start < n {
        let end = (start + frame).min(n);
        let (_, e) = cancel_echo(
            filter,
            &s.far_end[start..end],
            &s.microphone[start..end],
            detector.then_some(&mut dtd),
        )?;
        residual.extend_from_slice(&e);
        filter.weights_into(&mut w)?;
        let m = misalignment_db(&w, &s.room);
        misalignment.push(m);
        if end <= double_talk.0 {
            before = m;
        }
        if end <= double_talk.1 {
            after = m;
        }
        start = end;
    }
    Ok(EchoRun {
        filter: name,
        detector,
        erle_db: erle_db_over_time(&s.microphone, &residual, frame),
        misalignment_db: misalignment,
        misalignment_before_db: before,
        misalignment_after_db: after,
        steady_state_erle_db: steady_state_erle_db(&s.microphone, &residual, s.rate, tail_s),
    })
}

/// NLMS and the frequency-domain filter, each with and without the Geigel detector, on the
/// default [`EchoScenario`] with double talk in `settings.double_talk_s`. The misalignment
/// before and after is taken at the ends of the frames in which the segment starts and ends
/// (the segment's ends are whole frames for the defaults).
///
/// # Errors
/// As [`EchoScenario::builder`], [`Nlms::new`] and [`Pbfdaf::new`];
/// [`Error::InvalidParameter`] when a frame is not a positive whole number of
/// [`CANCEL_BLOCK`]s.
pub fn echo_cancellation(settings: &SignalSettings) -> Result<EchoChapter> {
    let (dt_start, dt_length) = settings.double_talk_s;
    let scenario = EchoScenario::builder().double_talk(dt_start, dt_length).build()?;
    let s = &scenario;
    let fs = f64::from(s.rate);
    let frame = (settings.frame_s * fs).round() as usize;
    if frame == 0 || !frame.is_multiple_of(CANCEL_BLOCK) {
        return Err(Error::InvalidParameter {
            name: "frame_s",
            value: settings.frame_s,
            valid: "a positive whole number of 64-sample blocks",
        });
    }
    let double_talk =
        ((dt_start * fs).round() as usize, ((dt_start + dt_length) * fs).round() as usize);
    let taps = s.room.len();
    let (mu, eps) = (settings.echo_mu, settings.eps);
    let fdaf = || -> Result<Pbfdaf> {
        Pbfdaf::new(taps, settings.block, mu)?.with_epsilon(settings.fdaf_eps)
    };
    let tail = settings.tail_s;
    let runs = vec![
        echo_run("nlms", &mut Nlms::new(taps, mu, eps)?, s, false, frame, double_talk, tail)?,
        echo_run("nlms", &mut Nlms::new(taps, mu, eps)?, s, true, frame, double_talk, tail)?,
        echo_run("fdaf", &mut fdaf()?, s, false, frame, double_talk, tail)?,
        echo_run("fdaf", &mut fdaf()?, s, true, frame, double_talk, tail)?,
    ];
    Ok(EchoChapter { taps, frame, double_talk, runs, scenario })
}

/// The whole chapter.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalsChapter {
    /// The settings it ran with.
    pub settings: SignalSettings,
    /// Noise cancellation and the learning curves.
    pub noise: NoiseChapter,
    /// Echo cancellation with double talk.
    pub echo: EchoChapter,
}

/// Runs [`noise_cancellation`] and [`echo_cancellation`].
///
/// # Errors
/// As those.
pub fn signals(settings: &SignalSettings) -> Result<SignalsChapter> {
    Ok(SignalsChapter {
        settings: settings.clone(),
        noise: noise_cancellation(settings)?,
        echo: echo_cancellation(settings)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter() -> SignalsChapter {
        signals(&SignalSettings::default()).unwrap()
    }

    #[test]
    fn one_nlms_update_is_a_normalised_gradient_step_on_the_squared_error() {
        let settings = SignalSettings::default();
        let st = nlms_step(&settings).unwrap();
        // ½e² is quadratic in w: central differences are exact up to rounding.
        assert!(st.finite_difference_error <= 1e-10, "{st:?}");
        // The filter's update is −μ/(ε + xᵀx)·∇ up to the rounding of its running energy.
        assert!(st.update_error <= 1e-10, "{st:?}");
        assert!((st.step - settings.noise_mu / (settings.eps + st.energy)).abs() <= 1e-15);
        assert!(st.error != 0.0 && st.energy > 0.0);
        assert_eq!(st.sample, settings.step_sample);
        let bad = SignalSettings { step_sample: 10_000_000, ..settings };
        assert!(matches!(nlms_step(&bad), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn nlms_cleans_the_speech_and_rls_converges_far_sooner() {
        let c = chapter();
        let n = &c.noise;
        // The default scenario: noise as loud as the speech.
        assert!(n.input_snr_db.abs() <= 1e-9, "{}", n.input_snr_db);
        assert!(n.snr_improvement_db >= 15.0, "{}", n.snr_improvement_db);
        assert!((n.output_snr_db - n.input_snr_db - n.snr_improvement_db).abs() <= 1e-12);
        assert!(n.final_misalignment_db <= -20.0, "{}", n.final_misalignment_db);
        assert_eq!(n.cleaned.len(), n.scenario.primary.len());
        let methods: Vec<&str> = n.curves.iter().map(|c| c.method).collect();
        assert_eq!(methods, ["lms", "nlms", "rls"]);
        for curve in &n.curves {
            assert_eq!(curve.points.len(), 32_000 / 16);
            assert_eq!(curve.points[0].0, 16);
            assert_eq!(curve.points.last().unwrap().0, 32_000);
        }
        let (rls, nlms) = (n.curve("rls"), n.curve("nlms"));
        let rls_at = rls.samples_to(-20.0).unwrap();
        let nlms_at = nlms.samples_to(-20.0).unwrap();
        // RLS within 2L samples, NLMS at least 20 times later.
        assert!(rls_at <= 2 * n.taps, "{rls_at}");
        assert!(nlms_at >= 20 * rls_at, "{nlms_at} vs {rls_at}");
        // Before the talker starts the path is recovered almost exactly.
        assert!(rls.lowest().1 <= -60.0, "{:?}", rls.lowest());
        // LMS at the matched step tracks NLMS within a factor of 1.5.
        let lms_at = n.curve("lms").samples_to(-20.0).unwrap() as f64;
        assert!((lms_at / nlms_at as f64 - 1.0).abs() <= 0.5, "{lms_at} vs {nlms_at}");
        // The same settings give the same bits.
        assert_eq!(noise_cancellation(&c.settings).unwrap(), *n);
    }

    #[test]
    fn the_detector_keeps_the_weights_through_double_talk() {
        let c = chapter();
        let e = &c.echo;
        assert_eq!((e.taps, e.frame, e.double_talk), (256, 1600, (32_000, 48_000)));
        for filter in ["nlms", "fdaf"] {
            let (without, with) = (e.run(filter, false), e.run(filter, true));
            // Without: double talk costs at least 5 dB of misalignment; with: less than that.
            let lost = without.misalignment_after_db - without.misalignment_before_db;
            let lost_with = with.misalignment_after_db - with.misalignment_before_db;
            assert!(lost >= 5.0, "{filter}: {lost}");
            assert!(lost_with < lost - 3.0, "{filter}: {lost_with} vs {lost}");
            assert!(with.misalignment_after_db < without.misalignment_after_db - 3.0);
            for run in [without, with] {
                assert_eq!(run.erle_db.len(), e.scenario.microphone.len() / 1600);
                assert_eq!(run.misalignment_db.len(), e.scenario.microphone.len().div_ceil(1600));
                // All recover once the near end is silent.
                assert!(run.steady_state_erle_db >= 20.0, "{filter}: {run:?}");
                assert!(*run.misalignment_db.last().unwrap() <= -15.0);
            }
        }
    }

    #[test]
    fn bad_settings_are_errors() {
        let bad = SignalSettings { curve_every: 0, ..SignalSettings::default() };
        assert!(noise_cancellation(&bad).is_err());
        let bad = SignalSettings { frame_s: 0.01, ..SignalSettings::default() };
        assert!(matches!(echo_cancellation(&bad), Err(Error::InvalidParameter { .. })));
        let bad = SignalSettings { noise_mu: 2.5, ..SignalSettings::default() };
        assert!(noise_cancellation(&bad).is_err());
    }
}
