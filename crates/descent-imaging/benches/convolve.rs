//! One gradient's worth of blur: Hx then Hᵀy on a 1024 × 1024 image with a 25 × 25 kernel, for
//! both boundaries, reported as pixels per second (one pixel = one Hx and one Hᵀy). The yardstick,
//! in the same run: the direct O(N·K) convolution ([`convolve_direct`]) on 256 × 256, one H only.
//!
//! ```text
//! cargo bench -p descent-imaging --bench convolve
//! ```
//!
//! Measured 2026-12-04 on the shared 2-core development machine (load ≈ 3.5; criterion means,
//! which differ by up to 30 % between runs with the load): Hx + Hᵀy periodic 17.1 ms (61 M
//! pixels/s: 8.1 ns per pixel per application of H), same 21.4 ms (49 M pixels/s; FFT grid
//! 1080 × 1080); the direct sum 69 ms on 256 × 256 (0.95 M pixels/s: 1.06 µs per pixel for one
//! H). The FFT is ≈ 130× faster per pixel per application at K = 25 × 25, and the gap grows
//! with K (the FFT's cost does not depend on it).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use descent_imaging::{Boundary, Convolution, Image, Psf, convolve_direct};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_image(width: usize, height: usize, seed: u64) -> Image {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = (0..width * height).map(|_| rng.random_range(0.0..1.0)).collect();
    Image::new(width, height, data).expect("sized")
}

fn bench(c: &mut Criterion) {
    const SIDE: usize = 1024;
    let kernel = Psf::Moffat { fwhm: 5.0, beta: 2.5 }.kernel(Some(25)).expect("valid");
    let x = random_image(SIDE, SIDE, 1);
    let y = random_image(SIDE, SIDE, 2);
    let (mut hx, mut hty) = (Image::zeros(SIDE, SIDE), Image::zeros(SIDE, SIDE));

    let mut group = c.benchmark_group("convolve_1024x1024_k25");
    group.throughput(Throughput::Elements((SIDE * SIDE) as u64));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, boundary) in
        [("periodic_hx_hty", Boundary::Periodic), ("same_hx_hty", Boundary::Same)]
    {
        let mut h = Convolution::new(&kernel, (SIDE, SIDE), boundary).expect("valid");
        group.bench_function(name, |b| {
            b.iter(|| {
                h.apply_into(black_box(&x), &mut hx).expect("shapes");
                h.adjoint_into(black_box(&y), &mut hty).expect("shapes");
                black_box((&hx, &hty));
            })
        });
    }
    group.finish();

    const SMALL: usize = 256;
    let xs = random_image(SMALL, SMALL, 3);
    let mut group = c.benchmark_group("convolve_direct_256x256_k25");
    group.throughput(Throughput::Elements((SMALL * SMALL) as u64));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("direct_hx", |b| {
        b.iter(|| {
            black_box(convolve_direct(black_box(&xs), &kernel, Boundary::Same).expect("finite"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
