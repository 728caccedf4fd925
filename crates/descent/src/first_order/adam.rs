//! Adam, AdamW and AMSGrad: steps scaled by running estimates of the first two moments of the
//! gradient.
//!
//! Adam (Kingma & Ba 2015, Algorithm 1) keeps, per parameter, exponential averages of the
//! gradient and of its square, corrects their bias toward the zero start, and steps by their
//! ratio, so every coordinate moves about η per step whatever its gradient's scale:
//!
//! ```text
//! m₀ = v₀ = 0
//! g  ← ∇L(θ) + λ·θ                      (coupled L2, `Adam::weight_decay`)
//! m  ← β₁m + (1 − β₁)g                  (Alg. 1, line 7)
//! v  ← β₂v + (1 − β₂)g²                 (Alg. 1, line 8)
//! m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)      (lines 9–10)
//! θ  ← θ − η(t)·m̂/(√(v̂ + ε_root) + ε)    (line 11)
//! ```
//!
//! AdamW (Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019) moves the
//! decay out of the moments: θ ← θ − η(t)·(m̂/(√v̂ + ε) + λθ). AMSGrad (Reddi, Kale & Kumar,
//! *On the Convergence of Adam and Beyond*, ICLR 2018) divides by the running maximum of v.
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (1e-3) | given |
//! | β₁, β₂ | `beta1`, `beta2` | 0.9, 0.999 | 0.9, 0.999 |
//! | ε | `eps` | 1e-8 | 1e-8 |
//! | ε_root | `eps_root` | 0 | 0 |
//! | λ (AdamW) | `weight_decay` | 1e-2 | 1e-4 |
//!
//! **Where the libraries differ.** AMSGrad: torch takes the maximum of the raw v and
//! bias-corrects it with the current t, optax the maximum of the bias-corrected v̂
//! ([`AmsgradMax`]). Weight decay in torch's AdamW multiplies θ by (1 − ηλ) before the step; the
//! rule here adds ηλθ to the step — the same update, rounded differently.
//!
//! # Example
//! ```
//! use descent::first_order::{Adam, FirstOrder};
//! use descent::{minimize, Options, problems::Booth};
//!
//! let method = FirstOrder::new(Adam::torch(0.1).rule());
//! let options = Options { max_iter: 5000, gtol: 1e-6, ..Options::default() };
//! let report = minimize(&Booth::new(), &[0.0, 0.0], method, &options)?;
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 3.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::rule::{Coupled, Decoupled, Rule, StepInfo, coupled, decoupled, epsilon};
use super::{Preset, Real, Schedule};
use crate::Result;
use crate::error::tolerance;

/// Which maximum AMSGrad keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmsgradMax {
    /// max of the raw v, bias-corrected with the current t (torch).
    Raw,
    /// max of the bias-corrected v̂ (optax).
    Corrected,
}

/// The Adam moments: u ← m̂/(√(v̂ + ε_root) + ε). Slot (m, v).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByAdam {
    /// β₁ ∈ [0, 1).
    pub beta1: f64,
    /// β₂ ∈ [0, 1).
    pub beta2: f64,
    /// ε > 0, outside the square root.
    pub eps: f64,
    /// ε_root ≥ 0, inside the square root.
    pub eps_root: f64,
}

/// Per-step constants of the Adam family: the decays and the bias corrections.
#[derive(Debug, Clone, Copy)]
pub struct AdamConstants<T> {
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
    /// 1/(1 − β₁ᵗ)
    correction1: T,
    /// 1/(1 − β₂ᵗ)
    correction2: T,
    eps: T,
    eps_root: T,
}

impl ScaleByAdam {
    fn check(&self) -> Result<()> {
        super::rule::unit_interval_closed_open("beta1", self.beta1)?;
        super::rule::unit_interval_closed_open("beta2", self.beta2)?;
        epsilon("eps", self.eps)?;
        tolerance("eps_root", self.eps_root).map(drop)
    }

    fn adam_constants<T: Real>(&self, t: u64) -> AdamConstants<T> {
        // β^t in f64 whatever T, as both libraries compute it in Python floats.
        let t = i32::try_from(t).unwrap_or(i32::MAX);
        AdamConstants {
            beta1: T::of(self.beta1),
            one_minus_beta1: T::of(1.0 - self.beta1),
            beta2: T::of(self.beta2),
            one_minus_beta2: T::of(1.0 - self.beta2),
            correction1: T::of(1.0 / (1.0 - self.beta1.powi(t))),
            correction2: T::of(1.0 / (1.0 - self.beta2.powi(t))),
            eps: T::of(self.eps),
            eps_root: T::of(self.eps_root),
        }
    }
}

impl Rule for ScaleByAdam {
    type Slot<T: Real> = [T; 2];
    type Global = ();
    type Constants<T: Real> = AdamConstants<T>;

    fn validate(&self) -> Result<()> {
        self.check()
    }

    fn init_slot<T: Real>(&self) -> [T; 2] {
        [T::zero(); 2]
    }

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> AdamConstants<T> {
        self.adam_constants(info.step)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &AdamConstants<T>, _param: T, g: T, slot: &mut [T; 2]) -> T {
        let [m, v] = slot;
        *m = c.beta1 * *m + c.one_minus_beta1 * g; // Alg. 1, line 7
        *v = c.beta2 * *v + c.one_minus_beta2 * g * g; // line 8
        let m_hat = *m * c.correction1;
        let v_hat = *v * c.correction2;
        m_hat / ((v_hat + c.eps_root).sqrt() + c.eps) // line 11, without η
    }
}

