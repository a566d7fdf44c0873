//! The care plan pages: read and write the plan together, agree section by section, finalise,
//! review, give a copy, rate life domains.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use cocare_app::{AppError, FieldError, PlanView};
use cocare_careplan::dialog::DialogItem;
use cocare_careplan::{SectionKind, Stance};
use cocare_core::{PersonId, Role};
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::pages::people::person_id;
use crate::views::{Errors, Layout, render};

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    view: PlanView,
    errors: Errors,
    notice: Option<String>,
    /// What someone typed into a section whose save failed: shown again, never lost.
    draft: Option<(SectionKind, String)>,
    chart: crate::charts::DialogChart,
}

impl PlanPage {
    fn own_record(&self) -> bool {
        self.view.viewed_as == Role::ServiceUser
    }

    fn whose(&self) -> String {
        if self.own_record() {
            "your".to_owned()
        } else {
            format!("{}'s", self.view.person_name)
        }
    }

    /// The text to put in a section's box: a failed draft first, else the reader's own words.
    fn box_text(&self, section: &SectionKind) -> String {
        if let Some((kind, text)) = &self.draft
            && kind == section
        {
            return text.clone();
        }
        let own = self
            .view
            .sections
            .iter()
            .find(|s| s.kind == *section)
            .and_then(|s| match self.view.viewed_as {
                Role::ServiceUser => s.service_user.clone(),
                Role::Carer => s.carer.clone(),
                _ => s.clinical.clone(),
            });
        own.map(|c| c.text).unwrap_or_default()
    }

    /// Who agrees, in plain words: the service user first, then the carer and coordinator.
    fn stance_line(&self, section: &cocare_app::SectionView) -> String {
        let said = |who: &str, stance: &Option<Stance>, you: bool| match (stance, you) {
            (Some(Stance::Agree), true) => "You agree".to_owned(),
            (Some(Stance::Agree), false) => format!("{who} agrees"),
            (Some(Stance::Disagree { reason }), true) => format!("You disagree: “{reason}”"),
            (Some(Stance::Disagree { reason }), false) => format!("{who} disagrees: “{reason}”"),
            (None, true) => "You have not said yet whether you agree".to_owned(),
            (None, false) => format!("{who} has not said yet"),
        };
        let mut parts = Vec::new();
        if !section.kind.is_carer_section() {
            parts.push(said(
                &self.view.person_name,
                &section.service_user_stance,
                self.own_record(),
            ));
        }
        if section.carer_stance.is_some() || self.view.viewed_as == Role::Carer {
            parts.push(said(
                "The carer",
                &section.carer_stance,
                self.view.viewed_as == Role::Carer,
            ));
        }
        if section.coordinator_stance.is_some() {
            parts.push(said(
                "The care coordinator",
                &section.coordinator_stance,
                self.view.viewed_as == Role::Clinician,
            ));
        }
        format!("{}.", parts.join("; "))
    }

    /// Only the carer writes the carer's sections; the others are open to every voice.
    fn may_write(&self, section: &SectionKind) -> bool {
        !section.is_carer_section() || self.view.viewed_as == Role::Carer
    }

    /// The service user and care coordinator agree the plan's sections; the carer agrees
    /// the sections shared with them, their own included.
    fn may_agree(&self, section: &SectionKind) -> bool {
        !section.is_carer_section() || self.view.viewed_as == Role::Carer
    }

    /// Whether the plan shown is the newest version.
    fn is_latest(&self) -> bool {
        match (&self.view.plan, self.view.versions.first()) {
            (Some(plan), Some(newest)) => plan.version == newest.version,
            _ => false,
        }
    }

    fn charts_width(&self) -> u32 {
        crate::charts::LABEL_WIDTH + crate::charts::BAR_AREA + 120
    }

