use std::process::ExitCode;

use clap::Subcommand;
use cocare_app::AuditVerdict;

use super::DbArgs;

#[derive(Subcommand)]
pub enum Audit {
    /// Recompute the audit log's hash chain; exit non-zero naming the first broken entry.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

impl Audit {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Audit::Verify { db } => {
                let store = db.open().await?;
                match store.verify_audit().await? {
                    AuditVerdict::Intact { entries, head } => {
                        println!("audit log intact: {entries} entries, chain head {head}");
                        Ok(ExitCode::SUCCESS)
                    }
                    AuditVerdict::Broken(broken) => {
                        println!("audit log BROKEN at entry {}: {}", broken.seq, broken.reason);
                        Ok(ExitCode::from(2))
                    }
                }
            }
        }
    }
}
