//! `descent.minimize`'s native half: one run of a method, on a Python callable or on a target
//! that lives in Rust (a built-in problem or an expression), returned as the fields of an
//! `OptimizeResult`.
//!
//! The method and the stopping rules arrive as the command line's flags (`--method bfgs
//! --gtol-inf 1e-5 …`, made by the Python half from scipy's arguments), parsed by the CLI's own
//! argument types: a bad argument gets the message `descent minimize` would print, and a
//! method means the same thing from Python as from the shell.

use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

use clap::Parser;
use descent::driver::Progress;
use descent::landscape::CriticalPoint;
use descent::{Objective, Observer, Report, Status};
use descent_cli::args::{BoundPairs, Coordinates, MethodArgs, MinimizeArgs, StoppingArgs};
use descent_cli::methods::{self, Summary};
use descent_cli::minimize::{self as cli_minimize, Setup, Solution};
use numpy::PyArray1;
use pyo3::exceptions::{PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::objective::{Gradient, PyObjective};

/// The flags of a run on a Python callable: a method and the stopping rules.
#[derive(Parser)]
#[command(name = "descent", no_binary_name = true, disable_help_flag = true)]
struct CallableCommand {
    #[command(flatten)]
    method: MethodArgs,
    #[command(flatten)]
    stopping: StoppingArgs,
}

/// The flags of a run on a native target: everything `descent minimize` takes.
#[derive(Parser)]
#[command(name = "descent", no_binary_name = true, disable_help_flag = true)]
struct NativeCommand {
    #[command(flatten)]
    minimize: MinimizeArgs,
}

/// A `ValueError` with the message the CLI prints after `error: `.
pub fn value_error(error: &anyhow::Error) -> PyErr {
    PyValueError::new_err(descent_cli::causes(error))
}

/// Parses `argv` as `C`, refusing it as the CLI would.
pub fn parse<C: Parser>(argv: &[String]) -> PyResult<C> {
    C::try_parse_from(argv).map_err(|error| {
        let line = descent_cli::usage_error(&error);
        PyValueError::new_err(line.strip_prefix("error: ").unwrap_or(&line).to_owned())
    })
}

/// Bounds as (lower, upper) pairs; `None` sides are ±∞ (already replaced by the Python half).
fn with_bounds(method: &mut MethodArgs, bounds: Option<Vec<(f64, f64)>>) {
    if let Some(pairs) = bounds {
        method.bounds = Some(BoundPairs(pairs));
    }
}

/// Calls `callback(x, f)` after every iteration (not at the start, as scipy); a
/// `StopIteration` stops the run (status `stopped`), another exception stops it and is raised.
/// Between callbacks, every 256 iterations, it lets Python handle Ctrl-C.
struct Callback<'a> {
    callback: Option<&'a Py<PyAny>>,
    error: &'a Mutex<Option<PyErr>>,
}

impl Observer for Callback<'_> {
    fn observe(&mut self, progress: &Progress<'_>) -> ControlFlow<()> {
        if progress.iteration == 0
            || (self.callback.is_none() && !progress.iteration.is_multiple_of(256))
        {
            return ControlFlow::Continue(());
        }
        Python::attach(|py| {
            let outcome = match self.callback {
                Some(callback) => {
                    let x = PyArray1::from_slice(py, progress.x);
                    callback.call1(py, (x, progress.value)).map(drop)
                }
                None => py.check_signals(),
            };
            match outcome {
                Ok(()) => ControlFlow::Continue(()),
                Err(error) if error.is_instance_of::<PyStopIteration>(py) => ControlFlow::Break(()),
                Err(error) => {
                    if let Ok(mut slot) = self.error.lock() {
                        slot.get_or_insert(error);
                    }
                    ControlFlow::Break(())
                }
            }
        })
    }
}

