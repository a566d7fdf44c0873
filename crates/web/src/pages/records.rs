//! Records: import an extract (with progress), define and version cohorts, see their
//! characterisation with charts, download CSV, XLSX and the HTML report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use cocare_app::records_domain::codes::DiagnosisGroup;
use cocare_app::records_domain::cohort::{
    AgeRule, CohortDefinition, CountRule, Criterion, DiagnosisRule, DistinctAgenciesRule, Rule, SCHEMA,
};
use cocare_app::records_domain::engine::{ImportDone, ImportProgress};
use cocare_app::records_domain::layout::{EventKind, Rejection};
use cocare_app::{AppError, CohortView, FieldError, ImportRejected, RecordsOverview};
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::records_report::ResultsView;
use crate::views::{Errors, Layout, render};

/// Imports running or finished in this server, by job id; each visible only to who started it.
#[derive(Clone, Default)]
pub struct ImportJobs(Arc<Mutex<HashMap<String, ImportJob>>>);

#[derive(Clone)]
pub struct ImportJob {
    owner: String,
    progress: ImportProgress,
    state: JobState,
}

#[derive(Clone)]
enum JobState {
    Running,
    Done(ImportDone),
    Rejected(ImportRejected),
    Failed(String),
}

impl ImportJobs {
    fn update(&self, id: &str, f: impl FnOnce(&mut ImportJob)) {
        if let Ok(mut jobs) = self.0.lock()
            && let Some(job) = jobs.get_mut(id)
        {
            f(job);
        }
    }

    fn get(&self, id: &str) -> Option<ImportJob> {
        self.0.lock().ok().and_then(|jobs| jobs.get(id).cloned())
    }
}

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    layout: Layout,
    overview: RecordsOverview,
    people: String,
    events: String,
    threshold: u64,
    errors: Errors,
}

pub async fn get_records(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    page(&state, &signed_in, Errors::default(), StatusCode::OK).await
}

async fn page(state: &AppState, signed_in: &SignedIn, errors: Errors, status: StatusCode) -> HtmlResult {
    let overview = state.app.records_overview(signed_in.actor()).await.html()?;
    let (people, events) = match &overview.status {
        Some(s) => (s.people.to_string(), s.events.to_string()),
        None => (String::new(), String::new()),
    };
    let page = RecordsPage {
        layout: Layout::new("Records and cohorts", Some(&signed_in.0), "/records"),
        threshold: overview.disclosure.threshold,
        overview,
        people,
        events,
        errors,
    };
    Ok(render(status, &page))
}

/// File names the import accepts: layout files and FHIR bundles, no paths.
fn safe_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default().to_ascii_lowercase();
    let ok = !base.is_empty()
        && !base.starts_with('.')
        && base.len() <= 80
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && [".csv", ".parquet", ".json"].iter().any(|ext| base.ends_with(ext));
    ok.then_some(base)
}

/// Why an upload could not be received: something the person can fix, or our side.
enum Upload {
    Problem(String),
    Internal,
}

/// Streams every chosen file into `dir`, stopping at the first problem.
async fn receive_files(multipart: &mut Multipart, dir: &std::path::Path) -> Result<Vec<String>, Upload> {
    let mut names: Vec<String> = Vec::new();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(names),
            Err(e) => {
                return Err(Upload::Problem(format!(
                    "The upload did not arrive whole ({}). Please try again.",
                    e.body_text()
                )));
            }
        };
        if field.name() != Some("files") {
            continue;
        }
        let raw = field.file_name().map(str::to_string).unwrap_or_default();
        if raw.is_empty() {
            continue;
        }
        let Some(name) = safe_name(&raw) else {
            return Err(Upload::Problem(format!(
                "{raw:?} is not a file the import takes: use the layout's names (people.csv, contacts.csv, …), .parquet files, or FHIR bundles (.json)."
            )));
        };
        if names.contains(&name) {
            return Err(Upload::Problem(format!(
                "{name} was chosen twice; choose each file once."
            )));
        }
        let mut file = tokio::fs::File::create(dir.join(&name))
            .await
            .map_err(|_| Upload::Internal)?;
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => tokio::io::AsyncWriteExt::write_all(&mut file, &bytes)
                    .await
                    .map_err(|_| Upload::Internal)?,
                Ok(None) => break,
                Err(e) => {
                    return Err(Upload::Problem(format!(
                        "The upload of {name} did not arrive whole ({}).",
                        e.body_text()
                    )));
                }
            }
        }
        names.push(name);
    }
}

