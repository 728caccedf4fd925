//! `descent meta hypergradient`: hypergradient descent tunes its own learning rate, beside the
//! same optimizer with the learning rate fixed at α₀.
//!
//! The experiment is [`compare_on_softmax_regression`]: multinomial logistic regression, full
//! batch, θ₀ = 0, L2 λ on the weights. Data: the bundled digits, all 1,797 (the runs are
//! judged on training loss, so nothing is held out), pixels/16 then standardised per pixel;
//! or MNIST's 60,000 training images with pixels/255 and no standardisation (as `descent
//! train`, for the reason given there). The losses printed and plotted are the mean training
//! cross-entropy without the L2 term.
//!
//! Output: a table of the cross-entropy of both runs and α every ~20 iterations, then the
//! final figures; `--json` prints one object instead (`final_loss`, `final_lr`,
//! `baseline_final_loss`, the curves and the settings); `--plot DIR` writes
//! `hypergradient-loss` (both curves, log y) and `hypergradient-lr` (α against the
//! iteration), each as SVG and PNG, atomically.

use std::path::Path;

use anyhow::Context as _;
use descent_meta::hypergradient::{
    Comparison, ComparisonReport, HdOptimizer, compare_on_softmax_regression, digits_prepared,
};
use descent_nn::Dataset;
use serde::Serialize;

use crate::args::{DatasetSpec, HyperOptimizerName, HypergradientArgs};
use crate::output::{number, print_fields, print_json, print_table};
use crate::plots::{self, Format, Series};

/// Rows of the human table (about; the first and the last iteration are always shown).
const TABLE_ROWS: usize = 10;

/// The safeguard's floor when `--safeguard` is given without a value, as a fraction of α₀.
const DEFAULT_FLOOR: f64 = 1e-2;

/// The `--json` object.
#[derive(Serialize)]
struct Json<'a> {
    dataset: String,
    optimizer: HdOptimizer,
    lr0: f64,
    beta: f64,
    iterations: usize,
    weight_decay: f64,
    momentum: f64,
    /// The safeguard's floor, or null.
    safeguard: Option<f64>,
    examples: usize,
    params: usize,
    /// What `losses` measure.
    loss: &'static str,
    final_loss: f64,
    final_lr: f64,
    baseline_final_loss: f64,
    losses: &'a [f64],
    learning_rates: &'a [f64],
    hypergradients: &'a [f64],
    baseline_losses: &'a [f64],
}

/// Runs the command.
///
/// # Errors
/// Settings out of range, an unreadable data set, a run whose learning rate became non-finite,
/// a figure that cannot be written.
pub fn run(args: &HypergradientArgs) -> anyhow::Result<()> {
    let comparison = Comparison {
        optimizer: match args.optimizer {
            HyperOptimizerName::Sgd => HdOptimizer::Sgd,
            HyperOptimizerName::Sgdn => HdOptimizer::Sgdn,
            HyperOptimizerName::Adam => HdOptimizer::Adam,
        },
        lr0: args.lr0,
        beta: args.beta,
        iterations: args.iterations,
        weight_decay: args.weight_decay,
        momentum: args.momentum,
        safeguard: args.safeguard.map(|floor| floor.unwrap_or(DEFAULT_FLOOR * args.lr0)),
    };
    // Fail on a bad path before the work.
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let data = load(&args.dataset)?;
    let report = compare_on_softmax_regression(&data, &comparison)?;
    if let Some(dir) = &args.plot {
        write_figures(dir, &report, &args.dataset)?;
    }
    if args.json {
        return print_json(&Json {
            dataset: args.dataset.to_string(),
            optimizer: comparison.optimizer,
            lr0: comparison.lr0,
            beta: comparison.beta,
            iterations: comparison.iterations,
            weight_decay: comparison.weight_decay,
            momentum: comparison.momentum,
            safeguard: comparison.safeguard,
            examples: report.examples,
            params: report.params,
            loss: "mean training cross-entropy without the L2 term, at θ₀ … θ_T",
            final_loss: report.final_loss,
            final_lr: report.final_lr,
            baseline_final_loss: report.baseline_final_loss,
            losses: &report.losses,
            learning_rates: &report.learning_rates,
            hypergradients: &report.hypergradients,
            baseline_losses: &report.baseline_losses,
        });
    }
    print_human(&report, args);
    Ok(())
}

