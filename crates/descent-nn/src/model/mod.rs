//! Models on one flat parameter buffer: [`SoftmaxRegression`] and [`Mlp`] (a classifier, or a
//! regression network with the mean-squared-error [`Head`] and exact Hessian-vector products).
//!
//! A model owns no numbers: its parameters live in one `&[T]` (and its gradient in one
//! `&mut [T]` of the same length), so any `descent` first-order optimizer updates all weights
//! and biases in a single fused pass. The model only knows the layout. Scratch space for a
//! batch (activations, back-propagated errors) lives in a [`Workspace`] sized once for the
//! largest batch: after it is made, [`Model::loss_grad`] and [`Model::predict`] allocate
//! nothing.
//!
//! # Layout
//! Layer by layer, input to output: the weight matrix W_l (outputs × inputs, row-major, so
//! row j holds the weights into unit j) then its bias b_l. [`Model::num_params`] is
//! Σ_l (n_l·n_{l−1} + n_l) for layer widths n_0 = inputs, …, n_L = classes.
//!
//! # Batched passes
//! A batch is row-major, B rows × n_0 inputs. With A_0 = X,
//!
//! ```text
//! forward:   Z_l = A_{l−1}·W_lᵀ + 1·b_lᵀ,   A_l = σ(Z_l) (hidden layers),   logits Z_L
//! loss:      L = mean cross-entropy(Z_L, y) + (λ/2)·Σ_l ‖W_l‖²_F
//! backward:  Δ_L = (P − Ỹ)/B                                  (see crate::loss)
//!            ∂L/∂W_l = Δ_lᵀ·A_{l−1} + λ·W_l,   ∂L/∂b_l = Δ_lᵀ·1
//!            Δ_{l−1} = (Δ_l·W_l) ⊙ σ′(A_{l−1})
//! ```
//!
//! Every product is one `faer::linalg::matmul::matmul` on strided views of the slices (no
//! copies, no transposes materialised): faer's GEMM is f32 and f64 SIMD with cache blocking and
//! optional rayon parallelism ([`Mlp::with_threads`]).
//!
//! # Regularisation
//! L2 (weight decay in its gradient form) on the weights only: the biases are excluded, as is
//! usual, because a bias does not multiply an input and shrinking it only shifts the decision
//! boundaries without limiting the model's capacity.
//!
//! # Symbols
//! | symbol | meaning |
//! |---|---|
//! | B | rows in the batch |
//! | n_l | width of layer l (n_0 inputs, n_L classes) |
//! | W_l, b_l | weights (n_l × n_{l−1}) and biases of layer l |
//! | σ | activation ([`Activation::Relu`] or [`Activation::Tanh`]) |
//! | λ | L2 coefficient ([`Mlp::with_l2`]) |
//! | ε | label smoothing ([`Mlp::with_label_smoothing`]) |

mod gemm;
pub mod mlp;
pub mod softmax_regression;

pub use mlp::{Activation, Head, MAX_PARAMS, Mlp, MlpSpec};
pub use softmax_regression::SoftmaxRegression;

use descent::first_order::Real;

use crate::Result;

/// The numbers a model computes with: `f32` or `f64` (`descent`'s [`Real`] plus what faer's
/// GEMM needs).
pub trait Scalar: Real + faer::traits::RealField {}

impl Scalar for f32 {}
impl Scalar for f64 {}

/// A classifier whose parameters are one flat buffer.
pub trait Model {
    /// Inputs per example (n_0).
    fn inputs(&self) -> usize;

    /// Classes, i.e. logits per example (n_L).
    fn classes(&self) -> usize;

    /// Length of the parameter (and gradient) buffer.
    fn num_params(&self) -> usize;

    /// Scratch space for batches of at most `max_batch` rows; the only allocation.
    fn workspace<T: Scalar>(&self, max_batch: usize) -> Workspace<T>;

    /// Writes the initial parameters drawn from `seed` (reproducible: same seed, same bits).
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] when `params` is not [`Model::num_params`] long.
    fn init<T: Scalar>(&self, seed: u64, params: &mut [T]) -> Result<()>;

    /// The initial parameters drawn from `seed`, in a new buffer.
    fn init_params<T: Scalar>(&self, seed: u64) -> Vec<T> {
        let mut p = vec![T::zero(); self.num_params()];
        self.init(seed, &mut p).expect("buffer has num_params elements");
        p
    }

    /// Mean loss over the batch (cross-entropy plus the L2 term) of `batch_x` (row-major,
    /// `batch_labels.len()` × [`Model::inputs`]); writes its gradient into `grads`.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] for buffers of the wrong length,
    /// [`crate::Error::BatchSize`] for an empty batch or one larger than the workspace,
    /// [`crate::Error::LabelOutOfRange`] for a label ≥ [`Model::classes`].
    fn loss_grad<T: Scalar>(
        &self,
        params: &[T],
        batch_x: &[T],
        batch_labels: &[usize],
        workspace: &mut Workspace<T>,
        grads: &mut [T],
    ) -> Result<T>;

    /// The mean loss (cross-entropy plus the L2 term) alone.
    ///
    /// # Errors
    /// As [`Model::loss_grad`].
    fn loss<T: Scalar>(
        &self,
        params: &[T],
        batch_x: &[T],
        batch_labels: &[usize],
        workspace: &mut Workspace<T>,
    ) -> Result<T>;

    /// The most probable class of each row of `x` (row-major, `out_classes.len()` ×
    /// [`Model::inputs`]), written into `out_classes`.
    ///
    /// # Errors
    /// [`crate::Error::DimensionMismatch`] for buffers of the wrong length,
    /// [`crate::Error::BatchSize`] for an empty batch or one larger than the workspace.
    fn predict<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        workspace: &mut Workspace<T>,
        out_classes: &mut [usize],
    ) -> Result<()>;
}

/// Scratch space for batches of up to [`Workspace::max_batch`] rows: the output of every
/// layer, two buffers for the back-propagated errors, and the same again for their
/// directional derivatives R(·) (the Hessian-vector products of [`Mlp::mse_hvp`]).
#[derive(Debug, Clone)]
pub struct Workspace<T> {
    max_batch: usize,
    /// `acts[l]`: the output of layer l + 1 (activations, the logits for the last), B × n_{l+1}.
    acts: Vec<Vec<T>>,
    /// Δ_l and Δ_{l−1}, B × max_l n_l each.
    delta: [Vec<T>; 2],
    /// `r_acts[l]` = R(A_{l+1}) (R(Z_L) for the last), shaped as `acts[l]`.
    r_acts: Vec<Vec<T>>,
    /// R(Δ_l) and R(Δ_{l−1}), shaped as `delta`.
    r_delta: [Vec<T>; 2],
}

impl<T: Scalar> Workspace<T> {
    /// Buffers for layer widths `widths` = (n_0, …, n_L) and batches of up to `max_batch`.
    fn new(widths: &[usize], max_batch: usize) -> Self {
        let acts: Vec<Vec<T>> =
            widths[1..].iter().map(|&n| vec![T::zero(); n * max_batch]).collect();
        let widest = widths[1..].iter().copied().max().unwrap_or(0);
        let delta = [vec![T::zero(); widest * max_batch], vec![T::zero(); widest * max_batch]];
        let (r_acts, r_delta) = (acts.clone(), delta.clone());
        Self { max_batch, acts, delta, r_acts, r_delta }
    }

    /// The largest batch this workspace holds.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }
}
