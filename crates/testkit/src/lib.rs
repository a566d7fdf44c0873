//! Test support shared by the crates' integration tests.
//!
//! - [`TestDb`]: a fresh database per test, on SQLite (a file in a temporary directory) or on
//!   PostgreSQL (a new database on the server named by `COCARE_TEST_POSTGRES`, by default
//!   `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards.
//! - [`backends`]: the backends every store and web test runs on. PostgreSQL is included when
//!   it answers; when the `CI` environment variable is set and it does not, this panics, so CI
//!   fails loudly instead of skipping.
//! - [`TestApp`]: the seeded demo organisation behind the real router, and a [`Client`] per
//!   person that keeps cookies and CSRF tokens as a browser would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod client;

use std::time::Duration;

use cocare_app::{App, AppConfig, DatabaseUrl, Store};
use cocare_store::Backend;
use cocare_web::{AppState, WebConfig};
use sqlx::Executor;

pub use client::{Client, Reply};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_postgres_url() -> String {
    std::env::var("COCARE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
}

/// The backends to run on: SQLite always; PostgreSQL when it answers (and always under CI).
pub async fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if postgres_available().await {
        out.push(Backend::Postgres);
    }
    out
}

async fn postgres_available() -> bool {
    sqlx::any::install_default_drivers();
    let url = admin_postgres_url();
    let attempt = tokio::time::timeout(Duration::from_secs(5), connect(&url)).await;
    match attempt {
        Ok(Ok(_)) => true,
        Ok(Err(err)) => postgres_missing(&format!("{err}")),
        Err(_) => postgres_missing("timed out"),
    }
}

fn postgres_missing(why: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI is set but PostgreSQL at {} cannot be reached: {why}",
            admin_postgres_url()
        );
    }
    eprintln!("note: PostgreSQL is not reachable ({why}); running on SQLite only");
    false
}

async fn connect(url: &str) -> Result<sqlx::AnyConnection, sqlx::Error> {
    use sqlx::Connection;
    sqlx::AnyConnection::connect(url).await
}

/// A fresh, empty database, removed when dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = DatabaseUrl::sqlite_file(&dir.path().join("cocare.sqlite3"));
                TestDb {
                    url,
                    _dir: Some(dir),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let name = format!("cocare_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = connect(&admin_postgres_url()).await.unwrap();
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap();
                let base = admin_postgres_url();
                let url = match base.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("COCARE_TEST_POSTGRES must end with a database name"),
                };
                TestDb {
                    url: DatabaseUrl::parse(&url).unwrap(),
                    _dir: None,
                    postgres_name: Some(name),
                }
            }
        }
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Store {
        Store::open(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.postgres_name.take() {
            // Dropping needs its own runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(mut admin) = connect(&admin_postgres_url()).await {
                        let _ = admin
                            .execute(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn router_for(app: &App) -> axum::Router {
    cocare_web::router(AppState {
        app: app.clone(),
        config: WebConfig {
            secure_cookies: false,
            demo: true,
        },
        jobs: Default::default(),
    })
}

/// A seeded cocare behind its real router, with one signed-out client to start from.
pub struct TestApp {
    pub db: TestDb,
    pub app: App,
    pub router: axum::Router,
    /// The analytic store, when the records module is on (`spawn_with_records`).
    pub records_dir: Option<tempfile::TempDir>,
    /// The demo's example cohort, saved over imported synthetic records.
    pub cohort: Option<String>,
}

/// The pseudonymisation key every test uses.
pub fn test_key() -> cocare_records::pseudonym::PseudonymKey {
    cocare_records::pseudonym::PseudonymKey::from_random([9; 32])
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, AppConfig::default()).await
    }

    pub async fn spawn_with(backend: Backend, config: AppConfig) -> TestApp {
        let db = TestDb::new(backend).await;
        let app = App::new(db.store().await, config);
        app.seed_demo(2026, &|_| {}).await.unwrap();
        let router = router_for(&app);
        TestApp {
            db,
            app,
            router,
            records_dir: None,
            cohort: None,
        }
    }

    /// As `spawn`, with the records module: a synthetic extract of `people` people imported
    /// into the demo organisation, and the example "Complex needs" cohort saved.
    pub async fn spawn_with_records(backend: Backend, people: u64) -> TestApp {
        use cocare_records::cohort::complex_needs_example;
        let db = TestDb::new(backend).await;
        let records_dir = tempfile::tempdir().unwrap();
        let engine = std::sync::Arc::new(cocare_analytics::query::Engine::new(
            records_dir.path(),
            cocare_analytics::query::Cluster::Local,
        ));
        let settings = cocare_app::RecordsSettings {
            engine: Some(engine.clone()),
            econ: Some(engine.clone()),
            vignettes: Some(engine),
            key: Some(test_key()),
            disclosure: Default::default(),
        };
        let app = App::new(db.store().await, AppConfig::default()).with_records(settings);
        app.seed_demo(2026, &|_| {}).await.unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let extract = tempfile::tempdir().unwrap();
        cocare_analytics::synth::write_extract(
            extract.path(),
            &cocare_records::synth::Synth::new(5, end),
            people,
            &|_| {},
        )
        .unwrap();
        let system = cocare_core::Actor::system("test");
        let organisation = app
            .organisation_named(cocare_app::DEMO_ORGANISATION)
            .await
            .unwrap()
            .unwrap()
            .id;
        app.import_records(
            &system,
            Some(organisation),
            extract.path().to_path_buf(),
            std::sync::Arc::new(|_| {}),
        )
        .await
        .unwrap()
        .unwrap();
        let (cohort, _) = app
            .save_cohort(&system, Some(organisation), None, &complex_needs_example(end))
            .await
            .unwrap();
        let router = router_for(&app);
        TestApp {
            db,
            app,
            router,
            records_dir: Some(records_dir),
            cohort: Some(cohort),
        }
    }

    /// A client with no session.
    pub fn anonymous(&self) -> Client {
        Client::new(self.router.clone())
    }

    /// A client signed in through the sign-in form as a demo user.
    pub async fn signed_in(&self, username: &str) -> Client {
        let mut client = self.anonymous();
        client.sign_in(username, cocare_app::DEMO_PASSWORD).await;
        client
    }

    /// The actor behind a demo login, for calling use cases directly.
    pub async fn actor_of(&self, username: &str) -> cocare_core::Actor {
        let account = self.app.store().account_by_username(username).await.unwrap().unwrap();
        self.app.actor(account.id).await.unwrap().unwrap()
    }

    /// The person id behind a demo login (Sam, Casey).
    pub async fn person_of(&self, username: &str) -> cocare_core::PersonId {
        let account = self.app.store().account_by_username(username).await.unwrap().unwrap();
        account.person_id.unwrap()
    }
}
