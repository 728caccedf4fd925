//! Built-in landscapes with known answers.
//!
//! Each problem implements [`Objective`], [`Hessian`] and [`HessianVectorProduct`] with
//! hand-written derivatives, and [`DualFunction`] so that the hand-written derivatives are
//! tested against exact dual-number ones. The [`registry`] lists them by the names the CLI uses.
//!
//! | name | f | dimension | minimum |
//! |---|---|---|---|
//! | `ramp` | c·Σθᵢ | any (1) | none: unbounded below |
//! | `ravine` | ½(αw₁² + βw₂²), κ = β/α | 2 | 0 at 0 |
//! | `rosenbrock` | Σ 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)² | even (2) | 0 at (1, …, 1) |
//! | `beale` | (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)² | 2 | 0 at (3, 0.5) |
//! | `himmelblau` | (x² + y − 11)² + (x + y² − 7)² | 2 | 0 at four points |
//! | `booth` | (x + 2y − 7)² + (2x + y − 5)² | 2 | 0 at (1, 3) |
//! | `saddle` | x² − y² | 2 | none: a saddle at 0 |
//! | `monkey_saddle` | x³ − 3xy² | 2 | none: a degenerate saddle at 0 |
//! | `rastrigin` | 10n + Σ(xᵢ² − 10 cos 2πxᵢ) | any (2) | 0 at 0, many local minima |
//! | `tridiagonal` | ½xᵀAx − 1ᵀx, A = tridiag(−1, 2, −1) | any (100) | xᵢ* = i(n + 1 − i)/2 |
//! | `random_quadratic` | ½(x − x*)ᵀA(x − x*), A SPD with condition κ | any (10) | 0 at x* |

use crate::{DualFunction, Error, Hessian, HessianVectorProduct, Objective, Result};

/// A built-in landscape: an objective with second derivatives and known facts about it.
pub trait Problem: Objective + Hessian + HessianVectorProduct + Send + Sync {
    /// The registry name (`"rosenbrock"`).
    fn name(&self) -> &'static str;

    /// The standard starting point.
    fn start(&self) -> Vec<f64>;

    /// The known global minimisers; empty when there is none (unbounded below).
    fn minimizers(&self) -> Vec<Vec<f64>>;

    /// The minimum value; `None` when the problem is unbounded below.
    fn min_value(&self) -> Option<f64>;

    /// The same function with derivatives computed by dual numbers instead of by hand.
    fn autodiff(&self) -> Box<dyn SecondOrder + '_>;
}

/// An objective with a Hessian and Hessian-vector products (object-safe umbrella trait).
pub trait SecondOrder: Objective + Hessian + HessianVectorProduct {}
impl<T: Objective + Hessian + HessianVectorProduct + ?Sized> SecondOrder for T {}

/// Parameters a problem may take; each problem reads the ones it has and ignores the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProblemConfig {
    /// The dimension; `None` for the problem's default.
    pub dim: Option<usize>,
    /// Condition number κ of `ravine` and `random_quadratic`; `None` for the default.
    pub condition: Option<f64>,
    /// Slope c of `ramp`; `None` for the default 1.
    pub slope: Option<f64>,
    /// Seed of `random_quadratic`.
    pub seed: u64,
}

/// One entry of the [`registry`].
#[derive(Debug, Clone, Copy)]
pub struct ProblemSpec {
    /// The name the CLI and [`build`] accept.
    pub name: &'static str,
    /// One line on what the landscape shows.
    pub summary: &'static str,
    /// Builds the problem.
    pub build: fn(&ProblemConfig) -> Result<Box<dyn Problem>>,
}

/// Every built-in problem, in the order `descent problems` lists them.
#[must_use]
pub fn registry() -> &'static [ProblemSpec] {
    REGISTRY
}

/// Builds the problem called `name`.
///
/// # Errors
/// [`Error::UnknownProblem`] for a name not in the [`registry`]; the problem's own validation
/// errors ([`Error::InvalidDimension`], [`Error::InvalidHyperparameter`]) otherwise.
pub fn build(name: &str, config: &ProblemConfig) -> Result<Box<dyn Problem>> {
    let spec = REGISTRY
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::UnknownProblem {
            name: name.to_owned(),
            available: REGISTRY
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    (spec.build)(config)
}

// The problem modules and REGISTRY follow.
const REGISTRY: &[ProblemSpec] = &[];
#[allow(unused_imports)]
use DualFunction as _;
