//! L-BFGS-B: limited-memory BFGS for box bounds, by the generalised Cauchy point and
//! subspace minimisation (Byrd, Lu, Nocedal & Zhu 1995), as in the Fortran L-BFGS-B 3.0 that
//! scipy ships.
//!
//! # The idea
//! Keep the last m secant pairs (sᵢ, yᵢ) as the compact representation of a BFGS matrix B
//! (Byrd, Nocedal & Schnabel 1994). Each iteration minimises the quadratic model
//! m(x) = fₖ + ∇fₖᵀ(x − xₖ) + ½(x − xₖ)ᵀB(x − xₖ) over the box in two stages: first along the
//! projected steepest-descent path x(t) = P(xₖ − t∇fₖ), a piecewise-linear path whose first
//! local minimiser is the **generalised Cauchy point** xᶜ and fixes the active set; then over
//! the variables still free at xᶜ, with the active ones held at their bounds (**subspace
//! minimisation**). The line from xₖ to the result is searched by Moré–Thuente, never beyond
//! the box.
//!
//! # The update equations
//! Compact form (BLNZ §3), with Sₖ = (s₁ … s_c), Yₖ = (y₁ … y_c) (n×c, c ≤ m pairs, oldest first):
//!
//! ```text
//! B = θI − W M Wᵀ,   W = [Y  θS],   M = [ −D   Lᵀ  ]⁻¹
//!                                       [  L   θSᵀS ]
//! D = diag(sᵢᵀyᵢ),   Lᵢⱼ = sᵢᵀyⱼ (i > j, else 0),   θ = yᵀy / sᵀy of the newest pair
//! ```
//!
//! M·v costs O(c²) through the Cholesky factor of T = θSᵀS + LD⁻¹Lᵀ (`formt`, `bmv`).
//!
//! **Generalised Cauchy point (BLNZ §4, Alg. CP).** Breakpoints tᵢ along d = −∇f: (xᵢ − uᵢ)/gᵢ
//! for gᵢ < 0, (xᵢ − lᵢ)/gᵢ for gᵢ > 0, ∞ otherwise. On each segment [tⱼ₋₁, tⱼ] the model is a
//! quadratic in Δt with slope f' and curvature f''; with p = Wᵀd, c = Wᵀ(x(t) − x):
//!
//! ```text
//! f' = −dᵀd,  f'' = −θf' − pᵀMp,  Δt* = −f'/f''                     (start)
//! while Δt* ≥ Δt (the minimiser lies beyond the next breakpoint, variable b):
//!     xᶜ_b = bound,  z_b = xᶜ_b − x_b,  c ← c + Δt·p
//!     f' ← f' + Δt·f'' + g_b² + θg_b z_b − g_b w_bᵀMc                (BLNZ §4)
//!     f'' ← f'' − θg_b² − 2g_b w_bᵀMp − g_b² w_bᵀMw_b                (BLNZ §4)
//!     p ← p + g_b w_b,  d_b ← 0,  Δt* = −f'/f''
//! xᶜ = x(t_old + max(Δt*, 0)),  c ← c + Δt*·p
//! ```
//!
//! **Subspace minimisation, direct primal method (BLNZ §5.1).** With Z the free variables at
//! xᶜ, the reduced gradient r = Zᵀ(∇f + θ(xᶜ − x) − WMc) and the reduced matrix
//! B̂ = θI − ZᵀWMWᵀZ, the Newton step d̂ = −B̂⁻¹r by Sherman–Morrison–Woodbury (BLNZ §5.1):
//!
//! ```text
//! d̂ = −(1/θ)r − (1/θ²) ZᵀW K⁻¹ WᵀZ r,    K = M⁻¹ − (1/θ) WᵀZZᵀW
//!   = [ −D − YᵀZZᵀY/θ        (L − SᵀZZᵀY)ᵀ ]
//!     [  L − SᵀZZᵀY           θSᵀAAᵀS      ]                          (A: the active set)
//! ```
//!
//! K is factored as UᵀJU with J = diag(−I, I) (`formk`): Cholesky of D + YᵀZZᵀY/θ, then of
//! the Schur complement. **The 2011 remark (Morales & Nocedal):** x̄ = P(xᶜ + Zd̂); if a bound
//! clipped it and (x̄ − x)ᵀ∇f > 0, fall back to the 1995 rule, the longest feasible step along
//! d̂ from xᶜ (backtracking).
//!
//! **Line search and update.** dₖ = x̄ − xₖ; Moré–Thuente on φ(t) = f(xₖ + t dₖ) with
//! t ≤ t_max = the longest feasible step (`stpmx`, 1 on the first iteration of a bounded
//! problem), first trial t = 1, or min(1/‖d‖, t_max) on the first iteration when not every
//! variable is boxed. The pair (s, y) is skipped when sᵀy ≤ ε·(−∇fₖᵀs), ε = 2.2·10⁻¹⁶
//! (`dr ≤ epsmch·ddum` in `mainlb`).
//!
//! | symbol | field / state | meaning | default |
//! |---|---|---|---|
//! | m | `memory` | pairs kept | 10 (scipy) |
//! | l, u | `bounds` | the box | |
//! | θ | state | scale of B₀ = θI | 1 before any pair |
//! | S, Y, c | state | the pairs, oldest first; their number | |
//! | xᶜ | state | the generalised Cauchy point | |
//! | c₁, c₂, xtol | `line_search` | Moré–Thuente constants | 1e-3, 0.9, 0.1 (`lnsrlb`: `ftol`, `gtol`, `xtol`) |
//! | ε | [`SKIP_EPSILON`] | skip rule | 2.220446049250313e-16 (`epsmch`) |
//!
//! **Defaults and why.** Everything as the Fortran 3.0 / scipy 1.17 (`maxls = 20` is the line
//! search's `max_evaluations`, `step_min = 0` its `stpmin`), so that evaluation counts can be
//! compared with scipy's.
//!
//! # Deviations from the Fortran (and scipy)
//! * `formk` updates the products YᵀZZᵀY, SᵀZZᵀY, SᵀAAᵀS incrementally from the variables that
//!   entered or left the free set. We keep YᵀY, SᵀY, SᵀS of all n variables (updated per new
//!   pair, 4c dot products) and compute the restricted products over whichever of the free or
//!   the active set is smaller, the other by subtraction: O(c²·min(|free|, |active|)) per
//!   iteration, nothing at all without bounds.
//! * The breakpoints past the first are sorted once (in place, `sort_unstable`) instead of
//!   kept in a heap (`hpsolb`); as in the Fortran, the common case of one breakpoint costs no
//!   sort.
//! * A line-search warning (rounding errors, interval too small, step at `t_max`) is accepted as
//!   the new iterate, as `lnsrlb` does, but only if f did not increase there; otherwise, like a
//!   failed search or a failed factorisation, the memory is cleared and the iteration restarts
//!   from the Cauchy step (`RESTART_FROM_LNSRCH`); with an empty memory it is reported as
//!   [`Status::LineSearchFailed`](crate::Status::LineSearchFailed).
//! * Every trial point is projected into the box before evaluation (rounding in x + t·d).
//! * Convergence is the driver's: ‖P(x − ∇f) − x‖₂ ≤ `gtol` (scipy: the ∞-norm ≤ `pgtol`) and
//!   `ftol_rel` for scipy's `factr·epsmch` (scipy divides by max(|fₖ|, |fₖ₊₁|, 1)).
//!
//! With every bound infinite the Cauchy step is skipped (as the Fortran does) and d = −B⁻¹∇f is
//! the L-BFGS direction: the iterates are [`Lbfgs`](crate::Lbfgs)'s with the same line search,
//! up to rounding (tested).
//!
//! # References
//! * R. H. Byrd, P. Lu, J. Nocedal, C. Zhu (1995), *A limited memory algorithm for bound
//!   constrained optimization*, SIAM J. Sci. Comput. 16(5), 1190–1208 (BLNZ).
//! * R. H. Byrd, J. Nocedal, R. B. Schnabel (1994), *Representations of quasi-Newton matrices
//!   and their use in limited memory methods*, Math. Programming 63, 129–156.
//! * C. Zhu, R. H. Byrd, P. Lu, J. Nocedal (1997), *Algorithm 778: L-BFGS-B, Fortran
//!   subroutines for large-scale bound-constrained optimization*, ACM TOMS 23(4), 550–560.
//! * J. L. Morales, J. Nocedal (2011), *Remark on "Algorithm 778: L-BFGS-B"*, ACM TOMS 38(1),
//!   article 7.
//!
//! # Example
//! ```
//! use descent::bounds::{Bounds, Lbfgsb};
//! use descent::{minimize, Options, problems::Rosenbrock};
//!
//! // Rosenbrock in the box [2, 3] × [−∞, ∞]: the minimiser is (2, 4), on the bound x₁ = 2.
//! let f = Rosenbrock::new(2)?;
//! let bounds = Bounds::new(vec![2.0, f64::NEG_INFINITY], vec![3.0, f64::INFINITY])?;
//! let report = minimize(&f, &[3.0, 0.0], Lbfgsb::new(bounds), &Options::default())?;
//! assert!(report.status.is_converged());
//! assert_eq!(report.x[0], 2.0);
//! assert!((report.x[1] - 4.0).abs() < 1e-6);
//! # Ok::<(), descent::Error>(())
//! ```

