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
//! **Observing and resuming**: [`train_observed`] takes a [`TrainObserver`] (called when an
//! epoch starts, after every minibatch, after the last step and after the evaluation, where it
//! sees a [`Snapshot`]: θ, the optimizer, the [`Progress`]) and the [`Progress`] to continue
//! from. Everything a run carries from one epoch to the next is θ, the optimizer's state and the
//! progress (the epoch orders depend on (seed, epoch) alone), so a run rebuilt from those three
//! after epoch k — see [`crate::checkpoint`] — takes exactly the steps the uninterrupted run
//! takes: same bits.
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

use std::ops::ControlFlow;

use descent::first_order::{Optimizer, Rule};
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, fill_epoch_order};
use crate::model::{Model, Scalar, Workspace};
use crate::{Error, Result};

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// Whether the observer stopped the run ([`TrainObserver::epoch_done`] returned
    /// `Break`): the parameters are then the last epoch's, not the best's, so that the run can
    /// be resumed.
    pub interrupted: bool,
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

/// Where a run stands between two epochs: the statistics of the epochs run so far and the
/// early-stopping bookkeeping. The next epoch is `epochs.len()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress<T> {
    /// The statistics of every epoch run so far, in order.
    pub epochs: Vec<EpochStats>,
    /// The epoch with the lowest test loss so far (the first of equals; 0 before any epoch).
    pub best_epoch: usize,
    /// Its test loss (+∞ before any epoch).
    pub best_loss: f64,
    /// Its parameters, kept only under early stopping ([`TrainConfig::patience`]); empty
    /// otherwise.
    pub best_params: Vec<T>,
}

impl<T> Progress<T> {
    /// A run that has not started.
    #[must_use]
    pub fn new() -> Self {
        Self {
            epochs: Vec::new(),
            best_epoch: 0,
            best_loss: f64::INFINITY,
            best_params: Vec::new(),
        }
    }
}

impl<T> Default for Progress<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The state of a run after an epoch's evaluation, as [`TrainObserver::epoch_done`] sees it:
/// all a checkpoint needs ([`crate::checkpoint::save`]).
#[derive(Debug)]
pub struct Snapshot<'a, R: Rule, T: Scalar> {
    /// The epoch just finished.
    pub stats: &'a EpochStats,
    /// θ after the epoch's last step.
    pub params: &'a [T],
    /// The optimizer, its state included.
    pub optimizer: &'a Optimizer<R, T>,
    /// The progress, this epoch included.
    pub progress: &'a Progress<T>,
    /// The run's configuration.
    pub config: &'a TrainConfig,
}

/// Watches a training run: progress bars, timings, checkpoints, stopping on request. Every
/// method has an empty default.
pub trait TrainObserver<R: Rule, T: Scalar> {
    /// Epoch `epoch` (counted from 0) starts; it has `batches` minibatches.
    fn epoch_started(&mut self, _epoch: usize, _batches: usize) {}

    /// Minibatch `batch` (counted from 0) of epoch `epoch` has been stepped.
    fn batch_done(&mut self, _epoch: usize, _batch: usize) {}

    /// The epoch's last optimizer step is done; its evaluation passes come next.
    fn steps_done(&mut self, _epoch: usize) {}

    /// The epoch is evaluated. `Break` stops the run here ([`TrainReport::interrupted`]).
    ///
    /// # Errors
    /// Whatever the observer could not do (e.g. write a checkpoint); it ends the run.
    fn epoch_done(&mut self, _snapshot: &Snapshot<'_, R, T>) -> Result<ControlFlow<()>> {
        Ok(ControlFlow::Continue(()))
    }
}

