//! The step API: an [`Optimizer`] owns a [`Rule`] and its state and steps a parameter slice.
//!
//! One call to [`Optimizer::step`] makes one fused pass over parameters, gradients and state
//! (plus one read of the gradient first, when a rule needs its global norm or the gradient is
//! checked for NaN/∞). Above [`PARALLEL_THRESHOLD`] elements the pass is split into fixed
//! chunks across threads; element-wise work does not depend on the split, and the one global
//! reduction sums fixed chunks in a fixed order, so any thread count gives bit-identical results.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Real;
use super::columns::Columns;
use super::rule::{Rule, StepInfo};
use crate::{Error, Result};

/// Below this many parameters the pass runs on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 1 << 17;

/// Elements per chunk of the parallel pass and of the norm reduction (fixed, so results do not
/// depend on the thread count).
const CHUNK: usize = 1 << 14;

/// How many threads the fused pass may use.
#[derive(Debug, Clone, Default)]
pub enum Threads {
    /// Rayon's global pool, above [`PARALLEL_THRESHOLD`] elements.
    #[default]
    Auto,
    /// The calling thread only.
    Single,
    /// A pool of its own with this many threads, above [`PARALLEL_THRESHOLD`] elements.
    Pool(std::sync::Arc<rayon::ThreadPool>),
}

impl Threads {
    /// A dedicated pool of `count` threads (1 is [`Threads::Single`]).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if `count` is 0 or the pool cannot be built.
    pub fn count(count: usize) -> Result<Self> {
        let invalid =
            |valid| Error::InvalidHyperparameter { name: "threads", value: count as f64, valid };
        match count {
            0 => Err(invalid("at least 1")),
            1 => Ok(Self::Single),
            _ => rayon::ThreadPoolBuilder::new()
                .num_threads(count)
                .build()
                .map(|pool| Self::Pool(std::sync::Arc::new(pool)))
                .map_err(|_| invalid("a number of threads the system can start")),
        }
    }
}

/// What [`Optimizer::step`] does with a gradient that contains NaN or ±∞.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiniteCheck {
    /// Return [`Error::NonFiniteGradient`] and leave parameters and state untouched. Costs one
    /// read of the gradient before the fused pass (skipped when a rule reads the global norm,
    /// which checks for free).
    #[default]
    Reject,
    /// Apply the step whatever the gradient holds (PyTorch's behaviour): for callers that
    /// check already, such as the [`minimize`](crate::minimize) driver.
    Trust,
}

/// Everything that changes from step to step: serialise it to stop and resume bit-for-bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct OptimizerState<R: Rule, T: Real> {
    /// Steps taken.
    pub step: u64,
    /// The factor on scheduled learning rates (see [`Optimizer::set_learning_rate_scale`]).
    #[serde(default = "one")]
    pub learning_rate_scale: f64,
    /// The rules' scalar state.
    pub global: R::Global,
    /// The number of parameters n.
    pub len: usize,
    /// The per-parameter state, `WIDTH·n` values laid out as columns chunk by chunk (see
    /// [`columns`](super::columns)); read one parameter's with [`OptimizerState::slot`].
    pub cells: Vec<T>,
}

impl<R: Rule, T: Real> OptimizerState<R, T> {
    /// The state of parameter `i`.
    ///
    /// # Panics
    /// If `i` is not below the number of parameters.
    #[must_use]
    pub fn slot(&self, i: usize) -> R::Slot<T> {
        assert!(i < self.len, "parameter {i} of {}", self.len);
        let width = <R::Slot<T> as Columns<T>>::WIDTH;
        let (chunk, offset) = (i / CHUNK, i % CHUNK);
        let len = CHUNK.min(self.len - chunk * CHUNK);
        let start = chunk * CHUNK * width;
        let mut cells = self.cells[start..start + width * len].to_vec();
        Columns::read(&<R::Slot<T> as Columns<T>>::view(&mut cells, len), offset)
    }
}

