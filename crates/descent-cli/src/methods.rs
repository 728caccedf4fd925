//! From `--method` and its flags to a configured method, run by the driver.

use anyhow::bail;
use descent::bounds::{Lbfgsb, ProjectedGradient};
use descent::driver::Observer;
use descent::first_order::rmsprop::{ScaleByCenteredRms, ScaleByRms};
use descent::first_order::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, AmsGrad, FirstOrder, HeavyBall, Lion, Momentum, NAdam,
    NAdamW, Nesterov, NesterovLookAhead, OptaxMomentum, Preset, RAdam, RAdamW, RmsProp, Rule,
    Schedule, Sgd, TorchMomentum,
};
use descent::line_search::{HagerZhang, MoreThuente};
use descent::{
    Bfgs, GradientDescent, Hessian, Lbfgs, Method, Newton, Options, Report, minimize_observed,
};
use descent::{HessianVectorProduct, NewtonCg, TrustRegion};
use serde::Serialize;

use crate::args::{LineSearchName, MethodArgs, MethodName, PresetName};

/// What ran, for the report.
pub struct Summary {
    /// The method's name as the command line spells it.
    pub method: String,
    /// Its base learning rate.
    pub learning_rate: f64,
    /// Its full configuration, as JSON.
    pub hyperparameters: serde_json::Value,
}

/// The method-specific flags each method takes.
fn accepted(method: MethodName) -> &'static [&'static str] {
    const ADAM: &[&str] = &["--beta1", "--beta2", "--eps", "--weight-decay", "--schedule"];
    match method {
        MethodName::Gd => {
            &["--line-search", "--c1", "--shrink-min", "--shrink-max", "--growth", "--max-trials"]
        }
        MethodName::Sgd => &["--weight-decay", "--schedule"],
        MethodName::HeavyBall | MethodName::NesterovLookAhead => &["--momentum", "--schedule"],
        MethodName::Momentum => &["--momentum", "--dampening", "--weight-decay", "--schedule"],
        MethodName::Nesterov => &["--momentum", "--weight-decay", "--schedule"],
        MethodName::Adam
        | MethodName::Adamw
        | MethodName::Amsgrad
        | MethodName::Adamax
        | MethodName::Nadam
        | MethodName::Nadamw
        | MethodName::Radam
        | MethodName::Radamw => ADAM,
        MethodName::Lion => &["--beta1", "--beta2", "--weight-decay", "--schedule"],
        MethodName::Adagrad => &["--eps", "--initial-accumulator", "--weight-decay", "--schedule"],
        MethodName::Rmsprop => {
            &["--decay", "--eps", "--momentum", "--centered", "--weight-decay", "--schedule"]
        }
        MethodName::Adadelta => &["--decay", "--eps", "--weight-decay", "--schedule"],
        MethodName::TrustNcg | MethodName::Dogleg => &["--initial-radius", "--max-radius", "--eta"],
        MethodName::Bfgs | MethodName::Newton | MethodName::NewtonCg => {
            &["--line-search", "--c1", "--shrink-min", "--shrink-max", "--growth", "--max-trials"]
        }
        MethodName::Lbfgsb => &["--memory", "--bounds"],
        MethodName::ProjectedGd => &["--bounds", "--c1", "--max-trials"],
        MethodName::Lbfgs => &[
            "--line-search",
            "--memory",
            "--c1",
            "--shrink-min",
            "--shrink-max",
            "--growth",
            "--max-trials",
        ],
    }
}

/// Rejects flags the chosen method does not have.
pub fn check_flags(args: &MethodArgs) -> anyhow::Result<()> {
    check_flags_of(args, "--method")
}

