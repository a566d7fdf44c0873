//! The qualitative workbench (PRODUCT.md, module 5): projects whose words only their members
//! see, sources and transcripts, codebooks and ready frames, coding by several coders, memos,
//! retrieval, search, co-occurrence and framework matrices, intercoder agreement, realist CMO
//! configurations, and REFI-QDA exchange.
//!
//! Every use case loads the project's scope (organisation and members), asks the policy, and
//! does its work in the same transaction as its audit rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cocare_core::{AccountId, Actor, ActorKind, OrganisationId, format_timestamp};
use cocare_policy::{Action, Permit, ProjectRole, ProjectScope, Resource, decide};
use cocare_qual::agreement::{self, Level, Reliability};
use cocare_qual::codebook::{Code, Codebook};
use cocare_qual::coding::{self, Coding, Unit};
use cocare_qual::qdpx;
use cocare_qual::realist::Cmo;
use cocare_qual::search;
use cocare_qual::text::{self, Turn};
use cocare_store::{
    NewQualSource, QualCmoVersion, QualCoderRow, QualCodingRow, QualMemberRow, QualMemoRow, QualParticipantRow,
    QualProjectRow, QualProjectSummary, QualSourceRow, QualVariableRow, StoreError, WriteTxn,
};
use serde::{Deserialize, Serialize};

use crate::error::Checks;
use crate::{App, AppError, FieldError};

/// The ready frames a project can start from: key, label.
pub const FRAMES: [(&str, &str); 4] = [
    (
        "npt",
        "Normalisation Process Theory, classic (4 constructs, 16 sub-constructs)",
    ),
    (
        "npt-2022",
        "Normalisation Process Theory, 2022 coding manual (12 constructs as context, mechanism, outcome)",
    ),
    ("realist", "Realist: context, mechanism, outcome"),
    ("blank", "Blank framework (build your own codes)"),
];

fn frame(key: &str) -> Option<Codebook> {
    match key {
        "npt" => Some(Codebook::npt_classic()),
        "npt-2022" => Some(Codebook::npt_2022()),
        "realist" => Some(Codebook::realist()),
        "blank" => Some(Codebook::blank()),
        _ => None,
    }
}

/// Kinds of source and how they are read.
pub const SOURCE_KINDS: [(&str, &str); 5] = [
    ("auto", "Work it out (a transcript if it has timestamps or speakers)"),
    (
        "transcript",
        "Interview transcript (WebVTT, SRT or \u{201c}Speaker: words\u{201d})",
    ),
    ("text", "Plain text"),
    ("markdown", "Markdown"),
    ("document", "Document (a paper, a report, notes)"),
];

/// Attribute types (REFI-QDA's `typeOfVariable`).
pub const VARIABLE_KINDS: [&str; 6] = ["Text", "Boolean", "Integer", "Float", "Date", "DateTime"];

/// The role attribute every project starts with, and its usual values.
pub const ROLE_VALUES: [&str; 4] = ["service user", "carer", "clinician", "key informant"];

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError::new(field, message)])
}

fn stored(what: &str) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("stored {what} does not read"))
}

/// A coder's id for an account: its id (a UUID, which REFI-QDA accepts as a GUID).
fn coder_guid(actor: &Actor) -> String {
    match actor.kind {
        ActorKind::Account(id) => id.to_string(),
        ActorKind::System(name) => {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("cocare:system:{name}").as_bytes()).to_string()
        }
    }
}

fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn now() -> String {
    format_timestamp(chrono::Utc::now())
}

/// A project as its members see it.
#[derive(Debug, Clone)]
pub struct ProjectView {
    pub project: QualProjectRow,
    pub codebook: Codebook,
    pub role: Option<ProjectRole>,
    pub members: Vec<QualMemberRow>,
    pub coders: Vec<QualCoderRow>,
    pub variables: Vec<QualVariableRow>,
    pub participants: Vec<QualParticipantRow>,
    pub sources: Vec<QualSourceRow>,
    /// Codings per code guid.
    pub code_counts: BTreeMap<String, usize>,
    /// Codings per (source, code).
    pub coding_counts: Vec<(String, String, i64)>,
    pub memos: Vec<QualMemoRow>,
}

impl ProjectView {
    pub fn code_name(&self, guid: &str) -> String {
        code_name(&self.codebook, guid)
    }

    pub fn participant_name(&self, id: &str) -> String {
        self.participants
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| "(not linked)".to_string(), |p| p.name.clone())
    }

    pub fn coder_name(&self, guid: &str) -> String {
        coder_name(&self.coders, guid)
    }

    /// Codes as (guid, name with its path, depth, codable), parents before children.
    pub fn code_tree(&self) -> Vec<(String, String, usize, bool)> {
        code_tree(&self.codebook)
    }

    pub fn can_code(&self) -> bool {
        matches!(self.role, Some(ProjectRole::Owner | ProjectRole::Coder)) || self.role.is_none()
    }

    pub fn is_owner(&self) -> bool {
        matches!(self.role, Some(ProjectRole::Owner)) || self.role.is_none()
    }
}

fn code_name(codebook: &Codebook, guid: &str) -> String {
    codebook
        .codes
        .iter()
        .find(|c| c.guid == guid)
        .map_or_else(|| "(a code no longer in the codebook)".to_string(), |c| c.name.clone())
}

fn coder_name(coders: &[QualCoderRow], guid: &str) -> String {
    coders
        .iter()
        .find(|c| c.guid == guid)
        .map_or_else(|| "(unknown coder)".to_string(), |c| c.name.clone())
}

fn code_tree(codebook: &Codebook) -> Vec<(String, String, usize, bool)> {
    let depth_of = |code: &Code| {
        let mut depth = 0;
        let mut parent = code.parent.clone();
        while let Some(p) = parent {
            depth += 1;
            if depth > 32 {
                break;
            }
            parent = codebook
                .codes
                .iter()
                .find(|c| c.guid == p)
                .and_then(|c| c.parent.clone());
        }
        depth
    };
    let mut out = Vec::new();
    fn walk(
        codebook: &Codebook,
        parent: Option<&str>,
        out: &mut Vec<(String, String, usize, bool)>,
        depth_of: &dyn Fn(&Code) -> usize,
    ) {
        for c in codebook.codes.iter().filter(|c| c.parent.as_deref() == parent) {
            if out.iter().any(|(g, ..)| *g == c.guid) {
                continue;
            }
            out.push((c.guid.clone(), c.name.clone(), depth_of(c), c.codable));
            walk(codebook, Some(&c.guid), out, depth_of);
        }
    }
    walk(codebook, None, &mut out, &depth_of);
    out
}

/// One coded segment with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub coding: String,
    pub selection: String,
    pub source: String,
    pub source_name: String,
    pub participant: Option<String>,
    pub participant_name: String,
    pub code: String,
    pub code_name: String,
    pub coder: String,
    pub coder_name: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A source opened for coding.
#[derive(Debug, Clone)]
pub struct SourceView {
    pub project: ProjectView,
    pub source: QualSourceRow,
    pub turns: Vec<Turn>,
    pub segments: Vec<Segment>,
    pub memos: Vec<QualMemoRow>,
    /// The text cut into pieces at every coding boundary: (start, end, codings covering it).
    pub pieces: Vec<(usize, usize, Vec<String>)>,
}

/// Search results: each source with its hits.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub source: String,
    pub source_name: String,
    pub participant_name: String,
    pub hits: Vec<search::Hit>,
}

/// A framework matrix: participants × codes.
#[derive(Debug, Clone)]
pub struct FrameworkMatrix {
    pub participants: Vec<QualParticipantRow>,
    /// (guid, name) of the columns.
    pub codes: Vec<(String, String)>,
    /// (participant, code) → (codings, summary).
    pub cells: BTreeMap<(String, String), (i64, String)>,
}

/// Agreement for one code (or overall).
#[derive(Debug, Clone, Serialize)]
pub struct CodeAgreement {
    pub code: String,
    pub code_name: String,
    pub percent: agreement::Agreement,
    pub cohen: Option<agreement::Agreement>,
    pub cohen_note: Option<String>,
    pub alpha: Option<agreement::Agreement>,
    pub alpha_note: Option<String>,
}

/// A unit the coders judged differently.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub source: String,
    pub source_name: String,
    pub code_name: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub applied_by: Vec<String>,
    pub not_applied_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgreementReport {
    pub unit: String,
    pub coders: Vec<String>,
    pub sources: usize,
    pub overall: Option<CodeAgreement>,
    pub codes: Vec<CodeAgreement>,
    pub disagreements: Vec<Disagreement>,
    pub disagreements_total: usize,
}

/// A CMO configuration at its latest version, with its history.
#[derive(Debug, Clone)]
pub struct CmoView {
    pub id: String,
    pub version: i64,
    pub cmo: Cmo,
    pub created_at: String,
    pub created_by: String,
    /// (version, when, who, what changed).
    pub history: Vec<(i64, String, String, Vec<String>)>,
}

/// An excerpt as a CMO page shows it.
#[derive(Debug, Clone)]
pub struct ExcerptView {
    pub source_name: String,
    pub text: String,
}

