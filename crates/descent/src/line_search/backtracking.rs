//! Backtracking until the Armijo (sufficient decrease) condition holds.
//!
//! Starting from a trial step t₀, accept t when
//!
//! ```text
//! φ(t) ≤ φ(0) + c₁·t·φ'(0)                                  (Armijo, N&W eq. 3.4)
//! ```
//!
//! and otherwise shrink t. The next trial is the minimiser of an interpolant rather than a
//! fixed fraction (Nocedal & Wright, *Numerical Optimization*, 2nd ed., §3.5):
//!
//! * after the first rejection, the quadratic through φ(0), φ'(0), φ(t) (eq. 3.57):
//!   t₁ = −φ'(0)t² / (2[φ(t) − φ(0) − φ'(0)t]);
//! * afterwards, the cubic through φ(0), φ'(0) and the last two trials (eqs. 3.58–3.59);
//!
//! each safeguarded into [`shrink_min`, `shrink_max`]·t so the search neither stalls nor
//! collapses. A non-finite φ(t) (a step out of the function's domain) shrinks by `shrink_min`.
//!
//! | field | symbol | default | why |
//! |---|---|---|---|
//! | `c1` | c₁ | 1e-4 | N&W's recommendation; accepts almost any decrease |
//! | `shrink_min`, `shrink_max` | | 0.1, 0.5 | the usual safeguards (N&W §3.5, Dennis & Schnabel A6.3.1) |
//! | `growth` | | 2 | the next iteration starts from twice the step just accepted |
//! | `max_trials` | | 60 | 0.5⁶⁰ ≈ 1e-18: beyond this the step is below rounding |
//!
//! Reference: L. Armijo (1966), *Minimization of functions having Lipschitz continuous first
//! partial derivatives*, Pacific J. Math. 16(1).

use super::{Accepted, LineSearch, LineSearchFailure, Phi};
use crate::error::{in_unit_interval, positive};
use crate::{Error, Result};

/// Armijo backtracking with quadratic/cubic interpolation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtracking {
    /// Sufficient-decrease constant c₁ ∈ (0, 1).
    pub c1: f64,
    /// Smallest factor by which a rejected step shrinks, in (0, `shrink_max`].
    pub shrink_min: f64,
    /// Largest factor by which a rejected step shrinks, in [`shrink_min`, 1).
    pub shrink_max: f64,
    /// Factor ≥ 1 from the previous accepted step to the next first trial (1: always restart
    /// from the method's learning rate).
    pub growth: f64,
    /// Evaluations of φ allowed per search (≥ 1).
    pub max_trials: usize,
}

impl Default for Backtracking {
    fn default() -> Self {
        Self { c1: 1e-4, shrink_min: 0.1, shrink_max: 0.5, growth: 2.0, max_trials: 60 }
    }
}

impl LineSearch for Backtracking {
    fn validate(&self) -> Result<()> {
        in_unit_interval("c1", self.c1)?;
        in_unit_interval("shrink_min", self.shrink_min)?;
        in_unit_interval("shrink_max", self.shrink_max)?;
        if self.shrink_min > self.shrink_max {
            return Err(Error::InvalidHyperparameter {
                name: "shrink_min",
                value: self.shrink_min,
                valid: "at most shrink_max",
            });
        }
        if !(positive("growth", self.growth)? >= 1.0) {
            return Err(Error::InvalidHyperparameter {
                name: "growth",
                value: self.growth,
                valid: "at least 1 and finite",
            });
        }
        crate::error::at_least_one("max_trials", self.max_trials)?;
        Ok(())
    }

    fn initial_step(&self, base: f64, previous: Option<f64>) -> f64 {
        previous.map_or(base, |t| t * self.growth)
    }

    fn search(
        &self,
        phi: &mut dyn Phi,
        phi0: f64,
        dphi0: f64,
        t0: f64,
    ) -> Result<Accepted, LineSearchFailure> {
        if !(dphi0 < 0.0) {
            return Err(LineSearchFailure::NotDescent { slope: dphi0 });
        }
        let mut t = t0;
        let mut older: Option<(f64, f64)> = None;
        for evaluations in 1..=self.max_trials {
            let value = phi.value(t);
            if value <= phi0 + self.c1 * t * dphi0 {
                return Ok(Accepted { step: t, value, evaluations });
            }
            let next = if !value.is_finite() {
                self.shrink_min * t
            } else {
                match older {
                    None => quadratic_minimizer(phi0, dphi0, t, value),
                    Some((t_old, value_old)) => {
                        cubic_minimizer(phi0, dphi0, t_old, value_old, t, value)
                    }
                }
            };
            older = value.is_finite().then_some((t, value));
            // Safeguard (N&W §3.5); a NaN from a degenerate interpolant falls to shrink_max.
            let low = self.shrink_min * t;
            let high = self.shrink_max * t;
            t = if next >= low {
                next.min(high)
            } else if next < low {
                low
            } else {
                high
            };
        }
        Err(LineSearchFailure::NoAcceptableStep { evaluations: self.max_trials, last_step: t })
    }
}

/// Minimiser of the quadratic q with q(0) = φ₀, q'(0) = φ'₀, q(t) = φₜ (N&W eq. 3.57).
fn quadratic_minimizer(phi0: f64, dphi0: f64, t: f64, phi_t: f64) -> f64 {
    -dphi0 * t * t / (2.0 * (phi_t - phi0 - dphi0 * t))
}

