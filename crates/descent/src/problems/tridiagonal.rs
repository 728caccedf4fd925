//! The tridiagonal quadratic: the discrete one-dimensional Poisson problem.
//!
//! f(x) = ½·xᵀA·x − 1ᵀx, A = tridiag(−1, 2, −1) (n × n), that is
//!
//! f(x) = Σᵢ xᵢ² − Σᵢ xᵢ·xᵢ₊₁ − Σᵢ xᵢ,
//!
//! ∂f/∂xᵢ = 2xᵢ − xᵢ₋₁ − xᵢ₊₁ − 1 (with x₀ = xₙ₊₁ = 0), ∇²f = A.
//!
//! * **Dimension:** any n ≥ 1 (default 100).
//! * **Minimiser:** the solution of A·x = 1, in closed form xᵢ* = i·(n + 1 − i)/2 for 1-based i
//!   (a discrete parabola: its second difference is −1). f* = ½·x*ᵀA·x* − 1ᵀx* = −½·1ᵀx*
//!   = −n(n + 1)(n + 2)/24.
//! * **Start:** x = 0.
//! * **What it is for:** a large, sparse, well-understood quadratic. A's eigenvalues are
//!   2 − 2·cos(kπ/(n + 1)), k = 1, …, n, so the condition number grows like 4(n + 1)²/π² (about
//!   4000 for n = 100): gradient descent needs O(n²) iterations, conjugate gradients at most n,
//!   Newton's method one, with an O(n) tridiagonal solve. Evaluations cost O(n).
//!
//! Reference: G. Strang (2007), *Computational Science and Engineering*, Wellesley-Cambridge,
//! §1.1 (the second-difference matrix K).

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective, Result,
};

pub(super) const NAME: &str = "tridiagonal";

/// ½xᵀAx − 1ᵀx with A = tridiag(−1, 2, −1) (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Tridiagonal {
    dim: usize,
}

impl Tridiagonal {
    /// The problem in `dim` variables (default 100).
    ///
    /// # Errors
    /// [`Error::InvalidDimension`](crate::Error::InvalidDimension) if `dim` is 0.
    pub fn new(dim: usize) -> Result<Self> {
        let dim = super::at_least_one(NAME, dim)?;
        Ok(Self { dim })
    }

    /// The minimiser x*, xᵢ* = i·(n + 1 − i)/2 for 1-based i; every entry is a multiple of ½
    /// and so exact in `f64` for any practical n.
    fn minimizer(&self) -> Vec<f64> {
        let n = self.dim as f64;
        (1..=self.dim)
            .map(|i| {
                let i = i as f64;
                i * (n + 1.0 - i) / 2.0
            })
            .collect()
    }
}

impl Objective for Tridiagonal {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value(&self, x: &[f64]) -> f64 {
        let diagonal: f64 = x.iter().map(|&xi| xi * xi - xi).sum();
        let coupling: f64 = x.windows(2).map(|w| w[0] * w[1]).sum();
        diagonal - coupling
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let n = x.len();
        let mut value = 0.0;
        for i in 0..n {
            let left = if i > 0 { x[i - 1] } else { 0.0 };
            let right = if i + 1 < n { x[i + 1] } else { 0.0 };
            // (A·x)ᵢ = 2xᵢ − xᵢ₋₁ − xᵢ₊₁, and f = Σᵢ xᵢ·(½(A·x)ᵢ − 1).
            let ax = 2.0 * x[i] - left - right;
            value += x[i] * (0.5 * ax - 1.0);
            grad[i] = ax - 1.0;
        }
        value
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Tridiagonal {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Tridiagonal
    }

    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        for i in 0..self.dim {
            hessian.set(i, i, 2.0);
            if i + 1 < self.dim {
                hessian.set(i, i + 1, -1.0);
            }
        }
    }
}

impl HessianVectorProduct for Tridiagonal {
    fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
        let n = v.len();
        for i in 0..n {
            let left = if i > 0 { v[i - 1] } else { 0.0 };
            let right = if i + 1 < n { v[i + 1] } else { 0.0 };
            hv[i] = 2.0 * v[i] - left - right;
        }
    }
}

impl DualFunction for Tridiagonal {
    fn dim(&self) -> usize {
        self.dim
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let diagonal: D = x.iter().map(|&xi| xi * xi - xi).sum();
        let coupling: D = x.windows(2).map(|w| w[0] * w[1]).sum();
        diagonal - coupling
    }

    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Tridiagonal
    }
}

impl Problem for Tridiagonal {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![0.0; self.dim]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![self.minimizer()]
    }

    fn min_value(&self) -> Option<f64> {
        Some(-0.5 * self.minimizer().iter().sum::<f64>())
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
        for n in [1, 2, 5, 100] {
            check_known_facts(&Tridiagonal::new(n).unwrap());
        }
    }

    #[test]
    fn the_closed_form_minimizer_solves_a_x_equals_one() {
        for n in [1, 2, 3, 10, 100] {
            let f = Tridiagonal::new(n).unwrap();
            let x = f.minimizer();
            let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), n);
            f.hessian(&x, &mut h);
            let mut ax = vec![0.0; n];
            h.mul_vec(&x, &mut ax);
            assert!(ax.iter().all(|&v| v == 1.0), "n = {n}: {ax:?}");
            // f* = −n(n + 1)(n + 2)/24.
            let nf = n as f64;
            let expect = -nf * (nf + 1.0) * (nf + 2.0) / 24.0;
            assert_eq!(f.min_value(), Some(expect));
        }
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let f = Tridiagonal::new(3).unwrap();
        let mut g = [0.0; 3];
        // x = (1, 2, 3): Σxᵢ² = 14, Σxᵢxᵢ₊₁ = 2 + 6 = 8, Σxᵢ = 6; f = 14 − 8 − 6 = 0.
        // A·x = (0, 0, 4), so ∇f = A·x − 1 = (−1, −1, 3).
        assert_eq!(f.value_grad(&[1.0, 2.0, 3.0], &mut g), 0.0);
        assert_eq!(g, [-1.0, -1.0, 3.0]);
        assert_eq!(f.value(&[1.0, 2.0, 3.0]), 0.0);
    }

    #[test]
    fn dimension_zero_is_rejected() {
        assert!(matches!(Tridiagonal::new(0), Err(Error::InvalidDimension { dim: 0, .. })));
    }
}
