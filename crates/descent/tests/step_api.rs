//! The step API's promises: resume is bit-identical, the thread count does not change a bit,
//! f32 and f64 both work, and bad input is a typed error that changes nothing.

use descent::Error;
use descent::first_order::{
    Adam, AdamW, FiniteCheck, Momentum, Nesterov, Optimizer, OptimizerState, PARALLEL_THRESHOLD,
    Preset, Rule, Schedule, Threads,
};

/// A deterministic, non-trivial gradient for parameter i at step t: ∇ of Σ aᵢ(θᵢ − cᵢ)² plus
/// a step-dependent wobble, so that state evolves differently per element.
fn gradient<T: descent::first_order::Real>(params: &[T], t: u64, grads: &mut [T]) {
    for (i, (g, p)) in grads.iter_mut().zip(params).enumerate() {
        let a = 0.5 + (i % 7) as f64 * 0.25;
        let c = ((i % 13) as f64 - 6.0) * 0.1;
        let wobble = ((i as f64) * 0.37 + t as f64).sin() * 0.01;
        *g = T::of(2.0 * a * (p.as_f64() - c) + wobble);
    }
}

fn run<R: Rule, T: descent::first_order::Real>(
    opt: &mut Optimizer<R, T>,
    params: &mut [T],
    steps: u64,
) {
    let mut grads = vec![T::zero(); params.len()];
    for _ in 0..steps {
        gradient(params, opt.steps() + 1, &mut grads);
        opt.step(params, &grads).unwrap();
    }
}

#[test]
fn a_resumed_run_is_bit_identical_to_an_uninterrupted_one() {
    let n = 1000;
    let rule = AdamW {
        adam: Adam {
            learning_rate: Schedule::Exponential { learning_rate: 1e-2, gamma: 0.99 },
            ..Adam::preset(Preset::Torch, 0.0)
        },
        weight_decay: 0.05,
    }
    .rule();
    let mut straight_params = vec![0.3f32; n];
    let mut straight = Optimizer::new(rule.clone(), n).unwrap();
    run(&mut straight, &mut straight_params, 60);

    let mut params = vec![0.3f32; n];
    let mut first = Optimizer::new(rule.clone(), n).unwrap();
    run(&mut first, &mut params, 25);
    let saved = serde_json::to_string(first.state()).unwrap();
    let saved_params = serde_json::to_string(&params).unwrap();
    drop(first);
    let state: OptimizerState<_, f32> = serde_json::from_str(&saved).unwrap();
    let mut params: Vec<f32> = serde_json::from_str(&saved_params).unwrap();
    let mut resumed = Optimizer::resume(rule, state).unwrap();
    run(&mut resumed, &mut params, 35);

    assert_eq!(resumed.steps(), 60);
    assert_eq!(params, straight_params, "bit for bit");
    assert_eq!(resumed.state(), straight.state());
}

#[test]
fn the_thread_count_does_not_change_a_bit() {
    let n = PARALLEL_THRESHOLD * 3 + 12_345;
    let rule = Nesterov { weight_decay: 1e-3, ..Nesterov::preset(Preset::Torch, 1e-2) }.rule();
    let mut results = Vec::new();
    for threads in
        [Threads::Single, Threads::count(2).unwrap(), Threads::count(3).unwrap(), Threads::Auto]
    {
        let mut params = vec![1.0f64; n];
        let mut opt = Optimizer::new(rule.clone(), n).unwrap().with_threads(threads);
        run(&mut opt, &mut params, 5);
        results.push((params, opt.state().clone()));
    }
    for r in &results[1..] {
        assert!(r.0 == results[0].0 && r.1 == results[0].1);
    }
}

#[test]
fn global_norm_clipping_is_thread_independent_too() {
    use descent::first_order::rule::{ClipByGlobalNorm, LearningRate};
    let n = PARALLEL_THRESHOLD * 2 + 7;
    let rule = ClipByGlobalNorm { max_norm: 1.0 }.then(LearningRate::constant(0.1));
    let mut results = Vec::new();
    for threads in [Threads::Single, Threads::count(2).unwrap()] {
        let mut params = vec![1.0f32; n];
        let mut opt = Optimizer::new(rule.clone(), n).unwrap().with_threads(threads);
        run(&mut opt, &mut params, 3);
        results.push(params);
    }
    assert!(results[0] == results[1]);
}

