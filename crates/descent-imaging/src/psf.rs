//! Point-spread functions: the blur H that a telescope and the atmosphere apply to every star.
//!
//! Three analytic profiles, each given by its full width at half maximum (FWHM, in pixels), and
//! a normaliser for a PSF measured from data (read from a FITS or PNG file).
//!
//! | profile | I(r) / I(0) | width parameter from the FWHM f |
//! |---|---|---|
//! | Gaussian | exp(−r² / 2σ²) | σ = f / (2√(2 ln 2)) ≈ f / 2.3548 |
//! | Moffat (1969) | (1 + r²/α²)^(−β) | α = f / (2√(2^{1/β} − 1)) |
//! | Airy | [2 J₁(x) / x]², x = k·r | k = 2·x½ / f, x½ = 1.616 339 948 310 703 |
//!
//! r is the distance from the PSF's centre in pixels; β > 1 is the Moffat wing exponent (2.5
//! and 4.765 are common choices for seeing-limited stars: Trujillo et al. 2001, MNRAS 328, 977);
//! J₁ is the Bessel function of the first kind of order 1 (from `libm`, accurate to a few ulp).
//!
//! **Airy scaling.** x½ solves [2 J₁(x)/x]² = ½. For a circular aperture of diameter D at
//! wavelength λ, x = π·D·θ/λ at angle θ, so FWHM = 2x½/π · λ/D = 1.028 994 λ/D
//! ([`AIRY_FWHM_IN_LAMBDA_OVER_D`]); the first dark ring (x = 3.831 706) lies at
//! 1.185 303·FWHM = 1.219 670 λ/D.
//!
//! **Sampling.** Kernels are *pixel-integrated*: each pixel holds the mean of the profile over its
//! unit square, by an 8 × 8-point Gauss–Legendre rule (what a detector records; a point-sampled
//! kernel with FWHM ≈ 1 px would misstate both its flux and its width). Integration widens the
//! profile by the pixel's box: a Gaussian kernel's variance per axis is σ² + 1/12 (Sheppard's
//! correction), which the tests check.
//!
//! **Size.** A kernel is square, of odd side n = 2·R + 1, centred on pixel (R, R), and
//! normalised to sum 1. The default half-width R (rounded up) covers
//! - Gaussian: 4σ (the square misses at most 1.3·10⁻⁴ of the flux, 6.3·10⁻⁵ beyond each side);
//! - Moffat: the radius enclosing 99 % of the flux, α·√(0.01^{1/(1−β)} − 1), at most 8·FWHM
//!   (the wings of β near 1 hold flux far out; pass a size to keep more);
//! - Airy: the fifth dark ring, x = 16.470 630, i.e. 5.095·FWHM (96.1 % of the flux lies inside
//!   that ring, 1 − J₀(x)², and 96.5 % inside the square of side 2·5.095·FWHM).

use crate::{Error, Image, Result};

/// x½: where the Airy pattern [2 J₁(x)/x]² falls to half its peak.
pub const AIRY_HALF_MAX_X: f64 = 1.616_339_948_310_703_2;

/// The Airy pattern's FWHM in units of λ/D: 2·x½/π.
pub const AIRY_FWHM_IN_LAMBDA_OVER_D: f64 = 1.028_993_969_962_188;

/// The fifth zero of J₁: the default Airy kernel reaches this dark ring.
const AIRY_FIFTH_ZERO_X: f64 = 16.470_630_050_877_633;

/// The largest kernel side this module builds (a larger one is almost surely a unit mistake).
pub const MAX_KERNEL_SIDE: usize = 4095;

/// Gauss–Legendre nodes per axis for the pixel integral.
const QUADRATURE_NODES: usize = 8;

