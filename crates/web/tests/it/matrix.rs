//! Every route × every role, against a table kept here. A route added to the route table
//! without a row here fails this test; a policy change shows up as a changed row.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use cocare_testkit::{Client, Reply, TestApp, backends};
use cocare_web::routes::route_table;

/// Allowed past the gate, denied, or asked to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    A,
    D,
    S,
}
use Outcome::{A, D, S};

const PEOPLE: [&str; 9] = [
    "anonymous",
    "sam",
    "casey",
    "alex",
    "jordan",
    "riley",
    "morgan",
    "admin",
    "kim",
];

/// Columns: anonymous, service user (sam), carer (casey), clinician (alex), team lead (jordan),
/// researcher (riley), engagement lead (morgan), administrator (admin), commissioner (kim).
fn expected() -> BTreeMap<(&'static str, &'static str), [Outcome; 9]> {
    let public = [A, A, A, A, A, A, A, A, A];
    let signed_in = [S, A, A, A, A, A, A, A, A];
    let care = [S, A, A, A, A, D, D, D, D];
    let consent_write = [S, A, D, A, D, D, D, D, D];
    let admin = [S, D, D, D, D, D, D, A, D];
    let plan_write = [S, A, A, A, D, D, D, D, D];
    let coordinator = [S, D, D, A, D, D, D, D, D];
    let copy = [S, A, D, A, D, D, D, D, D];
    // Carers pass the route's gate but do not rate life domains: the use case refuses them.
    let ratings = [S, A, D, A, D, D, D, D, D];
    // Researchers and administrators import records; only researchers analyse them.
    let records = [S, D, D, D, D, A, D, A, D];
    let research = [S, D, D, D, D, A, D, D, D];
    let engagement = [S, D, D, D, D, D, A, D, D];
    // Funding changes: the engagement lead and the commissioner.
    let funding = [S, D, D, D, D, D, A, D, A];
    let panel = [S, A, A, A, D, A, D, D, A];
    BTreeMap::from([
        (("GET", "/health"), public),
        (("GET", "/static/cocare.css"), public),
        (("GET", "/static/qual.js"), public),
        (("GET", "/login"), public),
        (("POST", "/login"), public),
        (("POST", "/logout"), signed_in),
        (("GET", "/"), signed_in),
        (("GET", "/people"), care),
        (("GET", "/people/{person}"), care),
        (("POST", "/people/{person}/consents"), consent_write),
        (("POST", "/people/{person}/consents/{consent}/withdraw"), consent_write),
        (("GET", "/people/{person}/plan"), care),
        (("POST", "/people/{person}/plan"), coordinator),
        (("GET", "/people/{person}/plan/print"), care),
        (("GET", "/people/{person}/plan/versions/{version}"), care),
        (("POST", "/people/{person}/plan/sections/{section}"), plan_write),
        (
            ("POST", "/people/{person}/plan/sections/{section}/agreement"),
            plan_write,
        ),
        // Goals are the service user's: a carer passes the gate but the use case refuses.
        (("POST", "/people/{person}/plan/goals"), ratings),
        (("POST", "/people/{person}/plan/goals/{goal}/actions"), ratings),
        (("POST", "/people/{person}/plan/finalise"), coordinator),
        (("POST", "/people/{person}/plan/review"), coordinator),
        (("POST", "/people/{person}/plan/copies"), copy),
        (("POST", "/people/{person}/dialog"), ratings),
        (("GET", "/team"), [S, D, D, D, A, D, D, D, D]),
        // Questionnaires are the service user's (with their clinician): carers are refused.
        (("GET", "/people/{person}/measures"), [S, A, D, A, A, D, D, D, D]),
        (
            ("GET", "/people/{person}/measures/{questionnaire}"),
            [S, A, D, A, D, D, D, D, D],
        ),
        (
            ("POST", "/people/{person}/measures/{questionnaire}"),
            [S, A, D, A, D, D, D, D, D],
        ),
        (("GET", "/admin"), admin),
        (("POST", "/admin/organisations"), admin),
        (("POST", "/admin/teams"), admin),
        (("GET", "/admin/accounts/new"), admin),
        (("POST", "/admin/accounts"), admin),
        (("POST", "/admin/accounts/{account}/disable"), admin),
        (("POST", "/admin/accounts/{account}/enable"), admin),
        (("POST", "/admin/accounts/{account}/password"), admin),
        (("POST", "/admin/accounts/{account}/roles"), admin),
        (("POST", "/admin/accounts/{account}/roles/{grant}/remove"), admin),
        (("GET", "/admin/audit"), admin),
        (("GET", "/api/openapi.json"), public),
        (("POST", "/api/session"), public),
        (("DELETE", "/api/session"), signed_in),
        (("GET", "/api/v1/me"), signed_in),
        (("GET", "/api/v1/people"), care),
        (("GET", "/api/v1/people/{person}"), care),
        (("POST", "/api/v1/people/{person}/consents"), consent_write),
        (
            ("POST", "/api/v1/people/{person}/consents/{consent}/withdraw"),
            consent_write,
        ),
        (
            ("GET", "/api/v1/people/{person}/careplan/fhir"),
            [S, A, D, A, A, D, D, D, D],
        ),
        (("GET", "/api/v1/admin/accounts"), admin),
        (("GET", "/records"), records),
        (("POST", "/records/import"), records),
        // The gate lets researchers and administrators through, but an import's page is shown
        // only to whoever started it, and none was started here: 404 for everyone.
        (("GET", "/records/imports/{job}"), [S, D, D, D, D, D, D, D, D]),
        (("GET", "/records/cohorts/new"), research),
        (("POST", "/records/cohorts"), research),
        (("GET", "/records/cohorts/{cohort}"), research),
        (("POST", "/records/cohorts/{cohort}"), research),
        (("GET", "/records/cohorts/{cohort}/edit"), research),
        (("GET", "/records/cohorts/{cohort}/definition.json"), research),
        (("GET", "/records/cohorts/{cohort}/table1.csv"), research),
        (("GET", "/records/cohorts/{cohort}/report.xlsx"), research),
        (("GET", "/records/cohorts/{cohort}/report.html"), research),
        // Unit costs are not personal data: the administrator keeps them, researchers too.
        (("GET", "/econ"), records),
        (("GET", "/econ/unit-costs/{table}"), records),
        (("POST", "/econ/unit-costs/{table}"), records),
        (("GET", "/econ/unit-costs/{table}/table.csv"), records),
        (("POST", "/econ/unit-costs/{table}/inflate"), records),
        (("GET", "/econ/evaluations/new"), research),
        (("POST", "/econ/evaluations"), research),
        (("GET", "/econ/evaluations/{evaluation}"), research),
        (("POST", "/econ/evaluations/{evaluation}"), research),
        (("GET", "/econ/evaluations/{evaluation}/edit"), research),
        (("GET", "/econ/evaluations/{evaluation}/report.html"), research),
        (("GET", "/econ/evaluations/{evaluation}/report.json"), research),
        // Engagement: the engagement lead only.
        (("GET", "/engage"), engagement),
        (("GET", "/engage/stakeholders"), engagement),
        (("POST", "/engage/stakeholders"), engagement),
        (("POST", "/engage/stakeholders/merge"), engagement),
        (("GET", "/engage/activities"), engagement),
        (("POST", "/engage/activities"), engagement),
        (("GET", "/engage/activities/{activity}"), engagement),
        (("POST", "/engage/activities/{activity}/proposals"), engagement),
        (("POST", "/engage/activities/{activity}/actions"), engagement),
        (("POST", "/engage/activities/{activity}/ratings"), engagement),
        (("POST", "/engage/activities/{activity}/links"), engagement),
        // A rating link that does not exist is not found by anyone (valid links: engage tests).
        (("GET", "/rate/{token}"), [D, D, D, D, D, D, D, D, D]),
        (("POST", "/rate/{token}"), [D, D, D, D, D, D, D, D, D]),
        // Vignettes: researchers manage; the review panel (the demo's: sam, casey, alex, kim)
        // reads, comments and approves; everyone else is not told they exist.
        (("GET", "/vignettes"), panel),
        (("POST", "/vignettes"), research),
        (("GET", "/vignettes/new"), research),
        (("POST", "/vignettes/panel"), research),
        (("POST", "/vignettes/rule"), research),
        (("GET", "/vignettes/{vignette}"), panel),
        (("POST", "/vignettes/{vignette}/edit"), research),
        (("POST", "/vignettes/{vignette}/interviews"), research),
        (("POST", "/vignettes/{vignette}/comments"), panel),
        (("POST", "/vignettes/{vignette}/approval"), panel),
        (("GET", "/studies/new"), research),
        (("POST", "/studies"), research),
        (("GET", "/studies/{study}"), research),
        (("GET", "/studies/{study}/edit"), research),
        (("POST", "/studies/{study}/edit"), research),
        (("POST", "/studies/{study}/status"), research),
        (("POST", "/studies/{study}/invitations"), research),
        (("GET", "/studies/{study}/analysis"), research),
        (("POST", "/studies/{study}/reasons"), research),
        (("GET", "/studies/{study}/responses.csv"), research),
        (("GET", "/studies/{study}/dictionary.csv"), research),
        (("GET", "/studies/{study}/responses.xlsx"), research),
        (("GET", "/studies/{study}/booklet"), research),
        (("GET", "/studies/{study}/methods.md"), research),
        // An invitation link that does not exist is not found by anyone (valid ones: vignettes tests).
        (("GET", "/study/{token}"), [D, D, D, D, D, D, D, D, D]),
        (("POST", "/study/{token}"), [D, D, D, D, D, D, D, D, D]),
        (("GET", "/engage/board"), engagement),
        (("POST", "/engage/proposals/{proposal}"), engagement),
        (("GET", "/engage/payments"), engagement),
        (("POST", "/engage/payments"), engagement),
        (("GET", "/engage/funding"), funding),
        (("POST", "/engage/funding"), funding),
        (("GET", "/engage/funding/{change}"), funding),
        (("POST", "/engage/funding/{change}/indicators"), funding),
        (("GET", "/engage/funding/{change}/cmo.csv"), funding),
        (("GET", "/engage/report"), engagement),
        (("POST", "/engage/report"), engagement),
        (("GET", "/engage/export.xlsx"), engagement),
        (("GET", "/engage/export/{sheet}"), engagement),
        // Interview words: researchers only at the gate, and then members of the project only
        // (riley owns the one here; non-members are covered in the qualitative tests).
        (("GET", "/qual"), research),
        (("POST", "/qual"), research),
        (("POST", "/qual/import"), research),
        (("GET", "/qual/{project}"), research),
        (("POST", "/qual/{project}/sources"), research),
        (("GET", "/qual/{project}/people"), research),
        (("POST", "/qual/{project}/participants"), research),
        (("POST", "/qual/{project}/variables"), research),
        (("POST", "/qual/{project}/members"), research),
        (("GET", "/qual/{project}/codebook"), research),
        (("POST", "/qual/{project}/codebook"), research),
        (("POST", "/qual/{project}/codebook/remove"), research),
        (("GET", "/qual/{project}/codebook.qdc"), research),
        (("POST", "/qual/{project}/codebook.qdc"), research),
        (("GET", "/qual/{project}/sources/{source}"), research),
        (("POST", "/qual/{project}/sources/{source}/codings"), research),
        (("POST", "/qual/{project}/sources/{source}/codings/remove"), research),
        (("POST", "/qual/{project}/sources/{source}/participant"), research),
        (("GET", "/qual/{project}/codes/{code}"), research),
        (("POST", "/qual/{project}/memos"), research),
        (("GET", "/qual/{project}/memos/{memo}"), research),
        (("GET", "/qual/{project}/search"), research),
        (("GET", "/qual/{project}/cooccurrence"), research),
        (("GET", "/qual/{project}/matrix"), research),
        (("GET", "/qual/{project}/matrix/{participant}/{code}"), research),
        (("POST", "/qual/{project}/matrix/{participant}/{code}"), research),
        (("GET", "/qual/{project}/agreement"), research),
        (("GET", "/qual/{project}/cmos"), research),
        (("POST", "/qual/{project}/cmos"), research),
        (("GET", "/qual/{project}/cmos.csv"), research),
        (("POST", "/qual/{project}/cmos/import"), research),
        (("GET", "/qual/{project}/cmos/{cmo}"), research),
        (("POST", "/qual/{project}/cmos/{cmo}"), research),
        (("GET", "/qual/{project}/export.qdpx"), research),
    ])
}

