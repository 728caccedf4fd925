//! `descent minimize --problem logistic:digits`, on one process and (feature `distributed`)
//! as `mpirun -np 2 descent minimize --distributed ...`.

use assert_cmd::Command;
use descent::Objective;
use descent_distributed::logistic_digits;
use serde_json::Value;

const ARGS: [&str; 7] =
    ["minimize", "--problem", "logistic:digits", "--method", "lbfgs", "--gtol", "1e-8"];

fn parse(stdout: &[u8]) -> Value {
    let stdout = String::from_utf8_lossy(stdout);
    assert_eq!(stdout.trim_end().lines().count(), 1, "one JSON line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn single_process() -> Value {
    let out = Command::cargo_bin("descent").unwrap().args(ARGS).arg("--json").output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    parse(&out.stdout)
}

fn x_of(v: &Value) -> Vec<f64> {
    v["x"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn one_process_solves_softmax_regression_over_the_digits() {
    let v = single_process();
    assert_eq!(v["problem"], "logistic:digits");
    assert_eq!(v["status"], "converged");
    let x = x_of(&v);
    assert_eq!(x.len(), 650);
    // The reported value and gradient norm are the library's at the reported x.
    let f = logistic_digits(0, 1).unwrap();
    let mut g = vec![0.0; 650];
    let value = f.value_grad(&x, &mut g);
    assert!((v["value"].as_f64().unwrap() - value).abs() <= 1e-15);
    assert!(g.iter().map(|g| g * g).sum::<f64>().sqrt() <= 1e-8);
    // Below log 10, the value at θ = 0.
    assert!(value < 0.3 * 10f64.ln());
}

#[test]
fn distributed_needs_the_sharded_problem() {
    let out = Command::cargo_bin("descent")
        .unwrap()
        .args(["minimize", "--problem", "rosenbrock", "--distributed"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--problem logistic:digits"));
}

#[cfg(not(feature = "distributed"))]
#[test]
fn distributed_without_the_feature_says_how_to_build_it() {
    let out =
        Command::cargo_bin("descent").unwrap().args(ARGS).arg("--distributed").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--features distributed"), "{stderr}");
}

#[cfg(feature = "distributed")]
#[test]
fn two_ranks_print_once_and_match_one_process_to_the_bit() {
    let out = std::process::Command::new("mpirun")
        .args(["-np", "2", "--oversubscribe", env!("CARGO_BIN_EXE_descent")])
        .args(ARGS)
        .args(["--distributed", "--json"])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("mpirun runs (Open MPI installed)");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let two = parse(&out.stdout);
    let one = single_process();
    assert_eq!(two["problem"], "logistic:digits");
    assert_eq!(two["ranks"], 2);
    assert!(one.get("ranks").is_none());
    assert_eq!(two["iterations"], one["iterations"]);
    assert_eq!(two["evaluations"], one["evaluations"]);
    let (x2, x1) = (x_of(&two), x_of(&one));
    assert!(x2.iter().zip(&x1).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[cfg(feature = "distributed")]
#[test]
fn a_bad_setting_is_one_error_line_from_rank_zero() {
    let out = std::process::Command::new("mpirun")
        .args(["-np", "2", "--oversubscribe", env!("CARGO_BIN_EXE_descent")])
        .args(ARGS)
        .args(["--distributed", "--time-limit", "1"])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("mpirun runs (Open MPI installed)");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("--time-limit"), "{stderr}");
}
