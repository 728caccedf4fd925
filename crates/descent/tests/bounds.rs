//! Box bounds: [`Lbfgsb`] against scipy's L-BFGS-B (reference data from
//! `bench/peers/lbfgsb_reference.py`), analytic answers, KKT conditions, feasibility of every
//! iterate, and both bounded methods with infinite bounds against the unconstrained ones.

use std::cell::Cell;
use std::ops::ControlFlow;

use descent::bounds::{Bounds, Lbfgsb, ProjectedGradient};
use descent::driver::Progress;
use descent::problems::{Problem, ProblemConfig, Rosenbrock, build, registry};
use descent::{Error, Lbfgs, Objective, Options, Report, minimize, minimize_observed};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::Value;

/// How close to scipy's x* (max-norm) our answer must be.
const SCIPY_X: f64 = 1e-6;

/// The problem of L-BFGS-B's `driver1.f`: f = (x₁ − 1)² + 4Σᵢ₌₂ⁿ (xᵢ − xᵢ₋₁²)².
struct Driver1(usize);

impl Objective for Driver1 {
    fn dim(&self) -> usize {
        self.0
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.value_grad(x, &mut vec![0.0; self.0])
    }

    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let n = self.0;
        let mut f = (x[0] - 1.0).powi(2);
        g.fill(0.0);
        g[0] = 2.0 * (x[0] - 1.0);
        for i in 1..n {
            let t = x[i] - x[i - 1] * x[i - 1];
            f += 4.0 * t * t;
            g[i - 1] += -16.0 * x[i - 1] * t;
            g[i] += 8.0 * t;
        }
        f
    }
}

/// f = ½xᵀAx − bᵀx with A = tridiag(−1, 4, −1).
struct Quadratic {
    b: Vec<f64>,
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.b.len()
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.value_grad(x, &mut vec![0.0; self.b.len()])
    }

    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let n = self.b.len();
        let mut f = 0.0;
        for i in 0..n {
            let left = if i > 0 { x[i - 1] } else { 0.0 };
            let right = if i + 1 < n { x[i + 1] } else { 0.0 };
            g[i] = 4.0 * x[i] - left - right - self.b[i];
            f += 0.5 * x[i] * (4.0 * x[i] - left - right) - self.b[i] * x[i];
        }
        f
    }
}

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/peers/lbfgsb_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference data")).unwrap()
}

fn floats(v: &Value, missing: f64) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(missing)).collect()
}

fn objective_of(name: &str, run: &Value) -> Box<dyn Objective> {
    let n = run["x0"].as_array().unwrap().len();
    match name {
        "driver1" | "driver1_box" => Box::new(Driver1(n)),
        "rosenbrock2" | "rosenbrock10" => Box::new(Rosenbrock::new(n).unwrap()),
        "quadratic" => Box::new(Quadratic { b: floats(&run["b"], f64::NAN) }),
        other => panic!("unknown reference problem {other}"),
    }
}

fn bounds_of(run: &Value) -> Bounds {
    Bounds::new(floats(&run["lower"], f64::NEG_INFINITY), floats(&run["upper"], f64::INFINITY))
        .unwrap()
}

/// L-BFGS-B's stopping rules for the reference runs: scipy ran with pgtol = 1e-10 (max-norm)
/// and factr = 0; ours stops at ‖pg‖₂ ≤ 1e-10 or when f stops falling (relative change ≤ ε).
fn reference_options() -> Options {
    Options { gtol: 1e-10, ftol_rel: f64::EPSILON, max_iter: 15_000, ..Options::default() }
}

fn max_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}

