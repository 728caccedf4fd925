//! The regression head's gradient and Hessian-vector product at MAML's size and larger.
//!
//! `mse_grad` ([`Mlp::mse_grad`]: forward, Δ_L, backward) and `mse_hvp` ([`Mlp::mse_hvp`]:
//! forward, R-forward, backward, R-backward) on one thread, f32 and f64, for the sinusoid
//! network of MAML (1-40-40-1 ReLU, batch 10, one task's support set) and a wider one
//! (1-128-128-1, batch 64). Throughput is in rows of the batch.
//!
//! Run: `cargo bench -p descent-nn --bench hvp`. Measured (2-core machine shared with other
//! builds, load ≈ 4; criterion medians, the spread is the load's):
//!
//! | group | mse_grad | mse_hvp |
//! |---|---|---|
//! | 1-40-40-1, B = 10, f32 | 2.5–3.8 µs | 6.9–10.1 µs |
//! | 1-40-40-1, B = 10, f64 | 3.9–5.7 µs | 10.9–15.5 µs |
//! | 1-128-128-1, B = 64, f32 | 80 µs | 290 µs |
//! | 1-128-128-1, B = 64, f64 | 200 µs | 590 µs |
//!
//! (Best of 30 runs instead of medians: 2.6 / 7.0 µs in f32 at MAML's size.) Plain loops for
//! the small products were tried and were slower; see the `gemm` module's docs.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent_nn::model::{Activation, Mlp, Model, Scalar};

fn bench_size<T: Scalar>(c: &mut Criterion, hidden: usize, batch: usize) {
    let precision = if size_of::<T>() == 4 { "f32" } else { "f64" };
    let mut group =
        c.benchmark_group(format!("mse_1_{hidden}_{hidden}_1_batch{batch}_{precision}"));
    group.throughput(Throughput::Elements(batch as u64));
    let mlp = Mlp::regression(1, &[hidden, hidden], 1, Activation::Relu).unwrap();
    let params: Vec<T> = mlp.init_params(0);
    let v: Vec<T> = mlp.init_params(1);
    let x: Vec<T> = (0..batch).map(|i| T::of(10.0 * i as f64 / batch as f64 - 5.0)).collect();
    let y: Vec<T> = x.iter().map(|&x| T::of(2.0) * x.sin()).collect();
    let (mut g, mut h) = (vec![T::zero(); params.len()], vec![T::zero(); params.len()]);
    let mut ws = mlp.workspace::<T>(batch);
    group.bench_function(BenchmarkId::new("mse_grad", batch), |b| {
        b.iter(|| black_box(mlp.mse_grad(black_box(&params), &x, &y, &mut ws, &mut g).unwrap()));
    });
    group.bench_function(BenchmarkId::new("mse_hvp", batch), |b| {
        b.iter(|| {
            black_box(mlp.mse_hvp(black_box(&params), &x, &y, &v, &mut ws, &mut g, &mut h).unwrap())
        });
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    bench_size::<f32>(c, 40, 10);
    bench_size::<f64>(c, 40, 10);
    bench_size::<f32>(c, 128, 64);
    bench_size::<f64>(c, 128, 64);
}

criterion_group!(benches, bench);
criterion_main!(benches);
