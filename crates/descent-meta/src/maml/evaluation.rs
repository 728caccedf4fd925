//! Evaluation on held-out tasks (the MAML paper's protocol) and adapted fits for figures.
//!
//! For each of N held-out tasks (N = 600 in [`EvalConfig::paper`]): copy θ, take SGD steps
//! θ ← θ − α∇L_S(θ) on the task's K support points (α = 0.01), and record the mean-squared
//! error on its query points after each step count s of [`EvalConfig::steps`]
//! ({0, 1, 2, 5, 10}). Per step count the report gives the mean over tasks and the half-width
//! of its normal 95% confidence interval, 1.96·s_N/√N with s_N the sample standard deviation
//! (divisor N − 1).
//!
//! We judge each task on 100 query points (the paper does not state its count; 100 points
//! spread over [−5, 5] measure the fit of the whole curve, and the task-to-task spread, not
//! the query sample, dominates the interval).

use rayon::prelude::*;

use super::{EVAL_STREAM, MetaModel, sgd_steps, stream};
use crate::tasks::{Sinusoid, SinusoidParams, TaskFamily};
use crate::{Error, Result};
use descent_nn::model::{Model as _, Scalar};

/// Query points per held-out task in [`EvalConfig::paper`] (and in [`adapted_fits`]' draws).
pub const EVAL_QUERY: usize = 100;

/// The evaluation protocol.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalConfig {
    /// Held-out tasks N (at least 2).
    pub tasks: usize,
    /// K: support points to adapt on.
    pub shots: usize,
    /// Query points per task to measure the error on.
    pub query: usize,
    /// α of the adaptation's SGD.
    pub inner_lr: f64,
    /// The step counts at which the error is measured (0: before adaptation).
    pub steps: Vec<usize>,
    /// Seed of the held-out tasks (drawn on [`EVAL_STREAM`], never a training task).
    pub seed: u64,
}

impl EvalConfig {
    /// The MAML paper's: 600 tasks, K = `shots`, 100 query points, α = 0.01, steps
    /// {0, 1, 2, 5, 10}, seed 0.
    #[must_use]
    pub fn paper(shots: usize) -> Self {
        Self {
            tasks: 600,
            shots,
            query: EVAL_QUERY,
            inner_lr: 0.01,
            steps: vec![0, 1, 2, 5, 10],
            seed: 0,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        for (name, v, min) in
            [("tasks", self.tasks, 2), ("shots", self.shots, 1), ("query", self.query, 1)]
        {
            if v < min {
                return Err(Error::InvalidHyperparameter {
                    name,
                    value: v as f64,
                    valid: if min == 2 { "at least 2" } else { "at least 1" },
                });
            }
        }
        if !(self.inner_lr >= 0.0 && self.inner_lr.is_finite()) {
            return Err(Error::InvalidHyperparameter {
                name: "inner_lr",
                value: self.inner_lr,
                valid: "finite and ≥ 0",
            });
        }
        Ok(())
    }
}

/// Query MSE after each step count of [`EvalConfig::steps`], over the held-out tasks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// The step counts (as in the config).
    pub steps: Vec<usize>,
    /// Mean query MSE over the tasks, per step count.
    pub mean: Vec<f64>,
    /// Half-width of the 95% confidence interval of the mean, 1.96·s/√N, per step count.
    pub ci95: Vec<f64>,
}

/// Evaluates `model` on held-out tasks of `family`; see the [module docs](self). Tasks are
/// adapted on rayon's threads; each task's numbers do not depend on them, and the averages are
/// taken in task order.
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for an invalid `config`; [`Error::Network`] when the
/// model's network does not fit the family.
pub fn evaluate<F: TaskFamily, T: Scalar>(
    family: &F,
    model: &MetaModel<T>,
    config: &EvalConfig,
) -> Result<Evaluation> {
    config.validate()?;
    let mlp = model.mlp()?;
    let n = mlp.num_params();
    let mut rng = stream(config.seed, EVAL_STREAM);
    let tasks: Vec<_> = (0..config.tasks)
        .map(|_| family.task::<T>(&mut rng, config.shots, config.query).1)
        .collect();
    let last = config.steps.iter().copied().max().unwrap_or(0);
    let per_task: Result<Vec<Vec<f64>>> = tasks
        .par_iter()
        .map(|task| {
            let mut ws = mlp.workspace(config.shots.max(config.query));
            let mut params = model.params.clone();
            let mut grad = vec![T::zero(); n];
            let mut losses = vec![f64::NAN; config.steps.len()];
            for s in 0..=last {
                if s > 0 {
                    sgd_steps(
                        &mlp,
                        &mut params,
                        (&task.support_x, &task.support_y),
                        config.inner_lr,
                        1,
                        &mut ws,
                        &mut grad,
                    )?;
                }
                if config.steps.contains(&s) {
                    let loss = mlp.mse(&params, &task.query_x, &task.query_y, &mut ws)?.as_f64();
                    for (l, _) in losses.iter_mut().zip(&config.steps).filter(|(_, k)| **k == s) {
                        *l = loss;
                    }
                }
            }
            Ok(losses)
        })
        .collect();
    let per_task = per_task?;
    let count = per_task.len() as f64;
    let (mut mean, mut ci95) = (Vec::new(), Vec::new());
    for j in 0..config.steps.len() {
        let m = per_task.iter().map(|l| l[j]).sum::<f64>() / count;
        let var = per_task.iter().map(|l| (l[j] - m) * (l[j] - m)).sum::<f64>() / (count - 1.0);
        mean.push(m);
        ci95.push(1.96 * (var / count).sqrt());
    }
    Ok(Evaluation { steps: config.steps.clone(), mean, ci95 })
}

