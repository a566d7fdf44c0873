//! The JSON API for programs. Wire types (`…Json`) live here, so domain types can change
//! without breaking clients. Described in the OpenAPI document at `/api/openapi.json`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cocare_app::{ConsentForm, LoginOutcome};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{Audience, HtmlErr, WebError};
use crate::gate::SignedIn;
use crate::pages::auth::session_cookie;
use crate::pages::people::{consent_id, person_id};

/// A JSON body whose rejections become cocare's JSON errors: malformed → 422, too large → 413,
/// wrong content type → 415.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let (status, message) = match &rejection {
                    JsonRejection::JsonDataError(err) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("the JSON body does not fit: {}", err.body_text()),
                    ),
                    JsonRejection::JsonSyntaxError(err) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("the body is not valid JSON: {}", err.body_text()),
                    ),
                    JsonRejection::MissingJsonContentType(_) => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "send JSON with Content-Type: application/json".to_owned(),
                    ),
                    JsonRejection::BytesRejection(_) => (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the body is too large (the limit is 64 KB)".to_owned(),
                    ),
                    _ => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "the body could not be read".to_owned(),
                    ),
                };
                Err(WebError::new(Audience::Json, status, message))
            }
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginJson {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionJson {
    /// Send as `Authorization: Bearer <token>`; also set as the session cookie.
    pub token: String,
    /// Send as `X-CSRF-Token` on state-changing requests made with the cookie.
    pub csrf_token: String,
    pub expires_in_seconds: u64,
    pub username: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorJson {
    pub error: String,
    pub status: u16,
    pub fields: Vec<FieldErrorJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorJson {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantJson {
    pub role: String,
    pub organisation: String,
    pub team: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeJson {
    pub username: String,
    pub display_name: String,
    pub person: Option<String>,
    pub grants: Vec<GrantJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSummaryJson {
    pub id: String,
    pub name: String,
    pub team: Option<String>,
    /// Absent for carers, who see only what is shared with them.
    pub date_of_birth: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentJson {
    pub id: String,
    pub recipient: String,
    pub purpose: String,
    pub parts: Vec<String>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub withdrawn_at: Option<String>,
    pub in_force: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CarerJson {
    pub id: String,
    pub name: String,
    pub relationship: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonJson {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    /// Absent for carers, who see only what is shared with them.
    pub date_of_birth: Option<String>,
    pub gender: Option<String>,
    pub ethnicity: Option<String>,
    pub preferred_language: Option<String>,
    pub team: Option<String>,
    /// The role under which you see this record.
    pub viewed_as: String,
    pub carers: Vec<CarerJson>,
    /// Absent when you may not see consent settings.
    pub consents: Option<Vec<ConsentJson>>,
    /// For a carer: what this person shares with you.
    pub shared_with_me: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewConsentJson {
    /// `carer:<person id>` or `research`.
    pub recipient: String,
    /// Names of the parts to share, e.g. `goals`, `crisis_plan`.
    pub parts: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedJson {
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountJson {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub grants: Vec<GrantJson>,
}

pub async fn get_openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::openapi_json(),
    )
        .into_response()
}

/// Sign in and get a session for API clients.
#[utoipa::path(post, path = "/api/session", request_body = LoginJson, tag = "session",
    responses(
        (status = 200, description = "Signed in", body = SessionJson),
        (status = 401, description = "Wrong username or password", body = ErrorJson),
        (status = 422, description = "Malformed body", body = ErrorJson),
        (status = 429, description = "Too many failed attempts", body = ErrorJson),
    ))]
pub async fn post_session(
    State(state): State<AppState>,
    ApiJson(login): ApiJson<LoginJson>,
) -> Result<Response, WebError> {
    match state
        .app
        .login(&login.username, SecretString::from(login.password))
        .await
        .json()?
    {
        LoginOutcome::SignedIn {
            token,
            csrf_token,
            actor,
        } => {
            let ttl = state.app.session_ttl().as_secs();
            let cookie = session_cookie(&state, &token, i64::try_from(ttl).unwrap_or(0));
            let body = SessionJson {
                token,
                csrf_token,
                expires_in_seconds: ttl,
                username: actor.username,
            };
            let mut response = Json(body).into_response();
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        LoginOutcome::Invalid => Err(WebError::new(
            Audience::Json,
            StatusCode::UNAUTHORIZED,
            "the username or password is not right",
        )),
        LoginOutcome::Throttled { minutes } => Err(WebError::new(
            Audience::Json,
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed attempts; try again in {minutes} minutes"),
        )),
    }
}

/// Sign out: the session ends at once.
#[utoipa::path(delete, path = "/api/session", tag = "session", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, description = "No session", body = ErrorJson)))]
pub async fn delete_session(State(state): State<AppState>, signed_in: SignedIn) -> Result<StatusCode, WebError> {
    state.app.logout(&signed_in.0).await.json()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who you are signed in as, and your roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, body = MeJson), (status = 401, body = ErrorJson)))]
pub async fn get_me(signed_in: SignedIn) -> Json<MeJson> {
    let actor = signed_in.actor();
    Json(MeJson {
        username: actor.username.clone(),
        display_name: actor.display_name.clone(),
        person: actor.person.map(|p| p.to_string()),
        grants: actor
            .grants
            .iter()
            .map(|g| GrantJson {
                role: g.role.as_str().to_owned(),
                organisation: g.organisation.to_string(),
                team: g.team.map(|t| t.to_string()),
            })
            .collect(),
    })
}

/// The people you work with or are (a caseload, your own record, people who share with you).
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])),
    responses((status = 200, body = [PersonSummaryJson]), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson)))]
