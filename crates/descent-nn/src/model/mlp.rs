//! The multilayer perceptron: dense layers, ReLU or tanh, and a head on top: softmax
//! cross-entropy (a classifier, [`Mlp::new`]) or mean squared error (a regression network,
//! [`Mlp::regression`]).
//!
//! See the [parent module](super) for the layout and the batched equations.
//!
//! # The mean-squared-error head
//! The network's outputs Ŷ = Z_L (B × n_L, linear: no activation on the last layer) are compared
//! with targets Y of the same shape:
//!
//! ```text
//! L = (1/(B·n_L))·Σ_{r,j} (Ŷ_rj − Y_rj)² + (λ/2)·Σ_l ‖W_l‖²_F
//! Δ_L = ∂L/∂Z_L = (2/(B·n_L))·(Ŷ − Y)
//! ```
//!
//! which is PyTorch's `MSELoss(reduction='mean')` (the loss MAML's reference code uses; note
//! the 2 in the gradient and the mean over outputs as well as rows). From Δ_L on, back-propagation
//! is the classifier's (see the parent module): ∂L/∂W_l = Δ_lᵀ·A_{l−1} + λ·W_l,
//! ∂L/∂b_l = Δ_lᵀ·1, Δ_{l−1} = (Δ_l·W_l) ⊙ σ′(Z_{l−1}). [`Mlp::mse`], [`Mlp::mse_grad`].
//!
//! # Hessian-vector products: Pearlmutter's R-operator
//! [`Mlp::mse_hvp`] (and [`Mlp::loss_hvp`] for the classifier) compute ∇²L·v exactly, at about
//! three times the cost of a gradient and without forming the Hessian. For any quantity q(θ) of
//! the passes, R(q) = d/dt q(θ + t·v) at t = 0 is its derivative along v; v has the layout of θ,
//! with blocks V_l (like W_l) and v_{b,l} (like b_l). Differentiating each line of the passes
//! (Pearlmutter 1994, §4):
//!
//! ```text
//! R-forward:   R(A_0) = 0
//!              R(Z_l) = R(A_{l−1})·W_lᵀ + A_{l−1}·V_lᵀ + 1·v_{b,l}ᵀ
//!              R(A_l) = σ′(Z_l) ⊙ R(Z_l)                                  (hidden layers)
//! head:        R(Δ_L) = (2/(B·n_L))·R(Z_L)                               (MSE)
//!              R(Δ_L) = (1/B)·P ⊙ (R(Z_L) − (P ⊙ R(Z_L))·1·1ᵀ)          (softmax, row-wise)
//! R-backward:  R(∂L/∂W_l) = R(Δ_l)ᵀ·A_{l−1} + Δ_lᵀ·R(A_{l−1}) + λ·V_l
//!              R(∂L/∂b_l) = R(Δ_l)ᵀ·1
//!              E_{l−1}    = Δ_l·W_l                     (so Δ_{l−1} = E_{l−1} ⊙ σ′(Z_{l−1}))
//!              R(Δ_{l−1}) = (R(Δ_l)·W_l + Δ_l·V_l) ⊙ σ′(Z_{l−1}) + E_{l−1} ⊙ σ″(Z_{l−1}) ⊙ R(Z_{l−1})
//! ```
//!
//! The blocks R(∂L/∂W_l), R(∂L/∂b_l) together are ∇²L·v. For ReLU σ′ = 1 where A > 0 (else
//! 0) and σ″ = 0 away from the kink (the Hessian of a ReLU network is that of the linear network
//! of the current activation pattern; at a kink it is the one-sided value this mask gives). For
//! tanh σ′ = 1 − A² and σ″ = −2A·(1 − A²), so the last term is −2·A_{l−1} ⊙ E_{l−1} ⊙ R(A_{l−1}),
//! with no need to keep R(Z). Both passes reuse the [`Workspace`]'s buffers: nothing is
//! allocated per call.
//!
//! | symbol | meaning |
//! |---|---|
//! | v, V_l, v_{b,l} | the direction, its weight and bias blocks |
//! | R(q) | derivative of q along v |
//! | Δ_l | ∂L/∂Z_l, B × n_l |
//! | E_{l−1} | Δ_l·W_l, the error before the activation's derivative |
//! | P | the softmax probabilities of the classifier's head |
//!
//! # Initialisation (seeded)
//! Weights are drawn from N(0, s²), biases are zero:
//!
//! | activation | scheme | s² | reference |
//! |---|---|---|---|
//! | ReLU | He (Kaiming normal, fan-in) | 2/n_{l−1} | He et al. (2015), eq. 10 |
//! | tanh | Xavier (Glorot normal) | 2/(n_{l−1} + n_l) | Glorot & Bengio (2010), eq. 16 (normal form) |
//!
//! The scheme applies to every layer, the output layer included. The normal draws come from
//! `rand_chacha::ChaCha8Rng::seed_from_u64(seed)` and `rand_distr::StandardNormal` in f64,
//! layer by layer in the layout's order, and are rounded to `T`: same seed, same bits.
//! PyTorch's `nn.Linear` default differs (Kaiming *uniform* with a = √5, i.e. U(±1/√n_in), and
//! uniform biases); to compare with torch, initialise torch's layers with
//! `nn.init.kaiming_normal_(w, nonlinearity="relu")` / `nn.init.xavier_normal_(w)` and zero
//! biases.
//!
//! # Defaults and why
//! λ = 0 and ε = 0 (plain cross-entropy; turn either on explicitly), one thread (a batch of
//! 64–128 rows is small work; more threads pay only for wide layers).
//!
//! # References
//! - He, Zhang, Ren & Sun (2015), *Delving Deep into Rectifiers*, §2.2, eq. 10.
//! - Glorot & Bengio (2010), *Understanding the difficulty of training deep feedforward neural
//!   networks*, eq. 16.
//! - Rumelhart, Hinton & Williams (1986), *Learning representations by back-propagating errors*.
//! - Pearlmutter (1994), *Fast exact multiplication by the Hessian*, Neural Computation 6(1),
//!   §3–4 (the R-operator and its back-propagation).
//!
//! # Example
//! Ten steps of gradient descent on a batch of two points lower the loss:
//! ```
//! use descent_nn::model::{Activation, Mlp, Model};
//! let mlp = Mlp::new(2, &[8], 2, Activation::Tanh).unwrap();
//! let mut params: Vec<f64> = mlp.init_params(0);
//! let mut grads = vec![0.0; mlp.num_params()];
//! let mut ws = mlp.workspace(2);
//! let (x, y) = ([1.0, 0.0, 0.0, 1.0], [0, 1]);
//! let first = mlp.loss_grad(&params, &x, &y, &mut ws, &mut grads).unwrap();
//! for _ in 0..10 {
//!     mlp.loss_grad(&params, &x, &y, &mut ws, &mut grads).unwrap();
//!     params.iter_mut().zip(&grads).for_each(|(p, g)| *p -= 0.5 * g);
//! }
//! assert!(mlp.loss(&params, &x, &y, &mut ws).unwrap() < 0.5 * first);
//! ```

