//! The LMS family: least-mean-squares filters that descend the instantaneous squared error.
//!
//! Widrow and Hoff's LMS replaces the gradient of the mean squared error E\[e²\] by its one-sample
//! estimate −2e(n)·x(n) and takes a small step against it. The variants here change how that
//! step is scaled or quantised; all share the conventions of [`crate::filter`]
//! (x(n) = [x(n), …, x(n−L+1)]ᵀ, y = wᵀx, e = d − y) and adapt once per sample.
//!
//! | type | update | stable for | misadjustment M (white input) |
//! |---|---|---|---|
//! | [`Lms`] | w ← w + μ·e·x | 0 < μ < 2/λ_max (in practice 2/tr R) | ≈ μ·tr(R)/2 |
//! | [`Nlms`] | w ← w + μ·e·x / (ε + xᵀx) | 0 < μ < 2 | ≈ μ/(2 − μ) |
//! | [`LeakyLms`] | w ← (1 − μγ)·w + μ·e·x | as LMS | biased: w → (R + γI)⁻¹p |
//! | [`SignLms`] | sgn(e) and/or sgn(x) in place of e, x | any μ > 0 (step bounded) | ∝ μ |
//!
//! # LMS (this module's [`Lms`])
//!
//! ```text
//! y(n)   = w(n)ᵀ x(n)
//! e(n)   = d(n) − y(n)
//! w(n+1) = w(n) + μ · e(n) · x(n)
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | L | taps |
//! | μ | step size (`mu`) |
//! | R = E[x xᵀ] | the input's correlation matrix, eigenvalues λ_i, tr R = L·σ_x² for a stationary input |
//! | p = E[d x] | cross-correlation; the Wiener solution is w_o = R⁻¹p |
//! | J_min | the Wiener filter's mean squared error (σ_v², the noise power, in system identification) |
//! | M | misadjustment: excess mean squared error over J_min, EMSE / J_min |
//!
//! **Stability.** The mean weights converge for 0 < μ < 2/λ_max; the mean squared error needs
//! the stricter 0 < μ < 2/tr(R) (in practice choose μ·tr(R) ≪ 1). Since λ_max and tr R scale
//! with the input power, no bound on μ can be checked at construction: only μ > 0 is.
//!
//! **Misadjustment.** For small μ, M = Σᵢ μλᵢ/(2 − μλᵢ) / (1 − Σᵢ μλᵢ/(2 − μλᵢ)) ≈ μ·tr(R)/2
//! (Haykin, §6); the time constant of mode i is ≈ 1/(μλᵢ) samples.
//!
//! # Implementation
//!
//! The history is a doubled ring buffer (each sample written twice), so x(n) is always one
//! contiguous slice; a filter allocates only at construction. The dot product and the update
//! are one pass each over the taps, vectorised for AVX-512 or AVX2 when the processor has them
//! (chosen at run time, bit-identical results on every machine).
//!
//! # Example
//!
//! ```
//! use descent_signal::{AdaptiveFilter, Nlms};
//! let h = [0.5, -0.3, 0.2];
//! // A deterministic, broadband reference and the unknown system's output.
//! let x: Vec<f64> = (0..4000u64).map(|n| ((n * 7919 % 1009) as f64 / 504.5) - 1.0).collect();
//! let d: Vec<f64> = (0..x.len())
//!     .map(|n| (0..3).filter(|&k| k <= n).map(|k| h[k] * x[n - k]).sum())
//!     .collect();
//! let mut filter = Nlms::new(3, 0.5, 1e-6)?;
//! let (_output, error) = filter.process(&x, &d)?;
//! assert!(error[3999].abs() < 1e-9);
//! for (w, h) in filter.weights().iter().zip(h) {
//!     assert!((w - h).abs() < 1e-9);
//! }
//! # Ok::<(), descent_signal::Error>(())
//! ```
//!
//! # References
//! - B. Widrow, M. E. Hoff (1960), "Adaptive switching circuits", IRE WESCON Convention Record,
//!   part 4, pp. 96–104.
//! - S. Haykin (2014), *Adaptive Filter Theory*, 5th ed., Pearson: ch. 6 (LMS), ch. 7 (NLMS).
//! - A. H. Sayed (2003), *Fundamentals of Adaptive Filtering*, Wiley: ch. 6 and 15–16
//!   (energy-conservation analysis of the misadjustment).

mod kernels;
pub mod leaky;
pub mod nlms;
mod ring;
pub mod sign;

pub(crate) use kernels::{Isa, axpby, axpy, dot};
pub use leaky::LeakyLms;
pub use nlms::Nlms;
pub(crate) use ring::History;
pub use sign::{SignKind, SignLms};

use crate::filter::check_block;
use crate::{AdaptiveFilter, Error, Result, SampleFilter};

/// The least-mean-squares filter (Widrow–Hoff): w ← w + μ·e·x; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Lms {
    mu: f64,
    w: Vec<f64>,
    x: History,
    adapting: bool,
    isa: Isa,
}

impl Lms {
    /// An LMS filter of `taps` taps and step size `mu`, weights zero.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `taps` is 0 or `mu` is not finite and positive.
    pub fn new(taps: usize, mu: f64) -> Result<Self> {
        check_taps(taps)?;
        check_positive("mu", mu)?;
        Ok(Self {
            mu,
            w: vec![0.0; taps],
            x: History::new(taps),
            adapting: true,
            isa: Isa::detect(),
        })
    }

    /// The step size μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }
}

impl SampleFilter for Lms {
    #[inline]
    fn process_sample(&mut self, reference: f64, desired: f64) -> (f64, f64) {
        self.x.push(reference);
        let x = self.x.slice();
        let y = dot(self.isa, &self.w, x);
        let e = desired - y;
        if self.adapting {
            axpy(self.isa, &mut self.w, self.mu * e, x);
        }
        (y, e)
    }
}

impl AdaptiveFilter for Lms {
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

/// [`AdaptiveFilter::process_into`] for a [`SampleFilter`]: checks the block, then one step per
/// sample.
pub(crate) fn run_samples<F: SampleFilter>(
    filter: &mut F,
    reference: &[f64],
    desired: &[f64],
    output: &mut [f64],
    error: &mut [f64],
) -> Result<()> {
    check_block(reference, desired, output, error)?;
    for (((&x, &d), y), e) in
        reference.iter().zip(desired).zip(output.iter_mut()).zip(error.iter_mut())
    {
        (*y, *e) = filter.process_sample(x, d);
    }
    Ok(())
}

/// [`AdaptiveFilter::weights_into`]: copies `w` into `out` of the same length.
pub(crate) fn copy_weights(w: &[f64], out: &mut [f64]) -> Result<()> {
    if out.len() != w.len() {
        return Err(Error::LengthMismatch { what: "weights", expected: w.len(), got: out.len() });
    }
    out.copy_from_slice(w);
    Ok(())
}

/// At least one tap.
pub(crate) fn check_taps(taps: usize) -> Result<()> {
    if taps == 0 {
        return Err(Error::InvalidParameter { name: "taps", value: 0.0, valid: "at least 1" });
    }
    Ok(())
}

/// A finite, positive setting.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if !(value > 0.0 && value.is_finite()) {
        return Err(Error::InvalidParameter { name, value, valid: "finite and > 0" });
    }
    Ok(())
}