/// The KKT conditions of the box problem at x, to `tol`: ∂ᵢf ≈ 0 where lᵢ < xᵢ < uᵢ, ∂ᵢf ≥ 0 at a
/// lower bound, ∂ᵢf ≤ 0 at an upper bound.
fn assert_kkt(f: &dyn Objective, bounds: &Bounds, x: &[f64], tol: f64, context: &str) {
    let mut g = vec![0.0; x.len()];
    f.value_grad(x, &mut g);
    assert!(bounds.contains(x), "{context}: x outside the box");
    for (i, (&gi, (&l, &u))) in g.iter().zip(bounds.lower().iter().zip(bounds.upper())).enumerate()
    {
        if x[i] == l && l < u {
            assert!(gi >= -tol, "{context}: x[{i}] at its lower bound with g = {gi:e}");
        } else if x[i] == u && l < u {
            assert!(gi <= tol, "{context}: x[{i}] at its upper bound with g = {gi:e}");
        } else if l < u {
            assert!(gi.abs() <= tol, "{context}: x[{i}] free with g = {gi:e}");
        }
    }
}

/// Ours against scipy's L-BFGS-B (bench/peers/lbfgsb_reference.json): the same x* to 1e-6 on
/// every problem, at most two more iterations than scipy, and no more evaluations than scipy
/// plus 10% (plus 50% where scipy ended at the rounding floor). `driver1`'s x* is degenerate
/// (see the script: its tail is undetermined at f ≈ 1e-14), so there the check is f* ≤ 1e-12
/// and the first five coordinates; its counts are still compared.
#[test]
fn lbfgsb_reaches_scipys_answer_on_every_reference_problem() {
    let data = reference();
    let runs = data["runs"].as_object().unwrap();
    assert_eq!(runs.len(), 5);
    for (name, run) in runs {
        let f = objective_of(name, run);
        let bounds = bounds_of(run);
        let x0 = floats(&run["x0"], f64::NAN);
        let report =
            minimize(f.as_ref(), &x0, Lbfgsb::new(bounds.clone()), &reference_options()).unwrap();
        let scipy_x = floats(&run["x"], f64::NAN);
        let (nit, nfev) = (run["nit"].as_u64().unwrap(), run["nfev"].as_u64().unwrap());
        let context = format!("{name}: {report:?} (scipy: nit {nit}, nfev {nfev})");
        assert!(report.status.is_converged(), "{context}");
        if name == "driver1" {
            assert!(report.value <= 1e-12, "{context}");
            assert!(max_distance(&report.x[..5], &scipy_x[..5]) <= SCIPY_X, "{context}");
        } else {
            let distance = max_distance(&report.x, &scipy_x);
            assert!(distance <= SCIPY_X, "{context}: distance {distance:e}");
        }
        let active = bounds.active_count(&report.x);
        let scipy_active =
            run["at_lower"].as_array().unwrap().len() + run["at_upper"].as_array().unwrap().len();
        assert_eq!(active, scipy_active, "{context}: active set size");
        let evaluations = report.evaluations.value as u64;
        assert!(report.iterations as u64 <= nit + 2, "{context}: iterations");
        // scipy ended driver1_box and the quadratic by factr = 0 (f stopped falling): their last
        // iterations sit at the rounding floor, where line-search failures and memory refreshes
        // (and so the evaluations) depend on the rounding of each sum: a looser bound there.
        let slack = if run["status"] == 0 && run["message"].as_str().unwrap().contains("PGTOL") {
            1.1
        } else {
            1.5
        };
        assert!(evaluations as f64 <= slack * nfev as f64, "{context}: {evaluations} evaluations");
        println!(
            "{name:>12}: {:3} iterations, {:3} evaluations (scipy {nit:3}, {nfev:3}), \
             {active:2} active, |x - x_scipy| = {:.1e}",
            report.iterations,
            evaluations,
            max_distance(&report.x, &scipy_x)
        );
    }
}

/// The reference quadratic was built around a known answer; ours (and scipy's) reach it.
#[test]
fn the_reference_quadratic_reaches_its_analytic_minimiser() {
    let data = reference();
    let run = &data["runs"]["quadratic"];
    let analytic = floats(&run["analytic_x"], f64::NAN);
    let f = objective_of("quadratic", run);
    let bounds = bounds_of(run);
    let x0 = floats(&run["x0"], f64::NAN);
    let report = minimize(f.as_ref(), &x0, Lbfgsb::new(bounds), &reference_options()).unwrap();
    assert!(max_distance(&report.x, &analytic) <= 1e-8, "{report:?}");
    assert!(max_distance(&floats(&run["x"], f64::NAN), &analytic) <= 1e-8, "scipy's answer");
}

