//! The second-order solvers against the figures of issue 5, one criterion group per component.
//!
//! | group | what one sample times | derived figure printed at the end |
//! |---|---|---|
//! | `lbfgs_overhead` | a whole L-BFGS solve (m = 10, Moré–Thuente) of the extended Rosenbrock function from (−1.2, 1, …) to ‖∇f‖∞ ≤ 1e-5 at n = 2 and 10⁶, and, in the same run, as many `value_grad` calls as that solve makes | solver overhead per iteration = (solve − calls × one call) / iterations |
//! | `bfgs` | a whole BFGS solve (Moré–Thuente) of Rosenbrock at n = 100, same start and test | time per iteration |
//! | `newton_tridiagonal` | one Newton solve of (H + τI) d = −g, factor + solve, H tridiagonal, n = 10⁶ and 10⁷ | time ratio 10⁷ / 10⁶ (linear: 10) |
//! | `newton_dense` | the same for dense H, n = 100 … 1000 | exponent p of time ∝ nᵖ (least squares on log–log) |
//!
//! Run with `cargo bench -p descent --bench solvers` (about three minutes); the derived figures
//! come after criterion's own report. Every figure is a median over criterion's samples, which
//! this file records itself (through `iter_custom`) so that it can combine them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use descent::line_search::MoreThuente;
use descent::newton::Factorization;
use descent::problems::{Problem, Rosenbrock};
use descent::{Bfgs, HessianMatrix, HessianStructure, Lbfgs, Objective, Options, Report, minimize};

/// L-BFGS's memory m, as scipy's default.
const MEMORY: usize = 10;

/// The stopping test of the comparison with scipy and argmin (`bench/peers/`).
fn options() -> Options {
    Options { gtol: 0.0, gtol_inf: 1e-5, max_iter: 10_000, ..Options::default() }
}

/// Per-call times of each benchmark's measured samples, in seconds, by name.
#[derive(Default)]
struct Samples(RefCell<BTreeMap<String, Vec<f64>>>);

impl Samples {
    /// Times `routine` for criterion and keeps the per-call time of every sample.
    fn time<R>(
        &self,
        name: &str,
        bencher: &mut criterion::Bencher<'_>,
        mut routine: impl FnMut() -> R,
    ) {
        bencher.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(routine());
            }
            let elapsed = start.elapsed();
            let per_call = elapsed.as_secs_f64() / iters as f64;
            self.0.borrow_mut().entry(name.to_owned()).or_default().push(per_call);
            elapsed
        });
    }

    /// The median of the last `samples` per-call times (criterion's measurement phase comes
    /// after its warm-up, whose calls are recorded too).
    /// `None` when the benchmark did not run (filtered out on the command line).
    fn median(&self, name: &str, samples: usize) -> Option<f64> {
        let map = self.0.borrow();
        let all = map.get(name)?;
        let mut last = all[all.len().saturating_sub(samples)..].to_vec();
        last.sort_by(f64::total_cmp);
        last.get(last.len() / 2).copied()
    }
}

/// aᵀb in 8 independent partial sums, so that it runs at the speed of memory.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    for (a, b) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += a[k] * b[k];
        }
    }
    acc.iter().sum()
}

fn solve_lbfgs(f: &Rosenbrock, x0: &[f64]) -> Report {
    let method =
        Lbfgs { memory: MEMORY, ..Lbfgs::default() }.with_line_search(MoreThuente::default());
    minimize(f, x0, method, &options()).expect("valid settings")
}

fn solve_bfgs(f: &Rosenbrock, x0: &[f64]) -> Report {
    let method = Bfgs::default().with_line_search(MoreThuente::default());
    minimize(f, x0, method, &options()).expect("valid settings")
}

/// (n, iterations, value_grad calls) of each L-BFGS run.
type Counts = Vec<(usize, usize, usize)>;

