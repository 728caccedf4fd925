//! Softmax regression (multinomial logistic regression): logits z = W·x + b.
//!
//! The MLP with no hidden layer ([`Mlp`] with `hidden = &[]`), so the same passes and the same
//! layout: W (classes × inputs, row-major) then b. The loss is convex in (W, b), so the
//! parameters start at zero (every class equally likely, loss log K) and the seed is unused.
//!
//! # Example
//! ```
//! use descent_nn::model::{Model, SoftmaxRegression};
//! let model = SoftmaxRegression::new(2, 3).unwrap();
//! assert_eq!(model.num_params(), 3 * 2 + 3);
//! let params: Vec<f64> = model.init_params(0);
//! let mut ws = model.workspace(1);
//! let loss = model.loss(&params, &[1.0, -1.0], &[2], &mut ws).unwrap();
//! assert!((loss - 3f64.ln()).abs() < 1e-12);
//! ```

use super::{Activation, Mlp, Model, Scalar, Workspace};
use crate::{Error, Result};

/// Softmax regression; see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxRegression(Mlp);

impl SoftmaxRegression {
    /// `inputs` inputs, `classes` classes, no regularisation.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when `inputs` = 0 or `classes` < 2.
    pub fn new(inputs: usize, classes: usize) -> Result<Self> {
        Mlp::new(inputs, &[], classes, Activation::Relu).map(Self)
    }

    /// With the L2 term (λ/2)·‖W‖² (not on b); see [`Mlp::with_l2`].
    ///
    /// # Errors
    /// As [`Mlp::with_l2`].
    pub fn with_l2(self, lambda: f64) -> Result<Self> {
        self.0.with_l2(lambda).map(Self)
    }

    /// With label smoothing ε; see [`Mlp::with_label_smoothing`].
    ///
    /// # Errors
    /// As [`Mlp::with_label_smoothing`].
    pub fn with_label_smoothing(self, epsilon: f64) -> Result<Self> {
        self.0.with_label_smoothing(epsilon).map(Self)
    }

    /// With `threads` threads in the matrix products; see [`Mlp::with_threads`].
    ///
    /// # Errors
    /// As [`Mlp::with_threads`].
    pub fn with_threads(self, threads: usize) -> Result<Self> {
        self.0.with_threads(threads).map(Self)
    }

    /// The same model as an [`Mlp`] without hidden layers.
    pub fn as_mlp(&self) -> &Mlp {
        &self.0
    }
}

impl Model for SoftmaxRegression {
    fn inputs(&self) -> usize {
        self.0.inputs()
    }

    fn classes(&self) -> usize {
        self.0.classes()
    }

    fn num_params(&self) -> usize {
        self.0.num_params()
    }

    fn workspace<T: Scalar>(&self, max_batch: usize) -> Workspace<T> {
        self.0.workspace(max_batch)
    }

    /// Zeros (the loss is convex; the seed is unused).
    fn init<T: Scalar>(&self, _seed: u64, params: &mut [T]) -> Result<()> {
        if params.len() != self.num_params() {
            return Err(Error::DimensionMismatch {
                what: "parameters",
                expected: self.num_params(),
                got: params.len(),
            });
        }
        params.fill(T::zero());
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
        self.0.loss_grad(params, batch_x, batch_labels, workspace, grads)
    }

    fn loss<T: Scalar>(
        &self,
        params: &[T],
        batch_x: &[T],
        batch_labels: &[usize],
        workspace: &mut Workspace<T>,
    ) -> Result<T> {
        self.0.loss(params, batch_x, batch_labels, workspace)
    }

    fn predict<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        workspace: &mut Workspace<T>,
        out_classes: &mut [usize],
    ) -> Result<()> {
        self.0.predict(params, x, workspace, out_classes)
    }
}