/// What a QDPX import made.
#[derive(Debug, Clone)]
pub struct QdpxImported {
    pub project: String,
    /// The owner's account, if the project has one.
    pub owner: Option<AccountId>,
    pub sources: usize,
    pub codings: usize,
    pub memos: usize,
    pub skipped: Vec<String>,
}

/// A new source as typed or uploaded.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourceForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub participant: String,
    #[serde(default)]
    pub description: String,
}

fn decode_codebook(raw: &str) -> Result<Codebook, AppError> {
    serde_json::from_str(raw).map_err(|_| stored("codebook"))
}

fn decode_turns(raw: &str) -> Vec<Turn> {
    serde_json::from_str(raw).unwrap_or_default()
}

impl App {
    /// Opens a transaction on a project after the policy allowed `action` on it.
    async fn project_txn(&self, actor: &Actor, project: &str, action: Action) -> Result<(WriteTxn, Permit), AppError> {
        let mut tx = self.store.begin_write().await?;
        let scope = tx.qual_project_scope(project).await?.ok_or(AppError::NotFound)?;
        let permit = decide(actor, action, &Resource::Project(&scope))?;
        Ok((tx, permit))
    }

    /// The projects the actor is a member of.
    pub async fn qual_projects(&self, actor: &Actor) -> Result<Vec<QualProjectSummary>, AppError> {
        let (organisation, permit) = self.records_scope(actor, Action::ManageQualProject).await?;
        let account = actor.account_id().ok_or(AppError::Forbidden)?;
        let mut tx = self.store.begin_write().await?;
        let projects = tx.qual_projects_of(&permit, organisation, account).await?;
        tx.commit().await?;
        Ok(projects)
    }

