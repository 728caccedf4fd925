//! NAdam: Adam with Nesterov momentum — the step uses the momentum one step ahead.
//!
//! Dozat (2016) applies Nesterov's look-ahead to Adam's first moment: instead of m̂ₜ, the step
//! uses the bias-corrected blend of the *next* momentum and the current gradient. He also lets
//! the momentum warm up, μₜ = β₁(1 − ½·0.96^{tψ}), and corrects the bias with the running
//! product of the μ's rather than with β₁ᵗ. PyTorch's `NAdam` follows him; optax's `nadam`
//! (`scale_by_adam(nesterov=True)`) keeps μₜ = β₁ ([`NadamMomentum::Constant`]):
//!
//! ```text
//! m₀ = v₀ = 0, Π₀ = 1
//! g  ← ∇L(θ) + λ·θ                                   (coupled L2, `NAdam::weight_decay`)
//! μₜ = β₁(1 − ½·0.96^{tψ}),  Πₜ = Πₜ₋₁·μₜ            (Dozat's schedule; constant: μₜ = β₁, Πₜ = β₁ᵗ)
//! m  ← β₁m + (1 − β₁)g
//! v  ← β₂v + (1 − β₂)g²,   v̂ = v/(1 − β₂ᵗ)
//! m̄ = μₜ₊₁·m/(1 − Πₜμₜ₊₁) + (1 − μₜ)·g/(1 − Πₜ)      (the Nesterov blend)
//! θ  ← θ − η(t)·m̄/(√(v̂ + ε_root) + ε)
//! ```
//!
//! With μₜ = β₁ the blend is optax's β₁·m/(1 − β₁ᵗ⁺¹) + (1 − β₁)·g/(1 − β₁ᵗ). Decoupled weight
//! decay ([`NAdamW`], torch's `decoupled_weight_decay=True`, optax's `nadamw`) is placed after
//! the moments and before the learning rate, as in AdamW: θ ← θ − η(t)·(m̄/(√v̂ + ε) + λθ).
//!
//! The product Πₜ is a scalar carried across steps: it lives in the optimizer's
//! [`OptimizerState::global`](super::OptimizerState::global) ([`MomentumProduct`]), so a
//! saved and resumed run continues bit for bit.
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (2e-3) | given |
//! | β₁, β₂ | `beta1`, `beta2` | 0.9, 0.999 | 0.9, 0.999 |
//! | ε | `eps` | 1e-8 | 1e-8 |
//! | ε_root | `eps_root` | 0 | 0 |
//! | μₜ | `momentum` | [`Dozat`](NadamMomentum::Dozat) ψ = 4e-3, Π in f32 | [`Constant`](NadamMomentum::Constant) |
//! | λ | `weight_decay` ([`NAdam`], coupled) | 0 | none |
//! | λ | `weight_decay` ([`NAdamW`], decoupled) | 0 | 1e-4 (`nadamw`) |
//!
//! **Where the libraries differ.** The momentum schedule, above. torch keeps Π in a 0-d tensor
//! of its default scalar dtype — `float32` unless `torch.set_default_dtype(torch.float64)` —
//! and multiplies it there, fl32(Π·fl32(μₜ)); the next product Πₜμₜ₊₁ and everything else are
//! Python floats. That rounding (~3e-8 relative in Π) moves the iterates of the parity problem by
//! 2e-10 relative, against 1e-15 when it is reproduced, so the torch preset reproduces it
//! ([`ProductPrecision::Single`]); [`ProductPrecision::Double`] is torch under a float64 default
//! dtype, and the more accurate choice. torch applies the two halves of the
//! blend to θ as two separate `addcdiv`s and its decoupled decay as θ·(1 − ηλ) before them;
//! here they are one update, the same to rounding. As optax's source remarks, Dozat's
//! Algorithm 2 also multiplies v̂ by β₂; neither library does, nor does this rule.
//!
//! Reference: T. Dozat, *Incorporating Nesterov Momentum into Adam*, ICLR 2016 workshop track,
//! Algorithm 2.
//!
//! # Example
//! ```
//! use descent::first_order::{FirstOrder, NAdam, Preset};
//! use descent::{minimize, Options, problems::Booth};
//!
//! let method = FirstOrder::new(NAdam::preset(Preset::Torch, 0.1).rule());
//! let options = Options { max_iter: 5000, gtol: 1e-6, ..Options::default() };
//! let report = minimize(&Booth::new(), &[0.0, 0.0], method, &options)?;
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 3.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::rule::{
    Coupled, Decoupled, Rule, StepInfo, coupled, decoupled, epsilon, unit_interval_closed_open,
};
use super::{Preset, Real, Schedule};
use crate::Result;
use crate::error::tolerance;

