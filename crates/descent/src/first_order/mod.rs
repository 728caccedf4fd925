//! First-order methods: steps built from the gradient alone.
//!
//! Two ways in, one implementation:
//! * the **step API** for training loops: [`Optimizer::step`]`(&mut params, &grads)` over
//!   `&mut [f32]` or `&mut [f64]`;
//! * the **driver** for whole problems: [`minimize`](crate::minimize) with [`FirstOrder`] (any
//!   rule), [`GradientDescent`] (with line searches) or [`NesterovLookAhead`].
//!
//! An optimizer is a chain of small [`Rule`]s composed at compile time into one fused pass
//! (see [`rule`]). The named optimizers build the chains, with the conventions libraries pick
//! silently made explicit ([`Epsilon`], [`AmsgradMax`], ...) and [`Preset`]s for torch's and
//! optax's defaults.
//!
//! | optimizer | file | paper |
//! |---|---|---|
//! | [`GradientDescent`] | [`gradient_descent`] | Cauchy 1847 |
//! | [`Sgd`], [`HeavyBall`], [`Momentum`], [`Nesterov`] | [`sgd`] | Polyak 1964; Nesterov 1983 |
//! | [`NesterovLookAhead`] | [`method`] | Sutskever et al. 2013 |
//! | [`Adagrad`] | [`adagrad`] | Duchi, Hazan & Singer 2011 |
//! | [`RmsProp`] (plain, centered, with torch's or optax's momentum) | [`rmsprop`] | Tieleman & Hinton 2012; Graves 2013 |
//! | [`Adadelta`] | [`adadelta`] | Zeiler 2012 |
//! | [`Adam`], [`AdamW`], [`AmsGrad`] | [`adam`] | Kingma & Ba 2015; Loshchilov & Hutter 2019; Reddi et al. 2018 |

pub mod adadelta;
pub mod adagrad;
pub mod adam;
mod conventions;
pub mod gradient_descent;
pub mod method;
pub mod optimizer;
mod real;
pub mod rmsprop;
pub mod rule;
pub mod schedule;
pub mod sgd;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW, AmsGrad, AmsgradMax};
pub use conventions::{Epsilon, Preset};
pub use gradient_descent::GradientDescent;
pub use method::{FirstOrder, NesterovLookAhead};
pub use optimizer::{FiniteCheck, Optimizer, OptimizerState, Threads};
pub use real::Real;
pub use rmsprop::{OptaxMomentum, RmsProp, TorchMomentum};
pub use rule::{Rule, StepInfo};
pub use schedule::Schedule;
pub use sgd::{HeavyBall, Momentum, Nesterov, Sgd};
