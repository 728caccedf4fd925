//! `descent meta maml`: meta-train a network on a few-shot task family (MAML, first-order MAML
//! or Reptile), train the pretrained baseline beside it, and evaluate both on held-out tasks.
//!
//! Everything it computes lives in `descent_meta::maml` (tested there); this module turns the
//! flags into a [`MetaConfig`], shows progress, prints the evaluation table (or one JSON
//! object), draws the adapted fits and saves the model.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use descent_meta::maml::{
    self, AdaptedFit, Algorithm, EvalConfig, Evaluation, MetaConfig, MetaModel, MetaProgress,
    ModelKind,
};
use descent_meta::tasks::Sinusoid;
use serde::Serialize;

use crate::args::{MamlArgs, TaskName};
use crate::output::{AtomicFile, number, print_json};
use crate::plots::{self, FitPanel, Format, Series};
use crate::progress::Bar;

/// Held-out tasks drawn in the figure of adapted fits.
const FIGURE_TASKS: usize = 4;
/// Adaptation steps drawn in that figure.
const FIGURE_STEPS: [usize; 3] = [0, 1, 10];
/// Points on the x grid of each fitted curve.
const FIGURE_GRID: usize = 200;
/// The training curve shows the mean post-update loss over windows of this many iterations.
const CURVE_WINDOW: usize = 100;

/// The `--json` object.
#[derive(Serialize)]
struct MamlJson<'a> {
    task: TaskName,
    algorithm: Algorithm,
    shots: usize,
    iterations: usize,
    seed: u64,
    meta_batch: usize,
    inner_lr: f64,
    outer_lr: f64,
    eval_tasks: usize,
    /// Mean query MSE over the held-out tasks after k adaptation steps, keyed by k.
    mse_after_steps: Keyed<'a>,
    /// Half-width of its 95% confidence interval.
    ci95_after_steps: Keyed<'a>,
    /// The same for the pretrained baseline.
    pretrained_mse_after_steps: Keyed<'a>,
    pretrained_ci95_after_steps: Keyed<'a>,
    /// Mean post-update query loss of the last training window.
    final_post_update_loss: f64,
    meta_train_seconds: f64,
    pretrain_seconds: f64,
}

/// Runs the command.
pub fn run(args: &MamlArgs) -> anyhow::Result<()> {
    let TaskName::Sinusoid = args.task;
    let family = Sinusoid::default();
    let algorithm = if args.reptile {
        Algorithm::Reptile
    } else if args.first_order {
        Algorithm::FirstOrderMaml
    } else {
        Algorithm::Maml
    };
    let mut config = MetaConfig::paper(algorithm, args.shots);
    config.iterations = args.iterations;
    config.seed = args.seed;
    config.meta_batch = args.meta_batch;
    config.inner_lr = args.inner_lr;
    config.outer_lr = args.outer_lr;
    config.threads = args.threads;
    config.validate()?;
    let mut eval = EvalConfig::paper(args.shots);
    eval.tasks = args.eval_tasks;
    eval.inner_lr = args.inner_lr;
    eval.seed = args.seed;
    eval.validate()?;
    // An unwritable output fails now, not after the training.
    for path in [&args.save].into_iter().flatten() {
        drop(AtomicFile::create(path)?);
    }

    let started = Instant::now();
    let mut curve = Vec::new();
    let model: MetaModel<f32> =
        maml::meta_train(&family, &config, observer(algorithm.name(), &config, &mut curve))?;
    let meta_train_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let pretrained: MetaModel<f32> =
        maml::pretrain(&family, &config, observer("pretrained", &config, &mut Vec::new()))?;
    let pretrain_seconds = started.elapsed().as_secs_f64();

    let evaluation = maml::evaluate(&family, &model, &eval)?;
    let baseline = maml::evaluate(&family, &pretrained, &eval)?;
    if let Some(path) = &args.save {
        maml::save(path, &model)?;
    }
    if let Some(dir) = &args.plot {
        draw(dir, &family, (&model, &pretrained), &curve, args)?;
    }

    let (mse, ci95) = keyed(&evaluation);
    let (pretrained_mse, pretrained_ci95) = keyed(&baseline);
    let final_post_update_loss = curve.last().map_or(f64::NAN, |&(_, loss)| loss);
    if args.json {
        return print_json(&MamlJson {
            task: args.task,
            algorithm,
            shots: args.shots,
            iterations: args.iterations,
            seed: args.seed,
            meta_batch: args.meta_batch,
            inner_lr: args.inner_lr,
            outer_lr: args.outer_lr,
            eval_tasks: args.eval_tasks,
            mse_after_steps: mse,
            ci95_after_steps: ci95,
            pretrained_mse_after_steps: pretrained_mse,
            pretrained_ci95_after_steps: pretrained_ci95,
            final_post_update_loss,
            meta_train_seconds,
            pretrain_seconds,
        });
    }
    println!(
        "{} on sinusoids, {} shots, {} iterations ({} s; pretrained baseline {} s)",
        algorithm.name(),
        args.shots,
        args.iterations,
        number(meta_train_seconds),
        number(pretrain_seconds)
    );
    println!(
        "query MSE on {} held-out tasks after k steps of SGD (α = {}) on {} points, mean ± 95% CI:",
        args.eval_tasks,
        number(args.inner_lr),
        args.shots
    );
    let rows: Vec<Vec<String>> = evaluation
        .steps
        .iter()
        .enumerate()
        .map(|(i, k)| {
            vec![
                k.to_string(),
                format!("{} ± {}", number(evaluation.mean[i]), number(evaluation.ci95[i])),
                format!("{} ± {}", number(baseline.mean[i]), number(baseline.ci95[i])),
            ]
        })
        .collect();
    crate::output::print_table(&["steps", algorithm.name(), "pretrained"], &rows);
    Ok(())
}

