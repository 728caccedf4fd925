//! Box bounds: minimise f(x) subject to lᵢ ≤ xᵢ ≤ uᵢ (either bound may be infinite).
//!
//! | method | step | memory | file | paper |
//! |---|---|---|---|---|
//! | [`ProjectedGradient`] | x⁺ = P(x − t∇f), Armijo along the projection arc | O(n) | [`projected_gradient`] | Bertsekas 1976; *Nonlinear Programming* 1999 §2.3 |
//! | [`Lbfgsb`] | generalised Cauchy point, subspace minimisation, Moré–Thuente | 2mn | [`lbfgsb`] | Byrd, Lu, Nocedal, Zhu 1995; Zhu et al. 1997; Morales & Nocedal 2011 |
//!
//! # The box and its geometry
//! [`Bounds`] holds l and u, validated once (no NaN, lᵢ ≤ uᵢ, lᵢ < +∞, uᵢ > −∞: a typed
//! [`Error::InvalidBound`] naming the coordinate otherwise). Everything a bounded method needs
//! is a function of the box:
//!
//! ```text
//! P(x)ᵢ = min(max(xᵢ, lᵢ), uᵢ)                       (projection onto the box)
//! pg(x) = P(x − ∇f(x)) − x                           (the projected gradient, up to sign)
//! ```
//!
//! pg(x) = 0 exactly at the points satisfying the first-order (KKT) conditions of the box
//! problem: ∂ᵢf = 0 where lᵢ < xᵢ < uᵢ, ∂ᵢf ≥ 0 where xᵢ = lᵢ, ∂ᵢf ≤ 0 where xᵢ = uᵢ. At an
//! active bound ∇f ≠ 0, so ‖∇f‖ cannot measure convergence; ‖pg‖ can.
//!
//! # Design decisions
//! * **How the driver learns of the box.** A [`Method`](crate::Method) exposes its box through
//!   the provided method [`Method::bounds`](crate::Method::bounds) (default `None`:
//!   unconstrained). [`minimize`](crate::minimize) then (a) checks the box's dimension against
//!   the objective's, (b) projects x₀ into the box before the first evaluation (scipy clips x0
//!   the same way), (c) measures stationarity by ‖pg(x)‖₂ instead of ‖∇f(x)‖₂ for `gtol`,
//!   `gtol_rel` and [`Report::grad_norm`](crate::Report::grad_norm), and (d) projects the ray
//!   test's probes. For an unconstrained method `bounds()` is a constant `None`, inlined away:
//!   the unbounded path keeps its one fused pass per iteration.
//! * **Which norm.** scipy stops L-BFGS-B when ‖pg‖∞ ≤ `pgtol`. We keep the 2-norm that `gtol`
//!   means for every other method, so that one tolerance means one thing and a box of infinite
//!   bounds gives exactly the unconstrained rule (‖pg‖₂ = ‖∇f‖₂ there). Since ‖pg‖∞ ≤ ‖pg‖₂,
//!   stopping at ‖pg‖₂ ≤ gtol implies scipy's test at `pgtol = gtol`;
//!   [`Bounds::projected_gradient_norm_inf`] gives scipy's measure.
//! * **Feasible iterates.** Every trial point is projected before it is evaluated: the objective
//!   is never called outside the box (many bounded problems are undefined there: logarithms,
//!   square roots). A point computed as x + t·d with t at the box's edge can leave the box by
//!   one rounding; the projection puts it back.
//!
//! # Example
//! ```
//! use descent::bounds::{Bounds, Lbfgsb};
//! use descent::{minimize, Options, problems::Rosenbrock};
//!
//! // Rosenbrock with x ≤ 0.5 in both coordinates: the minimiser sits on the bound x₁ = 0.5.
//! let f = Rosenbrock::new(2)?;
//! let bounds = Bounds::uniform(2, f64::NEG_INFINITY, 0.5)?;
//! let report = minimize(&f, &[-1.2, 1.0], Lbfgsb::new(bounds), &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.x[0] - 0.5).abs() < 1e-9 && (report.x[1] - 0.25).abs() < 1e-6);
//! # Ok::<(), descent::Error>(())
//! ```

