//! Parity with PyTorch and optax: 200 steps on a seeded least-squares problem (m = 100, n = 50)
//! must match each library's iterates to 1e-9 relative in f64.
//!
//! The reference trajectories were made by `bench/peers/reference_trajectories.py` with
//! torch 2.15 and optax 0.2.8 and are committed beside it; this test needs neither library.

use std::collections::HashMap;

use descent::first_order::adam::{ScaleByAdam, ScaleByAmsgrad};
use descent::first_order::rmsprop::{ScaleByCenteredRms, ScaleByRms};
use descent::first_order::rule::{AddDecayedWeights, LearningRate};
use descent::first_order::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, AmsGrad, AmsgradMax, Lion, Momentum, NAdam, NAdamW,
    Nesterov, OptaxMomentum, Optimizer, Preset, RAdam, RAdamW, RmsProp, Rule, Schedule, Sgd,
    TorchMomentum,
};
use serde::Deserialize;

/// ‖ours − theirs‖∞ ≤ TOLERANCE·‖theirs‖∞ at every recorded step.
const TOLERANCE: f64 = 1e-9;
const STEPS: usize = 200;

#[derive(Deserialize)]
struct Reference {
    problem: LeastSquares,
    steps: Vec<usize>,
    runs: HashMap<String, Run>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct LeastSquares {
    A: Vec<Vec<f64>>,
    b: Vec<f64>,
    x0: Vec<f64>,
}

#[derive(Deserialize)]
struct Run {
    iterates: Vec<Vec<f64>>,
}

fn reference() -> &'static Reference {
    static REFERENCE: std::sync::OnceLock<Reference> = std::sync::OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/peers/reference_trajectories.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("valid JSON")
    })
}

/// g = Aᵀ(Ax − b).
fn gradient(p: &LeastSquares, x: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    for (row, bi) in p.A.iter().zip(&p.b) {
        let r = row.iter().zip(x).map(|(a, x)| a * x).sum::<f64>() - bi;
        for (gj, a) in g.iter_mut().zip(row) {
            *gj += a * r;
        }
    }
}

/// Steps `rule` from x₀ and compares with the library's iterates.
fn check<R: Rule>(name: &'static str, rule: R) {
    check_through(name, rule, STEPS);
}

/// As [`check`], over the first `last` steps only (for a run whose later steps amplify
/// rounding, which no reimplementation can then follow).
fn check_through<R: Rule>(name: &'static str, rule: R, last: usize) {
    let reference = reference();
    let run = &reference.runs[name];
    let problem = &reference.problem;
    let mut x = problem.x0.clone();
    let mut g = vec![0.0; x.len()];
    let mut optimizer = Optimizer::new(rule, x.len()).unwrap();
    let mut recorded = reference.steps.iter().zip(&run.iterates).peekable();
    for step in 1..=last {
        gradient(problem, &x, &mut g);
        optimizer.step(&mut x, &g).unwrap();
        if let Some((_, theirs)) = recorded.next_if(|(s, _)| **s == step) {
            let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let error = x.iter().zip(theirs).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                error <= TOLERANCE * scale,
                "{name}, step {step}: ‖ours − theirs‖∞ = {error:e}, relative {:e}",
                error / scale
            );
        }
    }
    assert!(recorded.next().is_none_or(|(s, _)| *s > last), "{name}: every recorded step compared");
}

#[test]
fn sgd_and_momentum() {
    check("torch_sgd", Sgd::new(0.1).rule());
    check("torch_sgd_wd", Sgd { weight_decay: 0.01, ..Sgd::new(0.1) }.rule());
    check("torch_momentum", Momentum::preset(Preset::Torch, 0.05).rule());
    check(
        "torch_momentum_dampening",
        Momentum { dampening: 0.1, ..Momentum::preset(Preset::Torch, 0.05) }.rule(),
    );
    check("torch_nesterov", Nesterov::preset(Preset::Torch, 0.05).rule());
    check(
        "torch_nesterov_wd",
        Nesterov { weight_decay: 0.01, ..Nesterov::preset(Preset::Torch, 0.05) }.rule(),
    );
    check("optax_sgd", Sgd::new(0.1).rule());
    check("optax_momentum", Momentum::preset(Preset::Optax, 0.05).rule());
    check("optax_nesterov", Nesterov::preset(Preset::Optax, 0.05).rule());
}

#[test]
fn adam_family() {
    check("torch_adam", Adam::preset(Preset::Torch, 0.01).rule());
    check("torch_adam_wd", Adam { weight_decay: 0.01, ..Adam::preset(Preset::Torch, 0.01) }.rule());
    check("torch_amsgrad", AmsGrad::preset(Preset::Torch, 0.01).rule());
    check("torch_adamw", AdamW::preset(Preset::Torch, 0.01).rule());
    // Composed by hand from the public rules: AMSGrad moments → decoupled decay → −η.
    let moments = ScaleByAdam { beta1: 0.9, beta2: 0.999, eps: 1e-8, eps_root: 0.0 };
    check(
        "torch_adamw_amsgrad",
        ScaleByAmsgrad { moments, max: AmsgradMax::Raw }
            .then(AddDecayedWeights { weight_decay: 0.1 })
            .then(LearningRate::constant(0.01)),
    );
    check("optax_adam", Adam::preset(Preset::Optax, 0.01).rule());
    check("optax_adamw", AdamW::preset(Preset::Optax, 0.01).rule());
    check("optax_amsgrad", AmsGrad::preset(Preset::Optax, 0.01).rule());
}

