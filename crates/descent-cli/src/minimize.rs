//! `descent minimize`: one method on one problem, reported as a table or one JSON object.

use anyhow::bail;
use descent::driver::{NoObserver, Observer};
use descent::expr::Expression;
use descent::landscape::CriticalPoint;
use descent::landscape::negative_curvature::{Escape, escape_saddles};
use descent::problems::{self, Problem, ProblemConfig};
use descent::{AutoDiff, Evaluations, Objective, Report, Trace};
use descent_distributed::softmax::logistic_digits;
use descent_distributed::{Communicator, LOGISTIC_DIGITS, Local, Sharded, SoftmaxShard};
use serde::Serialize;

use crate::args::{LineSearchName, MethodArgs, MethodName, MinimizeArgs, PresetName, TargetArgs};
use crate::methods::{self, Summary};
use crate::output::{AtomicFile, number, print_fields, print_json, vector};
use crate::progress::{Bar, WithBar};

/// What is minimised.
pub enum Target {
    /// A built-in problem (`--problem`).
    Problem(Box<dyn Problem>),
    /// An expression (`--expr`), differentiated with dual numbers.
    Expression(AutoDiff<Expression>),
}

impl Target {
    /// The target `--problem` or `--expr` names.
    ///
    /// # Errors
    /// An unknown problem, invalid settings, or an expression that does not parse.
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

    /// The problem's name or the expression's source.
    pub fn name(&self) -> &str {
        match self {
            Self::Problem(p) => p.name(),
            Self::Expression(e) => e.function().source(),
        }
    }

    /// The default start: the problem's, or the origin for an expression.
    pub fn start(&self) -> Vec<f64> {
        match self {
            Self::Problem(p) => p.start(),
            Self::Expression(e) => vec![0.0; e.dim()],
        }
    }

    /// An expression's variable names, in coordinate order (`None` for a problem).
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

    /// f(x) and ∇f(x) (into `grad`), from one call, as the methods evaluate them.
    pub fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        match self {
            Self::Problem(p) => p.value_grad(x, grad),
            Self::Expression(e) => e.value_grad(x, grad),
        }
    }

    /// The dimension n.
    pub fn dim(&self) -> usize {
        match self {
            Self::Problem(p) => p.dim(),
            Self::Expression(e) => e.dim(),
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
    /// MPI ranks the problem's data was sharded over (with `--distributed` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    ranks: Option<usize>,
}

/// A checked `descent minimize` command, ready to run: its stopping rules, its target and
/// its start.
pub struct Setup {
    /// The driver options of the stopping flags.
    pub options: descent::Options,
    /// What is minimised.
    pub target: Target,
    /// The start: `--x0`, or the target's default.
    pub x0: Vec<f64>,
}

impl Setup {
    /// Checks the stopping flags and the method's flags, and builds the target.
    ///
    /// # Errors
    /// Invalid stopping options, a flag the method does not take, or a target that cannot be
    /// built (unknown problem, invalid parameters, an expression that does not parse).
    pub fn new(args: &MinimizeArgs) -> anyhow::Result<Self> {
        let options = args.stopping.options()?;
        methods::check_flags(&args.method)?;
        let target = Target::from_args(&args.target)?;
        let x0 = target.x0(&args.target);
        Ok(Self { options, target, x0 })
    }
}

/// What one run of `descent minimize` produced, before anything is printed.
pub struct Solution {
    /// The outcome (of the last leg, with `--escape-saddles`).
    pub report: Report,
    /// What ran.
    pub summary: Summary,
    /// Escapes taken (with `--escape-saddles` only).
    pub escapes: Option<usize>,
}

/// Runs the method of `args` on the target of `setup` with `observer` watching: everything
/// `descent minimize` does but the printing and the trace file (`descent bench soak` checks
/// the returned report).
///
/// # Errors
/// The method's errors: invalid hyperparameters, a start where f is not finite, bounds of the
/// wrong dimension.
pub fn solve(
    args: &MinimizeArgs,
    setup: &Setup,
    observer: &mut dyn Observer,
) -> anyhow::Result<Solution> {
    let Setup { options, target, x0 } = setup;
    // Without --escape-saddles: no escape, one leg, the plain run.
    let escape = Escape {
        max_escapes: if args.escape_saddles { args.max_escapes } else { 0 },
        curvature: options.curvature.clone(),
        ..Escape::default()
    };
    let mut summary = None;
    let escaped = match target {
        Target::Problem(p) => escape_saddles(
            p.as_ref(),
            x0,
            |x| {
                let (report, s) = methods::solve(p.as_ref(), x, &args.method, options, observer)?;
                summary.get_or_insert(s);
                Ok::<_, anyhow::Error>(report)
            },
            &escape,
        )?,
        Target::Expression(e) => escape_saddles(
            e,
            x0,
            |x| {
                let (report, s) = methods::solve(e, x, &args.method, options, observer)?;
                summary.get_or_insert(s);
                Ok::<_, anyhow::Error>(report)
            },
            &escape,
        )?,
    };
    let summary = summary.ok_or_else(|| anyhow::anyhow!("the run did not start"))?;
    let escapes = args.escape_saddles.then_some(escaped.escapes);
    Ok(Solution { report: escaped.report, summary, escapes })
}

/// Runs `descent minimize`.
pub fn run(args: &MinimizeArgs) -> anyhow::Result<()> {
    if args.distributed || args.target.problem.as_deref() == Some(LOGISTIC_DIGITS) {
        return run_sharded(args);
    }
    let setup = Setup::new(args)?;
    // Opened before the run so that an unwritable path fails before any work.
    let trace_file = args.trace.as_deref().map(AtomicFile::create).transpose()?;

    let mut trace = Trace::default();
    let observer: &mut dyn Observer =
        if trace_file.is_some() { &mut trace } else { &mut NoObserver };
    let total = u64::try_from(setup.options.max_iter).ok().filter(|&n| n < u64::MAX).unwrap_or(0);
    let mut with_bar = WithBar { bar: Bar::new(total, "minimize"), inner: observer };
    let Solution { report, summary, escapes } = solve(args, &setup, &mut with_bar)?;
    with_bar.bar.finish();
    let Setup { target, x0, .. } = &setup;
    if let Some(file) = trace_file {
        file.commit_with(trace_csv(&trace, target.variables(), x0.len()).as_bytes())?;
    }
    let solved = Solved {
        problem: target.name(),
        variables: target.variables(),
        distance_to_minimizer: target.distance_to_minimizer(&report.x),
        escapes,
        ranks: None,
    };
    output(args, &solved, &report, &summary, x0.len())
}

/// What [`output`] says about the target beside the report.
struct Solved<'a> {
    problem: &'a str,
    variables: Option<&'a [String]>,
    distance_to_minimizer: Option<f64>,
    escapes: Option<usize>,
    /// MPI ranks (with `--distributed` only).
    ranks: Option<usize>,
}

