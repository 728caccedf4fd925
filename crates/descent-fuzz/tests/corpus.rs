//! Replays the fuzz corpora and the saved crash inputs through the fuzz targets' contracts, as
//! ordinary tests (no fuzzer, no nightly): every file of `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` must give a typed error or a valid result.
//!
//! It also checks that the library-written seeds are accepted, so that the fuzzer starts from
//! inputs that reach the decoders' success paths.

use std::path::{Path, PathBuf};

use descent_fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none if the folder is missing).
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs every file of `kind` through its target; returns how many files ran.
fn replay(kind: &str) -> usize {
    let mut count = 0;
    for &(target, run) in TARGETS {
        for file in files(kind, target) {
            let data = std::fs::read(&file).unwrap();
            // A panic names the file: the assertion message alone would not say which.
            let result = std::panic::catch_unwind(|| run(&data));
            assert!(result.is_ok(), "{target}: {} breaks the contract", file.display());
            count += 1;
        }
    }
    count
}

#[test]
fn every_corpus_file_gives_a_typed_error_or_a_valid_result() {
    let count = replay("corpus");
    // The seeds alone are over 60 files: an empty replay means the corpus was not found.
    assert!(count >= 60, "only {count} corpus files");
}

#[test]
fn every_saved_crash_input_now_gives_a_typed_error_or_a_valid_result() {
    replay("regressions");
}

#[test]
fn every_target_has_a_corpus() {
    for &(target, _) in TARGETS {
        assert!(!files("corpus", target).is_empty(), "fuzz/corpus/{target} is empty");
    }
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(fuzz_dir().join("corpus").join(target).join(format!("seed-{name}"))).unwrap()
}

#[test]
fn the_library_written_seeds_decode() {
    let name = Path::new("seed");
    let wav = seed("wav", "int16");
    let audio = descent_signal::decode_wav(&wav[1..], name, None).unwrap();
    assert_eq!((audio.rate, audio.samples.len()), (8000, 24));

    for bitpix in ["8", "16", "32", "-32", "-64"] {
        let image =
            descent_imaging::fits::decode(name, &seed("fits", &format!("bitpix{bitpix}"))).unwrap();
        assert_eq!(image.shape(), (3, 2));
        assert!((image.data()[1] - 0.25).abs() < 0.01, "BITPIX {bitpix}: {:?}", image.data());
    }
    for depth in ["8", "16"] {
        assert_eq!(descent_imaging::decode_png(&seed("png", depth), name).unwrap().shape(), (3, 2));
    }
    for colour in ["grey", "rgb"] {
        let image = descent_imaging::decode_jpeg(&seed("jpeg", colour), name).unwrap();
        assert_eq!(image.shape(), (8, 8));
    }

    let idx = seed("idx", "3x2x2");
    let split = usize::from(u16::from_le_bytes([idx[0], idx[1]]));
    let (labels, images) = idx[2..].split_at(split);
    let set = descent_nn::Dataset::from_idx_bytes(images, name, labels, name).unwrap();
    assert_eq!((set.len(), set.shape(), set.labels()), (3, &[2, 2][..], &[1, 7, 9][..]));

    let (header, params) = descent_nn::checkpoint::decode_model::<f32>(
        &seed("nn_checkpoint", "adam-f32-1")[1..],
        name,
    )
    .unwrap();
    assert_eq!((header.model.widths.as_slice(), params.len()), (&[2, 3, 2][..], 17));
    // The framed payload is the same file: the target's framing matches the library's.
    let framed =
        descent_fuzz::frame(b"DNNCKPT\0", 2, &seed("nn_checkpoint", "adam-f32-1-payload")[1..]);
    assert_eq!(framed, seed("nn_checkpoint", "adam-f32-1")[1..]);

    let meta = seed("maml", "maml-sinusoid-10shot.dmeta-0");
    let model = descent_meta::maml::from_bytes::<f32>(&meta[1..], name).unwrap();
    assert_eq!(model.spec.widths, [1, 40, 40, 1]);
    let framed = descent_fuzz::frame(
        b"DMETAML\0",
        1,
        &seed("maml", "maml-sinusoid-10shot.dmeta-0-payload")[1..],
    );
    assert_eq!(framed, meta[1..]);

    let dist = seed("dist_checkpoint", "adam-f64");
    let framed =
        descent_fuzz::frame(b"DDPCKPT\0", 1, &seed("dist_checkpoint", "adam-f64-payload")[1..]);
    assert_eq!(framed, dist[1..]);
}