/// f = Σ ½aᵢ(xᵢ − cᵢ)²: separable, so the minimiser on the box is the unconstrained one
/// clipped, x*ᵢ = min(max(cᵢ, lᵢ), uᵢ), exactly.
struct Separable {
    a: Vec<f64>,
    c: Vec<f64>,
}

impl Objective for Separable {
    fn dim(&self) -> usize {
        self.a.len()
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.value_grad(x, &mut vec![0.0; self.a.len()])
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let mut f = 0.0;
        for i in 0..x.len() {
            let r = x[i] - self.c[i];
            g[i] = self.a[i] * r;
            f += 0.5 * self.a[i] * r * r;
        }
        f
    }
}

#[test]
fn separable_bounded_quadratic_minimiser_is_the_clipped_unconstrained_one() {
    let n = 30;
    // Curvatures 1 … 100 (κ = 100); centres spread over [−3, 3]; boxes of three kinds.
    let a: Vec<f64> = (0..n).map(|i| 1.0 + 99.0 * ((i * 7) % n) as f64 / (n - 1) as f64).collect();
    let c: Vec<f64> = (0..n).map(|i| 3.0 * ((i as f64) * 1.7).sin()).collect();
    let lower: Vec<f64> =
        (0..n).map(|i| if i % 3 == 2 { f64::NEG_INFINITY } else { -1.0 }).collect();
    let upper: Vec<f64> = (0..n).map(|i| if i % 3 == 1 { f64::INFINITY } else { 1.5 }).collect();
    let bounds = Bounds::new(lower.clone(), upper.clone()).unwrap();
    let answer: Vec<f64> = (0..n).map(|i| c[i].max(lower[i]).min(upper[i])).collect();
    assert!(bounds.active_count(&answer) >= n / 4, "the box must cut off many coordinates");
    let f = Separable { a, c };
    let x0 = vec![0.0; n];
    let options = Options { gtol: 1e-10, max_iter: 10_000, ..Options::default() };
    let lbfgsb = minimize(&f, &x0, Lbfgsb::new(bounds.clone()), &options).unwrap();
    let pgd = minimize(&f, &x0, ProjectedGradient::new(bounds.clone()), &options).unwrap();
    for (method, report) in [("lbfgsb", &lbfgsb), ("projected-gd", &pgd)] {
        assert!(report.status.is_converged(), "{method}: {report:?}");
        let distance = max_distance(&report.x, &answer);
        assert!(distance <= 1e-10, "{method}: distance {distance:e}");
        for i in 0..n {
            if answer[i] == lower[i] || answer[i] == upper[i] {
                assert_eq!(report.x[i], answer[i], "{method}: active x[{i}] sits on its bound");
            }
        }
    }
    println!(
        "separable n = {n}: lbfgsb {} iterations / {} evaluations; projected-gd {} / {}",
        lbfgsb.iterations, lbfgsb.evaluations.value, pgd.iterations, pgd.evaluations.value
    );
    // Not finite termination (m = 10 < 20 free variables): a loose bound, measured 44.
    assert!(lbfgsb.iterations <= 2 * n, "{lbfgsb:?}");
}

