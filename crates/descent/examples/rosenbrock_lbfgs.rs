//! L-BFGS with the Moré–Thuente line search on the extended Rosenbrock function, timed the way
//! `bench/peers/rosenbrock_peers.sh` times scipy and argmin: from (−1.2, 1, −1.2, 1, …) until
//! ‖∇f‖∞ ≤ 1e-5, counting evaluations and the time spent inside the objective.
//!
//! ```sh
//! cargo run --release -p descent --example rosenbrock_lbfgs -- N MEMORY [REPEATS]
//! ```
//!
//! prints one JSON object: the counts of the run, and the median over `REPEATS` solves
//! (default: after one warm-up solve, as many as fit in a second, at least 5) of the whole
//! solve's wall time and of the time inside `value_grad`, so that the solver's own overhead is
//! their difference.

use std::cell::Cell;
use std::time::{Duration, Instant};

use descent::line_search::MoreThuente;
use descent::problems::{Problem, Rosenbrock};
use descent::{Lbfgs, Objective, Options, minimize};

/// An objective that adds the time spent in each call to a clock.
struct Timed<'a, O> {
    inner: &'a O,
    inside: Cell<Duration>,
}

impl<O: Objective> Objective for Timed<'_, O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&self, x: &[f64]) -> f64 {
        let start = Instant::now();
        let value = self.inner.value(x);
        self.inside.set(self.inside.get() + start.elapsed());
        value
    }
    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let start = Instant::now();
        let value = self.inner.value_grad(x, grad);
        self.inside.set(self.inside.get() + start.elapsed());
        value
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: rosenbrock_lbfgs N MEMORY [REPEATS]";
    let n: usize = args.first().ok_or(usage)?.parse()?;
    let memory: usize = args.get(1).ok_or(usage)?.parse()?;
    let f = Rosenbrock::new(n)?;
    let x0 = f.start();
    let options = Options { gtol: 0.0, gtol_inf: 1e-5, max_iter: 10_000, ..Options::default() };
    let method = Lbfgs::new(memory)?.with_line_search(MoreThuente::default());

    let solve = || {
        let timed = Timed { inner: &f, inside: Cell::new(Duration::ZERO) };
        let start = Instant::now();
        let report = minimize(&timed, &x0, method, &options).expect("valid settings");
        (report, start.elapsed().as_secs_f64(), timed.inside.get().as_secs_f64())
    };
    solve(); // warm-up
    let (report, _, _) = solve();
    let fixed: Option<usize> = args.get(2).map(|r| r.parse()).transpose()?;
    let (mut walls, mut insides) = (Vec::new(), Vec::new());
    while match fixed {
        Some(r) => walls.len() < r,
        None => walls.len() < 5 || (walls.iter().sum::<f64>() < 1.0 && walls.len() < 10_000),
    } {
        let (_, wall, inside) = solve();
        walls.push(wall);
        insides.push(inside);
    }
    let repeats = walls.len();
    let (wall, inside) = (median(walls), median(insides));
    let grad_inf = {
        let mut g = vec![0.0; n];
        f.value_grad(&report.x, &mut g);
        g.iter().fold(0.0f64, |m, v| m.max(v.abs()))
    };
    println!(
        "{{\"library\": \"descent\", \"method\": \"L-BFGS (Moré–Thuente)\", \"n\": {n}, \
         \"memory\": {memory}, \"status\": \"{}\", \"iterations\": {}, \"values\": {}, \
         \"gradients\": {}, \"value\": {:e}, \"grad_inf\": {:e}, \"repeats\": {repeats}, \
         \"wall_s\": {wall:e}, \"objective_s\": {inside:e}, \"overhead_s\": {:e}, \
         \"overhead_per_iteration_s\": {:e}}}",
        report.status.name(),
        report.iterations,
        report.evaluations.value,
        report.evaluations.gradient,
        report.value,
        grad_inf,
        wall - inside,
        (wall - inside) / report.iterations.max(1) as f64,
    );
    Ok(())
}
