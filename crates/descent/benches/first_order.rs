//! The fused optimizer step against the memory bus.
//!
//! The yardstick is a hand-fused f32 Adam loop, compiled for the same vector unit (AVX-512,
//! AVX2 or SSE2, detected at run time), that reads θ, g, m, v once and writes θ, m, v
//! once (28 bytes per parameter): the least traffic any Adam step can have. Each optimizer's
//! step over the same n, on the same thread count, is reported beside it, so the ratio of the
//! medians is how far from the memory-bandwidth limit the composed, generic code runs.
//!
//! `yardstick/adam_interleaved` is the same loop over the layout the optimizer keeps its state
//! in, (m, v) interleaved per parameter: the gap between the two yardsticks is the price of the
//! layout, the gap between it and `adam` the price of the generic composition.
//!
//! Rows: `yardstick/adam`, `adam`, `adamw`, `nesterov`, `adagrad`, `rmsprop`, `chain` (clip by value → Adam moments →
//! decoupled weight decay → warm-up cosine schedule, which must cost what plain Adam costs),
//! and `adam/checked` (the default [`FiniteCheck::Reject`], one more read of g). Threads: 1
//! and 2.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use descent::first_order::adam::ScaleByAdam;
use descent::first_order::rule::{AddDecayedWeights, ClipByValue, LearningRate};
use descent::first_order::{
    Adagrad, Adam, AdamW, FiniteCheck, Nesterov, Optimizer, Preset, RmsProp, Rule, Schedule,
    Threads,
};

/// The size: 40 MB per f32 vector, far beyond every cache.
const N: usize = 10_000_000;

/// The yardstick for the processor at hand: compiled for AVX-512 or AVX2 when available, as
/// the optimizer's pass is, so that the comparison is loop against loop, not ISA against ISA.
fn yardstick_adam(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], t: i32) {
    #[target_feature(enable = "avx512f")]
    fn avx512(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], t: i32) {
        yardstick_adam_portable(p, g, m, v, t);
    }
    #[target_feature(enable = "avx2")]
    fn avx2(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], t: i32) {
        yardstick_adam_portable(p, g, m, v, t);
    }
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: checked just above.
        unsafe { avx512(p, g, m, v, t) }
    } else if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: checked just above.
        unsafe { avx2(p, g, m, v, t) }
    } else {
        yardstick_adam_portable(p, g, m, v, t);
    }
}

