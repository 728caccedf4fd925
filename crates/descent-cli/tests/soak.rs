//! `descent bench soak`: seeded random problems through `descent minimize`'s path, every report
//! checked (issue 12, item 2).

use std::collections::BTreeSet;

use assert_cmd::Command;
use clap::ValueEnum;
use descent_cli::args::MethodName;
use descent_cli::soak::{Draw, Outcome, SoakSummary, run_seed, soak};
use serde_json::Value;

#[test]
fn a_soak_of_500_runs_has_no_panic_no_violation_and_covers_every_method() {
    let summary = soak(500, 0, false);
    assert_eq!(summary.runs, 500);
    assert_eq!(summary.panics, 0, "{:#?}", summary.failures);
    assert_eq!(summary.violations, 0, "{:#?}", summary.failures);
    assert!(summary.failures.is_empty());
    let methods: BTreeSet<String> = summary.methods.keys().cloned().collect();
    let every: BTreeSet<String> = MethodName::value_variants().iter().map(|m| m.name()).collect();
    assert_eq!(methods, every, "every method is drawn");
    for status in ["converged:gradient_norm", "max_iterations", "unbounded_below", "diverged"] {
        assert!(summary.statuses.get(status).is_some_and(|&n| n > 0), "{status}: {summary:#?}");
    }
    assert!(summary.statuses.len() >= 8, "several statuses: {:?}", summary.statuses);
    // Deliberately invalid draws end in typed errors; starts outside f's domain too.
    assert!(summary.deliberately_invalid > 10, "{summary:#?}");
    assert!(summary.errors["InvalidHyperparameter"] > 0 && summary.errors["NonFiniteStart"] > 0);
    let ended: u64 = summary.statuses.values().sum::<u64>() + summary.errors.values().sum::<u64>();
    assert_eq!(ended, 500, "every run ends in a status or a typed error");
}

#[test]
#[ignore = "10,000 runs: `cargo test --release -p descent-cli --test soak -- --ignored`"]
fn a_soak_of_10000_runs_has_no_panic_and_no_violation() {
    let summary = soak(10_000, 0, false);
    assert_eq!((summary.panics, summary.violations), (0, 0), "{:#?}", summary.failures);
}

/// The first seed from `from` whose run ends in a report.
fn seed_with_a_report(from: u64) -> u64 {
    (from..from + 100)
        .find(|&s| matches!(run_seed(s, &|_| {}).outcome, Outcome::Report(_)))
        .expect("a report within 100 seeds")
}

#[test]
fn a_report_with_an_altered_field_is_caught_with_its_seed() {
    let seed = seed_with_a_report(1);
    assert!(run_seed(seed, &|_| {}).violations.is_empty());
    // One ulp off f(x): the value must match bit for bit.
    let run = run_seed(seed, &|r| r.value = f64::from_bits(r.value.to_bits() ^ 1));
    let checks: Vec<&str> = run.violations.iter().map(|v| v.check).collect();
    assert!(checks.contains(&"value_is_f_of_x"), "{checks:?}");
    let mut summary = SoakSummary::default();
    summary.add(&run);
    assert!(summary.violations >= 1);
    let failure = &summary.failures[0];
    assert_eq!(failure.seed, seed);
    assert_eq!(failure.command, Draw::new(seed).command());
    assert!(failure.command.starts_with("descent minimize "), "{}", failure.command);

    let run = run_seed(seed, &|r| r.grad_norm *= 1.0 + 1e-9);
    assert!(run.violations.iter().any(|v| v.check == "grad_norm_is_norm_of_gradient"));
    let run = run_seed(seed, &|r| r.iterations += 1000);
    assert!(run.violations.iter().any(|v| v.check == "iterations_within_max_iter"));
    let run = run_seed(seed, &|r| r.x.push(0.0));
    assert!(run.violations.iter().any(|v| v.check == "x_dimension"));
    let run = run_seed(seed, &|r| r.evaluations.value = 0);
    assert!(run.violations.iter().any(|v| v.check == "evaluations_cover_iterations"));
}

#[test]
fn a_seed_always_draws_the_same_command() {
    for seed in [0, 7, 123_456_789, u64::MAX] {
        assert_eq!(Draw::new(seed).command(), Draw::new(seed).command());
    }
    let distinct: BTreeSet<String> = (0..50).map(|s| Draw::new(s).command()).collect();
    assert_eq!(distinct.len(), 50);
}

#[test]
fn the_printed_command_reproduces_the_run() {
    // The command line, split as a shell would, gives the same report as the soak's run.
    let seed = seed_with_a_report(40);
    let draw = Draw::new(seed);
    let Outcome::Report(status) = run_seed(seed, &|_| {}).outcome else { unreachable!() };
    let binary = assert_cmd::cargo::cargo_bin("descent");
    let line = draw.command().replacen("descent", &binary.display().to_string(), 1) + " --json";
    let out = std::process::Command::new("sh").args(["-c", &line]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], status.name());
}

#[test]
fn descent_bench_soak_prints_one_json_object() {
    let out = Command::cargo_bin("descent")
        .unwrap()
        .args(["bench", "soak", "--runs", "20", "--seed", "5", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    for field in
        ["runs", "panics", "violations", "errors", "statuses", "methods", "elapsed_s", "failures"]
    {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    assert_eq!(v["runs"], 20);
    assert_eq!(v["panics"], 0);
    assert_eq!(v["violations"], 0);
    assert_eq!(v["failures"], Value::Array(vec![]));
    let counted: u64 = ["statuses", "errors"]
        .iter()
        .flat_map(|k| v[k].as_object().unwrap().values().map(|n| n.as_u64().unwrap()))
        .sum();
    assert_eq!(counted, 20);
    let per_method: u64 =
        v["methods"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(per_method, 20);
}

#[test]
fn the_table_names_the_figures() {
    let out = Command::cargo_bin("descent")
        .unwrap()
        .args(["bench", "soak", "--runs", "30"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for label in ["runs", "panics", "violations", "errors", "status", "method", "elapsed"] {
        assert!(text.contains(label), "{label}: {text}");
    }
    assert!(text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["runs", "30"]));
}