/// Receives the files (streamed to a private folder), starts the import, and sends the browser
/// to its progress page.
pub async fn post_import(State(state): State<AppState>, signed_in: SignedIn, mut multipart: Multipart) -> HtmlResult {
    let dir = tempfile::tempdir().map_err(|_| internal())?;
    let (names, mut problem) = match receive_files(&mut multipart, dir.path()).await {
        Ok(names) => (names, None),
        Err(Upload::Problem(message)) => (Vec::new(), Some(message)),
        Err(Upload::Internal) => return Err(internal()),
    };
    if problem.is_none() && names.is_empty() {
        problem = Some("Choose the files to import: at least people.csv (or people.parquet, or FHIR bundles).".into());
    }
    if let Some(message) = problem {
        return page(
            &state,
            &signed_in,
            Errors(vec![FieldError::new("files", message)]),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let owner = signed_in.actor().audit_name();
    if let Ok(mut jobs) = state.jobs.0.lock() {
        // Finished jobs are kept for their pages; the oldest go once there are many.
        if jobs.len() >= 100
            && let Some(oldest) = jobs
                .iter()
                .find(|(_, j)| !matches!(j.state, JobState::Running))
                .map(|(k, _)| k.clone())
        {
            jobs.remove(&oldest);
        }
        jobs.insert(
            id.clone(),
            ImportJob {
                owner,
                progress: ImportProgress::default(),
                state: JobState::Running,
            },
        );
    }
    let jobs = state.jobs.clone();
    let app = state.app.clone();
    let actor = signed_in.actor().clone();
    let job = id.clone();
    tokio::spawn(async move {
        let progress_jobs = jobs.clone();
        let progress_job = job.clone();
        let progress: cocare_app::records_domain::engine::ProgressFn = Arc::new(move |p: &ImportProgress| {
            let p = p.clone();
            progress_jobs.update(&progress_job, |j| j.progress = p);
        });
        let result = app
            .import_records(&actor, None, dir.path().to_path_buf(), progress)
            .await;
        let state = match result {
            Ok(Ok(done)) => JobState::Done(done),
            Ok(Err(rejected)) => JobState::Rejected(rejected),
            Err(e) => JobState::Failed(match e {
                AppError::Unavailable(why) | AppError::Conflict(why) => why,
                AppError::Forbidden => "You may not import records.".into(),
                _ => "The import failed on our side; nothing was imported.".into(),
            }),
        };
        jobs.update(&job, |j| j.state = state);
        drop(dir);
    });
    Ok(Redirect::to(&format!("/records/imports/{id}")).into_response())
}

fn internal() -> WebError {
    WebError::new(
        Audience::Html,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side.",
    )
}

#[derive(Template)]
#[template(path = "records_import.html")]
struct ImportPage {
    layout: Layout,
    running: bool,
    percent: u32,
    rows: u64,
    rate: String,
    done: Option<ImportDone>,
    rejections: Vec<Rejection>,
    rejected_total: u64,
    failed: Option<String>,
}

pub async fn get_import(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let job = state
        .jobs
        .get(&id)
        .filter(|j| j.owner == signed_in.actor().audit_name())
        .ok_or_else(|| WebError::new(Audience::Html, StatusCode::NOT_FOUND, "There is no such import."))?;
    let p = &job.progress;
    let percent = (p.bytes_done * 100).checked_div(p.bytes_total).unwrap_or(0) as u32;
    let rate = if p.seconds > 0.0 {
        format!("{:.0}", p.rows as f64 / p.seconds)
    } else {
        "–".into()
    };
    let (running, done, rejections, rejected_total, failed) = match job.state {
        JobState::Running => (true, None, Vec::new(), 0, None),
        JobState::Done(d) => (false, Some(d), Vec::new(), 0, None),
        JobState::Rejected(r) => (false, None, r.rejections, r.total, None),
        JobState::Failed(why) => (false, None, Vec::new(), 0, Some(why)),
    };
    let status = if rejected_total > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ImportPage {
        layout: Layout::new(
            if running {
                "Importing records"
            } else {
                "Import finished"
            },
            Some(&signed_in.0),
            "/records",
        ),
        running,
        percent,
        rows: p.rows,
        rate,
        done,
        rejections,
        rejected_total,
        failed,
    };
    let mut response = render(status, &page);
    if running {
        // Without JavaScript, the page refreshes itself until the import ends.
        if let Ok(v) = header::HeaderValue::from_str("1") {
            response.headers_mut().insert(header::REFRESH, v);
        }
    }
    Ok(response)
}

/// The cohort builder's fields, kept as typed so a failed form shows them again.
#[derive(Debug, Clone, Default)]
pub struct CohortForm {
    pub name: String,
    pub description: String,
    pub index_date: String,
    pub window_months: String,
    /// (kind, at least, within months) for up to three "any of" rows.
    pub entry: Vec<(String, String, String)>,
    pub diagnoses: Vec<String>,
    pub age_min: String,
    pub age_max: String,
    pub json: String,
}

pub const ENTRY_KINDS: [(&str, &str); 8] = [
    ("", "Not used"),
    ("admissions", "Mental health admissions"),
    ("detentions", "Mental Health Act detentions"),
    ("crisis", "Crisis team contacts"),
    ("contacts", "Community contacts attended"),
    ("ae", "A&E attendances"),
    ("police", "Police contacts (including custody)"),
    ("agencies", "Different agencies in contact"),
];

impl CohortForm {
    fn example() -> CohortForm {
        let def = cocare_app::records_domain::cohort::complex_needs_example(
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default(),
        );
        CohortForm::from_definition(&def)
    }

    fn parse(body: &Bytes) -> CohortForm {
        let f = FormFields::parse(body);
        CohortForm {
            name: f.get("name"),
            description: f.get("description"),
            index_date: f.get("index_date"),
            window_months: f.get("window_months"),
            entry: (1..=3)
                .map(|i| {
                    (
                        f.get(&format!("entry{i}_kind")),
                        f.get(&format!("entry{i}_at_least")),
                        f.get(&format!("entry{i}_months")),
                    )
                })
                .collect(),
            diagnoses: f.all("diagnosis"),
            age_min: f.get("age_min"),
            age_max: f.get("age_max"),
            json: f.get("json"),
        }
    }

    /// The builder's fields for a definition it can express; otherwise only the JSON.
    fn from_definition(def: &CohortDefinition) -> CohortForm {
        let mut form = CohortForm {
            name: def.name.clone(),
            description: def.description.clone(),
            index_date: def.index_date.to_string(),
            window_months: def.window_months.to_string(),
            json: String::new(),
            ..CohortForm::default()
        };
        let mut fits = true;
        for (i, c) in def.criteria.iter().enumerate() {
            match &c.rule {
                Rule::AnyOf(rules) if i == 0 => {
                    for r in rules {
                        match entry_of(r) {
                            Some(e) => form.entry.push(e),
                            None => fits = false,
                        }
                    }
                }
                Rule::Diagnosis(d) => form.diagnoses = d.groups.iter().map(|g| g.code().to_string()).collect(),
                Rule::Age(a) => {
                    form.age_min = a.min.map(|v| v.to_string()).unwrap_or_default();
                    form.age_max = a.max.map(|v| v.to_string()).unwrap_or_default();
                }
                other if i == 0 => match entry_of(other) {
                    Some(e) => form.entry.push(e),
                    None => fits = false,
                },
                _ => fits = false,
            }
        }
        if !fits || form.entry.len() > 3 {
            form.entry.clear();
            form.diagnoses.clear();
            form.json = def.to_json();
        }
        form.entry.resize(3, (String::new(), String::new(), String::new()));
        form
    }

    fn entry(&self, i: usize) -> (String, String, String) {
        self.entry.get(i).cloned().unwrap_or_default()
    }

    fn has_diagnosis(&self, code: &&str) -> bool {
        self.diagnoses.iter().any(|d| d == code)
    }

    /// The definition, or the fields to correct.
    fn definition(&self) -> Result<CohortDefinition, Vec<FieldError>> {
        if !self.json.trim().is_empty() {
            return CohortDefinition::from_json(&self.json)
                .map_err(|e| vec![FieldError::new("json", format!("The definition has a problem at {e}"))]);
        }
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "Give the cohort a name"));
        }
        let index_date = NaiveDate::parse_from_str(self.index_date.trim(), "%Y-%m-%d").ok();
        if index_date.is_none() {
            errors.push(FieldError::new(
                "index_date",
                "Enter the index date as a date, for example 2025-12-31",
            ));
        }
        let number = |errors: &mut Vec<FieldError>,
                      field: String,
                      value: &str,
                      what: &str,
                      range: std::ops::RangeInclusive<u32>| {
            match value.trim().parse::<u32>() {
                Ok(v) if range.contains(&v) => Some(v),
                _ => {
                    errors.push(FieldError::new(
                        field,
                        format!(
                            "Enter {what} as a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    ));
                    None
                }
            }
        };
        let window = number(
            &mut errors,
            "window_months".into(),
            &self.window_months,
            "the window in months",
            1..=240,
        );
        let mut rules = Vec::new();
        for (i, (kind, at_least, months)) in self.entry.iter().enumerate() {
            if kind.is_empty() {
                continue;
            }
            let n = i + 1;
            let least = number(
                &mut errors,
                format!("entry{n}_at_least"),
                at_least,
                "how many",
                1..=1000,
            );
            let within = number(&mut errors, format!("entry{n}_months"), months, "the months", 1..=240);
            let (Some(least), Some(within)) = (least, within) else {
                continue;
            };
            let count = |kind: EventKind, codes: &[&str]| {
                Rule::Count(CountRule {
                    kind,
                    codes: codes.iter().map(|c| c.to_string()).collect(),
                    at_least: least,
                    within_months: within,
                })
            };
            rules.push(match kind.as_str() {
                "admissions" => count(EventKind::Admission, &[]),
                "detentions" => count(EventKind::Detention, &[]),
                "crisis" => count(EventKind::Contact, &["crisis"]),
                "contacts" => count(EventKind::Contact, &[]),
                "ae" => count(EventKind::Agency, &["ae"]),
                "police" => count(EventKind::Agency, &["police", "custody"]),
                "agencies" => {
                    if least > 9 {
                        errors.push(FieldError::new(
                            format!("entry{n}_at_least"),
                            "There are 9 agencies; enter 1 to 9",
                        ));
                        continue;
                    }
                    Rule::DistinctAgencies(DistinctAgenciesRule {
                        at_least: least,
                        within_months: within,
                        agencies: vec![],
                    })
                }
                _ => {
                    errors.push(FieldError::new(
                        format!("entry{n}_kind"),
                        "Choose a kind of service use from the list",
                    ));
                    continue;
                }
            });
        }
        let mut criteria = Vec::new();
        match rules.len() {
            0 => {}
            1 => criteria.push(Criterion {
                label: "Service use".into(),
                rule: rules.remove(0),
            }),
            _ => criteria.push(Criterion {
                label: "Service use (any of)".into(),
                rule: Rule::AnyOf(rules),
            }),
        }
        let mut groups = Vec::new();
        for code in &self.diagnoses {
            match DiagnosisGroup::parse(code) {
                Ok(g) => groups.push(g),
                Err(_) => errors.push(FieldError::new(
                    "diagnosis-substance",
                    "Choose diagnosis groups from the list",
                )),
            }
        }
        if !groups.is_empty() {
            criteria.push(Criterion {
                label: "Diagnosis".into(),
                rule: Rule::Diagnosis(DiagnosisRule { groups }),
            });
        }
        let age = |errors: &mut Vec<FieldError>, field: &str, v: &str| {
            if v.trim().is_empty() {
                None
            } else {
                number(errors, field.into(), v, "an age", 0..=120)
            }
        };
        let (min, max) = (
            age(&mut errors, "age_min", &self.age_min),
            age(&mut errors, "age_max", &self.age_max),
        );
        if min.is_some() || max.is_some() {
            criteria.push(Criterion {
                label: "Age".into(),
                rule: Rule::Age(AgeRule { min, max }),
            });
        }
        if criteria.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "entry1_kind",
                "Choose at least one criterion: service use, a diagnosis or an age band",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let def = CohortDefinition {
            schema: SCHEMA.into(),
            name: name.to_string(),
            description: self.description.trim().to_string(),
            index_date: index_date.unwrap_or_default(),
            window_months: window.unwrap_or(24),
            criteria,
        };
        def.validate()
            .map_err(|e| vec![FieldError::new("json", e.to_string())])?;
        Ok(def)
    }
}

fn entry_of(rule: &Rule) -> Option<(String, String, String)> {
    let (kind, least, months) = match rule {
        Rule::Count(c) => {
            let codes: Vec<&str> = c.codes.iter().map(String::as_str).collect();
            let kind = match (c.kind, codes.as_slice()) {
                (EventKind::Admission, []) => "admissions",
                (EventKind::Detention, []) => "detentions",
                (EventKind::Contact, ["crisis"]) => "crisis",
                (EventKind::Contact, []) => "contacts",
                (EventKind::Agency, ["ae"]) => "ae",
                (EventKind::Agency, ["police", "custody"]) => "police",
                _ => return None,
            };
            (kind, c.at_least, c.within_months)
        }
        Rule::DistinctAgencies(d) if d.agencies.is_empty() => ("agencies", d.at_least, d.within_months),
        _ => return None,
    };
    Some((kind.into(), least.to_string(), months.to_string()))
}

#[derive(Template)]
#[template(path = "cohort_form.html")]
struct CohortFormPage {
    layout: Layout,
    form: CohortForm,
    errors: Errors,
    action: String,
    heading: String,
    kinds: [(&'static str, &'static str); 8],
    groups: Vec<(&'static str, &'static str)>,
}

fn form_page(
    signed_in: &SignedIn,
    form: CohortForm,
    errors: Errors,
    action: String,
    heading: String,
) -> CohortFormPage {
    CohortFormPage {
        layout: Layout::new(heading.clone(), Some(&signed_in.0), "/records"),
        form,
        errors,
        action,
        heading,
        kinds: ENTRY_KINDS,
        groups: DiagnosisGroup::ALL.iter().map(|g| (g.code(), g.label())).collect(),
    }
}

pub async fn get_new_cohort(signed_in: SignedIn) -> HtmlResult {
    let page = form_page(
        &signed_in,
        CohortForm::example(),
        Errors::default(),
        "/records/cohorts".into(),
        "Define a cohort".into(),
    );
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_cohort(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    save(&state, &signed_in, None, body).await
}

pub async fn post_cohort_version(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    save(&state, &signed_in, Some(id), body).await
}

async fn save(state: &AppState, signed_in: &SignedIn, id: Option<String>, body: Bytes) -> HtmlResult {
    let form = CohortForm::parse(&body);
    let (action, heading) = match &id {
        Some(id) => (
            format!("/records/cohorts/{id}"),
            "Change the cohort (saved as a new version)".to_string(),
        ),
        None => ("/records/cohorts".to_string(), "Define a cohort".to_string()),
    };
    let definition = match form.definition() {
        Ok(d) => d,
        Err(errors) => {
            let page = form_page(signed_in, form, Errors(errors), action, heading);
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    match state
        .app
        .save_cohort(signed_in.actor(), None, id.as_deref(), &definition)
        .await
    {
        Ok((id, _)) => Ok(Redirect::to(&format!("/records/cohorts/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let errors = errors.into_iter().map(|e| FieldError::new("json", e.message)).collect();
            let page = form_page(signed_in, form, Errors(errors), action, heading);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(WebError::from_app(Audience::Html, e)),
    }
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "cohort.html")]
struct CohortPage {
    layout: Layout,
    cohort: CohortView,
    r: ResultsView,
    problem: Option<String>,
}

pub async fn get_cohort(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let result = state.app.characterise_cohort(signed_in.actor(), &id, q.version).await;
    let (cohort, report, problem) = match result {
        Ok((cohort, report)) => (cohort, Some(report), None),
        Err(AppError::Conflict(why)) => (
            state.app.cohort(signed_in.actor(), &id, q.version).await.html()?,
            None,
            Some(why),
        ),
        Err(e) => return Err(WebError::from_app(Audience::Html, e)),
    };
    let r = match &report {
        Some(report) => ResultsView::new(report, &cohort.definition),
        None => ResultsView::new(
            &empty_report(&cohort.definition, state.app.disclosure()),
            &cohort.definition,
        ),
    };
    let page = CohortPage {
        layout: Layout::new(cohort.name.clone(), Some(&signed_in.0), "/records"),
        cohort,
        r,
        problem,
    };
    Ok(render(StatusCode::OK, &page))
}

fn empty_report(
    def: &CohortDefinition,
    d: cocare_app::records_domain::sdc::Disclosure,
) -> cocare_app::records_domain::report::PublishedReport {
    use cocare_app::records_domain::report::Characterisation;
    use cocare_app::records_domain::stats::table1;
    Characterisation {
        cohort_name: def.name.clone(),
        index_date: def.index_date,
        window_months: def.window_months,
        population: 0,
        attrition: Vec::new(),
        table1: table1([def.name.clone(), "Everyone else".into()], &[], &[]),
        rates: Vec::new(),
        pathways: Vec::new(),
    }
    .publish(&d)
}

pub async fn get_edit_cohort(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let cohort = state.app.cohort(signed_in.actor(), &id, None).await.html()?;
    let form = CohortForm::from_definition(&cohort.definition);
    let page = form_page(
        &signed_in,
        form,
        Errors::default(),
        format!("/records/cohorts/{}", cohort.id),
        "Change the cohort (saved as a new version)".into(),
    );
    Ok(render(StatusCode::OK, &page))
}

/// A file to save: its type, its name, its bytes.
pub(crate) fn download(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// A name as a file name: lower-case ASCII letters and digits, anything else a dash.
pub(crate) fn slug(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    stem.trim_matches('-').to_string()
}

fn file_stem(view: &CohortView) -> String {
    format!("{}-v{}", slug(&view.name), view.version)
}

pub async fn get_cohort_json(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let cohort = state.app.cohort(signed_in.actor(), &id, q.version).await.html()?;
    Ok(download(
        "application/json",
        format!("{}.json", file_stem(&cohort)),
        cohort.json.into_bytes(),
    ))
}

async fn report_for(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    version: Option<i64>,
) -> Result<(CohortView, cocare_app::records_domain::report::PublishedReport), WebError> {
    state
        .app
        .characterise_cohort(signed_in.actor(), id, version)
        .await
        .html()
}

pub async fn get_cohort_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let (cohort, report) = report_for(&state, &signed_in, &id, q.version).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("{}-table1.csv", file_stem(&cohort)),
        report.table1_csv().into_bytes(),
    ))
}

pub async fn get_cohort_xlsx(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let (cohort, report) = report_for(&state, &signed_in, &id, q.version).await?;
    let bytes = crate::records_report::xlsx(&report).map_err(|_| internal())?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{}.xlsx", file_stem(&cohort)),
        bytes,
    ))
}

pub async fn get_cohort_report(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let (cohort, report) = report_for(&state, &signed_in, &id, q.version).await?;
    let html = crate::records_report::html(&report, &cohort.definition).map_err(|_| internal())?;
    Ok(download(
        "text/html; charset=utf-8",
        format!("{}-report.html", file_stem(&cohort)),
        html.into_bytes(),
    ))
}

impl ImportPage {
    fn files(&self) -> Vec<(String, u64)> {
        self.done.as_ref().map(|d| d.status.files.clone()).unwrap_or_default()
    }
}
