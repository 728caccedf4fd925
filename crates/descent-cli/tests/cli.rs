//! The `descent` binary end to end: the documented JSON interface, and bad input handled as
//! one line on stderr with exit code 2 and no output file.

use assert_cmd::Command;
use serde_json::Value;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

/// Runs `descent` with `args`, expecting success and one JSON object on stdout.
fn json(args: &[&str]) -> Value {
    let out = descent().args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn the_issue_example_converges_to_one_one() {
    let v = json(&[
        "minimize",
        "--expr",
        "100*(y-x^2)^2+(1-x)^2",
        "--x0",
        "-1.2,1",
        "--method",
        "gd",
        "--line-search",
        "armijo",
        "--max-iter",
        "100000",
        "--gtol",
        "1e-6",
    ]);
    assert_eq!(v["status"], "converged");
    assert_eq!(v["reason"], "gradient_norm");
    for xi in v["x"].as_array().unwrap() {
        assert!((xi.as_f64().unwrap() - 1.0).abs() < 1e-4, "{v}");
    }
    assert!(v["grad_norm"].as_f64().unwrap() <= 1e-6);
}

#[test]
fn the_json_object_has_the_documented_fields() {
    let v = json(&["minimize", "--problem", "booth", "--lr", "0.05"]);
    let object = v.as_object().unwrap();
    for field in [
        "problem",
        "method",
        "status",
        "reason",
        "x",
        "value",
        "grad_norm",
        "iterations",
        "evaluations",
        "elapsed_s",
    ] {
        assert!(object.contains_key(field), "missing {field}");
    }
    assert_eq!(v["problem"], "booth");
    assert_eq!(v["method"], "gd");
    let e = &v["evaluations"];
    assert!(e["value"].is_u64() && e["gradient"].is_u64() && e["hessian"].is_u64());
    assert!(v["elapsed_s"].is_f64());
    assert!((v["x"][0].as_f64().unwrap() - 1.0).abs() < 1e-5);
    assert!((v["x"][1].as_f64().unwrap() - 3.0).abs() < 1e-5);
}

#[test]
fn gtol_zero_runs_exactly_max_iter() {
    let v = json(&["minimize", "--problem", "rosenbrock", "--gtol", "0", "--max-iter", "123"]);
    assert_eq!(v["iterations"], 123);
    assert_eq!(v["status"], "max_iterations");
    assert!(v["reason"].is_null());
}

#[test]
fn statuses_reach_the_json() {
    let ramp = json(&["minimize", "--problem", "ramp", "--lr", "0.1"]);
    assert_eq!(ramp["status"], "unbounded_below");
    let diverged = json(&["minimize", "--problem", "ravine", "--condition", "10", "--lr", "0.25"]);
    assert_eq!(diverged["status"], "diverged");
    assert!(diverged["at_iteration"].as_u64().unwrap() > 0);
    let nan = json(&["minimize", "--expr", "sqrt(x)", "--x0", "1", "--lr", "1"]);
    assert_eq!(nan["status"], "non_finite");
    assert_eq!(nan["at_iteration"], 2, "x = 1 → 0.5 → 0 (∞ slope) : {nan}");
}

/// `--check-gradient[=TOL]`: a smooth expression passes and runs as without the flag; at the
/// kink of |x| the exact derivative (1, from the positive side) disagrees with the central
/// difference (0), and the run stops before its first step with one line naming the
/// component; a tolerance that is not positive is rejected.
#[test]
fn check_gradient_flag() {
    let args = ["minimize", "--expr", "(x-1)^2 + 3*(y+2)^2", "--lr", "0.1"];
    let plain = json(&args);
    let checked = json(&[&args[..], &["--check-gradient"]].concat());
    assert_eq!(checked["status"], "converged");
    assert_eq!(checked["x"], plain["x"]);
    assert_eq!(checked["iterations"], plain["iterations"]);
    let checked = json(&[&args[..], &["--check-gradient=1e-9"]].concat());
    assert_eq!(checked["x"], plain["x"]);
    rejects(
        &["minimize", "--expr", "abs(x) + y^2", "--x0", "0,1", "--check-gradient"],
        "gradient check failed at x0: component 0 is 1, central differences give 0",
    );
    rejects(&["minimize", "--problem", "booth", "--check-gradient=0"], "check_gradient");
    rejects(&["minimize", "--problem", "booth", "--check-gradient=-1"], "check_gradient");
    rejects(&["minimize", "--problem", "booth", "--check-gradient=nan"], "check_gradient");
}

#[test]
fn variables_follow_first_appearance_unless_vars_orders_them() {
    let v = json(&["minimize", "--expr", "(y-2)^2 + (x+1)^2", "--lr", "0.25", "--gtol", "1e-9"]);
    assert_eq!(v["variables"], serde_json::json!(["y", "x"]));
    assert!((v["x"][0].as_f64().unwrap() - 2.0).abs() < 1e-8);
    let v = json(&[
        "minimize",
        "--expr",
        "(y-2)^2 + (x+1)^2",
        "--vars",
        "x,y",
        "--lr",
        "0.25",
        "--gtol",
        "1e-9",
    ]);
    assert!((v["x"][0].as_f64().unwrap() + 1.0).abs() < 1e-8);
}

#[test]
fn the_trace_holds_every_iterate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.csv");
    let v = json(&[
        "minimize",
        "--problem",
        "ravine",
        "--lr",
        "0.1",
        "--max-iter",
        "20",
        "--gtol",
        "0",
        "--trace",
        path.to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "iteration,value,grad_norm,step_norm,value_evaluations,gradient_evaluations,x0,x1"
    );
    assert_eq!(lines.len(), 1 + 1 + v["iterations"].as_u64().unwrap() as usize);
    // ½(10² + 10·1²) = 55 at the start (10, 1).
    assert!(lines[1].starts_with("0,55,"), "{}", lines[1]);
}

/// Bad input: exit code 2, exactly one line on stderr, nothing on stdout, no trace file.
fn rejects(args: &[&str], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.csv");
    let out =
        descent().args(args).args(["--trace", path.to_str().unwrap(), "--json"]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line, got {stderr:?}");
    assert!(stderr.contains(expected), "{args:?}: {stderr:?} lacks {expected:?}");
    assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args:?}: a file was left");
}

#[test]
fn bad_input_is_one_line_and_exit_code_two() {
    rejects(&["minimize", "--problem", "nope"], "unknown problem 'nope'");
    rejects(&["minimize", "--problem", "booth", "--x0", "1,2,3"], "expected 2 elements, got 3");
    rejects(&["minimize", "--problem", "booth", "--lr", "0"], "learning_rate");
    rejects(&["minimize", "--problem", "booth", "--lr", "-1"], "learning_rate");
    rejects(&["minimize", "--expr", "x^2 + (y"], "column");
    rejects(&["minimize", "--expr", "x +* y"], "column 4");
    rejects(&["minimize", "--problem", "booth", "--x0", "1,zz"], "element 2");
    rejects(&["minimize", "--problem", "rosenbrock", "--dim", "3"], "dimension 3");
    rejects(&["minimize", "--problem", "booth", "--method", "halley"], "halley");
    rejects(&["minimize", "--problem", "booth", "--c1", "0.5"], "--line-search armijo");
    rejects(&["minimize", "--problem", "booth", "--gtol", "-1"], "gtol");
    rejects(
        &["minimize", "--problem", "rosenbrock", "--condition", "5"],
        "no parameter 'condition'",
    );
    rejects(&["minimize"], "required");
    for (args, expected) in [
        (&["compare", "--problem", "booth", "--methods", "gd,newtonx"][..], "newtonx"),
        (&["compare", "--problem", "booth"][..], "--methods"),
        (&["compare", "--problem", "nope", "--methods", "gd"][..], "unknown problem"),
    ] {
        let out = descent().args(args).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr:?}");
    }
}