/// A [`Rule`] with its state, stepping `n` parameters of type `T`.
///
/// # Example
/// ```
/// use descent::first_order::{Adam, Optimizer};
///
/// let mut params = vec![1.0_f32, -2.0];
/// let mut opt = Optimizer::new(Adam::torch(0.1).rule(), params.len())?;
/// for _ in 0..200 {
///     let grads: Vec<f32> = params.iter().map(|p| 2.0 * p).collect(); // ∇‖θ‖²
///     opt.step(&mut params, &grads)?;
/// }
/// assert!(params.iter().all(|p| p.abs() < 1e-2));
/// # Ok::<(), descent::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Optimizer<R: Rule, T: Real = f64> {
    rule: R,
    state: OptimizerState<R, T>,
    threads: Threads,
    finite_check: FiniteCheck,
}

impl<R: Rule, T: Real> Optimizer<R, T> {
    /// An optimizer for `n` parameters, before its first step.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if the rule's configuration is invalid.
    pub fn new(rule: R, n: usize) -> Result<Self> {
        rule.validate()?;
        let width = <R::Slot<T> as Columns<T>>::WIDTH;
        let mut cells = vec![T::zero(); width * n];
        let init = rule.init_slot::<T>();
        if width > 0 {
            for chunk in cells.chunks_mut(width * CHUNK) {
                let len = chunk.len() / width;
                let mut view = <R::Slot<T> as Columns<T>>::view(chunk, len);
                for i in 0..len {
                    init.write(&mut view, i);
                }
            }
        }
        let state = OptimizerState {
            step: 0,
            learning_rate_scale: 1.0,
            global: R::Global::default(),
            len: n,
            cells,
        };
        Ok(Self { rule, state, threads: Threads::Auto, finite_check: FiniteCheck::Reject })
    }

    /// An optimizer that continues from a saved `state`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if the rule's configuration is invalid.
    pub fn resume(rule: R, state: OptimizerState<R, T>) -> Result<Self> {
        rule.validate()?;
        let expected = <R::Slot<T> as Columns<T>>::WIDTH * state.len;
        if state.cells.len() != expected {
            return Err(Error::DimensionMismatch {
                what: "optimizer state cells",
                expected,
                got: state.cells.len(),
            });
        }
        Ok(Self { rule, state, threads: Threads::Auto, finite_check: FiniteCheck::Reject })
    }

    /// The same optimizer with another thread policy.
    #[must_use]
    pub fn with_threads(mut self, threads: Threads) -> Self {
        self.threads = threads;
        self
    }

    /// The same optimizer with another policy for non-finite gradients.
    #[must_use]
    pub fn with_finite_check(mut self, finite_check: FiniteCheck) -> Self {
        self.finite_check = finite_check;
        self
    }

    /// The rule.
    pub fn rule(&self) -> &R {
        &self.rule
    }

    /// The state, for saving.
    pub fn state(&self) -> &OptimizerState<R, T> {
        &self.state
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.state.step
    }

    /// Multiplies every scheduled learning rate by `scale` from the next step on (what
    /// [`ReduceOnPlateau`](super::ReduceOnPlateau) returns).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless `scale` is positive and finite.
    pub fn set_learning_rate_scale(&mut self, scale: f64) -> Result<()> {
        self.state.learning_rate_scale = crate::error::positive("learning_rate_scale", scale)?;
        Ok(())
    }

