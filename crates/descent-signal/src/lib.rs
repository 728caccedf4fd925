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
//! | [`fdaf`] | [`Pbfdaf`]: the partitioned-block frequency-domain NLMS (MDF), overlap-save |

#![warn(missing_docs)]

pub mod error;
pub mod fdaf;
pub mod filter;
pub use fdaf::{Normalisation, Pbfdaf};

pub use error::{Error, Result};
pub use filter::{AdaptiveFilter, SampleFilter};
