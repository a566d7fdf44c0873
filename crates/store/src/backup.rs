//! Backup and restore through the store itself, so one code path serves both backends and a
//! SQLite backup restores into PostgreSQL (and back).
//!
//! The file is JSON lines: a header, then one line per row as `{"table": …, "row": [...]}`.
//! Values keep their kind (integer, real, text, blob as hex, null). A backup is taken in one
//! snapshot after verifying the audit chain in it. Restore goes into an empty, migrated database
//! in one transaction and commits only if the restored audit chain verifies.

use std::io::{BufRead, Write};

use serde_json::{Value, json};
use sqlx::{Column, Row, ValueRef};

use crate::audit::verify_on;
use crate::{AuditVerdict, Store, StoreError};

/// Tables in an order that satisfies foreign keys on restore.
pub const RESTORE_ORDER: [&str; 59] = [
    "organisations",
    "teams",
    "people",
    "care_plans",
    "plan_contributions",
    "plan_goals",
    "plan_goal_actions",
    "plan_agreements",
    "plan_copies",
    "plan_facts",
    "dialog_ratings",
    "measure_responses",
    "carer_links",
    "accounts",
    "role_grants",
    "consents",
    "sessions",
    "login_failures",
    "record_imports",
    "cohorts",
    "cohort_versions",
    "unit_cost_tables",
    "unit_cost_versions",
    "econ_evaluations",
    "econ_evaluation_versions",
    "qual_projects",
    "qual_members",
    "qual_coders",
    "qual_variables",
    "qual_participants",
    "qual_participant_values",
    "qual_sources",
    "qual_codings",
    "qual_memos",
    "qual_matrix_cells",
    "qual_cmos",
    "qual_cmo_versions",
    "stakeholders",
    "funding_changes",
    "outcome_indicators",
    "engagement_activities",
    "engagement_attendance",
    "engagement_proposals",
    "engagement_actions",
    "engagement_ratings",
    "engagement_payments",
    "engagement_rating_links",
    "vignette_panel",
    "vignette_rules",
    "vignettes",
    "vignette_versions",
    "vignette_comments",
    "vignette_approvals",
    "vignette_interviews",
    "studies",
    "study_invitations",
    "study_responses",
    "audit_log",
    "audit_head",
];

const FORMAT: &str = "cocare-backup";
const FORMAT_VERSION: i64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub tables: usize,
    pub rows: u64,
    pub schema_version: i64,
}

fn value_of(row: &sqlx::any::AnyRow, index: usize) -> Result<Value, StoreError> {
    if row.try_get_raw(index)?.is_null() {
        return Ok(Value::Null);
    }
    if let Ok(v) = row.try_get::<i64, _>(index) {
        return Ok(json!(v));
    }
    if let Ok(v) = row.try_get::<f64, _>(index) {
        return Ok(json!({ "real": v }));
    }
    if let Ok(v) = row.try_get::<String, _>(index) {
        return Ok(json!(v));
    }
    if let Ok(v) = row.try_get::<Vec<u8>, _>(index) {
        return Ok(json!({ "blob": hex::encode(v) }));
    }
    Err(StoreError::Corrupt(format!(
        "column {index} has a type cocare does not back up"
    )))
}

impl Store {
    /// Writes every table to `out`. Refuses if the audit chain is already broken.
    pub async fn backup(&self, out: &mut dyn Write, path: &str) -> Result<BackupSummary, StoreError> {
        let io = |err: std::io::Error| StoreError::Backup {
            path: path.to_owned(),
            reason: err.to_string(),
        };
        // One snapshot for the check and the copy, so the copy is consistent and its chain holds.
        let mut tx = self.begin_snapshot().await?;
        if let AuditVerdict::Broken(broken) = verify_on(&mut tx).await? {
            return Err(StoreError::Backup {
                path: path.to_owned(),
                reason: format!(
                    "refusing to back up: the audit log is broken at entry {}: {}",
                    broken.seq, broken.reason
                ),
            });
        }
        let schema_version = self.latest_migration();
        let header = json!({ "format": FORMAT, "version": FORMAT_VERSION, "schema_version": schema_version });
        writeln!(out, "{header}").map_err(io)?;
        let mut rows_written = 0_u64;
        for table in RESTORE_ORDER {
            let sql = sqlx::AssertSqlSafe(format!("SELECT * FROM {table} ORDER BY 1"));
            let rows = sqlx::query(sql).fetch_all(&mut *tx).await?;
            for row in &rows {
                let columns: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
                let values = (0..row.len())
                    .map(|i| value_of(row, i))
                    .collect::<Result<Vec<_>, _>>()?;
                writeln!(out, "{}", json!({ "table": table, "columns": columns, "row": values })).map_err(io)?;
                rows_written += 1;
            }
        }
        tx.commit().await?;
        out.flush().map_err(io)?;
        Ok(BackupSummary {
            tables: RESTORE_ORDER.len(),
            rows: rows_written,
            schema_version,
        })
    }