    /// One step: θ ← θ + update(θ, g), fused over all parameters.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `params` or `grads` does not have the optimizer's
    /// length; [`Error::NonFiniteGradient`] (under [`FiniteCheck::Reject`]) if `grads` holds
    /// NaN or ±∞, in which case nothing is changed.
    pub fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<()> {
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
        let parallel = n >= PARALLEL_THRESHOLD && !matches!(self.threads, Threads::Single);
        let grad_norm = if R::NEEDS_GRAD_NORM {
            let sum = self.run(parallel, || sum_of_squares(grads, parallel));
            if !sum.is_finite() {
                check_finite(grads)?;
                // Finite but overflowing squares: rescale (rare; exact enough for clipping).
                scaled_norm(grads)
            } else {
                sum.sqrt()
            }
        } else {
            if self.finite_check == FiniteCheck::Reject {
                let finite = self.run(parallel, || all_finite(grads, parallel));
                if !finite {
                    check_finite(grads)?;
                }
            }
            f64::NAN
        };

        self.state.step += 1;
        let info = StepInfo {
            step: self.state.step,
            grad_norm,
            learning_rate_scale: self.state.learning_rate_scale,
        };
        let constants = self.rule.constants::<T>(&info, &mut self.state.global);
        let rule = &self.rule;
        let width = <R::Slot<T> as Columns<T>>::WIDTH;
        let cells = &mut self.state.cells;
        let kernel = |p: &mut [T], g: &[T], c: &mut [T]| fused(rule, &constants, p, g, c);
        // A rule without state has no cells to split: give every chunk an empty column set.
        let cells_per_chunk = (width * CHUNK).max(1);
        if parallel {
            let mut pass = || {
                if width == 0 {
                    params
                        .par_chunks_mut(CHUNK)
                        .zip(grads.par_chunks(CHUNK))
                        .for_each(|(p, g)| kernel(p, g, &mut []));
                } else {
                    params
                        .par_chunks_mut(CHUNK)
                        .zip(grads.par_chunks(CHUNK))
                        .zip(cells.par_chunks_mut(cells_per_chunk))
                        .for_each(|((p, g), c)| kernel(p, g, c));
                }
            };
            match &self.threads {
                Threads::Pool(pool) => pool.install(pass),
                _ => pass(),
            }
        } else if width == 0 {
            for (p, g) in params.chunks_mut(CHUNK).zip(grads.chunks(CHUNK)) {
                kernel(p, g, &mut []);
            }
        } else {
            let chunks = params.chunks_mut(CHUNK).zip(grads.chunks(CHUNK));
            for ((p, g), c) in chunks.zip(cells.chunks_mut(cells_per_chunk)) {
                kernel(p, g, c);
            }
        }
        Ok(())
    }

    /// Runs `f` inside this optimizer's pool, if it has one.
    fn run<U: Send>(&self, parallel: bool, f: impl FnOnce() -> U + Send) -> U {
        match &self.threads {
            Threads::Pool(pool) if parallel => pool.install(f),
            _ => f(),
        }
    }
}

fn one() -> f64 {
    1.0
}

