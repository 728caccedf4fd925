//! Data-parallel minibatch training: p ranks step one model with one optimizer, each
//! computing the gradient of its part of every minibatch, and one all-reduce per step.
//!
//! # Algorithm
//! Every rank holds the training set and the same θ and optimizer state. Epoch e visits the
//! training set in descent-nn's seeded order [`fill_epoch_order`]`(seed, e)`, cut into global
//! minibatches of B rows (the last one ragged), exactly as [`descent_nn::train()`] does. For a
//! minibatch of b rows, rank r takes the fixed contiguous part of rows
//! [⌊r·b/p⌋, ⌊(r+1)·b/p⌋), of b_r rows, and
//!
//! ```text
//! g_r = (b_r / b) · ∇θ [ (1/b_r) Σ_{i ∈ part r} L(θ; xᵢ, yᵢ) + (λ/2)‖W‖² ]    (the model's loss_grad, weighted)
//! g   = Σ_r g_r                                                             (one all-reduce, in place)
//!     = ∇θ [ (1/b) Σ_{i ∈ minibatch} L(θ; xᵢ, yᵢ) + (λ/2)‖W‖² ]               (since Σ_r b_r = b)
//! θ  ← θ + update(θ, g)                                                      (every rank, the same Optimizer)
//! ```
//!
//! Every rank applies the same update to the same θ with the same g (the all-reduce hands every
//! rank the same bits), so θ stays bit-identical across ranks. That is checked, every
//! [`DataParallelConfig::check_every`] steps, by an all-reduce of the minimum and maximum of a
//! 64-bit hash of θ: they differ ⇒ [`Error::RanksDiverged`].
//!
//! | symbol | meaning |
//! |---|---|
//! | p, r | number of ranks, this rank (0 ≤ r < p) |
//! | B, b | [`DataParallelConfig::batch`]; the rows of the current minibatch (b = B except for an epoch's last) |
//! | b_r | rows of the minibatch that rank r computes |
//! | g_r, g | rank r's weighted gradient; the global mean gradient |
//! | θ | the model's flat parameter buffer (n values of `T`) |
//!
//! **Same numbers as one process.** With p = 1 the code path is descent-nn's (same gather,
//! same `loss_grad`, weight 1, the all-reduce the identity): θ is bit for bit what
//! [`descent_nn::train()`] produces. With p > 1 the mean over the minibatch is summed in another
//! order (per part, then across ranks, in the MPI library's order), so θ agrees with the
//! single-process run to rounding, not bit for bit: after 46 Adam steps on the digits MLP
//! 64-32-10 in f32 on 2 ranks, max |Δθ| = 6e-8 against max |θ| = 0.69 (the MPI test asserts
//! 1e-6 relative). Across ranks it is bit for bit.
//!
//! **Evaluation.** After each epoch the loss and accuracy on the training and test sets are
//! computed with the epoch's final θ, each rank evaluating a contiguous 1/p of each set
//! ([`descent_nn::train::evaluate`]) and one all-reduce summing loss·rows, correct counts and
//! the test confusion matrix. The figures equal the single-process ones up to the rounding of
//! the mean loss.
//!
//! **Faults.** Rank 0 writes a [`checkpoint`](crate::checkpoint) every
//! [`Checkpointing::every`] steps (atomically); [`crate::checkpoint::load`] and a
//! [`Progress`] continue the run bit for bit. An error on one rank (a checkpoint that cannot be
//! written, a diverged check) is returned by this function; in an MPI job the caller must then
//! end the whole job with [`abort_on_error`] (MPI_Abort, MPI's semantics: every rank is killed,
//! `mpirun` returns non-zero), because the other ranks would otherwise wait forever in the next
//! all-reduce. Errors every rank sees alike (bad configuration, non-finite gradient after the
//! all-reduce) are returned on every rank.
//!
//! **Data.** Every rank holds the whole training set and gathers its part of each minibatch.
//! Storing only a shard per rank would need a per-shard order, which is not the order of the
//! single-process run the tests compare with.
//!
//! **Not supported**: early stopping (descent-nn's patience) and bucketed all-reduce overlapped
//! with the backward pass (the gradient is reduced once, after the backward pass).
//!
//! # Step time on p ranks
//! One step costs the local forward and backward pass on b/p rows, one all-reduce of the n-value
//! gradient, and the optimizer's pass over n values:
//!
//! ```text
//! t(p) ≈ c_fb · b·F / p  +  [ 2(p−1)·α  +  2(p−1)/p · n·s / β  +  (p−1)/p · n·γ ]  +  c_opt · n
//! ```
//!
//! with F the floating-point work per example (≈ 6 × n for an MLP: forward 2n, backward 4n),
//! c_fb the time per flop, s the bytes per value (4 for f32), α the latency of one message, β
//! the bandwidth per link and γ the time to add one value. The bracket is the bandwidth-optimal
//! ring all-reduce (reduce-scatter, then all-gather: each rank sends and receives
//! 2(p−1)/p · n·s bytes, independent of p for large p). The compute term shrinks as 1/p, the
//! communication term does not, so the speed-up t(1)/t(p) saturates at
//! (compute + optimizer)/(optimizer + all-reduce): a large minibatch per rank, or fewer
//! parameters, scale; many ranks on small minibatches do not. The efficiency is t(1)/(p·t(p)).
//!
//! Measured on this machine (2 cores shared with other jobs, Open MPI 4.1 over shared memory,
//! f32): see [`crate`]'s documentation, section *Measured*.
//!
//! # Example
//! ```
//! use descent::first_order::{Adam, Optimizer};
//! use descent_distributed::Local;
//! use descent_distributed::train::{DataParallelConfig, Progress, train_data_parallel};
//! use descent_nn::{Dataset, Model, SoftmaxRegression};
//!
//! let (train_set, test_set) = Dataset::digits().split(0.2, 0)?;
//! let model = SoftmaxRegression::new(64, 10)?;
//! let mut params: Vec<f32> = model.init_params(0);
//! let mut opt = Optimizer::new(Adam::torch(1e-2).rule(), params.len())?;
//! let config = DataParallelConfig { epochs: 2, batch: 32, seed: 1, check_every: Some(10), stop_after: None };
//! let report = train_data_parallel(
//!     &Local, &model, &mut params, &mut opt, &train_set, &test_set, &config,
//!     Progress::default(), None, &mut |_| Ok(()),
//! )?;
//! assert!(report.progress.epochs[1].test_accuracy > 0.85);
//! # Ok::<(), descent_distributed::Error>(())
//! ```

