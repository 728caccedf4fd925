//! BFGS: the inverse Hessian approximated by a dense matrix, corrected by rank two per step.
//!
//! The method of Broyden, Fletcher, Goldfarb and Shanno (all 1970) keeps an n×n symmetric
//! positive definite H ≈ (∇²f)⁻¹, steps along d = −H∇f, and after each step replaces H by the
//! matrix closest to it (in a weighted Frobenius norm) that is symmetric and satisfies the
//! secant equation H y = s. Superlinear convergence near a minimiser; on a quadratic with exact
//! line searches, termination in at most n steps with H = (∇²f)⁻¹ at the end.
//!
//! # The update
//! ```text
//! dₖ   = −Hₖ∇fₖ
//! xₖ₊₁ = xₖ + tₖdₖ                                                 (tₖ from the line search)
//! sₖ = xₖ₊₁ − xₖ,   yₖ = ∇fₖ₊₁ − ∇fₖ,   ρₖ = 1/(yₖᵀsₖ)
//! Hₖ₊₁ = (I − ρₖsₖyₖᵀ) Hₖ (I − ρₖyₖsₖᵀ) + ρₖsₖsₖᵀ                      (N&W eq. 6.17)
//!      = Hₖ − ρₖ(hₖsₖᵀ + sₖhₖᵀ) + (ρₖ² yₖᵀhₖ + ρₖ) sₖsₖᵀ,   hₖ = Hₖyₖ      (expanded)
//! ```
//!
//! The expanded form needs one matrix–vector product hₖ = Hₖyₖ and one rank-two pass over H:
//! O(n²) per iteration, no matrix–matrix product. Initial state: H₀ = I, so d₀ = −∇f₀; just
//! before the first update H₀ is rescaled to (sᵀy/yᵀy)·I (N&W eq. 6.20), which puts H on the
//! scale of the inverse Hessian along the first step.
//!
//! | symbol | field / state | meaning | default |
//! |---|---|---|---|
//! | H | state | the inverse-Hessian approximation, n×n row-major | I, rescaled by eq. 6.20 ([`InitialInverse`]) |
//! | s, y | state | the step and the gradient change | |
//! | ρ | | 1/(yᵀs) | |
//! | h | state | H y | |
//! | tₖ | | the step accepted by `line_search` | trial 1; 1/‖∇f‖ on steepest descent |
//! | ε | [`SKIP_TOLERANCE`](super::SKIP_TOLERANCE) | updates with sᵀy ≤ ε‖s‖‖y‖ are skipped | 1e-8 |
//!
//! **Defaults and why.** The line search defaults to [`Backtracking`] (Armijo); since Armijo
//! does not guarantee sᵀy > 0, an update that would break positive definiteness is skipped
//! (see the [family's design decisions](super), also for the restart on a non-descent
//! direction, which resets H to I, and the trial steps).
//!
//! **Cost.** n² numbers of memory and O(n²) work per iteration: for n beyond a few thousand
//! prefer [`Lbfgs`](super::Lbfgs).
//!
//! **Where this differs from others.** scipy's `BFGS` and Optim.jl's `BFGS` use a Wolfe line
//! search (pass [`MoreThuente`] as `line_search` for that);
//! scipy's starts from H₀ = I without the eq. 6.20 rescaling ([`InitialInverse::Identity`]).
//! [`Bfgs::scipy`] is scipy's method: H₀ = I, the first trial step min(1, 1.01/‖∇f₀‖) (scipy
//! assumes a previous decrease of ½‖∇f₀‖ and interpolates from it), then Moré–Thuente with
//! c₁ = 10⁻⁴, c₂ = 0.9 and N&W's interpolated first trial min(1, 1.01·2(fₖ − fₖ₋₁)/φ'(0)) —
//! scipy's `line_search_wolfe1` (MINPACK's `dcsrch`). On the problems of
//! `bench/peers/scipy_minimize_reference.json` it spends the evaluations scipy spends.
//!
//! # References
//! * C. G. Broyden (1970), *The convergence of a class of double-rank minimization algorithms*,
//!   J. Inst. Math. Appl. 6, 76–90.
//! * R. Fletcher (1970), *A new approach to variable metric algorithms*, Comput. J. 13(3),
//!   317–322.
//! * D. Goldfarb (1970), *A family of variable-metric methods derived by variational means*,
//!   Math. Comp. 24(109), 23–26.
//! * D. F. Shanno (1970), *Conditioning of quasi-Newton methods for function minimization*,
//!   Math. Comp. 24(111), 647–656.
//! * J. Nocedal, S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §6.1, Alg. 6.1,
//!   eqs. 6.17 and 6.20.
//!
//! # Example
//! ```
//! use descent::{minimize, Bfgs, Options, problems::Rosenbrock};
//! let f = Rosenbrock::new(2)?;
//! let report = minimize(&f, &[-1.2, 1.0], Bfgs::default(), &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 1.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use super::{base_step, curvature_ok};
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::kernels::{dot, secant_pair};
use crate::line_search::{
    Backtracking, InitialStep, LineSearch, MoreThuente, Ray, SearchHistory, stood_still,
};
use crate::{Objective, Result};

