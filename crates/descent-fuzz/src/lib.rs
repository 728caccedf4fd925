//! The contracts the fuzz targets check, one function per input path a user can reach.
//!
//! Each `pub fn <target>(data: &[u8])` feeds `data` to one parser or decoder and asserts its
//! contract: the input gives a typed error, or a result that is valid by the measure written
//! in the function's doc (a parsed vector has one number per comma-separated item, an image
//! has width·height finite pixels, a data set's labels are below its class count, ...). A
//! panic, an abort, a hang or an allocation out of proportion to the input is a failure, and
//! the assertions here turn an invalid result into a panic too.
//!
//! The same functions run in two places:
//! * `fuzz/fuzz_targets/<target>.rs` (cargo-fuzz, libFuzzer, nightly), one line each;
//! * `tests/corpus.rs`, which replays every file of `fuzz/corpus/<target>/` and
//!   `fuzz/regressions/<target>/` through them as an ordinary test (stable, no fuzzer).
//!
//! | target | input path |
//! |---|---|
//! | [`expr`] | `--expr`: [`Expression::parse`], value, gradient, Hessian, `with_variables` |
//! | [`x0`] | `--x0`: [`args::parse_vector`] |
//! | [`bounds`] | `--bounds`: [`args::parse_bounds`] and [`Bounds::new`] |
//! | [`model`] | `--model`: [`args::parse_model`] and the network it describes |
//! | [`dataset`] | `--dataset`: [`args::parse_dataset`] (no file is read) |
//! | [`schedule`] | `--schedule`: [`args::parse_schedule_spec`] and [`ScheduleSpec::build`] |
//! | [`psf`] | `--psf`: [`deconvolve::parse_psf_spec`] and the kernel (no file is read) |
//! | [`wav`] | WAV files: [`descent_signal::decode_wav`] |
//! | [`fits`] | FITS files: [`descent_imaging::fits::decode`] |
//! | [`png`] | PNG files: [`descent_imaging::decode_png`] |
//! | [`jpeg`] | JPEG files: [`descent_imaging::decode_jpeg`] |
//! | [`idx`] | MNIST IDX pairs: [`Dataset::from_idx_bytes`] |
//! | [`csv`] | CSV data: [`Dataset::from_csv_bytes`] |
//! | [`nn_checkpoint`] | descent-nn checkpoints: header, model and resume |
//! | [`maml`] | descent-meta `.dmeta` models: [`descent_meta::maml::from_bytes`] |
//! | [`dist_checkpoint`] | descent-distributed checkpoints: [`descent_distributed::checkpoint::decode`] |
//!
//! ## Framed formats
//! The three checkpoint formats start with a preamble (magic, version, length, CRC-32) that
//! random bytes almost never pass, so their targets read the first byte as a mode: even, the
//! rest of the input is decoded as it is (the preamble checks are fuzzed); odd, the rest is
//! wrapped in a correct preamble first ([`frame`]), so the fuzzer reaches the sections behind
//! it.

#![warn(missing_docs)]

use std::path::Path;

use descent::expr::Expression;
use descent::first_order::adam::AdamRule;
use descent::first_order::rule::{AddDecayedWeights, Chain, LearningRate};
use descent::{AutoDiff, Bounds, Hessian, HessianMatrix, HessianVectorProduct, Objective};
use descent_cli::args::{self, ScheduleSpec};
use descent_cli::deconvolve::{self, PsfSpec};
use descent_imaging::psf::MAX_KERNEL_SIDE;
use descent_imaging::{Image, Psf};
use descent_nn::data::{CsvLayout, Dataset};
use descent_nn::model::{Activation, Mlp, MlpSpec, Model as _};

/// Plain SGD, as [`descent::first_order::Sgd::rule`] composes it.
type SgdRule = Chain<AddDecayedWeights, LearningRate>;

/// The name errors give the fuzzed bytes.
const NAME: &str = "fuzz-input";

/// Gradients are taken for expressions of at most this many variables (forward-mode duals
/// cost one pass per variable), Hessians for at most [`MAX_HESSIAN_VARIABLES`].
pub const MAX_GRADIENT_VARIABLES: usize = 32;
/// See [`MAX_GRADIENT_VARIABLES`].
pub const MAX_HESSIAN_VARIABLES: usize = 6;