fn lbfgs_overhead(c: &mut Criterion, samples: &Samples) -> Counts {
    let mut counts = Vec::new();
    let mut group = c.benchmark_group("lbfgs_overhead");
    for n in [2usize, 1_000_000] {
        let f = Rosenbrock::new(n).expect("even n");
        let x0 = f.start();
        let report = solve_lbfgs(&f, &x0);
        assert!(report.status.is_converged(), "n = {n}: {report:?}");
        let calls = report.evaluations.value;
        counts.push((n, report.iterations, calls));
        let sample_size = if n > 10_000 { 10 } else { 100 };
        group.sample_size(sample_size);
        if n > 10_000 {
            group.measurement_time(Duration::from_secs(30)).warm_up_time(Duration::from_secs(3));
        }
        group.bench_with_input(BenchmarkId::new("solve", n), &n, |b, _| {
            samples.time(&format!("lbfgs/solve/{n}"), b, || solve_lbfgs(&f, &x0).iterations);
        });
        // The objective's own cost, as many calls as the solve makes, on the same data size.
        let mut grad = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("objective_calls", n), &n, |b, _| {
            samples.time(&format!("lbfgs/objective/{n}"), b, || {
                (0..calls).map(|_| f.value_grad(black_box(&x0), &mut grad)).sum::<f64>()
            });
        });
        if n > 10_000 {
            // The yardstick: what a two-loop recursion cannot avoid, two reads of the 2m stored
            // n-vectors, each together with one more n-vector (q or r), per iteration.
            let stored: Vec<Vec<f64>> = (0..2 * MEMORY).map(|k| vec![k as f64; n]).collect();
            group.bench_with_input(
                BenchmarkId::new("yardstick_two_reads_of_pairs", n),
                &n,
                |b, _| {
                    samples.time(&format!("lbfgs/yardstick/{n}"), b, || {
                        let mut total = 0.0;
                        for _ in 0..2 {
                            for v in &stored {
                                total += dot(v, &x0);
                            }
                        }
                        total
                    });
                },
            );
        }
    }
    group.finish();
    counts
}

fn bfgs(c: &mut Criterion, samples: &Samples) -> usize {
    let n = 100;
    let f = Rosenbrock::new(n).expect("even n");
    let x0 = f.start();
    let report = solve_bfgs(&f, &x0);
    assert!(report.status.is_converged(), "{report:?}");
    let mut group = c.benchmark_group("bfgs");
    group.sample_size(50);
    group.bench_with_input(BenchmarkId::new("solve", n), &n, |b, _| {
        samples.time("bfgs/solve/100", b, || solve_bfgs(&f, &x0).iterations);
    });
    group.finish();
    report.iterations
}

/// A random SPD matrix of the structure (diagonally dominant, entries from a fixed LCG), and a
/// right-hand side.
fn spd(structure: HessianStructure, n: usize) -> (HessianMatrix, Vec<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = || {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut h = HessianMatrix::zeros(structure, n);
    match structure {
        HessianStructure::Tridiagonal => {
            for i in 0..n {
                h.set(i, i, 3.0 + noise());
                if i + 1 < n {
                    h.set(i, i + 1, noise());
                }
            }
        }
        _ => {
            for i in 0..n {
                for j in 0..i {
                    h.set(i, j, noise() / n as f64);
                }
                h.set(i, i, 1.0 + noise().abs());
            }
        }
    }
    let rhs = (0..n).map(|_| noise()).collect();
    (h, rhs)
}

/// One Newton solve: factorise H (τ = 0) and solve for d = −H⁻¹g.
fn newton_step(factorization: &mut Factorization, h: &HessianMatrix, g: &[f64], d: &mut [f64]) {
    assert!(factorization.factor(h, 0.0), "SPD by construction");
    for (d, g) in d.iter_mut().zip(g) {
        *d = -g;
    }
    assert!(factorization.solve(d).expect("same dimension"));
}

const TRIDIAGONAL: [usize; 2] = [1_000_000, 10_000_000];
const DENSE: [usize; 5] = [100, 200, 400, 800, 1000];

fn newton(c: &mut Criterion, samples: &Samples) {
    for (group_name, structure, sizes) in [
        ("newton_tridiagonal", HessianStructure::Tridiagonal, &TRIDIAGONAL[..]),
        ("newton_dense", HessianStructure::Dense, &DENSE[..]),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.sample_size(10);
        for &n in sizes {
            let (h, g) = spd(structure, n);
            let mut factorization = Factorization::new(&h);
            let mut d = vec![0.0; n];
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("factor_solve", n), &n, |b, _| {
                samples.time(&format!("{group_name}/{n}"), b, || {
                    newton_step(&mut factorization, &h, &g, &mut d);
                });
            });
        }
        group.finish();
    }
}

