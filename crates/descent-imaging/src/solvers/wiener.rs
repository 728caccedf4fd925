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
//! instead of its default Laplacian regulariser; the output is not clipped. The gain
//! conj Ĥ/(|Ĥ|² + b) is applied by [`Convolution::filter_into`] on the operator's FFT grid.
//!
//! Reference: N. Wiener, "Extrapolation, interpolation, and smoothing of stationary time
//! series", 1949; A. N. Tikhonov, 1963.

use crate::{Convolution, Error, Image, Result};

/// Wiener-deconvolves `y` by the blur `h` (a [`Convolution`]: periodic, as in the formula, or
/// zero-padded "same", where the same gain is applied on the padded grid); see the
/// [module docs](self).
///
/// # Errors
/// [`Error::InvalidParameter`] for `balance` ≤ 0 or non-finite; [`Error::NonFinite`] for a
/// non-finite pixel in y; [`Error::ShapeMismatch`] when y is not of the operator's shape.
pub fn wiener(h: &mut Convolution, y: &Image, balance: f64) -> Result<Image> {
    if !(balance > 0.0 && balance.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "Wiener balance",
            value: balance,
            valid: "finite and > 0",
        });
    }
    y.check_finite("observed image")?;
    let gain: Vec<_> = h.transfer().iter().map(|k| k.conj() / (k.norm_sqr() + balance)).collect();
    let mut out = Image::zeros(y.width(), y.height());
    h.filter_into(y, &gain, &mut out)?;
    Ok(out)
}
