//! The monkey saddle f(x, y) = x³ − 3x·y².
//!
//! ∇f = (3x² − 3y², −6x·y), ∇²f = [[6x, −6y], [−6y, −6x]] (dense).
//!
//! * **Minimisers:** none; f → −∞ along −x, so [`Problem::min_value`] is `None`. The origin is
//!   a degenerate saddle: gradient *and* Hessian vanish there, and f falls away in three
//!   directions (a seat with room for a monkey's tail).
//! * **Start:** (1, 0.1).
//! * **What it is for:** second-order tests cannot classify the origin, and near it the
//!   gradient is tiny (quadratic in the distance), so a gradient-norm stopping rule can fire
//!   at a point that is not a minimum. The start lies just off the ridge y = 0 (along which
//!   f = x³ leads straight into the origin), so descent must turn off the ridge into one of the
//!   three valleys; a run should never report convergence to a minimum.
//!
//! Reference: J. Nocedal and S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §2.1
//! (second-order conditions, which are inconclusive here).

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective,
};

pub(super) const NAME: &str = "monkey_saddle";

/// f(x, y) = x³ − 3x·y² (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonkeySaddle;

impl MonkeySaddle {
    /// The monkey saddle; it has no parameters.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

impl Objective for MonkeySaddle {
    fn dim(&self) -> usize {
        2
    }

    fn value(&self, x: &[f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        x * x * x - 3.0 * x * y * y
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        grad[0] = 3.0 * x * x - 3.0 * y * y;
        grad[1] = -6.0 * x * y;
        x * x * x - 3.0 * x * y * y
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for MonkeySaddle {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        let (x, y) = (x[0], x[1]);
        hessian.set(0, 0, 6.0 * x);
        hessian.set(0, 1, -6.0 * y);
        hessian.set(1, 1, -6.0 * x);
    }
}

impl HessianVectorProduct for MonkeySaddle {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        let (x, y) = (x[0], x[1]);
        hv[0] = 6.0 * (x * v[0] - y * v[1]);
        hv[1] = -6.0 * (y * v[0] + x * v[1]);
    }
}

impl DualFunction for MonkeySaddle {
    fn dim(&self) -> usize {
        2
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let (x, y) = (x[0], x[1]);
        x * x * x - x * y * y * 3.0
    }
}

impl Problem for MonkeySaddle {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![1.0, 0.1]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        Vec::new()
    }

    fn min_value(&self) -> Option<f64> {
        None
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
        check_known_facts(&MonkeySaddle::new());
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let f = MonkeySaddle::new();
        let mut g = [0.0; 2];
        // At (2, 1): 8 − 6 = 2, ∇f = (12 − 3, −12).
        assert_eq!(f.value_grad(&[2.0, 1.0], &mut g), 2.0);
        assert_eq!(g, [9.0, -12.0]);
    }

    #[test]
    fn gradient_and_hessian_vanish_at_the_origin() {
        let f = MonkeySaddle::new();
        let mut g = [1.0; 2];
        f.value_grad(&[0.0, 0.0], &mut g);
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), 2);
        f.hessian(&[0.0, 0.0], &mut h);
        assert!(g.iter().chain(h.to_dense().iter()).all(|&v| v == 0.0));
    }
}
