//! Critical points: the jiggle test, Hessian curvature, saddle escape.

pub mod escape;
pub mod jiggle;

pub use escape::{PerturbedGradientDescent, escape_iterations};
pub use jiggle::{Jiggle, JiggleReport, JiggleVerdict};
