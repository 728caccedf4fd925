//! Line searches on the one-dimensional view φ(t) = f(x + t·d).
//!
//! A line search sees only φ and its slope φ'(t) = ∇f(x + t·d)ᵀd, through [`Phi`], so each
//! one is tested in 1-D against the inequalities it promises. **Contract:** on success, the
//! last evaluation of φ was at the accepted step, so the caller's buffers already hold the
//! value and gradient there: they are reused, never evaluated again.
//!
//! | search | accepts | module |
//! |---|---|---|
//! | [`FixedStep`] | the first trial, whatever it gives (no search) | here |
//! | [`Backtracking`] | the Armijo condition φ(t) ≤ φ(0) + c₁·t·φ'(0) | [`backtracking`] |

pub mod backtracking;

pub use backtracking::Backtracking;

use crate::Result;

/// The function a line search explores: φ(t) and φ'(t).
pub trait Phi {
    /// Returns (φ(t), φ'(t)).
    fn eval(&mut self, t: f64) -> (f64, f64);
}

impl<F: FnMut(f64) -> (f64, f64)> Phi for F {
    fn eval(&mut self, t: f64) -> (f64, f64) {
        self(t)
    }
}

/// An accepted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accepted {
    /// The step t.
    pub step: f64,
    /// φ(t).
    pub value: f64,
    /// φ'(t).
    pub slope: f64,
    /// Evaluations of φ spent.
    pub evaluations: usize,
}

/// Why a line search gave up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LineSearchFailure {
    /// φ'(0) ≥ 0: d is not a descent direction.
    NotDescent {
        /// φ'(0).
        slope: f64,
    },
    /// The evaluation budget ran out without an acceptable step.
    NoAcceptableStep {
        /// Evaluations spent.
        evaluations: usize,
        /// The last step tried.
        last_step: f64,
    },
}

/// A rule for choosing the step length along a direction.
pub trait LineSearch {
    /// Validates the settings.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) naming the field.
    fn validate(&self) -> Result<()>;

    /// The first trial step of an iteration, given the method's base step (its learning rate)
    /// and the step accepted at the previous iteration, if any.
    fn initial_step(&self, base: f64, previous: Option<f64>) -> f64;

    /// Searches φ from the trial step `t0`, given φ(0) and φ'(0).
    ///
    /// # Errors
    /// A [`LineSearchFailure`] saying why no step was accepted.
    fn search(
        &self,
        phi: &mut dyn Phi,
        phi0: f64,
        dphi0: f64,
        t0: f64,
    ) -> Result<Accepted, LineSearchFailure>;
}

/// No search: the step is the method's learning rate, accepted whatever φ does there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixedStep;

impl LineSearch for FixedStep {
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    fn initial_step(&self, base: f64, _previous: Option<f64>) -> f64 {
        base
    }

    fn search(
        &self,
        phi: &mut dyn Phi,
        _phi0: f64,
        _dphi0: f64,
        t0: f64,
    ) -> Result<Accepted, LineSearchFailure> {
        let (value, slope) = phi.eval(t0);
        Ok(Accepted {
            step: t0,
            value,
            slope,
            evaluations: 1,
        })
    }
}