    fn dialog_items(&self) -> Vec<(&'static str, &'static str)> {
        DialogItem::ALL.iter().map(|i| (i.as_str(), i.label())).collect()
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn notice(done: Option<String>) -> Option<String> {
    done.map(|what| {
        match what.as_str() {
            "started" => "The plan has been started. Write it together, section by section.",
            "saved" => "Saved. Everyone involved is asked to agree the changed section again.",
            "agreed" => "Your view on this section is recorded.",
            "finalised" => "This version is finalised. Remember to give a copy.",
            "review" => "A review has started: the plan can be changed and agreed again.",
            "copy" => "Recorded that a copy was given.",
            "dialog" => "Your ratings are saved.",
            _ => "Done.",
        }
        .to_owned()
    })
}

async fn page(
    state: &AppState,
    signed_in: &SignedIn,
    person: PersonId,
    errors: Vec<FieldError>,
    notice: Option<String>,
    draft: Option<(SectionKind, String)>,
) -> Result<PlanPage, WebError> {
    let view = state.app.care_plan(signed_in.actor(), person, None).await.html()?;
    let title = if view.viewed_as == Role::ServiceUser {
        "My care plan".to_owned()
    } else {
        format!("{}'s care plan", view.person_name)
    };
    let chart = crate::charts::DialogChart::new(&view.dialog);
    Ok(PlanPage {
        layout: Layout::new(title, Some(&signed_in.0), "/people"),
        view,
        errors: Errors(errors),
        notice,
        draft,
        chart,
    })
}

fn section_of(raw: &str) -> Result<SectionKind, WebError> {
    SectionKind::parse(raw).ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))
}

fn back(person: PersonId, done: &str, anchor: &str) -> HtmlResult {
    Ok(Redirect::to(&format!("/people/{person}/plan?done={done}{anchor}")).into_response())
}

/// Renders the page again with the errors (each field renamed to its id on the page).
async fn again(
    state: &AppState,
    signed_in: &SignedIn,
    person: PersonId,
    err: AppError,
    rename: impl Fn(&str) -> String,
    draft: Option<(SectionKind, String)>,
) -> HtmlResult {
    match err {
        AppError::Validation(errors) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError::new(rename(&e.field), e.message))
                .collect();
            let page = page(state, signed_in, person, errors, None, draft).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        other => Err(WebError::from_app(Audience::Html, other)),
    }
}

pub async fn get_plan(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let page = page(&state, &signed_in, person, vec![], notice(done.done), None).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_plan(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let due = FormFields::parse(&body).get("review_due");
    if let Err(err) = state.app.start_care_plan(signed_in.actor(), person, Some(&due)).await {
        return again(&state, &signed_in, person, err, |f| f.to_owned(), None).await;
    }
    back(person, "started", "")
}

pub async fn post_section(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw, raw_section)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let section = section_of(&raw_section)?;
    let form = FormFields::parse(&body);
    let text = form.get("text");
    let revision: usize = form.get("revision").parse().unwrap_or(usize::MAX);
    match state
        .app
        .contribute(signed_in.actor(), person, section, &text, revision)
        .await
    {
        Ok(()) => back(person, "saved", &format!("#{}", section.as_str())),
        Err(err) => {
            let id = section.as_str();
            again(
                &state,
                &signed_in,
                person,
                err,
                |f| format!("{f}-{id}"),
                Some((section, text)),
            )
            .await
        }
    }
}

pub async fn post_agreement(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw, raw_section)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let section = section_of(&raw_section)?;
    let form = FormFields::parse(&body);
    let stance = form.get("stance");
    if stance != "agree" && stance != "disagree" {
        let id = section.as_str();
        let err = AppError::Validation(vec![FieldError::new("stance", "Choose whether you agree or disagree")]);
        return again(&state, &signed_in, person, err, |f| format!("{f}-{id}"), None).await;
    }
    match state
        .app
        .agree_section(
            signed_in.actor(),
            person,
            section,
            stance == "agree",
            &form.get("reason"),
        )
        .await
    {
        Ok(()) => back(person, "agreed", &format!("#{}", section.as_str())),
        Err(err) => {
            let id = section.as_str();
            again(&state, &signed_in, person, err, |f| format!("{f}-{id}"), None).await
        }
    }
}

