//! MAML, first-order MAML and Reptile: meta-learning a starting point that a few gradient
//! steps adapt to a new task; the pretrained baseline; evaluation on held-out tasks; saved
//! models.
//!
//! # The idea
//! Plain training finds one θ that fits all tasks on average. Meta-learning finds a θ from
//! which *one or a few steps of gradient descent on a task's K examples* fit that task well:
//! the objective is the loss after adaptation,
//!
//! ```text
//! min_θ  E_task[ L_Q(θ_k) ],   θ_0 = θ,   θ_{i+1} = θ_i − α·∇L_S(θ_i)   (i < k)
//! ```
//!
//! where L_S is the task's mean-squared error on its K support points and L_Q on its query
//! points. The outer optimiser (Adam, lr 10⁻³) steps θ along the average over a meta-batch
//! of tasks of a *meta-gradient* g:
//!
//! | algorithm | g for one task | cost |
//! |---|---|---|
//! | [`Algorithm::Maml`] (exact) | (I − α∇²L_S(θ_0))·…·(I − α∇²L_S(θ_{k−1}))·∇L_Q(θ_k) | k + 1 gradients, k Hessian-vector products |
//! | [`Algorithm::FirstOrderMaml`] | ∇L_Q(θ_k) (the Hessian terms dropped) | k + 1 gradients |
//! | [`Algorithm::Reptile`] | θ − φ, φ = θ after k SGD steps on the task's data | k gradients |
//!
//! # Exact MAML: backward Hessian-vector products
//! By the chain rule, dθ_{i+1}/dθ_i = I − α∇²L_S(θ_i), a symmetric matrix, so the
//! meta-gradient is computed right to left without forming any Hessian:
//!
//! ```text
//! v ← ∇L_Q(θ_k);   for i = k−1, …, 0:   v ← v − α·∇²L_S(θ_i)·v;   g = v
//! ```
//!
//! The inner iterates θ_0, …, θ_k are kept (in [`MetaScratch`]) and each ∇²L_S(θ_i)·v is
//! one exact Hessian-vector product of the network (Pearlmutter's R-operator,
//! [`Mlp::mse_hvp`]) — no finite differences, no dense Hessian. For a ReLU network the
//! Hessian is that of the piecewise-linear function away from its kinks (the second
//! derivative of max(z, 0) is 0 almost everywhere), as in every autodiff framework.
//!
//! # Reptile (Nichol, Achiam & Schulman 2018, Alg. 1 with a batch of tasks)
//! Reptile needs no derivative of the adaptation: it runs k SGD steps on the task and moves θ
//! toward the result φ. We feed θ − φ to the *same* outer Adam as MAML (the brief's set-up:
//! the three algorithms differ only in g), so the outer step size is Adam's 10⁻³, not the
//! paper's ε = 0.1 interpolation.
//!
//! Our Reptile inner loop: k = [`MetaConfig::inner_steps`] steps of SGD with
//! α = [`MetaConfig::inner_lr`], alternating between the support batch (even steps) and the
//! query batch (odd steps). [`MetaConfig::paper`] sets k = 10 and α = 0.01 for Reptile. Why:
//! - α = 0.01 and k = 10 are the adaptation the model receives at evaluation (SGD at 0.01,
//!   up to 10 steps), so Reptile trains for the use it is put to;
//! - Reptile's meta-gradient equals joint training when k = 1 and gains the MAML-like term
//!   −α·Σ_{i<j} ∇²L_j·∇L_i (Nichol et al., §5) only with k ≥ 2 steps on *different* batches:
//!   alternating the task's two batches uses all of its 2K points, as MAML does, and makes the
//!   successive steps' batches differ;
//! - the paper's sine-wave demo (32 steps at 0.02 on 50 points, outer ε = 0.1 on one task per
//!   iteration) adapts with its own step count at test time; ours is evaluated with the MAML
//!   paper's protocol, so its inner loop matches that protocol instead.
//!
//! # Initialisation: the reference code's, not He
//! [`MetaConfig::paper`] starts θ as the MAML reference code does (`construct_fc_weights` in
//! cbfinn/maml): weights N(0, 0.01²) truncated at ±2σ, biases zero ([`Init::TruncatedNormal`]);
//! the paper itself does not state it. With `descent-nn`'s He initialisation
//! ([`Init::Network`]) the hidden activations on x ∈ [−5, 5] are O(1) and the support loss's
//! largest Hessian eigenvalue λ_max at θ is 700–1500 (measured by power iteration with
//! [`Mlp::mse_hvp`] on five 10-shot tasks): α·λ_max ≫ 2, so one SGD step at α = 0.01
//! overshoots. We saw the held-out loss *rise* with adaptation steps after 300 MAML
//! iterations, and Reptile's 10-step inner loop diverge (a non-finite meta-gradient) in its
//! first iterations. From the reference initialisation λ_max ≈ 2 (the output bias alone): the
//! network starts flat and Adam (indifferent to the gradient's scale)
//! grows it where the tasks need.
//!
//! # The pretrained baseline ([`pretrain`])
//! The MAML paper's comparison: one network regressed on all tasks jointly — each iteration
//! the support and query points of a batch of [`MetaConfig::meta_batch`] fresh tasks (the
//! same tasks meta-training sees, from the same seed), mean-squared error, Adam — then
//! fine-tuned at evaluation exactly like the meta-trained models. Its optimum predicts the
//! average sinusoid (≈ 0): one gradient step from it adapts little.
//!
//! # Parallelism and reproducibility
//! The tasks of a meta-batch are drawn in order from one ChaCha8 stream, then their
//! meta-gradients are computed on [`MetaConfig::threads`] rayon threads into one buffer per
//! task and summed in task order: the result is bit-identical for every thread count.
//!
//! # Seeds
//! θ's initialisation ([`MetaConfig::init`]) is drawn from `seed`; training tasks come from
//! `ChaCha8Rng::seed_from_u64(seed)` on stream [`TRAIN_STREAM`], evaluation tasks
//! ([`evaluate`], [`adapted_fits`]) on stream [`EVAL_STREAM`]: held-out tasks are never
//! training tasks, whatever the two seeds.
//!
//! # Symbols
//! | symbol | meaning | field |
//! |---|---|---|
//! | θ | the meta-learned initialisation | [`MetaModel::params`] |
//! | α | inner (adaptation) learning rate | [`MetaConfig::inner_lr`] |
//! | k | inner steps | [`MetaConfig::inner_steps`] |
//! | K | support points per task (shots) | [`MetaConfig::shots`] |
//! | L_S, L_Q | mean-squared error on the support / query points | |
//! | φ | Reptile's adapted parameters | |
//!
//! # References
//! - Finn, Abbeel & Levine (2017), *Model-Agnostic Meta-Learning for Fast Adaptation of Deep
//!   Networks*, ICML, Alg. 2 and §5.1 (sinusoid regression).
//! - Nichol, Achiam & Schulman (2018), *On First-Order Meta-Learning Algorithms*, Alg. 1–2, §5.
//! - Pearlmutter (1994), *Fast Exact Multiplication by the Hessian*.
//!
//! # Example
//! A short MAML run on the sinusoids, evaluated on 50 held-out tasks:
//! ```
//! use descent_meta::maml::{Algorithm, EvalConfig, MetaConfig, evaluate, meta_train};
//! use descent_meta::tasks::Sinusoid;
//! let mut config = MetaConfig::paper(Algorithm::Maml, 10);
//! config.iterations = 20;
//! config.hidden = vec![20, 20];
//! let model = meta_train::<_, f32>(&Sinusoid::default(), &config, |_| std::ops::ControlFlow::Continue(()))?;
//! let eval = evaluate(&Sinusoid::default(), &model, &EvalConfig { tasks: 50, ..EvalConfig::paper(10) })?;
//! assert_eq!(eval.steps, [0, 1, 2, 5, 10]);
//! assert!(eval.mean.iter().all(|m| m.is_finite() && *m > 0.0));
//! # Ok::<(), descent_meta::Error>(())
//! ```

