//! Lion (EvoLved Sign Momentum): every coordinate steps by exactly ±η, in the direction of the
//! sign of an interpolation between the momentum and the gradient.
//!
//! Lion was found by program search (Chen et al. 2023). It keeps one moment, like SGD with
//! momentum, but uses it through a sign, like signSGD, so its steps have the same size in every
//! coordinate; and it interpolates with the momentum *twice*, with a smaller β₁ for the step
//! than the β₂ that updates the buffer, a cheap form of Nesterov's look-ahead:
//!
//! ```text
//! m₀ = 0
//! c  = β₁m + (1 − β₁)g                   (the interpolation)
//! θ  ← θ − η(t)·(sign(c) + λθ)           (decoupled weight decay)
//! m  ← β₂m + (1 − β₂)g
//! ```
//!
//! sign(0) = 0, as `jnp.sign`: a coordinate whose gradients have all been 0 does not move
//! (`f64::signum` would give +1).
//!
//! | symbol | field | optax |
//! |---|---|---|
//! | η | `learning_rate` | given (the paper: 3–10× smaller than AdamW's) |
//! | β₁ | `beta1` | 0.9 |
//! | β₂ | `beta2` | 0.99 |
//! | λ | `weight_decay` | 1e-3 (the paper: 3–10× larger than AdamW's) |
//!
//! **Where the libraries differ.** PyTorch has no Lion; this is optax's `lion`
//! (`scale_by_lion` → `add_decayed_weights` → `scale_by_learning_rate`), in its default
//! `mode='hard'` (a true sign), which is the paper's algorithm line for line.
//!
//! Reference: X. Chen, C. Liang, D. Huang, E. Real, K. Wang, H. Pham, X. Dong, T. Luong,
//! C.-J. Hsieh, Y. Lu and Q. V. Le, *Symbolic Discovery of Optimization Algorithms*, NeurIPS
//! 2023.
//!
//! # Example
//! Steps of a fixed size ±η cannot settle closer to the minimiser than about η, so this run
//! decays η.
//! ```
//! use descent::first_order::{Lion, Optimizer, Schedule};
//!
//! let lion = Lion {
//!     learning_rate: Schedule::Exponential { learning_rate: 0.05, gamma: 0.99 },
//!     ..Lion::new(0.05)
//! };
//! let mut params = vec![1.0_f64, -2.0];
//! let mut opt = Optimizer::new(lion.rule(), params.len())?;
//! for _ in 0..1000 {
//!     let grads = [2.0 * (params[0] - 0.5), 20.0 * (params[1] + 0.25)];
//!     opt.step(&mut params, &grads)?;
//! }
//! assert!((params[0] - 0.5).abs() < 1e-3 && (params[1] + 0.25).abs() < 1e-3);
//! # Ok::<(), descent::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::rule::{AddDecayedWeights, Chain, LearningRate, Rule, StepInfo};
use super::{Real, Schedule};
use crate::Result;

/// The Lion direction: u ← sign(β₁m + (1 − β₁)u). Slot m.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByLion {
    /// β₁ ∈ [0, 1), the interpolation for the step.
    pub beta1: f64,
    /// β₂ ∈ [0, 1), the decay of the momentum.
    pub beta2: f64,
}

/// Per-step constants of [`ScaleByLion`]: (β₁, 1 − β₁, β₂, 1 − β₂).
#[derive(Debug, Clone, Copy)]
pub struct LionConstants<T> {
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
}

/// sign(x) with sign(±0) = ±0 and sign(NaN) = NaN, as `jnp.sign`.
#[inline(always)]
fn sign<T: Real>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x
    }
}

impl Rule for ScaleByLion {
    type Slot<T: Real> = T;
    type Global = ();
    type Constants<T: Real> = LionConstants<T>;

    fn validate(&self) -> Result<()> {
        super::rule::unit_interval_closed_open("beta1", self.beta1)?;
        super::rule::unit_interval_closed_open("beta2", self.beta2).map(drop)
    }

    fn init_slot<T: Real>(&self) -> T {
        T::zero()
    }

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> LionConstants<T> {
        LionConstants {
            beta1: T::of(self.beta1),
            one_minus_beta1: T::of(1.0 - self.beta1),
            beta2: T::of(self.beta2),
            one_minus_beta2: T::of(1.0 - self.beta2),
        }
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &LionConstants<T>, _param: T, g: T, m: &mut T) -> T {
        let direction = sign(c.one_minus_beta1 * g + c.beta1 * *m);
        *m = c.one_minus_beta2 * g + c.beta2 * *m;
        direction
    }
}