/// The slope of the least-squares line through (ln n, ln t).
fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let m = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), (n, t)| (a + n.ln(), b + t.ln()));
    let (mx, my) = (sx / m, sy / m);
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), (n, t)| {
        let (dx, dy) = (n.ln() - mx, t.ln() - my);
        (a + dx * dy, b + dx * dx)
    });
    sxy / sxx
}

fn report(samples: &Samples, counts: &Counts, bfgs_iterations: usize) {
    println!("\n== derived figures (medians of the measured samples) ==");
    for &(n, iterations, calls) in counts {
        let size = if n > 10_000 { 10 } else { 100 };
        let solve = samples.median(&format!("lbfgs/solve/{n}"), size);
        let objective = samples.median(&format!("lbfgs/objective/{n}"), size);
        if let (Some(solve), Some(objective)) = (solve, objective) {
            println!(
                "L-BFGS m = 10, Rosenbrock n = {n}: {iterations} iterations, {calls} value_grad \
                 calls; solve {:.3} ms, objective {:.3} ms, overhead {:.3} µs per iteration",
                solve * 1e3,
                objective * 1e3,
                (solve - objective) / iterations as f64 * 1e6,
            );
        }
        if let Some(floor) = samples.median(&format!("lbfgs/yardstick/{n}"), size) {
            println!(
                "  yardstick at n = {n}: two dot products with each of the 2m = {} stored vectors \
                 take {:.3} ms ({:.1} GB/s read): the memory traffic of a two-loop recursion",
                2 * MEMORY,
                floor * 1e3,
                (2 * 2 * MEMORY * 2 * n * 8) as f64 / floor / 1e9
            );
        }
    }
    if let Some(bfgs) = samples.median("bfgs/solve/100", 50) {
        println!(
            "BFGS, Rosenbrock n = 100: {bfgs_iterations} iterations, {:.2} µs per iteration",
            bfgs / bfgs_iterations as f64 * 1e6
        );
    }
    let tri: Option<Vec<f64>> = TRIDIAGONAL
        .iter()
        .map(|n| samples.median(&format!("newton_tridiagonal/{n}"), 10))
        .collect();
    if let Some(tri) = tri {
        println!(
            "tridiagonal Newton step: n = 10⁶ {:.2} ms, n = 10⁷ {:.2} ms, ratio {:.2} (linear: 10)",
            tri[0] * 1e3,
            tri[1] * 1e3,
            tri[1] / tri[0]
        );
    }
    let dense: Option<Vec<(f64, f64)>> = DENSE
        .iter()
        .map(|&n| Some((n as f64, samples.median(&format!("newton_dense/{n}"), 10)?)))
        .collect();
    if let Some(dense) = dense {
        for (n, t) in &dense {
            println!("dense Newton step n = {n}: {:.3} ms", t * 1e3);
        }
        println!("dense Newton step: time ∝ n^{:.2} for n = 100…1000", log_log_slope(&dense));
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let samples = Samples::default();
    let counts = lbfgs_overhead(&mut c, &samples);
    let bfgs_iterations = bfgs(&mut c, &samples);
    newton(&mut c, &samples);
    c.final_summary();
    report(&samples, &counts, bfgs_iterations);
}