#[test]
fn kkt_conditions_hold_at_the_answer() {
    let data = reference();
    for name in ["rosenbrock10", "driver1_box", "quadratic", "rosenbrock2"] {
        let run = &data["runs"][name];
        let f = objective_of(name, run);
        let bounds = bounds_of(run);
        let x0 = floats(&run["x0"], f64::NAN);
        let report =
            minimize(f.as_ref(), &x0, Lbfgsb::new(bounds.clone()), &reference_options()).unwrap();
        // driver1_box: ∂²f/∂x₂₄² ≈ 3000 at x₂₄ = 10, so rounding in x leaves g ≈ 1e-5.
        let tol = if name == "driver1_box" { 1e-4 } else { 1e-8 };
        assert_kkt(f.as_ref(), &bounds, &report.x, tol, &format!("lbfgsb × {name}"));
    }
    // Projected gradient descent on the 2-D Rosenbrock box: slower, the same conditions.
    let run = &data["runs"]["rosenbrock2"];
    let (f, bounds) = (objective_of("rosenbrock2", run), bounds_of(run));
    let options = Options { gtol: 1e-7, max_iter: 100_000, ..Options::default() };
    let method = ProjectedGradient::new(bounds.clone());
    let report = minimize(f.as_ref(), &floats(&run["x0"], 0.0), method, &options).unwrap();
    assert!(report.status.is_converged(), "{report:?}");
    assert_kkt(f.as_ref(), &bounds, &report.x, 1e-6, "projected-gd × rosenbrock2");
    assert!(max_distance(&report.x, &floats(&run["x"], 0.0)) <= 1e-6, "{report:?}");
}

/// With every bound infinite the Cauchy step is skipped and d = −B⁻¹∇f from the compact form
/// is the two-loop recursion's direction: L-BFGS-B follows L-BFGS with the same line search.
#[test]
fn infinite_bounds_reproduce_lbfgs() {
    let options = Options { gtol: 1e-8, max_iter: 2000, ..Options::default() };
    // Short runs: over hundreds of iterations (tridiagonal, n = 100) rounding alone makes two
    // mathematically equal methods part ways.
    for name in ["rosenbrock", "random_quadratic", "beale", "himmelblau", "booth", "ravine"] {
        let problem = build(name, &ProblemConfig::default()).unwrap();
        let p = problem.as_ref();
        let n = p.dim();
        let ours = Lbfgsb::new(Bounds::unbounded(n));
        let lbfgs = Lbfgs::default().with_line_search(Lbfgsb::fortran_line_search());
        let a = minimize(p, &p.start(), ours, &options).unwrap();
        let b = minimize(p, &p.start(), lbfgs, &options).unwrap();
        let context = format!("{name}:\n lbfgsb {a:?}\n lbfgs  {b:?}");
        assert!(a.status.is_converged() && b.status.is_converged(), "{context}");
        let scale = b.x.iter().fold(1.0_f64, |m, x| m.max(x.abs()));
        assert!(max_distance(&a.x, &b.x) <= 1e-6 * scale, "{context}");
        assert!(a.iterations.abs_diff(b.iterations) <= 2, "{context}");
        assert!(a.evaluations.value.abs_diff(b.evaluations.value) <= 3, "{context}");
    }
}