/// scipy's integer `status` for ours: 0 converged, 1 a limit (iterations, evaluations, time),
/// 2 no acceptable step (line search, trust region), 3 a non-finite value, 4 diverged,
/// 5 unbounded below, 99 stopped by the callback (scipy's code for `StopIteration`).
fn scipy_status(status: Status) -> i32 {
    match status {
        Status::Converged(_) => 0,
        Status::MaxIterations | Status::MaxEvaluations | Status::TimeLimit => 1,
        Status::LineSearchFailed { .. } | Status::TrustRegionCollapsed { .. } => 2,
        Status::NonFinite { .. } => 3,
        Status::Diverged { .. } => 4,
        Status::UnboundedBelow => 5,
        _ => 99,
    }
}

/// The counts of user-function calls, as scipy reports them.
struct Counts {
    nfev: usize,
    njev: usize,
    nhev: usize,
}

/// The result's fields, as a dict the Python half wraps in an `OptimizeResult`.
fn fields<'py>(
    py: Python<'py>,
    report: &Report,
    summary: &Summary,
    jac: &[f64],
    counts: &Counts,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("x", PyArray1::from_slice(py, &report.x))?;
    d.set_item("fun", report.value)?;
    d.set_item("jac", PyArray1::from_slice(py, jac))?;
    d.set_item("nit", report.iterations)?;
    d.set_item("nfev", counts.nfev)?;
    d.set_item("njev", counts.njev)?;
    d.set_item("nhev", counts.nhev)?;
    d.set_item("status", scipy_status(report.status))?;
    d.set_item("success", report.status.is_converged())?;
    d.set_item("message", report.status.to_string())?;
    d.set_item("reason", report.status.name())?;
    d.set_item("convergence", report.status.reason().map(|r| r.name()))?;
    d.set_item("at_iteration", report.status.iteration())?;
    d.set_item("grad_norm", report.grad_norm)?;
    let (point, negative) = match report.critical_point {
        None => (None, None),
        Some(CriticalPoint::Minimum) => (Some("minimum"), None),
        Some(CriticalPoint::Maximum) => (Some("maximum"), None),
        Some(CriticalPoint::SaddlePoint { negative_directions }) => {
            (Some("saddle_point"), Some(negative_directions))
        }
        Some(CriticalPoint::Degenerate) => (Some("degenerate"), None),
    };
    d.set_item("critical_point", point)?;
    d.set_item("negative_directions", negative)?;
    d.set_item("method", &summary.method)?;
    d.set_item("hyperparameters", summary.hyperparameters.to_string())?;
    d.set_item("elapsed", report.elapsed.as_secs_f64())?;
    Ok(d)
}

