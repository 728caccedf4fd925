//! Checkpoints: a run saved after epoch k and resumed is the uninterrupted run, bit for bit;
//! the file says what it holds; damaged files give typed errors.
//!
//! Setup: the bundled digits, seeded 80/20 split, standardised; an MLP 64-32-10 (ReLU); Adam
//! under a warm-up cosine schedule (so the step count in the optimizer's state matters) with
//! early stopping on (so the best-parameter copy in the progress matters too).

use std::ops::ControlFlow;
use std::path::Path;

use descent::first_order::{Adam, Optimizer, Rule, Schedule, Sgd};
use descent_nn::checkpoint::{self, Header, Precision, read_checkpoint, read_header, read_model};
use descent_nn::data::Standardizer;
use descent_nn::model::Scalar;
use descent_nn::train::{
    Progress, Snapshot, TrainConfig, TrainObserver, TrainReport, evaluate, train_observed,
};
use descent_nn::{Activation, Dataset, Error, Mlp, Model};

const EPOCHS: usize = 6;

fn data() -> (Dataset, Dataset, Standardizer) {
    let (mut train_set, mut test_set) = Dataset::digits().split(0.2, 5).unwrap();
    let s = Standardizer::fit(&train_set);
    s.apply(&mut train_set).unwrap();
    s.apply(&mut test_set).unwrap();
    (train_set, test_set, s)
}

/// Calls its closure with every epoch's snapshot, then goes on or stops as its second field
/// says.
struct OnEpoch<F>(F, ControlFlow<()>);

impl<R: Rule, T: Scalar, F: FnMut(&Snapshot<'_, R, T>)> TrainObserver<R, T> for OnEpoch<F> {
    fn epoch_done(&mut self, s: &Snapshot<'_, R, T>) -> descent_nn::Result<ControlFlow<()>> {
        (self.0)(s);
        Ok(self.1)
    }
}

/// [`train_observed`] on the (training, test) sets, which must succeed.
fn fit<R: Rule, T: Scalar>(
    model: &Mlp,
    params: &mut [T],
    optimizer: &mut Optimizer<R, T>,
    (train_set, test_set): (&Dataset, &Dataset),
    config: &TrainConfig,
    progress: Progress<T>,
    observer: &mut impl TrainObserver<R, T>,
) -> TrainReport {
    train_observed(model, params, optimizer, train_set, test_set, config, progress, observer)
        .unwrap()
}

fn model() -> Mlp {
    Mlp::new(64, &[32], 10, Activation::Relu).unwrap().with_l2(1e-4).unwrap()
}

fn rule() -> impl Rule {
    let schedule = Schedule::WarmupCosine {
        init_learning_rate: 0.0,
        peak_learning_rate: 3e-3,
        warmup_steps: 40,
        decay_steps: 300,
        end_learning_rate: 1e-4,
    };
    Adam { learning_rate: schedule, ..Adam::torch(3e-3) }.rule()
}

fn config() -> TrainConfig {
    TrainConfig { epochs: EPOCHS, batch: 48, seed: 9, patience: Some(50) }
}

fn header(standardizer: &Standardizer) -> Header {
    Header {
        model: model().spec(),
        precision: Precision::F64, // `save` writes T's precision whatever this says
        standardizer: Some(standardizer.clone()),
        meta: "{\"note\": \"test\"}".into(),
    }
}

/// Saves a checkpoint after every epoch and stops after epoch `stop_after` (counted from 0).
struct SaveAndStop<'a> {
    dir: &'a Path,
    header: Header,
    stop_after: Option<usize>,
}

