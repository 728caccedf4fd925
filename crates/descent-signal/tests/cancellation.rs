//! The "must show" figures, measured on the shipped speech with NLMS, the partitioned
//! frequency-domain filter and RLS.
//!
//! **Echo**: the default [`EchoScenario`] (256-tap room, RT60 50 ms, noise 30 dB below the
//! echo's mean power over the whole signal, no near-end talker), a 256-tap filter, steady-state
//! ERLE = 10·log10(Σ d² / Σ e²) over the last 3 s. That ERLE cannot exceed the bound
//! 10·log10(1 + Σ echo² / Σ noise²) over the same 3 s — 29.5 dB here, because the last 3 s of the
//! speech are quieter than its average — so the issue's "≥ 30 dB for the frequency-domain filter
//! and RLS" is asserted as "within 0.5 dB of the bound" on that ERLE, and as ≥ 30 dB on the ERLE
//! of the echo alone, 10·log10(Σ echo² / Σ (echo − y)²) (the residual echo e − noise, known in a
//! simulation). NLMS must reach ≥ 28 dB on both.
//!
//! **Noise**: the default [`NoiseScenario`] (input SNR 0 dB, 64-tap path, white noise), a 64-tap
//! filter, SNR improvement over the whole signal (convergence included) ≥ 15 dB.

use descent_signal::metrics::{
    erle_db_over_time, misalignment_db, snr_improvement_db, steady_state_erle_db, time_to_erle_db,
};
use descent_signal::{AdaptiveFilter, EchoScenario, Nlms, NoiseScenario, Pbfdaf, Rls, cancel_echo};

const TAIL_S: f64 = 3.0;

struct Echo {
    erle: f64,
    bound: f64,
    echo_erle: f64,
}

fn echo_case(name: &str, filter: &mut impl AdaptiveFilter) -> Echo {
    let s = EchoScenario::builder().build().unwrap();
    let (y, e) = cancel_echo(filter, &s.far_end, &s.microphone, None).unwrap();
    let erle = steady_state_erle_db(&s.microphone, &e, s.rate, TAIL_S);
    let n = s.echo.len();
    let tail = n - (TAIL_S * f64::from(s.rate)) as usize;
    let energy = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>();
    let bound = 10.0 * (1.0 + energy(&s.echo[tail..]) / energy(&s.noise[tail..])).log10();
    let residual_echo: Vec<f64> = s.echo.iter().zip(&y).map(|(h, y)| h - y).collect();
    let echo_erle = steady_state_erle_db(&s.echo, &residual_echo, s.rate, TAIL_S);
    let frame = 320; // 20 ms
    let t20 = time_to_erle_db(&erle_db_over_time(&s.microphone, &e, frame), frame, s.rate, 20.0);
    eprintln!(
        "{name}: ERLE over the last 3 s {erle:.2} dB (bound {bound:.2}), echo-only ERLE \
         {echo_erle:.2} dB, 20 dB reached at {t20:?} s, misalignment {:.2} dB",
        misalignment_db(&filter.weights(), &s.room)
    );
    assert!(erle <= bound + 0.05, "ERLE {erle} above the noise bound {bound}: the metric is wrong");
    Echo { erle, bound, echo_erle }
}

#[test]
fn echo_nlms_reaches_28_db() {
    let r = echo_case("NLMS μ 0.2 ε 0.1", &mut Nlms::new(256, 0.2, 0.1).unwrap());
    assert!(r.erle >= 28.0, "ERLE {:.2} dB", r.erle);
    assert!(r.echo_erle >= 28.0, "echo-only ERLE {:.2} dB", r.echo_erle);
}

#[test]
fn echo_pbfdaf_reaches_the_noise_bound() {
    let mut f = Pbfdaf::new(256, 64, 0.5).unwrap().with_epsilon(1.0).unwrap();
    let r = echo_case("Pbfdaf B 64 μ 0.5 ε 1", &mut f);
    assert!(r.erle >= r.bound - 0.5, "ERLE {:.2} dB, bound {:.2} dB", r.erle, r.bound);
    assert!(r.echo_erle >= 30.0, "echo-only ERLE {:.2} dB", r.echo_erle);
}

/// ≈ 3.5 s in release (256² per sample over 113,734 samples); far too slow unoptimised.
#[test]
#[cfg_attr(debug_assertions, ignore = "RLS at 256 taps over 7 s: run with --release")]
fn echo_rls_reaches_the_noise_bound() {
    let r = echo_case("RLS λ 0.9999 δ 0.01", &mut Rls::new(256, 0.9999, 1e-2).unwrap());
    assert!(r.erle >= r.bound - 0.5, "ERLE {:.2} dB, bound {:.2} dB", r.erle, r.bound);
    assert!(r.echo_erle >= 30.0, "echo-only ERLE {:.2} dB", r.echo_erle);
}

fn noise_case(name: &str, filter: &mut impl AdaptiveFilter) -> f64 {
    let s = NoiseScenario::builder().build().unwrap();
    let (_, e) = filter.process(&s.reference, &s.primary).unwrap();
    let all = snr_improvement_db(&s.speech, &s.primary, &e);
    let k = s.rate as usize;
    let after = snr_improvement_db(&s.speech[k..], &s.primary[k..], &e[k..]);
    eprintln!(
        "{name}: SNR improvement {all:.2} dB (after the first second {after:.2} dB), \
         misalignment {:.2} dB",
        misalignment_db(&filter.weights(), &s.path)
    );
    all
}

#[test]
fn noise_cancellation_improves_snr_by_15_db() {
    let nlms = noise_case("NLMS μ 0.05 ε 1", &mut Nlms::new(64, 0.05, 1.0).unwrap());
    let mut f = Pbfdaf::new(64, 64, 0.1).unwrap().with_epsilon(1.0).unwrap();
    let fdaf = noise_case("Pbfdaf B 64 μ 0.1 ε 1", &mut f);
    let rls = noise_case("RLS λ 0.99999 δ 0.01", &mut Rls::new(64, 0.99999, 1e-2).unwrap());
    for (name, db) in [("NLMS", nlms), ("Pbfdaf", fdaf), ("RLS", rls)] {
        assert!(db >= 15.0, "{name}: SNR improvement {db:.2} dB");
    }
}
