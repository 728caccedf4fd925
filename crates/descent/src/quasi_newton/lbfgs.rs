//! L-BFGS: BFGS with the inverse Hessian kept implicitly, as the last m secant pairs.
//!
//! Instead of the n×n matrix of [`Bfgs`](super::Bfgs), L-BFGS stores the m most recent pairs
//! sᵢ = xᵢ₊₁ − xᵢ, yᵢ = ∇fᵢ₊₁ − ∇fᵢ and applies the BFGS update of H₀ = γI by those pairs to the
//! gradient on the fly, in O(mn) operations and 2mn numbers: the method of choice for smooth
//! problems with many variables (Nocedal 1980; Liu & Nocedal 1989).
//!
//! # The update
//! With ρᵢ = 1/(yᵢᵀsᵢ) and the pairs k−m, …, k−1, the direction dₖ = −Hₖ∇fₖ comes from the
//! two-loop recursion (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 7.4):
//!
//! ```text
//! q ← ∇fₖ
//! for i = k−1, k−2, …, k−m:   αᵢ ← ρᵢ sᵢᵀq;   q ← q − αᵢ yᵢ
//! r ← γₖ q,   γₖ = sₖ₋₁ᵀyₖ₋₁ / yₖ₋₁ᵀyₖ₋₁                       (N&W eq. 7.20)
//! for i = k−m, …, k−1:        β ← ρᵢ yᵢᵀr;    r ← r + sᵢ(αᵢ − β)
//! dₖ ← −r
//! xₖ₊₁ = xₖ + tₖ dₖ      (tₖ from the line search)
//! ```
//!
//! which equals −Hₖ∇fₖ for the BFGS recursion Hᵢ₊₁ = Vᵢᵀ Hᵢ Vᵢ + ρᵢ sᵢsᵢᵀ, Vᵢ = I − ρᵢ yᵢsᵢᵀ
//! (N&W eq. 7.19), started from H⁰ₖ = γₖI. Initial state: no pairs, so d₀ = −∇f₀.
//!
//! | symbol | field / state | meaning | default |
//! |---|---|---|---|
//! | m | `memory` | the number of pairs kept | 10 |
//! | sᵢ, yᵢ | state | the step and the gradient change of an earlier iteration | |
//! | ρᵢ | state | 1/(yᵢᵀsᵢ) | |
//! | γₖ | state | the scale of H⁰ₖ = γₖI, from the newest pair | 1 before any pair |
//! | tₖ | | the step accepted by `line_search` | trial 1; 1/‖∇f‖ on steepest descent |
//! | ε | [`SKIP_TOLERANCE`](super::SKIP_TOLERANCE) | pairs with sᵀy ≤ ε‖s‖‖y‖ are skipped | 1e-8 |
//!
//! **Defaults and why.** m = 10: Liu & Nocedal (1989) found 3 ≤ m ≤ 7 already effective and
//! little gained beyond; 10 is the default of scipy's L-BFGS-B and Optim.jl (PyTorch's `LBFGS`
//! keeps 100). The line search defaults to
//! [`Backtracking`] (Armijo); see the [family's design decisions](super) for the skip rule,
//! the restart on a non-descent direction and the trial steps.
//!
//! **Where this differs from others.** scipy's L-BFGS-B and Optim.jl use a (strong) Wolfe line
//! search, which guarantees sᵀy > 0 so no pair is ever skipped; pass such a search as
//! `line_search` to get their behaviour. PyTorch's `LBFGS` without `line_search_fn` takes a
//! fixed step `lr` with no search at all.
//!
//! # References
//! * J. Nocedal (1980), *Updating quasi-Newton matrices with limited storage*, Math. Comp.
//!   35(151), 773–782.
//! * D. C. Liu, J. Nocedal (1989), *On the limited memory BFGS method for large scale
//!   optimization*, Math. Programming 45, 503–528.
//! * J. Nocedal, S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §7.2, Alg. 7.4,
//!   eqs. 7.19–7.20.
//!
//! # Example
//! ```
//! use descent::{minimize, Lbfgs, Options, problems::Rosenbrock};
//! let f = Rosenbrock::new(2)?;
//! let report = minimize(&f, &[-1.2, 1.0], Lbfgs::default(), &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 1.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use super::{base_step, curvature_ok};
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::kernels::{secant_pair, update_dot};
use crate::line_search::{Backtracking, LineSearch, Ray, SearchHistory, stood_still};
use crate::{Error, Objective, Result};