#[test]
fn every_first_order_method_runs_with_its_flags() {
    for (method, flags) in [
        ("sgd", vec!["--lr", "0.01", "--weight-decay", "0"]),
        ("heavy-ball", vec!["--lr", "0.01", "--momentum", "0.8"]),
        ("momentum", vec!["--lr", "0.01", "--dampening", "0.1"]),
        ("nesterov", vec!["--lr", "0.01", "--preset", "optax"]),
        ("nesterov-look-ahead", vec!["--lr", "0.01"]),
        ("adam", vec!["--lr", "0.05", "--beta1", "0.8", "--eps", "1e-7"]),
        ("adamw", vec!["--lr", "0.05", "--weight-decay", "0"]),
        ("amsgrad", vec!["--lr", "0.05", "--schedule", "exponential:gamma=0.9999"]),
        ("adamax", vec!["--lr", "0.05", "--beta2", "0.99"]),
        ("nadam", vec!["--lr", "0.05", "--preset", "optax"]),
        ("nadamw", vec!["--lr", "0.05", "--weight-decay", "0"]),
        ("radam", vec!["--lr", "0.05"]),
        ("radamw", vec!["--lr", "0.05", "--weight-decay", "0"]),
        // Lion steps ±η per coordinate: only a decaying rate lets it settle.
        (
            "lion",
            vec![
                "--lr",
                "0.05",
                "--weight-decay",
                "0",
                "--schedule",
                "inverse_time:decay=0.05",
                "--gtol",
                "1e-3",
            ],
        ),
    ] {
        let mut args =
            vec!["minimize", "--problem", "booth", "--method", method, "--max-iter", "50000"];
        args.extend(flags);
        let v = json(&args);
        assert_eq!(v["status"], "converged", "{method}: {v}");
        assert_eq!(v["method"], method);
        assert!(v["distance_to_minimizer"].as_f64().unwrap() < 1e-4, "{method}: {v}");
        assert!(v["hyperparameters"].is_object());
    }
    let v = json(&["minimize", "--problem", "booth", "--method", "adam", "--beta2", "0.99"]);
    assert_eq!(v["hyperparameters"]["beta2"], 0.99);
    let v = json(&["minimize", "--problem", "booth", "--method", "adamw", "--preset", "optax"]);
    assert_eq!(v["hyperparameters"]["weight_decay"], 1e-4);
}

#[test]
fn quasi_newton_methods_run_with_either_line_search() {
    for args in [
        vec!["--method", "lbfgs"],
        vec!["--method", "lbfgs", "--line-search", "more-thuente", "--memory", "5"],
        vec!["--method", "bfgs", "--line-search", "more-thuente"],
        vec!["--method", "bfgs", "--c1", "0.01"],
        vec!["--method", "gd", "--line-search", "more-thuente", "--max-iter", "100000"],
        vec!["--method", "newton"],
        vec!["--method", "newton", "--line-search", "more-thuente"],
    ] {
        let mut full = vec!["minimize", "--problem", "rosenbrock", "--dim", "10"];
        full.extend(&args);
        let v = json(&full);
        assert_eq!(v["status"], "converged", "{args:?}: {v}");
        assert!(v["distance_to_minimizer"].as_f64().unwrap() < 1e-4, "{args:?}: {v}");
    }
    // Newton on a quadratic: one step, one Hessian. The tolerance is relative: x* reaches 1e5
    // here, so rounding alone leaves ‖∇f‖ ≈ 1e-9 after the exact step.
    let v = json(&[
        "minimize",
        "--problem",
        "tridiagonal",
        "--dim",
        "1000",
        "--method",
        "newton",
        "--gtol",
        "0",
        "--gtol-rel",
        "1e-8",
    ]);
    assert_eq!(
        (v["iterations"].as_u64(), v["evaluations"]["hessian"].as_u64()),
        (Some(1), Some(1))
    );
    let v = json(&["minimize", "--problem", "rosenbrock", "--method", "lbfgs", "--memory", "4"]);
    assert_eq!(v["hyperparameters"]["memory"], 4);
    assert_eq!(v["line_search"], "armijo");
}