/// Rejects flags the chosen method does not have, naming the method's option `option`
/// (`--method` for minimize, `--optimizer` for train).
pub fn check_flags_of(args: &MethodArgs, option: &str) -> anyhow::Result<()> {
    let method = args.method;
    if args.first_order.preset == PresetName::Scipy {
        if !matches!(method, MethodName::Bfgs | MethodName::NewtonCg) {
            bail!(
                "--preset scipy is scipy's BFGS and Newton-CG: it applies to {option} bfgs and \
                 newton-cg (the first-order methods have --preset torch and optax)"
            );
        }
        if args.line_search != LineSearchName::None {
            bail!("--preset scipy sets the line search (Moré–Thuente): drop --line-search");
        }
    }
    for flag in args.given_flags() {
        if !accepted(method).contains(&flag) {
            bail!("{flag} does not apply to {option} {}", method.name());
        }
        let backtracking_flag =
            ["--c1", "--shrink-min", "--shrink-max", "--growth", "--max-trials"].contains(&flag);
        let armijo = match method {
            MethodName::Gd => args.line_search == LineSearchName::Armijo,
            _ => !matches!(
                args.line_search,
                LineSearchName::MoreThuente | LineSearchName::HagerZhang
            ),
        };
        if backtracking_flag && !armijo {
            bail!("{flag} applies to the Armijo line search: add --line-search armijo");
        }
    }
    Ok(())
}

/// What every run shares: the objective, the start, the stopping rules, the observer.
struct Run<'a, O: ?Sized> {
    f: &'a O,
    x0: &'a [f64],
    options: &'a Options,
    observer: &'a mut dyn Observer,
    name: String,
}

impl<O: Hessian + HessianVectorProduct + ?Sized> Run<'_, O> {
    fn drive<M: Method<O>, C: Serialize>(
        self,
        method: M,
        learning_rate: f64,
        config: &C,
    ) -> anyhow::Result<(Report, Summary)> {
        let report = minimize_observed(self.f, self.x0, method, self.options, self.observer)?;
        let hyperparameters = serde_json::to_value(config)?;
        Ok((report, Summary { method: self.name, learning_rate, hyperparameters }))
    }
}

