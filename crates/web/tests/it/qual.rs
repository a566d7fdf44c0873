//! The qualitative workbench through the web and its use cases: members only, coding by words
//! and positions that survive Unicode, two coders and their agreement (worked by hand), search on
//! both backends, codebook edits that collide, memos, the framework matrix, CMO versions, and a
//! QDPX round trip that loses nothing.

use axum::http::{Method, StatusCode};
use cocare_app::qual_domain::qdpx;
use cocare_core::Actor;
use cocare_testkit::{Client, TestApp, backends};

const TRANSCRIPT: &str = "Interviewer: How was it when the service changed?\n\
P01: Hard at first. Nobody asked us.\n\
Interviewer: And now?\n\
P01: Better, since the café group started 😀.\n";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "cocare-qual-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((field, file_name, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    client: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> cocare_testkit::Reply {
    let (content_type, body) = multipart(fields, file);
    let path = format!("{path}?csrf_token={}", client.csrf);
    client.csrf_header = false;
    let reply = client.request(Method::POST, &path, Some(&content_type), body).await;
    client.csrf_header = true;
    reply
}

/// A second researcher, who is not a member of anything yet.
async fn second_researcher(app: &TestApp) -> Actor {
    let form = cocare_app::AccountForm {
        username: "quinn".into(),
        display_name: "Quinn (second coder)".into(),
        password: "a long enough password".into(),
        role: "researcher".into(),
        ..Default::default()
    };
    app.app.create_account(&Actor::system("test"), &form).await.unwrap();
    app.actor_of("quinn").await
}