/// The fused pass θ ← θ + update(θ, g) over one chunk, compiled for the widest vector unit
/// the processor has: AVX-512 or AVX2 where available (chosen at run time), the x86-64
/// baseline (SSE2) otherwise. The arithmetic is the same in every version — Rust never fuses a
/// multiply and an add on its own — so the results are bit-identical on every machine.
fn fused<R: Rule, T: Real>(
    rule: &R,
    constants: &R::Constants<T>,
    p: &mut [T],
    g: &[T],
    cells: &mut [T],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has AVX-512F, checked just above.
            return unsafe { fused_avx512(rule, constants, p, g, cells) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            return unsafe { fused_avx2(rule, constants, p, g, cells) };
        }
    }
    fused_portable(rule, constants, p, g, cells);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fused_avx512<R: Rule, T: Real>(
    rule: &R,
    constants: &R::Constants<T>,
    p: &mut [T],
    g: &[T],
    cells: &mut [T],
) {
    fused_portable(rule, constants, p, g, cells);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fused_avx2<R: Rule, T: Real>(
    rule: &R,
    constants: &R::Constants<T>,
    p: &mut [T],
    g: &[T],
    cells: &mut [T],
) {
    fused_portable(rule, constants, p, g, cells);
}

/// The loop itself over one chunk (`cells` holds its state columns); inlined into each
/// compiled version.
#[inline(always)]
fn fused_portable<R: Rule, T: Real>(
    rule: &R,
    constants: &R::Constants<T>,
    p: &mut [T],
    g: &[T],
    cells: &mut [T],
) {
    let len = p.len();
    let g = &g[..len];
    let mut columns = <R::Slot<T> as Columns<T>>::view(cells, len);
    for i in 0..len {
        let mut slot = <R::Slot<T> as Columns<T>>::read(&columns, i);
        p[i] = p[i] + rule.apply(constants, p[i], g[i], &mut slot);
        slot.write(&mut columns, i);
    }
}

/// Σgᵢ² accumulated in f64 over fixed chunks, combined in chunk order.
fn sum_of_squares<T: Real>(g: &[T], parallel: bool) -> f64 {
    let chunk_sum = |c: &[T]| {
        let mut acc = [0.0f64; 8];
        let chunks = c.chunks_exact(8);
        for (k, x) in chunks.remainder().iter().enumerate() {
            acc[k] += x.as_f64() * x.as_f64();
        }
        for x in chunks {
            for k in 0..8 {
                acc[k] += x[k].as_f64() * x[k].as_f64();
            }
        }
        acc.iter().sum::<f64>()
    };
    if parallel {
        let partial: Vec<f64> = g.par_chunks(CHUNK).map(chunk_sum).collect();
        partial.iter().sum()
    } else {
        g.chunks(CHUNK).map(chunk_sum).sum()
    }
}

/// Whether every gᵢ is finite (0·gᵢ summed: 0, or NaN if any is not).
fn all_finite<T: Real>(g: &[T], parallel: bool) -> bool {
    if parallel { g.par_chunks(CHUNK).all(chunk_finite) } else { g.chunks(CHUNK).all(chunk_finite) }
}

/// [`all_finite`] over one chunk, compiled for the widest vector unit available.
fn chunk_finite<T: Real>(c: &[T]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f")]
        fn avx512<T: Real>(c: &[T]) -> bool {
            chunk_finite_portable(c)
        }
        #[target_feature(enable = "avx2")]
        fn avx2<T: Real>(c: &[T]) -> bool {
            chunk_finite_portable(c)
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor has AVX-512F, checked just above.
            return unsafe { avx512(c) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            return unsafe { avx2(c) };
        }
    }
    chunk_finite_portable(c)
}

#[inline(always)]
fn chunk_finite_portable<T: Real>(c: &[T]) -> bool {
    let mut acc = [T::zero(); 16];
    let chunks = c.chunks_exact(16);
    for (k, x) in chunks.remainder().iter().enumerate() {
        acc[k] = acc[k] + *x * T::zero();
    }
    for x in chunks {
        for k in 0..16 {
            acc[k] = acc[k] + x[k] * T::zero();
        }
    }
    acc.iter().fold(T::zero(), |a, b| a + *b) == T::zero()
}

/// The first non-finite gradient as an error.
fn check_finite<T: Real>(g: &[T]) -> Result<()> {
    match g.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(Error::NonFiniteGradient { index, value: g[index].as_f64() }),
        None => Ok(()),
    }
}

/// Σgᵢ² in f64 summed exactly as [`Optimizer::step`] sums it for a rule that reads the
/// gradient's norm (fixed chunks, eight accumulators each, chunks combined in order): for
/// another optimizer that must reproduce its bits (hypergradient descent at β = 0).
pub fn squared_norm<T: Real>(g: &[T]) -> f64 {
    sum_of_squares(g, false)
}

/// ‖g‖₂ computed with scaling, for gradients whose squares overflow (what [`Optimizer::step`]
/// falls back to).
pub fn scaled_norm<T: Real>(g: &[T]) -> f64 {
    let scale = g.iter().fold(0.0f64, |m, x| m.max(x.as_f64().abs()));
    if scale == 0.0 {
        return 0.0;
    }
    scale * g.iter().map(|x| (x.as_f64() / scale).powi(2)).sum::<f64>().sqrt()
}
