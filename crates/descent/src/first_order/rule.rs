//! Update rules and their composition.
//!
//! An optimizer is a chain of small element-wise [`Rule`]s, as in optax: each takes the update
//! so far (the gradient, at the start of the chain) and the parameter, and returns the next
//! update; the optimizer adds the last one to the parameter. Unlike optax the chain is a type
//! (`Chain<Chain<A, B>, C>`), composed at compile time, so that the compiler inlines every rule
//! into **one fused pass** over parameters, gradients and state. A rule's per-parameter state
//! is its [`Slot`](Rule::Slot); a chain's slot is the tuple of its rules' slots, stored
//! interleaved so that the pass streams one state array.
//!
//! What a rule may depend on, once per step and not per element, is computed in
//! [`Rule::constants`] from the step number (bias corrections, the scheduled learning rate) and
//! from the gradient's global norm, for the one rule that needs it ([`ClipByGlobalNorm`]): that
//! norm is the only second pass.
//!
//! | rule | update u ← | slot |
//! |---|---|---|
//! | [`LearningRate`] | −η(t)·u | none |
//! | [`Scale`] | c·u | none |
//! | [`AddDecayedWeights`] | u + λ·θ | none |
//! | [`ClipByValue`] | clamp(u, −c, c) | none |
//! | [`ClipByGlobalNorm`] | u·min(1, c/‖g‖) | none |
//! | [`Momentum`] | b ← μb + (1 − τ)u (b₁ = u); u ← b, or u + μb (Nesterov) | b |

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Real;
use super::columns::Columns;
use super::schedule::Schedule;
use crate::error::{positive, tolerance};
use crate::{Error, Result};

/// What the rules know about the step being taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo {
    /// The step number t, counting from 1.
    pub step: u64,
    /// ‖g‖₂ of this step's gradient; NaN unless a rule of the chain asked for it.
    pub grad_norm: f64,
    /// A factor on every scheduled learning rate (1 unless a
    /// [`ReduceOnPlateau`](super::ReduceOnPlateau) has cut it).
    pub learning_rate_scale: f64,
}

/// One element-wise stage of an optimizer.
pub trait Rule: Clone + Debug + PartialEq + Send + Sync {
    /// Per-parameter state (e.g. Adam's two moments); `()` for none. Stored as
    /// [`Columns`], one per component.
    type Slot<T: Real>: Columns<T> + Debug + PartialEq + Send + Sync;

    /// Scalar state carried across steps (e.g. NAdam's product of momenta); `()` for none.
    type Global: Clone + Debug + Default + PartialEq + Send + Sync + Serialize + DeserializeOwned;

    /// Values computed once per step and shared by every element.
    type Constants<T: Real>: Copy + Send + Sync;

    /// Whether [`StepInfo::grad_norm`] must be computed (a second pass over the gradient).
    const NEEDS_GRAD_NORM: bool = false;

    /// Checks the hyperparameters.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    fn validate(&self) -> Result<()>;

    /// The state of a parameter before the first step.
    fn init_slot<T: Real>(&self) -> Self::Slot<T>;

    /// This step's constants; may advance the scalar state.
    fn constants<T: Real>(&self, info: &StepInfo, global: &mut Self::Global) -> Self::Constants<T>;

    /// The next update from the update so far `u` and the parameter `param`.
    fn apply<T: Real>(&self, c: &Self::Constants<T>, param: T, u: T, slot: &mut Self::Slot<T>)
    -> T;

    /// This rule followed by `next`.
    fn then<B: Rule>(self, next: B) -> Chain<Self, B>
    where
        Self: Sized,
    {
        Chain(self, next)
    }
}

/// Two rules applied in order: `Chain(a, b)` feeds a's update to b.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain<A, B>(pub A, pub B);

impl<A: Rule, B: Rule> Rule for Chain<A, B> {
    type Slot<T: Real> = (A::Slot<T>, B::Slot<T>);
    type Global = (A::Global, B::Global);
    type Constants<T: Real> = (A::Constants<T>, B::Constants<T>);
    const NEEDS_GRAD_NORM: bool = A::NEEDS_GRAD_NORM || B::NEEDS_GRAD_NORM;

    fn validate(&self) -> Result<()> {
        self.0.validate()?;
        self.1.validate()
    }

    fn init_slot<T: Real>(&self) -> Self::Slot<T> {
        (self.0.init_slot(), self.1.init_slot())
    }