/// The precision in which the running product of momenta Πₜ is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductPrecision {
    /// Rounded to `f32` after every product, as torch does under its default `float32` dtype.
    Single,
    /// `f64` throughout (torch under `torch.set_default_dtype(torch.float64)`).
    Double,
}

/// NAdam's momentum schedule μₜ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NadamMomentum {
    /// Dozat's warm-up μₜ = β₁(1 − ½·0.96^{tψ}), bias-corrected by the running product Πₜ
    /// (torch).
    Dozat {
        /// ψ ≥ 0 (torch's `momentum_decay`, default 4e-3).
        momentum_decay: f64,
        /// The precision of Πₜ.
        product: ProductPrecision,
    },
    /// μₜ = β₁, bias-corrected by β₁ᵗ (optax's `nadam`).
    Constant,
}

/// NAdam's scalar state: Πₜ = μ₁⋯μₜ, the product of the momenta so far (1 before the first
/// step). Unused, and left at 1, by [`NadamMomentum::Constant`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MomentumProduct(pub f64);

impl Default for MomentumProduct {
    fn default() -> Self {
        Self(1.0)
    }
}

/// The NAdam moments: u ← m̄/(√(v̂ + ε_root) + ε). Slot (m, v); scalar state Πₜ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByNadam {
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0, outside the square root.
    pub eps: f64,
    /// ε_root ≥ 0, inside the square root.
    pub eps_root: f64,
    /// The momentum schedule.
    pub momentum: NadamMomentum,
}

/// Per-step constants of [`ScaleByNadam`].
#[derive(Debug, Clone, Copy)]
pub struct NadamConstants<T> {
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
    /// (1 − μₜ)/(1 − Πₜ), the gradient's weight in the blend.
    gradient_weight: T,
    /// μₜ₊₁/(1 − Πₜμₜ₊₁), the momentum's weight in the blend.
    momentum_weight: T,
    /// 1/(1 − β₂ᵗ)
    correction2: T,
    eps: T,
    eps_root: T,
}

impl Rule for ScaleByNadam {
    type Slot<T: Real> = [T; 2];
    type Global = MomentumProduct;
    type Constants<T: Real> = NadamConstants<T>;

    fn validate(&self) -> Result<()> {
        unit_interval_closed_open("beta1", self.beta1)?;
        unit_interval_closed_open("beta2", self.beta2)?;
        epsilon("eps", self.eps)?;
        tolerance("eps_root", self.eps_root)?;
        if let NadamMomentum::Dozat { momentum_decay, .. } = self.momentum {
            tolerance("momentum_decay", momentum_decay)?;
        }
        Ok(())
    }

    fn init_slot<T: Real>(&self) -> [T; 2] {
        [T::zero(); 2]
    }

    fn constants<T: Real>(
        &self,
        info: &StepInfo,
        product: &mut MomentumProduct,
    ) -> NadamConstants<T> {
        let beta1 = self.beta1;
        // Powers and products in f64 whatever T, as both libraries compute them in Python
        // floats; t as a float, as torch's `step` is.
        let t = info.step as f64;
        let (gradient_weight, momentum_weight) = match self.momentum {
            NadamMomentum::Dozat { momentum_decay, product: precision } => {
                let mu = |t: f64| beta1 * (1.0 - 0.5 * 0.96f64.powf(t * momentum_decay));
                let (mu_t, mu_next) = (mu(t), mu(t + 1.0));
                product.0 = match precision {
                    ProductPrecision::Single => f64::from(product.0 as f32 * mu_t as f32),
                    ProductPrecision::Double => product.0 * mu_t,
                };
                let product_next = product.0 * mu_next;
                ((1.0 - mu_t) / (1.0 - product.0), mu_next / (1.0 - product_next))
            }
            NadamMomentum::Constant => {
                ((1.0 - beta1) / (1.0 - beta1.powf(t)), beta1 / (1.0 - beta1.powf(t + 1.0)))
            }
        };
        NadamConstants {
            beta1: T::of(beta1),
            one_minus_beta1: T::of(1.0 - beta1),
            beta2: T::of(self.beta2),
            one_minus_beta2: T::of(1.0 - self.beta2),
            gradient_weight: T::of(gradient_weight),
            momentum_weight: T::of(momentum_weight),
            correction2: T::of(1.0 / (1.0 - self.beta2.powf(t))),
            eps: T::of(self.eps),
            eps_root: T::of(self.eps_root),
        }
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &NadamConstants<T>, _param: T, g: T, slot: &mut [T; 2]) -> T {
        let [m, v] = slot;
        *m = c.beta1 * *m + c.one_minus_beta1 * g;
        *v = c.beta2 * *v + c.one_minus_beta2 * g * g;
        let blend = c.momentum_weight * *m + c.gradient_weight * g;
        blend / ((*v * c.correction2 + c.eps_root).sqrt() + c.eps)
    }
}

