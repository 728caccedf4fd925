//! Curvature at a point: how its three eigensolvers scale.
//!
//! * `sturm_count/n`: one Sturm count (the LDLᵀ pivot recurrence) of the shifted second
//!   difference matrix tridiag(−1, 2 − σ, −1), n from 10³ to 10⁷. O(n): time per element should
//!   stay flat as n grows (until the two vectors leave the cache: 16 bytes per element).
//!   The yardstick, `sum/n`, is a plain sum over the same two vectors: the memory traffic
//!   alone.
//! * `curvature_sturm/n`: the whole tridiagonal classification (Hessian, two bisections of
//!   about 60 counts each, the index, three steps of inverse iteration), n from 10⁴ to 10⁶.
//! * `dense/n`: faer's self-adjoint EVD of a dense Hessian (`random_quadratic`), n = 100 to
//!   1000 (the default `dense_max`), Hessian assembly included.
//! * `lanczos/n`: Lanczos with full reorthogonalisation on `random_quadratic`'s O(n)
//!   Hessian-vector products with a fixed 100 steps (the extremes of its log-spaced spectrum
//!   cluster, so it runs the whole budget), n = 10³ to 10⁴.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent::landscape::curvature::{CurvatureOptions, curvature, lanczos, sturm_count};
use descent::problems::RandomQuadratic;
use descent::{Hessian, HessianMatrix, HessianStructure, HessianVectorProduct, Objective};

const SIGMA: f64 = 1.234_567;

fn sturm(c: &mut Criterion) {
    let mut group = c.benchmark_group("sturm_count");
    for n in [1_000, 10_000, 100_000, 1_000_000, 10_000_000] {
        let diag = vec![2.0 - SIGMA; n];
        let off = vec![-1.0; n - 1];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("count", n), &n, |b, _| {
            b.iter(|| sturm_count(black_box(&diag), black_box(&off), black_box(0.0)));
        });
        group.bench_with_input(BenchmarkId::new("sum", n), &n, |b, _| {
            b.iter(|| black_box(&diag).iter().sum::<f64>() + black_box(&off).iter().sum::<f64>());
        });
    }
    group.finish();
}

/// ½xᵀ(T − σI)x with T = tridiag(−1, 2, −1).
struct Shifted(usize);

impl Objective for Shifted {
    fn dim(&self) -> usize {
        self.0
    }
    fn value(&self, _x: &[f64]) -> f64 {
        0.0
    }
    fn value_grad(&self, _x: &[f64], grad: &mut [f64]) -> f64 {
        grad.fill(0.0);
        0.0
    }
}

impl Hessian for Shifted {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Tridiagonal
    }
    fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
        if let HessianMatrix::Tridiagonal { diag, off } = hessian {
            diag.fill(2.0 - SIGMA);
            off.fill(-1.0);
        }
    }
}

impl HessianVectorProduct for Shifted {
    fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
        let n = self.0;
        for i in 0..n {
            let l = if i > 0 { v[i - 1] } else { 0.0 };
            let r = if i + 1 < n { v[i + 1] } else { 0.0 };
            hv[i] = (2.0 - SIGMA) * v[i] - l - r;
        }
    }
}

fn whole_sturm(c: &mut Criterion) {
    let mut group = c.benchmark_group("curvature_sturm");
    group.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        let f = Shifted(n);
        let x = vec![0.0; n];
        let options = CurvatureOptions { dense_max: 0, ..CurvatureOptions::default() };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| curvature(&f, black_box(&x), &options).unwrap());
        });
    }
    group.finish();
}

fn dense(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense");
    group.sample_size(10);
    for n in [100, 300, 1000] {
        let f = RandomQuadratic::new(n, 100.0, 0).unwrap();
        let x = vec![0.0; n];
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| curvature(&f, black_box(&x), &CurvatureOptions::default()).unwrap());
        });
    }
    group.finish();
}

fn lanczos_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("lanczos");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let f = RandomQuadratic::new(n, 100.0, 0).unwrap();
        let x = vec![0.0; n];
        // tolerance 0: never converged early, so exactly 100 products.
        let options = CurvatureOptions { lanczos_steps: 100, tolerance: 0.0, ..Default::default() };
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| lanczos(|v, hv| f.hessian_vector_product(&x, v, hv), n, black_box(&options)));
        });
    }
    group.finish();
}

criterion_group!(benches, sturm, whole_sturm, dense, lanczos_steps);
criterion_main!(benches);
