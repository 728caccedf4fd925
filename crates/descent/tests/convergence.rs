//! The convergence matrix: every solver × every built-in problem, one table, each expected
//! outcome stated — and each expected failure with its reason.

use descent::problems::{ProblemConfig, build};
use descent::{GradientDescent, NewtonCg, Options, Report, Status, TrustRegion, minimize};

/// What a run must end with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Converged within this distance of a known minimiser.
    Minimizer(f64),
    /// Converged at a stationary point that need not be the global minimiser.
    Stationary,
    /// Ended `unbounded_below`: there is no minimum.
    Unbounded,
    /// An expected failure: the line search, for the reason given.
    LineSearchFailed(&'static str),
}

fn check(name: &str, method: &str, report: &Report, expect: Expect, distance: Option<f64>) {
    let context = format!("{name} × {method}: {report:?}");
    match expect {
        Expect::Minimizer(tolerance) => {
            assert!(report.status.is_converged(), "{context}");
            assert!(distance.unwrap() <= tolerance, "{context}: distance {distance:?}");
        }
        Expect::Stationary => {
            assert!(report.status.is_converged(), "{context}");
        }
        Expect::Unbounded => assert_eq!(report.status, Status::UnboundedBelow, "{context}"),
        Expect::LineSearchFailed(_why) => {
            assert!(matches!(report.status, Status::LineSearchFailed { .. }), "{context}")
        }
    }
}

#[test]
fn gradient_descent_with_armijo_on_every_problem() {
    let table = [
        ("ramp", Expect::Unbounded),
        ("ravine", Expect::Minimizer(1e-5)),
        ("rosenbrock", Expect::Minimizer(1e-5)),
        ("beale", Expect::Minimizer(1e-5)),
        ("himmelblau", Expect::Minimizer(1e-6)),
        ("booth", Expect::Minimizer(1e-6)),
        ("saddle", Expect::Unbounded),
        ("monkey_saddle", Expect::Unbounded),
        // Many local minima: a local method stops at whichever basin its steps land in.
        ("rastrigin", Expect::Stationary),
        (
            "tridiagonal",
            Expect::LineSearchFailed(
                "κ ≈ 4(n + 1)²/π² ≈ 4100 at n = 100: steepest descent needs O(κ) iterations \
                 per digit, and Armijo steps near 2/λ_max barely damp the stiff modes; after \
                 about 21 000 iterations no trial lowers f in floating point any more and the \
                 search ends on a step too small to change x, which is a failure (issue 12)",
            ),
        ),
        ("random_quadratic", Expect::Minimizer(1e-5)),
    ];
    let options = Options { max_iter: 50_000, ..Options::default() };
    for (name, expect) in table {
        let problem = build(name, &ProblemConfig::default()).unwrap();
        let report =
            minimize(problem.as_ref(), &problem.start(), GradientDescent::armijo(), &options)
                .unwrap();
        let distance = problem
            .minimizers()
            .iter()
            .map(|m| m.iter().zip(&report.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt())
            .min_by(f64::total_cmp);
        check(name, "gd + armijo", &report, expect, distance);
    }
}

#[test]
fn fixed_step_gradient_descent_at_one_over_lambda_max() {
    // α = 1/λ_max is always stable on a quadratic; the runs must reach the minimiser.
    // Booth: H = [[10, 8], [8, 10]], eigenvalues 2 and 18.
    for (name, lambda_max) in [("ravine", 10.0), ("booth", 18.0), ("random_quadratic", 100.0)] {
        let problem = build(name, &ProblemConfig::default()).unwrap();
        let options = Options { max_iter: 100_000, gtol: 1e-8, ..Options::default() };
        let gd = GradientDescent::new(1.0 / lambda_max).unwrap();
        let report = minimize(problem.as_ref(), &problem.start(), gd, &options).unwrap();
        let m = &problem.minimizers()[0];
        let distance = m.iter().zip(&report.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
        check(name, "gd, α = 1/λ_max", &report, Expect::Minimizer(1e-7), Some(distance));
    }
}

/// The second-order rows: Newton–CG, trust-ncg and dogleg on every built-in problem. Each
/// converges near the minimiser where there is one, ends `unbounded_below` where there is
/// none, and stops at a stationary point of Rastrigin (a local method on many basins).
#[test]
fn newton_cg_and_trust_regions_on_every_problem() {
    let table = [
        ("ramp", Expect::Unbounded),
        ("ravine", Expect::Minimizer(1e-6)),
        ("rosenbrock", Expect::Minimizer(1e-6)),
        ("beale", Expect::Minimizer(1e-6)),
        ("himmelblau", Expect::Minimizer(1e-6)),
        ("booth", Expect::Minimizer(1e-6)),
        ("saddle", Expect::Unbounded),
        ("monkey_saddle", Expect::Unbounded),
        ("rastrigin", Expect::Stationary),
        ("tridiagonal", Expect::Minimizer(1e-6)),
        ("random_quadratic", Expect::Minimizer(1e-6)),
    ];
    let options = Options { max_iter: 1000, ..Options::default() };
    for (name, expect) in table {
        let problem = build(name, &ProblemConfig::default()).unwrap();
        let (p, x0) = (problem.as_ref(), problem.start());
        for (method, report) in [
            ("newton-cg", minimize(p, &x0, NewtonCg::default(), &options).unwrap()),
            ("trust-ncg", minimize(p, &x0, TrustRegion::steihaug(), &options).unwrap()),
            ("dogleg", minimize(p, &x0, TrustRegion::dogleg(), &options).unwrap()),
        ] {
            let distance = problem
                .minimizers()
                .iter()
                .map(|m| m.iter().zip(&report.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt())
                .min_by(f64::total_cmp);
            check(name, method, &report, expect, distance);
        }
    }
}

#[test]
fn perturbed_gradient_descent_at_one_over_lambda_max_and_from_an_exact_saddle() {
    use descent::landscape::{CriticalPoint, PerturbedGradientDescent};
    // Fixed-step gradient descent until ‖∇f‖ ≤ 1e-3, then a kick that fails to lower f
    // certifies the minimum and the driver's gtol ends the run.
    for (name, lambda_max) in [("ravine", 10.0), ("booth", 18.0), ("random_quadratic", 100.0)] {
        let problem = build(name, &ProblemConfig::default()).unwrap();
        let pgd = PerturbedGradientDescent::new(1.0 / lambda_max).unwrap();
        let options = Options { max_iter: 100_000, ..Options::default() };
        let report = minimize(problem.as_ref(), &problem.start(), pgd, &options).unwrap();
        let distance = problem
            .minimizers()
            .iter()
            .map(|m| m.iter().zip(&report.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt())
            .min_by(f64::total_cmp);
        check(name, "perturbed gd", &report, Expect::Minimizer(1e-5), distance);
        assert_eq!(report.critical_point, Some(CriticalPoint::Minimum), "{name}");
        assert!(report.iterations >= pgd.wait, "{name}: converged before judging its kick");
    }
    // x² − y² started exactly at its saddle: plain gradient descent reports convergence there,
    // the kick sends PGD down the −y² side, which has no bottom.
    let saddle = build("saddle", &ProblemConfig::default()).unwrap();
    let pgd = PerturbedGradientDescent::new(0.1).unwrap();
    let report = minimize(saddle.as_ref(), &[0.0, 0.0], pgd, &Options::default()).unwrap();
    check("saddle", "perturbed gd", &report, Expect::Unbounded, None);
}
