//! Reduce-on-plateau: cut the learning rate when the loss stops improving.
//!
//! Unlike the [`Schedule`](super::Schedule)s, which are pure functions of the step, this one
//! watches the loss, so it is an observer: feed it each loss with
//! [`ReduceOnPlateau::observe`] and hand the scale it returns to
//! [`Optimizer::set_learning_rate_scale`](super::Optimizer::set_learning_rate_scale), which
//! multiplies the rate of every [`LearningRate`](super::rule::LearningRate) rule (the scale is
//! part of the saved state). [`FirstOrder::with_plateau`](super::FirstOrder::with_plateau) does
//! this inside the driver.
//!
//! The rule is torch's `ReduceLROnPlateau` (mode `min`, threshold mode `rel`): a loss counts as
//! an improvement when it is below best·(1 − `threshold`); after more than `patience`
//! observations without one the scale is multiplied by `factor` (not below `min_scale`), then
//! `cooldown` observations pass before counting resumes.

use serde::{Deserialize, Serialize};

use crate::error::{in_unit_interval, tolerance};
use crate::{Error, Result};

/// Torch's `ReduceLROnPlateau` as a scale on the learning rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceOnPlateau {
    /// Multiplier applied at a plateau, in (0, 1) (torch default 0.1).
    pub factor: f64,
    /// Observations without improvement tolerated (torch default 10).
    pub patience: u64,
    /// Relative improvement that counts (torch default 1e-4).
    pub threshold: f64,
    /// Observations to wait after a reduction (torch default 0).
    pub cooldown: u64,
    /// The scale never goes below this (torch's `min_lr` over the base rate; default 0).
    pub min_scale: f64,
    best: f64,
    bad: u64,
    cooling: u64,
    scale: f64,
}

impl Default for ReduceOnPlateau {
    fn default() -> Self {
        Self::new(0.1, 10)
    }
}

impl ReduceOnPlateau {
    /// A plateau rule with torch's defaults for everything but `factor` and `patience`.
    #[must_use]
    pub fn new(factor: f64, patience: u64) -> Self {
        Self {
            factor,
            patience,
            threshold: 1e-4,
            cooldown: 0,
            min_scale: 0.0,
            best: f64::INFINITY,
            bad: 0,
            cooling: 0,
            scale: 1.0,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        in_unit_interval("factor", self.factor)?;
        tolerance("threshold", self.threshold)?;
        tolerance("min_scale", self.min_scale)?;
        if self.min_scale > 1.0 {
            return Err(Error::InvalidHyperparameter {
                name: "min_scale",
                value: self.min_scale,
                valid: "at most 1",
            });
        }
        Ok(())
    }

    /// The current scale on the learning rate (1 until the first plateau).
    #[must_use]
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Records a loss and returns the scale to use from now on.
    pub fn observe(&mut self, loss: f64) -> f64 {
        if loss < self.best * (1.0 - self.threshold)
            || self.best == f64::INFINITY && loss < self.best
        {
            self.best = loss;
            self.bad = 0;
        } else {
            self.bad += 1;
        }
        if self.cooling > 0 {
            self.cooling -= 1;
            self.bad = 0;
        }
        if self.bad > self.patience {
            self.scale = (self.scale * self.factor).max(self.min_scale);
            self.cooling = self.cooldown;
            self.bad = 0;
        }
        self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_drops_after_patience_is_exhausted_and_waits_out_the_cooldown() {
        let mut p = ReduceOnPlateau { cooldown: 2, ..ReduceOnPlateau::new(0.5, 2) };
        // Improving: no change.
        for loss in [10.0, 9.0, 8.0] {
            assert_eq!(p.observe(loss), 1.0);
        }
        // Three flat observations: more than patience = 2 → halve.
        assert_eq!(p.observe(8.0), 1.0);
        assert_eq!(p.observe(8.0), 1.0);
        assert_eq!(p.observe(8.0), 0.5);
        // Cooldown of 2, then patience again: the next cut comes 2 + 3 observations later.
        let scales: Vec<f64> = (0..5).map(|_| p.observe(8.0)).collect();
        assert_eq!(scales, [0.5, 0.5, 0.5, 0.5, 0.25]);
        // An improvement smaller than the relative threshold does not count.
        let mut q = ReduceOnPlateau::new(0.1, 0);
        q.observe(1.0);
        assert_eq!(q.observe(1.0 - 1e-6), 0.1);
    }

    #[test]
    fn invalid_settings_are_named() {
        let bad = ReduceOnPlateau::new(1.0, 3);
        assert!(matches!(bad.validate(), Err(Error::InvalidHyperparameter { name: "factor", .. })));
    }
}
