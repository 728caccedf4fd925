//! Objectives that misbehave: every whole-problem solver × every misbehaviour, each with the
//! outcome it must report (issue 12, item 3).
//!
//! The base problem is the 4-D Rosenbrock function from (−1.2, 1, −1.2, 1): every solver runs
//! on it (it has a value, a gradient, a tridiagonal Hessian and Hessian-vector products), and
//! no solver reaches its minimiser (1, 1, 1, 1) in fewer than a dozen evaluations, so a
//! misbehaviour switched on at evaluation N meets every solver mid-run. [`Faulty`] wraps it
//! with one [`Fault`] and counts evaluations the way the driver does (a `value` or a
//! `value_grad` call is one value evaluation; a Hessian or a Hessian-vector product is one
//! Hessian evaluation).
//!
//! **Expected iterations are derived, not recorded.** Each solver first runs on the
//! well-behaved base with an observer that logs `Progress::evaluations` after every iteration.
//! Up to evaluation N the faulty run is the same computation, so evaluation N happens in the
//! iteration k with E(k−1) < N ≤ E(k), E(k) being the evaluations after iteration k; that k is
//! the iteration the status (or the error) must name. The same holds for Hessian evaluations.
//!
//! Rows: 38 solvers (gradient descent fixed and with each line search, the 16 first-order rules,
//! Nesterov look-ahead, perturbed GD, BFGS / L-BFGS / Newton / Newton–CG with each line search,
//! trust-ncg, dogleg, L-BFGS-B, projected gradient). Columns: (a) f = NaN and (b) f = +∞ from
//! evaluation 10 on, (c) NaN and (d) +∞ in ∂f/∂x₂ from evaluation 10 on, (a′) f = NaN where
//! x₀ > 1.5, (e) a gradient of the wrong sign, (f) a seeded noisy gradient, (h) a NaN Hessian or
//! Hessian-vector product from the third on; (g), a panic at evaluation N, and the gradient
//! check at x₀ have tests of their own. [`expect`] is the table, one reason per rule.

use std::cell::Cell;
use std::ops::ControlFlow;

use descent::first_order::{self as fo, FirstOrder, NesterovLookAhead, Preset, Schedule};
use descent::landscape::PerturbedGradientDescent;
use descent::line_search::{Backtracking, HagerZhang, MoreThuente};
use descent::problems::Rosenbrock;
use descent::{
    Bfgs, Bounds, Error, GradientDescent, Hessian, HessianMatrix, HessianStructure,
    HessianVectorProduct, Lbfgs, Newton, NewtonCg, Objective, Observer, Options, Progress,
    ProjectedGradient, Report, Status, TrustRegion, minimize_observed,
};

/// The dimension of the base problem.
const N_DIM: usize = 4;
/// The gradient component that the gradient faults spoil.
const SPOILED: usize = 2;
/// The misbehaving region of the value: NaN where x₀ > `REGION` (the minimiser has x₀ = 1).
const REGION: f64 = 1.5;

/// How the wrapped objective misbehaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// None: the base problem.
    None,
    /// (a) f = NaN from value evaluation `from` (1-based) on.
    ValueNan { from: usize },
    /// (b) f = +∞ from evaluation `from` on.
    ValueInf { from: usize },
    /// (c) ∂f/∂x₂ = NaN from evaluation `from` on.
    GradNan { from: usize },
    /// (d) ∂f/∂x₂ = +∞ from evaluation `from` on.
    GradInf { from: usize },
    /// (a′) f = NaN wherever x₀ > [`REGION`].
    NanRegion,
    /// (e) the gradient's sign is wrong.
    WrongSign,
    /// (f) every gradient call multiplies each component by 1 + 0.5·u, u uniform in [−1, 1],
    /// seeded: two calls at one point disagree.
    Noisy,
    /// (g) panics at value evaluation `at`.
    Panic { at: usize },
    /// (h) H₀₀ (or (Hv)₀) = NaN from Hessian evaluation `from` on.
    HessianNan { from: usize },
}

/// The base problem behind a fault, with the evaluation counters that decide when it strikes.
struct Faulty {
    base: Rosenbrock,
    fault: Fault,
    values: Cell<usize>,
    hessians: Cell<usize>,
    rng: Cell<u64>,
    /// The first value evaluation at a point with x₀ > [`REGION`] (recorded under any fault).
    first_in_region: Cell<Option<usize>>,
}

