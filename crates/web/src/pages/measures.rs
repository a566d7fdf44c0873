//! Questionnaires: PHQ-9, GAD-7 and the cocare involvement questionnaire, filled in by the
//! service user (or with their clinician), scored at once, kept as a history.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use cocare_app::{AppError, FieldError, MeasureRecord};
use cocare_careplan::Questionnaire;
use cocare_core::PersonId;
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::gate::SignedIn;
use crate::pages::people::person_id;
use crate::views::{Errors, Layout, render};

#[derive(Template)]
#[template(path = "measures.html")]
struct MeasuresPage {
    layout: Layout,
    person: PersonId,
    history: Vec<MeasureRecord>,
    questionnaires: Vec<Questionnaire>,
    result: Option<String>,
    safety: bool,
}

impl MeasuresPage {
    fn title_of(&self, id: &str) -> &'static str {
        Questionnaire::by_id(id).map_or("Questionnaire", |q| q.title)
    }
}

#[derive(Template)]
#[template(path = "measure_form.html")]
struct MeasureFormPage {
    layout: Layout,
    person: PersonId,
    questionnaire: Questionnaire,
    errors: Errors,
    answers: Vec<(String, String)>,
}

impl MeasureFormPage {
    fn chosen(&self, item: &str, value: &u32) -> bool {
        self.answers.iter().any(|(k, v)| k == item && *v == value.to_string())
    }
}

#[derive(Deserialize)]
pub struct Shown {
    score: Option<String>,
    safety: Option<String>,
}

pub async fn get_measures(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    Query(shown): Query<Shown>,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let history = state.app.measures(signed_in.actor(), person).await.html()?;
    let page = MeasuresPage {
        layout: Layout::new("Questionnaires", Some(&signed_in.0), "/people"),
        person,
        history,
        questionnaires: cocare_careplan::measures::ALL.to_vec(),
        result: shown.score,
        safety: shown.safety.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn questionnaire(id: &str) -> Result<Questionnaire, WebError> {
    Questionnaire::by_id(id).ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))
}

pub async fn get_measure_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw, id)): Path<(String, String)>,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let questionnaire = questionnaire(&id)?;
    // The history read checks the reader may fill this in for this person.
    state.app.measures(signed_in.actor(), person).await.html()?;
    let page = MeasureFormPage {
        layout: Layout::new(questionnaire.title, Some(&signed_in.0), "/people"),
        person,
        questionnaire,
        errors: Errors::default(),
        answers: Vec::new(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_measure(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw, id)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let questionnaire = questionnaire(&id)?;
    let answers: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match state
        .app
        .record_measure(signed_in.actor(), person, questionnaire.id, &answers)
        .await
    {
        Ok(result) => {
            let shown = format!(
                "{}: {} of {} ({})",
                result.title, result.score.total, result.score.max, result.score.band
            );
            let query = serde_urlencoded::to_string([("score", shown.as_str())]).unwrap_or_default();
            let safety = if result.score.needs_safety_follow_up {
                "&safety=1"
            } else {
                ""
            };
            Ok(Redirect::to(&format!("/people/{person}/measures?{query}{safety}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let errors: Vec<FieldError> = errors;
            let page = MeasureFormPage {
                layout: Layout::new(questionnaire.title, Some(&signed_in.0), "/people"),
                person,
                questionnaire,
                errors: Errors(errors),
                answers,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}
