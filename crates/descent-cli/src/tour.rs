//! `descent tour`: the story of gradient descent, told with numbers measured as it is told.
//!
//! Each chapter's experiment lives in `descent::tour` (`descent_nn::tour` for chapter 7, on
//! learning; `descent_signal::tour` for chapter 8, on noise and echo cancellation;
//! `descent_imaging::tour` for chapter 9, on deconvolution; `descent_meta::tour` for chapter 10,
//! on learning to learn) where it is tested; this module only
//! narrates, draws the figures, and writes the report (`descent-report/index.html`, with every
//! figure also as its own SVG and PNG).

use descent::landscape::{CriticalPoint, EigenMethod, JiggleVerdict};
use descent::tour::{
    self, AdagradChapter, BowlChapter, EscapeChapter, EscapeRun, JiggleCase, MomentumChapter,
    RampChapter, RavineRun, RimmedChip, StepCostChapter, StepTiming, ValleyChapter,
};
use descent_imaging::tour::{ImagingChapter, ImagingSettings};
use descent_meta::hypergradient::HdOptimizer;
use descent_meta::maml::AdaptedFit;
use descent_meta::tour::{MetaChapter, MetaSettings};
use descent_nn::tour::{LearningChapter, LearningSettings, LogitGradient};
use descent_signal::tour::{EchoRun, NoiseChapter, SignalSettings, SignalsChapter};
use serde::Serialize;

use crate::args::TourArgs;
use crate::meta::maml::{Keyed, keyed};
use crate::output::{number, print_json};
use crate::plots::{self, Series};
use crate::report::{self, Block, Figure, Section};

/// The ravine's condition numbers shown side by side.
const CONDITIONS: [f64; 2] = [10.0, 100.0];
/// The ravine of the momentum chapter.
const MOMENTUM_CONDITION: f64 = 100.0;
/// The tolerance the ravine runs aim for.
const GTOL: f64 = 1e-6;
/// The stretched bowl of chapter 5: dimension, condition number, every coordinate of the
/// start, the relative gradient tolerance, the iteration budget.
const BOWL: (usize, f64, f64, f64, usize) = (100, 1e6, 100.0, 1e-10, 20_000);
/// Dimensions at which the tridiagonal Newton step is timed.
const TRIDIAGONAL_SIZES: [usize; 7] = [1000, 3000, 10_000, 30_000, 100_000, 300_000, 1_000_000];
/// Dimensions at which the dense Newton step is timed (n = 800 takes ≈ 0.1 s a step).
const DENSE_SIZES: [usize; 5] = [50, 100, 200, 400, 800];
/// Timed batches per size; the median is shown.
const REPETITIONS: usize = 5;
/// L-BFGS's memory m (scipy's default).
const LBFGS_MEMORY: usize = 10;
/// The Rosenbrock runs stop at ‖∇f‖ ≤ this, or after this many iterations.
const VALLEY_GTOL: f64 = 1e-6;
const VALLEY_MAX_ITER: usize = 100_000;
/// A curve with more points is drawn as this many buckets, each at its largest value.
const MAX_DRAWN: usize = 2000;

#[derive(Serialize)]
struct TourJson<'a> {
    ramp: RampJson,
    ravine: Vec<RavineJson>,
    momentum: Vec<TunedJson>,
    adagrad: AdagradJson,
    newton: NewtonJson,
    saddles: SaddlesJson,
    learning: LearningJson,
    signals: SignalsJson,
    imaging: ImagingJson,
    meta: MetaJson<'a>,
}

#[derive(Serialize)]
struct NewtonJson {
    bowl: BowlJson,
    step_cost: StepCostJson,
    rosenbrock: ValleyJson,
}

#[derive(Serialize)]
struct RunJson {
    method: &'static str,
    status: &'static str,
    iterations: usize,
    value_evaluations: usize,
    gradient_evaluations: usize,
    hessian_evaluations: usize,
    grad_norm: f64,
    /// ‖x − x*‖ (Rosenbrock) or ‖x − x*‖/‖x₀ − x*‖ (the bowl).
    distance: f64,
}

impl RunJson {
    fn new(method: &'static str, report: &descent::Report, distance: f64) -> Self {
        // Stable snake_case names, as `--method` and the momentum chapter spell them.
        let method = match method {
            "Newton" => "newton",
            "GD + Armijo" => "gd_armijo",
            "heavy ball (Polyak)" => "heavy_ball_polyak",
            "L-BFGS" => "lbfgs",
            "BFGS" => "bfgs",
            other => other,
        };
        Self {
            method,
            status: report.status.name(),
            iterations: report.iterations,
            value_evaluations: report.evaluations.value,
            gradient_evaluations: report.evaluations.gradient,
            hessian_evaluations: report.evaluations.hessian,
            grad_norm: report.grad_norm,
            distance,
        }
    }
}

#[derive(Serialize)]
struct BowlJson {
    dim: usize,
    condition: f64,
    start: f64,
    start_distance: f64,
    gtol_rel: f64,
    max_iter: usize,
    momentum_gamma: f64,
    momentum_step: f64,
    momentum_predicted: usize,
    runs: Vec<RunJson>,
}

#[derive(Serialize)]
struct TimingJson {
    n: usize,
    seconds: f64,
    fastest: f64,
    batch: usize,
    relative_error: f64,
}

#[derive(Serialize)]
struct StepCostJson {
    repetitions: usize,
    tridiagonal_exponent: f64,
    dense_exponent: f64,
    tridiagonal: Vec<TimingJson>,
    dense: Vec<TimingJson>,
}

#[derive(Serialize)]
struct ValleyJson {
    gtol: f64,
    memory: usize,
    runs: Vec<RunJson>,
}

fn newton_json(bowl: &BowlChapter, cost: &StepCostChapter, valley: &ValleyChapter) -> NewtonJson {
    let timings = |ts: &[StepTiming]| {
        ts.iter()
            .map(|t| TimingJson {
                n: t.n,
                seconds: t.seconds,
                fastest: t.fastest,
                batch: t.batch,
                relative_error: t.relative_error,
            })
            .collect()
    };
    NewtonJson {
        bowl: BowlJson {
            dim: bowl.dim,
            condition: bowl.condition,
            start: bowl.start,
            start_distance: bowl.start_distance,
            gtol_rel: bowl.gtol_rel,
            max_iter: bowl.max_iter,
            momentum_gamma: bowl.momentum_gamma,
            momentum_step: bowl.momentum_step,
            momentum_predicted: bowl.momentum_predicted,
            runs: bowl_runs(bowl)
                .iter()
                .map(|r| RunJson::new(r.method, &r.report, r.final_distance()))
                .collect(),
        },
        step_cost: StepCostJson {
            repetitions: cost.repetitions,
            tridiagonal_exponent: cost.tridiagonal_exponent,
            dense_exponent: cost.dense_exponent,
            tridiagonal: timings(&cost.tridiagonal),
            dense: timings(&cost.dense),
        },
        rosenbrock: ValleyJson {
            gtol: valley.gtol,
            memory: valley.memory,
            runs: valley
                .runs
                .iter()
                .map(|r| RunJson::new(r.method, &r.report, r.distance_to_minimizer()))
                .collect(),
        },
    }
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
    let (dim, condition, start, gtol_rel, max_iter) = BOWL;
    let bowl = tour::stretched_bowl(dim, condition, start, gtol_rel, max_iter)?;
    let cost = tour::newton_step_cost(&TRIDIAGONAL_SIZES, &DENSE_SIZES, REPETITIONS)?;
    let valley = tour::rosenbrock_valley(LBFGS_MEMORY, VALLEY_GTOL, VALLEY_MAX_ITER)?;
    let jiggles = tour::jiggle_cases(&descent::landscape::Jiggle::default())?;
    let escape = tour::saddle_escape(&tour::EscapeSettings::default())?;
    let learning = descent_nn::tour::learning(&LearningSettings::default())?;
    let signals = descent_signal::tour::signals(&SignalSettings::default())?;
    let imaging = descent_imaging::tour::imaging(&ImagingSettings::default())?;
    let meta = descent_meta::tour::learning_to_learn(&MetaSettings::default())?;
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
            newton: newton_json(&bowl, &cost, &valley),
            saddles: saddles_json(&jiggles, &escape)?,
            learning: learning_json(&learning),
            signals: signals_json(&signals),
            imaging: imaging_json(&imaging),
            meta: meta_json(&meta),
        });
    }
    let sections = vec![
        chapter_ramp(&ramp)?,
        chapter_ravine(&ravines)?,
        chapter_momentum(&momentum)?,
        chapter_adagrad(&adagrad)?,
        chapter_newton(&bowl, &cost, &valley)?,
        chapter_saddles(&jiggles, &escape)?,
        chapter_learning(&learning)?,
        chapter_signals(&signals)?,
        chapter_imaging(&imaging)?,
        chapter_meta(&meta)?,
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

/// The bowl's runs in the order the table shows them.
fn bowl_runs(c: &BowlChapter) -> [&tour::BowlRun; 3] {
    [&c.newton, &c.gradient_descent, &c.momentum]
}

/// `values` against their index, as at most [`MAX_DRAWN`] points: each bucket of consecutive
/// indices drawn at its first index and its largest value (the upper envelope, so that
/// ripples are not aliased away), the last value always included.
fn envelope(values: &[f64]) -> Vec<(f64, f64)> {
    let bucket = values.len().div_ceil(MAX_DRAWN).max(1);
    let mut points: Vec<(f64, f64)> = values
        .chunks(bucket)
        .enumerate()
        .map(|(k, chunk)| ((k * bucket) as f64, chunk.iter().copied().fold(f64::NAN, f64::max)))
        .collect();
    if bucket > 1
        && let Some(&last) = values.last()
    {
        points.push(((values.len() - 1) as f64, last));
    }
    points
}

/// (value evaluations, f) of every row of `trace` whose evaluation count is at least 0.5 %
/// above the last kept one (and the last row): evenly spaced on a log axis, at most a few
/// thousand points however long the run.
fn log_thinned(trace: &descent::Trace) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = Vec::new();
    for row in &trace.rows {
        let x = row.value_evaluations as f64;
        if points.last().is_none_or(|&(last, _)| x >= last * 1.005) {
            points.push((x, row.value));
        }
    }
    if let Some(row) = trace.rows.last()
        && points.last().is_some_and(|&(x, _)| x < row.value_evaluations as f64)
    {
        points.push((row.value_evaluations as f64, row.value));
    }
    points
}

/// A time in seconds as the tables show it: µs, ms or s.
fn duration(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.1} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

/// The rows of a runs table: method, iterations, evaluations, Hessians, distance, status.
fn run_row(method: &str, report: &descent::Report, distance: f64) -> Vec<String> {
    vec![
        method.to_owned(),
        report.iterations.to_string(),
        report.evaluations.value.to_string(),
        report.evaluations.hessian.to_string(),
        format!("{distance:.1e}"),
        report.status.to_string(),
    ]
}

fn chapter_newton(
    bowl: &BowlChapter,
    cost: &StepCostChapter,
    valley: &ValleyChapter,
) -> anyhow::Result<Section> {
    let mut blocks = vec![Block::Text(
        "Gradient descent feels only the slope. Newton's method also sees the curvature: at \
         x it solves H·d = −∇f, with H = ∇²f(x), for the step to the bottom of the quadratic \
         that matches f's value, slope and curvature there, and takes it (with Armijo \
         backtracking from the unit step, and H shifted by τI wherever it is not positive \
         definite, so that d always points downhill). Quasi-Newton methods (BFGS, L-BFGS) \
         build the curvature up from the gradients they have already seen, and never form H."
            .into(),
    )];
    blocks.extend(bowl_blocks(bowl)?);
    blocks.extend(cost_blocks(cost)?);
    blocks.extend(valley_blocks(valley)?);
    Ok(Section {
        title: "Chapter 5. Newton and quasi-Newton: the hiker gains sight".into(),
        blocks,
    })
}