    /// Every project of the organisation (the command line, as the system).
    pub async fn qual_projects_all(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
    ) -> Result<Vec<(String, String)>, AppError> {
        let (organisation, _) = self
            .records_scope_in(actor, Action::ManageQualProject, organisation)
            .await?;
        let permit = decide(actor, Action::ReadQualProject, &Resource::Organisation(organisation))?;
        let mut tx = self.store.begin_write().await?;
        let all = tx.qual_projects_all(&permit, organisation).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Starts a project from a ready frame, with the actor as its owner and a `role` attribute.
    pub async fn create_qual_project(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        frame_key: &str,
    ) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if name.trim().is_empty() {
            checks.fail("name", "Give the project a name.");
        }
        let codebook = frame(frame_key);
        if codebook.is_none() {
            checks.fail("frame", "Choose a starting codebook.");
        }
        checks.finish()?;
        let codebook = codebook.unwrap_or_else(Codebook::blank);
        let (organisation, permit) = self.records_scope(actor, Action::ManageQualProject).await?;
        let owner = actor.account_id().ok_or(AppError::Forbidden)?;
        let id = new_guid();
        let row = QualProjectRow {
            id: id.clone(),
            organisation,
            name: name.trim().to_string(),
            description: description.trim().to_string(),
            codebook: serde_json::to_string(&codebook).map_err(anyhow::Error::new)?,
            codebook_revision: 1,
            created_at: now(),
            created_by: actor.audit_name(),
        };
        let mut tx = self.store.begin_write().await?;
        tx.insert_qual_project(&permit, organisation, &row, Some(owner)).await?;
        let scope = tx.qual_project_scope(&id).await?.ok_or(AppError::NotFound)?;
        let code = decide(actor, Action::CodeQualProject, &Resource::Project(&scope))?;
        tx.ensure_qual_coder(&code, &id, &coder_guid(actor), &actor.display_name)
            .await?;
        tx.insert_qual_variable(
            &code,
            &id,
            &QualVariableRow {
                guid: new_guid(),
                name: "role".into(),
                kind: "Text".into(),
                description: "service user, carer, clinician, key informant, or another role".into(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A project with its members, codebook, participants and sources (not their words).
    pub async fn qual_project(&self, actor: &Actor, project: &str) -> Result<ProjectView, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Adds a member by username, changes their role, or (role `None`) removes them. The last
    /// owner cannot leave.
    pub async fn set_qual_member(
        &self,
        actor: &Actor,
        project: &str,
        username: &str,
        role: Option<ProjectRole>,
    ) -> Result<(), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ManageQualProject).await?;
        let scope = tx.qual_project_scope(project).await?.ok_or(AppError::NotFound)?;
        let account = self.store.account_by_username(username.trim()).await?.ok_or_else(|| {
            invalid(
                "username",
                format!("There is no account called \u{201c}{}\u{201d}.", username.trim()),
            )
        })?;
        let grants = self.store.grants(account.id).await?;
        if role.is_some()
            && !grants.iter().any(|g| {
                g.organisation == scope.organisation && cocare_policy::role_may(g.role, Action::ReadQualProject)
            })
        {
            return Err(invalid(
                "username",
                "Only researchers of this organisation can be project members.",
            ));
        }
        let owners = scope
            .members
            .iter()
            .filter(|(a, r)| *r == ProjectRole::Owner && *a != account.id)
            .count();
        if owners == 0 && role != Some(ProjectRole::Owner) {
            return Err(AppError::Conflict(
                "a project needs an owner: make someone else an owner first".into(),
            ));
        }
        tx.set_qual_member(&permit, project, account.id, role).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an attribute (a REFI-QDA variable) for participants.
    pub async fn add_qual_variable(
        &self,
        actor: &Actor,
        project: &str,
        name: &str,
        kind: &str,
    ) -> Result<(), AppError> {
        let mut checks = Checks::default();
        if name.trim().is_empty() {
            checks.fail("variable_name", "Name the attribute.");
        }
        if !VARIABLE_KINDS.contains(&kind) {
            checks.fail("variable_kind", "Choose the kind of value.");
        }
        checks.finish()?;
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let existing = tx.qual_variables(&permit, project).await?;
        if existing.iter().any(|v| v.name.eq_ignore_ascii_case(name.trim())) {
            return Err(invalid(
                "variable_name",
                "There is already an attribute with this name.",
            ));
        }
        tx.insert_qual_variable(
            &permit,
            project,
            &QualVariableRow {
                guid: new_guid(),
                name: name.trim().into(),
                kind: kind.into(),
                description: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a participant, or changes one (`id`), with attribute values by attribute name.
    pub async fn save_qual_participant(
        &self,
        actor: &Actor,
        project: &str,
        id: Option<&str>,
        name: &str,
        description: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let variables = tx.qual_variables(&permit, project).await?;
        let existing = tx.qual_participants(&permit, project).await?;
        let mut checks = Checks::default();
        if name.trim().is_empty() {
            checks.fail(
                "name",
                "Give the participant a label (a pseudonym such as P01, never a real name).",
            );
        } else if existing
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name.trim()) && Some(p.id.as_str()) != id)
        {
            checks.fail("name", "Another participant has this label.");
        }
        let mut typed = Vec::new();
        for v in &variables {
            let value = values.get(&v.guid).map(|s| s.trim()).unwrap_or("");
            if value.is_empty() {
                continue;
            }
            if let Err(why) = check_value(&v.kind, value) {
                checks.fail(format!("var-{}", v.guid), format!("{}: {why}", v.name));
            }
            typed.push((v.guid.clone(), value.to_string()));
        }
        checks.finish()?;
        let row = QualParticipantRow {
            id: id.map_or_else(new_guid, str::to_string),
            name: name.trim().into(),
            description: description.trim().into(),
            values: typed,
        };
        match id {
            Some(_) => tx.update_qual_participant(&permit, project, &row).await?,
            None => tx.insert_qual_participant(&permit, project, &row).await?,
        }
        tx.commit().await?;
        Ok(row.id)
    }

    /// Imports a source: a transcript is read into speaker turns (problems by line, nothing
    /// kept); other text is kept as it is.
    pub async fn import_qual_source(
        &self,
        actor: &Actor,
        project: &str,
        form: &SourceForm,
    ) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let participants = tx.qual_participants(&permit, project).await?;
        let mut checks = Checks::default();
        if form.name.trim().is_empty() {
            checks.fail(
                "name",
                "Name the source (for example \u{201c}Interview 3, carer\u{201d}).",
            );
        }
        let raw = form.text.replace("\r\n", "\n");
        if raw.trim().is_empty() {
            checks.fail("text", "Paste the text or choose a file: this source is empty.");
        }
        let participant = Some(form.participant.trim()).filter(|p| !p.is_empty());
        if let Some(p) = participant
            && !participants.iter().any(|x| x.id == p)
        {
            checks.fail("participant", "Choose one of this project's participants.");
        }
        let kind = match form.kind.as_str() {
            "" | "auto" => {
                if looks_like_transcript(&raw) {
                    "transcript"
                } else {
                    "text"
                }
            }
            k if SOURCE_KINDS.iter().any(|(key, _)| *key == k) => k,
            _ => {
                checks.fail("kind", "Choose what kind of source this is.");
                "text"
            }
        };
        let (content, turns) = if kind == "transcript" && !raw.trim().is_empty() {
            match text::parse_transcript(&raw) {
                Ok(t) => (t.text, t.turns),
                Err(problems) => {
                    for p in problems.iter().take(20) {
                        checks.fail("text", format!("Transcript line {}: {}.", p.line, p.reason));
                    }
                    (String::new(), Vec::new())
                }
            }
        } else {
            (raw.clone(), Vec::new())
        };
        checks.finish()?;
        let id = new_guid();
        let turns = serde_json::to_string(&turns).map_err(anyhow::Error::new)?;
        tx.insert_qual_source(
            &permit,
            project,
            &NewQualSource {
                id: &id,
                name: form.name.trim(),
                description: form.description.trim(),
                kind,
                content: &content,
                turns: &turns,
                participant,
                created_at: None,
                created_by: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn set_qual_source_participant(
        &self,
        actor: &Actor,
        project: &str,
        source: &str,
        participant: Option<&str>,
    ) -> Result<(), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        if let Some(p) = participant {
            let participants = tx.qual_participants(&permit, project).await?;
            if !participants.iter().any(|x| x.id == p) {
                return Err(invalid("participant", "Choose one of this project's participants."));
            }
        }
        tx.set_qual_source_participant(&permit, project, source, participant)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A source with its words, turns, codings and memos.
    pub async fn qual_source(&self, actor: &Actor, project: &str, source: &str) -> Result<SourceView, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let row = tx
            .qual_source_texts(&permit, project, Some(&[source.to_string()]))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
        let codings = tx.qual_codings(&permit, project, Some(source), None).await?;
        tx.commit().await?;
        let segments = segments_of(&view, &codings, std::slice::from_ref(&row));
        let selection_ids: BTreeSet<&str> = codings.iter().map(|c| c.selection.as_str()).collect();
        // The project's memos came with the project; this source's are among them.
        let memos = view
            .memos
            .iter()
            .filter(|m| {
                (m.target_kind == "source" && m.target == source)
                    || (m.target_kind == "selection" && selection_ids.contains(m.target.as_str()))
            })
            .cloned()
            .collect();
        let pieces = pieces(text::len_chars(&row.content), &codings);
        Ok(SourceView {
            turns: decode_turns(&row.turns),
            project: view,
            source: row,
            segments,
            memos,
            pieces,
        })
    }

    /// Codes a selection (code points `start..end`) of a source as the actor. `quote`, when
    /// given instead of positions, finds those exact words in the source (the keyboard way).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_qual_coding(
        &self,
        actor: &Actor,
        project: &str,
        source: &str,
        code: &str,
        start: Option<usize>,
        end: Option<usize>,
        quote: &str,
    ) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let project_row = tx.qual_project(&permit, project).await?;
        let codebook = decode_codebook(&project_row.codebook)?;
        let row = tx
            .qual_source_texts(&permit, project, Some(&[source.to_string()]))
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
        match codebook.codes.iter().find(|c| c.guid == code) {
            None => return Err(invalid("code", "Choose a code from the codebook.")),
            Some(c) if !c.codable => {
                return Err(invalid(
                    "code",
                    format!(
                        "\u{201c}{}\u{201d} is a heading: choose one of the codes under it.",
                        c.name
                    ),
                ));
            }
            Some(_) => {}
        }
        let (start, end) = match (start, end, quote.trim()) {
            (Some(s), Some(e), q) => {
                // A selection made in the browser carries its words too: if they are not what
                // lies at those positions, the page was stale, and the words win.
                let at = text::slice_chars(&row.content, s, e).unwrap_or("");
                let squash = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
                if q.is_empty() || squash(at) == squash(q) {
                    (s, e)
                } else {
                    find_quote(&row.content, q, s.saturating_sub(q.chars().count())).ok_or_else(|| {
                        invalid(
                            "quote",
                            "These words are not in the source: copy them exactly as they appear.",
                        )
                    })?
                }
            }
            (_, _, q) if !q.is_empty() => find_quote(&row.content, q, start.unwrap_or(0)).ok_or_else(|| {
                invalid(
                    "quote",
                    "These words are not in the source: copy them exactly as they appear.",
                )
            })?,
            _ => {
                return Err(invalid(
                    "quote",
                    "Select some text, or type the words to code exactly as they appear.",
                ));
            }
        };
        let me = coder_guid(actor);
        let existing = tx.qual_codings(&permit, project, Some(source), Some(code)).await?;
        let mut all: Vec<Coding> = existing
            .iter()
            .map(|c| Coding {
                code: c.code.clone(),
                coder: c.coder.clone(),
                start: usize::try_from(c.start).unwrap_or(0),
                end: usize::try_from(c.end).unwrap_or(0),
            })
            .collect();
        all.push(Coding {
            code: code.to_string(),
            coder: me.clone(),
            start,
            end,
        });
        if let Err(problems) = coding::check(&row.content, &all) {
            let message = problems
                .iter()
                .filter(|p| p.index + 1 == all.len())
                .map(|p| p.reason.clone())
                .next()
                .unwrap_or_else(|| "this selection cannot be coded".into());
            return Err(invalid("quote", sentence_case(&message)));
        }
        tx.ensure_qual_coder(&permit, project, &me, &actor.display_name).await?;
        let id = new_guid();
        tx.insert_qual_codings(
            &permit,
            project,
            &[QualCodingRow {
                id: id.clone(),
                source: source.to_string(),
                selection: new_guid(),
                code: code.to_string(),
                coder: me,
                start: i64::try_from(start).unwrap_or(i64::MAX),
                end: i64::try_from(end).unwrap_or(i64::MAX),
                created_at: now(),
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes one of the actor's own codings.
    pub async fn remove_qual_coding(&self, actor: &Actor, project: &str, coding: &str) -> Result<(), AppError> {
        if coding.is_empty() {
            return Err(invalid("coding", "Choose the coding to remove."));
        }
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        tx.delete_qual_coding(&permit, project, coding, &coder_guid(actor))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a code (or changes one, when `guid` names it) in the codebook at `revision`.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_qual_code(
        &self,
        actor: &Actor,
        project: &str,
        revision: i64,
        guid: Option<&str>,
        name: &str,
        description: &str,
        parent: Option<&str>,
        codable: bool,
    ) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let row = tx.qual_project(&permit, project).await?;
        let mut codebook = decode_codebook(&row.codebook)?;
        let mut checks = Checks::default();
        if name.trim().is_empty() {
            checks.fail("code_name", "Name the code.");
        }
        if let Some(p) = parent
            && !codebook.codes.iter().any(|c| c.guid == p)
        {
            checks.fail("parent", "Choose a parent from the codebook, or none.");
        }
        checks.finish()?;
        let id = guid.map_or_else(new_guid, str::to_string);
        let code = Code {
            guid: id.clone(),
            name: name.trim().into(),
            description: description.trim().into(),
            parent: parent.map(str::to_string),
            codable,
            color: None,
        };
        match codebook.codes.iter_mut().find(|c| c.guid == id) {
            Some(existing) => {
                let color = existing.color.clone();
                *existing = Code { color, ..code };
            }
            None if guid.is_some() => return Err(AppError::NotFound),
            None => codebook.codes.push(code),
        }
        codebook.codes = reorder(&codebook);
        if let Err(problems) = codebook.validate() {
            return Err(AppError::Validation(
                problems
                    .iter()
                    .map(|p| FieldError::new("parent", sentence_case(&p.reason)))
                    .collect(),
            ));
        }
        let body = serde_json::to_string(&codebook).map_err(anyhow::Error::new)?;
        tx.save_qual_codebook(&permit, project, &body, revision)
            .await
            .map_err(codebook_conflict)?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a code that nothing is coded with and that has no children.
    pub async fn remove_qual_code(
        &self,
        actor: &Actor,
        project: &str,
        revision: i64,
        guid: &str,
    ) -> Result<(), AppError> {
        if guid.is_empty() {
            return Err(invalid("codes", "Choose the code to remove."));
        }
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let row = tx.qual_project(&permit, project).await?;
        let mut codebook = decode_codebook(&row.codebook)?;
        if codebook.codes.iter().any(|c| c.parent.as_deref() == Some(guid)) {
            return Err(AppError::Conflict(
                "this code has codes under it: move or remove them first".into(),
            ));
        }
        let used = tx.qual_codings(&permit, project, None, Some(guid)).await?.len();
        if used > 0 {
            return Err(AppError::Conflict(format!(
                "{used} segment{} coded with this code: uncode them first, so no coder's work is lost",
                if used == 1 { " is" } else { "s are" }
            )));
        }
        let before = codebook.codes.len();
        codebook.codes.retain(|c| c.guid != guid);
        if codebook.codes.len() == before {
            return Err(AppError::NotFound);
        }
        let body = serde_json::to_string(&codebook).map_err(anyhow::Error::new)?;
        tx.save_qual_codebook(&permit, project, &body, revision)
            .await
            .map_err(codebook_conflict)?;
        tx.commit().await?;
        Ok(())
    }

    /// The codebook as REFI-QDA QDC.
    pub async fn qual_codebook_qdc(&self, actor: &Actor, project: &str) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let row = tx.qual_project(&permit, project).await?;
        tx.commit().await?;
        decode_codebook(&row.codebook)?
            .to_qdc()
            .map_err(|problems| cannot_export("the codebook", &problems))
    }

    /// Merges a QDC codebook into the project's: codes with the same GUID are updated, others
    /// added. Refused whole if the file or the merged codebook has a problem.
    pub async fn import_qual_qdc(
        &self,
        actor: &Actor,
        project: &str,
        revision: i64,
        xml: &str,
    ) -> Result<usize, AppError> {
        let incoming = Codebook::from_qdc(xml).map_err(|problems| {
            AppError::Validation(
                problems
                    .iter()
                    .take(20)
                    .map(|p| FieldError::new("qdc", p.to_string()))
                    .collect(),
            )
        })?;
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let row = tx.qual_project(&permit, project).await?;
        let mut codebook = decode_codebook(&row.codebook)?;
        let count = incoming.codes.len();
        for code in incoming.codes {
            match codebook.codes.iter_mut().find(|c| c.guid == code.guid) {
                Some(existing) => *existing = code,
                None => codebook.codes.push(code),
            }
        }
        codebook.codes = reorder(&codebook);
        codebook.validate().map_err(|problems| {
            AppError::Validation(
                problems
                    .iter()
                    .take(20)
                    .map(|p| FieldError::new("qdc", p.to_string()))
                    .collect(),
            )
        })?;
        let body = serde_json::to_string(&codebook).map_err(anyhow::Error::new)?;
        tx.save_qual_codebook(&permit, project, &body, revision)
            .await
            .map_err(codebook_conflict)?;
        tx.commit().await?;
        Ok(count)
    }

    /// Writes a memo on the project, a source, a code or a coded segment (`target_kind`,
    /// `target`); `id` and `revision` name the memo being edited.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_qual_memo(
        &self,
        actor: &Actor,
        project: &str,
        id: Option<&str>,
        revision: i64,
        target_kind: &str,
        target: &str,
        name: &str,
        body: &str,
    ) -> Result<String, AppError> {
        let mut checks = Checks::default();
        if body.trim().is_empty() {
            checks.fail("memo", "Write the memo.");
        }
        if !["project", "source", "code", "selection"].contains(&target_kind) {
            checks.fail("memo", "A memo is on the project, a source, a code or a coded segment.");
        }
        checks.finish()?;
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let me = coder_guid(actor);
        tx.ensure_qual_coder(&permit, project, &me, &actor.display_name).await?;
        let id = id.map_or_else(new_guid, str::to_string);
        let name = if name.trim().is_empty() {
            format!("Memo by {}", actor.display_name)
        } else {
            name.trim().to_string()
        };
        tx.save_qual_memo(
            &permit,
            project,
            &QualMemoRow {
                id: id.clone(),
                target_kind: target_kind.into(),
                target: target.into(),
                name,
                body: body.trim_end().into(),
                author: me,
                created_at: String::new(),
                updated_at: String::new(),
                revision,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict(
                "someone else changed this memo since you opened it: your text is kept below; copy it, reload, and merge".into(),
            ),
            other => other.into(),
        })?;
        tx.commit().await?;
        Ok(id)
    }

    /// All segments coded with `code` (and the codes under it), optionally only from participants
    /// whose attribute `filter.0` has the value `filter.1`.
    pub async fn qual_retrieve(
        &self,
        actor: &Actor,
        project: &str,
        code: &str,
        filter: Option<(&str, &str)>,
    ) -> Result<(ProjectView, Vec<Segment>), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let wanted = descendants(&view.codebook, code);
        let mut codings = Vec::new();
        for c in &wanted {
            codings.extend(tx.qual_codings(&permit, project, None, Some(c)).await?);
        }
        let allowed: Option<BTreeSet<String>> = filter.map(|(variable, value)| {
            view.participants
                .iter()
                .filter(|p| {
                    p.values
                        .iter()
                        .any(|(g, v)| g == variable && v.eq_ignore_ascii_case(value))
                })
                .map(|p| p.id.clone())
                .collect()
        });
        let source_ids: Vec<String> = view
            .sources
            .iter()
            .filter(|s| match &allowed {
                None => true,
                Some(ok) => s.participant.as_ref().is_some_and(|p| ok.contains(p)),
            })
            .filter(|s| codings.iter().any(|c| c.source == s.id))
            .map(|s| s.id.clone())
            .collect();
        let texts = tx.qual_source_texts(&permit, project, Some(&source_ids)).await?;
        tx.commit().await?;
        let mut segments = segments_of(&view, &codings, &texts);
        segments.sort_by(|a, b| (&a.source_name, a.start).cmp(&(&b.source_name, b.start)));
        Ok((view, segments))
    }

    /// Full-text search: sources holding every word, best first, with up to three hits each.
    pub async fn qual_search(&self, actor: &Actor, project: &str, query: &str) -> Result<Vec<SearchResult>, AppError> {
        let words = search::query_words(query);
        if words.is_empty() {
            return Err(invalid("q", "Type a word to search for."));
        }
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let ids = tx.qual_search(&permit, project, &words, 20).await?;
        let participants = tx.qual_participant_labels(&permit, project).await?;
        let texts = tx.qual_source_texts(&permit, project, Some(&ids)).await?;
        tx.commit().await?;
        let results = texts
            .iter()
            .map(|s| SearchResult {
                source: s.id.clone(),
                source_name: s.name.clone(),
                participant_name: s
                    .participant
                    .as_ref()
                    .and_then(|p| participants.iter().find(|(id, _)| id == p))
                    .map_or_else(String::new, |(_, name)| name.clone()),
                hits: search::hits(&s.content, &words, 3, 60),
            })
            .collect();
        Ok(results)
    }

    /// Code co-occurrence: how often two codes overlap in the same source, for every pair.
    pub async fn qual_cooccurrence(
        &self,
        actor: &Actor,
        project: &str,
    ) -> Result<(ProjectView, BTreeMap<(String, String), usize>), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let codings = tx.qual_codings(&permit, project, None, None).await?;
        tx.commit().await?;
        let mut by_source: BTreeMap<&str, Vec<Coding>> = BTreeMap::new();
        for c in &codings {
            by_source.entry(c.source.as_str()).or_default().push(to_coding(c));
        }
        let mut total = BTreeMap::new();
        for list in by_source.values() {
            for (pair, n) in coding::co_occurrence(list) {
                *total.entry(pair).or_insert(0) += n;
            }
        }
        Ok((view, total))
    }

    /// The framework matrix: participants × the codes chosen (default: the top-level codes,
    /// each counting the codings of the codes under it).
    pub async fn qual_matrix(
        &self,
        actor: &Actor,
        project: &str,
        codes: &[String],
    ) -> Result<(ProjectView, FrameworkMatrix), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let summaries = tx.qual_matrix_cells(&permit, project).await?;
        tx.commit().await?;
        // Sources to participants in memory: the database never reads the sources' text for this.
        let participant_of: HashMap<&str, &str> = view
            .sources
            .iter()
            .filter_map(|s| s.participant.as_deref().map(|p| (s.id.as_str(), p)))
            .collect();
        let mut per_participant: HashMap<(String, String), i64> = HashMap::new();
        for (source, code, n) in &view.coding_counts {
            if let Some(p) = participant_of.get(source.as_str()) {
                *per_participant.entry(((*p).to_string(), code.clone())).or_default() += n;
            }
        }
        let counts: Vec<(String, String, i64)> = per_participant.into_iter().map(|((p, c), n)| (p, c, n)).collect();
        let matrix = framework_matrix(&view, codes, &counts, &summaries);
        Ok((view, matrix))
    }

    /// One framework-matrix cell's segments and summary.
    pub async fn qual_matrix_cell(
        &self,
        actor: &Actor,
        project: &str,
        participant: &str,
        code: &str,
    ) -> Result<(ProjectView, Vec<Segment>, String), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        if !view.participants.iter().any(|p| p.id == participant) {
            return Err(AppError::NotFound);
        }
        let wanted = descendants(&view.codebook, code);
        let source_ids: Vec<String> = view
            .sources
            .iter()
            .filter(|s| s.participant.as_deref() == Some(participant))
            .map(|s| s.id.clone())
            .collect();
        let mut codings = Vec::new();
        for s in &source_ids {
            codings.extend(
                tx.qual_codings(&permit, project, Some(s), None)
                    .await?
                    .into_iter()
                    .filter(|c| wanted.contains(&c.code)),
            );
        }
        let texts = tx.qual_source_texts(&permit, project, Some(&source_ids)).await?;
        let summary = tx
            .qual_matrix_cells(&permit, project)
            .await?
            .into_iter()
            .find(|c| c.participant == participant && c.code == code)
            .map(|c| c.summary)
            .unwrap_or_default();
        tx.commit().await?;
        let segments = segments_of(&view, &codings, &texts);
        Ok((view, segments, summary))
    }

    pub async fn save_qual_matrix_cell(
        &self,
        actor: &Actor,
        project: &str,
        participant: &str,
        code: &str,
        summary: &str,
    ) -> Result<(), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let participants = tx.qual_participants(&permit, project).await?;
        if !participants.iter().any(|p| p.id == participant) {
            return Err(AppError::NotFound);
        }
        tx.save_qual_matrix_cell(&permit, project, participant, code, summary.trim())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Intercoder agreement per code and overall, over turns, sentences or characters, between
    /// the coders who coded each source (a coder who coded nothing in a source did not code it).
    pub async fn qual_agreement(
        &self,
        actor: &Actor,
        project: &str,
        unit: &str,
    ) -> Result<(ProjectView, AgreementReport), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let codings = tx.qual_codings(&permit, project, None, None).await?;
        let coded: Vec<String> = view
            .sources
            .iter()
            .filter(|s| codings.iter().any(|c| c.source == s.id))
            .map(|s| s.id.clone())
            .collect();
        let texts = tx.qual_source_texts(&permit, project, Some(&coded)).await?;
        tx.audit_qual(&permit, project, "agreement-read").await?;
        tx.commit().await?;
        let report = agreement_report(&view, &codings, &texts, unit)?;
        Ok((view, report))
    }

    /// The project's CMO configurations at their latest versions, with their histories.
    pub async fn qual_cmos(&self, actor: &Actor, project: &str) -> Result<(ProjectView, Vec<CmoView>), AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let versions = tx.qual_cmo_versions(&permit, project).await?;
        tx.commit().await?;
        Ok((view, cmo_views(&versions)?))
    }

