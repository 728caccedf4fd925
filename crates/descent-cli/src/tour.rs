//! `descent tour`: the story of gradient descent, told with numbers measured as it is told.
//!
//! Each chapter's experiment lives in `descent::tour` (where it is tested); this module only
//! narrates.

use descent::tour::{self, AdagradChapter, MomentumChapter, RampChapter, RavineRun};
use serde::Serialize;

use crate::args::TourArgs;
use crate::output::{number, print_json, print_table};

/// The ravine's condition numbers shown side by side.
const CONDITIONS: [f64; 2] = [10.0, 100.0];
/// The ravine of the momentum chapter.
const MOMENTUM_CONDITION: f64 = 100.0;
/// The tolerance the ravine runs aim for.
const GTOL: f64 = 1e-6;

#[derive(Serialize)]
struct TourJson {
    ramp: RampJson,
    ravine: Vec<RavineJson>,
    momentum: Vec<TunedJson>,
    adagrad: AdagradJson,
}

#[derive(Serialize)]
struct AdagradJson {
    gd_gap: f64,
    adagrad_gap: f64,
    adagrad_first_step_w: [f64; 2],
    adagrad_first_step_z: [f64; 2],
    ravine_iterations: [usize; 2],
}

#[derive(Serialize)]
struct TunedJson {
    method: &'static str,
    learning_rate: f64,
    momentum: f64,
    iterations: usize,
    largest_rise: f64,
}

#[derive(Serialize)]
struct RampJson {
    slope: f64,
    learning_rate: f64,
    status: &'static str,
    iterations: usize,
    steps: Vec<f64>,
    final_value: f64,
}

#[derive(Serialize)]
struct RavineJson {
    condition: f64,
    learning_rate: f64,
    status: &'static str,
    iterations: usize,
    predicted_iterations: usize,
    sign_flips: usize,
}

/// Runs `descent tour`.
pub fn run(args: &TourArgs) -> anyhow::Result<()> {
    let ramp = tour::ramp(1.0, 0.1)?;
    let ravines =
        CONDITIONS.iter().map(|&k| tour::ravine(k, GTOL)).collect::<Result<Vec<_>, _>>()?;
    let momentum = tour::momentum(MOMENTUM_CONDITION, GTOL)?;
    let adagrad = tour::adagrad()?;
    if args.json {
        return print_json(&TourJson {
            ramp: RampJson {
                slope: ramp.slope,
                learning_rate: ramp.learning_rate,
                status: ramp.report.status.name(),
                iterations: ramp.report.iterations,
                steps: ramp.steps(),
                final_value: ramp.report.value,
            },
            ravine: ravines
                .iter()
                .map(|r| RavineJson {
                    condition: r.condition,
                    learning_rate: r.learning_rate,
                    status: r.report.status.name(),
                    iterations: r.iterations,
                    predicted_iterations: r.predicted_iterations,
                    sign_flips: r.sign_flips,
                })
                .collect(),
            momentum: tuned_rows(&momentum),
            adagrad: AdagradJson {
                gd_gap: adagrad.gd_gap,
                adagrad_gap: adagrad.adagrad_gap,
                adagrad_first_step_w: adagrad.adagrad_first_step_w,
                adagrad_first_step_z: adagrad.adagrad_first_step_z,
                ravine_iterations: adagrad.ravine_iterations,
            },
        });
    }
    println!("descent — a tour of gradient descent\n");
    chapter_ramp(&ramp);
    chapter_ravine(&ravines);
    chapter_momentum(&momentum);
    chapter_adagrad(&adagrad);
    Ok(())
}

fn chapter_ramp(c: &RampChapter) {
    println!("Chapter 1. The ramp: a slope with no bottom\n");
    println!(
        "  L(θ) = c·θ with c = {}. The gradient is c everywhere, so gradient descent with\n  \
         α = {} moves θ by exactly α·c = {} at every step, for ever: there is no minimum to find.",
        number(c.slope),
        number(c.learning_rate),
        number(c.learning_rate * c.slope)
    );
    let steps = c.steps();
    let shown: Vec<String> = steps.iter().take(5).map(|s| number(*s)).collect();
    let worst = steps.iter().map(|s| (s - c.learning_rate * c.slope).abs()).fold(0.0, f64::max);
    println!(
        "\n  steps taken          {} … ({} steps, largest deviation from α·c: {:.1e})",
        shown.join(", "),
        steps.len(),
        worst
    );
    println!("  θ after the last     {}", number(*c.path.last().unwrap_or(&0.0)));
    println!(
        "  verdict              {} after {} iterations and {} evaluations",
        c.report.status, c.report.iterations, c.report.evaluations.value
    );
    println!(
        "\n  The run does not end at an iteration limit or pretend to converge: after {} flat\n  \
         steps the driver probes the ray ahead (θ + t·s for t = 4, 16, 64, …), finds L still\n  \
         falling at the same rate 10²⁰ away, and says so: unbounded below.\n",
        descent::Options::default().unbounded_window
    );
}

