//! The ravine: an axis-aligned quadratic with a chosen condition number.
//!
//! f(w) = ½(α·w₁² + β·w₂²), with ∇f = (α·w₁, β·w₂) and ∇²f = diag(α, β).
//!
//! | symbol | meaning | value |
//! |---|---|---|
//! | α | curvature across the flat direction | 1 |
//! | β | curvature across the steep direction | κ |
//! | κ = β/α | condition number, finite and ≥ 1 | 10 |
//!
//! * **Minimiser:** w* = 0, f* = 0.
//! * **Start:** (10, 1): far out along the flat axis, a little up the steep wall.
//! * **What it is for:** the textbook picture of ill-conditioning. Gradient descent with a fixed
//!   step η converges iff η < 2/β; each coordinate contracts by |1 − η·α| and |1 − η·β|, so the
//!   best fixed step η = 2/(α + β) gives the rate (κ − 1)/(κ + 1) and the iterates zig-zag
//!   across the valley. Momentum and preconditioning are judged by how much of κ they remove.
//!
//! References: J. Nocedal and S. J. Wright (2006), *Numerical Optimization*, 2nd ed., §3.3
//! (rate of steepest descent on quadratics); G. Goh (2017), "Why Momentum Really Works",
//! *Distill*.

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective, Result,
};

pub(super) const NAME: &str = "ravine";

/// The condition number κ used when none is given.
pub(super) const DEFAULT_CONDITION: f64 = 10.0;

/// f(w) = ½(α·w₁² + β·w₂²) with α = 1, β = κ (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Ravine {
    alpha: f64,
    beta: f64,
}

impl Ravine {
    /// A ravine with condition number `condition` = κ = β/α (the default is 10).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) if `condition` is
    /// below 1 or not finite.
    pub fn new(condition: f64) -> Result<Self> {
        let beta = super::condition_number(condition)?;
        Ok(Self { alpha: 1.0, beta })
    }

    /// α, the curvature along w₁ (always 1).
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// β, the curvature along w₂ (κ).
    #[must_use]
    pub fn beta(&self) -> f64 {
        self.beta
    }
}

impl Objective for Ravine {
    fn dim(&self) -> usize {
        2
    }

    fn value(&self, x: &[f64]) -> f64 {
        0.5 * (self.alpha * x[0] * x[0] + self.beta * x[1] * x[1])
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        grad[0] = self.alpha * x[0];
        grad[1] = self.beta * x[1];
        self.value(x)
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Ravine {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }

    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        hessian.fill_zero();
        hessian.set(0, 0, self.alpha);
        hessian.set(1, 1, self.beta);
    }
}

impl HessianVectorProduct for Ravine {
    fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
        hv[0] = self.alpha * v[0];
        hv[1] = self.beta * v[1];
    }
}

impl DualFunction for Ravine {
    fn dim(&self) -> usize {
        2
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        (x[0] * x[0] * self.alpha + x[1] * x[1] * self.beta) * 0.5
    }

    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }
}

impl Problem for Ravine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![10.0, 1.0]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![vec![0.0, 0.0]]
    }

    fn min_value(&self) -> Option<f64> {
        Some(0.0)
    }

    fn autodiff(&self) -> Box<dyn SecondOrder + '_> {
        Box::new(AutoDiff::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::problems::tests::check_known_facts;

    #[test]
    fn known_facts() {
        check_known_facts(&Ravine::new(DEFAULT_CONDITION).unwrap());
        check_known_facts(&Ravine::new(1.0).unwrap());
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let f = Ravine::new(4.0).unwrap();
        assert_eq!((f.alpha(), f.beta()), (1.0, 4.0));
        let mut g = [0.0; 2];
        // ½(1·9 + 4·4) = 12.5
        assert_eq!(f.value_grad(&[3.0, -2.0], &mut g), 12.5);
        assert_eq!(g, [3.0, -8.0]);
    }

    #[test]
    fn a_condition_below_one_is_rejected() {
        for kappa in [0.5, 0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Ravine::new(kappa),
                Err(Error::InvalidHyperparameter { name: "condition", .. })
            ));
        }
    }
}
