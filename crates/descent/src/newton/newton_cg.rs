//! Line-search Newton–CG: the Newton equations solved inexactly by conjugate gradients, with
//! Hessian-vector products only (Hessian-free), then a line search.
//!
//! # The step
//! At xₖ with gₖ = ∇f(xₖ), CG runs on ∇²f(xₖ)·d = −gₖ from z₀ = 0 and is truncated
//! (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 7.1):
//!
//! ```text
//! εₖ = ηₖ‖gₖ‖,   ηₖ = min(forcing_max, √‖gₖ‖)        forcing sequence (N&W eq. 7.3 ff.)
//! z₀ = 0,  r₀ = gₖ,  d₀ = −gₖ
//! for j = 0, 1, …, max_cg − 1:
//!     if dⱼᵀBdⱼ ≤ 0:   pₖ = −gₖ if j = 0, else zⱼ;  stop        negative curvature
//!     αⱼ = rⱼᵀrⱼ / dⱼᵀBdⱼ,   zⱼ₊₁ = zⱼ + αⱼdⱼ,   rⱼ₊₁ = rⱼ + αⱼBdⱼ
//!     if ‖rⱼ₊₁‖ ≤ εₖ:  pₖ = zⱼ₊₁;  stop
//!     dⱼ₊₁ = −rⱼ₊₁ + (rⱼ₊₁ᵀrⱼ₊₁ / rⱼᵀrⱼ)·dⱼ
//! (cap reached: pₖ = the last zⱼ)
//! xₖ₊₁ = xₖ + tₖpₖ,   tₖ from the line search, first trial 1 (N&W §3.5)
//! ```
//!
//! Each zⱼ (j ≥ 1) is a descent direction, since CG from 0 minimises the model over a Krylov
//! space on which B has been positive definite so far; ηₖ → 0 as ‖gₖ‖ → 0 makes the
//! convergence superlinear (N&W Thm. 7.2). On a quadratic with SPD Hessian and a small
//! `forcing_max`, CG runs to the exact Newton step and one outer iteration reaches the
//! minimiser.
//!
//! | symbol | field / state | meaning | default |
//! |---|---|---|---|
//! | ηₖ | [`NewtonCg::forcing_max`] | forcing term min(`forcing_max`, √‖gₖ‖) | `forcing_max` = 0.5 (N&W, scipy) |
//! | | [`NewtonCg::max_cg_iterations`] | CG iterations (Hessian products) per outer iteration | 20·n (scipy's `cg_maxiter`) |
//! | tₖ | [`NewtonCg::line_search`] | the accepted step length | Armijo, first trial 1 |
//! | | [`NewtonCg::convention`] | the inner CG's norms and exits | [`CgConvention::NocedalWright`] |
//! | | [`NewtonCgState::products`] | Hessian-vector products so far (also the driver's Hessian count) | |
//!
//! **Defaults and why.** ηₖ = min(0.5, √‖gₖ‖) is N&W's choice for superlinear convergence
//! (§7.1) and scipy's. The cap 20·n is scipy's; CG in exact arithmetic needs at most n.
//! Armijo from the unit step, as in [`Newton`](crate::Newton): the truncated Newton step has
//! its natural length; [`MoreThuente`] gives scipy's kind of
//! (Wolfe) search.
//!
//! **Where this differs from scipy's `Newton-CG`** (`_minimize_newtoncg`,
//! `scipy/optimize/_optimize.py`) — and [`NewtonCg::scipy`], which does not: it takes scipy's
//! CG rules ([`CgConvention::Scipy`]), its Wolfe search with interpolated first trials, and,
//! with [`Options::xtol_l1`](crate::Options::xtol_l1) = n·`xtol`, its stopping rule; a zero
//! CG direction (‖g‖ at rounding level) is a zero step that costs no evaluation, as scipy's
//! memoised one. It then takes scipy's iterations and evaluations (`tests/scipy_parity.rs`).
//! The default differs:
//! * scipy measures the residual and the forcing term in the 1-norm
//!   (‖r‖₁ ≤ min(0.5, √‖g‖₁)·‖g‖₁); here the 2-norm, as N&W.
//! * scipy's line search is Wolfe (`_line_search_wolfe12`, c₁ = 10⁻⁴, c₂ = 0.9) with a first
//!   trial interpolated from the previous decrease, not always 1; here any [`LineSearch`],
//!   Armijo backtracking from 1 by default.
//! * On negative curvature at j = 0 scipy returns −gₖ scaled by ‖gₖ‖²/|gₖᵀBgₖ|; here the
//!   direction −gₖ with that scaling as the line search's first trial (the same first point),
//!   or 1/‖gₖ‖ when gₖᵀBgₖ = 0. scipy also stops CG when 0 ≤ dᵀBd ≤ 3ε; here only dᵀBd ≤ 0.
//! * When CG reaches its cap scipy ends the run ("CG iterations didn't converge", status 3);
//!   here the last CG iterate is the direction (a truncated Newton step).
//! * scipy's only stopping rule is the step size (‖xₖ₊₁ − xₖ‖₁ ≤ n·`xtol`); here the driver's
//!   rules (‖g‖ ≤ `gtol`, …).
//!
//! # References
//! * J. Nocedal, S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §7.1, Alg. 7.1
//!   (line search Newton–CG), Thm. 7.2 (forcing sequences).
//! * R. S. Dembo, S. C. Eisenstat, T. Steihaug (1982), *Inexact Newton methods*, SIAM J.
//!   Numer. Anal. 19(2).
//!
//! # Example
//! ```
//! use descent::{minimize, NewtonCg, Options, problems::Rosenbrock};
//! let f = Rosenbrock::new(2)?;
//! let report = minimize(&f, &[-1.2, 1.0], NewtonCg::default(), &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 1.0).abs() < 1e-6 && (report.x[1] - 1.0).abs() < 1e-6);
//! # Ok::<(), descent::Error>(())
//! ```

