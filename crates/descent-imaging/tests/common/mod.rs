//! Test (and bench) support for the solvers: periodic convolution operators (a direct O(N·K)
//! reference and an FFT one), PSF kernels, a seeded synthetic star field, noise and PSNR.
//! Stand-ins until img-forward's `Convolution` and img-io's `metrics` land.
#![allow(dead_code)]

use descent_imaging::{Image, LinearOperator, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Periodic convolution with a centred odd kernel, computed directly.
pub struct DirectPeriodic {
    pub kernel: Image,
}

impl DirectPeriodic {
    fn run(&self, x: &Image, out: &mut Image, sign: isize) {
        let (w, h) = x.shape();
        let (kw, kh) = self.kernel.shape();
        let (cw, ch) = ((kw / 2) as isize, (kh / 2) as isize);
        for r in 0..h {
            for c in 0..w {
                let mut acc = 0.0;
                for i in 0..kh {
                    for j in 0..kw {
                        // out[r, c] = Σ k[i, j]·x[r − sign·(i − ch), c − sign·(j − cw)]
                        let rr = (r as isize - sign * (i as isize - ch)).rem_euclid(h as isize);
                        let cc = (c as isize - sign * (j as isize - cw)).rem_euclid(w as isize);
                        acc += self.kernel.get(j, i) * x.get(cc as usize, rr as usize);
                    }
                }
                out.set(c, r, acc);
            }
        }
    }
}

impl LinearOperator for DirectPeriodic {
    fn apply_into(&mut self, x: &Image, out: &mut Image) -> Result<()> {
        self.run(x, out, 1);
        Ok(())
    }
    fn adjoint_into(&mut self, y: &Image, out: &mut Image) -> Result<()> {
        self.run(y, out, -1);
        Ok(())
    }
    fn norm_squared(&self) -> f64 {
        // a non-negative kernel: ‖H‖₂ = |Ĥ(0)| = Σk
        self.kernel.sum().powi(2)
    }
}

/// Periodic convolution by 2-D FFT, buffers and plans made once.
pub struct FftPeriodic {
    w: usize,
    h: usize,
    spectrum: Vec<Complex<f64>>,
    buf: Vec<Complex<f64>>,
    t: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    plans: [Arc<dyn Fft<f64>>; 4],
    norm2: f64,
}

impl FftPeriodic {
    pub fn new(kernel: &Image, shape: (usize, usize)) -> Self {
        let (w, h) = shape;
        let mut p = FftPlanner::new();
        let plans = [
            p.plan_fft_forward(w),
            p.plan_fft_forward(h),
            p.plan_fft_inverse(w),
            p.plan_fft_inverse(h),
        ];
        let scratch_len = plans.iter().map(|f| f.get_inplace_scratch_len()).max().unwrap();
        let zero = Complex::new(0.0, 0.0);
        let mut op = FftPeriodic {
            w,
            h,
            spectrum: vec![zero; w * h],
            buf: vec![zero; w * h],
            t: vec![zero; w * h],
            scratch: vec![zero; scratch_len],
            plans,
            norm2: 0.0,
        };
        let (kw, kh) = kernel.shape();
        let mut k = vec![zero; w * h];
        for r in 0..kh {
            for c in 0..kw {
                let x = (c + w * kw - kw / 2) % w;
                let y = (r + h * kh - kh / 2) % h;
                k[y * w + x] += kernel.get(c, r);
            }
        }
        op.buf.copy_from_slice(&k);
        op.fft2(false);
        op.spectrum.copy_from_slice(&op.buf);
        op.norm2 = op.spectrum.iter().map(|v| v.norm_sqr()).fold(0.0, f64::max);
        op
    }

    fn fft2(&mut self, inverse: bool) {
        let (w, h) = (self.w, self.h);
        let (row, col) = if inverse { (2, 3) } else { (0, 1) };
        self.plans[row].process_with_scratch(&mut self.buf, &mut self.scratch);
        for r in 0..h {
            for c in 0..w {
                self.t[c * h + r] = self.buf[r * w + c];
            }
        }
        self.plans[col].process_with_scratch(&mut self.t, &mut self.scratch);
        for r in 0..h {
            for c in 0..w {
                self.buf[r * w + c] = self.t[c * h + r];
            }
        }
    }

    fn run(&mut self, x: &Image, out: &mut Image, conj: bool) {
        for (b, v) in self.buf.iter_mut().zip(x.data()) {
            *b = Complex::new(*v, 0.0);
        }
        self.fft2(false);
        for (b, k) in self.buf.iter_mut().zip(&self.spectrum) {
            *b *= if conj { k.conj() } else { *k };
        }
        self.fft2(true);
        let s = 1.0 / (self.w * self.h) as f64;
        for (o, b) in out.data_mut().iter_mut().zip(&self.buf) {
            *o = b.re * s;
        }
    }
}

impl LinearOperator for FftPeriodic {
    fn apply_into(&mut self, x: &Image, out: &mut Image) -> Result<()> {
        self.run(x, out, false);
        Ok(())
    }
    fn adjoint_into(&mut self, y: &Image, out: &mut Image) -> Result<()> {
        self.run(y, out, true);
        Ok(())
    }
    fn norm_squared(&self) -> f64 {
        self.norm2
    }
}

/// A centred kernel of odd side `size` from a radial profile, normalised to sum 1.
pub fn radial_kernel(size: usize, profile: impl Fn(f64) -> f64) -> Image {
    let c = (size / 2) as f64;
    let mut k = Image::zeros(size, size);
    for r in 0..size {
        for col in 0..size {
            let d2 = (r as f64 - c).powi(2) + (col as f64 - c).powi(2);
            k.set(col, r, profile(d2));
        }
    }
    let s = k.sum();
    k.data_mut().iter_mut().for_each(|v| *v /= s);
    k
}

/// Gaussian PSF of standard deviation `sigma` px.
pub fn gaussian_kernel(sigma: f64, size: usize) -> Image {
    radial_kernel(size, |d2| (-d2 / (2.0 * sigma * sigma)).exp())
}

/// Moffat PSF, FWHM `fwhm` px, index `beta`: (1 + r²/α²)^−β with α = FWHM/(2√(2^{1/β} − 1)).
pub fn moffat_kernel(fwhm: f64, beta: f64, size: usize) -> Image {
    let alpha = fwhm / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt());
    radial_kernel(size, |d2| (1.0 + d2 / (alpha * alpha)).powf(-beta))
}

