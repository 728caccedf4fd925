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
//! | [`HagerZhang`] | the Wolfe conditions, or (near the solution) the approximate Wolfe conditions (2δ − 1)φ'(0) ≥ φ'(t) ≥ σφ'(0), φ(t) ≤ φ(0) + ε_k | [`hager_zhang`] |
//!
//! **Initial steps.** [`LineSearch::first_trial`] picks an iteration's first trial from a
//! [`StepContext`] (the method's base step, the previous step, the last value change, φ'(0));
//! by default it calls [`LineSearch::initial_step`]. [`InitialStep`] offers the unit/base step,
//! growth from the previous step, Nocedal & Wright's interpolation (eq. 3.60) and Hager &
//! Zhang's guess (I0, I2).
//!
//! **Memory between searches.** A method keeps one [`SearchMemory`] per run and hands it to
//! [`LineSearch::search_with`]; [`HagerZhang`] keeps its running average C_k of |f| and its
//! switch to the approximate Wolfe conditions there, so the trait's `&self` stays a pure
//! configuration. Other searches ignore it.

pub mod backtracking;
pub mod hager_zhang;
pub mod more_thuente;
#[cfg(test)]
mod test_functions;

pub use backtracking::Backtracking;
pub use hager_zhang::HagerZhang;
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
    ///
    /// [`HagerZhang`] reports it when its bracket [a, b] has no floating-point number left
    /// strictly inside; `step` is then a, the lower end (φ(a) ≤ φ(0) + ε_k, φ'(a) < 0), and is
    /// not evaluated again (after a failure the caller's buffers are meaningless). Fix: check
    /// that φ' is the derivative of φ, or allow the approximate Wolfe conditions (`omega`).
    IntervalTooSmall {
        /// The best step found, evaluated last.
        step: f64,
        /// Evaluations spent.
        evaluations: usize,
    },
    /// The search reached `step_max` still going down (φ may be unbounded below along the
    /// direction), or `step_min` without sufficient decrease (MINPACK-2's `STP = STPMAX` and
    /// `STP = STPMIN`). The last evaluation was at `step`. Fix: check that the objective is
    /// bounded below, or widen [`step_min`, `step_max`] ([`HagerZhang`] has only `step_max`).
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
    /// Interpolation from the last iteration (Nocedal & Wright, eq. 3.60 and the text after
    /// it): assume the first-order change of f will be that of the last iteration,
    ///
    /// ```text
    /// t₀ = min(base, 1.01·2(fₖ − fₖ₋₁)/φ'(0))
    /// ```
    ///
    /// With base = 1 (Newton, quasi-Newton) this is N&W's min(1, 1.01α₀), which lets the unit
    /// step be tried as the method converges. The base step on the first iteration, or when
    /// the quotient is not positive and finite. Needs a [`StepContext`]:
    /// [`trial`](Self::trial) alone gives the base step.
    Interpolate,
    /// Hager & Zhang's guess (2006, steps I0 and I2; I1 is left out, see
    /// [`hager_zhang`]): on the first iteration (k = 0)
    ///
    /// ```text
    /// t₀ = ψ₀·‖x₀‖∞/‖d₀‖∞            if x₀ ≠ 0     (I0; the paper's d₀ = −g₀)
    ///    = ψ₀·|f(x₀)|/|φ'(0)|        if x₀ = 0 and f(x₀) ≠ 0
    ///    = base                      otherwise
    /// ```
    ///
    /// and afterwards t₀ = ψ₂·tₖ₋₁ (I2), or the base step when the method passes no previous
    /// step (quasi-Newton and Newton methods, whose steps are already scaled). Needs a
    /// [`StepContext`]: [`trial`](Self::trial) alone gives the base step, or ψ₂·tₖ₋₁.
    HagerZhang {
        /// ψ₀: the fraction of ‖x₀‖∞ the first step moves (paper: 0.01).
        psi0: f64,
        /// ψ₂: the factor from the previous accepted step (paper: 2).
        psi2: f64,
    },
}

impl InitialStep {
    /// Hager & Zhang's initial guess with the paper's ψ₀ = 0.01, ψ₂ = 2.
    pub const HAGER_ZHANG: Self = Self::HagerZhang { psi0: 0.01, psi2: 2.0 };

