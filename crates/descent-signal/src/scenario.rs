//! The two set-ups of the crate, echo cancellation and two-microphone noise cancellation, and
//! [`cancel_echo`], which runs a filter on the first with an optional double-talk detector.
//!
//! **Echo cancellation** ([`EchoScenario`]): the far-end talker x plays from a loudspeaker; the
//! microphone hears it through the room, plus the near-end talker v and noise u:
//!
//! ```text
//! d(n) = (h ∗ x)(n) + v(n) + u(n)        microphone = echo + near end + noise
//! ```
//!
//! The filter takes x as reference and d as desired signal; its error e ≈ v + u is what is sent
//! back to the far end. Defaults ([`EchoScenario::builder`]):
//!
//! | setting | default | why |
//! |---|---|---|
//! | far end x | the shipped speech ([`crate::speech`]), 16 kHz, 7.1 s | real speech |
//! | room h | [`Room`] of 256 taps, RT60 = 50 ms, no delay, seed 1, scaled by −10 dB | 256 taps decaying by 19 dB; a 10 dB echo loss keeps the echo's peaks under the Geigel default T = 0.5 times the far end's |
//! | noise u | white Gaussian, seed 2, power 30 dB below the echo's (mean square over the whole signal) | |
//! | near end v | silence | a pure echo set-up, for ERLE |
//! | double talk | off; [`EchoBuilder::double_talk`] puts a near-end talker in [start, start + length) | |
//!
//! The near-end talker of a double-talk segment is the shipped speech read 3.5 s further on
//! (cyclically), i.e. another stretch of the same voice, scaled to a chosen level relative to the
//! echo (default 0 dB: as loud as the echo). Everywhere else v = 0.
//!
//! **Noise cancellation** ([`NoiseScenario`]): a primary microphone hears the speech s and the
//! noise u through an unknown path p; a reference microphone hears only the noise:
//!
//! ```text
//! primary(n)   = s(n) + (p ∗ u)(n)
//! reference(n) = u(n)
//! ```
//!
//! The filter takes u as reference and the primary as desired signal; its error e ≈ s. Defaults
//! ([`NoiseScenario::builder`]): s = the shipped speech; p = a [`Room`] of 64 taps with RT60 = 4 ms
//! (a short decaying path), seed 3; u white Gaussian (or coloured, AR(1)), seed 4; the noise in
//! the primary as loud as the speech (input SNR 0 dB, mean squares over the whole signal).
//!
//! # Example
//!
//! ```
//! use descent_signal::metrics::steady_state_erle_db;
//! use descent_signal::{EchoScenario, Geigel, Nlms, cancel_echo};
//!
//! let s = EchoScenario::builder().double_talk(4.0, 1.0).build()?;
//! let mut filter = Nlms::new(256, 0.2, 0.1)?;
//! let mut detector = Geigel::default();
//! let (_echo_estimate, residual) =
//!     cancel_echo(&mut filter, &s.far_end, &s.microphone, Some(&mut detector))?;
//! // The last 2 s hold no double talk: the echo is cancelled down to near the noise.
//! assert!(steady_state_erle_db(&s.microphone, &residual, s.rate, 2.0) > 20.0);
//! # Ok::<(), descent_signal::Error>(())
//! ```

use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, StandardNormal};

use crate::audio::speech;
use crate::dtd::Geigel;
use crate::room::Room;
use crate::{AdaptiveFilter, Error, Result};

/// Mean square of a signal (0 for an empty one).
fn power(x: &[f64]) -> f64 {
    if x.is_empty() { 0.0 } else { x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64 }
}

/// (h ∗ x)(n) for n < x.len(): the first x.len() samples of the full convolution.
#[must_use]
pub fn convolve(h: &[f64], x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for (n, out) in y.iter_mut().enumerate() {
        let kmax = h.len().min(n + 1);
        *out = h[..kmax].iter().enumerate().map(|(k, hk)| hk * x[n - k]).sum();
    }
    y
}

/// `n` samples of seeded white Gaussian noise with unit variance.
fn white(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// Scales `x` so that its mean square is `target` (leaves an all-zero signal alone).
fn scale_to_power(x: &mut [f64], target: f64) {
    let p = power(x);
    if p > 0.0 {
        let c = (target / p).sqrt();
        x.iter_mut().for_each(|v| *v *= c);
    }
}

fn check_level(name: &'static str, db: f64) -> Result<()> {
    if db.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter { name, value: db, valid: "a finite number of dB" })
    }
}

