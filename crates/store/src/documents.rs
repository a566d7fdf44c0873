//! Saved, versioned documents of an organisation: cohort definitions, unit-cost tables and
//! economic evaluations. Each kind has a table of documents (`id, organisation_id, name,
//! created_at, created_by`) and a table of versions (`<document>_id, version, <body>,
//! created_at, created_by`); a save adds a version and never changes an old one.

use chrono::Utc;
use cocare_core::{OrganisationId, format_timestamp};
use cocare_policy::{Action, Permit};
use sqlx::{AssertSqlSafe, Row};

use crate::rows::require;
use crate::{StoreError, WriteTxn};

/// One kind of document: its tables, columns, the action that reads and writes it, and how
/// its audit subjects start.
#[derive(Debug, Clone, Copy)]
pub struct DocKind {
    pub documents: &'static str,
    pub versions: &'static str,
    pub id_column: &'static str,
    pub body_column: &'static str,
    pub subject: &'static str,
    pub action: Action,
    pub what: &'static str,
}

pub const COHORTS: DocKind = DocKind {
    documents: "cohorts",
    versions: "cohort_versions",
    id_column: "cohort_id",
    body_column: "definition",
    subject: "cohort",
    action: Action::AnalyseRecords,
    what: "cohort",
};

pub const UNIT_COST_TABLES: DocKind = DocKind {
    documents: "unit_cost_tables",
    versions: "unit_cost_versions",
    id_column: "table_id",
    body_column: "body",
    subject: "unit-costs",
    action: Action::ManageUnitCosts,
    what: "unit-cost table",
};

pub const EVALUATIONS: DocKind = DocKind {
    documents: "econ_evaluations",
    versions: "econ_evaluation_versions",
    id_column: "evaluation_id",
    body_column: "spec",
    subject: "evaluation",
    action: Action::AnalyseRecords,
    what: "evaluation",
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub id: String,
    pub name: String,
    pub latest_version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentVersion {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub body: String,
    pub created_at: String,
    pub created_by: String,
}

impl WriteTxn {
    /// Saves a body as a new document (version 1) or as the next version of `id`.
    pub async fn save_document(
        &mut self,
        kind: &DocKind,
        permit: &Permit,
        organisation: OrganisationId,
        id: Option<&str>,
        name: &str,
        body: &str,
    ) -> Result<(String, i64), StoreError> {
        require(permit, &[kind.action], "save")?;
        let DocKind {
            documents,
            versions,
            id_column,
            body_column,
            ..
        } = *kind;
        let now = format_timestamp(Utc::now());
        let (id, version) = match id {
            Some(id) => {
                let latest: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT MAX(v.version) FROM {versions} v JOIN {documents} d ON d.id = v.{id_column} \
                     WHERE d.id = $1 AND d.organisation_id = $2"
                )))
                .bind(id)
                .bind(organisation.to_string())
                .fetch_one(self.conn())
                .await?;
                let Some(latest) = latest else {
                    return Err(StoreError::NotFound(kind.what));
                };
                sqlx::query(AssertSqlSafe(format!("UPDATE {documents} SET name = $1 WHERE id = $2")))
                    .bind(name)
                    .bind(id)
                    .execute(self.conn())
                    .await?;
                (id.to_string(), latest + 1)
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO {documents} (id, organisation_id, name, created_at, created_by) VALUES ($1, $2, $3, $4, $5)"
                )))
                .bind(&id)
                .bind(organisation.to_string())
                .bind(name)
                .bind(&now)
                .bind(permit.actor())
                .execute(self.conn())
                .await?;
                (id, 1)
            }
        };
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {versions} ({id_column}, version, {body_column}, created_at, created_by) VALUES ($1, $2, $3, $4, $5)"
        )))
        .bind(&id)
        .bind(version)
        .bind(body)
        .bind(&now)
        .bind(permit.actor())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("{}:{id}@{version}:saved", kind.subject))
            .await?;
        Ok((id, version))
    }

    /// The organisation's documents of a kind, at their latest versions, by name.
    pub async fn documents(
        &mut self,
        kind: &DocKind,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<DocumentSummary>, StoreError> {
        require(permit, &[kind.action], "list")?;
        let DocKind {
            documents,
            versions,
            id_column,
            ..
        } = *kind;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT d.id, d.name, v.version, v.created_at, v.created_by FROM {documents} d \
             JOIN {versions} v ON v.{id_column} = d.id \
             WHERE d.organisation_id = $1 AND v.version = (SELECT MAX(version) FROM {versions} w WHERE w.{id_column} = d.id) \
             ORDER BY d.name, d.id"
        )))
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DocumentSummary {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    latest_version: r.try_get("version")?,
                    updated_at: r.try_get("created_at")?,
                    updated_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }

    /// Every version of one of the organisation's documents, oldest first (empty if none).
    pub async fn document_versions(
        &mut self,
        kind: &DocKind,
        permit: &Permit,
        organisation: OrganisationId,
        id: &str,
    ) -> Result<Vec<DocumentVersion>, StoreError> {
        require(permit, &[kind.action], "read")?;
        let DocKind {
            documents,
            versions,
            id_column,
            body_column,
            ..
        } = *kind;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT v.{id_column} AS id, d.name, v.version, v.{body_column} AS body, v.created_at, v.created_by \
             FROM {versions} v JOIN {documents} d ON d.id = v.{id_column} \
             WHERE d.id = $1 AND d.organisation_id = $2 ORDER BY v.version"
        )))
        .bind(id)
        .bind(organisation.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DocumentVersion {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    version: r.try_get("version")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }
}
