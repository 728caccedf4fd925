//! Exact derivatives from a function written once, generic over a dual number.
//!
//! A [`DualFunction`] evaluates f for any `D: DualNum<Primitive = f64>` (num-dual's
//! `DualNum<f64>`). [`AutoDiff`] turns it into an [`Objective`], [`Hessian`] and
//! [`HessianVectorProduct`] by forward-mode differentiation:
//!
//! | what | number type | passes | each pass gives |
//! |---|---|---|---|
//! | ∇f | `Dual64`, x + ε·eᵢ | n | ∂f/∂xᵢ |
//! | ∇²f | `HyperDual64`, x + ε₁eᵢ + ε₂eⱼ | n·(b+1) for bandwidth b | H_ij |
//! | ∇²f·v | `HyperDual64`, x + ε₁eᵢ + ε₂v | n | (Hv)ᵢ |
//!
//! No finite differences anywhere: the results are exact to rounding. The scratch vectors of
//! dual numbers are allocated once and reused, so evaluations do not allocate.

use std::sync::{Mutex, PoisonError};

use num_dual::{Dual64, DualNum, HyperDual64};

use super::{Hessian, HessianMatrix, HessianStructure, HessianVectorProduct, Objective};

/// A scalar function of n variables written once for every dual-number type.
///
/// # Example
/// ```
/// use descent::{AutoDiff, DualFunction, Objective};
/// use num_dual::DualNum;
///
/// struct Rosenbrock;
/// impl DualFunction for Rosenbrock {
///     fn dim(&self) -> usize { 2 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
///         let (a, b) = (-x[0] + 1.0, x[1] - x[0] * x[0]);
///         a * a + b * b * 100.0
///     }
/// }
/// let f = AutoDiff::new(Rosenbrock);
/// let mut g = [0.0; 2];
/// let value = f.value_grad(&[1.0, 1.0], &mut g);
/// assert_eq!((value, g), (0.0, [0.0, 0.0]));
/// ```
pub trait DualFunction {
    /// The number of variables n.
    fn dim(&self) -> usize;

    /// f(x), for plain `f64` and for every dual-number type.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D;

    /// The Hessian's structure; entries outside it are never computed. Dense unless overridden.
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }
}

#[derive(Debug, Default)]
struct Scratch {
    dual: Vec<Dual64>,
    hyper: Vec<HyperDual64>,
}

/// An [`Objective`] with exact derivatives from a [`DualFunction`].
#[derive(Debug)]
pub struct AutoDiff<F> {
    function: F,
    scratch: Mutex<Scratch>,
}

impl<F: DualFunction> AutoDiff<F> {
    /// Wraps `function`; the scratch space is allocated here, once.
    pub fn new(function: F) -> Self {
        let n = function.dim();
        let scratch =
            Scratch { dual: vec![Dual64::from(0.0); n], hyper: vec![HyperDual64::from(0.0); n] };
        Self { function, scratch: Mutex::new(scratch) }
    }

    /// The wrapped function.
    pub fn function(&self) -> &F {
        &self.function
    }

    fn scratch(&self) -> std::sync::MutexGuard<'_, Scratch> {
        // A panic inside `eval` cannot leave the scratch in a state that matters: every pass
        // overwrites it completely.
        self.scratch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// H_ij by one hyper-dual pass with ε₁ on xᵢ and ε₂ on xⱼ; also returns ∂f/∂xᵢ and f.
    fn hyper_pass(
        &self,
        hyper: &mut [HyperDual64],
        x: &[f64],
        i: usize,
        v: Direction<'_>,
    ) -> HyperDual64 {
        for (k, (h, &xk)) in hyper.iter_mut().zip(x).enumerate() {
            let eps2 = match v {
                Direction::Unit(j) => f64::from(u8::from(k == j)),
                Direction::Vector(v) => v[k],
            };
            *h = HyperDual64::new(xk, f64::from(u8::from(k == i)), eps2, 0.0);
        }
        self.function.eval(hyper)
    }
}

#[derive(Clone, Copy)]
enum Direction<'a> {
    Unit(usize),
    Vector(&'a [f64]),
}

impl<F: DualFunction> Objective for AutoDiff<F> {
    fn dim(&self) -> usize {
        self.function.dim()
    }

    fn value(&self, x: &[f64]) -> f64 {
        self.function.eval(x)
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        if x.is_empty() {
            return self.function.eval(x);
        }
        let mut scratch = self.scratch();
        let dual = &mut scratch.dual;
        for (d, &xk) in dual.iter_mut().zip(x) {
            *d = Dual64::from(xk);
        }
        let mut value = 0.0;
        for (i, g) in grad.iter_mut().enumerate() {
            dual[i].eps = 1.0;
            let f = self.function.eval(dual);
            dual[i].eps = 0.0;
            value = f.re;
            *g = f.eps;
        }
        value
    }

    fn curvature_oracle(&self) -> Option<&dyn super::SecondOrder> {
        Some(self)
    }
}

impl<F: DualFunction> Hessian for AutoDiff<F> {
    fn hessian_structure(&self) -> HessianStructure {
        self.function.hessian_structure()
    }

    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        let n = x.len();
        let b = hessian.structure().bandwidth(n);
        let mut scratch = self.scratch();
        hessian.fill_zero();
        for i in 0..n {
            for j in i..n.min(i + b + 1) {
                let f = self.hyper_pass(&mut scratch.hyper, x, i, Direction::Unit(j));
                hessian.set(i, j, f.eps1eps2);
            }
        }
    }
}

impl<F: DualFunction> HessianVectorProduct for AutoDiff<F> {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        let mut scratch = self.scratch();
        for (i, out) in hv.iter_mut().enumerate() {
            *out = self.hyper_pass(&mut scratch.hyper, x, i, Direction::Vector(v)).eps1eps2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(x, y, z) = x²y + sin(z)·y + eˣ, derivatives by hand.
    struct Mixed;
    impl DualFunction for Mixed {
        fn dim(&self) -> usize {
            3
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
            x[0] * x[0] * x[1] + x[2].sin() * x[1] + x[0].exp()
        }
    }

    #[test]
    fn gradient_hessian_and_hvp_match_hand_derivatives() {
        let f = AutoDiff::new(Mixed);
        let (x, y, z) = (0.3_f64, -1.7_f64, 2.2_f64);
        let mut g = [0.0; 3];
        let value = f.value_grad(&[x, y, z], &mut g);
        assert!((value - (x * x * y + z.sin() * y + x.exp())).abs() < 1e-15);
        let expect_g = [2.0 * x * y + x.exp(), x * x + z.sin(), z.cos() * y];
        for k in 0..3 {
            assert!((g[k] - expect_g[k]).abs() < 1e-14, "g[{k}]");
        }
        let expect_h = [
            [2.0 * y + x.exp(), 2.0 * x, 0.0],
            [2.0 * x, 0.0, z.cos()],
            [0.0, z.cos(), -z.sin() * y],
        ];
        let mut h = HessianMatrix::zeros(HessianStructure::Dense, 3);
        f.hessian(&[x, y, z], &mut h);
        let v = [0.7, -0.2, 1.5];
        let mut hv = [0.0; 3];
        f.hessian_vector_product(&[x, y, z], &v, &mut hv);
        for i in 0..3 {
            for j in 0..3 {
                assert!((h.get(i, j) - expect_h[i][j]).abs() < 1e-14, "H[{i}][{j}]");
            }
            let expect: f64 = (0..3).map(|j| expect_h[i][j] * v[j]).sum();
            assert!((hv[i] - expect).abs() < 1e-14, "Hv[{i}]");
        }
    }
}
