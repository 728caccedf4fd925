//! Steihaug–CG: the trust-region subproblem by truncated conjugate gradients, with
//! Hessian-vector products only (scipy's `trust-ncg`).
//!
//! # The iteration
//! CG on Bp = −g from z₀ = 0 (N&W Alg. 7.2), in the order of scipy's
//! `CGSteihaugSubproblem.solve` (`scipy/optimize/_trustregion_ncg.py`):
//!
//! ```text
//! ε = min(forcing_max, √‖g‖)·‖g‖,   z₀ = 0,  r₀ = g,  d₀ = −g
//! for j = 0, 1, …:
//!     if dⱼᵀBdⱼ ≤ 0:  p = z + τd, τ the root of ‖z + τd‖ = Δ of lower model value;  stop
//!     αⱼ = rⱼᵀrⱼ / dⱼᵀBdⱼ
//!     if ‖zⱼ + αⱼdⱼ‖ ≥ Δ:  p = zⱼ + τdⱼ, τ ≥ 0 with ‖p‖ = Δ;  stop
//!     zⱼ₊₁ = zⱼ + αⱼdⱼ,   rⱼ₊₁ = rⱼ + αⱼBdⱼ
//!     if ‖rⱼ₊₁‖ < ε:  p = zⱼ₊₁;  stop
//!     dⱼ₊₁ = −rⱼ₊₁ + (rⱼ₊₁ᵀrⱼ₊₁ / rⱼᵀrⱼ)·dⱼ
//! ```
//!
//! The first iterate z₁ is the Cauchy point (when it lies inside), so each step decreases the
//! model at least as much as the Cauchy point does, which is what global convergence needs
//! (N&W Thm. 4.5). On negative curvature the step goes to the boundary: from a saddle point,
//! where g ≈ 0 makes ε tiny, the first direction d₀ = −g with d₀ᵀBd₀ < 0 leads out of it.
//!
//! | symbol | field | meaning | default |
//! |---|---|---|---|
//! | ε | from `forcing_max` | CG tolerance on ‖r‖, min(`forcing_max`, √‖g‖)·‖g‖ (superlinear convergence) | `forcing_max` = 0.5 (scipy) |
//! | | [`SteihaugCg::max_iterations`] | Hessian products per subproblem | 20·n |
//!
//! **Costs and counts.** One Hessian-vector product per CG iteration, counted by the driver
//! as one Hessian evaluation. The predicted reduction is computed from the CG recurrences
//! (Bz = r − g, Bp = Bz + τBd), with no further product; scipy evaluates the model with one
//! product per trial and two more at a negative-curvature exit, so scipy's calls of `hessp`
//! number this count plus its model evaluations (both recorded by
//! `bench/peers/trust_region_reference.py`; scipy's reported `nhev` adds one more).
//!
//! **Where this differs from scipy.** scipy iterates without a cap; here at most
//! `max_iterations` products (20·n by default, as scipy's `Newton-CG` caps its CG), after
//! which the interior iterate z is the step (still a model decrease at least the Cauchy
//! point's). A zero gradient gives the zero step.
//!
//! # Example
//! ```
//! use descent::{minimize, Options, TrustRegion, newton::trust_region::SteihaugCg};
//! use descent::problems::Himmelblau;
//! // Start next to Himmelblau's saddle near (0.087, 2.884): CG leaves along negative curvature.
//! let f = Himmelblau::new();
//! let method = TrustRegion::with_subproblem(SteihaugCg::default());
//! let report = minimize(&f, &[0.1, 2.9], method, &Options::default())?;
//! assert!(report.status.is_converged() && report.value < 1e-10);
//! # Ok::<(), descent::Error>(())
//! ```

use super::{CgBuffers, Subproblem, Trial};
use crate::driver::{Counted, Iterate};
use crate::{HessianVectorProduct, Result};

/// CG per subproblem, relative to n, when [`SteihaugCg::max_iterations`] is `None`.
const CG_PER_DIMENSION: usize = 20;

/// Steihaug–CG (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteihaugCg {
    /// The cap of the forcing term: CG stops when ‖r‖ < min(`forcing_max`, √‖g‖)·‖g‖
    /// (default 0.5, scipy's). In (0, 1).
    pub forcing_max: f64,
    /// Hessian-vector products per subproblem; `None` (default) is 20·n. At least 1.
    pub max_iterations: Option<usize>,
}

impl Default for SteihaugCg {
    fn default() -> Self {
        Self { forcing_max: 0.5, max_iterations: None }
    }
}

impl SteihaugCg {
    pub(crate) fn check(&self) -> Result<()> {
        crate::error::in_unit_interval("forcing_max", self.forcing_max)?;
        if let Some(m) = self.max_iterations {
            crate::error::at_least_one("max_iterations", m)?;
        }
        Ok(())
    }

    pub(crate) fn cap(&self, n: usize) -> usize {
        self.max_iterations.unwrap_or(CG_PER_DIMENSION * n.max(1))
    }
}

/// Buffers of [`SteihaugCg`].
#[derive(Debug, Clone, PartialEq)]
pub struct SteihaugWorkspace {
    cg: CgBuffers,
    products: usize,
    negative_curvature: usize,
}

impl SteihaugWorkspace {
    /// Hessian-vector products spent by every subproblem so far.
    #[must_use]
    pub fn products(&self) -> usize {
        self.products
    }

    /// Subproblems that stopped on negative curvature.
    #[must_use]
    pub fn negative_curvature_exits(&self) -> usize {
        self.negative_curvature
    }
}

impl<O: HessianVectorProduct + ?Sized> Subproblem<O> for SteihaugCg {
    type Workspace = SteihaugWorkspace;

    fn validate(&self) -> Result<()> {
        self.check()
    }

    fn workspace(&self, objective: &Counted<'_, O>) -> SteihaugWorkspace {
        SteihaugWorkspace {
            cg: CgBuffers::new(objective.dim()),
            products: 0,
            negative_curvature: 0,
        }
    }

    fn prepare(&self, _work: &mut SteihaugWorkspace, _objective: &Counted<'_, O>, _: &Iterate) {}

    fn solve(
        &self,
        work: &mut SteihaugWorkspace,
        objective: &Counted<'_, O>,
        current: &Iterate,
        radius: f64,
        step: &mut [f64],
    ) -> Trial {
        let cap = self.cap(current.x.len());
        let x = &current.x;
        let trial =
            work.cg.steihaug(&current.grad, radius, self.forcing_max, cap, step, |v, hv| {
                objective.hessian_vector_product(x, v, hv);
            });
        work.products += work.cg.iterations;
        work.negative_curvature += usize::from(work.cg.negative_curvature);
        trial
    }
}
