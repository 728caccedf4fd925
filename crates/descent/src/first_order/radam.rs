//! RAdam: Adam whose adaptive step is switched on only once its variance is tractable, and
//! then rectified.
//!
//! In its first steps Adam's v̂ averages a handful of squared gradients, so 1/√v̂ has a large
//! variance — the reason warm-up schedules help. Liu et al. (2020) approximate the exponential
//! average by a simple moving average of length ρₜ; while ρₜ is small (≤ 5) they take plain
//! momentum steps, and afterwards scale the adaptive step by the factor r that makes its
//! variance that of the limit ρ∞:
//!
//! ```text
//! m₀ = v₀ = 0
//! g  ← ∇L(θ) + λ·θ                                       (coupled L2, `RAdam::weight_decay`)
//! m  ← β₁m + (1 − β₁)g,   m̂ = m/(1 − β₁ᵗ)
//! v  ← β₂v + (1 − β₂)g²
//! ρ∞ = 2/(1 − β₂) − 1,    ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)      (length of the approximating SMA)
//! if ρₜ > 5:                                             (the variance is tractable)
//!     r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))     (the rectification term)
//!     θ ← θ − η(t)·r·m̂·√(1 − β₂ᵗ)/(√v + ε)               (torch's ε)
//! else:
//!     θ ← θ − η(t)·m̂                                     (momentum SGD)
//! ```
//!
//! Decoupled weight decay ([`RAdamW`], torch's `decoupled_weight_decay=True`) is placed after
//! the moments and before the learning rate, as in AdamW.
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (1e-3) | given |
//! | β₁, β₂ | `beta1`, `beta2` | 0.9, 0.999 | 0.9, 0.999 |
//! | ε | `eps` | 1e-8 | 1e-8 |
//! | placement of ε | `epsilon` | [`Uncorrected`](RadamEpsilon::Uncorrected) | [`Corrected`](RadamEpsilon::Corrected) |
//! | ε_root | `eps_root` | 0 (none) | 0 |
//! | when to rectify | `rectify_when` | [`Above`](RectifyWhen::Above)(5) | [`AtLeast`](RectifyWhen::AtLeast)(5) |
//! | λ | `weight_decay` | 0, coupled or decoupled | none |
//!
//! **Where the libraries differ.** torch (`_single_tensor_radam`) adds ε to √v, the root of
//! the *uncorrected* second moment, and multiplies by √(1 − β₂ᵗ) after:
//! √(1 − β₂ᵗ)/(√v + ε) = 1/(√v̂ + ε/√(1 − β₂ᵗ)), an ε 13 times larger at the first rectified
//! step (t = 6, β₂ = 0.999) that shrinks to ε as t grows. optax (`scale_by_radam`) divides by √(v̂ + ε_root) + ε, as its
//! Adam does ([`RadamEpsilon`]). torch rectifies when ρₜ > 5, optax when ρₜ ≥ `threshold`
//! (5 by default): they differ only if ρₜ lands exactly on 5 ([`RectifyWhen`]). optax's
//! `radam(nesterov=True)` is not provided. torch's decoupled decay multiplies θ by (1 − ηλ)
//! before the step; here it is added to the step, the same update rounded differently.
//!
//! Reference: L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao and J. Han, *On the Variance of
//! the Adaptive Learning Rate and Beyond*, ICLR 2020, Algorithm 2.
//!
//! # Example
//! ```
//! use descent::first_order::{FirstOrder, Preset, RAdam};
//! use descent::{minimize, Options, problems::Booth};
//!
//! let method = FirstOrder::new(RAdam::preset(Preset::Torch, 0.1).rule());
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
use crate::error::tolerance;
use crate::{Error, Result};

/// Where RAdam's ε enters the adaptive step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RadamEpsilon {
    /// √(1 − β₂ᵗ)/(√v + ε): ε added to the root of the uncorrected v (torch). No ε_root.
    Uncorrected,
    /// 1/(√(v̂ + ε_root) + ε): ε added to the root of the corrected v̂ (optax, and Adam).
    Corrected,
}

/// When RAdam's variance counts as tractable and the rectified adaptive step is taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectifyWhen {
    /// ρₜ > threshold (torch, with 5).
    Above(f64),
    /// ρₜ ≥ threshold (optax, with 5 by default).
    AtLeast(f64),
}