use std::borrow::Cow;
use std::path::Path;
use std::time::Instant;

use descent::first_order::{Optimizer, Rule};
use descent_nn::data::fill_epoch_order;
use descent_nn::model::Scalar;
use descent_nn::train::evaluate;
use descent_nn::{Dataset, EpochStats, Model};
use serde::{Deserialize, Serialize};

use crate::comm::Communicator;
use crate::{Error, Result};

/// The parameter types a data-parallel run can all-reduce: `f32` and `f64`.
pub trait Element: Scalar {
    /// Sums `buf` over the ranks, in place ([`Communicator::all_reduce_sum_f32`] or `_f64`).
    fn all_reduce_sum<C: Communicator + ?Sized>(comm: &C, buf: &mut [Self]);
}

impl Element for f32 {
    fn all_reduce_sum<C: Communicator + ?Sized>(comm: &C, buf: &mut [Self]) {
        comm.all_reduce_sum_f32(buf);
    }
}

impl Element for f64 {
    fn all_reduce_sum<C: Communicator + ?Sized>(comm: &C, buf: &mut [Self]) {
        comm.all_reduce_sum_f64(buf);
    }
}

/// How to train.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataParallelConfig {
    /// Passes over the training set (at least 1).
    pub epochs: usize,
    /// Examples per global minibatch B (at least 1), split among the ranks.
    pub batch: usize,
    /// Seeds the order of every epoch ([`fill_epoch_order`]).
    pub seed: u64,
    /// Compare θ's hash across ranks every this many steps (`None`: never; costs one
    /// all-reduce of two u64).
    pub check_every: Option<u64>,
    /// Stop once this many steps are done in all (`None`: run all epochs); the run is then
    /// [`DataParallelReport::interrupted`] and can be resumed.
    pub stop_after: Option<u64>,
}

/// Checkpoints during a run: rank 0 writes one every `every` steps.
#[derive(Debug, Clone, Copy)]
pub struct Checkpointing<'a> {
    /// The file (replaced atomically each time).
    pub path: &'a Path,
    /// Steps between checkpoints (at least 1).
    pub every: u64,
    /// The caller's description of the run, stored in the file.
    pub meta: &'a str,
}

/// Where a run stands between two steps: all it carries besides θ and the optimizer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The epoch of the next minibatch (counted from 0).
    pub epoch: usize,
    /// The next minibatch within that epoch's order (counted from 0).
    pub batch: usize,
    /// Optimizer steps taken by the run.
    pub step: u64,
    /// The statistics of the finished epochs.
    pub epochs: Vec<EpochStats>,
}