use faer::Par;
use rand::{RngExt as _, SeedableRng as _};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{Model, Scalar, Workspace, gemm};
use crate::loss::{softmax_cross_entropy, softmax_cross_entropy_value};
use crate::{Error, Result};

/// The hidden layers' nonlinearity σ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// σ(z) = max(z, 0); σ′ = 1 where the output is positive (0 at the kink). He init.
    Relu,
    /// σ(z) = tanh z; σ′ = 1 − σ². Xavier init.
    Tanh,
}

mod regression;

/// What the network's outputs are scored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Head {
    /// Softmax cross-entropy against class labels ([`Model::loss_grad`]): a classifier.
    #[default]
    SoftmaxCrossEntropy,
    /// Mean squared error against real targets ([`Mlp::mse_grad`]): a regression network.
    MeanSquaredError,
}

impl Head {
    /// The head in words, for messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SoftmaxCrossEntropy => "softmax cross-entropy",
            Self::MeanSquaredError => "mean squared error",
        }
    }
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A multilayer perceptron (a classifier or a regression network); see the
/// [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// n_0 (inputs), hidden widths, n_L (classes or outputs).
    widths: Vec<usize>,
    activation: Activation,
    head: Head,
    l2: f64,
    label_smoothing: f64,
    threads: usize,
}

/// What defines an [`Mlp`]'s function: everything but the thread count. It is what a
/// checkpoint stores ([`Mlp::spec`], [`Mlp::from_spec`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    /// Layer widths: inputs, hidden layers, classes (or outputs).
    pub widths: Vec<usize>,
    /// The hidden activation.
    pub activation: Activation,
    /// The head: a classifier or a regression network.
    pub head: Head,
    /// λ of the L2 term.
    pub l2: f64,
    /// ε of the label smoothing.
    pub label_smoothing: f64,
}

/// The most parameters a network may have: 2⁵⁹, so that θ of `f64` (8 bytes each) stays
/// below `isize::MAX` bytes, the most one allocation may hold. A width read from a checkpoint
/// or typed on the command line is checked against it before anything is counted or allocated.
pub const MAX_PARAMS: usize = 1 << 59;

impl Mlp {
    /// An MLP with `inputs` inputs, the hidden layers `hidden` (widths, input side first; empty
    /// for none, which is softmax regression), `classes` outputs and the hidden activation
    /// `activation`. No regularisation, one thread.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when a width is 0, `classes` < 2, or the network has
    /// more than [`MAX_PARAMS`] parameters.
    pub fn new(
        inputs: usize,
        hidden: &[usize],
        classes: usize,
        activation: Activation,
    ) -> Result<Self> {
        if classes < 2 {
            return Err(Error::InvalidHyperparameter {
                name: "classes",
                value: classes as f64,
                valid: "at least 2",
            });
        }
        Self::build(inputs, hidden, classes, activation, Head::SoftmaxCrossEntropy)
    }