    /// The words of excerpts, for showing the evidence of CMO configurations.
    pub async fn qual_excerpts(
        &self,
        actor: &Actor,
        project: &str,
        wanted: &[(String, usize, usize)],
    ) -> Result<Vec<Option<ExcerptView>>, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let ids: Vec<String> = wanted
            .iter()
            .map(|(s, ..)| s.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let texts = tx.qual_source_texts(&permit, project, Some(&ids)).await?;
        tx.commit().await?;
        Ok(wanted
            .iter()
            .map(|(s, a, b)| {
                texts.iter().find(|t| t.id == *s).map(|t| ExcerptView {
                    source_name: t.name.clone(),
                    text: text::slice_chars(&t.content, *a, *b).unwrap_or("").to_string(),
                })
            })
            .collect())
    }

    /// Where `quote` first occurs in a source (code points), for linking an excerpt.
    pub async fn qual_locate(
        &self,
        actor: &Actor,
        project: &str,
        source: &str,
        quote: &str,
    ) -> Result<(usize, usize), AppError> {
        if source.is_empty() {
            return Err(invalid("evidence_source", "Choose the source the excerpt is from."));
        }
        if quote.trim().is_empty() {
            return Err(invalid(
                "quote",
                "Copy the excerpt's words exactly as they appear in the source.",
            ));
        }
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let row = tx
            .qual_source_texts(&permit, project, Some(&[source.to_string()]))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| invalid("evidence_source", "Choose one of this project's sources."))?;
        tx.commit().await?;
        find_quote(&row.content, quote.trim(), 0).ok_or_else(|| {
            invalid(
                "quote",
                "These words are not in that source: copy them exactly as they appear.",
            )
        })
    }

    /// Saves a CMO configuration (new, or the next version of `id`).
    pub async fn save_qual_cmo(
        &self,
        actor: &Actor,
        project: &str,
        id: Option<&str>,
        cmo: &Cmo,
    ) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        let sources = tx.qual_sources(&permit, project).await?;
        let lengths: BTreeMap<String, usize> = sources
            .iter()
            .map(|s| (s.id.clone(), usize::try_from(s.length).unwrap_or(0)))
            .collect();
        cmo.validate(&lengths).map_err(|problems| {
            AppError::Validation(
                problems
                    .iter()
                    .map(|p| FieldError::new(p.field, sentence_case(&p.reason)))
                    .collect(),
            )
        })?;
        if let Some(id) = id {
            let versions = tx.qual_cmo_versions(&permit, project).await?;
            let latest = versions.iter().rev().find(|v| v.id == id).ok_or(AppError::NotFound)?;
            let old: Cmo = serde_json::from_str(&latest.body).map_err(|_| stored("CMO configuration"))?;
            if old == *cmo {
                return Err(AppError::Conflict("nothing has changed since the last version".into()));
            }
        }
        let body = serde_json::to_string(cmo).map_err(anyhow::Error::new)?;
        let (id, _) = tx.save_qual_cmo(&permit, project, id, &body).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds the configurations of a CMO table (for example a funding change's, from the
    /// engagement record) to the project, all or none.
    pub async fn import_qual_cmos(&self, actor: &Actor, project: &str, csv: &str) -> Result<usize, AppError> {
        let cmos = cocare_qual::realist::parse_table_csv(csv).map_err(|problems| {
            AppError::Validation(
                problems
                    .into_iter()
                    .take(20)
                    .map(|p| FieldError::new("cmo_table", sentence_case(&p)))
                    .collect(),
            )
        })?;
        let (mut tx, permit) = self.project_txn(actor, project, Action::CodeQualProject).await?;
        for cmo in &cmos {
            let body = serde_json::to_string(cmo).map_err(anyhow::Error::new)?;
            tx.save_qual_cmo(&permit, project, None, &body).await?;
        }
        tx.commit().await?;
        Ok(cmos.len())
    }

    /// The CMO table as CSV (latest versions, excerpts quoted).
    pub async fn qual_cmo_csv(&self, actor: &Actor, project: &str) -> Result<String, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let versions = tx.qual_cmo_versions(&permit, project).await?;
        let texts = tx.qual_source_texts(&permit, project, None).await?;
        tx.audit_qual(&permit, project, "cmo-table-exported").await?;
        tx.commit().await?;
        let views = cmo_views(&versions)?;
        let rows: Vec<cocare_qual::realist::TableRow<'_>> = views
            .iter()
            .map(|v| cocare_qual::realist::TableRow {
                id: &v.id,
                version: v.version,
                cmo: &v.cmo,
            })
            .collect();
        let excerpt = |source: &str, a: usize, b: usize| {
            texts.iter().find(|t| t.id == source).map(|t| {
                (
                    t.name.clone(),
                    text::slice_chars(&t.content, a, b).unwrap_or("").to_string(),
                )
            })
        };
        Ok(cocare_qual::realist::table_csv(&rows, &excerpt))
    }

    /// The whole project as a REFI-QDA project (for a QDPX file).
    pub async fn qual_export(&self, actor: &Actor, project: &str) -> Result<qdpx::Project, AppError> {
        let (mut tx, permit) = self.project_txn(actor, project, Action::ReadQualProject).await?;
        let view = load_project(&mut tx, &permit, project, actor).await?;
        let texts = tx.qual_source_texts(&permit, project, None).await?;
        let codings = tx.qual_codings(&permit, project, None, None).await?;
        tx.audit_qual(&permit, project, "exported-qdpx").await?;
        tx.commit().await?;
        Ok(to_qdpx(&view, &texts, &codings))
    }

    /// The project's name and its QDPX bytes.
    pub async fn qual_export_qdpx(&self, actor: &Actor, project: &str) -> Result<(String, Vec<u8>), AppError> {
        let p = self.qual_export(actor, project).await?;
        let bytes = p
            .to_qdpx()
            .map_err(|problems| cannot_export("the project", &problems))?;
        Ok((p.name, bytes))
    }

    /// Imports a QDPX file as a new project owned by `owner` (the actor, or for the command line
    /// an account named by username). All or nothing.
    pub async fn qual_import_qdpx(
        &self,
        actor: &Actor,
        organisation: Option<OrganisationId>,
        owner: Option<&str>,
        bytes: &[u8],
    ) -> Result<QdpxImported, AppError> {
        let (project, skipped) = qdpx::Project::from_qdpx_with_report(bytes).map_err(|problems| {
            AppError::Validation(
                problems
                    .iter()
                    .take(30)
                    .map(|p| FieldError::new("qdpx", p.to_string()))
                    .collect(),
            )
        })?;
        let (organisation, permit) = self
            .records_scope_in(actor, Action::ManageQualProject, organisation)
            .await?;
        let owner_id: Option<AccountId> = match (actor.account_id(), owner) {
            (_, Some(username)) => {
                let account = self.store.account_by_username(username).await?.ok_or_else(|| {
                    invalid(
                        "owner",
                        format!("There is no account called \u{201c}{username}\u{201d}."),
                    )
                })?;
                let grants = self.store.grants(account.id).await?;
                if !grants
                    .iter()
                    .any(|g| g.organisation == organisation && cocare_policy::role_may(g.role, Action::ReadQualProject))
                {
                    return Err(invalid(
                        "owner",
                        format!("\u{201c}{username}\u{201d} is not a researcher of this organisation."),
                    ));
                }
                Some(account.id)
            }
            (Some(me), None) => Some(me),
            // The command line without --owner: the organisation's only researcher, if there is
            // one; otherwise the project has no member until one is added.
            (None, None) => {
                let accounts = self.store.accounts_in(organisation).await?;
                let researchers: Vec<AccountId> = accounts
                    .iter()
                    .filter(|a| {
                        !a.disabled
                            && a.grants
                                .iter()
                                .any(|g| cocare_policy::role_may(g.role, Action::ReadQualProject))
                    })
                    .map(|a| a.id)
                    .collect();
                match researchers.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                }
            }
        };
        let id = new_guid();
        let mut tx = self.store.begin_write().await?;
        let imported = import_project(&mut tx, &permit, organisation, owner_id, &id, actor, &project).await?;
        tx.commit().await?;
        Ok(QdpxImported { skipped, ..imported })
    }
}

