//! Booth's function: a well-conditioned quadratic in two variables.
//!
//! f(x, y) = a² + b², a = x + 2y − 7, b = 2x + y − 5,
//!
//! ∇f = (2a + 4b, 4a + 2b), ∇²f = [[10, 8], [8, 10]] (dense, constant).
//!
//! * **Minimiser:** (1, 3), f* = 0 (a = b = 0 there).
//! * **Start:** (0, 0).
//! * **What it is for:** a sanity check. The Hessian has eigenvalues 18 and 2 (condition 9,
//!   eigenvectors along the diagonals), so every method should converge quickly and Newton's
//!   method in one step.
//!
//! Reference: M. Jamil and X.-S. Yang (2013), "A literature survey of benchmark functions for
//! global optimization problems", *Int. J. Mathematical Modelling and Numerical Optimisation*
//! 4(2), 150–194.

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective,
};

pub(super) const NAME: &str = "booth";

/// Booth's function in two variables (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Booth;

impl Booth {
    /// Booth's function; it has no parameters.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

impl Objective for Booth {
    fn dim(&self) -> usize {
        2
    }

    fn value(&self, x: &[f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        let (a, b) = (x + 2.0 * y - 7.0, 2.0 * x + y - 5.0);
        a * a + b * b
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        let (a, b) = (x + 2.0 * y - 7.0, 2.0 * x + y - 5.0);
        grad[0] = 2.0 * a + 4.0 * b;
        grad[1] = 4.0 * a + 2.0 * b;
        a * a + b * b
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Booth {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        hessian.set(0, 0, 10.0);
        hessian.set(0, 1, 8.0);
        hessian.set(1, 1, 10.0);
    }
}

impl HessianVectorProduct for Booth {
    fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
        hv[0] = 10.0 * v[0] + 8.0 * v[1];
        hv[1] = 8.0 * v[0] + 10.0 * v[1];
    }
}

impl DualFunction for Booth {
    fn dim(&self) -> usize {
        2
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let (x, y) = (x[0], x[1]);
        let (a, b) = (x + y * 2.0 - 7.0, x * 2.0 + y - 5.0);
        a * a + b * b
    }
}

impl Problem for Booth {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![0.0, 0.0]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![vec![1.0, 3.0]]
    }

    fn min_value(&self) -> Option<f64> {
        Some(0.0)
    }

    fn autodiff(&self) -> Box<dyn SecondOrder + '_> {
        Box::new(AutoDiff::new(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::tests::check_known_facts;

    #[test]
    fn known_facts() {
        check_known_facts(&Booth::new());
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let mut g = [0.0; 2];
        // At (0, 0): a = −7, b = −5, f = 49 + 25 = 74, ∇f = (−14 − 20, −28 − 10).
        assert_eq!(Booth::new().value_grad(&[0.0, 0.0], &mut g), 74.0);
        assert_eq!(g, [-34.0, -38.0]);
    }
}