/// A seeded star field: `stars` sharp Gaussian stars (σ 0.6–1.2 px, random brightness) and a
/// smooth elliptical blob, peak scaled to 1, zero background.
pub fn star_field(n: usize, stars: usize, seed: u64) -> Image {
    use rand::RngExt;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut im = Image::zeros(n, n);
    let nf = n as f64;
    for _ in 0..stars {
        let (cx, cy) = (rng.random_range(2.0..nf - 2.0), rng.random_range(2.0..nf - 2.0));
        let s: f64 = rng.random_range(0.6..1.2);
        let a: f64 = rng.random_range(0.1..1.0);
        for r in 0..n {
            for c in 0..n {
                let d2 = (c as f64 - cx).powi(2) + (r as f64 - cy).powi(2);
                let v = im.get(c, r) + a * (-d2 / (2.0 * s * s)).exp();
                im.set(c, r, v);
            }
        }
    }
    let (bx, by) = (0.4 * nf, 0.6 * nf);
    for r in 0..n {
        for c in 0..n {
            let (dx, dy) = ((c as f64 - bx) / (0.15 * nf), (r as f64 - by) / (0.08 * nf));
            let v = im.get(c, r) + 0.3 * (-(dx * dx + dy * dy)).exp();
            im.set(c, r, v);
        }
    }
    let m = im.max();
    im.data_mut().iter_mut().for_each(|v| *v /= m);
    im
}

/// Poisson noise at `photons` per unit intensity plus Gaussian read noise `read` (same units as
/// the image), seeded: the set-up (2000 photons at peak, read noise 2/2000).
pub fn poisson_gaussian(image: &Image, photons: f64, read: f64, seed: u64) -> Image {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let mut out = image.clone();
    for v in out.data_mut() {
        let lam = (*v * photons).max(0.0);
        let counts = if lam > 0.0 { Poisson::new(lam).unwrap().sample(&mut rng) } else { 0.0 };
        *v = counts / photons + read * normal.sample(&mut rng);
    }
    out
}

/// Gaussian noise of standard deviation `sigma`, seeded.
pub fn gaussian_noise(image: &Image, sigma: f64, seed: u64) -> Image {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, sigma).unwrap();
    let mut out = image.clone();
    out.data_mut().iter_mut().for_each(|v| *v += normal.sample(&mut rng));
    out
}

/// PSNR in dB for data range 1 (truth peak 1).
pub fn psnr(truth: &Image, estimate: &Image) -> f64 {
    descent_imaging::metrics::psnr_db(truth, estimate, 1.0).unwrap()
}

/// The reference truth: the shipped M13 field ([`descent_imaging::m13`]), median
/// background subtracted, clipped at 0, peak scaled to 1. (An `Option` so that the studies can
/// also run on a synthetic field.)
pub fn m13_truth() -> Option<Image> {
    let data = descent_imaging::m13().into_data();
    let (w, h) = (300, 300);
    let mut sorted = data.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut im = Image::new(w, h, data.iter().map(|v| (v - median).max(0.0)).collect()).unwrap();
    let m = im.max();
    im.data_mut().iter_mut().for_each(|v| *v /= m);
    Some(im)
}