/// Minimises the Python function `fun(x, *args)` from `x0` with the method and stopping rules
/// of `argv` (see the module docs). `jac` is `"callable"` (then `jac_fn` is it), `"combined"`
/// (`fun` returns `(f, g)`) or `"2-point"` (forward differences with relative step
/// `fd_step`).
///
/// # Errors
/// `ValueError` with the CLI's message for a bad flag or hyperparameter, or a start where f is
/// not finite; whatever `fun`, `jac`, `hess`, `hessp` or `callback` raised.
#[pyfunction]
#[pyo3(signature = (fun, x0, args, jac, jac_fn, hess, hessp, argv, bounds, callback, fd_step))]
#[allow(clippy::too_many_arguments)]
pub fn minimize_callable<'py>(
    py: Python<'py>,
    fun: Bound<'py, PyAny>,
    x0: Vec<f64>,
    args: Bound<'py, PyTuple>,
    jac: &str,
    jac_fn: Option<Bound<'py, PyAny>>,
    hess: Option<Bound<'py, PyAny>>,
    hessp: Option<Bound<'py, PyAny>>,
    argv: Vec<String>,
    bounds: Option<Vec<(f64, f64)>>,
    callback: Option<Py<PyAny>>,
    fd_step: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let mut command: CallableCommand = parse(&argv)?;
    with_bounds(&mut command.method, bounds);
    let options = command.stopping.options().map_err(|e| value_error(&e))?;
    methods::check_flags(&command.method).map_err(|e| value_error(&e))?;
    let gradient = match (jac, jac_fn) {
        ("callable", Some(f)) => Gradient::Callable(f),
        ("combined", _) => Gradient::Combined,
        _ => Gradient::ForwardDifference { step: fd_step },
    };
    let objective = PyObjective::new(fun, args, gradient, hess, hessp, x0.len());
    let callback_error = Mutex::new(None);
    let mut observer = Callback { callback: callback.as_ref(), error: &callback_error };
    let run = AssertUnwindSafe(|| {
        methods::solve(&objective, &x0, &command.method, &options, &mut observer)
    });
    // The driver catches an unwind from the objective; this catches one from anywhere else
    // the objective is called (the final gradient below is outside the driver).
    let outcome = panic::catch_unwind(run);
    if let Some(error) = objective.error.borrow_mut().take() {
        return Err(error);
    }
    if let Some(error) = callback_error.lock().ok().and_then(|mut slot| slot.take()) {
        return Err(error);
    }
    let (report, summary) = match outcome {
        Ok(result) => result.map_err(|e| value_error(&e))?,
        Err(payload) => panic::resume_unwind(payload),
    };
    // The counts are the run's: the gradient reported at x below costs a call when the last
    // evaluation was elsewhere (a rejected trial), and that call is the result's, not the
    // solver's.
    let calls = objective.calls();
    let mut jac_at_x = vec![0.0; x0.len()];
    let final_gradient =
        panic::catch_unwind(AssertUnwindSafe(|| objective.value_grad(&report.x, &mut jac_at_x)));
    if let Some(error) = objective.error.borrow_mut().take() {
        return Err(error);
    }
    if let Err(payload) = final_gradient {
        panic::resume_unwind(payload);
    }
    let counts = Counts {
        nfev: calls.fun,
        njev: if jac == "callable" { calls.jac } else { report.evaluations.gradient },
        nhev: report.evaluations.hessian,
    };
    fields(py, &report, &summary, &jac_at_x, &counts)
}

/// Minimises a target that lives in Rust: `argv` holds `--problem NAME` (with its `--dim`,
/// `--condition`, …) or `--expr SOURCE` (with `--vars`), the method and the stopping rules, as
/// `descent minimize` takes them; `x0` replaces the target's standard start. The run releases
/// the GIL; `callback(x, f)` is called after every iteration, as for a Python objective.
///
/// # Errors
/// `ValueError` with the CLI's message: an unknown problem, an expression that does not
/// parse, a bad flag or hyperparameter, a start of the wrong dimension; whatever `callback`
/// raised.
#[pyfunction]
#[pyo3(signature = (argv, x0, bounds, callback))]
pub fn minimize_native<'py>(
    py: Python<'py>,
    argv: Vec<String>,
    x0: Option<Vec<f64>>,
    bounds: Option<Vec<(f64, f64)>>,
    callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let NativeCommand { minimize: mut args } = parse(&argv)?;
    with_bounds(&mut args.method, bounds);
    args.target.x0 = x0.map(Coordinates);
    let setup = Setup::new(&args).map_err(|e| value_error(&e))?;
    if setup.x0.len() != setup.target.dim() {
        return Err(PyValueError::new_err(format!(
            "x0 has {} values for a target of dimension {}",
            setup.x0.len(),
            setup.target.dim()
        )));
    }
    let callback_error = Mutex::new(None);
    let outcome = py.detach(|| {
        let mut observer = Callback { callback: callback.as_ref(), error: &callback_error };
        cli_minimize::solve(&args, &setup, &mut observer)
    });
    if let Some(error) = callback_error.lock().ok().and_then(|mut slot| slot.take()) {
        return Err(error);
    }
    let Solution { report, summary, .. } = outcome.map_err(|e| value_error(&e))?;
    let mut jac = vec![0.0; report.x.len()];
    setup.target.value_grad(&report.x, &mut jac);
    let counts = Counts {
        nfev: report.evaluations.value,
        njev: report.evaluations.gradient,
        nhev: report.evaluations.hessian,
    };
    fields(py, &report, &summary, &jac, &counts)
}
