//! The theory's claims about first-order methods, each as a test on the ravine
//! ½(w₁² + κw₂²) with κ = 100 (the α/β = 100), started at (10, 1).
//!
//! "Best fixed step" is found the way a practitioner would: the step on a fine grid over
//! (0, 2/λ_max] that reaches ‖∇L‖ < 1e-6 in the fewest iterations.

use descent::first_order::{FirstOrder, HeavyBall, Nesterov, NesterovLookAhead, Preset, Schedule};
use descent::problems::Ravine;
use descent::{GradientDescent, Method, Options, Report, Trace, minimize_observed};

const KAPPA: f64 = 100.0;
const START: [f64; 2] = [10.0, 1.0];
const GTOL: f64 = 1e-6;

fn ravine() -> Ravine {
    Ravine::new(KAPPA).unwrap()
}

fn run<M: Method<Ravine>>(method: M) -> (Report, Trace) {
    let options = Options { max_iter: 20_000, gtol: GTOL, ..Options::default() };
    let mut trace = Trace::default();
    let report = minimize_observed(&ravine(), &START, method, &options, &mut trace).unwrap();
    (report, trace)
}

/// The fewest iterations over a grid of fixed steps: (iterations, step).
fn best_step<M: Method<Ravine>>(make: impl Fn(f64) -> M) -> (usize, f64) {
    let run = descent::tour::best_fixed_step(&ravine(), GTOL, |lr| Ok(make(lr)))
        .unwrap()
        .expect("some step converges");
    (run.iterations, run.learning_rate)
}

/// The largest rise of the loss between consecutive iterates (0 for a monotone run).
fn largest_rise(trace: &Trace) -> f64 {
    trace.rows.windows(2).map(|w| w[1].value - w[0].value).fold(0.0, f64::max)
}

#[test]
fn momentum_beats_plain_gradient_descent_in_the_ravine() {
    let (gd, _) = best_step(|lr| GradientDescent::new(lr).unwrap());
    let (momentum_09, _) = best_step(|lr| FirstOrder::new(HeavyBall::new(lr, 0.9).rule()));
    // Polyak's tuning for a quadratic with curvatures in [μ, L]:
    // γ = ((√κ − 1)/(√κ + 1))², α = 4/(√L + √μ)²; rate (√κ − 1)/(√κ + 1) instead of GD's
    // (κ − 1)/(κ + 1): iterations ∝ √κ instead of κ.
    let root = KAPPA.sqrt();
    let gamma = ((root - 1.0) / (root + 1.0)).powi(2);
    let alpha = 4.0 / (root + 1.0).powi(2);
    let (polyak, _) = run(FirstOrder::new(HeavyBall::new(alpha, gamma).rule()));
    assert!(polyak.status.is_converged());
    // With γ = 0.9 every mode contracts by √γ ≈ 0.949 at best, so the gain is bounded: about
    // a third of GD's iterations (measured: 265 vs 811). Tuned, momentum needs under a quarter.
    assert!(3 * momentum_09 <= gd + gd / 10, "γ = 0.9: {momentum_09} vs GD {gd}");
    assert!(4 * polyak.iterations <= gd, "Polyak's γ, α: {} vs GD {gd}", polyak.iterations);
}

#[test]
fn nesterov_needs_no_more_iterations_than_momentum_and_overshoots_less() {
    let (momentum, momentum_lr) = best_step(|lr| FirstOrder::new(HeavyBall::new(lr, 0.9).rule()));
    let (nesterov, nesterov_lr) =
        best_step(|lr| FirstOrder::new(Nesterov::preset(Preset::Torch, lr).rule()));
    assert!(nesterov <= momentum, "Nesterov {nesterov} vs momentum {momentum}");
    let (_, momentum_trace) = run(FirstOrder::new(HeavyBall::new(momentum_lr, 0.9).rule()));
    let (_, nesterov_trace) =
        run(FirstOrder::new(Nesterov::preset(Preset::Torch, nesterov_lr).rule()));
    let (rise_m, rise_n) = (largest_rise(&momentum_trace), largest_rise(&nesterov_trace));
    assert!(rise_n < rise_m, "largest rise: Nesterov {rise_n} vs momentum {rise_m}");
}

