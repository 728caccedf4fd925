//! `descent.optim`'s native half: the step API ([`descent::first_order::Optimizer`]) on NumPy
//! arrays, updated in place.
//!
//! An [`Optimizer`] is built from the command line's flags for a first-order method
//! (`--method adam --lr 1e-3 --preset torch …`, made by the Python classes from their keyword
//! arguments) through the CLI's own [`with_rule`], so `descent.optim.Adam(...)` is the update
//! `descent train --optimizer adam` runs. Its state is created at the first step, for that
//! array's length and dtype (float32 or float64, the two [`Real`] types); later steps must
//! match both.
//!
//! A step borrows the parameter array mutably and the gradient array immutably through NumPy's
//! borrow checking (so one array cannot be both), takes their memory as slices, releases the
//! GIL and runs the fused pass over them: no copy, whatever the size.

use descent::first_order::{Optimizer as Stepper, OptimizerState, Real, Rule};
use descent_cli::args::MethodArgs;
use descent_cli::methods::{RuleVisitor, check_flags_of, with_rule};
use numpy::{
    PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArray2, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::run::value_error;

/// A state exported for `state_dict`: the step API's [`OptimizerState`] with its scalar
/// `global` part as JSON and its per-parameter cells in their own dtype.
struct Exported {
    step: u64,
    learning_rate_scale: f64,
    global: String,
    len: usize,
    cells: Cells,
}

/// Per-parameter state cells in the parameters' dtype.
enum Cells {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Why a step was refused.
enum StepError {
    /// The state is for the other dtype.
    Dtype { state: &'static str },
    /// The library refused it (lengths, a non-finite gradient).
    Library(descent::Error),
}

/// One rule's step API, with the rule's type erased and the dtype chosen at the first step.
trait Erased: Send + Sync {
    fn step_f32(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), StepError>;
    fn step_f64(&mut self, params: &mut [f64], grads: &[f64]) -> Result<(), StepError>;
    fn steps(&self) -> u64;
    fn export(&self) -> Result<Option<Exported>, serde_json::Error>;
    fn import(&mut self, state: Exported) -> anyhow::Result<()>;
}

/// The state of one dtype.
enum Typed<R: Rule> {
    F32(Stepper<R, f32>),
    F64(Stepper<R, f64>),
}

/// A rule and, after the first step, its state.
struct Holder<R: Rule> {
    rule: R,
    state: Option<Typed<R>>,
}

/// The step of dtype `T`: `$variant` is its [`Typed`] and [`Cells`] variant.
macro_rules! typed_step {
    ($self:ident, $params:ident, $grads:ident, $variant:ident, $other:literal) => {{
        if $self.state.is_none() {
            let stepper =
                Stepper::new($self.rule.clone(), $params.len()).map_err(StepError::Library)?;
            $self.state = Some(Typed::$variant(stepper));
        }
        match &mut $self.state {
            Some(Typed::$variant(stepper)) => {
                stepper.step($params, $grads).map_err(StepError::Library)
            }
            _ => Err(StepError::Dtype { state: $other }),
        }
    }};
}

/// The state of `stepper` as exported, its cells wrapped by `cells` (their dtype's variant).
fn export<R: Rule, T: Real>(
    stepper: &Stepper<R, T>,
    cells: fn(Vec<T>) -> Cells,
) -> serde_json::Result<Exported> {
    let state = stepper.state();
    Ok(Exported {
        step: state.step,
        learning_rate_scale: state.learning_rate_scale,
        global: serde_json::to_string(&state.global)?,
        len: state.len,
        cells: cells(state.cells.clone()),
    })
}

/// A stepper of `rule` resumed from an exported state's scalars, `global` and `cells`.
fn resume<R: Rule, T: Real>(
    rule: &R,
    state: &Exported,
    global: R::Global,
    cells: Vec<T>,
) -> descent::Result<Stepper<R, T>> {
    let (step, learning_rate_scale, len) = (state.step, state.learning_rate_scale, state.len);
    Stepper::resume(rule.clone(), OptimizerState { step, learning_rate_scale, global, len, cells })
}

impl<R: Rule + 'static> Erased for Holder<R> {
    fn step_f32(&mut self, params: &mut [f32], grads: &[f32]) -> Result<(), StepError> {
        typed_step!(self, params, grads, F32, "float64")
    }

    fn step_f64(&mut self, params: &mut [f64], grads: &[f64]) -> Result<(), StepError> {
        typed_step!(self, params, grads, F64, "float32")
    }

    fn steps(&self) -> u64 {
        match &self.state {
            None => 0,
            Some(Typed::F32(s)) => s.steps(),
            Some(Typed::F64(s)) => s.steps(),
        }
    }

    fn export(&self) -> Result<Option<Exported>, serde_json::Error> {
        match &self.state {
            None => Ok(None),
            Some(Typed::F32(s)) => export(s, Cells::F32).map(Some),
            Some(Typed::F64(s)) => export(s, Cells::F64).map(Some),
        }
    }

    fn import(&mut self, mut state: Exported) -> anyhow::Result<()> {
        let global: R::Global = serde_json::from_str(&state.global)
            .map_err(|e| anyhow::anyhow!("state_dict: 'global' is not this method's: {e}"))?;
        let cells = std::mem::replace(&mut state.cells, Cells::F64(Vec::new()));
        self.state = Some(match cells {
            Cells::F32(cells) => Typed::F32(resume(&self.rule, &state, global, cells)?),
            Cells::F64(cells) => Typed::F64(resume(&self.rule, &state, global, cells)?),
        });
        Ok(())
    }
}

/// Builds the erased holder of the rule [`with_rule`] visits.
struct Build;

impl RuleVisitor for Build {
    type Output = Box<dyn Erased>;

    fn visit<R: Rule + Clone + 'static>(
        self,
        rule: R,
        _learning_rate: f64,
        _config: serde_json::Value,
    ) -> anyhow::Result<Self::Output> {
        // Refused here, not at the first step, so that the constructor raises.
        rule.validate()?;
        Ok(Box::new(Holder { rule, state: None }))
    }
}

/// The flags of a first-order method.
#[derive(clap::Parser)]
#[command(name = "descent", no_binary_name = true, disable_help_flag = true)]
struct OptimizerCommand {
    #[command(flatten)]
    method: MethodArgs,
}

/// The rule of `argv`'s method, and its configuration as JSON.
fn build(argv: &[String]) -> PyResult<(String, String, Box<dyn Erased>)> {
    let command: OptimizerCommand = crate::run::parse(argv)?;
    check_flags_of(&command.method, "--optimizer").map_err(|e| value_error(&e))?;
    let mut config = String::new();
    let erased = with_rule(&command.method, ConfigOf { config: &mut config, inner: Build })
        .map_err(|e| value_error(&e))?;
    Ok((command.method.method.name(), config, erased))
}

/// Records the configuration JSON of the rule it passes on.
struct ConfigOf<'a, V> {
    config: &'a mut String,
    inner: V,
}

