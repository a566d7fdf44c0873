//! The demo's vignettes and decision study: two composite cases reviewed by a panel (a service
//! user, a carer, clinicians, a commissioner) with comments, a second version and approvals, and
//! a study with a factorial variant (housing) answered by twelve synthetic clinicians, two of
//! whom stopped half-way. Every word and answer is invented for the demo.

use cocare_core::{Actor, OrganisationId};
use cocare_vignettes::vignette::Body;

use crate::vignettes::{FactorForm, StudyForm};
use crate::{App, AppError, DEFAULT_K};

const RESEARCHER: &str = "riley";
const STUDY: &str = "How clinicians decide on the complex-needs pathway (demo)";
const HOUSING_APPROVED: &str = "lives alone in a council flat";
const HOUSING_ROUGH: &str = "has been sleeping rough since the spring";

fn jo(version: u8) -> Body {
    let middle = if version == 1 {
        "She has been admitted to hospital twice in two years, once under the Mental Health Act."
    } else {
        "She has been admitted to hospital twice in two years, once under the Mental Health Act, and says the second admission felt like a punishment rather than help."
    };
    Body {
        title: "Jo, a woman in her thirties with repeated crises".into(),
        story: format!(
            "Jo is a woman in her thirties who {HOUSING_APPROVED}. She has a diagnosis of emotionally unstable personality disorder and has used the crisis team many times in the last year, mostly late at night. {middle}\n\nShe sees a care coordinator every few weeks but often misses appointments when things are bad. She says nobody listens until she is in crisis. Her sister helps when she can but lives two hours away."
        ),
        facts: r#"{"as_of": "2025-12-31", "sex": "female", "age": {"min": 30, "max": 49}, "spells": {"min": 1}}"#
            .into(),
        themes: Vec::new(),
    }
}

fn dan() -> Body {
    Body {
        title: "Dan, a young man detained twice".into(),
        story: "Dan is a man in his twenties who lives with his mother. He has a diagnosis of schizophrenia and has been detained under the Mental Health Act twice, both times after the police were called to the family home.\n\nBetween admissions he stops his medication within a few weeks, saying it makes him feel slowed down. He has had contact with the police, A&E and a housing officer in the last year. His mother is worn out and frightened of the next crisis.".into(),
        facts: r#"{"as_of": "2025-12-31", "sex": "male", "age": {"min": 18, "max": 39}}"#.into(),
        themes: Vec::new(),
    }
}

const REASONS: [&str; 6] = [
    "Several crises in a year and no stable plan between them: the pathway would give her one team to hold it.",
    "I would want to know more first; a lot of this could be met by the community team with better crisis planning.",
    "Housing is the first problem to solve. Without somewhere safe to stay nothing else will hold.",
    "The family are carrying most of the risk. The pathway would bring carers into the planning.",
    "Risk is high but the pattern is familiar; I would offer psychology and peer support before a new pathway.",
    "He disengages after discharge every time, so assertive follow-up matters more than the label.",
];

impl App {
    /// Seeds the demo's vignettes and study once (after the demo's records are imported, so the
    /// check against the records can run). Returns the study's id when it seeded.
    pub async fn seed_vignette_demo(&self, organisation: OrganisationId) -> Result<Option<String>, AppError> {
        let Some(account) = self.store.account_by_username(RESEARCHER).await? else {
            return Ok(None);
        };
        let Some(researcher) = self.actor(account.id).await? else {
            return Ok(None);
        };
        let workspace = self.vignette_workspace(&researcher).await?;
        if workspace.vignettes.iter().any(|v| v.title == jo(1).title) {
            return Ok(None);
        }
        let _ = organisation;
        let panel = [
            ("sam", "service_user"),
            ("casey", "carer"),
            ("alex", "clinician"),
            ("taylor", "clinician"),
            ("kim", "commissioner"),
        ];
        for (username, category) in panel {
            self.save_panel_member(&researcher, username, category).await?;
        }
        let actor_of = |username: &'static str| async move {
            let account = self
                .store
                .account_by_username(username)
                .await?
                .ok_or(AppError::NotFound)?;
            self.actor(account.id).await?.ok_or(AppError::NotFound)
        };
        let sam: Actor = actor_of("sam").await?;
        let casey: Actor = actor_of("casey").await?;
        let alex: Actor = actor_of("alex").await?;
        let kim: Actor = actor_of("kim").await?;

