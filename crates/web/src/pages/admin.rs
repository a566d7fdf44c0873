use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use cocare_app::{AccountForm, AdminOverview, AppError, AuditEntry, FieldError, OrganisationForm, RoleForm, TeamForm};
use cocare_core::{AccountId, Role};
use secrecy::SecretString;
use serde::Deserialize;

use crate::AppState;
use crate::error::{Audience, HtmlErr, HtmlResult, WebError};
use crate::forms::FormFields;
use crate::gate::SignedIn;
use crate::views::{Errors, Layout, render};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    overview: AdminOverview,
    errors: Errors,
    notice: Option<String>,
    org_name: String,
    team_org: String,
    team_name: String,
    roles: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "account_new.html")]
struct NewAccountPage {
    layout: Layout,
    form: AccountForm,
    errors: Errors,
    roles: Vec<(&'static str, &'static str)>,
    organisations: Vec<(String, String)>,
    teams: Vec<(String, String)>,
}

impl NewAccountPage {
    /// (name, label, input type, hint, value) for the text inputs.
    fn text_fields(&self) -> Vec<(&'static str, &'static str, &'static str, &'static str, String)> {
        vec![
            (
                "username",
                "Username",
                "text",
                "Letters, digits, dots, dashes, underscores or @.",
                self.form.username.clone(),
            ),
            (
                "display_name",
                "Name to show",
                "text",
                "",
                self.form.display_name.clone(),
            ),
            (
                "password",
                "Password",
                "password",
                "At least 10 characters.",
                String::new(),
            ),
            (
                "person",
                "Person record id (service users and carers only)",
                "text",
                "Leave empty for staff.",
                self.form.person.clone(),
            ),
        ]
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditEntry>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn notice_for(done: Option<String>) -> Option<String> {
    done.map(|what| {
        match what.as_str() {
            "account" => "Account created.",
            "disabled" => "Account disabled. It has been signed out everywhere.",
            "enabled" => "Account enabled.",
            "password" => "Password changed. The account has been signed out everywhere.",
            "team" => "Team added.",
            "role" => "Role added. The account has been signed out so that its next sign-in carries the new role.",
            "role-removed" => "Role removed. The account has been signed out.",
            "organisation" => "Organisation added.",
            _ => "Done.",
        }
        .to_owned()
    })
}

async fn admin_page(
    state: &AppState,
    signed_in: &SignedIn,
    errors: Vec<FieldError>,
    notice: Option<String>,
    org_name: String,
    team: (String, String),
) -> Result<AdminPage, WebError> {
    let overview = state.app.admin_overview(signed_in.actor()).await.html()?;
    Ok(AdminPage {
        layout: Layout::new("Administration", Some(&signed_in.0), "/admin"),
        overview,
        errors: Errors(errors),
        notice,
        org_name,
        team_org: team.0,
        team_name: team.1,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
    })
}

pub async fn get_admin(State(state): State<AppState>, signed_in: SignedIn, Query(done): Query<Done>) -> HtmlResult {
    let page = admin_page(
        &state,
        &signed_in,
        vec![],
        notice_for(done.done),
        String::new(),
        Default::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_organisation(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let fields = FormFields::parse(&body);
    let form = OrganisationForm {
        name: fields.get("name"),
    };
    match state.app.create_organisation(signed_in.actor(), &form).await {
        Ok(_) => Ok(Redirect::to("/admin?done=organisation").into_response()),
        Err(AppError::Validation(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError::new("organisation_name", e.message))
                .collect();
            let page = admin_page(&state, &signed_in, errors, None, form.name, Default::default()).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}

pub async fn post_team(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let fields = FormFields::parse(&body);
    let form = TeamForm {
        organisation: fields.get("organisation"),
        name: fields.get("name"),
    };
    match state.app.create_team(signed_in.actor(), &form).await {
        Ok(_) => Ok(Redirect::to("/admin?done=team").into_response()),
        Err(AppError::Validation(errors)) => {
            let page = admin_page(
                &state,
                &signed_in,
                errors,
                None,
                String::new(),
                (form.organisation, form.name),
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}

async fn new_account_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: AccountForm,
    errors: Vec<FieldError>,
) -> Result<NewAccountPage, WebError> {
    let overview = state.app.admin_overview(signed_in.actor()).await.html()?;
    let organisations = overview
        .organisations
        .iter()
        .map(|o| (o.organisation.id.to_string(), o.organisation.name.clone()))
        .collect();
    let teams = overview
        .organisations
        .iter()
        .flat_map(|o| {
            o.teams
                .iter()
                .map(move |t| (t.id.to_string(), format!("{} ({})", t.name, o.organisation.name)))
        })
        .collect();
    Ok(NewAccountPage {
        layout: Layout::new("Create an account", Some(&signed_in.0), "/admin"),
        form,
        errors: Errors(errors),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        organisations,
        teams,
    })
}

pub async fn get_new_account(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let page = new_account_page(&state, &signed_in, AccountForm::default(), vec![]).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_account(State(state): State<AppState>, signed_in: SignedIn, body: Bytes) -> HtmlResult {
    let fields = FormFields::parse(&body);
    let form = AccountForm {
        username: fields.get("username"),
        display_name: fields.get("display_name"),
        password: fields.get("password"),
        role: fields.get("role"),
        organisation: fields.get("organisation"),
        team: fields.get("team"),
        person: fields.get("person"),
    };
    match state.app.create_account(signed_in.actor(), &form).await {
        Ok(_) => Ok(Redirect::to("/admin?done=account").into_response()),
        Err(AppError::Validation(errors)) => {
            // Everything typed comes back, except the password.
            let form = AccountForm {
                password: String::new(),
                ..form
            };
            let page = new_account_page(&state, &signed_in, form, errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}

fn account_id(raw: &str) -> Result<AccountId, WebError> {
    AccountId::parse(raw).map_err(|_| WebError::from_app(Audience::Html, AppError::NotFound))
}

pub async fn post_disable(State(state): State<AppState>, signed_in: SignedIn, Path(raw): Path<String>) -> HtmlResult {
    state
        .app
        .set_account_disabled(signed_in.actor(), account_id(&raw)?, true)
        .await
        .html()?;
    Ok(Redirect::to("/admin?done=disabled").into_response())
}

pub async fn post_enable(State(state): State<AppState>, signed_in: SignedIn, Path(raw): Path<String>) -> HtmlResult {
    state
        .app
        .set_account_disabled(signed_in.actor(), account_id(&raw)?, false)
        .await
        .html()?;
    Ok(Redirect::to("/admin?done=enabled").into_response())
}

pub async fn post_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let password = FormFields::parse(&body).get("password");
    match state
        .app
        .reset_password(signed_in.actor(), account_id(&raw)?, SecretString::from(password))
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin?done=password").into_response()),
        Err(AppError::Validation(errors)) => {
            let page = admin_page(&state, &signed_in, errors, None, String::new(), Default::default()).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}

pub async fn post_role(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    body: Bytes,
) -> HtmlResult {
    let account = account_id(&raw)?;
    let fields = FormFields::parse(&body);
    let form = RoleForm {
        role: fields.get("role"),
        organisation: fields.get("organisation"),
        team: fields.get("team"),
    };
    match state.app.grant_role(signed_in.actor(), account, &form).await {
        Ok(()) => Ok(Redirect::to("/admin?done=role").into_response()),
        Err(AppError::Validation(errors)) => {
            // The summary links to this account's own role field.
            let errors = errors
                .into_iter()
                .map(|e| {
                    let field = if e.field == "team" {
                        format!("team-{account}")
                    } else {
                        format!("role-{account}")
                    };
                    FieldError::new(field, e.message)
                })
                .collect();
            let page = admin_page(&state, &signed_in, errors, None, String::new(), Default::default()).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(WebError::from_app(Audience::Html, other)),
    }
}

pub async fn post_role_removal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw_account, grant)): Path<(String, String)>,
) -> HtmlResult {
    let account = account_id(&raw_account)?;
    state.app.revoke_role(signed_in.actor(), account, &grant).await.html()?;
    Ok(Redirect::to("/admin?done=role-removed").into_response())
}

pub async fn get_audit(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    let entries = state.app.recent_audit(signed_in.actor(), 200).await.html()?;
    let page = AuditPage {
        layout: Layout::new("Audit log", Some(&signed_in.0), "/admin/audit"),
        entries,
    };
    Ok(render(StatusCode::OK, &page))
}