    /// Loads a backup into this (migrated, empty) database, all or nothing.
    pub async fn restore(&self, input: &mut dyn BufRead, path: &str) -> Result<BackupSummary, StoreError> {
        let bad = |line: usize, reason: String| StoreError::Backup {
            path: format!("{path}:{line}"),
            reason,
        };
        let mut lines = input.lines();
        let header: Value = match lines.next() {
            Some(Ok(text)) => {
                serde_json::from_str(&text).map_err(|err| bad(1, format!("not a cocare backup header: {err}")))?
            }
            Some(Err(err)) => return Err(bad(1, err.to_string())),
            None => return Err(bad(1, "the file is empty".into())),
        };
        if header.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(
                1,
                "not a cocare backup (the header has no \"format\": \"cocare-backup\")".into(),
            ));
        }
        let schema_version = header.get("schema_version").and_then(Value::as_i64).unwrap_or(0);
        if schema_version != self.latest_migration() {
            return Err(bad(
                1,
                format!(
                    "the backup has schema version {schema_version}; this cocare has {}",
                    self.latest_migration()
                ),
            ));
        }
        let mut tx = self.begin_write().await?;
        for table in RESTORE_ORDER.iter().filter(|t| **t != "audit_head") {
            let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
            let existing: i64 = sqlx::query_scalar(sql).fetch_one(tx.conn()).await?;
            if existing > 0 {
                return Err(StoreError::Backup {
                    path: path.to_owned(),
                    reason: format!(
                        "the target database already holds data ({table}); restore only into an empty database"
                    ),
                });
            }
        }
        // The migration seeds the audit head; the backup brings its own.
        sqlx::query("DELETE FROM audit_head").execute(tx.conn()).await?;
        let mut rows = 0_u64;
        for (index, line) in lines.enumerate() {
            let line_no = index + 2;
            let text = line.map_err(|err| bad(line_no, err.to_string()))?;
            if text.trim().is_empty() {
                continue;
            }
            let record: Value = serde_json::from_str(&text).map_err(|err| bad(line_no, format!("not JSON: {err}")))?;
            let table = record.get("table").and_then(Value::as_str).unwrap_or_default();
            if !RESTORE_ORDER.contains(&table) {
                return Err(bad(line_no, format!("unknown table {table:?}")));
            }
            let columns: Vec<&str> = record
                .get("columns")
                .and_then(Value::as_array)
                .map(|cols| cols.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let values = record.get("row").and_then(Value::as_array).cloned().unwrap_or_default();
            if columns.is_empty() || columns.len() != values.len() {
                return Err(bad(line_no, "the row's columns and values do not match".into()));
            }
            if let Some(bad_column) = columns
                .iter()
                .find(|c| !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
            {
                return Err(bad(line_no, format!("invalid column name {bad_column:?}")));
            }
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let sql = sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.join(", "),
                placeholders.join(", ")
            ));
            let mut query = sqlx::query(sql);
            for value in values {
                query = match value {
                    Value::Null => query.bind(Option::<String>::None),
                    Value::Bool(b) => query.bind(i64::from(b)),
                    Value::Number(n) => query.bind(
                        n.as_i64()
                            .ok_or_else(|| bad(line_no, "a number is not an integer".into()))?,
                    ),
                    Value::String(s) => query.bind(s),
                    Value::Object(o) => {
                        if let Some(real) = o.get("real").and_then(Value::as_f64) {
                            query.bind(real)
                        } else if let Some(blob) = o.get("blob").and_then(Value::as_str) {
                            query.bind(hex::decode(blob).map_err(|err| bad(line_no, format!("bad blob: {err}")))?)
                        } else {
                            return Err(bad(line_no, "an unknown value form".into()));
                        }
                    }
                    Value::Array(_) => return Err(bad(line_no, "an unknown value form".into())),
                };
            }
            query
                .execute(tx.conn())
                .await
                .map_err(|err| bad(line_no, format!("the row was refused: {err}")))?;
            rows += 1;
        }
        let head: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_head")
            .fetch_one(tx.conn())
            .await?;
        if head != 1 {
            return Err(StoreError::Backup {
                path: path.to_owned(),
                reason: "the backup has no audit chain head".into(),
            });
        }
        // Nothing is kept unless the restored chain verifies.
        if let AuditVerdict::Broken(broken) = verify_on(tx.conn()).await? {
            return Err(StoreError::Backup {
                path: path.to_owned(),
                reason: format!(
                    "the backup's audit chain does not verify at entry {}: {}; nothing was restored",
                    broken.seq, broken.reason
                ),
            });
        }
        tx.commit().await?;
        Ok(BackupSummary {
            tables: RESTORE_ORDER.len(),
            rows,
            schema_version,
        })
    }
}
