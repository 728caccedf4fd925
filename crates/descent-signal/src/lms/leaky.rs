//! Leaky LMS: LMS with a weight decay that keeps the weights bounded.
//!
//! ```text
//! y(n)   = w(n)ᵀ x(n)
//! e(n)   = d(n) − y(n)
//! w(n+1) = (1 − μγ) · w(n) + μ · e(n) · x(n)
//! ```
//!
//! the LMS step on the regularised cost E\[e²\]/2 + γ‖w‖²/2.
//!
//! | symbol | meaning |
//! |---|---|
//! | μ | step size (`mu`), > 0 |
//! | γ | leak (`leak`), ≥ 0, with μγ < 1; γ = 0 is plain LMS |
//! | R, p | E[x xᵀ], E[d x] |
//!
//! **Where it converges.** In the mean to the shrunk Wiener solution w∞ = (R + γI)⁻¹ p instead
//! of R⁻¹p: a bias, traded for robustness when R is singular or nearly so (a narrowband input
//! lets plain LMS weights wander in the unexcited directions; the leak pulls them back to 0).
//!
//! **Stability.** 0 < μ < 2/(λ_max + γ) in the mean; in practice μ·(tr R + Lγ) ≪ 1.
//!
//! **Misadjustment.** The fluctuation part is as LMS's, ≈ μ·tr(R)/2 for small μγ; the bias adds
//! a deterministic excess error (w∞ − w_o)ᵀR(w∞ − w_o) = γ²·w_oᵀ(R + γI)⁻¹R(R + γI)⁻¹w_o,
//! with w_o = R⁻¹p the Wiener solution (Sayed, ch. 13).
//!
//! References: Haykin, *Adaptive Filter Theory* (2014), §6 (leaky LMS); Sayed, *Fundamentals of
//! Adaptive Filtering* (2003), ch. 13; R. D. Gitlin, H. C. Meadors, S. B. Weinstein (1982),
//! "The tap-leakage algorithm", Bell System Technical Journal 61(8).

use super::kernels::axpby;
use super::{History, Isa, check_positive, check_taps, copy_weights, dot, run_samples};
use crate::{AdaptiveFilter, Error, Result, SampleFilter};

/// Leaky LMS: w ← (1 − μγ)·w + μ·e·x; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct LeakyLms {
    mu: f64,
    leak: f64,
    w: Vec<f64>,
    x: History,
    adapting: bool,
    isa: Isa,
}

impl LeakyLms {
    /// A leaky LMS filter of `taps` taps, step size `mu` and leak γ = `leak`, weights zero.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `taps` is 0, `mu` is not finite and positive, or `leak`
    /// is negative, not finite, or makes μγ ≥ 1.
    pub fn new(taps: usize, mu: f64, leak: f64) -> Result<Self> {
        check_taps(taps)?;
        check_positive("mu", mu)?;
        if !(leak >= 0.0 && mu * leak < 1.0) {
            return Err(Error::InvalidParameter {
                name: "leak",
                value: leak,
                valid: "≥ 0 with mu·leak < 1",
            });
        }
        Ok(Self {
            mu,
            leak,
            w: vec![0.0; taps],
            x: History::new(taps),
            adapting: true,
            isa: Isa::detect(),
        })
    }

    /// The leak γ.
    pub fn leak(&self) -> f64 {
        self.leak
    }
}

impl SampleFilter for LeakyLms {
    #[inline]
    fn process_sample(&mut self, reference: f64, desired: f64) -> (f64, f64) {
        self.x.push(reference);
        let x = self.x.slice();
        let y = dot(self.isa, &self.w, x);
        let e = desired - y;
        if self.adapting {
            axpby(self.isa, &mut self.w, 1.0 - self.mu * self.leak, self.mu * e, x);
        }
        (y, e)
    }
}

impl AdaptiveFilter for LeakyLms {
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
    }
}
