//! The numbers behind the tour's chapter on learning (`descent tour`, chapter 7): the
//! experiment runs here and returns what the narrative quotes, so that every claim the chapter
//! makes is also a tested value. No I/O, as in `descent::tour`.
//!
//! | function | claim |
//! |---|---|
//! | [`logit_gradient`] | for one digit, the gradient of −log p_y with respect to the logits z is p − y: it sums to 0, only the true class's entry is negative, and it matches central differences of the loss in z (and the model's own back-propagated ∂L/∂b of the last layer) |
//! | [`training_run`] | a 64-64-10 ReLU MLP trained with Adam for a dozen epochs on the seeded 80/20 split of the bundled digits classifies ≥ 95 % of the test set |
//! | [`learning`] | both together: the same digit's p − y at the seeded initialisation and after the run, where ‖p − y‖ has shrunk toward 0 |
//!
//! # The chapter's equations
//! ```text
//! z = f(θ; x) ∈ ℝᴷ                 logits of the MLP for the digit x
//! p_k = exp(z_k) / Σ_j exp(z_j)    softmax
//! L = −log p_y                     cross-entropy of the true class y
//! ∂L/∂z = p − y                    y one-hot (see crate::loss)
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | x | one digit, 64 standardised pixels |
//! | y | its label, also written as the one-hot vector y ∈ {0, 1}ᴷ |
//! | K | classes (10) |
//! | θ | the MLP's flat parameter buffer |
//! | h | the central-difference step ([`FD_STEP`]) |
//!
//! # Example
//! ```
//! use descent_nn::tour::{LearningSettings, learning};
//! let chapter = learning(&LearningSettings::default())?;
//! assert!(chapter.after.gradient_norm() < chapter.before.gradient_norm());
//! assert!(chapter.run.final_stats().test_accuracy >= 0.95);
//! # Ok::<(), descent_nn::Error>(())
//! ```

use descent::first_order::{Adam, Optimizer};

use crate::data::Standardizer;
use crate::loss::{softmax_cross_entropy, softmax_cross_entropy_value};
use crate::model::{Activation, Mlp, Model};
use crate::train::{EpochStats, TrainConfig, TrainReport, train};
use crate::{Dataset, Error, Result};

/// The central-difference step h in the logits: the truncation error h²·|∂³L|/6 ≈ 10⁻¹¹ and the
/// rounding error ε/h ≈ 10⁻¹¹ balance near it.
pub const FD_STEP: f64 = 1e-5;

/// How the chapter's experiment is set up; [`Default`] is what the tour runs.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningSettings {
    /// The fraction of each class held out as the test set ([`Dataset::split`]).
    pub test_fraction: f64,
    /// Seeds the stratified split.
    pub split_seed: u64,
    /// Hidden layer widths of the MLP (ReLU, He initialisation).
    pub hidden: Vec<usize>,
    /// Seeds the MLP's initial parameters ([`Model::init`]).
    pub init_seed: u64,
    /// Adam's learning rate (PyTorch's defaults otherwise: β = (0.9, 0.999), ε = 10⁻⁸).
    pub learning_rate: f64,
    /// Epochs, minibatch size and the seed of the epochs' orders.
    pub train: TrainConfig,
    /// Which digit of the test set the gradient bars show (an index into the test part of the
    /// split, which keeps the data set's order).
    pub digit: usize,
}

impl Default for LearningSettings {
    /// The tour's run: the 80/20 split seeded with 0, a 64-64-10 MLP initialised with seed 0,
    /// Adam with learning rate 10⁻³, 12 epochs of minibatches of 32 (order seed 0), and test
    /// digit 0 (a 6, which the untrained network takes for a 5).
    fn default() -> Self {
        Self {
            test_fraction: 0.2,
            split_seed: 0,
            hidden: vec![64],
            init_seed: 0,
            learning_rate: 1e-3,
            train: TrainConfig { epochs: 12, batch: 32, seed: 0, patience: None },
            digit: 0,
        }
    }
}

/// The gradient of one digit's loss with respect to the logits, and how it was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitGradient {
    /// The true class y.
    pub label: usize,
    /// The logits z.
    pub logits: Vec<f64>,
    /// p = softmax(z).
    pub probabilities: Vec<f64>,
    /// The one-hot target y.
    pub target: Vec<f64>,
    /// ∂L/∂z as [`softmax_cross_entropy`] writes it: p − y.
    pub gradient: Vec<f64>,
    /// L = −log p_y.
    pub loss: f64,
    /// maxₖ |∂L/∂z_k − (L(z + h·e_k) − L(z − h·e_k))/(2h)|, h = [`FD_STEP`].
    pub finite_difference_error: f64,
    /// maxₖ |∂L/∂b_k − (p − y)_k| for the bias b of the output layer as the model's back
    /// propagation computes it (z = W·a + b, so ∂L/∂b = ∂L/∂z exactly).
    pub backprop_error: f64,
}