impl<V: RuleVisitor> RuleVisitor for ConfigOf<'_, V> {
    type Output = V::Output;

    fn visit<R: Rule + Clone + 'static>(
        self,
        rule: R,
        learning_rate: f64,
        config: serde_json::Value,
    ) -> anyhow::Result<Self::Output> {
        *self.config = config.to_string();
        self.inner.visit(rule, learning_rate, config)
    }
}

/// A first-order optimizer whose `step(params, grads)` updates a float32 or float64 NumPy
/// array in place (see the module docs). The Python classes of `descent.optim` wrap it.
#[pyclass(module = "descent._native")]
pub struct Optimizer {
    method: String,
    config: String,
    argv: Vec<String>,
    inner: Box<dyn Erased>,
}

/// The dtype name of an array, for messages.
fn dtype_name(array: &Bound<'_, PyAny>) -> String {
    match array.cast::<PyUntypedArray>() {
        Ok(a) => a.dtype().to_string(),
        Err(_) => {
            let kind = array.get_type().name().map_or_else(|_| "?".into(), |n| n.to_string());
            format!("{kind} (not a NumPy array)")
        }
    }
}

/// Checks that `params` and `grads` are NumPy arrays of one shape, both C-contiguous.
fn check_layout(params: &Bound<'_, PyAny>, grads: &Bound<'_, PyAny>) -> PyResult<()> {
    for (name, array) in [("params", params), ("grads", grads)] {
        let Ok(a) = array.cast::<PyUntypedArray>() else {
            return Err(PyTypeError::new_err(format!(
                "{name} must be a float32 or float64 NumPy array, got {}",
                dtype_name(array)
            )));
        };
        if !a.is_c_contiguous() {
            return Err(PyValueError::new_err(format!(
                "{name} is not C-contiguous (a strided view or a transposed array): the \
                 optimizer reads and writes the array's memory in place, so pass a contiguous \
                 array (numpy.ascontiguousarray makes a copy, which would not be updated)"
            )));
        }
    }
    let (p, g) = (params.cast::<PyUntypedArray>()?, grads.cast::<PyUntypedArray>()?);
    if p.shape() != g.shape() {
        return Err(PyValueError::new_err(format!(
            "grads has shape {:?} but params has shape {:?}: they must match",
            g.shape(),
            p.shape()
        )));
    }
    Ok(())
}

