use std::process::ExitCode;

use clap::Args;
use cocare_app::Store;

use super::DbArgs;

#[derive(Args)]
pub struct Migrate {
    #[command(flatten)]
    db: DbArgs,
}

impl Migrate {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let url = self.db.url()?;
        let store = Store::connect(&url).await?;
        let applied = store.migrate().await?;
        println!(
            "{url}: {applied} migration(s) applied; schema version {}",
            store.latest_migration()
        );
        Ok(ExitCode::SUCCESS)
    }
}
