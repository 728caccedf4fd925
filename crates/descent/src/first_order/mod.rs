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
//! silently made explicit ([`Epsilon`], [`AmsgradMax`], [`AdamaxEpsilon`], [`NadamMomentum`],
//! [`RadamEpsilon`], ...) and [`Preset`]s for torch's and optax's defaults.
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
//! | [`Adamax`] | [`adamax`] | Kingma & Ba 2015, §7.1 |
//! | [`NAdam`], [`NAdamW`] | [`nadam`] | Dozat 2016 |
//! | [`RAdam`], [`RAdamW`] | [`radam`] | Liu et al. 2020 |
//! | [`Lion`] | [`lion`] | Chen et al. 2023 |

pub mod adadelta;
pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod columns;
mod conventions;
pub mod gradient_descent;
pub mod lion;
pub mod method;
pub mod nadam;
pub mod optimizer;
mod plateau;
pub mod radam;
mod real;
pub mod rmsprop;
pub mod rule;
pub mod schedule;
pub mod sgd;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW, AmsGrad, AmsgradMax};
pub use adamax::{Adamax, AdamaxEpsilon};
pub use conventions::{Epsilon, Preset};
pub use gradient_descent::GradientDescent;
pub use lion::Lion;
pub use method::{FirstOrder, FirstOrderState, NesterovLookAhead};
pub use nadam::{NAdam, NAdamW, NadamMomentum, ProductPrecision};
pub use optimizer::{FiniteCheck, Optimizer, OptimizerState, PARALLEL_THRESHOLD, Threads};
pub use plateau::ReduceOnPlateau;
pub use radam::{RAdam, RAdamW, RadamEpsilon, RectifyWhen};
pub use real::Real;
pub use rmsprop::{OptaxMomentum, RmsProp, TorchMomentum};
pub use rule::{Rule, StepInfo};
pub use schedule::Schedule;
pub use sgd::{HeavyBall, Momentum, Nesterov, Sgd};