/// An analytic point-spread function; see the [module docs](self) for the profiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Psf {
    /// exp(−r²/2σ²) with σ = fwhm / (2√(2 ln 2)).
    Gaussian {
        /// Full width at half maximum, in pixels (> 0).
        fwhm: f64,
    },
    /// (1 + r²/α²)^(−β) with α = fwhm / (2√(2^{1/β} − 1)).
    Moffat {
        /// Full width at half maximum, in pixels (> 0).
        fwhm: f64,
        /// Wing exponent β (> 1, so that the profile's flux is finite).
        beta: f64,
    },
    /// [2 J₁(k r)/(k r)]² with k = 2·[`AIRY_HALF_MAX_X`] / fwhm.
    Airy {
        /// Full width at half maximum, in pixels (> 0); 1.029 λ/D for an aperture D.
        fwhm: f64,
    },
}

impl Psf {
    /// The full width at half maximum, in pixels.
    #[must_use]
    pub fn fwhm(&self) -> f64 {
        match *self {
            Psf::Gaussian { fwhm } | Psf::Moffat { fwhm, .. } | Psf::Airy { fwhm } => fwhm,
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a FWHM that is not positive and finite, or a Moffat β that
    /// is not finite and > 1.
    pub fn validate(&self) -> Result<()> {
        let fwhm = self.fwhm();
        if !(fwhm > 0.0 && fwhm.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "PSF FWHM",
                value: fwhm,
                valid: "positive and finite (pixels)",
            });
        }
        if let Psf::Moffat { beta, .. } = *self
            && !(beta > 1.0 && beta.is_finite())
        {
            return Err(Error::InvalidParameter {
                name: "Moffat beta",
                value: beta,
                valid: "finite and > 1",
            });
        }
        Ok(())
    }

    /// The radial profile I(r)/I(0) at r pixels from the centre (1 at r = 0, ½ at r = FWHM/2),
    /// point-sampled. Meaningful for parameters that [`Psf::validate`] accepts.
    #[must_use]
    pub fn profile(&self, r: f64) -> f64 {
        self.profile_r2(r * r)
    }

    /// The profile as a function of r², the form the pixel integral evaluates.
    fn profile_r2(&self, r2: f64) -> f64 {
        match *self {
            Psf::Gaussian { fwhm } => {
                let sigma = gaussian_sigma(fwhm);
                (-r2 / (2.0 * sigma * sigma)).exp()
            }
            Psf::Moffat { fwhm, beta } => {
                let alpha = moffat_alpha(fwhm, beta);
                (1.0 + r2 / (alpha * alpha)).powf(-beta)
            }
            Psf::Airy { fwhm } => {
                let x = airy_k(fwhm) * r2.sqrt();
                // 2 J₁(x)/x = 1 − x²/8 + x⁴/192 − …; below 1e-4 the first two terms are exact
                // to rounding, and x = 0 would be 0/0.
                let amplitude = if x < 1e-4 { 1.0 - x * x / 8.0 } else { 2.0 * libm::j1(x) / x };
                amplitude * amplitude
            }
        }
    }

    /// The default kernel half-width R in pixels (see the module docs), before rounding up.
    fn default_half_width(&self) -> f64 {
        match *self {
            Psf::Gaussian { fwhm } => 4.0 * gaussian_sigma(fwhm),
            Psf::Moffat { fwhm, beta } => {
                // Flux outside radius R: (1 + R²/α²)^(1−β) = 0.01.
                let r99 =
                    moffat_alpha(fwhm, beta) * (0.01f64.powf(1.0 / (1.0 - beta)) - 1.0).sqrt();
                r99.min(8.0 * fwhm)
            }
            Psf::Airy { fwhm } => AIRY_FIFTH_ZERO_X / airy_k(fwhm),
        }
    }

