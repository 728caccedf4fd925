//! The noise level of an image, estimated from the image alone.
//!
//! Immerkær (1996) filters the image with the difference of two Laplacians,
//!
//! ```text
//!       ⎡ 1 −2  1⎤
//!   M = ⎢−2  4 −2⎥      (Σ M² = 36; M annihilates constants, ramps and quadratics),
//!       ⎣ 1 −2  1⎦
//! ```
//!
//! so that on a smooth (e.g. blurred) image e = (M∗y)/6 is almost pure noise with the pixel's
//! standard deviation σ_i. Astronomical noise is signal-dependent (photon counts plus read
//! noise): σ_i² = a·s_i + b with s the signal. We therefore
//!
//! 1. take the local level m_i (the 3×3 mean of y) beside each e_i,
//! 2. sort the pixels by m into 16 bins of equal count and estimate each bin's variance
//!    robustly, v_j = (1.4826 · median_j |e|)² (the MAD rule of Donoho & Johnstone 1994;
//!    1.4826 = 1/Φ⁻¹(3/4); the median ignores star cores where structure leaks through M),
//! 3. fit v = a·m + b by least squares over the bins (a, b ≥ 0),
//!
//! and return the root-mean-square noise σ̂ = √(b + a·mean(max(m, 0))), the level for which
//! E‖noise‖² = N·σ̂²: exactly what the discrepancy principle compares ‖Hx − y‖ with. For
//! signal-independent Gaussian noise a ≈ 0 and σ̂ is the MAD estimate of σ.
//!
//! References: J. Immerkær, "Fast noise variance estimation", Computer Vision and Image
//! Understanding 64(2), 1996; A. Foi et al., "Practical Poissonian–Gaussian noise modeling and
//! fitting for single-image raw-data", IEEE Trans. Image Processing 17(10), 2008 (the same model,
//! fitted more carefully).

use crate::Image;

/// Bins of equal pixel count for the variance-versus-level fit.
const BINS: usize = 16;
/// 1/Φ⁻¹(3/4): median |Gaussian| · this = σ.
const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// σ̂, the root-mean-square per-pixel noise of `y` under the model σ_i² = a·signal + b (see the
/// [module docs](self)). 0 for an image under 3×3 pixels (nothing to estimate from);
/// non-finite pixels are skipped. Allocates O(N) (it runs once, before any iteration).
#[must_use]
pub fn estimate_noise_sigma(y: &Image) -> f64 {
    let (w, h) = y.shape();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let d = y.data();
    // (local level m, |e|)
    let mut samples: Vec<(f64, f64)> = Vec::with_capacity((w - 2) * (h - 2));
    for r in 1..h - 1 {
        let (up, mid, down) =
            (&d[(r - 1) * w..r * w], &d[r * w..(r + 1) * w], &d[(r + 1) * w..(r + 2) * w]);
        for c in 1..w - 1 {
            let corners = up[c - 1] + up[c + 1] + down[c - 1] + down[c + 1];
            let edges = up[c] + down[c] + mid[c - 1] + mid[c + 1];
            let e = (corners - 2.0 * edges + 4.0 * mid[c]) / 6.0;
            let m = (corners + edges + mid[c]) / 9.0;
            if e.is_finite() && m.is_finite() {
                samples.push((m, e.abs()));
            }
        }
    }
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
    let bins = BINS.min(samples.len());
    let mut levels = Vec::with_capacity(bins);
    let mut variances = Vec::with_capacity(bins);
    let mut abs_e = Vec::new();
    for j in 0..bins {
        let bin = &samples[j * samples.len() / bins..(j + 1) * samples.len() / bins];
        abs_e.clear();
        abs_e.extend(bin.iter().map(|p| p.1));
        let mid = abs_e.len() / 2;
        let (_, median, _) = abs_e.select_nth_unstable_by(mid, f64::total_cmp);
        levels.push(bin.iter().map(|p| p.0).sum::<f64>() / bin.len() as f64);
        variances.push((MAD_TO_SIGMA * *median).powi(2));
    }
    // least squares v = a·m + b, then the constraints a, b ≥ 0
    let nb = bins as f64;
    let (sm, sv) = (levels.iter().sum::<f64>() / nb, variances.iter().sum::<f64>() / nb);
    let smm: f64 = levels.iter().map(|m| (m - sm).powi(2)).sum();
    let smv: f64 = levels.iter().zip(&variances).map(|(m, v)| (m - sm) * (v - sv)).sum();
    let mut a = if smm > 0.0 { smv / smm } else { 0.0 };
    let mut b = sv - a * sm;
    if a < 0.0 {
        a = 0.0;
        b = sv;
    }
    if b < 0.0 {
        b = 0.0;
        let smm0: f64 = levels.iter().map(|m| m * m).sum();
        a = if smm0 > 0.0 {
            levels.iter().zip(&variances).map(|(m, v)| m * v).sum::<f64>() / smm0
        } else {
            0.0
        };
    }
    let mean_signal = samples.iter().map(|p| p.0.max(0.0)).sum::<f64>() / samples.len() as f64;
    (b + a * mean_signal).max(0.0).sqrt()
}
