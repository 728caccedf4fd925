//! Learning to learn with `descent`: gradient descent turned on itself.
//!
//! Two ideas, both from the same rule θ ← θ − α∇L(θ):
//! * **hypergradient descent** (Baydin et al., ICLR 2018): the learning rate α is a parameter
//!   too, and ∂L(θₜ)/∂α — one dot product of two successive update directions — tells how to
//!   change it while the run goes on;
//! * **meta-learning the starting point** (MAML, Finn, Abbeel & Levine, ICML 2017; first-order
//!   MAML; Reptile, Nichol, Achiam & Schulman 2018): θ is trained so that a few gradient steps
//!   on a handful of examples of a *new* task already fit it well.
//!
//! | module | what |
//! |---|---|
//! | [`hypergradient`] | SGD-HD, SGDN-HD, Adam-HD: any first-order rule with its learning rate tuned online; step API and driver |
//! | [`tasks`] | few-shot task families; the sinusoid regression family of the MAML paper |
//! | [`maml`] | MAML (exact second-order meta-gradient through Hessian-vector products), first-order MAML, Reptile, the pretrained baseline, evaluation on held-out tasks, saved models |
//! | [`tour`] | the numbers behind chapter 10 of `descent tour` (hypergradient descent on the digits; the shipped MAML and pretrained sinusoid models adapted to new tasks) |
//!
//! The networks are `descent-nn`'s [`Mlp`](descent_nn::Mlp) (with its mean-squared-error head
//! for regression): there is one MLP in the project.

#![warn(missing_docs)]

pub mod error;
pub mod hypergradient;
pub mod maml;
pub mod tasks;
pub mod tour;

pub use error::{Error, Result};
