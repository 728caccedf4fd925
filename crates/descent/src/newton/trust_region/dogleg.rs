//! The dogleg: the trust-region subproblem along the path from the Cauchy point to the
//! Newton point (scipy's `dogleg`), with the Hessian factorised in its own structure.
//!
//! # The step
//! With g = ∇f(xₖ) and B = ∇²f(xₖ) positive definite (N&W §4.1, eqs. 4.15–4.16; scipy's
//! `DoglegSubproblem.solve`, `scipy/optimize/_trustregion_dogleg.py`):
//!
//! ```text
//! p_N = −B⁻¹g                         Newton point (Cholesky of B, in B's structure)
//! p_U = −(gᵀg / gᵀBg)·g               Cauchy point: the model's minimiser along −g
//! if ‖p_N‖ < Δ:      p = p_N                                   (interior)
//! elif ‖p_U‖ ≥ Δ:    p = Δ·p_U/‖p_U‖                           (boundary)
//! else:              p = p_U + τ(p_N − p_U), τ ≥ 0 with ‖p‖ = Δ  (boundary)
//! ```
//!
//! B is evaluated and factorised once per iterate ([`Subproblem::prepare`]); every trial at
//! that iterate reuses p_N and p_U, as scipy caches them. The factorisation is the one
//! [`Newton`](crate::Newton) uses, chosen by the [`HessianStructure`](crate::HessianStructure):
//! dense Cholesky O(n³), banded O(n·b²), tridiagonal LDLᵀ and diagonal O(n) — so a
//! tridiagonal Hessian costs O(n) per iterate, where scipy always forms and factorises a dense
//! n×n matrix.
//!
//! **An indefinite Hessian.** scipy's `cho_factor` raises and the run stops (`status` 3:
//! "A linalg error occurred, such as a non-psd Hessian"). Here, when the Cholesky meets a
//! pivot ≤ 0 (or p_N is not finite, or gᵀBg ≤ 0), that iterate's subproblem is solved by
//! Steihaug–CG on the same matrix (products B·v from the stored structure, O(nnz), no further
//! evaluation): it follows negative curvature to the boundary, the step the dogleg path cannot
//! describe, and reduces to the Cauchy point's decrease at least. [`DoglegWorkspace::fallbacks`]
//! counts those iterates.
//!
//! | symbol | meaning |
//! |---|---|
//! | p_N | Newton point −B⁻¹g |
//! | p_U | Cauchy point (unconstrained minimiser of m along −g) |
//! | Δ | the trust radius of [`TrustRegion`](super::TrustRegion) |
//!
//! The predicted reduction −(gᵀp + ½pᵀBp) uses one product B·p with the stored matrix, as
//! scipy does (`hess @ p`, not counted as an evaluation there either).
//!
//! # Example
//! ```
//! use descent::{minimize, Options, TrustRegion, problems::{Problem, Rosenbrock}};
//! // Rosenbrock's Hessian is tridiagonal: each iterate costs one O(n) LDLᵀ at n = 10⁴.
//! let f = Rosenbrock::new(10_000)?;
//! let options = Options { gtol: 1e-8, ..Options::default() };
//! let report = minimize(&f, &f.start(), TrustRegion::dogleg(), &options)?;
//! assert!(report.status.is_converged());
//! assert!(report.x.iter().all(|x| (x - 1.0).abs() < 1e-8));
//! # Ok::<(), descent::Error>(())
//! ```

use super::{CgBuffers, Subproblem, Trial, boundary_intersections};
use crate::driver::{Counted, Iterate};
use crate::kernels::{all_finite, dot, norm};
use crate::newton::factor::Workspace;
use crate::{Hessian, HessianMatrix, Result};

/// Steihaug–CG products per fallback subproblem, relative to n (as
/// [`SteihaugCg`](super::SteihaugCg)'s default).
const CG_PER_DIMENSION: usize = 20;

/// The dogleg subproblem (see the [module docs](self)). No settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dogleg;

