use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use cocare_web::{AppState, Server, WebConfig};

use super::DbArgs;

#[derive(Args)]
pub struct Serve {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on. Loopback by default; put a TLS proxy in front for other hosts.
    #[arg(long, env = "COCARE_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Seed the synthetic demo organisation first (if it is not there) and list its logins.
    #[arg(long)]
    demo: bool,
    /// Seed for the demo organisation.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Mark cookies Secure (use when cocare is served over HTTPS).
    #[arg(long, env = "COCARE_SECURE_COOKIES")]
    secure_cookies: bool,
    #[command(flatten)]
    records: super::records::RecordsArgs,
    /// With --demo: how many synthetic people the demo's records extract has.
    #[arg(long, default_value_t = 5_000)]
    demo_people: u64,
}

/// The demo's own pseudonymisation key, kept beside its records (never use it for real data).
fn demo_key(records_dir: &std::path::Path) -> anyhow::Result<cocare_app::records_domain::pseudonym::PseudonymKey> {
    use cocare_app::records_domain::pseudonym::PseudonymKey;
    let path = records_dir.join("demo-pseudonym.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(PseudonymKey::from_hex(&text)?);
    }
    std::fs::create_dir_all(records_dir).with_context(|| format!("cannot create {}", records_dir.display()))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let key = PseudonymKey::from_random(bytes);
    std::fs::write(&path, key.to_hex()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key)
}

/// Imports a synthetic extract into the demo organisation (once) and saves the example cohort.
async fn demo_records(app: &cocare_app::App, people: u64, seed: u64) -> anyhow::Result<()> {
    use cocare_app::records_domain::cohort::complex_needs_example;
    use cocare_core::Actor;
    let actor = Actor::system("demo");
    let organisation = app
        .organisation_named(cocare_app::DEMO_ORGANISATION)
        .await?
        .context("the demo organisation is missing")?
        .id;
    let overview_empty = app.records_status(organisation)?.is_none();
    if overview_empty {
        let dir = tempfile::tempdir()?;
        super::demo::write_extract(dir.path(), people, seed)?;
        let bar = super::records::import_bar();
        let outcome = app
            .import_records(
                &actor,
                Some(organisation),
                dir.path().to_path_buf(),
                super::records::progress_to(&bar),
            )
            .await?;
        bar.finish_and_clear();
        match outcome {
            Ok(done) => println!(
                "Imported the demo's synthetic records: {} people, {} events.",
                done.status.people, done.status.events
            ),
            Err(rejected) => anyhow::bail!(
                "the demo's synthetic records were rejected: {:?}",
                rejected.rejections.first()
            ),
        }
        let example = complex_needs_example(super::demo::demo_extract_end());
        let (cohort, _) = app.save_cohort(&actor, Some(organisation), None, &example).await?;
        demo_economics(app, organisation, &cohort).await?;
    }
    // Vignettes need the records for their check, so they come after the import.
    app.seed_vignette_demo(organisation).await?;
    Ok(())
}

/// The demo's unit-cost table (the default plus marked proxies) and an evaluation of crisis
/// home treatment first against admission first, within the complex-needs cohort.
async fn demo_economics(
    app: &cocare_app::App,
    organisation: cocare_core::OrganisationId,
    cohort: &str,
) -> anyhow::Result<()> {
    use cocare_app::econ_domain::costs::UnitCostTable;
    use cocare_app::econ_domain::evaluate::EvaluationSpec;
    let actor = cocare_core::Actor::system("demo");
    let (table, _) = app
        .save_unit_cost_table(
            &actor,
            Some(organisation),
            None,
            "Demo: UK default with marked national proxies",
            &UnitCostTable::demo_with_proxies().to_csv(),
        )
        .await?;
    let mut spec = EvaluationSpec::crisis_vs_inpatient();
    spec.name = "Complex needs: crisis home treatment first or admission first".into();
    let saved = cocare_app::SavedEvaluation {
        spec,
        cohort: Some(cohort.to_string()),
        unit_costs: Some(table),
    };
    app.save_evaluation(&actor, Some(organisation), None, &saved).await?;
    Ok(())
}

impl Serve {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        let url = self.db.url()?;
        let mut key = self.records.key()?;
        if self.demo && key.is_none() {
            key = Some(demo_key(&self.records.dir(&url))?);
        }
        let app = self.db.app().await?.with_records(self.records.settings(&url, key));
        if self.demo {
            let summary = super::demo::seed(&app, self.seed).await?;
            demo_records(&app, self.demo_people, self.seed).await?;
            super::demo::print_logins(&summary);
        }
        let state = AppState {
            app: app.clone(),
            config: WebConfig {
                secure_cookies: self.secure_cookies,
                demo: self.demo,
            },
            jobs: Default::default(),
        };
        let server = Server::build(self.bind, state)
            .await
            .with_context(|| format!("cannot listen on {}", self.bind))?;
        let address = server.local_addr()?;
        println!(
            "cocare is serving on http://{address} (database: {})",
            app.store().url()
        );
        tracing::info!(%address, "serving");
        server.run_until_stopped(shutdown_signal()).await?;
        app.store().close().await;
        eprintln!("cocare stopped.");
        Ok(ExitCode::SUCCESS)
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
