//! Writes the fuzz corpora's seeds (`fuzz/corpus/<target>/seed-*`): valid inputs made by the
//! libraries themselves (a WAV, a FITS of every BITPIX, a PNG, a JPEG, checkpoints of the three
//! formats) and valid flag values. Ignored: run it by hand when a format changes,
//! `cargo test --release -p descent-fuzz --test seeds -- --ignored`. Every seed it writes is
//! checked to be accepted, so a seed that stops decoding is noticed here.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use descent::first_order::{Adam, Optimizer, Sgd};
use descent_imaging::{Bitpix, Image, PngDepth};
use descent_nn::checkpoint::{self, Header, Precision};
use descent_nn::data::Standardizer;
use descent_nn::train::{Progress, Snapshot, TrainConfig, TrainObserver, train_observed};
use descent_nn::{Activation, Dataset, Mlp, Model};
use descent_signal::{Audio, WavFormat};

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn put(target: &str, name: &str, bytes: &[u8]) {
    std::fs::write(corpus(target).join(format!("seed-{name}")), bytes).unwrap();
}

fn texts(target: &str, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        put(target, &format!("{i:02}"), v.as_bytes());
    }
}

/// `prefix` then `bytes`.
fn with(prefix: u8, bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![prefix];
    v.extend_from_slice(bytes);
    v
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
fn write_seeds() {
    let dir = tempfile::tempdir().unwrap();
    texts(
        "expr",
        &[
            "100*(y-x^2)^2 + (1-x)^2",
            "x^2 + 10*y^2",
            "(x-1)^2 + (y+2)^2",
            "sin(x)*cos(y) + exp(-x^2-y^2)",
            "-2^2 + 2^3^2 - 8/4/2",
            "log(x) + ln(y) + log10(z) + log2(w) + sqrt(abs(x*y))",
            "tanh(a)*asin(0.5)+acos(b/10)+atan(c)+sinh(d)+cosh(e)+tan(f)",
            "x^y + x^0.5 + x^pi + (-2)^3 + 2^-1",
            "1e-3*x + .5e+2*y - 3.25E1",
            "((((x))))",
        ],
    );
    texts("x0", &["-1.2,1", "0", "1e3, -2.5 ,3", "inf,-inf,nan"]);
    texts("bounds", &["-5:5", "-inf:0,0:inf", "-1:1, -2:2 ,0:0", "1:-1"]);
    texts("model", &["softmax", "mlp:32", "mlp:128,64", "mlp: 8 ,4"]);
    texts("dataset", &["digits", "mnist:data/mnist", "mnist:"]);
    texts(
        "schedule",
        &[
            "constant",
            "step:step_size=100,gamma=0.5",
            "exponential:gamma=0.99",
            "inverse_time:decay=0.01",
            "polynomial:steps=100,power=2,end_learning_rate=1e-4",
            "warmup_cosine:warmup_steps=10,decay_steps=1000",
            "one_cycle:total_steps=100,pct_start=0.25,div_factor=10,final_div_factor=100",
        ],
    );
    texts(
        "psf",
        &[
            "gaussian:fwhm=3",
            "moffat:fwhm=3,beta=2.5",
            "airy:fwhm=2,size=15",
            "gaussian:fwhm=2.5,size=9",
            "file:psf.fits",
        ],
    );

    // WAV: 16-bit and float mono from the library; the first byte picks the channel.
    let audio = Audio { rate: 8000, samples: (0..24).map(|i| (i as f64 * 0.7).sin()).collect() };
    for (name, format) in [("int16", WavFormat::Int16), ("float32", WavFormat::Float32)] {
        let path = dir.path().join(format!("{name}.wav"));
        descent_signal::write_wav(&path, &audio, format).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        put("wav", name, &with(0, &bytes));
        put("wav", &format!("{name}-channel0"), &with(1, &bytes));
    }

    // FITS of every BITPIX, and PNGs at both depths.
    let image = Image::new(3, 2, vec![0.0, 0.25, 0.5, 0.75, 1.0, 0.125]).unwrap();
    for bitpix in [Bitpix::U8, Bitpix::I16, Bitpix::I32, Bitpix::F32, Bitpix::F64] {
        let bytes = descent_imaging::fits::encode(&image, bitpix).unwrap();
        put("fits", &format!("bitpix{}", bitpix.code()), &bytes);
    }
    for (name, depth) in [("8", PngDepth::Eight), ("16", PngDepth::Sixteen)] {
        let bytes = descent_imaging::png_io::encode_png(&image, depth, None).unwrap();
        put("png", name, &bytes);
    }
    // JPEG: grey and colour, 8×8, from the encoder descent-imaging's tests use.
    for (name, colour) in
        [("grey", jpeg_encoder::ColorType::Luma), ("rgb", jpeg_encoder::ColorType::Rgb)]
    {
        let channels = if colour == jpeg_encoder::ColorType::Luma { 1 } else { 3 };
        let pixels: Vec<u8> = (0..64 * channels).map(|i| (i * 7 % 256) as u8).collect();
        let mut bytes = Vec::new();
        jpeg_encoder::Encoder::new(&mut bytes, 90).encode(&pixels, 8, 8, colour).unwrap();
        put("jpeg", name, &bytes);
    }

    // IDX: 3 labels and 3 images of 2×2; the first two bytes (u16 LE) are the labels' length.
    let labels: Vec<u8> = [0x0801u32.to_be_bytes(), 3u32.to_be_bytes()].concat();
    let labels = [labels, vec![1, 7, 9]].concat();
    let images: Vec<u8> =
        [0x0803u32, 3, 2, 2].iter().flat_map(|v| v.to_be_bytes()).chain(0..12u8).collect();
    let split = (labels.len() as u16).to_le_bytes();
    put("idx", "3x2x2", &[&split[..], &labels, &images].concat());

    // CSV: layout byte 0b0001_0001 = 2 features, 3 classes.
    put("csv", "2f3c", &with(0x11, b"1,2,0\n3,4,2\n-5,6,1\n"));
    put("csv", "digits-head", &with(0x3f, b"0,0,5,13,9,1,0,0,0\n"));

    // Checkpoints written by the libraries; mode byte even: as written, odd: the payload alone
    // (the target frames it).
    let spec_model = Mlp::new(2, &[3], 2, Activation::Tanh).unwrap();
    let data =
        Dataset::new(vec![0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 1.0, 1.0], vec![0, 1, 0, 1], 2, vec![2])
            .unwrap();
    let standardizer = Standardizer::fit(&data);
    let header = Header {
        model: spec_model.spec(),
        precision: Precision::F32,
        standardizer: Some(standardizer),
        meta: "{\"seed\": true}".into(),
    };
    // (mode >> 1) % 5: 0 header, 1 model f32, 2 model f64, 3 Adam f32, 4 SGD f64.
    let adam = save_nn::<_, f32>(
        &dir.path().join("adam.ckpt"),
        &header,
        &spec_model,
        &data,
        Adam::torch(1e-2).rule(),
    );
    let sgd = save_nn::<_, f64>(
        &dir.path().join("sgd.ckpt"),
        &header,
        &spec_model,
        &data,
        Sgd::new(0.1).rule(),
    );
    for (name, bytes, modes) in [("adam-f32", &adam, [0u8, 1, 3]), ("sgd-f64", &sgd, [0, 2, 4])] {
        for mode in modes {
            put("nn_checkpoint", &format!("{name}-{mode}"), &with(mode << 1, bytes));
            put(
                "nn_checkpoint",
                &format!("{name}-{mode}-payload"),
                &with(mode << 1 | 1, &bytes[24..]),
            );
        }
    }

    // descent-meta's shipped models (f32: mode bit 0).
    let meta = Path::new(env!("CARGO_MANIFEST_DIR")).join("../descent-meta/data");
    for name in ["maml-sinusoid-10shot.dmeta", "pretrained-sinusoid-10shot.dmeta"] {
        let bytes = std::fs::read(meta.join(name)).unwrap();
        for mode in [0u8, 1] {
            put("maml", &format!("{name}-{mode}"), &with(mode << 1, &bytes));
            put("maml", &format!("{name}-{mode}-payload"), &with(mode << 1 | 1, &bytes[24..]));
        }
    }

    // descent-distributed: Adam f64 (mode bit 0) and SGD f32 (mode bit 1).
    let config = descent_distributed::DataParallelConfig {
        epochs: 2,
        batch: 2,
        seed: 1,
        check_every: None,
        stop_after: None,
    };
    let progress =
        descent_distributed::train::Progress { epoch: 1, batch: 1, step: 3, epochs: vec![] };
    let params64 = vec![0.5f64, -0.25, 1.0];
    let path = dir.path().join("dist-adam.ckpt");
    let opt = Optimizer::<_, f64>::new(Adam::torch(1e-3).rule(), 3).unwrap();
    descent_distributed::checkpoint::save(&path, "seed", 2, &config, &progress, &params64, &opt)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    put("dist_checkpoint", "adam-f64", &with(0, &bytes));
    put("dist_checkpoint", "adam-f64-payload", &with(1, &bytes[24..]));
    let params32 = vec![0.5f32, -0.25, 1.0];
    let path = dir.path().join("dist-sgd.ckpt");
    let opt = Optimizer::<_, f32>::new(Sgd::new(0.1).rule(), 3).unwrap();
    descent_distributed::checkpoint::save(&path, "seed", 1, &config, &progress, &params32, &opt)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    put("dist_checkpoint", "sgd-f32", &with(2, &bytes));
    put("dist_checkpoint", "sgd-f32-payload", &with(3, &bytes[24..]));
}

/// Trains `model` one epoch with `rule` and returns the checkpoint written after it.
fn save_nn<R: descent::first_order::Rule, T: descent_nn::model::Scalar>(
    path: &Path,
    header: &Header,
    model: &Mlp,
    data: &Dataset,
    rule: R,
) -> Vec<u8> {
    struct Save<'a>(&'a Path, &'a Header);
    impl<R: descent::first_order::Rule, T: descent_nn::model::Scalar> TrainObserver<R, T> for Save<'_> {
        fn epoch_done(&mut self, s: &Snapshot<'_, R, T>) -> descent_nn::Result<ControlFlow<()>> {
            checkpoint::save(self.0, self.1, s)?;
            Ok(ControlFlow::Continue(()))
        }
    }
    let mut params = vec![T::of(0.1); model.num_params()];
    let mut optimizer = Optimizer::new(rule, params.len()).unwrap();
    let config = TrainConfig { epochs: 1, batch: 2, seed: 3, patience: None };
    train_observed(
        model,
        &mut params,
        &mut optimizer,
        data,
        data,
        &config,
        Progress::new(),
        &mut Save(path, header),
    )
    .unwrap();
    std::fs::read(path).unwrap()
}