impl<R: Rule, T: Scalar> TrainObserver<R, T> for SaveAndStop<'_> {
    fn epoch_done(&mut self, s: &Snapshot<'_, R, T>) -> descent_nn::Result<ControlFlow<()>> {
        let path = self.dir.join(format!("epoch-{}.ckpt", s.stats.epoch));
        checkpoint::save(&path, &self.header, s)?;
        Ok(if Some(s.stats.epoch) == self.stop_after {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    }
}

struct Run<T: Scalar, R: Rule> {
    params: Vec<T>,
    optimizer: Optimizer<R, T>,
    report: TrainReport,
}

fn uninterrupted<T: Scalar>(dir: &Path) -> Run<T, impl Rule> {
    let (train_set, test_set, s) = data();
    let m = model();
    let mut params: Vec<T> = m.init_params(4);
    let mut optimizer = Optimizer::new(rule(), params.len()).unwrap();
    let mut observer = SaveAndStop { dir, header: header(&s), stop_after: None };
    let report = fit(
        &m,
        &mut params,
        &mut optimizer,
        (&train_set, &test_set),
        &config(),
        Progress::new(),
        &mut observer,
    );
    assert!(!report.interrupted && report.epochs.len() == EPOCHS);
    Run { params, optimizer, report }
}

/// Stops after epoch `k`, then resumes from that epoch's checkpoint in a fresh optimizer.
fn stopped_and_resumed<T: Scalar>(k: usize, dir: &Path) -> Run<T, impl Rule> {
    let (train_set, test_set, s) = data();
    let m = model();
    let mut params: Vec<T> = m.init_params(4);
    let mut optimizer = Optimizer::new(rule(), params.len()).unwrap();
    let mut observer = SaveAndStop { dir, header: header(&s), stop_after: Some(k) };
    let first = fit(
        &m,
        &mut params,
        &mut optimizer,
        (&train_set, &test_set),
        &config(),
        Progress::new(),
        &mut observer,
    );
    assert!(first.interrupted, "the observer's Break is reported");
    assert_eq!(first.epochs.len(), k + 1);
    drop((params, optimizer));

    let saved = read_checkpoint::<_, T>(&dir.join(format!("epoch-{k}.ckpt"))).unwrap();
    assert_eq!(saved.header.meta, "{\"note\": \"test\"}");
    assert_eq!(saved.header.precision, Precision::of::<T>());
    assert_eq!(saved.config, config());
    let m = Mlp::from_spec(&saved.header.model).unwrap();
    let mut params = saved.params;
    let mut optimizer = Optimizer::resume(rule(), saved.optimizer).unwrap();
    let mut observer = SaveAndStop { dir, header: header(&s), stop_after: None };
    let report = fit(
        &m,
        &mut params,
        &mut optimizer,
        (&train_set, &test_set),
        &config(),
        saved.progress,
        &mut observer,
    );
    Run { params, optimizer, report }
}

fn bits<T: Scalar>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.as_f64().to_bits()).collect()
}

fn assert_resume_is_bit_identical<T: Scalar>() {
    let whole_dir = tempfile::tempdir().unwrap();
    let whole = uninterrupted::<T>(whole_dir.path());
    for k in [0, 2, 4] {
        let dir = tempfile::tempdir().unwrap();
        let resumed = stopped_and_resumed::<T>(k, dir.path());
        assert_eq!(bits(&resumed.params), bits(&whole.params), "θ after resuming at epoch {k}");
        let (a, b) = (resumed.optimizer.state(), whole.optimizer.state());
        assert_eq!(a.step, b.step, "steps taken, k = {k}");
        assert_eq!(bits(&a.cells), bits(&b.cells), "optimizer state, k = {k}");
        assert_eq!(resumed.report, whole.report, "every epoch's statistics, k = {k}");
        // The last checkpoints of both runs are the same bytes.
        let last = format!("epoch-{}.ckpt", EPOCHS - 1);
        let a = std::fs::read(whole_dir.path().join(&last)).unwrap();
        let b = std::fs::read(dir.path().join(&last)).unwrap();
        assert!(a == b, "the final checkpoints differ (k = {k})");
    }
}

#[test]
fn resumed_run_is_bit_identical_f32() {
    assert_resume_is_bit_identical::<f32>();
}

#[test]
fn resumed_run_is_bit_identical_f64() {
    assert_resume_is_bit_identical::<f64>();
}

/// The saved θ predicts as the run did: the epoch's test accuracy and loss, exactly.
#[test]
fn saved_model_predicts_as_the_run_measured() {
    let dir = tempfile::tempdir().unwrap();
    let whole = uninterrupted::<f32>(dir.path());
    let (_, test_set, s) = data();
    for epoch in [0, EPOCHS - 1] {
        let (h, params) =
            read_model::<f32>(&dir.path().join(format!("epoch-{epoch}.ckpt"))).unwrap();
        assert_eq!(h, read_header(&dir.path().join(format!("epoch-{epoch}.ckpt"))).unwrap());
        assert_eq!(h.standardizer.as_ref(), Some(&s));
        let m = Mlp::from_spec(&h.model).unwrap();
        let e = evaluate(&m, &params, &test_set, config().batch).unwrap();
        let stats = whole.report.epochs[epoch];
        assert_eq!(e.accuracy, stats.test_accuracy);
        assert_eq!(e.loss, stats.test_loss, "same chunks, same rounding");
        assert_eq!(e.confusion.iter().sum::<usize>(), test_set.len());
    }
}

