//! Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm.
//!
//! Adamax (Kingma & Ba 2015, §7.1, Algorithm 2) lets the order p of Adam's moment grow to ∞:
//! the average of |g|ᵖ becomes a decaying running maximum of |g|, which needs no bias
//! correction and makes the step bounded by η/(1 − β₁ᵗ) whatever the gradient's scale:
//!
//! ```text
//! m₀ = u₀ = 0
//! g  ← ∇L(θ) + λ·θ                       (coupled L2, `Adamax::weight_decay`)
//! m  ← β₁m + (1 − β₁)g                   (Alg. 2, line 7)
//! u  ← max(β₂u, |g| + ε)                 (line 8, ε inside the max: torch and optax)
//! θ  ← θ − η(t)/(1 − β₁ᵗ) · m/u          (line 9)
//! ```
//!
//! With [`AdamaxEpsilon::Denominator`] the ε moves out of the maximum: u ← max(β₂u, |g|) and
//! θ ← θ − η(t)/(1 − β₁ᵗ) · m/(u + ε). The paper has no ε at all; it is there so that a
//! coordinate whose gradient has always been 0 does not divide 0 by 0.
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (2e-3) | given |
//! | β₁, β₂ | `beta1`, `beta2` | 0.9, 0.999 | 0.9, 0.999 |
//! | ε | `eps` | 1e-8 | 1e-8 |
//! | placement of ε | `epsilon` | [`InsideMax`](AdamaxEpsilon::InsideMax) | [`InsideMax`](AdamaxEpsilon::InsideMax) |
//! | λ | `weight_decay` | 0 (coupled) | none |
//!
//! **Where the libraries differ.** Hardly at all. torch (`_single_tensor_adamax`) folds the
//! bias correction into the step size, θ ← θ − (η/(1 − β₁ᵗ))·m/u; optax (`scale_by_adamax`)
//! corrects m first, (m/(1 − β₁ᵗ))/u, then scales by −η: the same update, rounded differently.
//! Both put ε inside the maximum (optax's `update_infinity_moment` computes
//! `max(|g| + eps, b2·u)`), so the one preset suits both. torch adds coupled L2 decay;
//! optax's `adamax` has none, and its `adamaxw` decouples it — compose that by hand:
//! `ScaleByAdamax → AddDecayedWeights → LearningRate`.
//!
//! Reference: D. P. Kingma and J. Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015,
//! §7.1 and Algorithm 2.
//!
//! # Example
//! ```
//! use descent::first_order::{Adamax, FirstOrder, Preset};
//! use descent::{minimize, Options, problems::Booth};
//!
//! let method = FirstOrder::new(Adamax::preset(Preset::Torch, 0.1).rule());
//! let options = Options { max_iter: 5000, gtol: 1e-6, ..Options::default() };
//! let report = minimize(&Booth::new(), &[0.0, 0.0], method, &options)?;
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 3.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::rule::{Coupled, Rule, StepInfo, coupled, epsilon, unit_interval_closed_open};
use super::{Preset, Real, Schedule};
use crate::Result;

/// Where Adamax's ε enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdamaxEpsilon {
    /// u ← max(β₂u, |g| + ε), step m̂/u: ε is remembered by the norm (torch, optax).
    InsideMax,
    /// u ← max(β₂u, |g|), step m̂/(u + ε): the norm is the paper's, ε only guards the division.
    Denominator,
}

/// The Adamax moments: u ← m̂/u with u the decaying infinity norm. Slot (m, u).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByAdamax {
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0.
    pub eps: f64,
    /// Where ε enters.
    pub epsilon: AdamaxEpsilon,
}

/// Per-step constants of [`ScaleByAdamax`].
#[derive(Debug, Clone, Copy)]
pub struct AdamaxConstants<T> {
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    /// 1/(1 − β₁ᵗ)
    correction1: T,
    eps: T,
}

impl Rule for ScaleByAdamax {
    type Slot<T: Real> = [T; 2];
    type Global = ();
    type Constants<T: Real> = AdamaxConstants<T>;

    fn validate(&self) -> Result<()> {
        unit_interval_closed_open("beta1", self.beta1)?;
        unit_interval_closed_open("beta2", self.beta2)?;
        epsilon("eps", self.eps).map(drop)
    }

    fn init_slot<T: Real>(&self) -> [T; 2] {
        [T::zero(); 2]
    }

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> AdamaxConstants<T> {
        // β₁ᵗ in f64 whatever T, as both libraries compute it in Python floats.
        let t = i32::try_from(info.step).unwrap_or(i32::MAX);
        AdamaxConstants {
            beta1: T::of(self.beta1),
            one_minus_beta1: T::of(1.0 - self.beta1),
            beta2: T::of(self.beta2),
            correction1: T::of(1.0 / (1.0 - self.beta1.powi(t))),
            eps: T::of(self.eps),
        }
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &AdamaxConstants<T>, _param: T, g: T, slot: &mut [T; 2]) -> T {
        let [m, u] = slot;
        *m = c.beta1 * *m + c.one_minus_beta1 * g; // Alg. 2, line 7
        let m_hat = *m * c.correction1;
        match self.epsilon {
            AdamaxEpsilon::InsideMax => {
                *u = (c.beta2 * *u).max(g.abs() + c.eps); // line 8, with ε
                m_hat / *u // line 9, without η
            }
            AdamaxEpsilon::Denominator => {
                *u = (c.beta2 * *u).max(g.abs()); // line 8
                m_hat / (*u + c.eps)
            }
        }
    }
}

