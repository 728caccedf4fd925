//! The Hager–Zhang line search of CG_DESCENT: the Wolfe conditions, or near the solution the
//! approximate Wolfe conditions, by bracketing, secant² steps and bisection.
//!
//! Starting from a trial step t₀, accept t when either
//!
//! ```text
//! φ(t) − φ(0) ≤ δ·t·φ'(0)   and   φ'(t) ≥ σ·φ'(0)                     (Wolfe, T1; HZ 2005 §4)
//! (2δ − 1)·φ'(0) ≥ φ'(t) ≥ σ·φ'(0)   and   φ(t) ≤ φ(0) + ε_k          (approximate Wolfe, T2; HZ 2005 §4)
//! ```
//!
//! The approximate Wolfe conditions replace the sufficient decrease on φ, which rounding
//! hides once f changes by less than ≈ √ε_mach·|f|, by one on φ' (exact for a quadratic φ);
//! ε_k allows φ to rise by a rounding-sized amount. T2 is allowed once the run has switched
//! (see *the switch* below); T1 always.
//!
//! # The algorithm (Hager & Zhang 2005, §4; 2006, the line search)
//! Every trial is tested (T1, or T2 where allowed) right after it is evaluated, as CG_DESCENT
//! does; the first that passes is accepted, so **the last evaluation is at the accepted step**
//! and the caller's buffers hold its value and gradient. A bracket [a, b] keeps the invariants
//! φ(a) ≤ φ(0) + ε_k, φ'(a) < 0, φ'(b) ≥ 0 (2005 eq. 4.4), which guarantee an acceptable step
//! inside (kept on ψ instead of φ before the switch: see the deviations below). With θ = 1/2
//! (bisection):
//!
//! ```text
//! bracket(c)  B1  φ'(c) ≥ 0                         → [a, b] = [last c with φ ≤ φ(0) + ε_k (or 0), c]
//!             B2  φ'(c) < 0, φ(c) > φ(0) + ε_k      → [a, b] = U3(last such c, c)
//!             B3  otherwise                          → c ← ρ·c, repeat
//! update(a, b, c)
//!             U0  c ∉ (a, b)                         → [a, b]
//!             U1  φ'(c) ≥ 0                          → [a, c]
//!             U2  φ(c) ≤ φ(0) + ε_k                  → [c, b]
//!             U3  otherwise, â = a, b̂ = c: d = (1 − θ)â + θb̂;
//!                 φ'(d) ≥ 0 → [â, d];  φ(d) ≤ φ(0) + ε_k → â = d, repeat;  else b̂ = d, repeat
//! secant(a, b) = (a·φ'(b) − b·φ'(a)) / (φ'(b) − φ'(a))
//! secant²(a, b)
//!             S1  c = secant(a, b), [A, B] = update(a, b, c)
//!             S2  c = B → c̄ = secant(b, B);   S3  c = A → c̄ = secant(a, A)
//!             S4  if S2 or S3: [ā, b̄] = update(A, B, c̄), else [ā, b̄] = [A, B]
//! search      L0  [a, b] = bracket(t₀)
//!             L1  [a, b] ← secant²(a, b)
//!             L2  if b − a > γ·(width before L1): c = (a + b)/2, [a, b] = update(a, b, c)
//!             L3  repeat from L1
//! ```
//!
//! **The switch (2006).** ε_k = ε·C_k with C_k a running average of |f|:
//!
//! ```text
//! Q₀ = 0, C₀ = 0;   at search k:  Q ← 1 + Δ·Q,  C ← C + (|fₖ| − C)/Q;   ε_k = ε·C
//! approximate Wolfe allowed from the first search k with |fₖ − fₖ₋₁| ≤ ω·C_k on, for good.
//! ```
//!
//! Δ = 0 makes C_k = |fₖ|; Δ = 1 the plain average of all |fᵢ|.
//!
//! | field | symbol | default | why |
//! |---|---|---|---|
//! | `delta` | δ | 0.1 | the paper's value; sufficient decrease in T1, and 2δ − 1 = −0.8 in T2 |
//! | `sigma` | σ | 0.9 | the paper's value; the quasi-Newton choice (use 0.1 for a tighter search) |
//! | `epsilon` | ε | 1e-6 | the paper's value: φ may rise by a millionth of C_k |
//! | `omega` | ω | 1e-3 | the paper's switch; 0 never switches (T1 only), ∞ allows T2 from the first search (LineSearches.jl) |
//! | `decay` | Δ | 0.7 | the paper's weight of the past in C_k |
//! | `gamma` | γ | 0.66 | the paper's value: a secant² step must shrink the bracket to 0.66 of its width, else bisect |
//! | `rho` | ρ | 5 | the paper's expansion factor in B3 |
//! | `step_max` | | 1e10 | as [`MoreThuente`](super::MoreThuente): an expansion stops there with [`StepAtBound`](LineSearchFailure::StepAtBound) |
//! | `max_evaluations` | | 50 | CG_DESCENT's 50 expansions/secant steps; ρ⁴⁹ ≈ 10³⁴ and 2⁻⁵⁰ ≈ 10⁻¹⁵ cover every scale a search needs |
//! | `initial` | | [`InitialStep::Base`] | the unit step of quasi-Newton methods; [`InitialStep::HAGER_ZHANG`] is the paper's own guess |
//! | θ | | 1/2 | bisection, as the brief and LineSearches.jl fix it (a constant, not a field) |
//!
//! **Where the memory lives.** [`LineSearch::search`] takes `&self`, which is a configuration.
//! C_k, Q_k, fₖ₋₁ and the switch live in a [`SearchMemory`] that the method keeps in its state
//! (one per run, reset by `init`) and passes to [`LineSearch::search_with`]. A plain
//! [`search`](LineSearch::search) starts a fresh memory each time: C = |φ(0)| and T1 only
//! (unless ω = ∞), the safe choice for a single search.
//!
//! **Failures are data.** The search never reports success without T1 or T2 holding at the
//! returned step. A rising direction → [`NotDescent`](LineSearchFailure::NotDescent); an
//! expansion reaching `step_max` still below φ(0) + ε_k and going down →
//! [`StepAtBound`](LineSearchFailure::StepAtBound); a bracket with no float left inside →
//! [`IntervalTooSmall`](LineSearchFailure::IntervalTooSmall) (step = a, not re-evaluated); an
//! exhausted budget → [`NoAcceptableStep`](LineSearchFailure::NoAcceptableStep).
//!
//! **Deviations from the papers.**
//! * **Before the switch the bracket is kept on ψ(t) = φ(t) − δ·t·φ'(0)** (Moré & Thuente's
//!   auxiliary function, M&T eq. 2.1), with ψ(a) ≤ φ(0) in place of φ(a) ≤ φ(0) + ε_k; the
//!   acceptance tests stay on φ. The papers bracket φ itself, and their bracket is sure to hold
//!   a point satisfying T2, not T1: on Moré & Thuente's function 4 (nearly flat between two
//!   kinks) T1 holds only for t ≲ 10⁻², and from t₀ = 0.1 the φ-bracket closed in on the flat
//!   middle until no float was left inside it (27 evaluations, a failure). On ψ the bracket [a, b] (ψ'(a) < 0 ≤ ψ'(b), ψ(a) ≤ φ(0))
//!   holds a t with ψ'(t) = 0 and ψ(t) ≤ φ(0), i.e. φ'(t) = δφ'(0) ≥ σφ'(0) and T1. After the
//!   switch the bracket is kept on φ, as in the papers.
//! * B2 starts U3 from the last expansion point with φ ≤ φ(0) + ε_k instead of â = 0: it
//!   satisfies U3's invariants too, and the interval is shorter.
//! * A secant point that is not strictly inside the bracket (or not finite, e.g. from a
//!   non-finite φ' at b) is replaced by the midpoint, so no evaluation is spent outside it; the
//!   second secant c̄ of S4 is evaluated only if it lies strictly inside [A, B] (as
//!   LineSearches.jl).
//! * A non-finite φ(t) or φ'(t) counts as "too high" (U3 moves b̂ there), so a trial outside
//!   the function's domain is bisected back toward a.
//! * The initial guess's step I1 (a quadratic through φ(0), φ'(0), φ(ψ₁tₖ₋₁)) is left out: it
//!   costs an evaluation outside the search, which the [`Phi`] contract does not allow a
//!   first-trial rule to spend.
//! * CG_DESCENT's later code refinements (its `QuadStep` and contraction heuristics) are not
//!   included.
//!
//! The search allocates nothing: its state is a few points of (t, φ, φ').
//!
//! ```
//! use descent::line_search::{FnPhi, HagerZhang, LineSearch};
//! use descent::{minimize, Lbfgs, Options, problems::Rosenbrock};
//!
//! // One search: φ(t) = (t − 3)², from t₀ = 1.
//! let mut phi = FnPhi::new(|t: f64| ((t - 3.0).powi(2), 2.0 * (t - 3.0)));
//! let hz = HagerZhang::default();
//! let accepted = hz.search(&mut phi, 9.0, -6.0, 1.0).unwrap();
//! assert!(accepted.value - 9.0 <= hz.delta * accepted.step * -6.0); // T1
//! assert!(2.0 * (accepted.step - 3.0) >= hz.sigma * -6.0);
//!
//! // L-BFGS with Hager–Zhang steps on Rosenbrock's function, minimum at (1, 1).
//! let f = Rosenbrock::new(2)?;
//! let method = Lbfgs::default().with_line_search(HagerZhang::default());
//! let report = minimize(&f, &[-1.2, 1.0], method, &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 1.0).abs() < 1e-5 && (report.x[1] - 1.0).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```
//!
//! References:
//! * W. W. Hager, H. Zhang (2005), *A new conjugate gradient method with guaranteed descent
//!   and an efficient line search*, SIAM J. Optim. 16(1), 170–192, §4 (the conditions, eq. 4.4,
//!   U0–U3, secant², L0–L3).
//! * W. W. Hager, H. Zhang (2006), *Algorithm 851: CG_DESCENT, a conjugate gradient method
//!   with guaranteed descent*, ACM Trans. Math. Software 32(1), 113–137 (the initial guess
//!   I0–I2; the bracket B0–B3; ε_k = ε·C_k and the switch).
//! * LineSearches.jl, `HagerZhang` (cross-checked for the details above).

