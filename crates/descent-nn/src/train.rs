//! The training loop: minibatch first-order descent on the mean cross-entropy, with a test set
//! watched after every epoch.
//!
//! Each epoch e visits the training set in the seeded order
//! [`fill_epoch_order`]`(seed, e)` (a permutation that depends on (seed, e) alone), cut into
//! minibatches of `batch` rows (the last one ragged). For each minibatch B the model writes
//! the gradient g = ∇θ (1/|B|) Σ_{i∈B} L(θ; xᵢ, yᵢ) (plus the L2 term) and the optimizer steps
//! θ ← θ + update(θ, g). After the epoch the loss and accuracy on the whole training set and on
//! the test set are measured with the epoch's final θ (so the training loss is the loss of one
//! θ, not the average over a moving θ as PyTorch's running mean reports).
//!
//! | symbol | meaning |
//! |---|---|
//! | θ | the model's flat parameter buffer |
//! | B | a minibatch of at most [`TrainConfig::batch`] examples |
//! | e | the epoch, counted from 0 |
//! | p | [`TrainConfig::patience`] |
//!
//! **Early stopping** (optional): the best epoch is the one with the lowest test loss; with a
//! patience p, training stops once p epochs in a row have not improved on it, and θ is reset to
//! the best epoch's parameters (copied into a buffer allocated once, before the first epoch).
//! Without a patience all epochs run and θ is the last epoch's.
//!
//! **No allocation per minibatch**: the order, the gathered features and labels, the
//! gradient, the predictions and the model's [`Workspace`] are all
//! allocated once, before the first epoch.
//!
//! # Example
//! ```
//! use descent::first_order::{Adam, Optimizer};
//! use descent_nn::data::Standardizer;
//! use descent_nn::train::{TrainConfig, train};
//! use descent_nn::{Dataset, Model, SoftmaxRegression};
//!
//! let (mut train_set, mut test_set) = Dataset::digits().split(0.2, 7)?;
//! let s = Standardizer::fit(&train_set);
//! s.apply(&mut train_set)?;
//! s.apply(&mut test_set)?;
//! let model = SoftmaxRegression::new(64, 10)?;
//! let mut params: Vec<f32> = model.init_params(0);
//! let mut opt = Optimizer::new(Adam::torch(1e-2).rule(), params.len()).unwrap();
//! let config = TrainConfig { epochs: 5, batch: 32, seed: 1, patience: None };
//! let report = train(&model, &mut params, &mut opt, &train_set, &test_set, &config, |_| {})?;
//! assert!(report.epochs.last().unwrap().test_accuracy > 0.9);
//! # Ok::<(), descent_nn::Error>(())
//! ```

use descent::first_order::{Optimizer, Rule};

use crate::data::{Dataset, fill_epoch_order};
use crate::model::{Model, Scalar, Workspace};
use crate::{Error, Result};

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainConfig {
    /// Passes over the training set (at least 1).
    pub epochs: usize,
    /// Examples per minibatch (at least 1); also the chunk size of the evaluation passes.
    pub batch: usize,
    /// Seeds the order of every epoch ([`fill_epoch_order`]).
    pub seed: u64,
    /// Early stopping: stop after this many epochs in a row without a lower test loss and
    /// restore the best epoch's parameters. `None`: run all epochs.
    pub patience: Option<usize>,
}

/// What one epoch achieved, measured after its last step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// The epoch, counted from 0.
    pub epoch: usize,
    /// Mean loss (cross-entropy plus the model's L2 term) over the whole training set.
    pub train_loss: f64,
    /// Fraction of the training set classified correctly.
    pub train_accuracy: f64,
    /// Mean loss over the test set.
    pub test_loss: f64,
    /// Fraction of the test set classified correctly.
    pub test_accuracy: f64,
}

/// The outcome of [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// One entry per epoch run.
    pub epochs: Vec<EpochStats>,
    /// The epoch with the lowest test loss (the first of equals).
    pub best_epoch: usize,
    /// Whether early stopping ended the run before [`TrainConfig::epochs`].
    pub stopped_early: bool,
    /// Number of classes (the side of [`TrainReport::confusion`]).
    pub classes: usize,
    /// The confusion matrix on the test set of the returned parameters, row-major
    /// `classes × classes`: entry (true class, predicted class) counts examples.
    pub confusion: Vec<usize>,
}

impl TrainReport {
    /// Entry (true class `actual`, predicted class `predicted`) of the confusion matrix.
    #[must_use]
    pub fn confusion_at(&self, actual: usize, predicted: usize) -> usize {
        self.confusion[actual * self.classes + predicted]
    }
}

/// The buffers of one pass, allocated once.
struct Buffers<T> {
    order: Vec<usize>,
    x: Vec<T>,
    y: Vec<usize>,
    pred: Vec<usize>,
    ws: Workspace<T>,
}