#[test]
fn first_order_flags_are_checked() {
    rejects(
        &["minimize", "--problem", "booth", "--method", "adam", "--momentum", "0.9"],
        "--momentum does not apply",
    );
    rejects(&["minimize", "--problem", "booth", "--method", "adam", "--beta1", "1"], "beta1");
    rejects(&["minimize", "--problem", "booth", "--method", "adam", "--eps", "0"], "eps");
    rejects(
        &["minimize", "--problem", "booth", "--method", "momentum", "--lr", "-0.1"],
        "learning_rate",
    );
    rejects(
        &["minimize", "--problem", "booth", "--method", "sgd", "--schedule", "step:gamma=0.5"],
        "step_size",
    );
    rejects(
        &["minimize", "--problem", "booth", "--method", "sgd", "--schedule", "spiral"],
        "unknown kind",
    );
}

#[test]
fn compare_races_every_method_at_its_tuned_rate() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&[
        "compare",
        "--problem",
        "booth",
        "--methods",
        "gd,momentum,nesterov,adam",
        "--budget",
        "5000",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(v["problem"], "booth");
    let runs = v["runs"].as_array().unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(names, ["gd", "momentum", "nesterov", "adam"]);
    for r in runs {
        assert_eq!(r["status"], "converged", "{r}");
        assert_eq!(r["tuned"], true);
        assert!(r["evaluations"]["value"].as_u64().unwrap() <= 5000);
    }
    // A given rate is used as given.
    let v = json(&[
        "compare",
        "--problem",
        "booth",
        "--methods",
        "gd",
        "--lr",
        "0.05",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(v["runs"][0]["learning_rate"], 0.05);
    assert_eq!(v["runs"][0]["tuned"], false);
}

/// The stroke colours of the SVG's polylines, with how many lines each draws.
fn polyline_strokes(svg: &str) -> std::collections::BTreeMap<String, usize> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let mut strokes = std::collections::BTreeMap::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("polyline")) {
        *strokes.entry(node.attribute("stroke").unwrap_or("").to_owned()).or_insert(0) += 1;
    }
    strokes
}

#[test]
fn compare_writes_a_path_plot_and_loss_plots_as_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("figures");
    let v = json(&[
        "compare",
        "--problem",
        "rosenbrock",
        "--methods",
        "gd,momentum,nesterov,adam",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(v["figures"].as_array().unwrap().len(), 6);
    for stem in ["paths", "loss-iterations", "loss-evaluations"] {
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        let strokes = polyline_strokes(&svg);
        assert!(!strokes.is_empty(), "{stem}: {strokes:?}");
        let png = std::fs::read(out.join(format!("{stem}.png"))).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().expect("a PNG that decodes");
        assert!(reader.info().width >= 800, "{stem}");
    }
    // One line per method over the contours: four colours drawn once each (the contours are
    // the grey, the frame and ticks black).
    let strokes = polyline_strokes(&std::fs::read_to_string(out.join("paths.svg")).unwrap());
    let methods: Vec<_> =
        strokes.iter().filter(|(c, _)| *c != "#C4C4C4" && *c != "#000000").collect();
    assert_eq!(methods.len(), 4, "{strokes:?}");
    assert!(methods.iter().all(|(_, n)| **n == 1), "{strokes:?}");
}

#[test]
fn problems_lists_the_registry() {
    let v = json(&["problems"]);
    let names: Vec<&str> =
        v["problems"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "ramp",
            "ravine",
            "rosenbrock",
            "beale",
            "himmelblau",
            "booth",
            "saddle",
            "monkey_saddle",
            "rastrigin",
            "tridiagonal",
            "random_quadratic"
        ]
    );
    let table = descent().arg("problems").output().unwrap();
    assert!(String::from_utf8(table.stdout).unwrap().contains("himmelblau"));
}

#[test]
fn the_tour_writes_a_self_contained_report_with_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &std::path::Path| {
        let status = descent().args(["tour", "--out", out.to_str().unwrap()]).output().unwrap();
        assert!(status.status.success());
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let started = std::time::Instant::now();
    run(&a);
    assert!(started.elapsed().as_secs() < 60, "the tour takes {:?}", started.elapsed());
    run(&b);
    let html = std::fs::read_to_string(a.join("index.html")).unwrap();
    for chapter in [
        "Chapter 1. The ramp",
        "Chapter 2. The ravine",
        "Chapter 3. Momentum",
        "Chapter 4. Adagrad",
        "Chapter 5. Newton and quasi-Newton",
        "Chapter 6. Saddles: the Pringle chip",
        "Chapter 7. Learning to read digits",
        "Chapter 8. Cancelling noise and echo, one sample at a time",
        "Chapter 9. Sharpening the sky",
        "Chapter 10. Learning to learn",
    ] {
        assert!(html.contains(chapter), "{chapter}");
    }
    let figures = [
        "ramp",
        "ravine-10",
        "ravine-100",
        "momentum-paths",
        "momentum-loss",
        "adagrad-paths",
        "newton-bowl",
        "newton-rosenbrock-paths",
        "newton-rosenbrock-loss",
        "saddles-pringle",
        "saddles-jiggle",
        "saddles-escape-distance",
        "saddles-escape-paths",
        "learning-gradient",
        "learning-curve",
        "signals-waveforms",
        "signals-learning",
        "signals-echo-misalignment",
        "signals-echo-erle",
        "imaging-panels",
        "imaging-psnr",
        "meta-hypergradient-loss",
        "meta-hypergradient-lr",
        "meta-maml-fits",
        "meta-maml-steps",
    ];
    // Measured times, different in every run: present and drawn, not byte-identical.
    let timed = ["newton-step-cost"];
    assert_eq!(html.matches("<svg").count(), figures.len() + timed.len(), "every figure inline");
    for name in timed {
        assert!(html.contains(&format!("<figure id=\"{name}\">")), "{name}");
        assert!(std::fs::read(a.join(format!("{name}.png"))).unwrap().starts_with(b"\x89PNG"));
    }
    assert!(!html.contains("<img") && !html.contains("<script"), "no external resources");
    for name in figures {
        assert!(html.contains(&format!("<figure id=\"{name}\">")), "{name}");
        let svg_a = std::fs::read(a.join(format!("{name}.svg"))).unwrap();
        let svg_b = std::fs::read(b.join(format!("{name}.svg"))).unwrap();
        assert_eq!(svg_a, svg_b, "{name}: the same run writes the same bytes");
        assert!(std::fs::read(a.join(format!("{name}.png"))).unwrap().starts_with(b"\x89PNG"));
    }
    // Chapter 7's figures are well-formed SVG: the digit's 64 pixels and 3 × 10 bars in each
    // of its two panels are rectangles, and the learning curve draws train and test twice.
    for (name, element, at_least) in
        [("learning-gradient", "rect", 64 + 2 * 30), ("learning-curve", "polyline", 4)]
    {
        let text = std::fs::read_to_string(a.join(format!("{name}.svg"))).unwrap();
        let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
        let count = document.descendants().filter(|n| n.has_tag_name(element)).count();
        assert!(count >= at_least, "{name}: {count} {element} elements");
    }
    // Chapter 8's: the waveforms' two panels hold three curves, the learning curves three, each
    // echo figure four runs; every curve is a polyline (or several).
    for (name, at_least) in [
        ("signals-waveforms", 3),
        ("signals-learning", 3),
        ("signals-echo-misalignment", 4),
        ("signals-echo-erle", 4),
    ] {
        let text = std::fs::read_to_string(a.join(format!("{name}.svg"))).unwrap();
        let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
        let count = document.descendants().filter(|n| n.has_tag_name("polyline")).count();
        assert!(count >= at_least, "{name}: {count} polylines");
    }
    // Chapter 9's: three image panels, each at least one rectangle per row (runs of one grey
    // level), and the PSNR figure's three curves.
    let text = std::fs::read_to_string(a.join("imaging-panels.svg")).unwrap();
    let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let rects = document.descendants().filter(|n| n.has_tag_name("rect")).count();
    assert!(rects >= 3 * 128, "imaging-panels: {rects} rectangles");
    for caption in ["truth (M13)", "blurred", "Richardson–Lucy"] {
        assert!(text.contains(caption), "imaging-panels: {caption}");
    }
    let text = std::fs::read_to_string(a.join("imaging-psnr.svg")).unwrap();
    let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let count = document.descendants().filter(|n| n.has_tag_name("polyline")).count();
    assert!(count >= 3, "imaging-psnr: {count} polylines");
    // Chapter 10's: two loss curves, three α paths, 3 tasks × 2 models × (truth + 3 fits), two
    // error curves.
    for (name, at_least) in [
        ("meta-hypergradient-loss", 2),
        ("meta-hypergradient-lr", 3),
        ("meta-maml-fits", 24),
        ("meta-maml-steps", 2),
    ] {
        let text = std::fs::read_to_string(a.join(format!("{name}.svg"))).unwrap();
        let document = roxmltree::Document::parse(&text).expect("well-formed SVG");
        let count = document.descendants().filter(|n| n.has_tag_name("polyline")).count();
        assert!(count >= at_least, "{name}: {count} polylines");
    }
}

