//! Distributed L-BFGS on sharded softmax regression over the digits (`mpirun -np 2`) against
//! the single-process solve: the must-show (here to the bit, not only to 1e-8). Needs the `mpi` feature and `mpirun`:
//! `cargo test --release -p descent-distributed --features mpi`.
#![cfg(feature = "mpi")]

use std::collections::HashMap;
use std::process::Command;

use descent::{Lbfgs, Objective, Options, Report, minimize};
use descent_distributed::{Local, Sharded, logistic_digits};

const GTOL: f64 = 1e-8;
const MEMORY: usize = 10;

fn solve<O: Objective>(f: &O) -> Report {
    let options = Options { gtol: GTOL, max_iter: 10_000, ..Options::default() };
    minimize(f, &vec![0.0; f.dim()], Lbfgs::new(MEMORY).unwrap(), &options).unwrap()
}

/// Runs the bin under `mpirun -np <ranks>` and parses rank 0's `key=value` lines.
fn mpirun(ranks: usize) -> HashMap<String, String> {
    let out = Command::new("mpirun")
        .args(["-np", &ranks.to_string(), "--oversubscribe", env!("CARGO_BIN_EXE_sharded-lbfgs")])
        .args(["--gtol", &GTOL.to_string(), "--memory", &MEMORY.to_string()])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("mpirun runs (Open MPI installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mpirun failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse_x(fields: &HashMap<String, String>) -> Vec<f64> {
    fields["x"].split(',').map(|v| v.parse().unwrap()).collect()
}

#[test]
fn two_ranks_reach_the_single_process_minimiser_in_the_same_iterations() {
    let single = solve(&Sharded::new(logistic_digits(0, 1).unwrap(), &Local));
    assert_eq!(single.status.name(), "converged");
    let fields = mpirun(2);
    assert_eq!(fields["ranks"], "2");
    assert_eq!(fields["status"], "converged");
    let iterations: usize = fields["iterations"].parse().unwrap();
    let x = parse_x(&fields);
    assert_eq!(x.len(), single.x.len());
    let gap = x.iter().zip(&single.x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!(
        "1 process: {} iterations, {:.3} s; 2 ranks: {iterations} iterations, {} s; max |Δx| = {gap:e}",
        single.iterations,
        single.elapsed.as_secs_f64(),
        fields["seconds"]
    );
    assert!(gap <= 1e-8, "max |x_2 − x_1| = {gap}");
    assert_eq!(iterations, single.iterations);
    // The summation order is fixed by the blocks, not by the ranks (softmax module docs): for
    // 2 ranks the run is the one-process run to the bit.
    assert_eq!(fields["values"], single.evaluations.value.to_string());
    assert_eq!(fields["value"], single.value.to_string());
    assert!(x.iter().zip(&single.x).all(|(a, b)| a.to_bits() == b.to_bits()));
}
