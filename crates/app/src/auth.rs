//! Signing in and out, sessions, and login throttling.

use chrono::{Duration as ChronoDuration, Utc};
use cocare_core::{AccountId, Actor, ActorKind, format_timestamp, parse_timestamp};
use cocare_store::NewAuditEvent;
use secrecy::SecretString;

use crate::secret::{random_token, token_hash, verify_password};
use crate::{App, AppError};

/// Failed sign-ins for one username within the window before it is locked.
pub const THROTTLE_FAILURES: i64 = 5;
/// How long the window and the lock last.
pub const THROTTLE_MINUTES: i64 = 15;

/// What came of a sign-in attempt.
#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn {
        token: String,
        csrf_token: String,
        actor: Actor,
    },
    /// Wrong username or password (the two are never told apart), or a disabled account.
    Invalid,
    /// Too many failures; try again after this many minutes.
    Throttled { minutes: i64 },
}

/// A signed-in request's context.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub actor: Actor,
    pub csrf_token: String,
    pub token_hash: String,
}

fn throttle_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

impl App {
    pub async fn login(&self, username: &str, password: SecretString) -> Result<LoginOutcome, AppError> {
        let key = throttle_key(username);
        let now = Utc::now();
        let lock_for = ChronoDuration::minutes(THROTTLE_MINUTES);
        // The attempt is counted before the password is checked, in one atomic statement, so
        // guesses sent in parallel are counted one by one and at most THROTTLE_FAILURES of them
        // are ever checked in a window.
        let mut tx = self.store.begin_write().await?;
        let attempt = tx
            .count_login_attempt(&key, &format_timestamp(now), &format_timestamp(now - lock_for))
            .await?;
        let locked_until = attempt
            .locked_until
            .as_deref()
            .and_then(parse_timestamp)
            .filter(|until| *until > now);
        if locked_until.is_some() || attempt.failures > THROTTLE_FAILURES {
            let until = match locked_until {
                Some(until) => until,
                None => {
                    let until = now + lock_for;
                    tx.lock_login(&key, &format_timestamp(until)).await?;
                    until
                }
            };
            tx.audit_event(&outside_event("auth.login", "account:unknown", "throttled"))
                .await?;
            tx.commit().await?;
            return Ok(LoginOutcome::Throttled {
                minutes: (until - now).num_minutes() + 1,
            });
        }
        tx.commit().await?;
        let account = self.store.account_by_username(username.trim()).await?;
        let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
        let password_ok = verify_password(password, stored_hash).await?;
        let account = account.filter(|a| password_ok && !a.disabled);
        let Some(account) = account else {
            let mut tx = self.store.begin_write().await?;
            if attempt.failures >= THROTTLE_FAILURES {
                tx.lock_login(&key, &format_timestamp(now + lock_for)).await?;
            }
            tx.audit_event(&outside_event("auth.login", "account:unknown", "failure"))
                .await?;
            tx.commit().await?;
            return Ok(LoginOutcome::Invalid);
        };
        let grants = self.store.grants(account.id).await?;
        let token = random_token()?;
        let csrf_token = random_token()?;
        let expires = now + ChronoDuration::from_std(self.config.session_ttl).unwrap_or(ChronoDuration::hours(8));
        let mut tx = self.store.begin_write().await?;
        tx.clear_login_failures(&key).await?;
        tx.delete_expired_sessions(&format_timestamp(now)).await?;
        tx.insert_session(&token_hash(&token), account.id, &csrf_token, &format_timestamp(expires))
            .await?;
        tx.audit_event(&NewAuditEvent {
            actor: format!("account:{}", account.id),
            role: "none".into(),
            action: "auth.login".into(),
            subject: format!("account:{}", account.id),
            outcome: "success".into(),
        })
        .await?;
        tx.commit().await?;
        let actor = Actor {
            kind: ActorKind::Account(account.id),
            username: account.username,
            display_name: account.display_name,
            person: account.person_id,
            grants,
        };
        Ok(LoginOutcome::SignedIn {
            token,
            csrf_token,
            actor,
        })
    }

    /// The session behind a token, if it exists, has not expired and its account is enabled.
    pub async fn session(&self, token: &str) -> Result<Option<SessionContext>, AppError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(session) = self.store.session(&hash).await? else {
            return Ok(None);
        };
        let expired = parse_timestamp(&session.expires_at).is_none_or(|at| at <= Utc::now());
        if expired {
            let mut tx = self.store.begin_write().await?;
            tx.delete_session(&hash).await?;
            tx.commit().await?;
            return Ok(None);
        }
        let Some(actor) = self.actor(session.account_id).await? else {
            return Ok(None);
        };
        Ok(Some(SessionContext {
            actor,
            csrf_token: session.csrf_token,
            token_hash: hash,
        }))
    }

    /// Loads an enabled account as an actor.
    pub async fn actor(&self, account: AccountId) -> Result<Option<Actor>, AppError> {
        let Some(row) = self.store.account(account).await?.filter(|a| !a.disabled) else {
            return Ok(None);
        };
        let grants = self.store.grants(account).await?;
        Ok(Some(Actor {
            kind: ActorKind::Account(row.id),
            username: row.username,
            display_name: row.display_name,
            person: row.person_id,
            grants,
        }))
    }

    pub async fn logout(&self, session: &SessionContext) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        tx.delete_session(&session.token_hash).await?;
        tx.audit_event(&NewAuditEvent {
            actor: session.actor.audit_name(),
            role: "none".into(),
            action: "auth.logout".into(),
            subject: session.actor.audit_name(),
            outcome: "success".into(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a refusal by the policy, in its own transaction (the refused one rolls back).
    pub async fn audit_denial(&self, actor: &Actor, action: &str, subject: &str) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        tx.audit_event(&NewAuditEvent {
            actor: actor.audit_name(),
            role: actor.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join("+"),
            action: action.to_owned(),
            subject: subject.to_owned(),
            outcome: "deny".into(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn outside_event(action: &str, subject: &str, outcome: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: "anonymous".into(),
        role: "none".into(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        outcome: outcome.to_owned(),
    }
}
