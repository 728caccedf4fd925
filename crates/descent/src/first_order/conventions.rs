//! The choices libraries make silently, as explicit options.

use serde::{Deserialize, Serialize};

/// Whose defaults a named optimizer's constructor reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// PyTorch's `torch.optim` (2.x) defaults and update formulas.
    Torch,
    /// optax's defaults and update formulas.
    Optax,
}

/// Where ε enters a denominator √v.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Epsilon {
    /// √v + ε (PyTorch's Adagrad, RMSProp, Adam; optax's Adam).
    OutsideSqrt,
    /// √(v + ε) (optax's Adagrad and RMSProp).
    InsideSqrt,
}

impl Epsilon {
    /// The denominator for the second moment `v` (already bias-corrected where applicable).
    #[inline(always)]
    pub(crate) fn denominator<T: super::Real>(self, v: T, eps: T) -> T {
        match self {
            Self::OutsideSqrt => v.sqrt() + eps,
            Self::InsideSqrt => (v + eps).sqrt(),
        }
    }
}
