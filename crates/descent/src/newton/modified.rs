//! Newton's method with the Hessian modified by a multiple of the identity, and a line search.
//!
//! # The step
//! At xₖ with gradient gₖ = ∇f(xₖ) and Hessian Hₖ = ∇²f(xₖ), the Newton step solves the
//! Newton equations (Nocedal & Wright, *Numerical Optimization*, 2nd ed., eq. 3.30 / 2.15):
//!
//! ```text
//! (Hₖ + τₖ I) dₖ = −gₖ,          τₖ ≥ 0 the smallest tried shift that makes Hₖ + τₖI SPD
//! xₖ₊₁ = xₖ + tₖ dₖ              tₖ from the line search, first trial tₖ = 1
//! ```
//!
//! With τₖ = 0 this is the pure Newton step, the minimiser of the quadratic model
//! f(xₖ) + gₖᵀd + ½dᵀHₖd. When Hₖ is not positive definite that model has no minimiser
//! and −Hₖ⁻¹gₖ may point uphill, so the shift is found by **Cholesky with added multiple of the
//! identity** (N&W Alg. 3.3):
//!
//! ```text
//! β ← max(10⁻³·‖Hₖ‖∞, shift_min)
//! τ ← 0 if minᵢ (Hₖ)ᵢᵢ > 0, else β − minᵢ (Hₖ)ᵢᵢ
//! loop:  try the factorisation of Hₖ + τI (every pivot must exceed n·ε·‖Hₖ‖∞)
//!        success → stop;   failure → τ ← max(2τ, β)
//! ```
//!
//! Since Hₖ + τI is then SPD, gₖᵀdₖ = −gₖᵀ(Hₖ + τI)⁻¹gₖ < 0: dₖ is always a descent
//! direction. Should rounding still deny it (gₖᵀdₖ ≥ 0 or not finite, e.g. a non-finite Hessian),
//! the step falls back to steepest descent −gₖ with first trial 1/‖gₖ‖ (a step of length 1),
//! and [`NewtonState::fallbacks`] counts it.
//!
//! | symbol | field / state | meaning | default |
//! |---|---|---|---|
//! | Hₖ | state | ∇²f(xₖ) in the objective's structure | |
//! | τₖ | [`NewtonState::shift`] | the shift that made the factorisation succeed | 0 on convex regions |
//! | β | from `shift_min` | the least positive shift: max(10⁻³·‖Hₖ‖∞, `shift_min`) | |
//! | | `shift_min` | floor of β, so that Hₖ = 0 still gets a positive shift | 1e-8 |
//! | tₖ | | the step accepted by `line_search` | trial 1 |
//!
//! **Defaults and why.** β = 10⁻³·‖H‖∞ is N&W's suggestion (β = 10⁻³ relative to the size of
//! H) written with the ∞-norm, which every structure gives in one pass; it keeps the shifted
//! step from growing beyond ≈ 10³‖g‖/‖H‖ when the first shift barely succeeds. `shift_min`
//! = 1e-8 only matters when ‖H‖∞ < 10⁻⁵, i.e. on nearly flat regions, where a step of
//! −g/1e-8 is then cut back by the line search.
//!
//! **Where this differs from N&W.** N&W Alg. 3.3 scales H first (diagonal scaling); we do not,
//! as the built-in structures are factorised as stored. The brief for this module asked for
//! τ₀ = max(0, β − minᵢ Hᵢᵢ); we follow N&W and start from τ₀ = 0 whenever the diagonal is
//! positive, so that a convex quadratic gets the pure Newton step even when some Hᵢᵢ < β.
//! Other safeguards (modified Cholesky of Gill–Murray, eigenvalue modification, trust
//! regions) change the step only where H is indefinite.
//!
//! # References
//! * J. Nocedal, S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §3.3–3.4, Alg. 3.3
//!   (Cholesky with added multiple of the identity), §3.5 (unit initial step).
//! * G. H. Golub, C. F. Van Loan (2013), *Matrix Computations*, 4th ed., §4.2 (Cholesky),
//!   §4.3.5–4.3.6 (band Cholesky, symmetric tridiagonal LDLᵀ).
//!
//! # Example
//! ```
//! use descent::{minimize, Newton, Options, problems::Rosenbrock};
//! let f = Rosenbrock::new(2)?;
//! let report = minimize(&f, &[-1.2, 1.0], Newton::default(), &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 1.0).abs() < 1e-6 && (report.x[1] - 1.0).abs() < 1e-6);
//! assert_eq!(report.evaluations.hessian, report.iterations);
//! # Ok::<(), descent::Error>(())
//! ```

use super::factor::Workspace;
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::kernels::dot;
use crate::line_search::{Backtracking, LineSearch, Ray, SearchHistory, stood_still};
use crate::{Hessian, HessianMatrix, Result};

/// N&W's β relative to ‖H‖∞: the least positive shift.
const SHIFT_RELATIVE: f64 = 1e-3;

