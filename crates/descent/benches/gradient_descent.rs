//! The gradient-descent loop against the memory bus.
//!
//! `driver/gd_fixed` runs 100 fixed-step iterations of [`minimize`] on a diagonal quadratic of
//! n variables; `yardstick/triad` runs 100 STREAM triads aᵢ = bᵢ + s·cᵢ over the same n in the
//! same run. Both report elements × iterations per second, so their ratio is the number of
//! triad-equivalents one GD iteration costs (the objective's own pass included), and
//! `objective/value_grad` alone separates the driver's overhead from the objective's cost.
//! An iteration streams 11 n-vectors (‖∇f‖² 1, trial point 3, the objective 3, the path
//! geometry 4) against the triad's 3, so a ratio near 11/3 ≈ 3.7 means the driver runs at the
//! memory-bandwidth limit.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent::{GradientDescent, Objective, Options, minimize};

const ITERATIONS: usize = 100;

/// ½·Σ dᵢxᵢ² with dᵢ ∈ [0.5, 1): a well-conditioned bowl that never converges in 100 steps.
struct Bowl(Vec<f64>);

impl Objective for Bowl {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn value(&self, x: &[f64]) -> f64 {
        0.5 * self.0.iter().zip(x).map(|(d, x)| d * x * x).sum::<f64>()
    }
    fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
        let mut value = 0.0;
        for ((g, d), x) in g.iter_mut().zip(&self.0).zip(x) {
            *g = d * x;
            value += *g * x;
        }
        0.5 * value
    }
}

fn bench(c: &mut Criterion) {
    let options =
        Options { gtol: 0.0, max_iter: ITERATIONS, unbounded_window: 0, ..Options::default() };
    for n in [10usize, 1_000, 100_000, 1_000_000] {
        let bowl = Bowl((0..n).map(|i| 0.5 + 0.5 * (i as f64 / n as f64)).collect());
        let x0 = vec![1.0; n];
        let gd = GradientDescent::new(1e-3).unwrap();

        let mut group = c.benchmark_group("gd_vs_triad");
        group.throughput(Throughput::Elements((n * ITERATIONS) as u64));
        group.sample_size(if n >= 100_000 { 10 } else { 50 });
        group.bench_with_input(BenchmarkId::new("driver/gd_fixed", n), &n, |b, _| {
            b.iter(|| minimize(&bowl, black_box(&x0), gd, &options).unwrap());
        });
        let mut grad = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("objective/value_grad", n), &n, |b, _| {
            b.iter(|| {
                for _ in 0..ITERATIONS {
                    black_box(bowl.value_grad(black_box(&x0), &mut grad));
                }
            });
        });
        let (mut a, bv, cv) = (vec![0.0; n], vec![1.0; n], vec![2.0; n]);
        group.bench_with_input(BenchmarkId::new("yardstick/triad", n), &n, |b, _| {
            b.iter(|| {
                for _ in 0..ITERATIONS {
                    for ((a, b), c) in a.iter_mut().zip(&bv).zip(&cv) {
                        *a = b + 0.5 * c;
                    }
                    black_box(&mut a);
                }
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
