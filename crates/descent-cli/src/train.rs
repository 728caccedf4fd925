//! `descent train`: a classifier trained by minibatch first-order descent, with checkpoints
//! that resume bit for bit.
//!
//! # Design
//! - **One optimizer choice for `minimize` and `train`.** `--optimizer` and its flags go through
//!   [`methods::with_rule`], which builds the update rule once and hands it to a visitor; here the
//!   visitor is [`Trainer`], monomorphised over every rule type and over `f32`/`f64`.
//! - **Settings live in the checkpoint.** Every setting of the run except the epoch count, the
//!   output flags and the thread count (which do not change the numbers) is written as JSON into
//!   the checkpoint's `meta` ([`Settings`]). `--resume` reads them back, so a resumed run cannot
//!   drift from the run it continues; a flag that disagrees with them is an error.
//! - **Bit-identical resume.** The checkpoint holds the parameters, the optimizer's state, the
//!   history and the training configuration, and no timing: a run of 6 epochs and a run of 3
//!   resumed to 6 write the same bytes. Epoch orders depend on (seed, epoch) alone.
//! - **Inputs.** The digits (counts 0–16) are standardised per feature with the training set's
//!   mean and deviation; MNIST's bytes are scaled to [0, 1] and not standardised (see
//!   [`standardises`]). The standardisation, if any, and the scale are in the checkpoint, so
//!   `predict` sees the data as training did.
//! - **Flags are optional** on the command line (defaults applied in [`Settings::fresh`]), so
//!   that `--resume` can tell a flag given from a default.
//! - **`--distributed`** (a build with the cargo feature `distributed`, under `mpirun`): the
//!   same settings, data and rule, trained by
//!   [`descent_distributed::train_data_parallel`] (each rank a contiguous share of every
//!   minibatch, one all-reduce of the gradient, θ's hash compared across ranks every
//!   [`CHECK_EVERY`] steps). Rank 0 prints, writes the `--save` checkpoint after each epoch (the
//!   same file as a one-process run: `descent predict` reads it, `--resume` continues it, with
//!   or without `--distributed`) and the figure; the other ranks are quiet. Every rank reads
//!   the data and a `--resume` file itself (on a cluster: a shared file system). An error on
//!   any rank prints one line and ends the job with MPI_Abort (exit code 2), so no rank waits
//!   forever. With P ranks θ equals the one-process run's to rounding (the minibatch mean is
//!   summed in another order), not bit for bit; a `--resume`d run on the same P is bit for bit.

use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use descent::first_order::{Optimizer, Rule, Threads};
use descent_distributed::Communicator;
use descent_distributed::train::{DataParallelConfig, Element, EpochDone, train_data_parallel};
use descent_nn::checkpoint::{self, Header, Precision};
use descent_nn::data::Standardizer;
use descent_nn::train::{Progress, Snapshot, TrainObserver, train_observed};
use descent_nn::{Activation, Dataset, EpochStats, Mlp, Model, TrainConfig, TrainReport};
use serde::{Deserialize, Serialize};

use crate::args::{
    ActivationName, DatasetSpec, FirstOrderArgs, LineSearchName, MethodArgs, MethodName,
    PrecisionName, TrainArgs, parse_dataset, parse_model,
};
use crate::methods::{self, RuleVisitor};
use crate::output::{AtomicFile, number, print_json};
use crate::plots;
use crate::progress::Bar;

/// Defaults of the flags (the brief's and the issue's).
const DEFAULT_EPOCHS: usize = 30;
const DEFAULT_BATCH: usize = 64;
const DEFAULT_MODEL: &str = "mlp:64";
/// The digits' held-out fraction.
const TEST_FRACTION: f64 = 0.2;
/// `--distributed`: steps between two comparisons of θ's hash across ranks (every step in a
/// debug build).
const CHECK_EVERY: u64 = if cfg!(debug_assertions) { 1 } else { 100 };

