//! `descent bench soak`: thousands of seeded random problems, every [`Report`] checked.
//!
//! Run `i` draws everything from `ChaCha8Rng::seed_from_u64(seed + i)`: a problem, a start, a
//! method with its flags, and stopping rules ([`Draw`]). The draw is a `descent minimize`
//! command line, parsed by clap like a user's and run by the code `descent minimize` runs
//! ([`minimize::Setup`], [`minimize::solve`]), inside `catch_unwind`. Every failure prints its
//! seed and the command that reproduces it.
//!
//! ## What is drawn
//! * **The problem.** One run in four: a built-in problem of the registry with random
//!   `--dim`, `--condition`, `--slope`, `--seed` where it takes them. Otherwise an expression
//!   of 1–8 variables (names such as `x`, `a1`, `b_2`, `_s`) from this grammar, with random
//!   spacing, every compound operand in parentheses:
//!   ```text
//!   e(0) := variable | constant | pi
//!   e(d) := e(0) | (e(d−1) op e(d−1)) | (−e(d−1)) | func(e(d−1)) | base ^ exponent
//!   op   := + | − | * | /
//!   func := sin cos tan exp ln log sqrt abs tanh log10 log2 asin acos atan sinh cosh
//!   exponent := integer in [−3, 4] (powi) | 0.5, 1.5, 2.5, pi (powf) | (e(d−1)) (powd)
//!   constant := 3 | 2.5 | .5 | 1e-3 | 2.5E2 | … (the number forms of the grammar)
//!   ```
//!   Half the expressions are a bowl Σ cᵢ(vᵢ − aᵢ)² plus a random term (so that many runs can
//!   converge); the others are random trees of depth 1–5, with cᵢ·vᵢ² added for any variable the
//!   tree missed. Logarithms, square roots, divisions and `asin` give NaN and ∞ regions on
//!   purpose: they test the honest statuses. `--vars` sometimes lists the variables in a
//!   shuffled order.
//! * **The start.** None (the default), near the origin, moderate, far away (10²–10⁶), or
//!   (with a box) on its faces, corners and outside it.
//! * **The method.** Any [`MethodName`], with the flags it takes ([`crate::methods::check_flags`]):
//!   line search, learning rate (log-uniform), memory, momentum, Adam's betas and ε, a preset,
//!   a schedule, trust-region radii, Armijo constants, and a random box for the bounded
//!   methods (one pair or one per coordinate, some sides infinite, some zero-width).
//! * **Stopping.** `max_iter` 1–500 (log-uniform), `gtol` (sometimes 0), `gtol_inf`,
//!   `gtol_rel`, `ftol`, `ftol_rel`, `xtol`, `xtol_l1`, `max_evals` (0 included), `divergence`,
//!   `unbounded_value`, `unbounded_window`.
//! * **Invalid on purpose**, one run in fourteen: one hyperparameter out of its range. The run
//!   must end in [`descent::Error::InvalidHyperparameter`] (or `NonFiniteStart`, which the
//!   driver checks first, when f(x₀) is not finite).
//!
//! Not drawn: `--escape-saddles` (it sums several runs into one report, so the per-run
//! invariants do not apply), `--time-limit` (not reproducible), `logistic:digits` (data).
//!
//! ## What is checked
//! Each check has a name ([`Violation::check`]); see [`check_report`] for the list. The value and
//! gradient are re-evaluated at the reported x with the same `value_grad` the methods call, so
//! `value` must match bit for bit; `grad_norm` is compared with √(Σ gᵢ²) (rescaled when the squares
//! overflow) to a relative 10⁻¹² because the driver sums the squares in SIMD lanes (a different
//! order of rounding), and bit for bit with `Bounds::projected_gradient_norm` in a box. Every 50th
//! run is run twice and must give the same report (all fields but `elapsed`).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use anyhow::bail;
use clap::{Parser, ValueEnum};
use descent::bounds::Bounds;
use descent::driver::Progress;
use descent::problems::{ProblemConfig, registry};
use descent::{Convergence, Report, Status};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::args::{Cli, Command, LineSearchName, MethodName, MinimizeArgs, PresetName, SoakArgs};
use crate::minimize::{self, Setup};
use crate::output::{print_fields, print_json, print_table};

/// Every `DETERMINISM_EVERY`-th run is run twice and must give the same report.
pub const DETERMINISM_EVERY: u64 = 50;

/// Relative tolerance of `grad_norm` against √(Σ gᵢ²) re-evaluated: the driver sums the
/// squares in SIMD lanes, the check in order; the two differ by a few ulps per term.
pub const GRAD_NORM_RTOL: f64 = 1e-12;

/// One random `descent minimize` command.
#[derive(Debug, Clone)]
pub struct Draw {
    /// The seed it was drawn from.
    pub seed: u64,
    /// The arguments after `descent minimize`.
    pub args: Vec<String>,
    /// The method drawn.
    pub method: MethodName,
    /// The hyperparameter made invalid on purpose, if any.
    pub invalid: Option<&'static str>,
}

impl Draw {
    /// The command drawn from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed), args: Vec::new() };
        let (method, invalid) = g.draw();
        Self { seed, args: g.args, method, invalid }
    }

    /// The command as a shell line: `descent minimize ...`, arguments quoted where needed.
    #[must_use]
    pub fn command(&self) -> String {
        let mut line = String::from("descent minimize");
        for a in &self.args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        line
    }
}

/// `text` as one shell word.
fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:=/+".contains(c));
    if plain { text.to_owned() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}

/// The generator: a seeded RNG and the arguments drawn so far.
struct Gen {
    rng: ChaCha8Rng,
    args: Vec<String>,
}

/// Variable names: short, with digits and underscores, none a function name or `pi`.
const NAMES: &[&str] = &["x", "y", "z", "w", "u", "v", "a1", "b_2", "t", "q9", "_s", "Foo"];
/// The functions of the expression language.
const FUNCTIONS: &[&str] = &[
    "sin", "cos", "tan", "exp", "ln", "log", "sqrt", "abs", "tanh", "log10", "log2", "asin",
    "acos", "atan", "sinh", "cosh",
];
/// Constants in the number forms of the grammar.
const CONSTANTS: &[&str] =
    &["0", "1", "2", "3", "10", "0.5", ".5", "2.5", "1e-3", "2.5E2", "1.5e+1", "7.", "0.1", "100"];