fn bowl_blocks(c: &BowlChapter) -> anyhow::Result<Vec<Block>> {
    let header =
        ["method", "iterations", "f + ∇f evaluations", "Hessians", "‖x − x*‖/‖x₀ − x*‖", "status"];
    let rows =
        bowl_runs(c).iter().map(|r| run_row(r.method, &r.report, r.final_distance())).collect();
    let series: Vec<Series> = bowl_runs(c)
        .iter()
        .map(|r| Series { name: r.method.to_owned(), points: envelope(&r.distances) })
        .collect();
    let newton = c.newton.final_distance();
    // Beside Newton's drop (a vertical line at the left edge), halfway down on the log scale.
    let notes = [plots::Note {
        at: (0.015 * c.max_iter as f64, newton.sqrt()),
        text: format!("← Newton: 1 → {newton:.1e} in one step"),
    }];
    let caption = format!(
        "Distance to the minimiser, relative to the start, in a bowl with κ = {}",
        number(c.condition)
    );
    let figure = Figure::new("newton-bowl", &caption, |format| {
        plots::lines_annotated(
            &caption,
            ("iteration", "‖x − x*‖ / ‖x₀ − x*‖"),
            &series,
            plots::LogAxes { x: false, y: true },
            &notes,
            format,
        )
    })?;
    let (gd, hb) = (&c.gradient_descent, &c.momentum);
    Ok(vec![
        Block::Subheading("One step to the bottom of a stretched bowl".into()),
        Block::Text(format!(
            "f(x) = ½(x − x*)ᵀA(x − x*) in n = {} variables, A with eigenvalues log-spaced from \
             1 to κ = {} and eigenvectors turned away from the axes (the built-in \
             random_quadratic, seed 0), started at x₀ = ({}, …, {}), ‖x₀ − x*‖ = {:.1}. Each run \
             stops at ‖∇f‖ ≤ {}·‖∇f(x₀)‖ or after {} iterations.",
            c.dim,
            number(c.condition),
            number(c.start),
            number(c.start),
            c.start_distance,
            number(c.gtol_rel),
            c.max_iter
        )),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
        Block::Text(format!(
            "Newton lands on the minimiser in {}: what is left, {:.1e} of the starting \
             distance, is the rounding error a solve with condition κ = {} allows (κ·ε ≈ {:.0e}). \
             Gradient descent with Armijo stalls: Armijo accepts only steps that lower f, \
             which the steep directions (curvature up to κ) allow only for steps of order 1/κ, \
             and along the gentle ones (curvature 1) such a step removes a few times 1/κ = {} \
             of the remaining distance; after {} iterations it is still {:.0}% of the starting \
             distance away ({}). Heavy-ball momentum tuned with both curvature extremes (γ = {}, \
             α = {}) shrinks the error by (√κ − 1)/(√κ + 1) per step and gets there in {} \
             iterations (that rate alone predicts {}): thousands of steps for what one Newton \
             step does. The Newton step is not free: it needs the Hessian and a factorisation, \
             whose price is the next section.",
            match c.newton.report.iterations {
                1 => "one step".to_owned(),
                k => format!("{k} steps"),
            },
            newton,
            number(c.condition),
            c.condition * f64::EPSILON,
            number(1.0 / c.condition),
            gd.report.iterations,
            100.0 * gd.final_distance(),
            gd.report.status,
            number(c.momentum_gamma),
            number(c.momentum_step),
            hb.report.iterations,
            c.momentum_predicted,
        )),
        Block::Figure(figure),
    ])
}

fn cost_blocks(c: &StepCostChapter) -> anyhow::Result<Vec<Block>> {
    let header =
        ["H stored as", "n", "time per step", "fastest", "steps per batch", "‖x₁ − x*‖∞/‖x*‖∞"];
    let row = |name: &str, t: &StepTiming| {
        vec![
            name.to_owned(),
            t.n.to_string(),
            duration(t.seconds),
            duration(t.fastest),
            t.batch.to_string(),
            format!("{:.1e}", t.relative_error),
        ]
    };
    let rows: Vec<Vec<String>> = c
        .tridiagonal
        .iter()
        .map(|t| row("tridiagonal", t))
        .chain(c.dense.iter().map(|t| row("dense", t)))
        .collect();
    let points = |ts: &[StepTiming]| ts.iter().map(|t| (t.n as f64, t.seconds)).collect::<Vec<_>>();
    let series = vec![
        Series {
            name: format!("tridiagonal LDLᵀ: time ∝ n^{:.2}", c.tridiagonal_exponent),
            points: points(&c.tridiagonal),
        },
        Series {
            name: format!("dense Cholesky: time ∝ n^{:.2}", c.dense_exponent),
            points: points(&c.dense),
        },
    ];
    // Each slope written beside the middle of its curve.
    let note = |ts: &[StepTiming], exponent: f64, text: &str| {
        let mid = &ts[ts.len() / 2];
        plots::Note {
            at: (mid.n as f64 * 1.15, mid.seconds),
            text: format!("{text} {exponent:.2}"),
        }
    };
    let notes = [
        note(&c.tridiagonal, c.tridiagonal_exponent, "slope"),
        note(&c.dense, c.dense_exponent, "slope"),
    ];
    let caption = "Time of one Newton step (factorise H, solve H·d = −g) against n, log-log";
    let figure = Figure::new("newton-step-cost", caption, |format| {
        plots::lines_annotated(
            caption,
            ("n", "seconds per step"),
            &series,
            plots::LogAxes { x: true, y: true },
            &notes,
            format,
        )
    })?;
    let mut blocks = vec![
        Block::Subheading("The price of sight: linear against cubic".into()),
        Block::Text(format!(
            "Newton's step costs what solving H·d = −∇f costs, and that depends on H's \
             structure. The built-in tridiagonal quadratic ½xᵀAx − 1ᵀx, A = tridiag(−1, 2, −1), \
             has H = A, and the Newton step from x₀ = 0 lands on x*, known in closed form. \
             Stored as what it is, H factorises as LDLᵀ in about 3n operations; stored dense, \
             the same H costs a Cholesky factorisation, n³/3. The time per step below is the \
             median of {} timed batches (each batch lasts at least 2 ms; the fastest batch \
             beside it), measured as this \
             report was made, so it varies from run to run and machine to machine.",
            c.repetitions
        )),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
    ];
    if let (Some(big), Some(dense)) = (c.tridiagonal.last(), c.dense.last()) {
        // n³ is the dense step's flop count; the fitted exponent also carries cache effects.
        let scale = (big.n as f64 / dense.n as f64).powi(3);
        let years = dense.seconds * scale / (365.25 * 24.0 * 3600.0);
        blocks.push(Block::Text(format!(
            "Fitted over these sizes, the time grows as n^{:.2} for the tridiagonal step and \
             n^{:.2} for the dense one, whose operation count grows as n³. At n = {} the dense \
             step takes {}; the tridiagonal step at n = {}, {} times as many unknowns, takes {}. A dense step at n = {} would \
             do (n/{})³ ≈ {:.0e} times the work of one at {}: about {} at this speed.",
            c.tridiagonal_exponent,
            c.dense_exponent,
            dense.n,
            duration(dense.seconds),
            number(big.n as f64),
            big.n / dense.n,
            duration(big.seconds),
            number(big.n as f64),
            dense.n,
            scale,
            dense.n,
            if years >= 1.0 {
                format!("{years:.0} years")
            } else {
                format!("{:.0} days", years * 365.25)
            },
        )));
    }
    blocks.push(Block::Figure(figure));
    Ok(blocks)
}

fn valley_blocks(c: &ValleyChapter) -> anyhow::Result<Vec<Block>> {
    let header =
        ["method", "iterations", "f + ∇f evaluations", "Hessians", "‖x − (1, 1)‖", "status"];
    let rows =
        c.runs.iter().map(|r| run_row(r.method, &r.report, r.distance_to_minimizer())).collect();
    let paths: Vec<(String, Vec<[f64; 2]>)> =
        c.runs.iter().map(|r| (r.method.to_owned(), r.path())).collect();
    let minima = [[1.0, 1.0]];
    let (xr, yr) = plots::plot_box(&paths, &minima);
    let f = |a: f64, b: f64| 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2);
    let caption = "Four methods down the Rosenbrock valley from (−1.2, 1)";
    let paths_figure = Figure::new("newton-rosenbrock-paths", caption, |format| {
        plots::paths(caption, &f, xr, yr, &paths, &minima, format)
    })?;
    let losses: Vec<Series> = c
        .runs
        .iter()
        .map(|r| Series { name: r.method.to_owned(), points: log_thinned(&r.trace) })
        .collect();
    let loss_caption = "f against evaluations of f and ∇f, Rosenbrock, log-log";
    let loss_figure = Figure::new("newton-rosenbrock-loss", loss_caption, |format| {
        plots::lines_annotated(
            loss_caption,
            ("f + ∇f evaluations", "f(x)"),
            &losses,
            plots::LogAxes { x: true, y: true },
            &[],
            format,
        )
    })?;
    let mut blocks = vec![
        Block::Subheading("L-BFGS down the Rosenbrock valley".into()),
        Block::Text(format!(
            "f(x) = 100(x₂ − x₁²)² + (1 − x₁)² from (−1.2, 1), to ‖∇f‖ ≤ {}. BFGS keeps an \
             n×n approximation of the inverse Hessian and corrects it after every step so that \
             it maps the change of gradient y onto the step s; L-BFGS keeps only the last \
             m = {} pairs (s, y) and applies the same approximation by the two-loop recursion \
             in O(m·n) operations, which is what makes it usable at n = 10⁶. Both search along \
             their direction with Moré–Thuente (strong Wolfe); Newton evaluates the exact \
             Hessian at every iterate and backtracks (Armijo) from the unit step; gradient \
             descent backtracks along −∇f.",
            number(c.gtol),
            c.memory
        )),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
    ];
    if let [lbfgs, bfgs, newton, gd] = c.runs.as_slice() {
        blocks.push(Block::Text(format!(
            "L-BFGS needs {} iterations and {} evaluations of f and ∇f, BFGS {} and {}, Newton \
             {} iterations with {} Hessians; gradient descent needs {}, {:.0} times L-BFGS's. \
             Every method finds the valley floor within a few steps; following the floor's \
             curve to (1, 1) is what costs gradient descent, whose step is held short by the \
             steep walls while the curvature methods stride along the floor.",
            lbfgs.report.iterations,
            lbfgs.report.evaluations.value,
            bfgs.report.iterations,
            bfgs.report.evaluations.value,
            newton.report.iterations,
            newton.report.evaluations.hessian,
            gd.report.iterations,
            gd.report.iterations as f64 / lbfgs.report.iterations as f64,
        )));
    }
    blocks.push(Block::Figure(paths_figure));
    blocks.push(Block::Figure(loss_figure));
    Ok(blocks)
}

/// The box of the Pringle chip's surface figure: x₁, x₂ ∈ [−1, 1].
const CHIP_BOX: (f64, f64) = (-1.0, 1.0);

/// f of the rimmed chip, x₁² − x₂² + x₂⁴/4, for the figures.
fn rimmed_chip(x: f64, y: f64) -> f64 {
    x * x - y * y + 0.25 * y.powi(4)
}