/// The settings of a run that decide its numbers, stored as JSON in the checkpoint's `meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `digits` or `mnist:DIR`.
    pub dataset: String,
    /// Seed of the digits' train/test split.
    pub split_seed: u64,
    /// Raw features are multiplied by this (1/255 for MNIST's bytes, 1 for the digits).
    pub pixel_scale: f32,
    /// `softmax` or `mlp:H1,...`.
    pub model: String,
    /// The hidden activation.
    pub activation: ActivationName,
    /// L2 coefficient λ.
    pub l2: f64,
    /// Label smoothing ε.
    pub label_smoothing: f64,
    /// f32 or f64.
    pub precision: PrecisionName,
    /// Early-stopping patience.
    pub patience: Option<usize>,
    /// Examples per minibatch.
    pub batch: usize,
    /// Seeds the initial parameters and the epoch orders.
    pub seed: u64,
    /// The first-order optimizer.
    pub optimizer: MethodName,
    /// Its base learning rate (the default resolved).
    pub learning_rate: f64,
    /// Its flags, as given.
    pub optimizer_flags: FirstOrderArgs,
}

impl Settings {
    /// The settings of a new run: the flags given, defaults for the rest.
    fn fresh(args: &TrainArgs) -> Self {
        let optimizer = args.optimizer.unwrap_or(MethodName::Adam);
        let default_lr = methods::default_learning_rate(optimizer, LineSearchName::None);
        Self {
            dataset: args.dataset.as_ref().unwrap_or(&DatasetSpec::Digits).to_string(),
            split_seed: args.split_seed.unwrap_or(0),
            pixel_scale: 1.0,
            model: args.model.as_ref().map_or_else(|| DEFAULT_MODEL.to_owned(), |m| m.to_string()),
            activation: args.activation.unwrap_or(ActivationName::Relu),
            l2: args.l2.unwrap_or(0.0),
            label_smoothing: args.label_smoothing.unwrap_or(0.0),
            precision: args.precision.unwrap_or(PrecisionName::F32),
            patience: args.patience,
            batch: args.batch.unwrap_or(DEFAULT_BATCH),
            seed: args.seed.unwrap_or(0),
            optimizer,
            learning_rate: args.learning_rate.unwrap_or(default_lr),
            optimizer_flags: args.first_order.clone(),
        }
    }

    /// The settings stored in a checkpoint's header.
    ///
    /// # Errors
    /// When `meta` is not the JSON this command writes.
    pub fn from_header(header: &Header, file: &Path) -> anyhow::Result<Self> {
        serde_json::from_str(&header.meta).with_context(|| {
            format!(
                "{}: not a checkpoint of `descent train` (its settings do not parse)",
                file.display()
            )
        })
    }

    /// The data set, parsed.
    ///
    /// # Errors
    /// When the stored string is not `digits` or `mnist:DIR`.
    pub fn dataset_spec(&self) -> anyhow::Result<DatasetSpec> {
        parse_dataset(&self.dataset).map_err(anyhow::Error::msg)
    }

    /// The optimizer's choice as `minimize` takes it.
    pub fn method_args(&self) -> MethodArgs {
        let mut args = MethodArgs::plain(
            self.optimizer,
            Some(self.learning_rate),
            self.optimizer_flags.preset,
        );
        args.first_order = self.optimizer_flags.clone();
        args
    }