impl RectifyWhen {
    fn threshold(self) -> f64 {
        match self {
            Self::Above(threshold) | Self::AtLeast(threshold) => threshold,
        }
    }

    fn holds(self, rho: f64) -> bool {
        match self {
            Self::Above(threshold) => rho > threshold,
            Self::AtLeast(threshold) => rho >= threshold,
        }
    }
}

/// The RAdam moments: u ← r·m̂/(√v̂ + ε) once ρₜ passes the threshold, m̂ before. Slot (m, v).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByRadam {
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0.
    pub eps: f64,
    /// ε_root ≥ 0, inside the square root; 0 with [`RadamEpsilon::Uncorrected`].
    pub eps_root: f64,
    /// Where ε enters.
    pub epsilon: RadamEpsilon,
    /// When to rectify; the threshold must be at least 4, where r is real.
    pub rectify_when: RectifyWhen,
}

/// Per-step constants of [`ScaleByRadam`].
#[derive(Debug, Clone, Copy)]
pub struct RadamConstants<T> {
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
    /// 1/(1 − β₁ᵗ)
    correction1: T,
    /// 1/(1 − β₂ᵗ)
    correction2: T,
    /// √(1 − β₂ᵗ)
    sqrt_bias2: T,
    /// r, when this step is rectified.
    rectifier: Option<T>,
    eps: T,
    eps_root: T,
}

impl Rule for ScaleByRadam {
    type Slot<T: Real> = [T; 2];
    type Global = ();
    type Constants<T: Real> = RadamConstants<T>;

    fn validate(&self) -> Result<()> {
        unit_interval_closed_open("beta1", self.beta1)?;
        unit_interval_closed_open("beta2", self.beta2)?;
        epsilon("eps", self.eps)?;
        tolerance("eps_root", self.eps_root)?;
        if self.epsilon == RadamEpsilon::Uncorrected && self.eps_root != 0.0 {
            return Err(Error::InvalidHyperparameter {
                name: "eps_root",
                value: self.eps_root,
                valid: "0 with RadamEpsilon::Uncorrected (torch's form has no ε_root)",
            });
        }
        let threshold = self.rectify_when.threshold();
        if !(threshold.is_finite() && threshold >= 4.0) {
            return Err(Error::InvalidHyperparameter {
                name: "threshold",
                value: threshold,
                valid: "finite and at least 4 (below, the rectification term is not real)",
            });
        }
        Ok(())
    }

    fn init_slot<T: Real>(&self) -> [T; 2] {
        [T::zero(); 2]
    }

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> RadamConstants<T> {
        // In f64 whatever T, as both libraries compute these in Python floats; t as a float,
        // as torch's `step` is.
        let t = info.step as f64;
        let beta2_t = self.beta2.powf(t);
        let bias2 = 1.0 - beta2_t;
        let rho_inf = 2.0 / (1.0 - self.beta2) - 1.0;
        let rho = rho_inf - 2.0 * t * beta2_t / bias2;
        let rectifier = self.rectify_when.holds(rho).then(|| {
            T::of(
                ((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                    .sqrt(),
            )
        });
        RadamConstants {
            beta1: T::of(self.beta1),
            one_minus_beta1: T::of(1.0 - self.beta1),
            beta2: T::of(self.beta2),
            one_minus_beta2: T::of(1.0 - self.beta2),
            correction1: T::of(1.0 / (1.0 - self.beta1.powf(t))),
            correction2: T::of(1.0 / bias2),
            sqrt_bias2: T::of(bias2.sqrt()),
            rectifier,
            eps: T::of(self.eps),
            eps_root: T::of(self.eps_root),
        }
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &RadamConstants<T>, _param: T, g: T, slot: &mut [T; 2]) -> T {
        let [m, v] = slot;
        *m = c.beta1 * *m + c.one_minus_beta1 * g;
        *v = c.beta2 * *v + c.one_minus_beta2 * g * g;
        let m_hat = *m * c.correction1;
        match c.rectifier {
            // The rectified adaptive step, without η.
            Some(r) => match self.epsilon {
                RadamEpsilon::Uncorrected => m_hat * (c.sqrt_bias2 / (v.sqrt() + c.eps)) * r,
                RadamEpsilon::Corrected => {
                    r * m_hat / ((*v * c.correction2 + c.eps_root).sqrt() + c.eps)
                }
            },
            None => m_hat, // momentum SGD while the variance is intractable
        }
    }
}

/// RAdam with coupled L2 weight decay (torch's `RAdam`, optax's `radam`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RAdam {
    /// η(t).
    pub learning_rate: Schedule,
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0.
    pub eps: f64,
    /// ε_root ≥ 0, inside the square root; 0 with [`RadamEpsilon::Uncorrected`].
    pub eps_root: f64,
    /// Where ε enters.
    pub epsilon: RadamEpsilon,
    /// When to rectify.
    pub rectify_when: RectifyWhen,
    /// λ ≥ 0, added to the gradient before the moments.
    pub weight_decay: f64,
}

/// The rule a [`RAdam`] builds.
pub type RAdamRule = Coupled<ScaleByRadam>;

impl RAdam {
    /// A library's RAdam at learning rate η: the ε placement and the threshold test differ.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let (epsilon, rectify_when) = match preset {
            Preset::Torch => (RadamEpsilon::Uncorrected, RectifyWhen::Above(5.0)),
            Preset::Optax => (RadamEpsilon::Corrected, RectifyWhen::AtLeast(5.0)),
        };
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eps_root: 0.0,
            epsilon,
            rectify_when,
            weight_decay: 0.0,
        }
    }

    /// The moment rule alone, for composing by hand.
    #[must_use]
    pub fn moments(&self) -> ScaleByRadam {
        ScaleByRadam {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            eps_root: self.eps_root,
            epsilon: self.epsilon,
            rectify_when: self.rectify_when,
        }
    }

    /// The composed rule: weight decay → RAdam moments → −η(t).
    #[must_use]
    pub fn rule(&self) -> RAdamRule {
        coupled(self.weight_decay, self.moments(), &self.learning_rate)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.rule().validate()
    }
}

