//! Few-shot task families: where the tasks of meta-learning come from.
//!
//! A *task family* is a distribution over regression problems. Each draw picks the task's
//! parameters (for the sinusoid: an amplitude and a phase), then inputs x and their targets
//! y = f(x; params). A [`Task`] holds K *support* points — what the learner adapts on — and
//! *query* points — what the adapted learner is judged on. Meta-training ([`crate::maml`])
//! draws a fresh batch of tasks every iteration; evaluation draws held-out tasks from another
//! seed stream.
//!
//! # The sinusoid family (Finn, Abbeel & Levine 2017, §5.1)
//!
//! ```text
//! y = A·sin(x − φ),   A ~ U[0.1, 5],   φ ~ U[0, π],   x ~ U[−5, 5]
//! ```
//!
//! | symbol | meaning | field of [`Sinusoid`] |
//! |---|---|---|
//! | A | amplitude | `amplitude` (range) |
//! | φ | phase | `phase` (range) |
//! | x | input | `x_range` |
//!
//! The draws are uniform on half-open intervals [lo, hi) (lo + (hi − lo)·u, u uniform in
//! [0, 1) from 53 random bits): the closed intervals of the paper differ only by a set of
//! probability zero.
//!
//! # Reproducibility
//! Every draw comes from the caller's [`ChaCha8Rng`], in a fixed order (the parameters, then
//! the support inputs, then the query inputs), computed in f64 and rounded to `T`: the same
//! generator state gives the same task, bit for bit, on every machine.
//!
//! # Example
//! ```
//! use descent_meta::tasks::{Sinusoid, TaskFamily};
//! use rand::SeedableRng as _;
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let (p, task) = Sinusoid::default().task::<f64>(&mut rng, 10, 10);
//! assert_eq!((task.support_x.len(), task.query_y.len()), (10, 10));
//! let y0 = p.amplitude * (task.support_x[0] - p.phase).sin();
//! assert!((task.support_y[0] - y0).abs() < 1e-12);
//! ```

use std::fmt::Debug;

use descent_nn::model::Scalar;
use rand::RngExt as _;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One few-shot regression task: support points to adapt on, query points to be judged on.
///
/// Inputs are row-major (points × [`TaskFamily::inputs`]), targets row-major (points ×
/// [`TaskFamily::outputs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Task<T> {
    /// Support inputs (K rows).
    pub support_x: Vec<T>,
    /// Support targets (K rows).
    pub support_y: Vec<T>,
    /// Query inputs.
    pub query_x: Vec<T>,
    /// Query targets.
    pub query_y: Vec<T>,
}

/// A distribution over regression tasks.
pub trait TaskFamily: Sync {
    /// What identifies one task (for the sinusoid: amplitude and phase).
    type Params: Clone + Debug + Send + Sync;

    /// Inputs per point.
    fn inputs(&self) -> usize;

    /// Outputs per point.
    fn outputs(&self) -> usize;

    /// Draws one task's parameters.
    fn sample_params(&self, rng: &mut ChaCha8Rng) -> Self::Params;

    /// Draws `n` inputs (row-major, `n` × [`TaskFamily::inputs`]).
    fn sample_inputs(&self, rng: &mut ChaCha8Rng, n: usize) -> Vec<f64>;

    /// The targets of the inputs `x` (row-major) for the task `params`.
    fn target(&self, params: &Self::Params, x: &[f64]) -> Vec<f64>;

    /// Draws a task: its parameters, then `support` and `query` points, rounded to `T`.
    fn task<T: Scalar>(
        &self,
        rng: &mut ChaCha8Rng,
        support: usize,
        query: usize,
    ) -> (Self::Params, Task<T>) {
        let params = self.sample_params(rng);
        let support_x = self.sample_inputs(rng, support);
        let query_x = self.sample_inputs(rng, query);
        let support_y = self.target(&params, &support_x);
        let query_y = self.target(&params, &query_x);
        let cast = |v: Vec<f64>| v.into_iter().map(T::of).collect::<Vec<T>>();
        let task = Task {
            support_x: cast(support_x),
            support_y: cast(support_y),
            query_x: cast(query_x),
            query_y: cast(query_y),
        };
        (params, task)
    }
}

