//! MAML, first-order MAML, Reptile and the pretrained baseline: the exact meta-gradient against
//! central differences, first-order MAML against its definition, a short meta-training run,
//! evaluation against an independent computation, reproducibility across seeds and thread
//! counts, saved models.

use std::ops::ControlFlow;

use descent_meta::Error;
use descent_meta::maml::{
    Algorithm, EVAL_STREAM, EvalConfig, MetaConfig, MetaModel, MetaScratch, ModelKind,
    adapted_fits, evaluate, load, meta_gradient, meta_train, pretrain, save,
};
use descent_meta::tasks::{Sinusoid, Task, TaskFamily};
use descent_nn::model::{Activation, Mlp, Model as _};
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

/// Tolerance of the meta-gradient check (the 10⁻⁶), relative to 1 + |component|.
const META_GRADIENT_TOL: f64 = 1e-6;

fn keep_going<P>(_: &P) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn task(seed: u64, support: usize, query: usize) -> Task<f64> {
    Sinusoid::default().task::<f64>(&mut ChaCha8Rng::seed_from_u64(seed), support, query).1
}

/// θ ↦ L_Q(θ_k), θ_{i+1} = θ_i − α∇L_S(θ_i): the post-adaptation loss, written out with the
/// network's gradient only.
fn post_adaptation_loss(mlp: &Mlp, theta: &[f64], task: &Task<f64>, alpha: f64, k: usize) -> f64 {
    let mut ws = mlp.workspace(task.support_y.len().max(task.query_y.len()));
    let mut p = theta.to_vec();
    let mut g = vec![0.0; p.len()];
    for _ in 0..k {
        mlp.mse_grad(&p, &task.support_x, &task.support_y, &mut ws, &mut g).unwrap();
        p.iter_mut().zip(&g).for_each(|(p, g)| *p -= alpha * g);
    }
    mlp.mse(&p, &task.query_x, &task.query_y, &mut ws).unwrap()
}

/// The smallest |pre-activation| of the hidden units over the inputs `x`, by a naive forward
/// pass (W_l row-major, outputs × inputs, then b_l; one input per point).
fn min_abs_preactivation(mlp: &Mlp, params: &[f64], x: &[f64]) -> f64 {
    let widths = mlp.widths();
    let mut smallest = f64::INFINITY;
    for &x in x {
        let mut a = vec![x];
        let mut offset = 0;
        for l in 0..widths.len() - 1 {
            let (n_in, n_out) = (widths[l], widths[l + 1]);
            let (w, b) = (&params[offset..offset + n_out * n_in], &params[offset + n_out * n_in..]);
            offset += n_out * n_in + n_out;
            let z: Vec<f64> = (0..n_out)
                .map(|j| b[j] + (0..n_in).map(|i| w[j * n_in + i] * a[i]).sum::<f64>())
                .collect();
            if l + 2 < widths.len() {
                smallest = z.iter().fold(smallest, |m, z| m.min(z.abs()));
                a = z.iter().map(|z| z.max(0.0)).collect();
            }
        }
    }
    smallest
}

