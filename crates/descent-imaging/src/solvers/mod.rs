//! Deconvolution solvers: undoing a blur H from a blurred, noisy image y.
//!
//! Every iterative method here is (a variant of) gradient descent on a data-fit term, and each
//! shares one set of [`Options`], one stopping rule ([`Stop`]) and one report ([`Restoration`]):
//!
//! | method | data term | prior | update |
//! |---|---|---|---|
//! | [`landweber()`] | ½‖Hx − y‖² | positivity (optional) | x ← P(x − Hᵀ(Hx − y)/‖H‖²) |
//! | [`fista()`] | ½‖Hx − y‖² | TV, L1, positivity | accelerated proximal gradient |
//! | [`richardson_lucy()`] | Poisson −log L | positivity (built in) | x ← x · Hᵀ(y/Hx)/Hᵀ1 |
//! | [`richardson_lucy_tv()`] | Poisson −log L | TV (Dey et al. 2006) | RL ÷ (1 − λ·div(∇x/‖∇x‖)) |
//! | [`wiener()`] | ½‖Hx − y‖² | ½·balance·‖x‖² | one division in Fourier space |
//!
//! Symbols: y the observed image (N pixels), x the estimate, H the blur (a linear operator,
//! [`LinearOperator`]), Hᵀ its adjoint, ‖H‖² = ‖H‖₂² its largest squared singular value,
//! σ the per-pixel noise standard deviation.
//!
//! ## Stopping without the truth
//! Iterating to convergence on ½‖Hx − y‖² fits the noise (the restoration gets worse after
//! a point). [`Stop::Discrepancy`] applies Morozov's discrepancy principle: stop at the first
//! iteration k ≥ 1 with ‖Hx_k − y‖ ≤ τ·σ·√N, the residual a correct x would leave. σ is given,
//! or estimated from y by [`estimate_noise_sigma`]. The default τ = 1.0 (Morozov's rule uses
//! τ ≥ 1; larger τ stops earlier and restores less). Every method, Richardson–Lucy included,
//! uses this same Gaussian residual rule (for RL the Poisson deviance would be the likelihood's
//! own measure, but it needs the photon scale, which a scaled image does not carry).
//!
//! ## Cost
//! The work buffers are allocated once, before the first iteration; an iteration allocates
//! nothing (the operator's `apply_into`/`adjoint_into` write into caller buffers). Each
//! iterative method costs one H and one Hᵀ per iteration.
//!
//! ## Example
//! ```
//! use descent_imaging::{Boundary, Convolution, Image, Options, Psf, richardson_lucy};
//!
//! let kernel = Psf::Gaussian { fwhm: 3.0 }.kernel(Some(11))?;
//! let mut truth = Image::zeros(32, 32);
//! truth.set(10, 12, 1.0);
//! truth.set(20, 8, 0.5);
//! let mut h = Convolution::new(&kernel, (32, 32), Boundary::Periodic)?;
//! let y = h.apply(&truth)?;
//! let out = richardson_lucy(&mut h, &y, Options::fixed(100))?;
//! assert!((out.flux_ratio - 1.0).abs() < 1e-10); // RL conserves flux
//! assert!(out.image.get(10, 12) > 3.0 * y.get(10, 12)); // the star is sharper
//! # Ok::<(), descent_imaging::Error>(())
//! ```

pub mod fista;
pub mod landweber;
pub mod noise;
pub mod richardson_lucy;
mod tv;
pub mod wiener;

pub use fista::{Prior, fista};
pub use landweber::landweber;
pub use noise::estimate_noise_sigma;
pub use richardson_lucy::{richardson_lucy, richardson_lucy_tv};
pub use wiener::wiener;

use crate::{Error, Image, Result};

/// A linear operator on images (the blur H) with its adjoint Hᵀ.
///
/// Implementations must satisfy ⟨Hx, y⟩ = ⟨x, Hᵀy⟩ and write outputs of the input's shape.
pub trait LinearOperator {
    /// out ← H·x.
    ///
    /// # Errors
    /// Shape mismatches (as the implementation reports them).
    fn apply_into(&mut self, x: &Image, out: &mut Image) -> Result<()>;
    /// out ← Hᵀ·y.
    ///
    /// # Errors
    /// Shape mismatches (as the implementation reports them).
    fn adjoint_into(&mut self, y: &Image, out: &mut Image) -> Result<()>;
    /// ‖H‖₂² (an upper bound is acceptable: it sets a safe step 1/‖H‖²).
    fn norm_squared(&self) -> f64;
}

/// When an iterative solver stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// Run exactly `max_iterations` iterations.
    Iterations,
    /// The discrepancy principle: stop at the first iteration k ≥ 1 with
    /// ‖Hx_k − y‖ ≤ τ·σ·√N (see the [module docs](self)), or after `max_iterations`.
    Discrepancy {
        /// σ, the noise standard deviation per pixel; `None` estimates it with
        /// [`estimate_noise_sigma`].
        noise_sigma: Option<f64>,
        /// τ > 0, the safety factor (default 1.0).
        tau: f64,
    },
}

impl Default for Stop {
    /// The discrepancy principle with σ estimated from the image and τ = 1.0.
    fn default() -> Self {
        Stop::Discrepancy { noise_sigma: None, tau: 1.0 }
    }
}

/// Why a solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// It ran `max_iterations` iterations ([`Stop::Iterations`], or the discrepancy level was
    /// never reached).
    MaxIterations,
    /// The residual reached τ·σ·√N.
    Discrepancy,
}

/// A per-iteration observer: called with (k, x_k) after every iteration k = 1, 2, ….
pub type Observer<'a> = &'a mut dyn FnMut(usize, &Image);