/// Dense BFGS with line search `L` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bfgs<L = Backtracking> {
    /// How the step length is chosen.
    pub line_search: L,
    /// H₀, and the first trial step along −∇f₀ (default [`InitialInverse::Scaled`]).
    pub initial_inverse: InitialInverse,
}

/// The inverse-Hessian approximation BFGS starts from (and restarts with).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InitialInverse {
    /// H₀ = I, rescaled to (sᵀy/yᵀy)·I just before the first update (N&W eq. 6.20); the first
    /// trial step along −∇f₀ is 1/‖∇f₀‖. The default.
    #[default]
    Scaled,
    /// H₀ = I throughout, as scipy's `BFGS`; the first trial step is min(1, 1.01/‖∇f₀‖),
    /// scipy's interpolation from an assumed previous decrease of ½‖∇f₀‖.
    Identity,
}

impl Default for Bfgs<Backtracking> {
    fn default() -> Self {
        Self { line_search: Backtracking::default(), initial_inverse: InitialInverse::Scaled }
    }
}

impl Bfgs<MoreThuente> {
    /// scipy's `BFGS` (see the [module docs](self)): H₀ = I and Moré–Thuente with the
    /// interpolated first trial.
    #[must_use]
    pub fn scipy() -> Self {
        Self {
            line_search: MoreThuente {
                initial: InitialStep::Interpolate,
                ..MoreThuente::default()
            },
            initial_inverse: InitialInverse::Identity,
        }
    }
}

impl Bfgs<Backtracking> {
    /// BFGS with Armijo backtracking.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L> Bfgs<L> {
    /// The same method with another line search.
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> Bfgs<M> {
        Bfgs { line_search, initial_inverse: self.initial_inverse }
    }

    /// The same method from another H₀.
    #[must_use]
    pub fn with_initial_inverse(self, initial_inverse: InitialInverse) -> Self {
        Self { initial_inverse, ..self }
    }
}

/// Memory of [`Bfgs`]: the matrix H and the vectors of one update, allocated once.
#[derive(Debug, Clone, PartialEq)]
pub struct BfgsState {
    /// H, n×n row-major.
    h: Vec<f64>,
    /// s.
    s: Vec<f64>,
    /// y.
    y: Vec<f64>,
    /// H y.
    hy: Vec<f64>,
    /// d.
    direction: Vec<f64>,
    /// Whether H is still the unscaled identity (no update since the start or a restart).
    identity: bool,
    /// Updates skipped by the curvature rule so far.
    skipped: usize,
    /// Restarts (H reset to I on a non-descent direction) so far.
    restarts: usize,
    /// The value change and line-search memory of the run.
    history: SearchHistory,
}

impl BfgsState {
    /// H, the current inverse-Hessian approximation, n×n row-major.
    #[must_use]
    pub fn inverse_hessian(&self) -> &[f64] {
        &self.h
    }