/// Runs the method `args` describes on `f` from `x0` (a [`Hessian`] for Newton's method and
/// dogleg, Hessian-vector products for Newton-CG and trust-ncg; every built-in problem and
/// every expression has both).
pub fn solve<O: Hessian + HessianVectorProduct + ?Sized>(
    f: &O,
    x0: &[f64],
    args: &MethodArgs,
    options: &Options,
    observer: &mut dyn Observer,
) -> anyhow::Result<(Report, Summary)> {
    let run = Run { f, x0, options, observer, name: args.method.name() };
    let lr = args.learning_rate.unwrap_or(default_learning_rate(args.method, args.line_search));
    match args.method {
        MethodName::Gd => match args.line_search {
            LineSearchName::None => {
                run.drive(GradientDescent::new(lr)?, lr, &GdConfig { learning_rate: lr })
            }
            LineSearchName::Armijo => {
                let line_search = args.backtracking();
                let gd = GradientDescent { learning_rate: lr, line_search };
                run.drive(gd, lr, &GdConfig { learning_rate: lr })
            }
            LineSearchName::MoreThuente => {
                let gd = GradientDescent { learning_rate: lr, line_search: MoreThuente::default() };
                run.drive(gd, lr, &GdConfig { learning_rate: lr })
            }
            LineSearchName::HagerZhang => {
                let gd = GradientDescent { learning_rate: lr, line_search: HagerZhang::default() };
                run.drive(gd, lr, &GdConfig { learning_rate: lr })
            }
        },
        MethodName::Bfgs if args.first_order.preset == PresetName::Scipy => {
            run.drive(Bfgs::scipy(), 1.0, &ScipyConfig { preset: "scipy" })
        }
        MethodName::Bfgs => match args.line_search {
            LineSearchName::MoreThuente => {
                run.drive(Bfgs::new().with_line_search(MoreThuente::default()), 1.0, &NoConfig {})
            }
            LineSearchName::HagerZhang => {
                run.drive(Bfgs::new().with_line_search(HagerZhang::default()), 1.0, &NoConfig {})
            }
            _ => run.drive(Bfgs::new().with_line_search(args.backtracking()), 1.0, &NoConfig {}),
        },
        MethodName::Newton => match args.line_search {
            LineSearchName::MoreThuente => {
                run.drive(Newton::new().with_line_search(MoreThuente::default()), 1.0, &NoConfig {})
            }
            LineSearchName::HagerZhang => {
                run.drive(Newton::new().with_line_search(HagerZhang::default()), 1.0, &NoConfig {})
            }
            _ => run.drive(Newton::new().with_line_search(args.backtracking()), 1.0, &NoConfig {}),
        },
        MethodName::NewtonCg if args.first_order.preset == PresetName::Scipy => {
            run.drive(NewtonCg::scipy(), 1.0, &ScipyConfig { preset: "scipy" })
        }
        MethodName::NewtonCg => {
            let method = NewtonCg::new();
            let config =
                NewtonCgConfig { forcing_max: method.forcing_max, max_cg_iterations: "20n" };
            match args.line_search {
                LineSearchName::MoreThuente => {
                    run.drive(method.with_line_search(MoreThuente::default()), 1.0, &config)
                }
                LineSearchName::HagerZhang => {
                    run.drive(method.with_line_search(HagerZhang::default()), 1.0, &config)
                }
                LineSearchName::None | LineSearchName::Armijo => {
                    run.drive(method.with_line_search(args.backtracking()), 1.0, &config)
                }
            }
        }
        MethodName::TrustNcg => {
            let method = trust_region(TrustRegion::steihaug(), args);
            run.drive(method, 1.0, &TrustRegionConfig::of(&method))
        }
        MethodName::Dogleg => {
            let method = trust_region(TrustRegion::dogleg(), args);
            run.drive(method, 1.0, &TrustRegionConfig::of(&method))
        }
        MethodName::Lbfgs => {
            let lbfgs = Lbfgs::new(args.memory.unwrap_or(10))?;
            let config = LbfgsConfig { memory: lbfgs.memory };
            match args.line_search {
                LineSearchName::MoreThuente => {
                    run.drive(lbfgs.with_line_search(MoreThuente::default()), 1.0, &config)
                }
                LineSearchName::HagerZhang => {
                    run.drive(lbfgs.with_line_search(HagerZhang::default()), 1.0, &config)
                }
                _ => run.drive(lbfgs.with_line_search(args.backtracking()), 1.0, &config),
            }
        }
        MethodName::Lbfgsb => {
            let bounds = args.box_bounds(f.dim())?;
            let method = Lbfgsb::new(bounds).with_memory(args.memory.unwrap_or(10));
            let config = BoundedConfig { memory: Some(method.memory), c1: None, max_trials: None };
            run.drive(method, 1.0, &config)
        }
        MethodName::ProjectedGd => {
            let mut method = ProjectedGradient::new(args.box_bounds(f.dim())?);
            method.c1 = args.c1.unwrap_or(method.c1);
            method.max_trials = args.max_trials.unwrap_or(method.max_trials);
            let config = BoundedConfig {
                memory: None,
                c1: Some(method.c1),
                max_trials: Some(method.max_trials),
            };
            run.drive(method, 1.0, &config)
        }
        MethodName::NesterovLookAhead => {
            let c = NesterovLookAhead {
                learning_rate: match &args.first_order.schedule {
                    Some(spec) => spec.build(lr)?,
                    None => Schedule::Constant { learning_rate: lr },
                },
                momentum: args.first_order.momentum.unwrap_or(0.9),
            };
            let config = LookAheadConfig { learning_rate: &c.learning_rate, momentum: c.momentum };
            run.drive(c.clone(), lr, &config)
        }
        MethodName::Sgd
        | MethodName::HeavyBall
        | MethodName::Momentum
        | MethodName::Nesterov
        | MethodName::Adam
        | MethodName::Adamw
        | MethodName::Amsgrad
        | MethodName::Adamax
        | MethodName::Nadam
        | MethodName::Nadamw
        | MethodName::Radam
        | MethodName::Radamw
        | MethodName::Lion
        | MethodName::Adagrad
        | MethodName::Rmsprop
        | MethodName::Adadelta => with_rule(args, Drive(run)),
    }
}

