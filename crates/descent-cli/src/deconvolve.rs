//! `descent deconvolve`: sharpen an image blurred by a known point-spread function.
//!
//! The blurred image y (FITS, PNG or JPEG) and the PSF (`--psf`, analytic or from a file) define
//! the blur H; the chosen method ([`descent_imaging::solvers`]) restores x from y and writes it
//! as 32-bit float FITS. Iterative methods stop by the discrepancy principle
//! ‖Hx_k − y‖ ≤ τ·σ·√N (σ the per-pixel noise, estimated from y unless `--noise-sigma` gives
//! it; N the pixel count) unless `--iterations` fixes their number.
//!
//! `--demo` is the reference set-up: the shipped M13 field, median-subtracted, clipped
//! at 0, scaled to peak 1 (the truth), blurred by a Gaussian of σ = 2 px (25 × 25, periodic),
//! with Poisson noise of 2000 photons per unit and Gaussian read noise 2/2000; every method
//! restores it, auto-stopped, and the table shows PSNR (data range 1), SSIM and the flux ratio
//! Σx/Σy against the truth.
//!
//! PNG previews map the 0.5–99.5 percentiles of the image shown to black–white (min–max when
//! those coincide).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use descent_imaging::metrics::{flux_ratio, psnr_db, ssim};
use descent_imaging::psf::MAX_KERNEL_SIDE;
use descent_imaging::{
    Bitpix, Boundary, Convolution, Image, Options, PngDepth, Prior, Psf, Stop, StopReason,
    add_poisson_gaussian, estimate_noise_sigma, fista, landweber, m13, normalise_kernel, read_fits,
    read_jpeg, read_png, richardson_lucy, richardson_lucy_tv, wiener, write_png,
};
use serde::Serialize;

use crate::args::{BoundaryName, DeconvolveArgs, DeconvolveMethod};
use crate::output::{AtomicFile, number, print_fields, print_json, print_table};

/// The demo's Gaussian blur: σ in pixels and the kernel side.
const DEMO_SIGMA: f64 = 2.0;
/// The demo's kernel side.
const DEMO_KERNEL: usize = 25;
/// The demo's photons per unit of the truth (peak 1).
const DEMO_PHOTONS: f64 = 2000.0;
/// The demo's Gaussian read noise, image units.
const DEMO_READ_NOISE: f64 = 2.0 / 2000.0;
/// The demo's Wiener balance (fixed: Wiener has no iterations to stop).
const DEMO_WIENER_BALANCE: f64 = 1e-3;
/// FWHM = 2√(2 ln 2)·σ.
const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949_3;

/// The result of one method on one image.
struct Outcome {
    image: Image,
    /// Iterations run (1 for Wiener's one shot).
    iterations: usize,
    /// "discrepancy", "max_iterations", "fixed" or "one_shot".
    stopped_by: &'static str,
    /// Σx / Σy.
    flux_ratio: f64,
    elapsed_s: f64,
}

/// The `--json` object of a restoration.
#[derive(Serialize)]
struct DeconvolveJson<'a> {
    method: &'a str,
    input: &'a Path,
    width: usize,
    height: usize,
    psf: &'a str,
    boundary: &'a str,
    iterations: usize,
    /// Why it stopped: `discrepancy`, `max_iterations`, `fixed` or `one_shot`.
    stopped_by: &'a str,
    /// σ̂, the noise standard deviation used by the stop (given or estimated).
    noise_sigma: f64,
    /// Σ restored / Σ input.
    flux_ratio: f64,
    elapsed_s: f64,
    /// width × height × iterations / elapsed seconds.
    pixel_iterations_per_s: f64,
    out: &'a Path,
    png: Option<&'a Path>,
}

/// One row of the demo.
#[derive(Serialize)]
struct DemoRow {
    method: &'static str,
    psnr_db: f64,
    ssim: f64,
    /// Σ restored / Σ truth.
    flux_ratio: f64,
    iterations: usize,
    stopped_by: &'static str,
    elapsed_s: f64,
}

