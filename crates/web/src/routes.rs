//! The route table: every route cocare serves, with the access it needs. The router is built
//! from this table, and the role × route test walks it, so a route cannot exist without a
//! policy entry.

use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, post};
use cocare_policy::Action;

use crate::{AppState, api, pages};

/// The access a route needs before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in, health, the stylesheet, the API description).
    Public,
    /// A signed-in person holding some role that may perform the action. The handler then asks
    /// the policy about the one resource it touches.
    SignedIn(Action),
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

fn route(method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

pub fn routes() -> Vec<Route> {
    use Access::{Public, SignedIn};
    use Action::*;
    vec![
        route(Method::GET, "/health", Public, get(pages::health)),
        route(Method::GET, "/static/cocare.css", Public, get(pages::stylesheet)),
        route(Method::GET, "/login", Public, get(pages::auth::get_login)),
        route(Method::POST, "/login", Public, post(pages::auth::post_login)),
        route(
            Method::POST,
            "/logout",
            SignedIn(ViewHome),
            post(pages::auth::post_logout),
        ),
        route(Method::GET, "/", SignedIn(ViewHome), get(pages::home::get_home)),
        route(
            Method::GET,
            "/people",
            SignedIn(ListPeople),
            get(pages::people::get_people),
        ),
        route(
            Method::GET,
            "/people/{person}",
            SignedIn(ReadPerson),
            get(pages::people::get_person),
        ),
        route(
            Method::POST,
            "/people/{person}/consents",
            SignedIn(RecordConsent),
            post(pages::people::post_consent),
        ),
        route(
            Method::POST,
            "/people/{person}/consents/{consent}/withdraw",
            SignedIn(RecordConsent),
            post(pages::people::post_consent_withdrawal),
        ),
        route(
            Method::GET,
            "/people/{person}/plan",
            SignedIn(ReadCarePlan),
            get(pages::plan::get_plan),
        ),
        route(
            Method::POST,
            "/people/{person}/plan",
            SignedIn(FinaliseCarePlan),
            post(pages::plan::post_plan),
        ),
        route(
            Method::GET,
            "/people/{person}/plan/print",
            SignedIn(ReadCarePlan),
            get(pages::plan::get_print),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/sections/{section}",
            SignedIn(WriteCarePlan),
            post(pages::plan::post_section),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/sections/{section}/agreement",
            SignedIn(AgreeCarePlan),
            post(pages::plan::post_agreement),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/goals",
            SignedIn(WriteCarePlan),
            post(pages::plan::post_goal),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/goals/{goal}/actions",
            SignedIn(WriteCarePlan),
            post(pages::plan::post_goal_action),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/finalise",
            SignedIn(FinaliseCarePlan),
            post(pages::plan::post_finalise),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/review",
            SignedIn(FinaliseCarePlan),
            post(pages::plan::post_review),
        ),
        route(
            Method::POST,
            "/people/{person}/plan/copies",
            SignedIn(RecordCopyGiven),
            post(pages::plan::post_copy),
        ),
        route(
            Method::POST,
            "/people/{person}/dialog",
            SignedIn(WriteCarePlan),
            post(pages::plan::post_dialog),
        ),
        route(
            Method::GET,
            "/records",
            SignedIn(ImportRecords),
            get(pages::records::get_records),
        ),
        route(
            Method::POST,
            "/records/import",
            SignedIn(ImportRecords),
            post(pages::records::post_import).layer(axum::extract::DefaultBodyLimit::max(crate::server::UPLOAD_LIMIT)),
        ),
        route(
            Method::GET,
            "/records/imports/{job}",
            SignedIn(ImportRecords),
            get(pages::records::get_import),
        ),
        route(
            Method::GET,
            "/records/cohorts/new",
            SignedIn(AnalyseRecords),
            get(pages::records::get_new_cohort),
        ),
        route(
            Method::POST,
            "/records/cohorts",
            SignedIn(AnalyseRecords),
            post(pages::records::post_cohort),
        ),
        route(
            Method::GET,
            "/records/cohorts/{cohort}",
            SignedIn(AnalyseRecords),
            get(pages::records::get_cohort),
        ),
        route(
            Method::POST,
            "/records/cohorts/{cohort}",
            SignedIn(AnalyseRecords),
            post(pages::records::post_cohort_version),
        ),
        route(
            Method::GET,
            "/records/cohorts/{cohort}/edit",
            SignedIn(AnalyseRecords),
            get(pages::records::get_edit_cohort),
        ),
        route(
            Method::GET,
            "/records/cohorts/{cohort}/definition.json",
            SignedIn(AnalyseRecords),
            get(pages::records::get_cohort_json),
        ),
        route(
            Method::GET,
            "/records/cohorts/{cohort}/table1.csv",
            SignedIn(AnalyseRecords),
            get(pages::records::get_cohort_csv),
        ),
        route(
            Method::GET,
            "/records/cohorts/{cohort}/report.xlsx",
            SignedIn(AnalyseRecords),
            get(pages::records::get_cohort_xlsx),
        ),
        route(
            Method::GET,
            "/records/cohorts/{cohort}/report.html",
            SignedIn(AnalyseRecords),
            get(pages::records::get_cohort_report),
        ),
        route(
            Method::GET,
            "/team",
            SignedIn(ViewTeamDashboard),
            get(pages::team::get_team),
        ),
        route(
            Method::GET,
            "/people/{person}/plan/versions/{version}",
            SignedIn(ReadCarePlan),
            get(pages::plan::get_version),
        ),
        route(
            Method::GET,
            "/people/{person}/measures",
            SignedIn(ReadCarePlan),
            get(pages::measures::get_measures),
        ),
        route(
            Method::GET,
            "/people/{person}/measures/{questionnaire}",
            SignedIn(WriteCarePlan),
            get(pages::measures::get_measure_form),
        ),
        route(
            Method::POST,
            "/people/{person}/measures/{questionnaire}",
            SignedIn(WriteCarePlan),
            post(pages::measures::post_measure),
        ),
        route(
            Method::GET,
            "/admin",
            SignedIn(ManageAccounts),
            get(pages::admin::get_admin),
        ),
        route(
            Method::POST,
            "/admin/organisations",
            SignedIn(ManageOrganisations),
            post(pages::admin::post_organisation),
        ),
        route(
            Method::POST,
            "/admin/teams",
            SignedIn(ManageOrganisations),
            post(pages::admin::post_team),
        ),
        route(
            Method::GET,
            "/admin/accounts/new",
            SignedIn(ManageAccounts),
            get(pages::admin::get_new_account),
        ),
        route(
            Method::POST,
            "/admin/accounts",
            SignedIn(ManageAccounts),
            post(pages::admin::post_account),
        ),
        route(
            Method::POST,
            "/admin/accounts/{account}/disable",
            SignedIn(ManageAccounts),
            post(pages::admin::post_disable),
        ),
        route(
            Method::POST,
            "/admin/accounts/{account}/enable",
            SignedIn(ManageAccounts),
            post(pages::admin::post_enable),
        ),
        route(
            Method::POST,
            "/admin/accounts/{account}/password",
            SignedIn(ManageAccounts),
            post(pages::admin::post_password),
        ),
        route(
            Method::POST,
            "/admin/accounts/{account}/roles",
            SignedIn(ManageAccounts),
            post(pages::admin::post_role),
        ),
        route(
            Method::POST,
            "/admin/accounts/{account}/roles/{grant}/remove",
            SignedIn(ManageAccounts),
            post(pages::admin::post_role_removal),
        ),
        route(
            Method::GET,
            "/admin/audit",
            SignedIn(ReadAuditLog),
            get(pages::admin::get_audit),
        ),
        route(Method::GET, "/api/openapi.json", Public, get(api::get_openapi)),
        route(Method::POST, "/api/session", Public, post(api::post_session)),
        route(
            Method::DELETE,
            "/api/session",
            SignedIn(ViewHome),
            delete(api::delete_session),
        ),
        route(Method::GET, "/api/v1/me", SignedIn(ViewHome), get(api::get_me)),
        route(
            Method::GET,
            "/api/v1/people",
            SignedIn(ListPeople),
            get(api::get_people),
        ),
        route(
            Method::GET,
            "/api/v1/people/{person}",
            SignedIn(ReadPerson),
            get(api::get_person),
        ),
        route(
            Method::POST,
            "/api/v1/people/{person}/consents",
            SignedIn(RecordConsent),
            post(api::post_consent),
        ),
        route(
            Method::POST,
            "/api/v1/people/{person}/consents/{consent}/withdraw",
            SignedIn(RecordConsent),
            post(api::post_consent_withdrawal),
        ),
        route(
            Method::GET,
            "/api/v1/people/{person}/careplan/fhir",
            SignedIn(ReadConsents),
            get(api::get_care_plan_fhir),
        ),
        route(
            Method::GET,
            "/api/v1/admin/accounts",
            SignedIn(ManageAccounts),
            get(api::get_accounts),
        ),
    ]
}

/// The table without handlers, for tests and documentation.
pub fn route_table() -> Vec<(Method, &'static str, Access)> {
    routes().into_iter().map(|r| (r.method, r.path, r.access)).collect()
}
