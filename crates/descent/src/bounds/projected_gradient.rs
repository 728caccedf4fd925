//! Projected gradient descent: steepest descent bent back into the box.
//!
//! Each iteration follows the *projection arc* x(t) = P(x − t∇f(x)), the path steepest descent
//! would take with every coordinate that runs into a bound stopped there, and picks t by
//! Armijo backtracking along the arc (Bertsekas 1976; *Nonlinear Programming*, 2nd ed., 1999,
//! §2.3.2, "Armijo rule along the projection arc"):
//!
//! ```text
//! x(t) = P(xₖ − t∇fₖ)
//! accept the first t in t₀, βt₀, β²t₀, … with
//!     f(x(t)) ≤ f(xₖ) + c₁·∇fₖᵀ(x(t) − xₖ)                (Bertsekas 1999, §2.3.2)
//! xₖ₊₁ = x(t)
//! ```
//!
//! The right-hand side uses the actual displacement x(t) − xₖ, not −t∇f: along the bent arc
//! the coordinates held at a bound contribute nothing to the predicted decrease. Every limit
//! point is stationary (pg = 0) for a continuously differentiable f (Bertsekas 1999,
//! §2.3), and the active set at a nondegenerate solution is identified in finitely many
//! iterations (Bertsekas 1976).
//!
//! | symbol | field | meaning | default |
//! |---|---|---|---|
//! | l, u | `bounds` | the box | |
//! | P | | the projection onto the box | |
//! | c₁ | `c1` | sufficient-decrease constant, in (0, 1) | 1e-4 |
//! | β | `shrink` | backtracking factor, in (0, 1) | 0.5 |
//! | t₀ | `initial` | the first trial of an iteration | the last accepted step (see below) |
//! | | `max_trials` | trials per iteration before the step fails | 60 |
//!
//! **Defaults and why.** c₁ = 1e-4 and β = 0.5 are the crate's [`Backtracking`] defaults (N&W
//! §3.1). The first trial of iteration 0 is 1/‖∇f₀‖₂ (a first step of length at most 1, as the
//! quasi-Newton methods do); afterwards [`InitialStep::Grow`] with factor 1: **the first trial
//! reuses the last accepted step**. With a Lipschitz gradient (constant L) every t ≤ 2(1 − c₁)/L
//! passes the test, so the accepted steps never fall below β·2(1 − c₁)/L (or t₀), and once
//! they stop shrinking each iteration costs one evaluation. A factor above 1 lets the
//! step grow again (useful when the curvature falls along the path) at the price of at least
//! one rejected trial per iteration whenever the step is already right.
//!
//! **Deviations.** Bertsekas restarts every iteration from a fixed s (the trial sequence
//! s, βs, β²s, …); reusing the last step saves the evaluations spent rediscovering it. No
//! interpolation: along the bent arc φ(t) = f(x(t)) is only piecewise smooth, so the
//! quadratic/cubic models of [`Backtracking`] buy little. Each trial evaluates value and
//! gradient together (the crate's one-call [`Objective`]); the accepted trial's gradient is
//! the next iteration's.
//!
//! # References
//! * D. P. Bertsekas (1976), *On the Goldstein–Levitin–Polyak gradient projection method*,
//!   IEEE Trans. Automatic Control 21(2), 174–184.
//! * D. P. Bertsekas (1999), *Nonlinear Programming*, 2nd ed., Athena Scientific, §2.3.
//!
//! # Example
//! ```
//! use descent::bounds::{Bounds, ProjectedGradient};
//! use descent::{minimize, Options, problems::Booth};
//!
//! // Booth's function has its minimum at (1, 3); the box 0 ≤ x ≤ 2 cuts it off, and the
//! // minimiser on the box is (1.8, 2), the second coordinate at its upper bound.
//! let bounds = Bounds::uniform(2, 0.0, 2.0)?;
//! let options = Options { gtol: 1e-7, ..Options::default() };
//! let report = minimize(&Booth, &[0.0, 0.0], ProjectedGradient::new(bounds), &options)?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 1.8).abs() < 1e-7 && report.x[1] == 2.0);
//! # Ok::<(), descent::Error>(())
//! ```
//!
//! [`Backtracking`]: crate::line_search::Backtracking

use super::Bounds;
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::error::{at_least_one, in_unit_interval};
use crate::kernels::norm;
use crate::line_search::{InitialStep, stood_still};
use crate::{Error, Objective, Result};

