//! Rows and the queries over them. Methods on [`Store`] read data that is not personal
//! (organisations, accounts for sign-in, sessions, scope facts); methods on [`WriteTxn`] that
//! read or write personal data take a [`Permit`] and append their audit row themselves.

use chrono::Utc;
use cocare_core::{AccountId, ConsentId, Grant, OrganisationId, PersonId, Role, TeamId, format_timestamp};
use cocare_policy::{Action, Permit, PersonScope};
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, WriteTxn};

/// Refuses a permit issued for another action than those this method serves.
pub(crate) fn require(permit: &Permit, allowed: &[Action], wanted: &'static str) -> Result<(), StoreError> {
    if allowed.contains(&permit.action()) {
        Ok(())
    } else {
        Err(StoreError::WrongPermit {
            given: permit.action().audit_name(),
            wanted,
        })
    }
}

fn now() -> String {
    format_timestamp(Utc::now())
}

fn id<T>(row: &AnyRow, column: &str, parse: fn(&str) -> Result<T, cocare_core::IdParseError>) -> Result<T, StoreError> {
    let raw: String = row.try_get(column)?;
    parse(&raw).map_err(|err| StoreError::Corrupt(format!("{column}: {err}")))
}

fn opt_id<T>(
    row: &AnyRow,
    column: &str,
    parse: fn(&str) -> Result<T, cocare_core::IdParseError>,
) -> Result<Option<T>, StoreError> {
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|raw| parse(&raw).map_err(|err| StoreError::Corrupt(format!("{column}: {err}"))))
        .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationRow {
    pub id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamRow {
    pub id: TeamId,
    pub organisation_id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub person_id: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub person_id: Option<PersonId>,
}

/// An account as an administrator sees it: no password hash, no clinical content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub grants: Vec<GrantSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantSummary {
    /// The grant's own id, for removing it.
    pub id: String,
    pub role: Role,
    pub organisation_id: OrganisationId,
    pub organisation: String,
    pub team: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPerson {
    pub id: PersonId,
    pub organisation_id: OrganisationId,
    pub team_id: Option<TeamId>,
    pub kind: PersonKind,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub gender: String,
    pub ethnicity: String,
    pub preferred_language: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    ServiceUser,
    Carer,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::ServiceUser => "service_user",
            PersonKind::Carer => "carer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRow {
    pub id: PersonId,
    pub organisation_id: OrganisationId,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub kind: PersonKind,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub gender: String,
    pub ethnicity: String,
    pub preferred_language: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarerLinkRow {
    pub carer_id: PersonId,
    pub carer_name: String,
    pub service_user_id: PersonId,
    pub relationship: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRow {
    pub id: ConsentId,
    pub person_id: PersonId,
    /// `carer` or `research`.
    pub recipient: String,
    pub recipient_person_id: Option<PersonId>,
    pub recipient_name: Option<String>,
    pub purpose: String,
    pub scope: String,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub withdrawn_by: Option<String>,
    pub withdrawn_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub id: ConsentId,
    pub person_id: PersonId,
    pub recipient: String,
    pub recipient_person_id: Option<PersonId>,
    pub purpose: String,
    pub scope: String,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub account_id: AccountId,
    pub csrf_token: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailureRow {
    pub failures: i64,
    pub first_failure_at: String,
    pub locked_until: Option<String>,
}

fn organisation_from(row: &AnyRow) -> Result<OrganisationRow, StoreError> {
    Ok(OrganisationRow {
        id: id(row, "id", OrganisationId::parse)?,
        name: row.try_get("name")?,
    })
}

fn team_from(row: &AnyRow) -> Result<TeamRow, StoreError> {
    Ok(TeamRow {
        id: id(row, "id", TeamId::parse)?,
        organisation_id: id(row, "organisation_id", OrganisationId::parse)?,
        name: row.try_get("name")?,
    })
}

fn account_from(row: &AnyRow) -> Result<AccountRow, StoreError> {
    let disabled: i64 = row.try_get("disabled")?;
    Ok(AccountRow {
        id: id(row, "id", AccountId::parse)?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        disabled: disabled != 0,
        person_id: opt_id(row, "person_id", PersonId::parse)?,
    })
}

fn person_from(row: &AnyRow) -> Result<PersonRow, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(PersonRow {
        id: id(row, "id", PersonId::parse)?,
        organisation_id: id(row, "organisation_id", OrganisationId::parse)?,
        team_id: opt_id(row, "team_id", TeamId::parse)?,
        team_name: row.try_get("team_name")?,
        kind: match kind.as_str() {
            "service_user" => PersonKind::ServiceUser,
            "carer" => PersonKind::Carer,
            other => return Err(StoreError::Corrupt(format!("people.kind: unknown kind {other:?}"))),
        },
        given_name: row.try_get("given_name")?,
        family_name: row.try_get("family_name")?,
        date_of_birth: row.try_get("date_of_birth")?,
        gender: row.try_get("gender")?,
        ethnicity: row.try_get("ethnicity")?,
        preferred_language: row.try_get("preferred_language")?,
    })
}

fn consent_from(row: &AnyRow) -> Result<ConsentRow, StoreError> {
    Ok(ConsentRow {
        id: id(row, "id", ConsentId::parse)?,
        person_id: id(row, "person_id", PersonId::parse)?,
        recipient: row.try_get("recipient")?,
        recipient_person_id: opt_id(row, "recipient_person_id", PersonId::parse)?,
        recipient_name: row.try_get("recipient_name")?,
        purpose: row.try_get("purpose")?,
        scope: row.try_get("scope")?,
        note: row.try_get("note")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
        withdrawn_by: row.try_get("withdrawn_by")?,
        withdrawn_at: row.try_get("withdrawn_at")?,
    })
}

const PERSON_COLUMNS: &str = "SELECT p.id, p.organisation_id, p.team_id, t.name AS team_name, p.kind, p.given_name, \
     p.family_name, p.date_of_birth, p.gender, p.ethnicity, p.preferred_language \
     FROM people p LEFT JOIN teams t ON t.id = p.team_id";

async fn account_by(conn: &mut AnyConnection, sql: &'static str, key: &str) -> Result<Option<AccountRow>, StoreError> {
    let row = sqlx::query(sql).bind(key).fetch_optional(conn).await?;
    row.as_ref().map(account_from).transpose()
}

async fn grants_of(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<Grant>, StoreError> {
    let rows = sqlx::query(
        "SELECT role, organisation_id, team_id FROM role_grants WHERE account_id = $1 ORDER BY created_at, id",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(Grant {
                role: Role::parse(&role).map_err(|err| StoreError::Corrupt(format!("role_grants.role: {err}")))?,
                organisation: id(row, "organisation_id", OrganisationId::parse)?,
                team: opt_id(row, "team_id", TeamId::parse)?,
            })
        })
        .collect()
}

async fn scope_of(conn: &mut AnyConnection, person: PersonId) -> Result<Option<PersonScope>, StoreError> {
    let Some(row) = sqlx::query("SELECT id, organisation_id, team_id FROM people WHERE id = $1")
        .bind(person.to_string())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let carers = sqlx::query(
        "SELECT DISTINCT recipient_person_id FROM consents WHERE person_id = $1 AND recipient = 'carer' \
         AND withdrawn_at IS NULL AND recipient_person_id IS NOT NULL",
    )
    .bind(person.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(PersonScope {
        person: id(&row, "id", PersonId::parse)?,
        organisation: id(&row, "organisation_id", OrganisationId::parse)?,
        team: opt_id(&row, "team_id", TeamId::parse)?,
        consenting_to_carers: carers
            .iter()
            .map(|row| id(row, "recipient_person_id", PersonId::parse))
            .collect::<Result<_, _>>()?,
    }))
}

impl Store {
    pub async fn organisations(&self) -> Result<Vec<OrganisationRow>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = sqlx::query("SELECT id, name FROM organisations ORDER BY name")
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(organisation_from).collect()
    }

    pub async fn organisation_by_name(&self, name: &str) -> Result<Option<OrganisationRow>, StoreError> {
        let mut conn = self.conn().await?;
        let row = sqlx::query("SELECT id, name FROM organisations WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(organisation_from).transpose()
    }

    pub async fn teams(&self, organisation: OrganisationId) -> Result<Vec<TeamRow>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = sqlx::query("SELECT id, organisation_id, name FROM teams WHERE organisation_id = $1 ORDER BY name")
            .bind(organisation.to_string())
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(team_from).collect()
    }

    pub async fn team(&self, team: TeamId) -> Result<Option<TeamRow>, StoreError> {
        let mut conn = self.conn().await?;
        let row = sqlx::query("SELECT id, organisation_id, name FROM teams WHERE id = $1")
            .bind(team.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(team_from).transpose()
    }

    pub async fn account_by_username(&self, username: &str) -> Result<Option<AccountRow>, StoreError> {
        let mut conn = self.conn().await?;
        account_by(
            &mut conn,
            "SELECT id, username, display_name, password_hash, disabled, person_id FROM accounts WHERE username = $1",
            username,
        )
        .await
    }

    pub async fn account(&self, account: AccountId) -> Result<Option<AccountRow>, StoreError> {
        let mut conn = self.conn().await?;
        account_by(
            &mut conn,
            "SELECT id, username, display_name, password_hash, disabled, person_id FROM accounts WHERE id = $1",
            &account.to_string(),
        )
        .await
    }

    pub async fn grants(&self, account: AccountId) -> Result<Vec<Grant>, StoreError> {
        let mut conn = self.conn().await?;
        grants_of(&mut conn, account).await
    }

    /// Accounts holding any role in the organisation, with their roles there (and only there:
    /// an administrator of one organisation learns nothing of another's).
    pub async fn accounts_in(&self, organisation: OrganisationId) -> Result<Vec<AccountSummary>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = sqlx::query(
            "SELECT a.id, a.username, a.display_name, a.disabled, g.id AS grant_id, g.role, g.organisation_id, \
             o.name AS organisation_name, t.name AS team_name \
             FROM accounts a JOIN role_grants g ON g.account_id = a.id AND g.organisation_id = $1 \
             JOIN organisations o ON o.id = g.organisation_id LEFT JOIN teams t ON t.id = g.team_id \
             ORDER BY a.username, g.role",
        )
        .bind(organisation.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let mut out: Vec<AccountSummary> = Vec::new();
        for row in &rows {
            let account = id(row, "id", AccountId::parse)?;
            let role: String = row.try_get("role")?;
            let grant = GrantSummary {
                id: row.try_get("grant_id")?,
                organisation_id: id(row, "organisation_id", OrganisationId::parse)?,
                role: Role::parse(&role).map_err(|err| StoreError::Corrupt(format!("role_grants.role: {err}")))?,
                organisation: row.try_get("organisation_name")?,
                team: row.try_get("team_name")?,
            };
            match out.last_mut() {
                Some(last) if last.id == account => last.grants.push(grant),
                _ => {
                    let disabled: i64 = row.try_get("disabled")?;
                    out.push(AccountSummary {
                        id: account,
                        username: row.try_get("username")?,
                        display_name: row.try_get("display_name")?,
                        disabled: disabled != 0,
                        grants: vec![grant],
                    });
                }
            }
        }
        Ok(out)
    }

    /// A person's organisation and kind (no personal data), for linking an account to them.
    pub async fn person_kind(&self, person: PersonId) -> Result<Option<(OrganisationId, PersonKind)>, StoreError> {
        let mut conn = self.conn().await?;
        let row = sqlx::query("SELECT organisation_id, kind FROM people WHERE id = $1")
            .bind(person.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| {
            let kind: String = row.try_get("kind")?;
            let kind = match kind.as_str() {
                "service_user" => PersonKind::ServiceUser,
                "carer" => PersonKind::Carer,
                other => return Err(StoreError::Corrupt(format!("people.kind: unknown kind {other:?}"))),
            };
            Ok((id(&row, "organisation_id", OrganisationId::parse)?, kind))
        })
        .transpose()
    }

    /// The facts the policy needs about a person: organisation, team, consents in force.
    pub async fn person_scope(&self, person: PersonId) -> Result<Option<PersonScope>, StoreError> {
        let mut conn = self.conn().await?;
        scope_of(&mut conn, person).await
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let mut conn = self.conn().await?;
        let row = sqlx::query("SELECT account_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| {
            Ok(SessionRow {
                account_id: id(&row, "account_id", AccountId::parse)?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn login_failure(&self, key: &str) -> Result<Option<LoginFailureRow>, StoreError> {
        let mut conn = self.conn().await?;
        let row = sqlx::query("SELECT failures, first_failure_at, locked_until FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|row| {
            Ok(LoginFailureRow {
                failures: row.try_get("failures")?,
                first_failure_at: row.try_get("first_failure_at")?,
                locked_until: row.try_get("locked_until")?,
            })
        })
        .transpose()
    }

    /// How many rows each table holds (for `cocare demo` and checks).
    pub async fn count(&self, table: Table) -> Result<i64, StoreError> {
        let mut conn = self.conn().await?;
        let sql = match table {
            Table::Organisations => "SELECT COUNT(*) FROM organisations",
            Table::Teams => "SELECT COUNT(*) FROM teams",
            Table::Accounts => "SELECT COUNT(*) FROM accounts",
            Table::People => "SELECT COUNT(*) FROM people",
            Table::Consents => "SELECT COUNT(*) FROM consents",
            Table::AuditLog => "SELECT COUNT(*) FROM audit_log",
        };
        Ok(sqlx::query_scalar(sql).fetch_one(&mut *conn).await?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Organisations,
    Teams,
    Accounts,
    People,
    Consents,
    AuditLog,
}

impl WriteTxn {
    pub async fn insert_organisation(&mut self, id: OrganisationId, name: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(now())
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("an organisation with this name"))?;
        Ok(())
    }

    pub async fn insert_team(
        &mut self,
        id: TeamId,
        organisation: OrganisationId,
        name: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO teams (id, organisation_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(organisation.to_string())
            .bind(name)
            .bind(now())
            .execute(self.conn())
            .await
            .map_err(StoreError::unique("a team with this name in the organisation"))?;
        Ok(())
    }

    pub async fn insert_account(&mut self, account: &NewAccount) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO accounts (id, username, display_name, password_hash, disabled, person_id, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(account.id.to_string())
        .bind(&account.username)
        .bind(&account.display_name)
        .bind(&account.password_hash)
        .bind(account.person_id.map(|p| p.to_string()))
        .bind(now())
        .execute(self.conn())
        .await
        .map_err(StoreError::unique("an account with this username"))?;
        Ok(())
    }

    pub async fn insert_grant(&mut self, account: AccountId, grant: &Grant) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO role_grants (id, account_id, role, organisation_id, team_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(account.to_string())
        .bind(grant.role.as_str())
        .bind(grant.organisation.to_string())
        .bind(grant.team.map(|t| t.to_string()))
        .bind(now())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Removes one role grant of an account. Returns false when there was no such grant.
    pub async fn delete_grant(&mut self, account: AccountId, grant: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM role_grants WHERE id = $1 AND account_id = $2")
            .bind(grant)
            .bind(account.to_string())
            .execute(self.conn())
            .await?;
        self.delete_sessions_of(account).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Returns false when no such account exists.
    pub async fn set_account_disabled(&mut self, account: AccountId, disabled: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(account.to_string())
            .execute(self.conn())
            .await?;
        if disabled {
            self.delete_sessions_of(account).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Returns false when no such account exists. Signs the account out everywhere.
    pub async fn set_password_hash(&mut self, account: AccountId, hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(account.to_string())
            .execute(self.conn())
            .await?;
        self.delete_sessions_of(account).await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        account: AccountId,
        csrf: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(account.to_string())
            .bind(csrf)
            .bind(now())
            .bind(expires_at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn delete_sessions_of(&mut self, account: AccountId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&mut self, now: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }

    /// Counts one sign-in attempt for `key`, atomically, and returns the count in the current
    /// window. A window that began before `window_start` (and holds no lock in force) starts
    /// again at this attempt.
    pub async fn count_login_attempt(
        &mut self,
        key: &str,
        now: &str,
        window_start: &str,
    ) -> Result<LoginFailureRow, StoreError> {
        let row = sqlx::query(
            "INSERT INTO login_failures (key, failures, first_failure_at, locked_until) VALUES ($1, 1, $2, NULL) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_failures.first_failure_at < $3 \
                 AND (login_failures.locked_until IS NULL OR login_failures.locked_until <= $2) \
                 THEN 1 ELSE login_failures.failures + 1 END, \
             locked_until = CASE WHEN login_failures.first_failure_at < $3 \
                 AND (login_failures.locked_until IS NULL OR login_failures.locked_until <= $2) \
                 THEN NULL ELSE login_failures.locked_until END, \
             first_failure_at = CASE WHEN login_failures.first_failure_at < $3 \
                 AND (login_failures.locked_until IS NULL OR login_failures.locked_until <= $2) \
                 THEN $2 ELSE login_failures.first_failure_at END \
             RETURNING failures, first_failure_at, locked_until",
        )
        .bind(key)
        .bind(now)
        .bind(window_start)
        .fetch_one(self.conn())
        .await?;
        Ok(LoginFailureRow {
            failures: row.try_get("failures")?,
            first_failure_at: row.try_get("first_failure_at")?,
            locked_until: row.try_get("locked_until")?,
        })
    }

    /// Locks sign-in for `key` until the given time.
    pub async fn lock_login(&mut self, key: &str, until: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE key = $2")
            .bind(until)
            .bind(key)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&mut self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Writes a new person record; the permit's holder is audited as its creator.
    pub async fn insert_person(&mut self, permit: &Permit, person: &NewPerson) -> Result<(), StoreError> {
        require(permit, &[Action::RecordPerson], "record a person")?;
        sqlx::query(
            "INSERT INTO people (id, organisation_id, team_id, kind, given_name, family_name, date_of_birth, gender, \
             ethnicity, preferred_language, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(person.id.to_string())
        .bind(person.organisation_id.to_string())
        .bind(person.team_id.map(|t| t.to_string()))
        .bind(person.kind.as_str())
        .bind(&person.given_name)
        .bind(&person.family_name)
        .bind(&person.date_of_birth)
        .bind(&person.gender)
        .bind(&person.ethnicity)
        .bind(&person.preferred_language)
        .bind(now())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{}", person.id)).await?;
        Ok(())
    }

    pub async fn insert_carer_link(
        &mut self,
        permit: &Permit,
        carer: PersonId,
        service_user: PersonId,
        relationship: &str,
    ) -> Result<(), StoreError> {
        require(permit, &[Action::RecordPerson], "link a carer")?;
        sqlx::query("INSERT INTO carer_links (carer_id, service_user_id, relationship) VALUES ($1, $2, $3)")
            .bind(carer.to_string())
            .bind(service_user.to_string())
            .bind(relationship)
            .execute(self.conn())
            .await?;
        self.audit_permit(permit, &format!("person:{service_user}")).await?;
        Ok(())
    }

    /// The policy facts for a person, read inside this transaction.
    pub async fn person_scope(&mut self, person: PersonId) -> Result<Option<PersonScope>, StoreError> {
        scope_of(self.conn(), person).await
    }

    /// Reads one person's record, and audits the read.
    pub async fn read_person(&mut self, permit: &Permit, person: PersonId) -> Result<Option<PersonRow>, StoreError> {
        require(permit, &[Action::ReadPerson], "read a person's record")?;
        let sql = sqlx::AssertSqlSafe(format!("{PERSON_COLUMNS} WHERE p.id = $1"));
        let row = sqlx::query(sql)
            .bind(person.to_string())
            .fetch_optional(self.conn())
            .await?;
        let person_row = row.as_ref().map(person_from).transpose()?;
        if person_row.is_some() {
            self.audit_permit(permit, &format!("person:{person}")).await?;
        }
        Ok(person_row)
    }

    /// Carers linked to a service user (names are personal data: audited with the read).
    pub async fn carers_of(&mut self, permit: &Permit, person: PersonId) -> Result<Vec<CarerLinkRow>, StoreError> {
        require(
            permit,
            &[Action::ReadConsents, Action::RecordConsent, Action::RecordPerson],
            "read carers",
        )?;
        let rows = sqlx::query(
            "SELECT l.carer_id, l.service_user_id, l.relationship, p.given_name || ' ' || p.family_name AS carer_name \
             FROM carer_links l JOIN people p ON p.id = l.carer_id WHERE l.service_user_id = $1 ORDER BY carer_name",
        )
        .bind(person.to_string())
        .fetch_all(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{person}/carers")).await?;
        rows.iter()
            .map(|row| {
                Ok(CarerLinkRow {
                    carer_id: id(row, "carer_id", PersonId::parse)?,
                    carer_name: row.try_get("carer_name")?,
                    service_user_id: id(row, "service_user_id", PersonId::parse)?,
                    relationship: row.try_get("relationship")?,
                })
            })
            .collect()
    }

    /// Service users in any of the given teams, or with the given ids (a service user's own
    /// record, people who consented to share with a carer). The caller decides each one through
    /// the policy; the list read is audited once under `subject`.
    pub async fn list_people(
        &mut self,
        permit: &Permit,
        teams: &[TeamId],
        ids: &[PersonId],
        subject: &str,
    ) -> Result<Vec<PersonRow>, StoreError> {
        require(permit, &[Action::ListPeople], "list people")?;
        let mut out = Vec::new();
        for team in teams {
            let sql = sqlx::AssertSqlSafe(format!(
                "{PERSON_COLUMNS} WHERE p.team_id = $1 AND p.kind = 'service_user' ORDER BY p.family_name, p.given_name"
            ));
            let rows = sqlx::query(sql).bind(team.to_string()).fetch_all(self.conn()).await?;
            for row in &rows {
                out.push(person_from(row)?);
            }
        }
        for person in ids {
            let sql = sqlx::AssertSqlSafe(format!("{PERSON_COLUMNS} WHERE p.id = $1"));
            if let Some(row) = sqlx::query(sql)
                .bind(person.to_string())
                .fetch_optional(self.conn())
                .await?
            {
                out.push(person_from(&row)?);
            }
        }
        out.sort_by(|a, b| (&a.family_name, &a.given_name, a.id).cmp(&(&b.family_name, &b.given_name, b.id)));
        out.dedup_by_key(|p| p.id);
        self.audit_permit(permit, subject).await?;
        Ok(out)
    }

    /// What a person shares with one carer now: the scopes of the consents in force to them,
    /// and nothing else of the consent records (no notes, no other recipients). Audited.
    pub async fn shared_with_carer(
        &mut self,
        permit: &Permit,
        person: PersonId,
        carer: PersonId,
    ) -> Result<Vec<String>, StoreError> {
        require(permit, &[Action::ReadPerson], "see what is shared with a carer")?;
        let rows = sqlx::query(
            "SELECT scope FROM consents WHERE person_id = $1 AND recipient = 'carer' AND recipient_person_id = $2 \
             AND withdrawn_at IS NULL ORDER BY recorded_at",
        )
        .bind(person.to_string())
        .bind(carer.to_string())
        .fetch_all(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{person}/shared")).await?;
        rows.iter().map(|row| Ok(row.try_get("scope")?)).collect()
    }

    /// People who have consent in force to share with this carer.
    pub async fn people_sharing_with(&mut self, carer: PersonId) -> Result<Vec<PersonId>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT person_id FROM consents WHERE recipient = 'carer' AND recipient_person_id = $1 AND withdrawn_at IS NULL",
        )
        .bind(carer.to_string())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|row| id(row, "person_id", PersonId::parse)).collect()
    }

    /// Every consent decision about a person, newest first, withdrawn ones included.
    pub async fn consents_of(&mut self, permit: &Permit, person: PersonId) -> Result<Vec<ConsentRow>, StoreError> {
        require(
            permit,
            &[Action::ReadConsents, Action::RecordConsent],
            "read consent decisions",
        )?;
        let rows = sqlx::query(
            "SELECT c.id, c.person_id, c.recipient, c.recipient_person_id, r.given_name || ' ' || r.family_name AS recipient_name, \
             c.purpose, c.scope, c.note, c.recorded_by, c.recorded_at, c.withdrawn_by, c.withdrawn_at \
             FROM consents c LEFT JOIN people r ON r.id = c.recipient_person_id WHERE c.person_id = $1 \
             ORDER BY c.recorded_at DESC, c.id",
        )
        .bind(person.to_string())
        .fetch_all(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{person}/consents")).await?;
        rows.iter().map(consent_from).collect()
    }

    pub async fn insert_consent(&mut self, permit: &Permit, consent: &NewConsent) -> Result<(), StoreError> {
        require(permit, &[Action::RecordConsent], "record consent")?;
        sqlx::query(
            "INSERT INTO consents (id, person_id, recipient, recipient_person_id, purpose, scope, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(consent.id.to_string())
        .bind(consent.person_id.to_string())
        .bind(&consent.recipient)
        .bind(consent.recipient_person_id.map(|p| p.to_string()))
        .bind(&consent.purpose)
        .bind(&consent.scope)
        .bind(&consent.note)
        .bind(&consent.recorded_by)
        .bind(now())
        .execute(self.conn())
        .await?;
        self.audit_permit(permit, &format!("person:{}/consent:{}", consent.person_id, consent.id))
            .await?;
        Ok(())
    }

    /// Withdraws a consent in force. Returns false if there was none with this id for this person.
    pub async fn withdraw_consent(
        &mut self,
        permit: &Permit,
        person: PersonId,
        consent: ConsentId,
        by: &str,
    ) -> Result<bool, StoreError> {
        require(permit, &[Action::RecordConsent], "withdraw consent")?;
        let done = sqlx::query(
            "UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2 WHERE id = $3 AND person_id = $4 AND withdrawn_at IS NULL",
        )
        .bind(now())
        .bind(by)
        .bind(consent.to_string())
        .bind(person.to_string())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 1 {
            self.audit_permit(permit, &format!("person:{person}/consent:{consent}"))
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Accounts linked to a person record (for the account form's person choice).
    pub async fn account_of_person(&mut self, person: PersonId) -> Result<Option<AccountId>, StoreError> {
        let row = sqlx::query("SELECT id FROM accounts WHERE person_id = $1")
            .bind(person.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| id(&row, "id", AccountId::parse)).transpose()
    }
}
