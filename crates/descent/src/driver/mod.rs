//! The loop that every whole-problem solver shares: [`minimize`].
//!
//! A [`Method`] knows how to take one step; the driver owns everything else: evaluation
//! counting, stopping rules, honest statuses, observers and timing. The rules, checked after
//! every step in this order:
//!
//! 1. the method could not step (line search failed) → [`Status::LineSearchFailed`]; (trust
//!    region collapsed) → [`Status::TrustRegionCollapsed`];
//! 2. the new value is −∞ → [`Status::UnboundedBelow`]; NaN/+∞ in the value or gradient →
//!    [`Status::NonFinite`], and the report keeps the last finite iterate;
//! 3. an observer asked to stop → [`Status::Stopped`];
//! 4. convergence: `gtol`, `gtol_inf`, `gtol_rel`, `ftol`, `ftol_rel`, `xtol`, `xtol_l1` (a tolerance of 0
//!    is off), once [`Method::may_converge`] allows it (perturbed gradient descent: once a kick
//!    failed);
//! 5. divergence: f(xₖ) − f(x₀) > `divergence`·max(1, |f(x₀)|) → [`Status::Diverged`];
//! 6. unboundedness: f(xₖ) ≤ `unbounded_value`, or the ray test below → [`Status::UnboundedBelow`];
//! 7. limits: `max_iter`, `max_evals`, `time_limit`.
//!
//! Before the first step: x₀ must be finite ([`Error::NonFiniteInput`]), f and ∇f at x₀ too
//! ([`Error::NonFiniteStart`]), and, when [`Options::check_gradient`] asks for it, ∇f(x₀) must
//! agree with central differences ([`Error::GradientCheckFailed`], naming the worst component).
//!
//! **Panics.** An objective that panics — or a method that panics while using it — does not
//! unwind through [`minimize`]: the run is abandoned and [`Error::ObjectivePanicked`] names the
//! iteration being computed (0: the start) and the panic's message. Everything the run built
//! (the method's state, the iterates) is dropped by the unwind, so nothing half-updated is ever
//! seen. This needs `panic = "unwind"`, Rust's default; under `panic = "abort"` the process
//! ends as before. The panic hook still runs, so the message is also printed to stderr (install
//! a quiet hook with [`std::panic::set_hook`] to silence it). A panic of the caller's
//! [`Observer`] is not the objective's: it propagates unchanged. The cost is one
//! `catch_unwind` per run, nothing per iteration.
//!
//! **The ray test.** A ramp never reaches any value threshold at a fixed step, so the driver
//! looks at the path: when `unbounded_window` consecutive steps each lowered f while the
//! curvature along the step was not positive (sᵀy ≤ 0 with s = xₖ − xₖ₋₁, y = ∇fₖ − ∇fₖ₋₁:
//! the landscape is flat or concave along the path), it probes the ray x + t·s at
//! t = 4, 16, 64, …. The verdict is "unbounded below" only if f keeps falling at every probe,
//! its average slope never flattens to less than half the first one, and the ray reaches
//! f ≤ `unbounded_value` or a distance of 10²⁰·max(1, ‖x‖). A convex bowl ahead, a plateau or a
//! kink (Huber, |x|) fails the probe; the window then doubles, so probes stay rare. Probes are
//! value evaluations and are counted.
//!
//! **Box bounds.** A method whose [`Method::bounds`] returns a box (the bounded methods of
//! [`crate::bounds`]) changes three things: x₀ is projected into the box before the first
//! evaluation (scipy clips x0 the same way) after the box's dimension is checked; the
//! stationarity measure behind `gtol`, `gtol_rel` and [`Report::grad_norm`] is the projected
//! gradient's norm ‖P(x − ∇f) − x‖₂ instead of ‖∇f‖₂ (at an active bound ∇f ≠ 0); and the
//! ray test's probes are projected, so it only calls a problem unbounded below if f falls
//! without bound inside the box. For every other method `bounds()` is a constant `None` and
//! the loop is the unconstrained one, with its single fused pass per iteration.
//!
//! **Honest stopping.** A gradient test fires at any critical point, saddle points and maxima
//! included. When a run converges (any [`Status::Converged`]) and the objective offers its
//! curvature ([`Objective::curvature_oracle`]), the driver classifies the final point by the
//! Hessian's eigenvalues ([`crate::landscape::curvature()`], with [`Options::curvature`]) and puts
//! the verdict in [`Report::critical_point`]: `minimum`, `maximum`,
//! `saddle_point { negative_directions }` or `degenerate`. [`Options::classify`] decides when:
//! [`ClassifyPoint::Auto`] (the default) for n ≤ [`CLASSIFY_AUTO_MAX`] = 10⁴,
//! [`ClassifyPoint::Always`] at any n, [`ClassifyPoint::Never`]. `critical_point` is `None`
//! when the check did not run: the run did not converge, the objective has no curvature, n is
//! too large for `Auto`, the method keeps a box (at an active bound ∇f ≠ 0 and the Hessian's
//! eigenvalues do not classify the point), or the eigensolver failed. The Hessian
//! evaluations it spends (one Hessian, or one per Lanczos product) are counted in
//! [`Report::critical_point_hessians`], apart from [`Report::evaluations`], which counts the
//! method's own work (the figures compared with scipy: Newton on a quadratic is one step and
//! one Hessian). Cost: O(n³) for n ≤ 1000 (dense), O(n) for tridiagonal Hessians,
//! 300 Hessian-vector products and O(300²·n) otherwise.
//!
//! After set-up (the iterate buffers, the method's state) an iteration allocates nothing.

