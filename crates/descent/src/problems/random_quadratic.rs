//! A rotated quadratic with a chosen spectrum and a seeded minimiser.
//!
//! f(x) = ½·(x − x*)ᵀA·(x − x*), A = Q·D·Qᵀ,
//!
//! ∇f = A·(x − x*), ∇²f = A.
//!
//! | symbol | meaning | default |
//! |---|---|---|
//! | n | dimension, at least 1 | 10 |
//! | κ | condition number, finite and ≥ 1 | 100 |
//! | D | diag(λ₁, …, λₙ), λₖ = κ^((k − 1)/(n − 1)): log-spaced from 1 to κ (λ₁ = 1 when n = 1) | |
//! | Q | H₁·H₂, Householder reflections Hⱼ = I − 2uⱼuⱼᵀ with unit uⱼ | |
//! | x* | the minimiser, uniform in [−1, 1]ⁿ | |
//! | seed | seeds the one generator that draws u₁, u₂ and x*, in that order | 0 |
//!
//! The directions uⱼ are Gaussian vectors (`rand_distr::StandardNormal`) normalised to unit
//! length, drawn from `rand_chacha::ChaCha8Rng::seed_from_u64(seed)`, so the same seed gives the
//! bitwise same problem on every platform.
//!
//! **Cost.** A is never stored: with r = x − x*, c = u₁·u₂, a = u₁·r and b = u₂·r,
//! y = Qᵀr = H₂H₁r = r − 2a·u₁ − 2(b − 2ac)·u₂ and f = ½Σλₖyₖ², and the gradient
//! Q·(D·y) follows the same way in reverse. Value, gradient and Hessian-vector product
//! therefore cost O(n) and allocate nothing. The Hessian is dense; [`Hessian::hessian`] forms
//! it column by column in O(n²) and needs the [`HessianMatrix::Dense`] layout.
//!
//! * **Minimiser:** x*, f* = 0.
//! * **Start:** x = 0.
//! * **What it is for:** a quadratic whose condition number is set exactly and whose
//!   eigenvectors are not the coordinate axes, so diagonal preconditioning cannot cheat. Steepest
//!   descent with exact line search contracts f by at most ((κ − 1)/(κ + 1))² per step.
//!
//! References: A. S. Householder (1958), "Unitary triangularization of a nonsymmetric matrix",
//! *J. ACM* 5(4), 339–342; J. Nocedal and S. J. Wright (2006), *Numerical Optimization*,
//! 2nd ed., §3.3 (convergence of steepest descent on quadratics).

use num_dual::DualNum;
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::{Problem, SecondOrder};
use crate::{
    AutoDiff, DualFunction, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct,
    Objective, Result,
};

pub(super) const NAME: &str = "random_quadratic";

/// The condition number κ used when none is given.
pub(super) const DEFAULT_CONDITION: f64 = 100.0;

/// ½(x − x*)ᵀQDQᵀ(x − x*) with a log-spaced spectrum D and seeded Q, x* (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomQuadratic {
    /// λ₁, …, λₙ, ascending from 1.
    eigenvalues: Vec<f64>,
    /// u₁, the unit normal of the first reflection.
    u1: Vec<f64>,
    /// u₂, the unit normal of the second reflection.
    u2: Vec<f64>,
    /// u₁·u₂.
    c: f64,
    /// The minimiser.
    x_star: Vec<f64>,
}