    /// Rejects flags of `args` that disagree with these (stored) settings; `--epochs`, `--save`,
    /// `--plot`, `--json` and `--threads` may differ.
    fn check_agrees(&self, args: &TrainArgs) -> anyhow::Result<()> {
        let stored = serde_json::to_value(self)?;
        let given = serde_json::json!({
            "dataset": args.dataset.as_ref().map(ToString::to_string),
            "split_seed": args.split_seed,
            "model": args.model.as_ref().map(ToString::to_string),
            "activation": args.activation,
            "l2": args.l2,
            "label_smoothing": args.label_smoothing,
            "precision": args.precision,
            "patience": args.patience,
            "batch": args.batch,
            "seed": args.seed,
            "optimizer": args.optimizer,
            "learning_rate": args.learning_rate,
        });
        let flag = |key: &str| match key {
            "learning_rate" => "--lr".to_owned(),
            key => format!("--{}", key.replace('_', "-")),
        };
        // Strings as the command line spells them, anything else as JSON.
        let shown = |value: &serde_json::Value| match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let conflict = |key: &str, value: &serde_json::Value, theirs: &serde_json::Value| {
            anyhow::anyhow!(
                "{} {} conflicts with the checkpoint's {}: drop the flag to resume, or start a \
                 new run",
                flag(key),
                shown(value),
                shown(theirs)
            )
        };
        for (key, value) in given.as_object().into_iter().flatten() {
            if !value.is_null() && value != &stored[key] {
                return Err(conflict(key, value, &stored[key]));
            }
        }
        // The optimizer's flags: a flag is given when it is not its default (null, false,
        // the torch preset).
        let given = serde_json::to_value(&args.first_order)?;
        let stored = &stored["optimizer_flags"];
        for (key, value) in given.as_object().into_iter().flatten() {
            let unset = value.is_null()
                || value == &serde_json::Value::Bool(false)
                || (key == "preset" && value == "torch");
            if !unset && value != &stored[key] {
                return Err(conflict(key, value, &stored[key]));
            }
        }
        Ok(())
    }
}

/// The training and test sets of `dataset`, each feature multiplied by `pixel_scale` (`None`:
/// 1/255 when the training set holds raw bytes above 1, as MNIST's files do, else 1), and the
/// factor used.
///
/// # Errors
/// When a file cannot be read or is malformed.
pub fn load(
    dataset: &DatasetSpec,
    split_seed: u64,
    pixel_scale: Option<f32>,
) -> anyhow::Result<(Dataset, Dataset, f32)> {
    let (mut train, mut test) = match dataset {
        DatasetSpec::Digits => Dataset::digits().split(TEST_FRACTION, split_seed)?,
        DatasetSpec::Mnist(dir) => Dataset::mnist(dir)?,
    };
    let factor = pixel_scale.unwrap_or_else(|| match dataset {
        // The digits' 0–16 counts are standardised as they are.
        DatasetSpec::Digits => 1.0,
        DatasetSpec::Mnist(_) => {
            let max = train.features().iter().fold(0.0_f32, |m, &x| m.max(x));
            if max > 1.0 { 1.0 / 255.0 } else { 1.0 }
        }
    });
    if factor != 1.0 {
        train.scale(factor)?;
        test.scale(factor)?;
    }
    Ok((train, test, factor))
}

/// Whether the inputs are standardised per feature: the digits' are; MNIST's pixels in [0, 1]
/// are not, because standardisation hurts there (the border pixels, almost always 0, get a tiny
/// σ, so their rare ink becomes a huge input: torch's 784-256-10 reaches 98.0 % with x/255 and
/// not with standardised inputs, `bench/peers/README.md`).
fn standardises(dataset: &DatasetSpec) -> bool {
    matches!(dataset, DatasetSpec::Digits)
}

/// The network of the settings, with `inputs` inputs and `classes` classes.
fn build_model(settings: &Settings, inputs: usize, classes: usize) -> anyhow::Result<Mlp> {
    let spec = parse_model(&settings.model).map_err(anyhow::Error::msg)?;
    let activation = match settings.activation {
        ActivationName::Relu => Activation::Relu,
        ActivationName::Tanh => Activation::Tanh,
    };
    Ok(Mlp::new(inputs, spec.hidden(), classes, activation)?
        .with_l2(settings.l2)?
        .with_label_smoothing(settings.label_smoothing)?)
}

/// Everything a run needs, whatever its rule and precision.
struct Job<'a> {
    args: &'a TrainArgs,
    /// The ranks of a `--distributed` run; `None` for one process.
    comm: Option<&'a dyn Communicator>,
    settings: Settings,
    header: Header,
    model: Mlp,
    train_set: Dataset,
    test_set: Dataset,
}

