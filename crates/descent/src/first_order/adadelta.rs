//! Adadelta: steps whose units come from the running size of past steps.
//!
//! Adadelta (Zeiler 2012, Algorithm 1) keeps, per parameter, exponential averages of the
//! squared gradient and of the squared step, and steps by the ratio of their roots, so the step
//! has the units of θ and needs no base rate (the paper has none; η = 1 is the paper):
//!
//! ```text
//! v₀ = u₀ = 0
//! g  ← ∇L(θ) + λ·θ                            (coupled L2, `Adadelta::weight_decay`)
//! v  ← ρv + (1 − ρ)g²                         (Alg. 1, line 4: E[g²])
//! δ  = √(u + ε)/√(v + ε)·g                    (line 5: RMS[Δθ]ₜ₋₁/RMS[g]ₜ·g)
//! u  ← ρu + (1 − ρ)δ²                         (line 6: E[Δθ²], of the step *before* η)
//! θ  ← θ − η(t)·δ                             (line 7, scaled by η)
//! ```
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (1.0) | given |
//! | ρ | `rho` | 0.9 | 0.9 |
//! | ε | `eps` | 1e-6 | 1e-6 |
//! | λ | `weight_decay` | 0 | 0 |
//!
//! The paper's experiments used ρ = 0.95, ε = 1e-6. ε sits inside both roots in the paper and
//! in both libraries, so there is no [`Epsilon`](super::Epsilon) choice here.
//!
//! **Where the libraries differ.** Nowhere in the update: both accumulate the unscaled δ, apply
//! η afterwards, and add λθ to the gradient first (optax's `add_decayed_weights` before
//! `scale_by_adadelta`). optax's `learning_rate` defaults to `None`, which makes its
//! `scale_by_learning_rate` the identity: the update +δ is then *added* to θ, an ascent. The
//! presets here take η explicitly and always descend; pass η = 1 for the paper's (and torch's
//! default) method.
//!
//! # Example
//! ```
//! use descent::first_order::{Adadelta, Optimizer, Preset};
//!
//! // ½‖θ‖² from (1, −2): the first steps are about √ε long, then grow with the steps taken.
//! let mut params = vec![1.0_f64, -2.0];
//! let mut opt = Optimizer::new(Adadelta::preset(Preset::Torch, 1.0).rule(), 2)?;
//! for _ in 0..2000 {
//!     let grads = params.clone();
//!     opt.step(&mut params, &grads)?;
//! }
//! assert!(params.iter().all(|p| p.abs() < 1e-6));
//! # Ok::<(), descent::Error>(())
//! ```
//!
//! Reference: M. D. Zeiler (2012), *ADADELTA: An Adaptive Learning Rate Method*,
//! arXiv:1212.5701 (Algorithm 1).

use serde::{Deserialize, Serialize};

use super::rule::{Coupled, Rule, StepInfo, coupled, epsilon, unit_interval_closed_open};
use super::{Preset, Real, Schedule};
use crate::Result;

/// Adadelta's scaling: δ = √(u + ε)/√(v + ε)·g with the two running averages. Slot (v, u):
/// the averages of g² and of δ².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByAdadelta {
    /// ρ ∈ [0, 1).
    pub rho: f64,
    /// ε > 0, inside both roots.
    pub eps: f64,
}

impl Rule for ScaleByAdadelta {
    type Slot<T: Real> = [T; 2];
    type Global = ();
    /// (ρ, 1 − ρ, ε).
    type Constants<T: Real> = (T, T, T);

    fn validate(&self) -> Result<()> {
        unit_interval_closed_open("rho", self.rho)?;
        epsilon("eps", self.eps).map(drop)
    }

    fn init_slot<T: Real>(&self) -> [T; 2] {
        [T::zero(); 2]
    }

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> (T, T, T) {
        (T::of(self.rho), T::of(1.0 - self.rho), T::of(self.eps))
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &(T, T, T), _param: T, g: T, slot: &mut [T; 2]) -> T {
        let (rho, one_minus_rho, eps) = *c;
        let [v, u] = slot;
        *v = rho * *v + one_minus_rho * g * g; // Alg. 1, line 4
        let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * g; // line 5, without the sign
        *u = rho * *u + one_minus_rho * delta * delta; // line 6
        delta
    }
}