    /// The kernel: an odd `size × size` image (default: see the module docs), pixel-integrated,
    /// centred on pixel (size/2, size/2), summing to 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters ([`Psf::validate`]), an even or zero
    /// `size`, a side (given or default) above [`MAX_KERNEL_SIDE`], or a profile so narrow
    /// that it integrates to 0 over every pixel.
    pub fn kernel(&self, size: Option<usize>) -> Result<Image> {
        self.validate()?;
        let size = match size {
            Some(n) if n % 2 == 0 => {
                return Err(Error::InvalidParameter {
                    name: "PSF kernel size",
                    value: n as f64,
                    valid: "odd (so the PSF sits on a pixel centre)",
                });
            }
            Some(n) => n,
            None => {
                let half = self.default_half_width().ceil().max(1.0);
                if half > (MAX_KERNEL_SIDE / 2) as f64 {
                    return Err(Error::InvalidParameter {
                        name: "PSF FWHM",
                        value: self.fwhm(),
                        valid: "small enough for a default kernel of at most 4095 pixels a side",
                    });
                }
                2 * half as usize + 1
            }
        };
        if size > MAX_KERNEL_SIDE {
            return Err(Error::InvalidParameter {
                name: "PSF kernel size",
                value: size as f64,
                valid: "at most 4095",
            });
        }
        let (nodes, weights) = gauss_legendre_unit_pixel(QUADRATURE_NODES);
        let half = size / 2;
        let mut kernel = Image::zeros(size, size);
        // The profile is radial, so one octant (0 ≤ dy ≤ dx) is computed and mirrored: the
        // kernel is exactly symmetric under x ↦ −x, y ↦ −y and x ↔ y.
        for dx in 0..=half {
            for dy in 0..=dx {
                let mut value = 0.0;
                for (u, wu) in nodes.iter().zip(&weights) {
                    let px = dx as f64 + u;
                    for (v, wv) in nodes.iter().zip(&weights) {
                        let py = dy as f64 + v;
                        value += wu * wv * self.profile_r2(px * px + py * py);
                    }
                }
                for (a, b) in [(dx, dy), (dy, dx)] {
                    for x in [half - a, half + a] {
                        for y in [half - b, half + b] {
                            kernel.set(x, y, value);
                        }
                    }
                }
            }
        }
        let total = kernel.sum();
        // A profile much narrower than a pixel (FWHM = 1e-200) underflows to 0 at every
        // quadrature node: refuse it rather than divide 0 by 0.
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "PSF FWHM",
                value: self.fwhm(),
                valid: "wide enough for the pixel integral to see it (at least ~1e-3 pixels)",
            });
        }
        kernel.data_mut().iter_mut().for_each(|v| *v /= total);
        Ok(kernel)
    }
}

/// Normalises a measured PSF (read from a file) for use as a kernel: negative pixels — background
/// noise in a measured PSF — are set to 0 (a PSF is an intensity, and Richardson–Lucy needs
/// H ≥ 0), then the kernel is scaled to sum 1. Its centre is pixel (⌊width/2⌋, ⌊height/2⌋), as
/// [`Convolution`](crate::Convolution) assumes; odd sides put it on the middle pixel.
///
/// # Errors
/// [`Error::NonFinite`] for a NaN or infinite pixel; [`Error::InvalidParameter`] when no pixel
/// is positive.
pub fn normalise_kernel(mut kernel: Image) -> Result<Image> {
    kernel.check_finite("PSF kernel")?;
    kernel.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
    let total = kernel.sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "PSF kernel flux",
            value: total,
            valid: "positive and finite (some pixel must be > 0)",
        });
    }
    kernel.data_mut().iter_mut().for_each(|v| *v /= total);
    Ok(kernel)
}

/// σ = FWHM / (2√(2 ln 2)).
fn gaussian_sigma(fwhm: f64) -> f64 {
    fwhm / (2.0 * (2.0 * std::f64::consts::LN_2).sqrt())
}

/// α = FWHM / (2√(2^{1/β} − 1)).
fn moffat_alpha(fwhm: f64, beta: f64) -> f64 {
    fwhm / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt())
}

/// k = 2 x½ / FWHM, so that the Airy pattern at r = FWHM/2 is ½.
fn airy_k(fwhm: f64) -> f64 {
    2.0 * AIRY_HALF_MAX_X / fwhm
}