/// A project made through the pages: riley starts it and imports the transcript.
async fn project_with_transcript(app: &TestApp, riley: &mut Client) -> (String, String) {
    riley.get("/qual").await;
    let reply = riley
        .post_form(
            "/qual",
            &[
                ("name", "Funding change interviews"),
                ("description", ""),
                ("frame", "npt"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let project = reply.location().unwrap().trim_start_matches("/qual/").to_string();
    riley.get(&format!("/qual/{project}")).await;
    let reply = post_multipart(
        riley,
        &format!("/qual/{project}/sources"),
        &[("name", ""), ("kind", "auto"), ("participant", ""), ("text", "")],
        Some(("file", "interview-p01.txt", TRANSCRIPT.as_bytes())),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let source = reply.location().unwrap().rsplit('/').next().unwrap().to_string();
    let _ = app;
    (project, source)
}

fn code_named(view: &cocare_app::ProjectView, name: &str) -> String {
    view.codebook
        .codes
        .iter()
        .find(|c| c.name == name)
        .unwrap()
        .guid
        .clone()
}

#[tokio::test]
async fn only_members_see_a_projects_words_and_every_read_is_audited() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let quinn = second_researcher(&app).await;
        let mut riley = app.signed_in("riley").await;
        let (project, source) = project_with_transcript(&app, &mut riley).await;

        let page = riley.get(&format!("/qual/{project}/sources/{source}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Nobody asked us."),
            "the words are shown to the owner"
        );
        assert!(page.body.contains("4 speaker turns"), "{}", page.body);

        // Another researcher of the same organisation is not told the project exists.
        let mut q = app.anonymous();
        q.sign_in("quinn", "a long enough password").await;
        for path in [
            format!("/qual/{project}"),
            format!("/qual/{project}/sources/{source}"),
            format!("/qual/{project}/search?q=asked"),
            format!("/qual/{project}/export.qdpx"),
        ] {
            let reply = q.get(&path).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert!(!reply.body.contains("Nobody asked"));
        }
        assert!(!q.get("/qual").await.body.contains("Funding change interviews"));
        // Nor can a clinician reach the workbench at all.
        let mut alex = app.signed_in("alex").await;
        assert_eq!(
            alex.get(&format!("/qual/{project}")).await.status,
            StatusCode::FORBIDDEN
        );

        // Added as a viewer, quinn reads but cannot code.
        riley.get(&format!("/qual/{project}/people")).await;
        let reply = riley
            .post_form(
                &format!("/qual/{project}/members"),
                &[("username", "quinn"), ("role", "viewer")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert!(
            q.get(&format!("/qual/{project}/sources/{source}"))
                .await
                .body
                .contains("Nobody asked us.")
        );
        let view = app.app.qual_project(&quinn, &project).await.unwrap();
        let code = code_named(&view, "Differentiation");
        let refused = app
            .app
            .add_qual_coding(&quinn, &project, &source, &code, None, None, "Nobody asked us.")
            .await;
        assert!(matches!(refused, Err(cocare_app::AppError::NotFound)), "{refused:?}");
        // The last owner cannot leave the project ownerless.
        let reply = riley
            .post_form(
                &format!("/qual/{project}/members"),
                &[("username", "riley"), ("role", "viewer")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);

        // Reading the source left audit rows naming the project, never the words.
        let audit = app.app.store().recent_audit(200).await.unwrap();
        let reads: Vec<_> = audit
            .iter()
            .filter(|e| {
                e.action == "qual.project.read"
                    && e.subject.starts_with(&format!("qual-project:{project}:sources-read"))
            })
            .collect();
        let riley_name = app.actor_of("riley").await.audit_name();
        assert!(reads.iter().any(|e| e.actor == riley_name), "{reads:?}");
        assert!(reads.iter().any(|e| e.actor == quinn.audit_name()), "{reads:?}");
        assert!(audit.iter().all(|e| !e.subject.contains("Nobody")));
    }
}

#[tokio::test]
async fn two_coders_code_by_words_and_their_agreement_is_as_worked_by_hand() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let quinn = second_researcher(&app).await;
        let mut riley = app.signed_in("riley").await;
        let (project, source) = project_with_transcript(&app, &mut riley).await;
        app.app
            .set_qual_member(
                &app.actor_of("riley").await,
                &project,
                "quinn",
                Some(cocare_app::ProjectRole::Coder),
            )
            .await
            .unwrap();
        let view = app.app.qual_project(&quinn, &project).await.unwrap();
        let code = code_named(&view, "Differentiation");

        // riley codes turns 1 and 2 through the page (the keyboard way: the words), quinn 2 and 3.
        let page = riley.get(&format!("/qual/{project}/sources/{source}")).await;
        assert!(page.body.contains("id=\"coding-form\""));
        for quote in ["How was it when the service changed?", "Hard at first."] {
            let reply = riley
                .post_form(
                    &format!("/qual/{project}/sources/{source}/codings"),
                    &[("code", &code), ("quote", quote), ("start", ""), ("end", "")],
                )
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        }
        for quote in ["Nobody asked us.", "And now?"] {
            app.app
                .add_qual_coding(&quinn, &project, &source, &code, None, None, quote)
                .await
                .unwrap();
        }
        // Coding blind: with ?mine=1 riley sees only riley's codings.
        let all = riley.get(&format!("/qual/{project}/sources/{source}")).await;
        assert!(all.body.contains("by Quinn (second coder)"));
        let blind = riley.get(&format!("/qual/{project}/sources/{source}?mine=1")).await;
        assert!(
            !blind.body.contains("by Quinn (second coder)"),
            "the other coder's work is hidden"
        );
        assert!(
            !blind.body.contains("Quinn (second coder))"),
            "not even in the highlights"
        );
        assert!(blind.body.contains("by Riley Chen"));
        // The same coder coding overlapping words with the same code is refused, as typed.
        let reply = riley
            .post_form(
                &format!("/qual/{project}/sources/{source}/codings"),
                &[
                    ("code", &code),
                    ("quote", "at first. Nobody"),
                    ("start", ""),
                    ("end", ""),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("overlap"), "{}", reply.body);
        assert!(reply.body.contains("at first. Nobody"), "what was typed is kept");
        // Words that are not in the source are named as such.
        let reply = riley
            .post_form(
                &format!("/qual/{project}/sources/{source}/codings"),
                &[("code", &code), ("quote", "never said"), ("start", ""), ("end", "")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("not in the source"));

        // Turns: riley [1,1,0,0], quinn [0,1,1,0] (turn 2 holds both of its codings).
        // By hand: agreement 2/4 = 50%; kappa: po = .5, pe = .5·.5 + .5·.5 = .5, so 0;
        // alpha (nominal): o01 = o10 = 2, o00 = o11 = 2, n = 8; Do = 4/8, De = 2·4·4/(8·7),
        // alpha = 1 − 0.5/0.5714 = 0.125.
        let (_, report) = app.app.qual_agreement(&quinn, &project, "turn").await.unwrap();
        let overall = report.overall.clone().unwrap();
        assert_eq!(overall.percent.units, 4);
        assert!((overall.percent.coefficient.unwrap() - 0.5).abs() < 1e-12);
        assert!(overall.cohen.as_ref().unwrap().coefficient.unwrap().abs() < 1e-12);
        assert!((overall.alpha.as_ref().unwrap().coefficient.unwrap() - 0.125).abs() < 1e-12);
        assert_eq!(report.disagreements_total, 2);
        let page = riley.get(&format!("/qual/{project}/agreement?unit=turn")).await;
        assert!(
            page.body.contains("50.0%") && page.body.contains("0.125"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<svg"), "the alpha chart is drawn beside its table");
        assert!(
            page.body.contains("Applied by"),
            "the disagreement queue lists the units"
        );

        // Retrieval by code, filtered by a participant attribute.
        let riley_actor = app.actor_of("riley").await;
        let role = view.variables.iter().find(|v| v.name == "role").unwrap().guid.clone();
        let p01 = app
            .app
            .save_qual_participant(
                &riley_actor,
                &project,
                None,
                "P01",
                "",
                &[(role.clone(), "service user".to_string())].into_iter().collect(),
            )
            .await
            .unwrap();
        app.app
            .set_qual_source_participant(&riley_actor, &project, &source, Some(&p01))
            .await
            .unwrap();
        let page = riley
            .get(&format!(
                "/qual/{project}/codes/{code}?variable={role}&value=service+user"
            ))
            .await;
        assert!(page.body.contains("4 segments"), "{}", page.body);
        let page = riley
            .get(&format!("/qual/{project}/codes/{code}?variable={role}&value=carer"))
            .await;
        assert!(page.body.contains("0 segments"), "{}", page.body);

        // The framework matrix counts P01's codings under the code's top-level construct, and
        // keeps the summary written for the cell.
        let (_, matrix) = app
            .app
            .qual_matrix(&riley_actor, &project, std::slice::from_ref(&code))
            .await
            .unwrap();
        assert_eq!(matrix.cells.get(&(p01.clone(), code.clone())).map(|c| c.0), Some(4));
        let reply = riley
            .post_form(
                &format!("/qual/{project}/matrix/{p01}/{code}"),
                &[("summary", "Felt unheard, then part of the group.")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert!(
            riley
                .get(&format!("/qual/{project}/matrix?code={code}"))
                .await
                .body
                .contains("Felt unheard")
        );

        // Co-occurrence: no two different codes overlap here.
        let (_, pairs) = app.app.qual_cooccurrence(&riley_actor, &project).await.unwrap();
        assert!(pairs.is_empty());
    }
}

#[tokio::test]
async fn positions_count_code_points_and_search_finds_the_same_sources_on_both_backends() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let riley = app.actor_of("riley").await;
        let project = app
            .app
            .create_qual_project(&riley, "Unicode", "", "realist")
            .await
            .unwrap();
        let text = "Café 😀 مرحبا שלום. I felt ignored, then heard at the café.";
        let source = app
            .app
            .import_qual_source(
                &riley,
                &project,
                &cocare_app::SourceForm {
                    name: "Notes".into(),
                    kind: "text".into(),
                    text: text.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let other = app
            .app
            .import_qual_source(
                &riley,
                &project,
                &cocare_app::SourceForm {
                    name: "Other".into(),
                    kind: "document".into(),
                    text: "A paper on commissioning; nobody was ignored here either.".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let view = app.app.qual_project(&riley, &project).await.unwrap();
        let context = view.codebook.codes.iter().find(|c| c.codable).unwrap().guid.clone();
        app.app
            .add_qual_coding(&riley, &project, &source, &context, None, None, "مرحبا")
            .await
            .unwrap();
        // A selection made in the browser: code points 13..18 are "שלום" (not bytes, not UTF-16).
        app.app
            .add_qual_coding(&riley, &project, &source, &context, Some(13), Some(17), "שלום")
            .await
            .unwrap();
        let sv = app.app.qual_source(&riley, &project, &source).await.unwrap();
        let spans: Vec<(usize, usize, &str)> = sv.segments.iter().map(|s| (s.start, s.end, s.text.as_str())).collect();
        assert_eq!(spans, [(7, 12, "مرحبا"), (13, 17, "שלום")]);

        // Whole words, lower-cased, every word required; accents kept.
        let found = |q: &'static str| {
            let app = &app;
            let riley = &riley;
            let project = &project;
            async move {
                let mut ids: Vec<String> = app
                    .app
                    .qual_search(riley, project, q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.source)
                    .collect();
                ids.sort();
                ids
            }
        };
        let mut both = vec![source.clone(), other.clone()];
        both.sort();
        assert_eq!(found("IGNORED").await, both, "{backend:?}");
        assert_eq!(found("ignored heard").await, vec![source.clone()], "{backend:?}");
        assert_eq!(found("café").await, vec![source.clone()], "{backend:?}");
        assert!(found("ignore").await.is_empty(), "{backend:?}: whole words only");
        let results = app.app.qual_search(&riley, &project, "heard").await.unwrap();
        let hit = &results[0].hits[0];
        assert_eq!(
            cocare_app::qual_domain::text::slice_chars(text, hit.start, hit.end),
            Some("heard")
        );
        // An empty query is a question to answer, not a crash.
        assert!(matches!(
            app.app.qual_search(&riley, &project, " ?! ").await,
            Err(cocare_app::AppError::Validation(_))
        ));
    }
}

#[tokio::test]
async fn a_broken_transcript_and_a_stale_codebook_lose_nothing() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut riley = app.signed_in("riley").await;
        let (project, _) = project_with_transcript(&app, &mut riley).await;
        let broken = "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nInterviewer: Backwards.\n";
        let reply = post_multipart(
            &mut riley,
            &format!("/qual/{project}/sources"),
            &[
                ("name", "Broken"),
                ("kind", "transcript"),
                ("participant", ""),
                ("text", broken),
            ],
            None,
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("Transcript line 3"), "{}", reply.body);
        assert!(reply.body.contains("ends before it starts"), "{}", reply.body);
        assert!(reply.body.contains("Backwards."), "the pasted text is kept");
        let view = app
            .app
            .qual_project(&app.actor_of("riley").await, &project)
            .await
            .unwrap();
        assert_eq!(view.sources.len(), 1, "nothing was imported");

        // Two people open the codebook; the second save is refused and keeps what was typed.
        let revision = view.project.codebook_revision.to_string();
        riley.get(&format!("/qual/{project}/codebook")).await;
        let first = riley
            .post_form(
                &format!("/qual/{project}/codebook"),
                &[("revision", &revision), ("code_name", "Trust"), ("description", "")],
            )
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
        let second = riley
            .post_form(
                &format!("/qual/{project}/codebook"),
                &[
                    ("revision", &revision),
                    ("code_name", "Being listened to"),
                    ("description", "When…"),
                ],
            )
            .await;
        assert_eq!(second.status, StatusCode::CONFLICT);
        assert!(second.body.contains("someone else changed the codebook"));
        assert!(second.body.contains("Being listened to"), "the typed code is kept");
        // A code in use cannot be removed, so no coder's work is lost.
        let riley_actor = app.actor_of("riley").await;
        let view = app.app.qual_project(&riley_actor, &project).await.unwrap();
        let trust = code_named(&view, "Trust");
        app.app
            .add_qual_coding(
                &riley_actor,
                &project,
                &view.sources[0].id,
                &trust,
                None,
                None,
                "Nobody asked us.",
            )
            .await
            .unwrap();
        let refused = app
            .app
            .remove_qual_code(&riley_actor, &project, view.project.codebook_revision, &trust)
            .await;
        assert!(
            matches!(refused, Err(cocare_app::AppError::Conflict(ref m)) if m.contains("1 segment is coded")),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn cmo_configurations_keep_versions_and_evidence_and_export_as_a_table() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let mut riley = app.signed_in("riley").await;
        let (project, source) = project_with_transcript(&app, &mut riley).await;
        riley.get(&format!("/qual/{project}/cmos")).await;
        let fields = [
            ("theory", "Engagement before a funding change"),
            ("name", "C1: not asked"),
            ("context", "A service changed without consultation"),
            ("mechanism", "People feel unheard"),
            ("outcome", ""),
            ("evidence_source", source.as_str()),
            ("quote", "Nobody asked us."),
            ("stance", "supports"),
        ];
        let reply = riley.post_form(&format!("/qual/{project}/cmos"), &fields).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("Write the outcome"), "{}", reply.body);
        assert!(reply.body.contains("People feel unheard"), "what was typed is kept");
        let mut fields = fields.to_vec();
        fields[4] = ("outcome", "Disengagement");
        let reply = riley.post_form(&format!("/qual/{project}/cmos"), &fields).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let page_path = reply.location().unwrap().to_string();
        let page = riley.get(&page_path).await;
        assert!(page.body.contains("Nobody asked us."), "the excerpt is shown");
        // Refine: a refuting excerpt, saved as version 2 with what changed.
        let reply = riley
            .post_form(
                &page_path,
                &[
                    ("theory", "Engagement before a funding change"),
                    ("name", "C1: not asked"),
                    ("context", "A service changed without consultation"),
                    ("mechanism", "People feel unheard"),
                    ("outcome", "Disengagement, until a group formed"),
                    ("evidence_source", source.as_str()),
                    ("quote", "Better, since the café group started"),
                    ("stance", "refutes"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let (_, cmos) = app.app.qual_cmos(&app.actor_of("riley").await, &project).await.unwrap();
        let c = &cmos[0];
        assert_eq!(c.version, 2);
        assert_eq!(c.history[1].3, ["outcome changed", "1 excerpt linked"]);
        let csv = riley.get(&format!("/qual/{project}/cmos.csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[1], "C1: not asked");
        assert_eq!((&row[6], &row[7]), ("1", "1"));
        assert!(row[8].contains("[refutes] interview-p01.txt"), "{}", &row[8]);
        assert!(row[8].contains("\u{201c}Nobody asked us.\u{201d}"));
    }
}

#[tokio::test]
async fn a_project_goes_out_as_qdpx_and_comes_back_without_loss() {
    for backend in backends().await {
        let app = TestApp::spawn(backend).await;
        let quinn = second_researcher(&app).await;
        let riley = app.actor_of("riley").await;
        let mut client = app.signed_in("riley").await;
        let (project, source) = project_with_transcript(&app, &mut client).await;
        app.app
            .set_qual_member(&riley, &project, "quinn", Some(cocare_app::ProjectRole::Coder))
            .await
            .unwrap();
        let view = app.app.qual_project(&riley, &project).await.unwrap();
        let role = view.variables[0].guid.clone();
        let p01 = app
            .app
            .save_qual_participant(
                &riley,
                &project,
                None,
                "P01",
                "Service user",
                &[(role, "service user".to_string())].into_iter().collect(),
            )
            .await
            .unwrap();
        app.app
            .set_qual_source_participant(&riley, &project, &source, Some(&p01))
            .await
            .unwrap();
        let code = code_named(&view, "Differentiation");
        let coding = app
            .app
            .add_qual_coding(&riley, &project, &source, &code, None, None, "café group started 😀")
            .await
            .unwrap();
        app.app
            .add_qual_coding(&quinn, &project, &source, &code, None, None, "Nobody asked us.")
            .await
            .unwrap();
        let sv = app.app.qual_source(&riley, &project, &source).await.unwrap();
        let selection = sv
            .segments
            .iter()
            .find(|s| s.coding == coding)
            .unwrap()
            .selection
            .clone();
        for (kind, target, body) in [
            (
                "project",
                project.as_str(),
                "Aim: hear from people the change affected.",
            ),
            ("source", source.as_str(), "Recorded at the group."),
            ("code", code.as_str(), "Use for comparing the new with the old."),
            ("selection", selection.as_str(), "Joy: first sign of belonging."),
        ] {
            app.app
                .save_qual_memo(&riley, &project, None, 0, kind, target, "", body)
                .await
                .unwrap();
        }

        // Two people change the same memo: the second save is refused and keeps its words.
        let memo = sv_memo(&app, &riley, &project).await;
        let page = client.get(&format!("/qual/{project}/memos/{memo}")).await;
        assert!(page.body.contains("Aim: hear from people"), "{}", page.body);
        let edit = |body: &'static str| {
            vec![
                ("id", memo.clone()),
                ("revision", "1".to_string()),
                ("target_kind", "project".to_string()),
                ("target", project.clone()),
                ("memo_name", String::new()),
                ("memo", body.to_string()),
                ("back", format!("/qual/{project}")),
            ]
        };
        let first = edit("Aim: hear from people the change affected, first.");
        let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            client.post_form(&format!("/qual/{project}/memos"), &first).await.status,
            StatusCode::SEE_OTHER
        );
        let second = edit("My own rewording, typed at the same time.");
        let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = client.post_form(&format!("/qual/{project}/memos"), &second).await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        assert!(
            reply.body.contains("My own rewording, typed at the same time."),
            "kept: {}",
            reply.body
        );
        assert!(reply.body.contains("someone else changed this memo"));
        // The first edit stands: the project memo reads as first saved.
        assert!(client.get(&format!("/qual/{project}")).await.body.contains(", first."));

        let reply = client.get(&format!("/qual/{project}/export.qdpx")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let first = app.app.qual_export(&riley, &project).await.unwrap();
        let (_, bytes) = app.app.qual_export_qdpx(&riley, &project).await.unwrap();
        // The file is what the standard describes: it reads back whole.
        let read = qdpx::Project::from_qdpx(&bytes).unwrap();
        assert_eq!(read.sources[0].text, TRANSCRIPT.replace("\r\n", "\n"));
        assert_eq!(read.users.len(), 2);
        assert_eq!(read.notes.len(), 4);
        assert!(read.notes.iter().any(|n| n.text.ends_with(", first.")));
        assert_eq!(read.cases[0].sources, std::slice::from_ref(&source));

        // Imported as a new project (through the page), then exported again: nothing lost.
        client.get("/qual").await;
        let reply = post_multipart(&mut client, "/qual/import", &[], Some(("qdpx", "p.qdpx", &bytes))).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let copy = reply
            .location()
            .unwrap()
            .trim_start_matches("/qual/")
            .split('?')
            .next()
            .unwrap()
            .to_string();
        assert_ne!(copy, project);
        let page = client.get(reply.location().unwrap()).await;
        assert!(
            page.body.contains("Imported 1 sources, 2 codings and 4 memos."),
            "{}",
            page.body
        );
        let second = app.app.qual_export(&riley, &copy).await.unwrap();
        assert_eq!(second, first);
        assert_eq!(
            second.to_xml().unwrap(),
            first.to_xml().unwrap(),
            "export → import → export is identical"
        );
        // Turns and the source's kind travel beside the standard's file.
        let copied = app.app.qual_source(&riley, &copy, &source).await.unwrap();
        assert_eq!(copied.turns.len(), 4);
        assert_eq!(copied.source.kind, "transcript");

        // A broken file imports nothing and names the problem.
        let reply = post_multipart(
            &mut client,
            "/qual/import",
            &[],
            Some(("qdpx", "bad.qdpx", b"not a zip")),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body.contains("zip"), "{}", reply.body);
        let projects = app.app.qual_projects(&riley).await.unwrap();
        assert_eq!(projects.len(), 2);
    }
}

async fn sv_memo(app: &TestApp, riley: &Actor, project: &str) -> String {
    let view = app.app.qual_project(riley, project).await.unwrap();
    view.memos
        .iter()
        .find(|m| m.target_kind == "project")
        .unwrap()
        .id
        .clone()
}
