//! `descent compare`: several methods raced on one problem, each at its tuned (or given)
//! learning rate, as a table or one JSON object, with figures of their paths and losses.

use descent::driver::Trace;
use descent::{Evaluations, Hessian, HessianVectorProduct, Options, Report};
use serde::Serialize;

use crate::args::{CompareArgs, MethodArgs, MethodName};
use crate::methods;
use crate::minimize::Target;
use crate::output::{number, print_json, print_table};
use crate::plots::{self, Against, Format};
use crate::progress::Bar;

/// The learning rates tried when none is given: 4 per decade from 1e-4 to 1.
const GRID: std::ops::RangeInclusive<i32> = -16..=0;

/// One method's race.
pub struct Run {
    /// The method.
    pub method: MethodName,
    /// The learning rate used.
    pub learning_rate: f64,
    /// Whether it was tuned on the grid.
    pub tuned: bool,
    /// The outcome.
    pub report: Report,
    /// Every iterate, for the figures.
    pub trace: Trace,
}

#[derive(Serialize)]
struct RunJson<'a> {
    method: String,
    learning_rate: f64,
    tuned: bool,
    status: &'static str,
    reason: Option<&'static str>,
    iterations: usize,
    evaluations: Evaluations,
    value: f64,
    grad_norm: f64,
    x: &'a [f64],
    elapsed_s: f64,
}

#[derive(Serialize)]
struct CompareJson<'a> {
    problem: &'a str,
    budget: usize,
    runs: Vec<RunJson<'a>>,
    figures: &'a [String],
}

/// Runs `descent compare`.
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let target = Target::from_args(&args.target)?;
    let x0 = target.x0(&args.target);
    let options = Options {
        max_iter: usize::MAX,
        max_evals: args.budget,
        gtol: args.gtol,
        // The race prints no verdicts: no eigensolver inside the learning-rate grid.
        classify: descent::ClassifyPoint::Never,
        ..Options::default()
    };
    options.validate()?;
    let trials = |m: &MethodName| {
        if args.learning_rate.is_some() || !m.takes_learning_rate() { 1 } else { GRID.count() + 1 }
    };
    let mut bar = Bar::new(args.methods.iter().map(trials).sum::<usize>() as u64, "compare");
    let mut runs = Vec::new();
    for &method in &args.methods {
        runs.push(match &target {
            Target::Problem(p) => race(p.as_ref(), &x0, method, args, &options, &mut bar)?,
            Target::Expression(e) => race(e, &x0, method, args, &options, &mut bar)?,
        });
    }
    bar.finish();
    let figures = write_figures(&target, &runs, args)?;
    if args.json {
        let runs = runs
            .iter()
            .map(|r| RunJson {
                method: r.method.name(),
                learning_rate: r.learning_rate,
                tuned: r.tuned,
                status: r.report.status.name(),
                reason: r.report.status.reason().map(|c| c.name()),
                iterations: r.report.iterations,
                evaluations: r.report.evaluations,
                value: r.report.value,
                grad_norm: r.report.grad_norm,
                x: &r.report.x,
                elapsed_s: r.report.elapsed.as_secs_f64(),
            })
            .collect();
        return print_json(&CompareJson {
            problem: target.name(),
            budget: args.budget,
            runs,
            figures: &figures,
        });
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let e = r.report.evaluations;
            vec![
                r.method.name(),
                format!("{}{}", number(r.learning_rate), if r.tuned { " (tuned)" } else { "" }),
                r.report.status.to_string(),
                r.report.iterations.to_string(),
                format!("{}/{}", e.value, e.gradient),
                number(r.report.value),
                format!("{:.2} ms", r.report.elapsed.as_secs_f64() * 1e3),
            ]
        })
        .collect();
    println!("{} (n = {}), budget {} evaluations each\n", target.name(), x0.len(), args.budget);
    print_table(
        &[
            "method",
            "learning rate",
            "status",
            "iterations",
            "values/gradients",
            "final value",
            "time",
        ],
        &rows,
    );
    println!("\nfigures: {}", figures.join(", "));
    Ok(())
}