use super::{Accepted, InitialStep, LineSearch, LineSearchFailure, Phi, SearchMemory, StepContext};
use crate::error::{in_unit_interval, tolerance};
use crate::{Error, Result};

/// θ of U3: the bisection point d = (1 − θ)â + θb̂.
const THETA: f64 = 0.5;

/// The Hager–Zhang line search (CG_DESCENT), accepting steps that satisfy the Wolfe or the
/// approximate Wolfe conditions (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HagerZhang {
    /// δ ∈ (0, ½): sufficient decrease in T1, and the bound (2δ − 1)φ'(0) in T2.
    pub delta: f64,
    /// σ ∈ [δ, 1): the curvature condition φ'(t) ≥ σφ'(0).
    pub sigma: f64,
    /// ε ≥ 0: ε_k = ε·C_k is how far φ may rise under the approximate Wolfe conditions.
    pub epsilon: f64,
    /// ω ≥ 0 (∞ allowed): switch to the approximate Wolfe conditions once
    /// |fₖ − fₖ₋₁| ≤ ω·C_k; 0 never, ∞ from the first search.
    pub omega: f64,
    /// Δ ∈ [0, 1]: the decay of the running average C_k of |f|.
    pub decay: f64,
    /// γ ∈ (0, 1): bisect when a secant² step leaves more than γ of the bracket.
    pub gamma: f64,
    /// ρ > 1, finite: the expansion factor while the bracket is sought.
    pub rho: f64,
    /// Largest step, positive and finite.
    pub step_max: f64,
    /// Evaluations of φ allowed per search (≥ 1).
    pub max_evaluations: usize,
    /// How each iteration's first trial is chosen.
    pub initial: InitialStep,
}

