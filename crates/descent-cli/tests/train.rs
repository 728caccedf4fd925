//! `descent train` and `descent predict` end to end on the bundled digits: the issue's JSON
//! interface, checkpoints that predict what training reported and resume bit for bit, and bad
//! input as one line on stderr, exit code 2 and no file written.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

/// Runs `descent` with `args` and `--json`, expecting success and one JSON object on stdout.
fn json(args: &[&str]) -> Value {
    let out = descent().args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

/// The files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_json_object_has_the_issue_fields_and_softmax_learns_the_digits() {
    let v = json(&["train", "--model", "softmax", "--epochs", "5", "--lr", "1e-2"]);
    for field in [
        "dataset",
        "model",
        "optimizer",
        "epochs",
        "seed",
        "train_loss",
        "train_accuracy",
        "test_loss",
        "test_accuracy",
        "elapsed_s",
    ] {
        assert!(!v[field].is_null(), "{field} missing: {v}");
    }
    assert_eq!(v["dataset"], "digits");
    assert_eq!(v["model"], "softmax");
    assert_eq!(v["optimizer"], "adam");
    assert_eq!(v["epochs"], 5);
    assert_eq!(v["seed"], 0);
    // 64 pixels and a bias into each of 10 classes.
    assert_eq!(v["params"], 650);
    for field in ["train_accuracy", "test_accuracy"] {
        let a = v[field].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&a), "{field} = {a}");
    }
    assert!(v["test_accuracy"].as_f64().unwrap() >= 0.9, "{v}");
    // The final numbers are the last epoch's; the steps are part of the loop's wall clock.
    let history = v["history"].as_array().unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[4]["test_loss"], v["test_loss"]);
    assert_eq!(history[4]["train_accuracy"], v["train_accuracy"]);
    assert!(history[4]["train_loss"].as_f64() < history[0]["train_loss"].as_f64());
    let (elapsed, steps) = (v["elapsed_s"].as_f64().unwrap(), v["steps_s"].as_f64().unwrap());
    assert!(0.0 < steps && steps <= elapsed, "steps {steps} s of {elapsed} s");
    // The confusion matrix counts the 359 test digits (20 % of 1,797, class by class).
    let confusion = v["confusion"].as_array().unwrap();
    let total: u64 =
        confusion.iter().flat_map(|r| r.as_array().unwrap()).map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(total, 359);
    let correct: u64 = (0..10).map(|i| confusion[i][i].as_u64().unwrap()).sum();
    assert_eq!(correct as f64 / 359.0, v["test_accuracy"].as_f64().unwrap());
}

