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
//! | [`MoreThuente`] | the strong Wolfe conditions: Armijo and \|φ'(t)\| ≤ c₂·\|φ'(0)\| | [`more_thuente`] |

pub mod backtracking;
pub mod more_thuente;

pub use backtracking::Backtracking;
pub use more_thuente::MoreThuente;

use crate::driver::{Counted, Iterate};
use crate::kernels::dot;
use crate::{Objective, Result};

/// The function a line search explores: φ(t), and φ'(t) on request.
///
/// The slope is a separate call because it costs a pass over the gradient that a search using
/// only values (Armijo) never needs.
pub trait Phi {
    /// φ(t). The gradient there is kept, for [`slope`](Phi::slope) and for the caller.
    fn value(&mut self, t: f64) -> f64;

    /// φ'(t) at the last t given to [`value`](Phi::value).
    fn slope(&mut self) -> f64;
}

/// A [`Phi`] from a closure returning (φ(t), φ'(t)): for tests and 1-D problems.
#[derive(Debug, Clone)]
pub struct FnPhi<F> {
    function: F,
    slope: f64,
}

impl<F: FnMut(f64) -> (f64, f64)> FnPhi<F> {
    /// Wraps `function`.
    pub fn new(function: F) -> Self {
        Self { function, slope: f64::NAN }
    }
}

impl<F: FnMut(f64) -> (f64, f64)> Phi for FnPhi<F> {
    fn value(&mut self, t: f64) -> f64 {
        let (value, slope) = (self.function)(t);
        self.slope = slope;
        value
    }

    fn slope(&mut self) -> f64 {
        self.slope
    }
}

/// An accepted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accepted {
    /// The step t.
    pub step: f64,
    /// φ(t).
    pub value: f64,
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
    /// The evaluation budget ran out without an acceptable step. Fix: raise the budget, or
    /// start from a better-scaled trial step.
    NoAcceptableStep {
        /// Evaluations spent.
        evaluations: usize,
        /// The last step tried.
        last_step: f64,
    },
    /// The bracket can no longer shrink: the trial fell on or outside it, so rounding errors
    /// in φ or φ' prevent progress (MINPACK-2's `ROUNDING ERRORS PREVENT PROGRESS`). The last
    /// evaluation was at `step`, the best step found. Fix: loosen c₂, or check that φ' is the
    /// derivative of φ.
    RoundingErrors {
        /// The best step found, evaluated last.
        step: f64,
        /// Evaluations spent.
        evaluations: usize,
    },
    /// The bracket's relative width fell to the tolerance `xtol` without an acceptable step
    /// (MINPACK-2's `XTOL TEST SATISFIED`). The last evaluation was at `step`, the best step
    /// found. Fix: lower `xtol`, or loosen c₂.
    IntervalTooSmall {
        /// The best step found, evaluated last.
        step: f64,
        /// Evaluations spent.
        evaluations: usize,
    },
    /// The search reached `step_max` still going down (φ may be unbounded below along the
    /// direction), or `step_min` without sufficient decrease (MINPACK-2's `STP = STPMAX` and
    /// `STP = STPMIN`). The last evaluation was at `step`. Fix: check that the objective is
    /// bounded below, or widen [`step_min`, `step_max`].
    StepAtBound {
        /// `step_min` or `step_max`, evaluated last.
        step: f64,
        /// Evaluations spent.
        evaluations: usize,
    },
}

/// How a line search picks its first trial step at each iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InitialStep {
    /// Always the method's base step (its learning rate): the unit step of Newton and
    /// quasi-Newton methods (Nocedal & Wright §3.5).
    Base,
    /// The step accepted at the previous iteration times `factor` (≥ 1); the base step on
    /// the first iteration.
    Grow {
        /// Factor from the previous accepted step to the next first trial.
        factor: f64,
    },
}

impl InitialStep {
    /// The first trial, given the method's base step and the previous accepted step.
    #[must_use]
    pub fn trial(self, base: f64, previous: Option<f64>) -> f64 {
        match self {
            Self::Base => base,
            Self::Grow { factor } => previous.map_or(base, |t| t * factor),
        }
    }
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
        let value = phi.value(t0);
        Ok(Accepted { step: t0, value, evaluations: 1 })
    }
}

/// φ(t) = f(x + t·sign·d), evaluated into the caller's `trial` iterate: the view every
/// line-search method hands its [`LineSearch`].
///
/// `sign` lets a method step along −∇f without copying the gradient into a direction buffer.
/// Because each φ evaluation writes x + t·sign·d, its value and gradient into `trial`, the
/// search's last evaluation (the accepted step, by the contract above) leaves `trial` complete.
pub(crate) struct Ray<'a, 'o, O: ?Sized> {
    pub(crate) objective: &'a Counted<'o, O>,
    pub(crate) x: &'a [f64],
    pub(crate) direction: &'a [f64],
    pub(crate) sign: f64,
    pub(crate) trial: &'a mut Iterate,
}

impl<O: Objective + ?Sized> Phi for Ray<'_, '_, O> {
    fn value(&mut self, t: f64) -> f64 {
        let step = self.sign * t;
        for ((y, x), d) in self.trial.x.iter_mut().zip(self.x).zip(self.direction) {
            *y = x + step * d;
        }
        self.trial.value = self.objective.value_grad(&self.trial.x, &mut self.trial.grad);
        self.trial.value
    }

    fn slope(&mut self) -> f64 {
        self.sign * dot(&self.trial.grad, self.direction)
    }
}