pub mod evaluation;
pub mod file;

pub use evaluation::{AdaptedFit, EVAL_QUERY, EvalConfig, Evaluation, adapted_fits, evaluate};
pub use file::{from_bytes, load, save};

use std::ops::ControlFlow;

use descent::first_order::{Adam, Optimizer, Threads};
use descent_nn::model::{Activation, Mlp, MlpSpec, Model as _, Scalar, Workspace};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::tasks::{Task, TaskFamily};
use crate::{Error, Result};

/// The ChaCha8 stream of the training tasks (meta-training and pretraining).
pub const TRAIN_STREAM: u64 = 1;
/// The ChaCha8 stream of the held-out tasks (evaluation and adapted fits).
pub const EVAL_STREAM: u64 = 2;

/// The meta-gradient rule; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// MAML with the exact second-order meta-gradient.
    Maml,
    /// First-order MAML: ∇L_Q(θ_k), the Hessian terms dropped.
    FirstOrderMaml,
    /// Reptile: θ − φ after k SGD steps on the task.
    Reptile,
}

impl Algorithm {
    /// `"maml"`, `"first_order_maml"` or `"reptile"` (the serde name).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Maml => "maml",
            Self::FirstOrderMaml => "first_order_maml",
            Self::Reptile => "reptile",
        }
    }
}