use super::{Bounds, BoxRay};
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::error::at_least_one;
use crate::kernels::{dot, norm, secant_pair};
use crate::line_search::{InitialStep, LineSearch, LineSearchFailure, MoreThuente};
use crate::{Error, Objective, Result};

/// ε of the skip rule: the machine epsilon, as the Fortran's `epsmch`.
pub const SKIP_EPSILON: f64 = f64::EPSILON;

/// L-BFGS-B (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Lbfgsb {
    /// The box.
    pub bounds: Bounds,
    /// m: the number of secant pairs kept (at least 1).
    pub memory: usize,
    /// The line search; its `step_max` is the cap on the longest feasible step.
    pub line_search: MoreThuente,
}

impl Lbfgsb {
    /// L-BFGS-B in `bounds` with memory 10 and the Fortran's line search.
    #[must_use]
    pub fn new(bounds: Bounds) -> Self {
        Self { bounds, memory: 10, line_search: Self::fortran_line_search() }
    }

    /// The same method keeping `memory` pairs.
    #[must_use]
    pub fn with_memory(self, memory: usize) -> Self {
        Self { memory, ..self }
    }

    /// Moré–Thuente with the constants of `lnsrlb`: c₁ = 1e-3, c₂ = 0.9, xtol = 0.1,
    /// `stpmin` = 0, `stpmax` = 1e10 (`big`), 20 evaluations.
    #[must_use]
    pub fn fortran_line_search() -> MoreThuente {
        MoreThuente {
            c1: 1e-3,
            c2: 0.9,
            xtol: 0.1,
            step_min: 0.0,
            step_max: 1e10,
            max_evaluations: 20,
            initial: InitialStep::Base,
        }
    }
}

/// Where a variable stands (the Fortran's `iwhere`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    /// Inside its finite bounds (`0`).
    Free,
    /// No finite bound (`-1`).
    Unbounded,
    /// Inside its bounds with a zero gradient (`-3`).
    ZeroGradient,
    /// At its lower bound (`1`).
    AtLower,
    /// At its upper bound (`2`).
    AtUpper,
    /// lᵢ = uᵢ (`3`).
    Fixed,
}

impl Where {
    fn is_free(self) -> bool {
        matches!(self, Self::Free | Self::Unbounded | Self::ZeroGradient)
    }
}

