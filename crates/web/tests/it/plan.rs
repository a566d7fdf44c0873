use axum::http::StatusCode;
use cocare_core::{Actor, PersonId};
use cocare_store::Backend;
use cocare_testkit::{Client, TestApp, backends};

/// The revision a section's edit form carries on the page.
fn revision(page: &str, section: &str) -> String {
    let form = page
        .find(&format!("/plan/sections/{section}\""))
        .expect("the section has an edit form");
    let rest = &page[form..];
    let start = rest.find("name=\"revision\" value=\"").unwrap() + "name=\"revision\" value=\"".len();
    rest[start..start + rest[start..].find('"').unwrap()].to_owned()
}

async fn write(client: &mut Client, sam: PersonId, section: &str, text: &str) -> cocare_testkit::Reply {
    let page = client.get(&format!("/people/{sam}/plan")).await;
    let revision = revision(&page.body, section);
    client
        .post_form(
            &format!("/people/{sam}/plan/sections/{section}"),
            &[("text", text), ("revision", &revision)],
        )
        .await
}

#[tokio::test]
async fn the_co_production_loop_runs_across_service_user_carer_and_care_coordinator() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        crate::fresh_consent(&app).await;
        let sam = app.person_of("sam").await;
        let mut me = app.signed_in("sam").await;
        let mut casey = app.signed_in("casey").await;
        let mut alex = app.signed_in("alex").await;

        let reply = write(&mut me, sam, "what_does_not_help", "Being rushed out of the door.").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend:?}: {}", reply.body);
        let reply = write(
            &mut casey,
            sam,
            "carer_needs",
            "One evening a week, and to be told when things change.",
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);

        // Not yet: the service user has sections still to agree.
        alex.get(&format!("/people/{sam}/plan")).await;
        let reply = alex.post_form(&format!("/people/{sam}/plan/finalise"), &[]).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("has not yet agreed"), "{}", reply.body);

        for section in [
            "about_me",
            "strengths",
            "goals",
            "early_warning_signs",
            "what_does_not_help",
            "who_to_contact",
        ] {
            let reply = me
                .post_form(
                    &format!("/people/{sam}/plan/sections/{section}/agreement"),
                    &[("stance", "agree")],
                )
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{section}: {}", reply.body);
        }
        let page = me.get(&format!("/people/{sam}/plan")).await;
        assert!(!page.body.contains("Still to agree"), "{}", page.body);
        assert!(
            page.body
                .contains("You disagree: “Being told to calm down does NOT help"),
            "the recorded disagreement stands"
        );

        let reply = alex.post_form(&format!("/people/{sam}/plan/finalise"), &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let reply = alex
            .post_form(&format!("/people/{sam}/plan/copies"), &[("format", "print")])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let page = me.get(&format!("/people/{sam}/plan")).await;
        assert!(
            page.body.contains("Agreed") && page.body.contains("copy given (print"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Being rushed out of the door."));

        // A finalised version is not edited: a review starts a new one.
        let reply = me
            .post_form(
                &format!("/people/{sam}/plan/sections/about_me"),
                &[("text", "More"), ("revision", "0")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        let reply = alex
            .post_form(&format!("/people/{sam}/plan/review"), &[("review_due", "2027-06-01")])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let page = me.get(&format!("/people/{sam}/plan")).await;
        assert!(
            page.body.contains("Version 3") && page.body.contains("Under review"),
            "{}",
            page.body
        );

        let audit = app.app.store().recent_audit(400).await.unwrap();
        for action in [
            "careplan.write",
            "careplan.section.agree",
            "careplan.finalise",
            "careplan.copy_given",
            "careplan.read",
        ] {
            assert!(audit.iter().any(|e| e.action == action), "{action} is audited");
        }
    }
}

#[tokio::test]
async fn a_second_editor_of_a_section_is_told_and_loses_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut me = app.signed_in("sam").await;
    let mut alex = app.signed_in("alex").await;
    let mine = me.get(&format!("/people/{sam}/plan")).await;
    let seen = revision(&mine.body, "what_helps");
    let reply = write(&mut alex, sam, "what_helps", "A text message before visits.").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = me
        .post_form(
            &format!("/people/{sam}/plan/sections/what_helps"),
            &[("text", "Music. My dog Biscuit."), ("revision", &seen)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body.contains("Someone else changed this section"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("href=\"#text-what_helps\""),
        "the summary links to the box"
    );
    assert!(
        reply.body.contains("Music. My dog Biscuit.</textarea>"),
        "what Sam typed is still there"
    );
    assert!(
        reply.body.contains("A text message before visits."),
        "and so is what Alex saved"
    );
}

#[tokio::test]
async fn a_carer_reaches_only_the_sections_shared_with_them() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let sam = app.person_of("sam").await;
        let casey = app.person_of("casey").await;
        let system = Actor::system("test");
        // Withdraw everything Sam shares with Casey, then share the crisis plan only.
        let detail = app.app.person(&system, sam).await.unwrap();
        for consent in detail.consents.unwrap().into_iter().filter(|c| c.in_force) {
            app.app.withdraw_consent(&system, sam, consent.id).await.unwrap();
        }
        let mut client = app.signed_in("casey").await;
        assert_eq!(
            client.get(&format!("/people/{sam}/plan")).await.status,
            StatusCode::NOT_FOUND,
            "no consent, no plan"
        );
        let form = cocare_app::ConsentForm {
            recipient: format!("carer:{casey}"),
            parts: vec!["crisis_plan".into()],
            note: String::new(),
        };
        app.app.record_consent(&system, sam, &form).await.unwrap();
        let page = client.get(&format!("/people/{sam}/plan")).await;
        assert_eq!(page.status, StatusCode::OK, "{backend:?}");
        assert!(
            page.body.contains("Early warning signs") && page.body.contains("My carer&#39;s own needs")
                || page.body.contains("My carer's own needs")
        );
        assert!(!page.body.contains("I like fixing bikes"), "About me is not shared");
        assert!(!page.body.contains("id=\"h-about_me\""));
        assert!(
            !page.body.contains("All ratings"),
            "life-domain ratings are not shared either"
        );
        assert!(
            !page.body.contains("/plan/goals\""),
            "goals are the service user's to add"
        );
        let reply = client
            .post_form(
                &format!("/people/{sam}/plan/sections/about_me"),
                &[("text", "x"), ("revision", "0")],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "an unshared section cannot be reached by URL either"
        );
        let print = client.get(&format!("/people/{sam}/plan/print")).await;
        assert!(!print.body.contains("I like fixing bikes"));
    }
}

#[tokio::test]
async fn disagreeing_needs_a_reason_and_ratings_must_be_one_to_seven() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut me = app.signed_in("sam").await;
    me.get(&format!("/people/{sam}/plan")).await;
    let reply = me
        .post_form(
            &format!("/people/{sam}/plan/sections/strengths/agreement"),
            &[("stance", "disagree"), ("reason", " ")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("href=\"#reason-strengths\""), "{}", reply.body);

    let reply = me
        .post_form(
            &format!("/people/{sam}/dialog"),
            &[("rating_mental_health", "9"), ("rating_friendships", "4")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("Choose a rating from 1"), "{}", reply.body);
    let before = me
        .get(&format!("/people/{sam}/plan"))
        .await
        .body
        .matches("<th scope=\"row\">20")
        .count();
    let reply = me
        .post_form(
            &format!("/people/{sam}/dialog"),
            &[("rating_mental_health", "5"), ("help_mental_health", "yes")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let after = me
        .get(&format!("/people/{sam}/plan"))
        .await
        .body
        .matches("<th scope=\"row\">20")
        .count();
    assert_eq!(after, before + 1, "the new ratings appear in the table");
}

#[tokio::test]
async fn a_clinician_starts_a_plan_only_once_and_a_team_lead_only_reads() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut alex = app.signed_in("alex").await;
    let caseload = alex.get("/api/v1/people").await.json();
    // Find someone in the caseload without a plan yet.
    let mut without = None;
    for person in caseload.as_array().unwrap() {
        let id = person["id"].as_str().unwrap().to_owned();
        if alex
            .get(&format!("/people/{id}/plan"))
            .await
            .body
            .contains("There is no care plan yet")
        {
            without = Some(id);
            break;
        }
    }
    let person = without.expect("the demo has people without a plan");
    let reply = alex
        .post_form(&format!("/people/{person}/plan"), &[("review_due", "next week")])
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = alex
        .post_form(&format!("/people/{person}/plan"), &[("review_due", "2027-03-01")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = alex.post_form(&format!("/people/{person}/plan"), &[]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "a second first plan is refused");
    let mut jordan = app.signed_in("jordan").await;
    let page = jordan.get(&format!("/people/{person}/plan")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/plan/sections/"), "a team lead has no edit forms");
}

#[tokio::test]
async fn a_team_lead_sees_involvement_across_the_team_and_overdue_reviews() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut jordan = app.signed_in("jordan").await;
        let page = jordan.get("/team").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("North Community Team"));
        // Sam's plan: under review, in his own words, not yet agreed in full, carer involved.
        let sam_row = page
            .body
            .split("<tr>")
            .find(|row| row.contains(">Sam "))
            .expect("Sam is listed");
        assert!(sam_row.contains("Under review, v2"), "{sam_row}");
        let cells: Vec<&str> = sam_row
            .match_indices("<td>")
            .map(|(i, _)| &sam_row[i + 4..i + 4 + sam_row[i + 4..].find("</td>").unwrap()])
            .collect();
        // Own words, agreed by him, copy given, carer involved, (review on time depends on today), crisis plan.
        assert_eq!(
            [cells[1], cells[2], cells[3], cells[4], cells[6]],
            ["Yes", "No", "No", "Yes", "Yes"],
            "{cells:?}"
        );
        assert!(
            page.body.contains("review was due 2026-05-01"),
            "overdue reviews are listed"
        );
        assert!(!page.body.contains("South Community Team"), "only the lead's own team");
        let mut alex = app.signed_in("alex").await;
        assert_eq!(alex.get("/team").await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn any_version_can_be_read_with_what_changed_since_the_one_before() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sam = app.person_of("sam").await;
    let mut me = app.signed_in("sam").await;
    let page = me.get(&format!("/people/{sam}/plan/versions/2")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("What changed since version 1"));
    assert!(
        page.body
            .contains("<ins>In my words: I&#39;m patient and good with my hands. I kept going to the workshop.</ins>")
            || page
                .body
                .contains("<ins>In my words: I'm patient and good with my hands. I kept going to the workshop.</ins>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<del>In my words: I&#39;m patient and good with my hands.</del>")
            || page
                .body
                .contains("<del>In my words: I'm patient and good with my hands.</del>")
    );
    assert!(
        page.body
            .contains("<ins>Clinical wording: Being told to calm down.</ins>")
    );
    assert_eq!(
        me.get(&format!("/people/{sam}/plan/versions/9")).await.status,
        StatusCode::NOT_FOUND
    );
    let first = me.get(&format!("/people/{sam}/plan/versions/1")).await;
    assert!(
        first.body.contains("Finalised by Alex Morgan on 2025-06-08"),
        "{}",
        first.body
    );
}

#[tokio::test]
async fn questionnaires_are_scored_kept_and_a_safety_answer_is_acted_on() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let sam = app.person_of("sam").await;
        let mut me = app.signed_in("sam").await;
        let form = me.get(&format!("/people/{sam}/measures/phq9")).await;
        assert_eq!(form.status, StatusCode::OK);
        // Two answers missing: both named, the ones given kept.
        let partial: Vec<(String, String)> = (1..=7).map(|i| (format!("phq9_{i}"), "2".to_owned())).collect();
        let fields: Vec<(&str, &str)> = partial.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = me.post_form(&format!("/people/{sam}/measures/phq9"), &fields).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains("href=\"#phq9_8\"") && reply.body.contains("href=\"#phq9_9\""),
            "{}",
            reply.body
        );
        assert!(
            reply
                .body
                .contains("id=\"phq9_1-2\" name=\"phq9_1\" value=\"2\" checked"),
            "answers given are kept"
        );
        // All nine, item 9 above zero: 7×2 + 1 + 1 = 16, moderately severe, and a safety prompt.
        let mut all = partial.clone();
        all.push(("phq9_8".into(), "1".into()));
        all.push(("phq9_9".into(), "1".into()));
        let fields: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let reply = me.post_form(&format!("/people/{sam}/measures/phq9"), &fields).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend:?}: {}", reply.body);
        let page = me.get(reply.location().unwrap()).await;
        assert!(page.body.contains("16 of 27 (moderately severe)"), "{}", page.body);
        assert!(page.body.contains("Please talk to someone today"));
        assert!(page.body.contains("(follow up safety)"));
        let mut casey = app.signed_in("casey").await;
        assert_eq!(
            casey.get(&format!("/people/{sam}/measures")).await.status,
            StatusCode::FORBIDDEN
        );
    }
}