/// With early stopping, a finished run ends on the best epoch's θ; an interrupted run keeps
/// its last θ (to be resumed) and says so.
#[test]
fn interrupted_run_keeps_its_last_parameters() {
    let (train_set, test_set, _) = data();
    let m = model();
    let init: Vec<f64> = m.init_params(4);
    let mut params = init.clone();
    let mut optimizer = Optimizer::new(Sgd::new(0.05).rule(), params.len()).unwrap();
    let config = TrainConfig { epochs: 3, batch: 64, seed: 1, patience: Some(1) };
    let mut last = Vec::new();
    let mut stop_first = |s: &Snapshot<'_, _, f64>| {
        last = s.params.to_vec();
        assert_eq!(s.progress.best_params.len(), s.params.len());
    };
    let report = fit(
        &m,
        &mut params,
        &mut optimizer,
        (&train_set, &test_set),
        &config,
        Progress::new(),
        &mut OnEpoch(&mut stop_first, ControlFlow::Break(())),
    );
    assert!(report.interrupted && !report.stopped_early);
    assert_eq!(report.epochs.len(), 1);
    assert_eq!(params, last);
    assert_ne!(params, init);
}

/// A checkpoint written by the f32 run, the Adam rule.
fn a_checkpoint(dir: &Path) -> std::path::PathBuf {
    let (train_set, test_set, s) = data();
    let m = model();
    let mut params: Vec<f32> = m.init_params(0);
    let mut optimizer = Optimizer::new(rule(), params.len()).unwrap();
    let config = TrainConfig { epochs: 1, ..config() };
    let mut observer = SaveAndStop { dir, header: header(&s), stop_after: None };
    fit(
        &m,
        &mut params,
        &mut optimizer,
        (&train_set, &test_set),
        &config,
        Progress::new(),
        &mut observer,
    );
    dir.join("epoch-0.ckpt")
}

fn malformed_offset(e: Error) -> u64 {
    match e {
        Error::Malformed { offset, .. } => offset,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn damaged_checkpoints_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = a_checkpoint(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.ckpt");
    // Every truncation of the first 300 bytes (preamble, header, the start of θ), then every
    // 211th: an error, never a panic.
    let mut lengths: Vec<usize> = (0..300).collect();
    lengths.extend((300..bytes.len()).step_by(211));
    lengths.push(bytes.len() - 1);
    for len in lengths {
        std::fs::write(&bad, &bytes[..len]).unwrap();
        let e = resume_with_rule(&bad).expect_err(&format!("truncated at {len}"));
        assert!(matches!(e, Error::Malformed { .. }), "truncated at {len}: {e}");
    }
    // θ ends well after 300 bytes: cut inside it, the model alone does not read either.
    std::fs::write(&bad, &bytes[..1000]).unwrap();
    assert!(matches!(read_model::<f32>(&bad), Err(Error::Malformed { .. })));

    // Not a checkpoint; another version; bytes after the end.
    std::fs::write(&bad, b"hello, world, this is not it").unwrap();
    assert_eq!(malformed_offset(read_header(&bad).unwrap_err()), 0);
    let mut v3 = bytes.clone();
    v3[8] = 3;
    std::fs::write(&bad, &v3).unwrap();
    let e = read_header(&bad).unwrap_err();
    assert!(e.to_string().contains("version 3"), "{e}");
    assert_eq!(malformed_offset(e), 8);
    // Version 1 (before the network's head was stored): refused, saying why.
    let mut v1 = bytes.clone();
    v1[8] = 1;
    std::fs::write(&bad, &v1).unwrap();
    let e = read_header(&bad).unwrap_err();
    assert!(e.to_string().contains("format version 1, written before networks had a head"), "{e}");
    assert_eq!(malformed_offset(e), 8);
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0, 0, 0]);
    std::fs::write(&bad, &longer).unwrap();
    let e = read_header(&bad).unwrap_err();
    assert!(e.to_string().contains("too long"), "{e}");
    assert_eq!(malformed_offset(e), bytes.len() as u64);
    // Cut after θ: even the reader that stops there sees it.
    std::fs::write(&bad, &bytes[..bytes.len() - 10]).unwrap();
    let e = read_model::<f32>(&bad).unwrap_err();
    assert!(e.to_string().contains("cut short"), "{e}");
    // One flipped bit anywhere after the preamble.
    for at in [30, bytes.len() / 2, bytes.len() - 1] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        std::fs::write(&bad, &flipped).unwrap();
        let e = read_model::<f32>(&bad).unwrap_err();
        assert!(e.to_string().contains("CRC-32"), "bit flipped at {at}: {e}");
    }

    // Another precision, another rule.
    let e = read_model::<f64>(&path).unwrap_err();
    assert!(e.to_string().contains("the numbers are f32, f64 was asked for"), "{e}");
    let e = read_checkpoint::<_, f32>(&path)
        .map(|r: checkpoint::Resume<_, f32>| Optimizer::resume(Sgd::new(0.1).rule(), r.optimizer))
        .unwrap_err();
    assert!(e.to_string().contains("was saved with the optimizer rule"), "{e}");

    // A missing file names itself.
    let e = read_header(&dir.path().join("nope.ckpt")).unwrap_err();
    assert!(matches!(&e, Error::Io { file, .. } if file.ends_with("nope.ckpt")), "{e}");
}