/// The demo's `--json` object.
#[derive(Serialize)]
struct DemoJson<'a> {
    methods: Vec<DemoRow>,
    blurred_psnr_db: f64,
    blurred_ssim: f64,
    noise_sigma: f64,
    width: usize,
    height: usize,
    seed: u64,
    out: Option<&'a Path>,
}

/// Runs `descent deconvolve`.
pub fn run(args: &DeconvolveArgs) -> anyhow::Result<()> {
    if args.demo {
        return demo(args);
    }
    let (Some(input), Some(spec)) = (&args.input, &args.psf) else {
        bail!("give --input FILE and --psf SPEC (or --demo)");
    };
    let Some(out) = &args.out else {
        bail!("give --out FILE for the restored image (FITS)");
    };
    let kernel = parse_psf(spec)?;
    let y = read_image(input)?;
    // Fail on an unwritable output before the work.
    let out_file = AtomicFile::create(out)?;
    let png_file = args.png.as_deref().map(AtomicFile::create).transpose()?;
    let boundary = match args.boundary {
        BoundaryName::Same => Boundary::Same,
        BoundaryName::Periodic => Boundary::Periodic,
    };
    let mut h = Convolution::new(&kernel, y.shape(), boundary)?;
    let sigma = match args.noise_sigma {
        Some(s) => s,
        None => estimate_noise_sigma(&y),
    };
    let options = match args.iterations {
        Some(n) => Options::fixed(n),
        None => Options {
            stop: Stop::Discrepancy { noise_sigma: Some(sigma), tau: args.tau },
            ..Options::new(args.max_iterations)
        },
    };
    let outcome = restore(&mut h, &y, args.method, Settings::from_args(args), options)?;
    let fits = descent_imaging::fits::encode(&outcome.image, Bitpix::F32)?;
    out_file.commit_with(&fits)?;
    if let Some(file) = png_file {
        file.commit_with(&descent_imaging::png_io::encode_png(
            &outcome.image,
            PngDepth::Eight,
            Some(display_range(&outcome.image)),
        )?)?;
    }
    let (w, hgt) = y.shape();
    let rate = if outcome.elapsed_s > 0.0 {
        (w * hgt * outcome.iterations) as f64 / outcome.elapsed_s
    } else {
        f64::INFINITY
    };
    let boundary_name = match args.boundary {
        BoundaryName::Same => "same",
        BoundaryName::Periodic => "periodic",
    };
    if args.json {
        return print_json(&DeconvolveJson {
            method: args.method.name(),
            input,
            width: w,
            height: hgt,
            psf: spec,
            boundary: boundary_name,
            iterations: outcome.iterations,
            stopped_by: outcome.stopped_by,
            noise_sigma: sigma,
            flux_ratio: outcome.flux_ratio,
            elapsed_s: outcome.elapsed_s,
            pixel_iterations_per_s: rate,
            out,
            png: args.png.as_deref(),
        });
    }
    let mut rows = vec![
        ("method", args.method.name().to_owned()),
        ("image", format!("{} ({w} × {hgt})", input.display())),
        ("psf", format!("{spec} ({} boundary)", boundary_name)),
        ("iterations", outcome.iterations.to_string()),
        ("stopped by", outcome.stopped_by.replace('_', " ")),
        ("noise σ", number(sigma)),
        ("flux ratio", format!("{:.5}", outcome.flux_ratio)),
        ("time", format!("{:.3} s", outcome.elapsed_s)),
        ("speed", format!("{} pixel·iterations/s", number(rate.round()))),
        ("restored", out.display().to_string()),
    ];
    if let Some(png) = &args.png {
        rows.push(("preview", png.display().to_string()));
    }
    print_fields(&rows);
    Ok(())
}

/// The method parameters that the flags set.
#[derive(Clone, Copy)]
struct Settings {
    prior: Prior,
    lambda: f64,
    balance: f64,
    positivity: bool,
}

impl Settings {
    fn from_args(args: &DeconvolveArgs) -> Self {
        Self {
            prior: Prior { tv: args.tv, l1: args.l1 },
            lambda: args.lambda,
            balance: args.balance,
            positivity: args.positivity,
        }
    }
}