/// Built-in problems whose dimension may be chosen.
const ANY_DIMENSION: &[&str] =
    &["ramp", "rosenbrock", "rastrigin", "tridiagonal", "random_quadratic"];

impl Gen {
    fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }
    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.uniform(lo.ln(), hi.ln()).exp()
    }
    /// An integer, log-uniform in [lo, hi].
    fn count(&mut self, lo: usize, hi: usize) -> usize {
        (self.log_uniform(lo as f64, hi as f64 + 1.0).floor() as usize).clamp(lo, hi)
    }
    fn flag(&mut self, name: &str, value: impl Into<String>) {
        self.args.push(format!("--{name}"));
        self.args.push(value.into());
    }
    fn switch(&mut self, name: &str) {
        self.args.push(format!("--{name}"));
    }

    /// Draws the whole command; returns the method and the hyperparameter made invalid.
    fn draw(&mut self) -> (MethodName, Option<&'static str>) {
        let n = self.target();
        let methods = MethodName::value_variants();
        let method = *self.pick(methods);
        self.flag("method", method.name());
        let bounds =
            if method.takes_bounds() && self.chance(0.75) { Some(self.bounds(n)) } else { None };
        self.start(n, bounds.as_deref());
        self.method_flags(method);
        self.stopping();
        let invalid = if self.chance(1.0 / 14.0) { Some(self.invalid(method)) } else { None };
        (method, invalid)
    }

    /// `--problem ...` or `--expr ...`; returns the dimension.
    fn target(&mut self) -> usize {
        if self.chance(0.25) {
            let spec = *self.pick(registry());
            self.flag("problem", spec.name);
            let mut dim = (spec.build)(&ProblemConfig::default()).map_or(2, |p| p.dim());
            for &p in spec.parameters {
                match p {
                    "dim" if ANY_DIMENSION.contains(&spec.name) && self.chance(0.8) => {
                        dim = match spec.name {
                            // Rosenbrock's sum pairs the coordinates.
                            "rosenbrock" => 2 * self.rng.random_range(1..=6),
                            "tridiagonal" => self.rng.random_range(1..=40),
                            _ => self.rng.random_range(1..=12),
                        };
                        self.flag("dim", dim.to_string());
                    }
                    "dim" if self.chance(0.2) => {
                        dim = 2;
                        self.flag("dim", "2");
                    }
                    "condition" if self.chance(0.6) => {
                        let c = self.log_uniform(1.0, 1e8);
                        self.flag("condition", short(c));
                    }
                    "slope" if self.chance(0.6) => {
                        let s = self.uniform(0.05, 5.0) * if self.chance(0.5) { -1.0 } else { 1.0 };
                        self.flag("slope", short(s));
                    }
                    "seed" if self.chance(0.6) => {
                        let s = self.rng.random_range(0..1000u32);
                        self.flag("seed", s.to_string());
                    }
                    _ => {}
                }
            }
            return dim;
        }
        let n = self.rng.random_range(1..=8usize);
        let mut pool: Vec<&str> = NAMES.to_vec();
        let mut vars = Vec::new();
        for _ in 0..n {
            let i = self.below(pool.len());
            vars.push(pool.swap_remove(i).to_owned());
        }
        let source = if self.chance(0.5) {
            let mut terms = Vec::new();
            for v in &vars {
                let c = *self.pick(&["1", "0.5", "3", "10", "0.01", "2.5E2"]);
                let a = short(self.uniform(-3.0, 3.0));
                terms.push(format!("{c}*({v} - ({a}))^2"));
            }
            let depth = self.rng.random_range(1..=3);
            let extra = self.expr(&vars, depth);
            let s = *self.pick(&["0.1", "1", "0.01"]);
            format!("{} + {s}*{extra}", terms.join(" + "))
        } else {
            let depth = self.rng.random_range(1..=5);
            let mut source = self.expr(&vars, depth);
            for v in &vars {
                if !uses(&source, v) {
                    let c = *self.pick(&["1", "0.5", "2"]);
                    source = format!("{source} + {c}*{v}^2");
                }
            }
            source
        };
        self.flag("expr", source);
        if self.chance(0.3) {
            let mut order = vars.clone();
            for i in (1..order.len()).rev() {
                let j = self.rng.random_range(0..=i);
                order.swap(i, j);
            }
            self.flag("vars", order.join(","));
        }
        n
    }

    /// An expression of depth at most `depth` over `vars`, each compound part parenthesised.
    fn expr(&mut self, vars: &[String], depth: u32) -> String {
        let leaf = depth == 0 || self.chance(0.1);
        if leaf {
            let r = self.unit();
            return if r < 0.65 {
                self.pick(vars).clone()
            } else if r < 0.95 {
                (*self.pick(CONSTANTS)).to_owned()
            } else {
                "pi".to_owned()
            };
        }
        let sp = if self.chance(0.5) { " " } else { "" };
        let r = self.unit();
        if r < 0.4 {
            let op = *self.pick(&["+", "-", "*", "*", "/"]);
            let (a, b) = (self.expr(vars, depth - 1), self.expr(vars, depth - 1));
            format!("({a}{sp}{op}{sp}{b})")
        } else if r < 0.6 {
            let f = *self.pick(FUNCTIONS);
            let a = self.expr(vars, depth - 1);
            format!("{f}({a})")
        } else if r < 0.8 {
            let base = self.expr(vars, depth - 1);
            let base = if base.starts_with('(') || !base.contains(['+', '-', '*', '/', '^']) {
                base
            } else {
                format!("({base})")
            };
            let e = self.unit();
            let exponent = if e < 0.6 {
                let k = self.rng.random_range(-3..=4i32);
                if k < 0 && self.chance(0.5) { format!("({k})") } else { k.to_string() }
            } else if e < 0.85 {
                (*self.pick(&["0.5", "1.5", "2.5", "pi"])).to_owned()
            } else {
                format!("({})", self.expr(vars, depth - 1))
            };
            format!("{base}{sp}^{sp}{exponent}")
        } else if r < 0.9 {
            format!("(-{})", self.expr(vars, depth - 1))
        } else {
            let a = self.expr(vars, depth - 1);
            let c = *self.pick(CONSTANTS);
            format!("({c}{sp}*{sp}{a})")
        }
    }

    /// A random box of dimension n: one pair for every coordinate, or one per coordinate.
    fn bounds(&mut self, n: usize) -> Vec<(f64, f64)> {
        let pairs = if self.chance(0.3) { 1 } else { n };
        let mut out = Vec::new();
        for _ in 0..pairs {
            let lo = short(self.uniform(-5.0, 2.0)).parse().unwrap_or(0.0);
            let width = if self.chance(0.05) { 0.0 } else { self.uniform(0.0, 6.0) };
            let hi: f64 = short(lo + width).parse().unwrap_or(lo);
            let hi = hi.max(lo);
            let lo = if self.chance(0.15) { f64::NEG_INFINITY } else { lo };
            let hi = if self.chance(0.15) { f64::INFINITY } else { hi };
            out.push((lo, hi));
        }
        let text: Vec<String> =
            out.iter().map(|(l, h)| format!("{}:{}", bound(*l), bound(*h))).collect();
        self.flag("bounds", text.join(","));
        if pairs == 1 { vec![out[0]; n] } else { out }
    }

    /// `--x0`, or none (the default start).
    fn start(&mut self, n: usize, bounds: Option<&[(f64, f64)]>) {
        let r = self.unit();
        if r < 0.2 {
            return;
        }
        let x: Vec<f64> = (0..n)
            .map(|i| match (r, bounds) {
                (r, Some(b)) if r >= 0.85 => {
                    let (lo, hi) = b[i];
                    let finite = |v: f64, other: f64| if v.is_finite() { v } else { other };
                    match self.below(4) {
                        0 => finite(lo, -7.0),
                        1 => finite(hi, 7.0),
                        2 => finite(lo, -7.0) - self.uniform(0.0, 3.0),
                        _ => finite(hi, 7.0) + self.uniform(0.0, 3.0),
                    }
                }
                (r, _) if r < 0.5 => self.uniform(-0.5, 0.5),
                (r, _) if r < 0.7 => self.uniform(-5.0, 5.0),
                _ => {
                    let sign = if self.chance(0.5) { -1.0 } else { 1.0 };
                    sign * self.log_uniform(1e2, 1e6)
                }
            })
            .collect();
        let text: Vec<String> = x.iter().map(|v| short(*v)).collect();
        self.flag("x0", text.join(","));
    }

    /// The flags of `method` (each given or left to its default at random).
    fn method_flags(&mut self, method: MethodName) {
        use MethodName as M;
        if method.takes_learning_rate() && self.chance(0.7) {
            let lr = self.log_uniform(1e-5, 3.0);
            self.flag("lr", short(lr));
        }
        let mut armijo = false;
        if matches!(method, M::Bfgs | M::NewtonCg) && self.chance(0.25) {
            // scipy's own BFGS or Newton-CG: the line search is the preset's.
            self.flag("preset", "scipy");
        } else if matches!(method, M::Gd | M::Bfgs | M::Lbfgs | M::Newton | M::NewtonCg) {
            let ls = *self.pick(LineSearchName::value_variants());
            if ls != LineSearchName::None || self.chance(0.3) {
                let name =
                    ls.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
                self.flag("line-search", name);
            }
            armijo = match method {
                M::Gd => ls == LineSearchName::Armijo,
                _ => matches!(ls, LineSearchName::None | LineSearchName::Armijo),
            };
        }
        if armijo {
            if self.chance(0.3) {
                let c1 = self.log_uniform(1e-6, 0.5);
                self.flag("c1", short(c1));
            }
            if self.chance(0.3) {
                let a = self.uniform(0.01, 0.5);
                let b = self.uniform(a, 0.95);
                self.flag("shrink-min", short(a));
                self.flag("shrink-max", short(b));
            }
            if self.chance(0.3) {
                let growth = self.uniform(1.0, 4.0);
                self.flag("growth", short(growth));
            }
            if self.chance(0.3) {
                let trials = self.count(1, 60);
                self.flag("max-trials", trials.to_string());
            }
        }
        if method == M::ProjectedGd {
            if self.chance(0.3) {
                let c1 = self.log_uniform(1e-6, 0.5);
                self.flag("c1", short(c1));
            }
            if self.chance(0.3) {
                let trials = self.count(1, 60);
                self.flag("max-trials", trials.to_string());
            }
        }
        if matches!(method, M::Lbfgs | M::Lbfgsb) && self.chance(0.5) {
            let m = self.count(1, 20);
            self.flag("memory", m.to_string());
        }
        if matches!(method, M::TrustNcg | M::Dogleg) {
            // Valid when 0 < initial_radius < max_radius (defaults 1 and 1000).
            let mut initial = 1.0;
            if self.chance(0.4) {
                initial = short(self.log_uniform(1e-3, 10.0)).parse().unwrap_or(1.0);
                self.flag("initial-radius", short(initial));
            }
            if self.chance(0.4) {
                let max = initial * self.log_uniform(1.5, 1e3);
                self.flag("max-radius", short(max));
            }
            if self.chance(0.4) {
                let eta = self.uniform(0.0, 0.24);
                self.flag("eta", short(eta));
            }
        }
        let first_order = method.takes_learning_rate() && method != M::Gd;
        if !first_order {
            return;
        }
        if self.chance(0.5) {
            let preset = *self.pick(&["torch", "optax"]);
            self.flag("preset", preset);
        }
        let momentum = matches!(
            method,
            M::HeavyBall | M::Momentum | M::Nesterov | M::NesterovLookAhead | M::Rmsprop
        );
        if momentum && self.chance(0.5) {
            let m = self.uniform(0.0, 0.99);
            self.flag("momentum", short(m));
        }
        if method == M::Momentum && self.chance(0.3) {
            let d = self.uniform(0.0, 0.5);
            self.flag("dampening", short(d));
        }
        let adam = method.is_adam_family();
        if (adam || method == M::Lion) && self.chance(0.4) {
            let b1 = self.uniform(0.0, 0.99);
            let b2 = self.uniform(0.9, 0.9999);
            self.flag("beta1", short(b1));
            self.flag("beta2", short(b2));
        }
        if (adam || matches!(method, M::Adagrad | M::Rmsprop | M::Adadelta)) && self.chance(0.3) {
            let eps = self.log_uniform(1e-12, 1e-3);
            self.flag("eps", short(eps));
        }
        if matches!(method, M::Rmsprop | M::Adadelta) && self.chance(0.4) {
            let d = self.uniform(0.5, 0.999);
            self.flag("decay", short(d));
        }
        if method == M::Rmsprop && self.chance(0.3) {
            self.switch("centered");
        }
        if method == M::Adagrad && self.chance(0.3) {
            let a = self.uniform(0.0, 1.0);
            self.flag("initial-accumulator", short(a));
        }
        if !matches!(method, M::HeavyBall | M::NesterovLookAhead) && self.chance(0.25) {
            let wd = self.uniform(0.0, 0.1);
            self.flag("weight-decay", short(wd));
        }
        if self.chance(0.25) {
            let spec = match self.below(7) {
                0 => "constant".to_owned(),
                1 => format!(
                    "step:step_size={},gamma={}",
                    self.count(1, 100),
                    short(self.uniform(0.1, 1.0))
                ),
                2 => format!("exponential:gamma={}", short(self.uniform(0.9, 1.0))),
                3 => format!("inverse_time:decay={}", short(self.uniform(0.0, 1.0))),
                4 => format!(
                    "polynomial:steps={},power={}",
                    self.count(1, 500),
                    short(self.uniform(0.5, 3.0))
                ),
                5 => {
                    let w = self.count(1, 50);
                    format!("warmup_cosine:warmup_steps={w},decay_steps={}", w + self.count(1, 500))
                }
                _ => {
                    // Valid when pct_start·total_steps > 1: both phases have a step.
                    let pct = short(self.uniform(0.05, 0.95));
                    let least = (1.0 / pct.parse::<f64>().unwrap_or(0.5)).floor() as usize + 1;
                    format!(
                        "one_cycle:total_steps={},pct_start={pct}",
                        least + self.count(1, 500) - 1
                    )
                }
            };
            self.flag("schedule", spec);
        }
    }

    /// The stopping rules.
    fn stopping(&mut self) {
        let max_iter = self.count(1, 500);
        self.flag("max-iter", max_iter.to_string());
        match self.below(7) {
            0 => self.flag("gtol", "0"),
            1 => {}
            _ => {
                let g = self.log_uniform(1e-10, 1e-2);
                self.flag("gtol", short(g));
            }
        }
        let optional: [(&str, f64, f64, f64); 6] = [
            ("gtol-inf", 0.15, 1e-8, 1e-2),
            ("gtol-rel", 0.1, 1e-8, 1e-1),
            ("ftol", 0.15, 1e-14, 1e-4),
            ("ftol-rel", 0.1, 1e-14, 1e-4),
            ("xtol", 0.15, 1e-12, 1e-4),
            ("xtol-l1", 0.1, 1e-12, 1e-4),
        ];
        for (name, p, lo, hi) in optional {
            if self.chance(p) {
                let v = if self.chance(0.15) { 0.0 } else { self.log_uniform(lo, hi) };
                self.flag(name, short(v));
            }
        }
        if self.chance(0.2) {
            let m = if self.chance(0.05) { 0 } else { self.count(1, 1000) };
            self.flag("max-evals", m.to_string());
        }
        match self.below(10) {
            0 => self.flag("divergence", "0"),
            1 => {
                let d = self.log_uniform(1.0, 1e10);
                self.flag("divergence", short(d));
            }
            _ => {}
        }
        if self.chance(0.1) {
            let u = -self.log_uniform(1e3, 1e12);
            self.flag("unbounded-value", short(u));
        }
        match self.below(10) {
            0 => self.flag("unbounded-window", "0"),
            1 => {
                let w = self.count(1, 20);
                self.flag("unbounded-window", w.to_string());
            }
            _ => {}
        }
    }

    /// Sets one hyperparameter out of its range (replacing the flag if it was drawn: clap
    /// refuses a repeated flag). Returns its name.
    fn invalid(&mut self, method: MethodName) -> &'static str {
        use MethodName as M;
        let adam = method.is_adam_family();
        let mut choices: Vec<(&'static str, &'static str)> =
            vec![("gtol", "-1"), ("ftol", "-0.5"), ("xtol", "nan")];
        if method.takes_learning_rate() {
            choices.push(("lr", "-0.1"));
            choices.push(("lr", "0"));
        }
        if matches!(method, M::Lbfgs | M::Lbfgsb) {
            choices.push(("memory", "0"));
        }
        if adam || method == M::Lion {
            choices.push(("beta1", "1.5"));
            choices.push(("beta2", "-0.1"));
        }
        if adam || matches!(method, M::Adagrad | M::Rmsprop | M::Adadelta) {
            choices.push(("eps", "-1"));
        }
        if matches!(method, M::HeavyBall | M::Momentum | M::Nesterov | M::NesterovLookAhead) {
            choices.push(("momentum", "-0.5"));
        }
        if matches!(method, M::Rmsprop | M::Adadelta) {
            choices.push(("decay", "1.5"));
        }
        if matches!(method, M::TrustNcg | M::Dogleg) {
            choices.push(("initial-radius", "-1"));
            choices.push(("eta", "0.9"));
        }
        if method.takes_learning_rate() && method != M::Gd {
            choices.push(("schedule", "step:step_size=10,gamma=-1"));
        }
        let (name, value) = *self.pick(&choices);
        let flag = format!("--{name}");
        if let Some(i) = self.args.iter().position(|a| *a == flag) {
            self.args.drain(i..i + 2);
        }
        self.flag(name, value);
        name
    }
}

