//! The demo's qualitative project: four synthetic interviews about a funding change (a service
//! user, a carer, a clinician and a commissioner), coded with Normalisation Process Theory by two
//! coders who sometimes disagree, with memos, a framework summary and two CMO configurations.
//! Every word is invented for the demo; nobody said them.

use cocare_core::{Actor, OrganisationId};
use cocare_qual::codebook::Codebook;
use cocare_qual::qdpx;
use cocare_qual::realist::{Cmo, Evidence, Stance};
use cocare_qual::text;

use crate::{App, AppError};

const RESEARCHER: &str = "riley";
/// The second coder is not a cocare account: their codings came in with the project.
const SECOND_CODER: &str = "5d0c8f4e-2b7a-4c1e-9f3d-6a8b1c2d3e4f";
const PROJECT: &str = "Crisis café funding change: interviews (synthetic)";

const INTERVIEWS: [(&str, &str, &str); 4] = [
    (
        "P01 service user",
        "service user",
        "WEBVTT\n\n00:00:01.000 --> 00:00:06.000\nInterviewer: What changed for you when the day service closed?\n\n\
00:00:07.000 --> 00:00:19.000\nP01: Nobody asked us. One week there was a letter, the next week the doors were shut. I felt like we did not count.\n\n\
00:00:20.000 --> 00:00:24.000\nInterviewer: And the crisis café that opened instead?\n\n\
00:00:25.000 --> 00:00:41.000\nP01: At first I did not trust it. Then one of the peer workers remembered my name and what I had said the time before. That is when I started going every week.\n\n\
00:00:42.000 --> 00:00:50.000\nP01: I have not been to A&E since the spring. I still have bad nights, but now I know where to go.\n",
    ),
    (
        "P02 carer",
        "carer",
        "Interviewer: How did the change look from where you stand, as his mother?\n\
P02: I found out from him, not from the service. That hurt. We had been part of his care for ten years.\n\
Interviewer: Were you involved in planning the café?\n\
P02: Later, yes. They set up a carers' evening and actually changed the opening hours because of what we said. Evenings are when things go wrong.\n\
P02: I would still like one person to ring when I am worried. The café is good but it is not a plan.\n",
    ),
    (
        "P03 clinician",
        "clinician",
        "Interviewer: What was the work like for the team during the change?\n\
P03: We were told the budget would be cut by a third and the day service would go. The decision was made before we were asked.\n\
P03: The café only worked because the peer workers and our crisis team met every Monday to go through who had been in.\n\
Interviewer: Did you see a difference in the people you work with?\n\
P03: Fewer crisis presentations out of hours for the regulars, but the people who never came to the day service still fall through the gaps.\n",
    ),
    (
        "P04 commissioner",
        "key informant",
        "Interviewer: Why was the funding changed?\n\
P04: The block contract was under review and the numbers for the day service were falling. We had to show a saving.\n\
P04: In hindsight we should have brought people in at the start. The second year, when the service-user group sat on the panel, the decisions held.\n\
Interviewer: How do you judge whether it worked?\n\
P04: Admissions and A&E attendances, mainly. But the stories we heard at the review changed what we counted.\n",
    ),
];

/// (interview, words, code name, coders: 1 = riley, 2 = second, 3 = both)
const CODINGS: [(usize, &str, &str, u8); 16] = [
    (0, "Nobody asked us.", "Legitimation", 3),
    (0, "I felt like we did not count.", "Internalisation", 1),
    (0, "At first I did not trust it.", "Relational integration", 3),
    (
        0,
        "one of the peer workers remembered my name and what I had said the time before",
        "Relational integration",
        2,
    ),
    (0, "That is when I started going every week.", "Activation", 3),
    (0, "I have not been to A&E since the spring.", "Individual appraisal", 3),
    (1, "I found out from him, not from the service.", "Legitimation", 3),
    (
        1,
        "actually changed the opening hours because of what we said",
        "Reconfiguration",
        3,
    ),
    (1, "The café is good but it is not a plan.", "Individual appraisal", 1),
    (2, "The decision was made before we were asked.", "Legitimation", 3),
    (
        2,
        "met every Monday to go through who had been in",
        "Interactional workability",
        3,
    ),
    (
        2,
        "the people who never came to the day service still fall through the gaps",
        "Communal appraisal",
        2,
    ),
    (3, "We had to show a saving.", "Contextual integration", 3),
    (3, "we should have brought people in at the start", "Reconfiguration", 1),
    (
        3,
        "when the service-user group sat on the panel, the decisions held",
        "Enrolment",
        3,
    ),
    (
        3,
        "the stories we heard at the review changed what we counted",
        "Systematisation",
        3,
    ),
];

