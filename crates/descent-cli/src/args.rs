//! The command line, and the one place where raw strings become typed values.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use descent::Options;
use descent::bounds::Bounds;
use descent::first_order::Schedule;
use descent::line_search::Backtracking;
use serde::{Deserialize, Serialize};

/// Gradient descent and its family: minimise, compare, and take the tour.
#[derive(Debug, Parser)]
#[command(name = "descent", version, about, propagate_version = true)]
pub struct Cli {
    /// No progress bars (they are also hidden when stderr is not a terminal).
    #[arg(long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The story of gradient descent, chapter by chapter, on built-in data.
    Tour(TourArgs),
    /// Minimise a built-in problem or an expression.
    Minimize(Box<MinimizeArgs>),
    /// Race several methods on one problem: a table, and figures of their paths and losses.
    Compare(Box<CompareArgs>),
    /// List the built-in problems.
    Problems(ProblemsArgs),
    /// Say what kind of critical point a point is: Hessian curvature and the jiggle test.
    Classify(Box<ClassifyArgs>),
    /// Train a classifier (softmax regression or an MLP) on the digits or MNIST.
    Train(Box<TrainArgs>),
    /// Evaluate a trained model from its checkpoint: accuracy, loss, confusion matrix.
    Predict(PredictArgs),
    /// Cancel noise or echo in a recording with an adaptive filter (or `--demo`).
    Denoise(Box<DenoiseArgs>),
    /// Sharpen an image blurred by a point-spread function (FITS, PNG or JPEG; or `--demo`).
    Deconvolve(Box<DeconvolveArgs>),
    /// Learning to learn: hypergradient descent, and MAML / first-order MAML / Reptile.
    #[command(subcommand)]
    Meta(MetaCommand),
    /// Stress tests of the library: `descent bench soak` runs thousands of random problems and
    /// checks every report.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `descent bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seeded random problems, methods and options; every report's invariants checked; exit
    /// code 2 on any panic or violation, each printed with the command that reproduces it.
    Soak(SoakArgs),
}

/// `descent bench soak`.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Number of runs.
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Run i draws its problem from the seed `seed + i`, so `--seed S+i --runs 1` repeats it.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print every run's command and outcome on stderr.
    #[arg(long)]
    pub verbose: bool,
}

/// `descent tour`.
#[derive(Debug, Args)]
pub struct TourArgs {
    /// Where the HTML report and its figures go.
    #[arg(long, value_name = "DIR", default_value = "descent-report")]
    pub out: PathBuf,
    /// Print one JSON object with every chapter's numbers instead of the narrative.
    #[arg(long)]
    pub json: bool,
}

/// `descent problems`.
#[derive(Debug, Args)]
pub struct ProblemsArgs {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The optimisation methods `minimize` knows (serialised as the command line spells them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodName {
    /// Gradient descent θ ← θ − α∇L(θ), fixed step or line search.
    Gd,
    /// SGD with coupled weight decay (the step API's form of `gd`).
    Sgd,
    /// Heavy ball, textbook form: v ← γv − α∇L, θ ← θ + v.
    HeavyBall,
    /// Momentum as torch's SGD(momentum): η outside the buffer, with dampening.
    Momentum,
    /// Nesterov momentum, reformulated (torch, optax).
    Nesterov,
    /// Nesterov momentum, look-ahead form (gradient at θ + γv).
    NesterovLookAhead,
    /// Adam (Kingma & Ba 2015).
    Adam,
    /// AdamW: decoupled weight decay.
    Adamw,
    /// AMSGrad: Adam with a running maximum of v.
    Amsgrad,
    /// Adamax: Adam with the infinity norm.
    Adamax,
    /// NAdam: Adam with Nesterov momentum.
    Nadam,
    /// NAdam with decoupled weight decay.
    Nadamw,
    /// RAdam: Adam with a rectified warm-up.
    Radam,
    /// RAdam with decoupled weight decay.
    Radamw,
    /// Lion: the sign of an interpolated momentum.
    Lion,
    /// Adagrad: steps divided by the root of the summed squared gradients.
    Adagrad,
    /// RMSProp: steps divided by a running root mean square (optionally centered, with
    /// momentum).
    Rmsprop,
    /// Adadelta: RMSProp with a unit-correcting numerator.
    Adadelta,
    /// BFGS: a dense inverse-Hessian approximation, O(n²) per iteration.
    Bfgs,
    /// L-BFGS: the last `--memory` curvature pairs, O(m·n) per iteration.
    Lbfgs,
    /// Newton's method with a modified Cholesky, solved in the Hessian's structure.
    Newton,
    /// Line-search Newton–CG: truncated CG on Hessian-vector products (Hessian-free).
    NewtonCg,
    /// Trust region with Steihaug–CG on Hessian-vector products (scipy's trust-ncg).
    TrustNcg,
    /// Trust region along the dogleg path, Hessian factorised in its structure (scipy's dogleg).
    Dogleg,
    /// L-BFGS-B: L-BFGS in the box `--bounds` (generalised Cauchy point, subspace
    /// minimisation), as scipy's.
    Lbfgsb,
    /// Projected gradient descent in the box `--bounds`, Armijo along the projection arc.
    ProjectedGd,
}

impl MethodName {
    /// Whether the method has a learning rate (the quasi-Newton and Newton methods take unit
    /// trial steps and let the line search decide).
    pub fn takes_learning_rate(self) -> bool {
        !matches!(
            self,
            Self::Bfgs
                | Self::Lbfgs
                | Self::Newton
                | Self::NewtonCg
                | Self::TrustNcg
                | Self::Dogleg
        ) && !self.takes_bounds()
    }

    /// Whether the method is one of Adam's family (Adam, AdamW, AMSGrad, Adamax, NAdam(W),
    /// RAdam(W)), which share the flags `--beta1 --beta2 --eps`.
    pub fn is_adam_family(self) -> bool {
        matches!(
            self,
            Self::Adam
                | Self::Adamw
                | Self::Amsgrad
                | Self::Adamax
                | Self::Nadam
                | Self::Nadamw
                | Self::Radam
                | Self::Radamw
        )
    }

    /// Whether the method keeps its iterates in a box (`--bounds`).
    pub fn takes_bounds(self) -> bool {
        matches!(self, Self::Lbfgsb | Self::ProjectedGd)
    }

    /// The name as the command line spells it.
    pub fn name(self) -> String {
        self.to_possible_value().map_or_else(String::new, |v| v.get_name().to_owned())
    }
}

/// Whose defaults a first-order method starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PresetName {
    /// PyTorch's `torch.optim`.
    Torch,
    /// optax.
    Optax,
    /// scipy.optimize's `BFGS` and `Newton-CG` (for `--method bfgs` and `newton-cg`): their
    /// initial matrix, CG rules, Moré–Thuente search and first trial steps.
    Scipy,
}

/// Step-length rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LineSearchName {
    /// A fixed step, the learning rate (gd); Armijo for bfgs and lbfgs.
    None,
    /// Armijo backtracking with quadratic/cubic interpolation.
    Armijo,
    /// Moré–Thuente: the strong Wolfe conditions.
    MoreThuente,
    /// Hager–Zhang (CG_DESCENT): the Wolfe, then the approximate Wolfe conditions.
    HagerZhang,
}

