//! The numbers behind the tour's chapter on imaging (`descent tour`, chapter 9, "Sharpening the
//! sky"): the experiment runs here and returns what the narrative quotes, so that every claim
//! the chapter makes is also a tested value. No I/O, as in `descent::tour`.
//!
//! | function | claim |
//! |---|---|
//! | [`m13_truth`] | the shipped M13 field ([`m13()`]) as a truth: median background subtracted, clipped at 0, cropped around the cluster core, peak 1 |
//! | [`imaging`] | blurred by a Gaussian PSF and Poisson + read noise, Richardson–Lucy improves the PSNR by > 5 dB; RL, RL-TV and Landweber stopped by the discrepancy principle land within 1 dB of their best iteration without seeing the truth; RL keeps the flux |
//!
//! # The chapter's equations
//! ```text
//! y = Hx + n                                  the observation: blur H, noise n
//! J(x) = Σ (Hx − y·log Hx)                    Poisson negative log-likelihood
//! ∇J(x) = Hᵀ1 − Hᵀ(y / Hx)
//! x ← x − (x / Hᵀ1)·∇J(x) = x·Hᵀ(y / Hx)/Hᵀ1  Richardson–Lucy: a scaled gradient step
//! stop at the first k with ‖Hx_k − y‖ ≤ τ·σ̂·√N   the discrepancy principle
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | x | the image being restored (the truth x* is used only to score) |
//! | y | the blurred, noisy image, N pixels |
//! | H, Hᵀ | the blur by the PSF (periodic FFT convolution) and its adjoint |
//! | σ̂ | the noise level estimated from y alone ([`estimate_noise_sigma`]) |
//! | τ | the discrepancy safety factor (1) |
//! | PSNR | 10·log10(1/MSE) against x* (peak 1) |
//!
//! # Example
//! ```
//! use descent_imaging::tour::{ImagingSettings, imaging};
//! let chapter = imaging(&ImagingSettings { crop: 64, ..ImagingSettings::default() })?;
//! let rl = chapter.run("rl");
//! assert!(rl.auto.psnr_db > chapter.blurred_psnr_db);
//! # Ok::<(), descent_imaging::Error>(())
//! ```

use crate::metrics::{psnr_db, ssim};
use crate::{
    Boundary, Convolution, Error, Image, Options, Psf, Restoration, Result, StopReason,
    add_poisson_gaussian, estimate_noise_sigma, landweber, m13, richardson_lucy,
    richardson_lucy_tv,
};

/// FWHM of a Gaussian over its σ: 2·√(2·ln 2).
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949;

/// How the chapter's experiment is set up; [`Default`] is what the tour runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagingSettings {
    /// The side of the square crop of M13, centred on the cluster core (≤ 300).
    pub crop: usize,
    /// σ of the Gaussian PSF, in pixels.
    pub psf_sigma: f64,
    /// Photons at the truth's peak after blurring (sets the Poisson noise).
    pub photons_at_peak: f64,
    /// Gaussian read noise, in image units (the truth's peak is 1).
    pub read_noise: f64,
    /// The noise seed.
    pub seed: u64,
    /// RL-TV's weight λ.
    pub tv_lambda: f64,
    /// The discrepancy principle's τ.
    pub tau: f64,
    /// Iterations of the PSNR curves (and the most any auto-stopped run may take).
    pub max_iterations: usize,
}

impl Default for ImagingSettings {
    /// A 128×128 crop, σ = 2 px, 2000 photons at the peak, read noise 0.001, seed 2024,
    /// λ = 10⁻³, τ = 1, curves over 250 iterations.
    fn default() -> Self {
        Self {
            crop: 128,
            psf_sigma: 2.0,
            photons_at_peak: 2000.0,
            read_noise: 0.001,
            seed: 2024,
            tv_lambda: 1e-3,
            tau: 1.0,
            max_iterations: 250,
        }
    }
}

/// A restoration scored against the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The iterations run.
    pub iterations: usize,
    /// PSNR against the truth (dB, range 1).
    pub psnr_db: f64,
    /// SSIM against the truth (range 1).
    pub ssim: f64,
    /// Σx / Σy.
    pub flux_ratio: f64,
}

