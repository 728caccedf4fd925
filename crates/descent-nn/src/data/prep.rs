//! Preparing a data set for training: the stratified split, standardisation and the seeded
//! order of each epoch.

use rand::SeedableRng as _;
use rand::seq::SliceRandom as _;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Dataset;
use crate::{Error, Result};

impl Dataset {
    /// A seeded stratified split into `(train, test)`: each class contributes
    /// round(`test_fraction` × its count) examples to the test set, chosen by a ChaCha8
    /// shuffle of that class's examples seeded with `seed`, so each class keeps its proportion
    /// in both sets and the same seed gives the same split. Both sets keep the original order
    /// of the examples.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when `test_fraction` is not in (0, 1).
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(Error::InvalidHyperparameter {
                name: "test_fraction",
                value: test_fraction,
                valid: "in (0, 1)",
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut by_class = vec![Vec::new(); self.classes()];
        for (i, &y) in self.labels().iter().enumerate() {
            by_class[usize::from(y)].push(i);
        }
        let mut is_test = vec![false; self.len()];
        for members in &mut by_class {
            members.shuffle(&mut rng);
            let n_test = (test_fraction * members.len() as f64).round() as usize;
            for &i in &members[..n_test] {
                is_test[i] = true;
            }
        }
        let (test, train): (Vec<usize>, Vec<usize>) = (0..self.len()).partition(|&i| is_test[i]);
        Ok((self.subset(&train)?, self.subset(&test)?))
    }
}

/// Per-feature standardisation x ↦ (x − μ_j) / σ_j, fitted on the training set and applied
/// unchanged to every set (so no statistic of the test set leaks into training).
///
/// μ_j and σ_j are the mean and the population standard deviation (divisor n, as scikit-learn's
/// `StandardScaler`) of feature j over the training set, accumulated in `f64`.
///
/// **Constant features** (σ_j = 0, e.g. the digits' always-blank corner pixels) get σ_j = 1:
/// they become x − μ_j, which is 0 on the training set, rather than a division by zero. This is
/// scikit-learn's choice too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// μ_j, one per feature.
    pub mean: Vec<f64>,
    /// σ_j, one per feature (1 for a constant feature).
    pub scale: Vec<f64>,
}

impl Standardizer {
    /// Fits μ and σ on `train`.
    #[must_use]
    pub fn fit(train: &Dataset) -> Self {
        let d = train.dim();
        let n = train.len().max(1) as f64;
        let mut mean = vec![0.0; d];
        for i in 0..train.len() {
            for (m, &x) in mean.iter_mut().zip(train.row(i)) {
                *m += f64::from(x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        // Two passes (mean, then squared deviations): no cancellation as in E[x²] − E[x]².
        let mut var = vec![0.0; d];
        for i in 0..train.len() {
            for ((v, &m), &x) in var.iter_mut().zip(&mean).zip(train.row(i)) {
                *v += (f64::from(x) - m).powi(2);
            }
        }
        let scale = var
            .iter()
            .map(|&v| {
                let s = (v / n).sqrt();
                if s > 0.0 { s } else { 1.0 }
            })
            .collect();
        Self { mean, scale }
    }

    /// Standardises `data` in place with the fitted μ and σ.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `data` has a different number of features.
    pub fn apply(&self, data: &mut Dataset) -> Result<()> {
        let d = data.dim();
        if d != self.mean.len() {
            return Err(Error::DimensionMismatch {
                what: "standardised features",
                expected: self.mean.len(),
                got: d,
            });
        }
        for row in data.features_mut().chunks_exact_mut(d) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = ((f64::from(*x) - m) / s) as f32;
            }
        }
        Ok(())
    }
}

/// Writes into `order` the permutation of `0..order.len()` for epoch `epoch` of a run seeded with
/// `seed`: a Fisher–Yates shuffle driven by ChaCha8 seeded with `seed` on stream `epoch`. It
/// depends on (seed, epoch) alone, so a run resumed at epoch k recreates exactly the order the
/// uninterrupted run used; it allocates nothing. Minibatches are `order.chunks(batch)`.
pub fn fill_epoch_order(order: &mut [usize], seed: u64, epoch: u64) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    order.shuffle(&mut rng);
}

/// The permutation of `0..n` for epoch `epoch` of a run seeded with `seed` (see
/// [`fill_epoch_order`], which writes it into a caller's buffer).
#[must_use]
pub fn epoch_order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order = vec![0; n];
    fill_epoch_order(&mut order, seed, epoch);
    order
}
