//! A Python callable as an [`Objective`]: `fun(x, *args)`, its gradient (a separate `jac`, the
//! second item of `fun`'s return with `jac=True`, or forward differences), and its Hessian
//! (`hess`) or Hessian-vector products (`hessp`, or `hess` times the vector, or differences of
//! the gradient).
//!
//! Every call hands the function a fresh float64 array holding x, as scipy does, so a function
//! that keeps its argument keeps a copy. One evaluation is remembered (x, f and ∇f): a line
//! search that asks for f and then for ∇f at the same point calls Python once.
//!
//! The [`Objective`] trait returns plain numbers, so a Python exception cannot travel back
//! through the solver as a value. It is kept in [`PyObjective::error`] and the evaluation
//! unwinds with [`std::panic::resume_unwind`] (which skips the panic hook: nothing is printed);
//! the driver catches the unwind and ends the run, and [`crate::run`] raises the kept exception
//! with its traceback.

use std::cell::{Cell, RefCell};
use std::panic;

use descent::objective::{HessianMatrix, HessianStructure};
use descent::{Hessian, HessianVectorProduct, Objective, SecondOrder};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// How the gradient is obtained.
pub enum Gradient<'py> {
    /// A separate callable `jac(x, *args)`.
    Callable(Bound<'py, PyAny>),
    /// `fun` returns `(f, g)` (`jac=True`).
    Combined,
    /// Forward differences with relative step `step` (scipy's `'2-point'`, `eps` option).
    ForwardDifference {
        /// The step's scale: h = step·max(1, |xᵢ|).
        step: f64,
    },
}

/// The payload of the unwind that ends a run when Python raised (the exception itself is in
/// [`PyObjective::error`]).
pub struct PythonRaised;

/// Calls made to the user's functions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Calls {
    /// `fun` calls, finite-difference ones included.
    pub fun: usize,
    /// `jac` calls.
    pub jac: usize,
    /// `hess` calls.
    pub hess: usize,
    /// `hessp` calls.
    pub hessp: usize,
}

/// The last point evaluated, and what is known there.
struct Memo {
    x: Vec<f64>,
    value: f64,
    grad: Vec<f64>,
    has_value: bool,
    has_grad: bool,
}

/// A Python objective, with its derivatives as the caller gave them.
pub struct PyObjective<'py> {
    py: Python<'py>,
    fun: Bound<'py, PyAny>,
    args: Bound<'py, PyTuple>,
    gradient: Gradient<'py>,
    hess: Option<Bound<'py, PyAny>>,
    hessp: Option<Bound<'py, PyAny>>,
    n: usize,
    memo: RefCell<Memo>,
    calls: Cell<Calls>,
    /// The exception a Python function raised, or a return value that was not usable; the run
    /// ends at once and [`crate::run`] raises it.
    pub error: RefCell<Option<PyErr>>,
}

impl<'py> PyObjective<'py> {
    /// The objective `fun(x, *args)` of `n` variables.
    pub fn new(
        fun: Bound<'py, PyAny>,
        args: Bound<'py, PyTuple>,
        gradient: Gradient<'py>,
        hess: Option<Bound<'py, PyAny>>,
        hessp: Option<Bound<'py, PyAny>>,
        n: usize,
    ) -> Self {
        let memo = Memo {
            x: vec![f64::NAN; n],
            value: f64::NAN,
            grad: vec![0.0; n],
            has_value: false,
            has_grad: false,
        };
        Self {
            py: fun.py(),
            fun,
            args,
            gradient,
            hess,
            hessp,
            n,
            memo: RefCell::new(memo),
            calls: Cell::new(Calls::default()),
            error: RefCell::new(None),
        }
    }

    /// The calls made so far.
    pub fn calls(&self) -> Calls {
        self.calls.get()
    }

    /// Whether second derivatives came from the caller (`hess` or `hessp`).
    pub fn has_second_order(&self) -> bool {
        self.hess.is_some() || self.hessp.is_some()
    }

