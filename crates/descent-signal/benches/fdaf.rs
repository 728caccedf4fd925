//! Time per sample of the partitioned-block frequency-domain NLMS ([`Pbfdaf`]) at 1024 taps with
//! blocks of 64 … 1024 samples, against the yardstick: the crate's time-domain [`Nlms`] at
//! 1024 taps, in the same run. Both filter and adapt a white-noise echo of a 1024-tap system.
//!
//! ```text
//! cargo bench -p descent-signal --bench fdaf
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent_signal::{AdaptiveFilter, Nlms, Pbfdaf};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TAPS: usize = 1024;
const LEN: usize = 1 << 14;

fn signals() -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let x: Vec<f64> = (0..LEN).map(|_| rng.random_range(-1.0..1.0)).collect();
    let h: Vec<f64> =
        (0..TAPS).map(|k| rng.random_range(-1.0..1.0) * (-(k as f64) / 200.0).exp()).collect();
    let d = (0..LEN).map(|n| (0..TAPS.min(n + 1)).map(|k| h[k] * x[n - k]).sum()).collect();
    (x, d)
}

fn run<F: AdaptiveFilter>(filter: &mut F, x: &[f64], d: &[f64], y: &mut [f64], e: &mut [f64]) {
    filter.process_into(black_box(x), black_box(d), y, e).expect("equal lengths, finite");
    black_box(&*e);
}

fn bench(c: &mut Criterion) {
    let (x, d) = signals();
    let (mut y, mut e) = (vec![0.0; LEN], vec![0.0; LEN]);
    let mut group = c.benchmark_group("fdaf_1024_taps");
    group.throughput(Throughput::Elements(LEN as u64));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    let mut nlms = Nlms::new(TAPS, 0.5, 1e-6).expect("valid");
    group.bench_function("nlms_time_domain", |b| b.iter(|| run(&mut nlms, &x, &d, &mut y, &mut e)));
    for block in [64, 128, 256, 512, 1024] {
        let mut f = Pbfdaf::new(TAPS, block, 0.5).expect("valid");
        group.bench_with_input(BenchmarkId::new("pbfdaf_block", block), &block, |b, _| {
            b.iter(|| run(&mut f, &x, &d, &mut y, &mut e))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