/// Adadelta with coupled L2 weight decay (torch's `Adadelta(weight_decay=λ)`, optax's
/// `adadelta(weight_decay=λ)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adadelta {
    /// η(t) (1 in the paper and torch's default).
    pub learning_rate: Schedule,
    /// ρ ∈ [0, 1).
    pub rho: f64,
    /// ε > 0.
    pub eps: f64,
    /// λ ≥ 0, added to the gradient before the averages.
    pub weight_decay: f64,
}

/// The rule an [`Adadelta`] builds.
pub type AdadeltaRule = Coupled<ScaleByAdadelta>;

impl Adadelta {
    /// A library's Adadelta at a constant learning rate η: ρ = 0.9, ε = 1e-6, no weight decay
    /// (the two libraries agree).
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let _ = preset;
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
        }
    }

    /// The scaling alone.
    #[must_use]
    pub fn scaling(&self) -> ScaleByAdadelta {
        ScaleByAdadelta { rho: self.rho, eps: self.eps }
    }

    /// The composed rule: weight decay → Adadelta scaling → −η(t).
    #[must_use]
    pub fn rule(&self) -> AdadeltaRule {
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

    #[test]
    fn first_and_second_steps_by_hand() {
        // ρ = 0.9, ε = 1e-6, η = 1, g = 3 then 4, from θ = 0:
        // v₁ = 0.1·9 = 0.9, δ₁ = √ε/√(0.9 + ε)·3, u₁ = 0.1·δ₁²;
        // v₂ = 0.81 + 1.6 = 2.41, δ₂ = √(u₁ + ε)/√(2.41 + ε)·4.
        let eps: f64 = 1e-6;
        let delta1 = eps.sqrt() / (0.9f64 + eps).sqrt() * 3.0;
        let u1 = 0.1 * delta1 * delta1;
        let delta2 = (u1 + eps).sqrt() / (2.41f64 + eps).sqrt() * 4.0;
        let mut theta = [0.0];
        let mut opt = Optimizer::new(Adadelta::preset(Preset::Torch, 1.0).rule(), 1).unwrap();
        opt.step(&mut theta, &[3.0]).unwrap();
        assert!((theta[0] + delta1).abs() < 1e-18, "{} vs {}", theta[0], -delta1);
        assert!((delta1 - 3.162e-3).abs() < 1e-6, "≈ 3·√(ε/0.9)");
        opt.step(&mut theta, &[4.0]).unwrap();
        assert!((theta[0] + delta1 + delta2).abs() < 1e-17);
    }

    #[test]
    fn two_parameters_are_independent() {
        // The per-coordinate state: a 2-D step equals two 1-D steps.
        let rule = Adadelta { rho: 0.95, ..Adadelta::preset(Preset::Optax, 0.5) }.rule();
        let mut both = [1.0, -2.0];
        let mut pair = Optimizer::new(rule.clone(), 2).unwrap();
        let mut singles = [[1.0], [-2.0]].map(|x| (x, Optimizer::new(rule.clone(), 1).unwrap()));
        for g in [[0.5, -3.0], [0.25, 1.0], [-1.0, 2.0]] {
            pair.step(&mut both, &g).unwrap();
            for ((x, opt), gi) in singles.iter_mut().zip(g) {
                opt.step(x, &[gi]).unwrap();
            }
        }
        assert_eq!(both, [singles[0].0[0], singles[1].0[0]]);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let named = |config: Adadelta| match config.validate() {
            Err(Error::InvalidHyperparameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        let torch = Adadelta::preset(Preset::Torch, 1.0);
        assert_eq!(named(Adadelta::preset(Preset::Torch, -1.0)), "learning_rate");
        assert_eq!(named(Adadelta { rho: 1.0, ..torch.clone() }), "rho");
        assert_eq!(named(Adadelta { rho: -0.1, ..torch.clone() }), "rho");
        assert_eq!(named(Adadelta { eps: 0.0, ..torch.clone() }), "eps");
        assert_eq!(named(Adadelta { eps: -1e-6, ..torch }), "eps");
    }
}