impl LogitGradient {
    /// ‖p − y‖₂.
    #[must_use]
    pub fn gradient_norm(&self) -> f64 {
        self.gradient.iter().map(|g| g * g).sum::<f64>().sqrt()
    }

    /// The most probable class, argmaxₖ p_k (the first of equals).
    #[must_use]
    pub fn predicted(&self) -> usize {
        let mut best = 0;
        for (k, &p) in self.probabilities.iter().enumerate() {
            if p > self.probabilities[best] {
                best = k;
            }
        }
        best
    }
}

/// The logits of `mlp` with parameters `params` for the single input `x`: the forward pass of
/// the [layout](crate::model) written out as plain loops, z_l = W_l·a_{l−1} + b_l and
/// a_l = σ(z_l) on the hidden layers, independent of the model's batched GEMM passes.
fn logits(mlp: &Mlp, params: &[f64], x: &[f64]) -> Vec<f64> {
    let widths = mlp.widths();
    let layers = widths.len() - 1;
    let mut a = x.to_vec();
    let mut offset = 0;
    for l in 0..layers {
        let (n_in, n_out) = (widths[l], widths[l + 1]);
        let (w, rest) = params[offset..].split_at(n_out * n_in);
        let b = &rest[..n_out];
        offset += n_out * n_in + n_out;
        let mut z: Vec<f64> = w
            .chunks_exact(n_in)
            .zip(b)
            .map(|(row, &bj)| bj + row.iter().zip(&a).map(|(w, a)| w * a).sum::<f64>())
            .collect();
        if l + 1 < layers {
            match mlp.activation() {
                Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
                Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
            }
        }
        a = z;
    }
    a
}

/// The gradient of the cross-entropy −log p_y of one example with respect to its logits: z
/// from a plain forward pass, p = softmax(z), p − y from [`softmax_cross_entropy`], checked
/// against central differences of the loss in each logit and against the model's
/// back-propagated gradient of the output bias.
///
/// # Errors
/// [`Error::DimensionMismatch`] when `params` is not [`Model::num_params`] long or `x` not
/// [`Model::inputs`]; [`Error::LabelOutOfRange`] for `label` ≥ [`Model::classes`];
/// [`Error::InvalidHyperparameter`] for a model with L2 or label smoothing (then the gradient
/// is not p − y).
pub fn logit_gradient(mlp: &Mlp, params: &[f64], x: &[f64], label: usize) -> Result<LogitGradient> {
    if mlp.l2() != 0.0 || mlp.label_smoothing() != 0.0 {
        return Err(Error::InvalidHyperparameter {
            name: "l2 or label smoothing",
            value: mlp.l2().max(mlp.label_smoothing()),
            valid: "0 (the chapter's gradient is the plain p − y)",
        });
    }
    // The model's gradient checks the lengths and the label.
    let mut ws = mlp.workspace::<f64>(1);
    let mut grads = vec![0.0; params.len()];
    mlp.loss_grad(params, x, &[label], &mut ws, &mut grads)?;
    let classes = mlp.classes();
    let z = logits(mlp, params, x);
    let mut gradient = vec![0.0; classes];
    let loss = softmax_cross_entropy(&z, &[label], classes, 0.0, &mut gradient)?;
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|&zk| (zk - m).exp()).collect();
    let s: f64 = e.iter().sum();
    let probabilities = e.iter().map(|ek| ek / s).collect();
    let target = (0..classes).map(|k| if k == label { 1.0 } else { 0.0 }).collect();
    let mut shifted = z.clone();
    let mut finite_difference_error = 0.0f64;
    for k in 0..classes {
        shifted[k] = z[k] + FD_STEP;
        let up = softmax_cross_entropy_value(&shifted, &[label], classes, 0.0)?;
        shifted[k] = z[k] - FD_STEP;
        let down = softmax_cross_entropy_value(&shifted, &[label], classes, 0.0)?;
        shifted[k] = z[k];
        let central = (up - down) / (2.0 * FD_STEP);
        finite_difference_error = finite_difference_error.max((gradient[k] - central).abs());
    }
    // The output layer's bias is the buffer's last `classes` entries.
    let bias_grad = &grads[grads.len() - classes..];
    let backprop_error =
        bias_grad.iter().zip(&gradient).map(|(b, g)| (b - g).abs()).fold(0.0, f64::max);
    Ok(LogitGradient {
        label,
        logits: z,
        probabilities,
        target,
        gradient,
        loss,
        finite_difference_error,
        backprop_error,
    })
}