/// Where the time of this session's steps went (rank-local wall clock).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timing {
    /// Steps taken in this session.
    pub steps: u64,
    /// Wall clock of the steps (gather, forward/backward, all-reduce, optimizer), no
    /// evaluation and no checkpoint.
    pub steps_s: f64,
    /// The part of `steps_s` spent in the gradient all-reduce (waiting for slower ranks
    /// included).
    pub all_reduce_s: f64,
    /// The part of `steps_s` spent in the optimizer's step.
    pub optimizer_s: f64,
    /// `steps_s`, epoch by epoch (epochs finished in this session).
    pub epoch_steps_s: Vec<f64>,
}

/// The outcome of [`train_data_parallel`].
#[derive(Debug, Clone, PartialEq)]
pub struct DataParallelReport {
    /// Where the run stopped (all epochs, or [`DataParallelConfig::stop_after`]).
    pub progress: Progress,
    /// Whether [`DataParallelConfig::stop_after`] ended the run before its last epoch.
    pub interrupted: bool,
    /// Where this session's time went.
    pub timing: Timing,
    /// Number of classes (the side of `confusion`).
    pub classes: usize,
    /// The test set's confusion matrix after the last finished epoch (row: true class, column:
    /// predicted), all zeros if no epoch finished.
    pub confusion: Vec<usize>,
}

/// What the per-epoch callback of [`train_data_parallel`] sees.
#[derive(Debug)]
pub struct EpochDone<'a, R: Rule, T: Element> {
    /// The epoch's statistics (identical on every rank).
    pub stats: &'a EpochStats,
    /// θ after the epoch's last step.
    pub params: &'a [T],
    /// The optimizer, its state included.
    pub optimizer: &'a Optimizer<R, T>,
    /// The progress, this epoch included.
    pub progress: &'a Progress,
    /// Wall clock of this epoch's steps in this session, in seconds.
    pub steps_s: f64,
}

/// Rows [lo, hi) of a minibatch of `len` rows that rank `rank` of `ranks` takes.
#[must_use]
pub fn part(len: usize, ranks: usize, rank: usize) -> (usize, usize) {
    (rank * len / ranks, (rank + 1) * len / ranks)
}

/// A 64-bit hash of θ (FNV-1a over each value's bits widened to f64): equal parameters give
/// equal hashes; different ones, different hashes but for a 2⁻⁶⁴ chance.
#[must_use]
pub fn params_hash<T: Element>(params: &[T]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    params.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        x.as_f64()
            .to_bits()
            .to_le_bytes()
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
    })
}

/// Checks that every rank holds the same θ (collective).
///
/// # Errors
/// [`Error::RanksDiverged`] on every rank when the hashes differ.
pub fn check_replicas<C: Communicator + ?Sized, T: Element>(
    comm: &C,
    params: &[T],
    step: u64,
) -> Result<()> {
    let h = params_hash(params);
    let (mut min, mut max) = ([h], [h]);
    comm.all_reduce_min_max_u64(&mut min, &mut max);
    if min == max { Ok(()) } else { Err(Error::RanksDiverged { step, what: "parameters" }) }
}

/// Ends the whole job when `result` is an error: prints one line to standard error (naming the
/// rank) and calls [`Communicator::abort`] with `code`, so that no rank is left waiting in a
/// collective. Returns the value otherwise.
pub fn abort_on_error<C: Communicator + ?Sized, V, E: std::fmt::Display>(
    comm: &C,
    code: i32,
    result: std::result::Result<V, E>,
) -> V {
    match result {
        Ok(value) => value,
        Err(e) => {
            eprintln!("error: rank {} of {}: {e} (aborting the job)", comm.rank(), comm.size());
            comm.abort(code)
        }
    }
}