    /// Updates rejected by the skip rule so far.
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Times H was reset because d was not a descent direction.
    #[must_use]
    pub fn restarts(&self) -> usize {
        self.restarts
    }

    fn reset(&mut self) {
        let n = self.direction.len();
        self.h.fill(0.0);
        for i in 0..n {
            self.h[i * n + i] = 1.0;
        }
        self.identity = true;
    }

    /// d = −H g.
    fn direction(&mut self, grad: &[f64]) {
        let n = grad.len();
        for (d, row) in self.direction.iter_mut().zip(self.h.chunks_exact(n)) {
            *d = -dot(row, grad);
        }
    }
}

/// The BFGS update of the n×n row-major `h` by the pair (s, y) with sᵀy = `sy` > 0, in the
/// expanded form of N&W eq. 6.17; `hy` is scratch for H y. O(n²), no allocation.
pub(crate) fn bfgs_update(h: &mut [f64], s: &[f64], y: &[f64], sy: f64, hy: &mut [f64]) {
    let n = s.len();
    for (hy, row) in hy.iter_mut().zip(h.chunks_exact(n)) {
        *hy = dot(row, y); // h = H y (H symmetric, so yᵀH = hᵀ)
    }
    let rho = 1.0 / sy;
    let c = rho * rho * dot(y, hy) + rho; // ρ² yᵀHy + ρ
    for (i, row) in h.chunks_exact_mut(n).enumerate() {
        let (si, hi) = (s[i], hy[i]);
        for (j, hij) in row.iter_mut().enumerate() {
            // H ← H − ρ(h sᵀ + s hᵀ) + (ρ² yᵀh + ρ) s sᵀ. Entry (i, j) and (j, i) compute the
            // same products in the same order, so H stays symmetric to the bit.
            *hij += c * (si * s[j]) - rho * (hi * s[j] + si * hy[j]);
        }
    }
}

impl<O: Objective + ?Sized, L: LineSearch> Method<O> for Bfgs<L> {
    type State = BfgsState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        self.line_search.validate()?;
        let n = objective.dim();
        let mut state = BfgsState {
            h: vec![0.0; n * n],
            s: vec![0.0; n],
            y: vec![0.0; n],
            hy: vec![0.0; n],
            direction: vec![0.0; n],
            identity: true,
            skipped: 0,
            restarts: 0,
            history: SearchHistory::default(),
        };
        state.reset();
        Ok(state)
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        state.direction(&current.grad); // d = −H∇f
        let mut dphi0 = dot(&current.grad, &state.direction);
        if !(dphi0 < 0.0) && !state.identity {
            // Not a descent direction: H has lost positive definiteness to rounding. Restart.
            state.reset();
            state.restarts += 1;
            state.direction(&current.grad);
            dphi0 = dot(&current.grad, &state.direction);
        }
        let base = match (state.identity, self.initial_inverse) {
            // scipy: min(1, 1.01·2Δf/φ'(0)) with Δf = −½‖∇f₀‖ (it sets f₋₁ = f₀ + ½‖∇f₀‖) and
            // φ'(0) = −‖∇f₀‖² along d = −∇f₀.
            (true, InitialInverse::Identity) => {
                (1.01 / dot(&current.grad, &current.grad).sqrt()).min(1.0)
            }
            _ => base_step(state.identity, &current.grad),
        };
        let context = state.history.context(base, false, current, &state.direction, dphi0);
        let t0 = self.line_search.first_trial(&context);
        let mut phi =
            Ray { objective, x: &current.x, direction: &state.direction, sign: 1.0, trial: next };
        let memory = &mut state.history.memory;
        match self.line_search.search_with(&mut phi, current.value, dphi0, t0, memory) {
            Ok(_) if stood_still(&current.x, &next.x) => return StepOutcome::LineSearchFailed,
            Ok(accepted) => state.history.record(current.value, &accepted),
            Err(_) => return StepOutcome::LineSearchFailed,
        }

