//! First-order rules driven by [`minimize`](crate::minimize), and Nesterov's look-ahead form.

use super::rule::Rule;
use super::{FiniteCheck, Optimizer, ReduceOnPlateau, Schedule, Threads};
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::{Objective, Result};

/// Any composed [`Rule`] as a [`Method`] for the driver: each iteration steps x with the
/// gradient at x, then evaluates the new point.
///
/// # Example
/// ```
/// use descent::first_order::{FirstOrder, Nesterov, Preset};
/// use descent::{minimize, Options, Status, problems::Ravine};
///
/// let ravine = Ravine::new(100.0)?;
/// let method = FirstOrder::new(Nesterov::preset(Preset::Torch, 0.008).rule());
/// let report = minimize(&ravine, &[10.0, 1.0], method, &Options::default())?;
/// assert!(report.status.is_converged());
/// # Ok::<(), descent::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FirstOrder<R> {
    /// The rule.
    pub rule: R,
    /// Cuts the learning rate when the value stops improving, if set.
    pub plateau: Option<ReduceOnPlateau>,
}

impl<R: Rule> FirstOrder<R> {
    /// Drives `rule`.
    pub fn new(rule: R) -> Self {
        Self { rule, plateau: None }
    }

    /// The same method with a reduce-on-plateau observer of the objective's value.
    #[must_use]
    pub fn with_plateau(mut self, plateau: ReduceOnPlateau) -> Self {
        self.plateau = Some(plateau);
        self
    }
}

/// The optimizer of a [`FirstOrder`] run, and its plateau observer.
#[derive(Debug, Clone)]
pub struct FirstOrderState<R: Rule> {
    optimizer: Optimizer<R, f64>,
    plateau: Option<ReduceOnPlateau>,
}

impl<O: Objective + ?Sized, R: Rule> Method<O> for FirstOrder<R> {
    type State = FirstOrderState<R>;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        if let Some(plateau) = &self.plateau {
            plateau.validate()?;
        }
        // The driver has checked every gradient before it reaches the step.
        let optimizer = Optimizer::new(self.rule.clone(), objective.dim())?
            .with_threads(Threads::Single)
            .with_finite_check(FiniteCheck::Trust);
        Ok(FirstOrderState { optimizer, plateau: self.plateau.clone() })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        let optimizer = &mut state.optimizer;
        if let Some(plateau) = &mut state.plateau {
            // The scale is positive: `set_learning_rate_scale` cannot fail here.
            let _ = optimizer
                .set_learning_rate_scale(plateau.observe(current.value).max(f64::MIN_POSITIVE));
        }
        next.x.copy_from_slice(&current.x);
        if optimizer.step(&mut next.x, &current.grad).is_err() {
            return StepOutcome::LineSearchFailed;
        }
        next.value = objective.value_grad(&next.x, &mut next.grad);
        StepOutcome::Moved
    }
}

/// Nesterov's accelerated gradient in its look-ahead form, for the driver (Sutskever et al.
/// 2013, eqs. 3–4):
///
/// ```text
/// vₜ₊₁ = γvₜ − η(t)·∇L(θₜ + γvₜ)
/// θₜ₊₁ = θₜ + vₜ₊₁
/// ```
///
/// The gradient is taken at the look-ahead point θ + γv, which only the driver can do (the step
/// API receives the gradient at the stored parameter: see [`Nesterov`](super::Nesterov) for the
/// reformulated form). The iterate the driver reports is the look-ahead point φ = θ + γv — the
/// point whose value and gradient were evaluated — so that this method and the reformulated
/// one report the same sequence at a constant η.
#[derive(Debug, Clone, PartialEq)]
pub struct NesterovLookAhead {
    /// η(t).
    pub learning_rate: Schedule,
    /// γ ∈ [0, 1).
    pub momentum: f64,
}

/// The velocity and the current θ of [`NesterovLookAhead`].
#[derive(Debug, Clone, PartialEq)]
pub struct LookAheadState {
    theta: Vec<f64>,
    velocity: Vec<f64>,
    step: u64,
}

impl<O: Objective + ?Sized> Method<O> for NesterovLookAhead {
    type State = LookAheadState;

    fn init(&self, _objective: &Counted<'_, O>, start: &Iterate) -> Result<Self::State> {
        // The schedule's own check: a positive base rate. Its first rate may be 0 (a warm-up
        // from init_learning_rate = 0, as optax's and the update rules' schedules allow).
        self.learning_rate.validate()?;
        super::rule::unit_interval_closed_open("momentum", self.momentum)?;
        // v₀ = 0, so the first look-ahead point is θ₀ itself.
        Ok(LookAheadState { theta: start.x.clone(), velocity: vec![0.0; start.x.len()], step: 0 })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        // `current` is the look-ahead point φₜ = θₜ + γvₜ with its gradient.
        state.step += 1;
        let eta = self.learning_rate.at(state.step);
        let gamma = self.momentum;
        for i in 0..state.theta.len() {
            let v = gamma * state.velocity[i] - eta * current.grad[i];
            state.velocity[i] = v;
            state.theta[i] += v;
            next.x[i] = state.theta[i] + gamma * v;
        }
        next.value = objective.value_grad(&next.x, &mut next.grad);
        StepOutcome::Moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::driver::{Options, Trace, minimize_observed};
    use crate::problems::Booth;

    #[test]
    fn look_ahead_accepts_a_warmup_from_zero() {
        // Found by `descent bench soak` (seed 2416): `--method nesterov-look-ahead --schedule
        // warmup_cosine:...` was refused with "invalid learning_rate = 0" although `nesterov`
        // takes the same schedule. The first rate is 0, so the first step stays at x₀.
        let method = NesterovLookAhead {
            learning_rate: Schedule::WarmupCosine {
                init_learning_rate: 0.0,
                peak_learning_rate: 0.05,
                warmup_steps: 2,
                decay_steps: 10,
                end_learning_rate: 0.0,
            },
            momentum: 0.9,
        };
        let options = Options { max_iter: 4, gtol: 0.0, ..Options::default() };
        let mut trace = Trace::default();
        let report = minimize_observed(&Booth::new(), &[0.0, 0.0], method, &options, &mut trace)
            .expect("a warm-up from 0 is a valid schedule");
        assert_eq!(report.iterations, 4);
        assert_eq!(trace.rows[1].x, trace.rows[0].x, "η₁ = 0: the first step does not move");
        assert_ne!(trace.rows[2].x, trace.rows[0].x, "η₂ = 0.025: the second one does");
    }

    #[test]
    fn look_ahead_still_refuses_a_zero_rate() {
        let method = NesterovLookAhead {
            learning_rate: Schedule::Constant { learning_rate: 0.0 },
            momentum: 0.9,
        };
        let error = crate::minimize(&Booth::new(), &[0.0, 0.0], method, &Options::default());
        assert!(
            matches!(error, Err(Error::InvalidHyperparameter { name: "learning_rate", .. })),
            "{error:?}"
        );
    }
}
