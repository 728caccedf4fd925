//! Hypergradient descent: any first-order rule with its learning rate tuned online.
//!
//! Gradient descent steps θ along a direction d with a learning rate α. The loss after the
//! step is a function of α too, and its derivative with respect to α is one dot product of two
//! quantities the optimizer already has: the gradient now and the direction of the step just
//! taken. Hypergradient descent (Baydin, Cornish, Martínez Rubio, Schmidt & Wood, ICLR 2018)
//! takes a gradient step on α with that derivative before every step on θ, so α grows while
//! successive gradients agree and shrinks when they turn against each other.
//!
//! # The update (Algorithms 1–3 of the paper)
//! With any rule that turns a gradient into a direction d (no learning rate inside it), step
//! t = 1, 2, … from θ₀, α₀ and d₀ = 0:
//!
//! ```text
//! gₜ = ∇f(θₜ₋₁) + λθₜ₋₁                      the gradient of L(θ) = f(θ) + (λ/2)‖θ‖²
//! hₜ = −gₜ·dₜ₋₁ = ∂L(θₜ₋₁)/∂αₜ₋₁              the hypergradient (0 at t = 1)
//! αₜ = αₜ₋₁ − β·hₜ                           then αₜ ← max(αₜ, α_min) with the safeguard
//! dₜ = rule(gₜ)                              (and the rule's state advances)
//! θₜ = θₜ₋₁ − αₜ·dₜ
//! ```
//!
//! Since θₜ₋₁ = θₜ₋₂ − αₜ₋₁·dₜ₋₁, the chain rule gives ∂L(θₜ₋₁)/∂αₜ₋₁ = ∇L(θₜ₋₁)·(−dₜ₋₁):
//! exactly hₜ. As in the paper, the dependence of the rule's state (momentum buffer, Adam's
//! moments) on α is ignored: for these rules the state does not depend on α at all, since they
//! hold no learning rate.
//!
//! | optimizer | constructor | rule | d |
//! |---|---|---|---|
//! | SGD-HD (Alg. 1) | [`Hypergradient::sgd`] | [`Scale`] with factor 1 | g |
//! | SGDN-HD (Alg. 3) | [`Hypergradient::sgdn`] | [`Momentum`] with `nesterov` | g + μb, b ← μb + g (b₁ = g) |
//! | Adam-HD (Alg. 2) | [`Hypergradient::adam`] | [`ScaleByAdam`] (β₁ 0.9, β₂ 0.999, ε 1e-8) | m̂/(√v̂ + ε) |
//!
//! # Symbols
//! | symbol | field | meaning |
//! |---|---|---|
//! | α₀ | [`initial_learning_rate`](Hypergradient::initial_learning_rate) | the learning rate before the first step, > 0 |
//! | β | [`hyper_learning_rate`](Hypergradient::hyper_learning_rate) | the learning rate of α, ≥ 0 (β = 0 is the plain optimizer) |
//! | λ | [`weight_decay`](Hypergradient::weight_decay) | coupled L2: part of the loss, so of g and of h |
//! | α_min | [`min_learning_rate`](Hypergradient::min_learning_rate) | the safeguard's floor, if any |
//! | hₜ | [`HyperStep::hypergradient`] | ∂L(θₜ₋₁)/∂αₜ₋₁ |
//!
//! # Cost
//! One extra vector (dₜ₋₁) and one pre-pass: the dot product gₜ·dₜ₋₁, accumulated in f64
//! (and ‖g‖₂, summed as `Optimizer` sums it, for a rule that reads it). The
//! step itself is one fused pass over parameters, gradient, the rule's state and dₜ₋₁, as in
//! [`Optimizer`](descent::first_order::Optimizer) (the rule's [`Rule::constants`] and
//! [`Rule::apply`]). The pass runs on the calling thread. The pre-pass also checks the gradient
//! for free: a NaN or ±∞ in g makes the dot product non-finite (0·∞ is NaN), and the step is
//! then refused with nothing changed.
//!
//! # Deviations from the paper's code (github.com/gbaydin/hypergradient-descent)
//! - **Safeguard.** The paper's code lets α go negative (the optimizer then climbs). Setting
//!   [`min_learning_rate`](Hypergradient::min_learning_rate) to α_min > 0 clamps
//!   αₜ ← max(αₜ, α_min) after the hypergradient step; `None` (the default) is the paper's
//!   behaviour.
//! - **Adam-HD's previous direction.** We store the exact previous direction
//!   dₜ₋₁ = m̂ₜ₋₁/(√v̂ₜ₋₁ + ε). The paper's code recomputes it from the moments as
//!   mₜ₋₁/(√vₜ₋₁ + ε)·√(1 − β₂ᵗ⁻¹)/(1 − β₁ᵗ⁻¹) = m̂ₜ₋₁/(√v̂ₜ₋₁ + ε/√(1 − β₂ᵗ⁻¹)), ε placed
//!   slightly differently (torch's Adam; the difference fades as β₂ᵗ → 0), and updates α once
//!   per parameter tensor, in order, rather than once per step with the whole dot product.
//! - **One α.** One learning rate for all parameters (the paper's global form), not one per
//!   tensor or per parameter.
//!
//! # Example
//! SGD-HD on ½‖θ‖² starts far too slow (α₀ = 10⁻³) and speeds itself up:
//! ```
//! use descent_meta::hypergradient::{HyperOptimizer, Hypergradient};
//!
//! let mut theta = vec![1.0_f64, -2.0];
//! let mut opt = HyperOptimizer::new(Hypergradient::sgd(1e-3, 1e-2), theta.len())?;
//! for _ in 0..100 {
//!     let grads = theta.clone(); // ∇½‖θ‖² = θ
//!     opt.step(&mut theta, &grads)?;
//! }
//! assert!(opt.learning_rate() > 0.1);
//! assert!(theta.iter().all(|t| t.abs() < 1e-3));
//! # Ok::<(), descent_meta::Error>(())
//! ```
//!
//! # References
//! A. G. Baydin, R. Cornish, D. Martínez Rubio, M. Schmidt & F. Wood (2018), *Online Learning
//! Rate Adaptation with Hypergradient Descent*, ICLR 2018, Algorithms 1–3 and §4.