/// The convergence matrix's rows for the bounded methods: every built-in problem with a
/// minimum, (a) with infinite bounds, which must behave as the unconstrained methods do, and
/// (b) in the box x* − 2 ≤ x ≤ x* + 2 with the first lower bound moved to x*₀ + ½: the
/// minimiser is cut off, the answer is a KKT point with x₀ on its bound and the other
/// coordinates (mostly) free.
#[test]
fn both_bounded_methods_on_every_problem_with_a_minimum() {
    const NEAR: f64 = 1e-5;
    let options = Options { gtol: 1e-6, max_iter: 200_000, ..Options::default() };
    for spec in registry() {
        if ["ramp", "saddle", "monkey_saddle"].contains(&spec.name) {
            continue; // no minimum
        }
        let problem = build(spec.name, &ProblemConfig::default()).unwrap();
        let p: &dyn Problem = problem.as_ref();
        let n = p.dim();
        let free = Bounds::unbounded(n);
        let star = p.minimizers()[0].clone();
        let mut lower: Vec<f64> = star.iter().map(|x| x - 2.0).collect();
        lower[0] = star[0] + 0.5;
        let boxed = Bounds::new(lower, star.iter().map(|x| x + 2.0).collect()).unwrap();
        for (bounds, which) in [(&free, "infinite bounds"), (&boxed, "box")] {
            let runs = [
                ("lbfgsb", minimize(p, &p.start(), Lbfgsb::new(bounds.clone()), &options)),
                ("pgd", minimize(p, &p.start(), ProjectedGradient::new(bounds.clone()), &options)),
            ];
            for (method, report) in runs {
                let report = report.unwrap();
                let context = format!("{} × {method} ({which}): {report:?}", spec.name);
                assert!(bounds.contains(&report.x), "{context}");
                if spec.name == "tridiagonal" {
                    // Expected failure, as L-BFGS's in tests/quasi_newton.rs: f* = −42925 at
                    // n = 100 carries rounding noise ≈ 1e-10, above the decrease a step makes
                    // near ‖∇f‖ = 1e-5. L-BFGS-B's line search fails there (after a memory
                    // refresh); projected gradient descent keeps taking noise-sized steps.
                    assert!(report.grad_norm < 1e-4, "{context}");
                    continue;
                }
                assert!(report.status.is_converged(), "{context}");
                if which == "box" {
                    // Rastrigin's local minima inside the box are KKT points too.
                    if spec.name != "rastrigin" {
                        assert_eq!(report.x[0], bounds.lower()[0], "{context}");
                    }
                    assert_kkt(p, bounds, &report.x, 1e-4, &context);
                } else if spec.name != "rastrigin" {
                    let d = p
                        .minimizers()
                        .iter()
                        .map(|m| max_distance(m, &report.x))
                        .fold(f64::INFINITY, f64::min);
                    assert!(d <= NEAR, "{context}: distance {d:e}");
                }
            }
        }
    }
}

/// An objective that records whether it was ever evaluated outside the box.
struct Fenced<'a> {
    inner: &'a dyn Objective,
    bounds: &'a Bounds,
    outside: Cell<usize>,
}

impl Objective for Fenced<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&self, x: &[f64]) -> f64 {
        if !self.bounds.contains(x) {
            self.outside.set(self.outside.get() + 1);
        }
        self.inner.value(x)
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        if !self.bounds.contains(x) {
            self.outside.set(self.outside.get() + 1);
        }
        self.inner.value_grad(x, g)
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        rng_seed: RngSeed::Fixed(20_261_204),
        ..ProptestConfig::default()
    })]

    /// Random boxes (some bounds infinite, some l = u) and random starts, inside or outside:
    /// every iterate the observer sees, and every point the objective is evaluated at, lies in
    /// the box.
    #[test]
    fn every_iterate_and_every_evaluation_is_feasible(
        corners in prop::collection::vec((-2.0..2.0_f64, 0.0..2.0_f64, 0u8..5), 4),
        start in prop::collection::vec(-3.0..3.0_f64, 4),
        lbfgsb in any::<bool>(),
        memory in 1usize..8,
    ) {
        let (mut lower, mut upper) = (vec![], vec![]);
        for (l, width, kind) in corners {
            let (l, u) = match kind {
                0 => (f64::NEG_INFINITY, l + width),
                1 => (l, f64::INFINITY),
                2 => (l, l), // fixed
                _ => (l, l + width),
            };
            lower.push(l);
            upper.push(u);
        }
        let bounds = Bounds::new(lower, upper).unwrap();
        let rosenbrock = Rosenbrock::new(4).unwrap();
        let f = Fenced { inner: &rosenbrock, bounds: &bounds, outside: Cell::new(0) };
        let mut infeasible = Vec::new();
        let mut observer = |p: &Progress<'_>| {
            if !bounds.contains(p.x) {
                infeasible.push(p.iteration);
            }
            ControlFlow::Continue(())
        };
        let options = Options { max_iter: 200, ..Options::default() };
        let report: Report = if lbfgsb {
            let method = Lbfgsb::new(bounds.clone()).with_memory(memory);
            minimize_observed(&f, &start, method, &options, &mut observer).unwrap()
        } else {
            let method = ProjectedGradient::new(bounds.clone());
            minimize_observed(&f, &start, method, &options, &mut observer).unwrap()
        };
        prop_assert!(infeasible.is_empty(), "iterates outside the box: {:?}", infeasible);
        prop_assert_eq!(f.outside.get(), 0, "evaluations outside the box");
        prop_assert!(bounds.contains(&report.x));
    }
}

