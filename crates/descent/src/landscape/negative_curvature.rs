//! The negative-curvature escape: a step out of a saddle point along its most negative
//! direction, and runs that continue past the saddles they stop at.
//!
//! At a saddle point x the gradient vanishes, so gradient methods stay put (started exactly
//! there) or crawl (started near it). The Hessian's eigenvector v of its smallest eigenvalue
//! λ₁ < 0 is a direction in which f falls quadratically: f(x + αv) ≈ f(x) + α·gᵀv + ½α²λ₁.
//!
//! **The step** ([`escape_step`]). d = −sign(gᵀv)·v, so that gᵀd ≤ 0 (when gᵀv = 0, as at an
//! exact saddle, both signs are tried at α₀ and the lower value wins). The step length α
//! satisfies the sufficient-decrease condition of a negative-curvature direction
//!
//! f(x + αd) ≤ f(x) + c₁·(α·gᵀd + ½α²λ₁)        (Moré & Sorensen 1979, §2, with the curvature term)
//!
//! found by halving from α₀ = max(1, ‖x‖∞)·`initial_step` until it holds, then doubling
//! while f keeps falling (at most 30 doublings): a quadratic model with λ₁ < 0 has no minimiser
//! along d, so the search must find the scale of the landscape itself. The model's decrease
//! ½α²|λ₁| is positive for every α, so the halving ends (for α → 0 the condition reduces to
//! f's own second-order expansion with c₁ < 1).
//!
//! **The restarts** ([`minimize_escaping`], [`escape_saddles`]). Run the method; if the run
//! converged and the driver's verdict ([`Report::critical_point`]) is a saddle point, compute
//! the curvature again ([`curvature()`], which also gives v), take the escape step, and start
//! the method again from the new point, up to `max_escapes` times (default 10: each escape
//! lowers f, so ten saddles in a row would be a landscape made of saddles). The final report
//! adds up the iterations, evaluations and time of every leg and of the escapes (the escape's
//! curvature and search count in `evaluations`; the verdicts' Hessians in
//! `critical_point_hessians`).
//!
//! | symbol | meaning | default |
//! |---|---|---|
//! | λ₁, v | smallest Hessian eigenvalue and its unit eigenvector | [`curvature()`] |
//! | c₁ | sufficient-decrease constant | 1e-4 (as Armijo's) |
//! | α₀ | first trial step | max(1, ‖x‖∞)·`initial_step`, `initial_step` = 1 |
//! | `max_escapes` | escapes per run | 10 |
//!
//! **Deviations.** Moré and Sorensen combine d with a Newton-like direction on a curvilinear
//! path x + α²s + αd; we take d alone, since the method that resumes from the new point does
//! the descending. Jin et al.'s perturbed gradient descent ([`super`]'s `escape` module, where
//! present) escapes without a Hessian; this step needs one but escapes in one step.
//!
//! References: J. J. Moré and D. C. Sorensen (1979), "On the use of directions of negative
//! curvature in a modified Newton method", *Mathematical Programming* 16, 1–20; J. Nocedal and
//! S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §3.4 (negative curvature in
//! modified Newton methods).
//!
//! # Example
//! ```
//! use descent::landscape::{CriticalPoint, negative_curvature::{Escape, minimize_escaping}};
//! use descent::{AutoDiff, DualFunction, GradientDescent, Options, num_dual::DualNum};
//!
//! /// x² − y² + y⁴/4: a saddle at 0, minima at (0, ±√2).
//! struct Tilted;
//! impl DualFunction for Tilted {
//!     fn dim(&self) -> usize { 2 }
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
//!         x[0] * x[0] - x[1] * x[1] + x[1].powi(4) * 0.25
//!     }
//! }
//! let f = AutoDiff::new(Tilted);
//! let run = minimize_escaping(&f, &[0.0, 0.0], GradientDescent::armijo(), &Options::default(),
//!     &Escape::default())?;
//! assert_eq!(run.escapes, 1);
//! assert_eq!(run.report.critical_point, Some(CriticalPoint::Minimum));
//! assert!((run.report.x[1].abs() - 2f64.sqrt()).abs() < 1e-6);
//! # Ok::<(), descent::Error>(())
//! ```

use super::{CriticalPoint, Curvature, CurvatureOptions, curvature};
use crate::driver::{Method, Options, Report};
use crate::{Error, Evaluations, Objective, Result, SecondOrder, minimize};

