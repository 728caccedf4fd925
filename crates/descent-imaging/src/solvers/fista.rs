//! FISTA: accelerated proximal gradient on ½‖Hx − y‖² + λ_TV·TV(x) + λ₁·‖x‖₁ (+ x ≥ 0).
//!
//! With f(x) = ½‖Hx − y‖² (∇f = Hᵀ(Hx − y), Lipschitz constant ‖H‖²), g the prior and
//! s = 1/‖H‖², the monotone FISTA of Beck & Teboulle (2009b, "MFISTA") is
//!
//! ```text
//!   x₀ = z₁ = y (clipped at 0 with positivity),  t₁ = 1
//!   u_k     = prox_{s·g}(z_k − s·∇f(z_k))
//!   t_{k+1} = (1 + √(1 + 4t_k²)) / 2
//!   x_k     = u_k if F(u_k) ≤ F(x_{k−1}) else x_{k−1}          (F = f + g never increases)
//!   z_{k+1} = x_k + (t_k/t_{k+1})·(u_k − x_k) + ((t_k − 1)/t_{k+1})·(x_k − x_{k−1})
//! ```
//!
//! The prox of s·g:
//! - TV (with or without positivity): the constrained TV denoising problem solved by FGP
//!   (10 inner iterations, warm-started; see `tv.rs`), positivity enforced inside it;
//! - L1 with positivity: on x ≥ 0, λ₁‖x‖₁ = λ₁·Σx is linear, so the prox of TV + L1 + positivity
//!   is exactly the constrained TV prox at the shifted point z − s·λ₁ (with TV = 0: the
//!   soft-threshold max(z − s·λ₁, 0), i.e. soft-threshold then clip at 0);
//! - L1 without positivity: soft-threshold of the TV prox (exact for anisotropic TV, Friedman et
//!   al. 2007; an approximation for isotropic TV).
//!
//! No momentum restart (O'Donoghue & Candès 2015) is used: MFISTA's monotone step already
//! keeps the objective from rising. H is applied once and Hᵀ once per iteration: H z_{k+1} is
//! formed from H u_k and H x_k by linearity, and the residual ‖Hx_k − y‖ comes for free.
//!
//! References: A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
//! linear inverse problems", SIAM J. Imaging Sciences 2(1), 2009 (FISTA); the same authors,
//! "Fast gradient-based algorithms for constrained total variation image denoising and
//! deblurring problems", IEEE Trans. Image Processing 18(11), 2009 (MFISTA, FGP).

use super::tv::{TvProx, total_variation};
use super::{Control, LinearOperator, Options, Restoration, distance, unit_step};
use crate::{Error, Image, Result};

/// FGP inner iterations per proximal step.
const TV_INNER_ITERATIONS: usize = 10;

/// The prior's weights: g(x) = `tv`·TV(x) + `l1`·‖x‖₁ (both ≥ 0; 0 switches a term off).
///
/// Weights are in the units of ½‖Hx − y‖²: scaling the image by a scales good weights by a.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prior {
    /// λ_TV, the isotropic total variation weight.
    pub tv: f64,
    /// λ₁, the L1 (sparsity) weight.
    pub l1: f64,
}

/// F(x) = ½‖Hx − y‖² + λ_TV·TV(x) + λ₁·‖x‖₁ from Hx.
fn objective(hx: &Image, y: &Image, x: &Image, prior: Prior) -> f64 {
    let fit = 0.5 * distance(hx, y).powi(2);
    let tv = if prior.tv > 0.0 { prior.tv * total_variation(x) } else { 0.0 };
    let l1 =
        if prior.l1 > 0.0 { prior.l1 * x.data().iter().map(|v| v.abs()).sum::<f64>() } else { 0.0 };
    fit + tv + l1
}

/// Monotone FISTA with a TV and/or L1 prior and optional positivity; see the
/// [module docs](self).
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative or non-finite prior weight, zero
/// `max_iterations` or a bad stopping rule; [`Error::NonFinite`] for a non-finite pixel in y;
/// the operator's shape errors.
pub fn fista(
    h: &mut dyn LinearOperator,
    y: &Image,
    prior: Prior,
    positivity: bool,
    options: Options<'_>,
) -> Result<Restoration> {
    for (name, value) in [("TV weight", prior.tv), ("L1 weight", prior.l1)] {
        if !(value >= 0.0 && value.is_finite()) {
            return Err(Error::InvalidParameter { name, value, valid: "finite and ≥ 0" });
        }
    }
    let mut control = Control::new(options, y)?;
    let s = unit_step(h)?;
    let shape = y.shape();
    let mut tv_prox = TvProx::new(shape, TV_INNER_ITERATIONS);
    let mut x = y.clone();
    if positivity {
        x.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
    }
    let zeros = || Image::zeros(shape.0, shape.1);
    let (mut hx, mut u, mut hu, mut work, mut grad) = (zeros(), zeros(), zeros(), zeros(), zeros());
    h.apply_into(&x, &mut hx)?;
    let (mut z, mut hz) = (x.clone(), hx.clone());
    let mut fx = objective(&hx, y, &x, prior);
    let mut t = 1.0_f64;
    let mut k = 0;
    loop {
        if let Some(why) = control.record(k, distance(&hx, y)) {
            return Ok(control.finish(x, k, why, y));
        }
        // work ← Hz − y; grad ← Hᵀ(Hz − y); work ← z − s·grad (− s·λ₁ with positivity)
        work.data_mut().iter_mut().zip(hz.data()).zip(y.data()).for_each(|((r, a), b)| *r = a - b);
        h.adjoint_into(&work, &mut grad)?;
        let shift = if positivity { s * prior.l1 } else { 0.0 };
        work.data_mut()
            .iter_mut()
            .zip(z.data())
            .zip(grad.data())
            .for_each(|((v, zi), g)| *v = zi - s * g - shift);
        tv_prox.prox(&work, s * prior.tv, positivity, &mut u);
        if !positivity && prior.l1 > 0.0 {
            let thr = s * prior.l1;
            u.data_mut().iter_mut().for_each(|v| *v = v.signum() * (v.abs() - thr).max(0.0));
        }
        h.apply_into(&u, &mut hu)?;
        let fu = objective(&hu, y, &u, prior);
        let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
        if fu <= fx {
            // x_k = u_k: z = u + ((t − 1)/t')·(u − x_{k−1})
            let beta = (t - 1.0) / t_next;
            for ((zi, ui), xi) in z.data_mut().iter_mut().zip(u.data()).zip(x.data()) {
                *zi = ui + beta * (ui - xi);
            }
            for ((zi, ui), xi) in hz.data_mut().iter_mut().zip(hu.data()).zip(hx.data()) {
                *zi = ui + beta * (ui - xi);
            }
            std::mem::swap(&mut x, &mut u);
            std::mem::swap(&mut hx, &mut hu);
            fx = fu;
        } else {
            // x_k = x_{k−1}: z = x + (t/t')·(u − x)
            let gamma = t / t_next;
            for ((zi, ui), xi) in z.data_mut().iter_mut().zip(u.data()).zip(x.data()) {
                *zi = xi + gamma * (ui - xi);
            }
            for ((zi, ui), xi) in hz.data_mut().iter_mut().zip(hu.data()).zip(hx.data()) {
                *zi = xi + gamma * (ui - xi);
            }
        }
        t = t_next;
        k += 1;
        control.observe(k, &x);
    }
}