/// Shift attempts before giving up on the factorisation (and taking −g). From β, doubling
/// passes any ‖H‖∞ ≤ 2⁶⁴·β, beyond which H + τI is diagonally dominant, hence SPD.
const MAX_SHIFTS: usize = 64;

/// Newton's method with line search `L` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Newton<L = Backtracking> {
    /// How the step length is chosen (first trial: the unit step).
    pub line_search: L,
    /// Floor of β, the least positive shift τ added to an indefinite Hessian (default 1e-8;
    /// see the module docs). Must be positive and finite.
    pub shift_min: f64,
}

impl Default for Newton<Backtracking> {
    fn default() -> Self {
        Self { line_search: Backtracking::default(), shift_min: 1e-8 }
    }
}

impl Newton<Backtracking> {
    /// Newton's method with Armijo backtracking and the default shift floor.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L> Newton<L> {
    /// The same method with another line search.
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> Newton<M> {
        Newton { line_search, shift_min: self.shift_min }
    }
}

/// Buffers of [`Newton`], allocated once in `init`, and what the iterations did.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonState {
    /// Hₖ in the objective's structure.
    hessian: HessianMatrix,
    /// The factorisation of Hₖ + τI.
    work: Workspace,
    /// dₖ.
    direction: Vec<f64>,
    /// τ of the last iteration.
    shift: f64,
    /// Iterations with τ > 0.
    shifted: usize,
    /// Factorisations attempted, over all iterations.
    factorizations: usize,
    /// Steepest-descent fallbacks.
    fallbacks: usize,
    /// The value change and line-search memory of the run.
    history: SearchHistory,
}

impl NewtonState {
    /// τ of the last iteration: 0 when the Hessian was positive definite.
    #[must_use]
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// Iterations whose Hessian had to be shifted (τ > 0).
    #[must_use]
    pub fn shifted(&self) -> usize {
        self.shifted
    }

    /// Factorisations attempted so far (one per iteration, more while τ grows).
    #[must_use]
    pub fn factorizations(&self) -> usize {
        self.factorizations
    }

    /// Iterations that fell back to steepest descent (no SPD shift found, or d not descent).
    #[must_use]
    pub fn fallbacks(&self) -> usize {
        self.fallbacks
    }

    /// The last Hessian evaluated.
    #[must_use]
    pub fn hessian(&self) -> &HessianMatrix {
        &self.hessian
    }

    /// d = −(H + τI)⁻¹g by N&W Alg. 3.3; `false` if no shift worked or H is not finite.
    fn modified_newton_direction(&mut self, grad: &[f64], shift_min: f64) -> bool {
        let (norm, min_diag) = norm_inf_and_min_diagonal(&self.hessian);
        if !(norm.is_finite() && min_diag.is_finite()) {
            return false;
        }
        let n = grad.len();
        let tiny = n.max(1) as f64 * f64::EPSILON * norm;
        let beta = (SHIFT_RELATIVE * norm).max(shift_min);
        let mut tau = if min_diag > 0.0 { 0.0 } else { beta - min_diag }; // Alg. 3.3, line 2
        for _ in 0..MAX_SHIFTS {
            self.factorizations += 1;
            if self.work.factor(&self.hessian, tau, tiny) {
                self.shift = tau;
                if tau > 0.0 {
                    self.shifted += 1;
                }
                for (d, g) in self.direction.iter_mut().zip(grad) {
                    *d = -g;
                }
                self.work.solve(&mut self.direction); // (H + τI) d = −g
                return true;
            }
            tau = (2.0 * tau).max(beta); // Alg. 3.3, line 8
        }
        false
    }
}

/// ‖H‖∞ (the largest absolute row sum) and minᵢ Hᵢᵢ, in one pass over the stored entries.
pub(super) fn norm_inf_and_min_diagonal(h: &HessianMatrix) -> (f64, f64) {
    let n = h.dim();
    let mut norm = 0.0f64;
    let mut min_diag = f64::INFINITY;
    match h {
        HessianMatrix::Dense { data, .. } => {
            for (i, row) in data.chunks_exact(n.max(1)).enumerate() {
                norm = norm.max(row.iter().map(|v| v.abs()).sum());
                min_diag = min_diag.min(row[i]);
            }
        }
        HessianMatrix::Banded { bandwidth, bands, .. } => {
            let b = (*bandwidth).min(n.saturating_sub(1));
            for i in 0..n {
                let mut row = bands[i].abs();
                for d in 1..=b {
                    if i + d < n {
                        row += bands[d * n + i].abs();
                    }
                    if i >= d {
                        row += bands[d * n + i - d].abs();
                    }
                }
                norm = norm.max(row);
                min_diag = min_diag.min(bands[i]);
            }
        }
        HessianMatrix::Tridiagonal { diag, off } => {
            for (i, d) in diag.iter().enumerate() {
                let left = if i > 0 { off[i - 1].abs() } else { 0.0 };
                let right = off.get(i).map_or(0.0, |e| e.abs());
                norm = norm.max(d.abs() + left + right);
                min_diag = min_diag.min(*d);
            }
        }
        HessianMatrix::Diagonal(diag) => {
            for d in diag {
                norm = norm.max(d.abs());
                min_diag = min_diag.min(*d);
            }
        }
    }
    // NaN entries must not hide behind max/min, which ignore them.
    let any_nan = match h {
        HessianMatrix::Dense { data, .. } | HessianMatrix::Banded { bands: data, .. } => {
            data.iter().any(|v| v.is_nan())
        }
        HessianMatrix::Tridiagonal { diag, off } => diag.iter().chain(off).any(|v| v.is_nan()),
        HessianMatrix::Diagonal(diag) => diag.iter().any(|v| v.is_nan()),
    };
    if any_nan { (f64::NAN, f64::NAN) } else { (norm, min_diag) }
}

