//! One step of hypergradient descent against the same step at a fixed learning rate, f32, one
//! thread: what the hypergradient costs (one dot product gₜ·dₜ₋₁ before the step, one extra
//! vector dₜ₋₁ written during it).
//!
//! Pairs at n = 10³ (cache-resident: the arithmetic) and 10⁶ (memory-bound: the extra
//! traffic): SGD-HD vs descent's `Sgd`, Adam-HD vs descent's `Adam` (`Optimizer` on one
//! thread). Throughput is in parameters; the ratio of the medians is the overhead.
//! The bytes each step moves, per parameter in f32: `Sgd` reads g and θ and writes θ (12);
//! SGD-HD also reads and writes d (20, and reads g twice: 24); `Adam` reads g, θ, m, v and writes
//! θ, m, v (28); Adam-HD adds d as above (40).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use descent::first_order::{Adam, Optimizer, Preset, Rule, Sgd, Threads};
use descent_meta::hypergradient::{HyperOptimizer, Hypergradient};
use std::hint::black_box;

/// A gradient that keeps θ bounded over many steps: g = θ − c with c fixed.
fn gradient(theta: &[f32], c: &[f32], g: &mut [f32]) {
    for ((g, t), c) in g.iter_mut().zip(theta).zip(c) {
        *g = t - c;
    }
}

fn inputs(n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let c: Vec<f32> = (0..n).map(|i| ((i % 97) as f32 - 48.0) / 48.0).collect();
    (vec![0.0; n], c, vec![0.0; n])
}

fn plain<R: Rule>(c: &mut Criterion, group_name: &str, name: &str, rule: R, n: usize) {
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(n as u64));
    let (mut theta, target, mut g) = inputs(n);
    let mut opt = Optimizer::<R, f32>::new(rule, n).unwrap().with_threads(Threads::Single);
    gradient(&theta, &target, &mut g);
    group.bench_function(name, |b| {
        b.iter(|| opt.step(black_box(&mut theta), black_box(&g)).unwrap());
    });
    group.finish();
}

fn hyper<R: Rule>(c: &mut Criterion, group_name: &str, name: &str, h: Hypergradient<R>, n: usize) {
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(n as u64));
    let (mut theta, target, mut g) = inputs(n);
    // A small β and a floor keep α sane over the many steps criterion takes.
    let mut opt = HyperOptimizer::<R, f32>::new(h.with_min_learning_rate(1e-6), n).unwrap();
    gradient(&theta, &target, &mut g);
    group.bench_function(name, |b| {
        b.iter(|| opt.step(black_box(&mut theta), black_box(&g)).unwrap());
    });
    group.finish();
}

fn steps(c: &mut Criterion) {
    for n in [1_000, 1_000_000] {
        let group = format!("step/{n}");
        plain(c, &group, "sgd", Sgd::new(1e-3).rule(), n);
        hyper(c, &group, "sgd_hd", Hypergradient::sgd(1e-3, 1e-9), n);
        plain(c, &group, "adam", Adam::preset(Preset::Torch, 1e-3).rule(), n);
        hyper(c, &group, "adam_hd", Hypergradient::adam(1e-3, 1e-9), n);
    }
}

criterion_group!(benches, steps);
criterion_main!(benches);
