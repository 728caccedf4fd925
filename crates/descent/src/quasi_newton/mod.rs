//! Quasi-Newton methods: Newton's step −H∇f with the inverse Hessian H learnt from gradients.
//!
//! Each iteration moves along d = −H∇f with a line search, then measures how the gradient
//! changed over the step, s = xₖ₊₁ − xₖ and y = ∇fₖ₊₁ − ∇fₖ, and corrects H so that it maps
//! y to s (the secant equation H y = s, which the true inverse Hessian satisfies exactly on a
//! quadratic). No second derivative is ever evaluated.
//!
//! | method | H | memory | per iteration | file | paper |
//! |---|---|---|---|---|---|
//! | [`Bfgs`] | dense n×n | n² | O(n²) | [`bfgs`] | Broyden, Fletcher, Goldfarb, Shanno 1970 |
//! | [`Lbfgs`] | implicit, from the last m pairs (s, y) | 2mn | O(mn) | [`lbfgs`] | Nocedal 1980; Liu & Nocedal 1989 |
//!
//! **Shared design decisions.**
//! * The line search is a type parameter, [`Backtracking`](crate::line_search::Backtracking)
//!   (Armijo) by default. Armijo does not enforce the curvature condition sᵀy > 0 that keeps H
//!   positive definite (a strong-Wolfe search would), so both methods **skip** the update when
//!   sᵀy ≤ ε‖s‖‖y‖ with ε = [`SKIP_TOLERANCE`] (N&W §6.1, "damping or skipping"): the cosine
//!   of the angle between s and y must exceed ε.
//! * When d is not a descent direction (dᵀ∇f ≥ 0, or not finite: H has lost positive
//!   definiteness to rounding) the memory is cleared and the step is steepest descent.
//! * The first trial step of the line search is 1 (the quasi-Newton step has its natural
//!   length), except on a steepest-descent step (the first iteration and after a restart),
//!   where H = I carries no scale and the trial is 1/‖∇f‖, so that the first step has length 1
//!   (as L-BFGS-B does). The previous accepted step is not passed to the line search: a
//!   quasi-Newton step is already scaled.
//!   The search's [`first_trial`](crate::line_search::LineSearch::first_trial) also sees the last
//!   value change fₖ − fₖ₋₁ and φ'(0) (a [`StepContext`](crate::line_search::StepContext)), so
//!   [`InitialStep::Interpolate`](crate::line_search::InitialStep::Interpolate) (N&W eq. 3.60)
//!   works here; and each run keeps one
//!   [`SearchMemory`](crate::line_search::SearchMemory) for searches that adapt over a run
//!   ([`HagerZhang`](crate::line_search::HagerZhang)'s switch to approximate Wolfe).
//! * The accepted iterate's value and gradient come from the line search's last evaluation
//!   (the [`line_search`](crate::line_search) contract): one evaluation is never repeated.
//! * All buffers are allocated in [`Method::init`](crate::Method::init); an iteration
//!   allocates nothing.

pub mod bfgs;
pub mod lbfgs;

pub use bfgs::{Bfgs, BfgsState, InitialInverse};
pub use lbfgs::{Lbfgs, LbfgsState};

use crate::kernels::dot;

/// ε of the skip rule: an update is skipped unless sᵀy > ε‖s‖‖y‖, i.e. unless the cosine of
/// the angle between s and y exceeds 1e-8. Positive curvature alone (sᵀy > 0) would admit
/// pairs whose ρ = 1/sᵀy is dominated by rounding; a cosine of 1e-8 still admits curvature
/// ratios up to 10⁸ (condition numbers far beyond what the tests and built-in problems need).
pub const SKIP_TOLERANCE: f64 = 1e-8;

/// Whether the pair (s, y) with products sᵀs, yᵀy, sᵀy may update H (the skip rule).
fn curvature_ok(ss: f64, yy: f64, sy: f64) -> bool {
    sy > SKIP_TOLERANCE * (ss * yy).sqrt() && sy.is_finite() && yy > 0.0
}

/// The first trial step: 1 for a quasi-Newton step, 1/‖∇f‖ for a steepest-descent one.
fn base_step(steepest: bool, grad: &[f64]) -> f64 {
    if steepest {
        let t = 1.0 / dot(grad, grad).sqrt();
        if t.is_finite() { t } else { 1.0 }
    } else {
        1.0
    }
}
