//! `descent meta`: learning to learn (hypergradient descent, MAML).

pub mod hypergradient;
pub mod maml;
