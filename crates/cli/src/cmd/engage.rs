//! `cocare engage`: engagement and funding change from the command line.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum Engage {
    /// (to be written)
    Its,
}

impl Engage {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::bail!("not written yet")
    }
}