/// State of [`Lbfgsb`]: the pairs, the small matrices of the compact form and every work
/// vector, allocated in `init`.
#[derive(Debug, Clone, PartialEq)]
pub struct LbfgsbState {
    n: usize,
    m: usize,
    /// m + 1 ring slots: a new pair is written into a free slot before the skip rule decides.
    slots: usize,
    /// sᵢ, slot j at `j*n..(j+1)*n`.
    s: Vec<f64>,
    /// yᵢ, slot j at `j*n..(j+1)*n`.
    y: Vec<f64>,
    /// The slot of the oldest pair.
    head: usize,
    /// c: pairs in memory.
    len: usize,
    theta: f64,
    /// SᵀS, SᵀY, YᵀY over all n variables, oldest first, m×m row-major (`ss`, `sy` of the
    /// Fortran; YᵀY is ours).
    ss: Vec<f64>,
    sy: Vec<f64>,
    yy: Vec<f64>,
    /// R with T = θSᵀS + LD⁻¹Lᵀ = RᵀR (`wt`), m×m.
    wt: Vec<f64>,
    /// U with K = UᵀJU (`wn`), 2m×2m.
    wn: Vec<f64>,
    /// Offsets of the pairs' slots, oldest first, and one row of S and Y (scratch of `formk`).
    offsets: Vec<usize>,
    gathered: Vec<f64>,
    /// YᵀZZᵀY, SᵀZZᵀY, SᵀAAᵀS (m×m scratch of `formk`).
    yzzy: Vec<f64>,
    szzy: Vec<f64>,
    saas: Vec<f64>,
    xcp: Vec<f64>,
    /// The Cauchy direction, then the search direction.
    d: Vec<f64>,
    /// Reduced gradient, then subspace step, over `index[..nfree]`.
    r: Vec<f64>,
    place: Vec<Where>,
    breaks: Vec<(f64, usize)>,
    /// Free variables in `index[..nfree]`, active ones after.
    index: Vec<usize>,
    nfree: usize,
    /// 2m work vectors: p, c, v, w_b, and WᵀZr.
    p: Vec<f64>,
    c: Vec<f64>,
    v: Vec<f64>,
    wbp: Vec<f64>,
    wv: Vec<f64>,
    constrained: bool,
    boxed: bool,
    iteration: usize,
    skipped: usize,
    refreshes: usize,
}

impl LbfgsbState {
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

    /// Times the memory was cleared after a failed line search or factorisation.
    #[must_use]
    pub fn refreshes(&self) -> usize {
        self.refreshes
    }

    /// Variables free at the last generalised Cauchy point.
    #[must_use]
    pub fn free_variables(&self) -> usize {
        self.nfree
    }

    fn slot(&self, j: usize) -> usize {
        (self.head + j) % self.slots
    }

    fn s_of(&self, j: usize) -> &[f64] {
        let k = self.slot(j) * self.n;
        &self.s[k..k + self.n]
    }

    fn y_of(&self, j: usize) -> &[f64] {
        let k = self.slot(j) * self.n;
        &self.y[k..k + self.n]
    }

    fn clear(&mut self) {
        self.len = 0;
        self.head = 0;
        self.theta = 1.0;
    }

    /// `out` ← M·`v` for 2c-vectors (the Fortran's `bmv`).
    fn bmv(&self, v: &[f64], out: &mut [f64]) {
        let (c, m) = (self.len, self.m);
        let sy = |i: usize, j: usize| self.sy[i * m + j];
        // Solve [D^½ 0; −LD^-½ J][p1; p2] = [v1; v2]: J p2 = v2 + LD⁻¹v1 (J = Rᵀ).
        for i in 0..c {
            let mut sum = 0.0;
            for k in 0..i {
                sum += sy(i, k) * v[k] / sy(k, k);
            }
            out[c + i] = v[c + i] + sum;
        }
        solve_upper_transposed(&self.wt, m, c, &mut out[c..2 * c]);
        // Solve [−D^½ D^-½Lᵀ; 0 Jᵀ][p1; p2] = [D^-½ v1; p2].
        solve_upper(&self.wt, m, c, &mut out[c..2 * c]);
        for i in 0..c {
            let mut sum = 0.0;
            for k in i + 1..c {
                sum += sy(k, i) * out[c + k];
            }
            out[i] = -v[i] / sy(i, i) + sum / sy(i, i);
        }
    }

    /// T = θSᵀS + LD⁻¹Lᵀ and its Cholesky factor (`formt`). False if T is not positive
    /// definite.
    fn form_t(&mut self) -> bool {
        let (c, m) = (self.len, self.m);
        for i in 0..c {
            for j in i..c {
                let mut sum = 0.0;
                for k in 0..i {
                    sum += self.sy[i * m + k] * self.sy[j * m + k] / self.sy[k * m + k];
                }
                self.wt[i * m + j] = self.theta * self.ss[i * m + j] + sum;
            }
        }
        cholesky_upper(&mut self.wt, m, c)
    }