    /// Keeps `error` and ends the run (see the module docs).
    fn raise(&self, error: PyErr) -> ! {
        self.error.borrow_mut().get_or_insert(error);
        panic::resume_unwind(Box::new(PythonRaised))
    }

    /// `f(x, *args)` with x copied into a new array.
    fn call(&self, f: &Bound<'py, PyAny>, x: &[f64], extra: Option<&[f64]>) -> Bound<'py, PyAny> {
        let array = PyArray1::from_slice(self.py, x);
        let result = if self.args.is_empty() && extra.is_none() {
            f.call1((array,))
        } else {
            let mut items: Vec<Bound<'py, PyAny>> = vec![array.into_any()];
            if let Some(v) = extra {
                items.push(PyArray1::from_slice(self.py, v).into_any());
            }
            items.extend(self.args.iter());
            PyTuple::new(self.py, items).and_then(|args| f.call1(args))
        };
        result.unwrap_or_else(|error| self.raise(error))
    }

    fn count(&self, update: impl FnOnce(&mut Calls)) {
        let mut calls = self.calls.get();
        update(&mut calls);
        self.calls.set(calls);
    }

    /// The value `fun` returned, as a float.
    fn scalar(&self, value: &Bound<'py, PyAny>) -> f64 {
        value.extract::<f64>().unwrap_or_else(|_| {
            let kind = value.get_type().name().map_or_else(|_| "?".into(), |n| n.to_string());
            self.raise(PyTypeError::new_err(format!(
                "fun must return a float (with jac=True: a pair (f, g)), got {kind}"
            )))
        })
    }

    /// Copies a returned vector (any array-like of n numbers) into `out`.
    fn vector(&self, what: &str, value: &Bound<'py, PyAny>, out: &mut [f64]) {
        if let Ok(array) = value.cast::<PyArray1<f64>>()
            && let Ok(readonly) = array.try_readonly()
            && let Ok(slice) = readonly.as_slice()
            && slice.len() == out.len()
        {
            out.copy_from_slice(slice);
            return;
        }
        let values: Vec<f64> = match value.extract::<Vec<f64>>() {
            Ok(values) => values,
            Err(_) => match numpy_ravel(value) {
                Ok(values) => values,
                Err(error) => self.raise(PyTypeError::new_err(format!(
                    "{what} must return a vector of {} numbers: {error}",
                    out.len()
                ))),
            },
        };
        if values.len() != out.len() {
            self.raise(PyValueError::new_err(format!(
                "{what} returned {} values for {} variables",
                values.len(),
                out.len()
            )));
        }
        out.copy_from_slice(&values);
    }

    /// f(x), and ∇f(x) into `grad` when asked, through the memo.
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let mut memo = self.memo.borrow_mut();
        let same = memo.x.as_slice() == x;
        if same && memo.has_value && (grad.is_none() || memo.has_grad) {
            if let Some(grad) = grad {
                grad.copy_from_slice(&memo.grad);
            }
            return memo.value;
        }
        if !same {
            memo.x.copy_from_slice(x);
            memo.has_value = false;
            memo.has_grad = false;
        }
        let want_grad = grad.is_some();
        match &self.gradient {
            Gradient::Combined => {
                self.count(|c| c.fun += 1);
                let result = self.call(&self.fun, x, None);
                let pair = result.cast::<PyTuple>().ok().filter(|t| t.len() == 2);
                let Some(pair) = pair else {
                    self.raise(PyTypeError::new_err("with jac=True, fun must return a pair (f, g)"))
                };
                memo.value = self.scalar(&pair.get_item(0).unwrap_or_else(|e| self.raise(e)));
                let g = pair.get_item(1).unwrap_or_else(|e| self.raise(e));
                self.vector("fun (its gradient)", &g, &mut memo.grad);
                memo.has_value = true;
                memo.has_grad = true;
            }
            Gradient::Callable(jac) => {
                if !memo.has_value {
                    self.count(|c| c.fun += 1);
                    memo.value = self.scalar(&self.call(&self.fun, x, None));
                    memo.has_value = true;
                }
                if want_grad {
                    self.count(|c| c.jac += 1);
                    let g = self.call(jac, x, None);
                    self.vector("jac", &g, &mut memo.grad);
                    memo.has_grad = true;
                }
            }
            Gradient::ForwardDifference { step } => {
                if !memo.has_value {
                    self.count(|c| c.fun += 1);
                    memo.value = self.scalar(&self.call(&self.fun, x, None));
                    memo.has_value = true;
                }
                if want_grad {
                    // scipy's '2-point' rule: h = step·max(1, |xᵢ|), signed like xᵢ, with the
                    // difference taken over the step actually representable.
                    let mut probe = x.to_vec();
                    for i in 0..self.n {
                        let sign = if x[i] >= 0.0 { 1.0 } else { -1.0 };
                        let h = step * sign * x[i].abs().max(1.0);
                        probe[i] = x[i] + h;
                        let dx = probe[i] - x[i];
                        self.count(|c| c.fun += 1);
                        let f = self.scalar(&self.call(&self.fun, &probe, None));
                        memo.grad[i] = (f - memo.value) / dx;
                        probe[i] = x[i];
                    }
                    memo.has_grad = true;
                }
            }
        }
        if let Some(grad) = grad {
            grad.copy_from_slice(&memo.grad);
        }
        memo.value
    }
}

