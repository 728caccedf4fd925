//! The driver's statuses, each shown on a landscape whose behaviour is known by hand.

use std::ops::ControlFlow;

use descent::line_search::Backtracking;
use descent::{
    AutoDiff, Convergence, DualFunction, Error, GradientDescent, Objective, Options, Progress,
    Status, Trace, minimize, minimize_observed,
};
use num_dual::DualNum;

/// f(x) = ½·Σ aᵢxᵢ².
struct Quadratic(Vec<f64>);

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn value(&self, x: &[f64]) -> f64 {
        0.5 * self.0.iter().zip(x).map(|(a, x)| a * x * x).sum::<f64>()
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        for ((g, a), x) in g.iter_mut().zip(&self.0).zip(x) {
            *g = a * x;
        }
        self.value(x)
    }
}

/// g(x) + c.
struct Shifted(Quadratic, f64);

impl Objective for Shifted {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.0.value(x) + self.1
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        self.0.value_grad(x, g) + self.1
    }
}

/// f(θ) = c·Σθᵢ: a ramp with no bottom.
struct Ramp(f64, usize);

impl Objective for Ramp {
    fn dim(&self) -> usize {
        self.1
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.0 * x.iter().sum::<f64>()
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        g.fill(self.0);
        self.value(x)
    }
}

const TIGHT: f64 = 1e-12;

#[test]
fn gd_on_a_parabola_follows_the_closed_form() {
    let (a, lr, x0) = (3.0, 0.1, 2.5);
    let options = Options { gtol: 0.0, max_iter: 60, ..Options::default() };
    let mut trace = Trace::default();
    let report = minimize_observed(
        &Quadratic(vec![a]),
        &[x0],
        GradientDescent::new(lr).unwrap(),
        &options,
        &mut trace,
    )
    .unwrap();
    assert_eq!(report.status, Status::MaxIterations);
    assert_eq!(report.iterations, 60);
    assert_eq!(trace.rows.len(), 61);
    for row in &trace.rows {
        let expected = (1.0 - lr * a).powi(row.iteration as i32) * x0;
        assert!((row.x[0] - expected).abs() <= TIGHT * x0.abs(), "k = {}", row.iteration);
    }
    // One value and one gradient per fixed step, plus the start.
    assert_eq!(report.evaluations.value, 61);
    assert_eq!(report.evaluations.gradient, 61);
}

#[test]
fn the_ramp_is_unbounded_below_and_every_step_is_lr_times_c() {
    let (c, lr) = (2.0, 0.1);
    let mut trace = Trace::default();
    let report = minimize_observed(
        &Ramp(c, 1),
        &[0.0],
        GradientDescent::new(lr).unwrap(),
        &Options::default(),
        &mut trace,
    )
    .unwrap();
    assert_eq!(report.status, Status::UnboundedBelow);
    assert!(report.iterations < Options::default().max_iter);
    for pair in trace.rows.windows(2) {
        let step = pair[0].x[0] - pair[1].x[0];
        assert!((step - lr * c).abs() <= TIGHT, "step {step}");
    }
    // Also with the default iteration limit far away and at any slope sign.
    let report = minimize(
        &Ramp(-0.5, 3),
        &[1.0, 2.0, 3.0],
        GradientDescent::new(1.0).unwrap(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(report.status, Status::UnboundedBelow);
}

#[test]
fn armijo_on_the_ramp_is_unbounded_below_too() {
    let report =
        minimize(&Ramp(1.0, 2), &[0.0, 0.0], GradientDescent::armijo(), &Options::default())
            .unwrap();
    assert_eq!(report.status, Status::UnboundedBelow);
}

#[test]
fn a_convex_bowl_far_away_is_not_mistaken_for_a_ramp() {
    // Huber-like: linear for |x| > 1 (slope 1), so GD walks a straight ramp for ~1000 steps
    // before the bowl: the ray test must not call that unbounded.
    struct Huber;
    impl Objective for Huber {
        fn dim(&self) -> usize {
            1
        }
        fn value(&self, x: &[f64]) -> f64 {
            if x[0].abs() <= 1.0 { 0.5 * x[0] * x[0] } else { x[0].abs() - 0.5 }
        }
        fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = x[0].clamp(-1.0, 1.0);
            self.value(x)
        }
    }
    let options = Options { max_iter: 5000, ..Options::default() };
    let report = minimize(&Huber, &[100.0], GradientDescent::new(0.1).unwrap(), &options).unwrap();
    assert_eq!(report.status, Status::Converged(Convergence::GradientNorm));
    assert!(report.x[0].abs() < 1e-6);
}

#[test]
fn a_step_above_two_over_lambda_max_diverges_at_a_named_iteration() {
    // λ_max = 4, so α = 0.6 > 2/4: the error grows by |1 − 2.4| = 1.4 a step, the value by 1.96.
    let report = minimize(
        &Quadratic(vec![1.0, 4.0]),
        &[1.0, 1.0],
        GradientDescent::new(0.6).unwrap(),
        &Options::default(),
    )
    .unwrap();
    // f₀ = 2.5; along the steep axis fₖ ≈ 2·1.96ᵏ, so fₖ − f₀ > 1e8·2.5 first at k = 28.
    let k = (1..)
        .find(|&k| {
            let f = 0.5 * 0.4f64.powi(2 * k) + 2.0 * 1.96f64.powi(k);
            f - 2.5 > 1e8 * 2.5
        })
        .unwrap() as usize;
    assert_eq!(report.status, Status::Diverged { iteration: k });
    assert_eq!(report.iterations, k);
}

#[test]
fn a_nan_ends_non_finite_keeping_the_last_finite_iterate() {
    // f = −x for x ≤ 1 and NaN beyond (an objective evaluated outside its domain), with GD
    // walking right in steps of 0.25.
    struct Cliff;
    impl Objective for Cliff {
        fn dim(&self) -> usize {
            1
        }
        fn value(&self, x: &[f64]) -> f64 {
            if x[0] <= 1.0 { -x[0] } else { f64::NAN }
        }
        fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = -1.0;
            self.value(x)
        }
    }
    let report =
        minimize(&Cliff, &[0.0], GradientDescent::new(0.25).unwrap(), &Options::default()).unwrap();
    // Iterates 0, 0.25, 0.5, 0.75, 1.0 are finite; iteration 5 (x = 1.25) is NaN.
    assert_eq!(report.status, Status::NonFinite { iteration: 5 });
    assert_eq!(report.x, vec![1.0]);
    assert_eq!(report.value, -1.0);
    assert_eq!(report.iterations, 4);
}

