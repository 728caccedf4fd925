//! Detector noise: photon (Poisson) noise plus Gaussian read noise, seeded and reproducible.
//!
//! A noiseless image u ≥ 0 is turned into counts by scaling its peak to `photons_at_peak`
//! photons, s = P / max u. Each pixel then records
//!
//! ```text
//! y = n / s + σ·g,     n ~ Poisson(s·u),  g ~ N(0, 1)
//! ```
//!
//! so E(y) = u and Var(y) = u / s + σ² (in image units). P sets the signal-to-noise ratio at the
//! peak (√P for pure photon noise); σ is the read noise in image units. P = +∞ gives Gaussian
//! noise alone. Counts come from `rand_distr::Poisson`, the normals from
//! `rand_distr::StandardNormal`, both driven by `ChaCha8Rng::seed_from_u64(seed)`, pixel by pixel
//! in row-major order (a Poisson draw where s·u > 0, then a normal draw where σ > 0): the same
//! seed gives the same bits.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use crate::{Error, Image, Result};

/// `image` with Poisson photon noise (peak scaled to `photons_at_peak` photons) and Gaussian
/// read noise of standard deviation `read_noise` (image units) added; see the
/// [module docs](self).
///
/// ```
/// use descent_imaging::{Image, add_poisson_gaussian};
///
/// let clean = Image::new(2, 1, vec![1.0, 0.25])?;
/// let noisy = add_poisson_gaussian(&clean, 100.0, 0.0, 7)?;
/// // Photon noise only: every pixel is a whole number of photons, 1/100 of the peak each.
/// for v in noisy.data() {
///     assert!(((v * 100.0) - (v * 100.0).round()).abs() < 1e-9);
/// }
/// assert_eq!(noisy, add_poisson_gaussian(&clean, 100.0, 0.0, 7)?); // seeded
/// # Ok::<(), descent_imaging::Error>(())
/// ```
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite pixel; [`Error::InvalidParameter`] for a negative
/// pixel (not a photon rate), `photons_at_peak` not positive (or above 1.8·10¹⁹, the Poisson
/// sampler's limit, and not +∞), or `read_noise` not finite and ≥ 0.
pub fn add_poisson_gaussian(
    image: &Image,
    photons_at_peak: f64,
    read_noise: f64,
    seed: u64,
) -> Result<Image> {
    image.check_finite("image to add noise to")?;
    if let Some(&v) = image.data().iter().find(|v| **v < 0.0) {
        return Err(Error::InvalidParameter {
            name: "pixel value for Poisson noise",
            value: v,
            valid: "≥ 0 (a photon rate)",
        });
    }
    if !(photons_at_peak > 0.0
        && (photons_at_peak <= Poisson::<f64>::MAX_LAMBDA || photons_at_peak == f64::INFINITY))
    {
        return Err(Error::InvalidParameter {
            name: "photons at peak",
            value: photons_at_peak,
            valid: "positive, at most 1.8e19, or +inf for no photon noise",
        });
    }
    if !(read_noise >= 0.0 && read_noise.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "read noise",
            value: read_noise,
            valid: "finite and ≥ 0 (image units)",
        });
    }
    let peak = image.max();
    // s: photons per image unit. An all-zero image has no photons to count.
    let photon_noise = photons_at_peak.is_finite() && peak > 0.0;
    let scale = if photon_noise { photons_at_peak / peak } else { 1.0 };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = image.clone();
    for v in out.data_mut() {
        if photon_noise {
            let rate = *v * scale;
            // Poisson(0) is the constant 0, which rand_distr rejects as a parameter; the rate
            // is at most photons_at_peak ≤ MAX_LAMBDA (the `min` only absorbs rounding), so
            // `new` cannot fail otherwise.
            let counts = if rate > 0.0 {
                Poisson::new(rate.min(Poisson::<f64>::MAX_LAMBDA))
                    .map_or(0.0, |p| p.sample(&mut rng))
            } else {
                0.0
            };
            *v = counts / scale;
        }
        if read_noise > 0.0 {
            let g: f64 = StandardNormal.sample(&mut rng);
            *v += read_noise * g;
        }
    }
    Ok(out)
}