/// Trains `model` from `params` with `optimizer` on `train_set` for `config.epochs` epochs (or
/// until early stopping), calling `on_epoch` after each epoch with its statistics.
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for zero epochs or batch, or an empty data set;
/// [`Error::DimensionMismatch`] when a data set's features or classes do not match the model,
/// or `params` is not [`Model::num_params`] long; an optimizer error (non-finite gradient) as
/// [`Error::Optimizer`]. The parameters may have been partly trained when an error occurs
/// mid-run.
pub fn train<M: Model, R: Rule, T: Scalar>(
    model: &M,
    params: &mut [T],
    optimizer: &mut Optimizer<R, T>,
    train_set: &Dataset,
    test_set: &Dataset,
    config: &TrainConfig,
    mut on_epoch: impl FnMut(&EpochStats),
) -> Result<TrainReport> {
    validate(model, params, train_set, test_set, config)?;
    let n = train_set.len();
    let d = model.inputs();
    let classes = model.classes();
    let batch = config.batch.min(n.max(test_set.len()));
    let mut buf = Buffers {
        order: vec![0; n.max(test_set.len())],
        x: vec![T::zero(); batch * d],
        y: vec![0; batch],
        pred: vec![0; batch],
        ws: model.workspace::<T>(batch),
    };
    let mut grads = vec![T::zero(); params.len()];
    let mut best_params = if config.patience.is_some() { params.to_vec() } else { Vec::new() };
    let mut confusion = vec![0usize; classes * classes];
    let mut epochs = Vec::with_capacity(config.epochs);
    let (mut best_epoch, mut best_loss) = (0, f64::INFINITY);
    let mut stopped_early = false;

    for epoch in 0..config.epochs {
        let order = &mut buf.order[..n];
        fill_epoch_order(order, config.seed, epoch as u64);
        for chunk in order.chunks(batch) {
            let rows = chunk.len();
            let (x, y) = (&mut buf.x[..rows * d], &mut buf.y[..rows]);
            train_set.gather(chunk, x, y)?;
            model.loss_grad(params, x, y, &mut buf.ws, &mut grads)?;
            optimizer.step(params, &grads)?;
        }
        let (train_loss, train_accuracy) = evaluate(model, params, train_set, &mut buf, None)?;
        let (test_loss, test_accuracy) = evaluate(model, params, test_set, &mut buf, None)?;
        let stats = EpochStats { epoch, train_loss, train_accuracy, test_loss, test_accuracy };
        on_epoch(&stats);
        epochs.push(stats);
        if test_loss < best_loss {
            (best_epoch, best_loss) = (epoch, test_loss);
            if config.patience.is_some() {
                best_params.copy_from_slice(params);
            }
        } else if config.patience.is_some_and(|p| epoch - best_epoch >= p) {
            stopped_early = epoch + 1 < config.epochs;
            break;
        }
    }
    if config.patience.is_some() {
        params.copy_from_slice(&best_params);
    }
    evaluate(model, params, test_set, &mut buf, Some(&mut confusion))?;
    Ok(TrainReport { epochs, best_epoch, stopped_early, classes, confusion })
}

fn validate<M: Model, T>(
    model: &M,
    params: &[T],
    train_set: &Dataset,
    test_set: &Dataset,
    config: &TrainConfig,
) -> Result<()> {
    for (name, value) in [("epochs", config.epochs), ("batch", config.batch)] {
        if value == 0 {
            return Err(Error::InvalidHyperparameter { name, value: 0.0, valid: "at least 1" });
        }
    }
    if params.len() != model.num_params() {
        return Err(Error::DimensionMismatch {
            what: "params",
            expected: model.num_params(),
            got: params.len(),
        });
    }
    for data in [train_set, test_set] {
        if data.is_empty() {
            return Err(Error::InvalidHyperparameter {
                name: "data set size",
                value: 0.0,
                valid: "at least 1 example",
            });
        }
        if data.dim() != model.inputs() {
            return Err(Error::DimensionMismatch {
                what: "features per example",
                expected: model.inputs(),
                got: data.dim(),
            });
        }
        if data.classes() > model.classes() {
            return Err(Error::DimensionMismatch {
                what: "classes",
                expected: model.classes(),
                got: data.classes(),
            });
        }
    }
    Ok(())
}

/// Mean loss and accuracy of `params` on `data`, in chunks of the workspace's batch, in the
/// data set's order; adds each (true, predicted) pair to `confusion` when given.
fn evaluate<M: Model, T: Scalar>(
    model: &M,
    params: &[T],
    data: &Dataset,
    buf: &mut Buffers<T>,
    mut confusion: Option<&mut [usize]>,
) -> Result<(f64, f64)> {
    let (n, d, batch, classes) = (data.len(), model.inputs(), buf.y.len(), model.classes());
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    let mut start = 0;
    while start < n {
        let rows = batch.min(n - start);
        let idx = &mut buf.order[..rows];
        for (k, i) in idx.iter_mut().enumerate() {
            *i = start + k;
        }
        let (x, y, pred) = (&mut buf.x[..rows * d], &mut buf.y[..rows], &mut buf.pred[..rows]);
        data.gather(idx, x, y)?;
        loss_sum += model.loss(params, x, y, &mut buf.ws)?.as_f64() * rows as f64;
        model.predict(params, x, &mut buf.ws, pred)?;
        for (&t, &p) in y.iter().zip(pred.iter()) {
            correct += usize::from(t == p);
            if let Some(c) = confusion.as_deref_mut() {
                c[t * classes + p] += 1;
            }
        }
        start += rows;
    }
    Ok((loss_sum / n as f64, correct as f64 / n as f64))
}
