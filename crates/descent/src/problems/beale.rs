//! Beale's function: flat plateaus and steep ridges around one minimum.
//!
//! f(x, y) = Σₖ₌₁³ tₖ², tₖ = cₖ − x + x·yᵏ, (c₁, c₂, c₃) = (1.5, 2.25, 2.625).
//!
//! With ∂tₖ/∂x = yᵏ − 1, ∂tₖ/∂y = k·x·yᵏ⁻¹, ∂²tₖ/∂x∂y = k·yᵏ⁻¹, ∂²tₖ/∂y² = k(k − 1)·x·yᵏ⁻²
//! and ∂²tₖ/∂x² = 0, the derivatives are those of a sum of squares:
//! ∂ᵢf = 2Σ tₖ·∂ᵢtₖ and ∂ᵢⱼf = 2Σ (∂ᵢtₖ·∂ⱼtₖ + tₖ·∂ᵢⱼtₖ). The Hessian is dense.
//!
//! * **Minimiser:** (3, 0.5), f* = 0 (every tₖ vanishes there).
//! * **Start:** (1, 1), the standard one.
//! * **What it is for:** gradients range over many orders of magnitude (nearly flat along
//!   y = 1, steep walls for |y| > 1), which tests a line search's step-size adaptation.
//!
//! References: E. M. L. Beale (1958), "On an iterative method for finding a local minimum of a
//! function of more than one variable", Technical Report 25, Statistical Techniques Research
//! Group, Princeton University; J. J. Moré, B. S. Garbow and K. E. Hillstrom (1981), "Testing
//! unconstrained optimization software", *ACM TOMS* 7(1), 17–41, problem 5.

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective,
};

pub(super) const NAME: &str = "beale";

/// The constants c₁, c₂, c₃.
const C: [f64; 3] = [1.5, 2.25, 2.625];

/// Beale's function in two variables (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Beale;

impl Beale {
    /// Beale's function; it has no parameters.
    #[must_use]
    pub fn new() -> Self {
        Self
    }

    /// f, ∇f and the Hessian entries (h_xx, h_xy, h_yy) at (x, y).
    fn derivatives(x: f64, y: f64) -> (f64, [f64; 2], [f64; 3]) {
        let (mut f, mut g, mut h) = (0.0, [0.0; 2], [0.0; 3]);
        // y_pow[k] = yᵏ, written out so that y = 0 needs no negative powers.
        let y_pow = [1.0, y, y * y, y * y * y];
        for (k, c) in (1..=3).zip(C) {
            let kf = k as f64;
            let t = c - x + x * y_pow[k];
            let dx = y_pow[k] - 1.0;
            let dy = kf * x * y_pow[k - 1];
            let dxy = kf * y_pow[k - 1];
            let dyy = if k >= 2 { kf * (kf - 1.0) * x * y_pow[k - 2] } else { 0.0 };
            f += t * t;
            g[0] += 2.0 * t * dx;
            g[1] += 2.0 * t * dy;
            h[0] += 2.0 * dx * dx;
            h[1] += 2.0 * (dx * dy + t * dxy);
            h[2] += 2.0 * (dy * dy + t * dyy);
        }
        (f, g, h)
    }
}

impl Objective for Beale {
    fn dim(&self) -> usize {
        2
    }

    fn value(&self, x: &[f64]) -> f64 {
        let (x, y) = (x[0], x[1]);
        let t1 = 1.5 - x + x * y;
        let t2 = 2.25 - x + x * y * y;
        let t3 = 2.625 - x + x * y * y * y;
        t1 * t1 + t2 * t2 + t3 * t3
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let (f, g, _) = Self::derivatives(x[0], x[1]);
        grad.copy_from_slice(&g);
        f
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Beale {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        let (_, _, [hxx, hxy, hyy]) = Self::derivatives(x[0], x[1]);
        hessian.set(0, 0, hxx);
        hessian.set(0, 1, hxy);
        hessian.set(1, 1, hyy);
    }
}

impl HessianVectorProduct for Beale {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        let (_, _, [hxx, hxy, hyy]) = Self::derivatives(x[0], x[1]);
        hv[0] = hxx * v[0] + hxy * v[1];
        hv[1] = hxy * v[0] + hyy * v[1];
    }
}

impl DualFunction for Beale {
    fn dim(&self) -> usize {
        2
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let (x, y) = (x[0], x[1]);
        let t1 = -x + x * y + 1.5;
        let t2 = -x + x * y * y + 2.25;
        let t3 = -x + x * y * y * y + 2.625;
        t1 * t1 + t2 * t2 + t3 * t3
    }
}

impl Problem for Beale {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![1.0, 1.0]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![vec![3.0, 0.5]]
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
        check_known_facts(&Beale::new());
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let mut g = [0.0; 2];
        // At (1, 1): t = (1.5, 2.25, 2.625), f = 2.25 + 5.0625 + 6.890625 = 14.203125;
        // ∂x: every yᵏ − 1 = 0; ∂y = 2(1.5·1 + 2.25·2 + 2.625·3) = 27.75.
        assert_eq!(Beale::new().value_grad(&[1.0, 1.0], &mut g), 14.203_125);
        assert_eq!(g, [0.0, 27.75]);
    }
}