    /// A regression network: `inputs` inputs, the hidden layers `hidden` (input side first;
    /// empty for none, which is linear regression), `outputs` linear outputs scored by the
    /// mean squared error ([`Mlp::mse_grad`]), the hidden activation `activation`. No
    /// regularisation, one thread.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when a width is 0 or the network has more than
    /// [`MAX_PARAMS`] parameters.
    pub fn regression(
        inputs: usize,
        hidden: &[usize],
        outputs: usize,
        activation: Activation,
    ) -> Result<Self> {
        if outputs == 0 {
            return Err(Error::InvalidHyperparameter {
                name: "outputs",
                value: 0.0,
                valid: "at least 1",
            });
        }
        Self::build(inputs, hidden, outputs, activation, Head::MeanSquaredError)
    }

    fn build(
        inputs: usize,
        hidden: &[usize],
        outputs: usize,
        activation: Activation,
        head: Head,
    ) -> Result<Self> {
        if inputs == 0 {
            return Err(Error::InvalidHyperparameter {
                name: "inputs",
                value: 0.0,
                valid: "at least 1",
            });
        }
        if hidden.contains(&0) {
            return Err(Error::InvalidHyperparameter {
                name: "hidden width",
                value: 0.0,
                valid: "at least 1",
            });
        }
        let mut widths = Vec::with_capacity(hidden.len() + 2);
        widths.push(inputs);
        widths.extend_from_slice(hidden);
        widths.push(outputs);
        // Σ (n_{l−1}·n_l + n_l) must be countable, and θ of f64 addressable, before anything
        // computes it (`num_params`) or allocates it: a width read from a file or typed on
        // the command line may be anything.
        let count = widths
            .windows(2)
            .try_fold(0usize, |sum, w| w[0].checked_mul(w[1])?.checked_add(w[1])?.checked_add(sum));
        if count.is_none_or(|n| n > MAX_PARAMS) {
            let total = widths.windows(2).map(|w| (w[0] as f64 + 1.0) * w[1] as f64).sum();
            return Err(Error::InvalidHyperparameter {
                name: "parameter count",
                value: total,
                valid: "at most 2^59 (θ must fit in memory)",
            });
        }
        Ok(Self { widths, activation, head, l2: 0.0, label_smoothing: 0.0, threads: 1 })
    }