/// NAdam with coupled L2 weight decay (torch's `NAdam`, optax's `nadam`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NAdam {
    /// η(t).
    pub learning_rate: Schedule,
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0, outside the square root.
    pub eps: f64,
    /// ε_root ≥ 0, inside the square root.
    pub eps_root: f64,
    /// The momentum schedule.
    pub momentum: NadamMomentum,
    /// λ ≥ 0, added to the gradient before the moments.
    pub weight_decay: f64,
}

/// The rule a [`NAdam`] builds.
pub type NAdamRule = Coupled<ScaleByNadam>;

impl NAdam {
    /// A library's NAdam at learning rate η: torch's with Dozat's momentum schedule
    /// (ψ = 4e-3, Π rounded to f32), optax's with a constant momentum.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let momentum = match preset {
            Preset::Torch => {
                NadamMomentum::Dozat { momentum_decay: 4e-3, product: ProductPrecision::Single }
            }
            Preset::Optax => NadamMomentum::Constant,
        };
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eps_root: 0.0,
            momentum,
            weight_decay: 0.0,
        }
    }

    /// The moment rule alone, for composing by hand.
    #[must_use]
    pub fn moments(&self) -> ScaleByNadam {
        ScaleByNadam {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            eps_root: self.eps_root,
            momentum: self.momentum,
        }
    }

    /// The composed rule: weight decay → NAdam moments → −η(t).
    #[must_use]
    pub fn rule(&self) -> NAdamRule {
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

/// NAdam with decoupled weight decay: torch's `NAdam(decoupled_weight_decay=True)`, optax's
/// `nadamw`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NAdamW {
    /// The NAdam settings; a non-zero `nadam.weight_decay` still acts, coupled.
    pub nadam: NAdam,
    /// λ ≥ 0, decoupled: θ ← θ − η(t)·λθ.
    pub weight_decay: f64,
}

/// The rule a [`NAdamW`] builds.
pub type NAdamWRule = Decoupled<ScaleByNadam>;

impl NAdamW {
    /// `nadam` with decoupled decay λ (torch's default λ is 0 either way; optax's `nadamw`
    /// uses 1e-4).
    #[must_use]
    pub fn new(nadam: NAdam, weight_decay: f64) -> Self {
        Self { nadam, weight_decay }
    }