/// How a meta-model was trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Meta-trained with this algorithm ([`meta_train`]).
    Meta(Algorithm),
    /// Regressed on all tasks jointly ([`pretrain`]).
    Pretrained,
}

/// θ's starting point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// The network's own: He normal for ReLU, Xavier normal for tanh, zero biases
    /// ([`Model::init`](descent_nn::Model::init)).
    Network,
    /// The MAML reference code's (`construct_fc_weights`): every weight N(0, σ²) truncated at
    /// ±2σ (a draw beyond is drawn again, as `tf.truncated_normal`), biases zero.
    TruncatedNormal {
        /// σ.
        std: f64,
    },
}

impl Init {
    /// θ for `mlp` from `seed`: the same seed, the same bits (draws in f64 from
    /// `ChaCha8Rng::seed_from_u64(seed)`, layer by layer in the layout's order, rounded to `T`).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] for a negative or non-finite σ.
    pub fn params<T: Scalar>(self, mlp: &Mlp, seed: u64) -> Result<Vec<T>> {
        match self {
            Self::Network => Ok(mlp.init_params(seed)),
            Self::TruncatedNormal { std } => {
                if !(std >= 0.0 && std.is_finite()) {
                    return Err(Error::InvalidHyperparameter {
                        name: "init std",
                        value: std,
                        valid: "finite and ≥ 0",
                    });
                }
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let mut params = Vec::with_capacity(mlp.num_params());
                for w in mlp.widths().windows(2) {
                    let (n_in, n_out) = (w[0], w[1]);
                    for _ in 0..n_out * n_in {
                        let z = loop {
                            let z: f64 = rng.sample(StandardNormal);
                            if z.abs() <= 2.0 {
                                break z;
                            }
                        };
                        params.push(T::of(std * z));
                    }
                    params.extend(std::iter::repeat_n(T::zero(), n_out));
                }
                Ok(params)
            }
        }
    }
}

/// A meta-training run's settings. [`MetaConfig::paper`] gives the MAML paper's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaConfig {
    /// The meta-gradient rule.
    pub algorithm: Algorithm,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// The hidden activation.
    pub activation: Activation,
    /// θ's starting point.
    pub init: Init,
    /// K: support points per task.
    pub shots: usize,
    /// Query points per training task.
    pub query: usize,
    /// α: the inner SGD learning rate (Reptile's too).
    pub inner_lr: f64,
    /// k: inner SGD steps (Reptile's too).
    pub inner_steps: usize,
    /// Tasks per meta-batch (their meta-gradients are averaged).
    pub meta_batch: usize,
    /// The outer Adam's learning rate.
    pub outer_lr: f64,
    /// Outer steps.
    pub iterations: usize,
    /// Seed of θ's initialisation and of the training tasks.
    pub seed: u64,
    /// rayon threads over the tasks of a meta-batch (1: none). The result does not depend on it.
    pub threads: usize,
}