impl Faulty {
    fn new(fault: Fault) -> Self {
        Self {
            base: Rosenbrock::new(N_DIM).unwrap(),
            fault,
            values: Cell::new(0),
            hessians: Cell::new(0),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15),
            first_in_region: Cell::new(None),
        }
    }

    /// Counts one value evaluation at x and returns its number and the spoiled value.
    fn count(&self, x: &[f64], value: f64) -> (usize, f64) {
        let k = self.values.get() + 1;
        self.values.set(k);
        if x[0] > REGION && self.first_in_region.get().is_none() {
            self.first_in_region.set(Some(k));
        }
        let value = match self.fault {
            Fault::ValueNan { from } if k >= from => f64::NAN,
            Fault::ValueInf { from } if k >= from => f64::INFINITY,
            Fault::NanRegion if x[0] > REGION => f64::NAN,
            Fault::Panic { at } if k == at => panic!("objective exploded at evaluation {k}"),
            _ => value,
        };
        (k, value)
    }

    /// A uniform number in [−1, 1] (xorshift64*).
    fn uniform(&self) -> f64 {
        let mut s = self.rng.get();
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        self.rng.set(s);
        let bits = s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        2.0 * (bits as f64 / (1u64 << 53) as f64) - 1.0
    }
}

impl Objective for Faulty {
    fn dim(&self) -> usize {
        N_DIM
    }
    fn value(&self, x: &[f64]) -> f64 {
        self.count(x, self.base.value(x)).1
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let (k, value) = self.count(x, self.base.value_grad(x, grad));
        match self.fault {
            Fault::GradNan { from } if k >= from => grad[SPOILED] = f64::NAN,
            Fault::GradInf { from } if k >= from => grad[SPOILED] = f64::INFINITY,
            Fault::WrongSign => grad.iter_mut().for_each(|g| *g = -*g),
            Fault::Noisy => grad.iter_mut().for_each(|g| *g *= 1.0 + 0.5 * self.uniform()),
            _ => {}
        }
        value
    }
}

impl Faulty {
    fn hessian_spoiled(&self) -> bool {
        let k = self.hessians.get() + 1;
        self.hessians.set(k);
        matches!(self.fault, Fault::HessianNan { from } if k >= from)
    }
}

impl Hessian for Faulty {
    fn hessian_structure(&self) -> HessianStructure {
        self.base.hessian_structure()
    }
    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        self.base.hessian(x, hessian);
        if self.hessian_spoiled() {
            hessian.set(0, 0, f64::NAN);
        }
    }
}

impl HessianVectorProduct for Faulty {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        self.base.hessian_vector_product(x, v, hv);
        if self.hessian_spoiled() {
            hv[0] = f64::NAN;
        }
    }
}

/// One row of the observer's log.
#[derive(Debug, Clone, Copy)]
struct Row {
    iteration: usize,
    values: usize,
    hessians: usize,
    value: f64,
}

/// Logs every iteration's evaluation counts and value.
#[derive(Default)]
struct Log(Vec<Row>);

impl Observer for Log {
    fn observe(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        self.0.push(Row {
            iteration: p.iteration,
            values: p.evaluations.value,
            hessians: p.evaluations.hessian,
            value: p.value,
        });
        ControlFlow::Continue(())
    }
}

/// Declares the solvers once: the enum and [`SOLVERS`], every variant in order.
macro_rules! solvers {
    ($($name:ident),* $(,)?) => {
        /// Every whole-problem solver, configured as `descent minimize` configures it (with
        /// learning rates that are stable at the Rosenbrock start).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Solver {
            $($name),*
        }

        /// Every [`Solver`], in declaration order.
        const SOLVERS: &[Solver] = &[$(Solver::$name),*];
    };
}

solvers! {
    Gd,
    GdArmijo,
    GdMoreThuente,
    GdHagerZhang,
    Sgd,
    Momentum,
    Nesterov,
    HeavyBall,
    Adagrad,
    RmsProp,
    Adadelta,
    Adam,
    AdamW,
    AmsGrad,
    Adamax,
    NAdam,
    NAdamW,
    RAdam,
    RAdamW,
    Lion,
    LookAhead,
    Perturbed,
    BfgsArmijo,
    BfgsMoreThuente,
    BfgsHagerZhang,
    LbfgsArmijo,
    LbfgsMoreThuente,
    LbfgsHagerZhang,
    NewtonArmijo,
    NewtonMoreThuente,
    NewtonHagerZhang,
    NewtonCgArmijo,
    NewtonCgMoreThuente,
    NewtonCgHagerZhang,
    TrustNcg,
    Dogleg,
    Lbfgsb,
    Projected,
}

/// How a solver steps, which decides how it meets a misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One evaluation per iteration at a point it does not test: it takes whatever comes.
    FixedStep,
    /// A line search over trials; `second_order` when it uses the Hessian.
    LineSearch { second_order: bool },
    /// A trust region over trials, with Hessian-vector products.
    TrustRegion,
}

impl Solver {
    fn kind(self) -> Kind {
        use Solver::*;
        match self {
            Gd | Sgd | Momentum | Nesterov | HeavyBall | Adagrad | RmsProp | Adadelta | Adam
            | AdamW | AmsGrad | Adamax | NAdam | NAdamW | RAdam | RAdamW | Lion | LookAhead
            | Perturbed => Kind::FixedStep,
            NewtonArmijo | NewtonMoreThuente | NewtonHagerZhang | NewtonCgArmijo
            | NewtonCgMoreThuente | NewtonCgHagerZhang => Kind::LineSearch { second_order: true },
            TrustNcg | Dogleg => Kind::TrustRegion,
            _ => Kind::LineSearch { second_order: false },
        }
    }