use std::sync::{Arc, Mutex, PoisonError};

use descent::Objective;
use descent::driver::{Counted, Iterate, Method, StepOutcome};
use descent::first_order::adam::ScaleByAdam;
use descent::first_order::columns::Columns;
use descent::first_order::optimizer::{scaled_norm, squared_norm};
use descent::first_order::rule::{Momentum, Scale};
use descent::first_order::{Real, Rule, StepInfo};
use descent_nn::Dataset;
use descent_nn::model::{Activation, Mlp, Model};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A first-order rule with its learning rate tuned by hypergradient descent: the
/// configuration. See the [module docs](self) for the update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hypergradient<S: Rule> {
    /// The rule giving the update direction d from the gradient (no learning rate in it).
    pub direction: S,
    /// α₀ > 0: the learning rate before the first step.
    pub initial_learning_rate: f64,
    /// β ≥ 0: the learning rate of α (0 keeps α at α₀: the plain optimizer).
    pub hyper_learning_rate: f64,
    /// λ ≥ 0, coupled: g ← g + λθ before everything, so (λ/2)‖θ‖² is part of the loss whose
    /// derivative in α is the hypergradient.
    pub weight_decay: f64,
    /// The safeguard: αₜ ← max(αₜ, floor) after each hypergradient step, floor > 0 and at
    /// most α₀. `None` (the default) lets α go negative, as the paper's code does.
    pub min_learning_rate: Option<f64>,
}

/// SGD-HD's configuration.
pub type SgdHd = Hypergradient<Scale>;
/// SGDN-HD's configuration.
pub type SgdnHd = Hypergradient<Momentum>;
/// Adam-HD's configuration.
pub type AdamHd = Hypergradient<ScaleByAdam>;

impl<S: Rule> Hypergradient<S> {
    /// Hypergradient descent over `direction`, from α₀ = `alpha0` with β = `beta`, no weight
    /// decay, no safeguard.
    #[must_use]
    pub fn new(direction: S, alpha0: f64, beta: f64) -> Self {
        Self {
            direction,
            initial_learning_rate: alpha0,
            hyper_learning_rate: beta,
            weight_decay: 0.0,
            min_learning_rate: None,
        }
    }

    /// The same with coupled weight decay λ.
    #[must_use]
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// The same with the safeguard α ← max(α, `floor`) (a deviation from the paper's code).
    #[must_use]
    pub fn with_min_learning_rate(mut self, floor: f64) -> Self {
        self.min_learning_rate = Some(floor);
        self
    }

    /// Checks every field, the rule's included.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range, the rule's
    /// included.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|e| match e {
            descent::Error::InvalidHyperparameter { name, value, valid } => {
                Error::InvalidHyperparameter { name, value, valid }
            }
            other => Error::Optimizer(other),
        })
    }

    /// [`Hypergradient::validate`] with `descent`'s error type (for the driver).
    fn check(&self) -> descent::Result<()> {
        let invalid =
            |name, value, valid| descent::Error::InvalidHyperparameter { name, value, valid };
        let alpha0 = self.initial_learning_rate;
        if !(alpha0.is_finite() && alpha0 > 0.0) {
            return Err(invalid("initial_learning_rate", alpha0, "positive and finite"));
        }
        let beta = self.hyper_learning_rate;
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(invalid("hyper_learning_rate", beta, "zero or positive, and finite"));
        }
        let lambda = self.weight_decay;
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(invalid("weight_decay", lambda, "zero or positive, and finite"));
        }
        if let Some(floor) = self.min_learning_rate
            && !(floor > 0.0 && floor <= alpha0)
        {
            return Err(invalid(
                "min_learning_rate",
                floor,
                "positive and at most initial_learning_rate",
            ));
        }
        self.direction.validate()
    }
}

impl Hypergradient<Scale> {
    /// SGD-HD (Algorithm 1): d = g.
    #[must_use]
    pub fn sgd(alpha0: f64, beta: f64) -> Self {
        Self::new(Scale { factor: 1.0 }, alpha0, beta)
    }
}

impl Hypergradient<Momentum> {
    /// SGDN-HD (Algorithm 3): Nesterov momentum μ in torch's reformulated form,
    /// b ← μb + g (b₁ = g), d = g + μb.
    #[must_use]
    pub fn sgdn(alpha0: f64, beta: f64, momentum: f64) -> Self {
        Self::new(Momentum { momentum, dampening: 0.0, nesterov: true }, alpha0, beta)
    }
}

