//! `descent meta hypergradient` (being written).

use crate::args;

/// Runs the command.
pub fn run(_args: &args::HypergradientArgs) -> anyhow::Result<()> {
    anyhow::bail!("descent meta hypergradient is being written")
}
