//! Template structs (`…Page`) and the pieces every page shares. Templates live in
//! `crates/web/templates/` and are HTML-escaped by askama.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cocare_app::{FieldError, SessionContext};
use cocare_policy::{Action, actor_may};

use crate::error::{Audience, WebError};

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout needs: title, who is signed in, their CSRF token, the navigation.
pub struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub user_roles: String,
    pub csrf: String,
    pub nav: Vec<NavLink>,
}

impl Layout {
    pub fn new(title: impl Into<String>, session: Option<&SessionContext>, current: &str) -> Layout {
        let mut nav = Vec::new();
        if let Some(ctx) = session {
            let actor = &ctx.actor;
            let candidates: [(&'static str, &'static str, Action); 11] = [
                ("/", "Home", Action::ViewHome),
                ("/people", "People", Action::ListPeople),
                ("/team", "Team involvement", Action::ViewTeamDashboard),
                ("/records", "Records and cohorts", Action::ImportRecords),
                ("/econ", "Economics", Action::ManageUnitCosts),
                ("/qual", "Interviews", Action::ManageQualProject),
                ("/engage", "Engagement", Action::UseEngagementWorkspace),
                ("/engage/funding", "Funding changes", Action::RecordFundingChange),
                ("/vignettes", "Vignettes", Action::ManageVignettes),
                ("/admin", "Administration", Action::ManageAccounts),
                ("/admin/audit", "Audit log", Action::ReadAuditLog),
            ];
            for (href, label, action) in candidates {
                // The engagement lead reaches funding changes from the engagement pages.
                let covered = href == "/engage/funding" && actor_may(actor, Action::UseEngagementWorkspace);
                if actor_may(actor, action) && !covered {
                    nav.push(NavLink {
                        href,
                        label,
                        current: href == current,
                    });
                }
            }
        }
        Layout {
            title: title.into(),
            user_name: session.map(|s| s.actor.display_name.clone()),
            user_roles: session
                .map(|s| s.actor.roles().iter().map(|r| r.label()).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            nav,
        }
    }

    /// Whether the navigation offers this page (templates use it to show only what is allowed).
    pub fn has(&self, href: &str) -> bool {
        self.nav.iter().any(|l| l.href == href)
    }

    pub fn with_csrf(mut self, csrf: String) -> Layout {
        self.csrf = csrf;
        self
    }
}

/// Field errors, looked up by field name in templates.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// The message for a field, or "" when it has none.
    pub fn get(&self, field: &str) -> String {
        self.0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join(". ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn list(&self) -> &[FieldError] {
        &self.0
    }
}

/// Renders a template to a response with the given status, or a plain 500 if rendering fails.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            WebError::new(
                Audience::Html,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            )
            .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub heading: &'static str,
    pub message: String,
    pub reference: Option<String>,
}

impl ErrorPage {
    pub fn new(status: StatusCode, message: &str) -> ErrorPage {
        let heading = match status.as_u16() {
            401 => "Please sign in",
            403 => "You do not have permission",
            404 => "Page not found",
            409 => "That could not be done",
            413 => "Too much was sent",
            422 => "Some answers need correcting",
            429 => "Too many attempts",
            503 => "Service unavailable",
            _ => "Something went wrong",
        };
        ErrorPage {
            layout: Layout::new(heading, None, ""),
            status: status.as_u16(),
            heading,
            message: message.to_owned(),
            reference: crate::server::current_request_id(),
        }
    }

    pub fn render_html(&self) -> String {
        self.render()
            .unwrap_or_else(|_| format!("<!doctype html><title>{}</title><p>{}", self.heading, self.status))
    }
}
