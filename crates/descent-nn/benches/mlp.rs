//! One minibatch's forward and backward pass through the MLP of the benchmark.
//!
//! 784-256-10, ReLU, batch 128, f32 (the PyTorch comparison's configuration), on 1 and 2
//! threads: `forward_backward/1`, `forward_backward/2` ([`Model::loss_grad`], the whole
//! minibatch: two GEMMs forward, three backward, the softmax cross-entropy, bias sums, ReLU
//! masks). The yardstick `yardstick/gemm/T` is the two products of the first layer alone
//! (Z₁ = X·W₁ᵀ and ∂W₁ = Δ₁ᵀ·X, 2 × 128·784·256 multiply-adds, ~98 % of the pass's
//! arithmetic) through the same faer GEMM on T threads: what the pass cannot beat.
//! Throughput is in examples (rows of the batch).
//!
//! Run: `cargo bench -p descent-nn --bench mlp`. Measured (2-core shared machine, AVX-512):
//! medians forward_backward/1 0.85–0.91 ms, /2 0.62 ms; yardstick/gemm/1 0.58–0.71 ms, /2
//! 0.50 ms (other jobs shared the cores: the spread is theirs).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent_nn::model::{Activation, Mlp, Model};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

const INPUTS: usize = 784;
const HIDDEN: usize = 256;
const CLASSES: usize = 10;
const BATCH: usize = 128;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp_784_256_10_batch128_f32");
    group.throughput(Throughput::Elements(BATCH as u64));
    let x: Vec<f32> = (0..BATCH * INPUTS).map(|i| ((i * 37 % 255) as f32) / 255.0).collect();
    let labels: Vec<usize> = (0..BATCH).map(|i| i % CLASSES).collect();
    for threads in [1, 2] {
        let mlp = Mlp::new(INPUTS, &[HIDDEN], CLASSES, Activation::Relu)
            .unwrap()
            .with_threads(threads)
            .unwrap();
        let params: Vec<f32> = mlp.init_params(0);
        let mut grads = vec![0.0f32; mlp.num_params()];
        let mut ws = mlp.workspace::<f32>(BATCH);
        group.bench_with_input(BenchmarkId::new("forward_backward", threads), &threads, |b, _| {
            b.iter(|| {
                black_box(
                    mlp.loss_grad(black_box(&params), &x, &labels, &mut ws, &mut grads).unwrap(),
                )
            });
        });

        let par = if threads == 1 { Par::Seq } else { Par::rayon(threads) };
        let w = &params[..HIDDEN * INPUTS];
        let mut z = vec![0.0f32; BATCH * HIDDEN];
        let mut gw = vec![0.0f32; HIDDEN * INPUTS];
        group.bench_with_input(BenchmarkId::new("yardstick/gemm", threads), &threads, |b, _| {
            b.iter(|| {
                matmul(
                    MatMut::from_row_major_slice_mut(&mut z, BATCH, HIDDEN),
                    Accum::Replace,
                    MatRef::from_row_major_slice(&x, BATCH, INPUTS),
                    MatRef::from_row_major_slice(w, HIDDEN, INPUTS).transpose(),
                    1.0f32,
                    par,
                );
                matmul(
                    MatMut::from_row_major_slice_mut(&mut gw, HIDDEN, INPUTS),
                    Accum::Replace,
                    MatRef::from_row_major_slice(&z, BATCH, HIDDEN).transpose(),
                    MatRef::from_row_major_slice(&x, BATCH, INPUTS),
                    1.0f32,
                    par,
                );
                black_box(gw[0])
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
