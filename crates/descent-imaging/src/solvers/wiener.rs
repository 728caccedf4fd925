//! The Wiener (Tikhonov) filter: the linear, one-shot baseline.
//!
//! For a periodic blur H (circular convolution with kernel k, diagonalised by the 2-D DFT with
//! transfer function Ĥ = DFT(k)), the minimiser of ½‖Hx − y‖² + ½·b·‖x‖² is
//!
//! ```text
//!   X(ω) = conj(Ĥ(ω)) · Y(ω) / (|Ĥ(ω)|² + b)
//! ```
//!
//! with Y = DFT(y) and b the `balance` (≈ noise power / signal power per frequency). This is
//! scikit-image's `restoration.wiener` with a *constant* regulariser (`reg` = 1, so |reg|² = 1)
//! instead of its default Laplacian regulariser; the output is not clipped.
//!
//! Reference: N. Wiener, "Extrapolation, interpolation, and smoothing of stationary time
//! series", 1949; A. N. Tikhonov, 1963.

use crate::{Error, Image, Result};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// In-place 2-D DFT (unnormalised) of a row-major `w × h` complex array.
fn fft2(data: &mut [Complex<f64>], w: usize, h: usize, inverse: bool) {
    let mut planner = FftPlanner::new();
    let (row, col) = if inverse {
        (planner.plan_fft_inverse(w), planner.plan_fft_inverse(h))
    } else {
        (planner.plan_fft_forward(w), planner.plan_fft_forward(h))
    };
    row.process(data);
    let mut t = vec![Complex::new(0.0, 0.0); w * h];
    for r in 0..h {
        for c in 0..w {
            t[c * h + r] = data[r * w + c];
        }
    }
    col.process(&mut t);
    for r in 0..h {
        for c in 0..w {
            data[r * w + c] = t[c * h + r];
        }
    }
}

/// Wiener-deconvolves `y` blurred periodically by `kernel` (odd sides, centred: its centre
/// pixel is the shift 0; larger than the image is allowed, it wraps); see the
/// [module docs](self).
///
/// # Errors
/// [`Error::InvalidParameter`] for `balance` ≤ 0 or non-finite, or a kernel with an even side;
/// [`Error::NonFinite`] for a non-finite pixel in y or the kernel.
pub fn wiener(kernel: &Image, y: &Image, balance: f64) -> Result<Image> {
    if !(balance > 0.0 && balance.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "Wiener balance",
            value: balance,
            valid: "finite and > 0",
        });
    }
    let (kw, kh) = kernel.shape();
    if kw % 2 == 0 || kh % 2 == 0 {
        return Err(Error::InvalidParameter {
            name: "kernel side",
            value: if kw % 2 == 0 { kw as f64 } else { kh as f64 },
            valid: "odd (the centre pixel is the origin)",
        });
    }
    y.check_finite("observed image")?;
    kernel.check_finite("kernel")?;
    let (w, h) = y.shape();
    let zero = Complex::new(0.0, 0.0);
    let mut kf = vec![zero; w * h];
    for r in 0..kh {
        for c in 0..kw {
            // shift (c − kw/2, r − kh/2), wrapped
            let x = (c + w * kw - kw / 2) % w;
            let yy = (r + h * kh - kh / 2) % h;
            kf[yy * w + x] += kernel.get(c, r);
        }
    }
    let mut yf: Vec<Complex<f64>> = y.data().iter().map(|&v| Complex::new(v, 0.0)).collect();
    fft2(&mut kf, w, h, false);
    fft2(&mut yf, w, h, false);
    for (v, k) in yf.iter_mut().zip(&kf) {
        *v = k.conj() * *v / (k.norm_sqr() + balance);
    }
    fft2(&mut yf, w, h, true);
    let scale = 1.0 / (w * h) as f64;
    Image::new(w, h, yf.iter().map(|v| v.re * scale).collect())
}