fn classify(reply: &Reply) -> Outcome {
    assert!(
        !reply.status.is_server_error(),
        "server error: {} {}",
        reply.status,
        reply.body
    );
    match reply.status {
        StatusCode::UNAUTHORIZED => S,
        StatusCode::SEE_OTHER if reply.location().is_some_and(|l| l.starts_with("/login?next=")) => S,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => D,
        _ => A,
    }
}

async fn client_for(app: &TestApp, who: &str) -> Client {
    if who == "anonymous" {
        app.anonymous()
    } else {
        app.signed_in(who).await
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_table_says() {
    for backend in backends().await {
        let app = TestApp::spawn_with_records(backend, 120).await;
        let cohort = app.cohort.clone().unwrap();
        let sam = app.person_of("sam").await;
        // A throwaway account for the account routes, so the matrix changes no demo login.
        let form = cocare_app::AccountForm {
            username: "matrix-target".into(),
            display_name: "Matrix target".into(),
            password: "a long enough password".into(),
            role: "researcher".into(),
            ..Default::default()
        };
        let target = app
            .app
            .create_account(&cocare_core::Actor::system("test"), &form)
            .await
            .unwrap();
        // Its only role: removing it is refused (409), so the matrix leaves it in place.
        let organisation = app.app.store().organisations().await.unwrap()[0].id;
        let accounts = app.app.store().accounts_in(organisation).await.unwrap();
        let grant = accounts.iter().find(|a| a.id == target).unwrap().grants[0].id.clone();

        let (evaluation, _) = app
            .app
            .save_evaluation(
                &cocare_core::Actor::system("test"),
                None,
                None,
                &cocare_app::SavedEvaluation {
                    spec: cocare_app::econ_domain::evaluate::EvaluationSpec::crisis_vs_inpatient(),
                    cohort: None,
                    unit_costs: None,
                },
            )
            .await
            .unwrap();

        // The demo's vignettes and study (its panel: sam, casey, alex, taylor and kim).
        let organisation_id = app.app.store().organisations().await.unwrap()[0].id;
        let study = app.app.seed_vignette_demo(organisation_id).await.unwrap().unwrap();
        let vignette = {
            let riley = app.actor_of("riley").await;
            app.app.vignette_workspace(&riley).await.unwrap().vignettes[0]
                .id
                .clone()
        };

        // A qualitative project owned by riley, with a participant, a source, a coding and a
        // CMO configuration for the routes that name them.
        let riley = app.actor_of("riley").await;
        let project = app
            .app
            .create_qual_project(&riley, "Matrix project", "", "npt")
            .await
            .unwrap();
        let participant = app
            .app
            .save_qual_participant(&riley, &project, None, "P01", "", &Default::default())
            .await
            .unwrap();
        let source = app
            .app
            .import_qual_source(
                &riley,
                &project,
                &cocare_app::SourceForm {
                    name: "Interview".into(),
                    kind: "transcript".into(),
                    text: "Interviewer: How was it?\nP01: Nobody asked us.\n".into(),
                    participant: participant.clone(),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
        let view = app.app.qual_project(&riley, &project).await.unwrap();
        let code = view.codebook.codes.iter().find(|c| c.codable).unwrap().guid.clone();
        app.app
            .add_qual_coding(&riley, &project, &source, &code, None, None, "Nobody asked us.")
            .await
            .unwrap();
        let cmo = app
            .app
            .save_qual_cmo(
                &riley,
                &project,
                None,
                &cocare_app::qual_domain::realist::Cmo {
                    theory: "Engagement".into(),
                    name: "C1".into(),
                    context: "c".into(),
                    mechanism: "m".into(),
                    outcome: "o".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();

        let memo = app
            .app
            .save_qual_memo(&riley, &project, None, 0, "project", &project, "", "A memo")
            .await
            .unwrap();

        // The demo's engagement, for the routes that name an activity, a proposal or a change.
        let organisation = app.app.store().organisations().await.unwrap()[0].id;
        app.app.seed_engage_demo(organisation).await.unwrap();
        let lead = app.actor_of("morgan").await;
        let engagement = app.app.engagement(&lead).await.unwrap();
        let activity = engagement.activities[0].id.clone();
        let proposal = engagement.proposals[0].id.clone();
        let change = engagement.funding[0].id.clone();

        let table = expected();
        let routes = route_table();
        let mut missing = Vec::new();
        for (method, path, _) in &routes {
            if !table.contains_key(&(method.as_str(), *path)) {
                missing.push(format!("{method} {path}"));
            }
        }
        assert!(
            missing.is_empty(),
            "routes without a row in the policy table: {missing:?}"
        );
        assert_eq!(
            table.len(),
            routes.len(),
            "the table has rows for routes that do not exist"
        );

        let mut clients = BTreeMap::new();
        for who in PEOPLE {
            clients.insert(who, client_for(&app, who).await);
        }
        let mut wrong = Vec::new();
        for (method, path, _) in &routes {
            let row = table[&(method.as_str(), *path)];
            for (column, who) in PEOPLE.iter().enumerate() {
                let consent = crate::fresh_consent(&app).await;
                let concrete = path
                    .replace("{person}", &sam.to_string())
                    .replace("{consent}", &consent.to_string())
                    .replace("{account}", &target.to_string())
                    .replace("{grant}", &grant)
                    .replace("{section}", "about_me")
                    .replace("{goal}", "1")
                    .replace("{version}", "2")
                    .replace("{questionnaire}", "phq9")
                    .replace("{cohort}", &cohort)
                    .replace("{evaluation}", &evaluation)
                    .replace("{table}", cocare_app::DEFAULT_TABLE)
                    .replace("{job}", "0123456789abcdef0123456789abcdef")
                    .replace("{project}", &project)
                    .replace("{source}", &source)
                    .replace("{participant}", &participant)
                    .replace("{code}", &code)
                    .replace("{cmo}", &cmo)
                    .replace("{memo}", &memo)
                    .replace("{activity}", &activity)
                    .replace("{proposal}", &proposal)
                    .replace("{change}", &change)
                    .replace("{sheet}", "board.csv")
                    .replace("{vignette}", &vignette)
                    .replace("{study}", &study)
                    .replace("{token}", "not-a-real-link");
                let client = clients.get_mut(who).unwrap();
                let reply = match (method.clone(), path.starts_with("/api/")) {
                    (Method::GET, _) => client.get(&concrete).await,
                    (Method::POST, true) => client.post_json(&concrete, &serde_json::json!({})).await,
                    (Method::POST, false) => client.post_form(&concrete, &[]).await,
                    (other, _) => client.request(other, &concrete, None, Vec::new()).await,
                };
                let got = classify(&reply);
                if got != row[column] {
                    wrong.push(format!(
                        "{method} {path} as {who}: expected {:?}, got {got:?} ({})",
                        row[column], reply.status
                    ));
                }
                // Signing out ends the session: sign in again for the next route.
                if *path == "/logout" || (*path == "/api/session" && *method == Method::DELETE) {
                    clients.insert(who, client_for(&app, who).await);
                }
            }
        }
        assert!(wrong.is_empty(), "{backend:?}:\n{}", wrong.join("\n"));
    }
}