/// Prints the run: the table, or one JSON object with `--json`.
fn output(
    args: &MinimizeArgs,
    solved: &Solved<'_>,
    report: &Report,
    summary: &Summary,
    x0_len: usize,
) -> anyhow::Result<()> {
    let escapes = solved.escapes;
    let method = summary.method.as_str();
    let active_bounds = if args.method.method.takes_bounds() {
        Some(args.method.box_bounds(x0_len)?.active_count(&report.x))
    } else {
        None
    };
    let learning_rate = summary.learning_rate;
    let scipy = args.method.first_order.preset == PresetName::Scipy;
    let line_search = match (args.method.method, args.method.line_search) {
        (MethodName::Bfgs | MethodName::NewtonCg, _) if scipy => "more_thuente",
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
            problem: solved.problem,
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
            variables: solved.variables,
            line_search,
            learning_rate,
            hyperparameters: &summary.hyperparameters,
            distance_to_minimizer: solved.distance_to_minimizer,
            active_bounds,
            critical_point: report.critical_point,
            critical_point_hessians: report.critical_point_hessians,
            escapes,
            ranks: solved.ranks,
        });
    }
    let x = match solved.variables {
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
        ("problem", format!("{} (n = {x0_len})", solved.problem)),
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
    if let Some(d) = solved.distance_to_minimizer {
        rows.push(("to minimum", format!("{} (nearest known minimiser)", number(d))));
    }
    if let Some(active) = active_bounds {
        rows.push(("active bounds", format!("{active} of {x0_len} coordinates")));
    }
    let verdict = report.critical_point.map_or_else(
        || "not checked".into(),
        |c| format!("{}; {} Hessian evaluation(s)", c.describe(), report.critical_point_hessians),
    );
    rows.push(("critical point", verdict));
    if let Some(n) = escapes {
        rows.push(("escapes", format!("{n} saddle point(s) escaped")));
    }
    if let Some(ranks) = solved.ranks {
        rows.push(("ranks", format!("{ranks} (data sharded, one all-reduce per evaluation)")));
    }
    rows.push(("elapsed", format!("{:.3} ms", report.elapsed.as_secs_f64() * 1e3)));
    print_fields(&rows);
    Ok(())
}

