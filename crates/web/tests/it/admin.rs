use axum::http::StatusCode;
use cocare_store::Backend;
use cocare_testkit::{TestApp, backends};

#[tokio::test]
async fn an_account_form_with_mistakes_keeps_what_was_typed_but_not_the_password() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/accounts/new").await;
    assert_eq!(page.status, StatusCode::OK);
    let reply = admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "new.clinician"),
                ("display_name", "Dr Nia Evans"),
                ("password", "short"),
                ("role", "clinician"),
                ("team", ""),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("value=\"new.clinician\""));
    assert!(reply.body.contains("value=\"Dr Nia Evans\""));
    assert!(!reply.body.contains("value=\"short\""), "the password is never echoed");
    assert!(
        reply.body.contains("href=\"#password\"") && reply.body.contains("href=\"#team\""),
        "{}",
        reply.body
    );
    assert!(
        app.app
            .store()
            .account_by_username("new.clinician")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_administrator_creates_disables_and_resets_accounts_from_the_web() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut admin = app.signed_in("admin").await;
        let overview = admin.get("/admin").await;
        let team_id = {
            let start = overview.body.find("North Community Team").unwrap();
            let _ = start;
            app.app
                .store()
                .teams(app.app.store().organisations().await.unwrap()[0].id)
                .await
                .unwrap()[0]
                .id
        };
        let reply = admin
            .post_form(
                "/admin/accounts",
                &[
                    ("username", "nia"),
                    ("display_name", "Nia Evans"),
                    ("password", "a long enough password"),
                    ("role", "clinician"),
                    ("team", &team_id.to_string()),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend:?}: {}", reply.body);
        let mut nia = app.anonymous();
        nia.sign_in("nia", "a long enough password").await;
        assert_eq!(nia.get("/people").await.status, StatusCode::OK);

        let id = app.app.store().account_by_username("nia").await.unwrap().unwrap().id;
        admin.get("/admin").await;
        let reply = admin.post_form(&format!("/admin/accounts/{id}/disable"), &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(
            nia.get("/people").await.status,
            StatusCode::SEE_OTHER,
            "a disabled account is signed out at once"
        );
        let mut again = app.anonymous();
        again.get("/login").await;
        let reply = again
            .post_form("/login", &[("username", "nia"), ("password", "a long enough password")])
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

        let reply = admin.post_form(&format!("/admin/accounts/{id}/enable"), &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let reply = admin
            .post_form(
                &format!("/admin/accounts/{id}/password"),
                &[("password", "another long password")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let mut renewed = app.anonymous();
        renewed.sign_in("nia", "another long password").await;
    }
}

#[tokio::test]
async fn administrators_add_teams_and_organisations_and_names_must_be_unique() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.signed_in("admin").await;
    let org = app.app.store().organisations().await.unwrap()[0].id;
    let reply = admin
        .post_form(
            "/admin/teams",
            &[("organisation", &org.to_string()), ("name", "Early Intervention")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = admin
        .post_form(
            "/admin/teams",
            &[("organisation", &org.to_string()), ("name", "Early Intervention")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("already has a team with this name"));
    let reply = admin
        .post_form("/admin/organisations", &[("name", "Riverside Recovery College")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = admin.get("/admin").await;
    assert!(
        page.body.contains("Riverside Recovery College"),
        "the creator administers the new organisation"
    );
}

#[tokio::test]
async fn administrators_see_the_audit_log_by_id_and_never_clinical_records() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("person.record"));
    let sam = app.person_of("sam").await;
    assert_eq!(admin.get(&format!("/people/{sam}")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_adds_and_removes_roles_but_never_the_last_one() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut admin = app.signed_in("admin").await;
        let riley = app.app.store().account_by_username("riley").await.unwrap().unwrap().id;
        let organisation = app.app.store().organisations().await.unwrap()[0].id;
        let north = app
            .app
            .store()
            .teams(organisation)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name.starts_with("North"))
            .unwrap();
        let mut riley_client = app.signed_in("riley").await;
        admin.get("/admin").await;

        let reply = admin
            .post_form(
                &format!("/admin/accounts/{riley}/roles"),
                &[("role", "clinician"), ("team", "")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains(&format!("href=\"#team-{riley}\"")),
            "the summary links to that account's team field"
        );
        let reply = admin
            .post_form(
                &format!("/admin/accounts/{riley}/roles"),
                &[("role", "clinician"), ("team", &north.id.to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend:?}: {}", reply.body);
        assert_eq!(
            riley_client.get("/").await.status,
            StatusCode::SEE_OTHER,
            "signed out so the new role takes effect"
        );
        let mut riley_client = app.signed_in("riley").await;
        assert_eq!(
            riley_client.get("/people").await.status,
            StatusCode::OK,
            "now a clinician in North"
        );

        let grants = app
            .app
            .store()
            .accounts_in(organisation)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.id == riley)
            .unwrap()
            .grants;
        assert_eq!(grants.len(), 2);
        let clinician = grants.iter().find(|g| g.role == cocare_core::Role::Clinician).unwrap();
        admin.get("/admin").await;
        let reply = admin
            .post_form(&format!("/admin/accounts/{riley}/roles/{}/remove", clinician.id), &[])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let mut riley_client = app.signed_in("riley").await;
        assert_eq!(riley_client.get("/people").await.status, StatusCode::FORBIDDEN);

        let last = &app
            .app
            .store()
            .accounts_in(organisation)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.id == riley)
            .unwrap()
            .grants[0];
        let reply = admin
            .post_form(&format!("/admin/accounts/{riley}/roles/{}/remove", last.id), &[])
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert!(reply.body.contains("only role"), "{}", reply.body);
    }
}

/// A second organisation with its own administrator, made by the system actor.
async fn second_organisation(app: &TestApp) -> (cocare_core::AccountId, cocare_core::PersonId) {
    let system = cocare_core::Actor::system("test");
    app.app
        .create_organisation(
            &system,
            &cocare_app::OrganisationForm {
                name: "Other Trust".into(),
            },
        )
        .await
        .unwrap();
    let form = cocare_app::AccountForm {
        username: "other-admin".into(),
        display_name: "Other admin".into(),
        password: "a long enough password".into(),
        role: "admin".into(),
        organisation: "Other Trust".into(),
        ..Default::default()
    };
    let other_admin = app.app.create_account(&system, &form).await.unwrap();
    (other_admin, app.person_of("sam").await)
}

#[tokio::test]
async fn an_administrator_cannot_reach_accounts_or_records_of_another_organisation() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let (other_admin, sam) = second_organisation(&app).await;
        let mut admin = app.signed_in("admin").await;
        admin.get("/admin").await;
        let demo_org = app
            .app
            .store()
            .organisation_by_name(cocare_app::DEMO_ORGANISATION)
            .await
            .unwrap()
            .unwrap()
            .id;

        // Taking over the other organisation's administrator, step by step: every step refused.
        let reply = admin
            .post_form(
                &format!("/admin/accounts/{other_admin}/roles"),
                &[("role", "researcher"), ("organisation", &demo_org.to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend:?}: {}", reply.body);
        let reply = admin
            .post_form(
                &format!("/admin/accounts/{other_admin}/password"),
                &[("password", "taken over at last")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let reply = admin
            .post_form(&format!("/admin/accounts/{other_admin}/disable"), &[])
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let mut other = app.anonymous();
        other.sign_in("other-admin", "a long enough password").await;
        assert!(
            !admin.get("/admin").await.body.contains("other-admin"),
            "other organisations' staff are not listed"
        );

        // The audit log spans organisations: only an administrator of all of them reads it.
        assert_eq!(admin.get("/admin/audit").await.status, StatusCode::FORBIDDEN);

        // The other organisation's administrator cannot link an account to a person of ours.
        let reply = other.get("/admin/accounts/new").await;
        assert_eq!(reply.status, StatusCode::OK);
        let other_org = app
            .app
            .store()
            .organisation_by_name("Other Trust")
            .await
            .unwrap()
            .unwrap()
            .id;
        let reply = other
            .post_form(
                "/admin/accounts",
                &[
                    ("username", "fake-sam"),
                    ("display_name", "Fake Sam"),
                    ("password", "a long enough password"),
                    ("role", "service_user"),
                    ("organisation", &other_org.to_string()),
                    ("person", &sam.to_string()),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains("No person record in this organisation has this id"),
            "{}",
            reply.body
        );
    }
}

#[tokio::test]
async fn an_administrator_cannot_give_themselves_a_clinical_role() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut admin = app.signed_in("admin").await;
    admin.get("/admin").await;
    let me = app.app.store().account_by_username("admin").await.unwrap().unwrap().id;
    let organisation = app.app.store().organisations().await.unwrap()[0].id;
    let north = app.app.store().teams(organisation).await.unwrap()[0].id;
    let reply = admin
        .post_form(
            &format!("/admin/accounts/{me}/roles"),
            &[("role", "clinician"), ("team", &north.to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.body.contains("cannot change your own roles"), "{}", reply.body);
    assert_eq!(app.app.store().grants(me).await.unwrap().len(), 1);
}
