use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use cocare_app::{AppError, ConsentForm, PersonDetail, PersonSummary};
use cocare_core::{ConsentId, PersonId, Role, SharedPart};
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::views::{Errors, Layout, render};

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    layout: Layout,
    heading: &'static str,
    people: Vec<PersonSummary>,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    detail: PersonDetail,
    errors: Errors,
    notice: Option<String>,
    form_recipient: String,
    form_parts: Vec<String>,
    form_note: String,
    part_choices: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

pub(crate) fn person_id(raw: &str, who: Audience) -> Result<PersonId, WebError> {
    PersonId::parse(raw).map_err(|_| WebError::from_app(who, AppError::NotFound))
}

pub(crate) fn consent_id(raw: &str, who: Audience) -> Result<ConsentId, WebError> {
    ConsentId::parse(raw).map_err(|_| WebError::from_app(who, AppError::NotFound))
}

pub async fn get_people(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let actor = signed_in.actor();
    let people = state.app.list_people(actor).await.html()?;
    let heading = if actor.has_role(Role::Clinician) || actor.has_role(Role::TeamLead) {
        "Caseload"
    } else if actor.has_role(Role::Carer) {
        "People who share with you"
    } else {
        "Your record"
    };
    let page = PeoplePage {
        layout: Layout::new(heading, Some(&signed_in.0), "/people"),
        heading,
        people,
    };
    Ok(render(StatusCode::OK, &page))
}

impl PersonPage {
    /// Whether the person reading is the person the record is about.
    fn is_own_record(&self) -> bool {
        self.detail.viewed_as == Role::ServiceUser
    }

    fn ticked(&self, value: &str) -> bool {
        self.form_parts.iter().any(|p| p == value)
    }
}

fn part_choices() -> Vec<(&'static str, &'static str)> {
    SharedPart::FOR_CARERS
        .iter()
        .chain(SharedPart::FOR_RESEARCH.iter())
        .map(|p| (p.as_str(), p.label()))
        .collect()
}

fn person_page(
    signed_in: &SignedIn,
    detail: PersonDetail,
    errors: Vec<cocare_app::FieldError>,
    form: ConsentForm,
    notice: Option<String>,
) -> PersonPage {
    let title = format!("{} {}", detail.person.given_name, detail.person.family_name);
    PersonPage {
        layout: Layout::new(title, Some(&signed_in.0), "/people"),
        detail,
        errors: Errors(errors),
        notice,
        form_recipient: form.recipient,
        form_parts: form.parts,
        form_note: form.note,
        part_choices: part_choices(),
    }
}

pub async fn get_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    Query(notice): Query<Notice>,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let detail = state.app.person(signed_in.actor(), person).await.html()?;
    let notice = notice.done.map(|what| match what.as_str() {
        "withdrawn" => "Consent withdrawn. It no longer has any effect.".to_owned(),
        _ => "Consent recorded.".to_owned(),
    });
    Ok(render(
        StatusCode::OK,
        &person_page(&signed_in, detail, vec![], ConsentForm::default(), notice),
    ))
}

pub async fn post_consent(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let fields = FormFields::parse(&body);
    let form = ConsentForm {
        recipient: fields.get("recipient"),
        parts: fields.all("parts"),
        note: fields.get("note"),
    };
    match state.app.record_consent(signed_in.actor(), person, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{person}?done=recorded")).into_response()),
        Err(AppError::Validation(errors)) => {
            let detail = state.app.person(signed_in.actor(), person).await.html()?;
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &person_page(&signed_in, detail, errors, form, None),
            ))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}

pub async fn post_consent_withdrawal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw_person, raw_consent)): Path<(String, String)>,
) -> HtmlResult {
    let person = person_id(&raw_person, Audience::Html)?;
    let consent = consent_id(&raw_consent, Audience::Html)?;
    state
        .app
        .withdraw_consent(signed_in.actor(), person, consent)
        .await
        .html()?;
    Ok(Redirect::to(&format!("/people/{person}?done=withdrawn")).into_response())
}
