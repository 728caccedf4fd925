//! `descent tour`: the story of gradient descent, told with numbers measured as it is told.
//!
//! Each chapter's experiment lives in `descent::tour` (where it is tested); this module only
//! narrates, draws the figures, and writes the report (`descent-report/index.html`, with every
//! figure also as its own SVG and PNG).

use descent::tour::{self, AdagradChapter, MomentumChapter, RampChapter, RavineRun};
use serde::Serialize;

use crate::args::TourArgs;
use crate::output::{number, print_json};
use crate::plots::{self, Series};
use crate::report::{self, Block, Figure, Section};

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
    let sections = vec![
        chapter_ramp(&ramp)?,
        chapter_ravine(&ravines)?,
        chapter_momentum(&momentum)?,
        chapter_adagrad(&adagrad)?,
    ];
    report::write(TITLE, &sections, &args.out)?;
    report::print(TITLE, &sections, &args.out);
    Ok(())
}

const TITLE: &str = "descent — a tour of gradient descent";

/// ½(w₁² + κw₂²), the ravine.
fn ravine_value(condition: f64) -> impl Fn(f64, f64) -> f64 {
    move |w1, w2| 0.5 * (w1 * w1 + condition * w2 * w2)
}

/// A path figure over the ravine with condition κ (minimum at the origin).
fn ravine_figure(
    name: &str,
    caption: &str,
    condition: f64,
    paths: &[(String, Vec<[f64; 2]>)],
) -> anyhow::Result<Figure> {
    let minima = [[0.0, 0.0]];
    let (xr, yr) = plots::plot_box(paths, &minima);
    let f = ravine_value(condition);
    Figure::new(name, caption, |format| plots::paths(caption, &f, xr, yr, paths, &minima, format))
}

fn chapter_ramp(c: &RampChapter) -> anyhow::Result<Section> {
    let steps = c.steps();
    let shown: Vec<String> = steps.iter().take(5).map(|s| number(*s)).collect();
    let worst = steps.iter().map(|s| (s - c.learning_rate * c.slope).abs()).fold(0.0, f64::max);
    let path = Series {
        name: "θ".into(),
        points: c.path.iter().enumerate().map(|(k, t)| (k as f64, *t)).collect(),
    };
    let caption = "The ramp: θ against the iteration, a straight line down";
    let figure = Figure::new("ramp", caption, |format| {
        plots::lines(caption, "iteration", "θ", std::slice::from_ref(&path), false, format)
    })?;
    Ok(Section {
        title: "Chapter 1. The ramp: a slope with no bottom".into(),
        blocks: vec![
            Block::Text(format!(
                "L(θ) = c·θ with c = {}. The gradient is c everywhere, so gradient descent with \
                 α = {} moves θ by exactly α·c = {} at every step, for ever: there is no minimum \
                 to find.",
                number(c.slope),
                number(c.learning_rate),
                number(c.learning_rate * c.slope)
            )),
            Block::Table(
                vec![
                    "steps taken".into(),
                    "largest deviation from α·c".into(),
                    "θ after the last".into(),
                    "verdict".into(),
                ],
                vec![vec![
                    format!("{} … ({} steps)", shown.join(", "), steps.len()),
                    format!("{worst:.1e}"),
                    number(*c.path.last().unwrap_or(&0.0)),
                    format!(
                        "{} after {} iterations, {} evaluations",
                        c.report.status, c.report.iterations, c.report.evaluations.value
                    ),
                ]],
            ),
            Block::Text(format!(
                "The run does not end at an iteration limit or pretend to converge: after {} flat \
                 steps the driver probes the ray ahead (θ + t·s for t = 4, 16, 64, …), finds L \
                 still falling at the same rate 10²⁰ away, and says so: unbounded below.",
                descent::Options::default().unbounded_window
            )),
            Block::Figure(figure),
        ],
    })
}

