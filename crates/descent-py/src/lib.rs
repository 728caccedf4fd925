//! # descent-py
//!
//! The native module `descent._native` of the Python package `descent`: the Rust half of
//! `descent.minimize` (a drop-in for `scipy.optimize.minimize`) and of `descent.optim` (the
//! step API on NumPy arrays, in place). The Python half (`python/descent/`) turns scipy's
//! arguments into the command line's flags and wraps the results; this half parses the flags
//! with the CLI's own argument types (so a bad argument reads as `descent minimize` would say
//! it), runs the library, and hands back plain fields.
//!
//! | item | what it is |
//! |---|---|
//! | [`run::minimize_callable`] | a method on a Python function (with its `jac`, `hess`, `hessp`) |
//! | [`run::minimize_native`] | a method on a built-in problem or an expression, without the GIL |
//! | [`optim::Optimizer`] | a first-order method's step on a float32 or float64 array, in place |
//! | [`problems::Problem`], [`problems::list`] | the built-in landscapes as Python callables |
//! | [`optim::rust_adam_steps`], [`optim::rust_adam_step_seconds`] | the Rust step API alone: the oracles of the binding's tests and benchmark |
//!
//! The package builds with maturin (`pip install ./crates/descent-py`); it is a workspace
//! member so that clippy and the docs see it, but its tests are Python's (`tests/`, pytest),
//! since a Rust test binary would have to link libpython.

#![warn(missing_docs)]

pub mod objective;
pub mod optim;
pub mod problems;
pub mod run;

use pyo3::prelude::*;

/// The module `descent._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run::minimize_callable, m)?)?;
    m.add_function(wrap_pyfunction!(run::minimize_native, m)?)?;
    m.add_function(wrap_pyfunction!(optim::rust_adam_steps, m)?)?;
    m.add_function(wrap_pyfunction!(optim::rust_adam_step_seconds, m)?)?;
    m.add_class::<optim::Optimizer>()?;
    m.add_function(wrap_pyfunction!(problems::list, m)?)?;
    m.add_class::<problems::Problem>()?;
    m.add_function(wrap_pyfunction!(problems::expression_variables, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