/// What to minimise: a built-in problem or an expression, and where to start.
#[derive(Debug, Clone, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["problem", "expr"]))]
pub struct TargetArgs {
    /// A built-in problem (see `descent problems`), or `logistic:digits`: softmax regression
    /// over the bundled digits (n = 650), whose data `--distributed` shards over MPI ranks.
    #[arg(long)]
    pub problem: Option<String>,
    /// An expression in the variables, e.g. "100*(y-x^2)^2+(1-x)^2".
    #[arg(long, allow_hyphen_values = true)]
    pub expr: Option<String>,
    /// The order of the expression's variables (default: order of first appearance).
    #[arg(long, requires = "expr", value_delimiter = ',')]
    pub vars: Option<Vec<String>>,
    /// The problem's dimension (default: the problem's own).
    #[arg(long, requires = "problem")]
    pub dim: Option<usize>,
    /// Condition number κ of `ravine` and `random_quadratic`.
    #[arg(long, requires = "problem", allow_hyphen_values = true)]
    pub condition: Option<f64>,
    /// Slope c of `ramp`.
    #[arg(long, requires = "problem", allow_hyphen_values = true)]
    pub slope: Option<f64>,
    /// Seed of `random_quadratic` (default 0).
    #[arg(long, requires = "problem")]
    pub seed: Option<u64>,
    /// Starting point, comma separated (default: the problem's standard start; zeros for
    /// an expression).
    #[arg(long, allow_hyphen_values = true, value_parser = parse_vector)]
    pub x0: Option<Coordinates>,
}

/// A method and its hyperparameters.
#[derive(Debug, Clone, Args)]
pub struct MethodArgs {
    /// The method.
    #[arg(long, value_enum, default_value = "gd")]
    pub method: MethodName,
    /// Learning rate α: the fixed step, or the line search's first trial (default: the
    /// method's own, e.g. 1e-3 for gd with a fixed step, 1 with a line search).
    #[arg(long = "lr", visible_alias = "learning-rate", allow_hyphen_values = true)]
    pub learning_rate: Option<f64>,
    /// Step-length rule (gd, bfgs, lbfgs, newton, newton-cg).
    #[arg(long, value_enum, default_value = "none")]
    pub line_search: LineSearchName,
    /// The first-order methods' own flags.
    #[command(flatten)]
    pub first_order: FirstOrderArgs,
    /// Armijo sufficient-decrease constant c₁.
    #[arg(long, allow_hyphen_values = true)]
    pub c1: Option<f64>,
    /// Smallest shrink factor of a rejected step.
    #[arg(long, allow_hyphen_values = true)]
    pub shrink_min: Option<f64>,
    /// Largest shrink factor of a rejected step.
    #[arg(long, allow_hyphen_values = true)]
    pub shrink_max: Option<f64>,
    /// Factor from the last accepted step to the next first trial.
    #[arg(long, allow_hyphen_values = true)]
    pub growth: Option<f64>,
    /// Trials allowed per line search.
    #[arg(long)]
    pub max_trials: Option<usize>,
    /// Curvature pairs L-BFGS keeps.
    #[arg(long)]
    pub memory: Option<usize>,
    /// Trust region: the first radius Δ₀ (default 1).
    #[arg(long, allow_hyphen_values = true)]
    pub initial_radius: Option<f64>,
    /// Trust region: the largest radius Δmax (default 1000).
    #[arg(long, allow_hyphen_values = true)]
    pub max_radius: Option<f64>,
    /// Trust region: accept a trial when ρ = actual/predicted reduction > eta (default 0.15).
    #[arg(long, allow_hyphen_values = true)]
    pub eta: Option<f64>,
    /// Box bounds "lo:hi,lo:hi,..." for lbfgsb and projected-gd, one pair per coordinate, or
    /// one pair for every coordinate; `-inf`/`inf` for no bound.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_bounds)]
    pub bounds: Option<BoundPairs>,
}

impl MethodArgs {
    /// `method` with its defaults (the torch preset) and learning rate `learning_rate`.
    pub fn plain(method: MethodName, learning_rate: Option<f64>, preset: PresetName) -> Self {
        Self {
            method,
            learning_rate,
            line_search: LineSearchName::None,
            first_order: FirstOrderArgs {
                preset,
                momentum: None,
                dampening: None,
                beta1: None,
                beta2: None,
                eps: None,
                decay: None,
                initial_accumulator: None,
                centered: false,
                weight_decay: None,
                schedule: None,
            },
            c1: None,
            shrink_min: None,
            shrink_max: None,
            growth: None,
            max_trials: None,
            memory: None,
            initial_radius: None,
            max_radius: None,
            eta: None,
            bounds: None,
        }
    }
}

/// `descent minimize`.
#[derive(Debug, Args)]
pub struct MinimizeArgs {
    /// What is minimised.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The method and its settings.
    #[command(flatten)]
    pub method: MethodArgs,
    /// When the run stops.
    #[command(flatten)]
    pub stopping: StoppingArgs,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write every iterate to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<PathBuf>,
    /// When the run converges at a saddle point, step along the most negative curvature
    /// direction and continue (descent::landscape::negative_curvature).
    #[arg(long)]
    pub escape_saddles: bool,
    /// Most escapes with --escape-saddles.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "escape_saddles")]
    pub max_escapes: usize,
    /// Run as one rank of an MPI job (`mpirun -np P descent minimize --distributed ...`) on a
    /// problem whose data is sharded over the ranks (`--problem logistic:digits`); rank 0
    /// prints. Needs a `descent` built with `--features distributed`.
    #[arg(long)]
    pub distributed: bool,
}

