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
pub use crate::objective::SecondOrder;

/// Parameters a problem may take. [`build`] rejects a parameter the problem does not have, so
/// that `--condition` given to `rosenbrock` is an error, not silently ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProblemConfig {
    /// The dimension; `None` for the problem's default.
    pub dim: Option<usize>,
    /// Condition number κ of `ravine` and `random_quadratic`; `None` for the default.
    pub condition: Option<f64>,
    /// Slope c of `ramp`; `None` for the default 1.
    pub slope: Option<f64>,
    /// Seed of `random_quadratic`; `None` for seed 0.
    pub seed: Option<u64>,
}

impl ProblemConfig {
    /// The parameters that are set, by name.
    fn given(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.dim.is_some(), "dim"),
            (self.condition.is_some(), "condition"),
            (self.slope.is_some(), "slope"),
            (self.seed.is_some(), "seed"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
    }
}

/// One entry of the [`registry`].
#[derive(Debug, Clone, Copy)]
pub struct ProblemSpec {
    /// The name the CLI and [`build`] accept.
    pub name: &'static str,
    /// One line on what the landscape shows.
    pub summary: &'static str,
    /// The [`ProblemConfig`] fields it reads (`"dim"`, `"condition"`, `"slope"`, `"seed"`).
    pub parameters: &'static [&'static str],
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
/// [`Error::UnknownProblem`] for a name not in the [`registry`];
/// [`Error::UnknownParameter`] for a parameter the problem does not take; the problem's own
/// validation errors ([`Error::InvalidDimension`], [`Error::InvalidHyperparameter`]) otherwise.
pub fn build(name: &str, config: &ProblemConfig) -> Result<Box<dyn Problem>> {
    let spec = REGISTRY.iter().find(|s| s.name == name).ok_or_else(|| Error::UnknownProblem {
        name: name.to_owned(),
        available: REGISTRY.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
    })?;
    if let Some(parameter) = config.given().find(|p| !spec.parameters.contains(p)) {
        return Err(Error::UnknownParameter {
            problem: spec.name,
            parameter,
            takes: if spec.parameters.is_empty() {
                "none".into()
            } else {
                spec.parameters.join(", ")
            },
        });
    }
    (spec.build)(config)
}

pub mod beale;
pub mod booth;
pub mod himmelblau;
pub mod monkey_saddle;
pub mod ramp;
pub mod random_quadratic;
pub mod rastrigin;
pub mod ravine;
pub mod rosenbrock;
pub mod saddle;
pub mod tridiagonal;

#[cfg(test)]
mod tests;

pub use beale::Beale;
pub use booth::Booth;
pub use himmelblau::Himmelblau;
pub use monkey_saddle::MonkeySaddle;
pub use ramp::Ramp;
pub use random_quadratic::RandomQuadratic;
pub use rastrigin::Rastrigin;
pub use ravine::Ravine;
pub use rosenbrock::Rosenbrock;
pub use saddle::Saddle;
pub use tridiagonal::Tridiagonal;

// Every problem is also a `DualFunction` (what `Problem::autodiff` wraps) and `Clone`; checked
// here at compile time so that a new problem cannot skip its dual-number reference.
const _: fn() = || {
    fn has_reference<T: Problem + DualFunction + Clone>() {}
    has_reference::<Ramp>();
    has_reference::<Ravine>();
    has_reference::<Rosenbrock>();
    has_reference::<Beale>();
    has_reference::<Himmelblau>();
    has_reference::<Booth>();
    has_reference::<Saddle>();
    has_reference::<MonkeySaddle>();
    has_reference::<Rastrigin>();
    has_reference::<Tridiagonal>();
    has_reference::<RandomQuadratic>();
};