impl Hypergradient<ScaleByAdam> {
    /// Adam-HD (Algorithm 2): d = m̂/(√v̂ + ε) with β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸ (ε outside
    /// the root, as torch and optax).
    #[must_use]
    pub fn adam(alpha0: f64, beta: f64) -> Self {
        let moments = ScaleByAdam { beta1: 0.9, beta2: 0.999, eps: 1e-8, eps_root: 0.0 };
        Self::new(moments, alpha0, beta)
    }
}

/// What one [`HyperOptimizer::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HyperStep {
    /// αₜ: the learning rate this step used (after its hypergradient step and the safeguard).
    pub learning_rate: f64,
    /// hₜ = ∂L(θₜ₋₁)/∂αₜ₋₁ = −gₜ·dₜ₋₁ (0 at the first step).
    pub hypergradient: f64,
}

/// Everything that changes from step to step: serialise it to stop and resume bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct HyperState<S: Rule, T: Real> {
    /// Steps taken, t.
    pub step: u64,
    /// αₜ, the learning rate of the last step (α₀ before the first).
    pub learning_rate: f64,
    /// The rule's scalar state.
    pub global: S::Global,
    /// The number of parameters n.
    pub len: usize,
    /// The rule's per-parameter state: `WIDTH·n` values, one column of n per component (e.g.
    /// Adam's m then v).
    pub cells: Vec<T>,
    /// dₜ₋₁, the direction of the last step (zeros before the first).
    pub previous_direction: Vec<T>,
}

/// The step API: a [`Hypergradient`] configuration with its state, stepping `n` parameters of
/// type `T`.
#[derive(Debug, Clone)]
pub struct HyperOptimizer<S: Rule, T: Real = f64> {
    config: Hypergradient<S>,
    state: HyperState<S, T>,
}

impl<S: Rule, T: Real> HyperOptimizer<S, T> {
    /// An optimizer for `n` parameters, before its first step (α = α₀, d₀ = 0).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if the configuration is invalid.
    pub fn new(config: Hypergradient<S>, n: usize) -> Result<Self> {
        config.validate()?;
        Ok(Self::unchecked(config, n))
    }

    /// [`HyperOptimizer::new`] for a configuration already validated.
    fn unchecked(config: Hypergradient<S>, n: usize) -> Self {
        let width = <S::Slot<T> as Columns<T>>::WIDTH;
        let mut cells = vec![T::zero(); width * n];
        if width > 0 {
            let init = config.direction.init_slot::<T>();
            let mut view = <S::Slot<T> as Columns<T>>::view(&mut cells, n);
            for i in 0..n {
                init.write(&mut view, i);
            }
        }
        let state = HyperState {
            step: 0,
            learning_rate: config.initial_learning_rate,
            global: S::Global::default(),
            len: n,
            cells,
            previous_direction: vec![T::zero(); n],
        };
        Self { config, state }
    }