/// The error of a refused step.
fn step_error(error: StepError, dtype: &str) -> PyErr {
    match error {
        StepError::Dtype { state } => PyTypeError::new_err(format!(
            "this optimizer's state is {state} (from its first step); got {dtype} arrays"
        )),
        StepError::Library(error) => PyValueError::new_err(error.to_string()),
    }
}

/// A borrow refused by NumPy: a read-only array, or one array given as both arguments.
fn borrow_error(name: &str, error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!(
        "{name} cannot be borrowed ({error}): params must be writeable, and params and grads \
         must be different arrays"
    ))
}

/// The typed step of an erased optimizer ([`Erased::step_f32`] or [`Erased::step_f64`]).
type StepFn<T> = fn(&mut dyn Erased, &mut [T], &[T]) -> Result<(), StepError>;

/// One step on arrays of element type `T`.
fn step_typed<T: numpy::Element + Real>(
    py: Python<'_>,
    inner: &mut Box<dyn Erased>,
    params: &Bound<'_, PyArrayDyn<T>>,
    grads: &Bound<'_, PyAny>,
    run: StepFn<T>,
    dtype: &str,
) -> PyResult<()> {
    let Ok(grads) = grads.cast::<PyArrayDyn<T>>() else {
        return Err(PyTypeError::new_err(format!(
            "grads has dtype {} but params has dtype {dtype}: they must match",
            dtype_name(grads)
        )));
    };
    let mut p = params.try_readwrite().map_err(|e| borrow_error("params", e))?;
    let g = grads.try_readonly().map_err(|e| borrow_error("grads", e))?;
    let p = p.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string()))?;
    let g = g.as_slice().map_err(|e| PyValueError::new_err(e.to_string()))?;
    let inner: &mut dyn Erased = inner.as_mut();
    py.detach(|| run(inner, p, g)).map_err(|e| step_error(e, dtype))
}

#[pymethods]
impl Optimizer {
    /// An optimizer for the first-order method and flags of `argv`
    /// (`["--method", "adam", "--lr", "0.001"]`).
    #[new]
    fn new(argv: Vec<String>) -> PyResult<Self> {
        let (method, config, inner) = build(&argv)?;
        Ok(Self { method, config, argv, inner })
    }

    /// Updates `params` in place from `grads` (same shape and dtype, C-contiguous).
    fn step(
        &mut self,
        py: Python<'_>,
        params: &Bound<'_, PyAny>,
        grads: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        check_layout(params, grads)?;
        if let Ok(p) = params.cast::<PyArrayDyn<f32>>() {
            step_typed(py, &mut self.inner, p, grads, |e, p, g| e.step_f32(p, g), "float32")
        } else if let Ok(p) = params.cast::<PyArrayDyn<f64>>() {
            step_typed(py, &mut self.inner, p, grads, |e, p, g| e.step_f64(p, g), "float64")
        } else {
            Err(PyTypeError::new_err(format!(
                "params must be a float32 or float64 NumPy array, got dtype {}",
                dtype_name(params)
            )))
        }
    }

    /// Steps taken.
    #[getter]
    fn steps(&self) -> u64 {
        self.inner.steps()
    }

    /// The method's name (`"adam"`).
    #[getter]
    fn method(&self) -> &str {
        &self.method
    }

    /// The full configuration, as JSON text.
    #[getter]
    fn config(&self) -> &str {
        &self.config
    }