/// `numpy.asarray(value, dtype=float64).ravel()` as a vector.
fn numpy_ravel(value: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    let numpy = value.py().import("numpy")?;
    let array = numpy.call_method1("asarray", (value, numpy.getattr("float64")?))?;
    array.call_method0("ravel")?.extract::<Vec<f64>>()
}

impl Objective for PyObjective<'_> {
    fn dim(&self) -> usize {
        self.n
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.evaluate(x, None)
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.evaluate(x, Some(grad))
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        if self.has_second_order() { Some(self) } else { None }
    }
}

impl Hessian for PyObjective<'_> {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        let Some(hess) = &self.hess else {
            // Without `hess` (Newton's method or dogleg given only `hessp`, or nothing), the
            // matrix is built a column at a time from products: n products per Hessian.
            let mut column = vec![0.0; self.n];
            let mut unit = vec![0.0; self.n];
            for j in 0..self.n {
                unit[j] = 1.0;
                self.hessian_vector_product(x, &unit, &mut column);
                unit[j] = 0.0;
                for (i, &h) in column.iter().enumerate() {
                    hessian.set(i, j, h);
                }
            }
            return;
        };
        self.count(|c| c.hess += 1);
        let result = self.call(hess, x, None);
        let mut dense = vec![0.0; self.n * self.n];
        self.vector("hess", &result, &mut dense);
        for i in 0..self.n {
            for j in 0..self.n {
                hessian.set(i, j, dense[i * self.n + j]);
            }
        }
    }
}

impl HessianVectorProduct for PyObjective<'_> {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        if let Some(hessp) = &self.hessp {
            self.count(|c| c.hessp += 1);
            let result = self.call(hessp, x, Some(v));
            self.vector("hessp", &result, hv);
        } else if self.hess.is_some() {
            let mut matrix = HessianMatrix::zeros(HessianStructure::Dense, self.n);
            self.hessian(x, &mut matrix);
            matrix.mul_vec(v, hv);
        } else {
            // Differences of the gradient along v: ∇²f·v ≈ (∇f(x + εv) − ∇f(x))/ε, with ε
            // scaled so that εv is a relative change of x of about √(machine ε).
            let norm_v = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm_v == 0.0 {
                hv.fill(0.0);
                return;
            }
            let norm_x = x.iter().map(|a| a * a).sum::<f64>().sqrt();
            let eps = f64::EPSILON.sqrt() * (1.0 + norm_x) / norm_v;
            let shifted: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + eps * b).collect();
            let mut g0 = vec![0.0; self.n];
            self.evaluate(x, Some(&mut g0));
            self.evaluate(&shifted, Some(hv));
            for (h, g) in hv.iter_mut().zip(&g0) {
                *h = (*h - g) / eps;
            }
        }
    }
}