mod observer;
mod report;

use std::any::Any;
use std::cell::Cell;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

pub use observer::{NoObserver, Observer, Progress, Trace, TraceRow};
pub use report::{Convergence, Evaluations, Report, Status};

use crate::bounds::Bounds;
use crate::error::{positive, tolerance};
use crate::kernels::{all_finite, norm, norm_from_squares, norm_inf, step_geometry};
use crate::landscape::{CriticalPoint, CurvatureOptions, curvature};
use crate::{
    Error, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct, Objective, Result,
    check_gradient,
};

/// Stopping rules and safeguards of a run. Tolerances of 0 switch their rule off.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Iteration limit (default 1000).
    pub max_iter: usize,
    /// Limit on value evaluations (default: none). Checked between iterations, so a line
    /// search may overshoot it by its own trials.
    pub max_evals: usize,
    /// Wall-time limit (default: none).
    pub time_limit: Option<Duration>,
    /// Converged when ‖∇f‖₂ ≤ `gtol` (default 1e-6).
    pub gtol: f64,
    /// Converged when ‖∇f‖∞ = maxᵢ |∂f/∂xᵢ| ≤ `gtol_inf` (default off): the test of scipy's
    /// L-BFGS-B (`gtol`, formerly `pgtol`) and of argmin's and Optim.jl's `g_abstol`, whose
    /// meaning does not grow with n as the 2-norm's does. Reported as
    /// [`Convergence::GradientNorm`].
    pub gtol_inf: f64,
    /// Converged when ‖∇f‖₂ ≤ `gtol_rel`·‖∇f(x₀)‖₂ (default off).
    pub gtol_rel: f64,
    /// Converged when |Δf| ≤ `ftol` (default off).
    pub ftol: f64,
    /// Converged when |Δf| ≤ `ftol_rel`·max(|fₖ₋₁|, |fₖ|) (default off).
    pub ftol_rel: f64,
    /// Converged when ‖xₖ − xₖ₋₁‖₂ ≤ `xtol` (default off).
    pub xtol: f64,
    /// Converged when ‖xₖ − xₖ₋₁‖₁ ≤ `xtol_l1` (default off): scipy's `Newton-CG` test (with
    /// n·`xtol`, its `xtol` being a per-variable average). Reported as
    /// [`Convergence::StepSize`]. Costs one pass over the step when on.
    pub xtol_l1: f64,
    /// Diverged when f(xₖ) − f(x₀) > `divergence`·max(1, |f(x₀)|) (default 1e8; 0 is off).
    pub divergence: f64,
    /// Unbounded below when f(xₖ) ≤ this value (default −1e20, as Knitro's `objrange`).
    pub unbounded_value: f64,
    /// Consecutive flat-or-concave descending steps that trigger the ray test (default 10;
    /// 0 is off).
    pub unbounded_window: usize,
    /// When to classify the point where a run converged (default [`ClassifyPoint::Auto`]; see
    /// the [module docs](self)).
    pub classify: ClassifyPoint,
    /// How the classification computes the Hessian's eigenvalues (default
    /// [`CurvatureOptions::default`]).
    pub curvature: CurvatureOptions,
    /// When `Some(tolerance)`, [`minimize`] compares ∇f with central differences at the
    /// (projected) x₀ before the first step ([`check_gradient`]) and
    /// returns [`Error::GradientCheckFailed`] when the worst component's error exceeds
    /// `tolerance` (default `None`: no check). The check's 2n + 1 evaluations are the
    /// driver's, not the method's, and are not counted in [`Report::evaluations`]. A correct
    /// gradient of a smooth function with derivatives of order one agrees to about 1e-8, so
    /// 1e-6 is a sensible tolerance.
    pub check_gradient: Option<f64>,
}

