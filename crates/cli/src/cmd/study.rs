//! `cocare study`: a decision study's responses and data dictionary as files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use cocare_app::AppError;
use cocare_core::Actor;

use super::DbArgs;

#[derive(Subcommand)]
pub enum Study {
    /// Write `responses.csv` (one row per respondent × vignette × item, unanswered items empty)
    /// and `dictionary.csv` (every column, item and factorial attribute with its values) into DIR.
    Export {
        /// The study's id (from its page's address).
        #[arg(long)]
        study: String,
        /// The folder to write into (made if missing).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

impl Study {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Study::Export { study, out, db } => {
                let app = db.app().await?;
                let system = Actor::system("study-cli");
                let (view, responses, dictionary) = app.study_export(&system, &study).await.map_err(|e| match e {
                    AppError::NotFound => anyhow::anyhow!("there is no study with the id {study:?}"),
                    other => anyhow::anyhow!("cannot export the study: {other}"),
                })?;
                std::fs::create_dir_all(&out).with_context(|| format!("cannot make {}", out.display()))?;
                for (name, text) in [("responses.csv", &responses), ("dictionary.csv", &dictionary)] {
                    let path = out.join(name);
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
                }
                println!(
                    "wrote {}/responses.csv ({} rows) and dictionary.csv for \u{201c}{}\u{201d} ({} respondents with answers, {} submitted)",
                    out.display(),
                    responses.lines().count().saturating_sub(1),
                    view.definition.title,
                    view.invitations.iter().filter(|i| i.started_at.is_some()).count(),
                    view.submitted()
                );
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
