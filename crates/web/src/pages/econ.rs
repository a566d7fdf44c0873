//! Economics: unit-cost tables (view with sources, copy, edit, inflate, download) and pathway
//! evaluations (a form, results with charts, JSON and the HTML report).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cocare_app::econ_domain::costs::Perspective;
use cocare_app::econ_domain::evaluate::{EvaluationSpec, FORMAT, PathwayDefinition, Scenario, Selector};
use cocare_app::records_domain::layout::EventKind;
use cocare_app::{AppError, DEFAULT_TABLE, DocumentSummary, EvaluationRun, FieldError, SavedEvaluation, UnitCostView};
use cocare_policy::{Action, actor_may};
use serde::Deserialize;

use crate::AppState;
use crate::econ_report::{EconView, sentence};
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::pages::records::download;
use crate::views::{Errors, Layout, render};

#[derive(Template)]
#[template(path = "econ.html")]
struct EconPage {
    layout: Layout,
    tables: Vec<DocumentSummary>,
    evaluations: Vec<DocumentSummary>,
    can_evaluate: bool,
    default_table: &'static str,
}

pub async fn get_econ(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let actor = signed_in.actor();
    let tables = state.app.unit_cost_tables(actor).await.html()?;
    let can_evaluate = actor_may(actor, Action::AnalyseRecords);
    let evaluations = if can_evaluate {
        state.app.evaluations(actor).await.html()?
    } else {
        Vec::new()
    };
    let page = EconPage {
        layout: Layout::new("Economics", Some(&signed_in.0), "/econ"),
        tables,
        evaluations,
        can_evaluate,
        default_table: DEFAULT_TABLE,
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- Unit-cost tables -----

#[derive(Template)]
#[template(path = "unit_costs.html")]
struct TablePage {
    layout: Layout,
    view: UnitCostView,
    name: String,
    csv: String,
    year: String,
    errors: Errors,
    years: Vec<i32>,
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

fn table_page(
    signed_in: &SignedIn,
    view: UnitCostView,
    errors: Errors,
    name: String,
    csv: String,
    year: String,
) -> TablePage {
    TablePage {
        layout: Layout::new(view.name.clone(), Some(&signed_in.0), "/econ"),
        years: cocare_app::econ_domain::costs::InflationIndex::uk()
            .values
            .keys()
            .copied()
            .collect(),
        view,
        name,
        csv,
        year,
        errors,
    }
}

pub async fn get_table(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let view = state
        .app
        .unit_cost_table(signed_in.actor(), None, &id, q.version)
        .await
        .html()?;
    let name = if view.builtin {
        "Our unit costs".to_string()
    } else {
        view.name.clone()
    };
    let csv = view.csv.clone();
    let page = table_page(&signed_in, view, Errors::default(), name, csv, String::new());
    Ok(render(StatusCode::OK, &page))
}

pub async fn get_table_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, WebError> {
    let view = state
        .app
        .unit_cost_table(signed_in.actor(), None, &id, q.version)
        .await
        .html()?;
    let name = format!(
        "unit-costs-{}-v{}.csv",
        if view.builtin { "uk-default" } else { "table" },
        view.version
    );
    Ok(download("text/csv; charset=utf-8", name, view.csv.into_bytes()))
}

/// Saves a table: a copy of the default (no id) or the next version of one of ours.
async fn save_table(state: &AppState, signed_in: &SignedIn, id: &str, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let (name, csv) = (f.get("name"), f.get("csv"));
    let target = (id != DEFAULT_TABLE).then_some(id);
    match state
        .app
        .save_unit_cost_table(signed_in.actor(), None, target, &name, &csv)
        .await
    {
        Ok((saved, _)) => Ok(Redirect::to(&format!("/econ/unit-costs/{saved}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let view = state
                .app
                .unit_cost_table(signed_in.actor(), None, id, None)
                .await
                .html()?;
            let page = table_page(signed_in, view, Errors(errors), name, csv, String::new());
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(WebError::from_app(Audience::Html, e)),
    }
}

pub async fn post_table(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    save_table(&state, &signed_in, &id, body).await
}

pub async fn post_inflate(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let year_text = f.get("year");
    let outcome = match year_text.trim().parse::<i32>() {
        Ok(year) => state.app.inflate_unit_cost_table(signed_in.actor(), &id, year).await,
        Err(_) => Err(AppError::Validation(vec![FieldError::new(
            "year",
            "Choose a price year",
        )])),
    };
    match outcome {
        Ok((saved, _)) => Ok(Redirect::to(&format!("/econ/unit-costs/{saved}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let view = state
                .app
                .unit_cost_table(signed_in.actor(), None, &id, None)
                .await
                .html()?;
            let (name, csv) = (view.name.clone(), view.csv.clone());
            let page = table_page(&signed_in, view, Errors(errors), name, csv, year_text);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(WebError::from_app(Audience::Html, e)),
    }
}

// ----- Evaluations -----

pub const KINDS: [(&str, &str); 7] = [
    ("", "Not used"),
    ("contact", "Contact with a service"),
    ("admission", "Admission to hospital"),
    ("ward_stay", "Ward stay"),
    ("detention", "Mental Health Act detention"),
    ("agency", "Contact with another agency"),
    ("referral", "Referral"),
];

const PATHWAYS: usize = 3;

/// The evaluation form as typed.
#[derive(Debug, Clone, Default)]
pub struct EvaluationForm {
    pub name: String,
    pub cohort: String,
    pub unit_costs: String,
    pub perspective: String,
    pub horizon_years: String,
    pub discount_rate: String,
    pub effect_discount_rate: String,
    pub replicates: String,
    pub seed: String,
    pub wtp: String,
    pub sensitivity: String,
    /// name, start kind, start codes, before kind, before codes
    pub paths: Vec<[String; 5]>,
    pub shift_from: String,
    pub shift_to: String,
    pub shift_share: String,
    pub scale_target: String,
    pub scale_change: String,
}

fn percent(v: f64) -> String {
    let s = format!("{:.2}", v * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl EvaluationForm {
    /// The timing fields: (id, label, value).
    pub fn timing(&self) -> Vec<(&'static str, &'static str, String)> {
        vec![
            ("horizon_years", "Time horizon (years)", self.horizon_years.clone()),
            (
                "discount_rate",
                "Discount rate for costs (% a year)",
                self.discount_rate.clone(),
            ),
            (
                "effect_discount_rate",
                "Discount rate for QALYs (% a year)",
                self.effect_discount_rate.clone(),
            ),
        ]
    }

    /// The uncertainty fields: (id, label, value).
    pub fn uncertainty(&self) -> Vec<(&'static str, &'static str, String)> {
        vec![
            ("replicates", "Bootstrap resamples", self.replicates.clone()),
            ("seed", "Seed", self.seed.clone()),
            (
                "wtp",
                "Willingness to pay per QALY (£, comma-separated)",
                self.wtp.clone(),
            ),
            ("sensitivity", "Move each unit cost by (%)", self.sensitivity.clone()),
        ]
    }

    pub fn path(&self, i: usize) -> [String; 5] {
        self.paths.get(i).cloned().unwrap_or_default()
    }

    fn from_saved(saved: &SavedEvaluation) -> EvaluationForm {
        let s = &saved.spec;
        let mut form = EvaluationForm {
            name: s.name.clone(),
            cohort: saved.cohort.clone().unwrap_or_default(),
            unit_costs: saved.unit_costs.clone().unwrap_or_default(),
            perspective: s.perspective.key().into(),
            horizon_years: s.horizon_years.to_string(),
            discount_rate: percent(s.discount_rate),
            effect_discount_rate: percent(s.effect_discount_rate),
            replicates: s.replicates.to_string(),
            seed: s.seed.to_string(),
            wtp: s.wtp.iter().map(|k| format!("{k}")).collect::<Vec<_>>().join(", "),
            sensitivity: percent(s.sensitivity),
            paths: s
                .pathways
                .iter()
                .map(|p| {
                    let before = p.not_after.first();
                    [
                        p.name.clone(),
                        p.starts_with.kind.code().into(),
                        p.starts_with.codes.join(", "),
                        before.map(|b| b.kind.code().to_string()).unwrap_or_default(),
                        before.map(|b| b.codes.join(", ")).unwrap_or_default(),
                    ]
                })
                .collect(),
            ..EvaluationForm::default()
        };
        for sc in &s.scenarios {
            match sc {
                Scenario::Shift { from, to, share, .. } => {
                    form.shift_from = from.clone();
                    form.shift_to = to.clone();
                    form.shift_share = percent(*share);
                }
                Scenario::Scale { target, change } => {
                    form.scale_target = target.clone();
                    form.scale_change = percent(*change);
                }
            }
        }
        form
    }

    fn parse(body: &Bytes) -> EvaluationForm {
        let f = FormFields::parse(body);
        EvaluationForm {
            name: f.get("name"),
            cohort: f.get("cohort"),
            unit_costs: f.get("unit_costs"),
            perspective: f.get("perspective"),
            horizon_years: f.get("horizon_years"),
            discount_rate: f.get("discount_rate"),
            effect_discount_rate: f.get("effect_discount_rate"),
            replicates: f.get("replicates"),
            seed: f.get("seed"),
            wtp: f.get("wtp"),
            sensitivity: f.get("sensitivity"),
            paths: (1..=PATHWAYS)
                .map(|i| {
                    [
                        f.get(&format!("path{i}_name")),
                        f.get(&format!("path{i}_start_kind")),
                        f.get(&format!("path{i}_start_codes")),
                        f.get(&format!("path{i}_before_kind")),
                        f.get(&format!("path{i}_before_codes")),
                    ]
                })
                .collect(),
            shift_from: f.get("shift_from"),
            shift_to: f.get("shift_to"),
            shift_share: f.get("shift_share"),
            scale_target: f.get("scale_target"),
            scale_change: f.get("scale_change"),
        }
    }

    /// The evaluation the form describes, or every problem with it, by field.
    fn saved(&self) -> Result<SavedEvaluation, Vec<FieldError>> {
        let mut errors = Vec::new();
        let number = |field: &str, text: &str, errors: &mut Vec<FieldError>, what: &str| -> f64 {
            match text.trim().replace(['%', '£', ','], "").parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    errors.push(FieldError::new(field, format!("Enter {what} as a number")));
                    0.0
                }
            }
        };
        let horizon = number(
            "horizon_years",
            &self.horizon_years,
            &mut errors,
            "the time horizon in years",
        );
        let rate = number(
            "discount_rate",
            &self.discount_rate,
            &mut errors,
            "the discount rate for costs",
        ) / 100.0;
        let effect_rate = number(
            "effect_discount_rate",
            &self.effect_discount_rate,
            &mut errors,
            "the discount rate for QALYs",
        ) / 100.0;
        let replicates = number("replicates", &self.replicates, &mut errors, "the number of resamples");
        let seed = self.seed.trim().parse::<u64>().unwrap_or_else(|_| {
            errors.push(FieldError::new("seed", "Enter the seed as a whole number"));
            0
        });
        let sensitivity = number(
            "sensitivity",
            &self.sensitivity,
            &mut errors,
            "how far to move each unit cost",
        ) / 100.0;
        let wtp = match cocare_app::econ_domain::cea::parse_thresholds(&self.wtp) {
            Ok(w) => w,
            Err(e) => {
                errors.push(FieldError::new("wtp", e));
                Vec::new()
            }
        };
        let perspective = Perspective::parse(&self.perspective).unwrap_or_else(|| {
            errors.push(FieldError::new("perspective", "Choose whose costs count"));
            Perspective::NhsPss
        });
        let selector = |kind: &str, codes: &str, field: &str, errors: &mut Vec<FieldError>| -> Option<Selector> {
            if kind.is_empty() {
                return None;
            }
            let Some(kind) = EventKind::from_code(kind) else {
                errors.push(FieldError::new(field, "Choose what kind of event"));
                return None;
            };
            let codes: Vec<String> = codes
                .split(',')
                .map(|c| c.trim().to_lowercase())
                .filter(|c| !c.is_empty())
                .collect();
            Some(Selector { kind, codes })
        };
        let mut pathways = Vec::new();
        for (i, p) in self.paths.iter().enumerate() {
            let n = i + 1;
            let [name, start_kind, start_codes, before_kind, before_codes] = p;
            if name.trim().is_empty() && start_kind.is_empty() {
                continue;
            }
            let start = selector(start_kind, start_codes, &format!("path{n}_start_kind"), &mut errors);
            let before = selector(before_kind, before_codes, &format!("path{n}_before_kind"), &mut errors);
            match start {
                Some(starts_with) => pathways.push((
                    n,
                    PathwayDefinition {
                        name: name.trim().to_string(),
                        starts_with,
                        not_after: before.into_iter().collect(),
                    },
                )),
                None => errors.push(FieldError::new(
                    format!("path{n}_start_kind"),
                    format!("Pathway {n}: choose the event that starts it"),
                )),
            }
        }
        if pathways.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("path1_name", "Describe at least one pathway"));
        }
        let mut scenarios = Vec::new();
        if !self.shift_from.is_empty() || !self.shift_to.is_empty() {
            let share = number("shift_share", &self.shift_share, &mut errors, "the share to move") / 100.0;
            scenarios.push(Scenario::Shift {
                from: self.shift_from.clone(),
                to: self.shift_to.clone(),
                share,
                ratio: 1.0,
            });
        }
        if !self.scale_target.is_empty() {
            let change = number("scale_change", &self.scale_change, &mut errors, "the change") / 100.0;
            scenarios.push(Scenario::Scale {
                target: self.scale_target.clone(),
                change,
            });
        }
        let spec = EvaluationSpec {
            format: FORMAT.into(),
            name: self.name.trim().to_string(),
            pathways: pathways.iter().map(|(_, p)| p.clone()).collect(),
            perspective,
            horizon_years: horizon,
            discount_rate: rate,
            effect_discount_rate: effect_rate,
            replicates: replicates.max(0.0) as usize,
            seed,
            level: 0.95,
            wtp,
            sensitivity,
            scenarios,
        };
        if let Err(problems) = spec.validate() {
            for p in problems {
                let field = form_field(&p.field, &pathways);
                if !errors.iter().any(|e| e.field == field) {
                    errors.push(FieldError::new(field, sentence(&p.reason)));
                }
            }
        }
        if errors.is_empty() {
            Ok(SavedEvaluation {
                spec,
                cohort: (!self.cohort.is_empty()).then(|| self.cohort.clone()),
                unit_costs: (!self.unit_costs.is_empty() && self.unit_costs != DEFAULT_TABLE)
                    .then(|| self.unit_costs.clone()),
            })
        } else {
            Err(errors)
        }
    }
}

/// The form field a specification problem belongs to.
fn form_field(spec_field: &str, pathways: &[(usize, PathwayDefinition)]) -> String {
    if let Some(rest) = spec_field.strip_prefix("pathways[") {
        let index: usize = rest.split(']').next().and_then(|i| i.parse().ok()).unwrap_or(0);
        let n = pathways.get(index).map_or(1, |(n, _)| *n);
        return if rest.contains("not_after") {
            format!("path{n}_before_kind")
        } else if rest.contains("starts_with") {
            format!("path{n}_start_kind")
        } else {
            format!("path{n}_name")
        };
    }
    if let Some(rest) = spec_field.strip_prefix("scenarios[") {
        return if rest.contains("change") {
            "scale_change".into()
        } else {
            "shift_share".into()
        };
    }
    spec_field.to_string()
}

#[derive(Template)]
#[template(path = "evaluation_form.html")]
struct FormPage {
    layout: Layout,
    form: EvaluationForm,
    errors: Errors,
    action: String,
    heading: String,
    cohorts: Vec<DocumentSummary>,
    tables: Vec<DocumentSummary>,
    kinds: [(&'static str, &'static str); 7],
    resources: Vec<String>,
    sectors: Vec<(&'static str, &'static str)>,
    perspectives: Vec<(&'static str, &'static str)>,
    default_table: &'static str,
}

async fn form_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: EvaluationForm,
    errors: Errors,
    action: String,
    heading: String,
) -> Result<FormPage, WebError> {
    let actor = signed_in.actor();
    let cohorts = state.app.records_overview(actor).await.html()?.cohorts;
    let tables = state.app.unit_cost_tables(actor).await.html()?;
    use cocare_app::econ_domain::costs::Sector;
    Ok(FormPage {
        layout: Layout::new(heading.clone(), Some(&signed_in.0), "/econ"),
        form,
        errors,
        action,
        heading,
        cohorts,
        tables,
        kinds: KINDS,
        resources: cocare_app::econ_domain::resources::CONTRACT
            .iter()
            .map(|(r, _)| (*r).to_string())
            .collect(),
        sectors: Sector::ALL.iter().map(|s| (s.key(), s.label())).collect(),
        perspectives: Perspective::ALL.iter().map(|p| (p.key(), p.label())).collect(),
        default_table: DEFAULT_TABLE,
    })
}

pub async fn get_new_evaluation(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let example = SavedEvaluation {
        spec: EvaluationSpec::crisis_vs_inpatient(),
        cohort: None,
        unit_costs: None,
    };
    let page = form_page(
        &state,
        &signed_in,
        EvaluationForm::from_saved(&example),
        Errors::default(),
        "/econ/evaluations".into(),
        "Compare care pathways".into(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_evaluation(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    save_evaluation(&state, &signed_in, None, body).await
}

pub async fn post_evaluation_version(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    save_evaluation(&state, &signed_in, Some(id), body).await
}

async fn save_evaluation(state: &AppState, signed_in: &SignedIn, id: Option<String>, body: Bytes) -> HtmlResult {
    let form = EvaluationForm::parse(&body);
    let (action, heading) = match &id {
        Some(id) => (
            format!("/econ/evaluations/{id}"),
            "Change the evaluation (saved as a new version)".to_string(),
        ),
        None => ("/econ/evaluations".to_string(), "Compare care pathways".to_string()),
    };
    let result = match form.saved() {
        Ok(saved) => {
            state
                .app
                .save_evaluation(signed_in.actor(), None, id.as_deref(), &saved)
                .await
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok((id, _)) => Ok(Redirect::to(&format!("/econ/evaluations/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let page = form_page(state, signed_in, form, Errors(errors), action, heading).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(WebError::from_app(Audience::Html, e)),
    }
}

pub async fn get_edit_evaluation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> HtmlResult {
    let view = state.app.evaluation(signed_in.actor(), &id, None).await.html()?;
    let page = form_page(
        &state,
        &signed_in,
        EvaluationForm::from_saved(&view.saved),
        Errors::default(),
        format!("/econ/evaluations/{id}"),
        "Change the evaluation (saved as a new version)".into(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct EvaluationPage {
    layout: Layout,
    run: EvaluationRun,
    r: Option<EconView>,
    problem: String,
}

pub async fn get_evaluation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> HtmlResult {
    let run = state
        .app
        .run_evaluation(signed_in.actor(), &id, q.version)
        .await
        .html()?;
    let (r, problem) = match &run.outcome {
        Ok(report) => (Some(EconView::new(report)), String::new()),
        Err(e) => (None, sentence(&e.to_string())),
    };
    let status = if r.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EvaluationPage {
        layout: Layout::new(run.view.saved.spec.name.clone(), Some(&signed_in.0), "/econ"),
        run,
        r,
        problem,
    };
    Ok(render(status, &page))
}

async fn report_of(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
) -> Result<(EvaluationRun, cocare_app::econ_domain::evaluate::Report), WebError> {
    let run = state.app.run_evaluation(signed_in.actor(), id, None).await.html()?;
    match run.outcome.clone() {
        Ok(report) => Ok((run, report)),
        Err(e) => Err(WebError::from_app(Audience::Html, AppError::Conflict(e.to_string()))),
    }
}

pub async fn get_evaluation_json(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (_, report) = report_of(&state, &signed_in, &id).await?;
    let body = serde_json::to_string_pretty(&report).unwrap_or_default();
    Ok(download(
        "application/json",
        "evaluation.json".into(),
        body.into_bytes(),
    ))
}

pub async fn get_evaluation_report(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (_, report) = report_of(&state, &signed_in, &id).await?;
    let html =
        crate::econ_report::html(&report).map_err(|e| WebError::from_app(Audience::Html, AppError::Unexpected(e)))?;
    Ok(download(
        "text/html; charset=utf-8",
        "evaluation-report.html".into(),
        html.into_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_of(body: &str) -> EvaluationForm {
        EvaluationForm::parse(&Bytes::from(body.to_string()))
    }

    #[test]
    fn the_example_reads_back_from_its_own_form() {
        let saved = SavedEvaluation {
            spec: EvaluationSpec::crisis_vs_inpatient(),
            cohort: Some("c1".into()),
            unit_costs: None,
        };
        let form = EvaluationForm::from_saved(&saved);
        let again = form.saved().unwrap();
        assert_eq!(again.spec.pathways, saved.spec.pathways);
        assert_eq!(again.spec.discount_rate, 0.035);
        assert_eq!(again.spec.wtp, vec![20_000.0, 30_000.0]);
        assert_eq!(again.cohort.as_deref(), Some("c1"));
        assert_eq!(again.spec.scenarios, saved.spec.scenarios);
    }

    #[test]
    fn problems_point_at_the_fields_that_hold_them() {
        let form = form_of(
            "name=&perspective=nhs_pss&horizon_years=two&discount_rate=3.5&effect_discount_rate=3.5&replicates=5000&seed=1&wtp=&sensitivity=25\
             &path1_name=A&path1_start_kind=contact&path1_start_codes=teleport&path2_name=B&path2_start_kind=",
        );
        let errors = form.saved().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["horizon_years", "wtp", "path1_start_kind", "path2_start_kind", "name"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        // What was typed is kept.
        assert_eq!(form.path(0)[2], "teleport");
        assert_eq!(form.horizon_years, "two");
    }
}
