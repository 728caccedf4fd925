//! First-order methods: steps built from the gradient alone.
//!
//! | method | update | file |
//! |---|---|---|
//! | [`GradientDescent`] | θ ← θ − α∇L(θ), α fixed or from a line search | [`gradient_descent`] |

pub mod gradient_descent;

pub use gradient_descent::GradientDescent;
