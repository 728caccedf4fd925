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
//! so that on a smooth (e.g. blurred) image M∗y is almost pure filtered noise with standard
//! deviation 6σ. Immerkær averages |M∗y|; we take the median instead (the MAD rule of
//! Donoho & Johnstone 1994): σ̂ = 1.4826 · median|M∗y| / 6, where 1.4826 = 1/Φ⁻¹(3/4) makes the
//! median of |Gaussian| an unbiased estimate of its σ. The median ignores the few pixels where
//! sharp structure (star cores) leaks through M. For signal-dependent (Poisson) noise it
//! estimates the typical, i.e. the median pixel's, noise level.
//!
//! Reference: J. Immerkær, "Fast noise variance estimation", Computer Vision and Image
//! Understanding 64(2), 1996, pp. 300–302.

use crate::Image;

/// σ̂, the per-pixel noise standard deviation of `y` (see the [module docs](self)): 1.4826 ·
/// median |M∗y| / 6 over the interior pixels, M Immerkær's 3×3 mask. 0 for an image under
/// 3×3 pixels (nothing to estimate from); non-finite pixels are skipped.
#[must_use]
pub fn estimate_noise_sigma(y: &Image) -> f64 {
    let (w, h) = y.shape();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let d = y.data();
    let mut filtered = Vec::with_capacity((w - 2) * (h - 2));
    for r in 1..h - 1 {
        let (up, mid, down) = (&d[(r - 1) * w..r * w], &d[r * w..(r + 1) * w], &d[(r + 1) * w..(r + 2) * w]);
        for c in 1..w - 1 {
            let v = (up[c - 1] + up[c + 1] + down[c - 1] + down[c + 1])
                - 2.0 * (up[c] + down[c] + mid[c - 1] + mid[c + 1])
                + 4.0 * mid[c];
            if v.is_finite() {
                filtered.push(v.abs());
            }
        }
    }
    if filtered.is_empty() {
        return 0.0;
    }
    let mid = filtered.len() / 2;
    let (_, median, _) = filtered.select_nth_unstable_by(mid, f64::total_cmp);
    1.482_602_218_505_602 * *median / 6.0
}