use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::kernels::{dot, norm, norm_l1};
use crate::line_search::{
    Backtracking, InitialStep, LineSearch, MoreThuente, Ray, SearchHistory, stood_still,
};
use crate::{HessianVectorProduct, Result};

/// Whose rules the inner CG follows (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CgConvention {
    /// Nocedal & Wright's Alg. 7.1: the residual and the forcing term in the 2-norm, checked
    /// after each CG step; on negative curvature at the first CG step, p = −g with the
    /// scaling as first trial. The default.
    #[default]
    NocedalWright,
    /// scipy's `Newton-CG`: ‖r‖₁ ≤ min(`forcing_max`, √‖g‖₁)·‖g‖₁; CG also stops when
    /// 0 ≤ dᵀBd ≤ 3ε; on negative curvature at the first CG step, p = −(‖g‖²/|gᵀBg|)·g.
    Scipy,
}

/// CG iterations per outer iteration, relative to n, when `max_cg_iterations` is `None`.
const CG_PER_DIMENSION: usize = 20;

/// Line-search Newton–CG (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonCg<L = Backtracking> {
    /// How the step length is chosen (first trial: the unit step).
    pub line_search: L,
    /// The cap of the forcing term: CG stops when ‖r‖ ≤ min(`forcing_max`, √‖g‖)·‖g‖
    /// (default 0.5). In (0, 1).
    pub forcing_max: f64,
    /// CG iterations (Hessian-vector products) per outer iteration; `None` (default) is
    /// 20·n, scipy's `cg_maxiter`. At least 1.
    pub max_cg_iterations: Option<usize>,
    /// The inner CG's norms and exits (default [`CgConvention::NocedalWright`]).
    pub convention: CgConvention,
}

impl Default for NewtonCg<Backtracking> {
    fn default() -> Self {
        Self {
            line_search: Backtracking::default(),
            forcing_max: 0.5,
            max_cg_iterations: None,
            convention: CgConvention::NocedalWright,
        }
    }
}