/// Whether `source` uses the variable `name` (as a whole word).
fn uses(source: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    source.match_indices(name).any(|(i, _)| {
        let before = source[..i].chars().next_back();
        let after = source[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// A number in 4 significant digits (shorter command lines; the run uses what is printed).
fn short(v: f64) -> String {
    let s = format!("{v:.3e}");
    let parsed: f64 = s.parse().unwrap_or(v);
    format!("{parsed:?}")
}

/// A bound as `--bounds` spells it.
fn bound(v: f64) -> String {
    if v == f64::INFINITY {
        "inf".into()
    } else if v == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{v:?}")
    }
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The check's name (`value_is_f_of_x`, ...).
    pub check: &'static str,
    /// What was seen.
    pub message: String,
}

/// How one run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A report, with its status.
    Report(Status),
    /// A typed error, by kind (the `descent::Error` variant, or `cli` for the command's own).
    Error(String),
    /// A panic, with its message.
    Panic(String),
}

/// One run of the soak.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// What was drawn.
    pub draw: Draw,
    /// How it ended.
    pub outcome: Outcome,
    /// The invariants it broke.
    pub violations: Vec<Violation>,
}

/// The iterates an observer saw: the first, and the last two.
#[derive(Debug, Default)]
struct Seen {
    first_value: Option<f64>,
    last: Option<(usize, Vec<f64>, f64)>,
    before_last: Option<(usize, Vec<f64>, f64)>,
}

impl Seen {
    fn observe(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        self.first_value.get_or_insert(p.value);
        let mut row = self.before_last.take().unwrap_or_default();
        row.0 = p.iteration;
        row.1.clear();
        row.1.extend_from_slice(p.x);
        row.2 = p.value;
        self.before_last = self.last.replace(row);
        ControlFlow::Continue(())
    }
}

/// Runs the draw of `seed` and checks its report; `tamper` may alter the report before the
/// checks (the test that the checks catch a broken report).
#[must_use]
pub fn run_seed(seed: u64, tamper: &dyn Fn(&mut Report)) -> RunResult {
    let draw = Draw::new(seed);
    let first = catch_unwind(AssertUnwindSafe(|| execute(&draw, tamper)));
    let (outcome, mut violations, report) = match first {
        Ok(r) => r,
        Err(payload) => (Outcome::Panic(panic_message(payload.as_ref())), Vec::new(), None),
    };
    if let Some(report) = report.filter(|_| seed.is_multiple_of(DETERMINISM_EVERY)) {
        match catch_unwind(AssertUnwindSafe(|| execute(&draw, &|_| {}))) {
            Ok((_, _, Some(again))) if same_report(&report, &again) => {}
            Ok((o, _, _)) => violations.push(Violation {
                check: "deterministic",
                message: format!("the same seed gave a different report ({o:?})"),
            }),
            Err(payload) => violations.push(Violation {
                check: "deterministic",
                message: format!("the rerun panicked: {}", panic_message(payload.as_ref())),
            }),
        }
    }
    RunResult { draw, outcome, violations }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".into())
}

/// Two reports equal in every field but `elapsed`, floats compared bit for bit.
fn same_report(a: &Report, b: &Report) -> bool {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    bits(&a.x) == bits(&b.x)
        && a.value.to_bits() == b.value.to_bits()
        && a.grad_norm.to_bits() == b.grad_norm.to_bits()
        && a.iterations == b.iterations
        && a.evaluations == b.evaluations
        && a.status == b.status
        && a.critical_point == b.critical_point
        && a.critical_point_hessians == b.critical_point_hessians
}

/// The error's kind: the `descent::Error` variant in its chain, else `cli`.
fn error_kind(error: &anyhow::Error) -> String {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<descent::Error>() {
            let debug = format!("{e:?}");
            return debug.chars().take_while(char::is_ascii_alphanumeric).collect();
        }
    }
    "cli".into()
}