/// Coordinates the evaluation point is drawn from: zero, signs, a tiny and a large value.
const POINT_VALUES: [f64; 8] = [0.0, 1.0, -1.0, 0.5, 2.0, -3.5, 1e-3, 10.0];

fn name() -> &'static Path {
    Path::new(NAME)
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `magic`, `version` (u32 LE), the length of `payload` (u64 LE), its CRC-32 (u32 LE), then
/// `payload`: the preamble shared by the three checkpoint formats.
#[must_use]
pub fn frame(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(24 + payload.len());
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The bytes a framed target decodes: `data[1..]` as it is (even first byte) or framed with
/// `magic` and `version` (odd first byte); `None` for empty input.
fn framed(data: &[u8], magic: &[u8; 8], version: u32) -> Option<(u8, Vec<u8>)> {
    let (&mode, rest) = data.split_first()?;
    let bytes = if mode & 1 == 1 { frame(magic, version, rest) } else { rest.to_vec() };
    Some((mode >> 1, bytes))
}

/// The number of parameters `spec`'s network has, asserting that the spec is valid (every
/// decoder below checks it before accepting a file).
fn params_of(spec: &MlpSpec) -> usize {
    Mlp::from_spec(spec).expect("an accepted file holds a valid network").num_params()
}

/// `--expr`: parses the input as UTF-8 (lossily). A parsed expression has distinct variable
/// names; renumbering by a permutation of them succeeds, by a list missing one or naming an
/// unknown one fails; it evaluates without panicking at a point drawn from the input, and with
/// few enough variables its gradient ([`AutoDiff`]) and Hessian have the variable count as
/// dimension, and the value with derivatives is NaN exactly when the value alone is, unless a
/// derivative is not finite there.
///
/// # Panics
/// When the contract is broken.
pub fn expr(data: &[u8]) {
    let source = text(data);
    let Ok(expression) = Expression::parse(&source) else { return };
    let names: Vec<String> = expression.variables().to_vec();
    let n = names.len();
    for (k, name) in names.iter().enumerate() {
        assert!(!name.is_empty() && !names[..k].contains(name), "variables {names:?}");
    }
    let reversed: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    let renumbered = expression.clone().with_variables(&reversed).expect("a permutation is valid");
    assert_eq!(renumbered.variables(), reversed.as_slice());
    let mut unknown = reversed.clone();
    unknown.push("?");
    assert!(expression.clone().with_variables(&unknown).is_err());
    if n > 0 {
        assert!(expression.clone().with_variables(&reversed[1..]).is_err());
    }

    let seed = data.iter().fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
    let x: Vec<f64> =
        (0..n).map(|i| POINT_VALUES[seed.wrapping_add(i * 7) % POINT_VALUES.len()]).collect();
    let value = expression.eval(&x);
    let _ = renumbered.eval(&x);
    if n > MAX_GRADIENT_VARIABLES {
        return;
    }
    let f = AutoDiff::new(expression);
    assert_eq!(f.dim(), n);
    let mut grad = vec![0.0; n];
    let dual_value = f.value_grad(&x, &mut grad);
    // The two agree on NaN, except where a derivative is infinite (x^0.5 at 0 is 0 without
    // derivatives, NaN with them): a solver stops there as non-finite either way.
    let differentiable = grad.iter().all(|g| g.is_finite());
    if differentiable || !dual_value.is_nan() {
        assert_eq!(value.is_nan(), dual_value.is_nan(), "f = {value}, dual f = {dual_value}");
    }
    if n == 0 || n > MAX_HESSIAN_VARIABLES {
        return;
    }
    let mut hessian = HessianMatrix::zeros(f.hessian_structure(), n);
    f.hessian(&x, &mut hessian);
    assert_eq!(hessian.dim(), n);
    let mut hv = vec![0.0; n];
    f.hessian_vector_product(&x, &x, &mut hv);
}

/// `--x0`: a parsed vector has one number per comma-separated item.
///
/// # Panics
/// When the contract is broken.
pub fn x0(data: &[u8]) {
    let source = text(data);
    if let Ok(args::Coordinates(values)) = args::parse_vector(&source) {
        assert_eq!(values.len(), source.split(',').count());
    }
}

/// `--bounds`: one pair per comma-separated item, each lo ≤ hi, neither NaN, some number in
/// each; [`Bounds::new`] accepts them, per coordinate and as one box for every coordinate.
///
/// # Panics
/// When the contract is broken.
pub fn bounds(data: &[u8]) {
    let source = text(data);
    let Ok(args::BoundPairs(pairs)) = args::parse_bounds(&source) else { return };
    assert_eq!(pairs.len(), source.split(',').count());
    for &(lo, hi) in &pairs {
        assert!(lo <= hi && lo != f64::INFINITY && hi != f64::NEG_INFINITY, "[{lo}, {hi}]");
    }
    let (lower, upper): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    let n = lower.len();
    Bounds::new(lower, upper).expect("parsed bounds are valid");
    Bounds::new(vec![pairs[0].0; n], vec![pairs[0].1; n]).expect("parsed bounds are valid");
}

/// `--model`: a parsed model prints back to itself, its hidden widths are positive, and the
/// network it describes for 64 inputs and 10 classes is built or refused with a typed error
/// (never an overflowing parameter count).
///
/// # Panics
/// When the contract is broken.
pub fn model(data: &[u8]) {
    let source = text(data);
    let Ok(spec) = args::parse_model(&source) else { return };
    assert!(spec.hidden().iter().all(|&w| w > 0));
    assert_eq!(args::parse_model(&spec.to_string()), Ok(spec.clone()));
    if let Ok(mlp) = Mlp::new(64, spec.hidden(), 10, Activation::Relu) {
        let counted: Option<usize> = mlp
            .widths()
            .windows(2)
            .try_fold(0usize, |sum, w| w[0].checked_mul(w[1])?.checked_add(w[1])?.checked_add(sum));
        assert_eq!(counted, Some(mlp.num_params()));
    }
}

/// `--dataset`: a parsed spec prints back to itself. No file is read.
///
/// # Panics
/// When the contract is broken.
pub fn dataset(data: &[u8]) {
    let source = text(data);
    let Ok(spec) = args::parse_dataset(&source) else { return };
    assert_eq!(args::parse_dataset(&spec.to_string()), Ok(spec));
}

/// `--schedule`: a schedule that builds (validates) gives a learning rate that is never NaN
/// and never negative, at every step, the first and the last included. (It may overflow to
/// +∞: an exponential schedule with γ > 1 is valid and grows without bound; the optimizer's
/// finiteness check reports the step where it does.)
///
/// # Panics
/// When the contract is broken.
pub fn schedule(data: &[u8]) {
    let source = text(data);
    let Ok(spec) = args::parse_schedule_spec(&source) else { return };
    let spec: ScheduleSpec = spec;
    for learning_rate in [1e-3, 0.1, 1.0] {
        let Ok(schedule) = spec.build(learning_rate) else { continue };
        for t in [0, 1, 2, 3, 10, 99, 100, 101, 1000, 1 << 20, 1 << 40, u64::MAX] {
            let rate = schedule.at(t);
            assert!(rate >= 0.0, "{schedule:?} at {t}: {rate}");
        }
    }
}

/// `--psf`: `file:PATH` is parsed without reading the file; an analytic kernel has a side of
/// at most [`MAX_KERNEL_SIDE`] and, when built (for sides small enough to build quickly), is
/// square with an odd side, finite, non-negative and sums to 1.
///
/// # Panics
/// When the contract is broken.
pub fn psf(data: &[u8]) {
    let source = text(data);
    let Ok(spec) = deconvolve::parse_psf_spec(&source) else { return };
    let (psf, size) = match spec {
        PsfSpec::File(path) => {
            assert!(!path.as_os_str().is_empty());
            return;
        }
        PsfSpec::Analytic { psf, size } => (psf, size),
    };
    let cheap = match size {
        Some(n) => {
            assert!(n <= MAX_KERNEL_SIDE);
            n <= 65
        }
        None => psf.fwhm() <= 8.0 && !matches!(psf, Psf::Moffat { beta, .. } if !(beta >= 2.0)),
    };
    if !cheap {
        return;
    }
    if let Ok(kernel) = (PsfSpec::Analytic { psf, size }).kernel(&source) {
        let (width, height) = kernel.shape();
        assert!(width == height && width % 2 == 1, "{width}×{height}");
        assert!(kernel.data().iter().all(|v| v.is_finite() && *v >= 0.0));
        let sum: f64 = kernel.data().iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "kernel sums to {sum}");
    }
}

