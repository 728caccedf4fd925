//! Critical points: where a run stopped, and what kind of point it is.
//!
//! A gradient-norm stopping rule fires wherever ∇f ≈ 0: at a minimum, but just as well at a
//! saddle point or a maximum. This module says which, and gets a run out of a saddle.
//!
//! | part | what it does |
//! |---|---|
//! | [`CriticalPoint`] | the verdict: minimum, maximum, saddle point (with its number of negative directions) or degenerate |
//! | [`mod@curvature`] | Hessian eigenvalues: dense (faer) for small n, Lanczos on Hessian-vector products for large n, Sturm counts for tridiagonal Hessians; the index and the most negative direction |
//! | [`jiggle`] | the jiggle test: gradients on a small sphere of seeded perturbations point out (minimum), in (maximum) or both ways (saddle), with no second derivative |
//! | [`mod@classify`] | both tests together: curvature's verdict when it is decisive, the jiggle's when curvature is degenerate |
//! | [`escape`] | perturbed gradient descent (Jin et al. 2017) and the escape-time measure behind "momentum leaves a saddle sooner" |
//! | [`negative_curvature`] | the escape step along the most negative direction ([`negative_curvature::escape_step`]) and [`negative_curvature::minimize_escaping`]: a run that does not stop at a saddle point |
//!
//! **The decision rule** ([`mod@curvature`] module docs): with the eigenvalues λᵢ of ∇²f(x) and
//! τ = max(tolerance, n·ε)·max|λᵢ|, all λ > τ is a minimum, all λ < −τ a maximum, some λ < −τ a
//! saddle point with that many negative directions, anything else (zero curvature in some
//! direction and none negative) is degenerate: the second-order test cannot decide (the monkey
//! saddle x³ − 3xy² at 0).
//!
//! The driver uses it for **honest stopping**: when a run converges and the objective offers
//! its curvature ([`Objective::curvature_oracle`](crate::Objective::curvature_oracle)), the
//! [`Report`](crate::Report) says what kind of point the run stopped at
//! ([`Options::classify`](crate::Options::classify), [`Report::critical_point`](crate::Report::critical_point)).
//!
//! Reference: J. Nocedal and S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §2.1
//! (Thms. 2.3–2.4: second-order necessary and sufficient conditions).

pub mod classify;
pub mod curvature;
pub mod escape;
pub mod jiggle;
pub mod negative_curvature;

pub use classify::{Classification, DecidedBy, classify};
pub use curvature::{Curvature, CurvatureOptions, EigenMethod, curvature};
pub use escape::{PerturbedGradientDescent, escape_iterations};
pub use jiggle::{Jiggle, JiggleReport, JiggleVerdict};

/// What a critical point is, by curvature.
///
/// JSON (snake_case): `"minimum"`, `"maximum"`,
/// `{"saddle_point": {"negative_directions": k}}`, `"degenerate"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriticalPoint {
    /// Every Hessian eigenvalue is positive: a strict local minimum.
    Minimum,
    /// Every Hessian eigenvalue is negative: a strict local maximum.
    Maximum,
    /// Some eigenvalue is negative: f decreases along its eigenvector, so this is not a minimum.
    SaddlePoint {
        /// The number of negative eigenvalues (the index); from Lanczos, the number of negative
        /// Ritz values, a lower bound.
        negative_directions: usize,
    },
    /// No negative eigenvalue, but some are zero to working accuracy: second-order information
    /// cannot classify the point.
    Degenerate,
}

impl CriticalPoint {
    /// A short name for tables: `minimum`, `maximum`, `saddle point (k negative)`, `degenerate`.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::Minimum => "minimum".into(),
            Self::Maximum => "maximum".into(),
            Self::SaddlePoint { negative_directions } => {
                format!("saddle point ({negative_directions} negative)")
            }
            Self::Degenerate => "degenerate".into(),
        }
    }
}