/// A progress observer that also records the training curve: (iteration, mean post-update
/// loss over the last [`CURVE_WINDOW`] iterations).
fn observer<'a>(
    name: &str,
    config: &MetaConfig,
    curve: &'a mut Vec<(f64, f64)>,
) -> impl FnMut(&MetaProgress) -> ControlFlow<()> + 'a {
    let mut bar = Bar::new(config.iterations as u64, name);
    let mut window = (0.0, 0usize);
    let total = config.iterations;
    move |progress: &MetaProgress| {
        window = (window.0 + progress.post_update_loss, window.1 + 1);
        let done = progress.iteration + 1;
        if window.1 == CURVE_WINDOW || done == total {
            curve.push((done as f64, window.0 / window.1 as f64));
            window = (0.0, 0);
        }
        if done.is_multiple_of(100) {
            bar.set(done as u64);
        }
        if done == total {
            bar.clear();
        }
        ControlFlow::Continue(())
    }
}

/// Numbers keyed by step count, serialised as a JSON object in step order (`{"0": …, "1": …,
/// "2": …, "5": …, "10": …}`; a sorted map would put "10" before "2").
pub(crate) struct Keyed<'a> {
    steps: &'a [usize],
    values: &'a [f64],
}

impl Serialize for Keyed<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.steps.len()))?;
        for (k, v) in self.steps.iter().zip(self.values) {
            map.serialize_entry(&k.to_string(), v)?;
        }
        map.end()
    }
}

/// The evaluation's means and CI half-widths keyed by the step count.
pub(crate) fn keyed(evaluation: &Evaluation) -> (Keyed<'_>, Keyed<'_>) {
    let steps = evaluation.steps.as_slice();
    (Keyed { steps, values: &evaluation.mean }, Keyed { steps, values: &evaluation.ci95 })
}

/// The figures: adapted fits of the meta-trained and the pretrained network on a few held-out
/// tasks, and the meta-training curve.
fn draw(
    dir: &Path,
    family: &Sinusoid,
    (model, pretrained): (&MetaModel<f32>, &MetaModel<f32>),
    curve: &[(f64, f64)],
    args: &MamlArgs,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let seed = args.seed ^ 0x5EED_F165;
    for (name, which, title) in [
        (
            "maml-fits",
            model,
            format!("{} after k steps on {} points", model_name(model), args.shots),
        ),
        (
            "pretrained-fits",
            pretrained,
            format!("pretrained after k steps on {} points", args.shots),
        ),
    ] {
        let fits = maml::adapted_fits(
            family,
            which,
            FIGURE_TASKS,
            args.shots,
            &FIGURE_STEPS,
            seed,
            FIGURE_GRID,
        )?;
        let panels: Vec<FitPanel> = fits.iter().map(fit_panel).collect();
        for format in [Format::Svg, Format::Png] {
            let bytes = plots::few_shot_fits(&title, "x", "support points", &panels, 2, format)?;
            plots::write(&dir.join(format!("{name}.{}", extension(format))), &bytes)?;
        }
    }
    let series = [Series { name: "post-update query MSE".into(), points: curve.to_vec() }];
    for format in [Format::Svg, Format::Png] {
        let bytes = plots::lines(
            &format!("{} meta-training", model_name(model)),
            "iteration",
            &format!("mean over {CURVE_WINDOW} iterations"),
            &series,
            true,
            format,
        )?;
        plots::write(&dir.join(format!("maml-training.{}", extension(format))), &bytes)?;
    }
    Ok(())
}

fn model_name(model: &MetaModel<f32>) -> &'static str {
    match model.kind {
        ModelKind::Meta(algorithm) => algorithm.name(),
        ModelKind::Pretrained => "pretrained",
    }
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Svg => "svg",
        Format::Png => "png",
    }
}

/// One task's panel: the true sinusoid, the network after each step count, the support points.
fn fit_panel(fit: &AdaptedFit) -> FitPanel {
    let curve = |name: String, ys: &[f64]| Series {
        name,
        points: fit.grid_x.iter().copied().zip(ys.iter().copied()).collect(),
    };
    let mut series = vec![curve("truth".into(), &fit.truth)];
    for (steps, ys) in &fit.curves {
        series.push(curve(format!("after {steps} step{}", if *steps == 1 { "" } else { "s" }), ys));
    }
    FitPanel {
        y_label: format!("A = {}, φ = {}", number(fit.params.amplitude), number(fit.params.phase)),
        series,
        points: fit.support_x.iter().copied().zip(fit.support_y.iter().copied()).collect(),
    }
}
