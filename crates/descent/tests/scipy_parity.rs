//! [`Bfgs::scipy`] and [`NewtonCg::scipy`] against scipy's `BFGS` and `Newton-CG`: the same
//! iterations and the same evaluations, run for run, on the built-in problems of
//! `bench/peers/scipy_minimize_reference.json` (written by
//! `bench/peers/scipy_minimize_reference.py`, scipy 1.17.1), with scipy's tight tolerances
//! (BFGS: ‖∇f‖∞ ≤ 10⁻¹⁰; Newton-CG: ‖Δx‖₁ ≤ n·10⁻¹²) and its records of `nit`, `nfev` and x.

use descent::problems::{self, ProblemConfig};
use descent::{Bfgs, NewtonCg, Options, Status, minimize};
use serde_json::Value;

/// The reference's problem keys and the built-in problems of the same functions.
const CASES: [(&str, &str); 6] = [
    ("rosen2", "rosenbrock"),
    ("ravine", "ravine"),
    ("beale", "beale"),
    ("himmelblau", "himmelblau"),
    ("booth", "booth"),
    ("rastrigin", "rastrigin"),
];

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

fn reference() -> Value {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/peers/scipy_minimize_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("valid JSON")
}

#[test]
fn scipy_bfgs_takes_scipys_iterations_and_evaluations() {
    let reference = reference();
    for (key, name) in CASES {
        let run = &reference["runs"][key]["BFGS"]["tight"];
        let f = problems::build(name, &ProblemConfig::default()).unwrap();
        let options =
            Options { gtol: 0.0, gtol_inf: 1e-10, max_iter: 200 * f.dim(), ..Options::default() };
        let report = minimize(f.as_ref(), &f.start(), Bfgs::scipy(), &options).unwrap();
        assert!(report.status.is_converged(), "{name}: {:?}", report.status);
        assert_eq!(report.iterations as u64, run["nit"].as_u64().unwrap(), "{name}: nit");
        assert_eq!(report.evaluations.value as u64, run["nfev"].as_u64().unwrap(), "{name}: nfev");
        let x = floats(&run["x"]);
        for (a, b) in report.x.iter().zip(&x) {
            assert!((a - b).abs() <= 1e-9, "{name}: x {:?} vs scipy's {x:?}", report.x);
        }
    }
}

/// On the tridiagonal problem (n = 100, f* ≈ −4.3·10⁴) the value runs out of digits before
/// ‖∇f‖∞ reaches 10⁻¹⁰: scipy ends with status 2 ("precision loss") after 60 iterations and
/// 128 evaluations; descent's line search fails too, sooner and with fewer evaluations.
#[test]
fn scipy_bfgs_runs_out_of_precision_where_scipy_does() {
    let reference = reference();
    let run = &reference["runs"]["tridiagonal"]["BFGS"]["tight"];
    assert_eq!(run["status"].as_i64(), Some(2));
    let f = problems::build("tridiagonal", &ProblemConfig::default()).unwrap();
    let options = Options { gtol: 0.0, gtol_inf: 1e-10, max_iter: 20_000, ..Options::default() };
    let report = minimize(f.as_ref(), &f.start(), Bfgs::scipy(), &options).unwrap();
    assert!(matches!(report.status, Status::LineSearchFailed { .. }), "{:?}", report.status);
    assert!(report.evaluations.value as u64 <= run["nfev"].as_u64().unwrap());
    let worst =
        f.minimizers()[0].iter().zip(&report.x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-3, "{worst}");
}

#[test]
fn scipy_newton_cg_takes_scipys_iterations_and_evaluations() {
    let reference = reference();
    for (key, name) in CASES.into_iter().chain([("tridiagonal", "tridiagonal")]) {
        let run = &reference["runs"][key]["Newton-CG"]["tight"];
        let f = problems::build(name, &ProblemConfig::default()).unwrap();
        let n = f.dim();
        let options = Options {
            gtol: 0.0,
            xtol_l1: n as f64 * 1e-12,
            max_iter: 200 * n,
            ..Options::default()
        };
        let report = minimize(f.as_ref(), &f.start(), NewtonCg::scipy(), &options).unwrap();
        assert!(report.status.is_converged(), "{name}: {:?}", report.status);
        assert_eq!(report.iterations as u64, run["nit"].as_u64().unwrap(), "{name}: nit");
        assert_eq!(report.evaluations.value as u64, run["nfev"].as_u64().unwrap(), "{name}: nfev");
        let x = floats(&run["x"]);
        for (a, b) in report.x.iter().zip(&x) {
            assert!((a - b).abs() <= 1e-8 * b.abs().max(1.0), "{name}: {a} vs scipy's {b}");
        }
    }
}
