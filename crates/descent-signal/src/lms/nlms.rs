//! The normalised LMS filter: the LMS step divided by the input energy.
//!
//! ```text
//! y(n)   = w(n)ᵀ x(n)
//! e(n)   = d(n) − y(n)
//! w(n+1) = w(n) + μ · e(n) · x(n) / (ε + x(n)ᵀ x(n))
//! ```
//!
//! This is exactly padasip's `FilterNLMS` rule (ε added to the energy, not to its square root).
//!
//! | symbol | meaning |
//! |---|---|
//! | μ | normalised step size (`mu`), 0 < μ < 2 |
//! | ε | regularisation (`eps`), > 0: keeps the step finite when x(n) is (nearly) all zeros |
//! | x(n)ᵀx(n) | the energy of the last L reference samples |
//!
//! **Stability.** Mean-square stable for 0 < μ < 2, whatever the input power (the division makes
//! the step scale-free); μ = 1 makes the a posteriori error zero (for ε → 0) and converges
//! fastest on white input.
//!
//! **Misadjustment.** M ≈ μ/(2 − μ) for white input and L large (Haykin, §7; Sayed, ch. 16):
//! independent of the input power, unlike LMS. For small L the fluctuation of xᵀx adds a factor
//! near E[1/xᵀx]·tr R = L/(L − 2) for Gaussian input.
//!
//! **The energy.** xᵀx is kept up to date in O(1) per sample, adding x(n)² and subtracting the
//! sample that leaves the window, x(n−L)². Rounding in that running sum drifts, so it is
//! recomputed exactly (one dot product) every L samples: the drift stays bounded by the rounding
//! of L updates, and the O(1) cost per sample becomes O(1) + O(L)/L. It is clamped at 0 (after
//! a loud passage followed by silence the running value can round below zero).
//!
//! References: Haykin, *Adaptive Filter Theory* (2014), ch. 7; Sayed, *Fundamentals of Adaptive
//! Filtering* (2003), ch. 5 and 16; J. Nagumo, A. Noda (1967), "A learning method for system
//! identification", IEEE Trans. Automatic Control 12(3).

use super::{History, Isa, axpy, check_positive, check_taps, copy_weights, dot, run_samples};
use crate::{AdaptiveFilter, Error, Result, SampleFilter};

/// The normalised LMS filter: w ← w + μ·e·x/(ε + xᵀx); see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Nlms {
    mu: f64,
    eps: f64,
    w: Vec<f64>,
    x: History,
    /// x(n)ᵀx(n), updated in O(1), recomputed exactly when `since_exact` reaches L.
    energy: f64,
    since_exact: usize,
    adapting: bool,
    isa: Isa,
}

impl Nlms {
    /// An NLMS filter of `taps` taps, step size `mu` and regularisation `eps`, weights zero.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `taps` is 0, `mu` is not in (0, 2) or `eps` is not
    /// finite and positive.
    pub fn new(taps: usize, mu: f64, eps: f64) -> Result<Self> {
        check_taps(taps)?;
        if !(mu > 0.0 && mu < 2.0) {
            return Err(Error::InvalidParameter { name: "mu", value: mu, valid: "in (0, 2)" });
        }
        check_positive("eps", eps)?;
        Ok(Self {
            mu,
            eps,
            w: vec![0.0; taps],
            x: History::new(taps),
            energy: 0.0,
            since_exact: 0,
            adapting: true,
            isa: Isa::detect(),
        })
    }

    /// The step size μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }
}

impl SampleFilter for Nlms {
    #[inline]
    fn process_sample(&mut self, reference: f64, desired: f64) -> (f64, f64) {
        let old = self.x.push(reference);
        let x = self.x.slice();
        self.since_exact += 1;
        if self.since_exact >= self.w.len() {
            self.energy = dot(self.isa, x, x);
            self.since_exact = 0;
        } else {
            self.energy = (self.energy + reference * reference - old * old).max(0.0);
        }
        let y = dot(self.isa, &self.w, x);
        let e = desired - y;
        if self.adapting {
            axpy(self.isa, &mut self.w, self.mu * e / (self.eps + self.energy), x);
        }
        (y, e)
    }
}

impl AdaptiveFilter for Nlms {
    fn taps(&self) -> usize {
        self.w.len()
    }
    fn weights_into(&self, out: &mut [f64]) -> Result<()> {
        copy_weights(&self.w, out)
    }
    fn process_into(
        &mut self,
        reference: &[f64],
        desired: &[f64],
        output: &mut [f64],
        error: &mut [f64],
    ) -> Result<()> {
        run_samples(self, reference, desired, output, error)
    }
    fn set_adapting(&mut self, adapting: bool) {
        self.adapting = adapting;
    }
    fn is_adapting(&self) -> bool {
        self.adapting
    }
    fn reset(&mut self) {
        self.w.fill(0.0);
        self.x.reset();
        self.energy = 0.0;
        self.since_exact = 0;
    }
}