/// WAV: the first byte picks the channel (even: none; odd: channel `(b >> 1) % 4`), the rest
/// is the file. A decoded signal has a plausible rate, finite samples, and no more samples than
/// the file has bytes.
///
/// # Panics
/// When the contract is broken.
pub fn wav(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let channel = (pick & 1 == 1).then_some(usize::from(pick >> 1) % 4);
    let Ok(audio) = descent_signal::decode_wav(bytes, name(), channel) else { return };
    assert!((1..=1_536_000).contains(&audio.rate), "rate {}", audio.rate);
    assert!(audio.samples.len() <= bytes.len());
    if let Some((i, s)) = audio.samples.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        panic!("sample {i} is {s}");
    }
}

/// The contract of a decoded image: width·height pixels, all finite.
fn check_image(image: &Image) {
    let (width, height) = image.shape();
    assert_eq!(width.checked_mul(height), Some(image.data().len()));
    if let Some((i, v)) = image.data().iter().enumerate().find(|(_, v)| !v.is_finite()) {
        panic!("pixel {i} of {width}×{height} is {v}");
    }
}

/// FITS: a decoded image has width·height finite pixels, at least one byte each in the file.
///
/// # Panics
/// When the contract is broken.
pub fn fits(data: &[u8]) {
    if let Ok(image) = descent_imaging::fits::decode(name(), data) {
        check_image(&image);
        assert!(image.data().len() <= data.len());
    }
}

