//! Deconvolution with `descent`: sharpening images blurred by a point-spread function.
//!
//! A telescope blurs every star by its point-spread function (PSF) H; undoing the blur is
//! gradient descent on a data-fit term ½‖Hx − y‖² (or the Poisson likelihood), made stable by
//! positivity, priors (total variation, sparsity) and a stopping rule that needs no truth.
//!
//! | module | what |
//! |---|---|
//! | [`image`] | [`Image`]: the `f64` pixel grid every module shares |
//! | [`fits`] | [`read_fits`], [`write_fits`] (2-D primary HDU, [`Bitpix`]), [`m13()`]: a real star field |
//! | [`png_io`] | [`read_png`], [`write_png`] (8/16-bit grey, [`PngDepth`]), [`read_jpeg`] |
//! | [`sky`] | [`SkyBuilder`]: seeded synthetic skies of Sérsic galaxies and point stars |
//! | [`metrics`] | PSNR, SSIM, flux ratio, χ² |
//! | [`psf`], [`convolve`], [`noise`] | the forward model: [`Psf`] kernels (Gaussian, Moffat, Airy) and [`normalise_kernel`]; the blur H as a [`Convolution`] by FFT ([`Boundary`] periodic or zero-padded "same") with its adjoint and ‖H‖², [`convolve_direct`]; [`add_poisson_gaussian`] noise |
//! | [`tour`] | the numbers behind the tour's chapter 9 on imaging ([`tour::imaging`]): M13 blurred, restored by RL, RL-TV and Landweber, auto-stopped |
//! | [`solvers`] | Landweber, FISTA (TV, L1, positivity), Richardson–Lucy (and RL-TV), Wiener; the discrepancy-principle stop, [`estimate_noise_sigma`] |

#![warn(missing_docs)]

pub mod convolve;
pub mod error;
pub mod fits;
pub mod image;
pub mod metrics;
pub mod noise;
pub mod png_io;
pub mod psf;
pub mod sky;
pub mod solvers;
pub mod tour;

pub use convolve::{Boundary, Complex64, Convolution, convolve_direct};
pub use error::{Error, Result};
pub use fits::{Bitpix, m13, read_fits, write_fits};
pub use image::Image;
pub use noise::add_poisson_gaussian;
pub use png_io::{PngDepth, decode_jpeg, decode_png, read_jpeg, read_png, write_png};
pub use psf::{Psf, normalise_kernel};
pub use sky::{Catalogue, Sersic, SkyBuilder, Star};
pub use solvers::{
    LinearOperator, Options, Prior, Restoration, Stop, StopReason, estimate_noise_sigma, fista,
    landweber, richardson_lucy, richardson_lucy_tv, wiener,
};