/// `descent classify`: the target as in [`TargetArgs`], minus the start, plus the point and the
/// jiggle test's settings.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["problem", "expr"]))]
pub struct ClassifyArgs {
    /// A built-in problem (see `descent problems`).
    #[arg(long)]
    pub problem: Option<String>,
    /// An expression in the variables, e.g. "x^3-3*x*y^2".
    #[arg(long, allow_hyphen_values = true)]
    pub expr: Option<String>,
    /// The order of the expression's variables (default: order of first appearance).
    #[arg(long, requires = "expr", value_delimiter = ',')]
    pub vars: Option<Vec<String>>,
    /// The problem's dimension (default: the problem's own).
    #[arg(long, requires = "problem")]
    pub dim: Option<usize>,
    /// Condition number κ of `ravine` and `random_quadratic`.
    #[arg(long, requires = "problem", allow_hyphen_values = true)]
    pub condition: Option<f64>,
    /// Slope c of `ramp`.
    #[arg(long, requires = "problem", allow_hyphen_values = true)]
    pub slope: Option<f64>,
    /// Seed of `random_quadratic` (`--seed` seeds the tests here).
    #[arg(long, requires = "problem")]
    pub problem_seed: Option<u64>,
    /// The point to classify, comma separated.
    #[arg(long, required = true, allow_hyphen_values = true, value_parser = parse_vector)]
    pub at: Coordinates,
    /// The jiggle test's number of perturbations k.
    #[arg(long, default_value_t = descent::landscape::jiggle::DEFAULT_SAMPLES)]
    pub samples: usize,
    /// The jiggle test's radius r (default: scaled to the point and its gradient).
    #[arg(long, allow_hyphen_values = true)]
    pub radius: Option<f64>,
    /// Seeds the jiggle's directions and the Lanczos start vector.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

impl ClassifyArgs {
    /// The target part, as `minimize` reads it.
    pub fn target(&self) -> TargetArgs {
        TargetArgs {
            problem: self.problem.clone(),
            expr: self.expr.clone(),
            vars: self.vars.clone(),
            dim: self.dim,
            condition: self.condition,
            slope: self.slope,
            seed: self.problem_seed,
            x0: None,
        }
    }
}

/// `descent compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// What is minimised.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The methods to race, comma separated (e.g. gd,momentum,nesterov,adagrad,adam).
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    pub methods: Vec<MethodName>,
    /// One learning rate for every method (default: each method's tuned on a grid).
    #[arg(long = "lr", visible_alias = "learning-rate", allow_hyphen_values = true)]
    pub learning_rate: Option<f64>,
    /// Whose defaults the first-order methods start from.
    #[arg(long, value_enum, default_value = "torch")]
    pub preset: PresetName,
    /// Value evaluations each run may spend (and each tuning trial).
    #[arg(long, default_value_t = 10_000)]
    pub budget: usize,
    /// Converged when ‖∇f‖ ≤ gtol.
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    pub gtol: f64,
    /// Where the figures go (SVG and PNG).
    #[arg(long, value_name = "DIR", default_value = "descent-compare")]
    pub out: PathBuf,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Where the examples come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSpec {
    /// The bundled handwritten digits (1,797 of 8×8), split 80/20 by `--split-seed`.
    Digits,
    /// MNIST's IDX files in a directory (60,000 training and 10,000 test images).
    Mnist(PathBuf),
}

impl std::fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Digits => write!(f, "digits"),
            Self::Mnist(dir) => write!(f, "mnist:{}", dir.display()),
        }
    }
}

/// Parses `digits` or `mnist:DIR`.
pub fn parse_dataset(text: &str) -> Result<DatasetSpec, String> {
    match text.split_once(':') {
        None if text == "digits" => Ok(DatasetSpec::Digits),
        Some(("mnist", dir)) if !dir.is_empty() => Ok(DatasetSpec::Mnist(PathBuf::from(dir))),
        _ => Err(format!("expected digits or mnist:DIR, got '{text}'")),
    }
}

/// The classifier's architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// Softmax regression: one linear layer from the pixels to the logits.
    Softmax,
    /// A multilayer perceptron with these hidden widths, input side first.
    Mlp(Vec<usize>),
}

impl ModelSpec {
    /// The hidden widths (none for softmax regression).
    pub fn hidden(&self) -> &[usize] {
        match self {
            Self::Softmax => &[],
            Self::Mlp(widths) => widths,
        }
    }
}

impl std::fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Softmax => write!(f, "softmax"),
            Self::Mlp(widths) => {
                let widths: Vec<String> = widths.iter().map(usize::to_string).collect();
                write!(f, "mlp:{}", widths.join(","))
            }
        }
    }
}

/// Parses `softmax` or `mlp:H1,H2,...` (each width a positive integer).
pub fn parse_model(text: &str) -> Result<ModelSpec, String> {
    if text == "softmax" {
        return Ok(ModelSpec::Softmax);
    }
    let Some(("mlp", widths)) = text.split_once(':') else {
        return Err(format!("expected softmax or mlp:H1,H2,..., got '{text}'"));
    };
    widths
        .split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(width) if width > 0 => Ok(width),
            _ => Err(format!("hidden width '{}' is not a positive integer", w.trim())),
        })
        .collect::<Result<_, _>>()
        .map(ModelSpec::Mlp)
}

/// The hidden layers' nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationName {
    /// max(z, 0), He initialisation.
    Relu,
    /// tanh z, Xavier initialisation.
    Tanh,
}

/// The floating-point type of the parameters and the arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrecisionName {
    /// Single precision.
    F32,
    /// Double precision.
    F64,
}