/// PNG: a decoded image has width·height finite pixels in [0, 1].
///
/// # Panics
/// When the contract is broken.
pub fn png(data: &[u8]) {
    if let Ok(image) = descent_imaging::decode_png(data, name()) {
        check_image(&image);
        assert!(image.data().iter().all(|v| (0.0..=1.0 + 1e-12).contains(v)));
    }
}

/// JPEG: a decoded image has width·height finite pixels in [0, 1].
///
/// # Panics
/// When the contract is broken.
pub fn jpeg(data: &[u8]) {
    if let Ok(image) = descent_imaging::decode_jpeg(data, name()) {
        check_image(&image);
        assert!(image.data().iter().all(|v| (0.0..=1.0 + 1e-12).contains(v)));
    }
}

/// The contract of a decoded data set: `len · dim` finite features, labels below the class
/// count, a shape whose product is `dim`.
fn check_dataset(data: &Dataset) {
    assert_eq!(data.shape().iter().product::<usize>(), data.dim());
    assert_eq!(data.features().len(), data.len() * data.dim());
    assert_eq!(data.labels().len(), data.len());
    assert!(data.labels().iter().all(|&y| usize::from(y) < data.classes()));
    assert!(data.features().iter().all(|v| v.is_finite()));
}

/// IDX: the first two bytes (u16 LE, modulo the rest's length + 1) split the rest into the
/// labels file and the images file. A decoded pair is a valid data set of 10 classes whose
/// pixels are bytes (0–255), one image per label.
///
/// # Panics
/// When the contract is broken.
pub fn idx(data: &[u8]) {
    let [a, b, rest @ ..] = data else { return };
    let split = usize::from(u16::from_le_bytes([*a, *b])) % (rest.len() + 1);
    let (labels, images) = rest.split_at(split);
    let Ok(set) = Dataset::from_idx_bytes(images, Path::new("images"), labels, Path::new("labels"))
    else {
        return;
    };
    check_dataset(&set);
    assert_eq!(set.classes(), 10);
    assert_eq!(set.shape().len(), 2);
    assert!(set.features().iter().all(|&v| (0.0..=255.0).contains(&v) && v.fract() == 0.0));
}

/// CSV: the first byte gives the layout (`1 + b % 8` features, `1 + (b >> 3) % 12` classes,
/// shape `[features]` or `[1, features]`), the rest is the file (gzip or plain). A decoded file
/// is a valid data set of that layout with integer features of magnitude at most 2²⁴.
///
/// # Panics
/// When the contract is broken.
pub fn csv(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let features = 1 + usize::from(pick % 8);
    let classes = 1 + usize::from(pick >> 3) % 12;
    let shape = if pick & 0x80 == 0 { vec![] } else { vec![1, features] };
    let layout = CsvLayout { features, classes, shape };
    let Ok(set) = Dataset::from_csv_bytes(bytes, name(), &layout) else { return };
    check_dataset(&set);
    assert_eq!(set.dim(), features);
    assert_eq!(set.classes(), classes);
    assert!(set.features().iter().all(|&v| v.fract() == 0.0 && v.abs() <= (1 << 24) as f32));
}

