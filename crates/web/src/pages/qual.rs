//! The qualitative workbench: projects, sources and coding, codebooks, participants, memos,
//! retrieval, search, co-occurrence and framework matrices, agreement, CMO configurations, and
//! REFI-QDA exchange. Every handler calls one `cocare-app` function; the project's members are
//! checked there, through the access policy.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use cocare_app::qual_domain::realist::{Cmo, Evidence, Stance};
use cocare_app::{
    AgreementReport, AppError, CmoView, ExcerptView, FRAMES, FieldError, FrameworkMatrix, ProjectRole, ProjectView,
    QualProjectSummary, SOURCE_KINDS, SearchResult, Segment, SourceForm, SourceView, VARIABLE_KINDS,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::pages::records::download;
use crate::pages::{escape_xml, form_problem, see_other, validation};
use crate::views::{Errors, Layout, render};

const NAV: &str = "/qual";

fn layout(signed_in: &SignedIn, title: impl Into<String>) -> Layout {
    Layout::new(title, Some(&signed_in.0), NAV)
}

/// The text fields of a multipart form and its first chosen file (name, bytes).
struct Parts {
    fields: BTreeMap<String, String>,
    file: Option<(String, Vec<u8>)>,
}

async fn read_parts(multipart: &mut Multipart) -> Result<Parts, String> {
    let mut parts = Parts {
        fields: BTreeMap::new(),
        file: None,
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(parts),
            Err(e) => {
                return Err(format!(
                    "The upload did not arrive whole ({}). Please try again.",
                    e.body_text()
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("The upload did not arrive whole ({}). Please try again.", e.body_text()))?;
        match file_name {
            Some(f) if !f.is_empty() => {
                if parts.file.is_none() && !bytes.is_empty() {
                    parts.file = Some((f, bytes.to_vec()));
                }
            }
            _ => {
                parts.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
}

// ----- Projects -----

#[derive(Template)]
#[template(path = "qual.html")]
struct ListPage {
    layout: Layout,
    projects: Vec<QualProjectSummary>,
    frames: &'static [(&'static str, &'static str)],
    errors: Errors,
    name: String,
    description: String,
    frame: String,
}

#[derive(Deserialize)]
pub struct ImportedQuery {
    imported: Option<String>,
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Errors,
    form: (String, String, String),
) -> Result<ListPage, WebError> {
    let projects = state.app.qual_projects(signed_in.actor()).await.html()?;
    Ok(ListPage {
        layout: layout(signed_in, "Qualitative projects"),
        projects,
        frames: &FRAMES,
        errors,
        name: form.0,
        description: form.1,
        frame: form.2,
    })
}

pub async fn get_qual(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let page = list_page(&state, &signed_in, Errors::default(), Default::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_project(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let f = FormFields::parse(&body);
    let (name, description, frame) = (f.get("name"), f.get("description"), f.get("frame"));
    match state
        .app
        .create_qual_project(signed_in.actor(), &name, &description, &frame)
        .await
    {
        Ok(id) => Ok(see_other(format!("/qual/{id}"))),
        Err(e) => {
            let errors = validation(e)?;
            let page = list_page(&state, &signed_in, errors, (name, description, frame)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

pub async fn post_import(State(state): State<AppState>, signed_in: SignedIn, mut multipart: Multipart) -> HtmlResult {
    let outcome = match read_parts(&mut multipart).await {
        Err(message) => Err(AppError::Validation(vec![FieldError::new("qdpx", message)])),
        Ok(Parts { file: None, .. }) => Err(AppError::Validation(vec![FieldError::new(
            "qdpx",
            "Choose a .qdpx file (exported from NVivo, ATLAS.ti, MAXQDA, QualCoder or cocare).",
        )])),
        Ok(Parts {
            file: Some((_, bytes)), ..
        }) => state.app.qual_import_qdpx(signed_in.actor(), None, None, &bytes).await,
    };
    match outcome {
        Ok(done) => {
            let skipped = if done.skipped.is_empty() {
                String::new()
            } else {
                format!(
                    " Not imported (cocare has no place for them yet): {}.",
                    done.skipped.join(", ")
                )
            };
            let note = format!(
                "Imported {} sources, {} codings and {} memos.{skipped}",
                done.sources, done.codings, done.memos
            );
            Ok(see_other(format!(
                "/qual/{}?imported={}",
                done.project,
                urlencoding(&note)
            )))
        }
        Err(e) => {
            let errors = validation(e)?;
            let page = list_page(&state, &signed_in, errors, Default::default()).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "qual_project.html")]
struct ProjectPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    errors: Errors,
    form: SourceForm,
    kinds: &'static [(&'static str, &'static str)],
    imported: Option<String>,
    memo: String,
}

pub async fn get_project(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    Query(q): Query<ImportedQuery>,
) -> HtmlResult {
    let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
    let page = ProjectPage {
        layout: layout(&signed_in, view.project.name.clone()),
        view,
        tab: "sources",
        errors: Errors::default(),
        form: SourceForm {
            kind: "auto".into(),
            ..SourceForm::default()
        },
        kinds: &SOURCE_KINDS,
        imported: q.imported,
        memo: String::new(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_source(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    mut multipart: Multipart,
) -> HtmlResult {
    let (form, outcome) = match read_parts(&mut multipart).await {
        Err(message) => (
            SourceForm::default(),
            Err(AppError::Validation(vec![FieldError::new("text", message)])),
        ),
        Ok(parts) => {
            let get = |k: &str| parts.fields.get(k).cloned().unwrap_or_default();
            let mut form = SourceForm {
                name: get("name"),
                kind: get("kind"),
                text: get("text"),
                participant: get("participant"),
                description: get("description"),
            };
            let mut problem = None;
            if let Some((file_name, bytes)) = &parts.file {
                match String::from_utf8(bytes.clone()) {
                    Ok(text) => {
                        form.text = text;
                        if form.name.trim().is_empty() {
                            form.name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).to_string();
                        }
                    }
                    Err(_) => {
                        problem = Some(format!(
                            "{file_name} is not UTF-8 text: save it as plain text (UTF-8), WebVTT or SRT."
                        ));
                    }
                }
            }
            let outcome = match problem {
                Some(p) => Err(AppError::Validation(vec![FieldError::new("file", p)])),
                None => state.app.import_qual_source(signed_in.actor(), &project, &form).await,
            };
            (form, outcome)
        }
    };
    match outcome {
        Ok(id) => Ok(see_other(format!("/qual/{project}/sources/{id}"))),
        Err(e) => {
            let errors = validation(e)?;
            let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
            let page = ProjectPage {
                layout: layout(&signed_in, view.project.name.clone()),
                view,
                tab: "sources",
                errors,
                form,
                kinds: &SOURCE_KINDS,
                imported: None,
                memo: String::new(),
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

// ----- Participants, attributes, members -----

#[derive(Template)]
#[template(path = "qual_people.html")]
struct PeoplePage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    errors: Errors,
    f: FormFields,
    variable_kinds: &'static [&'static str],
    role_values: &'static [&'static str],
}

async fn people_page(
    state: &AppState,
    signed_in: &SignedIn,
    project: &str,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let view = state.app.qual_project(signed_in.actor(), project).await.html()?;
    let page = PeoplePage {
        layout: layout(signed_in, format!("Participants: {}", view.project.name)),
        view,
        tab: "people",
        errors,
        f,
        variable_kinds: &VARIABLE_KINDS,
        role_values: &cocare_app::ROLE_VALUES,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
pub struct EditQuery {
    edit: Option<String>,
}

pub async fn get_people(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    Query(q): Query<EditQuery>,
) -> HtmlResult {
    let mut f = Vec::new();
    if let Some(edit) = &q.edit {
        let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
        let p = view
            .participants
            .iter()
            .find(|p| p.id == *edit)
            .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
        f.push(("id".to_string(), p.id.clone()));
        f.push(("name".to_string(), p.name.clone()));
        f.push(("description".to_string(), p.description.clone()));
        for (guid, value) in &p.values {
            f.push((format!("var-{guid}"), value.clone()));
        }
    }
    people_page(
        &state,
        &signed_in,
        &project,
        Errors::default(),
        FormFields::from_pairs(f),
        StatusCode::OK,
    )
    .await
}

pub async fn post_participant(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
    let values: BTreeMap<String, String> = view
        .variables
        .iter()
        .map(|v| (v.guid.clone(), f.get(&format!("var-{}", v.guid))))
        .collect();
    let id = f.get("id");
    match state
        .app
        .save_qual_participant(
            signed_in.actor(),
            &project,
            Some(id.as_str()).filter(|s| !s.is_empty()),
            &f.get("name"),
            &f.get("description"),
            &values,
        )
        .await
    {
        Ok(_) => Ok(see_other(format!("/qual/{project}/people"))),
        Err(e) => {
            let errors = validation(e)?;
            people_page(
                &state,
                &signed_in,
                &project,
                errors,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn post_variable(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    match state
        .app
        .add_qual_variable(
            signed_in.actor(),
            &project,
            &f.get("variable_name"),
            &f.get("variable_kind"),
        )
        .await
    {
        Ok(()) => Ok(see_other(format!("/qual/{project}/people"))),
        Err(e) => {
            let errors = validation(e)?;
            people_page(
                &state,
                &signed_in,
                &project,
                errors,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn post_member(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let role = f.get("role");
    let role = if role == "remove" {
        None
    } else {
        ProjectRole::parse(&role)
    };
    let outcome = if role.is_none() && f.get("role") != "remove" {
        Err(AppError::Validation(vec![FieldError::new("role", "Choose a role.")]))
    } else {
        state
            .app
            .set_qual_member(signed_in.actor(), &project, &f.get("username"), role)
            .await
    };
    match outcome {
        Ok(()) => Ok(see_other(format!("/qual/{project}/people"))),
        Err(e) => {
            let (errors, status) = form_problem(e, "username")?;
            people_page(&state, &signed_in, &project, errors, f, status).await
        }
    }
}

// ----- Codebook -----

#[derive(Template)]
#[template(path = "qual_codebook.html")]
struct CodebookPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    errors: Errors,
    f: FormFields,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    edit: Option<String>,
    imported: Option<usize>,
}

async fn codebook_page(
    state: &AppState,
    signed_in: &SignedIn,
    project: &str,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
    message: Option<String>,
) -> HtmlResult {
    let view = state.app.qual_project(signed_in.actor(), project).await.html()?;
    let page = CodebookPage {
        layout: layout(signed_in, format!("Codebook: {}", view.project.name)),
        view,
        tab: "codebook",
        errors,
        f,
        message,
    };
    Ok(render(status, &page))
}

pub async fn get_codebook(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    Query(q): Query<CodeQuery>,
) -> HtmlResult {
    let mut f = Vec::new();
    if let Some(edit) = &q.edit {
        let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
        let code = view
            .codebook
            .codes
            .iter()
            .find(|c| c.guid == *edit)
            .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
        f = vec![
            ("guid".to_string(), code.guid.clone()),
            ("code_name".to_string(), code.name.clone()),
            ("description".to_string(), code.description.clone()),
            ("parent".to_string(), code.parent.clone().unwrap_or_default()),
            (
                "codable".to_string(),
                if code.codable { "yes" } else { "no" }.to_string(),
            ),
        ];
    }
    let message = q.imported.map(|n| format!("{n} codes imported from the QDC file."));
    codebook_page(
        &state,
        &signed_in,
        &project,
        Errors::default(),
        FormFields::from_pairs(f),
        StatusCode::OK,
        message,
    )
    .await
}

pub async fn post_code(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let revision = f.get("revision").parse::<i64>().unwrap_or(0);
    let guid = f.get("guid");
    let parent = f.get("parent");
    let outcome = state
        .app
        .save_qual_code(
            signed_in.actor(),
            &project,
            revision,
            Some(guid.as_str()).filter(|g| !g.is_empty()),
            &f.get("code_name"),
            &f.get("description"),
            Some(parent.as_str()).filter(|p| !p.is_empty()),
            f.get("codable") != "no",
        )
        .await;
    match outcome {
        Ok(_) => Ok(see_other(format!("/qual/{project}/codebook"))),
        Err(e) => {
            let (errors, status) = form_problem(e, "code_name")?;
            codebook_page(&state, &signed_in, &project, errors, f, status, None).await
        }
    }
}

pub async fn post_code_remove(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let revision = f.get("revision").parse::<i64>().unwrap_or(0);
    match state
        .app
        .remove_qual_code(signed_in.actor(), &project, revision, &f.get("guid"))
        .await
    {
        Ok(()) => Ok(see_other(format!("/qual/{project}/codebook"))),
        Err(AppError::Conflict(message)) => {
            let errors = Errors(vec![FieldError::new("codes", message)]);
            codebook_page(
                &state,
                &signed_in,
                &project,
                errors,
                FormFields::default(),
                StatusCode::CONFLICT,
                None,
            )
            .await
        }
        Err(e) => Err(WebError::from_app(Audience::Html, e)),
    }
}

pub async fn get_qdc(State(state): State<AppState>, signed_in: SignedIn, Path(project): Path<String>) -> HtmlResult {
    let xml = state.app.qual_codebook_qdc(signed_in.actor(), &project).await.html()?;
    Ok(download(
        "application/xml; charset=utf-8",
        "codebook.qdc".into(),
        xml.into_bytes(),
    ))
}

pub async fn post_qdc(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    mut multipart: Multipart,
) -> HtmlResult {
    let outcome = match read_parts(&mut multipart).await {
        Err(message) => Err(AppError::Validation(vec![FieldError::new("qdc", message)])),
        Ok(parts) => {
            let revision = parts
                .fields
                .get("revision")
                .and_then(|r| r.parse::<i64>().ok())
                .unwrap_or(0);
            match parts.file {
                None => Err(AppError::Validation(vec![FieldError::new(
                    "qdc",
                    "Choose a .qdc codebook file.",
                )])),
                Some((_, bytes)) => match String::from_utf8(bytes) {
                    Ok(xml) => {
                        state
                            .app
                            .import_qual_qdc(signed_in.actor(), &project, revision, &xml)
                            .await
                    }
                    Err(_) => Err(AppError::Validation(vec![FieldError::new(
                        "qdc",
                        "This file is not UTF-8 XML: a QDC codebook is XML text.",
                    )])),
                },
            }
        }
    };
    match outcome {
        Ok(n) => Ok(see_other(format!("/qual/{project}/codebook?imported={n}"))),
        Err(e) => {
            let (errors, status) = form_problem(e, "qdc")?;
            codebook_page(
                &state,
                &signed_in,
                &project,
                errors,
                FormFields::default(),
                status,
                None,
            )
            .await
        }
    }
}

// ----- A source, and coding it -----

#[derive(Template)]
#[template(path = "qual_source.html")]
struct SourcePage {
    layout: Layout,
    sv: SourceView,
    view: ProjectView,
    tab: &'static str,
    errors: Errors,
    f: FormFields,
    me: String,
    /// Each piece: (start, text, class, title).
    pieces: Vec<(usize, String, String, String)>,
    /// Only the signed-in coder's codings are shown.
    mine: bool,
}

#[derive(Deserialize)]
pub struct MineQuery {
    mine: Option<String>,
}

fn ms(t: Option<u64>) -> String {
    t.map(|ms| {
        let s = ms / 1000;
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    })
    .unwrap_or_default()
}

impl SourcePage {
    fn turn_time(&self, start: &Option<u64>, end: &Option<u64>) -> String {
        match (start, end) {
            (Some(_), Some(_)) => format!("{}–{}", ms(*start), ms(*end)),
            _ => String::new(),
        }
    }

    fn segment_memos(&self, s: &Segment) -> Vec<&cocare_app::QualMemoRow> {
        self.sv
            .memos
            .iter()
            .filter(|m| m.target_kind == "selection" && m.target == s.selection)
            .collect()
    }

    fn source_memos(&self) -> Vec<&cocare_app::QualMemoRow> {
        self.sv.memos.iter().filter(|m| m.target_kind == "source").collect()
    }
}

async fn source_page(
    state: &AppState,
    signed_in: &SignedIn,
    (project, source): (&str, &str),
    errors: Errors,
    f: FormFields,
    status: StatusCode,
    mine: bool,
) -> HtmlResult {
    let mut sv = state.app.qual_source(signed_in.actor(), project, source).await.html()?;
    let me = match signed_in.actor().account_id() {
        Some(id) => id.to_string(),
        None => String::new(),
    };
    if mine {
        // Coding blind: the other coders' work is hidden until the coder chooses to see it.
        sv.segments.retain(|s| s.coder == me);
        let kept: Vec<String> = sv.segments.iter().map(|s| s.coding.clone()).collect();
        for (_, _, covering) in &mut sv.pieces {
            covering.retain(|id| kept.contains(id));
        }
    }
    let chars: Vec<char> = sv.source.content.chars().collect();
    let pieces = sv
        .pieces
        .iter()
        .map(|(a, b, covering)| {
            let text: String = chars.get(*a..*b).map(|s| s.iter().collect()).unwrap_or_default();
            let names: Vec<String> = covering
                .iter()
                .filter_map(|id| sv.segments.iter().find(|s| s.coding == *id))
                .map(|s| format!("{} ({})", s.code_name, s.coder_name))
                .collect();
            let class = match covering.len() {
                0 => "",
                1 => "coded c1",
                2 => "coded c2",
                _ => "coded c3",
            };
            (*a, text, class.to_string(), names.join("; "))
        })
        .collect();
    let page = SourcePage {
        layout: layout(signed_in, sv.source.name.clone()),
        view: sv.project.clone(),
        sv,
        tab: "sources",
        errors,
        f,
        me,
        pieces,
        mine,
    };
    Ok(render(status, &page))
}

pub async fn get_source(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, source)): Path<(String, String)>,
    Query(q): Query<MineQuery>,
) -> HtmlResult {
    source_page(
        &state,
        &signed_in,
        (&project, &source),
        Errors::default(),
        FormFields::default(),
        StatusCode::OK,
        q.mine.is_some_and(|m| m == "1"),
    )
    .await
}

pub async fn post_coding(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, source)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let start = f.get("start").trim().parse::<usize>().ok();
    let end = f.get("end").trim().parse::<usize>().ok();
    let quote = f.get("quote");
    let outcome = state
        .app
        .add_qual_coding(signed_in.actor(), &project, &source, &f.get("code"), start, end, &quote)
        .await;
    match outcome {
        Ok(_) => {
            let blind = if f.get("mine") == "1" { "?mine=1" } else { "" };
            Ok(see_other(format!(
                "/qual/{project}/sources/{source}{blind}#coding-form"
            )))
        }
        Err(e) => {
            let errors = validation(e)?;
            let blind = f.get("mine") == "1";
            source_page(
                &state,
                &signed_in,
                (&project, &source),
                errors,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
                blind,
            )
            .await
        }
    }
}

pub async fn post_coding_remove(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, source)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    state
        .app
        .remove_qual_coding(signed_in.actor(), &project, &f.get("coding"))
        .await
        .html()?;
    Ok(see_other(format!("/qual/{project}/sources/{source}#segments")))
}

pub async fn post_source_participant(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, source)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let participant = f.get("participant");
    match state
        .app
        .set_qual_source_participant(
            signed_in.actor(),
            &project,
            &source,
            Some(participant.as_str()).filter(|p| !p.is_empty()),
        )
        .await
    {
        Ok(()) => Ok(see_other(format!("/qual/{project}/sources/{source}"))),
        Err(e) => {
            let errors = validation(e)?;
            source_page(
                &state,
                &signed_in,
                (&project, &source),
                errors,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await
        }
    }
}

// ----- Memos -----

#[derive(Template)]
#[template(path = "qual_memo.html")]
struct MemoPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    errors: Errors,
    f: FormFields,
    conflict: Option<String>,
    editing: bool,
}

/// A memo opened for editing, at its current revision.
pub async fn get_memo(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, memo)): Path<(String, String)>,
) -> HtmlResult {
    let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
    let m = view
        .memos
        .iter()
        .find(|m| m.id == memo)
        .cloned()
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let back = match m.target_kind.as_str() {
        "source" => format!("/qual/{project}/sources/{}", m.target),
        "code" => format!("/qual/{project}/codes/{}", m.target),
        _ => format!("/qual/{project}"),
    };
    let f = FormFields::from_pairs(vec![
        ("id".into(), m.id.clone()),
        ("revision".into(), m.revision.to_string()),
        ("target_kind".into(), m.target_kind.clone()),
        ("target".into(), m.target.clone()),
        ("memo_name".into(), m.name.clone()),
        ("memo".into(), m.body.clone()),
        ("back".into(), back),
    ]);
    let page = MemoPage {
        layout: layout(&signed_in, "Change a memo"),
        view,
        tab: "",
        errors: Errors::default(),
        f,
        conflict: None,
        editing: true,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Only a path inside the same project may be returned to.
fn back_to(project: &str, back: &str) -> String {
    let prefix = format!("/qual/{project}");
    if back.starts_with(&prefix) && !back.contains("//") && !back.contains('\\') {
        back.to_string()
    } else {
        prefix
    }
}

pub async fn post_memo(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let id = f.get("id");
    let outcome = state
        .app
        .save_qual_memo(
            signed_in.actor(),
            &project,
            Some(id.as_str()).filter(|i| !i.is_empty()),
            f.get("revision").parse::<i64>().unwrap_or(0),
            &f.get("target_kind"),
            &f.get("target"),
            &f.get("memo_name"),
            &f.get("memo"),
        )
        .await;
    match outcome {
        Ok(_) => Ok(see_other(back_to(&project, &f.get("back")))),
        Err(e) => {
            let (errors, conflict, status) = match e {
                AppError::Conflict(message) => (Errors::default(), Some(message), StatusCode::CONFLICT),
                other => (validation(other)?, None, StatusCode::UNPROCESSABLE_ENTITY),
            };
            let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
            let page = MemoPage {
                layout: layout(&signed_in, "Memo"),
                view,
                tab: "",
                errors,
                f,
                conflict,
                editing: false,
            };
            Ok(render(status, &page))
        }
    }
}

// ----- Retrieval and search -----

#[derive(Template)]
#[template(path = "qual_code.html")]
struct CodePage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    code: String,
    code_name: String,
    description: String,
    segments: Vec<Segment>,
    variable: String,
    value: String,
}

#[derive(Deserialize)]
pub struct FilterQuery {
    variable: Option<String>,
    value: Option<String>,
}

pub async fn get_code(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, code)): Path<(String, String)>,
    Query(q): Query<FilterQuery>,
) -> HtmlResult {
    let variable = q.variable.unwrap_or_default();
    let value = q.value.unwrap_or_default();
    let filter = (!variable.is_empty() && !value.trim().is_empty()).then_some((variable.as_str(), value.trim()));
    let (view, segments) = state
        .app
        .qual_retrieve(signed_in.actor(), &project, &code, filter)
        .await
        .html()?;
    let found = view
        .codebook
        .codes
        .iter()
        .find(|c| c.guid == code)
        .cloned()
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let page = CodePage {
        layout: layout(&signed_in, format!("Code: {}", found.name)),
        view,
        tab: "codebook",
        code,
        code_name: found.name,
        description: found.description,
        segments,
        variable,
        value,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "qual_search.html")]
struct SearchPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    q: String,
    results: Vec<SearchResult>,
    errors: Errors,
    searched: bool,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn get_search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    Query(query): Query<SearchQuery>,
) -> HtmlResult {
    let q = query.q.unwrap_or_default();
    let view = state.app.qual_project(signed_in.actor(), &project).await.html()?;
    let (results, errors, searched) = if q.trim().is_empty() {
        (Vec::new(), Errors::default(), false)
    } else {
        match state.app.qual_search(signed_in.actor(), &project, &q).await {
            Ok(r) => (r, Errors::default(), true),
            Err(e) => (Vec::new(), validation(e)?, false),
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SearchPage {
        layout: layout(&signed_in, format!("Search: {}", view.project.name)),
        view,
        tab: "search",
        q,
        results,
        errors,
        searched,
    };
    Ok(render(status, &page))
}

// ----- Matrices -----

#[derive(Template)]
#[template(path = "qual_cooccurrence.html")]
struct CoocPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    codes: Vec<(String, String)>,
    rows: Vec<(String, Vec<(usize, &'static str)>)>,
}

pub async fn get_cooccurrence(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
) -> HtmlResult {
    let (view, pairs) = state.app.qual_cooccurrence(signed_in.actor(), &project).await.html()?;
    let used: Vec<(String, String)> = view
        .code_tree()
        .into_iter()
        .filter(|(g, ..)| view.code_counts.contains_key(g))
        .map(|(g, n, ..)| (g, n))
        .collect();
    let max = pairs.values().copied().max().unwrap_or(0).max(1);
    let rows = used
        .iter()
        .map(|(a, name)| {
            let cells = used
                .iter()
                .map(|(b, _)| {
                    let key = if a < b {
                        (a.clone(), b.clone())
                    } else {
                        (b.clone(), a.clone())
                    };
                    let n = if a == b {
                        0
                    } else {
                        pairs.get(&key).copied().unwrap_or(0)
                    };
                    let heat = match n * 4 / max {
                        _ if n == 0 => "heat0",
                        0 => "heat1",
                        1 => "heat2",
                        2 => "heat3",
                        _ => "heat4",
                    };
                    (n, heat)
                })
                .collect();
            (name.clone(), cells)
        })
        .collect();
    let page = CoocPage {
        layout: layout(&signed_in, format!("Co-occurrence: {}", view.project.name)),
        view,
        tab: "analysis",
        codes: used,
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "qual_matrix.html")]
struct MatrixPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    matrix: FrameworkMatrix,
    chosen: Vec<String>,
}

impl MatrixPage {
    fn cell(&self, participant: &str, code: &str) -> (i64, String) {
        self.matrix
            .cells
            .get(&(participant.to_string(), code.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

pub async fn get_matrix(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    raw: axum::extract::RawQuery,
) -> HtmlResult {
    let q = FormFields::parse(&Bytes::from(raw.0.unwrap_or_default()));
    let chosen = q.all("code");
    let (view, matrix) = state
        .app
        .qual_matrix(signed_in.actor(), &project, &chosen)
        .await
        .html()?;
    let page = MatrixPage {
        layout: layout(&signed_in, format!("Framework matrix: {}", view.project.name)),
        view,
        tab: "analysis",
        matrix,
        chosen,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "qual_cell.html")]
struct CellPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    participant: String,
    participant_name: String,
    code: String,
    code_name: String,
    segments: Vec<Segment>,
    summary: String,
    errors: Errors,
}

async fn cell_page(
    state: &AppState,
    signed_in: &SignedIn,
    project: &str,
    (participant, code): (&str, &str),
    typed: Option<String>,
    errors: Errors,
    status: StatusCode,
) -> HtmlResult {
    let (view, segments, summary) = state
        .app
        .qual_matrix_cell(signed_in.actor(), project, participant, code)
        .await
        .html()?;
    let page = CellPage {
        layout: layout(signed_in, "Framework matrix cell"),
        participant_name: view.participant_name(participant),
        code_name: view.code_name(code),
        view,
        tab: "analysis",
        participant: participant.to_string(),
        code: code.to_string(),
        segments,
        summary: typed.unwrap_or(summary),
        errors,
    };
    Ok(render(status, &page))
}

pub async fn get_cell(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, participant, code)): Path<(String, String, String)>,
) -> HtmlResult {
    cell_page(
        &state,
        &signed_in,
        &project,
        (&participant, &code),
        None,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn post_cell(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, participant, code)): Path<(String, String, String)>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let summary = f.get("summary");
    match state
        .app
        .save_qual_matrix_cell(signed_in.actor(), &project, &participant, &code, &summary)
        .await
    {
        Ok(()) => Ok(see_other(format!("/qual/{project}/matrix"))),
        Err(e) => {
            let errors = validation(e)?;
            cell_page(
                &state,
                &signed_in,
                &project,
                (&participant, &code),
                Some(summary),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ----- Agreement -----

#[derive(Template)]
#[template(path = "qual_agreement.html")]
struct AgreementPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    report: AgreementReport,
    unit: String,
    chart: String,
}

fn coefficient(a: &Option<cocare_app::qual_domain::agreement::Agreement>) -> String {
    a.as_ref()
        .and_then(|a| a.coefficient)
        .map_or_else(|| "–".to_string(), |c| format!("{c:.3}"))
}

impl AgreementPage {
    fn pct(&self, a: &cocare_app::qual_domain::agreement::Agreement) -> String {
        a.coefficient
            .map_or_else(|| "–".to_string(), |c| format!("{:.1}%", c * 100.0))
    }

    fn kappa(&self, c: &cocare_app::CodeAgreement) -> String {
        coefficient(&c.cohen)
    }

    fn alpha(&self, c: &cocare_app::CodeAgreement) -> String {
        coefficient(&c.alpha)
    }
}

#[derive(Deserialize)]
pub struct UnitQuery {
    unit: Option<String>,
}

/// A bar per code: Krippendorff's alpha from −1 to 1, with the 0.667 and 0.8 marks.
fn alpha_chart(report: &AgreementReport) -> String {
    let rows: Vec<(&str, f64)> = report
        .codes
        .iter()
        .filter_map(|c| {
            c.alpha
                .as_ref()
                .and_then(|a| a.coefficient)
                .map(|v| (c.code_name.as_str(), v))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let (label_w, bar_w, row_h) = (220.0, 360.0, 26.0);
    let height = 52.0 + row_h * rows.len() as f64;
    let x = |v: f64| label_w + (v.clamp(-1.0, 1.0) + 1.0) / 2.0 * bar_w;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-labelledby=\"alpha-chart-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"alpha-chart-title\">Krippendorff's alpha by code, from −1 to 1; the table below has the figures</title>",
        w = label_w + bar_w + 56.0
    );
    // −1, 0 and 1 above the plot; the two thresholds below it, so their labels never collide.
    for (v, label, top) in [
        (-1.0, "−1", true),
        (0.0, "0", true),
        (1.0, "1", true),
        (0.667, "0.667", false),
        (0.8, "0.8", false),
    ] {
        let ty = if top { 14.0 } else { height - 4.0 };
        let anchor = match (top, label) {
            (false, "0.667") => "end",
            (false, _) => "start",
            _ => "middle",
        };
        svg.push_str(&format!(
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"20\" y2=\"{1:.1}\" stroke=\"#888\" stroke-dasharray=\"3 3\"/><text x=\"{0:.1}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"{anchor}\">{label}</text>",
            x(v),
            height - 18.0
        ));
    }
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = 26.0 + row_h * i as f64;
        let (a, b) = if *v >= 0.0 { (x(0.0), x(*v)) } else { (x(*v), x(0.0)) };
        let colour = if *v >= 0.8 {
            "#1d6b3a"
        } else if *v >= 0.667 {
            "#8a6d00"
        } else {
            "#a3262a"
        };
        let short: String = name.chars().take(30).collect();
        svg.push_str(&format!(
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"12\" text-anchor=\"end\">{label}</text><rect x=\"{a:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"16\" fill=\"{colour}\"/><text x=\"{vx:.1}\" y=\"{ty:.1}\" font-size=\"11\">{v:.2}</text>",
            tx = label_w - 6.0,
            ty = y + 12.0,
            label = escape_xml(&short),
            w = (b - a).max(1.0),
            vx = b + 4.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

pub async fn get_agreement(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    Query(q): Query<UnitQuery>,
) -> HtmlResult {
    let unit = q.unit.unwrap_or_else(|| "turn".into());
    let (view, report) = state
        .app
        .qual_agreement(signed_in.actor(), &project, &unit)
        .await
        .html()?;
    let chart = alpha_chart(&report);
    let page = AgreementPage {
        layout: layout(&signed_in, format!("Agreement: {}", view.project.name)),
        view,
        tab: "agreement",
        report,
        unit,
        chart,
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- Realist synthesis -----

#[derive(Template)]
#[template(path = "qual_cmos.html")]
struct CmosPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    cmos: Vec<CmoView>,
    errors: Errors,
    f: FormFields,
}

async fn cmos_page(
    state: &AppState,
    signed_in: &SignedIn,
    project: &str,
    errors: Errors,
    f: FormFields,
    status: StatusCode,
) -> HtmlResult {
    let (view, cmos) = state.app.qual_cmos(signed_in.actor(), project).await.html()?;
    let page = CmosPage {
        layout: layout(signed_in, format!("Realist synthesis: {}", view.project.name)),
        view,
        tab: "cmos",
        cmos,
        errors,
        f,
    };
    Ok(render(status, &page))
}

pub async fn get_cmos(State(state): State<AppState>, signed_in: SignedIn, Path(project): Path<String>) -> HtmlResult {
    cmos_page(
        &state,
        &signed_in,
        &project,
        Errors::default(),
        FormFields::default(),
        StatusCode::OK,
    )
    .await
}

/// A CMO configuration as typed: its parts, the evidence it keeps, and one new excerpt.
async fn cmo_from_form(
    state: &AppState,
    signed_in: &SignedIn,
    project: &str,
    f: &FormFields,
    mut evidence: Vec<Evidence>,
) -> Result<Cmo, AppError> {
    let remove: Vec<String> = f.all("remove");
    evidence = evidence
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !remove.contains(&i.to_string()))
        .map(|(_, e)| e)
        .collect();
    let quote = f.get("quote");
    let source = f.get("evidence_source");
    if !quote.trim().is_empty() || !source.is_empty() {
        let stance = Stance::parse(&f.get("stance")).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new("stance", "Say whether it supports or refutes.")])
        })?;
        let (start, end) = state
            .app
            .qual_locate(signed_in.actor(), project, &source, &quote)
            .await?;
        evidence.push(Evidence {
            source,
            start,
            end,
            stance,
            note: f.get("evidence_note").trim().to_string(),
        });
    }
    Ok(Cmo {
        theory: f.get("theory").trim().to_string(),
        name: f.get("name").trim().to_string(),
        context: f.get("context").trim().to_string(),
        mechanism: f.get("mechanism").trim().to_string(),
        outcome: f.get("outcome").trim().to_string(),
        notes: f.get("notes").trim().to_string(),
        evidence,
    })
}

pub async fn post_cmos(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let outcome = match cmo_from_form(&state, &signed_in, &project, &f, Vec::new()).await {
        Ok(cmo) => state.app.save_qual_cmo(signed_in.actor(), &project, None, &cmo).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(id) => Ok(see_other(format!("/qual/{project}/cmos/{id}"))),
        Err(e) => {
            let errors = validation(e)?;
            cmos_page(
                &state,
                &signed_in,
                &project,
                errors,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Adds configurations from a CMO table file (this workbench's, or a funding change's).
pub async fn post_cmo_import(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
    mut multipart: Multipart,
) -> HtmlResult {
    let outcome = match read_parts(&mut multipart).await {
        Err(message) => Err(AppError::Validation(vec![FieldError::new("cmo_table", message)])),
        Ok(Parts { file: None, .. }) => Err(AppError::Validation(vec![FieldError::new(
            "cmo_table",
            "Choose a CMO table (.csv).",
        )])),
        Ok(Parts {
            file: Some((_, bytes)), ..
        }) => match String::from_utf8(bytes) {
            Ok(text) => state.app.import_qual_cmos(signed_in.actor(), &project, &text).await,
            Err(_) => Err(AppError::Validation(vec![FieldError::new(
                "cmo_table",
                "This file is not UTF-8 text: save the table as CSV (UTF-8).",
            )])),
        },
    };
    match outcome {
        Ok(_) => Ok(see_other(format!("/qual/{project}/cmos"))),
        Err(e) => {
            let errors = validation(e)?;
            cmos_page(
                &state,
                &signed_in,
                &project,
                errors,
                FormFields::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn get_cmo_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(project): Path<String>,
) -> HtmlResult {
    let csv = state.app.qual_cmo_csv(signed_in.actor(), &project).await.html()?;
    Ok(download(
        "text/csv; charset=utf-8",
        "cmo-table.csv".into(),
        csv.into_bytes(),
    ))
}

#[derive(Template)]
#[template(path = "qual_cmo.html")]
struct CmoPage {
    layout: Layout,
    view: ProjectView,
    tab: &'static str,
    cmo: CmoView,
    excerpts: Vec<(usize, Evidence, Option<ExcerptView>)>,
    errors: Errors,
    f: FormFields,
}

async fn cmo_page(
    state: &AppState,
    signed_in: &SignedIn,
    project: &str,
    id: &str,
    errors: Errors,
    f: Option<FormFields>,
    status: StatusCode,
) -> HtmlResult {
    let (view, cmos) = state.app.qual_cmos(signed_in.actor(), project).await.html()?;
    let cmo = cmos
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let wanted: Vec<(String, usize, usize)> = cmo
        .cmo
        .evidence
        .iter()
        .map(|e| (e.source.clone(), e.start, e.end))
        .collect();
    let texts = state
        .app
        .qual_excerpts(signed_in.actor(), project, &wanted)
        .await
        .html()?;
    let excerpts = cmo
        .cmo
        .evidence
        .iter()
        .cloned()
        .zip(texts)
        .enumerate()
        .map(|(i, (e, t))| (i, e, t))
        .collect();
    let f = f.unwrap_or_else(|| {
        FormFields::from_pairs(vec![
            ("theory".into(), cmo.cmo.theory.clone()),
            ("name".into(), cmo.cmo.name.clone()),
            ("context".into(), cmo.cmo.context.clone()),
            ("mechanism".into(), cmo.cmo.mechanism.clone()),
            ("outcome".into(), cmo.cmo.outcome.clone()),
            ("notes".into(), cmo.cmo.notes.clone()),
            ("stance".into(), "supports".into()),
        ])
    });
    let page = CmoPage {
        layout: layout(signed_in, cmo.cmo.name.clone()),
        view,
        tab: "cmos",
        cmo,
        excerpts,
        errors,
        f,
    };
    Ok(render(status, &page))
}

pub async fn get_cmo(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, cmo)): Path<(String, String)>,
) -> HtmlResult {
    cmo_page(
        &state,
        &signed_in,
        &project,
        &cmo,
        Errors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn post_cmo(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> HtmlResult {
    let f = FormFields::parse(&body);
    let (_, cmos) = state.app.qual_cmos(signed_in.actor(), &project).await.html()?;
    let current = cmos
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| WebError::from_app(Audience::Html, AppError::NotFound))?;
    let outcome = match cmo_from_form(&state, &signed_in, &project, &f, current.cmo.evidence.clone()).await {
        Ok(cmo) => {
            state
                .app
                .save_qual_cmo(signed_in.actor(), &project, Some(&id), &cmo)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(see_other(format!("/qual/{project}/cmos/{id}"))),
        Err(e) => {
            let (errors, status) = form_problem(e, "theory")?;
            cmo_page(&state, &signed_in, &project, &id, errors, Some(f), status).await
        }
    }
}

// ----- Exchange -----

pub async fn get_qdpx(State(state): State<AppState>, signed_in: SignedIn, Path(project): Path<String>) -> HtmlResult {
    let (project_name, bytes) = state.app.qual_export_qdpx(signed_in.actor(), &project).await.html()?;
    let stem = crate::pages::records::slug(&project_name);
    let name = format!("{}.qdpx", if stem.is_empty() { "project" } else { &stem });
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}
