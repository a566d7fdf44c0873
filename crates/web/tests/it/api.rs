use axum::http::{Method, StatusCode};
use cocare_store::Backend;
use cocare_testkit::TestApp;
use cocare_web::routes::route_table;

#[tokio::test]
async fn api_clients_sign_in_use_a_bearer_token_and_sign_out() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.anonymous();
    let reply = client.sign_in_api("alex", "wrong password").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["status"], 401);
    let reply = client.sign_in_api("alex", cocare_app::DEMO_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    let me = client.get("/api/v1/me").await.json();
    assert_eq!(me["username"], "alex");
    assert_eq!(me["grants"][0]["role"], "clinician");
    let reply = client.request(Method::DELETE, "/api/session", None, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(client.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn consent_through_the_api_is_validated_field_by_field() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut client = app.anonymous();
    client.sign_in_api("sam", cocare_app::DEMO_PASSWORD).await;
    let reply = client
        .post_json(
            &format!("/api/v1/people/{sam}/consents"),
            &serde_json::json!({"recipient": "carer:nobody", "parts": ["everything"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = reply.json()["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains(&"recipient".to_owned()) && fields.contains(&"parts".to_owned()),
        "{fields:?}"
    );
    let casey = app.person_of("casey").await;
    let reply = client
        .post_json(
            &format!("/api/v1/people/{sam}/consents"),
            &serde_json::json!({"recipient": format!("carer:{casey}"), "parts": ["crisis_plan"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let reply = client
        .request(
            Method::POST,
            &format!("/api/v1/people/{sam}/consents/{id}/withdraw"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = client
        .request(
            Method::POST,
            &format!("/api/v1/people/{sam}/consents/{id}/withdraw"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "a consent is withdrawn once");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = app.anonymous().get("/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path, _) in route_table() {
        if !path.starts_with("/api/") || path == "/api/openapi.json" {
            continue;
        }
        let operation = &doc["paths"][path][method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {path} is missing from the OpenAPI document"
        );
        assert!(operation["responses"].is_object());
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn a_care_plan_is_served_as_fhir_to_those_who_may_see_consents() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut me = app.anonymous();
    me.sign_in_api("sam", cocare_app::DEMO_PASSWORD).await;
    let reply = me.get(&format!("/api/v1/people/{sam}/careplan/fhir")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers.get(axum::http::header::CONTENT_TYPE).unwrap(),
        "application/fhir+json"
    );
    assert_eq!(reply.json()["resourceType"], "Bundle");
    let mut casey = app.anonymous();
    casey.sign_in_api("casey", cocare_app::DEMO_PASSWORD).await;
    assert_eq!(
        casey.get(&format!("/api/v1/people/{sam}/careplan/fhir")).await.status,
        StatusCode::FORBIDDEN
    );
}