        // Jo: drafted, commented on, rewritten, then approved.
        let jo_id = self.create_vignette(&researcher, None, &jo(1), DEFAULT_K).await?;
        self.comment_on_vignette(
            &sam,
            &jo_id,
            "once under the Mental Health Act",
            "Say how it felt to her, not only what happened. Being sectioned is not just a fact in a record.",
            "",
        )
        .await?;
        self.comment_on_vignette(
            &casey,
            &jo_id,
            "Her sister helps when she can",
            "Carers are often the ones ringing at night. It would be good to see that the sister is worried too.",
            "",
        )
        .await?;
        self.approve_vignette(&alex, &jo_id, 1, true).await?;
        let (version, _) = self
            .edit_vignette(
                &researcher,
                &jo_id,
                1,
                &jo(2),
                "Added how the admission felt to her, after the panel's comments",
                DEFAULT_K,
            )
            .await?;
        for who in [&sam, &casey, &alex, &kim] {
            self.approve_vignette(who, &jo_id, version, true).await?;
        }
        // Dan: approved as first written.
        let dan_id = self.create_vignette(&researcher, None, &dan(), DEFAULT_K).await?;
        self.comment_on_vignette(
            &alex,
            &dan_id,
            "stops his medication",
            "Worth keeping: side effects are the reason most people give us.",
            "",
        )
        .await?;
        for who in [&sam, &casey, &alex] {
            self.approve_vignette(who, &dan_id, 1, true).await?;
        }

        // The study: Jo's housing varied at random.
        let mut factors = std::collections::BTreeMap::new();
        factors.insert(
            jo_id.clone(),
            FactorForm {
                name: "housing".into(),
                reference_label: "council flat".into(),
                reference_text: HOUSING_APPROVED.into(),
                levels: format!("sleeping rough = {HOUSING_ROUGH}"),
            },
        );
        let form = StudyForm {
            title: STUDY.into(),
            vignettes: vec![jo_id.clone(), dan_id.clone()],
            items: crate::vignettes::DEFAULT_ITEMS.into(),
            factors,
            seed: Some(2026),
        };
        let study = self.create_study(&researcher, &form).await?;
        self.set_study_status(&researcher, &study, "open").await?;
        let links = self.invite_to_study(&researcher, &study, "Clinician", 12).await?;
        let view = self.study(&researcher, &study).await?;
        for link in &links {
            let n = link.number.unsigned_abs();
            let assignment = view.definition.assignment(n);
            let mut answers = Vec::new();
            for (v, vignette) in view.definition.vignettes.iter().enumerate() {
                let rough = assignment.levels.get(v).and_then(|l| l.first()).copied() == Some(1);
                // A made-up pattern: sleeping rough makes a referral likelier.
                let refer = if rough { n % 4 != 0 } else { n % 3 == 0 };
                let pick = |list: &[&'static str], i: usize| list.get(i % list.len()).copied().unwrap_or_default();
                let risk = pick(&["moderate", "high", "moderate", "low"], n as usize + v);
                let first = pick(
                    &[
                        "care coordination",
                        "crisis team",
                        "housing support",
                        "psychology",
                        "peer support",
                    ],
                    n as usize * 3 + v + usize::from(rough) * 2,
                );
                let confidence = 3 + (n + v as u64) % 4;
                let reason = pick(&REASONS, n as usize + v * 2);
                for (item, answer) in [
                    ("refer", if refer { "yes" } else { "no" }.to_string()),
                    ("risk", risk.to_string()),
                    ("first_service", first.to_string()),
                    ("confidence", confidence.to_string()),
                    ("reasons", reason.to_string()),
                ] {
                    answers.push((vignette.vignette.clone(), item.to_string(), answer));
                }
            }
            if n >= 10 {
                // Two clinicians answered the first case only and left; their answers are kept.
                let first = view.definition.vignettes.first().map(|v| v.vignette.clone());
                answers.retain(|(v, _, _)| Some(v) == first.as_ref());
                self.respond(&link.token, &answers, false).await?;
            } else {
                self.respond(&link.token, &answers, true).await?;
            }
        }
        Ok(Some(study))
    }
}
