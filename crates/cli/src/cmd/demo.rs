use std::process::ExitCode;

use clap::Args;
use cocare_app::{App, DEMO_PASSWORD, DemoSummary};

use super::{DbArgs, spinner};

#[derive(Args)]
pub struct Demo {
    #[command(flatten)]
    db: DbArgs,
    /// The same seed gives the same synthetic organisation.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

pub async fn seed(app: &App, seed: u64) -> anyhow::Result<DemoSummary> {
    let bar = spinner("seeding the synthetic demo organisation");
    let summary = app.seed_demo(seed, &|step| bar.set_message(step.to_owned())).await;
    bar.finish_and_clear();
    Ok(summary?)
}

pub fn print_logins(summary: &DemoSummary) {
    println!("Demo logins (synthetic data only), password {DEMO_PASSWORD:?}:");
    for login in &summary.logins {
        println!(
            "  {:<8} {:<16} {}",
            login.username,
            login.role.as_str(),
            login.display_name
        );
    }
}

impl Demo {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let app = self.db.app().await?;
        let summary = seed(&app, self.seed).await?;
        if summary.created {
            println!(
                "Created {}: {} teams, {} service users, {} carers.",
                summary.organisation, summary.teams, summary.service_users, summary.carers
            );
        } else {
            println!("{} already exists; nothing was changed.", summary.organisation);
        }
        print_logins(&summary);
        Ok(ExitCode::SUCCESS)
    }
}
