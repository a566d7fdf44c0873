//! Vignettes and clinician decision studies (PRODUCT.md, module 6).
//!
//! Researchers draft vignettes from saved cohorts, check them against the records (the *k*
//! check, on the pseudonymised analytic store), choose the review panel and its approval rule,
//! and build decision studies from approved vignettes. The panel's members read, comment on and
//! approve vignettes that passed the check, and never see records. Respondents answer through a
//! single-use link, see only their own answers, and may pause and come back.

use std::collections::BTreeMap;

use cocare_core::{AccountId, Actor, OrganisationId};
use cocare_policy::{Action, Permit, Resource, decide};
use cocare_store::{
    AnswerRow, ApprovalRow, CommentRow, InvitationRow, NewVersion, PanelMemberRow, StudyRow, VersionRow, WriteTxn,
};
use cocare_vignettes::facts::{Facts, KCheck};
use cocare_vignettes::study::{self, Analysis, Definition, Response};
use cocare_vignettes::vignette::{self, ApprovalRule, Body, Composite, RuleStatus, Span};
use serde::Serialize;

use crate::error::Checks;
use crate::records::engine_error;
use crate::{App, AppError, FieldError};

/// The *k* the check asks for unless the researcher sets another.
pub const DEFAULT_K: u64 = 5;

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn unexpected(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("{what}: {e}"))
}

/// One version, read.
#[derive(Debug, Clone)]
pub struct VignetteVersion {
    pub version: i64,
    pub body: Body,
    pub note: String,
    pub check: Option<KCheck>,
    pub check_passes: bool,
    pub created_at: String,
    pub created_by: String,
}

fn version_view(row: &VersionRow) -> Result<VignetteVersion, AppError> {
    let body: Body = serde_json::from_str(&row.body_json).map_err(|e| unexpected("stored vignette", e))?;
    let check = row
        .check_json
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| unexpected("stored k check", e))?;
    Ok(VignetteVersion {
        version: row.version,
        body,
        note: row.note.clone(),
        check,
        check_passes: row.check_passes,
        created_at: row.created_at.clone(),
        created_by: row.created_by.clone(),
    })
}

/// A vignette in a list.
#[derive(Debug, Clone)]
pub struct VignetteSummary {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub check_passes: bool,
    pub approved: bool,
    pub approvals: u32,
}

/// A comment with where its passage is now.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub row: CommentRow,
    /// Whether the passage is still in the current story.
    pub found: bool,
}

/// Everything the vignette page shows.
#[derive(Debug, Clone)]
pub struct VignetteView {
    pub id: String,
    pub cohort: Option<String>,
    pub versions: Vec<VignetteVersion>,
    pub comments: Vec<CommentView>,
    /// Approvals of the current version.
    pub approvals: Vec<ApprovalRow>,
    /// Whether earlier versions had approvals that an edit reset.
    pub approvals_reset: bool,
    pub rule: ApprovalRule,
    pub status: RuleStatus,
    /// What changed from the previous version, word by word.
    pub diff: Vec<Span>,
    pub can_manage: bool,
    /// The viewer's panel category, when they are on the panel.
    pub my_category: Option<String>,
    pub i_approved: bool,
    /// Interviews about the vignette (researchers only).
    pub interviews: Vec<InterviewLink>,
}

impl VignetteView {
    pub fn current(&self) -> Option<&VignetteVersion> {
        self.versions.last()
    }
}

/// The researcher's overview.
#[derive(Debug, Clone)]
pub struct VignetteWorkspace {
    pub vignettes: Vec<VignetteSummary>,
    pub studies: Vec<StudySummary>,
    pub panel: Vec<PanelMemberRow>,
    pub rule: ApprovalRule,
    pub cohorts: Vec<cocare_store::CohortSummary>,
    pub can_manage: bool,
}

#[derive(Debug, Clone)]
pub struct StudySummary {
    pub id: String,
    pub title: String,
    pub status: String,
    pub vignettes: usize,
}

/// A study with its invitations.
#[derive(Debug, Clone)]
pub struct StudyView {
    pub row: StudyRow,
    pub definition: Definition,
    pub invitations: Vec<InvitationRow>,
}

impl StudyView {
    pub fn submitted(&self) -> usize {
        self.invitations.iter().filter(|i| i.submitted_at.is_some()).count()
    }

    pub fn started(&self) -> usize {
        self.invitations
            .iter()
            .filter(|i| i.started_at.is_some() && i.submitted_at.is_none())
            .count()
    }
}

/// The form for a study: its title, chosen vignettes, questions and factorial attributes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StudyForm {
    pub title: String,
    /// The chosen vignettes' ids.
    pub vignettes: Vec<String>,
    /// Questions, one per line: `name | question | answer type`, where the answer type is
    /// `yes/no`, `scale 1-7`, `text` or `choice: a; b; c`.
    pub items: String,
    /// Per vignette id: attribute name, the approved words (the first level's label and text),
    /// and the other levels one per line as `label = words`.
    pub factors: BTreeMap<String, FactorForm>,
    /// The randomisation seed; drawn at random when not given (the demo and tests give one).
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FactorForm {
    pub name: String,
    pub reference_label: String,
    pub reference_text: String,
    pub levels: String,
}