impl NewtonCg<MoreThuente> {
    /// scipy's `Newton-CG`: [`CgConvention::Scipy`] and Moré–Thuente (c₁ = 10⁻⁴, c₂ = 0.9)
    /// with the first trial interpolated from the previous decrease, as scipy's
    /// `_line_search_wolfe12`. scipy's stopping rule, ‖xₖ₊₁ − xₖ‖₁ ≤ n·`xtol`, is the
    /// driver's [`Options::xtol_l1`](crate::Options::xtol_l1): set it (or `gtol`, `xtol`,
    /// `ftol`), since at a point where CG returns no direction every step is a zero step,
    /// which only a step or value test ends before `max_iter`.
    #[must_use]
    pub fn scipy() -> Self {
        NewtonCg {
            line_search: MoreThuente {
                initial: InitialStep::Interpolate,
                ..MoreThuente::default()
            },
            forcing_max: 0.5,
            max_cg_iterations: None,
            convention: CgConvention::Scipy,
        }
    }
}

impl NewtonCg<Backtracking> {
    /// Newton–CG with Armijo backtracking and the default forcing term and cap.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L> NewtonCg<L> {
    /// The same method with another line search.
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> NewtonCg<M> {
        NewtonCg {
            line_search,
            forcing_max: self.forcing_max,
            max_cg_iterations: self.max_cg_iterations,
            convention: self.convention,
        }
    }
}

/// Buffers of [`NewtonCg`], allocated once in `init`, and what the iterations did.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonCgState {
    /// zⱼ, then the direction pₖ.
    direction: Vec<f64>,
    /// rⱼ = g + Bzⱼ.
    residual: Vec<f64>,
    /// dⱼ.
    conjugate: Vec<f64>,
    /// Bdⱼ.
    product: Vec<f64>,
    cap: usize,
    products: usize,
    negative_curvature: usize,
    truncated: usize,
    /// The value change and line-search memory of the run (scipy's interpolated first trial).
    history: SearchHistory,
    /// Whether the last step was scipy's zero step.
    zero_step: bool,
}

impl NewtonCgState {
    /// Hessian-vector products so far (CG iterations over all outer iterations).
    #[must_use]
    pub fn products(&self) -> usize {
        self.products
    }

    /// Outer iterations whose CG stopped on negative curvature.
    #[must_use]
    pub fn negative_curvature_exits(&self) -> usize {
        self.negative_curvature
    }

    /// Outer iterations whose CG reached `max_cg_iterations`.
    #[must_use]
    pub fn truncated(&self) -> usize {
        self.truncated
    }