    fn constants<T: Real>(&self, info: &StepInfo, global: &mut Self::Global) -> Self::Constants<T> {
        (self.0.constants(info, &mut global.0), self.1.constants(info, &mut global.1))
    }

    #[inline(always)]
    fn apply<T: Real>(
        &self,
        c: &Self::Constants<T>,
        param: T,
        u: T,
        slot: &mut Self::Slot<T>,
    ) -> T {
        let u = self.0.apply(&c.0, param, u, &mut slot.0);
        self.1.apply(&c.1, param, u, &mut slot.1)
    }
}

/// Multiplies the update by −η(t): the step along the negative update, with a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningRate {
    /// η as a function of the step.
    pub schedule: Schedule,
}

impl LearningRate {
    /// A constant learning rate η.
    #[must_use]
    pub fn constant(learning_rate: f64) -> Self {
        Self { schedule: Schedule::Constant { learning_rate } }
    }
}

impl Rule for LearningRate {
    type Slot<T: Real> = ();
    type Global = ();
    type Constants<T: Real> = T;

    fn validate(&self) -> Result<()> {
        self.schedule.validate()
    }

    fn init_slot<T: Real>(&self) {}

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> T {
        T::of(-self.schedule.at(info.step) * info.learning_rate_scale)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, minus_lr: &T, _param: T, u: T, _: &mut ()) -> T {
        *minus_lr * u
    }
}

/// The usual shape of an adaptive method: coupled decay λθ added to the gradient → `scaling`
/// → −η(t).
pub type Coupled<S> = Chain<Chain<AddDecayedWeights, S>, LearningRate>;

/// The same with a decoupled decay after the scaling (AdamW's shape; Loshchilov & Hutter 2019):
/// coupled λ₀θ → `scaling` → + λθ → −η(t).
pub type Decoupled<S> = Chain<Chain<Chain<AddDecayedWeights, S>, AddDecayedWeights>, LearningRate>;

/// Builds a [`Coupled`] rule.
#[must_use]
pub fn coupled<S: Rule>(weight_decay: f64, scaling: S, schedule: &Schedule) -> Coupled<S> {
    AddDecayedWeights { weight_decay }
        .then(scaling)
        .then(LearningRate { schedule: schedule.clone() })
}

/// Builds a [`Decoupled`] rule: `coupled_decay` before `scaling`, `weight_decay` after it.
#[must_use]
pub fn decoupled<S: Rule>(
    coupled_decay: f64,
    scaling: S,
    weight_decay: f64,
    schedule: &Schedule,
) -> Decoupled<S> {
    AddDecayedWeights { weight_decay: coupled_decay }
        .then(scaling)
        .then(AddDecayedWeights { weight_decay })
        .then(LearningRate { schedule: schedule.clone() })
}

/// Multiplies the update by a constant c.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// c (any finite number).
    pub factor: f64,
}

impl Rule for Scale {
    type Slot<T: Real> = ();
    type Global = ();
    type Constants<T: Real> = T;

    fn validate(&self) -> Result<()> {
        if self.factor.is_finite() {
            Ok(())
        } else {
            Err(Error::InvalidHyperparameter {
                name: "factor",
                value: self.factor,
                valid: "finite",
            })
        }
    }

    fn init_slot<T: Real>(&self) {}

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> T {
        T::of(self.factor)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &T, _param: T, u: T, _: &mut ()) -> T {
        *c * u
    }
}

/// Adds λ·θ to the update: L2 regularisation when placed before a preconditioner ("coupled",
/// torch's `weight_decay` for SGD and Adam), decoupled weight decay when placed after it and
/// before the learning rate (AdamW; Loshchilov & Hutter 2019).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AddDecayedWeights {
    /// λ ≥ 0.
    pub weight_decay: f64,
}

impl Rule for AddDecayedWeights {
    type Slot<T: Real> = ();
    type Global = ();
    type Constants<T: Real> = T;

    fn validate(&self) -> Result<()> {
        tolerance("weight_decay", self.weight_decay).map(drop)
    }

    fn init_slot<T: Real>(&self) {}

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> T {
        T::of(self.weight_decay)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, lambda: &T, param: T, u: T, _: &mut ()) -> T {
        u + *lambda * param
    }
}

/// Clips each component of the update to [−c, c].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClipByValue {
    /// c > 0.
    pub max_abs: f64,
}