impl MetaConfig {
    /// The MAML paper's sinusoid set-up (§5.1): a 1-40-40-1 ReLU network started as the
    /// reference code does (N(0, 0.01²) truncated weights, zero biases; see the
    /// [module docs](self)), K support and K query points per task, α = 0.01 with one inner step, 25 tasks per meta-batch, Adam at 10⁻³,
    /// 70 000 iterations, seed 0, one thread. For [`Algorithm::Reptile`], k = 10 inner steps
    /// (see the [module docs](self) for why).
    #[must_use]
    pub fn paper(algorithm: Algorithm, shots: usize) -> Self {
        let inner_steps = match algorithm {
            Algorithm::Maml | Algorithm::FirstOrderMaml => 1,
            Algorithm::Reptile => 10,
        };
        Self {
            algorithm,
            hidden: vec![40, 40],
            activation: Activation::Relu,
            init: Init::TruncatedNormal { std: 0.01 },
            shots,
            query: shots,
            inner_lr: 0.01,
            inner_steps,
            meta_batch: 25,
            outer_lr: 1e-3,
            iterations: 70_000,
            seed: 0,
            threads: 1,
        }
    }

    /// Checks every field (the hidden widths are checked when the network is built).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let at_least_one = |name, v: usize| {
            if v == 0 {
                Err(Error::InvalidHyperparameter { name, value: 0.0, valid: "at least 1" })
            } else {
                Ok(())
            }
        };
        at_least_one("shots", self.shots)?;
        at_least_one("query", self.query)?;
        at_least_one("inner_steps", self.inner_steps)?;
        at_least_one("meta_batch", self.meta_batch)?;
        at_least_one("threads", self.threads)?;
        if !(self.inner_lr >= 0.0 && self.inner_lr.is_finite()) {
            return Err(Error::InvalidHyperparameter {
                name: "inner_lr",
                value: self.inner_lr,
                valid: "finite and ≥ 0",
            });
        }
        if !(self.outer_lr > 0.0 && self.outer_lr.is_finite()) {
            return Err(Error::InvalidHyperparameter {
                name: "outer_lr",
                value: self.outer_lr,
                valid: "finite and > 0",
            });
        }
        Ok(())
    }

    /// The regression network these settings describe, for a family with `inputs` inputs and
    /// `outputs` outputs.
    ///
    /// # Errors
    /// [`Error::Network`] when a width is 0.
    pub fn network(&self, inputs: usize, outputs: usize) -> Result<Mlp> {
        Ok(Mlp::regression(inputs, &self.hidden, outputs, self.activation)?)
    }
}

/// One outer iteration's losses, averaged over its tasks (what [`meta_train`]'s and
/// [`pretrain`]'s observers see).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetaProgress {
    /// Outer steps taken (1 after the first).
    pub iteration: usize,
    /// L_S(θ): the support loss before adaptation. For [`pretrain`], the batch's loss.
    pub pre_update_loss: f64,
    /// L_Q after one inner step on the support points (MAML: after k). For [`pretrain`], the
    /// batch's loss (there is no adaptation in pretraining).
    pub post_update_loss: f64,
}

/// A trained initialisation θ with what it is and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaModel<T> {
    /// The network ([`Mlp::from_spec`] rebuilds it).
    pub spec: MlpSpec,
    /// θ.
    pub params: Vec<T>,
    /// The run's settings.
    pub config: MetaConfig,
    /// Meta-trained (and how) or pretrained.
    pub kind: ModelKind,
}

impl<T: Scalar> MetaModel<T> {
    /// The network.
    ///
    /// # Errors
    /// [`Error::Network`] if the spec is invalid.
    pub fn mlp(&self) -> Result<Mlp> {
        Ok(Mlp::from_spec(&self.spec)?)
    }
}

/// Buffers for [`meta_gradient`]: the network's workspace, the inner iterates θ_0…θ_k and two
/// vectors. Made once per thread; after that a meta-gradient allocates nothing.
#[derive(Debug, Clone)]
pub struct MetaScratch<T> {
    workspace: Workspace<T>,
    /// θ_0, …, θ_k.
    iterates: Vec<Vec<T>>,
    /// ∇L(θ_i) of the current inner step.
    grad: Vec<T>,
    /// ∇²L_S(θ_i)·v.
    hv: Vec<T>,
    /// The gradient the Hessian-vector product computes beside hv (unused).
    spare: Vec<T>,
    pre_update_loss: f64,
}

