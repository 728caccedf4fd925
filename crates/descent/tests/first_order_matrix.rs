//! The convergence matrix of the first-order family: every optimizer × every convex built-in
//! landscape, with the outcome each must reach — and each expected failure with its reason.
//!
//! The bounded rows are quadratics (ravine κ = 10, Booth, a rotated random quadratic with
//! κ = 100, the tridiagonal Poisson problem at n = 10); the ramp is convex too, and has no
//! minimum. Budget: 20 000 iterations to ‖∇L‖ ≤ 1e-6.

use descent::first_order::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, AmsGrad, FirstOrder, HeavyBall, Lion, Momentum, NAdam,
    Nesterov, NesterovLookAhead, Preset, RAdam, RmsProp, Schedule, Sgd,
};
use descent::problems::{Problem, ProblemConfig, build};
use descent::{Method, Options, Report, Status, minimize};

const GTOL: f64 = 1e-6;
const MAX_ITER: usize = 20_000;
const BOUNDED: [&str; 4] = ["ravine", "booth", "random_quadratic", "tridiagonal"];

/// What a run must end with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Converged, within this distance of the minimiser.
    Minimizer(f64),
    /// Not converged within the budget, but within this distance of the minimiser, for the
    /// reason given.
    Short(f64, &'static str),
}

/// Runs `method` on `problem` (tridiagonal at n = 10) from its standard start.
fn run<M: Method<dyn Problem>>(problem: &str, method: M) -> (Report, Option<f64>) {
    let dim = (problem == "tridiagonal").then_some(10);
    let p = build(problem, &ProblemConfig { dim, ..ProblemConfig::default() }).unwrap();
    let options = Options { max_iter: MAX_ITER, gtol: GTOL, ..Options::default() };
    let report = minimize(p.as_ref(), &p.start(), method, &options).unwrap();
    let distance = p
        .minimizers()
        .iter()
        .map(|m| m.iter().zip(&report.x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt())
        .min_by(f64::total_cmp);
    (report, distance)
}

/// One optimizer's row: the ramp must end unbounded, each bounded problem as `expect` says.
fn row<M: Method<dyn Problem> + Clone>(name: &str, method: M, expect: impl Fn(&str) -> Expect) {
    let (ramp, _) = run("ramp", method.clone());
    assert_eq!(ramp.status, Status::UnboundedBelow, "{name} × ramp");
    for problem in BOUNDED {
        let (report, distance) = run(problem, method.clone());
        let distance = distance.unwrap();
        let context = format!("{name} × {problem}: {} after {}", report.status, report.iterations);
        match expect(problem) {
            Expect::Minimizer(tolerance) => {
                assert!(report.status.is_converged(), "{context}");
                assert!(distance <= tolerance, "{context}: distance {distance:e}");
            }
            Expect::Short(within, _reason) => {
                assert_eq!(report.status, Status::MaxIterations, "{context}");
                assert!(distance <= within, "{context}: distance {distance:e}");
            }
        }
    }
}

/// Converged to within 2e-5 of the minimiser (the tridiagonal row's gradient tolerance
/// allows 1.2e-5 there: its smallest curvature is ≈ 0.08).
const CONVERGES: Expect = Expect::Minimizer(2e-5);

fn converges(_: &str) -> Expect {
    CONVERGES
}

#[test]
fn momentum_methods() {
    let t = Preset::Torch;
    row("sgd", FirstOrder::new(Sgd::new(0.01).rule()), converges);
    row("heavy_ball", FirstOrder::new(HeavyBall::new(0.01, 0.9).rule()), converges);
    row("momentum", FirstOrder::new(Momentum::preset(t, 0.01).rule()), converges);
    row("nesterov", FirstOrder::new(Nesterov::preset(t, 0.01).rule()), converges);
    let look_ahead = NesterovLookAhead {
        learning_rate: Schedule::Constant { learning_rate: 0.01 },
        momentum: 0.9,
    };
    row("nesterov_look_ahead", look_ahead, converges);
}

#[test]
fn adam_family() {
    let t = Preset::Torch;
    row("adam", FirstOrder::new(Adam::preset(t, 0.01).rule()), converges);
    row("amsgrad", FirstOrder::new(AmsGrad::preset(t, 0.01).rule()), converges);
    row("adamax", FirstOrder::new(Adamax::preset(t, 0.01).rule()), converges);
    row("nadam", FirstOrder::new(NAdam::preset(t, 0.01).rule()), converges);
    row("radam", FirstOrder::new(RAdam::preset(t, 0.01).rule()), converges);
    row("adamw", FirstOrder::new(AdamW::preset(t, 0.01).rule()), |problem| match problem {
        // The minimiser of the ravine is 0, where the decay λθ vanishes too.
        "ravine" => CONVERGES,
        _ => Expect::Short(
            1e-2,
            "decoupled decay: at the fixed point the Adam step balances λθ ≠ 0, so ∇L ≠ 0 \
             there and the run stops O(λ) short of the minimiser",
        ),
    });
}

#[test]
fn adaptive_scalings() {
    let t = Preset::Torch;
    row("adagrad", FirstOrder::new(Adagrad::preset(t, 0.5).rule()), converges);
    row("rmsprop", FirstOrder::new(RmsProp::preset(t, 0.01).rule().unwrap()), |problem| {
        match problem {
            "booth" => CONVERGES,
            _ => Expect::Short(
                0.02,
                "with decay 0.99, v follows g² within ~100 steps, so the step η·g/√v keeps a \
             length ≈ η: at a constant rate RMSProp orbits the minimiser at distance ~η",
            ),
        }
    });
    row("lion", FirstOrder::new(Lion::new(1e-3).rule()), |_| {
        Expect::Short(
            5e-3,
            "every coordinate moves by exactly ±η: at a constant rate Lion ends in an orbit \
             of radius ~η·√n around the minimiser",
        )
    });
    row("adadelta", FirstOrder::new(Adadelta::preset(t, 1.0).rule()), |_| {
        Expect::Short(
            0.5,
            "the first steps are ≈ √ε·g/√v ≈ 1e-3 and the numerator grows only with Adadelta's \
             own past steps: with torch's ε = 1e-6 it needs far more than 20 000 iterations",
        )
    });
}
