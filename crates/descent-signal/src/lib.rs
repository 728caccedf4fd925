//! Adaptive filters with `descent`: the same rule, one sample at a time.
//!
//! An adaptive filter descends the gradient of the instantaneous squared error e(n)² between
//! what it predicts from a reference signal and what a microphone hears; what it cannot
//! predict — the near-end speaker, the clean voice — is what is left. This crate holds the
//! filters (the LMS family, affine projection, RLS, a partitioned frequency-domain block NLMS)
//! behind one interface ([`AdaptiveFilter`]), the noise- and echo-cancellation set-ups, their
//! metrics, and WAV input and output.
//!
//! | module | what |
//! |---|---|
//! | [`filter`] | [`AdaptiveFilter`] and [`SampleFilter`]: the interface, its conventions |
//! | [`lms`] | [`Lms`], [`Nlms`], [`LeakyLms`], [`SignLms`]: the LMS family, O(L) per sample |
//! | [`apa`] | [`AffineProjection`]: NLMS over the last K input vectors, O(K·L) per sample |
//! | [`rls`] | [`Rls`]: exponentially weighted recursive least squares, O(L²) per sample |

#![warn(missing_docs)]

pub mod apa;
pub mod error;
pub mod filter;
pub mod lms;
pub mod rls;

pub use apa::AffineProjection;
pub use error::{Error, Result};
pub use filter::{AdaptiveFilter, SampleFilter};
pub use lms::{LeakyLms, Lms, Nlms, SignKind, SignLms};
pub use rls::Rls;
