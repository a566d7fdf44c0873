//! One error type for the web layer and one mapping to HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cocare_app::{AppError, FieldError};
use serde_json::json;

use crate::views::ErrorPage;

/// Whether to answer a person (HTML) or a program (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Html,
    Json,
}

#[derive(Debug)]
pub struct WebError {
    pub audience: Audience,
    pub status: StatusCode,
    /// Shown to the person; plain language, no personal data, no internals.
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl WebError {
    pub fn new(audience: Audience, status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            audience,
            status,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn from_app(audience: Audience, err: AppError) -> WebError {
        let (status, message) = match &err {
            AppError::NotFound => (StatusCode::NOT_FOUND, "We could not find that page.".to_owned()),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You do not have permission to see this page.".to_owned(),
            ),
            AppError::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Some answers need correcting.".to_owned(),
            ),
            AppError::Conflict(message) => (StatusCode::CONFLICT, message.clone()),
            AppError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "cocare cannot reach its database just now. Nothing was changed. Please try again in a minute."
                    .to_owned(),
            ),
            AppError::Unexpected(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Nothing was changed.".to_owned(),
            ),
        };
        if status.is_server_error() {
            // The cause chain goes to the log; ids only, never request bodies or personal data.
            tracing::error!(error = ?err, "request failed");
        }
        let fields = match err {
            AppError::Validation(fields) => fields,
            _ => Vec::new(),
        };
        WebError {
            audience,
            status,
            message,
            fields,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self.audience {
            Audience::Json => {
                let body = json!({
                    "error": self.message,
                    "status": self.status.as_u16(),
                    "fields": self.fields,
                });
                (self.status, Json(body)).into_response()
            }
            Audience::Html => {
                let page = ErrorPage::new(self.status, &self.message);
                (self.status, Html(page.render_html())).into_response()
            }
        }
    }
}

pub type HtmlResult = Result<Response, WebError>;

pub trait HtmlErr<T> {
    fn html(self) -> Result<T, WebError>;
    fn json(self) -> Result<T, WebError>;
}

impl<T> HtmlErr<T> for Result<T, AppError> {
    fn html(self) -> Result<T, WebError> {
        self.map_err(|err| WebError::from_app(Audience::Html, err))
    }
    fn json(self) -> Result<T, WebError> {
        self.map_err(|err| WebError::from_app(Audience::Json, err))
    }
}