    /// N&W Alg. 7.1 into `self.direction`; returns the line search's first trial.
    fn truncated_cg<O: HessianVectorProduct + ?Sized>(
        &mut self,
        objective: &Counted<'_, O>,
        x: &[f64],
        g: &[f64],
        forcing_max: f64,
        convention: CgConvention,
    ) -> f64 {
        let Self { direction: z, residual: r, conjugate: d, product: bd, .. } = self;
        let scipy = convention == CgConvention::Scipy;
        let g_norm = norm(g);
        // The forcing term and the residual test, in the convention's norm.
        let residual_norm = |r: &[f64]| if scipy { norm_l1(r) } else { norm(r) };
        let g_size = residual_norm(g);
        let tolerance = forcing_max.min(g_size.sqrt()) * g_size;
        z.fill(0.0);
        r.copy_from_slice(g);
        for (d, g) in d.iter_mut().zip(g) {
            *d = -g;
        }
        let mut rr = g_norm * g_norm;
        for j in 0..self.cap {
            objective.hessian_vector_product(x, d, bd);
            self.products += 1;
            let dbd = dot(d, bd);
            if scipy && (0.0..=3.0 * f64::EPSILON).contains(&dbd) {
                // scipy: curvature too small to divide by; keep the CG iterate. At j = 0 that is
                // a zero step, which ends scipy's run: its test of convergence once ‖g‖ is so
                // small that gᵀBg ~ ‖g‖² ≤ 3ε. With gᵀBg = 0 exactly, B is flat along g (a
                // ramp, a plateau's edge) and the zero step would be a false stop: steepest
                // descent instead, as on negative curvature.
                if j > 0 || dbd > 0.0 {
                    return 1.0;
                }
                self.negative_curvature += 1;
                z.copy_from_slice(d);
                return 1.0 / g_norm;
            }
            if !(dbd > 0.0) {
                self.negative_curvature += 1;
                if j == 0 && scipy {
                    // scipy: p = −(‖g‖²/|gᵀBg|)·g, tried from the unit step.
                    let scale = rr / dbd.abs();
                    let scale = if scale.is_finite() { scale } else { 1.0 / g_norm };
                    for (z, d) in z.iter_mut().zip(d.iter()) {
                        *z = scale * d;
                    }
                    return 1.0;
                }
                if j == 0 {
                    // Alg. 7.1: p = −g; first trial ‖g‖²/|gᵀBg| (scipy's scaling) or 1/‖g‖.
                    z.copy_from_slice(d);
                    let t = rr / dbd.abs();
                    return if t.is_finite() { t } else { 1.0 / g_norm };
                }
                return 1.0;
            }
            let alpha = rr / dbd;
            for (((z, r), d), bd) in z.iter_mut().zip(r.iter_mut()).zip(d.iter()).zip(bd.iter()) {
                *z += alpha * d;
                *r += alpha * bd;
            }
            let rr_next = dot(r, r);
            let r_size = if scipy { norm_l1(r) } else { rr_next.sqrt() };
            if r_size <= tolerance {
                return 1.0;
            }
            let beta = rr_next / rr;
            for (d, r) in d.iter_mut().zip(r.iter()) {
                *d = -r + beta * *d;
            }
            rr = rr_next;
        }
        self.truncated += 1;
        1.0
    }
}