fn resume_with_rule(path: &Path) -> descent_nn::Result<()> {
    read_checkpoint::<_, f32>(path).map(|r| {
        let _ = Optimizer::resume(rule(), r.optimizer);
    })
}

/// Saving into a directory that does not exist fails with the path and leaves nothing; saving
/// over a checkpoint replaces it whole and leaves no temporary file.
#[test]
fn saving_is_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let path = a_checkpoint(dir.path());
    let before = std::fs::read(&path).unwrap();
    // Overwrite epoch 0's file with a 2-epoch run's last checkpoint.
    let (train_set, test_set, s) = data();
    let m = model();
    let mut params: Vec<f32> = m.init_params(0);
    let mut optimizer = Optimizer::new(rule(), params.len()).unwrap();
    let config = TrainConfig { epochs: 2, ..config() };
    let header = header(&s);
    let mut save_over = |snap: &Snapshot<'_, _, f32>| {
        checkpoint::save(&path, &header, snap).unwrap();
        let missing = dir.path().join("no/such/dir/x.ckpt");
        let e = checkpoint::save(&missing, &header, snap).unwrap_err();
        assert!(matches!(&e, Error::Io { file, .. } if file == &missing), "{e}");
    };
    fit(
        &m,
        &mut params,
        &mut optimizer,
        (&train_set, &test_set),
        &config,
        Progress::new(),
        &mut OnEpoch(&mut save_over, ControlFlow::Continue(())),
    );
    let after = read_checkpoint::<_, f32>(&path).unwrap();
    let _ = Optimizer::resume(rule(), after.optimizer); // fixes the rule type read
    assert_eq!(after.progress.epochs.len(), 2, "the second epoch's checkpoint replaced the first");
    assert_eq!(after.params, params);
    assert_ne!(std::fs::read(&path).unwrap(), before);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "an ordinary output file, not the temporary file's 0600");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["epoch-0.ckpt"], "no temporary file left: {names:?}");
}

/// A checkpoint's bytes as the format documents them, built by hand (the preamble field by
/// field, the sections with postcard directly): what every writer of version 2 produced
/// before the container moved to descent-io.
fn documented_layout<R: Rule>(r: &checkpoint::Resume<R, f32>) -> Vec<u8> {
    let mut body = postcard::to_stdvec(&r.header).unwrap();
    body.extend(postcard::to_stdvec(&r.params).unwrap());
    // The training section: the rule's type name, the configuration, the progress.
    let training = (std::any::type_name::<R>(), &r.config, &r.progress);
    body.extend(postcard::to_stdvec(&training).unwrap());
    body.extend(postcard::to_stdvec(&r.optimizer).unwrap());
    let mut bytes = b"DNNCKPT\0".to_vec();
    bytes.extend(2u32.to_le_bytes());
    bytes.extend((body.len() as u64).to_le_bytes());
    bytes.extend(crc32fast::hash(&body).to_le_bytes());
    bytes.extend(body);
    bytes
}

/// The byte layout is the documented one: a checkpoint written now equals its hand-built
/// encoding byte for byte, so files written before descent-io's container still load.
#[test]
fn checkpoints_keep_the_documented_byte_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = a_checkpoint(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    let resume = read_checkpoint::<_, f32>(&path)
        .inspect(|r| {
            let _ = Optimizer::resume(rule(), r.optimizer.clone());
        })
        .unwrap();
    assert!(documented_layout(&resume) == bytes, "the layout changed");
    assert_eq!(resume.progress.epochs.len(), 1);
}

