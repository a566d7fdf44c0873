//! `cocare bench`: measures the foundation's hot path, an audited read of a person's record
//! through the whole stack (session lookup, route gate, policy, read, audit append, commit,
//! HTML rendering), at several concurrency levels, on SQLite or PostgreSQL.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::{Args, Subcommand};
use cocare_app::{App, AppConfig, DEMO_PASSWORD, DatabaseUrl, LoginOutcome, Store};
use cocare_web::{AppState, WebConfig};
use secrecy::SecretString;
use tower::ServiceExt;

use super::DbArgs;

#[derive(Subcommand)]
pub enum Bench {
    /// Audited reads of a person's record, at concurrency 1, 4 and 16.
    Reads(ReadsArgs),
}

#[derive(Args)]
pub struct ReadsArgs {
    /// The database to measure on (seeded with the demo organisation if it has none). Without
    /// it, a fresh SQLite file in a temporary directory.
    #[command(flatten)]
    db: DbArgs,
    /// Requests per concurrency level.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
}

impl Bench {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Bench::Reads(args) => args.run().await,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

impl ReadsArgs {
    async fn run(self) -> anyhow::Result<ExitCode> {
        let temp = tempfile::tempdir()?;
        let url = match &self.db.database_url {
            Some(_) => self.db.url()?,
            None => DatabaseUrl::sqlite_file(&temp.path().join("bench.sqlite3")),
        };
        let store = Store::open(&url).await?;
        let app = App::new(store, AppConfig::default());
        app.seed_demo(2026, &|_| {}).await?;
        let LoginOutcome::SignedIn { token, actor, .. } = app.login("alex", SecretString::from(DEMO_PASSWORD)).await?
        else {
            anyhow::bail!("the demo clinician could not sign in; is this a demo database?");
        };
        let people: Vec<String> = app
            .list_people(&actor)
            .await?
            .into_iter()
            .map(|p| p.id.to_string())
            .collect();
        anyhow::ensure!(!people.is_empty(), "the demo clinician has an empty caseload");
        let router = cocare_web::router(AppState {
            app: app.clone(),
            config: WebConfig::default(),
        });
        let cookie = Arc::new(format!("{}={token}", cocare_web::SESSION_COOKIE));
        let people = Arc::new(people);
        println!(
            "audited person reads through the whole stack on {} ({} requests per level)",
            url, self.requests
        );
        println!(
            "{:>11} {:>12} {:>10} {:>10} {:>10}",
            "concurrency", "requests/s", "p50 ms", "p95 ms", "p99 ms"
        );
        for concurrency in [1_usize, 4, 16] {
            let per_task = self.requests.div_ceil(concurrency);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for task in 0..concurrency {
                let router = router.clone();
                let cookie = Arc::clone(&cookie);
                let people = Arc::clone(&people);
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_task);
                    for i in 0..per_task {
                        let person = people.get((task * 7 + i) % people.len()).cloned().unwrap_or_default();
                        let request = Request::builder()
                            .uri(format!("/people/{person}"))
                            .header(header::COOKIE, cookie.as_str())
                            .body(Body::empty())?;
                        let begun = Instant::now();
                        let response = router.clone().oneshot(request).await?;
                        anyhow::ensure!(
                            response.status() == StatusCode::OK,
                            "a read answered {}",
                            response.status()
                        );
                        latencies.push(begun.elapsed());
                    }
                    Ok::<_, anyhow::Error>(latencies)
                }));
            }
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await??);
            }
            let elapsed = started.elapsed();
            latencies.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{:>11} {:>12.0} {:>10.2} {:>10.2} {:>10.2}",
                concurrency,
                latencies.len() as f64 / elapsed.as_secs_f64(),
                ms(percentile(&latencies, 0.50)),
                ms(percentile(&latencies, 0.95)),
                ms(percentile(&latencies, 0.99)),
            );
        }
        match app.verify_audit().await? {
            cocare_app::AuditVerdict::Intact { entries, .. } => {
                println!("audit chain intact after the run: {entries} entries")
            }
            cocare_app::AuditVerdict::Broken(broken) => anyhow::bail!("the audit chain broke at entry {}", broken.seq),
        }
        Ok(ExitCode::SUCCESS)
    }
}