/// A verdict of the jiggle test as the tables and the JSON write it.
fn jiggle_verdict(v: JiggleVerdict) -> &'static str {
    match v {
        JiggleVerdict::Minimum => "minimum",
        JiggleVerdict::Maximum => "maximum",
        JiggleVerdict::Saddle => "saddle",
        JiggleVerdict::Degenerate => "degenerate",
    }
}

/// A share as a percentage, to the nearest 0.1 %.
fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// A point as `(a, b)`, each coordinate to 9 decimals (what is left of the runs' 10⁻¹⁸ along
/// x₁ is rounding, not position).
fn point(x: &[f64]) -> String {
    let items: Vec<String> = x.iter().map(|&v| number((v * 1e9).round() / 1e9)).collect();
    format!("({})", items.join(", "))
}

/// Eigenvalues as `{a, b}`.
fn eigenvalues(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|&v| number(v)).collect();
    format!("{{{}}}", items.join(", "))
}

#[derive(Serialize)]
struct SaddlesJson {
    pringle: PringleJson,
    jiggle: Vec<JiggleJson>,
    escape: EscapeJson,
}

#[derive(Serialize)]
struct PringleJson {
    point: [f64; 2],
    gradient_norm: f64,
    eigenvalues: Vec<f64>,
    index: Option<usize>,
    verdict: CriticalPoint,
}

#[derive(Serialize)]
struct CurvatureJson {
    verdict: CriticalPoint,
    eigenvalues: Vec<f64>,
    index: Option<usize>,
}

impl CurvatureJson {
    fn new(c: &descent::landscape::Curvature) -> Self {
        Self { verdict: c.verdict, eigenvalues: c.eigenvalues.clone(), index: c.index }
    }
}

#[derive(Serialize)]
struct JiggleJson {
    landscape: &'static str,
    formula: &'static str,
    at: [f64; 2],
    /// `descent classify`'s verdict: curvature's when decisive, else the jiggle test's.
    verdict: &'static str,
    jiggle: JiggleReportJson,
    curvature: CurvatureJson,
}

#[derive(Serialize)]
struct JiggleReportJson {
    verdict: &'static str,
    outward_fraction: f64,
    inward_fraction: f64,
    samples: usize,
    radius: f64,
    direction_spread: f64,
}

#[derive(Serialize)]
struct EscapeRunJson {
    method: &'static str,
    start: Vec<f64>,
    status: &'static str,
    iterations: usize,
    x: Vec<f64>,
    value: f64,
    /// The first iteration more than `neighbourhood` from the saddle; `null`: never.
    left_after: Option<usize>,
    /// What the point where the run stopped is, by curvature: the report's own
    /// `critical_point` (`null`: not checked).
    critical_point: Option<CriticalPoint>,
}

#[derive(Serialize)]
struct EscapeJson {
    learning_rate: f64,
    momentum: f64,
    perturbation: f64,
    neighbourhood: f64,
    seeds: u64,
    runs: Vec<EscapeRunJson>,
    /// Per seed, iterations to leave the neighbourhood (`null`: not within the budget).
    gd_exits: Vec<Option<usize>>,
    momentum_exits: Vec<Option<usize>>,
    gd_median: f64,
    momentum_median: f64,
}

/// The escape's runs in the order the table shows them.
fn escape_runs(c: &EscapeChapter) -> [&EscapeRun; 4] {
    [&c.stuck, &c.perturbed, &c.gradient_descent, &c.heavy_ball]
}

/// The JSON method name of an escape run.
fn escape_method(run: &EscapeRun) -> &'static str {
    match run.method {
        "GD" => "gd",
        "perturbed GD" => "perturbed_gd",
        "heavy ball" => "heavy_ball",
        other => other,
    }
}

fn saddles_json(jiggles: &[JiggleCase], c: &EscapeChapter) -> anyhow::Result<SaddlesJson> {
    let chip = pringle_case(jiggles)?;
    let s = &c.settings;
    Ok(SaddlesJson {
        pringle: PringleJson {
            point: chip.point,
            gradient_norm: chip.report.gradient_norm,
            eigenvalues: chip.curvature.eigenvalues.clone(),
            index: chip.curvature.index,
            verdict: chip.curvature.verdict,
        },
        jiggle: jiggles
            .iter()
            .map(|j| JiggleJson {
                landscape: j.name,
                formula: j.formula,
                at: j.point,
                verdict: jiggle_verdict(j.verdict),
                jiggle: JiggleReportJson {
                    verdict: jiggle_verdict(j.report.verdict),
                    outward_fraction: j.report.outward_fraction,
                    inward_fraction: j.report.inward_fraction,
                    samples: j.report.samples,
                    radius: j.report.radius,
                    direction_spread: j.report.direction_spread,
                },
                curvature: CurvatureJson::new(&j.curvature),
            })
            .collect(),
        escape: EscapeJson {
            learning_rate: s.learning_rate,
            momentum: s.momentum,
            perturbation: s.perturbation,
            neighbourhood: s.neighbourhood,
            seeds: s.seeds,
            // The table's runs, then the two from the flank.
            runs: escape_runs(c)
                .into_iter()
                .chain(&c.flank)
                .map(|r| EscapeRunJson {
                    method: escape_method(r),
                    start: r.path.first().map_or_else(Vec::new, |p| p.to_vec()),
                    status: r.report.status.name(),
                    iterations: r.report.iterations,
                    x: r.report.x.clone(),
                    value: r.report.value,
                    left_after: r.left_after,
                    critical_point: r.report.critical_point,
                })
                .collect(),
            gd_exits: c.gd_exits.clone(),
            momentum_exits: c.momentum_exits.clone(),
            gd_median: c.gd_median(),
            momentum_median: c.momentum_median(),
        },
    })
}

fn pringle_case(jiggles: &[JiggleCase]) -> anyhow::Result<&JiggleCase> {
    jiggles
        .iter()
        .find(|c| c.name == "Pringle chip")
        .ok_or_else(|| anyhow::anyhow!("the jiggle cases lack the Pringle chip"))
}

fn chapter_saddles(jiggles: &[JiggleCase], escape: &EscapeChapter) -> anyhow::Result<Section> {
    let mut blocks = vec![Block::Text(
        "Every method so far stops where the gradient vanishes, and so far that was always at \
         the bottom. But ∇f = 0 says only that the ground is level: it is as true on a \
         mountain pass as in a valley. This chapter looks at the pass, the saddle point: how to \
         recognise one (by its curvature, and by jiggling), and how a descent method gets \
         away from it."
            .into(),
    )];
    blocks.extend(pringle_blocks(pringle_case(jiggles)?)?);
    blocks.extend(jiggle_blocks(jiggles)?);
    blocks.extend(escape_blocks(escape)?);
    Ok(Section { title: "Chapter 6. Saddles: the Pringle chip".into(), blocks })
}

fn pringle_blocks(chip: &JiggleCase) -> anyhow::Result<Vec<Block>> {
    let marks = [plots::Mark { at: chip.point, label: "saddle point".into() }];
    let caption = "The Pringle chip f = x₁² − x₂²: up along x₁, down along x₂";
    let figure = Figure::new("saddles-pringle", caption, |format| {
        plots::surface(caption, &chip.value, CHIP_BOX, CHIP_BOX, &marks, format)
    })?;
    let c = &chip.curvature;
    let header = ["at", "‖∇f‖", "Hessian eigenvalues", "negative ones", "verdict"];
    let rows = vec![vec![
        point(&chip.point),
        number(chip.report.gradient_norm),
        eigenvalues(&c.eigenvalues),
        c.index.map_or("?".to_owned(), |k| k.to_string()),
        c.verdict.describe(),
    ]];
    let direction = c.most_negative.as_deref().map_or("none".to_owned(), point);
    Ok(vec![
        Block::Subheading("The Pringle chip".into()),
        Block::Text(format!(
            "f(x) = {}. Its gradient (2x₁, −2x₂) vanishes at {} and nowhere else, so a \
             gradient-norm test would stop there. Yet it is no minimum: walking along x₁ the \
             ground rises, walking along x₂ it falls. The surface is a hyperbolic paraboloid, \
             the shape of a Pringle crisp. The Hessian says so in numbers: its eigenvalues are \
             the curvatures along its eigenvectors, and one of them is negative.",
            chip.formula,
            point(&chip.point),
        )),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
        Block::Text(format!(
            "Eigenvalues {} ({}): one positive, one negative, so a saddle point with {} \
             direction of descent, along the eigenvector of the negative one, {}.",
            eigenvalues(&c.eigenvalues),
            match c.method {
                EigenMethod::Dense => "a dense eigendecomposition",
                EigenMethod::Lanczos => "Lanczos on Hessian-vector products",
                EigenMethod::Sturm => "Sturm counts on the tridiagonal Hessian",
            },
            c.index.unwrap_or(0),
            direction,
        )),
        Block::Figure(figure),
    ])
}

fn jiggle_blocks(jiggles: &[JiggleCase]) -> anyhow::Result<Vec<Block>> {
    let header = [
        "landscape",
        "jiggle test",
        "outward",
        "inward",
        "k",
        "r",
        "Hessian eigenvalues",
        "curvature says",
        "verdict",
    ];
    let rows = jiggles
        .iter()
        .map(|c| {
            vec![
                format!("{}: {} at {}", c.name, c.formula, point(&c.point)),
                jiggle_verdict(c.report.verdict).to_owned(),
                percent(c.report.outward_fraction),
                percent(c.report.inward_fraction),
                c.report.samples.to_string(),
                number(c.report.radius),
                eigenvalues(&c.curvature.eigenvalues),
                c.curvature.verdict.describe(),
                jiggle_verdict(c.verdict).to_owned(),
            ]
        })
        .collect();
    let panels: Vec<plots::JigglePanel<'_>> = jiggles
        .iter()
        .map(|c| plots::JigglePanel {
            title: format!("{}: {}", c.name, jiggle_verdict(c.report.verdict)),
            f: &c.value,
            centre: c.point,
            radius: c.report.radius,
            samples: c.samples.clone(),
        })
        .collect();
    let caption = "The jiggle test: ∇f at k points on a circle of radius r around the critical \
                   point, red where it points outward, blue where it points inward";
    let figure = Figure::new("saddles-jiggle", caption, |format| {
        plots::jiggle("The jiggle test at three critical points", &panels, format)
    })?;
    let mut blocks = vec![
        Block::Subheading("The jiggle".into()),
        Block::Text(
            "A hiker who cannot see can still tell a pass from a valley: take a small step in \
             some direction δ and feel which way the ground slopes there. In a valley it rises \
             in every direction, so the gradient at x + δ points away from x, ∇f(x + δ)·δ > 0; \
             at a pass it rises in some directions and falls in others. The jiggle test does \
             this k times, with δ drawn at random on a sphere of radius r (in antithetic pairs \
             ±δ), and counts outward and inward gradients: all outward, a minimum; all inward, \
             a maximum; both, a saddle. It needs gradients only. The last column is the verdict \
             of the classify command: the curvature's where it is decisive, the jiggle test's \
             where the curvature says degenerate."
                .into(),
        ),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
    ];
    if let [bowl, chip, monkey] = jiggles {
        blocks.push(Block::Text(format!(
            "In the bowl {} of the k = {} gradients point outward. On the chip {} point \
             outward, those of the perturbations nearer the x₁ axis than the x₂ axis \
             (∇f·δ = 2r²cos 2θ for δ = r(cos θ, sin θ)), and {} inward. The monkey saddle \
             x₁³ − 3x₁x₂² has three valleys, two for the legs and one for the tail: its Hessian \
             at 0 is zero (eigenvalues {}), so the curvature says {}; but the gradients, with \
             ∇f·δ = 3r³cos 3θ, still turn outward and inward three times around the circle \
             ({} outward), and the jiggle test says {}. The table reports both.",
            percent(bowl.report.outward_fraction),
            bowl.report.samples,
            percent(chip.report.outward_fraction),
            percent(chip.report.inward_fraction),
            eigenvalues(&monkey.curvature.eigenvalues),
            monkey.curvature.verdict.describe(),
            percent(monkey.report.outward_fraction),
            jiggle_verdict(monkey.report.verdict),
        )));
    }
    blocks.push(Block::Figure(figure));
    Ok(blocks)
}