/// What the run was asked, as the checks need it.
pub struct Context<'a> {
    /// The setup `descent minimize` built.
    pub setup: &'a Setup,
    /// The method's box, for the bounded methods.
    pub bounds: Option<Bounds>,
    /// Whether the method evaluates Hessians (or Hessian-vector products).
    pub second_order: bool,
    /// Whether one iteration may cost no evaluation: scipy's zero step of `newton-cg
    /// --preset scipy` at a point stationary to working precision.
    pub free_zero_step: bool,
}

fn execute(draw: &Draw, tamper: &dyn Fn(&mut Report)) -> (Outcome, Vec<Violation>, Option<Report>) {
    let fail = |check, message: String| vec![Violation { check, message }];
    let argv =
        ["descent", "minimize"].into_iter().map(String::from).chain(draw.args.iter().cloned());
    let args: MinimizeArgs = match Cli::try_parse_from(argv) {
        Ok(Cli { command: Command::Minimize(args), .. }) => *args,
        Ok(_) => unreachable!("the argv starts with minimize"),
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default().to_owned();
            return (Outcome::Error("clap".into()), fail("argv_parses", first), None);
        }
    };
    let setup = match Setup::new(&args) {
        Ok(s) => s,
        Err(e) => return error_outcome(draw, &e, None),
    };
    let mut seen = Seen::default();
    let mut observer = |p: &Progress<'_>| seen.observe(p);
    let solution = match minimize::solve(&args, &setup, &mut observer) {
        Ok(s) => s,
        Err(e) => return error_outcome(draw, &e, Some(&setup)),
    };
    let mut report = solution.report;
    tamper(&mut report);
    let method = args.method.method;
    let bounds =
        if method.takes_bounds() { args.method.box_bounds(setup.x0.len()).ok() } else { None };
    let context = Context {
        setup: &setup,
        bounds,
        second_order: matches!(
            method,
            MethodName::Newton | MethodName::NewtonCg | MethodName::TrustNcg | MethodName::Dogleg
        ),
        free_zero_step: method == MethodName::NewtonCg
            && args.method.first_order.preset == PresetName::Scipy,
    };
    let mut violations = check_report(&context, &report);
    violations.extend(check_path(&context, &report, &seen));
    if let Some(name) = draw.invalid {
        violations.push(Violation {
            check: "invalid_rejected",
            message: format!("--{name} out of range was accepted: the run ended {}", report.status),
        });
    }
    (Outcome::Report(report.status), violations, Some(report))
}

