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

#![warn(missing_docs)]

pub mod error;
pub mod loss;
pub mod model;

pub use error::{Error, Result};
