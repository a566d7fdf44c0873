//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cocare API", description = "Co-produced community mental health care. Every call goes through one access policy and is written to the audit log."),
    paths(
        api::post_session,
        api::delete_session,
        api::get_me,
        api::get_people,
        api::get_person,
        api::post_consent,
        api::post_consent_withdrawal,
        api::get_accounts,
        api::get_care_plan_fhir,
    ),
    components(schemas(
        api::LoginJson, api::SessionJson, api::ErrorJson, api::FieldErrorJson, api::GrantJson, api::MeJson,
        api::PersonSummaryJson, api::PersonJson, api::CarerJson, api::ConsentJson, api::NewConsentJson,
        api::CreatedJson, api::AccountJson,
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// The document as pretty JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}