/// When [`minimize`] classifies the point where a run converged ([`Report::critical_point`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClassifyPoint {
    /// When the objective has a curvature oracle and n ≤ [`CLASSIFY_AUTO_MAX`] (default).
    #[default]
    Auto,
    /// Never.
    Never,
    /// Whenever the objective has a curvature oracle, at any n.
    Always,
}

/// The largest n that [`ClassifyPoint::Auto`] classifies: 10⁴, where a dense Hessian would
/// take 800 MB and a Lanczos run of 300 products with full reorthogonalisation about 10⁹ flops.
pub const CLASSIFY_AUTO_MAX: usize = 10_000;

impl Default for Options {
    fn default() -> Self {
        Self {
            max_iter: 1000,
            max_evals: usize::MAX,
            time_limit: None,
            gtol: 1e-6,
            gtol_inf: 0.0,
            gtol_rel: 0.0,
            ftol: 0.0,
            ftol_rel: 0.0,
            xtol: 0.0,
            xtol_l1: 0.0,
            divergence: 1e8,
            unbounded_value: -1e20,
            unbounded_window: 10,
            classify: ClassifyPoint::Auto,
            curvature: CurvatureOptions::default(),
            check_gradient: None,
        }
    }
}

impl Options {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        tolerance("gtol", self.gtol)?;
        tolerance("gtol_inf", self.gtol_inf)?;
        tolerance("gtol_rel", self.gtol_rel)?;
        tolerance("ftol", self.ftol)?;
        tolerance("ftol_rel", self.ftol_rel)?;
        tolerance("xtol", self.xtol)?;
        tolerance("xtol_l1", self.xtol_l1)?;
        tolerance("divergence", self.divergence)?;
        if self.unbounded_value.is_nan() {
            return Err(Error::InvalidHyperparameter {
                name: "unbounded_value",
                value: self.unbounded_value,
                valid: "a number (−∞ switches the threshold off)",
            });
        }
        self.curvature.validate()?;
        if let Some(tolerance) = self.check_gradient {
            positive("check_gradient", tolerance)?;
        }
        Ok(())
    }
}

/// A point with its value and gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct Iterate {
    /// The point.
    pub x: Vec<f64>,
    /// f(x).
    pub value: f64,
    /// ∇f(x).
    pub grad: Vec<f64>,
}

impl Iterate {
    /// An iterate of dimension `n`, all zero.
    #[must_use]
    pub fn zeros(n: usize) -> Self {
        Self { x: vec![0.0; n], value: 0.0, grad: vec![0.0; n] }
    }

