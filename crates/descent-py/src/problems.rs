//! `descent.problems()` and `descent.Problem`: the built-in landscapes, listed, and callable
//! from Python with their hand-written derivatives (`fun`, `jac`, `hess`, `hessp`), so that the
//! same function can be handed to `descent.minimize`, to `scipy.optimize.minimize` or to any
//! other Python code.

use descent::Objective;
use descent::objective::HessianMatrix;
use descent::problems::{Problem as BuiltIn, ProblemConfig, build, registry};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Every built-in problem: `name`, `summary` and the parameters it takes.
#[pyfunction]
#[pyo3(name = "problems")]
pub fn list(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    registry()
        .iter()
        .map(|spec| {
            let d = PyDict::new(py);
            d.set_item("name", spec.name)?;
            d.set_item("summary", spec.summary)?;
            d.set_item("parameters", spec.parameters.to_vec())?;
            Ok(d)
        })
        .collect()
}

/// A built-in landscape as Python callables.
#[pyclass(module = "descent._native", frozen)]
pub struct Problem {
    inner: Box<dyn BuiltIn>,
}

impl Problem {
    /// `x` as a slice of this problem's dimension.
    fn point<'a>(&self, x: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
        let x = x.as_slice()?;
        if x.len() != self.inner.dim() {
            return Err(PyValueError::new_err(format!(
                "x has {} values for {} of dimension {}",
                x.len(),
                self.inner.name(),
                self.inner.dim()
            )));
        }
        Ok(x)
    }
}

#[pymethods]
impl Problem {
    /// The problem `name` with its parameters (`dim`, `condition`, `slope`, `seed`), as
    /// `descent minimize --problem` takes them.
    #[new]
    #[pyo3(signature = (name, *, dim=None, condition=None, slope=None, seed=None))]
    fn new(
        name: &str,
        dim: Option<usize>,
        condition: Option<f64>,
        slope: Option<f64>,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let config = ProblemConfig { dim, condition, slope, seed };
        let inner = build(name, &config).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self { inner })
    }

    /// The registry name.
    #[getter]
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// The dimension n.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// The standard start.
    #[getter]
    fn x0<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_vec(py, self.inner.start())
    }

    /// The known global minimisers (empty when there is none).
    #[getter]
    fn minimizers(&self) -> Vec<Vec<f64>> {
        self.inner.minimizers()
    }

    /// The minimum value (`None` when unbounded below).
    #[getter]
    fn min_value(&self) -> Option<f64> {
        self.inner.min_value()
    }

    /// f(x).
    fn fun(&self, x: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        Ok(self.inner.value(self.point(&x)?))
    }

    /// ∇f(x).
    fn jac<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let mut grad = vec![0.0; self.inner.dim()];
        self.inner.value_grad(self.point(&x)?, &mut grad);
        Ok(PyArray1::from_vec(py, grad))
    }

    /// (f(x), ∇f(x)), for `jac=True`.
    fn fun_and_jac<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
        let mut grad = vec![0.0; self.inner.dim()];
        let value = self.inner.value_grad(self.point(&x)?, &mut grad);
        Ok((value, PyArray1::from_vec(py, grad)))
    }

    /// ∇²f(x), dense.
    fn hess<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let n = self.inner.dim();
        let mut h = HessianMatrix::zeros(self.inner.hessian_structure(), n);
        self.inner.hessian(self.point(&x)?, &mut h);
        let rows: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| h.get(i, j)).collect()).collect();
        Ok(PyArray2::from_vec2(py, &rows)?)
    }

    /// ∇²f(x)·p.
    fn hessp<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'_, f64>,
        p: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let p = self.point(&p)?;
        let mut hv = vec![0.0; self.inner.dim()];
        self.inner.hessian_vector_product(self.point(&x)?, p, &mut hv);
        Ok(PyArray1::from_vec(py, hv))
    }

    fn __repr__(&self) -> String {
        format!("Problem('{}', dim={})", self.inner.name(), self.inner.dim())
    }
}

/// The variables of the expression `source`, in coordinate order (order of appearance).
///
/// # Errors
/// `ValueError` with the parser's message when `source` does not parse.
#[pyfunction]
pub fn expression_variables(source: &str) -> PyResult<Vec<String>> {
    let expression = descent::expr::Expression::parse(source)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(expression.variables().to_vec())
}