/// One method: its PSNR at every iteration and its auto-stopped result.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodRun {
    /// "rl", "rl-tv" or "landweber".
    pub method: &'static str,
    /// PSNR (dB) after iteration k = 1, 2, …, `max_iterations` (index k − 1).
    pub curve: Vec<f64>,
    /// The best iteration of the curve and its PSNR (known only with the truth).
    pub best: (usize, f64),
    /// The run stopped by the discrepancy principle, scored.
    pub auto: Scored,
    /// Why the auto-stopped run stopped.
    pub stopped_by: StopReason,
    /// The auto-stopped image.
    pub image: Image,
}

/// The chapter's experiment; see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct ImagingChapter {
    /// The settings it ran with.
    pub settings: ImagingSettings,
    /// The crop's top-left corner (x, y) in the 300×300 field.
    pub corner: (usize, usize),
    /// x*: the truth.
    pub truth: Image,
    /// y: blurred and noisy.
    pub blurred: Image,
    /// PSNR of y against x* (dB).
    pub blurred_psnr_db: f64,
    /// SSIM of y against x*.
    pub blurred_ssim: f64,
    /// The noise σ the stop estimated from y.
    pub sigma_estimate: f64,
    /// The noise's actual rms, ‖y − Hx*‖/√N.
    pub sigma_true: f64,
    /// The discrepancy level τ·σ̂·√N.
    pub target_residual: f64,
    /// RL, RL-TV and Landweber (with positivity), in that order.
    pub runs: Vec<MethodRun>,
}

impl ImagingChapter {
    /// The run of `method`.
    ///
    /// # Panics
    /// For a method other than "rl", "rl-tv" or "landweber".
    #[must_use]
    pub fn run(&self, method: &str) -> &MethodRun {
        self.runs.iter().find(|r| r.method == method).expect("a method the chapter runs")
    }
}

/// The truth: M13 ([`m13()`]) less its median, clipped at 0, a `crop`×`crop` square centred
/// on the flux-weighted centroid (the cluster core, kept inside the field), scaled to peak 1.
/// Returns the image and the crop's top-left corner.
///
/// # Errors
/// [`Error::InvalidParameter`] for a crop of fewer than 16 or more than 300 pixels a side.
pub fn m13_truth(crop: usize) -> Result<(Image, (usize, usize))> {
    let sky = m13();
    let (w, h) = sky.shape();
    if !(16..=w.min(h)).contains(&crop) {
        return Err(Error::InvalidParameter {
            name: "crop",
            value: crop as f64,
            valid: "16 to 300 pixels",
        });
    }
    let mut sorted = sky.data().to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let clipped: Vec<f64> = sky.data().iter().map(|v| (v - median).max(0.0)).collect();
    let (mut sx, mut sy, mut s) = (0.0, 0.0, 0.0);
    for (i, v) in clipped.iter().enumerate() {
        sx += v * (i % w) as f64;
        sy += v * (i / w) as f64;
        s += v;
    }
    let centre = |c: f64, side: usize| -> usize {
        let start = (c - crop as f64 / 2.0).round().max(0.0) as usize;
        start.min(side - crop)
    };
    let (x0, y0) = (centre(sx / s, w), centre(sy / s, h));
    let mut data = Vec::with_capacity(crop * crop);
    for row in y0..y0 + crop {
        data.extend_from_slice(&clipped[row * w + x0..row * w + x0 + crop]);
    }
    let peak = data.iter().copied().fold(0.0, f64::max);
    data.iter_mut().for_each(|v| *v /= peak);
    Ok((Image::new(crop, crop, data)?, (x0, y0)))
}