impl<O: Hessian + ?Sized, L: LineSearch> Method<O> for Newton<L> {
    type State = NewtonState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        crate::error::positive("shift_min", self.shift_min)?;
        self.line_search.validate()?;
        let n = objective.dim();
        let hessian = HessianMatrix::zeros(objective.hessian_structure(), n);
        Ok(NewtonState {
            work: Workspace::for_matrix(&hessian),
            hessian,
            direction: vec![0.0; n],
            shift: 0.0,
            shifted: 0,
            factorizations: 0,
            fallbacks: 0,
            history: SearchHistory::default(),
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        // The objective writes the structure's non-zeros into a matrix "made by zeros".
        state.hessian.fill_zero();
        objective.hessian(&current.x, &mut state.hessian);
        let newton = state.modified_newton_direction(&current.grad, self.shift_min);
        let mut dphi0 = if newton { dot(&current.grad, &state.direction) } else { f64::NAN };
        let mut base = 1.0;
        if !(dphi0 < 0.0 && dphi0.is_finite()) {
            // Cannot happen with an SPD factorisation in exact arithmetic: steepest descent.
            state.fallbacks += 1;
            for (d, g) in state.direction.iter_mut().zip(&current.grad) {
                *d = -g;
            }
            dphi0 = -dot(&current.grad, &current.grad);
            let t = 1.0 / (-dphi0).sqrt();
            base = if t.is_finite() { t } else { 1.0 };
        }
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
    use crate::{Error, HessianStructure, Options, minimize};

    #[test]
    fn shift_min_must_be_positive() {
        let f = Rosenbrock::new(2).unwrap();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let method = Newton { shift_min: bad, ..Newton::default() };
            assert!(matches!(
                minimize(&f, &[-1.2, 1.0], method, &Options::default()),
                Err(Error::InvalidHyperparameter { name: "shift_min", .. })
            ));
        }
    }

    fn state_for(h: HessianMatrix) -> NewtonState {
        let n = h.dim();
        NewtonState {
            work: Workspace::for_matrix(&h),
            hessian: h,
            direction: vec![0.0; n],
            shift: 0.0,
            shifted: 0,
            factorizations: 0,
            fallbacks: 0,
            history: SearchHistory::default(),
        }
    }

    #[test]
    fn an_indefinite_hessian_is_shifted_into_a_descent_direction() {
        // diag(2, −1): τ₀ = β − (−1) with β = 2e-3, which already succeeds.
        let mut h = HessianMatrix::zeros(HessianStructure::Diagonal, 2);
        h.set(0, 0, 2.0);
        h.set(1, 1, -1.0);
        let mut state = state_for(h);
        let g = [1.0, 1.0];
        assert!(state.modified_newton_direction(&g, 1e-8));
        assert!((state.shift() - (1.0 + 2e-3)).abs() < 1e-15);
        assert!(dot(&g, &state.direction) < 0.0);
        assert_eq!(state.factorizations(), 1);
    }

    #[test]
    fn a_positive_definite_hessian_gets_the_pure_newton_step() {
        let mut h = HessianMatrix::zeros(HessianStructure::Tridiagonal, 3);
        for i in 0..3 {
            h.set(i, i, 2.0);
        }
        h.set(0, 1, -1.0);
        h.set(1, 2, -1.0);
        let mut state = state_for(h.clone());
        let g = [1.0, 0.0, -2.0];
        assert!(state.modified_newton_direction(&g, 1e-8));
        assert_eq!(state.shift(), 0.0);
        let mut hd = [0.0; 3];
        h.mul_vec(&state.direction, &mut hd);
        for (a, b) in hd.iter().zip(&g) {
            assert!((a + b).abs() < 1e-14);
        }
    }

    #[test]
    fn a_zero_hessian_is_shifted_by_shift_min() {
        let mut state = state_for(HessianMatrix::zeros(HessianStructure::Dense, 2));
        assert!(state.modified_newton_direction(&[1.0, -1.0], 1e-8));
        assert_eq!(state.shift(), 1e-8);
    }

    #[test]
    fn a_nan_hessian_is_refused() {
        let mut h = HessianMatrix::zeros(HessianStructure::Dense, 2);
        h.set(0, 1, f64::NAN);
        let mut state = state_for(h);
        assert!(!state.modified_newton_direction(&[1.0, -1.0], 1e-8));
    }
}