/// What a run produced.
struct Outcome {
    report: TrainReport,
    /// Wall clock of the training loop.
    elapsed_s: f64,
    /// Wall clock of the minibatch phases alone (no evaluation, no checkpoint).
    steps_s: f64,
    /// The same, epoch by epoch (this session's epochs).
    epoch_steps_s: Vec<f64>,
    /// Epochs done before this session (0 for a new run).
    resumed_at: usize,
    /// The optimizer's configuration as JSON.
    optimizer_config: serde_json::Value,
}

/// The [`RuleVisitor`] that trains with the visited rule in precision `T`.
struct Trainer<'a, T> {
    job: &'a Job<'a>,
    precision: PhantomData<T>,
}

impl<T: Element> RuleVisitor for Trainer<'_, T> {
    type Output = Outcome;

    fn visit<R: Rule + Clone + 'static>(
        self,
        rule: R,
        _learning_rate: f64,
        config: serde_json::Value,
    ) -> anyhow::Result<Outcome> {
        let job = self.job;
        let threads = Threads::count(job.args.threads)?;
        let (mut params, optimizer, progress, train_config) = match &job.args.resume {
            Some(path) => {
                let resume = checkpoint::read_checkpoint::<R, T>(path)?;
                let optimizer = Optimizer::resume(rule, resume.optimizer)?;
                let done = resume.progress.epochs.len();
                let mut config = resume.config;
                config.epochs = job.args.epochs.unwrap_or(config.epochs);
                if config.epochs < done {
                    bail!(
                        "--epochs {}: {} has {done} epochs done already",
                        config.epochs,
                        path.display()
                    );
                }
                (resume.params, optimizer, resume.progress, config)
            }
            None => {
                let params: Vec<T> = job.model.init_params(job.settings.seed);
                let optimizer = Optimizer::new(rule, params.len())?;
                let config = TrainConfig {
                    epochs: job.args.epochs.unwrap_or(DEFAULT_EPOCHS),
                    batch: job.settings.batch,
                    seed: job.settings.seed,
                    patience: job.settings.patience,
                };
                (params, optimizer, Progress::new(), config)
            }
        };
        let mut optimizer = optimizer.with_threads(threads);
        if let Some(comm) = job.comm {
            return distributed(job, comm, params, optimizer, progress, train_config, config);
        }
        let resumed_at = progress.epochs.len();
        if !job.args.json {
            print_header();
            for stats in &progress.epochs {
                print_row(stats, None);
            }
        }
        let mut watch = Watch {
            save: job.args.save.as_deref(),
            header: &job.header,
            table: !job.args.json,
            bar: None,
            started: Instant::now(),
            steps_s: 0.0,
            epoch_steps_s: Vec::new(),
        };
        let start = Instant::now();
        let report = train_observed(
            &job.model,
            &mut params,
            &mut optimizer,
            &job.train_set,
            &job.test_set,
            &train_config,
            progress,
            &mut watch,
        )?;
        let elapsed_s = start.elapsed().as_secs_f64();
        Ok(Outcome {
            report,
            elapsed_s,
            steps_s: watch.steps_s,
            epoch_steps_s: watch.epoch_steps_s,
            resumed_at,
            optimizer_config: config,
        })
    }
}