impl<T: Scalar> MetaScratch<T> {
    /// Buffers for `mlp`, tasks of at most `max_points` support or query points, and
    /// `inner_steps` inner steps (more are made room for on demand).
    #[must_use]
    pub fn new(mlp: &Mlp, max_points: usize, inner_steps: usize) -> Self {
        let n = mlp.num_params();
        Self {
            workspace: mlp.workspace(max_points.max(1)),
            iterates: vec![vec![T::zero(); n]; inner_steps + 1],
            grad: vec![T::zero(); n],
            hv: vec![T::zero(); n],
            spare: vec![T::zero(); n],
            pre_update_loss: f64::NAN,
        }
    }

    /// L_S(θ) of the last [`meta_gradient`] call: the support loss before adaptation.
    #[must_use]
    pub fn pre_update_loss(&self) -> f64 {
        self.pre_update_loss
    }

    fn fit(&mut self, n: usize, steps: usize) {
        if self.iterates.len() < steps + 1 || self.iterates[0].len() != n {
            self.iterates = vec![vec![T::zero(); n]; steps + 1];
        }
        for v in [&mut self.grad, &mut self.hv, &mut self.spare] {
            v.resize(n, T::zero());
        }
    }
}

/// One task's meta-gradient at θ = `params` into `grad`; returns the post-update query loss
/// (L_Q(θ_k) for MAML and first-order MAML, L_Q(θ_1) for Reptile). See the
/// [module docs](self) for the three rules; the support loss before adaptation is left in
/// [`MetaScratch::pre_update_loss`].
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for `inner_steps` = 0 or a negative or non-finite α;
/// [`Error::Network`] when the task's buffers do not fit the network or the scratch's
/// workspace (more points than it was made for); [`Error::DimensionMismatch`] when `grad` is
/// not as long as `params`.
#[allow(clippy::too_many_arguments)] // the contract's signature: every argument is the caller's choice
pub fn meta_gradient<T: Scalar>(
    mlp: &Mlp,
    params: &[T],
    task: &Task<T>,
    inner_lr: f64,
    inner_steps: usize,
    algorithm: Algorithm,
    scratch: &mut MetaScratch<T>,
    grad: &mut [T],
) -> Result<T> {
    if inner_steps == 0 {
        return Err(Error::InvalidHyperparameter {
            name: "inner_steps",
            value: 0.0,
            valid: "at least 1",
        });
    }
    if !(inner_lr >= 0.0 && inner_lr.is_finite()) {
        return Err(Error::InvalidHyperparameter {
            name: "inner_lr",
            value: inner_lr,
            valid: "finite and ≥ 0",
        });
    }
    let n = params.len();
    if grad.len() != n {
        return Err(Error::DimensionMismatch {
            what: "meta-gradient",
            expected: n,
            got: grad.len(),
        });
    }
    scratch.fit(n, inner_steps);
    let alpha = T::of(inner_lr);
    let MetaScratch { workspace: ws, iterates, grad: g, hv, spare, pre_update_loss } = scratch;
    iterates[0].copy_from_slice(params);
    let (sx, sy, qx, qy) = (&task.support_x, &task.support_y, &task.query_x, &task.query_y);
    match algorithm {
        Algorithm::Maml | Algorithm::FirstOrderMaml => {
            // θ_{i+1} = θ_i − α∇L_S(θ_i), keeping every iterate for the backward pass.
            for i in 0..inner_steps {
                let loss = mlp.mse_grad(&iterates[i], sx, sy, ws, g)?;
                if i == 0 {
                    *pre_update_loss = loss.as_f64();
                }
                let (done, next) = iterates.split_at_mut(i + 1);
                for ((t, &p), &d) in next[0].iter_mut().zip(&done[i]).zip(g.iter()) {
                    *t = p - alpha * d;
                }
            }
            // v = ∇L_Q(θ_k).
            let post = mlp.mse_grad(&iterates[inner_steps], qx, qy, ws, grad)?;
            if algorithm == Algorithm::Maml {
                // v ← (I − α∇²L_S(θ_i))·v, i = k−1, …, 0.
                for i in (0..inner_steps).rev() {
                    mlp.mse_hvp(&iterates[i], sx, sy, grad, ws, spare, hv)?;
                    grad.iter_mut().zip(hv.iter()).for_each(|(v, &h)| *v -= alpha * h);
                }
            }
            Ok(post)
        }
        Algorithm::Reptile => {
            // k SGD steps alternating support (even) and query (odd) batches.
            let mut post = T::nan();
            let phi = &mut iterates[0];
            for i in 0..inner_steps {
                let (x, y) = if i % 2 == 0 { (sx, sy) } else { (qx, qy) };
                let loss = mlp.mse_grad(phi, x, y, ws, g)?;
                match i {
                    0 => *pre_update_loss = loss.as_f64(),
                    1 => post = loss,
                    _ => {}
                }
                phi.iter_mut().zip(g.iter()).for_each(|(p, &d)| *p -= alpha * d);
            }
            if inner_steps == 1 {
                post = mlp.mse(phi, qx, qy, ws)?;
            }
            // g = θ − φ.
            for ((o, &t), &p) in grad.iter_mut().zip(params).zip(phi.iter()) {
                *o = t - p;
            }
            Ok(post)
        }
    }
}

