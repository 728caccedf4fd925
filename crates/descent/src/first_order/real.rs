//! The one numeric trait of the step API: `f32` or `f64`.

use std::fmt::{Debug, Display};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A floating-point type an optimizer can step: `f32` or `f64`.
///
/// Hyperparameters are stored as `f64` and converted once per step with [`Real::of`], so a
/// configuration serves both precisions.
pub trait Real:
    num_traits::Float + Default + Debug + Display + Send + Sync + Serialize + DeserializeOwned + 'static
{
    /// `x` rounded to this type.
    fn of(x: f64) -> Self;

    /// This value as `f64` (exact).
    fn as_f64(self) -> f64;
}

impl Real for f32 {
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
}
