//! `descent minimize`: one method on one problem, reported as a table or one JSON object.

use anyhow::bail;
use descent::driver::{NoObserver, Observer};
use descent::expr::Expression;
use descent::landscape::CriticalPoint;
use descent::landscape::negative_curvature::{Escape, escape_saddles};
use descent::problems::{self, Problem, ProblemConfig};
use descent::{AutoDiff, Evaluations, Objective, Trace};
use serde::Serialize;

use crate::args::{LineSearchName, MethodArgs, MethodName, MinimizeArgs, TargetArgs};
use crate::methods;
use crate::output::{AtomicFile, number, print_fields, print_json, vector};
use crate::progress::{Bar, WithBar};

/// What is minimised.
pub enum Target {
    Problem(Box<dyn Problem>),
    Expression(AutoDiff<Expression>),
}

impl Target {
    pub fn from_args(args: &TargetArgs) -> anyhow::Result<Self> {
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

    pub fn name(&self) -> &str {
        match self {
            Self::Problem(p) => p.name(),
            Self::Expression(e) => e.function().source(),
        }
    }

    pub fn start(&self) -> Vec<f64> {
        match self {
            Self::Problem(p) => p.start(),
            Self::Expression(e) => vec![0.0; e.dim()],
        }
    }

    pub fn variables(&self) -> Option<&[String]> {
        match self {
            Self::Problem(_) => None,
            Self::Expression(e) => Some(e.function().variables()),
        }
    }

    /// f(x).
    pub fn value(&self, x: &[f64]) -> f64 {
        match self {
            Self::Problem(p) => p.value(x),
            Self::Expression(e) => e.value(x),
        }
    }

    /// The known minimum value, if any.
    pub fn min_value(&self) -> Option<f64> {
        match self {
            Self::Problem(p) => p.min_value(),
            Self::Expression(_) => None,
        }
    }

    /// The known minimisers (none for an expression).
    pub fn minimizers(&self) -> Vec<Vec<f64>> {
        match self {
            Self::Problem(p) => p.minimizers(),
            Self::Expression(_) => Vec::new(),
        }
    }

    /// The starting point: `--x0`, or the problem's standard start (zeros for an expression).
    pub fn x0(&self, args: &TargetArgs) -> Vec<f64> {
        args.x0.as_ref().map_or_else(|| self.start(), |c| c.0.clone())
    }

    /// Distance from `x` to the nearest known minimiser.
    pub fn distance_to_minimizer(&self, x: &[f64]) -> Option<f64> {
        self.minimizers()
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
    hyperparameters: &'a serde_json::Value,
    distance_to_minimizer: Option<f64>,
    /// Coordinates at a bound of `--bounds` (bounded methods only).
    #[serde(skip_serializing_if = "Option::is_none")]
    active_bounds: Option<usize>,
    /// The verdict at x when the run converged and the check ran, else `null`.
    critical_point: Option<CriticalPoint>,
    /// Hessian evaluations the verdict spent (not in `evaluations`).
    critical_point_hessians: usize,
    /// Escapes taken (with `--escape-saddles` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    escapes: Option<usize>,
}

/// Runs `descent minimize`.
pub fn run(args: &MinimizeArgs) -> anyhow::Result<()> {
    let options = args.stopping.options()?;
    methods::check_flags(&args.method)?;
    let target = Target::from_args(&args.target)?;
    let x0 = target.x0(&args.target);
    // Opened before the run so that an unwritable path fails before any work.
    let trace_file = args.trace.as_deref().map(AtomicFile::create).transpose()?;

    let mut trace = Trace::default();
    let observer: &mut dyn Observer =
        if trace_file.is_some() { &mut trace } else { &mut NoObserver };
    let total = u64::try_from(options.max_iter).ok().filter(|&n| n < u64::MAX).unwrap_or(0);
    let mut with_bar = WithBar { bar: Bar::new(total, "minimize"), inner: observer };
    let observer: &mut dyn Observer = &mut with_bar;
    // Without --escape-saddles: no escape, one leg, the plain run.
    let escape = Escape {
        max_escapes: if args.escape_saddles { args.max_escapes } else { 0 },
        curvature: options.curvature.clone(),
        ..Escape::default()
    };
    let mut summary = None;
    let escaped = match &target {
        Target::Problem(p) => escape_saddles(
            p.as_ref(),
            &x0,
            |x| {
                let (report, s) = methods::solve(p.as_ref(), x, &args.method, &options, observer)?;
                summary.get_or_insert(s);
                Ok::<_, anyhow::Error>(report)
            },
            &escape,
        )?,
        Target::Expression(e) => escape_saddles(
            e,
            &x0,
            |x| {
                let (report, s) = methods::solve(e, x, &args.method, &options, observer)?;
                summary.get_or_insert(s);
                Ok::<_, anyhow::Error>(report)
            },
            &escape,
        )?,
    };
    let summary = summary.ok_or_else(|| anyhow::anyhow!("the run did not start"))?;
    let report = escaped.report;
    let escapes = args.escape_saddles.then_some(escaped.escapes);
    with_bar.bar.finish();
    if let Some(file) = trace_file {
        file.commit(trace_csv(&trace, target.variables(), x0.len()).as_bytes())?;
    }

    let method = summary.method.as_str();
    let active_bounds = if args.method.method.takes_bounds() {
        Some(args.method.box_bounds(x0.len())?.active_count(&report.x))
    } else {
        None
    };
    let learning_rate = summary.learning_rate;
    let line_search = match (args.method.method, args.method.line_search) {
        (
            MethodName::Bfgs | MethodName::Lbfgs | MethodName::Newton | MethodName::NewtonCg,
            LineSearchName::None,
        ) => "armijo",
        (MethodName::Lbfgsb, _) => "more_thuente",
        (MethodName::ProjectedGd, _) => "armijo",
        (_, LineSearchName::None) => "none",
        (_, LineSearchName::Armijo) => "armijo",
        (_, LineSearchName::MoreThuente) => "more_thuente",
        (_, LineSearchName::HagerZhang) => "hager_zhang",
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
            hyperparameters: &summary.hyperparameters,
            distance_to_minimizer: target.distance_to_minimizer(&report.x),
            active_bounds,
            critical_point: report.critical_point,
            critical_point_hessians: report.critical_point_hessians,
            escapes,
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
        ("method", describe(method, line_search, learning_rate, &args.method)),
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
    if let Some(active) = active_bounds {
        rows.push(("active bounds", format!("{active} of {} coordinates", x0.len())));
    }
    let verdict = report.critical_point.map_or_else(
        || "not checked".into(),
        |c| format!("{}; {} Hessian evaluation(s)", c.describe(), report.critical_point_hessians),
    );
    rows.push(("critical point", verdict));
    if let Some(n) = escapes {
        rows.push(("escapes", format!("{n} saddle point(s) escaped")));
    }
    rows.push(("elapsed", format!("{:.3} ms", report.elapsed.as_secs_f64() * 1e3)));
    print_fields(&rows);
    Ok(())
}

/// The method in words: the line search for gd, the preset for the first-order methods.
fn describe(method: &str, line_search: &str, learning_rate: f64, args: &MethodArgs) -> String {
    let lr = number(learning_rate);
    if method == "gd" {
        format!("gd, line search {line_search}, learning rate {lr}")
    } else if matches!(
        method,
        "bfgs" | "lbfgs" | "newton" | "newton-cg" | "lbfgsb" | "projected-gd"
    ) {
        format!("{method}, line search {line_search}")
    } else if matches!(method, "trust-ncg" | "dogleg") {
        format!("{method}, trust region")
    } else {
        let preset = format!("{:?}", args.first_order.preset).to_lowercase();
        format!("{method} ({preset} defaults), learning rate {lr}")
    }
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