    /// The state: `method`, `config`, `argv`, and after the first step `dtype`, `step`,
    /// `learning_rate_scale`, `global` (JSON text) and `cells` (a copy of the per-parameter
    /// state, in the parameters' dtype). Bit for bit what [`load_state_dict`] restores.
    fn state_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("method", &self.method)?;
        d.set_item("config", &self.config)?;
        d.set_item("argv", &self.argv)?;
        let exported = self.inner.export().map_err(|e| PyValueError::new_err(e.to_string()))?;
        if let Some(state) = exported {
            d.set_item("step", state.step)?;
            d.set_item("learning_rate_scale", state.learning_rate_scale)?;
            d.set_item("global", state.global)?;
            d.set_item("len", state.len)?;
            match state.cells {
                Cells::F32(cells) => {
                    d.set_item("dtype", "float32")?;
                    d.set_item("cells", PyArray1::from_vec(py, cells))?;
                }
                Cells::F64(cells) => {
                    d.set_item("dtype", "float64")?;
                    d.set_item("cells", PyArray1::from_vec(py, cells))?;
                }
            }
        }
        Ok(d)
    }

    /// Restores a state made by `state_dict` of an optimizer with the same method and
    /// configuration.
    fn load_state_dict(&mut self, state: &Bound<'_, PyDict>) -> PyResult<()> {
        let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
            state
                .get_item(key)?
                .ok_or_else(|| PyValueError::new_err(format!("state_dict: missing key '{key}'")))
        };
        let method: String = get("method")?.extract()?;
        let config: String = get("config")?.extract()?;
        if method != self.method || config != self.config {
            return Err(PyValueError::new_err(format!(
                "state_dict is of {method} {config}; this optimizer is {} {}",
                self.method, self.config
            )));
        }
        // A fresh holder of the same rule, replacing this one's only once the state loaded: a
        // malformed state_dict leaves the optimizer as it was.
        let (_, _, mut fresh) = build(&self.argv)?;
        if state.get_item("step")?.is_none() {
            self.inner = fresh;
            return Ok(());
        }
        let dtype: String = get("dtype")?.extract()?;
        let cells = get("cells")?;
        let cells = match dtype.as_str() {
            "float32" => {
                Cells::F32(cells.extract::<numpy::PyReadonlyArray1<f32>>()?.as_slice()?.to_vec())
            }
            "float64" => {
                Cells::F64(cells.extract::<numpy::PyReadonlyArray1<f64>>()?.as_slice()?.to_vec())
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "state_dict: dtype '{other}' is not float32 or float64"
                )));
            }
        };
        let exported = Exported {
            step: get("step")?.extract()?,
            learning_rate_scale: get("learning_rate_scale")?.extract()?,
            global: get("global")?.extract()?,
            len: get("len")?.extract()?,
            cells,
        };
        fresh.import(exported).map_err(|e| value_error(&e))?;
        self.inner = fresh;
        Ok(())
    }
}

/// Runs torch-preset Adam through the Rust step API alone ([`descent::first_order::Adam`] and
/// [`Stepper`] on Rust-owned vectors, no NumPy in the loop): from `x0`, one step per row of
/// `grads`; returns the iterate after each step. The oracle for the binding's bit-for-bit
/// test.
#[pyfunction]
#[pyo3(signature = (x0, grads, lr, beta1, beta2, eps, weight_decay, float32))]
#[allow(clippy::too_many_arguments)]
pub fn rust_adam_steps(
    x0: Vec<f64>,
    grads: PyReadonlyArray2<'_, f64>,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    float32: bool,
) -> PyResult<Vec<Vec<f64>>> {
    use descent::first_order::{Adam, Preset};
    let adam = Adam { beta1, beta2, eps, weight_decay, ..Adam::preset(Preset::Torch, lr) };
    let grads = grads.as_array();
    let library = |e: descent::Error| PyValueError::new_err(e.to_string());
    let mut iterates = Vec::with_capacity(grads.nrows());
    if float32 {
        let mut x: Vec<f32> = x0.iter().map(|&v| v as f32).collect();
        let mut stepper = Stepper::<_, f32>::new(adam.rule(), x.len()).map_err(library)?;
        for row in grads.rows() {
            let g: Vec<f32> = row.iter().map(|&v| v as f32).collect();
            stepper.step(&mut x, &g).map_err(library)?;
            iterates.push(x.iter().map(|&v| f64::from(v)).collect());
        }
    } else {
        let mut x = x0;
        let mut stepper = Stepper::<_, f64>::new(adam.rule(), x.len()).map_err(library)?;
        for row in grads.rows() {
            let g: Vec<f64> = row.to_vec();
            stepper.step(&mut x, &g).map_err(library)?;
            iterates.push(x.clone());
        }
    }
    Ok(iterates)
}

/// Times `steps` torch-preset Adam steps (lr 1e-3) on `n` float32 parameters held in Rust
/// vectors, through the Rust step API: the yardstick for a step through the binding, measured
/// in the same process. Returns the seconds of each step.
#[pyfunction]
pub fn rust_adam_step_seconds(py: Python<'_>, n: usize, steps: usize) -> PyResult<Vec<f64>> {
    use descent::first_order::{Adam, Preset};
    let library = |e: descent::Error| PyValueError::new_err(e.to_string());
    py.detach(|| {
        let mut x = vec![1.0f32; n];
        let g: Vec<f32> = (0..n).map(|i| ((i % 17) as f32 - 8.0) * 1e-3).collect();
        let mut stepper =
            Stepper::<_, f32>::new(Adam::preset(Preset::Torch, 1e-3).rule(), n).map_err(library)?;
        let mut seconds = Vec::with_capacity(steps);
        for _ in 0..steps {
            let start = std::time::Instant::now();
            stepper.step(&mut x, &g).map_err(library)?;
            seconds.push(start.elapsed().as_secs_f64());
        }
        Ok(seconds)
    })
}