pub mod lbfgsb;
pub mod projected_gradient;

pub use lbfgsb::{Lbfgsb, LbfgsbState};
pub use projected_gradient::{ProjectedGradient, ProjectedGradientState};

use crate::driver::{Counted, Iterate};
use crate::kernels::dot;
use crate::line_search::Phi;
use crate::{Error, Objective, Result};

/// A box lᵢ ≤ xᵢ ≤ uᵢ, validated (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Bounds {
    /// The box with the given lower and upper bounds (±∞ for none).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the two have different lengths; [`Error::InvalidBound`]
    /// naming the first coordinate with a NaN, with lᵢ > uᵢ, or with lᵢ = +∞ or uᵢ = −∞.
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self> {
        if lower.len() != upper.len() {
            return Err(Error::DimensionMismatch {
                what: "upper bounds",
                expected: lower.len(),
                got: upper.len(),
            });
        }
        for (index, (&l, &u)) in lower.iter().zip(&upper).enumerate() {
            let reason = if l.is_nan() || u.is_nan() {
                Some("a bound is NaN")
            } else if l > u {
                Some("the lower bound is above the upper bound")
            } else if l == f64::INFINITY {
                Some("the lower bound is +inf: no number satisfies it")
            } else if u == f64::NEG_INFINITY {
                Some("the upper bound is -inf: no number satisfies it")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::InvalidBound { index, lower: l, upper: u, reason });
            }
        }
        Ok(Self { lower, upper })
    }

    /// The same interval [`lower`, `upper`] for each of `n` coordinates.
    ///
    /// # Errors
    /// As [`Bounds::new`], naming coordinate 0.
    pub fn uniform(n: usize, lower: f64, upper: f64) -> Result<Self> {
        if n == 0 {
            Self::new(vec![lower], vec![upper])?;
        }
        Self::new(vec![lower; n], vec![upper; n])
    }

    /// No bounds at all on `n` coordinates (every lᵢ = −∞, uᵢ = +∞).
    #[must_use]
    pub fn unbounded(n: usize) -> Self {
        Self { lower: vec![f64::NEG_INFINITY; n], upper: vec![f64::INFINITY; n] }
    }

    /// The dimension n.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// l.
    #[must_use]
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }

    /// u.
    #[must_use]
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Checks that the box has dimension `n`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] naming `"bounds"`.
    pub fn check_dim(&self, n: usize) -> Result<()> {
        if self.dim() == n {
            Ok(())
        } else {
            Err(Error::DimensionMismatch { what: "bounds", expected: n, got: self.dim() })
        }
    }

    /// Whether some bound is finite (scipy's `cnstnd`).
    #[must_use]
    pub fn is_constrained(&self) -> bool {
        self.lower.iter().chain(&self.upper).any(|b| b.is_finite())
    }

    /// Whether every coordinate has both bounds finite (L-BFGS-B's `boxed`).
    #[must_use]
    pub fn is_boxed(&self) -> bool {
        self.lower.iter().chain(&self.upper).all(|b| b.is_finite())
    }

    /// Whether lᵢ ≤ xᵢ ≤ uᵢ for every i.
    #[must_use]
    pub fn contains(&self, x: &[f64]) -> bool {
        x.len() == self.dim()
            && x.iter().zip(&self.lower).zip(&self.upper).all(|((x, l), u)| l <= x && x <= u)
    }

    /// x ← P(x): each coordinate clipped into its interval (coordinates beyond the box's
    /// dimension are left alone).
    pub fn project(&self, x: &mut [f64]) {
        for ((x, l), u) in x.iter_mut().zip(&self.lower).zip(&self.upper) {
            *x = x.max(*l).min(*u);
        }
    }

    /// `out` ← P(x − g) − x, the projected gradient step (zero exactly at a KKT point).
    pub fn projected_gradient(&self, x: &[f64], g: &[f64], out: &mut [f64]) {
        for ((((o, x), g), l), u) in out.iter_mut().zip(x).zip(g).zip(&self.lower).zip(&self.upper)
        {
            *o = (x - g).max(*l).min(*u) - x;
        }
    }

    /// ‖P(x − g) − x‖₂: the stationarity measure [`minimize`](crate::minimize) uses for a
    /// bounded method (equal to ‖g‖₂ when no bound is finite).
    #[must_use]
    pub fn projected_gradient_norm(&self, x: &[f64], g: &[f64]) -> f64 {
        let mut sum = 0.0;
        for (((x, g), l), u) in x.iter().zip(g).zip(&self.lower).zip(&self.upper) {
            let p = (x - g).max(*l).min(*u) - x;
            sum += p * p;
        }
        if sum.is_finite() {
            return sum.sqrt();
        }
        // The squares overflowed (or a component is not finite): rescaled by the largest
        // component, so that a finite step of 10²⁰⁰ has norm 10²⁰⁰, not ∞.
        let m = self.projected_gradient_norm_inf(x, g);
        if !m.is_finite() {
            return sum.sqrt();
        }
        let mut scaled = 0.0;
        for (((x, g), l), u) in x.iter().zip(g).zip(&self.lower).zip(&self.upper) {
            let p = ((x - g).max(*l).min(*u) - x) / m;
            scaled += p * p;
        }
        m * scaled.sqrt()
    }

    /// ‖P(x − g) − x‖∞: scipy's L-BFGS-B convergence measure (its `pgtol` test, `projgr`).
    #[must_use]
    pub fn projected_gradient_norm_inf(&self, x: &[f64], g: &[f64]) -> f64 {
        let mut max = 0.0_f64;
        for (((x, g), l), u) in x.iter().zip(g).zip(&self.lower).zip(&self.upper) {
            max = max.max(((x - g).max(*l).min(*u) - x).abs());
        }
        max
    }

    /// The number of coordinates at one of their bounds (xᵢ = lᵢ or xᵢ = uᵢ).
    #[must_use]
    pub fn active_count(&self, x: &[f64]) -> usize {
        x.iter().zip(&self.lower).zip(&self.upper).filter(|((x, l), u)| x == l || x == u).count()
    }

    /// The largest t ≤ `cap` with x + t·d inside the box (0 if d leaves it at once), for
    /// a feasible x: L-BFGS-B's `stpmx`.
    #[must_use]
    pub fn max_step(&self, x: &[f64], d: &[f64], cap: f64) -> f64 {
        let mut t = cap;
        for (((x, d), l), u) in x.iter().zip(d).zip(&self.lower).zip(&self.upper) {
            if *d < 0.0 && l.is_finite() {
                let room = l - x;
                if room >= 0.0 {
                    return 0.0;
                }
                if d * t < room {
                    t = room / d;
                }
            } else if *d > 0.0 && u.is_finite() {
                let room = u - x;
                if room <= 0.0 {
                    return 0.0;
                }
                if d * t > room {
                    t = room / d;
                }
            }
        }
        t
    }
}