#[test]
fn predict_reproduces_the_accuracy_and_confusion_that_train_reported() {
    let dir = tempfile::tempdir().unwrap();
    let model = path(dir.path(), "model.ckpt");
    let trained = json(&["train", "--model", "mlp:32,16", "--epochs", "3", "--save", &model]);
    let test = json(&["predict", "--model", &model]);
    assert_eq!(test["split"], "test");
    assert_eq!(test["examples"], 359);
    assert_eq!(test["accuracy"], trained["test_accuracy"]);
    assert_eq!(test["loss"], trained["test_loss"]);
    assert_eq!(test["confusion"], trained["confusion"]);
    assert_eq!(test["model"], "mlp:32,16");
    let train = json(&["predict", "--model", &model, "--dataset", "digits", "--split", "train"]);
    assert_eq!(train["examples"], 1797 - 359);
    assert_eq!(train["accuracy"], trained["train_accuracy"]);
    let all = json(&["predict", "--model", &model, "--split", "all"]);
    assert_eq!(all["examples"], 1797);
    let pooled = (train["accuracy"].as_f64().unwrap() * 1438.0
        + test["accuracy"].as_f64().unwrap() * 359.0)
        / 1797.0;
    assert!((all["accuracy"].as_f64().unwrap() - pooled).abs() < 1e-12);
    // The table: accuracy as a percentage, one row per true class.
    let out = descent().args(["predict", "--model", &model]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let percent = format!("{:.2}%", 100.0 * test["accuracy"].as_f64().unwrap());
    assert!(text.contains(&percent), "{text}");
    assert!(text.contains("true\\pred"), "{text}");
}

/// Runs 6 epochs in one go (A) and 3 then 3 more from the checkpoint (B → C): the final
/// metrics agree exactly and A and C have the same bytes.
fn resume_is_bit_identical(settings: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (path(dir.path(), "A"), path(dir.path(), "B"), path(dir.path(), "C"));
    let run = |extra: &[&str]| {
        let mut args = vec!["train"];
        args.extend_from_slice(settings);
        args.extend_from_slice(extra);
        json(&args)
    };
    let whole = run(&["--epochs", "6", "--save", &a]);
    let first = run(&["--epochs", "3", "--save", &b]);
    assert_eq!(first["epochs"], 3);
    let resumed = json(&["train", "--resume", &b, "--epochs", "6", "--save", &c]);
    assert_eq!(resumed["resumed_at_epoch"], 3);
    for field in [
        "dataset",
        "model",
        "optimizer",
        "epochs",
        "seed",
        "train_loss",
        "train_accuracy",
        "test_loss",
        "test_accuracy",
        "confusion",
        "history",
        "optimizer_config",
        "precision",
    ] {
        assert_eq!(whole[field], resumed[field], "{settings:?}: {field}");
    }
    let (a, c) = (std::fs::read(a).unwrap(), std::fs::read(c).unwrap());
    assert!(a == c, "{settings:?}: checkpoints differ");
    assert_ne!(std::fs::read(b).unwrap(), a, "B holds 3 epochs, not 6");
}

#[test]
fn a_resumed_run_is_bit_identical_to_an_uninterrupted_one() {
    resume_is_bit_identical(&["--model", "mlp:16"]);
    // Another rule type (centered RMSProp with torch's momentum), f64, tanh, regularised.
    resume_is_bit_identical(&[
        "--model",
        "mlp:8,8",
        "--activation",
        "tanh",
        "--precision",
        "f64",
        "--optimizer",
        "rmsprop",
        "--centered",
        "--momentum",
        "0.5",
        "--schedule",
        "step:step_size=20,gamma=0.5",
        "--lr",
        "1e-3",
        "--l2",
        "1e-4",
        "--label-smoothing",
        "0.1",
        "--batch",
        "50",
        "--seed",
        "3",
        "--split-seed",
        "2",
    ]);
}

#[test]
fn resume_takes_the_checkpoints_settings_and_flags_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let b = path(dir.path(), "B");
    json(&[
        "train",
        "--model",
        "softmax",
        "--optimizer",
        "sgd",
        "--lr",
        "0.1",
        "--epochs",
        "2",
        "--save",
        &b,
    ]);
    let v = json(&["train", "--resume", &b, "--model", "softmax", "--lr", "0.1", "--epochs", "3"]);
    assert_eq!((v["model"].as_str(), v["optimizer"].as_str()), (Some("softmax"), Some("sgd")));
    assert_eq!(v["learning_rate"], 0.1);
    assert_eq!(v["epochs"], 3);
    // Without --epochs, the checkpoint's total: nothing left to run.
    let v = json(&["train", "--resume", &b]);
    assert_eq!(v["epochs"], 2);
}

/// `descent` with `args` fails with one line on stderr containing `expected`, exit code 2, no
/// stdout, and leaves the files of `dir` as they were.
fn rejects(dir: &Path, args: &[&str], expected: &str) {
    let before = listing(dir);
    let out = descent().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line, got {stderr:?}");
    assert!(stderr.contains(expected), "{args:?}: {stderr:?} lacks {expected:?}");
    assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(listing(dir), before, "{args:?}: files written");
}

#[test]
fn bad_input_is_one_line_exit_code_two_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (save, plot) = (path(d, "out.ckpt"), path(d, "figures"));
    let outputs = ["--save", save.as_str(), "--plot", plot.as_str(), "--json"];
    let train = |extra: &[&str]| -> Vec<String> {
        ["train"].iter().chain(extra).chain(&outputs).map(|s| (*s).to_owned()).collect()
    };
    let rejects_train = |extra: &[&str], expected: &str| {
        let args = train(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rejects(d, &args, expected);
    };
    rejects_train(&["--model", "mlp:x"], "hidden width 'x' is not a positive integer");
    rejects_train(&["--optimizer", "bfgs"], "one of sgd, momentum");
    rejects_train(
        &["--optimizer", "adam", "--momentum", "0.9"],
        "--momentum does not apply to --optimizer adam",
    );
    rejects_train(&["--dataset", "mnist:/nope"], "/nope");
    rejects_train(&["--epochs", "0"], "--epochs must be at least 1");
    rejects(d, &["train", "--batch", "0"], "--batch must be at least 1");
    let unwritable = path(d, "missing/out.ckpt");
    rejects(d, &["train", "--save", &unwritable], "cannot write");

    // A real checkpoint, then a truncated copy.
    let good = path(d, "good.ckpt");
    json(&["train", "--model", "softmax", "--epochs", "2", "--save", &good]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = path(d, "truncated.ckpt");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    rejects_train(&["--resume", &truncated], "truncated.ckpt");
    rejects(d, &["predict", "--model", &truncated], "truncated.ckpt");
    rejects(d, &["predict", "--model", &path(d, "missing.ckpt")], "missing.ckpt");
    rejects_train(
        &["--resume", &good, "--model", "mlp:64"],
        "--model mlp:64 conflicts with the checkpoint's softmax",
    );
    rejects_train(
        &["--resume", &good, "--lr", "0.5"],
        "--lr 0.5 conflicts with the checkpoint's 0.001",
    );
    rejects_train(&["--resume", &good, "--beta1", "0.5"], "--beta1 0.5 conflicts");
    rejects_train(&["--resume", &good, "--epochs", "1"], "2 epochs done");
}

#[test]
fn plot_writes_the_learning_curve_as_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let figures = dir.path().join("figures");
    json(&["train", "--model", "softmax", "--epochs", "3", "--plot", figures.to_str().unwrap()]);
    let svg = std::fs::read_to_string(figures.join("learning-curve.svg")).unwrap();
    roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert!(svg.contains("accuracy"), "the accuracy panel");
    let png = std::fs::read(figures.join("learning-curve.png")).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().expect("a PNG that decodes");
    assert!(reader.info().width >= 800);
    assert_eq!(listing(&figures), ["learning-curve.png", "learning-curve.svg"]);
}

