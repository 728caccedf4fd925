//! What is minimised: a value and a gradient, and optionally curvature.
//!
//! * [`Objective`] is the one trait every solver needs: `value_grad` returns f(x) and writes
//!   ∇f(x) into a buffer the caller owns, so an iteration allocates nothing.
//! * [`Hessian`] adds the second derivative, returned as a [`HessianMatrix`] whose structure
//!   (dense, tridiagonal, banded, diagonal) decides how a Newton step is solved.
//! * [`HessianVectorProduct`] adds H(x)·v without forming H (Newton-CG, Lanczos).
//! * [`DualFunction`] + [`AutoDiff`]: write f once, generic over a dual number, and get exact
//!   gradients, Hessians and Hessian-vector products from [`num_dual`].
//! * [`check_gradient`] compares a hand-written gradient with central differences.
//!
//! Sign convention, once for the whole crate: we **minimise**.

mod autodiff;
mod check;
mod hessian;

pub use autodiff::{AutoDiff, DualFunction};
pub use check::{GradientCheck, check_gradient};
pub use hessian::{HessianMatrix, HessianStructure};

/// A differentiable function f: ℝⁿ → ℝ to be minimised.
///
/// Implementations must not allocate in [`value_grad`](Objective::value_grad) if they want the
/// solvers' zero-allocation iterations; a NaN or infinite return is reported by the driver as a
/// [`Status`](crate::Status), never a panic.
pub trait Objective {
    /// The number of variables n.
    fn dim(&self) -> usize;

    /// f(x). `x.len() == self.dim()`.
    fn value(&self, x: &[f64]) -> f64;

    /// f(x), and ∇f(x) written into `grad` (`grad.len() == self.dim()`), in one call.
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;
}

/// An objective that can give its Hessian ∇²f(x).
pub trait Hessian: Objective {
    /// The structure of the Hessian, the same at every x.
    fn hessian_structure(&self) -> HessianStructure;

    /// Writes ∇²f(x) into `hessian`, which was made by
    /// [`HessianMatrix::zeros`] with this objective's structure and dimension.
    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix);
}

/// An objective that can multiply its Hessian with a vector without forming it.
pub trait HessianVectorProduct: Objective {
    /// Writes ∇²f(x)·v into `hv`.
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]);
}

impl<O: Objective + ?Sized> Objective for &O {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: &[f64]) -> f64 {
        (**self).value(x)
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        (**self).value_grad(x, grad)
    }
}

impl<O: Objective + ?Sized> Objective for Box<O> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: &[f64]) -> f64 {
        (**self).value(x)
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        (**self).value_grad(x, grad)
    }
}