/// `--problem logistic:digits`, on one process or (`--distributed`) as one rank of an MPI job.
fn run_sharded(args: &MinimizeArgs) -> anyhow::Result<()> {
    let target = &args.target;
    if target.problem.as_deref() != Some(LOGISTIC_DIGITS) {
        bail!(
            "--distributed minimizes a problem whose data is sharded: --problem {LOGISTIC_DIGITS}"
        );
    }
    if target.dim.is_some() || target.condition.is_some() || target.slope.is_some() {
        bail!("{LOGISTIC_DIGITS} takes no --dim, --condition or --slope");
    }
    if target.seed.is_some() {
        bail!("{LOGISTIC_DIGITS} takes no --seed (its data and start are fixed)");
    }
    if args.escape_saddles {
        bail!("{LOGISTIC_DIGITS} is convex: --escape-saddles does not apply");
    }
    if !args.distributed {
        let prepared = prepare_sharded(args, &Local)?;
        return solve_sharded(args, &Local, prepared);
    }
    #[cfg(feature = "distributed")]
    {
        let comm = descent_distributed::Mpi::init()
            .ok_or_else(|| anyhow::anyhow!("MPI was initialised already"))?;
        // Every rank checks the same arguments and fails alike: rank 0 says why (one line,
        // exit code 2), the others end quietly, and nobody waits in a collective.
        let prepared = match prepare_sharded(args, &comm) {
            Ok(prepared) => prepared,
            Err(error) if comm.is_root() => return Err(error),
            Err(_) => return Ok(()),
        };
        if let Err(error) = solve_sharded(args, &comm, prepared) {
            // A rank that fails during the run would leave the others waiting in an
            // all-reduce: it says why and ends the job (MPI_Abort).
            eprintln!("error: rank {}: {}", comm.rank(), crate::causes(&error));
            comm.abort(2);
        }
        Ok(())
    }
    #[cfg(not(feature = "distributed"))]
    bail!(
        "--distributed needs a descent built with MPI: \
         cargo build --release -p descent-cli --features distributed"
    )
}

/// The checked settings of a sharded run: options, start, this rank's shard.
struct Prepared {
    options: descent::Options,
    x0: Vec<f64>,
    shard: SoftmaxShard,
}

/// Checks the settings of a sharded run (the same verdict on every rank: no communication).
fn prepare_sharded<C: Communicator>(args: &MinimizeArgs, comm: &C) -> anyhow::Result<Prepared> {
    let options = args.stopping.options()?;
    if options.time_limit.is_some() && comm.size() > 1 {
        bail!("--time-limit would stop the ranks at different iterations; use --max-iter");
    }
    methods::check_flags(&args.method)?;
    let shard = logistic_digits(comm.rank(), comm.size())?;
    let x0 = args.target.x0.as_ref().map_or_else(|| shard.start(), |c| c.0.clone());
    if x0.len() != shard.dim() {
        bail!("--x0 has {} coordinates; {LOGISTIC_DIGITS} has {}", x0.len(), shard.dim());
    }
    Ok(Prepared { options, x0, shard })
}

/// Solves `logistic:digits` sharded over the ranks of `comm` (every rank the same steps on
/// all-reduced numbers, see descent_distributed::objective); rank 0 prints and writes.
fn solve_sharded<C: Communicator>(
    args: &MinimizeArgs,
    comm: &C,
    prepared: Prepared,
) -> anyhow::Result<()> {
    let Prepared { options, x0, shard } = prepared;
    let f = Sharded::new(shard, comm);
    let root = comm.is_root();
    let trace_file = args.trace.as_deref().filter(|_| root).map(AtomicFile::create).transpose()?;
    let mut trace = Trace::default();
    let observer: &mut dyn Observer =
        if trace_file.is_some() { &mut trace } else { &mut NoObserver };
    let total = u64::try_from(options.max_iter).ok().filter(|&n| n < u64::MAX).unwrap_or(0);
    if !root {
        crate::progress::set_quiet(true);
    }
    let mut with_bar = WithBar { bar: Bar::new(total, "minimize"), inner: observer };
    let (report, summary) = methods::solve(&f, &x0, &args.method, &options, &mut with_bar)?;
    with_bar.bar.finish();
    if !root {
        return Ok(());
    }
    if let Some(file) = trace_file {
        file.commit_with(trace_csv(&trace, None, x0.len()).as_bytes())?;
    }
    let solved = Solved {
        problem: LOGISTIC_DIGITS,
        variables: None,
        distance_to_minimizer: None,
        escapes: None,
        ranks: args.distributed.then_some(comm.size()),
    };
    output(args, &solved, &report, &summary, x0.len())
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