/// Why something could not be exported: its first problem, in words.
fn cannot_export<P: std::fmt::Display>(what: &str, problems: &[P]) -> AppError {
    AppError::Conflict(format!(
        "{what} cannot be exported: {}",
        problems.first().map(ToString::to_string).unwrap_or_default()
    ))
}

fn codebook_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(
            "someone else changed the codebook since you opened it: reload the page and make your change again".into(),
        ),
        other => other.into(),
    }
}

/// A message as a sentence: a capital first, a full stop last.
fn sentence_case(s: &str) -> String {
    let mut out = crate::error::capitalise(s);
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Parents before children, keeping siblings in order.
fn reorder(codebook: &Codebook) -> Vec<Code> {
    let tree = code_tree(codebook);
    let mut out: Vec<Code> = tree
        .iter()
        .filter_map(|(g, ..)| codebook.codes.iter().find(|c| c.guid == *g).cloned())
        .collect();
    // Codes in a cycle are not reachable from the top: keep them so validation names the cycle.
    for c in &codebook.codes {
        if !out.iter().any(|o| o.guid == c.guid) {
            out.push(c.clone());
        }
    }
    out
}

fn check_value(kind: &str, value: &str) -> Result<(), String> {
    let ok = match kind {
        "Integer" => value.parse::<i64>().is_ok(),
        "Float" => value.parse::<f64>().is_ok_and(f64::is_finite),
        "Boolean" => matches!(value, "true" | "false"),
        "Date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        "DateTime" => chrono::DateTime::parse_from_rfc3339(value).is_ok(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(match kind {
            "Integer" => "write a whole number".into(),
            "Float" => "write a number".into(),
            "Boolean" => "write true or false".into(),
            "Date" => "write a date as YYYY-MM-DD".into(),
            _ => "write a date and time such as 2026-03-01T10:00:00Z".into(),
        })
    }
}

