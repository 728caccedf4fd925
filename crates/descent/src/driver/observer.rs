//! Observers: everything that watches a run (progress bars, traces, plots, early stopping).

use std::ops::ControlFlow;

use super::Evaluations;

/// What an observer sees after every iteration (and once for x₀, as iteration 0).
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The iteration number; 0 is the starting point.
    pub iteration: usize,
    /// The current iterate.
    pub x: &'a [f64],
    /// f(x).
    pub value: f64,
    /// ∇f(x).
    pub grad: &'a [f64],
    /// ‖∇f(x)‖₂; for a method with box bounds, ‖P(x − ∇f) − x‖₂ (see [`crate::bounds`]).
    pub grad_norm: f64,
    /// ‖xₖ − xₖ₋₁‖₂ (0 at iteration 0).
    pub step_norm: f64,
    /// Evaluations so far.
    pub evaluations: Evaluations,
}

/// Watches a run and may stop it by returning [`ControlFlow::Break`].
pub trait Observer {
    /// Called after every iteration, and once for the starting point.
    fn observe(&mut self, progress: &Progress<'_>) -> ControlFlow<()>;
}

impl<F: FnMut(&Progress<'_>) -> ControlFlow<()>> Observer for F {
    fn observe(&mut self, progress: &Progress<'_>) -> ControlFlow<()> {
        self(progress)
    }
}

/// One row of a [`Trace`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraceRow {
    /// The iteration number.
    pub iteration: usize,
    /// f(x).
    pub value: f64,
    /// ‖∇f(x)‖₂.
    pub grad_norm: f64,
    /// ‖xₖ − xₖ₋₁‖₂.
    pub step_norm: f64,
    /// Value evaluations so far.
    pub value_evaluations: usize,
    /// Gradient evaluations so far.
    pub gradient_evaluations: usize,
    /// The iterate.
    pub x: Vec<f64>,
}

/// An observer that records every iterate (it allocates a row per iteration).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The rows, iteration 0 first.
    pub rows: Vec<TraceRow>,
}

impl Observer for Trace {
    fn observe(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        self.rows.push(TraceRow {
            iteration: p.iteration,
            value: p.value,
            grad_norm: p.grad_norm,
            step_norm: p.step_norm,
            value_evaluations: p.evaluations.value,
            gradient_evaluations: p.evaluations.gradient,
            x: p.x.to_vec(),
        });
        ControlFlow::Continue(())
    }
}

/// An observer that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn observe(&mut self, _: &Progress<'_>) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}