#[test]
fn the_tour_tells_its_chapters() {
    let v = json(&["tour"]);
    assert_eq!(v["ramp"]["status"], "unbounded_below");
    for run in v["ravine"].as_array().unwrap() {
        assert_eq!(run["status"], "converged");
        assert_eq!(run["sign_flips"], run["iterations"]);
    }
    let momentum = v["momentum"].as_array().unwrap();
    let iterations = |name: &str| {
        momentum.iter().find(|r| r["method"] == name).unwrap()["iterations"].as_u64().unwrap()
    };
    assert!(iterations("heavy_ball") < iterations("gd"));
    assert!(iterations("nesterov") <= iterations("heavy_ball"));
    let dir = tempfile::tempdir().unwrap();
    let out = descent().args(["tour", "--out", dir.path().to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("unbounded below") && text.contains("zig-zag"));
    assert!(text.contains("Chapter 3. Momentum") && text.contains("Chapter 4. Adagrad"));
    assert!(v["adagrad"]["gd_gap"].as_f64().unwrap() <= 1e-12);
    let newton = &v["newton"];
    let bowl = &newton["bowl"]["runs"][0];
    assert_eq!((bowl["method"].as_str(), bowl["iterations"].as_u64()), (Some("newton"), Some(1)));
    assert!(bowl["distance"].as_f64().unwrap() < 1e-8);
    let cost = &newton["step_cost"];
    let exponent = |name: &str| cost[name].as_f64().unwrap();
    assert!(exponent("tridiagonal_exponent") < exponent("dense_exponent"));
    assert_eq!(cost["tridiagonal"].as_array().unwrap().len(), 7);
    let lbfgs = &newton["rosenbrock"]["runs"][0];
    assert_eq!(lbfgs["method"], "lbfgs");
    assert!(lbfgs["iterations"].as_u64().unwrap() <= 50);
    assert!(text.contains("Chapter 5. Newton and quasi-Newton"));
    assert!(text.contains("Chapter 6. Saddles: the Pringle chip"));
    let saddles = &v["saddles"];
    assert_eq!(saddles["pringle"]["eigenvalues"], serde_json::json!([-2.0, 2.0]));
    assert_eq!(saddles["pringle"]["verdict"]["saddle_point"]["negative_directions"], 1);
    fn verdict(v: &serde_json::Value) -> &str {
        v.as_str().unwrap_or("saddle_point")
    }
    let verdicts: Vec<(&str, &str, &str)> = saddles["jiggle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["verdict"].as_str().unwrap(),
                verdict(&c["jiggle"]["verdict"]),
                verdict(&c["curvature"]["verdict"]),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("minimum", "minimum", "minimum"),
            ("saddle", "saddle", "saddle_point"),
            ("saddle", "saddle", "degenerate"),
        ]
    );
    let escape = &saddles["escape"];
    let runs = escape["runs"].as_array().unwrap();
    assert_eq!(runs[0]["method"], "gd");
    assert_eq!(runs[0]["iterations"], 0);
    assert_eq!(runs[0]["critical_point"]["saddle_point"]["negative_directions"], 1);
    assert_eq!(runs[1]["method"], "perturbed_gd");
    assert_eq!(runs[1]["critical_point"], "minimum");
    assert!((runs[1]["value"].as_f64().unwrap() + 1.0).abs() < 1e-9);
    let median = |name: &str| escape[name].as_f64().unwrap();
    assert!(median("momentum_median") < median("gd_median"));
    assert_eq!(escape["gd_exits"].as_array().unwrap().len(), 20);
    learning_claims(&v["learning"]);
    assert!(text.contains("Chapter 7. Learning to read digits") && text.contains("p − y"));
    signals_claims(&v["signals"]);
    assert!(text.contains("Chapter 8. Cancelling noise and echo") && text.contains("Geigel"));
    imaging_claims(&v["imaging"]);
    assert!(text.contains("Chapter 9. Sharpening the sky") && text.contains("discrepancy"));
    meta_claims(&v["meta"]);
    assert!(text.contains("Chapter 10. Learning to learn") && text.contains("MAML"));
}

