//! `descent train --distributed`: refused with one line in a build without MPI; under
//! `mpirun -np 2` (feature `distributed`) the one-process run's numbers to rounding, one JSON
//! object from rank 0, and `--save`/`--resume` bit for bit.

use assert_cmd::Command;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

#[cfg(not(feature = "distributed"))]
#[test]
fn distributed_without_the_feature_is_one_line_and_exit_code_2() {
    let out = descent().args(["train", "--distributed", "--epochs", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--features distributed"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[cfg(feature = "distributed")]
mod mpi {
    use std::path::Path;
    use std::process::Command;

    use serde_json::Value;

    use super::descent;

    /// `mpirun -np 2 descent <args> --json`: rank 0's one JSON object.
    fn mpirun_json(dir: &Path, args: &[&str]) -> Value {
        let out = Command::new("mpirun")
            .args(["-np", "2", "--oversubscribe", env!("CARGO_BIN_EXE_descent")])
            .args(args)
            .arg("--json")
            .current_dir(dir)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.trim_end().lines().count(), 1, "rank 0 alone prints: {stdout}");
        serde_json::from_str(&stdout).unwrap()
    }

    const RUN: [&str; 8] =
        ["train", "--model", "mlp:32", "--lr", "1e-2", "--l2", "1e-4", "--distributed"];

    #[test]
    fn two_ranks_train_as_one_process_and_resume_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let one = descent().args(&RUN[..7]).args(["--epochs", "3", "--json"]).output().unwrap();
        assert!(one.status.success());
        let one: Value = serde_json::from_slice(&one.stdout).unwrap();
        let two = mpirun_json(
            dir.path(),
            &[&RUN[..], &["--epochs", "3", "--save", "full.ckpt"]].concat(),
        );
        assert_eq!(two["ranks"], 2);
        assert_eq!(one["ranks"], 1);
        for (a, b) in
            two["history"].as_array().unwrap().iter().zip(one["history"].as_array().unwrap())
        {
            for key in ["train_loss", "test_loss"] {
                let (a, b) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
                assert!((a - b).abs() <= 1e-5 * b, "{key}: {a} vs {b}");
            }
        }
        assert!(two["test_accuracy"].as_f64().unwrap() > 0.85);

        // Two epochs, then resumed to three (with --distributed): the same checkpoint bytes.
        mpirun_json(dir.path(), &[&RUN[..], &["--epochs", "2", "--save", "part.ckpt"]].concat());
        let resumed = mpirun_json(
            dir.path(),
            &[
                "train",
                "--distributed",
                "--resume",
                "part.ckpt",
                "--epochs",
                "3",
                "--save",
                "part.ckpt",
            ],
        );
        assert_eq!(resumed["resumed_at_epoch"], 2);
        let (full, part) = (dir.path().join("full.ckpt"), dir.path().join("part.ckpt"));
        assert_eq!(std::fs::read(full).unwrap(), std::fs::read(part).unwrap());
    }
}
