//! Adagrad: steps scaled by the root of each coordinate's running sum of squared gradients.
//!
//! Adagrad (Duchi, Hazan & Singer 2011) divides each coordinate's gradient by the square root of
//! the sum of all its past squares, so coordinates with large or frequent gradients take small
//! steps and rare ones large steps; the effective rate only ever shrinks:
//!
//! ```text
//! s₀ = s_init
//! g  ← ∇L(θ) + λ·θ                      (coupled L2, `Adagrad::weight_decay`)
//! s  ← s + g²                           (Fig. 1, diagonal form: Σ of the squares)
//! θ  ← θ − η(t)·g/(√s + ε)              (ε outside √: torch; the paper's δI + diag(√s))
//! θ  ← θ − η(t)·g/√(s + ε), 0 if s = 0   (ε inside √: optax)
//! ```
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (1e-2) | given |
//! | s_init | `initial_accumulator` | 0 | 0.1 |
//! | ε | `eps` | 1e-10 | 1e-7 |
//! | ε placement | `epsilon` | [`Epsilon::OutsideSqrt`] | [`Epsilon::InsideSqrt`] |
//! | λ | `weight_decay` | 0 | (none) |
//!
//! **Where the libraries differ.** Besides ε and the accumulator's start (above): torch's
//! `lr_decay` d divides the rate, clr = lr/(1 + (t − 1)·d) at step t; here that is the schedule
//! [`Schedule::InverseTime`]` { learning_rate: lr, decay: d }`, and any other schedule works
//! too. optax computes `jnp.where(s > 0, rsqrt(s + eps), 0) * g`: where the sum is exactly 0
//! the step is 0, which [`ScaleByAdagrad`] reproduces under [`Epsilon::InsideSqrt`]. It matters
//! only when s = 0, that is when the accumulator starts at 0 and every gradient so far was 0 or
//! so small that its square underflowed (|g| < 1e-162 in f64, < 1e-22 in f32): torch's formula
//! then gives g/ε, optax's 0.
//!
//! # Example
//! ```
//! use descent::first_order::{Adagrad, FirstOrder, Preset};
//! use descent::{minimize, Options, problems::Booth};
//!
//! let method = FirstOrder::new(Adagrad::preset(Preset::Torch, 1.0).rule());
//! let options = Options { max_iter: 5000, gtol: 1e-8, ..Options::default() };
//! let report = minimize(&Booth::new(), &[0.0, 0.0], method, &options)?;
//! assert!((report.x[0] - 1.0).abs() < 1e-6 && (report.x[1] - 3.0).abs() < 1e-6);
//! # Ok::<(), descent::Error>(())
//! ```
//!
//! Reference: J. Duchi, E. Hazan & Y. Singer (2011), *Adaptive Subgradient Methods for Online
//! Learning and Stochastic Optimization*, JMLR 12, 2121–2159 (Figure 1, diagonal AdaGrad).

use serde::{Deserialize, Serialize};

use super::rule::{Coupled, Rule, StepInfo, coupled, epsilon};
use super::{Epsilon, Preset, Real, Schedule};
use crate::Result;
use crate::error::tolerance;

/// Adagrad's preconditioner: s ← s + g², u ← g/denominator(s, ε). Slot s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByAdagrad {
    /// s₀ ≥ 0, the accumulator's value before the first step.
    pub initial_accumulator: f64,
    /// ε > 0.
    pub eps: f64,
    /// Where ε enters; [`Epsilon::InsideSqrt`] also returns 0 where s = 0, as optax does.
    pub epsilon: Epsilon,
}

impl Rule for ScaleByAdagrad {
    type Slot<T: Real> = T;
    type Global = ();
    /// ε.
    type Constants<T: Real> = T;

    fn validate(&self) -> Result<()> {
        tolerance("initial_accumulator", self.initial_accumulator)?;
        epsilon("eps", self.eps).map(drop)
    }

    fn init_slot<T: Real>(&self) -> T {
        T::of(self.initial_accumulator)
    }

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> T {
        T::of(self.eps)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, eps: &T, _param: T, g: T, s: &mut T) -> T {
        *s = *s + g * g; // Fig. 1: the running sum of squares
        let u = g / self.epsilon.denominator(*s, *eps);
        match self.epsilon {
            Epsilon::OutsideSqrt => u,
            // optax: where(s > 0, rsqrt(s + ε), 0)·g (a NaN sum also takes the 0 branch).
            Epsilon::InsideSqrt => {
                if *s > T::zero() {
                    u
                } else {
                    T::zero() * g
                }
            }
        }
    }
}

/// Adagrad with coupled L2 weight decay (torch's `Adagrad(weight_decay=λ)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adagrad {
    /// η(t); torch's `lr_decay` d is [`Schedule::InverseTime`] with `decay: d`.
    pub learning_rate: Schedule,
    /// s₀ ≥ 0 (torch's `initial_accumulator_value`).
    pub initial_accumulator: f64,
    /// ε > 0.
    pub eps: f64,
    /// Where ε enters the denominator.
    pub epsilon: Epsilon,
    /// λ ≥ 0, added to the gradient before it is accumulated.
    pub weight_decay: f64,
}