/// The exact MAML meta-gradient against central differences of θ ↦ L_Q(θ_k), for tanh and
/// ReLU networks and 1 and 2 inner steps; it differs from first-order MAML's by far more than
/// the tolerance (α = 0.1 makes the Hessian term large), so the check sees the second-order
/// term.
#[test]
fn exact_meta_gradient_matches_central_differences() {
    let alpha = 0.1;
    let h = 1e-5;
    for (activation, hidden) in [(Activation::Tanh, [8, 6]), (Activation::Relu, [10, 8])] {
        let mlp = Mlp::regression(1, &hidden, 1, activation).unwrap();
        for k in [1, 2] {
            for seed in 0..3 {
                let theta: Vec<f64> = mlp.init_params(seed);
                let task = task(100 + seed, 5, 7);
                if activation == Activation::Relu {
                    // Away from kinks: every hidden pre-activation of every iterate on every
                    // point is at least 10⁻³ from 0 (≫ the perturbation h·|∂z/∂θ|).
                    let mut p = theta.clone();
                    let mut ws = mlp.workspace(5);
                    let mut g = vec![0.0; p.len()];
                    for i in 0..=k {
                        for x in [&task.support_x, &task.query_x] {
                            let m = min_abs_preactivation(&mlp, &p, x);
                            assert!(
                                m > 1e-3,
                                "seed {seed}, iterate {i}: a unit at {m} from its kink"
                            );
                        }
                        mlp.mse_grad(&p, &task.support_x, &task.support_y, &mut ws, &mut g)
                            .unwrap();
                        p.iter_mut().zip(&g).for_each(|(p, g)| *p -= alpha * g);
                    }
                }
                let n = mlp.num_params();
                let mut scratch = MetaScratch::new(&mlp, 7, k);
                let (mut exact, mut first) = (vec![0.0; n], vec![0.0; n]);
                let post = meta_gradient(
                    &mlp,
                    &theta,
                    &task,
                    alpha,
                    k,
                    Algorithm::Maml,
                    &mut scratch,
                    &mut exact,
                )
                .unwrap();
                assert!((post - post_adaptation_loss(&mlp, &theta, &task, alpha, k)).abs() < 1e-14);
                meta_gradient(
                    &mlp,
                    &theta,
                    &task,
                    alpha,
                    k,
                    Algorithm::FirstOrderMaml,
                    &mut scratch,
                    &mut first,
                )
                .unwrap();
                let mut p = theta.clone();
                let mut second_order = 0.0_f64;
                for i in 0..n {
                    p[i] = theta[i] + h;
                    let plus = post_adaptation_loss(&mlp, &p, &task, alpha, k);
                    p[i] = theta[i] - h;
                    let minus = post_adaptation_loss(&mlp, &p, &task, alpha, k);
                    p[i] = theta[i];
                    let fd = (plus - minus) / (2.0 * h);
                    assert!(
                        (exact[i] - fd).abs() <= META_GRADIENT_TOL * (1.0 + fd.abs()),
                        "{activation:?}, k = {k}, seed {seed}, component {i}: {} vs {fd}",
                        exact[i]
                    );
                    second_order = second_order.max((exact[i] - first[i]).abs());
                }
                assert!(second_order > 1e-3, "{activation:?} k = {k}: Hessian term {second_order}");
            }
        }
    }
}

/// First-order MAML's meta-gradient is ∇L_Q(θ') at θ' = θ − α∇L_S(θ) (k = 1) or after k steps,
/// bit for bit.
#[test]
fn first_order_meta_gradient_is_the_query_gradient_after_adaptation() {
    let mlp = Mlp::regression(1, &[12, 12], 1, Activation::Relu).unwrap();
    let theta: Vec<f64> = mlp.init_params(5);
    let task = task(9, 10, 10);
    let n = mlp.num_params();
    for k in [1, 3] {
        let mut ws = mlp.workspace(10);
        let mut p = theta.clone();
        let mut g = vec![0.0_f64; n];
        for _ in 0..k {
            mlp.mse_grad(&p, &task.support_x, &task.support_y, &mut ws, &mut g).unwrap();
            p.iter_mut().zip(&g).for_each(|(p, g)| *p -= 0.01 * g);
        }
        let expected_loss =
            mlp.mse_grad(&p, &task.query_x, &task.query_y, &mut ws, &mut g).unwrap();
        let mut scratch = MetaScratch::new(&mlp, 10, 1); // grows to k on demand
        let mut fo = vec![f64::NAN; n];
        let loss = meta_gradient(
            &mlp,
            &theta,
            &task,
            0.01,
            k,
            Algorithm::FirstOrderMaml,
            &mut scratch,
            &mut fo,
        )
        .unwrap();
        assert_eq!(loss.to_bits(), expected_loss.to_bits());
        assert!(fo.iter().zip(&g).all(|(a, b)| a.to_bits() == b.to_bits()));
        let pre = mlp.mse(&theta, &task.support_x, &task.support_y, &mut ws).unwrap();
        assert_eq!(scratch.pre_update_loss(), pre);
    }
}