/// Chapter 10's claims, from its JSON object.
fn meta_claims(meta: &Value) {
    let f = |v: &Value| v.as_f64().unwrap();
    let h = &meta["hypergradient"];
    for field in ["lr0", "beta", "iterations", "final_loss", "final_lr", "baseline_final_loss"] {
        assert!(h.get(field).is_some(), "meta.hypergradient.{field} missing: {h}");
    }
    assert_eq!((h["optimizer"].as_str(), h["iterations"].as_u64()), (Some("sgd"), Some(200)));
    // SGD-HD at least 4× lower than SGD at its fixed α₀, as the issue asks.
    assert!(f(&h["baseline_final_loss"]) >= 4.0 * f(&h["final_loss"]), "{h}");
    assert!(
        (f(&h["loss_ratio"]) - f(&h["baseline_final_loss"]) / f(&h["final_loss"])).abs() < 1e-12
    );
    // From α₀ two decades apart, about the same final α.
    let runs = meta["alpha0_runs"].as_array().unwrap();
    let alpha0s: Vec<f64> = runs.iter().map(|r| f(&r["alpha0"])).collect();
    assert_eq!(alpha0s, [1e-4, 1e-3, 1e-2]);
    let finals: Vec<f64> = runs.iter().map(|r| f(&r["final_lr"])).collect();
    let (lo, hi) = finals.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &a| (l.min(a), h.max(a)));
    assert!(hi / lo < 1.1, "{finals:?}");
    assert!((f(&meta["alpha_spread"]) - hi / lo).abs() < 1e-12);
    assert_eq!(f(&runs[1]["final_lr"]), f(&h["final_lr"]));
    // The shipped models: MAML after one step beats pretraining after ten; MAML's ten-step
    // error is below 0.2.
    let m = &meta["maml"];
    assert_eq!((m["shots"].as_u64(), m["iterations"].as_u64()), (Some(10), Some(70_000)));
    // Keyed by every step count from 0 to 10.
    let keyed = m["mse_after_steps"].as_object().unwrap();
    assert_eq!(keyed.len(), 11);
    assert!((0..=10).all(|k| keyed.contains_key(&k.to_string())), "{m}");
    let maml = |k: &str| f(&m["mse_after_steps"][k]);
    let pretrained = |k: &str| f(&m["pretrained_mse_after_steps"][k]);
    assert!(maml("1") < pretrained("10"), "{m}");
    assert!(maml("10") < 0.2 && pretrained("10") > 1.0, "{m}");
    // Before adapting, both predict about the family's mean curve.
    assert!(f(&m["start_vs_mean_rms"]) < 0.2 && f(&m["pretrained_start_vs_mean_rms"]) < 0.2);
    for k in ["0", "1", "2", "5", "10"] {
        assert!(
            f(&m["ci95_after_steps"][k]) > 0.0 && f(&m["pretrained_ci95_after_steps"][k]) > 0.0
        );
    }
}

/// Chapter 9's claims, from its JSON object.
fn imaging_claims(imaging: &Value) {
    for field in ["crop", "corner", "psf_sigma", "sigma_estimate", "sigma_true", "blurred_ssim"] {
        assert!(imaging.get(field).is_some(), "imaging.{field} missing: {imaging}");
    }
    assert_eq!(imaging["stretch"], "asinh");
    assert_eq!(imaging["crop"], 128);
    assert_eq!(imaging["psf_sigma"], 2.0);
    let blurred = imaging["blurred_psnr_db"].as_f64().unwrap();
    let methods = imaging["methods"].as_array().unwrap();
    let names: Vec<&str> = methods.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(names, ["rl", "rl-tv", "landweber"]);
    for m in methods {
        let f = |k: &str| m[k].as_f64().unwrap();
        // Stopped by the discrepancy principle, within 1 dB of the best iteration.
        assert_eq!(m["stopped_by"], "discrepancy", "{m}");
        assert!(f("best_psnr_db") - f("psnr_db") <= 1.0 && f("psnr_db") <= f("best_psnr_db"));
        assert!(f("psnr_db") > blurred && f("ssim") > imaging["blurred_ssim"].as_f64().unwrap());
        assert!((f("flux_ratio") - 1.0).abs() <= 0.01, "{m}");
        assert!(m["iterations"].as_u64().unwrap() >= 1);
    }
    // RL gains more than 5 dB over the blurred image and keeps the flux.
    assert!(methods[0]["psnr_db"].as_f64().unwrap() - blurred > 5.0);
    assert!((methods[0]["flux_ratio"].as_f64().unwrap() - 1.0).abs() < 1e-9);
}