    /// The generalised Cauchy point xᶜ and c = Wᵀ(xᶜ − x) (BLNZ Alg. CP; the Fortran's
    /// `cauchy`).
    fn cauchy(&mut self, b: &Bounds, x: &[f64], g: &[f64]) {
        let (n, c, theta) = (self.n, self.len, self.theta);
        let (lower, upper) = (b.lower(), b.upper());
        let mut f1 = 0.0;
        let mut nbreak = 0;
        let mut movers = 0;
        let mut bounded = true;
        let (mut bkmin, mut ibkmin) = (0.0, 0);
        for i in 0..n {
            let neggi = -g[i];
            let (l, u) = (lower[i], upper[i]);
            let (tl, tu) = (x[i] - l, u - x[i]);
            if self.place[i] != Where::Fixed && self.place[i] != Where::Unbounded {
                // A variable at a bound with the gradient pushing outwards stays there.
                self.place[i] = if l.is_finite() && tl <= 0.0 {
                    if neggi <= 0.0 { Where::AtLower } else { Where::Free }
                } else if u.is_finite() && tu <= 0.0 {
                    if neggi >= 0.0 { Where::AtUpper } else { Where::Free }
                } else if neggi == 0.0 {
                    Where::ZeroGradient
                } else {
                    Where::Free
                };
            }
            if !matches!(self.place[i], Where::Free | Where::Unbounded) {
                self.d[i] = 0.0;
                continue;
            }
            self.d[i] = neggi;
            f1 -= neggi * neggi;
            // BLNZ §4: the breakpoint tᵢ.
            let t = if l.is_finite() && neggi < 0.0 {
                tl / -neggi
            } else if u.is_finite() && neggi > 0.0 {
                tu / neggi
            } else {
                if neggi != 0.0 {
                    movers += 1;
                    bounded = false;
                }
                continue;
            };
            if nbreak == 0 || t < bkmin {
                bkmin = t;
                ibkmin = nbreak;
            }
            self.breaks[nbreak] = (t, i);
            nbreak += 1;
        }
        self.xcp.copy_from_slice(x);
        self.c[..2 * c].fill(0.0);
        if nbreak == 0 && movers == 0 {
            return; // d = 0: x is the Cauchy point.
        }
        // p = Wᵀd.
        for j in 0..c {
            self.p[j] = dot(self.y_of(j), &self.d);
            self.p[c + j] = theta * dot(self.s_of(j), &self.d);
        }
        // BLNZ §4: f' and f'' at t = 0.
        let mut f2 = -theta * f1;
        let f2_org = f2;
        if c > 0 {
            let mut v = std::mem::take(&mut self.v);
            self.bmv(&self.p, &mut v);
            f2 -= dot(&v[..2 * c], &self.p[..2 * c]);
            self.v = v;
        }
        let mut dtm = -f1 / f2;
        let mut tsum = 0.0;
        let mut all_fixed = false;
        if nbreak > 0 {
            let mut nleft = nbreak;
            let mut iter = 1;
            let mut tj = 0.0;
            loop {
                let tj0 = tj;
                let ibp;
                if iter == 1 {
                    // The smallest breakpoint is known; most iterations need no more.
                    tj = bkmin;
                    ibp = self.breaks[ibkmin].1;
                } else {
                    if iter == 2 {
                        // Drop the used breakpoint, sort the rest (hpsolb's heap, at once).
                        self.breaks.swap(ibkmin, nbreak - 1);
                        self.breaks[..nbreak - 1].sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                    }
                    (tj, ibp) = self.breaks[iter - 2];
                }
                let dt = tj - tj0;
                if dtm < dt {
                    break; // The minimiser lies on this segment.
                }
                // Fix variable ibp at its bound.
                tsum += dt;
                nleft -= 1;
                iter += 1;
                let dibp = self.d[ibp];
                self.d[ibp] = 0.0;
                let zibp = if dibp > 0.0 {
                    self.xcp[ibp] = upper[ibp];
                    self.place[ibp] = Where::AtUpper;
                    upper[ibp] - x[ibp]
                } else {
                    self.xcp[ibp] = lower[ibp];
                    self.place[ibp] = Where::AtLower;
                    lower[ibp] - x[ibp]
                };
                if nleft == 0 && nbreak == n {
                    // Every variable is fixed: xᶜ is the corner reached.
                    dtm = dt;
                    all_fixed = true;
                    break;
                }
                // BLNZ §4 (the updates of f', f'' in the module docs), with dibp = −g_b.
                let dibp2 = dibp * dibp;
                f1 += dt * f2 + dibp2 - theta * dibp * zibp;
                f2 -= theta * dibp2;
                if c > 0 {
                    for j in 0..2 * c {
                        self.c[j] += dt * self.p[j];
                    }
                    for j in 0..c {
                        let k = self.slot(j) * n + ibp;
                        self.wbp[j] = self.y[k];
                        self.wbp[c + j] = theta * self.s[k];
                    }
                    let mut v = std::mem::take(&mut self.v);
                    self.bmv(&self.wbp, &mut v);
                    let wmc = dot(&self.c[..2 * c], &v[..2 * c]);
                    let wmp = dot(&self.p[..2 * c], &v[..2 * c]);
                    let wmw = dot(&self.wbp[..2 * c], &v[..2 * c]);
                    self.v = v;
                    for j in 0..2 * c {
                        self.p[j] -= dibp * self.wbp[j];
                    }
                    f1 += dibp * wmc;
                    f2 += 2.0 * dibp * wmp - dibp2 * wmw;
                }
                f2 = f2.max(f64::EPSILON * f2_org);
                if nleft > 0 {
                    dtm = -f1 / f2;
                } else if bounded {
                    dtm = 0.0;
                    break;
                } else {
                    dtm = -f1 / f2;
                    break;
                }
            }
        }
        if !all_fixed {
            dtm = dtm.max(0.0);
            tsum += dtm;
            // The variables not fixed move to t = tsum along d.
            for (xc, d) in self.xcp.iter_mut().zip(&self.d) {
                *xc += tsum * d;
            }
        }
        for j in 0..2 * c {
            self.c[j] += dtm * self.p[j];
        }
    }

    /// The free variables at xᶜ first in `index`, the active ones after (`freev`).
    fn partition(&mut self) {
        let n = self.n;
        let (mut free, mut active) = (0, n);
        for i in 0..n {
            if self.place[i].is_free() {
                self.index[free] = i;
                free += 1;
            } else {
                active -= 1;
                self.index[active] = i;
            }
        }
        self.nfree = free;
    }

