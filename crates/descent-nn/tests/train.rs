//! The training loop on the bundled digits: the accuracies the issue asks for, the confusion
//! matrix's bookkeeping, reproducibility and early stopping.
//!
//! Setup shared by all tests: a seeded 80/20 stratified split (1,438 training and 359 test
//! digits), standardised with the training set's μ and σ, Adam (PyTorch's defaults
//! β = (0.9, 0.999), ε = 1e-8), parameters initialised with seed 3.

use descent::first_order::{Adam, Optimizer};
use descent_nn::data::Standardizer;
use descent_nn::model::Scalar;
use descent_nn::train::{TrainConfig, TrainReport, train};
use descent_nn::{Activation, Dataset, Error, Mlp, Model, SoftmaxRegression};

/// The accuracy tests run on these two split seeds (one split could be lucky).
const SPLITS: [u64; 2] = [0, 1];

fn digits_split(split_seed: u64) -> (Dataset, Dataset) {
    let (mut train_set, mut test_set) = Dataset::digits().split(0.2, split_seed).unwrap();
    let s = Standardizer::fit(&train_set);
    s.apply(&mut train_set).unwrap();
    s.apply(&mut test_set).unwrap();
    (train_set, test_set)
}

fn digits() -> (Dataset, Dataset) {
    digits_split(7)
}

fn run<T: Scalar>(
    model: &impl Model,
    lr: f64,
    config: &TrainConfig,
    data: &(Dataset, Dataset),
) -> (Vec<T>, TrainReport) {
    let mut params: Vec<T> = model.init_params(3);
    let mut opt = Optimizer::new(Adam::torch(lr).rule(), params.len()).unwrap();
    let report = train(model, &mut params, &mut opt, &data.0, &data.1, config, |_| {}).unwrap();
    (params, report)
}

fn check_confusion(report: &TrainReport, test: &Dataset) {
    let c = report.classes;
    assert_eq!(report.confusion.len(), c * c);
    assert_eq!(report.confusion.iter().sum::<usize>(), test.len(), "sums to the test size");
    let trace: usize = (0..c).map(|k| report.confusion_at(k, k)).sum();
    let accuracy = report.epochs.last().unwrap().test_accuracy;
    assert_eq!(trace, (accuracy * test.len() as f64).round() as usize, "trace = correct count");
    // Row k sums to the number of test examples of class k.
    for (k, &count) in test.class_counts().iter().enumerate() {
        assert_eq!((0..c).map(|p| report.confusion_at(k, p)).sum::<usize>(), count);
    }
}

/// Softmax regression (a linear model: 650 parameters), Adam lr 1e-2, batch 32, 30 epochs,
/// f32: at least 95% of the 359 test digits (at least 342 correct).
#[test]
fn softmax_regression_reaches_95_percent() {
    for split in SPLITS {
        let data = digits_split(split);
        let model = SoftmaxRegression::new(64, 10).unwrap();
        let config = TrainConfig { epochs: 30, batch: 32, seed: 11, patience: None };
        let (_, report) = run::<f32>(&model, 1e-2, &config, &data);
        let last = report.epochs.last().unwrap();
        assert_eq!(report.epochs.len(), 30);
        assert!(last.test_accuracy >= 0.95, "split {split}: test accuracy {}", last.test_accuracy);
        assert!(report.epochs[0].train_loss > last.train_loss, "training lowers the loss");
        check_confusion(&report, &data.1);
    }
}

/// One hidden layer of 64 ReLU units (He init), L2 λ = 1e-3 on the weights, Adam lr 3e-3,
/// batch 32, 30 epochs, f32: at least 97% of the 359 test digits (at least 349 correct).
#[test]
fn mlp_one_hidden_layer_reaches_97_percent() {
    for split in SPLITS {
        let data = digits_split(split);
        let model = Mlp::new(64, &[64], 10, Activation::Relu).unwrap().with_l2(1e-3).unwrap();
        let config = TrainConfig { epochs: 30, batch: 32, seed: 11, patience: None };
        let (_, report) = run::<f32>(&model, 3e-3, &config, &data);
        let last = report.epochs.last().unwrap();
        assert!(last.test_accuracy >= 0.97, "split {split}: test accuracy {}", last.test_accuracy);
        assert!(last.train_accuracy >= last.test_accuracy);
        check_confusion(&report, &data.1);
    }
}

