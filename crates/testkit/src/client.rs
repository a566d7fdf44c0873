//! An in-process HTTP client over the router (no socket), keeping cookies and the CSRF token
//! the way a browser would.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Client {
    router: axum::Router,
    cookies: BTreeMap<String, String>,
    /// The CSRF token from the last page that carried a form.
    pub csrf: String,
    /// A bearer token, when signed in through the API.
    pub bearer: Option<String>,
    /// Send the CSRF token as `X-CSRF-Token` on state-changing requests (as cocare's own
    /// API clients do). Tests of CSRF refusal turn this off.
    pub csrf_header: bool,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html.get(start..)?.find('"')? + start;
    html.get(start..end).map(str::to_owned).filter(|t| !t.is_empty())
}

impl Client {
    pub fn new(router: axum::Router) -> Client {
        Client {
            router,
            cookies: BTreeMap::new(),
            csrf: String::new(),
            bearer: None,
            csrf_header: true,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&String> {
        self.cookies.get(name)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    pub async fn request(&mut self, method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        let mut builder = Request::builder().method(method.clone()).uri(path);
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            builder = builder.header(header::COOKIE, cookie);
        }
        if let Some(token) = &self.bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if self.csrf_header && !self.csrf.is_empty() && !matches!(method, Method::GET | Method::HEAD) {
            builder = builder.header("x-csrf-token", self.csrf.clone());
        }
        if let Some(content_type) = content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        let request = builder.body(Body::from(body)).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            if let Ok(parsed) = cookie::Cookie::parse(set.to_str().unwrap_or_default().to_owned()) {
                let expired = parsed.max_age().is_some_and(|age| age.is_zero()) || parsed.value().is_empty();
                if expired {
                    self.cookies.remove(parsed.name());
                } else {
                    self.cookies.insert(parsed.name().to_owned(), parsed.value().to_owned());
                }
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = csrf_in(&body) {
            self.csrf = token;
        }
        Reply { status, headers, body }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request(Method::GET, path, None, Vec::new()).await
    }

    /// Posts a form, adding the current CSRF token unless the fields already carry one.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        if !fields.iter().any(|(k, _)| *k == "csrf_token") {
            all.push(("csrf_token", &csrf));
        }
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.request(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw_form(&mut self, path: &str, body: &str) -> Reply {
        self.request(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes().to_vec(),
        )
        .await
    }

    pub async fn post_json(&mut self, path: &str, json: &serde_json::Value) -> Reply {
        self.request(
            Method::POST,
            path,
            Some("application/json"),
            json.to_string().into_bytes(),
        )
        .await
    }

    /// Signs in through the HTML form, as a person would; panics if it fails.
    pub async fn sign_in(&mut self, username: &str, password: &str) {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let reply = self
            .post_form(
                "/login",
                &[("username", username), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "sign-in as {username} failed: {}",
            reply.body
        );
        let home = self.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
    }

    /// Signs in through `POST /api/session` and uses the bearer token from then on.
    pub async fn sign_in_api(&mut self, username: &str, password: &str) -> Reply {
        let reply = self
            .post_json(
                "/api/session",
                &serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        if reply.status == StatusCode::OK {
            self.bearer = reply.json()["token"].as_str().map(str::to_owned);
            self.cookies.clear();
        }
        reply
    }
}