    /// Runs the solver on `f` with the matrix's options, logging every iteration.
    fn run(self, f: &Faulty, log: &mut Log) -> descent::Result<Report> {
        use Solver::*;
        let x0 = f.base_start();
        let o = &options();
        let t = Preset::Torch;
        let lr = 1e-3;
        let bounds = || Bounds::new(vec![-5.0; N_DIM], vec![5.0; N_DIM]).unwrap();
        match self {
            Gd => minimize_observed(f, &x0, GradientDescent::new(lr)?, o, log),
            GdArmijo => minimize_observed(f, &x0, GradientDescent::armijo(), o, log),
            GdMoreThuente => {
                let gd =
                    GradientDescent { learning_rate: 1.0, line_search: MoreThuente::default() };
                minimize_observed(f, &x0, gd, o, log)
            }
            GdHagerZhang => {
                let gd = GradientDescent { learning_rate: 1.0, line_search: HagerZhang::default() };
                minimize_observed(f, &x0, gd, o, log)
            }
            Sgd => minimize_observed(f, &x0, FirstOrder::new(fo::Sgd::new(lr).rule()), o, log),
            Momentum => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::Momentum::preset(t, lr).rule()),
                o,
                log,
            ),
            Nesterov => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::Nesterov::preset(t, lr).rule()),
                o,
                log,
            ),
            HeavyBall => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::HeavyBall::new(lr, 0.9).rule()),
                o,
                log,
            ),
            Adagrad => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::Adagrad::preset(t, 0.1).rule()),
                o,
                log,
            ),
            RmsProp => {
                let rule = fo::RmsProp::preset(t, 0.01).rule().unwrap();
                minimize_observed(f, &x0, FirstOrder::new(rule), o, log)
            }
            Adadelta => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::Adadelta::preset(t, 1.0).rule()),
                o,
                log,
            ),
            Adam => {
                minimize_observed(f, &x0, FirstOrder::new(fo::Adam::preset(t, 0.01).rule()), o, log)
            }
            AdamW => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::AdamW::preset(t, 0.01).rule()),
                o,
                log,
            ),
            AmsGrad => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::AmsGrad::preset(t, 0.01).rule()),
                o,
                log,
            ),
            Adamax => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::Adamax::preset(t, 0.01).rule()),
                o,
                log,
            ),
            NAdam => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::NAdam::preset(t, 0.01).rule()),
                o,
                log,
            ),
            NAdamW => {
                let rule = fo::NAdamW::new(fo::NAdam::preset(t, 0.01), 1e-2).rule();
                minimize_observed(f, &x0, FirstOrder::new(rule), o, log)
            }
            RAdam => minimize_observed(
                f,
                &x0,
                FirstOrder::new(fo::RAdam::preset(t, 1e-3).rule()),
                o,
                log,
            ),
            RAdamW => {
                let rule = fo::RAdamW::new(fo::RAdam::preset(t, 1e-3), 1e-2).rule();
                minimize_observed(f, &x0, FirstOrder::new(rule), o, log)
            }
            Lion => minimize_observed(f, &x0, FirstOrder::new(fo::Lion::new(1e-3).rule()), o, log),
            LookAhead => {
                let method = NesterovLookAhead {
                    learning_rate: Schedule::Constant { learning_rate: lr },
                    momentum: 0.9,
                };
                minimize_observed(f, &x0, method, o, log)
            }
            Perturbed => minimize_observed(f, &x0, PerturbedGradientDescent::new(lr)?, o, log),
            BfgsArmijo => minimize_observed(f, &x0, Bfgs::new(), o, log),
            BfgsMoreThuente => minimize_observed(
                f,
                &x0,
                Bfgs::new().with_line_search(MoreThuente::default()),
                o,
                log,
            ),
            BfgsHagerZhang => minimize_observed(
                f,
                &x0,
                Bfgs::new().with_line_search(HagerZhang::default()),
                o,
                log,
            ),
            LbfgsArmijo => {
                let m = Lbfgs::new(10)?.with_line_search(Backtracking::default());
                minimize_observed(f, &x0, m, o, log)
            }
            LbfgsMoreThuente => {
                let m = Lbfgs::new(10)?.with_line_search(MoreThuente::default());
                minimize_observed(f, &x0, m, o, log)
            }
            LbfgsHagerZhang => {
                let m = Lbfgs::new(10)?.with_line_search(HagerZhang::default());
                minimize_observed(f, &x0, m, o, log)
            }
            NewtonArmijo => minimize_observed(f, &x0, Newton::new(), o, log),
            NewtonMoreThuente => {
                let m = Newton::new().with_line_search(MoreThuente::default());
                minimize_observed(f, &x0, m, o, log)
            }
            NewtonHagerZhang => {
                let m = Newton::new().with_line_search(HagerZhang::default());
                minimize_observed(f, &x0, m, o, log)
            }
            NewtonCgArmijo => minimize_observed(f, &x0, NewtonCg::new(), o, log),
            NewtonCgMoreThuente => {
                let m = NewtonCg::new().with_line_search(MoreThuente::default());
                minimize_observed(f, &x0, m, o, log)
            }
            NewtonCgHagerZhang => {
                let m = NewtonCg::new().with_line_search(HagerZhang::default());
                minimize_observed(f, &x0, m, o, log)
            }
            TrustNcg => minimize_observed(f, &x0, TrustRegion::steihaug(), o, log),
            Dogleg => minimize_observed(f, &x0, TrustRegion::dogleg(), o, log),
            Lbfgsb => minimize_observed(f, &x0, descent::Lbfgsb::new(bounds()), o, log),
            Projected => minimize_observed(f, &x0, ProjectedGradient::new(bounds()), o, log),
        }
    }
}