fn escape_blocks(c: &EscapeChapter) -> anyhow::Result<Vec<Block>> {
    let s = &c.settings;
    let pgd = descent::landscape::PerturbedGradientDescent::new(s.learning_rate)?;
    let header = [
        "method",
        "start",
        "iterations to leave R",
        "iterations",
        "stopped at",
        "f",
        "status",
        "which is a",
    ];
    let rows = escape_runs(c)
        .iter()
        .map(|run| {
            let start = if run.path.first() == Some(&RimmedChip::SADDLE) {
                "the saddle".to_owned()
            } else {
                format!("saddle + ρ·u₀ (ρ = {})", number(s.perturbation))
            };
            vec![
                run.method.to_owned(),
                start,
                run.left_after.map_or("never".to_owned(), |k| k.to_string()),
                run.report.iterations.to_string(),
                point(&run.report.x),
                number(run.report.value),
                run.report.status.to_string(),
                run.report.critical_point.map_or("not checked".to_owned(), CriticalPoint::describe),
            ]
        })
        .collect();
    let [flank_gd, flank_hb] = &c.flank;
    let paths: Vec<(String, Vec<[f64; 2]>)> = vec![
        ("perturbed GD from the saddle".to_owned(), c.perturbed.path.clone()),
        (format!("GD from {}", point(&s.flank)), flank_gd.path.clone()),
        (format!("heavy ball from {}", point(&s.flank)), flank_hb.path.clone()),
    ];
    let minima = RimmedChip::minimizers();
    // The chip from −1 to 1 across at least, the saddle in the middle.
    let (xr, yr) = plots::plot_box(&paths, &minima);
    let half = xr.0.abs().max(xr.1.abs()).max(1.0);
    let xr = (-half, half);
    let caption = "Past the saddle of x₁² − x₂² + x₂⁴/4 to a minimum";
    let paths_figure = Figure::new("saddles-escape-paths", caption, |format| {
        plots::paths(caption, &rimmed_chip, xr, yr, &paths, &minima, format)
    })?;
    // Up to twice the slower exit: after it both runs only settle into their minimum.
    let pair = [&c.gradient_descent, &c.heavy_ball];
    let shown =
        2 * pair.iter().map(|r| r.left_after.unwrap_or(r.distances.len())).max().unwrap_or(0);
    let mut series: Vec<Series> = pair
        .iter()
        .map(|r| Series {
            name: format!("{} from saddle + ρ·u₀", r.method),
            points: r
                .distances
                .iter()
                .take(shown + 1)
                .enumerate()
                .map(|(k, &d)| (k as f64, d))
                .collect(),
        })
        .collect();
    series.push(Series {
        name: format!("R = {}", number(s.neighbourhood)),
        points: (0..=shown).map(|k| (k as f64, s.neighbourhood)).collect(),
    });
    let distance_caption = "Distance from the saddle against the iteration, log scale";
    let distance_figure = Figure::new("saddles-escape-distance", distance_caption, |format| {
        plots::lines_annotated(
            distance_caption,
            ("iteration", "‖x − x_saddle‖"),
            &series,
            plots::LogAxes { x: false, y: true },
            &[],
            format,
        )
    })?;
    // The growth rates along the escape direction, from the measured curvature there:
    // λ₁ = −2 at the saddle, so 1 − ηλ₁ = 1 + 2η for GD, and the larger root of
    // z² − (1 + γ − ηλ₁)z + γ = 0 for heavy ball.
    let lambda = c.stuck.stopped_at.smallest;
    let growth_gd = 1.0 - s.learning_rate * lambda;
    let growth_hb = {
        let b = 1.0 + s.momentum - s.learning_rate * lambda;
        (b + (b * b - 4.0 * s.momentum).sqrt()) / 2.0
    };
    Ok(vec![
        Block::Subheading("The escape".into()),
        Block::Text(format!(
            "x₁² − x₂² falls for ever along x₂. Give the chip a rim, f = x₁² − x₂² + x₂⁴/4, and \
             it keeps its saddle at 0 but gains two minima, f = −1 at (0, ±√2). Gradient descent \
             (η = {}) started exactly at the saddle has nothing to follow: ∇f = 0, and the run \
             ends where it began after {} iterations, status {}. The status alone would call \
             that success. But where a run converges the driver now looks at the Hessian there \
             (eigenvalues {}), and the report says what the point is: {}.",
            number(s.learning_rate),
            c.stuck.report.iterations,
            c.stuck.report.status,
            eigenvalues(&c.stuck.stopped_at.eigenvalues),
            c.stuck.report.critical_point.map_or("not checked".to_owned(), CriticalPoint::describe),
        )),
        Block::Text(format!(
            "Perturbed gradient descent (Jin, Ge, Netrapalli, Kakade & Jordan 2017) does not \
             trust a small gradient: whenever ‖∇f‖ ≤ {} and it has not kicked for {} steps, it \
             kicks the point to a random spot in a ball of radius {}, and it may stop only once \
             a kick has failed to lower f within those {} steps. From the same saddle it is \
             R = {} away after {} iterations and ends at {}, f = {}, after {}: the rest is the \
             wait at the minimum that certifies it.",
            number(pgd.gradient_threshold),
            pgd.wait,
            number(pgd.radius),
            pgd.wait,
            number(s.neighbourhood),
            c.perturbed.left_after.map_or("never".to_owned(), |k| k.to_string()),
            point(&c.perturbed.report.x),
            number(c.perturbed.report.value),
            c.perturbed.report.iterations,
        )),
        Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
        Block::Text(format!(
            "Nudged instead by ρ = {} in a random direction u, plain gradient descent leaves \
             too: along x₂, the eigenvector of the Hessian's negative eigenvalue λ₁ = {}, the \
             distance grows by 1 − ηλ₁ = {} per step, so getting R = {} away takes about \
             ln(R/ρ)/ln(1 − ηλ₁) ≈ {:.0} iterations (a few more where x₂⁴/4 flattens the slope, \
             or where u points mostly along x₁). Heavy-ball momentum (γ = {}) feeds each step \
             into the next; along x₂ its distance grows by the larger root of \
             z² − (1 + γ − ηλ₁)z + γ = 0, z = {:.2} per step, ≈ {:.0} iterations. Over {} random \
             directions u the median number of iterations to get R away is {} for gradient \
             descent and {} for heavy ball.",
            number(s.perturbation),
            number(lambda),
            number(growth_gd),
            number(s.neighbourhood),
            (s.neighbourhood / s.perturbation).ln() / growth_gd.ln(),
            number(s.momentum),
            growth_hb,
            (s.neighbourhood / s.perturbation).ln() / growth_hb.ln(),
            s.seeds,
            number(c.gd_median()),
            number(c.momentum_median()),
        )),
        Block::Figure(distance_figure),
        Block::Text(format!(
            "A run need not start at a saddle to meet one. From {} on the chip's flank, just \
             off the line x₂ = 0 that leads straight into the saddle, gradient descent slides \
             down to the pass (x₁ shrinks by 1 − 2η per step) and comes within {:.1e} of it at \
             iteration {} before x₂, grown by 1 + 2η per step, carries it off; it reaches the \
             minimum after {} iterations. Heavy ball swings through the pass, never nearer than \
             {:.1e}, and gets out sooner, R away from the saddle again at iteration {} against \
             gradient descent's {}. Perturbed gradient descent, from the saddle itself, takes \
             the straight way down.",
            point(&s.flank),
            flank_gd.closest().0,
            flank_gd.closest().1,
            flank_gd.report.iterations,
            flank_hb.closest().0,
            flank_hb.left_again(s.neighbourhood).map_or("—".to_owned(), |k| k.to_string()),
            flank_gd.left_again(s.neighbourhood).map_or("—".to_owned(), |k| k.to_string()),
        )),
        Block::Figure(paths_figure),
    ])
}

#[derive(Serialize)]
struct EpochJson {
    /// Counted from 1, as the table and the figure count them.
    epoch: usize,
    train_loss: f64,
    train_accuracy: f64,
    test_loss: f64,
    test_accuracy: f64,
}

#[derive(Serialize)]
struct DigitGradientJson {
    predicted: usize,
    loss: f64,
    logits: Vec<f64>,
    p: Vec<f64>,
    p_minus_y: Vec<f64>,
    gradient_norm: f64,
    finite_difference_error: f64,
    backprop_error: f64,
}

impl DigitGradientJson {
    fn new(g: &LogitGradient) -> Self {
        Self {
            predicted: g.predicted(),
            loss: g.loss,
            logits: g.logits.clone(),
            p: g.probabilities.clone(),
            p_minus_y: g.gradient.clone(),
            gradient_norm: g.gradient_norm(),
            finite_difference_error: g.finite_difference_error,
            backprop_error: g.backprop_error,
        }
    }
}

#[derive(Serialize)]
struct LearningJson {
    /// The digit's index in the test part of the split.
    digit_index: usize,
    digit_label: usize,
    widths: Vec<usize>,
    learning_rate: f64,
    batch: usize,
    /// After the run (the bars of the chapter's right panel).
    p: Vec<f64>,
    p_minus_y: Vec<f64>,
    /// The larger of the two checks (before and after).
    finite_difference_error: f64,
    gradient_norm_before: f64,
    gradient_norm_after: f64,
    before: DigitGradientJson,
    after: DigitGradientJson,
    epochs: Vec<EpochJson>,
    final_test_accuracy: f64,
}

fn learning_json(c: &LearningChapter) -> LearningJson {
    LearningJson {
        digit_index: c.settings.digit,
        digit_label: c.before.label,
        widths: c.run.model.widths().to_vec(),
        learning_rate: c.settings.learning_rate,
        batch: c.settings.train.batch,
        p: c.after.probabilities.clone(),
        p_minus_y: c.after.gradient.clone(),
        finite_difference_error: c
            .before
            .finite_difference_error
            .max(c.after.finite_difference_error),
        gradient_norm_before: c.before.gradient_norm(),
        gradient_norm_after: c.after.gradient_norm(),
        before: DigitGradientJson::new(&c.before),
        after: DigitGradientJson::new(&c.after),
        epochs: c
            .run
            .report
            .epochs
            .iter()
            .map(|e| EpochJson {
                epoch: e.epoch + 1,
                train_loss: e.train_loss,
                train_accuracy: e.train_accuracy,
                test_loss: e.test_loss,
                test_accuracy: e.test_accuracy,
            })
            .collect(),
        final_test_accuracy: c.run.final_stats().test_accuracy,
    }
}

/// A probability vector's entries as percentages, one decimal.
fn percents(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().map(|v| format!("{:.1}", 100.0 * v)).collect();
    format!("({}) %", parts.join(", "))
}