    fn progress(
        &self,
        iteration: usize,
        grad_norm: f64,
        step_norm: f64,
        evaluations: Evaluations,
    ) -> Progress<'_> {
        let (x, value, grad) = (&self.x, self.value, &self.grad);
        Progress { iteration, x, value, grad, grad_norm, step_norm, evaluations }
    }

    fn is_finite(&self) -> bool {
        self.value.is_finite() && all_finite(&self.grad)
    }
}

/// An objective seen through evaluation counters: what a [`Method`] calls.
#[derive(Debug)]
pub struct Counted<'a, O: ?Sized> {
    objective: &'a O,
    value: Cell<usize>,
    gradient: Cell<usize>,
    hessian: Cell<usize>,
}

impl<'a, O: Objective + ?Sized> Counted<'a, O> {
    /// Wraps `objective` with zeroed counters.
    pub fn new(objective: &'a O) -> Self {
        Self { objective, value: Cell::new(0), gradient: Cell::new(0), hessian: Cell::new(0) }
    }

    /// The dimension n.
    pub fn dim(&self) -> usize {
        self.objective.dim()
    }

    /// f(x), counted as one value evaluation.
    pub fn value(&self, x: &[f64]) -> f64 {
        self.value.set(self.value.get() + 1);
        self.objective.value(x)
    }

    /// f(x) and ∇f(x), counted as one value and one gradient evaluation.
    pub fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.value.set(self.value.get() + 1);
        self.gradient.set(self.gradient.get() + 1);
        self.objective.value_grad(x, grad)
    }

    /// The counts so far.
    pub fn evaluations(&self) -> Evaluations {
        Evaluations {
            value: self.value.get(),
            gradient: self.gradient.get(),
            hessian: self.hessian.get(),
        }
    }
}

impl<O: Hessian + ?Sized> Counted<'_, O> {
    /// The Hessian's structure (not an evaluation: nothing is counted).
    pub fn hessian_structure(&self) -> HessianStructure {
        self.objective.hessian_structure()
    }

    /// ∇²f(x), counted as one Hessian evaluation.
    pub fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        self.hessian.set(self.hessian.get() + 1);
        self.objective.hessian(x, hessian);
    }
}

impl<O: HessianVectorProduct + ?Sized> Counted<'_, O> {
    /// ∇²f(x)·v, counted as one Hessian evaluation.
    pub fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        self.hessian.set(self.hessian.get() + 1);
        self.objective.hessian_vector_product(x, v, hv);
    }
}

/// What a [`Method`]'s step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// `next` holds the new iterate with its value and gradient.
    Moved,
    /// No acceptable step was found; `next` is meaningless.
    LineSearchFailed,
    /// A trust-region method rejected trials until its radius fell below ε·max(1, ‖x‖);
    /// `next` is meaningless.
    TrustRegionCollapsed,
}

/// A rule for the next step, driven by [`minimize`].
pub trait Method<O: Objective + ?Sized> {
    /// What the method carries from one step to the next (buffers, memory).
    type State;