    /// The first trial, given the method's base step and the previous accepted step. The
    /// rules that need more ([`Interpolate`](Self::Interpolate), I0 of
    /// [`HagerZhang`](Self::HagerZhang)) fall back to the base step; see
    /// [`trial_in`](Self::trial_in).
    #[must_use]
    pub fn trial(self, base: f64, previous: Option<f64>) -> f64 {
        match self {
            Self::Base | Self::Interpolate => base,
            Self::Grow { factor: f } | Self::HagerZhang { psi2: f, .. } => {
                previous.map_or(base, |t| t * f)
            }
        }
    }

    /// The first trial in `context`.
    #[must_use]
    pub fn trial_in(self, context: &StepContext<'_>) -> f64 {
        let base = context.base;
        let trial = match self {
            Self::Base | Self::Grow { .. } => return self.trial(base, context.previous_step),
            // N&W eq. 3.60, with the safeguard min(base, 1.01·α₀).
            Self::Interpolate => match context.value_change {
                Some(change) => (1.01 * 2.0 * change / context.slope).min(base),
                None => base,
            },
            Self::HagerZhang { psi0, psi2 } => {
                if context.iteration > 0 {
                    context.previous_step.map_or(base, |t| psi2 * t) // I2: ψ₂·tₖ₋₁
                } else {
                    // I0, with ‖d₀‖∞ and |φ'(0)| for the paper's ‖g₀‖∞ and ‖g₀‖².
                    let x_size = norm_inf(context.x);
                    if x_size > 0.0 {
                        psi0 * x_size / norm_inf(context.direction)
                    } else if context.value != 0.0 {
                        psi0 * context.value.abs() / context.slope.abs()
                    } else {
                        base
                    }
                }
            }
        };
        if trial.is_finite() && trial > 0.0 { trial } else { base }
    }

    /// Checks the rule's parameters.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) named `initial`:
    /// a growth factor or ψ₂ below 1 or not finite, a ψ₀ not positive and finite.
    pub fn validate(self) -> Result<()> {
        let bad = |value: f64, valid: &'static str| {
            Err(crate::Error::InvalidHyperparameter { name: "initial", value, valid })
        };
        match self {
            Self::Base | Self::Interpolate => Ok(()),
            Self::Grow { factor } if !(factor.is_finite() && factor >= 1.0) => {
                bad(factor, "a growth factor at least 1 and finite")
            }
            Self::HagerZhang { psi0, .. } if !(psi0.is_finite() && psi0 > 0.0) => {
                bad(psi0, "ψ₀ positive and finite")
            }
            Self::HagerZhang { psi2, .. } if !(psi2.is_finite() && psi2 >= 1.0) => {
                bad(psi2, "ψ₂ at least 1 and finite")
            }
            _ => Ok(()),
        }
    }
}

/// ‖v‖∞ (NaN if any entry is NaN).
fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m: f64, x| if x.is_nan() { f64::NAN } else { m.max(x.abs()) })
}

/// What a method knows when it picks an iteration's first trial step, for
/// [`LineSearch::first_trial`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepContext<'a> {
    /// The method's base step: its learning rate (gradient descent), 1 (Newton and
    /// quasi-Newton), or 1/‖∇f‖ on a quasi-Newton steepest-descent step.
    pub base: f64,
    /// The step accepted at the previous iteration; `None` on the first iteration, and always
    /// for methods whose step is already scaled (Newton, BFGS, L-BFGS), as before this context
    /// existed.
    pub previous_step: Option<f64>,
    /// k: the number of steps accepted before this one in this run.
    pub iteration: usize,
    /// fₖ − fₖ₋₁, the value change of the previous iteration (≤ 0 after a descent step);
    /// `None` on the first iteration.
    pub value_change: Option<f64>,
    /// fₖ = φ(0).
    pub value: f64,
    /// φ'(0) = ∇fₖᵀdₖ (< 0 along a descent direction).
    pub slope: f64,
    /// xₖ.
    pub x: &'a [f64],
    /// dₖ, up to its sign (gradient descent passes ∇fₖ and steps along −∇fₖ).
    pub direction: &'a [f64],
}

