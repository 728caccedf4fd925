//! The crate's one error type.
//!
//! Every fallible entry point of `descent` returns [`Error`]. Variants carry structured fields so
//! that a caller can react to them, and their messages say what was wrong and how to fix it.

use thiserror::Error;

/// Everything that can go wrong before or around a run.
///
/// A run that *starts* but does not converge is not an error: its outcome is a
/// [`Status`](crate::Status) in the [`Report`](crate::Report).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector had the wrong length. Fix: pass a vector of `expected` elements
    /// (the objective's dimension).
    #[error("dimension mismatch in {what}: expected {expected} elements, got {got}")]
    DimensionMismatch {
        /// Which argument was wrong (`"x0"`, `"gradient buffer"`, ...).
        what: &'static str,
        /// The length that was required.
        expected: usize,
        /// The length that was given.
        got: usize,
    },

    /// A hyperparameter or option lies outside its valid range. Fix: choose a value in `valid`.
    #[error("invalid {name} = {value}: must be {valid}")]
    InvalidHyperparameter {
        /// The field name, as spelled in the configuration struct and on the command line.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The valid range, in words (`"positive and finite"`, `"in (0, 1)"`).
        valid: &'static str,
    },

    /// The objective returned a non-finite value or gradient at the starting point, so no run
    /// can start. Fix: start where the objective is defined.
    #[error("the objective is not finite at the starting point ({what})")]
    NonFiniteStart {
        /// What was non-finite: `"value"` or `"gradient"`.
        what: &'static str,
    },

    /// A gradient handed to an optimizer's step contained NaN or an infinity; nothing was
    /// changed. Fix: find what produced it (often a learning rate too large a few steps ago).
    #[error("gradient[{index}] = {value} is not finite; the step was not taken")]
    NonFiniteGradient {
        /// The first offending component.
        index: usize,
        /// Its value.
        value: f64,
    },

    /// A box bound is unusable: NaN, lower above upper, or a bound that excludes every number
    /// (lower = +∞ or upper = −∞). Fix: give coordinate `index` a lower bound ≤ its upper bound
    /// (±∞ for "no bound").
    #[error("bounds[{index}] = [{lower}, {upper}]: {reason}")]
    InvalidBound {
        /// The coordinate, counted from 0.
        index: usize,
        /// Its lower bound.
        lower: f64,
        /// Its upper bound.
        upper: f64,
        /// What is wrong, in words.
        reason: &'static str,
    },

    /// A starting point contained NaN or an infinity. Fix: pass finite numbers.
    #[error("x0[{index}] = {value} is not finite")]
    NonFiniteInput {
        /// The offending component.
        index: usize,
        /// Its value.
        value: f64,
    },

    /// No built-in problem has this name. Fix: pick one of `available`.
    #[error("unknown problem '{name}' (available: {available})")]
    UnknownProblem {
        /// The name asked for.
        name: String,
        /// The registry's names, comma separated.
        available: String,
    },

    /// A parameter was given to a problem that does not take it. Fix: drop it, or use one of
    /// `takes`.
    #[error("problem '{problem}' has no parameter '{parameter}' (it takes: {takes})")]
    UnknownParameter {
        /// The problem's name.
        problem: &'static str,
        /// The parameter given.
        parameter: &'static str,
        /// The parameters it does take, comma separated.
        takes: String,
    },

    /// The dimension asked for is not one the problem supports. Fix: see `valid`.
    #[error("problem '{problem}' cannot have dimension {dim}: {valid}")]
    InvalidDimension {
        /// The problem's name.
        problem: &'static str,
        /// The dimension asked for.
        dim: usize,
        /// The dimensions it supports, in words.
        valid: &'static str,
    },

    /// An expression could not be parsed. `column` counts characters from 1.
    #[error("syntax error at column {column}: {message}")]
    Syntax {
        /// 1-based character column of the offending token.
        column: usize,
        /// What was expected or found.
        message: String,
    },

    /// The Hessian's eigenvalues could not be computed at a point. Fix: evaluate at a point
    /// where the Hessian is finite, or raise `lanczos_steps` (see
    /// [`CurvatureOptions`](crate::landscape::CurvatureOptions)).
    #[error("curvature ({method}): {reason}")]
    CurvatureFailed {
        /// The eigensolver: `"dense"`, `"lanczos"` or `"sturm"`.
        method: &'static str,
        /// What went wrong.
        reason: &'static str,
    },

    /// The objective (or a method's use of it) panicked during [`minimize`](crate::minimize);
    /// the run was abandoned and its state dropped. Fix: make the objective return NaN or ∞
    /// instead of panicking where it is undefined (the driver reports those as a
    /// [`Status`](crate::Status)), or fix the bug the message names.
    #[error("the objective panicked at iteration {iteration}: {message}")]
    ObjectivePanicked {
        /// The iteration that was being computed: 0 for the start (the evaluation at x₀, the
        /// gradient check, the method's set-up), k for the step from xₖ₋₁ to xₖ.
        iteration: usize,
        /// The panic's message, or `"non-string panic payload"`.
        message: String,
    },

    /// The gradient check asked for by [`Options::check_gradient`](crate::Options::check_gradient)
    /// failed at the starting point: ∇f disagrees with central differences. Fix: correct the
    /// gradient's component `index` (a wrong sign, a missing factor, a gradient that is not
    /// that of the value returned).
    #[error(
        "gradient check failed at x0: component {index} is {analytic}, central differences give \
         {numeric} (error {error:e} > tolerance {tolerance:e})"
    )]
    GradientCheckFailed {
        /// The component with the largest error.
        index: usize,
        /// The objective's gradient at that component.
        analytic: f64,
        /// The central-difference estimate there.
        numeric: f64,
        /// |analytic − numeric| / max(1, |analytic|, |numeric|).
        error: f64,
        /// The tolerance it exceeded.
        tolerance: f64,
    },

    /// A variable list did not match an expression (unknown, missing or repeated names).
    #[error("variables: {message}")]
    Variables {
        /// What was wrong.
        message: String,
    },
}

/// `Result` with [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks a hyperparameter that must be positive and finite.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter { name, value, valid: "positive and finite" })
    }
}

/// Checks a hyperparameter that must lie in the open interval (0, 1).
pub(crate) fn in_unit_interval(name: &'static str, value: f64) -> Result<f64> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter { name, value, valid: "in (0, 1)" })
    }
}

/// Checks a count that must be at least 1 (an iteration budget, a memory).
pub(crate) fn at_least_one(name: &'static str, value: usize) -> Result<usize> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter { name, value: value as f64, valid: "at least 1" })
    }
}

/// Checks a tolerance: zero (the rule is off) or positive, and finite.
pub(crate) fn tolerance(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter {
            name,
            value,
            valid: "zero (off) or positive, and finite",
        })
    }
}