/// Adamax with coupled L2 weight decay (torch's `Adamax`, optax's `adamax`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adamax {
    /// η(t).
    pub learning_rate: Schedule,
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0.
    pub eps: f64,
    /// Where ε enters.
    pub epsilon: AdamaxEpsilon,
    /// λ ≥ 0, added to the gradient before the moments.
    pub weight_decay: f64,
}

/// The rule an [`Adamax`] builds.
pub type AdamaxRule = Coupled<ScaleByAdamax>;

impl Adamax {
    /// A library's Adamax at learning rate η (torch's default η is 2e-3; optax has none).
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        // torch and optax agree on the defaults and on where ε goes.
        let _ = preset;
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            epsilon: AdamaxEpsilon::InsideMax,
            weight_decay: 0.0,
        }
    }

    /// The moment rule alone, for composing by hand.
    #[must_use]
    pub fn moments(&self) -> ScaleByAdamax {
        ScaleByAdamax { beta1: self.beta1, beta2: self.beta2, eps: self.eps, epsilon: self.epsilon }
    }

    /// The composed rule: weight decay → Adamax moments → −η(t).
    #[must_use]
    pub fn rule(&self) -> AdamaxRule {
        coupled(self.weight_decay, self.moments(), &self.learning_rate)
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

    const EPS: f64 = 1e-8;

    fn steps(epsilon: AdamaxEpsilon, grads: &[[f64; 2]]) -> [f64; 2] {
        let adamax = Adamax { epsilon, ..Adamax::preset(Preset::Torch, 0.1) };
        let mut params = [0.0; 2];
        let mut opt = Optimizer::new(adamax.rule(), 2).unwrap();
        for g in grads {
            opt.step(&mut params, g).unwrap();
        }
        params
    }

    #[test]
    fn first_step_by_hand() {
        // m₁ = (1 − β₁)g, m̂₁ = g; u₁ = |g| + ε (inside) or |g| (denominator):
        // θ₁ = −η·g/(|g| + ε) either way.
        let g = [3.0, -0.5];
        for epsilon in [AdamaxEpsilon::InsideMax, AdamaxEpsilon::Denominator] {
            let params = steps(epsilon, &[g]);
            for (p, g) in params.iter().zip(g) {
                let expected = -0.1 * g / (g.abs() + EPS);
                assert!((p - expected).abs() <= 1e-15, "{epsilon:?}: {p} vs {expected}");
            }
        }
    }

    #[test]
    fn second_step_by_hand() {
        // g₁ = (3, −0.5), g₂ = (1, −2).
        // m₂ = 0.9·0.1·g₁ + 0.1·g₂ = (0.37, −0.245); 1 − β₁² = 0.19.
        // Inside:      u₂ = max(0.999·(|g₁| + ε), |g₂| + ε) = (2.997 + 0.999ε, 2 + ε).
        // Denominator: u₂ = max(0.999·|g₁|, |g₂|) = (2.997, 2), divided by u₂ + ε.
        let g = [[3.0, -0.5], [1.0, -2.0]];
        let step1 = [-0.1 * 3.0 / (3.0 + EPS), 0.1 * 0.5 / (0.5 + EPS)];
        let m2 = [0.37, -0.245];
        for (epsilon, denominators) in [
            (AdamaxEpsilon::InsideMax, [2.997 + 0.999 * EPS, 2.0 + EPS]),
            (AdamaxEpsilon::Denominator, [2.997 + EPS, 2.0 + EPS]),
        ] {
            let params = steps(epsilon, &g);
            for k in 0..2 {
                let expected = step1[k] - 0.1 / 0.19 * m2[k] / denominators[k];
                assert!(
                    (params[k] - expected).abs() <= 1e-14,
                    "{epsilon:?}: {} vs {expected}",
                    params[k]
                );
            }
        }
    }

    #[test]
    fn a_zero_gradient_coordinate_stays_put() {
        for epsilon in [AdamaxEpsilon::InsideMax, AdamaxEpsilon::Denominator] {
            let params = steps(epsilon, &[[0.0, 1.0], [0.0, 1.0]]);
            assert_eq!(params[0], 0.0, "{epsilon:?}");
        }
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let base = Adamax::preset(Preset::Optax, 0.01);
        for (bad, name) in [
            (Adamax { beta1: 1.0, ..base.clone() }, "beta1"),
            (Adamax { beta2: -0.1, ..base.clone() }, "beta2"),
            (Adamax { eps: 0.0, ..base.clone() }, "eps"),
            (Adamax { weight_decay: -1.0, ..base.clone() }, "weight_decay"),
            (Adamax::preset(Preset::Torch, 0.0), "learning_rate"),
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