fn chapter_learning(c: &LearningChapter) -> anyhow::Result<Section> {
    let (before, after) = (&c.before, &c.after);
    let y = before.label;
    let epochs = &c.run.report.epochs;
    let last = c.run.final_stats();
    let widths: Vec<String> = c.run.model.widths().iter().map(ToString::to_string).collect();
    let image = plots::DigitImage {
        title: format!("test digit {}: a {y}", c.settings.digit),
        pixels: &c.pixels,
        side: 8,
        max: 16.0,
    };
    let panels = [
        plots::GradientBars {
            title: format!("at initialisation: ‖p − y‖ = {:.3}", before.gradient_norm()),
            p: &before.probabilities,
            y: &before.target,
            gradient: &before.gradient,
        },
        plots::GradientBars {
            title: format!("after {} epochs: ‖p − y‖ = {:.3}", epochs.len(), after.gradient_norm()),
            p: &after.probabilities,
            y: &after.target,
            gradient: &after.gradient,
        },
    ];
    let caption = "The gradient of −log p_y with respect to the logits is p − y: one digit, \
                   before and after training";
    let bars = Figure::new("learning-gradient", caption, |format| {
        plots::digit_gradient(caption, &image, &panels, format)
    })?;
    let curve_caption = format!(
        "The {}-{}-{} MLP on the digits: loss and accuracy per epoch",
        widths[0],
        widths[1..widths.len() - 1].join("-"),
        widths[widths.len() - 1]
    );
    let curve = Figure::new("learning-curve", &curve_caption, |format| {
        plots::learning_curve(&curve_caption, epochs, format)
    })?;
    let header = ["epoch", "train loss", "train accuracy", "test loss", "test accuracy"];
    let rows = epochs
        .iter()
        .map(|e| {
            vec![
                (e.epoch + 1).to_string(),
                format!("{:.4}", e.train_loss),
                percent(e.train_accuracy),
                format!("{:.4}", e.test_loss),
                percent(e.test_accuracy),
            ]
        })
        .collect();
    let p_y = |g: &LogitGradient| g.probabilities[g.label];
    Ok(Section {
        title: "Chapter 7. Learning to read digits".into(),
        blocks: vec![
            Block::Text(format!(
                "Everything so far minimised a formula. Learning minimises an average over \
                 examples: here the {} handwritten digits of 8×8 pixels bundled with descent, \
                 {} for training and {} held out for testing (a seeded stratified split). A \
                 network with layers of widths {} (ReLU) turns a digit x into ten logits z, one \
                 per class; the softmax p_k = exp(z_k)/Σ_j exp(z_j) turns them into \
                 probabilities, and the loss is L = −log p_y, the surprise at the true class y. \
                 Its gradient with respect to the logits is the simplest in machine learning: \
                 ∂L/∂z = p − y, with y the one-hot label. Each logit is pushed down by the \
                 probability it claimed, and the true class's is pulled up by what it missed, \
                 1 − p_y; the entries sum to zero.",
                c.run.train_set.len() + c.run.test_set.len(),
                c.run.train_set.len(),
                c.run.test_set.len(),
                widths.join("-"),
            )),
            Block::Subheading("One digit's gradient".into()),
            Block::Text(format!(
                "Take test digit {}, a {y}. At the network's seeded initialisation (He normal \
                 weights, zero biases) it assigns p = {}: the true class gets {:.1} %, and the \
                 network's guess is a {}. So p − y has nine small positive entries and one \
                 negative, p_y − 1 = {:.3}, at class {y}; ‖p − y‖ = {:.3}, loss {:.3}. Central \
                 differences of L in each logit (h = {}) agree with p − y to {:.1e}, and the \
                 back-propagated gradient of the output layer's bias, which equals ∂L/∂z \
                 exactly, to {:.1e}.",
                c.settings.digit,
                percents(&before.probabilities),
                100.0 * p_y(before),
                before.predicted(),
                before.gradient[y],
                before.gradient_norm(),
                before.loss,
                number(descent_nn::tour::FD_STEP),
                before.finite_difference_error,
                before.backprop_error,
            )),
            Block::Text(format!(
                "Averaged over a minibatch and pushed back through the layers, these ten numbers \
                 per example are the whole training signal. After {} epochs of Adam \
                 (learning rate {}, minibatches of {}) the same digit, never seen in training, \
                 gets p_y = {:.1} % and is read as a {}: ‖p − y‖ has shrunk from {:.3} to {:.3} \
                 ({:.0}× smaller) and the loss from {:.3} to {:.3}. The gradient vanishes as \
                 the prediction becomes right, which is why a well-classified example stops \
                 teaching.",
                epochs.len(),
                number(c.settings.learning_rate),
                c.settings.train.batch,
                100.0 * p_y(after),
                after.predicted(),
                before.gradient_norm(),
                after.gradient_norm(),
                before.gradient_norm() / after.gradient_norm(),
                before.loss,
                after.loss,
            )),
            Block::Figure(bars),
            Block::Subheading("The training run".into()),
            Block::Text(format!(
                "Each epoch visits the {} training digits once in a seeded order, in \
                 minibatches of {}; after each, the loss and accuracy are measured on both sets \
                 with the epoch's final parameters. The test accuracy climbs from {} after the \
                 first epoch to {} after the last, with test loss {:.4}.",
                c.run.train_set.len(),
                c.settings.train.batch,
                percent(epochs[0].test_accuracy),
                percent(last.test_accuracy),
                last.test_loss,
            )),
            Block::Table(header.iter().map(|h| (*h).to_owned()).collect(), rows),
            Block::Figure(curve),
        ],
    })
}

/// Every `DECIMATE`-th sample of the waveform window is drawn.
const DECIMATE: usize = 4;
/// The misalignment the chapter counts samples to, dB.
const TARGET_DB: f64 = -20.0;

#[derive(Serialize)]
struct SignalsJson {
    noise: NoiseJson,
    echo: EchoJson,
}

#[derive(Serialize)]
struct NlmsStepJson {
    sample: usize,
    error: f64,
    energy: f64,
    step: f64,
    gradient_norm: f64,
    finite_difference_error: f64,
    update_error: f64,
}

#[derive(Serialize)]
struct CurveJson {
    method: &'static str,
    /// μ (LMS, NLMS) or λ (RLS).
    parameter: f64,
    /// Samples until the misalignment first reaches −20 dB; `null` if never.
    samples_to_minus_20db: Option<usize>,
    final_misalignment_db: f64,
}

#[derive(Serialize)]
struct NoiseJson {
    rate: u32,
    samples: usize,
    taps: usize,
    mu: f64,
    eps: f64,
    input_snr_db: f64,
    output_snr_db: f64,
    snr_improvement_db: f64,
    final_misalignment_db: f64,
    step: NlmsStepJson,
    curve_samples: usize,
    curves: Vec<CurveJson>,
    /// NLMS's samples to −20 dB over RLS's.
    rls_speed_up: Option<f64>,
}

#[derive(Serialize)]
struct EchoRunJson {
    filter: &'static str,
    detector: bool,
    misalignment_before_db: f64,
    misalignment_after_db: f64,
    steady_state_erle_db: f64,
    final_misalignment_db: f64,
}

#[derive(Serialize)]
struct EchoJson {
    taps: usize,
    mu: f64,
    block: usize,
    double_talk_start_s: f64,
    double_talk_length_s: f64,
    frame_s: f64,
    runs: Vec<EchoRunJson>,
}

/// NLMS's samples to −20 dB over RLS's.
fn rls_speed_up(c: &NoiseChapter) -> Option<f64> {
    let nlms = c.curve("nlms").samples_to(TARGET_DB)?;
    let rls = c.curve("rls").samples_to(TARGET_DB)?;
    Some(nlms as f64 / rls as f64)
}

fn signals_json(c: &SignalsChapter) -> SignalsJson {
    let (n, e, s) = (&c.noise, &c.echo, &c.settings);
    SignalsJson {
        noise: NoiseJson {
            rate: n.scenario.rate,
            samples: n.scenario.primary.len(),
            taps: n.taps,
            mu: s.noise_mu,
            eps: s.eps,
            input_snr_db: n.input_snr_db,
            output_snr_db: n.output_snr_db,
            snr_improvement_db: n.snr_improvement_db,
            final_misalignment_db: n.final_misalignment_db,
            step: NlmsStepJson {
                sample: n.step.sample,
                error: n.step.error,
                energy: n.step.energy,
                step: n.step.step,
                gradient_norm: n.step.gradient_norm,
                finite_difference_error: n.step.finite_difference_error,
                update_error: n.step.update_error,
            },
            curve_samples: n.curves[0].points.last().map_or(0, |p| p.0),
            curves: n
                .curves
                .iter()
                .map(|c| CurveJson {
                    method: c.method,
                    parameter: c.parameter,
                    samples_to_minus_20db: c.samples_to(TARGET_DB),
                    final_misalignment_db: c.last_db(),
                })
                .collect(),
            rls_speed_up: rls_speed_up(n),
        },
        echo: EchoJson {
            taps: e.taps,
            mu: s.echo_mu,
            block: s.block,
            double_talk_start_s: s.double_talk_s.0,
            double_talk_length_s: s.double_talk_s.1,
            frame_s: s.frame_s,
            runs: e
                .runs
                .iter()
                .map(|r| EchoRunJson {
                    filter: r.filter,
                    detector: r.detector,
                    misalignment_before_db: r.misalignment_before_db,
                    misalignment_after_db: r.misalignment_after_db,
                    steady_state_erle_db: r.steady_state_erle_db,
                    final_misalignment_db: r.misalignment_db.last().copied().unwrap_or(0.0),
                })
                .collect(),
        },
    }
}

/// A run's name in the figures' legends.
fn echo_label(r: &EchoRun) -> String {
    let filter = if r.filter == "nlms" { "NLMS" } else { "frequency-domain NLMS" };
    if r.detector { format!("{filter} + Geigel") } else { filter.to_owned() }
}

/// `n` as a count of samples and milliseconds at `rate`.
fn samples_ms(n: usize, rate: u32) -> String {
    format!("{n} samples ({:.0} ms)", 1000.0 * n as f64 / f64::from(rate))
}

fn chapter_signals(c: &SignalsChapter) -> anyhow::Result<Section> {
    let mut blocks = noise_blocks(c)?;
    blocks.extend(echo_blocks(c)?);
    Ok(Section {
        title: "Chapter 8. Cancelling noise and echo, one sample at a time".into(),
        blocks,
    })
}