    /// K = UᵀJU for the free set (`formk`). False if a factor is not positive definite.
    fn form_k(&mut self) -> bool {
        let (n, c, m, theta) = (self.n, self.len, self.m, self.theta);
        // The restricted products, over the smaller of the free and active sets.
        let over_free = self.nfree <= n - self.nfree;
        let list = if over_free { &self.index[..self.nfree] } else { &self.index[self.nfree..] };
        self.yzzy[..m * m].fill(0.0);
        self.szzy[..m * m].fill(0.0);
        self.saas[..m * m].fill(0.0);
        for (i, o) in self.offsets[..c].iter_mut().enumerate() {
            *o = ((self.head + i) % self.slots) * n;
        }
        let (sk, yk) = self.gathered.split_at_mut(m);
        for &k in list {
            // Row k of S and Y, gathered once; then the outer products (the symmetric two on
            // their upper triangles).
            for ((o, s), y) in self.offsets[..c].iter().zip(sk.iter_mut()).zip(yk.iter_mut()) {
                (*s, *y) = (self.s[o + k], self.y[o + k]);
            }
            for i in 0..c {
                let (si, yi) = (sk[i], yk[i]);
                let row = i * m;
                for j in 0..c {
                    self.szzy[row + j] += si * yk[j];
                }
                for j in i..c {
                    self.yzzy[row + j] += yi * yk[j];
                    self.saas[row + j] += si * sk[j];
                }
            }
        }
        for i in 0..c {
            for j in 0..i {
                self.yzzy[i * m + j] = self.yzzy[j * m + i];
                self.saas[i * m + j] = self.saas[j * m + i];
            }
        }
        for i in 0..c {
            for j in 0..c {
                let q = i * m + j;
                if over_free {
                    self.saas[q] = self.ss[q] - self.saas[q];
                } else {
                    self.yzzy[q] = self.yy[q] - self.yzzy[q];
                    self.szzy[q] = self.sy[q] - self.szzy[q];
                }
            }
        }
        // Top-left: P = D + YᵀZZᵀY/θ = R₁ᵀR₁.
        let w = 2 * m;
        for i in 0..c {
            for j in i..c {
                let diag = if i == j { self.sy[i * m + i] } else { 0.0 };
                self.wn[i * w + j] = diag + self.yzzy[i * m + j] / theta;
            }
        }
        if !cholesky_upper(&mut self.wn, w, c) {
            return false;
        }
        // Top-right: E = R₁⁻ᵀBᵀ, B = L − SᵀZZᵀY (L strictly lower of SᵀY).
        for col in 0..c {
            for row in 0..c {
                // Bᵀ[row][col] = B[col][row].
                let l = if col > row { self.sy[col * m + row] } else { 0.0 };
                self.wn[row * w + c + col] = l - self.szzy[col * m + row];
            }
            for row in 0..c {
                let mut sum = self.wn[row * w + c + col];
                for k in 0..row {
                    sum -= self.wn[k * w + row] * self.wn[k * w + c + col];
                }
                self.wn[row * w + c + col] = sum / self.wn[row * w + row];
            }
        }
        // Bottom-right: θSᵀAAᵀS + EᵀE = R₂ᵀR₂.
        for i in 0..c {
            for j in i..c {
                let mut sum = theta * self.saas[i * m + j];
                for k in 0..c {
                    sum += self.wn[k * w + c + i] * self.wn[k * w + c + j];
                }
                self.wn[(c + i) * w + c + j] = sum;
            }
        }
        if !cholesky_upper(&mut self.wn[c * w + c..], w, c) {
            return false;
        }
        // U = [R₁ −E; 0 R₂].
        for row in 0..c {
            for col in 0..c {
                self.wn[row * w + c + col] = -self.wn[row * w + c + col];
            }
        }
        true
    }

    /// r = −Zᵀ(∇f + θ(xᶜ − x) − WMc) (`cmprlb`).
    fn reduced_gradient(&mut self, x: &[f64], g: &[f64]) {
        let (n, c, theta) = (self.n, self.len, self.theta);
        let mut v = std::mem::take(&mut self.v);
        self.bmv(&self.c, &mut v);
        for (r, &i) in self.r.iter_mut().zip(&self.index[..self.nfree]) {
            *r = -theta * (self.xcp[i] - x[i]) - g[i];
        }
        for j in 0..c {
            let (a1, a2) = (v[j], theta * v[c + j]);
            let base = self.slot(j) * n;
            let (s, y) = (&self.s[base..base + n], &self.y[base..base + n]);
            for (r, &i) in self.r.iter_mut().zip(&self.index[..self.nfree]) {
                *r += y[i] * a1 + s[i] * a2;
            }
        }
        self.v = v;
    }

