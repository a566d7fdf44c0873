//! Engagement and funding change through the web: the register with duplicates merged and
//! nothing lost, activities with attendance and ratings, proposals followed on the board, an
//! action without an owner refused, payments, a funding change dated in the future refused, an
//! indicator with a gap named by line, the interrupted time series on the page, the GRIPP2 draft,
//! the workbook, and who may see any of it.

use axum::http::StatusCode;
use cocare_testkit::{TestApp, backends};

/// Seeds the demo's engagement into the demo organisation; true if it was not there.
async fn seed(app: &TestApp) -> bool {
    let organisation = app
        .app
        .organisation_named(cocare_app::DEMO_ORGANISATION)
        .await
        .unwrap()
        .unwrap()
        .id;
    app.app.seed_engage_demo(organisation).await.unwrap()
}

#[tokio::test]
async fn an_engagement_lead_follows_a_funding_change_from_engagement_to_outcomes() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut morgan = app.signed_in("morgan").await;
        let page = morgan.get("/engage").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);

        // The register: two entries that are the same person are offered for merging.
        morgan.get("/engage/stakeholders").await;
        for (name, category) in [
            ("Amira Khan", "service_user"),
            ("Dr Lee Park", "clinician"),
            ("amira  khan", "service_user"),
        ] {
            let reply = morgan
                .post_form(
                    "/engage/stakeholders",
                    &[
                        ("name", name),
                        ("kind", "person"),
                        ("category", category),
                        ("groups", "Study stakeholder group"),
                    ],
                )
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        }
        let reply = morgan
            .post_form(
                "/engage/stakeholders",
                &[
                    ("name", ""),
                    ("kind", "person"),
                    ("category", "carer"),
                    ("accessibility_needs", "Large print"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains("Give a name") && reply.body.contains("Large print"),
            "typed text kept"
        );
        let page = morgan.get("/engage/stakeholders").await;
        assert!(page.body.contains("These look like the same person"), "{}", page.body);

        let lead = app.actor_of("morgan").await;
        let view = app.app.engagement(&lead).await.unwrap();
        let id_of = |name: &str| view.stakeholders.iter().find(|s| s.name == name).unwrap().id.clone();
        let (amira, amira2, lee) = (id_of("Amira Khan"), id_of("amira  khan"), id_of("Dr Lee Park"));

        // A funding change dated in the future is refused, and what was typed stays.
        morgan.get("/engage/funding").await;
        let reply = morgan
            .post_form(
                "/engage/funding",
                &[
                    ("programme", "Crisis café"),
                    ("kind", "reallocation"),
                    ("amount_before", "420,000"),
                    ("amount_after", "310000"),
                    ("effective_on", "2999-01-01"),
                    ("context", "Falling attendance"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("is in the future"), "{}", reply.body);
        assert!(reply.body.contains("Falling attendance"));
        let reply = morgan
            .post_form(
                "/engage/funding",
                &[
                    ("programme", "Crisis café"),
                    ("kind", "reallocation"),
                    ("amount_before", "420,000"),
                    ("amount_after", "310000"),
                    ("effective_on", "2024-07-01"),
                    ("context", "Falling attendance"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let change_path = reply.location().unwrap().to_string();
        let change = change_path.rsplit('/').next().unwrap().to_string();

        // An activity before the change: the duplicate was invited and came.
        morgan.get("/engage/activities").await;
        let reply = morgan
            .post_form(
                "/engage/activities",
                &[
                    ("title", "Co-design: evenings"),
                    ("kind", "co_design"),
                    ("held_on", "2024-05-15"),
                    ("purpose", "Design what replaces the day service"),
                    ("decisions", "We will meet again in June with carers."),
                    ("funding_change", &change),
                    ("invited", &amira2),
                    ("attended", &amira2),
                    ("invited", &lee),
                    ("attended", &lee),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let activity_path = reply.location().unwrap().to_string();
        let activity = activity_path.rsplit('/').next().unwrap().to_string();

        // Ratings on the three facets (out of range refused), a proposal, an action with no owner.
        let page = morgan.get(&activity_path).await;
        assert!(
            page.body.contains("We will meet again in June with carers."),
            "decisions shown"
        );
        let reply = morgan
            .post_form(
                &format!("{activity_path}/ratings"),
                &[
                    ("stakeholder", &amira2),
                    ("shared_purpose", "5"),
                    ("participation", "9"),
                    ("dialogue", "4"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (who, scores) in [(&amira2, ["5", "2", "4"]), (&lee, ["4", "5", "5"])] {
            let reply = morgan
                .post_form(
                    &format!("{activity_path}/ratings"),
                    &[
                        ("stakeholder", who),
                        ("shared_purpose", scores[0]),
                        ("participation", scores[1]),
                        ("dialogue", scores[2]),
                    ],
                )
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        }
        let reply = morgan
            .post_form(
                &format!("{activity_path}/proposals"),
                &[("proposal", "Open in the evenings."), ("raised_by", &amira2)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let reply = morgan
            .post_form(
                &format!("{activity_path}/actions"),
                &[("action", "Agree the hours"), ("owner", " "), ("due_on", "2024-06-01")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("Name who will do it"));
        assert!(reply.body.contains("Agree the hours"), "typed text kept");

        // Merging the duplicate moves its attendance, rating and proposal to the kept entry.
        morgan.get("/engage/stakeholders").await;
        let reply = morgan
            .post_form(
                "/engage/stakeholders/merge",
                &[("duplicate", &amira2), ("keep", &amira)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let view = app.app.engagement(&lead).await.unwrap();
        assert!(
            view.attendance
                .iter()
                .any(|(_, a)| a.stakeholder == amira && a.attended)
        );
        assert!(
            view.ratings
                .iter()
                .any(|r| r.stakeholder == amira && r.participation == 2)
        );
        assert_eq!(view.proposals[0].raised_by.as_deref(), Some(amira.as_str()));
        assert_eq!(
            view.stakeholders
                .iter()
                .find(|s| s.id == amira2)
                .unwrap()
                .merged_into
                .as_deref(),
            Some(amira.as_str()),
            "the duplicate is kept, marked"
        );
        assert!(view.duplicates.is_empty());

        // The board: closing a proposal needs a response; then "we did" is shown.
        let proposal = view.proposals[0].id.clone();
        morgan.get("/engage/board").await;
        let reply = morgan
            .post_form(
                &format!("/engage/proposals/{proposal}"),
                &[("status", "done"), ("response", "")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains(&format!("href=\"#response-{proposal}\"")),
            "the summary links to the field"
        );
        let reply = morgan
            .post_form(
                &format!("/engage/proposals/{proposal}"),
                &[
                    ("status", "done"),
                    ("response", "Open 5pm to 11pm, Thursday to Sunday."),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let board = morgan.get("/engage/board").await;
        assert!(board.body.contains("Open 5pm to 11pm"));

        // An indicator with a gap is refused by line; a whole one is analysed on the page.
        morgan.get(&change_path).await;
        let gap = "date,value\n2024-01-01,60\n2024-02-01,61\n2024-04-01,62\n";
        let reply = morgan
            .post_form(
                &format!("{change_path}/indicators"),
                &[
                    ("indicator_name", "A&E attendances"),
                    ("indicator_kind", "system"),
                    ("series", gap),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("line 4"), "{}", reply.body);
        assert!(reply.body.contains("2024-03-01 is missing"), "{}", reply.body);
        // 12 months before July 2024 and 12 after: level 60 + 0.5 a month, then 10 lower and
        // falling 0.25 a month more: the fit recovers them exactly.
        let mut csv = String::from("date,value\n");
        for m in 0..24u32 {
            let (y, mo) = (2023 + (m + 6) / 12, (m + 6) % 12 + 1);
            let t = f64::from(m);
            let after = m >= 12;
            let v = 60.0 + 0.5 * t + if after { -10.0 - 0.25 * (t - 12.0) } else { 0.0 };
            csv.push_str(&format!("{y}-{mo:02}-01,{v}\n"));
        }
        let reply = morgan
            .post_form(
                &format!("{change_path}/indicators"),
                &[
                    ("indicator_name", "A&E attendances"),
                    ("indicator_kind", "system"),
                    ("unit", "a month"),
                    ("series", &csv),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page = morgan.get(&change_path).await;
        assert!(page.body.contains("<svg"), "the series is drawn");
        assert!(page.body.contains("level change"));
        assert!(page.body.contains("-10.00"), "{}", page.body);
        assert!(page.body.contains("-0.25"));
        assert!(
            page.body.contains("Co-design: evenings"),
            "the engagement before the change is shown"
        );
        let (_, _, analyses) = app.app.funding_change(&lead, &change).await.unwrap();
        let its = analyses[0].its.as_ref().unwrap();
        assert!((its.level_change.estimate + 10.0).abs() < 1e-9);
        assert!((its.slope_change.estimate + 0.25).abs() < 1e-9);

        // Payments: 2.5 hours at £25 plus £6.40 travel is £68.90.
        morgan.get("/engage/payments").await;
        let reply = morgan
            .post_form(
                "/engage/payments",
                &[
                    ("stakeholder", &amira),
                    ("activity", &activity),
                    ("paid_on", "2024-05-15"),
                    ("units", "hours"),
                    ("quantity", "2.5"),
                    ("rate", "25"),
                    ("expenses", "6.40"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page = morgan.get("/engage/payments").await;
        assert!(page.body.contains("£68.90"), "{}", page.body);
        assert!(page.body.contains("Totals per activity") && page.body.contains("Co-design: evenings (2024-05-15)"));

        // The overview shows the facets and who is heard; the GRIPP2 draft is filled in.
        let page = morgan.get("/engage").await;
        assert!(page.body.contains("Service users") && page.body.contains("Clinicians"));
        let report = morgan.get("/engage/report").await;
        assert!(
            report.body.contains("1 proposals were raised: 1 done"),
            "{}",
            report.body
        );
        assert!(report.body.contains("£68.90"));
        let download = morgan
            .post_form(
                "/engage/report",
                &[
                    ("aim", "Our aim"),
                    ("methods", "M"),
                    ("results", "R"),
                    ("discussion", "D"),
                    ("reflections", "What we learned"),
                ],
            )
            .await;
        assert!(
            download
                .body
                .contains("## Reflections and critical perspective\n\nWhat we learned")
        );
        let csv = morgan.get("/engage/export/board.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
        assert_eq!(reader.headers().unwrap().get(2), Some("proposal"));
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[4], "Open 5pm to 11pm, Thursday to Sunday.");
        assert_eq!(
            morgan.get("/engage/export/nothing.csv").await.status,
            StatusCode::NOT_FOUND
        );
        assert!(morgan.get("/engage").await.body.contains("Engagement over time"));
        let book = morgan.get("/engage/export.xlsx").await;
        assert_eq!(book.status, StatusCode::OK);
        assert!(
            book.headers
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );

        // Nobody else sees the register.
        for who in ["riley", "alex", "admin"] {
            let mut c = app.signed_in(who).await;
            assert_eq!(
                c.get("/engage/stakeholders").await.status,
                StatusCode::FORBIDDEN,
                "{who}"
            );
        }
        let audit = app.app.store().recent_audit(400).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "engagement.use" && e.subject.starts_with("stakeholder:"))
        );
        assert!(audit.iter().all(|e| !e.subject.contains("Amira")));
    }
}

#[tokio::test]
async fn the_demo_has_a_stakeholder_group_a_year_of_activities_and_two_contrasting_changes() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        assert!(seed(&app).await);
        assert!(!seed(&app).await, "once only");
        let lead = app.actor_of("morgan").await;
        let view = app.app.engagement(&lead).await.unwrap();
        assert_eq!(view.funding.len(), 2);
        assert!(view.activities.len() >= 8);
        assert_eq!(view.duplicates.len(), 1, "the demo's duplicate is offered for merging");
        let mut levels = Vec::new();
        for f in &view.funding {
            let (_, _, analyses) = app.app.funding_change(&lead, &f.id).await.unwrap();
            let first = analyses.iter().find(|a| a.indicator.kind == "system").unwrap();
            levels.push((f.kind.clone(), first.its.as_ref().unwrap().level_change.estimate));
        }
        // The café (engaged) lowered A&E attendances; the cut (not engaged) raised admissions.
        assert!(
            levels.iter().any(|(k, v)| k == "reallocation" && *v < 0.0),
            "{levels:?}"
        );
        assert!(levels.iter().any(|(k, v)| k == "cut" && *v > 0.0), "{levels:?}");
        assert!(
            view.voices.iter().any(|v| v.under_heard.is_some()),
            "someone is under-heard"
        );
    }
}

#[tokio::test]
async fn a_commissioner_records_a_funding_change_and_follows_it_without_seeing_the_register() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let mut kim = app.signed_in("kim").await;
        let home = kim.get("/").await;
        assert!(home.body.contains("href=\"/engage/funding\""), "{}", home.body);
        for path in ["/engage", "/engage/stakeholders", "/engage/board", "/engage/payments"] {
            assert_eq!(kim.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let list = kim.get("/engage/funding").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("crisis café"));
        assert!(
            !list.body.contains("href=\"/engage/stakeholders\""),
            "no link to the register"
        );
        let reply = kim
            .post_form(
                "/engage/funding",
                &[
                    ("programme", "Talking therapies waiting list initiative"),
                    ("kind", "increase"),
                    ("amount_before", "100000"),
                    ("amount_after", "150000"),
                    ("effective_on", "2023-06-01"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let path = reply.location().unwrap().to_string();
        let page = kim.get(&path).await;
        assert!(
            page.body
                .contains("No engagement activity was recorded within six months")
        );
        // The café's page shows the activities around it by title and numbers, never names.
        let kim_actor = app.actor_of("kim").await;
        let view = app.app.funding_view(&kim_actor).await.unwrap();
        assert!(view.stakeholders.is_empty() && view.ratings.is_empty() && view.payments.is_empty());
        let cafe = view.funding.iter().find(|f| f.kind == "reallocation").unwrap();
        let page = kim.get(&format!("/engage/funding/{}", cafe.id)).await;
        assert!(page.body.contains("Co-design 1"), "{}", page.body);
        assert!(!page.body.contains("(synthetic)</li>") && !page.body.contains("Aled Morgan"));
        assert!(page.body.contains("level change"));
    }
}

#[tokio::test]
async fn a_participant_rates_an_activity_through_their_own_single_use_link() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let lead = app.actor_of("morgan").await;
        let before = app.app.engagement(&lead).await.unwrap();
        // The demo's latest activity: everyone who came has rated it already, so no links.
        let activity = before.activities.last().unwrap().id.clone();
        let mut morgan = app.signed_in("morgan").await;
        morgan.get(&format!("/engage/activities/{activity}")).await;
        let page = morgan
            .post_form(&format!("/engage/activities/{activity}/links"), &[])
            .await;
        assert!(!page.body.contains("/rate/"), "no links for people who have rated");
        // A new activity where one person came and has not rated.
        let someone = before.current()[0].id.clone();
        let new = app
            .app
            .save_activity(
                &lead,
                &cocare_app::ActivityRow {
                    id: String::new(),
                    kind: "meeting".into(),
                    title: "Group review".into(),
                    purpose: "Look back".into(),
                    held_on: "2025-12-01".into(),
                    minutes: String::new(),
                    decisions: String::new(),
                    funding_change: None,
                },
                &[cocare_app::AttendanceRow {
                    stakeholder: someone.clone(),
                    invited: true,
                    attended: true,
                }],
            )
            .await
            .unwrap();
        morgan.get(&format!("/engage/activities/{new}")).await;
        let page = morgan.post_form(&format!("/engage/activities/{new}/links"), &[]).await;
        let path = page
            .body
            .split("<code>")
            .nth(1)
            .unwrap()
            .split("</code>")
            .next()
            .unwrap()
            .to_string();
        assert!(path.starts_with("/rate/"), "{path}");

        // The participant, with no account: the form, a mistake kept, then the rating.
        let mut visitor = app.anonymous();
        let form = visitor.get(&path).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Group review"));
        let reply = visitor
            .post_form(
                &path,
                &[
                    ("shared_purpose", "4"),
                    ("participation", ""),
                    ("dialogue", "5"),
                    ("comment", "I was listened to."),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("I was listened to."));
        let reply = visitor
            .post_form(
                &path,
                &[
                    ("shared_purpose", "4"),
                    ("participation", "3"),
                    ("dialogue", "5"),
                    ("comment", "I was listened to."),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(reply.body.contains("Thank you"));
        let after = app.app.engagement(&lead).await.unwrap();
        let r = after.ratings.iter().find(|r| r.activity == new).unwrap();
        assert_eq!(
            (r.stakeholder.as_str(), r.participation, r.comment.as_str()),
            (someone.as_str(), 3, "I was listened to.")
        );
        // Used once: the link now says so and records nothing more.
        let again = visitor.get(&path).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.body.contains("already been used"));
        assert_eq!(visitor.get("/rate/made-up").await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_funding_changes_realist_notes_are_refined_and_shared_with_the_workbench_as_a_cmo() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        seed(&app).await;
        let lead = app.actor_of("morgan").await;
        let view = app.app.engagement(&lead).await.unwrap();
        let cafe = view.funding.iter().find(|f| f.kind == "reallocation").unwrap().clone();
        let mut morgan = app.signed_in("morgan").await;
        let path = format!("/engage/funding/{}", cafe.id);
        morgan.get(&path).await;
        // The outcomes, written once they are known (a future date is refused, notes kept).
        let edit = |date: &'static str| {
            vec![
                ("id", cafe.id.clone()),
                ("programme", cafe.programme.clone()),
                ("kind", cafe.kind.clone()),
                ("amount_before", "420000".to_string()),
                ("amount_after", "310000".to_string()),
                ("effective_on", date.to_string()),
                ("context", cafe.context.clone()),
                ("mechanisms", cafe.mechanisms.clone()),
                ("outcomes", "A&E attendances fell by about nine a month.".to_string()),
            ]
        };
        let fields = edit("2999-01-01");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = morgan.post_form("/engage/funding", &fields).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("about nine a month"), "kept");
        let fields = edit("2024-10-01");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            morgan.post_form("/engage/funding", &fields).await.status,
            StatusCode::SEE_OTHER
        );
        let csv = morgan.get(&format!("{path}/cmo.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.contains("about nine a month"));

        // A researcher brings it into a project's realist synthesis.
        let riley = app.actor_of("riley").await;
        let project = app
            .app
            .create_qual_project(&riley, "Funding changes", "", "realist")
            .await
            .unwrap();
        let mut r = app.signed_in("riley").await;
        r.get(&format!("/qual/{project}/cmos")).await;
        let boundary = "b0undary";
        let mut body = Vec::new();
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"cmo_table\"; filename=\"cmo.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend(csv.body.as_bytes());
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let target = format!("/qual/{project}/cmos/import?csrf_token={}", r.csrf);
        r.csrf_header = false;
        let reply = r
            .request(
                axum::http::Method::POST,
                &target,
                Some(&format!("multipart/form-data; boundary={boundary}")),
                body,
            )
            .await;
        r.csrf_header = true;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let (_, cmos) = app.app.qual_cmos(&riley, &project).await.unwrap();
        assert_eq!(cmos.len(), 1);
        assert_eq!(cmos[0].cmo.theory, format!("Funding change: {}", cafe.programme));
        assert_eq!(cmos[0].cmo.outcome, "A&E attendances fell by about nine a month.");
    }
}
