//! The jiggle test: what kind of critical point x is, seen from the gradients around it.
//!
//! Put a small sphere of radius r around x and look at the gradient at k points on it. At a
//! minimum every gradient points *outward* (downhill is back toward x), at a maximum every
//! gradient points *inward*, at a saddle some do one and some the other. In symbols, for
//! perturbations δᵢ with ‖δᵢ‖ = r,
//!
//! ```text
//! sᵢ = ∇f(x + δᵢ)·δᵢ  =  ∇f(x)·δᵢ + δᵢᵀ∇²f(x)δᵢ + ½∇³f(x)[δᵢ, δᵢ, δᵢ] + O(r⁴)
//! ```
//!
//! so at a critical point (∇f(x) = 0) with a non-singular Hessian the sign of sᵢ is the sign of
//! the curvature along δᵢ, and where the Hessian vanishes (the monkey saddle x³ − 3xy² at 0,
//! where curvature alone says "degenerate") the next non-zero order speaks instead. The test
//! needs gradients only: no Hessian, no eigenvalues.
//!
//! | symbol | field | meaning | default |
//! |---|---|---|---|
//! | k | [`Jiggle::samples`] | perturbations drawn | 64 |
//! | r | [`Jiggle::radius`] | their length | scaled to the problem (below) |
//! | | [`Jiggle::seed`] | seeds the directions | 0 |
//! | sᵢ | | ∇f(x + δᵢ)·δᵢ: > 0 outward, < 0 inward | |
//! | uᵢ | | ∇f(x + δᵢ)/‖∇f(x + δᵢ)‖, the gradient's direction | |
//! | R̄ | | ‖mean of the uᵢ‖, the mean resultant length | |
//!
//! **Directions.** δ = r·z/‖z‖ with z standard normal is uniform on the sphere
//! (`rand_chacha::ChaCha8Rng::seed_from_u64(seed)`, `rand_distr::StandardNormal`): the same
//! seed gives the bitwise same report. Samples come in **antithetic pairs** ±δ (an odd k uses
//! its last direction once). Why: (1) the pair's mean of s is δᵀ∇²fδ + O(r⁴) — the odd terms,
//! among them ∇f(x)·δ of a point that is only approximately critical and the cubic term, cancel
//! — so the fractions are not biased by which half of the sphere the draws happened to favour;
//! (2) for a linear gradient field (a quadratic) the unit gradients of a pair are exactly
//! opposite, so R̄ = 0 up to rounding and any R̄ well above 0 is a real signal (a gradient at x,
//! or an even-order field such as the monkey saddle's) instead of sampling noise; (3) half the
//! random numbers.
//!
//! **Radius.** Unless [`Jiggle::radius`] is given, r₀ = 10⁻³·max(1, ‖x‖) (relative to the
//! point's scale, like a finite-difference step but larger, so that rounding in ∇f is far below
//! the signal). At a point that is critical only approximately, ∇f(x)·δ competes with
//! δᵀ∇²fδ; so when ∇f(x) ≠ 0 a pilot pair ±δ₀ at r₀ estimates the curvature scale
//! κ = ‖∇f(x + δ₀) − ∇f(x − δ₀)‖/(2r₀) and the radius grows to r = max(r₀, 10‖∇f(x)‖/κ),
//! capped at 0.1·max(1, ‖x‖) (the cap also applies when κ = 0). The pilot costs two gradients.
//!
//! **Verdict** (`τ = 10⁻¹²`, `cos_min = 10⁻⁹`, `R̄_max = 0.5`):
//! 1. a sample is *flat* when r‖∇f(x + δᵢ)‖ ≤ τ·max(|f(x)|, |f(x + δᵢ)|): the change of f the
//!    gradient predicts across the sphere is below rounding of f itself. More than half flat →
//!    [`JiggleVerdict::Degenerate`] (flat).
//! 2. among the others, R̄ > R̄_max → [`JiggleVerdict::Degenerate`] (inconclusive): the gradients
//!    all point one way, so x is not a critical point at this radius (a slope), or r is too
//!    small to see past the gradient at x.
//! 3. outward when sᵢ > cos_min·r‖∇f(x + δᵢ)‖, inward when sᵢ < −cos_min·r‖∇f(x + δᵢ)‖
//!    (tangential otherwise); no inward sample → [`JiggleVerdict::Minimum`]; no outward →
//!    [`JiggleVerdict::Maximum`]; both → [`JiggleVerdict::Saddle`]; neither → degenerate.
//!
//! Rule 3 is the theory's: at a strict minimum *every* sᵢ > 0 once r is small enough, so a
//! single inward sample is evidence of a descent direction. A saddle whose negative curvature
//! is tiny beside its positive curvature (λ₋/λ₊ = ε) shows inward samples only in a cone of
//! width ~√ε, so k must grow like 1/√ε to see it. The same happens with dimension: with one
//! negative eigenvalue among n − 1 positive ones of equal size, δ is inward only when δ₁²
//! exceeds the sum of the other n − 1 squares, a share of the sphere that falls exponentially
//! in n (an F(1, n − 1) tail: 1.5% at n = 10, 0.03% at n = 20), so at large n the jiggle test with k = 64 calls such a saddle a
//! minimum. Hessian curvature ([`curvature`](super::curvature())) is the sharper tool there,
//! and [`classify`](super::classify()) lets it decide whenever it can; the jiggle test is the
//! one that still works where the Hessian vanishes.
//!
//! **Cost:** k gradient evaluations (+1 at x, +2 for the pilot), O(n) memory, allocated once.
//!
//! Reference: the "jiggle test" is how the project's seed text describes classifying critical
//! points; the expansion above is Taylor's theorem (Nocedal & Wright 2006, *Numerical
//! Optimization*, 2nd ed., Thm. 2.3–2.4 for the second-order conditions it probes).
//!
//! # Example
//! ```
//! use descent::landscape::{Jiggle, JiggleVerdict};
//! use descent::problems::Saddle;
//!
//! let report = Jiggle::default().test(&Saddle, &[0.0, 0.0])?;
//! assert_eq!(report.verdict, JiggleVerdict::Saddle);
//! assert!(report.outward_fraction > 0.2 && report.inward_fraction > 0.2);
//! # Ok::<(), descent::Error>(())
//! ```