    /// The same network with the L2 term (λ/2)·Σ‖W‖² on the weights (not the biases).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless λ is finite and ≥ 0.
    pub fn with_l2(mut self, lambda: f64) -> Result<Self> {
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(Error::InvalidHyperparameter {
                name: "l2",
                value: lambda,
                valid: "finite and ≥ 0",
            });
        }
        self.l2 = lambda;
        Ok(self)
    }

    /// The same network trained against smoothed targets (1 − ε)·y + ε/K.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless ε ∈ [0, 1), and for ε ≠ 0 on a regression
    /// network (which has no classes to smooth).
    pub fn with_label_smoothing(mut self, epsilon: f64) -> Result<Self> {
        if self.head == Head::MeanSquaredError && epsilon != 0.0 {
            return Err(Error::InvalidHyperparameter {
                name: "label smoothing",
                value: epsilon,
                valid: "0 on a regression network (mean squared error head)",
            });
        }
        if !(0.0..1.0).contains(&epsilon) {
            return Err(Error::InvalidHyperparameter {
                name: "label smoothing",
                value: epsilon,
                valid: "in [0, 1)",
            });
        }
        self.label_smoothing = epsilon;
        Ok(self)
    }

    /// The same network with its matrix products split over `threads` rayon threads (1: none).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] for 0.
    pub fn with_threads(mut self, threads: usize) -> Result<Self> {
        if threads == 0 {
            return Err(Error::InvalidHyperparameter {
                name: "threads",
                value: 0.0,
                valid: "at least 1",
            });
        }
        self.threads = threads;
        Ok(self)
    }

    /// The network's definition, for a checkpoint.
    #[must_use]
    pub fn spec(&self) -> MlpSpec {
        MlpSpec {
            widths: self.widths.clone(),
            activation: self.activation,
            head: self.head,
            l2: self.l2,
            label_smoothing: self.label_smoothing,
        }
    }

    /// The network `spec` defines (one thread), with every setting checked as by the builder.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when `spec` has fewer than two widths or a setting out
    /// of range (see [`Mlp::new`], [`Mlp::regression`], [`Mlp::with_l2`],
    /// [`Mlp::with_label_smoothing`]).
    pub fn from_spec(spec: &MlpSpec) -> Result<Self> {
        let [inputs, hidden @ .., outputs] = spec.widths.as_slice() else {
            return Err(Error::InvalidHyperparameter {
                name: "layer count",
                value: spec.widths.len() as f64,
                valid: "at least 2 widths (inputs and outputs)",
            });
        };
        let mlp = match spec.head {
            Head::SoftmaxCrossEntropy => Self::new(*inputs, hidden, *outputs, spec.activation)?,
            Head::MeanSquaredError => Self::regression(*inputs, hidden, *outputs, spec.activation)?,
        };
        mlp.with_l2(spec.l2)?.with_label_smoothing(spec.label_smoothing)
    }

    /// Layer widths (n_0 = inputs, hidden…, n_L = classes or outputs).
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The head: classifier or regression network.
    pub fn head(&self) -> Head {
        self.head
    }

    /// Outputs per example, n_L (the classes of a classifier).
    pub fn outputs(&self) -> usize {
        self.widths[self.layers()]
    }

    /// Fails unless the network has the head `needed` for `operation`.
    fn require(&self, needed: Head, operation: &'static str) -> Result<()> {
        if self.head == needed {
            Ok(())
        } else {
            Err(Error::WrongHead { operation, needed, head: self.head })
        }
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// λ of the L2 term.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// ε of the label smoothing.
    pub fn label_smoothing(&self) -> f64 {
        self.label_smoothing
    }

    /// Threads of the matrix products.
    pub fn threads(&self) -> usize {
        self.threads
    }

    fn par(&self) -> Par {
        if self.threads <= 1 { Par::Seq } else { Par::rayon(self.threads) }
    }

    fn layers(&self) -> usize {
        self.widths.len() - 1
    }

    /// Checks the buffers and returns the batch size.
    fn check<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        batch: usize,
        ws: &Workspace<T>,
    ) -> Result<()> {
        if params.len() != self.num_params() {
            return Err(Error::DimensionMismatch {
                what: "parameters",
                expected: self.num_params(),
                got: params.len(),
            });
        }
        if batch == 0 || batch > ws.max_batch {
            return Err(Error::BatchSize { got: batch, max: ws.max_batch });
        }
        if x.len() != batch * self.widths[0] {
            return Err(Error::DimensionMismatch {
                what: "batch inputs (rows × inputs)",
                expected: batch * self.widths[0],
                got: x.len(),
            });
        }
        let fits = ws.acts.len() == self.layers()
            && ws.acts.iter().zip(&self.widths[1..]).all(|(a, &n)| a.len() == n * ws.max_batch)
            && ws.delta[0].len()
                >= self.widths[1..].iter().max().copied().unwrap_or(0) * ws.max_batch;
        if !fits {
            return Err(Error::DimensionMismatch {
                what: "workspace (made by another model)",
                expected: self.widths[1..].iter().sum::<usize>() * ws.max_batch,
                got: ws.acts.iter().map(Vec::len).sum(),
            });
        }
        Ok(())
    }

    /// Z_l = A_{l−1}·W_lᵀ + 1·b_lᵀ, A_l = σ(Z_l) for every layer; the logits end in `acts[L−1]`.
    fn forward<T: Scalar>(&self, params: &[T], x: &[T], batch: usize, ws: &mut Workspace<T>) {
        let par = self.par();
        let layers = self.layers();
        let mut offset = 0;
        for l in 0..layers {
            let (n_in, n_out) = (self.widths[l], self.widths[l + 1]);
            let (w, rest) = params[offset..].split_at(n_out * n_in);
            let b = &rest[..n_out];
            offset += n_out * n_in + n_out;
            let (before, after) = ws.acts.split_at_mut(l);
            let prev: &[T] = if l == 0 { x } else { &before[l - 1][..batch * n_in] };
            let out = &mut after[0][..batch * n_out];
            for row in out.chunks_exact_mut(n_out) {
                row.copy_from_slice(b);
            }
            gemm::a_bt(out, true, prev, w, (batch, n_out, n_in), par);
            if l + 1 < layers {
                match self.activation {
                    Activation::Relu => out.iter_mut().for_each(|a| *a = a.max(T::zero())),
                    Activation::Tanh => out.iter_mut().for_each(|a| *a = a.tanh()),
                }
            }
        }
    }

    /// (λ/2)·Σ‖W_l‖², accumulated in f64.
    fn l2_term<T: Scalar>(&self, params: &[T]) -> f64 {
        if self.l2 == 0.0 {
            return 0.0;
        }
        let mut offset = 0;
        let mut sum = 0.0;
        for l in 0..self.layers() {
            let (n_in, n_out) = (self.widths[l], self.widths[l + 1]);
            sum += params[offset..offset + n_out * n_in]
                .iter()
                .map(|w| w.as_f64() * w.as_f64())
                .sum::<f64>();
            offset += n_out * n_in + n_out;
        }
        0.5 * self.l2 * sum
    }

    /// Back-propagation from Δ_L (in `delta[0]`) after [`Mlp::forward`]: writes ∇L into
    /// `grads` (the L2 term included).
    fn backward<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        batch: usize,
        ws: &mut Workspace<T>,
        grads: &mut [T],
    ) {
        let par = self.par();
        let lambda = T::of(self.l2);
        let Workspace { acts, delta, .. } = ws;
        let mut current = 0; // which of `delta` holds Δ_l
        let mut end = params.len();
        for l in (0..self.layers()).rev() {
            let (n_in, n_out) = (self.widths[l], self.widths[l + 1]);
            let start = end - (n_out * n_in + n_out);
            let w = &params[start..start + n_out * n_in];
            let (gw, gb) = grads[start..end].split_at_mut(n_out * n_in);
            let [d0, d1] = &mut *delta;
            let (d_cur, d_prev) = if current == 0 { (&*d0, d1) } else { (&*d1, d0) };
            let d_cur = &d_cur[..batch * n_out];
            let prev: &[T] = if l == 0 { x } else { &acts[l - 1][..batch * n_in] };
            // ∂L/∂W_l = Δ_lᵀ·A_{l−1} (+ λ·W_l below).
            gemm::at_b(gw, false, d_cur, prev, (n_out, n_in, batch), par);
            if self.l2 != 0.0 {
                gw.iter_mut().zip(w).for_each(|(g, &w)| *g += lambda * w);
            }
            // ∂L/∂b_l = Δ_lᵀ·1: the column sums.
            column_sums(gb, d_cur);
            if l > 0 {
                // Δ_{l−1} = (Δ_l·W_l) ⊙ σ′(A_{l−1}).
                let d_prev = &mut d_prev[..batch * n_in];
                gemm::a_b(d_prev, false, d_cur, w, (batch, n_in, n_out), par);
                match self.activation {
                    Activation::Relu => d_prev.iter_mut().zip(prev).for_each(|(d, &a)| {
                        if a <= T::zero() {
                            *d = T::zero();
                        }
                    }),
                    Activation::Tanh => {
                        d_prev.iter_mut().zip(prev).for_each(|(d, &a)| *d *= T::one() - a * a);
                    }
                }
                current = 1 - current;
            }
            end = start;
        }
    }
}