/// `descent train`. Every setting is optional on the command line so that `--resume` can tell
/// a flag given from a default; the defaults are applied in `train.rs`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// `digits` (bundled; default) or `mnist:DIR` (MNIST's IDX files in DIR).
    #[arg(long, value_parser = parse_dataset, value_name = "digits|mnist:DIR")]
    pub dataset: Option<DatasetSpec>,
    /// Seed of the digits' stratified 80/20 train/test split (default 0).
    #[arg(long, value_name = "SEED")]
    pub split_seed: Option<u64>,
    /// `softmax` or `mlp:H1,H2,...` (hidden widths; default mlp:64).
    #[arg(long, value_parser = parse_model, value_name = "softmax|mlp:H1,...")]
    pub model: Option<ModelSpec>,
    /// The hidden activation (default relu).
    #[arg(long, value_enum)]
    pub activation: Option<ActivationName>,
    /// L2 coefficient λ on the weights (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub l2: Option<f64>,
    /// Label smoothing ε ∈ [0, 1) (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub label_smoothing: Option<f64>,
    /// Parameters and arithmetic in f32 (default) or f64.
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionName>,
    /// Threads of the matrix products and of the optimizer's pass (not part of a checkpoint's
    /// settings: `--resume` may change it).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Early stopping: stop after this many epochs without a lower test loss and keep the best
    /// epoch's parameters (default: run every epoch).
    #[arg(long)]
    pub patience: Option<usize>,
    /// Passes over the training set (default 30; with --resume, the new total).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Examples per minibatch (default 64).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Seeds the initial parameters and the order of every epoch (default 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The first-order optimizer (default adam).
    #[arg(long, value_enum)]
    pub optimizer: Option<MethodName>,
    /// Base learning rate (default: the optimizer's own, 1e-3 for adam).
    #[arg(long = "lr", visible_alias = "learning-rate", allow_hyphen_values = true)]
    pub learning_rate: Option<f64>,
    /// The first-order methods' own flags.
    #[command(flatten)]
    pub first_order: FirstOrderArgs,
    /// Write a checkpoint (model, optimizer state, progress) to FILE after every epoch.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Continue the run saved in FILE; its settings apply (only --epochs, --save, --plot,
    /// --json and --threads may be given, or flags that agree with it).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Write the learning curve to DIR/learning-curve.svg and .png.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// Data-parallel over the ranks of `mpirun -np P descent train --distributed …` (a build
    /// with `--features distributed`): each rank computes its share of every minibatch, one
    /// all-reduce sums the gradients, rank 0 prints, saves and plots. Not with --patience.
    #[arg(long)]
    pub distributed: bool,
}

/// Which examples `predict` evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitName {
    /// The test set (the digits' held-out 20 %, MNIST's t10k files).
    Test,
    /// The training set.
    Train,
    /// Both.
    All,
}

/// `descent predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A checkpoint written by `descent train --save`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// `digits` or `mnist:DIR` (default: the data set the model was trained on).
    #[arg(long, value_parser = parse_dataset, value_name = "digits|mnist:DIR")]
    pub dataset: Option<DatasetSpec>,
    /// Which examples to evaluate (the digits' split is the training run's).
    #[arg(long, value_enum, default_value = "test")]
    pub split: SplitName,
    /// Print one JSON object on stdout instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// Hyperparameters of the first-order methods, each named after its field (serialised with
/// those names into a training checkpoint's settings).
#[derive(Debug, Clone, Args, Serialize, Deserialize, PartialEq)]
pub struct FirstOrderArgs {
    /// Whose defaults to start from: torch's or optax's for the first-order methods, scipy's
    /// `BFGS` and `Newton-CG` for bfgs and newton-cg.
    #[arg(long, value_enum, default_value = "torch")]
    pub preset: PresetName,
    /// Momentum μ (γ).
    #[arg(long, allow_hyphen_values = true)]
    pub momentum: Option<f64>,
    /// Momentum dampening τ (torch).
    #[arg(long, allow_hyphen_values = true)]
    pub dampening: Option<f64>,
    /// First-moment decay β₁.
    #[arg(long, allow_hyphen_values = true)]
    pub beta1: Option<f64>,
    /// Second-moment decay β₂.
    #[arg(long, allow_hyphen_values = true)]
    pub beta2: Option<f64>,
    /// ε of the denominator.
    #[arg(long, allow_hyphen_values = true)]
    pub eps: Option<f64>,
    /// Decay ρ of a running average (RMSProp's `decay`, torch's `alpha`; Adadelta's `rho`).
    #[arg(long, allow_hyphen_values = true, visible_alias = "rho")]
    pub decay: Option<f64>,
    /// Adagrad's starting value of the sum of squares.
    #[arg(long, allow_hyphen_values = true)]
    pub initial_accumulator: Option<f64>,
    /// RMSProp: divide by the standard deviation (v − ḡ²) instead of the root mean square.
    #[arg(long)]
    pub centered: bool,
    /// Weight decay λ (coupled or decoupled, as the method defines it).
    #[arg(long, allow_hyphen_values = true)]
    pub weight_decay: Option<f64>,
    /// Learning-rate schedule, `KIND[:field=value,...]` with the fields of
    /// `descent::first_order::Schedule`, e.g. `step:step_size=100,gamma=0.5`,
    /// `warmup_cosine:warmup_steps=10,decay_steps=1000`; `--lr` is its base (peak) rate.
    #[arg(long, value_parser = parse_schedule_spec)]
    pub schedule: Option<ScheduleSpec>,
}

/// A parsed `--schedule` value: its kind and fields, turned into a `Schedule` once the
/// learning rate is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    /// The kind (`step`, `exponential`, ...).
    pub kind: String,
    /// `field=value` pairs.
    pub fields: Vec<(String, f64)>,
}

impl ScheduleSpec {
    /// The schedule with base rate `learning_rate`.
    pub fn build(&self, learning_rate: f64) -> anyhow::Result<Schedule> {
        let mut fields: std::collections::BTreeMap<&str, f64> =
            self.fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let mut take = |name: &str, default: Option<f64>| -> anyhow::Result<f64> {
            fields
                .remove(name)
                .or(default)
                .ok_or_else(|| anyhow::anyhow!("--schedule {}: missing field '{name}'", self.kind))
        };
        let count = |name: &str, value: f64| -> anyhow::Result<u64> {
            if value >= 0.0 && value.fract() == 0.0 && value < 2f64.powi(63) {
                Ok(value as u64)
            } else {
                anyhow::bail!("--schedule: '{name}' must be a whole number, got {value}")
            }
        };
        let schedule = match self.kind.as_str() {
            "constant" => Schedule::Constant { learning_rate },
            "step" => Schedule::Step {
                learning_rate,
                step_size: count("step_size", take("step_size", None)?)?,
                gamma: take("gamma", None)?,
            },
            "exponential" => Schedule::Exponential { learning_rate, gamma: take("gamma", None)? },
            "inverse_time" => Schedule::InverseTime { learning_rate, decay: take("decay", None)? },
            "polynomial" => Schedule::Polynomial {
                learning_rate,
                end_learning_rate: take("end_learning_rate", Some(0.0))?,
                power: take("power", Some(1.0))?,
                steps: count("steps", take("steps", None)?)?,
            },
            "warmup_cosine" => Schedule::WarmupCosine {
                init_learning_rate: take("init_learning_rate", Some(0.0))?,
                peak_learning_rate: learning_rate,
                warmup_steps: count("warmup_steps", take("warmup_steps", None)?)?,
                decay_steps: count("decay_steps", take("decay_steps", None)?)?,
                end_learning_rate: take("end_learning_rate", Some(0.0))?,
            },
            "one_cycle" => Schedule::OneCycle {
                max_learning_rate: learning_rate,
                total_steps: count("total_steps", take("total_steps", None)?)?,
                pct_start: take("pct_start", Some(0.3))?,
                div_factor: take("div_factor", Some(25.0))?,
                final_div_factor: take("final_div_factor", Some(1e4))?,
            },
            other => anyhow::bail!(
                "--schedule: unknown kind '{other}' (constant, step, exponential, inverse_time, \
                 polynomial, warmup_cosine, one_cycle)"
            ),
        };
        if let Some(extra) = fields.keys().next() {
            anyhow::bail!("--schedule {}: unknown field '{extra}'", self.kind);
        }
        schedule.validate()?;
        Ok(schedule)
    }
}