/// Chapter 8's claims, from its JSON object.
fn signals_claims(signals: &Value) {
    let noise = &signals["noise"];
    for field in [
        "taps",
        "mu",
        "eps",
        "input_snr_db",
        "output_snr_db",
        "snr_improvement_db",
        "final_misalignment_db",
        "step",
        "curves",
        "rls_speed_up",
    ] {
        assert!(noise.get(field).is_some(), "signals.noise.{field} missing: {noise}");
    }
    let f = |v: &Value| v.as_f64().unwrap();
    assert!(f(&noise["snr_improvement_db"]) >= 15.0, "{noise}");
    assert!(f(&noise["input_snr_db"]).abs() <= 1e-9);
    // One NLMS update is −μ/(ε + xᵀx) times the gradient −e·x of ½e².
    let step = &noise["step"];
    assert!(f(&step["finite_difference_error"]) <= 1e-10 && f(&step["update_error"]) <= 1e-10);
    let (mu, eps) = (f(&noise["mu"]), f(&noise["eps"]));
    assert!((f(&step["step"]) - mu / (eps + f(&step["energy"]))).abs() <= 1e-15, "{step}");
    let curves = noise["curves"].as_array().unwrap();
    let to_20 = |method: &str| {
        let c = curves.iter().find(|c| c["method"] == method).unwrap();
        c["samples_to_minus_20db"].as_u64().unwrap()
    };
    let taps = noise["taps"].as_u64().unwrap();
    assert_eq!(taps, 64);
    // RLS within 2L samples, NLMS at least 20 times later, as the chapter says.
    assert!(to_20("rls") <= 2 * taps, "{noise}");
    assert!(to_20("nlms") >= 20 * to_20("rls"), "{noise}");
    assert!((f(&noise["rls_speed_up"]) - to_20("nlms") as f64 / to_20("rls") as f64).abs() < 1e-12);
    let echo = &signals["echo"];
    assert_eq!(echo["taps"], 256);
    let runs = echo["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    for filter in ["nlms", "fdaf"] {
        let after = |detector: bool| {
            let r = runs.iter().find(|r| r["filter"] == filter && r["detector"] == detector);
            f(&r.unwrap()["misalignment_after_db"])
        };
        // The detector keeps the weights through double talk.
        assert!(after(true) < after(false) - 3.0, "{filter}: {echo}");
    }
    for r in runs {
        assert!(f(&r["steady_state_erle_db"]) >= 20.0, "{r}");
    }
}