/// The start the driver evaluates: x₀, projected into the box of a bounded method.
fn effective_start(context: &Context<'_>) -> Vec<f64> {
    let mut x0 = context.setup.x0.clone();
    if let Some(b) = context.bounds.as_ref().filter(|b| b.dim() == x0.len()) {
        b.project(&mut x0);
    }
    x0
}

/// Whether an error is one the draw may end in.
fn error_outcome(
    draw: &Draw,
    error: &anyhow::Error,
    setup: Option<&Setup>,
) -> (Outcome, Vec<Violation>, Option<Report>) {
    let kind = error_kind(error);
    let mut violations = Vec::new();
    let start_not_finite = setup.filter(|s| s.x0.len() == s.target.dim()).map(|s| {
        let bounds = if draw.method.takes_bounds() {
            // The box as the method got it (the setup does not keep it).
            let argv = ["descent", "minimize"]
                .into_iter()
                .map(String::from)
                .chain(draw.args.iter().cloned());
            match Cli::try_parse_from(argv) {
                Ok(Cli { command: Command::Minimize(a), .. }) => {
                    a.method.box_bounds(s.x0.len()).ok()
                }
                _ => None,
            }
        } else {
            None
        };
        let context = Context { setup: s, bounds, second_order: false, free_zero_step: false };
        let x0 = effective_start(&context);
        let mut g = vec![0.0; x0.len()];
        let v = s.target.value_grad(&x0, &mut g);
        !(v.is_finite() && g.iter().all(|g| g.is_finite()))
    });
    let expected = match (kind.as_str(), draw.invalid) {
        ("NonFiniteStart", _) => {
            if start_not_finite != Some(true) {
                violations.push(Violation {
                    check: "non_finite_start_is_true",
                    message: format!("NonFiniteStart, but f and ∇f are finite at x₀: {error:#}"),
                });
            }
            true
        }
        ("InvalidHyperparameter", Some(_)) => true,
        (_, Some(name)) => {
            violations.push(Violation {
                check: "invalid_rejected_as_such",
                message: format!("--{name} out of range gave {kind}: {error:#}"),
            });
            true
        }
        _ => false,
    };
    if !expected {
        violations.push(Violation {
            check: "expected_error",
            message: format!("unexpected {kind}: {error:#}"),
        });
    }
    (Outcome::Error(kind), violations, None)
}

