//! Synthetic skies with a known truth: Sérsic galaxies and point stars on a flat background.
//!
//! A deconvolution test needs the sharp image it should recover. [`SkyBuilder`] draws one,
//! reproducibly from a seed (`ChaCha8Rng::seed_from_u64`).
//!
//! **Galaxies** follow the Sérsic profile
//!
//! I(r) = I_e · exp(−b_n · [(r / r_e)^{1/n} − 1]),
//!
//! | symbol | meaning |
//! |---|---|
//! | r | elliptical radius: r² = u² + (v / q)², with (u, v) the offset from the centre rotated by the position angle θ (u along the major axis) and q = 1 − e the axis ratio (e the ellipticity) |
//! | r_e | effective (half-light) radius, pixels, along the major axis |
//! | I_e | intensity at r = r_e |
//! | n | Sérsic index: 0.5 ≈ Gaussian, 1 exponential disc, 4 de Vaucouleurs bulge |
//! | b_n | ≈ 2n − 1/3 + 4/(405n), so that r_e encloses half the light (Ciotti & Bertin 1999, *A&A* 352, 447, eq. 18, the leading terms of their asymptotic series) |
//!
//! and are sampled at pixel centres (no sub-pixel integration: the cusp of a high-n profile is
//! under-sampled in its central pixel).
//!
//! **Stars** are points: all the flux in the nearest pixel (`star_sigma = 0`), or a tiny
//! circular Gaussian of standard deviation σ pixels, cut at 4σ and normalised so that the pixels
//! hold the star's flux (less what falls off the image edge). Fluxes F between F_min and F_max
//! follow dN/dF ∝ F⁻² — many faint stars, few bright ones — drawn by inverting the cumulative
//! distribution: F = 1 / (1/F_min − u·(1/F_min − 1/F_max)), u uniform in [0, 1).
//!
//! **Background**: a constant level added to every pixel (sky glow). No noise here: see the
//! noise module for photon and read noise.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Error, Image, Result};

/// Ciotti & Bertin's (1999) approximation b_n ≈ 2n − 1/3 + 4/(405n).
#[must_use]
pub fn sersic_b(n: f64) -> f64 {
    2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n)
}

/// One Sérsic galaxy; see the [module docs](self) for the symbols.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sersic {
    /// Centre column, pixels (0 = the centre of the first column).
    pub x: f64,
    /// Centre row, pixels (0 = the top row).
    pub y: f64,
    /// I_e, the intensity at the effective radius.
    pub intensity: f64,
    /// r_e, the effective (half-light) radius along the major axis, pixels.
    pub effective_radius: f64,
    /// n, the Sérsic index.
    pub index: f64,
    /// e = 1 − q, in [0, 1): 0 is round.
    pub ellipticity: f64,
    /// θ, the major axis's angle from the x axis (towards +y, i.e. downwards), radians.
    pub angle: f64,
}

impl Sersic {
    /// The profile at pixel (x, y).
    #[must_use]
    pub fn at(&self, x: f64, y: f64) -> f64 {
        let (dx, dy) = (x - self.x, y - self.y);
        let (sin, cos) = self.angle.sin_cos();
        let u = dx * cos + dy * sin;
        let v = -dx * sin + dy * cos;
        let q = 1.0 - self.ellipticity;
        let r = (u * u + (v / q) * (v / q)).sqrt();
        let n = self.index;
        self.intensity * (-sersic_b(n) * ((r / self.effective_radius).powf(1.0 / n) - 1.0)).exp()
    }

    fn validate(&self) -> Result<()> {
        let checks: [(&'static str, f64, bool, &'static str); 6] = [
            ("galaxy centre", self.x + self.y, (self.x + self.y).is_finite(), "finite"),
            ("galaxy intensity", self.intensity, self.intensity >= 0.0, "finite and ≥ 0"),
            ("effective radius", self.effective_radius, self.effective_radius > 0.0, "> 0"),
            ("Sérsic index", self.index, (0.2..=10.0).contains(&self.index), "in [0.2, 10]"),
            ("ellipticity", self.ellipticity, (0.0..1.0).contains(&self.ellipticity), "in [0, 1)"),
            ("galaxy angle", self.angle, self.angle.is_finite(), "finite"),
        ];
        for (name, value, ok, valid) in checks {
            if !(ok && value.is_finite()) {
                return Err(Error::InvalidParameter { name, value, valid });
            }
        }
        Ok(())
    }
}

