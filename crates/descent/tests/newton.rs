//! Newton's method against what theory promises: one step to the minimiser of an SPD
//! quadratic, a shifted Hessian that still descends where ∇²f is indefinite, and convergence
//! on every built-in problem with a minimum.

use descent::problems::{
    Problem, ProblemConfig, RandomQuadratic, Rosenbrock, Tridiagonal, build, registry,
};
use descent::{Hessian, HessianMatrix, Newton, Options, Trace, minimize, minimize_observed};

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// ‖x − the nearest known minimiser‖₂.
fn distance_to_minimizer(problem: &dyn Problem, x: &[f64]) -> f64 {
    problem
        .minimizers()
        .iter()
        .map(|m| m.iter().zip(x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt())
        .fold(f64::INFINITY, f64::min)
}

/// ‖H‖∞ at `x`, summing |H_ij| over each row's band.
fn hessian_norm<O: Hessian>(f: &O, x: &[f64]) -> f64 {
    let n = f.dim();
    let mut h = HessianMatrix::zeros(f.hessian_structure(), n);
    f.hessian(x, &mut h);
    let b = h.structure().bandwidth(n);
    (0..n)
        .map(|i| (i.saturating_sub(b)..=(i + b).min(n - 1)).map(|j| h.get(i, j).abs()).sum())
        .fold(0.0, f64::max)
}

/// Backward stability of Cholesky/LDLᵀ: the computed step solves a nearby system, so the
/// residual ∇f(x₁) = H(x₁ − x*) is small relative to ‖H‖·‖x*‖ whatever κ is. The classical
/// bound is c·n·ε (dense) or c·ε (tridiagonal) times ‖H‖‖x₁‖; measured ≤ 2e-16 for every
/// case below (up to κ = 10¹⁰ and n = 10⁵), asserted with room for c·n.
const RESIDUAL: f64 = 1e-12;

/// The forward error then obeys ‖x₁ − x*‖/‖x*‖ ≲ κ·(backward error): asserted as
/// `FORWARD_PER_KAPPA`·κ, i.e. 10³·ε per unit of condition number (and ≤ 1e-8 for κ ≤ 10⁴).
const FORWARD_PER_KAPPA: f64 = 1e3 * f64::EPSILON;

/// Runs Newton from the start with gtol = RESIDUAL·‖H‖∞·‖x*‖ and checks one step suffices.
fn one_step<P: Problem>(f: &P, kappa: f64, context: &str) {
    let x0 = f.start();
    let x_star = &f.minimizers()[0];
    let scale = hessian_norm(f, &x0) * norm(x_star);
    let options = Options { gtol: RESIDUAL * scale, max_iter: 10, ..Options::default() };
    let report = minimize(f, &x0, Newton::default(), &options).unwrap();
    assert!(report.status.is_converged(), "{context}: {:?}", report.status);
    assert_eq!(report.iterations, 1, "{context}");
    assert_eq!(report.evaluations.hessian, 1, "{context}");
    let residual = report.grad_norm;
    let forward = distance_to_minimizer(f, &report.x) / norm(x_star);
    assert!(residual <= RESIDUAL * scale, "{context}: residual {residual:e}");
    assert!(forward <= FORWARD_PER_KAPPA * kappa.max(10.0), "{context}: forward {forward:e}");
    if kappa <= 1e4 {
        assert!(forward <= 1e-8, "{context}: forward {forward:e}");
    }
    println!(
        "{context}: ‖∇f(x₁)‖/(‖H‖‖x*‖) = {:.1e}, ‖x₁ − x*‖/‖x*‖ = {forward:.1e}",
        residual / scale
    );
}

#[test]
fn one_step_to_the_minimiser_of_a_dense_spd_quadratic() {
    for n in [5, 50] {
        for kappa in [10.0, 1e4, 1e10] {
            let f = RandomQuadratic::new(n, kappa, 42 + n as u64).unwrap();
            one_step(&f, kappa, &format!("random_quadratic n = {n}, κ = {kappa:e}"));
        }
    }
}

#[test]
fn one_step_to_the_minimiser_of_the_tridiagonal_quadratic() {
    for n in [10, 1000, 100_000] {
        let f = Tridiagonal::new(n).unwrap();
        // κ(tridiag(−1, 2, −1)) ≈ 4(n + 1)²/π².
        let kappa = 4.0 * ((n + 1) as f64).powi(2) / std::f64::consts::PI.powi(2);
        one_step(&f, kappa, &format!("tridiagonal n = {n}"));
    }
}

#[test]
fn the_shift_keeps_every_step_downhill_where_the_hessian_is_indefinite() {
    let f = Rosenbrock::new(2).unwrap();
    // At (0, 1): ∇²f = [[1200x² − 400y + 2, −400x], [−400x, 200]] = diag(−398, 200).
    let x0 = [0.0, 1.0];
    let mut h = HessianMatrix::zeros(f.hessian_structure(), 2);
    f.hessian(&x0, &mut h);
    assert!(h.get(0, 0) < 0.0 && h.get(1, 1) > 0.0, "indefinite at the start");
    let options = Options { gtol: 1e-8, max_iter: 100, ..Options::default() };
    let mut trace = Trace::default();
    let report = minimize_observed(&f, &x0, Newton::default(), &options, &mut trace).unwrap();
    assert!(report.status.is_converged(), "{report:?}");
    for pair in trace.rows.windows(2) {
        assert!(pair[1].value < pair[0].value, "iteration {}: f rose", pair[1].iteration);
    }
    assert!((report.x[0] - 1.0).abs() < 1e-8 && (report.x[1] - 1.0).abs() < 1e-8, "{report:?}");
    println!("rosenbrock from (0, 1): {} iterations", report.iterations);
}

/// Every registry problem with a minimum, at its default configuration: Newton reaches
/// gtol 1e-6 within 100 iterations near a known minimiser (Rastrigin: at a stationary point).
#[test]
fn newton_converges_on_every_problem_with_a_minimum() {
    /// How close to a known minimiser a run must end.
    const NEAR: f64 = 1e-6;
    let options = Options { gtol: 1e-6, max_iter: 100, ..Options::default() };
    for spec in registry() {
        if ["ramp", "saddle", "monkey_saddle"].contains(&spec.name) {
            continue; // no minimum
        }
        let problem = build(spec.name, &ProblemConfig::default()).unwrap();
        let p = problem.as_ref();
        let report = minimize(p, &p.start(), Newton::default(), &options).unwrap();
        let context = format!("{}: {report:?}", spec.name);
        assert!(report.status.is_converged(), "{context}");
        assert_eq!(report.evaluations.hessian, report.iterations, "{context}");
        if spec.name != "rastrigin" {
            let distance = distance_to_minimizer(p, &report.x);
            assert!(distance <= NEAR, "{context}: distance {distance:e}");
        }
        println!(
            "{:16} {:3} iterations, {:3} evaluations, f = {:.2e}",
            spec.name, report.iterations, report.evaluations.value, report.value
        );
    }
}
