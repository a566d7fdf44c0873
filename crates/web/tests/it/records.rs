//! Records and cohorts through the web: pages, downloads, forms that keep what was typed,
//! versions, uploads with progress and all-or-nothing errors, and the audit trail.

use axum::http::{Method, StatusCode};
use cocare_testkit::{Client, TestApp, backends};

fn multipart(files: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "cocare-test-boundary";
    let mut body = Vec::new();
    for (name, content) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(client: &mut Client, files: &[(&str, &str)]) -> String {
    client.get("/records").await;
    let (content_type, body) = multipart(files);
    let path = format!("/records/import?csrf_token={}", client.csrf);
    client.csrf_header = false;
    let reply = client.request(Method::POST, &path, Some(&content_type), body).await;
    client.csrf_header = true;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let job = reply.location().unwrap().to_string();
    for _ in 0..200 {
        let page = client.get(&job).await;
        if !page.body.contains("This page refreshes itself") {
            return page.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

#[tokio::test]
async fn a_researcher_sees_the_cohort_with_disclosure_control_and_downloads_it() {
    for backend in backends().await {
        let app = TestApp::spawn_with_records(backend, 400).await;
        let cohort = app.cohort.clone().unwrap();
        let mut riley = app.signed_in("riley").await;
        let page = riley.get(&format!("/records/cohorts/{cohort}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for expected in [
            "Who is in the cohort",
            "Table 1: the cohort beside everyone else",
            "Service use per person-year",
            "The commonest care pathways",
            "Everyone in the dataset",
            "[c]: fewer than 5 people",
        ] {
            assert!(page.body.contains(expected), "missing {expected:?}");
        }
        assert!(page.body.contains("<svg role=\"img\""), "charts are drawn");
        // Nothing identifying is on the page: the extract's source ids are never shown.
        assert!(!page.body.contains("S0000"), "a source id leaked");

        let csv = riley.get(&format!("/records/cohorts/{cohort}/table1.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.body.starts_with("variable,statistic,Complex needs (n="),
            "{}",
            &csv.body[..80]
        );
        let xlsx = riley.get(&format!("/records/cohorts/{cohort}/report.xlsx")).await;
        assert!(xlsx.body.starts_with("PK"), "an XLSX is a zip");
        let report = riley.get(&format!("/records/cohorts/{cohort}/report.html")).await;
        assert!(
            report.body.contains("<style>") && !report.body.contains("<script") && !report.body.contains("href=\"/")
        );
        assert!(
            report.body.contains("cocare.cohort/1"),
            "the report carries its definition"
        );
        let json = riley.get(&format!("/records/cohorts/{cohort}/definition.json")).await;
        let definition = cocare_records::cohort::CohortDefinition::from_json(&json.body).unwrap();
        assert_eq!(definition.name, "Complex needs");

        // Each run is audited with what was asked, under the researcher's name.
        let audit = app.app.store().recent_audit(20).await.unwrap();
        assert!(
            audit.iter().any(|e| e.action == "records.analyse"
                && e.subject == format!("cohort:{cohort}@1")
                && e.role == "researcher"),
            "{audit:?}"
        );
    }
}

#[tokio::test]
async fn a_cohort_form_that_fails_keeps_what_was_typed_and_a_change_is_a_new_version() {
    let backend = backends().await.remove(0);
    let app = TestApp::spawn_with_records(backend, 150).await;
    let cohort = app.cohort.clone().unwrap();
    let mut riley = app.signed_in("riley").await;
    riley.get("/records/cohorts/new").await;
    let reply = riley
        .post_form(
            "/records/cohorts",
            &[
                ("name", ""),
                ("index_date", "2025-12-31"),
                ("window_months", "24"),
                ("entry1_kind", "admissions"),
                ("entry1_at_least", "three"),
                ("entry1_months", "24"),
                ("description", "kept as typed"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#name\""), "the summary links to the field");
    assert!(reply.body.contains("href=\"#entry1_at_least\""));
    assert!(reply.body.contains("value=\"three\""), "what was typed is kept");
    assert!(reply.body.contains("kept as typed"));

    let reply = riley
        .post_form(
            &format!("/records/cohorts/{cohort}"),
            &[
                ("name", "Complex needs, over 40s"),
                ("index_date", "2025-12-31"),
                ("window_months", "12"),
                ("entry1_kind", "crisis"),
                ("entry1_at_least", "1"),
                ("entry1_months", "24"),
                ("age_min", "40"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let page = riley.get(&format!("/records/cohorts/{cohort}")).await;
    assert!(page.body.contains("Version 2"));
    assert!(page.body.contains("aged 40 or over"), "the new criterion is described");
    let old = riley.get(&format!("/records/cohorts/{cohort}?version=1")).await;
    assert!(
        old.body.contains("3+ admissions in 24 months"),
        "version 1 is kept as it was"
    );
}

#[tokio::test]
async fn an_upload_with_bad_rows_changes_nothing_and_lists_every_problem() {
    let backend = backends().await.remove(0);
    let app = TestApp::spawn_with_records(backend, 100).await;
    let before = app
        .app
        .records_status(
            app.app
                .organisation_named(cocare_app::DEMO_ORGANISATION)
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .unwrap()
        .unwrap();
    let mut admin = app.signed_in("admin").await;
    let body = upload(
        &mut admin,
        &[
            (
                "people.csv",
                "source_id,year_of_birth,sex,ethnicity\nX1,1980,female,A\nX2,1990,male,Q\n",
            ),
            (
                "contacts.csv",
                "source_id,date,service,attended\nX1,2025-01-01,cmht,yes\nX9,2025-01-02,cmht,yes\n",
            ),
        ],
    )
    .await;
    assert!(body.contains("Nothing was imported"), "{body}");
    assert!(body.contains("people.csv") && body.contains("ethnicity") && body.contains("unknown ethnicity"));
    assert!(body.contains("no person with source_id"));
    let organisation = app
        .app
        .organisation_named(cocare_app::DEMO_ORGANISATION)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        app.app.records_status(organisation).unwrap().unwrap().version,
        before.version,
        "nothing changed"
    );

    let body = upload(
        &mut admin,
        &[
            (
                "people.csv",
                "source_id,year_of_birth,sex,ethnicity\nX1,1980,female,A\nX2,1990,male,N\n",
            ),
            (
                "contacts.csv",
                "source_id,date,service,attended\nX1,2025-01-01,cmht,yes\nX2,2025-01-02,crisis,no\n",
            ),
        ],
    )
    .await;
    assert!(body.contains("Records imported"), "{body}");
    let now = app.app.records_status(organisation).unwrap().unwrap();
    assert_eq!((now.people, now.events), (2, 2));
    // Someone else cannot watch that import.
    let audit = app.app.store().recent_audit(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "records.import" && e.subject.ends_with(":rejected"))
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "records.import" && e.subject.ends_with(":published"))
    );
}
