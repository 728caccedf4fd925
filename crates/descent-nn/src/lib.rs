//! Learning with `descent`: the theory's example made real.
//!
//! A classifier turns an input into logits z, the softmax turns them into probabilities
//! p = softmax(z), and the cross-entropy loss −log p_y of the true class has the gradient
//! ∂L/∂z = p − y with respect to the logits (y the one-hot label): each logit moves by how
//! much more probability it claimed than it deserved. This crate holds the loss, the models
//! (softmax regression, multilayer perceptrons) on one flat parameter buffer so that any
//! `descent` first-order optimizer steps them in one fused pass, the data sets (the bundled
//! handwritten digits, MNIST's IDX files) and the training loop.
//!
//! One sign convention, as in `descent`: we minimise the loss.
//!
//! | module | what |
//! |---|---|
//! | [`loss`] | [`softmax_cross_entropy`]: stable log-sum-exp, label smoothing, gradient (p − y)/B |
//! | [`model`] | the [`Model`] interface on one flat buffer; [`SoftmaxRegression`], [`Mlp`] (ReLU/tanh, He/Xavier, L2), batched through faer's GEMM, allocation-free after the first batch |
//! | [`mod@train`] | [`train()`]: seeded minibatches, any `descent` optimizer, train/test loss and accuracy per epoch, early stopping, confusion matrix; [`train_observed`] with an observer and a [`Progress`](train::Progress) to resume from; [`evaluate`](train::evaluate) |
//! | [`checkpoint`] | a run saved after an epoch (θ, optimizer state, progress, the network, the standardisation), written atomically; read back to predict or to resume bit for bit |
//! | [`data`] | [`Dataset`]: the bundled digits, gzip CSV and MNIST IDX readers (typed errors with byte offsets), stratified split, standardisation, seeded epoch orders |
//! | [`tour`] | the computations behind the tour's chapter on learning: p − y on one digit before and after a short training run |
//!
//! The `descent` command line trains and predicts with these (`descent train`, `descent predict`).

#![warn(missing_docs)]

pub mod checkpoint;
pub mod data;
pub mod error;
pub mod loss;
pub mod model;
pub mod tour;
pub mod train;

pub use data::Dataset;
pub use error::{Error, Result};
pub use loss::softmax_cross_entropy;
pub use model::{Activation, Head, Mlp, Model, SoftmaxRegression};
pub use train::{EpochStats, TrainConfig, TrainReport, train, train_observed};