/// A finished training run with what it started from.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRun {
    /// The network.
    pub model: Mlp,
    /// θ at the seeded initialisation.
    pub initial: Vec<f64>,
    /// θ after the last epoch.
    pub trained: Vec<f64>,
    /// The standardised training set (the split's 80 %).
    pub train_set: Dataset,
    /// The standardised test set (the split's 20 %).
    pub test_set: Dataset,
    /// The test set's pixels as read (0–16), for drawing the digits.
    pub test_raw: Dataset,
    /// Per-epoch statistics, the confusion matrix.
    pub report: TrainReport,
}

impl TrainingRun {
    /// The last epoch's statistics.
    ///
    /// # Panics
    /// Never: [`train`] runs at least one epoch.
    #[must_use]
    pub fn final_stats(&self) -> EpochStats {
        *self.report.epochs.last().expect("train runs at least one epoch")
    }
}

/// Trains a ReLU MLP (64 inputs, `settings.hidden`, 10 classes) with Adam on the seeded split
/// of the bundled digits, standardised with the training set's statistics, in `f64`.
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for a bad split fraction, a zero hidden width, zero epochs
/// or batch, or a learning rate that is not positive and finite.
pub fn training_run(settings: &LearningSettings) -> Result<TrainingRun> {
    let lr = settings.learning_rate;
    if !(lr > 0.0 && lr.is_finite()) {
        return Err(Error::InvalidHyperparameter {
            name: "learning rate",
            value: lr,
            valid: "positive and finite",
        });
    }
    let (mut train_set, test_raw) =
        Dataset::digits().split(settings.test_fraction, settings.split_seed)?;
    let mut test_set = test_raw.clone();
    let scaler = Standardizer::fit(&train_set);
    scaler.apply(&mut train_set)?;
    scaler.apply(&mut test_set)?;
    let model = Mlp::new(train_set.dim(), &settings.hidden, 10, Activation::Relu)?;
    let initial: Vec<f64> = model.init_params(settings.init_seed);
    let mut trained = initial.clone();
    let mut opt = Optimizer::new(Adam::torch(lr).rule(), trained.len())?;
    let report =
        train(&model, &mut trained, &mut opt, &train_set, &test_set, &settings.train, |_| {})?;
    Ok(TrainingRun { model, initial, trained, train_set, test_set, test_raw, report })
}

/// The whole chapter: one digit's p − y before and after the training run.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningChapter {
    /// The settings it ran with.
    pub settings: LearningSettings,
    /// The digit's 64 pixels as read (0–16, row by row), for its picture.
    pub pixels: Vec<f64>,
    /// The digit's gradient at the seeded initialisation.
    pub before: LogitGradient,
    /// The same digit's gradient after the run.
    pub after: LogitGradient,
    /// The training run.
    pub run: TrainingRun,
}

