//! The saddle f(x, y) = x² − y².
//!
//! ∇f = (2x, −2y), ∇²f = diag(2, −2) (constant).
//!
//! * **Minimisers:** none; f → −∞ along y, so [`Problem::min_value`] is `None`. The origin is a
//!   strict saddle: Hessian eigenvalues {2, −2}.
//! * **Start:** (1, 0.001), almost on the ridge y = 0.
//! * **What it is for:** gradient descent from the start first slides towards the saddle (x
//!   shrinks by 1 − 2η per step) while y grows by 1 + 2η per step, so it lingers near the origin
//!   and then escapes. A run must not report the saddle as a minimum, and a Newton step, which
//!   jumps straight to the stationary point, shows why indefinite curvature needs care.
//!
//! Reference: J. Nocedal and S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §2.1
//! (stationary points and second-order conditions).

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective,
};

pub(super) const NAME: &str = "saddle";

/// f(x, y) = x² − y² (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saddle;

impl Saddle {
    /// The saddle; it has no parameters.
    #[must_use]
    pub fn new() -> Self {
        Self
    }
}

impl Objective for Saddle {
    fn dim(&self) -> usize {
        2
    }

    fn value(&self, x: &[f64]) -> f64 {
        x[0] * x[0] - x[1] * x[1]
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        grad[0] = 2.0 * x[0];
        grad[1] = -2.0 * x[1];
        self.value(x)
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Saddle {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }

    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        hessian.set(0, 0, 2.0);
        hessian.set(1, 1, -2.0);
    }
}

impl HessianVectorProduct for Saddle {
    fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
        hv[0] = 2.0 * v[0];
        hv[1] = -2.0 * v[1];
    }
}

impl DualFunction for Saddle {
    fn dim(&self) -> usize {
        2
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        x[0] * x[0] - x[1] * x[1]
    }

    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }
}

impl Problem for Saddle {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![1.0, 0.001]
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
        check_known_facts(&Saddle::new());
    }

    #[test]
    fn value_gradient_and_curvature_by_hand() {
        let f = Saddle::new();
        let mut g = [0.0; 2];
        assert_eq!(f.value_grad(&[3.0, 2.0], &mut g), 5.0);
        assert_eq!(g, [6.0, -4.0]);
        // The Hessian's eigenvalues are {2, −2} (it is diagonal).
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), 2);
        f.hessian(&[0.0, 0.0], &mut h);
        assert_eq!(h.to_dense(), [2.0, 0.0, 0.0, -2.0]);
    }
}