    /// An optimizer that continues from a saved `state`: the same steps follow, bit for bit.
    ///
    /// # Errors
    /// As [`HyperOptimizer::new`]; [`Error::DimensionMismatch`] if the state's buffers do not
    /// match its length; [`Error::InvalidHyperparameter`] for a non-finite saved α.
    pub fn resume(config: Hypergradient<S>, state: HyperState<S, T>) -> Result<Self> {
        config.validate()?;
        let expected = <S::Slot<T> as Columns<T>>::WIDTH * state.len;
        if state.cells.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "hypergradient state cells",
                expected,
                got: state.cells.len(),
            });
        }
        if state.previous_direction.len() != state.len {
            return Err(Error::DimensionMismatch {
                what: "hypergradient state previous_direction",
                expected: state.len,
                got: state.previous_direction.len(),
            });
        }
        if !state.learning_rate.is_finite() {
            return Err(Error::InvalidHyperparameter {
                name: "learning_rate",
                value: state.learning_rate,
                valid: "finite",
            });
        }
        Ok(Self { config, state })
    }

    /// The configuration.
    pub fn config(&self) -> &Hypergradient<S> {
        &self.config
    }

    /// The state, for saving.
    pub fn state(&self) -> &HyperState<S, T> {
        &self.state
    }

    /// Steps taken so far, t.
    pub fn steps(&self) -> u64 {
        self.state.step
    }

    /// αₜ: the learning rate the last step used (α₀ before the first step). The next step
    /// starts from it: it uses αₜ₊₁ = αₜ − β·hₜ₊₁, which needs the next gradient.
    pub fn learning_rate(&self) -> f64 {
        self.state.learning_rate
    }

    /// One step: the hypergradient step on α, then θ ← θ − α·d, fused over all parameters.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `params` or `grads` does not have the optimizer's
    /// length; [`Error::Optimizer`] wrapping [`descent::Error::NonFiniteGradient`] if `grads`
    /// holds NaN or ±∞; [`Error::NonFiniteLearningRate`] if the gradient is finite but the new
    /// α is not (diverged parameters, an overflowing dot product). On error nothing changes.
    pub fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<HyperStep> {
        let n = self.state.len;
        if params.len() != n {
            return Err(Error::DimensionMismatch {
                what: "params",
                expected: n,
                got: params.len(),
            });
        }
        if grads.len() != n {
            return Err(Error::DimensionMismatch { what: "grads", expected: n, got: grads.len() });
        }
        let lambda = T::of(self.config.weight_decay);
        let previous = &self.state.previous_direction;
        // Pre-pass: hₜ = −(gₜ + λθₜ₋₁)·dₜ₋₁ (Alg. 1, line 4), and the gradient's norm if the
        // rule asks for it.
        let squares = if S::NEEDS_GRAD_NORM { squared_norm(grads) } else { 0.0 };
        let hypergradient = -dispatch!(decayed_dot(grads, params, previous, lambda));
        if (!hypergradient.is_finite() || (S::NEEDS_GRAD_NORM && !squares.is_finite()))
            && let Some(index) = grads.iter().position(|g| !g.is_finite())
        {
            let value = grads[index].as_f64();
            return Err(descent::Error::NonFiniteGradient { index, value }.into());
        }
        // Alg. 1, line 5: αₜ = αₜ₋₁ − β·hₜ; then the safeguard.
        let mut alpha = self.state.learning_rate - self.config.hyper_learning_rate * hypergradient;
        if let Some(floor) = self.config.min_learning_rate {
            alpha = alpha.max(floor);
        }
        if !alpha.is_finite() {
            return Err(Error::NonFiniteLearningRate { step: self.state.step + 1, value: alpha });
        }

        self.state.step += 1;
        self.state.learning_rate = alpha;
        let info = StepInfo {
            step: self.state.step,
            grad_norm: if !S::NEEDS_GRAD_NORM {
                f64::NAN
            } else if squares.is_finite() {
                squares.sqrt()
            } else {
                scaled_norm(grads)
            },
            learning_rate_scale: 1.0,
        };
        let rule = &self.config.direction;
        let constants = rule.constants::<T>(&info, &mut self.state.global);
        // As descent's `LearningRate` rule: the factor −α, then θ + (−α)·d, so that β = 0
        // reproduces `Optimizer` bit for bit.
        let minus_alpha = T::of(-alpha);
        let columns = <S::Slot<T> as Columns<T>>::view(&mut self.state.cells, n);
        let previous = &mut self.state.previous_direction;
        let pass = Pass { rule, constants: &constants, lambda, minus_alpha };
        dispatch!(fused(&pass, params, grads, columns, previous));
        Ok(HyperStep { learning_rate: alpha, hypergradient })
    }
}

/// Calls `kernel(args…)` compiled for the widest vector unit the processor has: AVX-512 or
/// AVX2 where available (chosen at run time), the x86-64 baseline otherwise, as `descent`'s
/// `Optimizer` does. The arithmetic is the same in every version (Rust never fuses a multiply
/// and an add on its own), so the results are bit-identical on every machine.
macro_rules! dispatch {
    ($kernel:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor has AVX-512F, checked just above.
                unsafe { $kernel::avx512($($arg),*) }
            } else if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2, checked just above.
                unsafe { $kernel::avx2($($arg),*) }
            } else {
                $kernel::portable($($arg),*)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $kernel::portable($($arg),*)
        }
    }};
}
use dispatch;

/// What the fused pass needs besides the buffers.
struct Pass<'a, S: Rule, T: Real> {
    rule: &'a S,
    constants: &'a S::Constants<T>,
    lambda: T,
    minus_alpha: T,
}

/// (g + λθ)·d accumulated in f64 over eight lanes (Alg. 1, line 4, less its sign).
mod decayed_dot {
    use super::Real;