#[test]
fn global_norm_clipping_scales_to_the_norm() {
    use descent::first_order::rule::{ClipByGlobalNorm, LearningRate};
    let rule = ClipByGlobalNorm { max_norm: 1.0 }.then(LearningRate::constant(1.0));
    let mut opt = Optimizer::new(rule, 2).unwrap();
    let mut params = [0.0f64, 0.0];
    opt.step(&mut params, &[3.0, 4.0]).unwrap(); // ‖g‖ = 5 → scaled to 1
    assert!((params[0] + 0.6).abs() < 1e-15 && (params[1] + 0.8).abs() < 1e-15);
    opt.step(&mut params, &[0.3, 0.4]).unwrap(); // ‖g‖ = 0.5 → untouched
    assert!((params[0] + 0.9).abs() < 1e-15 && (params[1] + 1.2).abs() < 1e-15);
}

#[test]
fn f32_and_f64_take_the_same_path() {
    let rule = Momentum::preset(Preset::Torch, 0.05).rule();
    let mut p32 = vec![1.0f32; 10];
    let mut p64 = vec![1.0f64; 10];
    run(&mut Optimizer::new(rule.clone(), 10).unwrap(), &mut p32, 100);
    run(&mut Optimizer::new(rule, 10).unwrap(), &mut p64, 100);
    for (a, b) in p32.iter().zip(&p64) {
        assert!((f64::from(*a) - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn bad_input_is_a_typed_error_that_changes_nothing() {
    let mut opt = Optimizer::new(Adam::preset(Preset::Torch, 0.1).rule(), 3).unwrap();
    let mut params = [1.0f64, 2.0, 3.0];
    assert_eq!(
        opt.step(&mut params[..2], &[0.0; 2]),
        Err(Error::DimensionMismatch { what: "params", expected: 3, got: 2 })
    );
    assert_eq!(
        opt.step(&mut params, &[0.0; 4]),
        Err(Error::DimensionMismatch { what: "grads", expected: 3, got: 4 })
    );
    let before = opt.state().clone();
    let error = opt.step(&mut params, &[0.1, f64::NAN, 0.2]).unwrap_err();
    assert!(matches!(error, Error::NonFiniteGradient { index: 1, value } if value.is_nan()));
    let error = opt.step(&mut params, &[0.1, 0.2, f64::NEG_INFINITY]).unwrap_err();
    assert_eq!(error, Error::NonFiniteGradient { index: 2, value: f64::NEG_INFINITY });
    assert_eq!(params, [1.0, 2.0, 3.0], "parameters untouched");
    assert_eq!(opt.state(), &before, "state untouched");
    // Trusting callers get torch's behaviour: the NaN goes through.
    let mut opt = opt.with_finite_check(FiniteCheck::Trust);
    opt.step(&mut params, &[0.1, f64::NAN, 0.2]).unwrap();
    assert!(params[1].is_nan() && params[0].is_finite());
}

#[test]
fn a_plateau_cuts_the_rate_and_the_cut_is_saved_with_the_state() {
    use descent::first_order::{ReduceOnPlateau, Sgd};
    let rule = Sgd::new(0.1).rule();
    let mut opt = Optimizer::new(rule.clone(), 1).unwrap();
    let mut plateau = ReduceOnPlateau::new(0.5, 1);
    let mut theta = [1.0f64];
    // A loss that never improves: the first observation sets the best, and after
    // patience + 1 = 2 more the scale halves.
    for _ in 0..3 {
        opt.set_learning_rate_scale(plateau.observe(3.0)).unwrap();
    }
    assert_eq!(plateau.scale(), 0.5);
    opt.step(&mut theta, &[1.0]).unwrap();
    assert_eq!(theta, [1.0 - 0.1 * 0.5]);
    let saved = serde_json::to_string(opt.state()).unwrap();
    let state: OptimizerState<_, f64> = serde_json::from_str(&saved).unwrap();
    assert_eq!(state.learning_rate_scale, 0.5);
    let _ = Optimizer::resume(rule, state).unwrap();
    assert!(opt.set_learning_rate_scale(0.0).is_err());
}

#[test]
fn the_driver_cuts_the_rate_on_a_plateau() {
    use descent::first_order::{FirstOrder, ReduceOnPlateau, Sgd};
    use descent::{Options, minimize, problems::Booth};
    // α = 0.11 > 2/18 makes plain SGD diverge on Booth; the plateau observer halves it
    // (patience 2) until the run converges.
    let options = Options { max_iter: 5000, ..Options::default() };
    let sgd = || FirstOrder::new(Sgd::new(0.112).rule());
    let plain = minimize(&Booth::new(), &[0.0, 0.0], sgd(), &options).unwrap();
    assert!(matches!(plain.status, descent::Status::Diverged { .. }), "{plain:?}");
    let rescued = minimize(
        &Booth::new(),
        &[0.0, 0.0],
        sgd().with_plateau(ReduceOnPlateau::new(0.5, 2)),
        &options,
    )
    .unwrap();
    assert!(rescued.status.is_converged(), "{rescued:?}");
}
