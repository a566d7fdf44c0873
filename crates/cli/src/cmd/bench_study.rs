//! `cocare bench study`: the decision study's analysis page (distributions, agreement, the
//! factorial effects, and with logistic regressions) at several numbers of respondents, each
//! answering every item of every vignette, read from the database through the use case.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use cocare_app::vignettes_domain::study::{Answer, Definition, Factor, FactorLevel, Item, StudyVignette};
use cocare_app::{AccountForm, App, AppConfig, DatabaseUrl, OrganisationForm, Store};
use cocare_core::Actor;
use cocare_policy::{Action, Resource, decide};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const PASSWORD: &str = "benchmark password 2026";

/// The target: 500 respondents × 10 vignettes × 10 items under 300 ms.
const TARGET_MS: f64 = 300.0;

#[derive(Args)]
pub struct StudyArgs {
    /// Respondents, comma-separated.
    #[arg(long, default_value = "50,500", value_delimiter = ',')]
    respondents: Vec<u64>,
    #[arg(long, default_value_t = 10)]
    vignettes: usize,
    /// Items per vignette (4 yes/no, 3 choice, 2 scale, then free text).
    #[arg(long, default_value_t = 10)]
    items: usize,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// The database (default: a fresh SQLite file in a temporary directory).
    #[arg(long = "database-url")]
    database_url: Option<String>,
}