/// Restores `y` blurred by `h` with `method`, timing it.
fn restore(
    h: &mut Convolution,
    y: &Image,
    method: DeconvolveMethod,
    s: Settings,
    options: Options<'_>,
) -> anyhow::Result<Outcome> {
    let fixed = options.stop == Stop::Iterations;
    let start = Instant::now();
    let result = match method {
        DeconvolveMethod::Wiener => {
            let image = wiener(h, y, s.balance)?;
            let elapsed_s = start.elapsed().as_secs_f64();
            let flux_ratio = flux_ratio(&image, y)?;
            return Ok(Outcome {
                image,
                iterations: 1,
                stopped_by: "one_shot",
                flux_ratio,
                elapsed_s,
            });
        }
        DeconvolveMethod::Rl => richardson_lucy(h, y, options)?,
        DeconvolveMethod::RlTv => richardson_lucy_tv(h, y, s.lambda, options)?,
        DeconvolveMethod::Landweber => landweber(h, y, None, s.positivity, options)?,
        DeconvolveMethod::FistaTv => fista(h, y, s.prior, s.positivity, options)?,
    };
    let elapsed_s = start.elapsed().as_secs_f64();
    let stopped_by = match (fixed, result.stopped_by) {
        (true, _) => "fixed",
        (false, StopReason::Discrepancy) => "discrepancy",
        (false, StopReason::MaxIterations) => "max_iterations",
    };
    Ok(Outcome {
        image: result.image,
        iterations: result.iterations,
        stopped_by,
        flux_ratio: result.flux_ratio,
        elapsed_s,
    })
}

/// A parsed `--psf` value, before anything is computed or read.
#[derive(Debug, Clone, PartialEq)]
pub enum PsfSpec {
    /// An analytic profile and its kernel side (`None`: the profile's default side).
    Analytic {
        /// The profile.
        psf: Psf,
        /// The kernel side from `size=`, checked to be at most [`MAX_KERNEL_SIDE`] (odd is
        /// checked when the kernel is built).
        size: Option<usize>,
    },
    /// `file:PATH`: an image file to be read and normalised.
    File(PathBuf),
}

impl PsfSpec {
    /// The kernel, summing to 1: computed for an analytic profile, read (FITS, PNG or JPEG) and
    /// normalised for a file.
    ///
    /// # Errors
    /// An invalid profile parameter or kernel side; a file that cannot be read, or whose
    /// pixels are negative, non-finite or sum to 0. `spec` is the flag's text, for the message.
    pub fn kernel(&self, spec: &str) -> anyhow::Result<Image> {
        match self {
            Self::Analytic { psf, size } => {
                psf.kernel(*size).map_err(|e| anyhow::anyhow!("--psf {spec:?}: {e}"))
            }
            Self::File(path) => {
                let kernel = read_image(path)?;
                normalise_kernel(kernel).with_context(|| format!("PSF file {}", path.display()))
            }
        }
    }
}

/// Parses `--psf` into a kernel summing to 1 ([`parse_psf_spec`], then [`PsfSpec::kernel`]);
/// see [`DeconvolveArgs::psf`].
///
/// # Errors
/// As [`parse_psf_spec`] and [`PsfSpec::kernel`].
pub fn parse_psf(spec: &str) -> anyhow::Result<Image> {
    parse_psf_spec(spec)?.kernel(spec)
}

