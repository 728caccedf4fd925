//! How good is a restoration: PSNR, SSIM, flux ratio and χ².
//!
//! | metric | formula | needs the truth? |
//! |---|---|---|
//! | [`psnr_db`] | 10·log₁₀(R² / MSE), MSE = mean (x − x̂)² | yes |
//! | [`ssim`] | mean structural similarity (Wang et al. 2004) | yes |
//! | [`flux_ratio`] | Σ x̂ / Σ x_ref | a reference (the data) |
//! | [`chi2`], [`reduced_chi2`] | Σ (r/σ)², and / (N − p) | no: the residual r = y − Hx̂ and the noise σ |
//!
//! R is the **data range** — the span the pixels may take (1 for images in [0, 1], 255 for
//! 8-bit, the truth's max − min for photon counts) — always given by the caller: a PSNR or SSIM
//! computed from the estimate's own range would move as the estimate moves.

use crate::{Error, Image, Result};

fn check_range(data_range: f64) -> Result<()> {
    if data_range > 0.0 && data_range.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "data range",
            value: data_range,
            valid: "finite and > 0",
        })
    }
}

/// Peak signal-to-noise ratio in decibels: 10·log₁₀(R² / MSE), R = `data_range`.
///
/// Identical images give +∞.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::InvalidParameter`] for R ≤ 0 or
/// non-finite.
pub fn psnr_db(truth: &Image, estimate: &Image, data_range: f64) -> Result<f64> {
    truth.check_shape("PSNR estimate", estimate)?;
    check_range(data_range)?;
    let sum: f64 = truth.data().iter().zip(estimate.data()).map(|(a, b)| (a - b) * (a - b)).sum();
    let mse = sum / truth.data().len() as f64;
    Ok(10.0 * (data_range * data_range / mse).log10())
}

/// SSIM's Gaussian window: σ = 1.5 pixels, 11 taps (scipy's radius int(3.5σ + 0.5) = 5).
const SSIM_SIGMA: f64 = 1.5;
const SSIM_RADIUS: usize = 5;
/// K₁ and K₂ of Wang et al. (2004).
const K1: f64 = 0.01;
const K2: f64 = 0.03;

/// The normalised 1-D Gaussian weights of SSIM's window.
fn ssim_weights() -> [f64; 2 * SSIM_RADIUS + 1] {
    let mut w = [0.0; 2 * SSIM_RADIUS + 1];
    for (i, wi) in w.iter_mut().enumerate() {
        let d = i as f64 - SSIM_RADIUS as f64;
        *wi = (-0.5 * d * d / (SSIM_SIGMA * SSIM_SIGMA)).exp();
    }
    let total: f64 = w.iter().sum();
    w.iter_mut().for_each(|wi| *wi /= total);
    w
}