pub async fn post_goal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let text = FormFields::parse(&body).get("goal");
    match state.app.add_goal(signed_in.actor(), person, &text).await {
        Ok(()) => back(person, "saved", "#goals"),
        Err(err) => again(&state, &signed_in, person, err, |_| "goal".to_owned(), None).await,
    }
}

pub async fn post_goal_action(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw, goal)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let goal: usize = goal
        .parse()
        .map_err(|_| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let form = FormFields::parse(&body);
    match state
        .app
        .add_goal_action(
            signed_in.actor(),
            person,
            goal,
            &form.get("what"),
            &form.get("who"),
            &form.get("by_when"),
        )
        .await
    {
        Ok(()) => back(person, "saved", "#goals"),
        Err(err) => again(&state, &signed_in, person, err, |f| format!("{f}-{goal}"), None).await,
    }
}

pub async fn post_finalise(State(state): State<AppState>, signed_in: SignedIn, Path(raw): Path<String>) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    match state.app.finalise_care_plan(signed_in.actor(), person).await {
        Ok(()) => back(person, "finalised", ""),
        Err(err) => again(&state, &signed_in, person, err, |f| f.to_owned(), None).await,
    }
}

pub async fn post_review(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let due = FormFields::parse(&body).get("review_due");
    if let Err(err) = state.app.start_review(signed_in.actor(), person, Some(&due)).await {
        return again(&state, &signed_in, person, err, |f| f.to_owned(), None).await;
    }
    back(person, "review", "")
}

pub async fn post_copy(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let format = FormFields::parse(&body).get("format");
    match state.app.record_copy_given(signed_in.actor(), person, &format).await {
        Ok(()) => back(person, "copy", ""),
        Err(err) => again(&state, &signed_in, person, err, |f| f.to_owned(), None).await,
    }
}

pub async fn post_dialog(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match state.app.record_dialog(signed_in.actor(), person, &fields).await {
        Ok(()) => back(person, "dialog", "#ratings"),
        Err(err) => again(&state, &signed_in, person, err, |f| f.to_owned(), None).await,
    }
}

#[derive(Template)]
#[template(path = "plan_print.html")]
struct PrintPage {
    layout: Layout,
    view: PlanView,
}

impl PrintPage {
    fn whose(&self) -> String {
        if self.view.viewed_as == Role::ServiceUser {
            "my".to_owned()
        } else {
            format!("{}'s", self.view.person_name)
        }
    }
}

/// A copy to print or keep: the plan alone, in reading order, with a print stylesheet.
pub async fn get_print(State(state): State<AppState>, signed_in: SignedIn, Path(raw): Path<String>) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let view = state.app.care_plan(signed_in.actor(), person, None).await.html()?;
    let title = format!("Care plan of {}", view.person_name);
    let page = PrintPage {
        layout: Layout::new(title, Some(&signed_in.0), "/people"),
        view,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "plan_version.html")]
struct VersionPage {
    layout: Layout,
    version: cocare_app::VersionView,
}

impl VersionPage {
    fn compared_with(&self, other: &u32) -> bool {
        self.version.previous == Some(*other)
    }
}

#[derive(Deserialize)]
pub struct Against {
    against: Option<u32>,
}

/// One version, read-only, with what changed since the one before (or since any other).
pub async fn get_version(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw, version)): Path<(String, String)>,
    Query(against): Query<Against>,
) -> HtmlResult {
    let person = person_id(&raw, Audience::Html)?;
    let version: u32 = version
        .parse()
        .map_err(|_| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let found = state
        .app
        .care_plan_version(signed_in.actor(), person, version, against.against)
        .await
        .html()?;
    let title = format!("{}'s care plan, version {version}", found.view.person_name);
    let page = VersionPage {
        layout: Layout::new(title, Some(&signed_in.0), "/people"),
        version: found,
    };
    Ok(render(StatusCode::OK, &page))
}