/// The `--distributed` run: [`train_data_parallel`] from where `progress` stands; rank 0
/// prints the table and writes the checkpoints.
fn distributed<R: Rule, T: Element>(
    job: &Job<'_>,
    comm: &dyn Communicator,
    mut params: Vec<T>,
    mut optimizer: Optimizer<R, T>,
    progress: Progress<T>,
    train_config: TrainConfig,
    optimizer_config: serde_json::Value,
) -> anyhow::Result<Outcome> {
    let root = comm.is_root();
    let table = root && !job.args.json;
    let resumed_at = progress.epochs.len();
    if table {
        print_header();
        for stats in &progress.epochs {
            print_row(stats, None);
        }
    }
    let start = descent_distributed::train::Progress {
        epoch: resumed_at,
        batch: 0,
        step: optimizer.steps(),
        epochs: progress.epochs,
    };
    let config = DataParallelConfig {
        epochs: train_config.epochs,
        batch: train_config.batch,
        seed: train_config.seed,
        check_every: Some(CHECK_EVERY),
        stop_after: None,
    };
    let save = job.args.save.as_deref().filter(|_| root);
    let started = Instant::now();
    let report = train_data_parallel(
        comm,
        &job.model,
        &mut params,
        &mut optimizer,
        &job.train_set,
        &job.test_set,
        &config,
        start,
        None,
        &mut |done: &EpochDone<'_, R, T>| {
            if let Some(path) = save {
                // descent-nn's epoch checkpoint, as a one-process run writes it.
                let mut progress = Progress::new();
                progress.epochs.clone_from(&done.progress.epochs);
                for (e, stats) in progress.epochs.iter().enumerate() {
                    if stats.test_loss < progress.best_loss {
                        (progress.best_epoch, progress.best_loss) = (e, stats.test_loss);
                    }
                }
                let snapshot = Snapshot {
                    stats: done.stats,
                    params: done.params,
                    optimizer: done.optimizer,
                    progress: &progress,
                    config: &train_config,
                };
                checkpoint::save(path, &job.header, &snapshot)?;
            }
            if table {
                print_row(done.stats, Some(done.steps_s));
            }
            Ok(())
        },
    )?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let epochs = report.progress.epochs;
    let best_epoch = (0..epochs.len())
        .fold(0, |best, e| if epochs[e].test_loss < epochs[best].test_loss { e } else { best });
    Ok(Outcome {
        report: TrainReport {
            epochs,
            best_epoch,
            stopped_early: false,
            interrupted: false,
            classes: report.classes,
            confusion: report.confusion,
        },
        elapsed_s,
        steps_s: report.timing.steps_s,
        epoch_steps_s: report.timing.epoch_steps_s,
        resumed_at,
        optimizer_config,
    })
}

/// The training loop's observer: the progress bar, the table rows, the checkpoints, the timers.
struct Watch<'a> {
    save: Option<&'a Path>,
    header: &'a Header,
    table: bool,
    bar: Option<Bar>,
    /// When the current epoch (or its minibatch phase) began.
    started: Instant,
    steps_s: f64,
    /// Each epoch's minibatch phase, in seconds.
    epoch_steps_s: Vec<f64>,
}