impl<O: HessianVectorProduct + ?Sized, L: LineSearch> Method<O> for NewtonCg<L> {
    type State = NewtonCgState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        crate::error::in_unit_interval("forcing_max", self.forcing_max)?;
        if let Some(m) = self.max_cg_iterations {
            crate::error::at_least_one("max_cg_iterations", m)?;
        }
        self.line_search.validate()?;
        let n = objective.dim();
        Ok(NewtonCgState {
            direction: vec![0.0; n],
            residual: vec![0.0; n],
            conjugate: vec![0.0; n],
            product: vec![0.0; n],
            cap: self.max_cg_iterations.unwrap_or(CG_PER_DIMENSION * n.max(1)),
            products: 0,
            negative_curvature: 0,
            truncated: 0,
            history: SearchHistory::default(),
            zero_step: false,
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        let mut base = state.truncated_cg(
            objective,
            &current.x,
            &current.grad,
            self.forcing_max,
            self.convention,
        );
        if self.convention == CgConvention::Scipy && state.direction.iter().all(|&d| d == 0.0) {
            // scipy's zero step: x stays (its memoised f costs nothing), ‖Δx‖₁ = 0 ends the run
            // by `xtol_l1`. A second one in a row means no stopping rule took the first: the
            // point is stationary to working precision and no step can be found.
            if std::mem::replace(&mut state.zero_step, true) {
                return StepOutcome::LineSearchFailed;
            }
            next.clone_from(current);
            return StepOutcome::Moved;
        }
        state.zero_step = false;
        let mut dphi0 = dot(&current.grad, &state.direction);
        if !(dphi0 < 0.0 && dphi0.is_finite()) {
            // Rounding (or a non-finite product) denied descent: steepest descent, length 1.
            for (d, g) in state.direction.iter_mut().zip(&current.grad) {
                *d = -g;
            }
            dphi0 = -dot(&current.grad, &current.grad);
            let t = 1.0 / (-dphi0).sqrt();
            base = if t.is_finite() { t } else { 1.0 };
        }
        if self.convention == CgConvention::NocedalWright {
            let t0 = self.line_search.initial_step(base, None);
            let mut phi = Ray {
                objective,
                x: &current.x,
                direction: &state.direction,
                sign: 1.0,
                trial: next,
            };
            return match self.line_search.search(&mut phi, current.value, dphi0, t0) {
                Ok(_) if stood_still(&current.x, &next.x) => StepOutcome::LineSearchFailed,
                Ok(_) => StepOutcome::Moved,
                Err(_) => StepOutcome::LineSearchFailed,
            };
        }
        // scipy's: the first trial interpolated from the last decrease (N&W eq. 3.60).
        let context = state.history.context(base, false, current, &state.direction, dphi0);
        let t0 = self.line_search.first_trial(&context);
        let mut phi =
            Ray { objective, x: &current.x, direction: &state.direction, sign: 1.0, trial: next };
        let memory = &mut state.history.memory;
        match self.line_search.search_with(&mut phi, current.value, dphi0, t0, memory) {
            Ok(_) if stood_still(&current.x, &next.x) => StepOutcome::LineSearchFailed,
            Ok(accepted) => {
                state.history.record(current.value, &accepted);
                StepOutcome::Moved
            }
            Err(_) => StepOutcome::LineSearchFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::Rosenbrock;
    use crate::{Convergence, Error, Options, Status, minimize};

    /// ½‖x‖² from x₀ = (10⁻²⁰, 0): gᵀBg = 10⁻⁴⁰ ≤ 3ε, so scipy's CG returns no direction.
    /// The zero step costs no evaluation and ends the run by `xtol_l1`; without a rule that a
    /// zero step meets, the second one is a failed search, not a spin to `max_iter`.
    #[test]
    fn scipys_zero_step_is_free_and_not_repeated() {
        let f = crate::problems::Ravine::new(1.0).unwrap();
        let x0 = [1e-20, 0.0];
        let stop = Options { gtol: 0.0, xtol_l1: 1e-30, ..Options::default() };
        let report = minimize(&f, &x0, NewtonCg::scipy(), &stop).unwrap();
        assert_eq!(
            (report.iterations, report.evaluations.value, report.status),
            (1, 1, Status::Converged(Convergence::StepSize))
        );
        let no_rule = Options { gtol: 0.0, ..Options::default() };
        let report = minimize(&f, &x0, NewtonCg::scipy(), &no_rule).unwrap();
        assert_eq!(
            (report.iterations, report.evaluations.value, report.status),
            (1, 1, Status::LineSearchFailed { iteration: 2 })
        );
    }

    /// f = x + t²: at t = 0 the Hessian is zero along ∇f = (1, 0), so gᵀBg = 0 exactly. scipy's
    /// CG would return a zero step there and stop "converged" on a ramp; here the direction is
    /// steepest descent, and the run does not claim convergence.
    #[test]
    fn a_flat_direction_is_not_a_zero_step() {
        let f = crate::AutoDiff::new(crate::expr::Expression::parse("x + t^2").unwrap());
        let stop = Options { gtol: 0.0, xtol_l1: 1e-5, ..Options::default() };
        let report = minimize(&f, &[0.0, 0.0], NewtonCg::scipy(), &stop).unwrap();
        assert!(!report.status.is_converged(), "{:?}", report.status);
        assert!(report.evaluations.value > 1, "a search along −∇f ran");
    }

    #[test]
    fn invalid_settings_are_refused_by_name() {
        let f = Rosenbrock::new(2).unwrap();
        for (method, name) in [
            (NewtonCg { forcing_max: 0.0, ..NewtonCg::default() }, "forcing_max"),
            (NewtonCg { forcing_max: 1.0, ..NewtonCg::default() }, "forcing_max"),
            (NewtonCg { forcing_max: f64::NAN, ..NewtonCg::default() }, "forcing_max"),
            (NewtonCg { max_cg_iterations: Some(0), ..NewtonCg::default() }, "max_cg_iterations"),
        ] {
            match minimize(&f, &[-1.2, 1.0], method, &Options::default()) {
                Err(Error::InvalidHyperparameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
