//! HTML pages: extract, call one `cocare-app` function, render. Forms are parsed inside the
//! handler (not by an extractor) so a form that fails validation is shown again as typed.

pub mod admin;
pub mod auth;
pub mod econ;
pub mod engage;
pub mod home;
pub mod measures;
pub mod people;
pub mod plan;
pub mod qual;
pub mod records;
pub mod team;
pub mod vignettes;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::error::{Audience, WebError};
use crate::gate::{SessionLookup, audience};

/// After a form is saved: see the page that shows it.
pub(crate) fn see_other(to: String) -> Response {
    axum::response::Redirect::to(&to).into_response()
}

/// A form's validation errors, to show the page again as typed; any other error passes on.
pub(crate) fn validation(e: cocare_app::AppError) -> Result<crate::views::Errors, WebError> {
    match e {
        cocare_app::AppError::Validation(errors) => Ok(crate::views::Errors(errors)),
        other => Err(WebError::from_app(Audience::Html, other)),
    }
}

/// The CSRF token for a page reached by a link without signing in (a rating or study link):
/// the visitor's existing cookie, or a new token, with whether a cookie must be set.
pub(crate) fn link_csrf(headers: &axum::http::HeaderMap) -> (String, bool) {
    let existing = crate::gate::cookie_value(headers, crate::gate::CSRF_COOKIE).filter(|t| t.len() == 64);
    let fresh = existing.is_none();
    (existing.unwrap_or_else(crate::pages::auth::new_csrf), fresh)
}

/// Sets the CSRF cookie on a link page's response when the visitor is not signed in and has none.
pub(crate) fn with_link_csrf(state: &AppState, mut response: Response, needed: bool, csrf: &str) -> Response {
    if needed && let Ok(value) = crate::pages::auth::csrf_cookie(state, csrf).parse() {
        response.headers_mut().append(axum::http::header::SET_COOKIE, value);
    }
    response
}

/// A form's problem, to show its page again as typed: a conflict on `field` (409), or the fields
/// the validation named (422); any other error passes on.
pub(crate) fn form_problem(
    e: cocare_app::AppError,
    field: &str,
) -> Result<(crate::views::Errors, StatusCode), WebError> {
    match e {
        cocare_app::AppError::Conflict(message) => Ok((
            crate::views::Errors(vec![cocare_app::FieldError::new(field, message)]),
            StatusCode::CONFLICT,
        )),
        other => Ok((validation(other)?, StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

/// Text written into a hand-drawn SVG (labels), escaped for XML.
pub(crate) fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /health`: 200 when the store answers, 503 when it does not.
pub async fn health(State(state): State<AppState>) -> Response {
    match state.app.healthy().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "store": "reachable" }))).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "store": "unreachable" })),
        )
            .into_response(),
    }
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/cocare.css"),
    )
        .into_response()
}

/// The coding page's one script (selection to code-point positions); pages work without it.
pub async fn qual_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/qual.js"),
    )
        .into_response()
}

/// Unknown paths: 404, except that any `/api/` path without a session is 401.
pub async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    let who = audience(path);
    let signed_in = request
        .extensions()
        .get::<SessionLookup>()
        .and_then(SessionLookup::context)
        .is_some();
    if who == Audience::Json && !signed_in {
        return WebError::new(who, StatusCode::UNAUTHORIZED, "Sign in first: POST /api/session").into_response();
    }
    WebError::new(
        who,
        StatusCode::NOT_FOUND,
        "We could not find that page. Check the address, or go back to your home page.",
    )
    .into_response()
}