/// The meta-gradient refuses bad input with typed errors.
#[test]
fn meta_gradient_errors() {
    let mlp = Mlp::regression(1, &[4], 1, Activation::Tanh).unwrap();
    let theta: Vec<f64> = mlp.init_params(0);
    let mut scratch = MetaScratch::new(&mlp, 3, 1);
    let mut g = vec![0.0; mlp.num_params()];
    let small = task(0, 3, 3);
    let r = meta_gradient(&mlp, &theta, &small, 0.01, 0, Algorithm::Maml, &mut scratch, &mut g);
    assert!(matches!(r, Err(Error::InvalidHyperparameter { name: "inner_steps", .. })));
    let r = meta_gradient(&mlp, &theta, &small, -1.0, 1, Algorithm::Maml, &mut scratch, &mut g);
    assert!(matches!(r, Err(Error::InvalidHyperparameter { name: "inner_lr", .. })));
    let r =
        meta_gradient(&mlp, &theta, &small, 0.01, 1, Algorithm::Maml, &mut scratch, &mut g[1..]);
    assert!(matches!(r, Err(Error::DimensionMismatch { .. })));
    // More points than the scratch was made for: the network's typed error.
    let big = task(0, 5, 5);
    let r = meta_gradient(&mlp, &theta, &big, 0.01, 1, Algorithm::Maml, &mut scratch, &mut g);
    assert!(matches!(r, Err(Error::Network(_))));
}