fn check_signal(what: &'static str, x: &[f64]) -> Result<()> {
    if x.is_empty() {
        return Err(Error::LengthMismatch { what, expected: 1, got: 0 });
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite { what, index, value });
    }
    Ok(())
}

/// An echo-cancellation set-up: all signals have one length and one rate; see the
/// [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct EchoScenario {
    /// The far-end signal x (the filter's reference).
    pub far_end: Vec<f64>,
    /// The microphone d = echo + near_end + noise (the filter's desired signal).
    pub microphone: Vec<f64>,
    /// The near-end talker v (zero outside the double-talk segment).
    pub near_end: Vec<f64>,
    /// The echo h ∗ x.
    pub echo: Vec<f64>,
    /// The noise u.
    pub noise: Vec<f64>,
    /// The echo path h, gain included (the weights a perfect canceller converges to).
    pub room: Vec<f64>,
    /// The sample rate in Hz.
    pub rate: u32,
}

impl EchoScenario {
    /// A builder with the documented defaults.
    #[must_use]
    pub fn builder() -> EchoBuilder {
        EchoBuilder::default()
    }
}

/// Builds an [`EchoScenario`]; every setting has a seeded default (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct EchoBuilder {
    far_end: Option<(Vec<f64>, u32)>,
    room_taps: usize,
    rt60_s: f64,
    room_delay: usize,
    room_seed: u64,
    echo_gain_db: f64,
    noise_below_echo_db: f64,
    noise_seed: u64,
    double_talk: Option<(f64, f64)>,
    near_end_db: f64,
}

impl Default for EchoBuilder {
    fn default() -> Self {
        Self {
            far_end: None,
            room_taps: 256,
            rt60_s: 0.05,
            room_delay: 0,
            room_seed: 1,
            echo_gain_db: -10.0,
            noise_below_echo_db: 30.0,
            noise_seed: 2,
            double_talk: None,
            near_end_db: 0.0,
        }
    }
}

impl EchoBuilder {
    /// The far-end signal and its rate (default: the shipped speech at 16 kHz).
    #[must_use]
    pub fn far_end(mut self, samples: Vec<f64>, rate: u32) -> Self {
        self.far_end = Some((samples, rate));
        self
    }

    /// The room: taps, RT60 in seconds, direct-path delay in samples, seed (default 256, 0.05,
    /// 0, 1).
    #[must_use]
    pub fn room(mut self, taps: usize, rt60_s: f64, delay: usize, seed: u64) -> Self {
        self.room_taps = taps;
        self.rt60_s = rt60_s;
        self.room_delay = delay;
        self.room_seed = seed;
        self
    }

    /// The echo path's gain in dB applied to the unit-energy room response (default −10 dB).
    #[must_use]
    pub fn echo_gain_db(mut self, db: f64) -> Self {
        self.echo_gain_db = db;
        self
    }

    /// The noise power in dB below the echo power (default 30 dB) and its seed (default 2).
    #[must_use]
    pub fn noise_below_echo_db(mut self, db: f64, seed: u64) -> Self {
        self.noise_below_echo_db = db;
        self.noise_seed = seed;
        self
    }

    /// A near-end talker in [start_s, start_s + length_s) (default: none).
    #[must_use]
    pub fn double_talk(mut self, start_s: f64, length_s: f64) -> Self {
        self.double_talk = Some((start_s, length_s));
        self
    }

    /// The near-end talker's power in dB relative to the echo's (over the segment against the
    /// whole-signal echo power; default 0 dB).
    #[must_use]
    pub fn near_end_db(mut self, db: f64) -> Self {
        self.near_end_db = db;
        self
    }

