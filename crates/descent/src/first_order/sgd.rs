//! Stochastic gradient descent and its momentum forms, as the step API.
//!
//! | optimizer | update | rule chain |
//! |---|---|---|
//! | [`Sgd`] | θ ← θ − η(t)(g + λθ) | weight decay → −η |
//! | [`HeavyBall`] | v ← γv − η(t)g, θ ← θ + v (textbook; Polyak 1964) | −η → momentum |
//! | [`Momentum`] | b ← μb + (1 − τ)(g + λθ) (b₁ = g + λθ), θ ← θ − η(t)b (torch `SGD(momentum)`) | weight decay → momentum → −η |
//! | [`Nesterov`] | b as above with τ = 0, θ ← θ − η(t)(g + μb) (torch `SGD(nesterov=True)`, optax `sgd(nesterov=True)`) | weight decay → Nesterov momentum → −η |
//!
//! [`HeavyBall`] keeps η *inside* the velocity, [`Momentum`] outside: for a constant η the two
//! produce the same iterates (v = −η·b), under a schedule they do not — a change of η acts at
//! once in torch's form and only through new gradients in the textbook's.
//!
//! [`Nesterov`] is the *reformulated* accelerated gradient (Sutskever, Martens, Dahl & Hinton,
//! ICML 2013, eqs. 3–4 rewritten): the stored parameter is the look-ahead point φ = θ + γv, so
//! the gradient the caller supplies at φ is the one the method needs. The form that evaluates
//! ∇L(θ + γv) at a point other than θ is [`NesterovLookAhead`](super::NesterovLookAhead), for
//! the driver; a test shows the two give the same iterates at a constant η.
//!
//! References: B. T. Polyak (1964), *Some methods of speeding up the convergence of iteration
//! methods*, USSR Comp. Math. 4(5); Y. Nesterov (1983), *A method for solving the convex
//! programming problem with convergence rate O(1/k²)*, Dokl. Akad. Nauk SSSR 269.

use serde::{Deserialize, Serialize};

use super::rule::{AddDecayedWeights, Chain, LearningRate, Momentum as MomentumRule, Rule};
use super::{Preset, Schedule};
use crate::Result;

fn constant(learning_rate: f64) -> Schedule {
    Schedule::Constant { learning_rate }
}

/// Plain SGD with coupled L2 weight decay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// η(t).
    pub learning_rate: Schedule,
    /// λ ≥ 0 (default 0).
    pub weight_decay: f64,
}

impl Sgd {
    /// SGD at learning rate η, no weight decay (both libraries' default).
    #[must_use]
    pub fn new(learning_rate: f64) -> Self {
        Self { learning_rate: constant(learning_rate), weight_decay: 0.0 }
    }

    /// The composed rule.
    #[must_use]
    pub fn rule(&self) -> Chain<AddDecayedWeights, LearningRate> {
        AddDecayedWeights { weight_decay: self.weight_decay }
            .then(LearningRate { schedule: self.learning_rate.clone() })
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) naming the field.
    pub fn validate(&self) -> Result<()> {
        self.rule().validate()
    }
}

/// Heavy-ball momentum in the textbook form v ← γv − η(t)∇L, θ ← θ + v.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeavyBall {
    /// η(t), inside the velocity.
    pub learning_rate: Schedule,
    /// γ ∈ [0, 1).
    pub momentum: f64,
}

impl HeavyBall {
    /// Heavy ball with step η and momentum γ.
    #[must_use]
    pub fn new(learning_rate: f64, momentum: f64) -> Self {
        Self { learning_rate: constant(learning_rate), momentum }
    }

    /// The composed rule: −η(t) → momentum (so v₁ = −η₁g₁ and vₜ = γvₜ₋₁ − ηₜgₜ).
    #[must_use]
    pub fn rule(&self) -> Chain<LearningRate, MomentumRule> {
        LearningRate { schedule: self.learning_rate.clone() }.then(MomentumRule {
            momentum: self.momentum,
            dampening: 0.0,
            nesterov: false,
        })
    }
}

/// Momentum as `torch.optim.SGD(momentum=μ, dampening=τ, weight_decay=λ)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Momentum {
    /// η(t), outside the buffer.
    pub learning_rate: Schedule,
    /// μ ∈ [0, 1) (default 0.9).
    pub momentum: f64,
    /// τ ∈ [0, 1) (default 0).
    pub dampening: f64,
    /// λ ≥ 0 (default 0).
    pub weight_decay: f64,
}

