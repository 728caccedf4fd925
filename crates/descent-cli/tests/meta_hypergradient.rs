//! `descent meta hypergradient` end to end: the issue's JSON fields on the digits, the figures,
//! and bad input as one line on stderr with exit code 2.

use assert_cmd::Command;
use serde_json::Value;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

/// Runs `descent meta hypergradient` with `args` and `--json`, expecting one JSON object.
fn json(args: &[&str]) -> Value {
    let out = descent().args(["meta", "hypergradient"]).args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn the_default_run_has_the_issue_fields_and_beats_plain_gd_fourfold() {
    let v = json(&[]);
    for field in ["final_loss", "final_lr", "baseline_final_loss"] {
        assert!(v[field].is_f64(), "{field} missing: {v}");
    }
    assert_eq!(v["dataset"], "digits");
    assert_eq!(v["optimizer"], "sgd");
    assert_eq!((v["lr0"].as_f64(), v["beta"].as_f64()), (Some(1e-3), Some(1e-3)));
    assert_eq!((v["iterations"].as_u64(), v["examples"].as_u64()), (Some(200), Some(1797)));
    assert!(v["safeguard"].is_null());
    let (losses, rates) = (floats(&v["losses"]), floats(&v["learning_rates"]));
    let baseline = floats(&v["baseline_losses"]);
    assert_eq!((losses.len(), rates.len(), baseline.len()), (201, 200, 201));
    assert_eq!(losses[200], v["final_loss"].as_f64().unwrap());
    assert_eq!(rates[199], v["final_lr"].as_f64().unwrap());
    assert_eq!(baseline[200], v["baseline_final_loss"].as_f64().unwrap());
    // The issue's claim, and its reference run's α (0.064).
    let (hd, gd) = (losses[200], baseline[200]);
    assert!(4.0 * hd <= gd, "GD-HD {hd}, GD {gd}");
    assert!((rates[199] - 0.064).abs() < 0.005, "α_T = {}", rates[199]);
}

#[test]
fn adam_hd_with_the_safeguard_reports_its_floor_and_writes_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("figs");
    let v = json(&[
        "--optimizer",
        "adam",
        "--beta",
        "1e-6",
        "--iterations",
        "30",
        "--safeguard",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(v["optimizer"], "adam");
    // Bare --safeguard: the floor is α₀/100.
    assert_eq!(v["safeguard"].as_f64(), Some(1e-5));
    assert!(floats(&v["learning_rates"]).iter().all(|&a| a >= 1e-5));
    let mut names: Vec<String> = std::fs::read_dir(&plot)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "hypergradient-loss.png",
            "hypergradient-loss.svg",
            "hypergradient-lr.png",
            "hypergradient-lr.svg"
        ]
    );
}

#[test]
fn the_human_table_shows_both_runs() {
    let out = descent().args(["meta", "hypergradient", "--iterations", "40"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["SGD-HD loss", "SGD loss", "final α", "baseline final loss"] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn a_bad_value_is_one_line_on_stderr_and_exit_code_2() {
    for (args, needle) in [
        (&["--beta", "-1"][..], "hyper_learning_rate"),
        (&["--lr0", "0"][..], "initial_learning_rate"),
        (&["--optimizer", "sgdx"][..], "sgdx"),
        (&["--iterations", "0"][..], "iterations"),
        (&["--optimizer", "sgdn", "--momentum", "1"][..], "momentum"),
    ] {
        let out = descent().args(["meta", "hypergradient"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