impl Faulty {
    fn base_start(&self) -> Vec<f64> {
        use descent::problems::Problem;
        self.base.start()
    }
}

/// The matrix's stopping rules: the defaults, with a divergence threshold low enough
/// (f − f₀ > 10·|f₀|) that an uphill run is caught within the iteration budget.
fn options() -> Options {
    Options { max_iter: 3000, divergence: 10.0, ..Options::default() }
}

/// A run: the outcome, the log and the faulty objective (its counters).
struct Outcome {
    result: descent::Result<Report>,
    log: Vec<Row>,
    first_in_region: Option<usize>,
}

fn outcome(solver: Solver, fault: Fault) -> Outcome {
    let f = Faulty::new(fault);
    let mut log = Log::default();
    let result = solver.run(&f, &mut log);
    Outcome { result, log: log.0, first_in_region: f.first_in_region.get() }
}

/// The iteration in which value evaluation `n` happens, from a well-behaved run's log: the
/// k with E(k−1) < n ≤ E(k); past the last logged iteration, the one after it (a step whose
/// trials ended the run). `None` when the base run never made `n` evaluations.
fn iteration_of(
    base: &Outcome,
    n: usize,
    count: impl Fn(&Row) -> usize,
    total: usize,
) -> Option<usize> {
    if let Some(row) = base.log.iter().find(|row| count(row) >= n) {
        return Some(row.iteration);
    }
    (n <= total).then(|| base.log.last().unwrap().iteration + 1)
}

/// The value evaluation at which faults (a)–(d) and (g) switch on.
const STRIKE: usize = 10;
/// The Hessian evaluation at which fault (h) switches on.
const STRIKE_HESSIAN: usize = 3;