const REGISTRY: &[ProblemSpec] = &[
    ProblemSpec {
        name: ramp::NAME,
        summary: "a tilted plane with no bottom: a run must end unbounded_below",
        parameters: &["dim", "slope"],
        build: |c| Ok(Box::new(Ramp::new(c.dim.unwrap_or(1), c.slope.unwrap_or(1.0))?)),
    },
    ProblemSpec {
        name: ravine::NAME,
        summary: "an axis-aligned quadratic with condition κ: gradient descent zig-zags",
        parameters: &["dim", "condition"],
        build: |c| {
            two_dimensional(ravine::NAME, c)?;
            Ok(Box::new(Ravine::new(c.condition.unwrap_or(ravine::DEFAULT_CONDITION))?))
        },
    },
    ProblemSpec {
        name: rosenbrock::NAME,
        summary: "a curved, narrow valley: fast to find, slow to follow to (1, 1)",
        parameters: &["dim"],
        build: |c| Ok(Box::new(Rosenbrock::new(c.dim.unwrap_or(2))?)),
    },
    ProblemSpec {
        name: beale::NAME,
        summary: "flat plateaus and steep ridges meeting at (3, 0.5)",
        parameters: &["dim"],
        build: |c| {
            two_dimensional(beale::NAME, c)?;
            Ok(Box::new(Beale::new()))
        },
    },
    ProblemSpec {
        name: himmelblau::NAME,
        summary: "four global minima: which one a run finds depends on where it starts",
        parameters: &["dim"],
        build: |c| {
            two_dimensional(himmelblau::NAME, c)?;
            Ok(Box::new(Himmelblau::new()))
        },
    },
    ProblemSpec {
        name: booth::NAME,
        summary: "a well-conditioned quadratic: every method should converge fast",
        parameters: &["dim"],
        build: |c| {
            two_dimensional(booth::NAME, c)?;
            Ok(Box::new(Booth::new()))
        },
    },
    ProblemSpec {
        name: saddle::NAME,
        summary: "a saddle x² − y²: started almost on the ridge, a run must escape along y",
        parameters: &["dim"],
        build: |c| {
            two_dimensional(saddle::NAME, c)?;
            Ok(Box::new(Saddle::new()))
        },
    },
    ProblemSpec {
        name: monkey_saddle::NAME,
        summary: "a degenerate saddle with zero Hessian at 0: curvature gives no warning",
        parameters: &["dim"],
        build: |c| {
            two_dimensional(monkey_saddle::NAME, c)?;
            Ok(Box::new(MonkeySaddle::new()))
        },
    },
    ProblemSpec {
        name: rastrigin::NAME,
        summary: "a bowl covered in local minima: local methods stop in the nearest one",
        parameters: &["dim"],
        build: |c| Ok(Box::new(Rastrigin::new(c.dim.unwrap_or(2))?)),
    },
    ProblemSpec {
        name: tridiagonal::NAME,
        summary: "the discrete 1-D Poisson problem: condition grows like n², Hessian tridiagonal",
        parameters: &["dim"],
        build: |c| Ok(Box::new(Tridiagonal::new(c.dim.unwrap_or(100))?)),
    },
    ProblemSpec {
        name: random_quadratic::NAME,
        summary: "a rotated quadratic with chosen condition κ and seeded minimiser",
        parameters: &["dim", "condition", "seed"],
        build: |c| {
            Ok(Box::new(RandomQuadratic::new(
                c.dim.unwrap_or(10),
                c.condition.unwrap_or(random_quadratic::DEFAULT_CONDITION),
                c.seed.unwrap_or(0),
            )?))
        },
    },
];

/// Rejects a configured dimension other than 2 for a problem of fixed dimension 2.
fn two_dimensional(problem: &'static str, config: &ProblemConfig) -> Result<()> {
    match config.dim {
        Some(d) if d != 2 => Err(Error::InvalidDimension {
            problem,
            dim: d,
            valid: "this problem has dimension 2 only",
        }),
        _ => Ok(()),
    }
}

/// Checks a dimension that must be at least 1.
fn at_least_one(problem: &'static str, dim: usize) -> Result<usize> {
    if dim >= 1 {
        Ok(dim)
    } else {
        Err(Error::InvalidDimension { problem, dim, valid: "must be at least 1" })
    }
}

/// Checks a condition number κ: finite and at least 1.
fn condition_number(value: f64) -> Result<f64> {
    if value.is_finite() && value >= 1.0 {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter {
            name: "condition",
            value,
            valid: "at least 1 and finite",
        })
    }
}
