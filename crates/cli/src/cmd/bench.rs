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
    /// The care plan page with years of reviews, and the team dashboard at several team sizes.
    Plans(PlansArgs),
    /// Records: import throughput, cohort + Table 1 time and peak memory at several sizes.
    Records(RecordsArgs),
    /// Economics: costing at several sizes and the bootstrap with CEAC, beside pandas, DuckDB
    /// and numpy (scripts/econ_peer.py) when a Python is given.
    Econ(EconArgs),
    /// Qualitative workbench: a project of synthetic transcripts and codings imported from QDPX,
    /// then full-text search, the framework matrix and QDPX export, at several sizes.
    Qual(QualArgs),
    /// Vignettes: the k check's profile build, load from cache and check at several sizes.
    Vignette(super::bench_vignette::VignetteArgs),
    /// Decision studies: the analysis page at several numbers of respondents.
    Study(super::bench_study::StudyArgs),
}

#[derive(Args)]
pub struct QualArgs {
    /// Transcripts per project (about 10,000 words each), comma-separated.
    #[arg(long, default_value = "50,200,500", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Codings in the largest project (the others get the same share per transcript).
    #[arg(long, default_value_t = 100_000)]
    codings: usize,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// The database to measure on (default: a fresh SQLite file in a temporary directory);
    /// `postgres://…` measures PostgreSQL.
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct EconArgs {
    /// People in the synthetic resource use (about 50 events each), comma-separated.
    #[arg(long, default_value = "100000,1000000", value_delimiter = ',')]
    sizes: Vec<u32>,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    #[arg(long, default_value_t = 10_000)]
    replicates: usize,
    /// People per pathway in the bootstrap.
    #[arg(long = "bootstrap-people", default_value_t = 50_000)]
    bootstrap_people: usize,
    #[arg(long, default_value_t = 100)]
    thresholds: usize,
    /// A Python with numpy, pandas and pyarrow (and duckdb) to run the peers beside cocare.
    #[arg(long)]
    python: Option<String>,
    #[arg(long = "peer-script", default_value = "scripts/econ_peer.py")]
    peer_script: std::path::PathBuf,
    /// Keep the generated files here and reuse them on the next run.
    #[arg(long)]
    cache: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct RecordsArgs {
    /// Extract sizes (people; about 50 rows each), comma-separated.
    #[arg(long, default_value = "10000,100000,1000000", value_delimiter = ',')]
    sizes: Vec<u64>,
    /// How many times the cohort is run; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
}

#[derive(Args)]
pub struct PlansArgs {
    /// Team sizes (plans) for the dashboard, comma-separated.
    #[arg(long, default_value = "500,2000,5000", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// How many times each page is rendered; the median is reported.
    #[arg(long, default_value_t = 15)]
    repeats: usize,
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
            Bench::Plans(args) => plans::run(args.sizes, args.repeats).await,
            Bench::Qual(a) => {
                super::bench_qual::run(super::bench_qual::Options {
                    sizes: a.sizes,
                    codings: a.codings,
                    repeats: a.repeats,
                    database_url: a.db.database_url,
                })
                .await
            }
            Bench::Records(args) => super::bench_records::run(args.sizes, args.repeats).await,
            Bench::Vignette(args) => super::bench_vignette::run(args).await,
            Bench::Study(args) => super::bench_study::run(args).await,
            Bench::Econ(a) => {
                super::bench_econ::run(super::bench_econ::Options {
                    sizes: a.sizes,
                    repeats: a.repeats,
                    replicates: a.replicates,
                    bootstrap_people: a.bootstrap_people,
                    thresholds: a.thresholds,
                    python: a.python,
                    script: a.peer_script,
                    cache: a.cache,
                })
                .await
            }
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
            jobs: Default::default(),
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

mod plans {
    //! Synthetic plans, written straight through the store as the system actor, then the two
    //! pages people wait for, rendered through the whole stack.

    use std::time::{Duration, Instant};

    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use cocare_app::{AccountForm, App, AppConfig, DatabaseUrl, LoginOutcome, Store};
    use cocare_careplan::dialog::DialogRating;
    use cocare_careplan::{Attribution, CarePlan, DialogItem, Rating, SectionKind, Stance};
    use cocare_core::{Actor, OrganisationId, PersonId, Role, TeamId, parse_timestamp};
    use cocare_policy::{Action, Resource, decide};
    use cocare_store::{NewPerson, PersonKind, StoredPlan};
    use cocare_web::{AppState, WebConfig};
    use secrecy::SecretString;
    use tower::ServiceExt;

    const PASSWORD: &str = "benchmark password";

    fn by(role: Role, year: u32, month: u32) -> Attribution {
        let at = parse_timestamp(&format!("{year}-{month:02}-01T10:00:00Z")).unwrap_or_default();
        Attribution {
            author: format!("{role}"),
            role,
            at,
        }
    }

    /// A plan version as a person and coordinator would write it over one review.
    fn version(year: u32, month: u32) -> anyhow::Result<CarePlan> {
        let mut plan = CarePlan::new();
        let sections = [
            SectionKind::AboutMe,
            SectionKind::Strengths,
            SectionKind::EarlyWarningSigns,
            SectionKind::WhatHelps,
            SectionKind::WhoToContact,
        ];
        for section in sections {
            let revision = plan.revision(section);
            plan.contribute(
                section,
                "Words written together at this review, kept as written.",
                by(Role::ServiceUser, year, month),
                revision,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let revision = plan.revision(SectionKind::AboutMe);
        plan.contribute(
            SectionKind::AboutMe,
            "Clinical wording beside the person's own.",
            by(Role::Clinician, year, month),
            revision,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        for g in 0..2 {
            let goal = plan
                .add_goal(
                    &format!("Goal {g} in the person's words"),
                    by(Role::ServiceUser, year, month),
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            plan.add_action(goal, "A step towards it", "Me", "2030-01-01")
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        for section in sections.into_iter().chain([SectionKind::Goals]) {
            plan.agree(section, Stance::Agree, by(Role::ServiceUser, year, month))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        plan.finalise(by(Role::Clinician, year, month))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(plan)
    }

    struct Fixture {
        app: App,
        router: axum::Router,
        team: TeamId,
        organisation: OrganisationId,
    }

    async fn fixture(dir: &std::path::Path) -> anyhow::Result<Fixture> {
        let store = Store::open(&DatabaseUrl::sqlite_file(&dir.join("plans.sqlite3"))).await?;
        let app = App::new(store, AppConfig::default());
        let system = Actor::system("bench");
        let organisation = OrganisationId::new();
        let team = TeamId::new();
        let mut tx = app.store().begin_write().await?;
        tx.insert_organisation(organisation, "Benchmark Trust").await?;
        tx.insert_team(team, organisation, "Benchmark Team").await?;
        tx.commit().await?;
        for (name, role) in [("bench-lead", "team_lead"), ("bench-clinician", "clinician")] {
            let form = AccountForm {
                username: name.into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                role: role.into(),
                organisation: organisation.to_string(),
                team: team.to_string(),
                person: String::new(),
            };
            app.create_account(&system, &form).await?;
        }
        let router = cocare_web::router(AppState {
            app: app.clone(),
            config: WebConfig::default(),
            jobs: Default::default(),
        });
        Ok(Fixture {
            app,
            router,
            team,
            organisation,
        })
    }

    /// Adds people with plans to the team: `versions` finalised versions each (the last one
    /// current) and a DIALOG round per version.
    async fn add_people(f: &Fixture, count: usize, versions: u32) -> anyhow::Result<Vec<PersonId>> {
        let system = Actor::system("bench");
        let record = decide(&system, Action::RecordPerson, &Resource::Own)?;
        let finalise = decide(&system, Action::FinaliseCarePlan, &Resource::Own)?;
        let write = decide(&system, Action::WriteCarePlan, &Resource::Own)?;
        let mut tx = f.app.store().begin_write().await?;
        let mut people = Vec::with_capacity(count);
        for n in 0..count {
            let id = PersonId::new();
            tx.insert_person(
                &record,
                &NewPerson {
                    id,
                    organisation_id: f.organisation,
                    team_id: Some(f.team),
                    kind: PersonKind::ServiceUser,
                    given_name: format!("Person{n}"),
                    family_name: "Synthetic".into(),
                    date_of_birth: "1980-01-01".into(),
                    gender: "Woman".into(),
                    ethnicity: "White other".into(),
                    preferred_language: "English".into(),
                },
            )
            .await?;
            let mut previous: Option<StoredPlan> = None;
            for v in 0..versions {
                let (year, month) = (2021 + v / 2, if v % 2 == 0 { 1 } else { 7 });
                let mut plan = version(year, month)?;
                plan.version = v + 1;
                let id_text = tx.insert_care_plan(&finalise, id, &plan, Some("2031-01-01")).await?;
                let stored = StoredPlan {
                    id: id_text,
                    person: id,
                    plan: CarePlan {
                        finalised: None,
                        ..plan.clone()
                    },
                    review_due: None,
                    copies: vec![],
                };
                tx.save_care_plan(&finalise, &stored, &plan).await?;
                if let Some(old) = previous.take() {
                    tx.supersede_care_plan(&finalise, &old).await?;
                }
                let mut ratings = Vec::new();
                for (i, item) in DialogItem::ALL.iter().enumerate() {
                    let value = i64::try_from((i + usize::try_from(v).unwrap_or(0)) % 7 + 1).unwrap_or(4);
                    ratings.push(DialogRating {
                        item: *item,
                        rating: Rating::new(value)?,
                        wants_more_help: value < 3,
                    });
                }
                tx.insert_dialog(
                    &write,
                    id,
                    &format!("{year}-{month:02}-01T10:00:00.000000Z"),
                    &ratings,
                    "bench",
                )
                .await?;
                previous = Some(stored);
            }
            people.push(id);
        }
        tx.commit().await?;
        Ok(people)
    }

    async fn session(app: &App, username: &str) -> anyhow::Result<String> {
        match app.login(username, SecretString::from(PASSWORD)).await? {
            LoginOutcome::SignedIn { token, .. } => Ok(format!("{}={token}", cocare_web::SESSION_COOKIE)),
            _ => anyhow::bail!("the benchmark account could not sign in"),
        }
    }

    async fn median(router: &axum::Router, cookie: &str, path: &str, repeats: usize) -> anyhow::Result<Duration> {
        let mut times = Vec::with_capacity(repeats);
        for _ in 0..repeats.max(1) {
            let request = Request::builder()
                .uri(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())?;
            let started = Instant::now();
            let response = router.clone().oneshot(request).await?;
            anyhow::ensure!(
                response.status() == StatusCode::OK,
                "{path} answered {}",
                response.status()
            );
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            times.push(started.elapsed());
        }
        times.sort();
        Ok(times.get(times.len() / 2).copied().unwrap_or_default())
    }

    pub async fn run(sizes: Vec<usize>, repeats: usize) -> anyhow::Result<std::process::ExitCode> {
        let dir = tempfile::tempdir()?;
        let f = fixture(dir.path()).await?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        // One person with five years of six-monthly reviews.
        let long = add_people(&f, 1, 10).await?;
        let clinician = session(&f.app, "bench-clinician").await?;
        let person = long.first().copied().unwrap_or_default();
        let page = median(&f.router, &clinician, &format!("/people/{person}/plan"), repeats).await?;
        println!(
            "care plan page, 10 versions over 5 years, 10 DIALOG rounds: median {:.2} ms (target < 20 ms)",
            ms(page)
        );
        println!(
            "{:>8} {:>14} {:>10} {:>10}",
            "plans", "dashboard ms", "target", "of it data"
        );
        let lead = session(&f.app, "bench-lead").await?;
        let mut have = 1;
        for size in sizes {
            if size > have {
                add_people(&f, size - have, 1).await?;
                have = size;
            }
            let took = median(&f.router, &lead, "/team", repeats.min(7)).await?;
            let actor = f
                .app
                .session(lead.split('=').nth(1).unwrap_or_default())
                .await?
                .map(|s| s.actor);
            let started = Instant::now();
            if let Some(actor) = &actor {
                f.app.team_dashboards(actor, "2026-01-01").await?;
            }
            let data = started.elapsed();
            println!("{:>8} {:>14.1} {:>10} {:>10.1}", have, ms(took), "< 200 ms", ms(data));
        }
        Ok(std::process::ExitCode::SUCCESS)
    }
}