/// descent-nn checkpoints (`framed` input; the mode's upper bits pick the reader: header,
/// model `f32`/`f64`, resume with Adam `f32` or SGD `f64`). An accepted file holds a valid
/// network, θ of its parameter count, a standardizer (if any) of one mean and scale per input,
/// and optimizer state for θ.
///
/// # Panics
/// When the contract is broken.
pub fn nn_checkpoint(data: &[u8]) {
    use descent_nn::checkpoint::{Header, decode_checkpoint, decode_header, decode_model};
    let Some((mode, bytes)) = framed(data, b"DNNCKPT\0", 2) else { return };
    let check_header = |header: &Header| {
        let n = params_of(&header.model);
        if let Some(s) = &header.standardizer {
            let inputs = header.model.widths[0];
            assert_eq!((s.mean.len(), s.scale.len()), (inputs, inputs), "standardizer");
        }
        n
    };
    match mode % 5 {
        0 => {
            if let Ok(header) = decode_header(&bytes, name()) {
                let _ = params_of(&header.model);
            }
        }
        1 => {
            if let Ok((header, params)) = decode_model::<f32>(&bytes, name()) {
                assert_eq!(params.len(), check_header(&header));
            }
        }
        2 => {
            if let Ok((header, params)) = decode_model::<f64>(&bytes, name()) {
                assert_eq!(params.len(), check_header(&header));
            }
        }
        3 => {
            if let Ok(resume) = decode_checkpoint::<AdamRule, f32>(&bytes, name()) {
                assert_eq!(resume.params.len(), check_header(&resume.header));
                assert_eq!(resume.optimizer.len, resume.params.len());
            }
        }
        _ => {
            if let Ok(resume) = decode_checkpoint::<SgdRule, f64>(&bytes, name()) {
                assert_eq!(resume.params.len(), check_header(&resume.header));
                assert_eq!(resume.optimizer.len, resume.params.len());
            }
        }
    }
}

/// descent-meta `.dmeta` models (`framed` input; the mode's next bit picks `f32` or `f64`).
/// An accepted model holds a valid network and θ of its parameter count.
///
/// # Panics
/// When the contract is broken.
pub fn maml(data: &[u8]) {
    use descent_meta::maml::from_bytes;
    let Some((mode, bytes)) = framed(data, b"DMETAML\0", 1) else { return };
    if mode & 1 == 0 {
        if let Ok(model) = from_bytes::<f32>(&bytes, name()) {
            assert_eq!(model.params.len(), params_of(&model.spec));
        }
    } else if let Ok(model) = from_bytes::<f64>(&bytes, name()) {
        assert_eq!(model.params.len(), params_of(&model.spec));
    }
}

/// descent-distributed checkpoints (`framed` input; the mode's next bit picks Adam `f64` or
/// SGD `f32`). An accepted file holds θ of the header's count and optimizer state for θ.
///
/// # Panics
/// When the contract is broken.
pub fn dist_checkpoint(data: &[u8]) {
    use descent_distributed::checkpoint::decode;
    let Some((mode, bytes)) = framed(data, b"DDPCKPT\0", 1) else { return };
    if mode & 1 == 0 {
        if let Ok(saved) = decode::<AdamRule, f64>(name(), &bytes) {
            assert_eq!(saved.params.len(), saved.header.params);
            assert_eq!(saved.optimizer.len, saved.params.len());
        }
    } else if let Ok(saved) = decode::<SgdRule, f32>(name(), &bytes) {
        assert_eq!(saved.params.len(), saved.header.params);
        assert_eq!(saved.optimizer.len, saved.params.len());
    }
}

/// A fuzz target: bytes in, a panic when the contract is broken.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay (and for running one input by hand).
pub const TARGETS: &[(&str, Target)] = &[
    ("expr", expr),
    ("x0", x0),
    ("bounds", bounds),
    ("model", model),
    ("dataset", dataset),
    ("schedule", schedule),
    ("psf", psf),
    ("wav", wav),
    ("fits", fits),
    ("png", png),
    ("jpeg", jpeg),
    ("idx", idx),
    ("csv", csv),
    ("nn_checkpoint", nn_checkpoint),
    ("maml", maml),
    ("dist_checkpoint", dist_checkpoint),
];
