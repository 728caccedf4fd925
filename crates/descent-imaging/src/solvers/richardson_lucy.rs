//! Richardson–Lucy: multiplicative updates that climb the Poisson likelihood; and its total
//! variation regularised form RL-TV.
//!
//! With Poisson counts y ~ Poisson(Hx), the negative log-likelihood (up to a constant) is
//! J(x) = Σ (Hx − y·log Hx), with gradient ∇J = Hᵀ1 − Hᵀ(y/Hx). Richardson (1972) and Lucy
//! (1974) iterate
//!
//! ```text
//!   x₀ = Σy/N (a flat image with the data's flux)
//!   x_{k+1} = x_k · Hᵀ(y / max(Hx_k, floor)) / Hᵀ1
//!           = x_k − (x_k / Hᵀ1) · ∇J(x_k)
//! ```
//!
//! i.e. a gradient step on J scaled per pixel by x/Hᵀ1: a scaled-gradient (EM) step that keeps
//! x ≥ 0 without a projection. For a periodic H with a kernel of sum 1, Hᵀ1 = 1 and
//! Σx_{k+1} = ⟨Hx_k, y/Hx_k⟩ = Σy: the flux is conserved exactly at every iteration.
//! floor = 10⁻¹²·max(y) guards the division where the model Hx vanishes.
//!
//! RL needs y ≥ 0, but background-subtracted data with read noise dips below 0. Rather than
//! clip y (which adds flux: on the issue's M13 set-up Σmax(y, 0) is 2% above Σy), we shift:
//! with b = max(0, −min y), run RL on y + b (estimating x + b; for a periodic H of sum 1,
//! H(x + b) = Hx + b) and subtract b at the end. The flux Σx = Σy is then exact, and the
//! result is ≥ −b instead of ≥ 0 (b is a few read-noise σ). For y ≥ 0, b = 0 and nothing
//! changes.
//!
//! RL-TV (Dey et al. 2006) adds λ·TV(x) to J; differentiating TV gives −div(∇x/|∇x|), and the
//! same split of the gradient into positive and negative parts gives
//!
//! ```text
//!   x_{k+1} = x_k · Hᵀ(y / Hx_k) / (Hᵀ1 − λ·div(∇x_k / |∇x_k|_ε))
//! ```
//!
//! with |g|_ε = √(|g|² + ε²), ε = 10⁻³·max(y) (smooths TV where ∇x = 0), and the denominator
//! floored at 0.1·Hᵀ1. |div| ≤ 4 for unit fields, so λ < 0.25 keeps the denominator positive
//! everywhere for a kernel of sum 1; Dey et al. use λ ≈ 0.002. RL-TV does not conserve flux
//! exactly.
//!
//! Both stop by the residual rule of the [solvers module](super) (‖Hx − y‖ ≤ τσ√N), the
//! residual being available from Hx at no cost.
//!
//! References: W. H. Richardson, "Bayesian-based iterative method of image restoration",
//! JOSA 62(1), 1972; L. B. Lucy, "An iterative technique for the rectification of observed
//! distributions", Astronomical Journal 79, 1974; N. Dey et al., "Richardson–Lucy algorithm
//! with total variation regularization for 3D confocal microscope deconvolution", Microscopy
//! Research and Technique 69, 2006.

use super::tv::Curvature;
use super::{Control, LinearOperator, Options, Restoration, distance};
use crate::{Error, Image, Result};

/// Richardson–Lucy deconvolution; see the [module docs](self).
///
/// # Errors
/// [`Error::InvalidParameter`] when y has no positive flux, for zero `max_iterations` or a bad
/// stopping rule; [`Error::NonFinite`] for a non-finite pixel in y; the operator's shape errors.
pub fn richardson_lucy(
    h: &mut dyn LinearOperator,
    y: &Image,
    options: Options<'_>,
) -> Result<Restoration> {
    rl(h, y, 0.0, options)
}

/// Richardson–Lucy with total variation regularisation (Dey et al. 2006), weight λ; see the
/// [module docs](self). λ = 0 is plain Richardson–Lucy.
///
/// # Errors
/// As [`richardson_lucy`], and [`Error::InvalidParameter`] for λ outside [0, 0.25).
pub fn richardson_lucy_tv(
    h: &mut dyn LinearOperator,
    y: &Image,
    lambda: f64,
    options: Options<'_>,
) -> Result<Restoration> {
    if !(0.0..0.25).contains(&lambda) {
        return Err(Error::InvalidParameter {
            name: "RL-TV lambda",
            value: lambda,
            valid: "in [0, 0.25)",
        });
    }
    rl(h, y, lambda, options)
}

fn rl(
    h: &mut dyn LinearOperator,
    y: &Image,
    lambda: f64,
    options: Options<'_>,
) -> Result<Restoration> {
    let mut control = Control::new(options, y)?;
    let (w, ht) = y.shape();
    let n = y.data().len();
    // RL needs counts ≥ 0: shift the data (and so the estimate) by b = max(0, −min y)
    let offset = (-y.data().iter().copied().fold(f64::INFINITY, f64::min)).max(0.0);
    let shifted = Image::new(w, ht, y.data().iter().map(|v| v + offset).collect())?;
    let total = y.sum();
    let peak = shifted.max();
    if !(total > 0.0) {
        return Err(Error::InvalidParameter {
            name: "observed flux Σy",
            value: total,
            valid: "> 0 (Richardson–Lucy needs counts)",
        });
    }
    let floor = 1e-12 * peak;
    let eps = 1e-3 * peak;
    let mut x = Image::new(w, ht, vec![shifted.sum() / n as f64; n])?;
    let mut shown = if offset > 0.0 { Image::zeros(w, ht) } else { Image::zeros(1, 1) };
    let mut ht1 = Image::zeros(w, ht);
    h.adjoint_into(&Image::new(w, ht, vec![1.0; n])?, &mut ht1)?;
    ht1.data_mut().iter_mut().for_each(|v| *v = v.max(1e-12));
    let (mut hx, mut ratio, mut correction, mut div) =
        (Image::zeros(w, ht), Image::zeros(w, ht), Image::zeros(w, ht), Image::zeros(w, ht));
    let mut curvature = Curvature::new((w, ht));
    let mut k = 0;
    loop {
        h.apply_into(&x, &mut hx)?;
        if let Some(why) = control.record(k, distance(&hx, &shifted)) {
            x.data_mut().iter_mut().for_each(|v| *v -= offset);
            return Ok(control.finish(x, k, why, y));
        }
        for ((r, m), v) in ratio.data_mut().iter_mut().zip(hx.data()).zip(shifted.data()) {
            *r = v / m.max(floor);
        }
        h.adjoint_into(&ratio, &mut correction)?;
        if lambda > 0.0 {
            curvature.compute(&x, eps, &mut div);
            for (((xi, c), a), d) in
                x.data_mut().iter_mut().zip(correction.data()).zip(ht1.data()).zip(div.data())
            {
                *xi *= c / (a - lambda * d).max(0.1 * a);
            }
        } else {
            for ((xi, c), a) in x.data_mut().iter_mut().zip(correction.data()).zip(ht1.data()) {
                *xi *= c / a;
            }
        }
        k += 1;
        if offset > 0.0 {
            shown.data_mut().iter_mut().zip(x.data()).for_each(|(s, v)| *s = v - offset);
            control.observe(k, &shown);
        } else {
            control.observe(k, &x);
        }
    }
}