impl Rule for ClipByValue {
    type Slot<T: Real> = ();
    type Global = ();
    type Constants<T: Real> = T;

    fn validate(&self) -> Result<()> {
        positive("max_abs", self.max_abs).map(drop)
    }

    fn init_slot<T: Real>(&self) {}

    fn constants<T: Real>(&self, _: &StepInfo, _: &mut ()) -> T {
        T::of(self.max_abs)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &T, _param: T, u: T, _: &mut ()) -> T {
        // Comparisons rather than `max`/`min`: they compile to one SIMD min and max, where the
        // NaN-aware `max`/`min` need several instructions each. A NaN passes through as NaN.
        if u > *c {
            *c
        } else if u < -*c {
            -*c
        } else {
            u
        }
    }
}

/// Scales the update by min(1, c/‖g‖₂), ‖g‖ the norm of the whole gradient (Pascanu et al.
/// 2013). The norm is of the *gradient*, computed in the one pass before the fused update, so
/// place this rule first in the chain (where the update is the gradient), as is usual.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClipByGlobalNorm {
    /// c > 0.
    pub max_norm: f64,
}

impl Rule for ClipByGlobalNorm {
    type Slot<T: Real> = ();
    type Global = ();
    type Constants<T: Real> = T;
    const NEEDS_GRAD_NORM: bool = true;

    fn validate(&self) -> Result<()> {
        positive("max_norm", self.max_norm).map(drop)
    }

    fn init_slot<T: Real>(&self) {}

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> T {
        let factor =
            if info.grad_norm > self.max_norm { self.max_norm / info.grad_norm } else { 1.0 };
        T::of(factor)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, factor: &T, _param: T, u: T, _: &mut ()) -> T {
        *factor * u
    }
}

/// Momentum as PyTorch's `SGD` (and optax's `trace`) keeps it:
///
/// ```text
/// b₁ = u₁,   bₜ = μ·bₜ₋₁ + (1 − τ)·uₜ
/// u ← bₜ                  (heavy ball)
/// u ← uₜ + μ·bₜ           (Nesterov, reformulated: the parameter is the look-ahead point)
/// ```
///
/// μ = `momentum`, τ = `dampening` (torch's; optax has none). Placed *before* the learning rate
/// it is torch's form (η outside the buffer); placed *after* [`LearningRate`] it is the
/// textbook v ← γv − α∇L with α inside (the two agree for a constant α, not under a schedule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Momentum {
    /// μ ∈ [0, 1).
    pub momentum: f64,
    /// τ ∈ [0, 1).
    pub dampening: f64,
    /// Nesterov's look-ahead, in the reformulated form.
    pub nesterov: bool,
}

impl Rule for Momentum {
    type Slot<T: Real> = T;
    type Global = ();
    /// (μ, 1 − τ, first step).
    type Constants<T: Real> = (T, T, bool);

    fn validate(&self) -> Result<()> {
        unit_interval_closed_open("momentum", self.momentum)?;
        unit_interval_closed_open("dampening", self.dampening)?;
        if self.nesterov && (self.momentum == 0.0 || self.dampening != 0.0) {
            return Err(Error::InvalidHyperparameter {
                name: "momentum",
                value: self.momentum,
                valid: "positive, with dampening 0, for Nesterov momentum (as torch requires)",
            });
        }
        Ok(())
    }

    fn init_slot<T: Real>(&self) -> T {
        T::zero()
    }

    fn constants<T: Real>(&self, info: &StepInfo, _: &mut ()) -> (T, T, bool) {
        (T::of(self.momentum), T::of(1.0 - self.dampening), info.step == 1)
    }

    #[inline(always)]
    fn apply<T: Real>(&self, c: &(T, T, bool), _param: T, u: T, b: &mut T) -> T {
        let (mu, undamped, first) = *c;
        *b = if first { u } else { mu * *b + undamped * u };
        if self.nesterov { u + mu * *b } else { *b }
    }
}

/// Checks a decay factor in [0, 1).
pub(crate) fn unit_interval_closed_open(name: &'static str, value: f64) -> Result<f64> {
    if (0.0..1.0).contains(&value) {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter { name, value, valid: "in [0, 1)" })
    }
}

/// Checks an ε: positive and finite.
pub(crate) fn epsilon(name: &'static str, value: f64) -> Result<f64> {
    positive(name, value)
}
