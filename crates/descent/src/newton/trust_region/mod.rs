//! Trust-region Newton methods: minimise the quadratic model inside a ball, then judge the
//! model by what f actually did.
//!
//! # The method
//! At xₖ with gradient gₖ and Hessian Bₖ = ∇²f(xₖ) (as a matrix or only through products
//! Bₖv), the quadratic model of f is
//!
//! ```text
//! mₖ(p) = f(xₖ) + gₖᵀp + ½ pᵀBₖp                                  (N&W eq. 4.2)
//! ```
//!
//! and a [`Subproblem`] solver finds an approximate minimiser pₖ of mₖ with ‖pₖ‖ ≤ Δₖ. The
//! trial point is judged by the ratio of actual to predicted reduction, and the radius adapts
//! (N&W Alg. 4.1, with scipy's constants, `scipy/optimize/_trustregion.py`):
//!
//! ```text
//! ρₖ = (f(xₖ) − f(xₖ + pₖ)) / (mₖ(0) − mₖ(pₖ))                    (N&W eq. 4.4)
//! if ρₖ < ¼:                       Δ ← ¼·Δ
//! else if ρₖ > ¾ and ‖pₖ‖ = Δ:     Δ ← min(2Δ, Δmax)
//! if ρₖ > η:  xₖ₊₁ = xₖ + pₖ       (accepted)
//! else:       stay at xₖ, solve the subproblem again with the smaller Δ
//! ```
//!
//! A rejected trial does not move, so [`TrustRegion::step`](crate::Method::step) loops over
//! trials until one is accepted: one driver iteration is one *accepted* step (scipy counts
//! every trial as an iteration). Value and gradient are evaluated together at each trial
//! (`value_grad`), so an accepted trial is never evaluated again.
//!
//! | subproblem | needs | per trial | file | scipy |
//! |---|---|---|---|---|
//! | [`SteihaugCg`] | Hessian-vector products | CG iterations, each one product | [`steihaug`] | `trust-ncg` |
//! | [`Dogleg`] | the Hessian (any [`HessianStructure`](crate::HessianStructure)) | one Hessian and one Cholesky per iterate, reused by every trial | [`dogleg`] | `dogleg` |
//!
//! | symbol | field / state | meaning | default |
//! |---|---|---|---|
//! | Δ₀ | [`TrustRegion::initial_radius`] | first radius | 1 (scipy) |
//! | Δmax | [`TrustRegion::max_radius`] | largest radius | 1000 (scipy) |
//! | η | [`TrustRegion::eta`] | acceptance threshold on ρ, in [0, ¼) | 0.15 (scipy) |
//! | Δₖ | [`TrustRegionState::radius`] | the current radius | |
//! | ρₖ | | actual over predicted reduction | |
//!
//! **Defaults and why.** Δ₀ = 1, Δmax = 1000 and η = 0.15 are scipy's, so that runs can be
//! compared with `scipy.optimize.minimize(method="trust-ncg" | "dogleg")` iterate by iterate
//! (`bench/peers/trust_region_reference.py`; the tests match its iterates to 1e-8). The
//! shrink factor ¼ and the thresholds ¼, ¾ are N&W's and scipy's, and are not configurable.
//!
//! **Giving up.** A trial is rejected when ρ ≤ η, and ρ is taken as −∞ (so the radius
//! shrinks) when f at the trial is NaN or the model predicts no decrease (mₖ(0) − mₖ(p) ≤ 0,
//! which a correct subproblem gives only when rounding dominates). When the radius falls below
//! ε·max(1, ‖xₖ‖₂), where steps no longer change x in floating point, the step reports
//! [`StepOutcome::TrustRegionCollapsed`] and the run
//! ends with [`Status::TrustRegionCollapsed`](crate::Status::TrustRegionCollapsed). From
//! Δmax = 1000 that takes at most ⌈log₄(1000/ε)⌉ = 26 trials.
//!
//! **Where this differs from scipy.**
//! * scipy stops (`status` 2) when the model predicts no decrease, and a NaN value at a trial
//!   leaves ρ = NaN, which neither shrinks nor accepts, so scipy retries the same trial until
//!   `maxiter`; here both shrink the radius, and the collapse above ends the run honestly.
//! * scipy's `nit` counts trials; `Report::iterations` counts accepted steps. The value count
//!   is the same (1 + trials); the gradient count is 1 + trials here, 1 + accepted in scipy,
//!   which evaluates ∇f only at accepted points.
//! * The predicted reduction costs no extra Hessian product here (see each subproblem);
//!   scipy's `trust-ncg` evaluates the model with one product per trial.
//! * scipy stops when ‖g‖ < `gtol`; the driver stops when ‖g‖ ≤ `gtol`.
//!
//! # References
//! * J. Nocedal, S. J. Wright (2006), *Numerical Optimization*, 2nd ed., Alg. 4.1 (trust
//!   region), §4.1 (Cauchy point, dogleg), Alg. 7.2 (CG–Steihaug).
//! * T. Steihaug (1983), *The conjugate gradient method and trust regions in large scale
//!   optimization*, SIAM J. Numer. Anal. 20(3).
//! * M. J. D. Powell (1970), *A new algorithm for unconstrained optimization* (dogleg).
//!
//! # Example
//! ```
//! use descent::{minimize, Options, TrustRegion, problems::Rosenbrock};
//! let f = Rosenbrock::new(2)?;
//! let options = Options { gtol: 1e-8, ..Options::default() };
//! for report in [
//!     minimize(&f, &[-1.2, 1.0], TrustRegion::steihaug(), &options)?,
//!     minimize(&f, &[-1.2, 1.0], TrustRegion::dogleg(), &options)?,
//! ] {
//!     assert!(report.status.is_converged());
//!     assert!((report.x[0] - 1.0).abs() < 1e-8 && (report.x[1] - 1.0).abs() < 1e-8);
//! }
//! # Ok::<(), descent::Error>(())
//! ```