fn guid(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("cocare:demo:qual:{name}").as_bytes(),
    )
    .to_string()
}

/// Where the words first occur, in code points.
fn span(content: &str, words: &str) -> Option<(usize, usize)> {
    crate::qual::find_quote(content, words, 0)
}

fn build(riley: &str) -> Result<(qdpx::Project, Vec<(usize, String)>), AppError> {
    let broken = || AppError::Unexpected(anyhow::anyhow!("the demo's interviews do not read"));
    let codebook = Codebook::npt_classic();
    let role = guid("variable:role");
    let mut sources = Vec::new();
    let mut cases = Vec::new();
    let mut texts = Vec::new();
    for (i, (name, role_value, raw)) in INTERVIEWS.iter().enumerate() {
        let t = text::parse_transcript(raw).map_err(|_| broken())?;
        let source = guid(&format!("source:{i}"));
        let case = guid(&format!("case:{i}"));
        let label = name.split(' ').next().unwrap_or(name);
        cases.push(qdpx::Case {
            guid: case,
            name: label.to_string(),
            description: format!("Synthetic {role_value}"),
            values: vec![(role.clone(), (*role_value).to_string())],
            sources: vec![source.clone()],
        });
        let sidecar = serde_json::json!({ "kind": "transcript", "turns": t.turns, "created_by": "system:demo" });
        sources.push(qdpx::TextSource {
            guid: source,
            name: format!("Interview {name}"),
            description: "Synthetic interview written for the demo".into(),
            text: t.text.clone(),
            creating_user: None,
            created: Some("2026-03-02T10:00:00Z".into()),
            selections: Vec::new(),
            notes: Vec::new(),
            sidecar: Some(sidecar.to_string()),
        });
        texts.push(t.text);
    }
    for (k, (interview, words, code_name, who)) in CODINGS.iter().enumerate() {
        let content = texts.get(*interview).ok_or_else(broken)?;
        let (start, end) = span(content, words).ok_or_else(broken)?;
        let code = codebook
            .codes
            .iter()
            .find(|c| c.name == *code_name)
            .ok_or_else(broken)?
            .guid
            .clone();
        let source = sources.get_mut(*interview).ok_or_else(broken)?;
        for (bit, coder) in [(1u8, riley), (2u8, SECOND_CODER)] {
            if who & bit == 0 {
                continue;
            }
            source.selections.push(qdpx::Selection {
                guid: guid(&format!("selection:{k}:{bit}")),
                start,
                end,
                creating_user: Some(coder.to_string()),
                created: Some("2026-03-09T14:00:00Z".into()),
                codings: vec![qdpx::SelectionCoding {
                    guid: guid(&format!("coding:{k}:{bit}")),
                    code: code.clone(),
                    creating_user: Some(coder.to_string()),
                    created: Some("2026-03-09T14:00:00Z".into()),
                }],
                notes: Vec::new(),
            });
        }
    }
    let memo = |name: &str, body: &str| qdpx::Note {
        guid: guid(&format!("note:{name}")),
        name: name.into(),
        text: body.into(),
        creating_user: Some(riley.to_string()),
        created: Some("2026-03-10T09:00:00Z".into()),
    };
    let notes = vec![
        memo(
            "Aim",
            "Why did the closure of the day service feel like something done to people, and what made the crisis café work for some and not others?",
        ),
        memo(
            "Legitimation across roles",
            "Service user, carer and clinician all say they were not asked. The commissioner says it too, in hindsight.",
        ),
    ];
    let project_notes = notes.iter().map(|n| n.guid.clone()).take(1).collect();
    let code_notes = vec![(
        codebook
            .codes
            .iter()
            .find(|c| c.name == "Legitimation")
            .ok_or_else(broken)?
            .guid
            .clone(),
        guid("note:Legitimation across roles"),
    )];
    let project = qdpx::Project {
        name: PROJECT.into(),
        origin: codebook.origin.clone(),
        description: "Four synthetic interviews coded with Normalisation Process Theory by two coders.".into(),
        created: Some("2026-03-01T09:00:00Z".into()),
        creating_user: None,
        users: vec![
            qdpx::User {
                guid: riley.to_string(),
                name: "Riley Chen".into(),
            },
            qdpx::User {
                guid: SECOND_CODER.into(),
                name: "Second coder (synthetic)".into(),
            },
        ],
        codebook,
        code_notes,
        variables: vec![qdpx::Variable {
            guid: role,
            name: "role".into(),
            kind: qdpx::VariableType::Text,
            description: "service user, carer, clinician, key informant".into(),
        }],
        cases,
        sources,
        notes,
        project_notes,
    };
    let ids = project.sources.iter().map(|s| s.guid.clone()).enumerate().collect();
    Ok((project, ids))
}

