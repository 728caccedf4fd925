//! The extended Rosenbrock function: n/2 independent banana-shaped valleys.
//!
//! With pairs (a, b) = (x₂ᵢ, x₂ᵢ₊₁), i = 0, …, n/2 − 1 (0-based),
//!
//! f(x) = Σᵢ 100·(b − a²)² + (1 − a)²,
//!
//! ∂f/∂a = −400·a·(b − a²) − 2·(1 − a),  ∂f/∂b = 200·(b − a²),
//!
//! ∂²f/∂a² = 1200·a² − 400·b + 2,  ∂²f/∂a∂b = −400·a,  ∂²f/∂b² = 200.
//!
//! The Hessian is block diagonal with 2×2 blocks, stored as [`HessianStructure::Tridiagonal`]:
//! the off-diagonal entry between x₂ᵢ₊₁ and x₂ᵢ₊₂ (two different pairs) is always 0.
//!
//! * **Dimension:** any even n ≥ 2 (default 2, the classic function).
//! * **Minimiser:** x* = (1, …, 1), f* = 0; the only stationary point for n = 2.
//! * **Start:** (−1.2, 1, −1.2, 1, …), the standard one.
//! * **What it is for:** the valley floor b = a² is found in a few steps but is curved and
//!   narrow (the Hessian at x* has condition ≈ 2500), so steepest descent crawls along it;
//!   methods that use curvature do not.
//!
//! References: H. H. Rosenbrock (1960), "An automatic method for finding the greatest or least
//! value of a function", *The Computer Journal* 3(3), 175–184; J. J. Moré, B. S. Garbow and
//! K. E. Hillstrom (1981), "Testing unconstrained optimization software", *ACM TOMS* 7(1),
//! 17–41, problem 21 (extended Rosenbrock).

use num_dual::DualNum;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Error, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective, Result,
};

pub(super) const NAME: &str = "rosenbrock";

/// The extended Rosenbrock function in an even number of variables (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Rosenbrock {
    dim: usize,
}

impl Rosenbrock {
    /// The extended Rosenbrock function in `dim` variables (the classic one is `dim = 2`).
    ///
    /// # Errors
    /// [`Error::InvalidDimension`] if `dim` is odd or 0.
    pub fn new(dim: usize) -> Result<Self> {
        if dim == 0 || !dim.is_multiple_of(2) {
            return Err(Error::InvalidDimension {
                problem: NAME,
                dim,
                valid: "must be even and at least 2",
            });
        }
        Ok(Self { dim })
    }
}

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value(&self, x: &[f64]) -> f64 {
        x.chunks_exact(2)
            .map(|p| {
                let (a, b) = (p[0], p[1]);
                let (t, u) = (b - a * a, 1.0 - a);
                100.0 * t * t + u * u
            })
            .sum()
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let mut value = 0.0;
        for (p, g) in x.chunks_exact(2).zip(grad.chunks_exact_mut(2)) {
            let (a, b) = (p[0], p[1]);
            let (t, u) = (b - a * a, 1.0 - a);
            value += 100.0 * t * t + u * u;
            g[0] = -400.0 * a * t - 2.0 * u;
            g[1] = 200.0 * t;
        }
        value
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for Rosenbrock {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Tridiagonal
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        hessian.fill_zero();
        for (k, p) in x.chunks_exact(2).enumerate() {
            let (a, b) = (p[0], p[1]);
            let (i, j) = (2 * k, 2 * k + 1);
            hessian.set(i, i, 1200.0 * a * a - 400.0 * b + 2.0);
            hessian.set(i, j, -400.0 * a);
            hessian.set(j, j, 200.0);
        }
    }
}

impl HessianVectorProduct for Rosenbrock {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        for ((p, w), out) in x.chunks_exact(2).zip(v.chunks_exact(2)).zip(hv.chunks_exact_mut(2)) {
            let (a, b) = (p[0], p[1]);
            let (haa, hab) = (1200.0 * a * a - 400.0 * b + 2.0, -400.0 * a);
            out[0] = haa * w[0] + hab * w[1];
            out[1] = hab * w[0] + 200.0 * w[1];
        }
    }
}

impl DualFunction for Rosenbrock {
    fn dim(&self) -> usize {
        self.dim
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        x.chunks_exact(2)
            .map(|p| {
                let (a, b) = (p[0], p[1]);
                let (t, u) = (b - a * a, -a + 1.0);
                t * t * 100.0 + u * u
            })
            .sum()
    }

    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Tridiagonal
    }
}

impl Problem for Rosenbrock {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        (0..self.dim).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![vec![1.0; self.dim]]
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
    use crate::problems::tests::check_known_facts;

    #[test]
    fn known_facts() {
        for n in [2, 4, 10] {
            check_known_facts(&Rosenbrock::new(n).unwrap());
        }
        assert_eq!(Rosenbrock::new(4).unwrap().start(), [-1.2, 1.0, -1.2, 1.0]);
    }

    #[test]
    fn value_and_gradient_by_hand() {
        let f = Rosenbrock::new(2).unwrap();
        let mut g = [0.0; 2];
        // At the start: t = 1 − 1.44 = −0.44, u = 2.2; f = 100·0.1936 + 4.84 = 24.2.
        let value = f.value_grad(&[-1.2, 1.0], &mut g);
        assert!((value - 24.2).abs() < 1e-12, "{value}");
        // g = (−400·(−1.2)·(−0.44) − 4.4, 200·(−0.44)) = (−215.6, −88).
        assert!((g[0] + 215.6).abs() < 1e-12 && (g[1] + 88.0).abs() < 1e-12, "{g:?}");
    }

    #[test]
    fn the_hessian_has_no_coupling_between_pairs() {
        let f = Rosenbrock::new(4).unwrap();
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), 4);
        f.hessian(&[0.3, -0.7, 1.1, 2.0], &mut h);
        assert_eq!(h.get(1, 2), 0.0);
        assert_eq!(h.get(0, 1), -400.0 * 0.3);
    }

    #[test]
    fn odd_and_zero_dimensions_are_rejected() {
        for n in [0, 1, 3, 7] {
            assert_eq!(
                Rosenbrock::new(n),
                Err(Error::InvalidDimension {
                    problem: NAME,
                    dim: n,
                    valid: "must be even and at least 2"
                })
            );
        }
    }
}