impl Default for HagerZhang {
    fn default() -> Self {
        Self {
            delta: 0.1,
            sigma: 0.9,
            epsilon: 1e-6,
            omega: 1e-3,
            decay: 0.7,
            gamma: 0.66,
            rho: 5.0,
            step_max: 1e10,
            max_evaluations: 50,
            initial: InitialStep::Base,
        }
    }
}

impl HagerZhang {
    /// Whether (t, φ(t), φ'(t)) is acceptable: T1, or T2 when `approximate`.
    fn acceptable(&self, p: Point, phi0: f64, dphi0: f64, limit: f64, approximate: bool) -> bool {
        let curvature = p.slope >= self.sigma * dphi0;
        let wolfe = p.value - phi0 <= self.delta * p.step * dphi0; // T1
        let approximate_wolfe = approximate
            && (2.0 * self.delta - 1.0) * dphi0 >= p.slope // T2
            && p.value <= limit; // ε_k = ε·C_k
        curvature && (wolfe || approximate_wolfe)
    }

    /// Updates C_k, Q_k and the switch for a search from fₖ = `phi0` (2006); returns
    /// whether T2 is allowed and ε_k.
    fn remember(&self, memory: &mut SearchMemory, phi0: f64) -> (bool, f64) {
        memory.weight = 1.0 + self.decay * memory.weight;
        memory.average += (phi0.abs() - memory.average) / memory.weight;
        if self.omega > 0.0 && (phi0 - memory.previous_value).abs() <= self.omega * memory.average {
            memory.approximate_wolfe = true;
        }
        memory.previous_value = phi0;
        let approximate = memory.approximate_wolfe || self.omega == f64::INFINITY;
        (approximate, self.epsilon * memory.average)
    }
}