/// The least-traffic Adam step: one read of θ, g, m, v and one write of θ, m, v.
#[inline(always)]
fn yardstick_adam_portable(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], t: i32) {
    let (b1, b2, lr, eps) = (0.9f32, 0.999f32, 1e-3f32, 1e-8f32);
    let c1 = 1.0 / (1.0 - b1.powi(t));
    let c2 = 1.0 / (1.0 - b2.powi(t));
    for (((p, g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        *p -= lr * (*m * c1) / ((*v * c2).sqrt() + eps);
    }
}

/// The same Adam step over the layout the optimizer uses: (m, v) interleaved per parameter.
fn yardstick_interleaved(p: &mut [f32], g: &[f32], s: &mut [[f32; 2]], t: i32) {
    #[target_feature(enable = "avx512f")]
    fn avx512(p: &mut [f32], g: &[f32], s: &mut [[f32; 2]], t: i32) {
        yardstick_interleaved_portable(p, g, s, t);
    }
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: checked just above.
        unsafe { avx512(p, g, s, t) }
    } else {
        yardstick_interleaved_portable(p, g, s, t);
    }
}

#[inline(always)]
fn yardstick_interleaved_portable(p: &mut [f32], g: &[f32], s: &mut [[f32; 2]], t: i32) {
    let (b1, b2, lr, eps) = (0.9f32, 0.999f32, 1e-3f32, 1e-8f32);
    let c1 = 1.0 / (1.0 - b1.powi(t));
    let c2 = 1.0 / (1.0 - b2.powi(t));
    for ((p, g), s) in p.iter_mut().zip(g).zip(s.iter_mut()) {
        s[0] = b1 * s[0] + (1.0 - b1) * g;
        s[1] = b2 * s[1] + (1.0 - b2) * g * g;
        *p -= lr * (s[0] * c1) / ((s[1] * c2).sqrt() + eps);
    }
}

fn bench_rule<R: Rule>(c: &mut Criterion, name: &str, rule: R, threads: usize, check: FiniteCheck) {
    let mut group = c.benchmark_group(format!("first_order/{threads}_thread"));
    group.throughput(Throughput::Bytes((N * 28) as u64));
    group.sample_size(20);
    let grads: Vec<f32> = (0..N).map(|i| ((i % 97) as f32 - 48.0) * 1e-3).collect();
    let mut params = vec![0.5f32; N];
    let mut opt = Optimizer::new(rule, N)
        .unwrap()
        .with_threads(Threads::count(threads).unwrap())
        .with_finite_check(check);
    group.bench_function(BenchmarkId::new(name, N), |b| {
        b.iter(|| opt.step(black_box(&mut params), black_box(&grads)).unwrap());
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    for threads in [1, 2] {
        {
            let mut group = c.benchmark_group(format!("first_order/{threads}_thread"));
            group.throughput(Throughput::Bytes((N * 28) as u64));
            group.sample_size(20);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let grads: Vec<f32> = (0..N).map(|i| ((i % 97) as f32 - 48.0) * 1e-3).collect();
            let (mut p, mut m, mut v) = (vec![0.5f32; N], vec![0f32; N], vec![0f32; N]);
            let mut t = 0;
            group.bench_function(BenchmarkId::new("yardstick/adam", N), |b| {
                b.iter(|| {
                    t += 1;
                    const CHUNK: usize = 1 << 14;
                    pool.install(|| {
                        use rayon::prelude::*;
                        p.par_chunks_mut(CHUNK)
                            .zip(grads.par_chunks(CHUNK))
                            .zip(m.par_chunks_mut(CHUNK))
                            .zip(v.par_chunks_mut(CHUNK))
                            .for_each(|(((p, g), m), v)| yardstick_adam(p, g, m, v, t));
                    });
                    black_box(&mut p);
                });
            });
            let mut interleaved = vec![[0f32; 2]; N];
            group.bench_function(BenchmarkId::new("yardstick/adam_interleaved", N), |b| {
                b.iter(|| {
                    t += 1;
                    const CHUNK: usize = 1 << 14;
                    pool.install(|| {
                        use rayon::prelude::*;
                        p.par_chunks_mut(CHUNK)
                            .zip(grads.par_chunks(CHUNK))
                            .zip(interleaved.par_chunks_mut(CHUNK))
                            .for_each(|((p, g), s)| yardstick_interleaved(p, g, s, t));
                    });
                    black_box(&mut p);
                });
            });
            group.finish();
        }
        let trust = FiniteCheck::Trust;
        bench_rule(c, "adam", Adam::preset(Preset::Torch, 1e-3).rule(), threads, trust);
        bench_rule(
            c,
            "adam/checked",
            Adam::preset(Preset::Torch, 1e-3).rule(),
            threads,
            FiniteCheck::Reject,
        );
        bench_rule(c, "adamw", AdamW::preset(Preset::Torch, 1e-3).rule(), threads, trust);
        bench_rule(c, "nesterov", Nesterov::preset(Preset::Torch, 1e-3).rule(), threads, trust);
        bench_rule(c, "adagrad", Adagrad::preset(Preset::Torch, 1e-2).rule(), threads, trust);
        bench_rule(
            c,
            "rmsprop",
            RmsProp::preset(Preset::Torch, 1e-2).rule().unwrap(),
            threads,
            trust,
        );
        let chain = ClipByValue { max_abs: 1.0 }
            .then(ScaleByAdam { beta1: 0.9, beta2: 0.999, eps: 1e-8, eps_root: 0.0 })
            .then(AddDecayedWeights { weight_decay: 1e-2 })
            .then(LearningRate {
                schedule: Schedule::WarmupCosine {
                    init_learning_rate: 0.0,
                    peak_learning_rate: 1e-3,
                    warmup_steps: 10,
                    decay_steps: 1_000_000,
                    end_learning_rate: 0.0,
                },
            });
        bench_rule(c, "chain", chain, threads, trust);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
