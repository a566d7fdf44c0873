use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cocare_app::{FieldError, LoginOutcome};
use cookie::{Cookie, SameSite};
use secrecy::SecretString;
use serde::Deserialize;

use crate::AppState;
use crate::error::{HtmlErr, HtmlResult};
use crate::forms::FormFields;
use crate::gate::{CSRF_COOKIE, MaybeSignedIn, SESSION_COOKIE, SignedIn, cookie_value};
use crate::views::{Errors, Layout, render};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    errors: Errors,
    notice: Option<String>,
    demo: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// Only a local path may follow sign-in, never another site.
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so only a path made of
/// visible ASCII, starting with one `/` and holding no backslash, is accepted.
fn safe_next(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 512
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if local { next.to_owned() } else { "/".to_owned() }
}

pub fn session_cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    Cookie::build((SESSION_COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

pub(crate) fn csrf_cookie(state: &AppState, token: &str) -> String {
    Cookie::build((CSRF_COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .path("/")
        .build()
        .to_string()
}

pub(crate) fn new_csrf() -> String {
    cocare_app::new_token().unwrap_or_default()
}

fn login_page(
    state: &AppState,
    csrf: String,
    username: String,
    next: String,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> LoginPage {
    LoginPage {
        layout: Layout::new("Sign in", None, "/login").with_csrf(csrf),
        username,
        next,
        errors: Errors(errors),
        notice,
        demo: state.config.demo,
    }
}

pub async fn get_login(
    State(state): State<AppState>,
    MaybeSignedIn(session): MaybeSignedIn,
    Query(query): Query<LoginQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    if session.is_some() {
        return Redirect::to("/").into_response();
    }
    let existing = cookie_value(&headers, CSRF_COOKIE).filter(|t| t.len() == 64);
    let csrf = existing.clone().unwrap_or_else(new_csrf);
    let notice = query.signed_out.map(|_| "You have signed out.".to_owned());
    let page = login_page(
        &state,
        csrf.clone(),
        String::new(),
        safe_next(query.next.as_deref().unwrap_or("/")),
        vec![],
        notice,
    );
    let mut response = render(StatusCode::OK, &page);
    if existing.is_none()
        && let Ok(value) = csrf_cookie(&state, &csrf).parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn post_login(
    State(state): State<AppState>,
    MaybeSignedIn(session): MaybeSignedIn,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> HtmlResult {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let form = FormFields::parse(&body);
    let username = form.get("username");
    let password = form.get("password");
    let next = safe_next(&form.get("next"));
    let csrf = cookie_value(&headers, CSRF_COOKIE).unwrap_or_default();
    let mut errors = Vec::new();
    if username.trim().is_empty() {
        errors.push(FieldError::new("username", "Enter your username"));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password"));
    }
    if !errors.is_empty() {
        let page = login_page(&state, csrf, username, next, errors, None);
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match state.app.login(&username, SecretString::from(password)).await.html()? {
        LoginOutcome::SignedIn { token, .. } => {
            let max_age = i64::try_from(state.app.session_ttl().as_secs()).unwrap_or(8 * 3600);
            let mut response = Redirect::to(&next).into_response();
            if let Ok(value) = session_cookie(&state, &token, max_age).parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        LoginOutcome::Invalid => {
            let errors = vec![FieldError::new(
                "username",
                "The username or password is not right. Check both and try again",
            )];
            let page = login_page(&state, csrf, username, next, errors, None);
            Ok(render(StatusCode::UNAUTHORIZED, &page))
        }
        LoginOutcome::Throttled { minutes } => {
            let errors = vec![FieldError::new(
                "username",
                format!("Too many attempts to sign in to this account. Try again in {minutes} minutes"),
            )];
            let page = login_page(&state, csrf, username, next, errors, None);
            Ok(render(StatusCode::TOO_MANY_REQUESTS, &page))
        }
    }
}

pub async fn post_logout(State(state): State<AppState>, signed_in: SignedIn) -> HtmlResult {
    state.app.logout(&signed_in.0).await.html()?;
    let mut response = Redirect::to("/login?signed_out=1").into_response();
    if let Ok(value) = session_cookie(&state, "", 0).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_follow_sign_in() {
        for local in ["/", "/people", "/people/abc?done=recorded"] {
            assert_eq!(safe_next(local), local);
        }
        for elsewhere in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil",
            "https://evil.example",
            "people",
            "",
        ] {
            assert_eq!(safe_next(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