/// Trains `model` from `params` with `optimizer` on `train_set`, data-parallel over the ranks
/// of `comm`, from `progress` (`Progress::default()` for a new run), writing checkpoints as
/// `checkpoint` says and calling `on_epoch` after each epoch's evaluation. Collective: every
/// rank calls it with the same arguments (θ and the optimizer identical).
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for zero epochs, batch or check/checkpoint interval;
/// [`Error::DimensionMismatch`] when θ is not [`Model::num_params`] long; [`Error::Network`]
/// for an empty data set or one that does not fit the model
/// ([`check_data`](descent_nn::train::check_data)); the model's or the optimizer's errors;
/// [`Error::RanksDiverged`]; [`Error::Io`] (rank 0) when a checkpoint cannot be written;
/// whatever `on_epoch` returns. See the module docs for what to do with an error in an MPI job.
#[allow(clippy::too_many_arguments)] // The run's parts; a struct would only rename them.
pub fn train_data_parallel<C, M, R, T>(
    comm: &C,
    model: &M,
    params: &mut [T],
    optimizer: &mut Optimizer<R, T>,
    train_set: &Dataset,
    test_set: &Dataset,
    config: &DataParallelConfig,
    mut progress: Progress,
    checkpoint: Option<&Checkpointing<'_>>,
    on_epoch: &mut impl FnMut(&EpochDone<'_, R, T>) -> Result<()>,
) -> Result<DataParallelReport>
where
    C: Communicator + ?Sized,
    M: Model,
    R: Rule,
    T: Element,
{
    validate(model, params, train_set, test_set, config, checkpoint)?;
    let (ranks, rank) = (comm.size(), comm.rank());
    let (n, d, classes) = (train_set.len(), model.inputs(), model.classes());
    let batch = config.batch;
    let batches = n.div_ceil(batch);
    if progress.batch >= batches {
        // A progress saved with another batch size or data set.
        return Err(Error::InvalidHyperparameter {
            name: "progress.batch",
            value: progress.batch as f64,
            valid: "below the number of minibatches per epoch",
        });
    }
    let max_part = batch.min(n).div_ceil(ranks);
    let mut order = vec![0usize; n];
    let mut x = vec![T::zero(); max_part * d];
    let mut y = vec![0usize; max_part];
    let mut ws = model.workspace::<T>(max_part);
    let mut grads = vec![T::zero(); params.len()];
    let eval = Evaluator::new(train_set, test_set, ranks, rank, batch)?;
    let mut timing = Timing::default();
    let mut confusion = vec![0usize; classes * classes];
    let mut interrupted = false;

    'epochs: while progress.epoch < config.epochs {
        let epoch = progress.epoch;
        fill_epoch_order(&mut order, config.seed, epoch as u64);
        let mut epoch_s = 0.0;
        for (b, chunk) in order.chunks(batch).enumerate().skip(progress.batch) {
            if config.stop_after.is_some_and(|s| progress.step >= s) {
                interrupted = true;
                timing.steps_s += epoch_s;
                break 'epochs;
            }
            let started = Instant::now();
            let (lo, hi) = part(chunk.len(), ranks, rank);
            let rows = hi - lo;
            if rows == 0 {
                grads.fill(T::zero());
            } else {
                let (x, y) = (&mut x[..rows * d], &mut y[..rows]);
                train_set.gather(&chunk[lo..hi], x, y)?;
                model.loss_grad(params, x, y, &mut ws, &mut grads)?;
                if rows != chunk.len() {
                    let weight = T::of(rows as f64 / chunk.len() as f64);
                    grads.iter_mut().for_each(|g| *g *= weight);
                }
            }
            let reducing = Instant::now();
            T::all_reduce_sum(comm, &mut grads);
            let stepping = Instant::now();
            timing.all_reduce_s += (stepping - reducing).as_secs_f64();
            optimizer.step(params, &grads)?;
            timing.optimizer_s += stepping.elapsed().as_secs_f64();
            epoch_s += started.elapsed().as_secs_f64();
            timing.steps += 1;
            progress.step += 1;
            progress.batch = b + 1;
            if config.check_every.is_some_and(|k| progress.step.is_multiple_of(k)) {
                check_replicas(comm, params, progress.step)?;
            }
            if b + 1 == batches {
                timing.steps_s += epoch_s;
                timing.epoch_steps_s.push(epoch_s);
                let stats = eval.run(comm, model, params, epoch, &mut confusion)?;
                progress.epochs.push(stats);
                (progress.epoch, progress.batch) = (epoch + 1, 0);
                let done = EpochDone {
                    stats: &stats,
                    params,
                    optimizer,
                    progress: &progress,
                    steps_s: epoch_s,
                };
                on_epoch(&done)?;
            }
            if let Some(c) = checkpoint
                && progress.step.is_multiple_of(c.every)
                && comm.is_root()
            {
                crate::checkpoint::save(
                    c.path, c.meta, ranks, config, &progress, params, optimizer,
                )?;
            }
        }
    }
    Ok(DataParallelReport { progress, interrupted, timing, classes, confusion })
}

