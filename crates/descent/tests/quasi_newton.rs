//! BFGS and L-BFGS against what theory promises: finite termination on quadratics with exact
//! line searches, L-BFGS with enough memory reproducing BFGS, and convergence on every
//! built-in problem with a minimum.

use descent::line_search::{Accepted, LineSearch, LineSearchFailure, Phi};
use descent::problems::{Problem, ProblemConfig, RandomQuadratic, Rosenbrock, build, registry};
use descent::{Bfgs, Lbfgs, Method, Options, Report, Trace, minimize, minimize_observed};

/// The exact minimising step along a line of a quadratic, for tests: φ is a parabola, so its
/// curvature is the slope change over one trial, c = (φ'(t₀) − φ'(0))/t₀, and t* = −φ'(0)/c.
/// φ is evaluated last at t*, as the line-search contract requires.
#[derive(Debug, Clone, Copy)]
struct ExactQuadratic;

impl LineSearch for ExactQuadratic {
    fn validate(&self) -> descent::Result<()> {
        Ok(())
    }

    fn initial_step(&self, base: f64, _previous: Option<f64>) -> f64 {
        base
    }

    fn search(
        &self,
        phi: &mut dyn Phi,
        _phi0: f64,
        dphi0: f64,
        t0: f64,
    ) -> Result<Accepted, LineSearchFailure> {
        if !(dphi0 < 0.0) {
            return Err(LineSearchFailure::NotDescent { slope: dphi0 });
        }
        phi.value(t0);
        let curvature = (phi.slope() - dphi0) / t0;
        let step = -dphi0 / curvature;
        if !(curvature > 0.0 && step.is_finite()) {
            return Err(LineSearchFailure::NoAcceptableStep { evaluations: 1, last_step: t0 });
        }
        let value = phi.value(step);
        Ok(Accepted { step, value, evaluations: 2 })
    }
}

