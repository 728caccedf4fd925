//! Critical points: the jiggle test, Hessian curvature, saddle escape.

pub mod jiggle;

pub use jiggle::{Jiggle, JiggleReport, JiggleVerdict};