/// Settings shared by the iterative solvers.
pub struct Options<'a> {
    /// The most iterations to run (≥ 1).
    pub max_iterations: usize,
    /// The stopping rule.
    pub stop: Stop,
    /// Called after each iteration with (k, x_k), e.g. to record the PSNR against a known truth.
    pub observer: Option<Observer<'a>>,
}

impl Options<'_> {
    /// `max_iterations` with the default stop (the discrepancy principle, σ estimated, τ = 1).
    #[must_use]
    pub fn new(max_iterations: usize) -> Self {
        Options { max_iterations, stop: Stop::default(), observer: None }
    }

    /// Exactly `iterations` iterations.
    #[must_use]
    pub fn fixed(iterations: usize) -> Self {
        Options { max_iterations: iterations, stop: Stop::Iterations, observer: None }
    }
}

impl<'a> Options<'a> {
    /// These options with an observer.
    #[must_use]
    pub fn observed(mut self, observer: Observer<'a>) -> Self {
        self.observer = Some(observer);
        self
    }
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("max_iterations", &self.max_iterations)
            .field("stop", &self.stop)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// What an iterative solver returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Restoration {
    /// The restored image x_k.
    pub image: Image,
    /// k, the iterations run.
    pub iterations: usize,
    /// Why it stopped.
    pub stopped_by: StopReason,
    /// ‖Hx_j − y‖ for j = 0, …, k (x_0 is the starting image).
    pub residual_norms: Vec<f64>,
    /// The discrepancy level τ·σ·√N the residual was compared with (`None` for
    /// [`Stop::Iterations`]).
    pub target_residual: Option<f64>,
    /// Flux conservation: Σx_k / Σy.
    pub flux_ratio: f64,
}

/// The run-time half of [`Options`]: the checked stopping level and the observer.
pub(crate) struct Control<'a> {
    max_iterations: usize,
    target: Option<f64>,
    observer: Option<Observer<'a>>,
    residual_norms: Vec<f64>,
}

impl<'a> Control<'a> {
    /// Validates the options and the data y (finite, at least one pixel), working out the
    /// discrepancy level.
    pub(crate) fn new(options: Options<'a>, y: &Image) -> Result<Self> {
        y.check_finite("observed image")?;
        if options.max_iterations == 0 {
            return Err(Error::InvalidParameter {
                name: "max_iterations",
                value: 0.0,
                valid: "at least 1",
            });
        }
        let target = match options.stop {
            Stop::Iterations => None,
            Stop::Discrepancy { noise_sigma, tau } => {
                if !(tau > 0.0 && tau.is_finite()) {
                    return Err(Error::InvalidParameter {
                        name: "tau",
                        value: tau,
                        valid: "finite and > 0",
                    });
                }
                let sigma = match noise_sigma {
                    Some(s) => {
                        if !(s > 0.0 && s.is_finite()) {
                            return Err(Error::InvalidParameter {
                                name: "noise_sigma",
                                value: s,
                                valid: "finite and > 0",
                            });
                        }
                        s
                    }
                    None => estimate_noise_sigma(y),
                };
                Some(tau * sigma * (y.data().len() as f64).sqrt())
            }
        };
        Ok(Control {
            max_iterations: options.max_iterations,
            target,
            observer: options.observer,
            residual_norms: Vec::with_capacity(options.max_iterations + 1),
        })
    }

    /// Records ‖Hx_k − y‖ for iterate k and says whether to stop there.
    pub(crate) fn record(&mut self, k: usize, residual_norm: f64) -> Option<StopReason> {
        self.residual_norms.push(residual_norm);
        if k >= 1 && self.target.is_some_and(|t| residual_norm <= t) {
            Some(StopReason::Discrepancy)
        } else if k >= self.max_iterations {
            Some(StopReason::MaxIterations)
        } else {
            None
        }
    }

    /// Calls the observer with (k, x_k).
    pub(crate) fn observe(&mut self, k: usize, x: &Image) {
        if let Some(observer) = self.observer.as_mut() {
            observer(k, x);
        }
    }

    /// The report.
    pub(crate) fn finish(self, image: Image, k: usize, why: StopReason, y: &Image) -> Restoration {
        let flux_ratio = image.sum() / y.sum();
        Restoration {
            image,
            iterations: k,
            stopped_by: why,
            residual_norms: self.residual_norms,
            target_residual: self.target,
            flux_ratio,
        }
    }
}

/// ‖a − b‖₂.
pub(crate) fn distance(a: &Image, b: &Image) -> f64 {
    a.data().iter().zip(b.data()).map(|(u, v)| (u - v) * (u - v)).sum::<f64>().sqrt()
}

/// 1/‖H‖², checked.
pub(crate) fn unit_step(h: &dyn LinearOperator) -> Result<f64> {
    let n2 = h.norm_squared();
    if !(n2 > 0.0 && n2.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "operator norm squared",
            value: n2,
            valid: "finite and > 0",
        });
    }
    Ok(1.0 / n2)
}

/// The FFT blur of [`crate::convolve`] is the operator the solvers are meant for.
impl LinearOperator for crate::Convolution {
    fn apply_into(&mut self, x: &Image, out: &mut Image) -> Result<()> {
        crate::Convolution::apply_into(self, x, out)
    }
    fn adjoint_into(&mut self, y: &Image, out: &mut Image) -> Result<()> {
        crate::Convolution::adjoint_into(self, y, out)
    }
    fn norm_squared(&self) -> f64 {
        crate::Convolution::norm_squared(self)
    }
}