/// The rule [`Momentum`] and [`Nesterov`] build.
pub type MomentumChain = Chain<Chain<AddDecayedWeights, MomentumRule>, LearningRate>;

impl Momentum {
    /// Momentum at learning rate η with μ = 0.9 (the libraries have no default μ; 0.9 is the
    /// customary choice).
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let _ = preset; // torch and optax build the same buffer (optax's `trace`).
        Self {
            learning_rate: constant(learning_rate),
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 0.0,
        }
    }

    /// The composed rule: weight decay → momentum → −η(t).
    #[must_use]
    pub fn rule(&self) -> MomentumChain {
        AddDecayedWeights { weight_decay: self.weight_decay }
            .then(MomentumRule {
                momentum: self.momentum,
                dampening: self.dampening,
                nesterov: false,
            })
            .then(LearningRate { schedule: self.learning_rate.clone() })
    }
}

/// Nesterov momentum in the reformulated form of torch's `SGD(nesterov=True)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nesterov {
    /// η(t).
    pub learning_rate: Schedule,
    /// μ ∈ (0, 1) (default 0.9).
    pub momentum: f64,
    /// λ ≥ 0 (default 0).
    pub weight_decay: f64,
}

impl Nesterov {
    /// Nesterov momentum at learning rate η with μ = 0.9.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let _ = preset;
        Self { learning_rate: constant(learning_rate), momentum: 0.9, weight_decay: 0.0 }
    }

    /// The composed rule: weight decay → Nesterov momentum → −η(t).
    #[must_use]
    pub fn rule(&self) -> MomentumChain {
        AddDecayedWeights { weight_decay: self.weight_decay }
            .then(MomentumRule { momentum: self.momentum, dampening: 0.0, nesterov: true })
            .then(LearningRate { schedule: self.learning_rate.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_order::Optimizer;

    /// Steps ½·a·θ² with the step API and returns the iterates.
    fn run<R: Rule>(rule: R, a: f64, steps: usize) -> Vec<f64> {
        let mut theta = [1.0];
        let mut opt = Optimizer::new(rule, 1).unwrap();
        let mut path = vec![theta[0]];
        for _ in 0..steps {
            let g = [a * theta[0]];
            opt.step(&mut theta, &g).unwrap();
            path.push(theta[0]);
        }
        path
    }

    #[test]
    fn sgd_on_a_parabola_follows_the_closed_form() {
        let path = run(Sgd::new(0.1).rule(), 3.0, 50);
        for (k, x) in path.iter().enumerate() {
            assert!((x - 0.7f64.powi(k as i32)).abs() < 1e-15, "k = {k}");
        }
    }

    #[test]
    fn textbook_and_torch_momentum_agree_at_a_constant_rate() {
        let textbook = run(HeavyBall::new(0.05, 0.9).rule(), 2.0, 100);
        let torch = run(Momentum::preset(Preset::Torch, 0.05).rule(), 2.0, 100);
        for (k, (a, b)) in textbook.iter().zip(&torch).enumerate() {
            assert!((a - b).abs() < 1e-14, "k = {k}: {a} vs {b}");
        }
        // By hand: θ₁ = 1 − 0.05·2 = 0.9; θ₂ = 0.9 − 0.05·(0.9·2 + 2·0.9) = 0.72.
        assert!((torch[1] - 0.9).abs() < 1e-15 && (torch[2] - 0.72).abs() < 1e-15);
    }

    #[test]
    fn a_schedule_separates_the_two_momentum_forms() {
        let schedule = Schedule::Step { learning_rate: 0.1, step_size: 1, gamma: 0.5 };
        let textbook =
            run(HeavyBall { learning_rate: schedule.clone(), momentum: 0.9 }.rule(), 1.0, 3);
        let torch = run(
            Momentum { learning_rate: schedule, ..Momentum::preset(Preset::Torch, 0.0) }.rule(),
            1.0,
            3,
        );
        assert_eq!(textbook[1], torch[1]);
        assert!((textbook[2] - torch[2]).abs() > 1e-3, "η changed at step 2");
    }
}