use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use crate::error::positive;
use crate::kernels::{dot, norm};
use crate::{Error, Objective, Result};

/// Relative size of the default radius: r₀ = `RADIUS_RELATIVE`·max(1, ‖x‖).
pub const RADIUS_RELATIVE: f64 = 1e-3;
/// Upper limit of the default radius, relative to max(1, ‖x‖).
pub const RADIUS_CAP: f64 = 0.1;
/// How far the curvature term must dominate the gradient at x: r ≥ `GRADIENT_MARGIN`·‖∇f(x)‖/κ.
pub const GRADIENT_MARGIN: f64 = 10.0;
/// τ: a sample is flat when r‖∇f(x + δ)‖ ≤ τ·max(|f(x)|, |f(x + δ)|).
pub const FLAT_TOLERANCE: f64 = 1e-12;
/// cos_min: |cos ∠(∇f(x + δ), δ)| at or below this is tangential, neither outward nor inward.
pub const TANGENTIAL_COSINE: f64 = 1e-9;
/// R̄_max: a mean resultant length of the unit gradients above this means they all point one
/// way (not a critical point at this radius).
pub const ALIGNED_RESULTANT: f64 = 0.5;
/// The default number of perturbations k.
pub const DEFAULT_SAMPLES: usize = 64;

/// What the jiggle test says x is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JiggleVerdict {
    /// Every informative gradient on the sphere points outward.
    Minimum,
    /// Every informative gradient points inward.
    Maximum,
    /// Some point outward, some inward.
    Saddle,
    /// Flat (gradients ~0 relative to f's scale) or inconclusive (gradients all aligned: not a
    /// critical point at this radius).
    Degenerate,
}

/// The jiggle test's settings (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jiggle {
    /// k, the number of perturbations, at least 2 (default [`DEFAULT_SAMPLES`] = 64: 32
    /// antithetic pairs, enough that a cone of inward directions covering 5% of the sphere is
    /// missed with probability < 4%, and cheap next to any run that produced x).
    pub samples: usize,
    /// r, the perturbations' length; `None` (default) scales it to the problem as the module
    /// docs describe.
    pub radius: Option<f64>,
    /// Seeds the directions (default 0).
    pub seed: u64,
}

