//! The Rastrigin function: a bowl covered in local minima.
//!
//! f(x) = 10·n + Σᵢ (xᵢ² − 10·cos 2πxᵢ),
//!
//! ∂f/∂xᵢ = 2xᵢ + 20π·sin 2πxᵢ, ∇²f = diag(2 + 40π²·cos 2πxᵢ).
//!
//! * **Dimension:** any n ≥ 1 (default 2).
//! * **Minimiser:** x* = 0, f* = 0. Near every integer point there is a local minimum (11ⁿ of
//!   them in [−5, 5]ⁿ), with value roughly Σ xᵢ².
//! * **Start:** (2.3, …, 2.3): near, but not at, the local minimum at xᵢ ≈ 1.99 in each
//!   coordinate, inside its basin (the next local maximum is at xᵢ ≈ 2.51).
//! * **What it is for:** the separable, highly multimodal benchmark. A local method from the
//!   start converges to the nearby local minimum (f ≈ 4n), not the global one; the Hessian is
//!   indefinite between basins. It shows what "converged" does and does not promise.
//!
//! References: L. A. Rastrigin (1974), *Systems of Extremal Control* (in Russian), Nauka;
//! H. Mühlenbein, M. Schomisch and J. Born (1991), "The parallel genetic algorithm as function
//! optimizer", *Parallel Computing* 17(6–7), 619–632 (the n-dimensional form).

use std::f64::consts::{PI, TAU};

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective, Result,
};

pub(super) const NAME: &str = "rastrigin";

/// The Rastrigin function in `n` variables (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Rastrigin {
    dim: usize,
}

impl Rastrigin {
    /// The Rastrigin function in `dim` variables (default 2).
    ///
    /// # Errors
    /// [`Error::InvalidDimension`](crate::Error::InvalidDimension) if `dim` is 0.
    pub fn new(dim: usize) -> Result<Self> {
        let dim = super::at_least_one(NAME, dim)?;
        Ok(Self { dim })
    }

    /// 10·n, the constant that makes f* = 0.
    fn offset(&self) -> f64 {
        10.0 * self.dim as f64
    }
}

impl Objective for Rastrigin {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.offset() + x.iter().map(|&xi| xi * xi - 10.0 * (TAU * xi).cos()).sum::<f64>()
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let mut value = self.offset();
        for (g, &xi) in grad.iter_mut().zip(x) {
            let (sin, cos) = (TAU * xi).sin_cos();
            value += xi * xi - 10.0 * cos;
            *g = 2.0 * xi + 20.0 * PI * sin;
        }
        value
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Rastrigin {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        for (i, &xi) in x.iter().enumerate() {
            hessian.set(i, i, 2.0 + 40.0 * PI * PI * (TAU * xi).cos());
        }
    }
}

impl HessianVectorProduct for Rastrigin {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        for ((out, &xi), &vi) in hv.iter_mut().zip(x).zip(v) {
            *out = (2.0 + 40.0 * PI * PI * (TAU * xi).cos()) * vi;
        }
    }
}

impl DualFunction for Rastrigin {
    fn dim(&self) -> usize {
        self.dim
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        x.iter().map(|&xi| xi * xi - (xi * TAU).cos() * 10.0).sum::<D>() + self.offset()
    }

    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Diagonal
    }
}

impl Problem for Rastrigin {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![2.3; self.dim]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![vec![0.0; self.dim]]
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
        for n in [1, 2, 7] {
            check_known_facts(&Rastrigin::new(n).unwrap());
        }
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let f = Rastrigin::new(2).unwrap();
        let mut g = [0.0; 2];
        // At (0.5, 1): 20 + (0.25 + 10) + (1 − 10) = 21.25; sin π = sin 2π = 0, so ∇f = 2x.
        let value = f.value_grad(&[0.5, 1.0], &mut g);
        assert!((value - 21.25).abs() < 1e-12, "{value}");
        assert!((g[0] - 1.0).abs() < 1e-12 && (g[1] - 2.0).abs() < 1e-12, "{g:?}");
    }

    #[test]
    fn the_start_lies_in_the_basin_of_a_local_minimum_near_two() {
        let f = Rastrigin::new(1).unwrap();
        let mut g = [0.0];
        // The gradient is positive at the start and negative at 1.9: a local minimum between.
        f.value_grad(&[2.3], &mut g);
        assert!(g[0] > 0.0);
        f.value_grad(&[1.9], &mut g);
        assert!(g[0] < 0.0);
    }

    #[test]
    fn dimension_zero_is_rejected() {
        assert!(matches!(Rastrigin::new(0), Err(Error::InvalidDimension { dim: 0, .. })));
    }
}
