//! The qualitative workbench's tables: projects and their members, coders, participants and
//! their attributes, sources, codings, memos, framework-matrix summaries and CMO configurations.
//!
//! Every method takes a [`Permit`] for one of the project actions, and every method that reads or
//! writes a project's words appends an audit row naming the project (never the words). Which
//! project a permit covers is the use case's business: it loads [`WriteTxn::qual_project_scope`],
//! asks the policy, and passes the same project id here.

use chrono::Utc;
use cocare_core::{AccountId, OrganisationId, format_timestamp};
use cocare_policy::{Action, Permit, ProjectRole, ProjectScope};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::Backend;
use crate::rows::require;
use crate::{StoreError, WriteTxn};

const READ: &[Action] = &[
    Action::ReadQualProject,
    Action::CodeQualProject,
    Action::ManageQualProject,
];
const WRITE: &[Action] = &[Action::CodeQualProject, Action::ManageQualProject];
const MANAGE: &[Action] = &[Action::ManageQualProject];

fn now() -> String {
    format_timestamp(Utc::now())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualProjectRow {
    pub id: String,
    pub organisation: OrganisationId,
    pub name: String,
    pub description: String,
    /// The codebook as JSON (`cocare_qual::codebook::Codebook`).
    pub codebook: String,
    pub codebook_revision: i64,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualProjectSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub role: ProjectRole,
    pub sources: i64,
    pub codings: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualMemberRow {
    pub account: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: ProjectRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualCoderRow {
    pub guid: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualVariableRow {
    pub guid: String,
    pub name: String,
    /// A REFI-QDA `typeOfVariable`: Text, Boolean, Integer, Float, Date, DateTime.
    pub kind: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualParticipantRow {
    pub id: String,
    pub name: String,
    pub description: String,
    /// (variable guid, value), by the variables' order.
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualSourceRow {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `text`, `markdown`, `transcript` or `document`.
    pub kind: String,
    /// The plain text (empty in listings).
    pub content: String,
    /// Length in code points.
    pub length: i64,
    /// Speaker turns as JSON (`[]` when none; empty in listings).
    pub turns: String,
    pub participant: Option<String>,
    pub codings: i64,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualCodingRow {
    pub id: String,
    pub source: String,
    pub selection: String,
    pub code: String,
    pub coder: String,
    pub start: i64,
    pub end: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualMemoRow {
    pub id: String,
    /// `project`, `source`, `code` or `selection`.
    pub target_kind: String,
    pub target: String,
    pub name: String,
    pub body: String,
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualMatrixCell {
    pub participant: String,
    pub code: String,
    pub summary: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualCmoVersion {
    pub id: String,
    pub version: i64,
    /// The configuration as JSON.
    pub body: String,
    pub created_at: String,
    pub created_by: String,
}

fn source_row(r: &AnyRow, full: bool) -> Result<QualSourceRow, StoreError> {
    Ok(QualSourceRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        kind: r.try_get("kind")?,
        content: if full { r.try_get("content")? } else { String::new() },
        length: r.try_get("length")?,
        turns: if full { r.try_get("turns")? } else { String::new() },
        participant: r.try_get("participant_id")?,
        codings: if full { 0 } else { r.try_get("codings")? },
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn coding_row(r: &AnyRow) -> Result<QualCodingRow, StoreError> {
    Ok(QualCodingRow {
        id: r.try_get("id")?,
        source: r.try_get("source_id")?,
        selection: r.try_get("selection_guid")?,
        code: r.try_get("code_guid")?,
        coder: r.try_get("coder_guid")?,
        start: r.try_get("start_pos")?,
        end: r.try_get("end_pos")?,
        created_at: r.try_get("created_at")?,
    })
}

fn memo_row(r: &AnyRow) -> Result<QualMemoRow, StoreError> {
    Ok(QualMemoRow {
        id: r.try_get("id")?,
        target_kind: r.try_get("target_kind")?,
        target: r.try_get("target")?,
        name: r.try_get("name")?,
        body: r.try_get("body")?,
        author: r.try_get("author_guid")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        revision: r.try_get("revision")?,
    })
}

fn role_of(raw: &str) -> Result<ProjectRole, StoreError> {
    ProjectRole::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("unknown project role {raw:?}")))
}

/// A new source, as the use case has checked it.
#[derive(Debug, Clone)]
pub struct NewQualSource<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub kind: &'a str,
    pub content: &'a str,
    pub turns: &'a str,
    pub participant: Option<&'a str>,
    pub created_at: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// Turns a search box's words into an FTS5 query that matches sources holding every word, each
/// quoted so no word is read as an operator.
fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

impl WriteTxn {
    /// The facts the policy needs about a project: its organisation and members.
    pub async fn qual_project_scope(&mut self, project: &str) -> Result<Option<ProjectScope>, StoreError> {
        let organisation: Option<String> =
            sqlx::query_scalar("SELECT organisation_id FROM qual_projects WHERE id = $1")
                .bind(project)
                .fetch_optional(self.conn())
                .await?;
        let Some(organisation) = organisation else {
            return Ok(None);
        };
        let organisation = organisation
            .parse::<OrganisationId>()
            .map_err(|e| StoreError::Corrupt(format!("qual_projects.organisation_id: {e}")))?;
        let rows = sqlx::query("SELECT account_id, role FROM qual_members WHERE project_id = $1")
            .bind(project)
            .fetch_all(self.conn())
            .await?;
        let mut members = Vec::with_capacity(rows.len());
        for r in &rows {
            let account: String = r.try_get("account_id")?;
            let role: String = r.try_get("role")?;
            let account = account
                .parse::<AccountId>()
                .map_err(|e| StoreError::Corrupt(format!("qual_members.account_id: {e}")))?;
            members.push((account, role_of(&role)?));
        }
        Ok(Some(ProjectScope { organisation, members }))
    }

    /// Creates a project with its owner as the first member.
    pub async fn insert_qual_project(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        project: &QualProjectRow,
        owner: Option<AccountId>,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "create a qualitative project")?;
        sqlx::query(
            "INSERT INTO qual_projects (id, organisation_id, name, description, codebook, codebook_revision, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&project.id)
        .bind(organisation.to_string())
        .bind(&project.name)
        .bind(&project.description)
        .bind(&project.codebook)
        .bind(project.codebook_revision)
        .bind(&project.created_at)
        .bind(&project.created_by)
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("a project with this id"))?;
        if let Some(owner) = owner {
            sqlx::query(
                "INSERT INTO qual_members (project_id, account_id, role, added_at) VALUES ($1, $2, 'owner', $3)",
            )
            .bind(&project.id)
            .bind(owner.to_string())
            .bind(now())
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("qual-project:{}:created", project.id))
            .await?;
        Ok(())
    }

    /// The projects an account is a member of, in one organisation.
    pub async fn qual_projects_of(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        account: AccountId,
    ) -> Result<Vec<QualProjectSummary>, StoreError> {
        require(permit, MANAGE, "list qualitative projects")?;
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.description, p.created_at, m.role, \
             (SELECT COUNT(*) FROM qual_sources s WHERE s.project_id = p.id) AS sources, \
             (SELECT COUNT(*) FROM qual_codings c WHERE c.project_id = p.id) AS codings \
             FROM qual_projects p JOIN qual_members m ON m.project_id = p.id AND m.account_id = $2 \
             WHERE p.organisation_id = $1 ORDER BY p.name, p.id",
        )
        .bind(organisation.to_string())
        .bind(account.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(QualProjectSummary {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    role: role_of(&role)?,
                    sources: r.try_get("sources")?,
                    codings: r.try_get("codings")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Every project of an organisation (for the command line, which works as the system).
    pub async fn qual_projects_all(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        require(permit, READ, "list qualitative projects")?;
        let rows = sqlx::query("SELECT id, name FROM qual_projects WHERE organisation_id = $1 ORDER BY name, id")
            .bind(organisation.to_string())
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }

    pub async fn qual_project(&mut self, permit: &Permit, project: &str) -> Result<QualProjectRow, StoreError> {
        require(permit, READ, "read a qualitative project")?;
        let r = sqlx::query(
            "SELECT id, organisation_id, name, description, codebook, codebook_revision, created_at, created_by \
             FROM qual_projects WHERE id = $1",
        )
        .bind(project)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound("project"))?;
        let organisation: String = r.try_get("organisation_id")?;
        Ok(QualProjectRow {
            id: r.try_get("id")?,
            organisation: organisation
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("qual_projects.organisation_id: {e}")))?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            codebook: r.try_get("codebook")?,
            codebook_revision: r.try_get("codebook_revision")?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    /// Replaces the codebook if nobody has changed it since `expected_revision`; returns the new
    /// revision, or `Conflict` when someone else saved first.
    pub async fn save_qual_codebook(
        &mut self,
        permit: &Permit,
        project: &str,
        codebook: &str,
        expected_revision: i64,
    ) -> Result<i64, StoreError> {
        require(permit, WRITE, "change a codebook")?;
        let done = sqlx::query(
            "UPDATE qual_projects SET codebook = $1, codebook_revision = codebook_revision + 1 \
             WHERE id = $2 AND codebook_revision = $3",
        )
        .bind(codebook)
        .bind(project)
        .bind(expected_revision)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("a newer version of this codebook"));
        }
        self.audit_permit(permit, &format!("qual-project:{project}:codebook-saved"))
            .await?;
        Ok(expected_revision + 1)
    }

    pub async fn qual_members(&mut self, permit: &Permit, project: &str) -> Result<Vec<QualMemberRow>, StoreError> {
        require(permit, READ, "list project members")?;
        let rows = sqlx::query(
            "SELECT m.account_id, a.username, a.display_name, m.role FROM qual_members m \
             JOIN accounts a ON a.id = m.account_id WHERE m.project_id = $1 ORDER BY a.username",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let account: String = r.try_get("account_id")?;
                let role: String = r.try_get("role")?;
                Ok(QualMemberRow {
                    account: account
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("qual_members.account_id: {e}")))?,
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    role: role_of(&role)?,
                })
            })
            .collect()
    }

    /// Adds a member or changes their role; `None` removes them.
    pub async fn set_qual_member(
        &mut self,
        permit: &Permit,
        project: &str,
        account: AccountId,
        role: Option<ProjectRole>,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "change project members")?;
        sqlx::query("DELETE FROM qual_members WHERE project_id = $1 AND account_id = $2")
            .bind(project)
            .bind(account.to_string())
            .execute(self.conn())
            .await?;
        if let Some(role) = role {
            sqlx::query("INSERT INTO qual_members (project_id, account_id, role, added_at) VALUES ($1, $2, $3, $4)")
                .bind(project)
                .bind(account.to_string())
                .bind(role.as_str())
                .bind(now())
                .execute(self.conn())
                .await?;
        }
        let what = role.map_or("removed", ProjectRole::as_str);
        self.audit_permit(permit, &format!("qual-project:{project}:member:{account}:{what}"))
            .await?;
        Ok(())
    }

    /// Records a coder (a cocare account or a user of the software a project came from).
    pub async fn ensure_qual_coder(
        &mut self,
        permit: &Permit,
        project: &str,
        guid: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "record a coder")?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT name FROM qual_coders WHERE project_id = $1 AND guid = $2")
                .bind(project)
                .bind(guid)
                .fetch_optional(self.conn())
                .await?;
        match known {
            Some(old) if old == name => {}
            Some(_) => {
                sqlx::query("UPDATE qual_coders SET name = $1 WHERE project_id = $2 AND guid = $3")
                    .bind(name)
                    .bind(project)
                    .bind(guid)
                    .execute(self.conn())
                    .await?;
            }
            None => {
                sqlx::query("INSERT INTO qual_coders (project_id, guid, name) VALUES ($1, $2, $3)")
                    .bind(project)
                    .bind(guid)
                    .bind(name)
                    .execute(self.conn())
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn qual_coders(&mut self, permit: &Permit, project: &str) -> Result<Vec<QualCoderRow>, StoreError> {
        require(permit, READ, "list coders")?;
        let rows = sqlx::query("SELECT guid, name FROM qual_coders WHERE project_id = $1 ORDER BY name, guid")
            .bind(project)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QualCoderRow {
                    guid: r.try_get("guid")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    pub async fn qual_variables(&mut self, permit: &Permit, project: &str) -> Result<Vec<QualVariableRow>, StoreError> {
        require(permit, READ, "list attributes")?;
        let rows = sqlx::query(
            "SELECT guid, name, kind, description FROM qual_variables WHERE project_id = $1 ORDER BY position, name",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QualVariableRow {
                    guid: r.try_get("guid")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }

    pub async fn insert_qual_variable(
        &mut self,
        permit: &Permit,
        project: &str,
        variable: &QualVariableRow,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "add an attribute")?;
        let position: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM qual_variables WHERE project_id = $1")
            .bind(project)
            .fetch_one(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO qual_variables (project_id, guid, name, kind, description, position) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(project)
        .bind(&variable.guid)
        .bind(&variable.name)
        .bind(&variable.kind)
        .bind(&variable.description)
        .bind(position)
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("an attribute with this id"))?;
        Ok(())
    }

    /// Adds a participant (a REFI-QDA case) with attribute values.
    pub async fn insert_qual_participant(
        &mut self,
        permit: &Permit,
        project: &str,
        participant: &QualParticipantRow,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "add a participant")?;
        sqlx::query(
            "INSERT INTO qual_participants (id, project_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&participant.id)
        .bind(project)
        .bind(&participant.name)
        .bind(&participant.description)
        .bind(now())
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("a participant with this id"))?;
        self.set_values(project, &participant.id, &participant.values).await?;
        self.audit_permit(permit, &format!("qual-participant:{}:added", participant.id))
            .await?;
        Ok(())
    }

    /// Replaces a participant's name, description and attribute values.
    pub async fn update_qual_participant(
        &mut self,
        permit: &Permit,
        project: &str,
        participant: &QualParticipantRow,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "change a participant")?;
        let done =
            sqlx::query("UPDATE qual_participants SET name = $1, description = $2 WHERE id = $3 AND project_id = $4")
                .bind(&participant.name)
                .bind(&participant.description)
                .bind(&participant.id)
                .bind(project)
                .execute(self.conn())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("participant"));
        }
        sqlx::query("DELETE FROM qual_participant_values WHERE project_id = $1 AND participant_id = $2")
            .bind(project)
            .bind(&participant.id)
            .execute(self.conn())
            .await?;
        self.set_values(project, &participant.id, &participant.values).await?;
        self.audit_permit(permit, &format!("qual-participant:{}:changed", participant.id))
            .await?;
        Ok(())
    }

    async fn set_values(
        &mut self,
        project: &str,
        participant: &str,
        values: &[(String, String)],
    ) -> Result<(), StoreError> {
        for (variable, value) in values {
            sqlx::query(
                "INSERT INTO qual_participant_values (project_id, participant_id, variable_guid, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(project)
            .bind(participant)
            .bind(variable)
            .bind(value)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Participants' labels only (no attributes), for naming search results and segments.
    pub async fn qual_participant_labels(
        &mut self,
        permit: &Permit,
        project: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        require(permit, READ, "list participants")?;
        let rows = sqlx::query("SELECT id, name FROM qual_participants WHERE project_id = $1")
            .bind(project)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }

    pub async fn qual_participants(
        &mut self,
        permit: &Permit,
        project: &str,
    ) -> Result<Vec<QualParticipantRow>, StoreError> {
        require(permit, READ, "list participants")?;
        let rows =
            sqlx::query("SELECT id, name, description FROM qual_participants WHERE project_id = $1 ORDER BY name, id")
                .bind(project)
                .fetch_all(self.conn())
                .await?;
        let values = sqlx::query(
            "SELECT v.participant_id, v.variable_guid, v.value FROM qual_participant_values v \
             LEFT JOIN qual_variables var ON var.project_id = v.project_id AND var.guid = v.variable_guid \
             WHERE v.project_id = $1 ORDER BY var.position, v.variable_guid",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        let mut by_participant: std::collections::HashMap<String, Vec<(String, String)>> =
            std::collections::HashMap::new();
        for v in &values {
            let pid: String = v.try_get("participant_id")?;
            by_participant
                .entry(pid)
                .or_default()
                .push((v.try_get("variable_guid")?, v.try_get("value")?));
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let values = by_participant.remove(&id).unwrap_or_default();
            out.push(QualParticipantRow {
                id,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                values,
            });
        }
        self.audit_permit(permit, &format!("qual-project:{project}:participants-read"))
            .await?;
        Ok(out)
    }

    pub async fn insert_qual_source(
        &mut self,
        permit: &Permit,
        project: &str,
        source: &NewQualSource<'_>,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "import a source")?;
        let length = i64::try_from(source.content.chars().count()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO qual_sources (id, project_id, name, description, kind, content, length, turns, participant_id, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(source.id)
        .bind(project)
        .bind(source.name)
        .bind(source.description)
        .bind(source.kind)
        .bind(source.content)
        .bind(length)
        .bind(source.turns)
        .bind(source.participant)
        .bind(source.created_at.map_or_else(now, str::to_string))
        .bind(source.created_by.unwrap_or(permit.actor()))
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("a source with this id"))?;
        self.audit_permit(permit, &format!("qual-source:{}:imported", source.id))
            .await?;
        Ok(())
    }

    /// Links a source to a participant (or to nobody).
    pub async fn set_qual_source_participant(
        &mut self,
        permit: &Permit,
        project: &str,
        source: &str,
        participant: Option<&str>,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "link a source to a participant")?;
        let done = sqlx::query("UPDATE qual_sources SET participant_id = $1 WHERE id = $2 AND project_id = $3")
            .bind(participant)
            .bind(source)
            .bind(project)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("source"));
        }
        self.audit_permit(permit, &format!("qual-source:{source}:participant-set"))
            .await?;
        Ok(())
    }

    /// The project's sources without their text, each with its number of codings.
    pub async fn qual_sources(&mut self, permit: &Permit, project: &str) -> Result<Vec<QualSourceRow>, StoreError> {
        require(permit, READ, "list sources")?;
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.description, s.kind, s.length, s.participant_id, s.created_at, s.created_by, \
             0 AS codings FROM qual_sources s WHERE s.project_id = $1 ORDER BY s.name, s.id",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| source_row(r, false)).collect()
    }

    /// Sources with their text: the ones named, or all of the project's when `ids` is `None`.
    pub async fn qual_source_texts(
        &mut self,
        permit: &Permit,
        project: &str,
        ids: Option<&[String]>,
    ) -> Result<Vec<QualSourceRow>, StoreError> {
        require(permit, READ, "read sources")?;
        let select = "SELECT id, name, description, kind, content, length, turns, participant_id, created_at, created_by \
                      FROM qual_sources WHERE project_id = $1";
        let rows = match ids {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{select} ORDER BY name, id")))
                    .bind(project)
                    .fetch_all(self.conn())
                    .await?
            }
            Some(ids) => {
                // A few hundred ids a statement, in one round trip each.
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(400) {
                    let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{select} AND id IN ({})",
                        marks.join(", ")
                    )))
                    .bind(project.to_string());
                    for id in chunk {
                        q = q.bind(id.clone());
                    }
                    out.extend(q.fetch_all(self.conn()).await?);
                }
                out
            }
        };
        let mut sources = rows
            .iter()
            .map(|r| source_row(r, true))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(ids) = ids {
            // In the order asked for (search results are best first).
            let rank: std::collections::HashMap<&str, usize> =
                ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            sources.sort_by_key(|s| rank.get(s.id.as_str()).copied().unwrap_or(usize::MAX));
        }
        let which = match ids {
            None => "all".to_string(),
            Some(ids) => ids.len().to_string(),
        };
        self.audit_permit(permit, &format!("qual-project:{project}:sources-read:{which}"))
            .await?;
        Ok(sources)
    }

    /// Sources holding every one of `words` (lower-cased words, matched whole), best first.
    pub async fn qual_search(
        &mut self,
        permit: &Permit,
        project: &str,
        words: &[String],
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        require(permit, READ, "search sources")?;
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(
                    // CROSS JOIN keeps the index lookup first: SQLite runs the MATCH once, not
                    // once per source of the project.
                    "SELECT s.id FROM qual_source_fts f CROSS JOIN qual_sources s ON s.rowid = f.rowid \
                     WHERE qual_source_fts MATCH $1 AND s.project_id = $2 ORDER BY f.rank LIMIT $3",
                )
                .bind(fts5_query(words))
                .bind(project)
                .bind(limit)
                .fetch_all(self.conn())
                .await?
            }
            Backend::Postgres => {
                sqlx::query_scalar(
                    "SELECT s.id FROM qual_source_words w \
                     JOIN qual_sources s ON s.project_id = w.project_id AND s.id = w.source_id \
                     WHERE w.project_id = $1 AND w.words @@ plainto_tsquery('simple', $2) \
                     ORDER BY ts_rank(w.words, plainto_tsquery('simple', $2)) DESC, s.name LIMIT $3",
                )
                .bind(project)
                .bind(words.join(" "))
                .bind(limit)
                .fetch_all(self.conn())
                .await?
            }
        };
        self.audit_permit(permit, &format!("qual-project:{project}:searched"))
            .await?;
        Ok(ids)
    }

    /// Adds codings (all in one statement per hundred).
    pub async fn insert_qual_codings(
        &mut self,
        permit: &Permit,
        project: &str,
        codings: &[QualCodingRow],
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "code")?;
        for chunk in codings.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO qual_codings (id, project_id, source_id, selection_guid, code_guid, coder_guid, start_pos, end_pos, created_at) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 9;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.id.clone())
                    .bind(project.to_string())
                    .bind(c.source.clone())
                    .bind(c.selection.clone())
                    .bind(c.code.clone())
                    .bind(c.coder.clone())
                    .bind(c.start)
                    .bind(c.end)
                    .bind(c.created_at.clone());
            }
            q.execute(self.conn())
                .await
                .map_err(StoreError::unique("a coding with this id"))?;
        }
        let subject = match codings {
            [one] => format!("qual-coding:{}:added", one.id),
            many => format!("qual-project:{project}:codings-added:{}", many.len()),
        };
        self.audit_permit(permit, &subject).await?;
        Ok(())
    }

    /// Removes a coding made by `coder` (nobody removes another coder's work).
    pub async fn delete_qual_coding(
        &mut self,
        permit: &Permit,
        project: &str,
        coding: &str,
        coder: &str,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "remove a coding")?;
        let done = sqlx::query("DELETE FROM qual_codings WHERE id = $1 AND project_id = $2 AND coder_guid = $3")
            .bind(coding)
            .bind(project)
            .bind(coder)
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("coding of yours"));
        }
        self.audit_permit(permit, &format!("qual-coding:{coding}:removed"))
            .await?;
        Ok(())
    }

    /// Codings of the project: of one source, of one code, or all, by source and position.
    pub async fn qual_codings(
        &mut self,
        permit: &Permit,
        project: &str,
        source: Option<&str>,
        code: Option<&str>,
    ) -> Result<Vec<QualCodingRow>, StoreError> {
        require(permit, READ, "read codings")?;
        let rows = sqlx::query(
            "SELECT id, source_id, selection_guid, code_guid, coder_guid, start_pos, end_pos, created_at FROM qual_codings \
             WHERE project_id = $1 AND ($2 = '' OR source_id = $2) AND ($3 = '' OR code_guid = $3) \
             ORDER BY source_id, start_pos, end_pos, id",
        )
        .bind(project)
        .bind(source.unwrap_or(""))
        .bind(code.unwrap_or(""))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(coding_row).collect()
    }

    /// Counts of codings per (source, code), from the codings' own index (never touching the
    /// sources' text): the frame of the framework matrix and of the code counts.
    pub async fn qual_coding_counts(
        &mut self,
        permit: &Permit,
        project: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        require(permit, READ, "count codings")?;
        let rows = sqlx::query(
            "SELECT source_id, code_guid, COUNT(*) AS n FROM qual_codings WHERE project_id = $1 \
             GROUP BY source_id, code_guid",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("source_id")?, r.try_get("code_guid")?, r.try_get("n")?)))
            .collect()
    }

    pub async fn qual_matrix_cells(
        &mut self,
        permit: &Permit,
        project: &str,
    ) -> Result<Vec<QualMatrixCell>, StoreError> {
        require(permit, READ, "read the framework matrix")?;
        let rows = sqlx::query(
            "SELECT participant_id, code_guid, summary, updated_at, updated_by FROM qual_matrix_cells WHERE project_id = $1",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        let cells = rows
            .iter()
            .map(|r| {
                Ok(QualMatrixCell {
                    participant: r.try_get("participant_id")?,
                    code: r.try_get("code_guid")?,
                    summary: r.try_get("summary")?,
                    updated_at: r.try_get("updated_at")?,
                    updated_by: r.try_get("updated_by")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.audit_permit(permit, &format!("qual-project:{project}:matrix-read"))
            .await?;
        Ok(cells)
    }

    /// Writes (or, when empty, clears) a framework-matrix cell's summary.
    pub async fn save_qual_matrix_cell(
        &mut self,
        permit: &Permit,
        project: &str,
        participant: &str,
        code: &str,
        summary: &str,
    ) -> Result<(), StoreError> {
        require(permit, WRITE, "summarise a matrix cell")?;
        sqlx::query("DELETE FROM qual_matrix_cells WHERE project_id = $1 AND participant_id = $2 AND code_guid = $3")
            .bind(project)
            .bind(participant)
            .bind(code)
            .execute(self.conn())
            .await?;
        if !summary.trim().is_empty() {
            sqlx::query(
                "INSERT INTO qual_matrix_cells (project_id, participant_id, code_guid, summary, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(project)
            .bind(participant)
            .bind(code)
            .bind(summary)
            .bind(now())
            .bind(permit.actor())
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(permit, &format!("qual-project:{project}:matrix-cell-saved"))
            .await?;
        Ok(())
    }

    /// Adds a memo (`revision` 0) or replaces one if nobody changed it since `revision`.
    pub async fn save_qual_memo(
        &mut self,
        permit: &Permit,
        project: &str,
        memo: &QualMemoRow,
    ) -> Result<i64, StoreError> {
        require(permit, WRITE, "write a memo")?;
        let stamp = now();
        if memo.revision == 0 {
            sqlx::query(
                "INSERT INTO qual_memos (id, project_id, target_kind, target, name, body, author_guid, created_at, updated_at, revision) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)",
            )
            .bind(&memo.id)
            .bind(project)
            .bind(&memo.target_kind)
            .bind(&memo.target)
            .bind(&memo.name)
            .bind(&memo.body)
            .bind(&memo.author)
            .bind(if memo.created_at.is_empty() { &stamp } else { &memo.created_at })
            .bind(if memo.updated_at.is_empty() { &stamp } else { &memo.updated_at })
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a memo with this id"))?;
        } else {
            let done = sqlx::query(
                "UPDATE qual_memos SET name = $1, body = $2, updated_at = $3, revision = revision + 1 \
                 WHERE id = $4 AND project_id = $5 AND revision = $6",
            )
            .bind(&memo.name)
            .bind(&memo.body)
            .bind(&stamp)
            .bind(&memo.id)
            .bind(project)
            .bind(memo.revision)
            .execute(self.conn())
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict("a newer version of this memo"));
            }
        }
        self.audit_permit(permit, &format!("qual-memo:{}:saved", memo.id))
            .await?;
        Ok(memo.revision + 1)
    }

    /// Memos of the project: on one target, or all.
    pub async fn qual_memos(
        &mut self,
        permit: &Permit,
        project: &str,
        target: Option<(&str, &str)>,
    ) -> Result<Vec<QualMemoRow>, StoreError> {
        require(permit, READ, "read memos")?;
        let (kind, id) = target.unwrap_or(("", ""));
        let rows = sqlx::query(
            "SELECT id, target_kind, target, name, body, author_guid, created_at, updated_at, revision FROM qual_memos \
             WHERE project_id = $1 AND ($2 = '' OR (target_kind = $2 AND target = $3)) ORDER BY created_at, id",
        )
        .bind(project)
        .bind(kind)
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        let memos = rows.iter().map(memo_row).collect::<Result<Vec<_>, _>>()?;
        self.audit_permit(permit, &format!("qual-project:{project}:memos-read"))
            .await?;
        Ok(memos)
    }

    /// Saves a CMO configuration as a new one (version 1) or the next version of `id`.
    pub async fn save_qual_cmo(
        &mut self,
        permit: &Permit,
        project: &str,
        id: Option<&str>,
        body: &str,
    ) -> Result<(String, i64), StoreError> {
        require(permit, WRITE, "save a CMO configuration")?;
        let stamp = now();
        let (id, version) = match id {
            Some(id) => {
                let latest: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(v.version) FROM qual_cmo_versions v JOIN qual_cmos c ON c.id = v.cmo_id \
                     WHERE c.id = $1 AND c.project_id = $2",
                )
                .bind(id)
                .bind(project)
                .fetch_one(self.conn())
                .await?;
                let latest = latest.ok_or(StoreError::NotFound("CMO configuration"))?;
                (id.to_string(), latest + 1)
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                sqlx::query("INSERT INTO qual_cmos (id, project_id, created_at, created_by) VALUES ($1, $2, $3, $4)")
                    .bind(&id)
                    .bind(project)
                    .bind(&stamp)
                    .bind(permit.actor())
                    .execute(self.conn())
                    .await?;
                (id, 1)
            }
        };
        sqlx::query(
            "INSERT INTO qual_cmo_versions (cmo_id, version, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(version)
        .bind(body)
        .bind(&stamp)
        .bind(permit.actor())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("qual-cmo:{id}@{version}:saved"))
            .await?;
        Ok((id, version))
    }

    /// Every version of every CMO configuration of the project, by configuration and version.
    pub async fn qual_cmo_versions(
        &mut self,
        permit: &Permit,
        project: &str,
    ) -> Result<Vec<QualCmoVersion>, StoreError> {
        require(permit, READ, "read CMO configurations")?;
        let rows = sqlx::query(
            "SELECT v.cmo_id, v.version, v.body, v.created_at, v.created_by FROM qual_cmo_versions v \
             JOIN qual_cmos c ON c.id = v.cmo_id WHERE c.project_id = $1 ORDER BY c.created_at, c.id, v.version",
        )
        .bind(project)
        .fetch_all(self.conn())
        .await?;
        let versions = rows
            .iter()
            .map(|r| {
                Ok(QualCmoVersion {
                    id: r.try_get("cmo_id")?,
                    version: r.try_get("version")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.audit_permit(permit, &format!("qual-project:{project}:cmos-read"))
            .await?;
        Ok(versions)
    }

    /// Writes an audit row for a use of the project's words that the store does not see (an
    /// export, an agreement report).
    pub async fn audit_qual(&mut self, permit: &Permit, project: &str, what: &str) -> Result<(), StoreError> {
        require(permit, READ, "use a qualitative project")?;
        self.audit_permit(permit, &format!("qual-project:{project}:{what}"))
            .await?;
        Ok(())
    }
}