#[test]
fn adamax_nadam_radam_lion() {
    check("torch_adamax", Adamax::preset(Preset::Torch, 0.01).rule());
    check("torch_nadam", NAdam::preset(Preset::Torch, 0.01).rule());
    check("torch_nadam_decoupled", NAdamW::new(NAdam::preset(Preset::Torch, 0.01), 0.01).rule());
    check("torch_radam", RAdam::preset(Preset::Torch, 0.01).rule());
    check("torch_radam_decoupled", RAdamW::new(RAdam::preset(Preset::Torch, 0.01), 0.01).rule());
    check("optax_adamax", Adamax::preset(Preset::Optax, 0.01).rule());
    check("optax_nadam", NAdam::preset(Preset::Optax, 0.01).rule());
    check("optax_radam", RAdam::preset(Preset::Optax, 0.01).rule());
    check("optax_lion", Lion::new(0.001).rule());
}

/// Four RMSProp runs are compared over their first 50 or 100 steps only. Later they reach a
/// regime (steps of about η bouncing around the minimum while v, or v − ḡ², collapses) that
/// amplifies rounding, so no reimplementation can follow them — not even the library itself,
/// rerun from x₀ moved by one ulp in x₀[0]. Relative distance of that rerun from the recorded
/// iterates (the harness's gradient, summed in another order than numpy's BLAS, does the same):
///
/// | run | step 50 | step 100 | step 150 | step 200 |
/// |---|---|---|---|---|
/// | torch_rmsprop_all | 1.7e-14 | 8.6e-10 | 1.6e-7 | 1.9e-5 |
/// | optax_rmsprop | 3.9e-15 | 4.8e-3 | 8.1e-3 | 4.5e-3 |
/// | optax_rmsprop_centered | 5.4e-12 | 1.8e-8 | 5.9e-8 | 1.2e-4 |
/// | optax_rmsprop_momentum | 5.6e-16 | 2.9e-14 | 5.0e-10 | 1.4e-7 |
///
/// `rmsprop_after_rounding_takes_over` compares them to step 200 and is ignored for that reason.
#[test]
fn adagrad_rmsprop_adadelta() {
    let torch = Preset::Torch;
    let optax = Preset::Optax;
    check("torch_adagrad", Adagrad::preset(torch, 0.1).rule());
    check(
        "torch_adagrad_decay",
        Adagrad {
            // torch's lr_decay = 0.01: clr = lr/(1 + (t − 1)·lr_decay).
            learning_rate: Schedule::InverseTime { learning_rate: 0.1, decay: 0.01 },
            initial_accumulator: 0.1,
            weight_decay: 0.01,
            ..Adagrad::preset(torch, 0.1)
        }
        .rule(),
    );
    check("torch_rmsprop", RmsProp::preset(torch, 0.01).rule().unwrap());
    check("torch_rmsprop_centered", RmsProp::preset(torch, 0.01).centered_rule().unwrap());
    check(
        "torch_rmsprop_momentum",
        RmsProp { momentum: 0.9, ..RmsProp::preset(torch, 0.01) }
            .build::<ScaleByRms, TorchMomentum>()
            .unwrap(),
    );
    check_through("torch_rmsprop_all", torch_rmsprop_all(), 50);
    check("torch_adadelta", Adadelta::preset(torch, 1.0).rule());
    check(
        "torch_adadelta_wd",
        Adadelta { rho: 0.95, eps: 1e-6, weight_decay: 0.01, ..Adadelta::preset(torch, 0.5) }
            .rule(),
    );
    check("optax_adagrad", Adagrad::preset(optax, 0.1).rule());
    check_through("optax_rmsprop", optax_rmsprop(), 50);
    check_through("optax_rmsprop_centered", optax_rmsprop_centered(), 50);
    check_through("optax_rmsprop_momentum", optax_rmsprop_momentum(), 100);
    check("optax_adadelta", Adadelta::preset(optax, 1.0).rule());
}

/// torch's `RMSprop(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5,
/// centered=True)`: centered, momentum in torch's order, coupled weight decay.
fn torch_rmsprop_all() -> impl Rule {
    RmsProp {
        decay: 0.9,
        eps: 1e-6,
        weight_decay: 0.01,
        momentum: 0.5,
        ..RmsProp::preset(Preset::Torch, 0.01)
    }
    .build::<ScaleByCenteredRms, TorchMomentum>()
    .unwrap()
}

/// optax's `rmsprop(0.01)`.
fn optax_rmsprop() -> impl Rule {
    RmsProp::preset(Preset::Optax, 0.01).rule().unwrap()
}

/// optax's `rmsprop(0.01, centered=True)`.
fn optax_rmsprop_centered() -> impl Rule {
    RmsProp::preset(Preset::Optax, 0.01).centered_rule().unwrap()
}

/// optax's `rmsprop(0.01, momentum=0.9)`: momentum in optax's order (η inside the trace).
fn optax_rmsprop_momentum() -> impl Rule {
    RmsProp { momentum: 0.9, ..RmsProp::preset(Preset::Optax, 0.01) }
        .build::<ScaleByRms, OptaxMomentum>()
        .unwrap()
}

#[test]
#[ignore = "expected to fail: these runs amplify rounding after step 50 or 100, the libraries \
            themselves included (see adagrad_rmsprop_adadelta)"]
fn rmsprop_after_rounding_takes_over() {
    check("optax_rmsprop_momentum", optax_rmsprop_momentum());
    check("torch_rmsprop_all", torch_rmsprop_all());
    check("optax_rmsprop_centered", optax_rmsprop_centered());
    check("optax_rmsprop", optax_rmsprop());
}

#[test]
fn every_reference_run_is_checked() {
    // Each run's name must appear, quoted, in a `check` call of this file.
    let source = include_str!("parity.rs");
    let missing: Vec<&String> =
        reference().runs.keys().filter(|name| !source.contains(&format!("\"{name}\""))).collect();
    assert!(missing.is_empty(), "reference runs without a check: {missing:?}");
}