/// The checks of one report, by name:
///
/// * `x_dimension`, `x_finite`, `x_in_box`: x has n finite coordinates, inside the box;
/// * `value_is_f_of_x`: `value` is f(x) re-evaluated, bit for bit; `value_finite` unless the
///   status is `unbounded_below`; `grad_norm_finite` where f and ∇f are;
/// * `grad_norm_is_norm_of_gradient`: √(Σ gᵢ²) to [`GRAD_NORM_RTOL`], or
///   ‖P(x − ∇f) − x‖₂ bit for bit in a box;
/// * `iterations_within_max_iter`, `max_iterations_means_max_iter`,
///   `max_evaluations_reached` (and `max_evaluations_before_max_iter`);
/// * `gradient_test_fired`, `relative_gradient_test_fired`: the gradient rule that the status
///   names holds at x (∞-norm for `gtol_inf`);
/// * `failure_iteration`: a failure at iteration k = iterations + 1 (the report keeps the last
///   good iterate); `diverged`: k = iterations and f − f₀ > divergence·max(1, |f₀|);
///   `unbounded_below` is checked against the path ([`check_path`]);
/// * `evaluations_cover_iterations`: values ≥ 1 + iterations (+1 for the evaluation that was
///   not finite, −1 for scipy's free zero step), gradients ≤ values, no Hessians for
///   first-order and quasi-Newton methods;
/// * `critical_point_when_converged`: a verdict only for a converged run without a box;
/// * `status_has_a_cause`: no `stopped` or `time_limit` (the soak sets neither).
#[must_use]
pub fn check_report(context: &Context<'_>, report: &Report) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut check = |ok: bool, check: &'static str, message: String| {
        if !ok {
            out.push(Violation { check, message });
        }
    };
    let options = &context.setup.options;
    let target = &context.setup.target;
    let n = context.setup.x0.len();
    let x = &report.x;
    check(x.len() == n, "x_dimension", format!("x has {} coordinates, the problem {n}", x.len()));
    if x.len() != n {
        return out;
    }
    check(x.iter().all(|v| v.is_finite()), "x_finite", format!("x = {x:?}"));
    if let Some(b) = &context.bounds {
        check(b.contains(x), "x_in_box", format!("x = {x:?} outside the box"));
    }
    let mut g = vec![0.0; n];
    let f = target.value_grad(x, &mut g);
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    check(
        same(f, report.value),
        "value_is_f_of_x",
        format!("value = {:e}, f(x) = {f:e}", report.value),
    );
    check(
        report.value.is_finite() || report.status == Status::UnboundedBelow,
        "value_finite",
        format!("value = {} with status {}", report.value, report.status),
    );
    let (norm, norm_inf) = match &context.bounds {
        Some(b) => (b.projected_gradient_norm(x, &g), b.projected_gradient_norm_inf(x, &g)),
        None => (robust_norm(&g), g.iter().fold(0.0_f64, |m, v| m.max(v.abs()))),
    };
    let close = if context.bounds.is_some() {
        same(norm, report.grad_norm)
    } else {
        same(norm, report.grad_norm)
            || (norm - report.grad_norm).abs()
                <= GRAD_NORM_RTOL * norm.abs().max(report.grad_norm.abs())
    };
    check(
        report.grad_norm.is_finite()
            || !(report.value.is_finite() && g.iter().all(|v| v.is_finite())),
        "grad_norm_finite",
        format!("grad_norm = {} with a finite gradient at a finite value", report.grad_norm),
    );
    check(
        close,
        "grad_norm_is_norm_of_gradient",
        format!("grad_norm = {:e}, re-evaluated {norm:e}", report.grad_norm),
    );
    let k = report.iterations;
    check(
        k <= options.max_iter,
        "iterations_within_max_iter",
        format!("{k} iterations, max_iter {}", options.max_iter),
    );
    let mut x0 = effective_start(context);
    let mut g0 = vec![0.0; n];
    let f0 = target.value_grad(&x0, &mut g0);
    let g0_norm = match &context.bounds {
        Some(b) => b.projected_gradient_norm(&x0, &g0),
        None => robust_norm(&g0),
    };
    x0.clear();
    let e = report.evaluations;
    let mut least_values = 1 + k - usize::from(context.free_zero_step && k > 0);
    match report.status {
        Status::MaxIterations => check(
            k == options.max_iter,
            "max_iterations_means_max_iter",
            format!("max_iterations after {k} iterations, max_iter {}", options.max_iter),
        ),
        Status::MaxEvaluations => {
            check(
                e.value >= options.max_evals,
                "max_evaluations_reached",
                format!("{} values, max_evals {}", e.value, options.max_evals),
            );
            check(
                k < options.max_iter,
                "max_evaluations_before_max_iter",
                format!("max_evaluations at {k} = max_iter iterations (max_iter is tested first)"),
            );
        }
        Status::Converged(Convergence::GradientNorm) => check(
            (options.gtol > 0.0 && report.grad_norm <= options.gtol)
                || (options.gtol_inf > 0.0 && norm_inf <= options.gtol_inf),
            "gradient_test_fired",
            format!(
                "grad_norm {:e} (∞-norm {norm_inf:e}), gtol {:e}, gtol_inf {:e}",
                report.grad_norm, options.gtol, options.gtol_inf
            ),
        ),
        Status::Converged(Convergence::RelativeGradientNorm) => check(
            options.gtol_rel > 0.0 && report.grad_norm <= options.gtol_rel * g0_norm,
            "relative_gradient_test_fired",
            format!(
                "grad_norm {:e}, gtol_rel {:e} · ‖∇f(x₀)‖ {g0_norm:e}",
                report.grad_norm, options.gtol_rel
            ),
        ),
        Status::Converged(rule) => check(
            k >= 1
                && match rule {
                    Convergence::ValueChange => options.ftol > 0.0,
                    Convergence::RelativeValueChange => options.ftol_rel > 0.0,
                    _ => options.xtol > 0.0 || options.xtol_l1 > 0.0,
                },
            "step_test_enabled",
            format!("converged by {} after {k} iterations with its tolerance off", rule.name()),
        ),
        Status::NonFinite { iteration }
        | Status::LineSearchFailed { iteration }
        | Status::TrustRegionCollapsed { iteration } => {
            check(
                iteration == k + 1,
                "failure_iteration",
                format!("{} with {k} iterations", report.status),
            );
            if matches!(report.status, Status::NonFinite { .. }) {
                least_values += 1;
            }
        }
        Status::Diverged { iteration } => check(
            iteration == k
                && options.divergence > 0.0
                && report.value - f0 > options.divergence * f0.abs().max(1.0),
            "diverged",
            format!(
                "diverged at {iteration} after {k} iterations: f {:e}, f₀ {f0:e}, divergence {:e}",
                report.value, options.divergence
            ),
        ),
        // The ray verdict is checked in `check_path`, which has the last step.
        Status::UnboundedBelow => {}
        other => check(false, "status_has_a_cause", format!("status {other} without its cause")),
    }
    check(
        e.value >= least_values && e.gradient <= e.value,
        "evaluations_cover_iterations",
        format!("{e:?} for {k} iterations, status {}", report.status),
    );
    check(
        context.second_order || e.hessian == 0,
        "evaluations_cover_iterations",
        format!("{} Hessians from a method without them", e.hessian),
    );
    let classified = report.status.is_converged() && context.bounds.is_none();
    check(
        classified || (report.critical_point.is_none() && report.critical_point_hessians == 0),
        "critical_point_when_converged",
        format!(
            "critical_point {:?} ({} Hessians) with status {}{}",
            report.critical_point,
            report.critical_point_hessians,
            report.status,
            if context.bounds.is_some() { " in a box" } else { "" }
        ),
    );
    out
}