/// Same seed, same bits; another epoch-order seed, other parameters.
#[test]
fn same_seed_gives_bit_identical_parameters() {
    let data = digits();
    let model = Mlp::new(64, &[32], 10, Activation::Tanh).unwrap();
    let config = TrainConfig { epochs: 3, batch: 50, seed: 5, patience: None };
    let (a, ra) = run::<f32>(&model, 1e-3, &config, &data);
    let (b, rb) = run::<f32>(&model, 1e-3, &config, &data);
    assert_eq!(a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), {
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    });
    assert_eq!(ra, rb);
    let other = TrainConfig { seed: 6, ..config };
    let (c, _) = run::<f32>(&model, 1e-3, &other, &data);
    assert_ne!(a, c, "the seed drives the epoch order");
}

/// With patience p the run stops p epochs after the best test loss and returns the best
/// epoch's parameters (a learning rate of 0.5 on softmax regression overfits/oscillates fast).
#[test]
fn early_stopping_restores_the_best_epoch() {
    let data = digits();
    let model = SoftmaxRegression::new(64, 10).unwrap();
    let config = TrainConfig { epochs: 200, batch: 16, seed: 2, patience: Some(3) };
    let (params, report) = run::<f64>(&model, 0.5, &config, &data);
    assert!(report.stopped_early);
    let n = report.epochs.len();
    assert_eq!(report.best_epoch + 3 + 1, n, "stops exactly p epochs after the best");
    let best = report.epochs[report.best_epoch];
    assert!(report.epochs.iter().all(|e| e.test_loss >= best.test_loss));
    // The returned parameters are the best epoch's: their test accuracy is that epoch's.
    let mut ws = model.workspace::<f64>(data.1.len());
    let x: Vec<f64> = data.1.features_f64();
    let mut pred = vec![0; data.1.len()];
    model.predict(&params, &x, &mut ws, &mut pred).unwrap();
    let correct = pred.iter().zip(data.1.labels()).filter(|&(&p, &y)| p == usize::from(y)).count();
    assert_eq!(correct, (best.test_accuracy * data.1.len() as f64).round() as usize);
    check_confusion_for_best(&report, correct);
}

fn check_confusion_for_best(report: &TrainReport, correct: usize) {
    let trace: usize = (0..report.classes).map(|k| report.confusion_at(k, k)).sum();
    assert_eq!(trace, correct);
}

/// The callback sees every epoch, in order.
#[test]
fn on_epoch_sees_each_epoch() {
    let data = digits();
    let model = SoftmaxRegression::new(64, 10).unwrap();
    let mut params: Vec<f32> = model.init_params(0);
    let mut opt = Optimizer::new(Adam::torch(1e-2).rule(), params.len()).unwrap();
    let config = TrainConfig { epochs: 4, batch: 64, seed: 0, patience: None };
    let mut seen = Vec::new();
    let report =
        train(&model, &mut params, &mut opt, &data.0, &data.1, &config, |s| seen.push(*s)).unwrap();
    assert_eq!(seen, report.epochs);
    assert_eq!(seen.iter().map(|s| s.epoch).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    // 1438 training examples in batches of 64: 23 steps per epoch.
    assert_eq!(data.0.len(), 1438);
    assert_eq!(opt.steps(), 4 * 23);
}

#[test]
fn bad_configuration_gives_typed_errors() {
    let data = digits();
    let model = SoftmaxRegression::new(64, 10).unwrap();
    let mut params: Vec<f32> = model.init_params(0);
    let mut opt = Optimizer::new(Adam::torch(1e-2).rule(), params.len()).unwrap();
    for config in [
        TrainConfig { epochs: 0, batch: 32, seed: 0, patience: None },
        TrainConfig { epochs: 1, batch: 0, seed: 0, patience: None },
    ] {
        let e = train(&model, &mut params, &mut opt, &data.0, &data.1, &config, |_| {});
        assert!(matches!(e, Err(Error::InvalidHyperparameter { .. })), "{e:?}");
    }
    let config = TrainConfig { epochs: 1, batch: 32, seed: 0, patience: None };
    let wrong = SoftmaxRegression::new(63, 10).unwrap();
    let mut p2: Vec<f32> = wrong.init_params(0);
    let mut o2 = Optimizer::new(Adam::torch(1e-2).rule(), p2.len()).unwrap();
    let e = train(&wrong, &mut p2, &mut o2, &data.0, &data.1, &config, |_| {});
    assert!(matches!(e, Err(Error::DimensionMismatch { .. })), "{e:?}");
}