fn noise_blocks(c: &SignalsChapter) -> anyhow::Result<Vec<Block>> {
    let (n, s) = (&c.noise, &c.settings);
    let sc = &n.scenario;
    let rate = sc.rate;
    let fs = f64::from(rate);
    let st = &n.step;
    // The waveform window, decimated.
    let (w0, wl) = s.window_s;
    let from = ((w0 * fs).round() as usize).min(sc.primary.len());
    let to = (((w0 + wl) * fs).round() as usize).min(sc.primary.len());
    let wave = |name: &str, x: &[f64]| Series {
        name: name.into(),
        points: (from..to).step_by(DECIMATE).map(|i| (i as f64 / fs, x[i])).collect(),
    };
    let panels = [
        plots::StackedPanel {
            y_label: "primary microphone".into(),
            series: vec![wave("speech + noise", &sc.primary)],
        },
        plots::StackedPanel {
            y_label: "after the canceller".into(),
            series: vec![wave("cleaned, e(n)", &n.cleaned), wave("clean speech", &sc.speech)],
        },
    ];
    let wave_caption = format!(
        "Noise cancellation: {:.1}–{:.1} s of the primary microphone, and the NLMS error beside \
         the clean speech",
        w0,
        w0 + wl
    );
    let wave_title = format!("Noise cancellation, {:.1}–{:.1} s", w0, w0 + wl);
    let waveforms = Figure::new("signals-waveforms", &wave_caption, |format| {
        plots::stacked_lines(&wave_title, "time (s)", &panels, format)
    })?;
    let names = |m: &str| match m {
        "lms" => "LMS",
        "nlms" => "NLMS",
        _ => "RLS",
    };
    let curves: Vec<Series> = n
        .curves
        .iter()
        .map(|cu| Series {
            name: format!(
                "{} ({} = {})",
                names(cu.method),
                if cu.method == "rls" { "λ" } else { "μ" },
                number(cu.parameter)
            ),
            points: cu.points.iter().map(|&(k, m)| (k as f64, m)).collect(),
        })
        .collect();
    // Beside the RLS curve's start, and under the NLMS curve's elbow.
    let notes: Vec<plots::Note> = [("rls", (70.0, -10.0)), ("nlms", (1000.0, -32.0))]
        .iter()
        .filter_map(|&(m, at)| {
            let k = n.curve(m).samples_to(TARGET_DB)?;
            Some(plots::Note { at, text: format!("{}: −20 dB after {k} samples", names(m)) })
        })
        .collect();
    let curve_caption = "Misalignment ‖w − p‖²/‖p‖² against samples on the noise path p";
    let learning = Figure::new("signals-learning", curve_caption, |format| {
        plots::lines_annotated(
            "Misalignment on the noise path",
            ("samples", "misalignment (dB)"),
            &curves,
            plots::LogAxes { x: true, y: false },
            &notes,
            format,
        )
    })?;
    let to = |m: &str| n.curve(m).samples_to(TARGET_DB);
    let shown = |k: Option<usize>| k.map_or_else(|| "never".to_owned(), |k| samples_ms(k, rate));
    let rows = n
        .curves
        .iter()
        .map(|cu| {
            vec![
                names(cu.method).to_owned(),
                number(cu.parameter),
                shown(cu.samples_to(TARGET_DB)),
                format!("{:.1} dB", cu.last_db()),
            ]
        })
        .collect();
    let curve_end = n.curves[0].points.last().map_or(0, |p| p.0);
    Ok(vec![
        Block::Text(format!(
            "An adaptive filter is gradient descent run on a stream. A reference microphone \
             hears the noise x; the primary microphone hears speech plus the same noise after an \
             unknown path p. A filter of L = {} taps predicts the primary d(n) from the last L \
             reference samples x(n), and its error e(n) = d(n) − wᵀx(n) is what it cannot \
             predict: the speech. Each sample brings a new loss ½e(n)², whose gradient in w is \
             −e(n)·x(n); NLMS steps against it with a step normalised by the input's energy, \
             w ← w + μ·e·x/(ε + xᵀx), here μ = {} and ε = {}.",
            n.taps,
            number(s.noise_mu),
            number(s.eps),
        )),
        Block::Text(format!(
            "At sample {} ({:.1} s) the error is e = {:.4} and xᵀx = {:.4}, so the step along \
             −∇ is μ/(ε + xᵀx) = {:.4} and the gradient's norm |e|·‖x‖ = {:.4}. Central \
             differences of ½e² in each weight agree with −e·x to {:.1e}, and the weight change \
             the filter made is −{:.4}·∇ to {:.1e} of its size: the update is one normalised \
             gradient step on the instantaneous squared error.",
            st.sample,
            st.sample as f64 / fs,
            st.error,
            st.energy,
            st.step,
            st.gradient_norm,
            st.finite_difference_error,
            st.step,
            st.update_error,
        )),
        Block::Subheading("Noise cancellation".into()),
        Block::Text(format!(
            "On the shipped speech ({:.1} s at {} Hz) with white noise as loud as the speech \
             (input SNR {:.1} dB, to rounding), one NLMS pass leaves an SNR of {:.1} dB: an improvement of \
             {:.1} dB, with the weights {:.1} dB from the true path at the end. The speech, \
             which x cannot predict, keeps stirring the weights; the small μ keeps that excess \
             noise near μ/(2 − μ) ≈ {:.1} dB of the speech's power.",
            sc.primary.len() as f64 / fs,
            rate,
            n.input_snr_db.abs(),
            n.output_snr_db,
            n.snr_improvement_db,
            n.final_misalignment_db,
            10.0 * (s.noise_mu / (2.0 - s.noise_mu)).log10(),
        )),
        Block::Figure(waveforms),
        Block::Text(format!(
            "How fast? Over the first {} the three filters run on the same signals: LMS with \
             μ = μ_NLMS/(L·σ_x²) = {} (σ_x² = {:.4}; the same misadjustment on this white \
             reference), NLMS, and RLS (λ = {}, O(L²) per sample against O(L)), which solves \
             the least-squares problem over all samples so far. RLS reaches −20 dB after {}, \
             within 2L = {} samples, and {:.0} dB after {} while the talker is still silent; \
             once the speech starts, the error it cannot predict pushes it back to around \
             −20 dB, from where it improves as its window grows ({:.1} dB after {} samples). \
             NLMS needs {} to reach −20 dB, {} times more, and LMS on white noise tracks \
             NLMS.",
            samples_ms(curve_end, rate),
            number(n.curve("lms").parameter),
            n.reference_power,
            number(s.rls_lambda),
            shown(to("rls")),
            2 * n.taps,
            n.curve("rls").lowest().1,
            n.curve("rls").lowest().0,
            n.curve("rls").last_db(),
            curve_end,
            shown(to("nlms")),
            rls_speed_up(n).map_or_else(|| "—".to_owned(), |r| format!("{r:.0}")),
        )),
        Block::Table(
            vec![
                "filter".into(),
                "μ or λ".into(),
                "to −20 dB misalignment".into(),
                format!("after {curve_end} samples"),
            ],
            rows,
        ),
        Block::Figure(learning),
    ])
}

fn echo_blocks(c: &SignalsChapter) -> anyhow::Result<Vec<Block>> {
    let (e, s) = (&c.echo, &c.settings);
    let fs = f64::from(e.scenario.rate);
    let frame_s = e.frame as f64 / fs;
    let over_time = |values: &[f64]| -> Vec<(f64, f64)> {
        values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64 * frame_s, v)).collect()
    };
    let erle: Vec<Series> = e
        .runs
        .iter()
        .map(|r| Series { name: echo_label(r), points: over_time(&r.erle_db) })
        .collect();
    let misalignment: Vec<Series> = e
        .runs
        .iter()
        .map(|r| Series { name: echo_label(r), points: over_time(&r.misalignment_db) })
        .collect();
    let (dt0, dtl) = s.double_talk_s;
    let note = |x: f64, y: f64| plots::Note {
        at: (x, y),
        text: format!("double talk {}–{} s", number(dt0), number(dt0 + dtl)),
    };
    let erle_caption =
        "Echo cancellation: ERLE per frame of 0.1 s, with and without the Geigel detector";
    let erle_figure = Figure::new("signals-echo-erle", erle_caption, |format| {
        plots::lines_annotated(
            "Echo cancellation: ERLE per 0.1 s",
            ("time (s)", "ERLE (dB)"),
            &erle,
            plots::LogAxes::default(),
            &[note(dt0 + 0.05, 18.0)],
            format,
        )
    })?;
    let mis_caption = "Echo cancellation: misalignment of the weights against the room";
    let mis_figure = Figure::new("signals-echo-misalignment", mis_caption, |format| {
        plots::lines_annotated(
            "Echo cancellation: misalignment",
            ("time (s)", "misalignment (dB)"),
            &misalignment,
            plots::LogAxes::default(),
            &[note(0.2, 3.0)],
            format,
        )
    })?;
    let rows = e
        .runs
        .iter()
        .map(|r| {
            vec![
                echo_label(r),
                format!("{:.1} dB", r.misalignment_before_db),
                format!("{:.1} dB", r.misalignment_after_db),
                format!("{:.1} dB", r.steady_state_erle_db),
            ]
        })
        .collect();
    let (nlms, nlms_dtd) = (e.run("nlms", false), e.run("nlms", true));
    let (fdaf, fdaf_dtd) = (e.run("fdaf", false), e.run("fdaf", true));
    Ok(vec![
        Block::Subheading("Echo cancellation and double talk".into()),
        Block::Text(format!(
            "In a phone call the reference is the far end x played by the loudspeaker, and the \
             microphone hears its echo through the room: a filter of L = {} taps learns the \
             room and subtracts the echo (μ = {}). The rule has a weak spot: when the near-end \
             talker speaks too (double talk, here {}–{} s), e(n) holds their voice, which x \
             cannot explain, and descending ½e² on it drives w away from the room. The Geigel \
             detector declares double talk when |d(n)| ≥ ½·max|x| over the last 256 samples and \
             freezes adaptation (in blocks of {} samples) until 30 ms after the last trigger.",
            e.taps,
            number(s.echo_mu),
            number(dt0),
            number(dt0 + dtl),
            descent_signal::scenario::CANCEL_BLOCK,
        )),
        Block::Text(format!(
            "Without the detector NLMS's misalignment goes from {:.1} dB before the segment to \
             {:.1} dB after it: the weights are wrecked. With the detector it goes from {:.1} to \
             {:.1} dB: Geigel misses the near end's quieter stretches, and what it misses still \
             costs. The frequency-domain filter (blocks of {}, a normalised step per frequency \
             bin) goes from {:.1} to {:.1} dB without the detector and from {:.1} to {:.1} dB \
             with it. Either way adaptation recovers once the near end falls silent, and the \
             last {} s reach an ERLE of {:.1}–{:.1} dB.",
            nlms.misalignment_before_db,
            nlms.misalignment_after_db,
            nlms_dtd.misalignment_before_db,
            nlms_dtd.misalignment_after_db,
            s.block,
            fdaf.misalignment_before_db,
            fdaf.misalignment_after_db,
            fdaf_dtd.misalignment_before_db,
            fdaf_dtd.misalignment_after_db,
            number(s.tail_s),
            e.runs.iter().map(|r| r.steady_state_erle_db).fold(f64::INFINITY, f64::min),
            e.runs.iter().map(|r| r.steady_state_erle_db).fold(f64::NEG_INFINITY, f64::max),
        )),
        Block::Table(
            vec![
                "canceller".into(),
                "misalignment at double talk's start".into(),
                "at its end".into(),
                format!("ERLE, last {} s", number(s.tail_s)),
            ],
            rows,
        ),
        Block::Figure(mis_figure),
        Block::Figure(erle_figure),
    ])
}

/// The asinh stretch's softening a: display = asinh(v/a)/asinh(1/a) for a pixel v of a truth
/// with peak 1, so that faint stars (v ≈ a) show and the core does not saturate.
const STRETCH_SOFTENING: f64 = 0.02;

#[derive(Serialize)]
struct ImagingMethodJson {
    method: &'static str,
    stopped_by: &'static str,
    iterations: usize,
    psnr_db: f64,
    ssim: f64,
    flux_ratio: f64,
    best_iteration: usize,
    best_psnr_db: f64,
}

#[derive(Serialize)]
struct ImagingJson {
    crop: usize,
    corner: (usize, usize),
    psf_sigma: f64,
    photons_at_peak: f64,
    read_noise: f64,
    seed: u64,
    tv_lambda: f64,
    tau: f64,
    sigma_estimate: f64,
    sigma_true: f64,
    stretch: &'static str,
    blurred_psnr_db: f64,
    blurred_ssim: f64,
    methods: Vec<ImagingMethodJson>,
}

