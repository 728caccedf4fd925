//! How a run ended: [`Report`], [`Status`], [`Convergence`], [`Evaluations`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::landscape::CriticalPoint;

/// Which convergence test fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Convergence {
    /// ‖∇f(x)‖ ≤ `gtol`.
    GradientNorm,
    /// ‖∇f(x)‖ ≤ `gtol_rel`·‖∇f(x₀)‖.
    RelativeGradientNorm,
    /// |f(xₖ₋₁) − f(xₖ)| ≤ `ftol`.
    ValueChange,
    /// |f(xₖ₋₁) − f(xₖ)| ≤ `ftol_rel`·max(|f(xₖ₋₁)|, |f(xₖ)|).
    RelativeValueChange,
    /// ‖xₖ − xₖ₋₁‖ ≤ `xtol`.
    StepSize,
}

impl Convergence {
    /// The snake_case name used in JSON (`"gradient_norm"`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::GradientNorm => "gradient_norm",
            Self::RelativeGradientNorm => "relative_gradient_norm",
            Self::ValueChange => "value_change",
            Self::RelativeValueChange => "relative_value_change",
            Self::StepSize => "step_size",
        }
    }
}

/// How a run ended. Non-convergence is data, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// A convergence test fired.
    Converged(Convergence),
    /// `max_iter` iterations ran.
    MaxIterations,
    /// `max_evals` value evaluations were spent.
    MaxEvaluations,
    /// `time_limit` passed.
    TimeLimit,
    /// The value fell without bound: it reached `unbounded_value`, or it kept falling along a
    /// ray as ‖x‖ grew (see [`Options::unbounded_window`](crate::Options::unbounded_window)).
    UnboundedBelow,
    /// The value rose far above f(x₀) (see [`Options::divergence`](crate::Options::divergence)):
    /// typically a step too large for the curvature.
    Diverged {
        /// The iteration at which the rise was detected.
        iteration: usize,
    },
    /// The objective returned NaN or an infinity; the report holds the last finite iterate.
    NonFinite {
        /// The iteration whose evaluation was not finite.
        iteration: usize,
    },
    /// The line search found no acceptable step (often: the precision of f is exhausted).
    LineSearchFailed {
        /// The iteration that failed.
        iteration: usize,
    },
    /// A trust-region method rejected every trial step until its radius fell below
    /// ε·max(1, ‖x‖) (often: the precision of f is exhausted, or f is NaN around x).
    TrustRegionCollapsed {
        /// The iteration that failed.
        iteration: usize,
    },
    /// An observer stopped the run.
    Stopped,
}

impl Status {
    /// The snake_case name used in JSON (`"converged"`, `"unbounded_below"`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Converged(_) => "converged",
            Self::MaxIterations => "max_iterations",
            Self::MaxEvaluations => "max_evaluations",
            Self::TimeLimit => "time_limit",
            Self::UnboundedBelow => "unbounded_below",
            Self::Diverged { .. } => "diverged",
            Self::NonFinite { .. } => "non_finite",
            Self::LineSearchFailed { .. } => "line_search_failed",
            Self::Stopped => "stopped",
            Self::TrustRegionCollapsed { .. } => "trust_region_collapsed",
        }
    }

    /// The convergence rule that fired, or `None` when the run did not converge.
    #[must_use]
    pub fn reason(self) -> Option<Convergence> {
        match self {
            Self::Converged(rule) => Some(rule),
            _ => None,
        }
    }

    /// The iteration a failure is tied to (diverged, non-finite, line search failed, trust
    /// region collapsed).
    #[must_use]
    pub fn iteration(self) -> Option<usize> {
        match self {
            Self::Diverged { iteration }
            | Self::NonFinite { iteration }
            | Self::LineSearchFailed { iteration }
            | Self::TrustRegionCollapsed { iteration } => Some(iteration),
            _ => None,
        }
    }

    /// Whether the run converged.
    #[must_use]
    pub fn is_converged(self) -> bool {
        matches!(self, Self::Converged(_))
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Converged(rule) => write!(f, "converged ({})", rule.name()),
            Self::Diverged { iteration } => write!(f, "diverged at iteration {iteration}"),
            Self::NonFinite { iteration } => {
                write!(f, "non-finite value or gradient at iteration {iteration}")
            }
            Self::LineSearchFailed { iteration } => {
                write!(f, "line search failed at iteration {iteration}")
            }
            Self::TrustRegionCollapsed { iteration } => {
                write!(f, "trust region collapsed at iteration {iteration}")
            }
            other => f.write_str(&other.name().replace('_', " ")),
        }
    }
}

/// How many times the objective was asked for each quantity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluations {
    /// Values f(x) (a `value_grad` call counts one value and one gradient).
    pub value: usize,
    /// Gradients ∇f(x).
    pub gradient: usize,
    /// Hessians ∇²f(x) and Hessian-vector products.
    pub hessian: usize,
}

/// The outcome of [`minimize`](crate::minimize).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The final iterate (the last finite one, if the run ended `non_finite`).
    pub x: Vec<f64>,
    /// f(x).
    pub value: f64,
    /// ‖∇f(x)‖₂; for a method with box bounds, ‖P(x − ∇f) − x‖₂ (see [`crate::bounds`]).
    pub grad_norm: f64,
    /// Iterations taken (steps from x₀).
    pub iterations: usize,
    /// Evaluations spent, including line-search trials and probes.
    pub evaluations: Evaluations,
    /// How the run ended.
    pub status: Status,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// What kind of point the run stopped at, by the Hessian's eigenvalues: `Some` when the run
    /// converged and the check ran, `None` otherwise (see
    /// [`Options::classify`](crate::Options::classify) and the [driver docs](crate::driver)).
    #[serde(default)]
    pub critical_point: Option<CriticalPoint>,
    /// Hessian evaluations (Hessians, or Hessian-vector products for Lanczos) spent on
    /// `critical_point`. Kept out of [`evaluations`](Report::evaluations), which counts the
    /// method's own work: the numbers compared with scipy, argmin and Optim.jl (Newton on a
    /// quadratic: one step, one Hessian).
    #[serde(default)]
    pub critical_point_hessians: usize,
}