impl LineSearch for HagerZhang {
    fn validate(&self) -> Result<()> {
        if !(self.delta > 0.0 && self.delta < 0.5) {
            return Err(Error::InvalidHyperparameter {
                name: "delta",
                value: self.delta,
                valid: "in (0, 1/2)",
            });
        }
        in_unit_interval("sigma", self.sigma)?;
        if self.sigma < self.delta {
            return Err(Error::InvalidHyperparameter {
                name: "sigma",
                value: self.sigma,
                valid: "at least delta",
            });
        }
        tolerance("epsilon", self.epsilon)?;
        if !(self.omega >= 0.0) {
            return Err(Error::InvalidHyperparameter {
                name: "omega",
                value: self.omega,
                valid: "zero (never switch), positive, or infinite (always)",
            });
        }
        if !(0.0..=1.0).contains(&self.decay) {
            return Err(Error::InvalidHyperparameter {
                name: "decay",
                value: self.decay,
                valid: "in [0, 1]",
            });
        }
        in_unit_interval("gamma", self.gamma)?;
        if !(self.rho.is_finite() && self.rho > 1.0) {
            return Err(Error::InvalidHyperparameter {
                name: "rho",
                value: self.rho,
                valid: "above 1 and finite",
            });
        }
        crate::error::positive("step_max", self.step_max)?;
        crate::error::at_least_one("max_evaluations", self.max_evaluations)?;
        self.initial.validate()
    }

    fn initial_step(&self, base: f64, previous: Option<f64>) -> f64 {
        self.initial.trial(base, previous)
    }

    fn first_trial(&self, context: &StepContext<'_>) -> f64 {
        self.initial.trial_in(context)
    }

    fn search(
        &self,
        phi: &mut dyn Phi,
        phi0: f64,
        dphi0: f64,
        t0: f64,
    ) -> Result<Accepted, LineSearchFailure> {
        self.search_with(phi, phi0, dphi0, t0, &mut SearchMemory::default())
    }

    fn search_with(
        &self,
        phi: &mut dyn Phi,
        phi0: f64,
        dphi0: f64,
        t0: f64,
        memory: &mut SearchMemory,
    ) -> Result<Accepted, LineSearchFailure> {
        if !(dphi0 < 0.0) {
            return Err(LineSearchFailure::NotDescent { slope: dphi0 });
        }
        let (approximate, epsilon_k) = self.remember(memory, phi0);
        // Before the switch the bracket is kept on ψ(t) = φ(t) − δ·t·φ'(0) with ψ(t) ≤ φ(0),
        // so that it always holds a point satisfying T1 (see the module docs).
        let (shift, limit) =
            if approximate { (0.0, phi0 + epsilon_k) } else { (self.delta * dphi0, phi0) };
        let mut search = Search {
            config: self,
            phi,
            phi0,
            dphi0,
            shift,
            limit,
            approximate,
            evaluations: 0,
            last_step: f64::NAN,
        };
        let t0 = if t0 > 0.0 { t0.min(self.step_max) } else { self.step_max.min(1.0) };
        match search.run(t0) {
            Stop::Accepted(accepted) => Ok(accepted),
            Stop::Failed(failure) => Err(failure),
        }
    }
}

/// A step with φ and φ' there.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    step: f64,
    value: f64,
    slope: f64,
}

/// How a search ends: an accepted step, or a failure.
enum Stop {
    Accepted(Accepted),
    Failed(LineSearchFailure),
}

/// One search in progress.
struct Search<'s, 'p> {
    config: &'s HagerZhang,
    phi: &'p mut dyn Phi,
    phi0: f64,
    dphi0: f64,
    /// δ·φ'(0) while the bracket is kept on ψ(t) = φ(t) − δ·t·φ'(0) (T1 only), else 0.
    shift: f64,
    /// The bound on the bracket's lower end: φ(0) on ψ, φ(0) + ε_k on φ.
    limit: f64,
    /// Whether T2 is allowed.
    approximate: bool,
    evaluations: usize,
    last_step: f64,
}

/// A bracket [a, b], or the end of the search.
type Step<T> = std::result::Result<T, Stop>;

impl Search<'_, '_> {
    /// Evaluates φ at t and ends the search there if t is acceptable (the contract: the last
    /// evaluation is at the accepted step), or if the budget is spent.
    fn eval(&mut self, step: f64) -> Step<Point> {
        if self.evaluations == self.config.max_evaluations {
            return Err(Stop::Failed(LineSearchFailure::NoAcceptableStep {
                evaluations: self.evaluations,
                last_step: self.last_step,
            }));
        }
        self.evaluations += 1;
        self.last_step = step;
        let value = self.phi.value(step);
        let p = Point { step, value, slope: self.phi.slope() };
        if self.config.acceptable(p, self.phi0, self.dphi0, self.limit, self.approximate) {
            return Err(Stop::Accepted(Accepted { step, value, evaluations: self.evaluations }));
        }
        // The point on the function the bracket is kept on (ψ, or φ itself).
        Ok(Point { step, value: value - self.shift * step, slope: p.slope - self.shift })
    }