/// A line search's memory between the searches of one run, owned by the method's state and
/// passed to [`LineSearch::search_with`]. Plain data, allocated nowhere.
///
/// [`HagerZhang`] keeps here the running average C_k of |f| that scales ε_k, its weight
/// Q_k, the previous value fₖ₋₁ and whether it has switched to the approximate Wolfe
/// conditions; other searches leave it untouched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchMemory {
    /// Q_k (Hager & Zhang 2006, §4): the weight of the running average.
    pub(crate) weight: f64,
    /// C_k: the running average of |f|.
    pub(crate) average: f64,
    /// fₖ₋₁ (NaN before the first search).
    pub(crate) previous_value: f64,
    /// Whether the approximate Wolfe conditions are in use (for good, once switched on).
    pub(crate) approximate_wolfe: bool,
}

impl Default for SearchMemory {
    fn default() -> Self {
        Self { weight: 0.0, average: 0.0, previous_value: f64::NAN, approximate_wolfe: false }
    }
}

impl SearchMemory {
    /// Whether [`HagerZhang`] has switched to the approximate Wolfe conditions.
    #[must_use]
    pub fn approximate_wolfe(&self) -> bool {
        self.approximate_wolfe
    }

    /// C_k, the running average of |f| that scales HZ's ε_k = ε·C_k (0 before any search).
    #[must_use]
    pub fn value_scale(&self) -> f64 {
        self.average
    }
}

/// What a line-search method carries between iterations: the inputs of
/// [`StepContext`] and the [`SearchMemory`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct SearchHistory {
    /// Steps accepted so far.
    pub(crate) iteration: usize,
    /// The last accepted step.
    pub(crate) previous_step: Option<f64>,
    /// fₖ − fₖ₋₁ of the last iteration.
    pub(crate) value_change: Option<f64>,
    /// The line search's own memory.
    pub(crate) memory: SearchMemory,
}

