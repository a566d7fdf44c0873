use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::{DbArgs, spinner};

#[derive(Args)]
pub struct Backup {
    #[command(flatten)]
    db: DbArgs,
    /// Where to write the backup (JSON lines). Refuses to overwrite an existing file.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct Restore {
    #[command(flatten)]
    db: DbArgs,
    /// The backup file written by `cocare backup`.
    #[arg(long = "from")]
    from: PathBuf,
}

impl Backup {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let store = self.db.open().await?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&self.out)
            .with_context(|| format!("cannot create {}", self.out.display()))?;
        let mut writer = BufWriter::new(file);
        let bar = spinner("writing the backup");
        let result = store.backup(&mut writer, &self.out.display().to_string()).await;
        bar.finish_and_clear();
        let summary = match result {
            Ok(summary) => summary,
            Err(err) => {
                drop(writer);
                let _ = std::fs::remove_file(&self.out);
                return Err(err.into());
            }
        };
        println!(
            "backed up {} rows from {} tables to {} (schema version {})",
            summary.rows,
            summary.tables,
            self.out.display(),
            summary.schema_version
        );
        Ok(ExitCode::SUCCESS)
    }
}

impl Restore {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let store = self.db.open().await?;
        let file = File::open(&self.from).with_context(|| format!("cannot open {}", self.from.display()))?;
        let mut reader = BufReader::new(file);
        let bar = spinner("restoring");
        let result = store.restore(&mut reader, &self.from.display().to_string()).await;
        bar.finish_and_clear();
        let summary = result?;
        println!(
            "restored {} rows into {}; the audit chain verifies",
            summary.rows,
            store.url()
        );
        Ok(ExitCode::SUCCESS)
    }
}