/// Draws `count` tasks in order from `rng`.
fn draw_tasks<F: TaskFamily, T: Scalar>(
    family: &F,
    rng: &mut ChaCha8Rng,
    count: usize,
    support: usize,
    query: usize,
) -> Vec<Task<T>> {
    (0..count).map(|_| family.task::<T>(rng, support, query).1).collect()
}

/// `ChaCha8Rng::seed_from_u64(seed)` on `stream`.
pub(crate) fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A rayon pool of `threads` threads, or `None` for one.
pub(crate) fn pool(threads: usize) -> Result<Option<rayon::ThreadPool>> {
    if threads <= 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().map(Some).map_err(|e| Error::Io {
        file: "<rayon thread pool>".into(),
        source: std::io::Error::other(e),
    })
}

/// Meta-trains θ on tasks of `family` with `config` (see the [module docs](self)); the
/// observer sees every iteration's average losses and may stop the run early.
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for an invalid `config`; [`Error::Network`] for an
/// invalid network; [`Error::Optimizer`] when a meta-gradient is not finite (the run
/// diverged: lower the learning rates).
pub fn meta_train<F: TaskFamily, T: Scalar>(
    family: &F,
    config: &MetaConfig,
    mut observer: impl FnMut(&MetaProgress) -> ControlFlow<()>,
) -> Result<MetaModel<T>> {
    config.validate()?;
    let mlp = config.network(family.inputs(), family.outputs())?;
    let n = mlp.num_params();
    let mut params: Vec<T> = config.init.params(&mlp, config.seed)?;
    let mut adam =
        Optimizer::new(Adam::torch(config.outer_lr).rule(), n)?.with_threads(Threads::Single);
    let mut rng = stream(config.seed, TRAIN_STREAM);
    let pool = pool(config.threads)?;
    let batch = config.meta_batch;
    let points = config.shots.max(config.query);
    let mut scratches: Vec<MetaScratch<T>> =
        (0..batch).map(|_| MetaScratch::new(&mlp, points, config.inner_steps)).collect();
    let mut grads = vec![T::zero(); batch * n];
    let mut mean = vec![T::zero(); n];
    let inv = T::one() / T::of(batch as f64);
    for iteration in 1..=config.iterations {
        let tasks = draw_tasks::<F, T>(family, &mut rng, batch, config.shots, config.query);
        let one = |((task, scratch), grad): ((&Task<T>, &mut MetaScratch<T>), &mut [T])| {
            let post = meta_gradient(
                &mlp,
                &params,
                task,
                config.inner_lr,
                config.inner_steps,
                config.algorithm,
                scratch,
                grad,
            )?;
            Ok((scratch.pre_update_loss(), post.as_f64()))
        };
        let losses: Result<Vec<(f64, f64)>> = match &pool {
            None => {
                tasks.iter().zip(scratches.iter_mut()).zip(grads.chunks_mut(n)).map(one).collect()
            }
            Some(pool) => pool.install(|| {
                tasks
                    .par_iter()
                    .zip(scratches.par_iter_mut())
                    .zip(grads.par_chunks_mut(n))
                    .map(one)
                    .collect()
            }),
        };
        let losses = losses?;
        // The average in task order: the same bits for every thread count.
        mean.copy_from_slice(&grads[..n]);
        for g in grads.chunks_exact(n).skip(1) {
            mean.iter_mut().zip(g).for_each(|(m, &g)| *m += g);
        }
        mean.iter_mut().for_each(|m| *m *= inv);
        adam.step(&mut params, &mean)?;
        let count = batch as f64;
        let progress = MetaProgress {
            iteration,
            pre_update_loss: losses.iter().map(|l| l.0).sum::<f64>() / count,
            post_update_loss: losses.iter().map(|l| l.1).sum::<f64>() / count,
        };
        if observer(&progress).is_break() {
            break;
        }
    }
    Ok(MetaModel {
        spec: mlp.spec(),
        params,
        config: config.clone(),
        kind: ModelKind::Meta(config.algorithm),
    })
}

