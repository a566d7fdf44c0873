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
    /// Write a synthetic records extract in the import layout to this folder (and touch no database).
    #[arg(long = "records-out")]
    records_out: Option<std::path::PathBuf>,
    /// How many people the synthetic records extract has.
    #[arg(long, default_value_t = 10_000)]
    people: u64,
}

/// The last day of the synthetic extract (and the demo cohort's index date).
pub fn demo_extract_end() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default()
}

/// Writes the synthetic extract with a progress bar; returns rows written.
pub fn write_extract(dir: &std::path::Path, people: u64, seed: u64) -> anyhow::Result<u64> {
    let bar = indicatif::ProgressBar::new(people);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} people ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let synth = cocare_app::records_domain::synth::Synth::new(seed, demo_extract_end());
    let rows = cocare_analytics::synth::write_extract(dir, &synth, people, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    Ok(rows)
}

pub async fn seed(app: &App, seed: u64) -> anyhow::Result<DemoSummary> {
    let bar = spinner("seeding the synthetic demo organisation");
    let summary = app.seed_demo(seed, &|step| bar.set_message(step.to_owned())).await?;
    bar.set_message("the demo's qualitative project");
    if let Some(organisation) = app.organisation_named(cocare_app::DEMO_ORGANISATION).await? {
        app.seed_qual_demo(organisation.id).await?;
        bar.set_message("the demo's engagement and funding changes");
        app.seed_engage_demo(organisation.id).await?;
    }
    bar.finish_and_clear();
    Ok(summary)
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
        if let Some(dir) = &self.records_out {
            let rows = write_extract(dir, self.people, self.seed)?;
            println!(
                "Wrote a synthetic records extract of {} people ({rows} rows) to {} (synthetic: never real people).",
                self.people,
                dir.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
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