/// Runs the chapter's experiment; see the [module docs](self).
///
/// # Errors
/// As [`m13_truth`], [`Psf::kernel`], [`Convolution::new`], [`add_poisson_gaussian`] and the
/// solvers (invalid settings).
pub fn imaging(settings: &ImagingSettings) -> Result<ImagingChapter> {
    let (truth, corner) = m13_truth(settings.crop)?;
    let kernel = Psf::Gaussian { fwhm: FWHM_PER_SIGMA * settings.psf_sigma }.kernel(None)?;
    let mut h = Convolution::new(&kernel, truth.shape(), Boundary::Periodic)?;
    let clean = h.apply(&truth)?;
    let blurred =
        add_poisson_gaussian(&clean, settings.photons_at_peak, settings.read_noise, settings.seed)?;
    let n = blurred.data().len() as f64;
    let sigma_true = crate::solvers::distance(&clean, &blurred) / n.sqrt();
    let sigma_estimate = estimate_noise_sigma(&blurred);
    let stop = crate::Stop::Discrepancy { noise_sigma: None, tau: settings.tau };
    let mut runs = Vec::with_capacity(3);
    for method in ["rl", "rl-tv", "landweber"] {
        let mut solve = |options: Options<'_>| -> Result<Restoration> {
            match method {
                "rl" => richardson_lucy(&mut h, &blurred, options),
                "rl-tv" => richardson_lucy_tv(&mut h, &blurred, settings.tv_lambda, options),
                _ => landweber(&mut h, &blurred, None, true, options),
            }
        };
        let mut curve = Vec::with_capacity(settings.max_iterations);
        let mut observer = |_: usize, x: &Image| curve.push(psnr_db(&truth, x, 1.0).unwrap_or(0.0));
        solve(Options::fixed(settings.max_iterations).observed(&mut observer))?;
        let auto =
            solve(Options { max_iterations: settings.max_iterations, stop, observer: None })?;
        let best = curve
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |b, (i, &p)| if p > b.1 { (i + 1, p) } else { b });
        runs.push(MethodRun {
            method,
            curve,
            best,
            auto: Scored {
                iterations: auto.iterations,
                psnr_db: psnr_db(&truth, &auto.image, 1.0)?,
                ssim: ssim(&truth, &auto.image, 1.0)?,
                flux_ratio: auto.flux_ratio,
            },
            stopped_by: auto.stopped_by,
            image: auto.image,
        });
    }
    Ok(ImagingChapter {
        settings: settings.clone(),
        corner,
        blurred_psnr_db: psnr_db(&truth, &blurred, 1.0)?,
        blurred_ssim: ssim(&truth, &blurred, 1.0)?,
        truth,
        blurred,
        sigma_estimate,
        sigma_true,
        target_residual: settings.tau * sigma_estimate * n.sqrt(),
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chapter_s_claims_hold() {
        let start = std::time::Instant::now();
        let c = imaging(&ImagingSettings::default()).unwrap();
        let elapsed = start.elapsed().as_secs_f64();
        println!(
            "corner {:?}, blurred {:.2} dB / SSIM {:.3}, σ̂ {:.5}, σ {:.5}, {elapsed:.3} s",
            c.corner, c.blurred_psnr_db, c.blurred_ssim, c.sigma_estimate, c.sigma_true
        );
        for r in &c.runs {
            println!(
                "{:>10}: best {:.2} dB at {}, auto {:.2} dB at {} ({:?}), SSIM {:.3}, flux {:.5}",
                r.method,
                r.best.1,
                r.best.0,
                r.auto.psnr_db,
                r.auto.iterations,
                r.stopped_by,
                r.auto.ssim,
                r.auto.flux_ratio
            );
        }
        assert_eq!(c.truth.shape(), (128, 128));
        assert!((c.truth.max() - 1.0).abs() < 1e-15 && c.truth.data().iter().all(|&v| v >= 0.0));
        // The noise estimate sees the noise from y alone, within 10 %.
        assert!((c.sigma_estimate / c.sigma_true - 1.0).abs() < 0.1);
        let rl = c.run("rl");
        assert!(rl.auto.psnr_db - c.blurred_psnr_db > 5.0, "RL gains {}", rl.auto.psnr_db);
        assert!(rl.auto.ssim > c.blurred_ssim);
        for r in &c.runs {
            assert_eq!(r.curve.len(), c.settings.max_iterations);
            assert_eq!(r.stopped_by, StopReason::Discrepancy, "{}", r.method);
            // The stop needs no truth and lands within 1 dB of the best iteration.
            assert!(r.best.1 - r.auto.psnr_db <= 1.0, "{}", r.method);
            // The curve at the stop is the auto-stopped result (same iterations, same image).
            assert!((r.curve[r.auto.iterations - 1] - r.auto.psnr_db).abs() < 1e-12);
        }
        for m in ["rl", "rl-tv"] {
            assert!((c.run(m).auto.flux_ratio - 1.0).abs() <= 0.01, "{m}");
        }
    }

    #[test]
    fn a_bad_crop_is_an_error() {
        for crop in [0, 15, 301] {
            assert!(matches!(m13_truth(crop), Err(Error::InvalidParameter { .. })));
        }
    }
}