/// Hands the update rule of a first-order method to [`with_rule`]'s caller: one generic call
/// per rule type, so that each caller (the driver for `minimize`, the training loop for
/// `train`) is monomorphised over every rule without repeating the flag handling.
pub trait RuleVisitor {
    /// What the visit produces.
    type Output;

    /// Called once with the rule the flags describe, its base learning rate and its full
    /// configuration as JSON (for reports and checkpoints).
    ///
    /// # Errors
    /// Whatever the caller's work returns.
    fn visit<R: Rule + Clone + 'static>(
        self,
        rule: R,
        learning_rate: f64,
        config: serde_json::Value,
    ) -> anyhow::Result<Self::Output>;
}

/// The first-order methods that are an update [`Rule`] (every first-order method but
/// `nesterov-look-ahead`, which evaluates its gradient away from the iterate), in the order the
/// command line lists them.
pub const RULES: &[MethodName] = &[
    MethodName::Sgd,
    MethodName::Momentum,
    MethodName::Nesterov,
    MethodName::HeavyBall,
    MethodName::Adagrad,
    MethodName::Rmsprop,
    MethodName::Adadelta,
    MethodName::Adam,
    MethodName::Adamw,
    MethodName::Amsgrad,
    MethodName::Adamax,
    MethodName::Nadam,
    MethodName::Nadamw,
    MethodName::Radam,
    MethodName::Radamw,
    MethodName::Lion,
];

/// Each method's default learning rate: torch's where torch has one; Lion's paper advises
/// 3–10× below AdamW's; otherwise a cautious 1e-3 (1 for gradient descent with a line search,
/// whose first trial it is).
pub fn default_learning_rate(method: MethodName, line_search: LineSearchName) -> f64 {
    match (method, line_search) {
        (MethodName::Gd, LineSearchName::Armijo | LineSearchName::MoreThuente) => 1.0,
        (MethodName::Gd, LineSearchName::HagerZhang) => 1.0,
        (MethodName::Adamax | MethodName::Nadam | MethodName::Nadamw, _) => 2e-3,
        (MethodName::Lion, _) => 1e-4,
        (MethodName::Adagrad | MethodName::Rmsprop, _) => 1e-2,
        (MethodName::Adadelta, _) => 1.0,
        _ => 1e-3,
    }
}