fn looks_like_transcript(raw: &str) -> bool {
    let first = raw.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with("WEBVTT") || raw.contains("-->") {
        return true;
    }
    let lines: Vec<&str> = raw.lines().filter(|l| !l.trim().is_empty()).collect();
    let speakers = lines
        .iter()
        .filter(|l| {
            l.split_once(':').is_some_and(|(name, _)| {
                let name = name.trim();
                !name.is_empty() && name.chars().count() <= 40 && !name.contains(['.', '?', '!', ',', '"'])
            })
        })
        .count();
    lines.len() >= 2 && speakers * 2 >= lines.len()
}

/// The first occurrence of `quote` at or after code point `from` (then anywhere), as code points.
pub(crate) fn find_quote(content: &str, quote: &str, from: usize) -> Option<(usize, usize)> {
    let from_byte = text::byte_index(content, from).unwrap_or(0);
    let at = content
        .get(from_byte..)
        .and_then(|rest| rest.find(quote))
        .map(|i| i + from_byte)
        .or_else(|| content.find(quote))?;
    let start = content.get(..at)?.chars().count();
    Some((start, start + quote.chars().count()))
}

fn to_coding(c: &QualCodingRow) -> Coding {
    Coding {
        code: c.code.clone(),
        coder: c.coder.clone(),
        start: usize::try_from(c.start).unwrap_or(0),
        end: usize::try_from(c.end).unwrap_or(0),
    }
}

/// A code and every code under it.
fn descendants(codebook: &Codebook, code: &str) -> Vec<String> {
    let mut out = vec![code.to_string()];
    let mut i = 0;
    while let Some(current) = out.get(i).cloned() {
        for c in codebook
            .codes
            .iter()
            .filter(|c| c.parent.as_deref() == Some(current.as_str()))
        {
            if !out.contains(&c.guid) {
                out.push(c.guid.clone());
            }
        }
        i += 1;
    }
    out
}