impl Default for Jiggle {
    fn default() -> Self {
        Self { samples: DEFAULT_SAMPLES, radius: None, seed: 0 }
    }
}

/// The jiggle test's verdict and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JiggleReport {
    /// What x is.
    pub verdict: JiggleVerdict,
    /// Share of the k samples with ∇f(x + δ)·δ > 0 (outward), flat ones excluded.
    pub outward_fraction: f64,
    /// Share of the k samples with ∇f(x + δ)·δ < 0 (inward), flat ones excluded.
    pub inward_fraction: f64,
    /// Share of the k samples that were flat.
    pub flat_fraction: f64,
    /// k.
    pub samples: usize,
    /// r, as given or as scaled.
    pub radius: f64,
    /// 1 − R̄ over the non-flat samples: 0 when every gradient points the same way (a slope),
    /// near 1 when they point every way (around a critical point). 0 when all samples are flat.
    pub direction_spread: f64,
    /// ‖∇f(x)‖₂ at the centre.
    pub gradient_norm: f64,
}

impl JiggleReport {
    /// Whether the non-flat gradients all point one way (rule 2 of the module docs: R̄ above
    /// [`ALIGNED_RESULTANT`] with at most half the samples flat): a slope, not a critical point.
    #[must_use]
    pub fn aligned(&self) -> bool {
        self.flat_fraction <= 0.5 && self.direction_spread < 1.0 - ALIGNED_RESULTANT
    }
}