impl<R: Rule, T: Element> TrainObserver<R, T> for Watch<'_> {
    fn epoch_started(&mut self, epoch: usize, batches: usize) {
        self.bar = Some(Bar::new(batches as u64, &format!("epoch {}", epoch + 1)));
        self.started = Instant::now();
    }

    fn batch_done(&mut self, _epoch: usize, _batch: usize) {
        if let Some(bar) = &mut self.bar {
            bar.inc();
        }
    }

    fn steps_done(&mut self, _epoch: usize) {
        let seconds = self.started.elapsed().as_secs_f64();
        self.steps_s += seconds;
        self.epoch_steps_s.push(seconds);
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }

    fn epoch_done(&mut self, snapshot: &Snapshot<'_, R, T>) -> descent_nn::Result<ControlFlow<()>> {
        let seconds = self.started.elapsed().as_secs_f64();
        if let Some(path) = self.save {
            checkpoint::save(path, self.header, snapshot)?;
        }
        if self.table {
            print_row(snapshot.stats, Some(seconds));
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// The per-epoch table's columns, printed as the epochs finish.
const COLUMNS: [(&str, usize); 6] = [
    ("epoch", 5),
    ("train loss", 10),
    ("train acc", 9),
    ("test loss", 10),
    ("test acc", 9),
    ("seconds", 7),
];

fn print_header() {
    let cells: Vec<String> = COLUMNS.iter().map(|(name, w)| format!("{name:>w$}")).collect();
    println!("{}", cells.join("  "));
    let rules: Vec<String> = COLUMNS.iter().map(|(_, w)| "-".repeat(*w)).collect();
    println!("{}", rules.join("  "));
}

/// One epoch's row (`seconds` is unknown for the epochs of a resumed checkpoint).
fn print_row(stats: &EpochStats, seconds: Option<f64>) {
    let cells = [
        (stats.epoch + 1).to_string(),
        number(stats.train_loss),
        percent(stats.train_accuracy),
        number(stats.test_loss),
        percent(stats.test_accuracy),
        seconds.map_or_else(|| "-".to_owned(), |s| format!("{s:.3}")),
    ];
    let cells: Vec<String> =
        cells.iter().zip(COLUMNS).map(|(c, (_, w))| format!("{c:>w$}")).collect();
    println!("{}", cells.join("  "));
}

/// A fraction as a percentage with two decimals.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", 100.0 * fraction)
}

/// Prints a confusion matrix (row: true class, column: predicted class).
pub fn print_confusion(classes: usize, confusion: &[usize]) {
    let width = confusion.iter().map(|c| c.to_string().len()).max().unwrap_or(1).max(2);
    let mut header = format!("{:>10}", "true\\pred");
    for p in 0..classes {
        header.push_str(&format!("  {p:>width$}"));
    }
    println!("{header}");
    for t in 0..classes {
        let mut row = format!("{t:>10}");
        for p in 0..classes {
            row.push_str(&format!("  {:>width$}", confusion[t * classes + p]));
        }
        println!("{row}");
    }
}

/// The confusion matrix as rows (true class) of columns (predicted class).
pub fn confusion_rows(classes: usize, confusion: &[usize]) -> Vec<Vec<usize>> {
    confusion.chunks(classes.max(1)).map(<[usize]>::to_vec).collect()
}

/// The `--json` object: the fields up to `elapsed_s` are the interface.
#[derive(Serialize)]
struct TrainJson<'a> {
    dataset: &'a str,
    model: &'a str,
    optimizer: MethodName,
    epochs: usize,
    seed: u64,
    train_loss: f64,
    train_accuracy: f64,
    test_loss: f64,
    test_accuracy: f64,
    elapsed_s: f64,
    steps_s: f64,
    /// This session's epochs' minibatch phases, one entry per epoch (what
    /// `bench/peers/torch_mlp.py` times as an epoch).
    epoch_steps_s: &'a [f64],
    best_epoch: usize,
    stopped_early: bool,
    resumed_at_epoch: usize,
    params: usize,
    threads: usize,
    batch: usize,
    learning_rate: f64,
    optimizer_config: &'a serde_json::Value,
    precision: PrecisionName,
    /// The ranks of a `--distributed` run (1 otherwise).
    ranks: usize,
    confusion: Vec<Vec<usize>>,
    history: &'a [EpochStats],
}

/// Runs `descent train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    if args.distributed { run_distributed(args) } else { run_on(args, None) }
}

/// `--distributed`: MPI started, the run on its ranks, any rank's error ending the job.
#[cfg(feature = "distributed")]
fn run_distributed(args: &TrainArgs) -> anyhow::Result<()> {
    let Some(comm) = descent_distributed::Mpi::init() else { bail!("MPI was initialised already") };
    let result = run_on(args, Some(&comm)).map_err(|e| format!("{e:#}"));
    descent_distributed::train::abort_on_error(&comm, 2, result);
    Ok(())
}

/// `--distributed` in a build without MPI: refused.
#[cfg(not(feature = "distributed"))]
fn run_distributed(_args: &TrainArgs) -> anyhow::Result<()> {
    bail!(
        "--distributed needs a descent built with MPI: cargo build --release -p descent-cli \
         --features distributed (Open MPI installed), then mpirun -np P descent train \
         --distributed ..."
    )
}

