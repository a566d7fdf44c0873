//! Records imports and saved cohort definitions. The records themselves are in the analytic
//! store; what is kept here is metadata (who imported what and how it went) and definitions.
//! Running a cohort is audited here, on the same permit that allowed it.

use cocare_core::OrganisationId;
use cocare_policy::{Action, Permit};
use sqlx::Row;

use crate::documents::{COHORTS, DocumentSummary, DocumentVersion};
use crate::rows::require;
use crate::{StoreError, WriteTxn};

/// One import attempt, finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub id: String,
    pub started_at: String,
    pub finished_at: String,
    pub actor: String,
    /// `published` or `rejected`.
    pub outcome: String,
    pub version: Option<String>,
    pub people: i64,
    pub events: i64,
    pub rows_read: i64,
    pub rejected: i64,
    /// A short, identifier-free summary (file names and counts, or the first rejection).
    pub summary: String,
}

pub type CohortSummary = DocumentSummary;
pub type CohortVersionRow = DocumentVersion;

const IMPORT_COLUMNS: &str =
    "id, started_at, finished_at, actor, outcome, version, people, events, rows_read, rejected, summary";

fn import_from(row: &sqlx::any::AnyRow) -> Result<ImportRow, StoreError> {
    Ok(ImportRow {
        id: row.try_get("id")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        actor: row.try_get("actor")?,
        outcome: row.try_get("outcome")?,
        version: row.try_get("version")?,
        people: row.try_get("people")?,
        events: row.try_get("events")?,
        rows_read: row.try_get("rows_read")?,
        rejected: row.try_get("rejected")?,
        summary: row.try_get("summary")?,
    })
}

impl WriteTxn {
    /// Records a finished import attempt, audited as an import of the organisation's dataset.
    pub async fn record_import(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        row: &ImportRow,
    ) -> Result<(), StoreError> {
        require(permit, &[Action::ImportRecords], "record an import")?;
        sqlx::query(
            "INSERT INTO record_imports (id, organisation_id, started_at, finished_at, actor, outcome, version, \
             people, events, rows_read, rejected, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&row.id)
        .bind(organisation.to_string())
        .bind(&row.started_at)
        .bind(&row.finished_at)
        .bind(&row.actor)
        .bind(&row.outcome)
        .bind(&row.version)
        .bind(row.people)
        .bind(row.events)
        .bind(row.rows_read)
        .bind(row.rejected)
        .bind(&row.summary)
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("dataset:{organisation}:{}", row.outcome))
            .await?;
        Ok(())
    }

    /// The organisation's imports, newest first.
    pub async fn record_imports(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        limit: i64,
    ) -> Result<Vec<ImportRow>, StoreError> {
        require(permit, &[Action::ImportRecords, Action::AnalyseRecords], "see imports")?;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {IMPORT_COLUMNS} FROM record_imports WHERE organisation_id = $1 \
             ORDER BY started_at DESC, id DESC LIMIT $2"
        ));
        let rows = sqlx::query(sql)
            .bind(organisation.to_string())
            .bind(limit)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(import_from).collect()
    }

    /// Saves a definition as a new cohort (version 1) or as the next version of `cohort`.
    pub async fn save_cohort(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        cohort: Option<&str>,
        name: &str,
        definition: &str,
    ) -> Result<(String, i64), StoreError> {
        self.save_document(&COHORTS, permit, organisation, cohort, name, definition)
            .await
    }

    pub async fn cohorts(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
    ) -> Result<Vec<CohortSummary>, StoreError> {
        self.documents(&COHORTS, permit, organisation).await
    }

    /// Every version of a cohort of the organisation, oldest first (empty if there is none).
    pub async fn cohort_versions(
        &mut self,
        permit: &Permit,
        organisation: OrganisationId,
        cohort: &str,
    ) -> Result<Vec<CohortVersionRow>, StoreError> {
        self.document_versions(&COHORTS, permit, organisation, cohort).await
    }

    /// Audits a run of a cohort over the records (what was asked, never what came back).
    pub async fn audit_analysis(&mut self, permit: &Permit, subject: &str) -> Result<(), StoreError> {
        // The vignettes' k check counts people in the records too.
        require(
            permit,
            &[Action::AnalyseRecords, Action::ManageVignettes],
            "analyse records",
        )?;
        self.audit_permit(permit, subject).await?;
        Ok(())
    }
}