fn definition(vignettes: usize, items: usize) -> Definition {
    let items = (0..items)
        .map(|i| Item {
            id: format!("q{i}"),
            prompt: format!("Question {i}"),
            answer: match i {
                0..=3 => Answer::YesNo,
                4..=6 => Answer::Choice {
                    options: ["care coordination", "crisis team", "housing support", "psychology"]
                        .map(String::from)
                        .to_vec(),
                },
                7 | 8 => Answer::Scale { min: 1, max: 7 },
                _ => Answer::Text,
            },
        })
        .collect();
    let vignettes = (0..vignettes)
        .map(|v| StudyVignette {
            vignette: format!("v{v}"),
            version: 1,
            title: format!("Case {v}"),
            story: format!("Case {v} lives alone in a council flat and has used the crisis team often."),
            factors: vec![Factor {
                name: "housing".into(),
                levels: vec![
                    FactorLevel {
                        label: "flat".into(),
                        text: "lives alone in a council flat".into(),
                    },
                    FactorLevel {
                        label: "rough".into(),
                        text: "has been sleeping rough".into(),
                    },
                ],
            }],
        })
        .collect();
    Definition {
        title: "Benchmark study".into(),
        seed: 7,
        items,
        vignettes,
    }
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times.get(times.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub async fn run(args: StudyArgs) -> anyhow::Result<ExitCode> {
    let temp = tempfile::tempdir()?;
    let url = match &args.database_url {
        Some(u) => DatabaseUrl::parse(u)?,
        None => DatabaseUrl::sqlite_file(&temp.path().join("study.sqlite3")),
    };
    let store = Store::open(&url).await?;
    let app = App::new(store.clone(), AppConfig::default());
    let system = Actor::system("bench");
    let tag = format!(
        "{:08x}",
        getrandom::u32().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?
    );
    let organisation = app
        .create_organisation(
            &system,
            &OrganisationForm {
                name: format!("Study benchmark {tag}"),
            },
        )
        .await?;
    let account = app
        .create_account(
            &system,
            &AccountForm {
                username: format!("bench-study-{tag}"),
                display_name: "Benchmark researcher".into(),
                password: PASSWORD.into(),
                role: "researcher".into(),
                organisation: organisation.to_string(),
                team: String::new(),
                person: String::new(),
            },
        )
        .await?;
    let researcher = app
        .actor(account)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the benchmark researcher cannot act"))?;
    let cookie = match app
        .login(&format!("bench-study-{tag}"), secrecy::SecretString::from(PASSWORD))
        .await?
    {
        cocare_app::LoginOutcome::SignedIn { token, .. } => format!("{}={token}", cocare_web::SESSION_COOKIE),
        _ => anyhow::bail!("the benchmark researcher could not sign in"),
    };
    let router = cocare_web::router(cocare_web::AppState {
        app: app.clone(),
        config: cocare_web::WebConfig::default(),
        jobs: Default::default(),
    });
    let permit = decide(
        &researcher,
        Action::ManageVignettes,
        &Resource::Organisation(organisation),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let def = definition(args.vignettes, args.items);
    println!(
        "study: {} vignettes (one factorial attribute each) × {} items, every respondent answering everything; on {url}",
        args.vignettes, args.items
    );
    println!(
        "the analysis page over HTTP (session, gate, read, analyse, charts and tables rendered), the use case alone, \
         and analyse() alone; median of {} runs",
        args.repeats.max(1)
    );
    println!("target: under {TARGET_MS} ms at 500 respondents × 10 vignettes × 10 items\n");
    println!(
        "{:>11} {:>9} {:>9} {:>9} {:>12} {:>22} {:>14} {:>8}",
        "respondents", "answers", "page ms", "page KiB", "use case ms", "with regressions ms", "analyse() ms", "target"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    for &respondents in &args.respondents {
        // A study of its own per size, written straight through the store (its vignettes need
        // no review here: the benchmark measures the analysis, not the approvals).
        let id = format!("bench-{tag}-{respondents}");
        let json = serde_json::to_string(&def)?;
        let mut tx = store.begin_write().await?;
        tx.create_study(&permit, organisation, &id, &json).await?;
        let links: Vec<(String, String)> = (0..respondents)
            .map(|n| (format!("Clinician {n}"), format!("{id}-{n}")))
            .collect();
        let numbers = tx.add_study_invitations(&permit, &id, &links).await?;
        let mut answers = 0;
        for number in numbers {
            let mut rows = Vec::with_capacity(def.vignettes.len() * def.items.len());
            for v in &def.vignettes {
                for item in &def.items {
                    let values = item.answer.values();
                    let answer = if values.is_empty() {
                        "Because of what the case says about housing.".to_string()
                    } else {
                        values
                            .get(rng.random_range(0..values.len()))
                            .cloned()
                            .unwrap_or_default()
                    };
                    rows.push((v.vignette.clone(), item.id.clone(), answer));
                }
            }
            answers += rows.len();
            tx.save_study_answers(&permit, &id, number, &rows).await?;
        }
        tx.commit().await?;
        let mut plain = Vec::new();
        let mut regress = Vec::new();
        let mut pure = Vec::new();
        let mut page = Vec::new();
        let mut kib = 0.0;
        let responses: Vec<cocare_app::vignettes_domain::study::Response> = {
            let mut tx = store.begin_write().await?;
            let answers = tx.study_answers(&permit, &id, None).await?;
            tx.commit().await?;
            answers
                .into_iter()
                .map(|a| cocare_app::vignettes_domain::study::Response {
                    respondent: a.number.unsigned_abs(),
                    vignette: a.vignette,
                    item: a.item,
                    answer: a.answer,
                })
                .collect()
        };
        for _ in 0..args.repeats.max(1) {
            let started = Instant::now();
            let (_, analysis) = app.study_analysis(&researcher, &id, false).await?;
            plain.push(started.elapsed());
            anyhow::ensure!(analysis.respondents == respondents, "every respondent is analysed");
            let started = Instant::now();
            app.study_analysis(&researcher, &id, true).await?;
            regress.push(started.elapsed());
            let started = Instant::now();
            std::hint::black_box(cocare_app::vignettes_domain::study::analyse(&def, &responses, false));
            pure.push(started.elapsed());
            let request = axum::http::Request::builder()
                .uri(format!("/studies/{id}/analysis"))
                .header(axum::http::header::COOKIE, &cookie)
                .body(axum::body::Body::empty())?;
            let started = Instant::now();
            let response = tower::ServiceExt::oneshot(router.clone(), request).await?;
            anyhow::ensure!(
                response.status() == axum::http::StatusCode::OK,
                "the analysis page answered {}",
                response.status()
            );
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            page.push(started.elapsed());
            kib = bytes.len() as f64 / 1024.0;
        }
        let (a, r, p, g) = (median(plain), median(regress), median(pure), median(page));
        let verdict = if respondents >= 500 {
            if g < TARGET_MS { "met" } else { "MISSED" }
        } else {
            ""
        };
        println!("{respondents:>11} {answers:>9} {g:>9.1} {kib:>9.0} {a:>12.1} {r:>22.1} {p:>14.1} {verdict:>8}");
    }
    Ok(ExitCode::SUCCESS)
}