/// Projected gradient descent with Armijo backtracking along the projection arc (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedGradient {
    /// The box.
    pub bounds: Bounds,
    /// Sufficient-decrease constant c₁ ∈ (0, 1).
    pub c1: f64,
    /// Backtracking factor β ∈ (0, 1).
    pub shrink: f64,
    /// Trials per iteration (≥ 1) before the step is reported as failed.
    pub max_trials: usize,
    /// The first trial of each iteration: [`InitialStep::Grow`] from the last accepted step
    /// (factor ≥ 1), or [`InitialStep::Base`], 1/‖∇fₖ‖₂ every iteration.
    pub initial: InitialStep,
}

impl ProjectedGradient {
    /// Projected gradient descent in `bounds`, with the defaults of the module docs.
    #[must_use]
    pub fn new(bounds: Bounds) -> Self {
        Self {
            bounds,
            c1: 1e-4,
            shrink: 0.5,
            max_trials: 60,
            initial: InitialStep::Grow { factor: 1.0 },
        }
    }

    fn validate(&self) -> Result<()> {
        in_unit_interval("c1", self.c1)?;
        in_unit_interval("shrink", self.shrink)?;
        at_least_one("max_trials", self.max_trials)?;
        if let InitialStep::Grow { factor } = self.initial
            && !(factor.is_finite() && factor >= 1.0)
        {
            return Err(Error::InvalidHyperparameter {
                name: "initial",
                value: factor,
                valid: "a growth factor at least 1 and finite",
            });
        }
        Ok(())
    }
}

/// State of [`ProjectedGradient`]: the last accepted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectedGradientState {
    /// The step t accepted at the previous iteration.
    pub last_step: Option<f64>,
}

impl<O: Objective + ?Sized> Method<O> for ProjectedGradient {
    type State = ProjectedGradientState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        self.validate()?;
        self.bounds.check_dim(objective.dim())?;
        Ok(ProjectedGradientState { last_step: None })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        let base = 1.0 / norm(&current.grad);
        let base = if base.is_finite() { base } else { 1.0 };
        let mut t = self.initial.trial(base, state.last_step);
        let (lower, upper) = (self.bounds.lower(), self.bounds.upper());
        for _ in 0..self.max_trials {
            // x(t) = P(x − t∇f) and the predicted decrease ∇fᵀ(x(t) − x), in one pass.
            let mut predicted = 0.0;
            let arc = next.x.iter_mut().zip(&current.x).zip(&current.grad);
            for (((y, x), g), (l, u)) in arc.zip(lower.iter().zip(upper)) {
                *y = (x - t * g).max(*l).min(*u);
                predicted += g * (*y - x);
            }
            next.value = objective.value_grad(&next.x, &mut next.grad);
            // Bertsekas 1999, §2.3.2 (a NaN value fails the test and shrinks the step). A
            // trial that leaves x where it was is no step, even though its value passes once
            // the bound rounds to f(x) (see `line_search::stood_still`).
            if next.value <= current.value + self.c1 * predicted
                && !stood_still(&current.x, &next.x)
            {
                state.last_step = Some(t);
                return StepOutcome::Moved;
            }
            t *= self.shrink;
        }
        StepOutcome::LineSearchFailed
    }

    fn bounds(&self) -> Option<&Bounds> {
        Some(&self.bounds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, minimize, problems::Booth};

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        let b = Bounds::uniform(2, 0.0, 1.0).unwrap();
        for (method, name) in [
            (ProjectedGradient { c1: 1.0, ..ProjectedGradient::new(b.clone()) }, "c1"),
            (ProjectedGradient { shrink: 0.0, ..ProjectedGradient::new(b.clone()) }, "shrink"),
            (
                ProjectedGradient { max_trials: 0, ..ProjectedGradient::new(b.clone()) },
                "max_trials",
            ),
            (
                ProjectedGradient {
                    initial: InitialStep::Grow { factor: 0.5 },
                    ..ProjectedGradient::new(b.clone())
                },
                "initial",
            ),
        ] {
            let result = minimize(&Booth, &[0.0, 0.0], method, &Options::default());
            assert!(
                matches!(result, Err(Error::InvalidHyperparameter { name: n, .. }) if n == name),
                "{name}"
            );
        }
        let wrong = ProjectedGradient::new(Bounds::uniform(3, 0.0, 1.0).unwrap());
        assert!(matches!(
            minimize(&Booth, &[0.0, 0.0], wrong, &Options::default()),
            Err(Error::DimensionMismatch { what: "bounds", expected: 2, got: 3 })
        ));
    }
}