/// RAdam with decoupled weight decay: torch's `RAdam(decoupled_weight_decay=True)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RAdamW {
    /// The RAdam settings; a non-zero `radam.weight_decay` still acts, coupled.
    pub radam: RAdam,
    /// λ ≥ 0, decoupled: θ ← θ − η(t)·λθ.
    pub weight_decay: f64,
}

/// The rule a [`RAdamW`] builds.
pub type RAdamWRule = Decoupled<ScaleByRadam>;

impl RAdamW {
    /// `radam` with decoupled decay λ (torch's default λ is 0 either way).
    #[must_use]
    pub fn new(radam: RAdam, weight_decay: f64) -> Self {
        Self { radam, weight_decay }
    }

    /// The composed rule: coupled decay → RAdam moments → decoupled decay → −η(t).
    #[must_use]
    pub fn rule(&self) -> RAdamWRule {
        decoupled(
            self.radam.weight_decay,
            self.radam.moments(),
            self.weight_decay,
            &self.radam.learning_rate,
        )
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.rule().validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_order::Optimizer;

    fn rho(t: f64) -> f64 {
        let rho_inf = 2.0 / (1.0 - 0.999) - 1.0;
        rho_inf - 2.0 * t * 0.999f64.powf(t) / (1.0 - 0.999f64.powf(t))
    }

    #[test]
    fn the_first_five_steps_are_momentum_steps() {
        // ρ₁ = 1 < ρ₅ ≈ 4.996 < 5 < ρ₆ ≈ 5.994 (β₂ = 0.999).
        assert!((rho(1.0) - 1.0).abs() < 1e-9);
        assert!(rho(5.0) < 5.0 && rho(6.0) > 5.0);
        // With a constant gradient, m̂ₜ = g: five steps of −η·g, whatever ε's placement.
        for preset in [Preset::Torch, Preset::Optax] {
            let mut params = [0.0; 2];
            let mut opt = Optimizer::new(RAdam::preset(preset, 0.1).rule(), 2).unwrap();
            for t in 1..=5 {
                opt.step(&mut params, &[3.0, -0.5]).unwrap();
                let expected = [-0.3 * f64::from(t), 0.05 * f64::from(t)];
                for k in 0..2 {
                    assert!((params[k] - expected[k]).abs() <= 1e-14, "{preset:?}, t = {t}");
                }
            }
        }
    }

    #[test]
    fn the_sixth_step_is_rectified() {
        // Constant g: m̂₆ = g, v₆ = (1 − β₂⁶)g², so √(1 − β₂⁶)/(√v₆ + ε) = 1/(|g| + ε/√(1 − β₂⁶))
        // (torch) and 1/(√v̂₆ + ε) = 1/(|g| + ε) (optax); the step is −η·r·g/(...).
        let rho_inf = 1999.0;
        let r6 = ((rho(6.0) - 4.0) * (rho(6.0) - 2.0) * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho(6.0)))
        .sqrt();
        let bias2 = 1.0 - 0.999f64.powf(6.0);
        let g = [3.0, -0.5];
        for (preset, eps_scale) in [(Preset::Torch, 1.0 / bias2.sqrt()), (Preset::Optax, 1.0)] {
            let mut params = [0.0; 2];
            let mut opt = Optimizer::new(RAdam::preset(preset, 0.1).rule(), 2).unwrap();
            for _ in 0..6 {
                opt.step(&mut params, &g).unwrap();
            }
            for k in 0..2 {
                let step6 = -0.1 * r6 * g[k] / (g[k].abs() + 1e-8 * eps_scale);
                let expected = -0.5 * g[k] + step6;
                assert!(
                    (params[k] - expected).abs() <= 1e-14,
                    "{preset:?}: {} vs {expected}",
                    params[k]
                );
            }
        }
        // r is small at first: the first rectified step is about a fortieth of Adam's.
        assert!(r6 > 0.025 && r6 < 0.027, "{r6}");
    }