/// Parses `--psf` (`gaussian:fwhm=F[,size=N]`, `moffat:fwhm=F,beta=B[,size=N]`,
/// `airy:fwhm=F[,size=N]` or `file:PATH`) without computing a kernel or reading a file.
///
/// # Errors
/// A missing `KIND:`, an unknown kind or parameter, a parameter that is not a number, a
/// missing `fwhm=` (or `beta=` for moffat), a `size=` above [`MAX_KERNEL_SIDE`], an empty path.
pub fn parse_psf_spec(spec: &str) -> anyhow::Result<PsfSpec> {
    let bad = |why: &str| anyhow::anyhow!("--psf {spec:?}: {why}");
    let Some((kind, rest)) = spec.split_once(':') else {
        return Err(bad("expected KIND:PARAMS (gaussian:fwhm=F, moffat:fwhm=F,beta=B, \
                        airy:fwhm=F, file:PATH)"));
    };
    if kind == "file" {
        if rest.is_empty() {
            return Err(bad("file: needs a path"));
        }
        return Ok(PsfSpec::File(PathBuf::from(rest)));
    }
    let (mut fwhm, mut beta, mut size) = (None, None, None);
    for item in rest.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            return Err(bad(&format!("expected KEY=VALUE, got {item:?}")));
        };
        let number = || {
            value.trim().parse::<f64>().map_err(|_| bad(&format!("{key}={value} is not a number")))
        };
        match key.trim() {
            "fwhm" => fwhm = Some(number()?),
            "beta" if kind == "moffat" => beta = Some(number()?),
            "size" => {
                let n = value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| bad(&format!("size={value} is not a positive integer")))?;
                // Capped here, before any kernel is allocated.
                if n > MAX_KERNEL_SIDE {
                    return Err(bad(&format!(
                        "size={n} is above the largest side, {MAX_KERNEL_SIDE}"
                    )));
                }
                size = Some(n);
            }
            other => return Err(bad(&format!("unknown parameter {other:?} for {kind}"))),
        }
    }
    let fwhm = fwhm.ok_or_else(|| bad("fwhm= is required"))?;
    let psf = match kind {
        "gaussian" => Psf::Gaussian { fwhm },
        "airy" => Psf::Airy { fwhm },
        "moffat" => Psf::Moffat { fwhm, beta: beta.ok_or_else(|| bad("moffat needs beta="))? },
        other => {
            return Err(bad(&format!("unknown kind {other:?} (gaussian, moffat, airy or file)")));
        }
    };
    Ok(PsfSpec::Analytic { psf, size })
}

/// Reads an image by its extension: FITS (.fits, .fit, .fts), PNG, JPEG (.jpg, .jpeg).
fn read_image(path: &Path) -> anyhow::Result<Image> {
    let ext =
        path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    Ok(match ext.as_str() {
        "fits" | "fit" | "fts" => read_fits(path)?,
        "png" => read_png(path)?,
        "jpg" | "jpeg" => read_jpeg(path)?,
        _ => bail!(
            "{}: unknown image type (expected .fits, .fit, .fts, .png, .jpg or .jpeg)",
            path.display()
        ),
    })
}

/// The preview's display range: the 0.5 and 99.5 percentiles, min–max when they coincide.
fn display_range(image: &Image) -> (f64, f64) {
    let mut v = image.data().to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    let (lo, hi) = (at(0.005), at(0.995));
    if hi > lo { (lo, hi) } else { (v[0], v[v.len() - 1]) }
}

/// The demo's truth: M13 median-subtracted, clipped at 0, peak 1.
fn demo_truth() -> anyhow::Result<Image> {
    let sky = m13();
    let mut sorted = sky.data().to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let (w, h) = sky.shape();
    let mut truth = Image::new(w, h, sky.data().iter().map(|v| (v - median).max(0.0)).collect())?;
    let peak = truth.max();
    truth.data_mut().iter_mut().for_each(|v| *v /= peak);
    Ok(truth)
}