pub mod dogleg;
pub mod steihaug;

pub use dogleg::{Dogleg, DoglegWorkspace};
pub use steihaug::{SteihaugCg, SteihaugWorkspace};

use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::kernels::{dot, norm};
use crate::{Error, Objective, Result};

/// What a subproblem solver returns with its step p.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    /// Whether ‖p‖ = Δ (the step was cut by the boundary): only then may Δ grow.
    pub hits_boundary: bool,
    /// The predicted reduction mₖ(0) − mₖ(p) = −(gᵀp + ½pᵀBp).
    pub predicted_reduction: f64,
}

/// An approximate minimiser of the quadratic model inside the trust region.
pub trait Subproblem<O: Objective + ?Sized> {
    /// Buffers, allocated once in `init`.
    type Workspace;

    /// Validates the settings.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the field.
    fn validate(&self) -> Result<()>;

    /// Allocates the buffers for `objective`'s dimension and structure.
    fn workspace(&self, objective: &Counted<'_, O>) -> Self::Workspace;

    /// Called once per iterate, before its first trial: evaluates (and factorises) what every
    /// trial at `current` shares.
    fn prepare(&self, work: &mut Self::Workspace, objective: &Counted<'_, O>, current: &Iterate);

    /// Writes a step p with ‖p‖ ≤ `radius` (up to rounding) into `step`.
    fn solve(
        &self,
        work: &mut Self::Workspace,
        objective: &Counted<'_, O>,
        current: &Iterate,
        radius: f64,
        step: &mut [f64],
    ) -> Trial;
}

/// The trust-region method with subproblem solver `S` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustRegion<S = SteihaugCg> {
    /// How the model is minimised inside the region.
    pub subproblem: S,
    /// Δ₀ (default 1). Positive, finite, and below `max_radius`.
    pub initial_radius: f64,
    /// Δmax (default 1000). Positive and finite.
    pub max_radius: f64,
    /// η: a trial is accepted when ρ > η (default 0.15). In [0, 0.25), as scipy requires.
    pub eta: f64,
}

impl<S: Default> Default for TrustRegion<S> {
    fn default() -> Self {
        Self::with_subproblem(S::default())
    }
}

impl<S> TrustRegion<S> {
    /// scipy's radius rules (Δ₀ = 1, Δmax = 1000, η = 0.15) around `subproblem`.
    pub fn with_subproblem(subproblem: S) -> Self {
        Self { subproblem, initial_radius: 1.0, max_radius: 1000.0, eta: 0.15 }
    }

