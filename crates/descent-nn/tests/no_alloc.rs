//! After the workspace is made, a minibatch's loss, gradient and prediction allocate nothing:
//! checked with a global allocator that counts per thread (the test harness's own threads do
//! not interfere).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use descent_nn::model::{Activation, Mlp, Model, SoftmaxRegression};

struct Counting;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Minibatches of 64 and of a ragged last 17 rows, f32 and f64, after a first one.
fn minibatches_allocate_nothing<T: descent_nn::model::Scalar>(model: &impl Model) {
    let max_batch = 64;
    let params: Vec<T> = model.init_params(1);
    let x: Vec<T> = (0..max_batch * model.inputs())
        .map(|i| T::of(((i * 37 % 101) as f64) / 101.0 - 0.5))
        .collect();
    let labels: Vec<usize> = (0..max_batch).map(|i| i % model.classes()).collect();
    let mut grads = vec![T::zero(); model.num_params()];
    let mut out = vec![0usize; max_batch];
    let mut ws = model.workspace::<T>(max_batch);
    model.loss_grad(&params, &x, &labels, &mut ws, &mut grads).unwrap();

    let before = allocations();
    for _ in 0..3 {
        model.loss_grad(&params, &x, &labels, &mut ws, &mut grads).unwrap();
        let rows = 17;
        model
            .loss_grad(&params, &x[..rows * model.inputs()], &labels[..rows], &mut ws, &mut grads)
            .unwrap();
        model.loss(&params, &x, &labels, &mut ws).unwrap();
        model.predict(&params, &x, &mut ws, &mut out).unwrap();
    }
    assert_eq!(allocations() - before, 0, "allocations per minibatch");
}

#[test]
fn mlp_minibatch_allocates_nothing() {
    let mlp = Mlp::new(100, &[48, 32], 10, Activation::Relu).unwrap().with_l2(1e-4).unwrap();
    minibatches_allocate_nothing::<f32>(&mlp);
    minibatches_allocate_nothing::<f64>(&mlp);
    let tanh =
        Mlp::new(100, &[48], 10, Activation::Tanh).unwrap().with_label_smoothing(0.1).unwrap();
    minibatches_allocate_nothing::<f32>(&tanh);
}

#[test]
fn softmax_regression_minibatch_allocates_nothing() {
    minibatches_allocate_nothing::<f64>(&SoftmaxRegression::new(64, 10).unwrap());
}

/// A training run allocates the same amount whether it runs 1 epoch (23 minibatches) or 6
/// (138 minibatches, with early stopping's copy of the best parameters): nothing per minibatch
/// or per epoch, only the buffers made before the first epoch (after a warm-up run).
#[test]
fn training_allocates_nothing_per_minibatch() {
    use descent::first_order::{Adam, Optimizer};
    use descent_nn::train::{TrainConfig, train};

    let (train_set, test_set) = descent_nn::Dataset::digits().split(0.2, 0).unwrap();
    let model = Mlp::new(64, &[32], 10, Activation::Relu).unwrap();
    let mut per_run = Vec::new();
    // The first run pays one-time lazy initialisation (the GEMM's thread-local scratch).
    for epochs in [1, 1, 6] {
        let mut params: Vec<f32> = model.init_params(0);
        let mut opt = Optimizer::new(Adam::torch(1e-3).rule(), params.len()).unwrap();
        let config = TrainConfig { epochs, batch: 64, seed: 0, patience: Some(100) };
        let before = allocations();
        let report =
            train(&model, &mut params, &mut opt, &train_set, &test_set, &config, |_| {}).unwrap();
        per_run.push(allocations() - before);
        assert_eq!(report.epochs.len(), epochs);
        drop(report);
    }
    assert_eq!(per_run[1], per_run[2], "allocations of a 1-epoch and a 6-epoch run");
}

/// The regression head's value, gradient and Hessian-vector product allocate nothing either.
#[test]
fn regression_gradient_and_hvp_allocate_nothing() {
    fn check<T: descent_nn::model::Scalar>(act: Activation) {
        let mlp = Mlp::regression(1, &[40, 40], 1, act).unwrap().with_l2(1e-3).unwrap();
        let params: Vec<T> = mlp.init_params(1);
        let n = params.len();
        let x: Vec<T> = (0..10).map(|i| T::of(i as f64 / 2.0 - 2.5)).collect();
        let y: Vec<T> = x.iter().map(|&x| x.sin()).collect();
        let v = params.clone();
        let (mut g, mut h, mut out) = (vec![T::zero(); n], vec![T::zero(); n], vec![T::zero(); 10]);
        let mut ws = mlp.workspace::<T>(10);
        mlp.mse_hvp(&params, &x, &y, &v, &mut ws, &mut g, &mut h).unwrap();
        let before = allocations();
        for rows in [10, 3] {
            mlp.mse_grad(&params, &x[..rows], &y[..rows], &mut ws, &mut g).unwrap();
            mlp.mse_hvp(&params, &x[..rows], &y[..rows], &v, &mut ws, &mut g, &mut h).unwrap();
            mlp.mse(&params, &x[..rows], &y[..rows], &mut ws).unwrap();
            mlp.forward_values(&params, &x[..rows], &mut ws, &mut out[..rows]).unwrap();
        }
        assert_eq!(allocations() - before, 0, "allocations per call");
    }
    check::<f32>(Activation::Relu);
    check::<f64>(Activation::Relu);
    check::<f32>(Activation::Tanh);
    check::<f64>(Activation::Tanh);
}
