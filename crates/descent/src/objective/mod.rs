//! What is minimised: a value and a gradient, and optionally curvature.
//!
//! * [`Objective`] is the one trait every solver needs: `value_grad` returns f(x) and writes
//!   ∇f(x) into a buffer the caller owns, so an iteration allocates nothing.
//! * [`Hessian`] adds the second derivative, returned as a [`HessianMatrix`] whose structure
//!   (dense, tridiagonal, banded, diagonal) decides how a Newton step is solved.
//! * [`HessianVectorProduct`] adds H(x)·v without forming H (Newton-CG, Lanczos).
//! * [`SecondOrder`] is both at once, as a trait object; [`Objective::curvature_oracle`] hands
//!   it to the driver, which classifies the point where a run converged.
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
///
/// An objective that also implements [`Hessian`] and [`HessianVectorProduct`] should override
/// [`curvature_oracle`](Objective::curvature_oracle) with `Some(self)`, so that
/// [`minimize`](crate::minimize) can tell whether a run stopped at a minimum or at a saddle
/// point (see [`crate::landscape`]).
pub trait Objective {
    /// The number of variables n.
    fn dim(&self) -> usize;

    /// f(x). `x.len() == self.dim()`.
    fn value(&self, x: &[f64]) -> f64;

    /// f(x), and ∇f(x) written into `grad` (`grad.len() == self.dim()`), in one call.
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64;

    /// This objective's second derivatives, if it has them: `Some(self)` for an objective that
    /// implements [`Hessian`] and [`HessianVectorProduct`], `None` (the default) otherwise.
    ///
    /// [`minimize`](crate::minimize) is generic over `O: Objective` and cannot ask for more
    /// traits without changing its signature; this provided method is how it finds out, at run
    /// time and without specialisation, whether it can classify the point where a run converged
    /// ([`Options::classify`](crate::Options::classify)). Every built-in problem and
    /// [`AutoDiff`] (so every `--expr` objective) returns `Some(self)`. Override it in your own
    /// objective as `fn curvature_oracle(&self) -> Option<&dyn SecondOrder> { Some(self) }`.
    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        None
    }
}

/// An objective with a Hessian and Hessian-vector products: the object-safe umbrella trait
/// that [`Objective::curvature_oracle`] returns (also [`crate::problems::SecondOrder`]).
pub trait SecondOrder: Objective + Hessian + HessianVectorProduct {}
impl<T: Objective + Hessian + HessianVectorProduct + ?Sized> SecondOrder for T {}

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
    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        (**self).curvature_oracle()
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
    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        (**self).curvature_oracle()
    }
}