/// Mean structural similarity (SSIM) of `estimate` to `truth`, in [−1, 1], 1 for identical images.
///
/// At each pixel, with Gaussian-weighted local means μ, variances σ² and covariance σ_xy
/// (window 11×11, σ = 1.5, weights summing to 1; "population" moments E\[x²\] − μ², not n/(n−1)),
///
/// SSIM = (2μ_xμ_y + C₁)(2σ_xy + C₂) / ((μ_x² + μ_y² + C₁)(σ_x² + σ_y² + C₂)),
/// C₁ = (K₁R)², C₂ = (K₂R)², K₁ = 0.01, K₂ = 0.03, R = `data_range`,
///
/// averaged over the pixels whose window lies inside the image (a 5-pixel border is left out).
/// This is scikit-image's `structural_similarity(truth, estimate, gaussian_weights=True,
/// sigma=1.5, use_sample_covariance=False, data_range=R)`, which crops the same border (so its
/// boundary mode does not matter). Reference: Z. Wang, A. C. Bovik, H. R. Sheikh,
/// E. P. Simoncelli (2004), "Image quality assessment: from error visibility to structural
/// similarity", *IEEE Trans. Image Process.* 13(4), 600–612, eq. 13 and § III-C.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::InvalidParameter`] for R ≤ 0 or
/// non-finite, or an image smaller than 11×11.
pub fn ssim(truth: &Image, estimate: &Image, data_range: f64) -> Result<f64> {
    truth.check_shape("SSIM estimate", estimate)?;
    check_range(data_range)?;
    let (w, h) = truth.shape();
    let size = 2 * SSIM_RADIUS + 1;
    if w < size || h < size {
        return Err(Error::InvalidParameter {
            name: "SSIM image side",
            value: w.min(h) as f64,
            valid: "at least 11 pixels (the window)",
        });
    }
    let weights = ssim_weights();
    let (x, y) = (truth.data(), estimate.data());
    // The five moment images x, y, x², y², xy, filtered along rows into the valid columns.
    let (vw, vh) = (w - 2 * SSIM_RADIUS, h - 2 * SSIM_RADIUS);
    let mut rows = vec![[0.0; 5]; vw * h];
    for r in 0..h {
        for c in 0..vw {
            let mut m = [0.0; 5];
            for (k, wk) in weights.iter().enumerate() {
                let (a, b) = (x[r * w + c + k], y[r * w + c + k]);
                m[0] += wk * a;
                m[1] += wk * b;
                m[2] += wk * a * a;
                m[3] += wk * b * b;
                m[4] += wk * a * b;
            }
            rows[r * vw + c] = m;
        }
    }
    let c1 = (K1 * data_range).powi(2);
    let c2 = (K2 * data_range).powi(2);
    let mut total = 0.0;
    for r in 0..vh {
        for c in 0..vw {
            let mut m = [0.0; 5];
            for (k, wk) in weights.iter().enumerate() {
                let row = &rows[(r + k) * vw + c];
                for j in 0..5 {
                    m[j] += wk * row[j];
                }
            }
            let [mx, my, mxx, myy, mxy] = m;
            let (vx, vy, vxy) = (mxx - mx * mx, myy - my * my, mxy - mx * my);
            total += (2.0 * mx * my + c1) * (2.0 * vxy + c2)
                / ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
    }
    Ok(total / (vw * vh) as f64)
}

/// Σ estimate / Σ reference: 1 when a restoration keeps the flux (what deconvolution should).
///
/// # Errors
/// [`Error::ShapeMismatch`] when the shapes differ; [`Error::InvalidParameter`] when the
/// reference's flux is 0 or not finite.
pub fn flux_ratio(estimate: &Image, reference: &Image) -> Result<f64> {
    reference.check_shape("flux-ratio estimate", estimate)?;
    let r = reference.sum();
    if r == 0.0 || !r.is_finite() {
        return Err(Error::InvalidParameter {
            name: "reference flux",
            value: r,
            valid: "finite and non-zero",
        });
    }
    Ok(estimate.sum() / r)
}

/// χ² = Σ (rᵢ/σ)² of a residual r = y − Hx̂ with noise standard deviation σ per pixel.
///
/// # Errors
/// [`Error::InvalidParameter`] for σ ≤ 0 or non-finite.
pub fn chi2(residual: &Image, sigma: f64) -> Result<f64> {
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "noise sigma",
            value: sigma,
            valid: "finite and > 0",
        });
    }
    Ok(residual.data().iter().map(|r| (r / sigma) * (r / sigma)).sum())
}

/// Reduced χ²: χ² / (N − p) for N pixels and p fitted parameters; ≈ 1 when the residual is
/// noise of standard deviation σ (the discrepancy principle stops there).
///
/// # Errors
/// As [`chi2`]; [`Error::InvalidParameter`] when p ≥ N.
pub fn reduced_chi2(residual: &Image, sigma: f64, parameters: usize) -> Result<f64> {
    let n = residual.data().len();
    if parameters >= n {
        return Err(Error::InvalidParameter {
            name: "fitted parameters",
            value: parameters as f64,
            valid: "fewer than the pixels",
        });
    }
    Ok(chi2(residual, sigma)? / (n - parameters) as f64)
}