fn chapter_ravine(runs: &[RavineRun]) -> anyhow::Result<Section> {
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
    let header = ["κ", "α", "iterations", "predicted", "sign flips of w₂", "status"];
    let mut blocks = vec![
        Block::Text(
            "L(w) = ½(w₁² + κ·w₂²): gentle along w₁, steep along w₂, κ the ratio of the \
             curvatures. GD at the best fixed step α = 2/(1 + κ) multiplies w₁ by 1 − α > 0 but \
             w₂ by 1 − ακ = −(κ − 1)/(κ + 1) < 0: the steep coordinate overshoots and flips sign \
             every step, and both shrink only by ρ = (κ − 1)/(κ + 1) per step."
                .into(),
        ),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
    ];
    if let [a, b] = runs {
        blocks.push(Block::Text(format!(
            "Ten times the condition number cost {:.1} times the iterations (to ‖∇L‖ ≤ {}): the \
             zig-zag is the price of one step size for two curvatures: the price the methods \
             that follow (momentum, Nesterov, Newton) exist to lower.",
            b.iterations as f64 / a.iterations as f64,
            number(GTOL)
        )));
    }
    for r in runs {
        let name = format!("ravine-{}", r.condition);
        let caption = format!("Plain GD down the ravine, κ = {}", number(r.condition));
        let paths = vec![(format!("GD, α = {}", number(r.learning_rate)), r.path.clone())];
        blocks.push(Block::Figure(ravine_figure(&name, &caption, r.condition, &paths)?));
    }
    Ok(Section {
        title: "Chapter 2. The ravine: why plain gradient descent zig-zags".into(),
        blocks,
    })
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

fn chapter_momentum(c: &MomentumChapter) -> anyhow::Result<Section> {
    let table = tuned_rows(c);
    let rows: Vec<Vec<String>> = table
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
    let header = ["method", "α", "γ", "iterations", "largest rise of L"];
    let runs = [&c.gradient_descent, &c.heavy_ball, &c.polyak, &c.nesterov];
    let paths: Vec<(String, Vec<[f64; 2]>)> = table
        .iter()
        .zip(runs)
        .map(|(row, run)| (row.method.replace('_', " "), run.path.clone()))
        .collect();
    let value = ravine_value(c.condition);
    let losses: Vec<Series> = paths
        .iter()
        .map(|(name, path)| Series {
            name: name.clone(),
            points: path.iter().enumerate().map(|(k, w)| (k as f64, value(w[0], w[1]))).collect(),
        })
        .collect();
    let caption = format!("Four methods down the ravine, κ = {}", number(c.condition));
    let paths_figure = ravine_figure("momentum-paths", &caption, c.condition, &paths)?;
    let loss_caption = "L against the iteration (log scale): momentum's ripples, Nesterov's brakes";
    let loss_figure = Figure::new("momentum-loss", loss_caption, |format| {
        plots::lines(loss_caption, "iteration", "L(w)", &losses, true, format)
    })?;
    let gd = c.gradient_descent.iterations as f64;
    Ok(Section {
        title: "Chapter 3. Momentum: a heavy ball rolls through the ravine".into(),
        blocks: vec![
            Block::Text(format!(
                "Same ravine, κ = {}. Heavy-ball momentum (Polyak 1964) keeps a velocity \
                 v ← γv − α∇L and steps θ ← θ + v: the zig-zags across the ravine cancel in v \
                 while the slope along it adds up. Nesterov (1983) takes the gradient where the \
                 ball is about to be, θ + γv, and so brakes before it overshoots. Each method at \
                 its best fixed step (a grid over (0, 2/κ]):",
                number(c.condition)
            )),
            Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
            Block::Text(format!(
                "Momentum at γ = 0.9 needs {:.0}% of GD's iterations; tuned as Polyak prescribes \
                 (γ = ((√κ − 1)/(√κ + 1))², iterations ∝ √κ instead of κ) it needs {:.0}%. \
                 Nesterov needs {:.0}% and its loss rises {:.1}× less at its worst moment than the \
                 heavy ball's.",
                100.0 * c.heavy_ball.iterations as f64 / gd,
                100.0 * c.polyak.iterations as f64 / gd,
                100.0 * c.nesterov.iterations as f64 / gd,
                c.heavy_ball.largest_rise / c.nesterov.largest_rise,
            )),
            Block::Figure(paths_figure),
            Block::Figure(loss_figure),
        ],
    })
}

fn chapter_adagrad(c: &AdagradChapter) -> anyhow::Result<Section> {
    let f = |w1: f64, w2: f64| 0.5 * (w1 * w1 + 10.0 * w2 * w2);
    let minima = [[0.0, 0.0]];
    let (xr, yr) = plots::plot_box(&c.paths, &minima);
    let caption = "f(w) = ½(w₁² + 10w₂²), run on w and on z = w/2, drawn in w";
    let figure = Figure::new("adagrad-paths", caption, |format| {
        plots::paths(caption, &f, xr, yr, &c.paths, &minima, format)
    })?;
    Ok(Section {
        title: "Chapter 4. Adagrad: a learning rate for every coordinate".into(),
        blocks: vec![
            Block::Text(format!(
                "Adagrad (Duchi, Hazan & Singer 2011) divides each coordinate's gradient by the \
                 root of its own accumulated squares, so steep and gentle coordinates move at \
                 similar speeds. Down the ravine at η = 0.5 it needs {} iterations for κ = 10 and \
                 {} for κ = 100: along the axes the per-coordinate scaling removes the condition \
                 number that chapter 2 showed costing GD in proportion.",
                c.ravine_iterations[0], c.ravine_iterations[1]
            )),
            Block::Text(format!(
                "The price: it depends on how the parameters are written. Take \
                 f(w) = ½(w₁² + 10w₂²) and write w = 2z. Plain GD on z with its step divided by 4 \
                 walks GD's path in w exactly (largest gap {:.1e}). Adagrad on z, same η, does not \
                 (largest gap {}): the factor 2 in ∇z cancels in its normalisation, so z moves as \
                 w did and w moves twice as far — first step ({}, {}) instead of ({}, {}).",
                c.gd_gap,
                number(c.adagrad_gap),
                number(c.adagrad_first_step_z[0]),
                number(c.adagrad_first_step_z[1]),
                number(c.adagrad_first_step_w[0]),
                number(c.adagrad_first_step_w[1]),
            )),
            Block::Figure(figure),
        ],
    })
}