/// The pretrained baseline: one network regressed on all tasks jointly (each iteration the
/// support and query points of [`MetaConfig::meta_batch`] tasks drawn as in [`meta_train`],
/// mean-squared error, Adam at [`MetaConfig::outer_lr`], [`MetaConfig::iterations`] steps).
/// The algorithm and inner-loop settings of `config` are ignored; the observer sees the
/// batch's loss.
///
/// # Errors
/// As [`meta_train`].
pub fn pretrain<F: TaskFamily, T: Scalar>(
    family: &F,
    config: &MetaConfig,
    mut observer: impl FnMut(&MetaProgress) -> ControlFlow<()>,
) -> Result<MetaModel<T>> {
    config.validate()?;
    let mlp = config.network(family.inputs(), family.outputs())?;
    let n = mlp.num_params();
    let mut params: Vec<T> = config.init.params(&mlp, config.seed)?;
    let mut adam =
        Optimizer::new(Adam::torch(config.outer_lr).rule(), n)?.with_threads(Threads::Single);
    let mut rng = stream(config.seed, TRAIN_STREAM);
    let per_task = config.shots + config.query;
    let rows = config.meta_batch * per_task;
    let mut ws = mlp.workspace(rows);
    let (mut x, mut y) =
        (Vec::with_capacity(rows * family.inputs()), Vec::with_capacity(rows * family.outputs()));
    let mut grad = vec![T::zero(); n];
    for iteration in 1..=config.iterations {
        x.clear();
        y.clear();
        for task in
            draw_tasks::<F, T>(family, &mut rng, config.meta_batch, config.shots, config.query)
        {
            x.extend_from_slice(&task.support_x);
            x.extend_from_slice(&task.query_x);
            y.extend_from_slice(&task.support_y);
            y.extend_from_slice(&task.query_y);
        }
        let loss = mlp.mse_grad(&params, &x, &y, &mut ws, &mut grad)?.as_f64();
        adam.step(&mut params, &grad)?;
        let progress = MetaProgress { iteration, pre_update_loss: loss, post_update_loss: loss };
        if observer(&progress).is_break() {
            break;
        }
    }
    Ok(MetaModel { spec: mlp.spec(), params, config: config.clone(), kind: ModelKind::Pretrained })
}