    /// Validates the configuration and allocates the state, given the starting iterate.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] for a configuration out of range.
    fn init(&self, objective: &Counted<'_, O>, start: &Iterate) -> Result<Self::State>;

    /// Takes one step from `current`, writing the new point, value and gradient into `next`.
    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome;

    /// The box the method keeps its iterates in, if any (default: none, unconstrained). With
    /// a box, [`minimize`] projects x₀ into it and measures stationarity by the projected
    /// gradient (see the [module docs](self)); the method must keep every iterate inside.
    fn bounds(&self) -> Option<&Bounds> {
        None
    }

    /// Whether the convergence tests (`gtol`, `gtol_rel`, `ftol`, `ftol_rel`, `xtol`) may end
    /// the run now (default: always). A method that must first test a stationary point —
    /// [perturbed gradient descent](crate::landscape::escape), which may stop only once a
    /// perturbation has failed to lower f — answers `false` until it has; the limits and the
    /// other rules apply as usual.
    fn may_converge(&self, _state: &Self::State) -> bool {
        true
    }
}

/// Minimises `objective` from `x0` with `method`, under the stopping rules of `options`.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x0` does not have the objective's dimension;
/// [`Error::NonFiniteInput`] for NaN/∞ in `x0`; [`Error::NonFiniteStart`] if f or ∇f is not
/// finite at `x0`; [`Error::InvalidHyperparameter`] for invalid options or method settings;
/// [`Error::GradientCheckFailed`] when [`Options::check_gradient`] is set and ∇f disagrees with
/// central differences at x₀; [`Error::ObjectivePanicked`] when the objective panics (see the
/// [module docs](self)). Everything else that happens after the start is a [`Status`] in the
/// [`Report`].
///
/// # Panics
/// Only when the observer of [`minimize_observed`] panics: that panic is re-raised.
pub fn minimize<O, M>(objective: &O, x0: &[f64], method: M, options: &Options) -> Result<Report>
where
    O: Objective + ?Sized,
    M: Method<O>,
{
    minimize_observed(objective, x0, method, options, &mut NoObserver)
}

/// [`minimize`], with an [`Observer`] that sees every iterate and may stop the run.
///
/// # Errors
/// As [`minimize`].
///
/// # Panics
/// A panic of `observer` itself propagates unchanged (it is the caller's code, and its state
/// is the caller's to judge); a panic of the objective or the method is
/// [`Error::ObjectivePanicked`].
pub fn minimize_observed<O, M>(
    objective: &O,
    x0: &[f64],
    method: M,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Report>
where
    O: Objective + ?Sized,
    M: Method<O>,
{
    let started = Instant::now();
    options.validate()?;
    let n = objective.dim();
    if x0.len() != n {
        return Err(Error::DimensionMismatch { what: "x0", expected: n, got: x0.len() });
    }
    if let Some((index, &value)) = x0.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFiniteInput { index, value });
    }

    // The panic rule (module docs). `AssertUnwindSafe` is sound here because nothing the
    // closure touches is observed after a panic: the method, its state, the iterates and the
    // counters live inside `run` and are dropped by the unwind; the options are only read,
    // and so is the objective, through `&` (an objective with interior mutability, a cache in a
    // `RefCell`, may hold whatever its panic left there, exactly as if the caller had caught the
    // panic itself); the caller's observer is the one outside value the run mutates, and a
    // panic of the observer itself is re-raised, unchanged, so its state is the caller's to
    // judge. One `catch_unwind` per run, none per iteration: the hot loop pays one
    // `Cell` store per step for the iteration number.
    let iteration = Cell::new(0);
    let in_observer = Cell::new(false);
    let mut watched = Watched { observer, busy: &in_observer };
    let run =
        AssertUnwindSafe(|| run(objective, x0, method, options, &mut watched, &iteration, started));
    match panic::catch_unwind(run) {
        Ok(result) => result,
        Err(payload) if in_observer.get() => panic::resume_unwind(payload),
        Err(payload) => Err(Error::ObjectivePanicked {
            iteration: iteration.get(),
            message: panic_message(payload.as_ref()),
        }),
    }
}

/// A panic's message: the payload of `panic!("...")` is a `&str` or a `String`.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// The caller's observer, with a flag raised while it runs: a panic caught while the flag is
/// up is the observer's own, and [`minimize_observed`] re-raises it.
struct Watched<'o, 'c> {
    observer: &'o mut dyn Observer,
    busy: &'c Cell<bool>,
}

impl Observer for Watched<'_, '_> {
    fn observe(&mut self, progress: &Progress<'_>) -> ControlFlow<()> {
        self.busy.set(true);
        let flow = self.observer.observe(progress);
        self.busy.set(false);
        flow
    }
}