fn stop_name(s: descent_imaging::StopReason) -> &'static str {
    match s {
        descent_imaging::StopReason::Discrepancy => "discrepancy",
        descent_imaging::StopReason::MaxIterations => "max_iterations",
    }
}

fn imaging_json(c: &ImagingChapter) -> ImagingJson {
    let s = &c.settings;
    ImagingJson {
        crop: s.crop,
        corner: c.corner,
        psf_sigma: s.psf_sigma,
        photons_at_peak: s.photons_at_peak,
        read_noise: s.read_noise,
        seed: s.seed,
        tv_lambda: s.tv_lambda,
        tau: s.tau,
        sigma_estimate: c.sigma_estimate,
        sigma_true: c.sigma_true,
        stretch: "asinh",
        blurred_psnr_db: c.blurred_psnr_db,
        blurred_ssim: c.blurred_ssim,
        methods: c
            .runs
            .iter()
            .map(|r| ImagingMethodJson {
                method: r.method,
                stopped_by: stop_name(r.stopped_by),
                iterations: r.auto.iterations,
                psnr_db: r.auto.psnr_db,
                ssim: r.auto.ssim,
                flux_ratio: r.auto.flux_ratio,
                best_iteration: r.best.0,
                best_psnr_db: r.best.1,
            })
            .collect(),
    }
}

/// A method's name in the chapter.
fn imaging_label(method: &str) -> &'static str {
    match method {
        "rl" => "Richardson–Lucy",
        "rl-tv" => "RL-TV",
        _ => "Landweber (x ≥ 0)",
    }
}

/// The asinh display stretch of [`STRETCH_SOFTENING`].
fn asinh_stretch(image: &descent_imaging::Image) -> Vec<f64> {
    let a = STRETCH_SOFTENING;
    let top = (1.0 / a).asinh();
    image.data().iter().map(|&v| (v / a).asinh() / top).collect()
}

fn chapter_imaging(c: &ImagingChapter) -> anyhow::Result<Section> {
    let s = &c.settings;
    let rl = c.run("rl");
    let (w, h) = c.truth.shape();
    let shown = [
        ("truth (M13)".to_owned(), asinh_stretch(&c.truth)),
        (format!("blurred, σ = {} px, + noise", number(s.psf_sigma)), asinh_stretch(&c.blurred)),
        (
            format!("Richardson–Lucy, {} iterations (auto-stop)", rl.auto.iterations),
            asinh_stretch(&rl.image),
        ),
    ];
    let images: Vec<plots::GreyImage<'_>> = shown
        .iter()
        .map(|(title, pixels)| plots::GreyImage {
            title: title.clone(),
            pixels,
            width: w,
            height: h,
        })
        .collect();
    let stretch = format!(
        "asinh stretch asinh(v/{a})/asinh(1/{a}), the same for all three",
        a = number(STRETCH_SOFTENING)
    );
    let panel_caption = format!("Truth, blurred and restored, {w}×{h} pixels of M13; {stretch}");
    let panels = Figure::new("imaging-panels", &panel_caption, |format| {
        plots::image_panels("Sharpening M13: truth | blurred | restored", &images, format)
    })?;
    let mut curves: Vec<Series> = c
        .runs
        .iter()
        .map(|r| Series {
            name: imaging_label(r.method).to_owned(),
            points: r.curve.iter().enumerate().map(|(k, &p)| ((k + 1) as f64, p)).collect(),
        })
        .collect();
    curves.extend(c.runs.iter().map(|r| Series {
        name: format!("{}: auto-stop at k = {}", imaging_label(r.method), r.auto.iterations),
        points: vec![(r.auto.iterations as f64, r.auto.psnr_db)],
    }));
    let curve_caption = format!(
        "PSNR against the truth at every iteration (the blurred input: {:.2} dB); the dots are \
         where the discrepancy principle stopped, without the truth",
        c.blurred_psnr_db
    );
    let psnr = Figure::new("imaging-psnr", &curve_caption, |format| {
        plots::lines_annotated(
            "Restoring M13: PSNR against iteration",
            ("iteration k", "PSNR (dB)"),
            &curves,
            plots::LogAxes::default(),
            &[],
            format,
        )
    })?;
    let mut rows = vec![vec![
        "blurred input".to_owned(),
        format!("{:.2} dB", c.blurred_psnr_db),
        format!("{:.3}", c.blurred_ssim),
        "1".to_owned(),
        "—".to_owned(),
        "—".to_owned(),
    ]];
    rows.extend(c.runs.iter().map(|r| {
        vec![
            imaging_label(r.method).to_owned(),
            format!("{:.2} dB", r.auto.psnr_db),
            format!("{:.3}", r.auto.ssim),
            format!("{:.4}", r.auto.flux_ratio),
            r.auto.iterations.to_string(),
            format!("{:.2} dB at {}", r.best.1, r.best.0),
        ]
    }));
    let (rltv, lw) = (c.run("rl-tv"), c.run("landweber"));
    Ok(Section {
        title: "Chapter 9. Sharpening the sky".into(),
        blocks: vec![
            Block::Text(format!(
                "A telescope blurs every star by its point-spread function (PSF). Here the truth \
                 x* is a {w}×{h} crop of the shipped M13 field around the cluster's core (less \
                 its median background, clipped at 0, peak 1); a Gaussian PSF of σ = {} px \
                 (FWHM {:.2} px) blurs it, y = Hx* + n, and the detector adds Poisson noise \
                 ({} photons at the peak) and read noise (σ = {}, seed {}). The blurred image \
                 scores {:.2} dB PSNR against the truth. Undoing the blur is gradient descent on \
                 a data-fit term.",
                number(s.psf_sigma),
                descent_imaging::tour::FWHM_PER_SIGMA * s.psf_sigma,
                number(s.photons_at_peak),
                number(s.read_noise),
                s.seed,
                c.blurred_psnr_db,
            )),
            Block::Text(
                "For photon counts the data-fit term is the Poisson negative log-likelihood \
                 J(x) = Σ(Hx − y·log Hx), with gradient ∇J = Hᵀ1 − Hᵀ(y/Hx). Richardson–Lucy \
                 iterates x ← x·Hᵀ(y/Hx)/Hᵀ1, which is x − (x/Hᵀ1)·∇J: a gradient step scaled \
                 per pixel by x/Hᵀ1. The scaling keeps x ≥ 0 without a projection (a star \
                 field has no negative light, and positivity alone removes much of the ringing \
                 a plain inverse would make) and keeps the flux Σx = Σy. RL-TV adds λ·TV(x) to \
                 J to prefer flat backgrounds; Landweber descends ½‖Hx − y‖² with steps \
                 1/‖H‖², projected onto x ≥ 0."
                    .into(),
            ),
            Block::Text(format!(
                "Run long enough, every method fits the noise too: the PSNR climbs, peaks and \
                 falls (semi-convergence), because H removes fine detail and its inverse \
                 amplifies whatever noise sits there. The truth that would show the peak is \
                 never known, so each run stops by the discrepancy principle instead: at the \
                 first k with ‖Hx_k − y‖ ≤ τ·σ̂·√N, the residual the noise alone would leave, \
                 with τ = {} and σ̂ = {:.5} estimated from y alone (the noise's actual rms is \
                 {:.5}). RL stops at k = {} with {:.2} dB, {:.2} dB above the blurred image and \
                 {:.2} dB below its best ({:.2} dB at k = {}); RL-TV (λ = {}) stops at k = {} \
                 with {:.2} dB; Landweber, slower, at k = {} with {:.2} dB.",
                number(s.tau),
                c.sigma_estimate,
                c.sigma_true,
                rl.auto.iterations,
                rl.auto.psnr_db,
                rl.auto.psnr_db - c.blurred_psnr_db,
                rl.best.1 - rl.auto.psnr_db,
                rl.best.1,
                rl.best.0,
                number(s.tv_lambda),
                rltv.auto.iterations,
                rltv.auto.psnr_db,
                lw.auto.iterations,
                lw.auto.psnr_db,
            )),
            Block::Figure(panels),
            Block::Table(
                vec![
                    "image".into(),
                    "PSNR".into(),
                    "SSIM".into(),
                    "flux Σx/Σy".into(),
                    "iterations (auto-stop)".into(),
                    "best PSNR (needs the truth)".into(),
                ],
                rows,
            ),
            Block::Figure(psnr),
        ],
    })
}

/// The adaptation steps the chapter's table shows (the MAML paper's).
const META_TABLE_STEPS: [usize; 5] = [0, 1, 2, 5, 10];

#[derive(Serialize)]
struct HypergradientJson {
    dataset: &'static str,
    optimizer: HdOptimizer,
    lr0: f64,
    beta: f64,
    iterations: usize,
    weight_decay: f64,
    /// SGD-HD's final training cross-entropy (without the L2 term).
    final_loss: f64,
    final_lr: f64,
    /// SGD's at the fixed α₀.
    baseline_final_loss: f64,
    /// `baseline_final_loss / final_loss`.
    loss_ratio: f64,
}

#[derive(Serialize)]
struct AlphaPathJson {
    alpha0: f64,
    final_lr: f64,
    final_loss: f64,
}

#[derive(Serialize)]
struct MamlTourJson<'a> {
    task: &'static str,
    shots: usize,
    inner_lr: f64,
    /// Meta-training iterations of the shipped models.
    iterations: usize,
    training_seed: u64,
    eval_tasks: usize,
    eval_seed: u64,
    mse_after_steps: Keyed<'a>,
    ci95_after_steps: Keyed<'a>,
    pretrained_mse_after_steps: Keyed<'a>,
    pretrained_ci95_after_steps: Keyed<'a>,
    /// Root-mean-square gap between each model's un-adapted prediction and the family's mean
    /// curve.
    start_vs_mean_rms: f64,
    pretrained_start_vs_mean_rms: f64,
}

#[derive(Serialize)]
struct MetaJson<'a> {
    hypergradient: HypergradientJson,
    alpha0_runs: Vec<AlphaPathJson>,
    /// The largest final α over the α₀ runs divided by the smallest.
    alpha_spread: f64,
    maml: MamlTourJson<'a>,
}

fn meta_json(c: &MetaChapter) -> MetaJson<'_> {
    let h = &c.hypergradient;
    let (mse, ci95) = keyed(&c.maml.evaluation);
    let (pretrained_mse, pretrained_ci95) = keyed(&c.pretrained.evaluation);
    let config = &c.maml.model.config;
    MetaJson {
        hypergradient: HypergradientJson {
            dataset: "digits",
            optimizer: h.comparison.optimizer,
            lr0: h.comparison.lr0,
            beta: h.comparison.beta,
            iterations: h.comparison.iterations,
            weight_decay: h.comparison.weight_decay,
            final_loss: h.final_loss,
            final_lr: h.final_lr,
            baseline_final_loss: h.baseline_final_loss,
            loss_ratio: h.baseline_final_loss / h.final_loss,
        },
        alpha0_runs: c
            .alpha_paths
            .iter()
            .map(|p| AlphaPathJson {
                alpha0: p.alpha0,
                final_lr: p.final_lr,
                final_loss: p.final_loss,
            })
            .collect(),
        alpha_spread: c.alpha_spread(),
        maml: MamlTourJson {
            task: "sinusoid",
            shots: config.shots,
            inner_lr: config.inner_lr,
            iterations: config.iterations,
            training_seed: config.seed,
            eval_tasks: c.settings.eval_tasks,
            eval_seed: c.settings.seed,
            mse_after_steps: mse,
            ci95_after_steps: ci95,
            pretrained_mse_after_steps: pretrained_mse,
            pretrained_ci95_after_steps: pretrained_ci95,
            start_vs_mean_rms: c.maml.start_vs_mean_rms,
            pretrained_start_vs_mean_rms: c.pretrained.start_vs_mean_rms,
        },
    }
}