fn chapter_ravine(runs: &[RavineRun]) {
    println!("Chapter 2. The ravine: why plain gradient descent zig-zags\n");
    println!(
        "  L(w) = ½(w₁² + κ·w₂²): gentle along w₁, steep along w₂, κ the ratio of the curvatures.\n  \
         GD at the best fixed step α = 2/(1 + κ) multiplies w₁ by 1 − α > 0 but w₂ by\n  \
         1 − ακ = −(κ − 1)/(κ + 1) < 0: the steep coordinate overshoots and flips sign every step,\n  \
         and both shrink only by ρ = (κ − 1)/(κ + 1) per step.\n"
    );
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                number(r.condition),
                number(r.learning_rate),
                r.iterations.to_string(),
                r.predicted_iterations.to_string(),
                r.sign_flips.to_string(),
                r.report.status.to_string(),
            ]
        })
        .collect();
    print_table(&["κ", "α", "iterations", "predicted", "sign flips of w₂", "status"], &rows);
    if let [a, b] = runs {
        println!(
            "\n  Ten times the condition number cost {:.1} times the iterations (to ‖∇L‖ ≤ {}): the\n  \
             zig-zag is the price of one step size for two curvatures: the price the methods that\n  \
             follow (momentum, Nesterov, Newton) exist to lower.\n",
            b.iterations as f64 / a.iterations as f64,
            number(GTOL)
        );
    }
}

/// The momentum chapter's runs, in the order the table shows them.
fn tuned_rows(c: &MomentumChapter) -> Vec<TunedJson> {
    let row = |method, run: &tour::TunedRun, momentum| TunedJson {
        method,
        learning_rate: run.learning_rate,
        momentum,
        iterations: run.iterations,
        largest_rise: run.largest_rise,
    };
    vec![
        row("gd", &c.gradient_descent, 0.0),
        row("heavy_ball", &c.heavy_ball, 0.9),
        row("heavy_ball_polyak", &c.polyak, c.polyak_momentum),
        row("nesterov", &c.nesterov, 0.9),
    ]
}

fn chapter_momentum(c: &MomentumChapter) {
    println!("Chapter 3. Momentum: a heavy ball rolls through the ravine\n");
    println!(
        "  Same ravine, κ = {}. Heavy-ball momentum (Polyak 1964) keeps a velocity v ← γv − α∇L and\n  \
         steps θ ← θ + v: the zig-zags across the ravine cancel in v while the slope along it adds\n  \
         up. Nesterov (1983) takes the gradient where the ball is about to be, θ + γv, and so\n  \
         brakes before it overshoots. Each method at its best fixed step (a grid over (0, 2/κ]):\n",
        number(c.condition)
    );
    let rows: Vec<Vec<String>> = tuned_rows(c)
        .iter()
        .map(|r| {
            vec![
                r.method.replace('_', " "),
                number(r.learning_rate),
                number(r.momentum),
                r.iterations.to_string(),
                number(r.largest_rise),
            ]
        })
        .collect();
    print_table(&["method", "α", "γ", "iterations", "largest rise of L"], &rows);
    let gd = c.gradient_descent.iterations as f64;
    println!(
        "\n  Momentum at γ = 0.9 needs {:.0}% of GD's iterations; tuned as Polyak prescribes\n  \
         (γ = ((√κ − 1)/(√κ + 1))², iterations ∝ √κ instead of κ) it needs {:.0}%. Nesterov needs\n  \
         {:.0}% and its loss rises {:.1}× less at its worst moment than the heavy ball's.\n",
        100.0 * c.heavy_ball.iterations as f64 / gd,
        100.0 * c.polyak.iterations as f64 / gd,
        100.0 * c.nesterov.iterations as f64 / gd,
        c.heavy_ball.largest_rise / c.nesterov.largest_rise,
    );
}

fn chapter_adagrad(c: &AdagradChapter) {
    println!("Chapter 4. Adagrad: a learning rate for every coordinate\n");
    println!(
        "  Adagrad (Duchi, Hazan & Singer 2011) divides each coordinate's gradient by the root of\n  \
         its own accumulated squares, so steep and gentle coordinates move at similar speeds.\n  \
         Down the ravine at η = 0.5 it needs {} iterations for κ = 10 and {} for κ = 100: along\n  \
         the axes the per-coordinate scaling removes the condition number that chapter 2 showed\n  \
         costing GD in proportion.\n",
        c.ravine_iterations[0], c.ravine_iterations[1]
    );
    println!(
        "  The price: it depends on how the parameters are written. Take f(w) = ½(w₁² + 10w₂²)\n  \
         and write w = 2z. Plain GD on z with its step divided by 4 walks GD's path in w exactly\n  \
         (largest gap {:.1e}). Adagrad on z, same η, does not (largest gap {}): the factor 2 in\n  \
         ∇z cancels in its normalisation, so z moves as w did and w moves twice as far — first\n  \
         step ({}, {}) instead of ({}, {}).\n",
        c.gd_gap,
        number(c.adagrad_gap),
        number(c.adagrad_first_step_z[0]),
        number(c.adagrad_first_step_z[1]),
        number(c.adagrad_first_step_w[0]),
        number(c.adagrad_first_step_w[1]),
    );
}