/// The checks against the path the observer saw: it starts at f(x₀) (`start_value`), ends at
/// the report (`path_ends_at_report`), the step rule the status names holds for the last
/// step (`value_change_test_fired`, `relative_value_change_test_fired`,
/// `step_size_test_fired`), and `unbounded_below`: f ≤ `unbounded_value`, or the last step
/// went down and f falls without bound along its ray ([`ray_falls`]).
fn check_path(context: &Context<'_>, report: &Report, seen: &Seen) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut check = |ok: bool, check: &'static str, message: String| {
        if !ok {
            out.push(Violation { check, message });
        }
    };
    let options = &context.setup.options;
    let x0 = effective_start(context);
    let mut g0 = vec![0.0; x0.len()];
    let f0 = context.setup.target.value_grad(&x0, &mut g0);
    check(
        seen.first_value.is_some_and(|v| v.to_bits() == f0.to_bits()),
        "start_value",
        format!("first observed value {:?}, f(x₀) {f0:e}", seen.first_value),
    );
    let Some((k, x, value)) = &seen.last else {
        check(false, "path_ends_at_report", "no iterate observed".into());
        return out;
    };
    if report.value != f64::NEG_INFINITY {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        check(
            *k == report.iterations
                && bits(x) == bits(&report.x)
                && value.to_bits() == report.value.to_bits(),
            "path_ends_at_report",
            format!(
                "last observed iterate {k} (f {value:e}), report {} iterations (f {:e})",
                report.iterations, report.value
            ),
        );
    }
    let Some((_, x_prev, f_prev)) = &seen.before_last else {
        check(
            report.status != Status::UnboundedBelow || report.value <= options.unbounded_value,
            "unbounded_below",
            format!("unbounded below at f {:e} without a step", report.value),
        );
        return out;
    };
    if report.status == Status::UnboundedBelow {
        check(
            report.value <= options.unbounded_value
                || (value < f_prev && ray_falls(context, x_prev, x, *value)),
            "unbounded_below",
            format!(
                "unbounded below at f {:e} (previous {f_prev:e}, f₀ {f0:e}, unbounded_value {:e}), \
                 but f does not fall without bound along the last step's ray",
                report.value, options.unbounded_value
            ),
        );
    }
    let change = (f_prev - value).abs();
    let step = x.iter().zip(x_prev).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    let step_l1 = x.iter().zip(x_prev).map(|(a, b)| (a - b).abs()).sum::<f64>();
    match report.status {
        Status::Converged(Convergence::ValueChange) => check(
            change <= options.ftol,
            "value_change_test_fired",
            format!("|Δf| = {change:e}, ftol {:e}", options.ftol),
        ),
        Status::Converged(Convergence::RelativeValueChange) => check(
            change <= options.ftol_rel * f_prev.abs().max(value.abs()),
            "relative_value_change_test_fired",
            format!("|Δf| = {change:e}, ftol_rel {:e}, f {value:e}", options.ftol_rel),
        ),
        Status::Converged(Convergence::StepSize) => check(
            step <= options.xtol * (1.0 + GRAD_NORM_RTOL)
                || step_l1 <= options.xtol_l1 * (1.0 + GRAD_NORM_RTOL),
            "step_size_test_fired",
            format!(
                "‖Δx‖ = {step:e}, xtol {:e}; ‖Δx‖₁ = {step_l1:e}, xtol_l1 {:e}",
                options.xtol, options.xtol_l1
            ),
        ),
        _ => {}
    }
    out
}

