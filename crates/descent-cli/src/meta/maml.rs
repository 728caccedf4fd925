//! `descent meta maml` (being written).

use crate::args;

/// Runs the command.
pub fn run(_args: &args::MamlArgs) -> anyhow::Result<()> {
    anyhow::bail!("descent meta maml is being written")
}