    #[inline(always)]
    pub fn portable<T: Real>(grads: &[T], params: &[T], previous: &[T], lambda: T) -> f64 {
        let mut acc = [0.0f64; 8];
        let (g, p, d) = (grads.chunks_exact(8), params.chunks_exact(8), previous.chunks_exact(8));
        let tail = g.remainder().iter().zip(p.remainder()).zip(d.remainder());
        for (k, ((&g, &p), &d)) in tail.enumerate() {
            acc[k] += (g + lambda * p).as_f64() * d.as_f64();
        }
        for ((g, p), d) in g.zip(p).zip(d) {
            for k in 0..8 {
                acc[k] += (g[k] + lambda * p[k]).as_f64() * d[k].as_f64();
            }
        }
        acc.iter().sum()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    pub fn avx512<T: Real>(grads: &[T], params: &[T], previous: &[T], lambda: T) -> f64 {
        portable(grads, params, previous, lambda)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub fn avx2<T: Real>(grads: &[T], params: &[T], previous: &[T], lambda: T) -> f64 {
        portable(grads, params, previous, lambda)
    }
}

/// The step's one pass: dₜ from gₜ = ∇f + λθ by the rule, θₜ = θₜ₋₁ − αₜdₜ, dₜ kept
/// (Alg. 1, lines 3 and 6).
mod fused {
    use super::{Columns, Pass, Real, Rule};

    #[inline(always)]
    pub fn portable<S: Rule, T: Real>(
        pass: &Pass<'_, S, T>,
        params: &mut [T],
        grads: &[T],
        mut columns: <S::Slot<T> as Columns<T>>::View<'_>,
        previous: &mut [T],
    ) {
        let n = params.len();
        let (grads, previous) = (&grads[..n], &mut previous[..n]);
        for i in 0..n {
            let mut slot = <S::Slot<T> as Columns<T>>::read(&columns, i);
            let u = grads[i] + pass.lambda * params[i];
            let d = pass.rule.apply(pass.constants, params[i], u, &mut slot);
            params[i] = params[i] + pass.minus_alpha * d;
            previous[i] = d;
            slot.write(&mut columns, i);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    pub fn avx512<S: Rule, T: Real>(
        pass: &Pass<'_, S, T>,
        params: &mut [T],
        grads: &[T],
        columns: <S::Slot<T> as Columns<T>>::View<'_>,
        previous: &mut [T],
    ) {
        portable(pass, params, grads, columns, previous);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub fn avx2<S: Rule, T: Real>(
        pass: &Pass<'_, S, T>,
        params: &mut [T],
        grads: &[T],
        columns: <S::Slot<T> as Columns<T>>::View<'_>,
        previous: &mut [T],
    ) {
        portable(pass, params, grads, columns, previous);
    }
}

/// A shared, cloneable record of the [`HyperStep`]s a driven run took: how a
/// [`minimize`](descent::minimize) user sees α per iteration (the driver's observers see only
/// x, f and ∇f). Get one with [`Hypergradient::traced`]; it grows by one entry per step (an
/// allocation now and then, as [`Trace`](descent::driver::Trace)).
#[derive(Debug, Clone, Default)]
pub struct LearningRateTrace(Arc<Mutex<Vec<HyperStep>>>);

impl LearningRateTrace {
    /// The steps so far, first first.
    pub fn steps(&self) -> Vec<HyperStep> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// αₜ of each step so far.
    pub fn learning_rates(&self) -> Vec<f64> {
        self.steps().iter().map(|s| s.learning_rate).collect()
    }

    fn push(&self, step: HyperStep) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(step);
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// A [`Hypergradient`] method for the driver that records every step's α and hypergradient in
/// a [`LearningRateTrace`] (made by [`Hypergradient::traced`]).
#[derive(Debug, Clone)]
pub struct Traced<S: Rule> {
    /// The method.
    pub method: Hypergradient<S>,
    /// Where its steps go (cleared when a run starts).
    pub trace: LearningRateTrace,
}

impl<S: Rule> Hypergradient<S> {
    /// This method for the driver with a handle on its learning rates: run the first, read the
    /// second after (or during) the run.
    ///
    /// # Example
    /// ```
    /// use descent::{minimize, Options, problems::Rosenbrock};
    /// use descent_meta::hypergradient::Hypergradient;
    ///
    /// let (method, trace) = Hypergradient::adam(1e-3, 1e-4).traced();
    /// let options = Options { max_iter: 300, ..Options::default() };
    /// let report = minimize(&Rosenbrock::new(2)?, &[-1.2, 1.0], method, &options)?;
    /// assert_eq!(trace.steps().len(), report.iterations);
    /// assert!(trace.learning_rates()[299] > 1e-3);
    /// # Ok::<(), descent::Error>(())
    /// ```
    #[must_use]
    pub fn traced(self) -> (Traced<S>, LearningRateTrace) {
        let trace = LearningRateTrace::default();
        (Traced { method: self, trace: trace.clone() }, trace)
    }
}

/// The driver's state of a [`Hypergradient`] run.
#[derive(Debug, Clone)]
pub struct HyperMethodState<S: Rule> {
    optimizer: HyperOptimizer<S, f64>,
}

impl<S: Rule> HyperMethodState<S> {
    /// The optimizer, with its α and step count.
    pub fn optimizer(&self) -> &HyperOptimizer<S, f64> {
        &self.optimizer
    }
}

/// One driver step: x ← step API from `current`, then evaluate.
fn drive<O: Objective + ?Sized, S: Rule>(
    optimizer: &mut HyperOptimizer<S, f64>,
    objective: &Counted<'_, O>,
    current: &Iterate,
    next: &mut Iterate,
) -> Option<HyperStep> {
    next.x.copy_from_slice(&current.x);
    // The driver has checked the gradient; an error here is a non-finite α.
    let step = optimizer.step(&mut next.x, &current.grad).ok()?;
    next.value = objective.value_grad(&next.x, &mut next.grad);
    Some(step)
}

/// Hypergradient descent for [`minimize`](descent::minimize): each iteration is one
/// [`HyperOptimizer::step`] with the gradient at x, then an evaluation at the new point (as
/// [`FirstOrder`](descent::first_order::FirstOrder)). A step that cannot be taken (α became
/// non-finite) ends the run as [`Status::LineSearchFailed`](descent::Status::LineSearchFailed).
///
/// # Example
/// ```
/// use descent::{minimize, Options, problems::Rosenbrock};
/// use descent_meta::hypergradient::Hypergradient;
///
/// let method = Hypergradient::sgdn(1e-4, 1e-8, 0.9).with_min_learning_rate(1e-6);
/// let options = Options { max_iter: 20_000, ..Options::default() };
/// let report = minimize(&Rosenbrock::new(2)?, &[-1.2, 1.0], method, &options)?;
/// assert!(report.status.is_converged());
/// # Ok::<(), descent::Error>(())
/// ```
impl<O: Objective + ?Sized, S: Rule> Method<O> for Hypergradient<S> {
    type State = HyperMethodState<S>;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> descent::Result<Self::State> {
        self.check()?;
        Ok(HyperMethodState { optimizer: HyperOptimizer::unchecked(self.clone(), objective.dim()) })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        match drive(&mut state.optimizer, objective, current, next) {
            Some(_) => StepOutcome::Moved,
            None => StepOutcome::LineSearchFailed,
        }
    }
}

impl<O: Objective + ?Sized, S: Rule> Method<O> for Traced<S> {
    type State = HyperMethodState<S>;

    fn init(&self, objective: &Counted<'_, O>, start: &Iterate) -> descent::Result<Self::State> {
        self.trace.clear();
        <Hypergradient<S> as Method<O>>::init(&self.method, objective, start)
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        match drive(&mut state.optimizer, objective, current, next) {
            Some(step) => {
                self.trace.push(step);
                StepOutcome::Moved
            }
            None => StepOutcome::LineSearchFailed,
        }
    }
}

/// The optimizer of a [`Comparison`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HdOptimizer {
    /// SGD-HD against plain gradient descent.
    Sgd,
    /// SGDN-HD against Nesterov momentum.
    Sgdn,
    /// Adam-HD against Adam.
    Adam,
}

impl HdOptimizer {
    /// The name of the hypergradient variant (`"SGD-HD"`, …).
    #[must_use]
    pub fn hd_name(self) -> &'static str {
        match self {
            Self::Sgd => "SGD-HD",
            Self::Sgdn => "SGDN-HD",
            Self::Adam => "Adam-HD",
        }
    }

    /// The name of the plain optimizer (`"SGD"`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sgd => "SGD",
            Self::Sgdn => "SGDN",
            Self::Adam => "Adam",
        }
    }
}

/// The experiment of §4 of the paper on a small scale: full-batch multinomial logistic
/// regression trained by a hypergradient optimizer and by the same optimizer with α fixed at
/// α₀ (β = 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Which optimizer.
    pub optimizer: HdOptimizer,
    /// α₀, also the baseline's fixed learning rate.
    pub lr0: f64,
    /// β.
    pub beta: f64,
    /// Full-batch iterations (steps).
    pub iterations: usize,
    /// λ of the model's L2 term (λ/2)·Σ‖W‖² on the weights, not the biases
    /// ([`Mlp::with_l2`]); part of the loss the optimizers minimise and of the hypergradient.
    pub weight_decay: f64,
    /// μ of SGDN (ignored by the others).
    pub momentum: f64,
    /// The safeguard's floor α_min ([`Hypergradient::min_learning_rate`]), if any.
    pub safeguard: Option<f64>,
}

impl Comparison {
    /// The issue's set-up: SGD-HD, α₀ = 10⁻³, β = 10⁻³, 200 iterations, λ = 10⁻⁴, μ = 0.9, no
    /// safeguard.
    #[must_use]
    pub fn issue(optimizer: HdOptimizer) -> Self {
        Self {
            optimizer,
            lr0: 1e-3,
            beta: 1e-3,
            iterations: 200,
            weight_decay: 1e-4,
            momentum: 0.9,
            safeguard: None,
        }
    }
}

/// The curves of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonReport {
    /// The settings.
    pub comparison: Comparison,
    /// Examples in the training set.
    pub examples: usize,
    /// Parameters of the model (weights and biases).
    pub params: usize,
    /// The hypergradient run's mean training cross-entropy at θ₀, θ₁, …, θ_T (T + 1 values),
    /// **without** the L2 term.
    pub losses: Vec<f64>,
    /// αₜ of steps t = 1, …, T (T values).
    pub learning_rates: Vec<f64>,
    /// hₜ of steps t = 1, …, T (T values).
    pub hypergradients: Vec<f64>,
    /// The baseline's mean training cross-entropy at θ₀, …, θ_T, without the L2 term.
    pub baseline_losses: Vec<f64>,
    /// The hypergradient run's last cross-entropy, at θ_T.
    pub final_loss: f64,
    /// α_T, the last learning rate (α₀ if T = 0).
    pub final_lr: f64,
    /// The baseline's last cross-entropy.
    pub baseline_final_loss: f64,
}