/// `sums` ← the column sums of the row-major `rows` (`sums.len()` columns).
fn column_sums<T: Scalar>(sums: &mut [T], rows: &[T]) {
    sums.fill(T::zero());
    for row in rows.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(s, &d)| *s += d);
    }
}

/// Fails unless a buffer (`what`) has `got` = `expected` elements.
fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got { Ok(()) } else { Err(Error::DimensionMismatch { what, expected, got }) }
}

impl Model for Mlp {
    fn inputs(&self) -> usize {
        self.widths[0]
    }

    fn classes(&self) -> usize {
        self.widths[self.layers()]
    }

    fn num_params(&self) -> usize {
        self.widths.windows(2).map(|w| w[1] * w[0] + w[1]).sum()
    }

    fn workspace<T: Scalar>(&self, max_batch: usize) -> Workspace<T> {
        Workspace::new(&self.widths, max_batch)
    }

    fn init<T: Scalar>(&self, seed: u64, params: &mut [T]) -> Result<()> {
        if params.len() != self.num_params() {
            return Err(Error::DimensionMismatch {
                what: "parameters",
                expected: self.num_params(),
                got: params.len(),
            });
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut offset = 0;
        for l in 0..self.layers() {
            let (n_in, n_out) = (self.widths[l], self.widths[l + 1]);
            let variance = match self.activation {
                Activation::Relu => 2.0 / n_in as f64,
                Activation::Tanh => 2.0 / (n_in + n_out) as f64,
            };
            let s = variance.sqrt();
            let (w, rest) = params[offset..].split_at_mut(n_out * n_in);
            for w in w {
                *w = T::of(s * rng.sample::<f64, _>(StandardNormal));
            }
            rest[..n_out].fill(T::zero());
            offset += n_out * n_in + n_out;
        }
        Ok(())
    }

    fn loss_grad<T: Scalar>(
        &self,
        params: &[T],
        batch_x: &[T],
        batch_labels: &[usize],
        workspace: &mut Workspace<T>,
        grads: &mut [T],
    ) -> Result<T> {
        self.require(Head::SoftmaxCrossEntropy, "loss_grad")?;
        let batch = batch_labels.len();
        self.check(params, batch_x, batch, workspace)?;
        check_len("gradient", params.len(), grads.len())?;
        self.forward(params, batch_x, batch, workspace);
        let classes = self.classes();
        let Workspace { acts, delta, .. } = &mut *workspace;
        // Δ_L = (P − Ỹ)/B.
        let data_loss = softmax_cross_entropy(
            &acts[self.layers() - 1][..batch * classes],
            batch_labels,
            classes,
            T::of(self.label_smoothing),
            &mut delta[0][..batch * classes],
        )?;
        self.backward(params, batch_x, batch, workspace, grads);
        Ok(T::of(data_loss.as_f64() + self.l2_term(params)))
    }

    fn loss<T: Scalar>(
        &self,
        params: &[T],
        batch_x: &[T],
        batch_labels: &[usize],
        workspace: &mut Workspace<T>,
    ) -> Result<T> {
        self.require(Head::SoftmaxCrossEntropy, "loss")?;
        let batch = batch_labels.len();
        self.check(params, batch_x, batch, workspace)?;
        self.forward(params, batch_x, batch, workspace);
        let classes = self.classes();
        let logits = &workspace.acts[self.layers() - 1][..batch * classes];
        let data_loss = softmax_cross_entropy_value(
            logits,
            batch_labels,
            classes,
            T::of(self.label_smoothing),
        )?;
        Ok(T::of(data_loss.as_f64() + self.l2_term(params)))
    }

    fn predict<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        workspace: &mut Workspace<T>,
        out_classes: &mut [usize],
    ) -> Result<()> {
        self.require(Head::SoftmaxCrossEntropy, "predict")?;
        let batch = out_classes.len();
        self.check(params, x, batch, workspace)?;
        self.forward(params, x, batch, workspace);
        let classes = self.classes();
        let logits = &workspace.acts[self.layers() - 1][..batch * classes];
        for (out, row) in out_classes.iter_mut().zip(logits.chunks_exact(classes)) {
            // The first largest logit (ties go to the lower class).
            let mut best = 0;
            for (k, &z) in row.iter().enumerate() {
                if z > row[best] {
                    best = k;
                }
            }
            *out = best;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SoftmaxRegression;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn a_network_whose_parameter_count_overflows_is_refused_not_counted() {
        // 2³³·2³³ weights overflow usize: `num_params` would wrap (or panic in a debug build).
        let wide = 1usize << 33;
        let e = Mlp::new(wide, &[wide], 10, Activation::Relu).unwrap_err();
        assert!(matches!(e, Error::InvalidHyperparameter { name: "parameter count", .. }), "{e}");
        let e = Mlp::regression(3, &[usize::MAX], 1, Activation::Tanh).unwrap_err();
        assert!(matches!(e, Error::InvalidHyperparameter { name: "parameter count", .. }), "{e}");
        // Just above the cap, without overflowing: refused too; a large valid one is counted.
        assert!(Mlp::new(1 << 30, &[1 << 30], 2, Activation::Relu).is_err());
        let big = Mlp::new(1 << 20, &[1 << 20], 2, Activation::Relu).unwrap();
        assert_eq!(big.num_params(), (1 << 40) + (1 << 20) + (1 << 20) * 2 + 2);
    }

    /// Uniform numbers in [−1, 1) from a seed (splitmix64), for inputs and parameters.
    fn uniform(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    /// A random problem: parameters, inputs, labels.
    fn problem(mlp: &Mlp, batch: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
        let params = uniform(seed, mlp.num_params());
        let x = uniform(seed ^ 0xABCD, batch * mlp.inputs());
        let labels = uniform(seed ^ 0x1234, batch)
            .iter()
            .map(|u| (((u + 1.0) / 2.0) * mlp.classes() as f64) as usize % mlp.classes())
            .collect();
        (params, x, labels)
    }

    fn central_differences<T: Scalar>(
        mlp: &Mlp,
        params: &[T],
        x: &[T],
        labels: &[usize],
        h: T,
    ) -> Vec<T> {
        let mut ws = mlp.workspace(labels.len());
        let mut p = params.to_vec();
        (0..params.len())
            .map(|i| {
                p[i] = params[i] + h;
                let fp = mlp.loss(&p, x, labels, &mut ws).unwrap();
                p[i] = params[i] - h;
                let fm = mlp.loss(&p, x, labels, &mut ws).unwrap();
                p[i] = params[i];
                (fp - fm) / (h + h)
            })
            .collect()
    }

    fn activation() -> impl Strategy<Value = Activation> {
        prop_oneof![Just(Activation::Relu), Just(Activation::Tanh)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The whole network's gradient (back-propagation through every layer, the biases, the
        /// L2 term and label smoothing) against central differences of its loss.
        #[test]
        fn gradient_matches_central_differences_f64(
            inputs in 1usize..5,
            hidden in proptest::collection::vec(1usize..5, 0..3),
            classes in 2usize..5,
            batch in 1usize..5,
            act in activation(),
            l2 in prop_oneof![Just(0.0), Just(0.3)],
            smoothing in prop_oneof![Just(0.0), Just(0.1)],
            seed in any::<u64>(),
        ) {
            let mlp = Mlp::new(inputs, &hidden, classes, act).unwrap()
                .with_l2(l2).unwrap().with_label_smoothing(smoothing).unwrap();
            let (params, x, labels) = problem(&mlp, batch, seed);
            let mut ws = mlp.workspace(batch);
            let mut grads = vec![f64::NAN; mlp.num_params()];
            let loss = mlp.loss_grad(&params, &x, &labels, &mut ws, &mut grads).unwrap();
            prop_assert!((loss - mlp.loss(&params, &x, &labels, &mut ws).unwrap()).abs() < 1e-14);
            let fd = central_differences(&mlp, &params, &x, &labels, 1e-6);
            for (i, (g, d)) in grads.iter().zip(&fd).enumerate() {
                prop_assert!((g - d).abs() <= 1e-7 * (1.0 + d.abs()), "component {i}: {g} vs {d}");
            }
        }
    }

    /// f32 is looser: central differences with h = 10⁻² on a tanh network (no kinks).
    #[test]
    fn gradient_matches_central_differences_f32() {
        let mlp = Mlp::new(5, &[7, 4], 3, Activation::Tanh).unwrap().with_l2(0.1).unwrap();
        for seed in 0..4 {
            let (params, x, labels) = problem(&mlp, 6, seed);
            let params: Vec<f32> = params.iter().map(|&p| p as f32).collect();
            let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut ws = mlp.workspace(6);
            let mut grads = vec![0.0f32; mlp.num_params()];
            mlp.loss_grad(&params, &x, &labels, &mut ws, &mut grads).unwrap();
            let fd = central_differences(&mlp, &params, &x, &labels, 1e-2);
            for (g, d) in grads.iter().zip(&fd) {
                assert!((g - d).abs() <= 2e-3 * (1.0 + d.abs()), "{g} vs {d}");
            }
        }
    }

    /// Softmax regression at zero: p = 1/K, so ∂L/∂W = (p − y)ᵀx/B and ∂L/∂b = p − y, by hand.
    #[test]
    fn softmax_regression_gradient_by_hand() {
        let model = SoftmaxRegression::new(2, 2).unwrap();
        let params: Vec<f64> = model.init_params(7);
        let mut ws = model.workspace(4);
        let mut grads = vec![0.0; 6];
        let loss = model.loss_grad(&params, &[1.0, 2.0], &[0], &mut ws, &mut grads).unwrap();
        assert_abs_diff_eq!(loss, 2f64.ln(), epsilon = 1e-15);
        // p − y = (−½, ½); W rows are classes.
        let expected = [-0.5, -1.0, 0.5, 1.0, -0.5, 0.5];
        for (g, e) in grads.iter().zip(expected) {
            assert_abs_diff_eq!(*g, e, epsilon = 1e-15);
        }
    }

    /// The L2 term is (λ/2)·Σ W², biases excluded: W = (1, 2), b = (5, 7), λ = 0.1 → 0.25.
    #[test]
    fn l2_excludes_biases() {
        let plain = SoftmaxRegression::new(1, 2).unwrap();
        let decayed = plain.clone().with_l2(0.1).unwrap();
        let params = [1.0, 2.0, 5.0, 7.0];
        let mut ws = plain.workspace(1);
        let (mut g0, mut g1) = ([0.0; 4], [0.0; 4]);
        let l0 = plain.loss_grad(&params, &[0.5], &[1], &mut ws, &mut g0).unwrap();
        let l1 = decayed.loss_grad(&params, &[0.5], &[1], &mut ws, &mut g1).unwrap();
        assert_abs_diff_eq!(l1 - l0, 0.25, epsilon = 1e-14);
        // λ·W on the weights, nothing on the biases.
        for (i, e) in [0.1, 0.2, 0.0, 0.0].into_iter().enumerate() {
            assert_abs_diff_eq!(g1[i] - g0[i], e, epsilon = 1e-15);
        }
    }

    /// One step of plain gradient descent lowers the loss by about lr·‖g‖² (Armijo with c = ½).
    #[test]
    fn one_gradient_step_lowers_the_loss() {
        for act in [Activation::Relu, Activation::Tanh] {
            let mlp = Mlp::new(6, &[10, 8], 4, act).unwrap().with_l2(1e-3).unwrap();
            let params: Vec<f64> = mlp.init_params(3);
            let (_, x, labels) = problem(&mlp, 16, 11);
            let mut ws = mlp.workspace(16);
            let mut grads = vec![0.0; mlp.num_params()];
            let before = mlp.loss_grad(&params, &x, &labels, &mut ws, &mut grads).unwrap();
            let lr = 1e-2;
            let norm2: f64 = grads.iter().map(|g| g * g).sum();
            assert!(norm2 > 0.0);
            let stepped: Vec<f64> = params.iter().zip(&grads).map(|(p, g)| p - lr * g).collect();
            let after = mlp.loss(&stepped, &x, &labels, &mut ws).unwrap();
            assert!(after <= before - 0.5 * lr * norm2, "{before} → {after}");
        }
    }

    #[test]
    fn parameter_count_formula() {
        // Σ_l n_l·n_{l−1} + n_l, by hand.
        let mlp = Mlp::new(784, &[256], 10, Activation::Relu).unwrap();
        assert_eq!(mlp.num_params(), 784 * 256 + 256 + 256 * 10 + 10);
        assert_eq!(mlp.num_params(), 203_530);
        let mlp = Mlp::new(784, &[128, 64], 10, Activation::Tanh).unwrap();
        assert_eq!(mlp.num_params(), 109_386);
        assert_eq!(SoftmaxRegression::new(64, 10).unwrap().num_params(), 650);
    }

    /// Same seed, same bits; the weights have mean 0 and the documented variance (He 2/n_in,
    /// Xavier 2/(n_in + n_out)); biases are zero. 200 704 draws: the sample variance's relative
    /// standard error is √(2/n) ≈ 0.3 %, the tolerance 2 %.
    #[test]
    fn seeded_init_is_reproducible_with_the_documented_variance() {
        for (act, variance) in
            [(Activation::Relu, 2.0 / 784.0), (Activation::Tanh, 2.0 / (784.0 + 256.0))]
        {
            let mlp = Mlp::new(784, &[256], 10, act).unwrap();
            let a: Vec<f64> = mlp.init_params(42);
            let b: Vec<f64> = mlp.init_params(42);
            let c: Vec<f64> = mlp.init_params(43);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            assert!(a.iter().zip(&c).any(|(x, y)| x != y));
            let w = &a[..784 * 256];
            let n = w.len() as f64;
            let mean = w.iter().sum::<f64>() / n;
            let var = w.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
            assert!(mean.abs() < 4.0 * (variance / n).sqrt(), "mean {mean}");
            assert!((var / variance - 1.0).abs() < 0.02, "variance {var} vs {variance}");
            assert!(a[784 * 256..784 * 256 + 256].iter().all(|&b| b == 0.0));
            // f32 gets the same draws rounded.
            let a32: Vec<f32> = mlp.init_params(42);
            assert!(a32.iter().zip(&a).all(|(x, y)| *x == *y as f32));
        }
    }

    /// W = I, b = 0: the prediction is the index of the largest input.
    #[test]
    fn predict_is_the_argmax() {
        let model = SoftmaxRegression::new(3, 3).unwrap();
        let params = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];
        let mut ws = model.workspace(4);
        let mut out = [9; 3];
        model
            .predict(&params, &[0.1, 0.5, 0.2, 3.0, -1.0, 2.0, -5.0, -4.0, -3.0], &mut ws, &mut out)
            .unwrap();
        assert_eq!(out, [1, 0, 2]);
    }

    /// Two threads compute the same gradient as one.
    #[test]
    fn threads_agree() {
        let one = Mlp::new(40, &[64], 10, Activation::Relu).unwrap();
        let two = one.clone().with_threads(2).unwrap();
        let (params, x, labels) = problem(&one, 32, 5);
        let mut ws = one.workspace(32);
        let (mut g1, mut g2) = (vec![0.0; one.num_params()], vec![0.0; one.num_params()]);
        let l1 = one.loss_grad(&params, &x, &labels, &mut ws, &mut g1).unwrap();
        let l2 = two.loss_grad(&params, &x, &labels, &mut ws, &mut g2).unwrap();
        assert_abs_diff_eq!(l1, l2, epsilon = 1e-12);
        for (a, b) in g1.iter().zip(&g2) {
            assert_abs_diff_eq!(*a, *b, epsilon = 1e-12);
        }
    }

    #[test]
    fn bad_input_gives_typed_errors() {
        let mlp = Mlp::new(2, &[3], 2, Activation::Relu).unwrap();
        let params: Vec<f64> = mlp.init_params(0);
        let mut ws = mlp.workspace(2);
        let mut g = vec![0.0; mlp.num_params()];
        let x = [0.0; 6];
        assert!(matches!(
            mlp.loss_grad(&params, &x, &[0, 1, 0], &mut ws, &mut g),
            Err(Error::BatchSize { got: 3, max: 2 })
        ));
        assert!(matches!(
            mlp.loss_grad(&params, &x[..4], &[], &mut ws, &mut g),
            Err(Error::BatchSize { got: 0, .. })
        ));
        assert!(matches!(
            mlp.loss_grad(&params, &x[..3], &[0], &mut ws, &mut g),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            mlp.loss_grad(&params, &x[..2], &[2], &mut ws, &mut g),
            Err(Error::LabelOutOfRange { label: 2, classes: 2, .. })
        ));
        assert!(matches!(
            mlp.loss_grad(&params[1..], &x[..2], &[0], &mut ws, &mut g),
            Err(Error::DimensionMismatch { .. })
        ));
        let mut other = Mlp::new(2, &[4], 2, Activation::Relu).unwrap().workspace(2);
        assert!(matches!(
            mlp.loss_grad(&params, &x[..2], &[0], &mut other, &mut g),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(Mlp::new(2, &[0], 2, Activation::Relu).is_err());
        assert!(Mlp::new(2, &[], 1, Activation::Relu).is_err());
        assert!(mlp.clone().with_l2(-1.0).is_err());
        assert!(mlp.clone().with_l2(f64::NAN).is_err());
        assert!(mlp.clone().with_label_smoothing(1.0).is_err());
        assert!(mlp.clone().with_threads(0).is_err());
    }
}