fn segments_of(view: &ProjectView, codings: &[QualCodingRow], texts: &[QualSourceRow]) -> Vec<Segment> {
    codings
        .iter()
        .filter_map(|c| {
            let source = texts.iter().find(|t| t.id == c.source)?;
            let start = usize::try_from(c.start).ok()?;
            let end = usize::try_from(c.end).ok()?;
            Some(Segment {
                coding: c.id.clone(),
                selection: c.selection.clone(),
                source: source.id.clone(),
                source_name: source.name.clone(),
                participant: source.participant.clone(),
                participant_name: source
                    .participant
                    .as_deref()
                    .map_or_else(|| "(not linked)".to_string(), |p| view.participant_name(p)),
                code: c.code.clone(),
                code_name: view.code_name(&c.code),
                coder: c.coder.clone(),
                coder_name: view.coder_name(&c.coder),
                start,
                end,
                text: text::slice_chars(&source.content, start, end).unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// Cuts `0..len` at every coding boundary; each piece lists the codings covering it.
fn pieces(len: usize, codings: &[QualCodingRow]) -> Vec<(usize, usize, Vec<String>)> {
    let mut cuts: BTreeSet<usize> = BTreeSet::from([0, len]);
    for c in codings {
        for p in [c.start, c.end] {
            if let Ok(p) = usize::try_from(p)
                && p <= len
            {
                cuts.insert(p);
            }
        }
    }
    let cuts: Vec<usize> = cuts.into_iter().collect();
    cuts.windows(2)
        .filter_map(|w| match w {
            [a, b] if a < b => {
                let covering = codings
                    .iter()
                    .filter(|c| {
                        usize::try_from(c.start).is_ok_and(|s| s <= *a) && usize::try_from(c.end).is_ok_and(|e| e >= *b)
                    })
                    .map(|c| c.id.clone())
                    .collect();
                Some((*a, *b, covering))
            }
            _ => None,
        })
        .collect()
}

async fn load_project(
    tx: &mut WriteTxn,
    permit: &Permit,
    project: &str,
    actor: &Actor,
) -> Result<ProjectView, AppError> {
    let row = tx.qual_project(permit, project).await?;
    let codebook = decode_codebook(&row.codebook)?;
    let members = tx.qual_members(permit, project).await?;
    let coders = tx.qual_coders(permit, project).await?;
    let variables = tx.qual_variables(permit, project).await?;
    let participants = tx.qual_participants(permit, project).await?;
    let mut sources = tx.qual_sources(permit, project).await?;
    let memos = tx.qual_memos(permit, project, None).await?;
    let coding_counts = tx.qual_coding_counts(permit, project).await?;
    let mut by_source: HashMap<&str, i64> = HashMap::new();
    let mut code_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (source, code, n) in &coding_counts {
        *by_source.entry(source.as_str()).or_default() += n;
        *code_counts.entry(code.clone()).or_default() += usize::try_from(*n).unwrap_or(0);
    }
    for s in &mut sources {
        s.codings = by_source.get(s.id.as_str()).copied().unwrap_or(0);
    }
    let role = actor
        .account_id()
        .and_then(|me| members.iter().find(|m| m.account == me).map(|m| m.role));
    Ok(ProjectView {
        project: row,
        codebook,
        role,
        members,
        coders,
        variables,
        participants,
        sources,
        code_counts,
        coding_counts,
        memos,
    })
}

fn framework_matrix(
    view: &ProjectView,
    chosen: &[String],
    counts: &[(String, String, i64)],
    summaries: &[cocare_store::QualMatrixCell],
) -> FrameworkMatrix {
    let columns: Vec<String> = if chosen.is_empty() {
        view.codebook
            .codes
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| c.guid.clone())
            .collect()
    } else {
        chosen
            .iter()
            .filter(|g| view.codebook.codes.iter().any(|c| c.guid == **g))
            .cloned()
            .collect()
    };
    // Which column each code rolls up into (a code may sit under a chosen column).
    let mut column_of: HashMap<String, Vec<String>> = HashMap::new();
    for col in &columns {
        for d in descendants(&view.codebook, col) {
            column_of.entry(d).or_default().push(col.clone());
        }
    }
    let mut cells: BTreeMap<(String, String), (i64, String)> = BTreeMap::new();
    for (participant, code, n) in counts {
        for col in column_of.get(code).into_iter().flatten() {
            cells.entry((participant.clone(), col.clone())).or_default().0 += n;
        }
    }
    for s in summaries {
        if columns.contains(&s.code) {
            cells.entry((s.participant.clone(), s.code.clone())).or_default().1 = s.summary.clone();
        }
    }
    FrameworkMatrix {
        participants: view.participants.clone(),
        codes: columns.iter().map(|g| (g.clone(), view.code_name(g))).collect(),
        cells,
    }
}

fn unit_spans(unit: &str, source: &QualSourceRow) -> Result<Unit, AppError> {
    Ok(match unit {
        "sentence" => Unit::Sentences,
        "character" => Unit::Characters,
        "turn" => {
            let turns = decode_turns(&source.turns);
            if turns.is_empty() {
                // A text without speaker turns: its paragraphs (lines) are the turns.
                let mut spans = Vec::new();
                let mut start = 0;
                for line in source.content.split('\n') {
                    let len = line.chars().count();
                    if !line.trim().is_empty() {
                        spans.push((start, start + len));
                    }
                    start += len + 1;
                }
                Unit::Spans(spans)
            } else {
                Unit::Spans(turns.iter().map(|t| (t.start, t.end)).collect())
            }
        }
        _ => return Err(invalid("unit", "Choose speaker turns, sentences or characters.")),
    })
}

fn agreement_report(
    view: &ProjectView,
    codings: &[QualCodingRow],
    texts: &[QualSourceRow],
    unit: &str,
) -> Result<AgreementReport, AppError> {
    let mut per_code: BTreeMap<String, Reliability> = BTreeMap::new();
    let mut overall = Reliability::default();
    let mut all_coders: BTreeSet<String> = BTreeSet::new();
    let mut disagreements = Vec::new();
    let mut disagreements_total = 0;
    let codable: Vec<&Code> = view.codebook.codes.iter().filter(|c| c.codable).collect();
    for source in texts {
        let here: Vec<Coding> = codings
            .iter()
            .filter(|c| c.source == source.id)
            .map(to_coding)
            .collect();
        let coders: Vec<String> = here
            .iter()
            .map(|c| c.coder.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if coders.len() < 2 {
            continue;
        }
        all_coders.extend(coders.iter().cloned());
        let spans = unit_spans(unit, source)?;
        for code in &codable {
            if !here.iter().any(|c| c.code == code.guid) {
                // Nobody used this code here: every unit agrees on "not this code". Counting
                // those would inflate agreement, so a code counts only where someone used it.
                continue;
            }
            let data = coding::reliability_for_code(&source.content, &here, &code.guid, &coders, &spans);
            let entry = per_code.entry(code.guid.clone()).or_default();
            for (u, values) in &data.units {
                let key = format!("{}/{}", source.id, u);
                entry.units.push((key.clone(), values.clone()));
                overall.units.push((format!("{}/{key}", code.guid), values.clone()));
                let distinct: BTreeSet<&String> = values.values().collect();
                if distinct.len() > 1 {
                    disagreements_total += 1;
                    if disagreements.len() < 200
                        && let Some((a, b)) = parse_span(u)
                    {
                        let applied_by = values
                            .iter()
                            .filter(|(_, v)| v.as_str() == "1")
                            .map(|(c, _)| view.coder_name(c))
                            .collect();
                        let not_applied_by = values
                            .iter()
                            .filter(|(_, v)| v.as_str() != "1")
                            .map(|(c, _)| view.coder_name(c))
                            .collect();
                        disagreements.push(Disagreement {
                            source: source.id.clone(),
                            source_name: source.name.clone(),
                            code_name: code.name.clone(),
                            start: a,
                            end: b,
                            text: text::slice_chars(&source.content, a, b).unwrap_or("").to_string(),
                            applied_by,
                            not_applied_by,
                        });
                    }
                }
            }
            for c in &data.coders {
                if !entry.coders.contains(c) {
                    entry.coders.push(c.clone());
                }
            }
        }
    }
    overall.coders = all_coders.iter().cloned().collect();
    let summarise = |code: &str, name: &str, data: &Reliability| {
        let (cohen, cohen_note) = if data.coders.len() == 2 {
            match agreement::cohen(data) {
                Ok(a) => (Some(a), None),
                Err(e) => (None, Some(e.to_string())),
            }
        } else {
            (
                None,
                Some(format!(
                    "Cohen's kappa needs exactly two coders; there are {}",
                    data.coders.len()
                )),
            )
        };
        let (alpha, alpha_note) = match agreement::krippendorff(data, Level::Nominal) {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(e.to_string())),
        };
        CodeAgreement {
            code: code.to_string(),
            code_name: name.to_string(),
            percent: agreement::percent(data),
            cohen,
            cohen_note,
            alpha,
            alpha_note,
        }
    };
    let codes: Vec<CodeAgreement> = per_code
        .iter()
        .map(|(guid, data)| summarise(guid, &view.code_name(guid), data))
        .collect();
    let overall = (!overall.units.is_empty()).then(|| summarise("", "All codes", &overall));
    Ok(AgreementReport {
        unit: unit.to_string(),
        coders: all_coders.iter().map(|c| view.coder_name(c)).collect(),
        sources: texts.len(),
        overall,
        codes,
        disagreements,
        disagreements_total,
    })
}

/// Units from `reliability_for_code` are named `start-end`.
fn parse_span(unit: &str) -> Option<(usize, usize)> {
    let (a, b) = unit.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn cmo_views(versions: &[QualCmoVersion]) -> Result<Vec<CmoView>, AppError> {
    let mut by_id: Vec<(String, Vec<&QualCmoVersion>)> = Vec::new();
    for v in versions {
        match by_id.iter_mut().find(|(id, _)| *id == v.id) {
            Some((_, list)) => list.push(v),
            None => by_id.push((v.id.clone(), vec![v])),
        }
    }
    let mut out = Vec::new();
    for (id, list) in by_id {
        let mut history = Vec::new();
        let mut previous: Option<Cmo> = None;
        let mut latest = None;
        for v in list {
            let cmo: Cmo = serde_json::from_str(&v.body).map_err(|_| stored("CMO configuration"))?;
            let changes = match &previous {
                None => vec!["first version".to_string()],
                Some(p) => cocare_qual::realist::changes(p, &cmo),
            };
            history.push((v.version, v.created_at.clone(), v.created_by.clone(), changes));
            previous = Some(cmo.clone());
            latest = Some((v, cmo));
        }
        if let Some((v, cmo)) = latest {
            out.push(CmoView {
                id,
                version: v.version,
                cmo,
                created_at: v.created_at.clone(),
                created_by: v.created_by.clone(),
                history,
            });
        }
    }
    out.sort_by(|a, b| (&a.cmo.theory, &a.cmo.name).cmp(&(&b.cmo.theory, &b.cmo.name)));
    Ok(out)
}

/// A source's metadata that REFI-QDA has no place for, carried beside it in the QDPX.
#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    kind: String,
    #[serde(default)]
    turns: Vec<Turn>,
    #[serde(default)]
    created_by: String,
}

fn to_qdpx(view: &ProjectView, texts: &[QualSourceRow], codings: &[QualCodingRow]) -> qdpx::Project {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let notes_for = |kind: &str, target: &str| -> Vec<String> {
        view.memos
            .iter()
            .filter(|m| m.target_kind == kind && m.target == target)
            .map(|m| m.id.clone())
            .collect()
    };
    let sources = texts
        .iter()
        .map(|s| {
            let mut selections: Vec<qdpx::Selection> = Vec::new();
            for c in codings.iter().filter(|c| c.source == s.id) {
                let coding = qdpx::SelectionCoding {
                    guid: c.id.clone(),
                    code: c.code.clone(),
                    creating_user: Some(c.coder.clone()),
                    created: opt(&c.created_at),
                };
                match selections.iter_mut().find(|sel| sel.guid == c.selection) {
                    Some(sel) => sel.codings.push(coding),
                    None => selections.push(qdpx::Selection {
                        guid: c.selection.clone(),
                        start: usize::try_from(c.start).unwrap_or(0),
                        end: usize::try_from(c.end).unwrap_or(0),
                        creating_user: Some(c.coder.clone()),
                        created: opt(&c.created_at),
                        codings: vec![coding],
                        notes: notes_for("selection", &c.selection),
                    }),
                }
            }
            let sidecar = Sidecar {
                kind: s.kind.clone(),
                turns: decode_turns(&s.turns),
                created_by: s.created_by.clone(),
            };
            qdpx::TextSource {
                guid: s.id.clone(),
                name: s.name.clone(),
                description: s.description.clone(),
                text: s.content.clone(),
                creating_user: None,
                created: opt(&s.created_at),
                selections,
                notes: notes_for("source", &s.id),
                sidecar: serde_json::to_string(&sidecar).ok(),
            }
        })
        .collect();
    let mut code_notes = Vec::new();
    for m in view.memos.iter().filter(|m| m.target_kind == "code") {
        code_notes.push((m.target.clone(), m.id.clone()));
    }
    qdpx::Project {
        name: view.project.name.clone(),
        origin: format!("cocare {}", env!("CARGO_PKG_VERSION")),
        description: view.project.description.clone(),
        created: opt(&view.project.created_at),
        creating_user: None,
        users: view
            .coders
            .iter()
            .map(|c| qdpx::User {
                guid: c.guid.clone(),
                name: c.name.clone(),
            })
            .collect(),
        // REFI-QDA keeps one origin for the project: the codebook's travels as the project's.
        codebook: Codebook {
            origin: format!("cocare {}", env!("CARGO_PKG_VERSION")),
            codes: view.codebook.codes.clone(),
        },
        code_notes,
        variables: view
            .variables
            .iter()
            .map(|v| qdpx::Variable {
                guid: v.guid.clone(),
                name: v.name.clone(),
                kind: variable_kind(&v.kind),
                description: v.description.clone(),
            })
            .collect(),
        cases: view
            .participants
            .iter()
            .map(|p| qdpx::Case {
                guid: p.id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                values: p.values.clone(),
                sources: view
                    .sources
                    .iter()
                    .filter(|s| s.participant.as_deref() == Some(p.id.as_str()))
                    .map(|s| s.id.clone())
                    .collect(),
            })
            .collect(),
        sources,
        notes: view
            .memos
            .iter()
            .map(|m| qdpx::Note {
                guid: m.id.clone(),
                name: m.name.clone(),
                text: m.body.clone(),
                creating_user: Some(m.author.clone()),
                created: opt(&m.created_at),
            })
            .collect(),
        project_notes: notes_for("project", &view.project.id),
    }
}

fn variable_kind(kind: &str) -> qdpx::VariableType {
    match kind {
        "Boolean" => qdpx::VariableType::Boolean,
        "Integer" => qdpx::VariableType::Integer,
        "Float" => qdpx::VariableType::Float,
        "Date" => qdpx::VariableType::Date,
        "DateTime" => qdpx::VariableType::DateTime,
        _ => qdpx::VariableType::Text,
    }
}

fn variable_kind_name(kind: &qdpx::VariableType) -> &'static str {
    match kind {
        qdpx::VariableType::Text => "Text",
        qdpx::VariableType::Boolean => "Boolean",
        qdpx::VariableType::Integer => "Integer",
        qdpx::VariableType::Float => "Float",
        qdpx::VariableType::Date => "Date",
        qdpx::VariableType::DateTime => "DateTime",
    }
}

async fn import_project(
    tx: &mut WriteTxn,
    permit: &Permit,
    organisation: OrganisationId,
    owner: Option<AccountId>,
    id: &str,
    actor: &Actor,
    p: &qdpx::Project,
) -> Result<QdpxImported, AppError> {
    let created = p.created.clone().unwrap_or_else(now);
    let row = QualProjectRow {
        id: id.to_string(),
        organisation,
        name: if p.name.trim().is_empty() {
            "Imported project".into()
        } else {
            p.name.clone()
        },
        description: p.description.clone(),
        codebook: serde_json::to_string(&p.codebook).map_err(anyhow::Error::new)?,
        codebook_revision: 1,
        created_at: created,
        created_by: actor.audit_name(),
    };
    tx.insert_qual_project(permit, organisation, &row, owner).await?;
    let scope = ProjectScope {
        organisation,
        members: owner.map(|o| (o, ProjectRole::Owner)).into_iter().collect(),
    };
    // The import runs as the actor who asked (or the system); it writes as the project's owner
    // would, so the permit is for coding the new project.
    let code = match decide(actor, Action::CodeQualProject, &Resource::Project(&scope)) {
        Ok(p) => p,
        Err(e) => return Err(e.into()),
    };
    for u in &p.users {
        tx.ensure_qual_coder(&code, id, &u.guid, &u.name).await?;
    }
    for v in &p.variables {
        tx.insert_qual_variable(
            &code,
            id,
            &QualVariableRow {
                guid: v.guid.clone(),
                name: v.name.clone(),
                kind: variable_kind_name(&v.kind).into(),
                description: v.description.clone(),
            },
        )
        .await?;
    }
    let mut participant_of: HashMap<&str, &str> = HashMap::new();
    for c in &p.cases {
        tx.insert_qual_participant(
            &code,
            id,
            &QualParticipantRow {
                id: c.guid.clone(),
                name: if c.name.is_empty() {
                    c.guid.clone()
                } else {
                    c.name.clone()
                },
                description: c.description.clone(),
                values: c.values.clone(),
            },
        )
        .await?;
        for s in &c.sources {
            participant_of.entry(s.as_str()).or_insert(c.guid.as_str());
        }
    }
    let mut codings = Vec::new();
    let mut memos = 0;
    for s in &p.sources {
        let sidecar: Option<Sidecar> = s.sidecar.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let (kind, turns, created_by) = match &sidecar {
            Some(sc) => (sc.kind.as_str(), sc.turns.clone(), Some(sc.created_by.as_str())),
            None => ("text", Vec::new(), None),
        };
        let turns = serde_json::to_string(&turns).map_err(anyhow::Error::new)?;
        tx.insert_qual_source(
            &code,
            id,
            &NewQualSource {
                id: &s.guid,
                name: &s.name,
                description: &s.description,
                kind,
                content: &s.text,
                turns: &turns,
                participant: participant_of.get(s.guid.as_str()).copied(),
                created_at: s.created.as_deref(),
                created_by: created_by.filter(|c| !c.is_empty()),
            },
        )
        .await?;
        for sel in &s.selections {
            for c in &sel.codings {
                codings.push(QualCodingRow {
                    id: c.guid.clone(),
                    source: s.guid.clone(),
                    selection: sel.guid.clone(),
                    code: c.code.clone(),
                    coder: c
                        .creating_user
                        .clone()
                        .or_else(|| sel.creating_user.clone())
                        .unwrap_or_else(|| coder_guid(actor)),
                    start: i64::try_from(sel.start).unwrap_or(i64::MAX),
                    end: i64::try_from(sel.end).unwrap_or(i64::MAX),
                    created_at: c.created.clone().or_else(|| sel.created.clone()).unwrap_or_else(now),
                });
            }
        }
    }
    let known: BTreeSet<String> = p.users.iter().map(|u| u.guid.clone()).collect();
    for c in &codings {
        if !known.contains(&c.coder) {
            tx.ensure_qual_coder(&code, id, &c.coder, "Unnamed coder").await?;
        }
    }
    tx.insert_qual_codings(&code, id, &codings).await?;
    let mut targets: HashMap<&str, (&str, String)> = HashMap::new();
    for n in &p.project_notes {
        targets.insert(n.as_str(), ("project", id.to_string()));
    }
    for (code_guid, n) in &p.code_notes {
        targets.insert(n.as_str(), ("code", code_guid.clone()));
    }
    for s in &p.sources {
        for n in &s.notes {
            targets.insert(n.as_str(), ("source", s.guid.clone()));
        }
        for sel in &s.selections {
            for n in &sel.notes {
                targets.insert(n.as_str(), ("selection", sel.guid.clone()));
            }
        }
    }
    for n in &p.notes {
        let (kind, target) = targets
            .get(n.guid.as_str())
            .cloned()
            .unwrap_or(("project", id.to_string()));
        let author = n.creating_user.clone().unwrap_or_else(|| coder_guid(actor));
        if !known.contains(&author) {
            tx.ensure_qual_coder(&code, id, &author, "Unnamed coder").await?;
        }
        let created = n.created.clone().unwrap_or_else(now);
        tx.save_qual_memo(
            &code,
            id,
            &QualMemoRow {
                id: n.guid.clone(),
                target_kind: kind.into(),
                target,
                name: n.name.clone(),
                body: n.text.clone(),
                author,
                created_at: created.clone(),
                updated_at: created,
                revision: 0,
            },
        )
        .await?;
        memos += 1;
    }
    Ok(QdpxImported {
        project: id.to_string(),
        owner,
        sources: p.sources.len(),
        codings: codings.len(),
        memos,
        skipped: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_found_by_code_points_after_a_position() {
        let text = "Café 😀 yes. Café again";
        assert_eq!(find_quote(text, "Café", 0), Some((0, 4)));
        assert_eq!(find_quote(text, "Café", 1), Some((12, 16)));
        assert_eq!(find_quote(text, "nothing", 0), None);
    }

    #[test]
    fn pieces_cut_the_text_at_every_coding_boundary() {
        let c = |id: &str, s: i64, e: i64| QualCodingRow {
            id: id.into(),
            source: "s".into(),
            selection: id.into(),
            code: "c".into(),
            coder: "k".into(),
            start: s,
            end: e,
            created_at: String::new(),
        };
        let p = pieces(10, &[c("a", 2, 6), c("b", 4, 8)]);
        let spans: Vec<(usize, usize, usize)> = p.iter().map(|(a, b, cov)| (*a, *b, cov.len())).collect();
        assert_eq!(spans, [(0, 2, 0), (2, 4, 1), (4, 6, 2), (6, 8, 1), (8, 10, 0)]);
    }

    #[test]
    fn transcripts_are_recognised_by_times_or_speakers() {
        assert!(looks_like_transcript("WEBVTT\n\n00:00.000 --> 00:01.000\nhi"));
        assert!(looks_like_transcript("Interviewer: How was it?\nP01: Hard.\n"));
        assert!(!looks_like_transcript(
            "A paper abstract. Methods: we did things.\nResults were mixed."
        ));
    }
}