/// Writes an IDX pair of `n` images `side`×`side` with values 0–255 and labels `i % 3`: class
/// c's images are bright in row c, dark elsewhere.
fn write_idx(dir: &Path, stem: &str, n: u32, side: u32) {
    let mut images = vec![0, 0, 8, 3];
    for v in [n, side, side] {
        images.extend_from_slice(&v.to_be_bytes());
    }
    let mut labels = vec![0, 0, 8, 1];
    labels.extend_from_slice(&n.to_be_bytes());
    for i in 0..n {
        let class = i % 3;
        labels.push(class as u8);
        for r in 0..side {
            for c in 0..side {
                let noise = (i * 31 + r * 7 + c * 13) % 40;
                images.push(if r == class { (200 + noise) as u8 } else { noise as u8 });
            }
        }
    }
    std::fs::write(dir.join(format!("{stem}-images-idx3-ubyte")), images).unwrap();
    std::fs::write(dir.join(format!("{stem}-labels-idx1-ubyte")), labels).unwrap();
}

#[test]
fn mnist_files_train_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    write_idx(dir.path(), "train", 60, 4);
    write_idx(dir.path(), "t10k", 30, 4);
    let data = format!("mnist:{}", dir.path().display());
    let model = path(dir.path(), "model.ckpt");
    let trained = json(&[
        "train",
        "--dataset",
        &data,
        "--model",
        "softmax",
        "--epochs",
        "20",
        "--batch",
        "10",
        "--lr",
        "0.05",
        "--save",
        &model,
    ]);
    assert_eq!(trained["dataset"], data.as_str());
    // MNIST-layout files have 10 classes, whatever the labels used.
    assert_eq!(trained["params"], 10 * (16 + 1));
    assert_eq!(trained["test_accuracy"], 1.0, "three bright rows are separable: {trained}");
    let test = json(&["predict", "--model", &model]);
    assert_eq!(test["examples"], 30);
    assert_eq!(test["accuracy"], trained["test_accuracy"]);
    assert_eq!(test["loss"], trained["test_loss"]);
}

#[test]
fn early_stopping_reports_and_predicts_the_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let model = path(dir.path(), "model.ckpt");
    // A rate this high overfits within a few epochs: the test loss turns up after epoch 2.
    let args = ["--model", "mlp:128", "--lr", "0.03", "--epochs", "20", "--patience", "2"];
    let mut train = vec!["train"];
    train.extend_from_slice(&args);
    train.extend_from_slice(&["--save", &model]);
    let v = json(&train);
    assert_eq!(v["stopped_early"], true, "{v}");
    let history = v["history"].as_array().unwrap();
    let best = v["best_epoch"].as_u64().unwrap() as usize;
    assert_eq!(history.len(), best + 3, "patience 2: two epochs past the best, then stop");
    let best_loss = history[best]["test_loss"].as_f64().unwrap();
    assert!(history.iter().all(|h| h["test_loss"].as_f64().unwrap() >= best_loss));
    assert_eq!(v["test_loss"], history[best]["test_loss"]);
    assert_eq!(v["test_accuracy"], history[best]["test_accuracy"]);
    let p = json(&["predict", "--model", &model]);
    assert_eq!(p["loss"], v["test_loss"]);
    assert_eq!(p["accuracy"], v["test_accuracy"]);
    assert_eq!(p["confusion"], v["confusion"]);
}