    /// The composed rule: coupled decay → NAdam moments → decoupled decay → −η(t).
    #[must_use]
    pub fn rule(&self) -> NAdamWRule {
        decoupled(
            self.nadam.weight_decay,
            self.nadam.moments(),
            self.weight_decay,
            &self.nadam.learning_rate,
        )
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
    use crate::first_order::{Optimizer, OptimizerState};

    fn mu(t: f64) -> f64 {
        0.9 * (1.0 - 0.5 * 0.96f64.powf(t * 4e-3))
    }

    fn run<R: Rule>(rule: R, grads: &[[f64; 2]]) -> [f64; 2] {
        let mut params = [0.0; 2];
        let mut opt = Optimizer::new(rule, 2).unwrap();
        for g in grads {
            opt.step(&mut params, g).unwrap();
        }
        params
    }

    #[test]
    fn first_step_by_hand() {
        // t = 1: m = 0.1g, v̂ = g²; torch (f64 product): Π₁ = μ₁,
        // m̄ = μ₂·0.1g/(1 − μ₁μ₂) + (1 − μ₁)g/(1 − μ₁); optax: m̄ = 0.9·0.1g/(1 − 0.81) + g.
        let g = [3.0, -0.5];
        let torch = NAdam {
            momentum: NadamMomentum::Dozat {
                momentum_decay: 4e-3,
                product: ProductPrecision::Double,
            },
            ..NAdam::preset(Preset::Torch, 0.1)
        };
        let blend_torch = mu(2.0) * 0.1 / (1.0 - mu(1.0) * mu(2.0)) + 1.0;
        let blend_optax = 0.09 / 0.19 + 1.0;
        for (rule, blend) in
            [(torch.rule(), blend_torch), (NAdam::preset(Preset::Optax, 0.1).rule(), blend_optax)]
        {
            let params = run(rule, &[g]);
            for (p, g) in params.iter().zip(g) {
                let expected = -0.1 * blend * g / (g.abs() + 1e-8);
                assert!((p - expected).abs() <= 1e-15, "{p} vs {expected}");
            }
        }
    }

    #[test]
    fn second_step_by_hand() {
        // optax, g₁ = (3, −0.5), g₂ = (1, −2): m₂ = (0.37, −0.245), v₂ = 0.999·0.001·g₁² +
        // 0.001·g₂², v̂₂ = v₂/(1 − 0.999²); m̄₂ = 0.9·m₂/(1 − 0.9³) + 0.1·g₂/(1 − 0.9²).
        let g = [[3.0, -0.5], [1.0, -2.0]];
        let params = run(NAdam::preset(Preset::Optax, 0.1).rule(), &g);
        let step1 = |g: f64| -0.1 * (0.09 / 0.19 + 1.0) * g / (g.abs() + 1e-8);
        for k in 0..2 {
            let m2 = 0.09 * g[0][k] + 0.1 * g[1][k];
            let v2 = 0.999 * 0.001 * g[0][k] * g[0][k] + 0.001 * g[1][k] * g[1][k];
            let v_hat = v2 / (1.0 - 0.999f64 * 0.999);
            let blend = 0.9 * m2 / (1.0 - 0.729) + 0.1 * g[1][k] / 0.19;
            let expected = step1(g[0][k]) - 0.1 * blend / (v_hat.sqrt() + 1e-8);
            assert!((params[k] - expected).abs() <= 1e-14, "{} vs {expected}", params[k]);
        }
    }

    #[test]
    fn the_product_of_momenta_is_kept_in_the_state() {
        let mut params = [1.0, 2.0];
        let mut opt = Optimizer::new(NAdam::preset(Preset::Torch, 0.1).rule(), 2).unwrap();
        for _ in 0..3 {
            opt.step(&mut params, &[0.5, -0.5]).unwrap();
        }
        // The chain's global is ((), Π, ()) nested as ((decay, moments), lr).
        let product = (opt.state().global.0).1.0;
        let mut expected = 1.0f32;
        for t in 1..=3 {
            expected *= mu(f64::from(t)) as f32;
        }
        assert_eq!(product, f64::from(expected));
        assert!((product - mu(1.0) * mu(2.0) * mu(3.0)).abs() < 1e-7);
    }

    #[test]
    fn a_resumed_run_equals_an_uninterrupted_one_bit_for_bit() {
        let rule = NAdamW::new(NAdam::preset(Preset::Torch, 0.05), 0.01).rule();
        let grad = |x: &[f64]| [2.0 * x[0] - 1.0, 6.0 * x[1] + 0.5 * x[0]];

        let mut straight = [1.5, -0.7];
        let mut opt = Optimizer::new(rule.clone(), 2).unwrap();
        for _ in 0..40 {
            let g = grad(&straight);
            opt.step(&mut straight, &g).unwrap();
        }

        let mut resumed = [1.5, -0.7];
        let mut first = Optimizer::new(rule.clone(), 2).unwrap();
        for _ in 0..17 {
            let g = grad(&resumed);
            first.step(&mut resumed, &g).unwrap();
        }
        let saved = serde_json::to_string(first.state()).unwrap();
        drop(first);
        let state: OptimizerState<NAdamWRule, f64> = serde_json::from_str(&saved).unwrap();
        assert_ne!(((state.global.0).0).1, MomentumProduct::default(), "Π was saved");
        let mut second = Optimizer::resume(rule, state).unwrap();
        for _ in 17..40 {
            let g = grad(&resumed);
            second.step(&mut resumed, &g).unwrap();
        }

        assert_eq!(straight.map(f64::to_bits), resumed.map(f64::to_bits));
        assert_eq!(opt.state(), second.state());
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let base = NAdam::preset(Preset::Torch, 0.01);
        let dozat = |momentum_decay| NadamMomentum::Dozat {
            momentum_decay,
            product: ProductPrecision::Single,
        };
        for (bad, name) in [
            (NAdam { beta1: 1.0, ..base.clone() }, "beta1"),
            (NAdam { beta2: 1.5, ..base.clone() }, "beta2"),
            (NAdam { eps: -1e-8, ..base.clone() }, "eps"),
            (NAdam { eps_root: f64::NAN, ..base.clone() }, "eps_root"),
            (NAdam { momentum: dozat(-4e-3), ..base.clone() }, "momentum_decay"),
            (NAdam { weight_decay: -0.1, ..base.clone() }, "weight_decay"),
            (NAdam::preset(Preset::Optax, f64::INFINITY), "learning_rate"),
        ] {
            match bad.validate() {
                Err(crate::Error::InvalidHyperparameter { name: got, .. }) => {
                    assert_eq!(got, name);
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(matches!(
            NAdamW::new(base, -0.1).validate(),
            Err(crate::Error::InvalidHyperparameter { name: "weight_decay", .. })
        ));
    }
}