/// ‖x − the nearest known minimiser‖₂.
fn distance_to_minimizer(problem: &dyn Problem, x: &[f64]) -> f64 {
    problem
        .minimizers()
        .iter()
        .map(|m| m.iter().zip(x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt())
        .fold(f64::INFINITY, f64::min)
}

/// Quadratics of the finite-termination tests: (n, κ, seed).
///
/// κ stops at 100: from κ ≈ 300 on, rounding costs finite termination one or two iterations
/// (n = 5, κ = 300 reaches gtol 1e-8 at iteration 6; κ = 1e3, n = 20 at iteration 22, with
/// ‖∇fₙ‖/‖∇f₀‖ ≈ 1e-8 … 1e-4 — the exact line search itself is accurate to |φ'(t*)/φ'(0)| ≈ 1e-15).
fn quadratics() -> impl Iterator<Item = (usize, f64, u64)> {
    (5..=20).flat_map(|n| [(n, 10.0, n as u64), (n, 100.0, 100 + n as u64)])
}

#[test]
fn bfgs_with_exact_line_searches_terminates_within_n_iterations_on_a_quadratic() {
    let options = Options { gtol: 0.0, gtol_rel: 1e-8, max_iter: 100, ..Options::default() };
    for (n, kappa, seed) in quadratics() {
        let f = RandomQuadratic::new(n, kappa, seed).unwrap();
        let bfgs = Bfgs::new().with_line_search(ExactQuadratic);
        let report = minimize(&f, &f.start(), bfgs, &options).unwrap();
        assert!(report.status.is_converged(), "n = {n}, κ = {kappa}: {report:?}");
        // Exact arithmetic promises ≤ n. In floating point some cases take one more iteration
        // (n = 7 and n = 11 at κ = 100; more as κ grows), though the exact line search is
        // accurate to |φ'(t*)/φ'(0)| ≈ 1e-15. Not yet explained: an open item.
        assert!(
            report.iterations <= n + 1,
            "n = {n}, κ = {kappa}: {} iterations",
            report.iterations
        );
    }
}

fn traced<M: Method<RandomQuadratic>>(f: &RandomQuadratic, method: M) -> (Report, Trace) {
    let options = Options { gtol: 0.0, gtol_rel: 1e-8, max_iter: 100, ..Options::default() };
    let mut trace = Trace::default();
    let report = minimize_observed(f, &f.start(), method, &options, &mut trace).unwrap();
    (report, trace)
}

#[test]
fn lbfgs_with_enough_memory_reproduces_the_bfgs_iterates_on_a_quadratic() {
    /// Distance between the two methods' iterates, relative to max(1, ‖x‖).
    const SAME_ITERATE: f64 = 1e-8;
    // κ = 10 only: at κ = 100 the last iterates drift apart (up to ≈ 7e-5 at n = 13) as finite
    // termination is lost to rounding (see above) — an open item.
    for (n, kappa, seed) in quadratics().filter(|&(_, kappa, _)| kappa <= 10.0) {
        let f = RandomQuadratic::new(n, kappa, seed).unwrap();
        let (bfgs, bfgs_trace) = traced(&f, Bfgs::new().with_line_search(ExactQuadratic));
        let lbfgs_method = Lbfgs { memory: n + 1, line_search: ExactQuadratic };
        let (lbfgs, lbfgs_trace) = traced(&f, lbfgs_method);
        assert!(bfgs.status.is_converged() && lbfgs.status.is_converged(), "n = {n}");
        assert!(lbfgs.iterations <= lbfgs_method.memory, "memory ≥ iterations, n = {n}");
        for (a, b) in bfgs_trace.rows.iter().zip(&lbfgs_trace.rows) {
            let scale = a.x.iter().map(|x| x * x).sum::<f64>().sqrt().max(1.0);
            let gap = a.x.iter().zip(&b.x).map(|(p, q)| (p - q).powi(2)).sum::<f64>().sqrt();
            assert!(
                gap <= SAME_ITERATE * scale,
                "n = {n}, κ = {kappa}, iteration {}: ‖Δx‖ = {gap:e}",
                a.iteration
            );
        }
    }
}

/// Every registry problem with a minimum, at its default configuration: both methods reach
/// gtol 1e-6 within 2000 iterations near a known minimiser (Rastrigin: at a stationary point,
/// as any local method).
#[test]
fn both_methods_converge_on_every_problem_with_a_minimum() {
    /// How close to a known minimiser a run must end.
    const NEAR: f64 = 1e-5;
    let options = Options { gtol: 1e-6, max_iter: 2000, ..Options::default() };
    for spec in registry() {
        if ["ramp", "saddle", "monkey_saddle"].contains(&spec.name) {
            continue; // no minimum
        }
        let problem = build(spec.name, &ProblemConfig::default()).unwrap();
        let p = problem.as_ref();
        let runs = [
            ("lbfgs", minimize(p, &p.start(), Lbfgs::default(), &options).unwrap()),
            ("bfgs", minimize(p, &p.start(), Bfgs::default(), &options).unwrap()),
        ];
        for (method, report) in runs {
            let context = format!("{} × {method}: {report:?}", spec.name);
            if (spec.name, method) == ("tridiagonal", "lbfgs") {
                // Expected failure. f* = −42925 at n = 100, so f carries rounding noise of
                // ≈ |f|·ε·√n ≈ 1e-10, while the decrease along an L-BFGS direction near
                // ‖∇f‖ = 1e-5 is ≈ ‖∇f‖²/λ_max ≈ 2.5e-11: Armijo, which compares values, cannot
                // see it, accepts noise-sized steps, and the skip rule rejects their pairs.
                // L-BFGS stalls at ‖∇f‖ ≈ 1e-5 (BFGS, with a better H, gets below 1e-7 first).
                // The approximate Wolfe test of Hager & Zhang (2005) fixes it: see
                // `the_approximate_wolfe_switch_lets_lbfgs_finish_the_tridiagonal_problem`.
                assert!(report.grad_norm < 1e-4, "{context}");
                continue;
            }
            assert!(report.status.is_converged(), "{context}");
            if spec.name != "rastrigin" {
                let distance = distance_to_minimizer(p, &report.x);
                assert!(distance <= NEAR, "{context}: distance {distance:e}");
            }
        }
    }
}

#[test]
fn rosenbrock_from_the_standard_start_in_2_100_and_1000_dimensions() {
    /// How close to (1, …, 1) a run must end.
    const NEAR: f64 = 1e-5;
    let options = Options { gtol: 1e-6, max_iter: 2000, ..Options::default() };
    for n in [2, 100, 1000] {
        let f = Rosenbrock::new(n).unwrap();
        let x0 = f.start();
        let runs = [
            ("lbfgs", minimize(&f, &x0, Lbfgs::default(), &options).unwrap()),
            ("bfgs", minimize(&f, &x0, Bfgs::default(), &options).unwrap()),
        ];
        for (method, report) in runs {
            let context = format!("rosenbrock n = {n} × {method}: {report:?}");
            assert!(report.status.is_converged(), "{context}");
            assert!(distance_to_minimizer(&f, &report.x) <= NEAR, "{context}");
            // Shown with `--nocapture`: the counts quoted in the module docs' comparisons.
            println!(
                "rosenbrock n = {n:4} {method:5}: {:3} iterations, {:3} evaluations, f = {:.1e}",
                report.iterations, report.evaluations.value, report.value
            );
        }
    }
}

/// With the strong-Wolfe Moré–Thuente search every accepted pair has sᵀy > 0, so L-BFGS never
/// skips one, and on Rosenbrock it needs no more evaluations than scipy's L-BFGS-B (44–50).
#[test]
fn lbfgs_with_more_thuente_matches_scipy_evaluation_counts_on_rosenbrock() {
    use descent::line_search::MoreThuente;
    use descent::problems::{Problem, Rosenbrock};
    for n in [2, 100, 1000] {
        let f = Rosenbrock::new(n).unwrap();
        let options =
            descent::Options { max_iter: 2000, gtol: 1e-5, ..descent::Options::default() };
        let method = descent::Lbfgs::default().with_line_search(MoreThuente::default());
        let report = descent::minimize(&f, &f.start(), method, &options).unwrap();
        assert!(report.status.is_converged(), "n = {n}: {report:?}");
        assert!(
            report.evaluations.value <= 50,
            "n = {n}: {} evaluations",
            report.evaluations.value
        );
        println!(
            "n = {n}: {} iterations, {} evaluations",
            report.iterations, report.evaluations.value
        );
    }
}

/// The convergence matrix's rows for BFGS and L-BFGS with the Hager–Zhang search: every
/// registry problem with a minimum, at its default configuration, reaches gtol 1e-6 within
/// 2000 iterations near a known minimiser (Rastrigin: at a stationary point). Unlike Armijo
/// (see above), the approximate Wolfe conditions take L-BFGS to the minimiser of the badly
/// scaled `tridiagonal` problem too.
#[test]
fn hager_zhang_quasi_newton_on_every_problem_with_a_minimum() {
    use descent::line_search::HagerZhang;
    /// How close to a known minimiser a run must end.
    const NEAR: f64 = 1e-5;
    let options = Options { gtol: 1e-6, max_iter: 2000, ..Options::default() };
    let hz = HagerZhang::default();
    for spec in registry() {
        if ["ramp", "saddle", "monkey_saddle"].contains(&spec.name) {
            continue; // no minimum
        }
        let problem = build(spec.name, &ProblemConfig::default()).unwrap();
        let p = problem.as_ref();
        let runs = [
            (
                "lbfgs + hz",
                minimize(p, &p.start(), Lbfgs::default().with_line_search(hz), &options),
            ),
            ("bfgs + hz", minimize(p, &p.start(), Bfgs::default().with_line_search(hz), &options)),
        ];
        for (method, report) in runs {
            let report = report.unwrap();
            let context = format!("{} × {method}: {report:?}", spec.name);
            println!(
                "{:16} {method:10}: {:4} iterations, {:5} evaluations, ‖g‖ = {:.1e}, {}",
                spec.name,
                report.iterations,
                report.evaluations.value,
                report.grad_norm,
                report.status.name()
            );
            assert!(report.status.is_converged(), "{context}");
            let distance = distance_to_minimizer(p, &report.x);
            match spec.name {
                "rastrigin" => {}
                // A quadratic with λ_min = 2 − 2cos(π/101) ≈ 9.7e-4: ‖x − x*‖ ≤ ‖g‖/λ_min, which
                // at ‖g‖ ≤ 1e-6 allows ≈ 1e-3 (L-BFGS + HZ ends 1.3e-5 away, BFGS closer).
                "tridiagonal" => {
                    let lambda_min = 2.0 - 2.0 * (std::f64::consts::PI / 101.0).cos();
                    assert!(distance <= report.grad_norm / lambda_min, "{context}: {distance:e}");
                }
                _ => assert!(distance <= NEAR, "{context}: distance {distance:e}"),
            }
        }
    }
}

/// L-BFGS (m = 10) with Hager–Zhang against Moré–Thuente on Rosenbrock from the standard start
/// (−1.2, 1, …), stopping at ‖g‖₂ ≤ 1e-5. Measured: HZ 42 iterations / 61 evaluations at
/// n = 2 and 44 / 62 at n = 100; Moré–Thuente 37 / 45 and 37 / 49. Both searches take two
/// evaluations where the unit step fails; HZ's path through the valley meets more such
/// iterations (16 against 6 at n = 2). The bound: 65 evaluations, 1.3× scipy's L-BFGS-B (50).
#[test]
fn lbfgs_with_hager_zhang_solves_rosenbrock_within_the_evaluation_bound() {
    use descent::line_search::{HagerZhang, MoreThuente};
    /// Evaluations allowed to L-BFGS + HZ.
    const HZ_EVALUATIONS: usize = 65;
    let options = Options { max_iter: 2000, gtol: 1e-5, ..Options::default() };
    for n in [2, 100] {
        let f = Rosenbrock::new(n).unwrap();
        let x0 = f.start();
        let hz = Lbfgs::default().with_line_search(HagerZhang::default());
        let hz = minimize(&f, &x0, hz, &options).unwrap();
        let mt = Lbfgs::default().with_line_search(MoreThuente::default());
        let mt = minimize(&f, &x0, mt, &options).unwrap();
        for (name, report) in [("hager-zhang", &hz), ("more-thuente", &mt)] {
            println!(
                "rosenbrock n = {n:3} lbfgs + {name:12}: {:3} iterations, {:3} evaluations",
                report.iterations, report.evaluations.value
            );
            assert!(report.status.is_converged(), "n = {n}, {name}: {report:?}");
            assert!(distance_to_minimizer(&f, &report.x) <= 1e-4, "n = {n}, {name}: {report:?}");
        }
        assert!(hz.evaluations.value <= HZ_EVALUATIONS, "n = {n}: {hz:?}");
        // Every evaluation is a line-search trial: the accepted point is never evaluated again.
        assert_eq!(hz.evaluations.value, hz.evaluations.gradient);
    }
}

/// The initial-step rules reach the solvers: N&W's interpolation (eq. 3.60) and Hager & Zhang's
/// guess drive L-BFGS and gradient descent to Rosenbrock's minimiser.
#[test]
fn initial_step_rules_drive_the_solvers() {
    use descent::GradientDescent;
    use descent::line_search::{HagerZhang, InitialStep, MoreThuente};
    let options = Options { max_iter: 20_000, gtol: 1e-6, ..Options::default() };
    let f = Rosenbrock::new(2).unwrap();
    let x0 = f.start();
    let interpolate = MoreThuente { initial: InitialStep::Interpolate, ..MoreThuente::default() };
    let hz_guess = HagerZhang { initial: InitialStep::HAGER_ZHANG, ..HagerZhang::default() };
    let reports = [
        (
            "lbfgs + mt, interpolate",
            minimize(&f, &x0, Lbfgs::default().with_line_search(interpolate), &options),
        ),
        (
            "lbfgs + hz, hz guess",
            minimize(&f, &x0, Lbfgs::default().with_line_search(hz_guess), &options),
        ),
        (
            "gd + hz, hz guess",
            minimize(&f, &x0, GradientDescent::armijo().with_line_search(hz_guess), &options),
        ),
        (
            "gd + mt, interpolate",
            minimize(&f, &x0, GradientDescent::armijo().with_line_search(interpolate), &options),
        ),
    ];
    for (name, report) in reports {
        let report = report.unwrap();
        println!(
            "{name}: {} iterations, {} evaluations",
            report.iterations, report.evaluations.value
        );
        assert!(report.status.is_converged(), "{name}: {report:?}");
        assert!(distance_to_minimizer(&f, &report.x) <= 1e-5, "{name}: {report:?}");
    }
}

/// The `tridiagonal` problem (f* = −42925 at n = 100) carries rounding noise in f of
/// ≈ |f|·ε_mach·√n ≈ 1e-10, above the decrease an L-BFGS step makes near ‖∇f‖ = 1e-5. The
/// Wolfe conditions compare values and stall there; the approximate Wolfe conditions compare
/// slopes and finish. Hager–Zhang with its switch (ω = 1e-3) reaches gtol 1e-6; the same
/// search held to the Wolfe conditions (ω = 0) fails above 1e-6, as Moré–Thuente does.
#[test]
fn the_approximate_wolfe_switch_lets_lbfgs_finish_the_tridiagonal_problem() {
    use descent::Status;
    use descent::line_search::{HagerZhang, MoreThuente};
    let options = Options { gtol: 1e-6, max_iter: 2000, ..Options::default() };
    let p = build("tridiagonal", &ProblemConfig::default()).unwrap();
    let p = p.as_ref();
    let run = |method| minimize(p, &p.start(), method, &options).unwrap();
    let hz = HagerZhang::default();
    let switched = run(Lbfgs::default().with_line_search(hz));
    assert!(switched.status.is_converged(), "{switched:?}");
    let wolfe = run(Lbfgs::default().with_line_search(HagerZhang { omega: 0.0, ..hz }));
    let mt = minimize(
        p,
        &p.start(),
        Lbfgs::default().with_line_search(MoreThuente::default()),
        &options,
    )
    .unwrap();
    for (name, report) in [("hz, ω = 0", &wolfe), ("more-thuente", &mt)] {
        println!("{name}: {:?} at ‖g‖ = {:.1e}", report.status, report.grad_norm);
        assert!(matches!(report.status, Status::LineSearchFailed { .. }), "{name}: {report:?}");
        assert!(report.grad_norm > options.gtol, "{name}: {report:?}");
    }
}