/// The run itself, after the checks that need no evaluation; `iteration` tells
/// [`minimize_observed`] which iteration a panic interrupted (0: the start).
fn run<O, M>(
    objective: &O,
    x0: &[f64],
    method: M,
    options: &Options,
    observer: &mut dyn Observer,
    iteration: &Cell<usize>,
    started: Instant,
) -> Result<Report>
where
    O: Objective + ?Sized,
    M: Method<O>,
{
    let n = x0.len();
    let bounds = method.bounds();
    if let Some(b) = bounds {
        b.check_dim(n)?;
    }

    let f = Counted::new(objective);
    let mut current = Iterate { x: x0.to_vec(), value: 0.0, grad: vec![0.0; n] };
    if let Some(b) = bounds {
        b.project(&mut current.x);
    }
    current.value = f.value_grad(&current.x, &mut current.grad);
    if !current.value.is_finite() {
        return Err(Error::NonFiniteStart { what: "value" });
    }
    if !current.is_finite() {
        return Err(Error::NonFiniteStart { what: "gradient" });
    }
    if let Some(tolerance) = options.check_gradient {
        let check = check_gradient(objective, &current.x)?;
        if !check.passes(tolerance) {
            return Err(Error::GradientCheckFailed {
                index: check.worst_index,
                analytic: check.analytic,
                numeric: check.numeric,
                error: check.error,
                tolerance,
            });
        }
    }
    let mut state = method.init(&f, &current)?;
    let mut next = Iterate::zeros(n);
    let mut probe = vec![0.0; n];

    let f0 = current.value;
    let g0_norm = stationarity(bounds, &current, || norm(&current.grad));
    let mut grad_norm = g0_norm;
    let mut grad_inf = stationarity_inf(bounds, &current, || norm_inf(&current.grad));
    let mut unbounded = RayTest::new(options.unbounded_window, bounds);

    let mut status =
        if observer.observe(&current.progress(0, grad_norm, 0.0, f.evaluations())).is_break() {
            Some(Status::Stopped)
        } else {
            gradient_converged(options, grad_norm, grad_inf, g0_norm)
                .filter(|_| method.may_converge(&state))
        };

    let mut iterations = 0;
    while status.is_none() {
        if let Some(limit) = limit_reached(options, iterations, &f, started) {
            status = Some(limit);
            break;
        }
        let k = iterations + 1;
        iteration.set(k);
        match method.step(&mut state, &f, &current, &mut next) {
            StepOutcome::Moved => {}
            StepOutcome::LineSearchFailed => {
                status = Some(Status::LineSearchFailed { iteration: k });
                break;
            }
            StepOutcome::TrustRegionCollapsed => {
                status = Some(Status::TrustRegionCollapsed { iteration: k });
                break;
            }
        }
        if next.value == f64::NEG_INFINITY {
            std::mem::swap(&mut current, &mut next);
            iterations = k;
            grad_norm = stationarity(bounds, &current, || norm(&current.grad));
            status = Some(Status::UnboundedBelow);
            break;
        }
        if !next.is_finite() {
            status = Some(Status::NonFinite { iteration: k });
            break;
        }
        let along = PathGeometry::between(&current, &next);
        std::mem::swap(&mut current, &mut next);
        let previous = &next;
        iterations = k;
        grad_norm = stationarity(bounds, &current, || along.grad_norm);
        grad_inf = stationarity_inf(bounds, &current, || along.grad_inf);

        status = if observer
            .observe(&current.progress(k, grad_norm, along.step_norm, f.evaluations()))
            .is_break()
        {
            Some(Status::Stopped)
        } else if let Some(s) = gradient_converged(options, grad_norm, grad_inf, g0_norm)
            .or_else(|| step_converged(options, previous, &current, along.step_norm))
            .filter(|_| method.may_converge(&state))
        {
            Some(s)
        } else if options.divergence > 0.0
            && current.value - f0 > options.divergence * f0.abs().max(1.0)
        {
            Some(Status::Diverged { iteration: k })
        } else if current.value <= options.unbounded_value
            || unbounded.observe(&f, previous, &current, along, &mut probe, options)
        {
            Some(Status::UnboundedBelow)
        } else {
            None
        };
    }

    let status = status.unwrap_or(Status::MaxIterations);
    let (critical_point, critical_point_hessians) = if status.is_converged() && bounds.is_none() {
        classify_point(objective, &current.x, options)
    } else {
        (None, 0)
    };
    Ok(Report {
        x: current.x,
        value: current.value,
        grad_norm,
        iterations,
        evaluations: f.evaluations(),
        status,
        elapsed: started.elapsed(),
        critical_point,
        critical_point_hessians,
    })
}

