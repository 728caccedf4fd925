//! A finite-difference check for hand-written gradients.

use super::Objective;
use crate::{Error, Result};

/// The outcome of [`check_gradient`].
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// The component with the largest error.
    pub worst_index: usize,
    /// The user's gradient at that component.
    pub analytic: f64,
    /// The central-difference estimate at that component.
    pub numeric: f64,
    /// |analytic − numeric| / max(1, |analytic|, |numeric|) at that component: a relative
    /// error for large derivatives, an absolute one for small.
    pub error: f64,
}

impl GradientCheck {
    /// Whether the worst error is at most `tolerance`.
    #[must_use]
    pub fn passes(&self, tolerance: f64) -> bool {
        self.error <= tolerance
    }
}

/// Compares `objective`'s gradient at `x` with central differences and reports the worst
/// component.
///
/// Each step is hᵢ = ε^(1/3)·max(1, |xᵢ|), which balances the O(h²) truncation error of the
/// central difference against the O(ε/h) rounding error; expect agreement to about 1e-8 for a
/// correct gradient of a smooth function with derivatives of order one.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x.len()` is not the objective's dimension.
///
/// # Example
/// ```
/// use descent::{check_gradient, problems::Rosenbrock};
/// let report = check_gradient(&Rosenbrock::new(2).unwrap(), &[-1.2, 1.0]).unwrap();
/// assert!(report.passes(1e-6));
/// ```
pub fn check_gradient<O: Objective + ?Sized>(objective: &O, x: &[f64]) -> Result<GradientCheck> {
    let n = objective.dim();
    if x.len() != n {
        return Err(Error::DimensionMismatch { what: "x", expected: n, got: x.len() });
    }
    let mut grad = vec![0.0; n];
    objective.value_grad(x, &mut grad);
    let mut probe = x.to_vec();
    let mut worst = GradientCheck { worst_index: 0, analytic: 0.0, numeric: 0.0, error: -1.0 };
    for i in 0..n {
        let h = f64::EPSILON.cbrt() * x[i].abs().max(1.0);
        probe[i] = x[i] + h;
        let plus = objective.value(&probe);
        probe[i] = x[i] - h;
        let minus = objective.value(&probe);
        probe[i] = x[i];
        // The step actually taken, after rounding x ± h.
        let numeric = (plus - minus) / ((x[i] + h) - (x[i] - h));
        let analytic = grad[i];
        let error = (analytic - numeric).abs() / 1f64.max(analytic.abs()).max(numeric.abs());
        if !(error <= worst.error) {
            worst = GradientCheck { worst_index: i, analytic, numeric, error };
        }
    }
    worst.error = worst.error.max(0.0);
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quartic {
        wrong: bool,
    }
    impl Objective for Quartic {
        fn dim(&self) -> usize {
            3
        }
        fn value(&self, x: &[f64]) -> f64 {
            x.iter().map(|v| v.powi(4)).sum()
        }
        fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
            for (gi, xi) in g.iter_mut().zip(x) {
                *gi = 4.0 * xi.powi(3);
            }
            if self.wrong {
                g[1] *= 1.01;
            }
            self.value(x)
        }
    }

    #[test]
    fn a_correct_gradient_passes_and_a_wrong_one_is_located() {
        let x = [0.5, 2.0, -1.5];
        assert!(check_gradient(&Quartic { wrong: false }, &x).unwrap().passes(1e-8));
        let bad = check_gradient(&Quartic { wrong: true }, &x).unwrap();
        assert_eq!(bad.worst_index, 1);
        assert!((bad.error - 0.01 * 32.0 / 32.32).abs() < 1e-6, "{bad:?}");
        assert!(!bad.passes(1e-3));
    }

    #[test]
    fn wrong_length_is_an_error() {
        assert_eq!(
            check_gradient(&Quartic { wrong: false }, &[1.0]),
            Err(Error::DimensionMismatch { what: "x", expected: 3, got: 1 })
        );
    }
}