/// `magic`, version 2, the length and CRC-32 of `payload`, then `payload`.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut bytes = b"DNNCKPT\0".to_vec();
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn a_preamble_declaring_2_to_the_64_bytes_is_cut_short_at_the_end_of_the_file() {
    // The `nn_checkpoint` fuzz target's input fuzz/regressions/nn_checkpoint/
    // preamble-length-overflows: the error offset, PREAMBLE + declared, overflowed (a panic in a
    // build with overflow checks, a wrong offset without).
    let mut bytes = framed(b"abcd");
    bytes[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = checkpoint::decode_header(&bytes, Path::new("x.ckpt")).unwrap_err();
    assert!(e.to_string().contains("cut short"), "{e}");
    assert_eq!(malformed_offset(e), bytes.len() as u64);
}

#[test]
fn a_checkpoint_whose_network_parameter_count_overflows_is_malformed() {
    // The `nn_checkpoint` fuzz target's input fuzz/regressions/nn_checkpoint/
    // network-parameter-count-overflows: widths 2³³ → 2³³ → 10 passed `Mlp::from_spec`, and
    // counting θ overflowed.
    let wide = 1usize << 33;
    let header = Header {
        model: descent_nn::model::MlpSpec {
            widths: vec![wide, wide, 10],
            activation: Activation::Relu,
            head: descent_nn::model::Head::SoftmaxCrossEntropy,
            l2: 0.0,
            label_smoothing: 0.0,
        },
        precision: Precision::F32,
        standardizer: None,
        meta: String::new(),
    };
    let mut payload = postcard::to_stdvec(&header).unwrap();
    payload.extend(postcard::to_stdvec(&Vec::<f32>::new()).unwrap());
    let e = checkpoint::decode_model::<f32>(&framed(&payload), Path::new("x.ckpt")).unwrap_err();
    assert!(e.to_string().contains("network is invalid"), "{e}");
}

/// A checkpoint's payload for `header` and an empty θ, framed.
fn with_header(header: &Header) -> Vec<u8> {
    let mut payload = postcard::to_stdvec(header).unwrap();
    payload.extend(postcard::to_stdvec(&Vec::<f32>::new()).unwrap());
    framed(&payload)
}

fn small_header(l2: f64, standardizer: Option<Standardizer>) -> Header {
    Header {
        model: descent_nn::model::MlpSpec {
            widths: vec![2, 3],
            activation: Activation::Relu,
            head: descent_nn::model::Head::SoftmaxCrossEntropy,
            l2,
            label_smoothing: 0.0,
        },
        precision: Precision::F32,
        standardizer,
        meta: String::new(),
    }
}

#[test]
fn a_header_whose_network_is_invalid_is_malformed() {
    // The `nn_checkpoint` fuzz target's input fuzz/regressions/nn_checkpoint/
    // header-network-invalid: `read_header` returned a header with l2 = NaN, which no network
    // accepts; only `read_model` checked the network.
    let bytes = with_header(&small_header(f64::NAN, None));
    let e = checkpoint::decode_header(&bytes, Path::new("x.ckpt")).unwrap_err();
    assert!(e.to_string().contains("its network is invalid"), "{e}");
    assert!(
        checkpoint::decode_header(&with_header(&small_header(0.0, None)), Path::new("x")).is_ok()
    );
}

#[test]
fn a_standardizer_that_does_not_fit_the_inputs_is_malformed() {
    let cases = [
        (vec![0.0; 3], vec![1.0; 3], "3 means and 3 scales for 2 inputs"),
        (vec![0.0; 2], vec![1.0; 1], "2 means and 1 scales for 2 inputs"),
        (vec![0.0, f64::NAN], vec![1.0; 2], "a mean that is not finite"),
        (vec![0.0; 2], vec![1.0, 0.0], "finite and positive"),
        (vec![0.0; 2], vec![1.0, f64::INFINITY], "finite and positive"),
    ];
    for (mean, scale, reason) in cases {
        let header = small_header(0.0, Some(Standardizer { mean, scale }));
        let e = checkpoint::decode_header(&with_header(&header), Path::new("x")).unwrap_err();
        assert!(e.to_string().contains(reason), "{e}");
        assert_eq!(malformed_offset(e), 24);
    }
    let fits = Standardizer { mean: vec![0.5, -1.0], scale: vec![2.0, 1.0] };
    let header = small_header(0.0, Some(fits));
    assert!(checkpoint::decode_header(&with_header(&header), Path::new("x")).is_ok());
}