#[test]
fn gtol_zero_runs_exactly_max_iter_iterations() {
    for max_iter in [0, 1, 7, 250] {
        let options = Options { gtol: 0.0, max_iter, ..Options::default() };
        let report =
            minimize(&Quadratic(vec![1.0]), &[1.0], GradientDescent::new(0.5).unwrap(), &options)
                .unwrap();
        assert_eq!((report.iterations, report.status), (max_iter, Status::MaxIterations));
    }
}

#[test]
fn every_convergence_rule_can_fire_and_is_named() {
    let f = Quadratic(vec![1.0, 2.0]);
    let gd = GradientDescent::new(0.1).unwrap();
    let cases = [
        (Options { gtol: 1e-3, ..Options::default() }, Convergence::GradientNorm),
        (
            Options { gtol: 0.0, gtol_rel: 1e-3, ..Options::default() },
            Convergence::RelativeGradientNorm,
        ),
        (Options { gtol: 0.0, ftol: 1e-9, ..Options::default() }, Convergence::ValueChange),
        (
            Options { gtol: 0.0, ftol_rel: 1e-4, ..Options::default() },
            Convergence::RelativeValueChange,
        ),
        (Options { gtol: 0.0, xtol: 1e-6, ..Options::default() }, Convergence::StepSize),
    ];
    for (options, rule) in cases {
        // A relative change needs a minimum value away from zero: shift f by 1.
        let report = if rule == Convergence::RelativeValueChange {
            minimize(&Shifted(Quadratic(vec![1.0, 2.0]), 1.0), &[1.0, 1.0], gd, &options)
        } else {
            minimize(&f, &[1.0, 1.0], gd, &options)
        }
        .unwrap();
        assert_eq!(report.status, Status::Converged(rule));
    }
    // Converged at the start: zero iterations.
    let report = minimize(&f, &[0.0, 0.0], gd, &Options::default()).unwrap();
    assert_eq!((report.iterations, report.status.reason()), (0, Some(Convergence::GradientNorm)));
}

