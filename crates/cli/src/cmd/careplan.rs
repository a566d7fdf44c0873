use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use cocare_core::{Actor, PersonId};

use super::{DbArgs, spinner};

#[derive(Subcommand)]
pub enum CarePlan {
    /// Write care plans as FHIR R4 Bundles (JSON): one person's to a file, or everyone's to a folder.
    ExportFhir {
        #[command(flatten)]
        db: DbArgs,
        /// Every service user: one `<person id>.json` each in `--out` (a folder).
        #[arg(long, conflicts_with = "person")]
        all: bool,
        /// One person's plan, written to `--out` (a file).
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn write_json(path: &std::path::Path, value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

impl CarePlan {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            CarePlan::ExportFhir { db, all, person, out } => {
                let app = db.app().await?;
                // The export runs as a named system actor and is audited as such.
                let system = Actor::system("fhir-export");
                match (all, person) {
                    (true, _) => {
                        std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
                        let people = app.service_users().await?;
                        let bar = spinner("exporting care plans");
                        for (n, id) in people.iter().enumerate() {
                            bar.set_message(format!("exporting care plans ({}/{})", n + 1, people.len()));
                            let bundle = app.care_plan_fhir(&system, *id).await?;
                            write_json(&out.join(format!("{id}.json")), &bundle)?;
                        }
                        bar.finish_and_clear();
                        println!("wrote {} FHIR R4 bundles to {}", people.len(), out.display());
                    }
                    (false, Some(raw)) => {
                        let id =
                            PersonId::parse(&raw).with_context(|| format!("--person {raw:?} is not a person id"))?;
                        let bundle = app.care_plan_fhir(&system, id).await.map_err(|err| match err {
                            cocare_app::AppError::NotFound => anyhow::anyhow!("no service user has the id {id}"),
                            other => anyhow::Error::new(other),
                        })?;
                        write_json(&out, &bundle)?;
                        println!("wrote the FHIR R4 bundle of {id} to {}", out.display());
                    }
                    (false, None) => bail!("say which plans: --all, or --person ID"),
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}