/// Parses `KIND[:field=value,...]`.
pub fn parse_schedule_spec(text: &str) -> Result<ScheduleSpec, String> {
    let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
    let fields = rest
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("expected field=value, got '{item}'"))?;
            let value = value.trim().parse::<f64>().map_err(|_| {
                format!("field '{}': '{}' is not a number", key.trim(), value.trim())
            })?;
            Ok((key.trim().to_owned(), value))
        })
        .collect::<Result<_, String>>()?;
    Ok(ScheduleSpec { kind: kind.trim().to_owned(), fields })
}

/// The driver's stopping rules; each flag is named after its field in [`Options`].
#[derive(Debug, Args)]
pub struct StoppingArgs {
    /// Iteration limit.
    #[arg(long, default_value_t = Options::default().max_iter)]
    pub max_iter: usize,
    /// Limit on value evaluations.
    #[arg(long)]
    pub max_evals: Option<usize>,
    /// Wall-time limit in seconds.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub time_limit: Option<f64>,
    /// Converged when ‖∇f‖ ≤ gtol (0 switches the rule off).
    #[arg(long, default_value_t = Options::default().gtol, allow_hyphen_values = true)]
    pub gtol: f64,
    /// Converged when ‖∇f‖∞ = maxᵢ |∂f/∂xᵢ| ≤ gtol_inf (scipy's L-BFGS-B test; 0: off).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gtol_inf: f64,
    /// Converged when ‖∇f‖ ≤ gtol_rel·‖∇f(x₀)‖.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub gtol_rel: f64,
    /// Converged when |Δf| ≤ ftol.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub ftol: f64,
    /// Converged when |Δf| ≤ ftol_rel·|f|.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub ftol_rel: f64,
    /// Converged when ‖Δx‖ ≤ xtol.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub xtol: f64,
    /// Converged when ‖Δx‖₁ ≤ xtol-l1 (scipy's Newton-CG test, with n·xtol).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub xtol_l1: f64,
    /// Diverged when f − f(x₀) > divergence·max(1, |f(x₀)|) (0 switches it off).
    #[arg(long, default_value_t = Options::default().divergence, allow_hyphen_values = true)]
    pub divergence: f64,
    /// Unbounded below when f ≤ this value.
    #[arg(long, default_value_t = Options::default().unbounded_value, allow_hyphen_values = true)]
    pub unbounded_value: f64,
    /// Flat-or-concave descending steps before the ray test for unboundedness (0: off).
    #[arg(long, default_value_t = Options::default().unbounded_window)]
    pub unbounded_window: usize,
    /// Before the first step, compare ∇f(x₀) with central differences and stop with an error
    /// naming the worst component if its error exceeds TOL (default 1e-6 when the flag is
    /// given without a value).
    #[arg(
        long,
        value_name = "TOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "1e-6",
        allow_hyphen_values = true
    )]
    pub check_gradient: Option<f64>,
}

impl StoppingArgs {
    /// The driver options these flags describe.
    pub fn options(&self) -> anyhow::Result<Options> {
        let time_limit = match self.time_limit {
            None => None,
            Some(s) => Some(Duration::try_from_secs_f64(s).map_err(|_| {
                anyhow::anyhow!(
                    "invalid --time-limit {s}: must be a non-negative number of seconds"
                )
            })?),
        };
        let options = Options {
            max_iter: self.max_iter,
            max_evals: self.max_evals.unwrap_or(usize::MAX),
            time_limit,
            gtol: self.gtol,
            gtol_inf: self.gtol_inf,
            gtol_rel: self.gtol_rel,
            ftol: self.ftol,
            ftol_rel: self.ftol_rel,
            xtol: self.xtol,
            xtol_l1: self.xtol_l1,
            divergence: self.divergence,
            unbounded_value: self.unbounded_value,
            unbounded_window: self.unbounded_window,
            check_gradient: self.check_gradient,
            ..Options::default()
        };
        options.validate()?;
        Ok(options)
    }
}

impl MethodArgs {
    /// The backtracking line search these flags describe (defaults for the flags not given).
    pub fn backtracking(&self) -> Backtracking {
        let d = Backtracking::default();
        Backtracking {
            c1: self.c1.unwrap_or(d.c1),
            shrink_min: self.shrink_min.unwrap_or(d.shrink_min),
            shrink_max: self.shrink_max.unwrap_or(d.shrink_max),
            growth: self.growth.unwrap_or(d.growth),
            max_trials: self.max_trials.unwrap_or(d.max_trials),
        }
    }