    /// Whether p may be the lower end a of a bracket: φ(p) ≤ φ(0) + ε_k and φ'(p) < 0, both
    /// finite. A non-finite point is "too high" (deviation: out of the domain).
    fn low(&self, p: Point) -> bool {
        p.value <= self.limit && p.slope < 0.0 && p.slope.is_finite()
    }

    /// The bracket collapsed: no float left strictly inside (a, b).
    fn collapsed(&self, a: Point) -> Stop {
        Stop::Failed(LineSearchFailure::IntervalTooSmall {
            step: a.step,
            evaluations: self.evaluations,
        })
    }

    /// L0–L3.
    fn run(&mut self, t0: f64) -> Stop {
        match self.search(t0) {
            Ok(never) => match never {},
            Err(stop) => stop,
        }
    }

    fn search(&mut self, t0: f64) -> Step<std::convert::Infallible> {
        let (mut a, mut b) = self.bracket(t0)?; // L0
        loop {
            let width = b.step - a.step;
            (a, b) = self.secant2(a, b)?; // L1
            if b.step - a.step > self.config.gamma * width {
                // L2: the secant steps shrank the bracket too little; bisect.
                let mid = a.step + 0.5 * (b.step - a.step);
                if !(a.step < mid && mid < b.step) {
                    return Err(self.collapsed(a));
                }
                let c = self.eval(mid)?;
                (a, b) = self.update(a, b, c)?;
            }
        }
    }

    /// B0–B3: expand from t₀ by ρ until the slope turns up (B1) or φ rises above the limit
    /// (B2).
    fn bracket(&mut self, t0: f64) -> Step<(Point, Point)> {
        let mut last_low = Point { step: 0.0, value: self.phi0, slope: self.dphi0 - self.shift };
        let mut c = t0;
        loop {
            let p = self.eval(c)?;
            if p.slope >= 0.0 {
                return Ok((last_low, p)); // B1
            }
            if !self.low(p) {
                return self.bisect(last_low, p); // B2
            }
            if c >= self.config.step_max {
                return Err(Stop::Failed(LineSearchFailure::StepAtBound {
                    step: c,
                    evaluations: self.evaluations,
                }));
            }
            last_low = p;
            c = (self.config.rho * c).min(self.config.step_max); // B3
        }
    }

    /// U0–U3 with the evaluated point c.
    fn update(&mut self, a: Point, b: Point, c: Point) -> Step<(Point, Point)> {
        if !(a.step < c.step && c.step < b.step) {
            return Ok((a, b)); // U0
        }
        if c.slope >= 0.0 {
            return Ok((a, c)); // U1
        }
        if self.low(c) {
            return Ok((c, b)); // U2
        }
        self.bisect(a, c) // U3
    }

    /// U3 (a–c): bisect [â, b̂] until the slope turns up, keeping φ(â) ≤ φ(0) + ε_k.
    fn bisect(&mut self, mut a: Point, mut b: Point) -> Step<(Point, Point)> {
        loop {
            let d = (1.0 - THETA) * a.step + THETA * b.step;
            if !(a.step < d && d < b.step) {
                return Err(self.collapsed(a));
            }
            let p = self.eval(d)?;
            if p.slope >= 0.0 {
                return Ok((a, p)); // U3a
            }
            if self.low(p) {
                a = p; // U3b
            } else {
                b = p; // U3c
            }
        }
    }

    /// S1–S4.
    fn secant2(&mut self, a: Point, b: Point) -> Step<(Point, Point)> {
        let step = secant(a, b);
        let step = if a.step < step && step < b.step {
            step
        } else {
            // Deviation: not strictly inside (or not finite): the midpoint instead.
            let mid = a.step + 0.5 * (b.step - a.step);
            if !(a.step < mid && mid < b.step) {
                return Err(self.collapsed(a));
            }
            mid
        };
        let c = self.eval(step)?; // S1
        let (big_a, big_b) = self.update(a, b, c)?;
        let c_bar = if c.step == big_b.step {
            secant(b, big_b) // S2
        } else if c.step == big_a.step {
            secant(a, big_a) // S3
        } else {
            return Ok((big_a, big_b));
        };
        if !(big_a.step < c_bar && c_bar < big_b.step) {
            return Ok((big_a, big_b)); // U0 of S4, without spending an evaluation
        }
        let c = self.eval(c_bar)?;
        self.update(big_a, big_b, c) // S4
    }
}