/// Limited-memory BFGS with line search `L` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lbfgs<L = Backtracking> {
    /// m: the number of secant pairs kept (at least 1).
    pub memory: usize,
    /// How the step length is chosen.
    pub line_search: L,
}

impl Default for Lbfgs<Backtracking> {
    fn default() -> Self {
        Self { memory: 10, line_search: Backtracking::default() }
    }
}

impl Lbfgs<Backtracking> {
    /// L-BFGS keeping `memory` pairs, with Armijo backtracking.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming `memory` if it is 0.
    pub fn new(memory: usize) -> Result<Self> {
        let method = Self { memory, ..Self::default() };
        method.validate_memory()?;
        Ok(method)
    }
}

impl<L> Lbfgs<L> {
    /// The same method with another line search.
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> Lbfgs<M> {
        Lbfgs { memory: self.memory, line_search }
    }

    fn validate_memory(&self) -> Result<()> {
        crate::error::at_least_one("memory", self.memory).map(drop)
    }
}

/// Memory of [`Lbfgs`]: a ring of secant pairs, allocated once.
///
/// The ring has m + 1 slots so that a new pair can be written into a free slot before the
/// skip rule decides whether it enters the memory: a skipped pair never displaces a kept one.
#[derive(Debug, Clone, PartialEq)]
pub struct LbfgsState {
    /// The dimension n.
    n: usize,
    /// sᵢ, slot j at `j*n..(j+1)*n`.
    s: Vec<f64>,
    /// yᵢ, slot j at `j*n..(j+1)*n`.
    y: Vec<f64>,
    /// ρᵢ per slot.
    rho: Vec<f64>,
    /// αᵢ per slot: scratch of the two-loop recursion.
    alpha: Vec<f64>,
    /// The slot of the newest pair.
    newest: usize,
    /// Pairs in memory (≤ m).
    len: usize,
    /// γ: the scale of H⁰ (N&W eq. 7.20).
    gamma: f64,
    /// d.
    direction: Vec<f64>,
    /// Updates skipped by the curvature rule so far.
    skipped: usize,
    /// Restarts (memory cleared on a non-descent direction) so far.
    restarts: usize,
    /// The value change and line-search memory of the run.
    history: SearchHistory,
}

impl LbfgsState {
    /// Pairs currently in memory.
    #[must_use]
    pub fn pairs(&self) -> usize {
        self.len
    }

    /// Pairs rejected by the skip rule so far.
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Times the memory was cleared because d was not a descent direction.
    #[must_use]
    pub fn restarts(&self) -> usize {
        self.restarts
    }

    fn slots(&self) -> usize {
        self.rho.len()
    }

    /// The slot after the newest: where the next pair is written.
    fn free_slot(&self) -> usize {
        if self.newest + 1 == self.slots() { 0 } else { self.newest + 1 }
    }

