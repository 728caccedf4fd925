//! Time per sample of the adaptive filters, and the real-time factor at 16 kHz.
//!
//! `cargo bench -p descent-signal --bench filters` runs criterion (group `filters`, throughput
//! in samples) and then prints a table of medians: ns per sample, samples per second and the
//! real-time factor (samples per second / 16 000). See benches/README.md.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use descent_signal::{AdaptiveFilter, AffineProjection, Lms, Nlms, Rls};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The audio rate the real-time factor refers to.
const RATE: f64 = 16_000.0;

/// One benchmarked configuration: a name, a filter and the block it processes per iteration.
struct Case {
    name: String,
    filter: Box<dyn AdaptiveFilter>,
    block: usize,
}

fn cases() -> Vec<Case> {
    let case = |name: &str, filter: Box<dyn AdaptiveFilter>, block: usize| Case {
        name: name.to_string(),
        filter,
        block,
    };
    vec![
        case("nlms/1024", Box::new(Nlms::new(1024, 0.5, 1e-6).unwrap()), 16_000),
        case("nlms/256", Box::new(Nlms::new(256, 0.5, 1e-6).unwrap()), 16_000),
        case("lms/1024", Box::new(Lms::new(1024, 1e-4).unwrap()), 16_000),
        case("lms/256", Box::new(Lms::new(256, 1e-4).unwrap()), 16_000),
        case("apa4/256", Box::new(AffineProjection::new(256, 4, 0.5, 1e-3).unwrap()), 16_000),
        case("rls/64", Box::new(Rls::new(64, 0.999, 0.01).unwrap()), 4_000),
        case("rls/256", Box::new(Rls::new(256, 0.999, 0.01).unwrap()), 1_000),
    ]
}

/// A white reference and a desired signal from a fixed 64-tap system plus noise.
fn signals(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x: Vec<f64> = (0..n).map(|_| 0.1 * rng.sample::<f64, _>(StandardNormal)).collect();
    let h: Vec<f64> =
        (0..64).map(|k| 0.9f64.powi(k) * if k % 2 == 0 { 1.0 } else { -0.5 }).collect();
    let d = (0..n)
        .map(|i| {
            let echo: f64 = h.iter().enumerate().take(i + 1).map(|(k, hk)| hk * x[i - k]).sum();
            echo + 1e-3 * rng.sample::<f64, _>(StandardNormal)
        })
        .collect();
    (x, d)
}

fn bench(c: &mut Criterion, x: &[f64], d: &[f64]) {
    let mut group = c.benchmark_group("filters");
    group.sample_size(20).warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(3));
    for mut case in cases() {
        let n = case.block;
        let (mut y, mut e) = (vec![0.0; n], vec![0.0; n]);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(&case.name, |b| {
            b.iter(|| {
                case.filter
                    .process_into(black_box(&x[..n]), black_box(&d[..n]), &mut y, &mut e)
                    .unwrap();
                black_box(&e);
            })
        });
    }
    group.finish();
}

/// Median seconds per sample over `runs` passes of each case's block.
fn summary(x: &[f64], d: &[f64], runs: usize) {
    println!("\nmedian over {runs} runs (one block each, after one warm-up block):");
    println!("{:<10} {:>12} {:>14} {:>12}", "filter", "ns/sample", "samples/s", "× real time");
    for mut case in cases() {
        let n = case.block;
        let (mut y, mut e) = (vec![0.0; n], vec![0.0; n]);
        case.filter.process_into(&x[..n], &d[..n], &mut y, &mut e).unwrap();
        let mut times: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                case.filter
                    .process_into(black_box(&x[..n]), black_box(&d[..n]), &mut y, &mut e)
                    .unwrap();
                black_box(&e);
                start.elapsed().as_secs_f64() / n as f64
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let per_sample = times[runs / 2];
        println!(
            "{:<10} {:>12.1} {:>14.0} {:>12.1}",
            case.name,
            per_sample * 1e9,
            1.0 / per_sample,
            1.0 / per_sample / RATE
        );
    }
}

fn main() {
    let (x, d) = signals(16_000);
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &x, &d);
    c.final_summary();
    // Only under `cargo bench` (which passes --bench), not when tests run the bench once.
    if std::env::args().any(|a| a == "--bench") {
        summary(&x, &d, 21);
    }
}