        // `next` holds x, f and ∇f at the accepted step (the line-search contract).
        let (ss, yy, sy) =
            secant_pair(&current.x, &current.grad, &next.x, &next.grad, &mut state.s, &mut state.y);
        if !curvature_ok(ss, yy, sy) {
            state.skipped += 1;
            return StepOutcome::Moved;
        }
        if state.identity {
            if self.initial_inverse == InitialInverse::Scaled {
                // N&W eq. 6.20: H₀ ← (sᵀy / yᵀy)·I before the first update.
                let n = state.s.len();
                let gamma = sy / yy;
                for i in 0..n {
                    state.h[i * n + i] = gamma;
                }
            }
            state.identity = false;
        }
        bfgs_update(&mut state.h, &state.s, &state.y, sy, &mut state.hy);
        StepOutcome::Moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::RandomQuadratic;
    use proptest::prelude::*;

    /// Whether the symmetric `a` (n×n) is positive definite: a Cholesky factorisation succeeds.
    fn positive_definite(a: &[f64], n: usize) -> bool {
        let mut l = vec![0.0; n * n];
        for j in 0..n {
            let d = a[j * n + j] - (0..j).map(|k| l[j * n + k] * l[j * n + k]).sum::<f64>();
            if !(d > 0.0) {
                return false;
            }
            l[j * n + j] = d.sqrt();
            for i in j + 1..n {
                let v = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
                l[i * n + j] = v / l[j * n + j];
            }
        }
        true
    }

    #[test]
    fn one_update_on_a_hand_checked_pair() {
        // H = I, s = (1, 0), y = (2, 0): ρ = 1/2, H y = (2, 0), so
        // H₁₁ = 1 − ½(2 + 2) + (¼·4 + ½)·1 = 1/2 and the rest of H is unchanged.
        let mut h = vec![1.0, 0.0, 0.0, 1.0];
        let mut hy = vec![0.0; 2];
        bfgs_update(&mut h, &[1.0, 0.0], &[2.0, 0.0], 2.0, &mut hy);
        assert_eq!(h, vec![0.5, 0.0, 0.0, 1.0]);
    }

    /// Relative tolerance of the secant equation after an update.
    const SECANT_TOLERANCE: f64 = 1e-8;

    proptest! {
        /// After every accepted update on a random quadratic, H is symmetric (to the bit),
        /// positive definite, and satisfies the secant equation H y = s.
        #[test]
        fn updates_stay_spd_and_satisfy_the_secant_equation(
            n in 2usize..12,
            log_kappa in 0.0f64..3.0,
            seed in 0u64..1000,
            points in proptest::collection::vec(proptest::collection::vec(-2.0f64..2.0, 12), 2..8),
        ) {
            let f = RandomQuadratic::new(n, 10f64.powf(log_kappa), seed).unwrap();
            let mut h = vec![0.0; n * n];
            for i in 0..n { h[i * n + i] = 1.0; }
            let (mut g0, mut g1, mut s, mut y, mut hy) =
                (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let mut first = true;
            for pair in points.windows(2) {
                let (x0, x1) = (&pair[0][..n], &pair[1][..n]);
                f.value_grad(x0, &mut g0);
                f.value_grad(x1, &mut g1);
                let (ss, yy, sy) = secant_pair(x0, &g0, x1, &g1, &mut s, &mut y);
                prop_assume!(curvature_ok(ss, yy, sy));
                if first {
                    for i in 0..n { h[i * n + i] = sy / yy; }
                    first = false;
                }
                bfgs_update(&mut h, &s, &y, sy, &mut hy);
                for i in 0..n {
                    for j in 0..n {
                        prop_assert_eq!(h[i * n + j].to_bits(), h[j * n + i].to_bits());
                    }
                    let hy_i: f64 = (0..n).map(|j| h[i * n + j] * y[j]).sum();
                    let scale = ss.sqrt().max(f64::MIN_POSITIVE);
                    prop_assert!((hy_i - s[i]).abs() <= SECANT_TOLERANCE * scale,
                        "(H y)[{}] = {} but s[{}] = {}", i, hy_i, i, s[i]);
                }
                prop_assert!(positive_definite(&h, n));
            }
        }
    }
}