    /// d = −H∇f by the two-loop recursion (N&W Alg. 7.4).
    ///
    /// Each update of q (or r) is fused with the dot product the next line needs, and r is
    /// kept negated so that line 11 costs no pass: 2m + 2 passes over n-vectors instead of
    /// 4m + 3, which is what the recursion costs once the pairs no longer fit in cache.
    ///
    /// Returns ∇fₖᵀdₖ, the line search's φ'(0), from the last pass.
    fn two_loop(&mut self, grad: &[f64]) -> f64 {
        let (n, len, gamma) = (self.n, self.len, self.gamma);
        // The slot of the pair of the given age (0: the newest), without an integer division
        // (≈ 25 cycles, twice per pair per iteration).
        let (newest, slots) = (self.newest, self.slots());
        let slot = |age: usize| if age <= newest { newest - age } else { newest + slots - age };
        let (s, y) = (&self.s, &self.y);
        let pair = |age: usize| {
            let j = slot(age);
            (j, &s[j * n..(j + 1) * n], &y[j * n..(j + 1) * n])
        };
        let q = &mut self.direction;
        if len == 0 {
            return update_dot(q, grad, grad, |_, g| -gamma * g);
        }
        // Alg. 7.4, line 1: q ← ∇fₖ, with s_newestᵀq for line 3.
        let mut sq = update_dot(q, grad, pair(0).1, |_, g| g);
        for age in 0..len {
            let (j, _, y) = pair(age);
            let alpha = self.rho[j] * sq; // line 3: αᵢ ← ρᵢ sᵢᵀq
            self.alpha[j] = alpha;
            let next_s = if age + 1 < len { pair(age + 1).1 } else { &[][..] };
            sq = update_dot(q, y, next_s, |q, y| q - alpha * y); // line 4: q ← q − αᵢyᵢ
        }
        // line 6: r ← γₖq (eq. 7.20), held as −r, with yᵀ(−r) for the oldest pair.
        let oldest_y = pair(len - 1).2;
        let mut y_minus_r = update_dot(q, oldest_y, oldest_y, |q, _| -gamma * q);
        for age in (0..len).rev() {
            let (j, s, _) = pair(age);
            let beta = -self.rho[j] * y_minus_r; // line 8: β ← ρᵢ yᵢᵀr
            let c = self.alpha[j] - beta;
            // The next pair's y, or ∇f after the last pair: ∇fᵀ(−r) = ∇fᵀd.
            let next_y = if age > 0 { pair(age - 1).2 } else { grad };
            // line 9 on −r: −r ← −r − sᵢ(αᵢ − β)
            y_minus_r = update_dot(q, s, next_y, |minus_r, s| minus_r - c * s);
        }
        // line 11: the direction is −r = −Hₖ∇fₖ, already in place.
        y_minus_r
    }

    /// Clears the memory: the next direction is steepest descent.
    fn clear(&mut self) {
        self.len = 0;
        self.gamma = 1.0;
    }
}

