//! One meta-iteration of the sinusoid benchmark (25 tasks of 10 support and 10 query points,
//! a 1-40-40-1 ReLU network): the meta-gradients of the whole meta-batch, f32, one thread.
//! Per algorithm: exact MAML (2 gradients and 1 Hessian-vector product per task), first-order
//! MAML (2 gradients), Reptile (10 gradients); and one task's exact meta-gradient alone.
//! Throughput is in tasks.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use descent_meta::maml::{Algorithm, MetaConfig, MetaScratch, meta_gradient};
use descent_meta::tasks::{Sinusoid, TaskFamily};
use descent_nn::model::Model as _;
use rand::SeedableRng as _;
use std::hint::black_box;

fn meta_iteration(c: &mut Criterion) {
    let family = Sinusoid::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let tasks: Vec<_> = (0..25).map(|_| family.task::<f32>(&mut rng, 10, 10).1).collect();
    let mut group = c.benchmark_group("meta_iteration");
    group.throughput(Throughput::Elements(25));
    for algorithm in [Algorithm::Maml, Algorithm::FirstOrderMaml, Algorithm::Reptile] {
        let config = MetaConfig::paper(algorithm, 10);
        let mlp = config.network(1, 1).unwrap();
        let params: Vec<f32> = mlp.init_params(0);
        let n = mlp.num_params();
        let mut scratch = MetaScratch::new(&mlp, 10, config.inner_steps);
        let mut grad = vec![0.0f32; n];
        let mut sum = vec![0.0f32; n];
        group.bench_function(algorithm.name(), |b| {
            b.iter(|| {
                sum.fill(0.0);
                for task in &tasks {
                    meta_gradient(
                        &mlp,
                        &params,
                        task,
                        0.01,
                        config.inner_steps,
                        algorithm,
                        &mut scratch,
                        &mut grad,
                    )
                    .unwrap();
                    sum.iter_mut().zip(&grad).for_each(|(s, g)| *s += g);
                }
                black_box(&sum);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, meta_iteration);
criterion_main!(benches);
