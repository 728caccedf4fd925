//! Double-talk detection: the Geigel detector.
//!
//! An echo canceller must stop adapting while the near-end speaker talks ("double talk"):
//! the near-end voice is not explained by the far-end signal, and adapting on it drives the
//! filter away from the room response. Geigel's detector (Duttweiler 1978) compares the
//! microphone sample with the recent far-end peak:
//!
//! ```text
//! double talk at n  ⇔  |d(n)| ≥ T · max_{0≤k<W} |x(n−k)|
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | d(n) | microphone sample |
//! | x(n) | far-end (loudspeaker) sample |
//! | T | threshold: the largest echo-path gain the detector tolerates without a false alarm |
//! | W | window in samples, at least the echo path's length |
//!
//! Once triggered, the detector keeps reporting double talk for a hangover of H samples after
//! the last trigger, so adaptation does not resume in the pauses between syllables.
//!
//! Defaults ([`Geigel::default`]): T = 0.5 (the classic value for line echo with a hybrid loss of
//! at least 6 dB; an acoustic path with more gain needs a larger T), W = 256 samples (16 ms at
//! 16 kHz, the echo scenario's room length), H = 480 samples (30 ms at 16 kHz).
//!
//! Note that with a silent far end the right-hand side is 0, so every sample counts as double
//! talk: adaptation is frozen when there is nothing to learn from, which is harmless.
//!
//! Reference: D. L. Duttweiler, "A twelve-channel digital echo canceler", IEEE Trans. Commun.
//! 26(5), 1978.

use std::collections::VecDeque;

use crate::{Error, Result};

/// The Geigel double-talk detector; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Geigel {
    threshold: f64,
    window: usize,
    hangover: usize,
    /// Time index of the next sample.
    n: usize,
    /// (time, |x|) with decreasing |x|: the front is the window's maximum (a monotonic queue).
    peaks: VecDeque<(usize, f64)>,
    /// Samples of hangover left.
    hold: usize,
}

impl Default for Geigel {
    /// T = 0.5, W = 256, H = 480 (see the [module docs](self)).
    fn default() -> Self {
        Self::new(0.5, 256, 480).expect("valid defaults")
    }
}

impl Geigel {
    /// A detector with threshold T, a window of W far-end samples and a hangover of H samples.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when T is not finite and positive or W is 0.
    pub fn new(threshold: f64, window: usize, hangover: usize) -> Result<Self> {
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(Error::InvalidParameter {
                name: "threshold",
                value: threshold,
                valid: "finite and positive (0.5 for a 6 dB echo loss)",
            });
        }
        if window == 0 {
            return Err(Error::InvalidParameter {
                name: "window",
                value: 0.0,
                valid: "at least 1 sample",
            });
        }
        Ok(Self {
            threshold,
            window,
            hangover,
            n: 0,
            peaks: VecDeque::with_capacity(window + 1),
            hold: 0,
        })
    }

    /// Takes the next far-end sample x(n) and microphone sample d(n); returns whether double
    /// talk is declared at n (a trigger now or within the last H samples).
    pub fn detect(&mut self, far: f64, mic: f64) -> bool {
        let a = far.abs();
        while self.peaks.back().is_some_and(|&(_, p)| p <= a) {
            self.peaks.pop_back();
        }
        self.peaks.push_back((self.n, a));
        while self.peaks.front().is_some_and(|&(t, _)| t + self.window <= self.n) {
            self.peaks.pop_front();
        }
        self.n += 1;
        let peak = self.peaks.front().map_or(0.0, |&(_, p)| p);
        if mic.abs() >= self.threshold * peak {
            self.hold = self.hangover;
            true
        } else if self.hold > 0 {
            self.hold -= 1;
            true
        } else {
            false
        }
    }

    /// Back to the state after construction.
    pub fn reset(&mut self) {
        self.n = 0;
        self.peaks.clear();
        self.hold = 0;
    }

    /// The threshold T.
    #[must_use]
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The window W in samples.
    #[must_use]
    pub fn window(&self) -> usize {
        self.window
    }

    /// The hangover H in samples.
    #[must_use]
    pub fn hangover(&self) -> usize {
        self.hangover
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, computed naively.
    fn naive(far: &[f64], mic: &[f64], t: f64, w: usize, h: usize) -> Vec<bool> {
        let mut hold = 0;
        (0..far.len())
            .map(|n| {
                let peak =
                    far[n.saturating_sub(w - 1)..=n].iter().fold(0.0_f64, |m, x| m.max(x.abs()));
                if mic[n].abs() >= t * peak {
                    hold = h;
                    true
                } else if hold > 0 {
                    hold -= 1;
                    true
                } else {
                    false
                }
            })
            .collect()
    }

    #[test]
    fn matches_the_naive_definition() {
        let far: Vec<f64> =
            (0..2000).map(|n| ((n as f64) * 0.37).sin() * (1.0 + (n % 97) as f64 / 50.0)).collect();
        let mic: Vec<f64> = (0..2000)
            .map(|n| 0.4 * ((n as f64) * 0.11).cos() * (1.0 + (n % 301) as f64 / 100.0))
            .collect();
        for (t, w, h) in [(0.5, 1, 0), (0.5, 16, 5), (0.3, 64, 40), (1.0, 300, 0)] {
            let mut g = Geigel::new(t, w, h).unwrap();
            let fast: Vec<bool> = far.iter().zip(&mic).map(|(&x, &d)| g.detect(x, d)).collect();
            assert_eq!(fast, naive(&far, &mic, t, w, h), "T {t} W {w} H {h}");
        }
    }

    #[test]
    fn hangover_holds_for_exactly_h_samples() {
        let mut g = Geigel::new(0.5, 4, 3).unwrap();
        let far = [1.0; 10];
        let mic = [0.1, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        let flags: Vec<bool> = far.iter().zip(&mic).map(|(&x, &d)| g.detect(x, d)).collect();
        assert_eq!(flags, [false, true, true, true, true, false, false, false, false, false]);
    }

    #[test]
    fn invalid_settings_are_errors() {
        assert!(Geigel::new(0.0, 10, 0).is_err());
        assert!(Geigel::new(f64::NAN, 10, 0).is_err());
        assert!(Geigel::new(0.5, 0, 0).is_err());
    }
}
