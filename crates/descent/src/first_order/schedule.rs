//! Learning-rate schedules: pure functions of the step.
//!
//! `at(t)` is the rate of step t (t = 1 for the first step). Internally each formula is written
//! in k = t − 1, the number of steps already taken, so that η(k = 0) is the first rate — the
//! convention of optax's schedules and of torch's schedulers (`last_epoch` = k).
//!
//! | schedule | η(k) | as in |
//! |---|---|---|
//! | `Constant` | η | |
//! | `Step` | η·γ^⌊k/s⌋ | torch `StepLR` |
//! | `Exponential` | η·γᵏ | torch `ExponentialLR`, optax `exponential_decay` (no staircase) |
//! | `InverseTime` | η/(1 + d·k) | torch Adagrad's `lr_decay` |
//! | `Polynomial` | (η − η_end)(1 − min(k, K)/K)^p + η_end | optax `polynomial_schedule` |
//! | `WarmupCosine` | linear η₀ → η over W steps, then η_end + (η − η_end)(1 + cos(π·min(k − W, D)/D))/2 | optax `warmup_cosine_decay_schedule` (D = K − W) |
//! | `OneCycle` | cosine η/div → η over p·K steps, then cosine → η/(div·final_div) | torch `OneCycleLR` (two phases) |
//! | `Piecewise` | schedule i on [bᵢ₋₁, bᵢ), restarted at bᵢ₋₁ | optax `join_schedules` |

use serde::{Deserialize, Serialize};

use crate::error::{positive, tolerance};
use crate::{Error, Result};

/// A learning rate as a function of the step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Schedule {
    /// η at every step.
    Constant {
        /// η > 0.
        learning_rate: f64,
    },
    /// η·γ^⌊k/s⌋.
    Step {
        /// η > 0.
        learning_rate: f64,
        /// s ≥ 1 steps between decays.
        step_size: u64,
        /// γ > 0.
        gamma: f64,
    },
    /// η·γᵏ.
    Exponential {
        /// η > 0.
        learning_rate: f64,
        /// γ > 0.
        gamma: f64,
    },
    /// η/(1 + d·k).
    InverseTime {
        /// η > 0.
        learning_rate: f64,
        /// d ≥ 0.
        decay: f64,
    },
    /// (η − η_end)(1 − min(k, K)/K)^p + η_end.
    Polynomial {
        /// η > 0.
        learning_rate: f64,
        /// η_end ≥ 0.
        end_learning_rate: f64,
        /// p > 0.
        power: f64,
        /// K ≥ 1.
        steps: u64,
    },
    /// Linear warm-up from `init_learning_rate` to `peak_learning_rate` over `warmup_steps`,
    /// then cosine decay to `end_learning_rate` at `decay_steps` (total, warm-up included).
    WarmupCosine {
        /// η₀ ≥ 0.
        init_learning_rate: f64,
        /// η > 0.
        peak_learning_rate: f64,
        /// W.
        warmup_steps: u64,
        /// K > W.
        decay_steps: u64,
        /// η_end ≥ 0.
        end_learning_rate: f64,
    },
    /// torch's one-cycle policy (cosine annealing, two phases).
    OneCycle {
        /// The peak η > 0.
        max_learning_rate: f64,
        /// K ≥ 2.
        total_steps: u64,
        /// Fraction of K spent rising, in (0, 1) (torch default 0.3).
        pct_start: f64,
        /// η starts at η/div (torch default 25).
        div_factor: f64,
        /// and ends at η/(div·final_div) (torch default 1e4).
        final_div_factor: f64,
    },
    /// `schedules[i]` between `boundaries[i − 1]` and `boundaries[i]`, with its own step count
    /// restarting at the boundary.
    Piecewise {
        /// Increasing step counts k where the next schedule takes over (one fewer than
        /// `schedules`).
        boundaries: Vec<u64>,
        /// The pieces.
        schedules: Vec<Schedule>,
    },
}

impl Schedule {
    /// η for step t (t ≥ 1; t = 0 is read as 1). A schedule that fails
    /// [`validate`](Self::validate) gives NaN or a meaningless rate, never a panic.
    #[must_use]
    pub fn at(&self, t: u64) -> f64 {
        self.at_k(t.saturating_sub(1))
    }