    fn validate(&self) -> Result<()> {
        crate::error::positive("max_radius", self.max_radius)?;
        let r = self.initial_radius;
        if !(r > 0.0 && r < self.max_radius) {
            return Err(Error::InvalidHyperparameter {
                name: "initial_radius",
                value: r,
                valid: "positive and below max_radius",
            });
        }
        if !(self.eta >= 0.0 && self.eta < 0.25) {
            return Err(Error::InvalidHyperparameter {
                name: "eta",
                value: self.eta,
                valid: "in [0, 0.25)",
            });
        }
        Ok(())
    }
}

impl TrustRegion<SteihaugCg> {
    /// scipy's `trust-ncg`: Steihaug–CG on Hessian-vector products.
    #[must_use]
    pub fn steihaug() -> Self {
        Self::default()
    }
}

impl TrustRegion<Dogleg> {
    /// scipy's `dogleg`, with a Steihaug–CG fallback where the Hessian is not positive
    /// definite.
    #[must_use]
    pub fn dogleg() -> Self {
        Self::default()
    }
}

/// The state of a [`TrustRegion`] run: the radius, the subproblem's buffers, and counters.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustRegionState<W> {
    work: W,
    step: Vec<f64>,
    radius: f64,
    trials: usize,
    rejected: usize,
}

impl<W> TrustRegionState<W> {
    /// The current radius Δ.
    #[must_use]
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// Trials so far (scipy's `nit`): accepted plus rejected.
    #[must_use]
    pub fn trials(&self) -> usize {
        self.trials
    }

    /// Rejected trials so far.
    #[must_use]
    pub fn rejected(&self) -> usize {
        self.rejected
    }

    /// The subproblem's buffers.
    #[must_use]
    pub fn workspace(&self) -> &W {
        &self.work
    }
}

impl<O: Objective + ?Sized, S: Subproblem<O>> Method<O> for TrustRegion<S> {
    type State = TrustRegionState<S::Workspace>;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        self.validate()?;
        self.subproblem.validate()?;
        Ok(TrustRegionState {
            work: self.subproblem.workspace(objective),
            step: vec![0.0; objective.dim()],
            radius: self.initial_radius,
            trials: 0,
            rejected: 0,
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        self.subproblem.prepare(&mut state.work, objective, current);
        let smallest = f64::EPSILON * norm(&current.x).max(1.0);
        loop {
            let trial = self.subproblem.solve(
                &mut state.work,
                objective,
                current,
                state.radius,
                &mut state.step,
            );
            for ((y, x), p) in next.x.iter_mut().zip(&current.x).zip(&state.step) {
                *y = x + p;
            }
            next.value = objective.value_grad(&next.x, &mut next.grad);
            state.trials += 1;
            let rho = reduction_ratio(current.value, next.value, trial.predicted_reduction);
            // Alg. 4.1 with scipy's constants (_trustregion.py): shrink, or grow at the boundary.
            if rho < 0.25 {
                state.radius *= 0.25;
            } else if rho > 0.75 && trial.hits_boundary {
                state.radius = (2.0 * state.radius).min(self.max_radius);
            }
            if rho > self.eta {
                return StepOutcome::Moved;
            }
            state.rejected += 1;
            if !(state.radius >= smallest) {
                return StepOutcome::TrustRegionCollapsed;
            }
        }
    }
}

/// ρ = actual / predicted reduction; −∞ (reject and shrink) when f is NaN at the trial or
/// the model predicts no decrease, +∞ (accept) when f fell to −∞.
fn reduction_ratio(value: f64, trial_value: f64, predicted: f64) -> f64 {
    if trial_value == f64::NEG_INFINITY {
        f64::INFINITY
    } else if trial_value.is_nan() || !(predicted > 0.0) {
        f64::NEG_INFINITY
    } else {
        (value - trial_value) / predicted
    }
}

/// The two roots t_a ≤ t_b of ‖z + t·d‖ = Δ, in scipy's cancellation-free form
/// (`BaseQuadraticSubproblem.get_boundaries_intersections`).
pub(crate) fn boundary_intersections(z: &[f64], d: &[f64], radius: f64) -> (f64, f64) {
    let a = dot(d, d);
    let b = 2.0 * dot(z, d);
    let c = dot(z, z) - radius * radius;
    let sqrt_discriminant = (b * b - 4.0 * a * c).sqrt();
    let aux = b + sqrt_discriminant.copysign(b);
    let ta = -aux / (2.0 * a);
    let tb = -2.0 * c / aux;
    if ta <= tb { (ta, tb) } else { (tb, ta) }
}

/// Buffers of Steihaug's CG: the iterate z, the residual r = g + Bz, the direction d and Bd.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CgBuffers {
    z: Vec<f64>,
    r: Vec<f64>,
    d: Vec<f64>,
    bd: Vec<f64>,
    /// CG iterations (Hessian products) of the last solve.
    pub(crate) iterations: usize,
    /// Whether the last solve stopped on negative curvature.
    pub(crate) negative_curvature: bool,
}