#[test]
fn look_ahead_and_reformulated_nesterov_give_the_same_iterates_at_a_constant_rate() {
    let (lr, gamma) = (0.01, 0.9);
    let (_, reformulated) = run(FirstOrder::new(
        Nesterov { momentum: gamma, ..Nesterov::preset(Preset::Torch, lr) }.rule(),
    ));
    let look_ahead = NesterovLookAhead {
        learning_rate: Schedule::Constant { learning_rate: lr },
        momentum: gamma,
    };
    let (_, direct) = run(look_ahead);
    assert_eq!(reformulated.rows.len(), direct.rows.len());
    for (a, b) in reformulated.rows.iter().zip(&direct.rows) {
        for (x, y) in a.x.iter().zip(&b.x) {
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "iteration {}", a.iteration);
        }
    }
}

#[test]
fn under_a_changing_rate_the_two_nesterov_forms_part() {
    // The reformulation φ = θ + γv assumes η is the same at consecutive steps: torch's form
    // applies a new η to the whole buffer at once, the look-ahead form only to new gradients.
    let schedule = Schedule::Step { learning_rate: 0.01, step_size: 5, gamma: 0.5 };
    let (_, reformulated) = run(FirstOrder::new(
        Nesterov { learning_rate: schedule.clone(), ..Nesterov::preset(Preset::Torch, 0.0) }.rule(),
    ));
    let (_, direct) = run(NesterovLookAhead { learning_rate: schedule, momentum: 0.9 });
    let same_until = |k: usize| {
        (0..=k).all(|i| {
            reformulated.rows[i]
                .x
                .iter()
                .zip(&direct.rows[i].x)
                .all(|(x, y)| (x - y).abs() <= 1e-12)
        })
    };
    assert!(same_until(5), "identical while η is constant");
    assert!(!same_until(7), "different once η has changed");
}

#[test]
fn gradient_descent_contracts_at_the_theory_rate() {
    // GD at 2/(1 + κ): ‖∇L‖ shrinks by exactly (κ − 1)/(κ + 1) per step.
    let rho = (KAPPA - 1.0) / (KAPPA + 1.0);
    let (_, trace) = run(GradientDescent::new(2.0 / (1.0 + KAPPA)).unwrap());
    for w in trace.rows.windows(2).take(50) {
        assert!((w[1].grad_norm / w[0].grad_norm - rho).abs() < 1e-12);
    }
}

#[test]
fn adagrad_is_not_invariant_to_rescaling_a_parameter_and_gradient_descent_is() {
    use descent::first_order::{Adagrad, Sgd};
    let max_gap = |a: &[[f64; 2]], b: &[[f64; 2]]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
            .fold(0.0, f64::max)
    };
    // GD on z with the step divided by 4 walks exactly GD's path in w.
    use descent::tour::rescaled_path;
    // f(w) = ½(w₁² + 10w₂²) from w₀ = (3, 1), run on w and on z with w = 2z.
    let gd_w = rescaled_path(Sgd::new(0.05).rule(), 1.0, 50).unwrap();
    let gd_z = rescaled_path(Sgd::new(0.05 / 4.0).rule(), 2.0, 50).unwrap();
    assert!(max_gap(&gd_w, &gd_z) <= 1e-12, "GD: {}", max_gap(&gd_w, &gd_z));
    // Adagrad divides the gradient by its own running norm, so the factor 2 in ∇g cancels and
    // z moves as w would: in w the steps are twice as long. No common rescaling of the gradient
    // changes Adagrad's path; a rescaled parameter does.
    let ada_w = rescaled_path(Adagrad::preset(Preset::Torch, 0.1).rule(), 1.0, 50).unwrap();
    let ada_z = rescaled_path(Adagrad::preset(Preset::Torch, 0.1).rule(), 2.0, 50).unwrap();
    assert!(max_gap(&ada_w, &ada_z) > 1e-2, "Adagrad: {}", max_gap(&ada_w, &ada_z));
    let first_step = |p: &[[f64; 2]]| [p[1][0] - p[0][0], p[1][1] - p[0][1]];
    let (sw, sz) = (first_step(&ada_w), first_step(&ada_z));
    for k in 0..2 {
        assert!((sz[k] - 2.0 * sw[k]).abs() <= 1e-9, "first step in w doubles: {sz:?} vs {sw:?}");
    }
}