    /// The subspace step from xᶜ, projected (Morales–Nocedal 2011), into `d` as x̄ − x
    /// (`subsm`).
    fn subspace_step(&mut self, b: &Bounds, x: &[f64], g: &[f64]) {
        let (n, c, m, theta, nfree) = (self.n, self.len, self.m, self.theta, self.nfree);
        let (lower, upper) = (b.lower(), b.upper());
        // With every variable free, Z = I and `index` is the identity: contiguous, vectorised
        // passes instead of gathers.
        let all_free = nfree == n;
        // wv = WᵀZr.
        for j in 0..c {
            let base = self.slot(j) * n;
            let (s, y) = (&self.s[base..base + n], &self.y[base..base + n]);
            let (ty, ts) = if all_free {
                (dot(y, &self.r), dot(s, &self.r))
            } else {
                let (mut ty, mut ts) = (0.0, 0.0);
                for (r, &i) in self.r.iter().zip(&self.index[..nfree]) {
                    ty += y[i] * r;
                    ts += s[i] * r;
                }
                (ty, ts)
            };
            self.wv[j] = ty;
            self.wv[c + j] = theta * ts;
        }
        // wv ← K⁻¹wv = U⁻¹JU⁻ᵀwv.
        solve_upper_transposed(&self.wn, 2 * m, 2 * c, &mut self.wv[..2 * c]);
        for w in &mut self.wv[..c] {
            *w = -*w;
        }
        solve_upper(&self.wn, 2 * m, 2 * c, &mut self.wv[..2 * c]);
        // d̂ = (1/θ)r + (1/θ²)ZᵀW wv (BLNZ §5.1).
        for j in 0..c {
            let base = self.slot(j) * n;
            let (s, y) = (&self.s[base..base + n], &self.y[base..base + n]);
            let (a1, a2) = (self.wv[j] / theta, self.wv[c + j]);
            if all_free {
                for ((r, y), s) in self.r.iter_mut().zip(y).zip(s) {
                    *r += y * a1 + s * a2;
                }
            } else {
                for (r, &i) in self.r.iter_mut().zip(&self.index[..nfree]) {
                    *r += y[i] * a1 + s[i] * a2;
                }
            }
        }
        for r in &mut self.r[..nfree] {
            *r /= theta;
        }
        // Morales–Nocedal 2011: x̄ = P(xᶜ + Zd̂), kept if it is a descent direction from x.
        let z = &mut self.d;
        z.copy_from_slice(&self.xcp);
        let mut clipped = false;
        for (r, &i) in self.r.iter().zip(&self.index[..nfree]) {
            let zi = (self.xcp[i] + r).max(lower[i]).min(upper[i]);
            clipped |= zi == lower[i] || zi == upper[i];
            z[i] = zi;
        }
        if clipped {
            let slope: f64 = z.iter().zip(x).zip(g).map(|((z, x), g)| (z - x) * g).sum();
            if slope > 0.0 {
                // BLNZ 1995: the longest feasible step along d̂ from xᶜ.
                z.copy_from_slice(&self.xcp);
                let mut alpha = 1.0_f64;
                let mut blocking = None;
                for (k, (&dk, &i)) in self.r.iter().zip(&self.index[..nfree]).enumerate() {
                    let limit = if dk < 0.0 && lower[i].is_finite() {
                        let room = lower[i] - self.xcp[i];
                        if room >= 0.0 { 0.0 } else { room / dk }
                    } else if dk > 0.0 && upper[i].is_finite() {
                        let room = upper[i] - self.xcp[i];
                        if room <= 0.0 { 0.0 } else { room / dk }
                    } else {
                        continue;
                    };
                    if limit < alpha {
                        alpha = limit;
                        blocking = Some(k);
                    }
                }
                if let Some(k) = blocking {
                    let i = self.index[k];
                    z[i] = if self.r[k] > 0.0 { upper[i] } else { lower[i] };
                    self.r[k] = 0.0;
                }
                for (r, &i) in self.r.iter().zip(&self.index[..nfree]) {
                    z[i] += alpha * r;
                }
            }
        }
        for (d, x) in self.d.iter_mut().zip(x) {
            *d -= x;
        }
    }

    /// The search direction dₖ = x̄ − xₖ into `d`. False if a factorisation failed.
    fn direction(&mut self, b: &Bounds, x: &[f64], g: &[f64]) -> bool {
        let n = self.n;
        if self.constrained || self.len == 0 {
            self.cauchy(b, x, g);
            self.partition();
            if self.nfree == 0 || self.len == 0 {
                for ((d, xc), x) in self.d.iter_mut().zip(&self.xcp).zip(x) {
                    *d = xc - x;
                }
                return true;
            }
            if !self.form_k() {
                return false;
            }
            self.reduced_gradient(x, g);
        } else {
            // No finite bound and B ≠ θI: the Cauchy point is skipped (`mainlb`, label 333).
            self.xcp.copy_from_slice(x);
            for (k, i) in self.index.iter_mut().enumerate() {
                *i = k;
            }
            self.nfree = n;
            for (r, g) in self.r.iter_mut().zip(g) {
                *r = -g;
            }
            if !self.form_k() {
                return false;
            }
        }
        self.subspace_step(b, x, g);
        true
    }

    /// Adds the pair just written to the free slot, or skips it (`matupd`, `formt`).
    fn update(&mut self, sy_new: f64, yy_new: f64, gs: f64) {
        if !(sy_new > SKIP_EPSILON * -gs) || !sy_new.is_finite() {
            self.skipped += 1;
            return;
        }
        let (n, m) = (self.n, self.m);
        if self.len == m {
            // Drop the oldest pair: shift the products up and to the left.
            for mat in [&mut self.ss, &mut self.sy, &mut self.yy] {
                for i in 0..m - 1 {
                    for j in 0..m - 1 {
                        mat[i * m + j] = mat[(i + 1) * m + j + 1];
                    }
                }
            }
            self.head = (self.head + 1) % self.slots;
        } else {
            self.len += 1;
        }
        let new = self.len - 1;
        let kn = self.slot(new) * n;
        let (sn, yn) = (&self.s[kn..kn + n], &self.y[kn..kn + n]);
        for j in 0..new {
            let kj = self.slot(j) * n;
            let (sj, yj) = (&self.s[kj..kj + n], &self.y[kj..kj + n]);
            let (ss, s_new_y, sy_new_j, yy) = four_dots(sn, yn, sj, yj);
            self.ss[new * m + j] = ss;
            self.ss[j * m + new] = ss;
            self.sy[new * m + j] = s_new_y;
            self.sy[j * m + new] = sy_new_j;
            self.yy[new * m + j] = yy;
            self.yy[j * m + new] = yy;
        }
        self.ss[new * m + new] = dot(sn, sn);
        self.sy[new * m + new] = sy_new;
        self.yy[new * m + new] = yy_new;
        self.theta = yy_new / sy_new;
        if !self.form_t() {
            self.clear();
            self.refreshes += 1;
        }
    }
}

