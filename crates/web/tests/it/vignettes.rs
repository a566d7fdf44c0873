//! Vignettes and decision studies through the web, on both databases: a vignette checked against
//! the records (passing and failing, with counts under k never shown), reviewed by a panel of a
//! service user, a carer and a clinician with anchored comments and approvals by the group's
//! rule, an edit after approval resetting approvals, a study refused with one-level attributes or
//! no approved vignette, then opened, answered through single-use links (unknown question,
//! half-answered and resumed, submitted, used twice, after closing), analysed and exported.

use axum::http::StatusCode;
use cocare_testkit::{TestApp, backends};

const BROAD: &str = r#"{"sex": "female", "age": {"min": 18, "max": 90}}"#;
const RARE: &str = r#"{"sex": "female", "year_of_birth": 1931, "spells": {"min": 9}, "detentions": {"min": 6}}"#;
const STORY: &str = "Jo is a woman who lives alone in a council flat. She has used the crisis team many times this year and says nobody listens until she is in crisis.";

fn id_from(location: Option<&str>, prefix: &str) -> String {
    location
        .unwrap()
        .strip_prefix(prefix)
        .unwrap()
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_vignette_is_checked_reviewed_approved_and_put_to_clinicians() {
    for backend in backends().await {
        let app = TestApp::spawn_with_records(backend, 400).await;
        let mut riley = app.signed_in("riley").await;
        assert_eq!(riley.get("/vignettes").await.status, StatusCode::OK);

        // A composite case proposed from the saved cohort: typical values only, ready to rewrite.
        let cohort = app.cohort.clone().unwrap();
        let page = riley.get(&format!("/vignettes/new?cohort={cohort}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("known to community mental health services"),
            "{}",
            page.body
        );
        assert!(page.body.contains("never one person&#39;s") || page.body.contains("never one person's"));
        assert!(
            page.body.contains("&#34;as_of&#34;: &#34;"),
            "the facts carry the cohort's index date"
        );
        let page = riley.get("/vignettes/new?cohort=no-such-cohort").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);

        // The check: broad facts pass with a count; rare ones fail and hide the count.
        riley.get("/vignettes/new").await;
        let page = riley
            .post_form(
                "/vignettes",
                &[
                    ("action", "check"),
                    ("title", "Jo"),
                    ("story", STORY),
                    ("facts", BROAD),
                    ("k", "5"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Passes the check"), "{}", page.body);
        assert!(page.body.contains(STORY), "the story is kept");
        let page = riley
            .post_form(
                "/vignettes",
                &[
                    ("action", "check"),
                    ("title", "Jo"),
                    ("story", STORY),
                    ("facts", RARE),
                    ("k", "5"),
                ],
            )
            .await;
        assert!(page.body.contains("Does not pass the check"), "{}", page.body);
        assert!(
            page.body.contains("<strong>0 people</strong>"),
            "zero is shown: it identifies no one"
        );
        // A count under k is never shown: with k above the population, only "fewer than".
        let researcher = app.actor_of("riley").await;
        let n = app
            .app
            .check_vignette_facts(&researcher, BROAD, 5)
            .await
            .unwrap()
            .matched
            .unwrap();
        assert!((5..400).contains(&n), "{n}");
        let page = riley
            .post_form(
                "/vignettes",
                &[
                    ("action", "check"),
                    ("title", "Jo"),
                    ("story", STORY),
                    ("facts", BROAD),
                    ("k", "1000"),
                ],
            )
            .await;
        assert!(page.body.contains("fewer than 1000 people"), "{}", page.body);
        assert!(
            !page.body.contains(&format!("<strong>{n} people</strong>")),
            "the count is hidden"
        );
        // Bad facts: named, and everything typed stays.
        let reply = riley
            .post_form(
                "/vignettes",
                &[
                    ("action", "save"),
                    ("title", "Jo"),
                    ("story", STORY),
                    ("facts", r#"{"sex": "femal"}"#),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body.contains("femal") && reply.body.contains(STORY),
            "{}",
            reply.body
        );
        assert!(reply.body.contains("href=\"#facts\""), "the summary links to the field");

        // Saved: a passing vignette and a failing one.
        let reply = riley
            .post_form(
                "/vignettes",
                &[
                    ("action", "save"),
                    ("title", "Jo"),
                    ("story", STORY),
                    ("facts", BROAD),
                    ("k", "5"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let jo = id_from(reply.location(), "/vignettes/");
        let reply = riley
            .post_form(
                "/vignettes",
                &[
                    ("action", "save"),
                    ("title", "Rare"),
                    ("story", "A rare case."),
                    ("facts", RARE),
                ],
            )
            .await;
        let rare = id_from(reply.location(), "/vignettes/");

        // The panel: three categories; an unknown user name is named.
        riley.get("/vignettes").await;
        let reply = riley
            .post_form("/vignettes/panel", &[("username", "nobody"), ("category", "carer")])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("nobody"));
        for (user, category) in [("sam", "service_user"), ("casey", "carer"), ("alex", "clinician")] {
            let reply = riley
                .post_form("/vignettes/panel", &[("username", user), ("category", category)])
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        }

        // Panel members see the passing vignette only, never records.
        let mut sam = app.signed_in("sam").await;
        assert!(sam.get("/").await.body.contains("Vignettes to review"));
        let list = sam.get("/vignettes").await;
        assert!(list.body.contains("Jo") && !list.body.contains("Rare"), "{}", list.body);
        assert_eq!(
            sam.get(&format!("/vignettes/{rare}")).await.status,
            StatusCode::NOT_FOUND
        );
        let page = sam.get(&format!("/vignettes/{jo}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("Passes the check"),
            "the panel does not see record counts"
        );
        assert_eq!(sam.get("/records").await.status, StatusCode::FORBIDDEN);
        // A comment on words not in the story is refused with the comment kept.
        let reply = sam
            .post_form(
                &format!("/vignettes/{jo}/comments"),
                &[
                    ("form", "comment"),
                    ("passage", "a house by the sea"),
                    ("comment", "Say how it felt."),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("not in the story") && reply.body.contains("Say how it felt."));
        let reply = sam
            .post_form(
                &format!("/vignettes/{jo}/comments"),
                &[
                    ("form", "comment"),
                    ("passage", "nobody listens"),
                    ("comment", "Say how it felt."),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let mut casey = app.signed_in("casey").await;
        let mut alex = app.signed_in("alex").await;
        for client in [&mut sam, &mut casey] {
            client.get(&format!("/vignettes/{jo}")).await;
            let reply = client
                .post_form(
                    &format!("/vignettes/{jo}/approval"),
                    &[("version", "1"), ("approve", "yes")],
                )
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        }
        let view = app.app.vignette(&researcher, &jo).await.unwrap();
        assert!(!view.status.met, "a clinician has not approved yet");
        alex.get(&format!("/vignettes/{jo}")).await;
        alex.post_form(
            &format!("/vignettes/{jo}/approval"),
            &[("version", "1"), ("approve", "yes")],
        )
        .await;
        let view = app.app.vignette(&researcher, &jo).await.unwrap();
        assert!(view.status.met, "{:?}", view.status);
        assert_eq!(view.comments.len(), 1);
        assert!(view.comments.first().unwrap().found);

        // An edit after approval: a new version, approvals reset with a notice, and an
        // approval of the old version refused.
        riley.get(&format!("/vignettes/{jo}")).await;
        let edited = STORY.replace("nobody listens", "she feels unheard");
        let reply = riley
            .post_form(
                &format!("/vignettes/{jo}/edit"),
                &[
                    ("form", "edit"),
                    ("version", "1"),
                    ("title", "Jo"),
                    ("story", &edited),
                    ("facts", BROAD),
                    ("k", "5"),
                    ("note", "After Sam's comment"),
                ],
            )
            .await;
        assert_eq!(reply.location(), Some(format!("/vignettes/{jo}?saved=reset").as_str()));
        let page = riley.get(reply.location().unwrap()).await;
        assert!(page.body.contains("the approvals start again"), "{}", page.body);
        assert!(page.body.contains("<ins class=\"diff-added\">"), "the change is shown");
        let view = app.app.vignette(&researcher, &jo).await.unwrap();
        assert!(!view.status.met && view.approvals.is_empty());
        assert!(!view.comments.first().unwrap().found, "the commented words are gone");
        let reply = sam
            .post_form(
                &format!("/vignettes/{jo}/approval"),
                &[("version", "1"), ("approve", "yes")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert!(reply.body.contains("read the new version"));
        // A stale edit is refused with the text kept.
        let reply = riley
            .post_form(
                &format!("/vignettes/{jo}/edit"),
                &[
                    ("form", "edit"),
                    ("version", "1"),
                    ("title", "Jo"),
                    ("story", "Stale words"),
                    ("facts", BROAD),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert!(reply.body.contains("Stale words"));

        // A study needs an approved vignette, and an attribute needs two levels.
        riley.get("/studies/new").await;
        let items = cocare_app::DEFAULT_ITEMS;
        let reply = riley
            .post_form(
                "/studies",
                &[("title", "Decisions"), ("vignettes", &jo), ("items", items)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("not approved yet"), "{}", reply.body);
        let reply = riley
            .post_form("/studies", &[("title", "Decisions"), ("items", items)])
            .await;
        assert!(reply.body.contains("at least one approved vignette"), "{}", reply.body);
        for client in [&mut sam, &mut casey, &mut alex] {
            client.get(&format!("/vignettes/{jo}")).await;
            client
                .post_form(
                    &format!("/vignettes/{jo}/approval"),
                    &[("version", "2"), ("approve", "yes")],
                )
                .await;
        }
        let name = format!("factor_name_{jo}");
        let label = format!("factor_ref_label_{jo}");
        let text = format!("factor_ref_text_{jo}");
        let levels = format!("factor_levels_{jo}");
        let reply = riley
            .post_form(
                "/studies",
                &[
                    ("title", "Decisions"),
                    ("vignettes", &jo),
                    ("items", items),
                    (&name, "housing"),
                    (&label, "council flat"),
                    (&text, "lives alone in a council flat"),
                    (&levels, ""),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("has one level"), "{}", reply.body);
        assert!(reply.body.contains("lives alone in a council flat"), "typed text kept");
        let reply = riley
            .post_form(
                "/studies",
                &[
                    ("title", "Decisions"),
                    ("vignettes", &jo),
                    ("items", items),
                    (&name, "housing"),
                    (&label, "council flat"),
                    (&text, "lives alone in a council flat"),
                    (&levels, "sleeping rough = has been sleeping rough since the spring"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let study = id_from(reply.location(), "/studies/");
        // A draft can be changed (filled in as saved; its seed kept); an open study cannot.
        let seed = app.app.study(&researcher, &study).await.unwrap().definition.seed;
        let page = riley.get(&format!("/studies/{study}/edit")).await;
        assert!(
            page.body
                .contains("sleeping rough = has been sleeping rough since the spring")
        );
        let revised = [
            ("title", "Decisions, revised"),
            ("vignettes", jo.as_str()),
            ("items", items),
            (name.as_str(), "housing"),
            (label.as_str(), "council flat"),
            (text.as_str(), "lives alone in a council flat"),
            (
                levels.as_str(),
                "sleeping rough = has been sleeping rough since the spring",
            ),
        ];
        let reply = riley.post_form(&format!("/studies/{study}/edit"), &revised).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let saved = app.app.study(&researcher, &study).await.unwrap().definition;
        assert_eq!((saved.title.as_str(), saved.seed), ("Decisions, revised", seed));
        riley.get(&format!("/studies/{study}")).await;
        let reply = riley
            .post_form(&format!("/studies/{study}/status"), &[("status", "open")])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let page = riley
            .post_form(
                &format!("/studies/{study}/invitations"),
                &[("count", "3"), ("label", "Clinician")],
            )
            .await;
        let reply = riley
            .post_form(
                &format!("/studies/{study}/edit"),
                &[("title", "Too late"), ("items", items)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("what it asks is fixed"), "{}", reply.body);
        let links: Vec<String> = page
            .body
            .split("<code>")
            .skip(1)
            .map(|s| s.split("</code>").next().unwrap().to_string())
            .filter(|s| s.starts_with("/study/"))
            .collect();
        assert_eq!(links.len(), 3, "{}", page.body);

        // Respondents: an unknown question, half answered and resumed, then sent.
        let q = |item: &str| format!("{jo}/{item}");
        let a = |item: &str| format!("a_{jo}_{item}");
        for (i, link) in links.iter().enumerate() {
            let mut visitor = app.anonymous();
            let page = visitor.get(link).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            assert!(page.body.contains("Case 1 of 1"));
            if i == 0 {
                let reply = visitor
                    .post_form(
                        link,
                        &[("q", &q("nonsense")), (&a("nonsense"), "yes"), ("action", "save")],
                    )
                    .await;
                assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
                assert!(reply.body.contains("There is no question"), "{}", reply.body);
                let reply = visitor
                    .post_form(link, &[("q", &q("refer")), (&a("refer"), "yes"), ("action", "save")])
                    .await;
                assert!(reply.body.contains("Your answers are saved (1 of 5)"), "{}", reply.body);
                let page = visitor.get(link).await;
                assert!(
                    page.body.contains("value=\"yes\" checked"),
                    "resumed with the saved answer"
                );
                let reply = visitor
                    .post_form(link, &[("q", &q("risk")), (&a("risk"), "high"), ("action", "submit")])
                    .await;
                assert_eq!(
                    reply.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unanswered questions named"
                );
                assert!(reply.body.contains("What is the first service"), "{}", reply.body);
            }
            let refer = if i == 2 { "no" } else { "yes" };
            let owned: Vec<(String, String)> = vec![
                ("q".into(), q("refer")),
                (a("refer"), refer.to_string()),
                ("q".into(), q("risk")),
                (a("risk"), "high".to_string()),
                ("q".into(), q("first_service")),
                (a("first_service"), "crisis team".to_string()),
                ("q".into(), q("confidence")),
                (a("confidence"), (4 + i).to_string()),
                ("q".into(), q("reasons")),
                (a("reasons"), format!("Reason number {i}")),
                ("action".into(), "submit".to_string()),
            ];
            let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let reply = visitor.post_form(link, &fields).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            assert!(reply.body.contains("Thank you"));
            let again = visitor.post_form(link, &fields).await;
            assert_eq!(again.status, StatusCode::CONFLICT);
            assert!(again.body.contains("already been used"));
        }

        // The analysis: agreement with its raters and units, the attribute's effect.
        let page = riley.get(&format!("/studies/{study}/analysis?regression=1")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Fleiss") && page.body.contains("Krippendorff"));
        assert!(page.body.contains("housing: sleeping rough"), "{}", page.body);
        assert!(page.body.contains("Reason number 2"));
        let (_, analysis) = app.app.study_analysis(&researcher, &study, false).await.unwrap();
        assert_eq!(analysis.respondents, 3);
        let refer = analysis.distributions.iter().find(|d| d.item == "refer").unwrap();
        let yes = refer.counts.iter().find(|c| c.value == "yes").unwrap().count;
        assert_eq!((yes, refer.answered), (2, 3));

        // The reasons go to the interview workbench as a transcript, one turn per respondent.
        let project = app
            .app
            .create_qual_project(&researcher, "Decisions", "", "npt")
            .await
            .unwrap();
        let reply = riley
            .post_form(&format!("/studies/{study}/reasons"), &[("project", "no-such-project")])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let reply = riley
            .post_form(&format!("/studies/{study}/reasons"), &[("project", &project)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let view = app.app.qual_project(&researcher, &project).await.unwrap();
        assert_eq!(view.sources.len(), 1);
        let source = app
            .app
            .qual_source(&researcher, &project, &view.sources[0].id)
            .await
            .unwrap();
        assert!(
            source.source.content.contains("Reason number 2"),
            "{:?}",
            source.source.content
        );
        assert!(source.source.content.contains("Respondent 1 (housing = "));
        // A theme that is not one of the researcher's coded interviews is refused.
        let reply = riley
            .post_form(
                &format!("/vignettes/{jo}/edit"),
                &[
                    ("form", "edit"),
                    ("version", "2"),
                    ("title", "Jo"),
                    ("story", &edited),
                    ("facts", BROAD),
                    ("theme", "a/b"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("Choose themes"));
        // An interview about the vignette is linked (one of the researcher's sources), then
        // unlinked; someone else's source is refused.
        let key = format!("{project}/{}", view.sources[0].id);
        let reply = riley
            .post_form(&format!("/vignettes/{jo}/interviews"), &[("interview", "x/y")])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let reply = riley
            .post_form(&format!("/vignettes/{jo}/interviews"), &[("interview", &key)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page = riley.get(&format!("/vignettes/{jo}")).await;
        assert!(
            page.body
                .contains(&format!("/qual/{project}/sources/{}", view.sources[0].id))
        );
        assert_eq!(app.app.vignette(&researcher, &jo).await.unwrap().interviews.len(), 1);
        riley
            .post_form(&format!("/vignettes/{jo}/interviews"), &[("unlink", &key)])
            .await;
        assert!(app.app.vignette(&researcher, &jo).await.unwrap().interviews.is_empty());

        // A coded theme is linked: named on the page, linked to its passages, never quoted.
        let code = view.codebook.codes.iter().find(|c| c.parent.is_some()).unwrap().clone();
        app.app
            .add_qual_coding(
                &researcher,
                &project,
                &view.sources[0].id,
                &code.guid,
                None,
                None,
                "Reason number 2",
            )
            .await
            .unwrap();
        let key = format!("{project}/{}", code.guid);
        let summary_field = format!("theme_summary_{key}");
        let reply = riley
            .post_form(
                &format!("/vignettes/{jo}/edit"),
                &[
                    ("form", "edit"),
                    ("version", "2"),
                    ("title", "Jo"),
                    ("story", &edited),
                    ("facts", BROAD),
                    ("theme", &key),
                    (summary_field.as_str(), "Housing comes first"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page = riley.get(&format!("/vignettes/{jo}")).await;
        assert!(
            page.body.contains(&format!("/qual/{project}/codes/{}", code.guid)),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("1 coded passages. Housing comes first"),
            "{}",
            page.body
        );
        let page = sam.get(&format!("/vignettes/{jo}")).await;
        assert!(
            page.body.contains(&code.name) && !page.body.contains("/qual/"),
            "the panel sees the theme, not the workbench"
        );

        // Exports: one row per respondent × vignette × item, and the dictionary.
        let csv = riley.get(&format!("/studies/{study}/responses.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(csv.body.lines().count(), 1 + 3 * 5, "{}", csv.body);
        assert!(
            csv.body
                .lines()
                .next()
                .unwrap()
                .starts_with("study,respondent,status,vignette")
        );
        let dict = riley.get(&format!("/studies/{study}/dictionary.csv")).await;
        assert!(dict.body.contains("first_service") && dict.body.contains("housing"));
        let xlsx = riley.get(&format!("/studies/{study}/responses.xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        let booklet = riley.get(&format!("/studies/{study}/booklet")).await;
        assert!(booklet.body.contains("she feels unheard"));
        let methods = riley.get(&format!("/studies/{study}/methods.md")).await;
        assert!(methods.body.contains("3 invited, 3 submitted"), "{}", methods.body);

        // Closed: links no longer take answers.
        let page = riley
            .post_form(&format!("/studies/{study}/invitations"), &[("count", "1")])
            .await;
        let late = page
            .body
            .split("<code>")
            .map(|s| s.split("</code>").next().unwrap())
            .find(|s| s.starts_with("/study/"))
            .unwrap()
            .to_string();
        riley
            .post_form(&format!("/studies/{study}/status"), &[("status", "closed")])
            .await;
        let mut visitor = app.anonymous();
        let page = visitor.get(&late).await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(page.body.contains("This study has closed"));
        assert_eq!(visitor.get("/study/made-up").await.status, StatusCode::NOT_FOUND);

        // Others: not on the panel, not told it exists; the administrator refused at the door.
        let mut morgan = app.signed_in("morgan").await;
        assert_eq!(
            morgan.get(&format!("/vignettes/{jo}")).await.status,
            StatusCode::NOT_FOUND
        );
        let mut admin = app.signed_in("admin").await;
        assert_eq!(admin.get("/vignettes").await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            sam.get(&format!("/studies/{study}")).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn the_demo_has_two_approved_vignettes_a_factorial_study_and_twelve_clinicians() {
    for backend in backends().await {
        let app = TestApp::spawn_with_records(backend, 300).await;
        let organisation = app
            .app
            .organisation_named(cocare_app::DEMO_ORGANISATION)
            .await
            .unwrap()
            .unwrap()
            .id;
        let study = app.app.seed_vignette_demo(organisation).await.unwrap().unwrap();
        assert!(
            app.app.seed_vignette_demo(organisation).await.unwrap().is_none(),
            "seeded once"
        );
        let riley = app.actor_of("riley").await;
        let w = app.app.vignette_workspace(&riley).await.unwrap();
        assert_eq!(
            w.vignettes.iter().filter(|v| v.approved).count(),
            2,
            "{:?}",
            w.vignettes
        );
        let view = app.app.study(&riley, &study).await.unwrap();
        assert_eq!((view.invitations.len(), view.submitted(), view.started()), (12, 10, 2));
        let (_, analysis) = app.app.study_analysis(&riley, &study, true).await.unwrap();
        assert_eq!(analysis.respondents, 12);
        assert!(!analysis.effects.is_empty() && analysis.effects.iter().all(|e| e.result.is_ok()));
        let jo = w.vignettes.iter().find(|v| v.title.starts_with("Jo")).unwrap();
        let v = app.app.vignette(&riley, &jo.id).await.unwrap();
        assert_eq!(v.versions.len(), 2);
        assert!(v.comments.len() >= 2);
    }
}