/// The sinusoid regression family of the MAML paper; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sinusoid {
    /// The amplitude's range (lo, hi).
    pub amplitude: (f64, f64),
    /// The phase's range (lo, hi), radians.
    pub phase: (f64, f64),
    /// The inputs' range (lo, hi).
    pub x_range: (f64, f64),
}

impl Default for Sinusoid {
    /// The paper's: A ∈ [0.1, 5], φ ∈ [0, π], x ∈ [−5, 5].
    fn default() -> Self {
        Self { amplitude: (0.1, 5.0), phase: (0.0, std::f64::consts::PI), x_range: (-5.0, 5.0) }
    }
}

/// One sinusoid task: y = amplitude·sin(x − phase).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SinusoidParams {
    /// A.
    pub amplitude: f64,
    /// φ, radians.
    pub phase: f64,
}

impl SinusoidParams {
    /// A·sin(x − φ).
    #[must_use]
    pub fn eval(&self, x: f64) -> f64 {
        self.amplitude * (x - self.phase).sin()
    }
}

/// lo + (hi − lo)·u, u uniform in [0, 1).
fn uniform(rng: &mut ChaCha8Rng, (lo, hi): (f64, f64)) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

impl TaskFamily for Sinusoid {
    type Params = SinusoidParams;

    fn inputs(&self) -> usize {
        1
    }

    fn outputs(&self) -> usize {
        1
    }

    fn sample_params(&self, rng: &mut ChaCha8Rng) -> SinusoidParams {
        let amplitude = uniform(rng, self.amplitude);
        let phase = uniform(rng, self.phase);
        SinusoidParams { amplitude, phase }
    }

    fn sample_inputs(&self, rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
        (0..n).map(|_| uniform(rng, self.x_range)).collect()
    }

    fn target(&self, params: &SinusoidParams, x: &[f64]) -> Vec<f64> {
        x.iter().map(|&x| params.eval(x)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    /// 20 000 draws land in the documented ranges with the uniform law's mean (the standard
    /// error of a mean of n uniforms on [lo, hi) is (hi − lo)/√(12n); the bound is 5 of them).
    #[test]
    fn draws_follow_the_paper_ranges() {
        let family = Sinusoid::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let (mut amp, mut phase, mut x) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let (p, task) = family.task::<f64>(&mut rng, 1, 0);
            amp.push(p.amplitude);
            phase.push(p.phase);
            x.push(task.support_x[0]);
            assert_eq!(task.support_y[0], p.eval(task.support_x[0]));
        }
        for (v, (lo, hi)) in [(amp, family.amplitude), (phase, family.phase), (x, family.x_range)] {
            assert!(v.iter().all(|&v| (lo..hi).contains(&v)));
            let mean = v.iter().sum::<f64>() / n as f64;
            let se = (hi - lo) / (12.0 * n as f64).sqrt();
            assert!((mean - (lo + hi) / 2.0).abs() < 5.0 * se, "mean {mean} on [{lo}, {hi})");
        }
    }

    /// Same generator state, same task bits; f32 tasks are the f64 ones rounded.
    #[test]
    fn seeded_and_rounded() {
        let family = Sinusoid::default();
        let a = family.task::<f64>(&mut ChaCha8Rng::seed_from_u64(7), 5, 3).1;
        let b = family.task::<f64>(&mut ChaCha8Rng::seed_from_u64(7), 5, 3).1;
        let c = family.task::<f32>(&mut ChaCha8Rng::seed_from_u64(7), 5, 3).1;
        assert_eq!(a, b);
        assert_eq!(a.query_x.len(), 3);
        assert!(a.support_y.iter().zip(&c.support_y).all(|(x, y)| *x as f32 == *y));
    }
}
