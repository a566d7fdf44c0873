//! Vignettes and decision studies: the researcher's workspace, a vignette's page (its check,
//! review, versions and approvals), the study builder, a study's page (links, progress,
//! exports), its analysis, and the respondent's page behind a single-use link.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cocare_app::vignettes_domain::facts::KCheck;
use cocare_app::vignettes_domain::study::{Analysis, Answer, Distribution, Effect, Item};
use cocare_app::vignettes_domain::vignette::{self as domain, Body, CATEGORIES, Change};
use cocare_app::{
    AppError, DEFAULT_ITEMS, DEFAULT_K, FactorForm, NewInvitation, RespondView, StudyForm, StudyView, ThemeChoice,
    VignetteView, VignetteWorkspace,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::pages::records::{download, slug};
use crate::pages::{escape_xml, form_problem, see_other, validation};
use crate::views::{Errors, Layout, render};

fn layout(signed_in: &SignedIn, title: impl Into<String>) -> Layout {
    Layout::new(title, Some(&signed_in.0), "/vignettes")
}

/// A stakeholder category's label, for templates.
pub fn category(key: &str) -> String {
    if key == "researcher" {
        "Researcher".into()
    } else {
        domain::category_label(key).to_string()
    }
}

/// A stored timestamp as people read it: "2026-11-25 02:45".
pub fn when(stamp: &str) -> String {
    stamp.chars().take(16).collect::<String>().replace('T', " ")
}

/// The themes ticked on a vignette's form, each with its summary (`theme_summary_{key}`).
fn chosen_themes(f: &FormFields) -> Vec<(String, String)> {
    f.all("theme")
        .into_iter()
        .map(|key| {
            let summary = f.get(&format!("theme_summary_{key}"));
            (key, summary)
        })
        .collect()
}

fn k_of(f: &FormFields) -> u64 {
    f.get("k").trim().parse().ok().filter(|k| *k > 0).unwrap_or(DEFAULT_K)
}

// ----- The workspace -----

#[derive(Template)]
#[template(path = "vig_list.html")]
struct ListPage {
    layout: Layout,
    w: VignetteWorkspace,
    errors: Errors,
    f: FormFields,
    categories: &'static [(&'static str, &'static str)],
}

impl ListPage {
    fn rule_value(&self, key: &str) -> String {
        let typed = self.f.get(&format!("rule_{key}"));
        if !self.errors.is_empty() && !typed.is_empty() {
            return typed;
        }
        self.w.rule.minimum.get(key).map(|n| n.to_string()).unwrap_or_default()
    }
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let w = state.app.vignette_workspace(signed_in.actor()).await.html()?;
    let page = ListPage {
        layout: layout(signed_in, "Vignettes"),
        w,
        errors,
        f,
        categories: &CATEGORIES,
    };
    Ok(render(status, &page))
}

pub async fn get_list(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    list_page(
        &state,
        &signed_in,
        Errors::default(),
        FormFields::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn post_panel(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let outcome = if let Ok(account) = f.get("remove").parse() {
        state.app.remove_panel_member(signed_in.actor(), account).await
    } else {
        state
            .app
            .save_panel_member(signed_in.actor(), &f.get("username"), &f.get("category"))
            .await
    };
    match outcome {
        Ok(()) => Ok(see_other("/vignettes#panel".into())),
        Err(e) => {
            let errors = validation(e)?;
            list_page(&state, &signed_in, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn post_rule(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let pairs: Vec<(String, String)> = CATEGORIES
        .iter()
        .map(|(k, _)| ((*k).to_string(), f.get(&format!("rule_{k}"))))
        .collect();
    match state.app.save_approval_rule(signed_in.actor(), &pairs).await {
        Ok(()) => Ok(see_other("/vignettes#rule".into())),
        Err(e) => {
            let mut errors = validation(e)?;
            for err in &mut errors.0 {
                err.field = format!("rule_{}", err.field);
            }
            list_page(&state, &signed_in, errors, f, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ----- Drafting -----

#[derive(Template)]
#[template(path = "vig_form.html")]
struct FormPage {
    layout: Layout,
    errors: Errors,
    f: FormFields,
    check: Option<KCheck>,
    /// Where the draft came from, for the heading.
    cohort_note: String,
    problem: Option<String>,
    themes: Vec<ThemeChoice>,
}

impl FormPage {
    fn theme_checked(&self, key: &str) -> bool {
        self.f.all("theme").iter().any(|t| t == key)
    }

    fn theme_summary(&self, key: &str) -> String {
        self.f.get(&format!("theme_summary_{key}"))
    }
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    cohort: Option<String>,
}

pub async fn get_new(State(state): State<AppState>, signed_in: SignedIn, Query(q): Query<NewQuery>) -> HtmlResult {
    let mut pairs = vec![("k".to_string(), DEFAULT_K.to_string())];
    let mut cohort_note = String::new();
    let mut problem = None;
    if let Some(cohort) = q.cohort.filter(|c| !c.is_empty()) {
        match state.app.draft_vignette_from_cohort(signed_in.actor(), &cohort).await {
            Ok(c) => {
                cohort_note = format!(
                    "Proposed from the cohort \u{201c}{}\u{201d} ({} people): its typical values, never one person's. Rewrite it as a story in plain words.",
                    c.cohort, c.people
                );
                pairs.push(("cohort".into(), cohort));
                pairs.push(("title".into(), format!("A composite case from {}", c.cohort)));
                pairs.push(("story".into(), c.story()));
                pairs.push(("facts".into(), c.facts()));
            }
            Err(AppError::Conflict(m) | AppError::Unavailable(m)) => {
                problem = Some(crate::econ_report::sentence(&m));
            }
            Err(e) => return Err(WebError::from_app(Audience::Html, e)),
        }
    }
    let themes = state.app.workbench_choices(signed_in.actor()).await.html()?.0;
    let page = FormPage {
        layout: layout(&signed_in, "Draft a vignette"),
        errors: Errors::default(),
        f: FormFields::from_pairs(pairs),
        check: None,
        cohort_note,
        problem,
        themes,
    };
    Ok(render(StatusCode::OK, &page))
}

fn body_of(f: &FormFields) -> Body {
    Body {
        title: f.get("title").trim().to_string(),
        story: f.get("story").replace("\r\n", "\n").trim().to_string(),
        facts: f.get("facts").trim().to_string(),
        themes: Vec::new(),
    }
}

/// `POST /vignettes`: "Check against the records" shows the check and keeps the form; "Save"
/// saves the draft (the check runs again) and opens its page.
pub async fn post_new(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let mut draft = body_of(&f);
    let k = k_of(&f);
    let (errors, check, problem) = if f.get("action") == "check" {
        match state.app.check_vignette_facts(signed_in.actor(), &draft.facts, k).await {
            Ok(check) => (Errors::default(), Some(check), None),
            Err(AppError::Conflict(m) | AppError::Unavailable(m)) => {
                (Errors::default(), None, Some(crate::econ_report::sentence(&m)))
            }
            Err(e) => (validation(e)?, None, None),
        }
    } else {
        let cohort = f.get("cohort");
        let saved = match state.app.resolve_themes(signed_in.actor(), &chosen_themes(&f)).await {
            Ok(themes) => {
                draft.themes = themes;
                state
                    .app
                    .create_vignette(signed_in.actor(), Some(cohort.as_str()), &draft, k)
                    .await
            }
            Err(e) => Err(e),
        };
        match saved {
            Ok(id) => return Ok(see_other(format!("/vignettes/{id}"))),
            Err(e) => (validation(e)?, None, None),
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let themes = state.app.workbench_choices(signed_in.actor()).await.html()?.0;
    let page = FormPage {
        layout: layout(&signed_in, "Draft a vignette"),
        errors,
        f,
        check,
        cohort_note: String::new(),
        problem,
        themes,
    };
    Ok(render(status, &page))
}

// ----- A vignette -----

#[derive(Template)]
#[template(path = "vig_view.html")]
struct ViewPage {
    layout: Layout,
    v: VignetteView,
    errors: Errors,
    f: FormFields,
    notice: Option<String>,
    /// The researcher's workbench codes that can be linked as themes.
    themes: Vec<ThemeChoice>,
    /// The researcher's workbench sources that can be linked as interviews.
    interviews: Vec<cocare_app::InterviewLink>,
}

impl ViewPage {
    fn theme_summary(&self, key: &str) -> String {
        if self.f.get("form") == "edit" {
            return self.f.get(&format!("theme_summary_{key}"));
        }
        self.v
            .current()
            .and_then(|c| {
                c.body
                    .themes
                    .iter()
                    .find(|t| format!("{}/{}", t.project, t.code) == key)
                    .map(|t| t.summary.clone())
            })
            .unwrap_or_default()
    }

    fn theme_checked(&self, key: &str) -> bool {
        if self.f.get("form") == "edit" {
            return self.f.all("theme").iter().any(|t| t == key);
        }
        self.v
            .current()
            .is_some_and(|c| c.body.themes.iter().any(|t| format!("{}/{}", t.project, t.code) == key))
    }

    fn edit_value(&self, name: &str) -> String {
        if self.f.get("form") == "edit" {
            return self.f.get(name);
        }
        let Some(current) = self.v.current() else {
            return String::new();
        };
        match name {
            "title" => current.body.title.clone(),
            "story" => current.body.story.clone(),
            "facts" => current.body.facts.clone(),
            "k" => current.check.as_ref().map_or(DEFAULT_K, |c| c.k).to_string(),
            _ => String::new(),
        }
    }

    fn comment_value(&self, name: &str) -> String {
        if self.f.get("form") == "comment" {
            self.f.get(name)
        } else {
            String::new()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ViewQuery {
    saved: Option<String>,
}

async fn view_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    errors: Errors,
    f: FormFields,
    notice: Option<String>,
    status: StatusCode,
) -> HtmlResult {
    let v = state.app.vignette(signed_in.actor(), id).await.html()?;
    let title = v.current().map(|c| c.body.title.clone()).unwrap_or_default();
    let (themes, interviews) = if v.can_manage {
        state.app.workbench_choices(signed_in.actor()).await.html()?
    } else {
        (Vec::new(), Vec::new())
    };
    let page = ViewPage {
        layout: layout(signed_in, title),
        v,
        errors,
        f,
        notice,
        themes,
        interviews,
    };
    Ok(render(status, &page))
}

/// A vignette's form came back with a problem: the page again, as typed, with the problem
/// linked to `field` for a conflict (409) or to the fields named (422).
async fn vignette_again(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    e: AppError,
    f: FormFields,
    field: &str,
) -> HtmlResult {
    let (errors, status) = form_problem(e, field)?;
    view_page(state, signed_in, id, errors, f, None, status).await
}

pub async fn get_vignette(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> HtmlResult {
    let notice = match q.saved.as_deref() {
        Some("reset") => Some(
            "Saved as a new version. It changed after the panel approved it, so the approvals start again: the panel reads and approves the new version."
                .to_string(),
        ),
        Some("version") => Some("Saved as a new version; the check against the records ran again.".to_string()),
        Some("comment") => Some("Your comment is added.".to_string()),
        Some("approved") => Some("Your approval is recorded.".to_string()),
        Some("withdrawn") => Some("Your approval is withdrawn.".to_string()),
        _ => None,
    };
    view_page(
        &state,
        &signed_in,
        &id,
        Errors::default(),
        FormFields::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

pub async fn post_edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let expected = f.get("version").parse().unwrap_or(0);
    let outcome = match state.app.resolve_themes(signed_in.actor(), &chosen_themes(&f)).await {
        Ok(themes) => {
            let draft = Body { themes, ..body_of(&f) };
            state
                .app
                .edit_vignette(signed_in.actor(), &id, expected, &draft, &f.get("note"), k_of(&f))
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok((_, true)) => Ok(see_other(format!("/vignettes/{id}?saved=reset"))),
        Ok((_, false)) => Ok(see_other(format!("/vignettes/{id}?saved=version"))),
        Err(e) => vignette_again(&state, &signed_in, &id, e, f, "story").await,
    }
}

/// `POST /vignettes/{vignette}/interviews`: link an interview, or unlink one (`unlink`).
pub async fn post_interview(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let unlink = f.get("unlink");
    let (key, linked) = if unlink.is_empty() {
        (f.get("interview"), true)
    } else {
        (unlink, false)
    };
    match state
        .app
        .link_vignette_interview(signed_in.actor(), &id, &key, linked)
        .await
    {
        Ok(()) => Ok(see_other(format!("/vignettes/{id}#interviews"))),
        Err(e) => vignette_again(&state, &signed_in, &id, e, f, "interview").await,
    }
}

pub async fn post_comment(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let outcome = state
        .app
        .comment_on_vignette(
            signed_in.actor(),
            &id,
            &f.get("passage"),
            &f.get("comment"),
            &f.get("suggestion"),
        )
        .await;
    match outcome {
        Ok(()) => Ok(see_other(format!("/vignettes/{id}?saved=comment#comments"))),
        Err(e) => vignette_again(&state, &signed_in, &id, e, f, "comment").await,
    }
}

pub async fn post_approval(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let version = f.get("version").parse().unwrap_or(0);
    let approve = f.get("approve") != "no";
    match state
        .app
        .approve_vignette(signed_in.actor(), &id, version, approve)
        .await
    {
        Ok(()) => Ok(see_other(format!(
            "/vignettes/{id}?saved={}#approvals",
            if approve { "approved" } else { "withdrawn" }
        ))),
        Err(e) => vignette_again(&state, &signed_in, &id, e, f, "approve").await,
    }
}

// ----- Studies -----

#[derive(Template)]
#[template(path = "study_form.html")]
struct StudyFormPage {
    layout: Layout,
    w: VignetteWorkspace,
    errors: Errors,
    f: FormFields,
    /// Where the form posts: `/studies`, or a draft's `/studies/{id}/edit`.
    action: String,
}

impl StudyFormPage {
    fn chosen(&self, id: &str) -> bool {
        self.f.all("vignettes").iter().any(|v| v == id)
    }

    fn factor(&self, field: &str, id: &str) -> String {
        self.f.get(&format!("{field}_{id}"))
    }
}

pub async fn get_new_study(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let w = state.app.vignette_workspace(signed_in.actor()).await.html()?;
    let page = StudyFormPage {
        layout: layout(&signed_in, "Build a decision study"),
        w,
        errors: Errors::default(),
        f: FormFields::from_pairs(vec![("items".into(), DEFAULT_ITEMS.into())]),
        action: "/studies".into(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn study_form(f: &FormFields) -> StudyForm {
    let vignettes = f.all("vignettes");
    let factors: BTreeMap<String, FactorForm> = vignettes
        .iter()
        .map(|id| {
            (
                id.clone(),
                FactorForm {
                    name: f.get(&format!("factor_name_{id}")),
                    reference_label: f.get(&format!("factor_ref_label_{id}")),
                    reference_text: f.get(&format!("factor_ref_text_{id}")),
                    levels: f.get(&format!("factor_levels_{id}")),
                },
            )
        })
        .collect();
    StudyForm {
        title: f.get("title"),
        vignettes,
        items: f.get("items"),
        factors,
        seed: None,
    }
}

pub async fn post_new_study(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    match state.app.create_study(signed_in.actor(), &study_form(&f)).await {
        Ok(id) => Ok(see_other(format!("/studies/{id}"))),
        Err(e) => {
            let errors = validation(e)?;
            let w = state.app.vignette_workspace(signed_in.actor()).await.html()?;
            let page = StudyFormPage {
                layout: layout(&signed_in, "Build a decision study"),
                w,
                errors,
                f,
                action: "/studies".into(),
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// `GET /studies/{study}/edit`: a draft's form, filled in as saved.
pub async fn get_edit_study(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let s = state.app.study(signed_in.actor(), &id).await.html()?;
    let form = StudyForm::from_definition(&s.definition);
    let mut pairs = vec![
        ("title".to_string(), form.title.clone()),
        ("items".into(), form.items.clone()),
    ];
    for v in &form.vignettes {
        pairs.push(("vignettes".into(), v.clone()));
    }
    for (v, factor) in &form.factors {
        pairs.push((format!("factor_name_{v}"), factor.name.clone()));
        pairs.push((format!("factor_ref_label_{v}"), factor.reference_label.clone()));
        pairs.push((format!("factor_ref_text_{v}"), factor.reference_text.clone()));
        pairs.push((format!("factor_levels_{v}"), factor.levels.clone()));
    }
    let w = state.app.vignette_workspace(signed_in.actor()).await.html()?;
    let page = StudyFormPage {
        layout: layout(&signed_in, format!("Change the draft: {}", s.definition.title)),
        w,
        errors: Errors::default(),
        f: FormFields::from_pairs(pairs),
        action: format!("/studies/{id}/edit"),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_edit_study(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let errors = match state.app.update_study(signed_in.actor(), &id, &study_form(&f)).await {
        Ok(()) => return Ok(see_other(format!("/studies/{id}"))),
        Err(e) => form_problem(e, "title")?.0,
    };
    let w = state.app.vignette_workspace(signed_in.actor()).await.html()?;
    let page = StudyFormPage {
        layout: layout(&signed_in, "Change the draft"),
        w,
        errors,
        f,
        action: format!("/studies/{id}/edit"),
    };
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(Template)]
#[template(path = "study_view.html")]
struct StudyPage {
    layout: Layout,
    s: StudyView,
    errors: Errors,
    f: FormFields,
    links: Vec<(NewInvitation, String)>,
    notice: Option<String>,
}

async fn study_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    errors: Errors,
    f: FormFields,
    links: Vec<NewInvitation>,
    status: StatusCode,
) -> HtmlResult {
    let s = state.app.study(signed_in.actor(), id).await.html()?;
    let notice = match f.get("saved").as_str() {
        "open" => Some("The study is open: links now work.".to_string()),
        "closed" => {
            Some("The study is closed: links no longer take answers; everything kept is in the analysis.".to_string())
        }
        _ => None,
    };
    let page = StudyPage {
        layout: layout(signed_in, s.definition.title.clone()),
        links: links
            .into_iter()
            .map(|l| {
                let path = format!("/study/{}", l.token);
                (l, path)
            })
            .collect(),
        s,
        errors,
        f,
        notice,
    };
    Ok(render(status, &page))
}

#[derive(Debug, Deserialize)]
pub struct StudyQuery {
    saved: Option<String>,
}

pub async fn get_study(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<StudyQuery>,
) -> HtmlResult {
    let f = FormFields::from_pairs(vec![("saved".into(), q.saved.unwrap_or_default())]);
    study_page(
        &state,
        &signed_in,
        &id,
        Errors::default(),
        f,
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn post_study_status(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let status = f.get("status");
    match state.app.set_study_status(signed_in.actor(), &id, &status).await {
        Ok(()) => Ok(see_other(format!("/studies/{id}?saved={status}"))),
        Err(e) => study_again(&state, &signed_in, &id, e, f, "status").await,
    }
}

/// A study's form came back with a problem: the page again, with the problem on `field` for a
/// conflict (409) or on the fields named (422).
async fn study_again(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    e: AppError,
    f: FormFields,
    field: &str,
) -> HtmlResult {
    let (errors, status) = form_problem(e, field)?;
    study_page(state, signed_in, id, errors, f, Vec::new(), status).await
}

pub async fn post_invitations(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let count: usize = f.get("count").trim().parse().unwrap_or(0);
    match state
        .app
        .invite_to_study(signed_in.actor(), &id, &f.get("label"), count)
        .await
    {
        Ok(links) => study_page(&state, &signed_in, &id, Errors::default(), f, links, StatusCode::OK).await,
        Err(e) => study_again(&state, &signed_in, &id, e, f, "count").await,
    }
}

// ----- Analysis -----

/// A distribution as horizontal bars, with the table beside it in the template.
pub fn distribution_chart(d: &Distribution, title_id: &str, title: &str) -> String {
    if d.counts.is_empty() {
        return String::new();
    }
    let max = d.counts.iter().map(|c| c.count).max().unwrap_or(0).max(1) as f64;
    let (label_w, bar_w, row_h) = (190.0, 300.0, 26.0);
    let h = 10.0 + row_h * d.counts.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{title_id}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{title_id}\">{}; the table has the figures</title>",
        escape_xml(title),
        w = label_w + bar_w + 50.0
    );
    for (i, c) in d.counts.iter().enumerate() {
        let y = 6.0 + row_h * i as f64;
        let width = (c.count as f64 / max) * bar_w;
        let label: String = c.value.chars().take(28).collect();
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty:.1}\" font-size=\"13\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"18\" fill=\"#1d4f91\"/><text x=\"{cx:.1}\" y=\"{ty:.1}\" font-size=\"13\">{}</text>",
            escape_xml(&label),
            c.count,
            lx = label_w - 8.0,
            ty = y + 14.0,
            cx = label_w + width + 6.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Differences in proportions with their 95% intervals on a common axis from −1 to 1.
pub fn effects_chart(effects: &[Effect]) -> String {
    let shown: Vec<&Effect> = effects.iter().filter(|e| e.result.is_ok()).collect();
    if shown.is_empty() {
        return String::new();
    }
    let (label_w, axis_w, row_h) = (260.0, 360.0, 30.0);
    let h = 36.0 + row_h * shown.len() as f64;
    let x = |v: f64| label_w + (v.clamp(-1.0, 1.0) + 1.0) / 2.0 * axis_w;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"effects-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"effects-title\">Difference in the proportion answering yes, each level against the approved wording, with 95% confidence intervals; the table has the figures</title>",
        w = label_w + axis_w + 20.0
    );
    for v in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let xx = x(v);
        let stroke = if v == 0.0 { "#333" } else { "#ddd" };
        svg.push_str(&format!(
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"20\" y2=\"{y2:.1}\" stroke=\"{stroke}\"/><text x=\"{xx:.1}\" y=\"14\" font-size=\"11\" text-anchor=\"middle\">{v:+.1}</text>",
            y2 = h - 4.0
        ));
    }
    for (i, e) in shown.iter().enumerate() {
        let Ok(r) = &e.result else { continue };
        let y = 36.0 + row_h * i as f64;
        let label: String = format!("{}: {} ({})", e.factor, e.level, e.item)
            .chars()
            .take(40)
            .collect();
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text><line x1=\"{a:.1}\" x2=\"{b:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#a3262a\" stroke-width=\"2\"/><circle cx=\"{c:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"#a3262a\"/>",
            escape_xml(&label),
            lx = label_w - 8.0,
            ty = y + 4.0,
            a = x(r.low),
            b = x(r.high),
            c = x(r.difference)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Template)]
#[template(path = "study_analysis.html")]
struct AnalysisPage {
    layout: Layout,
    s: StudyView,
    a: Analysis,
    regression: bool,
    errors: Errors,
    notice: Option<String>,
    /// The researcher's workbench projects (as owner or coder), to send the reasons to.
    projects: Vec<cocare_app::QualProjectSummary>,
}

impl AnalysisPage {
    fn title_of(&self, vignette: &str) -> String {
        self.s
            .definition
            .vignette(vignette)
            .map(|(_, v)| v.title.clone())
            .unwrap_or_default()
    }

    fn prompt_of(&self, item: &str) -> String {
        self.s
            .definition
            .item(item)
            .map(|i| i.prompt.clone())
            .unwrap_or_default()
    }

    fn chart(&self, index: &usize, d: &Distribution) -> String {
        let title = format!("{}: {}", self.title_of(&d.vignette), self.prompt_of(&d.item));
        distribution_chart(d, &format!("dist-{index}"), &title)
    }

    fn effects_svg(&self) -> String {
        effects_chart(&self.a.effects)
    }
}

/// A number for tables: three decimals, or a dash.
pub fn num(v: &f64) -> String {
    if v.is_finite() { format!("{v:.3}") } else { "–".into() }
}

pub fn opt_num(v: &Option<f64>) -> String {
    v.as_ref().map_or_else(|| "–".into(), num)
}

#[derive(Debug, Deserialize)]
pub struct AnalysisQuery {
    regression: Option<String>,
    sent: Option<usize>,
}

async fn analysis_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    regression: bool,
    errors: Errors,
    notice: Option<String>,
    status: StatusCode,
) -> HtmlResult {
    let (s, a) = state
        .app
        .study_analysis(signed_in.actor(), id, regression)
        .await
        .html()?;
    let projects = match state.app.qual_projects(signed_in.actor()).await {
        Ok(p) => p
            .into_iter()
            .filter(|p| p.role != cocare_app::ProjectRole::Viewer)
            .collect(),
        Err(_) => Vec::new(),
    };
    let page = AnalysisPage {
        projects,
        layout: layout(signed_in, format!("Analysis: {}", s.definition.title)),
        s,
        a,
        regression,
        errors,
        notice,
    };
    Ok(render(status, &page))
}

pub async fn get_analysis(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<AnalysisQuery>,
) -> HtmlResult {
    let regression = q.regression.as_deref() == Some("1");
    let notice = q
        .sent
        .map(|n| format!("The reasons are in the workbench as {n} source(s), ready to code."));
    analysis_page(
        &state,
        &signed_in,
        &id,
        regression,
        Errors::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

pub async fn post_reasons(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    match state
        .app
        .study_reasons_to_workbench(signed_in.actor(), &id, f.get("project").trim())
        .await
    {
        Ok(n) => Ok(see_other(format!("/studies/{id}/analysis?sent={n}#reasons"))),
        Err(AppError::NotFound) => {
            let errors = Errors(vec![cocare_app::FieldError::new(
                "project",
                "There is no workbench project with that id that you code in.",
            )]);
            analysis_page(
                &state,
                &signed_in,
                &id,
                false,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => {
            let (errors, status) = form_problem(e, "project")?;
            analysis_page(&state, &signed_in, &id, false, errors, None, status).await
        }
    }
}

// ----- Exports -----

pub async fn get_responses_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> HtmlResult {
    let (s, responses, _) = state.app.study_export(signed_in.actor(), &id).await.html()?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("{}-responses.csv", slug(&s.definition.title)),
        responses.into_bytes(),
    ))
}

pub async fn get_dictionary_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> HtmlResult {
    let (s, _, dictionary) = state.app.study_export(signed_in.actor(), &id).await.html()?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("{}-dictionary.csv", slug(&s.definition.title)),
        dictionary.into_bytes(),
    ))
}

/// Both CSVs as sheets of one workbook.
pub async fn get_xlsx(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let (s, responses, dictionary) = state.app.study_export(signed_in.actor(), &id).await.html()?;
    let bytes = workbook(&[("Responses", &responses), ("Dictionary", &dictionary)])
        .map_err(|e| WebError::from_app(Audience::Html, AppError::Unexpected(anyhow::anyhow!("workbook: {e}"))))?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{}.xlsx", slug(&s.definition.title)),
        bytes,
    ))
}

fn workbook(sheets: &[(&str, &str)]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, csv_text) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv_text.as_bytes());
        for (r, record) in reader.records().flatten().enumerate() {
            for (c, value) in record.iter().enumerate() {
                let (row, col) = (r as u32, c as u16);
                if r == 0 {
                    sheet.write_with_format(row, col, value, &bold)?;
                } else if let Ok(n) = value.parse::<f64>()
                    && !value.is_empty()
                    && !value.starts_with('0')
                {
                    sheet.write(row, col, n)?;
                } else {
                    sheet.write(row, col, value)?;
                }
            }
        }
    }
    book.save_to_buffer()
}

#[derive(Template)]
#[template(path = "study_booklet.html")]
struct Booklet {
    s: StudyView,
}

/// The vignettes as a printable booklet (print to PDF from the browser).
pub async fn get_booklet(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let s = state.app.study(signed_in.actor(), &id).await.html()?;
    Ok(render(StatusCode::OK, &Booklet { s }))
}

pub async fn get_methods(State(state): State<AppState>, signed_in: SignedIn, Path(id): Path<String>) -> HtmlResult {
    let text = state.app.study_methods(signed_in.actor(), &id).await.html()?;
    Ok(download(
        "text/markdown; charset=utf-8",
        "methods.md".into(),
        text.into_bytes(),
    ))
}

// ----- The respondent's page -----

#[derive(Template)]
#[template(path = "study_respond.html")]
struct RespondPage {
    layout: Layout,
    token: String,
    view: Option<RespondView>,
    errors: Errors,
    f: FormFields,
    done: bool,
    saved: bool,
    problem: Option<String>,
}

impl RespondPage {
    /// What the field shows: as typed after a problem, else the respondent's saved answer.
    fn value(&self, vignette: &str, item: &str) -> String {
        let name = format!("a_{vignette}_{item}");
        if !self.errors.is_empty() {
            return self.f.get(&name);
        }
        self.view
            .as_ref()
            .and_then(|v| v.answers.get(&(vignette.to_string(), item.to_string())))
            .cloned()
            .unwrap_or_default()
    }

    fn values(&self, item: &Item) -> Vec<String> {
        item.answer.values()
    }

    fn is_text(&self, item: &Item) -> bool {
        item.answer == Answer::Text
    }
}

fn respond_layout(session: &Option<cocare_app::SessionContext>, csrf: &str) -> Layout {
    match session {
        Some(ctx) => Layout::new("Decision study", Some(ctx), ""),
        None => Layout::new("Decision study", None, "").with_csrf(csrf.to_string()),
    }
}

pub async fn get_respond(
    State(state): State<AppState>,
    crate::gate::MaybeSignedIn(session): crate::gate::MaybeSignedIn,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let (csrf, fresh) = crate::pages::link_csrf(&headers);
    let (view, problem, status) = match state.app.respond_view(&token).await {
        Ok(v) => (Some(v), None, StatusCode::OK),
        Err(AppError::Conflict(m)) => (None, Some(m), StatusCode::CONFLICT),
        Err(e) => return WebError::from_app(Audience::Html, e).into_response(),
    };
    let page = RespondPage {
        layout: respond_layout(&session, &csrf),
        token,
        view,
        errors: Errors::default(),
        f: FormFields::default(),
        done: false,
        saved: false,
        problem,
    };
    crate::pages::with_link_csrf(&state, render(status, &page), session.is_none() && fresh, &csrf)
}

pub async fn post_respond(
    State(state): State<AppState>,
    crate::gate::MaybeSignedIn(session): crate::gate::MaybeSignedIn,
    Path(token): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let csrf = f.get("csrf_token");
    let submit = f.get("action") == "submit";
    // Every answer field is named a_{vignette}_{item}; the page lists which pairs it carries.
    let answers: Vec<(String, String, String)> = f
        .all("q")
        .iter()
        .filter_map(|pair| {
            let (vignette, item) = pair.split_once('/')?;
            Some((
                vignette.to_string(),
                item.to_string(),
                f.get(&format!("a_{vignette}_{item}")),
            ))
        })
        .collect();
    let outcome = state.app.respond(&token, &answers, submit).await;
    let (errors, done, problem, status) = match outcome {
        Ok(()) => (Errors::default(), submit, None, StatusCode::OK),
        Err(AppError::Validation(e)) => (Errors(e), false, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Conflict(m)) => (Errors::default(), false, Some(m), StatusCode::CONFLICT),
        Err(e) => return Err(WebError::from_app(Audience::Html, e)),
    };
    let view = if done || problem.is_some() {
        None
    } else {
        state.app.respond_view(&token).await.ok()
    };
    let page = RespondPage {
        layout: respond_layout(&session, &csrf),
        token,
        view,
        errors,
        f,
        done,
        saved: !submit && status == StatusCode::OK,
        problem,
    };
    Ok(render(status, &page))
}