/// Gradient descent with rate ½ on ½‖x‖² from (1, 1): xₖ = 2⁻ᵏ(1, 1), so the k-th step has
/// ‖Δx‖₁ = 2·2⁻ᵏ and ‖Δx‖₂ = √2·2⁻ᵏ. At the threshold 1.9·2⁻¹⁰ the 2-norm test fires at
/// k = 10 (√2 < 1.9) and the 1-norm test (scipy's Newton-CG rule) one step later (2 > 1.9).
#[test]
fn the_one_norm_step_test_fires_by_the_one_norm() {
    let f = Quadratic(vec![1.0, 1.0]);
    let gd = GradientDescent::new(0.5).unwrap();
    let threshold = 1.9 * 2f64.powi(-10);
    let two = Options { gtol: 0.0, xtol: threshold, ..Options::default() };
    let one = Options { gtol: 0.0, xtol_l1: threshold, ..Options::default() };
    for (options, iterations) in [(two, 10), (one, 11)] {
        let report = minimize(&f, &[1.0, 1.0], gd, &options).unwrap();
        assert_eq!(
            (report.iterations, report.status),
            (iterations, Status::Converged(Convergence::StepSize))
        );
    }
    let invalid = Options { xtol_l1: -1.0, ..Options::default() };
    assert!(minimize(&f, &[1.0, 1.0], gd, &invalid).is_err());
}

#[test]
fn evaluation_and_time_limits_stop_the_run() {
    let f = Quadratic(vec![1e-3]);
    let gd = GradientDescent::new(0.1).unwrap();
    let options = Options { max_evals: 10, ..Options::default() };
    let report = minimize(&f, &[1.0], gd, &options).unwrap();
    assert_eq!((report.status, report.evaluations.value), (Status::MaxEvaluations, 10));
    let options = Options { time_limit: Some(std::time::Duration::ZERO), ..Options::default() };
    assert_eq!(minimize(&f, &[1.0], gd, &options).unwrap().status, Status::TimeLimit);
}

#[test]
fn an_observer_stops_the_run() {
    let mut stop_at_3 = |p: &Progress<'_>| {
        if p.iteration == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let report = minimize_observed(
        &Quadratic(vec![1.0]),
        &[1.0],
        GradientDescent::new(0.1).unwrap(),
        &Options::default(),
        &mut stop_at_3,
    )
    .unwrap();
    assert_eq!((report.status, report.iterations), (Status::Stopped, 3));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let f = Quadratic(vec![1.0, 1.0]);
    let gd = GradientDescent::new(0.1).unwrap();
    assert_eq!(
        minimize(&f, &[1.0], gd, &Options::default()),
        Err(Error::DimensionMismatch { what: "x0", expected: 2, got: 1 })
    );
    assert!(matches!(
        minimize(&f, &[1.0, f64::NAN], gd, &Options::default()),
        Err(Error::NonFiniteInput { index: 1, .. })
    ));
    assert!(matches!(
        GradientDescent::new(-1.0),
        Err(Error::InvalidHyperparameter { name: "learning_rate", .. })
    ));
    assert!(matches!(
        GradientDescent::new(f64::INFINITY),
        Err(Error::InvalidHyperparameter { name: "learning_rate", .. })
    ));
    let options = Options { gtol: -1.0, ..Options::default() };
    assert!(matches!(
        minimize(&f, &[1.0, 1.0], gd, &options),
        Err(Error::InvalidHyperparameter { name: "gtol", .. })
    ));
    let bad_ls = GradientDescent::armijo()
        .with_line_search(Backtracking { c1: 0.0, ..Backtracking::default() });
    assert!(matches!(
        minimize(&f, &[1.0, 1.0], bad_ls, &Options::default()),
        Err(Error::InvalidHyperparameter { name: "c1", .. })
    ));
    struct NanAtStart;
    impl Objective for NanAtStart {
        fn dim(&self) -> usize {
            1
        }
        fn value(&self, _: &[f64]) -> f64 {
            f64::NAN
        }
        fn value_grad(&self, _: &[f64], _: &mut [f64]) -> f64 {
            f64::NAN
        }
    }
    assert_eq!(
        minimize(&NanAtStart, &[0.0], gd, &Options::default()),
        Err(Error::NonFiniteStart { what: "value" })
    );
}

/// Rosenbrock written once for dual numbers.
struct Rosen;
impl DualFunction for Rosen {
    fn dim(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let (a, b) = (-x[0] + 1.0, x[1] - x[0] * x[0]);
        a * a + b * b * 100.0
    }
}

#[test]
fn armijo_gd_reaches_the_rosenbrock_minimum_with_exact_dual_gradients() {
    let options = Options { max_iter: 100_000, gtol: 1e-6, ..Options::default() };
    let report =
        minimize(&AutoDiff::new(Rosen), &[-1.2, 1.0], GradientDescent::armijo(), &options).unwrap();
    assert_eq!(report.status, Status::Converged(Convergence::GradientNorm));
    assert!((report.x[0] - 1.0).abs() < 1e-4 && (report.x[1] - 1.0).abs() < 1e-4, "{report:?}");
    assert!(report.grad_norm <= 1e-6);
    // Every accepted step decreased f: a line search only accepts descent.
    assert!(report.value < 24.2);
}