/// `steps` steps of SGD, θ ← θ − α∇L(θ), on the points (x, y); `grad` is scratch.
pub(crate) fn sgd_steps<T: Scalar>(
    mlp: &Mlp,
    params: &mut [T],
    (x, y): (&[T], &[T]),
    inner_lr: f64,
    steps: usize,
    ws: &mut Workspace<T>,
    grad: &mut [T],
) -> Result<()> {
    let alpha = T::of(inner_lr);
    for _ in 0..steps {
        mlp.mse_grad(params, x, y, ws, grad)?;
        params.iter_mut().zip(grad.iter()).for_each(|(p, &g)| *p -= alpha * g);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::Sinusoid;

    #[test]
    fn paper_settings() {
        let c = MetaConfig::paper(Algorithm::Maml, 10);
        assert_eq!((c.hidden.as_slice(), c.activation), ([40, 40].as_slice(), Activation::Relu));
        assert_eq!(
            (c.shots, c.query, c.inner_steps, c.meta_batch, c.iterations),
            (10, 10, 1, 25, 70_000)
        );
        assert_eq!((c.inner_lr, c.outer_lr), (0.01, 1e-3));
        assert_eq!(MetaConfig::paper(Algorithm::Reptile, 5).inner_steps, 10);
        let mlp = c.network(1, 1).unwrap();
        assert_eq!(mlp.num_params(), 40 + 40 + 40 * 40 + 40 + 40 + 1);
    }

    #[test]
    fn invalid_settings_are_typed_errors() {
        let base = MetaConfig::paper(Algorithm::Maml, 10);
        for bad in [
            MetaConfig { shots: 0, ..base.clone() },
            MetaConfig { meta_batch: 0, ..base.clone() },
            MetaConfig { inner_steps: 0, ..base.clone() },
            MetaConfig { threads: 0, ..base.clone() },
            MetaConfig { inner_lr: f64::NAN, ..base.clone() },
            MetaConfig { outer_lr: 0.0, ..base.clone() },
        ] {
            let r = meta_train::<_, f32>(&Sinusoid::default(), &bad, |_| ControlFlow::Continue(()));
            assert!(matches!(r, Err(Error::InvalidHyperparameter { .. })), "{bad:?}");
        }
        let r = meta_train::<_, f32>(
            &Sinusoid::default(),
            &MetaConfig { hidden: vec![0], ..base },
            |_| ControlFlow::Continue(()),
        );
        assert!(matches!(r, Err(Error::Network(_))));
    }

    /// The reference initialisation: weights within ±2σ with the truncated normal's standard
    /// deviation σ·√(1 − 4φ(2)/(2Φ(2) − 1)) = 0.87962σ (φ, Φ the standard normal's density and
    /// distribution), zero biases, same seed same bits. 1 681 weights: the sample standard
    /// deviation's relative standard error is ≈ 1/√(2n) ≈ 1.7 %; the tolerance 6 %.
    #[test]
    fn truncated_normal_init() {
        let mlp = MetaConfig::paper(Algorithm::Maml, 10).network(1, 1).unwrap();
        let init = Init::TruncatedNormal { std: 0.01 };
        let a: Vec<f64> = init.params(&mlp, 3).unwrap();
        let b: Vec<f64> = init.params(&mlp, 3).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), mlp.num_params());
        let mut weights = Vec::new();
        let mut offset = 0;
        for w in mlp.widths().windows(2) {
            weights.extend_from_slice(&a[offset..offset + w[0] * w[1]]);
            offset += w[0] * w[1];
            assert!(a[offset..offset + w[1]].iter().all(|&b| b == 0.0));
            offset += w[1];
        }
        assert!(weights.iter().all(|w| w.abs() <= 0.02));
        let n = weights.len() as f64;
        let sd = (weights.iter().map(|w| w * w).sum::<f64>() / n).sqrt();
        assert!((sd / (0.87962 * 0.01) - 1.0).abs() < 0.06, "sd {sd}");
        assert!(matches!(
            Init::TruncatedNormal { std: -1.0 }.params::<f32>(&mlp, 0),
            Err(Error::InvalidHyperparameter { .. })
        ));
    }

    /// With one inner step, Reptile's θ − φ is α∇L_S(θ) (one SGD step on the support batch).
    #[test]
    fn reptile_one_step_is_a_scaled_gradient() {
        let mlp = Mlp::regression(1, &[8], 1, Activation::Tanh).unwrap();
        let params: Vec<f64> = mlp.init_params(3);
        let task = Sinusoid::default().task::<f64>(&mut stream(1, 1), 5, 5).1;
        let mut scratch = MetaScratch::new(&mlp, 5, 1);
        let mut g = vec![0.0; mlp.num_params()];
        meta_gradient(&mlp, &params, &task, 0.01, 1, Algorithm::Reptile, &mut scratch, &mut g)
            .unwrap();
        let mut ws = mlp.workspace(5);
        let mut direct = vec![0.0; mlp.num_params()];
        mlp.mse_grad(&params, &task.support_x, &task.support_y, &mut ws, &mut direct).unwrap();
        for (a, b) in g.iter().zip(&direct) {
            assert!((a - 0.01 * b).abs() <= 1e-15 * (1.0 + b.abs()), "{a} vs {}", 0.01 * b);
        }
    }

    /// The stopping observer stops after the iteration it sees.
    #[test]
    fn observer_stops_the_run() {
        let mut config = MetaConfig::paper(Algorithm::FirstOrderMaml, 5);
        config.hidden = vec![8];
        let mut seen = 0;
        meta_train::<_, f64>(&Sinusoid::default(), &config, |p| {
            seen = p.iteration;
            if p.iteration == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .unwrap();
        assert_eq!(seen, 3);
    }
}