/// `--demo`: every method on the blurred M13 field.
fn demo(args: &DeconvolveArgs) -> anyhow::Result<()> {
    if args.input.is_some() || args.psf.is_some() {
        bail!("--demo builds its own image and PSF: drop --input and --psf");
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let truth = demo_truth()?;
    let kernel = Psf::Gaussian { fwhm: FWHM_PER_SIGMA * DEMO_SIGMA }.kernel(Some(DEMO_KERNEL))?;
    let mut h = Convolution::new(&kernel, truth.shape(), Boundary::Periodic)?;
    let mut clean = h.apply(&truth)?;
    // The FFT leaves rounding-level negatives (−1e−18) where the truth is 0: not photon rates.
    clean.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
    // 2000 photons per unit of the truth: the library's scale is photons at the blurred peak.
    let y = add_poisson_gaussian(&clean, DEMO_PHOTONS * clean.max(), DEMO_READ_NOISE, args.seed)?;
    let sigma = match args.noise_sigma {
        Some(s) => s,
        None => estimate_noise_sigma(&y),
    };
    let stop = Stop::Discrepancy { noise_sigma: Some(sigma), tau: args.tau };
    let options = || Options { stop, ..Options::new(args.max_iterations) };
    let runs: [(DeconvolveMethod, Settings); 5] = [
        (
            DeconvolveMethod::Landweber,
            Settings { prior: Prior::default(), lambda: 0.0, balance: 0.0, positivity: true },
        ),
        (
            DeconvolveMethod::FistaTv,
            Settings {
                prior: Prior { tv: 1e-4, l1: 0.0 },
                lambda: 0.0,
                balance: 0.0,
                positivity: true,
            },
        ),
        (
            DeconvolveMethod::Rl,
            Settings { prior: Prior::default(), lambda: 0.0, balance: 0.0, positivity: true },
        ),
        (
            DeconvolveMethod::RlTv,
            Settings { prior: Prior::default(), lambda: 1e-3, balance: 0.0, positivity: true },
        ),
        (
            DeconvolveMethod::Wiener,
            Settings {
                prior: Prior::default(),
                lambda: 0.0,
                balance: DEMO_WIENER_BALANCE,
                positivity: false,
            },
        ),
    ];
    let mut methods = Vec::new();
    let mut previews = vec![("truth".to_owned(), truth.clone()), ("blurred".to_owned(), y.clone())];
    for (method, settings) in runs {
        let o = restore(&mut h, &y, method, settings, options())?;
        methods.push(DemoRow {
            method: method.name(),
            psnr_db: psnr_db(&truth, &o.image, 1.0)?,
            ssim: ssim(&truth, &o.image, 1.0)?,
            flux_ratio: flux_ratio(&o.image, &truth)?,
            iterations: o.iterations,
            stopped_by: o.stopped_by,
            elapsed_s: o.elapsed_s,
        });
        previews.push((method.name().to_owned(), o.image));
    }
    if let Some(dir) = &args.out {
        for (name, image) in &previews {
            let path: PathBuf = dir.join(format!("{name}.png"));
            write_png(&path, image, PngDepth::Eight, Some(display_range(image)))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let blurred_psnr_db = psnr_db(&truth, &y, 1.0)?;
    let blurred_ssim = ssim(&truth, &y, 1.0)?;
    let (width, height) = truth.shape();
    if args.json {
        return print_json(&DemoJson {
            methods,
            blurred_psnr_db,
            blurred_ssim,
            noise_sigma: sigma,
            width,
            height,
            seed: args.seed,
            out: args.out.as_deref(),
        });
    }
    println!(
        "M13 {width} × {height}, Gaussian σ = {DEMO_SIGMA} px ({DEMO_KERNEL} × {DEMO_KERNEL}, \
         periodic), Poisson {DEMO_PHOTONS} + read noise {}, seed {}; σ̂ = {}",
        number(DEMO_READ_NOISE),
        args.seed,
        number(sigma)
    );
    let mut rows = vec![vec![
        "blurred".to_owned(),
        format!("{blurred_psnr_db:.2}"),
        format!("{blurred_ssim:.4}"),
        format!("{:.4}", flux_ratio(&y, &truth)?),
        "-".to_owned(),
        "-".to_owned(),
    ]];
    for r in &methods {
        rows.push(vec![
            r.method.to_owned(),
            format!("{:.2}", r.psnr_db),
            format!("{:.4}", r.ssim),
            format!("{:.4}", r.flux_ratio),
            format!("{} ({})", r.iterations, r.stopped_by.replace('_', " ")),
            format!("{:.3}", r.elapsed_s),
        ]);
    }
    print_table(&["method", "PSNR (dB)", "SSIM", "flux ratio", "iterations", "time (s)"], &rows);
    if let Some(dir) = &args.out {
        println!("previews in {}", dir.display());
    }
    Ok(())
}