/// One held-out sinusoid and the model's fits to it after a few adaptation steps.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdaptedFit {
    /// The task.
    pub params: SinusoidParams,
    /// The support inputs adapted on.
    pub support_x: Vec<f64>,
    /// The support targets.
    pub support_y: Vec<f64>,
    /// Evenly spaced inputs over the family's x range.
    pub grid_x: Vec<f64>,
    /// The true curve on the grid.
    pub truth: Vec<f64>,
    /// (step count, the adapted network's predictions on the grid), in the order asked.
    pub curves: Vec<(usize, Vec<f64>)>,
}

/// The first `tasks` held-out sinusoids of `seed` (the tasks [`evaluate`] draws first with
/// the same seed and shots and [`EVAL_QUERY`] query points, as in [`EvalConfig::paper`]), each with `shots` support points and the model's predictions on
/// `grid` evenly spaced inputs after each step count of `steps` (SGD at the model's
/// [`inner_lr`](super::MetaConfig::inner_lr)).
///
/// # Errors
/// [`Error::InvalidHyperparameter`] when `shots` is 0 or `grid` < 2; [`Error::Network`] when
/// the model is not a 1-input, 1-output network.
pub fn adapted_fits<T: Scalar>(
    family: &Sinusoid,
    model: &MetaModel<T>,
    tasks: usize,
    shots: usize,
    steps: &[usize],
    seed: u64,
    grid: usize,
) -> Result<Vec<AdaptedFit>> {
    if shots == 0 {
        return Err(Error::InvalidHyperparameter {
            name: "shots",
            value: 0.0,
            valid: "at least 1",
        });
    }
    if grid < 2 {
        return Err(Error::InvalidHyperparameter {
            name: "grid",
            value: grid as f64,
            valid: "at least 2",
        });
    }
    let mlp = model.mlp()?;
    let n = mlp.num_params();
    let (lo, hi) = family.x_range;
    let grid_x: Vec<f64> =
        (0..grid).map(|i| lo + (hi - lo) * i as f64 / (grid - 1) as f64).collect();
    let grid_t: Vec<T> = grid_x.iter().map(|&x| T::of(x)).collect();
    let mut ws = mlp.workspace(shots.max(grid));
    let mut grad = vec![T::zero(); n];
    let mut out = vec![T::zero(); grid];
    let mut rng = stream(seed, EVAL_STREAM);
    let mut order: Vec<usize> = steps.to_vec();
    order.sort_unstable();
    order.dedup();
    let mut fits = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        // Drawn as `evaluate` draws (support then query inputs), so fit i is evaluation task i.
        let (params, task) = family.task::<T>(&mut rng, shots, EVAL_QUERY);
        let mut theta = model.params.clone();
        let mut done = 0;
        let mut by_step = Vec::with_capacity(order.len());
        for &s in &order {
            sgd_steps(
                &mlp,
                &mut theta,
                (&task.support_x, &task.support_y),
                model.config.inner_lr,
                s - done,
                &mut ws,
                &mut grad,
            )?;
            done = s;
            mlp.forward_values(&theta, &grid_t, &mut ws, &mut out)?;
            by_step.push((s, out.iter().map(|v| v.as_f64()).collect::<Vec<f64>>()));
        }
        let curves = steps
            .iter()
            .map(|s| {
                by_step.iter().find(|(k, _)| k == s).cloned().expect("every step was computed")
            })
            .collect();
        fits.push(AdaptedFit {
            params,
            support_x: task.support_x.iter().map(|v| v.as_f64()).collect(),
            support_y: task.support_y.iter().map(|v| v.as_f64()).collect(),
            truth: grid_x.iter().map(|&x| params.eval(x)).collect(),
            grid_x: grid_x.clone(),
            curves,
        });
    }
    Ok(fits)
}