/// What a faulty run must end with. Every variant carries the one-line reason.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// `NonFinite { k }`, k the iteration of the first spoiled evaluation.
    NonFiniteAt(&'static str),
    /// `LineSearchFailed { k }`, k as above.
    LineSearchFailedAt(&'static str),
    /// `TrustRegionCollapsed { k }`, k as above.
    CollapsedAt(&'static str),
    /// `Diverged { k }`, k the first logged iteration with f − f₀ > 10·max(1, |f₀|).
    DivergedAt(&'static str),
    /// The fault is never met: the very same run as the base one (status and iterations).
    AsBase(&'static str),
    /// The fault is met in trials only: the base run's status variant, and if that is
    /// convergence, convergence within 1e-5 of the minimiser.
    Recovers(&'static str),
    /// Converged, and the true gradient at the end is at most 2·gtol (the noisy factor is at
    /// least 1/2).
    Converged(&'static str),
    /// `MaxIterations`.
    MaxIterations(&'static str),
    /// `LineSearchFailed { k }` with k the step after the last logged iteration.
    LineSearchFailedLater(&'static str),
}

impl Expect {
    /// The row's reason, printed with any failure.
    fn reason(self) -> &'static str {
        match self {
            Self::NonFiniteAt(why)
            | Self::LineSearchFailedAt(why)
            | Self::CollapsedAt(why)
            | Self::DivergedAt(why)
            | Self::AsBase(why)
            | Self::Recovers(why)
            | Self::Converged(why)
            | Self::MaxIterations(why)
            | Self::LineSearchFailedLater(why) => why,
        }
    }
}

/// Whether the solver's line search is a value-only Armijo test (backtracking, or projected
/// gradient's own), More–Thuente (also L-BFGS-B's), or Hager–Zhang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    Armijo,
    MoreThuente,
    HagerZhang,
    None,
}

impl Solver {
    fn search(self) -> Search {
        use Solver::*;
        match self {
            GdArmijo | BfgsArmijo | LbfgsArmijo | NewtonArmijo | NewtonCgArmijo | Projected => {
                Search::Armijo
            }
            GdMoreThuente | BfgsMoreThuente | LbfgsMoreThuente | NewtonMoreThuente
            | NewtonCgMoreThuente | Lbfgsb => Search::MoreThuente,
            GdHagerZhang | BfgsHagerZhang | LbfgsHagerZhang | NewtonHagerZhang
            | NewtonCgHagerZhang => Search::HagerZhang,
            _ => Search::None,
        }
    }
}

/// The table: the expected outcome of `solver` under `fault`. The region fault (a′) depends
/// on whether the base run ever evaluates in the region (`region_met`).
fn expect(solver: Solver, fault: Fault, region_met: bool) -> Expect {
    use Expect::*;
    use Solver::*;
    let kind = solver.kind();
    let search = solver.search();
    match fault {
        Fault::ValueNan { .. } | Fault::ValueInf { .. } => match kind {
            Kind::FixedStep => NonFiniteAt(
                "fixed-step methods take the step and report the NaN/∞ value at that iteration",
            ),
            Kind::LineSearch { .. } => LineSearchFailedAt(
                "line searches reject NaN/∞ trials and shrink; every later trial is NaN/∞ too, so the search fails in that iteration",
            ),
            Kind::TrustRegion => CollapsedAt(
                "each NaN/∞ trial is rejected and the radius shrinks until it collapses",
            ),
        },
        Fault::GradNan { .. } | Fault::GradInf { .. } => match (kind, search) {
            (Kind::FixedStep, _) => NonFiniteAt(
                "fixed-step methods take the step and report the spoiled gradient at that iteration",
            ),
            (_, Search::Armijo) => NonFiniteAt(
                "Armijo tests values only: the finite trial is accepted and the driver finds the spoiled gradient at the new iterate",
            ),
            (_, Search::MoreThuente) => LineSearchFailedAt(
                "More–Thuente needs the trial's slope φ′(t) = ∇fᵀd; a NaN/∞ slope ends the search as a failure",
            ),
            (_, Search::HagerZhang) if matches!(fault, Fault::GradNan { .. }) => {
                LineSearchFailedAt(
                    "Hager–Zhang's Wolfe tests are false for a NaN slope; the search fails",
                )
            }
            (_, Search::HagerZhang) => NonFiniteAt(
                "Hager–Zhang returns the trial whose slope is infinite (its bracket cannot shrink); the driver reports the ∞ gradient",
            ),
            (Kind::TrustRegion, _) => NonFiniteAt(
                "the trial's finite value is accepted by the ratio test; the driver finds the spoiled gradient",
            ),
            _ => unreachable!("{solver:?}"),
        },
        Fault::NanRegion if !region_met => {
            AsBase("no evaluation of the base run lies in x₀ > 1.5: the fault is never met")
        }
        Fault::NanRegion => match kind {
            Kind::FixedStep => {
                NonFiniteAt("a fixed step lands in the NaN region and reports it at that iteration")
            }
            _ => Recovers(
                "only trials land in the NaN region: the search backtracks (the region shrinks the radius) and the run goes on",
            ),
        },
        Fault::WrongSign => match kind {
            Kind::FixedStep => DivergedAt(
                "a fixed step along +∇f climbs until f − f₀ passes the divergence threshold",
            ),
            Kind::LineSearch { .. } => LineSearchFailedAt(
                "d = −g is an ascent direction: no trial decreases f, so the first search fails",
            ),
            Kind::TrustRegion => CollapsedAt(
                "the model predicts a decrease that never comes: every trial is rejected",
            ),
        },
        Fault::Noisy => match solver {
            Gd | Sgd | Momentum | Nesterov | HeavyBall | Adagrad | RmsProp | Adadelta | Adam
            | AdamW | AmsGrad | Adamax | NAdam | NAdamW | RAdam | RAdamW | Lion | LookAhead
            | Perturbed | Projected | GdArmijo | GdMoreThuente | GdHagerZhang => MaxIterations(
                "steepest-descent-like steps stay slow on Rosenbrock, noise or not: no convergence in the budget",
            ),
            BfgsArmijo => LineSearchFailedLater(
                "inconsistent gradient differences spoil the BFGS update until its direction no longer lowers the true f; Armijo finds no decrease",
            ),
            BfgsMoreThuente | BfgsHagerZhang | LbfgsMoreThuente | LbfgsHagerZhang
            | NewtonMoreThuente | NewtonHagerZhang | NewtonCgMoreThuente => LineSearchFailedLater(
                "the Wolfe curvature test compares slopes from two noisy gradients; eventually no trial satisfies it",
            ),
            LbfgsArmijo | NewtonArmijo => LineSearchFailedLater(
                "with a noisy g the (quasi-)Newton direction is eventually uphill for the true f (∇fᵀH⁻¹g̃ > 0 for an ill-conditioned H); Armijo finds no decrease",
            ),
            NewtonCgArmijo | NewtonCgHagerZhang | TrustNcg | Dogleg | Lbfgsb => Converged(
                "a noisy but positively scaled gradient still gives descent; the gradient test is met with the true gradient within 2·gtol",
            ),
        },
        Fault::HessianNan { .. } => match solver {
            TrustNcg | Dogleg => CollapsedAt(
                "the NaN Hessian(-vector product) makes every model step NaN; every trial is rejected",
            ),
            NewtonArmijo => MaxIterations(
                "Newton falls back to steepest descent when H is not finite (documented), and Armijo steepest descent is slow on Rosenbrock",
            ),
            NewtonMoreThuente | NewtonHagerZhang | NewtonCgArmijo | NewtonCgMoreThuente
            | NewtonCgHagerZhang => Recovers(
                "Newton and Newton–CG fall back to steepest descent when H (or Hv) is not finite; the line-searched steps reach the minimiser",
            ),
            _ => AsBase("a first-order method never asks for the Hessian"),
        },
        Fault::None | Fault::Panic { .. } => unreachable!(),
    }
}

/// ‖∇f(x)‖₂ of the base problem.
fn true_grad_norm(x: &[f64]) -> f64 {
    let mut g = vec![0.0; N_DIM];
    Rosenbrock::new(N_DIM).unwrap().value_grad(x, &mut g);
    g.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Checks one cell of the matrix.
fn check(solver: Solver, fault: Fault, base: &Outcome) {
    let base_report = base.result.as_ref().unwrap();
    let expected = expect(solver, fault, base.first_in_region.is_some());
    let run = outcome(solver, fault);
    let context = format!(
        "{solver:?} × {fault:?}: expected {expected:?} ({}), got {:?}",
        expected.reason(),
        run.result
    );
    let report = run.result.as_ref().expect(&context);
    // Where the fault strikes, by the base run's log.
    let strike = match fault {
        Fault::ValueNan { from }
        | Fault::ValueInf { from }
        | Fault::GradNan { from }
        | Fault::GradInf { from } => {
            iteration_of(base, from, |r| r.values, base_report.evaluations.value)
        }
        Fault::NanRegion => base
            .first_in_region
            .and_then(|n| iteration_of(base, n, |r| r.values, base_report.evaluations.value)),
        Fault::HessianNan { from } => {
            iteration_of(base, from, |r| r.hessians, base_report.evaluations.hessian)
        }
        // Wrong from x₀ on: the first step meets it.
        _ => Some(1),
    };
    let at = |status: fn(usize) -> Status| {
        let k = strike.unwrap_or_else(|| panic!("{context}: the base run never reaches the fault"));
        assert_eq!(report.status, status(k), "{context}");
        assert_eq!(report.iterations, k - 1, "{context}: the report keeps iterate k − 1");
    };
    match expected {
        Expect::NonFiniteAt(_) => at(|iteration| Status::NonFinite { iteration }),
        Expect::LineSearchFailedAt(_) => at(|iteration| Status::LineSearchFailed { iteration }),
        Expect::CollapsedAt(_) => at(|iteration| Status::TrustRegionCollapsed { iteration }),
        Expect::DivergedAt(_) => {
            let f0 = run.log[0].value;
            let first = run.log.iter().find(|r| r.value - f0 > 10.0 * f0.abs().max(1.0));
            let k = first.expect(&context).iteration;
            assert_eq!(report.status, Status::Diverged { iteration: k }, "{context}");
        }
        Expect::AsBase(_) => {
            assert_eq!(report.status, base_report.status, "{context}");
            assert_eq!(report.iterations, base_report.iterations, "{context}");
            assert_eq!(report.x, base_report.x, "{context}");
        }
        Expect::Recovers(_) => {
            assert!(strike.is_some(), "{context}: the fault must be met");
            assert_eq!(
                std::mem::discriminant(&report.status),
                std::mem::discriminant(&base_report.status),
                "{context}"
            );
            assert!(
                report.value.is_finite() && report.x.iter().all(|v| v.is_finite()),
                "{context}"
            );
            if report.status.is_converged() {
                let distance = report.x.iter().map(|v| (v - 1.0).powi(2)).sum::<f64>().sqrt();
                assert!(distance < 1e-5, "{context}: distance {distance:e}");
            }
        }
        Expect::Converged(_) => {
            assert!(report.status.is_converged(), "{context}");
            let g = true_grad_norm(&report.x);
            assert!(g <= 2.0 * options().gtol, "{context}: true ‖∇f‖ = {g:e}");
        }
        Expect::MaxIterations(_) => {
            assert_eq!(report.status, Status::MaxIterations, "{context}");
            assert_eq!(report.iterations, options().max_iter, "{context}");
        }
        Expect::LineSearchFailedLater(_) => {
            let k = run.log.last().unwrap().iteration + 1;
            assert_eq!(report.status, Status::LineSearchFailed { iteration: k }, "{context}");
        }
    }
    // Whatever the status, the report holds a finite point and its value.
    assert!(report.value.is_finite() && report.x.iter().all(|v| v.is_finite()), "{context}");
}

/// The whole matrix: 38 solvers × 9 misbehaviours (the Hessian column applies to the 8
/// second-order solvers; for the others it checks that nothing changes).
#[test]
fn every_solver_reports_every_misbehaviour() {
    let faults = [
        Fault::ValueNan { from: STRIKE },
        Fault::ValueInf { from: STRIKE },
        Fault::GradNan { from: STRIKE },
        Fault::GradInf { from: STRIKE },
        Fault::NanRegion,
        Fault::WrongSign,
        Fault::Noisy,
        Fault::HessianNan { from: STRIKE_HESSIAN },
    ];
    let mut failures = Vec::new();
    for &solver in SOLVERS {
        let base = outcome(solver, Fault::None);
        let report = base.result.as_ref().unwrap();
        // The base run must make at least STRIKE evaluations, or (a)–(d) would go unmet.
        assert!(report.evaluations.value >= STRIKE, "{solver:?}: {report:?}");
        // A second-order solver must make STRIKE_HESSIAN Hessian evaluations.
        if matches!(solver.kind(), Kind::LineSearch { second_order: true } | Kind::TrustRegion) {
            assert!(report.evaluations.hessian >= STRIKE_HESSIAN, "{solver:?}: {report:?}");
        }
        for fault in faults {
            let cell = std::panic::catch_unwind(|| check(solver, fault, &base));
            if let Err(payload) = cell {
                failures.push(
                    payload
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| format!("{solver:?} × {fault:?}")),
                );
            }
        }
    }
    assert!(failures.is_empty(), "{} cells failed:\n{}", failures.len(), failures.join("\n"));
}

/// (g): an objective that panics at evaluation N gives `ObjectivePanicked` naming the
/// iteration of evaluation N (derived from the base run's log) and the panic's message, for
/// every solver; N = 1 (the evaluation at x₀) is iteration 0.
#[test]
fn a_panicking_objective_is_an_error_with_its_iteration_and_message() {
    for &solver in SOLVERS {
        let base = outcome(solver, Fault::None);
        let total = base.result.as_ref().unwrap().evaluations.value;
        for at in [1, 2, STRIKE] {
            let k = iteration_of(&base, at, |r| r.values, total).unwrap();
            let run = outcome(solver, Fault::Panic { at });
            assert_eq!(
                run.result,
                Err(Error::ObjectivePanicked {
                    iteration: k,
                    message: format!("objective exploded at evaluation {at}"),
                }),
                "{solver:?}, panic at evaluation {at}"
            );
            // The observer saw iterations 0..k−1 and nothing after the panic.
            assert_eq!(run.log.len(), k, "{solver:?}, panic at evaluation {at}");
        }
    }
}

/// The options of the matrix with the gradient check at x₀ switched on.
fn checked(tolerance: f64) -> Options {
    Options { check_gradient: Some(tolerance), ..options() }
}

/// (e) at x₀, asked for: the check names a component, the (wrong) analytic value −∂ᵢf and
/// the central difference ≈ ∂ᵢf. Every component of ∇f(x₀) = (−215.6, −88, −215.6, −88)
/// exceeds 1 in size, so each has error |−g − g|/|g| = 2 up to the difference's own error.
#[test]
fn check_gradient_catches_a_wrong_sign_at_the_start() {
    let f = Faulty::new(Fault::WrongSign);
    let x0 = f.base_start();
    let mut g = vec![0.0; N_DIM];
    Rosenbrock::new(N_DIM).unwrap().value_grad(&x0, &mut g);
    assert!((g[0] + 215.6).abs() < 1e-9 && (g[1] + 88.0).abs() < 1e-9, "{g:?}");
    let err = minimize_observed(&f, &x0, Bfgs::new(), &checked(1e-6), &mut Log::default());
    let Err(Error::GradientCheckFailed { index, analytic, numeric, error, tolerance }) = err else {
        panic!("{err:?}")
    };
    assert!(index < N_DIM);
    assert_eq!(analytic, -g[index]);
    assert!((numeric - g[index]).abs() <= 1e-6 * g[index].abs(), "{numeric} vs {}", g[index]);
    assert!((error - 2.0).abs() < 1e-6, "{error}");
    assert_eq!(tolerance, 1e-6);
    // The check runs before the first step: 1 evaluation for x₀, 1 + 2n for the check.
    assert_eq!(f.values.get(), 2 + 2 * N_DIM);
}

/// (f) at x₀: the check's gradient is the second call's, g̃ᵢ = gᵢ(1 + 0.5uᵢ) (the driver's
/// evaluation at x₀ was the first); the check reports the component with the largest
/// |g̃ᵢ − gᵢ|/max(1, |g̃ᵢ|, |gᵢ|), computed here from the same seeded draws.
#[test]
fn check_gradient_catches_a_noisy_gradient_at_the_start() {
    let probe = Faulty::new(Fault::Noisy);
    let x0 = probe.base_start();
    let (mut noisy, mut g) = (vec![0.0; N_DIM], vec![0.0; N_DIM]);
    probe.value_grad(&x0, &mut noisy);
    probe.value_grad(&x0, &mut noisy);
    Rosenbrock::new(N_DIM).unwrap().value_grad(&x0, &mut g);
    let relative = |i: usize| (noisy[i] - g[i]).abs() / 1f64.max(noisy[i].abs()).max(g[i].abs());
    let worst = (0..N_DIM).max_by(|&a, &b| relative(a).total_cmp(&relative(b))).unwrap();
    assert!(relative(worst) > 0.05, "the seeded noise is large: {noisy:?} vs {g:?}");

    let f = Faulty::new(Fault::Noisy);
    let err =
        minimize_observed(&f, &x0, Lbfgs::new(5).unwrap(), &checked(1e-6), &mut Log::default());
    let Err(Error::GradientCheckFailed { index, analytic, numeric, error, .. }) = err else {
        panic!("{err:?}")
    };
    assert_eq!(index, worst);
    assert_eq!(analytic, noisy[worst]);
    assert!((numeric - g[worst]).abs() <= 1e-6 * g[worst].abs());
    assert!((error - relative(worst)).abs() < 1e-6, "{error} vs {}", relative(worst));
}

/// A correct gradient passes the check, and the run is the one without it: the check's
/// evaluations are not counted in the report.
#[test]
fn check_gradient_passes_a_correct_gradient_without_changing_the_run() {
    let plain = outcome(Solver::BfgsMoreThuente, Fault::None).result.unwrap();
    let f = Faulty::new(Fault::None);
    let x0 = f.base_start();
    let m = Bfgs::new().with_line_search(MoreThuente::default());
    let report = minimize_observed(&f, &x0, m, &checked(1e-6), &mut Log::default()).unwrap();
    assert_eq!(report.x, plain.x);
    assert_eq!(report.status, plain.status);
    assert_eq!(report.evaluations, plain.evaluations);
    assert_eq!(f.values.get(), plain.evaluations.value + 2 * N_DIM + 1);
    // A gradient spoiled only from evaluation 10 on passes too: the check sees x₀ alone.
    let late = Faulty::new(Fault::GradNan { from: STRIKE });
    let report = minimize_observed(&late, &x0, Bfgs::new(), &checked(1e-6), &mut Log::default());
    assert!(matches!(report.unwrap().status, Status::NonFinite { .. }));
}

#[test]
fn check_gradient_tolerance_must_be_positive() {
    for bad in [0.0, -1e-6, f64::NAN, f64::INFINITY] {
        let err = checked(bad).validate().unwrap_err();
        assert!(
            matches!(err, Error::InvalidHyperparameter { name: "check_gradient", .. }),
            "{bad}: {err:?}"
        );
    }
    assert_eq!(checked(1e-6).validate(), Ok(()));
}

/// A panic of the caller's observer is the caller's: it propagates unchanged, with its own
/// payload, rather than being reported as the objective's.
#[test]
fn an_observer_panic_propagates() {
    let f = Faulty::new(Fault::None);
    let x0 = f.base_start();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut observer = |p: &Progress<'_>| {
            if p.iteration == 3 {
                panic!("observer gave up at iteration 3");
            }
            ControlFlow::Continue(())
        };
        minimize_observed(&f, &x0, Bfgs::new(), &options(), &mut observer)
    }));
    let payload = caught.expect_err("the observer's panic must propagate");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"observer gave up at iteration 3"));
}