/// Writes the loss figures (f − f* where f* is known, else f, and ‖∇f‖, against iterations
/// and against evaluations)
/// and, for two variables, the paths over the contours, each as SVG and PNG. Returns the
/// paths written.
fn write_figures(target: &Target, runs: &[Run], args: &CompareArgs) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.out.display()))?;
    let mut written = Vec::new();
    let mut emit = |stem: &str, render: &dyn Fn(Format) -> anyhow::Result<Vec<u8>>| {
        for (format, extension) in [(Format::Svg, "svg"), (Format::Png, "png")] {
            let path = args.out.join(format!("{stem}.{extension}"));
            plots::write(&path, &render(format)?)?;
            written.push(path.display().to_string());
        }
        anyhow::Ok(())
    };
    let floor = target.min_value().unwrap_or(0.0);
    let shifted: Vec<(String, Trace)> = runs
        .iter()
        .map(|r| {
            let mut trace = r.trace.clone();
            for row in &mut trace.rows {
                row.value -= floor;
            }
            (r.method.name(), trace)
        })
        .collect();
    let traces: Vec<(String, &Trace)> = shifted.iter().map(|(n, t)| (n.clone(), t)).collect();
    let title = if target.min_value().is_some() {
        format!("{}: f − f* and ‖∇f‖", target.name())
    } else {
        format!("{}: f and ‖∇f‖", target.name())
    };
    for (stem, against) in
        [("loss-iterations", Against::Iterations), ("loss-evaluations", Against::Evaluations)]
    {
        emit(stem, &|format| plots::loss_curves(&title, &traces, against, format))?;
    }
    if runs.first().is_some_and(|r| r.report.x.len() == 2) {
        let paths: Vec<(String, Vec<[f64; 2]>)> = runs
            .iter()
            .map(|r| {
                (r.method.name(), r.trace.rows.iter().map(|row| [row.x[0], row.x[1]]).collect())
            })
            .collect();
        let minima: Vec<[f64; 2]> =
            target.minimizers().iter().filter(|m| m.len() == 2).map(|m| [m[0], m[1]]).collect();
        let (xr, yr) = plots::plot_box(&paths, &minima);
        let f = |x: f64, y: f64| target.value(&[x, y]);
        let title = format!("{}: paths", target.name());
        emit("paths", &|format| plots::paths(&title, &f, xr, yr, &paths, &minima, format))?;
    }
    Ok(written)
}

/// One method on `f`: at the given learning rate, or at the grid rate that converges with the
/// fewest evaluations (or, if none converges, ends lowest).
fn race<O: Hessian + HessianVectorProduct + ?Sized>(
    f: &O,
    x0: &[f64],
    method: MethodName,
    args: &CompareArgs,
    options: &Options,
    bar: &mut Bar,
) -> anyhow::Result<Run> {
    let mut attempt = |learning_rate: f64, trace: &mut Trace| {
        let method_args = MethodArgs::plain(method, Some(learning_rate), args.preset);
        bar.inc();
        methods::solve(f, x0, &method_args, options, trace).map(|(report, _)| report)
    };
    let (learning_rate, tuned) = match args.learning_rate {
        Some(lr) => (lr, false),
        None if !method.takes_learning_rate() => (1.0, false),
        None => {
            let mut best: Option<(f64, Report)> = None;
            for k in GRID {
                let lr = 10f64.powf(f64::from(k) / 4.0);
                let report = attempt(lr, &mut Trace::default())?;
                if best.as_ref().is_none_or(|(_, b)| better(&report, b)) {
                    best = Some((lr, report));
                }
            }
            (best.map_or(1e-3, |(lr, _)| lr), true)
        }
    };
    let mut trace = Trace::default();
    let report = attempt(learning_rate, &mut trace)?;
    Ok(Run { method, learning_rate, tuned, report, trace })
}

/// Whether `a` beats `b`: converged beats not; among converged, fewer evaluations; otherwise
/// the lower final value (a NaN never wins).
fn better(a: &Report, b: &Report) -> bool {
    match (a.status.is_converged(), b.status.is_converged()) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => a.evaluations.value < b.evaluations.value,
        (false, false) => a.value < b.value || (b.value.is_nan() && !a.value.is_nan()),
    }
}
