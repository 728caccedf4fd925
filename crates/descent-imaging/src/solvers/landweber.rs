//! Landweber iteration: plain gradient descent on ½‖Hx − y‖², optionally projected onto x ≥ 0.
//!
//! ```text
//!   x₀ = y   (clipped at 0 with positivity)
//!   x_{k+1} = P(x_k − s·Hᵀ(Hx_k − y)),   s = 1/‖H‖² by default
//! ```
//!
//! ∇(½‖Hx − y‖²) = Hᵀ(Hx − y), so this is gradient descent with step s; it converges for
//! 0 < s < 2/‖H‖² (Landweber 1951). P is the identity, or the projection max(·, 0) onto
//! non-negative images (projected gradient). Without a prior the iterate converges to a
//! least-squares solution that fits the noise: stop early ([`Stop::Discrepancy`]).
//!
//! Reference: L. Landweber, "An iteration formula for Fredholm integral equations of the first
//! kind", American Journal of Mathematics 73(3), 1951.
//!
//! [`Stop::Discrepancy`]: super::Stop::Discrepancy

use super::{Control, LinearOperator, Options, Restoration, distance, unit_step};
use crate::{Error, Image, Result};

/// Landweber (projected) gradient descent on ½‖Hx − y‖² from x₀ = y; see the
/// [module docs](self). `step` defaults to 1/‖H‖²; `positivity` projects onto x ≥ 0.
///
/// # Errors
/// [`Error::InvalidParameter`] for a step outside (0, 2/‖H‖²), zero `max_iterations` or a bad
/// stopping rule; [`Error::NonFinite`] for a non-finite pixel in y; the operator's shape errors.
pub fn landweber(
    h: &mut dyn LinearOperator,
    y: &Image,
    step: Option<f64>,
    positivity: bool,
    options: Options<'_>,
) -> Result<Restoration> {
    let mut control = Control::new(options, y)?;
    let unit = unit_step(h)?;
    let s = step.unwrap_or(unit);
    if !(s > 0.0 && s < 2.0 * unit) {
        return Err(Error::InvalidParameter {
            name: "Landweber step",
            value: s,
            valid: "in (0, 2/‖H‖²)",
        });
    }
    let project = |x: &mut Image| {
        if positivity {
            x.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
        }
    };
    let mut x = y.clone();
    project(&mut x);
    let (w, ht) = y.shape();
    let mut hx = Image::zeros(w, ht);
    let mut grad = Image::zeros(w, ht);
    let mut k = 0;
    loop {
        h.apply_into(&x, &mut hx)?;
        if let Some(why) = control.record(k, distance(&hx, y)) {
            return Ok(control.finish(x, k, why, y));
        }
        // hx ← Hx − y, grad ← Hᵀ(Hx − y)
        hx.data_mut().iter_mut().zip(y.data()).for_each(|(r, v)| *r -= v);
        h.adjoint_into(&hx, &mut grad)?;
        x.data_mut().iter_mut().zip(grad.data()).for_each(|(xi, g)| *xi -= s * g);
        project(&mut x);
        k += 1;
        control.observe(k, &x);
    }
}
