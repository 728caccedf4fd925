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
