//! The data-parallel trainer under `mpirun -np 2` (feature `mpi`): against one process, across
//! ranks, and killed then resumed. Runs the `data-parallel` binary.
#![cfg(feature = "mpi")]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use descent::first_order::{Adam, Optimizer, Schedule};
use descent_nn::data::Standardizer;
use descent_nn::train::{TrainConfig, train};
use descent_nn::{Activation, Dataset, Mlp, Model};

/// Runs `mpirun -np <ranks> data-parallel <args>` in `dir`, killing it after 60 s (a hang is
/// a failure, not a stuck test).
fn mpirun(dir: &Path, ranks: usize, args: &[&str]) -> Output {
    let mut child = Command::new("mpirun")
        .args(["-np", &ranks.to_string(), "--oversubscribe", env!("CARGO_BIN_EXE_data-parallel")])
        .args(args)
        .current_dir(dir)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun (Open MPI) on the PATH");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("mpirun {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Each rank's θ hash from the binary's `rank R hash H …` lines, by rank.
fn hashes(stdout: &str) -> Vec<String> {
    let mut lines: Vec<(usize, String)> = stdout
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.first() == Some(&"rank")).then(|| (w[1].parse().unwrap(), w[3].to_owned()))
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, h)| h).collect()
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// What the binary trains, in one process with descent-nn: the digits MLP 64-32-10, f32,
/// Adam under warm-up and cosine, 2 epochs of 64.
fn single_process() -> Vec<f32> {
    let (mut train_set, mut test_set) = Dataset::digits().split(0.2, 0).unwrap();
    let s = Standardizer::fit(&train_set);
    s.apply(&mut train_set).unwrap();
    s.apply(&mut test_set).unwrap();
    let model = Mlp::new(64, &[32], 10, Activation::Relu).unwrap().with_l2(1e-4).unwrap();
    let (lr, steps) = (3e-3, 2 * train_set.len().div_ceil(64) as u64);
    let learning_rate = Schedule::WarmupCosine {
        init_learning_rate: 0.0,
        peak_learning_rate: lr,
        warmup_steps: 10,
        decay_steps: steps,
        end_learning_rate: lr / 30.0,
    };
    let rule = Adam { learning_rate, ..Adam::torch(lr) }.rule();
    let mut params: Vec<f32> = model.init_params(5);
    let mut opt = Optimizer::new(rule, params.len()).unwrap();
    let config = TrainConfig { epochs: 2, batch: 64, seed: 3, patience: None };
    train(&model, &mut params, &mut opt, &train_set, &test_set, &config, |_| {}).unwrap();
    params
}

#[test]
fn two_ranks_match_one_process_and_a_killed_run_resumes_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let reference = single_process();

    // One rank under mpirun: the same code path as descent-nn, bit for bit.
    let one = ok(&mpirun(dir.path(), 1, &["--out", "one.bin"]));
    assert_eq!(hashes(&one).len(), 1);
    assert_eq!(read_f32(&dir.path().join("one.bin")), reference);

    // Two ranks: identical replicas, and the single-process θ to rounding (the mean gradient is
    // summed per half-minibatch, then across ranks).
    let two = ok(&mpirun(dir.path(), 2, &["--out", "full.bin", "--check-every", "1"]));
    let h = hashes(&two);
    assert_eq!(h.len(), 2);
    assert_eq!(h[0], h[1], "the ranks' θ differ: {two}");
    let full = read_f32(&dir.path().join("full.bin"));
    assert_eq!(full.len(), reference.len());
    let scale = reference.iter().fold(0.0_f32, |m, x| m.max(x.abs()));
    let worst = full.iter().zip(&reference).fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst <= 1e-6 * scale, "max |Δθ| {worst:e} vs max |θ| {scale}");
    assert!(worst > 0.0, "the two-rank sums are rounded differently (6e-8 when written)");

    // Killed: the last rank fails after step 25 and aborts the job (no hang, non-zero status);
    // rank 0 had written the checkpoint of step 20.
    let killed = mpirun(
        dir.path(),
        2,
        &["--checkpoint", "run.ddp", "--checkpoint-every", "10", "--fail-at", "25"],
    );
    let stderr = String::from_utf8_lossy(&killed.stderr);
    assert!(!killed.status.success());
    assert!(stderr.contains("error: rank 1 of 2: simulated failure after step 25"), "{stderr}");
    assert!(std::fs::metadata(dir.path().join("run.ddp")).unwrap().len() > 4 * 2 * 2410);

    // Resumed from the checkpoint to the end: the uninterrupted run's θ, bit for bit.
    let resumed = ok(&mpirun(dir.path(), 2, &["--resume", "run.ddp", "--out", "resumed.bin"]));
    assert_eq!(hashes(&resumed), h);
    assert_eq!(read_f32(&dir.path().join("resumed.bin")), full);
}