/// (s_newᵀs_j, s_newᵀy_j, s_jᵀy_new, y_newᵀy_j) in one pass, in `LANES` partial sums each so
/// that the compiler vectorises it (as `kernels::dot`).
fn four_dots(sn: &[f64], yn: &[f64], sj: &[f64], yj: &[f64]) -> (f64, f64, f64, f64) {
    const LANES: usize = 8;
    let mut acc = [[0.0; LANES]; 4];
    let chunks = sn
        .chunks_exact(LANES)
        .zip(yn.chunks_exact(LANES))
        .zip(sj.chunks_exact(LANES))
        .zip(yj.chunks_exact(LANES));
    for (((sn, yn), sj), yj) in chunks {
        for k in 0..LANES {
            acc[0][k] += sn[k] * sj[k];
            acc[1][k] += sn[k] * yj[k];
            acc[2][k] += sj[k] * yn[k];
            acc[3][k] += yn[k] * yj[k];
        }
    }
    let full = sn.len() - sn.len() % LANES;
    let tail = sn[full..].iter().zip(&yn[full..]).zip(&sj[full..]).zip(&yj[full..]);
    for (k, (((sn, yn), sj), yj)) in tail.enumerate() {
        acc[0][k] += sn * sj;
        acc[1][k] += sn * yj;
        acc[2][k] += sj * yn;
        acc[3][k] += yn * yj;
    }
    // Opaque to the optimiser, as in `kernels::sum_lanes`: the summation tree would otherwise
    // steer the vectoriser into shuffling lanes all through the loop.
    let acc = std::hint::black_box(acc);
    let sum = |a: &[f64; LANES]| a.iter().sum::<f64>();
    (sum(&acc[0]), sum(&acc[1]), sum(&acc[2]), sum(&acc[3]))
}

/// In place A = RᵀR for the leading `dim`×`dim` block of `a` (row stride `stride`), R upper
/// (LINPACK `dpofa`). False if A is not positive definite.
fn cholesky_upper(a: &mut [f64], stride: usize, dim: usize) -> bool {
    for j in 0..dim {
        let mut s = 0.0;
        for k in 0..j {
            let mut t = a[k * stride + j];
            for i in 0..k {
                t -= a[i * stride + k] * a[i * stride + j];
            }
            t /= a[k * stride + k];
            a[k * stride + j] = t;
            s += t * t;
        }
        let diag = a[j * stride + j] - s;
        if !(diag > 0.0) {
            return false;
        }
        a[j * stride + j] = diag.sqrt();
    }
    true
}

/// b ← R⁻ᵀb for upper-triangular R (forward substitution).
fn solve_upper_transposed(r: &[f64], stride: usize, dim: usize, b: &mut [f64]) {
    for i in 0..dim {
        let mut sum = b[i];
        for k in 0..i {
            sum -= r[k * stride + i] * b[k];
        }
        b[i] = sum / r[i * stride + i];
    }
}

/// b ← R⁻¹b for upper-triangular R (back substitution).
fn solve_upper(r: &[f64], stride: usize, dim: usize, b: &mut [f64]) {
    for i in (0..dim).rev() {
        let mut sum = b[i];
        for k in i + 1..dim {
            sum -= r[i * stride + k] * b[k];
        }
        b[i] = sum / r[i * stride + i];
    }
}

