//! Newton's method: the step d = −(∇²f)⁻¹∇f from the exact Hessian, made safe by a shift.
//!
//! Each iteration evaluates ∇²f(x) into a matrix of the objective's
//! [`HessianStructure`](crate::HessianStructure), factorises it (shifted by τI when it is not
//! positive definite), solves for the step and searches along it from the unit step. Near a
//! minimiser with positive definite Hessian the unit step is accepted and convergence is
//! quadratic; on a quadratic with SPD Hessian the first step lands on the minimiser.
//!
//! | method | model of f | per iteration | file | reference |
//! |---|---|---|---|---|
//! | [`Newton`] | exact second-order Taylor model, Hessian shifted to be SPD | one Hessian, one factorisation (or a few, while τ grows), one solve | [`modified`] | Nocedal & Wright §3.4, Alg. 3.3 |
//! | [`NewtonCg`] | the same model, solved inexactly by CG (Hessian-free) | CG iterations, each one Hessian-vector product; a line search | [`newton_cg`] | N&W §7.1, Alg. 7.1 |
//! | [`TrustRegion`] + [`SteihaugCg`] | the model inside a ball ‖p‖ ≤ Δ (scipy's `trust-ncg`) | CG iterations, each one Hessian-vector product, per trial | [`trust_region`] | N&W Alg. 4.1, 7.2 |
//! | [`TrustRegion`] + [`Dogleg`] | the model inside a ball, along the dogleg path (scipy's `dogleg`) | one Hessian and one factorisation per iterate | [`trust_region`] | N&W §4.1 |
//!
//! **The cost is the structure's.** The solve is chosen by the Hessian's storage, with no
//! allocation per iteration:
//!
//! | structure | factorisation of H + τI | flops | memory |
//! |---|---|---|---|
//! | dense | Cholesky LLᵀ (faer's, blocked, from n = 32) | n³/3 | n² (a copy of H) |
//! | banded, half-bandwidth b | band Cholesky (Golub & Van Loan Alg. 4.3.5) | ≈ n·b² | (b + 1)·n |
//! | tridiagonal | LDLᵀ (symmetric Thomas algorithm) | ≈ 3n | 2n |
//! | diagonal | division | n | n |
//!
//! **Design decisions.**
//! * The dense Cholesky is `faer`'s blocked one (sequential) from n = 32, and a plain
//!   in-place loop below, where faer's set-up costs more than its blocking saves (measured
//!   figures in `factor.rs`). Both refuse the same pivots and allocate nothing per iteration
//!   (faer's scratch memory is allocated with the workspace).
//! * A factorisation fails on a pivot ≤ n·ε·‖H‖∞ (not only ≤ 0): a pivot that small makes the
//!   step meaningless, so it is treated as indefiniteness and repaired by the shift.
//! * The line search is a type parameter, [`Backtracking`](crate::line_search::Backtracking)
//!   (Armijo) by default, started at the unit step (N&W §3.5: Newton steps have their natural
//!   length), so the full Newton step is taken whenever it decreases f enough.

pub(crate) mod factor;
pub mod modified;
pub mod newton_cg;
pub mod trust_region;

pub use factor::Factorization;
pub use modified::{Newton, NewtonState};
pub use newton_cg::{CgConvention, NewtonCg, NewtonCgState};
pub use trust_region::{Dogleg, SteihaugCg, TrustRegion, TrustRegionState};