/// AMSGrad's moments: as [`ScaleByAdam`] but dividing by a running maximum. Slot (m, v, v_max).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByAmsgrad {
    /// The moment settings.
    pub moments: ScaleByAdam,
    /// Which maximum is kept.
    pub max: AmsgradMax,
}

impl Rule for ScaleByAmsgrad {
    type Slot<T: Real> = [T; 3];
    type Global = ();
    type Constants<T: Real> = AdamConstants<T>;

    fn validate(&self) -> Result<()> {
        self.moments.check()
    }

    fn init_slot<T: Real>(&self) -> [T; 3] {
        [T::zero(); 3]
    }

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> AdamConstants<T> {
        self.moments.adam_constants(info.step)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &AdamConstants<T>, _param: T, g: T, slot: &mut [T; 3]) -> T {
        let [m, v, v_max] = slot;
        *m = c.beta1 * *m + c.one_minus_beta1 * g;
        *v = c.beta2 * *v + c.one_minus_beta2 * g * g;
        let v_hat = match self.max {
            AmsgradMax::Raw => {
                *v_max = v_max.max(*v);
                *v_max * c.correction2
            }
            AmsgradMax::Corrected => {
                *v_max = v_max.max(*v * c.correction2);
                *v_max
            }
        };
        *m * c.correction1 / ((v_hat + c.eps_root).sqrt() + c.eps)
    }
}

/// Adam with coupled L2 weight decay (torch's `Adam(weight_decay=λ)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
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
    /// λ ≥ 0, added to the gradient before the moments.
    pub weight_decay: f64,
}

/// The rule an [`Adam`] builds.
pub type AdamRule = Coupled<ScaleByAdam>;

impl Adam {
    /// A library's Adam at learning rate η.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        // The two libraries agree on Adam's defaults.
        let _ = preset;
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eps_root: 0.0,
            weight_decay: 0.0,
        }
    }

    /// `torch.optim.Adam(lr=η)`.
    #[must_use]
    pub fn torch(learning_rate: f64) -> Self {
        Self::preset(Preset::Torch, learning_rate)
    }

    fn moments(&self) -> ScaleByAdam {
        ScaleByAdam { beta1: self.beta1, beta2: self.beta2, eps: self.eps, eps_root: self.eps_root }
    }

    /// The composed rule: weight decay → moments → −η(t).
    #[must_use]
    pub fn rule(&self) -> AdamRule {
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

/// AdamW: Adam with decoupled weight decay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamW {
    /// The Adam settings. Its own `weight_decay` (0 in the presets) still applies, coupled:
    /// nothing set is ignored.
    pub adam: Adam,
    /// λ ≥ 0, decoupled: θ ← θ − η(t)·λθ.
    pub weight_decay: f64,
}

/// The rule an [`AdamW`] builds.
pub type AdamWRule = Decoupled<ScaleByAdam>;

impl AdamW {
    /// A library's AdamW at learning rate η: torch decays by λ = 1e-2, optax by 1e-4.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let weight_decay = match preset {
            Preset::Torch => 1e-2,
            Preset::Optax => 1e-4,
        };
        Self { adam: Adam::preset(preset, learning_rate), weight_decay }
    }

    /// The composed rule: (coupled decay) → moments → decoupled decay → −η(t).
    #[must_use]
    pub fn rule(&self) -> AdamWRule {
        decoupled(
            self.adam.weight_decay,
            self.adam.moments(),
            self.weight_decay,
            &self.adam.learning_rate,
        )
    }
}

/// AMSGrad, with coupled (torch `Adam(amsgrad=True)`) weight decay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmsGrad {
    /// The Adam settings.
    pub adam: Adam,
    /// Which maximum is kept.
    pub max: AmsgradMax,
}

/// The rule an [`AmsGrad`] builds.
pub type AmsGradRule = Coupled<ScaleByAmsgrad>;

impl AmsGrad {
    /// A library's AMSGrad at learning rate η.
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let max = match preset {
            Preset::Torch => AmsgradMax::Raw,
            Preset::Optax => AmsgradMax::Corrected,
        };
        Self { adam: Adam::preset(preset, learning_rate), max }
    }

    /// The composed rule: weight decay → AMSGrad moments → −η(t).
    #[must_use]
    pub fn rule(&self) -> AmsGradRule {
        coupled(
            self.adam.weight_decay,
            ScaleByAmsgrad { moments: self.adam.moments(), max: self.max },
            &self.adam.learning_rate,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_order::Optimizer;

    #[test]
    fn the_first_step_is_minus_lr_times_the_sign_of_the_gradient() {
        // m̂₁ = g, v̂₁ = g², so the step is −η·g/(|g| + ε).
        let grads: [f64; 4] = [3.0, -0.02, 1e-3, -250.0];
        let mut params = [0.0; 4];
        let mut opt = Optimizer::new(Adam::torch(0.1).rule(), 4).unwrap();
        opt.step(&mut params, &grads).unwrap();
        for (p, g) in params.iter().zip(grads) {
            assert!((p + 0.1 * g.signum()).abs() <= 0.1 * 1e-8 / g.abs() + 1e-16, "{p} for {g}");
        }
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let bad = Adam { beta1: 1.0, ..Adam::torch(0.1) };
        assert!(matches!(
            bad.validate(),
            Err(crate::Error::InvalidHyperparameter { name: "beta1", .. })
        ));
        let bad = Adam { eps: 0.0, ..Adam::torch(0.1) };
        assert!(matches!(
            bad.validate(),
            Err(crate::Error::InvalidHyperparameter { name: "eps", .. })
        ));
        assert!(matches!(
            Adam::torch(-0.1).validate(),
            Err(crate::Error::InvalidHyperparameter { name: "learning_rate", .. })
        ));
    }
}
