//! argmin's L-BFGS (with its Moré–Thuente line search) on the extended Rosenbrock function,
//! from (−1.2, 1, −1.2, 1, …) until ‖∇f‖∞ ≤ 1e-5: the argmin column of
//! `bench/peers/rosenbrock_peers.sh`.
//!
//! `cargo run --release -- N MEMORY [REPEATS]` prints one JSON object: the counts of cost and
//! gradient evaluations of one run, and the median over REPEATS runs (default: after one
//! warm-up solve, as many as fit in a second, at least 5) of the whole solve's wall time and of
//! the time spent inside the cost and gradient functions.
//!
//! argmin's L-BFGS stops on ‖∇f‖₂ < `tol_grad` or |Δf| < `tol_cost`. Both are switched off
//! (0), and a thin wrapper solver adds the ‖∇f‖∞ ≤ 1e-5 test that scipy's L-BFGS-B and descent
//! use, checked after every iteration exactly where argmin checks its own.

use std::cell::Cell;
use std::time::{Duration, Instant};

use argmin::core::{
    CostFunction, Error, Executor, Gradient, IterState, KV, Problem, Solver, State,
    TerminationReason, TerminationStatus,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

const GTOL_INF: f64 = 1e-5;

/// The extended Rosenbrock function, counting and timing its calls.
struct Rosenbrock {
    values: Cell<usize>,
    gradients: Cell<usize>,
    inside: Cell<Duration>,
}

impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        let start = Instant::now();
        let value = x
            .chunks_exact(2)
            .map(|p| {
                let (t, u) = (p[1] - p[0] * p[0], 1.0 - p[0]);
                100.0 * t * t + u * u
            })
            .sum();
        self.values.set(self.values.get() + 1);
        self.inside.set(self.inside.get() + start.elapsed());
        Ok(value)
    }
}

impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let start = Instant::now();
        let mut g = vec![0.0; x.len()];
        for (p, g) in x.chunks_exact(2).zip(g.chunks_exact_mut(2)) {
            let (a, b) = (p[0], p[1]);
            let t = b - a * a;
            g[0] = -400.0 * a * t - 2.0 * (1.0 - a);
            g[1] = 200.0 * t;
        }
        self.gradients.set(self.gradients.get() + 1);
        self.inside.set(self.inside.get() + start.elapsed());
        Ok(g)
    }
}

type Lbfgs = LBFGS<MoreThuenteLineSearch<Vec<f64>, Vec<f64>, f64>, Vec<f64>, Vec<f64>, f64>;
type St = IterState<Vec<f64>, Vec<f64>, (), (), (), f64>;

/// argmin's L-BFGS with the ‖∇f‖∞ stopping test added.
struct InfNormStop(Lbfgs);

impl Solver<Rosenbrock, St> for InfNormStop {
    fn name(&self) -> &str {
        "L-BFGS, stopping at ‖∇f‖∞ ≤ 1e-5"
    }
    fn init(
        &mut self,
        problem: &mut Problem<Rosenbrock>,
        state: St,
    ) -> Result<(St, Option<KV>), Error> {
        <Lbfgs as Solver<Rosenbrock, St>>::init(&mut self.0, problem, state)
    }
    fn next_iter(
        &mut self,
        problem: &mut Problem<Rosenbrock>,
        state: St,
    ) -> Result<(St, Option<KV>), Error> {
        <Lbfgs as Solver<Rosenbrock, St>>::next_iter(&mut self.0, problem, state)
    }
    fn terminate(&mut self, state: &St) -> TerminationStatus {
        let g = state.get_gradient().expect("L-BFGS keeps the gradient");
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) <= GTOL_INF {
            return TerminationStatus::Terminated(TerminationReason::SolverConverged);
        }
        <Lbfgs as Solver<Rosenbrock, St>>::terminate(&mut self.0, state)
    }
}

struct Run {
    iterations: u64,
    values: usize,
    gradients: usize,
    value: f64,
    grad_inf: f64,
    converged: bool,
    wall: f64,
    inside: f64,
}

fn solve(n: usize, memory: usize) -> Run {
    let problem = Rosenbrock {
        values: Cell::new(0),
        gradients: Cell::new(0),
        inside: Cell::new(Duration::ZERO),
    };
    let x0: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), memory)
        .with_tolerance_grad(0.0)
        .unwrap()
        .with_tolerance_cost(0.0)
        .unwrap();
    let start = Instant::now();
    let result = Executor::new(problem, InfNormStop(lbfgs))
        .configure(|state| state.param(x0).max_iters(10_000))
        .run()
        .expect("argmin ran");
    let wall = start.elapsed().as_secs_f64();
    let state = result.state();
    let problem = result.problem.problem.as_ref().expect("the problem is returned");
    let g = state.get_gradient().expect("gradient");
    Run {
        iterations: state.get_iter(),
        values: problem.values.get(),
        gradients: problem.gradients.get(),
        value: state.get_cost(),
        grad_inf: g.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        converged: matches!(
            state.get_termination_reason(),
            Some(TerminationReason::SolverConverged)
        ),
        wall,
        inside: problem.inside.get().as_secs_f64(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize =
        args.first().expect("usage: argmin-rosenbrock N MEMORY [REPEATS]").parse().unwrap();
    let memory: usize = args.get(1).expect("MEMORY").parse().unwrap();
    solve(n, memory); // warm-up
    let run = solve(n, memory);
    let fixed: Option<usize> = args.get(2).map(|r| r.parse().unwrap());
    let (mut walls, mut insides) = (Vec::new(), Vec::new());
    while match fixed {
        Some(r) => walls.len() < r,
        None => walls.len() < 5 || (walls.iter().sum::<f64>() < 1.0 && walls.len() < 10_000),
    } {
        let r = solve(n, memory);
        walls.push(r.wall);
        insides.push(r.inside);
    }
    let repeats = walls.len();
    let (wall, inside) = (median(walls), median(insides));
    println!(
        "{{\"library\": \"argmin\", \"version\": \"0.11.0\", \"method\": \"LBFGS (MoreThuenteLineSearch)\", \"n\": {n}, \"memory\": {memory}, \
         \"status\": \"{}\", \"iterations\": {}, \"values\": {}, \"gradients\": {}, \"value\": {:e}, \
         \"grad_inf\": {:e}, \"repeats\": {repeats}, \"wall_s\": {wall:e}, \"objective_s\": {inside:e}, \
         \"overhead_s\": {:e}, \"overhead_per_iteration_s\": {:e}}}",
        if run.converged { "converged" } else { "not_converged" },
        run.iterations,
        run.values,
        run.gradients,
        run.value,
        run.grad_inf,
        wall - inside,
        (wall - inside) / run.iterations.max(1) as f64,
    );
}