    /// The method-specific flags that were given, by name.
    pub fn given_flags(&self) -> Vec<&'static str> {
        let f = &self.first_order;
        [
            (self.line_search != LineSearchName::None, "--line-search"),
            (self.c1.is_some(), "--c1"),
            (self.shrink_min.is_some(), "--shrink-min"),
            (self.shrink_max.is_some(), "--shrink-max"),
            (self.growth.is_some(), "--growth"),
            (self.max_trials.is_some(), "--max-trials"),
            (f.momentum.is_some(), "--momentum"),
            (f.dampening.is_some(), "--dampening"),
            (f.beta1.is_some(), "--beta1"),
            (f.beta2.is_some(), "--beta2"),
            (f.eps.is_some(), "--eps"),
            (f.weight_decay.is_some(), "--weight-decay"),
            (f.schedule.is_some(), "--schedule"),
            (f.decay.is_some(), "--decay"),
            (f.initial_accumulator.is_some(), "--initial-accumulator"),
            (f.centered, "--centered"),
            (self.memory.is_some(), "--memory"),
            (self.initial_radius.is_some(), "--initial-radius"),
            (self.max_radius.is_some(), "--max-radius"),
            (self.eta.is_some(), "--eta"),
            (self.bounds.is_some(), "--bounds"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }
}

impl MethodArgs {
    /// The box of `--bounds` for an `n`-dimensional problem (no bounds when the flag is absent).
    ///
    /// # Errors
    /// When the number of pairs is neither 1 nor `n`.
    pub fn box_bounds(&self, n: usize) -> anyhow::Result<Bounds> {
        let Some(BoundPairs(pairs)) = &self.bounds else { return Ok(Bounds::unbounded(n)) };
        let (lower, upper): (Vec<f64>, Vec<f64>) = match pairs.len() {
            1 => (vec![pairs[0].0; n], vec![pairs[0].1; n]),
            k if k == n => pairs.iter().copied().unzip(),
            k => anyhow::bail!(
                "--bounds gives {k} pairs for a problem of dimension {n}: give {n}, or one for \
                 every coordinate"
            ),
        };
        Ok(Bounds::new(lower, upper)?)
    }
}

/// Box bounds given on the command line as "lo:hi,lo:hi,...".
#[derive(Debug, Clone, PartialEq)]
pub struct BoundPairs(pub Vec<(f64, f64)>);

/// Parses "lo:hi,lo:hi,..." (each bound a number, `-inf` or `inf`), naming the pair that is
/// wrong and what is wrong with it.
pub fn parse_bounds(text: &str) -> Result<BoundPairs, String> {
    if text.trim().is_empty() {
        return Err("expected lo:hi pairs separated by commas, got nothing".into());
    }
    let number = |i: usize, which: &str, s: &str| -> Result<f64, String> {
        match s.trim().parse::<f64>() {
            Ok(v) if !v.is_nan() => Ok(v),
            _ => {
                Err(format!("pair {}: {which} bound '{}' is not a number or ±inf", i + 1, s.trim()))
            }
        }
    };
    text.split(',')
        .enumerate()
        .map(|(i, item)| {
            let Some((lo, hi)) = item.split_once(':') else {
                return Err(format!("pair {} ('{}') is not lo:hi", i + 1, item.trim()));
            };
            let (lo, hi) = (number(i, "lower", lo)?, number(i, "upper", hi)?);
            if lo > hi {
                return Err(format!("pair {}: lower bound {lo} is above upper bound {hi}", i + 1));
            }
            if lo == f64::INFINITY || hi == f64::NEG_INFINITY {
                return Err(format!("pair {}: [{lo}, {hi}] contains no number", i + 1));
            }
            Ok((lo, hi))
        })
        .collect::<Result<_, _>>()
        .map(BoundPairs)
}

/// A point given on the command line as "a,b,c".
#[derive(Debug, Clone, PartialEq)]
pub struct Coordinates(pub Vec<f64>);

/// Parses "a,b,c" into numbers, naming the element that is not one.
pub fn parse_vector(text: &str) -> Result<Coordinates, String> {
    if text.trim().is_empty() {
        return Err("expected comma-separated numbers, got nothing".into());
    }
    text.split(',')
        .enumerate()
        .map(|(i, item)| {
            item.trim()
                .parse::<f64>()
                .map_err(|_| format!("element {} ('{}') is not a number", i + 1, item.trim()))
        })
        .collect::<Result<_, _>>()
        .map(Coordinates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_parse_and_name_the_bad_element() {
        assert_eq!(parse_vector("-1.2, 1,3e2"), Ok(Coordinates(vec![-1.2, 1.0, 300.0])));
        assert_eq!(parse_vector("1,x"), Err("element 2 ('x') is not a number".into()));
        assert!(parse_vector("").is_err());
        assert!(parse_vector("1,,2").is_err());
    }

    #[test]
    fn schedules_parse_with_defaults_and_reject_unknown_fields() {
        let spec = parse_schedule_spec("warmup_cosine:warmup_steps=10,decay_steps=100").unwrap();
        let built = spec.build(0.5).unwrap();
        assert_eq!(
            built,
            Schedule::WarmupCosine {
                init_learning_rate: 0.0,
                peak_learning_rate: 0.5,
                warmup_steps: 10,
                decay_steps: 100,
                end_learning_rate: 0.0,
            }
        );
        assert!(parse_schedule_spec("step:gamma").is_err());
        let unknown = parse_schedule_spec("step:step_size=3,gamma=0.5,speed=2").unwrap();
        assert!(unknown.build(0.1).unwrap_err().to_string().contains("speed"));
        let fractional = parse_schedule_spec("step:step_size=2.5,gamma=0.5").unwrap();
        assert!(fractional.build(0.1).is_err());
        assert!(parse_schedule_spec("cosine").unwrap().build(0.1).is_err());
    }

    #[test]
    fn bounds_parse_and_name_the_bad_pair() {
        let inf = f64::INFINITY;
        assert_eq!(
            parse_bounds("0:1, -inf:2.5,-1e3:inf"),
            Ok(BoundPairs(vec![(0.0, 1.0), (-inf, 2.5), (-1e3, inf)]))
        );
        assert_eq!(parse_bounds("0:1,2"), Err("pair 2 ('2') is not lo:hi".into()));
        assert!(parse_bounds("0:1,x:2").unwrap_err().contains("pair 2: lower bound 'x'"));
        assert!(parse_bounds("0:nan").unwrap_err().contains("upper bound 'nan'"));
        assert_eq!(
            parse_bounds("0:1,3:1"),
            Err("pair 2: lower bound 3 is above upper bound 1".into())
        );
        assert!(parse_bounds("inf:inf").unwrap_err().contains("no number"));
        assert!(parse_bounds("").is_err());
        let mut args = MethodArgs::plain(MethodName::Lbfgsb, None, PresetName::Torch);
        args.bounds = Some(parse_bounds("-1:1").unwrap());
        assert_eq!(args.box_bounds(3).unwrap().upper(), &[1.0; 3]);
        args.bounds = Some(parse_bounds("-1:1,0:2").unwrap());
        assert_eq!(args.box_bounds(2).unwrap().lower(), &[-1.0, 0.0]);
        assert!(args.box_bounds(3).unwrap_err().to_string().contains("2 pairs"));
    }

    #[test]
    fn data_sets_and_models_parse() {
        assert_eq!(parse_dataset("digits"), Ok(DatasetSpec::Digits));
        assert_eq!(
            parse_dataset("mnist:/data/mnist"),
            Ok(DatasetSpec::Mnist("/data/mnist".into()))
        );
        assert!(parse_dataset("mnist:").is_err());
        assert!(parse_dataset("cifar").is_err());
        assert_eq!(DatasetSpec::Mnist("d".into()).to_string(), "mnist:d");
        assert_eq!(parse_model("softmax"), Ok(ModelSpec::Softmax));
        assert_eq!(parse_model("mlp:128, 64"), Ok(ModelSpec::Mlp(vec![128, 64])));
        assert_eq!(parse_model("mlp:128,64").unwrap().to_string(), "mlp:128,64");
        assert_eq!(parse_model("mlp:x"), Err("hidden width 'x' is not a positive integer".into()));
        assert!(parse_model("mlp:0").is_err());
        assert!(parse_model("mlp").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

/// `descent denoise`.
#[derive(Debug, Args)]
pub struct DenoiseArgs {
    /// The microphone: the signal to clean (the filter's desired signal d).
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub primary: Option<PathBuf>,
    /// What the unwanted part comes from: the noise (noise mode) or the far-end signal the
    /// loudspeaker played (echo mode); the filter's input x.
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub reference: Option<PathBuf>,
    /// Where the cleaned signal e = d − y goes (WAV, 16-bit unless --float-out).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Build the signals from the shipped speech instead (the clean speech and the true path are
    /// known, so SNR improvement and misalignment are reported too).
    #[arg(long)]
    pub demo: bool,
    /// `noise`: two-microphone noise cancellation; `echo`: echo cancellation with a Geigel
    /// double-talk detector that freezes adaptation.
    #[arg(long, value_enum, default_value = "noise")]
    pub mode: DenoiseMode,
    /// The adaptive filter.
    #[arg(long, value_enum, default_value = "nlms")]
    pub filter: FilterName,
    /// Filter length L.
    #[arg(long, default_value_t = 512)]
    pub taps: usize,
    /// Step size μ (LMS family, APA, the frequency-domain filter; default 0.5 in echo mode,
    /// 0.1 in noise mode).
    #[arg(long)]
    pub mu: Option<f64>,
    /// Regularisation ε of NLMS's xᵀx and APA's δ (default 0.1), of the frequency-domain
    /// filter's per-bin power (default 1).
    #[arg(long)]
    pub eps: Option<f64>,
    /// Leakage γ of leaky LMS.
    #[arg(long, default_value_t = 1e-4)]
    pub leak: f64,
    /// Projection order K of APA.
    #[arg(long, default_value_t = 4)]
    pub order: usize,
    /// Forgetting factor λ of RLS.
    #[arg(long, default_value_t = 0.9999)]
    pub lambda: f64,
    /// RLS's initial P = I/δ.
    #[arg(long, default_value_t = 1e-2)]
    pub delta: f64,
    /// Block size B of the frequency-domain filter (taps must be a multiple).
    #[arg(long, default_value_t = 64)]
    pub block: usize,
    /// Echo mode: adapt through double talk (no detector).
    #[arg(long)]
    pub no_dtd: bool,
    /// Pick this channel (from 0) of multi-channel files.
    #[arg(long, value_name = "N")]
    pub channel: Option<usize>,
    /// The reference file's channel, when it differs from --channel.
    #[arg(long, value_name = "N")]
    pub reference_channel: Option<usize>,
    /// Write the cleaned signal as 32-bit float instead of 16-bit integers.
    #[arg(long)]
    pub float_out: bool,
    /// Directory of the ERLE figure (default: beside --out, or the current directory).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// What `descent denoise` cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DenoiseMode {
    /// Two microphones: primary = speech + noise through an unknown path, reference = the noise.
    Noise,
    /// Echo: microphone = near-end speech + far-end speech through the room + noise.
    Echo,
}

/// The adaptive filters of `descent denoise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FilterName {
    /// LMS: w ← w + μ·e·x.
    Lms,
    /// Normalised LMS: w ← w + μ·e·x / (ε + xᵀx).
    Nlms,
    /// Leaky LMS: w ← (1 − μγ)·w + μ·e·x.
    LeakyLms,
    /// Sign-error LMS: w ← w + μ·sign(e)·x.
    SignError,
    /// Sign-data LMS: w ← w + μ·e·sign(x).
    SignData,
    /// Sign-sign LMS: w ← w + μ·sign(e)·sign(x).
    SignSign,
    /// Affine projection of order K.
    Apa,
    /// Recursive least squares (O(L²) per sample).
    Rls,
    /// The partitioned-block frequency-domain NLMS.
    Fdaf,
}

impl FilterName {
    /// The name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lms => "lms",
            Self::Nlms => "nlms",
            Self::LeakyLms => "leaky-lms",
            Self::SignError => "sign-error",
            Self::SignData => "sign-data",
            Self::SignSign => "sign-sign",
            Self::Apa => "apa",
            Self::Rls => "rls",
            Self::Fdaf => "fdaf",
        }
    }
}

/// `descent deconvolve`.
#[derive(Debug, Args)]
pub struct DeconvolveArgs {
    /// The blurred image: FITS (.fits, .fit, .fts), PNG or JPEG, by extension.
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub input: Option<PathBuf>,
    /// The point-spread function: `gaussian:fwhm=F`, `moffat:fwhm=F,beta=B`, `airy:fwhm=F`
    /// (each with an optional `,size=N`, N odd), or `file:PATH` (FITS or PNG, normalised to
    /// sum 1).
    #[arg(long, value_name = "SPEC", required_unless_present = "demo")]
    pub psf: Option<String>,
    /// The method.
    #[arg(long, value_enum, default_value = "rl")]
    pub method: DeconvolveMethod,
    /// Where the restored image goes (FITS, 32-bit float). With `--demo`: a directory for PNG
    /// previews of the truth, the blurred image and each restoration.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Restore the shipped M13 field blurred by the reference set-up, with every method,
    /// and print the table.
    #[arg(long)]
    pub demo: bool,
    /// Run exactly N iterations (instead of the discrepancy stop).
    #[arg(long, value_name = "N", conflicts_with = "auto_stop")]
    pub iterations: Option<usize>,
    /// Stop by the discrepancy principle ‖Hx − y‖ ≤ τ·σ·√N (the default), at most
    /// `--max-iterations`.
    #[arg(long)]
    pub auto_stop: bool,
    /// The most iterations the discrepancy stop may run.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub max_iterations: usize,
    /// τ of the discrepancy stop.
    #[arg(long, default_value_t = 1.0)]
    pub tau: f64,
    /// σ, the noise standard deviation per pixel (default: estimated from the image).
    #[arg(long, value_name = "SIGMA")]
    pub noise_sigma: Option<f64>,
    /// The blur at the image's edges: `same` (zero-padded, for real images) or `periodic`.
    #[arg(long, value_enum, default_value = "same")]
    pub boundary: BoundaryName,
    /// fista-tv: the total variation weight λ_TV (in units of ½‖Hx − y‖² for an image of
    /// peak ≈ 1; scale it with the image).
    #[arg(long, default_value_t = 1e-4)]
    pub tv: f64,
    /// fista-tv: the L1 (sparsity) weight λ₁.
    #[arg(long, default_value_t = 0.0)]
    pub l1: f64,
    /// rl-tv: the TV weight λ, in [0, 0.25).
    #[arg(long, default_value_t = 1e-3)]
    pub lambda: f64,
    /// wiener: the balance b (≈ noise power / signal power per frequency).
    #[arg(long, default_value_t = 1e-3)]
    pub balance: f64,
    /// landweber and fista-tv: project onto x ≥ 0.
    #[arg(long)]
    pub positivity: bool,
    /// `--demo`: the noise seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// An 8-bit PNG preview of the restored image (display range: its 0.5–99.5 percentiles).
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The methods of `descent deconvolve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeconvolveMethod {
    /// FISTA on ½‖Hx − y‖² + λ_TV·TV(x) + λ₁·‖x‖₁.
    FistaTv,
    /// Richardson–Lucy.
    Rl,
    /// Richardson–Lucy with total variation (Dey et al. 2006).
    RlTv,
    /// Landweber: gradient descent on ½‖Hx − y‖².
    Landweber,
    /// The Wiener (Tikhonov) filter, one shot.
    Wiener,
}

impl DeconvolveMethod {
    /// The name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::FistaTv => "fista-tv",
            Self::Rl => "rl",
            Self::RlTv => "rl-tv",
            Self::Landweber => "landweber",
            Self::Wiener => "wiener",
        }
    }
}

/// How the blur treats the image's edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BoundaryName {
    /// Zero-padded: the image continues as zeros.
    Same,
    /// Circular: the image wraps around.
    Periodic,
}

/// `descent meta …`.
#[derive(Debug, Subcommand)]
pub enum MetaCommand {
    /// Hypergradient descent: the learning rate tuned online, against the same optimizer with
    /// the learning rate fixed (softmax regression, full batch).
    Hypergradient(HypergradientArgs),
    /// Meta-train a network on a few-shot task family (MAML by default), evaluate it on
    /// held-out tasks beside a pretrained baseline.
    Maml(Box<MamlArgs>),
}

/// The first-order method whose learning rate hypergradient descent tunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HyperOptimizerName {
    /// Plain (full-batch) gradient descent: SGD-HD.
    Sgd,
    /// Nesterov momentum: SGDN-HD.
    Sgdn,
    /// Adam: Adam-HD.
    Adam,
}

/// `descent meta hypergradient`.
#[derive(Debug, Args)]
pub struct HypergradientArgs {
    /// `digits` (bundled; default) or `mnist:DIR`.
    #[arg(long, value_parser = parse_dataset, value_name = "digits|mnist:DIR", default_value = "digits")]
    pub dataset: DatasetSpec,
    /// The optimizer whose learning rate is tuned.
    #[arg(long, value_enum, default_value_t = HyperOptimizerName::Sgd)]
    pub optimizer: HyperOptimizerName,
    /// The initial learning rate α₀ (also the fixed rate of the baseline run).
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true)]
    pub lr0: f64,
    /// The hypergradient learning rate β.
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true)]
    pub beta: f64,
    /// Full-batch iterations.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// L2 weight decay λ on the weights (part of the loss).
    #[arg(long, default_value_t = 1e-4, allow_hyphen_values = true)]
    pub weight_decay: f64,
    /// Momentum μ of `sgdn`.
    #[arg(long, default_value_t = 0.9, allow_hyphen_values = true)]
    pub momentum: f64,
    /// Keep the learning rate at or above FLOOR, α ← max(α, FLOOR) (default FLOOR: α₀/100),
    /// a deviation from the paper's code, which lets α go negative.
    #[arg(long, value_name = "FLOOR", num_args = 0..=1)]
    pub safeguard: Option<Option<f64>>,
    /// Write the loss and learning-rate curves (SVG and PNG) into this directory.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// A few-shot task family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskName {
    /// y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5] (Finn et al. 2017, §5.1).
    Sinusoid,
}

/// `descent meta maml`.
#[derive(Debug, Args)]
pub struct MamlArgs {
    /// The task family.
    #[arg(long, value_enum, default_value_t = TaskName::Sinusoid)]
    pub task: TaskName,
    /// K: support (and query) points per task.
    #[arg(long, default_value_t = 10)]
    pub shots: usize,
    /// Meta-training iterations (outer Adam steps).
    #[arg(long, default_value_t = 70_000)]
    pub iterations: usize,
    /// First-order MAML: drop the second-order term of the meta-gradient.
    #[arg(long, conflicts_with = "reptile")]
    pub first_order: bool,
    /// Reptile: move the initialisation toward the adapted parameters.
    #[arg(long)]
    pub reptile: bool,
    /// Seed of the initialisation, the training tasks and the evaluation tasks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Tasks per meta-batch.
    #[arg(long, default_value_t = 25)]
    pub meta_batch: usize,
    /// Inner (adaptation) learning rate α.
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub inner_lr: f64,
    /// Outer Adam learning rate.
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true)]
    pub outer_lr: f64,
    /// Held-out tasks of the evaluation.
    #[arg(long, default_value_t = 600)]
    pub eval_tasks: usize,
    /// Threads over the tasks of a meta-batch.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Save the meta-trained network here.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Write the figure of adapted fits (SVG and PNG) into this directory.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}