/// How saddles are escaped (see the [module docs](self) for the defaults and why).
#[derive(Debug, Clone, PartialEq)]
pub struct Escape {
    /// Most escapes in one run (default 10).
    pub max_escapes: usize,
    /// The first trial step, in units of max(1, ‖x‖∞) (default 1); positive and finite.
    pub initial_step: f64,
    /// Sufficient-decrease constant c₁ in (0, 1) (default 1e-4).
    pub c1: f64,
    /// How the curvature at the saddle is computed (default [`CurvatureOptions::default`]).
    pub curvature: CurvatureOptions,
}

impl Default for Escape {
    fn default() -> Self {
        Self {
            max_escapes: 10,
            initial_step: 1.0,
            c1: 1e-4,
            curvature: CurvatureOptions::default(),
        }
    }
}

impl Escape {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        crate::error::positive("initial_step", self.initial_step)?;
        crate::error::in_unit_interval("c1", self.c1)?;
        self.curvature.validate()
    }
}

/// One escape: where it went and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct EscapeStep {
    /// The new point x + α·d.
    pub x: Vec<f64>,
    /// f at the new point.
    pub value: f64,
    /// The step length α along the unit direction d.
    pub step: f64,
    /// λ₁, the curvature along d.
    pub curvature: f64,
    /// Value evaluations of the search (no gradients, no Hessians).
    pub values: usize,
}

