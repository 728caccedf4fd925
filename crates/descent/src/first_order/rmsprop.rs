//! RMSProp: steps scaled by a running root mean square of the gradient, optionally centered and
//! with momentum.
//!
//! RMSProp (Tieleman & Hinton 2012) replaces Adagrad's ever-growing sum of squares by an
//! exponential average, so the effective rate adapts without decaying to zero. The centered form
//! (Graves 2013, eqs. 38–41) divides by an estimate of the gradient's standard deviation
//! instead of its root mean square:
//!
//! ```text
//! v₀ = v_init,  ḡ₀ = 0,  b₀ = 0
//! g  ← ∇L(θ) + λ·θ                       (coupled L2, `RmsProp::weight_decay`)
//! v  ← ρv + (1 − ρ)g²                    (lecture 6.5: MeanSquare)
//! ḡ  ← ρḡ + (1 − ρ)g,  w = v − ḡ²         (centered: Graves eqs. 38–39; plain: w = v)
//! u  = g/(√w + ε)  or  g/√(w + ε)        (ε outside √: torch; inside: optax, Graves)
//! no momentum:     θ ← θ − η(t)·u
//! torch momentum:  b ← μb + u,       θ ← θ − η(t)·b      (η outside the buffer)
//! optax momentum:  b ← μb − η(t)·u,  θ ← θ + b           (η inside; Graves eqs. 40–41)
//! ```
//!
//! | symbol | field | torch | optax |
//! |---|---|---|---|
//! | η | `learning_rate` | given (1e-2) | given |
//! | ρ | `decay` | 0.99 (`alpha`) | 0.9 |
//! | ε | `eps` | 1e-8 | 1e-8 |
//! | ε placement | `epsilon` | [`Epsilon::OutsideSqrt`] | [`Epsilon::InsideSqrt`] (`eps_in_sqrt`) |
//! | v_init | `initial_scale` | 0 | 0 |
//! | μ | `momentum` | 0 | 0 (`None`) |
//! | momentum form | the tail type | [`TorchMomentum`] | [`OptaxMomentum`] (`trace`) |
//! | λ | `weight_decay` | 0 | (none) |
//!
//! **Two choices are types, not flags.** Whether the root is centered and whether (and in
//! which order) momentum follows change what each parameter must store, so they are chosen by
//! the rule's type and the chain is built for exactly that: [`RmsProp::rule`] (plain, slot v),
//! [`RmsProp::centered_rule`] (slot v, ḡ), and [`RmsProp::build`] for every combination, e.g.
//! `build::<ScaleByCenteredRms, TorchMomentum>()` (slot v, ḡ, b). Each is one fused pass.
//!
//! **Where the libraries differ.** ρ's default and ε's placement (above). With momentum, torch
//! buffers the preconditioned gradient and scales the buffer by η (momentum → −η); optax's
//! `rmsprop` chains `scale_by_rms`, `scale_by_learning_rate`, `trace` (−η → momentum). For a
//! constant η the two give the same iterates up to rounding (b_optax = −η·b_torch); under a
//! schedule a change of η acts at once in torch's form and only through new gradients in
//! optax's. torch updates ḡ by `lerp` (ḡ + (1 − ρ)(g − ḡ)), the same average rounded
//! differently. Not reproduced: optax's `bias_correction=True` (off by default) and its
//! `nesterov` trace, which can be composed by hand from the public rules
//! ([`Momentum`] with `nesterov: true` after [`LearningRate`]).
//!
//! # Example
//! ```
//! use descent::first_order::{FirstOrder, Preset, RmsProp};
//! use descent::{minimize, Options, problems::Booth};
//!
//! let method = FirstOrder::new(RmsProp::preset(Preset::Torch, 0.01).rule()?);
//! let options = Options { max_iter: 5000, gtol: 1e-6, ..Options::default() };
//! let report = minimize(&Booth::new(), &[0.0, 0.0], method, &options)?;
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 3.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```
//!
//! References: T. Tieleman & G. Hinton (2012), *Lecture 6.5 — rmsprop: Divide the gradient by
//! a running average of its recent magnitude*, COURSERA: Neural Networks for Machine Learning;
//! A. Graves (2013), *Generating Sequences With Recurrent Neural Networks*, arXiv:1308.0850,
//! eqs. 38–41 (the centered form, with momentum).

use serde::{Deserialize, Serialize};

use super::rule::{
    AddDecayedWeights, Chain, LearningRate, Momentum, Rule, StepInfo, epsilon,
    unit_interval_closed_open,
};
use super::{Epsilon, Preset, Real, Schedule};
use crate::Result;
use crate::error::tolerance;

/// RMSProp's preconditioner: v ← ρv + (1 − ρ)g², u ← g/denominator(v, ε). Slot v.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByRms {
    /// ρ ∈ [0, 1).
    pub decay: f64,
    /// ε > 0.
    pub eps: f64,
    /// Where ε enters the denominator.
    pub epsilon: Epsilon,
    /// v₀ ≥ 0 (optax's `initial_scale`; torch starts at 0).
    pub initial_scale: f64,
}

impl ScaleByRms {
    fn check(&self) -> Result<()> {
        unit_interval_closed_open("decay", self.decay)?;
        epsilon("eps", self.eps)?;
        tolerance("initial_scale", self.initial_scale).map(drop)
    }

    fn rms_constants<T: Real>(&self) -> (T, T, T) {
        (T::of(self.decay), T::of(1.0 - self.decay), T::of(self.eps))
    }
}

impl Rule for ScaleByRms {
    type Slot<T: Real> = T;
    type Global = ();
    /// (ρ, 1 − ρ, ε).
    type Constants<T: Real> = (T, T, T);

    fn validate(&self) -> Result<()> {
        self.check()
    }

    fn init_slot<T: Real>(&self) -> T {
        T::of(self.initial_scale)
    }

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> (T, T, T) {
        self.rms_constants()
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &(T, T, T), _param: T, g: T, v: &mut T) -> T {
        let (decay, one_minus_decay, eps) = *c;
        *v = decay * *v + one_minus_decay * g * g; // MeanSquare
        g / self.epsilon.denominator(*v, eps)
    }
}

/// Centered RMSProp's preconditioner: as [`ScaleByRms`] but dividing by the root of the
/// variance estimate v − ḡ². Slot (v, ḡ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScaleByCenteredRms {
    /// The settings shared with the plain form (ḡ always starts at 0).
    pub rms: ScaleByRms,
}

impl Rule for ScaleByCenteredRms {
    type Slot<T: Real> = [T; 2];
    type Global = ();
    /// (ρ, 1 − ρ, ε).
    type Constants<T: Real> = (T, T, T);

    fn validate(&self) -> Result<()> {
        self.rms.check()
    }

    fn init_slot<T: Real>(&self) -> [T; 2] {
        [T::of(self.rms.initial_scale), T::zero()]
    }

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> (T, T, T) {
        self.rms.rms_constants()
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &(T, T, T), _param: T, g: T, slot: &mut [T; 2]) -> T {
        let (decay, one_minus_decay, eps) = *c;
        let [v, mean] = slot;
        *v = decay * *v + one_minus_decay * g * g; // Graves eq. 38
        *mean = decay * *mean + one_minus_decay * g; // eq. 39
        g / self.rms.epsilon.denominator(*v - *mean * *mean, eps) // eq. 40, without η
    }
}

/// RMSProp with coupled L2 weight decay and optional momentum (torch's
/// `RMSprop(alpha, eps, weight_decay, momentum, centered)`, optax's `rmsprop`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmsProp {
    /// η(t).
    pub learning_rate: Schedule,
    /// ρ ∈ [0, 1) (torch's `alpha`).
    pub decay: f64,
    /// ε > 0.
    pub eps: f64,
    /// Where ε enters the denominator.
    pub epsilon: Epsilon,
    /// v₀ ≥ 0.
    pub initial_scale: f64,
    /// μ ∈ [0, 1); must be 0 unless the rule is built with a momentum tail
    /// ([`TorchMomentum`], [`OptaxMomentum`]).
    pub momentum: f64,
    /// λ ≥ 0, added to the gradient before the averages.
    pub weight_decay: f64,
}

/// The rule an [`RmsProp`] builds: weight decay → the preconditioner `P` → the tail `M`.
pub type RmsPropRule<P, M = LearningRate> = Chain<Chain<AddDecayedWeights, P>, M>;

/// torch's momentum after the RMS scaling: b ← μb + u, then −η(t)·b.
pub type TorchMomentum = Chain<Momentum, LearningRate>;

/// optax's momentum after the RMS scaling (`scale_by_learning_rate`, then `trace`):
/// −η(t)·u, then b ← μb + that.
pub type OptaxMomentum = Chain<LearningRate, Momentum>;

/// A preconditioner an [`RmsProp`] can build: [`ScaleByRms`] or [`ScaleByCenteredRms`].
pub trait RmsScaling: Rule {
    /// The preconditioner with `config`'s settings.
    fn from_config(config: &RmsProp) -> Self;
}

impl RmsScaling for ScaleByRms {
    fn from_config(config: &RmsProp) -> Self {
        Self {
            decay: config.decay,
            eps: config.eps,
            epsilon: config.epsilon,
            initial_scale: config.initial_scale,
        }
    }
}

impl RmsScaling for ScaleByCenteredRms {
    fn from_config(config: &RmsProp) -> Self {
        Self { rms: ScaleByRms::from_config(config) }
    }
}

/// What follows the preconditioner in an [`RmsProp`] chain: [`LearningRate`] alone (no
/// momentum), [`TorchMomentum`] or [`OptaxMomentum`].
pub trait RmsTail: Rule {
    /// Whether this tail keeps a momentum buffer.
    const HAS_MOMENTUM: bool;

    /// The tail with `config`'s learning rate and momentum.
    fn from_config(config: &RmsProp) -> Self;
}

impl RmsTail for LearningRate {
    const HAS_MOMENTUM: bool = false;

    fn from_config(config: &RmsProp) -> Self {
        Self { schedule: config.learning_rate.clone() }
    }
}

/// The heavy-ball buffer both libraries use (no dampening, no Nesterov).
fn momentum(config: &RmsProp) -> Momentum {
    Momentum { momentum: config.momentum, dampening: 0.0, nesterov: false }
}

impl RmsTail for TorchMomentum {
    const HAS_MOMENTUM: bool = true;

    fn from_config(config: &RmsProp) -> Self {
        momentum(config).then(LearningRate::from_config(config))
    }
}

impl RmsTail for OptaxMomentum {
    const HAS_MOMENTUM: bool = true;

    fn from_config(config: &RmsProp) -> Self {
        LearningRate::from_config(config).then(momentum(config))
    }
}

impl RmsProp {
    /// A library's RMSProp at a constant learning rate η, without momentum: torch's ρ = 0.99
    /// and ε outside the root, or optax's ρ = 0.9 and ε inside; ε = 1e-8 and v₀ = 0 in both.
    /// With momentum, set `momentum` and build with that library's tail ([`TorchMomentum`],
    /// [`OptaxMomentum`]).
    #[must_use]
    pub fn preset(preset: Preset, learning_rate: f64) -> Self {
        let (decay, epsilon) = match preset {
            Preset::Torch => (0.99, Epsilon::OutsideSqrt),
            Preset::Optax => (0.9, Epsilon::InsideSqrt),
        };
        Self {
            learning_rate: Schedule::Constant { learning_rate },
            decay,
            eps: 1e-8,
            epsilon,
            initial_scale: 0.0,
            momentum: 0.0,
            weight_decay: 0.0,
        }
    }

    /// The chain weight decay → `P` → `M`, e.g. `build::<ScaleByCenteredRms, TorchMomentum>()`
    /// for torch's `RMSprop(centered=True, momentum=μ)`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for `momentum`
    /// if it is not 0 and `M` keeps no momentum buffer (the momentum would be lost).
    pub fn build<P: RmsScaling, M: RmsTail>(&self) -> Result<RmsPropRule<P, M>> {
        if !(M::HAS_MOMENTUM || self.momentum == 0.0) {
            return Err(crate::Error::InvalidHyperparameter {
                name: "momentum",
                value: self.momentum,
                valid: "0 for a rule without a momentum buffer (build with TorchMomentum or \
                        OptaxMomentum)",
            });
        }
        Ok(AddDecayedWeights { weight_decay: self.weight_decay }
            .then(P::from_config(self))
            .then(M::from_config(self)))
    }

    /// Plain RMSProp without momentum: weight decay → [`ScaleByRms`] → −η(t).
    ///
    /// # Errors
    /// As [`RmsProp::build`]: `momentum` must be 0 here.
    pub fn rule(&self) -> Result<RmsPropRule<ScaleByRms>> {
        self.build()
    }

    /// Centered RMSProp without momentum: weight decay → [`ScaleByCenteredRms`] → −η(t).
    ///
    /// # Errors
    /// As [`RmsProp::build`]: `momentum` must be 0 here.
    pub fn centered_rule(&self) -> Result<RmsPropRule<ScaleByCenteredRms>> {
        self.build()
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) naming the field.
    pub fn validate(&self) -> Result<()> {
        self.build::<ScaleByRms, TorchMomentum>()?.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::first_order::Optimizer;

    /// θ after each of the given gradients, from θ₀ = 0.
    fn steps<R: Rule>(rule: R, grads: &[f64]) -> Vec<f64> {
        let mut theta = [0.0];
        let mut opt = Optimizer::new(rule, 1).unwrap();
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
        // ρ = 0.99: v₁ = 0.01·9 = 0.09, u₁ = 3/(0.3 + ε) ≈ 10;
        // v₂ = 0.0891 + 0.16 = 0.2491, u₂ = 4/(√0.2491 + ε).
        let path = steps(RmsProp::preset(Preset::Torch, 0.01).rule().unwrap(), &[3.0, 4.0]);
        let eps = 1e-8;
        let theta1 = -0.01 * 3.0 / (0.09f64.sqrt() + eps);
        let theta2 = theta1 - 0.01 * 4.0 / (0.2491f64.sqrt() + eps);
        assert!((path[0] - theta1).abs() < 1e-15 && (path[1] - theta2).abs() < 1e-15);
        assert!((path[0] + 0.1).abs() < 1e-8, "the first step is ≈ −η/√(1 − ρ)");
    }

    #[test]
    fn optax_first_and_second_steps_by_hand() {
        // ρ = 0.9: v₁ = 0.9, u₁ = 3/√(0.9 + ε); v₂ = 0.81 + 1.6 = 2.41, u₂ = 4/√(2.41 + ε).
        let path = steps(RmsProp::preset(Preset::Optax, 0.01).rule().unwrap(), &[3.0, 4.0]);
        let eps = 1e-8;
        let theta1 = -0.01 * 3.0 / (0.9f64 + eps).sqrt();
        let theta2 = theta1 - 0.01 * 4.0 / (2.41f64 + eps).sqrt();
        assert!((path[0] - theta1).abs() < 1e-15 && (path[1] - theta2).abs() < 1e-15);
    }

    #[test]
    fn centered_first_and_second_steps_by_hand() {
        // ρ = 0.99: v₁ = 0.09, ḡ₁ = 0.03, w₁ = 0.09 − 0.0009 = 0.0891;
        // v₂ = 0.2491, ḡ₂ = 0.0297 + 0.04 = 0.0697, w₂ = 0.2491 − 0.0697².
        let path =
            steps(RmsProp::preset(Preset::Torch, 0.01).centered_rule().unwrap(), &[3.0, 4.0]);
        let eps = 1e-8;
        let theta1 = -0.01 * 3.0 / (0.0891f64.sqrt() + eps);
        let theta2 = theta1 - 0.01 * 4.0 / ((0.2491f64 - 0.0697 * 0.0697).sqrt() + eps);
        assert!((path[0] - theta1).abs() < 1e-14 && (path[1] - theta2).abs() < 1e-14);
    }

    #[test]
    fn the_two_momentum_forms_agree_at_a_constant_rate_and_not_under_a_schedule() {
        let grads = [3.0, 4.0, -1.0, 2.0];
        let config = RmsProp { momentum: 0.9, ..RmsProp::preset(Preset::Torch, 0.01) };
        let torch = steps(config.build::<ScaleByRms, TorchMomentum>().unwrap(), &grads);
        let optax = steps(config.build::<ScaleByRms, OptaxMomentum>().unwrap(), &grads);
        for (a, b) in torch.iter().zip(&optax) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
        // By hand: b₁ = u₁, b₂ = 0.9·u₁ + u₂ with u₁, u₂ of the plain test.
        let (u1, u2) = (3.0 / (0.3 + 1e-8), 4.0 / (0.2491f64.sqrt() + 1e-8));
        assert!((torch[1] - (-0.01 * u1 - 0.01 * (0.9 * u1 + u2))).abs() < 1e-15);

        let scheduled = RmsProp {
            learning_rate: Schedule::Step { learning_rate: 0.01, step_size: 1, gamma: 0.5 },
            ..config
        };
        let torch = steps(scheduled.build::<ScaleByRms, TorchMomentum>().unwrap(), &grads);
        let optax = steps(scheduled.build::<ScaleByRms, OptaxMomentum>().unwrap(), &grads);
        assert_eq!(torch[0], optax[0]);
        assert!((torch[1] - optax[1]).abs() > 1e-3, "η changed at step 2");
    }

    #[test]
    fn momentum_without_a_momentum_tail_is_refused() {
        let config = RmsProp { momentum: 0.9, ..RmsProp::preset(Preset::Torch, 0.01) };
        assert!(matches!(
            config.rule(),
            Err(crate::Error::InvalidHyperparameter { name: "momentum", .. })
        ));
        assert!(config.build::<ScaleByRms, TorchMomentum>().is_ok());
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let named = |config: RmsProp| match config.validate() {
            Err(Error::InvalidHyperparameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        let torch = RmsProp::preset(Preset::Torch, 0.01);
        assert_eq!(named(RmsProp::preset(Preset::Optax, -0.01)), "learning_rate");
        assert_eq!(named(RmsProp { decay: 1.0, ..torch.clone() }), "decay");
        assert_eq!(named(RmsProp { decay: -0.5, ..torch.clone() }), "decay");
        assert_eq!(named(RmsProp { eps: 0.0, ..torch.clone() }), "eps");
        assert_eq!(named(RmsProp { initial_scale: -1.0, ..torch.clone() }), "initial_scale");
        assert_eq!(named(RmsProp { momentum: 1.0, ..torch.clone() }), "momentum");
        assert_eq!(named(RmsProp { weight_decay: -0.1, ..torch }), "weight_decay");
    }
}