pub async fn get_people(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<PersonSummaryJson>>, WebError> {
    let people = state.app.list_people(signed_in.actor()).await.json()?;
    Ok(Json(
        people
            .into_iter()
            .map(|p| PersonSummaryJson {
                id: p.id.to_string(),
                name: p.name,
                team: p.team,
                date_of_birth: p.date_of_birth,
            })
            .collect(),
    ))
}

/// One person's record, as far as you may see it. People outside your care answer 404.
#[utoipa::path(get, path = "/api/v1/people/{person}", tag = "people", security(("bearer" = [])),
    params(("person" = String, Path, description = "Person id")),
    responses((status = 200, body = PersonJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn get_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
) -> Result<Json<PersonJson>, WebError> {
    let person = person_id(&raw, Audience::Json)?;
    let detail = state.app.person(signed_in.actor(), person).await.json()?;
    let shown = detail.demographics_shared;
    let p = detail.person;
    Ok(Json(PersonJson {
        id: p.id.to_string(),
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: shown.then_some(p.date_of_birth),
        gender: shown.then_some(p.gender),
        ethnicity: shown.then_some(p.ethnicity),
        preferred_language: shown.then_some(p.preferred_language),
        team: p.team_name,
        viewed_as: detail.viewed_as.as_str().to_owned(),
        carers: detail
            .carers
            .into_iter()
            .map(|c| CarerJson {
                id: c.carer_id.to_string(),
                name: c.carer_name,
                relationship: c.relationship,
            })
            .collect(),
        consents: detail.consents.map(|consents| {
            consents
                .into_iter()
                .map(|c| ConsentJson {
                    id: c.id.to_string(),
                    recipient: c.recipient,
                    purpose: c.purpose,
                    parts: c.parts.into_iter().map(str::to_owned).collect(),
                    note: c.note,
                    recorded_by: c.recorded_by,
                    recorded_at: c.recorded_at,
                    withdrawn_at: c.withdrawn_at,
                    in_force: c.in_force,
                })
                .collect()
        }),
        shared_with_me: detail.shared_with_me.into_iter().map(str::to_owned).collect(),
    }))
}

/// Record a consent decision for a service user.
#[utoipa::path(post, path = "/api/v1/people/{person}/consents", tag = "consent", security(("bearer" = [])),
    params(("person" = String, Path, description = "Person id")), request_body = NewConsentJson,
    responses((status = 201, body = CreatedJson), (status = 404, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn post_consent(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<NewConsentJson>,
) -> Result<Response, WebError> {
    let person = person_id(&raw, Audience::Json)?;
    let form = ConsentForm {
        recipient: body.recipient,
        parts: body.parts,
        note: body.note,
    };
    let id = state
        .app
        .record_consent(signed_in.actor(), person, &form)
        .await
        .json()?;
    Ok((StatusCode::CREATED, Json(CreatedJson { id: id.to_string() })).into_response())
}

/// Withdraw a consent decision; it stops having effect at once.
#[utoipa::path(post, path = "/api/v1/people/{person}/consents/{consent}/withdraw", tag = "consent", security(("bearer" = [])),
    params(("person" = String, Path, description = "Person id"), ("consent" = String, Path, description = "Consent id")),
    responses((status = 204, description = "Withdrawn"), (status = 404, body = ErrorJson)))]
pub async fn post_consent_withdrawal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((raw_person, raw_consent)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let person = person_id(&raw_person, Audience::Json)?;
    let consent = consent_id(&raw_consent, Audience::Json)?;
    state
        .app
        .withdraw_consent(signed_in.actor(), person, consent)
        .await
        .json()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accounts in the organisations you administer.
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [AccountJson]), (status = 403, body = ErrorJson)))]
pub async fn get_accounts(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<AccountJson>>, WebError> {
    let accounts = state.app.accounts(signed_in.actor()).await.json()?;
    Ok(Json(
        accounts
            .into_iter()
            .map(|a| AccountJson {
                id: a.id.to_string(),
                username: a.username,
                display_name: a.display_name,
                disabled: a.disabled,
                grants: a
                    .grants
                    .into_iter()
                    .map(|g| GrantJson {
                        role: g.role.as_str().to_owned(),
                        organisation: g.organisation,
                        team: g.team,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// A person's current care plan as an HL7 FHIR R4 Bundle (Patient, CarePlan, Goal, CareTeam,
/// RelatedPerson, Consent, Questionnaire, Provenance).
#[utoipa::path(get, path = "/api/v1/people/{person}/careplan/fhir", tag = "careplan", security(("bearer" = [])),
    params(("person" = String, Path, description = "Person id")),
    responses((status = 200, description = "A FHIR R4 Bundle of type collection", content_type = "application/fhir+json"), (status = 404, body = ErrorJson)))]
pub async fn get_care_plan_fhir(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let person = person_id(&raw, Audience::Json)?;
    let bundle = state.app.care_plan_fhir(signed_in.actor(), person).await.json()?;
    Ok(([(header::CONTENT_TYPE, "application/fhir+json")], bundle.to_string()).into_response())
}
