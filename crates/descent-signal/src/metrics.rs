//! How well a canceller works: ERLE, SNR improvement, misalignment, convergence time.
//!
//! | metric | definition | good |
//! |---|---|---|
//! | ERLE (echo return loss enhancement) | 10·log10(Σ d(n)² / Σ e(n)²) over a frame or a tail | high |
//! | SNR | 10·log10(Σ s(n)² / Σ (z(n) − s(n))²) for a signal z holding the clean speech s | high |
//! | SNR improvement | SNR(output) − SNR(input) = 10·log10(Σ (in − s)² / Σ (out − s)²) | high |
//! | normalised misalignment | 10·log10(‖w − h‖² / ‖h‖²) for weights w against the true path h | low |
//! | time to ERLE | the end of the first frame whose ERLE reaches a threshold (e.g. 20 dB) | short |
//!
//! d is the microphone signal and e the canceller's residual (its error signal). With noise in
//! the microphone, ERLE cannot exceed 10·log10(1 + echo power / noise power): a canceller that
//! removes the echo perfectly leaves the noise.
//!
//! Conventions: two signals of different lengths are compared over the shorter length; sums
//! with a zero denominator give +∞ dB (a perfect residual) and 0/0 gives 0 dB (nothing to
//! cancel, nothing left). Only whole frames are measured: a partial last frame is dropped.

