use axum::http::StatusCode;
use cocare_store::Backend;
use cocare_testkit::{TestApp, backends};

#[tokio::test]
async fn a_clinician_in_another_team_cannot_find_the_record_and_the_attempt_is_audited() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let sam = app.person_of("sam").await;
        let mut taylor = app.signed_in("taylor").await;
        let reply = taylor.get(&format!("/people/{sam}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend:?}");
        assert!(!reply.body.contains("Sam "), "nothing of the record leaks");
        assert_eq!(
            taylor.get(&format!("/api/v1/people/{sam}")).await.status,
            StatusCode::NOT_FOUND
        );
        let people = taylor.get("/api/v1/people").await.json();
        assert!(people.as_array().unwrap().iter().all(|p| p["id"] != sam.to_string()));
        let audit = app.app.store().recent_audit(20).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.outcome == "deny" && e.subject == format!("person:{sam}") && e.action == "person.read"),
            "{audit:?}"
        );
    }
}

#[tokio::test]
async fn reading_a_record_writes_an_audit_row_naming_reader_role_and_subject() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut alex = app.signed_in("alex").await;
    let reply = alex.get(&format!("/people/{sam}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("<h1>Sam "), "{}", reply.body);
    let audit = app.app.store().recent_audit(10).await.unwrap();
    let read = audit
        .iter()
        .find(|e| e.action == "person.read" && e.subject == format!("person:{sam}"))
        .unwrap();
    assert_eq!(read.role, "clinician");
    assert!(read.actor.starts_with("account:"));
    assert!(
        audit
            .iter()
            .all(|e| !e.subject.contains("Sam") && !e.actor.contains("alex")),
        "no names in the audit log"
    );
}

#[tokio::test]
async fn a_carer_sees_only_while_consent_holds_and_withdrawal_takes_effect_at_once() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let sam = app.person_of("sam").await;
        let mut casey = app.signed_in("casey").await;
        let reply = casey.get(&format!("/people/{sam}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.contains("shares with you"), "{}", reply.body);
        assert!(
            !reply.body.contains("Consent choices"),
            "a carer does not see consent settings"
        );
        let json = casey.get(&format!("/api/v1/people/{sam}")).await.json();
        assert!(json["consents"].is_null());
        assert!(
            json["date_of_birth"].is_null(),
            "a carer does not see the clinical record"
        );
        assert_eq!(json["given_name"], "Sam");
        assert!(!json["shared_with_me"].as_array().unwrap().is_empty());

        // Sam withdraws every consent given to Casey, through the page.
        let mut sam_client = app.signed_in("sam").await;
        let page = sam_client.get(&format!("/people/{sam}")).await;
        let withdraw_paths: Vec<String> = page
            .body
            .match_indices("/withdraw\"")
            .map(|(end, _)| {
                let start = page.body[..end].rfind("action=\"").unwrap() + "action=\"".len();
                format!("{}/withdraw", &page.body[start..end])
            })
            .collect();
        assert!(!withdraw_paths.is_empty());
        for path in withdraw_paths {
            let reply = sam_client.post_form(&path, &[]).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}: {}", reply.body);
        }
        let page = sam_client.get(&format!("/people/{sam}?done=withdrawn")).await;
        assert!(page.body.contains("no longer has any effect"));
        assert_eq!(
            casey.get(&format!("/people/{sam}")).await.status,
            StatusCode::NOT_FOUND,
            "{backend:?}"
        );
        let list = casey.get("/people").await;
        assert!(!list.body.contains(&sam.to_string()));
    }
}

#[tokio::test]
async fn a_consent_form_with_mistakes_is_shown_again_as_typed_and_nothing_is_written() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut client = app.signed_in("sam").await;
    client.get(&format!("/people/{sam}")).await;
    let before = app.app.store().count(cocare_store::Table::Consents).await.unwrap();
    let reply = client
        .post_form(
            &format!("/people/{sam}/consents"),
            &[("recipient", "research"), ("note", "Only <b>anonymous</b> please")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("There is a problem"));
    assert!(reply.body.contains("href=\"#parts\""), "the summary links to the field");
    assert!(
        reply.body.contains("Only &#60;b&#62;anonymous&#60;/b&#62; please")
            || reply.body.contains("Only &lt;b&gt;anonymous&lt;/b&gt; please"),
        "the note is kept, escaped"
    );
    assert!(reply.body.contains("value=\"research\" selected"));
    assert_eq!(
        app.app.store().count(cocare_store::Table::Consents).await.unwrap(),
        before
    );

    // Research may not be given carer parts.
    let reply = client
        .post_form(
            &format!("/people/{sam}/consents"),
            &[("recipient", "research"), ("parts", "crisis_plan")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

    let reply = client
        .post_form(
            &format!("/people/{sam}/consents"),
            &[("recipient", "research"), ("parts", "pseudonymised_records")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.app.store().count(cocare_store::Table::Consents).await.unwrap(),
        before + 1
    );
}

#[tokio::test]
async fn each_role_lands_on_a_home_page_showing_only_what_it_may_use() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cases = [
        ("sam", "Your care plan and record", "/admin"),
        ("casey", "People who share with you", "/admin"),
        ("alex", "Your caseload", "/admin"),
        ("jordan", "Team caseload", "/admin"),
        ("riley", "Research and evaluation", "/people"),
        ("morgan", "Stakeholder engagement", "/people"),
        ("kim", "Funding changes and their outcomes", "/engage/stakeholders"),
        ("admin", "Administration", "/people"),
    ];
    for (who, shows, hides) in cases {
        let mut client = app.signed_in(who).await;
        let home = client.get("/").await;
        assert!(home.body.contains(shows), "{who} should see {shows}");
        assert!(
            !home.body.contains(&format!("href=\"{hides}\"")),
            "{who} should not be offered {hides}"
        );
    }
}

#[tokio::test]
async fn a_caseload_lists_the_team_and_a_service_user_sees_only_themselves() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let alex = app.signed_in("alex").await;
    let mut alex = alex;
    let caseload = alex.get("/api/v1/people").await.json();
    let caseload = caseload.as_array().unwrap();
    assert_eq!(caseload.len(), 12, "36 demo service users over 3 teams");
    assert!(caseload.iter().all(|p| p["team"] == "North Community Team"));
    let mut sam = app.signed_in("sam").await;
    let mine = sam.get("/api/v1/people").await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], app.person_of("sam").await.to_string());
}