/// `descent train` on one process (`comm` `None`) or on the ranks of `comm`.
fn run_on(args: &TrainArgs, comm: Option<&dyn Communicator>) -> anyhow::Result<()> {
    let root = comm.is_none_or(Communicator::is_root);
    // Settings: the checkpoint's when resuming, else the flags'.
    let stored = match &args.resume {
        Some(path) => {
            let header = checkpoint::read_header(path)?;
            let settings = Settings::from_header(&header, path)?;
            settings.check_agrees(args)?;
            Some((header, settings))
        }
        None => None,
    };
    let mut settings = match &stored {
        Some((_, settings)) => settings.clone(),
        None => Settings::fresh(args),
    };
    if !methods::RULES.contains(&settings.optimizer) {
        let names: Vec<String> = methods::RULES.iter().map(|m| m.name()).collect();
        bail!(
            "--optimizer {}: train takes a first-order update rule, one of {}",
            settings.optimizer.name(),
            names.join(", ")
        );
    }
    methods::check_flags_of(&settings.method_args(), "--optimizer")?;
    if comm.is_some() && settings.patience.is_some() {
        bail!("--patience: early stopping is not supported with --distributed");
    }
    for (flag, value) in [("--epochs", args.epochs), ("--batch", args.batch)] {
        if value == Some(0) {
            bail!("{flag} must be at least 1");
        }
    }
    // Fail on an unwritable checkpoint before any work (the figure's folder is made at the end).
    if let Some(path) = args.save.as_ref().filter(|_| root) {
        drop(AtomicFile::create(path)?);
    }

    let dataset = settings.dataset_spec()?;
    let scale = stored.as_ref().map(|(_, s)| s.pixel_scale);
    let (mut train_set, mut test_set, scale) = load(&dataset, settings.split_seed, scale)?;
    settings.pixel_scale = scale;
    let (model, header) = match stored {
        Some((header, _)) => (Mlp::from_spec(&header.model)?, header),
        None => {
            let model = build_model(&settings, train_set.dim(), train_set.classes())?;
            let header = Header {
                model: model.spec(),
                precision: Precision::F32,
                standardizer: standardises(&dataset).then(|| Standardizer::fit(&train_set)),
                meta: serde_json::to_string(&settings)?,
            };
            (model, header)
        }
    };
    if let Some(standardizer) = &header.standardizer {
        standardizer.apply(&mut train_set)?;
        standardizer.apply(&mut test_set)?;
    }
    let model = model.with_threads(args.threads)?;
    let precision = match &args.resume {
        Some(_) => header.precision,
        None => precision_of(settings.precision),
    };
    let job = Job { args, comm, settings, header, model, train_set, test_set };
    let outcome = match precision {
        Precision::F32 => methods::with_rule(
            &job.settings.method_args(),
            Trainer::<f32> { job: &job, precision: PhantomData },
        )?,
        Precision::F64 => methods::with_rule(
            &job.settings.method_args(),
            Trainer::<f64> { job: &job, precision: PhantomData },
        )?,
    };
    finish(&job, &outcome)
}

fn precision_of(name: PrecisionName) -> Precision {
    match name {
        PrecisionName::F32 => Precision::F32,
        PrecisionName::F64 => Precision::F64,
    }
}