impl RandomQuadratic {
    /// A problem in `dim` variables with condition number `condition`, drawn from `seed`
    /// (defaults: 10, 100, 0).
    ///
    /// # Errors
    /// [`Error::InvalidDimension`](crate::Error::InvalidDimension) if `dim` is 0;
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) if `condition` is
    /// below 1 or not finite.
    pub fn new(dim: usize, condition: f64, seed: u64) -> Result<Self> {
        let n = super::at_least_one(NAME, dim)?;
        let kappa = super::condition_number(condition)?;
        let eigenvalues = if n == 1 {
            vec![1.0]
        } else {
            // k/(n − 1) is exactly 0 and 1 at the ends, so λ₁ = 1 and λₙ = κ exactly.
            (0..n).map(|k| kappa.powf(k as f64 / (n - 1) as f64)).collect()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let u1 = unit_gaussian(&mut rng, n);
        let u2 = unit_gaussian(&mut rng, n);
        let x_star = (0..n).map(|_| rng.random_range(-1.0..=1.0)).collect();
        let c = dot(&u1, &u2);
        Ok(Self { eigenvalues, u1, u2, c, x_star })
    }

    /// The eigenvalues λ₁ ≤ … ≤ λₙ of the Hessian, log-spaced from 1 to κ.
    #[must_use]
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The condition number λₙ/λ₁ of the Hessian: κ, or 1 when n = 1.
    #[must_use]
    pub fn condition(&self) -> f64 {
        self.eigenvalues[self.eigenvalues.len() - 1] / self.eigenvalues[0]
    }

    /// Writes A·r into `out` for r given entry by entry, and returns ½·rᵀA·r, in three O(n)
    /// passes and no allocation.
    fn apply(&self, r: impl Fn(usize) -> f64, out: &mut [f64]) -> f64 {
        let (u1, u2, c) = (&self.u1, &self.u2, self.c);
        // y = Qᵀr = H₂H₁r = r − 2a·u₁ − 2w·u₂, a = u₁·r, w = u₂·(H₁r) = u₂·r − 2ac.
        let (mut a, mut b) = (0.0, 0.0);
        for i in 0..u1.len() {
            let ri = r(i);
            a += u1[i] * ri;
            b += u2[i] * ri;
        }
        let w = b - 2.0 * a * c;
        // z = D·y; A·r = Q·z = H₁H₂z = z − 2p·u₂ − 2(q − 2pc)·u₁, p = u₂·z, q = u₁·z.
        let (mut quad, mut p, mut q) = (0.0, 0.0, 0.0);
        for (i, zi) in out.iter_mut().enumerate() {
            let y = r(i) - 2.0 * a * u1[i] - 2.0 * w * u2[i];
            let z = self.eigenvalues[i] * y;
            quad += z * y;
            p += u2[i] * z;
            q += u1[i] * z;
            *zi = z;
        }
        let s = q - 2.0 * p * c;
        for (i, out) in out.iter_mut().enumerate() {
            *out -= 2.0 * p * u2[i] + 2.0 * s * u1[i];
        }
        0.5 * quad
    }
}

/// A Gaussian vector of length `n` scaled to unit length.
fn unit_gaussian(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let mut u: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
    let norm = dot(&u, &u).sqrt();
    for ui in &mut u {
        *ui /= norm;
    }
    u
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

impl Objective for RandomQuadratic {
    fn dim(&self) -> usize {
        self.x_star.len()
    }

    fn value(&self, x: &[f64]) -> f64 {
        let (u1, u2, c) = (&self.u1, &self.u2, self.c);
        let (mut a, mut b) = (0.0, 0.0);
        for i in 0..x.len() {
            let ri = x[i] - self.x_star[i];
            a += u1[i] * ri;
            b += u2[i] * ri;
        }
        let w = b - 2.0 * a * c;
        let mut quad = 0.0;
        for i in 0..x.len() {
            let y = (x[i] - self.x_star[i]) - 2.0 * a * u1[i] - 2.0 * w * u2[i];
            quad += self.eigenvalues[i] * y * y;
        }
        0.5 * quad
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.apply(|i| x[i] - self.x_star[i], grad)
    }

    fn curvature_oracle(&self) -> Option<&dyn SecondOrder> {
        Some(self)
    }
}

impl Hessian for RandomQuadratic {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    /// Forms A = QDQᵀ column by column (A·eⱼ in O(n) each), then copies the lower triangle
    /// onto the upper so that the result is exactly symmetric.
    ///
    /// # Panics
    /// If `hessian` is not [`HessianMatrix::Dense`].
    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        let HessianMatrix::Dense { n, data } = hessian else {
            panic!("the Hessian of {NAME} is dense; pass HessianMatrix::Dense");
        };
        let n = *n;
        for (j, row) in data.chunks_exact_mut(n).enumerate() {
            // Row j of the symmetric A is its column j, A·eⱼ.
            self.apply(|i| f64::from(u8::from(i == j)), row);
        }
        for i in 0..n {
            for j in (i + 1)..n {
                data[i * n + j] = data[j * n + i];
            }
        }
    }
}

impl HessianVectorProduct for RandomQuadratic {
    fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
        self.apply(|i| v[i], hv);
    }
}

impl DualFunction for RandomQuadratic {
    fn dim(&self) -> usize {
        self.x_star.len()
    }

    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let (u1, u2, c) = (&self.u1, &self.u2, self.c);
        let zero = D::from(0.0);
        let (mut a, mut b) = (zero, zero);
        for i in 0..x.len() {
            let ri = x[i] - self.x_star[i];
            a += ri * u1[i];
            b += ri * u2[i];
        }
        let w = b - a * (2.0 * c);
        let mut quad = zero;
        for i in 0..x.len() {
            let y = (x[i] - self.x_star[i]) - a * (2.0 * u1[i]) - w * (2.0 * u2[i]);
            quad += y * y * self.eigenvalues[i];
        }
        quad * 0.5
    }
}

