//! Sign LMS variants: the LMS step with the error, the data or both replaced by their signs.
//!
//! ```text
//! y(n) = w(n)ᵀ x(n),   e(n) = d(n) − y(n)
//! sign-error:  w(n+1) = w(n) + μ · sgn(e(n)) · x(n)
//! sign-data:   w(n+1) = w(n) + μ · e(n) · sgn(x(n))        (sgn element-wise)
//! sign-sign:   w(n+1) = w(n) + μ · sgn(e(n)) · sgn(x(n))
//! ```
//!
//! with sgn(0) = 0. Born for hardware without multipliers (sign-sign is in the CCITT G.721
//! ADPCM codec); here mostly for comparison.
//!
//! | symbol | meaning |
//! |---|---|
//! | μ | step size (`mu`), > 0 |
//! | sgn | the sign function, −1, 0 or +1 |
//!
//! **Stability and misadjustment.** Sign-error LMS descends E|e| (least mean absolute error):
//! its step never exceeds μ‖x‖, so it is stable for any μ > 0, converges more slowly than LMS,
//! and in steady state hovers with EMSE ≈ μ·tr(R)·√(π/2)·σ_v/2 for Gaussian noise of standard
//! deviation σ_v (Sayed, ch. 12): M ∝ μ/σ_v. Sign-data LMS has the LMS stability range scaled by
//! E|x|/σ_x² and can diverge on some coloured inputs (its mean update matrix need not be
//! positive definite); on Gaussian input it behaves as LMS with μ·√(2/π)/σ_x. Sign-sign LMS
//! moves every weight by exactly ±μ (or 0): stable, slow, with a steady-state jitter ∝ μ.
//!
//! References: Sayed, *Fundamentals of Adaptive Filtering* (2003), ch. 12; Haykin, *Adaptive
//! Filter Theory* (2014), §6; A. Gersho (1984), "Adaptive filtering with binary reinforcement",
//! IEEE Trans. Information Theory 30(2).

use super::kernels::{axpy_sign, sign};
use super::{History, Isa, axpy, check_positive, check_taps, copy_weights, dot, run_samples};
use crate::{AdaptiveFilter, Result, SampleFilter};

/// Which factor of the LMS step is replaced by its sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignKind {
    /// w ← w + μ·sgn(e)·x.
    SignError,
    /// w ← w + μ·e·sgn(x).
    SignData,
    /// w ← w + μ·sgn(e)·sgn(x).
    SignSign,
}

/// LMS with signs; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct SignLms {
    mu: f64,
    kind: SignKind,
    w: Vec<f64>,
    x: History,
    adapting: bool,
    isa: Isa,
}

impl SignLms {
    /// A sign LMS filter of `taps` taps, step size `mu` and variant `kind`, weights zero.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] when `taps` is 0 or `mu` is not finite and positive.
    pub fn new(taps: usize, mu: f64, kind: SignKind) -> Result<Self> {
        check_taps(taps)?;
        check_positive("mu", mu)?;
        Ok(Self {
            mu,
            kind,
            w: vec![0.0; taps],
            x: History::new(taps),
            adapting: true,
            isa: Isa::detect(),
        })
    }

    /// The variant.
    pub fn kind(&self) -> SignKind {
        self.kind
    }
}

impl SampleFilter for SignLms {
    #[inline]
    fn process_sample(&mut self, reference: f64, desired: f64) -> (f64, f64) {
        self.x.push(reference);
        let x = self.x.slice();
        let y = dot(self.isa, &self.w, x);
        let e = desired - y;
        if self.adapting {
            match self.kind {
                SignKind::SignError => axpy(self.isa, &mut self.w, self.mu * sign(e), x),
                SignKind::SignData => axpy_sign(self.isa, &mut self.w, self.mu * e, x),
                SignKind::SignSign => axpy_sign(self.isa, &mut self.w, self.mu * sign(e), x),
            }
        }
        (y, e)
    }
}

impl AdaptiveFilter for SignLms {
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
