//! Gradient descent: walk downhill along the negative gradient.
//!
//! The oldest method of all (Cauchy 1847): from θ₀, repeat
//!
//! ```text
//! dₖ   = −∇L(θₖ)
//! θₖ₊₁ = θₖ + tₖ·dₖ
//! ```
//!
//! | symbol | field | meaning | default |
//! |---|---|---|---|
//! | α | `learning_rate` | the fixed step, or a line search's first trial | 1e-3 fixed; 1 with Armijo |
//! | tₖ | | the step taken: α, or what the line search accepts | |
//!
//! With [`FixedStep`] tₖ = α always: on a quadratic with Hessian eigenvalues λᵢ the error
//! along eigenvector i is multiplied by (1 − αλᵢ) each step, so the run converges iff
//! 0 < α < 2/λ_max and zig-zags across a ravine when α > 1/λ_max. With [`Backtracking`] tₖ
//! satisfies the Armijo condition, which makes every step a descent step whatever the scale.
//!
//! Reference: A. Cauchy (1847), *Méthode générale pour la résolution des systèmes d'équations
//! simultanées*, C. R. Acad. Sci. Paris 25, 536–538.
//!
//! # Example
//! ```
//! use descent::{minimize, GradientDescent, Options, problems::Booth};
//! let report = minimize(&Booth, &[0.0, 0.0], GradientDescent::new(0.05)?, &Options::default())?;
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 3.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::error::positive;
use crate::kernels::dot;
use crate::line_search::{Backtracking, FixedStep, LineSearch, Ray, SearchHistory, stood_still};
use crate::{Objective, Result};

/// Gradient descent with step-length rule `L` ([`FixedStep`] or a [`LineSearch`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientDescent<L = FixedStep> {
    /// α: the fixed step, or the first trial of the first line search. Positive and finite.
    pub learning_rate: f64,
    /// How the step length is chosen.
    pub line_search: L,
}

impl GradientDescent<FixedStep> {
    /// Fixed-step gradient descent θ ← θ − α∇L(θ).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) unless α is
    /// positive and finite.
    pub fn new(learning_rate: f64) -> Result<Self> {
        positive("learning_rate", learning_rate)?;
        Ok(Self { learning_rate, line_search: FixedStep })
    }
}

impl GradientDescent<Backtracking> {
    /// Gradient descent with Armijo backtracking from a first trial step of 1.
    #[must_use]
    pub fn armijo() -> Self {
        Self { learning_rate: 1.0, line_search: Backtracking::default() }
    }
}

impl<L> GradientDescent<L> {
    /// The same method with another step-length rule.
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> GradientDescent<M> {
        GradientDescent { learning_rate: self.learning_rate, line_search }
    }
}

/// Memory of [`GradientDescent`]: the step accepted last, where the next search starts, the
/// last value change and the line search's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientDescentState {
    history: SearchHistory,
}

impl<O: Objective + ?Sized, L: LineSearch> Method<O> for GradientDescent<L> {
    type State = GradientDescentState;

    fn init(&self, _objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        positive("learning_rate", self.learning_rate)?;
        self.line_search.validate()?;
        Ok(GradientDescentState { history: SearchHistory::default() })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        // d = −∇f, so φ'(0) = −‖∇f‖². The direction is read from the gradient, never copied.
        let dphi0 = -dot(&current.grad, &current.grad);
        let context =
            state.history.context(self.learning_rate, true, current, &current.grad, dphi0);
        let t0 = self.line_search.first_trial(&context);
        let mut phi =
            Ray { objective, x: &current.x, direction: &current.grad, sign: -1.0, trial: next };
        let memory = &mut state.history.memory;
        match self.line_search.search_with(&mut phi, current.value, dphi0, t0, memory) {
            // At ∇f = 0 a fixed step stays put by design (gtol off): only a step along a
            // descent direction that does not move x is a failure.
            Ok(_) if dphi0 < 0.0 && stood_still(&current.x, &next.x) => {
                StepOutcome::LineSearchFailed
            }
            Ok(accepted) => {
                state.history.record(current.value, &accepted);
                StepOutcome::Moved
            }
            Err(_) => StepOutcome::LineSearchFailed,
        }
    }
}