impl<O: Objective + ?Sized, L: LineSearch> Method<O> for Lbfgs<L> {
    type State = LbfgsState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        self.validate_memory()?;
        self.line_search.validate()?;
        let n = objective.dim();
        let slots = self.memory.checked_add(1).ok_or(Error::InvalidHyperparameter {
            name: "memory",
            value: self.memory as f64,
            valid: "small enough that 2(m + 1)n numbers fit in memory",
        })?;
        Ok(LbfgsState {
            n,
            s: vec![0.0; slots * n],
            y: vec![0.0; slots * n],
            rho: vec![0.0; slots],
            alpha: vec![0.0; slots],
            newest: 0,
            len: 0,
            gamma: 1.0,
            direction: vec![0.0; n],
            skipped: 0,
            restarts: 0,
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
        let mut dphi0 = state.two_loop(&current.grad);
        if !(dphi0 < 0.0) && state.len > 0 {
            // Not a descent direction: H has lost positive definiteness to rounding. Restart.
            state.clear();
            state.restarts += 1;
            dphi0 = state.two_loop(&current.grad);
        }
        let base = base_step(state.len == 0, &current.grad);
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
        let n = state.n;
        let free = state.free_slot();
        let (s, y) =
            (&mut state.s[free * n..(free + 1) * n], &mut state.y[free * n..(free + 1) * n]);
        let (ss, yy, sy) = secant_pair(&current.x, &current.grad, &next.x, &next.grad, s, y);
        if curvature_ok(ss, yy, sy) {
            state.rho[free] = 1.0 / sy;
            state.gamma = sy / yy; // N&W eq. 7.20
            state.newest = free;
            state.len = (state.len + 1).min(self.memory);
        } else {
            state.skipped += 1;
        }
        StepOutcome::Moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::dot;
    use crate::problems::Rosenbrock;
    use crate::{Options, minimize};

    #[test]
    fn memory_zero_is_refused_by_name() {
        assert!(matches!(Lbfgs::new(0), Err(Error::InvalidHyperparameter { name: "memory", .. })));
        let f = Rosenbrock::new(2).unwrap();
        let bad = Lbfgs { memory: 0, ..Lbfgs::default() };
        assert!(matches!(
            minimize(&f, &[-1.2, 1.0], bad, &Options::default()),
            Err(Error::InvalidHyperparameter { name: "memory", .. })
        ));
    }

    #[test]
    fn the_two_loop_recursion_matches_the_explicit_product() {
        // H from the recursion Hᵢ₊₁ = VᵢᵀHᵢVᵢ + ρᵢsᵢsᵢᵀ (N&W eq. 7.19) built densely, against
        // the two-loop recursion with the ring wrapped around (5 pairs pushed, m = 3).
        let n = 4;
        let memory = 3;
        let f = Rosenbrock::new(n).unwrap();
        let counted = Counted::new(&f);
        let start = Iterate::zeros(n);
        let method = Lbfgs::new(memory).unwrap();
        let mut state = <Lbfgs as Method<Rosenbrock>>::init(&method, &counted, &start).unwrap();
        let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..5)
            .map(|k| {
                let s: Vec<f64> = (0..n).map(|i| ((k * n + i) as f64 * 0.7).sin()).collect();
                // y = A s for a fixed SPD A = diag(1..n) + 0.1·11ᵀ: positive curvature.
                let sum: f64 = s.iter().sum();
                let y = s.iter().enumerate().map(|(i, s)| (i + 1) as f64 * s + 0.1 * sum).collect();
                (s, y)
            })
            .collect();
        for (s, y) in &pairs {
            let free = state.free_slot();
            state.s[free * n..(free + 1) * n].copy_from_slice(s);
            state.y[free * n..(free + 1) * n].copy_from_slice(y);
            let (sy, yy) = (dot(s, y), dot(y, y));
            state.rho[free] = 1.0 / sy;
            state.gamma = sy / yy;
            state.newest = free;
            state.len = (state.len + 1).min(memory);
        }
        let g: Vec<f64> = (0..n).map(|i| 1.0 - 0.3 * i as f64).collect();
        let dphi0 = state.two_loop(&g);
        let gd = dot(&g, &state.direction);
        assert!((dphi0 - gd).abs() <= 1e-12 * gd.abs(), "φ'(0) = {dphi0} against ∇fᵀd = {gd}");

        let gamma = state.gamma;
        let mut h: Vec<f64> =
            (0..n * n).map(|k| if k % (n + 1) == 0 { gamma } else { 0.0 }).collect();
        for (s, y) in &pairs[pairs.len() - memory..] {
            let rho = 1.0 / dot(s, y);
            let v = |i: usize, j: usize| f64::from(u8::from(i == j)) - rho * y[i] * s[j];
            let mut next = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    let mut sum = rho * s[i] * s[j];
                    for a in 0..n {
                        for b in 0..n {
                            sum += v(a, i) * h[a * n + b] * v(b, j);
                        }
                    }
                    next[i * n + j] = sum;
                }
            }
            h = next;
        }
        for i in 0..n {
            let hg: f64 = (0..n).map(|j| h[i * n + j] * g[j]).sum();
            assert!((state.direction[i] + hg).abs() <= 1e-12 * hg.abs().max(1.0), "{i}");
        }
    }
}