/// Honest stopping (module docs): the verdict at x, and the Hessian evaluations it spent
/// (counted whether or not the eigensolver succeeded).
fn classify_point<O: Objective + ?Sized>(
    objective: &O,
    x: &[f64],
    options: &Options,
) -> (Option<CriticalPoint>, usize) {
    let wanted = match options.classify {
        ClassifyPoint::Auto => x.len() <= CLASSIFY_AUTO_MAX,
        ClassifyPoint::Always => true,
        ClassifyPoint::Never => false,
    };
    let Some(oracle) = objective.curvature_oracle().filter(|_| wanted) else { return (None, 0) };
    let counted = CountedOracle { inner: oracle, hessians: Cell::new(0) };
    let c = curvature(&counted, x, &options.curvature);
    (c.ok().map(|c| c.verdict), counted.hessians.get())
}

/// A curvature oracle that counts its Hessians and Hessian-vector products.
struct CountedOracle<'a> {
    inner: &'a dyn crate::SecondOrder,
    hessians: Cell<usize>,
}

impl Objective for CountedOracle<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.inner.value(x)
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.inner.value_grad(x, grad)
    }
}

impl Hessian for CountedOracle<'_> {
    fn hessian_structure(&self) -> HessianStructure {
        self.inner.hessian_structure()
    }
    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        self.hessians.set(self.hessians.get() + 1);
        self.inner.hessian(x, hessian);
    }
}

impl HessianVectorProduct for CountedOracle<'_> {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        self.hessians.set(self.hessians.get() + 1);
        self.inner.hessian_vector_product(x, v, hv);
    }
}

/// The stationarity measure: ‖P(x − ∇f) − x‖₂ inside a box, else `unconstrained()` (‖∇f‖₂).
#[inline]
fn stationarity(bounds: Option<&Bounds>, at: &Iterate, unconstrained: impl Fn() -> f64) -> f64 {
    match bounds {
        Some(b) => b.projected_gradient_norm(&at.x, &at.grad),
        None => unconstrained(),
    }
}

/// [`stationarity`] in the ∞-norm: ‖P(x − ∇f) − x‖∞ inside a box (scipy's `pgtol` measure),
/// else `unconstrained()` (‖∇f‖∞).
#[inline]
fn stationarity_inf(bounds: Option<&Bounds>, at: &Iterate, unconstrained: impl Fn() -> f64) -> f64 {
    match bounds {
        Some(b) => b.projected_gradient_norm_inf(&at.x, &at.grad),
        None => unconstrained(),
    }
}

fn limit_reached<O: Objective + ?Sized>(
    options: &Options,
    iterations: usize,
    f: &Counted<'_, O>,
    started: Instant,
) -> Option<Status> {
    if iterations >= options.max_iter {
        Some(Status::MaxIterations)
    } else if f.evaluations().value >= options.max_evals {
        Some(Status::MaxEvaluations)
    } else if options.time_limit.is_some_and(|limit| started.elapsed() >= limit) {
        Some(Status::TimeLimit)
    } else {
        None
    }
}

fn gradient_converged(
    options: &Options,
    grad_norm: f64,
    grad_inf: f64,
    g0_norm: f64,
) -> Option<Status> {
    if (options.gtol > 0.0 && grad_norm <= options.gtol)
        || (options.gtol_inf > 0.0 && grad_inf <= options.gtol_inf)
    {
        Some(Status::Converged(Convergence::GradientNorm))
    } else if options.gtol_rel > 0.0 && grad_norm <= options.gtol_rel * g0_norm {
        Some(Status::Converged(Convergence::RelativeGradientNorm))
    } else {
        None
    }
}

