//! The audit log: an append-only hash chain of who did what to which subject, and when.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and the entry's fields in a
//! fixed order, each length-prefixed. Changing, removing or re-ordering rows breaks the chain;
//! [`Store::verify_audit`] names the first entry where it breaks. Entries hold ids and action
//! names only, never personal data.

use chrono::Utc;
use cocare_core::{Timestamp, format_timestamp, parse_timestamp};
use cocare_policy::Permit;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::Row;

use crate::{Store, StoreError, WriteTxn};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a caller asks to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// `account:<id>` or `system:<name>`.
    pub actor: String,
    /// The role under which the action ran (or `none`, `system`).
    pub role: String,
    /// A stable dotted action name (`person.read`).
    pub action: String,
    /// What the action was about, by id (`person:<id>`), never by name.
    pub subject: String,
    /// `permit`, `deny`, `success`, `failure`.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub subject: String,
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    Intact { entries: i64, head: String },
    Broken(ChainBreak),
}

fn entry_hash(prev_hash: &str, seq: i64, at: &str, event: &NewAuditEvent) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"cocare-audit-v1\n");
    let seq = seq.to_string();
    for field in [
        prev_hash,
        seq.as_str(),
        at,
        &event.actor,
        &event.role,
        &event.action,
        &event.subject,
        &event.outcome,
    ] {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

pub(crate) async fn append(conn: &mut AnyConnection, event: &NewAuditEvent) -> Result<i64, StoreError> {
    // Taking the head row first serialises appends: PostgreSQL locks the row until commit,
    // SQLite holds the database write lock.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let at = format_timestamp(Utc::now());
    let hash = entry_hash(&prev_hash, seq, &at, event);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, role, action, subject, outcome, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(&at)
    .bind(&event.actor)
    .bind(&event.role)
    .bind(&event.action)
    .bind(&event.subject)
    .bind(&event.outcome)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

impl WriteTxn {
    /// Appends an audit row for a permitted action on `subject`.
    pub async fn audit_permit(&mut self, permit: &Permit, subject: &str) -> Result<i64, StoreError> {
        let event = NewAuditEvent {
            actor: permit.actor().to_owned(),
            role: permit.role_name().to_owned(),
            action: permit.action().audit_name().to_owned(),
            subject: subject.to_owned(),
            outcome: "permit".to_owned(),
        };
        append(self.conn(), &event).await
    }

    /// Appends any other event (sign-in, denial, administration).
    pub async fn audit_event(&mut self, event: &NewAuditEvent) -> Result<i64, StoreError> {
        append(self.conn(), event).await
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        role: row.try_get("role")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        outcome: row.try_get("outcome")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Store {
    /// The newest entries first, for the administrator's audit page.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = sqlx::query(
            "SELECT seq, at, actor, role, action, subject, outcome, prev_hash, hash \
             FROM audit_log ORDER BY seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Recomputes the whole chain and reports the first entry where it breaks. Runs in one
    /// snapshot, so appends made meanwhile neither break nor extend what is checked.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        let mut tx = self.begin_snapshot().await?;
        let verdict = verify_on(&mut tx).await?;
        tx.commit().await?;
        Ok(verdict)
    }
}

/// Verifies the chain as `conn` sees it (inside a snapshot or the caller's transaction).
pub(crate) async fn verify_on(conn: &mut AnyConnection) -> Result<AuditVerdict, StoreError> {
    {
        let mut expected_prev = GENESIS_HASH.to_owned();
        let mut expected_seq = 1_i64;
        let mut last_at: Option<Timestamp> = None;
        let page = 10_000_i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor, role, action, subject, outcome, prev_hash, hash \
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected_seq)
            .bind(page)
            .fetch_all(&mut *conn)
            .await?;
            let fetched = rows.len();
            for row in &rows {
                let entry = entry_from_row(row)?;
                if let Some(broken) = check_entry(&entry, expected_seq, &expected_prev, last_at) {
                    return Ok(AuditVerdict::Broken(broken));
                }
                last_at = parse_timestamp(&entry.at);
                expected_prev = entry.hash;
                expected_seq += 1;
            }
            if i64::try_from(fetched).unwrap_or(0) < page {
                break;
            }
        }
        // Rows before the first one we saw, or after the last, would also be a break.
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq < 1")
            .fetch_one(&mut *conn)
            .await?;
        if before > 0 {
            return Ok(AuditVerdict::Broken(ChainBreak {
                seq: 0,
                reason: "entries with a sequence number below 1 were inserted".into(),
            }));
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
        let Some(head) = head else {
            return Ok(AuditVerdict::Broken(ChainBreak {
                seq: 0,
                reason: "the chain head row is missing".into(),
            }));
        };
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("hash")?;
        let last_seq = expected_seq - 1;
        if head_seq != last_seq || head_hash != expected_prev {
            return Ok(AuditVerdict::Broken(ChainBreak {
                seq: last_seq + 1,
                reason: format!(
                    "the chain head records {head_seq} entries but the log ends at entry {last_seq}: \
                     entries after {last_seq} were removed"
                ),
            }));
        }
        Ok(AuditVerdict::Intact {
            entries: last_seq,
            head: head_hash,
        })
    }
}

fn check_entry(
    entry: &AuditEntry,
    expected_seq: i64,
    expected_prev: &str,
    last_at: Option<Timestamp>,
) -> Option<ChainBreak> {
    let broken = |reason: String| Some(ChainBreak { seq: entry.seq, reason });
    if entry.seq != expected_seq {
        return Some(ChainBreak {
            seq: expected_seq,
            reason: format!(
                "entry {expected_seq} is missing: the log jumps from {} to {}",
                expected_seq - 1,
                entry.seq
            ),
        });
    }
    if entry.prev_hash != expected_prev {
        return broken(format!(
            "entry {} does not follow entry {} (its previous hash differs)",
            entry.seq,
            entry.seq - 1
        ));
    }
    let event = NewAuditEvent {
        actor: entry.actor.clone(),
        role: entry.role.clone(),
        action: entry.action.clone(),
        subject: entry.subject.clone(),
        outcome: entry.outcome.clone(),
    };
    if entry_hash(&entry.prev_hash, entry.seq, &entry.at, &event) != entry.hash {
        return broken(format!(
            "entry {} was altered: its contents do not match its hash",
            entry.seq
        ));
    }
    match (last_at, parse_timestamp(&entry.at)) {
        (_, None) => broken(format!("entry {} has an unreadable time", entry.seq)),
        (Some(previous), Some(at)) if at < previous => broken(format!(
            "entry {} is dated before entry {}: entries were re-ordered",
            entry.seq,
            entry.seq - 1
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subject: &str) -> NewAuditEvent {
        NewAuditEvent {
            actor: "account:1".into(),
            role: "clinician".into(),
            action: "person.read".into(),
            subject: subject.into(),
            outcome: "permit".into(),
        }
    }

    #[test]
    fn the_hash_depends_on_every_field_and_on_field_boundaries() {
        let base = entry_hash(GENESIS_HASH, 1, "t", &event("person:1"));
        assert_ne!(base, entry_hash(GENESIS_HASH, 2, "t", &event("person:1")));
        assert_ne!(base, entry_hash(GENESIS_HASH, 1, "t", &event("person:2")));
        // Moving a character from one field to the next must change the hash.
        let mut shifted = event("person:1");
        shifted.actor = "account:".into();
        shifted.role = "1clinician".into();
        assert_ne!(base, entry_hash(GENESIS_HASH, 1, "t", &shifted));
    }
}