/// One point star as drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Star {
    /// Column, pixels.
    pub x: f64,
    /// Row, pixels.
    pub y: f64,
    /// Total flux.
    pub flux: f64,
}

/// What a sky holds, for checking a restoration against.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// The galaxies, the explicit ones first.
    pub galaxies: Vec<Sersic>,
    /// The stars.
    pub stars: Vec<Star>,
}

/// A seeded synthetic sky: background, Sérsic galaxies, point stars. See the [module docs](self).
///
/// ```
/// use descent_imaging::SkyBuilder;
/// let sky = SkyBuilder::new(64, 64, 7).background(10.0).random_galaxies(2, (5.0, 50.0))
///     .stars(20, (100.0, 10_000.0)).build().unwrap();
/// assert_eq!(sky.shape(), (64, 64));
/// assert!(sky.data().iter().all(|&v| v >= 10.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SkyBuilder {
    width: usize,
    height: usize,
    seed: u64,
    background: f64,
    galaxies: Vec<Sersic>,
    random_galaxies: usize,
    galaxy_intensity: (f64, f64),
    stars: usize,
    star_flux: (f64, f64),
    star_sigma: f64,
}

impl SkyBuilder {
    /// An empty `width × height` sky (zero background, nothing in it) drawn from `seed`.
    #[must_use]
    pub fn new(width: usize, height: usize, seed: u64) -> Self {
        Self {
            width,
            height,
            seed,
            background: 0.0,
            galaxies: Vec::new(),
            random_galaxies: 0,
            galaxy_intensity: (1.0, 1.0),
            stars: 0,
            star_flux: (1.0, 1.0),
            star_sigma: 0.0,
        }
    }

    /// A constant level added to every pixel.
    #[must_use]
    pub fn background(mut self, level: f64) -> Self {
        self.background = level;
        self
    }

    /// Adds one galaxy exactly as given.
    #[must_use]
    pub fn galaxy(mut self, galaxy: Sersic) -> Self {
        self.galaxies.push(galaxy);
        self
    }

    /// Adds `count` random galaxies: centres uniform over the image, I_e log-uniform in
    /// `intensity` (lo, hi), r_e uniform in [2, max(2, min(width, height)/8)] pixels, n uniform
    /// in [0.5, 4], e uniform in [0, 0.6], θ uniform in [0, π).
    #[must_use]
    pub fn random_galaxies(mut self, count: usize, intensity: (f64, f64)) -> Self {
        self.random_galaxies = count;
        self.galaxy_intensity = intensity;
        self
    }

    /// Adds `count` stars, positions uniform over the image, fluxes in `flux` (F_min, F_max)
    /// drawn from dN/dF ∝ F⁻².
    #[must_use]
    pub fn stars(mut self, count: usize, flux: (f64, f64)) -> Self {
        self.stars = count;
        self.star_flux = flux;
        self
    }

    /// Stars as Gaussians of standard deviation `sigma` pixels; 0 (the default) puts each star
    /// in one pixel.
    #[must_use]
    pub fn star_sigma(mut self, sigma: f64) -> Self {
        self.star_sigma = sigma;
        self
    }

    /// The image.
    ///
    /// # Errors
    /// As [`SkyBuilder::build_with_catalogue`].
    pub fn build(&self) -> Result<Image> {
        Ok(self.build_with_catalogue()?.0)
    }