/// The issue's data: the bundled digits (all 1,797), pixels divided by 16 (into [0, 1]), then
/// standardised per pixel ([`Standardizer`](descent_nn::data::Standardizer), fitted on the
/// same set).
///
/// # Errors
/// None in practice (the embedded set is fixed); [`Error::Network`] if a preparation step
/// refuses it.
pub fn digits_prepared() -> Result<Dataset> {
    let mut data = Dataset::digits();
    data.scale(1.0 / 16.0)?;
    descent_nn::data::Standardizer::fit(&data).apply(&mut data)?;
    Ok(data)
}

/// Trains softmax regression (an [`Mlp`] with no hidden layer, L2 λ = `weight_decay`, f64,
/// θ₀ = 0) on all of `data`, full batch, with the hypergradient optimizer and with the baseline
/// (the same rule, β = 0), and returns both curves. `data` is used as given: prepare it first
/// (see [`digits_prepared`]).
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for settings out of range (and `iterations` = 0);
/// [`Error::Network`] if the model refuses the data (an empty set, fewer than 2 classes);
/// [`Error::NonFiniteLearningRate`] or [`Error::Optimizer`] if a run diverges to NaN/∞.
pub fn compare_on_softmax_regression(data: &Dataset, c: &Comparison) -> Result<ComparisonReport> {
    if c.iterations == 0 {
        return Err(Error::InvalidHyperparameter {
            name: "iterations",
            value: 0.0,
            valid: "at least 1",
        });
    }
    let mlp =
        Mlp::new(data.dim(), &[], data.classes(), Activation::Relu)?.with_l2(c.weight_decay)?;
    let setup = Setup::new(data, mlp)?;
    let (hd, baseline) = match c.optimizer {
        HdOptimizer::Sgd => setup.both(Hypergradient::sgd(c.lr0, c.beta), c)?,
        HdOptimizer::Sgdn => setup.both(Hypergradient::sgdn(c.lr0, c.beta, c.momentum), c)?,
        HdOptimizer::Adam => setup.both(Hypergradient::adam(c.lr0, c.beta), c)?,
    };
    let last = |v: &[f64], default: f64| v.last().copied().unwrap_or(default);
    Ok(ComparisonReport {
        comparison: c.clone(),
        examples: data.len(),
        params: setup.mlp.num_params(),
        final_loss: last(&hd.losses, f64::NAN),
        final_lr: last(&hd.learning_rates, c.lr0),
        baseline_final_loss: last(&baseline.losses, f64::NAN),
        losses: hd.losses,
        learning_rates: hd.learning_rates,
        hypergradients: hd.hypergradients,
        baseline_losses: baseline.losses,
    })
}