fn validate<M: Model, T>(
    model: &M,
    params: &[T],
    train_set: &Dataset,
    test_set: &Dataset,
    config: &DataParallelConfig,
    checkpoint: Option<&Checkpointing<'_>>,
) -> Result<()> {
    let at_least_one = |name, value: u64| {
        if value == 0 {
            Err(Error::InvalidHyperparameter { name, value: 0.0, valid: "at least 1" })
        } else {
            Ok(())
        }
    };
    at_least_one("epochs", config.epochs as u64)?;
    at_least_one("batch", config.batch as u64)?;
    if let Some(k) = config.check_every {
        at_least_one("check_every", k)?;
    }
    if let Some(c) = checkpoint {
        at_least_one("checkpoint every", c.every)?;
    }
    if params.len() != model.num_params() {
        return Err(Error::DimensionMismatch {
            what: "params",
            expected: model.num_params(),
            got: params.len(),
        });
    }
    Ok(descent_nn::train::check_data(model, &[train_set, test_set])?)
}

/// This rank's contiguous 1/p of the training and test sets, evaluated after each epoch.
struct Evaluator<'a> {
    train: Option<Cow<'a, Dataset>>,
    test: Option<Cow<'a, Dataset>>,
    train_len: usize,
    test_len: usize,
    batch: usize,
}

impl<'a> Evaluator<'a> {
    fn new(
        train: &'a Dataset,
        test: &'a Dataset,
        ranks: usize,
        rank: usize,
        batch: usize,
    ) -> Result<Self> {
        let shard = |data: &'a Dataset| -> Result<Option<Cow<'a, Dataset>>> {
            let (lo, hi) = part(data.len(), ranks, rank);
            Ok(if hi == lo {
                None
            } else if hi - lo == data.len() {
                Some(Cow::Borrowed(data))
            } else {
                let rows: Vec<usize> = (lo..hi).collect();
                Some(Cow::Owned(data.subset(&rows)?))
            })
        };
        Ok(Self {
            train: shard(train)?,
            test: shard(test)?,
            train_len: train.len(),
            test_len: test.len(),
            batch,
        })
    }