/// Builds the update rule of the first-order method `args` describes (its own flags,
/// `--preset`, `--schedule`, `--lr` or the method's default rate) and hands it to `visitor`.
///
/// # Errors
/// When `args.method` is not one of [`RULES`], a hyperparameter is invalid, or the visitor
/// fails.
pub fn with_rule<V: RuleVisitor>(args: &MethodArgs, visitor: V) -> anyhow::Result<V::Output> {
    let flags = &args.first_order;
    let preset = match flags.preset {
        PresetName::Torch => Preset::Torch,
        PresetName::Optax => Preset::Optax,
        PresetName::Scipy => {
            bail!("--preset scipy applies to bfgs; first-order methods have torch and optax")
        }
    };
    let lr = args.learning_rate.unwrap_or(default_learning_rate(args.method, args.line_search));
    let schedule = match &flags.schedule {
        Some(spec) => spec.build(lr)?,
        None => Schedule::Constant { learning_rate: lr },
    };
    match args.method {
        MethodName::Sgd => {
            let mut c = Sgd { learning_rate: schedule, ..Sgd::new(lr) };
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::HeavyBall => {
            let mut c = HeavyBall { learning_rate: schedule, ..HeavyBall::new(lr, 0.9) };
            set(&mut c.momentum, flags.momentum);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Momentum => {
            let mut c = Momentum { learning_rate: schedule, ..Momentum::preset(preset, lr) };
            set(&mut c.momentum, flags.momentum);
            set(&mut c.dampening, flags.dampening);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Nesterov => {
            let mut c = Nesterov { learning_rate: schedule, ..Nesterov::preset(preset, lr) };
            set(&mut c.momentum, flags.momentum);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Adam => {
            let mut c = Adam { learning_rate: schedule, ..Adam::preset(preset, lr) };
            adam_flags(&mut c, args);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Adamw => {
            let mut c = AdamW::preset(preset, lr);
            c.adam.learning_rate = schedule;
            adam_flags(&mut c.adam, args);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Amsgrad => {
            let mut c = AmsGrad::preset(preset, lr);
            c.adam.learning_rate = schedule;
            adam_flags(&mut c.adam, args);
            set(&mut c.adam.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Adamax => {
            let mut c = Adamax { learning_rate: schedule, ..Adamax::preset(preset, lr) };
            set(&mut c.beta1, flags.beta1);
            set(&mut c.beta2, flags.beta2);
            set(&mut c.eps, flags.eps);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Nadam | MethodName::Nadamw => {
            let mut c = NAdam { learning_rate: schedule, ..NAdam::preset(preset, lr) };
            set(&mut c.beta1, flags.beta1);
            set(&mut c.beta2, flags.beta2);
            set(&mut c.eps, flags.eps);
            if args.method == MethodName::Nadam {
                set(&mut c.weight_decay, flags.weight_decay);
                return visitor.visit(c.rule(), lr, json(&c)?);
            }
            let w = NAdamW::new(c, flags.weight_decay.unwrap_or(1e-2));
            visitor.visit(w.rule(), lr, json(&w)?)
        }
        MethodName::Radam | MethodName::Radamw => {
            let mut c = RAdam { learning_rate: schedule, ..RAdam::preset(preset, lr) };
            set(&mut c.beta1, flags.beta1);
            set(&mut c.beta2, flags.beta2);
            set(&mut c.eps, flags.eps);
            if args.method == MethodName::Radam {
                set(&mut c.weight_decay, flags.weight_decay);
                return visitor.visit(c.rule(), lr, json(&c)?);
            }
            let w = RAdamW::new(c, flags.weight_decay.unwrap_or(1e-2));
            visitor.visit(w.rule(), lr, json(&w)?)
        }
        MethodName::Lion => {
            let mut c = Lion { learning_rate: schedule, ..Lion::new(lr) };
            set(&mut c.beta1, flags.beta1);
            set(&mut c.beta2, flags.beta2);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Adagrad => {
            let mut c = Adagrad { learning_rate: schedule, ..Adagrad::preset(preset, lr) };
            set(&mut c.eps, flags.eps);
            set(&mut c.initial_accumulator, flags.initial_accumulator);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        MethodName::Rmsprop => {
            let mut c = RmsProp { learning_rate: schedule, ..RmsProp::preset(preset, lr) };
            set(&mut c.decay, flags.decay);
            set(&mut c.eps, flags.eps);
            set(&mut c.momentum, flags.momentum);
            set(&mut c.weight_decay, flags.weight_decay);
            // The scaling and the momentum order are types: one fused pass each.
            let torch = preset == Preset::Torch;
            match (flags.centered, c.momentum > 0.0, torch) {
                (false, false, _) => visitor.visit(c.rule()?, lr, json(&c)?),
                (true, false, _) => visitor.visit(c.centered_rule()?, lr, json(&c)?),
                (false, true, true) => {
                    visitor.visit(c.build::<ScaleByRms, TorchMomentum>()?, lr, json(&c)?)
                }
                (false, true, false) => {
                    visitor.visit(c.build::<ScaleByRms, OptaxMomentum>()?, lr, json(&c)?)
                }
                (true, true, true) => {
                    visitor.visit(c.build::<ScaleByCenteredRms, TorchMomentum>()?, lr, json(&c)?)
                }
                (true, true, false) => {
                    visitor.visit(c.build::<ScaleByCenteredRms, OptaxMomentum>()?, lr, json(&c)?)
                }
            }
        }
        MethodName::Adadelta => {
            let mut c = Adadelta { learning_rate: schedule, ..Adadelta::preset(preset, lr) };
            set(&mut c.rho, flags.decay);
            set(&mut c.eps, flags.eps);
            set(&mut c.weight_decay, flags.weight_decay);
            visitor.visit(c.rule(), lr, json(&c)?)
        }
        other => {
            let names: Vec<String> = RULES.iter().map(|m| m.name()).collect();
            bail!("{} is not a first-order update rule; one of {}", other.name(), names.join(", "))
        }
    }
}

/// Drives [`FirstOrder`] with the visited rule: the first-order arms of [`solve`].
struct Drive<'a, O: ?Sized>(Run<'a, O>);

impl<O: Hessian + HessianVectorProduct + ?Sized> RuleVisitor for Drive<'_, O> {
    type Output = (Report, Summary);

    fn visit<R: Rule + Clone + 'static>(
        self,
        rule: R,
        learning_rate: f64,
        config: serde_json::Value,
    ) -> anyhow::Result<Self::Output> {
        self.0.drive(FirstOrder::new(rule), learning_rate, &config)
    }
}

/// The Adam flags shared by Adam, AdamW and AMSGrad.
fn adam_flags(c: &mut Adam, args: &MethodArgs) {
    let flags = &args.first_order;
    set(&mut c.beta1, flags.beta1);
    set(&mut c.beta2, flags.beta2);
    set(&mut c.eps, flags.eps);
}

/// A method's configuration as JSON.
fn json<C: Serialize>(config: &C) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(config)?)
}

/// Overrides `field` with a flag's value, if given.
fn set(field: &mut f64, flag: Option<f64>) {
    if let Some(value) = flag {
        *field = value;
    }
}

/// The trust-region flags over scipy's defaults.
fn trust_region<S>(mut method: TrustRegion<S>, args: &MethodArgs) -> TrustRegion<S> {
    set(&mut method.initial_radius, args.initial_radius);
    set(&mut method.max_radius, args.max_radius);
    set(&mut method.eta, args.eta);
    method
}

/// A trust region's radius rules, for the report.
#[derive(Serialize)]
struct TrustRegionConfig {
    initial_radius: f64,
    max_radius: f64,
    eta: f64,
}

impl TrustRegionConfig {
    fn of<S>(method: &TrustRegion<S>) -> Self {
        Self {
            initial_radius: method.initial_radius,
            max_radius: method.max_radius,
            eta: method.eta,
        }
    }
}

/// Newton-CG's configuration, for the report.
#[derive(Serialize)]
struct NewtonCgConfig {
    forcing_max: f64,
    max_cg_iterations: &'static str,
}

/// BFGS or Newton-CG with scipy's conventions, for the report.
#[derive(Serialize)]
struct ScipyConfig {
    preset: &'static str,
}

/// BFGS has no setting beyond its line search.
#[derive(Serialize)]
struct NoConfig {}

/// L-BFGS's configuration, for the report.
#[derive(Serialize)]
struct LbfgsConfig {
    memory: usize,
}

/// The bounded methods' configuration, for the report (the box itself is in the arguments).
#[derive(Serialize)]
struct BoundedConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_trials: Option<usize>,
}

/// Gradient descent's configuration, for the report.
#[derive(Serialize)]
struct GdConfig {
    learning_rate: f64,
}

/// [`NesterovLookAhead`]'s configuration, for the report.
#[derive(Serialize)]
struct LookAheadConfig<'a> {
    learning_rate: &'a Schedule,
    momentum: f64,
}