/// The zero of the line through (a, φ'(a)) and (b, φ'(b)) (2005, the secant step).
fn secant(a: Point, b: Point) -> f64 {
    a.step - a.slope * (b.step - a.step) / (b.slope - a.slope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_search::FnPhi;
    use crate::line_search::test_functions::{table1, table2, table3, yanai};
    use proptest::prelude::*;

    /// Which conditions a recomputed (φ(t), φ'(t)) satisfies: (T1, T2).
    fn conditions(hz: &HagerZhang, phi_fn: impl Fn(f64) -> (f64, f64), step: f64) -> (bool, bool) {
        let (phi0, dphi0) = phi_fn(0.0);
        let (value, slope) = phi_fn(step);
        let limit = phi0 + hz.epsilon * phi0.abs(); // C_k = |φ(0)| in a fresh memory
        let curvature = slope >= hz.sigma * dphi0;
        let t1 = curvature && value - phi0 <= hz.delta * step * dphi0;
        let t2 = curvature && (2.0 * hz.delta - 1.0) * dphi0 >= slope && value <= limit;
        (t1, t2)
    }

    /// Runs one search recording the last evaluated step; checks the contract and the
    /// conditions the search may claim (T2 only when ω = ∞ in a fresh memory).
    fn searched(
        hz: &HagerZhang,
        phi_fn: impl Fn(f64) -> (f64, f64) + Copy,
        t0: f64,
    ) -> Result<Accepted, LineSearchFailure> {
        let (phi0, dphi0) = phi_fn(0.0);
        let mut last = f64::NAN;
        let mut phi = FnPhi::new(|t: f64| {
            last = t;
            phi_fn(t)
        });
        let result = hz.search(&mut phi, phi0, dphi0, t0);
        if let Ok(accepted) = result {
            assert_eq!(last.to_bits(), accepted.step.to_bits(), "the last evaluation is the step");
            assert_eq!(accepted.value.to_bits(), phi_fn(accepted.step).0.to_bits());
            let (t1, t2) = conditions(hz, phi_fn, accepted.step);
            let approximate = hz.omega == f64::INFINITY;
            assert!(t1 || (approximate && t2), "{accepted:?}: T1 {t1}, T2 {t2}");
            assert!(accepted.evaluations <= hz.max_evaluations);
        }
        result
    }

    #[test]
    fn the_six_test_functions_of_more_and_thuente() {
        type Function<'a> = &'a dyn Fn(f64) -> (f64, f64);
        let functions: [(usize, Function); 6] = [
            (1, &table1),
            (2, &table2),
            (3, &table3),
            (4, &yanai(1e-3, 1e-3)),
            (5, &yanai(1e-2, 1e-3)),
            (6, &yanai(1e-3, 1e-2)),
        ];
        let d = HagerZhang::default();
        // The defaults; a tight σ = 0.1 (a CG-like search); T2 allowed from the start.
        let searches = [
            ("default", d),
            ("σ = 0.1", HagerZhang { sigma: 0.1, ..d }),
            ("ω = ∞", HagerZhang { omega: f64::INFINITY, ..d }),
        ];
        for (table, phi_fn) in functions {
            for (name, hz) in &searches {
                for t0 in [1e-3, 1e-1, 1e1, 1e3] {
                    let accepted = searched(hz, phi_fn, t0).unwrap_or_else(|e| {
                        panic!("table {table}, {name}, α₀ = {t0}: {e:?}");
                    });
                    println!(
                        "table {table} {name:8} α₀ = {t0:e}: α = {:.5}, φ'(α) = {:.2e}, {} evaluations",
                        accepted.step,
                        phi_fn(accepted.step).1,
                        accepted.evaluations
                    );
                }
            }
        }
    }

    #[test]
    fn a_rising_direction_is_refused() {
        for slope in [1.0, 0.0, f64::NAN] {
            let mut phi = FnPhi::new(|t: f64| (t, 1.0));
            let result = HagerZhang::default().search(&mut phi, 0.0, slope, 1.0);
            assert!(matches!(result, Err(LineSearchFailure::NotDescent { .. })), "{result:?}");
        }
    }

    #[test]
    fn an_unbounded_function_fails_at_step_max() {
        // φ(t) = −t: every trial is lower with the same slope; ×5 per evaluation from 1 reaches
        // step_max = 1e10 at the 16th evaluation (5¹⁵ ≈ 3e10), and says so.
        let result = searched(&HagerZhang::default(), |t: f64| (-t, -1.0), 1.0);
        assert_eq!(result, Err(LineSearchFailure::StepAtBound { step: 1e10, evaluations: 16 }));
        // T2 cannot accept it either: φ'(t) = −1 < σφ'(0).
        let hz = HagerZhang { omega: f64::INFINITY, ..HagerZhang::default() };
        assert!(matches!(
            searched(&hz, |t: f64| (-t, -1.0), 1.0),
            Err(LineSearchFailure::StepAtBound { .. })
        ));
        // With a smaller budget it runs out first, honestly.
        let hz = HagerZhang { max_evaluations: 5, ..HagerZhang::default() };
        assert_eq!(
            searched(&hz, |t: f64| (-t, -1.0), 1.0),
            Err(LineSearchFailure::NoAcceptableStep { evaluations: 5, last_step: 625.0 })
        );
    }

    #[test]
    fn steps_outside_the_domain_are_bisected_back() {
        // φ(t) = −ln(1 − t) − 2t, defined only for t < 1, minimum at t = 1/2.
        let phi_fn = |t: f64| {
            if t < 1.0 {
                (-(1.0 - t).ln() - 2.0 * t, 1.0 / (1.0 - t) - 2.0)
            } else {
                (f64::NAN, f64::NAN)
            }
        };
        let accepted = searched(&HagerZhang::default(), phi_fn, 10.0).unwrap();
        assert!(accepted.step < 1.0);
    }

    /// φ(t) = 10⁸ + 10⁻¹⁰(t − 1)²: the decrease φ(0) − φ(1) = 10⁻¹⁰ is below the rounding of
    /// φ (ulp ≈ 1.5e-8), so sufficient decrease (T1) can never be seen. The approximate Wolfe
    /// conditions accept the minimiser; the Wolfe conditions alone fail, honestly.
    #[test]
    fn the_approximate_wolfe_conditions_see_below_rounding() {
        let phi_fn = |t: f64| (1e8 + 1e-10 * (t - 1.0) * (t - 1.0), 2e-10 * (t - 1.0));
        let approximate = HagerZhang { omega: f64::INFINITY, ..HagerZhang::default() };
        let accepted = searched(&approximate, phi_fn, 1.0).unwrap();
        assert_eq!((accepted.step, accepted.evaluations), (1.0, 1));
        let wolfe = HagerZhang { omega: 0.0, ..HagerZhang::default() };
        let result = searched(&wolfe, phi_fn, 1.0);
        assert!(
            matches!(
                result,
                Err(LineSearchFailure::IntervalTooSmall { .. }
                    | LineSearchFailure::NoAcceptableStep { .. })
            ),
            "{result:?}"
        );
    }

    #[test]
    fn a_flat_function_fails_honestly_under_wolfe() {
        // φ is flat to the last bit while φ'(0) claims descent: T1 never holds.
        let result = searched(&HagerZhang::default(), |_t: f64| (1.0, 0.0), 1.0);
        assert!(result.is_err(), "{result:?}");
    }

    #[test]
    fn the_switch_follows_the_running_average() {
        // fₖ = 10, 4, 4.001 (hand-checked, Δ = 0.7, ω = 1e-3):
        //   Q = 1,    C = 10;                                   no previous value
        //   Q = 1.7,  C = 10 + (4 − 10)/1.7 = 6.470588…;         |Δf| = 6
        //   Q = 2.19, C = 6.470588 + (4.001 − 6.470588)/2.19 = 5.342937…; |Δf| = 1e-3 ≤ 5.3e-3
        let hz = HagerZhang::default();
        let mut memory = SearchMemory::default();
        let expected = [(10.0, 10.0, false), (4.0, 6.470_588_235_294_118, false)];
        for (f, c, switched) in expected {
            let mut phi = FnPhi::new(|t: f64| (f + (t - 1.0).powi(2) - 1.0, 2.0 * (t - 1.0)));
            hz.search_with(&mut phi, f, -2.0, 1.0, &mut memory).unwrap();
            assert!((memory.value_scale() - c).abs() < 1e-12, "{memory:?}");
            assert_eq!(memory.approximate_wolfe(), switched);
        }
        let f = 4.001;
        let mut phi = FnPhi::new(|t: f64| (f + (t - 1.0).powi(2) - 1.0, 2.0 * (t - 1.0)));
        hz.search_with(&mut phi, f, -2.0, 1.0, &mut memory).unwrap();
        let c = 6.470_588_235_294_118 + (4.001 - 6.470_588_235_294_118) / 2.19;
        assert!((memory.value_scale() - c).abs() < 1e-12, "{memory:?}");
        assert!(memory.approximate_wolfe());
        // ω = 0 never switches, even when f does not change at all.
        let never = HagerZhang { omega: 0.0, ..hz };
        let mut memory = SearchMemory::default();
        for _ in 0..3 {
            let mut phi = FnPhi::new(|t: f64| ((t - 1.0).powi(2) - 1.0, 2.0 * (t - 1.0)));
            never.search_with(&mut phi, 0.0, -2.0, 1.0, &mut memory).unwrap();
        }
        assert!(!memory.approximate_wolfe());
    }

    #[test]
    fn secant_steps_find_a_quadratic_minimiser() {
        // φ(t) = (t − 3)² from t₀ = 1: φ'(1) = −4 < σφ'(0) = −5.4? No: −4 ≥ −5.4 and
        // φ(1) − 9 = −5 ≤ 0.1·1·(−6): T1 holds at once.
        let phi_fn = |t: f64| ((t - 3.0).powi(2), 2.0 * (t - 3.0));
        let accepted = searched(&HagerZhang::default(), phi_fn, 1.0).unwrap();
        assert_eq!((accepted.step, accepted.evaluations), (1.0, 1));
        // With σ = 0.2 the slope must shrink below 1.2 in magnitude: from t₀ = 10
        // (φ'(10) = 14 ≥ 0, a bracket [0, 10] at once) one secant step. Before the switch it
        // is the zero of ψ'(t) = φ'(t) − δφ'(0) = 2(t − 3) + 0.6, t = 2.7; with T2 allowed the
        // bracket is kept on φ and the secant through the slopes of a quadratic is exact.
        let tight = HagerZhang { sigma: 0.2, ..HagerZhang::default() };
        let accepted = searched(&tight, phi_fn, 10.0).unwrap();
        assert!((accepted.step - 2.7).abs() < 1e-12 && accepted.evaluations == 2, "{accepted:?}");
        let tight = HagerZhang { omega: f64::INFINITY, ..tight };
        let accepted = searched(&tight, phi_fn, 10.0).unwrap();
        assert_eq!((accepted.step, accepted.evaluations), (3.0, 2));
    }

    #[test]
    fn invalid_settings_name_the_field() {
        let name = |search: HagerZhang| match search.validate() {
            Err(Error::InvalidHyperparameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        let d = HagerZhang::default();
        assert!(d.validate().is_ok());
        assert_eq!(name(HagerZhang { delta: 0.5, ..d }), "delta");
        assert_eq!(name(HagerZhang { delta: 0.0, ..d }), "delta");
        assert_eq!(name(HagerZhang { sigma: 1.0, ..d }), "sigma");
        assert_eq!(name(HagerZhang { sigma: 0.05, ..d }), "sigma");
        assert_eq!(name(HagerZhang { epsilon: -1.0, ..d }), "epsilon");
        assert_eq!(name(HagerZhang { omega: f64::NAN, ..d }), "omega");
        assert_eq!(name(HagerZhang { decay: 1.5, ..d }), "decay");
        assert_eq!(name(HagerZhang { gamma: 1.0, ..d }), "gamma");
        assert_eq!(name(HagerZhang { rho: 1.0, ..d }), "rho");
        assert_eq!(name(HagerZhang { step_max: f64::INFINITY, ..d }), "step_max");
        assert_eq!(name(HagerZhang { max_evaluations: 0, ..d }), "max_evaluations");
        let bad_psi = InitialStep::HagerZhang { psi0: 0.0, psi2: 2.0 };
        assert_eq!(name(HagerZhang { initial: bad_psi, ..d }), "initial");
        assert!(HagerZhang { omega: f64::INFINITY, ..d }.validate().is_ok());
    }

    proptest! {
        // About a third of the draws have φ'(0) ≥ 0 and are rejected; allow that.
        #![proptest_config(ProptestConfig { max_global_rejects: 1 << 24, ..ProptestConfig::default() })]

        /// On smooth functions bounded below with φ'(0) < 0 (a quartic well plus a ripple),
        /// every accepted step satisfies the Wolfe conditions (T1), or the approximate Wolfe
        /// conditions (T2) when they are allowed, and was the last evaluation; a search never
        /// fails on them.
        #[test]
        fn accepted_steps_satisfy_the_conditions_they_claim(
            a in 0.1f64..100.0,
            b in 0.1f64..3.0,
            q in 0.0f64..10.0,
            c in 0.0f64..3.0,
            d in -5.0f64..5.0,
            offset in -1e3f64..1e3,
            t0 in 1e-3f64..1e3,
            sigma in prop_oneof![Just(0.1), Just(0.9)],
            approximate in proptest::bool::ANY,
        ) {
            // φ(t) = offset + a(t − b)² + q(t − b)⁴ + c·sin(d·t): bounded below since a > 0.
            let phi_fn = move |t: f64| {
                let u = t - b;
                (
                    offset + a * u * u + q * u.powi(4) + c * (d * t).sin(),
                    2.0 * a * u + 4.0 * q * u.powi(3) + c * d * (d * t).cos(),
                )
            };
            prop_assume!(phi_fn(0.0).1 < -1e-3);
            let omega = if approximate { f64::INFINITY } else { 1e-3 };
            let hz = HagerZhang { sigma, omega, ..HagerZhang::default() };
            let result = searched(&hz, phi_fn, t0);
            prop_assert!(result.is_ok(), "{:?}", result);
        }
    }
}
