//! Synthetic room impulse responses: exponentially decaying Gaussian noise.
//!
//! The late part of a room's response is well modelled as white Gaussian noise under an
//! exponential envelope whose energy falls by 60 dB in the reverberation time RT60:
//!
//! ```text
//! h(k) = 0                                       for k < D
//! h(k) = c · g(k) · exp(−6.91 · (k − D) / (fs · RT60))   for D ≤ k < L
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | L | taps (length of the response) |
//! | D | direct-path delay in samples (0 by default) |
//! | fs | sample rate (Hz) |
//! | RT60 | reverberation time (s): the amplitude falls by 10^(−60/20) = e^(−6.91) in RT60 |
//! | g(k) | independent standard normal samples from `ChaCha8Rng::seed_from_u64(seed)` |
//! | c | the normalisation: the response has unit energy, Σ h(k)² = 1 |
//!
//! With unit energy, white noise through the room keeps its power; speech (coloured) roughly so.
//! The same seed gives the same response on every machine.

use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, StandardNormal};

use crate::{Error, Result};

/// ln(10³) = 6.9078: the amplitude decay exponent of 60 dB.
const DECAY_60_DB: f64 = 6.907_755_278_982_137;

/// A synthetic room response's settings; [`Room::impulse_response`] draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Room {
    /// The number of taps L (≥ 1).
    pub taps: usize,
    /// The reverberation time RT60 in seconds (> 0).
    pub rt60_s: f64,
    /// The sample rate in Hz (> 0).
    pub rate: u32,
    /// Leading zero taps before the direct sound, D < L.
    pub delay: usize,
    /// The seed of the Gaussian samples.
    pub seed: u64,
}

impl Room {
    /// The response h(0) … h(L−1) with unit energy (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero taps, a non-positive or non-finite RT60, a zero
    /// rate, or a delay of L taps or more.
    pub fn impulse_response(&self) -> Result<Vec<f64>> {
        if self.taps == 0 {
            return Err(Error::InvalidParameter { name: "taps", value: 0.0, valid: "at least 1" });
        }
        if !(self.rt60_s.is_finite() && self.rt60_s > 0.0) {
            return Err(Error::InvalidParameter {
                name: "rt60_s",
                value: self.rt60_s,
                valid: "a positive number of seconds",
            });
        }
        if self.rate == 0 {
            return Err(Error::InvalidParameter { name: "rate", value: 0.0, valid: "positive" });
        }
        if self.delay >= self.taps {
            return Err(Error::InvalidParameter {
                name: "delay",
                value: self.delay as f64,
                valid: "smaller than the number of taps",
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let per_tap = DECAY_60_DB / (f64::from(self.rate) * self.rt60_s);
        let mut h = vec![0.0; self.taps];
        for (k, tap) in h.iter_mut().enumerate().skip(self.delay) {
            let g: f64 = StandardNormal.sample(&mut rng);
            *tap = g * (-per_tap * (k - self.delay) as f64).exp();
        }
        let energy: f64 = h.iter().map(|x| x * x).sum();
        // A Gaussian draw of zeros everywhere has probability 0; guard anyway.
        if energy > 0.0 {
            let c = energy.sqrt().recip();
            h.iter_mut().for_each(|x| *x *= c);
        }
        Ok(h)
    }
}

/// A room response with no direct-path delay: [`Room`] `{ taps, rt60_s, rate, delay: 0, seed }`.
///
/// # Errors
/// As [`Room::impulse_response`].
pub fn room_impulse_response(taps: usize, rt60_s: f64, rate: u32, seed: u64) -> Result<Vec<f64>> {
    Room { taps, rt60_s, rate, delay: 0, seed }.impulse_response()
}

/// Estimates RT60 from a response by Schroeder backward integration: the energy decay curve
/// EDC(k) = Σ_{j≥k} h(j)² in dB, a least-squares line through its −5 dB … −25 dB part, and
/// RT60 = 60 dB / slope (the "T20" estimate). `None` when the curve never falls by 25 dB.
#[must_use]
pub fn schroeder_rt60_s(h: &[f64], rate: u32) -> Option<f64> {
    let mut edc = vec![0.0; h.len()];
    let mut acc = 0.0;
    for (k, x) in h.iter().enumerate().rev() {
        acc += x * x;
        edc[k] = acc;
    }
    let total = *edc.first()?;
    if total <= 0.0 || rate == 0 {
        return None;
    }
    let (mut n, mut st, mut sy, mut stt, mut sty) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut reached = false;
    for (k, &e) in edc.iter().enumerate() {
        let db = 10.0 * (e / total).log10();
        if db <= -25.0 {
            reached = true;
            break;
        }
        if db <= -5.0 {
            let t = k as f64 / f64::from(rate);
            n += 1.0;
            st += t;
            sy += db;
            stt += t * t;
            sty += t * db;
        }
    }
    let denominator = n * stt - st * st;
    if !reached || n < 2.0 || denominator <= 0.0 {
        return None;
    }
    let slope = (n * sty - st * sy) / denominator; // dB per second, negative
    (slope < 0.0).then(|| -60.0 / slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_energy_delay_and_seed() {
        let room = Room { taps: 512, rt60_s: 0.1, rate: 16_000, delay: 20, seed: 3 };
        let h = room.impulse_response().unwrap();
        assert_eq!(h.len(), 512);
        assert!(h[..20].iter().all(|&x| x == 0.0));
        assert!(h[20] != 0.0);
        let energy: f64 = h.iter().map(|x| x * x).sum();
        assert!((energy - 1.0).abs() < 1e-12, "{energy}");
        assert_eq!(h, room.impulse_response().unwrap(), "same seed, same response");
        assert_ne!(h, Room { seed: 4, ..room }.impulse_response().unwrap());
    }

    #[test]
    fn schroeder_estimates_rt60_within_10_percent() {
        for (rt60, seed) in [(0.2, 1), (0.3, 2), (0.5, 3), (0.05, 4)] {
            // Long enough to hold 90 dB of decay so the truncation does not bend the EDC.
            let taps = (1.5 * rt60 * 16_000.0) as usize;
            let h = room_impulse_response(taps, rt60, 16_000, seed).unwrap();
            let estimate = schroeder_rt60_s(&h, 16_000).unwrap();
            assert!((estimate / rt60 - 1.0).abs() < 0.10, "RT60 {rt60}: estimated {estimate}");
        }
    }

    #[test]
    fn invalid_settings_are_errors() {
        assert!(room_impulse_response(0, 0.1, 16_000, 0).is_err());
        assert!(room_impulse_response(10, 0.0, 16_000, 0).is_err());
        assert!(room_impulse_response(10, f64::NAN, 16_000, 0).is_err());
        assert!(room_impulse_response(10, 0.1, 0, 0).is_err());
        let room = Room { taps: 10, rt60_s: 0.1, rate: 16_000, delay: 10, seed: 0 };
        assert!(room.impulse_response().is_err());
    }
}