/// Lion with decoupled weight decay (optax's `lion`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lion {
    /// η(t).
    pub learning_rate: Schedule,
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// λ ≥ 0, decoupled: θ ← θ − η(t)·λθ.
    pub weight_decay: f64,
}

/// The rule a [`Lion`] builds.
pub type LionRule = Chain<Chain<ScaleByLion, AddDecayedWeights>, LearningRate>;

impl Lion {
    /// optax's `lion` at learning rate η (β₁ = 0.9, β₂ = 0.99, λ = 1e-3); torch has none.
    #[must_use]
    pub fn new(learning_rate: f64) -> Self {
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            beta1: 0.9,
            beta2: 0.99,
            weight_decay: 1e-3,
        }
    }

    /// The composed rule: sign of the interpolation → decoupled decay → −η(t).
    #[must_use]
    pub fn rule(&self) -> LionRule {
        ScaleByLion { beta1: self.beta1, beta2: self.beta2 }
            .then(AddDecayedWeights { weight_decay: self.weight_decay })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_order::Optimizer;

    #[test]
    fn first_and_second_steps_by_hand() {
        // θ₀ = (1, −2, 0.5), λ = 0.1, η = 0.01.
        // Step 1, g = (3, −0.02, 0): c = 0.1g, sign = (1, −1, 0);
        //   θ₁ = θ₀ − η(sign + λθ₀) = (0.989, −1.988, 0.4995); m₁ = 0.01g = (0.03, −0.0002, 0).
        // Step 2, g = (−1, −1, 0): c = 0.9m₁ + 0.1g = (−0.073, −0.10018, 0), sign = (−1, −1, 0);
        //   θ₂ = θ₁ − η(sign + λθ₁).
        let lion = Lion { weight_decay: 0.1, ..Lion::new(0.01) };
        let mut params: [f64; 3] = [1.0, -2.0, 0.5];
        let mut opt = Optimizer::new(lion.rule(), 3).unwrap();
        opt.step(&mut params, &[3.0, -0.02, 0.0]).unwrap();
        let theta1 = [0.989, -1.988, 0.4995];
        for k in 0..3 {
            assert!((params[k] - theta1[k]).abs() < 1e-15, "{params:?}");
        }
        opt.step(&mut params, &[-1.0, -1.0, 0.0]).unwrap();
        let sign2 = [-1.0, -1.0, 0.0];
        for k in 0..3 {
            let expected = theta1[k] - 0.01 * (sign2[k] + 0.1 * theta1[k]);
            assert!((params[k] - expected).abs() < 1e-15, "{params:?}");
        }
    }

    #[test]
    fn the_sign_of_zero_is_zero() {
        assert_eq!(sign(0.0f64), 0.0);
        assert_eq!(sign(-0.0f64).to_bits(), (-0.0f64).to_bits());
        assert!(sign(f64::NAN).is_nan());
        assert_eq!(sign(-1e-300f64), -1.0);
        assert_eq!(sign(2.5f32), 1.0);
        // Without weight decay a coordinate with zero gradients never moves.
        let lion = Lion { weight_decay: 0.0, ..Lion::new(0.1) };
        let mut params: [f64; 2] = [0.25, 0.0];
        let mut opt = Optimizer::new(lion.rule(), 2).unwrap();
        for _ in 0..3 {
            opt.step(&mut params, &[0.0, 1.0]).unwrap();
        }
        assert_eq!(params[0], 0.25);
        assert!((params[1] + 0.3).abs() < 1e-15);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let base = Lion::new(1e-3);
        for (bad, name) in [
            (Lion { beta1: 1.0, ..base.clone() }, "beta1"),
            (Lion { beta2: -0.01, ..base.clone() }, "beta2"),
            (Lion { weight_decay: f64::NAN, ..base.clone() }, "weight_decay"),
            (Lion::new(0.0), "learning_rate"),
        ] {
            match bad.validate() {
                Err(crate::Error::InvalidHyperparameter { name: got, .. }) => {
                    assert_eq!(got, name);
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