impl<O: Objective + ?Sized> Method<O> for Lbfgsb {
    type State = LbfgsbState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        at_least_one("memory", self.memory)?;
        self.line_search.validate()?;
        let n = objective.dim();
        self.bounds.check_dim(n)?;
        let m = self.memory;
        let too_big = Error::InvalidHyperparameter {
            name: "memory",
            value: m as f64,
            valid: "small enough that 2(m + 1)n numbers fit in memory",
        };
        let slots = m.checked_add(1).ok_or(too_big.clone())?;
        let ring = slots.checked_mul(n).ok_or(too_big.clone())?;
        let square = m.checked_mul(m).ok_or(too_big.clone())?;
        let place = self
            .bounds
            .lower()
            .iter()
            .zip(self.bounds.upper())
            .map(|(l, u)| {
                if l == u {
                    Where::Fixed
                } else if l.is_finite() || u.is_finite() {
                    Where::Free
                } else {
                    Where::Unbounded
                }
            })
            .collect();
        Ok(LbfgsbState {
            n,
            m,
            slots,
            s: vec![0.0; ring],
            y: vec![0.0; ring],
            head: 0,
            len: 0,
            theta: 1.0,
            ss: vec![0.0; square],
            sy: vec![0.0; square],
            yy: vec![0.0; square],
            wt: vec![0.0; square],
            wn: vec![0.0; 4 * square],
            offsets: vec![0; m],
            gathered: vec![0.0; 2 * m],
            yzzy: vec![0.0; square],
            szzy: vec![0.0; square],
            saas: vec![0.0; square],
            xcp: vec![0.0; n],
            d: vec![0.0; n],
            r: vec![0.0; n],
            place,
            breaks: vec![(0.0, 0); n],
            index: (0..n).collect(),
            nfree: n,
            p: vec![0.0; 2 * m],
            c: vec![0.0; 2 * m],
            v: vec![0.0; 2 * m],
            wbp: vec![0.0; 2 * m],
            wv: vec![0.0; 2 * m],
            constrained: self.bounds.is_constrained(),
            boxed: self.bounds.is_boxed(),
            iteration: 0,
            skipped: 0,
            refreshes: 0,
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        // At most twice: a failure with pairs in memory clears them and retries from the
        // Cauchy step (`RESTART_FROM_LNSRCH`).
        loop {
            if let Some(gs) = self.search(state, objective, current, next) {
                let n = state.n;
                let free = state.slot(state.len) * n;
                let (s, y) = (&mut state.s[free..free + n], &mut state.y[free..free + n]);
                let (_, yy, sy) = secant_pair(&current.x, &current.grad, &next.x, &next.grad, s, y);
                state.update(sy, yy, gs);
                state.iteration += 1;
                return StepOutcome::Moved;
            }
            if state.len == 0 {
                return StepOutcome::LineSearchFailed;
            }
            state.clear();
            state.refreshes += 1;
        }
    }

    fn bounds(&self) -> Option<&Bounds> {
        Some(&self.bounds)
    }
}

impl Lbfgsb {
    /// One direction and line search (`mainlb` to `lnsrlb`). On success `next` holds the new
    /// iterate and the result is ∇fₖᵀsₖ; `None` when no step was taken.
    fn search<O: Objective + ?Sized>(
        &self,
        state: &mut LbfgsbState,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> Option<f64> {
        if !state.direction(&self.bounds, &current.x, &current.grad) {
            return None;
        }
        let gd = dot(&current.grad, &state.d);
        if !(gd < 0.0) {
            return None; // `lnsrlb`: "ascent direction in projection".
        }
        let big = self.line_search.step_max;
        let step_max = match (state.constrained, state.iteration) {
            (false, _) => big,
            (true, 0) => 1.0,
            (true, _) => self.bounds.max_step(&current.x, &state.d, big),
        };
        if !(step_max > self.line_search.step_min) {
            return None;
        }
        let t0 = if state.iteration == 0 && !state.boxed {
            (1.0 / norm(&state.d)).min(step_max)
        } else {
            1.0
        };
        let search = MoreThuente { step_max, ..self.line_search };
        let mut phi = BoxRay {
            objective,
            bounds: &self.bounds,
            x: &current.x,
            direction: &state.d,
            trial: next,
        };
        let step = match search.search(&mut phi, current.value, gd, t0) {
            Ok(accepted) => accepted.step,
            // `lnsrlb` takes a warning's point as the new iterate; we require f not to rise.
            Err(
                LineSearchFailure::RoundingErrors { step, .. }
                | LineSearchFailure::IntervalTooSmall { step, .. }
                | LineSearchFailure::StepAtBound { step, .. },
            ) if next.value <= current.value => step,
            Err(_) => return None,
        };
        Some(gd * step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::Rosenbrock;

    /// The middle matrix M against the dense inverse of [−D Lᵀ; L θSᵀS], and K⁻¹ against the
    /// dense inverse of K, on random pairs with positive curvature.
    #[test]
    fn compact_form_solves_match_dense_inverses() {
        let n = 8;
        let memory = 4;
        let f = Rosenbrock::new(n).unwrap();
        let counted = Counted::new(&f);
        let bounds = Bounds::uniform(n, -1.0, 1.0).unwrap();
        let method = Lbfgsb::new(bounds).with_memory(memory);
        let mut st =
            <Lbfgsb as Method<Rosenbrock>>::init(&method, &counted, &Iterate::zeros(n)).unwrap();
        for k in 0..6 {
            let s: Vec<f64> = (0..n).map(|i| ((k * n + i) as f64 * 0.7).sin()).collect();
            let sum: f64 = s.iter().sum();
            let y: Vec<f64> =
                s.iter().enumerate().map(|(i, s)| (i + 1) as f64 * s + 0.1 * sum).collect();
            let free = st.slot(st.len) * n;
            st.s[free..free + n].copy_from_slice(&s);
            st.y[free..free + n].copy_from_slice(&y);
            st.update(dot(&s, &y), dot(&y, &y), -1.0);
        }
        let c = st.len;
        assert_eq!(c, memory);
        let (m, theta) = (st.m, st.theta);
        // Dense M⁻¹.
        let dim = 2 * c;
        let mut minv = vec![0.0; dim * dim];
        for i in 0..c {
            for j in 0..c {
                let sy = st.sy[i * m + j];
                if i == j {
                    minv[i * dim + j] = -sy;
                }
                if i > j {
                    minv[(c + i) * dim + j] = sy; // L
                    minv[j * dim + c + i] = sy; // Lᵀ
                }
                minv[(c + i) * dim + c + j] = theta * st.ss[i * m + j];
            }
        }
        let v: Vec<f64> = (0..dim).map(|i| 1.0 + (i as f64 * 1.3).cos()).collect();
        let mut mv = vec![0.0; dim];
        st.bmv(&v, &mut mv);
        for i in 0..dim {
            let back: f64 = (0..dim).map(|j| minv[i * dim + j] * mv[j]).sum();
            assert!((back - v[i]).abs() < 1e-10 * v[i].abs().max(1.0), "M: row {i}");
        }
        // K for three free sets: products over the free set (4 of 8, and 1 of 8) and over the
        // smaller active set (6 free of 8).
        for free in [vec![0, 2, 3, 5], vec![0, 1, 2, 3, 4, 6], vec![2]] {
            for i in 0..n {
                st.place[i] = if free.contains(&i) { Where::Free } else { Where::AtLower };
            }
            st.partition();
            assert!(st.form_k());
            let mut kmat = minv.clone();
            for i in 0..dim {
                for j in 0..dim {
                    let w = |row: usize, k: usize| {
                        if row < c { st.y_of(row)[k] } else { theta * st.s_of(row - c)[k] }
                    };
                    let zz: f64 = free.iter().map(|&k| w(i, k) * w(j, k)).sum();
                    kmat[i * dim + j] -= zz / theta;
                }
            }
            let mut x = v.clone();
            solve_upper_transposed(&st.wn, 2 * m, dim, &mut x);
            for xi in &mut x[..c] {
                *xi = -*xi;
            }
            solve_upper(&st.wn, 2 * m, dim, &mut x);
            for i in 0..dim {
                let back: f64 = (0..dim).map(|j| kmat[i * dim + j] * x[j]).sum();
                assert!((back - v[i]).abs() < 1e-9 * v[i].abs().max(1.0), "K {free:?}: row {i}");
            }
        }
    }
}
