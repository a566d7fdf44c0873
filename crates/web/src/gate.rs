//! The two middlewares every request passes: session resolution (cookie or bearer token), and
//! the per-route gate that asks the access policy and checks the CSRF token on every
//! state-changing request.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cocare_app::{AppError, SessionContext};
use cocare_core::Actor;
use cocare_policy::actor_may;

use crate::AppState;
use crate::error::{Audience, WebError};
use crate::routes::Access;
use crate::server::BODY_LIMIT;

pub const SESSION_COOKIE: &str = "cocare_session";
/// The double-submit token for forms posted before sign-in (the sign-in form itself).
pub const CSRF_COOKIE: &str = "cocare_csrf";

/// How the request's session was found.
#[derive(Debug, Clone)]
pub enum SessionLookup {
    None,
    Cookie(SessionContext),
    Bearer(SessionContext),
    /// The store could not be asked.
    Unavailable,
}

impl SessionLookup {
    pub fn context(&self) -> Option<&SessionContext> {
        match self {
            SessionLookup::Cookie(ctx) | SessionLookup::Bearer(ctx) => Some(ctx),
            SessionLookup::None | SessionLookup::Unavailable => None,
        }
    }
}

pub fn audience(path: &str) -> Audience {
    if path.starts_with("/api/") {
        Audience::Json
    } else {
        Audience::Html
    }
}

pub fn cookie_value(parts_headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    parts_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned())
}

/// Finds the session behind a bearer token or the session cookie, for every request.
pub async fn resolve_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let (token, via_bearer) = match bearer(headers) {
        Some(token) => (Some(token), true),
        None => (cookie_value(headers, SESSION_COOKIE), false),
    };
    let lookup = match token {
        None => SessionLookup::None,
        Some(token) => match state.app.session(&token).await {
            Ok(Some(ctx)) if via_bearer => SessionLookup::Bearer(ctx),
            Ok(Some(ctx)) => SessionLookup::Cookie(ctx),
            Ok(None) => SessionLookup::None,
            Err(AppError::Unavailable(_)) => SessionLookup::Unavailable,
            Err(err) => {
                tracing::error!(error = ?err, "session lookup failed");
                SessionLookup::Unavailable
            }
        },
    };
    request.extensions_mut().insert(lookup);
    next.run(request).await
}

/// The signed-in person, for handlers behind a `SignedIn` gate.
pub struct SignedIn(pub SessionContext);

impl SignedIn {
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SessionLookup>()
            .and_then(SessionLookup::context)
            .cloned()
            .map(SignedIn)
            .ok_or_else(|| WebError::new(audience(parts.uri.path()), StatusCode::UNAUTHORIZED, "Please sign in."))
    }
}

/// The session, if any, for public pages.
pub struct MaybeSignedIn(pub Option<SessionContext>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeSignedIn(
            parts
                .extensions
                .get::<SessionLookup>()
                .and_then(SessionLookup::context)
                .cloned(),
        ))
    }
}

fn sign_in_first(path_and_query: &str) -> Response {
    let next: String = form_urlencoded_component(path_and_query);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

fn form_urlencoded_component(value: &str) -> String {
    serde_urlencoded::to_string([("x", value)])
        .map(|s| s.trim_start_matches("x=").to_owned())
        .unwrap_or_default()
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The per-route gate: the route's access, then CSRF for state-changing requests.
pub async fn gate(State((state, access)): State<(AppState, Access)>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if let Some(route) = request.extensions().get::<axum::extract::MatchedPath>() {
        tracing::Span::current().record("route", route.as_str());
    }
    let who = audience(&path);
    let lookup = request
        .extensions()
        .get::<SessionLookup>()
        .cloned()
        .unwrap_or(SessionLookup::None);
    if let Access::SignedIn(action) = access {
        match &lookup {
            SessionLookup::Unavailable => {
                return WebError::from_app(who, AppError::Unavailable("session lookup".into())).into_response();
            }
            SessionLookup::None => {
                return match who {
                    Audience::Json => {
                        WebError::new(who, StatusCode::UNAUTHORIZED, "Sign in first: POST /api/session").into_response()
                    }
                    Audience::Html if request.method() == Method::GET => {
                        sign_in_first(request.uri().path_and_query().map_or("/", |p| p.as_str()))
                    }
                    Audience::Html => WebError::new(
                        who,
                        StatusCode::UNAUTHORIZED,
                        "Your session has ended. Please sign in again.",
                    )
                    .into_response(),
                };
            }
            SessionLookup::Cookie(ctx) | SessionLookup::Bearer(ctx) => {
                if !actor_may(&ctx.actor, action) {
                    let _ = state
                        .app
                        .audit_denial(&ctx.actor, action.audit_name(), &format!("route:{path}"))
                        .await;
                    return WebError::new(
                        who,
                        StatusCode::FORBIDDEN,
                        "You do not have permission to see this page.",
                    )
                    .into_response();
                }
            }
        }
    }
    if !is_unsafe(request.method()) {
        return next.run(request).await;
    }
    // Cross-site state-changing requests are refused outright.
    let cross_site = request
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    if cross_site {
        return WebError::new(
            who,
            StatusCode::FORBIDDEN,
            "This form was sent from another site and was refused.",
        )
        .into_response();
    }
    match &lookup {
        // Programs holding a bearer token are not exposed to cross-site forgery.
        SessionLookup::Bearer(_) => next.run(request).await,
        SessionLookup::Cookie(ctx) => {
            let expected = ctx.csrf_token.clone();
            check_csrf(request, next, who, expected).await
        }
        SessionLookup::None | SessionLookup::Unavailable => {
            let is_json = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if who == Audience::Json && is_json {
                // JSON cannot be sent cross-site without a CORS preflight, which cocare never grants.
                return next.run(request).await;
            }
            match cookie_value(request.headers(), CSRF_COOKIE) {
                Some(expected) if expected.len() == 64 => check_csrf(request, next, who, expected).await,
                _ => csrf_failure(who),
            }
        }
    }
}

fn csrf_failure(who: Audience) -> Response {
    WebError::new(
        who,
        StatusCode::FORBIDDEN,
        "This form had expired or was not sent from cocare. Please go back, reload the page and try again.",
    )
    .into_response()
}

/// Reads the body once (within the size limit), compares its `csrf_token` field (or the
/// `x-csrf-token` header) with the expected token, and passes the body on unchanged.
async fn check_csrf(request: Request, next: Next, who: Audience, expected: String) -> Response {
    let header_token = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        // Uploads are streamed, not buffered: their token travels in the form's action URL.
        let query_token = request
            .uri()
            .query()
            .map(|q| {
                crate::forms::FormFields::parse(&axum::body::Bytes::copy_from_slice(q.as_bytes())).get("csrf_token")
            })
            .unwrap_or_default();
        let given = header_token.unwrap_or(query_token);
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return csrf_failure(who);
        }
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return WebError::new(
                who,
                StatusCode::PAYLOAD_TOO_LARGE,
                "What was sent is too large (the limit is 64 KB).",
            )
            .into_response();
        }
    };
    let form_token = crate::forms::FormFields::parse(&bytes).get("csrf_token");
    let given = header_token.unwrap_or(form_token);
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return csrf_failure(who);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