/// The escape step from `x` along the most negative direction of `c` (see the
/// [module docs](self)). `None` when there is nothing to escape along (λ₁ ≥ −τ, no
/// eigenvector) or no trial step lowers f (f is not finite there, or its precision is spent).
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x` or the eigenvector does not have f's dimension;
/// [`Error::InvalidHyperparameter`] for invalid `escape` settings.
pub fn escape_step<O: Objective + ?Sized>(
    f: &O,
    x: &[f64],
    c: &Curvature,
    escape: &Escape,
) -> Result<Option<EscapeStep>> {
    escape.validate()?;
    let n = f.dim();
    if x.len() != n {
        return Err(Error::DimensionMismatch { what: "x", expected: n, got: x.len() });
    }
    let Some(v) = c.most_negative.as_deref() else { return Ok(None) };
    if v.len() != n {
        return Err(Error::DimensionMismatch { what: "eigenvector", expected: n, got: v.len() });
    }
    let lambda = c.smallest;
    if !(lambda < 0.0) {
        return Ok(None);
    }
    let mut grad = vec![0.0; n];
    let f0 = f.value_grad(x, &mut grad);
    let mut values = 1;
    let gv: f64 = grad.iter().zip(v).map(|(g, v)| g * v).sum();
    let scale = x.iter().fold(1.0_f64, |m, xi| m.max(xi.abs()));
    let alpha0 = scale * escape.initial_step;
    let mut trial = vec![0.0; n];
    let mut at = |alpha: f64, sign: f64, trial: &mut Vec<f64>| {
        for ((t, xi), vi) in trial.iter_mut().zip(x).zip(v) {
            *t = xi + alpha * sign * vi;
        }
        values += 1;
        f.value(trial)
    };
    // d = −sign(gᵀv)·v; at gᵀv = 0 the sign whose first trial is lower.
    let sign = if gv > 0.0 {
        -1.0
    } else if gv < 0.0 {
        1.0
    } else if at(alpha0, -1.0, &mut trial) < at(alpha0, 1.0, &mut trial) {
        -1.0
    } else {
        1.0
    };
    let slope = sign * gv; // gᵀd ≤ 0
    // Moré–Sorensen sufficient decrease with the curvature term.
    let enough = |alpha: f64, value: f64| {
        value <= f0 + escape.c1 * (alpha * slope + 0.5 * alpha * alpha * lambda)
    };
    let mut alpha = alpha0;
    let mut value = at(alpha, sign, &mut trial);
    let mut halvings = 0;
    while !(value.is_finite() && enough(alpha, value)) {
        halvings += 1;
        if halvings > 60 {
            return Ok(None);
        }
        alpha *= 0.5;
        value = at(alpha, sign, &mut trial);
    }
    if halvings == 0 {
        for _ in 0..30 {
            let longer = at(2.0 * alpha, sign, &mut trial);
            if !(longer < value && enough(2.0 * alpha, longer)) {
                break;
            }
            alpha *= 2.0;
            value = longer;
        }
    }
    let new_x = x.iter().zip(v).map(|(xi, vi)| xi + alpha * sign * vi).collect();
    Ok(Some(EscapeStep { x: new_x, value, step: alpha, curvature: lambda, values }))
}

/// A run that went on past the saddle points it stopped at.
#[derive(Debug, Clone, PartialEq)]
pub struct Escaped {
    /// The last leg's report, with the iterations, evaluations (escapes included) and time of
    /// every leg added up.
    pub report: Report,
    /// How many escape steps were taken.
    pub escapes: usize,
    /// The saddle points escaped from, in order.
    pub saddles: Vec<Vec<f64>>,
}

/// [`minimize`] with `method` from `x0`, escaping every saddle point the run converges to (see
/// the [module docs](self)). Needs the driver's verdict: with
/// [`ClassifyPoint::Never`](crate::ClassifyPoint::Never), or an objective without a
/// [`curvature_oracle`](Objective::curvature_oracle), it is [`minimize`].
///
/// # Errors
/// As [`minimize`], and [`Error::InvalidHyperparameter`] for invalid `escape` settings.
pub fn minimize_escaping<O, M>(
    objective: &O,
    x0: &[f64],
    method: M,
    options: &Options,
    escape: &Escape,
) -> Result<Escaped>
where
    O: Objective + ?Sized,
    M: Method<O> + Clone,
{
    escape_saddles(objective, x0, |x| minimize(objective, x, method.clone(), options), escape)
}

/// The restart loop of [`minimize_escaping`] around any `run` from a starting point (the CLI
/// passes its own method dispatch). `run` must return the driver's report, whose
/// `critical_point` decides whether to escape.
///
/// # Errors
/// What `run` returns; [`Error::InvalidHyperparameter`] for invalid `escape` settings.
pub fn escape_saddles<O, E>(
    objective: &O,
    x0: &[f64],
    mut run: impl FnMut(&[f64]) -> std::result::Result<Report, E>,
    escape: &Escape,
) -> std::result::Result<Escaped, E>
where
    O: Objective + ?Sized,
    E: From<Error>,
{
    escape.validate()?;
    let mut report = run(x0)?;
    let mut total = Totals::of(&report);
    let mut saddles = Vec::new();
    while saddles.len() < escape.max_escapes
        && matches!(report.critical_point, Some(CriticalPoint::SaddlePoint { .. }))
    {
        let Some(oracle) = objective.curvature_oracle() else { break };
        let Some(step) = escape_from(oracle, &report.x, escape, &mut total)? else { break };
        saddles.push(report.x.clone());
        report = run(&step.x)?;
        total.add(&report);
    }
    report.iterations = total.iterations;
    report.evaluations = total.evaluations;
    report.elapsed = total.elapsed;
    report.critical_point_hessians = total.verdict_hessians;
    Ok(Escaped { report, escapes: saddles.len(), saddles })
}

/// The curvature at x and the escape step, their evaluations added to `total`.
fn escape_from(
    f: &dyn SecondOrder,
    x: &[f64],
    escape: &Escape,
    total: &mut Totals,
) -> Result<Option<EscapeStep>> {
    let c = curvature(f, x, &escape.curvature)?;
    total.evaluations.hessian += c.hessian_evaluations;
    let step = escape_step(f, x, &c, escape)?;
    if let Some(s) = &step {
        total.evaluations.value += s.values;
        total.evaluations.gradient += 1;
    }
    Ok(step)
}

/// Iterations, evaluations and time summed over the legs of a run.
struct Totals {
    iterations: usize,
    evaluations: Evaluations,
    elapsed: std::time::Duration,
    verdict_hessians: usize,
}

impl Totals {
    fn of(report: &Report) -> Self {
        Self {
            iterations: report.iterations,
            evaluations: report.evaluations,
            elapsed: report.elapsed,
            verdict_hessians: report.critical_point_hessians,
        }
    }

    fn add(&mut self, report: &Report) {
        self.iterations += report.iterations;
        self.evaluations.value += report.evaluations.value;
        self.evaluations.gradient += report.evaluations.gradient;
        self.evaluations.hessian += report.evaluations.hessian;
        self.elapsed += report.elapsed;
        self.verdict_hessians += report.critical_point_hessians;
    }
}

#[cfg(test)]
mod tests {
    use num_dual::DualNum;

    use super::*;
    use crate::problems::{Himmelblau, Saddle};
    use crate::{AutoDiff, DualFunction, GradientDescent, Status};

    /// x² − y² + y⁴/4: a saddle at 0 (λ = ±2), minima at (0, ±√2) with f = −1.
    #[derive(Clone, Copy)]
    struct Tilted;
    impl DualFunction for Tilted {
        fn dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
            x[0] * x[0] - x[1] * x[1] + x[1].powi(4) * 0.25
        }
    }

    #[test]
    fn plain_gd_started_at_the_saddle_stops_there_and_says_so() {
        let f = AutoDiff::new(Tilted);
        let report =
            minimize(&f, &[0.0, 0.0], GradientDescent::armijo(), &Options::default()).unwrap();
        assert_eq!(report.iterations, 0);
        assert!(report.status.is_converged());
        assert_eq!(
            report.critical_point,
            Some(CriticalPoint::SaddlePoint { negative_directions: 1 })
        );
        // One Hessian spent on the verdict, counted apart from the method's (none).
        assert_eq!((report.critical_point_hessians, report.evaluations.hessian), (1, 0));
        // The same on x² − y² itself, a built-in problem (hand-written Hessian).
        let report =
            minimize(&Saddle::new(), &[0.0, 0.0], GradientDescent::armijo(), &Options::default())
                .unwrap();
        assert_eq!(
            report.critical_point,
            Some(CriticalPoint::SaddlePoint { negative_directions: 1 })
        );
    }

    #[test]
    fn a_run_that_ends_at_a_minimum_says_minimum() {
        let f = Himmelblau::new();
        let report =
            minimize(&f, &[1.0, 1.0], GradientDescent::armijo(), &Options::default()).unwrap();
        assert!(report.status.is_converged());
        assert_eq!(report.critical_point, Some(CriticalPoint::Minimum));
        // Never: no verdict, no Hessian.
        let never = Options { classify: crate::ClassifyPoint::Never, ..Options::default() };
        let report = minimize(&f, &[1.0, 1.0], GradientDescent::armijo(), &never).unwrap();
        assert_eq!((report.critical_point, report.critical_point_hessians), (None, 0));
        // A run that does not converge is not classified.
        let short = Options { max_iter: 2, ..Options::default() };
        let report = minimize(&f, &[1.0, 1.0], GradientDescent::armijo(), &short).unwrap();
        assert_eq!((report.status, report.critical_point), (Status::MaxIterations, None));
    }

    #[test]
    fn the_escape_step_goes_down_the_negative_direction() {
        let f = AutoDiff::new(Tilted);
        let c = curvature(&f, &[0.0, 0.0], &CurvatureOptions::default()).unwrap();
        let step = escape_step(&f, &[0.0, 0.0], &c, &Escape::default()).unwrap().unwrap();
        // φ(α) = −α² + α⁴/4 along ±e_y: α₀ = 1 passes (φ = −0.75), α = 2 gives φ = 0 > −0.75.
        assert_eq!(step.step, 1.0);
        assert_eq!(step.x[0], 0.0);
        assert_eq!(step.x[1].abs(), 1.0);
        assert_eq!((step.value, step.curvature), (-0.75, -2.0));
        // At a minimum there is nothing to escape along.
        let c = curvature(&f, &[0.0, 2f64.sqrt()], &CurvatureOptions::default()).unwrap();
        assert_eq!(escape_step(&f, &[0.0, 2f64.sqrt()], &c, &Escape::default()), Ok(None));
    }

    #[test]
    fn gd_with_escapes_leaves_the_saddle_and_ends_at_a_minimum() {
        let f = AutoDiff::new(Tilted);
        let run = minimize_escaping(
            &f,
            &[0.0, 0.0],
            GradientDescent::armijo(),
            &Options::default(),
            &Escape::default(),
        )
        .unwrap();
        assert_eq!((run.escapes, run.saddles.clone()), (1, vec![vec![0.0, 0.0]]));
        assert_eq!(run.report.critical_point, Some(CriticalPoint::Minimum));
        assert!(run.report.status.is_converged());
        assert!(run.report.x[0].abs() < 1e-6 && (run.report.x[1].abs() - 2f64.sqrt()).abs() < 1e-6);
        assert!((run.report.value + 1.0).abs() < 1e-10);
        // Hessians: the curvature for the escape (the method's work); the verdicts at the saddle
        // and at the minimum are counted apart.
        assert_eq!(run.report.evaluations.hessian, 1);
        assert_eq!(run.report.critical_point_hessians, 2);
        // max_escapes = 0 is plain minimize.
        let none = Escape { max_escapes: 0, ..Escape::default() };
        let run = minimize_escaping(
            &f,
            &[0.0, 0.0],
            GradientDescent::armijo(),
            &Options::default(),
            &none,
        )
        .unwrap();
        assert_eq!(run.escapes, 0);
        assert_eq!(
            run.report.critical_point,
            Some(CriticalPoint::SaddlePoint { negative_directions: 1 })
        );
    }

    #[test]
    fn invalid_escape_settings_are_errors() {
        let bad = Escape { c1: 1.5, ..Escape::default() };
        let f = AutoDiff::new(Tilted);
        assert!(matches!(
            minimize_escaping(
                &f,
                &[0.0, 0.0],
                GradientDescent::armijo(),
                &Options::default(),
                &bad
            ),
            Err(Error::InvalidHyperparameter { name: "c1", .. })
        ));
    }
}
