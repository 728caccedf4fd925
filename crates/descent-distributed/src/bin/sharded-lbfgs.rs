//! `sharded-lbfgs`: L-BFGS on softmax regression over the digits, sharded over the ranks of an
//! MPI job (the problem `logistic:digits`; see `descent_distributed::softmax`).
//!
//! ```text
//! mpirun -np 2 sharded-lbfgs [--gtol G] [--max-iter N] [--memory M]
//! ```
//!
//! Every rank runs the same solver on the all-reduced numbers; rank 0 prints the result, one
//! `key=value` a line (`x` in shortest round-trip form, so that it parses back to the same bits):
//! `ranks`, `status`, `iterations`, `values`, `gradients`, `value`, `grad_norm`, `seconds`, `x`.
//! A rank that fails prints why and aborts the job (exit code 2).

use descent::{Lbfgs, Options, minimize};
use descent_distributed::{Communicator, Mpi, Sharded, logistic_digits};

/// The command line: `--gtol`, `--max-iter`, `--memory`.
struct Settings {
    gtol: f64,
    max_iter: usize,
    memory: usize,
}

fn parse() -> Result<Settings, String> {
    let mut settings = Settings { gtol: 1e-8, max_iter: 10_000, memory: 10 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--gtol" => settings.gtol = value.parse().map_err(|e| bad(&e))?,
            "--max-iter" => settings.max_iter = value.parse().map_err(|e| bad(&e))?,
            "--memory" => settings.memory = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown argument {flag} (use --gtol, --max-iter, --memory)")),
        }
    }
    Ok(settings)
}

fn run(comm: &Mpi) -> Result<(), String> {
    let settings = parse()?;
    let shard = logistic_digits(comm.rank(), comm.size()).map_err(|e| e.to_string())?;
    let x0 = shard.start();
    let f = Sharded::new(shard, comm);
    let options =
        Options { gtol: settings.gtol, max_iter: settings.max_iter, ..Options::default() };
    let method = Lbfgs::new(settings.memory).map_err(|e| e.to_string())?;
    comm.barrier();
    let report = minimize(&f, &x0, method, &options).map_err(|e| e.to_string())?;
    if comm.is_root() {
        let x: Vec<String> = report.x.iter().map(f64::to_string).collect();
        println!("ranks={}", comm.size());
        println!("status={}", report.status.name());
        println!("iterations={}", report.iterations);
        println!("values={}", report.evaluations.value);
        println!("gradients={}", report.evaluations.gradient);
        println!("value={}", report.value);
        println!("grad_norm={}", report.grad_norm);
        println!("seconds={}", report.elapsed.as_secs_f64());
        println!("x={}", x.join(","));
    }
    Ok(())
}

fn main() {
    let Some(comm) = Mpi::init() else {
        eprintln!("sharded-lbfgs: MPI was initialised already");
        std::process::exit(2);
    };
    if let Err(message) = run(&comm) {
        eprintln!("sharded-lbfgs (rank {}): {message}", comm.rank());
        comm.abort(2);
    }
}