/// A short run: 2000 iterations (of the paper's 70 000) of 10-shot meta-training on the paper's
/// set-up. Each algorithm's held-out loss after one adaptation step falls below 0.6× the
/// untrained network's (measured: MAML 0.30×, first-order MAML 0.43×, Reptile 0.21×; the
/// untrained network predicts ≈ 0, MSE ≈ E[A²]/2 ≈ 4.2); the training loss falls; and exact
/// MAML adapts better than the pretrained baseline trained as long (measured 1.27 vs 2.61).
#[test]
fn short_meta_training_lowers_the_post_update_loss() {
    const ITERATIONS: usize = 2000;
    let family = Sinusoid::default();
    let eval = EvalConfig { tasks: 200, ..EvalConfig::paper(10) };
    let mut config = MetaConfig::paper(Algorithm::Maml, 10);
    config.iterations = 0;
    let untrained =
        evaluate(&family, &meta_train::<_, f32>(&family, &config, keep_going).unwrap(), &eval)
            .unwrap();
    config.iterations = ITERATIONS;
    let mut maml_after_one = f64::NAN;
    for algorithm in [Algorithm::Maml, Algorithm::FirstOrderMaml, Algorithm::Reptile] {
        let config = MetaConfig { iterations: ITERATIONS, ..MetaConfig::paper(algorithm, 10) };
        let mut post = Vec::new();
        let model = meta_train::<_, f32>(&family, &config, |p| {
            post.push(p.post_update_loss);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(model.kind, ModelKind::Meta(algorithm));
        assert_eq!(post.len(), ITERATIONS);
        let trained = evaluate(&family, &model, &eval).unwrap();
        // Step counts 0, 1, 2, 5, 10 are at indices 0…4.
        assert!(
            trained.mean[1] < 0.6 * untrained.mean[1],
            "{algorithm:?}: {} vs untrained {}",
            trained.mean[1],
            untrained.mean[1]
        );
        let early: f64 = post[..100].iter().sum::<f64>() / 100.0;
        let late: f64 = post[ITERATIONS - 100..].iter().sum::<f64>() / 100.0;
        assert!(late < 0.8 * early, "{algorithm:?}: training post-update loss {early} → {late}");
        if algorithm == Algorithm::Maml {
            maml_after_one = trained.mean[1];
        }
    }
    let mut losses = Vec::new();
    let pre = pretrain::<_, f32>(&family, &config, |p| {
        losses.push(p.pre_update_loss);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(pre.kind, ModelKind::Pretrained);
    let early: f64 = losses[..100].iter().sum::<f64>() / 100.0;
    let late: f64 = losses[ITERATIONS - 100..].iter().sum::<f64>() / 100.0;
    assert!(late < 0.9 * early, "pretraining loss {early} → {late}");
    let baseline = evaluate(&family, &pre, &eval).unwrap();
    assert!(
        maml_after_one < 0.7 * baseline.mean[1],
        "MAML {maml_after_one}, pretrained {}",
        baseline.mean[1]
    );
}

/// Evaluation's means and 95% half-widths against a computation written out here: the same
/// held-out tasks (seed, stream), SGD by hand, the query MSE from the network's outputs.
#[test]
fn evaluation_matches_an_independent_computation() {
    let family = Sinusoid::default();
    let mut config = MetaConfig::paper(Algorithm::Maml, 5);
    config.hidden = vec![16, 16];
    config.iterations = 20;
    let model = meta_train::<_, f64>(&family, &config, keep_going).unwrap();
    let eval_config = EvalConfig {
        tasks: 4,
        shots: 5,
        query: 30,
        inner_lr: 0.02,
        steps: vec![3, 0, 1],
        seed: 11,
    };
    let eval = evaluate(&family, &model, &eval_config).unwrap();
    let mlp = model.mlp().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    rng.set_stream(EVAL_STREAM);
    let mut per_step = vec![Vec::new(); 3];
    for _ in 0..4 {
        let (_, t) = family.task::<f64>(&mut rng, 5, 30);
        let mut ws = mlp.workspace(30);
        let mut p = model.params.clone();
        let mut g = vec![0.0; p.len()];
        let mut out = vec![0.0; 30];
        let mut mse_at = |p: &[f64], ws: &mut _| {
            mlp.forward_values(p, &t.query_x, ws, &mut out).unwrap();
            out.iter().zip(&t.query_y).map(|(o, y)| (o - y) * (o - y)).sum::<f64>() / 30.0
        };
        let at0 = mse_at(&p, &mut ws);
        let mut after = Vec::new();
        for _ in 0..3 {
            mlp.mse_grad(&p, &t.support_x, &t.support_y, &mut ws, &mut g).unwrap();
            p.iter_mut().zip(&g).for_each(|(p, g)| *p -= 0.02 * g);
            after.push(mse_at(&p, &mut ws));
        }
        per_step[0].push(after[2]);
        per_step[1].push(at0);
        per_step[2].push(after[0]);
    }
    assert_eq!(eval.steps, [3, 0, 1]);
    for (j, losses) in per_step.iter().enumerate() {
        let mean = losses.iter().sum::<f64>() / 4.0;
        let sd = (losses.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        assert!((eval.mean[j] - mean).abs() <= 1e-12 * mean, "{} vs {mean}", eval.mean[j]);
        assert!((eval.ci95[j] - 1.96 * sd / 2.0).abs() <= 1e-10 * sd, "{} vs {}", eval.ci95[j], sd);
    }
    assert!(matches!(
        evaluate(&family, &model, &EvalConfig { tasks: 1, ..eval_config }),
        Err(Error::InvalidHyperparameter { name: "tasks", .. })
    ));
}

/// Same seed, same bits; another seed, other bits; 1, 2 or 3 threads, the same bits.
#[test]
fn reproducible_across_seeds_and_threads() {
    let family = Sinusoid::default();
    for algorithm in [Algorithm::Maml, Algorithm::Reptile] {
        let mut config = MetaConfig::paper(algorithm, 10);
        config.iterations = 30;
        config.hidden = vec![20, 20];
        let run = |threads: usize, seed: u64| {
            let c = MetaConfig { threads, seed, ..config.clone() };
            let mut trace = Vec::new();
            let m = meta_train::<_, f32>(&family, &c, |p| {
                trace.push(p.post_update_loss.to_bits());
                ControlFlow::Continue(())
            })
            .unwrap();
            (m.params.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), trace)
        };
        let base = run(1, 4);
        assert_eq!(base, run(1, 4));
        assert_eq!(base, run(2, 4), "{algorithm:?}: 2 threads");
        assert_eq!(base, run(3, 4), "{algorithm:?}: 3 threads");
        assert_ne!(base.0, run(1, 5).0);
    }
}

/// The adapted fits are the evaluation's first tasks: the true curve is A·sin(x − φ) on an
/// even grid over [−5, 5]; with 0 steps the curve is the unadapted network's output; more
/// steps fit the support points better.
#[test]
fn adapted_fits_show_the_evaluation_tasks() {
    let family = Sinusoid::default();
    let mut config = MetaConfig::paper(Algorithm::Maml, 10);
    config.iterations = 100;
    let model = meta_train::<_, f64>(&family, &config, keep_going).unwrap();
    let fits = adapted_fits(&family, &model, 3, 10, &[10, 0, 1], 7, 41).unwrap();
    assert_eq!(fits.len(), 3);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    rng.set_stream(EVAL_STREAM);
    let mlp = model.mlp().unwrap();
    let mut ws = mlp.workspace(41);
    for fit in &fits {
        let (params, t) = family.task::<f64>(&mut rng, 10, EvalConfig::paper(10).query);
        assert_eq!(fit.params, params);
        assert_eq!(fit.support_x, t.support_x);
        assert_eq!(fit.grid_x.len(), 41);
        assert_eq!((fit.grid_x[0], fit.grid_x[40], fit.grid_x[20]), (-5.0, 5.0, 0.0));
        for (x, y) in fit.grid_x.iter().zip(&fit.truth) {
            assert!((y - params.amplitude * (x - params.phase).sin()).abs() < 1e-12);
        }
        assert_eq!(fit.curves.iter().map(|c| c.0).collect::<Vec<_>>(), [10, 0, 1]);
        let mut out = vec![0.0; 41];
        mlp.forward_values(&model.params, &fit.grid_x, &mut ws, &mut out).unwrap();
        assert_eq!(fit.curves[1].1, out);
    }
    assert!(matches!(
        adapted_fits(&family, &model, 1, 10, &[0], 7, 1),
        Err(Error::InvalidHyperparameter { name: "grid", .. })
    ));
}

/// Save and load give back the same bits; a truncated, corrupted, foreign or wrong-precision
/// file is a typed error, never a panic; a failed write keeps the old file.
#[test]
fn save_and_load() {
    let family = Sinusoid::default();
    let mut config = MetaConfig::paper(Algorithm::FirstOrderMaml, 5);
    config.iterations = 3;
    let model = meta_train::<_, f32>(&family, &config, keep_going).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bin");
    save(&path, &model).unwrap();
    let back: MetaModel<f32> = load(&path).unwrap();
    assert_eq!(back.config, model.config);
    assert_eq!(back.kind, model.kind);
    assert_eq!(back.spec, model.spec);
    assert!(back.params.iter().zip(&model.params).all(|(a, b)| a.to_bits() == b.to_bits()));
    // Only the target file is left in the directory (no temporary).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let bytes = std::fs::read(&path).unwrap();
    let damaged = dir.path().join("damaged.bin");
    for cut in [0, 5, 20, 23, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&damaged, &bytes[..cut]).unwrap();
        assert!(matches!(load::<f32>(&damaged), Err(Error::Malformed { .. })), "cut at {cut}");
    }
    for at in [30, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        std::fs::write(&damaged, &b).unwrap();
        match load::<f32>(&damaged) {
            Err(Error::Malformed { offset, reason, .. }) => {
                assert_eq!(offset, 24, "{reason}");
                assert!(reason.contains("CRC"), "{reason}");
            }
            other => panic!("byte {at} flipped: {other:?}"),
        }
    }
    let mut b = bytes.clone();
    b[8] = 9; // the version
    std::fs::write(&damaged, &b).unwrap();
    assert!(matches!(load::<f32>(&damaged), Err(Error::Malformed { offset: 8, .. })));
    assert!(matches!(load::<f64>(&path), Err(Error::Malformed { .. })));
    assert!(matches!(load::<f32>(&dir.path().join("missing")), Err(Error::Io { .. })));
    // A θ of the wrong length is refused on save.
    let mut bad = model.clone();
    bad.params.pop();
    assert!(matches!(save(&path, &bad), Err(Error::DimensionMismatch { .. })));
    assert!(load::<f32>(&path).is_ok());
    // A directory that does not exist: an I/O error.
    assert!(matches!(save(&dir.path().join("no/such/dir/m.bin"), &model), Err(Error::Io { .. })));
}