impl Jiggle {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] for `samples` < 2 or a radius that is not positive and
    /// finite.
    pub fn validate(&self) -> Result<()> {
        if self.samples < 2 {
            return Err(Error::InvalidHyperparameter {
                name: "samples",
                value: self.samples as f64,
                valid: "at least 2",
            });
        }
        if let Some(r) = self.radius {
            positive("radius", r)?;
        }
        Ok(())
    }

    /// Runs the test at `x` (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] for invalid settings; [`Error::DimensionMismatch`] if
    /// `x` does not have f's dimension; [`Error::NonFiniteInput`] for NaN/∞ in `x`;
    /// [`Error::NonFiniteStart`] if f or ∇f is not finite at x or on the sphere.
    pub fn test<O: Objective + ?Sized>(&self, f: &O, x: &[f64]) -> Result<JiggleReport> {
        self.validate()?;
        let n = f.dim();
        if x.len() != n {
            return Err(Error::DimensionMismatch { what: "x", expected: n, got: x.len() });
        }
        if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFiniteInput { index, value });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut grad = vec![0.0; n];
        let mut delta = vec![0.0; n];
        let mut point = vec![0.0; n];
        let mut resultant = vec![0.0; n];

        let f0 = f.value_grad(x, &mut grad);
        finite(f0, &grad)?;
        let gradient_norm = norm(&grad);
        let scale = norm(x).max(1.0);
        let radius = match self.radius {
            Some(r) => r,
            None => self.scaled_radius(f, x, gradient_norm, scale, &mut rng, &mut delta)?,
        };

        let (mut outward, mut inward, mut flat) = (0_usize, 0_usize, 0_usize);
        for i in 0..self.samples {
            // Antithetic pairs: an even i draws δ, the odd i after it uses −δ.
            if i % 2 == 0 {
                unit_direction(&mut rng, &mut delta);
                delta.iter_mut().for_each(|d| *d *= radius);
            } else {
                delta.iter_mut().for_each(|d| *d = -*d);
            }
            for ((p, xi), d) in point.iter_mut().zip(x).zip(&delta) {
                *p = xi + d;
            }
            let value = f.value_grad(&point, &mut grad);
            finite(value, &grad)?;
            let s = dot(&grad, &delta);
            let g_norm = norm(&grad);
            // Rule 1: the change across the sphere is below rounding of f.
            if radius * g_norm <= FLAT_TOLERANCE * f0.abs().max(value.abs()) {
                flat += 1;
                continue;
            }
            resultant.iter_mut().zip(&grad).for_each(|(r, g)| *r += g / g_norm);
            let threshold = TANGENTIAL_COSINE * radius * g_norm;
            if s > threshold {
                outward += 1;
            } else if s < -threshold {
                inward += 1;
            }
        }

        let k = self.samples as f64;
        let informative = self.samples - flat;
        let mean_resultant =
            if informative == 0 { 1.0 } else { norm(&resultant) / informative as f64 };
        let verdict = if 2 * flat > self.samples || mean_resultant > ALIGNED_RESULTANT {
            JiggleVerdict::Degenerate // rules 1 and 2
        } else {
            match (outward > 0, inward > 0) {
                (true, false) => JiggleVerdict::Minimum,
                (false, true) => JiggleVerdict::Maximum,
                (true, true) => JiggleVerdict::Saddle,
                (false, false) => JiggleVerdict::Degenerate,
            }
        };
        Ok(JiggleReport {
            verdict,
            outward_fraction: outward as f64 / k,
            inward_fraction: inward as f64 / k,
            flat_fraction: flat as f64 / k,
            samples: self.samples,
            radius,
            direction_spread: 1.0 - mean_resultant,
            gradient_norm,
        })
    }

    /// r = min(max(r₀, 10‖∇f(x)‖/κ), 0.1·max(1, ‖x‖)), κ from a pilot pair (module docs).
    fn scaled_radius<O: Objective + ?Sized>(
        &self,
        f: &O,
        x: &[f64],
        gradient_norm: f64,
        scale: f64,
        rng: &mut ChaCha8Rng,
        buffer: &mut [f64],
    ) -> Result<f64> {
        let r0 = RADIUS_RELATIVE * scale;
        let cap = RADIUS_CAP * scale;
        if gradient_norm == 0.0 {
            return Ok(r0);
        }
        let n = x.len();
        let (mut plus, mut minus) = (vec![0.0; n], vec![0.0; n]);
        let mut point = vec![0.0; n];
        unit_direction(rng, buffer);
        for (sign, g) in [(1.0, &mut plus), (-1.0, &mut minus)] {
            for ((p, xi), d) in point.iter_mut().zip(x).zip(buffer.iter()) {
                *p = xi + sign * r0 * d;
            }
            let value = f.value_grad(&point, g);
            finite(value, g)?;
        }
        let difference: f64 = plus.iter().zip(&minus).map(|(a, b)| (a - b) * (a - b)).sum();
        let kappa = difference.sqrt() / (2.0 * r0);
        let wanted = GRADIENT_MARGIN * gradient_norm / kappa; // +∞ when κ = 0: capped below
        Ok(wanted.max(r0).min(cap))
    }
}

/// Writes a direction uniform on the unit sphere into `u`.
pub(super) fn unit_direction(rng: &mut ChaCha8Rng, u: &mut [f64]) {
    loop {
        u.iter_mut().for_each(|ui| *ui = rng.sample(StandardNormal));
        let length = norm(u);
        // A zero vector has probability 0; redraw rather than divide by it.
        if length > 0.0 {
            u.iter_mut().for_each(|ui| *ui /= length);
            return;
        }
    }
}