    /// The image and what was drawn in it.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero side, a non-finite background, a galaxy parameter
    /// out of range, a flux or intensity range with lo ≤ 0 or lo > hi, or a negative or
    /// non-finite `star_sigma`.
    pub fn build_with_catalogue(&self) -> Result<(Image, Catalogue)> {
        let (w, h) = (self.width, self.height);
        if w == 0 || h == 0 || w.checked_mul(h).is_none_or(|n| n > crate::fits::MAX_PIXELS) {
            return Err(Error::InvalidParameter {
                name: "sky side",
                value: w.min(h) as f64,
                valid: "at least 1 pixel, at most 2²⁸ pixels in all",
            });
        }
        if !self.background.is_finite() {
            return Err(Error::InvalidParameter {
                name: "background",
                value: self.background,
                valid: "finite",
            });
        }
        if !(self.star_sigma >= 0.0 && self.star_sigma.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "star sigma",
                value: self.star_sigma,
                valid: "finite and ≥ 0",
            });
        }
        for (name, (lo, hi), used) in [
            ("galaxy intensity range", self.galaxy_intensity, self.random_galaxies > 0),
            ("star flux range", self.star_flux, self.stars > 0),
        ] {
            if used && !(lo > 0.0 && lo <= hi && hi.is_finite()) {
                return Err(Error::InvalidParameter {
                    name, value: lo, valid: "0 < lo ≤ hi < ∞"
                });
            }
        }

        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut galaxies = self.galaxies.clone();
        let r_max = (w.min(h) as f64 / 8.0).max(2.0);
        let (i_lo, i_hi) = self.galaxy_intensity;
        for _ in 0..self.random_galaxies {
            let u: f64 = rng.random();
            galaxies.push(Sersic {
                x: rng.random::<f64>() * (w - 1) as f64,
                y: rng.random::<f64>() * (h - 1) as f64,
                intensity: i_lo * (i_hi / i_lo).powf(u),
                effective_radius: 2.0 + rng.random::<f64>() * (r_max - 2.0),
                index: 0.5 + 3.5 * rng.random::<f64>(),
                ellipticity: 0.6 * rng.random::<f64>(),
                angle: std::f64::consts::PI * rng.random::<f64>(),
            });
        }
        let (f_lo, f_hi) = self.star_flux;
        let stars: Vec<Star> = (0..self.stars)
            .map(|_| {
                let x = rng.random::<f64>() * (w - 1) as f64;
                let y = rng.random::<f64>() * (h - 1) as f64;
                let u: f64 = rng.random();
                // Inverse CDF of dN/dF ∝ F⁻² on [F_min, F_max].
                let flux = 1.0 / (1.0 / f_lo - u * (1.0 / f_lo - 1.0 / f_hi));
                Star { x, y, flux }
            })
            .collect();

        let mut image = Image::new(w, h, vec![self.background; w * h])?;
        for g in &galaxies {
            g.validate()?;
            let data = image.data_mut();
            for y in 0..h {
                for x in 0..w {
                    data[y * w + x] += g.at(x as f64, y as f64);
                }
            }
        }
        for s in &stars {
            self.draw_star(&mut image, s);
        }
        Ok((image, Catalogue { galaxies, stars }))
    }

    fn draw_star(&self, image: &mut Image, star: &Star) {
        let (w, h) = image.shape();
        let sigma = self.star_sigma;
        if sigma == 0.0 {
            let (x, y) = (star.x.round() as usize, star.y.round() as usize);
            image.data_mut()[y.min(h - 1) * w + x.min(w - 1)] += star.flux;
            return;
        }
        let reach = (4.0 * sigma).ceil();
        let x0 = (star.x - reach).floor().max(0.0) as usize;
        let x1 = ((star.x + reach).ceil() as usize).min(w - 1);
        let y0 = (star.y - reach).floor().max(0.0) as usize;
        let y1 = ((star.y + reach).ceil() as usize).min(h - 1);
        let weight = |x: f64, y: f64| {
            let (dx, dy) = (x - star.x, y - star.y);
            let r2 = dx * dx + dy * dy;
            if r2 <= reach * reach { (-0.5 * r2 / (sigma * sigma)).exp() } else { 0.0 }
        };
        // Normalise over the whole (unclipped) disc, so flux off the edge is lost, not moved.
        let (cx, cy) = (star.x.round(), star.y.round());
        let r = reach as i64 + 1;
        let mut total = 0.0;
        for j in -r..=r {
            for i in -r..=r {
                total += weight(cx + i as f64, cy + j as f64);
            }
        }
        let data = image.data_mut();
        for y in y0..=y1 {
            for x in x0..=x1 {
                data[y * w + x] += star.flux * weight(x as f64, y as f64) / total;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_n_matches_the_exact_half_light_values() {
        // Exact b_n (Γ(2n) = 2γ(2n, b_n)): n = 1 → 1.678347, n = 4 → 7.669249.
        assert!((sersic_b(1.0) - 1.678_347).abs() < 2e-3);
        assert!((sersic_b(4.0) - 7.669_249).abs() < 2e-4);
    }

    fn galaxy(n: f64) -> Sersic {
        Sersic {
            x: 100.0,
            y: 90.0,
            intensity: 2.0,
            effective_radius: 6.0,
            index: n,
            ellipticity: 0.4,
            angle: 0.0,
        }
    }

    #[test]
    fn sersic_equals_i_e_at_the_effective_radius_on_both_axes() {
        for n in [0.5, 1.0, 4.0] {
            let g = galaxy(n);
            assert!((g.at(106.0, 90.0) - 2.0).abs() < 1e-12, "major axis, n = {n}");
            // Minor axis: r_e·q = 3.6 pixels.
            assert!((g.at(100.0, 93.6) - 2.0).abs() < 1e-12, "minor axis, n = {n}");
            assert!((g.at(100.0, 90.0) - 2.0 * sersic_b(n).exp()).abs() < 1e-9, "centre");
            // Rotated by 90°: the major axis is now along y.
            let r = Sersic { angle: std::f64::consts::FRAC_PI_2, ..g };
            assert!((r.at(100.0, 96.0) - 2.0).abs() < 1e-12);
        }
    }

    #[test]
    fn an_exponential_disc_holds_its_analytic_flux() {
        // n = 1: L = 2π q r_e² I_e e^b / b² (Γ(2) = 1), sampled at pixel centres.
        let g = galaxy(1.0);
        let sky = SkyBuilder::new(200, 180, 1).galaxy(g).build().unwrap();
        let b = sersic_b(1.0);
        let want = 2.0 * std::f64::consts::PI * 0.6 * 36.0 * 2.0 * b.exp() / (b * b);
        let rel = (sky.sum() - want).abs() / want;
        assert!(rel < 5e-3, "flux {} vs {want}: {rel:e}", sky.sum());
    }

    #[test]
    fn stars_carry_their_flux_and_the_seed_fixes_the_sky() {
        let builder = SkyBuilder::new(48, 40, 11).background(3.0).stars(30, (10.0, 1000.0));
        let (sky, cat) = builder.build_with_catalogue().unwrap();
        let fluxes: f64 = cat.stars.iter().map(|s| s.flux).sum();
        assert!((sky.sum() - (3.0 * 48.0 * 40.0 + fluxes)).abs() < 1e-9);
        assert!(cat.stars.iter().all(|s| (10.0..=1000.0).contains(&s.flux)));
        assert_eq!(builder.build().unwrap(), sky, "same seed, same sky");
        assert_ne!(SkyBuilder::new(48, 40, 12).stars(30, (10.0, 1000.0)).build().unwrap(), sky);
        // A Gaussian star well inside the image keeps its flux.
        let one = SkyBuilder::new(41, 41, 5).stars(1, (500.0, 500.0)).star_sigma(0.8);
        let (sky, cat) = one.build_with_catalogue().unwrap();
        let s = cat.stars[0];
        assert!((4.0..37.0).contains(&s.x) && (4.0..37.0).contains(&s.y), "{s:?} not inside");
        assert!((sky.sum() - 500.0).abs() < 1e-9);
        assert!(sky.max() < 500.0 * 0.3, "spread over several pixels");
    }

    #[test]
    fn star_fluxes_follow_the_inverse_square_law() {
        // P(F < 2F_min) = (1/F_min − 1/(2F_min)) / (1/F_min − 1/F_max) = 0.5 / 0.99.
        let (_, cat) =
            SkyBuilder::new(64, 64, 3).stars(4000, (1.0, 100.0)).build_with_catalogue().unwrap();
        let faint = cat.stars.iter().filter(|s| s.flux < 2.0).count() as f64 / 4000.0;
        let p: f64 = 0.5 / 0.99;
        let sd = (p * (1.0 - p) / 4000.0).sqrt();
        assert!((faint - p).abs() < 4.0 * sd, "{faint} vs {p}");
    }

    #[test]
    fn random_galaxies_stay_in_their_ranges_and_bad_settings_are_errors() {
        let (sky, cat) = SkyBuilder::new(80, 64, 9)
            .background(1.0)
            .random_galaxies(5, (1.0, 10.0))
            .build_with_catalogue()
            .unwrap();
        assert_eq!(cat.galaxies.len(), 5);
        for g in &cat.galaxies {
            assert!((1.0..=10.0).contains(&g.intensity) && (0.5..=4.0).contains(&g.index));
            assert!((2.0..=8.0).contains(&g.effective_radius) && g.ellipticity <= 0.6);
        }
        assert!(sky.data().iter().all(|&v| v > 1.0));
        let bad = |b: SkyBuilder| matches!(b.build(), Err(Error::InvalidParameter { .. }));
        assert!(bad(SkyBuilder::new(0, 5, 1)));
        assert!(bad(SkyBuilder::new(5, 5, 1).background(f64::NAN)));
        assert!(bad(SkyBuilder::new(5, 5, 1).stars(3, (0.0, 1.0))));
        assert!(bad(SkyBuilder::new(5, 5, 1).star_sigma(-1.0)));
        assert!(bad(SkyBuilder::new(5, 5, 1).galaxy(Sersic { ellipticity: 1.0, ..galaxy(1.0) })));
    }
}
