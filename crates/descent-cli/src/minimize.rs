//! `descent minimize`: one method on one problem, reported as a table or one JSON object.

use anyhow::bail;
use descent::driver::{NoObserver, Observer};
use descent::expr::Expression;
use descent::problems::{self, Problem, ProblemConfig};
use descent::{
    AutoDiff, Evaluations, GradientDescent, Objective, Options, Report, Trace, minimize_observed,
};
use serde::Serialize;

use crate::args::{LineSearchName, MethodName, MinimizeArgs};
use crate::output::{AtomicFile, number, print_fields, print_json, vector};

/// What is minimised.
enum Target {
    Problem(Box<dyn Problem>),
    Expression(AutoDiff<Expression>),
}

impl Target {
    fn from_args(args: &MinimizeArgs) -> anyhow::Result<Self> {
        if let Some(name) = &args.problem {
            let config = ProblemConfig {
                dim: args.dim,
                condition: args.condition,
                slope: args.slope,
                seed: args.seed,
            };
            return Ok(Self::Problem(problems::build(name, &config)?));
        }
        let Some(source) = &args.expr else { bail!("give --problem NAME or --expr EXPR") };
        let mut expression = Expression::parse(source)?;
        if let Some(vars) = &args.vars {
            let names: Vec<&str> = vars.iter().map(|v| v.trim()).collect();
            expression = expression.with_variables(&names)?;
        }
        Ok(Self::Expression(AutoDiff::new(expression)))
    }

    fn name(&self) -> &str {
        match self {
            Self::Problem(p) => p.name(),
            Self::Expression(e) => e.function().source(),
        }
    }

    fn start(&self) -> Vec<f64> {
        match self {
            Self::Problem(p) => p.start(),
            Self::Expression(e) => vec![0.0; e.dim()],
        }
    }

    fn variables(&self) -> Option<&[String]> {
        match self {
            Self::Problem(_) => None,
            Self::Expression(e) => Some(e.function().variables()),
        }
    }

    /// Distance from `x` to the nearest known minimiser.
    fn distance_to_minimizer(&self, x: &[f64]) -> Option<f64> {
        let Self::Problem(p) = self else { return None };
        p.minimizers()
            .iter()
            .map(|m| m.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt())
            .min_by(f64::total_cmp)
    }
}

/// The `--json` object. The first ten fields are the documented interface.
#[derive(Serialize)]
struct RunJson<'a> {
    problem: &'a str,
    method: &'a str,
    status: &'static str,
    reason: Option<&'static str>,
    x: &'a [f64],
    value: f64,
    grad_norm: f64,
    iterations: usize,
    evaluations: Evaluations,
    elapsed_s: f64,
    at_iteration: Option<usize>,
    message: String,
    variables: Option<&'a [String]>,
    line_search: &'static str,
    learning_rate: f64,
    distance_to_minimizer: Option<f64>,
}

/// Runs `descent minimize`.
pub fn run(args: &MinimizeArgs) -> anyhow::Result<()> {
    let options = args.stopping.options()?;
    if let Some(flag) = args.stray_line_search_flags() {
        bail!("{flag} applies to a line search: add --line-search armijo");
    }
    let target = Target::from_args(args)?;
    let x0 = args.x0.as_ref().map_or_else(|| target.start(), |c| c.0.clone());
    // Opened before the run so that an unwritable path fails before any work.
    let trace_file = args.trace.as_deref().map(AtomicFile::create).transpose()?;

    let mut trace = Trace::default();
    let observer: &mut dyn Observer =
        if trace_file.is_some() { &mut trace } else { &mut NoObserver };
    let (report, learning_rate) = match &target {
        Target::Problem(p) => solve(p.as_ref(), &x0, args, &options, observer)?,
        Target::Expression(e) => solve(e, &x0, args, &options, observer)?,
    };
    if let Some(file) = trace_file {
        file.commit(trace_csv(&trace, target.variables(), x0.len()).as_bytes())?;
    }

    let method = match args.method {
        MethodName::Gd => "gd",
    };
    let line_search = match args.line_search {
        LineSearchName::None => "none",
        LineSearchName::Armijo => "armijo",
    };
    if args.json {
        return print_json(&RunJson {
            problem: target.name(),
            method,
            status: report.status.name(),
            reason: report.status.reason().map(|r| r.name()),
            x: &report.x,
            value: report.value,
            grad_norm: report.grad_norm,
            iterations: report.iterations,
            evaluations: report.evaluations,
            elapsed_s: report.elapsed.as_secs_f64(),
            at_iteration: report.status.iteration(),
            message: report.status.to_string(),
            variables: target.variables(),
            line_search,
            learning_rate,
            distance_to_minimizer: target.distance_to_minimizer(&report.x),
        });
    }
    let x = match target.variables() {
        Some(names) => names
            .iter()
            .zip(&report.x)
            .map(|(n, v)| format!("{n} = {}", number(*v)))
            .collect::<Vec<_>>()
            .join(", "),
        None => vector(&report.x),
    };
    let e = report.evaluations;
    let mut rows = vec![
        ("problem", format!("{} (n = {})", target.name(), x0.len())),
        (
            "method",
            format!("{method}, line search {line_search}, learning rate {}", number(learning_rate)),
        ),
        ("status", report.status.to_string()),
        ("iterations", report.iterations.to_string()),
        (
            "evaluations",
            format!("{} values, {} gradients, {} Hessians", e.value, e.gradient, e.hessian),
        ),
        ("value", number(report.value)),
        ("grad norm", number(report.grad_norm)),
        ("x", x),
    ];
    if let Some(d) = target.distance_to_minimizer(&report.x) {
        rows.push(("to minimum", format!("{} (nearest known minimiser)", number(d))));
    }
    rows.push(("elapsed", format!("{:.3} ms", report.elapsed.as_secs_f64() * 1e3)));
    print_fields(&rows);
    Ok(())
}

/// Runs the chosen method; returns the report and the learning rate used.
fn solve<O: Objective + ?Sized>(
    f: &O,
    x0: &[f64],
    args: &MinimizeArgs,
    options: &Options,
    observer: &mut dyn Observer,
) -> anyhow::Result<(Report, f64)> {
    let report = match (args.method, args.line_search) {
        (MethodName::Gd, LineSearchName::None) => {
            let gd = GradientDescent::new(args.learning_rate.unwrap_or(1e-3))?;
            (minimize_observed(f, x0, gd, options, observer)?, gd.learning_rate)
        }
        (MethodName::Gd, LineSearchName::Armijo) => {
            let gd = GradientDescent {
                learning_rate: args.learning_rate.unwrap_or(1.0),
                line_search: args.backtracking(),
            };
            (minimize_observed(f, x0, gd, options, observer)?, gd.learning_rate)
        }
    };
    Ok(report)
}

/// The trace as CSV: one row per iterate, coordinates named after the variables.
fn trace_csv(trace: &Trace, variables: Option<&[String]>, n: usize) -> String {
    let mut out =
        String::from("iteration,value,grad_norm,step_norm,value_evaluations,gradient_evaluations");
    for i in 0..n {
        match variables {
            Some(names) => out.push_str(&format!(",{}", names[i])),
            None => out.push_str(&format!(",x{i}")),
        }
    }
    out.push('\n');
    for r in &trace.rows {
        out.push_str(&format!(
            "{},{},{},{},{},{}",
            r.iteration,
            r.value,
            r.grad_norm,
            r.step_norm,
            r.value_evaluations,
            r.gradient_evaluations
        ));
        for x in &r.x {
            out.push_str(&format!(",{x}"));
        }
        out.push('\n');
    }
    out
}