fn finite(value: f64, grad: &[f64]) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::NonFiniteStart { what: "value" });
    }
    if grad.iter().any(|g| !g.is_finite()) {
        return Err(Error::NonFiniteStart { what: "gradient" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use num_dual::DualNum;

    use super::*;
    use crate::problems::{Himmelblau, MonkeySaddle, Saddle};
    use crate::{AutoDiff, DualFunction, Hessian, HessianMatrix};

    /// a·x² + b·y² (+ c·x⁴ + c·y⁴).
    struct Quadratic {
        a: f64,
        b: f64,
        c: f64,
    }

    impl DualFunction for Quadratic {
        fn dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
            let (x2, y2) = (x[0] * x[0], x[1] * x[1]);
            x2 * self.a + y2 * self.b + (x2 * x2 + y2 * y2) * self.c
        }
    }

    fn quadratic(a: f64, b: f64, c: f64) -> AutoDiff<Quadratic> {
        AutoDiff::new(Quadratic { a, b, c })
    }

    fn verdict<O: Objective + ?Sized>(f: &O, x: &[f64]) -> JiggleVerdict {
        Jiggle::default().test(f, x).unwrap().verdict
    }

    #[test]
    fn the_three_quadratic_cases_are_told_apart() {
        assert_eq!(verdict(&Saddle, &[0.0, 0.0]), JiggleVerdict::Saddle);
        assert_eq!(verdict(&quadratic(1.0, 1.0, 0.0), &[0.0, 0.0]), JiggleVerdict::Minimum);
        assert_eq!(verdict(&quadratic(-1.0, -1.0, 0.0), &[0.0, 0.0]), JiggleVerdict::Maximum);
    }

    #[test]
    fn at_a_minimum_every_sample_points_outward_and_the_pairs_cancel_the_directions() {
        let report = Jiggle::default().test(&quadratic(1.0, 3.0, 0.0), &[0.0, 0.0]).unwrap();
        assert_eq!((report.outward_fraction, report.inward_fraction), (1.0, 0.0));
        assert_eq!(report.samples, 64);
        assert_eq!(report.radius, RADIUS_RELATIVE); // ‖x‖ = 0, ∇f(x) = 0: r₀ = 10⁻³
        // Antithetic pairs of a linear gradient field: unit gradients cancel exactly.
        assert!(report.direction_spread > 1.0 - 1e-12, "{}", report.direction_spread);
    }

    #[test]
    fn x2_minus_y2_has_inward_samples_exactly_where_x_is_below_y() {
        // s = 2δx² − 2δy²: inward iff |δy| > |δx|, a half of the circle.
        let report = Jiggle { samples: 2000, ..Jiggle::default() }.test(&Saddle, &[0.0, 0.0]);
        let report = report.unwrap();
        assert!((report.inward_fraction - 0.5).abs() < 0.05, "{report:?}");
        assert!((report.outward_fraction + report.inward_fraction - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_monkey_saddle_is_a_saddle_although_its_hessian_vanishes() {
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&MonkeySaddle), 2);
        MonkeySaddle.hessian(&[0.0, 0.0], &mut h);
        assert_eq!(h, HessianMatrix::zeros(Hessian::hessian_structure(&MonkeySaddle), 2));
        let report = Jiggle::default().test(&MonkeySaddle, &[0.0, 0.0]).unwrap();
        assert_eq!(report.verdict, JiggleVerdict::Saddle);
        // s = 3f(δ) (Euler: f is homogeneous of degree 3) is odd in δ: each pair splits.
        assert_eq!(report.outward_fraction, 0.5);
        assert_eq!(report.inward_fraction, 0.5);
    }

    #[test]
    fn a_quartic_minimum_with_zero_hessian_is_still_a_minimum() {
        assert_eq!(verdict(&quadratic(0.0, 0.0, 1.0), &[0.0, 0.0]), JiggleVerdict::Minimum);
    }

    #[test]
    fn a_constant_is_flat_and_a_slope_is_not_a_critical_point() {
        let constant = quadratic(0.0, 0.0, 0.0);
        let report = Jiggle::default().test(&constant, &[1.0, 2.0]).unwrap();
        assert_eq!(report.verdict, JiggleVerdict::Degenerate);
        assert_eq!(report.flat_fraction, 1.0);
        // x² + y² at (1, 0) is on a slope: gradients all point along +x.
        let report = Jiggle::default().test(&quadratic(1.0, 1.0, 0.0), &[1.0, 0.0]).unwrap();
        assert_eq!(report.verdict, JiggleVerdict::Degenerate);
        assert!(report.direction_spread < 0.1 && report.aligned(), "{report:?}");
        assert_eq!(report.radius, RADIUS_CAP); // κ = 2, 10·2/2 = 10 > cap 0.1·max(1, 1)
    }

    #[test]
    fn the_default_radius_grows_past_the_gradient_of_an_approximate_critical_point() {
        // x² + y² at (2e-3, 0): ∇f = (4e-3, 0), κ = 2, so r = 10·4e-3/2 = 0.02 and the
        // curvature term 2r² outweighs ∇f·δ ≤ 8e-5 on the whole sphere.
        let bowl = quadratic(1.0, 1.0, 0.0);
        let report = Jiggle::default().test(&bowl, &[2e-3, 0.0]).unwrap();
        assert_eq!(report.verdict, JiggleVerdict::Minimum, "{report:?}");
        assert!((report.radius - 0.02).abs() < 1e-12, "{}", report.radius);
        // At r₀ = 1e-3 the gradient at x dominates: every gradient points along +x.
        let small = Jiggle { radius: Some(1e-3), ..Jiggle::default() };
        let report = small.test(&bowl, &[2e-3, 0.0]).unwrap();
        assert_eq!(report.verdict, JiggleVerdict::Degenerate, "{report:?}");
    }

    /// Newton's method on ∇f = 0 from `x`, with the problem's own Hessian.
    fn newton(x: [f64; 2]) -> [f64; 2] {
        let f = Himmelblau;
        let (mut x, mut g) = (x, [0.0; 2]);
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), 2);
        for _ in 0..50 {
            f.value_grad(&x, &mut g);
            f.hessian(&x, &mut h);
            let (a, b, d) = (h.get(0, 0), h.get(0, 1), h.get(1, 1));
            let det = a * d - b * b;
            x[0] -= (d * g[0] - b * g[1]) / det;
            x[1] -= (a * g[1] - b * g[0]) / det;
        }
        f.value_grad(&x, &mut g);
        assert!(norm(&g) < 1e-10, "Newton did not converge at {x:?}: {g:?}");
        x
    }

    #[test]
    fn himmelblau_four_minima_one_maximum_four_saddles() {
        // Approximate locations from the literature (Himmelblau 1972; the maximum and saddles
        // as tabulated e.g. in Wikipedia's "Himmelblau's function"), refined by Newton.
        let minima = [[3.0, 2.0], [-2.805, 3.131], [-3.779, -3.283], [3.584, -1.848]];
        let maximum = [-0.2708, -0.9230];
        let saddles = [[0.0867, 2.8843], [-3.0730, -0.0814], [3.3852, 0.0739], [-0.1280, -1.9537]];
        let cases = minima
            .iter()
            .map(|x| (x, JiggleVerdict::Minimum))
            .chain([(&maximum, JiggleVerdict::Maximum)])
            .chain(saddles.iter().map(|x| (x, JiggleVerdict::Saddle)));
        let mut points: Vec<[f64; 2]> = Vec::new();
        for (start, expected) in cases {
            let x = newton(*start);
            assert!(norm(&[x[0] - start[0], x[1] - start[1]]) < 1e-2, "{start:?} → {x:?}");
            assert!(points.iter().all(|p| norm(&[p[0] - x[0], p[1] - x[1]]) > 0.1));
            points.push(x);
            let report = Jiggle::default().test(&Himmelblau, &x).unwrap();
            assert_eq!(report.verdict, expected, "at {x:?}: {report:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_report_and_another_seed_other_fractions() {
        let jiggle = Jiggle { samples: 31, seed: 7, ..Jiggle::default() };
        let a = jiggle.test(&Saddle, &[0.0, 0.0]).unwrap();
        let b = jiggle.test(&Saddle, &[0.0, 0.0]).unwrap();
        assert_eq!(a, b);
        let fractions = (0..8)
            .map(|seed| Jiggle { seed, ..jiggle }.test(&Saddle, &[0.0, 0.0]).unwrap())
            .map(|r| r.outward_fraction.to_bits())
            .collect::<std::collections::HashSet<_>>();
        assert!(fractions.len() > 1);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let bad = |j: Jiggle, x: &[f64]| j.test(&Saddle, x).unwrap_err();
        assert!(matches!(
            bad(Jiggle::default(), &[0.0]),
            Error::DimensionMismatch { expected: 2, got: 1, .. }
        ));
        assert!(matches!(bad(Jiggle::default(), &[f64::NAN, 0.0]), Error::NonFiniteInput { .. }));
        let one = Jiggle { samples: 1, ..Jiggle::default() };
        assert!(matches!(bad(one, &[0.0, 0.0]), Error::InvalidHyperparameter { .. }));
        let zero = Jiggle { radius: Some(0.0), ..Jiggle::default() };
        assert!(matches!(bad(zero, &[0.0, 0.0]), Error::InvalidHyperparameter { .. }));
    }
}