    /// Builds the set-up.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid room (see [`Room::impulse_response`]), a
    /// non-finite level, a zero rate, or a double-talk segment outside the signal;
    /// [`Error::NonFinite`] or [`Error::LengthMismatch`] (empty) for a bad far-end signal.
    pub fn build(self) -> Result<EchoScenario> {
        let (far_end, rate) = match self.far_end {
            Some(far) => far,
            None => {
                let s = speech();
                (s.samples, s.rate)
            }
        };
        check_signal("far end", &far_end)?;
        check_level("echo_gain_db", self.echo_gain_db)?;
        check_level("noise_below_echo_db", self.noise_below_echo_db)?;
        check_level("near_end_db", self.near_end_db)?;
        let room = Room {
            taps: self.room_taps,
            rt60_s: self.rt60_s,
            rate,
            delay: self.room_delay,
            seed: self.room_seed,
        };
        let gain = 10f64.powf(self.echo_gain_db / 20.0);
        let h: Vec<f64> = room.impulse_response()?.into_iter().map(|v| v * gain).collect();
        let n = far_end.len();
        let echo = convolve(&h, &far_end);
        let echo_power = power(&echo);
        let mut noise = white(n, self.noise_seed);
        scale_to_power(&mut noise, echo_power * 10f64.powf(-self.noise_below_echo_db / 10.0));
        let mut near_end = vec![0.0; n];
        if let Some((start_s, length_s)) = self.double_talk {
            let fs = f64::from(rate);
            let valid =
                start_s.is_finite() && length_s.is_finite() && start_s >= 0.0 && length_s > 0.0;
            let (start, end) =
                ((start_s * fs).round() as usize, ((start_s + length_s) * fs).round() as usize);
            if !valid || end > n || start >= end {
                return Err(Error::InvalidParameter {
                    name: "double-talk segment start (s)",
                    value: start_s,
                    valid: "a segment [start, start + length) inside the signal",
                });
            }
            let talker = speech();
            let shift = (3.5 * f64::from(talker.rate)) as usize;
            let talker = talker.samples;
            for (i, v) in near_end[start..end].iter_mut().enumerate() {
                *v = talker[(start + i + shift) % talker.len()];
            }
            scale_to_power(
                &mut near_end[start..end],
                echo_power * 10f64.powf(self.near_end_db / 10.0),
            );
        }
        let microphone = (0..n).map(|i| echo[i] + near_end[i] + noise[i]).collect();
        Ok(EchoScenario { far_end, microphone, near_end, echo, noise, room: h, rate })
    }
}

/// The colour of the noise in a [`NoiseScenario`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoiseColour {
    /// White Gaussian noise.
    White,
    /// First-order autoregressive noise u(n) = a·u(n−1) + g(n) with |a| < 1 (a = 0.9: low-pass).
    Ar1(f64),
}

/// A two-microphone noise-cancellation set-up: all signals have one length and one rate; see
/// the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseScenario {
    /// The primary microphone: speech + noise through the path (the filter's desired signal).
    pub primary: Vec<f64>,
    /// The reference microphone: the noise u (the filter's reference).
    pub reference: Vec<f64>,
    /// The clean speech s.
    pub speech: Vec<f64>,
    /// The noise as the primary microphone hears it, p ∗ u.
    pub noise_in_primary: Vec<f64>,
    /// The unknown path p from the noise source to the primary microphone.
    pub path: Vec<f64>,
    /// The sample rate in Hz.
    pub rate: u32,
}

impl NoiseScenario {
    /// A builder with the documented defaults.
    #[must_use]
    pub fn builder() -> NoiseBuilder {
        NoiseBuilder::default()
    }
}

/// Builds a [`NoiseScenario`]; every setting has a seeded default (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct NoiseBuilder {
    speech: Option<(Vec<f64>, u32)>,
    path_taps: usize,
    path_rt60_s: f64,
    path_seed: u64,
    colour: NoiseColour,
    noise_seed: u64,
    input_snr_db: f64,
}

impl Default for NoiseBuilder {
    fn default() -> Self {
        Self {
            speech: None,
            path_taps: 64,
            path_rt60_s: 0.004,
            path_seed: 3,
            colour: NoiseColour::White,
            noise_seed: 4,
            input_snr_db: 0.0,
        }
    }
}

impl NoiseBuilder {
    /// The clean speech and its rate (default: the shipped speech at 16 kHz).
    #[must_use]
    pub fn speech(mut self, samples: Vec<f64>, rate: u32) -> Self {
        self.speech = Some((samples, rate));
        self
    }

    /// The noise path: taps, RT60 in seconds, seed (default 64, 0.004, 3).
    #[must_use]
    pub fn path(mut self, taps: usize, rt60_s: f64, seed: u64) -> Self {
        self.path_taps = taps;
        self.path_rt60_s = rt60_s;
        self.path_seed = seed;
        self
    }

    /// The noise's colour and seed (default white, 4).
    #[must_use]
    pub fn noise(mut self, colour: NoiseColour, seed: u64) -> Self {
        self.colour = colour;
        self.noise_seed = seed;
        self
    }