/// Minimiser of the cubic through φ(0), φ'(0), φ(t₀), φ(t₁) (N&W eqs. 3.58–3.59).
fn cubic_minimizer(phi0: f64, dphi0: f64, t0: f64, phi_t0: f64, t1: f64, phi_t1: f64) -> f64 {
    let r1 = phi_t1 - phi0 - dphi0 * t1;
    let r0 = phi_t0 - phi0 - dphi0 * t0;
    let denominator = t0 * t0 * t1 * t1 * (t1 - t0);
    let a = (t0 * t0 * r1 - t1 * t1 * r0) / denominator;
    let b = (-t0 * t0 * t0 * r1 + t1 * t1 * t1 * r0) / denominator;
    if a == 0.0 {
        return -dphi0 / (2.0 * b);
    }
    (-b + (b * b - 3.0 * a * dphi0).sqrt()) / (3.0 * a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_search::FnPhi;
    use proptest::prelude::*;

    #[test]
    fn quadratic_interpolation_lands_on_the_minimiser_of_a_parabola() {
        // φ(t) = (t − 0.3)², φ(0) = 0.09, φ'(0) = −0.6; from t₀ = 1 the interpolant is φ itself.
        let mut phi = FnPhi::new(|t: f64| ((t - 0.3) * (t - 0.3), 2.0 * (t - 0.3)));
        let accepted = Backtracking::default().search(&mut phi, 0.09, -0.6, 1.0).unwrap();
        assert!((accepted.step - 0.3).abs() < 1e-15, "{accepted:?}");
        assert_eq!(accepted.evaluations, 2);
    }

    #[test]
    fn cubic_interpolation_recovers_a_cubic_minimiser() {
        // φ(t) = t³ − 3t + 5 has φ'(1) = 0 and is its own cubic interpolant.
        let x = cubic_minimizer(5.0, -3.0, 3.0, 23.0, 2.0, 7.0);
        assert!((x - 1.0).abs() < 1e-12, "{x}");
    }

    #[test]
    fn a_rising_direction_is_refused() {
        let mut phi = FnPhi::new(|t: f64| (t, 1.0));
        assert_eq!(
            Backtracking::default().search(&mut phi, 0.0, 1.0, 1.0),
            Err(LineSearchFailure::NotDescent { slope: 1.0 })
        );
    }

    #[test]
    fn steps_outside_the_domain_are_shrunk_past() {
        // φ(t) = −ln(1 − t) − t·2 is defined only for t < 1.
        let mut phi = FnPhi::new(|t: f64| {
            let v = if t < 1.0 { -(1.0 - t).ln() - 2.0 * t } else { f64::NAN };
            (v, 1.0 / (1.0 - t) - 2.0)
        });
        let a = Backtracking::default().search(&mut phi, 0.0, -1.0, 10.0).unwrap();
        assert!(a.step < 1.0 && a.value <= -1e-4 * a.step);
    }

    #[test]
    fn exhausting_the_budget_is_an_honest_failure() {
        // Decrease below rounding: φ is flat to the last bit.
        let mut phi = FnPhi::new(|_t: f64| (1.0, 0.0));
        let search = Backtracking { max_trials: 5, ..Backtracking::default() };
        assert!(matches!(
            search.search(&mut phi, 1.0, -1.0, 1.0),
            Err(LineSearchFailure::NoAcceptableStep { evaluations: 5, .. })
        ));
    }

    #[test]
    fn invalid_settings_name_the_field() {
        let bad = Backtracking { c1: 1.5, ..Backtracking::default() };
        assert!(matches!(bad.validate(), Err(Error::InvalidHyperparameter { name: "c1", .. })));
        let bad = Backtracking { shrink_min: 0.6, ..Backtracking::default() };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidHyperparameter { name: "shrink_min", .. })
        ));
        let bad = Backtracking { growth: 0.5, ..Backtracking::default() };
        assert!(matches!(bad.validate(), Err(Error::InvalidHyperparameter { name: "growth", .. })));
    }

    proptest! {
        /// On any smooth 1-D function with φ'(0) < 0, an accepted step satisfies Armijo and
        /// the search's interpolated steps respect the safeguards.
        #[test]
        fn accepted_steps_satisfy_armijo(a in 0.1f64..100.0, b in -5.0f64..5.0, c in 0.0f64..3.0, t0 in 1e-3f64..1e3) {
            // φ(t) = a(t − 1)² + c·sin(b·t) − a, shifted so φ'(0) = −2a + c·b may be either sign.
            let phi_fn = |t: f64| (a * (t - 1.0).powi(2) + c * (b * t).sin() - a, 2.0 * a * (t - 1.0) + c * b * (b * t).cos());
            let (phi0, dphi0) = phi_fn(0.0);
            prop_assume!(dphi0 < -1e-3);
            let mut phi = FnPhi::new(phi_fn);
            let search = Backtracking::default();
            let accepted = search.search(&mut phi, phi0, dphi0, t0).unwrap();
            prop_assert!(accepted.value <= phi0 + search.c1 * accepted.step * dphi0);
            prop_assert!(accepted.step <= t0 && accepted.step > 0.0);
            prop_assert_eq!(accepted.value, phi_fn(accepted.step).0);
        }
    }
}