/// The rule an [`Adagrad`] builds.
pub type AdagradRule = Coupled<ScaleByAdagrad>;

impl Adagrad {
    /// A library's Adagrad at a constant learning rate η: torch's ε = 1e-10 outside the root and
    /// s₀ = 0, or optax's ε = 1e-7 inside and s₀ = 0.1.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let (initial_accumulator, eps, epsilon) = match preset {
            Preset::Torch => (0.0, 1e-10, Epsilon::OutsideSqrt),
            Preset::Optax => (0.1, 1e-7, Epsilon::InsideSqrt),
        };
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            initial_accumulator,
            eps,
            epsilon,
            weight_decay: 0.0,
        }
    }

    /// The preconditioner alone.
    #[must_use]
    pub fn scaling(&self) -> ScaleByAdagrad {
        ScaleByAdagrad {
            initial_accumulator: self.initial_accumulator,
            eps: self.eps,
            epsilon: self.epsilon,
        }
    }

    /// The composed rule: weight decay → Adagrad scaling → −η(t).
    #[must_use]
    pub fn rule(&self) -> AdagradRule {
        coupled(self.weight_decay, self.scaling(), &self.learning_rate)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) naming the field.
    pub fn validate(&self) -> Result<()> {
        self.rule().validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::first_order::Optimizer;

    /// θ after each of the given gradients, from θ₀ = 0.
    fn steps(config: &Adagrad, grads: &[f64]) -> Vec<f64> {
        let mut theta = [0.0];
        let mut opt = Optimizer::new(config.rule(), 1).unwrap();
        grads
            .iter()
            .map(|g| {
                opt.step(&mut theta, &[*g]).unwrap();
                theta[0]
            })
            .collect()
    }

    #[test]
    fn torch_first_and_second_steps_by_hand() {
        // s₁ = 9, u₁ = 3/(3 + ε); s₂ = 9 + 16 = 25, u₂ = 4/(5 + ε).
        let path = steps(&Adagrad::preset(Preset::Torch, 0.1), &[3.0, 4.0]);
        let eps = 1e-10;
        let theta1 = -0.1 * 3.0 / (3.0 + eps);
        let theta2 = theta1 - 0.1 * 4.0 / (5.0 + eps);
        assert!((path[0] - theta1).abs() < 1e-15 && (path[1] - theta2).abs() < 1e-15);
        assert!((path[1] + 0.18).abs() < 1e-10, "≈ −0.1·(1 + 0.8)");
    }

    #[test]
    fn optax_first_and_second_steps_by_hand() {
        // s₁ = 0.1 + 9 = 9.1, u₁ = 3/√(9.1 + ε); s₂ = 25.1, u₂ = 4/√(25.1 + ε).
        let path = steps(&Adagrad::preset(Preset::Optax, 0.1), &[3.0, 4.0]);
        let eps = 1e-7;
        let theta1 = -0.1 * 3.0 / (9.1f64 + eps).sqrt();
        let theta2 = theta1 - 0.1 * 4.0 / (25.1f64 + eps).sqrt();
        assert!((path[0] - theta1).abs() < 1e-15 && (path[1] - theta2).abs() < 1e-15);
    }

    #[test]
    fn torch_lr_decay_is_an_inverse_time_schedule() {
        // clr at step 2 = 0.1/(1 + 1·0.5); g = 1 twice: s = 1, then 2.
        let config = Adagrad {
            learning_rate: Schedule::InverseTime { learning_rate: 0.1, decay: 0.5 },
            ..Adagrad::preset(Preset::Torch, 0.1)
        };
        let path = steps(&config, &[1.0, 1.0]);
        let expected = -0.1 / (1.0 + 1e-10) - 0.1 / 1.5 / (2f64.sqrt() + 1e-10);
        assert!((path[1] - expected).abs() < 1e-15);
    }

    #[test]
    fn an_empty_accumulator_gives_zero_under_optax_and_g_over_eps_under_torch() {
        // g² underflows to 0, so s stays 0.
        let tiny = 1e-200;
        let optax = Adagrad { initial_accumulator: 0.0, ..Adagrad::preset(Preset::Optax, 1.0) };
        assert_eq!(steps(&optax, &[tiny, 0.0]), [0.0, 0.0]);
        let torch = steps(&Adagrad::preset(Preset::Torch, 1.0), &[tiny]);
        assert!((torch[0] + tiny / 1e-10).abs() <= 1e-15 * tiny / 1e-10);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let named = |config: Adagrad| match config.validate() {
            Err(Error::InvalidHyperparameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(named(Adagrad::preset(Preset::Torch, -0.1)), "learning_rate");
        assert_eq!(named(Adagrad { eps: 0.0, ..Adagrad::preset(Preset::Torch, 0.1) }), "eps");
        let negative_start =
            Adagrad { initial_accumulator: -1.0, ..Adagrad::preset(Preset::Optax, 0.1) };
        assert_eq!(named(negative_start), "initial_accumulator");
        assert_eq!(
            named(Adagrad { weight_decay: -1.0, ..Adagrad::preset(Preset::Torch, 0.1) }),
            "weight_decay"
        );
    }
}
