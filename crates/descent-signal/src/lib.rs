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
//! | [`fdaf`] | [`Pbfdaf`]: the partitioned-block frequency-domain NLMS (MDF), overlap-save |
//! | [`audio`] | WAV read/write ([`read_wav`], [`write_wav`]), the shipped [`speech()`] |
//! | [`room`] | seeded synthetic room impulse responses ([`room_impulse_response`]) |
//! | [`scenario`] | the echo and noise set-ups ([`EchoScenario`], [`NoiseScenario`]), [`cancel_echo`] |
//! | [`dtd`] | the Geigel double-talk detector ([`Geigel`]) |
//! | [`metrics`] | ERLE, SNR improvement, misalignment, time to 20 dB ERLE |
//! | [`tour`] | the numbers behind `descent tour`'s chapter 8 (noise and echo cancellation) |

#![warn(missing_docs)]

pub mod apa;
pub mod audio;
pub mod error;
pub mod fdaf;
pub mod filter;
pub mod lms;
pub mod rls;
pub use audio::{Audio, WavFormat, decode_wav, read_wav, read_wav_pair, speech, write_wav};
pub mod room;
pub use room::{Room, room_impulse_response};
pub mod scenario;
pub use scenario::{EchoScenario, NoiseColour, NoiseScenario, cancel_echo};
pub mod dtd;
pub use dtd::Geigel;
pub mod metrics;
pub mod tour;

pub use apa::AffineProjection;
pub use error::{Error, Result};
pub use fdaf::{Normalisation, Pbfdaf};
pub use filter::{AdaptiveFilter, SampleFilter};
pub use lms::{LeakyLms, Lms, Nlms, SignKind, SignLms};
pub use rls::Rls;