/// A panic whose payload is neither `&str` nor `String` is still reported, with a fixed
/// message; a formatted `String` payload keeps its text.
#[test]
fn panic_payloads_that_are_not_strings() {
    struct Thrower(bool);
    impl Objective for Thrower {
        fn dim(&self) -> usize {
            1
        }
        fn value(&self, x: &[f64]) -> f64 {
            x[0] * x[0]
        }
        fn value_grad(&self, x: &[f64], g: &mut [f64]) -> f64 {
            if x[0] < 0.5 {
                if self.0 {
                    std::panic::panic_any(42_u32);
                }
                panic!("{} is too small", x[0]);
            }
            g[0] = 2.0 * x[0];
            x[0] * x[0]
        }
    }
    // Fixed step 0.25: x = 1 → 0.5 → 0.25, which panics in iteration 2.
    let gd = || GradientDescent::new(0.25).unwrap();
    let opts = options();
    assert_eq!(
        descent::minimize(&Thrower(true), &[1.0], gd(), &opts),
        Err(Error::ObjectivePanicked { iteration: 2, message: "non-string panic payload".into() })
    );
    assert_eq!(
        descent::minimize(&Thrower(false), &[1.0], gd(), &opts),
        Err(Error::ObjectivePanicked { iteration: 2, message: "0.25 is too small".into() })
    );
    let err = descent::minimize(&Thrower(false), &[0.0], gd(), &opts).unwrap_err();
    assert_eq!(err.to_string(), "the objective panicked at iteration 0: 0 is too small");
}