impl App {
    /// Adds the demo's qualitative project, owned by the demo researcher, unless it is there.
    pub async fn seed_qual_demo(&self, organisation: OrganisationId) -> Result<Option<String>, AppError> {
        let system = Actor::system("demo");
        let existing = self.qual_projects_all(&system, Some(organisation)).await?;
        if existing.iter().any(|(_, name)| name == PROJECT) {
            return Ok(None);
        }
        let Some(account) = self.store.account_by_username(RESEARCHER).await? else {
            return Ok(None);
        };
        let (project, sources) = build(&account.id.to_string())?;
        let bytes = project.to_qdpx().map_err(|p| {
            AppError::Unexpected(anyhow::anyhow!(
                "the demo project does not export: {}",
                p.first().map(ToString::to_string).unwrap_or_default()
            ))
        })?;
        let done = self
            .qual_import_qdpx(&system, Some(organisation), Some(RESEARCHER), &bytes)
            .await?;
        let id = done.project;
        let find = |i: usize, words: &str| -> Option<Evidence> {
            let (_, source) = sources.iter().find(|(k, _)| *k == i)?;
            let text = &project.sources.get(i)?.text;
            let (start, end) = span(text, words)?;
            Some(Evidence {
                source: source.clone(),
                start,
                end,
                stance: Stance::Supports,
                note: String::new(),
            })
        };
        let c1 = Cmo {
            theory: "Engagement before a funding change".into(),
            name: "C1: decided before asking".into(),
            context: "A service is cut or closed and the decision is announced before anyone who uses or works in it is asked".into(),
            mechanism: "People feel it is being done to them; their trust in the service, not only in the decision, drops".into(),
            outcome: "Disengagement and distrust of what replaces it, at least at first".into(),
            notes: String::new(),
            evidence: [
                find(0, "Nobody asked us."),
                find(1, "I found out from him, not from the service."),
                find(2, "The decision was made before we were asked."),
            ]
            .into_iter()
            .flatten()
            .collect(),
        };
        let mut c2 = Cmo {
            theory: "Engagement before a funding change".into(),
            name: "C2: being remembered".into(),
            context: "A new, lower-cost service staffed partly by peer workers".into(),
            mechanism: "Being remembered and heard from one visit to the next rebuilds trust".into(),
            outcome: "Regular attendance and fewer out-of-hours crisis presentations for those who come".into(),
            notes: String::new(),
            evidence: [
                find(
                    0,
                    "one of the peer workers remembered my name and what I had said the time before",
                ),
                find(0, "I have not been to A&E since the spring."),
            ]
            .into_iter()
            .flatten()
            .collect(),
        };
        self.save_qual_cmo(&system, &id, None, &c1).await?;
        let c2_id = self.save_qual_cmo(&system, &id, None, &c2).await?;
        // Refined once the clinician's interview was coded: it does not reach everyone.
        if let Some(mut refute) = find(
            2,
            "the people who never came to the day service still fall through the gaps",
        ) {
            refute.stance = Stance::Refutes;
            refute.note = "Not for people who were never connected".into();
            c2.evidence.push(refute);
            c2.outcome
                .push_str(", but not for people who were never connected to the service");
            self.save_qual_cmo(&system, &id, Some(&c2_id), &c2).await?;
        }
        let view = self.qual_project(&system, &id).await?;
        if let (Some(p), Some(code)) = (
            view.participants.first(),
            view.codebook.codes.iter().find(|c| c.name == "Cognitive participation"),
        ) {
            self.save_qual_matrix_cell(
                &system,
                &id,
                &p.id,
                &code.guid,
                "Distrust first; engaged once remembered by a peer worker.",
            )
            .await?;
        }
        Ok(Some(id))
    }
}