/// A closure observes the end of each epoch, with its statistics.
impl<R: Rule, T: Scalar, F: FnMut(&EpochStats)> TrainObserver<R, T> for F {
    fn epoch_done(&mut self, snapshot: &Snapshot<'_, R, T>) -> Result<ControlFlow<()>> {
        self(snapshot.stats);
        Ok(ControlFlow::Continue(()))
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

impl<T: Scalar> Buffers<T> {
    /// Buffers for minibatches of `batch` rows and orders of `rows` indices.
    fn new<M: Model>(model: &M, batch: usize, rows: usize) -> Self {
        Self {
            order: vec![0; rows.max(batch)],
            x: vec![T::zero(); batch * model.inputs()],
            y: vec![0; batch],
            pred: vec![0; batch],
            ws: model.workspace::<T>(batch),
        }
    }
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
    let progress = Progress::new();
    train_observed(model, params, optimizer, train_set, test_set, config, progress, &mut on_epoch)
}

/// [`train`] continuing from `progress` (epochs `progress.epochs.len()` to `config.epochs − 1`),
/// with an observer.
///
/// To resume a run saved after epoch k, pass θ, the optimizer (rebuilt with
/// [`Optimizer::resume`]) and the progress as they were then, and the same data sets and
/// configuration (`config.epochs` may be larger): the run continues bit for bit as if it had
/// never stopped. A progress whose epochs already reach `config.epochs` runs no epoch.
///
/// # Errors
/// As [`train`]; also [`Error::DimensionMismatch`] when `progress` keeps best parameters of
/// the wrong length, and whatever the observer returns.
#[allow(clippy::too_many_arguments)] // The run's parts; a struct would only rename them.
pub fn train_observed<M: Model, R: Rule, T: Scalar>(
    model: &M,
    params: &mut [T],
    optimizer: &mut Optimizer<R, T>,
    train_set: &Dataset,
    test_set: &Dataset,
    config: &TrainConfig,
    mut progress: Progress<T>,
    observer: &mut impl TrainObserver<R, T>,
) -> Result<TrainReport> {
    validate(model, params, train_set, test_set, config)?;
    let n = train_set.len();
    let d = model.inputs();
    let classes = model.classes();
    let batch = config.batch.min(n.max(test_set.len()));
    let mut buf = Buffers::new(model, batch, n.max(test_set.len()));
    let mut grads = vec![T::zero(); params.len()];
    if config.patience.is_some() {
        if progress.best_params.is_empty() {
            progress.best_params = params.to_vec();
        } else if progress.best_params.len() != params.len() {
            return Err(Error::DimensionMismatch {
                what: "best parameters of the progress",
                expected: params.len(),
                got: progress.best_params.len(),
            });
        }
    }
    progress.epochs.reserve(config.epochs.saturating_sub(progress.epochs.len()));
    let (mut stopped_early, mut interrupted) = (false, false);
    let batches = n.div_ceil(batch);

    for epoch in progress.epochs.len()..config.epochs {
        observer.epoch_started(epoch, batches);
        let order = &mut buf.order[..n];
        fill_epoch_order(order, config.seed, epoch as u64);
        for (b, chunk) in order.chunks(batch).enumerate() {
            let rows = chunk.len();
            let (x, y) = (&mut buf.x[..rows * d], &mut buf.y[..rows]);
            train_set.gather(chunk, x, y)?;
            model.loss_grad(params, x, y, &mut buf.ws, &mut grads)?;
            optimizer.step(params, &grads)?;
            observer.batch_done(epoch, b);
        }
        observer.steps_done(epoch);
        let (train_loss, train_accuracy) = evaluate_into(model, params, train_set, &mut buf, None)?;
        let (test_loss, test_accuracy) = evaluate_into(model, params, test_set, &mut buf, None)?;
        let stats = EpochStats { epoch, train_loss, train_accuracy, test_loss, test_accuracy };
        progress.epochs.push(stats);
        let improved = test_loss < progress.best_loss;
        if improved {
            (progress.best_epoch, progress.best_loss) = (epoch, test_loss);
            if config.patience.is_some() {
                progress.best_params.copy_from_slice(params);
            }
        }
        let snapshot = Snapshot { stats: &stats, params, optimizer, progress: &progress, config };
        if observer.epoch_done(&snapshot)?.is_break() {
            interrupted = epoch + 1 < config.epochs;
            break;
        }
        if !improved && config.patience.is_some_and(|p| epoch - progress.best_epoch >= p) {
            stopped_early = epoch + 1 < config.epochs;
            break;
        }
    }
    if config.patience.is_some() && !interrupted {
        params.copy_from_slice(&progress.best_params);
    }
    let mut confusion = vec![0usize; classes * classes];
    evaluate_into(model, params, test_set, &mut buf, Some(&mut confusion))?;
    Ok(TrainReport {
        epochs: progress.epochs,
        best_epoch: progress.best_epoch,
        stopped_early,
        interrupted,
        classes,
        confusion,
    })
}

/// How a model does on a data set ([`evaluate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean loss (cross-entropy plus the model's L2 term).
    pub loss: f64,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Number of classes (the side of [`Evaluation::confusion`]).
    pub classes: usize,
    /// Row-major `classes × classes`: entry (true class, predicted class) counts examples.
    pub confusion: Vec<usize>,
}

impl Evaluation {
    /// Entry (true class `actual`, predicted class `predicted`) of the confusion matrix.
    #[must_use]
    pub fn confusion_at(&self, actual: usize, predicted: usize) -> usize {
        self.confusion[actual * self.classes + predicted]
    }
}

/// The mean loss, accuracy and confusion matrix of `params` on `data`, in chunks of `batch`
/// rows (the chunking changes only the rounding of the mean loss).
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for a zero batch or an empty data set,
/// [`Error::DimensionMismatch`] when the data set does not fit the model or `params` is not
/// [`Model::num_params`] long.
pub fn evaluate<M: Model, T: Scalar>(
    model: &M,
    params: &[T],
    data: &Dataset,
    batch: usize,
) -> Result<Evaluation> {
    let config = TrainConfig { epochs: 1, batch, seed: 0, patience: None };
    validate(model, params, data, data, &config)?;
    let batch = batch.min(data.len());
    let mut buf = Buffers::new(model, batch, batch);
    let classes = model.classes();
    let mut confusion = vec![0usize; classes * classes];
    let (loss, accuracy) = evaluate_into(model, params, data, &mut buf, Some(&mut confusion))?;
    Ok(Evaluation { loss, accuracy, classes, confusion })
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
    check_data(model, &[train_set, test_set])
}

/// Checks that every data set fits `model`: at least one example, the model's number of
/// features, no more classes than the model has.
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for an empty set; [`Error::DimensionMismatch`] for a set
/// with other features or more classes than the model.
pub fn check_data<M: Model>(model: &M, sets: &[&Dataset]) -> Result<()> {
    for data in sets {
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
fn evaluate_into<M: Model, T: Scalar>(
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