/// Buffers of [`Dogleg`]: the Hessian, its factor, the two points, and the fallback's CG.
#[derive(Debug, Clone, PartialEq)]
pub struct DoglegWorkspace {
    hessian: HessianMatrix,
    factor: Workspace,
    newton: Vec<f64>,
    cauchy: Vec<f64>,
    product: Vec<f64>,
    newton_norm: f64,
    cauchy_norm: f64,
    /// Whether this iterate's B failed the Cholesky (Steihaug–CG on B instead).
    indefinite: bool,
    cg: CgBuffers,
    fallbacks: usize,
}

impl DoglegWorkspace {
    /// Iterates whose Hessian was not positive definite, solved by Steihaug–CG instead.
    #[must_use]
    pub fn fallbacks(&self) -> usize {
        self.fallbacks
    }

    /// The last Hessian evaluated.
    #[must_use]
    pub fn hessian(&self) -> &HessianMatrix {
        &self.hessian
    }
}

impl<O: Hessian + ?Sized> Subproblem<O> for Dogleg {
    type Workspace = DoglegWorkspace;

    fn validate(&self) -> Result<()> {
        Ok(())
    }

    fn workspace(&self, objective: &Counted<'_, O>) -> DoglegWorkspace {
        let n = objective.dim();
        let hessian = HessianMatrix::zeros(objective.hessian_structure(), n);
        DoglegWorkspace {
            factor: Workspace::for_matrix(&hessian),
            hessian,
            newton: vec![0.0; n],
            cauchy: vec![0.0; n],
            product: vec![0.0; n],
            newton_norm: 0.0,
            cauchy_norm: 0.0,
            indefinite: false,
            cg: CgBuffers::new(n),
            fallbacks: 0,
        }
    }

    fn prepare(&self, work: &mut DoglegWorkspace, objective: &Counted<'_, O>, current: &Iterate) {
        let g = &current.grad;
        work.hessian.fill_zero();
        objective.hessian(&current.x, &mut work.hessian);
        // Newton point: B p_N = −g by Cholesky (pivots must be > 0, as LAPACK's potrf).
        let mut positive = work.factor.factor(&work.hessian, 0.0, 0.0);
        if positive {
            for (p, g) in work.newton.iter_mut().zip(g) {
                *p = -g;
            }
            work.factor.solve(&mut work.newton);
            work.newton_norm = norm(&work.newton);
            // Cauchy point: p_U = −(gᵀg / gᵀBg)·g.
            work.hessian.mul_vec(g, &mut work.product);
            let gbg = dot(g, &work.product);
            let scale = -dot(g, g) / gbg;
            for (p, g) in work.cauchy.iter_mut().zip(g) {
                *p = scale * g;
            }
            work.cauchy_norm = norm(&work.cauchy);
            positive = gbg > 0.0 && work.newton_norm.is_finite() && all_finite(&work.cauchy);
        }
        work.indefinite = !positive;
        work.fallbacks += usize::from(work.indefinite);
    }

    fn solve(
        &self,
        work: &mut DoglegWorkspace,
        _objective: &Counted<'_, O>,
        current: &Iterate,
        radius: f64,
        step: &mut [f64],
    ) -> Trial {
        let g = &current.grad;
        if work.indefinite {
            let cap = CG_PER_DIMENSION * g.len().max(1);
            let h = &work.hessian;
            return work.cg.steihaug(g, radius, 0.5, cap, step, |v, hv| h.mul_vec(v, hv));
        }
        let hits_boundary = if work.newton_norm < radius {
            step.copy_from_slice(&work.newton);
            false
        } else if work.cauchy_norm >= radius {
            let scale = radius / work.cauchy_norm;
            for (p, u) in step.iter_mut().zip(&work.cauchy) {
                *p = scale * u;
            }
            true
        } else {
            // N&W eq. 4.16: where the leg from p_U to p_N crosses the boundary.
            for ((p, u), n) in step.iter_mut().zip(&work.cauchy).zip(&work.newton) {
                *p = n - u;
            }
            let (_, tb) = boundary_intersections(&work.cauchy, step, radius);
            for (p, u) in step.iter_mut().zip(&work.cauchy) {
                *p = u + tb * *p;
            }
            true
        };
        work.hessian.mul_vec(step, &mut work.product);
        let model = dot(g, step) + 0.5 * dot(step, &work.product);
        Trial { hits_boundary, predicted_reduction: -model }
    }
}