impl CgBuffers {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            z: vec![0.0; n],
            r: vec![0.0; n],
            d: vec![0.0; n],
            bd: vec![0.0; n],
            iterations: 0,
            negative_curvature: false,
        }
    }

    /// CG–Steihaug (N&W Alg. 7.2, in the order of scipy's `CGSteihaugSubproblem.solve`):
    /// approximately minimises gᵀp + ½pᵀBp over ‖p‖ ≤ Δ, with B known through `hvp`
    /// (v, Bv). Stops when ‖r‖ < min(`forcing_max`, √‖g‖)·‖g‖, on negative curvature (to the
    /// boundary point of lower model value), on leaving the region (to the boundary), or after
    /// `max_iterations` products (at the current iterate). Writes p into `step`.
    pub(crate) fn steihaug(
        &mut self,
        g: &[f64],
        radius: f64,
        forcing_max: f64,
        max_iterations: usize,
        step: &mut [f64],
        mut hvp: impl FnMut(&[f64], &mut [f64]),
    ) -> Trial {
        let Self { z, r, d, bd, .. } = self;
        self.iterations = 0;
        self.negative_curvature = false;
        let g_norm = norm(g);
        let tolerance = forcing_max.min(g_norm.sqrt()) * g_norm;
        z.fill(0.0);
        r.copy_from_slice(g);
        for (d, g) in d.iter_mut().zip(g) {
            *d = -g;
        }
        if !(g_norm > 0.0) {
            step.fill(0.0);
            return Trial { hits_boundary: false, predicted_reduction: 0.0 };
        }
        for _ in 0..max_iterations {
            hvp(d, bd);
            self.iterations += 1;
            let dbd = dot(d, bd);
            if !(dbd > 0.0) {
                // Alg. 7.2, negative curvature: the boundary point of lower model value.
                self.negative_curvature = true;
                let (ta, tb) = boundary_intersections(z, d, radius);
                let (ma, mb) = (model_along(g, z, r, d, bd, ta), model_along(g, z, r, d, bd, tb));
                let t = if ma < mb { ta } else { tb };
                let m = if ma < mb { ma } else { mb };
                for ((p, z), d) in step.iter_mut().zip(z.iter()).zip(d.iter()) {
                    *p = z + t * d;
                }
                return Trial { hits_boundary: true, predicted_reduction: -m };
            }
            let rr = dot(r, r);
            let alpha = rr / dbd;
            let next_norm =
                z.iter().zip(d.iter()).map(|(z, d)| (z + alpha * d).powi(2)).sum::<f64>().sqrt();
            if next_norm >= radius {
                // Alg. 7.2: the step leaves the region; stop where it crosses the boundary.
                let (_, tb) = boundary_intersections(z, d, radius);
                let m = model_along(g, z, r, d, bd, tb);
                for ((p, z), d) in step.iter_mut().zip(z.iter()).zip(d.iter()) {
                    *p = z + tb * d;
                }
                return Trial { hits_boundary: true, predicted_reduction: -m };
            }
            for (((z, r), d), bd) in z.iter_mut().zip(r.iter_mut()).zip(d.iter()).zip(bd.iter()) {
                *z += alpha * d;
                *r += alpha * bd;
            }
            let rr_next = dot(r, r);
            if rr_next.sqrt() < tolerance {
                break;
            }
            let beta = rr_next / rr;
            for (d, r) in d.iter_mut().zip(r.iter()) {
                *d = -r + beta * *d;
            }
        }
        // Converged (or out of iterations): the interior point z, with Bz = r − g.
        step.copy_from_slice(z);
        let m = model_along(g, z, r, d, bd, 0.0);
        Trial { hits_boundary: false, predicted_reduction: -m }
    }
}