    fn at_k(&self, k: u64) -> f64 {
        let kf = k as f64;
        match self {
            Self::Constant { learning_rate } => *learning_rate,
            Self::Step { learning_rate, step_size, gamma } => {
                learning_rate * gamma.powf((k / step_size) as f64)
            }
            Self::Exponential { learning_rate, gamma } => learning_rate * gamma.powf(kf),
            Self::InverseTime { learning_rate, decay } => learning_rate / (1.0 + decay * kf),
            Self::Polynomial { learning_rate, end_learning_rate, power, steps } => {
                let frac = 1.0 - (k.min(*steps) as f64) / (*steps as f64);
                (learning_rate - end_learning_rate) * frac.powf(*power) + end_learning_rate
            }
            Self::WarmupCosine {
                init_learning_rate,
                peak_learning_rate,
                warmup_steps,
                decay_steps,
                end_learning_rate,
            } => {
                if k < *warmup_steps {
                    let frac = kf / *warmup_steps as f64;
                    init_learning_rate + (peak_learning_rate - init_learning_rate) * frac
                } else {
                    let span = decay_steps.saturating_sub(*warmup_steps) as f64;
                    let frac = ((k - warmup_steps) as f64).min(span) / span;
                    let cosine = 0.5 * (1.0 + (std::f64::consts::PI * frac).cos());
                    end_learning_rate + (peak_learning_rate - end_learning_rate) * cosine
                }
            }
            Self::OneCycle {
                max_learning_rate,
                total_steps,
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                // torch.optim.lr_scheduler.OneCycleLR, three_phase=False, anneal 'cos'.
                let initial = max_learning_rate / div_factor;
                let min = initial / final_div_factor;
                let up_end = pct_start * *total_steps as f64 - 1.0;
                let down_end = *total_steps as f64 - 1.0;
                let anneal = |start: f64, end: f64, pct: f64| {
                    end + (start - end) / 2.0 * ((std::f64::consts::PI * pct).cos() + 1.0)
                };
                if kf <= up_end {
                    anneal(initial, *max_learning_rate, kf / up_end)
                } else {
                    let pct = ((kf - up_end) / (down_end - up_end)).min(1.0);
                    anneal(*max_learning_rate, min, pct)
                }
            }
            Self::Piecewise { boundaries, schedules } => {
                let i = boundaries.partition_point(|&b| b <= k);
                let start = if i == 0 { 0 } else { boundaries[i - 1] };
                schedules.get(i).map_or(f64::NAN, |s| s.at_k(k.saturating_sub(start)))
            }
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let invalid = |name, value, valid| Err(Error::InvalidHyperparameter { name, value, valid });
        match self {
            Self::Constant { learning_rate } => positive("learning_rate", *learning_rate).map(drop),
            Self::Step { learning_rate, step_size, gamma } => {
                positive("learning_rate", *learning_rate)?;
                positive("gamma", *gamma)?;
                if *step_size == 0 {
                    return invalid("step_size", 0.0, "at least 1");
                }
                Ok(())
            }
            Self::Exponential { learning_rate, gamma } => {
                positive("learning_rate", *learning_rate)?;
                positive("gamma", *gamma).map(drop)
            }
            Self::InverseTime { learning_rate, decay } => {
                positive("learning_rate", *learning_rate)?;
                tolerance("decay", *decay).map(drop)
            }
            Self::Polynomial { learning_rate, end_learning_rate, power, steps } => {
                positive("learning_rate", *learning_rate)?;
                tolerance("end_learning_rate", *end_learning_rate)?;
                positive("power", *power)?;
                if *steps == 0 {
                    return invalid("steps", 0.0, "at least 1");
                }
                Ok(())
            }
            Self::WarmupCosine {
                init_learning_rate,
                peak_learning_rate,
                warmup_steps,
                decay_steps,
                end_learning_rate,
            } => {
                tolerance("init_learning_rate", *init_learning_rate)?;
                positive("peak_learning_rate", *peak_learning_rate)?;
                tolerance("end_learning_rate", *end_learning_rate)?;
                if decay_steps <= warmup_steps {
                    return invalid(
                        "decay_steps",
                        *decay_steps as f64,
                        "greater than warmup_steps",
                    );
                }
                Ok(())
            }
            Self::OneCycle {
                max_learning_rate,
                total_steps,
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                positive("max_learning_rate", *max_learning_rate)?;
                positive("div_factor", *div_factor)?;
                positive("final_div_factor", *final_div_factor)?;
                if !(*pct_start > 0.0 && *pct_start < 1.0) {
                    return invalid("pct_start", *pct_start, "in (0, 1)");
                }
                let up_end = pct_start * *total_steps as f64 - 1.0;
                if !(up_end > 0.0 && up_end < *total_steps as f64 - 1.0) {
                    return invalid(
                        "total_steps",
                        *total_steps as f64,
                        "large enough that both phases have a step (pct_start·total_steps > 1)",
                    );
                }
                Ok(())
            }
            Self::Piecewise { boundaries, schedules } => {
                if schedules.len() != boundaries.len() + 1 {
                    return invalid(
                        "schedules",
                        schedules.len() as f64,
                        "one more than the boundaries",
                    );
                }
                if boundaries.windows(2).any(|w| w[0] >= w[1]) {
                    return invalid("boundaries", f64::NAN, "strictly increasing");
                }
                schedules.iter().try_for_each(Schedule::validate)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIGHT: f64 = 1e-15;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= TIGHT * b.abs().max(1.0)
    }

    #[test]
    fn closed_forms_by_hand() {
        let step = Schedule::Step { learning_rate: 0.1, step_size: 3, gamma: 0.5 };
        let rates: Vec<f64> = (1..=7).map(|t| step.at(t)).collect();
        assert_eq!(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
        let exp = Schedule::Exponential { learning_rate: 2.0, gamma: 0.5 };
        assert_eq!((exp.at(1), exp.at(4)), (2.0, 0.25));
        let inv = Schedule::InverseTime { learning_rate: 1.0, decay: 0.5 };
        assert_eq!((inv.at(1), inv.at(3)), (1.0, 0.5));
        let poly = Schedule::Polynomial {
            learning_rate: 1.0,
            end_learning_rate: 0.0,
            power: 2.0,
            steps: 4,
        };
        assert_eq!([poly.at(1), poly.at(3), poly.at(5), poly.at(99)], [1.0, 0.25, 0.0, 0.0]);
    }

    #[test]
    fn warmup_cosine_rises_linearly_then_follows_the_cosine() {
        let s = Schedule::WarmupCosine {
            init_learning_rate: 0.0,
            peak_learning_rate: 1.0,
            warmup_steps: 4,
            decay_steps: 12,
            end_learning_rate: 0.1,
        };
        assert!(close(s.at(1), 0.0) && close(s.at(3), 0.5) && close(s.at(5), 1.0));
        // Halfway through the 8 decay steps the cosine is at its midpoint.
        assert!(close(s.at(9), 0.1 + 0.9 * 0.5));
        assert!(close(s.at(13), 0.1) && close(s.at(100), 0.1));
    }

    #[test]
    fn one_cycle_matches_torch_endpoints() {
        let s = Schedule::OneCycle {
            max_learning_rate: 1.0,
            total_steps: 100,
            pct_start: 0.3,
            div_factor: 25.0,
            final_div_factor: 1e4,
        };
        assert!(close(s.at(1), 1.0 / 25.0));
        assert!(close(s.at(30), 1.0), "peak at k = 0.3·100 − 1 = 29");
        assert!(close(s.at(100), 1.0 / 25.0 / 1e4));
        assert!(s.at(60) < 1.0 && s.at(60) > s.at(80));
    }

    #[test]
    fn piecewise_restarts_each_piece_at_its_boundary() {
        let s = Schedule::Piecewise {
            boundaries: vec![2, 5],
            schedules: vec![
                Schedule::Constant { learning_rate: 1.0 },
                Schedule::Exponential { learning_rate: 0.5, gamma: 0.5 },
                Schedule::Constant { learning_rate: 0.01 },
            ],
        };
        let rates: Vec<f64> = (1..=7).map(|t| s.at(t)).collect();
        assert_eq!(rates, [1.0, 1.0, 0.5, 0.25, 0.125, 0.01, 0.01]);
    }

    #[test]
    fn invalid_schedules_name_the_field() {
        let bad = Schedule::Step { learning_rate: 0.1, step_size: 0, gamma: 0.5 };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidHyperparameter { name: "step_size", .. })
        ));
        let bad = Schedule::Constant { learning_rate: -1.0 };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidHyperparameter { name: "learning_rate", .. })
        ));
        let bad = Schedule::Piecewise { boundaries: vec![3], schedules: vec![] };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidHyperparameter { name: "schedules", .. })
        ));
    }
}