/// The table's tail or the JSON object, and the figure.
fn finish(job: &Job<'_>, outcome: &Outcome) -> anyhow::Result<()> {
    if job.comm.is_some_and(|c| !c.is_root()) {
        return Ok(()); // rank 0 reports
    }
    let report = &outcome.report;
    let settings = &job.settings;
    // The returned parameters are the best epoch's with a patience, else the last epoch's.
    let Some(last) = report.epochs.last() else { bail!("no epoch was run") };
    let final_stats =
        if settings.patience.is_some() { &report.epochs[report.best_epoch] } else { last };
    if let Some(dir) = &job.args.plot {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let title =
            format!("{} on {}, {}", settings.model, settings.dataset, settings.optimizer.name());
        for (format, extension) in [(plots::Format::Svg, "svg"), (plots::Format::Png, "png")] {
            let bytes = plots::learning_curve(&title, &report.epochs, format)?;
            plots::write(&dir.join(format!("learning-curve.{extension}")), &bytes)?;
        }
    }
    if job.args.json {
        return print_json(&TrainJson {
            dataset: &settings.dataset,
            model: &settings.model,
            optimizer: settings.optimizer,
            epochs: report.epochs.len(),
            seed: settings.seed,
            train_loss: final_stats.train_loss,
            train_accuracy: final_stats.train_accuracy,
            test_loss: final_stats.test_loss,
            test_accuracy: final_stats.test_accuracy,
            elapsed_s: outcome.elapsed_s,
            steps_s: outcome.steps_s,
            epoch_steps_s: &outcome.epoch_steps_s,
            best_epoch: report.best_epoch,
            stopped_early: report.stopped_early,
            resumed_at_epoch: outcome.resumed_at,
            params: job.model.num_params(),
            threads: job.args.threads,
            batch: settings.batch,
            learning_rate: settings.learning_rate,
            optimizer_config: &outcome.optimizer_config,
            precision: settings.precision,
            ranks: job.comm.map_or(1, |c| c.size()),
            confusion: confusion_rows(report.classes, &report.confusion),
            history: &report.epochs,
        });
    }
    println!();
    if report.stopped_early || settings.patience.is_some() {
        println!(
            "best epoch {} (test loss {}){}",
            report.best_epoch + 1,
            number(final_stats.test_loss),
            if report.stopped_early { ", stopped early" } else { "" }
        );
    }
    println!(
        "test accuracy {} after {} epochs in {:.2} s ({:.2} s of minibatch steps)",
        percent(final_stats.test_accuracy),
        report.epochs.len(),
        outcome.elapsed_s,
        outcome.steps_s
    );
    println!("\nconfusion matrix on the test set (row: true class, column: predicted)");
    print_confusion(report.classes, &report.confusion);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes MNIST-layout files of `n` 2×2 images with pixel values up to `max`.
    fn write_mnist(dir: &Path, stem: &str, n: u8, max: u8) {
        let mut images = vec![0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 2, 0, 0, 0, 2];
        let mut labels = vec![0, 0, 8, 1, 0, 0, 0, n];
        for i in 0..n {
            images.extend([0, max, i % 2, max / 2]);
            labels.push(i % 2);
        }
        std::fs::write(dir.join(format!("{stem}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{stem}-labels-idx1-ubyte")), labels).unwrap();
    }

    #[test]
    fn raw_mnist_bytes_are_scaled_by_1_over_255_and_the_digits_are_not() {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), "train", 4, 255);
        write_mnist(dir.path(), "t10k", 2, 255);
        let mnist = DatasetSpec::Mnist(dir.path().to_owned());
        let (train, test, factor) = load(&mnist, 0, None).unwrap();
        let f = 1.0_f32 / 255.0;
        assert_eq!(factor, f);
        assert_eq!(train.row(1), &[0.0, 255.0 * f, f, 127.0 * f]);
        assert!((train.row(1)[1] - 1.0).abs() <= f32::EPSILON);
        assert_eq!(test.row(0)[1], 255.0 * f);
        assert!(!standardises(&mnist));
        // A stored factor is used as it is.
        let (train, _, factor) = load(&mnist, 0, Some(1.0)).unwrap();
        assert_eq!((factor, train.row(0)[1]), (1.0, 255.0));
        let (train, test, factor) = load(&DatasetSpec::Digits, 0, None).unwrap();
        assert_eq!(factor, 1.0);
        assert!(standardises(&DatasetSpec::Digits));
        assert_eq!(train.len() + test.len(), 1797);
        assert_eq!(train.features().iter().fold(0.0_f32, |m, &x| m.max(x)), 16.0);
    }

    #[test]
    fn settings_round_trip_through_json_and_rebuild_the_optimizer_choice() {
        use clap::Parser;
        let cli = crate::args::Cli::parse_from([
            "descent",
            "train",
            "--optimizer",
            "rmsprop",
            "--centered",
            "--momentum",
            "0.5",
            "--schedule",
            "step:step_size=10,gamma=0.5",
            "--model",
            "mlp:8,4",
        ]);
        let crate::args::Command::Train(args) = cli.command else { panic!("train") };
        let settings = Settings::fresh(&args);
        assert_eq!(settings.learning_rate, 1e-2, "RMSProp's default rate");
        let back: Settings =
            serde_json::from_str(&serde_json::to_string(&settings).unwrap()).unwrap();
        assert_eq!(back, settings);
        let method = back.method_args();
        assert_eq!(method.given_flags(), ["--momentum", "--schedule", "--centered"]);
        settings.check_agrees(&args).unwrap();
    }
}
