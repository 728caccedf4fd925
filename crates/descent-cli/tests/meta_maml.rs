//! `descent meta maml` end to end: the issue's JSON fields keyed by step count, the saved model,
//! the figures, and bad input as one line on stderr with exit code 2.

use assert_cmd::Command;
use serde_json::Value;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

const STEPS: [&str; 5] = ["0", "1", "2", "5", "10"];

/// A short run with `--json`.
fn json(extra: &[&str]) -> Value {
    let out = descent().args(["meta", "maml", "--json"]).args(extra).output().unwrap();
    assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

/// The values of a step-keyed object, in step order.
fn by_step(v: &Value, field: &str) -> Vec<f64> {
    let object = v[field].as_object().unwrap_or_else(|| panic!("{field} missing: {v}"));
    assert_eq!(object.len(), STEPS.len(), "{field}: {object:?}");
    STEPS.iter().map(|k| object[*k].as_f64().unwrap()).collect()
}

#[test]
fn the_json_object_has_the_issue_fields_and_training_helps() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("maml.dmeta");
    let v =
        json(&["--iterations", "3000", "--eval-tasks", "100", "--save", model.to_str().unwrap()]);
    assert_eq!(v["algorithm"], "maml");
    assert_eq!((v["shots"].as_u64(), v["iterations"].as_u64()), (Some(10), Some(3000)));
    let mse = by_step(&v, "mse_after_steps");
    let ci95 = by_step(&v, "ci95_after_steps");
    let pretrained = by_step(&v, "pretrained_mse_after_steps");
    by_step(&v, "pretrained_ci95_after_steps");
    assert!(ci95.iter().all(|&c| c > 0.0 && c < 1.0), "{ci95:?}");
    // Unadapted, both networks predict about the mean sinusoid, 0: an MSE near E[A²]/2 ≈ 4.2.
    assert!((1.5..6.0).contains(&mse[0]) && (1.5..6.0).contains(&pretrained[0]));
    // 3000 iterations of MAML (measured: 2.9 → 1.0 after one step) already make one step on
    // ten points worth more than ten are to the pretrained network (1.9).
    assert!(mse[1] < 0.5 * mse[0], "{mse:?}");
    assert!(mse[1] < pretrained[4], "{mse:?} vs {pretrained:?}");
    // The saved model is what was evaluated: the library reads it back.
    let saved: descent_meta::maml::MetaModel<f32> = descent_meta::maml::load(&model).unwrap();
    assert_eq!(saved.config.iterations, 3000);
}

#[test]
fn reptile_and_first_order_maml_are_named_and_the_figures_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&[
        "--iterations",
        "20",
        "--eval-tasks",
        "20",
        "--reptile",
        "--plot",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(v["algorithm"], "reptile");
    for name in ["maml-fits", "pretrained-fits", "maml-training"] {
        for ext in ["svg", "png"] {
            let path = dir.path().join(format!("{name}.{ext}"));
            assert!(std::fs::metadata(&path).unwrap().len() > 1000, "{}", path.display());
        }
    }
    assert_eq!(
        json(&["--iterations", "20", "--eval-tasks", "20", "--first-order"])["algorithm"],
        "first_order_maml"
    );
}

#[test]
fn a_bad_value_is_one_line_on_stderr_and_exit_code_2() {
    for (args, needle) in [
        (&["--shots", "0"][..], "shots"),
        (&["--inner-lr", "-1"][..], "inner_lr"),
        (&["--first-order", "--reptile"][..], "cannot be used with"),
        (&["--iterations", "5", "--save", "/nonexistent/dir/m.dmeta"][..], "/nonexistent/dir"),
    ] {
        let out = descent().args(["meta", "maml"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