/// ‖v‖₂ summed in order, rescaled by maxᵢ |vᵢ| when the squares overflow (the reference the
/// reported `grad_norm` is held to).
fn robust_norm(v: &[f64]) -> f64 {
    let squares = v.iter().map(|a| a * a).sum::<f64>();
    let m = v.iter().fold(0.0_f64, |m, a| m.max(a.abs()));
    if squares.is_finite() || !m.is_finite() || m == 0.0 {
        return squares.sqrt();
    }
    m * v.iter().map(|a| (a / m) * (a / m)).sum::<f64>().sqrt()
}

/// The ray test of the driver's docs, re-done: from x along s = x − x_prev, f(x + t·s) at
/// t = 4, 16, 64, … (projected into the box) keeps falling, its average slope never flattens
/// to less than half the first one, and it reaches `unbounded_value` or a distance of
/// 10²⁰·max(1, ‖x‖).
fn ray_falls(context: &Context<'_>, x_prev: &[f64], x: &[f64], f: f64) -> bool {
    const FAR: f64 = 1e20;
    let options = &context.setup.options;
    let step_norm = x.iter().zip(x_prev).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
    let reach = FAR * x.iter().map(|v| v * v).sum::<f64>().sqrt().max(1.0);
    let (mut last, mut first_slope, mut t) = (f, None, 1.0_f64);
    let mut probe = vec![0.0; x.len()];
    while t * step_norm < reach {
        t *= 4.0;
        for ((p, a), b) in probe.iter_mut().zip(x).zip(x_prev) {
            *p = a + t * (a - b);
        }
        if let Some(b) = &context.bounds {
            b.project(&mut probe);
        }
        let value = context.setup.target.value(&probe);
        if value == f64::NEG_INFINITY {
            return true;
        }
        if !(value < last) {
            return false;
        }
        let slope = (value - f) / t;
        match first_slope {
            None => first_slope = Some(slope),
            Some(first) if slope > 0.5 * first => return false,
            Some(_) => {}
        }
        if value <= options.unbounded_value {
            return true;
        }
        last = value;
    }
    true
}

/// A failure: a panic or a violation, with the seed and the command that reproduces it.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The run's seed (`--seed S --runs 1` repeats it).
    pub seed: u64,
    /// The `descent minimize` command of the draw.
    pub command: String,
    /// What went wrong: `panic: ...` or `check: message`.
    pub what: String,
}

/// The figures of a soak.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SoakSummary {
    /// Runs made.
    pub runs: u64,
    /// Runs that panicked.
    pub panics: u64,
    /// Invariant violations (a run may break several).
    pub violations: u64,
    /// Runs made invalid on purpose (each must end in a typed error).
    pub deliberately_invalid: u64,
    /// Typed errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// Statuses by name (`converged:gradient_norm`, `max_iterations`, ...).
    pub statuses: BTreeMap<String, u64>,
    /// Runs per method.
    pub methods: BTreeMap<String, u64>,
    /// Wall time in seconds.
    pub elapsed_s: f64,
    /// Every panic and violation.
    pub failures: Vec<Failure>,
}

impl SoakSummary {
    /// Adds one run.
    pub fn add(&mut self, run: &RunResult) {
        self.runs += 1;
        *self.methods.entry(run.draw.method.name()).or_default() += 1;
        if run.draw.invalid.is_some() {
            self.deliberately_invalid += 1;
        }
        let command = run.draw.command();
        match &run.outcome {
            Outcome::Report(status) => {
                let name = match status.reason() {
                    Some(rule) => format!("converged:{}", rule.name()),
                    None => status.name().to_owned(),
                };
                *self.statuses.entry(name).or_default() += 1;
            }
            Outcome::Error(kind) => *self.errors.entry(kind.clone()).or_default() += 1,
            Outcome::Panic(message) => {
                self.panics += 1;
                let what = format!("panic: {message}");
                self.failures.push(Failure { seed: run.draw.seed, command: command.clone(), what });
            }
        }
        for v in &run.violations {
            self.violations += 1;
            let what = format!("{}: {}", v.check, v.message);
            self.failures.push(Failure { seed: run.draw.seed, command: command.clone(), what });
        }
    }
}

/// Runs `runs` draws from seeds `seed`, `seed + 1`, …; with `verbose`, one line per run on
/// stderr.
#[must_use]
pub fn soak(runs: u64, seed: u64, verbose: bool) -> SoakSummary {
    let started = Instant::now();
    let mut summary = SoakSummary::default();
    // A panic is caught and counted; its message goes into the report, not to stderr.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..runs {
        let s = seed.wrapping_add(i);
        let run = run_seed(s, &|_| {});
        if verbose {
            eprintln!("seed {s}: {:?} {}", run.outcome, run.draw.command());
        }
        summary.add(&run);
    }
    std::panic::set_hook(hook);
    summary.elapsed_s = started.elapsed().as_secs_f64();
    summary
}

/// Runs `descent bench soak`.
///
/// # Errors
/// When any run panicked or broke an invariant (after printing the summary).
pub fn run(args: &SoakArgs) -> anyhow::Result<()> {
    let summary = soak(args.runs, args.seed, args.verbose);
    if args.json {
        print_json(&summary)?;
    } else {
        let counts = |m: &BTreeMap<String, u64>| {
            m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
        };
        print_fields(&[
            ("runs", summary.runs.to_string()),
            ("panics", summary.panics.to_string()),
            ("violations", summary.violations.to_string()),
            ("invalid on purpose", summary.deliberately_invalid.to_string()),
            ("errors", counts(&summary.errors)),
            ("elapsed", format!("{:.2} s", summary.elapsed_s)),
        ]);
        println!();
        let rows: Vec<Vec<String>> =
            summary.statuses.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect();
        print_table(&["status", "runs"], &rows);
        println!();
        let rows: Vec<Vec<String>> =
            summary.methods.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect();
        print_table(&["method", "runs"], &rows);
        for f in &summary.failures {
            println!("\nseed {}: {}\n  {}", f.seed, f.what, f.command);
        }
    }
    if summary.panics > 0 || summary.violations > 0 {
        bail!(
            "soak: {} panic(s), {} violation(s) in {} runs (seeds {}..{})",
            summary.panics,
            summary.violations,
            summary.runs,
            args.seed,
            args.seed.wrapping_add(args.runs)
        );
    }
    Ok(())
}