/// One run's curves.
struct Curves {
    losses: Vec<f64>,
    learning_rates: Vec<f64>,
    hypergradients: Vec<f64>,
}

/// The model and the full batch.
struct Setup {
    mlp: Mlp,
    x: Vec<f64>,
    labels: Vec<usize>,
}

impl Setup {
    fn new(data: &Dataset, mlp: Mlp) -> Result<Self> {
        let all: Vec<usize> = (0..data.len()).collect();
        let mut x = vec![0.0; data.len() * data.dim()];
        let mut labels = vec![0; data.len()];
        data.gather(&all, &mut x, &mut labels)?;
        Ok(Self { mlp, x, labels })
    }

    /// The hypergradient run and its β = 0 baseline.
    fn both<S: Rule>(&self, h: Hypergradient<S>, c: &Comparison) -> Result<(Curves, Curves)> {
        let mut h = h.with_weight_decay(0.0); // the L2 term is the model's
        if let Some(floor) = c.safeguard {
            h = h.with_min_learning_rate(floor);
        }
        let baseline =
            Hypergradient { hyper_learning_rate: 0.0, min_learning_rate: None, ..h.clone() };
        Ok((self.run(h, c.iterations)?, self.run(baseline, c.iterations)?))
    }

    fn run<S: Rule>(&self, h: Hypergradient<S>, iterations: usize) -> Result<Curves> {
        let (mlp, x, y) = (&self.mlp, &self.x[..], &self.labels[..]);
        let mut params = vec![0.0f64; mlp.num_params()];
        let mut grads = vec![0.0f64; mlp.num_params()];
        let mut ws = mlp.workspace(y.len());
        let mut opt = HyperOptimizer::new(h, params.len())?;
        let weights = mlp.inputs() * mlp.classes();
        let lambda = mlp.l2();
        // The cross-entropy alone: the model's loss minus (λ/2)·‖W‖².
        let cross_entropy = |loss: f64, params: &[f64]| {
            loss - 0.5 * lambda * params[..weights].iter().map(|w| w * w).sum::<f64>()
        };
        let mut curves = Curves {
            losses: Vec::with_capacity(iterations + 1),
            learning_rates: Vec::with_capacity(iterations),
            hypergradients: Vec::with_capacity(iterations),
        };
        for _ in 0..iterations {
            let loss = mlp.loss_grad(&params, x, y, &mut ws, &mut grads)?;
            curves.losses.push(cross_entropy(loss, &params));
            let step = opt.step(&mut params, &grads)?;
            curves.learning_rates.push(step.learning_rate);
            curves.hypergradients.push(step.hypergradient);
        }
        let loss = mlp.loss(&params, x, y, &mut ws)?;
        curves.losses.push(cross_entropy(loss, &params));
        Ok(curves)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_step_is_plain_and_the_second_follows_the_dot_product() {
        // f(θ) = ½aθ², θ₀ = 1: g₁ = a, h₁ = 0, θ₁ = 1 − α₀a; g₂ = aθ₁, h₂ = −g₂·g₁.
        let (a, alpha0, beta) = (3.0, 0.1, 0.01);
        let mut theta = [1.0];
        let mut opt = HyperOptimizer::new(Hypergradient::sgd(alpha0, beta), 1).unwrap();
        let s1 = opt.step(&mut theta, &[a]).unwrap();
        assert_eq!(s1, HyperStep { learning_rate: alpha0, hypergradient: 0.0 });
        let theta1 = 1.0 - alpha0 * a;
        assert!((theta[0] - theta1).abs() < 1e-15);
        let g2 = a * theta1;
        let s2 = opt.step(&mut theta, &[g2]).unwrap();
        let h2 = -g2 * a;
        let alpha2 = alpha0 - beta * h2;
        assert!((s2.hypergradient - h2).abs() < 1e-15);
        assert!((s2.learning_rate - alpha2).abs() < 1e-15);
        assert!((theta[0] - (theta1 - alpha2 * g2)).abs() < 1e-15);
        assert_eq!(opt.learning_rate(), s2.learning_rate);
    }

    #[test]
    fn the_safeguard_keeps_alpha_at_its_floor() {
        // A gradient that reverses every step drives α down; without the floor below zero.
        let run = |h: Hypergradient<Scale>| {
            let mut theta = [0.0];
            let mut opt = HyperOptimizer::new(h, 1).unwrap();
            let mut alpha = Vec::new();
            for t in 0..20 {
                let g = if t % 2 == 0 { 1.0 } else { -1.0 };
                alpha.push(opt.step(&mut theta, &[g]).unwrap().learning_rate);
            }
            alpha
        };
        let free = run(Hypergradient::sgd(0.1, 0.05));
        // h = −g·α·... : each reversal lowers α by β·|gₜ·gₜ₋₁| = 0.05.
        assert!((free[19] - (0.1 - 19.0 * 0.05)).abs() < 1e-12, "{free:?}");
        let guarded = run(Hypergradient::sgd(0.1, 0.05).with_min_learning_rate(0.01));
        assert!(guarded.iter().all(|&a| a >= 0.01));
        assert_eq!(guarded[19], 0.01);
    }

    #[test]
    fn weight_decay_is_part_of_the_gradient_and_of_the_hypergradient() {
        // L = ½λθ² only (f = 0): g = λθ. From θ₀ = 2: g₁ = 2λ, θ₁ = 2 − α₀·2λ, h₂ = −λθ₁·2λ.
        let (lambda, alpha0, beta) = (0.5, 0.2, 0.1);
        let mut theta = [2.0];
        let h = Hypergradient::sgd(alpha0, beta).with_weight_decay(lambda);
        let mut opt = HyperOptimizer::new(h, 1).unwrap();
        opt.step(&mut theta, &[0.0]).unwrap();
        let theta1 = 2.0 - alpha0 * 2.0 * lambda;
        assert!((theta[0] - theta1).abs() < 1e-15);
        let s = opt.step(&mut theta, &[0.0]).unwrap();
        assert!((s.hypergradient + lambda * theta1 * 2.0 * lambda).abs() < 1e-15);
    }

    #[test]
    fn validation_names_the_field() {
        let name = |h: Hypergradient<Scale>| match HyperOptimizer::<Scale>::new(h, 2) {
            Err(Error::InvalidHyperparameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name(Hypergradient::sgd(0.0, 1e-3)), "initial_learning_rate");
        assert_eq!(name(Hypergradient::sgd(f64::NAN, 1e-3)), "initial_learning_rate");
        assert_eq!(name(Hypergradient::sgd(1e-3, -1.0)), "hyper_learning_rate");
        assert_eq!(name(Hypergradient::sgd(1e-3, f64::INFINITY)), "hyper_learning_rate");
        assert_eq!(name(Hypergradient::sgd(1e-3, 0.0).with_weight_decay(-1.0)), "weight_decay");
        assert_eq!(
            name(Hypergradient::sgd(1e-3, 0.0).with_min_learning_rate(0.0)),
            "min_learning_rate"
        );
        assert_eq!(
            name(Hypergradient::sgd(1e-3, 0.0).with_min_learning_rate(1.0)),
            "min_learning_rate"
        );
        // The rule's own fields too.
        assert!(matches!(
            HyperOptimizer::<Momentum>::new(Hypergradient::sgdn(1e-3, 1e-3, 1.5), 2),
            Err(Error::InvalidHyperparameter { name: "momentum", .. })
        ));
    }

    #[test]
    fn a_non_finite_gradient_is_refused_and_changes_nothing() {
        let mut opt = HyperOptimizer::<_, f32>::new(Hypergradient::adam(1e-2, 1e-4), 3).unwrap();
        let mut theta = [1.0f32, 2.0, 3.0];
        opt.step(&mut theta, &[0.1, 0.2, 0.3]).unwrap();
        let (before, state) = (theta, opt.state().clone());
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let err = opt.step(&mut theta, &[0.1, bad, 0.3]).unwrap_err();
            assert!(
                matches!(err, Error::Optimizer(descent::Error::NonFiniteGradient { index: 1, .. })),
                "{err:?}"
            );
            assert_eq!(theta, before);
            assert_eq!(opt.state(), &state);
        }
        assert!(matches!(
            opt.step(&mut theta, &[0.1, 0.2]),
            Err(Error::DimensionMismatch { what: "grads", expected: 3, got: 2 })
        ));
    }

    #[test]
    fn resume_rejects_a_state_of_the_wrong_shape() {
        let opt = HyperOptimizer::<_, f64>::new(Hypergradient::adam(1e-3, 1e-4), 4).unwrap();
        let mut state = opt.state().clone();
        state.previous_direction.pop();
        assert!(matches!(
            HyperOptimizer::resume(Hypergradient::adam(1e-3, 1e-4), state),
            Err(Error::DimensionMismatch { expected: 4, got: 3, .. })
        ));
    }
}
