//! The ramp: a tilted plane, unbounded below.
//!
//! f(θ) = c·Σᵢ θᵢ, with ∇f = (c, …, c) and ∇²f = 0.
//!
//! | symbol | meaning | default |
//! |---|---|---|
//! | n | dimension, at least 1 | 1 |
//! | c | slope, finite and non-zero | 1 |
//!
//! * **Minimisers:** none; f → −∞ along −sign(c)·1, so [`Problem::min_value`] is `None`.
//! * **Start:** θ = 0.
//! * **What it is for:** the one problem where the right answer is "unbounded below". Gradient descent
//!   with a fixed step α gives θₖ = −k·α·c·1 exactly, so a step rule can be checked by hand,
//!   and a run must end with an honest status rather than claim convergence. The zero Hessian
//!   also shows what a Newton-type method does with singular curvature.

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Error, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective, Result,
};

pub(super) const NAME: &str = "ramp";

/// f(θ) = c·Σθᵢ: unbounded below, constant gradient (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Ramp {
    dim: usize,
    slope: f64,
}

impl Ramp {
    /// A ramp in `dim` variables with slope `slope` (the default is `Ramp::new(1, 1.0)`).
    ///
    /// # Errors
    /// [`Error::InvalidDimension`] if `dim` is 0; [`Error::InvalidHyperparameter`] if `slope`
    /// is zero or not finite.
    pub fn new(dim: usize, slope: f64) -> Result<Self> {
        let dim = super::at_least_one(NAME, dim)?;
        if !(slope.is_finite() && slope != 0.0) {
            return Err(Error::InvalidHyperparameter {
                name: "slope",
                value: slope,
                valid: "finite and non-zero",
            });
        }
        Ok(Self { dim, slope })
    }

    /// The slope c.
    #[must_use]
    pub fn slope(&self) -> f64 {
        self.slope
    }
}

impl Objective for Ramp {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.slope * x.iter().sum::<f64>()
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        grad.fill(self.slope);
        self.value(x)
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Ramp {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }

    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        hessian.fill_zero();
    }
}

impl HessianVectorProduct for Ramp {
    fn hessian_vector_product(&self, _x: &[f64], _v: &[f64], hv: &mut [f64]) {
        hv.fill(0.0);
    }
}

impl DualFunction for Ramp {
    fn dim(&self) -> usize {
        self.dim
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        x.iter().copied().sum::<D>() * self.slope
    }

    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }
}

impl Problem for Ramp {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![0.0; self.dim]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        Vec::new()
    }

    fn min_value(&self) -> Option<f64> {
        None
    }

    fn autodiff(&self) -> Box<dyn SecondOrder + '_> {
        Box::new(AutoDiff::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::tests::check_known_facts;

    #[test]
    fn known_facts() {
        check_known_facts(&Ramp::new(3, -2.0).unwrap());
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let f = Ramp::new(3, -2.0).unwrap();
        let mut g = [0.0; 3];
        assert_eq!(f.value_grad(&[1.0, 2.0, 0.5], &mut g), -7.0);
        assert_eq!(g, [-2.0; 3]);
    }

    #[test]
    fn a_zero_or_non_finite_slope_and_dimension_zero_are_rejected() {
        for slope in [0.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Ramp::new(1, slope),
                Err(Error::InvalidHyperparameter { name: "slope", .. })
            ));
        }
        assert!(matches!(Ramp::new(0, 1.0), Err(Error::InvalidDimension { dim: 0, .. })));
    }
}