    #[test]
    fn decoupled_decay_is_added_after_the_moments() {
        // Step 1 with θ₀ = 1, g = 2: coupled sees g + λθ = 2.1 (m̂ = 2.1), decoupled steps
        // m̂ + λθ = 2 + 0.1, the same first step; they part from step 2.
        let radam = RAdam { weight_decay: 0.1, ..RAdam::preset(Preset::Torch, 0.1) };
        let w = RAdamW::new(RAdam::preset(Preset::Torch, 0.1), 0.1);
        let mut a: [f64; 1] = [1.0];
        let mut b: [f64; 1] = [1.0];
        let mut coupled = Optimizer::new(radam.rule(), 1).unwrap();
        let mut decoupled = Optimizer::new(w.rule(), 1).unwrap();
        coupled.step(&mut a, &[2.0]).unwrap();
        decoupled.step(&mut b, &[2.0]).unwrap();
        assert!((a[0] - 0.79).abs() < 1e-15 && (b[0] - 0.79).abs() < 1e-15, "{a:?} {b:?}");
        coupled.step(&mut a, &[2.0]).unwrap();
        decoupled.step(&mut b, &[2.0]).unwrap();
        // Coupled: m₂ = 0.9·0.21 + 0.1·(2 + 0.079), m̂₂ = m₂/0.19; decoupled: 2 + 0.1·0.79.
        let coupled_step = (0.9 * 0.21 + 0.1 * 2.079) / 0.19;
        assert!((a[0] - (0.79 - 0.1 * coupled_step)).abs() < 1e-14);
        assert!((b[0] - (0.79 - 0.1 * (2.0 + 0.079))).abs() < 1e-14);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let base = RAdam::preset(Preset::Torch, 0.01);
        for (bad, name) in [
            (RAdam { beta1: -0.5, ..base.clone() }, "beta1"),
            (RAdam { beta2: 1.0, ..base.clone() }, "beta2"),
            (RAdam { eps: 0.0, ..base.clone() }, "eps"),
            (RAdam { eps_root: 1e-8, ..base.clone() }, "eps_root"),
            (RAdam { rectify_when: RectifyWhen::Above(3.0), ..base.clone() }, "threshold"),
            (RAdam { rectify_when: RectifyWhen::AtLeast(f64::NAN), ..base.clone() }, "threshold"),
            (RAdam { weight_decay: -0.1, ..base.clone() }, "weight_decay"),
            (RAdam::preset(Preset::Optax, -1.0), "learning_rate"),
        ] {
            match bad.validate() {
                Err(crate::Error::InvalidHyperparameter { name: got, .. }) => {
                    assert_eq!(got, name);
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let optax = RAdam { eps_root: 1e-8, ..RAdam::preset(Preset::Optax, 0.01) };
        assert!(optax.validate().is_ok(), "optax's form takes an ε_root");
        assert!(matches!(
            RAdamW::new(base, f64::INFINITY).validate(),
            Err(crate::Error::InvalidHyperparameter { name: "weight_decay", .. })
        ));
    }
}