/// φ(t) = f(P(x + t·d)), evaluated into `trial`: [`Ray`](crate::line_search) with every trial
/// projected, so that the objective is only ever evaluated inside the box. For t up to
/// [`Bounds::max_step`] the projection only undoes rounding, and φ'(t) = ∇f(x + t·d)ᵀd.
pub(crate) struct BoxRay<'a, 'o, O: ?Sized> {
    pub(crate) objective: &'a Counted<'o, O>,
    pub(crate) bounds: &'a Bounds,
    pub(crate) x: &'a [f64],
    pub(crate) direction: &'a [f64],
    pub(crate) trial: &'a mut Iterate,
}

impl<O: Objective + ?Sized> Phi for BoxRay<'_, '_, O> {
    fn value(&mut self, t: f64) -> f64 {
        let b = self.bounds;
        let points = self.trial.x.iter_mut().zip(self.x).zip(self.direction);
        for (((y, x), d), (l, u)) in points.zip(b.lower.iter().zip(&b.upper)) {
            *y = (x + t * d).max(*l).min(*u);
        }
        self.trial.value = self.objective.value_grad(&self.trial.x, &mut self.trial.grad);
        self.trial.value
    }

    fn slope(&mut self) -> f64 {
        dot(&self.trial.grad, self.direction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projected_gradient_norm_whose_squares_overflow_is_finite() {
        // Found by `descent bench soak`: the stationarity measure of the bounded methods
        // overflowed to ∞ for finite projected steps above 10¹⁵⁴.
        let b = Bounds::unbounded(2);
        let measure = b.projected_gradient_norm(&[0.0, 0.0], &[3e200, -4e200]);
        assert!((measure - 5e200).abs() <= 4.0 * f64::EPSILON * 5e200, "{measure}");
        let boxed = Bounds::new(vec![-1e300, 0.0], vec![1e300, 1.0]).unwrap();
        // P(x − g) − x = (−1e300, 1) for x = 0, g = (1e305, −5): both coordinates stop at a
        // bound, and 1e300² overflows.
        let measure = boxed.projected_gradient_norm(&[0.0, 0.0], &[1e305, -5.0]);
        assert!((measure - 1e300).abs() <= 4.0 * f64::EPSILON * 1e300, "{measure}");
        // A non-finite gradient keeps a non-finite measure (max/min drop a NaN: P(0 − NaN) is
        // a bound, here −∞).
        assert!(!Bounds::unbounded(1).projected_gradient_norm(&[0.0], &[f64::NAN]).is_finite());
    }

    #[test]
    fn invalid_bounds_name_the_coordinate_and_the_fault() {
        let inf = f64::INFINITY;
        let cases = [
            (vec![0.0, f64::NAN], vec![1.0, 1.0], 1, "NaN"),
            (vec![0.0, 0.0, 2.0], vec![1.0, 1.0, 1.0], 2, "above"),
            (vec![inf], vec![inf], 0, "+inf"),
            (vec![-inf, -inf], vec![0.0, -inf], 1, "-inf"),
        ];
        for (lower, upper, index, word) in cases {
            match Bounds::new(lower, upper) {
                Err(e @ Error::InvalidBound { index: i, .. }) => {
                    assert_eq!(i, index);
                    assert!(e.to_string().contains(word), "{e}");
                }
                other => panic!("expected InvalidBound at {index}, got {other:?}"),
            }
        }
        assert!(matches!(
            Bounds::new(vec![0.0; 3], vec![1.0; 2]),
            Err(Error::DimensionMismatch { expected: 3, got: 2, .. })
        ));
        assert!(Bounds::new(vec![1.0, -inf], vec![1.0, inf]).is_ok(), "l = u is a fixed variable");
    }

    #[test]
    fn projection_and_projected_gradient_by_hand() {
        let b = Bounds::new(vec![0.0, -1.0, f64::NEG_INFINITY], vec![1.0, 1.0, 2.0]).unwrap();
        let mut x = [-3.0, 0.5, 7.0];
        b.project(&mut x);
        assert_eq!(x, [0.0, 0.5, 2.0]);
        assert!(b.contains(&x));
        // At the lower bound with g > 0 (pushing out): zero. Interior: −g. At the upper bound
        // with g < 0 (pushing out): zero; g > 0 pulls inside: −g.
        let g = [2.0, 0.25, -5.0];
        let mut pg = [0.0; 3];
        b.projected_gradient(&x, &g, &mut pg);
        assert_eq!(pg, [0.0, -0.25, 0.0]);
        assert_eq!(b.projected_gradient_norm_inf(&x, &[-0.5, 4.0, 1.0]), 1.5);
        // Steps: 0.5 (inside), −1.5 (clipped at −1), −1 (inside).
        let norm2 = b.projected_gradient_norm(&x, &[-0.5, 4.0, 1.0]);
        assert!((norm2 - 3.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(b.active_count(&x), 2);
        assert_eq!(b.max_step(&x, &[1.0, 1.0, -1.0], 1e10), 0.5);
        assert_eq!(b.max_step(&x, &[-1.0, 0.0, 0.0], 1e10), 0.0);
        let free = Bounds::unbounded(3);
        assert_eq!(free.projected_gradient_norm(&x, &g), dot(&g, &g).sqrt());
        assert!(!free.is_constrained() && b.is_constrained() && !b.is_boxed());
    }
}