/// The n-point Gauss–Legendre rule on [−½, ½], weights summing to 1: nodes are the roots of the
/// Legendre polynomial Pₙ found by Newton's method from Tricomi's estimate (Numerical Recipes
/// §4.6, `gauleg`), placed as exact ± pairs.
fn gauss_legendre_unit_pixel(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut derivative = 1.0;
        for _ in 0..100 {
            // P₀ … Pₙ at z by the three-term recurrence; P′ₙ from Pₙ and Pₙ₋₁.
            let (mut p, mut p_prev) = (1.0, 0.0);
            for j in 1..=n {
                let j = j as f64;
                (p, p_prev) = (((2.0 * j - 1.0) * z * p - (j - 1.0) * p_prev) / j, p);
            }
            derivative = n as f64 * (z * p - p_prev) / (z * z - 1.0);
            let step = p / derivative;
            z -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        let weight = 1.0 / ((1.0 - z * z) * derivative * derivative); // 2/(…) halved for [−½, ½]
        nodes[i] = -z / 2.0;
        nodes[n - 1 - i] = z / 2.0;
        weights[i] = weight;
        weights[n - 1 - i] = weight;
    }
    (nodes, weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_psf_too_narrow_to_integrate_is_refused_not_a_nan_kernel() {
        // The `psf` fuzz target's input fuzz/regressions/psf/airy-fwhm-4e-222-gives-nan-kernel
        // (`--psf airy:fwhm=4e-222`): the profile underflowed to 0 at every quadrature node and
        // the kernel was 0/0.
        for psf in [Psf::Airy { fwhm: 4e-222 }, Psf::Gaussian { fwhm: 1e-200 }] {
            let e = psf.kernel(Some(3)).unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { name: "PSF FWHM", .. }), "{e}");
        }
        // A narrow but resolvable one still sums to 1.
        let k = Psf::Gaussian { fwhm: 0.05 }.kernel(Some(3)).unwrap();
        assert!((k.sum() - 1.0).abs() < 1e-12 && k.data().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn gauss_legendre_integrates_degree_2n_minus_1_exactly() {
        let (nodes, weights) = gauss_legendre_unit_pixel(QUADRATURE_NODES);
        // ∫_{−½}^{½} (x + ¼)^k dx = ((¾)^{k+1} − (−¼)^{k+1}) / (k + 1).
        for k in 0..2 * QUADRATURE_NODES {
            let exact =
                (0.75f64.powi(k as i32 + 1) - (-0.25f64).powi(k as i32 + 1)) / (k + 1) as f64;
            let rule: f64 =
                nodes.iter().zip(&weights).map(|(x, w)| w * (x + 0.25).powi(k as i32)).sum();
            assert!((rule - exact).abs() < 1e-15, "degree {k}: {rule} vs {exact}");
        }
    }

    #[test]
    fn j1_and_the_airy_constants() {
        // J₁ values and zeros from mpmath (30 digits).
        for (x, j1) in [
            (0.5, 0.242_268_457_674_873_9),
            (1.0, 0.440_050_585_744_933_5),
            (2.0, 0.576_724_807_756_873_4),
            (5.0, -0.327_579_137_591_465_22),
            (10.0, 0.043_472_746_168_861_44),
            (20.0, 0.066_833_124_175_850_05),
        ] {
            assert!((libm::j1(x) - j1).abs() < 1e-15, "J1({x})");
        }
        assert!(libm::j1(3.831_705_970_207_512_3).abs() < 1e-15);
        assert!(libm::j1(AIRY_FIFTH_ZERO_X).abs() < 1e-15);
        let airy = Psf::Airy { fwhm: 2.0 };
        assert!((airy.profile(1.0) - 0.5).abs() < 1e-15);
        let ratio = AIRY_FWHM_IN_LAMBDA_OVER_D * std::f64::consts::PI / (2.0 * AIRY_HALF_MAX_X);
        assert!((ratio - 1.0).abs() < 1e-15);
        // Near 0 the series branch meets J₁: at x = 1e-4 both give 1 − x²/8 to rounding.
        let x: f64 = 1e-4;
        assert!((2.0 * libm::j1(x) / x - (1.0 - x * x / 8.0)).abs() < 1e-16);
    }
}
