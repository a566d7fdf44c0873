pub mod audit;
pub mod backup;
pub mod bench;
pub mod bench_econ;
pub mod bench_qual;
pub mod bench_records;
pub mod bench_study;
pub mod bench_vignette;
pub mod careplan;
pub mod demo;
pub mod econ;
pub mod engage;
pub mod migrate;
pub mod qual;
pub mod records;
pub mod serve;
pub mod study;
pub mod user;
pub mod vignette;

use anyhow::Context;
use clap::Args;
use cocare_app::{App, AppConfig, DatabaseUrl, Store};
use indicatif::{ProgressBar, ProgressStyle};

/// Where the data lives. Shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// `sqlite://PATH` (the default is `sqlite://data/cocare.sqlite3`) or `postgres://USER@HOST/DB`.
    #[arg(long = "database-url", env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub fn url(&self) -> anyhow::Result<DatabaseUrl> {
        match &self.database_url {
            Some(raw) => Ok(DatabaseUrl::parse(raw)?),
            None => Ok(DatabaseUrl::default_sqlite()),
        }
    }

    /// Connects and migrates.
    pub async fn open(&self) -> anyhow::Result<Store> {
        let url = self.url()?;
        let store = Store::open(&url)
            .await
            .with_context(|| format!("cannot open the database at {url}"))?;
        Ok(store)
    }

    pub async fn app(&self) -> anyhow::Result<App> {
        Ok(App::new(self.open().await?, AppConfig::default()))
    }
}

/// Logs go to stderr, as ids and events only; `RUST_LOG` adjusts the level.
pub fn init_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A spinner on stderr for long jobs (hidden when stderr is not a terminal).
pub fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