impl StudyForm {
    /// The form as a saved study fills it in (for changing a draft).
    pub fn from_definition(def: &Definition) -> StudyForm {
        let items = def
            .items
            .iter()
            .map(|i| {
                let kind = match &i.answer {
                    study::Answer::YesNo => "yes/no".to_string(),
                    study::Answer::Text => "text".to_string(),
                    study::Answer::Scale { min, max } => format!("scale {min}-{max}"),
                    study::Answer::Choice { options } => format!("choice: {}", options.join("; ")),
                };
                format!("{} | {} | {kind}", i.id, i.prompt)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let factors = def
            .vignettes
            .iter()
            .filter_map(|v| {
                let f = v.factors.first()?;
                let first = f.levels.first()?;
                Some((
                    v.vignette.clone(),
                    FactorForm {
                        name: f.name.clone(),
                        reference_label: first.label.clone(),
                        reference_text: first.text.clone(),
                        levels: f
                            .levels
                            .iter()
                            .skip(1)
                            .map(|l| format!("{} = {}", l.label, l.text))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    },
                ))
            })
            .collect();
        StudyForm {
            title: def.title.clone(),
            vignettes: def.vignettes.iter().map(|v| v.vignette.clone()).collect(),
            items,
            factors,
            seed: Some(def.seed),
        }
    }
}

/// The standard questions, for a new study's form.
pub const DEFAULT_ITEMS: &str = "refer | Would you refer this person to the complex-needs pathway? | yes/no\n\
risk | What level of risk would you record? | choice: low; moderate; high\n\
first_service | What is the first service you would offer? | choice: care coordination; crisis team; psychology; housing support; peer support\n\
confidence | How confident are you in these decisions? (1 = not at all, 7 = completely) | scale 1-7\n\
reasons | In your own words, why? | text";

/// Reads the questions' lines; problems name the line.
pub fn parse_items(text: &str) -> Result<Vec<study::Item>, Vec<FieldError>> {
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let [id, prompt, kind] = parts.as_slice() else {
            problems.push(FieldError::new(
                "items",
                format!("Question line {}: write name | question | answer type", n + 1),
            ));
            continue;
        };
        let lower = kind.to_ascii_lowercase();
        let answer = if lower == "yes/no" || lower == "yes_no" {
            study::Answer::YesNo
        } else if lower == "text" {
            study::Answer::Text
        } else if let Some(range) = lower.strip_prefix("scale") {
            let bounds: Vec<Option<i64>> = range.trim().split('-').map(|b| b.trim().parse().ok()).collect();
            match bounds.as_slice() {
                [Some(min), Some(max)] => study::Answer::Scale { min: *min, max: *max },
                _ => {
                    problems.push(FieldError::new(
                        "items",
                        format!("Question line {}: write a scale as \u{201c}scale 1-7\u{201d}", n + 1),
                    ));
                    continue;
                }
            }
        } else if let Some(options) = kind.strip_prefix("choice:").or_else(|| kind.strip_prefix("Choice:")) {
            study::Answer::Choice {
                options: options
                    .split(';')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(String::from)
                    .collect(),
            }
        } else {
            problems.push(FieldError::new(
                "items",
                format!(
                    "Question line {}: the answer type \u{201c}{kind}\u{201d} is not one of yes/no, scale 1-7, text, choice: a; b",
                    n + 1
                ),
            ));
            continue;
        };
        items.push(study::Item {
            id: (*id).to_string(),
            prompt: (*prompt).to_string(),
            answer,
        });
    }
    if problems.is_empty() { Ok(items) } else { Err(problems) }
}

/// An interview (a workbench source) about a vignette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewLink {
    /// `project/source`, as the form sends it.
    pub key: String,
    pub project: String,
    pub source: String,
    /// "Interview 3 (Decisions project)"; empty when the researcher is not a member.
    pub name: String,
}

/// A code from one of the researcher's workbench projects that a vignette can draw on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeChoice {
    /// `project/code`, as the form sends it.
    pub key: String,
    pub theme: vignette::Theme,
}

/// What a respondent sees through their link.
#[derive(Debug, Clone)]
pub struct RespondView {
    pub study_title: String,
    pub label: String,
    /// The vignettes in this respondent's order: (id, title, the story as shown).
    pub vignettes: Vec<(String, String, String)>,
    pub items: Vec<study::Item>,
    /// Their own answers so far: (vignette, item) → answer.
    pub answers: BTreeMap<(String, String), String>,
}

impl RespondView {
    pub fn answered(&self) -> usize {
        self.answers.len()
    }

    pub fn total(&self) -> usize {
        self.vignettes.len() * self.items.len()
    }
}

/// A new invitation's link token (shown once) and label.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub number: i64,
    pub label: String,
    pub token: String,
}

/// A version ready to store.
struct Prepared {
    body_json: String,
    check_json: Option<String>,
    passes: bool,
}

impl Prepared {
    fn version<'a>(&'a self, note: &'a str) -> NewVersion<'a> {
        NewVersion {
            body_json: &self.body_json,
            note,
            check_json: self.check_json.as_deref(),
            check_passes: self.passes,
        }
    }
}

fn respondent_actor() -> Actor {
    Actor::system("study-link")
}

impl App {
    async fn vignette_scope(&self, actor: &Actor) -> Result<(OrganisationId, Permit), AppError> {
        self.records_scope(actor, Action::ManageVignettes).await
    }

    /// The organisation a panel member reviews for, and a permit covering the panel.
    async fn panel_scope(&self, actor: &Actor, tx: &mut WriteTxn) -> Result<(OrganisationId, Permit), AppError> {
        let organisation = actor
            .grants
            .iter()
            .find(|g| cocare_policy::role_may(g.role, Action::ReviewVignettes))
            .map(|g| g.organisation)
            .ok_or(AppError::Forbidden)?;
        let scope = tx.vignette_panel_scope(organisation).await?;
        let permit = decide(actor, Action::ReviewVignettes, &Resource::Panel(&scope))?;
        Ok((organisation, permit))
    }

