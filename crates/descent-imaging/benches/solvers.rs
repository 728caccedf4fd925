//! Pixels × iterations per second of each deconvolution solver on a 512×512 star field blurred
//! by a 25×25 Gaussian PSF (σ = 2 px), periodic, 10 iterations per run (Richardson–Lucy also at
//! 1024×1024), and the one-shot Wiener filter; the yardstick, in the same run, is one H plus one
//! Hᵀ (the FFT operator), the floor of any iteration's cost.
//!
//! ```text
//! cargo bench -p descent-imaging --bench solvers
//! ```
//!
//! The operator is the crate's [`Convolution`] (real FFTs); the ratio to the yardstick is the
//! solvers' own overhead.
//!
//! Measured 2026-12-04 on the shared 2-core machine (criterion means, pixel·iterations/s):
//! 512²: yardstick H+Hᵀ 96 M, Landweber+ 81 M, Richardson–Lucy 62 M, RL-TV 44 M, FISTA-TV 7.9 M
//! (the TV prox, 10 FGP inner iterations of two passes each, costs ~10× an H+Hᵀ), Wiener
//! 164 M pixels/s (one shot); 1024²: yardstick 68 M, Richardson–Lucy 45 M.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{gaussian_kernel, poisson_gaussian, star_field};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent_imaging::{
    Boundary, Convolution, Image, Options, Prior, fista, landweber, richardson_lucy,
    richardson_lucy_tv, wiener,
};

const ITERATIONS: usize = 10;

fn setup(n: usize) -> (Image, Convolution) {
    let kernel = gaussian_kernel(2.0, 25);
    let mut h = Convolution::new(&kernel, (n, n), Boundary::Periodic).expect("valid kernel");
    let truth = star_field(n, n / 8, 1);
    let mut blurred = Image::zeros(n, n);
    h.apply_into(&truth, &mut blurred).expect("shapes match");
    (poisson_gaussian(&blurred, 2000.0, 1e-3, 2), h)
}

fn solvers(c: &mut Criterion) {
    let mut group = c.benchmark_group("solvers");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for n in [512usize, 1024] {
        let (y, mut h) = setup(n);
        group.throughput(Throughput::Elements((n * n * ITERATIONS) as u64));
        group.bench_with_input(BenchmarkId::new("yardstick H+Ht", n), &n, |b, _| {
            let (mut a, mut t) = (Image::zeros(n, n), Image::zeros(n, n));
            b.iter(|| {
                for _ in 0..ITERATIONS {
                    h.apply_into(black_box(&y), &mut a).expect("shapes match");
                    h.adjoint_into(&a, &mut t).expect("shapes match");
                }
                black_box(&t);
            });
        });
        group.bench_with_input(BenchmarkId::new("richardson_lucy", n), &n, |b, _| {
            b.iter(|| {
                black_box(richardson_lucy(&mut h, black_box(&y), Options::fixed(ITERATIONS)))
            });
        });
        if n > 512 {
            continue;
        }
        group.bench_with_input(BenchmarkId::new("landweber+", n), &n, |b, _| {
            b.iter(|| {
                black_box(landweber(&mut h, black_box(&y), None, true, Options::fixed(ITERATIONS)))
            });
        });
        group.bench_with_input(BenchmarkId::new("fista tv", n), &n, |b, _| {
            let prior = Prior { tv: 1e-4, l1: 0.0 };
            b.iter(|| {
                black_box(fista(&mut h, black_box(&y), prior, true, Options::fixed(ITERATIONS)))
            });
        });
        group.bench_with_input(BenchmarkId::new("richardson_lucy_tv", n), &n, |b, _| {
            b.iter(|| {
                black_box(richardson_lucy_tv(
                    &mut h,
                    black_box(&y),
                    1e-3,
                    Options::fixed(ITERATIONS),
                ))
            });
        });
        group.throughput(Throughput::Elements((n * n) as u64));
        group.bench_with_input(BenchmarkId::new("wiener", n), &n, |b, _| {
            b.iter(|| black_box(wiener(&mut h, black_box(&y), 1e-3)));
        });
    }
    group.finish();
}

criterion_group!(benches, solvers);
criterion_main!(benches);