/// Chapter 7's claims, from its JSON object.
fn learning_claims(learning: &Value) {
    let object = learning.as_object().unwrap();
    for field in [
        "digit_index",
        "digit_label",
        "p",
        "p_minus_y",
        "finite_difference_error",
        "gradient_norm_before",
        "gradient_norm_after",
        "before",
        "after",
        "epochs",
        "final_test_accuracy",
    ] {
        assert!(object.contains_key(field), "learning.{field} missing: {learning}");
    }
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
    };
    let label = learning["digit_label"].as_u64().unwrap() as usize;
    for stage in ["before", "after"] {
        let (p, g) = (floats(&learning[stage]["p"]), floats(&learning[stage]["p_minus_y"]));
        assert_eq!((p.len(), g.len()), (10, 10));
        // p − y sums to 0, and only the true class's entry is negative.
        assert!(g.iter().sum::<f64>().abs() <= 1e-12, "{stage}: {g:?}");
        for k in 0..10 {
            let y = if k == label { 1.0 } else { 0.0 };
            assert!((g[k] - (p[k] - y)).abs() <= 1e-15, "{stage} class {k}");
            assert_eq!(g[k] < 0.0, k == label, "{stage} class {k}: {g:?}");
        }
        assert!(learning[stage]["finite_difference_error"].as_f64().unwrap() <= 1e-7);
    }
    assert_eq!(learning["p_minus_y"], learning["after"]["p_minus_y"]);
    assert!(learning["finite_difference_error"].as_f64().unwrap() <= 1e-7);
    let norm = |name: &str| learning[name].as_f64().unwrap();
    assert!(norm("gradient_norm_after") < norm("gradient_norm_before"), "{learning}");
    let epochs = learning["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 12);
    for (k, e) in epochs.iter().enumerate() {
        assert_eq!(e["epoch"], k + 1);
        for field in ["train_loss", "train_accuracy", "test_loss", "test_accuracy"] {
            assert!(e[field].as_f64().unwrap().is_finite(), "epoch {k}: {field}");
        }
    }
    let accuracy = learning["final_test_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.95, "{accuracy}");
    assert_eq!(epochs[11]["test_accuracy"].as_f64(), Some(accuracy));
}

#[test]
fn hager_zhang_line_search_runs_for_every_method_that_takes_one() {
    for method in ["gd", "bfgs", "lbfgs", "newton", "newton-cg"] {
        let mut args =
            vec!["minimize", "--problem", "rosenbrock", "--dim", "10", "--method", method];
        args.extend(["--line-search", "hager-zhang", "--max-iter", "100000"]);
        let v = json(&args);
        assert_eq!(v["status"], "converged", "{method}: {v}");
        assert_eq!(v["line_search"], "hager_zhang", "{method}: {v}");
        assert!(v["distance_to_minimizer"].as_f64().unwrap() < 1e-4, "{method}: {v}");
    }
    rejects(
        &[
            "minimize",
            "--problem",
            "booth",
            "--method",
            "lbfgs",
            "--line-search",
            "hager-zhang",
            "--c1",
            "0.01",
        ],
        "--line-search armijo",
    );
}

/// A second-order method on the 10-dimensional Rosenbrock problem and on an expression (which
/// has Hessian-vector products and a Hessian too).
fn converges_on_rosenbrock(method: &str) {
    let v = json(&["minimize", "--problem", "rosenbrock", "--dim", "10", "--method", method]);
    assert_eq!(v["status"], "converged", "{method}: {v}");
    assert!(v["distance_to_minimizer"].as_f64().unwrap() < 1e-4, "{method}: {v}");
    assert_eq!(v["method"], method);
    let expr = ["minimize", "--expr", "100*(y-x^2)^2+(1-x)^2", "--x0", "-1.2,1", "--method"];
    let v = json(&[&expr[..], &[method]].concat());
    assert_eq!(v["status"], "converged", "{method}: {v}");
    assert!((v["x"][0].as_f64().unwrap() - 1.0).abs() < 1e-6, "{method}: {v}");
}

#[test]
fn newton_cg_runs_from_the_command_line() {
    converges_on_rosenbrock("newton-cg");
    let v = json(&[
        "minimize",
        "--problem",
        "rosenbrock",
        "--method",
        "newton-cg",
        "--line-search",
        "more-thuente",
    ]);
    assert_eq!(v["status"], "converged");
    assert_eq!(v["line_search"], "more_thuente");
    assert_eq!(v["hyperparameters"]["forcing_max"], 0.5);
    rejects(
        &["minimize", "--problem", "booth", "--method", "newton-cg", "--eta", "0.1"],
        "--eta does not apply",
    );
}

#[test]
fn trust_ncg_runs_from_the_command_line() {
    converges_on_rosenbrock("trust-ncg");
    // scipy's trust-ncg on Rosenbrock from (−1.2, 1), gtol 1e-8: 27 accepted steps of 30
    // trials (bench/peers/trust_region_reference.json), so 31 value evaluations.
    let v =
        json(&["minimize", "--problem", "rosenbrock", "--method", "trust-ncg", "--gtol", "1e-8"]);
    assert_eq!(
        (v["iterations"].as_u64(), v["evaluations"]["value"].as_u64()),
        (Some(27), Some(31))
    );
    rejects(
        &["minimize", "--problem", "booth", "--method", "trust-ncg", "--initial-radius", "2000"],
        "initial_radius",
    );
}

#[test]
fn dogleg_runs_from_the_command_line() {
    converges_on_rosenbrock("dogleg");
    let v = json(&[
        "minimize",
        "--problem",
        "booth",
        "--method",
        "dogleg",
        "--initial-radius",
        "0.5",
        "--max-radius",
        "100",
        "--eta",
        "0.1",
    ]);
    assert_eq!(v["status"], "converged", "{v}");
    let h = &v["hyperparameters"];
    assert_eq!(
        (h["initial_radius"].as_f64(), h["max_radius"].as_f64(), h["eta"].as_f64()),
        (Some(0.5), Some(100.0), Some(0.1))
    );
    rejects(&["minimize", "--problem", "booth", "--method", "dogleg", "--eta", "0.3"], "eta");
    rejects(
        &["minimize", "--problem", "booth", "--method", "dogleg", "--line-search", "armijo"],
        "--line-search does not apply",
    );
}

#[test]
fn bounded_methods_stay_in_the_box_and_report_the_active_set() {
    // Rosenbrock in x ≤ 0.8: the minimiser is (0.8, 0.64), the first coordinate on its bound.
    for method in ["lbfgsb", "projected-gd"] {
        let v = json(&[
            "minimize",
            "--problem",
            "rosenbrock",
            "--method",
            method,
            "--bounds",
            "-2:0.8",
            "--max-iter",
            "100000",
        ]);
        assert_eq!(v["status"], "converged", "{method}: {v}");
        let x: Vec<f64> = v["x"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!(x[0], 0.8, "{method}: {v}");
        assert!((x[1] - 0.64).abs() < 1e-6, "{method}: {v}");
        assert_eq!(v["active_bounds"], 1, "{method}: {v}");
    }
    // One pair per coordinate, infinite bounds spelled out; --memory reaches the method.
    let v = json(&[
        "minimize",
        "--problem",
        "rosenbrock",
        "--dim",
        "4",
        "--method",
        "lbfgsb",
        "--memory",
        "5",
        "--bounds",
        "-inf:0.5,-inf:inf,1.2:3,-1:1",
    ]);
    assert_eq!(v["status"], "converged", "{v}");
    assert_eq!(v["hyperparameters"]["memory"], 5);
    assert_eq!(v["line_search"], "more_thuente");
    assert_eq!(v["x"][0], 0.5);
    assert_eq!((v["x"][2].as_f64(), v["x"][3].as_f64()), (Some(1.2), Some(1.0)));
    assert_eq!(v["active_bounds"], 3);
    // Without --bounds, lbfgsb is L-BFGS (with scipy's line search) and finds (1, 1).
    let v = json(&["minimize", "--problem", "rosenbrock", "--method", "lbfgsb"]);
    assert_eq!(v["status"], "converged", "{v}");
    assert!(v["distance_to_minimizer"].as_f64().unwrap() < 1e-5, "{v}");
    assert_eq!(v["active_bounds"], 0);
    assert!(json(&["minimize", "--problem", "booth"]).get("active_bounds").is_none());
}

#[test]
fn malformed_bounds_are_one_line_naming_the_pair() {
    let base = ["minimize", "--problem", "rosenbrock", "--method", "lbfgsb", "--bounds"];
    for (bounds, expected) in [
        ("0:1,3:2", "pair 2: lower bound 3 is above upper bound 2"),
        ("0:1,0;1", "pair 2 ('0;1') is not lo:hi"),
        ("0:1,-x:1", "pair 2: lower bound '-x'"),
        ("0:1,0:1,0:1", "3 pairs for a problem of dimension 2"),
        ("inf:inf", "contains no number"),
    ] {
        let mut args = base.to_vec();
        args.push(bounds);
        rejects(&args, expected);
    }
    rejects(
        &["minimize", "--problem", "booth", "--method", "lbfgs", "--bounds", "0:1"],
        "--bounds does not apply to --method lbfgs",
    );
    rejects(
        &["minimize", "--problem", "booth", "--method", "lbfgsb", "--line-search", "armijo"],
        "--line-search does not apply to --method lbfgsb",
    );
}

#[test]
fn classify_reports_both_tests_and_the_combined_verdict() {
    // The monkey saddle: zero Hessian, so curvature is degenerate and the jiggle test decides.
    let v = json(&["classify", "--expr", "x^3-3*x*y^2", "--at", "0,0"]);
    assert_eq!(v["verdict"], "saddle", "{v}");
    assert_eq!(v["decided_by"], "jiggle");
    assert_eq!(v["jiggle"]["verdict"], "saddle");
    assert_eq!(v["curvature"]["verdict"], "degenerate");
    assert_eq!(v["jiggle"]["samples"], 64);
    assert_eq!(v["jiggle"]["outward_fraction"], 0.5); // s = 3f(δ) is odd: each ± pair splits
    assert!(v["jiggle"]["radius"].as_f64().unwrap() > 0.0);
    // x² − y²: a saddle by curvature, eigenvalues {−2, 2}, index 1.
    let v = json(&["classify", "--expr", "x^2-y^2", "--at", "0,0"]);
    assert_eq!((&v["verdict"], &v["decided_by"]), (&"saddle".into(), &"curvature".into()));
    assert_eq!(
        v["curvature"]["verdict"],
        serde_json::json!({"saddle_point": {"negative_directions": 1}})
    );
    assert_eq!(v["curvature"]["index"], 1);
    let eigenvalues: Vec<f64> =
        serde_json::from_value(v["curvature"]["eigenvalues"].clone()).unwrap();
    assert!((eigenvalues[0] + 2.0).abs() < 1e-12 && (eigenvalues[1] - 2.0).abs() < 1e-12);
    assert_eq!(v["stationary"], true);
    // The flags reach the jiggle test; a built-in problem works the same way.
    let v = json(&[
        "classify",
        "--problem",
        "saddle",
        "--at",
        "0,0",
        "--samples",
        "16",
        "--radius",
        "0.01",
        "--seed",
        "3",
    ]);
    assert_eq!(
        (v["jiggle"]["samples"].as_u64(), v["jiggle"]["radius"].as_f64()),
        (Some(16), Some(0.01))
    );
    assert_eq!(v["problem"], "saddle");
    // Himmelblau's local maximum, to six digits: curvature says maximum.
    let v = json(&["classify", "--problem", "himmelblau", "--at", "-0.270845,-0.923039"]);
    assert_eq!(v["verdict"], "maximum", "{v}");
}

#[test]
fn classify_prints_a_short_table_and_rejects_a_point_of_the_wrong_dimension() {
    let out =
        descent().args(["classify", "--expr", "x^3-3*x*y^2", "--at", "0,0"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for needle in ["saddle (by the jiggle test", "curvature", "degenerate", "jiggle", "50% outward"]
    {
        assert!(stdout.contains(needle), "{needle:?} missing from:\n{stdout}");
    }
    for (args, expected) in [
        (&["classify", "--problem", "booth", "--at", "1,2,3"][..], "--at has 3 coordinates"),
        (&["classify", "--problem", "booth"][..], "--at"),
        (&["classify", "--problem", "booth", "--at", "1,zz"][..], "element 2"),
        (&["classify", "--problem", "booth", "--at", "1,3", "--samples", "1"][..], "samples"),
    ] {
        let out = descent().args(args).arg("--json").output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr:?} lacks {expected:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_run_says_what_it_stopped_at_and_escape_saddles_leaves_the_saddle() {
    // x² − y² + y⁴/4: a saddle at 0 (Hessian eigenvalues ±2), minima at (0, ±√2), f = −1.
    let expr = ["minimize", "--expr", "x^2 - y^2 + y^4/4", "--x0", "0,0"];
    let gd = ["--method", "gd", "--line-search", "armijo"];
    let stuck = json(&[&expr[..], &gd[..]].concat());
    assert_eq!(
        (stuck["status"].as_str(), stuck["iterations"].as_u64()),
        (Some("converged"), Some(0))
    );
    assert_eq!(
        stuck["critical_point"],
        serde_json::json!({"saddle_point": {"negative_directions": 1}})
    );
    assert!(stuck.get("escapes").is_none(), "only with --escape-saddles");
    let escaped = json(&[&expr[..], &gd[..], &["--escape-saddles"][..]].concat());
    assert_eq!(escaped["status"], "converged");
    assert_eq!(escaped["critical_point"], "minimum");
    assert_eq!(escaped["escapes"], 1);
    assert!((escaped["value"].as_f64().unwrap() + 1.0).abs() < 1e-9, "{escaped}");
    let y = escaped["x"][1].as_f64().unwrap();
    assert!((y.abs() - 2f64.sqrt()).abs() < 1e-6, "{escaped}");
    // A run that does not converge is not classified: null.
    let short = json(&["minimize", "--problem", "rosenbrock", "--max-iter", "3"]);
    assert!(short["critical_point"].is_null());
    let done = json(&["minimize", "--problem", "rosenbrock", "--method", "lbfgs"]);
    assert_eq!(
        (done["status"].as_str(), done["critical_point"].as_str()),
        (Some("converged"), Some("minimum"))
    );
    // The table has the row.
    let out = descent().args(expr).args(gd).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("critical point  saddle point (1 negative); 1 Hessian"), "{table}");
}

/// `descent … | head`: a reader that goes away ends the command quietly (as it ends `cat`), not
/// with a panic in `println!` (exit code 101 and a backtrace on stderr).
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_command_without_a_panic() {
    use std::process::{Command as Process, Stdio};
    // The run computes for a while before it prints: the pipe is closed by then.
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("descent"))
        .args(["meta", "hypergradient", "--iterations", "300"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

/// An output that cannot be put in place (the trace's path is a directory, so the final rename
/// fails after the whole run): one line naming it, exit code 2, and nothing left behind — no
/// temporary file beside it, the directory as it was. (A read-only directory would do as well,
/// but not for a test run as root.)
#[test]
fn an_output_that_cannot_be_renamed_into_place_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("trace.csv");
    std::fs::create_dir(&taken).unwrap();
    std::fs::write(taken.join("inside"), b"kept").unwrap();
    let out = descent()
        .args(["minimize", "--problem", "booth", "--trace", taken.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    let expected = format!("error: cannot write {}: ", taken.display());
    assert!(stderr.starts_with(&expected), "{stderr:?}");
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["trace.csv"], "a temporary file was left");
    assert_eq!(std::fs::read(taken.join("inside")).unwrap(), b"kept");
}

#[test]
fn preset_scipy_is_scipys_bfgs() {
    // scipy's BFGS on Rosenbrock from (−1.2, 1) with gtol 1e-10 (inf-norm): 34 iterations and
    // 41 evaluations (bench/peers/scipy_minimize_reference.json).
    let v = json(&[
        "minimize",
        "--problem",
        "rosenbrock",
        "--method",
        "bfgs",
        "--preset",
        "scipy",
        "--gtol",
        "0",
        "--gtol-inf",
        "1e-10",
    ]);
    assert_eq!(
        (v["iterations"].as_u64(), v["evaluations"]["value"].as_u64(), v["line_search"].as_str()),
        (Some(34), Some(41), Some("more_thuente"))
    );
    rejects(
        &["minimize", "--problem", "booth", "--method", "adam", "--preset", "scipy"],
        "applies to --method bfgs",
    );
    rejects(
        &[
            "minimize",
            "--problem",
            "booth",
            "--method",
            "bfgs",
            "--preset",
            "scipy",
            "--line-search",
            "armijo",
        ],
        "drop --line-search",
    );
}
