//! `data-parallel`: data-parallel training of an MLP under `mpirun`, for the MPI tests and the
//! scaling measurements (feature `mpi`).
//!
//! ```text
//! mpirun -np 2 data-parallel [--data digits|mnist:DIR] [--hidden 32] [--epochs 2] [--batch 64]
//!     [--seed 3] [--lr 3e-3] [--check-every 1] [--checkpoint FILE --checkpoint-every N]
//!     [--resume FILE] [--fail-at STEP] [--out FILE]
//! ```
//!
//! Trains a ReLU MLP (inputs–hidden–classes, L2 1e-4, He init seed 5) in f32 with Adam under a
//! warm-up and cosine schedule (10 warm-up steps, decay over the whole run), the digits
//! standardised (split 0.2, seed 0) or MNIST scaled to [0, 1]. Every rank prints one line
//! `rank R hash H steps S steps_s T all_reduce_s A optimizer_s O …`; rank 0 writes θ to `--out` (little-endian
//! f32), atomically. `--fail-at k` makes the last rank fail after step k: it prints one line
//! and aborts the job (MPI_Abort), as a crashed rank would. Errors: one line, then MPI_Abort
//! with code 2.

use std::path::PathBuf;

use descent::first_order::{Adam, Optimizer, Schedule, Threads};
use descent_distributed::checkpoint;
use descent_distributed::train::{
    Checkpointing, DataParallelConfig, Progress, abort_on_error, params_hash, train_data_parallel,
};
use descent_distributed::{Communicator, Mpi};
use descent_nn::data::Standardizer;
use descent_nn::{Activation, Dataset, Mlp, Model};

/// The command line.
struct Args {
    data: String,
    hidden: usize,
    epochs: usize,
    batch: usize,
    seed: u64,
    lr: f64,
    check_every: Option<u64>,
    checkpoint: Option<PathBuf>,
    checkpoint_every: u64,
    resume: Option<PathBuf>,
    fail_at: Option<u64>,
    out: Option<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        data: "digits".into(),
        hidden: 32,
        epochs: 2,
        batch: 64,
        seed: 3,
        lr: 3e-3,
        check_every: Some(1),
        checkpoint: None,
        checkpoint_every: 10,
        resume: None,
        fail_at: None,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--data" => a.data = value,
            "--hidden" => a.hidden = num(&value)? as usize,
            "--epochs" => a.epochs = num(&value)? as usize,
            "--batch" => a.batch = num(&value)? as usize,
            "--seed" => a.seed = num(&value)?,
            "--lr" => a.lr = value.parse().map_err(|e| format!("--lr {value}: {e}"))?,
            "--check-every" => a.check_every = Some(num(&value)?).filter(|&k| k > 0),
            "--checkpoint" => a.checkpoint = Some(value.into()),
            "--checkpoint-every" => a.checkpoint_every = num(&value)?,
            "--resume" => a.resume = Some(value.into()),
            "--fail-at" => a.fail_at = Some(num(&value)?),
            "--out" => a.out = Some(value.into()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn data(spec: &str) -> descent_nn::Result<(Dataset, Dataset)> {
    if let Some(dir) = spec.strip_prefix("mnist:") {
        let (mut train, mut test) = Dataset::mnist(dir)?;
        train.scale(1.0 / 255.0)?;
        test.scale(1.0 / 255.0)?;
        return Ok((train, test));
    }
    let (mut train, mut test) = Dataset::digits().split(0.2, 0)?;
    let s = Standardizer::fit(&train);
    s.apply(&mut train)?;
    s.apply(&mut test)?;
    Ok((train, test))
}

fn main() {
    let Some(comm) = Mpi::init() else {
        eprintln!("error: MPI was initialised already");
        std::process::exit(2);
    };
    let args = abort_on_error(&comm, 2, parse());
    run(&comm, &args);
}

fn run(comm: &Mpi, args: &Args) {
    let (train_set, test_set) = abort_on_error(comm, 2, data(&args.data));
    let model = abort_on_error(
        comm,
        2,
        Mlp::new(train_set.dim(), &[args.hidden], 10, Activation::Relu)
            .and_then(|m| m.with_l2(1e-4)),
    );
    let steps = (args.epochs * train_set.len().div_ceil(args.batch)) as u64;
    let learning_rate = Schedule::WarmupCosine {
        init_learning_rate: 0.0,
        peak_learning_rate: args.lr,
        warmup_steps: 10,
        decay_steps: steps.max(11),
        end_learning_rate: args.lr / 30.0,
    };
    let rule = Adam { learning_rate, ..Adam::torch(args.lr) }.rule();
    let mut config = DataParallelConfig {
        epochs: args.epochs,
        batch: args.batch,
        seed: args.seed,
        check_every: args.check_every,
        stop_after: None,
    };
    let (mut params, optimizer, progress) = match &args.resume {
        Some(path) => {
            let saved = abort_on_error(comm, 2, checkpoint::load(comm, path));
            config.epochs = config.epochs.max(saved.header.config.epochs);
            let optimizer = abort_on_error(comm, 2, Optimizer::resume(rule, saved.optimizer));
            (saved.params, optimizer, saved.progress)
        }
        None => {
            let params: Vec<f32> = model.init_params(5);
            let optimizer = abort_on_error(comm, 2, Optimizer::new(rule, params.len()));
            (params, optimizer, Progress::default())
        }
    };
    let mut optimizer = optimizer.with_threads(Threads::Single);
    let failing = args.fail_at.is_some() && comm.rank() + 1 == comm.size();
    if failing {
        config.stop_after = args.fail_at;
    }
    let meta = format!("data-parallel MLP {}-{}-10 on {}", train_set.dim(), args.hidden, args.data);
    let plan = args.checkpoint.as_deref().map(|path| Checkpointing {
        path,
        every: args.checkpoint_every,
        meta: &meta,
    });
    let report = abort_on_error(
        comm,
        2,
        train_data_parallel(
            comm,
            &model,
            &mut params,
            &mut optimizer,
            &train_set,
            &test_set,
            &config,
            progress,
            plan.as_ref(),
            &mut |_| Ok(()),
        ),
    );
    if failing {
        eprintln!(
            "error: rank {} of {}: simulated failure after step {} (aborting the job)",
            comm.rank(),
            comm.size(),
            report.progress.step
        );
        comm.abort(3);
    }
    let t = &report.timing;
    let last = report.progress.epochs.last().map_or(f64::NAN, |e| e.test_accuracy);
    println!(
        "rank {} hash {:016x} steps {} steps_s {:.4} all_reduce_s {:.4} optimizer_s {:.4} epoch_steps_s {:?} test_accuracy {last:.4}",
        comm.rank(),
        params_hash(&params),
        report.progress.step,
        t.steps_s,
        t.all_reduce_s,
        t.optimizer_s,
        t.epoch_steps_s,
    );
    if let (Some(out), true) = (&args.out, comm.is_root()) {
        let bytes: Vec<u8> = params.iter().flat_map(|x| x.to_le_bytes()).collect();
        let written = descent_io::write_atomic(out, &bytes);
        abort_on_error(comm, 2, written);
    }
    comm.barrier();
}
