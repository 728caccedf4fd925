//! Parity with PyTorch and optax: 200 steps on a seeded least-squares problem (m = 100, n = 50)
//! must match each library's iterates to 1e-9 relative in f64.
//!
//! The reference trajectories were made by `bench/peers/reference_trajectories.py` with
//! torch 2.15 and optax 0.2.8 and are committed beside it; this test needs neither library.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use descent::first_order::adam::{ScaleByAdam, ScaleByAmsgrad};
use descent::first_order::rule::{AddDecayedWeights, LearningRate};
use descent::first_order::{
    Adam, AdamW, Adamax, AmsGrad, AmsgradMax, Lion, Momentum, NAdam, NAdamW, Nesterov, Optimizer,
    Preset, RAdam, RAdamW, Rule, Sgd,
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

/// The runs a test has checked, to prove at the end that none was skipped.
static CHECKED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

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
    let reference = reference();
    let run = &reference.runs[name];
    let problem = &reference.problem;
    let mut x = problem.x0.clone();
    let mut g = vec![0.0; x.len()];
    let mut optimizer = Optimizer::new(rule, x.len()).unwrap();
    let mut recorded = reference.steps.iter().zip(&run.iterates).peekable();
    for step in 1..=STEPS {
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
    assert!(recorded.next().is_none(), "{name}: every recorded step compared");
    CHECKED.lock().unwrap().insert(name);
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