/// m(z + t·d) − f = gᵀp + ½pᵀBp at p = z + t·d, from Bz = r − g and Bd: no Hessian product.
fn model_along(g: &[f64], z: &[f64], r: &[f64], d: &[f64], bd: &[f64], t: f64) -> f64 {
    let mut linear = 0.0;
    let mut quadratic = 0.0;
    for ((((g, z), r), d), bd) in g.iter().zip(z).zip(r).zip(d).zip(bd) {
        let p = z + t * d;
        let bp = (r - g) + t * bd;
        linear += g * p;
        quadratic += p * bp;
    }
    linear + 0.5 * quadratic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_intersections_lie_on_the_sphere() {
        let z = [0.3, -0.2, 0.1];
        let d = [1.0, 2.0, -0.5];
        let (ta, tb) = boundary_intersections(&z, &d, 2.0);
        assert!(ta < 0.0 && tb > 0.0);
        for t in [ta, tb] {
            let p: Vec<f64> = z.iter().zip(&d).map(|(z, d)| z + t * d).collect();
            assert!((norm(&p) - 2.0).abs() < 1e-14);
        }
        // From the origin the roots are ±Δ/‖d‖.
        let (ta, tb) = boundary_intersections(&[0.0; 3], &d, 2.0);
        assert!((tb - 2.0 / norm(&d)).abs() < 1e-15 && (ta + tb).abs() < 1e-15);
    }

    #[test]
    fn steihaug_on_an_spd_model_reaches_the_newton_point_inside_the_region() {
        // B = diag(1, 4), g = (1, 1): the Newton point −B⁻¹g = (−1, −¼), ‖·‖ ≈ 1.03.
        let b = [1.0, 4.0];
        let g = [1.0, 1.0];
        let mut cg = CgBuffers::new(2);
        let mut p = [0.0; 2];
        let hvp = |v: &[f64], out: &mut [f64]| {
            out[0] = b[0] * v[0];
            out[1] = b[1] * v[1];
        };
        let trial = cg.steihaug(&g, 10.0, 1e-12, 10, &mut p, hvp);
        assert!(!trial.hits_boundary);
        assert!((p[0] + 1.0).abs() < 1e-12 && (p[1] + 0.25).abs() < 1e-12, "{p:?}");
        // m(p) − f = −½gᵀB⁻¹g = −½(1 + ¼).
        assert!((trial.predicted_reduction - 0.625).abs() < 1e-12);
        assert_eq!(cg.iterations, 2, "CG solves a 2×2 SPD system in two products");
        // A radius of ½ cuts the same path at the boundary.
        let trial = cg.steihaug(&g, 0.5, 1e-12, 10, &mut p, hvp);
        assert!(trial.hits_boundary && (norm(&p) - 0.5).abs() < 1e-14);
    }

    #[test]
    fn steihaug_follows_negative_curvature_to_the_boundary() {
        // B = diag(1, −1), g = (0, 1e-3): −g is a direction of negative curvature.
        let g = [0.0, 1e-3];
        let mut cg = CgBuffers::new(2);
        let mut p = [0.0; 2];
        let trial = cg.steihaug(&g, 0.5, 0.5, 10, &mut p, |v, out| {
            out[0] = v[0];
            out[1] = -v[1];
        });
        assert!(trial.hits_boundary && cg.negative_curvature);
        assert!((p[0]).abs() < 1e-15 && (p[1] + 0.5).abs() < 1e-15, "{p:?}");
        // m(p) − f = −0.5e-3 − ½·0.25.
        assert!((trial.predicted_reduction - (0.5e-3 + 0.125)).abs() < 1e-15);
    }

    #[test]
    fn reduction_ratio_rejects_nan_and_no_predicted_decrease() {
        assert_eq!(reduction_ratio(1.0, 0.5, 1.0), 0.5);
        assert_eq!(reduction_ratio(1.0, f64::NAN, 1.0), f64::NEG_INFINITY);
        assert_eq!(reduction_ratio(1.0, 0.5, 0.0), f64::NEG_INFINITY);
        assert_eq!(reduction_ratio(1.0, f64::NEG_INFINITY, 1.0), f64::INFINITY);
    }
}
