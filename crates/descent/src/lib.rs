//! # descent
//!
//! Gradient-based optimization, from the simplest rule θ ← θ − α∇L(θ) upward, with runs that
//! say honestly how they ended.
//!
//! | module | what it offers |
//! |---|---|
//! | [`objective`] | [`Objective`] (value and gradient in one call), [`Hessian`] structures, Hessian-vector products, exact derivatives by dual numbers ([`AutoDiff`]), [`check_gradient`] |
//! | [`driver`] | [`minimize`]: the loop, stopping rules, [`Report`], [`Status`], observers |
//! | [`first_order`] | gradient descent, momentum, Nesterov, Adagrad, RMSProp, Adadelta, Adam, AdamW, AMSGrad, Adamax, NAdam, RAdam, Lion: composable rules fused into one pass, the step API ([`first_order::Optimizer`]) and the driver ([`first_order::FirstOrder`]), schedules, torch/optax presets |
//! | [`quasi_newton`] | [`Bfgs`] (dense inverse Hessian) and [`Lbfgs`] (limited memory, two-loop recursion), generic over their line search |
//! | [`newton`] | [`Newton`]: exact Hessian, solved by its structure (dense Cholesky, banded Cholesky, tridiagonal LDLᵀ, diagonal), shifted by τI where indefinite, with a line search; [`NewtonCg`] (Hessian-free, truncated CG); [`TrustRegion`] with [`SteihaugCg`] or [`Dogleg`] (scipy's `trust-ncg` and `dogleg`) |
//! | [`bounds`] | box bounds l ≤ x ≤ u: [`Bounds`], [`ProjectedGradient`] and [`Lbfgsb`] (L-BFGS-B: generalised Cauchy point, subspace minimisation) |
//! | [`line_search`] | backtracking Armijo with quadratic/cubic interpolation; Moré–Thuente (strong Wolfe); Hager–Zhang (approximate Wolfe); initial-step rules |
//! | [`landscape`] | critical points: [`landscape::CriticalPoint`], the jiggle test, Hessian curvature (dense, Lanczos, Sturm), their combined verdict ([`landscape::classify`](landscape::classify::classify)), perturbed gradient descent and the negative-curvature escape |
//! | [`problems`] | built-in landscapes with known answers: ramp, ravine, Rosenbrock, saddles, ... |
//! | [`expr`] | a small expression language, differentiated exactly |
//! | [`tour`] | the experiments behind `descent tour`, as tested functions |
//!
//! One sign convention throughout: we **minimise**.
//!
//! ## Quick start
//! ```
//! use descent::{minimize, GradientDescent, Options, Status, problems::Rosenbrock};
//!
//! let f = Rosenbrock::new(2)?;
//! let method = GradientDescent::armijo();
//! let options = Options { max_iter: 100_000, gtol: 1e-6, ..Options::default() };
//! let report = minimize(&f, &[-1.2, 1.0], method, &options)?;
//! assert!(matches!(report.status, Status::Converged(_)));
//! assert!((report.x[0] - 1.0).abs() < 1e-4 && (report.x[1] - 1.0).abs() < 1e-4);
//! # Ok::<(), descent::Error>(())
//! ```
#![warn(missing_docs)]

pub mod bounds;
pub mod driver;
mod error;
pub mod expr;
pub mod first_order;
mod kernels;
pub mod landscape;
pub mod line_search;
pub mod newton;
pub mod objective;
pub mod problems;
pub mod quasi_newton;
pub mod tour;

pub use bounds::{Bounds, Lbfgsb, ProjectedGradient};
pub use driver::{CLASSIFY_AUTO_MAX, ClassifyPoint};
pub use driver::{
    Convergence, Counted, Evaluations, Iterate, Method, Observer, Options, Progress, Report,
    Status, StepOutcome, Trace, minimize, minimize_observed,
};
pub use error::{Error, Result};
pub use first_order::GradientDescent;
pub use landscape::CriticalPoint;
pub use newton::{Dogleg, Newton, NewtonCg, SteihaugCg, TrustRegion};
pub use objective::{
    AutoDiff, DualFunction, GradientCheck, Hessian, HessianMatrix, HessianStructure,
    HessianVectorProduct, Objective, SecondOrder, check_gradient,
};
pub use quasi_newton::{Bfgs, Lbfgs};

/// Re-exported so that users can write [`DualFunction`]s without naming the crate themselves.
pub use num_dual;

/// The README's Rust examples, compiled and run as doc-tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