impl Problem for RandomQuadratic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start(&self) -> Vec<f64> {
        vec![0.0; self.x_star.len()]
    }

    fn minimizers(&self) -> Vec<Vec<f64>> {
        vec![self.x_star.clone()]
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
        for (n, kappa, seed) in [(1, 1.0, 0), (1, 50.0, 3), (2, 10.0, 1), (10, 100.0, 0)] {
            check_known_facts(&RandomQuadratic::new(n, kappa, seed).unwrap());
        }
    }

    #[test]
    fn the_spectrum_is_log_spaced_from_one_to_kappa() {
        let f = RandomQuadratic::new(3, 100.0, 0).unwrap();
        assert_eq!(f.eigenvalues()[0], 1.0);
        assert!((f.eigenvalues()[1] - 10.0).abs() < 1e-12);
        assert_eq!(f.eigenvalues()[2], 100.0);
        assert_eq!(f.condition(), 100.0);
        assert_eq!(RandomQuadratic::new(1, 100.0, 0).unwrap().condition(), 1.0);
    }

    #[test]
    fn the_same_seed_gives_the_bitwise_same_problem_and_another_seed_does_not() {
        let bits = |f: &RandomQuadratic| -> Vec<u64> {
            [&f.u1, &f.u2, &f.x_star, &f.eigenvalues]
                .into_iter()
                .flatten()
                .map(|v| v.to_bits())
                .collect()
        };
        let a = RandomQuadratic::new(6, 30.0, 42).unwrap();
        let b = RandomQuadratic::new(6, 30.0, 42).unwrap();
        let c = RandomQuadratic::new(6, 30.0, 43).unwrap();
        assert_eq!(bits(&a), bits(&b));
        assert_ne!(a.x_star, c.x_star);
        assert_ne!(a.u1, c.u1);
    }

    #[test]
    fn the_formed_hessian_is_symmetric_with_the_right_trace_and_bounds() {
        let (n, kappa) = (8, 50.0);
        let f = RandomQuadratic::new(n, kappa, 5).unwrap();
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), n);
        f.hessian(&f.start(), &mut h);
        let trace: f64 = (0..n).map(|i| h.get(i, i)).sum();
        let expect: f64 = f.eigenvalues().iter().sum();
        assert!((trace - expect).abs() < 1e-12 * expect, "{trace} vs {expect}");
        for i in 0..n {
            for j in 0..n {
                assert_eq!(h.get(i, j), h.get(j, i), "H[{i}][{j}]");
            }
        }
        // 1·‖x‖² ≤ xᵀHx ≤ κ·‖x‖²: SPD with λ_min = 1 and λ_max = κ.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut hx = vec![0.0; n];
        for _ in 0..200 {
            let x: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            h.mul_vec(&x, &mut hx);
            let (xhx, xx) = (dot(&x, &hx), dot(&x, &x));
            assert!(xhx >= xx * (1.0 - 1e-12), "{xhx} < {xx}");
            assert!(xhx <= kappa * xx * (1.0 + 1e-12), "{xhx} > κ·{xx}");
        }
    }

    #[test]
    fn value_and_gradient_agree_with_the_formed_hessian() {
        let n = 5;
        let f = RandomQuadratic::new(n, 20.0, 2).unwrap();
        let mut h = HessianMatrix::zeros(Hessian::hessian_structure(&f), n);
        f.hessian(&f.start(), &mut h);
        let x = [0.3, -1.2, 0.7, 2.0, -0.4];
        let r: Vec<f64> = x.iter().zip(&f.x_star).map(|(x, s)| x - s).collect();
        let mut hr = vec![0.0; n];
        h.mul_vec(&r, &mut hr);
        let mut g = vec![0.0; n];
        let value = f.value_grad(&x, &mut g);
        assert!((value - 0.5 * dot(&r, &hr)).abs() < 1e-12 * value.max(1.0));
        assert!((value - f.value(&x)).abs() < 1e-12 * value.max(1.0));
        for i in 0..n {
            assert!((g[i] - hr[i]).abs() < 1e-12 * hr[i].abs().max(1.0), "g[{i}]");
        }
    }

    #[test]
    fn a_condition_below_one_and_dimension_zero_are_rejected() {
        assert!(matches!(
            RandomQuadratic::new(3, 0.5, 0),
            Err(Error::InvalidHyperparameter { name: "condition", .. })
        ));
        assert!(matches!(
            RandomQuadratic::new(0, 10.0, 0),
            Err(Error::InvalidDimension { dim: 0, .. })
        ));
    }
}