/// Σ x².
fn energy(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

/// 10·log10(num/den) with 0/0 = 0 dB and x/0 = +∞.
fn ratio_db(num: f64, den: f64) -> f64 {
    if num == 0.0 && den == 0.0 { 0.0 } else { 10.0 * (num / den).log10() }
}

/// ERLE in dB over the whole given signals: 10·log10(Σ d² / Σ e²) (see the [module docs](self)).
/// Pass the tail (e.g. `&mic[mic.len() - 3 * rate..]`) for a steady-state figure.
#[must_use]
pub fn erle_db(microphone: &[f64], error: &[f64]) -> f64 {
    let n = microphone.len().min(error.len());
    ratio_db(energy(&microphone[..n]), energy(&error[..n]))
}

/// ERLE in dB frame by frame: value i is [`erle_db`] over samples [i·F, (i+1)·F) for a frame of
/// F samples. Empty when F = 0.
#[must_use]
pub fn erle_db_over_time(microphone: &[f64], error: &[f64], frame: usize) -> Vec<f64> {
    if frame == 0 {
        return Vec::new();
    }
    let n = microphone.len().min(error.len());
    microphone[..n]
        .chunks_exact(frame)
        .zip(error[..n].chunks_exact(frame))
        .map(|(d, e)| erle_db(d, e))
        .collect()
}

/// Steady-state ERLE in dB: [`erle_db`] over the last `tail_s` seconds (all of the signal when it
/// is shorter).
#[must_use]
pub fn steady_state_erle_db(microphone: &[f64], error: &[f64], rate: u32, tail_s: f64) -> f64 {
    let n = microphone.len().min(error.len());
    let tail = ((tail_s.max(0.0) * f64::from(rate)).round() as usize).min(n);
    erle_db(&microphone[n - tail..n], &error[n - tail..n])
}

/// The SNR in dB of a signal z that holds the clean signal s plus noise:
/// 10·log10(Σ s² / Σ (z − s)²).
#[must_use]
pub fn snr_db(clean: &[f64], noisy: &[f64]) -> f64 {
    let n = clean.len().min(noisy.len());
    let noise: f64 = clean[..n].iter().zip(&noisy[..n]).map(|(s, z)| (z - s) * (z - s)).sum();
    ratio_db(energy(&clean[..n]), noise)
}

/// SNR improvement in dB: [`snr_db`]`(clean, output) − `[`snr_db`]`(clean, input)`, i.e.
/// 10·log10(Σ (input − s)² / Σ (output − s)²): how many dB of noise the canceller removed
/// while keeping the clean signal s.
#[must_use]
pub fn snr_improvement_db(clean: &[f64], input: &[f64], output: &[f64]) -> f64 {
    let n = clean.len().min(input.len()).min(output.len());
    let noise =
        |z: &[f64]| -> f64 { clean[..n].iter().zip(&z[..n]).map(|(s, z)| (z - s) * (z - s)).sum() };
    ratio_db(noise(input), noise(output))
}

/// Normalised misalignment in dB: 10·log10(‖w − h‖² / ‖h‖²). The shorter of w and h is padded
/// with zeros (weights beyond the true path's length should be 0).
#[must_use]
pub fn misalignment_db(w: &[f64], h: &[f64]) -> f64 {
    let n = w.len().max(h.len());
    let at = |v: &[f64], k: usize| v.get(k).copied().unwrap_or(0.0);
    let diff: f64 = (0..n).map(|k| (at(w, k) - at(h, k)).powi(2)).sum();
    ratio_db(diff, energy(h))
}

/// The time in seconds at which ERLE first reaches `threshold_db`: the end of the first frame i
/// with `erle_over_time[i] ≥ threshold_db`, (i + 1)·F / rate, for frames of F samples (as from
/// [`erle_db_over_time`]). `None` if no frame reaches it.
#[must_use]
pub fn time_to_erle_db(
    erle_over_time: &[f64],
    frame: usize,
    rate: u32,
    threshold_db: f64,
) -> Option<f64> {
    let i = erle_over_time.iter().position(|&e| e >= threshold_db)?;
    Some(((i + 1) * frame) as f64 / f64::from(rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const TOL: f64 = 1e-12;

    fn signal(n: usize) -> Vec<f64> {
        (0..n).map(|k| ((k as f64) * 0.3).sin() + 0.2 * ((k as f64) * 1.7).cos()).collect()
    }

    #[test]
    fn residual_a_tenth_of_the_mic_is_20_db() {
        let d = signal(1000);
        let e: Vec<f64> = d.iter().map(|x| x / 10.0).collect();
        assert_abs_diff_eq!(erle_db(&d, &e), 20.0, epsilon = TOL);
        let frames = erle_db_over_time(&d, &e, 128);
        assert_eq!(frames.len(), 7, "partial last frame dropped");
        frames.iter().for_each(|&f| assert_abs_diff_eq!(f, 20.0, epsilon = TOL));
        assert_abs_diff_eq!(steady_state_erle_db(&d, &e, 100, 3.0), 20.0, epsilon = TOL);
        assert!(erle_db_over_time(&d, &e, 0).is_empty());
    }

    #[test]
    fn erle_over_time_and_time_to_threshold() {
        // Residual falls by 10 dB per frame of 100 samples at 1 kHz: 0, 10, 20, 30 dB.
        let d = vec![1.0; 400];
        let e: Vec<f64> = (0..400).map(|n| 10f64.powf(-((n / 100) as f64) / 2.0)).collect();
        let erle = erle_db_over_time(&d, &e, 100);
        for (i, &v) in erle.iter().enumerate() {
            assert_abs_diff_eq!(v, 10.0 * i as f64, epsilon = 1e-9);
        }
        // Frame 2 (samples 200..300) is at 20 dB up to rounding: reached at its end, 0.3 s.
        assert_abs_diff_eq!(time_to_erle_db(&erle, 100, 1000, 19.9).unwrap(), 0.3, epsilon = TOL);
        assert_abs_diff_eq!(time_to_erle_db(&erle, 100, 1000, 20.1).unwrap(), 0.4, epsilon = TOL);
        assert_eq!(time_to_erle_db(&erle, 100, 1000, 30.1), None);
        assert_abs_diff_eq!(steady_state_erle_db(&d, &e, 1000, 0.1), 30.0, epsilon = 1e-9);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(erle_db(&[0.0; 4], &[0.0; 4]), 0.0);
        assert_eq!(erle_db(&[1.0; 4], &[0.0; 4]), f64::INFINITY);
        assert_eq!(misalignment_db(&[1.0, 2.0], &[1.0, 2.0]), f64::NEG_INFINITY);
    }

    #[test]
    fn snr_and_improvement() {
        let s = signal(2000);
        // Noise of a third of the speech amplitude in, a thirtieth out.
        let noise: Vec<f64> = (0..2000).map(|k| if k % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let ps = energy(&s) / 2000.0;
        let input: Vec<f64> = s.iter().zip(&noise).map(|(s, n)| s + n * ps.sqrt() / 3.0).collect();
        let output: Vec<f64> =
            s.iter().zip(&noise).map(|(s, n)| s + n * ps.sqrt() / 30.0).collect();
        assert_abs_diff_eq!(snr_db(&s, &input), 20.0 * 3f64.log10(), epsilon = 1e-9);
        assert_abs_diff_eq!(snr_db(&s, &output), 20.0 * 30f64.log10(), epsilon = 1e-9);
        assert_abs_diff_eq!(snr_improvement_db(&s, &input, &output), 20.0, epsilon = 1e-9);
    }

    #[test]
    fn misalignment_known_values() {
        let h = [1.0, -0.5, 0.25, 0.0];
        let hh = energy(&h);
        // w = 0: 0 dB; w = 0.9 h: 20 dB below; w shorter: padded with zeros.
        assert_abs_diff_eq!(misalignment_db(&[0.0; 4], &h), 0.0, epsilon = TOL);
        let w: Vec<f64> = h.iter().map(|x| 0.9 * x).collect();
        assert_abs_diff_eq!(misalignment_db(&w, &h), -20.0, epsilon = 1e-9);
        assert_abs_diff_eq!(
            misalignment_db(&[1.0, -0.5], &h),
            10.0 * (0.0625 / hh).log10(),
            epsilon = TOL
        );
        assert_abs_diff_eq!(
            misalignment_db(&[1.0, -0.5, 0.25, 0.0, 0.1], &h),
            10.0 * (0.01 / hh).log10(),
            epsilon = TOL
        );
    }
}