    /// The epoch's statistics (one all-reduce); the test confusion matrix into `confusion`.
    fn run<C: Communicator + ?Sized, M: Model, T: Element>(
        &self,
        comm: &C,
        model: &M,
        params: &[T],
        epoch: usize,
        confusion: &mut [usize],
    ) -> Result<EpochStats> {
        // [train loss·rows, train correct, test loss·rows, test correct, test confusion…]
        let mut sums = vec![0.0_f64; 4 + confusion.len()];
        if let Some(shard) = &self.train {
            let e = evaluate(model, params, shard, self.batch)?;
            let rows = shard.len() as f64;
            (sums[0], sums[1]) = (e.loss * rows, (e.accuracy * rows).round());
        }
        if let Some(shard) = &self.test {
            let e = evaluate(model, params, shard, self.batch)?;
            let rows = shard.len() as f64;
            (sums[2], sums[3]) = (e.loss * rows, (e.accuracy * rows).round());
            for (s, &c) in sums[4..].iter_mut().zip(&e.confusion) {
                *s = c as f64;
            }
        }
        comm.all_reduce_sum_f64(&mut sums);
        for (c, &s) in confusion.iter_mut().zip(&sums[4..]) {
            *c = s as usize;
        }
        let (train_n, test_n) = (self.train_len as f64, self.test_len as f64);
        Ok(EpochStats {
            epoch,
            train_loss: sums[0] / train_n,
            train_accuracy: sums[1] / train_n,
            test_loss: sums[2] / test_n,
            test_accuracy: sums[3] / test_n,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Barrier, Mutex};

    use descent::first_order::{Adam, HeavyBall, Schedule, Sgd};
    use descent_nn::data::Standardizer;
    use descent_nn::train::{TrainConfig, train};
    use descent_nn::{Activation, Mlp};

    use super::*;
    use crate::Local;

    /// p ranks as p threads of one process: each collective deposits every rank's buffer, then
    /// every rank sums them in rank order (a fixed order, like a deterministic MPI reduction).
    pub(crate) struct ThreadComm {
        rank: usize,
        size: usize,
        barrier: Arc<Barrier>,
        slots: Arc<Mutex<Vec<Vec<f64>>>>,
    }

    impl ThreadComm {
        pub(crate) fn group(size: usize) -> Vec<Self> {
            let barrier = Arc::new(Barrier::new(size));
            let slots = Arc::new(Mutex::new(vec![Vec::new(); size]));
            (0..size)
                .map(|rank| Self { rank, size, barrier: barrier.clone(), slots: slots.clone() })
                .collect()
        }

        /// Every rank's `values`, in rank order.
        fn exchange(&self, values: Vec<f64>) -> Vec<Vec<f64>> {
            self.slots.lock().unwrap()[self.rank] = values;
            self.barrier.wait();
            let all = self.slots.lock().unwrap().clone();
            self.barrier.wait();
            all
        }
    }

    impl Communicator for ThreadComm {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            self.size
        }
        fn all_reduce_sum_f64(&self, buf: &mut [f64]) {
            let all = self.exchange(buf.to_vec());
            for (i, b) in buf.iter_mut().enumerate() {
                *b = all.iter().fold(0.0, |s, v| s + v[i]);
            }
        }
        fn all_reduce_sum_f32(&self, buf: &mut [f32]) {
            let all = self.exchange(buf.iter().map(|&x| f64::from(x)).collect());
            for (i, b) in buf.iter_mut().enumerate() {
                *b = all.iter().fold(0.0_f32, |s, v| s + v[i] as f32);
            }
        }
        fn all_reduce_min_max_u64(&self, min: &mut [u64], max: &mut [u64]) {
            // u64 → f64 loses bits; exchange the two 32-bit halves instead.
            let halves = |v: &[u64]| {
                v.iter().flat_map(|&x| [(x >> 32) as f64, (x & 0xffff_ffff) as f64]).collect()
            };
            let join = |v: &[f64], i: usize| ((v[2 * i] as u64) << 32) | v[2 * i + 1] as u64;
            let all_min = self.exchange(halves(min));
            let all_max = self.exchange(halves(max));
            for i in 0..min.len() {
                min[i] = all_min.iter().map(|v| join(v, i)).min().unwrap();
                max[i] = all_max.iter().map(|v| join(v, i)).max().unwrap();
            }
        }
        fn broadcast_bytes(&self, root: usize, bytes: &mut Vec<u8>) {
            let all = self.exchange(bytes.iter().map(|&b| f64::from(b)).collect());
            *bytes = all[root].iter().map(|&b| b as u8).collect();
        }
        fn barrier(&self) {
            self.barrier.wait();
        }
        fn abort(&self, code: i32) -> ! {
            std::process::exit(code)
        }
    }

    /// The digits, split and standardised, and a 64-32-10 MLP.
    pub(crate) fn digits_mlp() -> (Dataset, Dataset, Mlp) {
        let (mut train_set, mut test_set) = Dataset::digits().split(0.2, 0).unwrap();
        let s = Standardizer::fit(&train_set);
        s.apply(&mut train_set).unwrap();
        s.apply(&mut test_set).unwrap();
        let model = Mlp::new(64, &[32], 10, Activation::Relu).unwrap().with_l2(1e-4).unwrap();
        (train_set, test_set, model)
    }

    /// Adam under a warm-up and cosine decay over `steps`: the step count matters.
    fn warmup_cosine_adam(steps: u64) -> impl Rule {
        let learning_rate = Schedule::WarmupCosine {
            init_learning_rate: 0.0,
            peak_learning_rate: 1e-2,
            warmup_steps: 10,
            decay_steps: steps,
            end_learning_rate: 1e-4,
        };
        Adam { learning_rate, ..Adam::torch(1e-2) }.rule()
    }

    fn config(epochs: usize, batch: usize) -> DataParallelConfig {
        DataParallelConfig { epochs, batch, seed: 3, check_every: Some(1), stop_after: None }
    }

    #[test]
    fn part_covers_the_minibatch_contiguously() {
        for len in [1, 2, 5, 64, 65] {
            for ranks in 1..=4 {
                let mut next = 0;
                for r in 0..ranks {
                    let (lo, hi) = part(len, ranks, r);
                    assert_eq!(lo, next);
                    assert!(hi - lo <= len.div_ceil(ranks));
                    next = hi;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn local_run_is_descent_nn_training_bit_for_bit() {
        let (train_set, test_set, model) = digits_mlp();
        // A schedule, so that the step count inside the optimizer matters too.
        let rule = warmup_cosine_adam(46);
        let p0: Vec<f32> = model.init_params(5);
        let (mut p_nn, mut p_dp) = (p0.clone(), p0);
        let mut o_nn = Optimizer::new(rule.clone(), p_nn.len()).unwrap();
        let mut o_dp = Optimizer::new(rule, p_dp.len()).unwrap();
        let nn_config = TrainConfig { epochs: 2, batch: 50, seed: 3, patience: None };
        let nn =
            train(&model, &mut p_nn, &mut o_nn, &train_set, &test_set, &nn_config, |_| {}).unwrap();
        let mut seen = 0;
        let dp = train_data_parallel(
            &Local,
            &model,
            &mut p_dp,
            &mut o_dp,
            &train_set,
            &test_set,
            &config(2, 50),
            Progress::default(),
            None,
            &mut |_| {
                seen += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, 2);
        assert_eq!(p_dp, p_nn, "θ bit for bit");
        assert_eq!(o_dp.state(), o_nn.state(), "optimizer state bit for bit");
        assert_eq!(dp.progress.step, 2 * train_set.len().div_ceil(50) as u64);
        assert_eq!(dp.confusion, nn.confusion);
        for (a, b) in dp.progress.epochs.iter().zip(&nn.epochs) {
            assert_eq!((a.train_accuracy, a.test_accuracy), (b.train_accuracy, b.test_accuracy));
            assert!((a.train_loss - b.train_loss).abs() <= 1e-12 * b.train_loss);
            assert!((a.test_loss - b.test_loss).abs() <= 1e-12 * b.test_loss);
        }
        assert!(nn.epochs[1].test_accuracy > 0.85, "{:?}", nn.epochs);
    }

    /// Runs `ranks` threads of [`train_data_parallel`]; returns each rank's θ and report.
    fn threaded(
        ranks: usize,
        epochs: usize,
        batch: usize,
        lr: f64,
    ) -> Vec<(Vec<f32>, DataParallelReport)> {
        let (train_set, test_set, model) = digits_mlp();
        std::thread::scope(|s| {
            let handles: Vec<_> = ThreadComm::group(ranks)
                .into_iter()
                .map(|comm| {
                    let (train_set, test_set, model) = (&train_set, &test_set, &model);
                    s.spawn(move || {
                        let mut p: Vec<f32> = model.init_params(5);
                        let rule = HeavyBall::new(lr, 0.9).rule();
                        let mut o = Optimizer::new(rule, p.len()).unwrap();
                        let r = train_data_parallel(
                            &comm,
                            model,
                            &mut p,
                            &mut o,
                            train_set,
                            test_set,
                            &config(epochs, batch),
                            Progress::default(),
                            None,
                            &mut |_| Ok(()),
                        )
                        .unwrap();
                        (p, r)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    #[test]
    fn ranks_agree_with_one_process_to_rounding_and_with_each_other_bit_for_bit() {
        // 1437 rows, batch 64: the last minibatch (29 rows) is split 14/15 or 9/10/10.
        let one = threaded(1, 2, 64, 0.05);
        for ranks in [2, 3] {
            let many = threaded(ranks, 2, 64, 0.05);
            for (p, _) in &many[1..] {
                assert_eq!(p, &many[0].0, "replicas identical");
            }
            let (p, report) = &many[0];
            let scale = one[0].0.iter().fold(0.0_f32, |m, x| m.max(x.abs()));
            let worst = p.iter().zip(&one[0].0).fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(worst <= 1e-5 * scale, "{ranks} ranks: max |Δθ| {worst}, max |θ| {scale}");
            assert!(worst > 0.0 || ranks == 1);
            let (a, b) = (&report.progress.epochs[1], &one[0].1.progress.epochs[1]);
            assert!((a.test_loss - b.test_loss).abs() <= 1e-4 * b.test_loss);
            assert_eq!(report.confusion.iter().sum::<usize>(), 359, "the test set's rows");
        }
    }

    #[test]
    fn ranks_without_rows_in_a_minibatch_contribute_nothing() {
        // Minibatches of 2 rows on 3 ranks: rank 0 has none in every step.
        let (one, three) = (threaded(1, 1, 2, 2e-3), threaded(3, 1, 2, 2e-3));
        assert_eq!(three[0].0, three[2].0);
        let scale = one[0].0.iter().fold(0.0_f32, |m, x| m.max(x.abs()));
        let worst =
            three[0].0.iter().zip(&one[0].0).fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-5 * scale, "max |Δθ| {worst}, max |θ| {scale}");
        assert_eq!(three[0].1.progress.step, 719);
    }

    #[test]
    fn diverged_replicas_are_reported_on_every_rank() {
        let verdicts: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = ThreadComm::group(2)
                .into_iter()
                .map(|comm| {
                    s.spawn(move || {
                        let theta = [1.0_f32, 2.0 + comm.rank() as f32 * f32::EPSILON * 2.0];
                        (check_replicas(&comm, &theta, 7), check_replicas(&comm, &[1.0_f64], 8))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (differ, same) in verdicts {
            assert!(matches!(differ, Err(Error::RanksDiverged { step: 7, .. })));
            assert!(same.is_ok());
        }
        assert_ne!(params_hash(&[0.0_f32]), params_hash(&[-0.0_f32]));
    }

    #[test]
    fn a_run_stopped_and_resumed_from_its_checkpoint_is_bit_identical() {
        let (train_set, test_set, model) = digits_mlp();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.ddp");
        let rule = warmup_cosine_adam(69);
        let fresh = || {
            let p: Vec<f32> = model.init_params(5);
            let o = Optimizer::new(rule.clone(), p.len()).unwrap();
            (p, o)
        };
        // 23 steps per epoch; uninterrupted: 3 epochs.
        let (mut p_full, mut o_full) = fresh();
        let full = train_data_parallel(
            &Local,
            &model,
            &mut p_full,
            &mut o_full,
            &train_set,
            &test_set,
            &config(3, 64),
            Progress::default(),
            None,
            &mut |_| Ok(()),
        )
        .unwrap();
        // Stopped after 30 steps (mid-epoch 2), checkpoints every 10 steps.
        let ckpt = Checkpointing { path: &path, every: 10, meta: "digits 64-32-10" };
        let (mut p, mut o) = fresh();
        let stopped = DataParallelConfig { stop_after: Some(30), ..config(3, 64) };
        let first = train_data_parallel(
            &Local,
            &model,
            &mut p,
            &mut o,
            &train_set,
            &test_set,
            &stopped,
            Progress::default(),
            Some(&ckpt),
            &mut |_| Ok(()),
        )
        .unwrap();
        assert!(first.interrupted);
        assert_eq!(first.progress.step, 30);
        let saved = crate::checkpoint::load::<_, _, f32>(&Local, &path).unwrap();
        assert_eq!(saved.header.meta, "digits 64-32-10");
        assert_eq!((saved.progress.epoch, saved.progress.batch, saved.progress.step), (1, 7, 30));
        assert_eq!(saved.params, p);
        let mut o2 = Optimizer::resume(rule.clone(), saved.optimizer).unwrap();
        let mut p2 = saved.params;
        let rest = train_data_parallel(
            &Local,
            &model,
            &mut p2,
            &mut o2,
            &train_set,
            &test_set,
            &config(3, 64),
            saved.progress,
            None,
            &mut |_| Ok(()),
        )
        .unwrap();
        assert!(!rest.interrupted);
        assert_eq!(p2, p_full, "θ bit for bit");
        assert_eq!(o2.state(), o_full.state());
        assert_eq!(rest.progress, full.progress, "epoch statistics bit for bit");
        assert_eq!(rest.timing.steps, 69 - 30);
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        let (train_set, test_set, model) = digits_mlp();
        let mut p: Vec<f32> = model.init_params(0);
        let mut o = Optimizer::new(Sgd::new(0.1).rule(), p.len()).unwrap();
        let mut run = |config: &DataParallelConfig, p: &mut [f32]| {
            train_data_parallel(
                &Local,
                &model,
                p,
                &mut o,
                &train_set,
                &test_set,
                config,
                Progress::default(),
                None,
                &mut |_| Ok(()),
            )
        };
        let zero_batch = config(1, 0);
        assert!(matches!(
            run(&zero_batch, &mut p),
            Err(Error::InvalidHyperparameter { name: "batch", .. })
        ));
        let zero_check = DataParallelConfig { check_every: Some(0), ..config(1, 8) };
        assert!(matches!(run(&zero_check, &mut p), Err(Error::InvalidHyperparameter { .. })));
        assert!(matches!(run(&config(1, 8), &mut p[1..]), Err(Error::DimensionMismatch { .. })));
        // A progress past the epoch's last minibatch (saved with a smaller batch) is refused,
        // not looped over.
        let past = Progress { batch: 180, ..Progress::default() };
        let refused = train_data_parallel(
            &Local,
            &model,
            &mut p,
            &mut o,
            &train_set,
            &test_set,
            &config(1, 8),
            past,
            None,
            &mut |_| Ok(()),
        );
        assert!(matches!(
            refused,
            Err(Error::InvalidHyperparameter { name: "progress.batch", .. })
        ));
    }
}