    /// The rule the group set, or the default (a service user, a carer and a clinician).
    async fn rule_of(tx: &mut WriteTxn, organisation: OrganisationId) -> Result<ApprovalRule, AppError> {
        match tx.vignette_rule(organisation).await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| unexpected("stored approval rule", e)),
            None => Ok(ApprovalRule::default_rule()),
        }
    }

    /// Runs the *k* check of a facts document over the organisation's records.
    pub(crate) async fn k_check(&self, organisation: OrganisationId, facts: &str, k: u64) -> Result<KCheck, AppError> {
        let facts = Facts::from_json(facts).map_err(|errors| {
            AppError::Validation(
                errors
                    .iter()
                    .map(|e| FieldError::new("facts", crate::error::capitalise(&e.to_string())))
                    .collect(),
            )
        })?;
        let engine = self
            .records
            .vignettes
            .as_ref()
            .ok_or_else(|| AppError::Unavailable("this server was started without the analytic engine".into()))?;
        let profile = engine.profile(organisation.to_string()).await.map_err(engine_error)?;
        let as_of_year = facts.as_of_year(profile.last_day);
        cocare_vignettes::facts::check(&profile.profile, &facts, k, as_of_year)
            .map_err(|e| AppError::Validation(vec![FieldError::new("k", crate::error::capitalise(&e.to_string()))]))
    }

    /// What a vignette can draw on from the researcher's own workbench projects (members only,
    /// as the workbench's policy says): codes with coded passages, as themes, and sources, as
    /// interviews about it. Each project is read once.
    pub async fn workbench_choices(&self, actor: &Actor) -> Result<(Vec<ThemeChoice>, Vec<InterviewLink>), AppError> {
        let projects = match self.qual_projects(actor).await {
            Ok(p) => p,
            Err(AppError::Forbidden) => return Ok((Vec::new(), Vec::new())),
            Err(e) => return Err(e),
        };
        let (mut themes, mut interviews) = (Vec::new(), Vec::new());
        for summary in projects {
            let view = self.qual_project(actor, &summary.id).await?;
            for code in &view.codebook.codes {
                let segments = view.code_counts.get(&code.guid).copied().unwrap_or(0);
                if segments > 0 {
                    themes.push(ThemeChoice {
                        key: format!("{}/{}", summary.id, code.guid),
                        theme: vignette::Theme {
                            project: summary.id.clone(),
                            code: code.guid.clone(),
                            name: format!("{} ({})", code.name, summary.name),
                            segments: segments as u64,
                            summary: String::new(),
                        },
                    });
                }
            }
            for source in &view.sources {
                interviews.push(InterviewLink {
                    key: format!("{}/{}", summary.id, source.id),
                    project: summary.id.clone(),
                    source: source.id.clone(),
                    name: format!("{} ({})", source.name, summary.name),
                });
            }
        }
        Ok((themes, interviews))
    }

    /// Links an interview (one of the researcher's workbench sources) to a vignette, or unlinks it.
    pub async fn link_vignette_interview(
        &self,
        actor: &Actor,
        id: &str,
        key: &str,
        linked: bool,
    ) -> Result<(), AppError> {
        let (project, source) = key.split_once('/').unwrap_or_default();
        if linked && !self.workbench_choices(actor).await?.1.iter().any(|c| c.key == key) {
            return Err(AppError::Validation(vec![FieldError::new(
                "interview",
                "Choose an interview from your workbench projects.",
            )]));
        }
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        tx.vignette(&permit, organisation, id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.set_vignette_interview(&permit, id, project, source, linked).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The themes chosen on the form (`project/code` keys, each with the researcher's summary in
    /// their own words), each checked against the choices.
    pub async fn resolve_themes(
        &self,
        actor: &Actor,
        chosen: &[(String, String)],
    ) -> Result<Vec<vignette::Theme>, AppError> {
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let choices = self.workbench_choices(actor).await?.0;
        chosen
            .iter()
            .map(|(key, summary)| {
                let choice = choices.iter().find(|c| &c.key == key).ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(
                        "themes",
                        "Choose themes from your workbench projects' coded interviews.",
                    )])
                })?;
                Ok(vignette::Theme {
                    summary: summary.trim().chars().take(2000).collect(),
                    ..choice.theme.clone()
                })
            })
            .collect()
    }

    /// The check as the researcher previews it (nothing saved; the run is audited).
    pub async fn check_vignette_facts(&self, actor: &Actor, facts: &str, k: u64) -> Result<KCheck, AppError> {
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let check = self.k_check(organisation, facts, k).await?;
        let mut tx = self.store.begin_write().await?;
        tx.audit_analysis(&permit, "vignette-facts:k-check").await?;
        tx.commit().await?;
        Ok(check)
    }

    /// A composite case proposed from a saved cohort (its disclosure-controlled characterisation).
    pub async fn draft_vignette_from_cohort(&self, actor: &Actor, cohort: &str) -> Result<Composite, AppError> {
        self.vignette_scope(actor).await?;
        let (_, report) = self.characterise_cohort(actor, cohort, None).await?;
        Ok(vignette::composite(&report))
    }

    pub async fn vignette_workspace(&self, actor: &Actor) -> Result<VignetteWorkspace, AppError> {
        let can_manage = cocare_policy::actor_may(actor, Action::ManageVignettes);
        let mut tx = self.store.begin_write().await?;
        let (organisation, permit) = if can_manage {
            self.vignette_scope(actor).await?
        } else {
            self.panel_scope(actor, &mut tx).await?
        };
        let rule = Self::rule_of(&mut tx, organisation).await?;
        let rows = tx.vignettes(&permit, organisation).await?;
        let approvals = tx.current_vignette_approvals(&permit, organisation).await?;
        let mut vignettes = Vec::with_capacity(rows.len());
        for (row, version) in rows {
            // The panel sees only vignettes that passed the check.
            if !can_manage && !version.check_passes {
                continue;
            }
            let body = version_view(&version)?.body;
            let status = rule.status(
                approvals
                    .iter()
                    .filter(|(v, _)| *v == row.id)
                    .map(|(_, category)| category.as_str()),
            );
            vignettes.push(VignetteSummary {
                id: row.id,
                title: body.title,
                version: row.current_version,
                check_passes: version.check_passes,
                approved: status.met && version.check_passes,
                approvals: status.approvals,
            });
        }
        let panel = tx.vignette_panel(&permit, organisation).await?;
        let (studies, cohorts) = if can_manage {
            let studies = tx
                .studies(&permit, organisation)
                .await?
                .into_iter()
                .map(|s| {
                    let def: Definition =
                        serde_json::from_str(&s.definition_json).map_err(|e| unexpected("stored study", e))?;
                    Ok(StudySummary {
                        id: s.id,
                        title: def.title,
                        status: s.status,
                        vignettes: def.vignettes.len(),
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let research = decide(actor, Action::AnalyseRecords, &Resource::Organisation(organisation));
            let cohorts = match research {
                Ok(p) => tx.cohorts(&p, organisation).await?,
                Err(_) => Vec::new(),
            };
            (studies, cohorts)
        } else {
            (Vec::new(), Vec::new())
        };
        tx.commit().await?;
        Ok(VignetteWorkspace {
            vignettes,
            studies,
            panel,
            rule,
            cohorts,
            can_manage,
        })
    }

    fn check_body(body: &Body) -> Result<(), AppError> {
        let mut checks = Checks::default();
        for (field, message) in vignette::validate(body) {
            checks.fail(field, message);
        }
        checks.finish()
    }

    /// The check for a body about to be saved: its JSON and whether it passes. No records yet is
    /// not an error (the draft is kept) but the vignette cannot be shared until it passes.
    async fn check_for_save(
        &self,
        organisation: OrganisationId,
        body: &Body,
        k: u64,
    ) -> Result<Option<KCheck>, AppError> {
        match self.k_check(organisation, &body.facts, k).await {
            Ok(check) => Ok(Some(check)),
            Err(AppError::Conflict(_) | AppError::Unavailable(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// A body checked, its k check run, both as JSON for the store.
    async fn prepare_version(
        &self,
        actor: &Actor,
        body: &Body,
        k: u64,
    ) -> Result<(OrganisationId, Permit, Prepared), AppError> {
        Self::check_body(body)?;
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let check = self.check_for_save(organisation, body, k).await?;
        let prepared = Prepared {
            body_json: serde_json::to_string(body).map_err(anyhow::Error::new)?,
            check_json: check
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(anyhow::Error::new)?,
            passes: check.as_ref().is_some_and(|c| c.passes),
        };
        Ok((organisation, permit, prepared))
    }

    /// Starts a vignette; the *k* check runs on its facts.
    pub async fn create_vignette(
        &self,
        actor: &Actor,
        cohort: Option<&str>,
        body: &Body,
        k: u64,
    ) -> Result<String, AppError> {
        let (organisation, permit, prepared) = self.prepare_version(actor, body, k).await?;
        let id = new_id();
        let mut tx = self.store.begin_write().await?;
        tx.create_vignette(
            &permit,
            organisation,
            &id,
            cohort.filter(|c| !c.is_empty()),
            &prepared.version("First draft"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A new version from `expected` (the version the researcher edited); the check runs again,
    /// and approvals start again. Returns the new version and whether approvals were reset.
    pub async fn edit_vignette(
        &self,
        actor: &Actor,
        id: &str,
        expected: i64,
        body: &Body,
        note: &str,
        k: u64,
    ) -> Result<(i64, bool), AppError> {
        let (organisation, permit, prepared) = self.prepare_version(actor, body, k).await?;
        let mut tx = self.store.begin_write().await?;
        tx.vignette(&permit, organisation, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let had_approvals = tx
            .vignette_approvals(&permit, id)
            .await?
            .iter()
            .any(|a| a.version == expected);
        let version = tx
            .save_vignette_version(
                &permit,
                organisation,
                id,
                expected,
                &prepared.version(note.trim()),
            )
            .await
            .map_err(|e| match e {
                cocare_store::StoreError::Conflict(_) => AppError::Conflict(
                    "Someone saved a newer version of this vignette while you were editing; your text is below: compare it with the newer version and save again.".into(),
                ),
                other => other.into(),
            })?;
        tx.commit().await?;
        Ok((version, had_approvals))
    }

    /// One vignette for its researcher or a panel member (who sees it only once it passed).
    pub async fn vignette(&self, actor: &Actor, id: &str) -> Result<VignetteView, AppError> {
        let can_manage = cocare_policy::actor_may(actor, Action::ManageVignettes);
        let mut tx = self.store.begin_write().await?;
        let (organisation, permit) = if can_manage {
            self.vignette_scope(actor).await?
        } else {
            self.panel_scope(actor, &mut tx).await?
        };
        let (row, versions) = tx
            .vignette(&permit, organisation, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let versions = versions.iter().map(version_view).collect::<Result<Vec<_>, _>>()?;
        let current = versions.last().ok_or(AppError::NotFound)?;
        if !can_manage && !current.check_passes {
            return Err(AppError::NotFound);
        }
        let comments = tx.vignette_comments(&permit, id).await?;
        let all_approvals = tx.vignette_approvals(&permit, id).await?;
        let rule = Self::rule_of(&mut tx, organisation).await?;
        let panel = tx.vignette_panel(&permit, organisation).await?;
        let linked = if can_manage {
            tx.vignette_interviews(&permit, id).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        let interviews = if linked.is_empty() {
            Vec::new()
        } else {
            let choices = self.workbench_choices(actor).await?.1;
            linked
                .into_iter()
                .map(|(project, source)| {
                    let key = format!("{project}/{source}");
                    let name = choices
                        .iter()
                        .find(|c| c.key == key)
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    InterviewLink {
                        key,
                        project,
                        source,
                        name,
                    }
                })
                .collect()
        };
        let me = actor.account_id();
        let my_category = panel.iter().find(|m| Some(m.account) == me).map(|m| m.category.clone());
        let approvals: Vec<ApprovalRow> = all_approvals
            .iter()
            .filter(|a| a.version == row.current_version)
            .cloned()
            .collect();
        let approvals_reset = all_approvals.iter().any(|a| a.version < row.current_version) && approvals.is_empty();
        let status = rule.status(approvals.iter().map(|a| a.category.as_str()));
        let diff = match versions.len() {
            0 | 1 => Vec::new(),
            n => versions
                .get(n - 2)
                .map(|before| vignette::diff(&before.body.story, &current.body.story))
                .unwrap_or_default(),
        };
        let story = current.body.story.clone();
        let i_approved = me.is_some_and(|me| approvals.iter().any(|a| a.account == me.to_string()));
        Ok(VignetteView {
            id: row.id,
            cohort: row.cohort,
            comments: comments
                .into_iter()
                .map(|c| CommentView {
                    found: c.passage.is_empty() || story.contains(&c.passage),
                    row: c,
                })
                .collect(),
            versions,
            approvals,
            approvals_reset,
            rule,
            status,
            diff,
            can_manage,
            my_category,
            i_approved,
            interviews,
        })
    }

    /// A comment anchored to a passage of the current version, with an optional suggested edit.
    pub async fn comment_on_vignette(
        &self,
        actor: &Actor,
        id: &str,
        passage: &str,
        body: &str,
        suggestion: &str,
    ) -> Result<(), AppError> {
        let view = self.vignette(actor, id).await?;
        let current = view.current().ok_or(AppError::NotFound)?;
        let mut checks = Checks::default();
        if !passage.trim().is_empty()
            && let Err(e) = vignette::anchor(&current.body.story, passage)
        {
            checks.fail("passage", e.to_string());
        }
        if body.trim().is_empty() && suggestion.trim().is_empty() {
            checks.fail("comment", "Write your comment, or a suggested wording.");
        }
        if body.chars().count() > 5000 || suggestion.chars().count() > 5000 {
            checks.fail("comment", "Keep the comment under 5,000 characters.");
        }
        checks.finish()?;
        let account = actor.account_id().ok_or(AppError::Forbidden)?;
        let mut tx = self.store.begin_write().await?;
        // Researchers comment too (their category is "researcher").
        let (_, permit) = if view.can_manage {
            self.vignette_scope(actor).await?
        } else {
            self.panel_scope(actor, &mut tx).await?
        };
        tx.add_vignette_comment(
            &permit,
            id,
            account,
            &CommentRow {
                id: new_id(),
                version: current.version,
                account: account.to_string(),
                author: String::new(),
                category: view.my_category.clone().unwrap_or_else(|| "researcher".into()),
                passage: passage.trim().to_string(),
                body: body.trim().to_string(),
                suggestion: suggestion.trim().to_string(),
                created_at: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approves (or withdraws approval of) the version the member read; a newer version means
    /// they must read it first.
    pub async fn approve_vignette(&self, actor: &Actor, id: &str, version: i64, approve: bool) -> Result<(), AppError> {
        let view = self.vignette(actor, id).await?;
        let category = view.my_category.clone().ok_or_else(|| {
            AppError::Conflict(
                "Only members of the review panel approve vignettes; ask the researcher to add you.".into(),
            )
        })?;
        let current = view.current().ok_or(AppError::NotFound)?;
        if current.version != version {
            return Err(AppError::Conflict(format!(
                "The vignette has changed since you read it (now version {}); read the new version before approving.",
                current.version
            )));
        }
        if !current.check_passes {
            return Err(AppError::Conflict(
                "This version has not passed the check against the records, so it cannot be approved.".into(),
            ));
        }
        let account = actor.account_id().ok_or(AppError::Forbidden)?;
        let mut tx = self.store.begin_write().await?;
        let (_, permit) = self.panel_scope(actor, &mut tx).await?;
        tx.set_vignette_approval(&permit, id, version, account, &category, approve)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a signed-in person to the review panel (by user name) with their category.
    pub async fn save_panel_member(&self, actor: &Actor, username: &str, category: &str) -> Result<(), AppError> {
        let mut checks = Checks::default();
        if !vignette::CATEGORIES.iter().any(|(k, _)| *k == category) {
            checks.fail("category", "Choose the stakeholder category they speak for.");
        }
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let accounts = self.store.accounts_in(organisation).await?;
        let account_id = match accounts.iter().find(|a| a.username == username.trim() && !a.disabled) {
            Some(a) => Some(a.id),
            None => {
                checks.fail(
                    "username",
                    format!(
                        "No one with the user name \u{201c}{}\u{201d} has an account here.",
                        username.trim()
                    ),
                );
                None
            }
        };
        checks.finish()?;
        let account_id = account_id.ok_or(AppError::NotFound)?;
        let mut tx = self.store.begin_write().await?;
        tx.save_panel_member(&permit, organisation, account_id, category)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_panel_member(&self, actor: &Actor, account: AccountId) -> Result<(), AppError> {
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        tx.remove_panel_member(&permit, organisation, account).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the group's approval rule from `category = number` pairs.
    pub async fn save_approval_rule(&self, actor: &Actor, pairs: &[(String, String)]) -> Result<(), AppError> {
        let rule = ApprovalRule::from_pairs(pairs)
            .map_err(|p| AppError::Validation(p.into_iter().map(|(f, m)| FieldError::new(f, m)).collect()))?;
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let json = serde_json::to_string(&rule).map_err(anyhow::Error::new)?;
        let mut tx = self.store.begin_write().await?;
        tx.save_vignette_rule(&permit, organisation, &json).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Builds a study's definition from the form: only approved vignettes can be chosen.
    async fn definition_from(&self, actor: &Actor, form: &StudyForm, seed: u64) -> Result<Definition, AppError> {
        let mut errors = Vec::new();
        let items = match parse_items(&form.items) {
            Ok(items) => items,
            Err(mut e) => {
                errors.append(&mut e);
                Vec::new()
            }
        };
        let workspace = self.vignette_workspace(actor).await?;
        let mut vignettes = Vec::new();
        for id in &form.vignettes {
            let Some(summary) = workspace.vignettes.iter().find(|v| &v.id == id) else {
                errors.push(FieldError::new("vignettes", "Choose vignettes from the list."));
                continue;
            };
            if !summary.approved {
                errors.push(FieldError::new(
                    "vignettes",
                    format!(
                        "\u{201c}{}\u{201d} is not approved yet (version {}): it needs {}.",
                        summary.title,
                        summary.version,
                        workspace.rule.describe()
                    ),
                ));
                continue;
            }
            let view = self.vignette(actor, id).await?;
            let current = view.current().ok_or(AppError::NotFound)?;
            let factors = match form.factors.get(id) {
                Some(f) if !f.name.trim().is_empty() => {
                    let mut levels = vec![study::FactorLevel {
                        label: f.reference_label.trim().to_string(),
                        text: f.reference_text.trim().to_string(),
                    }];
                    for line in f.levels.lines().filter(|l| !l.trim().is_empty()) {
                        let (label, text) = line.split_once('=').unwrap_or((line, line));
                        levels.push(study::FactorLevel {
                            label: label.trim().to_string(),
                            text: text.trim().to_string(),
                        });
                    }
                    vec![study::Factor {
                        name: f.name.trim().to_string(),
                        levels,
                    }]
                }
                _ => Vec::new(),
            };
            vignettes.push(study::StudyVignette {
                vignette: id.clone(),
                version: current.version,
                title: current.body.title.clone(),
                story: current.body.story.clone(),
                factors,
            });
        }
        let definition = Definition {
            title: form.title.trim().to_string(),
            seed,
            items,
            vignettes,
        };
        for p in definition.validate() {
            let field = if p.field.starts_with("item-") {
                "items".to_string()
            } else if let Some(rest) = p.field.strip_prefix("factor-") {
                // factor-{index}-{name}: point at the vignette's attribute fieldset.
                let index: usize = rest.split('-').next().and_then(|i| i.parse().ok()).unwrap_or(0);
                definition
                    .vignettes
                    .get(index)
                    .map_or("vignettes".into(), |v| format!("factor_name_{}", v.vignette))
            } else {
                p.field.clone()
            };
            // The item problems from the parse already name their line.
            if !errors.iter().any(|e| e.message == p.message) {
                errors.push(FieldError::new(field, p.message));
            }
        }
        if errors.is_empty() {
            Ok(definition)
        } else {
            Err(AppError::Validation(errors))
        }
    }

    /// A new study in draft; the seed is drawn at random and kept, so randomisation can be
    /// reproduced.
    pub async fn create_study(&self, actor: &Actor, form: &StudyForm) -> Result<String, AppError> {
        let seed = match form.seed {
            Some(seed) => seed,
            None => {
                let mut bytes = [0u8; 8];
                getrandom::fill(&mut bytes).map_err(|e| unexpected("no randomness", e))?;
                u64::from_le_bytes(bytes) >> 12
            }
        };
        let definition = self.definition_from(actor, form, seed).await?;
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let json = serde_json::to_string(&definition).map_err(anyhow::Error::new)?;
        let id = new_id();
        let mut tx = self.store.begin_write().await?;
        tx.create_study(&permit, organisation, &id, &json).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a draft study (its seed is kept); an open or closed study is fixed.
    pub async fn update_study(&self, actor: &Actor, id: &str, form: &StudyForm) -> Result<(), AppError> {
        let view = self.study(actor, id).await?;
        if view.row.status != "draft" {
            return Err(AppError::Conflict(
                "The study has opened, so what it asks is fixed; build a new study to ask something else.".into(),
            ));
        }
        let definition = self.definition_from(actor, form, view.definition.seed).await?;
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let json = serde_json::to_string(&definition).map_err(anyhow::Error::new)?;
        let mut tx = self.store.begin_write().await?;
        let saved = tx.save_study_definition(&permit, organisation, id, &json).await?;
        tx.commit().await?;
        if saved {
            Ok(())
        } else {
            Err(AppError::Conflict(
                "The study opened while you were changing it, so what it asks is fixed.".into(),
            ))
        }
    }

    pub async fn study(&self, actor: &Actor, id: &str) -> Result<StudyView, AppError> {
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        let view = Self::study_in(&mut tx, &permit, organisation, id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A study and its invitations, read on a transaction the caller holds.
    async fn study_in(
        tx: &mut WriteTxn,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
    ) -> Result<StudyView, AppError> {
        let row = tx.study(permit, organisation, id).await?.ok_or(AppError::NotFound)?;
        let invitations = tx.study_invitations(permit, id).await?;
        let definition = serde_json::from_str(&row.definition_json).map_err(|e| unexpected("stored study", e))?;
        Ok(StudyView {
            row,
            definition,
            invitations,
        })
    }

    /// Opens a draft (checked again: every problem named) or closes an open study.
    pub async fn set_study_status(&self, actor: &Actor, id: &str, status: &str) -> Result<(), AppError> {
        if status != "open" && status != "closed" {
            return Err(AppError::Validation(vec![FieldError::new(
                "status",
                "Choose to open or to close the study.",
            )]));
        }
        let view = self.study(actor, id).await?;
        if status == "open" {
            let problems = view.definition.validate();
            if !problems.is_empty() {
                return Err(AppError::Validation(
                    problems
                        .into_iter()
                        .map(|p| FieldError::new("status", p.message))
                        .collect(),
                ));
            }
        }
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        let changed = tx.set_study_status(&permit, organisation, id, status).await?;
        tx.commit().await?;
        if changed {
            Ok(())
        } else {
            Err(AppError::Conflict(format!(
                "The study is {}; it cannot be {} now.",
                view.row.status,
                if status == "open" { "opened" } else { "closed" }
            )))
        }
    }

    /// Makes `count` single-use links labelled "{prefix} N" (numbered on from the study's
    /// earlier links; "Clinician" when no prefix is given); the tokens are shown once and only
    /// their hashes kept.
    pub async fn invite_to_study(
        &self,
        actor: &Actor,
        id: &str,
        prefix: &str,
        count: usize,
    ) -> Result<Vec<NewInvitation>, AppError> {
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        let view = Self::study_in(&mut tx, &permit, organisation, id).await?;
        let refused = if view.row.status == "closed" {
            Some(AppError::Conflict(
                "The study has closed; no one new can be invited.".into(),
            ))
        } else if count == 0 || count > 500 {
            Some(AppError::Validation(vec![FieldError::new(
                "count",
                "Make from 1 to 500 links at a time.",
            )]))
        } else {
            None
        };
        if let Some(refused) = refused {
            // The read stays in the audit log even though nothing is made.
            tx.commit().await?;
            return Err(refused);
        }
        let prefix = Some(prefix.trim()).filter(|p| !p.is_empty()).unwrap_or("Clinician");
        let start = view.invitations.len();
        let mut tokens = Vec::with_capacity(count);
        let mut rows = Vec::with_capacity(count);
        for i in 0..count {
            let label = format!("{prefix} {}", start + i + 1);
            let token = crate::secret::random_token()?;
            rows.push((label.clone(), crate::secret::token_hash(&token)));
            tokens.push((label, token));
        }
        let numbers = tx.add_study_invitations(&permit, id, &rows).await?;
        tx.commit().await?;
        Ok(numbers
            .into_iter()
            .zip(tokens)
            .map(|(number, (label, token))| NewInvitation { number, label, token })
            .collect())
    }

    async fn invitation(
        &self,
        tx: &mut WriteTxn,
        permit: &Permit,
        token: &str,
    ) -> Result<(StudyRow, InvitationRow, Definition), AppError> {
        let hash = crate::secret::token_hash(token);
        let (study, invitation) = tx.invitation_by_token(permit, &hash).await?.ok_or(AppError::NotFound)?;
        if invitation.submitted_at.is_some() {
            return Err(AppError::Conflict(
                "This link has already been used to send answers; thank you. Each link can be used once.".into(),
            ));
        }
        match study.status.as_str() {
            "open" => {}
            "closed" => {
                return Err(AppError::Conflict(
                    "This study has closed, so no more answers can be taken; thank you for your time.".into(),
                ));
            }
            _ => {
                return Err(AppError::Conflict(
                    "This study has not opened yet; please try the link again later.".into(),
                ));
            }
        }
        let definition = serde_json::from_str(&study.definition_json).map_err(|e| unexpected("stored study", e))?;
        Ok((study, invitation, definition))
    }

    /// The page behind a link: this respondent's vignettes in their order, and their answers.
    pub async fn respond_view(&self, token: &str) -> Result<RespondView, AppError> {
        let system = respondent_actor();
        let permit = decide(&system, Action::ManageVignettes, &Resource::Own)?;
        let mut tx = self.store.begin_write().await?;
        let (study, invitation, definition) = self.invitation(&mut tx, &permit, token).await?;
        let answers = tx.study_answers(&permit, &study.id, Some(invitation.number)).await?;
        tx.commit().await?;
        let assignment = definition.assignment(invitation.number.unsigned_abs());
        let vignettes = assignment
            .order
            .iter()
            .filter_map(|v| {
                let vignette = definition.vignettes.get(*v)?;
                let levels = assignment.levels.get(*v).cloned().unwrap_or_default();
                Some((
                    vignette.vignette.clone(),
                    vignette.title.clone(),
                    vignette.presented(&levels),
                ))
            })
            .collect();
        Ok(RespondView {
            study_title: definition.title.clone(),
            label: invitation.label,
            vignettes,
            items: definition.items,
            answers: answers.into_iter().map(|a| ((a.vignette, a.item), a.answer)).collect(),
        })
    }

    /// Keeps a respondent's answers (`(vignette, item, answer)`); with `submit`, every question
    /// but free text must be answered and the link is then used up. Answers that are fine are
    /// kept even when others need correcting, so nothing typed is lost.
    pub async fn respond(
        &self,
        token: &str,
        answers: &[(String, String, String)],
        submit: bool,
    ) -> Result<(), AppError> {
        let system = respondent_actor();
        let permit = decide(&system, Action::ManageVignettes, &Resource::Own)?;
        let mut tx = self.store.begin_write().await?;
        let (study, invitation, definition) = self.invitation(&mut tx, &permit, token).await?;
        let mut checks = Checks::default();
        let mut good = Vec::new();
        for (vignette, item, answer) in answers {
            let field = format!("a_{vignette}_{item}");
            let Some((_, v)) = definition.vignette(vignette) else {
                checks.fail(field, "This answer is for a vignette that is not in this study.");
                continue;
            };
            let Some(i) = definition.item(item) else {
                checks.fail(
                    field,
                    format!("There is no question \u{201c}{item}\u{201d} in this study."),
                );
                continue;
            };
            if answer.trim().is_empty() {
                continue;
            }
            match i.check(answer) {
                Ok(value) => good.push((v.vignette.clone(), i.id.clone(), value)),
                Err(message) => checks.fail(field, format!("{}: {message}", v.title)),
            }
        }
        tx.save_study_answers(&permit, &study.id, invitation.number, &good)
            .await
            .map_err(|e| match e {
                cocare_store::StoreError::Conflict(_) => {
                    AppError::Conflict("This link has already been used to send answers; thank you.".into())
                }
                other => other.into(),
            })?;
        if submit {
            let have = tx.study_answers(&permit, &study.id, Some(invitation.number)).await?;
            for v in &definition.vignettes {
                for item in definition.items.iter().filter(|i| i.answer != study::Answer::Text) {
                    let answered = have.iter().any(|a| a.vignette == v.vignette && a.item == item.id);
                    let field = format!("a_{}_{}", v.vignette, item.id);
                    if !answered && !checks.has(&field) {
                        checks.fail(field, format!("{}: answer \u{201c}{}\u{201d}", v.title, item.prompt));
                    }
                }
            }
        }
        // Answers that were fine are kept even if others need correcting.
        let outcome = checks.finish();
        if outcome.is_ok()
            && submit
            && !tx
                .submit_study_invitation(&permit, &study.id, invitation.number)
                .await?
        {
            return Err(AppError::Conflict(
                "This link has already been used to send answers; thank you.".into(),
            ));
        }
        tx.commit().await?;
        outcome
    }

    /// Answers and respondents of a study, for the analysis and the exports.
    async fn study_data(&self, actor: &Actor, id: &str) -> Result<(StudyView, Vec<AnswerRow>), AppError> {
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        let view = Self::study_in(&mut tx, &permit, organisation, id).await?;
        let answers = tx.study_answers(&permit, id, None).await?;
        tx.commit().await?;
        Ok((view, answers))
    }

    fn responses(answers: &[AnswerRow]) -> Vec<Response> {
        answers
            .iter()
            .map(|a| Response {
                respondent: a.number.unsigned_abs(),
                vignette: a.vignette.clone(),
                item: a.item.clone(),
                answer: a.answer.clone(),
            })
            .collect()
    }

    /// The analysis: distributions, agreement, the factorial effects and (when asked) logistic
    /// regressions, over every answer kept (submitted or not).
    pub async fn study_analysis(
        &self,
        actor: &Actor,
        id: &str,
        regression: bool,
    ) -> Result<(StudyView, Analysis), AppError> {
        let (view, answers) = self.study_data(actor, id).await?;
        let analysis = study::analyse(&view.definition, &Self::responses(&answers), regression);
        Ok((view, analysis))
    }

    /// `responses.csv` and `dictionary.csv`.
    pub async fn study_export(&self, actor: &Actor, id: &str) -> Result<(StudyView, String, String), AppError> {
        let (view, answers) = self.study_data(actor, id).await?;
        let respondents: Vec<study::Respondent> = view
            .invitations
            .iter()
            .filter(|i| i.started_at.is_some())
            .map(|i| study::Respondent {
                number: i.number.unsigned_abs(),
                label: i.label.clone(),
                status: if i.submitted_at.is_some() {
                    "submitted"
                } else {
                    "started"
                }
                .into(),
            })
            .collect();
        let responses = study::responses_csv(&view.row.id, &view.definition, &respondents, &Self::responses(&answers));
        let dictionary = study::dictionary_csv(&view.definition);
        Ok((view, responses, dictionary))
    }

    /// Sends the free-text reasons to a workbench project as one source per vignette, each
    /// reason a turn ("Respondent 3 (housing: sleeping rough): …"), ready to code.
    pub async fn study_reasons_to_workbench(&self, actor: &Actor, id: &str, project: &str) -> Result<usize, AppError> {
        let (view, analysis) = self.study_analysis(actor, id, false).await?;
        let mut sent = 0;
        for vignette in &view.definition.vignettes {
            let lines: Vec<String> = analysis
                .reasons
                .iter()
                .filter(|r| r.vignette == vignette.vignette)
                .map(|r| {
                    let who = if r.variant.is_empty() {
                        format!("Respondent {}", r.respondent + 1)
                    } else {
                        format!("Respondent {} ({})", r.respondent + 1, r.variant.replace(':', " ="))
                    };
                    format!("{who}: {}", r.text.replace(['\n', '\r'], " "))
                })
                .collect();
            if lines.is_empty() {
                continue;
            }
            let form = crate::SourceForm {
                name: format!(
                    "{}: reasons for \u{201c}{}\u{201d}",
                    view.definition.title, vignette.title
                ),
                kind: "transcript".into(),
                text: lines.join("\n"),
                participant: String::new(),
                description: format!(
                    "Free-text reasons from the decision study \u{201c}{}\u{201d} about vignette \u{201c}{}\u{201d} (version {}).",
                    view.definition.title, vignette.title, vignette.version
                ),
            };
            self.import_qual_source(actor, project, &form).await?;
            sent += 1;
        }
        if sent == 0 {
            return Err(AppError::Conflict("No free-text reasons have been given yet.".into()));
        }
        Ok(sent)
    }

    /// The methods summary: who co-produced what, the approvals, the response counts.
    pub async fn study_methods(&self, actor: &Actor, id: &str) -> Result<String, AppError> {
        let (organisation, permit) = self.vignette_scope(actor).await?;
        let mut tx = self.store.begin_write().await?;
        let view = Self::study_in(&mut tx, &permit, organisation, id).await?;
        let mut text = format!("# Methods: {}\n\n", view.definition.title);
        text.push_str(&format!(
            "Vignettes were drafted by the research team from saved cohorts of pseudonymised records as composite cases (typical values, never one person's), checked so that their quasi-identifying facts matched at least {DEFAULT_K} people in the records, and reviewed by a stakeholder panel.\n\n"
        ));
        for v in &view.definition.vignettes {
            let versions = tx
                .vignette(&permit, organisation, &v.vignette)
                .await?
                .map_or(0, |(_, versions)| versions.len());
            let comments = tx.vignette_comments(&permit, &v.vignette).await?.len();
            let approvals: Vec<String> = tx
                .vignette_approvals(&permit, &v.vignette)
                .await?
                .iter()
                .filter(|a| a.version == v.version)
                .map(|a| vignette::category_label(&a.category).to_lowercase())
                .collect();
            text.push_str(&format!(
                "- \u{201c}{}\u{201d} (version {} of {}): {} comments from the panel; approved by {} ({}).",
                v.title,
                v.version,
                versions,
                comments,
                approvals.len(),
                approvals.join(", ")
            ));
            for f in &v.factors {
                text.push_str(&format!(
                    " Factorial attribute {}: {} (assigned at random in permuted blocks).",
                    f.name,
                    f.levels
                        .iter()
                        .map(|l| l.label.as_str())
                        .collect::<Vec<_>>()
                        .join(" / ")
                ));
            }
            text.push('\n');
        }
        text.push_str(&format!(
            "\nThe order of the vignettes was randomised for each respondent (seed {}). Invitations were sent as single-use links: {} invited, {} submitted, {} started but did not submit.\n\nQuestions asked of each vignette:\n",
            view.definition.seed,
            view.invitations.len(),
            view.submitted(),
            view.started()
        ));
        for item in &view.definition.items {
            text.push_str(&format!(
                "- {} ({}): {}\n",
                item.id,
                item.answer.describe(),
                item.prompt
            ));
        }
        text.push_str("\nAgreement between clinicians: Fleiss' kappa (respondents who answered every vignette) and Krippendorff's alpha (all answers; ordinal for scales). Effects of factorial attributes: difference in proportions with a Wald 95% confidence interval; logistic regression with odds ratios and Wald intervals.\n");
        tx.commit().await?;
        Ok(text)
    }
}