/// The data set, prepared as the module docs say.
fn load(spec: &DatasetSpec) -> anyhow::Result<Dataset> {
    Ok(match spec {
        DatasetSpec::Digits => digits_prepared()?,
        DatasetSpec::Mnist(dir) => {
            let (mut train, _test) = Dataset::mnist(dir)?;
            train.scale(1.0 / 255.0)?;
            train
        }
    })
}

fn print_human(report: &ComparisonReport, args: &HypergradientArgs) {
    let c = &report.comparison;
    let (hd, plain) = (c.optimizer.hd_name(), c.optimizer.name());
    println!(
        "{hd} against {plain} at a fixed α = {}: softmax regression on {} ({} examples, {} \
         parameters), full batch, λ = {}",
        number(c.lr0),
        args.dataset,
        report.examples,
        report.params,
        number(c.weight_decay),
    );
    println!("training cross-entropy (without the L2 term); α is the rate step t used\n");
    let every = c.iterations.div_ceil(TABLE_ROWS).max(1);
    let mut rows = Vec::new();
    for t in (0..=c.iterations).filter(|&t| t % every == 0 || t == c.iterations) {
        let alpha = if t == 0 { c.lr0 } else { report.learning_rates[t - 1] };
        rows.push(vec![
            t.to_string(),
            number(report.losses[t]),
            number(alpha),
            number(report.baseline_losses[t]),
        ]);
    }
    let hd_loss = format!("{hd} loss");
    let plain_loss = format!("{plain} loss");
    print_table(&["iteration", &hd_loss, "α", &plain_loss], &rows);
    println!();
    let mut fields = vec![
        ("final loss", number(report.final_loss)),
        ("final α", number(report.final_lr)),
        ("baseline final loss", number(report.baseline_final_loss)),
        ("baseline / final", number(report.baseline_final_loss / report.final_loss)),
    ];
    if let Some(floor) = c.safeguard {
        fields.push(("safeguard floor", number(floor)));
    }
    if let Some(dir) = &args.plot {
        fields
            .push(("figures", dir.join("hypergradient-{loss,lr}.{svg,png}").display().to_string()));
    }
    print_fields(&fields);
}

/// The loss curves (log y) and the α curve, SVG and PNG.
fn write_figures(
    dir: &Path,
    report: &ComparisonReport,
    dataset: &DatasetSpec,
) -> anyhow::Result<()> {
    let c = &report.comparison;
    let (hd, plain) = (c.optimizer.hd_name(), c.optimizer.name());
    let curve = |name: String, values: &[f64], from: usize| Series {
        name,
        points: values.iter().enumerate().map(|(t, &v)| ((t + from) as f64, v)).collect(),
    };
    let losses = [
        curve(format!("{hd} (β = {})", number(c.beta)), &report.losses, 0),
        curve(format!("{plain} (α = {})", number(c.lr0)), &report.baseline_losses, 0),
    ];
    let rates = [
        curve(hd.to_owned(), &report.learning_rates, 1),
        Series { name: plain.to_owned(), points: vec![(1.0, c.lr0), (c.iterations as f64, c.lr0)] },
    ];
    let loss_title = format!("{hd} against {plain}: softmax regression on {dataset}");
    let lr_title = format!("{hd}: the learning rate it chose (α₀ = {})", number(c.lr0));
    for (format, extension) in [(Format::Svg, "svg"), (Format::Png, "png")] {
        let bytes = plots::lines(
            &loss_title,
            "iteration",
            "training cross-entropy",
            &losses,
            true,
            format,
        )?;
        plots::write(&dir.join(format!("hypergradient-loss.{extension}")), &bytes)?;
        let bytes = plots::lines(&lr_title, "iteration", "learning rate α", &rates, false, format)?;
        plots::write(&dir.join(format!("hypergradient-lr.{extension}")), &bytes)?;
    }
    Ok(())
}