/// `number` with a true minus sign.
fn signed(x: f64) -> String {
    number(x).replace('-', "−")
}

/// An integer with its thousands separated by commas (70,000).
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// "after k steps", singular for one.
fn after_steps(k: usize) -> String {
    format!("after {k} step{}", if k == 1 { "" } else { "s" })
}

/// One panel of the fits figure: the truth, the network after each step count, the points.
fn meta_fit_panel(name: &str, fit: &AdaptedFit) -> plots::FitPanel {
    let curve = |name: String, ys: &[f64]| Series {
        name,
        points: fit.grid_x.iter().copied().zip(ys.iter().copied()).collect(),
    };
    let mut series = vec![curve("truth".into(), &fit.truth)];
    series.extend(fit.curves.iter().map(|(k, ys)| curve(after_steps(*k), ys)));
    plots::FitPanel {
        y_label: format!("{name}: A = {:.2}, φ = {:.2}", fit.params.amplitude, fit.params.phase),
        series,
        points: fit.support_x.iter().copied().zip(fit.support_y.iter().copied()).collect(),
    }
}

fn chapter_meta(c: &MetaChapter) -> anyhow::Result<Section> {
    let h = &c.hypergradient;
    let hc = &h.comparison;
    let (m, p) = (&c.maml, &c.pretrained);
    let config = &m.model.config;
    let mse = |a: &descent_meta::tour::Adapted, k: usize| {
        a.mse_after(k).ok_or_else(|| anyhow::anyhow!("no error measured after {k} steps"))
    };
    let (m0, m1, m10) = (mse(m, 0)?, mse(m, 1)?, mse(m, 10)?);
    let (p0, p1, p10) = (mse(p, 0)?, mse(p, 1)?, mse(p, 10)?);
    let shots = config.shots;
    let evaluated = c.settings.eval_tasks;
    let family = descent_meta::tasks::Sinusoid::default();
    let widths: Vec<String> = m.model.spec.widths.iter().map(ToString::to_string).collect();

    let curve = |name: String, values: &[f64], from: usize| Series {
        name,
        points: values.iter().enumerate().map(|(t, &v)| ((t + from) as f64, v)).collect(),
    };
    let loss_caption = format!(
        "Softmax regression on the digits, full batch: SGD at α = {} against SGD-HD from the \
         same α₀ (β = {}); training cross-entropy, log scale",
        number(hc.lr0),
        number(hc.beta)
    );
    let losses = [
        curve(format!("SGD-HD (α₀ = {}, β = {})", number(hc.lr0), number(hc.beta)), &h.losses, 0),
        curve(format!("SGD (α = {})", number(hc.lr0)), &h.baseline_losses, 0),
    ];
    let loss_figure = Figure::new("meta-hypergradient-loss", &loss_caption, |format| {
        plots::lines(
            "SGD-HD against SGD on the digits",
            "iteration",
            "training cross-entropy",
            &losses,
            true,
            format,
        )
    })?;
    let paths: Vec<Series> = c
        .alpha_paths
        .iter()
        .map(|a| Series {
            name: format!("α₀ = {}", number(a.alpha0)),
            points: std::iter::once((0.0, a.alpha0))
                .chain(a.learning_rates.iter().enumerate().map(|(t, &v)| ((t + 1) as f64, v)))
                .collect(),
        })
        .collect();
    let alphas: Vec<String> = c.alpha_paths.iter().map(|a| number(a.alpha0)).collect();
    let lr_caption = format!(
        "The learning rate SGD-HD chose at every iteration, started from α₀ = {} (log scale)",
        alphas.join(", ")
    );
    let lr_figure = Figure::new("meta-hypergradient-lr", &lr_caption, |format| {
        plots::lines(
            "SGD-HD: the learning rate it chose",
            "iteration",
            "learning rate α",
            &paths,
            true,
            format,
        )
    })?;

    let panels: Vec<plots::FitPanel> = m
        .fits
        .iter()
        .zip(&p.fits)
        .flat_map(|(fm, fp)| [meta_fit_panel("MAML", fm), meta_fit_panel("pretrained", fp)])
        .collect();
    let fits_caption = format!(
        "The first {} held-out sinusoids: the shipped MAML network (left) and the pretrained \
         network (right) after SGD steps on the {shots} points shown",
        m.fits.len()
    );
    let fits_figure = Figure::new("meta-maml-fits", &fits_caption, |format| {
        plots::few_shot_fits(
            &format!("Adapting to a new sinusoid from {shots} points"),
            "x",
            "support points",
            &panels,
            2,
            format,
        )
    })?;
    let by_steps = |a: &descent_meta::tour::Adapted, name: &str| Series {
        name: name.to_owned(),
        points: a
            .evaluation
            .steps
            .iter()
            .map(|&k| k as f64)
            .zip(a.evaluation.mean.iter().copied())
            .collect(),
    };
    let steps_series = [by_steps(m, "MAML"), by_steps(p, "pretrained")];
    let steps_caption = format!(
        "Mean query MSE on {evaluated} held-out sinusoids after k SGD steps (α = {}) on {shots} \
         points, log scale",
        number(config.inner_lr)
    );
    let steps_figure = Figure::new("meta-maml-steps", &steps_caption, |format| {
        plots::lines_annotated(
            "MAML against pretraining: error after k adaptation steps",
            ("adaptation steps k", "query MSE"),
            &steps_series,
            plots::LogAxes { x: false, y: true },
            &[],
            format,
        )
    })?;
    let interval = |a: &descent_meta::tour::Adapted, k: usize| -> String {
        let e = &a.evaluation;
        e.steps
            .iter()
            .position(|&s| s == k)
            .map_or_else(|| "—".to_owned(), |i| format!("{:.3} ± {:.3}", e.mean[i], e.ci95[i]))
    };
    let rows = META_TABLE_STEPS
        .iter()
        .map(|&k| vec![k.to_string(), interval(m, k), interval(p, k)])
        .collect();
    let finals: Vec<String> = c.alpha_paths.iter().map(|a| format!("{:.4}", a.final_lr)).collect();

    Ok(Section {
        title: "Chapter 10. Learning to learn".into(),
        blocks: vec![
            Block::Text(
                "Every chapter so far chose two things by hand: the learning rate, and the point \
                 where descent starts. Both are numbers, the loss depends on both, and so \
                 gradient descent can tune them too. This chapter turns it on itself twice."
                    .into(),
            ),
            Block::Subheading("A learning rate that tunes itself".into()),
            Block::Text(format!(
                "One step of SGD is θₜ = θₜ₋₁ − α∇f(θₜ₋₁), so the loss after it is a function of \
                 α, and its derivative is free: ∂f(θₜ)/∂α = −∇f(θₜ)·∇f(θₜ₋₁), the dot product \
                 of two gradients already computed. Hypergradient descent (Baydin et al. 2018) \
                 takes a step on α with it before every step on θ, α ← α + β·∇f(θₜ)·∇f(θₜ₋₁): \
                 α grows while successive gradients agree, and shrinks when they turn against \
                 each other, as in the zig-zag of chapter 2. On the {} digits (multinomial \
                 logistic regression, pixels/16 then standardised, L2 λ = {}, full batch, \
                 θ₀ = 0), {} iterations of SGD at α = {} end at a training cross-entropy of \
                 {:.3}. SGD-HD from the same α₀ with β = {} raises α to {:.4} and ends at \
                 {:.3}: {:.1}× lower.",
                grouped(h.examples),
                number(hc.weight_decay),
                hc.iterations,
                number(hc.lr0),
                h.baseline_final_loss,
                number(hc.beta),
                h.final_lr,
                h.final_loss,
                h.baseline_final_loss / h.final_loss,
            )),
            Block::Figure(loss_figure),
            Block::Text(format!(
                "Does α₀ still matter? Started from α₀ = {}, SGD-HD ends at α = {} after {} \
                 iterations: the largest within {:.1} % of the smallest, over two decades of \
                 α₀. This is the paper's claim: the learning rate it finds hardly depends on \
                 where it started. The number left to choose by hand is β, the learning rate \
                 of the learning rate.",
                alphas.join(", "),
                finals.join(", "),
                hc.iterations,
                100.0 * (c.alpha_spread() - 1.0),
            )),
            Block::Figure(lr_figure),
            Block::Subheading("A starting point that learns fast".into()),
            Block::Text(format!(
                "Now the starting point. The task family: sinusoids y = A·sin(x − φ) with \
                 A ∈ [{}, {}], φ ∈ [{}, π], x ∈ [{}, {}]. Each new task shows only K = {shots} \
                 points, and the network ({}, ReLU) adapts to them by plain SGD with α = {} on \
                 their mean-squared error L_S. MAML (Finn, Abbeel & Levine 2017) trains the \
                 initial θ for that use: it minimises the error on the task's other points \
                 after {}, L_Q(θ − α∇L_S(θ)), whose gradient passes through the step, \
                 (I − α∇²L_S(θ))·∇L_Q; descent computes the Hessian-vector product exactly. \
                 The baseline is the obvious alternative: one network regressed on all tasks' \
                 points jointly, then adapted the same way. Both ship with descent ({} \
                 iterations of batches of {} tasks, seed {}; the command descent meta maml \
                 retrains them).",
                signed(family.amplitude.0),
                signed(family.amplitude.1),
                signed(family.phase.0),
                signed(family.x_range.0),
                signed(family.x_range.1),
                widths.join("-"),
                number(config.inner_lr),
                if config.inner_steps == 1 {
                    "one step".to_owned()
                } else {
                    format!("{} steps", config.inner_steps)
                },
                grouped(config.iterations),
                config.meta_batch,
                config.seed,
            )),
            Block::Text(format!(
                "On {evaluated} held-out sinusoids, before any step the two are equally wrong \
                 (query MSE {m0:.2} and {p0:.2}), and for the same reason: both predict about \
                 the family's mean curve, E[y | x] = −(2Ā/π)·cos x with Ā = {} the mean \
                 amplitude (root-mean-square gaps {:.2} and {:.2}). MAML's θ is not a better \
                 guess; it is a better start. One step on the {shots} points takes MAML to \
                 {m1:.3}; the pretrained network moves to {p1:.2}, and after ten steps is still \
                 at {p10:.2}, worse than MAML after one. After ten steps MAML reaches {m10:.3}, \
                 {:.0}× lower than the pretrained network.",
                number(0.5 * (family.amplitude.0 + family.amplitude.1)),
                m.start_vs_mean_rms,
                p.start_vs_mean_rms,
                p10 / m10,
            )),
            Block::Table(
                vec![
                    "steps".into(),
                    "MAML (mean ± 95 % CI)".into(),
                    "pretrained (mean ± 95 % CI)".into(),
                ],
                rows,
            ),
            Block::Figure(fits_figure),
            Block::Figure(steps_figure),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_for_reading() {
        let cases =
            [(0, "0"), (999, "999"), (1797, "1,797"), (70_000, "70,000"), (1_000_000, "1,000,000")];
        for (n, text) in cases {
            assert_eq!(grouped(n), text);
        }
        assert_eq!((signed(-5.0), signed(0.1)), ("−5".to_owned(), "0.1".to_owned()));
        assert_eq!(
            (after_steps(1), after_steps(10)),
            ("after 1 step".into(), "after 10 steps".into())
        );
    }
}
