//! Deconvolution with `descent`: sharpening images blurred by a point-spread function.
//!
//! A telescope blurs every star by its point-spread function (PSF) H; undoing the blur is
//! gradient descent on a data-fit term ½‖Hx − y‖² (or the Poisson likelihood), made stable by
//! positivity, priors (total variation, sparsity) and a stopping rule that needs no truth.
//!
//! | module | what |
//! |---|---|
//! | [`image`] | [`Image`]: the `f64` pixel grid every module shares |
//! | [`solvers`] | Landweber, FISTA (TV, L1, positivity), Richardson–Lucy (and RL-TV), Wiener; the discrepancy-principle stop, [`estimate_noise_sigma`] |

#![warn(missing_docs)]

pub mod error;
pub mod image;
pub mod solvers;

pub use error::{Error, Result};
pub use image::Image;
pub use solvers::{
    LinearOperator, Options, Prior, Restoration, Stop, StopReason, estimate_noise_sigma, fista,
    landweber, richardson_lucy, richardson_lucy_tv, wiener,
};
