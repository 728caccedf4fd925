//! Himmelblau's function: four global minima of equal value.
//!
//! f(x, y) = a² + b², a = x² + y − 11, b = x + y² − 7,
//!
//! ∇f = (4x·a + 2b, 2a + 4y·b),
//!
//! ∇²f = [[12x² + 4y − 42, 4(x + y)], [4(x + y), 4x + 12y² − 26]] (dense).
//!
//! * **Minimisers:** f* = 0 where a = b = 0: (3, 2) exactly, and three irrational points near
//!   (−2.805118, 3.131312), (−3.779310, −3.283186) and (3.584428, −1.848126). Their literals
//!   below are the roots to 50 digits (Newton's method in multiple precision), rounded to f64.
//! * **Start:** (0, 0), near the local maximum at about (−0.270845, −0.923039).
//! * **What it is for:** several basins of attraction; which minimum a method reaches depends on
//!   its start and step, so a convergence test must accept any of the four.
//!
//! Reference: D. M. Himmelblau (1972), *Applied Nonlinear Programming*, McGraw-Hill.

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective,
};

pub(super) const NAME: &str = "himmelblau";

/// The four global minimisers, (3, 2) first.
const MINIMIZERS: [[f64; 2]; 4] = [
    [3.0, 2.0],
    [-2.805_118_086_952_745, 3.131_312_518_250_573],
    [-3.779_310_253_377_747, -3.283_185_991_286_169_6],
    [3.584_428_340_330_491_7, -1.848_126_526_964_403_6],
];

/// Himmelblau's function in two variables (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Himmelblau;

impl Himmelblau {
    /// Himmelblau's function; it has no parameters.
    #[must_use]
    pub fn new() -> Self {
        Self
    }

    /// The Hessian entries (h_xx, h_xy, h_yy) at (x, y).
    fn hessian_entries(x: f64, y: f64) -> [f64; 3] {
        [12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 4.0 * x + 12.0 * y * y - 26.0]
    }
}

impl Objective for Himmelblau {
    fn dim(&self) -> usize {
        2
    }

    fn value(&self, x: &[f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
        a * a + b * b
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
        grad[0] = 4.0 * x * a + 2.0 * b;
        grad[1] = 2.0 * a + 4.0 * y * b;
        a * a + b * b
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Himmelblau {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        let [hxx, hxy, hyy] = Self::hessian_entries(x[0], x[1]);
        hessian.set(0, 0, hxx);
        hessian.set(0, 1, hxy);
        hessian.set(1, 1, hyy);
    }
}

impl HessianVectorProduct for Himmelblau {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        let [hxx, hxy, hyy] = Self::hessian_entries(x[0], x[1]);
        hv[0] = hxx * v[0] + hxy * v[1];
        hv[1] = hxy * v[0] + hyy * v[1];
    }
}

impl DualFunction for Himmelblau {
    fn dim(&self) -> usize {
        2
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let (x, y) = (x[0], x[1]);
        let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
        a * a + b * b
    }
}

impl Problem for Himmelblau {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![0.0, 0.0]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        MINIMIZERS.iter().map(|m| m.to_vec()).collect()
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
        check_known_facts(&Himmelblau::new());
    }

    #[test]
    fn the_four_minimizers_are_accurate_to_full_precision() {
        let f = Himmelblau::new();
        let mut g = [0.0; 2];
        for m in MINIMIZERS {
            let value = f.value_grad(&m, &mut g);
            assert!(value < 1e-20, "f{m:?} = {value}");
            assert!(g[0].abs() < 1e-12 && g[1].abs() < 1e-12, "∇f{m:?} = {g:?}");
        }
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let mut g = [0.0; 2];
        // At (0, 0): a = −11, b = −7, f = 121 + 49 = 170, ∇f = (2b, 2a) = (−14, −22).
        assert_eq!(Himmelblau::new().value_grad(&[0.0, 0.0], &mut g), 170.0);
        assert_eq!(g, [-14.0, -22.0]);
    }
}
