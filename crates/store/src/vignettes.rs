//! Vignettes and decision studies: the review panel and its rule, vignette versions with their
//! k check, anchored comments, approvals by version, studies, single-use invitations and answers.
//!
//! Researchers' methods take a `ManageVignettes` permit; the panel's take `ReviewVignettes`
//! (or `ManageVignettes`). Respondents reach their invitation through a system permit. Every
//! method that reads or writes vignettes or answers appends an audit row naming ids only.

use chrono::Utc;
use cocare_core::{AccountId, OrganisationId, format_timestamp};
use cocare_policy::{Action, PanelScope, Permit};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rows::require;
use crate::{StoreError, WriteTxn};

const MANAGE: &[Action] = &[Action::ManageVignettes];
const READ: &[Action] = &[Action::ManageVignettes, Action::ReviewVignettes];

fn now() -> String {
    format_timestamp(Utc::now())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelMemberRow {
    pub account: AccountId,
    pub username: String,
    pub display_name: String,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VignetteRow {
    pub id: String,
    pub cohort: Option<String>,
    pub current_version: i64,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: i64,
    pub body_json: String,
    pub note: String,
    pub check_json: Option<String>,
    pub check_passes: bool,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRow {
    pub id: String,
    pub version: i64,
    pub account: String,
    pub author: String,
    pub category: String,
    pub passage: String,
    pub body: String,
    pub suggestion: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub version: i64,
    pub account: String,
    pub display_name: String,
    pub category: String,
    pub approved_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyRow {
    pub id: String,
    pub definition_json: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    pub created_at: String,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub number: i64,
    pub label: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub submitted_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    pub number: i64,
    pub vignette: String,
    pub item: String,
    pub answer: String,
}

fn version_row(r: &AnyRow) -> Result<VersionRow, StoreError> {
    let passes: i64 = r.try_get("check_passes")?;
    Ok(VersionRow {
        version: r.try_get("version")?,
        body_json: r.try_get("body_json")?,
        note: r.try_get("note")?,
        check_json: r.try_get("check_json")?,
        check_passes: passes != 0,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn vignette_row(r: &AnyRow) -> Result<VignetteRow, StoreError> {
    Ok(VignetteRow {
        id: r.try_get("id")?,
        cohort: r.try_get("cohort_id")?,
        current_version: r.try_get("current_version")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn study_row(r: &AnyRow) -> Result<StudyRow, StoreError> {
    Ok(StudyRow {
        id: r.try_get("id")?,
        definition_json: r.try_get("definition_json")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        opened_at: r.try_get("opened_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

fn invitation_row(r: &AnyRow) -> Result<InvitationRow, StoreError> {
    Ok(InvitationRow {
        number: r.try_get("number")?,
        label: r.try_get("label")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        submitted_at: r.try_get("submitted_at")?,
    })
}

/// A new version with its k check, as the use case computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion<'a> {
    pub body_json: &'a str,
    pub note: &'a str,
    pub check_json: Option<&'a str>,
    pub check_passes: bool,
}

impl WriteTxn {
    /// The facts the policy needs about the organisation's review panel: its members. Not
    /// personal data (account ids only).
    pub async fn vignette_panel_scope(&mut self, organisation: OrganisationId) -> Result<PanelScope, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT account_id FROM vignette_panel WHERE organisation_id = $1")
            .bind(organisation.to_string())
            .fetch_all(self.conn())
            .await?;
        let members = rows
            .iter()
            .map(|a| {
                a.parse::<AccountId>()
                    .map_err(|e| StoreError::Corrupt(format!("vignette_panel.account_id: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PanelScope { organisation, members })
    }

    /// The panel, with names and categories.
    pub async fn vignette_panel(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<PanelMemberRow>, StoreError> {
        require(permit, READ, "read the review panel")?;
        let rows = sqlx::query(
            "SELECT p.account_id, a.username, a.display_name, p.category FROM vignette_panel p \
             JOIN accounts a ON a.id = p.account_id WHERE p.organisation_id = $1 ORDER BY p.category, a.display_name",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let account: String = r.try_get("account_id")?;
                Ok(PanelMemberRow {
                    account: account
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("vignette_panel.account_id: {e}")))?,
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    category: r.try_get("category")?,
                })
            })
            .collect()
    }

    /// Adds a member to the panel, or changes their category.
    pub async fn save_panel_member(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        account: AccountId,
        category: &str,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "choose the review panel")?;
        sqlx::query(
            "INSERT INTO vignette_panel (organisation_id, account_id, category, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organisation_id, account_id) DO UPDATE SET category = excluded.category",
        )
        .bind(organisation.to_string())
        .bind(account.to_string())
        .bind(category)
        .bind(now())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("vignette-panel:{organisation}:member:{account}:saved"))
            .await?;
        Ok(())
    }

    pub async fn remove_panel_member(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        account: AccountId,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "choose the review panel")?;
        sqlx::query("DELETE FROM vignette_panel WHERE organisation_id = $1 AND account_id = $2")
            .bind(organisation.to_string())
            .bind(account.to_string())
            .execute(self.conn())
            .await?;
        self.audit_permit(
            permit,
            &format!("vignette-panel:{organisation}:member:{account}:removed"),
        )
        .await?;
        Ok(())
    }

    /// The group's approval rule (JSON), if it has set one.
    pub async fn vignette_rule(&mut self, organisation: OrganisationId) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT rule_json FROM vignette_rules WHERE organisation_id = $1")
                .bind(organisation.to_string())
                .fetch_optional(self.conn())
                .await?,
        )
    }

    pub async fn save_vignette_rule(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        rule_json: &str,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "set the approval rule")?;
        sqlx::query(
            "INSERT INTO vignette_rules (organisation_id, rule_json, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organisation_id) DO UPDATE SET rule_json = excluded.rule_json, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(organisation.to_string())
        .bind(rule_json)
        .bind(now())
        .bind(permit.actor())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("vignette-rule:{organisation}:saved"))
            .await?;
        Ok(())
    }

    async fn insert_version(
        &mut self,
        permit: &Permit,
        id: &str,
        version: i64,
        v: &NewVersion<'_>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO vignette_versions (vignette_id, version, body_json, note, check_json, check_passes, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(version)
        .bind(v.body_json)
        .bind(v.note)
        .bind(v.check_json)
        .bind(i64::from(v.check_passes))
        .bind(now())
        .bind(permit.actor())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Starts a vignette at version 1.
    pub async fn create_vignette(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
        cohort: Option<&str>,
        first: &NewVersion<'_>,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "draft a vignette")?;
        sqlx::query(
            "INSERT INTO vignettes (id, organisation_id, cohort_id, current_version, created_at, created_by) \
             VALUES ($1, $2, $3, 1, $4, $5)",
        )
        .bind(id)
        .bind(organisation.to_string())
        .bind(cohort)
        .bind(now())
        .bind(permit.actor())
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("a vignette with this id"))?;
        self.insert_version(permit, id, 1, first).await?;
        self.audit_permit(permit, &format!("vignette:{id}:created")).await?;
        Ok(())
    }

    /// Adds a version after `expected` (the version the editor started from); a stale edit is a
    /// conflict. Approvals belong to versions, so the new one starts with none.
    pub async fn save_vignette_version(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
        expected: i64,
        next: &NewVersion<'_>,
    ) -> Result<i64, StoreError> {
        require(permit, MANAGE, "edit a vignette")?;
        let version = expected + 1;
        let done = sqlx::query(
            "UPDATE vignettes SET current_version = $1 WHERE id = $2 AND organisation_id = $3 AND current_version = $4",
        )
        .bind(version)
        .bind(id)
        .bind(organisation.to_string())
        .bind(expected)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("a newer version of this vignette"));
        }
        self.insert_version(permit, id, version, next).await?;
        self.audit_permit(permit, &format!("vignette:{id}:version:{version}"))
            .await?;
        Ok(version)
    }

    /// The organisation's vignettes with their current version.
    pub async fn vignettes(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<(VignetteRow, VersionRow)>, StoreError> {
        require(permit, READ, "read vignettes")?;
        let rows = sqlx::query(
            "SELECT v.id, v.cohort_id, v.current_version, v.created_at, v.created_by, s.version, s.body_json, s.note, \
             s.check_json, s.check_passes, s.created_at AS version_at, s.created_by AS version_by \
             FROM vignettes v JOIN vignette_versions s ON s.vignette_id = v.id AND s.version = v.current_version \
             WHERE v.organisation_id = $1 ORDER BY v.created_at, v.id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        let out = rows
            .iter()
            .map(|r| {
                let mut version = version_row(r)?;
                version.created_at = r.try_get("version_at")?;
                version.created_by = r.try_get("version_by")?;
                Ok((vignette_row(r)?, version))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.audit_permit(permit, &format!("vignettes:{organisation}:read"))
            .await?;
        Ok(out)
    }

    /// One vignette with every version (oldest first), if it is the organisation's.
    pub async fn vignette(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
    ) -> Result<Option<(VignetteRow, Vec<VersionRow>)>, StoreError> {
        require(permit, READ, "read a vignette")?;
        let row = sqlx::query(
            "SELECT id, cohort_id, current_version, created_at, created_by FROM vignettes WHERE id = $1 AND organisation_id = $2",
        )
        .bind(id)
        .bind(organisation.to_string())
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let vignette = vignette_row(&row)?;
        let versions = sqlx::query(
            "SELECT version, body_json, note, check_json, check_passes, created_at, created_by FROM vignette_versions \
             WHERE vignette_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(version_row)
        .collect::<Result<Vec<_>, _>>()?;
        self.audit_permit(permit, &format!("vignette:{id}:read")).await?;
        Ok(Some((vignette, versions)))
    }

    pub async fn vignette_comments(&mut self, permit: &Permit, id: &str) -> Result<Vec<CommentRow>, StoreError> {
        require(permit, READ, "read comments")?;
        let rows = sqlx::query(
            "SELECT c.id, c.version, c.account_id, a.display_name, c.category, c.passage, c.body, c.suggestion, c.created_at \
             FROM vignette_comments c JOIN accounts a ON a.id = c.account_id WHERE c.vignette_id = $1 ORDER BY c.created_at, c.id",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CommentRow {
                    id: r.try_get("id")?,
                    version: r.try_get("version")?,
                    account: r.try_get("account_id")?,
                    author: r.try_get("display_name")?,
                    category: r.try_get("category")?,
                    passage: r.try_get("passage")?,
                    body: r.try_get("body")?,
                    suggestion: r.try_get("suggestion")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn add_vignette_comment(
        &mut self,
        permit: &Permit,
        vignette: &str,
        account: AccountId,
        c: &CommentRow,
    ) -> Result<(), StoreError> {
        require(permit, READ, "comment on a vignette")?;
        sqlx::query(
            "INSERT INTO vignette_comments (id, vignette_id, version, account_id, category, passage, body, suggestion, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.id)
        .bind(vignette)
        .bind(c.version)
        .bind(account.to_string())
        .bind(&c.category)
        .bind(&c.passage)
        .bind(&c.body)
        .bind(&c.suggestion)
        .bind(now())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("vignette:{vignette}:comment:{}", c.id))
            .await?;
        Ok(())
    }

    pub async fn vignette_approvals(&mut self, permit: &Permit, id: &str) -> Result<Vec<ApprovalRow>, StoreError> {
        require(permit, READ, "read approvals")?;
        let rows = sqlx::query(
            "SELECT p.version, p.account_id, a.display_name, p.category, p.approved_at FROM vignette_approvals p \
             JOIN accounts a ON a.id = p.account_id WHERE p.vignette_id = $1 ORDER BY p.version, p.approved_at",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApprovalRow {
                    version: r.try_get("version")?,
                    account: r.try_get("account_id")?,
                    display_name: r.try_get("display_name")?,
                    category: r.try_get("category")?,
                    approved_at: r.try_get("approved_at")?,
                })
            })
            .collect()
    }

    /// The categories of the approvals each of the organisation's vignettes has for its current
    /// version: (vignette, category), one query for the whole list.
    pub async fn current_vignette_approvals(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        require(permit, READ, "read approvals")?;
        let rows = sqlx::query(
            "SELECT p.vignette_id, p.category FROM vignette_approvals p \
             JOIN vignettes v ON v.id = p.vignette_id AND p.version = v.current_version \
             WHERE v.organisation_id = $1",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("vignette_id")?, r.try_get("category")?)))
            .collect()
    }

    /// Approves a version (again is harmless) or withdraws the approval.
    pub async fn set_vignette_approval(
        &mut self,
        permit: &Permit,
        vignette: &str,
        version: i64,
        account: AccountId,
        category: &str,
        approve: bool,
    ) -> Result<(), StoreError> {
        require(permit, &[Action::ReviewVignettes], "approve a vignette")?;
        if approve {
            sqlx::query(
                "INSERT INTO vignette_approvals (vignette_id, version, account_id, category, approved_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vignette_id, version, account_id) DO NOTHING",
            )
            .bind(vignette)
            .bind(version)
            .bind(account.to_string())
            .bind(category)
            .bind(now())
            .execute(self.conn())
            .await?;
        } else {
            sqlx::query("DELETE FROM vignette_approvals WHERE vignette_id = $1 AND version = $2 AND account_id = $3")
                .bind(vignette)
                .bind(version)
                .bind(account.to_string())
                .execute(self.conn())
                .await?;
        }
        let what = if approve { "approved" } else { "approval-withdrawn" };
        self.audit_permit(permit, &format!("vignette:{vignette}:version:{version}:{what}"))
            .await?;
        Ok(())
    }

    /// Interviews linked to a vignette: (project, source).
    pub async fn vignette_interviews(
        &mut self,
        permit: &Permit,
        id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        require(permit, MANAGE, "read a vignette's interviews")?;
        let rows = sqlx::query(
            "SELECT project_id, source_id FROM vignette_interviews WHERE vignette_id = $1 ORDER BY linked_at, source_id",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("project_id")?, r.try_get("source_id")?)))
            .collect()
    }

    /// Links an interview to a vignette, or unlinks it.
    pub async fn set_vignette_interview(
        &mut self,
        permit: &Permit,
        id: &str,
        project: &str,
        source: &str,
        linked: bool,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "link an interview to a vignette")?;
        if linked {
            sqlx::query(
                "INSERT INTO vignette_interviews (vignette_id, project_id, source_id, linked_at, linked_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vignette_id, project_id, source_id) DO NOTHING",
            )
            .bind(id)
            .bind(project)
            .bind(source)
            .bind(now())
            .bind(permit.actor())
            .execute(self.conn())
            .await?;
        } else {
            sqlx::query(
                "DELETE FROM vignette_interviews WHERE vignette_id = $1 AND project_id = $2 AND source_id = $3",
            )
            .bind(id)
            .bind(project)
            .bind(source)
            .execute(self.conn())
            .await?;
        }
        let what = if linked { "linked" } else { "unlinked" };
        self.audit_permit(permit, &format!("vignette:{id}:interview:{project}:{source}:{what}"))
            .await?;
        Ok(())
    }

    pub async fn create_study(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
        definition_json: &str,
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "build a study")?;
        sqlx::query(
            "INSERT INTO studies (id, organisation_id, definition_json, status, created_at, created_by) \
             VALUES ($1, $2, $3, 'draft', $4, $5)",
        )
        .bind(id)
        .bind(organisation.to_string())
        .bind(definition_json)
        .bind(now())
        .bind(permit.actor())
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("a study with this id"))?;
        self.audit_permit(permit, &format!("study:{id}:created")).await?;
        Ok(())
    }

    /// Replaces a draft study's definition; an open or closed study's is fixed.
    pub async fn save_study_definition(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
        definition_json: &str,
    ) -> Result<bool, StoreError> {
        require(permit, MANAGE, "change a study")?;
        let done = sqlx::query(
            "UPDATE studies SET definition_json = $1 WHERE id = $2 AND organisation_id = $3 AND status = 'draft'",
        )
        .bind(definition_json)
        .bind(id)
        .bind(organisation.to_string())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("study:{id}:changed")).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a draft study or closes an open one; false when it was not in the expected state.
    pub async fn set_study_status(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
        status: &str,
    ) -> Result<bool, StoreError> {
        require(permit, MANAGE, "open or close a study")?;
        let (from, column) = match status {
            "open" => ("draft", "opened_at"),
            "closed" => ("open", "closed_at"),
            _ => return Err(StoreError::Corrupt(format!("study status {status:?}"))),
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE studies SET status = $1, {column} = $2 WHERE id = $3 AND organisation_id = $4 AND status = $5"
        ));
        let done = sqlx::query(sql)
            .bind(status)
            .bind(now())
            .bind(id)
            .bind(organisation.to_string())
            .bind(from)
            .execute(self.conn())
            .await?;
        self.audit_permit(permit, &format!("study:{id}:{status}")).await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn studies(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<StudyRow>, StoreError> {
        require(permit, MANAGE, "read studies")?;
        let rows = sqlx::query(
            "SELECT id, definition_json, status, created_at, opened_at, closed_at FROM studies \
             WHERE organisation_id = $1 ORDER BY created_at, id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(study_row).collect()
    }

    pub async fn study(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
    ) -> Result<Option<StudyRow>, StoreError> {
        require(permit, MANAGE, "read a study")?;
        let row = sqlx::query(
            "SELECT id, definition_json, status, created_at, opened_at, closed_at FROM studies \
             WHERE id = $1 AND organisation_id = $2",
        )
        .bind(id)
        .bind(organisation.to_string())
        .fetch_optional(self.conn())
        .await?;
        let out = row.as_ref().map(study_row).transpose()?;
        self.audit_permit(permit, &format!("study:{id}:read")).await?;
        Ok(out)
    }

    /// Adds invitations (token hashes only), numbered on from the last.
    pub async fn add_study_invitations(
        &mut self,
        permit: &Permit,
        study: &str,
        invitations: &[(String, String)],
    ) -> Result<Vec<i64>, StoreError> {
        require(permit, MANAGE, "invite respondents")?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(number) FROM study_invitations WHERE study_id = $1")
            .bind(study)
            .fetch_one(self.conn())
            .await?;
        let mut numbers = Vec::with_capacity(invitations.len());
        for (next, (label, hash)) in (last.map_or(0, |n| n + 1)..).zip(invitations) {
            sqlx::query(
                "INSERT INTO study_invitations (study_id, number, label, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(study)
            .bind(next)
            .bind(label)
            .bind(hash)
            .bind(now())
            .execute(self.conn())
            .await?;
            numbers.push(next);
        }
        self.audit_permit(permit, &format!("study:{study}:invited:{}", invitations.len()))
            .await?;
        Ok(numbers)
    }

    pub async fn study_invitations(&mut self, permit: &Permit, study: &str) -> Result<Vec<InvitationRow>, StoreError> {
        require(permit, MANAGE, "read invitations")?;
        let rows = sqlx::query(
            "SELECT number, label, created_at, started_at, submitted_at FROM study_invitations WHERE study_id = $1 ORDER BY number",
        )
        .bind(study)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(invitation_row).collect()
    }

    /// The study and invitation a link's token hash belongs to.
    pub async fn invitation_by_token(
        &mut self,
        permit: &Permit,
        token_hash: &str,
    ) -> Result<Option<(StudyRow, InvitationRow)>, StoreError> {
        require(permit, MANAGE, "follow an invitation link")?;
        let row = sqlx::query(
            "SELECT s.id, s.definition_json, s.status, s.created_at AS study_at, s.opened_at, s.closed_at, \
             i.number, i.label, i.created_at, i.started_at, i.submitted_at \
             FROM study_invitations i JOIN studies s ON s.id = i.study_id WHERE i.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mut study = study_row(&r)?;
        study.created_at = r.try_get("study_at")?;
        let invitation = invitation_row(&r)?;
        self.audit_permit(
            permit,
            &format!("study:{}:invitation:{}:opened", study.id, invitation.number),
        )
        .await?;
        Ok(Some((study, invitation)))
    }

    /// Keeps answers (a later answer to the same item replaces the earlier one) and marks the
    /// invitation started. Refused once the invitation is submitted.
    pub async fn save_study_answers(
        &mut self,
        permit: &Permit,
        study: &str,
        number: i64,
        answers: &[(String, String, String)],
    ) -> Result<(), StoreError> {
        require(permit, MANAGE, "keep answers")?;
        let at = now();
        let done = sqlx::query(
            "UPDATE study_invitations SET started_at = COALESCE(started_at, $1) \
             WHERE study_id = $2 AND number = $3 AND submitted_at IS NULL",
        )
        .bind(&at)
        .bind(study)
        .bind(number)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("a submission through this link"));
        }
        for (vignette, item, answer) in answers {
            sqlx::query(
                "INSERT INTO study_responses (study_id, number, vignette_id, item_id, answer, answered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (study_id, number, vignette_id, item_id) \
                 DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
            )
            .bind(study)
            .bind(number)
            .bind(vignette)
            .bind(item)
            .bind(answer)
            .bind(&at)
            .execute(self.conn())
            .await?;
        }
        self.audit_permit(
            permit,
            &format!("study:{study}:invitation:{number}:answers:{}", answers.len()),
        )
        .await?;
        Ok(())
    }

    /// Marks an invitation submitted; false if it already was (two submissions at once: one wins).
    pub async fn submit_study_invitation(
        &mut self,
        permit: &Permit,
        study: &str,
        number: i64,
    ) -> Result<bool, StoreError> {
        require(permit, MANAGE, "submit answers")?;
        let done = sqlx::query(
            "UPDATE study_invitations SET submitted_at = $1, started_at = COALESCE(started_at, $1) \
             WHERE study_id = $2 AND number = $3 AND submitted_at IS NULL",
        )
        .bind(now())
        .bind(study)
        .bind(number)
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("study:{study}:invitation:{number}:submitted"))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Answers: one respondent's (`number`) or everyone's.
    pub async fn study_answers(
        &mut self,
        permit: &Permit,
        study: &str,
        number: Option<i64>,
    ) -> Result<Vec<AnswerRow>, StoreError> {
        require(permit, MANAGE, "read answers")?;
        let rows = match number {
            Some(n) => sqlx::query(
                "SELECT number, vignette_id, item_id, answer FROM study_responses WHERE study_id = $1 AND number = $2 \
                     ORDER BY number, vignette_id, item_id",
            )
            .bind(study)
            .bind(n)
            .fetch_all(self.conn())
            .await?,
            None => {
                sqlx::query(
                    "SELECT number, vignette_id, item_id, answer FROM study_responses WHERE study_id = $1 \
                     ORDER BY number, vignette_id, item_id",
                )
                .bind(study)
                .fetch_all(self.conn())
                .await?
            }
        };
        let out = rows
            .iter()
            .map(|r| {
                Ok(AnswerRow {
                    number: r.try_get("number")?,
                    vignette: r.try_get("vignette_id")?,
                    item: r.try_get("item_id")?,
                    answer: r.try_get("answer")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let whose = number.map_or_else(|| "all".to_string(), |n| n.to_string());
        self.audit_permit(permit, &format!("study:{study}:answers:{whose}:read"))
            .await?;
        Ok(out)
    }
}