    /// The SNR of the primary microphone in dB: speech power over the power of the noise in
    /// it (default 0 dB).
    #[must_use]
    pub fn input_snr_db(mut self, db: f64) -> Self {
        self.input_snr_db = db;
        self
    }

    /// Builds the set-up.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid path (see [`Room::impulse_response`]), an AR
    /// coefficient outside (−1, 1) or a non-finite SNR; [`Error::NonFinite`] or
    /// [`Error::LengthMismatch`] (empty) for bad speech.
    pub fn build(self) -> Result<NoiseScenario> {
        let (speech, rate) = match self.speech {
            Some(s) => s,
            None => {
                let s = speech();
                (s.samples, s.rate)
            }
        };
        check_signal("speech", &speech)?;
        check_level("input_snr_db", self.input_snr_db)?;
        let path = Room {
            taps: self.path_taps,
            rt60_s: self.path_rt60_s,
            rate,
            delay: 0,
            seed: self.path_seed,
        }
        .impulse_response()?;
        let n = speech.len();
        let mut reference = white(n, self.noise_seed);
        if let NoiseColour::Ar1(a) = self.colour {
            if !(a.is_finite() && a.abs() < 1.0) {
                return Err(Error::InvalidParameter {
                    name: "AR(1) coefficient",
                    value: a,
                    valid: "in (−1, 1)",
                });
            }
            for i in 1..n {
                reference[i] += a * reference[i - 1];
            }
        }
        let mut noise_in_primary = convolve(&path, &reference);
        let target = power(&speech) * 10f64.powf(-self.input_snr_db / 10.0);
        let p = power(&noise_in_primary);
        if p > 0.0 {
            // Scale the source, so that reference and primary noise stay related by p.
            let c = (target / p).sqrt();
            reference.iter_mut().for_each(|v| *v *= c);
            noise_in_primary.iter_mut().for_each(|v| *v *= c);
        }
        let primary = speech.iter().zip(&noise_in_primary).map(|(s, u)| s + u).collect();
        Ok(NoiseScenario { primary, reference, speech, noise_in_primary, path, rate })
    }
}

/// Block length of [`cancel_echo`]: adaptation is frozen or resumed for whole blocks.
pub const CANCEL_BLOCK: usize = 64;

/// Runs an echo canceller: the filter takes the far end as reference and the microphone as
/// desired signal; returns `(output, error)`, the echo estimate and the residual sent back.
///
/// Without a detector this is [`AdaptiveFilter::process`]. With one, the signal is processed in
/// blocks of [`CANCEL_BLOCK`] samples (the last may be shorter); the detector sees every sample
/// (far end, microphone), and adaptation is frozen for a block in which it flags double talk at
/// any sample, resumed otherwise. The filter's adapting state is restored at the end. Blocks of
/// 64 samples suit the sample-by-sample filters and a frequency-domain filter whose block size
/// divides 64.
///
/// # Errors
/// [`Error::LengthMismatch`] when the signals differ in length; the filter's errors.
pub fn cancel_echo<F: AdaptiveFilter + ?Sized>(
    filter: &mut F,
    far_end: &[f64],
    microphone: &[f64],
    dtd: Option<&mut Geigel>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    if far_end.len() != microphone.len() {
        return Err(Error::LengthMismatch {
            what: "microphone",
            expected: far_end.len(),
            got: microphone.len(),
        });
    }
    let Some(dtd) = dtd else {
        return filter.process(far_end, microphone);
    };
    let was_adapting = filter.is_adapting();
    let n = far_end.len();
    let mut output = vec![0.0; n];
    let mut error = vec![0.0; n];
    let mut start = 0;
    let result = (|| {
        while start < n {
            let end = (start + CANCEL_BLOCK).min(n);
            let mut double_talk = false;
            for i in start..end {
                double_talk |= dtd.detect(far_end[i], microphone[i]);
            }
            filter.set_adapting(was_adapting && !double_talk);
            filter.process_into(
                &far_end[start..end],
                &microphone[start..end],
                &mut output[start..end],
                &mut error[start..end],
            )?;
            start = end;
        }
        Ok(())
    })();
    filter.set_adapting(was_adapting);
    result.map(|()| (output, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convolve_matches_hand_computation() {
        let y = convolve(&[1.0, 0.5, -0.25], &[1.0, 2.0, 0.0, -1.0]);
        assert_eq!(y, [1.0, 2.5, 0.75, -1.5]);
    }
}
