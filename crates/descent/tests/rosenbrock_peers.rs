//! Our L-BFGS against the evaluation counts scipy and argmin recorded in
//! `bench/peers/rosenbrock_peers.json` (made by `bench/peers/rosenbrock_peers.sh`): extended
//! Rosenbrock from (−1.2, 1, −1.2, 1, …) to ‖∇f‖∞ ≤ 1e-5, at every n recorded.

use descent::line_search::MoreThuente;
use descent::problems::{Problem, Rosenbrock};
use descent::{Lbfgs, Options, Report, minimize};
use serde_json::Value;

fn recorded() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/peers/rosenbrock_peers.json");
    let text =
        std::fs::read_to_string(path).expect("bench/peers/rosenbrock_peers.json is committed");
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    json["runs"].as_array().expect("a list of runs").clone()
}

fn field(run: &Value, name: &str) -> usize {
    run[name].as_u64().unwrap_or_else(|| panic!("{name} in {run}")) as usize
}

fn ours(n: usize, memory: usize) -> Report {
    let f = Rosenbrock::new(n).unwrap();
    let options = Options { gtol: 0.0, gtol_inf: 1e-5, max_iter: 10_000, ..Options::default() };
    let method = Lbfgs::new(memory).unwrap().with_line_search(MoreThuente::default());
    minimize(&f, &f.start(), method, &options).unwrap()
}

/// n = 10⁶ takes about a second in release: only against scipy (the requirement), and
/// not in a debug build.
fn affordable(library: &str, n: usize) -> bool {
    n <= 100_000 || (library == "scipy" && !cfg!(debug_assertions))
}

/// With the same memory (m = 10), our L-BFGS needs no more value+gradient evaluations than
/// scipy's L-BFGS-B, at every n recorded. Against argmin (m = 7), which evaluates the gradient
/// of the accepted point a second time, we need fewer gradients at every n (our value count is
/// within a few of its 48).
#[test]
fn lbfgs_needs_no_more_evaluations_than_scipy_and_fewer_gradients_than_argmin() {
    let runs = recorded();
    let mut checked = 0;
    for run in &runs {
        let library = run["library"].as_str().expect("library");
        let (n, memory) = (field(run, "n"), field(run, "memory"));
        if library == "descent" || !affordable(library, n) {
            continue;
        }
        assert_eq!(run["status"], "converged", "the peer's run must have converged: {run}");
        let report = ours(n, memory);
        let evaluations = report.evaluations;
        let context = format!("{library} n = {n} m = {memory}: ours {evaluations:?} vs {run}");
        assert!(report.status.is_converged(), "{context}");
        assert_eq!(evaluations.value, evaluations.gradient, "{context}");
        match library {
            "scipy" => assert!(evaluations.value <= field(run, "values"), "{context}"),
            "argmin" => assert!(evaluations.gradient < field(run, "gradients"), "{context}"),
            other => panic!("unexpected library {other}"),
        }
        checked += 1;
    }
    // scipy and argmin at 2, 10, 100, 10³, 10⁴, 10⁵ (and scipy at 10⁶ in release).
    assert!(checked >= 12, "only {checked} peer runs found");
}
