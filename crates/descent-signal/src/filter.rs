//! The interface every adaptive filter shares.
//!
//! An adaptive FIR filter of L taps predicts the desired signal d(n) from the last L samples of
//! the reference x(n):
//!
//! ```text
//! x(n) = [x(n), x(n−1), …, x(n−L+1)]ᵀ    (samples before the start are 0)
//! y(n) = w(n)ᵀ x(n)                       output: the part of d that x explains
//! e(n) = d(n) − y(n)                      error: what is left (in a canceller, the clean signal)
//! ```
//!
//! and moves w to make e small. The LMS family descends the gradient of the instantaneous
//! squared error ½e(n)², ∇_w = −e(n)·x(n); RLS minimises the exponentially weighted sum of all
//! past squared errors exactly. Weight k multiplies x(n − k): after adaptation on a system
//! d = h ∗ x, w ≈ h (the impulse response, first tap first).
//!
//! Every filter processes a block of samples at a time ([`AdaptiveFilter::process_into`]);
//! processing a signal in several consecutive blocks gives the same numbers as in one (for the
//! frequency-domain filter: blocks whose lengths are multiples of its block size). Filters that
//! adapt after every sample also implement [`SampleFilter`].

use crate::{Error, Result};

/// An adaptive FIR filter; see the [module docs](self).
pub trait AdaptiveFilter {
    /// The number of taps L.
    fn taps(&self) -> usize;

    /// The current weights w₀ … w_{L−1} as a time-domain impulse response (w_k multiplies
    /// x(n − k)), written into `out` (L values).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `out` does not hold L values.
    fn weights_into(&self, out: &mut [f64]) -> Result<()>;

    /// Filters and adapts over a block: for each n, y(n) into `output` and e(n) = d(n) − y(n)
    /// into `error`, adapting w unless adaptation is frozen ([`AdaptiveFilter::set_adapting`]).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the four slices differ in length; [`Error::NonFinite`]
    /// for a NaN or infinite input sample (nothing is processed then).
    fn process_into(
        &mut self,
        reference: &[f64],
        desired: &[f64],
        output: &mut [f64],
        error: &mut [f64],
    ) -> Result<()>;

    /// Freezes (`false`) or resumes (`true`) adaptation: a frozen filter still filters. Echo
    /// cancellers freeze during double talk.
    fn set_adapting(&mut self, adapting: bool);

    /// Whether the filter adapts.
    fn is_adapting(&self) -> bool;

    /// Back to the state after construction: zero weights, empty history.
    fn reset(&mut self);

    /// [`AdaptiveFilter::process_into`] into new buffers: `(output, error)`.
    ///
    /// # Errors
    /// As [`AdaptiveFilter::process_into`].
    fn process(&mut self, reference: &[f64], desired: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut output = vec![0.0; reference.len()];
        let mut error = vec![0.0; reference.len()];
        self.process_into(reference, desired, &mut output, &mut error)?;
        Ok((output, error))
    }

    /// The current weights in a new vector (see [`AdaptiveFilter::weights_into`]).
    fn weights(&self) -> Vec<f64> {
        let mut w = vec![0.0; self.taps()];
        self.weights_into(&mut w).expect("a buffer of taps() values");
        w
    }
}

/// A filter that adapts after every sample.
pub trait SampleFilter: AdaptiveFilter {
    /// One step: takes x(n) and d(n), returns (y(n), e(n)) and adapts (unless frozen). The
    /// caller guarantees finite inputs (use [`AdaptiveFilter::process_into`] to have them
    /// checked).
    fn process_sample(&mut self, reference: f64, desired: f64) -> (f64, f64);
}

/// Checks that the four slices of a block have one length and the inputs are finite.
///
/// # Errors
/// As [`AdaptiveFilter::process_into`].
pub fn check_block(
    reference: &[f64],
    desired: &[f64],
    output: &[f64],
    error: &[f64],
) -> Result<()> {
    let n = reference.len();
    for (what, len) in
        [("desired", desired.len()), ("output", output.len()), ("error", error.len())]
    {
        if len != n {
            return Err(Error::LengthMismatch { what, expected: n, got: len });
        }
    }
    for (what, signal) in [("reference", reference), ("desired", desired)] {
        if let Some((index, &value)) = signal.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite { what, index, value });
        }
    }
    Ok(())
}