#[test]
fn armijo_steps_always_decrease_the_value() {
    let mut trace = Trace::default();
    let options = Options { max_iter: 2000, ..Options::default() };
    minimize_observed(
        &AutoDiff::new(Rosen),
        &[-1.2, 1.0],
        GradientDescent::armijo(),
        &options,
        &mut trace,
    )
    .unwrap();
    for pair in trace.rows.windows(2) {
        assert!(pair[1].value < pair[0].value, "iteration {}", pair[1].iteration);
    }
}

mod invariants {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the problem, step and limits, a report describes its own x truthfully and
        /// its status agrees with the rule that ended the run.
        #[test]
        fn a_report_is_consistent_with_its_point_and_its_status(
            curvatures in prop::collection::vec(0.1..10.0_f64, 1..6),
            start in prop::collection::vec(-5.0..5.0_f64, 6),
            lr_scale in 0.01..2.5_f64,
            armijo in any::<bool>(),
            max_iter in 0usize..400,
            gtol in prop::sample::select(vec![0.0, 1e-8, 1e-4]),
        ) {
            let n = curvatures.len();
            let lambda_max = curvatures.iter().cloned().fold(0.0, f64::max);
            let f = Quadratic(curvatures);
            let x0 = &start[..n];
            let options = Options { max_iter, gtol, ..Options::default() };
            let lr = lr_scale / lambda_max;
            let report = if armijo {
                let gd = GradientDescent { learning_rate: lr, ..GradientDescent::armijo() };
                minimize(&f, x0, gd, &options)
            } else {
                minimize(&f, x0, GradientDescent::new(lr).unwrap(), &options)
            }
            .unwrap();

            let mut g = vec![0.0; n];
            prop_assert_eq!(report.value, f.value_grad(&report.x, &mut g));
            let norm = g.iter().map(|g| g * g).sum::<f64>().sqrt();
            prop_assert!((report.grad_norm - norm).abs() <= 1e-12 * norm.max(1e-300));
            prop_assert!(report.iterations <= max_iter);
            // The start, then at least one evaluation per step.
            prop_assert!(report.evaluations.value > report.iterations);
            prop_assert_eq!(report.evaluations.gradient, report.evaluations.value);
            prop_assert_eq!(report.evaluations.hessian, 0);
            match report.status {
                Status::Converged(Convergence::GradientNorm) => prop_assert!(report.grad_norm <= gtol),
                Status::MaxIterations => prop_assert_eq!(report.iterations, max_iter),
                // α > 2/λ_max makes the stiffest mode grow: only fixed steps can diverge.
                Status::Diverged { iteration } => {
                    prop_assert!(!armijo && lr_scale > 2.0);
                    prop_assert_eq!(iteration, report.iterations);
                }
                Status::LineSearchFailed { .. } => prop_assert!(armijo),
                other => prop_assert!(false, "unexpected status {other:?}"),
            }
            if armijo {
                prop_assert!(report.value <= f.value(x0));
            }
        }
    }
}

/// `gtol_inf` tests the largest gradient entry, not the 2-norm: on ½‖x‖² in 100 variables from
/// x = 10⁻⁶·1, ‖g‖∞ = 10⁻⁶ and ‖g‖₂ = 10⁻⁵. Gradient descent with step ½ halves g per step.
#[test]
fn gtol_inf_tests_the_largest_gradient_entry() {
    let f = Quadratic(vec![1.0; 100]);
    let x0 = vec![1e-6; 100];
    let gd = GradientDescent::new(0.5).unwrap();
    let run = |gtol, gtol_inf| {
        let options = Options { gtol, gtol_inf, max_iter: 100, ..Options::default() };
        minimize(&f, &x0, gd, &options).unwrap()
    };
    // ‖g‖∞ = 1e-6 ≤ 2e-6 at the start, though ‖g‖₂ = 1e-5 > 2e-6.
    let report = run(0.0, 2e-6);
    assert_eq!(report.status, Status::Converged(Convergence::GradientNorm));
    assert_eq!(report.iterations, 0);
    assert_eq!(run(2e-6, 0.0).iterations, 3, "‖g‖₂ = 1e-5·2⁻ᵏ ≤ 2e-6 from k = 3");
    // After k steps ‖g‖∞ = 1e-6·2⁻ᵏ ≤ 1.5e-7 from k = 3.
    assert_eq!(run(0.0, 1.5e-7).iterations, 3);
    for bad in [-1.0, f64::NAN] {
        let options = Options { gtol_inf: bad, ..Options::default() };
        assert!(matches!(
            minimize(&f, &x0, gd, &options),
            Err(Error::InvalidHyperparameter { name: "gtol_inf", .. })
        ));
    }
}