/// Runs [`training_run`] and [`logit_gradient`] on test digit `settings.digit` with the
/// initial and the trained parameters.
///
/// # Errors
/// As [`training_run`]; [`Error::InvalidHyperparameter`] when `settings.digit` is not an index
/// of the test set.
pub fn learning(settings: &LearningSettings) -> Result<LearningChapter> {
    let run = training_run(settings)?;
    let i = settings.digit;
    if i >= run.test_set.len() {
        return Err(Error::InvalidHyperparameter {
            name: "digit",
            value: i as f64,
            valid: "an index of the test set",
        });
    }
    let x: Vec<f64> = run.test_set.row(i).iter().map(|&v| f64::from(v)).collect();
    let label = usize::from(run.test_set.labels()[i]);
    let before = logit_gradient(&run.model, &run.initial, &x, label)?;
    let after = logit_gradient(&run.model, &run.trained, &x, label)?;
    let pixels = run.test_raw.row(i).iter().map(|&v| f64::from(v)).collect();
    Ok(LearningChapter { settings: settings.clone(), pixels, before, after, run })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Σₖ (p − y)_k = Σ p − 1 = 0 to rounding.
    const SUM_TOL: f64 = 1e-12;
    /// Central differences with h = 10⁻⁵ in f64.
    const FD_TOL: f64 = 1e-7;

    fn chapter() -> LearningChapter {
        learning(&LearningSettings::default()).unwrap()
    }

    fn check_gradient(g: &LogitGradient) {
        assert!(g.gradient.iter().sum::<f64>().abs() <= SUM_TOL, "{:?}", g.gradient);
        assert!((g.probabilities.iter().sum::<f64>() - 1.0).abs() <= SUM_TOL);
        for k in 0..g.gradient.len() {
            // p − y, entry by entry, from the separately computed softmax and one-hot.
            assert!((g.gradient[k] - (g.probabilities[k] - g.target[k])).abs() <= 1e-15);
            // Only the true class's entry is negative: p_y − 1 < 0, p_k ≥ 0 elsewhere.
            assert_eq!(g.gradient[k] < 0.0, k == g.label, "class {k}: {:?}", g.gradient);
        }
        assert!(g.finite_difference_error <= FD_TOL, "{}", g.finite_difference_error);
        assert!(g.backprop_error <= 1e-12, "{}", g.backprop_error);
        assert!((g.loss + g.probabilities[g.label].ln()).abs() <= 1e-12);
    }

    #[test]
    fn p_minus_y_sums_to_zero_matches_central_differences_and_shrinks_with_training() {
        let c = chapter();
        check_gradient(&c.before);
        check_gradient(&c.after);
        assert_eq!(c.before.label, c.after.label);
        assert_eq!(c.pixels.len(), 64);
        assert!(c.pixels.iter().all(|&v| (0.0..=16.0).contains(&v)));
        // Training pulled p toward y on this test digit, which it never trained on.
        assert!(c.after.gradient_norm() < 0.5 * c.before.gradient_norm(), "{c:?}");
        assert!(c.after.loss < c.before.loss);
        assert_eq!(c.after.predicted(), c.after.label);
        // The loss of the model's own batched pass on the digit agrees with the plain one.
        let x: Vec<f64> = c.run.test_set.row(0).iter().map(|&v| f64::from(v)).collect();
        let mut ws = c.run.model.workspace(1);
        let model_loss = c.run.model.loss(&c.run.trained, &x, &[c.after.label], &mut ws).unwrap();
        assert!((model_loss - c.after.loss).abs() <= 1e-12);
    }

    #[test]
    fn a_dozen_epochs_classify_most_of_the_test_set() {
        let c = chapter();
        let epochs = &c.run.report.epochs;
        assert_eq!(epochs.len(), 12);
        assert!(c.run.final_stats().test_accuracy >= 0.95, "{:?}", c.run.final_stats());
        assert!(epochs[11].train_loss < epochs[0].train_loss);
        // 1,797 digits, 20 % of each class held out.
        assert_eq!(c.run.train_set.len() + c.run.test_set.len(), 1797);
        assert_eq!(c.run.model.widths(), &[64, 64, 10]);
        // The same settings give the same bits.
        assert_eq!(chapter().run.trained, c.run.trained);
    }

    #[test]
    fn the_gradient_of_uniform_logits_is_a_tenth_but_for_the_true_class() {
        // All-zero parameters: z = 0, p = 1/K, p − y = 0.1 except −0.9 at the label.
        let mlp = Mlp::new(3, &[4], 10, Activation::Relu).unwrap();
        let params = vec![0.0; mlp.num_params()];
        let g = logit_gradient(&mlp, &params, &[1.0, -2.0, 0.5], 7).unwrap();
        for (k, &gk) in g.gradient.iter().enumerate() {
            let expected = if k == 7 { 0.1 - 1.0 } else { 0.1 };
            assert!((gk - expected).abs() <= 1e-15, "{k}: {gk}");
        }
        assert!((g.loss - 10f64.ln()).abs() <= 1e-15);
        check_gradient(&g);
    }

    #[test]
    fn bad_settings_are_errors() {
        let mlp = Mlp::new(3, &[], 10, Activation::Relu).unwrap();
        let params = vec![0.0; mlp.num_params()];
        assert!(matches!(
            logit_gradient(&mlp, &params, &[1.0, 2.0, 3.0], 10),
            Err(Error::LabelOutOfRange { .. })
        ));
        assert!(matches!(
            logit_gradient(&mlp, &params, &[1.0, 2.0], 0),
            Err(Error::DimensionMismatch { .. })
        ));
        let l2 = mlp.clone().with_l2(0.1).unwrap();
        assert!(logit_gradient(&l2, &params, &[1.0, 2.0, 3.0], 0).is_err());
        let bad = LearningSettings { digit: 10_000, ..LearningSettings::default() };
        assert!(matches!(learning(&bad), Err(Error::InvalidHyperparameter { name: "digit", .. })));
        let bad = LearningSettings { learning_rate: -1.0, ..LearningSettings::default() };
        assert!(training_run(&bad).is_err());
    }
}