impl SearchHistory {
    /// The context of the next search, for a method at `current` moving along `direction`.
    /// `carry_step`: whether the previous step is passed on (gradient descent) or not (a
    /// method whose step is already scaled).
    pub(crate) fn context<'a>(
        &self,
        base: f64,
        carry_step: bool,
        current: &'a Iterate,
        direction: &'a [f64],
        slope: f64,
    ) -> StepContext<'a> {
        StepContext {
            base,
            previous_step: if carry_step { self.previous_step } else { None },
            iteration: self.iteration,
            value_change: self.value_change,
            value: current.value,
            slope,
            x: &current.x,
            direction,
        }
    }

    /// Records an accepted step taken from a point of value `before`.
    pub(crate) fn record(&mut self, before: f64, accepted: &Accepted) {
        self.iteration += 1;
        self.previous_step = Some(accepted.step);
        self.value_change = Some(accepted.value - before);
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

    /// The first trial step of an iteration, given all the method knows ([`StepContext`]).
    /// By default [`initial_step`](Self::initial_step)`(context.base, context.previous_step)`.
    fn first_trial(&self, context: &StepContext<'_>) -> f64 {
        self.initial_step(context.base, context.previous_step)
    }

    /// [`search`](Self::search) with the run's [`SearchMemory`], for searches that adapt over
    /// a run ([`HagerZhang`]). By default the memory is ignored.
    ///
    /// # Errors
    /// A [`LineSearchFailure`] saying why no step was accepted.
    fn search_with(
        &self,
        phi: &mut dyn Phi,
        phi0: f64,
        dphi0: f64,
        t0: f64,
        memory: &mut SearchMemory,
    ) -> Result<Accepted, LineSearchFailure> {
        let _ = memory;
        self.search(phi, phi0, dphi0, t0)
    }
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

/// Whether an accepted step left x exactly where it was: no step at all.
///
/// Armijo's test φ(t) ≤ φ(0) + c₁·t·φ′(0) is met with equality in floating point once
/// c₁·t·|φ′(0)| is below half an ulp of φ(0), so a search along an ascent direction (a gradient
/// of the wrong sign, say) ends by "accepting" a step so small that x + t·d rounds to x. The
/// methods report such a step as a line-search failure instead of moving by nothing until their
/// iteration limit. A step that does move x without changing f is kept: near a minimiser whose
/// f has no digits left, those steps still improve x.
pub(crate) fn stood_still(from: &[f64], to: &[f64]) -> bool {
    from == to
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

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(x: &'a [f64], d: &'a [f64]) -> StepContext<'a> {
        StepContext {
            base: 1.0,
            previous_step: None,
            iteration: 0,
            value_change: None,
            value: 3.0,
            slope: -2.0,
            x,
            direction: d,
        }
    }

    #[test]
    fn interpolation_from_the_last_value_change() {
        let (x, d) = ([1.0], [1.0]);
        let first = context(&x, &d);
        assert_eq!(InitialStep::Interpolate.trial_in(&first), 1.0, "the base step at k = 0");
        // N&W eq. 3.60: 1.01·2·(−0.5)/(−2) = 0.505.
        let c = StepContext { iteration: 1, value_change: Some(-0.5), ..first };
        assert_eq!(InitialStep::Interpolate.trial_in(&c), 1.01 * 0.5);
        // Capped by the base step: 1.01·2·(−10)/(−2) = 10.1 → 1.
        let c = StepContext { iteration: 1, value_change: Some(-10.0), ..first };
        assert_eq!(InitialStep::Interpolate.trial_in(&c), 1.0);
        // A rise (not a descent step) gives a negative quotient: the base step.
        let c = StepContext { iteration: 1, value_change: Some(0.5), base: 0.25, ..first };
        assert_eq!(InitialStep::Interpolate.trial_in(&c), 0.25);
        assert_eq!(InitialStep::Interpolate.trial(0.25, Some(3.0)), 0.25);
    }

    #[test]
    fn hager_zhang_initial_guess() {
        let rule = InitialStep::HAGER_ZHANG;
        // I0: ψ₀‖x₀‖∞/‖d₀‖∞ = 0.01·4/0.5.
        let (x, d) = ([2.0, -4.0], [0.5, -0.25]);
        assert_eq!(rule.trial_in(&context(&x, &d)), 0.01 * 4.0 / 0.5);
        // x₀ = 0: ψ₀|f₀|/|φ'(0)| = 0.01·3/2.
        let (zero, d) = ([0.0, 0.0], [0.5, -0.25]);
        assert_eq!(rule.trial_in(&context(&zero, &d)), 0.01 * 3.0 / 2.0);
        // x₀ = 0 and f₀ = 0: the base step.
        let c = StepContext { value: 0.0, base: 0.7, ..context(&zero, &d) };
        assert_eq!(rule.trial_in(&c), 0.7);
        // I2: ψ₂·tₖ₋₁, or the base step when the method passes no previous step.
        let c = StepContext { iteration: 4, previous_step: Some(0.25), ..context(&x, &d) };
        assert_eq!(rule.trial_in(&c), 0.5);
        let c = StepContext { iteration: 4, ..context(&x, &d) };
        assert_eq!(rule.trial_in(&c), 1.0);
    }

    #[test]
    fn the_old_rules_ignore_the_new_context() {
        let (x, d) = ([1.0], [1.0]);
        let c = StepContext { previous_step: Some(0.25), iteration: 2, ..context(&x, &d) };
        assert_eq!(InitialStep::Base.trial_in(&c), 1.0);
        assert_eq!(InitialStep::Grow { factor: 3.0 }.trial_in(&c), 0.75);
        // The trait's default first_trial is initial_step(base, previous).
        assert_eq!(Backtracking::default().first_trial(&c), 0.5);
        assert_eq!(FixedStep.first_trial(&c), 1.0);
    }

    #[test]
    fn initial_step_parameters_are_checked() {
        for bad in [
            InitialStep::Grow { factor: 0.5 },
            InitialStep::HagerZhang { psi0: 0.0, psi2: 2.0 },
            InitialStep::HagerZhang { psi0: 0.01, psi2: 0.5 },
            InitialStep::HagerZhang { psi0: f64::NAN, psi2: 2.0 },
        ] {
            assert!(
                matches!(
                    bad.validate(),
                    Err(crate::Error::InvalidHyperparameter { name: "initial", .. })
                ),
                "{bad:?}"
            );
        }
        assert!(InitialStep::HAGER_ZHANG.validate().is_ok());
        assert!(InitialStep::Interpolate.validate().is_ok());
    }
}