fn step_converged(
    options: &Options,
    previous: &Iterate,
    current: &Iterate,
    step_norm: f64,
) -> Option<Status> {
    let (before, after) = (previous.value, current.value);
    let change = (before - after).abs();
    let step_l1 = || previous.x.iter().zip(&current.x).map(|(a, b)| (b - a).abs()).sum::<f64>();
    if options.ftol > 0.0 && change <= options.ftol {
        Some(Status::Converged(Convergence::ValueChange))
    } else if options.ftol_rel > 0.0 && change <= options.ftol_rel * before.abs().max(after.abs()) {
        Some(Status::Converged(Convergence::RelativeValueChange))
    } else if (options.xtol > 0.0 && step_norm <= options.xtol)
        || (options.xtol_l1 > 0.0 && step_l1() <= options.xtol_l1)
    {
        Some(Status::Converged(Convergence::StepSize))
    } else {
        None
    }
}

/// What one step did, measured in one fused pass over x, ∇f and their differences.
#[derive(Debug, Clone, Copy)]
struct PathGeometry {
    grad_norm: f64,
    /// ‖∇f‖∞ at the new point.
    grad_inf: f64,
    step_norm: f64,
    /// sᵀy: the curvature along the step, times ‖s‖².
    curvature: f64,
}

impl PathGeometry {
    fn between(from: &Iterate, to: &Iterate) -> Self {
        let (gg, ss, sy, grad_inf) = step_geometry(&from.x, &from.grad, &to.x, &to.grad);
        let grad_norm = norm_from_squares(gg, &to.grad);
        Self { grad_norm, grad_inf, step_norm: ss.sqrt(), curvature: sy }
    }
}

/// The ray test for unboundedness (see the module doc).
#[derive(Debug)]
struct RayTest<'b> {
    window: usize,
    run: usize,
    /// The method's box: probes are projected into it.
    bounds: Option<&'b Bounds>,
}

impl<'b> RayTest<'b> {
    fn new(window: usize, bounds: Option<&'b Bounds>) -> Self {
        Self { window, run: 0, bounds }
    }

    fn observe<O: Objective + ?Sized>(
        &mut self,
        f: &Counted<'_, O>,
        previous: &Iterate,
        current: &Iterate,
        along: PathGeometry,
        probe: &mut [f64],
        options: &Options,
    ) -> bool {
        if self.window == 0 {
            return false;
        }
        let flat_or_concave = along.curvature <= 0.0 && along.step_norm > 0.0;
        if !(flat_or_concave && current.value < previous.value) {
            self.run = 0;
            return false;
        }
        self.run += 1;
        if self.run < self.window {
            return false;
        }
        self.run = 0;
        if ray_falls_without_bound(
            f,
            previous,
            current,
            along.step_norm,
            probe,
            options,
            self.bounds,
        ) {
            return true;
        }
        self.window = self.window.saturating_mul(2);
        false
    }
}

/// Probes f(x + t·s), s = x − x_previous, at t = 4, 16, 64, ….
fn ray_falls_without_bound<O: Objective + ?Sized>(
    f: &Counted<'_, O>,
    previous: &Iterate,
    current: &Iterate,
    step_norm: f64,
    probe: &mut [f64],
    options: &Options,
    bounds: Option<&Bounds>,
) -> bool {
    const FAR: f64 = 1e20;
    let reach = FAR * norm(&current.x).max(1.0);
    let mut last = current.value;
    let mut first_slope = None;
    let mut t = 1.0_f64;
    while t * step_norm < reach {
        t *= 4.0;
        for ((p, x), xp) in probe.iter_mut().zip(&current.x).zip(&previous.x) {
            *p = x + t * (x - xp);
        }
        if let Some(b) = bounds {
            b.project(probe);
        }
        let value = f.value(probe);
        if value == f64::NEG_INFINITY {
            return true;
        }
        if !(value < last) {
            return false;
        }
        let slope = (value - current.value) / t;
        match first_slope {
            None => first_slope = Some(slope),
            Some(first) if slope > 0.5 * first => return false,
            Some(_) => {}
        }
        if value <= options.unbounded_value {
            return true;
        }
        last = value;
    }
    true
}