#[test]
fn the_driver_clips_x0_into_the_box_and_measures_the_projected_gradient() {
    let f = Rosenbrock::new(2).unwrap();
    let bounds = Bounds::new(vec![-2.0, 1.5], vec![2.0, 3.0]).unwrap();
    let mut first = None;
    let mut observer = |p: &Progress<'_>| {
        first.get_or_insert_with(|| p.x.to_vec());
        ControlFlow::Continue(())
    };
    let options = Options { gtol: 1e-10, ..Options::default() };
    let report =
        minimize_observed(&f, &[-1.2, 1.0], Lbfgsb::new(bounds.clone()), &options, &mut observer)
            .unwrap();
    assert_eq!(first.unwrap(), vec![-1.2, 1.5]);
    assert!(report.status.is_converged(), "{report:?}");
    // x₂ = 1.5 is active with ∂f/∂x₂ = 200(1.5 − x₁²) > 0: ‖∇f‖ is far from 0, ‖pg‖ is not.
    let mut g = [0.0; 2];
    f.value_grad(&report.x, &mut g);
    assert_eq!(report.x[1], 1.5);
    assert!(g[1] > 1.0 && report.grad_norm <= 1e-10, "{report:?}, g = {g:?}");
}

#[test]
fn bounds_of_the_wrong_dimension_and_bad_settings_are_typed_errors() {
    let f = Rosenbrock::new(2).unwrap();
    let three = Bounds::uniform(3, 0.0, 1.0).unwrap();
    for result in [
        minimize(&f, &[0.0, 0.0], Lbfgsb::new(three.clone()), &Options::default()),
        minimize(&f, &[0.0, 0.0], ProjectedGradient::new(three), &Options::default()),
    ] {
        assert!(matches!(
            result,
            Err(Error::DimensionMismatch { what: "bounds", expected: 2, got: 3 })
        ));
    }
    let two = Bounds::uniform(2, 0.0, 1.0).unwrap();
    assert!(matches!(
        minimize(&f, &[0.0, 0.0], Lbfgsb::new(two).with_memory(0), &Options::default()),
        Err(Error::InvalidHyperparameter { name: "memory", .. })
    ));
    assert!(matches!(
        Bounds::new(vec![0.0, 2.0], vec![1.0, 1.0]),
        Err(Error::InvalidBound { index: 1, lower: 2.0, upper: 1.0, .. })
    ));
}

/// The ramp f = Σθᵢ falls without bound along −1: with a lower bound on one coordinate only it
/// still does (the driver's ray test, probing inside the box, says so), and with every
/// coordinate bounded below the answer is the corner.
#[test]
fn unboundedness_is_judged_inside_the_box() {
    let ramp = build("ramp", &ProblemConfig { dim: Some(3), ..ProblemConfig::default() }).unwrap();
    let half_open = Bounds::new(vec![-1.0, f64::NEG_INFINITY, -1.0], vec![f64::INFINITY; 3]);
    let closed = Bounds::uniform(3, -1.0, f64::INFINITY).unwrap();
    let options = Options::default();
    for method in ["lbfgsb", "pgd"] {
        let run = |b: &Bounds| {
            match method {
                "lbfgsb" => minimize(ramp.as_ref(), &[0.0; 3], Lbfgsb::new(b.clone()), &options),
                _ => {
                    minimize(ramp.as_ref(), &[0.0; 3], ProjectedGradient::new(b.clone()), &options)
                }
            }
            .unwrap()
        };
        let open = run(half_open.as_ref().unwrap());
        assert_eq!(open.status, descent::Status::UnboundedBelow, "{method}: {open:?}");
        let corner = run(&closed);
        assert!(corner.status.is_converged(), "{method}: {corner:?}");
        assert_eq!(corner.x, vec![-1.0; 3], "{method}");
        assert_eq!(corner.value, -3.0, "{method}");
    }
}
